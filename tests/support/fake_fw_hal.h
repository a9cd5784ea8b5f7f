// Test support: a fake endpoint-CPU HAL (fw::hal) for firmware unit tests, and small scripted devices on it.
//
// fake_fw_hal
//   - A sparse physical address space of 32-bit words: unmapped addresses read as 0 and accept writes (memory),
//     except ranges a test marks as bus errors (*ok = false, reads return all-ones, writes are dropped).
//   - Per-address (and per-range) read/write hooks: a hook replaces the plain memory behaviour for that access
//     (a write hook that wants the value stored calls poke*()). Devices below are built from hooks.
//   - Every CPU access is recorded (kind, address, value, size, ok, time) for assertions; external masters
//     (the host through a BAR, a device) use external_write32() / poke*(), which are not CPU accesses.
//   - request_irq / free_irq with the real CPU's sharing rule (several handlers on one interrupt only if every
//     one of them asked for irq_shared); fire(irq) runs the handlers registered for irq in registration order,
//     then re-samples a level line (set_level) and runs them again while it stays asserted (a bounded number of
//     times: a line nobody quiets is counted as a storm).
//   - A fake clock: each access costs access_cost_ns; sleep_ns / wait_for_interrupt advance it and deliver
//     interrupts scheduled with schedule_irq() whose time has come.
//   - Log lines are captured; the device tree is a blob the test supplies (load_dts compiles .dts text).
//
// Devices (each registers its hooks on a fake_fw_hal; keep them alive as long as the firmware runs):
//   fake_dwc   DWC controller: DBI (ATU_VIEWPORT, VERSION_NUMBER, BARs as plain registers the "host" assigns),
//              unrolled iATU with N inbound / M outbound windows, APP_STATUS link-up.
//   fake_edma  eDMA: DMA_CTRL channel counts, interrupt emulation latch (RD_INT_STATUS write) and its clear.
//   fake_gic   GICv3 distributor + redistributor as gicv3_driver::init() needs them.
//   fake_its   GICv3 ITS: GITS_TYPER / BASER / CBASER / CWRITER / CREADR; commands decoded, recorded and applied
//              to a translation table (inject() plays a device write to GITS_TRANSLATER); CREADR follows CWRITER
//              at once unless a test gives commands a processing time (delay_ns).
//   fake_lut   i.MX95 RID-to-StreamID LUT (ACSCTRL / DATA1 / DATA2).
#pragma once

#include "dbvp/fw/hal.h"
#include "dbvp/platform/devicetree.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace dbvp::test {

struct mmio_access {
    bool write = false;
    std::uint64_t addr = 0;
    std::uint64_t value = 0;
    unsigned size = 4; // 4 or 8
    bool ok = true;
    std::uint64_t time_ns = 0;
    std::size_t seq = 0; // position in the global event order (see fake_fw_hal::seq())
};

class fake_fw_hal : public fw::hal {
public:
    using read_fn = std::function<std::uint64_t(std::uint64_t addr, unsigned size)>;
    using write_fn = std::function<void(std::uint64_t addr, std::uint64_t value, unsigned size)>;

    struct irq_action {
        fw::irq_handle handle = 0;
        unsigned irq = 0;
        unsigned flags = 0;
        std::string name;
        fw::irq_handler fn;
    };

    // ---- configuration -----------------------------------------------------------------------------------
    std::uint64_t access_cost_ns = 1; // fake time per MMIO access
    bool record = true;               // record CPU accesses
    unsigned max_level_reruns = 16;   // fire(): handler rounds while a level line stays asserted

    // ---- memory ------------------------------------------------------------------------------------------
    std::uint32_t peek32(std::uint64_t a) const {
        if ((a & 3) == 0) {
            auto it = mem_.find(a);
            return it == mem_.end() ? 0 : it->second;
        }
        std::uint32_t v = 0;
        for (unsigned i = 0; i < 4; ++i)
            v |= std::uint32_t{peek8(a + i)} << (8 * i);
        return v;
    }
    std::uint64_t peek64(std::uint64_t a) const { return peek32(a) | (std::uint64_t{peek32(a + 4)} << 32); }
    std::uint8_t peek8(std::uint64_t a) const {
        auto it = mem_.find(a & ~3ull);
        return it == mem_.end() ? 0 : static_cast<std::uint8_t>(it->second >> (8 * (a & 3)));
    }
    void poke32(std::uint64_t a, std::uint32_t v) {
        if ((a & 3) == 0) {
            if (v)
                mem_[a] = v;
            else
                mem_.erase(a);
            return;
        }
        for (unsigned i = 0; i < 4; ++i)
            poke8(a + i, static_cast<std::uint8_t>(v >> (8 * i)));
    }
    void poke64(std::uint64_t a, std::uint64_t v) {
        poke32(a, static_cast<std::uint32_t>(v));
        poke32(a + 4, static_cast<std::uint32_t>(v >> 32));
    }
    void poke8(std::uint64_t a, std::uint8_t b) {
        const std::uint64_t w = a & ~3ull;
        const unsigned sh = 8 * static_cast<unsigned>(a & 3);
        poke32(w, (peek32(w) & ~(0xffu << sh)) | (std::uint32_t{b} << sh));
    }
    void poke(std::uint64_t a, std::uint64_t v, unsigned size) {
        if (size == 8)
            poke64(a, v);
        else
            poke32(a, static_cast<std::uint32_t>(v));
    }
    std::uint64_t peek(std::uint64_t a, unsigned size) const { return size == 8 ? peek64(a) : peek32(a); }

    // ---- hooks and bus errors ----------------------------------------------------------------------------
    void on_read(std::uint64_t addr, read_fn fn) { rd_[addr] = std::move(fn); }
    void on_write(std::uint64_t addr, write_fn fn) { wr_[addr] = std::move(fn); }
    /// Hooks for [base, base + size) (exact-address hooks win).
    void on_read_range(std::uint64_t base, std::uint64_t size, read_fn fn) {
        rd_ranges_.push_back({base, size, std::move(fn), nullptr});
    }
    void on_write_range(std::uint64_t base, std::uint64_t size, write_fn fn) {
        wr_ranges_.push_back({base, size, nullptr, std::move(fn)});
    }
    /// A register reading `value` (writes ignored).
    void constant(std::uint64_t addr, std::uint64_t value) {
        on_read(addr, [value](std::uint64_t, unsigned sz) { return sz == 8 ? value : value & 0xffffffffu; });
        on_write(addr, [](std::uint64_t, std::uint64_t, unsigned) {});
    }
    void bus_error(std::uint64_t base, std::uint64_t size) { errors_.push_back({base, size}); }

    /// A write by another master (the host through a BAR, a device): runs write hooks, not recorded, no time.
    void external_write32(std::uint64_t addr, std::uint32_t v) {
        if (auto* w = find_write(addr))
            (*w)(addr, v, 4);
        else
            poke32(addr, v);
    }

    // ---- access log --------------------------------------------------------------------------------------
    const std::vector<mmio_access>& accesses() const { return log_; }
    void clear_accesses() { log_.clear(); }
    std::size_t seq() const { return seq_; }
    /// Values the CPU wrote to `addr`, in order.
    std::vector<std::uint64_t> writes_to(std::uint64_t addr) const {
        std::vector<std::uint64_t> v;
        for (const auto& a : log_)
            if (a.write && a.addr == addr)
                v.push_back(a.value);
        return v;
    }
    std::size_t reads_of(std::uint64_t addr) const {
        return static_cast<std::size_t>(
            std::count_if(log_.begin(), log_.end(), [&](const mmio_access& a) { return !a.write && a.addr == addr; }));
    }
    /// CPU writes into [base, base + size).
    std::vector<mmio_access> writes_in(std::uint64_t base, std::uint64_t size) const {
        std::vector<mmio_access> v;
        for (const auto& a : log_)
            if (a.write && a.addr >= base && a.addr - base < size)
                v.push_back(a);
        return v;
    }
    /// Sequence number of the last CPU write to `addr` (0 when none).
    std::size_t last_write_seq(std::uint64_t addr) const {
        for (auto it = log_.rbegin(); it != log_.rend(); ++it)
            if (it->write && it->addr == addr)
                return it->seq;
        return 0;
    }
    std::size_t next_seq() { return ++seq_; }

    // ---- fw::hal: MMIO -----------------------------------------------------------------------------------
    std::uint32_t read32(std::uint64_t addr, bool* ok = nullptr) override {
        return static_cast<std::uint32_t>(do_read(addr, 4, ok));
    }
    void write32(std::uint64_t addr, std::uint32_t value, bool* ok = nullptr) override { do_write(addr, value, 4, ok); }
    std::uint64_t read64(std::uint64_t addr, bool* ok = nullptr) override { return do_read(addr, 8, ok); }
    void write64(std::uint64_t addr, std::uint64_t value, bool* ok = nullptr) override { do_write(addr, value, 8, ok); }

    // ---- fw::hal: interrupts -----------------------------------------------------------------------------
    fw::result<fw::irq_handle> request_irq(unsigned irq, fw::irq_handler handler, unsigned flags,
                                           const char* name) override {
        if (irq >= 1020 && (irq < 8192 || irq >= (1u << 24)))
            return fw::status(fw::errc::invalid_argument, "interrupt " + std::to_string(irq) + " does not exist");
        if (!handler)
            return fw::status(fw::errc::invalid_argument, "no handler");
        for (const auto& a : actions_)
            if (a.irq == irq && !((a.flags & fw::irq_shared) && (flags & fw::irq_shared)))
                return fw::status(fw::errc::busy, "interrupt " + std::to_string(irq) + " is already requested by " +
                                                      a.name + " and not shared by both");
        const fw::irq_handle h = next_handle_++;
        actions_.push_back({h, irq, flags, name ? name : "", std::move(handler)});
        return h;
    }
    void free_irq(fw::irq_handle handle) override {
        const auto it = std::find_if(actions_.begin(), actions_.end(),
                                     [&](const irq_action& a) { return a.handle == handle; });
        if (it == actions_.end()) {
            ++bad_frees; // freeing a handle that is not registered (twice, or never requested)
            return;
        }
        actions_.erase(it);
    }

    /// Handlers registered for `irq`, in registration order.
    std::vector<irq_action> actions(unsigned irq) const {
        std::vector<irq_action> v;
        for (const auto& a : actions_)
            if (a.irq == irq)
                v.push_back(a);
        return v;
    }
    std::size_t handler_count(unsigned irq) const { return actions(irq).size(); }
    std::size_t handler_count(unsigned irq, const std::string& name) const {
        std::size_t n = 0;
        for (const auto& a : actions_)
            n += a.irq == irq && a.name == name;
        return n;
    }
    const std::vector<irq_action>& all_actions() const { return actions_; }

    /// A level line: `asserted()` is sampled after the handlers ran; fire() runs them again while it is true.
    void set_level(unsigned irq, std::function<bool()> asserted) { levels_[irq] = std::move(asserted); }

    /// Take interrupt `irq` now: run every handler registered for it (snapshot, registration order), re-sample
    /// a level line. Returns the number of handler calls. No handler: counted in `unhandled`.
    std::size_t fire(unsigned irq) {
        if (in_irq_)
            return 0; // handlers never nest
        std::size_t calls = 0;
        for (unsigned round = 0;; ++round) {
            std::vector<fw::irq_handle> snap;
            for (const auto& a : actions_)
                if (a.irq == irq)
                    snap.push_back(a.handle);
            if (snap.empty()) {
                ++unhandled;
                break;
            }
            ++irqs_taken;
            in_irq_ = true;
            for (fw::irq_handle h : snap) {
                for (auto& a : actions_)
                    if (a.handle == h) {
                        ++calls;
                        fw::irq_handler fn = a.fn; // the handler may free itself
                        fn(irq);
                        break;
                    }
            }
            in_irq_ = false;
            auto lv = levels_.find(irq);
            if (lv == levels_.end() || !lv->second || !lv->second())
                break;
            if (round + 1 >= max_level_reruns) {
                ++storms;
                break;
            }
        }
        return calls;
    }
    /// Deliver `irq` when the fake clock reaches `at_ns` (in sleep_ns / wait_for_interrupt).
    void schedule_irq(std::uint64_t at_ns, unsigned irq) { scheduled_.emplace(at_ns, irq); }

    unsigned irqs_taken = 0, unhandled = 0, storms = 0, bad_frees = 0;

    // ---- fw::hal: time -----------------------------------------------------------------------------------
    std::uint64_t now_ns() override { return now_; }
    void sleep_ns(std::uint64_t ns) override {
        const std::uint64_t until = now_ + ns;
        while (!scheduled_.empty() && scheduled_.begin()->first <= until) {
            now_ = std::max(now_, scheduled_.begin()->first);
            const unsigned irq = scheduled_.begin()->second;
            scheduled_.erase(scheduled_.begin());
            fire(irq);
        }
        now_ = std::max(now_, until);
    }
    bool wait_for_interrupt(std::uint64_t timeout_ns) override {
        const std::uint64_t until = now_ + timeout_ns;
        bool ran = false;
        while (!scheduled_.empty() && scheduled_.begin()->first <= until) {
            now_ = std::max(now_, scheduled_.begin()->first);
            const unsigned irq = scheduled_.begin()->second;
            scheduled_.erase(scheduled_.begin());
            ran = fire(irq) > 0 || ran;
            if (ran)
                return true;
        }
        now_ = until;
        return false;
    }
    /// Let fake time pass without the firmware (the test's own clock).
    void advance(std::uint64_t ns) { sleep_ns(ns); }

    // ---- fw::hal: device tree and log --------------------------------------------------------------------
    const void* fdt() const override { return fdt_.empty() ? nullptr : fdt_.data(); }
    void set_fdt(const void* blob, std::size_t size) {
        const char* p = static_cast<const char*>(blob);
        fdt_.assign(p, p + size);
    }
    /// Compile device-tree source text (written to ::testing::TempDir()) and use it as the fdt.
    void load_dts(const std::string& text) {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "fake";
        std::replace(name.begin(), name.end(), '/', '_');
        const std::string path = ::testing::TempDir() + "/fake-fw-hal-" + name + "-" + std::to_string(++dts_count_) +
                                 ".dts";
        {
            std::ofstream out(path);
            out << text;
        }
        const auto dt = platform::device_tree::load(path);
        set_fdt(dt.blob(), dt.size());
    }

    void log(const char* text) override { log_lines.emplace_back(text ? text : ""); }
    std::vector<std::string> log_lines;
    bool logged(const std::string& part) const {
        return std::any_of(log_lines.begin(), log_lines.end(),
                           [&](const std::string& l) { return l.find(part) != std::string::npos; });
    }

private:
    struct range_hook {
        std::uint64_t base, size;
        read_fn rd;
        write_fn wr;
    };
    struct span {
        std::uint64_t base, size;
    };

    bool is_error(std::uint64_t a, unsigned size) const {
        for (const auto& e : errors_)
            if (a + size > e.base && a < e.base + e.size)
                return true;
        return false;
    }
    read_fn* find_read(std::uint64_t a) {
        if (auto it = rd_.find(a); it != rd_.end())
            return &it->second;
        for (auto& r : rd_ranges_)
            if (a >= r.base && a - r.base < r.size)
                return &r.rd;
        return nullptr;
    }
    write_fn* find_write(std::uint64_t a) {
        if (auto it = wr_.find(a); it != wr_.end())
            return &it->second;
        for (auto& r : wr_ranges_)
            if (a >= r.base && a - r.base < r.size)
                return &r.wr;
        return nullptr;
    }
    std::uint64_t do_read(std::uint64_t a, unsigned size, bool* ok) {
        now_ += access_cost_ns;
        const bool good = !is_error(a, size);
        std::uint64_t v = size == 8 ? ~0ull : 0xffffffffull;
        if (good) {
            if (auto* r = find_read(a))
                v = (*r)(a, size);
            else
                v = peek(a, size);
            if (size == 4)
                v &= 0xffffffffu;
        }
        if (ok)
            *ok = good;
        if (record)
            log_.push_back({false, a, v, size, good, now_, ++seq_});
        return v;
    }
    void do_write(std::uint64_t a, std::uint64_t v, unsigned size, bool* ok) {
        now_ += access_cost_ns;
        const bool good = !is_error(a, size);
        if (size == 4)
            v &= 0xffffffffu;
        if (record)
            log_.push_back({true, a, v, size, good, now_, ++seq_});
        if (good) {
            if (auto* w = find_write(a))
                (*w)(a, v, size);
            else
                poke(a, v, size);
        }
        if (ok)
            *ok = good;
    }

    std::unordered_map<std::uint64_t, std::uint32_t> mem_;
    std::unordered_map<std::uint64_t, read_fn> rd_;
    std::unordered_map<std::uint64_t, write_fn> wr_;
    std::vector<range_hook> rd_ranges_, wr_ranges_;
    std::vector<span> errors_;
    std::vector<mmio_access> log_;
    std::size_t seq_ = 0;
    std::vector<irq_action> actions_;
    fw::irq_handle next_handle_ = 1;
    std::map<unsigned, std::function<bool()>> levels_;
    std::multimap<std::uint64_t, unsigned> scheduled_;
    bool in_irq_ = false;
    std::uint64_t now_ = 0;
    std::vector<char> fdt_;
    unsigned dts_count_ = 0;
};

// ------------------------------------------------------------------------------------------------------------
// DesignWare PCIe endpoint controller: DBI, iATU (unrolled), app glue.

struct fake_dwc_params {
    std::uint64_t dbi = 0x40000000, dbi2 = 0x40100000, atu = 0x40300000, atu_size = 0x20000, app = 0x40400000;
    std::uint64_t func_stride = 0x10000; // DBI page per function (dbvp,func-dbi-stride)
    unsigned functions = 1;
    unsigned num_ib = 8, num_ob = 8;
    std::uint64_t min_region = 0x10000;   // CX_ATU_MIN_REGION_SIZE: LIMIT's low bits read as ones
    std::uint32_t upper_limit_max = 0;    // UPPER_LIMIT bits that stick (max region size above 4 GiB)
    std::uint32_t version = 0x3534302a;   // "5.40a"
    bool atu_enable_sticks = true;        // CTRL2.ENABLE reads back (false: windows never enable)
    bool link_up = true;
};

class fake_dwc {
public:
    struct atu_window {
        std::uint32_t ctrl1 = 0, ctrl2 = 0, lower_base = 0, upper_base = 0, limit = 0, lower_target = 0,
                      upper_target = 0, upper_limit = 0;
        bool enabled() const { return ctrl2 & (1u << 31); }
        bool bar_match() const { return ctrl2 & (1u << 30); }
        unsigned bar() const { return (ctrl2 >> 8) & 7; }
        unsigned func() const { return (ctrl1 >> 20) & 0x1f; }
        std::uint64_t base() const { return lower_base | (std::uint64_t{upper_base} << 32); }
        std::uint64_t target() const { return lower_target | (std::uint64_t{upper_target} << 32); }
        std::uint64_t limit64() const { return limit | (std::uint64_t{upper_limit} << 32); }
    };

    fake_dwc(fake_fw_hal& h, const fake_dwc_params& p = {}) : h_(h), p_(p), ib_(p.num_ib), ob_(p.num_ob) {
        for (unsigned f = 0; f < p_.functions; ++f) {
            h_.constant(dbi(f) + 0x900, 0xffffffffu); // PCIE_ATU_VIEWPORT: unrolled iATU
            h_.constant(dbi(f) + 0x8f8, p_.version);  // VERSION_NUMBER
            h_.constant(dbi(f) + 0x8fc, 0x3030302a);  // VERSION_TYPE
        }
        h_.on_read_range(p_.atu, p_.atu_size, [this](std::uint64_t a, unsigned) { return atu_read(a - p_.atu); });
        h_.on_write_range(p_.atu, p_.atu_size, [this](std::uint64_t a, std::uint64_t v, unsigned) {
            atu_write(a - p_.atu, static_cast<std::uint32_t>(v));
        });
        h_.on_read(p_.app + 0x4, [this](std::uint64_t, unsigned) -> std::uint64_t { return link_ ? 1 : 0; });
        h_.on_write(p_.app + 0x4, [](std::uint64_t, std::uint64_t, unsigned) {});
        link_ = p_.link_up;
    }
    fake_dwc(const fake_dwc&) = delete;
    fake_dwc& operator=(const fake_dwc&) = delete;

    const fake_dwc_params& params() const { return p_; }
    std::uint64_t dbi(unsigned f) const { return p_.dbi + f * p_.func_stride; }
    std::uint64_t dbi2(unsigned f) const { return p_.dbi2 + f * p_.func_stride; }

    const atu_window& ib(unsigned i) const { return ib_.at(i); }
    const atu_window& ob(unsigned i) const { return ob_.at(i); }
    unsigned enabled_ib() const {
        return static_cast<unsigned>(
            std::count_if(ib_.begin(), ib_.end(), [](const atu_window& w) { return w.enabled(); }));
    }
    unsigned enabled_ob() const {
        return static_cast<unsigned>(
            std::count_if(ob_.begin(), ob_.end(), [](const atu_window& w) { return w.enabled(); }));
    }

    void set_link_up(bool up) { link_ = up; }
    /// The host assigned BAR `bar` of function `f` the PCI address `addr` (kept type bits; 64-bit: upper half).
    void host_assign_bar(unsigned f, unsigned bar, std::uint64_t addr) {
        const std::uint64_t reg = dbi(f) + 0x10 + 4 * bar;
        const std::uint32_t lo = h_.peek32(reg);
        h_.poke32(reg, (lo & 0xf) | (static_cast<std::uint32_t>(addr) & ~0xfu));
        if ((lo & 0x6) == 0x4 && bar < 5)
            h_.poke32(reg + 4, static_cast<std::uint32_t>(addr >> 32));
    }
    /// The host's command register: memory space enable.
    void set_memory_enable(unsigned f, bool on) {
        const std::uint64_t reg = dbi(f) + 0x4;
        h_.poke32(reg, on ? (h_.peek32(reg) | 0x2) : (h_.peek32(reg) & ~0x2u));
    }
    /// The size mask the firmware wrote to DBI2 for a BAR.
    std::uint32_t bar_mask(unsigned f, unsigned bar) const { return h_.peek32(dbi2(f) + 0x10 + 4 * bar); }
    std::uint32_t bar_reg(unsigned f, unsigned bar) const { return h_.peek32(dbi(f) + 0x10 + 4 * bar); }

private:
    atu_window* window(std::uint64_t off, unsigned& reg) {
        const unsigned idx = static_cast<unsigned>(off >> 9);
        const bool inbound = off & 0x100;
        reg = static_cast<unsigned>(off & 0xff);
        auto& v = inbound ? ib_ : ob_;
        return idx < v.size() ? &v[idx] : nullptr;
    }
    std::uint64_t atu_read(std::uint64_t off) {
        unsigned reg = 0;
        const atu_window* w = window(off, reg);
        if (!w)
            return 0; // no such window: the probe's LOWER_TARGET read-back mismatches
        switch (reg) {
        case 0x00: return w->ctrl1;
        case 0x04: return p_.atu_enable_sticks ? w->ctrl2 : (w->ctrl2 & ~(1u << 31));
        case 0x08: return w->lower_base;
        case 0x0c: return w->upper_base;
        case 0x10: return w->limit | static_cast<std::uint32_t>(p_.min_region - 1);
        case 0x14: return w->lower_target;
        case 0x18: return w->upper_target;
        case 0x20: return w->upper_limit & p_.upper_limit_max;
        default: return 0;
        }
    }
    void atu_write(std::uint64_t off, std::uint32_t v) {
        unsigned reg = 0;
        atu_window* w = window(off, reg);
        if (!w)
            return;
        switch (reg) {
        case 0x00: w->ctrl1 = v; break;
        case 0x04: w->ctrl2 = v; break;
        case 0x08: w->lower_base = v; break;
        case 0x0c: w->upper_base = v; break;
        case 0x10: w->limit = v; break;
        case 0x14: w->lower_target = v; break;
        case 0x18: w->upper_target = v; break;
        case 0x20: w->upper_limit = v; break;
        default: break;
        }
    }

    fake_fw_hal& h_;
    fake_dwc_params p_;
    std::vector<atu_window> ib_, ob_;
    bool link_ = true;
};

// ------------------------------------------------------------------------------------------------------------
// DWC eDMA (unrolled): DMA_CTRL channel counts, interrupt emulation.

class fake_edma {
public:
    static constexpr std::uint32_t DMA_CTRL = 0x008, WR_INT_STATUS = 0x04c, WR_INT_CLEAR = 0x058,
                                   RD_INT_STATUS = 0x0a0, RD_INT_CLEAR = 0x0ac;

    /// `irq`: the INTID the emulated interrupt raises (0: none wired; set_level is not registered then).
    fake_edma(fake_fw_hal& h, std::uint64_t base, unsigned wr_channels = 8, unsigned rd_channels = 8, unsigned irq = 0)
        : h_(h), base_(base), irq_(irq) {
        h_.constant(base_ + DMA_CTRL, (std::uint32_t{rd_channels} << 16) | wr_channels);
        h_.on_write(base_ + WR_INT_STATUS, [this](std::uint64_t, std::uint64_t, unsigned) { wr_latch_ = true; });
        h_.on_write(base_ + RD_INT_STATUS, [this](std::uint64_t, std::uint64_t, unsigned) { rd_latch_ = true; });
        h_.on_write(base_ + WR_INT_CLEAR, [this](std::uint64_t, std::uint64_t v, unsigned) {
            wr_clears.push_back(static_cast<std::uint32_t>(v));
            wr_latch_ = false;
        });
        h_.on_write(base_ + RD_INT_CLEAR, [this](std::uint64_t, std::uint64_t v, unsigned) {
            rd_clears.push_back(static_cast<std::uint32_t>(v));
            rd_latch_ = false;
        });
        if (irq_)
            h_.set_level(irq_, [this] { return asserted(); });
    }
    fake_edma(const fake_edma&) = delete;
    fake_edma& operator=(const fake_edma&) = delete;

    std::uint64_t base() const { return base_; }
    bool asserted() const { return wr_latch_ || rd_latch_; }
    /// The host's doorbell write (to RD_INT_STATUS through a BAR), then the interrupt is taken — when `gate`
    /// (e.g. "the SPI is enabled in the GIC") allows it; otherwise it stays pending. Returns the handler calls.
    std::size_t host_ring(std::uint32_t data = 0) {
        h_.external_write32(base_ + RD_INT_STATUS, data);
        if (!irq_ || (gate && !gate()))
            return 0;
        return h_.fire(irq_);
    }
    std::function<bool()> gate;

    std::vector<std::uint32_t> wr_clears, rd_clears; // values the CPU wrote to WR_INT_CLEAR / RD_INT_CLEAR

private:
    fake_fw_hal& h_;
    std::uint64_t base_;
    unsigned irq_;
    bool wr_latch_ = false, rd_latch_ = false;
};

// ------------------------------------------------------------------------------------------------------------
// GICv3 distributor + redistributor (what gicv3_driver::init and the SPI/LPI calls use).

struct fake_gic_params {
    std::uint64_t gicd = 0x48000000, gicr = 0x48060000;
    unsigned spis = 64;     // GICD_TYPER.ITLinesNumber = spis / 32
    unsigned id_bits = 16;  // GICD_TYPER.IDbits + 1
    bool lpis = true;       // GICD_TYPER.LPIS and GICR_TYPER.PLPIS
};

class fake_gic {
public:
    fake_gic(fake_fw_hal& h, const fake_gic_params& p = {}) : h_(h), p_(p) {
        const std::uint64_t d = p_.gicd, r = p_.gicr;
        h_.constant(d + 0xffe8, 0x3b);                                          // GICD_PIDR2: ArchRev 3
        h_.constant(d + 0x0004, (p_.spis / 32) | (p_.lpis ? 1u << 17 : 0) | ((p_.id_bits - 1) << 19)); // TYPER
        h_.on_read(d + 0x0000,
                   [this](std::uint64_t a, unsigned) -> std::uint64_t { return h_.peek32(a) & ~(1u << 31); });
        h_.on_write(d + 0x0000, [this](std::uint64_t a, std::uint64_t v, unsigned) {
            h_.poke32(a, static_cast<std::uint32_t>(v) & ~(1u << 31)); // RWP reads 0
        });
        for (unsigned n = 0; n < 32; ++n) {
            h_.on_read(d + 0x100 + 4 * n, [this, n](std::uint64_t, unsigned) -> std::uint64_t { return enabled_[n]; });
            h_.on_write(d + 0x100 + 4 * n, [this, n](std::uint64_t, std::uint64_t v, unsigned) {
                enabled_[n] |= static_cast<std::uint32_t>(v);
            });
            h_.on_read(d + 0x180 + 4 * n, [this, n](std::uint64_t, unsigned) -> std::uint64_t { return enabled_[n]; });
            h_.on_write(d + 0x180 + 4 * n, [this, n](std::uint64_t, std::uint64_t v, unsigned) {
                enabled_[n] &= ~static_cast<std::uint32_t>(v);
            });
        }
        h_.constant(r + 0xffe8, 0x3b);            // GICR_PIDR2
        h_.constant(r + 0x0008, p_.lpis ? 1 : 0); // GICR_TYPER.PLPIS, processor 0, Last = 0
        h_.poke32(r + 0x0014, 0x6);               // GICR_WAKER: ProcessorSleep, ChildrenAsleep
        h_.on_write(r + 0x0014, [this](std::uint64_t a, std::uint64_t v, unsigned) {
            const std::uint32_t ps = static_cast<std::uint32_t>(v) & 0x2;
            h_.poke32(a, ps | (ps ? 0x4 : 0)); // ChildrenAsleep follows ProcessorSleep
        });
        h_.on_read(r + 0x0000,
                   [this](std::uint64_t a, unsigned) -> std::uint64_t { return h_.peek32(a) & ~(1u << 3); });
        h_.on_write(r + 0x0000, [this](std::uint64_t a, std::uint64_t v, unsigned) {
            h_.poke32(a, static_cast<std::uint32_t>(v) & 1u); // EnableLPIs; RWP reads 0
        });
        h_.constant(r + 0x00c0, 0); // GICR_SYNCR idle
    }
    fake_gic(const fake_gic&) = delete;
    fake_gic& operator=(const fake_gic&) = delete;

    const fake_gic_params& params() const { return p_; }
    bool spi_enabled(unsigned intid) const { return intid < 1024 && (enabled_[intid / 32] >> (intid % 32)) & 1; }
    bool spi_edge(unsigned intid) const {
        return (h_.peek32(p_.gicd + 0xc00 + 4 * (intid / 16)) >> (2 * (intid % 16) + 1)) & 1;
    }
    std::uint8_t spi_priority(unsigned intid) const { return h_.peek8(p_.gicd + 0x400 + intid); }
    bool lpis_enabled() const { return h_.peek32(p_.gicr) & 1; }
    std::uint64_t prop_table() const { return h_.peek64(p_.gicr + 0x70) & 0x000ffffffffff000ull; }
    /// The LPI's configuration byte in the GICR_PROPBASER table.
    std::uint8_t lpi_config(unsigned intid) const { return h_.peek8(prop_table() + (intid - 8192)); }
    bool lpi_enabled(unsigned intid) const { return lpi_config(intid) & 1; }
    std::uint64_t lpi_config_addr(unsigned intid) const { return prop_table() + (intid - 8192); }

private:
    fake_fw_hal& h_;
    fake_gic_params p_;
    std::array<std::uint32_t, 32> enabled_{};
};

// ------------------------------------------------------------------------------------------------------------
// GICv3 ITS.

struct fake_its_params {
    std::uint64_t base = 0x48040000;
    unsigned devbits = 8, idbits = 16, ite_size = 8;
    unsigned page_sizes = 0x7;  // accepted GITS_BASER page-size fields: bit 0 = 4K, 1 = 16K, 2 = 64K
    bool indirect = true;       // two-level device table supported
};

struct its_cmd {
    std::uint8_t opcode = 0;
    std::uint32_t device_id = 0, event_id = 0, intid = 0;
    std::uint16_t icid = 0;
    std::uint64_t itt = 0, rdbase = 0;
    unsigned size = 0; // MAPD: EventID bits - 1
    bool valid = false;
    std::array<std::uint64_t, 4> raw{};
    std::size_t seq = 0; // fake_fw_hal sequence number when the command was consumed
    const char* name() const {
        switch (opcode) {
        case 0x01: return "MOVI";
        case 0x03: return "INT";
        case 0x04: return "CLEAR";
        case 0x05: return "SYNC";
        case 0x08: return "MAPD";
        case 0x09: return "MAPC";
        case 0x0a: return "MAPTI";
        case 0x0b: return "MAPI";
        case 0x0c: return "INV";
        case 0x0d: return "INVALL";
        case 0x0e: return "MOVALL";
        case 0x0f: return "DISCARD";
        default: return "?";
        }
    }
};

class fake_its {
public:
    static constexpr std::uint32_t CTLR = 0x0, TYPER = 0x8, CBASER = 0x80, CWRITER = 0x88, CREADR = 0x90,
                                   BASER = 0x100, PIDR2 = 0xffe8, TRANSLATER = 0x10040;
    struct ite {
        std::uint32_t intid = 0;
        std::uint16_t icid = 0;
    };
    struct device {
        unsigned size = 0; // EventID bits - 1
        std::uint64_t itt = 0;
    };

    fake_its(fake_fw_hal& h, const fake_its_params& p = {}, const fake_gic* gic = nullptr) : h_(h), p_(p), gic_(gic) {
        const std::uint64_t b = p_.base;
        h_.constant(b + PIDR2, 0x3b);
        const std::uint64_t typer = 1ull /* Physical */ | (std::uint64_t{p_.ite_size - 1} << 4) |
                                    (std::uint64_t{p_.idbits - 1} << 8) | (std::uint64_t{p_.devbits - 1} << 13);
        h_.constant(b + TYPER, typer);
        h_.on_read(b + CTLR, [this](std::uint64_t a, unsigned) -> std::uint64_t {
            const std::uint32_t v = h_.peek32(a);
            return (v & 1) ? v : (v | (1u << 31)); // Quiescent while disabled
        });
        h_.on_write(b + CTLR, [this](std::uint64_t a, std::uint64_t v, unsigned) {
            h_.poke32(a, static_cast<std::uint32_t>(v) & 1u);
        });
        // GITS_BASER0: Device table, BASER1: Collection table, 8-byte entries; the others unimplemented.
        baser_[0] = (1ull << 56) | (7ull << 48);
        baser_[1] = (4ull << 56) | (7ull << 48);
        for (unsigned n = 0; n < 8; ++n) {
            h_.on_read(b + BASER + 8 * n, [this, n](std::uint64_t, unsigned sz) -> std::uint64_t {
                return sz == 8 ? baser_[n] : baser_[n] & 0xffffffffu;
            });
            h_.on_write(b + BASER + 8 * n, [this, n](std::uint64_t, std::uint64_t v, unsigned sz) {
                if (sz != 8 || ((baser_[n] >> 56) & 7) == 0)
                    return;
                const std::uint64_t ro = (7ull << 56) | (0x1full << 48);
                std::uint64_t nv = (baser_[n] & ro) | (v & ~ro);
                const unsigned f = static_cast<unsigned>((v >> 8) & 3);
                if (!((p_.page_sizes >> f) & 1))
                    nv = (nv & ~(3ull << 8)) | (baser_[n] & (3ull << 8)); // unsupported size: keeps the old one
                if (!p_.indirect)
                    nv &= ~(1ull << 62);
                baser_[n] = nv;
            });
        }
        h_.on_write(b + CWRITER, [this](std::uint64_t a, std::uint64_t v, unsigned) {
            h_.poke64(a, v);
            cwriter_ = v & 0xfffe0;
            service();
        });
        h_.on_read(b + CREADR, [this](std::uint64_t, unsigned sz) -> std::uint64_t {
            service();
            return sz == 8 ? creadr_ : creadr_ & 0xffffffffu;
        });
    }
    fake_its(const fake_its&) = delete;
    fake_its& operator=(const fake_its&) = delete;

    std::uint64_t translater() const { return p_.base + TRANSLATER; }
    std::uint64_t baser(unsigned n) const { return baser_[n]; }
    std::uint64_t cbaser() const { return h_.peek64(p_.base + CBASER); }
    bool enabled() const { return h_.peek32(p_.base + CTLR) & 1; }

    const std::vector<its_cmd>& commands() const { return cmds_; }
    /// Commands from position `from` on, optionally only those with `opcode`.
    std::vector<its_cmd> commands_since(std::size_t from, int opcode = -1) const {
        std::vector<its_cmd> v;
        for (std::size_t i = from; i < cmds_.size(); ++i)
            if (opcode < 0 || cmds_[i].opcode == opcode)
                v.push_back(cmds_[i]);
        return v;
    }
    std::size_t count(std::uint8_t opcode, std::size_t from = 0) const { return commands_since(from, opcode).size(); }

    // Translation state as the commands left it.
    const std::map<std::uint32_t, device>& devices() const { return devices_; }
    std::optional<ite> lookup(std::uint32_t device_id, std::uint32_t event_id) const {
        auto it = ites_.find({device_id, event_id});
        if (it == ites_.end())
            return std::nullopt;
        return it->second;
    }
    std::size_t ite_count() const { return ites_.size(); }
    std::size_t ite_count(std::uint32_t device_id) const {
        std::size_t n = 0;
        for (const auto& [k, e] : ites_)
            n += k.first == device_id;
        return n;
    }

    /// How long the ITS takes for a command once it reaches the head of the queue (default: no time, CREADR
    /// follows CWRITER immediately). A command completes when the fake clock has passed its time.
    std::function<std::uint64_t(const its_cmd&)> delay_ns;
    /// Complete the queued commands whose time has come (done on every CWRITER write and CREADR read).
    void service() {
        const std::uint64_t cb = cbaser();
        const std::uint64_t queue = cb & 0x000ffffffffff000ull, bytes = ((cb & 0xff) + 1) * 0x1000;
        if (!(cb >> 63))
            return;
        while (creadr_ != cwriter_) {
            its_cmd c;
            for (unsigned i = 0; i < 4; ++i)
                c.raw[i] = h_.peek64(queue + creadr_ + 8 * i);
            decode(c);
            if (!head_ready_)
                head_ready_ = std::max(last_done_, h_.now_ns()) + (delay_ns ? delay_ns(c) : 0);
            if (h_.now_ns() < *head_ready_)
                break;
            last_done_ = *head_ready_;
            head_ready_.reset();
            apply(c);
            c.seq = h_.next_seq();
            cmds_.push_back(c);
            creadr_ = (creadr_ + 32) % bytes;
        }
    }
    bool queue_empty() const { return creadr_ == cwriter_; }

    /// A device write of `event_id` to GITS_TRANSLATER by `device_id`: the LPI it maps to (0: none), taken
    /// (fake_fw_hal::fire) when it is enabled in the LPI configuration table (when a fake_gic was given).
    unsigned inject(std::uint32_t device_id, std::uint32_t event_id) {
        const auto e = lookup(device_id, event_id);
        if (!e || !devices_.count(device_id))
            return 0;
        if (gic_ && !gic_->lpi_enabled(e->intid))
            return 0;
        h_.fire(e->intid);
        return e->intid;
    }

private:
    static void decode(its_cmd& c) {
        c.opcode = static_cast<std::uint8_t>(c.raw[0] & 0xff);
        c.device_id = static_cast<std::uint32_t>(c.raw[0] >> 32);
        c.event_id = static_cast<std::uint32_t>(c.raw[1]);
        switch (c.opcode) {
        case 0x0a: // MAPTI
            c.intid = static_cast<std::uint32_t>(c.raw[1] >> 32);
            c.icid = static_cast<std::uint16_t>(c.raw[2]);
            break;
        case 0x0b: // MAPI
            c.intid = c.event_id;
            c.icid = static_cast<std::uint16_t>(c.raw[2]);
            break;
        case 0x01: // MOVI
        case 0x0d: // INVALL
            c.icid = static_cast<std::uint16_t>(c.raw[2]);
            break;
        case 0x08: // MAPD
            c.size = static_cast<unsigned>(c.raw[1] & 0x1f);
            c.itt = c.raw[2] & 0x000fffffffffff00ull;
            c.valid = c.raw[2] >> 63;
            break;
        case 0x09: // MAPC
            c.icid = static_cast<std::uint16_t>(c.raw[2]);
            c.rdbase = (c.raw[2] & 0x000fffffffff0000ull) >> 16;
            c.valid = c.raw[2] >> 63;
            break;
        case 0x05: // SYNC
            c.rdbase = (c.raw[2] & 0x000fffffffff0000ull) >> 16;
            break;
        default: break;
        }
    }
    void apply(const its_cmd& c) {
        switch (c.opcode) {
        case 0x08:
            if (c.valid) {
                devices_[c.device_id] = {c.size, c.itt};
            } else {
                devices_.erase(c.device_id);
                for (auto it = ites_.begin(); it != ites_.end();)
                    it = it->first.first == c.device_id ? ites_.erase(it) : std::next(it);
            }
            break;
        case 0x0a:
        case 0x0b: ites_[{c.device_id, c.event_id}] = {c.intid, c.icid}; break;
        case 0x0f: ites_.erase({c.device_id, c.event_id}); break;
        default: break;
        }
    }

    fake_fw_hal& h_;
    fake_its_params p_;
    const fake_gic* gic_;
    std::array<std::uint64_t, 8> baser_{};
    std::uint64_t creadr_ = 0, cwriter_ = 0, last_done_ = 0;
    std::optional<std::uint64_t> head_ready_;
    std::vector<its_cmd> cmds_;
    std::map<std::uint32_t, device> devices_;
    std::map<std::pair<std::uint32_t, std::uint32_t>, ite> ites_;
};

// ------------------------------------------------------------------------------------------------------------
// i.MX95 LUT: ACSCTRL [16] RWA = 1 reads entry ENLOC [4:0] into DATA1/DATA2; RWA = 0 commits them into it.

class fake_lut {
public:
    static constexpr std::uint32_t ACSCTRL = 0x1008, DATA1 = 0x100c, DATA2 = 0x1010;
    struct entry {
        std::uint32_t data1 = 0, data2 = 0; // DATA1: [31] VLD, [10:8] DAC_ID, [5:0] STREAM_ID; DATA2: REQID, MASK
        bool valid() const { return data1 >> 31; }
        unsigned sid() const { return data1 & 0x3f; }
        unsigned reqid() const { return data2 >> 16; }
        unsigned mask() const { return data2 & 0xffff; }
    };
    struct commit {
        unsigned index;
        entry value;
    };

    fake_lut(fake_fw_hal& h, std::uint64_t base = 0x4c010000, unsigned n = 32) : h_(h), base_(base), entries_(n) {
        h_.on_write(base_ + ACSCTRL, [this](std::uint64_t a, std::uint64_t v, unsigned) {
            h_.poke32(a, static_cast<std::uint32_t>(v));
            const unsigned idx = static_cast<unsigned>(v & 0x1f);
            if (idx >= entries_.size())
                return;
            if (v & (1u << 16)) {
                data1_ = entries_[idx].data1;
                data2_ = entries_[idx].data2;
            } else {
                entries_[idx] = {data1_ & 0x8000073fu, data2_};
                commits.push_back({idx, entries_[idx]});
            }
        });
        h_.on_read(base_ + DATA1, [this](std::uint64_t, unsigned) -> std::uint64_t { return data1_; });
        h_.on_write(base_ + DATA1,
                    [this](std::uint64_t, std::uint64_t v, unsigned) { data1_ = static_cast<std::uint32_t>(v); });
        h_.on_read(base_ + DATA2, [this](std::uint64_t, unsigned) -> std::uint64_t { return data2_; });
        h_.on_write(base_ + DATA2,
                    [this](std::uint64_t, std::uint64_t v, unsigned) { data2_ = static_cast<std::uint32_t>(v); });
    }
    fake_lut(const fake_lut&) = delete;
    fake_lut& operator=(const fake_lut&) = delete;

    const entry& at(unsigned i) const { return entries_.at(i); }
    void set(unsigned i, entry e) { entries_.at(i) = e; }
    std::vector<commit> commits;

private:
    fake_fw_hal& h_;
    std::uint64_t base_;
    std::vector<entry> entries_;
    std::uint32_t data1_ = 0, data2_ = 0;
};

} // namespace dbvp::test
