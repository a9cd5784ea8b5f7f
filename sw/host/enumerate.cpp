// dbvp host software — PCI enumeration (see enumerate.h).
#include "dbvp/host/enumerate.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

namespace dbvp::host {

namespace {

// Type-0 configuration header offsets and bits.
constexpr std::uint16_t cfg_vendor_id = 0x00;
constexpr std::uint16_t cfg_device_id = 0x02;
constexpr std::uint16_t cfg_command = 0x04;
constexpr std::uint16_t cfg_status = 0x06;
constexpr std::uint16_t cfg_class_rev = 0x08;
constexpr std::uint16_t cfg_header_type = 0x0e;
constexpr std::uint16_t cfg_bar0 = 0x10;
constexpr std::uint16_t cfg_cap_ptr = 0x34;

constexpr std::uint32_t cmd_io = 1u << 0;
constexpr std::uint32_t cmd_mem = 1u << 1;
constexpr std::uint32_t cmd_bus_master = 1u << 2;
constexpr std::uint32_t status_cap_list = 1u << 4;
constexpr std::uint32_t header_multifunction = 1u << 7;

constexpr std::uint32_t bar_io = 1u << 0;
constexpr std::uint32_t bar_type_mask = 3u << 1;
constexpr std::uint32_t bar_type_64 = 2u << 1;
constexpr std::uint32_t bar_prefetch = 1u << 3;

constexpr std::uint8_t cap_id_msi = 0x05;
constexpr std::uint32_t msi_ctrl_enable = 1u << 0;
constexpr std::uint32_t msi_ctrl_64bit = 1u << 7;

constexpr unsigned max_caps = 48; // (256 - 64) / 4: a longer chain is a loop

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}

const char* bar_kind(const bar_info& b) {
    if (b.is64)
        return b.prefetchable ? "64-bit prefetchable" : "64-bit";
    return b.prefetchable ? "32-bit prefetchable" : "32-bit";
}

class enumerator {
public:
    enumerator(hal& h, const enum_config& cfg, enum_result& res) : h_(h), cfg_(cfg), res_(res) {}

    bool run() {
        if (!h_.wait_link_up(cfg_.link_timeout_ns))
            return fail(format("link did not come up within %llu ns",
                               static_cast<unsigned long long>(cfg_.link_timeout_ns)));
        if (!probe_function0())
            return false;
        if (res_.functions.front().multifunction) {
            for (unsigned fn = 1; fn < 8; ++fn) {
                const std::uint16_t bdf = make_bdf(fn);
                std::uint32_t vendor = 0;
                if (h_.cfg_read(bdf, cfg_vendor_id, 2, vendor) != completion::ok || vendor == 0xffff)
                    continue;
                function_info f;
                f.bdf = bdf;
                f.vendor_id = static_cast<std::uint16_t>(vendor);
                res_.functions.push_back(f);
            }
        }
        for (auto& f : res_.functions)
            if (!identify(f) || !size_bars(f))
                return false;
        if (!assign())
            return false;
        for (std::size_t i = 0; i < res_.functions.size(); ++i) {
            function_info& f = res_.functions[i];
            if (!write_bars(f) || !setup_msi(f))
                return false;
            std::uint32_t cmd = 0;
            if (!rd(f.bdf, cfg_command, 2, cmd, "command") ||
                !wr(f.bdf, cfg_command, 2, (cmd & ~cmd_io) | cmd_mem | cmd_bus_master, "command"))
                return false;
        }
        res_.ok = true;
        return true;
    }

private:
    std::uint16_t make_bdf(unsigned fn) const {
        return static_cast<std::uint16_t>((unsigned{cfg_.bus} << 8) | (fn & 7));
    }

    bool fail(std::string msg) {
        res_.ok = false;
        res_.error = std::move(msg);
        return false;
    }

    bool rd(std::uint16_t bdf, std::uint16_t off, unsigned len, std::uint32_t& v, const char* what) {
        const completion c = h_.cfg_read(bdf, off, len, v);
        if (c == completion::ok)
            return true;
        return fail(format("%s: config read of %s (offset 0x%03x) failed: %s", bdf_string(bdf).c_str(), what, off,
                           to_string(c)));
    }

    bool wr(std::uint16_t bdf, std::uint16_t off, unsigned len, std::uint32_t v, const char* what) {
        const completion c = h_.cfg_write(bdf, off, len, v);
        if (c == completion::ok)
            return true;
        return fail(format("%s: config write of %s (offset 0x%03x) failed: %s", bdf_string(bdf).c_str(), what,
                           off, to_string(c)));
    }

    bool probe_function0() {
        const std::uint16_t bdf = make_bdf(0);
        std::uint32_t vendor = 0;
        completion c = h_.cfg_read(bdf, cfg_vendor_id, 2, vendor);
        if (c == completion::crs) {
            // Configuration Request Retry Status: the device is not ready yet; retry with a growing delay.
            const std::uint64_t start = h_.now_ns();
            std::uint64_t backoff = 1000;
            while (c == completion::crs && h_.now_ns() - start < cfg_.crs_timeout_ns) {
                h_.sleep_ns(backoff);
                backoff = std::min<std::uint64_t>(backoff * 2, 1000000);
                c = h_.cfg_read(bdf, cfg_vendor_id, 2, vendor);
            }
            if (c == completion::crs)
                return fail(format("%s: still answers CRS after %llu ns", bdf_string(bdf).c_str(),
                                   static_cast<unsigned long long>(cfg_.crs_timeout_ns)));
        }
        if (c != completion::ok)
            return fail(format("no device at %s: vendor ID read completed with %s", bdf_string(bdf).c_str(),
                               to_string(c)));
        if (vendor == 0xffff)
            return fail(format("no device at %s: vendor ID reads 0xffff", bdf_string(bdf).c_str()));
        function_info f;
        f.bdf = bdf;
        f.vendor_id = static_cast<std::uint16_t>(vendor);
        std::uint32_t hdr = 0;
        if (!rd(bdf, cfg_header_type, 1, hdr, "header type"))
            return false;
        f.multifunction = (hdr & header_multifunction) != 0;
        res_.functions.push_back(f);
        return true;
    }

    bool identify(function_info& f) {
        std::uint32_t v = 0;
        if (!rd(f.bdf, cfg_device_id, 2, v, "device ID"))
            return false;
        f.device_id = static_cast<std::uint16_t>(v);
        if (!rd(f.bdf, cfg_class_rev, 4, v, "class code"))
            return false;
        f.class_code = v >> 8;
        if (!rd(f.bdf, cfg_header_type, 1, v, "header type"))
            return false;
        f.multifunction = (v & header_multifunction) != 0;
        if ((v & 0x7f) != 0)
            return fail(format("%s: header type %u is not supported (only type 0 endpoints)",
                               bdf_string(f.bdf).c_str(), v & 0x7f));
        // No decoding while the BARs are sized and moved.
        if (!rd(f.bdf, cfg_command, 2, v, "command") ||
            !wr(f.bdf, cfg_command, 2, v & ~(cmd_io | cmd_mem), "command"))
            return false;
        return true;
    }

    /// Write all-ones to a BAR register, read back, restore.
    bool probe_reg(std::uint16_t bdf, std::uint16_t off, std::uint32_t original, std::uint32_t& readback) {
        return wr(bdf, off, 4, 0xffffffffu, "BAR") && rd(bdf, off, 4, readback, "BAR") &&
               wr(bdf, off, 4, original, "BAR");
    }

    bool size_bars(function_info& f) {
        for (unsigned i = 0; i < 6; ++i) {
            const std::uint16_t off = static_cast<std::uint16_t>(cfg_bar0 + 4 * i);
            std::uint32_t orig = 0, rb = 0;
            if (!rd(f.bdf, off, 4, orig, "BAR") || !probe_reg(f.bdf, off, orig, rb))
                return false;
            if (rb == 0)
                continue;
            bar_info& b = f.bars[i];
            if (rb & bar_io) {
                b.present = true;
                b.io = true;
                continue;
            }
            std::uint64_t mask = rb & ~0xfu;
            b.prefetchable = (rb & bar_prefetch) != 0;
            if ((rb & bar_type_mask) == bar_type_64) {
                if (i == 5)
                    return fail(format("%s BAR5: 64-bit BAR in the last BAR slot", bdf_string(f.bdf).c_str()));
                const std::uint16_t hi_off = static_cast<std::uint16_t>(off + 4);
                std::uint32_t orig_hi = 0, rb_hi = 0;
                if (!rd(f.bdf, hi_off, 4, orig_hi, "BAR") || !probe_reg(f.bdf, hi_off, orig_hi, rb_hi))
                    return false;
                mask |= std::uint64_t{rb_hi} << 32;
                b.is64 = true;
                ++i; // the upper half is not a BAR of its own
            } else {
                mask |= 0xffffffff00000000ull;
            }
            if ((b.is64 ? mask : (mask & 0xffffffffull)) == 0) { // no writable address bit: not implemented
                b = bar_info{};
                continue;
            }
            b.present = true;
            b.size = mask & (~mask + 1); // lowest writable address bit
        }
        return true;
    }

    struct window {
        const char* name;
        std::uint64_t base, size, next;
    };

    bool assign() {
        struct item {
            std::size_t fn;
            unsigned bar;
        };
        std::vector<item> items;
        for (std::size_t fi = 0; fi < res_.functions.size(); ++fi)
            for (unsigned i = 0; i < 6; ++i) {
                const bar_info& b = res_.functions[fi].bars[i];
                if (b.present && !b.io)
                    items.push_back({fi, i});
            }
        // Largest first (ties in scan order): with size-aligned placement this leaves no holes.
        std::stable_sort(items.begin(), items.end(), [this](const item& a, const item& b) {
            return res_.functions[a.fn].bars[a.bar].size > res_.functions[b.fn].bars[b.bar].size;
        });
        window w32{"mmio32", cfg_.mmio32_base, cfg_.mmio32_size, cfg_.mmio32_base};
        window w64{"mmio64", cfg_.mmio64_base, cfg_.mmio64_size, cfg_.mmio64_base};
        for (const item& it : items) {
            function_info& f = res_.functions[it.fn];
            bar_info& b = f.bars[it.bar];
            window& w = (b.is64 && b.prefetchable) ? w64 : w32;
            const std::uint64_t addr = (w.next + (b.size - 1)) & ~(b.size - 1);
            const bool fits = addr >= w.next && addr - w.base <= w.size && b.size <= w.size - (addr - w.base);
            if (!fits)
                return fail(format("%s BAR%u (%s, 0x%llx bytes): %s window [0x%llx, +0x%llx) exhausted",
                                   bdf_string(f.bdf).c_str(), it.bar, bar_kind(b),
                                   static_cast<unsigned long long>(b.size), w.name,
                                   static_cast<unsigned long long>(w.base), static_cast<unsigned long long>(w.size)));
            if (!b.is64 && addr + b.size > (1ull << 32))
                return fail(format("%s BAR%u (%s, 0x%llx bytes): address 0x%llx from the %s window is not "
                                   "reachable by a 32-bit BAR",
                                   bdf_string(f.bdf).c_str(), it.bar, bar_kind(b),
                                   static_cast<unsigned long long>(b.size), static_cast<unsigned long long>(addr),
                                   w.name));
            b.address = addr;
            w.next = addr + b.size;
        }
        return true;
    }

    bool write_bars(const function_info& f) {
        for (unsigned i = 0; i < 6; ++i) {
            const bar_info& b = f.bars[i];
            if (!b.present || b.io)
                continue;
            const std::uint16_t off = static_cast<std::uint16_t>(cfg_bar0 + 4 * i);
            if (!wr(f.bdf, off, 4, static_cast<std::uint32_t>(b.address), "BAR"))
                return false;
            if (b.is64 && !wr(f.bdf, static_cast<std::uint16_t>(off + 4), 4,
                              static_cast<std::uint32_t>(b.address >> 32), "BAR"))
                return false;
        }
        return true;
    }

    bool setup_msi(function_info& f) {
        std::uint32_t status = 0;
        if (!rd(f.bdf, cfg_status, 2, status, "status"))
            return false;
        if (!(status & status_cap_list))
            return true;
        std::uint32_t ptr = 0;
        if (!rd(f.bdf, cfg_cap_ptr, 1, ptr, "capability pointer"))
            return false;
        ptr &= 0xfc;
        for (unsigned n = 0; ptr >= 0x40 && n < max_caps; ++n) {
            std::uint32_t id = 0, next = 0;
            if (!rd(f.bdf, static_cast<std::uint16_t>(ptr), 1, id, "capability ID") ||
                !rd(f.bdf, static_cast<std::uint16_t>(ptr + 1), 1, next, "capability next pointer"))
                return false;
            if (id == cap_id_msi)
                return program_msi(f, static_cast<std::uint16_t>(ptr));
            ptr = next & 0xfc;
        }
        return true;
    }

    bool program_msi(function_info& f, std::uint16_t cap) {
        f.msi_cap = static_cast<std::uint8_t>(cap);
        std::uint32_t ctrl = 0;
        if (!rd(f.bdf, static_cast<std::uint16_t>(cap + 2), 2, ctrl, "MSI message control"))
            return false;
        if (cfg_.msi_vectors == 0)
            return true;
        const unsigned mmc = std::min((ctrl >> 1) & 7u, 5u);
        unsigned vectors = std::min(cfg_.msi_vectors, 1u << mmc);
        unsigned log2 = 0;
        while ((2u << log2) <= vectors)
            ++log2;
        vectors = 1u << log2;
        const std::uint64_t data = std::uint64_t{cfg_.msi_data_base} + 32ull * bdf_fn(f.bdf);
        if (data > 0xffff)
            return fail(format("%s: MSI data 0x%llx does not fit the 16-bit message data register",
                               bdf_string(f.bdf).c_str(), static_cast<unsigned long long>(data)));
        const std::uint64_t addr = h_.msi_address();
        const bool is64 = (ctrl & msi_ctrl_64bit) != 0;
        if (!is64 && (addr >> 32) != 0)
            return fail(format("%s: MSI address 0x%llx above 4 GiB but the MSI capability is 32-bit only",
                               bdf_string(f.bdf).c_str(), static_cast<unsigned long long>(addr)));
        if (!wr(f.bdf, static_cast<std::uint16_t>(cap + 4), 4, static_cast<std::uint32_t>(addr) & ~3u,
                "MSI address"))
            return false;
        if (is64 && !wr(f.bdf, static_cast<std::uint16_t>(cap + 8), 4, static_cast<std::uint32_t>(addr >> 32),
                        "MSI upper address"))
            return false;
        if (!wr(f.bdf, static_cast<std::uint16_t>(cap + (is64 ? 0xc : 0x8)), 2, static_cast<std::uint32_t>(data),
                "MSI data"))
            return false;
        const std::uint32_t new_ctrl = (ctrl & ~(7u << 4)) | (log2 << 4) | msi_ctrl_enable;
        if (!wr(f.bdf, static_cast<std::uint16_t>(cap + 2), 2, new_ctrl, "MSI message control"))
            return false;
        f.msi_vectors = vectors;
        f.msi_data = static_cast<std::uint32_t>(data);
        return true;
    }

    static unsigned bdf_fn(std::uint16_t bdf) { return bdf & 7; }

    hal& h_;
    const enum_config& cfg_;
    enum_result& res_;
};

} // namespace

std::string bdf_string(std::uint16_t bdf) {
    return format("%02x:%02x.%u", static_cast<unsigned>(bdf >> 8), static_cast<unsigned>((bdf >> 3) & 0x1f),
                  static_cast<unsigned>(bdf & 7));
}

enum_result enumerate(hal& h, const enum_config& cfg) {
    enum_result res;
    enumerator e(h, cfg, res);
    e.run();
    return res;
}

} // namespace dbvp::host
