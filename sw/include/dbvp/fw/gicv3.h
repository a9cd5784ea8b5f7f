// dbvp firmware — Arm GICv3 driver (distributor + the boot CPU's redistributor) and ITS driver.
//
// Plain C++: the hardware is reached only through fw::hal (MMIO, time); memory for the LPI tables, the ITS tables
// and the command queue comes from a dma_pool (zeroed, seen by the GIC at the same physical address).
//
// gicv3_driver::init() does what Linux does at boot, in the same order: distributor disabled, every SPI Group 1,
// disabled, inactive, not pending, priority 0xa0, level-triggered, routed to PE 0 (affinity 0.0.0.0); distributor
// enabled with ARE + EnableGrp1; redistributor woken (GICR_WAKER.ProcessorSleep = 0, wait ChildrenAsleep = 0);
// SGIs/PPIs Group 1, disabled, priority 0xa0; LPI configuration table (2^bits - 8192 bytes, 4 KiB aligned,
// every LPI disabled at priority 0xa0) and pending table (2^bits / 8 bytes, 64 KiB aligned, zero: PTZ),
// GICR_PROPBASER / GICR_PENDBASER, GICR_CTLR.EnableLPIs.
// The CPU interface (ICC_IAR1_EL1 / ICC_EOIR1_EL1) is a system-register interface, not MMIO: it is not here.
//
// its_driver::init() reads GITS_TYPER, finds the Device and Collection tables among GITS_BASER<n> by their Type,
// picks the table page size (the one asked for, else the next smaller one the ITS accepts), allocates a flat
// device table for 2^device_bits DeviceIDs — or a two-level one (level-2 pages allocated by map_device) when the
// flat table would exceed 256 pages or when asked — a collection table and a 64 KiB command queue, programs
// GITS_CBASER / GITS_CWRITER / GITS_BASER<n>, enables the ITS, maps collection 0 to processor 0 and SYNCs.
// Commands: each is written as 32 bytes at GITS_CWRITER, CWRITER is advanced (wrapping), and the driver waits
// until GITS_CREADR reaches it (timeout: timeout_ns of simulated CPU time). A stalled queue (GITS_CREADR.Stalled)
// is reported as io_error naming the command; resume() restarts it (GITS_CWRITER.Retry).
#pragma once

#include "dbvp/fw/dma_pool.h"
#include "dbvp/fw/hal.h"
#include "dbvp/fw/status.h"

#include <array>
#include <cstdint>
#include <map>
#include <vector>

namespace dbvp::fw {

namespace gic {
// Distributor.
constexpr std::uint32_t GICD_CTLR = 0x0000, GICD_TYPER = 0x0004, GICD_IIDR = 0x0008, GICD_IGROUPR = 0x0080,
                        GICD_ISENABLER = 0x0100, GICD_ICENABLER = 0x0180, GICD_ISPENDR = 0x0200,
                        GICD_ICPENDR = 0x0280, GICD_ISACTIVER = 0x0300, GICD_ICACTIVER = 0x0380,
                        GICD_IPRIORITYR = 0x0400, GICD_ICFGR = 0x0c00, GICD_IROUTER = 0x6000, GICD_PIDR2 = 0xffe8;
constexpr std::uint32_t GICD_CTLR_ENABLE_G1 = 1u << 1, GICD_CTLR_ARE = 1u << 4, GICD_CTLR_RWP = 1u << 31;
constexpr std::uint32_t GICD_TYPER_LPIS = 1u << 17;
// Redistributor RD_base.
constexpr std::uint32_t GICR_CTLR = 0x0000, GICR_TYPER = 0x0008, GICR_WAKER = 0x0014, GICR_PROPBASER = 0x0070,
                        GICR_PENDBASER = 0x0078, GICR_INVLPIR = 0x00a0, GICR_INVALLR = 0x00b0, GICR_SYNCR = 0x00c0,
                        GICR_PIDR2 = 0xffe8;
constexpr std::uint32_t GICR_CTLR_ENABLE_LPIS = 1u << 0, GICR_CTLR_RWP = 1u << 3;
constexpr std::uint64_t GICR_TYPER_PLPIS = 1ull << 0;
constexpr std::uint32_t GICR_WAKER_PROCESSOR_SLEEP = 1u << 1, GICR_WAKER_CHILDREN_ASLEEP = 1u << 2;
constexpr std::uint64_t GICR_PENDBASER_PTZ = 1ull << 62;
constexpr std::uint64_t GICR_BASER_INNER_SHAREABLE = 1ull << 10, GICR_BASER_RAWAWB = 7ull << 7;
// Redistributor SGI_base.
constexpr std::uint32_t GICR_SGI_BASE = 0x10000;
constexpr std::uint32_t GICR_IGROUPR0 = GICR_SGI_BASE + 0x0080, GICR_ISENABLER0 = GICR_SGI_BASE + 0x0100,
                        GICR_ICENABLER0 = GICR_SGI_BASE + 0x0180, GICR_ICACTIVER0 = GICR_SGI_BASE + 0x0380,
                        GICR_IPRIORITYR = GICR_SGI_BASE + 0x0400, GICR_ICFGR1 = GICR_SGI_BASE + 0x0c04;
// LPIs.
constexpr unsigned FIRST_LPI = 8192;
constexpr std::uint8_t LPI_PROP_ENABLED = 1u << 0, LPI_PROP_GROUP1 = 1u << 1; // bit 1: RES1 (Linux sets it)
constexpr unsigned DEFAULT_PRIORITY = 0xa0;

// ITS (facts 8.1).
constexpr std::uint32_t GITS_CTLR = 0x0000, GITS_IIDR = 0x0004, GITS_TYPER = 0x0008, GITS_CBASER = 0x0080,
                        GITS_CWRITER = 0x0088, GITS_CREADR = 0x0090, GITS_BASER = 0x0100, GITS_PIDR2 = 0xffe8,
                        GITS_TRANSLATER = 0x10040;
constexpr std::uint32_t GITS_CTLR_ENABLE = 1u << 0, GITS_CTLR_QUIESCENT = 1u << 31;
constexpr std::uint64_t GITS_CBASER_VALID = 1ull << 63;
constexpr std::uint64_t GITS_CWRITER_RETRY = 1ull << 0, GITS_CREADR_STALLED = 1ull << 0;
constexpr std::uint64_t GITS_BASER_VALID = 1ull << 63, GITS_BASER_INDIRECT = 1ull << 62;
constexpr unsigned GITS_BASER_TYPE_SHIFT = 56, GITS_BASER_ENTRY_SHIFT = 48, GITS_BASER_PAGE_SHIFT = 8;
constexpr std::uint64_t GITS_BASER_TYPE_DEVICE = 1, GITS_BASER_TYPE_COLLECTION = 4;
constexpr std::uint64_t GITS_LVL1_VALID = 1ull << 63;
constexpr std::uint64_t ITS_QUEUE_BYTES = 0x10000; // 64 KiB, 2048 commands (Linux ITS_CMD_QUEUE_SZ)

/// One ITS command: four little-endian 64-bit words (facts 8.2).
using its_command = std::array<std::uint64_t, 4>;
enum its_opcode : std::uint8_t {
    ITS_MOVI = 0x01, ITS_INT = 0x03, ITS_CLEAR = 0x04, ITS_SYNC = 0x05, ITS_MAPD = 0x08, ITS_MAPC = 0x09,
    ITS_MAPTI = 0x0a, ITS_MAPI = 0x0b, ITS_INV = 0x0c, ITS_INVALL = 0x0d, ITS_MOVALL = 0x0e, ITS_DISCARD = 0x0f,
};
constexpr std::uint64_t cmd_dw0(std::uint8_t op, std::uint32_t device_id = 0) {
    return op | (static_cast<std::uint64_t>(device_id) << 32);
}
/// MAPD: size_minus_1 = EventID bits - 1, itt 256-byte aligned.
constexpr its_command cmd_mapd(std::uint32_t device_id, unsigned size_minus_1, std::uint64_t itt, bool valid) {
    return {cmd_dw0(ITS_MAPD, device_id), size_minus_1 & 0x1fu,
            (itt & 0x000fffffffffff00ull) | (valid ? 1ull << 63 : 0), 0};
}
/// MAPC: processor number as RDbase (GITS_TYPER.PTA = 0).
constexpr its_command cmd_mapc(unsigned icid, std::uint64_t processor, bool valid) {
    return {cmd_dw0(ITS_MAPC), 0, (icid & 0xffffu) | ((processor << 16) & 0x000fffffffff0000ull) |
                                      (valid ? 1ull << 63 : 0), 0};
}
constexpr its_command cmd_mapti(std::uint32_t device_id, std::uint32_t event_id, unsigned intid, unsigned icid) {
    return {cmd_dw0(ITS_MAPTI, device_id), event_id | (static_cast<std::uint64_t>(intid) << 32), icid & 0xffffu, 0};
}
constexpr its_command cmd_mapi(std::uint32_t device_id, std::uint32_t event_id, unsigned icid) {
    return {cmd_dw0(ITS_MAPI, device_id), event_id, icid & 0xffffu, 0};
}
/// INT, CLEAR, INV, DISCARD: (DeviceID, EventID).
constexpr its_command cmd_event(its_opcode op, std::uint32_t device_id, std::uint32_t event_id) {
    return {cmd_dw0(op, device_id), event_id, 0, 0};
}
constexpr its_command cmd_movi(std::uint32_t device_id, std::uint32_t event_id, unsigned icid) {
    return {cmd_dw0(ITS_MOVI, device_id), event_id, icid & 0xffffu, 0};
}
constexpr its_command cmd_invall(unsigned icid) { return {cmd_dw0(ITS_INVALL), 0, icid & 0xffffu, 0}; }
constexpr its_command cmd_sync(std::uint64_t processor) {
    return {cmd_dw0(ITS_SYNC), 0, (processor << 16) & 0x000fffffffff0000ull, 0};
}
constexpr its_command cmd_movall(std::uint64_t from, std::uint64_t to) {
    return {cmd_dw0(ITS_MOVALL), 0, (from << 16) & 0x000fffffffff0000ull, (to << 16) & 0x000fffffffff0000ull};
}
const char* its_command_name(std::uint8_t opcode);
} // namespace gic

/// Distributor and the boot CPU's redistributor (processor 0).
class gicv3_driver {
public:
    gicv3_driver(hal& h, std::uint64_t gicd_base, std::uint64_t gicr_base)
        : hal_(h), gicd_(gicd_base), gicr_(gicr_base) {}

    /// Boot-time set-up (see the file comment). lpi_id_bits: INTID bits for LPIs, 14..24, capped at
    /// GICD_TYPER.IDbits + 1; 0 leaves LPIs off. Errors: no_device (not a GICv3/v4), not_supported (no LPIs),
    /// busy (EnableLPIs already set), timed_out (WAKER / RWP), no_space (pool), io_error (read-back mismatch).
    status init(dma_pool& pool, unsigned lpi_id_bits = 16);

    /// SPI INTID 32..: trigger mode and priority (0..255). Disables the SPI around the change if it was enabled.
    status configure_spi(unsigned intid, bool edge, unsigned priority);
    /// Priority (0..255) of an SGI, PPI or SPI.
    status set_priority(unsigned intid, unsigned priority);
    /// Enable / disable an SGI, PPI (GICR_IS/ICENABLER0) or SPI (GICD_IS/ICENABLER); LPIs: use set_lpi().
    status enable(unsigned intid);
    status disable(unsigned intid);
    /// An SGI, PPI or SPI is enabled (false for anything else).
    bool is_enabled(unsigned intid);
    /// Writes LPI intid's configuration byte (enable bit, priority bits [7:2]: priority must be a multiple of 4)
    /// in the GICR_PROPBASER table. The redistributor sees it after an invalidation: ITS INV (its_driver::inv)
    /// or inv_lpi() here.
    status set_lpi(unsigned intid, bool enable, unsigned priority);
    /// GICR_INVLPIR / GICR_INVALLR, then wait until GICR_SYNCR is idle.
    status inv_lpi(unsigned intid);
    status inv_all_lpis();

    unsigned num_spis() const { return num_spis_; }
    unsigned lpi_id_bits() const { return lpi_bits_; }
    std::uint64_t prop_table() const { return prop_; }
    std::uint64_t pend_table() const { return pend_; }
    void set_timeout_ns(std::uint64_t ns) { timeout_ns_ = ns; }

private:
    status wait_clear(std::uint64_t addr, std::uint32_t mask, const char* what);
    status check_spi(unsigned intid) const;

    hal& hal_;
    std::uint64_t gicd_, gicr_;
    unsigned num_spis_ = 0;
    unsigned lpi_bits_ = 0;
    std::uint64_t prop_ = 0, pend_ = 0;
    std::uint64_t timeout_ns_ = 1000000; // 1 ms of simulated CPU time
    bool ready_ = false;
};

/// What its_driver::init() allocates.
struct its_options {
    unsigned device_bits = 0;          // DeviceIDs 0 .. 2^device_bits - 1 (0: all of GITS_TYPER.Devbits + 1)
    std::uint64_t page_size = 0x10000; // table page size tried first: 0x1000, 0x4000 or 0x10000
    bool two_level = false;            // two-level device table even when a flat one would fit in 256 pages
    unsigned collections = 16;         // collection table entries (collection 0 is mapped to processor 0)
};

/// A device mapped by its_driver::map_device().
struct its_device {
    std::uint32_t device_id = 0;
    unsigned num_events = 0; // EventIDs 0 .. num_events - 1 (power of two, at least 32)
    std::uint64_t itt = 0;   // ITT physical address
};

class its_driver {
public:
    its_driver(hal& h, std::uint64_t its_base) : hal_(h), base_(its_base) {}

    /// See the file comment. Errors: no_device (ID registers, no Device/Collection BASER), not_supported (no
    /// physical LPIs, page size or two-level table refused), no_space (pool, table too large), timed_out,
    /// io_error (a register did not take its value, a command stalled).
    status init(dma_pool& pool, const its_options& opt = {});

    /// MAPD with an ITT for max(32, next power of two of num_events) events (as Linux does). Allocates the
    /// level-2 device table page first when the table is two-level. Errors: out_of_range (DeviceID, events),
    /// busy (already mapped), no_space, command errors.
    result<its_device> map_device(std::uint32_t device_id, unsigned num_events);
    /// MAPD V=0 (the ITT memory is kept and reused if the DeviceID is mapped again with no more events).
    status unmap_device(std::uint32_t device_id);
    /// MAPTI (DeviceID, EventID) -> LPI intid in collection `collection`, then SYNC.
    status map_event(std::uint32_t device_id, std::uint32_t event_id, unsigned intid, unsigned collection = 0);
    /// DISCARD + SYNC.
    status unmap_event(std::uint32_t device_id, std::uint32_t event_id);
    /// INV + SYNC (after gicv3_driver::set_lpi()).
    status inv(std::uint32_t device_id, std::uint32_t event_id);
    /// INVALL + SYNC.
    status inv_all(unsigned collection = 0);
    /// INT + SYNC: make the event's LPI pending as a device write would.
    status trigger(std::uint32_t device_id, std::uint32_t event_id);
    /// CLEAR + SYNC.
    status clear(std::uint32_t device_id, std::uint32_t event_id);
    /// MOVI + SYNC.
    status move_event(std::uint32_t device_id, std::uint32_t event_id, unsigned collection);
    /// MAPC (collection -> processor, valid) + SYNC.
    status map_collection(unsigned collection, unsigned processor, bool valid = true);
    /// SYNC for processor 0.
    status sync();
    /// Any command: queue it and wait for completion. `name` appears in error messages.
    status submit(const gic::its_command& cmd, const char* name);
    /// Restart a stalled queue (GITS_CWRITER.Retry) and wait until it drains.
    status resume();

    /// Where devices write EventIDs: ITS_base + 0x10040.
    std::uint64_t translater_address() const { return base_ + gic::GITS_TRANSLATER; }

    // What init() found / chose.
    unsigned device_bits() const { return device_bits_; }
    unsigned event_bits() const { return event_bits_; }
    unsigned collection_bits() const { return collection_bits_; }
    unsigned itt_entry_size() const { return ite_size_; }
    std::uint64_t page_size() const { return page_; }
    bool two_level() const { return two_level_; }
    std::uint64_t device_table() const { return dev_table_; }
    std::uint64_t collection_table() const { return coll_table_; }
    std::uint64_t command_queue() const { return queue_; }
    void set_timeout_ns(std::uint64_t ns) { timeout_ns_ = ns; }

private:
    status wait_done(const char* name);
    status find_tables();
    result<std::uint64_t> probe_page(unsigned n, std::uint64_t want);
    status program_baser(unsigned n, std::uint64_t pa, std::uint64_t pages, bool indirect);
    status ensure_l2(std::uint32_t device_id);

    hal& hal_;
    std::uint64_t base_;
    dma_pool* pool_ = nullptr;
    bool ready_ = false;
    unsigned device_bits_ = 0, event_bits_ = 0, collection_bits_ = 0, ite_size_ = 0, collections_ = 0;
    int dev_baser_ = -1, coll_baser_ = -1;
    unsigned dev_esz_ = 8, coll_esz_ = 8;
    std::uint64_t page_ = 0;
    bool two_level_ = false;
    std::uint64_t dev_table_ = 0, coll_table_ = 0, queue_ = 0;
    std::uint64_t cwriter_ = 0;
    std::uint64_t timeout_ns_ = 1000000; // 1 ms of simulated CPU time
    std::map<std::uint32_t, its_device> devices_;   // mapped
    std::map<std::uint32_t, its_device> unmapped_;  // ITTs kept for reuse
    std::vector<unsigned> coll_proc_;               // collection -> processor (~0u: unmapped)
};

} // namespace dbvp::fw
