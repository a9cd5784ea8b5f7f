// Guest mistakes on the DWC eDMA (project issue 9), directed: bad linked-list descriptors and accesses of the
// wrong size that test_edma.cpp does not cover yet. The architectural answer is the abort (CS = halted, ABORT
// status, ERR_STATUS cause, the abort IMWr when enabled, aborts() record); the warning for a descriptor that
// points nowhere is the interconnect's decode miss naming the address (the eDMA itself does not warn: the
// failure is a bus error, docs/models/dwc_edma.md).
#include "edma_bench.h"

#include <gtest/gtest.h>

using namespace dbvp;
using namespace dbvp::test;
using cause = dwc_edma::abort_cause;
using cstat = dwc_edma::channel_status;

namespace {
constexpr edma_dir WR = edma_dir::write, RD = edma_dir::read;
constexpr std::uint64_t LIST = LOCAL_BASE + 0x100000;
constexpr std::uint64_t ABORT_IMWR = HOST_BASE + 0x8000;
} // namespace

TEST(EdmaGuest, ListDataElementWithASarInAHoleAbortsWithALocalError) {
    edma_bench b;
    b.run([&] {
        b.wr64_halves(edma_reg::WR_ABORT_IMWR, ABORT_IMWR);
        b.wr32(edma_reg::WR_IMWR_DATA, 0x00001234); // channel 0: low half
        b.fill(LOCAL_BASE, 256, 1);
        b.data_element(LIST, dwc_edma::CB, 256, LOCAL_BASE, HOST_BASE);               // fine
        b.data_element(LIST + DATA_ELEMENT, dwc_edma::CB, 256, HOLE + 0x40, HOST_BASE + 0x1000); // SAR nowhere
        {
            test::expect_report miss("lbus: decode miss: read of 256 bytes at 0x40000040");
            b.start_list(WR, 0, LIST, true);
            ASSERT_TRUE(b.wait_ended(WR, 0));
            b.idle_ns(100);
        }
        EXPECT_EQ(b.cs(WR, 0), CS_HALTED);
        EXPECT_EQ(b.int_status(WR), abort_bit(0)) << "ABORT, no DONE";
        EXPECT_EQ(b.rd32(edma_reg::WR_ERR_STATUS), 1u << 0) << "local read error of channel 0";
        ASSERT_EQ(b.edma.aborts().size(), 1u);
        EXPECT_EQ(b.edma.aborts().back().cause, cause::local_error);
        EXPECT_EQ(b.edma.aborts().back().address, HOLE + 0x40);
        EXPECT_EQ(b.ch_rd64(WR, 0, edma_reg::LLP), LIST + DATA_ELEMENT) << "LLP: the element that failed";
        EXPECT_EQ(b.mismatches(HOST_BASE, 256, 1), 0u) << "the element before it was moved";
        EXPECT_EQ(b.edma.stats().blocks, 1u);
        const auto imwr = b.host.in(ABORT_IMWR, 4);
        ASSERT_EQ(imwr.size(), 1u) << "LINKED_LIST_ERR_EN: the abort IMWr";
        EXPECT_EQ(b.host.u32_of(imwr[0]), 0x1234u);
    });
}

TEST(EdmaGuest, ListDataElementWithADarInAHoleAbortsTheReadChannelWithALocalError) {
    edma_bench b;
    b.run([&] {
        b.data_element(LIST, dwc_edma::CB, 512, HOST_BASE, HOLE);
        {
            test::expect_report miss("lbus: decode miss: write of 512 bytes at 0x40000000");
            b.start_list(RD, 2, LIST);
            ASSERT_TRUE(b.wait_ended(RD, 2));
            b.idle_ns(100);
        }
        EXPECT_EQ(b.cs(RD, 2), CS_HALTED);
        EXPECT_EQ(b.int_status(RD), abort_bit(2));
        EXPECT_EQ(b.rd32(edma_reg::RD_ERR_STATUS_LOW), 1u << 2) << "local write error of channel 2";
        ASSERT_EQ(b.edma.aborts().size(), 1u);
        EXPECT_EQ(b.edma.aborts().back().cause, cause::local_error);
        EXPECT_EQ(b.edma.aborts().back().address, HOLE);
        EXPECT_TRUE(b.host.in(ABORT_IMWR, 4).empty()) << "LINKED_LIST_ERR_EN clear: no abort IMWr";
    });
}

TEST(EdmaGuest, LinkElementIntoAHoleIsAnElementFetchError) {
    edma_bench b;
    b.run([&] {
        b.link_element(LIST, dwc_edma::CB, HOLE + 0x100);
        {
            test::expect_report miss("lbus: decode miss: read of 16 bytes at 0x40000100");
            b.start_list(RD, 1, LIST);
            ASSERT_TRUE(b.wait_ended(RD, 1));
            b.idle_ns(100);
        }
        EXPECT_EQ(b.cs(RD, 1), CS_HALTED);
        EXPECT_EQ(b.rd32(edma_reg::RD_ERR_STATUS_LOW), 1u << (16 + 1)) << "element fetch error of channel 1";
        ASSERT_EQ(b.edma.aborts().size(), 1u);
        EXPECT_EQ(b.edma.aborts().back().cause, cause::element_fetch);
        EXPECT_EQ(b.edma.aborts().back().address, HOLE + 0x100);
        EXPECT_EQ(b.ch_rd64(RD, 1, edma_reg::LLP), HOLE + 0x100) << "LLP followed the link";
    });
}

TEST(EdmaGuest, DataElementRunningOffTheEndOfRamIsAnElementFetchError) {
    edma_bench b;
    b.run([&] {
        // The first 16 bytes of the element are the last of the RAM; its DAR lies beyond.
        const std::uint64_t at = LOCAL_BASE + LOCAL_SIZE - 16;
        b.put32(at, dwc_edma::CB);
        b.put32(at + 4, 64);
        b.put64(at + 8, LOCAL_BASE);
        {
            test::expect_report miss("lbus: decode miss: read of 8 bytes at 0x81000000");
            b.start_list(WR, 3, at);
            ASSERT_TRUE(b.wait_ended(WR, 3));
            b.idle_ns(100);
        }
        EXPECT_EQ(b.rd32(edma_reg::WR_ERR_STATUS), 1u << (16 + 3));
        ASSERT_EQ(b.edma.aborts().size(), 1u);
        EXPECT_EQ(b.edma.aborts().back().cause, cause::element_fetch);
        EXPECT_EQ(b.edma.aborts().back().address, at) << "the element's address";
        EXPECT_TRUE(b.host.seen.empty()) << "nothing was sent";
    });
}

TEST(EdmaGuest, ByteAndHalfwordAccessesAreRejectedAndChangeNothing) {
    edma_bench b;
    b.run([&] {
        b.wr32(edma_reg::WR_INT_MASK, 0x00ff00ff);
        {
            test::expect_report rep("edma: regs 1-byte write at offset 0x54: access size/alignment not supported");
            b.reg_write(edma_reg::WR_INT_MASK, 0, 1);
            EXPECT_EQ(b.last, tlm::TLM_GENERIC_ERROR_RESPONSE);
        }
        {
            test::expect_report rep("edma: regs 2-byte read at offset 0x56: access size/alignment not supported");
            b.reg_read(edma_reg::WR_INT_MASK + 2, 2);
            EXPECT_EQ(b.last, tlm::TLM_GENERIC_ERROR_RESPONSE);
        }
        EXPECT_EQ(b.rd32(edma_reg::WR_INT_MASK), 0x00ff00ffu);
        // A byte-wide doorbell does not start the channel.
        b.wr32(edma_reg::WR_ENGINE_EN, 1);
        b.ch_wr32(WR, 0, edma_reg::TRANSFER_SIZE, 64);
        {
            test::expect_report rep("edma: regs 1-byte write at offset 0x10: access size/alignment not supported");
            b.reg_write(edma_reg::WR_DOORBELL, 0, 1);
        }
        b.idle_ns(1000);
        EXPECT_EQ(b.edma.status(WR, 0), cstat::idle);
        EXPECT_TRUE(b.host.seen.empty());
        // A misaligned 4-byte access.
        {
            test::expect_report rep("edma: regs 4-byte write at offset 0x20a: access size/alignment not supported");
            b.reg_write(b.ch(WR, 0, edma_reg::TRANSFER_SIZE) + 2, 0xffffffff, 4);
        }
        EXPECT_EQ(b.ch_rd32(WR, 0, edma_reg::TRANSFER_SIZE), 64u);
    });
}

TEST(EdmaGuest, ContextWritesWhileTheChannelRunsAreIgnored) {
    edma_bench b;
    b.host.set_bandwidth(1e9); // 64 KiB take 64 us on the link
    b.run([&] {
        b.fill(LOCAL_BASE, 0x10000, 5);
        b.start_single(WR, 1, LOCAL_BASE, HOST_BASE, 0x10000);
        b.idle_ns(5000);
        ASSERT_EQ(b.edma.status(WR, 1), cstat::running);
        {
            test::expect_report rep("edma: WR_CH1_SAR_LOW written with 0x40000000 while the channel runs; ignored");
            b.ch_wr32(WR, 1, edma_reg::SAR, static_cast<std::uint32_t>(HOLE));
        }
        {
            test::expect_report rep("edma: WR_CH1_TRANSFER_SIZE written with 0x00000004 while the channel runs; ignored");
            b.ch_wr32(WR, 1, edma_reg::TRANSFER_SIZE, 4);
        }
        EXPECT_GT(b.ch_rd32(WR, 1, edma_reg::TRANSFER_SIZE), 4u) << "the engine's count";
        EXPECT_NE(b.ch_rd32(WR, 1, edma_reg::SAR), static_cast<std::uint32_t>(HOLE));
        ASSERT_TRUE(b.wait_ended(WR, 1));
        EXPECT_EQ(b.cs(WR, 1), CS_STOPPED);
        EXPECT_EQ(b.mismatches(HOST_BASE, 0x10000, 5), 0u) << "the block moved as programmed";
        EXPECT_TRUE(b.edma.aborts().empty());
    });
}

// A linked list of empty data elements (TRANSFER_SIZE 0, no LIE/RIE) — what a channel finds when its LLP points
// at zeroed memory with CCS = 0, or what a driver leaves behind. Such an element moves no TLP, so the channel
// cannot synchronise in move(): the data-element path synchronises itself, like the link-element path
// (sync_if_ahead), and every element fetch costs its latency. The channel stays within the global quantum of the
// kernel and sees STOP / ENGINE_EN = 0 at the next element. (Found by the GuestRandom.Edma soak, where channels
// used to take 24.6 ms of simulated time to stop after ENGINE_EN = 0: the whole list was consumed at the
// doorbell's kernel time.)
TEST(EdmaGuest, ListOfEmptyElementsStaysWithinTheQuantumAndStops) {
    edma_bench b;
    b.run([&] {
        for (unsigned i = 0; i < 4096; ++i)
            b.data_element(LIST + std::uint64_t{DATA_ELEMENT} * i, dwc_edma::CB, 0, LOCAL_BASE, HOST_BASE);
        // Each element costs two fetches (router 2 ns + RAM 10 ns each) and setup_latency (64 ns): ~360 us for all.
        b.start_list(WR, 0, LIST);
        b.idle_ns(2000);
        EXPECT_LT(b.edma.stats().blocks, 100u) << "2 us after the doorbell the channel is ~25 elements in";
        ASSERT_EQ(b.edma.status(WR, 0), cstat::running);
        b.doorbell(WR, 0, dwc_edma::DOORBELL_STOP);
        EXPECT_TRUE(b.wait_ended(WR, 0, sc_core::sc_time(2, sc_core::SC_US))) << "STOP takes effect at the next element";
        ASSERT_EQ(b.edma.aborts().size(), 1u);
        EXPECT_EQ(b.edma.aborts().back().cause, cause::stopped);
        EXPECT_EQ(b.int_status(WR), abort_bit(0));
    });
}
