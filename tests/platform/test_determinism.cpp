// Determinism (issue 9): the same dbvp command with the same seed gives byte-identical output: stdout, stderr and
// every file it writes (--trace, --vcd, --html), for run, matrix and sweep, over several presets, functions,
// backends and seeds. And the seed does matter where the documentation says it does ("--seed S: seed of the ring
// order and values", scenario.h: "data values (NVMe queue pointers) and the ring order"): another seed rings the
// doorbells of a vNTB or NVMe function in another order, which the trace shows (the ITS EventIDs of vNTB's MSI
// doorbells, the host's writes to the NVMe doorbell registers).
//
// Every command runs the dbvp executable (DBVP_CLI) twice; nothing is compared against a golden file, only the two
// runs against each other.
#include "cli.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// A temporary path of this process (ctest runs several tests of this file at once).
std::string temp(const std::string& name) {
    return ::testing::TempDir() + "/det-" + std::to_string(::getpid()) + "-" + name;
}

using output = dbvp::test::cli_output; // text: stdout, err: stderr

/// Runs `dbvp ARGS` with stdout and stderr captured separately.
output cli(const std::string& args) { return dbvp::test::cli_split(args); }

/// Where two byte strings first differ, for the failure message.
std::string first_difference(const std::string& a, const std::string& b) {
    std::size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i])
        ++i;
    std::ostringstream os;
    os << "sizes " << a.size() << " and " << b.size() << ", first difference at byte " << i << ": \""
       << a.substr(i > 40 ? i - 40 : 0, 120) << "\" vs \"" << b.substr(i > 40 ? i - 40 : 0, 120) << "\"";
    return os.str();
}

/// stderr without AddressSanitizer's notice about SystemC's thread stacks (the sanitizer build prints it once per
/// process, with addresses that differ from run to run; it is not the program's output).
std::string without_sanitizer_notes(const std::string& err) {
    std::istringstream in(err);
    std::string line, out;
    int skip = 0;
    while (std::getline(in, line)) {
        if (line.find("WARNING: ASan is ignoring requested __asan_handle_no_return") != std::string::npos) {
            skip = 2; // and its two explanation lines
            continue;
        }
        if (skip > 0 && (line.rfind("False positive error reports", 0) == 0 || line.rfind("For details see", 0) == 0)) {
            --skip;
            continue;
        }
        skip = 0;
        out += line + "\n";
    }
    return out;
}

/// Runs the command twice (the files it writes renamed between the runs) and expects the same exit status and the
/// same bytes on stdout, on stderr and in every file. `files`: the paths the command writes, as they appear in
/// `args` (each gets a ".1" / ".2" suffix per run). Returns the first run's output.
output twice_identical(const std::string& args_template, const std::vector<std::string>& files = {},
                       std::vector<std::string>* first_files = nullptr) {
    auto args_for = [&](int k) {
        std::string a = args_template;
        for (std::size_t i = 0; i < files.size(); ++i) {
            const std::string key = "{" + std::to_string(i) + "}";
            const auto pos = a.find(key);
            EXPECT_NE(pos, std::string::npos) << "test bug: " << key << " not in " << a;
            if (pos != std::string::npos)
                a.replace(pos, key.size(), files[i] + "." + std::to_string(k));
        }
        return a;
    };
    const output a = cli(args_for(1));
    const output b = cli(args_for(2));
    const std::string what = "dbvp " + args_for(1);
    EXPECT_EQ(a.status, b.status) << what;
    EXPECT_FALSE(a.text.empty()) << what << ": nothing on stdout\n" << a.err;
    EXPECT_TRUE(a.text == b.text) << what << ": stdout differs between two identical runs: "
                                  << first_difference(a.text, b.text);
    const std::string ea = without_sanitizer_notes(a.err), eb = without_sanitizer_notes(b.err);
    EXPECT_TRUE(ea == eb) << what << ": stderr differs between two identical runs: " << first_difference(ea, eb);
    for (const auto& f : files) {
        const std::string fa = slurp(f + ".1"), fb = slurp(f + ".2");
        EXPECT_GT(fa.size(), 100u) << what << ": " << f << " was not written";
        EXPECT_TRUE(fa == fb) << what << ": " << f << " differs between two identical runs: "
                              << first_difference(fa, fb);
        if (first_files)
            first_files->push_back(fa);
        std::remove((f + ".1").c_str());
        std::remove((f + ".2").c_str());
    }
    return a;
}

// ---- ring order from a Chrome trace (docs/tracing.md) -------------------------------------------------------------

struct trace_view {
    nlohmann::json events;
    std::map<int, std::string> track; // tid -> thread_name
};

trace_view parse_trace(const std::string& text) {
    trace_view t;
    const auto j = nlohmann::json::parse(text);
    t.events = j.is_object() ? j["traceEvents"] : j;
    for (const auto& e : t.events)
        if (e.value("ph", "") == "M" && e.value("name", "") == "thread_name")
            t.track[e["tid"].get<int>()] = e["args"]["name"].get<std::string>();
    return t;
}

/// The EventIDs the ITS translated, in trace order: the order the host rang vNTB's MSI doorbells.
std::vector<long long> its_event_ids(const trace_view& t) {
    std::vector<long long> out;
    for (const auto& e : t.events)
        if (e.value("ph", "") == "X" && t.track.count(e.value("tid", -1)) && t.track.at(e.value("tid", -1)) == "its")
            out.push_back(e["args"].value("event_id", -1ll));
    return out;
}

/// The addresses of the host's memory writes, in trace order (for NVMe: the doorbell registers it rang).
std::vector<std::string> host_writes(const trace_view& t) {
    std::vector<std::string> out;
    for (const auto& e : t.events)
        if (e.value("ph", "") == "X" && e.value("name", "") == "MWr" && t.track.count(e.value("tid", -1)) &&
            t.track.at(e.value("tid", -1)) == "host")
            out.push_back(e["args"].value("address", std::string()));
    return out;
}

} // namespace

// ---- run --json -----------------------------------------------------------------------------------------------------

TEST(Determinism, RunJsonIsByteIdenticalForTheSameSeed) {
    // Presets x functions x backends x seeds, ok and failing runs (exit 1) alike; --log adds the firmware console.
    const char* configs[] = {
        "run --json",
        "run --json --log -p generic -f test -b msi --seed 5",
        "run --json -p generic -f vntb -b msi -n 8 -r 40 --seed 7",
        "run --json -p generic -f vntb -b embedded -n 6 -r 30 --seed 11",
        "run --json -p imx95 -f nvme -b poll -n 8 -r 48 --seed 3",
        "run --json -p imx95 -f vntb -n 16 -r 33 --seed 12345678901",
        "run --json -p rk3588 -f vntb -n 4 -r 20 --seed 2",           // polled (no MSI parent)
        "run --json -p rk3588 -f test -b embedded -r 12 --seed 9",
        "run --json -p rk3588-msi -f test --root-port 00:01.0 --seed 4", // every ring dropped: exit 1
        "run --json -p rcar-s4 -f vntb -b embedded -n 5 -r 25 --seed 6",
        "run --json -p rcar-s4 -f nvme -n 4 -r 17 --seed 8",
        "run --json -p generic -f nvme -b msi --seed 1", // refused: no backend fits
    };
    for (const char* c : configs) {
        SCOPED_TRACE(c);
        const output o = twice_identical(c);
        const auto j = nlohmann::json::parse(o.text); // and it is JSON
        EXPECT_TRUE(j.contains("doorbells")) << o.text;
    }
}

TEST(Determinism, RunTextTraceVcdAndHtmlAreByteIdenticalForTheSameSeed) {
    const std::string t = temp("trace.json"), v = temp("trace.vcd"), h = temp("page.html");
    const char* configs[] = {
        "run -p generic -f test -r 4 --seed 3",
        "run -p generic -f vntb -b msi -n 8 -r 16 --seed 21",
        "run -p imx95 -f test -b msi -r 3 --root-port 00:01.0 --seed 2",
        "run -p rk3588 -f test -r 4 --seed 1",
        "run -p rcar-s4 -f vntb -b embedded -n 4 -r 12 --seed 77",
        "run -p imx95 -f nvme -b poll -n 4 -r 12 --seed 5",
        "run -p generic -f vntb -b msi -n 4 -r 6 --root-port 00:01.0 --seed 13", // dropped rings: exit 1
    };
    for (const char* c : configs) {
        SCOPED_TRACE(c);
        std::vector<std::string> files;
        twice_identical(std::string(c) + " --trace {0} --vcd {1} --html {2}", {t, v, h}, &files);
        ASSERT_EQ(files.size(), 3u);
        EXPECT_TRUE(nlohmann::json::accept(files[0])) << "the trace is JSON";
        EXPECT_NE(files[1].find("$enddefinitions"), std::string::npos) << "the VCD has its header";
        EXPECT_NE(files[2].find("</html>"), std::string::npos);
    }
    // JSON on stdout with the files too.
    twice_identical("run --json -p generic -f vntb -n 4 -r 8 --seed 99 --trace {0} --vcd {1} --html {2}", {t, v, h});
}

// ---- matrix and sweep ---------------------------------------------------------------------------------------------

TEST(Determinism, MatrixIsByteIdentical) {
    const std::string h = temp("matrix.html");
    const output j = twice_identical("matrix --json --html {0}", {h});
    EXPECT_EQ(nlohmann::json::parse(j.text).size(), 15u) << "5 presets x 3 functions";
    twice_identical("matrix");
    twice_identical("matrix --json --set soc/pcie-ep@40000000/dbvp,atu-min-region-size=0x1000");
}

TEST(Determinism, SweepIsByteIdentical) {
    const std::string h = temp("sweep.html");
    // More than 4 points: the progress lines on stderr are compared too.
    twice_identical("sweep --vary soc/pcie-ep@40000000/dbvp,atu-min-region-size=0x1000..0x4000:*2 "
                    "--vary soc/pcie-ep@40000000/num-ib-windows=2,16 -f test -f vntb --html {0}",
                    {h});
    twice_identical("sweep --json -p imx95 --vary soc/pcie-ep@40000000/num-ib-windows=4,16 -f vntb -f nvme");
    twice_identical("sweep -p rcar-s4 --vary pcie-link/num-lanes=1,4 --set soc/pcie-ep@40000000/num-ob-windows=8 "
                    "-f test");
}

// ---- the seed matters where the documentation says it does -----------------------------------------------------

TEST(Determinism, AnotherSeedRingsVntbDoorbellsInAnotherOrder) {
    // vNTB with MSI doorbells: each ring is one GITS_TRANSLATER write with the doorbell's EventID, so the ITS track
    // of the trace lists the ring order.
    const unsigned rings = 24;
    const std::string t = temp("vntb-order.json");
    std::vector<std::vector<long long>> order;
    for (const char* seed : {"1", "2", "1"}) {
        const auto o = cli("run -p generic -f vntb -b msi -n 8 -r " + std::to_string(rings) + " --seed " + seed +
                           " --trace " + t);
        ASSERT_EQ(o.status, 0) << o.text << o.err;
        order.push_back(its_event_ids(parse_trace(slurp(t))));
        std::remove(t.c_str());
        ASSERT_EQ(order.back().size(), rings) << "one ITS translation per ring (seed " << seed << ")";
    }
    EXPECT_EQ(order[0], order[2]) << "the same seed rings in the same order";
    EXPECT_NE(order[0], order[1]) << "seeds 1 and 2 ring vNTB's 8 doorbells in the same order";
    // Every doorbell is a valid EventID of the 8.
    for (const auto& o : order)
        for (long long id : o)
            EXPECT_TRUE(id >= 0 && id < 8) << id;
}

TEST(Determinism, AnotherSeedRingsNvmeDoorbellsInAnotherOrder) {
    // NVMe: the host writes queue pointers to BAR0 + 0x1000 + 4 x doorbell; the host track lists the writes.
    const std::string t = temp("nvme-order.json");
    std::vector<std::vector<std::string>> order;
    std::vector<std::string> json;
    for (const char* seed : {"5", "6", "5"}) {
        const auto o =
            cli("run --json -p generic -f nvme -n 8 -r 32 --seed " + std::string(seed) + " --trace " + t);
        ASSERT_EQ(o.status, 0) << o.text << o.err;
        json.push_back(o.text);
        order.push_back(host_writes(parse_trace(slurp(t))));
        std::remove(t.c_str());
        ASSERT_GE(order.back().size(), 32u) << "at least the 32 doorbell writes (seed " << seed << ")";
    }
    EXPECT_EQ(order[0], order[2]) << "the same seed writes in the same order";
    EXPECT_EQ(json[0], json[2]);
    EXPECT_NE(order[0], order[1]) << "seeds 5 and 6 ring the NVMe doorbells in the same order";
    // The same set of doorbell registers is used, only the order differs.
    auto doorbell_writes = [](std::vector<std::string> w) {
        std::vector<std::string> out;
        for (const auto& a : w) {
            const unsigned long long v = std::strtoull(a.c_str(), nullptr, 0);
            if ((v & 0xffff) >= 0x1000 && (v & 0xffff) < 0x1000 + 4 * 8)
                out.push_back(a);
        }
        return out;
    };
    EXPECT_EQ(doorbell_writes(order[0]).size(), 32u);
    EXPECT_EQ(doorbell_writes(order[1]).size(), 32u);
}
