// fuzz_iatu — the DWC iATU model (models/src/pcie/dwc_iatu.{h,cpp}, private to dwc_ep): geometry, register
// programming (bus and debug accesses, raw offsets, bad sizes) and a stream of inbound / outbound lookups and
// inbound_targets() queries, from the input (layout: fuzz_format.h, iatu_fmt).
//
// dwc_iatu is not an sc_module: a fresh one is built for every input (no simulation; the input advances the time
// the accesses and lookups are made at).
//
// Oracle (besides crashes, UB, leaks, SystemC errors and exceptions), from docs/models/dwc_ep.md and regbank.h.
// The harness keeps a shadow of every register (reset values checked, then each write's read-back) and of the
// enable handshake (CTRL2.ENABLE reads back and the region translates from the bus write that set it +
// enable_delay on; rewriting it while set keeps the time; a debug write stores the bit without handshake):
//   * geometry: the model declares exactly the regions whose block fits in the window (index < num_ib / num_ob);
//     offsets that are no register of such a region read 0 and ignore writes;
//   * access rules: a 4-byte aligned access inside the window is OK, another size or alignment is
//     TLM_GENERIC_ERROR_RESPONSE, beyond the window TLM_ADDRESS_ERROR_RESPONSE; a bus write changes exactly the
//     register's writable bits (CTRL1 TYPE/TD/INCREASE/FUNC, CTRL2's fields, LOWER_BASE/LOWER_TARGET/LIMIT above
//     the CX_ATU_MIN_REGION_SIZE bits, UPPER_LIMIT the bits of max_region_upper), a debug write all of them;
//     every read returns the shadow's value (ENABLE per the handshake at the read's time);
//   * inbound(): the region and target equal a reference first match over the shadow (lowest index first; enabled
//     at the lookup time; memory type; function match; BAR-match: same BAR, target with its low log2(max(BAR
//     size, min region)) bits cleared plus the offset in the BAR; address-match: base <= addr <= limit, limit from
//     UPPER_LIMIT with INCREASE_REGION_SIZE, target + (addr - base)), and an address-match target lies inside the
//     region's target range;
//   * outbound(): the same first match over the outbound regions, and CTRL1.FUNC_NUM;
//   * inbound_targets(lo, hi): true exactly when some active inbound memory region translates an address into
//     [lo, hi] (reference over the regions' target ranges, computed without overflow), and in particular true for
//     every address inbound() just translated to (when the BAR sizes do not depend on the function, the
//     approximation dwc_iatu.h documents).
#include "fuzz_common.h"
#include "fuzz_format.h"

#include "pcie/dwc_iatu.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <exception>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

DBVP_FUZZ_SC_MAIN

namespace {

using namespace dbvp::fuzz::iatu_fmt;
using dbvp::access_ctx;
using dbvp::fuzz::fail;
using dbvp::fuzz::reader;
using dbvp::pcie::detail::dwc_iatu;
using sc_core::sc_time;
using ull = unsigned long long;

constexpr std::uint64_t REG_OFFSETS[8] = {dwc_iatu::CTRL1,        dwc_iatu::CTRL2,       dwc_iatu::LOWER_BASE,
                                          dwc_iatu::UPPER_BASE,   dwc_iatu::LIMIT,       dwc_iatu::LOWER_TARGET,
                                          dwc_iatu::UPPER_TARGET, dwc_iatu::UPPER_LIMIT};
constexpr std::uint32_t CTRL1_W = dwc_iatu::CTRL1_TYPE | dwc_iatu::CTRL1_TD | dwc_iatu::CTRL1_INCREASE_REGION_SIZE |
                                  dwc_iatu::CTRL1_FUNC_NUM;
constexpr std::uint32_t CTRL2_W = dwc_iatu::CTRL2_ENABLE | dwc_iatu::CTRL2_BAR_MODE | dwc_iatu::CTRL2_CFG_SHIFT |
                                  dwc_iatu::CTRL2_INHIBIT_PAYLOAD | dwc_iatu::CTRL2_FUNC_NUM_MATCH |
                                  dwc_iatu::CTRL2_BAR | dwc_iatu::CTRL2_MSG_CODE;

struct regs {
    std::uint64_t c1 = 0, c2 = 0, lb = 0, ub = 0, lim = 0, lt = 0, ut = 0, ul = 0;
    std::uint64_t base() const { return (ub << 32) | lb; }
    std::uint64_t limit() const { return (((c1 & dwc_iatu::CTRL1_INCREASE_REGION_SIZE) ? ul : ub) << 32) | lim; }
    std::uint64_t target() const { return (ut << 32) | lt; }
    unsigned func() const { return static_cast<unsigned>((c1 & dwc_iatu::CTRL1_FUNC_NUM) >> dwc_iatu::CTRL1_FUNC_SHIFT); }
    unsigned bar() const { return static_cast<unsigned>((c2 & dwc_iatu::CTRL2_BAR) >> dwc_iatu::CTRL2_BAR_SHIFT); }
    bool active() const { return (c2 & dwc_iatu::CTRL2_ENABLE) && (c1 & dwc_iatu::CTRL1_TYPE) == dwc_iatu::TYPE_MEM; }
};

struct harness {
    dwc_iatu::params p;
    std::uint64_t masks[8][6] = {};
    unsigned nib = 0, nob = 0; // regions that must exist
    struct shadow {
        std::uint64_t r[8] = {}; // stored values (CTRL2 without ENABLE)
        bool enabled = false;    // CTRL2.ENABLE stored
        sc_time enable_at;       // handshake: translates from then on
    };
    std::vector<shadow> ib_s, ob_s;
    bool masks_per_function = false;
    sc_time now;
    std::unique_ptr<dwc_iatu> atu;

    std::uint64_t low() const { return p.min_region_size - 1; }
    std::uint64_t block(bool ib, unsigned i) const {
        return i * dwc_iatu::region_stride + (ib ? dwc_iatu::inbound_offset : 0);
    }
    std::uint64_t bar_mask(unsigned f, unsigned b) const { return f < 8 && b < 6 ? masks[f][b] : 0; }

    tlm::tlm_response_status access(tlm::tlm_command cmd, std::uint64_t off, std::uint64_t& v, unsigned len,
                                    bool debug) {
        access_ctx ctx;
        ctx.time = now;
        ctx.debug = debug;
        unsigned char b[8] = {};
        std::memcpy(b, &v, std::min(len, 8u));
        const auto rsp = atu->bank().access(cmd, off, b, len, ctx);
        if (cmd == tlm::TLM_READ_COMMAND) {
            v = 0;
            std::memcpy(&v, b, std::min(len, 8u));
        }
        return rsp;
    }
    std::uint64_t peek(std::uint64_t off) {
        std::uint64_t v = 0;
        if (access(tlm::TLM_READ_COMMAND, off, v, 4, true) != tlm::TLM_OK_RESPONSE)
            fail("debug read of iATU offset 0x%llx inside the window failed", static_cast<ull>(off));
        return v;
    }
    /// The registers of region i as the driver would read them at `now`, from the shadow of the stored values
    /// (kept from every write's read-back) and the handshake rule: ENABLE reads back (and the region translates)
    /// from the bus write that set it + enable_delay on; a debug write stores the bit without a handshake.
    regs read_region(bool ib, unsigned i) const {
        const shadow& s = (ib ? ib_s : ob_s)[i];
        regs r;
        r.c1 = s.r[0];
        r.c2 = s.r[1] & ~static_cast<std::uint64_t>(dwc_iatu::CTRL2_ENABLE);
        if (s.enabled && now >= s.enable_at)
            r.c2 |= dwc_iatu::CTRL2_ENABLE;
        r.lb = s.r[2];
        r.ub = s.r[3];
        r.lim = s.r[4];
        r.lt = s.r[5];
        r.ut = s.r[6];
        r.ul = s.r[7];
        return r;
    }
    std::uint64_t shadow_value(bool ib, unsigned i, unsigned k) const {
        const regs r = read_region(ib, i);
        const std::uint64_t v[8] = {r.c1, r.c2, r.lb, r.ub, r.lim, r.lt, r.ut, r.ul};
        return v[k];
    }
    void init_shadow() {
        ib_s.assign(nib, shadow{});
        ob_s.assign(nob, shadow{});
        for (bool ib : {false, true}) {
            const unsigned n = ib ? nib : nob;
            for (unsigned i = 0; i < n; ++i) {
                auto& s = (ib ? ib_s : ob_s)[i];
                s.r[4] = low(); // LIMIT resets to min - 1, every other register to 0
                if (i > 2 && i + 1 != n)
                    continue; // reset values checked on the first, second, third and last region
                for (unsigned k = 0; k < 8; ++k) {
                    const std::uint64_t v = peek(block(ib, i) + REG_OFFSETS[k]);
                    if (v != s.r[k])
                        fail("%s iATU region %u register %u resets to 0x%llx, expected 0x%llx",
                             ib ? "inbound" : "outbound", i, k, static_cast<ull>(v), static_cast<ull>(s.r[k]));
                }
            }
        }
    }
    std::uint64_t writable(unsigned reg_index) const {
        switch (reg_index) {
        case 0: return CTRL1_W;
        case 1: return CTRL2_W;
        case 2:
        case 5: return 0xffffffffull & ~low();
        case 4: return 0xffffffffull & ~low();
        case 7: return p.max_region_upper;
        default: return 0xffffffffull;
        }
    }

    // ---- Reference lookups -------------------------------------------------------------------------------------
    int ref_inbound(unsigned func, unsigned bar, std::uint64_t bar_base, std::uint64_t mask, std::uint64_t addr,
                    std::uint64_t& target) {
        for (unsigned i = 0; i < nib; ++i) {
            const regs r = read_region(true, i);
            if (!r.active())
                continue;
            if ((r.c2 & dwc_iatu::CTRL2_FUNC_NUM_MATCH) && r.func() != func)
                continue;
            if (r.c2 & dwc_iatu::CTRL2_BAR_MODE) {
                if (r.bar() != bar)
                    continue;
                target = (r.target() & ~(mask | low())) + (addr - bar_base);
                return static_cast<int>(i);
            }
            if (addr < r.base() || addr > r.limit())
                continue;
            target = r.target() + (addr - r.base());
            return static_cast<int>(i);
        }
        return -1;
    }
    int ref_outbound(std::uint64_t addr, std::uint64_t& target, unsigned& func) {
        for (unsigned i = 0; i < nob; ++i) {
            const regs r = read_region(false, i);
            if (!r.active() || addr < r.base() || addr > r.limit())
                continue;
            target = r.target() + (addr - r.base());
            func = r.func();
            return static_cast<int>(i);
        }
        return -1;
    }
    /// Does the closed range [first, first + span] (which may pass 2^64 - 1) meet [lo, hi]?
    static bool meets(std::uint64_t first, std::uint64_t span, std::uint64_t lo, std::uint64_t hi) {
        const std::uint64_t last = first + span;
        if (last >= first)
            return first <= hi && lo <= last;
        return first <= hi || lo <= last; // [first, 2^64 - 1] and [0, last]
    }
    bool ref_targets(std::uint64_t lo, std::uint64_t hi, bool& wrapped) {
        bool hit = false;
        wrapped = false;
        for (unsigned i = 0; i < nib; ++i) {
            const regs r = read_region(true, i);
            if (!r.active())
                continue;
            std::uint64_t first = r.target(), span = 0;
            if (r.c2 & dwc_iatu::CTRL2_BAR_MODE) {
                const unsigned f = (r.c2 & dwc_iatu::CTRL2_FUNC_NUM_MATCH) ? r.func() : 0;
                const std::uint64_t m = bar_mask(f, r.bar());
                if (!m)
                    continue;
                first &= ~(m | low());
                span = m | low();
            } else {
                if (r.limit() < r.base())
                    continue;
                span = r.limit() - r.base();
            }
            wrapped = wrapped || first + span < first;
            hit = hit || meets(first, span, lo, hi);
        }
        return hit;
    }

    // ---- Ops -----------------------------------------------------------------------------------------------
    void check_access(tlm::tlm_response_status rsp, std::uint64_t off, unsigned len, bool debug) {
        tlm::tlm_response_status want = tlm::TLM_OK_RESPONSE;
        if (len != 4 || off % 4)
            want = tlm::TLM_GENERIC_ERROR_RESPONSE;
        else if (off + len > p.window_size)
            want = tlm::TLM_ADDRESS_ERROR_RESPONSE;
        if (rsp != want)
            fail("%s%u-byte access at iATU offset 0x%llx (window 0x%llx): response %d, expected %d",
                 debug ? "debug " : "", len, static_cast<ull>(off), static_cast<ull>(p.window_size), rsp, want);
    }
    /// Existing region and register index of a window offset, or false.
    bool locate(std::uint64_t off, bool& ib, unsigned& region, unsigned& reg_index) const {
        region = static_cast<unsigned>(off / dwc_iatu::region_stride);
        const std::uint64_t in_block = off % dwc_iatu::region_stride;
        ib = in_block >= dwc_iatu::inbound_offset;
        const std::uint64_t r = in_block - (ib ? dwc_iatu::inbound_offset : 0);
        if (region >= (ib ? nib : nob))
            return false;
        for (unsigned k = 0; k < 8; ++k)
            if (REG_OFFSETS[k] == r) {
                reg_index = k;
                return true;
            }
        return false;
    }
    void write(std::uint64_t off, std::uint32_t value, bool debug) {
        bool ib = false;
        unsigned region = 0, k = 0;
        const bool exists = off % 4 == 0 && off + 4 <= p.window_size && locate(off, ib, region, k);
        const std::uint64_t old = exists ? shadow_value(ib, region, k) : 0;
        std::uint64_t v = value;
        check_access(access(tlm::TLM_WRITE_COMMAND, off, v, 4, debug), off, 4, debug);
        if (off % 4 || off + 4 > p.window_size)
            return;
        const std::uint64_t got_raw = peek(off);
        if (!exists) {
            if (got_raw != 0)
                fail("iATU offset 0x%llx (no register of an existing region) reads 0x%llx after a write",
                     static_cast<ull>(off), static_cast<ull>(got_raw));
            return;
        }
        shadow& s = (ib ? ib_s : ob_s)[region];
        const std::uint64_t w = debug ? 0xffffffffull : writable(k);
        std::uint64_t want = (old & ~w) | (value & w), got = got_raw;
        if (k == 1) {
            const bool set = value & dwc_iatu::CTRL2_ENABLE;
            if (!debug && set && !s.enabled)
                s.enable_at = now + p.enable_delay;
            s.enabled = set;
            want &= ~static_cast<std::uint64_t>(dwc_iatu::CTRL2_ENABLE);
            if (s.enabled && now >= s.enable_at)
                want |= dwc_iatu::CTRL2_ENABLE;
        }
        if (got != want)
            fail("%s iATU region %u register %u: %swrite of 0x%08x over 0x%08llx reads 0x%08llx, expected 0x%08llx",
                 ib ? "inbound" : "outbound", region, k, debug ? "debug " : "", value, static_cast<ull>(old),
                 static_cast<ull>(got), static_cast<ull>(want));
        s.r[k] = k == 1 ? (got & ~static_cast<std::uint64_t>(dwc_iatu::CTRL2_ENABLE)) : got;
    }
    /// A read of an existing register returns what the shadow says.
    void check_read(std::uint64_t off, std::uint64_t v) {
        bool ib = false;
        unsigned region = 0, k = 0;
        if (off % 4 || off + 4 > p.window_size)
            return;
        const std::uint64_t want = locate(off, ib, region, k) ? shadow_value(ib, region, k) : 0;
        if (v != want)
            fail("iATU offset 0x%llx reads 0x%08llx, expected 0x%08llx (time %s)", static_cast<ull>(off),
                 static_cast<ull>(v), static_cast<ull>(want), now.to_string().c_str());
    }
    std::string describe(const regs& r) const {
        char b[320];
        std::snprintf(b, sizeof b,
                      "CTRL1 0x%08llx CTRL2 0x%08llx base 0x%llx limit 0x%llx target 0x%llx, min region 0x%llx",
                      static_cast<ull>(r.c1), static_cast<ull>(r.c2), static_cast<ull>(r.base()),
                      static_cast<ull>(r.limit()), static_cast<ull>(r.target()), static_cast<ull>(p.min_region_size));
        return b;
    }
    std::string masks_text() const {
        std::string t = "BAR masks (function: BAR0..5):";
        for (unsigned f = 0; f < (masks_per_function ? 8u : 1u); ++f) {
            t += " f" + std::to_string(f) + ":";
            for (unsigned b = 0; b < 6; ++b) {
                char x[24];
                std::snprintf(x, sizeof x, " 0x%llx", static_cast<ull>(masks[f][b]));
                t += x;
            }
        }
        return t;
    }
    void inbound(unsigned func, unsigned bar, std::uint64_t addr) {
        const std::uint64_t mask = bar_mask(func, bar);
        if (!mask)
            return; // a disabled BAR: the controller never asks
        const std::uint64_t bar_base = addr & ~mask;
        std::uint64_t t_model = 0, t_ref = 0;
        const int got = atu->inbound(func, bar, bar_base, mask, addr, now, t_model);
        const int want = ref_inbound(func, bar, bar_base, mask, addr, t_ref);
        if (got != want || (got >= 0 && t_model != t_ref))
            fail("inbound(func %u, BAR%u base 0x%llx mask 0x%llx, addr 0x%llx): region %d target 0x%llx, reference "
                 "region %d target 0x%llx",
                 func, bar, static_cast<ull>(bar_base), static_cast<ull>(mask), static_cast<ull>(addr), got,
                 static_cast<ull>(got >= 0 ? t_model : 0), want, static_cast<ull>(want >= 0 ? t_ref : 0));
        if (got < 0)
            return;
        const regs r = read_region(true, static_cast<unsigned>(got));
        if (!(r.c2 & dwc_iatu::CTRL2_BAR_MODE)) {
            const std::uint64_t span = r.limit() - r.base();
            if (r.target() + span >= r.target() && (t_model < r.target() || t_model > r.target() + span))
                fail("inbound region %d translated 0x%llx to 0x%llx outside its target range 0x%llx + 0x%llx", got,
                     static_cast<ull>(addr), static_cast<ull>(t_model), static_cast<ull>(r.target()),
                     static_cast<ull>(span));
        }
        // What was just translated into must be reported as a target of the inbound regions.
        const bool approximation = (r.c2 & dwc_iatu::CTRL2_BAR_MODE) && !(r.c2 & dwc_iatu::CTRL2_FUNC_NUM_MATCH) &&
                                   bar_mask(0, bar) != mask;
        if (!approximation && !atu->inbound_targets(t_model, t_model, now))
            fail("inbound region %d (%s) translates 0x%llx (function %u, BAR%u at 0x%llx mask 0x%llx) to 0x%llx, but "
                 "inbound_targets(0x%llx, 0x%llx) is false; %s",
                 got, describe(r).c_str(), static_cast<ull>(addr), func, bar, static_cast<ull>(bar_base),
                 static_cast<ull>(mask), static_cast<ull>(t_model), static_cast<ull>(t_model),
                 static_cast<ull>(t_model), masks_text().c_str());
    }
    void outbound(std::uint64_t addr) {
        std::uint64_t t_model = 0, t_ref = 0;
        unsigned f_model = 0, f_ref = 0;
        const int got = atu->outbound(addr, now, t_model, f_model);
        const int want = ref_outbound(addr, t_ref, f_ref);
        if (got != want || (got >= 0 && (t_model != t_ref || f_model != f_ref)))
            fail("outbound(0x%llx): region %d target 0x%llx func %u, reference region %d target 0x%llx func %u",
                 static_cast<ull>(addr), got, static_cast<ull>(got >= 0 ? t_model : 0), got >= 0 ? f_model : 0, want,
                 static_cast<ull>(want >= 0 ? t_ref : 0), want >= 0 ? f_ref : 0);
    }
    void targets(std::uint64_t lo, std::uint64_t hi) {
        bool wrapped = false;
        const bool want = ref_targets(lo, hi, wrapped);
        const bool got = atu->inbound_targets(lo, hi, now);
        if (got != want)
            fail("inbound_targets(0x%llx, 0x%llx) = %d, reference %d%s", static_cast<ull>(lo), static_cast<ull>(hi),
                 got, want, wrapped ? " (a region's target range passes 2^64 - 1)" : "");
    }

    /// An address in or near region `i` of one direction, or raw.
    std::uint64_t pick(bool ib, std::uint8_t region, std::uint8_t mode, std::uint64_t x) {
        const unsigned n = ib ? nib : nob;
        if (mode % 3 == 2 || n == 0)
            return x;
        const regs r = read_region(ib, region % n);
        const std::uint64_t b = r.base(), l = r.limit();
        if (mode % 3 == 0) {
            if (l < b)
                return b + (x & 0xfff);
            const std::uint64_t span = l - b;
            return span == ~0ull ? x : b + x % (span + 1);
        }
        return ((x & 1) ? l : b) + (x >> 1) % 3 - 1; // one before, at, one after an edge
    }

    void run(reader& in) {
        const unsigned nib_raw = in.u8() % 32 + 1, nob_raw = in.u8() % 32 + 1;
        const std::uint8_t gflags = in.u8();
        p.num_ib = (gflags & IA_IB256) ? 256 : nib_raw;
        p.num_ob = (gflags & IA_OB256) ? 256 : nob_raw;
        const std::uint8_t wsel = in.u8() % 4;
        const std::uint32_t wraw = in.u32();
        p.window_size = wsel == 0 ? 0x20000 : wsel == 1 ? 0x1000 : wsel == 2 ? 4ull * (wraw % 0x8000 + 1) : 0x400;
        p.min_region_size = 0x1000ull << (in.u8() % 5);
        const std::uint8_t usel = in.u8() % 4;
        const std::uint32_t upper = in.u32();
        p.max_region_upper = usel == 0 ? 0 : usel == 1 ? 0xff : usel == 2 ? 0xffffffffu : upper;
        p.enable_delay = sc_time(static_cast<double>(in.u8()), sc_core::SC_NS);
        for (unsigned b = 0; b < 6; ++b) {
            const std::uint8_t v = in.u8();
            masks[0][b] = v ? (1ull << (4 + v % 44)) - 1 : 0;
        }
        masks_per_function = in.u8() & 1;
        for (unsigned f = 1; f < 8; ++f)
            for (unsigned b = 0; b < 6; ++b) {
                if (masks_per_function) {
                    const std::uint8_t v = in.u8();
                    masks[f][b] = v ? (1ull << (4 + v % 44)) - 1 : 0;
                } else {
                    masks[f][b] = masks[0][b];
                }
            }
        for (nob = 0; nob < p.num_ob && block(false, nob) + dwc_iatu::block_size <= p.window_size; ++nob) {
        }
        for (nib = 0; nib < p.num_ib && block(true, nib) + dwc_iatu::block_size <= p.window_size; ++nib) {
        }
        atu = std::make_unique<dwc_iatu>("fuzz.pcie_ep", p,
                                         [this](unsigned f, unsigned b) -> std::uint64_t { return bar_mask(f, b); });
        if (atu->inbound_regions() != nib || atu->outbound_regions() != nob)
            fail("window 0x%llx with %u/%u regions: the model declares %u inbound, %u outbound; expected %u, %u",
                 static_cast<ull>(p.window_size), p.num_ib, p.num_ob, atu->inbound_regions(), atu->outbound_regions(),
                 nib, nob);
        init_shadow();

        while (!in.done()) {
            switch (in.u8() % dbvp::fuzz::iatu_fmt::count) {
            case REG_WRITE: {
                const std::uint8_t region = in.u8(), rf = in.u8();
                const std::uint32_t value = in.u32();
                const std::uint64_t off = (rf & RF_RAW) ? in.u32() % (p.window_size + 8)
                                                        : block(rf & RF_INBOUND, region) +
                                                              REG_OFFSETS[(rf >> RF_REG_SHIFT) & 7];
                write(off, value, rf & RF_DEBUG);
                break;
            }
            case PROGRAM: {
                const std::uint8_t region = in.u8(), pf = in.u8();
                std::uint64_t base = in.u64();
                const unsigned size_log2 = 12 + in.u8() % 40;
                std::uint64_t target = in.u64();
                const std::uint8_t bar = in.u8(), func = in.u8();
                const bool ib = pf & PF_INBOUND;
                std::uint64_t size = 1ull << size_log2;
                if (!(pf & PF_MISALIGNED)) {
                    size = std::max(size, p.min_region_size);
                    base &= ~(size - 1);
                    target &= ~low();
                }
                const std::uint64_t limit = base + size - 1;
                const std::uint64_t at = block(ib, region);
                if (at + dwc_iatu::block_size > p.window_size)
                    break;
                const std::uint32_t c1 = ((pf & PF_TYPE_IO) ? 2u : 0u) |
                                         ((pf & PF_INCREASE) ? dwc_iatu::CTRL1_INCREASE_REGION_SIZE : 0u) |
                                         ((func & 7u) << dwc_iatu::CTRL1_FUNC_SHIFT);
                const std::uint32_t c2 = ((pf & PF_NO_ENABLE) ? 0u : dwc_iatu::CTRL2_ENABLE) |
                                         ((pf & PF_BAR_MODE) ? dwc_iatu::CTRL2_BAR_MODE : 0u) |
                                         ((pf & PF_FUNC_MATCH) ? dwc_iatu::CTRL2_FUNC_NUM_MATCH : 0u) |
                                         ((bar & 7u) << dwc_iatu::CTRL2_BAR_SHIFT);
                const std::pair<std::uint64_t, std::uint64_t> seq[] = {
                    {dwc_iatu::CTRL2, 0},                 {dwc_iatu::LOWER_BASE, base},
                    {dwc_iatu::UPPER_BASE, base >> 32},   {dwc_iatu::LIMIT, limit},
                    {dwc_iatu::UPPER_LIMIT, limit >> 32}, {dwc_iatu::LOWER_TARGET, target},
                    {dwc_iatu::UPPER_TARGET, target >> 32}, {dwc_iatu::CTRL1, c1},
                    {dwc_iatu::CTRL2, c2}};
                for (const auto& [off, v] : seq)
                    write(at + off, static_cast<std::uint32_t>(v), false);
                break;
            }
            case ADVANCE: now += sc_time(static_cast<double>(in.u16()), sc_core::SC_NS); break;
            case REG_READ: {
                const std::uint8_t region = in.u8(), rf = in.u8();
                static const unsigned lens[4] = {4, 1, 2, 8};
                const unsigned len = lens[in.u8() % 4];
                const std::uint64_t off = (rf & RF_RAW) ? in.u32() % (p.window_size + 8)
                                                        : block(rf & RF_INBOUND, region) +
                                                              REG_OFFSETS[(rf >> RF_REG_SHIFT) & 7];
                std::uint64_t v = 0;
                const auto rsp = access(tlm::TLM_READ_COMMAND, off, v, len, rf & RF_DEBUG);
                check_access(rsp, off, len, rf & RF_DEBUG);
                if (rsp == tlm::TLM_OK_RESPONSE)
                    check_read(off, v);
                break;
            }
            case INBOUND: {
                const unsigned func = in.u8() % 8, bar = in.u8() % 6;
                const std::uint8_t region = in.u8(), mode = in.u8();
                inbound(func, bar, pick(true, region, mode, in.u64()));
                break;
            }
            case OUTBOUND: {
                const std::uint8_t region = in.u8(), mode = in.u8();
                outbound(pick(false, region, mode, in.u64()));
                break;
            }
            case TARGETS: {
                const std::uint64_t lo = in.u64();
                const std::uint32_t span = in.u32();
                targets(lo, lo + span < lo ? ~0ull : lo + span);
                break;
            }
            default: break;
            }
        }
    }
};

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    dbvp::fuzz::install_reports();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    reader in(data, size);
    try {
        harness h;
        h.run(in);
    } catch (const std::exception& e) {
        fail("the iATU model threw %s", e.what());
    }
    return 0;
}
