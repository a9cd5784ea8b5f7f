// Bench for the SMMUv3 tests (test_smmu.cpp).
//
//   cpu (native_cpu, runs the test body as firmware) --+
//   smmu.walker -----------------------------------------+--> soc (router) --> ram      at RAM_BASE
//   smmu.out    -----------------------------------------+                 --> smmu.regs at SMMU_BASE
//   dev, aux[0], aux[1] (devices, pcie_attr with StreamID) --> fabric (router, 0 cycles) --> smmu.in
//   smmu.evtq_irq / gerror_irq --> level recorders (or CPU inputs EVTQ_IRQ / GERROR_IRQ for the driver tests)
//
// The body runs in the CPU's thread; register accesses go through fw::hal. Device accesses synchronise the CPU
// first, so every device access starts at the kernel time with no local offset, and synchronise afterwards.
// Tables (STEs, CDs, page tables) are built by the helpers below directly in the RAM (no time), with encodings
// written from the architecture independently of the model; queues are driven through the registers.
#pragma once

#include "dbvp/bus/router.h"
#include "dbvp/core/master.h"
#include "dbvp/fw/hal.h"
#include "dbvp/mem/memory.h"
#include "dbvp/platform/native_cpu.h"
#include "dbvp/smmu/smmuv3.h"
#include "reports.h"

#include <cstdint>
#include <cstring>
#include <functional>
#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <vector>

namespace dbvp::test::smmu {

using dbvp::smmu::smmuv3;

// ---- Bench address map ----------------------------------------------------------------------------------------
inline constexpr std::uint64_t SMMU_BASE = 0x40000000;
inline constexpr std::uint64_t RAM_BASE = 0x80000000;
inline constexpr std::uint64_t RAM_SIZE = 0x01000000;
inline constexpr std::uint64_t STRTAB = RAM_BASE + 0x000000;  // stream table (linear or level 1)
inline constexpr std::uint64_t L2TAB = RAM_BASE + 0x040000;   // level-2 arrays
inline constexpr std::uint64_t CMDQ = RAM_BASE + 0x100000;    // 256 commands
inline constexpr std::uint64_t EVTQ = RAM_BASE + 0x110000;    // up to 128 events
inline constexpr std::uint64_t CDS = RAM_BASE + 0x120000;     // context descriptors, 64 bytes each
inline constexpr std::uint64_t PT_POOL = RAM_BASE + 0x200000; // page tables, 4 KiB each
inline constexpr std::uint64_t DATA = RAM_BASE + 0x800000;    // data pages
inline constexpr std::uint64_t NOWHERE = 0x20000000;          // decodes to nothing on the SoC bus
inline constexpr unsigned EVTQ_IRQ = 40, GERROR_IRQ = 41;     // CPU inputs (driver tests)

// ---- Architecture (SMMUv3) --------------------------------------------------------------------------------------
namespace reg {
inline constexpr std::uint32_t IDR0 = 0x00, IDR1 = 0x04, IDR5 = 0x14, CR0 = 0x20, CR0ACK = 0x24, CR2 = 0x2c,
                               GBPA = 0x44, IRQ_CTRL = 0x50, IRQ_CTRLACK = 0x54, GERROR = 0x60, GERRORN = 0x64,
                               STRTAB_BASE = 0x80, STRTAB_BASE_CFG = 0x88, CMDQ_BASE = 0x90, CMDQ_PROD = 0x98,
                               CMDQ_CONS = 0x9c, EVTQ_BASE = 0xa0, EVTQ_PROD = 0x100a8, EVTQ_CONS = 0x100ac;
}
inline constexpr std::uint32_t SMMUEN = 1u << 0, EVTQEN = 1u << 2, CMDQEN = 1u << 3;
inline constexpr std::uint32_t IRQ_GERROR = 1u << 0, IRQ_EVTQ = 1u << 2;
inline constexpr std::uint32_t RECINVSID = 1u << 1;
inline constexpr std::uint32_t GBPA_UPDATE = 1u << 31, GBPA_ABORT = 1u << 20;
inline constexpr std::uint32_t CMDQ_ERR = 1u << 0;
inline constexpr std::uint32_t OVFLG = 1u << 31;

// Event IDs
inline constexpr std::uint8_t C_BAD_STREAMID = 0x02, F_STE_FETCH = 0x03, C_BAD_STE = 0x04, F_CD_FETCH = 0x09,
                              C_BAD_CD = 0x0a, F_WALK_EABT = 0x0b, F_TRANSLATION = 0x10, F_ADDR_SIZE = 0x11,
                              F_ACCESS = 0x12, F_PERMISSION = 0x13;
// Event record DW1 fields
inline constexpr std::uint64_t EVT_PNU = 1ull << 33, EVT_RNW = 1ull << 35;
inline constexpr std::uint64_t EVT_CLASS_TT = 1ull << 40, EVT_CLASS_IN = 2ull << 40;

// STE
inline std::uint64_t ste_abort() { return 1; }
inline std::uint64_t ste_bypass() { return 1 | (4ull << 1); }
inline std::uint64_t ste_s1(std::uint64_t cd) { return 1 | (5ull << 1) | cd; }
inline constexpr std::uint64_t STE1_PRIV = 3ull << 48; // PRIVCFG: privileged

// CD dword 0
inline constexpr std::uint64_t CD_EPD0 = 1ull << 14, CD_ENDI = 1ull << 15, CD_EPD1 = 1ull << 30, CD_V = 1ull << 31,
                               CD_AFFD = 1ull << 35, CD_AA64 = 1ull << 41, CD_R = 1ull << 45, CD_A = 1ull << 46,
                               CD_ASET = 1ull << 47;
inline std::uint64_t cd0(unsigned t0sz, std::uint16_t asid, std::uint64_t extra = 0) {
    // IPS 0b101 (48 bits), TG0 4 KiB, V, AA64, R, A
    return t0sz | CD_EPD1 | CD_V | (5ull << 32) | CD_AA64 | CD_R | CD_A | CD_ASET | (std::uint64_t{asid} << 48) |
           extra;
}

// Stage-1 descriptors
inline constexpr std::uint64_t D_VALID = 1, D_TABLE = 3, D_PAGE = 3, D_BLOCK = 1;
inline constexpr std::uint64_t AP_UNPRIV = 1ull << 6, AP_RO = 1ull << 7, SH_ISH = 3ull << 8, AF = 1ull << 10;
inline constexpr std::uint64_t LEAF_RW = AP_UNPRIV | SH_ISH | AF;
inline constexpr std::uint64_t LEAF_RO = AP_UNPRIV | AP_RO | SH_ISH | AF;

// Commands
inline constexpr std::uint8_t CMD_CFGI_STE = 0x03, CMD_CFGI_STE_RANGE = 0x04, CMD_CFGI_CD = 0x05,
                              CMD_TLBI_NH_ALL = 0x10, CMD_TLBI_NH_ASID = 0x11, CMD_TLBI_NH_VA = 0x12,
                              CMD_TLBI_NSNH_ALL = 0x30, CMD_SYNC = 0x46;

/// Number of table levels a 4 KiB-granule walk uses for an input address of 64 - t0sz bits.
inline unsigned walk_levels(unsigned t0sz) { return (64 - t0sz - 12 + 8) / 9; }

// ---- Pieces --------------------------------------------------------------------------------------------------

struct device : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<device> socket;
    master m;
    explicit device(sc_core::sc_module_name n) : sc_module(n), socket("socket"), m(socket) {}
};

/// A device with its own thread: one read of `addr` with StreamID `sid` each time `go` fires.
struct timed_device : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<timed_device> socket;
    master m;
    sc_core::sc_event go;
    std::uint32_t sid = 0;
    std::uint64_t addr = 0;
    std::uint32_t data = 0;
    sc_core::sc_time took;
    tlm::tlm_response_status rsp = tlm::TLM_INCOMPLETE_RESPONSE;
    SC_HAS_PROCESS(timed_device);
    explicit timed_device(sc_core::sc_module_name n) : sc_module(n), socket("socket"), m(socket) { SC_THREAD(run); }
    void run() {
        for (;;) {
            wait(go);
            pcie_attr a;
            a.type = tlp_type::mem_rd;
            a.has_stream_id = true;
            a.stream_id = sid;
            const sc_core::sc_time t0 = m.now();
            rsp = m.read(addr, &data, 4, &a);
            took = m.now() - t0;
            m.sync();
        }
    }
};

struct level_sink : irq_sink {
    bool level = false;
    unsigned rises = 0;
    void irq_level(unsigned, bool l, const sc_core::sc_time&) override {
        rises += l && !level;
        level = l;
    }
};

struct bench_params {
    smmuv3::params smmu;
    bool irqs_to_cpu = false;
};

struct smmu_bench {
    smmuv3 smmu;
    memory ram;
    router soc;
    router fabric;
    platform::native_cpu cpu;
    device dev;
    timed_device aux0, aux1;
    level_sink evtq_line, gerror_line;
    std::function<void(fw::hal&)> body;
    fw::hal* h = nullptr;
    bool done = false; // the body ran to its end
    std::uint64_t pt_next = PT_POOL;
    std::uint64_t cmd_prod = 0;
    unsigned cmdq_log2 = 8;
    unsigned evtq_log2 = 4;

    explicit smmu_bench(const bench_params& bp = {})
        : smmu("smmu", bp.smmu), ram("ram", memory::params{RAM_SIZE, 1000000000, 10, 10}),
          soc("soc", router::params{1000000000, 2}), fabric("fabric", router::params{1000000000, 0}),
          cpu("cpu", platform::native_cpu::params{}, nullptr), dev("dev"), aux0("aux0"), aux1("aux1") {
        cpu.bus.bind(soc.in);
        smmu.walker.bind(soc.in);
        smmu.out.bind(soc.in);
        soc.out.bind(ram.socket);
        soc.out.bind(smmu.regs);
        soc.map(0, RAM_BASE, RAM_SIZE, "ram");
        soc.map(1, SMMU_BASE, 0x20000, "smmu");
        dev.socket.bind(fabric.in);
        aux0.socket.bind(fabric.in);
        aux1.socket.bind(fabric.in);
        fabric.out.bind(smmu.in);
        fabric.map(0, 0, ~0ull, "smmu.in");
        if (bp.irqs_to_cpu) {
            smmu.evtq_irq.bind(cpu, EVTQ_IRQ);
            smmu.gerror_irq.bind(cpu, GERROR_IRQ);
        } else {
            smmu.evtq_irq.bind(evtq_line, 0);
            smmu.gerror_irq.bind(gerror_line, 0);
        }
    }

    /// Run `fn` as the CPU's firmware until it returns; a body that does not reach its end (a wait nothing ends:
    /// the simulation runs out of events) fails the test.
    void run(std::function<void(fw::hal&)> fn) {
        body = std::move(fn);
        cpu.set_firmware([this](fw::hal& hal) {
            h = &hal;
            body(hal);
            done = true;
            sc_core::sc_stop();
        });
        sc_core::sc_start();
        EXPECT_TRUE(done) << "the bench's body did not run to its end: the simulation ran out of events at "
                          << sc_core::sc_time_stamp();
    }

    // ---- Registers --------------------------------------------------------------------------------------------
    std::uint32_t rd(std::uint32_t off) { return h->read32(SMMU_BASE + off); }
    void wr(std::uint32_t off, std::uint32_t v) { h->write32(SMMU_BASE + off, v); }
    std::uint64_t rd64(std::uint32_t off) { return h->read64(SMMU_BASE + off); }
    void wr64(std::uint32_t off, std::uint64_t v) { h->write64(SMMU_BASE + off, v); }
    void cpu_sync() { h->sleep_ns(0); }

    // ---- Memory (direct, no time) -------------------------------------------------------------------------------
    std::uint64_t mem64(std::uint64_t addr) const {
        std::uint64_t v = 0;
        std::memcpy(&v, const_cast<memory&>(ram).data() + (addr - RAM_BASE), 8);
        return v;
    }
    void set64(std::uint64_t addr, std::uint64_t v) { std::memcpy(ram.data() + (addr - RAM_BASE), &v, 8); }
    std::uint32_t mem32(std::uint64_t addr) const {
        std::uint32_t v = 0;
        std::memcpy(&v, const_cast<memory&>(ram).data() + (addr - RAM_BASE), 4);
        return v;
    }
    void set32(std::uint64_t addr, std::uint32_t v) { std::memcpy(ram.data() + (addr - RAM_BASE), &v, 4); }

    // ---- Tables ---------------------------------------------------------------------------------------------------
    std::uint64_t alloc_table() {
        const std::uint64_t a = pt_next;
        pt_next += 0x1000;
        std::memset(ram.data() + (a - RAM_BASE), 0, 0x1000);
        return a;
    }
    void write_ste(std::uint64_t at, std::uint64_t d0, std::uint64_t d1 = 0) {
        for (unsigned i = 0; i < 8; ++i)
            set64(at + 8 * i, 0);
        set64(at + 8, d1);
        set64(at, d0);
    }
    void ste(std::uint32_t sid, std::uint64_t d0, std::uint64_t d1 = 0) { write_ste(STRTAB + 64ull * sid, d0, d1); }
    std::uint64_t cd_addr(unsigned n) const { return CDS + 64ull * n; }
    void write_cd(std::uint64_t at, std::uint64_t d0, std::uint64_t ttb0, std::uint64_t mair = 0xff) {
        for (unsigned i = 0; i < 8; ++i)
            set64(at + 8 * i, 0);
        set64(at + 8, ttb0);
        set64(at + 24, mair);
        set64(at, d0);
    }
    /// Map `va` to `pa` with a leaf at `leaf_level` (3: 4 KiB page, 2: 2 MiB block, 1: 1 GiB block), building the
    /// missing tables from `root` (a walk starting at the level T0SZ selects). Returns the leaf's address.
    std::uint64_t map(std::uint64_t root, unsigned t0sz, std::uint64_t va, std::uint64_t pa,
                      std::uint64_t attrs = LEAF_RW, unsigned leaf_level = 3) {
        const unsigned start = 4 - walk_levels(t0sz);
        std::uint64_t table = root;
        for (unsigned level = start;; ++level) {
            const unsigned shift = 12 + 9 * (3 - level);
            const unsigned bits = level == start ? (64 - t0sz) - shift : 9;
            const std::uint64_t at = table + ((va >> shift) & ((1ull << bits) - 1)) * 8;
            if (level == leaf_level) {
                set64(at, (pa & ~((1ull << shift) - 1)) | (level == 3 ? D_PAGE : D_BLOCK) | attrs);
                return at;
            }
            std::uint64_t d = mem64(at);
            if (!(d & D_VALID)) {
                d = alloc_table() | D_TABLE;
                set64(at, d);
            }
            table = d & 0x0000fffffffff000ull;
        }
    }

    // ---- Programming ---------------------------------------------------------------------------------------------
    struct setup {
        unsigned log2size = 8;
        bool two_level = false;
        unsigned split = 8;
        bool evtq = true;
        bool irqs = true;
        bool recinvsid = true;
    };
    /// Program stream table, queues, CR2 and IRQ_CTRL, then enable (CR0/CR0ACK handshake checked).
    void enable(const setup& s) {
        wr64(reg::STRTAB_BASE, STRTAB);
        wr(reg::STRTAB_BASE_CFG, (s.two_level ? (1u << 16) | (s.split << 6) : 0u) | s.log2size);
        wr64(reg::CMDQ_BASE, CMDQ | cmdq_log2);
        wr(reg::CMDQ_PROD, 0);
        wr(reg::CMDQ_CONS, 0);
        cmd_prod = 0;
        wr64(reg::EVTQ_BASE, EVTQ | evtq_log2);
        wr(reg::EVTQ_PROD, 0);
        wr(reg::EVTQ_CONS, 0);
        wr(reg::CR2, s.recinvsid ? RECINVSID : 0);
        wr(reg::IRQ_CTRL, s.irqs ? (IRQ_GERROR | IRQ_EVTQ) : 0);
        const std::uint32_t cr0 = SMMUEN | CMDQEN | (s.evtq ? EVTQEN : 0);
        wr(reg::CR0, cr0);
        EXPECT_EQ(rd(reg::CR0ACK), cr0);
    }
    void enable() { enable(setup{}); }

    // ---- Command queue ---------------------------------------------------------------------------------------------
    void cmd(std::uint64_t d0, std::uint64_t d1 = 0) {
        const std::uint64_t at = CMDQ + 16 * (cmd_prod & ((1u << cmdq_log2) - 1));
        set64(at, d0);
        set64(at + 8, d1);
        cmd_prod = (cmd_prod + 1) & ((2u << cmdq_log2) - 1);
        wr(reg::CMDQ_PROD, static_cast<std::uint32_t>(cmd_prod));
    }
    /// CMD_SYNC and wait until the queue is consumed; false when it does not complete within `polls` polls.
    bool sync(unsigned polls = 100) {
        cmd(CMD_SYNC);
        for (unsigned i = 0; i < polls; ++i) {
            if ((rd(reg::CMDQ_CONS) & ((2u << cmdq_log2) - 1)) == cmd_prod)
                return true;
            h->sleep_ns(100);
        }
        return false;
    }
    void cfgi_ste(std::uint32_t sid) { cmd(CMD_CFGI_STE | (std::uint64_t{sid} << 32), 1); }

    // ---- Device ------------------------------------------------------------------------------------------------
    tlm::tlm_response_status access(tlm::tlm_command cmd, std::uint32_t sid, std::uint64_t addr, void* data,
                                    unsigned len, sc_core::sc_time* took = nullptr) {
        cpu_sync();
        pcie_attr a;
        a.type = cmd == tlm::TLM_WRITE_COMMAND ? tlp_type::mem_wr : tlp_type::mem_rd;
        a.has_stream_id = true;
        a.stream_id = sid;
        const sc_core::sc_time t0 = dev.m.now();
        const auto rsp = dev.m.access(cmd, addr, data, len, &a);
        if (took)
            *took = dev.m.now() - t0;
        dev.m.sync();
        return rsp;
    }
    tlm::tlm_response_status read32(std::uint32_t sid, std::uint64_t addr, std::uint32_t& v,
                                    sc_core::sc_time* took = nullptr) {
        return access(tlm::TLM_READ_COMMAND, sid, addr, &v, 4, took);
    }
    tlm::tlm_response_status write32(std::uint32_t sid, std::uint64_t addr, std::uint32_t v,
                                     sc_core::sc_time* took = nullptr) {
        return access(tlm::TLM_WRITE_COMMAND, sid, addr, &v, 4, took);
    }

    // ---- Event queue -----------------------------------------------------------------------------------------------
    std::uint64_t evt(unsigned index, unsigned dw) const { return mem64(EVTQ + 32ull * index + 8 * dw); }
    std::uint32_t evtq_prod() { return rd(reg::EVTQ_PROD); }
};

} // namespace dbvp::test::smmu
