// Guest mistakes on the DWC endpoint controller (project issue 9), directed: the mistakes test_iatu.cpp and
// test_dwc_ep.cpp do not cover yet. Each test checks the architectural answer (docs/models/dwc_ep.md) and the
// guest warning naming the register and the value written.
#include "dwc_ep_bench.h"

#include <gtest/gtest.h>

using namespace dbvp;
using namespace dbvp::test;
using kind = dwc_ep::incident_kind;

namespace {
constexpr std::uint64_t KB = 1024, MB = 1024 * KB;
// Enable-handshake delay of the bench's controller, plus a cycle.
unsigned prm_delay(const ep_bench& b) { return b.prm.atu_enable_delay + 1; }
} // namespace

// ---- Misaligned iATU regions: the outbound block (test_iatu.cpp covers the inbound one) ----------------------

TEST(IatuGuest, MisalignedOutboundBaseTargetAndLimitUseTheAlignedValues) {
    ep_bench b(default_params()); // CX_ATU_MIN_REGION_SIZE 64 KiB
    b.run([&] {
        {
            test::expect_report rep("outbound iATU region 2 LOWER_BASE written with 0x40010100: the low 16 bits are "
                                    "read-only zero (CX_ATU_MIN_REGION_SIZE 0x10000), the value used is 0x40010000");
            b.atu_wr(false, 2, LOWER_BASE, 0x40010100);
        }
        EXPECT_EQ(b.atu_rd(false, 2, LOWER_BASE), 0x40010000u);
        {
            test::expect_report rep("outbound iATU region 2 LIMIT written with 0x40018000: the low 16 bits are "
                                    "read-only ones (CX_ATU_MIN_REGION_SIZE 0x10000), the limit is 0x4001ffff");
            b.atu_wr(false, 2, LIMIT, 0x40018000);
        }
        EXPECT_EQ(b.atu_rd(false, 2, LIMIT), 0x4001ffffu);
        {
            test::expect_report rep("outbound iATU region 2 LOWER_TARGET written with 0x12345678: the low 16 bits are "
                                    "read-only zero (CX_ATU_MIN_REGION_SIZE 0x10000), the value used is 0x12340000");
            b.atu_wr(false, 2, LOWER_TARGET, 0x12345678);
        }
        EXPECT_EQ(b.atu_rd(false, 2, LOWER_TARGET), 0x12340000u);
        b.atu_wr(false, 2, UPPER_BASE, 0);
        b.atu_wr(false, 2, UPPER_TARGET, 0);
        b.atu_wr(false, 2, CTRL1, 0);
        b.atu_wr(false, 2, CTRL2, ATU_ENABLE);
        ASSERT_TRUE(b.wait_enabled(false, 2));
        b.cpu_write(0x40010004, 0x77);
        b.cpu_write(0x4001fffc, 0x78);
        ASSERT_EQ(b.link.seen.size(), 2u);
        EXPECT_EQ(b.link.seen[0].addr, 0x12340004u) << "aligned base and target";
        EXPECT_EQ(b.link.seen[1].addr, 0x1234fffcu) << "the whole minimum region";
        {
            test::expect_report rep("matches no enabled outbound iATU region; the write is dropped");
            b.cpu_write(0x40020000, 0x79); // beyond the aligned limit
        }
        EXPECT_EQ(b.link.seen.size(), 2u);
        EXPECT_EQ(b.count(kind::outbound_no_region), 1u);
    });
}

// ---- Overlapping iATU regions ------------------------------------------------------------------------------------

TEST(IatuGuest, OverlappingInboundRegionsTheLowestIndexTranslates) {
    ep_bench b(default_params());
    b.run([&] {
        b.configure_bar(0, 0, MB, false, false);
        b.host_assign(0, 0, 0x80000000, false);
        // Region 3: [0x80000000, 0x8001ffff] -> RAM + 0x100000; region 1: [0x80010000, 0x8002ffff] -> RAM + 0x200000.
        ASSERT_TRUE(b.map_inbound_addr(3, 0, 0x80000000, 128 * KB, RAM_BASE + 0x100000));
        {
            test::expect_report rep("inbound iATU region 1 enabled with [0x80010000, 0x8002ffff] (LOWER_BASE "
                                    "0x80010000, LIMIT 0x8002ffff) overlaps enabled region 3 [0x80000000, "
                                    "0x8001ffff]; region 1 translates the addresses both match");
            ASSERT_TRUE(b.map_inbound_addr(1, 0, 0x80010000, 128 * KB, RAM_BASE + 0x200000));
        }
        b.mem_wr(0x80000010, 0x31); // region 3 only
        b.mem_wr(0x80010010, 0x32); // both: region 1
        b.mem_wr(0x80020010, 0x33); // region 1 only
        EXPECT_EQ(b.ram32(RAM_BASE + 0x100010), 0x31u);
        EXPECT_EQ(b.ram32(RAM_BASE + 0x200010), 0x32u) << "in the overlap the lower-numbered region wins";
        EXPECT_EQ(b.ram32(RAM_BASE + 0x110010), 0u);
        EXPECT_EQ(b.ram32(RAM_BASE + 0x210010), 0x33u);
        EXPECT_EQ(b.ep.translate_inbound(0x80018000).region, 1);
        // Region 1 off: region 3 covers the overlap again.
        b.atu_wr(true, 1, CTRL2, 0);
        EXPECT_EQ(b.ep.translate_inbound(0x80018000).region, 3);
        EXPECT_EQ(b.ep.translate_inbound(0x80018000).target, RAM_BASE + 0x118000);
        EXPECT_TRUE(b.ep.incidents().empty());
    });
}

// Issue 9 asks for a recorded warning when firmware programs overlapping regions (a driver that leaks a region,
// enabling a new one over an old one). Behaviour is unchanged — the lowest-numbered region wins (inbound and
// outbound, docs/models/dwc_ep.md) — but enabling a region that overlaps an enabled one of the same direction
// warns, once per enable, naming both regions and their ranges.
TEST(IatuGuest, EnablingARegionThatOverlapsAnEnabledOneWarns) {
    ep_bench b(default_params());
    b.run([&] {
        ASSERT_TRUE(b.map_outbound(0, 0, 0x40000000, 0x20000, 0x90000000));
        {
            test::expect_report rep("outbound iATU region 1 enabled with [0x40010000, 0x4002ffff] (LOWER_BASE "
                                    "0x40010000, LIMIT 0x4002ffff) overlaps enabled region 0 [0x40000000, "
                                    "0x4001ffff]; region 0 translates the addresses both match (lowest index first)");
            ASSERT_TRUE(b.map_outbound(1, 0, 0x40010000, 0x20000, 0xa0000000));
        }
        {
            test::expect_report rep("outbound iATU region 2 enabled with [0x40000000, 0x4003ffff] (LOWER_BASE "
                                    "0x40000000, LIMIT 0x4003ffff) overlaps enabled region 0 [0x40000000, "
                                    "0x4001ffff] and 1 more enabled region; region 0 translates");
            ASSERT_TRUE(b.map_outbound(2, 0, 0x40000000, 0x40000, 0xb0000000));
            // Writing CTRL2 again with ENABLE set is no new enable: no second warning.
            b.atu_wr(false, 2, CTRL2, ATU_ENABLE);
            EXPECT_EQ(rep.count(), 1u);
        }
        b.cpu_write(0x40018000, 0x11); // regions 0, 1, 2: region 0
        b.cpu_write(0x40028000, 0x12); // regions 1, 2: region 1
        b.cpu_write(0x40038000, 0x13); // region 2 only
        ASSERT_EQ(b.link.seen.size(), 3u);
        EXPECT_EQ(b.link.seen[0].addr, 0x90018000u);
        EXPECT_EQ(b.link.seen[1].addr, 0xa0018000u);
        EXPECT_EQ(b.link.seen[2].addr, 0xb0038000u);
        // Adjacent and disabled regions do not overlap; neither do inbound and outbound ones.
        b.atu_wr(false, 1, CTRL2, 0);
        b.atu_wr(false, 2, CTRL2, 0);
        ASSERT_TRUE(b.map_outbound(3, 0, 0x40020000, 0x10000, 0xc0000000));
        ASSERT_TRUE(b.map_inbound_addr(0, 0, 0x40000000, 0x20000, RAM_BASE));
        // Inbound address-match regions that match different functions never match the same request.
        ASSERT_TRUE(b.map_inbound_addr(1, 1, 0x40000000, 0x20000, RAM_BASE + 0x100000));
    });
}

TEST(IatuGuest, TwoBarMatchRegionsForTheSameBarWarn) {
    ep_bench b(default_params());
    b.run([&] {
        b.configure_bar(0, 0, MB, false, false);
        b.configure_bar(0, 2, MB, false, false);
        b.host_assign(0, 0, 0x80000000, false);
        ASSERT_TRUE(b.map_bar(0, 0, 4, RAM_BASE));
        ASSERT_TRUE(b.map_bar(0, 2, 5, RAM_BASE + 0x100000)) << "another BAR: no overlap";
        {
            test::expect_report rep("inbound iATU region 2 enabled with CTRL2 0xc0080000 (BAR-match, BAR0) overlaps "
                                    "enabled region 4 (BAR-match, the same BAR); region 2 translates the requests "
                                    "both match (lowest index first)");
            ASSERT_TRUE(b.map_bar(0, 0, 2, RAM_BASE + 0x200000));
        }
        EXPECT_EQ(b.ep.translate_inbound(0x80000010).region, 2);
        EXPECT_EQ(b.ep.translate_inbound(0x80000010).target, RAM_BASE + 0x200010);
    });
}

// ---- iATU: outbound region for a function the controller does not have -------------------------------------------

// CTRL1.FUNC_NUM of an outbound region selects the requester ID of its TLPs. A function number beyond the
// controller's functions sends TLPs as a function that does not exist: the region still translates (the hardware
// does not check), and the controller warns once per region programming — when the region is enabled, or when
// CTRL1 changes FUNC_NUM of an enabled region — never per TLP.
TEST(IatuGuest, OutboundRegionForAFunctionThatDoesNotExistWarnsOnce) {
    auto p = default_params();
    p.num_functions = 2;
    ep_bench b(p);
    b.run([&] {
        {
            test::expect_report rep("outbound iATU region 0 enabled with CTRL1 0x00300000: FUNC_NUM 3, but the "
                                    "controller has 2 functions; the region's TLPs carry the requester ID of a "
                                    "function that does not exist");
            ASSERT_TRUE(b.map_outbound(0, 3, 0x40000000, 0x10000, 0x90000000));
        }
        b.cpu_write(0x40000010, 0x21);
        b.cpu_write(0x40000020, 0x22);
        ASSERT_EQ(b.link.seen.size(), 2u) << "the TLPs are sent, without a warning each";
        EXPECT_EQ(b.link.seen[0].attr.function, 3u);
        EXPECT_EQ(b.link.seen[1].attr.function, 3u);
        {
            test::expect_report rep("outbound iATU region 0 CTRL1 written with 0x00700000 while enabled: FUNC_NUM 7, "
                                    "but the controller has 2 functions");
            b.atu_wr(false, 0, CTRL1, atu_func(7));
        }
        b.atu_wr(false, 0, CTRL1, atu_func(1)); // an existing function: fine
        b.cpu_write(0x40000030, 0x23);
        ASSERT_EQ(b.link.seen.size(), 3u);
        EXPECT_EQ(b.link.seen[2].attr.function, 1u);
        // Inbound regions name the function they match (FUNC_NUM_MATCH_EN); no requester ID, no warning.
        ASSERT_TRUE(b.map_inbound_addr(0, 3, 0x80000000, 0x10000, RAM_BASE));
    });
}

// ---- iATU: BAR-match region for a BAR that does not exist --------------------------------------------------------

TEST(IatuGuest, BarMatchRegionForBarSixNeverMatchesAndWarns) {
    ep_bench b(default_params());
    b.run([&] {
        b.configure_bar(0, 0, MB, false, false);
        b.host_assign(0, 0, 0x80000000, false);
        b.atu_wr(true, 0, LOWER_TARGET, static_cast<std::uint32_t>(RAM_BASE));
        {
            test::expect_report rep("inbound iATU region 0 enabled in BAR-match mode for BAR 6, which does not exist; "
                                    "the region never matches");
            b.atu_wr(true, 0, CTRL2, ATU_ENABLE | ATU_BAR_MODE | atu_bar(6));
        }
        b.idle(prm_delay(b));
        EXPECT_EQ(b.ep.translate_inbound(0x80000010).region, -1);
        b.mem_rd(0x80000010);
        EXPECT_EQ(b.last, tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(b.last_attr.status, cpl_status::ur);
        EXPECT_EQ(b.count(kind::inbound_no_region), 1u);
    });
}

// ---- Limit below base: address-match inbound and outbound are in test_iatu.cpp; the INCREASE_REGION_SIZE case --

TEST(IatuGuest, InboundUpperLimitBelowBaseWithIncreaseRegionSizeWarnsAndNeverMatches) {
    auto p = default_params();
    p.max_region_upper = 0xf;
    ep_bench b(p);
    b.run([&] {
        b.configure_bar(0, 2, 4ull << 30, true, true);
        b.host_assign(0, 2, 0x0000000500000000ull, true);
        b.atu_wr(true, 0, LOWER_BASE, 0);
        b.atu_wr(true, 0, UPPER_BASE, 5);
        b.atu_wr(true, 0, LIMIT, 0xffffffff);
        b.atu_wr(true, 0, UPPER_LIMIT, 4); // with INCREASE_REGION_SIZE the limit is 0x4ffffffff
        b.atu_wr(true, 0, LOWER_TARGET, static_cast<std::uint32_t>(RAM_BASE));
        b.atu_wr(true, 0, CTRL1, ATU_INCREASE);
        {
            test::expect_report rep("inbound iATU region 0 enabled with limit 0x4ffffffff below base 0x500000000; "
                                    "the region never matches");
            b.atu_wr(true, 0, CTRL2, ATU_ENABLE);
        }
        b.idle(10);
        b.mem_wr(0x0000000500000010ull, 1);
        EXPECT_EQ(b.count(kind::inbound_no_region), 1u) << "the write is dropped";
        EXPECT_EQ(b.ram32(RAM_BASE + 0x10), 0u);
    });
}

// ---- Accesses of the wrong size: DBI and DBI2 (iATU and app: test_iatu.cpp / test_dwc_ep.cpp) ------------------

TEST(DwcEpGuest, DbiAndDbi2RejectEightByteAndMisalignedAccesses) {
    ep_bench b(default_params());
    b.run([&] {
        b.dbi_wr(0, 0x3c, 0x0b); // interrupt line
        {
            test::expect_report rep("ep: dbi 8-byte read at offset 0x38: access size/alignment not supported");
            b.cpu_read(DBI_BASE + 0x38, 8);
            EXPECT_EQ(b.last, tlm::TLM_GENERIC_ERROR_RESPONSE);
        }
        {
            test::expect_report rep("ep: dbi 2-byte write at offset 0x3d: access size/alignment not supported");
            b.cpu_write(DBI_BASE + 0x3d, 0xffff, 2);
            EXPECT_EQ(b.last, tlm::TLM_GENERIC_ERROR_RESPONSE);
        }
        {
            test::expect_report rep("ep: dbi 4-byte write at offset 0x3e: access size/alignment not supported");
            b.cpu_write(DBI_BASE + 0x3e, 0xffffffff, 4);
            EXPECT_EQ(b.last, tlm::TLM_GENERIC_ERROR_RESPONSE);
        }
        EXPECT_EQ(b.dbi_rd(0, 0x3c), 0x0000010bu) << "the register kept its value";
        {
            test::expect_report rep("ep: dbi2 8-byte write at offset 0x10: access size/alignment not supported");
            b.cpu_write(DBI2_BASE + 0x10, 0xfffff, 8);
            EXPECT_EQ(b.last, tlm::TLM_GENERIC_ERROR_RESPONSE);
        }
        EXPECT_EQ(b.dbi2_rd(0, 0x10), 0u) << "BAR0 stays disabled";
        EXPECT_EQ(b.ep.bar_size(0, 0), 0u);
    });
}

TEST(DwcEpGuest, HostConfigurationRequestOfABadSizeCompletesWithUr) {
    ep_bench b(default_params());
    b.run([&] {
        {
            test::expect_report rep("ep: dbi 8-byte read at offset 0x0: access size/alignment not supported");
            b.host_access(tlm::TLM_READ_COMMAND, tlp_type::cfg_rd0, make_bdf(HOST_BUS, 0, 0), 0x0, 0, 8);
        }
        EXPECT_EQ(b.last, tlm::TLM_GENERIC_ERROR_RESPONSE);
        EXPECT_EQ(b.last_attr.status, cpl_status::ur);
        {
            test::expect_report rep("ep: dbi 2-byte write at offset 0x5: access size/alignment not supported");
            b.host_access(tlm::TLM_WRITE_COMMAND, tlp_type::cfg_wr0, make_bdf(HOST_BUS, 0, 0), 0x5, 0xffff, 2);
        }
        EXPECT_EQ(b.last_attr.status, cpl_status::ur);
        EXPECT_EQ(b.cfg_rd(0, 0x04) & 0xffffu, 0u) << "the command register is unchanged";
        // Beyond the 4 KiB configuration space: UR, and an incident (a host-side event, no warning).
        b.host_access(tlm::TLM_READ_COMMAND, tlp_type::cfg_rd0, make_bdf(HOST_BUS, 0, 0), 0xffe, 0, 4);
        EXPECT_EQ(b.last, tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(b.last_attr.status, cpl_status::ur);
        EXPECT_EQ(b.count(kind::inbound_bad_type), 1u);
    });
}

// ---- BAR masks that are not 2^n - 1 (a "misaligned" BAR size) ---------------------------------------------------

TEST(DwcEpGuest, ProgrammableBarMaskThatIsNotAPowerOfTwoMinusOneWarns) {
    ep_bench b(default_params());
    b.run([&] {
        {
            test::expect_report rep("function 0 BAR1 mask (DBI2 0x14) written with 0x0017ffff: not a power of two "
                                    "minus one");
            b.dbi2_wr(0, 0x14, 0x0017ffff);
        }
        {
            test::expect_report rep("function 0 BAR3 mask (DBI2 0x1c) written with 0x00000007: a memory BAR is at least "
                                    "16 bytes; 16 bytes are used");
            b.dbi2_wr(0, 0x1c, 0x7);
        }
        EXPECT_EQ(b.ep.bar_size(0, 3), 16u);
        // The host sizes BAR3 as 16 bytes: the write-all-ones read-back is ~(16 - 1).
        b.cfg_wr(0, 0x1c, 0xffffffff);
        EXPECT_EQ(b.cfg_rd(0, 0x1c), 0xfffffff0u);
    });
}
