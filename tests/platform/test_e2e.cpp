// End to end on the generic platform: the endpoint firmware (sw/fw) sets up BAR0 and the inbound iATU, the host
// software (sw/host) enumerates, moves a pattern through BAR0 into endpoint RAM, and gets an MSI back.
#include "dbvp/fw/bar_demo.h"
#include "dbvp/fw/dwc_ep.h"
#include "dbvp/host/bar_demo.h"
#include "dbvp/platform/platform.h"
#include "dbvp/util/crc32.h"
#include "reports.h"

#include <gtest/gtest.h>

using namespace dbvp;

namespace {

bool console_has(platform::platform& p, const std::string& text) {
    for (const auto& l : p.cpu().console())
        if (l.find(text) != std::string::npos)
            return true;
    return false;
}

sc_core::sc_time cyc(std::uint64_t hz, std::uint64_t n) {
    return sc_core::sc_time::from_value(sc_core::sc_time(1e12 / static_cast<double>(hz), sc_core::SC_PS).value() * n);
}

} // namespace

TEST(EndToEnd, PatternThroughBar0AndMsiBack) {
    platform::platform p("platform", {});
    demo::host_report r;
    p.set_firmware(demo::bar_demo_firmware);
    p.set_host_software([&](host::hal& h) { r = demo::run_host_demo(h, p.enumeration_config(), 4096, 7); });
    ASSERT_TRUE(p.run(sc_core::sc_time(1, sc_core::SC_SEC))) << p.cpu().console_text();

    std::string log;
    for (const auto& l : r.log)
        log += l + "\n";
    EXPECT_TRUE(r.ok) << log << p.cpu().console_text();
    ASSERT_EQ(r.enumeration.functions.size(), 1u);
    const auto& f = r.enumeration.functions[0];
    EXPECT_EQ(f.bdf, make_bdf(1, 0, 0));
    EXPECT_EQ(f.vendor_id, 0x16c3);
    EXPECT_EQ(f.bars[0].size, 0x10000u);
    EXPECT_EQ(f.bars[0].address % 0x10000, 0u);
    EXPECT_EQ(r.mismatches, 0u);
    EXPECT_EQ(r.status, demo::STATUS_OK);
    EXPECT_TRUE(r.msi_received);
    EXPECT_EQ(r.msi.address, 0xfee00000u);
    EXPECT_EQ(r.msi.requester_id, make_bdf(1, 0, 0)) << "MSI carries the endpoint's captured BDF";
    EXPECT_EQ(r.msi.data, f.msi_data);
    // The firmware polls COMMAND every 10 us, then reads the 4 KiB back from its RAM (1024 reads of
    // 1 + 2x2 + 20x2 ns = 45 ns) before raising the MSI: the MSI comes 46 us .. 46 us + 10 us (+ the MSI path).
    EXPECT_GT(r.msi_latency_ns, 1024 * 45);
    EXPECT_LT(r.msi_latency_ns, 1024 * 45 + std::int64_t(demo::POLL_NS) + 5000);
    EXPECT_TRUE(p.ep().incidents().empty());

    // The pattern really is in endpoint RAM, behind the inbound iATU.
    const auto t = p.ep().translate_inbound(r.bar0 + demo::DATA);
    ASSERT_TRUE(t.hit);
    EXPECT_EQ(t.bar, 0);
    EXPECT_EQ(t.region, 0);
    EXPECT_EQ(crc32(p.ep_ram().data() + (t.target - p.ep_ram_base()), r.pattern_bytes), r.pattern_crc);
}

struct geometry {
    unsigned ib, ob;
    std::uint64_t min_region;
    const char* expect;
};

class DriverDiscovery : public ::testing::TestWithParam<geometry> {};

TEST_P(DriverDiscovery, FirmwareProbesTheModelledIatu) {
    const geometry g = GetParam();
    platform::platform::options opt;
    opt.overrides = {"soc/pcie-ep@40000000/num-ib-windows=" + std::to_string(g.ib),
                     "soc/pcie-ep@40000000/num-ob-windows=" + std::to_string(g.ob),
                     "soc/pcie-ep@40000000/dbvp,atu-min-region-size=" + std::to_string(g.min_region)};
    platform::platform p("platform", opt);
    p.set_firmware([](fw::hal& h) {
        fw::dwc_ep_driver ep(h);
        if (auto s = ep.probe(); !s)
            h.log(s.message().c_str());
    });
    p.run(sc_core::sc_time(100, sc_core::SC_US));
    EXPECT_TRUE(console_has(p, g.expect)) << p.cpu().console_text();
}

INSTANTIATE_TEST_SUITE_P(EndToEnd, DriverDiscovery,
                         ::testing::Values(geometry{16, 16, 0x10000, "16 ob, 16 ib, align 64K, limit 4G"},
                                           geometry{8, 4, 0x1000, "4 ob, 8 ib, align 4K, limit 4G"},
                                           geometry{2, 32, 0x4000, "32 ob, 2 ib, align 16K, limit 4G"}));

TEST(EndToEnd, HostWriteLatencyIsTheSumOfTheHops) {
    platform::platform p("platform", {});
    demo::host_report r;
    sc_core::sc_time measured;
    p.set_firmware(demo::bar_demo_firmware);
    p.set_host_software([&](host::hal& h) {
        r = demo::run_host_demo(h, p.enumeration_config(), 64, 1);
        h.sleep_ns(10000); // let the link go idle
        const std::uint32_t v = 0x12345678;
        const std::uint64_t before = h.now_ns();
        h.mem_write(r.bar0 + demo::DATA, &v, 4);
        measured = sc_core::sc_time(static_cast<double>(h.now_ns() - before), sc_core::SC_NS);
    });
    ASSERT_TRUE(p.run(sc_core::sc_time(1, sc_core::SC_SEC)));
    ASSERT_TRUE(r.ok);

    const auto& rc = p.host().get_params();
    const auto& lk = p.link().get_params();
    const auto& ep = p.ep().get_params();
    const auto& ram = p.ep_ram().get_params();
    const auto& glue = p.glue().get_params(); // RID -> StreamID/DeviceID glue on the inbound master path
    // Gen3 x4: 8000 MT/s per lane, 128b/130b. MWr with a 32-bit address: 12 B header + 4 B + 8 B framing.
    const std::uint64_t bytes = 12 + 4 + lk.framing_bytes;
    const std::uint64_t ser_ps = (bytes * 130 * 1000000 + 16 * lk.width * 8000 - 1) / (16 * lk.width * 8000);
    const sc_core::sc_time expected = cyc(rc.clock_hz, rc.latency) + sc_core::sc_time(double(ser_ps), sc_core::SC_PS) +
                                      cyc(lk.clock_hz, lk.latency) + cyc(ep.clock_hz, ep.inbound_latency) +
                                      cyc(ep.clock_hz, ep.atu_latency) + cyc(glue.clock_hz, glue.latency) +
                                      cyc(500000000, 2) +
                                      cyc(ram.clock_hz, ram.write_latency);
    // now_ns() has nanosecond resolution.
    EXPECT_NEAR(measured.to_seconds() * 1e9, expected.to_seconds() * 1e9, 1.0)
        << "measured " << measured << ", hops add up to " << expected;
}

TEST(EndToEnd, ReadOutsideEveryBarCompletesWithUnsupportedRequest) {
    platform::platform p("platform", {});
    demo::host_report r;
    host::completion cpl = host::completion::ok;
    std::uint32_t value = 0;
    p.set_firmware(demo::bar_demo_firmware);
    p.set_host_software([&](host::hal& h) {
        r = demo::run_host_demo(h, p.enumeration_config(), 64, 1);
        // Inside the host's 32-bit window but past BAR0.
        cpl = h.mem_read(r.bar0 + demo::BAR_SIZE * 16, &value, 4);
    });
    ASSERT_TRUE(p.run(sc_core::sc_time(1, sc_core::SC_SEC)));
    EXPECT_EQ(cpl, host::completion::ur);
    EXPECT_EQ(value, 0xffffffffu);
    ASSERT_EQ(p.ep().incidents().size(), 1u);
    EXPECT_EQ(p.ep().incidents()[0].kind, pcie::dwc_ep::incident_kind::inbound_no_bar);
    EXPECT_FALSE(p.ep().incidents()[0].posted);
}

struct variant {
    const char* name;
    std::vector<std::string> overrides;
};

void PrintTo(const variant& v, std::ostream* os) { *os << v.name; }

class DemoVariant : public ::testing::TestWithParam<variant> {};

TEST_P(DemoVariant, StillMovesTheDataAndRaisesTheMsi) {
    platform::platform::options opt;
    opt.overrides = GetParam().overrides;
    platform::platform p("platform", opt);
    demo::host_report r;
    p.set_firmware(demo::bar_demo_firmware);
    p.set_host_software([&](host::hal& h) { r = demo::run_host_demo(h, p.enumeration_config(), 1024, 3); });
    ASSERT_TRUE(p.run(sc_core::sc_time(1, sc_core::SC_SEC))) << p.cpu().console_text();
    std::string log;
    for (const auto& l : r.log)
        log += l + "\n";
    EXPECT_TRUE(r.ok) << log << p.cpu().console_text();
    EXPECT_EQ(r.status, demo::STATUS_OK);
    EXPECT_TRUE(r.msi_received);
}

INSTANTIATE_TEST_SUITE_P(
    EndToEnd, DemoVariant,
    ::testing::Values(variant{"SlowCpu", {"cpus/cpu@0/dbvp,mmio-cycles=1000"}},
                      variant{"TinyQuantum", {"dbvp,quantum-ns=1", "cpus/cpu@0/dbvp,mmio-cycles=100"}},
                      variant{"HugeQuantum", {"dbvp,quantum-ns=100000"}},
                      variant{"Gen1x1", {"pcie-link/max-link-speed=1", "pcie-link/num-lanes=1"}},
                      variant{"SmallRegions", {"soc/pcie-ep@40000000/dbvp,atu-min-region-size=0x1000",
                                               "soc/pcie-ep@40000000/num-ib-windows=1",
                                               "soc/pcie-ep@40000000/num-ob-windows=1"}}),
    [](const ::testing::TestParamInfo<variant>& i) { return std::string(i.param.name); });
