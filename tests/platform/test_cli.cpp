// The dbvp command: each subcommand, its exit status, its errors, the JSON it prints, and the matrix against its
// golden file (tests/data/matrix.golden.json; DBVP_UPDATE_GOLDEN=1 rewrites it after a deliberate change).
#include "cli.h"
#include "reports.h"

#include <nlohmann/json.hpp>

#include <array>
#include <set>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>

namespace {

using output = dbvp::test::cli_output;
using dbvp::test::cli;        // stdout and stderr merged
using dbvp::test::cli_stdout; // stdout only

bool has(const output& o, const std::string& s) { return o.text.find(s) != std::string::npos; }

} // namespace

TEST(Cli, RunOnTheDefaultPlatformDeliversEveryRing) {
    const auto o = cli("run");
    EXPECT_EQ(o.status, 0) << o.text;
    EXPECT_TRUE(has(o, "backend msi")) << o.text;
    EXPECT_TRUE(has(o, "8 rung, 8 delivered, 0 coalesced, 0 dropped")) << o.text;
    EXPECT_TRUE(has(o, "result: ok")) << o.text;
}

TEST(Cli, RunWithTheRootPortElsewhereFailsAndSaysWhere) {
    const auto o = cli("run --root-port 00:01.0");
    EXPECT_EQ(o.status, 1) << o.text;
    EXPECT_TRUE(has(o, "8 dropped")) << o.text;
    EXPECT_TRUE(has(o, "why: ITS: device_unmapped, DeviceID 0x8")) << o.text;
}

TEST(Cli, RunJsonFollowsTheSchema) {
    const auto o = cli_stdout("run --function test --platform rk3588 --json");
    EXPECT_EQ(o.status, 0) << o.text;
    const auto j = nlohmann::json::parse(o.text);
    EXPECT_EQ(j["platform"], "rk3588");
    EXPECT_EQ(j["function"], "test");
    EXPECT_EQ(j["backend"], "embedded");
    EXPECT_EQ(j["status"], "ok");
    EXPECT_EQ(j["doorbells"]["rung"], 8);
    EXPECT_EQ(j["doorbells"]["delivered"], 8);
    EXPECT_EQ(j["doorbells"]["coalesced"], 0);
    EXPECT_EQ(j["doorbells"]["dropped"], 0);
    EXPECT_EQ(j["db"]["bar"], 4) << "pre-exposed in the reserved BAR";
    EXPECT_EQ(j["db"]["offset"], 0xa0);
    EXPECT_EQ(j["db"]["data"], 0);
    ASSERT_TRUE(j.contains("latency_ns"));
    EXPECT_LE(j["latency_ns"]["min"].get<double>(), j["latency_ns"]["median"].get<double>());
    EXPECT_LE(j["latency_ns"]["median"].get<double>(), j["latency_ns"]["max"].get<double>());
    EXPECT_FALSE(j.contains("reason"));
    // rk3588 has no ITS: why MSI was skipped.
    ASSERT_EQ(j["backend_reasons"].size(), 1u) << o.text;
    EXPECT_EQ(j["backend_reasons"][0].get<std::string>().rfind("MSI: Can't find MSI domain for EPC", 0), 0u) << o.text;
}

TEST(Cli, FunctionsAndBackendsCanBeChosen) {
    auto o = cli("run -f vntb -b embedded -n 4 -r 12");
    EXPECT_EQ(o.status, 0) << o.text;
    EXPECT_TRUE(has(o, "backend embedded")) << o.text;
    EXPECT_TRUE(has(o, "12 rung")) << o.text;
    o = cli("run -f nvme");
    EXPECT_EQ(o.status, 0) << o.text;
    EXPECT_TRUE(has(o, "backend poll (polled)")) << o.text;
    EXPECT_TRUE(has(o, "skipped: MSI:")) << o.text;
    o = cli("run -f test -b poll");
    EXPECT_EQ(o.status, 0) << o.text;
    EXPECT_TRUE(has(o, "backend poll")) << o.text;
}

TEST(Cli, UserMistakesExitWithTwoAndNameWhat) {
    auto o = cli("run --platform nosuch");
    EXPECT_EQ(o.status, 2);
    EXPECT_TRUE(has(o, "no such platform preset (known: generic, imx95")) << o.text;
    o = cli("run --set soc/pcie-ep@40000000/num-ib-windows=0");
    EXPECT_EQ(o.status, 2);
    EXPECT_TRUE(has(o, "node /soc/pcie-ep@40000000: property num-ib-windows")) << o.text;
    o = cli("run --function nic");
    EXPECT_EQ(o.status, 2) << o.text;
    EXPECT_TRUE(has(o, "dbvp: --function: nic not in {test,vntb,nvme}")) << o.text;
    o = cli("run --rings 100000");
    EXPECT_EQ(o.status, 2) << o.text;
    EXPECT_TRUE(has(o, "dbvp: --rings: Value 100000 not in range 1 to 10000")) << o.text;
    o = cli("run --root-port 1:2");
    EXPECT_EQ(o.status, 2);
    EXPECT_TRUE(has(o, "--root-port 1:2 is not a BDF")) << o.text;
    o = cli("run --root-port 01:00.0"); // the endpoint's own bus
    EXPECT_EQ(o.status, 2);
    EXPECT_TRUE(has(o, "dbvp,secondary-bus")) << o.text;
    o = cli("frobnicate");
    EXPECT_EQ(o.status, 2) << o.text;
    o = cli("run --platform /nonexistent/board.dts");
    EXPECT_EQ(o.status, 2);
    EXPECT_TRUE(has(o, "platform file not found")) << o.text;
}

TEST(Cli, ListShowsThePresetsAndTheirProperties) {
    const auto o = cli("list");
    EXPECT_EQ(o.status, 0);
    for (const char* p : {"generic", "imx95", "rk3588", "rk3588-msi", "rcar-s4"})
        EXPECT_TRUE(has(o, p)) << p << "\n" << o.text;
    EXPECT_TRUE(has(o, "i.MX95 LUT")) << o.text;
    EXPECT_TRUE(has(o, "BAR4 fixed=256")) << o.text;
}

TEST(Cli, HelpEverywhere) {
    for (const char* c : {"--help", "run --help", "matrix --help", "demo --help", "list --help"}) {
        const auto o = cli(c);
        EXPECT_EQ(o.status, 0) << c;
        EXPECT_TRUE(has(o, "Usage")) << c << "\n" << o.text;
    }
}

TEST(Cli, DemoStillMovesDataThroughBar0) {
    const auto o = cli("demo -q");
    EXPECT_EQ(o.status, 0) << o.text;
    EXPECT_TRUE(has(o, "result: ok")) << o.text;
}

TEST(Cli, MatrixMatchesItsGoldenFile) {
    const auto o = cli_stdout("matrix --json");
    ASSERT_EQ(o.status, 0) << o.text;
    const auto got = nlohmann::json::parse(o.text);
    const std::string golden = std::string(DBVP_SOURCE_DIR) + "/tests/data/matrix.golden.json";
    if (std::getenv("DBVP_UPDATE_GOLDEN")) {
        std::ofstream(golden) << got.dump(2) << "\n";
        GTEST_SKIP() << "golden file rewritten";
    }
    std::ifstream in(golden);
    ASSERT_TRUE(in) << golden;
    std::stringstream ss;
    ss << in.rdbuf();
    const auto want = nlohmann::json::parse(ss.str());
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i)
        EXPECT_EQ(got[i], want[i]) << "row " << i << ": got\n" << got[i].dump(2) << "\nwant\n" << want[i].dump(2);
    // The architects' answers, spelled out.
    auto row = [&](const char* p, const char* f) {
        for (const auto& r : got)
            if (r["platform"] == p && r["function"] == f)
                return r;
        return nlohmann::json{};
    };
    EXPECT_EQ(row("generic", "test")["backend"], "msi");
    EXPECT_EQ(row("rk3588", "test")["backend"], "embedded");
    EXPECT_EQ(row("rcar-s4", "test")["backend"], "embedded");
    for (const char* p : {"generic", "imx95", "rk3588", "rk3588-msi", "rcar-s4"})
        EXPECT_EQ(row(p, "nvme")["backend"], "poll") << "NVMe doorbells at BAR0+0x1000 are never interrupt-driven";
}

TEST(Cli, SweepGivesOneRowPerPoint) {
    // 2 region sizes x 2 window counts x 2 functions = 8 rows.
    auto o = cli_stdout("sweep --vary soc/pcie-ep@40000000/dbvp,atu-min-region-size=0x1000..0x2000:*2 "
                        "--vary soc/pcie-ep@40000000/num-ib-windows=2,16 -f test -f vntb");
    ASSERT_EQ(o.status, 0) << o.text;
    std::istringstream lines(o.text);
    std::string header, line;
    std::getline(lines, header);
    EXPECT_EQ(header.rfind("function,\"soc/pcie-ep@40000000/dbvp,atu-min-region-size\",soc/pcie-ep@40000000/"
                           "num-ib-windows,backend",
                           0),
              0u)
        << header;
    unsigned rows = 0;
    while (std::getline(lines, line))
        rows += !line.empty();
    EXPECT_EQ(rows, 8u) << o.text;
    // Two inbound windows are too few for the test function, which maps all six BARs: a result, not a crash.
    EXPECT_TRUE(has(o, "test,0x1000,2,none,no,failed,0,0,0,0,0,firmware: bind: BAR2 inbound window: No free inbound "
                       "window"))
        << o.text;
    EXPECT_TRUE(has(o, "test,0x1000,16,msi,yes,ok")) << o.text;
    EXPECT_TRUE(has(o, "vntb,0x2000,2,msi,yes,ok")) << o.text;

    o = cli_stdout("sweep --json --vary soc/pcie-ep@40000000/num-ib-windows=1,2 -f vntb");
    ASSERT_EQ(o.status, 0) << o.text;
    const auto j = nlohmann::json::parse(o.text);
    ASSERT_EQ(j.size(), 2u);
    EXPECT_EQ(j[0]["point"]["soc/pcie-ep@40000000/num-ib-windows"], "1");
    EXPECT_EQ(j[1]["function"], "vntb");
}

TEST(Cli, SweepMistakesExitWithTwo) {
    auto o = cli("sweep --vary nonsense");
    EXPECT_EQ(o.status, 2);
    EXPECT_TRUE(has(o, "expected node/property=values")) << o.text;
    o = cli("sweep --vary soc/pcie-ep@40000000/num-ib-windows=4..1");
    EXPECT_EQ(o.status, 2);
    o = cli("sweep");
    EXPECT_EQ(o.status, 2) << "--vary is required";
}

TEST(Cli, MatrixTableNamesBackendsAndReasons) {
    const auto o = cli_stdout("matrix");
    EXPECT_EQ(o.status, 0) << o.text;
    EXPECT_TRUE(has(o, "platform     func  backend")) << o.text;
    EXPECT_TRUE(has(o, "rk3588       test  embedded  yes  ok      BAR4+0xa0")) << o.text;
    EXPECT_TRUE(has(o, "cannot start at BAR0+0x1000")) << o.text;
}

TEST(Cli, TheMatrixPageInTheDocsIsWhatTheToolPrints) {
    const auto o = cli_stdout("matrix");
    ASSERT_EQ(o.status, 0);
    std::ifstream in(std::string(DBVP_SOURCE_DIR) + "/docs/matrix.md");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string page = ss.str();
    const auto start = page.find("```\n");
    const auto end = page.find("```", start + 4);
    ASSERT_NE(start, std::string::npos);
    ASSERT_NE(end, std::string::npos);
    EXPECT_EQ(page.substr(start + 4, end - start - 4), o.text)
        << "docs/matrix.md is stale: regenerate it with build/tb/dbvp matrix";
}

TEST(Cli, RunWritesATraceWithATrackPerBlockAndAVcd) {
    const std::string json = ::testing::TempDir() + "/cli-trace.json", vcd = ::testing::TempDir() + "/cli-trace.vcd";
    const auto o = cli("run -r 2 --trace " + json + " --vcd " + vcd);
    ASSERT_EQ(o.status, 0) << o.text;
    std::ifstream in(json);
    ASSERT_TRUE(in) << json;
    const auto j = nlohmann::json::parse(in);
    const auto& ev = j.is_object() ? j["traceEvents"] : j;
    std::set<std::string> tracks;
    unsigned spans = 0;
    for (const auto& e : ev) {
        if (e.value("ph", "") == "M" && e.value("name", "") == "thread_name")
            tracks.insert(e["args"]["name"].get<std::string>());
        spans += e.value("ph", "") == "X";
    }
    for (const char* t : {"host", "link.down", "pcie_ep", "sid_glue", "its", "gic", "cpu"})
        EXPECT_TRUE(tracks.count(t)) << t;
    EXPECT_GT(spans, 10u);
    std::ifstream v(vcd);
    std::stringstream ss;
    ss << v.rdbuf();
    EXPECT_NE(ss.str().find("$timescale"), std::string::npos);
    EXPECT_NE(ss.str().find("$var wire 1"), std::string::npos);
    EXPECT_EQ(cli("run --trace /nonexistent/dir/t.json").status, 2);
}
