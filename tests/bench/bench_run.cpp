// bench_run — whole `dbvp run`s per wall-clock second (issue 8: "simulated time per wall-clock time for a whole
// dbvp run").
//
// Each iteration is one complete scenario through the engine the `dbvp` command uses
// (tb/include/dbvp/platform/scenario.h): platform::run_isolated() forks a child that elaborates its own platform
// from the preset, boots the firmware, runs the endpoint function and its host driver, rings the doorbells, accounts
// for every ring and sends the result back as JSON — what `dbvp matrix` does for each of its runs. The wall time of
// an iteration is therefore everything a `dbvp run` costs except process start-up: fork, elaboration, boot,
// enumeration, the rings, the drain and the accounting.
//
//   BM_DbvpRun/<function>/<backend>   generic preset, 32 doorbells (vntb: 32 is its maximum; nvme: 16 queues,
//                                     2 doorbells each; test: always 1), the maximum rings `dbvp run` accepts
//                                     (10,000), seed 1, the command's limit of 3 s simulated. test/poll: 2,000
//                                     rings — the function waits for its poll scan (~1 ms) after every ring, so
//                                     10,000 rings do not fit in the command's 3 s limit (`dbvp run -f test -b poll
//                                     -r 10000` fails the same way).
//
// items = rings (host writes) of the run; wall-clock based (UseRealTime, so Google Benchmark appends "/real_time" to
// the names: the work happens in the child, the parent's CPU time is only waiting). Counters: sim_us_per_s (the
// run's simulated time, from the scenario result, per wall second), wall_ms_per_run, sim_ms_per_run, rings_per_run,
// doorbells (as the run reports them). Every run's result must be ok (every ring delivered or coalesced) with every
// ring made and the backend asked for; otherwise the benchmark fails with SkipWithError naming why, and the program
// exits 1 (Google Benchmark alone would exit 0).
// A measurement (docs/performance.md), never a target.
#include "dbvp/fw/doorbell.h"
#include "dbvp/platform/scenario.h"

#include <benchmark/benchmark.h>
#include <systemc>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

using namespace dbvp;

namespace {

bool g_failed = false; // a run was not ok: exit non-zero (Google Benchmark itself exits 0 after SkipWithError)

constexpr unsigned kDoorbells = 32;
constexpr unsigned kMaxRings = 10000; // `dbvp run --rings` accepts 1..10000 (tb/app/main.cpp)
constexpr unsigned kPollTestRings = 2000;

struct config {
    platform::function_kind function;
    fw::doorbell_backend backend;
    const char* backend_name; // as the scenario result names it (`dbvp run --json`)
};

platform::scenario make_scenario(const config& c) {
    platform::scenario s; // the command's defaults: generic preset, seed 1, limit 3000 ms
    s.platform = "generic";
    s.function = c.function;
    s.backend = c.backend;
    s.doorbells = kDoorbells;
    s.rings = c.function == platform::function_kind::test && c.backend == fw::doorbell_backend::poll ? kPollTestRings
                                                                                                     : kMaxRings;
    return s;
}

std::string why(const platform::scenario_result& r) {
    std::string w = r.error;
    for (const auto& x : r.reasons)
        w += (w.empty() ? "" : "; ") + x;
    return w.empty() ? std::string("no reason given") : w;
}

void BM_DbvpRun(benchmark::State& state, config c) {
    const platform::scenario s = make_scenario(c);
    double wall_ms = 0, sim_us = 0;
    std::int64_t rings = 0;
    std::size_t doorbells = 0; // as the run reports them (test: 1; nvme: 2 per queue)
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        const platform::scenario_result r = platform::run_isolated(s);
        wall_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (!r.ok) {
            const std::string msg = "dbvp run " + r.function + "/" + r.backend + " failed: " + std::to_string(r.rung) +
                                    " rung, " + std::to_string(r.delivered) + " delivered, " +
                                    std::to_string(r.coalesced) + " coalesced, " + std::to_string(r.dropped) +
                                    " dropped: " + why(r);
            g_failed = true;
            state.SkipWithError(msg.c_str());
            break;
        }
        if (r.rung != s.rings || r.backend != c.backend_name) {
            const std::string msg = "dbvp run " + r.function + ": " + std::to_string(r.rung) + " of " +
                                    std::to_string(s.rings) + " rings made, backend " + r.backend;
            g_failed = true;
            state.SkipWithError(msg.c_str());
            break;
        }
        sim_us += r.simulated_us;
        rings += r.rung;
        doorbells = r.doorbells.size();
    }
    state.SetItemsProcessed(rings);
    state.counters["sim_us_per_s"] = benchmark::Counter(sim_us, benchmark::Counter::kIsRate);
    state.counters["wall_ms_per_run"] = benchmark::Counter(wall_ms, benchmark::Counter::kAvgIterations);
    state.counters["sim_ms_per_run"] = benchmark::Counter(sim_us / 1e3, benchmark::Counter::kAvgIterations);
    state.counters["rings_per_run"] = static_cast<double>(s.rings);
    state.counters["doorbells"] = static_cast<double>(doorbells);
}

} // namespace

int sc_main(int argc, char* argv[]) {
    // As the dbvp command: "simulation stopped by user" when the host finished is expected (the children inherit it).
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    using F = platform::function_kind;
    using B = fw::doorbell_backend;
    const std::vector<config> configs = {
        {F::test, B::msi, "msi"}, {F::test, B::embedded, "embedded"}, {F::test, B::poll, "poll"},
        {F::vntb, B::msi, "msi"}, {F::nvme, B::poll, "poll"},
    };
    for (const config& c : configs) {
        const std::string name = std::string("BM_DbvpRun/") + platform::to_string(c.function) + "/" + c.backend_name;
        benchmark::RegisterBenchmark(name.c_str(), BM_DbvpRun, c)->UseRealTime()->Unit(benchmark::kMillisecond);
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return g_failed ? 1 : 0;
}
