// dbvp firmware — Arm SMMUv3 driver (stage 1, AArch64 4 KiB-granule page tables).
//
// Learns the SMMU from its ID registers (IDR0: stage 1, AArch64 tables, endianness, 2-level stream table;
// IDR1: SIDSIZE, CMDQS, EVENTQS; IDR5: 4 KiB granule, OAS), allocates every table and queue from a dma_pool and
// programs the SMMU the way Linux does: CR1/CR2, stream table, command queue (enabled first, then CFGI_ALL +
// TLBI_NSNH_ALL + CMD_SYNC), event queue, IRQ_CTRL, SMMUEN, each enable through the CR0/CR0ACK (IRQ_CTRL/
// IRQ_CTRLACK) handshake.
//
// Stream table: linear when 64 bytes x 2^sid_bits fit in `linear_max_bytes` (64 KiB) or the SMMU has no 2-level
// support (IDR0.ST_LEVEL); otherwise 2-level with SPLIT 8 and level-2 arrays of 256 STEs allocated on demand.
// Streams start invalid (STE.V = 0: transactions fault with C_BAD_STE, or C_BAD_STREAMID for a 2-level span
// not yet allocated).
//
// Stage 1: each stream set up with set_stage1() gets its own context descriptor, ASID (1, 2, ...) and page
// tables (T0SZ 16, 48-bit input addresses, level 0..3, 4 KiB pages only, AP[1] = 1 for unprivileged PCIe
// requests, AF = 1, AttrIndx 0 = normal write-back in MAIR). Further set_stage1() calls on the same stream add or
// replace pages (replaced pages are invalidated with CMD_TLBI_NH_ASID). Table memory is never freed.
//
// Every configuration change is followed by the invalidation the architecture requires and a CMD_SYNC, polled
// on CMDQ_CONS (CS = SIG_NONE). A command error (GERROR.CMDQ_ERR) is recovered as Linux does — the failing entry
// is replaced by a CMD_SYNC and GERRORN acknowledges — and reported as io_error.
#pragma once

#include "dbvp/fw/dma_pool.h"
#include "dbvp/fw/hal.h"
#include "dbvp/fw/status.h"

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

namespace dbvp::fw {

namespace smmu {
// Registers (page 0; EVTQ_PROD/CONS in page 1)
constexpr std::uint32_t IDR0 = 0x00, IDR1 = 0x04, IDR5 = 0x14, CR0 = 0x20, CR0ACK = 0x24, CR1 = 0x28, CR2 = 0x2c,
                        GBPA = 0x44, IRQ_CTRL = 0x50, IRQ_CTRLACK = 0x54, GERROR = 0x60, GERRORN = 0x64,
                        STRTAB_BASE = 0x80, STRTAB_BASE_CFG = 0x88, CMDQ_BASE = 0x90, CMDQ_PROD = 0x98,
                        CMDQ_CONS = 0x9c, EVTQ_BASE = 0xa0, EVTQ_PROD = 0x100a8, EVTQ_CONS = 0x100ac;
constexpr std::uint32_t IDR0_S1P = 1u << 1;
constexpr unsigned IDR0_TTF_SHIFT = 2;          // [3:2], bit 3 = AArch64
constexpr unsigned IDR0_TTENDIAN_SHIFT = 21;    // [22:21], 0b11 = big-endian only
constexpr unsigned IDR0_ST_LEVEL_SHIFT = 27;    // [28:27], 0b01 = 2-level supported
constexpr std::uint32_t IDR5_GRAN4K = 1u << 4;
constexpr std::uint32_t CR0_SMMUEN = 1u << 0, CR0_EVTQEN = 1u << 2, CR0_CMDQEN = 1u << 3;
constexpr std::uint32_t CR1_WB_ISH = 0xd75;     // queues and tables: inner/outer write-back, inner shareable
constexpr std::uint32_t CR2_RECINVSID = 1u << 1, CR2_PTM = 1u << 2;
constexpr std::uint32_t GBPA_UPDATE = 1u << 31, GBPA_ABORT = 1u << 20;
constexpr std::uint32_t IRQ_CTRL_GERROR = 1u << 0, IRQ_CTRL_EVTQ = 1u << 2;
constexpr std::uint32_t GERROR_CMDQ_ERR = 1u << 0;
constexpr std::uint64_t BASE_RA = 1ull << 62;
constexpr std::uint32_t STRTAB_FMT_2LVL = 1u << 16;
constexpr unsigned STRTAB_SPLIT = 8, STRTAB_SPLIT_SHIFT = 6;
constexpr std::uint32_t Q_OVFLG = 1u << 31;
constexpr unsigned CONS_ERR_SHIFT = 24;
// Commands
constexpr std::uint8_t CMD_CFGI_STE = 0x03, CMD_CFGI_STE_RANGE = 0x04, CMD_CFGI_CD = 0x05, CMD_TLBI_NH_ASID = 0x11,
                       CMD_TLBI_NH_VA = 0x12, CMD_TLBI_NSNH_ALL = 0x30, CMD_SYNC = 0x46;
// Event IDs
constexpr std::uint8_t C_BAD_STREAMID = 0x02, F_STE_FETCH = 0x03, C_BAD_STE = 0x04, F_CD_FETCH = 0x09,
                       C_BAD_CD = 0x0a, F_WALK_EABT = 0x0b, F_TRANSLATION = 0x10, F_ADDR_SIZE = 0x11,
                       F_ACCESS = 0x12, F_PERMISSION = 0x13;
} // namespace smmu

class smmuv3_driver {
public:
    /// One decoded event record.
    struct event {
        std::uint8_t id = 0;              // C_BAD_STREAMID, F_TRANSLATION, ...
        std::uint32_t stream_id = 0;
        bool read = false;                // RnW (translation faults)
        std::uint64_t input_address = 0;  // translation faults and F_WALK_EABT
        std::uint64_t fetch_address = 0;  // F_STE_FETCH, F_CD_FETCH, F_WALK_EABT
        std::array<std::uint64_t, 4> raw{};
    };
    using event_handler = std::function<void(const event&)>;

    static constexpr std::uint64_t linear_max_bytes = 0x10000;
    static constexpr unsigned cmdq_log2 = 8;   // 256 commands (or IDR1.CMDQS if smaller)
    static constexpr unsigned evtq_log2 = 7;   // 128 events (or IDR1.EVENTQS if smaller)
    static constexpr std::uint64_t timeout_ns = 1000000; // command and enable handshakes

    /// `base`: CPU address of the SMMU register pages.
    smmuv3_driver(hal& h, std::uint64_t base) : hal_(h), base_(base) {}

    /// Probe, allocate the stream table and queues from `pool`, enable the SMMU. StreamIDs 0 .. 2^sid_bits - 1
    /// become configurable. not_supported when the SMMU lacks stage 1, AArch64 little-endian tables, the 4 KiB
    /// granule or enough StreamID bits; no_space when the pool is too small; timed_out on a handshake.
    status init(dma_pool& pool, unsigned sid_bits_to_cover);
    /// Disable translation (CR0 = 0 with the handshake); GBPA decides what passes then.
    status disable();

    /// STE of `sid`: bypass, abort (terminated without an event), stage-1 translation of [iova, iova + size) to
    /// [pa, pa + size) (4 KiB aligned; read-only unless `writable`), or invalid again (clear). Each installs the
    /// STE and issues CMD_CFGI_STE (+ TLB invalidation of the stream's ASID when it leaves stage 1) + CMD_SYNC.
    status set_bypass(std::uint32_t sid);
    status set_abort(std::uint32_t sid);
    status set_stage1(std::uint32_t sid, std::uint64_t iova, std::uint64_t pa, std::uint64_t size, bool writable);
    status clear(std::uint32_t sid);
    /// CMD_CFGI_ALL + CMD_TLBI_NSNH_ALL + CMD_SYNC.
    status invalidate_all();

    /// Drain the event queue (EVTQ_CONS follows EVTQ_PROD); acknowledges an overflow (counted in overflows()).
    result<std::vector<event>> read_events();
    /// Handlers for the SMMU's wired interrupts: the event-queue handler drains the queue and hands each event to
    /// `on_event`; the global-error handler acknowledges active errors (counted in global_errors()).
    status request_irqs(unsigned evtq_irq, unsigned gerror_irq, event_handler on_event);

    // What init found and built.
    bool two_level() const { return two_level_; }
    unsigned sid_bits() const { return sid_bits_; }
    std::uint64_t stream_table() const { return strtab_; }
    /// Address of the STE of `sid`, 0 when its level-2 array is not allocated (or sid out of range).
    std::uint64_t ste_address(std::uint32_t sid) const;
    /// Context descriptor and ASID of a stage-1 stream (0 when it is not stage 1).
    std::uint64_t context_descriptor(std::uint32_t sid) const;
    std::uint16_t asid(std::uint32_t sid) const;
    std::uint64_t overflows() const { return overflows_; }
    std::uint64_t global_errors() const { return global_errors_; }

private:
    struct context {
        std::uint64_t cd = 0;
        std::uint64_t root = 0; // level-0 table
        std::uint16_t asid = 0;
    };

    std::uint32_t rd(std::uint32_t off) { return hal_.read32(base_ + off); }
    void wr(std::uint32_t off, std::uint32_t v) { hal_.write32(base_ + off, v); }
    status enable(std::uint32_t bits);
    status wait_ack(std::uint32_t ack_reg, std::uint32_t value, const char* what);
    status command(std::uint64_t d0, std::uint64_t d1 = 0);
    status sync();
    status recover_cmdq_error();
    status take_cmdq_error();
    result<std::uint64_t> ste_slot(std::uint32_t sid, bool& new_l2);
    status install_ste(std::uint32_t sid, std::uint64_t d0, std::uint64_t d1);
    result<std::uint64_t> table(std::uint64_t desc_addr);
    status drop_context(std::uint32_t sid);
    std::uint32_t cmdq_mask() const { return (2u << cmdq_log2_) - 1; }

    hal& hal_;
    std::uint64_t base_;
    dma_pool* pool_ = nullptr;
    bool ready_ = false;
    bool two_level_ = false;
    unsigned sid_bits_ = 0;
    unsigned oas_ = 0; // IDR5.OAS encoding (CD.IPS)
    std::uint64_t strtab_ = 0;
    std::vector<std::uint64_t> l2_; // 2-level: level-2 array per level-1 entry (0 = not allocated)
    std::uint64_t cmdq_ = 0, evtq_ = 0;
    unsigned cmdq_log2_ = 0, evtq_log2_ = 0;
    std::uint32_t cmdq_prod_ = 0;
    std::map<std::uint32_t, context> contexts_;
    std::uint16_t next_asid_ = 1;
    bool draining_ = false;
    status cmdq_error_; // command error recovered by the interrupt handler, reported by the next sync()
    std::uint64_t overflows_ = 0, global_errors_ = 0;
};

} // namespace dbvp::fw
