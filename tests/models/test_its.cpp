// GICv3 ITS: registers and their rules, translation through tables written by helpers (flat and two-level device
// tables, 4/16/64 KiB pages), every command and its effect on tables, cache and LPI delivery, every command
// parameter error with its code, memory errors that stall the queue and Retry / re-enable, every drop reason,
// FIFO overflow, a burst of 1000 events, the translation cache (hits, misses, LRU, invalidation), LPI enable /
// priority / pending, latency from a TRANSLATER write to nIRQ, and the firmware its_driver end to end.
#include "gic_bench.h"

#include "dbvp/core/trace.h"
#include "dbvp/fw/dma_pool.h"

#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace dbvp;
using namespace dbvp::test;
using sc_core::sc_time;
using sc_core::SC_NS;
using reason = gicv3_its::drop_reason;

namespace {

constexpr std::uint64_t CTLR = ITS_BASE + 0x0, IIDR = ITS_BASE + 0x4, TYPER = ITS_BASE + 0x8,
                        CBASER = ITS_BASE + 0x80, CWRITER = ITS_BASE + 0x88, CREADR = ITS_BASE + 0x90,
                        BASER0 = ITS_BASE + 0x100, BASER1 = ITS_BASE + 0x108;
constexpr std::uint32_t QUIESCENT = 1u << 31;

/// Distributor, redistributor and LPIs (16 bits, all enabled at 0xa0) on.
void gic_up(gic_bench& b, bool lpis_enabled = true) {
    b.gic_on();
    b.lpis_on(16, lpis_enabled);
}

/// Wait until the ITS is quiescent (every accepted write translated).
void settle(gic_bench& b) {
    for (int i = 0; i < 100000 && !(b.rd32(CTLR) & QUIESCENT); ++i)
        b.idle_ns(100);
    b.idle_ns(200); // write-backs of the redistributor
}

} // namespace

// ---- Registers ---------------------------------------------------------------------------------------------

TEST(Its, ResetValuesAndIdentification) {
    gic_bench b;
    b.run([&](fw::hal&) {
        EXPECT_EQ(b.rd32(CTLR), QUIESCENT) << "disabled and quiescent";
        EXPECT_EQ(b.rd32(IIDR), 0x0000143bu);
        EXPECT_EQ(b.rd64(TYPER), 0x0000001f0001ef71ull)
            << "Physical, ITT entry 8 B, 16 EventID bits, 16 DeviceID bits, 16 collection bits, CIL";
        EXPECT_EQ(b.rd32(TYPER + 4), 0x1fu) << "upper half alone";
        EXPECT_EQ(b.rd64(CBASER), 0u);
        EXPECT_EQ(b.rd64(CWRITER), 0u);
        EXPECT_EQ(b.rd64(CREADR), 0u);
        EXPECT_EQ(b.rd64(BASER0), 0x0107000000000000ull) << "Device table, 8-byte entries";
        EXPECT_EQ(b.rd64(BASER1), 0x0407000000000000ull) << "Collection table, 8-byte entries";
        for (unsigned n = 2; n < 8; ++n) {
            b.wr64(BASER0 + 8 * n, ~0ull);
            EXPECT_EQ(b.rd64(BASER0 + 8 * n), 0u) << "GITS_BASER" << n << " is RAZ/WI";
        }
        EXPECT_EQ(b.rd32(ITS_BASE + 0xffe8), 0x3bu) << "GITS_PIDR2";
        EXPECT_FALSE(b.its.stalled());
    });
}

TEST(Its, TyperFollowsParameters) {
    gicv3_its::params p;
    p.devbits = 20;
    p.idbits = 10;
    p.cidbits = 4;
    p.itt_entry_size = 12;
    gic_bench b(default_gic_params(), p);
    b.run([&](fw::hal&) {
        EXPECT_EQ(b.rd64(TYPER), 1ull | (11ull << 4) | (9ull << 8) | (19ull << 13) | (3ull << 32) | (1ull << 36));
    });
}

TEST(Its, BaserCbaserAndCwriterRules) {
    gic_bench b;
    b.run([&](fw::hal&) {
        // Type and Entry_Size are read-only; everything else of BASER0 is stored.
        const std::uint64_t want = gic_bench::baser(1, DEVTAB_BASE, 0x1000, 4, true) | (7ull << 59) | (1ull << 10);
        b.wr64(BASER0, (want & ~(0x1full << 48) & ~(7ull << 56)) | (3ull << 48) | (2ull << 56));
        EXPECT_EQ(b.rd64(BASER0), want);
        {
            test::expect_report rep("GITS_BASER1 written with 0x0400000080400300: Page_Size 3 is reserved");
            b.wr64(BASER1, COLLTAB_BASE | (3ull << 8) | (4ull << 56));
        }
        EXPECT_EQ((b.rd64(BASER1) >> 8) & 3, 2u) << "64 KiB pages used";
        {
            test::expect_report rep("must be 16 KiB aligned");
            b.wr64(BASER1, COLLTAB_BASE | 0x3000 | (1ull << 8));
        }
        EXPECT_EQ(b.rd64(BASER1) & 0xfffff000ull, COLLTAB_BASE);
        // CBASER: stored; writing it resets CREADR.
        b.wr64(CBASER, g::GITS_CBASER_VALID | QUEUE_BASE | 0);
        EXPECT_EQ(b.rd64(CBASER), g::GITS_CBASER_VALID | QUEUE_BASE);
        b.wr64(CWRITER, 0xfe0);
        EXPECT_EQ(b.rd64(CWRITER), 0xfe0u);
        {
            test::expect_report rep("offset 0x1000 is beyond the 4096-byte command queue");
            b.wr64(CWRITER, 0x1000);
        }
        EXPECT_EQ(b.rd64(CWRITER), 0xfe0u);
        {
            test::expect_report rep("GITS_CWRITER written with 0x0000000000000022: reserved bits ignored");
            b.wr64(CWRITER, 0x22);
        }
        EXPECT_EQ(b.rd64(CWRITER), 0x20u);
        b.wr64(CWRITER, 0x21); // Retry: an action, does not read back
        EXPECT_EQ(b.rd64(CWRITER), 0x20u);
        {
            test::expect_report rep("GITS_CBASER written with 0x0000000000000100: reserved bits ignored");
            b.wr64(CBASER, 0x100);
        }
        // While enabled, CBASER and BASER<n> are read-only.
        b.wr64(CBASER, g::GITS_CBASER_VALID | QUEUE_BASE | 15);
        b.wr64(CWRITER, 0);
        b.wr32(CTLR, 1);
        EXPECT_EQ(b.rd32(CTLR), 1u | QUIESCENT);
        {
            test::expect_report rep("GITS_CBASER written with 0x0000000000000000 while GITS_CTLR.Enabled = 1");
            b.wr64(CBASER, 0);
        }
        EXPECT_EQ(b.rd64(CBASER), g::GITS_CBASER_VALID | QUEUE_BASE | 15);
        {
            test::expect_report rep("GITS_BASER0 written with 0x0000000000000000 while GITS_CTLR.Enabled = 1");
            b.wr64(BASER0, 0);
        }
        EXPECT_EQ(b.rd64(BASER0), want);
        b.wr64(BASER0, want); // same value: no change, no warning
        b.wr32(CTLR, 0xffffffffu);
        EXPECT_EQ(b.rd32(CTLR), 1u | QUIESCENT) << "ImDe / ITS_Number / Quiescent are read-only";
    });
}

// ---- Translation through helper tables -----------------------------------------------------------------------

TEST(Its, TranslationWithAFlatDeviceTableDeliversTheLpi) {
    gic_bench b;
    b.run([&](fw::hal&) {
        gic_up(b);
        b.its_on(0x1000, 16);
        b.map_by_tables(5, 3, 8200);
        b.translate(5, 3);
        EXPECT_EQ(b.last, tlm::TLM_OK_RESPONSE);
        settle(b);
        EXPECT_TRUE(b.gic.is_pending(8200));
        EXPECT_TRUE(b.pend_bit(8200)) << "pending table bit";
        EXPECT_TRUE(b.gic.irq.level());
        EXPECT_EQ(b.its.stats().translations, 1u);
        EXPECT_EQ(b.its.stats().lpis, 1u);
        EXPECT_EQ(b.its.stats().cache_misses, 1u);
        EXPECT_EQ(b.its.stats().cache_hits, 0u);
        EXPECT_EQ(b.ack(), 8200u);
        b.eoi(8200);
        b.idle_ns(100);
        EXPECT_FALSE(b.pend_bit(8200)) << "cleared in the table when taken";
        b.translate(5, 3);
        settle(b);
        EXPECT_EQ(b.its.stats().cache_hits, 1u);
        EXPECT_EQ(b.drain(), std::vector<unsigned>{8200});
        EXPECT_TRUE(b.its.drops().empty());
    });
}

TEST(Its, TwoLevelDeviceTablesWithEveryPageSize) {
    gic_bench b;
    b.run([&](fw::hal&) {
        gic_up(b);
        b.its_on(0x1000, 16);
        b.set_cte(0, 0);
        const std::uint64_t l2 = RAM_BASE + 0x00600000; // 64 KiB aligned level-2 page
        unsigned intid = 8300, round = 0;
        for (std::uint64_t page : {0x1000ull, 0x4000ull, 0x10000ull}) {
            SCOPED_TRACE(page);
            const std::uint64_t per_page = page / 8;
            b.its_off();
            std::memset(b.at(DEVTAB_BASE), 0, 0x10000);
            b.wr64(BASER0, gic_bench::baser(1, DEVTAB_BASE, page, 1, true));
            b.wr64(BASER1, gic_bench::baser(4, COLLTAB_BASE, page, 1));
            b.wr32(CTLR, 1);
            // DeviceID per_page + 7: level-1 entry 1, entry 7 of its level-2 page.
            const std::uint32_t dev = static_cast<std::uint32_t>(per_page + 7);
            b.set_mem64(DEVTAB_BASE + 8, l2 | g::GITS_LVL1_VALID);
            b.set_dte(l2 + 7 * 8, 4, ITT_BASE);
            b.set_ite(ITT_BASE, 1, intid, 0);
            b.translate(dev, 1);
            settle(b);
            EXPECT_EQ(b.drain(), std::vector<unsigned>{intid});
            // Level-1 entry 0 is not valid: no device there.
            b.translate(3, 1);
            settle(b);
            EXPECT_EQ(b.drops(reason::device_unmapped), ++round);
            ++intid;
        }
        // Two-level, one 4 KiB level-1 page (512 level-2 pages of 512 devices): DeviceID beyond Devbits.
        b.its_off();
        b.wr64(BASER0, gic_bench::baser(1, DEVTAB_BASE, 0x1000, 1, true));
        b.wr32(CTLR, 1);
        b.translate(1u << 16, 0);
        settle(b);
        EXPECT_EQ(b.drops(reason::device_out_of_range), 1u);
        // Flat: a one-page table of 4 KiB holds 512 devices.
        b.its_off();
        b.wr64(BASER0, gic_bench::baser(1, DEVTAB_BASE, 0x1000, 1));
        b.wr32(CTLR, 1);
        b.translate(512, 0);
        settle(b);
        EXPECT_EQ(b.drops(reason::device_out_of_range), 2u);
        // 64 KiB pages put PA[51:48] in BASER bits [15:12]: a table at 2^48 + x is outside the bench RAM.
        b.its_off();
        b.wr64(BASER0, gic_bench::baser(1, (1ull << 48) | DEVTAB_BASE, 0x10000, 1));
        EXPECT_EQ(b.rd64(BASER0) & 0xf000, 0x1000u);
        b.wr32(CTLR, 1);
        {
            test::expect_report rep("decode miss");
            b.translate(2, 0);
            settle(b);
        }
        EXPECT_EQ(b.drops(reason::memory_error), 1u) << "read at 2^48 + DEVTAB_BASE";
    });
}

// ---- Commands ------------------------------------------------------------------------------------------------

TEST(Its, MappingCommandsWriteTheDocumentedTableFormats) {
    gic_bench b;
    b.run([&](fw::hal&) {
        gic_up(b);
        b.its_on(0x10000, 8);
        ASSERT_TRUE(b.cmd(g::cmd_mapd(9, 4, ITT_BASE, true)));
        EXPECT_EQ(b.mem64(DEVTAB_BASE + 9 * 8), 1ull | (4ull << 1) | ITT_BASE);
        ASSERT_TRUE(b.cmd(g::cmd_mapc(3, 0, true)));
        EXPECT_EQ(b.mem64(COLLTAB_BASE + 3 * 8), 1ull);
        ASSERT_TRUE(b.cmd(g::cmd_mapti(9, 2, 8300, 3)));
        EXPECT_EQ(b.mem64(ITT_BASE + 2 * 8), 3ull | (8300ull << 2) | (3ull << 32));
        const std::uint64_t itt2 = ITT_BASE + 0x10000;
        ASSERT_TRUE(b.cmd(g::cmd_mapd(10, 13, itt2, true)));
        ASSERT_TRUE(b.cmd(g::cmd_mapi(10, 8195, 3)));
        EXPECT_EQ(b.mem64(itt2 + 8195 * 8), 3ull | (8195ull << 2) | (3ull << 32)) << "MAPI: pINTID = EventID";
        EXPECT_EQ(b.its.stats().commands, 5u);
        EXPECT_EQ(b.rd64(CREADR), 5u * 32);
        b.translate(9, 2);
        b.translate(10, 8195);
        settle(b);
        EXPECT_EQ(b.drain(), (std::vector<unsigned>{8195, 8300}));
        ASSERT_TRUE(b.cmd(g::cmd_mapd(9, 4, ITT_BASE, false)));
        EXPECT_EQ(b.mem64(DEVTAB_BASE + 9 * 8), 0u);
        ASSERT_TRUE(b.cmd(g::cmd_mapc(3, 0, false)));
        EXPECT_EQ(b.mem64(COLLTAB_BASE + 3 * 8), 0u);
        b.translate(9, 2);
        b.translate(10, 8195);
        settle(b);
        EXPECT_EQ(b.drops(reason::device_unmapped), 1u) << "MAPD V=0 (and the cached translation is gone)";
        EXPECT_EQ(b.drops(reason::collection_unmapped), 1u) << "MAPC V=0";
        EXPECT_TRUE(b.its.command_errors().empty());
    });
}

TEST(Its, IntClearInvInvallDiscardMoviMovallAndSync) {
    gic_bench b;
    b.run([&](fw::hal&) {
        gic_up(b);
        b.its_on(0x1000, 16);
        ASSERT_TRUE(b.cmd(g::cmd_mapd(1, 4, ITT_BASE, true)));
        ASSERT_TRUE(b.cmd(g::cmd_mapc(0, 0, true)));
        ASSERT_TRUE(b.cmd(g::cmd_mapc(1, 0, true)));
        ASSERT_TRUE(b.cmd(g::cmd_mapti(1, 0, 8400, 0)));
        ASSERT_TRUE(b.cmd(g::cmd_mapti(1, 1, 8401, 0)));
        // INT: pending without a device write.
        ASSERT_TRUE(b.cmd(g::cmd_event(g::ITS_INT, 1, 0)));
        EXPECT_TRUE(b.gic.is_pending(8400));
        EXPECT_EQ(b.its.stats().lpis, 1u);
        EXPECT_EQ(b.its.stats().translations, 0u);
        EXPECT_EQ(b.drain(), std::vector<unsigned>{8400});
        // CLEAR removes the pending state.
        b.lpi_cfg(8401, false, 0xa0);
        ASSERT_TRUE(b.cmd(g::cmd_event(g::ITS_INV, 1, 1)));
        ASSERT_TRUE(b.cmd(g::cmd_event(g::ITS_INT, 1, 1)));
        EXPECT_TRUE(b.gic.is_pending(8401));
        EXPECT_TRUE(b.pend_bit(8401));
        ASSERT_TRUE(b.cmd(g::cmd_event(g::ITS_CLEAR, 1, 1)));
        EXPECT_FALSE(b.gic.is_pending(8401));
        EXPECT_FALSE(b.pend_bit(8401));
        // INV: a disabled pending LPI is delivered once enabled and invalidated.
        ASSERT_TRUE(b.cmd(g::cmd_event(g::ITS_INT, 1, 1)));
        b.lpi_cfg(8401, true, 0x20);
        b.idle_ns(100);
        EXPECT_EQ(b.ack(), 1023u);
        ASSERT_TRUE(b.cmd(g::cmd_event(g::ITS_INV, 1, 1)));
        EXPECT_EQ(b.gic.priority(8401), 0x20u);
        EXPECT_EQ(b.drain(), std::vector<unsigned>{8401});
        // INVALL: every LPI of the collection's redistributor.
        b.lpi_cfg(8400, false, 0xa0);
        b.lpi_cfg(8401, false, 0xa0);
        ASSERT_TRUE(b.cmd(g::cmd_invall(0)));
        ASSERT_TRUE(b.cmd(g::cmd_event(g::ITS_INT, 1, 0)));
        ASSERT_TRUE(b.cmd(g::cmd_event(g::ITS_INT, 1, 1)));
        EXPECT_EQ(b.ack(), 1023u);
        b.lpi_cfg(8400, true, 0x60);
        b.lpi_cfg(8401, true, 0x50);
        ASSERT_TRUE(b.cmd(g::cmd_invall(0)));
        EXPECT_EQ(b.drain(), (std::vector<unsigned>{8401, 8400}));
        // MOVI: the ITE moves to collection 1 (same processor); the cached translation is dropped.
        b.translate(1, 1);
        settle(b);
        EXPECT_EQ(b.drain(), std::vector<unsigned>{8401});
        const auto misses = b.its.stats().cache_misses;
        ASSERT_TRUE(b.cmd(g::cmd_movi(1, 1, 1)));
        EXPECT_EQ(b.mem64(ITT_BASE + 8), 3ull | (8401ull << 2) | (1ull << 32));
        b.translate(1, 1);
        settle(b);
        EXPECT_EQ(b.its.stats().cache_misses, misses + 1);
        EXPECT_EQ(b.drain(), std::vector<unsigned>{8401});
        // DISCARD: mapping and pending state gone.
        b.lpi_cfg(8400, false, 0x60);
        ASSERT_TRUE(b.cmd(g::cmd_event(g::ITS_INV, 1, 0)));
        ASSERT_TRUE(b.cmd(g::cmd_event(g::ITS_INT, 1, 0)));
        EXPECT_TRUE(b.gic.is_pending(8400));
        ASSERT_TRUE(b.cmd(g::cmd_event(g::ITS_DISCARD, 1, 0)));
        EXPECT_FALSE(b.gic.is_pending(8400));
        EXPECT_EQ(b.mem64(ITT_BASE), 0u);
        b.translate(1, 0);
        settle(b);
        EXPECT_EQ(b.drops(reason::event_unmapped), 1u);
        // MOVALL onto the same redistributor and SYNC: accepted, nothing changes.
        ASSERT_TRUE(b.cmd(g::cmd_movall(0, 0)));
        ASSERT_TRUE(b.cmd(g::cmd_sync(0)));
        EXPECT_TRUE(b.its.command_errors().empty());
        EXPECT_EQ(b.its.stats().commands, 21u);
    });
}

TEST(Its, CommandParameterErrorsAreRecordedWithTheirCodes) {
    gicv3_its::params p;
    p.cidbits = 4; // collections 0..15
    gic_bench b(default_gic_params(), p);
    b.run([&](fw::hal&) {
        gic_up(b);
        b.its_on(0x1000, 1); // 512 DeviceIDs, 512 collections in one page (CIDbits limits to 16)
        ASSERT_TRUE(b.cmd(g::cmd_mapd(1, 4, ITT_BASE, true)));
        ASSERT_TRUE(b.cmd(g::cmd_mapc(0, 0, true)));
        ASSERT_TRUE(b.cmd(g::cmd_mapti(1, 4, 8200, 2))); // collection 2 is never mapped
        ASSERT_TRUE(b.cmd(g::cmd_mapti(1, 5, 8201, 0)));
        struct row {
            g::its_command c;
            std::uint8_t opcode;
            std::uint32_t code;
            const char* what;
        };
        const row rows[] = {
            {g::cmd_mapd(1u << 16, 4, ITT_BASE, true), 0x08, 0x010801, "MAPD DeviceID beyond Devbits"},
            {g::cmd_mapd(600, 4, ITT_BASE, true), 0x08, 0x010801, "MAPD DeviceID beyond the table"},
            {g::cmd_mapd(2, 16, ITT_BASE, true), 0x08, 0x010802, "MAPD 17 EventID bits"},
            {g::cmd_mapc(16, 0, true), 0x09, 0x010903, "MAPC ICID beyond CIDbits"},
            {g::cmd_mapc(1, 1, true), 0x09, 0x010902, "MAPC processor 1"},
            {g::cmd_mapti(7, 0, 8192, 0), 0x0a, 0x010a04, "MAPTI unmapped device"},
            {g::cmd_mapti(1, 32, 8192, 0), 0x0a, 0x010a05, "MAPTI EventID beyond the ITT"},
            {g::cmd_mapti(1, 0, 100, 0), 0x0a, 0x010a06, "MAPTI pINTID below 8192"},
            {g::cmd_mapti(1, 0, 1u << 24, 0), 0x0a, 0x010a06, "MAPTI pINTID beyond 24 bits"},
            {g::cmd_mapti(1, 0, 8192, 16), 0x0a, 0x010a03, "MAPTI ICID beyond CIDbits (dbvp code)"},
            {g::cmd_mapi(1, 5, 0), 0x0b, 0x010a06, "MAPI: EventID 5 is no LPI"},
            {g::cmd_event(g::ITS_INT, 1, 3), 0x03, 0x010307, "INT unmapped event"},
            {g::cmd_event(g::ITS_CLEAR, 1, 3), 0x04, 0x010507, "CLEAR unmapped event"},
            {g::cmd_event(g::ITS_INV, 9, 0), 0x0c, 0x010c07, "INV unmapped device"},
            {g::cmd_event(g::ITS_DISCARD, 1, 40), 0x0f, 0x010f07, "DISCARD event beyond the ITT"},
            {g::cmd_movi(1, 3, 0), 0x01, 0x010107, "MOVI unmapped event"},
            {g::cmd_event(g::ITS_INT, 1, 4), 0x03, 0x010309, "INT, collection unmapped (dbvp code)"},
            {g::cmd_event(g::ITS_CLEAR, 1, 4), 0x04, 0x010509, "CLEAR, collection unmapped (dbvp code)"},
            {g::cmd_event(g::ITS_INV, 1, 4), 0x0c, 0x010c09, "INV, collection unmapped (dbvp code)"},
            {g::cmd_movi(1, 4, 0), 0x01, 0x010109, "MOVI from an unmapped collection"},
            {g::cmd_movi(1, 5, 3), 0x01, 0x010109, "MOVI to an unmapped collection"},
            {g::cmd_invall(5), 0x0d, 0x010d09, "INVALL unmapped collection"},
            {g::cmd_movall(0, 1), 0x0e, 0x010e01, "MOVALL to processor 1"},
            {g::cmd_sync(1), 0x05, 0x010501, "SYNC processor 1 (dbvp code)"},
            {{0x20, 0, 0, 0}, 0x20, 0, "opcode 0x20"},
            {{0x2a, 0, 0, 0}, 0x2a, 0, "VMAPTI (GICv4)"},
        };
        const unsigned n = sizeof rows / sizeof rows[0];
        const std::uint64_t first = b.cwriter;
        {
            test::expect_report rep("the command is skipped", n);
            for (const row& r : rows)
                EXPECT_TRUE(b.cmd(r.c)) << r.what << ": the queue goes on";
        }
        const auto& errs = b.its.command_errors();
        ASSERT_EQ(errs.size(), n);
        for (unsigned i = 0; i < n; ++i) {
            EXPECT_EQ(errs[i].opcode, rows[i].opcode) << rows[i].what;
            EXPECT_EQ(errs[i].code, rows[i].code) << rows[i].what;
            EXPECT_EQ(errs[i].queue_offset, first + 32 * i) << rows[i].what;
        }
        EXPECT_FALSE(b.its.stalled());
        EXPECT_EQ(b.mem64(DEVTAB_BASE + 2 * 8), 0u) << "MAPD with a bad size wrote nothing";
        EXPECT_EQ(b.mem64(COLLTAB_BASE + 8), 0u) << "MAPC to a missing processor wrote nothing";
        EXPECT_EQ(b.mem64(ITT_BASE), 0u) << "no MAPTI wrote event 0";
    });
}

TEST(Its, CommandErrorWarningNamesCommandCodeAndIds) {
    gic_bench b;
    b.run([&](fw::hal&) {
        gic_up(b);
        b.its_on();
        test::expect_report rep("command MAPTI (0x0a) at GITS_CREADR 0x0: E_ITS_MAPTI_UNMAPPED_DEVICE (0x010a04), "
                                "DeviceID 0x7 is not mapped");
        EXPECT_TRUE(b.cmd(g::cmd_mapti(7, 0, 8192, 0)));
    });
}

TEST(Its, MemoryErrorStallsTheQueueUntilRetryOrReenable) {
    gic_bench b;
    b.run([&](fw::hal&) {
        gic_up(b);
        b.its_on();
        ASSERT_TRUE(b.cmd(g::cmd_mapd(1, 4, HOLE, true))); // the ITT is nowhere
        ASSERT_TRUE(b.cmd(g::cmd_mapc(0, 0, true)));
        {
            test::expect_report bus("decode miss");
            test::expect_report stall("command MAPTI (0x0a) at GITS_CREADR 0x40: writing the ITT entry failed");
            EXPECT_FALSE(b.cmd(g::cmd_mapti(1, 0, 8200, 0))) << "stalled";
        }
        EXPECT_EQ(b.rd64(CREADR), 0x40u | 1) << "CREADR points at the failing command, Stalled";
        EXPECT_TRUE(b.its.stalled());
        EXPECT_EQ(b.rd32(CTLR) & QUIESCENT, 0u) << "commands outstanding";
        EXPECT_TRUE(b.its.command_errors().empty()) << "a memory error is no parameter error";
        // More commands wait behind the stall.
        for (unsigned i = 0; i < 4; ++i)
            b.set_mem64(QUEUE_BASE + b.cwriter + 8 * i, g::cmd_sync(0)[i]);
        b.cwriter += 32;
        b.wr64(CWRITER, b.cwriter);
        b.idle_ns(1000);
        EXPECT_EQ(b.rd64(CREADR), 0x40u | 1);
        // Fix the device table entry and retry: the MAPTI runs again, then the SYNC.
        b.set_dte(DEVTAB_BASE + 8, 4, ITT_BASE);
        b.wr64(CWRITER, b.cwriter | 1);
        EXPECT_TRUE(b.wait_queue());
        EXPECT_EQ(b.rd64(CREADR), b.cwriter);
        EXPECT_FALSE(b.its.stalled());
        b.translate(1, 0);
        settle(b);
        EXPECT_EQ(b.drain(), std::vector<unsigned>{8200});
        // Stall again, then disable and re-enable: the queue restarts from the failing command.
        b.set_dte(DEVTAB_BASE + 8, 4, HOLE);
        {
            test::expect_report bus("decode miss", 2);
            test::expect_report stall("the command queue stalls", 2);
            EXPECT_FALSE(b.cmd(g::cmd_event(g::ITS_DISCARD, 1, 0)));
            b.its_off();
            b.set_dte(DEVTAB_BASE + 8, 4, ITT_BASE);
            EXPECT_TRUE(b.its.stalled());
            b.wr32(CTLR, 1);
            EXPECT_TRUE(b.wait_queue());
            EXPECT_EQ(b.mem64(ITT_BASE), 0u) << "DISCARD ran";
            // A command queue that is not memory: reading the command fails.
            b.its_off();
            b.wr64(CBASER, g::GITS_CBASER_VALID | HOLE | 15);
            b.wr64(CWRITER, 32);
            b.wr32(CTLR, 1);
            b.idle_ns(1000);
        }
        EXPECT_EQ(b.rd64(CREADR), 1u) << "stalled at offset 0";
    });
}

// ---- Untranslatable writes -----------------------------------------------------------------------------------

TEST(Its, UntranslatableWritesAreDroppedRecordedAndAnsweredOk) {
    gic_bench b;
    b.run([&](fw::hal&) {
        gic_up(b);
        b.map_by_tables(1, 0, 8200);
        b.set_ite(ITT_BASE, 2, 8201, 7);   // collection 7: never mapped
        b.set_ite(ITT_BASE, 3, 70000, 0);  // beyond the GIC's 16 LPI ID bits
        b.set_dte(DEVTAB_BASE + 6 * 8, 4, HOLE);
        // Disabled ITS.
        b.translate(1, 0);
        b.its_on(0x1000, 1); // 512 DeviceIDs
        struct row {
            std::uint32_t dev, ev;
            reason why;
        };
        const row rows[] = {
            {1u << 16, 0, reason::device_out_of_range}, // beyond Devbits
            {600, 0, reason::device_out_of_range},      // beyond the one-page table
            {4, 0, reason::device_unmapped},
            {1, 32, reason::event_out_of_range},
            {1, 5, reason::event_unmapped},
            {1, 2, reason::collection_unmapped},
            {1, 3, reason::lpi_refused},
        };
        for (const row& r : rows)
            b.translate(r.dev, r.ev);
        {
            test::expect_report rep("decode miss");
            b.translate(6, 0); // ITT read fails
            settle(b);
        }
        b.translate(9, 9, false);                 // no DeviceID
        std::uint64_t v = 1;
        EXPECT_EQ(b.dev.m.write(TRANSLATER, &v, 4, nullptr), tlm::TLM_OK_RESPONSE); // no attribute at all
        EXPECT_EQ(b.dev.m.read(TRANSLATER, &v, 4, nullptr), tlm::TLM_OK_RESPONSE);  // read
        EXPECT_EQ(v, 0u) << "TRANSLATER reads as zero";
        b.translate(1, 0, true, 1); // byte write
        b.translate(1, 0, true, 8); // 64-bit write
        b.dev.m.sync();
        settle(b);
        const std::vector<reason> want = {
            reason::disabled,        reason::device_out_of_range, reason::device_out_of_range,
            reason::device_unmapped, reason::event_out_of_range,  reason::event_unmapped,
            reason::collection_unmapped, reason::lpi_refused,     reason::memory_error,
            reason::no_device_id,    reason::no_device_id,        reason::bad_access,
            reason::bad_access,      reason::bad_access,
        };
        const auto& d = b.its.drops();
        ASSERT_EQ(d.size(), want.size());
        for (std::size_t i = 0; i < want.size(); ++i)
            EXPECT_EQ(d[i].reason, want[i]) << i << ": " << gicv3_its::to_string(d[i].reason);
        EXPECT_EQ(d[0].device_id, 1u);
        EXPECT_EQ(d[2].device_id, 600u);
        EXPECT_EQ(d[4].event_id, 32u);
        EXPECT_TRUE(d[4].has_device_id);
        EXPECT_FALSE(d[9].has_device_id);
        EXPECT_EQ(d[9].event_id, 9u);
        EXPECT_GT(d[3].time, d[2].time);
        EXPECT_EQ(b.last, tlm::TLM_OK_RESPONSE) << "the requester cannot tell";
        EXPECT_EQ(b.its.stats().translations, 8u) << "writes that reached the translation engine";
        EXPECT_EQ(b.its.stats().lpis, 0u);
        EXPECT_EQ(b.gic.stats().lpis_refused, 1u);
        EXPECT_EQ(b.ack(), 1023u);
        EXPECT_STREQ(gicv3_its::to_string(reason::fifo_full), "fifo_full");
    });
}

TEST(Its, TwoByteTranslaterWritesCarryA16BitEventId) {
    gic_bench b;
    b.run([&](fw::hal&) {
        gic_up(b);
        b.its_on();
        b.map_by_tables(1, 0x12, 8250);
        b.translate(1, 0xab0012, true, 2);
        settle(b);
        EXPECT_EQ(b.drain(), std::vector<unsigned>{8250});
    });
}

namespace {
/// The ITS on and device 1's EventIDs 0..n-1 mapped to LPIs 8192 + EventID (from the bench's body).
void events_on(gic_bench& b, unsigned n) {
    gic_up(b);
    b.its_on();
    for (unsigned e = 0; e < n; ++e)
        b.map_by_tables(1, e, 8192 + e);
    b.sync();
}

/// A bench with ITS parameters `p` and events_on(n); then body(b).
void with_events(const gicv3_its::params& p, unsigned n, const std::function<void(gic_bench&)>& body) {
    gic_bench b(default_gic_params(), p);
    b.run([&](fw::hal&) {
        events_on(b, n);
        body(b);
    });
}

/// Ten writes inside the device's quantum into a 4-entry FIFO (stall_when_full as given): they arrive before the
/// engine can take any. `check` runs once every one was translated or dropped.
void ten_writes_into_four_entries(bool stall, const std::function<void(gic_bench&)>& check) {
    gicv3_its::params p;
    p.fifo_depth = 4;
    p.stall_when_full = stall;
    with_events(p, 10, [&](gic_bench& b) {
        for (unsigned e = 0; e < 10; ++e)
            b.translate(1, e, true, 4, false);
        EXPECT_EQ(b.rd32(CTLR) & QUIESCENT, 0u) << "writes in flight";
        b.dev.m.sync();
        settle(b);
        EXPECT_EQ(b.rd32(CTLR), 1u | QUIESCENT);
        check(b);
    });
}
} // namespace

TEST(Its, FifoOverflowDropsAreCountedWithStallWhenFullOff) {
    ten_writes_into_four_entries(false, [](gic_bench& b) {
        EXPECT_EQ(b.drops(reason::fifo_full), 6u);
        EXPECT_EQ(b.its.drops().front().event_id, 4u);
        EXPECT_EQ(b.its.stats().fifo_stalls, 0u);
        EXPECT_EQ(b.its.stats().lpis, 4u);
        EXPECT_EQ(b.drain(), (std::vector<unsigned>{8192, 8193, 8194, 8195}));
    });
}

TEST(Its, AFullFifoHoldsTheWriterAndDropsNothing) {
    // The 5th write finds the FIFO full: the writer catches up with the kernel, the engine drains the FIFO
    // meanwhile, and the write goes in. The 9th is held the same way.
    ten_writes_into_four_entries(true, [](gic_bench& b) {
        EXPECT_TRUE(b.its.drops().empty());
        EXPECT_EQ(b.its.stats().fifo_stalls, 2u);
        EXPECT_EQ(b.its.stats().lpis, 10u);
        std::vector<unsigned> want;
        for (unsigned e = 0; e < 10; ++e)
            want.push_back(8192 + e);
        EXPECT_EQ(b.drain(), want);
    });
}

TEST(Its, AHeldWriterGoesOnWhenTheEngineStartsTheNextTranslation) {
    gicv3_its::params p;
    p.fifo_depth = 1;
    p.translate_latency = 1000; // 2 us at 500 MHz: more than the 1 us quantum, the engine yields after each
    with_events(p, 3, [](gic_bench& b) {
        const sc_core::sc_time t0 = b.dev.m.now();
        b.translate(1, 0, true, 4, false); // into the empty FIFO
        b.translate(1, 1, true, 4, false); // full: the writer syncs, the engine takes the 1st meanwhile
        const sc_core::sc_time t2 = b.dev.m.now();
        b.translate(1, 2, true, 4, false); // full while the engine spends 2 us on the 1st: held until it ends
        const sc_core::sc_time t3 = b.dev.m.now();
        EXPECT_LT(t2, t0 + sc_core::sc_time(1, sc_core::SC_US));
        EXPECT_GE(t3, t0 + sc_core::sc_time(2, sc_core::SC_US)) << "held for the 1st translation";
        EXPECT_LT(t3, t0 + sc_core::sc_time(2100, sc_core::SC_NS)) << "and not longer";
        b.dev.m.sync();
        settle(b);
        EXPECT_TRUE(b.its.drops().empty());
        EXPECT_EQ(b.its.stats().fifo_stalls, 2u);
        EXPECT_EQ(b.drain(), (std::vector<unsigned>{8192, 8193, 8194}));
    });
}

TEST(Its, TheTraceSpanOfAHeldWriteStartsWhenTheWriteCame) {
    // The "translate" span of a write held at a full FIFO covers the hold: it starts when the write reached the
    // ITS, not when the FIFO took it.
    const std::string dir = ::testing::TempDir();
    const std::string json_path = dir + "/its_held_trace.json", vcd_path = dir + "/its_held_trace.vcd";
    gicv3_its::params p;
    p.fifo_depth = 1;
    p.translate_latency = 1000; // 2 us at 500 MHz
    double came_us = 0;
    trace::start(json_path, vcd_path);
    with_events(p, 3, [&](gic_bench& b) {
        b.translate(1, 0, true, 4, false);
        b.translate(1, 1, true, 4, false);
        came_us = static_cast<double>(b.dev.m.now().value()) / 1e6;
        b.translate(1, 2, true, 4, false); // held until about 2 us later
        b.dev.m.sync();
        settle(b);
        EXPECT_EQ(b.its.stats().fifo_stalls, 2u);
    });
    trace::finish();
    std::ifstream in(json_path);
    const nlohmann::json j = nlohmann::json::parse(in);
    int found = 0;
    for (const auto& e : j.at("traceEvents"))
        if (e.at("ph") == "X" && e.at("name") == "translate" && e.at("args").at("event_id") == 2) {
            ++found;
            EXPECT_LT(e.at("ts").get<double>(), came_us + 0.1) << "from when the write came (plus the bus)";
            EXPECT_GE(e.at("ts").get<double>() + e.at("dur").get<double>(), came_us + 2.0) << "over the hold";
        }
    EXPECT_EQ(found, 1);
}

TEST(Its, HeldWritersGoOnInTheOrderTheyArrived) {
    // Posted writes stay in order: a write that comes while another is held waits behind it, even when it comes
    // just after the engine made room (before the held writer resumed). Which of the two resumes first in that
    // delta is the kernel's choice; the outcome must not depend on it. (With SystemC 2.3.4's order the other
    // writer comes first, and the test fails without the tickets.)
    gicv3_its::params p;
    p.fifo_depth = 1;
    p.translate_latency = 1000; // 2 us at 500 MHz
    gic_bench b(default_gic_params(), p);
    device_port other("other"); // a second requester, with its own DeviceID
    other.socket.bind(b.soc.in);
    sc_core::sc_event go;
    sc_core::sc_time other_in;
    sc_core::sc_spawn([&] {
        sc_core::wait(go);
        // Come the moment the engine takes the 2nd write: in the evaluation it does so, or the delta after it
        // (before the held writer, whom the engine wakes in that delta too).
        while (b.its.stats().translations < 2) {
            sc_core::wait(sc_core::SC_ZERO_TIME);
            if (b.its.stats().translations >= 2)
                break;
            sc_core::wait(1, sc_core::SC_NS);
        }
        other.translate(2, 3);
        other_in = other.m.now(); // when the write was accepted
        other.m.sync();
    }, "other_writer");
    b.run([&](fw::hal&) {
        events_on(b, 3);
        b.map_by_tables(2, 3, 8195, ITT_BASE + 0x1000);
        b.dev.m.sync();
        const sc_core::sc_time t0 = b.dev.m.now();
        go.notify(sc_core::sc_time(1, sc_core::SC_US)); // the other writer
        b.translate(1, 0, true, 4, false); // into the empty FIFO
        b.translate(1, 1, true, 4, false); // full: the writer syncs, the engine takes the 1st meanwhile
        b.translate(1, 2, true, 4, false); // full until the engine takes the 2nd at 2 us: held
        const sc_core::sc_time t3 = b.dev.m.now();
        EXPECT_GE(t3, t0 + sc_core::sc_time(2, sc_core::SC_US));
        EXPECT_LT(t3, t0 + sc_core::sc_time(2100, sc_core::SC_NS)) << "it took the room the engine made at 2 us";
        b.dev.m.sync();
        settle(b);
        EXPECT_GE(other_in, t0 + sc_core::sc_time(4, sc_core::SC_US)) << "the later writer took the next room";
        EXPECT_EQ(b.its.stats().fifo_stalls, 3u) << "this writer twice, the other writer once";
        EXPECT_TRUE(b.its.drops().empty());
        EXPECT_EQ(b.drain(), (std::vector<unsigned>{8192, 8193, 8194, 8195}));
    });
}

TEST(Its, AWriterThatCannotWaitIsDroppedAtAFullFifoEvenWithStallWhenFullOn) {
    // An SC_METHOD cannot be held (it has no thread to block): its write to a full FIFO is dropped, fifo_full.
    gicv3_its::params p;
    p.fifo_depth = 1;
    p.translate_latency = 1000; // 2 us at 500 MHz
    ASSERT_TRUE(p.stall_when_full);
    gic_bench b(default_gic_params(), p);
    device_port other("other");
    other.socket.bind(b.soc.in);
    sc_core::sc_event go;
    sc_core::sc_spawn_options method;
    method.spawn_method();
    method.dont_initialize();
    method.set_sensitivity(&go);
    sc_core::sc_spawn([&] { other.translate(1, 2); }, "method_writer", &method);
    b.run([&](fw::hal&) {
        events_on(b, 3);
        b.dev.m.sync();
        b.translate(1, 0, true, 4, false); // into the empty FIFO
        b.translate(1, 1, true, 4, false); // full: the writer syncs, the engine takes the 1st meanwhile
        go.notify(sc_core::sc_time(500, sc_core::SC_NS)); // the FIFO holds the 2nd, the engine is busy: full
        b.dev.m.sync();
        settle(b);
        EXPECT_EQ(b.drops(reason::fifo_full), 1u);
        EXPECT_EQ(b.its.drops().back().event_id, 2u);
        EXPECT_EQ(b.its.stats().fifo_stalls, 1u) << "only the thread writer was held";
        EXPECT_EQ(b.drain(), (std::vector<unsigned>{8192, 8193}));
    });
}

TEST(Its, AWriteHeldWhenTheItsIsDisabledIsDroppedAtOnce) {
    gicv3_its::params p;
    p.fifo_depth = 1;
    p.translate_latency = 1000; // 2 us at 500 MHz
    gic_bench b(default_gic_params(), p);
    device_port other("other"); // a second initiator: the driver disabling the ITS while the device is held
    other.socket.bind(b.soc.in);
    sc_core::sc_event go;
    sc_core::sc_spawn([&] {
        sc_core::wait(go);
        const std::uint32_t off = 0;
        other.m.write(ITS_BASE + g::GITS_CTLR, &off, 4, nullptr);
        other.m.sync();
    }, "disabler");
    b.run([&](fw::hal&) {
        events_on(b, 3);
        b.dev.m.sync();
        const sc_core::sc_time t0 = b.dev.m.now();
        go.notify(sc_core::sc_time(500, sc_core::SC_NS));
        b.translate(1, 0, true, 4, false); // into the empty FIFO
        b.translate(1, 1, true, 4, false); // full: the writer syncs, the engine takes the 1st meanwhile
        b.translate(1, 2, true, 4, false); // full for 2 us: held, until the ITS is disabled at 500 ns
        const sc_core::sc_time t3 = b.dev.m.now();
        EXPECT_GE(t3, t0 + sc_core::sc_time(500, sc_core::SC_NS));
        EXPECT_LT(t3, t0 + sc_core::sc_time(1, sc_core::SC_US)) << "not held until the engine had room";
        b.dev.m.sync();
        settle(b);
        EXPECT_EQ(b.drops(reason::disabled), 1u);
        EXPECT_EQ(b.its.drops().back().event_id, 2u);
        EXPECT_EQ(b.drain(), (std::vector<unsigned>{8192, 8193})) << "writes already in the FIFO are translated";
    });
}

TEST(Its, BurstOf1000DistinctEventsGives1000DistinctLpis) {
    // FIFO sized for the burst: 1024 entries; the device writes back to back (not paced).
    gicv3_its::params p;
    p.fifo_depth = 1024;
    gic_bench b(default_gic_params(), p);
    b.run([&](fw::hal&) {
        gic_up(b);
        b.its_on();
        b.set_dte(DEVTAB_BASE + 8 * 3, 9, ITT_BASE); // 1024 events
        b.set_cte(0, 0);
        for (unsigned e = 0; e < 1000; ++e)
            b.set_ite(ITT_BASE, e, 8192 + 3 * e, 0); // distinct, not contiguous
        b.sync();
        for (unsigned e = 0; e < 1000; ++e)
            b.translate(3, e, true, 4, false);
        b.dev.m.sync();
        settle(b);
        EXPECT_TRUE(b.its.drops().empty());
        EXPECT_EQ(b.its.stats().translations, 1000u);
        EXPECT_EQ(b.its.stats().lpis, 1000u);
        EXPECT_EQ(b.gic.stats().lpis_set, 1000u);
        unsigned pending = 0, in_table = 0;
        for (unsigned e = 0; e < 1000; ++e) {
            pending += b.gic.is_pending(8192 + 3 * e);
            in_table += b.pend_bit(8192 + 3 * e);
        }
        EXPECT_EQ(pending, 1000u);
        EXPECT_EQ(in_table, 1000u);
        const std::vector<unsigned> got = b.drain();
        ASSERT_EQ(got.size(), 1000u);
        for (unsigned e = 0; e < 1000; ++e)
            EXPECT_EQ(got[e], 8192 + 3 * e) << "same priority: ascending INTID";
        b.idle_ns(100000);
        unsigned left = 0;
        for (unsigned e = 0; e < 1000; ++e)
            left += b.pend_bit(8192 + 3 * e);
        EXPECT_EQ(left, 0u) << "every pending bit written back as cleared";
    });
}

// ---- Translation cache ---------------------------------------------------------------------------------------

TEST(Its, TranslationCacheHitsMissesLruAndInvalidation) {
    gicv3_its::params p;
    p.cache_entries = 2;
    gic_bench b(default_gic_params(), p);
    b.run([&](fw::hal&) {
        gic_up(b);
        b.its_on();
        for (unsigned e = 0; e < 4; ++e)
            b.map_by_tables(1, e, 8192 + e);
        auto hits_misses = [&](std::uint32_t ev) {
            const auto h = b.its.stats().cache_hits, m = b.its.stats().cache_misses;
            b.translate(1, ev);
            settle(b);
            b.drain();
            return std::make_pair(b.its.stats().cache_hits - h, b.its.stats().cache_misses - m);
        };
        using hm = std::pair<std::uint64_t, std::uint64_t>;
        EXPECT_EQ(hits_misses(0), hm(0, 1));
        EXPECT_EQ(hits_misses(0), hm(1, 0));
        EXPECT_EQ(hits_misses(1), hm(0, 1));
        EXPECT_EQ(hits_misses(0), hm(1, 0));
        EXPECT_EQ(hits_misses(2), hm(0, 1)) << "evicts (1,1), the least recently used";
        EXPECT_EQ(hits_misses(1), hm(0, 1));
        EXPECT_EQ(hits_misses(2), hm(1, 0));
        // MAPTI of a cached event: the next translation reads the new mapping.
        ASSERT_TRUE(b.cmd(g::cmd_mapti(1, 2, 9000, 0)));
        b.translate(1, 2);
        settle(b);
        EXPECT_EQ(b.drain(), std::vector<unsigned>{9000});
        // MAPD drops the device's entries, MAPC the collection's.
        EXPECT_EQ(hits_misses(2), hm(1, 0));
        ASSERT_TRUE(b.cmd(g::cmd_mapd(1, 4, ITT_BASE, true)));
        EXPECT_EQ(hits_misses(2), hm(0, 1));
        ASSERT_TRUE(b.cmd(g::cmd_mapc(0, 0, true)));
        EXPECT_EQ(hits_misses(2), hm(0, 1));
        // INV does not touch translations.
        ASSERT_TRUE(b.cmd(g::cmd_event(g::ITS_INV, 1, 2)));
        EXPECT_EQ(hits_misses(2), hm(1, 0));
    });
}

TEST(Its, DeviceAndCollectionCachesServeTheWalkAfterATranslationCacheMiss) {
    gicv3_its::params p;
    p.cache_entries = 0; // every translation walks
    p.device_cache_entries = 1;
    p.collection_cache_entries = 1;
    with_events(p, 4, [](gic_bench& b) {
        b.map_by_tables(2, 0, 8300, ITT_BASE + 0x1000);
        const auto& st = b.its.stats();
        struct hm {
            std::uint64_t dev_hits, dev_misses, coll_hits, coll_misses;
            bool operator==(const hm& o) const {
                return dev_hits == o.dev_hits && dev_misses == o.dev_misses && coll_hits == o.coll_hits &&
                       coll_misses == o.coll_misses;
            }
        };
        auto ring = [&](std::uint32_t dev, std::uint32_t ev, unsigned want) {
            const hm before{st.device_cache_hits, st.device_cache_misses, st.collection_cache_hits,
                            st.collection_cache_misses};
            b.translate(dev, ev);
            settle(b);
            EXPECT_EQ(b.drain(), std::vector<unsigned>{want}) << dev << "/" << ev;
            return hm{st.device_cache_hits - before.dev_hits, st.device_cache_misses - before.dev_misses,
                      st.collection_cache_hits - before.coll_hits, st.collection_cache_misses - before.coll_misses};
        };
        EXPECT_TRUE(ring(1, 0, 8192) == (hm{0, 1, 0, 1}));
        EXPECT_TRUE(ring(1, 1, 8193) == (hm{1, 0, 1, 0})) << "same device, same collection: only the ITT is read";
        EXPECT_TRUE(ring(2, 0, 8300) == (hm{0, 1, 1, 0})) << "another device: evicts device 1 (one entry)";
        EXPECT_TRUE(ring(1, 2, 8194) == (hm{0, 1, 1, 0}));
        // A device entry rewritten in memory behind the ITS's back is not seen while cached (as in hardware)...
        b.set_dte(DEVTAB_BASE + 8, 4, ITT_BASE, false);
        EXPECT_TRUE(ring(1, 3, 8195) == (hm{1, 0, 1, 0}));
        // ... MAPD is how software changes it: the next walk reads the new entry (here: not valid).
        ASSERT_TRUE(b.cmd(g::cmd_mapd(1, 4, ITT_BASE, false)));
        b.translate(1, 3);
        settle(b);
        EXPECT_TRUE(b.drain().empty());
        EXPECT_EQ(b.drops(reason::device_unmapped), 1u);
        const std::uint64_t misses = st.device_cache_misses;
        b.translate(1, 3);
        settle(b);
        EXPECT_EQ(st.device_cache_misses, misses + 1) << "an invalid entry is not cached: read again";
        EXPECT_EQ(b.drops(reason::device_unmapped), 2u);
        EXPECT_TRUE(ring(2, 0, 8300) == (hm{0, 1, 1, 0}));
        // MAPC likewise for the collection entry.
        ASSERT_TRUE(b.cmd(g::cmd_mapc(0, 0, true)));
        EXPECT_TRUE(ring(2, 0, 8300) == (hm{1, 0, 0, 1}));
        EXPECT_TRUE(ring(2, 0, 8300) == (hm{1, 0, 1, 0}));
        // A GITS_BASER write (ITS disabled) flushes both.
        b.its_off();
        b.its_on();
        EXPECT_TRUE(ring(2, 0, 8300) == (hm{0, 1, 0, 1}));
    });
}

TEST(Its, AWalkWhoseReadsWaitedAcrossAnInvalidationIsNotCached) {
    // The ITS reaches memory through a path whose reads wait 1 us (no DMI). A translation walk reads the device
    // table entry just before a MAPD that unmaps the device writes it; the MAPD's invalidation comes while the
    // walk is still reading. What the walk read may be used for its own LPI (it was read first), but caching it
    // would outlive the MAPD: the next write of the device must find it unmapped.
    gic_bench b(default_gic_params(), default_its_params(), sc_core::sc_time(1, sc_core::SC_US));
    b.run([&](fw::hal&) {
        gic_up(b);
        b.its_on();
        b.map_by_tables(1, 0, 8192);
        b.sync();
        b.post(g::cmd_mapd(1, 4, ITT_BASE, false)); // its read of the command ends 1 us on; then it writes
        b.idle_ns(100);
        b.dev.m.sync();
        b.translate(1, 0); // the walk's device table read: before the MAPD's write, ending after it
        EXPECT_TRUE(b.wait_queue());
        settle(b);
        EXPECT_EQ(b.drain(), std::vector<unsigned>{8192}) << "the walk used what it had read";
        b.translate(1, 0);
        settle(b);
        EXPECT_TRUE(b.drain().empty()) << "nothing of that walk was cached";
        EXPECT_EQ(b.drops(reason::device_unmapped), 1u);
    });
}

TEST(Its, WithoutACacheEveryTranslationWalksTheTables) {
    gicv3_its::params p;
    p.cache_entries = 0;
    gic_bench b(default_gic_params(), p);
    b.run([&](fw::hal&) {
        gic_up(b);
        b.its_on();
        b.map_by_tables(1, 0, 8192);
        for (int i = 0; i < 3; ++i) {
            b.translate(1, 0);
            settle(b);
            EXPECT_EQ(b.drain(), std::vector<unsigned>{8192});
        }
        EXPECT_EQ(b.its.stats().cache_hits, 0u);
        EXPECT_EQ(b.its.stats().cache_misses, 3u);
        EXPECT_EQ(b.its.stats().device_cache_misses, 1u) << "the device and collection caches still serve";
        EXPECT_EQ(b.its.stats().device_cache_hits, 2u);
        EXPECT_EQ(b.its.stats().collection_cache_hits, 2u);
    });
}

// ---- LPI enable, priority, pending -----------------------------------------------------------------------------

TEST(Its, DisabledLpiStaysPendingInTheTableUntilEnabledAndInvalidated) {
    gic_bench b;
    b.run([&](fw::hal&) {
        gic_up(b, false);
        b.its_on();
        b.map_by_tables(1, 0, 8250);
        b.translate(1, 0);
        settle(b);
        EXPECT_TRUE(b.gic.is_pending(8250));
        EXPECT_TRUE(b.pend_bit(8250));
        EXPECT_FALSE(b.gic.is_enabled(8250));
        EXPECT_FALSE(b.gic.irq.level());
        EXPECT_EQ(b.ack(), 1023u);
        b.lpi_cfg(8250, true, 0x40);
        b.idle_ns(500);
        EXPECT_FALSE(b.gic.irq.level()) << "no invalidation yet";
        ASSERT_TRUE(b.cmd(g::cmd_mapc(0, 0, true)));
        ASSERT_TRUE(b.cmd(g::cmd_event(g::ITS_INV, 1, 0)));
        b.idle_ns(100);
        EXPECT_TRUE(b.gic.irq.level());
        EXPECT_EQ(b.ack(), 8250u);
        b.eoi(8250);
        b.idle_ns(100);
        EXPECT_FALSE(b.pend_bit(8250));
    });
}

TEST(Its, AcknowledgeOrderFollowsPriorityAcrossLpisAndSpis) {
    gic_bench b;
    b.run([&](fw::hal&) {
        gic_up(b);
        b.its_on();
        b.lpi_cfg(8200, true, 0x80);
        b.lpi_cfg(8201, true, 0x40);
        b.lpi_cfg(8202, true, 0x40);
        for (unsigned e = 0; e < 3; ++e)
            b.map_by_tables(1, e, 8200 + e);
        b.wr32(GICD_BASE + 0xc08, 2); // INTID 32 edge
        b.wr32(GICD_BASE + 0x420, 0x60);
        b.wr32(GICD_BASE + 0x104, 1);
        b.translate(1, 0);
        b.translate(1, 2);
        b.translate(1, 1);
        b.sync();
        b.spi[0].pulse();
        settle(b);
        EXPECT_EQ(b.drain(), (std::vector<unsigned>{8201, 8202, 32, 8200}));
    });
}

// ---- Timing ----------------------------------------------------------------------------------------------------

TEST(Its, LatencyFromATranslaterWriteToNirqIsTheSumOfTheDocumentedCycles) {
    gicv3_its::params ip;
    ip.clock_hz = 250000000;
    ip.reg_latency = 3;
    ip.translate_latency = 7;
    gicv3::params gp;
    gp.deliver_latency = 5;
    gic_bench b(gp, ip);
    b.run([&](fw::hal&) {
        gic_up(b);
        b.its_on();
        b.map_by_tables(1, 0, 8200);
        const sc_time hop = b.soc.cycles(2);                    // router, per access
        const sc_time rd = hop + b.ram.cycles(b.ram.get_params().read_latency); // one table read
        const sc_time accept = hop + b.its.cycles(ip.reg_latency);
        const sc_time engine = b.its.cycles(ip.translate_latency);
        const sc_time deliver = b.gic.cycles(gp.deliver_latency);
        // Cold: device, ITT and collection entries, then the LPI configuration byte.
        const sc_time t0 = b.now();
        b.translate(1, 0);
        settle(b);
        ASSERT_EQ(b.nirq.rises(), 1u);
        EXPECT_EQ(b.nirq.last_rise() - t0, accept + engine + rd + rd + rd + rd + deliver);
        EXPECT_EQ(b.nirq.last_rise() - t0, sc_time(14 + 28 + 48 + 10, SC_NS)) << "the same in numbers";
        b.drain();
        // Warm: both caches hit, no memory access before nIRQ.
        const sc_time t1 = b.now();
        b.translate(1, 0);
        settle(b);
        ASSERT_EQ(b.nirq.rises(), 2u);
        EXPECT_EQ(b.nirq.last_rise() - t1, accept + engine + deliver);
        b.drain();
    });
}

// ---- Firmware driver -------------------------------------------------------------------------------------------

TEST(Its, FirmwareDriverEndToEndWithAFlatDeviceTable) {
    gic_bench b;
    b.run([&](fw::hal& h) {
        fw::dma_pool pool(h, POOL_BASE, POOL_SIZE);
        fw::gicv3_driver gic(h, GICD_BASE, GICR_BASE);
        ASSERT_TRUE(gic.init(pool, 16));
        fw::its_driver its(h, ITS_BASE);
        const fw::status s = its.init(pool);
        ASSERT_TRUE(s) << s.message();
        EXPECT_EQ(its.device_bits(), 16u);
        EXPECT_EQ(its.event_bits(), 16u);
        EXPECT_EQ(its.itt_entry_size(), 8u);
        EXPECT_EQ(its.page_size(), 0x10000u);
        EXPECT_FALSE(its.two_level());
        EXPECT_EQ(its.translater_address(), TRANSLATER);
        const std::uint64_t baser0 = b.rd64(BASER0);
        EXPECT_EQ(baser0 & (g::GITS_BASER_VALID | g::GITS_BASER_INDIRECT), g::GITS_BASER_VALID);
        EXPECT_EQ((baser0 >> 8) & 3, 2u) << "64 KiB pages";
        EXPECT_EQ(baser0 & 0xff, 7u) << "8 pages: 2^16 entries of 8 bytes";
        EXPECT_EQ(baser0 & 0x0000ffffffff0000ull, its.device_table());
        EXPECT_EQ(b.rd64(BASER1) & g::GITS_BASER_VALID, g::GITS_BASER_VALID);
        EXPECT_EQ(b.rd64(CBASER), g::GITS_CBASER_VALID | (7ull << 59) | (1ull << 10) | its.command_queue() | 15);
        EXPECT_EQ(b.rd32(CTLR) & 1, 1u);
        EXPECT_EQ(b.mem64(its.collection_table()), 1u) << "collection 0 -> processor 0";
        // Device with 5 events: 32 allocated (Linux: at least 32, a power of two).
        auto d = its.map_device(0x42, 5);
        ASSERT_TRUE(d) << d.error().message();
        EXPECT_EQ(d->num_events, 32u);
        EXPECT_EQ(d->itt % 256, 0u);
        EXPECT_EQ(b.mem64(its.device_table() + 0x42 * 8), 1ull | (4ull << 1) | d->itt);
        ASSERT_TRUE(its.map_event(0x42, 3, 8300));
        EXPECT_EQ(b.mem64(d->itt + 3 * 8), 3ull | (8300ull << 2));
        ASSERT_TRUE(gic.set_lpi(8300, true, 0x40));
        ASSERT_TRUE(its.inv(0x42, 3));
        b.translate(0x42, 3);
        settle(b);
        EXPECT_EQ(b.drain(), std::vector<unsigned>{8300});
        ASSERT_TRUE(its.trigger(0x42, 3));
        EXPECT_EQ(b.drain(), std::vector<unsigned>{8300});
        ASSERT_TRUE(gic.set_lpi(8300, false, 0x40));
        ASSERT_TRUE(its.inv_all());
        ASSERT_TRUE(its.trigger(0x42, 3));
        EXPECT_EQ(b.ack(), 1023u);
        ASSERT_TRUE(its.clear(0x42, 3));
        EXPECT_FALSE(b.gic.is_pending(8300));
        ASSERT_TRUE(gic.set_lpi(8300, true, 0x40));
        ASSERT_TRUE(its.inv(0x42, 3));
        ASSERT_TRUE(its.map_collection(1, 0));
        ASSERT_TRUE(its.move_event(0x42, 3, 1));
        EXPECT_EQ(b.mem64(d->itt + 3 * 8), 3ull | (8300ull << 2) | (1ull << 32));
        // Unmapping.
        ASSERT_TRUE(its.unmap_event(0x42, 3));
        b.translate(0x42, 3);
        settle(b);
        ASSERT_TRUE(its.unmap_device(0x42));
        b.translate(0x42, 3);
        settle(b);
        EXPECT_EQ(b.drops(reason::event_unmapped), 1u);
        EXPECT_EQ(b.drops(reason::device_unmapped), 1u);
        auto again = its.map_device(0x42, 20);
        ASSERT_TRUE(again);
        EXPECT_EQ(again->itt, d->itt) << "ITT reused";
        EXPECT_EQ(b.mem64(d->itt + 3 * 8), 0u);
        EXPECT_TRUE(b.its.command_errors().empty());
        // Errors found by the driver before any command.
        EXPECT_EQ(its.map_device(0x42, 4).error().code(), fw::errc::busy);
        EXPECT_EQ(its.map_device(1u << 16, 4).error().code(), fw::errc::out_of_range);
        EXPECT_EQ(its.map_device(7, 1u << 17).error().code(), fw::errc::out_of_range);
        EXPECT_EQ(its.map_event(0x43, 0, 8192).code(), fw::errc::invalid_argument);
        EXPECT_EQ(its.map_event(0x42, 32, 8192).code(), fw::errc::out_of_range);
        EXPECT_EQ(its.map_event(0x42, 0, 100).code(), fw::errc::out_of_range);
        EXPECT_EQ(its.map_event(0x42, 0, 8192, 2).code(), fw::errc::invalid_argument);
        EXPECT_EQ(its.unmap_device(0x43).code(), fw::errc::invalid_argument);
        bool logged = false;
        for (const auto& line : b.cpu.console())
            logged |= line.find("its: 16 DeviceID bits (flat device table, 64K pages)") != std::string::npos;
        EXPECT_TRUE(logged);
    });
}

TEST(Its, FirmwareDriverTwoLevelDeviceTableWithSmallPages) {
    gic_bench b;
    b.run([&](fw::hal& h) {
        fw::dma_pool pool(h, POOL_BASE, POOL_SIZE);
        fw::gicv3_driver gic(h, GICD_BASE, GICR_BASE);
        ASSERT_TRUE(gic.init(pool, 16));
        for (std::uint64_t page : {0x1000ull, 0x4000ull}) {
            SCOPED_TRACE(page);
            fw::its_driver its(h, ITS_BASE);
            fw::its_options opt;
            opt.page_size = page;
            opt.two_level = true;
            const fw::status s = its.init(pool, opt);
            ASSERT_TRUE(s) << s.message();
            EXPECT_TRUE(its.two_level());
            EXPECT_EQ(its.page_size(), page);
            const std::uint64_t baser0 = b.rd64(BASER0);
            EXPECT_EQ(baser0 & g::GITS_BASER_INDIRECT, g::GITS_BASER_INDIRECT);
            EXPECT_EQ(baser0 & 0xff, 0u) << "one level-1 page (2^16 DeviceIDs / entries per page * 8 B)";
            const std::uint64_t per_page = page / 8, dev = 3 * per_page + 1;
            EXPECT_EQ(b.mem64(its.device_table() + 3 * 8), 0u) << "no level-2 page before map_device";
            auto d = its.map_device(static_cast<std::uint32_t>(dev), 40);
            ASSERT_TRUE(d) << d.error().message();
            EXPECT_EQ(d->num_events, 64u);
            const std::uint64_t l1 = b.mem64(its.device_table() + 3 * 8);
            EXPECT_EQ(l1 & g::GITS_LVL1_VALID, g::GITS_LVL1_VALID);
            EXPECT_EQ(l1 % page, 0u);
            EXPECT_EQ(b.mem64((l1 & ~g::GITS_LVL1_VALID) + 8), 1ull | (5ull << 1) | d->itt);
            const unsigned intid = page == 0x1000 ? 9000 : 9001;
            ASSERT_TRUE(its.map_event(static_cast<std::uint32_t>(dev), 63, intid));
            ASSERT_TRUE(gic.set_lpi(intid, true, 0x40));
            ASSERT_TRUE(its.inv(static_cast<std::uint32_t>(dev), 63));
            b.translate(static_cast<std::uint32_t>(dev), 63);
            settle(b);
            EXPECT_EQ(b.drain(), std::vector<unsigned>{intid});
        }
    });
}

TEST(Its, FirmwareDriverChoosesATwoLevelTableWhenAFlatOneWouldExceed256Pages) {
    gicv3_its::params p;
    p.devbits = 24; // flat: 128 MiB = 2048 pages of 64 KiB
    gic_bench b(default_gic_params(), p);
    b.run([&](fw::hal& h) {
        fw::dma_pool pool(h, POOL_BASE, POOL_SIZE);
        fw::gicv3_driver gic(h, GICD_BASE, GICR_BASE);
        ASSERT_TRUE(gic.init(pool, 16));
        fw::its_driver its(h, ITS_BASE);
        ASSERT_TRUE(its.init(pool));
        EXPECT_EQ(its.device_bits(), 24u);
        EXPECT_TRUE(its.two_level());
        EXPECT_EQ(b.rd64(BASER0) & 0xff, 0u) << "2^24 / 8192 level-1 entries of 8 bytes: one 64 KiB page";
        const std::uint32_t dev = 0xabcdef;
        ASSERT_TRUE(its.map_device(dev, 32));
        ASSERT_TRUE(its.map_event(dev, 31, 8192));
        ASSERT_TRUE(gic.set_lpi(8192, true, 0x40));
        ASSERT_TRUE(its.inv(dev, 31));
        b.translate(dev, 31);
        settle(b);
        EXPECT_EQ(b.drain(), std::vector<unsigned>{8192});
        fw::its_driver flat(h, ITS_BASE);
        fw::its_options opt;
        opt.device_bits = 25;
        EXPECT_EQ(flat.init(pool, opt).code(), fw::errc::out_of_range);
    });
}

TEST(Its, FirmwareDriverReportsAStalledCommandAndResumes) {
    gic_bench b;
    b.run([&](fw::hal& h) {
        fw::dma_pool pool(h, POOL_BASE, POOL_SIZE);
        fw::gicv3_driver gic(h, GICD_BASE, GICR_BASE);
        ASSERT_TRUE(gic.init(pool, 16));
        fw::its_driver its(h, ITS_BASE);
        ASSERT_TRUE(its.init(pool));
        auto d = its.map_device(5, 32);
        ASSERT_TRUE(d);
        const std::uint64_t dte = its.device_table() + 5 * 8;
        b.set_mem64(dte, 1ull | (4ull << 1) | HOLE); // the ITT vanished
        {
            test::expect_report bus("decode miss");
            test::expect_report stall("the command queue stalls");
            const fw::status s = its.map_event(5, 0, 8200);
            EXPECT_EQ(s.code(), fw::errc::io_error);
            EXPECT_NE(s.message().find("stalled at MAPTI"), std::string::npos) << s.message();
        }
        b.set_mem64(dte, 1ull | (4ull << 1) | d->itt);
        ASSERT_TRUE(its.resume());
        EXPECT_FALSE(b.its.stalled());
        EXPECT_EQ(b.mem64(d->itt), 3ull | (8200ull << 2)) << "the MAPTI ran on retry";
        ASSERT_TRUE(its.sync());
        ASSERT_TRUE(gic.set_lpi(8200, true, 0x40));
        ASSERT_TRUE(its.inv(5, 0));
        b.translate(5, 0);
        settle(b);
        EXPECT_EQ(b.drain(), std::vector<unsigned>{8200});
    });
}

TEST(Its, FirmwareDriverRejectsAMissingItsAndATinyPool) {
    gic_bench b;
    b.run([&](fw::hal& h) {
        fw::dma_pool pool(h, POOL_BASE, POOL_SIZE);
        fw::its_driver none(h, RAM_BASE);
        EXPECT_EQ(none.init(pool).code(), fw::errc::no_device);
        fw::its_driver its(h, ITS_BASE);
        EXPECT_EQ(its.sync().code(), fw::errc::invalid_argument) << "not initialised";
        fw::dma_pool tiny(h, POOL_BASE, 0x20000);
        const fw::status s = its.init(tiny);
        EXPECT_EQ(s.code(), fw::errc::no_space);
        EXPECT_NE(s.message().find("ITS device table"), std::string::npos) << s.message();
        fw::its_options opt;
        opt.page_size = 0x2000;
        EXPECT_EQ(its.init(pool, opt).code(), fw::errc::invalid_argument);
    });
}

// ---- Queue, quiescence, debug, parameters ----------------------------------------------------------------------

TEST(Its, CommandQueueWrapsAtItsSizeAndWaitsWhileDisabled) {
    gic_bench b;
    b.run([&](fw::hal&) {
        gic_up(b);
        b.its_on();
        b.wr32(CTLR, 0);
        b.wr64(CBASER, g::GITS_CBASER_VALID | QUEUE_BASE | 0); // one 4 KiB page: 128 commands
        b.wr64(CWRITER, 0);
        b.cwriter = 0;
        b.queue_bytes = 0x1000;
        // Disabled: CWRITER moves, nothing is processed.
        for (unsigned i = 0; i < 4; ++i)
            b.set_mem64(QUEUE_BASE + 8 * i, g::cmd_mapc(0, 0, true)[i]);
        b.cwriter = 32;
        b.wr64(CWRITER, 32);
        b.idle_ns(1000);
        EXPECT_EQ(b.rd64(CREADR), 0u);
        EXPECT_EQ(b.rd32(CTLR), QUIESCENT) << "disabled ITS with nothing in flight is quiescent";
        b.wr32(CTLR, 1);
        EXPECT_TRUE(b.wait_queue());
        for (unsigned i = 0; i < 130; ++i)
            ASSERT_TRUE(b.cmd(g::cmd_sync(0)));
        EXPECT_EQ(b.rd64(CREADR), (131u * 32) % 0x1000) << "wrapped";
        EXPECT_EQ(b.its.stats().commands, 131u);
        // Two commands queued at once: not quiescent until both ran.
        for (unsigned k = 0; k < 2; ++k)
            for (unsigned i = 0; i < 4; ++i)
                b.set_mem64(QUEUE_BASE + (b.cwriter + 32 * k) % 0x1000 + 8 * i, g::cmd_sync(0)[i]);
        b.cwriter = (b.cwriter + 64) % 0x1000;
        b.wr64(CWRITER, b.cwriter);
        EXPECT_EQ(b.rd32(CTLR) & QUIESCENT, 0u);
        EXPECT_TRUE(b.wait_queue());
        EXPECT_EQ(b.rd32(CTLR), 1u | QUIESCENT);
    });
}

TEST(Its, DebugTransportReadsRegistersOnly) {
    gic_bench b;
    b.run([&](fw::hal&) {
        std::uint64_t v = 0;
        EXPECT_EQ(b.dev.m.debug(tlm::TLM_READ_COMMAND, TYPER, &v, 8), 8u);
        EXPECT_EQ(v, 0x0000001f0001ef71ull);
        EXPECT_EQ(b.dev.m.debug(tlm::TLM_WRITE_COMMAND, CTLR, &v, 4), 0u) << "debug writes refused";
        EXPECT_EQ(b.dev.m.debug(tlm::TLM_WRITE_COMMAND, TRANSLATER, &v, 4), 0u);
        EXPECT_EQ(b.dev.m.debug(tlm::TLM_READ_COMMAND, TRANSLATER, &v, 4), 0u);
        EXPECT_EQ(b.rd32(CTLR), QUIESCENT);
        EXPECT_TRUE(b.its.drops().empty());
    });
}

TEST(Its, BadParametersThrow) {
    auto make = [](auto change) {
        gicv3_its::params p;
        change(p);
        gicv3_its its("its", p);
    };
    EXPECT_THROW(make([](gicv3_its::params& p) { p.devbits = 0; }), std::invalid_argument);
    EXPECT_THROW(make([](gicv3_its::params& p) { p.devbits = 33; }), std::invalid_argument);
    EXPECT_THROW(make([](gicv3_its::params& p) { p.idbits = 0; }), std::invalid_argument);
    EXPECT_THROW(make([](gicv3_its::params& p) { p.cidbits = 17; }), std::invalid_argument);
    EXPECT_THROW(make([](gicv3_its::params& p) { p.itt_entry_size = 5; }), std::invalid_argument);
    EXPECT_THROW(make([](gicv3_its::params& p) { p.itt_entry_size = 17; }), std::invalid_argument);
    EXPECT_THROW(make([](gicv3_its::params& p) { p.fifo_depth = 0; }), std::invalid_argument);
}

TEST(Its, NativeCpuTakesTheLpiThroughTheCpuInterface) {
    gic_bench b;
    b.gic.irq.bind(b.cpu, 0);
    b.cpu.attach_interrupt_controller(b.gic);
    std::vector<unsigned> taken;
    sc_time handled;
    b.run([&](fw::hal& h) {
        fw::dma_pool pool(h, POOL_BASE, POOL_SIZE);
        fw::gicv3_driver gic(h, GICD_BASE, GICR_BASE);
        ASSERT_TRUE(gic.init(pool, 16));
        fw::its_driver its(h, ITS_BASE);
        ASSERT_TRUE(its.init(pool));
        ASSERT_TRUE(its.map_device(7, 32));
        ASSERT_TRUE(its.map_event(7, 1, 8300));
        ASSERT_TRUE(gic.set_lpi(8300, true, 0x40));
        ASSERT_TRUE(its.inv(7, 1));
        auto irq = h.request_irq(
            8300,
            [&](unsigned intid) {
                taken.push_back(intid);
                handled = sc_time(static_cast<double>(h.now_ns()), SC_NS); // the CPU's (local) time
            },
            fw::irq_none, "doorbell");
        ASSERT_TRUE(irq) << irq.error().message();
        b.sync();
        b.translate(7, 1);
        EXPECT_TRUE(h.wait_for_interrupt(100000));
        EXPECT_EQ(taken, std::vector<unsigned>{8300});
        EXPECT_GE(handled, b.nirq.last_rise());
        EXPECT_FALSE(b.gic.irq.level());
        EXPECT_FALSE(b.gic.is_pending(8300));
        EXPECT_EQ(b.gic.stats().acknowledged, 1u);
        EXPECT_EQ(b.ack(), 1023u) << "the CPU ended the interrupt: nothing left";
    });
}
