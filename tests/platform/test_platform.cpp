// Platform description: the generic preset builds; bad descriptions and overrides are errors naming the file,
// node and property; overrides change what is built.
#include "dbvp/platform/platform.h"
#include "reports.h"

#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <regex>
#include <sstream>

using namespace dbvp;
using platform::config_error;

namespace {

std::string read_file(const std::string& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string generic_dts() { return read_file(std::string(DBVP_SOURCE_DIR) + "/tb/platforms/generic.dts"); }

/// Write a variant of the generic description to a temporary .dts and return its path.
std::string write_variant(const std::string& text) {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& ch : name)
        if (ch == '/')
            ch = '-';
    const std::string path = ::testing::TempDir() + "/variant-" + name + ".dts";
    std::ofstream(path) << text;
    return path;
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
    const auto pos = text.find(from);
    EXPECT_NE(pos, std::string::npos) << "test bug: \"" << from << "\" not in generic.dts";
    if (pos != std::string::npos)
        text.replace(pos, from.size(), to);
    return text;
}

struct bad_case {
    const char* name;
    std::vector<std::string> overrides; // applied to the generic preset
    std::string edit_from, edit_to;      // or: a text edit of generic.dts
    std::string node, property, problem; // expected in the error
};

std::ostream& operator<<(std::ostream& os, const bad_case& c) { return os << c.name; }

const std::string EP = "/soc/pcie-ep@40000000";

const bad_case bad_cases[] = {
    {"UnknownProperty", {"soc/pcie-ep@40000000/dbvp,atu-min-regoin-size=0x1000"}, "", "", EP,
     "dbvp,atu-min-regoin-size", "unknown property"},
    {"WindowsOutOfRange", {"soc/pcie-ep@40000000/num-ib-windows=0"}, "", "", EP, "num-ib-windows",
     "outside the accepted range 1..256"},
    {"MinRegionNotPow2", {"soc/pcie-ep@40000000/dbvp,atu-min-region-size=0x3000"}, "", "", EP,
     "dbvp,atu-min-region-size", "not a power of two"},
    {"MinRegionTooLarge", {"soc/pcie-ep@40000000/dbvp,atu-min-region-size=0x20000"}, "", "", EP,
     "dbvp,atu-min-region-size", "outside the accepted range"},
    {"WrongCellCount", {"host/dbvp,mmio32-window=0x40000000 0x20000000"}, "", "", "/host", "dbvp,mmio32-window",
     "expected 2 address and 2 size cells"},
    {"BadLaneCount", {"pcie-link/num-lanes=3"}, "", "", "/pcie-link", "num-lanes", "not one of"},
    {"SingleCellExpected", {"soc/dbvp,latency-cycles=1 2"}, "", "", "/soc", "dbvp,latency-cycles", "expected one cell"},
    {"MissingLinkNode", {}, "\tpcie-link {", "\tpcie-lnk {", "/pcie-link", "", "required node is missing"},
    {"UnknownNode", {}, "\tcpus {", "\tgpio { };\n\tcpus {", "/gpio", "", "unknown node"},
    {"WrongCompatible", {"pcie-link/compatible=dbvp,ethernet"}, "", "", "/pcie-link", "compatible",
     "expected \"dbvp,pcie-link\""},
    {"MissingRegName", {}, "\"dbi\", \"dbi2\", \"atu\", \"app\", \"addr_space\"",
     "\"dbi\", \"dbi2\", \"iatu\", \"app\", \"addr_space\"", EP, "reg-names", "no reg entry named \"atu\""},
    {"OverlappingRanges", {}, "<0x0 0x40100000 0x0 0x00080000>", "<0x0 0x40040000 0x0 0x00080000>", EP, "reg",
     "overlaps"},
    {"BadBarType", {}, "\t\t\tdbvp,atu-enable-delay-cycles = <4>;",
     "\t\t\tdbvp,atu-enable-delay-cycles = <4>;\n\t\t\tbar2 { dbvp,type = \"huge\"; };", EP + "/bar2", "dbvp,type",
     "not one of: programmable, fixed, resizable, reserved, disabled"},
    {"FixedBarWithoutSize", {}, "\t\t\tdbvp,atu-enable-delay-cycles = <4>;",
     "\t\t\tdbvp,atu-enable-delay-cycles = <4>;\n\t\t\tbar1 { dbvp,type = \"fixed\"; };", EP + "/bar1", "dbvp,size",
     "required for a fixed BAR"},
    {"OddSixtyFourBitBar", {}, "\t\t\tdbvp,atu-enable-delay-cycles = <4>;",
     "\t\t\tdbvp,atu-enable-delay-cycles = <4>;\n\t\t\tbar3 { dbvp,64bit; };", EP + "/bar3", "dbvp,64bit",
     "must have an even number"},
    {"MisalignedMsiAddress", {"host/dbvp,msi-address=0x0 0xfee00002"}, "", "", "/host", "dbvp,msi-address",
     "not 4-byte aligned"},
    {"OverrideMissingNode", {"soc/nothere/foo=1"}, "", "", "/soc/nothere", "foo", "does not exist"},
    {"EdmaChannelsOutOfRange", {"soc/pcie-ep@40000000/dbvp,edma-wr-channels=9"}, "", "", EP,
     "dbvp,edma-wr-channels", "outside the accepted range 1..8"},
    {"EdmaWindowTooSmall", {}, "<0x0 0x40380000 0x0 0x00002000>", "<0x0 0x40380000 0x0 0x00001000>", EP, "reg",
     "cannot hold the channel contexts"},
    {"EdmaInterruptNames", {"soc/pcie-ep@40000000/interrupt-names=dma0"}, "", "", EP, "interrupt-names",
     "either one interrupt named \"dma\""},
    {"EdmaSpiBeyondTheGic", {"soc/pcie-ep@40000000/interrupts=0 64 4"}, "", "", EP, "interrupts",
     "SPI 64 does not exist"},
    {"EdmaPropertiesWithoutDma", {}, "\"addr_space\", \"dma\"", "\"addr_space\", \"dmx\"", EP,
     "dbvp,edma-wr-channels", "no \"dma\" register range"},
    {"MaxPayloadNotPow2", {"soc/pcie-ep@40000000/dbvp,max-payload=300"}, "", "", EP, "dbvp,max-payload",
     "not a power of two"},
};

class BadDescription : public ::testing::TestWithParam<bad_case> {};

} // namespace

TEST_P(BadDescription, IsAnErrorNamingFileNodeAndProperty) {
    const bad_case& c = GetParam();
    platform::platform::options opt;
    std::string expected_file;
    if (!c.edit_from.empty()) {
        opt.platform = write_variant(replace(generic_dts(), c.edit_from, c.edit_to));
        expected_file = opt.platform;
    } else {
        opt.overrides = c.overrides;
        expected_file = platform::resolve_platform("generic");
    }
    try {
        platform::platform p("platform", opt);
        FAIL() << "the description was accepted";
    } catch (const config_error& e) {
        EXPECT_EQ(e.file(), expected_file) << e.what();
        EXPECT_EQ(e.node(), c.node) << e.what();
        EXPECT_EQ(e.property(), c.property) << e.what();
        EXPECT_NE(std::string(e.what()).find(c.problem), std::string::npos) << e.what();
    }
}

INSTANTIATE_TEST_SUITE_P(Platform, BadDescription, ::testing::ValuesIn(bad_cases),
                         [](const ::testing::TestParamInfo<bad_case>& i) { return std::string(i.param.name); });

TEST(Platform, UnknownPresetListsTheKnownOnes) {
    try {
        platform::resolve_platform("no-such-soc");
        FAIL();
    } catch (const config_error& e) {
        EXPECT_NE(std::string(e.what()).find("generic"), std::string::npos) << e.what();
    }
}

TEST(Platform, MissingFileIsAnError) {
    EXPECT_THROW(platform::resolve_platform("/nonexistent/board.dts"), config_error);
}

TEST(Platform, DtsSyntaxErrorReportsDtc) {
    const std::string path = write_variant(replace(generic_dts(), "compatible = \"dbvp,generic\";", "compatible = ;"));
    try {
        platform::device_tree::load(path);
        FAIL();
    } catch (const config_error& e) {
        EXPECT_NE(std::string(e.what()).find("dtc failed"), std::string::npos) << e.what();
    }
}

TEST(Platform, GenericBuildsTheDescribedHardware) {
    platform::platform p("platform", {});
    EXPECT_EQ(p.ep().get_params().num_ib_windows, 16u);
    EXPECT_EQ(p.ep().get_params().min_region_size, 0x10000u);
    EXPECT_EQ(p.ep().get_params().addr_space_base, 0x1000000000ull);
    EXPECT_EQ(p.link().get_params().generation, 3u);
    EXPECT_EQ(p.link().get_params().width, 4u);
    EXPECT_EQ(p.host().get_params().mmio32_base, 0x40000000u);
    EXPECT_EQ(p.ep_ram_base(), 0x80000000u);
    EXPECT_EQ(p.ep_ram().size(), 0x10000000u);
    const std::string map = p.memory_map();
    EXPECT_NE(map.find("pcie_ep.atu"), std::string::npos) << map;
}

TEST(Platform, OverridesChangeWhatIsBuilt) {
    platform::platform::options opt;
    opt.overrides = {"soc/pcie-ep@40000000/num-ib-windows=4", "soc/pcie-ep@40000000/dbvp,atu-min-region-size=4096",
                     "pcie-link/num-lanes=16", "soc/pcie-ep@40000000/num-lanes=8"};
    platform::platform p("platform", opt);
    EXPECT_EQ(p.ep().get_params().num_ib_windows, 4u);
    EXPECT_EQ(p.ep().get_params().min_region_size, 0x1000u);
    EXPECT_EQ(p.link().get_params().width, 8u) << "the link trains to the narrower of the two ends";
}

TEST(Platform, BarNodesDescribeBarTypes) {
    const std::string path = write_variant(
        replace(generic_dts(), "\t\t\tdbvp,atu-enable-delay-cycles = <4>;",
                "\t\t\tdbvp,atu-enable-delay-cycles = <4>;\n"
                "\t\t\tbar1 { dbvp,type = \"fixed\"; dbvp,size = <0x10000>; };\n"
                "\t\t\tbar4 { dbvp,type = \"reserved\"; dbvp,size = <0x2000>; dbvp,target = <0x0 0x40380000>; };\n"
                "\t\t\tbar5 { dbvp,type = \"disabled\"; };"));
    platform::platform::options opt;
    opt.platform = path;
    platform::platform p("platform", opt);
    const auto& bars = p.ep().get_params().bars;
    EXPECT_EQ(bars[1].type, pcie::bar_type::fixed);
    EXPECT_EQ(bars[1].fixed_size, 0x10000u);
    EXPECT_EQ(bars[4].type, pcie::bar_type::reserved);
    EXPECT_EQ(bars[4].reserved_target, 0x40380000u);
    EXPECT_EQ(bars[5].type, pcie::bar_type::disabled);
    EXPECT_EQ(bars[0].type, pcie::bar_type::programmable);
}

TEST(Platform, EdmaWithOneLinePerChannel) {
    // Linux's naming: "dma0" .. "dmaN", write channels first. 2 + 3 channels on SPIs 40..44.
    const std::string path = write_variant(replace(
        replace(replace(generic_dts(), "\t\t\tinterrupts = <0 20 4>;",
                        "\t\t\tinterrupts = <0 40 4>, <0 41 4>, <0 42 4>, <0 43 4>, <0 44 4>;"),
                "\t\t\tinterrupt-names = \"dma\";",
                "\t\t\tinterrupt-names = \"dma0\", \"dma1\", \"dma2\", \"dma3\", \"dma4\";"),
        "dbvp,edma-wr-channels = <8>;\n\t\t\tdbvp,edma-rd-channels = <8>;",
        "dbvp,edma-wr-channels = <2>;\n\t\t\tdbvp,edma-rd-channels = <3>;"));
    platform::platform p("platform", {path, {}});
    ASSERT_NE(p.edma(), nullptr);
    EXPECT_TRUE(p.edma()->get_params().per_channel_irqs);
    EXPECT_EQ(p.edma()->num_irqs(), 5u);
    EXPECT_EQ(p.edma()->irq_of(pcie::dwc_edma::direction::read, 1), 3u);
    EXPECT_TRUE(p.edma()->irq(4).bound());
}

TEST(Platform, ControllerWithoutDmaRangeHasNoEdma) {
    const std::string text = replace(
        replace(replace(generic_dts(), ",\n\t\t\t      <0x0 0x40380000 0x0 0x00002000>;     /* eDMA (unrolled, atu + 0x80000) */", ";"),
                ", \"dma\";", ";"),
        "\t\t\tinterrupts = <0 20 4>;                    /* eDMA: one combined level line, SPI 20 */\n"
        "\t\t\tinterrupt-names = \"dma\";\n\t\t\tdbvp,edma-wr-channels = <8>;\n\t\t\tdbvp,edma-rd-channels = <8>;\n"
        "\t\t\tdbvp,edma-setup-cycles = <16>;\n\t\t\tdbvp,edma-bytes-per-cycle = <16>;\n"
        "\t\t\tdbvp,max-payload = <256>;\n\t\t\tdbvp,max-read-request = <512>;\n",
        "");
    platform::platform p("platform", {write_variant(text), {}});
    EXPECT_EQ(p.edma(), nullptr);
    EXPECT_EQ(p.memory_map().find("pcie_ep.dma"), std::string::npos);
}
