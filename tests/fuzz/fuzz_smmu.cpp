// fuzz_smmu — the SMMUv3 model (models/src/smmu/smmuv3.cpp) with RAM: registers, stream table (linear and
// 2-level), STEs, context descriptors, stage-1 page tables, the command queue, the event queue and device
// transactions (timed and debug), all from the input (layout: fuzz_format.h, smmu_fmt).
//
// The bench is elaborated once (first input); every input starts from the same state by reprogramming: CR0 = 0,
// global errors acknowledged, RAM cleared, then CMD_CFGI_ALL + CMD_TLBI_NSNH_ALL + CMD_SYNC through a queue of the
// driver's own (both caches empty), then the input's stream table, queues, CR2, GBPA and IRQ_CTRL, CR0. A driver
// SC_THREAD runs the input; the kernel runs until the driver pauses it (sc_pause) or 1 s of simulated time has
// passed, which would mean a transaction or register access never returned: a hang.
//
// Oracle (besides crashes, UB, leaks, SystemC errors and exceptions): any translation outcome is acceptable; also
//   * CR0ACK reads what CR0 was written with (the handshake completes at once, docs/models/smmuv3.md);
//   * the cache flush of the reset (three commands on a good queue) completes;
//   * liveness: while CMDQEN = 1, no CMDQ_ERR is active and CMDQ_PROD != CMDQ_CONS, commands complete (no 1 ms of
//     simulated time without one);
//   * a transaction (timed or debug) returns with the payload's address, length and pcie_attr as they were given.
#include "fuzz_common.h"
#include "fuzz_format.h"

#include "dbvp/bus/router.h"
#include "dbvp/core/payload.h"
#include "dbvp/core/irq.h"
#include "dbvp/core/master.h"
#include "dbvp/core/sideband.h"
#include "dbvp/mem/memory.h"
#include "dbvp/smmu/smmuv3.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <vector>

DBVP_FUZZ_SC_MAIN

namespace {

using namespace dbvp;
using namespace dbvp::fuzz::smmu_fmt;
using dbvp::fuzz::fail;
using dbvp::fuzz::reader;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_ZERO_TIME;

// Registers (Arm SMMUv3).
constexpr std::uint32_t CR0 = 0x20, CR0ACK = 0x24, CR2 = 0x2c, GBPA = 0x44, IRQ_CTRL = 0x50, GERROR = 0x60,
                        GERRORN = 0x64, STRTAB_BASE = 0x80, STRTAB_BASE_CFG = 0x88, CMDQ_BASE = 0x90,
                        CMDQ_PROD = 0x98, CMDQ_CONS = 0x9c, EVTQ_BASE = 0xa0, EVTQ_PROD = 0x100a8,
                        EVTQ_CONS = 0x100ac;
constexpr std::uint32_t SMMUEN = 1, EVTQEN = 4, CMDQEN = 8, CR0_BITS = SMMUEN | EVTQEN | CMDQEN;
constexpr std::uint32_t GBPA_UPDATE = 1u << 31, GBPA_ABORT = 1u << 20, RECINVSID = 2, CMDQ_ERR = 1;
constexpr std::uint64_t PAGE = 0x1000;
constexpr unsigned PT_PAGES = static_cast<unsigned>((PT_END - PT_POOL) / PAGE);

std::uint64_t decode_addr(std::uint32_t v) {
    if (!(v >> 31))
        return RAM_BASE + (v % RAM_SIZE);
    const std::uint32_t off = v & 0x1fffffff;
    switch ((v >> 29) & 3) {
    case 0: return HOLE + off;
    case 1: return SMMU_BASE + (off & 0x1ffff);
    case 2: return SMMU_BASE + 0x10000 + (off & 0xffff);
    default: return 0xfffffffffffff000ull + (off & 0xfff);
    }
}

struct null_sink : irq_sink {
    void irq_level(unsigned, bool, const sc_time&) override {}
};

struct driver;

struct bench {
    smmu::smmuv3 smmu;
    memory ram;
    router soc, fabric;
    null_sink lines;
    std::unique_ptr<driver> drv;
    bench();
};

smmu::smmuv3::params smmu_params() {
    smmu::smmuv3::params p;
    p.config_cache_entries = 4; // small: evictions
    p.tlb_entries = 8;
    return p;
}

struct driver : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<driver> cpu_socket, dev_socket;
    master cpu;
    bench& b;
    sc_core::sc_event go;
    bool busy = false, done = false;
    const std::uint8_t* data = nullptr;
    std::size_t size = 0;

    // The input's geometry, the driver's command producer index, page-table pool, recorded mappings.
    bool two_level = false;
    unsigned split = 8, strtab_log2 = 0, cmdq_log2 = 0;
    std::uint64_t strtab_pa = 0, cmdq_pa = 0, l2_next = L2TAB;
    std::uint32_t prod = 0;
    unsigned pt_next = 0;
    std::vector<std::uint64_t> mapped;
    sc_time dev_offset; // local time of the device (temporal decoupling)
    tlm::tlm_generic_payload pl;
    unsigned char buf[256];

    SC_HAS_PROCESS(driver);
    driver(sc_core::sc_module_name n, bench& bb)
        : sc_module(n), cpu_socket("cpu_socket"), dev_socket("dev_socket"), cpu(cpu_socket), b(bb) {
        SC_THREAD(run);
    }

    void run() { dbvp::fuzz::driver_loop(*this); }

    // ---- Accesses (the device's local time is synchronised before the CPU's and vice versa) -----------------
    void dev_sync() {
        if (dev_offset != SC_ZERO_TIME) {
            sc_core::wait(dev_offset);
            dev_offset = SC_ZERO_TIME;
        }
    }
    std::uint64_t rd(std::uint32_t off, unsigned len = 4) {
        dev_sync();
        std::uint64_t v = 0;
        cpu.read(SMMU_BASE + off, &v, len);
        return v;
    }
    void wr(std::uint32_t off, std::uint64_t v, unsigned len = 4) {
        dev_sync();
        cpu.write(SMMU_BASE + off, &v, len);
    }
    void idle_ns(std::uint64_t ns) {
        dev_sync();
        cpu.wait_until(cpu.now() + sc_time(static_cast<double>(ns), SC_NS));
    }
    std::uint8_t* ram(std::uint64_t pa, std::uint64_t n) {
        return dbvp::fuzz::window(b.ram.data(), RAM_BASE, RAM_SIZE, pa, n);
    }
    void put64(std::uint64_t pa, std::uint64_t v) { dbvp::fuzz::store64(ram(pa, 8), v); }
    std::uint64_t get64(std::uint64_t pa) { return dbvp::fuzz::load64(ram(pa, 8)); }

    void write_cr0(std::uint32_t v) {
        wr(CR0, v);
        const std::uint32_t ack = static_cast<std::uint32_t>(rd(CR0ACK));
        if ((ack & CR0_BITS) != (v & CR0_BITS))
            fail("CR0 written with 0x%x but CR0ACK reads 0x%x", v, ack);
    }
    /// GERROR.CMDQ_ERR active (CMDQ_CONS.ERR keeps the code of the last error: it says nothing once acknowledged).
    bool cmdq_error() { return (rd(GERROR) ^ rd(GERRORN)) & CMDQ_ERR; }

    // ---- Commands --------------------------------------------------------------------------------------------
    void append(unsigned log2, std::uint64_t base, std::uint64_t d0, std::uint64_t d1) {
        const std::uint64_t at = base + (prod & ((1u << log2) - 1)) * 16ull;
        put64(at, d0);
        put64(at + 8, d1);
        prod = (prod + 1) & ((2u << log2) - 1); // index + wrap bit
    }
    /// Make the driver's PROD visible and wait until the SMMU consumed it, stopped on an error or is disabled.
    /// (Gives up after `polls` polls or 2 us without a completed command; the liveness check at the end of the
    /// input is the strict one.)
    bool kick(unsigned log2, unsigned polls) {
        wr(CMDQ_PROD, prod);
        const std::uint32_t m = (2u << log2) - 1;
        std::uint64_t last = b.smmu.stats().commands;
        for (unsigned i = 0, still = 0; i < polls && still < 10; ++i) {
            const std::uint32_t cons = static_cast<std::uint32_t>(rd(CMDQ_CONS));
            if ((cons & m) == prod)
                return true;
            if (!(rd(CR0) & CMDQEN) || cmdq_error())
                return false;
            idle_ns(200);
            still = b.smmu.stats().commands == last ? still + 1 : 0;
            last = b.smmu.stats().commands;
        }
        return false;
    }
    /// While the queue has work the SMMU must do, commands keep completing.
    void check_liveness() {
        std::uint64_t last = b.smmu.stats().commands;
        unsigned still = 0;
        for (unsigned i = 0; i < 5000; ++i) { // 5 ms at most
            const std::uint64_t base = rd(CMDQ_BASE, 8);
            const unsigned log2 = std::min<unsigned>(base & 0x1f, 19);
            const std::uint32_t m = (2u << log2) - 1;
            const bool work = (rd(CR0) & CMDQEN) && !cmdq_error() && ((rd(CMDQ_PROD) & m) != (rd(CMDQ_CONS) & m));
            if (!work)
                return;
            if (b.smmu.stats().commands != last) {
                last = b.smmu.stats().commands;
                still = 0;
            } else if (++still > 1000) {
                fail("the SMMU command queue makes no progress for 1 ms (PROD 0x%llx, CONS 0x%llx)",
                     static_cast<unsigned long long>(rd(CMDQ_PROD)), static_cast<unsigned long long>(rd(CMDQ_CONS)));
            }
            idle_ns(1000);
        }
    }

    // ---- Per-input reset -------------------------------------------------------------------------------------
    void reset() {
        write_cr0(0);
        idle_ns(2000); // a command in flight completes
        wr(GERRORN, rd(GERROR));
        wr(IRQ_CTRL, 0);
        std::memset(b.ram.data(), 0, RAM_SIZE);
        const_cast<std::deque<smmu::smmuv3::event>&>(b.smmu.events()).clear();
        // Flush both caches through a queue of the driver's own.
        wr(CMDQ_BASE, CMDQ | 2, 8);
        wr(CMDQ_PROD, 0);
        wr(CMDQ_CONS, 0);
        write_cr0(CMDQEN);
        prod = 0;
        append(2, CMDQ, CMD_CFGI_STE_RANGE, 31);
        append(2, CMDQ, CMD_TLBI_NSNH_ALL, 0);
        append(2, CMDQ, CMD_SYNC, 0);
        if (!kick(2, 2000))
            fail("the reset's CMD_CFGI_ALL / CMD_TLBI_NSNH_ALL / CMD_SYNC did not complete (CONS 0x%llx)",
                 static_cast<unsigned long long>(rd(CMDQ_CONS)));
        write_cr0(0);
        std::memset(b.ram.data() + (CMDQ - RAM_BASE), 0, 64);
        l2_next = L2TAB;
        pt_next = 0;
        mapped.clear();
    }

    // ---- Tables ----------------------------------------------------------------------------------------------
    std::uint64_t ste_addr(std::uint32_t sid) {
        const unsigned log2 = std::min(strtab_log2, 16u);
        if (!two_level) {
            const std::uint64_t bytes = 64ull << log2;
            return (strtab_pa & ~(std::max<std::uint64_t>(bytes, 64) - 1)) + std::uint64_t{sid} * 64;
        }
        const std::uint64_t l1_bytes = 8ull << (log2 > split ? log2 - split : 0);
        const std::uint64_t base = strtab_pa & ~(std::max<std::uint64_t>(l1_bytes, 64) - 1);
        const std::uint64_t l1 = base + (std::uint64_t{sid} >> split) * 8;
        std::uint64_t d = get64(l1);
        if ((d & 0x1f) == 0) { // no level-2 array yet: one covering the 2^SPLIT StreamIDs of the entry
            const std::uint64_t bytes = 64ull << std::min(split, 10u);
            l2_next = (l2_next + bytes - 1) & ~(bytes - 1);
            if (l2_next + bytes > CMDQ)
                l2_next = L2TAB;
            d = l2_next | (std::min(split, 10u) + 1);
            l2_next += bytes;
            put64(l1, d);
        }
        return (d & 0x000fffffffffffc0ull) + (std::uint64_t{sid} & ((1ull << split) - 1)) * 64;
    }
    std::uint64_t pt_page(unsigned n) const { return PT_POOL + (n % PT_PAGES) * PAGE; }
    std::uint64_t alloc_page() { return pt_page(pt_next++); } // wraps: the input may overwrite its own tables

    void map(std::uint64_t root, unsigned t0sz, std::uint64_t va, std::uint64_t pa, unsigned leaf, unsigned attrs) {
        t0sz = std::clamp(t0sz, 16u, 39u);
        const unsigned ia = 64 - t0sz;
        const unsigned start = ia > 39 ? 0 : ia > 30 ? 1 : ia > 21 ? 2 : 3;
        leaf = std::max(leaf, std::max(start, 1u));
        std::uint64_t table = root;
        for (unsigned level = start;; ++level) {
            const unsigned shift = 12 + 9 * (3 - level);
            const unsigned bits = level == start ? ia - shift : 9;
            const std::uint64_t at = table + ((va >> shift) & ((1ull << bits) - 1)) * 8;
            if (level == leaf) {
                std::uint64_t d = (pa & 0x0000fffffffff000ull & ~((1ull << shift) - 1)) | (leaf == 3 ? 3 : 1) |
                                  (3ull << 8);
                if (!(attrs & 4))
                    d |= 1ull << 10; // AF
                if (!(attrs & 2))
                    d |= 1ull << 6; // AP[1]: unprivileged access
                if (attrs & 1)
                    d |= 1ull << 7; // AP[2]: read-only
                if (attrs & 8)
                    d |= 1ull << 48; // beyond the 48-bit OAS
                put64(at, d);
                if (mapped.size() < 64)
                    mapped.push_back(va);
                return;
            }
            std::uint64_t d = get64(at);
            if ((d & 3) != 3) {
                d = alloc_page() | 3;
                put64(at, d);
            }
            table = d & 0x0000fffffffff000ull;
        }
    }

    // ---- Device transactions ---------------------------------------------------------------------------------
    void transaction(std::uint32_t sid, std::uint64_t va, std::uint8_t xf, bool debug) {
        static const unsigned lens[8] = {4, 1, 2, 8, 16, 64, 3, 256};
        const unsigned len = debug ? (xf % 256) + 1 : lens[(xf & XF_LEN_MASK) >> 2];
        pcie_attr a;
        a.type = (xf & XF_WRITE) ? tlp_type::mem_wr : tlp_type::mem_rd;
        a.posted = xf & XF_WRITE;
        a.has_stream_id = !(xf & XF_NO_SID);
        a.stream_id = sid;
        std::memset(buf, 0x5a, sizeof buf);
        dbvp::prepare_access(pl, (xf & XF_WRITE) ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, va, buf, len);
        pl.set_extension(&a);
        if (debug) {
            const unsigned n = dev_socket->transport_dbg(pl);
            if (n > len)
                fail("debug transport through the SMMU returned %u bytes for a %u-byte request", n, len);
        } else {
            cpu.sync();
            sc_time delay = dev_offset;
            dev_socket->b_transport(pl, delay);
            dev_offset = delay;
            if (!(xf & XF_NO_SYNC) || dev_offset >= sc_time(1, sc_core::SC_US))
                dev_sync();
        }
        pcie_attr* still = pl.get_extension<pcie_attr>();
        pl.clear_extension(&a);
        if (pl.get_address() != va || pl.get_data_length() != len || still != &a)
            fail("a %s through the SMMU returned with address 0x%llx (was 0x%llx), length %u (was %u), attr %s",
                 debug ? "debug access" : "transaction", static_cast<unsigned long long>(pl.get_address()),
                 static_cast<unsigned long long>(va), pl.get_data_length(), len, still == &a ? "kept" : "replaced");
    }

    // ---- The input ---------------------------------------------------------------------------------------------
    void job() {
        reader in(data, size);
        reset();

        const std::uint8_t flags = in.u8();
        split = in.u8() & 0x1f;
        strtab_log2 = in.u8() & 0x1f;
        cmdq_log2 = in.u8() % 9;
        const unsigned evtq_log2 = in.u8() % 8;
        strtab_pa = decode_addr(in.u32()) & 0x000fffffffffffc0ull;
        cmdq_pa = decode_addr(in.u32()) & 0x000fffffffffffe0ull;
        const std::uint64_t evtq_pa = decode_addr(in.u32()) & 0x000fffffffffffe0ull;
        two_level = flags & SM_2LEVEL;
        const unsigned fmt = (flags & SM_FMT_RESERVED) ? 2 : two_level ? 1 : 0;
        wr(STRTAB_BASE, strtab_pa, 8);
        wr(STRTAB_BASE_CFG, strtab_log2 | (split << 6) | (fmt << 16));
        wr(CMDQ_BASE, cmdq_pa | cmdq_log2, 8);
        wr(CMDQ_PROD, 0);
        wr(CMDQ_CONS, 0);
        wr(EVTQ_BASE, evtq_pa | evtq_log2, 8);
        wr(EVTQ_PROD, 0);
        wr(EVTQ_CONS, 0);
        wr(CR2, (flags & SM_RECINVSID) ? RECINVSID : 0);
        wr(GBPA, GBPA_UPDATE | ((flags & SM_GBPA_ABORT) ? GBPA_ABORT : 0));
        wr(IRQ_CTRL, (flags & SM_IRQS) ? 5 : 0);
        prod = 0;
        write_cr0(CMDQEN | ((flags & SM_NO_EVTQ) ? 0 : EVTQEN) | ((flags & SM_NO_SMMUEN) ? 0 : SMMUEN));

        while (!in.done()) {
            switch (in.u8() % dbvp::fuzz::smmu_fmt::count) {
            case STE: {
                const std::uint32_t sid = in.u32();
                const std::uint8_t kind = in.u8() % 5;
                const std::uint16_t cd = in.u16();
                const std::uint8_t sf = in.u8();
                const std::uint8_t raw = kind == 3 ? in.u8() : 0;
                const std::uint64_t cd_ptr = (sf & 2) ? decode_addr(in.u32()) : CDS + 64ull * (cd % 1024);
                static const unsigned configs[5] = {0, 4, 5, 0, 5};
                const unsigned config = kind == 3 ? (raw & 7) : configs[kind];
                const std::uint64_t at = ste_addr(sid);
                for (unsigned i = 2; i < 8; ++i)
                    put64(at + 8 * i, 0);
                put64(at + 8, (sf & 1) ? 3ull << 48 : 0);
                put64(at, (kind == 4 ? 0 : 1) | (std::uint64_t{config} << 1) | (cd_ptr & 0x000fffffffffffc0ull));
                break;
            }
            case L1DESC: {
                const std::uint16_t idx = in.u16();
                const std::uint8_t span = in.u8();
                const std::uint64_t l2 = decode_addr(in.u32());
                put64((strtab_pa & ~63ull) + idx * 8ull, (l2 & 0x000fffffffffffc0ull) | (span & 0x1f));
                break;
            }
            case CD: {
                const std::uint16_t cd = in.u16();
                const std::uint8_t t0sz = in.u8();
                const std::uint16_t asid = in.u16();
                const std::uint8_t cf = in.u8(), ips = in.u8();
                const std::uint16_t root = in.u16();
                const std::uint64_t ttb = (cf & CF_RAW_TTB) ? decode_addr(in.u32()) : pt_page(root);
                std::uint64_t d0 = (t0sz & 0x3f) | (std::uint64_t{ips & 7u} << 32) | (std::uint64_t{asid} << 48) |
                                   (1ull << 30) /* EPD1 */ | (1ull << 46) /* A */;
                if (cf & CF_EPD0) d0 |= 1ull << 14;
                if (cf & CF_ENDI) d0 |= 1ull << 15;
                if (!(cf & CF_INVALID)) d0 |= 1ull << 31;
                if (cf & CF_AFFD) d0 |= 1ull << 35;
                if (!(cf & CF_NOT_AA64)) d0 |= 1ull << 41;
                if (!(cf & CF_NO_RECORD)) d0 |= 1ull << 45;
                if (cf & CF_TG0_BAD) d0 |= 1ull << 6;
                const std::uint64_t at = CDS + 64ull * (cd % 1024);
                for (unsigned i = 2; i < 8; ++i)
                    put64(at + 8 * i, 0);
                put64(at + 8, ttb & 0x000ffffffffffff0ull);
                put64(at, d0);
                break;
            }
            case MAP: {
                const std::uint16_t root = in.u16();
                const std::uint8_t t0sz = in.u8();
                const std::uint64_t va = in.u64();
                const std::uint64_t pa = decode_addr(in.u32());
                const unsigned level = in.u8() % 3 + 1;
                map(pt_page(root), t0sz, va, pa, level, in.u8());
                break;
            }
            case MEM64: {
                const std::uint64_t pa = decode_addr(in.u32());
                put64(pa, in.u64());
                break;
            }
            case CMD: {
                const std::uint8_t sel = in.u8() % 12;
                const std::uint8_t op = sel < 11 ? OPCODES[sel] : in.u8();
                const std::uint32_t sid = in.u32();
                const std::uint8_t range = in.u8();
                const std::uint16_t asid = in.u16();
                const std::uint64_t addr = in.u64();
                const std::uint8_t cs = in.u8();
                std::uint64_t d0 = op, d1 = 0;
                switch (op) {
                case CMD_CFGI_STE: d0 |= std::uint64_t{sid} << 32; d1 = 1; break;
                case CMD_CFGI_STE_RANGE: d0 |= std::uint64_t{sid} << 32; d1 = range & 0x1f; break;
                case CMD_CFGI_CD:
                case CMD_CFGI_CD_ALL: d0 |= std::uint64_t{sid} << 32; break;
                case CMD_TLBI_NH_ASID: d0 |= std::uint64_t{asid} << 48; break;
                case CMD_TLBI_NH_VA: d0 |= std::uint64_t{asid} << 48; d1 = addr & ~0xfffull; break;
                case CMD_TLBI_NH_VAA: d1 = addr & ~0xfffull; break;
                case CMD_SYNC: d0 |= std::uint64_t{cs & 3u} << 12; break;
                default: d0 |= std::uint64_t{sid} << 32; d1 = addr; break;
                }
                append(cmdq_log2, cmdq_pa, d0, d1);
                break;
            }
            case KICK: kick(cmdq_log2, 2000); break;
            case TXN: {
                const std::uint32_t sid = in.u32();
                std::uint64_t va = in.u64();
                const std::uint8_t xf = in.u8();
                if ((xf & XF_DATA_PAGE) && !mapped.empty())
                    va = mapped[va % mapped.size()] + ((va >> 32) & 0xfff);
                transaction(sid, va, xf, false);
                break;
            }
            case REG_WRITE: {
                const std::uint32_t off = in.u32() & 0x1fffc;
                const unsigned len = (in.u8() & 1) ? 8 : 4;
                std::uint64_t v = in.u64();
                if (off == CMDQ_BASE) // bounded queues: at most 2^8 commands, 2^7 events
                    v = (v & ~0x1full) | std::min<std::uint64_t>(v & 0x1f, 8);
                if (off == EVTQ_BASE)
                    v = (v & ~0x1full) | std::min<std::uint64_t>(v & 0x1f, 7);
                if (off == CR0) {
                    write_cr0(static_cast<std::uint32_t>(v));
                    break;
                }
                wr(off, v, len);
                break;
            }
            case REG_READ: {
                const std::uint32_t off = in.u32() & 0x1fffc;
                (void)rd(off, (in.u8() & 1) ? 8 : 4);
                break;
            }
            case WAIT: idle_ns(in.u16()); break;
            case EVTQ_ACK: wr(EVTQ_CONS, rd(EVTQ_PROD)); break;
            case GERR_ACK: wr(GERRORN, rd(GERROR)); break;
            case SET_CR0: {
                const std::uint8_t bits = in.u8();
                write_cr0(bits & CR0_BITS);
                break;
            }
            case DEBUG: {
                const std::uint32_t sid = in.u32();
                std::uint64_t va = in.u64();
                const std::uint8_t len = in.u8();
                if (!mapped.empty() && (len & 0x80))
                    va = mapped[va % mapped.size()] + ((va >> 32) & 0xfff);
                transaction(sid, va, len, true);
                break;
            }
            default: break;
            }
        }

        check_liveness();
        dev_sync();
        cpu.sync();
        if (dbvp::fuzz::verbose()) {
            const auto& st = b.smmu.stats();
            std::fprintf(stderr,
                         "dbvp-fuzz smmu: translated %llu bypassed %llu aborted %llu faults %llu, config %llu/%llu, "
                         "TLB %llu/%llu hits/misses, %llu commands, CONS 0x%llx GERROR 0x%llx, t = %s\n",
                         static_cast<unsigned long long>(st.translated), static_cast<unsigned long long>(st.bypassed),
                         static_cast<unsigned long long>(st.aborted), static_cast<unsigned long long>(st.faults),
                         static_cast<unsigned long long>(st.config_hits),
                         static_cast<unsigned long long>(st.config_misses),
                         static_cast<unsigned long long>(st.tlb_hits), static_cast<unsigned long long>(st.tlb_misses),
                         static_cast<unsigned long long>(st.commands), static_cast<unsigned long long>(rd(CMDQ_CONS)),
                         static_cast<unsigned long long>(rd(GERROR)), sc_core::sc_time_stamp().to_string().c_str());
            for (const auto& e : b.smmu.events())
                std::fprintf(stderr, "  event %s sid 0x%x addr 0x%llx%s%s\n", smmu::smmuv3::event_name(e.id),
                             e.stream_id, static_cast<unsigned long long>(e.address), e.write ? " write" : "",
                             e.recorded ? " recorded" : "");
        }
    }
};

bench::bench()
    : smmu("smmu", smmu_params()), ram("ram", memory::params{RAM_SIZE, 1000000000, 10, 10}),
      soc("soc", router::params{1000000000, 2}), fabric("fabric", router::params{1000000000, 0}) {
    drv = std::make_unique<driver>("driver", *this);
    drv->cpu_socket.bind(soc.in);
    smmu.walker.bind(soc.in);
    smmu.out.bind(soc.in);
    soc.out.bind(ram.socket);
    soc.out.bind(smmu.regs);
    soc.map(0, RAM_BASE, RAM_SIZE, "ram");
    soc.map(1, SMMU_BASE, 0x20000, "smmu");
    drv->dev_socket.bind(fabric.in);
    fabric.out.bind(smmu.in);
    fabric.map(0, 0, ~0ull, "smmu.in");
    smmu.evtq_irq.bind(lines, 0);
    smmu.gerror_irq.bind(lines, 1);
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
