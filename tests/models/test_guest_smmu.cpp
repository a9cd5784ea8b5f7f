// Guest mistakes on the SMMUv3 (project issue 9), directed: what test_smmu.cpp does not cover yet. STE and CD
// errors are covered there (CBadSteForInvalidAndUnsupportedConfigs, CBadCdForEachIllegalField, the *_FETCH and
// C_BAD_STREAMID tests): their architectural answer is the terminated transaction and the event record; the
// SMMU raises no guest warning for them (the event queue is the record). Here: register accesses of the wrong
// size, STE errors through the 2-level table, and a command-queue race found while writing the soak
// (fixed).
#include "smmu_bench.h"

#include "dbvp/core/payload.h"
#include <gtest/gtest.h>

using namespace dbvp;
using namespace dbvp::test::smmu;

namespace {

/// Raw access of any size to the SMMU registers (the CPU HAL only does 4 and 8 bytes).
struct reg_port : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<reg_port> socket{"socket"};
    explicit reg_port(sc_core::sc_module_name n) : sc_module(n) {}
    tlm::tlm_response_status access(bool write, std::uint64_t addr, std::uint64_t& v, unsigned len) {
        tlm::tlm_generic_payload p;
        prepare_access(p, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, addr, &v, len);
        sc_core::sc_time d = sc_core::SC_ZERO_TIME;
        socket->b_transport(p, d);
        sc_core::wait(d);
        return p.get_response_status();
    }
};

} // namespace

TEST(SmmuGuest, RegisterAccessesOfTheWrongSizeAreErrorsWithAWarning) {
    smmu_bench b;
    reg_port raw("raw");
    raw.socket.bind(b.soc.in);
    b.run([&](fw::hal&) {
        b.cpu_sync();
        std::uint64_t v = SMMUEN;
        {
            test::expect_report rep("smmu: regs 1-byte write at offset 0x20: access size/alignment not supported");
            EXPECT_EQ(raw.access(true, SMMU_BASE + reg::CR0, v, 1), tlm::TLM_GENERIC_ERROR_RESPONSE);
        }
        {
            test::expect_report rep("smmu: regs 2-byte read at offset 0x22: access size/alignment not supported");
            EXPECT_EQ(raw.access(false, SMMU_BASE + reg::CR0 + 2, v, 2), tlm::TLM_GENERIC_ERROR_RESPONSE);
        }
        EXPECT_EQ(b.rd(reg::CR0), 0u) << "the SMMU was not enabled";
        v = STRTAB;
        {
            test::expect_report rep("smmu: regs 8-byte write at offset 0x84: access size/alignment not supported");
            EXPECT_EQ(raw.access(true, SMMU_BASE + reg::STRTAB_BASE + 4, v, 8), tlm::TLM_GENERIC_ERROR_RESPONSE);
        }
        EXPECT_EQ(b.rd64(reg::STRTAB_BASE), 0u);
        {
            test::expect_report rep("smmu: regs read at offset 0xa8: no register there");
            EXPECT_EQ(raw.access(false, SMMU_BASE + 0xa8, v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE)
                << "the page-0 alias of EVTQ_PROD is not implemented";
        }
        // 8 bytes at CR0: CR0 and CR0ACK at once.
        EXPECT_EQ(raw.access(false, SMMU_BASE + reg::CR0, v, 8), tlm::TLM_OK_RESPONSE);
    });
}

TEST(SmmuGuest, TwoLevelStreamTableSteErrorsAreEventsNotWarnings) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        smmu_bench::setup s;
        s.two_level = true;
        s.split = 6;
        s.log2size = 8;
        b.enable(s);
        // Level-1 descriptor 0 (StreamIDs 0..63): Span 2 -> 2 STEs; descriptor 1: Span 0 (invalid).
        b.set64(STRTAB, L2TAB | 2);
        b.set64(STRTAB + 8, 0);
        b.write_ste(L2TAB, ste_bypass());
        b.write_ste(L2TAB + 64, 1 | (6ull << 1)); // Config 0b110: stage 2, not implemented
        std::uint32_t v = 0;
        EXPECT_EQ(b.read32(0, DATA, v), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(b.read32(1, DATA, v), tlm::TLM_ADDRESS_ERROR_RESPONSE) << "reserved Config";
        EXPECT_EQ(b.read32(2, DATA, v), tlm::TLM_ADDRESS_ERROR_RESPONSE) << "beyond the level-2 array";
        EXPECT_EQ(b.read32(64, DATA, v), tlm::TLM_ADDRESS_ERROR_RESPONSE) << "Span 0";
        ASSERT_EQ(b.smmu.events().size(), 3u);
        EXPECT_EQ(b.smmu.events()[0].id, C_BAD_STE);
        EXPECT_EQ(b.smmu.events()[1].id, C_BAD_STE);
        EXPECT_EQ(b.smmu.events()[2].id, C_BAD_STREAMID);
        EXPECT_EQ(b.smmu.events()[2].stream_id, 64u);
        EXPECT_EQ(b.evtq_prod(), 3u) << "all three recorded in the event queue";
        EXPECT_EQ(b.evt(0, 0) & 0xff, C_BAD_STE);
        EXPECT_EQ(b.evt(0, 0) >> 32, 1u);
    });
}

// SMMU_CR0ACK.CMDQEN follows CR0 at once (docs/models/smmuv3.md). A command the command thread fetched before
// CMDQEN was cleared is abandoned when its fetch and cmd_latency end: not executed, CMDQ_CONS not written. Software
// that saw CR0ACK.CMDQEN = 0 and reprogrammed the queue (CMDQ_CONS = 0, as every driver's reset does) keeps what it
// wrote: the architecture makes CMDQ_CONS stable once CR0ACK.CMDQEN reads 0 (the SMMU has stopped consuming
// commands). (Found while writing the soak: the old command used to complete and overwrite CMDQ_CONS.)
TEST(SmmuGuest, CmdqConsIsStableOnceCr0ackShowsTheQueueDisabled) {
    smmu_bench b;
    b.run([&](fw::hal&) {
        b.enable();
        for (unsigned i = 0; i < 16; ++i) {
            b.set64(CMDQ + 16 * i, CMD_SYNC);
            b.set64(CMDQ + 16 * i + 8, 0);
        }
        b.wr(reg::CMDQ_PROD, 16); // each command: fetch (~14 ns) + cmd_latency (20 ns)
        b.h->sleep_ns(50);
        b.wr(reg::CR0, SMMUEN | EVTQEN);
        ASSERT_EQ(b.rd(reg::CR0ACK), SMMUEN | EVTQEN) << "the queue is disabled";
        b.wr(reg::CMDQ_CONS, 0); // software resets the queue
        EXPECT_EQ(b.rd(reg::CMDQ_CONS), 0u);
        b.h->sleep_ns(1000);
        EXPECT_EQ(b.rd(reg::CMDQ_CONS), 0u) << "CMDQ_CONS changed after CR0ACK.CMDQEN read 0";
    });
}
