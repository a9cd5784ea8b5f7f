// fuzz_its — the GICv3 ITS (models/src/gic/gicv3_its.cpp) with a GICv3 redistributor and RAM: its registers, the
// command queue and every command, device / ITT / collection tables (flat and two-level, every page size), and
// GITS_TRANSLATER writes, all from the input (layout: fuzz_format.h, its_fmt).
//
// The bench is elaborated once (first input); every input then starts from the same state by reprogramming:
// GITS_CTLR = 0 and wait for Quiescent, RAM cleared (the GIC's LPI configuration table restored, GICR_INVALLR),
// every deliverable interrupt acknowledged, GITS_CBASER (which resets GITS_CREADR and Stalled), GITS_CWRITER and
// both GITS_BASERs written (which flushes the translation cache), drops() and command_errors() emptied. A driver
// SC_THREAD runs the input; the kernel runs until the driver pauses it (sc_pause) or 1 s of simulated time has
// passed, which would mean the driver is blocked inside the model: a hang.
//
// Oracle (besides crashes, UB, leaks, SystemC errors and exceptions):
//   * GITS_CREADR only ever holds a 32-byte aligned offset inside the queue, plus Stalled;
//   * liveness: while the ITS is enabled with a valid queue, not stalled and CREADR != CWRITER, commands complete
//     (no 1 ms of simulated time without one);
//   * after GITS_CTLR = 0 the ITS becomes Quiescent within 2 ms;
//   * accounting (docs/models/gicv3_its.md): once quiescent, every access that reached GITS_TRANSLATER (counted by
//     a tap in front of the ITS, whoever made it) was either dropped at arrival (disabled, no_device_id, fifo_full,
//     bad_access) or taken by the translation engine (stats().translations).
#include "fuzz_common.h"
#include "fuzz_format.h"

#include "dbvp/bus/router.h"
#include "dbvp/core/master.h"
#include "dbvp/core/sideband.h"
#include "dbvp/gic/gicv3.h"
#include "dbvp/gic/gicv3_its.h"
#include "dbvp/mem/memory.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

DBVP_FUZZ_SC_MAIN

namespace {

using namespace dbvp;
using namespace dbvp::fuzz::its_fmt;
using dbvp::fuzz::fail;
using dbvp::fuzz::reader;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

// Register offsets (Arm GICv3; docs/models/gicv3.md, gicv3_its.md).
constexpr std::uint64_t GITS_CTLR = 0x0, GITS_CBASER = 0x80, GITS_CWRITER = 0x88, GITS_CREADR = 0x90,
                        GITS_BASER0 = 0x100, GITS_BASER1 = 0x108;
constexpr std::uint32_t CTLR_ENABLED = 1, CTLR_QUIESCENT = 1u << 31;
constexpr std::uint64_t CBASER_VALID = 1ull << 63, BASER_VALID = 1ull << 63, BASER_INDIRECT = 1ull << 62,
                        L1_VALID = 1ull << 63;
constexpr std::uint64_t GICD_CTLR = 0x0, GICR_CTLR = 0x0, GICR_WAKER = 0x14, GICR_PROPBASER = 0x70,
                        GICR_PENDBASER = 0x78, GICR_INVLPIR = 0xa0, GICR_INVALLR = 0xb0;
constexpr std::uint32_t GICD_ARE_G1 = (1u << 4) | (1u << 1);
constexpr std::uint64_t PTZ = 1ull << 62;
constexpr unsigned ITT_ENTRY = 8, SPURIOUS = 1023;

/// Between the router and the ITS registers: counts every access to GITS_TRANSLATER (0x10040..0x10043).
struct translater_tap : sc_core::sc_module {
    tlm_utils::simple_target_socket<translater_tap> in;
    tlm_utils::simple_initiator_socket<translater_tap> out;
    std::uint64_t accesses = 0;
    explicit translater_tap(sc_core::sc_module_name n) : sc_module(n), in("in"), out("out") {
        in.register_b_transport(this, &translater_tap::b_transport);
        in.register_transport_dbg(this, &translater_tap::transport_dbg);
    }
    void b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
        const std::uint64_t a = p.get_address() - 0x10040;
        if (a < 4 && p.get_command() != tlm::TLM_IGNORE_COMMAND)
            ++accesses;
        out->b_transport(p, delay);
    }
    unsigned transport_dbg(tlm::tlm_generic_payload& p) { return out->transport_dbg(p); }
};

std::uint64_t decode_addr(std::uint32_t v) {
    if (!(v >> 31))
        return RAM_BASE + (v % RAM_SIZE);
    const std::uint32_t off = v & 0x1fffffff;
    switch ((v >> 29) & 3) {
    case 0: return HOLE + off;
    case 1: return ITS_BASE + (off & 0x1ffff);
    case 2: return GICR_BASE + (off & 0x1ffff);
    default: return 0xfffffffffffff000ull + (off & 0xfff);
    }
}

std::uint64_t page_bytes(unsigned field) { return field == 0 ? 0x1000 : field == 1 ? 0x4000 : 0x10000; }

struct driver;

struct bench {
    router soc;
    memory ram;
    gic::gicv3 gic;
    gic::gicv3_its its;
    translater_tap tap;
    std::unique_ptr<driver> drv;
    bench();
};

gic::gicv3::params gic_params() {
    gic::gicv3::params p;
    p.lpi_id_bits = LPI_BITS;
    p.lpi_cache_entries = 8; // small: evictions
    return p;
}
gic::gicv3_its::params its_params() {
    gic::gicv3_its::params p;
    p.cache_entries = 8; // small: evictions
    p.fifo_depth = 8;    // small: writers held at a full FIFO
    p.itt_entry_size = ITT_ENTRY;
    return p;
}

struct driver : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<driver> socket;
    master m;
    bench& b;
    sc_core::sc_event go;
    bool busy = false, done = false, gic_ready = false;
    const std::uint8_t* data = nullptr;
    std::size_t size = 0;

    // The input's table geometry and the driver's command queue write offset.
    std::uint64_t queue_pa = 0, queue_bytes = 0x1000, cw = 0;
    struct table {
        std::uint64_t pa = 0, page = 0x1000, bytes = 0x1000;
        bool indirect = false;
    } dev, coll;
    std::uint64_t l2_next = L2;

    SC_HAS_PROCESS(driver);
    driver(sc_core::sc_module_name n, bench& bb) : sc_module(n), socket("socket"), m(socket), b(bb) {
        SC_THREAD(run);
    }

    void run() { dbvp::fuzz::driver_loop(*this); }

    // ---- Accesses -------------------------------------------------------------------------------------------
    std::uint64_t rd(std::uint64_t addr, unsigned len = 8) {
        std::uint64_t v = 0;
        m.read(addr, &v, len);
        return v;
    }
    void wr(std::uint64_t addr, std::uint64_t v, unsigned len = 8) { m.write(addr, &v, len); }
    void idle_ns(std::uint64_t ns) { m.wait_until(m.now() + sc_time(static_cast<double>(ns), SC_NS)); }
    std::uint8_t* ram(std::uint64_t pa, std::uint64_t n) {
        return dbvp::fuzz::window(b.ram.data(), RAM_BASE, RAM_SIZE, pa, n);
    }
    void put64(std::uint64_t pa, std::uint64_t v) { dbvp::fuzz::store64(ram(pa, 8), v); }
    std::uint64_t get64(std::uint64_t pa) { return dbvp::fuzz::load64(ram(pa, 8)); }

    void check_creadr(std::uint64_t r) {
        const std::uint64_t qbytes = ((rd(ITS_BASE + GITS_CBASER) & 0xff) + 1) * 0x1000;
        const std::uint64_t off = r & ~1ull;
        if ((off & 0x1f) || off >= qbytes || (off >> 20))
            fail("GITS_CREADR 0x%llx: offset not 32-byte aligned inside the %llu-byte queue",
                 static_cast<unsigned long long>(r), static_cast<unsigned long long>(qbytes));
    }

    // ---- Per-input reset -------------------------------------------------------------------------------------
    void quiesce() {
        wr(ITS_BASE + GITS_CTLR, 0, 4);
        for (unsigned i = 0; i <= 10000; ++i) {
            if (rd(ITS_BASE + GITS_CTLR, 4) & CTLR_QUIESCENT)
                return;
            idle_ns(200);
        }
        fail("the ITS is not quiescent 2 ms after GITS_CTLR.Enabled was cleared");
    }
    void drain() {
        for (unsigned i = 0; i < 4096; ++i) {
            m.sync();
            const unsigned id = b.gic.acknowledge();
            if (id == SPURIOUS)
                return;
            b.gic.end_of_interrupt(id);
        }
    }
    void restore_lpi_config() {
        std::memset(b.ram.data() + (PROP - RAM_BASE), 0xa3, (1u << LPI_BITS) - 8192); // enabled, priority 0xa0
    }
    void gic_init() {
        restore_lpi_config();
        wr(GICD_BASE + GICD_CTLR, GICD_ARE_G1, 4);
        wr(GICR_BASE + GICR_WAKER, 0, 4);
        wr(GICR_BASE + GICR_PROPBASER, PROP | (LPI_BITS - 1));
        wr(GICR_BASE + GICR_PENDBASER, PEND | PTZ);
        wr(GICR_BASE + GICR_CTLR, 1, 4);
        gic_ready = true;
    }
    void reset() {
        if (!gic_ready)
            gic_init();
        quiesce();
        std::memset(b.ram.data(), 0, RAM_SIZE);
        restore_lpi_config();
        wr(GICR_BASE + GICR_INVALLR, 0);
        idle_ns(1000);
        drain();
        // The records of earlier inputs (the model only appends to them; emptied so memory stays bounded and the
        // checks below count this input's records).
        const_cast<std::deque<gic::gicv3_its::drop>&>(b.its.drops()).clear();
        const_cast<std::deque<gic::gicv3_its::command_error>&>(b.its.command_errors()).clear();
        b.tap.accesses = 0;
        l2_next = L2;
    }

    table program_table(std::uint64_t type, std::uint8_t page_field, std::uint8_t pages_m1, std::uint32_t a,
                        bool indirect, bool invalid, std::uint64_t reg) {
        table t;
        t.page = page_bytes(page_field & 3);
        t.indirect = indirect;
        t.pa = decode_addr(a) & ~(t.page - 1) & ((1ull << 52) - 1);
        t.bytes = (std::uint64_t{pages_m1} + 1) * t.page;
        std::uint64_t pa_field = t.pa & 0x0000fffffffff000ull;
        if (t.page == 0x10000)
            pa_field = (t.pa & 0x0000ffffffff0000ull) | (((t.pa >> 48) & 0xf) << 12);
        const std::uint64_t v = (invalid ? 0 : BASER_VALID) | (indirect ? BASER_INDIRECT : 0) | (type << 56) |
                                (7ull << 48) | pa_field | (std::uint64_t{page_field & 3u} << 8) | pages_m1;
        wr(ITS_BASE + reg, v);
        return t;
    }

    // ---- Table entries where the header put the tables --------------------------------------------------------
    std::uint64_t entry_addr(table& t, std::uint64_t id) {
        if (!t.indirect)
            return t.pa + (id % (t.bytes / 8)) * 8;
        const std::uint64_t per_page = t.page / 8;
        const std::uint64_t l1 = t.pa + ((id / per_page) % (t.bytes / 8)) * 8;
        std::uint64_t e = get64(l1);
        if (!(e & L1_VALID)) {
            l2_next = (l2_next + t.page - 1) & ~(t.page - 1);
            if (l2_next + t.page > RAM_BASE + RAM_SIZE)
                l2_next = L2;
            e = L1_VALID | l2_next;
            l2_next += t.page;
            put64(l1, e);
        }
        return (e & 0x000ffffffffff000ull & ~(t.page - 1)) + (id % per_page) * 8;
    }

    // ---- The input ------------------------------------------------------------------------------------------
    void append(const std::uint64_t (&dw)[4]) {
        for (unsigned i = 0; i < 4; ++i)
            put64(queue_pa + cw + 8 * i, dw[i]);
        cw = (cw + 32) % queue_bytes;
    }
    /// GITS_CWRITER = the driver's CWRITER, then wait until the ITS consumed it, stalled, cannot run (disabled,
    /// invalid queue) or stopped making progress (2 us without a completed command; the liveness check at the end
    /// of the input is the strict one).
    void kick() {
        wr(ITS_BASE + GITS_CWRITER, cw);
        std::uint64_t last = b.its.stats().commands;
        for (unsigned i = 0, still = 0; i < 2000 && still < 10; ++i) {
            const std::uint64_t r = rd(ITS_BASE + GITS_CREADR);
            check_creadr(r);
            if ((r & 1) || r == cw || !(rd(ITS_BASE + GITS_CTLR, 4) & CTLR_ENABLED) ||
                !(rd(ITS_BASE + GITS_CBASER) & CBASER_VALID))
                return;
            idle_ns(200);
            still = b.its.stats().commands == last ? still + 1 : 0;
            last = b.its.stats().commands;
        }
    }
    /// While there is work the ITS must do (enabled, valid queue, not stalled, CREADR != CWRITER), commands must
    /// keep completing.
    void check_liveness() {
        std::uint64_t last = b.its.stats().commands;
        unsigned still = 0;
        for (unsigned i = 0; i < 5000; ++i) { // 5 ms at most (a queue the commands keep refilling runs on)
            const std::uint64_t r = rd(ITS_BASE + GITS_CREADR);
            check_creadr(r);
            const bool work = (rd(ITS_BASE + GITS_CTLR, 4) & CTLR_ENABLED) &&
                              (rd(ITS_BASE + GITS_CBASER) & CBASER_VALID) && !(r & 1) &&
                              r != (rd(ITS_BASE + GITS_CWRITER) & 0xfffe0);
            if (!work)
                return;
            if (b.its.stats().commands != last) {
                last = b.its.stats().commands;
                still = 0;
            } else if (++still > 1000) {
                fail("the ITS command queue makes no progress for 1 ms (CREADR 0x%llx, CWRITER 0x%llx)",
                     static_cast<unsigned long long>(r),
                     static_cast<unsigned long long>(rd(ITS_BASE + GITS_CWRITER)));
            }
            idle_ns(1000);
        }
    }

    void job() {
        reader in(data, size);
        reset();
        const std::uint64_t translations0 = b.its.stats().translations;

        // Header: the tables and the queue.
        const std::uint8_t flags = in.u8();
        const std::uint8_t dev_page = in.u8(), dev_m1 = in.u8(), coll_page = in.u8(), coll_m1 = in.u8();
        const std::uint8_t queue_m1 = in.u8() & 0xf;
        const std::uint32_t dev_a = in.u32(), coll_a = in.u32(), queue_a = in.u32();
        queue_pa = decode_addr(queue_a) & 0x000ffffffffff000ull;
        queue_bytes = (std::uint64_t{queue_m1} + 1) * 0x1000;
        cw = 0;
        wr(ITS_BASE + GITS_CBASER, ((flags & CBASER_INVALID) ? 0 : CBASER_VALID) | queue_pa | queue_m1);
        wr(ITS_BASE + GITS_CWRITER, 0);
        dev = program_table(1, dev_page, dev_m1, dev_a, flags & DEV_INDIRECT, flags & DEV_INVALID, GITS_BASER0);
        coll = program_table(4, coll_page, coll_m1, coll_a, flags & COLL_INDIRECT, flags & COLL_INVALID, GITS_BASER1);
        if (!(flags & START_DISABLED))
            wr(ITS_BASE + GITS_CTLR, CTLR_ENABLED, 4);

        while (!in.done()) {
            switch (in.u8() % dbvp::fuzz::its_fmt::count) {
            case CMD: {
                const std::uint8_t sel = in.u8() % 13;
                const std::uint8_t op = sel < 12 ? OPCODES[sel] : in.u8();
                const std::uint32_t devid = in.u32(), ev = in.u32(), pintid = in.u32();
                const std::uint8_t sz = in.u8();
                const std::uint64_t itt = decode_addr(in.u32());
                const std::uint16_t icid = in.u16(), rdbase = in.u16();
                const bool valid = in.flag();
                std::uint64_t dw[4] = {op | (std::uint64_t{devid} << 32), ev | (std::uint64_t{pintid} << 32), 0, 0};
                switch (op) {
                case MAPD:
                    dw[1] = sz & 0x1f;
                    dw[2] = (itt & 0x000fffffffffff00ull) | (valid ? 1ull << 63 : 0);
                    break;
                case MAPC: dw[2] = icid | (std::uint64_t{rdbase} << 16) | (valid ? 1ull << 63 : 0); break;
                case SYNC: dw[2] = std::uint64_t{rdbase} << 16; break;
                case MOVALL:
                    dw[2] = std::uint64_t{rdbase} << 16;
                    dw[3] = std::uint64_t{icid} << 16;
                    break;
                default: dw[2] = icid; break;
                }
                append(dw);
                break;
            }
            case RAWCMD: {
                std::uint64_t dw[4];
                for (auto& w : dw)
                    w = in.u64();
                append(dw);
                break;
            }
            case KICK: kick(); break;
            case TRANSLATE: {
                const std::uint32_t devid = in.u32(), ev = in.u32();
                const std::uint8_t tf = in.u8();
                static const unsigned lens[4] = {4, 2, 1, 8};
                pcie_attr a;
                a.type = (tf & TR_READ) ? tlp_type::mem_rd : tlp_type::mem_wr;
                a.posted = !(tf & TR_READ);
                a.has_device_id = !(tf & TR_NO_DEVICE_ID);
                a.device_id = devid;
                std::uint64_t v = ev;
                const std::uint64_t addr = TRANSLATER + ((tf & TR_UNALIGNED) ? 1 : 0);
                const unsigned len = lens[(tf & TR_LEN_MASK) >> 1];
                if (tf & TR_READ)
                    m.read(addr, &v, len, &a);
                else
                    m.write(addr, &v, len, &a);
                if (!(tf & TR_NO_SYNC))
                    m.sync();
                break;
            }
            case BURST: {
                const unsigned n = in.u8() % 48 + 1;
                const std::uint32_t devid = in.u32(), ev = in.u32();
                pcie_attr a;
                a.type = tlp_type::mem_wr;
                a.posted = true;
                a.has_device_id = true;
                a.device_id = devid;
                for (unsigned i = 0; i < n; ++i) {
                    std::uint32_t v = ev + i;
                    m.write(TRANSLATER, &v, 4, &a);
                }
                break;
            }
            case MEM64: {
                const std::uint64_t pa = decode_addr(in.u32());
                put64(pa, in.u64());
                break;
            }
            case ENTRY: {
                const std::uint8_t kind = in.u8() % 5;
                const std::uint32_t id = in.u32(), ev = in.u32();
                const std::uint8_t sz = in.u8();
                const std::uint64_t ptr = decode_addr(in.u32());
                const std::uint32_t intid = in.u32();
                const std::uint16_t icid = in.u16();
                const std::uint8_t valid = in.u8();
                switch (kind) {
                case 0: // device table entry: [0] Valid, [5:1] Size, [51:8] ITT
                    put64(entry_addr(dev, id), (valid & 1) ? (1ull | (std::uint64_t{sz & 0x1fu} << 1) |
                                                              (ptr & 0x000fffffffffff00ull))
                                                           : 0);
                    break;
                case 1: // ITT entry: [0] Valid, [1] physical, [25:2] pINTID, [47:32] ICID
                    put64((ptr & ~0xffull) + std::uint64_t{ev} * ITT_ENTRY,
                          (valid & 3u) | (std::uint64_t{intid & 0xffffffu} << 2) | (std::uint64_t{icid} << 32));
                    break;
                case 2: // collection table entry: [0] Valid, [51:16] RDbase (processor)
                    put64(entry_addr(coll, icid), (valid & 1) ? (1ull | (std::uint64_t{ev & 0xffffu} << 16)) : 0);
                    break;
                default: { // a raw level-1 entry
                    table& t = kind == 3 ? dev : coll;
                    put64(t.pa + (id % (t.bytes / 8)) * 8, (valid & 1) ? (L1_VALID | (ptr & 0x000ffffffffff000ull)) : 0);
                    break;
                }
                }
                break;
            }
            case REG_WRITE: {
                const std::uint64_t off = in.u16();
                const unsigned len = (in.u8() & 1) ? 8 : 4;
                std::uint64_t v = in.u64();
                if (off == GITS_CBASER)
                    v = (v & ~0xffull) | (v & 0x0f); // bounded queue: at most 16 pages (2048 commands)
                wr(ITS_BASE + off, v, len);
                break;
            }
            case REG_READ: {
                const std::uint64_t off = in.u16();
                const std::uint64_t v = rd(ITS_BASE + off, (in.u8() & 1) ? 8 : 4);
                if (off == GITS_CREADR)
                    check_creadr(v);
                break;
            }
            case WAIT: idle_ns(in.u16()); break;
            case ENABLE: wr(ITS_BASE + GITS_CTLR, in.u8() & 1, 4); break;
            case RETRY: wr(ITS_BASE + GITS_CWRITER, cw | 1); break;
            case LPI_CFG: {
                const unsigned intid = 8192 + in.u16() % ((1u << LPI_BITS) - 8192);
                const std::uint8_t cfg = in.u8();
                b.ram.data()[PROP - RAM_BASE + (intid - 8192)] = cfg;
                switch (in.u8() % 3) {
                case 0: wr(GICR_BASE + GICR_INVLPIR, intid); break;
                case 1: wr(GICR_BASE + GICR_INVALLR, 0); break;
                default: break;
                }
                break;
            }
            case DRAIN: drain(); break;
            default: break;
            }
        }

        // The end: liveness, quiescence, accounting.
        check_liveness();
        quiesce();
        std::uint64_t arrival = 0;
        for (const auto& d : b.its.drops())
            arrival += d.reason == gic::gicv3_its::drop_reason::disabled ||
                       d.reason == gic::gicv3_its::drop_reason::no_device_id ||
                       d.reason == gic::gicv3_its::drop_reason::fifo_full ||
                       d.reason == gic::gicv3_its::drop_reason::bad_access;
        const std::uint64_t taken = b.its.stats().translations - translations0;
        if (b.tap.accesses != arrival + taken)
            fail("%llu accesses reached GITS_TRANSLATER but %llu were dropped at arrival and %llu translated",
                 static_cast<unsigned long long>(b.tap.accesses), static_cast<unsigned long long>(arrival),
                 static_cast<unsigned long long>(taken));
        drain();
        m.sync();
        if (dbvp::fuzz::verbose()) {
            const auto& st = b.its.stats();
            std::fprintf(stderr,
                         "dbvp-fuzz its: %llu commands, %zu command errors, stalled %d, %llu TRANSLATER accesses, "
                         "%llu translations, %llu LPIs, %zu drops, cache %llu hits / %llu misses, GIC %llu acks, "
                         "t = %s\n",
                         static_cast<unsigned long long>(st.commands), b.its.command_errors().size(),
                         b.its.stalled(), static_cast<unsigned long long>(b.tap.accesses),
                         static_cast<unsigned long long>(taken), static_cast<unsigned long long>(st.lpis),
                         b.its.drops().size(), static_cast<unsigned long long>(st.cache_hits),
                         static_cast<unsigned long long>(st.cache_misses),
                         static_cast<unsigned long long>(b.gic.stats().acknowledged),
                         sc_core::sc_time_stamp().to_string().c_str());
            for (const auto& d : b.its.drops())
                std::fprintf(stderr, "  drop %s dev 0x%x ev 0x%x\n", gic::gicv3_its::to_string(d.reason), d.device_id,
                             d.event_id);
            for (const auto& e : b.its.command_errors())
                std::fprintf(stderr, "  command error op 0x%02x code 0x%06x at 0x%llx\n", e.opcode, e.code,
                             static_cast<unsigned long long>(e.queue_offset));
        }
    }
};

bench::bench()
    : soc("soc", router::params{1000000000, 2}), ram("ram", memory::params{RAM_SIZE, 1000000000, 10, 10}),
      gic("gic", gic_params()), its("its", its_params()), tap("tap") {
    drv = std::make_unique<driver>("driver", *this);
    drv->socket.bind(soc.in);
    gic.mem.bind(soc.in);
    its.mem.bind(soc.in);
    soc.out.bind(ram.socket);
    soc.out.bind(gic.gicd);
    soc.out.bind(gic.gicr);
    soc.out.bind(tap.in);
    tap.out.bind(its.regs);
    soc.map(0, RAM_BASE, RAM_SIZE, "ram");
    soc.map(1, GICD_BASE, 0x10000, "gicd");
    soc.map(2, GICR_BASE, 0x20000, "gicr");
    soc.map(3, ITS_BASE, 0x20000, "its");
    its.connect(gic);
}

bench* g_bench = nullptr;

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    dbvp::fuzz::install_reports();
    g_bench = new bench; // lives for the whole process (SystemC elaborates once)
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    dbvp::fuzz::run_input(*g_bench->drv, data, size);
    return 0;
}
