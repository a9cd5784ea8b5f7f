// Google Benchmark: speed of the TLM iATU model (dbvp::pcie::detail::dwc_iatu::inbound()) against the verilated
// RTL (rtl/iatu/iatu.sv as Viatu) on the same fixed, seeded stream of inbound lookups.
//
// SystemC elaborates once per process: sc_main builds one bench (TLM model + Viatu + clock + signals), programs
// the same regions into both, checks that both give the same answers on the stream, then runs the benchmarks,
// which reuse the bench. The RTL is driven from sc_main by sc_start of whole clock periods: the clock's rising
// edge is in the middle of each period, inputs are written between sc_start calls, outputs read after them.
// One lookup enters per clock (req_valid always high, the pipeline stays full); a lookup is counted when its
// response comes out (rsp_valid).
//
// Numbers are measurements of this machine, never targets: the ctest smoke test only checks that it runs.
#include "Viatu.h"
#include "../cosim/iatu_pins.h"

#include "dbvp/pcie/dwc_ep.h"
#include "pcie/dwc_iatu.h"

#include <benchmark/benchmark.h>
#include <systemc>
#include <tlm>

#include <cstdint>
#include <cstring>
#include <iostream>
#include <random>
#include <vector>

using namespace sc_core;
using dbvp::pcie::detail::dwc_iatu;

namespace {

constexpr unsigned kRegions = DBVP_IATU_REGIONS;
constexpr std::uint64_t kMin = 1ull << DBVP_IATU_MIN_REGION_LOG2;
constexpr std::uint32_t kMaxUpper = DBVP_IATU_MAX_REGION_UPPER;
constexpr std::uint64_t kSeed = 0x5eed1a7uLL;
constexpr std::size_t kStream = 4096;          // lookups in the stream (replayed cyclically)
constexpr std::uint64_t kBase = 0x80000000ull; // region r: [kBase + r * kSize, +kSize)
constexpr std::uint64_t kSize = 16ull << 20;
constexpr std::uint64_t kBarMask = 0xfffffffull;

const dbvp::pcie::dwc_ep::params& ctl() {
    static const dbvp::pcie::dwc_ep::params p{};
    return p;
}
sc_time period() { return sc_time(1e12 / static_cast<double>(ctl().clock_hz), SC_PS); }

std::uint32_t ib(unsigned region, std::uint64_t reg) {
    return static_cast<std::uint32_t>(region * dwc_iatu::region_stride + dwc_iatu::inbound_offset + reg);
}

struct lookup {
    unsigned func = 0, bar = 0;
    std::uint64_t bar_base = 0, bar_mask = 0, addr = 0;
};

std::vector<lookup> make_stream() {
    std::mt19937_64 rng(kSeed);
    std::vector<lookup> v(kStream);
    for (auto& q : v) {
        // 80 % inside a programmed region, 20 % anywhere below 4 GB (mostly misses).
        q.addr = (rng() % 100 < 80) ? kBase + rng() % (kRegions * kSize) : (rng() & 0xffffffffull);
        q.bar_mask = kBarMask;
        q.bar_base = q.addr & ~kBarMask;
    }
    return v;
}

class bench : public sc_module, public dbvp::test::iatu_pins {
public:
    sc_clock clk; // rising edge in the middle of each period
    Viatu dut;
    dwc_iatu tlm;
    std::vector<lookup> stream = make_stream();

    explicit bench(const sc_module_name& n)
        : sc_module(n), clk("clk", period(), 0.5, period() / 2, true), dut("dut"),
          tlm(std::string(name()) + ".tlm_atu",
              dwc_iatu::params{kRegions, kRegions, 0x20000, kMin, kMaxUpper, period() * ctl().atu_enable_delay},
              [](unsigned, unsigned) -> std::uint64_t { return 0; }) {
        bind_pins(dut, clk);
    }

    void cycle() { sc_start(period()); }

    /// Reset the RTL and program the same address-match regions into both models.
    void program() {
        rst_n.write(false);
        cycle();
        cycle();
        rst_n.write(true);
        cycle();
        for (unsigned r = 0; r < kRegions; ++r) {
            const std::uint64_t base = kBase + r * kSize, limit = base + kSize - 1;
            const std::uint64_t target = 0x400000000ull + r * 0x10000000ull;
            const std::pair<std::uint64_t, std::uint64_t> regs[] = {
                {dwc_iatu::LOWER_BASE, base},          {dwc_iatu::UPPER_BASE, base >> 32},
                {dwc_iatu::LIMIT, limit},              {dwc_iatu::UPPER_LIMIT, limit >> 32},
                {dwc_iatu::LOWER_TARGET, target},      {dwc_iatu::UPPER_TARGET, target >> 32},
                {dwc_iatu::CTRL1, 0},                  {dwc_iatu::CTRL2, dwc_iatu::CTRL2_ENABLE}};
            for (const auto& [off, val] : regs)
                write(ib(r, off), static_cast<std::uint32_t>(val));
        }
        reg_we.write(false);
        cycle();
    }

    /// Time at which the TLM model is asked (every region enabled long before).
    sc_time tlm_time() const { return sc_time_stamp() + period() * (ctl().atu_enable_delay + 1000); }

    void drive(const lookup& q) {
        req_valid.write(true);
        req_func.write(q.func);
        req_bar.write(q.bar);
        req_bar_base.write(q.bar_base);
        req_bar_mask.write(q.bar_mask);
        req_addr.write(q.addr);
    }

    /// Both models on the whole stream; returns the number of disagreeing lookups.
    std::size_t compare() {
        const sc_time t = tlm_time();
        std::size_t bad = 0, out = 0;
        for (std::size_t i = 0; out < stream.size(); ++i) {
            if (i < stream.size())
                drive(stream[i]);
            else
                req_valid.write(false);
            cycle();
            if (!rsp_valid.read())
                continue;
            const lookup& q = stream[out++];
            std::uint64_t target = 0;
            const int region = tlm.inbound(q.func, q.bar, q.bar_base, q.bar_mask, q.addr, t, target);
            const bool ok = rsp_hit.read() == (region >= 0) &&
                            (region < 0 || (rsp_region.read() == static_cast<unsigned>(region) &&
                                            rsp_addr.read() == target));
            bad += !ok;
            hits += region >= 0;
        }
        req_valid.write(false);
        cycle();
        return bad;
    }

    std::size_t hits = 0;

private:
    void write(std::uint32_t a, std::uint32_t d) {
        dbvp::access_ctx ctx;
        ctx.time = sc_time_stamp();
        unsigned char buf[4];
        std::memcpy(buf, &d, 4);
        if (tlm.bank().access(tlm::TLM_WRITE_COMMAND, a, buf, 4, ctx) != tlm::TLM_OK_RESPONSE)
            SC_REPORT_ERROR("bench_cosim", "TLM register write failed");
        reg_addr.write(a);
        reg_wdata.write(d);
        reg_we.write(true);
        cycle();
    }
};

bench* g_bench = nullptr;

void BM_IatuTlm(benchmark::State& state) {
    bench& b = *g_bench;
    const sc_time t = b.tlm_time();
    std::size_t i = 0;
    std::uint64_t hits = 0;
    for (auto _ : state) {
        const lookup& q = b.stream[i];
        i = (i + 1) % b.stream.size();
        std::uint64_t target = 0;
        const int region = b.tlm.inbound(q.func, q.bar, q.bar_base, q.bar_mask, q.addr, t, target);
        benchmark::DoNotOptimize(target);
        hits += region >= 0;
    }
    benchmark::DoNotOptimize(hits);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_IatuRtl(benchmark::State& state) {
    bench& b = *g_bench;
    std::size_t i = 0;
    std::int64_t responses = 0;
    for (auto _ : state) { // one clock per iteration, a new lookup every clock
        b.drive(b.stream[i]);
        i = (i + 1) % b.stream.size();
        b.cycle();
        responses += b.rsp_valid.read();
    }
    b.req_valid.write(false); // drain the pipeline (after the loop: not timed)
    for (unsigned k = 0; k < DBVP_IATU_LATENCY + 1; ++k)
        b.cycle();
    state.SetItemsProcessed(responses);
    state.counters["sim_cycles_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_IatuTlm);
BENCHMARK(BM_IatuRtl);

} // namespace

int sc_main(int argc, char* argv[]) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    bench b("bench");
    g_bench = &b;
    b.program();
    const std::size_t bad = b.compare();
    std::cout << "[bench_cosim] iATU: " << b.stream.size() << " lookups (" << b.hits << " hits), " << bad
              << " TLM/RTL mismatches" << std::endl;
    if (bad != 0 || b.hits == 0)
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    g_bench = nullptr;
    return 0;
}
