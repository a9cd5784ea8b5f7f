// DWC iATU (unrolled): detection as the Linux driver does it, inbound BAR-match and address-match translation
// (4 KB and 64 KB CX_ATU_MIN_REGION_SIZE), misaligned programming, function-number match, BAR sub-ranges,
// window exhaustion, the enable handshake and outbound region limits.
#include "dwc_ep_bench.h"

#include "pcie/dwc_iatu.h"

#include <gtest/gtest.h>

using namespace dbvp;
using namespace dbvp::test;
using kind = dwc_ep::incident_kind;

namespace {
constexpr std::uint64_t MB = 1ull << 20;
constexpr std::uint64_t KB = 1ull << 10;

unsigned fls64_ref(std::uint64_t v) {
    unsigned n = 0;
    while (v) {
        ++n;
        v >>= 1;
    }
    return n;
}

dwc_ep::params with_min(std::uint64_t min) {
    auto p = default_params();
    p.min_region_size = min;
    return p;
}

std::string min_name(const ::testing::TestParamInfo<std::uint64_t>& i) {
    return std::to_string(i.param / KB) + "K";
}
} // namespace

// ---- Detection (facts 2.4) ---------------------------------------------------------------------------------

namespace {
struct window_case {
    const char* name;
    unsigned ob, ib;
    std::uint64_t atu_size;
    unsigned expect_ob, expect_ib;
};
void PrintTo(const window_case& c, std::ostream* os) { *os << c.name; }
class IatuWindowProbe : public ::testing::TestWithParam<window_case> {};
} // namespace

TEST_P(IatuWindowProbe, CountsWindowsLikeTheDriver) {
    const window_case& c = GetParam();
    auto p = default_params();
    p.num_ob_windows = c.ob;
    p.num_ib_windows = c.ib;
    p.atu_size = c.atu_size;
    ep_bench b(p);
    b.run([&] {
        ASSERT_EQ(b.dbi_rd(0, 0x900), 0xffffffffu) << "unrolled iATU";
        const unsigned max_region = static_cast<unsigned>(std::min<std::uint64_t>(c.atu_size / 512, 256));
        auto count = [&](bool ib) {
            unsigned n = 0;
            for (; n < max_region; ++n) {
                b.atu_wr(ib, n, LOWER_TARGET, 0x11110000);
                if (b.atu_rd(ib, n, LOWER_TARGET) != 0x11110000)
                    break;
            }
            return n;
        };
        EXPECT_EQ(count(false), c.expect_ob);
        EXPECT_EQ(count(true), c.expect_ib);
    });
}

INSTANTIATE_TEST_SUITE_P(Iatu, IatuWindowProbe,
                         ::testing::Values(window_case{"Ob8Ib4", 8, 4, 0x20000, 8, 4},
                                           window_case{"Ob16Ib16", 16, 16, 0x20000, 16, 16},
                                           window_case{"Ob4Ib8", 4, 8, 0x20000, 4, 8},
                                           window_case{"Ob16Ib16In4KWindow", 16, 16, 0x1000, 8, 8}),
                         [](const ::testing::TestParamInfo<window_case>& i) { return std::string(i.param.name); });

namespace {
struct align_case {
    const char* name;
    std::uint64_t min;
    std::uint32_t max_upper;
    std::uint32_t limit_read, upper_read;
    std::uint64_t align, region_limit;
};
void PrintTo(const align_case& c, std::ostream* os) { *os << c.name; }
class IatuAlignProbe : public ::testing::TestWithParam<align_case> {};
} // namespace

TEST_P(IatuAlignProbe, MinRegionSizeAndUpperLimit) {
    const align_case& c = GetParam();
    auto p = with_min(c.min);
    p.max_region_upper = c.max_upper;
    ep_bench b(p);
    b.run([&] {
        EXPECT_EQ(b.atu_rd(false, 0, LIMIT), c.min - 1) << "reset value";
        b.atu_wr(false, 0, LIMIT, 0); // no warning: this is the detection probe
        const std::uint32_t min = b.atu_rd(false, 0, LIMIT);
        EXPECT_EQ(min, c.limit_read);
        EXPECT_EQ(1ull << fls64_ref(min), c.align);
        b.atu_wr(false, 0, UPPER_LIMIT, 0xffffffff);
        const std::uint32_t max = b.atu_rd(false, 0, UPPER_LIMIT);
        EXPECT_EQ(max, c.upper_read);
        EXPECT_EQ((std::uint64_t{max} << 32) | 0xffffffffull, c.region_limit);
        b.atu_wr(true, 0, LIMIT, 0);
        EXPECT_EQ(b.atu_rd(true, 0, LIMIT), c.limit_read) << "inbound regions have the same granularity";
    });
}

INSTANTIATE_TEST_SUITE_P(
    Iatu, IatuAlignProbe,
    ::testing::Values(align_case{"Min4K", 4 * KB, 0, 0xfff, 0, 4 * KB, 0xffffffffull},
                      align_case{"Min64K", 64 * KB, 0, 0xffff, 0, 64 * KB, 0xffffffffull},
                      align_case{"Min16KUpperFF", 16 * KB, 0xff, 0x3fff, 0xff, 16 * KB, 0xffffffffffull}),
    [](const ::testing::TestParamInfo<align_case>& i) { return std::string(i.param.name); });

TEST(Iatu, AccessesMustBe32Bit) {
    ep_bench b(default_params());
    b.run([&] {
        test::expect_report rep("access size/alignment not supported", 2);
        b.cpu_read(ATU_BASE + 0x104, 2);
        EXPECT_EQ(b.last, tlm::TLM_GENERIC_ERROR_RESPONSE);
        b.cpu_write(ATU_BASE + 0x104, 1, 1);
        EXPECT_EQ(b.last, tlm::TLM_GENERIC_ERROR_RESPONSE);
    });
}

// ---- Inbound translation -----------------------------------------------------------------------------------

namespace {
class IatuMin : public ::testing::TestWithParam<std::uint64_t> {};
} // namespace

TEST_P(IatuMin, InboundBarMatch) {
    ep_bench b(with_min(GetParam()));
    b.run([&] {
        b.configure_bar(0, 0, MB, false, false);
        b.configure_bar(0, 2, 4 * MB, true, true);
        b.host_assign(0, 0, 0x80000000, false);
        b.host_assign(0, 2, 0x0000004000000000ull, true);
        ASSERT_TRUE(b.map_bar(0, 0, 0, RAM_BASE + 0x300000));
        ASSERT_TRUE(b.map_bar(0, 2, 1, RAM_BASE + 0x400000));
        b.mem_wr(0x80001234, 0xa1b2c3d4);
        EXPECT_EQ(b.last, tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(b.ram32(RAM_BASE + 0x301234), 0xa1b2c3d4u);
        EXPECT_EQ(b.last_attr.bar, 0);
        EXPECT_EQ(b.mem_rd(0x80001234), 0xa1b2c3d4u);
        EXPECT_EQ(b.last_attr.status, cpl_status::sc);
        b.mem_wr(0x00000040003ffffcull, 0x55aa55aa);
        EXPECT_EQ(b.ram32(RAM_BASE + 0x7ffffc), 0x55aa55aau);
        EXPECT_EQ(b.last_attr.bar, 2);
        const auto tr = b.ep.translate_inbound(0x80000ff0);
        EXPECT_TRUE(tr.bar_hit);
        EXPECT_TRUE(tr.hit);
        EXPECT_FALSE(tr.reserved);
        EXPECT_EQ(tr.region, 0);
        EXPECT_EQ(tr.bar, 0);
        EXPECT_EQ(tr.function, 0);
        EXPECT_EQ(tr.target, RAM_BASE + 0x300ff0);
        EXPECT_EQ(b.ep.translate_inbound(0x0000004000100000ull).region, 1);
        EXPECT_TRUE(b.ep.incidents().empty());
    });
}

TEST_P(IatuMin, InboundAddressMatch) {
    const std::uint64_t min = GetParam();
    ep_bench b(with_min(min));
    b.run([&] {
        b.configure_bar(0, 0, MB, false, false);
        b.host_assign(0, 0, 0x80000000, false);
        const std::uint64_t base = 0x80000000 + 2 * min;
        ASSERT_TRUE(b.map_inbound_addr(0, 0, base, min, RAM_BASE + 0x500000));
        EXPECT_EQ(b.atu_rd(true, 0, LIMIT), static_cast<std::uint32_t>(base + min - 1));
        b.mem_wr(base + 0x10, 0x0badcafe);
        EXPECT_EQ(b.ram32(RAM_BASE + 0x500010), 0x0badcafeu);
        b.mem_wr(base + min - 4, 0x12121212);
        EXPECT_EQ(b.ram32(RAM_BASE + 0x500000 + min - 4), 0x12121212u);
        EXPECT_EQ(b.mem_rd(base + 0x10), 0x0badcafeu);
        // Inside BAR0 but outside the region.
        b.mem_rd(base + min);
        EXPECT_EQ(b.last_attr.status, cpl_status::ur);
        b.mem_rd(0x80000000);
        EXPECT_EQ(b.last_attr.status, cpl_status::ur);
        EXPECT_EQ(b.count(kind::inbound_no_region), 2u);
        EXPECT_EQ(b.ep.translate_inbound(base + 0x20).target, RAM_BASE + 0x500020);
    });
}

TEST_P(IatuMin, MisalignedTargetLowBitsIgnoredWithWarning) {
    const std::uint64_t min = GetParam();
    ep_bench b(with_min(min));
    b.run([&] {
        b.configure_bar(0, 0, MB, false, false);
        b.host_assign(0, 0, 0x80000000, false);
        const std::uint64_t target = RAM_BASE + 0x300000;
        {
            test::expect_report rep("inbound iATU region 0 LOWER_TARGET written with");
            b.atu_wr(true, 0, LOWER_TARGET, static_cast<std::uint32_t>(target + min / 2 + 4));
        }
        EXPECT_EQ(b.atu_rd(true, 0, LOWER_TARGET), target) << "low bits read 0";
        b.atu_wr(true, 0, CTRL1, atu_func(0));
        b.atu_wr(true, 0, CTRL2, ATU_ENABLE | ATU_FUNC_MATCH | ATU_BAR_MODE | atu_bar(0));
        ASSERT_TRUE(b.wait_enabled(true, 0));
        b.mem_wr(0x80000040, 0x77);
        EXPECT_EQ(b.ram32(target + 0x40), 0x77u) << "translation uses the aligned target";
    });
}

TEST_P(IatuMin, MisalignedAddressMatchBaseAndLimit) {
    const std::uint64_t min = GetParam();
    ep_bench b(with_min(min));
    b.run([&] {
        b.configure_bar(0, 0, MB, false, false);
        b.host_assign(0, 0, 0x80000000, false);
        const std::uint64_t base = 0x80000000 + min;
        {
            test::expect_report rep("inbound iATU region 1 LOWER_BASE written with");
            b.atu_wr(true, 1, LOWER_BASE, static_cast<std::uint32_t>(base + 0x100));
        }
        EXPECT_EQ(b.atu_rd(true, 1, LOWER_BASE), base);
        {
            test::expect_report rep("inbound iATU region 1 LIMIT written with");
            b.atu_wr(true, 1, LIMIT, static_cast<std::uint32_t>(base + min / 2));
        }
        EXPECT_EQ(b.atu_rd(true, 1, LIMIT), base + min - 1) << "low bits of LIMIT read as ones";
        b.atu_wr(true, 1, UPPER_BASE, 0);
        b.atu_wr(true, 1, LOWER_TARGET, static_cast<std::uint32_t>(RAM_BASE + 0x100000));
        b.atu_wr(true, 1, UPPER_TARGET, 0);
        b.atu_wr(true, 1, CTRL1, 0);
        b.atu_wr(true, 1, CTRL2, ATU_ENABLE);
        ASSERT_TRUE(b.wait_enabled(true, 1));
        b.mem_wr(base + 8, 0x99);
        EXPECT_EQ(b.ram32(RAM_BASE + 0x100008), 0x99u) << "aligned base used";
        b.mem_wr(base + min - 4, 0x98);
        EXPECT_EQ(b.ram32(RAM_BASE + 0x100000 + min - 4), 0x98u) << "whole minimum region covered";
    });
}

INSTANTIATE_TEST_SUITE_P(Iatu, IatuMin, ::testing::Values(4 * KB, 64 * KB), min_name);

TEST(Iatu, BarMatchTargetNotAlignedToBarSize) {
    ep_bench b(with_min(4 * KB));
    b.run([&] {
        b.configure_bar(0, 0, MB, false, false);
        b.host_assign(0, 0, 0x80000000, false);
        {
            test::expect_report rep("is not aligned to the BAR size 0x100000; the low bits are ignored");
            ASSERT_TRUE(b.map_bar(0, 0, 0, RAM_BASE + 0x300000 + 0x8000));
        }
        EXPECT_EQ(b.atu_rd(true, 0, LOWER_TARGET), RAM_BASE + 0x308000) << "stored as written (4 KB aligned)";
        b.mem_wr(0x80000010, 0x31);
        EXPECT_EQ(b.ram32(RAM_BASE + 0x300010), 0x31u) << "target bits below the BAR size are not used";
        EXPECT_EQ(b.ep.translate_inbound(0x800fff00).target, RAM_BASE + 0x3fff00);
    });
}

TEST(Iatu, FunctionNumberMatch) {
    auto p = default_params();
    p.num_functions = 2;
    ep_bench b(p);
    b.run([&] {
        b.configure_bar(0, 0, MB, false, false);
        b.configure_bar(1, 0, MB, false, false);
        b.host_assign(0, 0, 0x80000000, false);
        b.host_assign(1, 0, 0x80100000, false);
        ASSERT_TRUE(b.map_bar(1, 0, 0, RAM_BASE + 0x100000)); // region 0: function 1
        ASSERT_TRUE(b.map_bar(0, 0, 1, RAM_BASE + 0x200000)); // region 1: function 0
        b.mem_wr(0x80000010, 0xf0);
        EXPECT_EQ(b.ram32(RAM_BASE + 0x200010), 0xf0u);
        EXPECT_EQ(b.last_attr.function, 0);
        b.mem_wr(0x80100010, 0xf1);
        EXPECT_EQ(b.ram32(RAM_BASE + 0x100010), 0xf1u);
        EXPECT_EQ(b.last_attr.function, 1);
        EXPECT_EQ(b.ep.translate_inbound(0x80100010).function, 1);
        EXPECT_EQ(b.ep.translate_inbound(0x80000010).region, 1);
        // Without FUNC_NUM_MATCH_EN region 0 serves BAR0 of every function (first match in index order).
        b.atu_wr(true, 0, CTRL2, ATU_ENABLE | ATU_BAR_MODE | atu_bar(0));
        b.mem_wr(0x80000020, 0xf2);
        EXPECT_EQ(b.ram32(RAM_BASE + 0x100020), 0xf2u);
        EXPECT_EQ(b.last_attr.function, 0);
        // Address-match with a function match: function 0's BAR address, region for function 1: no match.
        b.atu_wr(true, 0, CTRL2, 0);
        b.atu_wr(true, 1, CTRL2, 0);
        ASSERT_TRUE(b.map_inbound_addr(2, 1, 0x80000000, 0x10000, RAM_BASE + 0x300000));
        b.mem_rd(0x80000000);
        EXPECT_EQ(b.last_attr.status, cpl_status::ur);
        EXPECT_EQ(b.last_incident().kind, kind::inbound_no_region);
        EXPECT_EQ(b.last_incident().function, 0);
    });
}

TEST(Iatu, SubRangesInsideOneBarTranslateSeparately) {
    ep_bench b(with_min(64 * KB));
    b.run([&] {
        b.configure_bar(0, 0, MB, false, false);
        b.host_assign(0, 0, 0x80000000, false);
        ASSERT_TRUE(b.map_bar(0, 0, 0, RAM_BASE)); // the BAR first, then the sub-ranges replace it (update-only)
        b.atu_wr(true, 0, CTRL2, 0);
        struct sub {
            std::uint64_t offset, size, target;
        };
        const sub subs[] = {{0x00000, 0x10000, RAM_BASE + 0x600000},
                            {0x10000, 0x20000, RAM_BASE + 0x700000},
                            {0x30000, 0xd0000, RAM_BASE + 0x800000}};
        unsigned win = 0;
        for (const sub& s : subs)
            ASSERT_TRUE(b.map_inbound_addr(win++, 0, 0x80000000 + s.offset, s.size, s.target));
        struct probe {
            std::uint64_t offset;
            int region;
            std::uint64_t target;
        };
        const probe probes[] = {{0x00010, 0, RAM_BASE + 0x600010},
                                {0x0fffc, 0, RAM_BASE + 0x60fffc},
                                {0x10000, 1, RAM_BASE + 0x700000},
                                {0x2fffc, 1, RAM_BASE + 0x71fffc},
                                {0x30000, 2, RAM_BASE + 0x800000},
                                {0xffffc, 2, RAM_BASE + 0x8cfffc}};
        std::uint32_t v = 0x1000;
        for (const probe& pr : probes) {
            b.mem_wr(0x80000000 + pr.offset, ++v);
            EXPECT_EQ(b.ram32(pr.target), v) << std::hex << pr.offset;
            const auto tr = b.ep.translate_inbound(0x80000000 + pr.offset);
            EXPECT_EQ(tr.region, pr.region) << std::hex << pr.offset;
            EXPECT_EQ(tr.target, pr.target) << std::hex << pr.offset;
        }
        EXPECT_TRUE(b.ep.incidents().empty());
    });
}

TEST(Iatu, OverlappingRegionsTheLowestIndexWinsInAnyLookupOrder) {
    // The model reuses the last lookup's region only where no lower region could match: lookups that alternate
    // between a region and the lower ones overlapping it must still find the lowest.
    ep_bench b(with_min(64 * KB));
    b.run([&] {
        b.configure_bar(0, 0, MB, false, false);
        b.host_assign(0, 0, 0x80000000, false);
        {
            test::expect_report rep("overlaps");
            ASSERT_TRUE(b.map_inbound_addr(0, 0, 0x80010000, 0x10000, RAM_BASE + 0x600000));
            ASSERT_TRUE(b.map_inbound_addr(1, 0, 0x80000000, 0x40000, RAM_BASE + 0x700000)); // covers region 0
        }
        ASSERT_TRUE(b.map_bar(0, 0, 2, RAM_BASE + 0x800000)); // the whole BAR, below both in priority
        struct probe {
            std::uint64_t offset;
            int region;
            std::uint64_t target;
        };
        const probe probes[] = {{0x30000, 1, RAM_BASE + 0x730000}, {0x10010, 0, RAM_BASE + 0x600010},
                                {0x50000, 2, RAM_BASE + 0x850000}, {0x00010, 1, RAM_BASE + 0x700010},
                                {0x10010, 0, RAM_BASE + 0x600010}, {0x50000, 2, RAM_BASE + 0x850000},
                                {0x1fffc, 0, RAM_BASE + 0x60fffc}, {0x3fffc, 1, RAM_BASE + 0x73fffc},
                                {0x40000, 2, RAM_BASE + 0x840000}, {0x0fffc, 1, RAM_BASE + 0x70fffc}};
        for (int round = 0; round < 2; ++round)
            for (const probe& pr : probes) {
                const auto tr = b.ep.translate_inbound(0x80000000 + pr.offset);
                EXPECT_EQ(tr.region, pr.region) << std::hex << pr.offset;
                EXPECT_EQ(tr.target, pr.target) << std::hex << pr.offset;
            }
        // Reprogramming region 0 away: its range now goes to region 1.
        b.atu_wr(true, 0, CTRL2, 0);
        EXPECT_EQ(b.ep.translate_inbound(0x80010010).region, 1);
        EXPECT_EQ(b.ep.translate_inbound(0x80050000).region, 2);
    });
}

TEST(Iatu, WindowExhaustion) {
    auto p = default_params();
    p.num_ib_windows = 2;
    ep_bench b(p);
    b.run([&] {
        for (unsigned bar = 0; bar < 3; ++bar) {
            b.configure_bar(0, bar, MB, false, false);
            b.host_assign(0, bar, 0x80000000 + bar * MB, false);
        }
        ASSERT_TRUE(b.map_bar(0, 0, 0, RAM_BASE));
        ASSERT_TRUE(b.map_bar(0, 1, 1, RAM_BASE + MB));
        EXPECT_FALSE(b.map_bar(0, 2, 2, RAM_BASE + 2 * MB)) << "region 2 does not exist: ENABLE never reads back";
        EXPECT_EQ(b.atu_rd(true, 2, CTRL2), 0u);
        EXPECT_EQ(b.atu_rd(true, 2, LOWER_TARGET), 0u);
        b.mem_wr(0x80000000 + 2 * MB + 0x10, 5);
        EXPECT_EQ(b.ram32(RAM_BASE + 2 * MB + 0x10), 0u);
        EXPECT_EQ(b.last_incident().kind, kind::inbound_no_region);
        EXPECT_EQ(b.last_incident().bar, 2);
        b.mem_wr(0x80000000 + MB + 0x10, 6);
        EXPECT_EQ(b.ram32(RAM_BASE + MB + 0x10), 6u);
    });
}

TEST(Iatu, EnableHandshake) {
    auto p = default_params();
    p.atu_enable_delay = 1000;
    ep_bench b(p);
    b.run([&] {
        b.configure_bar(0, 0, MB, false, false);
        b.host_assign(0, 0, 0x80000000, false);
        b.atu_wr(true, 0, LOWER_TARGET, static_cast<std::uint32_t>(RAM_BASE));
        b.atu_wr(true, 0, CTRL1, 0);
        b.atu_wr(true, 0, CTRL2, ATU_ENABLE | ATU_BAR_MODE | atu_bar(0));
        const sc_core::sc_time written = sc_core::sc_time_stamp();
        EXPECT_EQ(b.atu_rd(true, 0, CTRL2), ATU_BAR_MODE | atu_bar(0)) << "ENABLE reads 0 during the handshake";
        b.mem_wr(0x80000010, 1);
        EXPECT_EQ(b.ram32(RAM_BASE + 0x10), 0u);
        EXPECT_EQ(b.last_incident().kind, kind::inbound_no_region);
        EXPECT_FALSE(b.ep.translate_inbound(0x80000010).hit);
        ASSERT_LT(sc_core::sc_time_stamp(), written + b.ep.cycles(1000));
        b.idle(1000);
        EXPECT_EQ(b.atu_rd(true, 0, CTRL2), ATU_ENABLE | ATU_BAR_MODE | atu_bar(0));
        EXPECT_TRUE(b.ep.translate_inbound(0x80000010).hit);
        b.mem_wr(0x80000010, 2);
        EXPECT_EQ(b.ram32(RAM_BASE + 0x10), 2u);
        // Disable takes effect at once; re-enabling restarts the handshake.
        b.atu_wr(true, 0, CTRL2, 0);
        EXPECT_FALSE(b.ep.translate_inbound(0x80000010).hit);
        b.atu_wr(true, 0, CTRL2, ATU_ENABLE | ATU_BAR_MODE | atu_bar(0));
        EXPECT_FALSE(b.ep.translate_inbound(0x80000010).hit);
        EXPECT_TRUE(b.wait_enabled(true, 0));
        EXPECT_TRUE(b.ep.translate_inbound(0x80000010).hit);
    });
}

TEST(Iatu, LimitBelowBaseNeverMatches) {
    ep_bench b(default_params());
    b.run([&] {
        b.configure_bar(0, 0, MB, false, false);
        b.host_assign(0, 0, 0x80000000, false);
        b.atu_wr(true, 0, LOWER_BASE, 0x80080000);
        b.atu_wr(true, 0, LIMIT, 0x8000ffff);
        b.atu_wr(true, 0, LOWER_TARGET, static_cast<std::uint32_t>(RAM_BASE));
        {
            test::expect_report rep("inbound iATU region 0 enabled with limit 0x8000ffff below base 0x80080000");
            b.atu_wr(true, 0, CTRL2, ATU_ENABLE);
        }
        b.idle(10);
        b.mem_wr(0x80080000, 1);
        b.mem_wr(0x80000000, 1);
        EXPECT_EQ(b.count(kind::inbound_no_region), 2u);
    });
}

TEST(Iatu, TranslateInboundHasNoSideEffects) {
    ep_bench b(default_params());
    b.run([&] {
        b.configure_bar(0, 0, MB, false, false);
        b.host_assign(0, 0, 0x80000000, false);
        ASSERT_TRUE(b.map_bar(0, 0, 0, RAM_BASE));
        const sc_core::sc_time t0 = sc_core::sc_time_stamp();
        const auto hit = b.ep.translate_inbound(0x80000100);
        const auto miss = b.ep.translate_inbound(0x90000000);
        EXPECT_TRUE(hit.hit);
        EXPECT_EQ(hit.target, RAM_BASE + 0x100);
        EXPECT_FALSE(miss.bar_hit);
        EXPECT_FALSE(miss.hit);
        EXPECT_EQ(miss.region, -1);
        EXPECT_EQ(sc_core::sc_time_stamp(), t0);
        EXPECT_TRUE(b.ep.incidents().empty());
    });
}

// ---- Outbound ----------------------------------------------------------------------------------------------

TEST(Iatu, OutboundIncreaseRegionSizeUsesUpperLimit) {
    auto p = default_params();
    p.addr_space_base = 0xf0000000;
    p.addr_space_size = 0x20000000;
    p.max_region_upper = 0xf;
    ep_bench b(p);
    b.run([&] {
        ASSERT_TRUE(b.map_outbound(0, 0, 0xf0000000, 0x20000000, 0x0000002000000000ull));
        EXPECT_EQ(b.atu_rd(false, 0, CTRL1), ATU_INCREASE);
        EXPECT_EQ(b.atu_rd(false, 0, UPPER_LIMIT), 1u);
        b.cpu_write(0x100000010ull, 0xabcdef01);
        ASSERT_EQ(b.link.seen.size(), 1u);
        EXPECT_EQ(b.link.seen[0].addr, 0x0000002010000010ull);
        // Without INCREASE_REGION_SIZE the limit's upper half is UPPER_BASE (0): limit below base.
        b.atu_wr(false, 0, CTRL2, 0);
        b.atu_wr(false, 0, CTRL1, 0);
        {
            test::expect_report rep("outbound iATU region 0 enabled with limit 0xfffffff below base 0xf0000000");
            b.atu_wr(false, 0, CTRL2, ATU_ENABLE);
        }
        ASSERT_TRUE(b.wait_enabled(false, 0));
        {
            test::expect_report rep("matches no enabled outbound iATU region");
            b.cpu_write(0xf0000010, 1);
        }
        EXPECT_EQ(b.link.seen.size(), 1u);
        EXPECT_EQ(b.count(kind::outbound_no_region), 1u);
    });
}

TEST(Iatu, FirstEnabledOutboundRegionWins) {
    ep_bench b(default_params());
    b.run([&] {
        ASSERT_TRUE(b.map_outbound(3, 0, 0x40000000, 0x100000, 0x90000000));
        {
            test::expect_report rep("outbound iATU region 1 enabled with [0x40010000, 0x4001ffff] (LOWER_BASE "
                                    "0x40010000, LIMIT 0x4001ffff) overlaps enabled region 3 [0x40000000, "
                                    "0x400fffff]; region 1 translates the addresses both match");
            ASSERT_TRUE(b.map_outbound(1, 0, 0x40010000, 0x10000, 0xa0000000));
        }
        b.cpu_write(0x40010004, 1);
        b.cpu_write(0x40020004, 2);
        ASSERT_EQ(b.link.seen.size(), 2u);
        EXPECT_EQ(b.link.seen[0].addr, 0xa0000004u) << "region 1 precedes region 3";
        EXPECT_EQ(b.link.seen[1].addr, 0x90020004u);
    });
}

TEST(Iatu, NonMemoryRegionTypeNeverMatches) {
    ep_bench b(default_params());
    b.run([&] {
        b.atu_wr(false, 0, LOWER_BASE, 0x40000000);
        b.atu_wr(false, 0, LIMIT, 0x4000ffff);
        b.atu_wr(false, 0, CTRL1, 0x4); // CFG0
        {
            test::expect_report rep("outbound iATU region 0 enabled with TLP type 0x4");
            b.atu_wr(false, 0, CTRL2, ATU_ENABLE);
        }
        b.idle(10);
        test::expect_report rep("matches no enabled outbound iATU region");
        b.cpu_write(0x40000000, 1);
        EXPECT_TRUE(b.link.seen.empty());
    });
}

TEST(Iatu, StoredOnlyControlBits) {
    ep_bench b(default_params());
    b.run([&] {
        b.atu_wr(false, 2, CTRL2, (1u << 28) | (1u << 22) | 0x33);
        EXPECT_EQ(b.atu_rd(false, 2, CTRL2), (1u << 28) | (1u << 22) | 0x33u);
        b.atu_wr(false, 2, CTRL1, 0xffffffff);
        EXPECT_EQ(b.atu_rd(false, 2, CTRL1), 0x0070211fu) << "type, TD, INCREASE_REGION_SIZE, FUNC_NUM";
        b.atu_wr(false, 2, 0x1c, 0x1234); // between UPPER_TARGET and UPPER_LIMIT: read-as-zero
        EXPECT_EQ(b.atu_rd(false, 2, 0x1c), 0u);
    });
}

// ---- The lookup memo against time (the iATU alone, lookups at any time) -----------------------------------------

TEST(Iatu, TheLastHitIsReusedOnlyWhenEveryRegionIsActiveAtTheLookupsTime) {
    // Regions 0 and 1 both serve BAR0 (BAR-match); the lower wins while it is active. Region 1 is enabled at 0,
    // region 0 at 5 us, each active 1 us after the write. Lookups come at the requester's time, which need not
    // increase (several temporally decoupled requesters): one before region 0 is active must find region 1,
    // whatever an earlier or later lookup found.
    using pcie::detail::dwc_iatu;
    const sc_core::sc_time us(1, sc_core::SC_US);
    dwc_iatu atu("atu", dwc_iatu::params{4, 4, 0x20000, 0x10000, 0, us, 1},
                 [](unsigned, unsigned bar) -> std::uint64_t { return bar == 0 ? MB - 1 : 0; });
    auto wr = [&](unsigned region, std::uint64_t reg, std::uint32_t v, const sc_core::sc_time& t) {
        access_ctx ctx;
        ctx.time = t;
        unsigned char d[4];
        std::memcpy(d, &v, 4);
        ASSERT_EQ(atu.bank().access(tlm::TLM_WRITE_COMMAND,
                                    region * dwc_iatu::region_stride + dwc_iatu::inbound_offset + reg, d, 4, ctx),
                  tlm::TLM_OK_RESPONSE);
    };
    auto map_bar0 = [&](unsigned region, std::uint32_t target, const sc_core::sc_time& t) {
        wr(region, dwc_iatu::LOWER_TARGET, target, t);
        wr(region, dwc_iatu::CTRL1, dwc_iatu::TYPE_MEM, t);
        wr(region, dwc_iatu::CTRL2, dwc_iatu::CTRL2_ENABLE | dwc_iatu::CTRL2_BAR_MODE, t);
    };
    map_bar0(1, 0x10000000, sc_core::SC_ZERO_TIME);
    {
        test::expect_report rep("overlaps enabled region 1");
        map_bar0(0, 0x20000000, 5 * us);
    }
    auto lookup = [&](double at_us) {
        std::uint64_t target = 0;
        return atu.inbound(0, 0, 0x80000000, MB - 1, 0x80000010, at_us * us, target);
    };
    EXPECT_EQ(lookup(5.5), 1) << "region 0 not active yet";
    EXPECT_EQ(lookup(7), 0) << "not what the lookup at 5.5 us found";
    EXPECT_EQ(lookup(5.5), 1) << "not what the lookup at 7 us found";
    EXPECT_EQ(lookup(7), 0);
    EXPECT_EQ(lookup(0.5), -1) << "nothing active yet";
    EXPECT_EQ(lookup(8), 0);
}
