// Register bank: reset values, writable / read-only / W1C / privileged bits, partial writes, callbacks,
// unmapped offsets and bad access sizes.
#include "dbvp/core/regbank.h"
#include "reports.h"

#include <cstring>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <stdexcept>

using namespace dbvp;

namespace {
struct bench {
    register_bank bank{"regs", 0x40, (1u << 1) | (1u << 2) | (1u << 4) | (1u << 8)};
    reg ctrl{bank, "CTRL", 0x00, 4, 0x12340000, 0x0000ffff};
    reg status{bank, "STATUS", 0x04, 4, 0x0, 0x0};
    reg wide{bank, "WIDE", 0x08, 8, 0x1, ~0ull};
    reg locked{bank, "LOCKED", 0x10, 4, 0xaa, 0x0};
    access_ctx ctx{};

    std::uint32_t rd32(std::uint64_t off) {
        std::uint32_t v = 0;
        EXPECT_EQ(bank.access(tlm::TLM_READ_COMMAND, off, reinterpret_cast<unsigned char*>(&v), 4, ctx),
                  tlm::TLM_OK_RESPONSE);
        return v;
    }
    tlm::tlm_response_status wr(std::uint64_t off, std::uint64_t v, unsigned len) {
        return bank.access(tlm::TLM_WRITE_COMMAND, off, reinterpret_cast<unsigned char*>(&v), len, ctx);
    }
};
} // namespace

TEST(RegBank, ResetValuesAndWritableMask) {
    bench b;
    EXPECT_EQ(b.rd32(0x00), 0x12340000u);
    b.wr(0x00, 0xffffffff, 4);
    EXPECT_EQ(b.rd32(0x00), 0x1234ffffu) << "read-only upper half must keep its value";
    b.bank.reset();
    EXPECT_EQ(b.rd32(0x00), 0x12340000u);
}

TEST(RegBank, PartialWritesMergeBytes) {
    bench b;
    b.wr(0x00, 0xab, 1);
    b.wr(0x01, 0xcd, 1);
    EXPECT_EQ(b.rd32(0x00), 0x1234cdabu);
    b.wr(0x08, 0x11223344, 4);
    b.wr(0x0c, 0x55667788, 4);
    EXPECT_EQ(b.wide.get(), 0x5566778811223344ull);
    std::uint64_t v = 0;
    ASSERT_EQ(b.bank.access(tlm::TLM_READ_COMMAND, 0x08, reinterpret_cast<unsigned char*>(&v), 8, b.ctx),
              tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(v, 0x5566778811223344ull);
}

TEST(RegBank, AnAccessOverTwoRegistersReachesBoth) {
    register_bank bank{"pair", 0x10, (1u << 4) | (1u << 8)};
    reg lo{bank, "LO", 0x0, 4, 0, ~0ull};
    reg hi{bank, "HI", 0x4, 4, 0, ~0ull};
    unsigned writes = 0;
    hi.on_write([&](const reg_write&) { ++writes; });
    access_ctx ctx{};
    std::uint64_t v = 0x1122334455667788ull;
    ASSERT_EQ(bank.access(tlm::TLM_WRITE_COMMAND, 0, reinterpret_cast<unsigned char*>(&v), 8, ctx),
              tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(lo.get(), 0x55667788u);
    EXPECT_EQ(hi.get(), 0x11223344u);
    EXPECT_EQ(writes, 1u);
    hi.set(0x9abcdef0);
    v = 0;
    ASSERT_EQ(bank.access(tlm::TLM_READ_COMMAND, 0, reinterpret_cast<unsigned char*>(&v), 8, ctx),
              tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(v, 0x9abcdef055667788ull);
}

TEST(RegBank, W1cAndPrivilegedBits) {
    bench b;
    b.status.w1c(0xff);
    b.status.set(0x0f);
    b.wr(0x04, 0x03, 4);
    EXPECT_EQ(b.rd32(0x04), 0x0cu);
    b.wr(0x04, 0x00, 4);
    EXPECT_EQ(b.rd32(0x04), 0x0cu) << "writing 0 to W1C bits changes nothing";

    b.locked.privileged(0xff);
    b.wr(0x10, 0x55, 4);
    EXPECT_EQ(b.rd32(0x10), 0xaau) << "unprivileged write to a read-only register";
    b.ctx.privileged = true;
    b.wr(0x10, 0x55, 4);
    EXPECT_EQ(b.rd32(0x10), 0x55u);
}

TEST(RegBank, CallbacksSeeOldNewAndRawData) {
    bench b;
    std::uint64_t seen_old = 0, seen_new = 0, seen_data = 0;
    b.ctrl.on_write([&](const reg_write& w) {
        seen_old = w.old_value;
        seen_new = w.new_value;
        seen_data = w.data;
    });
    b.status.on_read([](const access_ctx&) { return 0xfeedu; });
    b.wr(0x00, 0xdead0001, 4);
    EXPECT_EQ(seen_old, 0x12340000u);
    EXPECT_EQ(seen_new, 0x12340001u);
    EXPECT_EQ(seen_data, 0xdead0001u);
    EXPECT_EQ(b.rd32(0x04), 0xfeedu);
}

TEST(RegBank, UnmappedOffsetIsAddressError) {
    bench b;
    test::expect_report rep("no register there");
    std::uint32_t v = 0;
    EXPECT_EQ(b.bank.access(tlm::TLM_READ_COMMAND, 0x20, reinterpret_cast<unsigned char*>(&v), 4, b.ctx),
              tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

TEST(RegBank, PartlyUnmappedWriteHasNoEffect) {
    bench b;
    test::expect_report rep("no register there");
    EXPECT_EQ(b.wr(0x10, 0xffffffffffffffffull, 8), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(b.locked.get(), 0xaau);
}

TEST(RegBank, BadSizeAndMisalignmentAreErrors) {
    bench b;
    test::expect_report rep("access size/alignment not supported", 2);
    EXPECT_EQ(b.wr(0x00, 0, 3), tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(b.wr(0x02, 0, 4), tlm::TLM_GENERIC_ERROR_RESPONSE);
}

TEST(RegBank, RazWiPolicyReadsZeroIgnoresWrites) {
    register_bank bank{"atu", 0x400, 1u << 4, register_bank::unmapped_policy::raz_wi};
    reg r{bank, "R", 0x0, 4, 0x5, ~0ull};
    access_ctx ctx{};
    std::uint32_t v = 0x11110000;
    EXPECT_EQ(bank.access(tlm::TLM_WRITE_COMMAND, 0x200, reinterpret_cast<unsigned char*>(&v), 4, ctx),
              tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(bank.access(tlm::TLM_READ_COMMAND, 0x200, reinterpret_cast<unsigned char*>(&v), 4, ctx),
              tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(v, 0u);
}

TEST(RegBank, OverlappingDeclarationIsAModelBug) {
    register_bank bank{"b", 0x10};
    reg a{bank, "A", 0x0, 8, 0, 0};
    EXPECT_THROW((reg{bank, "B", 0x4, 4, 0, 0}), std::logic_error);
    EXPECT_THROW((reg{bank, "C", 0x10, 4, 0, 0}), std::logic_error);
}

TEST(RegBank, DebugWriteSkipsCallbacksAndMasks) {
    bench b;
    bool called = false;
    b.locked.on_write([&](const reg_write&) { called = true; });
    b.ctx.debug = true;
    b.wr(0x10, 0x77, 4);
    EXPECT_FALSE(called);
    EXPECT_EQ(b.locked.get(), 0x77u);
}

TEST(Harness, UnexpectedWarningFailsTheTest) {
    EXPECT_NONFATAL_FAILURE(SC_REPORT_WARNING("dbvp/guest", "surprise"), "unexpected SystemC warning");
}
