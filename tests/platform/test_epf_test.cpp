// The endpoint test function (sw/fw/epf_test, register-compatible with Linux pci-epf-test) and the host side of
// pci_endpoint_test (sw/host/pci_endpoint_test) on the platform: the doorbell test of every backend and
// platform, a doorbell lost in hardware, an ENABLE while one is held, the capability check, MSI and sub-ranges.
#include "dbvp/fw/epf_test.h"
#include "dbvp/host/pci_endpoint_test.h"
#include "dbvp/platform/platform.h"
#include "reports.h"

#include <gtest/gtest.h>

#include <string>

using namespace dbvp;
using fw::doorbell_backend;
namespace pt = host::pcitest;

// The two register maps were written separately (as the Linux EP and host drivers are): they must agree.
static_assert(epf::REG_COMMAND == pt::COMMAND && epf::REG_STATUS == pt::STATUS && epf::REG_SIZE == pt::SIZE);
static_assert(epf::REG_IRQ_TYPE == pt::IRQ_TYPE && epf::REG_IRQ_NUMBER == pt::IRQ_NUMBER && epf::REG_FLAGS == pt::FLAGS);
static_assert(epf::REG_CAPS == pt::CAPS && epf::REG_DB_BAR == pt::DB_BAR && epf::REG_DB_OFFSET == pt::DB_OFFSET &&
              epf::REG_DB_DATA == pt::DB_DATA);
static_assert(epf::CMD_RAISE_MSI == pt::COMMAND_RAISE_MSI_IRQ && epf::CMD_ENABLE_DOORBELL == pt::COMMAND_ENABLE_DOORBELL &&
              epf::CMD_DISABLE_DOORBELL == pt::COMMAND_DISABLE_DOORBELL &&
              epf::CMD_BAR_SUBRANGE_SETUP == pt::COMMAND_BAR_SUBRANGE_SETUP &&
              epf::CMD_BAR_SUBRANGE_CLEAR == pt::COMMAND_BAR_SUBRANGE_CLEAR);
static_assert(epf::STS_IRQ_RAISED == pt::STATUS_IRQ_RAISED && epf::STS_DOORBELL_SUCCESS == pt::STATUS_DOORBELL_SUCCESS &&
              epf::STS_DOORBELL_ENABLE_SUCCESS == pt::STATUS_DOORBELL_ENABLE_SUCCESS &&
              epf::STS_DOORBELL_ENABLE_FAIL == pt::STATUS_DOORBELL_ENABLE_FAIL &&
              epf::STS_DOORBELL_DISABLE_SUCCESS == pt::STATUS_DOORBELL_DISABLE_SUCCESS &&
              epf::STS_DOORBELL_DISABLE_FAIL == pt::STATUS_DOORBELL_DISABLE_FAIL &&
              epf::STS_BAR_SUBRANGE_SETUP_SUCCESS == pt::STATUS_BAR_SUBRANGE_SETUP_SUCCESS &&
              epf::STS_NO_RESOURCE == pt::STATUS_NO_RESOURCE);
static_assert(epf::CAP_MSI == pt::CAP_MSI && epf::CAP_DYNAMIC_INBOUND_MAPPING == pt::CAP_DYNAMIC_INBOUND_MAPPING &&
              epf::CAP_SUBRANGE_MAPPING == pt::CAP_SUBRANGE_MAPPING && epf::cap_bar_reserved(0) == pt::CAP_BAR0_RESERVED);

namespace {

const std::string IMX95 = std::string(DBVP_SOURCE_DIR) + "/tests/data/imx95-like.dts";
const std::string RK3588 = std::string(DBVP_SOURCE_DIR) + "/tests/data/rk3588-like.dts";
constexpr std::uint64_t GITS_TRANSLATER = 0x48050040;
constexpr std::uint64_t EDMA_DOORBELL = 0x403800a0;

struct run {
    epf::epf_test_state fw;
    host::doorbell_test_report report;
};

std::string text(const run& r, platform::platform& p) {
    std::string s = "host:\n";
    for (const auto& l : r.report.log)
        s += "  " + l + "\n";
    return s + "endpoint:\n" + p.cpu().console_text();
}

/// The firmware with `opt`, the host's doorbell test.
void doorbell_test(platform::platform& p, const epf::epf_test_options& opt, run& r) {
    p.set_firmware([&r, opt](fw::hal& h) { epf::run_epf_test(h, opt, r.fw); });
    p.set_host_software([&](host::hal& h) { r.report = host::run_doorbell_test(h, p.enumeration_config()); });
    ASSERT_TRUE(p.run(sc_core::sc_time(10, sc_core::SC_SEC))) << text(r, p);
    ASSERT_TRUE(r.fw.bound) << r.fw.error << "\n" << text(r, p);
}

epf::epf_test_options with_backend(doorbell_backend b) {
    epf::epf_test_options o;
    o.doorbell_backend = b;
    return o;
}

/// Checks every passing doorbell test shares.
void expect_passed(const run& r, platform::platform& p, doorbell_backend backend) {
    EXPECT_TRUE(r.report.ok) << text(r, p);
    EXPECT_EQ(r.report.error, host::pcitest_error::ok) << host::to_string(r.report.error);
    for (const char* s : {"caps", "enable", "read doorbell", "validate", "ring", "doorbell", "disable", "result"}) {
        const host::pcitest_step* st = r.report.step(s);
        ASSERT_NE(st, nullptr) << s << "\n" << text(r, p);
        EXPECT_TRUE(st->ok) << s << ": " << st->detail;
    }
    EXPECT_TRUE(r.report.caps & pt::CAP_MSI);
    EXPECT_TRUE(r.report.caps & pt::CAP_DYNAMIC_INBOUND_MAPPING);
    EXPECT_TRUE(r.report.caps & pt::CAP_SUBRANGE_MAPPING);
    EXPECT_TRUE(r.report.enable_status & pt::STATUS_DOORBELL_ENABLE_SUCCESS);
    EXPECT_TRUE(r.report.enable_status & pt::STATUS_IRQ_RAISED);
    EXPECT_TRUE(r.report.ring_status & pt::STATUS_DOORBELL_SUCCESS);
    EXPECT_TRUE(r.report.disable_status & pt::STATUS_DOORBELL_DISABLE_SUCCESS);
    EXPECT_TRUE(r.report.enable_irq.received && r.report.ring_irq.received && r.report.disable_irq.received);
    EXPECT_EQ(r.report.ring_irq.vector, 1u);
    EXPECT_EQ(r.fw.doorbell.backend, backend) << fw::to_string(r.fw.doorbell.backend);
    EXPECT_EQ(r.fw.doorbells_enabled, 1u);
    EXPECT_EQ(r.fw.doorbells_rung, 1u);
    EXPECT_EQ(r.fw.doorbells_disabled, 1u);
    EXPECT_EQ(r.fw.commands, 2u) << "ENABLE and DISABLE";
    EXPECT_FALSE(r.fw.doorbell_held);
    EXPECT_TRUE(p.ep().incidents().empty());
    // Every log line carries the host time.
    ASSERT_FALSE(r.report.log.empty());
    for (const auto& l : r.report.log)
        EXPECT_EQ(l.rfind("[", 0), 0u) << l;
}

/// The doorbell BAR reads back the function's own RAM after DISABLE.
void expect_bar_restored(const run& r, platform::platform& p, unsigned bar) {
    const std::uint64_t addr = p.ep().bar_address(0, bar);
    ASSERT_NE(addr, 0u);
    const auto t = p.ep().translate_inbound(addr);
    EXPECT_TRUE(t.hit);
    EXPECT_EQ(t.target, r.fw.bar_phys[bar]) << "BAR" << bar << " points at its RAM again";
}

} // namespace

TEST(EpfTest, GenericDefaultOrderUsesTheMsiBackend) {
    platform::platform p("platform", {});
    run r;
    doorbell_test(p, {}, r);
    expect_passed(r, p, doorbell_backend::msi);
    EXPECT_EQ(r.fw.doorbell.address, GITS_TRANSLATER);
    EXPECT_EQ(r.report.db_bar, 1u) << "the next BAR after test_reg_bar 0";
    EXPECT_EQ(r.report.db_offset, 0x10040u) << "GITS_TRANSLATER aligned down to the 128 KiB BAR";
    EXPECT_EQ(r.report.db_data, 0u) << "EventID 0";
    EXPECT_TRUE(r.fw.doorbell.irq >= 8192u);
    EXPECT_TRUE(p.its()->drops().empty());
    EXPECT_EQ(p.its()->stats().lpis, 1u);
    // The doorbell interrupt path is not polled: the MSI is back well within the 1 ms command period.
    const auto lat = static_cast<std::int64_t>(r.report.ring_irq.msi.time_ns - r.report.rang_ns);
    EXPECT_GT(lat, 0);
    EXPECT_LT(lat, 100000) << "ns";
    // Commands are polled every 1 ms: ENABLE is answered after up to ~1 ms.
    EXPECT_GT(r.report.enable_irq.msi.time_ns, 0u);
    expect_bar_restored(r, p, 1);
}

TEST(EpfTest, GenericEmbeddedBackendForced) {
    platform::platform p("platform", {});
    run r;
    doorbell_test(p, with_backend(doorbell_backend::embedded), r);
    expect_passed(r, p, doorbell_backend::embedded);
    EXPECT_EQ(r.fw.doorbell.address, EDMA_DOORBELL);
    EXPECT_EQ(r.fw.doorbell.irq_flags, fw::irq_shared);
    EXPECT_EQ(r.report.db_bar, 1u);
    EXPECT_EQ(r.report.db_offset, 0xa0u);
    EXPECT_EQ(r.report.db_data, 0u);
    EXPECT_TRUE(r.fw.db_bar_programmed == false) << "restored at DISABLE";
    EXPECT_EQ(p.edma()->stats().emulated, 1u);
    EXPECT_FALSE(p.edma()->irq(0).level());
    expect_bar_restored(r, p, 1);
}

TEST(EpfTest, GenericPollBackendForced) {
    platform::platform p("platform", {});
    run r;
    doorbell_test(p, with_backend(doorbell_backend::poll), r);
    expect_passed(r, p, doorbell_backend::poll);
    EXPECT_EQ(r.report.db_bar, 1u);
    EXPECT_EQ(r.report.db_data, 1u);
    EXPECT_EQ(r.fw.doorbell.irq, 0u);
    // The slot is scanned every 1 ms: the answer comes within a scan period (and the MSI path).
    const auto lat = static_cast<std::int64_t>(r.report.ring_irq.msi.time_ns - r.report.rang_ns);
    EXPECT_GT(lat, 0);
    EXPECT_LT(lat, 1100000) << "ns";
    EXPECT_TRUE(p.its()->drops().empty());
    EXPECT_EQ(p.its()->stats().lpis, 0u);
    expect_bar_restored(r, p, 1);
}

TEST(EpfTest, Imx95ThroughTheLutAndTheSmmu) {
    platform::platform p("platform", {IMX95, {}});
    run r;
    doorbell_test(p, {}, r);
    expect_passed(r, p, doorbell_backend::msi);
    EXPECT_EQ(r.report.db_bar, 1u);
    EXPECT_EQ(r.report.db_offset, 0x10040u);
    ASSERT_NE(p.smmu(), nullptr);
    EXPECT_GE(p.smmu()->stats().translated, 1u) << "the doorbell went through the SMMU";
    EXPECT_TRUE(p.smmu()->events().empty());
    EXPECT_TRUE(p.its()->drops().empty());
    EXPECT_EQ(p.glue().lookup(0).lut_entry, 0);
    expect_bar_restored(r, p, 1);
}

TEST(EpfTest, Rk3588EmbeddedDoorbellIsPreExposedInBar4) {
    platform::platform p("platform", {RK3588, {}});
    run r;
    doorbell_test(p, with_backend(doorbell_backend::embedded), r);
    expect_passed(r, p, doorbell_backend::embedded);
    EXPECT_EQ(r.report.db_bar, 4u);
    EXPECT_EQ(r.report.db_offset, 0xa0u);
    EXPECT_EQ(r.fw.doorbell.bar, 4);
    EXPECT_FALSE(r.fw.db_bar_programmed) << "a pre-exposed doorbell needs no BAR programming";
    EXPECT_TRUE(r.report.caps & (pt::CAP_BAR0_RESERVED << 4)) << "BAR4_RESERVED";
    EXPECT_EQ(r.fw.bar_phys[4], 0u) << "the function does not program the reserved BAR";
    EXPECT_EQ(p.edma()->stats().emulated, 1u);
    EXPECT_EQ(r.report.doorbell_address, p.ep().bar_address(0, 4) + 0xa0);
    for (const auto& i : p.ep().incidents())
        ADD_FAILURE() << pcie::dwc_ep::to_string(i.kind);
}

TEST(EpfTest, DoorbellLostInTheItsIsReported) {
    // The host's root port at 00:01.0: its writes carry requester ID 8, the SoC gives them DeviceID 8, the
    // allocator mapped DeviceID 0 (msi-map for requester ID 0): the ITS drops the doorbell.
    platform::platform p("platform", {"generic", {"host/dbvp,root-port=0x8"}});
    run r;
    doorbell_test(p, {}, r);
    EXPECT_FALSE(r.report.ok);
    EXPECT_EQ(r.report.error, host::pcitest_error::einval) << host::to_string(r.report.error);
    ASSERT_NE(r.report.step("enable"), nullptr);
    EXPECT_TRUE(r.report.step("enable")->ok);
    ASSERT_NE(r.report.step("doorbell"), nullptr) << text(r, p);
    EXPECT_FALSE(r.report.step("doorbell")->ok);
    EXPECT_NE(r.report.step("doorbell")->detail.find("Failed to trigger doorbell"), std::string::npos);
    EXPECT_FALSE(r.report.ring_irq.received);
    EXPECT_FALSE(r.report.ring_status & pt::STATUS_DOORBELL_SUCCESS);
    ASSERT_NE(r.report.step("disable"), nullptr);
    EXPECT_TRUE(r.report.step("disable")->ok) << "the doorbell is still disabled cleanly";
    EXPECT_EQ(r.fw.doorbells_rung, 0u);
    EXPECT_EQ(r.fw.doorbells_disabled, 1u);
    ASSERT_EQ(p.its()->drops().size(), 1u) << text(r, p);
    const auto& d = p.its()->drops().front();
    EXPECT_EQ(d.reason, gic::gicv3_its::drop_reason::device_unmapped);
    EXPECT_TRUE(d.has_device_id);
    EXPECT_EQ(d.device_id, 8u) << "the drop names the DeviceID the hardware derived";
    EXPECT_EQ(d.event_id, r.report.db_data);
    EXPECT_TRUE(p.ep().incidents().empty()) << "the endpoint delivered the write";
}

TEST(EpfTest, EnableTwiceFailsTheSecondAndKeepsTheFirst) {
    platform::platform p("platform", {});
    epf::epf_test_state st;
    std::uint32_t first = 0, second = 0, ring = 0, disable = 0;
    host::doorbell_test_report again;
    std::vector<std::string> log;
    p.set_firmware([&](fw::hal& h) { epf::run_epf_test(h, {}, st); });
    p.set_host_software([&](host::hal& h) {
        host::pci_endpoint_test t(h);
        if (!t.bind(host::enumerate(h, p.enumeration_config())))
            return;
        if (t.command(pt::COMMAND_ENABLE_DOORBELL).received)
            first = t.read(pt::STATUS);
        if (t.command(pt::COMMAND_ENABLE_DOORBELL).received)
            second = t.read(pt::STATUS);
        // The doorbell of the first ENABLE still rings.
        const std::uint32_t bar = t.read(pt::DB_BAR), off = t.read(pt::DB_OFFSET), data = t.read(pt::DB_DATA);
        t.write(pt::STATUS, 0);
        if (bar < 6) {
            h.mem_write(t.bar_address(bar) + off, &data, 4);
            if (t.wait_irq(pt::IRQ_TIMEOUT_NS).received)
                ring = t.read(pt::STATUS);
        }
        if (t.command(pt::COMMAND_DISABLE_DOORBELL).received)
            disable = t.read(pt::STATUS);
        // Everything released: the whole test passes afterwards.
        again = t.doorbell_test();
        log = t.log();
    });
    ASSERT_TRUE(p.run(sc_core::sc_time(10, sc_core::SC_SEC))) << p.cpu().console_text();
    std::string all;
    for (const auto& l : log)
        all += l + "\n";
    all += p.cpu().console_text();
    EXPECT_TRUE(first & pt::STATUS_DOORBELL_ENABLE_SUCCESS) << all;
    EXPECT_TRUE(second & pt::STATUS_DOORBELL_ENABLE_FAIL) << all;
    EXPECT_FALSE(second & pt::STATUS_DOORBELL_ENABLE_SUCCESS);
    EXPECT_TRUE(second & pt::STATUS_IRQ_RAISED) << "the host is told, as after every command";
    EXPECT_NE(st.last_error.find("already has doorbells"), std::string::npos) << st.last_error;
    EXPECT_EQ(st.enable_failures, 1u);
    EXPECT_TRUE(ring & pt::STATUS_DOORBELL_SUCCESS) << all;
    EXPECT_TRUE(disable & pt::STATUS_DOORBELL_DISABLE_SUCCESS) << all;
    EXPECT_TRUE(again.ok) << all;
    EXPECT_EQ(st.doorbells_enabled, 2u);
    EXPECT_EQ(st.doorbells_disabled, 2u);
}

TEST(EpfTest, InterruptsTakenAreLoggedUnlessLogInterruptsIsOff) {
    platform::platform p("platform", {});
    epf::epf_test_state st;
    std::vector<std::string> on, off;
    bool enabled = false, disabled = false;
    p.set_firmware([&](fw::hal& h) { epf::run_epf_test(h, {}, st); });
    p.set_host_software([&](host::hal& h) {
        const auto en = host::enumerate(h, p.enumeration_config());
        host::pci_endpoint_test t(h);
        host::pcitest_options quiet;
        quiet.log_interrupts = false;
        host::pci_endpoint_test q(h, quiet);
        if (!t.bind(en) || !q.bind(en))
            return;
        enabled = t.command(pt::COMMAND_ENABLE_DOORBELL).received;
        disabled = q.command(pt::COMMAND_DISABLE_DOORBELL).received;
        q.wait_irq(1000000); // nothing comes
        on = t.log();
        off = q.log();
    });
    ASSERT_TRUE(p.run(sc_core::sc_time(10, sc_core::SC_SEC)));
    auto count = [](const std::vector<std::string>& log, const char* what) {
        unsigned n = 0;
        for (const auto& l : log)
            n += l.find(what) != std::string::npos;
        return n;
    };
    EXPECT_TRUE(enabled && disabled) << "both interrupts came";
    EXPECT_EQ(count(on, "IRQ: MSI vector 1"), 1u);
    EXPECT_EQ(count(off, "IRQ: MSI"), 0u) << "the interrupt of DISABLE was taken, not logged";
    EXPECT_EQ(count(off, "COMMAND = "), 1u);
    EXPECT_EQ(count(off, "no interrupt within 1 ms"), 1u) << "a wait that timed out is still logged";
    EXPECT_EQ(st.doorbells_disabled, 1u);
}

TEST(EpfTest, DisableWithoutEnableFails) {
    platform::platform p("platform", {});
    epf::epf_test_state st;
    std::uint32_t status = 0;
    p.set_firmware([&](fw::hal& h) { epf::run_epf_test(h, {}, st); });
    p.set_host_software([&](host::hal& h) {
        host::pci_endpoint_test t(h);
        if (t.bind(host::enumerate(h, p.enumeration_config())) && t.command(pt::COMMAND_DISABLE_DOORBELL).received)
            status = t.read(pt::STATUS);
    });
    ASSERT_TRUE(p.run(sc_core::sc_time(10, sc_core::SC_SEC)));
    EXPECT_TRUE(status & pt::STATUS_DOORBELL_DISABLE_FAIL) << p.cpu().console_text();
    EXPECT_FALSE(status & pt::STATUS_DOORBELL_DISABLE_SUCCESS);
    EXPECT_EQ(st.disable_failures, 1u);
}

TEST(EpfTest, WithoutDynamicInboundMappingTheHostRefuses) {
    platform::platform p("platform", {});
    epf::epf_test_options opt;
    opt.caps_hide = epf::CAP_DYNAMIC_INBOUND_MAPPING;
    run r;
    doorbell_test(p, opt, r);
    EXPECT_FALSE(r.report.ok);
    EXPECT_EQ(r.report.error, host::pcitest_error::eopnotsupp) << text(r, p);
    EXPECT_EQ(r.report.step("enable"), nullptr) << "no command issued";
    EXPECT_EQ(r.fw.commands, 0u);
}

TEST(EpfTest, RaiseMsiOnEachVector) {
    platform::platform p("platform", {});
    epf::epf_test_state st;
    std::vector<host::msi_test_report> res;
    host::msi_test_report out_of_range;
    unsigned vectors = 0;
    p.set_firmware([&](fw::hal& h) { epf::run_epf_test(h, {}, st); });
    p.set_host_software([&](host::hal& h) {
        host::pci_endpoint_test t(h);
        if (!t.bind(host::enumerate(h, p.enumeration_config())))
            return;
        vectors = t.function().msi_vectors;
        for (unsigned n : {1u, 2u, 7u, 32u})
            res.push_back(t.msi_test(n));
        out_of_range = t.msi_test(vectors + 1);
    });
    ASSERT_TRUE(p.run(sc_core::sc_time(10, sc_core::SC_SEC)));
    ASSERT_EQ(vectors, 32u);
    ASSERT_EQ(res.size(), 4u);
    const unsigned want[] = {1, 2, 7, 32};
    for (unsigned i = 0; i < 4; ++i) {
        EXPECT_TRUE(res[i].ok) << want[i] << ": " << host::to_string(res[i].error) << "\n" << p.cpu().console_text();
        EXPECT_EQ(res[i].irq.vector, want[i]);
    }
    EXPECT_EQ(out_of_range.error, host::pcitest_error::einval);
    EXPECT_EQ(st.irqs_raised, 4u);
}

TEST(EpfTest, MsiOutsideTheGrantedVectorsTimesOut) {
    // The host asks for vector 33 behind the driver's back: the function refuses to raise it, the host times out.
    platform::platform p("platform", {});
    epf::epf_test_state st;
    host::pcitest_irq irq;
    bool bound = false;
    p.set_firmware([&](fw::hal& h) { epf::run_epf_test(h, {}, st); });
    p.set_host_software([&](host::hal& h) {
        host::pcitest_options o;
        o.irq_timeout_ns = 5000000;
        host::pci_endpoint_test t(h, o);
        bound = t.bind(host::enumerate(h, p.enumeration_config()));
        if (bound)
            irq = t.command(pt::COMMAND_RAISE_MSI_IRQ, 33);
    });
    ASSERT_TRUE(p.run(sc_core::sc_time(10, sc_core::SC_SEC)));
    ASSERT_TRUE(bound);
    EXPECT_FALSE(irq.received);
    EXPECT_EQ(st.irq_failures, 1u);
    EXPECT_NE(st.last_error.find("outside the 32"), std::string::npos) << st.last_error;
}

TEST(EpfTest, BarSubrangeSetupSwapsTheHalvesAndClearRestores) {
    platform::platform p("platform", {});
    epf::epf_test_state st;
    std::uint32_t setup = 0, clear = 0, at0_before = 0, at0_during = 0, at_half_during = 0, at0_after = 0;
    p.set_firmware([&](fw::hal& h) { epf::run_epf_test(h, {}, st); });
    p.set_host_software([&](host::hal& h) {
        host::pci_endpoint_test t(h);
        if (!t.bind(host::enumerate(h, p.enumeration_config())))
            return;
        const std::uint64_t bar2 = t.bar_address(2), half = t.function().bars[2].size / 2;
        const std::uint32_t a = 0xaaaa0000, b = 0xbbbb0000;
        h.mem_write(bar2, &a, 4);
        h.mem_write(bar2 + half, &b, 4);
        h.mem_read(bar2, &at0_before, 4);
        t.write(pt::SIZE, 2);
        if (t.command(pt::COMMAND_BAR_SUBRANGE_SETUP).received)
            setup = t.read(pt::STATUS);
        h.mem_read(bar2, &at0_during, 4);
        h.mem_read(bar2 + half, &at_half_during, 4);
        t.write(pt::SIZE, 2);
        if (t.command(pt::COMMAND_BAR_SUBRANGE_CLEAR).received)
            clear = t.read(pt::STATUS);
        h.mem_read(bar2, &at0_after, 4);
    });
    ASSERT_TRUE(p.run(sc_core::sc_time(10, sc_core::SC_SEC)));
    EXPECT_TRUE(setup & pt::STATUS_BAR_SUBRANGE_SETUP_SUCCESS) << p.cpu().console_text();
    EXPECT_TRUE(clear & pt::STATUS_BAR_SUBRANGE_CLEAR_SUCCESS) << p.cpu().console_text();
    EXPECT_EQ(at0_before, 0xaaaa0000u);
    EXPECT_EQ(at0_during, 0xbbbb0000u);
    EXPECT_EQ(at_half_during, 0xaaaa0000u);
    EXPECT_EQ(at0_after, 0xaaaa0000u);
}
