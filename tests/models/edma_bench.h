// Bench for the DesignWare eDMA tests (test_edma.cpp).
//
//   cpu (reg_port: a master on its own socket) --> edma.regs                 (register block at offset 0)
//   edma.local --> lbus (router) --> ram                LOCAL_BASE (endpoint memory, own latencies)
//                                    (nothing at HOLE: accesses there fail with TLM_ADDRESS_ERROR_RESPONSE)
//   edma.pcie  --> host (host_target)                   HOST_BASE (host memory; records every TLP, models a
//                                                       link bandwidth, answers reads of chosen ranges with UR/CA)
//   edma.irq(n) --> irq[n] (records every level change with the time it takes effect)
//
// One SC_THREAD runs the test body; the simulation stops when it returns. Every register helper synchronises
// afterwards, so each access starts at sc_time_stamp() with no local offset. Linked-list helpers write the
// elements directly into the RAM (no time) in the dw_edma_v0_lli / dw_edma_v0_llp layouts (facts 3.1).
#pragma once

#include "dbvp/bus/router.h"
#include "dbvp/core/irq.h"
#include "dbvp/core/master.h"
#include "dbvp/core/sideband.h"
#include "dbvp/mem/memory.h"
#include "dbvp/pcie/dwc_edma.h"
#include "reports.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <gtest/gtest.h>
#include <ostream>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

// Readable gtest output for the model's enums (found by argument-dependent lookup).
namespace dbvp::pcie {
inline void PrintTo(dwc_edma::direction d, std::ostream* os) { *os << dwc_edma::to_string(d); }
inline void PrintTo(dwc_edma::abort_cause c, std::ostream* os) { *os << dwc_edma::to_string(c); }
inline void PrintTo(dwc_edma::channel_status s, std::ostream* os) {
    static const char* const names[] = {"idle", "running", "halted", "stopped"};
    *os << names[static_cast<unsigned>(s) & 3];
}
} // namespace dbvp::pcie

namespace dbvp::test {

using pcie::dwc_edma;
using edma_dir = dwc_edma::direction;
using edma_reg = dwc_edma::offsets;

// ---- Bench address map ----------------------------------------------------------------------------------------
inline constexpr std::uint64_t LOCAL_BASE = 0x80000000;
inline constexpr std::uint64_t LOCAL_SIZE = 0x01000000; // 16 MiB
inline constexpr std::uint64_t HOLE = 0x40000000;       // nothing mapped on the local bus
inline constexpr std::uint64_t HOST_BASE = 0x120000000; // above 4 GiB: the upper address halves matter
inline constexpr std::uint64_t HOST_SIZE = 0x01000000;  // 16 MiB

// ---- DWC eDMA v0 facts used by the tests (facts 3.1), written independently of the model -----------------------
inline constexpr std::uint32_t done_bit(unsigned ch) { return 1u << ch; }
inline constexpr std::uint32_t abort_bit(unsigned ch) { return 1u << (16 + ch); }
inline constexpr std::uint32_t CS_MASK = 3u << 5;
inline constexpr std::uint32_t cs_of(std::uint32_t ch_control1) { return (ch_control1 & CS_MASK) >> 5; }
inline constexpr std::uint32_t CS_RUNNING = 1, CS_HALTED = 2, CS_STOPPED = 3;
inline constexpr std::uint32_t DATA_ELEMENT = 24, LINK_ELEMENT = 16;

/// Per-direction global registers.
struct dir_regs {
    std::uint32_t engine_en, doorbell, int_status, int_mask, int_clear, ll_err_en, done_imwr, abort_imwr, imwr_data;
};
inline dir_regs regs_of(edma_dir d) {
    if (d == edma_dir::write)
        return {edma_reg::WR_ENGINE_EN, edma_reg::WR_DOORBELL, edma_reg::WR_INT_STATUS, edma_reg::WR_INT_MASK,
                edma_reg::WR_INT_CLEAR,  edma_reg::WR_LL_ERR_EN, edma_reg::WR_DONE_IMWR, edma_reg::WR_ABORT_IMWR,
                edma_reg::WR_IMWR_DATA};
    return {edma_reg::RD_ENGINE_EN, edma_reg::RD_DOORBELL, edma_reg::RD_INT_STATUS, edma_reg::RD_INT_MASK,
            edma_reg::RD_INT_CLEAR,  edma_reg::RD_LL_ERR_EN, edma_reg::RD_DONE_IMWR, edma_reg::RD_ABORT_IMWR,
            edma_reg::RD_IMWR_DATA};
}
inline const char* dir_name(edma_dir d) { return d == edma_dir::write ? "write" : "read"; }

// ---- Pieces ---------------------------------------------------------------------------------------------------

/// Records every level change of one line with the time it takes effect.
struct irq_recorder : irq_sink {
    struct change {
        bool level;
        sc_core::sc_time at;
    };
    std::vector<change> seen;
    sc_core::sc_event changed;

    void irq_level(unsigned, bool level, const sc_core::sc_time& offset) override {
        seen.push_back({level, sc_core::sc_time_stamp() + offset});
        changed.notify(offset);
    }
    bool level_at(const sc_core::sc_time& t) const {
        bool l = false;
        for (const auto& c : seen)
            if (c.at <= t)
                l = c.level;
        return l;
    }
    bool level() const { return level_at(sc_core::sc_time_stamp()); }
    std::size_t rises() const {
        std::size_t n = 0;
        for (const auto& c : seen)
            n += c.level;
        return n;
    }
    /// Time of the first rising edge at or after `from` (a test failure when there is none).
    sc_core::sc_time rise_after(const sc_core::sc_time& from = sc_core::SC_ZERO_TIME) const {
        for (const auto& c : seen)
            if (c.level && c.at >= from)
                return c.at;
        ADD_FAILURE() << "the line never rose";
        return sc_core::SC_ZERO_TIME;
    }
};

/// The host side of the link: memory at HOST_BASE, every request recorded. A request of n bytes occupies its
/// direction of the link (writes: upstream, read completions: downstream) for per_tlp + n * per_byte, after
/// the previous request of that direction; it completes `latency` after that. Reads of a fault range are
/// answered with UR (TLM_ADDRESS_ERROR_RESPONSE) or CA (TLM_GENERIC_ERROR_RESPONSE).
struct host_target : sc_core::sc_module {
    struct tlp {
        sc_core::sc_time time;  // sc_time_stamp() + delay at the request
        sc_core::sc_time ahead; // that delay: how far the initiator ran ahead of the kernel
        std::uint64_t addr;
        unsigned len;
        bool write;
        bool has_attr;
        tlp_type type;
        bool posted;
        std::vector<std::uint8_t> data; // writes only
        std::uint64_t end() const { return addr + len; }
    };
    struct fault {
        std::uint64_t base, size;
        cpl_status status;
    };

    tlm_utils::simple_target_socket<host_target> socket;
    std::vector<std::uint8_t> mem;
    std::vector<tlp> seen;
    std::vector<fault> faults;
    sc_core::sc_time per_byte = sc_core::SC_ZERO_TIME;
    sc_core::sc_time per_tlp = sc_core::SC_ZERO_TIME;
    sc_core::sc_time latency = sc_core::SC_ZERO_TIME;
    std::uint64_t stray = 0; // requests outside the host memory

    explicit host_target(sc_core::sc_module_name n) : sc_module(n), socket("socket"), mem(HOST_SIZE, 0) {
        socket.register_b_transport(this, &host_target::b_transport);
    }

    /// Model a link of `bytes_per_second` in each direction.
    void set_bandwidth(double bytes_per_second) {
        per_byte = sc_core::sc_time(1.0 / bytes_per_second, sc_core::SC_SEC);
    }
    void fail_reads(std::uint64_t base, std::uint64_t size, cpl_status s) { faults.push_back({base, size, s}); }

    /// Requests touching [base, base + size), in arrival order.
    std::vector<tlp> in(std::uint64_t base, std::uint64_t size) const {
        std::vector<tlp> r;
        for (const auto& t : seen)
            if (t.addr < base + size && t.end() > base)
                r.push_back(t);
        return r;
    }
    std::uint32_t u32_of(const tlp& t) const {
        std::uint32_t v = 0;
        std::memcpy(&v, t.data.data(), std::min<std::size_t>(4, t.data.size()));
        return v;
    }

    void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
        pcie_attr* a = attr_of(p);
        EXPECT_NE(a, nullptr) << "a TLP from the eDMA carries no pcie_attr";
        const unsigned len = p.get_data_length();
        const std::uint64_t addr = p.get_address();
        const sc_core::sc_time t = sc_core::sc_time_stamp() + delay;
        tlp r{t, delay, addr, len, p.is_write(), a != nullptr, a ? a->type : tlp_type::none, a ? a->posted : false, {}};
        if (p.is_write())
            r.data.assign(p.get_data_ptr(), p.get_data_ptr() + len);
        seen.push_back(r);

        sc_core::sc_time& busy = p.is_write() ? tx_busy_ : rx_busy_;
        busy = std::max(t, busy) + per_tlp + per_byte * static_cast<double>(len);
        delay = busy + latency - sc_core::sc_time_stamp();

        if (a)
            a->status = cpl_status::sc;
        if (p.is_read()) {
            for (const auto& f : faults) {
                if (addr < f.base + f.size && addr + len > f.base) {
                    if (a)
                        a->status = f.status;
                    p.set_response_status(f.status == cpl_status::ur ? tlm::TLM_ADDRESS_ERROR_RESPONSE
                                                                     : tlm::TLM_GENERIC_ERROR_RESPONSE);
                    return;
                }
            }
        }
        if (addr < HOST_BASE || addr + len > HOST_BASE + HOST_SIZE) {
            ++stray;
            if (a)
                a->status = cpl_status::ur;
            p.set_response_status(p.is_write() ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
            return;
        }
        std::uint8_t* m = mem.data() + (addr - HOST_BASE);
        if (p.is_write())
            std::memcpy(m, p.get_data_ptr(), len);
        else
            std::memcpy(p.get_data_ptr(), m, len);
        p.set_response_status(tlm::TLM_OK_RESPONSE);
    }

private:
    sc_core::sc_time tx_busy_ = sc_core::SC_ZERO_TIME, rx_busy_ = sc_core::SC_ZERO_TIME;
};

struct reg_port : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<reg_port> socket;
    master m;
    explicit reg_port(sc_core::sc_module_name n) : sc_module(n), socket("socket"), m(socket) {}
};

struct edma_bench_params {
    dwc_edma::params edma;
    memory::params ram{LOCAL_SIZE, 1000000000, 10, 10};
    router::params lbus{1000000000, 2};
};

inline edma_bench_params bench_with(unsigned wr, unsigned rd, bool per_channel = false) {
    edma_bench_params p;
    p.edma.wr_channels = wr;
    p.edma.rd_channels = rd;
    p.edma.per_channel_irqs = per_channel;
    return p;
}

struct edma_bench : sc_core::sc_module {
    edma_bench_params prm;
    dwc_edma edma;
    router lbus;
    memory ram;
    host_target host;
    reg_port cpu;
    std::deque<irq_recorder> irq;
    std::function<void()> body;
    bool done = false;                                             // the body ran to its end
    tlm::tlm_response_status last = tlm::TLM_INCOMPLETE_RESPONSE; // response of the last register access
    sc_core::sc_time last_delay;                                   // delay annotated on it

    SC_HAS_PROCESS(edma_bench);
    explicit edma_bench(const edma_bench_params& p = edma_bench_params{}, sc_core::sc_module_name n = "bench")
        : sc_module(n), prm(p), edma("edma", p.edma), lbus("lbus", p.lbus), ram("ram", p.ram), host("host"),
          cpu("cpu") {
        cpu.socket.bind(edma.regs);
        edma.local.bind(lbus.in);
        lbus.out.bind(ram.socket);
        lbus.map(0, LOCAL_BASE, p.ram.size, "ram");
        edma.pcie.bind(host.socket);
        for (unsigned i = 0; i < edma.num_irqs(); ++i) {
            irq.emplace_back();
            edma.irq(i).bind(irq.back(), i);
        }
        SC_THREAD(thread);
    }

    /// Run `fn` in the bench thread; the simulation stops when it returns. A body that does not reach its end (a
    /// wait nothing ends: the simulation runs out of events) fails the test.
    void run(std::function<void()> fn) {
        body = std::move(fn);
        sc_core::sc_start();
        EXPECT_TRUE(done) << "the bench's body did not run to its end: the simulation ran out of events at "
                          << sc_core::sc_time_stamp();
    }
    void thread() {
        body();
        done = true;
        sc_core::sc_stop();
    }

    /// Text every warning of the eDMA contains (its object name).
    std::string who() const { return edma.name(); }

    // ---- Registers ----------------------------------------------------------------------------------------------
    std::uint64_t reg_read(std::uint32_t off, unsigned len) {
        std::uint64_t v = 0;
        last = cpu.m.read(off, &v, len);
        last_delay = cpu.m.last_delay();
        cpu.m.sync();
        return v;
    }
    void reg_write(std::uint32_t off, std::uint64_t v, unsigned len) {
        last = cpu.m.write(off, &v, len);
        last_delay = cpu.m.last_delay();
        cpu.m.sync();
    }
    std::uint32_t rd32(std::uint32_t off) { return static_cast<std::uint32_t>(reg_read(off, 4)); }
    void wr32(std::uint32_t off, std::uint32_t v) { reg_write(off, v, 4); }
    std::uint64_t rd64(std::uint32_t off) { return reg_read(off, 8); }
    void wr64(std::uint32_t off, std::uint64_t v) { reg_write(off, v, 8); }
    /// A 64-bit register as two 32-bit accesses, low half first (what a 32-bit driver does).
    std::uint64_t rd64_halves(std::uint32_t off) {
        const std::uint64_t lo = rd32(off);
        return lo | (std::uint64_t{rd32(off + 4)} << 32);
    }
    void wr64_halves(std::uint32_t off, std::uint64_t v) {
        wr32(off, static_cast<std::uint32_t>(v));
        wr32(off + 4, static_cast<std::uint32_t>(v >> 32));
    }
    static std::uint32_t ch(edma_dir d, unsigned n, std::uint32_t reg) { return edma_reg::channel(d, n) + reg; }
    std::uint32_t ch_rd32(edma_dir d, unsigned n, std::uint32_t reg) { return rd32(ch(d, n, reg)); }
    void ch_wr32(edma_dir d, unsigned n, std::uint32_t reg, std::uint32_t v) { wr32(ch(d, n, reg), v); }
    /// SAR / DAR / LLP (at 4-byte aligned offsets 0x0c / 0x14 / 0x1c) through 32-bit halves.
    std::uint64_t ch_rd64(edma_dir d, unsigned n, std::uint32_t reg) { return rd64_halves(ch(d, n, reg)); }
    void ch_wr64(edma_dir d, unsigned n, std::uint32_t reg, std::uint64_t v) { wr64_halves(ch(d, n, reg), v); }
    std::uint32_t cs(edma_dir d, unsigned n) { return cs_of(ch_rd32(d, n, edma_reg::CH_CONTROL1)); }
    std::uint32_t int_status(edma_dir d) { return rd32(regs_of(d).int_status); }

    /// Program a single block the way a driver does and ring the doorbell. Returns the time of the doorbell write.
    sc_core::sc_time start_single(edma_dir d, unsigned n, std::uint64_t sar, std::uint64_t dar, std::uint32_t size,
                                  std::uint32_t control1 = 0) {
        const dir_regs r = regs_of(d);
        wr32(r.engine_en, 1);
        ch_wr32(d, n, edma_reg::TRANSFER_SIZE, size);
        ch_wr64(d, n, edma_reg::SAR, sar);
        ch_wr64(d, n, edma_reg::DAR, dar);
        ch_wr32(d, n, edma_reg::CH_CONTROL1, control1);
        return doorbell(d, n);
    }
    /// Linux start sequence for a first chunk (facts 3.1): CCS | LLE, LLP, doorbell.
    sc_core::sc_time start_list(edma_dir d, unsigned n, std::uint64_t llp, bool ll_err_en = false) {
        const dir_regs r = regs_of(d);
        wr32(r.engine_en, 1);
        wr32(r.ll_err_en, ll_err_en ? 1u << n : 0);
        ch_wr32(d, n, edma_reg::CH_CONTROL1, dwc_edma::CCS | dwc_edma::LLE);
        ch_wr64(d, n, edma_reg::LLP, llp);
        return doorbell(d, n);
    }
    sc_core::sc_time doorbell(edma_dir d, unsigned n, std::uint32_t extra = 0) {
        const sc_core::sc_time t = sc_core::sc_time_stamp();
        wr32(regs_of(d).doorbell, n | extra);
        return t;
    }

    // ---- Time ---------------------------------------------------------------------------------------------------
    void idle(const sc_core::sc_time& t) {
        cpu.m.sync();
        sc_core::wait(t);
    }
    void idle_ns(double ns) { idle(sc_core::sc_time(ns, sc_core::SC_NS)); }
    /// Wait until line n has `level` (true), or `timeout` passed (false).
    bool wait_line(unsigned n, bool level = true,
                   const sc_core::sc_time& timeout = sc_core::sc_time(50, sc_core::SC_MS)) {
        cpu.m.sync();
        const sc_core::sc_time deadline = sc_core::sc_time_stamp() + timeout;
        const sc_core::sc_time step(1, sc_core::SC_US);
        while (irq.at(n).level() != level) {
            const sc_core::sc_time now = sc_core::sc_time_stamp();
            if (now >= deadline)
                return false;
            sc_core::wait(std::min(deadline - now, step), irq.at(n).changed);
        }
        return true;
    }
    /// Wait until `pred` holds, checking every `step`; false after `timeout`.
    bool wait_for(const std::function<bool()>& pred,
                  const sc_core::sc_time& timeout = sc_core::sc_time(50, sc_core::SC_MS),
                  const sc_core::sc_time& step = sc_core::sc_time(100, sc_core::SC_NS)) {
        cpu.m.sync();
        const sc_core::sc_time deadline = sc_core::sc_time_stamp() + timeout;
        while (!pred()) {
            if (sc_core::sc_time_stamp() >= deadline)
                return false;
            sc_core::wait(step);
        }
        return true;
    }
    /// Wait until the channel has ended (stopped or halted), seen through the model's status().
    bool wait_ended(edma_dir d, unsigned n, const sc_core::sc_time& timeout = sc_core::sc_time(50, sc_core::SC_MS)) {
        return wait_for(
            [&] {
                const auto s = edma.status(d, n);
                return s == dwc_edma::channel_status::stopped || s == dwc_edma::channel_status::halted;
            },
            timeout);
    }

    // ---- Memory (no time) ---------------------------------------------------------------------------------------
    /// Host-side view of `n` bytes at a local or host address.
    std::uint8_t* at(std::uint64_t addr, std::uint64_t n = 1) {
        if (addr >= LOCAL_BASE && addr + n <= LOCAL_BASE + prm.ram.size)
            return ram.data() + (addr - LOCAL_BASE);
        if (addr >= HOST_BASE && addr + n <= HOST_BASE + HOST_SIZE)
            return host.mem.data() + (addr - HOST_BASE);
        ADD_FAILURE() << "bench: no memory at 0x" << std::hex << addr;
        return nullptr;
    }
    /// A recognisable, non-periodic pattern.
    static std::uint8_t pattern(std::uint64_t i, unsigned seed) {
        std::uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull + seed * 0x632be59bd9b4e019ull;
        x ^= x >> 29;
        return static_cast<std::uint8_t>(x ^ (x >> 8));
    }
    void fill(std::uint64_t addr, std::uint64_t n, unsigned seed) {
        std::uint8_t* m = at(addr, n);
        for (std::uint64_t i = 0; m && i < n; ++i)
            m[i] = pattern(i, seed);
    }
    /// Number of bytes of [addr, addr + n) that differ from the pattern (0 when the copy is right).
    std::uint64_t mismatches(std::uint64_t addr, std::uint64_t n, unsigned seed) {
        const std::uint8_t* m = at(addr, n);
        if (!m)
            return n;
        std::uint64_t bad = 0;
        for (std::uint64_t i = 0; i < n; ++i)
            bad += m[i] != pattern(i, seed);
        return bad;
    }
    void put32(std::uint64_t addr, std::uint32_t v) { std::memcpy(at(addr, 4), &v, 4); }
    void put64(std::uint64_t addr, std::uint64_t v) { std::memcpy(at(addr, 8), &v, 8); }
    std::uint8_t byte(std::uint64_t addr) { return *at(addr); }

    /// dw_edma_v0_lli: {u32 control, u32 transfer_size, u64 sar, u64 dar}, little-endian.
    void data_element(std::uint64_t addr, std::uint32_t control, std::uint32_t size, std::uint64_t sar,
                      std::uint64_t dar) {
        put32(addr, control);
        put32(addr + 4, size);
        put64(addr + 8, sar);
        put64(addr + 16, dar);
    }
    /// dw_edma_v0_llp: {u32 control (LLP set), u32 reserved, u64 llp}.
    void link_element(std::uint64_t addr, std::uint32_t control, std::uint64_t next) {
        put32(addr, control | dwc_edma::LLP_BIT);
        put32(addr + 4, 0);
        put64(addr + 8, next);
    }

    // ---- Inspection ---------------------------------------------------------------------------------------------
    std::size_t aborts_with(dwc_edma::abort_cause c) const {
        std::size_t n = 0;
        for (const auto& a : edma.aborts())
            n += a.cause == c;
        return n;
    }
};

} // namespace dbvp::test
