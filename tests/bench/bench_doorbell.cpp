// bench_doorbell — doorbells handled per wall-clock second through the whole modelled path, one backend per run:
//   msi       host write -> link -> endpoint -> inbound iATU -> glue -> GITS_TRANSLATER -> ITS -> LPI -> GIC ->
//             CPU -> the firmware's handler
//   embedded  ... -> eDMA interrupt emulation -> SPI -> handler (kicks coalesce while the line is high)
//   poll      ... -> endpoint RAM; the allocator's scan finds the slot
// The real firmware (fw::endpoint, doorbell_allocator) and host software run on the generic platform; the host
// rings 32 doorbells round-robin as fast as its posted writes go. SystemC elaborates once per process, so the
// backend is chosen on the command line (--backend=msi|embedded|poll, default msi) and one benchmark runs: each
// iteration advances the simulation by 20 us; items = doorbell events the firmware handled (an embedded kick
// counts once however many rings it covers), counters: host rings per second and
// simulated-to-wall time. A measurement (docs/performance.md), never a target.
#include "dbvp/fw/endpoint.h"
#include "dbvp/platform/platform.h"

#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

using namespace dbvp;

namespace {

constexpr unsigned DOORBELLS = 32;
constexpr unsigned DB_BAR = 2;

struct state_t {
    bool ready = false;
    bool stop = false; // the host stops ringing (the benchmarks are over)
    std::string error;
    std::vector<fw::doorbell> dbs;
    std::vector<std::uint64_t> offset;
    std::uint64_t handled = 0, rung = 0;
};

state_t st;

void firmware(fw::hal& h, fw::doorbell_backend backend) {
    fw::endpoint e(h);
    if (auto s = e.boot(); !s) {
        st.error = s.message();
        return;
    }
    fw::doorbell_requirements req;
    req.backend = backend;
    auto got = e.doorbells().alloc(0, DOORBELLS, req);
    if (!got) {
        st.error = got.error().message();
        return;
    }
    st.dbs = got.value();
    auto& ep = e.controller();
    std::uint64_t base = 0, off = 0;
    if (auto s = ep.configure_bar(0, DB_BAR, 0x10000, {}); !s) {
        st.error = s.message();
        return;
    }
    ep.align_inbound_addr(0, DB_BAR, st.dbs[0].address, base, off);
    if (auto s = ep.map_bar(0, DB_BAR, base); !s) {
        st.error = s.message();
        return;
    }
    for (unsigned i = 0; i < DOORBELLS; ++i) {
        st.offset.push_back(st.dbs[i].address - base);
        // Embedded doorbells are one shared kick: one listener counts each kick once.
        if (backend != fw::doorbell_backend::embedded || i == 0)
            e.doorbells().listen(0, i, [](unsigned) { ++st.handled; });
    }
    if (auto s = e.start_link(); !s) {
        st.error = s.message();
        return;
    }
    st.ready = true;
    for (;;) {
        h.wait_for_interrupt(100000);
        e.doorbells().service();
    }
}

void host_software(host::hal& h, platform::platform& p) {
    auto en = host::enumerate(h, p.enumeration_config());
    if (!en.ok) {
        st.error = en.error;
        return;
    }
    while (!st.ready && st.error.empty())
        h.sleep_ns(10000);
    const std::uint64_t bar = en.functions.at(0).bars[DB_BAR].address;
    for (unsigned i = 0;; i = (i + 1) % DOORBELLS) {
        if (st.stop) { // idle: returning would end the simulation
            h.sleep_ns(1000000);
            continue;
        }
        // MSI: the data is the EventID (0 included); poll: any non-zero value; embedded: ignored.
        const std::uint32_t data = st.dbs[i].data || st.dbs[i].backend != fw::doorbell_backend::poll ? st.dbs[i].data : 1;
        h.mem_write(bar + st.offset[i], &data, 4);
        ++st.rung;
    }
}

void BM_Doorbell(benchmark::State& state) {
    const std::uint64_t handled0 = st.handled, rung0 = st.rung;
    const sc_core::sc_time sim0 = sc_core::sc_time_stamp();
    for (auto _ : state)
        sc_core::sc_start(sc_core::sc_time(20, sc_core::SC_US));
    state.SetItemsProcessed(static_cast<std::int64_t>(st.handled - handled0));
    state.counters["rings_per_s"] =
        benchmark::Counter(static_cast<double>(st.rung - rung0), benchmark::Counter::kIsRate);
    state.counters["sim_us_per_s"] = benchmark::Counter(
        (sc_core::sc_time_stamp() - sim0).to_seconds() * 1e6, benchmark::Counter::kIsRate);
}

} // namespace

int sc_main(int argc, char* argv[]) {
    fw::doorbell_backend backend = fw::doorbell_backend::msi;
    std::vector<char*> args;
    for (int i = 0; i < argc; ++i) {
        if (std::strcmp(argv[i], "--backend=embedded") == 0)
            backend = fw::doorbell_backend::embedded;
        else if (std::strcmp(argv[i], "--backend=poll") == 0)
            backend = fw::doorbell_backend::poll;
        else if (std::strcmp(argv[i], "--backend=msi") != 0)
            args.push_back(argv[i]);
    }
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    platform::platform p("platform", {});
    p.set_firmware([&](fw::hal& h) { firmware(h, backend); });
    p.set_host_software([&](host::hal& h) { host_software(h, p); });
    while (!st.ready && st.error.empty() && sc_core::sc_time_stamp() < sc_core::sc_time(1, sc_core::SC_SEC))
        sc_core::sc_start(sc_core::sc_time(100, sc_core::SC_US));
    if (!st.ready) {
        std::fprintf(stderr, "bench_doorbell: bring-up failed: %s\n", st.error.c_str());
        return 1;
    }
    benchmark::RegisterBenchmark(
        (std::string("BM_Doorbell/") + fw::to_string(backend)).c_str(), BM_Doorbell)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (st.handled == 0) {
        std::fprintf(stderr, "bench_doorbell: no doorbell reached its handler\n");
        return 1;
    }
    // Nothing lost: let the rings in flight land, then every MSI ring must have reached its handler.
    st.stop = true;
    sc_core::sc_start(sc_core::sc_time(200, sc_core::SC_US));
    if (backend == fw::doorbell_backend::msi && st.handled != st.rung) {
        std::fprintf(stderr, "bench_doorbell: %llu rings, %llu reached their handler (%zu ITS drops)\n",
                     static_cast<unsigned long long>(st.rung), static_cast<unsigned long long>(st.handled),
                     p.its() ? p.its()->drops().size() : std::size_t{0});
        return 1;
    }
    return 0;
}
