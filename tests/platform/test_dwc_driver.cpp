// The firmware's DWC controller driver on the platform, for what the doorbell work added: BAR features from the
// description (fixed, reserved, resizable through the REBAR capability), sub-range mapping after the host
// assigned the BAR, and the eDMA discovery.
#include "dbvp/fw/dwc_ep.h"
#include "dbvp/host/enumerate.h"
#include "dbvp/platform/platform.h"
#include "reports.h"

#include <cstring>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

using namespace dbvp;

namespace {

std::string variant(const std::string& bars) {
    std::ifstream in(std::string(DBVP_SOURCE_DIR) + "/tb/platforms/generic.dts");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    const std::string at = "\t\t\tdbvp,atu-enable-delay-cycles = <4>;\n";
    text.replace(text.find(at), at.size(), at + bars);
    const std::string path = ::testing::TempDir() + "/dwc-driver-" +
                             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".dts";
    std::ofstream(path) << text;
    return path;
}

} // namespace

TEST(DwcDriver, BarFeaturesComeFromTheDescriptionAndAreEnforced) {
    platform::platform p("platform", {variant("\t\t\tbar1 { dbvp,type = \"fixed\"; dbvp,size = <0x10000>; };\n"
                                              "\t\t\tbar3 { dbvp,type = \"resizable\"; };\n"
                                              "\t\t\tbar4 { dbvp,type = \"reserved\"; dbvp,size = <0x2000>; "
                                              "dbvp,target = <0x0 0x40380000>; };\n"),
                                      {}});
    std::vector<fw::status> st;
    fw::epc_features feat;
    fw::edma_info dma;
    std::vector<fw::aux_resource> aux;
    p.set_firmware([&](fw::hal& h) {
        fw::dwc_ep_driver ep(h);
        st.push_back(ep.probe());
        feat = ep.features();
        dma = ep.edma();
        aux = ep.aux_resources(0);
        st.push_back(ep.configure_bar(0, 1, 0x20000, {}));  // fixed at 64 KiB
        st.push_back(ep.configure_bar(0, 1, 0x10000, {}));  // ok
        st.push_back(ep.configure_bar(0, 4, 0x2000, {}));   // reserved
        st.push_back(ep.configure_bar(0, 3, 0x10000, {}));  // resizable: 1 MiB at least
        st.push_back(ep.configure_bar(0, 3, 0x200000, {})); // 2 MiB through REBAR
        st.push_back(ep.start_link(100000000));
    });
    host::enum_result en;
    p.set_host_software([&](host::hal& h) { en = host::enumerate(h, p.enumeration_config()); });
    ASSERT_TRUE(p.run(sc_core::sc_time(1, sc_core::SC_SEC)));
    ASSERT_EQ(st.size(), 7u);
    EXPECT_TRUE(st[0]) << st[0].message();
    EXPECT_EQ(feat.bars[1].kind, fw::bar_kind::fixed);
    EXPECT_EQ(feat.bars[4].kind, fw::bar_kind::reserved);
    EXPECT_EQ(feat.bars[4].reserved_target, 0x40380000u);
    EXPECT_EQ(feat.bars[3].kind, fw::bar_kind::resizable);
    EXPECT_EQ(feat.align, 0x10000u);
    EXPECT_EQ(st[1].code(), fw::errc::invalid_argument) << st[1].message();
    EXPECT_TRUE(st[2]) << st[2].message();
    EXPECT_EQ(st[3].code(), fw::errc::invalid_argument) << st[3].message();
    EXPECT_EQ(st[4].code(), fw::errc::invalid_argument) << st[4].message();
    EXPECT_TRUE(st[5]) << st[5].message();
    ASSERT_TRUE(en.ok) << en.error;
    EXPECT_EQ(en.functions[0].bars[3].size, 0x200000u) << "the host sees the REBAR size";
    EXPECT_EQ(en.functions[0].bars[1].size, 0x10000u);
    EXPECT_TRUE(dma.present);
    EXPECT_EQ(dma.base, 0x40380000u);
    EXPECT_EQ(dma.wr_channels, 8u);
    ASSERT_EQ(aux.size(), 1u);
    EXPECT_EQ(aux[0].phys_addr, 0x403800a0u);
    EXPECT_EQ(aux[0].bar, 4) << "pre-exposed by the reserved BAR";
    EXPECT_EQ(aux[0].bar_offset, 0xa0u);
    EXPECT_EQ(aux[0].irq, 52u);
}

TEST(DwcDriver, SubRangesMapTwoHalvesOfABarToDifferentMemory) {
    platform::platform p("platform", {});
    std::vector<fw::status> st;
    std::uint64_t ram = 0x80000000;
    p.set_firmware([&](fw::hal& h) {
        fw::dwc_ep_driver ep(h);
        st.push_back(ep.probe());
        st.push_back(ep.configure_bar(0, 0, 0x20000, {}));
        st.push_back(ep.map_bar_subranges(0, 0, {{ram + 0x400000, 0x10000}, {ram + 0x800000, 0x10000}}));
        st.push_back(ep.start_link(100000000));
        while (!(ep.dbi_read(0, fw::dwc::CFG_COMMAND) & 0x2))
            h.sleep_ns(1000);
        st.push_back(ep.map_bar_subranges(0, 0, {{ram + 0x400000, 0x10000}}));       // 64 of 128 KiB
        st.push_back(ep.map_bar_subranges(0, 0, {{ram + 0x401000, 0x10000}, {ram, 0x10000}})); // misaligned
        st.push_back(ep.map_bar_subranges(0, 0, {{ram + 0x400000, 0x10000}, {ram + 0x800000, 0x10000}}));
        for (;;)
            h.wait_for_interrupt(1000000000);
    });
    std::uint32_t a = 0, b = 0;
    p.set_host_software([&](host::hal& h) {
        auto en = host::enumerate(h, p.enumeration_config());
        h.sleep_ns(200000);
        const std::uint64_t bar = en.functions.at(0).bars[0].address;
        const std::uint32_t v1 = 0x1111, v2 = 0x2222;
        h.mem_write(bar + 0x10, &v1, 4);
        h.mem_write(bar + 0x10010, &v2, 4);
        h.mem_read(bar + 0x10, &a, 4);
        h.mem_read(bar + 0x10010, &b, 4);
    });
    ASSERT_TRUE(p.run(sc_core::sc_time(1, sc_core::SC_SEC)));
    ASSERT_EQ(st.size(), 7u);
    EXPECT_TRUE(st[0]);
    EXPECT_EQ(st[2].code(), fw::errc::invalid_argument) << "before the host assigned the BAR: " << st[2].message();
    EXPECT_EQ(st[4].code(), fw::errc::invalid_argument) << st[4].message();
    EXPECT_EQ(st[5].code(), fw::errc::invalid_argument) << st[5].message();
    EXPECT_TRUE(st[6]) << st[6].message();
    EXPECT_EQ(a, 0x1111u);
    EXPECT_EQ(b, 0x2222u);
    std::uint32_t at_lo = 0, at_hi = 0;
    std::memcpy(&at_lo, p.ep_ram().data() + 0x400010, 4);
    std::memcpy(&at_hi, p.ep_ram().data() + 0x800010, 4);
    EXPECT_EQ(at_lo, 0x1111u) << "first half -> RAM + 4 MiB";
    EXPECT_EQ(at_hi, 0x2222u) << "second half -> RAM + 8 MiB";
}
