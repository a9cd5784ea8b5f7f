// Host enumeration against a fake HAL (plain C++, no SystemC): function scan, BAR sizing and assignment, MSI
// programming, command bits, CRS retry, and the error cases (window exhausted, link timeout, no device).
#include "fake_config_space.h"
#include "dbvp/host/enumerate.h"
#include "dbvp/host/hal.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <gtest/gtest.h>
#include <map>
#include <string>
#include <vector>

using dbvp::host::completion;
using dbvp::host::enum_config;
using dbvp::host::enum_result;
using dbvp::host::enumerate;

namespace {

using dbvp::test::config_space;

config_space function(std::uint16_t device, bool multifunction = false) {
    config_space c;
    c.val[0] = (std::uint32_t{device} << 16) | 0x16c3;
    c.wmask[1] = 0x00000407; // command: I/O, memory, bus master, INTx disable
    c.val[2] = 0x05800001;
    c.val[3] = multifunction ? 0x00800000 : 0;
    return c;
}
void bar32(config_space& c, unsigned i, std::uint32_t size, bool prefetch = false) {
    c.val[4 + i] = prefetch ? 0x8 : 0x0;
    c.wmask[4 + i] = ~(size - 1);
}
void bar64(config_space& c, unsigned i, std::uint64_t size, bool prefetch) {
    const std::uint64_t mask = ~(size - 1);
    c.val[4 + i] = prefetch ? 0xc : 0x4;
    c.wmask[4 + i] = static_cast<std::uint32_t>(mask) & ~0xfu;
    c.wmask[5 + i] = static_cast<std::uint32_t>(mask >> 32);
}
void io_bar(config_space& c, unsigned i, std::uint32_t size) {
    c.val[4 + i] = 0x1;
    c.wmask[4 + i] = ~(size - 1) & ~0x3u;
}
void cap(config_space& c, unsigned at, std::uint8_t id, unsigned next) {
    if (!(c.val[1] & 0x00100000)) {
        c.val[1] |= 0x00100000; // status: capability list
        c.val[0x34 / 4] = at;
    }
    c.val[at / 4] = (c.val[at / 4] & 0xffff0000) | (next << 8) | id;
}
void msi(config_space& c, unsigned at, unsigned next, bool is64, unsigned mmc) {
    cap(c, at, 0x05, next);
    const std::uint32_t ctrl = (is64 ? 0x80 : 0) | (mmc << 1);
    c.val[at / 4] |= ctrl << 16;
    c.wmask[at / 4] = 0x00710000;
    c.wmask[at / 4 + 1] = 0xfffffffc;
    if (is64) {
        c.wmask[at / 4 + 2] = 0xffffffff;
        c.wmask[at / 4 + 3] = 0x0000ffff;
    } else {
        c.wmask[at / 4 + 2] = 0x0000ffff;
    }
}

struct cfg_access {
    std::uint16_t bdf, off;
    unsigned len;
    bool write;
    std::uint32_t value;
};

class fake_hal : public dbvp::host::hal {
public:
    std::map<std::uint16_t, config_space> fns;
    std::uint8_t bus = 1;
    bool link_up = true;
    std::uint64_t link_up_at = 0;
    std::uint64_t now = 0;
    unsigned crs_left = 0;
    std::uint64_t msi_addr = 0xfee00000;
    std::vector<cfg_access> log;
    bool decode_violation = false; // a BAR was probed with all-ones while memory decode was on

    completion cfg_read(std::uint16_t bdf, std::uint16_t off, unsigned len, std::uint32_t& v) override {
        now += 100;
        log.push_back({bdf, off, len, false, 0});
        auto it = fns.find(bdf);
        if ((bdf >> 8) != bus || it == fns.end()) {
            v = config_space::lane_mask(len);
            return completion::ur;
        }
        if ((bdf & 7) == 0 && off == 0 && crs_left > 0) {
            --crs_left;
            v = config_space::lane_mask(len);
            return completion::crs;
        }
        v = it->second.read(off, len);
        log.back().value = v;
        return completion::ok;
    }
    completion cfg_write(std::uint16_t bdf, std::uint16_t off, unsigned len, std::uint32_t v) override {
        now += 100;
        log.push_back({bdf, off, len, true, v});
        auto it = fns.find(bdf);
        if ((bdf >> 8) != bus || it == fns.end())
            return completion::ur;
        if (off >= 0x10 && off < 0x28 && v == 0xffffffffu && (it->second.command() & 0x2))
            decode_violation = true;
        it->second.write(off, len, v);
        return completion::ok;
    }
    completion mem_read(std::uint64_t, void*, unsigned) override { return completion::ur; }
    void mem_write(std::uint64_t, const void*, unsigned) override {}
    std::uint64_t now_ns() override { return now; }
    void sleep_ns(std::uint64_t ns) override { now += ns; }
    bool wait_link_up(std::uint64_t timeout_ns) override {
        if (link_up && link_up_at <= now + timeout_ns) {
            now = std::max(now, link_up_at);
            return true;
        }
        now += timeout_ns;
        return false;
    }
    bool wait_msi(std::uint64_t timeout_ns, dbvp::host::msi_message&) override {
        now += timeout_ns;
        return false;
    }
    std::uint64_t msi_address() const override { return msi_addr; }

    const config_space& fn(unsigned f) const { return fns.at(static_cast<std::uint16_t>(0x100 | f)); }
    std::uint64_t bar_value(unsigned f, unsigned i, bool is64) const {
        std::uint64_t v = fn(f).val[4 + i] & ~0xfu;
        if (is64)
            v |= std::uint64_t{fn(f).val[5 + i]} << 32;
        return v;
    }
};

enum_config windows() {
    enum_config c;
    c.mmio32_base = 0x40000000;
    c.mmio32_size = 0x00200000; // 2 MiB
    c.mmio64_base = 0x4000000000ull;
    c.mmio64_size = 0x10000000; // 256 MiB
    return c;
}

} // namespace

TEST(Enumerate, SizesAndAssignsBarsLargestFirst) {
    fake_hal h;
    config_space f = function(0xabcd);
    bar32(f, 0, 0x4000);                 // 16 KiB
    bar32(f, 1, 0x100000);               // 1 MiB
    bar64(f, 2, 0x800000, true);         // 8 MiB, 64-bit prefetchable (BAR2/3)
    io_bar(f, 5, 0x100);                 // BAR4 absent, BAR5 I/O
    h.fns[0x100] = f;
    const enum_result r = enumerate(h, windows());
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_EQ(r.functions.size(), 1u);
    const auto& fi = r.functions[0];
    EXPECT_EQ(fi.bdf, 0x100);
    EXPECT_EQ(fi.vendor_id, 0x16c3);
    EXPECT_EQ(fi.device_id, 0xabcd);
    EXPECT_EQ(fi.class_code, 0x058000u);
    EXPECT_FALSE(fi.multifunction);

    EXPECT_TRUE(fi.bars[0].present);
    EXPECT_EQ(fi.bars[0].size, 0x4000u);
    EXPECT_EQ(fi.bars[1].size, 0x100000u);
    EXPECT_EQ(fi.bars[1].address, 0x40000000u) << "largest 32-bit BAR first, at the window base";
    EXPECT_EQ(fi.bars[0].address, 0x40100000u) << "next, aligned to its size";
    EXPECT_TRUE(fi.bars[2].is64);
    EXPECT_TRUE(fi.bars[2].prefetchable);
    EXPECT_EQ(fi.bars[2].size, 0x800000u);
    EXPECT_EQ(fi.bars[2].address, 0x4000000000ull) << "64-bit prefetchable BARs come from the mmio64 window";
    EXPECT_FALSE(fi.bars[3].present) << "upper half of BAR2";
    EXPECT_FALSE(fi.bars[4].present);
    EXPECT_TRUE(fi.bars[5].present);
    EXPECT_TRUE(fi.bars[5].io);
    EXPECT_EQ(fi.bars[5].address, 0u) << "I/O BARs are not assigned";

    EXPECT_EQ(h.bar_value(0, 0, false), 0x40100000u);
    EXPECT_EQ(h.bar_value(0, 1, false), 0x40000000u);
    EXPECT_EQ(h.bar_value(0, 2, true), 0x4000000000ull);
    EXPECT_EQ(h.fn(0).val[6] & 0xf, 0xcu);
    EXPECT_EQ(h.fn(0).val[8], 0u);
    EXPECT_EQ(h.fn(0).val[9], 0x1u) << "I/O BAR restored after sizing";
}

TEST(Enumerate, AlignsWithinAnUnalignedWindow) {
    fake_hal h;
    config_space f = function(1);
    bar32(f, 0, 0x1000);
    bar32(f, 1, 0x10000);
    h.fns[0x100] = f;
    enum_config c = windows();
    c.mmio32_base = 0x40001000;
    const enum_result r = enumerate(h, c);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.functions[0].bars[1].address, 0x40010000u);
    EXPECT_EQ(r.functions[0].bars[0].address, 0x40020000u);
}

TEST(Enumerate, SixtyFourBitNonPrefetchableBarUsesMmio32) {
    fake_hal h;
    config_space f = function(1);
    bar64(f, 0, 0x10000, false);
    bar64(f, 2, 0x10000, true);
    h.fns[0x100] = f;
    const enum_result r = enumerate(h, windows());
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.functions[0].bars[0].address, 0x40000000u);
    EXPECT_EQ(r.functions[0].bars[2].address, 0x4000000000ull);
    EXPECT_EQ(h.fn(0).val[5], 0u);
    EXPECT_EQ(h.fn(0).val[7], 0x40u);
}

TEST(Enumerate, OtherFunctionsOnlyWithMultiFunctionBit) {
    fake_hal h;
    h.fns[0x100] = function(1, false);
    h.fns[0x101] = function(2, false);
    const enum_result r = enumerate(h, windows());
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_EQ(r.functions.size(), 1u);
    for (const cfg_access& a : h.log)
        EXPECT_EQ(a.bdf, 0x100) << "no access may reach function " << (a.bdf & 7);
}

TEST(Enumerate, MultiFunctionDeviceBarsDoNotOverlap) {
    fake_hal h;
    config_space f0 = function(1, true);
    bar32(f0, 0, 0x10000);
    bar32(f0, 1, 0x1000);
    config_space f1 = function(2, true);
    bar32(f1, 0, 0x100000);
    config_space f3 = function(3, true);
    bar32(f3, 0, 0x10000);
    bar64(f3, 2, 0x200000, true);
    config_space f2 = function(4, true);
    f2.val[0] = 0xffffffff; // reads all-ones: absent
    h.fns[0x100] = f0;
    h.fns[0x101] = f1;
    h.fns[0x102] = f2;
    h.fns[0x103] = f3; // functions 4..7 answer UR
    const enum_result r = enumerate(h, windows());
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_EQ(r.functions.size(), 3u);
    EXPECT_EQ(r.functions[0].bdf, 0x100);
    EXPECT_EQ(r.functions[1].bdf, 0x101);
    EXPECT_EQ(r.functions[2].bdf, 0x103);
    EXPECT_TRUE(r.functions[0].multifunction);
    // Largest first over all functions: f1 BAR0 (1 MiB), f0 BAR0 (64 KiB), f3 BAR0 (64 KiB), f0 BAR1 (4 KiB).
    EXPECT_EQ(r.functions[1].bars[0].address, 0x40000000u);
    EXPECT_EQ(r.functions[0].bars[0].address, 0x40100000u);
    EXPECT_EQ(r.functions[2].bars[0].address, 0x40110000u);
    EXPECT_EQ(r.functions[0].bars[1].address, 0x40120000u);
    EXPECT_EQ(r.functions[2].bars[2].address, 0x4000000000ull);
    struct range {
        std::uint64_t base, size;
    };
    std::vector<range> all;
    for (const auto& f : r.functions)
        for (const auto& b : f.bars)
            if (b.present && !b.io) {
                EXPECT_EQ(b.address % b.size, 0u) << "size-aligned";
                all.push_back({b.address, b.size});
            }
    ASSERT_EQ(all.size(), 5u);
    for (std::size_t i = 0; i < all.size(); ++i)
        for (std::size_t j = i + 1; j < all.size(); ++j)
            EXPECT_FALSE(all[i].base < all[j].base + all[j].size && all[j].base < all[i].base + all[i].size)
                << "BARs " << i << " and " << j << " overlap";
}

TEST(Enumerate, ProgramsMsiCapabilities) {
    fake_hal h;
    config_space f0 = function(1, true);
    cap(f0, 0x40, 0x01, 0x50);            // power management first
    msi(f0, 0x50, 0x00, true, 3);         // 64-bit, 8 vectors
    config_space f1 = function(2, true);
    msi(f1, 0x60, 0x00, false, 5);        // 32-bit, 32 vectors
    config_space f2 = function(3, true);  // no capabilities at all
    h.fns[0x100] = f0;
    h.fns[0x101] = f1;
    h.fns[0x102] = f2;
    enum_config c = windows();
    c.msi_data_base = 0x100;
    c.msi_vectors = 6; // rounded down to 4 where the function supports more
    const enum_result r = enumerate(h, c);
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_EQ(r.functions.size(), 3u);

    EXPECT_EQ(r.functions[0].msi_cap, 0x50);
    EXPECT_EQ(r.functions[0].msi_vectors, 4u);
    EXPECT_EQ(r.functions[0].msi_data, 0x100u);
    EXPECT_EQ(h.fn(0).val[0x50 / 4] >> 16, 0x0080u | (3u << 1) | (2u << 4) | 1u);
    EXPECT_EQ(h.fn(0).val[0x54 / 4], 0xfee00000u);
    EXPECT_EQ(h.fn(0).val[0x58 / 4], 0u);
    EXPECT_EQ(h.fn(0).val[0x5c / 4], 0x100u) << "64-bit capability: data at cap + 0xC";

    EXPECT_EQ(r.functions[1].msi_cap, 0x60);
    EXPECT_EQ(r.functions[1].msi_vectors, 4u);
    EXPECT_EQ(r.functions[1].msi_data, 0x120u) << "msi_data_base + 32 * function";
    EXPECT_EQ(h.fn(1).val[0x60 / 4] >> 16, (5u << 1) | (2u << 4) | 1u);
    EXPECT_EQ(h.fn(1).val[0x64 / 4], 0xfee00000u);
    EXPECT_EQ(h.fn(1).val[0x68 / 4], 0x120u) << "32-bit capability: data at cap + 8";

    EXPECT_EQ(r.functions[2].msi_cap, 0);
    EXPECT_EQ(r.functions[2].msi_vectors, 0u);
}

TEST(Enumerate, MsiVectorsLimitedByTheFunction) {
    fake_hal h;
    config_space f = function(1);
    msi(f, 0x48, 0x00, true, 1); // 2 vectors
    h.fns[0x100] = f;
    h.msi_addr = 0x123456780ull;
    const enum_result r = enumerate(h, windows()); // msi_vectors 32
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.functions[0].msi_vectors, 2u);
    EXPECT_EQ(h.fn(0).val[0x48 / 4] >> 16, 0x0080u | (1u << 1) | (1u << 4) | 1u);
    EXPECT_EQ(h.fn(0).val[0x4c / 4], 0x23456780u);
    EXPECT_EQ(h.fn(0).val[0x50 / 4], 0x1u) << "upper address dword";
}

TEST(Enumerate, HighMsiAddressNeeds64BitCapability) {
    fake_hal h;
    config_space f = function(1);
    msi(f, 0x48, 0x00, false, 0);
    h.fns[0x100] = f;
    h.msi_addr = 0x123456780ull;
    const enum_result r = enumerate(h, windows());
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("01:00.0"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("MSI"), std::string::npos) << r.error;
    EXPECT_EQ(h.fn(0).val[0x48 / 4] >> 16 & 1, 0u) << "MSI stays disabled";
}

TEST(Enumerate, CommandDecodeOffWhileSizingThenMemoryAndBusMaster) {
    fake_hal h;
    config_space f = function(1);
    f.val[1] |= 0x0007; // left enabled by someone before
    bar32(f, 0, 0x10000);
    h.fns[0x100] = f;
    const enum_result r = enumerate(h, windows());
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_FALSE(h.decode_violation) << "BARs must not be probed while memory decode is enabled";
    EXPECT_EQ(h.fn(0).command() & 0x7, 0x6) << "memory space + bus master, I/O off";
    // The last write is the command register.
    ASSERT_FALSE(h.log.empty());
    EXPECT_TRUE(h.log.back().write);
    EXPECT_EQ(h.log.back().off, 0x04);
}

TEST(Enumerate, WindowExhaustionNamesFunctionAndBar) {
    fake_hal h;
    config_space f = function(1);
    bar32(f, 0, 0x100000);
    bar32(f, 1, 0x4000);
    h.fns[0x100] = f;
    enum_config c = windows();
    c.mmio32_size = 0x100000;
    enum_result r = enumerate(h, c);
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("01:00.0 BAR1"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("mmio32"), std::string::npos) << r.error;

    fake_hal h2;
    config_space f2 = function(1);
    bar64(f2, 2, 0x1000, true);
    h2.fns[0x100] = f2;
    c = windows();
    c.mmio64_size = 0;
    r = enumerate(h2, c);
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("01:00.0 BAR2"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("mmio64"), std::string::npos) << r.error;
}

TEST(Enumerate, LinkTimeoutIsAnError) {
    fake_hal h;
    h.link_up = false;
    h.fns[0x100] = function(1);
    enum_config c = windows();
    c.link_timeout_ns = 5000;
    const enum_result r = enumerate(h, c);
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("link"), std::string::npos) << r.error;
    EXPECT_TRUE(h.log.empty()) << "no configuration request before the link is up";
    EXPECT_EQ(h.now, 5000u);

    fake_hal late;
    late.link_up_at = 6000;
    late.fns[0x100] = function(1);
    EXPECT_FALSE(enumerate(late, c).ok);
    late.now = 0;
    c.link_timeout_ns = 6000;
    EXPECT_TRUE(enumerate(late, c).ok);
}

TEST(Enumerate, NoDeviceIsAnError) {
    fake_hal h;
    const enum_result r = enumerate(h, windows());
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("no device at 01:00.0"), std::string::npos) << r.error;
    EXPECT_TRUE(r.functions.empty());

    fake_hal h2;
    h2.fns[0x100] = function(1);
    h2.fns[0x100].val[0] = 0xffffffff;
    EXPECT_FALSE(enumerate(h2, windows()).ok);
}

TEST(Enumerate, RetriesWhileFunctionZeroAnswersCrs) {
    fake_hal h;
    h.crs_left = 5;
    h.fns[0x100] = function(1);
    const enum_result r = enumerate(h, windows());
    ASSERT_TRUE(r.ok) << r.error;
    // Backoff 1 + 2 + 4 + 8 + 16 us between the six vendor-ID reads.
    const auto vendor_reads = std::count_if(h.log.begin(), h.log.end(),
                                            [](const cfg_access& a) { return !a.write && a.off == 0 && a.len == 2; });
    EXPECT_EQ(vendor_reads, 6);
    EXPECT_GE(h.now, 31000u);

    fake_hal stuck;
    stuck.crs_left = ~0u;
    stuck.fns[0x100] = function(1);
    enum_config c = windows();
    c.crs_timeout_ns = 100000;
    const enum_result r2 = enumerate(stuck, c);
    EXPECT_FALSE(r2.ok);
    EXPECT_NE(r2.error.find("CRS"), std::string::npos) << r2.error;
}

TEST(Enumerate, UsesTheConfiguredBus) {
    fake_hal h;
    h.bus = 5;
    config_space f = function(1);
    bar32(f, 0, 0x1000);
    h.fns[0x500] = f;
    enum_config c = windows();
    c.bus = 5;
    const enum_result r = enumerate(h, c);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.functions[0].bdf, 0x500);
    EXPECT_EQ(dbvp::host::bdf_string(0x500), "05:00.0");
    EXPECT_EQ(dbvp::host::bdf_string(0x1a5), "01:14.5");
}

TEST(HostHal, CompletionNames) {
    EXPECT_STREQ(dbvp::host::to_string(completion::ok), "ok");
    EXPECT_STREQ(dbvp::host::to_string(completion::ur), "UR");
    EXPECT_STREQ(dbvp::host::to_string(completion::crs), "CRS");
    EXPECT_STREQ(dbvp::host::to_string(completion::ca), "CA");
    EXPECT_STREQ(dbvp::host::to_string(completion::link_down), "link down");
}
