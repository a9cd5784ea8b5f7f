// Co-simulation: rtl/edma_irq (SystemVerilog, verilated) against the interrupt part of the TLM eDMA model
// dbvp::pcie::dwc_edma, both driven with the same stimulus and compared after every operation.
//
//   test thread --tlm_cpu--> edma.regs                          TLM model; edma.irq(n) -> level logs
//               --rtl_cpu--> bridge --pins--> Vedma_irq[_pc]    RTL; irq pins -> level logs
//   edma.local --> local_target  the LOCAL window completes (reads zeros); any other address fails (bus error)
//   edma.pcie  --> host_target   every TLP completes
//   driver (one SC_METHOD, the only writer of the RTL inputs) at every falling edge: reset, the register request
//   the bridge scheduled for this cycle, and a done/abort pulse for every INT_STATUS bit the TLM model set at this
//   cycle boundary (seen by a debug read of the model's WR/RD_INT_STATUS).
//
// Timing (P = 4 ns, the eDMA's 250 MHz clock; L = the model's reg_latency cycles):
//   * The TLM model changes state at cycle boundaries k*P. The RTL clock rises half a period later, at k*P + P/2,
//     so the RTL edge in the middle of cycle k applies what the model did at boundary k; its falling edges are the
//     boundaries, where the driver changes the RTL inputs (race-free). A line change is compared by its cycle
//     number floor(t / P): it must be the same on both sides, as must the level after every operation.
//   * A register access that starts at t0 (after its TLM delay, which the bridge waits out) ends at t0 + L*P on both
//     sides. Write: driven at t0 + L*P, sampled by the edge at t0 + L*P + P/2 -- the model applies it (and moves its
//     lines) at boundary t0 + L*P. Read: driven at t0 + (L-1)*P, the data registered by the edge half a cycle later
//     and returned at t0 + L*P. The test checks that both ends agree.
//   * DONE comes from a zero-length single block (doorbell + L + setup_latency cycles), ABORT from a local bus
//     error (one local access later) or a doorbell STOP of a long transfer. The model sets the bit at boundary k;
//     the driver sees it at k and pulses the RTL input for the edge at k*P + P/2: the same cycle.
//   * The stimulus is sequential and legal: an operation starts when the previous one has settled (a completion
//     waits for its channel to end), so no register access overlaps a status change, doorbells find the engine
//     enabled and the channel idle, and no context register is written while its channel runs.
//
// Random streams print their seed; DBVP_COSIM_SEED=<n> replays one. On a mismatch the test writes a VCD of the
// RTL pins and both models' lines into ::testing::TempDir() and prints its path.
#include "reports.h"

#include "dbvp/core/irq.h"
#include "dbvp/core/sideband.h"
#include "dbvp/pcie/dwc_edma.h"

#include <Vedma_irq.h>
#include <Vedma_irq_pc.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <random>
#include <sstream>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using dbvp::pcie::dwc_edma;
using dir = dwc_edma::direction;
using off = dwc_edma::offsets;
using sc_core::sc_time;

constexpr dir WR = dir::write, RD = dir::read;
constexpr std::uint64_t LOCAL_BASE = 0x80000000, LOCAL_SIZE = 0x01000000;
constexpr std::uint64_t HOLE = 0x40000000;      // nothing there: a local bus error
constexpr std::uint64_t HOST_BASE = 0x120000000;
constexpr unsigned LOCAL_CYCLES = 2, HOST_CYCLES = 8; // latencies: whole cycles keep every event on the grid
constexpr std::uint32_t CHANNEL_BITS = 0x00ff00ffu;

constexpr std::uint32_t done_bit(unsigned n) { return 1u << n; }
constexpr std::uint32_t abort_bit(unsigned n) { return 1u << (16 + n); }

struct dir_regs {
    std::uint32_t status, mask, clear, doorbell, engine_en;
};
dir_regs regs_of(dir d) {
    if (d == WR)
        return {off::WR_INT_STATUS, off::WR_INT_MASK, off::WR_INT_CLEAR, off::WR_DOORBELL, off::WR_ENGINE_EN};
    return {off::RD_INT_STATUS, off::RD_INT_MASK, off::RD_INT_CLEAR, off::RD_DOORBELL, off::RD_ENGINE_EN};
}
/// The registers the RTL block decodes (the bridge forwards only these).
bool is_irq_reg(std::uint32_t a) {
    for (std::uint32_t r : {off::WR_INT_STATUS, off::WR_INT_MASK, off::WR_INT_CLEAR, off::RD_INT_STATUS,
                            off::RD_INT_MASK, off::RD_INT_CLEAR})
        if (a == r)
            return true;
    return false;
}
const char* reg_name(std::uint32_t a) {
    switch (a) {
    case off::WR_INT_STATUS: return "WR_INT_STATUS";
    case off::WR_INT_MASK: return "WR_INT_MASK";
    case off::WR_INT_CLEAR: return "WR_INT_CLEAR";
    case off::RD_INT_STATUS: return "RD_INT_STATUS";
    case off::RD_INT_MASK: return "RD_INT_MASK";
    case off::RD_INT_CLEAR: return "RD_INT_CLEAR";
    case off::WR_DOORBELL: return "WR_DOORBELL";
    case off::RD_DOORBELL: return "RD_DOORBELL";
    default: return "engine register";
    }
}

void prepare(tlm::tlm_generic_payload& p, bool write, std::uint64_t addr, std::uint32_t* data) {
    p.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    p.set_address(addr);
    p.set_data_ptr(reinterpret_cast<unsigned char*>(data));
    p.set_data_length(4);
    p.set_streaming_width(4);
    p.set_byte_enable_ptr(nullptr);
    p.set_dmi_allowed(false);
    p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

// ---- TLM surroundings of the model -------------------------------------------------------------------------------

/// Endpoint memory: the LOCAL window completes (reads return zeros), everything else is a bus error.
struct local_target : sc_core::sc_module {
    tlm_utils::simple_target_socket<local_target> socket;
    sc_time latency;
    local_target(sc_core::sc_module_name n, const sc_time& lat) : sc_module(n), socket("socket"), latency(lat) {
        socket.register_b_transport(this, &local_target::b_transport);
    }
    void b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
        delay += latency;
        const std::uint64_t a = p.get_address();
        if (a < LOCAL_BASE || a + p.get_data_length() > LOCAL_BASE + LOCAL_SIZE) {
            p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
            return;
        }
        if (p.is_read())
            std::memset(p.get_data_ptr(), 0, p.get_data_length());
        p.set_response_status(tlm::TLM_OK_RESPONSE);
    }
};

/// The host: every TLP completes successfully (reads return zeros).
struct host_target : sc_core::sc_module {
    tlm_utils::simple_target_socket<host_target> socket;
    sc_time latency;
    host_target(sc_core::sc_module_name n, const sc_time& lat) : sc_module(n), socket("socket"), latency(lat) {
        socket.register_b_transport(this, &host_target::b_transport);
    }
    void b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
        delay += latency;
        if (auto* a = dbvp::attr_of(p))
            a->status = dbvp::cpl_status::sc;
        if (p.is_read())
            std::memset(p.get_data_ptr(), 0, p.get_data_length());
        p.set_response_status(tlm::TLM_OK_RESPONSE);
    }
};

// ---- Waves: value changes, written as a VCD on a mismatch ----------------------------------------------------------

class wave {
public:
    unsigned add(std::string name, unsigned width) {
        vars_.push_back({std::move(name), width, 0});
        return static_cast<unsigned>(vars_.size() - 1);
    }
    void set(unsigned id, std::uint64_t v, const sc_time& at) {
        if (vars_[id].last == v)
            return;
        vars_[id].last = v;
        if (events_.size() < max_events)
            events_.push_back({at.value(), id, v});
    }
    /// Writes the VCD; returns false when the file could not be written.
    bool write(const std::string& path) const {
        std::ofstream f(path);
        if (!f)
            return false;
        f << "$timescale " << sc_core::sc_get_time_resolution().to_string() << " $end\n$scope module cosim $end\n";
        for (unsigned i = 0; i < vars_.size(); ++i)
            f << "$var wire " << vars_[i].width << ' ' << code(i) << ' ' << vars_[i].name << " $end\n";
        f << "$upscope $end\n$enddefinitions $end\n#0\n$dumpvars\n";
        for (unsigned i = 0; i < vars_.size(); ++i)
            f << value(i, 0) << '\n';
        f << "$end\n";
        std::vector<event> ev = events_;
        std::stable_sort(ev.begin(), ev.end(), [](const event& a, const event& b) { return a.at < b.at; });
        std::uint64_t now = 0;
        for (const auto& e : ev) {
            if (e.at != now)
                f << '#' << (now = e.at) << '\n';
            f << value(e.id, e.v) << '\n';
        }
        if (events_.size() >= max_events)
            f << "$comment truncated after " << max_events << " changes $end\n";
        return static_cast<bool>(f);
    }

private:
    static constexpr std::size_t max_events = 8u << 20;
    struct var {
        std::string name;
        unsigned width;
        std::uint64_t last;
    };
    struct event {
        std::uint64_t at;
        unsigned id;
        std::uint64_t v;
    };
    static std::string code(unsigned i) {
        std::string s;
        do {
            s += static_cast<char>('!' + i % 90);
            i /= 90;
        } while (i);
        return s;
    }
    std::string value(unsigned id, std::uint64_t v) const {
        if (vars_[id].width == 1)
            return std::string(1, v ? '1' : '0') + code(id);
        std::string b = "b";
        for (int i = static_cast<int>(vars_[id].width) - 1; i >= 0; --i)
            b += ((v >> i) & 1) ? '1' : '0';
        return b + ' ' + code(id);
    }
    std::vector<var> vars_;
    std::vector<event> events_;
};

// ---- The co-simulation bench ---------------------------------------------------------------------------------------

/// Parameters each verilated configuration was built with (rtl/edma_irq/CMakeLists.txt).
template <class V> struct rtl_config;
template <> struct rtl_config<Vedma_irq> {
    static constexpr unsigned wr = 8, rd = 8;
    static constexpr bool per_channel = false;
};
template <> struct rtl_config<Vedma_irq_pc> {
    static constexpr unsigned wr = 4, rd = 2;
    static constexpr bool per_channel = true;
};

template <class T> using port_value_t = typename std::remove_reference_t<T>::data_type;
template <class T> T as(std::uint32_t v) {
    if constexpr (std::is_same_v<T, bool>)
        return (v & 1) != 0;
    else
        return static_cast<T>(v);
}
inline std::uint32_t bits_of(bool b) { return b ? 1 : 0; }
inline std::uint32_t bits_of(std::uint32_t v) { return v; }

enum class completion { done, local_error, stop };
const char* to_string(completion c) {
    return c == completion::done ? "done (zero-length block)"
                                 : c == completion::local_error ? "abort (local bus error)" : "abort (STOP)";
}

template <class V> class cosim : public sc_core::sc_module {
    using cfg = rtl_config<V>;
    using wr_t = port_value_t<decltype(std::declval<V&>().wr_done)>;
    using rd_t = port_value_t<decltype(std::declval<V&>().rd_done)>;
    using irq_t = port_value_t<decltype(std::declval<V&>().irq)>;

public:
    static dwc_edma::params model_params() {
        dwc_edma::params p; // clock 250 MHz, reg_latency 4, setup_latency 16: the defaults
        p.wr_channels = cfg::wr;
        p.rd_channels = cfg::rd;
        p.per_channel_irqs = cfg::per_channel;
        return p;
    }

    SC_HAS_PROCESS(cosim);
    explicit cosim(sc_core::sc_module_name n = "cosim")
        : sc_module(n), edma("edma", model_params()), P(edma.clock_period()), L(edma.get_params().reg_latency),
          clk("clk", P, 0.5, P / 2, true), rst_n("rst_n", false), wr_done("wr_done"), wr_abort("wr_abort"),
          rd_done("rd_done"), rd_abort("rd_abort"), reg_addr("reg_addr"), reg_wdata("reg_wdata"), reg_we("reg_we"),
          reg_re("reg_re"), reg_rdata("reg_rdata"), irq("irq"), rtl("rtl"), local("local", edma.cycles(LOCAL_CYCLES)),
          host("host", edma.cycles(HOST_CYCLES)), tlm_cpu("tlm_cpu"), rtl_cpu("rtl_cpu"), bridge("bridge") {
        if (L < 1)
            throw std::invalid_argument("cosim: the bridge needs reg_latency >= 1");
        rtl.clk(clk);
        rtl.rst_n(rst_n);
        rtl.wr_done(wr_done);
        rtl.wr_abort(wr_abort);
        rtl.rd_done(rd_done);
        rtl.rd_abort(rd_abort);
        rtl.reg_addr(reg_addr);
        rtl.reg_wdata(reg_wdata);
        rtl.reg_we(reg_we);
        rtl.reg_re(reg_re);
        rtl.reg_rdata(reg_rdata);
        rtl.irq(irq);
        tlm_cpu.bind(edma.regs);
        rtl_cpu.bind(bridge);
        bridge.register_b_transport(this, &cosim::bridge_b_transport);
        edma.local.bind(local.socket);
        edma.pcie.bind(host.socket);

        lines = edma.num_irqs();
        tlm_log.resize(lines);
        rtl_log.resize(lines);
        checked.assign(lines, 0);
        for (unsigned i = 0; i < lines; ++i) {
            sinks.emplace_back(*this, i);
            edma.irq(i).bind(sinks.back(), i);
        }

        w_rst = waves.add("rst_n", 1);
        w_wr_done = waves.add("wr_done", cfg::wr);
        w_wr_abort = waves.add("wr_abort", cfg::wr);
        w_rd_done = waves.add("rd_done", cfg::rd);
        w_rd_abort = waves.add("rd_abort", cfg::rd);
        w_addr = waves.add("reg_addr", 8);
        w_wdata = waves.add("reg_wdata", 32);
        w_we = waves.add("reg_we", 1);
        w_re = waves.add("reg_re", 1);
        w_rdata = waves.add("reg_rdata", 32);
        w_op = waves.add("op_index", 32);
        w_tlm_addr = waves.add("tlm_access_addr", 16);
        for (unsigned i = 0; i < lines; ++i) {
            w_rtl_irq.push_back(waves.add("rtl_irq" + std::to_string(i), 1));
            w_tlm_irq.push_back(waves.add("tlm_irq" + std::to_string(i), 1));
        }

        SC_METHOD(drive);
        sensitive << clk.negedge_event();
        dont_initialize();
        SC_METHOD(watch_pins);
        sensitive << rst_n << wr_done << wr_abort << rd_done << rd_abort << reg_addr << reg_wdata << reg_we << reg_re
                  << reg_rdata;
        dont_initialize();
        SC_METHOD(watch_irq);
        sensitive << irq;
        dont_initialize();
        SC_THREAD(thread);
    }

    // ---- Running ---------------------------------------------------------------------------------------------------
    /// Run `fn` in the bench thread (after reset and engine enable); the simulation stops when it returns.
    void run(std::function<void()> fn) {
        body = std::move(fn);
        sc_core::sc_start();
    }
    bool failed() const { return failed_; }
    std::uint64_t ops() const { return op_index; }
    std::uint64_t cycles_run() const { return sc_core::sc_time_stamp().value() / P.value(); }
    std::uint64_t line_changes() const {
        std::uint64_t n = 0;
        for (const auto& l : tlm_log)
            n += l.size();
        return n;
    }

    // ---- Operations (bench thread): each is done on both sides, then both are compared ------------------------------
    /// A register write; `pre` cycles of TLM delay annotated on the access (the bridge waits them out).
    void write(std::uint32_t addr, std::uint32_t data, unsigned pre = 0) {
        note("write %s (0x%03x) = 0x%08x, delay %u", reg_name(addr), addr, data, pre);
        access(true, addr, data, pre);
        compare();
    }
    /// A register read, compared between both sides; returns the value.
    std::uint32_t read(std::uint32_t addr, unsigned pre = 0) {
        note("read %s (0x%03x), delay %u", reg_name(addr), addr, pre);
        const std::uint32_t v = access(false, addr, 0, pre);
        compare();
        return v;
    }
    /// Channel activity in the TLM model that sets DONE or ABORT; the RTL gets the pulse in the same cycle.
    /// `stop_after`: cycles between the doorbell and the STOP (completion::stop).
    void complete(dir d, unsigned n, completion c, unsigned stop_after = 0) {
        note("%s channel %u: %s", dwc_edma::to_string(d), n, to_string(c));
        if (failed_)
            return;
        program(d, n, c);
        const dir_regs r = regs_of(d);
        access(true, r.doorbell, n, 0);
        if (c == completion::stop) {
            sc_core::wait(edma.cycles(stop_after));
            access(true, r.doorbell, n | dwc_edma::DOORBELL_STOP, 0);
        }
        const sc_time deadline = sc_core::sc_time_stamp() + edma.cycles(100000);
        while (edma.status(d, n) == dwc_edma::channel_status::running) {
            if (sc_core::sc_time_stamp() >= deadline)
                return fail("channel did not end within 100000 cycles");
            sc_core::wait(P);
        }
        const auto want = c == completion::done ? done_bit(n) : abort_bit(n);
        if (!(debug_read(r.status) & want))
            return fail("the TLM model did not set the expected status bit");
        compare();
    }
    /// Level of line n (both sides agree after every operation).
    bool line(unsigned n) { return edma.irq(n).level(); }
    unsigned num_lines() const { return lines; }
    unsigned channels(dir d) const { return d == WR ? cfg::wr : cfg::rd; }
    std::uint32_t status(dir d) { return read(regs_of(d).status); }

    /// A seeded stream of random register operations and channel completions.
    void random_stream(std::uint64_t seed, std::uint64_t count) {
        std::mt19937_64 rng(seed);
        auto pick = [&](std::uint64_t n) { return static_cast<unsigned>(rng() % n); };
        auto channel_bit = [&] { return pick(2) ? done_bit(pick(8)) : abort_bit(pick(8)); };
        auto mask_data = [&]() -> std::uint32_t {
            switch (pick(5)) {
            case 0: return static_cast<std::uint32_t>(rng());
            case 1: return 0;
            case 2: return CHANNEL_BITS;
            case 3: return channel_bit();
            default: return CHANNEL_BITS & ~channel_bit();
            }
        };
        auto clear_data = [&]() -> std::uint32_t {
            const unsigned c = pick(20);
            if (c < 4)
                return 0;
            if (c < 7)
                return static_cast<std::uint32_t>(rng());
            if (c < 12)
                return CHANNEL_BITS;
            if (c < 15)
                return channel_bit() | (pick(2) ? channel_bit() : 0);
            return 0xffffffffu;
        };
        auto status_data = [&]() -> std::uint32_t {
            switch (pick(3)) {
            case 0: return 0;
            case 1: return 0xffffffffu;
            default: return static_cast<std::uint32_t>(rng());
            }
        };
        for (std::uint64_t i = 0; i < count && !failed_; ++i) {
            const dir d = pick(2) ? WR : RD;
            const dir_regs r = regs_of(d);
            const unsigned pre = pick(4) == 0 ? pick(3) + 1 : 0;
            const unsigned k = pick(100);
            if (k < 8)
                write(r.status, status_data(), pre); // interrupt emulation
            else if (k < 24)
                write(r.mask, mask_data(), pre);
            else if (k < 54)
                write(r.clear, clear_data(), pre);
            else if (k < 72)
                complete(d, pick(channels(d)), completion::done);
            else if (k < 88)
                complete(d, pick(channels(d)), completion::local_error);
            else if (k < 90)
                complete(d, pick(channels(d)), completion::stop, pick(40));
            else {
                static constexpr std::uint32_t any[] = {off::WR_INT_STATUS, off::WR_INT_MASK, off::WR_INT_CLEAR,
                                                        off::RD_INT_STATUS, off::RD_INT_MASK, off::RD_INT_CLEAR};
                read(any[pick(6)], pre);
            }
        }
    }

private:
    struct change {
        bool level;
        sc_time at;
    };
    /// Records a TLM line's level changes with the time they take effect.
    struct tlm_line : dbvp::irq_sink {
        cosim& b;
        unsigned n;
        tlm_line(cosim& bench, unsigned idx) : b(bench), n(idx) {}
        void irq_level(unsigned, bool level, const sc_time& offset) override {
            const sc_time at = sc_core::sc_time_stamp() + offset;
            b.tlm_log[n].push_back({level, at});
            b.waves.set(b.w_tlm_irq[n], level, at);
        }
    };

    void thread() {
        // Reset: rst_n is low for the first rising edges (the driver releases it at boundary 2).
        sc_core::wait(edma.cycles(3));
        for (dir d : {WR, RD})
            access(true, regs_of(d).engine_en, 1, 0);
        compare();
        body();
        sc_core::sc_stop();
    }

    // ---- Pins (the driver is the only writer of the RTL inputs) -----------------------------------------------------
    struct request {
        bool valid = false;
        bool write = false;
        std::uint32_t addr = 0, data = 0;
        sc_time at;
    };

    void drive() {
        const sc_time now = sc_core::sc_time_stamp();
        rst_n.write(now >= edma.cycles(2));
        // The register request of this cycle, if any.
        if (req.valid && req.at < now)
            fail("bridge request missed its cycle");
        const bool mine = req.valid && req.at == now;
        reg_we.write(mine && req.write);
        reg_re.write(mine && !req.write);
        if (mine) {
            reg_addr.write(req.addr);
            reg_wdata.write(req.data);
            req.valid = false;
        }
        // DONE/ABORT bits the TLM model set at this boundary: a pulse for the edge half a cycle later.
        const std::uint32_t wr_now = debug_read(off::WR_INT_STATUS), rd_now = debug_read(off::RD_INT_STATUS);
        const std::uint32_t wr_new = wr_now & ~wr_seen, rd_new = rd_now & ~rd_seen;
        wr_seen = wr_now;
        rd_seen = rd_now;
        wr_done.write(as<wr_t>(wr_new & 0xffu));
        wr_abort.write(as<wr_t>((wr_new >> 16) & 0xffu));
        rd_done.write(as<rd_t>(rd_new & 0xffu));
        rd_abort.write(as<rd_t>((rd_new >> 16) & 0xffu));
    }

    void watch_pins() {
        const sc_time now = sc_core::sc_time_stamp();
        waves.set(w_rst, rst_n.read(), now);
        waves.set(w_wr_done, bits_of(wr_done.read()), now);
        waves.set(w_wr_abort, bits_of(wr_abort.read()), now);
        waves.set(w_rd_done, bits_of(rd_done.read()), now);
        waves.set(w_rd_abort, bits_of(rd_abort.read()), now);
        waves.set(w_addr, reg_addr.read(), now);
        waves.set(w_wdata, reg_wdata.read(), now);
        waves.set(w_we, reg_we.read(), now);
        waves.set(w_re, reg_re.read(), now);
        waves.set(w_rdata, reg_rdata.read(), now);
    }

    void watch_irq() {
        const std::uint32_t v = bits_of(irq.read());
        const sc_time now = sc_core::sc_time_stamp();
        for (unsigned i = 0; i < lines; ++i) {
            const bool level = (v >> i) & 1;
            if (level != ((rtl_level >> i) & 1)) {
                rtl_log[i].push_back({level, now});
                waves.set(w_rtl_irq[i], level, now);
            }
        }
        rtl_level = v;
    }

    /// The bridge: TLM register accesses to pin activity (see the timing notes at the top).
    void bridge_b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
        sc_core::wait(delay); // the initiator's local time offset: the access starts now
        delay = sc_core::SC_ZERO_TIME;
        const auto a = static_cast<std::uint32_t>(p.get_address());
        if (p.get_data_length() != 4 || !is_irq_reg(a) || p.get_byte_enable_ptr()) {
            p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
            return;
        }
        std::uint32_t data = 0;
        std::memcpy(&data, p.get_data_ptr(), 4);
        req.valid = true;
        req.write = p.is_write();
        req.addr = a;
        req.data = p.is_write() ? data : 0;
        req.at = sc_core::sc_time_stamp() + edma.cycles(p.is_write() ? L : L - 1);
        sc_core::wait(edma.cycles(L));
        if (p.is_read()) {
            data = reg_rdata.read();
            std::memcpy(p.get_data_ptr(), &data, 4);
        }
        p.set_response_status(tlm::TLM_OK_RESPONSE);
    }

    // ---- Accesses and comparison -------------------------------------------------------------------------------------
    std::uint32_t debug_read(std::uint32_t addr) {
        std::uint32_t v = 0;
        prepare(dbg, false, addr, &v);
        tlm_cpu->transport_dbg(dbg);
        return v;
    }

    /// One access on both sides (the RTL sees only its registers); returns the TLM model's read data.
    std::uint32_t access(bool write, std::uint32_t addr, std::uint32_t data, unsigned pre) {
        if (failed_)
            return 0;
        waves.set(w_tlm_addr, addr, sc_core::sc_time_stamp());
        const sc_time t0 = sc_core::sc_time_stamp();
        std::uint32_t tv = data;
        prepare(pl, write, addr, &tv);
        sc_time d = edma.cycles(pre);
        tlm_cpu->b_transport(pl, d);
        if (!pl.is_response_ok()) {
            fail(std::string("TLM access failed: ") + pl.get_response_string());
            return 0;
        }
        const sc_time tlm_end = t0 + d;
        if (is_irq_reg(addr)) {
            std::uint32_t rv = data;
            prepare(pl_rtl, write, addr, &rv);
            sc_time d2 = edma.cycles(pre);
            rtl_cpu->b_transport(pl_rtl, d2);
            const sc_time rtl_end = sc_core::sc_time_stamp() + d2;
            if (rtl_end != tlm_end)
                fail("access latency: TLM ends at " + tlm_end.to_string() + ", RTL bridge at " + rtl_end.to_string());
            else if (!write && rv != tv)
                fail(fmt("%s reads 0x%08x in the TLM model, 0x%08x in the RTL", reg_name(addr), tv, rv));
        }
        if (tlm_end > sc_core::sc_time_stamp())
            sc_core::wait(tlm_end - sc_core::sc_time_stamp());
        return tv;
    }

    /// After an operation: one more cycle (the RTL edge half a cycle after the boundary), then the lines (levels and
    /// the cycle of every change) and the status and mask registers of both directions, read back on both sides.
    void compare() {
        if (failed_)
            return;
        sc_core::wait(P);
        compare_lines();
        for (std::uint32_t r : {off::WR_INT_STATUS, off::WR_INT_MASK, off::RD_INT_STATUS, off::RD_INT_MASK})
            access(false, r, 0, 0);
        compare_lines();
    }

    void compare_lines() {
        const std::uint32_t rtl_now = bits_of(irq.read());
        for (unsigned n = 0; n < lines && !failed_; ++n) {
            const auto& a = tlm_log[n];
            const auto& b = rtl_log[n];
            for (; checked[n] < std::max(a.size(), b.size()); ++checked[n]) {
                const std::size_t i = checked[n];
                if (i >= a.size() || i >= b.size()) {
                    const auto& c = i < a.size() ? a[i] : b[i];
                    return fail(fmt("line %u: only the %s went %s (cycle %llu)", n, i < a.size() ? "TLM model" : "RTL",
                                    c.level ? "high" : "low", cycle(c.at)));
                }
                if (a[i].level != b[i].level || cycle(a[i].at) != cycle(b[i].at))
                    return fail(fmt("line %u change %zu: TLM %s at cycle %llu, RTL %s at cycle %llu", n, i,
                                    a[i].level ? "high" : "low", cycle(a[i].at), b[i].level ? "high" : "low",
                                    cycle(b[i].at)));
            }
            if (edma.irq(n).level() != (((rtl_now >> n) & 1) != 0))
                return fail(fmt("line %u: TLM level %d, RTL level %d", n, edma.irq(n).level(), (rtl_now >> n) & 1));
        }
    }

    /// Programs the channel context for the kind of completion (only when it changes: the context stays as it was
    /// after a zero-length block or a first-access error; a STOPped long transfer has moved on, so always then).
    void program(dir d, unsigned n, completion c) {
        int& m = mode[d == WR ? 0 : 1][n];
        if (c != completion::stop && m == static_cast<int>(c))
            return;
        m = static_cast<int>(c);
        const std::uint32_t ch = off::channel(d, n);
        const std::uint32_t size = c == completion::done ? 0 : c == completion::local_error ? 4 : 1u << 24;
        const std::uint64_t local = c == completion::local_error ? HOLE : LOCAL_BASE;
        const std::uint64_t sar = d == WR ? local : HOST_BASE, dar = d == WR ? HOST_BASE : local;
        access(true, ch + off::TRANSFER_SIZE, size, 0);
        access(true, ch + off::SAR, static_cast<std::uint32_t>(sar), 0);
        access(true, ch + off::SAR + 4, static_cast<std::uint32_t>(sar >> 32), 0);
        access(true, ch + off::DAR, static_cast<std::uint32_t>(dar), 0);
        access(true, ch + off::DAR + 4, static_cast<std::uint32_t>(dar >> 32), 0);
    }

    // ---- Failure reporting -------------------------------------------------------------------------------------------
    unsigned long long cycle(const sc_time& t) const { return t.value() / P.value(); }

    template <class... A> static std::string fmt(const char* f, A... a) {
        char buf[512];
        std::snprintf(buf, sizeof buf, f, a...);
        return buf;
    }
    template <class... A> void note(const char* f, A... a) {
        ++op_index;
        waves.set(w_op, op_index, sc_core::sc_time_stamp());
        if (history.size() == 12)
            history.pop_front();
        char buf[160];
        std::snprintf(buf, sizeof buf, f, a...);
        history.push_back(fmt("  op %llu at cycle %llu: ", static_cast<unsigned long long>(op_index),
                              cycle(sc_core::sc_time_stamp())) +
                          buf);
    }

    void fail(const std::string& what) {
        if (failed_)
            return;
        failed_ = true;
        std::ostringstream os;
        os << "TLM/RTL mismatch at cycle " << cycle(sc_core::sc_time_stamp()) << ": " << what << "\nlast operations:\n";
        for (const auto& h : history)
            os << h << '\n';
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        const std::string path = ::testing::TempDir() + "cosim_edma_irq_" +
                                 (info ? std::string(info->test_suite_name()) + "." + info->name() : "run") + ".vcd";
        if (waves.write(path))
            os << "VCD: " << path;
        else
            os << "(could not write the VCD " << path << ")";
        std::fprintf(stderr, "%s\n", os.str().c_str());
        ADD_FAILURE() << os.str();
    }

public:
    dwc_edma edma;

private:
    const sc_time P;
    const unsigned L;
    sc_core::sc_clock clk;
    sc_core::sc_signal<bool> rst_n;
    sc_core::sc_signal<wr_t> wr_done, wr_abort;
    sc_core::sc_signal<rd_t> rd_done, rd_abort;
    sc_core::sc_signal<std::uint32_t> reg_addr, reg_wdata;
    sc_core::sc_signal<bool> reg_we, reg_re;
    sc_core::sc_signal<std::uint32_t> reg_rdata;
    sc_core::sc_signal<irq_t> irq;
    V rtl;
    local_target local;
    host_target host;
    tlm_utils::simple_initiator_socket<cosim> tlm_cpu, rtl_cpu;
    tlm_utils::simple_target_socket<cosim> bridge;

    unsigned lines = 0;
    std::deque<tlm_line> sinks;
    std::vector<std::vector<change>> tlm_log, rtl_log;
    std::vector<std::size_t> checked;
    std::uint32_t rtl_level = 0;
    std::uint32_t wr_seen = 0, rd_seen = 0;
    request req;
    tlm::tlm_generic_payload pl, pl_rtl, dbg;
    int mode[2][8] = {{-1, -1, -1, -1, -1, -1, -1, -1}, {-1, -1, -1, -1, -1, -1, -1, -1}};
    std::function<void()> body;
    bool failed_ = false;
    std::uint64_t op_index = 0;
    std::deque<std::string> history;

    wave waves;
    unsigned w_rst = 0, w_wr_done = 0, w_wr_abort = 0, w_rd_done = 0, w_rd_abort = 0, w_addr = 0, w_wdata = 0,
             w_we = 0, w_re = 0, w_rdata = 0, w_op = 0, w_tlm_addr = 0;
    std::vector<unsigned> w_rtl_irq, w_tlm_irq;
};

std::uint64_t seed_for_run() {
    if (const char* s = std::getenv("DBVP_COSIM_SEED"))
        return std::strtoull(s, nullptr, 0);
    return (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
}

template <class V> void random_run(std::uint64_t count) {
    const std::uint64_t seed = seed_for_run();
    std::printf("[ cosim    ] seed %llu (replay with DBVP_COSIM_SEED=%llu)\n", static_cast<unsigned long long>(seed),
                static_cast<unsigned long long>(seed));
    ::testing::Test::RecordProperty("seed", std::to_string(seed));
    cosim<V> b;
    const auto t0 = std::chrono::steady_clock::now();
    b.run([&] { b.random_stream(seed, count); });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("[ cosim    ] %llu operations, %llu line changes compared, %llu cycles, %.2f s\n",
                static_cast<unsigned long long>(b.ops()), static_cast<unsigned long long>(b.line_changes()),
                static_cast<unsigned long long>(b.cycles_run()), s);
    EXPECT_FALSE(b.failed()) << "seed " << seed;
    EXPECT_GE(b.ops(), count);
}

constexpr std::uint32_t ALL = 0xffffffffu;

} // namespace

// ---- Directed cases --------------------------------------------------------------------------------------------------

TEST(CosimEdmaIrq, EmulationWithAnyDataSetsTheLatch) {
    cosim<Vedma_irq> b;
    b.run([&] {
        for (dir d : {WR, RD}) {
            const dir_regs r = regs_of(d);
            for (std::uint32_t data : {0u, ALL}) {
                b.write(r.status, data);
                EXPECT_TRUE(b.line(0)) << dwc_edma::to_string(d) << " emulation with 0x" << std::hex << data;
                EXPECT_EQ(b.status(d), 0u) << "no status bit changes";
                b.write(r.status, data); // a second kick coalesces
                EXPECT_TRUE(b.line(0));
                b.write(r.clear, 0);
                EXPECT_FALSE(b.line(0)) << "a zero write to INT_CLEAR clears the latch";
            }
        }
        // Each direction's latch is cleared only by its own INT_CLEAR.
        b.write(off::RD_INT_STATUS, 0);
        b.write(off::WR_INT_CLEAR, ALL);
        EXPECT_TRUE(b.line(0));
        b.write(off::RD_INT_CLEAR, 0);
        EXPECT_FALSE(b.line(0));
        // INT_CLEAR reads 0; reading it has no effect.
        b.write(off::WR_INT_STATUS, 0x1234);
        EXPECT_EQ(b.read(off::WR_INT_CLEAR), 0u);
        EXPECT_TRUE(b.line(0));
        b.write(off::WR_INT_CLEAR, 0, 3); // with a TLM delay the bridge waits out
        EXPECT_FALSE(b.line(0));
    });
    EXPECT_FALSE(b.failed());
}

TEST(CosimEdmaIrq, MaskDoesNotGateTheLatch) {
    cosim<Vedma_irq> b;
    b.run([&] {
        for (dir d : {WR, RD}) {
            const dir_regs r = regs_of(d);
            b.write(r.mask, ALL);
            EXPECT_EQ(b.read(r.mask), CHANNEL_BITS) << "mask holds [7:0] and [23:16]";
            b.write(r.status, 0);
            EXPECT_TRUE(b.line(0)) << "the mask does not gate the emulation latch";
            b.complete(d, 1, completion::done);
            EXPECT_EQ(b.status(d), done_bit(1));
            b.write(r.clear, 0);
            EXPECT_FALSE(b.line(0)) << "DONE is masked, the latch cleared";
            b.write(r.mask, CHANNEL_BITS & ~done_bit(1));
            EXPECT_TRUE(b.line(0)) << "unmasking a set DONE raises the line";
            b.write(r.clear, done_bit(1));
            EXPECT_FALSE(b.line(0));
            b.write(r.mask, 0);
        }
    });
    EXPECT_FALSE(b.failed());
}

TEST(CosimEdmaIrq, ZeroClearKeepsDoneAndAbort) {
    cosim<Vedma_irq> b;
    b.run([&] {
        b.complete(WR, 3, completion::done);
        EXPECT_TRUE(b.line(0));
        EXPECT_EQ(b.status(WR), done_bit(3));
        b.write(off::WR_INT_CLEAR, 0);
        EXPECT_TRUE(b.line(0)) << "a zero clear is a no-op for real interrupts";
        EXPECT_EQ(b.status(WR), done_bit(3));
        b.write(off::WR_INT_CLEAR, done_bit(3));
        EXPECT_FALSE(b.line(0));
        EXPECT_EQ(b.status(WR), 0u);

        b.complete(RD, 5, completion::local_error);
        EXPECT_EQ(b.status(RD), abort_bit(5));
        b.write(off::RD_INT_CLEAR, done_bit(5));
        EXPECT_TRUE(b.line(0)) << "clearing DONE keeps ABORT";
        b.write(off::RD_INT_CLEAR, abort_bit(5));
        EXPECT_FALSE(b.line(0));
    });
    EXPECT_FALSE(b.failed());
}

TEST(CosimEdmaIrq, SharedLine) {
    cosim<Vedma_irq> b;
    b.run([&] {
        b.complete(WR, 1, completion::done);
        b.complete(RD, 2, completion::local_error);
        b.complete(WR, 7, completion::local_error);
        b.write(off::RD_INT_STATUS, 0);
        EXPECT_EQ(b.status(WR), done_bit(1) | abort_bit(7));
        EXPECT_EQ(b.status(RD), abort_bit(2));
        b.write(off::WR_INT_CLEAR, done_bit(1));
        EXPECT_TRUE(b.line(0));
        b.write(off::WR_INT_MASK, abort_bit(7));
        EXPECT_TRUE(b.line(0));
        b.write(off::WR_INT_CLEAR, 0); // the WR latch is not set: nothing changes
        EXPECT_TRUE(b.line(0)) << "RD ABORT 2 and the RD latch";
        b.write(off::RD_INT_CLEAR, abort_bit(2));
        EXPECT_FALSE(b.line(0)) << "clearing ABORT 2 clears the RD latch too; only the masked WR ABORT 7 is left";
        b.write(off::RD_INT_STATUS, ALL);
        EXPECT_TRUE(b.line(0));
        b.write(off::RD_INT_CLEAR, 0);
        EXPECT_FALSE(b.line(0));
        b.write(off::WR_INT_MASK, 0);
        EXPECT_TRUE(b.line(0));
        b.write(off::WR_INT_CLEAR, ALL);
        EXPECT_FALSE(b.line(0));
        EXPECT_EQ(b.status(WR), 0u);
    });
    EXPECT_FALSE(b.failed());
}

TEST(CosimEdmaIrq, StopAbortsInTheSameCycle) {
    cosim<Vedma_irq> b;
    b.run([&] {
        b.complete(WR, 6, completion::stop, 30);
        EXPECT_EQ(b.status(WR), abort_bit(6));
        b.complete(RD, 0, completion::stop, 0);
        EXPECT_EQ(b.status(RD), abort_bit(0));
        b.complete(RD, 0, completion::done); // the channel runs again after its STOP
        EXPECT_EQ(b.status(RD), abort_bit(0) | done_bit(0));
        EXPECT_TRUE(b.line(0));
    });
    EXPECT_FALSE(b.failed());
    EXPECT_EQ(b.edma.aborts().size(), 2u);
}

TEST(CosimEdmaIrq, PerChannelLines) {
    cosim<Vedma_irq_pc> b;
    b.run([&] {
        ASSERT_EQ(b.num_lines(), 6u); // write 0..3, then read 0..1
        auto only = [&](int n) {
            for (unsigned i = 0; i < b.num_lines(); ++i)
                EXPECT_EQ(b.line(i), static_cast<int>(i) == n) << "line " << i << " (expected only " << n << ")";
        };
        for (dir d : {WR, RD}) {
            const dir_regs r = regs_of(d);
            const unsigned base = d == WR ? 0 : 4;
            for (unsigned n = 0; n < b.channels(d); ++n) {
                b.complete(d, n, n % 2 ? completion::local_error : completion::done);
                only(static_cast<int>(base + n));
                b.write(r.clear, ALL);
                only(-1);
            }
            b.write(r.status, ALL);
            only(static_cast<int>(base)); // the latch drives channel 0's line of its direction
            b.write(r.mask, ALL);
            only(static_cast<int>(base));
            b.complete(d, 1, completion::done);
            only(static_cast<int>(base)); // DONE 1 masked
            b.write(r.clear, 0);
            only(-1);
            b.write(r.mask, CHANNEL_BITS & ~done_bit(1));
            only(static_cast<int>(base + 1));
            EXPECT_EQ(b.read(r.mask), CHANNEL_BITS & ~done_bit(1)) << "bits of absent channels are stored too";
            b.write(r.clear, ALL);
            b.write(r.mask, 0);
            only(-1);
        }
    });
    EXPECT_FALSE(b.failed());
}

// ---- Random streams ----------------------------------------------------------------------------------------------------

TEST(CosimEdmaIrq, RandomCombinedLine) { random_run<Vedma_irq>(100000); }

TEST(CosimEdmaIrq, RandomPerChannelLines) { random_run<Vedma_irq_pc>(50000); }
