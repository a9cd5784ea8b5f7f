// Firmware device-tree reader (sw/fw/fdt): msi-map / iommu-map translation as Linux of_map_id() does it,
// status, raw cells.
#include "dbvp/fw/fdt.h"
#include "dbvp/platform/devicetree.h"
#include "reports.h"

#include <fstream>
#include <gtest/gtest.h>

using namespace dbvp;

namespace {

platform::device_tree compile(const std::string& body) {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    const std::string path = ::testing::TempDir() + "/fdt-" + name + ".dts";
    std::ofstream(path) << "/dts-v1/;\n/ {\n\tits: msi-controller { #msi-cells = <1>; };\n" << body << "};\n";
    return platform::device_tree::load(path);
}

} // namespace

TEST(Fdt, MapIdTranslatesThroughTheMatchingEntryAfterTheMask) {
    const auto dt = compile("\tep { msi-map = <0x0 &its 0x10 0x8>, <0x100 &its 0x40 0x100>; msi-map-mask = <0x1ff>; };\n");
    fw::fdt_view v(dt.blob());
    const int ep = v.find_path("/ep").value();
    EXPECT_EQ(v.map_id(ep, "msi-map", "msi-map-mask", 0x0).value(), 0x10u);
    EXPECT_EQ(v.map_id(ep, "msi-map", "msi-map-mask", 0x7).value(), 0x17u);
    EXPECT_EQ(v.map_id(ep, "msi-map", "msi-map-mask", 0x105).value(), 0x45u);
    // 0x305 & 0x1ff = 0x105: the mask applies before the lookup.
    EXPECT_EQ(v.map_id(ep, "msi-map", "msi-map-mask", 0x305).value(), 0x45u);
    auto miss = v.map_id(ep, "msi-map", "msi-map-mask", 0x8);
    ASSERT_FALSE(miss);
    EXPECT_EQ(miss.error().code(), fw::errc::no_device);
    EXPECT_NE(miss.error().message().find("no entry for ID 0x8"), std::string::npos) << miss.error().message();
}

TEST(Fdt, MapIdWithoutAMapIsTheIdentityAndWithoutAMaskComparesEveryBit) {
    const auto dt = compile("\ta { };\n\tb { iommu-map = <0x0 &its 0x0 0x1>; };\n");
    fw::fdt_view v(dt.blob());
    EXPECT_EQ(v.map_id(v.find_path("/a").value(), "msi-map", "msi-map-mask", 0x1234).value(), 0x1234u);
    const int b = v.find_path("/b").value();
    EXPECT_EQ(v.map_id(b, "iommu-map", "iommu-map-mask", 0).value(), 0u);
    EXPECT_FALSE(v.map_id(b, "iommu-map", "iommu-map-mask", 0x10000));
}

TEST(Fdt, MalformedMapIsAnError) {
    const auto dt = compile("\tep { msi-map = <0x0 &its 0x10>; };\n");
    fw::fdt_view v(dt.blob());
    auto r = v.map_id(v.find_path("/ep").value(), "msi-map", "msi-map-mask", 0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), fw::errc::invalid_argument);
}

TEST(Fdt, StatusAndCells) {
    const auto dt = compile("\ton { status = \"okay\"; interrupts = <0 10 4>, <0 11 4>; };\n"
                            "\toff { status = \"disabled\"; };\n\tplain { };\n");
    fw::fdt_view v(dt.blob());
    EXPECT_TRUE(v.available(v.find_path("/on").value()));
    EXPECT_FALSE(v.available(v.find_path("/off").value()));
    EXPECT_TRUE(v.available(v.find_path("/plain").value()));
    EXPECT_EQ(v.cells(v.find_path("/on").value(), "interrupts"), (std::vector<std::uint32_t>{0, 10, 4, 0, 11, 4}));
    EXPECT_TRUE(v.cells(v.find_path("/plain").value(), "interrupts").empty());
}
