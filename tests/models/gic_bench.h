// Bench for the GICv3 and ITS tests (test_gicv3.cpp, test_its.cpp).
//
//   cpu (native_cpu, runs the test body as firmware) --+
//   dev (device initiator: TRANSLATER writes with a   --+--> soc (router) --> ram      RAM_BASE (64 MiB)
//        pcie_attr carrying the DeviceID)              |                  --> gicd     GICD_BASE
//   gic.mem (LPI tables)                             --+                  --> gicr     GICR_BASE (RD + SGI frames)
//   its.mem (ITS tables, command queue)              --+                  --> its.regs ITS_BASE (+0x10040 TRANSLATER)
//   (gic.mem and its.mem optionally through gic_path / its_path, slow_reads: no DMI, reads that wait)
//   its.connect(gic); gic.irq --> nirq (records every level change with its time)
//   spi[n] (irq_out) --> gic SPI input n (INTID 32 + n)
//
// The test body runs in the CPU's thread through fw::hal, so the firmware drivers run on the real endpoint CPU
// model; the simulation stops when the body returns. Helpers that need exact times synchronise first (sync()).
// Table helpers write bench memory directly (no time); command helpers use a queue at QUEUE_BASE.
#pragma once

#include "dbvp/bus/router.h"
#include "dbvp/core/irq.h"
#include "dbvp/core/master.h"
#include "dbvp/fw/gicv3.h"
#include "dbvp/gic/gicv3.h"
#include "dbvp/gic/gicv3_its.h"
#include "dbvp/mem/memory.h"
#include "dbvp/platform/native_cpu.h"
#include "reports.h"

#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

namespace dbvp::test {

using gic::gicv3;
using gic::gicv3_its;
namespace g = fw::gic;

inline constexpr std::uint64_t GICD_BASE = 0x08000000;
inline constexpr std::uint64_t ITS_BASE = 0x08080000;
inline constexpr std::uint64_t GICR_BASE = 0x080a0000;
inline constexpr std::uint64_t SGI_BASE = GICR_BASE + 0x10000;
inline constexpr std::uint64_t TRANSLATER = ITS_BASE + 0x10040;
inline constexpr std::uint64_t RAM_BASE = 0x80000000;
inline constexpr std::uint64_t RAM_SIZE = 0x04000000;
inline constexpr std::uint64_t HOLE = 0x70000000; // nothing mapped here: accesses fail
// Fixed places for tables written by helpers.
inline constexpr std::uint64_t PROP_BASE = RAM_BASE + 0x00100000;   // LPI configuration table
inline constexpr std::uint64_t PEND_BASE = RAM_BASE + 0x00120000;   // LPI pending table (64 KiB aligned)
inline constexpr std::uint64_t QUEUE_BASE = RAM_BASE + 0x00200000;  // ITS command queue, 64 KiB
inline constexpr std::uint64_t DEVTAB_BASE = RAM_BASE + 0x00300000; // ITS device table
inline constexpr std::uint64_t COLLTAB_BASE = RAM_BASE + 0x00400000; // ITS collection table
inline constexpr std::uint64_t ITT_BASE = RAM_BASE + 0x00500000;    // ITTs
inline constexpr std::uint64_t POOL_BASE = RAM_BASE + 0x01000000;   // firmware dma_pool
inline constexpr std::uint64_t POOL_SIZE = 0x03000000;

/// Records every change of nIRQ with the time it takes effect.
struct irq_recorder : irq_sink {
    struct change {
        bool level;
        sc_core::sc_time at;
    };
    std::vector<change> seen;
    void irq_level(unsigned, bool level, const sc_core::sc_time& offset) override {
        seen.push_back({level, sc_core::sc_time_stamp() + offset});
    }
    /// Time of the last rising edge (a test failure when there is none).
    sc_core::sc_time last_rise() const {
        for (auto it = seen.rbegin(); it != seen.rend(); ++it)
            if (it->level)
                return it->at;
        ADD_FAILURE() << "nIRQ never rose";
        return sc_core::SC_ZERO_TIME;
    }
    std::size_t rises() const {
        std::size_t n = 0;
        for (const auto& c : seen)
            n += c.level;
        return n;
    }
};

/// A PCIe device behind the SoC glue: its writes carry a DeviceID.
struct device_port : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<device_port> socket;
    master m;
    explicit device_port(sc_core::sc_module_name n) : sc_module(n), socket("socket"), m(socket) {}
    /// A posted GITS_TRANSLATER write of `event` (len bytes) carrying DeviceID `device_id` (or none).
    tlm::tlm_response_status translate(std::uint32_t device_id, std::uint32_t event, bool has_device_id = true,
                                       unsigned len = 4) {
        pcie_attr a;
        a.type = tlp_type::mem_wr;
        a.posted = true;
        a.has_device_id = has_device_id;
        a.device_id = device_id;
        std::uint64_t v = event;
        return m.write(TRANSLATER, &v, len, &a);
    }
};

/// An interconnect path without DMI whose reads wait: each read takes the data at once and then returns after
/// `read_wait` (and the caller's delay), its initiator blocked meanwhile. Writes go straight through.
struct slow_reads : sc_core::sc_module {
    tlm_utils::simple_target_socket<slow_reads> in;
    tlm_utils::simple_initiator_socket<slow_reads> out;
    sc_core::sc_time read_wait;
    slow_reads(sc_core::sc_module_name n, const sc_core::sc_time& wait_for)
        : sc_module(n), in("in"), out("out"), read_wait(wait_for) {
        in.register_b_transport(this, &slow_reads::b_transport);
        in.register_transport_dbg(this, &slow_reads::transport_dbg);
    }
    void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
        out->b_transport(p, delay);
        if (p.is_read()) {
            sc_core::wait(delay + read_wait);
            delay = sc_core::SC_ZERO_TIME;
        }
    }
    unsigned transport_dbg(tlm::tlm_generic_payload& p) { return out->transport_dbg(p); }
};

inline gicv3::params default_gic_params() { return gicv3::params{}; }
inline gicv3_its::params default_its_params() { return gicv3_its::params{}; }

struct gic_bench {
    gicv3::params gp;
    gicv3_its::params ip;
    router soc;
    memory ram;
    gicv3 gic;
    gicv3_its its;
    platform::native_cpu cpu;
    device_port dev;
    irq_recorder nirq;
    std::deque<irq_out> spi;
    std::unique_ptr<slow_reads> its_path, gic_path; // between its.mem / gic.mem and soc when their reads wait
    tlm::tlm_response_status last = tlm::TLM_INCOMPLETE_RESPONSE; // response of the last device write
    std::uint64_t cwriter = 0;                                    // helper command queue write offset
    std::uint64_t queue_bytes = g::ITS_QUEUE_BYTES;               // helper command queue size

    /// its_read_wait / gic_read_wait: when not zero, the ITS / the GIC reaches memory through slow_reads (no DMI,
    /// each read waits so long).
    explicit gic_bench(const gicv3::params& gpar = default_gic_params(),
                       const gicv3_its::params& ipar = default_its_params(),
                       const sc_core::sc_time& its_read_wait = sc_core::SC_ZERO_TIME,
                       const sc_core::sc_time& gic_read_wait = sc_core::SC_ZERO_TIME)
        : gp(gpar), ip(ipar), soc("soc", router::params{1000000000, 2}),
          ram("ram", memory::params{RAM_SIZE, 1000000000, 10, 10}), gic("gic", gpar), its("its", ipar),
          cpu("cpu", platform::native_cpu::params{}, nullptr), dev("dev") {
        cpu.bus.bind(soc.in);
        dev.socket.bind(soc.in);
        bind_memory(gic.mem, gic_path, "gic_path", gic_read_wait);
        bind_memory(its.mem, its_path, "its_path", its_read_wait);
        soc.out.bind(ram.socket);
        soc.out.bind(gic.gicd);
        soc.out.bind(gic.gicr);
        soc.out.bind(its.regs);
        soc.map(0, RAM_BASE, RAM_SIZE, "ram");
        soc.map(1, GICD_BASE, 0x10000, "gicd");
        soc.map(2, GICR_BASE, 0x20000, "gicr");
        soc.map(3, ITS_BASE, 0x20000, "its");
        its.connect(gic);
        gic.irq.bind(nirq, 0);
        for (unsigned i = 0; i < 8; ++i) {
            spi.emplace_back("spi" + std::to_string(i));
            spi.back().bind(gic, i);
        }
    }

    /// Run `body` as the CPU's firmware; the simulation stops when it returns.
    template <class Socket>
    void bind_memory(Socket& s, std::unique_ptr<slow_reads>& path, const char* name, const sc_core::sc_time& wait) {
        if (wait == sc_core::SC_ZERO_TIME) {
            s.bind(soc.in);
            return;
        }
        path = std::make_unique<slow_reads>(name, wait);
        s.bind(path->in);
        path->out.bind(soc.in);
    }

    /// Run body as the CPU's firmware; a body that does not reach its end (a wait nothing ends: the simulation
    /// runs out of events) fails the test.
    void run(std::function<void(fw::hal&)> body) {
        bool done = false;
        cpu.set_firmware([body, &done](fw::hal& h) {
            body(h);
            done = true;
            sc_core::sc_stop();
        });
        sc_core::sc_start();
        EXPECT_TRUE(done) << "the bench's body did not run to its end: the simulation ran out of events at "
                          << sc_core::sc_time_stamp();
    }

    // ---- CPU side ---------------------------------------------------------------------------------------------
    fw::hal& hal() { return cpu; }
    void sync() { cpu.sleep_ns(0); }
    /// Let `t` pass (e.g. the offset a set_lpi_pending() call returned: the LPI is pending from then on).
    void elapse(const sc_core::sc_time& t) {
        sync();
        sc_core::wait(t);
    }
    sc_core::sc_time now() {
        sync();
        return sc_core::sc_time_stamp();
    }
    void idle_ns(std::uint64_t ns) { cpu.sleep_ns(ns); }
    std::uint32_t rd32(std::uint64_t a, bool* ok = nullptr) { return cpu.read32(a, ok); }
    void wr32(std::uint64_t a, std::uint32_t v, bool* ok = nullptr) { cpu.write32(a, v, ok); }
    std::uint64_t rd64(std::uint64_t a, bool* ok = nullptr) { return cpu.read64(a, ok); }
    void wr64(std::uint64_t a, std::uint64_t v, bool* ok = nullptr) { cpu.write64(a, v, ok); }
    /// ICC_IAR1 / ICC_EOIR1 at the CPU's (synchronised) time.
    unsigned ack() {
        sync();
        return gic.acknowledge();
    }
    void eoi(unsigned intid) {
        sync();
        gic.end_of_interrupt(intid);
    }
    /// Acknowledge and end every deliverable interrupt; their INTIDs in the order taken.
    std::vector<unsigned> drain() {
        std::vector<unsigned> got;
        for (unsigned id = ack(); id != gicv3::spurious; id = ack()) {
            got.push_back(id);
            eoi(id);
        }
        return got;
    }

    // ---- Device side -------------------------------------------------------------------------------------------
    /// A device write of `event` to GITS_TRANSLATER. sync_after: the device waits for the write's delay.
    void translate(std::uint32_t device_id, std::uint32_t event, bool has_device_id = true, unsigned len = 4,
                   bool sync_after = true) {
        last = dev.translate(device_id, event, has_device_id, len);
        if (sync_after)
            dev.m.sync();
    }

    // ---- Memory (no time) --------------------------------------------------------------------------------------
    std::uint8_t* at(std::uint64_t pa) { return ram.data() + (pa - RAM_BASE); }
    std::uint64_t mem64(std::uint64_t pa) {
        std::uint64_t v = 0;
        std::memcpy(&v, at(pa), 8);
        return v;
    }
    void set_mem64(std::uint64_t pa, std::uint64_t v) { std::memcpy(at(pa), &v, 8); }
    std::uint8_t mem8(std::uint64_t pa) { return *at(pa); }
    void set_mem8(std::uint64_t pa, std::uint8_t v) { *at(pa) = v; }

    // ---- GIC set-up through registers (the sequence the driver would use) --------------------------------------
    /// Distributor on (ARE + Group 1), redistributor awake.
    void gic_on() {
        wr32(GICD_BASE + g::GICD_CTLR, g::GICD_CTLR_ARE | g::GICD_CTLR_ENABLE_G1);
        wr32(GICR_BASE + g::GICR_WAKER, 0);
    }
    /// LPI configuration byte in the helper table.
    void lpi_cfg(unsigned intid, bool enable, unsigned prio) {
        set_mem8(PROP_BASE + (intid - g::FIRST_LPI), static_cast<std::uint8_t>(prio | 2 | (enable ? 1 : 0)));
    }
    bool pend_bit(unsigned intid) { return (mem8(PEND_BASE + intid / 8) >> (intid % 8)) & 1; }
    /// Helper LPI tables (all LPIs enabled at priority `prio` unless told otherwise), PTZ, EnableLPIs.
    void lpis_on(unsigned bits = 16, bool enable_all = true, unsigned prio = 0xa0) {
        for (unsigned id = g::FIRST_LPI; id < (1u << bits); ++id)
            lpi_cfg(id, enable_all, prio);
        wr64(GICR_BASE + g::GICR_PROPBASER, PROP_BASE | (bits - 1));
        wr64(GICR_BASE + g::GICR_PENDBASER, PEND_BASE | g::GICR_PENDBASER_PTZ);
        wr32(GICR_BASE + g::GICR_CTLR, g::GICR_CTLR_ENABLE_LPIS);
    }

    // ---- ITS set-up through registers and helper tables --------------------------------------------------------
    static std::uint64_t page_field(std::uint64_t page) { return page == 0x1000 ? 0 : page == 0x4000 ? 1 : 2; }
    /// GITS_BASER value for a table at `pa` of `pages` pages.
    static std::uint64_t baser(std::uint64_t type, std::uint64_t pa, std::uint64_t page, std::uint64_t pages,
                               bool indirect = false) {
        std::uint64_t pa_field = pa & 0x0000fffffffff000ull;
        if (page == 0x10000)
            pa_field = (pa & 0x0000ffffffff0000ull) | (((pa >> 48) & 0xf) << 12);
        return g::GITS_BASER_VALID | (indirect ? g::GITS_BASER_INDIRECT : 0) | (type << 56) | (7ull << 48) |
               pa_field | (page_field(page) << 8) | (pages - 1);
    }
    /// Command queue (64 KiB at QUEUE_BASE), flat device and collection tables, ITS enabled.
    void its_on(std::uint64_t page = 0x1000, std::uint64_t dev_pages = 16, bool indirect = false) {
        wr64(ITS_BASE + g::GITS_CBASER, g::GITS_CBASER_VALID | QUEUE_BASE | 15);
        wr64(ITS_BASE + g::GITS_CWRITER, 0);
        cwriter = 0;
        wr64(ITS_BASE + g::GITS_BASER, baser(1, DEVTAB_BASE, page, dev_pages, indirect));
        wr64(ITS_BASE + g::GITS_BASER + 8, baser(4, COLLTAB_BASE, page, 1));
        wr32(ITS_BASE + g::GITS_CTLR, g::GITS_CTLR_ENABLE);
    }
    void its_off() { wr32(ITS_BASE + g::GITS_CTLR, 0); }
    /// Table entries in the formats of gicv3_its.h.
    void set_dte(std::uint64_t pa, unsigned size_minus_1, std::uint64_t itt, bool valid = true) {
        set_mem64(pa, valid ? (1ull | (std::uint64_t{size_minus_1} << 1) | itt) : 0);
    }
    void set_ite(std::uint64_t itt, std::uint32_t event, unsigned intid, unsigned icid, bool valid = true) {
        set_mem64(itt + std::uint64_t{event} * ip.itt_entry_size,
                  valid ? (3ull | (std::uint64_t{intid} << 2) | (std::uint64_t{icid} << 32)) : 0);
    }
    void set_cte(unsigned icid, unsigned processor, bool valid = true) {
        set_mem64(COLLTAB_BASE + 8ull * icid, valid ? (1ull | (std::uint64_t{processor} << 16)) : 0);
    }
    /// Queue one command and wait until the ITS has consumed it (or stalled); true when consumed.
    bool cmd(const g::its_command& c, std::uint64_t timeout_ns = 100000) {
        post(c);
        return wait_queue(timeout_ns);
    }
    /// Queue command c and write GITS_CWRITER, without waiting for it (wait_queue() does).
    void post(const g::its_command& c) {
        for (unsigned i = 0; i < 4; ++i)
            set_mem64(QUEUE_BASE + cwriter + 8 * i, c[i]);
        cwriter = (cwriter + 32) % queue_bytes;
        wr64(ITS_BASE + g::GITS_CWRITER, cwriter);
    }
    bool wait_queue(std::uint64_t timeout_ns = 100000) {
        for (std::uint64_t waited = 0; waited <= timeout_ns; waited += 50) {
            const std::uint64_t r = rd64(ITS_BASE + g::GITS_CREADR);
            if (r & g::GITS_CREADR_STALLED)
                return false;
            if (r == cwriter)
                return true;
            idle_ns(50);
        }
        ADD_FAILURE() << "ITS command queue did not drain";
        return false;
    }
    /// Typical mapping by helpers: device `dev` with 2^(size+1) events and ITT at `itt`, collection 0 ->
    /// processor 0, (dev, event) -> intid.
    void map_by_tables(std::uint32_t device_id, std::uint32_t event, unsigned intid, std::uint64_t itt = ITT_BASE,
                       unsigned size_minus_1 = 4) {
        set_dte(DEVTAB_BASE + 8ull * device_id, size_minus_1, itt);
        set_ite(itt, event, intid, 0);
        set_cte(0, 0);
    }

    // ---- Inspection --------------------------------------------------------------------------------------------
    std::size_t drops(gicv3_its::drop_reason r) const {
        std::size_t n = 0;
        for (const auto& d : its.drops())
            n += d.reason == r;
        return n;
    }
};

} // namespace dbvp::test
