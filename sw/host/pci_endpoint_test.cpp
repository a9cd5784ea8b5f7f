#include "dbvp/host/pci_endpoint_test.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace dbvp::host {

using namespace pcitest;

const char* to_string(pcitest_error e) {
    switch (e) {
    case pcitest_error::ok: return "0";
    case pcitest_error::enodev: return "-ENODEV";
    case pcitest_error::einval: return "-EINVAL";
    case pcitest_error::erange: return "-ERANGE";
    case pcitest_error::eopnotsupp: return "-EOPNOTSUPP";
    case pcitest_error::etimedout: return "-ETIMEDOUT";
    }
    return "?";
}

const pcitest_step* doorbell_test_report::step(const std::string& name) const {
    for (const auto& s : steps)
        if (s.name == name)
            return &s;
    return nullptr;
}

void pci_endpoint_test::logf(const char* fmt, ...) {
    char text[320];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    char line[360];
    std::snprintf(line, sizeof line, "[%12.3f us] %s", static_cast<double>(h_.now_ns()) / 1000.0, text);
    log_.emplace_back(line);
}

bool pci_endpoint_test::bind(const enum_result& en) {
    bound_ = false;
    if (!en.ok) {
        logf("enumeration failed: %s", en.error.c_str());
        return false;
    }
    if (opt_.test_reg_bar > 5) {
        logf("test register BAR %u does not exist", opt_.test_reg_bar);
        return false;
    }
    for (const auto& f : en.functions) {
        if ((opt_.vendor_id && f.vendor_id != opt_.vendor_id) || (opt_.device_id && f.device_id != opt_.device_id))
            continue;
        const bar_info& b = f.bars[opt_.test_reg_bar];
        if (!b.present || b.io || !b.address || b.size < 0x40)
            continue;
        fn_ = f;
        reg_ = b.address;
        bound_ = true;
        logf("pci-endpoint-test %s %04x:%04x: test registers in BAR%u at 0x%llx, MSI %u vector(s) data 0x%x",
             bdf_string(f.bdf).c_str(), f.vendor_id, f.device_id, opt_.test_reg_bar,
             static_cast<unsigned long long>(reg_), f.msi_vectors, f.msi_data);
        return true;
    }
    logf("no function with a memory BAR%u for the test registers", opt_.test_reg_bar);
    return false;
}

std::uint64_t pci_endpoint_test::bar_address(unsigned bar) const {
    if (!bound_ || bar > 5 || !fn_.bars[bar].present || fn_.bars[bar].io)
        return 0;
    return fn_.bars[bar].address;
}

std::uint32_t pci_endpoint_test::read(std::uint32_t reg, completion* c) {
    std::uint32_t v = 0xffffffffu;
    const completion cpl = h_.mem_read(reg_ + reg, &v, 4);
    if (c)
        *c = cpl;
    if (cpl != completion::ok)
        logf("read of register 0x%02x completed %s", reg, to_string(cpl));
    return v;
}

void pci_endpoint_test::write(std::uint32_t reg, std::uint32_t value) { h_.mem_write(reg_ + reg, &value, 4); }

pcitest_irq pci_endpoint_test::wait_irq(std::uint64_t timeout_ns) {
    pcitest_irq r;
    const std::uint64_t deadline = h_.now_ns() + timeout_ns;
    const std::uint64_t msi_addr = h_.msi_address();
    for (;;) {
        const std::uint64_t now = h_.now_ns();
        if (now >= deadline)
            break;
        msi_message m;
        if (!h_.wait_msi(deadline - now, m))
            break;
        const bool ours = m.requester_id == fn_.bdf && m.address == msi_addr && fn_.msi_vectors &&
                          (m.data & ~(fn_.msi_vectors - 1u)) == fn_.msi_data;
        if (!ours) {
            logf("MSI from %s, address 0x%llx data 0x%x: not from the test function, ignored",
                 bdf_string(m.requester_id).c_str(), static_cast<unsigned long long>(m.address), m.data);
            continue;
        }
        const std::uint32_t st = read(STATUS);
        if (!(st & STATUS_IRQ_RAISED)) {
            logf("MSI vector %u but STATUS 0x%x has no IRQ_RAISED: ignored", (m.data & (fn_.msi_vectors - 1u)) + 1,
                 st);
            continue;
        }
        r.received = true;
        r.msi = m;
        r.vector = (m.data & (fn_.msi_vectors - 1u)) + 1;
        r.status = st;
        if (opt_.log_interrupts)
            logf("IRQ: MSI vector %u (data 0x%x), STATUS 0x%x", r.vector, m.data, st);
        return r;
    }
    logf("no interrupt within %llu ms", static_cast<unsigned long long>(timeout_ns / 1000000));
    return r;
}

pcitest_irq pci_endpoint_test::command(std::uint32_t cmd, unsigned irq_number) {
    write(IRQ_TYPE, opt_.irq_type);
    write(IRQ_NUMBER, irq_number);
    write(COMMAND, cmd);
    logf("COMMAND = 0x%x (IRQ_TYPE %u, IRQ_NUMBER %u)", cmd, opt_.irq_type, irq_number);
    return wait_irq(opt_.irq_timeout_ns);
}

doorbell_test_report pci_endpoint_test::doorbell_test() {
    doorbell_test_report r;
    const std::size_t log_start = log_.size();
    auto step = [&](const char* name, bool ok, const std::string& detail) {
        r.steps.push_back({name, ok, h_.now_ns(), detail});
        logf("%s: %s%s%s", name, ok ? "ok" : "FAILED", detail.empty() ? "" : " - ", detail.c_str());
    };
    auto finish = [&](pcitest_error e) -> doorbell_test_report& {
        r.error = e;
        r.ok = e == pcitest_error::ok;
        logf("doorbell test: %s", to_string(e));
        r.log.assign(log_.begin() + static_cast<std::ptrdiff_t>(log_start), log_.end());
        return r;
    };
    char d[200];
    if (!bound_) {
        step("bind", false, "no test function bound");
        return finish(pcitest_error::enodev);
    }
    r.bdf = fn_.bdf;

    // 1. Capabilities and interrupt type.
    completion cpl = completion::ok;
    r.caps = read(CAPS, &cpl);
    std::snprintf(d, sizeof d, "CAPS 0x%x", r.caps);
    if (cpl != completion::ok) { // Linux would read all-ones and go on; a dead register BAR is no test function
        step("caps", false, std::string(d) + ": the read completed " + to_string(cpl));
        return finish(pcitest_error::einval);
    }
    if (!(r.caps & CAP_DYNAMIC_INBOUND_MAPPING)) {
        step("caps", false, std::string(d) + ": no DYNAMIC_INBOUND_MAPPING");
        return finish(pcitest_error::eopnotsupp);
    }
    if (opt_.irq_type != IRQ_TYPE_MSI || fn_.msi_vectors == 0) {
        step("caps", false, std::string(d) + ": only MSI is supported here and it must be enabled");
        return finish(pcitest_error::einval);
    }
    step("caps", true, d);

    // Disable again after a failure past a successful enable (Linux does not).
    auto cleanup = [&] {
        if (!opt_.cleanup_on_error)
            return;
        const pcitest_irq irq = command(COMMAND_DISABLE_DOORBELL, 1);
        r.disabled = true;
        r.disable_irq = irq;
        r.disable_status = read(STATUS);
        std::snprintf(d, sizeof d, "STATUS 0x%x", r.disable_status);
        step("cleanup disable", irq.received && (r.disable_status & STATUS_DOORBELL_DISABLE_SUCCESS), d);
    };

    // 2. Enable.
    r.enable_irq = command(COMMAND_ENABLE_DOORBELL, 1);
    r.enable_status = read(STATUS);
    std::snprintf(d, sizeof d, "STATUS 0x%x%s", r.enable_status, r.enable_irq.received ? "" : ", no interrupt");
    if (!r.enable_irq.received || (r.enable_status & STATUS_DOORBELL_ENABLE_FAIL)) {
        step("enable", false, std::string(d) + ": Failed to enable doorbell");
        return finish(pcitest_error::einval);
    }
    step("enable", true, d);

    // 3. Where and what to ring.
    r.db_data = read(DB_DATA);
    r.db_offset = read(DB_OFFSET);
    r.db_bar = read(DB_BAR);
    write(IRQ_TYPE, opt_.irq_type);
    write(IRQ_NUMBER, 1);
    write(STATUS, 0);
    std::snprintf(d, sizeof d, "DB_BAR %d, DB_OFFSET 0x%x, DB_DATA 0x%x", static_cast<int>(r.db_bar), r.db_offset,
                  r.db_data);
    step("read doorbell", true, d);

    // 4. Validate.
    const int bar = static_cast<int>(r.db_bar);
    if (bar < 0 || bar > 5) {
        step("validate", false, "Invalid doorbell BAR " + std::to_string(bar));
        cleanup();
        return finish(pcitest_error::erange);
    }
    const std::uint64_t base = bar_address(static_cast<unsigned>(bar));
    if (!base) {
        step("validate", false, "BAR" + std::to_string(bar) + " is not mapped by the host");
        cleanup();
        return finish(pcitest_error::einval);
    }
    if (std::uint64_t{r.db_offset} + 4 > fn_.bars[bar].size) {
        std::snprintf(d, sizeof d, "DB_OFFSET 0x%x is outside BAR%d (0x%llx bytes)", r.db_offset, bar,
                      static_cast<unsigned long long>(fn_.bars[bar].size));
        step("validate", false, d);
        cleanup();
        return finish(pcitest_error::erange);
    }
    step("validate", true, "BAR" + std::to_string(bar));

    // 5. Ring: one 32-bit posted write.
    r.doorbell_address = base + r.db_offset;
    r.rang_ns = h_.now_ns();
    h_.mem_write(r.doorbell_address, &r.db_data, 4);
    std::snprintf(d, sizeof d, "0x%x -> 0x%llx (BAR%d+0x%x)", r.db_data,
                  static_cast<unsigned long long>(r.doorbell_address), bar, r.db_offset);
    step("ring", true, d);

    // 6. The endpoint's answer.
    r.ring_irq = wait_irq(opt_.irq_timeout_ns);
    r.ring_status = read(STATUS);
    const bool rang = r.ring_irq.received && (r.ring_status & STATUS_DOORBELL_SUCCESS);
    std::snprintf(d, sizeof d, "STATUS 0x%x%s", r.ring_status, r.ring_irq.received ? "" : ", no interrupt");
    if (r.ring_irq.received) {
        char lat[64];
        std::snprintf(lat, sizeof lat, ", MSI %lld ns after the ring",
                      static_cast<long long>(r.ring_irq.msi.time_ns) - static_cast<long long>(r.rang_ns));
        std::strncat(d, lat, sizeof d - std::strlen(d) - 1);
    }
    step("doorbell", rang, rang ? std::string(d) : std::string(d) + ": Failed to trigger doorbell in endpoint");

    // 7. Disable.
    r.disable_irq = command(COMMAND_DISABLE_DOORBELL, 1);
    r.disabled = true;
    r.disable_status = read(STATUS);
    r.status = r.ring_status | r.disable_status;
    std::snprintf(d, sizeof d, "STATUS 0x%x%s", r.disable_status, r.disable_irq.received ? "" : ", no interrupt");
    if (r.status & STATUS_DOORBELL_DISABLE_FAIL) {
        step("disable", false, std::string(d) + ": Failed to disable doorbell");
        return finish(pcitest_error::einval);
    }
    step("disable", true, d);
    if (!(r.status & STATUS_DOORBELL_SUCCESS)) {
        step("result", false, "no DOORBELL_SUCCESS");
        return finish(pcitest_error::einval);
    }
    step("result", true, "");
    return finish(pcitest_error::ok);
}

msi_test_report pci_endpoint_test::msi_test(unsigned irq_number) {
    msi_test_report r;
    const std::size_t log_start = log_.size();
    auto finish = [&](pcitest_error e) -> msi_test_report& {
        r.error = e;
        r.ok = e == pcitest_error::ok;
        logf("MSI test %u: %s", irq_number, to_string(e));
        r.log.assign(log_.begin() + static_cast<std::ptrdiff_t>(log_start), log_.end());
        return r;
    };
    if (!bound_)
        return finish(pcitest_error::enodev);
    if (irq_number == 0 || irq_number > fn_.msi_vectors) {
        logf("MSI %u is outside the %u vector(s) enabled", irq_number, fn_.msi_vectors);
        return finish(pcitest_error::einval);
    }
    r.irq = command(COMMAND_RAISE_MSI_IRQ, irq_number);
    if (!r.irq.received)
        return finish(pcitest_error::etimedout);
    if (r.irq.vector != irq_number) {
        logf("interrupt on vector %u, expected %u", r.irq.vector, irq_number);
        return finish(pcitest_error::einval);
    }
    return finish(pcitest_error::ok);
}

doorbell_test_report run_doorbell_test(hal& h, const enum_config& cfg, const pcitest_options& opt) {
    pci_endpoint_test t(h, opt);
    const enum_result en = enumerate(h, cfg);
    t.bind(en);
    doorbell_test_report r = t.doorbell_test();
    r.log = t.log(); // with the bind lines
    return r;
}

} // namespace dbvp::host
