// Co-simulation: the inbound iATU RTL (rtl/iatu/iatu.sv, verilated as Viatu) against the TLM model
// (dbvp::pcie::detail::dwc_iatu), transaction by transaction.
//
// Bench: sc_clock at the controller's clock (dwc_ep::params::clock_hz) -> Viatu; a bridge turns TLM register
// accesses (b_transport on its target socket) and lookup requests into pin activity, after waiting out the TLM
// delay; the same stimulus goes to the TLM model. The checker compares every register read, every lookup response
// (hit, region, translated address) and the lookup latency: the TLM answer is immediate and the controller charges
// atu_latency cycles for it, so the RTL response must come exactly atu_latency cycles after the request.
// The RTL has no CTRL2.ENABLE handshake delay (rtl/iatu/README.md): the stimulus waits atu_enable_delay after
// programming before it reads back or looks up.
//
// Every case starts from reset, so a failing case can be replayed: the first failing case of a test is run again
// with a Verilated VCD trace into ::testing::TempDir(), whose path is printed.
// Environment: DBVP_COSIM_SEED=<n> replays a random run; DBVP_COSIM_IATU_INJECT=1 corrupts one expected response
// (checks the checker and the VCD dump; the test then fails).
#include "Viatu.h"
#include "iatu_pins.h"
#include "verilated_vcd_sc.h"

#include "dbvp/pcie/dwc_ep.h"
#include "pcie/dwc_iatu.h"
#include "reports.h"

#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace sc_core;
using dbvp::pcie::detail::dwc_iatu;

namespace {

constexpr unsigned kRegions = DBVP_IATU_REGIONS;
constexpr std::uint64_t kMin = 1ull << DBVP_IATU_MIN_REGION_LOG2;
constexpr std::uint32_t kLow = static_cast<std::uint32_t>(kMin - 1);
constexpr std::uint32_t kMaxUpper = DBVP_IATU_MAX_REGION_UPPER;
constexpr unsigned kRtlLatency = DBVP_IATU_LATENCY;

const dbvp::pcie::dwc_ep::params& ctl() {
    static const dbvp::pcie::dwc_ep::params p{};
    return p;
}
sc_time period() { return sc_time(1e12 / static_cast<double>(ctl().clock_hz), SC_PS); }

std::uint32_t ib(unsigned region, std::uint64_t reg) {
    return static_cast<std::uint32_t>(region * dwc_iatu::region_stride + dwc_iatu::inbound_offset + reg);
}

struct lookup_req {
    unsigned bar = 0, func = 0;
    std::uint64_t bar_base = 0, bar_mask = 0, addr = 0;
};
struct lookup_rsp {
    bool hit = false;
    unsigned region = 0;
    std::uint64_t addr = 0;
    bool operator==(const lookup_rsp& o) const { return hit == o.hit && region == o.region && addr == o.addr; }
};
std::string str(const lookup_req& r) {
    std::ostringstream s;
    s << std::hex << "{bar " << r.bar << " func " << r.func << " bar_base 0x" << r.bar_base << " mask 0x" << r.bar_mask
      << " addr 0x" << r.addr << "}";
    return s.str();
}
std::string str(const lookup_rsp& r) {
    std::ostringstream s;
    if (!r.hit)
        return "miss";
    s << "hit region " << r.region << " addr 0x" << std::hex << r.addr;
    return s.str();
}

// One step of a case. Register accesses and lookups carry the TLM delay the initiator annotates.
struct op {
    enum kind { write, read, idle, lookup } k;
    std::uint32_t addr = 0, data = 0;
    unsigned cycles = 0; // delay (write/read/lookup) or idle length
    lookup_req req{};
};
struct test_case {
    std::string name;
    std::vector<op> ops;
    void wr(std::uint32_t a, std::uint32_t d, unsigned delay = 0) { ops.push_back({op::write, a, d, delay, {}}); }
    void rd(std::uint32_t a, unsigned delay = 0) { ops.push_back({op::read, a, 0, delay, {}}); }
    void idle(unsigned n) { ops.push_back({op::idle, 0, 0, n, {}}); }
    void look(const lookup_req& r, unsigned delay = 0) { ops.push_back({op::lookup, 0, 0, delay, r}); }
    /// Wait out the TLM model's enable handshake (the RTL has none).
    void settle() { idle(ctl().atu_enable_delay + 1); }
};

// ---- Bridge: TLM -> pins ---------------------------------------------------------------------------------------
// All pins change at the falling clock edge and are sampled by the RTL at the next rising edge. A register access
// occupies one cycle (read data is sampled at the following falling edge); lookups go out one per cycle.
class iatu_bridge : public sc_module {
public:
    sc_in<bool> clk;
    sc_out<bool> rst_n, reg_we, reg_re, req_valid;
    sc_out<std::uint32_t> reg_addr, reg_wdata, req_bar, req_func;
    sc_in<std::uint32_t> reg_rdata;
    sc_out<std::uint64_t> req_bar_base, req_bar_mask, req_addr;
    sc_in<bool> rsp_valid, rsp_hit;
    sc_in<std::uint32_t> rsp_region;
    sc_in<std::uint64_t> rsp_addr;
    tlm_utils::simple_target_socket<iatu_bridge> regs;
    /// Called at the falling edge a response is seen, with its latency in cycles.
    std::function<void(const lookup_rsp&, unsigned)> on_response;

    SC_HAS_PROCESS(iatu_bridge);
    explicit iatu_bridge(const sc_module_name& n) : sc_module(n), regs("regs") {
        regs.register_b_transport(this, &iatu_bridge::b_transport);
        SC_THREAD(pins);
    }

    /// Pulse rst_n for two cycles (blocking; call with no lookup in flight).
    void reset() {
        reset_req_ = true;
        wait(ready_);
    }
    /// Drive one lookup request (blocking until it is on the pins).
    void lookup(const lookup_req& r, sc_time& delay) {
        wait(delay);
        delay = SC_ZERO_TIME;
        lk_ = r;
        lk_pending_ = true;
        wait(lk_taken_);
    }
    std::size_t in_flight() const { return issued_.size(); }

private:
    void b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
        wait(delay); // the bridge consumes the initiator's time before driving pins
        delay = SC_ZERO_TIME;
        if (p.get_data_length() != 4 || (p.get_address() & 3)) {
            p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
            return;
        }
        reg_read_ = p.is_read();
        reg_ptr_ = p.get_data_ptr();
        reg_a_ = static_cast<std::uint32_t>(p.get_address());
        if (!reg_read_)
            std::memcpy(&reg_d_, reg_ptr_, 4);
        reg_pending_ = true;
        wait(reg_done_);
        p.set_response_status(tlm::TLM_OK_RESPONSE);
    }

    void idle_pins() {
        reg_we.write(false);
        reg_re.write(false);
        req_valid.write(false);
    }

    void pins() {
        idle_pins();
        rst_n.write(false);
        unsigned reset_left = 2;
        std::uint64_t cycle = 0;
        for (;;) {
            wait(clk.negedge_event());
            ++cycle;
            if (rsp_valid.read()) {
                if (issued_.empty()) {
                    ADD_FAILURE() << "RTL response without request at " << sc_time_stamp();
                } else {
                    const unsigned lat = static_cast<unsigned>(cycle - issued_.front());
                    issued_.pop_front();
                    if (on_response)
                        on_response({rsp_hit.read(), rsp_region.read(), rsp_addr.read()}, lat);
                }
            }
            if (reset_req_) {
                reset_req_ = false;
                idle_pins();
                rst_n.write(false);
                reset_left = 2;
                continue;
            }
            if (reset_left) {
                if (--reset_left == 0) {
                    rst_n.write(true);
                    ready_.notify(SC_ZERO_TIME);
                }
                continue;
            }
            if (reg_busy_) {
                reg_we.write(false);
                reg_re.write(false);
                if (reg_read_) {
                    const std::uint32_t v = reg_rdata.read();
                    std::memcpy(reg_ptr_, &v, 4);
                }
                reg_busy_ = false;
                reg_done_.notify(SC_ZERO_TIME);
            } else if (reg_pending_) {
                reg_addr.write(reg_a_);
                reg_wdata.write(reg_read_ ? 0 : reg_d_);
                reg_we.write(!reg_read_);
                reg_re.write(reg_read_);
                reg_pending_ = false;
                reg_busy_ = true;
            }
            if (lk_pending_) {
                req_bar.write(lk_.bar);
                req_func.write(lk_.func);
                req_bar_base.write(lk_.bar_base);
                req_bar_mask.write(lk_.bar_mask);
                req_addr.write(lk_.addr);
                req_valid.write(true);
                issued_.push_back(cycle);
                lk_pending_ = false;
                lk_taken_.notify(SC_ZERO_TIME);
            } else {
                req_valid.write(false);
            }
        }
    }

    bool reset_req_ = false;
    sc_event ready_, reg_done_, lk_taken_;
    bool reg_pending_ = false, reg_busy_ = false, reg_read_ = false;
    std::uint32_t reg_a_ = 0, reg_d_ = 0;
    unsigned char* reg_ptr_ = nullptr;
    bool lk_pending_ = false;
    lookup_req lk_{};
    std::deque<std::uint64_t> issued_;
};

// ---- Bench -----------------------------------------------------------------------------------------------------
struct trace_enabler {
    trace_enabler() { Verilated::traceEverOn(true); }
};

class bench : public sc_module, public dbvp::test::iatu_pins {
    trace_enabler trace_on_;

public:
    sc_clock clk;
    Viatu dut;
    iatu_bridge bridge;
    tlm_utils::simple_initiator_socket<bench> reg_init;
    dwc_iatu tlm;

    std::uint64_t lookups = 0, hits = 0, reg_reads = 0, mismatches = 0;
    bool inject = false;

    SC_HAS_PROCESS(bench);
    explicit bench(const sc_module_name& n)
        : sc_module(n), clk("clk", period()), dut("dut"), bridge("bridge"), reg_init("reg_init"),
          tlm(std::string(name()) + ".tlm_atu",
              dwc_iatu::params{kRegions, kRegions, 0x20000, kMin, kMaxUpper, period() * ctl().atu_enable_delay},
              [](unsigned, unsigned) -> std::uint64_t { return 0; }) {
        bind_pins(dut, clk);
        bridge.clk(clk);
        bridge.rst_n(rst_n);
        bridge.reg_addr(reg_addr);
        bridge.reg_wdata(reg_wdata);
        bridge.reg_we(reg_we);
        bridge.reg_re(reg_re);
        bridge.reg_rdata(reg_rdata);
        bridge.req_valid(req_valid);
        bridge.req_bar(req_bar);
        bridge.req_bar_base(req_bar_base);
        bridge.req_bar_mask(req_bar_mask);
        bridge.req_func(req_func);
        bridge.req_addr(req_addr);
        bridge.rsp_valid(rsp_valid);
        bridge.rsp_hit(rsp_hit);
        bridge.rsp_region(rsp_region);
        bridge.rsp_addr(rsp_addr);
        reg_init.bind(bridge.regs);
        bridge.on_response = [this](const lookup_rsp& got, unsigned lat) { check(got, lat); };
        inject = std::getenv("DBVP_COSIM_IATU_INJECT") != nullptr;
        SC_THREAD(thread);
    }

    /// Runs `cases` (each from reset) in the simulation; the first failing one is replayed with a VCD.
    void run(std::vector<test_case> cases, const std::string& tag) {
        cases_ = std::move(cases);
        tag_ = tag;
        sc_start();
    }

private:
    struct expected {
        lookup_rsp rsp;
        lookup_req req;
    };

    void fail(const std::string& msg) {
        ++mismatches;
        if (++case_mismatches_ <= 10)
            ADD_FAILURE() << "case " << cur_ << ": " << msg;
    }

    void check(const lookup_rsp& got, unsigned lat) {
        if (exp_.empty()) {
            fail("RTL response with no TLM request outstanding");
            return;
        }
        const expected e = exp_.front();
        exp_.pop_front();
        if (!(got == e.rsp))
            fail("lookup " + str(e.req) + ": TLM " + str(e.rsp) + ", RTL " + str(got));
        if (lat != ctl().atu_latency)
            fail("lookup " + str(e.req) + ": RTL latency " + std::to_string(lat) + " cycles, TLM atu_latency " +
                 std::to_string(ctl().atu_latency));
    }

    void tlm_access(tlm::tlm_command cmd, std::uint32_t a, std::uint32_t& d, const sc_time& delay) {
        dbvp::access_ctx ctx;
        ctx.time = sc_time_stamp() + delay;
        unsigned char buf[4];
        std::memcpy(buf, &d, 4);
        const auto st = tlm.bank().access(cmd, a, buf, 4, ctx);
        if (st != tlm::TLM_OK_RESPONSE)
            fail("TLM register access at 0x" + std::to_string(a) + " failed");
        std::memcpy(&d, buf, 4);
    }

    void rtl_access(tlm::tlm_command cmd, std::uint32_t a, std::uint32_t& d, sc_time& delay) {
        tlm::tlm_generic_payload p;
        p.set_command(cmd);
        p.set_address(a);
        p.set_data_ptr(reinterpret_cast<unsigned char*>(&d));
        p.set_data_length(4);
        p.set_streaming_width(4);
        p.set_byte_enable_ptr(nullptr);
        p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        reg_init->b_transport(p, delay);
        if (!p.is_response_ok())
            fail("RTL register access failed");
    }

    void run_case(const test_case& c) {
        cur_ = c.name;
        case_mismatches_ = 0;
        bridge.reset();
        tlm.bank().reset();
        for (const op& o : c.ops) {
            sc_time delay = period() * o.cycles;
            switch (o.k) {
            case op::idle:
                wait(period() * o.cycles);
                break;
            case op::write: {
                std::uint32_t d = o.data;
                tlm_access(tlm::TLM_WRITE_COMMAND, o.addr, d, delay);
                d = o.data;
                rtl_access(tlm::TLM_WRITE_COMMAND, o.addr, d, delay);
                break;
            }
            case op::read: {
                std::uint32_t t = 0, r = 0;
                tlm_access(tlm::TLM_READ_COMMAND, o.addr, t, delay);
                rtl_access(tlm::TLM_READ_COMMAND, o.addr, r, delay);
                ++reg_reads;
                if (t != r) {
                    std::ostringstream s;
                    s << std::hex << "read 0x" << o.addr << ": TLM 0x" << t << ", RTL 0x" << r;
                    fail(s.str());
                }
                break;
            }
            case op::lookup: {
                // The TLM answer is immediate, at the request's arrival time.
                std::uint64_t target = 0;
                const int region = tlm.inbound(o.req.func, o.req.bar, o.req.bar_base, o.req.bar_mask, o.req.addr,
                                               sc_time_stamp() + delay, target);
                expected e{{region >= 0, region >= 0 ? static_cast<unsigned>(region) : 0u,
                            region >= 0 ? target : 0},
                           o.req};
                if (inject && !injected_ && lookups >= 1000 && region >= 0) {
                    e.rsp.addr ^= 0x1000;
                    injected_ = true;
                }
                hits += region >= 0;
                exp_.push_back(e);
                ++lookups;
                bridge.lookup(o.req, delay);
                break;
            }
            }
        }
        wait(period() * (kRtlLatency + ctl().atu_latency + 2));
        if (!exp_.empty())
            fail(std::to_string(exp_.size()) + " lookups without an RTL response");
        exp_.clear();
    }

    void thread() {
        std::string failed;
        for (const auto& c : cases_) {
            run_case(c);
            if (case_mismatches_ && failed.empty())
                failed = c.name;
        }
        if (!failed.empty()) {
            for (const auto& c : cases_) {
                if (c.name != failed)
                    continue;
                const std::string path = ::testing::TempDir() + "cosim_iatu_" + tag_ + "_" + c.name + ".vcd";
                vcd_ = std::make_unique<VerilatedVcdSc>();
                dut.trace(vcd_.get(), 99);
                vcd_->open(path.c_str());
                const std::uint64_t before = mismatches;
                run_case(c);
                vcd_->flush();
                vcd_->close();
                std::cout << "[cosim] VCD of failing case " << c.name << " (" << (mismatches - before)
                          << " mismatches on replay): " << path << std::endl;
            }
        }
        sc_stop();
    }

    std::vector<test_case> cases_;
    std::string tag_, cur_;
    unsigned case_mismatches_ = 0;
    bool injected_ = false;
    std::deque<expected> exp_;
    std::unique_ptr<VerilatedVcdSc> vcd_;
};

// ---- Stimulus helpers ----------------------------------------------------------------------------------------------
constexpr std::uint32_t C1_INC = dwc_iatu::CTRL1_INCREASE_REGION_SIZE;
constexpr std::uint32_t C2_EN = dwc_iatu::CTRL2_ENABLE, C2_BAR_MODE = dwc_iatu::CTRL2_BAR_MODE,
                        C2_FMATCH = dwc_iatu::CTRL2_FUNC_NUM_MATCH;
std::uint32_t c1_func(unsigned f) { return f << dwc_iatu::CTRL1_FUNC_SHIFT; }
std::uint32_t c2_bar(unsigned b) { return b << dwc_iatu::CTRL2_BAR_SHIFT; }
std::uint32_t lo(std::uint64_t v) { return static_cast<std::uint32_t>(v); }
std::uint32_t hi(std::uint64_t v) { return static_cast<std::uint32_t>(v >> 32); }

/// Address-match programming, in the driver's order (CTRL2 last).
void prog_addr(test_case& c, unsigned r, std::uint64_t base, std::uint64_t limit, std::uint64_t target,
               std::uint32_t ctrl1 = 0, std::uint32_t ctrl2 = C2_EN) {
    c.wr(ib(r, dwc_iatu::LOWER_BASE), lo(base));
    c.wr(ib(r, dwc_iatu::UPPER_BASE), hi(base));
    c.wr(ib(r, dwc_iatu::LIMIT), lo(limit));
    c.wr(ib(r, dwc_iatu::UPPER_LIMIT), hi(limit));
    c.wr(ib(r, dwc_iatu::LOWER_TARGET), lo(target));
    c.wr(ib(r, dwc_iatu::UPPER_TARGET), hi(target));
    c.wr(ib(r, dwc_iatu::CTRL1), ctrl1);
    c.wr(ib(r, dwc_iatu::CTRL2), ctrl2);
}
void prog_bar(test_case& c, unsigned r, unsigned func, unsigned bar, std::uint64_t target, bool fmatch = true) {
    c.wr(ib(r, dwc_iatu::LOWER_TARGET), lo(target));
    c.wr(ib(r, dwc_iatu::UPPER_TARGET), hi(target));
    c.wr(ib(r, dwc_iatu::CTRL1), c1_func(func));
    c.wr(ib(r, dwc_iatu::CTRL2), C2_EN | C2_BAR_MODE | (fmatch ? C2_FMATCH : 0) | c2_bar(bar));
}
void read_region(test_case& c, unsigned r) {
    for (std::uint64_t reg : {dwc_iatu::CTRL1, dwc_iatu::CTRL2, dwc_iatu::LOWER_BASE, dwc_iatu::UPPER_BASE,
                              dwc_iatu::LIMIT, dwc_iatu::LOWER_TARGET, dwc_iatu::UPPER_TARGET, dwc_iatu::UPPER_LIMIT})
        c.rd(ib(r, reg));
}
lookup_req req_at(std::uint64_t addr, unsigned func = 0, unsigned bar = 0, std::uint64_t mask = 0xfffffff) {
    return lookup_req{bar, func, addr & ~mask, mask, addr};
}

std::vector<test_case> directed_cases() {
    std::vector<test_case> v;
    {
        test_case c{"address_match", {}};
        prog_addr(c, 0, 0x80000000, 0x8003ffff, 0x410000000);
        c.settle();
        read_region(c, 0);
        for (std::uint64_t a : {0x80000000ull, 0x80001234ull, 0x8003ffffull, 0x80040000ull, 0x7fffffffull,
                                0x180000000ull, 0x0ull})
            c.look(req_at(a));
        v.push_back(c);
    }
    {
        test_case c{"bar_match", {}};
        prog_bar(c, 1, 0, 2, 0x20000000, false);
        // A BAR of 1 MB: target bits below the BAR size are ignored (0x20050000 -> 0x20000000 | offset).
        prog_bar(c, 2, 0, 3, 0x30050000, false);
        c.settle();
        read_region(c, 1);
        read_region(c, 2);
        c.look({2, 0, 0xfe000000, 0xfff, 0xfe000abc});          // BAR smaller than the region size
        c.look({2, 5, 0x1fe000000, 0xffffff, 0x1fe123456});     // any function (no function match)
        c.look({3, 0, 0xd0000000, 0xfffff, 0xd00fffff});        // BAR larger than the region size
        c.look({4, 0, 0xd0000000, 0xfffff, 0xd0000010});        // other BAR: miss
        v.push_back(c);
    }
    {
        test_case c{"misaligned_values", {}};
        // Low bits of LOWER_BASE / LOWER_TARGET read as zero, of LIMIT as one (the TLM model warns).
        prog_addr(c, 3, 0x80001234, 0x80030000, 0x10005678);
        prog_addr(c, 4, 0x90000000 | kLow, 0x9000ff00, 0x20000000 | (kLow >> 1));
        prog_bar(c, 5, 0, 1, 0x40001fff, false);
        c.settle();
        read_region(c, 3);
        read_region(c, 4);
        read_region(c, 5);
        for (std::uint64_t a : {0x80000000ull, 0x80001233ull, 0x8003ffffull, 0x80040000ull, 0x90000000ull,
                                0x9000ffffull, 0x90010000ull})
            c.look(req_at(a));
        c.look({1, 0, 0x60000000, 0xffff, 0x6000f00d});
        v.push_back(c);
    }
    {
        test_case c{"function_match", {}};
        prog_addr(c, 0, 0xa0000000, 0xa00fffff, 0x1000000, c1_func(3), C2_EN | C2_FMATCH);
        prog_addr(c, 1, 0xa0000000, 0xa00fffff, 0x2000000, c1_func(5), C2_EN); // no function match: any function
        prog_bar(c, 2, 6, 0, 0x3000000, true);
        prog_bar(c, 3, 7, 0, 0x4000000, true);
        c.settle();
        for (unsigned f = 0; f < 8; ++f) {
            c.look(req_at(0xa0012345, f));
            c.look({0, f, 0xc0000000, 0xfffff, 0xc0000100});
        }
        v.push_back(c);
    }
    {
        test_case c{"priority_and_disable", {}};
        prog_addr(c, 0, 0xb0000000, 0xbfffffff, 0x100000000, 0, 0);  // never enabled
        prog_addr(c, 2, 0xb0000000, 0xb0ffffff, 0x200000000);
        prog_addr(c, 5, 0xb0000000, 0xbfffffff, 0x500000000);
        prog_addr(c, 7, 0xb0000000, 0xbfffffff, 0x700000000, 0x4, C2_EN); // type CFG0: never matches
        prog_bar(c, 9, 0, 0, 0x900000000, false);
        prog_bar(c, 10, 0, 0, 0xa00000000, false);
        c.settle();
        c.look(req_at(0xb0100000, 0, 1)); // regions 2 and 5: 2 wins
        c.look(req_at(0xb1100000, 0, 1)); // beyond region 2's limit: 5
        c.look(req_at(0xb0100000, 0, 0)); // BAR0 -> region 2 (address match, lower index) before BAR region 9
        c.wr(ib(2, dwc_iatu::CTRL2), 0);  // disable takes effect at once
        c.look(req_at(0xb0100000, 0, 1));
        c.look(req_at(0xc0100000, 0, 0)); // BAR0 outside every address region -> region 9
        c.wr(ib(9, dwc_iatu::CTRL2), 0);
        c.look(req_at(0xc0100000, 0, 0)); // -> region 10
        c.wr(ib(5, dwc_iatu::CTRL2), 0);
        c.wr(ib(10, dwc_iatu::CTRL2), 0);
        c.look(req_at(0xb0100000, 0, 0)); // everything disabled: miss
        read_region(c, 7);
        v.push_back(c);
    }
    {
        test_case c{"increase_region_size", {}};
        // 0x1_ffff0000 .. 0x2_0000ffff needs UPPER_LIMIT.
        prog_addr(c, 0, 0x1ffff0000, 0x20000ffff, 0x3000000000, C1_INC);
        // Same values without INCREASE_REGION_SIZE: the limit is UPPER_BASE:LIMIT, below the base (warning).
        prog_addr(c, 1, 0x1ffff0000, 0x20000ffff, 0x4000000000, 0);
        // UPPER_LIMIT keeps only its writable bits (0x1f_xxxx -> 0xf_xxxx).
        prog_addr(c, 2, 0x500000000, 0x1f0000ffff, 0x6000000000, C1_INC);
        c.settle();
        read_region(c, 0);
        read_region(c, 2);
        for (std::uint64_t a : {0x1ffff0000ull, 0x1ffffffffull, 0x200000000ull, 0x20000ffffull, 0x200010000ull,
                                0x500000000ull, 0xf0000ffffull, 0xf00010000ull, 0x1f0000ffffull})
            c.look(req_at(a));
        v.push_back(c);
    }
    {
        test_case c{"register_map", {}};
        // Driver probes: window count (LOWER_TARGET readback) and region size (LIMIT = 0 reads min - 1).
        c.wr(ib(0, dwc_iatu::LIMIT), 0);
        c.rd(ib(0, dwc_iatu::LIMIT));
        for (unsigned r : {0u, kRegions - 1, kRegions, kRegions + 1, 255u}) {
            c.wr(ib(r, dwc_iatu::LOWER_TARGET), 0x11110000);
            c.rd(ib(r, dwc_iatu::LOWER_TARGET));
        }
        for (std::uint64_t reg : {dwc_iatu::CTRL1, dwc_iatu::CTRL2, dwc_iatu::UPPER_BASE, dwc_iatu::UPPER_TARGET,
                                  dwc_iatu::UPPER_LIMIT}) {
            c.wr(ib(kRegions - 1, reg), 0xffffffff);
            c.wr(ib(kRegions, reg), 0xffffffff);
        }
        for (std::uint64_t gap : {0x1cull, 0x24ull, 0x80ull, 0xfcull})
            c.wr(ib(1, gap), 0xffffffff);
        read_region(c, kRegions - 1);
        read_region(c, kRegions);
        for (std::uint64_t gap : {0x1cull, 0x24ull, 0x80ull, 0xfcull})
            c.rd(ib(1, gap));
        c.wr(ib(kRegions - 1, dwc_iatu::CTRL2), 0); // leave it disabled (TYPE was 0x1f)
        v.push_back(c);
    }
    {
        test_case c{"bar_number_out_of_range", {}};
        prog_bar(c, 0, 0, 6, 0x1000000, false); // BAR6 does not exist (warning); requests never carry it
        prog_bar(c, 1, 0, 7, 0x2000000, false);
        c.settle();
        for (unsigned b = 0; b < 6; ++b)
            c.look({b, 0, 0x80000000, 0xffff, 0x80000010});
        v.push_back(c);
    }
    return v;
}

// ---- Random stimulus -----------------------------------------------------------------------------------------------
struct region_model {
    bool enabled = false, bar_mode = false, fmatch = false, mem = true;
    unsigned func = 0, bar = 0;
    std::uint64_t base = 0, limit = 0;
};

class generator {
public:
    explicit generator(std::uint64_t seed) : rng_(seed) {}

    test_case round(const std::string& name, unsigned lookups) {
        test_case c{name, {}};
        std::vector<region_model> m(kRegions);
        for (unsigned r = 0; r < kRegions; ++r)
            m[r] = program(c, r, m);
        // Occasionally disable a region again.
        for (unsigned r = 0; r < kRegions; ++r)
            if (chance(5)) {
                c.wr(ib(r, dwc_iatu::CTRL2), u32() & ~C2_EN, pick(3));
                m[r].enabled = false;
            }
        c.settle();
        for (unsigned r = 0; r < kRegions; ++r)
            read_region(c, r);
        for (unsigned i = 0; i < 4; ++i)
            c.rd(ib(kRegions + pick(256 - kRegions), 4 * pick(0x40)));
        for (unsigned i = 0; i < lookups; ++i)
            c.look(lookup(m), chance(10) ? 1 + pick(3) : 0);
        return c;
    }

private:
    std::uint64_t u64() { return rng_(); }
    std::uint32_t u32() { return static_cast<std::uint32_t>(rng_()); }
    unsigned pick(unsigned n) { return static_cast<unsigned>(rng_() % n); }
    bool chance(unsigned percent) { return pick(100) < percent; }

    region_model program(test_case& c, unsigned r, const std::vector<region_model>& prev) {
        region_model m;
        m.enabled = chance(85);
        m.mem = !chance(5);
        m.bar_mode = chance(40);
        m.fmatch = chance(40);
        m.func = pick(8);
        m.bar = chance(3) ? 6 + pick(2) : pick(6);
        const bool inc = chance(30);
        const unsigned k = DBVP_IATU_MIN_REGION_LOG2 + pick(37 - DBVP_IATU_MIN_REGION_LOG2);
        std::uint64_t base = u64() & 0x0000ffffffffffffull;
        if (chance(50))
            base &= 0xffffffffull; // below 4 GB
        if (r > 0 && chance(30)) // overlap an earlier region: priority
            base = prev[pick(r)].base + (chance(50) ? 0 : (u64() & 0xfffffff));
        std::uint64_t limit = (base & ~static_cast<std::uint64_t>(kLow)) + (1ull << k) - 1;
        if (chance(10))
            limit = base - (1ull << k); // limit below base
        if (!chance(80))
            base &= ~static_cast<std::uint64_t>(kLow); // else keep misaligned low bits (warning, ignored)
        if (chance(80))
            limit |= kLow;
        std::uint64_t target = u64();
        if (chance(80))
            target &= ~static_cast<std::uint64_t>(kLow);
        const std::uint32_t garbage1 = chance(10) ? u32() : 0, garbage2 = chance(10) ? u32() & ~C2_EN : 0;
        const std::uint32_t ctrl1 = (m.mem ? 0u : 1 + pick(31)) | (inc ? C1_INC : 0) | c1_func(m.func) | garbage1;
        const std::uint32_t ctrl2 = (m.enabled ? C2_EN : 0) | (m.bar_mode ? C2_BAR_MODE : 0) |
                                    (m.fmatch ? C2_FMATCH : 0) | c2_bar(m.bar) | garbage2;
        auto d = [&] { return chance(20) ? pick(3) : 0; };
        c.wr(ib(r, dwc_iatu::LOWER_BASE), lo(base), d());
        c.wr(ib(r, dwc_iatu::UPPER_BASE), hi(base), d());
        c.wr(ib(r, dwc_iatu::LIMIT), lo(limit), d());
        c.wr(ib(r, dwc_iatu::UPPER_LIMIT), hi(limit), d());
        c.wr(ib(r, dwc_iatu::LOWER_TARGET), lo(target), d());
        c.wr(ib(r, dwc_iatu::UPPER_TARGET), hi(target), d());
        c.wr(ib(r, dwc_iatu::CTRL1), ctrl1, d());
        c.wr(ib(r, dwc_iatu::CTRL2), ctrl2, d());
        // What the hardware stores (for biasing lookups to hit).
        const std::uint32_t ctrl1_stored = ctrl1 & 0x0070211f;
        m.func = (ctrl1_stored >> dwc_iatu::CTRL1_FUNC_SHIFT) & 7;
        m.mem = (ctrl1_stored & dwc_iatu::CTRL1_TYPE) == 0;
        m.fmatch = (ctrl2 | garbage2) & C2_FMATCH;
        m.bar_mode = (ctrl2 | garbage2) & C2_BAR_MODE;
        m.bar = (ctrl2 >> dwc_iatu::CTRL2_BAR_SHIFT) & 7;
        m.base = base & ~static_cast<std::uint64_t>(kLow);
        const std::uint64_t lim_hi = (ctrl1_stored & C1_INC) ? (hi(limit) & kMaxUpper) : hi(base);
        m.limit = (lim_hi << 32) | (lo(limit) | kLow);
        return m;
    }

    lookup_req lookup(const std::vector<region_model>& m) {
        lookup_req q;
        q.func = pick(8);
        q.bar = pick(6);
        const unsigned k = 12 + pick(29);
        q.bar_mask = (1ull << k) - 1;
        if (chance(10)) { // anywhere
            q.addr = chance(50) ? u64() : (u64() & 0xffffffffull);
            q.bar_base = q.addr & ~q.bar_mask;
            return q;
        }
        const region_model& r = m[pick(kRegions)];
        if (r.fmatch && chance(90))
            q.func = r.func;
        if (r.bar_mode) {
            if (r.bar < 6 && chance(90))
                q.bar = r.bar;
            q.bar_base = u64() & 0x0000ffffffffffffull & ~q.bar_mask;
            q.addr = q.bar_base + (u64() & q.bar_mask);
            return q;
        }
        if (r.limit < r.base) {
            q.addr = r.base + (u64() & 0xffff) - 0x8000;
        } else {
            const std::uint64_t span = r.limit - r.base;
            const unsigned w = pick(100);
            if (w < 70)
                q.addr = r.base + (span == ~0ull ? u64() : u64() % (span + 1));
            else if (w < 80)
                q.addr = r.base;
            else if (w < 90)
                q.addr = r.limit;
            else if (w < 95)
                q.addr = r.limit + 1;
            else
                q.addr = r.base - 1;
        }
        q.bar_base = q.addr & ~q.bar_mask;
        return q;
    }

    std::mt19937_64 rng_;
};

std::uint64_t seed_from_env() {
    if (const char* s = std::getenv("DBVP_COSIM_SEED"))
        return std::strtoull(s, nullptr, 0);
    return std::random_device{}() ^ (static_cast<std::uint64_t>(std::random_device{}()) << 32);
}

} // namespace

TEST(CosimIatu, LatencyParametersAgree) {
    // The RTL is built with the controller's default atu_latency; the bench checks the measured value too.
    EXPECT_EQ(kRtlLatency, ctl().atu_latency);
    EXPECT_EQ(kMin, ctl().min_region_size);
}

TEST(CosimIatu, DirectedCases) {
    dbvp::test::expect_report zero("read-only zero"), ones("read-only ones"), type("only memory regions"),
        below("below base"), nobar("does not exist"), overlap("overlaps enabled region");
    bench b("bench");
    b.run(directed_cases(), "directed");
    EXPECT_EQ(b.mismatches, 0u);
    EXPECT_GE(b.lookups, 50u);
    std::cout << "[cosim] directed: " << b.lookups << " lookups (" << b.hits << " hits), " << b.reg_reads << " register reads compared"
              << std::endl;
}

TEST(CosimIatu, RandomProgrammingAndLookups) {
    const std::uint64_t seed = seed_from_env();
    std::cout << "[cosim] DBVP_COSIM_SEED=" << seed << std::endl;
    ::testing::Test::RecordProperty("seed", std::to_string(seed));
    // Random programming includes misaligned values, limits below bases and non-memory types: the TLM model's
    // guest warnings about them are expected (any number).
    dbvp::test::expect_report guest("iATU region", 0);
    constexpr unsigned rounds = 50, per_round = 2100;
    generator g(seed);
    std::vector<test_case> cases;
    for (unsigned i = 0; i < rounds; ++i)
        cases.push_back(g.round("round" + std::to_string(i), per_round));
    bench b("bench");
    const auto t0 = std::chrono::steady_clock::now();
    b.run(std::move(cases), "seed" + std::to_string(seed));
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(b.mismatches, 0u) << "replay with DBVP_COSIM_SEED=" << seed;
    EXPECT_GE(b.lookups, 100000u);
    EXPECT_GT(b.hits, b.lookups / 2) << "stimulus no longer biased to hit";
    std::cout << "[cosim] random: " << b.lookups << " lookups (" << b.hits << " hits), " << b.reg_reads << " register reads compared in "
              << secs << " s wall, " << sc_time_stamp() << " simulated" << std::endl;
}
