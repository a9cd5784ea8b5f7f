// SMMUv3: ID and control registers, bypass/abort when disabled (GBPA) and per STE, stage-1 translation for every
// walk length T0SZ allows (pages and blocks), permissions, each event record with its fields in memory, the event
// queue (full, disabled, interrupt), linear and 2-level stream tables, config cache and TLB with their invalidation
// commands, command errors, guest mistakes, debug transport, exact timing of misses and hits, concurrent walks,
// and the firmware driver running on the endpoint CPU.
#include "dbvp/fw/dma_pool.h"
#include "dbvp/fw/smmuv3.h"
#include "smmu_bench.h"

#include <cstdlib>
#include <gtest/gtest.h>
#include <new>

// Allocation counter for the hit-path test: this executable's global operator new counts while enabled.
namespace {
bool g_count_allocs = false;
std::size_t g_allocs = 0;
} // namespace
// GCC flags free() in a replaced operator delete as mismatched once both are inlined; they do match here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
    if (g_count_allocs)
        ++g_allocs;
    if (void* p = std::malloc(n ? n : 1))
        return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

using namespace dbvp;
using namespace dbvp::test;
using namespace dbvp::test::smmu;
using sc_core::sc_time;
using sc_core::SC_NS;
using rsp_t = tlm::tlm_response_status;

namespace {

constexpr rsp_t OK = tlm::TLM_OK_RESPONSE;
constexpr rsp_t ABORT = tlm::TLM_ADDRESS_ERROR_RESPONSE;
const sc_time ROUTER(2, SC_NS); // soc router: 2 cycles at 1 GHz
const sc_time RAM(10, SC_NS);   // RAM read or write: 10 cycles at 1 GHz

constexpr std::uint32_t SID = 5;
constexpr std::uint16_t ASID = 7;

/// One table read of the SMMU: walk_step_latency + router + RAM.
sc_time step(const smmu_bench& b) { return b.smmu.cycles(b.smmu.get_params().walk_step_latency) + ROUTER + RAM; }
sc_time lookup(const smmu_bench& b) { return b.smmu.cycles(b.smmu.get_params().lookup_latency); }

/// Stream SID translated through CD 0 (ASID 7, T0SZ t0sz) with a fresh root table; returns the root.
std::uint64_t stage1_stream(smmu_bench& b, std::uint32_t sid = SID, unsigned t0sz = 16, std::uint64_t cd_extra = 0,
                            std::uint64_t ste1 = 0, unsigned cd = 0, std::uint16_t asid = ASID) {
    const std::uint64_t root = b.alloc_table();
    b.write_cd(b.cd_addr(cd), cd0(t0sz, asid, cd_extra), root);
    b.ste(sid, ste_s1(b.cd_addr(cd)), ste1);
    return root;
}

void expect_record(smmu_bench& b, unsigned idx, std::uint8_t id, std::uint32_t sid, std::uint64_t dw1,
                   std::uint64_t dw2, std::uint64_t dw3) {
    EXPECT_EQ(b.evt(idx, 0), id | (std::uint64_t{sid} << 32)) << "DW0 of record " << idx;
    EXPECT_EQ(b.evt(idx, 1), dw1) << "DW1 of record " << idx;
    EXPECT_EQ(b.evt(idx, 2), dw2) << "DW2 of record " << idx;
    EXPECT_EQ(b.evt(idx, 3), dw3) << "DW3 of record " << idx;
}

const smmuv3::event& last_event(const smmu_bench& b) {
    static const smmuv3::event none{};
    if (b.smmu.events().empty()) {
        ADD_FAILURE() << "no event";
        return none;
    }
    return b.smmu.events().back();
}

} // namespace

// ---- Registers -----------------------------------------------------------------------------------------------

TEST(Smmu, IdRegistersDescribeTheModelledSubset) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        const std::uint32_t idr0 = b.rd(reg::IDR0);
        EXPECT_EQ(idr0 & 1u, 0u) << "no stage 2";
        EXPECT_EQ((idr0 >> 1) & 1u, 1u) << "S1P";
        EXPECT_EQ((idr0 >> 2) & 3u, 2u) << "TTF AArch64";
        EXPECT_EQ((idr0 >> 4) & 1u, 1u) << "COHACC";
        EXPECT_EQ((idr0 >> 13) & 1u, 0u) << "no MSI";
        EXPECT_EQ((idr0 >> 21) & 3u, 2u) << "TTENDIAN little-endian";
        EXPECT_EQ((idr0 >> 24) & 3u, 1u) << "STALL_MODEL: no stalls";
        EXPECT_EQ((idr0 >> 27) & 3u, 1u) << "ST_LEVEL 2-level";
        const std::uint32_t idr1 = b.rd(reg::IDR1);
        EXPECT_EQ(idr1 & 0x3fu, 16u) << "SIDSIZE = sid_bits";
        EXPECT_EQ((idr1 >> 16) & 0x1fu, 19u) << "EVENTQS";
        EXPECT_EQ((idr1 >> 21) & 0x1fu, 19u) << "CMDQS";
        EXPECT_EQ(b.rd(reg::IDR5), 0x15u) << "GRAN4K, OAS 48 bits";
        EXPECT_EQ(b.rd(reg::CR0), 0u);
        EXPECT_EQ(b.rd(reg::CR0ACK), 0u);
        EXPECT_EQ(b.rd(reg::GBPA), 0x1000u) << "bypass, SHCFG = incoming";
        EXPECT_EQ(b.rd(reg::GERROR), 0u);
    });
}

TEST(Smmu, SidBitsParameterSetsSidsize) {
    bench_params bp;
    bp.smmu.sid_bits = 6;
    smmu_bench b(bp);
    b.run([&](fw::hal&) { EXPECT_EQ(b.rd(reg::IDR1) & 0x3fu, 6u); });
}

TEST(Smmu, Cr0AckAndIrqCtrlAckFollowTheirRegisters) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        b.wr(reg::CR0, CMDQEN | EVTQEN | (1u << 1) | (1u << 4)); // PRIQEN, ATSCHK: not implemented, RES0
        EXPECT_EQ(b.rd(reg::CR0), CMDQEN | EVTQEN);
        EXPECT_EQ(b.rd(reg::CR0ACK), CMDQEN | EVTQEN);
        b.wr(reg::CR0, EVTQEN);
        EXPECT_EQ(b.rd(reg::CR0ACK), EVTQEN);
        b.wr(reg::IRQ_CTRL, 0x7);
        EXPECT_EQ(b.rd(reg::IRQ_CTRL), IRQ_GERROR | IRQ_EVTQ) << "PRIQ_IRQEN is RES0";
        EXPECT_EQ(b.rd(reg::IRQ_CTRLACK), IRQ_GERROR | IRQ_EVTQ);
    });
}

TEST(Smmu, SixtyFourBitRegistersTakeTwoHalves) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        b.wr(reg::STRTAB_BASE, 0x89abcdc0u);
        b.wr(reg::STRTAB_BASE + 4, 0x40001234u); // RA (bit 62) + ADDR[47:32]
        EXPECT_EQ(b.rd64(reg::STRTAB_BASE), 0x4000123489abcdc0ull);
        {
            expect_report rep("LOG2SIZE 31 exceeds IDR1.CMDQS 19");
            b.wr64(reg::CMDQ_BASE, ~0ull);
        }
        EXPECT_EQ(b.rd64(reg::CMDQ_BASE), 0x400fffffffffffffull) << "RA, ADDR[51:5], LOG2SIZE";
    });
}

TEST(Smmu, UnmappedRegisterOffsetIsABusError) {
    smmu_bench b;
    b.run([&](fw::hal& h) {
        expect_report rep("no register there");
        bool ok = true;
        EXPECT_EQ(h.read32(SMMU_BASE + 0x30, &ok), 0xffffffffu);
        EXPECT_FALSE(ok);
    });
}

// ---- SMMUEN = 0: GBPA --------------------------------------------------------------------------------------------

TEST(Smmu, DisabledSmmuBypassesByDefault) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        std::uint32_t v = 0;
        EXPECT_EQ(b.write32(99, DATA + 0x10, 0x11223344u), OK);
        EXPECT_EQ(b.mem32(DATA + 0x10), 0x11223344u) << "untranslated";
        EXPECT_EQ(b.read32(99, DATA + 0x10, v), OK);
        EXPECT_EQ(v, 0x11223344u);
        EXPECT_EQ(b.smmu.stats().bypassed, 2u);
        EXPECT_TRUE(b.smmu.events().empty());
    });
}

TEST(Smmu, GbpaAbortTerminatesWithoutEvent) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        b.wr(reg::GBPA, GBPA_UPDATE | GBPA_ABORT);
        EXPECT_EQ(b.rd(reg::GBPA), GBPA_ABORT) << "Update completes at once";
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(1, DATA, v), ABORT);
        EXPECT_EQ(b.write32(1, DATA, 5), ABORT);
        EXPECT_EQ(b.mem32(DATA), 0u);
        EXPECT_EQ(b.smmu.stats().aborted, 2u);
        EXPECT_TRUE(b.smmu.events().empty());
        {
            expect_report rep("GBPA written with 0x00000000 without GBPA.Update");
            b.wr(reg::GBPA, 0);
        }
        EXPECT_EQ(b.rd(reg::GBPA), GBPA_ABORT) << "ignored";
        b.wr(reg::GBPA, GBPA_UPDATE);
        EXPECT_EQ(b.read32(1, DATA, v), OK);
    });
}

// ---- STE abort / bypass ------------------------------------------------------------------------------------------

TEST(Smmu, SteAbortTerminatesWithoutEvent) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        b.ste(SID, ste_abort());
        b.enable();
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(SID, DATA, v), ABORT);
        EXPECT_EQ(b.read32(SID, DATA, v), ABORT) << "and again from the config cache";
        EXPECT_EQ(b.evtq_prod(), 0u);
        EXPECT_TRUE(b.smmu.events().empty());
        EXPECT_EQ(b.smmu.stats().aborted, 2u);
        EXPECT_FALSE(b.evtq_line.level);
    });
}

TEST(Smmu, SteBypassPassesUntranslated) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        b.ste(SID, ste_bypass());
        b.enable();
        EXPECT_EQ(b.write32(SID, DATA + 0x40, 0xfeedu), OK);
        EXPECT_EQ(b.mem32(DATA + 0x40), 0xfeedu);
        EXPECT_EQ(b.smmu.stats().bypassed, 1u);
        EXPECT_EQ(b.smmu.stats().translated, 0u);
    });
}

// ---- Stage 1 -------------------------------------------------------------------------------------------------------

namespace {
class SmmuStage1Levels : public ::testing::TestWithParam<unsigned> {};
std::string t0sz_name(const ::testing::TestParamInfo<unsigned>& i) { return "T0SZ" + std::to_string(i.param); }
} // namespace

TEST_P(SmmuStage1Levels, TranslatesWithTheWalkT0szSelects) {
    const unsigned t0sz = GetParam();
    smmu_bench b;
    b.run([&](fw::hal&) {
        const unsigned ia = 64 - t0sz;
        const std::uint64_t va = (1ull << (ia - 1)) | 0x5123; // the top input address bit set
        const std::uint64_t pa = DATA + 0x3000;
        const std::uint64_t root = stage1_stream(b, SID, t0sz);
        b.map(root, t0sz, va, pa);
        b.enable();
        sc_time miss, hit;
        EXPECT_EQ(b.write32(SID, va, 0xcafe0000u | t0sz, &miss), OK);
        EXPECT_EQ(b.mem32(pa + 0x123), 0xcafe0000u | t0sz);
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(SID, va, v, &hit), OK);
        EXPECT_EQ(v, 0xcafe0000u | t0sz);
        // STE + CD + one read per level, then the write through the router to the RAM.
        const unsigned levels = walk_levels(t0sz);
        EXPECT_EQ(miss, lookup(b) + step(b) * (2 + levels) + ROUTER + RAM) << levels << " levels";
        EXPECT_EQ(hit, lookup(b) + ROUTER + RAM);
        EXPECT_EQ(b.smmu.stats().translated, 2u);
        EXPECT_TRUE(b.smmu.events().empty());
        // Outside the input range T0SZ gives: F_TRANSLATION without a walk.
        if (t0sz > 16) {
            EXPECT_EQ(b.read32(SID, 1ull << ia, v), ABORT);
            EXPECT_EQ(last_event(b).id, F_TRANSLATION);
        }
    });
}

INSTANTIATE_TEST_SUITE_P(Smmu, SmmuStage1Levels, ::testing::Values(16u, 20u, 25u, 30u, 31u, 33u, 39u), t0sz_name);

TEST(Smmu, BlockMappingsAtLevelsOneAndTwo) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        const std::uint64_t root = stage1_stream(b);
        // 1 GiB block: VA 0x40000000 -> RAM_BASE (0x80000000); 2 MiB block: VA 0xc0200000 -> RAM_BASE + 0x600000.
        b.map(root, 16, 0x40000000, RAM_BASE, LEAF_RW, 1);
        b.map(root, 16, 0xc0200000, RAM_BASE + 0x600000, LEAF_RW, 2);
        b.enable();
        sc_time t;
        EXPECT_EQ(b.write32(SID, 0x40000000 + 0x812344, 0xb10c1u, &t), OK);
        EXPECT_EQ(b.mem32(RAM_BASE + 0x812344), 0xb10c1u);
        EXPECT_EQ(t, lookup(b) + step(b) * (2 + 2) + ROUTER + RAM) << "L0, L1 block";
        EXPECT_EQ(b.write32(SID, 0x40000000 + 0x903344, 2, &t), OK);
        EXPECT_EQ(t, lookup(b) + ROUTER + RAM) << "the whole 1 GiB block is one TLB entry";
        EXPECT_EQ(b.mem32(RAM_BASE + 0x903344), 2u);
        EXPECT_EQ(b.write32(SID, 0xc0200000 + 0x1ff008, 0xb10c2u, &t), OK);
        EXPECT_EQ(b.mem32(RAM_BASE + 0x600000 + 0x1ff008), 0xb10c2u);
        EXPECT_EQ(t, lookup(b) + step(b) * 3 + ROUTER + RAM) << "config hit; L0, L1, L2 block";
    });
}

TEST(Smmu, PayloadAddressIsRestoredAfterTranslation) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        const std::uint64_t root = stage1_stream(b);
        b.map(root, 16, 0x1000, DATA);
        b.enable();
        b.cpu_sync();
        std::uint32_t v = 0;
        pcie_attr a;
        a.has_stream_id = true;
        a.stream_id = SID;
        tlm::tlm_generic_payload p;
        p.set_command(tlm::TLM_READ_COMMAND);
        p.set_address(0x1010);
        p.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
        p.set_data_length(4);
        p.set_streaming_width(4);
        p.set_extension(&a);
        sc_time d = sc_core::SC_ZERO_TIME;
        b.smmu.in.get_base_interface().b_transport(p, d); // straight into the SMMU, no router in between
        p.clear_extension(&a);
        EXPECT_EQ(p.get_response_status(), OK);
        EXPECT_EQ(p.get_address(), 0x1010u) << "the device sees its own address again";
        EXPECT_FALSE(p.is_dmi_allowed());
        sc_core::wait(d);
    });
}

TEST(Smmu, TransactionWithoutStreamIdIsTerminatedWhenEnabled) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        std::uint32_t v = 0x77;
        auto plain = [&](rsp_t expect) {
            b.cpu_sync();
            tlm::tlm_generic_payload p; // no pcie_attr: no StreamID
            p.set_command(tlm::TLM_WRITE_COMMAND);
            p.set_address(DATA);
            p.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
            p.set_data_length(4);
            p.set_streaming_width(4);
            sc_time d = sc_core::SC_ZERO_TIME;
            b.smmu.in.get_base_interface().b_transport(p, d);
            EXPECT_EQ(p.get_response_status(), expect);
            sc_core::wait(d);
        };
        plain(OK); // SMMUEN = 0: GBPA bypass needs no StreamID
        EXPECT_EQ(b.mem32(DATA), 0x77u);
        b.enable();
        v = 0x88;
        plain(ABORT);
        EXPECT_EQ(b.mem32(DATA), 0x77u);
        pcie_attr a; // a pcie_attr without has_stream_id
        b.cpu_sync();
        EXPECT_EQ(b.dev.m.write(DATA, &v, 4, &a), ABORT);
        b.dev.m.sync();
        ASSERT_EQ(b.smmu.events().size(), 2u);
        EXPECT_EQ(last_event(b).id, C_BAD_STREAMID);
        EXPECT_EQ(last_event(b).stream_id, 0xffffffffu);
        EXPECT_FALSE(last_event(b).recorded) << "no StreamID to report";
        EXPECT_EQ(b.evtq_prod(), 0u);
        EXPECT_EQ(b.smmu.stats().faults, 2u);
    });
}

// ---- Permissions ---------------------------------------------------------------------------------------------------

TEST(Smmu, WriteToReadOnlyPageIsPermissionFault) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        const std::uint64_t root = stage1_stream(b);
        b.map(root, 16, 0x7000, DATA + 0x7000, LEAF_RO);
        b.enable();
        b.set32(DATA + 0x7008, 0x5eed);
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(SID, 0x7008, v), OK) << "reads are allowed";
        EXPECT_EQ(v, 0x5eedu);
        sc_time t;
        EXPECT_EQ(b.write32(SID, 0x7008, 1, &t), ABORT) << "write on a TLB hit";
        EXPECT_EQ(b.mem32(DATA + 0x7008), 0x5eedu) << "not written";
        EXPECT_EQ(t, lookup(b) + step(b)) << "lookup, then the event record write";
        expect_record(b, 0, F_PERMISSION, SID, EVT_CLASS_IN, 0x7008, 0);
        EXPECT_EQ(b.evtq_prod(), 1u);
        EXPECT_TRUE(b.evtq_line.level);
        const auto& e = last_event(b);
        EXPECT_EQ(e.id, F_PERMISSION);
        EXPECT_EQ(e.stream_id, SID);
        EXPECT_EQ(e.address, 0x7008u);
        EXPECT_TRUE(e.write);
        EXPECT_TRUE(e.recorded);
        EXPECT_STREQ(smmuv3::event_name(e.id), "F_PERMISSION");
        EXPECT_EQ(b.smmu.stats().faults, 1u);
    });
}

TEST(Smmu, PrivilegedOnlyPageNeedsPrivcfg) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        const std::uint64_t root = stage1_stream(b, 1);
        b.map(root, 16, 0x2000, DATA, LEAF_RW & ~AP_UNPRIV); // AP[1] = 0: EL1 only
        b.write_cd(b.cd_addr(1), cd0(16, 9), root);
        b.ste(2, ste_s1(b.cd_addr(1)), STE1_PRIV);
        b.enable();
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(1, 0x2000, v), ABORT) << "PCIe requests are unprivileged";
        expect_record(b, 0, F_PERMISSION, 1, EVT_RNW | EVT_CLASS_IN, 0x2000, 0);
        EXPECT_EQ(b.read32(2, 0x2000, v), OK) << "STE.PRIVCFG = privileged";
        b.map(root, 16, 0x3000, DATA, LEAF_RO & ~AP_UNPRIV);
        EXPECT_EQ(b.write32(2, 0x3000, 1), ABORT);
        expect_record(b, 1, F_PERMISSION, 2, EVT_PNU | EVT_CLASS_IN, 0x3000, 0);
    });
}

// ---- Event records -------------------------------------------------------------------------------------------------

TEST(Smmu, CBadStreamIdBeyondLog2Size) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        smmu_bench::setup s;
        s.log2size = 4;
        b.enable(s);
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(16, 0xabc000, v), ABORT);
        expect_record(b, 0, C_BAD_STREAMID, 16, 0, 0, 0);
        EXPECT_EQ(b.evtq_prod(), 1u);
        EXPECT_TRUE(b.evtq_line.level);
        EXPECT_EQ(last_event(b).address, 0xabc000u) << "events() keeps the input address";
        EXPECT_EQ(b.smmu.stats().config_misses, 1u);
    });
}

TEST(Smmu, CBadStreamIdBeyondSidBits) {
    bench_params bp;
    bp.smmu.sid_bits = 8;
    smmu_bench b(bp);
    b.run([&](fw::hal&) {
        smmu_bench::setup s;
        s.log2size = 10;
        {
            expect_report rep("LOG2SIZE 10 exceeds IDR1.SIDSIZE 8");
            b.enable(s);
        }
        std::uint32_t v = 0;
        b.ste(0xff, ste_bypass());
        EXPECT_EQ(b.read32(0xff, DATA, v), OK);
        EXPECT_EQ(b.read32(0x100, DATA, v), ABORT);
        expect_record(b, 0, C_BAD_STREAMID, 0x100, 0, 0, 0);
    });
}

TEST(Smmu, CBadStreamIdNotRecordedWithoutRecinvsid) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        smmu_bench::setup s;
        s.log2size = 4;
        s.recinvsid = false;
        b.enable(s);
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(20, 0, v), ABORT);
        EXPECT_EQ(b.evtq_prod(), 0u);
        EXPECT_EQ(last_event(b).id, C_BAD_STREAMID);
        EXPECT_FALSE(last_event(b).recorded);
    });
}

TEST(Smmu, CBadSteForInvalidAndUnsupportedConfigs) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        b.ste(1, 0);                   // V = 0
        b.ste(2, 1 | (6ull << 1));     // stage 2: not implemented
        b.ste(3, 1 | (2ull << 1));     // reserved
        b.enable();
        std::uint32_t v = 0;
        for (std::uint32_t sid = 1; sid <= 3; ++sid) {
            EXPECT_EQ(b.read32(sid, 0x1000, v), ABORT);
            expect_record(b, sid - 1, C_BAD_STE, sid, 0, 0, 0);
        }
        EXPECT_EQ(b.evtq_prod(), 3u);
        EXPECT_EQ(b.smmu.stats().faults, 3u);
        EXPECT_EQ(b.read32(1, 0x1000, v), ABORT) << "bad configurations are not cached";
        EXPECT_EQ(b.smmu.stats().config_misses, 4u);
    });
}

TEST(Smmu, FSteFetchOnBusErrorCarriesTheFetchAddress) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        b.enable();
        b.wr(reg::CR0, CMDQEN | EVTQEN);
        b.wr64(reg::STRTAB_BASE, NOWHERE);
        b.wr(reg::CR0, SMMUEN | CMDQEN | EVTQEN);
        std::uint32_t v = 0;
        expect_report rep("decode miss");
        EXPECT_EQ(b.read32(3, 0x1000, v), ABORT);
        expect_record(b, 0, F_STE_FETCH, 3, 0, 0, NOWHERE + 3 * 64);
        EXPECT_EQ(last_event(b).address, NOWHERE + 3 * 64);
    });
}

TEST(Smmu, CBadCdForEachIllegalField) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        const std::uint64_t root = b.alloc_table();
        const std::uint64_t cds[] = {
            cd0(16, 1) & ~CD_V,     // invalid
            cd0(16, 1) & ~CD_AA64,  // AArch32 tables: TTF is AArch64 only
            cd0(16, 1) | (1ull << 6), // TG0 64 KiB: only the 4 KiB granule
            (cd0(16, 1) & ~0x3full) | 12, // T0SZ below 16
            (cd0(16, 1) & ~0x3full) | 40, // T0SZ above 39
            cd0(16, 1) | CD_ENDI,   // big-endian tables: TTENDIAN is little-endian only
        };
        for (unsigned i = 0; i < 6; ++i) {
            b.write_cd(b.cd_addr(i), cds[i], root);
            b.ste(10 + i, ste_s1(b.cd_addr(i)));
        }
        b.enable();
        std::uint32_t v = 0;
        for (unsigned i = 0; i < 6; ++i) {
            EXPECT_EQ(b.read32(10 + i, 0x1000, v), ABORT) << i;
            expect_record(b, i, C_BAD_CD, 10 + i, 0, 0, 0);
        }
    });
}

TEST(Smmu, FCdFetchCarriesTheFetchAddress) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        b.ste(SID, ste_s1(NOWHERE + 0x40));
        b.enable();
        std::uint32_t v = 0;
        expect_report rep("decode miss");
        EXPECT_EQ(b.read32(SID, 0x1000, v), ABORT);
        expect_record(b, 0, F_CD_FETCH, SID, 0, 0, NOWHERE + 0x40);
    });
}

TEST(Smmu, FTranslationForInvalidDescriptorRangeAndEpd0) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        const std::uint64_t root = stage1_stream(b, 1, 25);
        b.map(root, 25, 0x1000, DATA);
        const std::uint64_t root2 = b.alloc_table();
        b.write_cd(b.cd_addr(1), cd0(16, 2, CD_EPD0), root2);
        b.ste(2, ste_s1(b.cd_addr(1)));
        b.enable();
        std::uint32_t v = 0;
        sc_time t;
        EXPECT_EQ(b.write32(1, 0x2000, 7, &t), ABORT) << "invalid level-3 descriptor";
        expect_record(b, 0, F_TRANSLATION, 1, EVT_CLASS_IN, 0x2000, 0);
        EXPECT_EQ(t, lookup(b) + step(b) * (2 + 3) + step(b)) << "STE, CD, L1, L2, L3, event write";
        EXPECT_EQ(b.read32(1, 1ull << 39, v), ABORT) << "beyond the 39-bit input range of T0SZ 25";
        expect_record(b, 1, F_TRANSLATION, 1, EVT_RNW | EVT_CLASS_IN, 1ull << 39, 0);
        EXPECT_EQ(b.read32(1, 0xffffff8000001000ull, v), ABORT) << "TTB1 range: not supported";
        EXPECT_EQ(b.read32(2, 0x1000, v), ABORT) << "EPD0";
        expect_record(b, 3, F_TRANSLATION, 2, EVT_RNW | EVT_CLASS_IN, 0x1000, 0);
        EXPECT_EQ(b.smmu.stats().tlb_misses, 1u) << "only the walk of the invalid descriptor";
    });
}

TEST(Smmu, InvalidDescriptorsAtEveryLevel) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        const std::uint64_t root = stage1_stream(b);
        const std::uint64_t leaf = b.map(root, 16, 0x1000, DATA);
        b.set64(leaf, DATA | D_BLOCK | LEAF_RW); // level 3 with bit 1 clear: reserved
        const std::uint64_t l0 = root + 8 * 1;   // VA bit 39: level-0 block, not allowed with 4 KiB
        b.set64(l0, RAM_BASE | D_BLOCK | LEAF_RW);
        b.enable();
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(SID, 0x1000, v), ABORT);
        EXPECT_EQ(b.read32(SID, 1ull << 39, v), ABORT);
        ASSERT_EQ(b.smmu.events().size(), 2u);
        EXPECT_EQ(b.smmu.events()[0].id, F_TRANSLATION);
        EXPECT_EQ(b.smmu.events()[1].id, F_TRANSLATION);
    });
}

TEST(Smmu, FWalkEabtCarriesInputAndDescriptorAddress) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        const std::uint64_t root = stage1_stream(b);
        const std::uint64_t va = 0x0000000080003000ull; // L0 index 0, L1 index 2
        b.set64(root, NOWHERE | D_TABLE);               // level-1 table outside memory
        b.enable();
        std::uint32_t v = 0;
        expect_report rep("decode miss");
        EXPECT_EQ(b.read32(SID, va, v), ABORT);
        expect_record(b, 0, F_WALK_EABT, SID, EVT_RNW | EVT_CLASS_TT, va, NOWHERE + 2 * 8);
        EXPECT_EQ(last_event(b).address, va);
    });
}

TEST(Smmu, FAccessUnlessAffd) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        const std::uint64_t root = stage1_stream(b);
        b.map(root, 16, 0x1000, DATA, LEAF_RW & ~AF);
        b.write_cd(b.cd_addr(1), cd0(16, 3, CD_AFFD), root);
        b.ste(6, ste_s1(b.cd_addr(1)));
        b.enable();
        std::uint32_t v = 0;
        EXPECT_EQ(b.write32(SID, 0x1000, 1), ABORT);
        expect_record(b, 0, F_ACCESS, SID, EVT_CLASS_IN, 0x1000, 0);
        EXPECT_EQ(b.read32(6, 0x1000, v), OK) << "CD.AFFD: access flag faults disabled";
    });
}

TEST(Smmu, FAddrSizeBeyondIpsOrOas) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        const std::uint64_t root = stage1_stream(b);
        b.map(root, 16, 0x1000, 1ull << 48); // OA bit 48 with a 48-bit OAS
        // IPS 32 bits: an output address above 4 GiB faults.
        const std::uint64_t root2 = b.alloc_table();
        b.map(root2, 16, 0x1000, 0x100000000ull);
        b.write_cd(b.cd_addr(1), cd0(16, 2) & ~(7ull << 32), root2);
        b.ste(6, ste_s1(b.cd_addr(1)));
        b.enable();
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(SID, 0x1000, v), ABORT);
        expect_record(b, 0, F_ADDR_SIZE, SID, EVT_RNW | EVT_CLASS_IN, 0x1000, 0);
        EXPECT_EQ(b.read32(6, 0x1000, v), ABORT);
        expect_record(b, 1, F_ADDR_SIZE, 6, EVT_RNW | EVT_CLASS_IN, 0x1000, 0);
    });
}

TEST(Smmu, CdRecordBitClearSuppressesTranslationFaultRecords) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        b.write_cd(b.cd_addr(0), cd0(16, ASID) & ~CD_R, b.alloc_table());
        b.ste(SID, ste_s1(b.cd_addr(0)));
        b.enable();
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(SID, 0x1000, v), ABORT) << "still terminated";
        EXPECT_EQ(b.evtq_prod(), 0u);
        EXPECT_EQ(last_event(b).id, F_TRANSLATION);
        EXPECT_FALSE(last_event(b).recorded);
    });
}

// ---- Event queue ---------------------------------------------------------------------------------------------------

TEST(Smmu, FullEventQueueLosesEventsAndFlagsOverflow) {
    smmu_bench b;
    b.evtq_log2 = 1; // two records
    b.run([&](fw::hal&) {
        b.enable();
        std::uint32_t v = 0;
        for (std::uint32_t sid = 1; sid <= 3; ++sid)
            EXPECT_EQ(b.read32(sid, 0, v), ABORT);
        EXPECT_EQ(b.evtq_prod(), 2u | OVFLG) << "index 0 with the wrap bit set, overflow flagged";
        ASSERT_EQ(b.smmu.events().size(), 3u);
        EXPECT_TRUE(b.smmu.events()[0].recorded);
        EXPECT_TRUE(b.smmu.events()[1].recorded);
        EXPECT_FALSE(b.smmu.events()[2].recorded);
        expect_record(b, 0, C_BAD_STE, 1, 0, 0, 0);
        expect_record(b, 1, C_BAD_STE, 2, 0, 0, 0);
        EXPECT_EQ(b.read32(4, 0, v), ABORT);
        EXPECT_EQ(b.evtq_prod(), 2u | OVFLG) << "still full, overflow flag toggles only once";
        // Software drains and acknowledges; the next event is recorded at index 0.
        b.wr(reg::EVTQ_CONS, 2u | OVFLG);
        EXPECT_FALSE(b.evtq_line.level);
        EXPECT_EQ(b.read32(5, 0, v), ABORT);
        EXPECT_EQ(b.evtq_prod(), 3u | OVFLG);
        expect_record(b, 0, C_BAD_STE, 5, 0, 0, 0);
        EXPECT_TRUE(b.evtq_line.level);
    });
}

TEST(Smmu, DisabledEventQueueKeepsEventsUnrecorded) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        smmu_bench::setup s;
        s.evtq = false;
        b.enable(s);
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(1, 0, v), ABORT);
        EXPECT_EQ(b.evtq_prod(), 0u);
        EXPECT_EQ(b.evt(0, 0), 0u);
        EXPECT_EQ(last_event(b).id, C_BAD_STE);
        EXPECT_FALSE(last_event(b).recorded);
        EXPECT_FALSE(b.evtq_line.level);
    });
}

TEST(Smmu, EvtqIrqFollowsProdConsAndIrqCtrl) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        smmu_bench::setup s;
        s.irqs = false;
        b.enable(s);
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(1, 0, v), ABORT);
        EXPECT_EQ(b.evtq_prod(), 1u);
        EXPECT_FALSE(b.evtq_line.level) << "EVTQ_IRQEN = 0";
        b.wr(reg::IRQ_CTRL, IRQ_EVTQ);
        EXPECT_TRUE(b.evtq_line.level) << "enabled with an event pending";
        b.wr(reg::EVTQ_CONS, 1);
        EXPECT_FALSE(b.evtq_line.level) << "queue empty";
        EXPECT_EQ(b.read32(1, 0, v), ABORT);
        EXPECT_TRUE(b.evtq_line.level);
        EXPECT_EQ(b.evtq_line.rises, 2u);
        EXPECT_FALSE(b.gerror_line.level);
    });
}

TEST(Smmu, EventQueueWriteAbortIsAGlobalError) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        b.wr64(reg::EVTQ_BASE, NOWHERE | 4);
        b.wr(reg::IRQ_CTRL, IRQ_GERROR | IRQ_EVTQ);
        b.wr64(reg::STRTAB_BASE, STRTAB);
        b.wr(reg::STRTAB_BASE_CFG, 8);
        b.wr(reg::CR0, SMMUEN | EVTQEN);
        std::uint32_t v = 0;
        {
            expect_report rep("decode miss");
            EXPECT_EQ(b.read32(1, 0, v), ABORT);
        }
        EXPECT_EQ(b.rd(reg::GERROR), 1u << 2) << "EVTQ_ABT_ERR";
        EXPECT_TRUE(b.gerror_line.level);
        EXPECT_FALSE(last_event(b).recorded);
        EXPECT_EQ(b.evtq_prod(), 0u);
        b.wr(reg::GERRORN, 1u << 2);
        EXPECT_FALSE(b.gerror_line.level);
    });
}

// ---- Stream tables ---------------------------------------------------------------------------------------------------

TEST(Smmu, TwoLevelStreamTable) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        // LOG2SIZE 16, SPLIT 8: 256 level-1 descriptors of 8 bytes.
        b.set64(STRTAB + 8 * 1, L2TAB | 9);            // SIDs 0x100-0x1ff: 256 STEs (Span 9)
        b.set64(STRTAB + 8 * 3, (L2TAB + 0x4000) | 2); // SIDs 0x300-0x301 only (Span 2: 2 STEs)
        b.write_ste(L2TAB + 64 * 0xa5, ste_bypass());
        b.write_ste(L2TAB + 0x4000 + 64 * 1, ste_bypass());
        b.write_ste(L2TAB + 0x4000 + 64 * 2, ste_bypass()); // beyond the span: never read
        const std::uint64_t root = b.alloc_table();
        b.map(root, 16, 0x1000, DATA + 0x2000);
        b.write_cd(b.cd_addr(0), cd0(16, ASID), root);
        b.write_ste(L2TAB + 64 * 0xa6, ste_s1(b.cd_addr(0)));
        smmu_bench::setup s;
        s.two_level = true;
        s.log2size = 16;
        b.enable(s);
        sc_time t;
        EXPECT_EQ(b.write32(0x1a5, DATA, 0x2a5, &t), OK);
        EXPECT_EQ(b.mem32(DATA), 0x2a5u);
        EXPECT_EQ(t, lookup(b) + step(b) * 2 + ROUTER + RAM) << "L1 descriptor + STE";
        EXPECT_EQ(b.write32(0x1a6, 0x1004, 0x2a6), OK);
        EXPECT_EQ(b.mem32(DATA + 0x2004), 0x2a6u);
        EXPECT_EQ(b.write32(0x301, DATA + 4, 0x301), OK);
        EXPECT_EQ(b.mem32(DATA + 4), 0x301u);
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(0x302, 0, v), ABORT) << "beyond the span";
        expect_record(b, 0, C_BAD_STE, 0x302, 0, 0, 0);
        EXPECT_EQ(b.read32(0x2a0, 0, v), ABORT) << "Span 0: invalid level-1 descriptor";
        expect_record(b, 1, C_BAD_STREAMID, 0x2a0, 0, 0, 0);
        EXPECT_EQ(b.read32(0x1a7, 0, v), ABORT) << "STE.V = 0";
        expect_record(b, 2, C_BAD_STE, 0x1a7, 0, 0, 0);
        EXPECT_EQ(b.read32(0x10000, 0, v), ABORT) << "beyond LOG2SIZE";
        expect_record(b, 3, C_BAD_STREAMID, 0x10000, 0, 0, 0);
    });
}

TEST(Smmu, TwoLevelDescriptorFetchErrorIsFSteFetch) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        b.set64(STRTAB + 8 * 2, NOWHERE | 9);
        smmu_bench::setup s;
        s.two_level = true;
        s.log2size = 16;
        b.enable(s);
        std::uint32_t v = 0;
        expect_report rep("decode miss");
        EXPECT_EQ(b.read32(0x210, 0, v), ABORT);
        expect_record(b, 0, F_STE_FETCH, 0x210, 0, 0, NOWHERE + 0x10 * 64);
    });
}

// ---- Config cache, TLB and invalidation ----------------------------------------------------------------------------

TEST(Smmu, ChangedSteKeepsOldConfigUntilCfgiSte) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        b.ste(SID, ste_bypass());
        b.enable();
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(SID, DATA, v), OK);
        EXPECT_EQ(b.read32(SID, DATA, v), OK);
        EXPECT_EQ(b.smmu.stats().config_misses, 1u);
        EXPECT_EQ(b.smmu.stats().config_hits, 1u);
        b.ste(SID, ste_abort());
        EXPECT_EQ(b.read32(SID, DATA, v), OK) << "cached STE still says bypass";
        b.cfgi_ste(SID + 1);
        ASSERT_TRUE(b.sync());
        EXPECT_EQ(b.read32(SID, DATA, v), OK) << "another StreamID was invalidated";
        b.cfgi_ste(SID);
        ASSERT_TRUE(b.sync());
        EXPECT_EQ(b.read32(SID, DATA, v), ABORT) << "new STE after CFGI_STE + SYNC";
        EXPECT_EQ(b.smmu.stats().config_misses, 2u);
        EXPECT_EQ(b.smmu.stats().config_hits, 3u);
        EXPECT_EQ(b.smmu.stats().commands, 4u);
        EXPECT_EQ(b.rd(reg::CMDQ_CONS), 4u);
    });
}

TEST(Smmu, CfgiSteRangeAndCfgiAll) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        for (std::uint32_t sid = 4; sid <= 8; ++sid)
            b.ste(sid, ste_bypass());
        b.enable();
        std::uint32_t v = 0;
        for (std::uint32_t sid = 4; sid <= 8; ++sid) {
            EXPECT_EQ(b.read32(sid, DATA, v), OK);
            b.ste(sid, ste_abort());
        }
        b.cmd(CMD_CFGI_STE_RANGE | (5ull << 32), 1); // Range 1: 4 StreamIDs from 4
        ASSERT_TRUE(b.sync());
        for (std::uint32_t sid = 4; sid <= 7; ++sid)
            EXPECT_EQ(b.read32(sid, DATA, v), ABORT) << sid;
        EXPECT_EQ(b.read32(8, DATA, v), OK) << "outside the range";
        b.cmd(CMD_CFGI_STE_RANGE, 31); // CMD_CFGI_ALL
        ASSERT_TRUE(b.sync());
        EXPECT_EQ(b.read32(8, DATA, v), ABORT);
    });
}

TEST(Smmu, ChangedPteKeepsOldTranslationUntilTlbi) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        const std::uint64_t root = stage1_stream(b);
        const std::uint64_t pte = b.map(root, 16, 0x4000, DATA + 0x1000);
        b.enable();
        b.set32(DATA + 0x1000, 1);
        b.set32(DATA + 0x2000, 2);
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(SID, 0x4000, v), OK);
        EXPECT_EQ(v, 1u);
        b.set64(pte, (DATA + 0x2000) | D_PAGE | LEAF_RW);
        EXPECT_EQ(b.read32(SID, 0x4000, v), OK);
        EXPECT_EQ(v, 1u) << "TLB hit: old page";
        EXPECT_EQ(b.smmu.stats().tlb_misses, 1u);
        EXPECT_EQ(b.smmu.stats().tlb_hits, 1u);
        b.cmd(CMD_TLBI_NH_VA | (std::uint64_t{ASID + 1} << 48), 0x4000);
        b.cmd(CMD_TLBI_NH_VA | (std::uint64_t{ASID} << 48), 0x5000);
        ASSERT_TRUE(b.sync());
        EXPECT_EQ(b.read32(SID, 0x4000, v), OK);
        EXPECT_EQ(v, 1u) << "other ASID / other page invalidated";
        b.cmd(CMD_TLBI_NH_VA | (std::uint64_t{ASID} << 48), 0x4000);
        ASSERT_TRUE(b.sync());
        EXPECT_EQ(b.read32(SID, 0x4000, v), OK);
        EXPECT_EQ(v, 2u) << "walked again after TLBI_NH_VA";
        EXPECT_EQ(b.smmu.stats().tlb_misses, 2u);
        EXPECT_EQ(b.smmu.stats().config_misses, 1u) << "TLB invalidation keeps the config cache";
    });
}

TEST(Smmu, TlbiAllVariantsInvalidate) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        const std::uint64_t root = stage1_stream(b);
        b.map(root, 16, 0x4000, DATA);
        b.enable();
        std::uint32_t v = 0;
        const std::uint64_t cmds[] = {CMD_TLBI_NH_ALL, CMD_TLBI_NSNH_ALL, CMD_TLBI_NH_ASID | (std::uint64_t{ASID} << 48)};
        std::uint64_t misses = 0;
        for (std::uint64_t c : cmds) {
            EXPECT_EQ(b.read32(SID, 0x4000, v), OK);
            EXPECT_EQ(b.smmu.stats().tlb_misses, ++misses);
            EXPECT_EQ(b.read32(SID, 0x4000, v), OK);
            EXPECT_EQ(b.smmu.stats().tlb_misses, misses);
            b.cmd(c);
            ASSERT_TRUE(b.sync());
        }
        EXPECT_EQ(b.read32(SID, 0x4000, v), OK);
        EXPECT_EQ(b.smmu.stats().tlb_misses, misses + 1);
        b.cmd(CMD_TLBI_NH_ASID | (std::uint64_t{ASID + 1} << 48));
        ASSERT_TRUE(b.sync());
        EXPECT_EQ(b.read32(SID, 0x4000, v), OK);
        EXPECT_EQ(b.smmu.stats().tlb_misses, misses + 1) << "other ASID: kept";
    });
}

TEST(Smmu, CfgiCdRefetchesOnlyTheContextDescriptor) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        const std::uint64_t root = stage1_stream(b);
        b.map(root, 16, 0x4000, DATA + 0x1000);
        const std::uint64_t root2 = b.alloc_table();
        b.map(root2, 16, 0x4000, DATA + 0x2000);
        b.set32(DATA + 0x1000, 1);
        b.set32(DATA + 0x2000, 2);
        b.enable();
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(SID, 0x4000, v), OK);
        EXPECT_EQ(v, 1u);
        b.write_cd(b.cd_addr(0), cd0(16, ASID + 1), root2); // new ASID and tables
        EXPECT_EQ(b.read32(SID, 0x4000, v), OK);
        EXPECT_EQ(v, 1u) << "cached CD";
        b.cmd(CMD_CFGI_CD | (std::uint64_t{SID} << 32), 1);
        ASSERT_TRUE(b.sync());
        sc_time t;
        EXPECT_EQ(b.read32(SID, 0x4000, v, &t), OK);
        EXPECT_EQ(v, 2u);
        EXPECT_EQ(t, lookup(b) + step(b) * (1 + 4) + ROUTER + RAM) << "CD and a 4-level walk, no STE";
    });
}

TEST(Smmu, CachesOfSizeZeroWalkEveryTime) {
    bench_params bp;
    bp.smmu.config_cache_entries = 0;
    bp.smmu.tlb_entries = 0;
    smmu_bench b(bp);
    b.run([&](fw::hal&) {
        const std::uint64_t root = stage1_stream(b);
        b.map(root, 16, 0x4000, DATA);
        b.enable();
        std::uint32_t v = 0;
        for (int i = 0; i < 3; ++i) {
            sc_time t;
            EXPECT_EQ(b.read32(SID, 0x4000, v, &t), OK);
            EXPECT_EQ(t, lookup(b) + step(b) * 6 + ROUTER + RAM);
        }
        EXPECT_EQ(b.smmu.stats().config_misses, 3u);
        EXPECT_EQ(b.smmu.stats().tlb_misses, 3u);
        EXPECT_EQ(b.smmu.stats().config_hits + b.smmu.stats().tlb_hits, 0u);
    });
}

TEST(Smmu, LeastRecentlyUsedEntriesAreReplaced) {
    bench_params bp;
    bp.smmu.config_cache_entries = 2;
    smmu_bench b(bp);
    b.run([&](fw::hal&) {
        for (std::uint32_t sid = 1; sid <= 3; ++sid)
            b.ste(sid, ste_bypass());
        b.enable();
        std::uint32_t v = 0;
        for (std::uint32_t sid : {1u, 2u, 1u, 3u, 1u, 2u})
            EXPECT_EQ(b.read32(sid, DATA, v), OK);
        // 1 miss, 2 miss, 1 hit, 3 miss (evicts 2), 1 hit, 2 miss
        EXPECT_EQ(b.smmu.stats().config_misses, 4u);
        EXPECT_EQ(b.smmu.stats().config_hits, 2u);
    });
}

// ---- Commands ---------------------------------------------------------------------------------------------------

TEST(Smmu, IllegalCommandSetsGerrorAndStopsTheQueue) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        b.ste(SID, ste_bypass());
        b.enable();
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(SID, DATA, v), OK);
        b.ste(SID, ste_abort());
        {
            expect_report rep("opcode 0x20");
            b.cmd(0x20); // CMD_TLBI_EL2_ALL: no EL2 support
            b.cfgi_ste(SID);
            EXPECT_FALSE(b.sync(20));
        }
        EXPECT_EQ(b.rd(reg::CMDQ_CONS), 1u << 24) << "ERR = CERROR_ILL, stopped at entry 0";
        EXPECT_EQ(b.rd(reg::GERROR) & CMDQ_ERR, CMDQ_ERR);
        EXPECT_TRUE(b.gerror_line.level);
        EXPECT_EQ(b.smmu.stats().commands, 0u);
        EXPECT_EQ(b.read32(SID, DATA, v), OK) << "the CFGI behind it did not run";
        // Recover as Linux does: replace the command with a CMD_SYNC, acknowledge in GERRORN.
        b.set64(CMDQ, CMD_SYNC);
        b.set64(CMDQ + 8, 0);
        b.wr(reg::GERRORN, CMDQ_ERR);
        EXPECT_FALSE(b.gerror_line.level);
        for (int i = 0; i < 20 && (b.rd(reg::CMDQ_CONS) & 0x1ff) != 3; ++i)
            b.h->sleep_ns(100);
        EXPECT_EQ(b.rd(reg::CMDQ_CONS) & 0x1ffu, 3u);
        EXPECT_EQ(b.smmu.stats().commands, 3u);
        EXPECT_EQ(b.read32(SID, DATA, v), ABORT);
    });
}

TEST(Smmu, CommandsWaitForCmdqen) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        b.wr64(reg::CMDQ_BASE, CMDQ | 8);
        b.cmd(CMD_SYNC);
        b.h->sleep_ns(1000);
        EXPECT_EQ(b.rd(reg::CMDQ_CONS), 0u) << "queue disabled";
        b.wr(reg::CR0, CMDQEN);
        b.h->sleep_ns(1000);
        EXPECT_EQ(b.rd(reg::CMDQ_CONS), 1u);
        EXPECT_EQ(b.smmu.stats().commands, 1u);
    });
}

TEST(Smmu, CommandTimingIsFetchPlusCmdLatency) {
    smmu_bench b;
    b.run([&](fw::hal& h) {
        b.enable();
        b.cpu_sync();
        b.cmd(CMD_SYNC);
        // The CMDQ_PROD write took effect when it reached the register bank: its completion minus reg_latency.
        const sc_time written =
            sc_time(static_cast<double>(h.now_ns()), SC_NS) - b.smmu.cycles(b.smmu.get_params().reg_latency);
        b.cpu_sync();
        // Fetch (router + RAM, the 16-byte command in one read) + cmd_latency cycles, then CMDQ_CONS moves.
        const sc_time done = written + ROUTER + RAM + b.smmu.cycles(b.smmu.get_params().cmd_latency);
        ASSERT_GT(done, sc_core::sc_time_stamp());
        sc_core::wait(done - sc_core::sc_time_stamp() - sc_time(1, SC_NS));
        EXPECT_EQ(b.smmu.stats().commands, 0u);
        sc_core::wait(sc_time(1, SC_NS));
        EXPECT_EQ(b.smmu.stats().commands, 1u);
    });
}

// ---- Guest mistakes ---------------------------------------------------------------------------------------------

TEST(Smmu, StrtabWritesWhileEnabledAreIgnored) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        b.enable();
        {
            expect_report rep("STRTAB_BASE written with 0x80100000 while CR0.SMMUEN = 1");
            b.wr64(reg::STRTAB_BASE, STRTAB + 0x100000);
        }
        EXPECT_EQ(b.rd64(reg::STRTAB_BASE), STRTAB);
        {
            expect_report rep("STRTAB_BASE_CFG written with 0x4 while CR0.SMMUEN = 1");
            b.wr(reg::STRTAB_BASE_CFG, 4);
        }
        EXPECT_EQ(b.rd(reg::STRTAB_BASE_CFG), 8u);
    });
}

TEST(Smmu, QueueProgrammingMistakes) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        {
            expect_report rep("LOG2SIZE 25 exceeds IDR1.CMDQS 19");
            b.wr64(reg::CMDQ_BASE, CMDQ | 25);
        }
        {
            expect_report rep("LOG2SIZE 31 exceeds IDR1.EVENTQS 19");
            b.wr64(reg::EVTQ_BASE, EVTQ | 31);
        }
        b.wr64(reg::CMDQ_BASE, (CMDQ + 0x20) | 8);
        {
            expect_report rep("not aligned to the queue size 0x1000");
            b.wr(reg::CR0, CMDQEN);
        }
        {
            expect_report rep("CMDQ_BASE written with 0x80100008 while CR0.CMDQEN = 1");
            b.wr64(reg::CMDQ_BASE, CMDQ | 8);
        }
        {
            expect_report rep("CMDQ_CONS written with 0x5 while CR0.CMDQEN = 1");
            b.wr(reg::CMDQ_CONS, 5);
        }
        EXPECT_EQ(b.rd(reg::CMDQ_CONS), 0u);
        {
            expect_report rep("GERRORN written with 0x00000004");
            b.wr(reg::GERRORN, 4);
        }
        EXPECT_EQ(b.rd(reg::GERRORN), 0u) << "no active error to acknowledge";
        EXPECT_FALSE(b.gerror_line.level);
    });
}

TEST(Smmu, MisalignedStreamTableAtEnable) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        b.wr64(reg::STRTAB_BASE, STRTAB + 0x40);
        b.wr(reg::STRTAB_BASE_CFG, 8);
        b.ste(1, ste_bypass()); // the SMMU ignores the low address bits: STE 1 of the aligned table
        expect_report rep("not aligned to the stream table size 0x4000");
        b.wr(reg::CR0, SMMUEN);
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(1, DATA, v), OK);
    });
}

// ---- Debug transport -------------------------------------------------------------------------------------------

TEST(Smmu, DebugTransportTranslatesWithoutSideEffects) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        const std::uint64_t root = stage1_stream(b);
        b.map(root, 16, 0x4000, DATA + 0x1000);
        b.enable();
        b.set32(DATA + 0x1ffc, 0xdeb6);
        auto dbg = [&](std::uint32_t sid, std::uint64_t addr, unsigned len, std::uint8_t* buf) {
            pcie_attr a;
            a.has_stream_id = true;
            a.stream_id = sid;
            tlm::tlm_generic_payload p;
            p.set_command(tlm::TLM_READ_COMMAND);
            p.set_address(addr);
            p.set_data_ptr(buf);
            p.set_data_length(len);
            p.set_streaming_width(len);
            p.set_extension(&a);
            const unsigned n = b.dev.socket->transport_dbg(p);
            p.clear_extension(&a);
            return n;
        };
        std::uint8_t buf[16] = {};
        const sc_time before = sc_core::sc_time_stamp();
        EXPECT_EQ(dbg(SID, 0x4ffc, 16, buf), 4u) << "clipped to the page";
        std::uint32_t v = 0;
        std::memcpy(&v, buf, 4);
        EXPECT_EQ(v, 0xdeb6u);
        EXPECT_EQ(dbg(SID, 0x8000, 4, buf), 0u) << "unmapped";
        EXPECT_EQ(dbg(99, 0x8000, 4, buf), 0u) << "bad STE";
        EXPECT_EQ(sc_core::sc_time_stamp(), before);
        EXPECT_TRUE(b.smmu.events().empty());
        EXPECT_EQ(b.smmu.stats().config_misses + b.smmu.stats().tlb_misses, 0u);
        sc_time t;
        EXPECT_EQ(b.read32(SID, 0x4ffc, v, &t), OK);
        EXPECT_EQ(t, lookup(b) + step(b) * 6 + ROUTER + RAM) << "debug filled no cache";
    });
}

TEST(Smmu, HitPathAllocatesNothing) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        const std::uint64_t root = stage1_stream(b);
        b.map(root, 16, 0x4000, DATA);
        b.ste(1, ste_bypass());
        b.ste(2, ste_abort());
        b.enable();
        std::uint32_t v = 0;
        for (std::uint32_t sid : {SID, 1u, 2u})
            b.read32(sid, sid == SID ? 0x4000 : DATA, v); // fill the caches
        b.cpu_sync();
        pcie_attr a;
        a.has_stream_id = true;
        g_allocs = 0;
        g_count_allocs = true;
        for (int i = 0; i < 4; ++i) {
            a.stream_id = SID;
            b.dev.m.read(0x4000, &v, 4, &a);
            a.stream_id = 1;
            b.dev.m.write(DATA, &v, 4, &a);
            a.stream_id = 2;
            b.dev.m.read(DATA, &v, 4, &a);
        }
        g_count_allocs = false;
        b.dev.m.sync();
        EXPECT_EQ(g_allocs, 0u);
        EXPECT_EQ(b.smmu.stats().tlb_hits, 4u);
        EXPECT_EQ(b.smmu.stats().config_hits, 12u);
    });
}

// ---- Timing and concurrency ------------------------------------------------------------------------------------

TEST(Smmu, MissAndHitTimingWithOwnParameters) {
    bench_params bp;
    bp.smmu.clock_hz = 250000000; // 4 ns
    bp.smmu.lookup_latency = 3;
    bp.smmu.walk_step_latency = 5;
    smmu_bench b(bp);
    b.run([&](fw::hal&) {
        const std::uint64_t root = stage1_stream(b);
        b.map(root, 16, 0x4000, DATA);
        b.enable();
        std::uint32_t v = 0;
        sc_time miss, hit;
        EXPECT_EQ(b.read32(SID, 0x4000, v, &miss), OK);
        EXPECT_EQ(b.read32(SID, 0x4000, v, &hit), OK);
        // lookup 3 x 4 ns; six table reads (STE, CD, L0..L3), each 5 x 4 ns + router 2 ns + RAM 10 ns; data read.
        EXPECT_EQ(miss, sc_time(12 + 6 * (20 + 2 + 10) + 2 + 10, SC_NS));
        EXPECT_EQ(hit, sc_time(12 + 2 + 10, SC_NS));
    });
}

TEST(Smmu, ConcurrentMissesAreWalkedOneAfterTheOther) {
    smmu_bench b;
    b.run([&](fw::hal& h) {
        b.ste(1, ste_bypass());
        b.ste(2, ste_bypass());
        b.enable();
        b.aux0.sid = 1;
        b.aux0.addr = DATA;
        b.aux1.sid = 2;
        b.aux1.addr = DATA + 4;
        b.cpu_sync();
        b.aux0.go.notify();
        b.aux1.go.notify();
        h.sleep_ns(1000);
        EXPECT_EQ(b.aux0.rsp, OK);
        EXPECT_EQ(b.aux1.rsp, OK);
        const sc_time first = std::min(b.aux0.took, b.aux1.took);
        const sc_time second = std::max(b.aux0.took, b.aux1.took);
        EXPECT_EQ(first, lookup(b) + step(b) + ROUTER + RAM);
        EXPECT_EQ(second, lookup(b) + step(b) * 2 + ROUTER + RAM) << "waited for the walker";
    });
}

// ---- Firmware driver on the endpoint CPU ---------------------------------------------------------------------------

namespace {
constexpr std::uint64_t POOL = RAM_BASE + 0x400000, POOL_SIZE = 0x400000;
constexpr std::uint64_t IOVA = 0x10000000;
} // namespace

TEST(SmmuDriver, InitEnablesTheSmmuAndStreamsStartInvalid) {
    smmu_bench b;
    b.run([&](fw::hal& h) {
        fw::dma_pool pool(h, POOL, POOL_SIZE);
        fw::smmuv3_driver drv(h, SMMU_BASE);
        const fw::status s = drv.init(pool, 8);
        ASSERT_TRUE(s) << s.message();
        EXPECT_FALSE(drv.two_level());
        EXPECT_EQ(b.rd(reg::CR0ACK), SMMUEN | EVTQEN | CMDQEN);
        EXPECT_EQ(b.rd(reg::IRQ_CTRLACK), IRQ_GERROR | IRQ_EVTQ);
        EXPECT_EQ(b.rd64(reg::STRTAB_BASE) & 0x000fffffffffffc0ull, drv.stream_table());
        EXPECT_EQ(b.rd(reg::STRTAB_BASE_CFG), 8u) << "linear, 256 STEs";
        EXPECT_EQ(b.smmu.stats().commands, 3u) << "CFGI_ALL, TLBI_NSNH_ALL, SYNC";
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(3, DATA, v), ABORT);
        auto ev = drv.read_events();
        ASSERT_TRUE(ev);
        ASSERT_EQ(ev->size(), 1u);
        EXPECT_EQ(ev->at(0).id, fw::smmu::C_BAD_STE);
        EXPECT_EQ(ev->at(0).stream_id, 3u);
        EXPECT_EQ(b.rd(reg::EVTQ_CONS), 1u);
        EXPECT_FALSE(b.evtq_line.level);
        EXPECT_EQ(b.read32(300, DATA, v), ABORT) << "beyond the 8 StreamID bits";
        ev = drv.read_events();
        ASSERT_TRUE(ev);
        ASSERT_EQ(ev->size(), 1u);
        EXPECT_EQ(ev->at(0).id, fw::smmu::C_BAD_STREAMID) << "RECINVSID set by the driver";
    });
}

TEST(SmmuDriver, BypassAbortAndStage1Streams) {
    smmu_bench b;
    b.run([&](fw::hal& h) {
        fw::dma_pool pool(h, POOL, POOL_SIZE);
        fw::smmuv3_driver drv(h, SMMU_BASE);
        ASSERT_TRUE(drv.init(pool, 8));
        ASSERT_TRUE(drv.set_bypass(1));
        ASSERT_TRUE(drv.set_abort(2));
        ASSERT_TRUE(drv.set_stage1(3, IOVA, DATA, 0x3000, true));
        ASSERT_TRUE(drv.set_stage1(3, IOVA + 0x10000, DATA + 0x10000, 0x1000, false));
        EXPECT_NE(drv.context_descriptor(3), 0u);
        EXPECT_EQ(drv.asid(3), 1u);
        std::uint32_t v = 0;
        EXPECT_EQ(b.write32(1, DATA + 0x100, 0x1111), OK);
        EXPECT_EQ(b.mem32(DATA + 0x100), 0x1111u);
        EXPECT_EQ(b.read32(2, DATA, v), ABORT);
        EXPECT_EQ(b.write32(3, IOVA + 0x2ff0, 0x3333), OK);
        EXPECT_EQ(b.mem32(DATA + 0x2ff0), 0x3333u);
        b.set32(DATA + 0x10008, 0x4444);
        EXPECT_EQ(b.read32(3, IOVA + 0x10008, v), OK);
        EXPECT_EQ(v, 0x4444u);
        EXPECT_EQ(b.write32(3, IOVA + 0x10008, 0), ABORT) << "read-only mapping";
        EXPECT_EQ(b.read32(3, IOVA + 0x3000, v), ABORT) << "unmapped page";
        auto ev = drv.read_events();
        ASSERT_TRUE(ev);
        ASSERT_EQ(ev->size(), 2u) << "the abort STE records nothing";
        EXPECT_EQ(ev->at(0).id, fw::smmu::F_PERMISSION);
        EXPECT_EQ(ev->at(0).stream_id, 3u);
        EXPECT_EQ(ev->at(0).input_address, IOVA + 0x10008);
        EXPECT_FALSE(ev->at(0).read);
        EXPECT_EQ(ev->at(1).id, fw::smmu::F_TRANSLATION);
        EXPECT_EQ(ev->at(1).input_address, IOVA + 0x3000);
        EXPECT_TRUE(ev->at(1).read);
    });
}

TEST(SmmuDriver, TwoLevelTableForManyStreamIds) {
    smmu_bench b;
    b.run([&](fw::hal& h) {
        fw::dma_pool pool(h, POOL, POOL_SIZE);
        fw::smmuv3_driver drv(h, SMMU_BASE);
        ASSERT_TRUE(drv.init(pool, 16));
        EXPECT_TRUE(drv.two_level());
        EXPECT_EQ(b.rd(reg::STRTAB_BASE_CFG), (1u << 16) | (8u << 6) | 16u);
        EXPECT_EQ(drv.ste_address(0x1234), 0u) << "level-2 array allocated on demand";
        ASSERT_TRUE(drv.set_bypass(0x1234));
        EXPECT_NE(drv.ste_address(0x1234), 0u);
        ASSERT_TRUE(drv.set_stage1(0x1235, IOVA, DATA + 0x5000, 0x1000, true));
        EXPECT_EQ(b.write32(0x1234, DATA, 0x1234), OK);
        EXPECT_EQ(b.mem32(DATA), 0x1234u);
        EXPECT_EQ(b.write32(0x1235, IOVA + 8, 0x1235), OK);
        EXPECT_EQ(b.mem32(DATA + 0x5008), 0x1235u);
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(0x2000, DATA, v), ABORT);
        auto ev = drv.read_events();
        ASSERT_TRUE(ev);
        ASSERT_EQ(ev->size(), 1u);
        EXPECT_EQ(ev->at(0).id, fw::smmu::C_BAD_STREAMID) << "span not allocated";
        EXPECT_FALSE(drv.set_bypass(0x10000)) << "beyond the covered StreamIDs";
    });
}

TEST(SmmuDriver, RemappingAndClearInvalidateTheTlb) {
    smmu_bench b;
    b.run([&](fw::hal& h) {
        fw::dma_pool pool(h, POOL, POOL_SIZE);
        fw::smmuv3_driver drv(h, SMMU_BASE);
        ASSERT_TRUE(drv.init(pool, 8));
        b.set32(DATA + 0x1000, 1);
        b.set32(DATA + 0x2000, 2);
        ASSERT_TRUE(drv.set_stage1(7, IOVA, DATA + 0x1000, 0x1000, true));
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(7, IOVA, v), OK);
        EXPECT_EQ(v, 1u);
        ASSERT_TRUE(drv.set_stage1(7, IOVA, DATA + 0x2000, 0x1000, true));
        EXPECT_EQ(b.read32(7, IOVA, v), OK);
        EXPECT_EQ(v, 2u) << "the driver invalidated the replaced page";
        ASSERT_TRUE(drv.clear(7));
        EXPECT_EQ(b.read32(7, IOVA, v), ABORT);
        auto ev = drv.read_events();
        ASSERT_TRUE(ev);
        ASSERT_EQ(ev->size(), 1u);
        EXPECT_EQ(ev->at(0).id, fw::smmu::C_BAD_STE);
        ASSERT_TRUE(drv.set_bypass(7));
        EXPECT_EQ(b.read32(7, DATA + 0x1000, v), OK);
        EXPECT_EQ(v, 1u);
        ASSERT_TRUE(drv.invalidate_all());
        EXPECT_FALSE(drv.set_stage1(7, IOVA + 1, DATA, 0x1000, true)) << "unaligned";
    });
}

TEST(SmmuDriver, EventInterruptRunsTheHandler) {
    bench_params bp;
    bp.irqs_to_cpu = true;
    smmu_bench b(bp);
    b.run([&](fw::hal& h) {
        fw::dma_pool pool(h, POOL, POOL_SIZE);
        fw::smmuv3_driver drv(h, SMMU_BASE);
        std::vector<fw::smmuv3_driver::event> seen;
        ASSERT_TRUE(drv.request_irqs(EVTQ_IRQ, GERROR_IRQ, [&](const fw::smmuv3_driver::event& e) { seen.push_back(e); }));
        ASSERT_TRUE(drv.init(pool, 8));
        ASSERT_TRUE(drv.set_stage1(4, IOVA, DATA, 0x1000, false));
        std::uint32_t v = 0;
        EXPECT_EQ(b.write32(4, IOVA + 0x10, 1), ABORT);
        EXPECT_EQ(b.read32(9, 0, v), ABORT);
        h.wait_for_interrupt(10000);
        h.sleep_ns(100);
        ASSERT_EQ(seen.size(), 2u);
        EXPECT_EQ(seen[0].id, fw::smmu::F_PERMISSION);
        EXPECT_EQ(seen[0].input_address, IOVA + 0x10);
        EXPECT_EQ(seen[1].id, fw::smmu::C_BAD_STE);
        EXPECT_EQ(seen[1].stream_id, 9u);
        EXPECT_EQ(b.rd(reg::EVTQ_CONS), b.rd(reg::EVTQ_PROD));
        EXPECT_EQ(drv.global_errors(), 0u);
    });
}

TEST(SmmuDriver, EventQueueOverflowIsAcknowledged) {
    smmu_bench b;
    b.run([&](fw::hal& h) {
        fw::dma_pool pool(h, POOL, POOL_SIZE);
        fw::smmuv3_driver drv(h, SMMU_BASE);
        ASSERT_TRUE(drv.init(pool, 8));
        std::uint32_t v = 0;
        const unsigned n = (1u << fw::smmuv3_driver::evtq_log2) + 3;
        for (unsigned i = 0; i < n; ++i)
            EXPECT_EQ(b.read32(i, 0, v), ABORT);
        auto ev = drv.read_events();
        ASSERT_TRUE(ev);
        EXPECT_EQ(ev->size(), 1u << fw::smmuv3_driver::evtq_log2);
        EXPECT_EQ(drv.overflows(), 1u);
        EXPECT_EQ(b.rd(reg::EVTQ_CONS) & OVFLG, b.rd(reg::EVTQ_PROD) & OVFLG);
        EXPECT_EQ(b.read32(0, 0, v), ABORT);
        ev = drv.read_events();
        ASSERT_TRUE(ev);
        EXPECT_EQ(ev->size(), 1u) << "recorded again after the acknowledge";
    });
}

TEST(SmmuDriver, RejectsTooManyStreamIdBits) {
    bench_params bp;
    bp.smmu.sid_bits = 6;
    smmu_bench b(bp);
    b.run([&](fw::hal& h) {
        fw::dma_pool pool(h, POOL, POOL_SIZE);
        fw::smmuv3_driver drv(h, SMMU_BASE);
        const fw::status s = drv.init(pool, 8);
        EXPECT_EQ(s.code(), fw::errc::not_supported);
        EXPECT_NE(s.message().find("SIDSIZE is 6"), std::string::npos) << s.message();
        EXPECT_EQ(drv.set_bypass(1).code(), fw::errc::no_device);
    });
}
