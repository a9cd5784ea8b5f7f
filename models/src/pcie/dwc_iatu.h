// dbvp — DWC PCIe internal address translation unit (iATU), unrolled register layout. Private to dwc_ep.
//
// Region i: outbound block at i * 0x200, inbound block at i * 0x200 + 0x100; every block has the registers
// CTRL1 0x00, CTRL2 0x04, LOWER_BASE 0x08, UPPER_BASE 0x0C, LIMIT 0x10, LOWER_TARGET 0x14, UPPER_TARGET 0x18,
// UPPER_LIMIT 0x20. Only existing regions (index < num_ib / num_ob, block inside the window) are declared; the
// rest of the window reads as zero and ignores writes, which is what the driver's window-count probe relies on.
// CX_ATU_MIN_REGION_SIZE (min_region_size): the low log2(min) bits of LOWER_BASE and LOWER_TARGET are read-only
// zero, of LIMIT read-only one. CTRL2.ENABLE reads back set enable_delay after the write that set it, and the
// region translates from then on.
//
// The lookups (inbound(), outbound()) run on the TLP hot path: they read stored register values only, allocate
// nothing and format nothing.
#pragma once

#include "dbvp/core/regbank.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

namespace dbvp::pcie::detail {

class dwc_iatu {
public:
    // Register offsets inside a region block.
    static constexpr std::uint64_t region_stride = 0x200;
    static constexpr std::uint64_t inbound_offset = 0x100;
    static constexpr std::uint64_t CTRL1 = 0x00, CTRL2 = 0x04, LOWER_BASE = 0x08, UPPER_BASE = 0x0c, LIMIT = 0x10,
                                   LOWER_TARGET = 0x14, UPPER_TARGET = 0x18, UPPER_LIMIT = 0x20;
    static constexpr std::uint64_t block_size = 0x24; // bytes of a block covered by registers
    // CTRL1 fields.
    static constexpr std::uint32_t CTRL1_TYPE = 0x1f;
    static constexpr std::uint32_t CTRL1_TD = 1u << 8;
    static constexpr std::uint32_t CTRL1_INCREASE_REGION_SIZE = 1u << 13;
    static constexpr unsigned CTRL1_FUNC_SHIFT = 20;
    static constexpr std::uint32_t CTRL1_FUNC_NUM = 0x7u << CTRL1_FUNC_SHIFT;
    static constexpr std::uint32_t TYPE_MEM = 0x0;
    // CTRL2 fields.
    static constexpr std::uint32_t CTRL2_ENABLE = 1u << 31;
    static constexpr std::uint32_t CTRL2_BAR_MODE = 1u << 30;
    static constexpr std::uint32_t CTRL2_CFG_SHIFT = 1u << 28;
    static constexpr std::uint32_t CTRL2_INHIBIT_PAYLOAD = 1u << 22;
    static constexpr std::uint32_t CTRL2_FUNC_NUM_MATCH = 1u << 19;
    static constexpr unsigned CTRL2_BAR_SHIFT = 8;
    static constexpr std::uint32_t CTRL2_BAR = 0x7u << CTRL2_BAR_SHIFT;
    static constexpr std::uint32_t CTRL2_MSG_CODE = 0xff;

    struct params {
        unsigned num_ib = 16;
        unsigned num_ob = 16;
        std::uint64_t window_size = 0x20000;
        std::uint64_t min_region_size = 0x10000;
        std::uint32_t max_region_upper = 0;
        sc_core::sc_time enable_delay;
        unsigned num_functions = 8; // functions of the controller (outbound CTRL1.FUNC_NUM beyond them warns)
    };
    /// Mask (size - 1) of BAR `bar` of function `func`, 0 when the BAR is disabled (for enable-time checks).
    using bar_mask_fn = std::function<std::uint64_t(unsigned func, unsigned bar)>;

    /// `owner` names the controller in warnings. Throws std::invalid_argument on bad parameters.
    dwc_iatu(std::string owner, const params& p, bar_mask_fn bar_mask);
    ~dwc_iatu();
    dwc_iatu(const dwc_iatu&) = delete;
    dwc_iatu& operator=(const dwc_iatu&) = delete;

    register_bank& bank() { return bank_; }
    /// Regions that exist (declared registers) per direction.
    unsigned inbound_regions() const { return static_cast<unsigned>(ib_.size()); }
    unsigned outbound_regions() const { return static_cast<unsigned>(ob_.size()); }

    /// Inbound memory request at PCIe address `addr` that hit BAR `bar` (base `bar_base`, mask `bar_mask`) of
    /// function `func`, at absolute time `t`. Returns the matching region index and sets `target`, or -1.
    int inbound(unsigned func, unsigned bar, std::uint64_t bar_base, std::uint64_t bar_mask, std::uint64_t addr,
                const sc_core::sc_time& t, std::uint64_t& target) const;
    /// True when an inbound region active at `t` translates some address into [lo, hi] (a BAR-match region covers
    /// its BAR's size, per bar_mask_fn, of the function it matches, else function 0).
    bool inbound_targets(std::uint64_t lo, std::uint64_t hi, const sc_core::sc_time& t) const;
    /// Outbound request at CPU address `addr` at absolute time `t`. Returns the region index and sets `target`
    /// and `func` (CTRL1.FUNC_NUM), or -1.
    int outbound(std::uint64_t addr, const sc_core::sc_time& t, std::uint64_t& target, unsigned& func) const;

private:
    struct region;
    /// An enabled inbound memory region as inbound() needs it, decoded from its registers.
    struct ib_decoded {
        std::uint64_t base = 0, limit = 0, target = 0;
        sc_core::sc_time enable_at;
        unsigned index = 0, func = 0, bar = 0;
        bool bar_mode = false, func_match = false;
        // No lower region can match where this one does, for the same function and BAR: an address-match
        // region whose range no lower address-match region intersects, a BAR-match region with no lower
        // address-match region at all (lower BAR-match regions depend on the function and BAR only).
        bool unshadowed = false;
    };
    /// The enabled inbound memory regions in index order, rebuilt when the register bank changed.
    const std::vector<ib_decoded>& inbound_decoded() const;
    mutable std::vector<ib_decoded> ib_dec_;
    mutable std::uint64_t ib_dec_generation_ = ~0ull;
    mutable sc_core::sc_time ib_all_enabled_at_; // every decoded region is active from then on
    // The last lookup's hit, reused for the same function and BAR when the region is unshadowed and every region
    // is active: the result the walk would give (tests/models/test_iatu.cpp checks it against the walk).
    struct ib_memo {
        std::uint64_t generation = ~0ull;
        unsigned func = 0, bar = 0;
        std::size_t pos = 0; // in ib_dec_
    };
    mutable ib_memo ib_memo_;

    std::string owner_;
    params p_;
    bar_mask_fn bar_mask_;
    register_bank bank_;
    std::vector<std::unique_ptr<region>> ob_;
    std::vector<std::unique_ptr<region>> ib_;
};

} // namespace dbvp::pcie::detail
