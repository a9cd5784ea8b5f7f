#include "dwc_iatu.h"

#include "dbvp/util/bits.h"

#include "dbvp/core/report.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace dbvp::pcie::detail {

namespace {
} // namespace

struct dwc_iatu::region {
    dwc_iatu& atu;
    const bool inbound;
    const unsigned index;
    const std::uint32_t low; // read-only low bits (CX_ATU_MIN_REGION_SIZE - 1)
    reg ctrl1, ctrl2, lower_base, upper_base, limit, lower_target, upper_target, upper_limit;
    sc_core::sc_time enable_at;

    region(dwc_iatu& a, bool ib, unsigned idx, std::uint64_t at, const std::string& prefix)
        : atu(a), inbound(ib), index(idx), low(static_cast<std::uint32_t>(a.p_.min_region_size - 1)),
          ctrl1(a.bank_, prefix + "CTRL1", at + CTRL1, 4, 0,
                CTRL1_TYPE | CTRL1_TD | CTRL1_INCREASE_REGION_SIZE | CTRL1_FUNC_NUM),
          ctrl2(a.bank_, prefix + "CTRL2", at + CTRL2, 4, 0,
                CTRL2_ENABLE | CTRL2_BAR_MODE | CTRL2_CFG_SHIFT | CTRL2_INHIBIT_PAYLOAD | CTRL2_FUNC_NUM_MATCH |
                    CTRL2_BAR | CTRL2_MSG_CODE),
          lower_base(a.bank_, prefix + "LOWER_BASE", at + LOWER_BASE, 4, 0, ~low),
          upper_base(a.bank_, prefix + "UPPER_BASE", at + UPPER_BASE, 4, 0, 0xffffffffu),
          limit(a.bank_, prefix + "LIMIT", at + LIMIT, 4, low, ~low),
          lower_target(a.bank_, prefix + "LOWER_TARGET", at + LOWER_TARGET, 4, 0, ~low),
          upper_target(a.bank_, prefix + "UPPER_TARGET", at + UPPER_TARGET, 4, 0, 0xffffffffu),
          upper_limit(a.bank_, prefix + "UPPER_LIMIT", at + UPPER_LIMIT, 4, 0, a.p_.max_region_upper) {
        ctrl2.on_read([this](const access_ctx& ctx) -> std::uint64_t {
            std::uint64_t v = ctrl2.get();
            if ((v & CTRL2_ENABLE) && ctx.time < enable_at)
                v &= ~static_cast<std::uint64_t>(CTRL2_ENABLE);
            return v;
        });
        ctrl2.on_write([this](const reg_write& w) {
            if ((w.new_value & CTRL2_ENABLE) && !(w.old_value & CTRL2_ENABLE)) {
                enable_at = w.ctx.time + atu.p_.enable_delay;
                check_on_enable();
            }
        });
        ctrl1.on_write([this](const reg_write& w) {
            // FUNC_NUM changed under an enabled outbound region: its TLPs change requester from now on.
            if (!inbound && (ctrl2.get() & CTRL2_ENABLE) && ((w.old_value ^ w.new_value) & CTRL1_FUNC_NUM))
                check_function(false, w.new_value);
        });
        lower_base.on_write([this](const reg_write& w) { check_low_zero("LOWER_BASE", w.data); });
        lower_target.on_write([this](const reg_write& w) { check_low_zero("LOWER_TARGET", w.data); });
        limit.on_write([this](const reg_write& w) {
            // Writing 0 is the driver's CX_ATU_MIN_REGION_SIZE detection probe.
            if (w.data != 0 && (w.data & low) != low)
                guest_warning(atu.owner_.c_str(),
                              "%s iATU region %u LIMIT written with 0x%08llx: the low %u bits are read-only ones "
                              "(CX_ATU_MIN_REGION_SIZE 0x%llx), the limit is 0x%08llx",
                              dir(), index, ull(w.data), log2_of(atu.p_.min_region_size),
                              ull(atu.p_.min_region_size), ull(limit.get()));
        });
    }

    const char* dir() const { return inbound ? "inbound" : "outbound"; }
    bool active(const sc_core::sc_time& t) const { return (ctrl2.get() & CTRL2_ENABLE) && t >= enable_at; }
    std::uint64_t base() const { return (upper_base.get() << 32) | lower_base.get(); }
    std::uint64_t limit_address() const {
        const std::uint64_t hi = (ctrl1.get() & CTRL1_INCREASE_REGION_SIZE) ? upper_limit.get() : upper_base.get();
        return (hi << 32) | limit.get();
    }
    std::uint64_t target() const { return (upper_target.get() << 32) | lower_target.get(); }
    unsigned func() const { return static_cast<unsigned>((ctrl1.get() & CTRL1_FUNC_NUM) >> CTRL1_FUNC_SHIFT); }

    void check_low_zero(const char* what, std::uint64_t data) const {
        if (data & low)
            guest_warning(atu.owner_.c_str(),
                          "%s iATU region %u %s written with 0x%08llx: the low %u bits are read-only zero "
                          "(CX_ATU_MIN_REGION_SIZE 0x%llx), the value used is 0x%08llx",
                          dir(), index, what, ull(data), log2_of(atu.p_.min_region_size),
                          ull(atu.p_.min_region_size), ull(data & ~static_cast<std::uint64_t>(low) & 0xffffffffu));
    }

    /// Outbound: CTRL1.FUNC_NUM names a function the controller does not have (warned at enable and when CTRL1
    /// changes FUNC_NUM of an enabled region: once per programming, never per TLP).
    void check_function(bool at_enable, std::uint64_t c1) const {
        const unsigned f = static_cast<unsigned>((c1 & CTRL1_FUNC_NUM) >> CTRL1_FUNC_SHIFT);
        if (f < atu.p_.num_functions)
            return;
        guest_warning(atu.owner_.c_str(),
                      "outbound iATU region %u %s 0x%08llx%s: FUNC_NUM %u, but the controller has %u function%s; "
                      "the region's TLPs carry the requester ID of a function that does not exist",
                      index, at_enable ? "enabled with CTRL1" : "CTRL1 written with", ull(c1),
                      at_enable ? "" : " while enabled", f, atu.p_.num_functions,
                      atu.p_.num_functions == 1 ? "" : "s");
    }

    /// BAR of a BAR-match inbound region (CTRL2.BAR).
    static unsigned bar_of(std::uint64_t c2) { return static_cast<unsigned>((c2 & CTRL2_BAR) >> CTRL2_BAR_SHIFT); }

    /// Warns (once per enable) when an enabled region of the same direction can match a request this one
    /// matches: address ranges that intersect (inbound: unless both match different functions), or two BAR-match
    /// regions for the same BAR (and compatible functions). Behaviour is unchanged: the lowest index translates.
    void check_overlap() const {
        const auto& all = inbound ? atu.ib_ : atu.ob_;
        const std::uint64_t c2 = ctrl2.get();
        const bool bar_mode = inbound && (c2 & CTRL2_BAR_MODE);
        const bool func_match = inbound && (c2 & CTRL2_FUNC_NUM_MATCH);
        const std::uint64_t lo = base(), hi = limit_address();
        const region* first = nullptr;
        unsigned more = 0;
        for (const auto& op : all) {
            const region& o = *op;
            const std::uint64_t oc2 = o.ctrl2.get();
            if (&o == this || !(oc2 & CTRL2_ENABLE) || (o.ctrl1.get() & CTRL1_TYPE) != TYPE_MEM)
                continue;
            if (inbound) {
                if (func_match && (oc2 & CTRL2_FUNC_NUM_MATCH) && o.func() != func())
                    continue;
                if (static_cast<bool>(oc2 & CTRL2_BAR_MODE) != bar_mode)
                    continue; // a BAR-match region against an address range: depends on the BAR's address
            }
            if (bar_mode) {
                if (bar_of(oc2) != bar_of(c2))
                    continue;
            } else {
                const std::uint64_t olo = o.base(), ohi = o.limit_address();
                if (ohi < olo || olo > hi || lo > ohi)
                    continue;
            }
            if (!first)
                first = &o;
            else
                ++more;
        }
        if (!first)
            return;
        char others[48] = "";
        if (more)
            std::snprintf(others, sizeof others, " and %u more enabled region%s", more, more == 1 ? "" : "s");
        const unsigned winner = std::min(index, first->index);
        if (bar_mode)
            guest_warning(atu.owner_.c_str(),
                          "inbound iATU region %u enabled with CTRL2 0x%08llx (BAR-match, BAR%u) overlaps enabled "
                          "region %u (BAR-match, the same BAR)%s; region %u translates the requests both match "
                          "(lowest index first)",
                          index, ull(c2), bar_of(c2), first->index, others, winner);
        else
            guest_warning(atu.owner_.c_str(),
                          "%s iATU region %u enabled with [0x%llx, 0x%llx] (LOWER_BASE 0x%08llx, LIMIT 0x%08llx) "
                          "overlaps enabled region %u [0x%llx, 0x%llx]%s; region %u translates the addresses both "
                          "match (lowest index first)",
                          dir(), index, ull(lo), ull(hi), ull(lower_base.get()), ull(limit.get()), first->index,
                          ull(first->base()), ull(first->limit_address()), others, winner);
    }

    void check_on_enable() const {
        const std::uint32_t c1 = static_cast<std::uint32_t>(ctrl1.get());
        const std::uint32_t c2 = static_cast<std::uint32_t>(ctrl2.get());
        if ((c1 & CTRL1_TYPE) != TYPE_MEM) {
            guest_warning(atu.owner_.c_str(),
                          "%s iATU region %u enabled with TLP type 0x%x: only memory regions (type 0) are "
                          "modelled, the region never matches",
                          dir(), index, c1 & CTRL1_TYPE);
            return;
        }
        if (!inbound)
            check_function(true, c1);
        if (inbound && (c2 & CTRL2_BAR_MODE)) {
            const unsigned bar = (c2 & CTRL2_BAR) >> CTRL2_BAR_SHIFT;
            if (bar > 5) {
                guest_warning(atu.owner_.c_str(),
                              "inbound iATU region %u enabled in BAR-match mode for BAR %u, which does not exist; "
                              "the region never matches",
                              index, bar);
                return;
            }
            const std::uint64_t mask = atu.bar_mask_ ? atu.bar_mask_(func(), bar) : 0;
            if (target() & mask)
                guest_warning(atu.owner_.c_str(),
                              "inbound iATU region %u (BAR-match, function %u BAR%u) target 0x%llx is not aligned "
                              "to the BAR size 0x%llx; the low bits are ignored",
                              index, func(), bar, ull(target()), ull(mask + 1));
            check_overlap();
            return;
        }
        if (limit_address() < base()) {
            guest_warning(atu.owner_.c_str(),
                          "%s iATU region %u enabled with limit 0x%llx below base 0x%llx; the region never matches",
                          dir(), index, ull(limit_address()), ull(base()));
            return;
        }
        check_overlap();
    }
};

dwc_iatu::dwc_iatu(std::string owner, const params& p, bar_mask_fn bar_mask)
    : owner_(std::move(owner)), p_(p), bar_mask_(std::move(bar_mask)),
      bank_("atu", p.window_size, 1u << 4, register_bank::unmapped_policy::raz_wi) {
    if (p_.num_ib < 1 || p_.num_ib > 256 || p_.num_ob < 1 || p_.num_ob > 256)
        throw std::invalid_argument(owner_ + ": iATU window counts must be 1..256");
    if (!is_pow2(p_.min_region_size) || p_.min_region_size < 0x1000 || p_.min_region_size > 0x10000)
        throw std::invalid_argument(owner_ + ": CX_ATU_MIN_REGION_SIZE must be a power of two of 4 KB .. 64 KB");
    if (p_.window_size == 0 || p_.window_size % 4)
        throw std::invalid_argument(owner_ + ": iATU window size must be a non-zero multiple of 4");
    bank_.set_owner(owner_);
    for (unsigned i = 0; i < p_.num_ob; ++i) {
        const std::uint64_t at = i * region_stride;
        if (at + block_size > p_.window_size)
            break;
        ob_.push_back(std::make_unique<region>(*this, false, i, at, "OB" + std::to_string(i) + "."));
    }
    for (unsigned i = 0; i < p_.num_ib; ++i) {
        const std::uint64_t at = i * region_stride + inbound_offset;
        if (at + block_size > p_.window_size)
            break;
        ib_.push_back(std::make_unique<region>(*this, true, i, at, "IB" + std::to_string(i) + "."));
    }
    ib_dec_.reserve(ib_.size()); // rebuilding the decoded copy never allocates
}

dwc_iatu::~dwc_iatu() = default;

const std::vector<dwc_iatu::ib_decoded>& dwc_iatu::inbound_decoded() const {
    if (ib_dec_generation_ == bank_.generation())
        return ib_dec_;
    ib_dec_.clear();
    for (const auto& rp : ib_) {
        const region& r = *rp;
        const std::uint64_t c1 = r.ctrl1.get(), c2 = r.ctrl2.get();
        if (!(c2 & CTRL2_ENABLE) || (c1 & CTRL1_TYPE) != TYPE_MEM)
            continue;
        ib_decoded d;
        d.base = r.base();
        d.limit = r.limit_address();
        d.target = r.target();
        d.enable_at = r.enable_at;
        d.index = r.index;
        d.func = r.func();
        d.bar = static_cast<unsigned>((c2 & CTRL2_BAR) >> CTRL2_BAR_SHIFT);
        d.bar_mode = c2 & CTRL2_BAR_MODE;
        d.func_match = c2 & CTRL2_FUNC_NUM_MATCH;
        ib_dec_.push_back(d);
    }
    ib_all_enabled_at_ = sc_core::SC_ZERO_TIME;
    for (std::size_t j = 0; j < ib_dec_.size(); ++j) {
        ib_decoded& d = ib_dec_[j];
        ib_all_enabled_at_ = std::max(ib_all_enabled_at_, d.enable_at);
        d.unshadowed = true;
        for (std::size_t i = 0; i < j && d.unshadowed; ++i) {
            const ib_decoded& e = ib_dec_[i];
            if (!e.bar_mode && (d.bar_mode || (e.base <= d.limit && d.base <= e.limit)))
                d.unshadowed = false;
        }
    }
    ib_dec_generation_ = bank_.generation();
    return ib_dec_;
}

int dwc_iatu::inbound(unsigned func, unsigned bar, std::uint64_t bar_base, std::uint64_t bar_mask, std::uint64_t addr,
                      const sc_core::sc_time& t, std::uint64_t& target) const {
    // The hardware compares every region at once; the model walks a compact decoded copy of the enabled ones,
    // after trying the region the last lookup of this function and BAR found.
    const std::uint64_t low = p_.min_region_size - 1;
    const std::vector<ib_decoded>& dec = inbound_decoded();
    const bool all_active = t >= ib_all_enabled_at_;
    auto hit = [&](const ib_decoded& r) {
        // BAR-match: the target's low log2(max(BAR size, min region size)) bits are not used.
        target = r.bar_mode ? (r.target & ~(bar_mask | low)) + (addr - bar_base) : r.target + (addr - r.base);
        return static_cast<int>(r.index);
    };
    if (all_active && ib_memo_.generation == ib_dec_generation_ && ib_memo_.func == func && ib_memo_.bar == bar) {
        const ib_decoded& r = dec[ib_memo_.pos];
        if (r.bar_mode || (addr >= r.base && addr <= r.limit))
            return hit(r);
    }
    for (std::size_t i = 0; i < dec.size(); ++i) {
        const ib_decoded& r = dec[i];
        if (t < r.enable_at || (r.func_match && r.func != func))
            continue;
        if (r.bar_mode ? r.bar != bar : (addr < r.base || addr > r.limit))
            continue;
        if (all_active && r.unshadowed)
            ib_memo_ = ib_memo{ib_dec_generation_, func, bar, i};
        return hit(r);
    }
    return -1;
}

bool dwc_iatu::inbound_targets(std::uint64_t lo, std::uint64_t hi, const sc_core::sc_time& t) const {
    const std::uint64_t low = p_.min_region_size - 1;
    for (const auto& rp : ib_) {
        const region& r = *rp;
        if (!r.active(t) || (r.ctrl1.get() & CTRL1_TYPE) != TYPE_MEM)
            continue;
        const std::uint64_t c2 = r.ctrl2.get();
        std::uint64_t first = r.target(), last = 0;
        if (c2 & CTRL2_BAR_MODE) {
            const unsigned func = (c2 & CTRL2_FUNC_NUM_MATCH) ? r.func() : 0;
            const std::uint64_t mask = bar_mask_(func, static_cast<unsigned>((c2 & CTRL2_BAR) >> CTRL2_BAR_SHIFT));
            if (!mask)
                continue;
            first &= ~(mask | low);
            last = first + (mask | low);
        } else {
            if (r.limit_address() < r.base())
                continue;
            last = first + (r.limit_address() - r.base());
        }
        // A target range running past 2^64 - 1 wraps (as the translation does): it then covers [first, max] and
        // [0, last] (found by fuzz_iatu).
        const bool wraps = last < first;
        if (wraps ? (first <= hi || lo <= last) : (first <= hi && lo <= last))
            return true;
    }
    return false;
}

int dwc_iatu::outbound(std::uint64_t addr, const sc_core::sc_time& t, std::uint64_t& target, unsigned& func) const {
    for (const auto& rp : ob_) {
        const region& r = *rp;
        if (!r.active(t) || (r.ctrl1.get() & CTRL1_TYPE) != TYPE_MEM)
            continue;
        const std::uint64_t b = r.base();
        if (addr < b || addr > r.limit_address())
            continue;
        target = r.target() + (addr - b);
        func = r.func();
        return static_cast<int>(r.index);
    }
    return -1;
}

} // namespace dbvp::pcie::detail
