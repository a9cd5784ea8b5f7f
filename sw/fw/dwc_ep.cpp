#include "dbvp/fw/dwc_ep.h"

#include "dbvp/util/bits.h"
#include "dbvp/util/format.h"

#include "dbvp/fw/fdt.h"

#include <algorithm>
#include <cstdio>
#include <string>

extern "C" {
#include <libfdt.h>
}

namespace dbvp::fw {

namespace {
constexpr std::uint32_t DMA_VIEWPORT_CTRL = 0x970 + 0x008; // legacy eDMA viewport DMA_CTRL (DBI)
constexpr std::uint32_t EDMA_CTRL = 0x008;                 // unrolled eDMA: DMA_CTRL
constexpr std::uint32_t EDMA_DB_OFFSET = 0x0a0;            // RD_INT_STATUS: the interrupt-emulation doorbell
constexpr std::uint64_t DEFAULT_DBI_DMA_OFFSET = 0x80000;  // eDMA at atu + 0x80000 when not named
constexpr std::uint32_t V5_40A = 0x3534302a, V4_60A = 0x3436302a;
} // namespace

status dwc_ep_driver::probe(unsigned index) {
    fdt_view dt(hal_.fdt());
    int node = -1;
    for (unsigned i = 0; i <= index; ++i) {
        auto r = dt.find_compatible("snps,dw-pcie-ep", node);
        if (!r)
            return r.error();
        node = r.value();
    }
    auto get = [&](const char* name, std::uint64_t& base, std::uint64_t* size) -> status {
        auto r = dt.reg_by_name(node, name);
        if (!r)
            return r.error();
        base = r->base;
        if (size)
            *size = r->size;
        return {};
    };
    if (auto s = get("dbi", dbi_, nullptr); !s)
        return s;
    // Linux defaults: dbi2 = dbi + 4 KiB, atu = dbi + 3 MiB (4 KiB) when the platform does not name them.
    if (!get("dbi2", dbi2_, nullptr))
        dbi2_ = dbi_ + 0x1000;
    if (!get("atu", atu_, &atu_size_)) {
        atu_ = dbi_ + 0x300000;
        atu_size_ = 0x1000;
    }
    if (auto s = get("app", app_, nullptr); !s)
        return s;
    if (auto s = get("addr_space", addr_space_, &addr_space_size_); !s)
        return s;
    node_ = node;
    std::uint64_t dma_base = 0, dma_size = 0;
    if (!get("dma", dma_base, &dma_size) && atu_size_ >= 2 * DEFAULT_DBI_DMA_OFFSET) {
        dma_base = atu_ + DEFAULT_DBI_DMA_OFFSET;
        dma_size = atu_size_ - DEFAULT_DBI_DMA_OFFSET;
    }
    int len = 0;
    const void* mf = fdt_getprop(dt.blob(), node, "max-functions", &len);
    num_functions_ = !mf ? 1 : len == 1 ? *static_cast<const std::uint8_t*>(mf) : dt.u32(node, "max-functions", 1);
    if (num_functions_ == 0 || num_functions_ > 8)
        return {errc::invalid_argument, "max-functions " + std::to_string(num_functions_) + " out of range 1..8"};
    func_stride_ = dt.u64(node, "dbvp,func-dbi-stride", 0x10000);

    version_ = dbi_read(0, dwc::VERSION_NUMBER);
    detect_iatu();
    if (!unrolled_)
        return {errc::not_supported, "iATU viewport (legacy) mode is not supported by this driver"};
    if (num_ib_ == 0 || num_ob_ == 0)
        return {errc::no_device, "iATU probe found " + std::to_string(num_ib_) + " inbound and " +
                                     std::to_string(num_ob_) + " outbound windows"};
    read_features();
    detect_edma(dma_base, dma_size);
    ib_used_.assign(num_ib_, false);
    bar_sub_.assign(num_functions_, {});
    ob_used_.assign(num_ob_, false);
    bar_to_atu_.assign(num_functions_, {});
    bar_size_.assign(num_functions_, {});
    bar_flags_.assign(num_functions_, {});
    msi_window_.assign(num_functions_, 0);
    msi_page_.assign(num_functions_, 0);
    msi_phys_.assign(num_functions_, 0);
    msi_cap_.assign(num_functions_, -1);
    addr_space_used_ = 0;
    for (unsigned f = 0; f < num_functions_; ++f) {
        msi_cap_[f] = find_cap(f, dwc::CAP_ID_MSI); // the list is read-only: found once, as Linux does
        auto phys = alloc_addr_space(align_);
        if (!phys)
            return phys.error();
        msi_phys_[f] = phys.value();
    }
    char line[160];
    std::snprintf(line, sizeof line, "dwc-ep: iATU unroll %s, %u ob, %u ib, align %lluK, limit %lluG",
                  unrolled_ ? "enabled" : "disabled", num_ob_, num_ib_,
                  static_cast<unsigned long long>(align_ >> 10), static_cast<unsigned long long>((limit_ + 1) >> 30));
    hal_.log(line);
    return {};
}

void dwc_ep_driver::detect_iatu() {
    unrolled_ = dbi_read(0, dwc::ATU_VIEWPORT) == 0xffffffffu;
    if (!unrolled_)
        return;
    const unsigned max_region = static_cast<unsigned>(std::min<std::uint64_t>(atu_size_ / 512, 256));
    auto count = [&](bool ib) {
        unsigned n = 0;
        for (; n < max_region; ++n) {
            atu_write(ib, n, dwc::ATU_LOWER_TARGET, dwc::ATU_PROBE);
            if (atu_read(ib, n, dwc::ATU_LOWER_TARGET) != dwc::ATU_PROBE)
                break;
        }
        return n;
    };
    num_ob_ = count(false);
    num_ib_ = count(true);
    const bool dir_ib = num_ob_ == 0;
    atu_write(dir_ib, 0, dwc::ATU_LIMIT, 0);
    const std::uint32_t min = atu_read(dir_ib, 0, dwc::ATU_LIMIT);
    align_ = 1ull << fls64(min);
    std::uint64_t max = 0;
    if (version_ >= V4_60A) { // 4.60a and later have UPPER_LIMIT
        atu_write(dir_ib, 0, dwc::ATU_UPPER_LIMIT, 0xffffffffu);
        max = atu_read(dir_ib, 0, dwc::ATU_UPPER_LIMIT);
    }
    limit_ = (max << 32) | 0xffffffffull;
}

std::uint32_t dwc_ep_driver::dbi_read(unsigned func, std::uint32_t off) { return hal_.read32(func_dbi(func) + off); }
void dwc_ep_driver::dbi_write(unsigned func, std::uint32_t off, std::uint32_t v) { hal_.write32(func_dbi(func) + off, v); }
void dwc_ep_driver::dbi2_write(unsigned func, std::uint32_t off, std::uint32_t v) {
    hal_.write32(func_dbi2(func) + off, v);
}
void dwc_ep_driver::dbi_ro_wr(bool enable) {
    std::uint32_t v = dbi_read(0, dwc::MISC_CONTROL_1);
    v = enable ? (v | dwc::DBI_RO_WR_EN) : (v & ~dwc::DBI_RO_WR_EN);
    dbi_write(0, dwc::MISC_CONTROL_1, v);
}

std::uint32_t dwc_ep_driver::atu_read(bool ib, unsigned idx, std::uint32_t reg) {
    return hal_.read32(atu_ + dwc::atu_region(ib, idx) + reg);
}
void dwc_ep_driver::atu_write(bool ib, unsigned idx, std::uint32_t reg, std::uint32_t v) {
    hal_.write32(atu_ + dwc::atu_region(ib, idx) + reg, v);
}

status dwc_ep_driver::wait_enabled(bool ib, unsigned idx) {
    for (unsigned i = 0; i < dwc::ATU_ENABLE_RETRIES; ++i) {
        if (atu_read(ib, idx, dwc::ATU_CTRL2) & dwc::ATU_ENABLE)
            return {};
        hal_.sleep_ns(dwc::ATU_ENABLE_WAIT_NS);
    }
    return {errc::timed_out, std::string(ib ? "Inbound" : "Outbound") + " iATU is not being enabled"};
}

status dwc_ep_driver::start_link(std::uint64_t timeout_ns) {
    hal_.write32(app_ + dwc::APP_CTRL, hal_.read32(app_ + dwc::APP_CTRL) | dwc::APP_LTSSM_EN);
    const std::uint64_t deadline = hal_.now_ns() + timeout_ns;
    while (!link_up()) {
        if (hal_.now_ns() >= deadline)
            return {errc::timed_out, "link did not come up"};
        hal_.sleep_ns(1000);
    }
    return {};
}

bool dwc_ep_driver::link_up() { return hal_.read32(app_ + dwc::APP_STATUS) & dwc::APP_LINK_UP; }

status dwc_ep_driver::configure_bar(unsigned func, unsigned bar, std::uint64_t size, bar_flags flags) {
    if (func >= num_functions_ || bar > 5)
        return {errc::invalid_argument, "no BAR " + std::to_string(bar) + " on function " + std::to_string(func)};
    if (flags.is64 && (bar & 1))
        return {errc::invalid_argument, "DWC does not allow BAR pairs to overlap: 64-bit BAR" +
                                            std::to_string(bar) + " must be even"};
    if (size && (!is_pow2(size) || size < 128))
        return {errc::invalid_argument, "BAR size " + hex(size) + " is not a power of two >= 128"};
    if (!flags.is64 && size > (1ull << 31))
        return {errc::invalid_argument, "BAR size " + hex(size) + " needs a 64-bit BAR"};
    const bar_feature& feat = features_.bars[bar];
    if (size && (feat.kind == bar_kind::reserved || feat.kind == bar_kind::disabled))
        return {errc::invalid_argument, "BAR" + std::to_string(bar) + " is " +
                                            (feat.kind == bar_kind::reserved ? "reserved" : "disabled") +
                                            " on this controller"};
    if (size && feat.kind == bar_kind::fixed && size != feat.fixed_size)
        return {errc::invalid_argument, "BAR" + std::to_string(bar) + " is fixed at " + hex(feat.fixed_size) +
                                            " bytes, not " + hex(size)};
    if (size && feat.kind == bar_kind::resizable && (size < (1ull << 20) || size > (1ull << 47)))
        return {errc::invalid_argument, "resizable BAR" + std::to_string(bar) + " must be 1 MiB..128 TiB, not " +
                                            hex(size)};
    std::uint64_t& cur = bar_size_[func][bar];
    bar_flags& cur_flags = bar_flags_[func][bar];
    if (cur && size) {
        if (cur == size && cur_flags.is64 == flags.is64 && cur_flags.prefetchable == flags.prefetchable)
            return {}; // already so: keep the host-assigned address
        return {errc::invalid_argument, "BAR" + std::to_string(bar) + " is configured with another size or type"};
    }
    const std::uint32_t reg = dwc::CFG_BAR0 + 4 * bar;
    if (size == 0) // clear_bar: its inbound windows go too
        clear_ib_maps(func, bar);
    dbi_ro_wr(true);
    if (size == 0) {
        dbi2_write(func, reg, 0);
        dbi_write(func, reg, 0);
        if (cur_flags.is64) {
            dbi2_write(func, reg + 4, 0);
            dbi_write(func, reg + 4, 0);
        }
    } else if (feat.kind == bar_kind::resizable) {
        // Enable through the mask register, size through the Resizable BAR capability: advertise only the size
        // wanted (REBAR_CAP bit n = 2^(n + 16) bytes), the controller moves REBAR_CTRL's size to it.
        const int cap = find_ext_cap(func, 0x0015);
        if (cap < 0) {
            dbi_ro_wr(false);
            return {errc::not_supported, "BAR" + std::to_string(bar) + " is resizable but there is no REBAR capability"};
        }
        const unsigned nbars = (dbi_read(func, static_cast<std::uint32_t>(cap) + 8) >> 5) & 7;
        int entry = -1;
        for (unsigned k = 0; k < nbars; ++k)
            if ((dbi_read(func, static_cast<std::uint32_t>(cap) + 8 + 8 * k) & 7) == bar)
                entry = static_cast<int>(k);
        if (entry < 0) {
            dbi_ro_wr(false);
            return {errc::not_supported, "BAR" + std::to_string(bar) + " has no REBAR entry"};
        }
        const std::uint32_t at = static_cast<std::uint32_t>(cap) + 4 + 8 * static_cast<std::uint32_t>(entry);
        const unsigned log2 = log2_of(size);
        dbi2_write(func, reg, 1);
        dbi_write(func, at, 1u << (log2 - 16));
        const std::uint32_t ctrl = dbi_read(func, at + 4);
        dbi_write(func, at + 4, (ctrl & ~0x3f00u) | ((log2 - 20) << 8));
        dbi_write(func, reg, (flags.is64 ? dwc::BAR_MEM64 : 0) | (flags.prefetchable ? dwc::BAR_PREFETCH : 0));
    } else {
        const std::uint32_t type = (flags.is64 ? dwc::BAR_MEM64 : 0) | (flags.prefetchable ? dwc::BAR_PREFETCH : 0);
        dbi2_write(func, reg, static_cast<std::uint32_t>(size - 1));
        dbi_write(func, reg, type);
        if (flags.is64) {
            dbi2_write(func, reg + 4, static_cast<std::uint32_t>((size - 1) >> 32));
            dbi_write(func, reg + 4, 0);
        }
    }
    dbi_ro_wr(false);
    cur = size;
    cur_flags = size ? flags : bar_flags{};
    return {};
}

status dwc_ep_driver::map_bar(unsigned func, unsigned bar, std::uint64_t phys) {
    if (func >= num_functions_ || bar > 5)
        return {errc::invalid_argument, "no BAR " + std::to_string(bar) + " on function " + std::to_string(func)};
    const std::uint64_t size = bar_size_[func][bar];
    if (!size)
        return {errc::invalid_argument, "BAR" + std::to_string(bar) + " of function " + std::to_string(func) +
                                            " is not configured"};
    if (phys % align_ != 0 || (size && phys % size != 0))
        return {errc::invalid_argument, "inbound target " + hex(phys) + " is not aligned to the iATU region size " +
                                            hex(align_) + " and the BAR size " + hex(size)};
    // Sub-range windows of the BAR give way to the BAR-match window.
    for (unsigned w : bar_sub_[func][bar]) {
        atu_write(true, w, dwc::ATU_CTRL2, 0);
        ib_used_[w] = false;
    }
    bar_sub_[func][bar].clear();
    unsigned win;
    if (bar_to_atu_[func][bar]) {
        win = bar_to_atu_[func][bar] - 1;
    } else {
        auto w = free_ib_window();
        if (!w)
            return w.error();
        win = w.value();
    }
    if (mapper_)
        if (auto s = mapper_(phys, size); !s)
            return s;
    atu_write(true, win, dwc::ATU_LOWER_TARGET, static_cast<std::uint32_t>(phys));
    atu_write(true, win, dwc::ATU_UPPER_TARGET, static_cast<std::uint32_t>(phys >> 32));
    atu_write(true, win, dwc::ATU_CTRL1, dwc::ATU_TYPE_MEM | dwc::atu_func_num(func));
    atu_write(true, win, dwc::ATU_CTRL2,
              dwc::ATU_ENABLE | dwc::ATU_FUNC_NUM_MATCH_EN | dwc::ATU_BAR_MODE_ENABLE | dwc::atu_bar(bar));
    if (auto s = wait_enabled(true, win); !s)
        return s;
    ib_used_[win] = true;
    bar_to_atu_[func][bar] = win + 1;
    return {};
}

status dwc_ep_driver::unmap_bar(unsigned func, unsigned bar) {
    if (func >= num_functions_ || bar > 5 || (!bar_to_atu_[func][bar] && bar_sub_[func][bar].empty()))
        return {errc::invalid_argument, "BAR " + std::to_string(bar) + " of function " + std::to_string(func) +
                                            " is not mapped"};
    return clear_ib_maps(func, bar);
}

status dwc_ep_driver::clear_ib_maps(unsigned func, unsigned bar) {
    // Linux dw_pcie_ep_clear_ib_maps(): the BAR-match window if there is one, else every sub-range window.
    if (bar_to_atu_[func][bar]) {
        const unsigned win = bar_to_atu_[func][bar] - 1;
        atu_write(true, win, dwc::ATU_CTRL2, 0);
        ib_used_[win] = false;
        bar_to_atu_[func][bar] = 0;
    }
    for (unsigned w : bar_sub_[func][bar]) {
        atu_write(true, w, dwc::ATU_CTRL2, 0);
        ib_used_[w] = false;
    }
    bar_sub_[func][bar].clear();
    return {};
}

result<unsigned> dwc_ep_driver::free_ib_window() const {
    for (unsigned i = 0; i < num_ib_; ++i)
        if (!ib_used_[i])
            return i;
    return status(errc::no_space, "No free inbound window (" + std::to_string(num_ib_) + " in use)");
}

unsigned dwc_ep_driver::free_ib_windows() const {
    return static_cast<unsigned>(std::count(ib_used_.begin(), ib_used_.end(), false));
}

status dwc_ep_driver::map_bar_subranges(unsigned func, unsigned bar, const std::vector<bar_subrange>& map) {
    if (func >= num_functions_ || bar > 5)
        return {errc::invalid_argument, "no BAR " + std::to_string(bar) + " on function " + std::to_string(func)};
    const std::uint64_t size = bar_size_[func][bar];
    if (!size)
        return {errc::invalid_argument, "BAR" + std::to_string(bar) +
                                            " is not configured: sub-range mapping only updates a set BAR"};
    const std::uint64_t base = bar_assigned(func, bar);
    if (!base)
        return {errc::invalid_argument, "BAR" + std::to_string(bar) + " not assigned, cannot set up sub-range mappings"};
    if (map.empty())
        return {errc::invalid_argument, "no sub-ranges"};
    if (!align_ || size % align_)
        return {errc::invalid_argument, "BAR" + std::to_string(bar) + " size " + hex(size) +
                                            " is not a multiple of the iATU region size " + hex(align_)};
    std::uint64_t off = 0;
    for (std::size_t i = 0; i < map.size(); ++i) {
        const bar_subrange& e = map[i];
        const std::string what = "sub-range " + std::to_string(i);
        if (e.size == 0 || e.size % align_ || e.phys % align_)
            return {errc::invalid_argument, what + " (" + hex(e.phys) + ", " + hex(e.size) +
                                                ") is not aligned to the iATU region size " + hex(align_)};
        if (e.size > size - off)
            return {errc::invalid_argument, what + " runs past the end of BAR" + std::to_string(bar)};
        off += e.size;
    }
    if (off != size)
        return {errc::invalid_argument, "the sub-ranges cover " + hex(off) + " of BAR" + std::to_string(bar) + "'s " +
                                            hex(size) + " bytes"};
    if (free_ib_windows() + (bar_to_atu_[func][bar] ? 1 : 0) + bar_sub_[func][bar].size() < map.size())
        return {errc::no_space, "No free inbound window: " + std::to_string(map.size()) + " sub-ranges, " +
                                    std::to_string(free_ib_windows()) + " windows free"};
    clear_ib_maps(func, bar);
    off = 0;
    for (const bar_subrange& e : map) {
        auto w = free_ib_window();
        status st = w ? status{} : w.error();
        if (st && mapper_)
            st = mapper_(e.phys, e.size);
        if (st) {
            const unsigned win = w.value();
            const std::uint64_t pci = base + off, limit = pci + e.size - 1;
            atu_write(true, win, dwc::ATU_LOWER_BASE, static_cast<std::uint32_t>(pci));
            atu_write(true, win, dwc::ATU_UPPER_BASE, static_cast<std::uint32_t>(pci >> 32));
            atu_write(true, win, dwc::ATU_LIMIT, static_cast<std::uint32_t>(limit));
            if (version_ >= V4_60A)
                atu_write(true, win, dwc::ATU_UPPER_LIMIT, static_cast<std::uint32_t>(limit >> 32));
            atu_write(true, win, dwc::ATU_LOWER_TARGET, static_cast<std::uint32_t>(e.phys));
            atu_write(true, win, dwc::ATU_UPPER_TARGET, static_cast<std::uint32_t>(e.phys >> 32));
            std::uint32_t ctrl1 = dwc::ATU_TYPE_MEM | dwc::atu_func_num(func);
            if ((limit >> 32) > (pci >> 32))
                ctrl1 |= dwc::ATU_INCREASE_REGION_SIZE;
            atu_write(true, win, dwc::ATU_CTRL1, ctrl1);
            atu_write(true, win, dwc::ATU_CTRL2, dwc::ATU_ENABLE | dwc::ATU_FUNC_NUM_MATCH_EN);
            st = wait_enabled(true, win);
            ib_used_[win] = true;
            bar_sub_[func][bar].push_back(win);
        }
        if (!st) {
            clear_ib_maps(func, bar);
            return st;
        }
        off += e.size;
    }
    return {};
}

status dwc_ep_driver::align_inbound_addr(unsigned func, unsigned bar, std::uint64_t addr, std::uint64_t& base,
                                         std::uint64_t& offset) const {
    if (func >= num_functions_ || bar > 5)
        return {errc::invalid_argument, "no BAR " + std::to_string(bar) + " on function " + std::to_string(func)};
    const std::uint64_t size = bar_size_[func][bar];
    if (!size)
        return {errc::invalid_argument, "BAR" + std::to_string(bar) + " has no size to align to"};
    // Linux aligns to the BAR size only; a BAR-match target must also be aligned to the iATU region size, so a
    // BAR smaller than CX_ATU_MIN_REGION_SIZE takes the region's alignment, and the offset must still fit.
    const std::uint64_t align = std::max(size, align_);
    base = addr & ~(align - 1);
    offset = addr & (align - 1);
    if (offset + 4 > size)
        return {errc::out_of_range, hex(addr) + " is at offset " + hex(offset) + " of its " + hex(align) +
                                        "-byte aligned block, beyond the " + hex(size) + "-byte BAR" +
                                        std::to_string(bar)};
    return {};
}

void dwc_ep_driver::read_features() {
    features_ = {};
    features_.align = align_;
    fdt_view dt(hal_.fdt());
    for (unsigned b = 0; b < 6; ++b) {
        const std::string name = "bar" + std::to_string(b);
        const int n = fdt_subnode_offset(dt.blob(), node_, name.c_str());
        if (n < 0)
            continue;
        bar_feature& f = features_.bars[b];
        const char* type = static_cast<const char*>(fdt_getprop(dt.blob(), n, "dbvp,type", nullptr));
        const std::string t = type ? type : "programmable";
        f.kind = t == "fixed"       ? bar_kind::fixed
                 : t == "resizable" ? bar_kind::resizable
                 : t == "reserved"  ? bar_kind::reserved
                 : t == "disabled"  ? bar_kind::disabled
                                    : bar_kind::programmable;
        f.fixed_size = dt.u64(n, "dbvp,size", 0);
        f.reserved_target = dt.u64(n, "dbvp,target", 0);
        f.only_64bit = dt.has(n, "dbvp,64bit");
    }
}

void dwc_ep_driver::detect_edma(std::uint64_t dma_base, std::uint64_t dma_size) {
    edma_ = {};
    if (!dma_base)
        return;
    // Before 5.40a the eDMA may sit behind a viewport in the DBI: not supported by this driver.
    const std::uint32_t mf = version_ >= V5_40A ? 0xffffffffu : dbi_read(0, DMA_VIEWPORT_CTRL);
    if (mf != 0xffffffffu)
        return;
    const std::uint32_t ctrl = hal_.read32(dma_base + EDMA_CTRL);
    const unsigned wr = ctrl & 0xf, rd = (ctrl >> 16) & 0xf;
    if (wr < 1 || wr > 8 || rd < 1 || rd > 8)
        return;
    edma_ = {true, dma_base, dma_size, wr, rd};
}

std::vector<aux_resource> dwc_ep_driver::aux_resources(unsigned func) const {
    std::vector<aux_resource> out;
    if (!edma_.present || func >= num_functions_ || EDMA_DB_OFFSET + 4 > edma_.size)
        return out;
    // The interrupt the emulation raises: the combined "dma" line, or read channel 0's "dma<wr_channels>".
    fdt_view dt(hal_.fdt());
    int idx = fdt_stringlist_search(dt.blob(), node_, "interrupt-names", "dma");
    if (idx < 0)
        idx = fdt_stringlist_search(dt.blob(), node_, "interrupt-names",
                                    ("dma" + std::to_string(edma_.wr_channels)).c_str());
    const auto cells = dt.cells(node_, "interrupts");
    if (idx < 0 || cells.size() < 3u * (idx + 1) || cells[3 * idx] != 0)
        return out;
    aux_resource r;
    r.phys_addr = edma_.base + EDMA_DB_OFFSET;
    r.irq_index = static_cast<unsigned>(idx);
    r.irq = 32 + cells[3 * idx + 1];
    r.data = 0;
    // Pre-exposed: a reserved BAR hard-wired to the eDMA block (the DMA_CTRL_MMIO reserved region).
    for (unsigned b = 0; b < 6; ++b) {
        const bar_feature& f = features_.bars[b];
        if (f.kind == bar_kind::reserved && r.phys_addr >= f.reserved_target &&
            r.phys_addr + r.size <= f.reserved_target + f.fixed_size) {
            r.bar = static_cast<int>(b);
            r.bar_offset = r.phys_addr - f.reserved_target;
            break;
        }
    }
    out.push_back(r);
    return out;
}

result<std::uint64_t> dwc_ep_driver::alloc_addr_space(std::uint64_t size) {
    size = (size + align_ - 1) & ~(align_ - 1);
    if (size == 0 || size > addr_space_size_ - addr_space_used_)
        return status(errc::no_space, "outbound address space exhausted (" + hex(addr_space_size_) + " bytes)");
    const std::uint64_t phys = addr_space_ + addr_space_used_;
    addr_space_used_ += size;
    return phys;
}

result<unsigned> dwc_ep_driver::map_outbound(unsigned func, std::uint64_t phys, std::uint64_t pci_addr,
                                             std::uint64_t size) {
    size = (size + align_ - 1) & ~(align_ - 1);
    const std::uint64_t limit = phys + size - 1;
    if (size == 0 || phys % align_ != 0 || pci_addr % align_ != 0 || (limit & ~limit_) != (phys & ~limit_))
        return status(errc::invalid_argument, "outbound window " + hex(phys) + " -> " + hex(pci_addr) + " size " +
                                                  hex(size) + " violates the iATU alignment " + hex(align_));
    if (phys < addr_space_ || limit >= addr_space_ + addr_space_size_)
        return status(errc::invalid_argument, "outbound window " + hex(phys) + " is outside addr_space");
    unsigned win = num_ob_;
    for (unsigned i = 0; i < num_ob_; ++i)
        if (!ob_used_[i]) {
            win = i;
            break;
        }
    if (win == num_ob_)
        return status(errc::no_space, "No free outbound window");
    atu_write(false, win, dwc::ATU_LOWER_BASE, static_cast<std::uint32_t>(phys));
    atu_write(false, win, dwc::ATU_UPPER_BASE, static_cast<std::uint32_t>(phys >> 32));
    atu_write(false, win, dwc::ATU_LIMIT, static_cast<std::uint32_t>(limit));
    if (version_ >= V4_60A)
        atu_write(false, win, dwc::ATU_UPPER_LIMIT, static_cast<std::uint32_t>(limit >> 32));
    atu_write(false, win, dwc::ATU_LOWER_TARGET, static_cast<std::uint32_t>(pci_addr));
    atu_write(false, win, dwc::ATU_UPPER_TARGET, static_cast<std::uint32_t>(pci_addr >> 32));
    std::uint32_t ctrl1 = dwc::ATU_TYPE_MEM | dwc::atu_func_num(func);
    if ((limit >> 32) > (phys >> 32))
        ctrl1 |= dwc::ATU_INCREASE_REGION_SIZE;
    atu_write(false, win, dwc::ATU_CTRL1, ctrl1);
    atu_write(false, win, dwc::ATU_CTRL2, dwc::ATU_ENABLE);
    if (auto s = wait_enabled(false, win); !s)
        return s;
    ob_used_[win] = true;
    return win;
}

void dwc_ep_driver::unmap_outbound(unsigned window) {
    if (window >= num_ob_)
        return;
    atu_write(false, window, dwc::ATU_CTRL2, 0);
    ob_used_[window] = false;
}

int dwc_ep_driver::find_ext_cap(unsigned func, std::uint32_t id) {
    unsigned ptr = 0x100;
    for (unsigned guard = 0; ptr >= 0x100 && guard < 64; ++guard) {
        const std::uint32_t hdr = dbi_read(func, ptr);
        if (hdr == 0 || hdr == 0xffffffffu)
            return -1;
        if ((hdr & 0xffff) == id)
            return static_cast<int>(ptr);
        ptr = (hdr >> 20) & 0xffc;
    }
    return -1;
}

int dwc_ep_driver::find_cap(unsigned func, std::uint32_t id) {
    unsigned ptr = dbi_read(func, dwc::CFG_CAP_PTR) & 0xfc;
    for (unsigned guard = 0; ptr && guard < 48; ++guard) {
        const std::uint32_t hdr = dbi_read(func, ptr);
        if ((hdr & 0xff) == id)
            return static_cast<int>(ptr);
        ptr = (hdr >> 8) & 0xfc;
    }
    return -1;
}

status dwc_ep_driver::raise_msi(unsigned func, unsigned vector) {
    if (func >= num_functions_)
        return {errc::invalid_argument, "no function " + std::to_string(func)};
    const int cap = msi_cap_[func];
    if (cap < 0)
        return {errc::not_supported, "function " + std::to_string(func) + " has no MSI capability"};
    const std::uint32_t ctrl = dbi_read(func, cap) >> 16;
    if (!(ctrl & 1))
        return {errc::invalid_argument, "MSI is not enabled by the host"};
    const unsigned granted = 1u << ((ctrl >> 4) & 7);
    if (vector == 0 || vector > granted)
        return {errc::invalid_argument, "MSI vector " + std::to_string(vector) + " outside the " +
                                            std::to_string(granted) + " the host granted"};
    const bool is64 = ctrl & (1u << 7);
    std::uint64_t addr = dbi_read(func, cap + 4);
    if (is64)
        addr |= static_cast<std::uint64_t>(dbi_read(func, cap + 8)) << 32;
    const std::uint32_t data = dbi_read(func, cap + (is64 ? 0xc : 0x8)) & 0xffff;
    const std::uint64_t page = addr & ~(align_ - 1);
    const std::uint64_t window_phys = msi_phys_[func];
    if (!msi_window_[func] || msi_page_[func] != page) {
        if (msi_window_[func])
            unmap_outbound(msi_window_[func] - 1);
        msi_window_[func] = 0;
        auto win = map_outbound(func, window_phys, page, align_);
        if (!win)
            return win.error();
        msi_window_[func] = win.value() + 1;
        msi_page_[func] = page;
    }
    bool ok = true;
    hal_.write32(window_phys + (addr - page), data | (vector - 1), &ok);
    if (!ok)
        return {errc::io_error, "MSI write to " + hex(addr) + " failed"};
    return {};
}

std::uint64_t dwc_ep_driver::bar_assigned(unsigned func, unsigned bar) {
    if (func >= num_functions_ || bar > 5)
        return 0;
    const std::uint32_t lo = dbi_read(func, dwc::CFG_BAR0 + 4 * bar);
    std::uint64_t addr = lo & ~0xfull;
    if ((lo & 0x6) == dwc::BAR_MEM64 && bar < 5)
        addr |= static_cast<std::uint64_t>(dbi_read(func, dwc::CFG_BAR0 + 4 * (bar + 1))) << 32;
    return addr;
}

} // namespace dbvp::fw
