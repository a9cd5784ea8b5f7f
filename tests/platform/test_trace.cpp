// Tracing (dbvp/core/trace.h) on the platform: MSI doorbells rung by the host appear as spans on every block's
// track, in path order; a doorbell the ITS drops shows the drop with the DeviceID; the VCD has the interrupt
// lines and the iATU hits; the same run twice gives byte-identical files. Plus the tracer on its own (lanes for
// overlapping spans, escaping, the files written at exit).
#include "dbvp/core/trace.h"
#include "dbvp/fw/doorbell.h"
#include "dbvp/fw/endpoint.h"
#include "dbvp/platform/platform.h"
#include "reports.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace dbvp;
using nlohmann::json;

namespace {

constexpr unsigned DB_BAR = 2;
constexpr std::uint64_t DB_BAR_SIZE = 0x10000;
constexpr std::uint64_t GITS_TRANSLATER = 0x48050040;

std::string temp_path(const std::string& leaf) {
    return ::testing::TempDir() + "dbvp_trace_" + std::to_string(::getpid()) + "_" + leaf;
}

/// Test outputs are removed unless DBVP_KEEP_TRACE is set (to open them in a viewer).
void discard(const std::string& path) {
    if (!std::getenv("DBVP_KEEP_TRACE"))
        std::remove(path.c_str());
}

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

// ---- The scenario: the firmware allocates `count` MSI doorbells in BAR2, the host rings each once. ----------

struct fw_state {
    bool ready = false;
    std::string error;
    std::vector<fw::doorbell> dbs;
    std::vector<std::uint64_t> where; // BAR2 offset of each doorbell
    std::vector<unsigned> rang;
};

void firmware(fw::hal& h, unsigned count, const fw::doorbell_requirements& req, fw_state& r) {
    fw::endpoint e(h);
    auto fail = [&](const std::string& what, const fw::status& s) { r.error = what + ": " + s.message(); };
    if (auto s = e.boot(); !s)
        return fail("boot", s);
    auto& ep = e.controller();
    auto& db = e.doorbells();
    auto got = db.alloc(0, count, req);
    if (!got)
        return fail("alloc", got.error());
    r.dbs = got.value();
    if (auto s = ep.configure_bar(0, DB_BAR, DB_BAR_SIZE, {}); !s)
        return fail("BAR", s);
    std::uint64_t base = 0, off = 0;
    if (auto s = ep.align_inbound_addr(0, DB_BAR, r.dbs[0].address, base, off); !s)
        return fail("align", s);
    if (auto s = ep.map_bar(0, DB_BAR, base); !s)
        return fail("map", s);
    for (const auto& d : r.dbs)
        r.where.push_back(d.address - base);
    for (unsigned i = 0; i < count; ++i)
        if (auto s = db.listen(0, i, [&r](unsigned idx) { r.rang.push_back(idx); }); !s)
            return fail("listen", s);
    if (auto s = e.start_link(); !s)
        return fail("link", s);
    r.ready = true;
    for (;;) {
        h.wait_for_interrupt(100000);
        db.service();
    }
}

struct scenario {
    fw_state fw;
    host::enum_result en;
    std::vector<std::uint64_t> rung; // host address of each doorbell write
    bool finished = false;
};

/// Build the platform, trace the whole run into the two files, ring `count` doorbells 20 us apart.
void run_traced(const std::vector<std::string>& overrides, unsigned count, const std::string& json_path,
                const std::string& vcd_path, scenario& sc, const std::string& platform_name = "generic",
                const fw::doorbell_requirements& req = {}) {
    platform::platform p("platform", {platform_name, overrides});
    p.set_firmware([&](fw::hal& h) { firmware(h, count, req, sc.fw); });
    p.set_host_software([&](host::hal& h) {
        sc.en = host::enumerate(h, p.enumeration_config());
        if (!sc.en.ok)
            return;
        while (!sc.fw.ready && sc.fw.error.empty())
            h.sleep_ns(10000);
        for (std::size_t i = 0; i < sc.fw.dbs.size(); ++i) {
            const std::uint64_t at = sc.en.functions.at(0).bars[DB_BAR].address + sc.fw.where[i];
            sc.rung.push_back(at);
            h.mem_write(at, &sc.fw.dbs[i].data, 4);
            h.sleep_ns(20000);
        }
        h.sleep_ns(20000);
    });
    trace::start(json_path, vcd_path);
    sc.finished = p.run(sc_core::sc_time(1, sc_core::SC_SEC));
    trace::finish();
}

// ---- Reading the Chrome JSON ---------------------------------------------------------------------------------

struct event {
    std::string track, name;
    double ts = 0, dur = 0;
    json args;
    double end() const { return ts + dur; }
};

struct chrome {
    std::map<int, std::string> names; // tid -> thread_name
    std::vector<event> spans, instants;

    std::vector<event> on(const std::string& track, const std::string& name) const {
        std::vector<event> v;
        for (const auto& e : spans)
            if (e.track == track && e.name == name)
                v.push_back(e);
        return v;
    }
};

chrome load_chrome(const std::string& path) {
    chrome c;
    const json j = json::parse(slurp(path)); // throws (fails the test) when not JSON
    EXPECT_TRUE(j.contains("traceEvents"));
    for (const auto& e : j.at("traceEvents"))
        if (e.at("ph") == "M" && e.at("name") == "thread_name")
            c.names[e.at("tid").get<int>()] = e.at("args").at("name").get<std::string>();
    for (const auto& e : j.at("traceEvents")) {
        const std::string ph = e.at("ph");
        if (ph != "X" && ph != "i")
            continue;
        event ev;
        ev.track = c.names.at(e.at("tid").get<int>());
        ev.name = e.at("name");
        ev.ts = e.at("ts").get<double>();
        if (ph == "X")
            ev.dur = e.at("dur").get<double>();
        ev.args = e.value("args", json::object());
        (ph == "X" ? c.spans : c.instants).push_back(ev);
    }
    return c;
}

std::uint64_t hex_arg(const event& e, const char* key) {
    return std::stoull(e.args.at(key).get<std::string>(), nullptr, 16);
}

// ---- Reading the VCD -------------------------------------------------------------------------------------------

struct vcd {
    std::string timescale;
    std::map<std::string, std::string> code_of; // full dotted name -> identifier code
    std::map<std::string, std::string> type_of; // full dotted name -> wire / event / integer
    std::vector<std::uint64_t> times;           // every #time, in file order
    std::map<std::string, std::vector<std::pair<std::uint64_t, std::string>>> changes; // code -> (time, value)
};

vcd load_vcd(const std::string& path) {
    vcd v;
    std::istringstream in(slurp(path));
    std::string tok;
    std::vector<std::string> scope;
    bool defs = true;
    std::uint64_t now = 0;
    while (in >> tok) {
        if (defs) {
            if (tok == "$timescale") {
                std::string a, b;
                in >> a >> b;
                v.timescale = a + " " + b;
            } else if (tok == "$scope") {
                std::string kind, name;
                in >> kind >> name;
                scope.push_back(name);
            } else if (tok == "$upscope") {
                scope.pop_back();
            } else if (tok == "$var") {
                std::string type, width, code, name;
                in >> type >> width >> code >> name;
                std::string full;
                for (std::size_t i = 1; i < scope.size(); ++i) // scope[0] is the top "dbvp"
                    full += scope[i] + ".";
                full += name;
                v.code_of[full] = code;
                v.type_of[full] = type;
            } else if (tok == "$enddefinitions") {
                defs = false;
            }
            continue;
        }
        if (tok[0] == '#') {
            now = std::stoull(tok.substr(1));
            v.times.push_back(now);
        } else if (tok == "$dumpvars" || tok == "$end") {
            continue;
        } else if (tok[0] == 'b') {
            std::string code;
            in >> code;
            v.changes[code].push_back({now, tok.substr(1)});
        } else {
            v.changes[tok.substr(1)].push_back({now, tok.substr(0, 1)});
        }
    }
    return v;
}

} // namespace

TEST(Trace, EveryDoorbellCrossesEveryBlockInPathOrder) {
    const std::string jp = temp_path("path.json"), vp = temp_path("path.vcd");
    constexpr unsigned N = 4;
    scenario sc;
    run_traced({}, N, jp, vp, sc);
    ASSERT_TRUE(sc.finished);
    ASSERT_TRUE(sc.fw.ready) << sc.fw.error;
    ASSERT_EQ(sc.fw.rang.size(), N);
    EXPECT_FALSE(trace::on());

    const chrome c = load_chrome(jp);
    // One named track per block that took part (a second lane of a track would be "name (2)").
    std::set<std::string> names;
    for (const auto& [tid, name] : c.names)
        EXPECT_TRUE(names.insert(name).second) << "track named twice: " << name;
    for (const char* t : {"host", "link.down", "link.up", "pcie_ep", "sid_glue", "soc", "its", "gic", "cpu"})
        EXPECT_EQ(names.count(t), 1u) << "no track " << t;
    EXPECT_EQ(names.count("smmu"), 0u) << "the generic platform has no SMMU";

    // The doorbell writes, block by block (all N hit the same address: BAR2 + 0x40 = GITS_TRANSLATER).
    auto at = [](std::vector<event> v, auto pred) {
        std::vector<event> out;
        for (auto& e : v)
            if (pred(e))
                out.push_back(e);
        return out;
    };
    const std::uint64_t bar_addr = sc.rung.at(0);
    const auto host = at(c.on("host", "MWr"), [&](const event& e) { return hex_arg(e, "address") == bar_addr; });
    const auto down = at(c.on("link.down", "MWr"), [&](const event& e) { return hex_arg(e, "address") == bar_addr; });
    const auto ep = at(c.on("pcie_ep", "MWr"), [&](const event& e) {
        return e.args.contains("target") && hex_arg(e, "target") == GITS_TRANSLATER;
    });
    auto to_its = [&](const event& e) { return hex_arg(e, "address") == GITS_TRANSLATER; };
    const auto glue = at(c.on("sid_glue", "write"), to_its);
    const auto soc = at(c.on("soc", "write"), to_its);
    const auto its = c.on("its", "translate");
    const auto gic = c.on("gic", "LPI");
    std::vector<event> cpu;
    for (const auto& e : c.spans)
        if (e.track == "cpu")
            cpu.push_back(e);
    const std::vector<event>* const blocks[] = {&host, &down, &ep, &glue, &soc, &its, &gic, &cpu};
    for (const std::vector<event>* v : blocks)
        ASSERT_EQ(v->size(), N);

    constexpr double eps = 1e-6; // 1 ps in us
    for (unsigned i = 0; i < N; ++i) {
        SCOPED_TRACE("doorbell " + std::to_string(i));
        const fw::doorbell& d = sc.fw.dbs[i];
        // Arguments: the IDs each block saw.
        EXPECT_EQ(host[i].args.at("size"), 4);
        EXPECT_EQ(hex_arg(host[i], "requester_id"), 0u);
        EXPECT_EQ(hex_arg(down[i], "requester_id"), 0u);
        EXPECT_EQ(ep[i].args.at("bar"), DB_BAR);
        EXPECT_GE(ep[i].args.at("region").get<int>(), 0);
        EXPECT_EQ(glue[i].args.at("stream_id"), 0);
        EXPECT_EQ(glue[i].args.at("device_id"), 0);
        EXPECT_EQ(glue[i].args.at("source"), "map");
        EXPECT_EQ(its[i].args.at("device_id"), 0);
        EXPECT_EQ(its[i].args.at("event_id"), d.data);
        EXPECT_EQ(its[i].args.at("intid"), d.irq);
        EXPECT_EQ(its[i].args.at("outcome"), "lpi");
        EXPECT_EQ(gic[i].args.at("intid"), d.irq);
        EXPECT_EQ(cpu[i].args.at("intid"), d.irq);
        EXPECT_EQ(cpu[i].name, "irq " + std::to_string(d.irq));
        // Path order: each block takes over where the previous one let go (LT delays add up exactly).
        EXPECT_GT(host[i].dur, 0);
        EXPECT_NEAR(down[i].ts, host[i].end(), eps);
        EXPECT_NEAR(ep[i].ts, down[i].end(), eps);
        EXPECT_NEAR(glue[i].ts, ep[i].end(), eps);
        EXPECT_NEAR(soc[i].ts, glue[i].end(), eps);
        EXPECT_NEAR(its[i].ts, soc[i].end(), eps);
        EXPECT_GE(gic[i].ts, its[i].ts);
        EXPECT_LE(gic[i].ts, its[i].end() + eps);
        EXPECT_GE(cpu[i].ts + eps, gic[i].end()) << "the handler runs after nIRQ rose";
        if (i > 0) {
            EXPECT_GT(host[i].ts, cpu[i - 1].ts) << "doorbells in ring order";
            EXPECT_GT(its[i].ts, its[i - 1].end());
        }
    }
    EXPECT_TRUE(c.instants.empty() || [&] {
        for (const auto& e : c.instants)
            if (e.track == "its")
                return false;
        return true;
    }()) << "no ITS drop";

    // The VCD: the interrupt wires and the iATU hits.
    const vcd v = load_vcd(vp);
    EXPECT_EQ(v.timescale, sc_core::sc_get_time_resolution().to_string());
    for (const char* w : {"platform.gic.irq", "platform.link.link_up", "platform.pcie_ep.ltssm_enable",
                          "platform.edma.irq0"}) {
        ASSERT_EQ(v.code_of.count(w), 1u) << w;
        EXPECT_EQ(v.type_of.at(w), "wire") << w;
    }
    for (std::size_t i = 1; i < v.times.size(); ++i)
        EXPECT_LT(v.times[i - 1], v.times[i]) << "value changes in time order";
    // A line that never changed is there all the same, at its level.
    EXPECT_EQ(v.changes.at(v.code_of.at("platform.edma.irq0")),
              (std::vector<std::pair<std::uint64_t, std::string>>{{0, "0"}}));
    // nIRQ: low at the start, then a rise per doorbell, each at the end of the GIC's span.
    const auto& nirq = v.changes.at(v.code_of.at("platform.gic.irq"));
    ASSERT_FALSE(nirq.empty());
    EXPECT_EQ(nirq.front(), std::make_pair(std::uint64_t{0}, std::string("0")));
    std::vector<std::uint64_t> rises;
    for (const auto& [t, val] : nirq)
        if (val == "1")
            rises.push_back(t);
    ASSERT_GE(rises.size(), N);
    const double ps_per_unit = sc_core::sc_get_time_resolution().to_seconds() * 1e12;
    for (unsigned i = 0; i < N; ++i) {
        const double rise_us = static_cast<double>(rises[rises.size() - N + i]) * ps_per_unit * 1e-6;
        EXPECT_NEAR(rise_us, gic[i].end(), eps) << "nIRQ rise of doorbell " << i;
    }
    // The doorbells' inbound region pulses, and the "last region" integer.
    const std::string region = "platform.pcie_ep.iatu.inbound" + std::to_string(ep[0].args.at("region").get<int>());
    ASSERT_EQ(v.code_of.count(region), 1u) << region;
    EXPECT_EQ(v.type_of.at(region), "event");
    EXPECT_GE(v.changes.at(v.code_of.at(region)).size(), N);
    ASSERT_EQ(v.code_of.count("platform.pcie_ep.iatu.inbound_region"), 1u);
    EXPECT_EQ(v.type_of.at("platform.pcie_ep.iatu.inbound_region"), "integer");
    discard(jp);
    discard(vp);
}

TEST(Trace, DoorbellDroppedByTheItsShowsTheDeviceId) {
    // Root port at 00:01.0: requester ID 8 -> DeviceID 8, while the firmware mapped DeviceID 0.
    const std::string jp = temp_path("drop.json");
    constexpr unsigned N = 2;
    scenario sc;
    run_traced({"host/dbvp,root-port=0x8"}, N, jp, "", sc);
    ASSERT_TRUE(sc.finished);
    ASSERT_TRUE(sc.fw.ready) << sc.fw.error;
    EXPECT_TRUE(sc.fw.rang.empty());

    const chrome c = load_chrome(jp);
    std::vector<event> drops;
    for (const auto& e : c.instants)
        if (e.track == "its" && e.name == "drop")
            drops.push_back(e);
    ASSERT_EQ(drops.size(), N);
    for (unsigned i = 0; i < N; ++i) {
        EXPECT_EQ(drops[i].args.at("reason"), "device_unmapped");
        EXPECT_EQ(drops[i].args.at("device_id"), 8);
        EXPECT_EQ(drops[i].args.at("event_id"), sc.fw.dbs[i].data);
    }
    // The glue derived DeviceID 8 from requester ID 8; the translation span ends in the drop; no handler ran.
    unsigned glue8 = 0;
    for (const auto& e : c.on("sid_glue", "write"))
        if (hex_arg(e, "address") == GITS_TRANSLATER) {
            EXPECT_EQ(hex_arg(e, "requester_id"), 8u);
            EXPECT_EQ(e.args.at("device_id"), 8);
            ++glue8;
        }
    EXPECT_EQ(glue8, N);
    const auto its = c.on("its", "translate");
    ASSERT_EQ(its.size(), N);
    for (unsigned i = 0; i < N; ++i) {
        EXPECT_EQ(its[i].args.at("outcome"), "device_unmapped");
        EXPECT_NEAR(drops[i].ts, its[i].end(), 1e-6);
    }
    EXPECT_TRUE(c.on("gic", "LPI").empty());
    for (const auto& e : c.spans)
        EXPECT_NE(e.track, "cpu") << "no interrupt was taken";
    discard(jp);
}

TEST(Trace, Imx95DoorbellGoesThroughTheLutAndTheSmmu) {
    const std::string jp = temp_path("imx95.json");
    scenario sc;
    run_traced({}, 2, jp, "", sc, std::string(DBVP_SOURCE_DIR) + "/tests/data/imx95-like.dts");
    ASSERT_TRUE(sc.finished);
    ASSERT_TRUE(sc.fw.ready) << sc.fw.error;
    ASSERT_EQ(sc.fw.rang.size(), 2u);
    const chrome c = load_chrome(jp);
    // The doorbell targets an IOVA the SMMU translates onto GITS_TRANSLATER.
    std::vector<event> smmu;
    for (const auto& e : c.on("smmu", "write"))
        if (hex_arg(e, "output") == GITS_TRANSLATER)
            smmu.push_back(e);
    ASSERT_EQ(smmu.size(), 2u);
    const auto its = c.on("its", "translate");
    ASSERT_EQ(its.size(), 2u);
    const auto glue_spans = c.on("sid_glue", "write");
    for (unsigned i = 0; i < 2; ++i) {
        SCOPED_TRACE("doorbell " + std::to_string(i));
        EXPECT_EQ(smmu[i].args.at("outcome"), "translate");
        EXPECT_EQ(smmu[i].args.at("stream_id"), 0x10);
        const std::uint64_t iova = hex_arg(smmu[i], "address");
        const event* glue = nullptr;
        for (const auto& e : glue_spans)
            if (hex_arg(e, "address") == iova && e.ts <= smmu[i].ts && (!glue || e.ts > glue->ts))
                glue = &e;
        ASSERT_NE(glue, nullptr);
        EXPECT_EQ(glue->args.at("source"), "lut_entry");
        EXPECT_EQ(glue->args.at("lut_entry"), 0);
        EXPECT_EQ(glue->args.at("stream_id"), 0x10);
        EXPECT_EQ(glue->args.at("device_id"), 0x10);
        EXPECT_NEAR(smmu[i].ts, glue->end(), 1e-6);
        EXPECT_GE(its[i].ts + 1e-6, smmu[i].end());
        EXPECT_EQ(its[i].args.at("device_id"), 0x10);
        EXPECT_EQ(its[i].args.at("outcome"), "lpi");
    }
    std::set<std::string> names;
    for (const auto& [tid, name] : c.names)
        names.insert(name);
    EXPECT_EQ(names.count("smmu"), 1u);
    discard(jp);
}

TEST(Trace, EmbeddedDoorbellIsAnInterruptEmulationOnTheEdma) {
    const std::string jp = temp_path("embedded.json"), vp = temp_path("embedded.vcd");
    fw::doorbell_requirements req;
    req.backend = fw::doorbell_backend::embedded;
    scenario sc;
    run_traced({}, 1, jp, vp, sc, "generic", req);
    ASSERT_TRUE(sc.finished);
    ASSERT_TRUE(sc.fw.ready) << sc.fw.error;
    ASSERT_EQ(sc.fw.rang.size(), 1u);
    const unsigned spi = sc.fw.dbs[0].irq;
    const chrome c = load_chrome(jp);
    std::vector<event> from_host, emulation;
    for (const auto& e : c.on("edma", "register write"))
        if (e.args.at("from") == "pcie")
            from_host.push_back(e);
    for (const auto& e : c.instants)
        if (e.track == "edma" && e.name == "interrupt emulation")
            emulation.push_back(e);
    ASSERT_EQ(from_host.size(), 1u);
    EXPECT_EQ(hex_arg(from_host[0], "offset"), 0xa0u) << "RD_INT_STATUS";
    ASSERT_EQ(emulation.size(), 1u);
    EXPECT_EQ(emulation[0].args.at("direction"), "read");
    EXPECT_GE(emulation[0].ts + 1e-6, from_host[0].ts);
    const auto spis = c.on("gic", "SPI");
    ASSERT_FALSE(spis.empty());
    EXPECT_EQ(spis.back().args.at("intid"), spi);
    EXPECT_GE(spis.back().ts + 1e-6, emulation[0].ts);
    const auto cpu = c.on("cpu", "irq " + std::to_string(spi));
    ASSERT_FALSE(cpu.empty());
    EXPECT_GE(cpu.back().ts + 1e-6, spis.back().end());
    // The eDMA's line rose with the emulation and fell when the handler acknowledged it.
    const vcd v = load_vcd(vp);
    const auto& line = v.changes.at(v.code_of.at("platform.edma.irq0"));
    ASSERT_EQ(line.size(), 3u);
    EXPECT_EQ(line[1].second, "1");
    EXPECT_EQ(line[2].second, "0");
    const double ps_per_unit = sc_core::sc_get_time_resolution().to_seconds() * 1e12;
    EXPECT_NEAR(static_cast<double>(line[1].first) * ps_per_unit * 1e-6, emulation[0].ts, 1e-6);
    discard(jp);
    discard(vp);
}

TEST(Trace, SameRunTwiceGivesByteIdenticalFiles) {
    // SystemC elaborates once per process: each run in a child of its own.
    auto run_child = [](const std::string& jp, const std::string& vp) {
        const pid_t pid = ::fork();
        if (pid == 0) {
            scenario sc;
            run_traced({}, 3, jp, vp, sc);
            ::_exit(sc.finished && sc.fw.rang.size() == 3 && !::testing::Test::HasFailure() ? 0 : 1);
        }
        int status = 0;
        EXPECT_EQ(::waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
    };
    const std::string j1 = temp_path("a.json"), v1 = temp_path("a.vcd");
    const std::string j2 = temp_path("b.json"), v2 = temp_path("b.vcd");
    ASSERT_TRUE(run_child(j1, v1));
    ASSERT_TRUE(run_child(j2, v2));
    const std::string a = slurp(j1), b = slurp(j2);
    EXPECT_GT(a.size(), 1000u);
    EXPECT_TRUE(a == b) << "the Chrome JSON differs between two identical runs";
    const std::string va = slurp(v1), vb = slurp(v2);
    EXPECT_GT(va.size(), 100u);
    EXPECT_TRUE(va == vb) << "the VCD differs between two identical runs";
    for (const auto& f : {j1, v1, j2, v2})
        discard(f);
}

TEST(Trace, OffRecordsNothing) {
    EXPECT_FALSE(trace::on());
    platform::platform p("platform", {});
    fw_state fw;
    p.set_firmware([&](fw::hal& h) { firmware(h, 1, {}, fw); });
    p.run(sc_core::sc_time(10, sc_core::SC_MS)); // the firmware is in its service loop after about 4.4 ms
    EXPECT_TRUE(fw.ready) << "the firmware did not reach its service loop by " << sc_core::sc_time_stamp() << ": "
                          << fw.error;
    EXPECT_EQ(trace::recorded_events(), 0u);
    EXPECT_EQ(trace::recorded_changes(), 0u);
    trace::finish(); // harmless when off
}

TEST(Trace, OverlappingSpansGetTheirOwnLaneAndNestedOnesStay) {
    using sc_core::sc_time;
    using sc_core::SC_NS;
    const std::string jp = temp_path("lanes.json"), vp = temp_path("lanes.vcd");
    trace::start(jp, vp);
    EXPECT_TRUE(trace::on());
    trace::span(trace::track::link_up, "A", sc_time(10, SC_NS), sc_time(30, SC_NS), {{"k", 1u}});
    trace::span(trace::track::link_up, "inner", sc_time(12, SC_NS), sc_time(20, SC_NS));
    trace::span(trace::track::link_up, "B", sc_time(20, SC_NS), sc_time(40, SC_NS)); // overlaps A, not nested
    trace::span(trace::track::link_up, "C", sc_time(30, SC_NS), sc_time(35, SC_NS)); // after A: lane 1 again
    trace::instant(trace::track::its, "drop \"quoted\"\n", sc_time(5, SC_NS),
                   {{"reason", "a\\b"}, {"neg", -3}, trace::arg::hex("address", 0xfee00000u), {"flag", true}});
    trace::wire("top.irq", true, sc_time(10, SC_NS));
    trace::wire("top.irq", false, sc_time(15, SC_NS));
    trace::pulse("top.hit", sc_time(12, SC_NS));
    trace::value("top.region", 5, sc_time(12, SC_NS));
    trace::finish();
    EXPECT_FALSE(trace::on());

    const chrome c = load_chrome(jp);
    std::map<std::string, std::string> lane;
    for (const auto& e : c.spans)
        lane[e.name] = e.track;
    EXPECT_EQ(lane["A"], "link.up");
    EXPECT_EQ(lane["inner"], "link.up");
    EXPECT_EQ(lane["B"], "link.up (2)");
    EXPECT_EQ(lane["C"], "link.up");
    ASSERT_EQ(c.instants.size(), 1u);
    EXPECT_EQ(c.instants[0].name, "drop \"quoted\"\n");
    EXPECT_EQ(c.instants[0].args.at("reason"), "a\\b");
    EXPECT_EQ(c.instants[0].args.at("neg"), -3);
    EXPECT_EQ(c.instants[0].args.at("address"), "0xfee00000");
    EXPECT_EQ(c.instants[0].args.at("flag"), true);
    EXPECT_DOUBLE_EQ(c.instants[0].ts, 0.005);
    for (const auto& e : c.spans)
        if (e.name == "A") {
            EXPECT_DOUBLE_EQ(e.ts, 0.01);
            EXPECT_DOUBLE_EQ(e.dur, 0.02);
        }

    const vcd v = load_vcd(vp);
    ASSERT_EQ(v.code_of.count("top.irq"), 1u);
    EXPECT_EQ(v.type_of.at("top.hit"), "event");
    EXPECT_EQ(v.type_of.at("top.region"), "integer");
    const auto& irq = v.changes.at(v.code_of.at("top.irq"));
    const std::uint64_t ns = sc_time(1, SC_NS).value();
    ASSERT_EQ(irq.size(), 3u);
    EXPECT_EQ(irq[0], std::make_pair(std::uint64_t{0}, std::string("0")));
    EXPECT_EQ(irq[1], std::make_pair(10 * ns, std::string("1")));
    EXPECT_EQ(irq[2], std::make_pair(15 * ns, std::string("0")));
    EXPECT_EQ(v.changes.at(v.code_of.at("top.region")).back(), std::make_pair(12 * ns, std::string("101")));
    discard(jp);
    discard(vp);
}

TEST(Trace, EveryInterruptLineIsDeclaredWithItsLevel) {
    const std::string vp = temp_path("lines.vcd");
    irq_out high("pre.high"), quiet("pre.quiet");
    high.set(true); // before tracing: not recorded, but the wire starts high
    trace::start("", vp);
    irq_out late("post.late"), late_quiet("post.quiet");
    high.set(false);
    late.set(true);
    trace::finish();
    const vcd v = load_vcd(vp);
    using changes = std::vector<std::pair<std::uint64_t, std::string>>;
    for (const char* n : {"pre.high", "pre.quiet", "post.late", "post.quiet"})
        ASSERT_EQ(v.code_of.count(n), 1u) << n;
    EXPECT_EQ(v.changes.at(v.code_of.at("pre.high")), (changes{{0, "1"}, {0, "0"}}));
    EXPECT_EQ(v.changes.at(v.code_of.at("pre.quiet")), (changes{{0, "0"}}));
    EXPECT_EQ(v.changes.at(v.code_of.at("post.late")), (changes{{0, "0"}, {0, "1"}}));
    EXPECT_EQ(v.changes.at(v.code_of.at("post.quiet")), (changes{{0, "0"}}));
    discard(vp);
}

TEST(Trace, FilesAreWrittenAtExitWhenFinishIsForgotten) {
    const std::string jp = temp_path("exit.json");
    const pid_t pid = ::fork();
    if (pid == 0) {
        trace::start(jp, "");
        trace::instant(trace::track::host, "left behind", sc_core::SC_ZERO_TIME);
        std::exit(0); // static destructors run: the tracer writes its file
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const chrome c = load_chrome(jp);
    ASSERT_EQ(c.instants.size(), 1u);
    EXPECT_EQ(c.instants[0].name, "left behind");
    EXPECT_EQ(c.instants[0].track, "host");
    discard(jp);
}

TEST(Trace, UnwritablePathIsAnError) {
    EXPECT_THROW(trace::start("/nonexistent-dir/x.json", ""), std::runtime_error);
    EXPECT_FALSE(trace::on());
}
