// bench_doorbell — doorbells handled per wall-clock second through the whole modelled path, one configuration
// per run:
//   msi       host write -> link -> endpoint -> inbound iATU -> glue -> GITS_TRANSLATER -> ITS -> LPI -> GIC ->
//             CPU -> the firmware's handler
//   embedded  ... -> eDMA interrupt emulation -> SPI -> handler (kicks coalesce while the line is high)
//   poll      ... -> endpoint RAM; the allocator's scan finds the slot
// The real firmware (fw::endpoint, doorbell_allocator) and host software run on the generic platform; the host
// rings every doorbell round-robin as fast as its posted writes go.
//
// SystemC elaborates once per process, so the configuration is chosen on the command line and one benchmark
// runs (tests/bench/run_benchmarks.sh runs the set):
//   --backend=msi|embedded|poll   (default msi)
//   --doorbells=N                 doorbells in all, 1..65536 (default 32; split evenly over the functions)
//   --functions=F                 endpoint functions with doorbells, 1..8 (default 1; each its own BAR2 window
//                                 and, for MSI, its own ITS DeviceID)
//   --windows=W                   inbound iATU windows in use, 1..256 (default 1: BAR-match; W > 1: function
//                                 0's BAR2 is W address-match sub-ranges and the doorbells sit in the last one,
//                                 so every lookup passes W - 1 windows first)
//   --set=node/property=value     any other override of the preset, as `dbvp run --set` (repeatable; e.g.
//                                 --set=dbvp,quantum-ns=100000)
// Properties the configuration needs (LPI INTID bits, ITS EventID bits, functions, windows) are set as
// overrides of the preset, as `dbvp run --set` does.
//
// Each iteration advances the simulation by 20 us. items = doorbell events the firmware's handlers took (an
// embedded kick counts once however many rings it covers; a poll scan finds each written slot once).
// Counters: rings (host writes since the start: tests/bench/instructions_per_ring.sh divides by it), rings_per_s (host
// writes per wall-clock second), sim_us_per_s (simulated time per wall-clock time), heap_bytes_per_doorbell
// (host heap the firmware's allocation of the doorbells and their windows took, simulated tables included,
// divided by N). After the benchmark the host stops and the simulation drains: with
// MSI every ring must have reached its handler (non-zero exit otherwise). A measurement (docs/performance.md),
// never a target.
#include "dbvp/fw/endpoint.h"
#include "dbvp/platform/platform.h"

#include <benchmark/benchmark.h>

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace dbvp;

namespace {

constexpr unsigned DB_BAR = 2;

struct config {
    fw::doorbell_backend backend = fw::doorbell_backend::msi;
    unsigned doorbells = 32, functions = 1, windows = 1;
    std::vector<std::string> overrides; // --set
};

struct ring {
    unsigned func = 0;
    std::uint64_t offset = 0; // in the function's BAR2
    std::uint32_t data = 0;
};

struct state_t {
    bool ready = false;
    bool configured = false; // the firmware is about to start the link (the host may enumerate)
    bool enumerated = false; // the host has assigned the BARs (out of band, as a test harness would say)
    bool stop = false; // the host stops ringing (the benchmarks are over)
    std::string error;
    std::vector<ring> rings;
    std::uint64_t handled = 0, rung = 0;
    std::size_t heap_bytes = 0; // heap growth over the allocation of the doorbells and their windows
};

state_t st;

std::uint64_t align_down(std::uint64_t v, std::uint64_t a) { return v & ~(a - 1); }

std::size_t heap_in_use() { return mallinfo2().uordblks; }

bool fail(const fw::status& s) {
    if (!s)
        st.error = s.message();
    return !s;
}

unsigned lpi_id_bits(unsigned doorbells) {
    unsigned bits = 16;
    while ((1u << bits) - 8192u < doorbells)
        ++bits;
    return bits;
}

void firmware(fw::hal& h, const config& c) {
    fw::endpoint e(h);
    fw::endpoint_options eo;
    eo.lpi_id_bits = lpi_id_bits(c.doorbells);
    while (eo.doorbells.msi_events < c.doorbells)
        eo.doorbells.msi_events *= 2;
    while (eo.doorbells.poll_region_bytes < 4ull * c.doorbells)
        eo.doorbells.poll_region_bytes *= 2;
    if (fail(e.boot(eo)))
        return;
    auto& ep = e.controller();
    const std::uint64_t align = ep.region_align();
    const std::size_t heap0 = heap_in_use();
    fw::doorbell_requirements req;
    req.backend = c.backend;
    std::vector<std::vector<fw::doorbell>> dbs(c.functions);
    std::vector<std::uint64_t> base(c.functions);
    for (unsigned f = 0; f < c.functions; ++f) {
        const unsigned n = c.doorbells / c.functions + (f < c.doorbells % c.functions ? 1 : 0);
        auto got = e.doorbells().alloc(f, n, req);
        if (!got) {
            st.error = got.error().message();
            return;
        }
        dbs[f] = got.value();
        std::uint64_t off = 0;
        std::uint64_t size = std::max<std::uint64_t>(0x10000, align);
        if (f == 0 && c.windows > 1)
            size = align * c.windows; // power of two: run_benchmarks.sh passes powers of two
        if (fail(ep.configure_bar(f, DB_BAR, size, {})))
            return;
        if (fail(ep.align_inbound_addr(f, DB_BAR, dbs[f][0].address, base[f], off)))
            return;
        if (!(f == 0 && c.windows > 1) && fail(ep.map_bar(f, DB_BAR, base[f])))
            return;
        for (unsigned i = 0; i < n; ++i) {
            const fw::doorbell& d = dbs[f][i];
            std::uint64_t o = d.address - base[f];
            if (f == 0 && c.windows > 1) {
                if (align_down(d.address, align) != align_down(dbs[f][0].address, align)) {
                    st.error = "the doorbells do not share one iATU region (--windows needs that)";
                    return;
                }
                o = (c.windows - 1) * align + (d.address - align_down(d.address, align));
            }
            // MSI: the data is the EventID (0 included); poll: any non-zero value; embedded: ignored.
            const std::uint32_t data = d.data || d.backend != fw::doorbell_backend::poll ? d.data : 1;
            st.rings.push_back({f, o, data});
            // Embedded doorbells are one shared kick: one listener per function counts each kick once.
            if (c.backend != fw::doorbell_backend::embedded || i == 0)
                if (fail(e.doorbells().listen(f, i, [](unsigned) { ++st.handled; })))
                    return;
        }
    }
    st.configured = true;
    if (fail(e.start_link()))
        return;
    if (c.windows > 1) {
        // Sub-ranges are update-only (Linux): wait for the host to have assigned BAR2 (its sizing writes are
        // not an address), then lay it out as W windows, the first W - 1 decoys the lookup must pass, the last
        // one the doorbells' region.
        while (!st.enumerated)
            h.sleep_ns(1000);
        const std::uint64_t db_region = align_down(dbs[0][0].address, align);
        std::vector<fw::bar_subrange> map(c.windows, fw::bar_subrange{db_region, align});
        if (fail(ep.map_bar_subranges(0, DB_BAR, map)))
            return;
    }
    st.heap_bytes = heap_in_use() - heap0;
    st.ready = true;
    for (;;) {
        h.wait_for_interrupt(100000);
        e.doorbells().service();
    }
}

void host_software(host::hal& h, platform::platform& p, const config& c) {
    // Allocating tens of thousands of doorbells takes the firmware longer than the host waits for a link:
    // the host is started (powered on, or rescans) once the endpoint is configured.
    while (!st.configured && st.error.empty())
        h.sleep_ns(10000);
    auto en = host::enumerate(h, p.enumeration_config());
    if (!en.ok) {
        st.error = en.error;
        return;
    }
    if (en.functions.size() < c.functions) {
        st.error = "the host found fewer functions than --functions";
        return;
    }
    st.enumerated = true;
    while (!st.ready && st.error.empty())
        h.sleep_ns(10000);
    std::vector<std::uint64_t> bar(c.functions);
    for (unsigned f = 0; f < c.functions; ++f)
        bar[f] = en.functions.at(f).bars[DB_BAR].address;
    for (std::size_t i = 0;; i = i + 1 == st.rings.size() ? 0 : i + 1) {
        if (st.stop) { // idle: returning would end the simulation
            h.sleep_ns(1000000);
            continue;
        }
        const ring& r = st.rings[i];
        h.mem_write(bar[r.func] + r.offset, &r.data, 4);
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
    // Host writes since the start, over every run of this function Google Benchmark made (it probes with
    // growing iteration counts): what an instruction count of the whole process divides by.
    state.counters["rings"] = static_cast<double>(st.rung);
    state.counters["heap_bytes_per_doorbell"] =
        static_cast<double>(st.heap_bytes) / static_cast<double>(st.rings.size());
}

bool parse_uint(const char* arg, const char* flag, unsigned lo, unsigned hi, unsigned& out) {
    const std::size_t n = std::strlen(flag);
    if (std::strncmp(arg, flag, n) != 0)
        return false;
    char* end = nullptr;
    const unsigned long v = std::strtoul(arg + n, &end, 0);
    if (end == arg + n || *end || v < lo || v > hi) {
        std::fprintf(stderr, "bench_doorbell: %s%s: expected a number in %u..%u\n", flag, arg + n, lo, hi);
        std::exit(2);
    }
    out = static_cast<unsigned>(v);
    return true;
}

} // namespace

int sc_main(int argc, char* argv[]) {
    config c;
    std::vector<char*> args;
    for (int i = 0; i < argc; ++i) {
        const char* a = argv[i];
        if (std::strcmp(a, "--backend=embedded") == 0)
            c.backend = fw::doorbell_backend::embedded;
        else if (std::strcmp(a, "--backend=poll") == 0)
            c.backend = fw::doorbell_backend::poll;
        else if (std::strcmp(a, "--backend=msi") == 0)
            c.backend = fw::doorbell_backend::msi;
        else if (std::strncmp(a, "--set=", 6) == 0)
            c.overrides.emplace_back(a + 6);
        else if (!parse_uint(a, "--doorbells=", 1, 65536, c.doorbells) &&
                 !parse_uint(a, "--functions=", 1, 8, c.functions) && !parse_uint(a, "--windows=", 1, 256, c.windows))
            args.push_back(argv[i]);
    }
    if (c.windows + c.functions - 1 > 256) {
        std::fprintf(stderr, "bench_doorbell: --windows plus the other functions' windows exceed 256\n");
        return 2;
    }
    if (c.doorbells < c.functions) {
        std::fprintf(stderr, "bench_doorbell: --doorbells must be at least --functions\n");
        return 2;
    }
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());

    // The preset, with what the configuration needs: INTID bits for N LPIs above 8191, EventID bits for N
    // doorbells of one function, the functions, the windows (no preset property is lowered).
    platform::platform::options opt;
    const std::string ep = "soc/pcie-ep@40000000/";
    const unsigned lpi_bits = lpi_id_bits(c.doorbells);
    opt.overrides.push_back("soc/interrupt-controller@48000000/dbvp,lpi-id-bits=" + std::to_string(lpi_bits));
    opt.overrides.push_back("soc/interrupt-controller@48000000/msi-controller@48040000/dbvp,idbits=" +
                            std::to_string(std::max(16u, lpi_bits)));
    if (c.functions > 1)
        opt.overrides.push_back(ep + "max-functions=" + std::to_string(c.functions));
    if (c.windows + c.functions - 1 > 16) // function 0: W windows; the others: one each
        opt.overrides.push_back(ep + "num-ib-windows=" + std::to_string(c.windows + c.functions - 1));
    opt.overrides.insert(opt.overrides.end(), c.overrides.begin(), c.overrides.end());
    platform::platform p("platform", opt);
    p.set_firmware([&](fw::hal& h) { firmware(h, c); });
    p.set_host_software([&](host::hal& h) { host_software(h, p, c); });
    while (!st.ready && st.error.empty() && sc_core::sc_time_stamp() < sc_core::sc_time(1, sc_core::SC_SEC))
        sc_core::sc_start(sc_core::sc_time(100, sc_core::SC_US));
    if (!st.ready) {
        std::fprintf(stderr, "bench_doorbell: bring-up failed: %s\n", st.error.c_str());
        return 1;
    }
    const std::string name = std::string("BM_Doorbell/") + fw::to_string(c.backend) +
                             "/doorbells:" + std::to_string(c.doorbells) + "/functions:" +
                             std::to_string(c.functions) + "/windows:" + std::to_string(c.windows);
    benchmark::RegisterBenchmark(name.c_str(), BM_Doorbell)->Unit(benchmark::kMicrosecond);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (st.handled == 0) {
        if (!p.ep().incidents().empty()) {
            const auto& i = p.ep().incidents().front();
            std::fprintf(stderr, "bench_doorbell: the endpoint dropped 0x%llx (%s)\n",
                         static_cast<unsigned long long>(i.address), pcie::dwc_ep::to_string(i.kind));
        }
        std::fprintf(stderr, "bench_doorbell: no doorbell reached its handler\n");
        return 1;
    }
    // Nothing lost: let the rings in flight land, then every MSI ring must have reached its handler.
    st.stop = true;
    sc_core::sc_start(sc_core::sc_time(200, sc_core::SC_US));
    if (c.backend == fw::doorbell_backend::msi && st.handled != st.rung) {
        std::fprintf(stderr, "bench_doorbell: %llu rings, %llu reached their handler (%zu ITS drops)\n",
                     static_cast<unsigned long long>(st.rung), static_cast<unsigned long long>(st.handled),
                     p.its() ? p.its()->drops().size() : std::size_t{0});
        return 1;
    }
    return 0;
}
