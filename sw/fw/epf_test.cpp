#include "dbvp/fw/epf_test.h"

#include "dbvp/fw/fdt.h"
#include "dbvp/util/format.h"

#include <algorithm>
#include <string>
#include <vector>

namespace dbvp::epf {

namespace {
std::string bar_name(int bar) { return "BAR" + std::to_string(bar); }
} // namespace

epf_test::epf_test(fw::endpoint& ep, const epf_test_options& opt, epf_test_state* state)
    : ep_(ep), hal_(ep.hw()), opt_(opt), st_(state ? *state : own_) {}

epf_test::~epf_test() {
    if (db_alloc_ || db_irq_)
        release_doorbell();
}

std::uint32_t epf_test::rd(std::uint32_t off) { return hal_.read32(st_.reg_phys + off); }
void epf_test::wr(std::uint32_t off, std::uint32_t v) { hal_.write32(st_.reg_phys + off, v); }
void epf_test::set_status(std::uint32_t bits) { wr(REG_STATUS, rd(REG_STATUS) | bits); }

void epf_test::fail(const std::string& why) {
    st_.last_error = why;
    hal_.log(("pci-epf-test: " + why).c_str());
}

fw::status epf_test::bind() {
    fw::dwc_ep_driver& ep = ep_.controller();
    const unsigned f = opt_.function;
    if (f >= ep.num_functions())
        return {fw::errc::invalid_argument, "no function " + std::to_string(f)};
    if (opt_.test_reg_bar > 5)
        return {fw::errc::invalid_argument, "test register BAR " + std::to_string(opt_.test_reg_bar)};
    if (opt_.poll_period_ns == 0)
        return {fw::errc::invalid_argument, "command poll period 0"};
    const fw::epc_features& feat = ep.features();
    const std::uint64_t align = std::max<std::uint64_t>(ep.region_align(), 1);
    std::uint32_t caps = CAP_MSI;
    if (feat.dynamic_inbound_mapping)
        caps |= CAP_DYNAMIC_INBOUND_MAPPING;
    if (feat.dynamic_inbound_mapping && feat.subrange_mapping)
        caps |= CAP_SUBRANGE_MAPPING;
    for (unsigned b = 0; b < 6; ++b) {
        const fw::bar_feature& bf = feat.bars[b];
        std::uint64_t size = 0;
        switch (bf.kind) {
        case fw::bar_kind::reserved: caps |= cap_bar_reserved(b); continue;
        case fw::bar_kind::disabled: continue;
        case fw::bar_kind::resizable: // this firmware does not drive REBAR
            hal_.log(("pci-epf-test: " + bar_name(static_cast<int>(b)) + " is resizable: not used").c_str());
            continue;
        case fw::bar_kind::fixed: size = bf.fixed_size; break;
        case fw::bar_kind::programmable: size = opt_.bar_size[b]; break;
        }
        if (size == 0)
            continue;
        if (b > 0 && bars_[b - 1].programmed && bars_[b - 1].flags.is64)
            continue; // the upper half of a 64-bit BAR
        fw::bar_flags flags;
        flags.is64 = bf.only_64bit || size > (1ull << 31);
        if (flags.is64 && (b & 1)) {
            hal_.log(("pci-epf-test: " + bar_name(static_cast<int>(b)) + " would be 64-bit on an odd BAR: not used")
                         .c_str());
            continue;
        }
        const std::uint64_t backing = std::max(size, align);
        auto phys = ep_.pool().alloc(backing, backing);
        if (!phys)
            return {phys.error().code(), bar_name(static_cast<int>(b)) + " backing: " + phys.error().message()};
        if (auto s = ep.configure_bar(f, b, size, flags); !s)
            return {s.code(), bar_name(static_cast<int>(b)) + ": " + s.message()};
        if (auto s = ep.map_bar(f, b, phys.value()); !s)
            return {s.code(), bar_name(static_cast<int>(b)) + " inbound window: " + s.message()};
        bars_[b] = {true, size, phys.value(), flags, false};
        st_.bar_phys[b] = phys.value();
    }
    const bar_slot& reg = bars_[opt_.test_reg_bar];
    if (!reg.programmed)
        return {fw::errc::no_device, "test register BAR " + std::to_string(opt_.test_reg_bar) +
                                         " cannot be programmed by the function"};
    if (reg.size < REG_BLOCK_SIZE)
        return {fw::errc::invalid_argument, "test register BAR is smaller than the register block"};
    st_.reg_phys = reg.phys;
    // Behind an i.MX95 LUT, host requests (requester ID 0 on an endpoint) only get the controller's StreamID
    // once the LUT entry exists; fw::endpoint::boot() / msi_platform::attach() leave it to the first MSI
    // doorbell, so BAR traffic would hit the SMMU with the default StreamID until then. Write it now (once).
    if (ep_.irqs().lut()) {
        fw::fdt_view dt(hal_.fdt());
        if (dt.has(ep.node(), "iommu-map")) {
            auto sid = dt.map_id(ep.node(), "iommu-map", "iommu-map-mask", 0);
            if (!sid)
                return {sid.error().code(), "iommu-map: " + sid.error().message()};
            if (auto s = ep_.irqs().ensure_lut_entry(sid.value(),
                                                     static_cast<std::uint16_t>(opt_.endpoint.doorbells.lut_mask));
                !s)
                return {s.code(), "LUT: " + s.message()};
        }
    }
    for (std::uint32_t off = 0; off < REG_BLOCK_SIZE; off += 4)
        wr(off, 0);
    wr(REG_DB_BAR, DB_BAR_NONE);
    st_.caps = caps & ~opt_.caps_hide;
    wr(REG_CAPS, st_.caps);
    st_.bound = true;
    hal_.log(("pci-epf-test: function " + std::to_string(f) + ", registers in " +
              bar_name(static_cast<int>(opt_.test_reg_bar)) + " at " + hex(st_.reg_phys) + ", CAPS " + hex(st_.caps))
                 .c_str());
    next_cmd_ns_ = hal_.now_ns() + opt_.poll_period_ns;
    return {};
}

void epf_test::run(const std::function<bool()>& stop) {
    while (!stop || !stop())
        step();
}

void epf_test::step() {
    doorbell_work();
    if (!st_.bound) {
        hal_.wait_for_interrupt(opt_.poll_period_ns);
        return;
    }
    std::uint64_t now = hal_.now_ns();
    if (poll_backend_ && now >= ep_.doorbells().next_poll_ns()) {
        ep_.doorbells().service();
        doorbell_work();
        now = hal_.now_ns();
    }
    if (now >= next_cmd_ns_) {
        handle_command();
        doorbell_work();
        next_cmd_ns_ = hal_.now_ns() + opt_.poll_period_ns;
        return;
    }
    std::uint64_t until = next_cmd_ns_;
    if (poll_backend_)
        until = std::min(until, std::max(ep_.doorbells().next_poll_ns(), now + 1));
    if (until > now)
        hal_.wait_for_interrupt(until - now);
}

void epf_test::handle_command() {
    const std::uint32_t cmd = rd(REG_COMMAND);
    if (!cmd)
        return;
    ++st_.commands;
    wr(REG_COMMAND, 0);
    wr(REG_STATUS, 0);
    const std::uint32_t irq_type = rd(REG_IRQ_TYPE);
    if (irq_type > IRQ_TYPE_MSIX) {
        ++st_.invalid_commands;
        fail("invalid IRQ type " + std::to_string(irq_type) + " for command " + hex(cmd));
        return;
    }
    if (rd(REG_FLAGS) & FLAG_USE_DMA) {
        // No DMA transfers in this function: refuse the transfer commands that ask for it.
        if (cmd == CMD_READ || cmd == CMD_WRITE || cmd == CMD_COPY) {
            ++st_.invalid_commands;
            fail("FLAG_USE_DMA: this function has no DMA transfers");
            return;
        }
    }
    switch (cmd) {
    case CMD_RAISE_INTX:
    case CMD_RAISE_MSI:
    case CMD_RAISE_MSIX: raise_irq(); break;
    case CMD_READ:
        fail("READ is not implemented");
        set_status(STS_READ_FAIL);
        raise_irq();
        break;
    case CMD_WRITE:
        fail("WRITE is not implemented");
        set_status(STS_WRITE_FAIL);
        raise_irq();
        break;
    case CMD_COPY:
        fail("COPY is not implemented");
        set_status(STS_COPY_FAIL);
        raise_irq();
        break;
    case CMD_ENABLE_DOORBELL:
        enable_doorbell();
        raise_irq();
        break;
    case CMD_DISABLE_DOORBELL:
        disable_doorbell();
        raise_irq();
        break;
    case CMD_BAR_SUBRANGE_SETUP:
        subrange_setup();
        raise_irq();
        break;
    case CMD_BAR_SUBRANGE_CLEAR:
        subrange_clear();
        raise_irq();
        break;
    default:
        ++st_.invalid_commands;
        fail("invalid command " + hex(cmd));
        break;
    }
}

void epf_test::raise_irq() {
    const std::uint32_t type = rd(REG_IRQ_TYPE);
    const std::uint32_t number = rd(REG_IRQ_NUMBER);
    // STATUS first: the host reads it as soon as the interrupt arrives.
    set_status(STS_IRQ_RAISED);
    fw::status s;
    if (type == IRQ_TYPE_MSI)
        s = ep_.controller().raise_msi(opt_.function, number);
    else
        s = {fw::errc::not_supported, std::string(type == IRQ_TYPE_INTX ? "INTx" : "MSI-X") +
                                          " is not supported by this function"};
    if (s) {
        ++st_.irqs_raised;
        return;
    }
    ++st_.irq_failures;
    wr(REG_STATUS, rd(REG_STATUS) & ~STS_IRQ_RAISED);
    fail("raise IRQ " + std::to_string(number) + ": " + s.message());
}

int epf_test::next_free_bar() const {
    for (unsigned b = opt_.test_reg_bar + 1; b < 6; ++b)
        if (bars_[b].programmed)
            return static_cast<int>(b);
    return fw::NO_BAR;
}

fw::status epf_test::release_doorbell() {
    fw::status first;
    auto keep = [&](const fw::status& s) {
        if (!s && first)
            first = s;
    };
    if (db_irq_) {
        hal_.free_irq(db_irq_);
        db_irq_ = 0;
    }
    if (db_alloc_) {
        keep(ep_.doorbells().free(opt_.function)); // also drops a poll listener
        db_alloc_ = false;
    }
    poll_backend_ = false;
    if (st_.db_bar_programmed && st_.db_bar >= 0) {
        const bar_slot& b = bars_[static_cast<unsigned>(st_.db_bar)];
        keep(ep_.controller().map_bar(opt_.function, static_cast<unsigned>(st_.db_bar), b.phys));
        st_.db_bar_programmed = false;
    }
    st_.doorbell_held = false;
    db_pending_ = 0;
    return first;
}

void epf_test::enable_doorbell() {
    auto failed = [&](const std::string& why) {
        fail("enable doorbell: " + why);
        ++st_.enable_failures;
        set_status(STS_DOORBELL_ENABLE_FAIL);
    };
    fw::doorbell_requirements req;
    req.backend = opt_.doorbell_backend;
    auto got = ep_.doorbells().alloc(opt_.function, 1, req);
    if (got || got.error().code() != fw::errc::busy) // a busy one tried no backend: the held one's reasons stay
        st_.backend_reasons = ep_.doorbells().last_reasons();
    if (!got)
        return failed(got.error().message()); // busy when one is held: the held one stays as it is
    if (got->empty()) {
        ep_.doorbells().free(opt_.function);
        return failed("the allocator returned no doorbell");
    }
    db_alloc_ = true;
    const fw::doorbell db = got->front();
    st_.doorbell = db;
    st_.db_bar_programmed = false;
    int bar = db.bar;
    std::uint64_t offset = db.offset;
    if (bar == fw::NO_BAR) {
        bar = next_free_bar();
        if (bar == fw::NO_BAR) {
            release_doorbell();
            return failed("no free BAR after " + bar_name(static_cast<int>(opt_.test_reg_bar)) +
                          " to expose the doorbell");
        }
    } else if (bar < 0 || bar > 5) {
        release_doorbell();
        return failed("doorbell exposed in an invalid BAR " + std::to_string(bar));
    }
    st_.db_bar = bar;
    st_.db_offset = offset;

    // The interrupt, with the flags the doorbell names (a poll doorbell has none: the loop scans it).
    if (db.backend == fw::doorbell_backend::poll) {
        auto s = ep_.doorbells().listen(opt_.function, 0, [this](unsigned) { ++db_pending_; });
        if (!s) {
            release_doorbell();
            return failed("listen: " + s.message());
        }
        poll_backend_ = true;
    } else {
        auto h = hal_.request_irq(
            db.irq, [this](unsigned) { ++db_pending_; }, db.irq_flags, "pci-ep-test-doorbell");
        if (!h) {
            release_doorbell();
            return failed("request IRQ " + std::to_string(db.irq) + ": " + h.error().message());
        }
        db_irq_ = h.value();
    }

    if (db.bar == fw::NO_BAR) {
        // Dynamic inbound mapping: the same BAR, same size, now pointing at the doorbell target.
        fw::dwc_ep_driver& ep = ep_.controller();
        const auto ub = static_cast<unsigned>(bar);
        std::uint64_t base = 0;
        if (auto s = ep.align_inbound_addr(opt_.function, ub, db.address, base, offset); !s) {
            release_doorbell();
            return failed("align inbound address " + hex(db.address) + ": " + s.message());
        }
        if (auto s = ep.configure_bar(opt_.function, ub, bars_[ub].size, bars_[ub].flags); !s) {
            release_doorbell();
            return failed(bar_name(bar) + ": " + s.message());
        }
        st_.db_bar_programmed = true; // from here on, DISABLE (or a failure) restores the BAR's own backing
        bars_[ub].subranged = false;
        if (auto s = ep.map_bar(opt_.function, ub, base); !s) {
            release_doorbell();
            return failed("map " + bar_name(bar) + " onto " + hex(base) + ": " + s.message());
        }
        st_.db_offset = offset;
    }
    wr(REG_DB_DATA, db.data);
    wr(REG_DB_OFFSET, static_cast<std::uint32_t>(st_.db_offset));
    wr(REG_DB_BAR, static_cast<std::uint32_t>(bar));
    st_.doorbell_held = true;
    ++st_.doorbells_enabled;
    set_status(STS_DOORBELL_ENABLE_SUCCESS);
    hal_.log(("pci-epf-test: doorbell enabled (" + std::string(fw::to_string(db.backend)) + "): " + bar_name(bar) +
              "+" + hex(st_.db_offset) + " -> " + hex(db.address) + ", data " + hex(db.data) + ", IRQ " +
              std::to_string(db.irq))
                 .c_str());
}

void epf_test::disable_doorbell() {
    if (!st_.doorbell_held) {
        fail("disable doorbell: no doorbell is enabled");
        ++st_.disable_failures;
        set_status(STS_DOORBELL_DISABLE_FAIL);
        return;
    }
    const fw::status s = release_doorbell();
    wr(REG_DB_BAR, DB_BAR_NONE);
    wr(REG_DB_OFFSET, 0);
    wr(REG_DB_DATA, 0);
    if (!s) {
        fail("disable doorbell: " + s.message());
        ++st_.disable_failures;
        set_status(STS_DOORBELL_DISABLE_FAIL);
        return;
    }
    ++st_.doorbells_disabled;
    set_status(STS_DOORBELL_DISABLE_SUCCESS);
    hal_.log("pci-epf-test: doorbell disabled");
}

void epf_test::doorbell_work() {
    // The threaded half of the doorbell interrupt: note the ring, tell the host.
    while (db_pending_) {
        --db_pending_;
        if (!st_.doorbell_held)
            continue;
        ++st_.doorbells_rung;
        set_status(STS_DOORBELL_SUCCESS);
        raise_irq();
    }
}

void epf_test::subrange_setup() {
    auto failed = [&](const std::string& why) {
        fail("BAR sub-range setup: " + why);
        set_status(STS_BAR_SUBRANGE_SETUP_FAIL);
    };
    if (!(st_.caps & CAP_SUBRANGE_MAPPING))
        return failed("not supported");
    const std::uint32_t b = rd(REG_SIZE);
    if (b > 5 || !bars_[b].programmed || b == opt_.test_reg_bar)
        return failed("BAR " + std::to_string(b) + " is not a test BAR");
    if (st_.doorbell_held && st_.db_bar == static_cast<int>(b))
        return failed(bar_name(static_cast<int>(b)) + " exposes the doorbell");
    bar_slot& s = bars_[b];
    const std::uint64_t half = s.size / 2;
    const std::vector<fw::bar_subrange> map{{s.phys + half, half}, {s.phys, half}};
    if (auto st = ep_.controller().map_bar_subranges(opt_.function, b, map); !st) {
        if (st.code() == fw::errc::no_space)
            set_status(STS_NO_RESOURCE);
        // Nothing of the BAR is mapped after a failure: give it its BAR-match window back.
        ep_.controller().map_bar(opt_.function, b, s.phys);
        s.subranged = false;
        return failed(st.message());
    }
    s.subranged = true;
    set_status(STS_BAR_SUBRANGE_SETUP_SUCCESS);
}

void epf_test::subrange_clear() {
    auto failed = [&](const std::string& why) {
        fail("BAR sub-range clear: " + why);
        set_status(STS_BAR_SUBRANGE_CLEAR_FAIL);
    };
    const std::uint32_t b = rd(REG_SIZE);
    if (b > 5 || !bars_[b].programmed || !bars_[b].subranged)
        return failed("BAR " + std::to_string(b) + " has no sub-range mapping");
    if (auto st = ep_.controller().map_bar(opt_.function, b, bars_[b].phys); !st)
        return failed(st.message());
    bars_[b].subranged = false;
    set_status(STS_BAR_SUBRANGE_CLEAR_SUCCESS);
}

void run_epf_test(fw::hal& h, const epf_test_options& opt, epf_test_state& state,
                  const std::function<bool()>& stop) {
    fw::endpoint ep(h);
    auto bad = [&](const std::string& what, const fw::status& s) {
        state.error = what + ": " + s.message();
        h.log(("pci-epf-test: " + state.error).c_str());
    };
    if (auto s = ep.boot(opt.endpoint); !s)
        return bad("boot", s);
    epf_test fn(ep, opt, &state);
    if (auto s = fn.bind(); !s)
        return bad("bind", s);
    if (auto s = ep.start_link(opt.link_timeout_ns); !s)
        return bad("link", s);
    state.link_up = true;
    fn.run(stop);
}

} // namespace dbvp::epf
