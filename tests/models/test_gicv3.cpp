// GICv3 distributor, redistributor and CPU interface: reset values and access rules, WAKER, SPI level vs edge,
// enable / group gating, priority order and preemption, acknowledge / EOI and spurious 1023, software pending and
// active state, routing, nIRQ timing, LPI base registers, pending-table load, INVLPIR / SYNCR, the lpi_sink_if
// range checks, debug transport, and the firmware gicv3_driver. ITS translation is in test_its.cpp.
#include "gic_bench.h"

#include "dbvp/fw/dma_pool.h"

#include <gtest/gtest.h>

using namespace dbvp;
using namespace dbvp::test;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

constexpr std::uint64_t GICD_ISENABLER = GICD_BASE + 0x100, GICD_ICENABLER = GICD_BASE + 0x180,
                        GICD_ISPENDR = GICD_BASE + 0x200, GICD_ICPENDR = GICD_BASE + 0x280,
                        GICD_ISACTIVER = GICD_BASE + 0x300, GICD_ICACTIVER = GICD_BASE + 0x380,
                        GICD_IPRIORITYR = GICD_BASE + 0x400, GICD_ICFGR = GICD_BASE + 0xc00,
                        GICD_IROUTER = GICD_BASE + 0x6000, GICD_IGROUPR = GICD_BASE + 0x80;

/// Enable SPI n (INTID 32 + n) with priority `prio`, edge or level.
void spi_setup(gic_bench& b, unsigned n, unsigned prio, bool edge) {
    const unsigned id = 32 + n;
    const std::uint64_t cfg = GICD_ICFGR + 4 * (id / 16);
    const std::uint32_t bit = 2u << (2 * (id % 16));
    b.wr32(cfg, edge ? (b.rd32(cfg) | bit) : (b.rd32(cfg) & ~bit));
    const std::uint64_t pr = GICD_IPRIORITYR + (id & ~3u);
    const unsigned sh = 8 * (id & 3);
    b.wr32(pr, (b.rd32(pr) & ~(0xffu << sh)) | (prio << sh));
    b.wr32(GICD_ISENABLER + 4 * (id / 32), 1u << (id % 32));
}

/// Any-size access through the device port (no DeviceID): returns the response.
tlm::tlm_response_status raw(gic_bench& b, tlm::tlm_command cmd, std::uint64_t addr, std::uint64_t& v,
                             unsigned len) {
    const auto r = b.dev.m.access(cmd, addr, &v, len, nullptr);
    b.dev.m.sync();
    return r;
}

} // namespace

// ---- Reset values, identification, access rules -------------------------------------------------------------

TEST(Gicv3, ResetValuesAndIdentification) {
    gic_bench b;
    b.run([&](fw::hal&) {
        struct row {
            std::uint64_t addr;
            std::uint32_t value;
            const char* what;
        };
        const row rows[] = {
            {GICD_BASE + 0x0000, 0x00000040, "GICD_CTLR: DS (one Security state), everything off"},
            {GICD_BASE + 0x0004, 0x017a0002, "GICD_TYPER: 96 INTIDs, LPIS, IDbits 15, A3V"},
            {GICD_BASE + 0x0008, 0x0000143b, "GICD_IIDR"},
            {GICD_BASE + 0x000c, 0x00000000, "GICD_TYPER2"},
            {GICD_BASE + 0xffe8, 0x0000003b, "GICD_PIDR2: GICv3"},
            {GICD_IGROUPR + 0, 0x00000000, "GICD_IGROUPR0: INTIDs 0-31 live in the redistributor (RAZ)"},
            {GICD_IGROUPR + 4, 0xffffffff, "GICD_IGROUPR1: Group 1"},
            {GICD_ISENABLER + 4, 0x00000000, "SPIs disabled"},
            {GICD_ISPENDR + 4, 0x00000000, "nothing pending"},
            {GICD_IPRIORITYR + 32, 0x00000000, "priorities 0"},
            {GICD_ICFGR + 8, 0x00000000, "SPIs level-sensitive"},
            {GICR_BASE + 0x0000, 0x00000004, "GICR_CTLR: IR, EnableLPIs 0"},
            {GICR_BASE + 0x0004, 0x0000143b, "GICR_IIDR"},
            {GICR_BASE + 0x0008, 0x00000011, "GICR_TYPER low: PLPIS, Last, processor 0"},
            {GICR_BASE + 0x000c, 0x00000000, "GICR_TYPER high: affinity 0.0.0.0"},
            {GICR_BASE + 0x0014, 0x00000006, "GICR_WAKER: ProcessorSleep, ChildrenAsleep"},
            {GICR_BASE + 0x00c0, 0x00000000, "GICR_SYNCR idle"},
            {GICR_BASE + 0xffe8, 0x0000003b, "GICR_PIDR2"},
            {SGI_BASE + 0x0080, 0xffffffff, "GICR_IGROUPR0"},
            {SGI_BASE + 0x0c00, 0xaaaaaaaa, "GICR_ICFGR0: SGIs edge"},
            {SGI_BASE + 0x0c04, 0x00000000, "GICR_ICFGR1: PPIs level"},
        };
        for (const row& r : rows) {
            bool ok = false;
            EXPECT_EQ(b.rd32(r.addr, &ok), r.value) << r.what;
            EXPECT_TRUE(ok) << r.what;
        }
        EXPECT_EQ(b.rd64(GICR_BASE + 0x70), 0u) << "GICR_PROPBASER";
        EXPECT_EQ(b.rd64(GICR_BASE + 0x78), 0u) << "GICR_PENDBASER";
        EXPECT_EQ(b.rd64(GICD_IROUTER + 8 * 40), 0u) << "GICD_IROUTER40";
        EXPECT_FALSE(b.gic.irq.level());
    });
}

TEST(Gicv3, TyperFollowsParameters) {
    gicv3::params p;
    p.num_spis = 988;
    p.lpi_id_bits = 20;
    gic_bench b(p);
    b.run([&](fw::hal&) {
        EXPECT_EQ(b.rd32(GICD_BASE + 4), (31u) | (1u << 17) | (19u << 19) | (1u << 24));
        EXPECT_EQ(b.rd32(GICD_IGROUPR + 4 * 31), 0xffffffffu) << "last SPI group register exists";
        // INTID 1019 is the last SPI; 1020-1023 are special and read as zero.
        b.gic_on();
        b.wr32(GICD_IPRIORITYR + 1016, 0x10101010u);
        EXPECT_EQ(b.rd32(GICD_IPRIORITYR + 1016), 0x10101010u) << "INTIDs 1016..1019";
        b.wr32(GICD_ISENABLER + 4 * 31, 0xffffffffu);
        EXPECT_EQ(b.rd32(GICD_ISENABLER + 4 * 31), 0x0fffffffu);
        b.wr32(GICD_ISPENDR + 4 * 31, 1u << 27);
        EXPECT_EQ(b.ack(), 1019u);
        b.eoi(1019);
    });
}

TEST(Gicv3, RegisterAccessRules) {
    gic_bench b;
    b.run([&](fw::hal&) {
        // Read-only registers ignore writes.
        b.wr32(GICD_BASE + 0x4, 0);
        EXPECT_EQ(b.rd32(GICD_BASE + 0x4), 0x017a0002u);
        b.wr64(GICR_BASE + 0x8, 0);
        EXPECT_EQ(b.rd64(GICR_BASE + 0x8), 0x11u);
        // INTIDs 0-31 in the distributor are RAZ/WI with affinity routing.
        b.wr32(GICD_ISENABLER, 0xffffffffu);
        EXPECT_EQ(b.rd32(GICD_ISENABLER), 0u);
        EXPECT_FALSE(b.gic.is_enabled(5));
        // IPRIORITYR is byte-accessible.
        std::uint64_t v = 0x5a;
        EXPECT_EQ(raw(b, tlm::TLM_WRITE_COMMAND, GICD_IPRIORITYR + 33, v, 1), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(b.rd32(GICD_IPRIORITYR + 32), 0x00005a00u);
        EXPECT_EQ(b.gic.priority(33), 0x5au);
        // IROUTER: 64-bit and 32-bit halves; reserved bits do not stick.
        b.wr64(GICD_IROUTER + 8 * 40, 0x0000000580030201ull);
        EXPECT_EQ(b.rd64(GICD_IROUTER + 8 * 40), 0x0000000580030201ull);
        b.wr32(GICD_IROUTER + 8 * 40 + 4, 0);
        EXPECT_EQ(b.rd64(GICD_IROUTER + 8 * 40), 0x0000000080030201ull);
        {
            test::expect_report rep("GICD_IROUTER41 written with 0x0000ff0000000000: reserved bits ignored");
            b.wr64(GICD_IROUTER + 8 * 41, 0x0000ff0000000000ull);
        }
        EXPECT_EQ(b.rd64(GICD_IROUTER + 8 * 41), 0u);
        // IROUTER of a SPI that is not implemented (64 SPIs: INTIDs 32..95) is RAZ/WI.
        b.wr64(GICD_IROUTER + 8 * 500, 0x1);
        EXPECT_EQ(b.rd64(GICD_IROUTER + 8 * 500), 0u);
        {
            test::expect_report rep("GICD_IGROUPR1 written with 0x00000000: Group 0 is not modelled");
            b.wr32(GICD_IGROUPR + 4, 0);
        }
        EXPECT_EQ(b.rd32(GICD_IGROUPR + 4), 0xffffffffu);
        {
            test::expect_report rep("GICD_ICFGR2 written with 0x00000001: the even bits are reserved");
            b.wr32(GICD_ICFGR + 8, 1);
        }
        EXPECT_EQ(b.rd32(GICD_ICFGR + 8), 0u);
        {
            test::expect_report rep("access size/alignment not supported");
            std::uint64_t h = 0;
            EXPECT_EQ(raw(b, tlm::TLM_READ_COMMAND, GICD_BASE + 0x4, h, 2), tlm::TLM_GENERIC_ERROR_RESPONSE);
        }
        {
            test::expect_report rep("no register there");
            bool ok = true;
            b.rd32(GICD_BASE + 0x8000, &ok);
            EXPECT_FALSE(ok) << "undefined GICD offset";
            b.wr32(GICR_BASE + 0x40, 1, &ok);
            EXPECT_FALSE(ok) << "GICR_SETLPIR is not implemented (GICR_TYPER.DirectLPI = 0)";
        }
        // GICD_CTLR: DS reads 1 whatever is written; ARE is stored (Linux writes 0 before re-initialising).
        b.wr32(GICD_BASE, 0x12);
        EXPECT_EQ(b.rd32(GICD_BASE), 0x52u);
        b.wr32(GICD_BASE, 0);
        EXPECT_EQ(b.rd32(GICD_BASE), 0x40u);
        b.wr32(GICD_BASE, 0x12);
        {
            test::expect_report rep("GICD_CTLR written with 0x80000012: reserved bits ignored");
            b.wr32(GICD_BASE, 0x80000012u);
        }
        EXPECT_EQ(b.rd32(GICD_BASE), 0x52u);
    });
}

TEST(Gicv3, EnablingAGroupWithoutAreWarns) {
    gic_bench b;
    b.run([&](fw::hal&) {
        test::expect_report rep("a group is enabled with ARE = 0");
        b.wr32(GICD_BASE, 0x2);
        EXPECT_EQ(b.rd32(GICD_BASE), 0x42u);
    });
}

TEST(Gicv3, WakerHandshakeGatesDelivery) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.wr32(GICD_BASE, 0x12);
        spi_setup(b, 0, 0x80, false);
        b.sync();
        b.spi[0].set(true);
        b.idle_ns(100);
        EXPECT_TRUE(b.gic.is_pending(32));
        EXPECT_FALSE(b.gic.irq.level()) << "the redistributor is asleep (ProcessorSleep = 1)";
        EXPECT_EQ(b.ack(), 1023u);
        b.wr32(GICR_BASE + 0x14, 0);
        EXPECT_EQ(b.rd32(GICR_BASE + 0x14), 0u) << "clearing ProcessorSleep clears ChildrenAsleep";
        b.idle_ns(100);
        EXPECT_TRUE(b.gic.irq.level());
        b.wr32(GICR_BASE + 0x14, 2);
        EXPECT_EQ(b.rd32(GICR_BASE + 0x14), 6u) << "setting ProcessorSleep sets ChildrenAsleep";
        EXPECT_FALSE(b.gic.irq.level());
        {
            test::expect_report rep("GICR_WAKER written with 0x00000001: reserved bits ignored");
            b.wr32(GICR_BASE + 0x14, 1);
        }
        EXPECT_EQ(b.rd32(GICR_BASE + 0x14), 0u);
    });
}

// ---- SPIs: level and edge ----------------------------------------------------------------------------------

TEST(Gicv3, LevelSensitiveSpiStaysPendingWhileTheLineIsHigh) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.gic_on();
        spi_setup(b, 2, 0x40, false);
        b.sync();
        b.spi[2].set(true);
        b.idle_ns(50);
        EXPECT_TRUE(b.gic.irq.level());
        EXPECT_EQ(b.rd32(GICD_ISPENDR + 4), 1u << 2);
        EXPECT_EQ(b.ack(), 34u);
        EXPECT_TRUE(b.gic.is_active(34));
        EXPECT_TRUE(b.gic.is_pending(34)) << "level: still pending while the line is high (active and pending)";
        EXPECT_FALSE(b.gic.irq.level()) << "active: not delivered again before EOI";
        EXPECT_EQ(b.ack(), 1023u);
        b.eoi(34);
        EXPECT_FALSE(b.gic.is_active(34));
        b.idle_ns(50);
        EXPECT_TRUE(b.gic.irq.level()) << "the handler did not quiet the source: delivered again";
        EXPECT_EQ(b.ack(), 34u);
        b.sync();
        b.spi[2].set(false);
        EXPECT_FALSE(b.gic.is_pending(34));
        b.eoi(34);
        b.idle_ns(50);
        EXPECT_FALSE(b.gic.irq.level());
        EXPECT_EQ(b.ack(), 1023u);
        // ICPENDR does not clear a level interrupt whose line is high; ISPENDR latches it past the line.
        b.sync();
        b.spi[2].set(true);
        b.wr32(GICD_ICPENDR + 4, 1u << 2);
        EXPECT_TRUE(b.gic.is_pending(34));
        b.sync();
        b.spi[2].set(false);
        EXPECT_FALSE(b.gic.is_pending(34));
        b.wr32(GICD_ISPENDR + 4, 1u << 2);
        EXPECT_TRUE(b.gic.is_pending(34)) << "software pending latch";
        EXPECT_EQ(b.ack(), 34u);
        EXPECT_FALSE(b.gic.is_pending(34)) << "acknowledge clears the software latch";
        b.eoi(34);
        EXPECT_EQ(b.gic.stats().acknowledged, 3u);
    });
}

TEST(Gicv3, EdgeTriggeredSpiLatchesAndClearsOnAcknowledge) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.gic_on();
        spi_setup(b, 3, 0x40, true);
        EXPECT_EQ(b.rd32(GICD_ICFGR + 8), 2u << 6) << "ICFGR2 bit for INTID 35";
        b.sync();
        b.spi[3].pulse();
        b.idle_ns(50);
        EXPECT_TRUE(b.gic.is_pending(35));
        EXPECT_EQ(b.ack(), 35u);
        EXPECT_FALSE(b.gic.is_pending(35)) << "edge: pending cleared on acknowledge";
        EXPECT_TRUE(b.gic.is_active(35));
        // A new edge while active: pending and active; delivered after EOI.
        b.sync();
        b.spi[3].pulse();
        EXPECT_TRUE(b.gic.is_pending(35));
        EXPECT_EQ(b.ack(), 1023u);
        b.eoi(35);
        EXPECT_EQ(b.ack(), 35u);
        b.eoi(35);
        EXPECT_EQ(b.ack(), 1023u);
        // A rising level on an edge-configured input latches once; staying high adds nothing.
        b.sync();
        b.spi[3].set(true);
        EXPECT_EQ(b.ack(), 35u);
        b.eoi(35);
        EXPECT_EQ(b.ack(), 1023u) << "no new edge";
        b.sync();
        b.spi[3].set(false);
        // A pulse on a level-configured input is never seen pending.
        spi_setup(b, 4, 0x40, false);
        b.sync();
        b.spi[4].pulse();
        EXPECT_FALSE(b.gic.is_pending(36));
        EXPECT_EQ(b.ack(), 1023u);
    });
}

TEST(Gicv3, ChangingTheTriggerOfAnEnabledSpiWarns) {
    gic_bench b;
    b.run([&](fw::hal&) {
        spi_setup(b, 1, 0x40, false);
        test::expect_report rep("INTID 33 changes trigger mode while enabled");
        b.wr32(GICD_ICFGR + 8, 2u << 2);
    });
}

// ---- Enable, group, priority -------------------------------------------------------------------------------

TEST(Gicv3, EnableAndGroupGateDelivery) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.gic_on();
        spi_setup(b, 0, 0x40, false);
        b.wr32(GICD_ICENABLER + 4, 1);
        EXPECT_EQ(b.rd32(GICD_ISENABLER + 4), 0u);
        b.sync();
        b.spi[0].set(true);
        b.idle_ns(100);
        EXPECT_TRUE(b.gic.is_pending(32));
        EXPECT_FALSE(b.gic.irq.level()) << "disabled";
        EXPECT_EQ(b.ack(), 1023u);
        b.wr32(GICD_ISENABLER + 4, 1);
        EXPECT_EQ(b.rd32(GICD_ICENABLER + 4), 1u) << "ICENABLER reads the enable state";
        b.idle_ns(100);
        EXPECT_TRUE(b.gic.irq.level());
        b.wr32(GICD_BASE, 0x10); // EnableGrp1 = 0
        EXPECT_FALSE(b.gic.irq.level());
        EXPECT_EQ(b.ack(), 1023u) << "Group 1 disabled in the distributor";
        b.wr32(GICD_BASE, 0x12);
        EXPECT_EQ(b.ack(), 32u);
        b.eoi(32);
        EXPECT_EQ(b.gic.stats().spurious, 2u);
    });
}

TEST(Gicv3, PriorityOrderTiesAndPreemption) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.gic_on();
        spi_setup(b, 0, 0x80, true); // INTID 32
        spi_setup(b, 1, 0x40, true); // INTID 33
        spi_setup(b, 2, 0x40, true); // INTID 34: same priority as 33
        spi_setup(b, 3, 0xc0, true); // INTID 35
        spi_setup(b, 4, 0xff, true); // INTID 36: the idle priority, never delivered
        b.sync();
        for (unsigned n : {4u, 3u, 2u, 1u, 0u})
            b.spi[n].pulse();
        // Highest priority (lowest value) first, ties to the lowest INTID; only a higher priority preempts.
        EXPECT_EQ(b.ack(), 33u);
        EXPECT_EQ(b.ack(), 1023u) << "34 has the same priority as the running 33: no preemption";
        b.eoi(33);
        EXPECT_EQ(b.ack(), 34u);
        b.eoi(34);
        EXPECT_EQ(b.ack(), 32u);
        // Preemption: while 32 (0x80) runs, a higher-priority interrupt is delivered, a lower one is not.
        b.sync();
        b.spi[1].pulse();
        EXPECT_EQ(b.ack(), 33u) << "0x40 preempts 0x80";
        EXPECT_EQ(b.ack(), 1023u) << "35 (0xc0) does not preempt";
        b.eoi(33);
        EXPECT_EQ(b.ack(), 1023u) << "32 still running at 0x80";
        b.eoi(32);
        EXPECT_EQ(b.ack(), 35u);
        b.eoi(35);
        EXPECT_EQ(b.ack(), 1023u) << "priority 0xff never beats the idle priority";
        EXPECT_TRUE(b.gic.is_pending(36));
    });
}

TEST(Gicv3, SpuriousWhenNothingIsDeliverable) {
    gic_bench b;
    b.run([&](fw::hal&) {
        EXPECT_EQ(b.ack(), 1023u);
        b.gic_on();
        EXPECT_EQ(b.ack(), 1023u);
        EXPECT_EQ(b.gic.stats().spurious, 2u);
        EXPECT_EQ(b.gic.stats().acknowledged, 0u);
        b.eoi(1023); // EOI of the spurious INTID is ignored, silently
    });
}

TEST(Gicv3, EoiOfAnInterruptThatWasNotAcknowledgedWarns) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.gic_on();
        {
            test::expect_report rep("EOI of INTID 40, which was not acknowledged");
            b.eoi(40);
        }
        spi_setup(b, 0, 0x80, true);
        spi_setup(b, 1, 0x40, true);
        b.sync();
        b.spi[0].pulse();
        EXPECT_EQ(b.ack(), 32u);
        b.sync();
        b.spi[1].pulse();
        EXPECT_EQ(b.ack(), 33u);
        {
            test::expect_report rep("EOI of INTID 32 out of order: INTID 33 was acknowledged after it");
            b.eoi(32);
        }
        EXPECT_FALSE(b.gic.is_active(32));
        b.eoi(33);
        EXPECT_FALSE(b.gic.is_active(33));
    });
}

TEST(Gicv3, SoftwarePendingAndActiveRegistersAndTheSgiFrame) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.gic_on();
        // SPI: ISACTIVER / ICACTIVER.
        spi_setup(b, 5, 0x20, true);
        b.wr32(GICD_ISACTIVER + 4, 1u << 5);
        EXPECT_TRUE(b.gic.is_active(37));
        EXPECT_EQ(b.rd32(GICD_ICACTIVER + 4), 1u << 5);
        b.wr32(GICD_ISPENDR + 4, 1u << 5);
        EXPECT_EQ(b.ack(), 1023u) << "active: not delivered";
        b.wr32(GICD_ICACTIVER + 4, 1u << 5);
        EXPECT_EQ(b.ack(), 37u);
        b.eoi(37);
        // SGI 3 and PPI 27 through the redistributor's SGI frame.
        b.wr32(SGI_BASE + 0x400, 0x60000000); // SGI 3 priority 0x60 (byte 3 of IPRIORITYR0)
        b.wr32(SGI_BASE + 0x418, 0x50000000); // PPI 27 priority 0x50 (byte 3 of IPRIORITYR6)
        EXPECT_EQ(b.rd32(SGI_BASE + 0x400), 0x60000000u);
        EXPECT_EQ(b.gic.priority(3), 0x60u);
        b.wr32(SGI_BASE + 0x100, (1u << 3) | (1u << 27));
        EXPECT_EQ(b.rd32(SGI_BASE + 0x100), (1u << 3) | (1u << 27));
        b.wr32(SGI_BASE + 0x200, (1u << 3) | (1u << 27));
        EXPECT_EQ(b.rd32(SGI_BASE + 0x200), (1u << 3) | (1u << 27));
        b.wr32(SGI_BASE + 0x0c00, 0); // ICFGR0 is read-only
        EXPECT_EQ(b.rd32(SGI_BASE + 0x0c00), 0xaaaaaaaau);
        EXPECT_EQ(b.ack(), 27u) << "PPI 27 at 0x50 beats SGI 3 at 0x60";
        b.eoi(27);
        EXPECT_FALSE(b.gic.is_pending(27)) << "level PPI, line low: acknowledge cleared the software latch";
        EXPECT_EQ(b.ack(), 3u);
        EXPECT_FALSE(b.gic.is_pending(3));
        b.eoi(3);
        EXPECT_EQ(b.ack(), 1023u);
    });
}

TEST(Gicv3, IrouterToAnotherPeIsNotDelivered) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.gic_on();
        spi_setup(b, 0, 0x40, true);
        b.wr64(GICD_IROUTER + 8 * 32, 0x1); // Aff0 = 1: no such PE
        b.sync();
        b.spi[0].pulse();
        EXPECT_EQ(b.ack(), 1023u);
        b.wr64(GICD_IROUTER + 8 * 32, 0x80000001ull); // IRM: any PE
        EXPECT_EQ(b.ack(), 32u);
        b.eoi(32);
    });
}

TEST(Gicv3, NirqRisesDeliverLatencyAfterTheLineAndFallsOnAcknowledge) {
    gicv3::params p;
    p.deliver_latency = 13;
    gic_bench b(p);
    b.run([&](fw::hal&) {
        b.gic_on();
        spi_setup(b, 0, 0x40, false);
        const sc_time t0 = b.now();
        b.spi[0].set(true);
        b.idle_ns(200);
        ASSERT_EQ(b.nirq.rises(), 1u);
        EXPECT_EQ(b.nirq.last_rise() - t0, b.gic.cycles(13)) << "13 cycles of the 500 MHz GIC clock";
        const sc_time t1 = b.now();
        EXPECT_EQ(b.ack(), 32u);
        ASSERT_EQ(b.nirq.seen.size(), 2u);
        EXPECT_FALSE(b.nirq.seen.back().level);
        EXPECT_EQ(b.nirq.seen.back().at, t1) << "falls when the interrupt is taken";
        b.spi[0].set(false);
        b.eoi(32);
        EXPECT_EQ(b.nirq.seen.size(), 2u) << "nothing pending after EOI";
    });
}

// ---- LPIs in the redistributor ------------------------------------------------------------------------------

TEST(Gicv3, LpiBaseRegistersAndEnableLpisRules) {
    gic_bench b;
    b.run([&](fw::hal&) {
        const std::uint64_t prop = PROP_BASE | (7ull << 7) | (1ull << 10) | 15;
        b.wr64(GICR_BASE + 0x70, prop);
        EXPECT_EQ(b.rd64(GICR_BASE + 0x70), prop);
        {
            test::expect_report rep("GICR_PENDBASER written with 0x4000000080121000: reserved bits ignored");
            b.wr64(GICR_BASE + 0x78, PEND_BASE | 0x1000 | (1ull << 62));
        }
        EXPECT_EQ(b.rd64(GICR_BASE + 0x78), PEND_BASE) << "PTZ is write-only, bits [15:12] RES0";
        {
            test::expect_report rep("IDbits 12 gives 13 INTID bits, fewer than");
            b.wr64(GICR_BASE + 0x70, PROP_BASE | 12);
        }
        {
            test::expect_report rep("GICR_PROPBASER written with 0x800000008010000f: reserved bits ignored");
            b.wr64(GICR_BASE + 0x70, PROP_BASE | (1ull << 63) | 15);
        }
        b.wr64(GICR_BASE + 0x78, PEND_BASE | (1ull << 62));
        b.wr32(GICR_BASE, 1);
        EXPECT_EQ(b.rd32(GICR_BASE), 5u) << "EnableLPIs + IR";
        {
            test::expect_report rep("GICR_PROPBASER written with 0x0000000080200000 while GICR_CTLR.EnableLPIs = 1");
            b.wr64(GICR_BASE + 0x70, RAM_BASE + 0x200000);
        }
        EXPECT_EQ(b.rd64(GICR_BASE + 0x70), PROP_BASE | 15);
        {
            test::expect_report rep("GICR_PENDBASER written with 0x0000000080200000 while GICR_CTLR.EnableLPIs = 1");
            b.wr64(GICR_BASE + 0x78, RAM_BASE + 0x200000);
        }
        EXPECT_EQ(b.rd64(GICR_BASE + 0x78), PEND_BASE);
        {
            test::expect_report rep("EnableLPIs cannot be cleared once set");
            b.wr32(GICR_BASE, 0);
        }
        EXPECT_EQ(b.rd32(GICR_BASE), 5u);
    });
}

TEST(Gicv3, EnableLpisWithTooFewIdBitsWarnsAndRefusesEveryLpi) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.gic_on();
        {
            test::expect_report rep("fewer than the 14 LPIs need");
            b.wr64(GICR_BASE + 0x70, PROP_BASE | 10);
        }
        b.wr64(GICR_BASE + 0x78, PEND_BASE | (1ull << 62));
        {
            test::expect_report rep("11 INTID bits leave no LPI in range");
            b.wr32(GICR_BASE, 1);
        }
        b.sync();
        sc_time off = sc_core::SC_ZERO_TIME;
        EXPECT_FALSE(b.gic.set_lpi_pending(0, 8192, off));
        EXPECT_EQ(b.gic.stats().lpis_refused, 1u);
    });
}

TEST(Gicv3, SetLpiPendingChecksProcessorEnableAndRange) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.gic_on();
        b.sync();
        sc_time off = sc_core::SC_ZERO_TIME;
        EXPECT_FALSE(b.gic.set_lpi_pending(0, 8192, off)) << "EnableLPIs = 0";
        b.lpis_on(16);
        b.sync();
        EXPECT_FALSE(b.gic.set_lpi_pending(0, 8191, off)) << "below 8192";
        EXPECT_FALSE(b.gic.set_lpi_pending(0, 1u << 16, off)) << "beyond 2^16";
        EXPECT_FALSE(b.gic.set_lpi_pending(1, 8192, off)) << "no processor 1";
        EXPECT_EQ(b.gic.num_processors(), 1u);
        EXPECT_EQ(b.gic.stats().lpis_refused, 4u);
        EXPECT_EQ(off, sc_core::SC_ZERO_TIME) << "refusals cost no memory access";
        EXPECT_TRUE(b.gic.set_lpi_pending(0, (1u << 16) - 1, off));
        EXPECT_EQ(b.gic.stats().lpis_set, 1u);
        // Config read (router 2 + RAM 10 cycles at 1 GHz) then the pending-table write-through (2 + 10).
        EXPECT_EQ(off, sc_time(24, SC_NS));
        EXPECT_TRUE(b.pend_bit((1u << 16) - 1)) << "written through to the pending table";
        EXPECT_TRUE(b.gic.is_pending((1u << 16) - 1));
        EXPECT_EQ(b.ack(), 1023u) << "pending only once the offset set_lpi_pending returned has passed";
        b.elapse(off);
        EXPECT_EQ(b.ack(), (1u << 16) - 1);
        EXPECT_FALSE(b.gic.is_pending((1u << 16) - 1));
        EXPECT_FALSE(b.gic.is_active((1u << 16) - 1)) << "LPIs have no active state";
        // The GIC read and wrote the tables, so the RAM granted it DMI: the acknowledge writes the byte at once.
        EXPECT_FALSE(b.pend_bit((1u << 16) - 1)) << "acknowledge cleared the pending table bit";
        EXPECT_EQ(b.rd32(GICR_BASE + 0xc0) & 1, 0u) << "GICR_SYNCR: nothing left for the redistributor engine";
        b.eoi((1u << 16) - 1);
        // CLEAR path and move onto the same processor.
        b.sync();
        off = sc_core::SC_ZERO_TIME;
        EXPECT_TRUE(b.gic.set_lpi_pending(0, 9000, off));
        b.gic.move_lpi(0, 0, 9000, off);
        EXPECT_TRUE(b.gic.is_pending(9000));
        b.gic.clear_lpi_pending(0, 9000, off);
        EXPECT_FALSE(b.gic.is_pending(9000));
        EXPECT_FALSE(b.pend_bit(9000));
        EXPECT_EQ(b.ack(), 1023u);
    });
}

TEST(Gicv3, AnLpiMadePendingWhileGroup1IsOffOrTheRedistributorAsleepRaisesNoNirq) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.gic_on();
        b.lpis_on(16, true, 0x40);
        b.wr32(GICD_BASE + g::GICD_CTLR, g::GICD_CTLR_ARE); // Group 1 off
        b.sync();
        sc_time off = sc_core::SC_ZERO_TIME;
        EXPECT_TRUE(b.gic.set_lpi_pending(0, 8500, off));
        b.idle_ns(200);
        EXPECT_FALSE(b.gic.irq.level()) << "Group 1 disabled";
        b.wr32(GICD_BASE + g::GICD_CTLR, g::GICD_CTLR_ARE | g::GICD_CTLR_ENABLE_G1);
        b.idle_ns(200);
        EXPECT_TRUE(b.gic.irq.level());
        EXPECT_EQ(b.ack(), 8500u);
        b.eoi(8500);
        b.wr32(GICR_BASE + g::GICR_WAKER, 2); // ProcessorSleep: the redistributor goes to sleep
        b.idle_ns(200);
        b.sync();
        off = sc_core::SC_ZERO_TIME;
        EXPECT_TRUE(b.gic.set_lpi_pending(0, 8501, off));
        b.idle_ns(200);
        EXPECT_FALSE(b.gic.irq.level()) << "redistributor asleep";
        b.wr32(GICR_BASE + g::GICR_WAKER, 0);
        b.idle_ns(200);
        EXPECT_TRUE(b.gic.irq.level());
        EXPECT_EQ(b.ack(), 8501u);
        b.eoi(8501);
    });
}

TEST(Gicv3, PendingTableIsLoadedWhenLpisAreEnabledWithoutPtz) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.gic_on();
        for (unsigned id = 8192; id < 8300; ++id)
            b.lpi_cfg(id, true, 0xa0);
        b.lpi_cfg(8200, true, 0x30);
        b.lpi_cfg(8210, false, 0x10);
        b.set_mem8(PEND_BASE + 8200 / 8, 1u << (8200 % 8));
        b.set_mem8(PEND_BASE + 8210 / 8, 1u << (8210 % 8));
        b.set_mem8(PEND_BASE + 100, 0xff); // INTIDs below 8192: not LPIs, ignored
        b.wr64(GICR_BASE + 0x70, PROP_BASE | 15);
        b.wr64(GICR_BASE + 0x78, PEND_BASE); // PTZ = 0: the table is read
        b.wr32(GICR_BASE, 1);
        EXPECT_EQ(b.rd32(GICR_BASE + 0xc0), 1u) << "GICR_SYNCR busy while the table loads";
        b.idle_ns(1000);
        EXPECT_EQ(b.rd32(GICR_BASE + 0xc0), 0u);
        EXPECT_TRUE(b.gic.is_pending(8200));
        EXPECT_TRUE(b.gic.is_pending(8210));
        EXPECT_FALSE(b.gic.is_enabled(8210));
        EXPECT_EQ(b.gic.priority(8200), 0x30u);
        EXPECT_EQ(b.drain(), std::vector<unsigned>{8200}) << "8210 is disabled";
    });
}

TEST(Gicv3, InvlpirMakesAConfigurationChangeVisible) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.gic_on();
        b.lpis_on(16, false);
        b.sync();
        sc_time off = sc_core::SC_ZERO_TIME;
        EXPECT_TRUE(b.gic.set_lpi_pending(0, 8500, off));
        b.idle_ns(100);
        EXPECT_FALSE(b.gic.irq.level()) << "disabled LPI";
        EXPECT_TRUE(b.pend_bit(8500)) << "stays pending in the table";
        b.lpi_cfg(8500, true, 0x40);
        b.idle_ns(100);
        EXPECT_EQ(b.ack(), 1023u) << "the redistributor still uses the configuration it read";
        b.wr64(GICR_BASE + 0xa0, 8500);
        EXPECT_EQ(b.rd32(GICR_BASE + 0xc0), 1u) << "busy until the invalidation is done";
        b.idle_ns(100);
        EXPECT_EQ(b.rd32(GICR_BASE + 0xc0), 0u);
        EXPECT_TRUE(b.gic.irq.level());
        EXPECT_EQ(b.gic.priority(8500), 0x40u);
        EXPECT_EQ(b.ack(), 8500u);
        b.eoi(8500);
        // INVALLR: two disabled pending LPIs become enabled.
        b.sync();
        off = sc_core::SC_ZERO_TIME;
        b.lpi_cfg(8600, false, 0x40);
        b.lpi_cfg(8601, false, 0x20);
        b.wr64(GICR_BASE + 0xb0, 0); // INVALLR: forget cached configurations
        b.idle_ns(100);
        b.sync();
        EXPECT_TRUE(b.gic.set_lpi_pending(0, 8600, off));
        EXPECT_TRUE(b.gic.set_lpi_pending(0, 8601, off));
        b.lpi_cfg(8600, true, 0x40);
        b.lpi_cfg(8601, true, 0x20);
        EXPECT_EQ(b.ack(), 1023u);
        b.wr64(GICR_BASE + 0xb0, 0);
        b.idle_ns(200);
        EXPECT_EQ(b.drain(), (std::vector<unsigned>{8601, 8600}));
        {
            test::expect_report rep("virtual LPIs are not supported");
            b.wr64(GICR_BASE + 0xa0, (1ull << 63) | 8600);
        }
    });
}

TEST(Gicv3, AConfigurationReadThatWaitedAcrossAnInvalidationIsNotCached) {
    // The GIC reaches memory through a path whose reads wait 1 us (no DMI). An LPI set reads its configuration
    // (enabled) just before software disables it and invalidates (GICR_INVLPIR); the invalidation is done while
    // the read still waits. The LPI may use what was read, but that must not be cached: set again, it is disabled.
    gic_bench b(default_gic_params(), default_its_params(), sc_core::SC_ZERO_TIME, sc_time(1, sc_core::SC_US));
    sc_core::sc_event go;
    unsigned sets = 0;
    sc_core::sc_spawn([&] {
        for (;;) {
            sc_core::wait(go);
            sc_time off = sc_core::SC_ZERO_TIME;
            EXPECT_TRUE(b.gic.set_lpi_pending(0, 8500, off));
            ++sets;
        }
    }, "setter");
    b.run([&](fw::hal&) {
        b.gic_on();
        b.lpis_on(16, true, 0x40);
        b.sync();
        go.notify(); // its configuration read: answered at once, returns 1 us later
        b.idle_ns(100);
        b.lpi_cfg(8500, false, 0x40);
        b.wr64(GICR_BASE + 0xa0, 8500); // INVLPIR
        b.idle_ns(100);
        EXPECT_EQ(b.rd32(GICR_BASE + 0xc0), 0u) << "the invalidation is done";
        EXPECT_EQ(sets, 0u) << "while the read still waits";
        b.idle_ns(2000);
        ASSERT_EQ(sets, 1u);
        EXPECT_EQ(b.ack(), 8500u) << "it used what it read";
        b.eoi(8500);
        b.sync();
        go.notify();
        b.idle_ns(2000);
        ASSERT_EQ(sets, 2u);
        EXPECT_EQ(b.ack(), 1023u) << "read again: disabled";
        EXPECT_TRUE(b.pend_bit(8500));
    });
}

TEST(Gicv3, LpiConfigurationCacheOfZeroEntriesReadsTheTableEveryTime) {
    gicv3::params p;
    p.lpi_cache_entries = 0;
    gic_bench b(p);
    b.run([&](fw::hal&) {
        b.gic_on();
        b.lpis_on(16, true, 0x80);
        b.sync();
        sc_time off = sc_core::SC_ZERO_TIME;
        EXPECT_TRUE(b.gic.set_lpi_pending(0, 8300, off));
        const sc_time first = off;
        b.elapse(off);
        EXPECT_EQ(b.ack(), 8300u);
        b.eoi(8300);
        b.idle_ns(100);
        b.lpi_cfg(8300, false, 0x80); // no invalidation: a table read sees it anyway
        off = sc_core::SC_ZERO_TIME;
        EXPECT_TRUE(b.gic.set_lpi_pending(0, 8300, off));
        EXPECT_EQ(off, first) << "config read again";
        EXPECT_EQ(b.ack(), 1023u);
    });
}

// ---- LPIs made pending ahead of the kernel (temporal decoupling) ---------------------------------------------
//
// A decoupled ITS calls set_lpi_pending() with its local offset: the LPI is pending from sc_time_stamp() + offset
// (+ the configuration read when the configuration is not cached), and nIRQ rises deliver_latency after that time.
// cache_config() puts the configuration byte in the cache first, so the LPI is pending exactly at the offset given.

namespace {

/// Makes LPI intid pending and clears it again: its configuration byte is then cached and a later
/// set_lpi_pending() costs no configuration read. Forgets nIRQ's history (it is low afterwards).
void cache_config(gic_bench& b, unsigned intid) {
    b.sync();
    sc_time off = sc_core::SC_ZERO_TIME;
    ASSERT_TRUE(b.gic.set_lpi_pending(0, intid, off));
    b.gic.clear_lpi_pending(0, intid, off);
    b.elapse(off);
    ASSERT_FALSE(b.gic.irq.level());
    b.nirq.seen.clear();
}

/// Let the simulation run until absolute time t (from a synchronised CPU).
void elapse_to(gic_bench& b, const sc_time& t) {
    const sc_time now = b.now();
    ASSERT_LE(now, t);
    b.elapse(t - now);
}

/// GIC and LPIs on (priority 0xa0), `intid` at priority `prio`, the configurations of 8300 and 8301 cached;
/// returns the deliver latency.
sc_time lpis_8300_8301(gic_bench& b, unsigned intid, unsigned prio) {
    b.gic_on();
    b.lpis_on(16);
    b.lpi_cfg(intid, true, prio);
    cache_config(b, 8300);
    cache_config(b, 8301);
    return b.gic.cycles(b.gp.deliver_latency);
}

} // namespace

TEST(Gicv3, LpiSetAheadOfTheKernelIsPendingFromItsTimeAndNirqRisesDeliverLatencyAfterIt) {
    gicv3::params p;
    p.deliver_latency = 13;
    gic_bench b(p);
    b.run([&](fw::hal&) {
        b.gic_on();
        b.lpis_on(16);
        const sc_time lat = b.gic.cycles(13); // 26 ns at 500 MHz
        // Not cached: the configuration read (router 2 + RAM 10 cycles at 1 GHz) comes first.
        const sc_time t0 = b.now();
        sc_time off(100, SC_NS);
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8200, off));
        const sc_time t1 = t0 + sc_time(112, SC_NS);
        EXPECT_EQ(off, sc_time(124, SC_NS)) << "+ configuration read + pending-table write-through";
        ASSERT_EQ(b.nirq.rises(), 1u);
        EXPECT_EQ(b.nirq.last_rise(), t1 + lat) << "deliver_latency after the LPI's pending time";
        EXPECT_TRUE(b.gic.is_pending(8200)) << "recorded in the pending table at once";
        EXPECT_EQ(b.ack(), gicv3::spurious) << "not pending yet at the kernel's time";
        elapse_to(b, t1 - sc_time(1, SC_NS));
        EXPECT_EQ(b.ack(), gicv3::spurious) << "1 ns before its time";
        EXPECT_TRUE(b.gic.irq.level()) << "a spurious acknowledge keeps nIRQ coming";
        EXPECT_EQ(b.nirq.last_rise(), t1 + lat) << "at the same time";
        b.elapse(sc_time(1, SC_NS));
        EXPECT_EQ(b.ack(), 8200u) << "pending from its time on";
        EXPECT_FALSE(b.gic.irq.level());
        EXPECT_FALSE(b.nirq.seen.back().level);
        EXPECT_EQ(b.nirq.seen.back().at, t1 + lat)
            << "taken before its rise was visible: the fall is not recorded before that rise";
        EXPECT_FALSE(b.gic.is_pending(8200));
        b.eoi(8200);
        EXPECT_FALSE(b.gic.irq.level());
        EXPECT_EQ(b.drain(), std::vector<unsigned>{});
        EXPECT_EQ(b.gic.stats().acknowledged, 1u);
        EXPECT_EQ(b.gic.stats().spurious, 3u);
        // Cached: pending exactly at the offset given.
        b.nirq.seen.clear();
        const sc_time t2 = b.now() + sc_time(40, SC_NS);
        off = sc_time(40, SC_NS);
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8200, off));
        EXPECT_EQ(b.nirq.last_rise(), t2 + lat);
        elapse_to(b, t2 - sc_time(1, SC_NS));
        EXPECT_EQ(b.ack(), gicv3::spurious);
        elapse_to(b, t2);
        EXPECT_EQ(b.ack(), 8200u);
        b.eoi(8200);
    });
}

TEST(Gicv3, NirqFallsWhenTheOnlyCandidateIsStillToComeAndRisesDeliverLatencyAfterIt) {
    gic_bench b;
    b.run([&](fw::hal&) {
        const sc_time lat = lpis_8300_8301(b, 8301, 0x40); // 8301 preempts 8300 (0xa0)
        const sc_time t0 = b.now();
        sc_time off = sc_core::SC_ZERO_TIME;
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8300, off)); // pending now
        elapse_to(b, t0 + lat);
        ASSERT_EQ(b.nirq.rises(), 1u);
        EXPECT_EQ(b.nirq.last_rise(), t0 + lat);
        b.sync();
        off = sc_time(500, SC_NS);
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8301, off));
        const sc_time t1 = t0 + lat + sc_time(500, SC_NS);
        EXPECT_EQ(b.nirq.rises(), 1u) << "nIRQ is already high";
        EXPECT_EQ(b.ack(), 8300u) << "8301 preempts, but only from its time on";
        // 8301 beats the running priority but is not pending yet: nIRQ falls now and rises again for it.
        ASSERT_EQ(b.nirq.seen.size(), 3u);
        EXPECT_FALSE(b.nirq.seen[1].level);
        EXPECT_EQ(b.nirq.seen[1].at, t0 + lat);
        EXPECT_TRUE(b.nirq.seen[2].level);
        EXPECT_EQ(b.nirq.seen[2].at, t1 + lat);
        EXPECT_EQ(b.ack(), gicv3::spurious) << "before 8301's time";
        EXPECT_EQ(b.nirq.last_rise(), t1 + lat) << "the spurious acknowledge keeps the rise where it was";
        elapse_to(b, t1);
        EXPECT_EQ(b.ack(), 8301u) << "preempts the running 8300";
        b.eoi(8301);
        b.eoi(8300);
        EXPECT_EQ(b.drain(), std::vector<unsigned>{});
        EXPECT_FALSE(b.gic.irq.level());
    });
}

TEST(Gicv3, AnLpiStillToComeWhosePriorityAnInvalidationRaisedPreemptsTheOneAcknowledged) {
    // 8301 is set ahead of the kernel at 0xa0, then made 0x40 by software and GICR_INVLPIR while its time is still
    // to come. The acknowledge of 8300 (0x60) must see that 8301 will preempt it and have nIRQ rise at its time.
    gic_bench b;
    b.run([&](fw::hal&) {
        const sc_time lat = lpis_8300_8301(b, 8300, 0x60);
        const sc_time t0 = b.now();
        sc_time off = sc_core::SC_ZERO_TIME;
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8300, off)); // pending now
        off = sc_time(2000, SC_NS);
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8301, off)); // pending from t0 + 2 us
        b.lpi_cfg(8301, true, 0x40);
        b.wr64(GICR_BASE + 0xa0, 8301); // INVLPIR
        b.idle_ns(200);
        ASSERT_EQ(b.rd32(GICR_BASE + 0xc0), 0u) << "the invalidation is done";
        EXPECT_EQ(b.gic.priority(8301), 0x40u);
        EXPECT_EQ(b.ack(), 8300u);
        elapse_to(b, t0 + sc_time(2000, SC_NS) + lat);
        EXPECT_TRUE(b.gic.irq.level()) << "8301 preempts the running 8300 from its time on";
        EXPECT_EQ(b.ack(), 8301u);
        b.eoi(8301);
        b.eoi(8300);
        EXPECT_EQ(b.drain(), std::vector<unsigned>{});
    });
}

TEST(Gicv3, AnLpiPendingEarlierBringsTheScheduledNirqRiseForward) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.gic_on();
        b.lpis_on(16);
        cache_config(b, 8400);
        cache_config(b, 8401);
        const sc_time lat = b.gic.cycles(b.gp.deliver_latency);
        const sc_time t0 = b.now();
        sc_time off(800, SC_NS);
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8400, off));
        EXPECT_EQ(b.nirq.last_rise(), t0 + sc_time(800, SC_NS) + lat);
        off = sc_time(200, SC_NS); // another ITS call, less far ahead
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8401, off));
        EXPECT_EQ(b.nirq.last_rise(), t0 + sc_time(200, SC_NS) + lat) << "visible too late: raised again earlier";
        EXPECT_TRUE(b.gic.irq.level());
        elapse_to(b, t0 + sc_time(200, SC_NS));
        EXPECT_EQ(b.ack(), 8401u) << "8400 has the same priority but is not pending yet";
        b.eoi(8401);
        EXPECT_EQ(b.nirq.last_rise(), t0 + sc_time(800, SC_NS) + lat) << "then for 8400";
        EXPECT_EQ(b.ack(), gicv3::spurious);
        elapse_to(b, t0 + sc_time(800, SC_NS));
        EXPECT_EQ(b.ack(), 8400u);
        b.eoi(8400);
        EXPECT_EQ(b.drain(), std::vector<unsigned>{});
        EXPECT_FALSE(b.gic.irq.level());
    });
}

TEST(Gicv3, SameLpiSetAgainLaterIsTakenOnceForEachTimeInTimeOrder) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.gic_on();
        b.lpis_on(16);
        cache_config(b, 8200);
        const sc_time lat = b.gic.cycles(b.gp.deliver_latency);
        const sc_time t0 = b.now(), t1 = t0 + sc_time(100, SC_NS), t2 = t0 + sc_time(300, SC_NS);
        sc_time off(100, SC_NS);
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8200, off));
        off = sc_time(300, SC_NS);
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8200, off));
        EXPECT_EQ(off, sc_time(300, SC_NS)) << "already pending: no table access";
        ASSERT_EQ(b.nirq.rises(), 1u);
        EXPECT_EQ(b.nirq.last_rise(), t1 + lat);
        EXPECT_EQ(b.ack(), gicv3::spurious) << "before T1";
        elapse_to(b, t1 + lat);
        EXPECT_EQ(b.ack(), 8200u) << "in [T1, T2): the first";
        EXPECT_TRUE(b.gic.is_pending(8200)) << "set again at T2: still pending";
        EXPECT_FALSE(b.gic.irq.level());
        b.eoi(8200);
        EXPECT_TRUE(b.gic.irq.level()) << "EOI: nIRQ comes again for T2";
        EXPECT_EQ(b.nirq.last_rise(), t2 + lat);
        EXPECT_EQ(b.ack(), gicv3::spurious) << "still before T2";
        EXPECT_EQ(b.nirq.last_rise(), t2 + lat);
        b.idle_ns(100);
        EXPECT_TRUE(b.pend_bit(8200)) << "the table keeps the bit while the LPI is pending";
        elapse_to(b, t2);
        EXPECT_EQ(b.ack(), 8200u) << "at T2: the second";
        EXPECT_FALSE(b.gic.is_pending(8200));
        b.eoi(8200);
        EXPECT_EQ(b.ack(), gicv3::spurious);
        EXPECT_FALSE(b.gic.irq.level());
        elapse_to(b, t2 + sc_time(1000, SC_NS));
        EXPECT_EQ(b.drain(), std::vector<unsigned>{}) << "nothing more";
        EXPECT_FALSE(b.pend_bit(8200)) << "written back";
        EXPECT_EQ(b.gic.stats().acknowledged, 2u);
    });
}

TEST(Gicv3, SameLpiSetTwiceBeforeTheAcknowledgeIsTakenOnce) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.gic_on();
        b.lpis_on(16);
        cache_config(b, 8200);
        const sc_time t0 = b.now(), t2 = t0 + sc_time(300, SC_NS);
        sc_time off(100, SC_NS);
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8200, off));
        off = sc_time(300, SC_NS);
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8200, off));
        EXPECT_EQ(b.ack(), gicv3::spurious) << "before T1";
        elapse_to(b, t2 + sc_time(50, SC_NS));
        EXPECT_EQ(b.ack(), 8200u) << "after T2: both sets in one";
        EXPECT_FALSE(b.gic.is_pending(8200));
        b.eoi(8200);
        EXPECT_FALSE(b.gic.irq.level());
        EXPECT_FALSE(b.nirq.seen.back().level) << "no rise after the EOI";
        EXPECT_EQ(b.ack(), gicv3::spurious);
        elapse_to(b, t2 + sc_time(1000, SC_NS));
        EXPECT_EQ(b.drain(), std::vector<unsigned>{});
        EXPECT_EQ(b.gic.stats().acknowledged, 1u);
    });
}

TEST(Gicv3, ClearingAnLpiRemovesWhatIsPendingByItsTimeAndKeepsLaterSets) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.gic_on();
        b.lpis_on(16);
        cache_config(b, 8200);
        const sc_time lat = b.gic.cycles(b.gp.deliver_latency);
        // Sets at T1 = +100 ns and T2 = +300 ns, cleared at +0: both come after the clear and stay.
        sc_time t0 = b.now();
        sc_time off(100, SC_NS);
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8200, off));
        off = sc_time(300, SC_NS);
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8200, off));
        off = sc_core::SC_ZERO_TIME;
        b.gic.clear_lpi_pending(0, 8200, off);
        EXPECT_TRUE(b.gic.is_pending(8200)) << "sets still to come survive a clear before them";
        EXPECT_EQ(b.nirq.last_rise(), t0 + sc_time(100, SC_NS) + lat);
        elapse_to(b, t0 + sc_time(50, SC_NS));
        EXPECT_EQ(b.ack(), gicv3::spurious);
        elapse_to(b, t0 + sc_time(100, SC_NS));
        EXPECT_EQ(b.ack(), 8200u) << "at T1";
        b.eoi(8200);
        elapse_to(b, t0 + sc_time(300, SC_NS));
        EXPECT_EQ(b.ack(), 8200u) << "at T2";
        b.eoi(8200);
        EXPECT_EQ(b.ack(), gicv3::spurious);
        // Sets at T1 and T2, cleared at +200 ns (the CLEAR's own time, between them): T1 goes, T2 stays.
        b.nirq.seen.clear();
        t0 = b.now();
        off = sc_time(100, SC_NS);
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8200, off));
        off = sc_time(300, SC_NS);
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8200, off));
        off = sc_time(200, SC_NS);
        b.gic.clear_lpi_pending(0, 8200, off);
        EXPECT_TRUE(b.gic.is_pending(8200));
        EXPECT_EQ(b.nirq.last_rise(), t0 + sc_time(300, SC_NS) + lat) << "nIRQ now comes for T2 only";
        elapse_to(b, t0 + sc_time(250, SC_NS));
        EXPECT_EQ(b.ack(), gicv3::spurious) << "T1 was cleared";
        elapse_to(b, t0 + sc_time(300, SC_NS));
        EXPECT_EQ(b.ack(), 8200u) << "at T2";
        b.eoi(8200);
        // Pending from before, cleared now: gone.
        b.nirq.seen.clear();
        off = sc_time(10, SC_NS);
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8200, off));
        b.elapse(sc_time(50, SC_NS));
        off = sc_core::SC_ZERO_TIME;
        b.gic.clear_lpi_pending(0, 8200, off);
        EXPECT_FALSE(b.gic.is_pending(8200));
        EXPECT_FALSE(b.gic.irq.level());
        EXPECT_EQ(b.drain(), std::vector<unsigned>{});
    });
}

TEST(Gicv3, AcknowledgeAndEoiAtTheCpusLocalTime) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.gic_on();
        b.lpis_on(16);
        cache_config(b, 8200);
        const sc_time lat = b.gic.cycles(b.gp.deliver_latency);
        const sc_time t0 = b.now();
        const sc_time ns(1, SC_NS);
        sc_time off(100, SC_NS);
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8200, off));
        off = sc_time(300, SC_NS);
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8200, off));
        // The CPU runs ahead of the kernel: nothing below waits.
        EXPECT_EQ(b.gic.acknowledge(99 * ns), gicv3::spurious);
        EXPECT_EQ(b.gic.acknowledge(100 * ns), 8200u);
        EXPECT_FALSE(b.nirq.seen.back().level);
        EXPECT_EQ(b.nirq.seen.back().at, t0 + 100 * ns + lat)
            << "nIRQ falls at the acknowledge's local time, but never before the rise it undoes";
        EXPECT_TRUE(b.gic.is_pending(8200));
        b.gic.end_of_interrupt(8200, 150 * ns);
        EXPECT_EQ(b.nirq.last_rise(), t0 + 300 * ns + lat);
        EXPECT_EQ(b.gic.acknowledge(299 * ns), gicv3::spurious);
        EXPECT_EQ(b.gic.acknowledge(300 * ns), 8200u);
        EXPECT_FALSE(b.gic.is_pending(8200));
        b.gic.end_of_interrupt(8200, 350 * ns);
        EXPECT_EQ(b.gic.acknowledge(350 * ns), gicv3::spurious);
        EXPECT_FALSE(b.gic.irq.level());
        EXPECT_EQ(sc_core::sc_time_stamp(), t0) << "the kernel did not move";
        EXPECT_EQ(b.gic.stats().acknowledged, 2u);
    });
}

TEST(Gicv3, CpuTakesAnLpiSetTwiceAheadTwiceAtItsTimesWithoutYielding) {
    gic_bench b;
    b.gic.irq.bind(b.cpu, 0);
    b.cpu.attach_interrupt_controller(b.gic);
    const unsigned entry = platform::native_cpu::params{}.irq_entry; // cycles at 1 GHz
    std::vector<sc_time> local, kernel;
    b.run([&](fw::hal& h) {
        ASSERT_TRUE(h.request_irq(8200, [&](unsigned id) {
            EXPECT_EQ(id, 8200u);
            local.push_back(sc_time(static_cast<double>(h.now_ns()), SC_NS));
            kernel.push_back(sc_core::sc_time_stamp());
        }, fw::irq_none, "lpi"));
        b.gic_on();
        b.lpis_on(16);
        cache_config(b, 8200);
        b.idle_ns(1000 - h.now_ns() % 1000); // start on a quantum boundary, in step with the kernel
        const sc_time lat = b.gic.cycles(b.gp.deliver_latency);
        const sc_time t0 = sc_core::sc_time_stamp();
        ASSERT_EQ(sc_time(static_cast<double>(h.now_ns()), SC_NS), t0);
        sc_time off(100, SC_NS);
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8200, off));
        off = sc_time(300, SC_NS);
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8200, off));
        h.sleep_ns(600);
        ASSERT_EQ(local.size(), 2u);
        EXPECT_EQ(local[0], t0 + sc_time(100, SC_NS) + lat + sc_time(static_cast<double>(entry), SC_NS));
        EXPECT_EQ(local[1], t0 + sc_time(300, SC_NS) + lat + sc_time(static_cast<double>(entry), SC_NS));
        EXPECT_EQ(kernel[0], t0) << "taken in local time";
        EXPECT_EQ(kernel[1], t0);
        EXPECT_EQ(sc_core::sc_time_stamp(), t0 + sc_time(600, SC_NS)) << "the sleep ends in step with the kernel";
        EXPECT_EQ(b.gic.stats().acknowledged, 2u);
        EXPECT_EQ(b.gic.stats().spurious, 0u);
        EXPECT_FALSE(b.gic.is_pending(8200));
    });
    EXPECT_EQ(b.cpu.irqs_taken(), 2u);
}

// Disabled: fails on the model as it is. An LPI pending only from a later time (a set ahead of the kernel) that is
// set again at the kernel's time (offset zero: configuration cached, ITS in step) should be pending at once; the
// model adds no event for a set at sc_time_stamp() and the LPI stays pending only from the later time.
TEST(Gicv3, SetAtTheKernelsTimeOfAnLpiPendingOnlyLaterIsPendingAtOnce) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.gic_on();
        b.lpis_on(16);
        cache_config(b, 8200);
        const sc_time lat = b.gic.cycles(b.gp.deliver_latency);
        const sc_time t0 = b.now();
        sc_time off(300, SC_NS);
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8200, off));
        off = sc_core::SC_ZERO_TIME;
        ASSERT_TRUE(b.gic.set_lpi_pending(0, 8200, off));
        EXPECT_EQ(b.nirq.last_rise(), t0 + lat);
        EXPECT_EQ(b.ack(), 8200u) << "set at the kernel's time: pending now";
        b.eoi(8200);
        EXPECT_TRUE(b.gic.is_pending(8200)) << "and set again at 300 ns";
        elapse_to(b, t0 + sc_time(300, SC_NS));
        EXPECT_EQ(b.ack(), 8200u);
        b.eoi(8200);
        EXPECT_EQ(b.drain(), std::vector<unsigned>{});
    });
}

TEST(Gicv3, DebugTransportReadsWithoutSideEffects) {
    gic_bench b;
    b.run([&](fw::hal&) {
        b.gic_on();
        spi_setup(b, 0, 0x40, true);
        b.sync();
        b.spi[0].pulse();
        const sc_time t = b.now();
        std::uint32_t v = 0;
        EXPECT_EQ(b.dev.m.debug(tlm::TLM_READ_COMMAND, GICD_ISPENDR + 4, &v, 4), 4u);
        EXPECT_EQ(v, 1u);
        EXPECT_EQ(b.dev.m.debug(tlm::TLM_READ_COMMAND, GICR_BASE + 0x14, &v, 4), 4u);
        EXPECT_EQ(v, 0u);
        v = 1;
        EXPECT_EQ(b.dev.m.debug(tlm::TLM_WRITE_COMMAND, GICD_ICPENDR + 4, &v, 4), 0u) << "debug writes refused";
        EXPECT_EQ(b.dev.m.debug(tlm::TLM_READ_COMMAND, GICD_BASE + 0x8000, &v, 4), 0u) << "no register, no warning";
        EXPECT_EQ(b.now(), t) << "debug costs no time";
        EXPECT_TRUE(b.gic.is_pending(32));
        EXPECT_EQ(b.ack(), 32u);
        b.eoi(32);
    });
}

TEST(Gicv3, BadParametersThrow) {
    gicv3::params p;
    p.num_spis = 48;
    EXPECT_THROW(gicv3("g1", p), std::invalid_argument);
    p.num_spis = 1024;
    EXPECT_THROW(gicv3("g2", p), std::invalid_argument);
    p = gicv3::params{};
    p.lpi_id_bits = 13;
    EXPECT_THROW(gicv3("g3", p), std::invalid_argument);
    p.lpi_id_bits = 25;
    EXPECT_THROW(gicv3("g4", p), std::invalid_argument);
}

TEST(Gicv3, SpiInputBeyondTheSpisIsAWiringError) {
    gicv3::params p;
    gicv3 gic("gic", p);
    EXPECT_THROW(gic.irq_level(64, true, sc_core::SC_ZERO_TIME), std::logic_error);
    EXPECT_THROW(gic.irq_edge(64, sc_core::SC_ZERO_TIME), std::logic_error);
}

// ---- Firmware driver ---------------------------------------------------------------------------------------

TEST(Gicv3, FirmwareDriverInitProgramsTheGicLikeLinux) {
    gic_bench b;
    b.run([&](fw::hal& h) {
        fw::dma_pool pool(h, POOL_BASE, POOL_SIZE);
        fw::gicv3_driver drv(h, GICD_BASE, GICR_BASE);
        const fw::status s = drv.init(pool, 16);
        ASSERT_TRUE(s) << s.message();
        EXPECT_EQ(drv.num_spis(), 64u);
        EXPECT_EQ(drv.lpi_id_bits(), 16u);
        EXPECT_EQ(b.rd32(GICD_BASE), 0x52u) << "ARE + EnableGrp1 (+ DS)";
        EXPECT_EQ(b.rd32(GICR_BASE + 0x14), 0u) << "awake";
        EXPECT_EQ(b.rd32(GICR_BASE), 5u) << "EnableLPIs";
        EXPECT_EQ(drv.prop_table() % 0x1000, 0u);
        EXPECT_EQ(drv.pend_table() % 0x10000, 0u);
        EXPECT_EQ(b.rd64(GICR_BASE + 0x70), drv.prop_table() | (7ull << 7) | (1ull << 10) | 15);
        EXPECT_EQ(b.rd64(GICR_BASE + 0x78), drv.pend_table() | (7ull << 7) | (1ull << 10));
        EXPECT_EQ(b.mem8(drv.prop_table()), 0xa2u) << "LPI 8192 disabled at priority 0xa0 (+ RES1 bit 1)";
        EXPECT_EQ(b.mem8(drv.prop_table() + 65535 - 8192), 0xa2u);
        EXPECT_EQ(b.rd32(GICD_IPRIORITYR + 32), 0xa0a0a0a0u);
        EXPECT_EQ(b.rd32(GICD_IPRIORITYR + 92), 0xa0a0a0a0u);
        EXPECT_EQ(b.rd32(SGI_BASE + 0x41c), 0xa0a0a0a0u);
        // SPIs.
        ASSERT_TRUE(drv.configure_spi(33, true, 0x30));
        ASSERT_TRUE(drv.configure_spi(34, false, 0x20));
        EXPECT_EQ(b.rd32(GICD_ICFGR + 8), 2u << 2);
        EXPECT_EQ(b.rd32(GICD_IPRIORITYR + 32), 0xa02030a0u);
        ASSERT_TRUE(drv.enable(33));
        ASSERT_TRUE(drv.enable(34));
        EXPECT_EQ(b.rd32(GICD_ISENABLER + 4), 6u);
        ASSERT_TRUE(drv.configure_spi(33, true, 0x10)) << "re-configuring an enabled SPI (no warning)";
        EXPECT_EQ(b.rd32(GICD_ISENABLER + 4), 6u) << "enabled again";
        b.sync();
        b.spi[1].pulse();
        b.spi[2].set(true);
        EXPECT_EQ(b.ack(), 33u);
        EXPECT_EQ(b.ack(), 1023u);
        b.eoi(33);
        EXPECT_EQ(b.ack(), 34u);
        b.spi[2].set(false);
        b.eoi(34);
        ASSERT_TRUE(drv.disable(34));
        EXPECT_EQ(b.rd32(GICD_ISENABLER + 4), 2u);
        // PPI and LPI.
        ASSERT_TRUE(drv.set_priority(27, 0x10));
        EXPECT_EQ(b.gic.priority(27), 0x10u);
        ASSERT_TRUE(drv.enable(27));
        EXPECT_TRUE(b.gic.is_enabled(27));
        ASSERT_TRUE(drv.set_lpi(8195, true, 0x40));
        EXPECT_EQ(b.mem8(drv.prop_table() + 3), 0x43u);
        b.sync();
        sc_time off = sc_core::SC_ZERO_TIME;
        EXPECT_TRUE(b.gic.set_lpi_pending(0, 8195, off));
        b.elapse(off);
        EXPECT_EQ(b.ack(), 8195u);
        b.eoi(8195);
        ASSERT_TRUE(drv.set_lpi(8195, false, 0x40));
        ASSERT_TRUE(drv.inv_lpi(8195));
        EXPECT_FALSE(b.gic.is_enabled(8195));
        ASSERT_TRUE(drv.inv_all_lpis());
        EXPECT_FALSE(b.cpu.console().empty());
    });
}

TEST(Gicv3, FirmwareDriverRejectsBadRequests) {
    gic_bench b;
    b.run([&](fw::hal& h) {
        fw::dma_pool pool(h, POOL_BASE, POOL_SIZE);
        fw::gicv3_driver drv(h, GICD_BASE, GICR_BASE);
        EXPECT_EQ(drv.enable(33).code(), fw::errc::invalid_argument) << "before init";
        fw::gicv3_driver nogic(h, RAM_BASE, RAM_BASE + 0x10000);
        EXPECT_EQ(nogic.init(pool).code(), fw::errc::no_device);
        ASSERT_TRUE(drv.init(pool, 16));
        EXPECT_EQ(drv.configure_spi(31, false, 0).code(), fw::errc::out_of_range);
        EXPECT_EQ(drv.configure_spi(96, false, 0).code(), fw::errc::out_of_range);
        EXPECT_EQ(drv.configure_spi(40, false, 256).code(), fw::errc::invalid_argument);
        EXPECT_EQ(drv.enable(8192).code(), fw::errc::invalid_argument);
        EXPECT_EQ(drv.set_lpi(8191, true, 0).code(), fw::errc::out_of_range);
        EXPECT_EQ(drv.set_lpi(1u << 16, true, 0).code(), fw::errc::out_of_range);
        EXPECT_EQ(drv.set_lpi(8192, true, 0x41).code(), fw::errc::invalid_argument);
        EXPECT_EQ(drv.inv_lpi(100).code(), fw::errc::out_of_range);
        const fw::status again = drv.init(pool, 16);
        EXPECT_EQ(again.code(), fw::errc::busy) << again.message();
        fw::gicv3_driver small(h, GICD_BASE, GICR_BASE);
        EXPECT_EQ(small.init(pool, 13).code(), fw::errc::invalid_argument);
        fw::dma_pool tiny(h, POOL_BASE, 0x1000);
        fw::gicv3_driver nolpi(h, GICD_BASE, GICR_BASE);
        EXPECT_TRUE(nolpi.init(tiny, 0)) << "no LPIs: no tables needed";
    });
}

TEST(Gicv3, FirmwareDriverReportsAnExhaustedPool) {
    gic_bench b;
    b.run([&](fw::hal& h) {
        fw::dma_pool tiny(h, POOL_BASE, 0x8000);
        fw::gicv3_driver drv(h, GICD_BASE, GICR_BASE);
        const fw::status s = drv.init(tiny, 16);
        EXPECT_EQ(s.code(), fw::errc::no_space);
        EXPECT_NE(s.message().find("LPI configuration table"), std::string::npos) << s.message();
    });
}
