// DesignWare eDMA (v0 unrolled map): identification and register rules, single-block transfers in both
// directions (TLP sizes, 4 KiB boundaries, registers following the engine), linked lists (CB / CCS / TCB, LIE,
// RIE and the done IMWr), concurrent channels, every abort cause with its error status bits and the abort IMWr,
// interrupt masks, per-channel lines, guest mistakes, interrupt emulation (the embedded doorbell: facts 3.2),
// timing (link-bound and engine-bound transfers, register latency) and debug transport.
#include "edma_bench.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <memory>
#include <tlm_utils/tlm_quantumkeeper.h>
#include <utility>

using namespace dbvp;
using namespace dbvp::test;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;
using cause = dwc_edma::abort_cause;
using cstat = dwc_edma::channel_status;

namespace {

constexpr edma_dir WR = edma_dir::write, RD = edma_dir::read;

// Fixed places used by the tests.
constexpr std::uint64_t LIST = LOCAL_BASE + 0x10000;      // linked lists
constexpr std::uint64_t LSRC = LOCAL_BASE + 0x100000;     // local sources
constexpr std::uint64_t LDST = LOCAL_BASE + 0x400000;     // local destinations
constexpr std::uint64_t HSRC = HOST_BASE + 0x100000;      // host sources
constexpr std::uint64_t HDST = HOST_BASE + 0x400000;      // host destinations
constexpr std::uint64_t IMWR_AREA = HOST_BASE + 0xf00000; // IMWr targets

std::uint64_t src_base(edma_dir d) { return d == WR ? LSRC : HSRC; }
std::uint64_t dst_base(edma_dir d) { return d == WR ? HDST : LDST; }
/// Host side of a transfer: where its TLPs go.
std::uint64_t host_side(edma_dir d, std::uint64_t sar, std::uint64_t dar) { return d == WR ? dar : sar; }

std::uint64_t done_addr(edma_dir d) { return IMWR_AREA + (d == WR ? 0x000 : 0x100); }
std::uint64_t abort_addr(edma_dir d) { return IMWR_AREA + (d == WR ? 0x200 : 0x300); }
std::uint32_t imwr_value(edma_dir d, unsigned ch) { return (d == WR ? 0xb000u : 0xc000u) + ch; }

/// IMWr addresses of both directions and a distinct 16-bit datum per channel (even channel [15:0], odd [31:16]).
void program_imwr(edma_bench& b) {
    for (edma_dir d : {WR, RD}) {
        const dir_regs r = regs_of(d);
        b.wr64_halves(r.done_imwr, done_addr(d));
        b.wr64_halves(r.abort_imwr, abort_addr(d));
        for (unsigned k = 0; k < 4; ++k)
            b.wr32(r.imwr_data + 4 * k, (imwr_value(d, 2 * k + 1) << 16) | imwr_value(d, 2 * k));
    }
}

/// Let a few cycles pass so that level changes made with a delay have happened.
void settle(edma_bench& b) { b.idle(sc_time(1, SC_US)); }

/// The TLPs of one block: all of the right type, at most `max` bytes, none crossing 4 KiB, covering
/// [base, base + size) in order without gap or overlap.
void expect_block_tlps(const std::vector<host_target::tlp>& tlps, std::uint64_t base, std::uint64_t size,
                       bool write, unsigned max) {
    std::uint64_t next = base;
    unsigned bad_attr = 0, bad_size = 0, crossing = 0, out_of_order = 0;
    for (const auto& t : tlps) {
        bad_attr += !t.has_attr || t.type != (write ? tlp_type::mem_wr : tlp_type::mem_rd) || t.write != write ||
                    t.posted != write;
        bad_size += t.len == 0 || t.len > max;
        crossing += t.addr / 4096 != (t.addr + t.len - 1) / 4096;
        out_of_order += t.addr != next;
        next = t.end();
    }
    EXPECT_EQ(bad_attr, 0u) << "every TLP is a " << (write ? "posted MWr" : "non-posted MRd");
    EXPECT_EQ(bad_size, 0u) << "TLPs of 1.." << max << " bytes";
    EXPECT_EQ(crossing, 0u) << "no TLP crosses a 4 KiB boundary";
    EXPECT_EQ(out_of_order, 0u) << "TLPs cover the block in order";
    EXPECT_EQ(next, base + size) << "the TLPs cover the whole block";
}

std::uint64_t bytes_of(const std::vector<host_target::tlp>& tlps) {
    std::uint64_t n = 0;
    for (const auto& t : tlps)
        n += t.len;
    return n;
}

/// Index in host.seen of the first / last request touching [base, base + size); -1 when none.
long first_index(const host_target& h, std::uint64_t base, std::uint64_t size) {
    for (std::size_t i = 0; i < h.seen.size(); ++i)
        if (h.seen[i].addr < base + size && h.seen[i].end() > base)
            return static_cast<long>(i);
    return -1;
}
long last_index(const host_target& h, std::uint64_t base, std::uint64_t size) {
    long r = -1;
    for (std::size_t i = 0; i < h.seen.size(); ++i)
        if (h.seen[i].addr < base + size && h.seen[i].end() > base)
            r = static_cast<long>(i);
    return r;
}

} // namespace

// ---- Registers --------------------------------------------------------------------------------------------------

namespace {
struct count_case {
    const char* name;
    unsigned wr, rd;
};
void PrintTo(const count_case& c, std::ostream* os) { *os << c.name; }
class EdmaCounts : public ::testing::TestWithParam<count_case> {};
} // namespace

TEST_P(EdmaCounts, ResetValuesAndIdentification) {
    const count_case& c = GetParam();
    edma_bench b(bench_with(c.wr, c.rd));
    b.run([&] {
        EXPECT_EQ(b.rd32(edma_reg::CTRL) & 0x000f000fu, (c.rd << 16) | c.wr) << "WR count [3:0], RD count [19:16]";
        EXPECT_EQ(b.last, tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(b.edma.num_irqs(), 1u) << "one combined line";
        for (edma_dir d : {WR, RD}) {
            SCOPED_TRACE(dir_name(d));
            const dir_regs r = regs_of(d);
            EXPECT_EQ(b.rd32(r.engine_en), 0u);
            EXPECT_EQ(b.rd32(r.int_status), 0u);
            const unsigned count = d == WR ? c.wr : c.rd;
            for (unsigned n = 0; n < count; ++n) {
                SCOPED_TRACE("channel " + std::to_string(n));
                EXPECT_EQ(b.ch_rd32(d, n, edma_reg::CH_CONTROL1), 0u);
                EXPECT_EQ(b.ch_rd32(d, n, edma_reg::TRANSFER_SIZE), 0u);
                EXPECT_EQ(b.ch_rd64(d, n, edma_reg::SAR), 0u);
                EXPECT_EQ(b.ch_rd64(d, n, edma_reg::DAR), 0u);
                EXPECT_EQ(b.ch_rd64(d, n, edma_reg::LLP), 0u);
                EXPECT_EQ(b.last, tlm::TLM_OK_RESPONSE);
                EXPECT_EQ(b.edma.status(d, n), cstat::idle);
            }
            // The channels beyond the count are absent: their context is unmapped.
            for (unsigned n = count; n < 8; ++n) {
                SCOPED_TRACE("absent channel " + std::to_string(n));
                expect_report rep(b.who(), 2);
                b.ch_rd32(d, n, edma_reg::CH_CONTROL1);
                EXPECT_EQ(b.last, tlm::TLM_ADDRESS_ERROR_RESPONSE);
                b.ch_wr32(d, n, edma_reg::TRANSFER_SIZE, 0x100);
                EXPECT_EQ(b.last, tlm::TLM_ADDRESS_ERROR_RESPONSE);
            }
        }
    });
}

INSTANTIATE_TEST_SUITE_P(Edma, EdmaCounts,
                         ::testing::Values(count_case{"Wr8Rd8", 8, 8}, count_case{"Wr2Rd3", 2, 3},
                                           count_case{"Wr1Rd1", 1, 1}, count_case{"Wr4Rd8", 4, 8}),
                         [](const ::testing::TestParamInfo<count_case>& i) { return std::string(i.param.name); });

TEST(Edma, UnmappedOffsetsAreAddressErrorsWithAWarning) {
    edma_bench b;
    b.run([&] {
        // Past the 0x24-byte channel context, past the last channel, past the register window.
        for (std::uint32_t off : {0x224u, 0x2fcu, 0x1124u, 0x1ff0u, 0x2000u, 0x10000u}) {
            SCOPED_TRACE(off);
            expect_report rep(b.who(), 2);
            b.rd32(off);
            EXPECT_EQ(b.last, tlm::TLM_ADDRESS_ERROR_RESPONSE) << "read";
            b.wr32(off, 0xffffffff);
            EXPECT_EQ(b.last, tlm::TLM_ADDRESS_ERROR_RESPONSE) << "write";
        }
        EXPECT_EQ(b.rd32(edma_reg::WR_INT_STATUS), 0u);
        EXPECT_EQ(b.rd32(edma_reg::RD_INT_STATUS), 0u);
        EXPECT_FALSE(b.irq[0].level());
    });
}

TEST(Edma, ChannelRegistersHoldTheirValues) {
    edma_bench b;
    b.run([&] {
        for (edma_dir d : {WR, RD}) {
            SCOPED_TRACE(dir_name(d));
            for (std::uint32_t reg : {edma_reg::SAR, edma_reg::DAR, edma_reg::LLP}) {
                SCOPED_TRACE(reg);
                b.ch_wr32(d, 5, reg, 0x9abcdef0);
                b.ch_wr32(d, 5, reg + 4, 0x12345678);
                EXPECT_EQ(b.last, tlm::TLM_OK_RESPONSE);
                EXPECT_EQ(b.ch_rd32(d, 5, reg), 0x9abcdef0u) << "low half";
                EXPECT_EQ(b.ch_rd32(d, 5, reg + 4), 0x12345678u) << "high half";
            }
            b.ch_wr32(d, 5, edma_reg::TRANSFER_SIZE, 0x00abcdef);
            EXPECT_EQ(b.ch_rd32(d, 5, edma_reg::TRANSFER_SIZE), 0x00abcdefu);
            EXPECT_EQ(b.ch_rd64(d, 4, edma_reg::SAR), 0u) << "channels are independent";
            if (d == WR) {
                EXPECT_EQ(b.ch_rd64(RD, 5, edma_reg::SAR), 0u) << "write and read contexts are independent";
            }
        }
        b.wr64_halves(edma_reg::RD_ABORT_IMWR, 0x0000005566778890ull);
        EXPECT_EQ(b.rd32(edma_reg::RD_ABORT_IMWR + 4), 0x55u);
        EXPECT_EQ(b.rd32(edma_reg::RD_ABORT_IMWR), 0x66778890u);
        b.wr32(edma_reg::WR_IMWR_DATA + 12, 0x76543210);
        EXPECT_EQ(b.rd32(edma_reg::WR_IMWR_DATA + 12), 0x76543210u);
        b.wr32(edma_reg::WR_INT_MASK, 0x00ff00ff);
        EXPECT_EQ(b.rd32(edma_reg::WR_INT_MASK), 0x00ff00ffu);
        b.wr32(edma_reg::RD_LL_ERR_EN, 0x81);
        EXPECT_EQ(b.rd32(edma_reg::RD_LL_ERR_EN), 0x81u);
    });
}

// 4-byte accesses, and naturally aligned 8-byte ones; the 64-bit registers at 4-byte aligned offsets (SAR 0x0c,
// DAR 0x14, LLP 0x1c, RD_DONE_IMWR 0xcc, RD_ABORT_IMWR 0xd4) take two 4-byte accesses.
TEST(Edma, EightByteAccessesOnlyWhenNaturallyAligned) {
    edma_bench b;
    b.run([&] {
        for (std::uint32_t reg : {edma_reg::WR_DONE_IMWR, edma_reg::WR_ABORT_IMWR}) {
            SCOPED_TRACE(reg);
            b.wr64(reg, 0x0000001122334450ull + reg);
            EXPECT_EQ(b.last, tlm::TLM_OK_RESPONSE);
            EXPECT_EQ(b.rd64(reg), 0x0000001122334450ull + reg);
            EXPECT_EQ(b.last, tlm::TLM_OK_RESPONSE);
            EXPECT_EQ(b.rd32(reg), 0x22334450u + reg) << "low half";
            EXPECT_EQ(b.rd32(reg + 4), 0x11u) << "high half";
        }
        const std::uint32_t unaligned[] = {b.ch(WR, 2, edma_reg::SAR), b.ch(RD, 2, edma_reg::DAR),
                                           b.ch(WR, 7, edma_reg::LLP), edma_reg::RD_DONE_IMWR,
                                           edma_reg::RD_ABORT_IMWR};
        for (std::uint32_t off : unaligned) {
            SCOPED_TRACE(off);
            b.wr32(off, 0x01020304);
            b.wr32(off + 4, 0x05060708);
            expect_report rep(b.who(), 2);
            b.wr64(off, 0x123456789abcdef0ull);
            EXPECT_NE(b.last, tlm::TLM_OK_RESPONSE) << "write rejected";
            b.rd64(off);
            EXPECT_NE(b.last, tlm::TLM_OK_RESPONSE) << "read rejected";
            EXPECT_EQ(b.rd64_halves(off), 0x0506070801020304ull) << "the register kept its value";
        }
    });
}

TEST(Edma, RegisterAccessesCostRegLatencyCycles) {
    edma_bench_params p;
    p.edma.clock_hz = 100000000; // 10 ns
    p.edma.reg_latency = 7;
    edma_bench b(p);
    b.run([&] {
        const sc_time want(70, SC_NS);
        EXPECT_EQ(b.edma.cycles(7), want);
        struct access {
            const char* what;
            std::function<void()> go;
        };
        const access accesses[] = {
            {"32-bit read", [&] { b.rd32(edma_reg::CTRL); }},
            {"32-bit write", [&] { b.wr32(edma_reg::WR_INT_MASK, 1); }},
            {"64-bit read", [&] { b.rd64(edma_reg::WR_DONE_IMWR); }},
            {"64-bit write", [&] { b.wr64(edma_reg::WR_ABORT_IMWR, HOST_BASE); }},
        };
        for (const auto& a : accesses) {
            const sc_time t0 = sc_core::sc_time_stamp();
            a.go();
            EXPECT_EQ(b.last_delay, want) << a.what;
            EXPECT_EQ(sc_core::sc_time_stamp() - t0, want) << a.what;
        }
    });
}

TEST(Edma, DebugTransportHasNoTimeAndNoSideEffects) {
    edma_bench b;
    b.run([&] {
        b.fill(LSRC, 512, 1);
        b.start_single(WR, 0, LSRC, HDST, 512);
        ASSERT_TRUE(b.wait_line(0));
        const std::uint32_t ctrl = b.rd32(edma_reg::CTRL);
        const std::uint32_t sar = b.ch_rd32(WR, 0, edma_reg::SAR);
        const auto emulated = b.edma.stats().emulated;
        const sc_time t0 = b.cpu.m.now();

        std::uint32_t v = 0;
        EXPECT_EQ(b.cpu.m.debug(tlm::TLM_READ_COMMAND, edma_reg::CTRL, &v, 4), 4u);
        EXPECT_EQ(v, ctrl);
        EXPECT_EQ(b.cpu.m.debug(tlm::TLM_READ_COMMAND, edma_reg::WR_INT_STATUS, &v, 4), 4u);
        EXPECT_EQ(v, done_bit(0));
        EXPECT_EQ(b.cpu.m.debug(tlm::TLM_READ_COMMAND, b.ch(WR, 0, edma_reg::SAR), &v, 4), 4u);
        EXPECT_EQ(v, sar);
        EXPECT_EQ(b.cpu.m.now(), t0) << "debug reads take no time";
        b.wr64(edma_reg::WR_DONE_IMWR, 0x0000000911223344ull);
        const sc_time t1 = b.cpu.m.now();
        std::uint64_t v64 = 0;
        EXPECT_EQ(b.cpu.m.debug(tlm::TLM_READ_COMMAND, edma_reg::WR_DONE_IMWR, &v64, 8), 8u);
        EXPECT_EQ(v64, 0x0000000911223344ull);
        EXPECT_EQ(b.cpu.m.now(), t1) << "debug reads take no time";

        // Writes with side effects have none on debug: no emulated interrupt, no clear, no doorbell.
        std::uint32_t w = 0;
        b.cpu.m.debug(tlm::TLM_WRITE_COMMAND, edma_reg::RD_INT_STATUS, &w, 4);
        w = done_bit(0);
        b.cpu.m.debug(tlm::TLM_WRITE_COMMAND, edma_reg::WR_INT_CLEAR, &w, 4);
        const std::size_t tlps = b.host.seen.size();
        b.ch_wr32(RD, 1, edma_reg::TRANSFER_SIZE, 64);
        b.ch_wr64(RD, 1, edma_reg::SAR, HSRC);
        b.ch_wr64(RD, 1, edma_reg::DAR, LDST);
        b.wr32(edma_reg::RD_ENGINE_EN, 1);
        w = 1;
        b.cpu.m.debug(tlm::TLM_WRITE_COMMAND, edma_reg::RD_DOORBELL, &w, 4);
        EXPECT_EQ(b.cpu.m.local_offset(), sc_time(sc_core::SC_ZERO_TIME));
        settle(b);
        EXPECT_EQ(b.edma.stats().emulated, emulated) << "a debug write is no interrupt-emulation write";
        EXPECT_EQ(b.rd32(edma_reg::WR_INT_STATUS), done_bit(0)) << "a debug write clears nothing";
        EXPECT_TRUE(b.irq[0].level());
        EXPECT_EQ(b.host.seen.size(), tlps) << "a debug doorbell starts nothing";
        EXPECT_EQ(b.edma.status(RD, 1), cstat::idle);
        // The emulation latch was not set: clearing DONE drops the line.
        b.wr32(edma_reg::WR_INT_CLEAR, done_bit(0));
        EXPECT_TRUE(b.wait_line(0, false, sc_time(1, SC_US)));
        EXPECT_EQ(b.irq[0].rises(), 1u);
    });
}

// ---- Single block ---------------------------------------------------------------------------------------------

namespace {
struct block_case {
    const char* name;
    edma_dir dir;
    unsigned ch;
    std::uint32_t size;
    std::uint64_t src_off, dst_off;
    unsigned max_tlp; // max_payload (write) or max_read_request (read)
};
void PrintTo(const block_case& c, std::ostream* os) { *os << c.name; }
class EdmaSingleBlock : public ::testing::TestWithParam<block_case> {};
} // namespace

TEST_P(EdmaSingleBlock, MovesTheBlockInTlpsAndSignalsDone) {
    const block_case& c = GetParam();
    edma_bench_params p;
    (c.dir == WR ? p.edma.max_payload : p.edma.max_read_request) = c.max_tlp;
    edma_bench b(p);
    b.run([&] {
        const std::uint64_t sar = src_base(c.dir) + c.src_off, dar = dst_base(c.dir) + c.dst_off;
        b.fill(sar, c.size, 3);
        *b.at(dar - 1) = 0xa5;
        *b.at(dar + c.size) = 0x5a;
        const sc_time t0 = b.start_single(c.dir, c.ch, sar, dar, c.size);
        ASSERT_TRUE(b.wait_line(0)) << "DONE interrupt";
        settle(b);

        EXPECT_EQ(b.mismatches(dar, c.size, 3), 0u) << "data arrived";
        EXPECT_EQ(b.byte(dar - 1), 0xa5) << "nothing written before the block";
        EXPECT_EQ(b.byte(dar + c.size), 0x5a) << "nothing written after the block";
        const std::uint64_t hs = host_side(c.dir, sar, dar);
        const auto tlps = b.host.in(hs, c.size);
        EXPECT_EQ(tlps.size(), b.host.seen.size()) << "no other TLP (no IMWr without RIE)";
        expect_block_tlps(tlps, hs, c.size, c.dir == WR, c.max_tlp);
        EXPECT_EQ(b.host.stray, 0u);
        ASSERT_FALSE(tlps.empty());
        EXPECT_GE(tlps.front().time, t0);
        EXPECT_GE(b.irq[0].rise_after(), tlps.back().time) << "DONE after the last TLP";

        const edma_dir other = c.dir == WR ? RD : WR;
        EXPECT_EQ(b.int_status(c.dir), done_bit(c.ch));
        EXPECT_EQ(b.int_status(other), 0u);
        EXPECT_EQ(b.cs(c.dir, c.ch), CS_STOPPED);
        EXPECT_EQ(b.edma.status(c.dir, c.ch), cstat::stopped);
        EXPECT_EQ(b.ch_rd32(c.dir, c.ch, edma_reg::TRANSFER_SIZE), 0u) << "counted down";
        EXPECT_EQ(b.ch_rd64(c.dir, c.ch, edma_reg::SAR), sar + c.size) << "SAR advanced";
        EXPECT_EQ(b.ch_rd64(c.dir, c.ch, edma_reg::DAR), dar + c.size) << "DAR advanced";
        const auto& s = b.edma.stats();
        EXPECT_EQ(s.blocks, 1u);
        EXPECT_EQ(c.dir == WR ? s.bytes_written : s.bytes_read, c.size);
        EXPECT_EQ(c.dir == WR ? s.bytes_read : s.bytes_written, 0u);
        EXPECT_EQ(s.tlps, tlps.size());
        EXPECT_EQ(s.imwr, 0u);
        EXPECT_TRUE(b.edma.aborts().empty());

        b.wr32(regs_of(c.dir).int_clear, done_bit(c.ch));
        EXPECT_TRUE(b.wait_line(0, false, sc_time(1, SC_US))) << "clearing DONE drops the line";
        EXPECT_EQ(b.int_status(c.dir), 0u);
        EXPECT_EQ(b.irq[0].rises(), 1u);
    });
}

INSTANTIATE_TEST_SUITE_P(
    Edma, EdmaSingleBlock,
    ::testing::Values(block_case{"WriteAligned4K", WR, 0, 4096, 0, 0, 256},
                      block_case{"WriteUnaligned", WR, 3, 10007, 0x13, 0xf85, 128},
                      block_case{"WriteOneByteAtPageEnd", WR, 7, 1, 5, 0xfff, 256},
                      block_case{"WriteMps4096SplitsAt4K", WR, 1, 3 * 4096 + 100, 4, 0x800, 4096},
                      block_case{"WriteMps512Crossing", WR, 6, 2000, 0x100, 0xf10, 512},
                      block_case{"ReadAligned", RD, 0, 8192, 0, 0, 512},
                      block_case{"ReadUnaligned", RD, 5, 9001, 0xff1, 0x7, 128},
                      block_case{"ReadMrrs4096SplitsAt4K", RD, 2, 20000, 0x10, 0xc00, 4096},
                      block_case{"ReadOneByte", RD, 7, 1, 0xfff, 3, 512}),
    [](const ::testing::TestParamInfo<block_case>& i) { return std::string(i.param.name); });

TEST(Edma, DoneImwrCarriesTheChannelsHalfOfImwrData) {
    // Write channels 0 (even: [15:0] of WR_CH01_IMWR_DATA) and 3 (odd: [31:16] of WR_CH23), read channels 2 and 7.
    struct imwr_case {
        edma_dir dir;
        unsigned ch;
    };
    edma_bench b;
    b.run([&] {
        program_imwr(b);
        for (const imwr_case& c : {imwr_case{WR, 0}, imwr_case{WR, 3}, imwr_case{RD, 2}, imwr_case{RD, 7}}) {
            SCOPED_TRACE(std::string(dir_name(c.dir)) + " channel " + std::to_string(c.ch));
            b.host.seen.clear();
            const std::uint64_t sar = src_base(c.dir), dar = dst_base(c.dir);
            b.fill(sar, 300, c.ch);
            b.start_single(c.dir, c.ch, sar, dar, 300, dwc_edma::RIE);
            ASSERT_TRUE(b.wait_line(0));
            settle(b);
            EXPECT_EQ(b.mismatches(dar, 300, c.ch), 0u);
            const auto imwr = b.host.in(done_addr(c.dir), 4);
            ASSERT_EQ(imwr.size(), 1u) << "one done IMWr";
            EXPECT_EQ(imwr[0].addr, done_addr(c.dir));
            EXPECT_EQ(imwr[0].len, 4u);
            EXPECT_TRUE(imwr[0].write);
            EXPECT_EQ(imwr[0].type, tlp_type::mem_wr);
            EXPECT_EQ(b.host.u32_of(imwr[0]), imwr_value(c.dir, c.ch));
            EXPECT_EQ(last_index(b.host, done_addr(c.dir), 4), static_cast<long>(b.host.seen.size()) - 1)
                << "the IMWr follows the data";
            EXPECT_TRUE(b.host.in(abort_addr(c.dir), 4).empty()) << "no abort IMWr";
            EXPECT_EQ(b.int_status(c.dir), done_bit(c.ch)) << "DONE is set as well";
            b.wr32(regs_of(c.dir).int_clear, done_bit(c.ch));
            ASSERT_TRUE(b.wait_line(0, false, sc_time(1, SC_US)));
        }
        EXPECT_EQ(b.edma.stats().imwr, 4u);
    });
}

// ---- Linked lists ---------------------------------------------------------------------------------------------

namespace {
struct list_case {
    const char* name;
    edma_dir dir;
    unsigned ch;
};
void PrintTo(const list_case& c, std::ostream* os) { *os << c.name; }
class EdmaList : public ::testing::TestWithParam<list_case> {};

constexpr std::uint32_t CB = dwc_edma::CB, TCB = dwc_edma::TCB, LIE = dwc_edma::LIE, RIE = dwc_edma::RIE;

struct element {
    std::uint32_t control;
    std::uint32_t size;
    std::uint64_t sar, dar;
};
/// Elements at LIST, then a link element (control `link`) back to LIST. The address of the link element.
std::uint64_t write_list(edma_bench& b, const std::vector<element>& els, std::uint32_t link) {
    std::uint64_t a = LIST;
    for (const auto& e : els) {
        b.data_element(a, e.control, e.size, e.sar, e.dar);
        a += DATA_ELEMENT;
    }
    b.link_element(a, link, LIST);
    return a;
}
/// Three elements of different sizes; RIE on the middle one, LIE on the last.
std::vector<element> three_elements(edma_dir d, std::uint32_t cb) {
    const std::uint64_t s = src_base(d), t = dst_base(d);
    return {{cb, 1000, s, t},
            {cb | RIE, 3000, s + 0x10000, t + 0x10000 + 3},
            {cb | LIE, 4096 + 17, s + 0x20011, t + 0x20000}};
}
} // namespace

TEST_P(EdmaList, MovesElementsUntilTheCycleBitNoLongerMatches) {
    const list_case& c = GetParam();
    edma_bench b;
    b.run([&] {
        program_imwr(b);
        const auto els = three_elements(c.dir, CB);
        for (unsigned i = 0; i < els.size(); ++i)
            b.fill(els[i].sar, els[i].size, 10 + i);
        write_list(b, els, CB | TCB);
        const sc_time t0 = b.start_list(c.dir, c.ch, LIST);
        ASSERT_TRUE(b.wait_line(0)) << "LIE on the last element";
        ASSERT_TRUE(b.wait_ended(c.dir, c.ch)) << "the channel stops at the first element after the TCB toggle";
        settle(b);

        for (unsigned i = 0; i < els.size(); ++i) {
            SCOPED_TRACE("element " + std::to_string(i));
            EXPECT_EQ(b.mismatches(els[i].dar, els[i].size, 10 + i), 0u);
            const std::uint64_t hs = host_side(c.dir, els[i].sar, els[i].dar);
            const auto tlps = b.host.in(hs, els[i].size);
            expect_block_tlps(tlps, hs, els[i].size, c.dir == WR, c.dir == WR ? 256 : 512);
        }
        EXPECT_EQ(b.int_status(c.dir), done_bit(c.ch)) << "DONE once, from LIE";
        EXPECT_EQ(b.irq[0].rises(), 1u);
        EXPECT_EQ(b.edma.stats().blocks, 3u) << "every element moved once";
        EXPECT_EQ(b.cs(c.dir, c.ch), CS_STOPPED);
        EXPECT_EQ(b.edma.status(c.dir, c.ch), cstat::stopped);
        EXPECT_EQ(b.ch_rd64(c.dir, c.ch, edma_reg::LLP), LIST) << "LLP: the element it stopped at";
        EXPECT_TRUE(b.edma.aborts().empty());

        // RIE on the middle element: one done IMWr, after its data and before the next element's.
        const auto imwr = b.host.in(done_addr(c.dir), 4);
        ASSERT_EQ(imwr.size(), 1u);
        EXPECT_EQ(imwr[0].len, 4u);
        EXPECT_EQ(imwr[0].type, tlp_type::mem_wr);
        EXPECT_EQ(b.host.u32_of(imwr[0]), imwr_value(c.dir, c.ch));
        const long at = first_index(b.host, done_addr(c.dir), 4);
        EXPECT_GT(at, last_index(b.host, host_side(c.dir, els[1].sar, els[1].dar), els[1].size));
        EXPECT_LT(at, first_index(b.host, host_side(c.dir, els[2].sar, els[2].dar), els[2].size));
        EXPECT_GE(imwr[0].time, t0);

        // The next chunk, as Linux writes it: CB toggled, only the doorbell (CCS and LLP carry on).
        b.wr32(regs_of(c.dir).int_clear, done_bit(c.ch));
        ASSERT_TRUE(b.wait_line(0, false, sc_time(1, SC_US)));
        const element next{LIE, 777, src_base(c.dir) + 0x30000, dst_base(c.dir) + 0x30000};
        b.fill(next.sar, next.size, 20);
        write_list(b, {next}, TCB);
        b.doorbell(c.dir, c.ch);
        ASSERT_TRUE(b.wait_line(0)) << "second chunk done";
        ASSERT_TRUE(b.wait_for(
            [&] { return b.edma.stats().blocks == 4 && b.edma.status(c.dir, c.ch) == cstat::stopped; }));
        EXPECT_EQ(b.mismatches(next.dar, next.size, 20), 0u);
        EXPECT_EQ(b.edma.stats().blocks, 4u);
        EXPECT_EQ(b.int_status(c.dir), done_bit(c.ch));
        EXPECT_EQ(b.ch_rd64(c.dir, c.ch, edma_reg::LLP), LIST);
    });
}

INSTANTIATE_TEST_SUITE_P(Edma, EdmaList,
                         ::testing::Values(list_case{"WriteChannel1", WR, 1}, list_case{"ReadChannel2", RD, 2}),
                         [](const ::testing::TestParamInfo<list_case>& i) { return std::string(i.param.name); });

TEST(Edma, ListEndsWithoutInterruptAtAnElementWithTheOtherCycleBit) {
    edma_bench b;
    b.run([&] {
        const std::uint64_t e1 = LIST + DATA_ELEMENT;
        b.fill(LSRC, 2048, 4);
        b.data_element(LIST, CB, 2048, LSRC, HDST);
        b.data_element(e1, 0, 512, LSRC + 0x10000, HDST + 0x10000); // CB = 0: not yet produced
        b.link_element(e1 + DATA_ELEMENT, CB | TCB, LIST);
        b.start_list(WR, 4, LIST);
        ASSERT_TRUE(b.wait_ended(WR, 4));
        settle(b);
        EXPECT_EQ(b.mismatches(HDST, 2048, 4), 0u);
        EXPECT_TRUE(b.host.in(HDST + 0x10000, 512).empty()) << "the element with CB != CCS is not moved";
        EXPECT_EQ(b.irq[0].rises(), 0u) << "no interrupt of its own";
        EXPECT_EQ(b.int_status(WR), 0u);
        EXPECT_EQ(b.cs(WR, 4), CS_STOPPED);
        EXPECT_EQ(b.ch_rd64(WR, 4, edma_reg::LLP), e1);
        EXPECT_EQ(b.edma.stats().blocks, 1u);
    });
}

// ---- Concurrency ----------------------------------------------------------------------------------------------

TEST(Edma, ChannelsRunConcurrentlyAndTheirTlpsInterleave) {
    edma_bench b;
    b.host.set_bandwidth(2e9);
    b.run([&] {
        struct job {
            edma_dir dir;
            unsigned ch;
            std::uint64_t sar, dar;
        };
        constexpr std::uint32_t size = 32 * 1024;
        const job jobs[] = {{WR, 0, LSRC, HDST},
                            {WR, 1, LSRC + 0x10000, HDST + 0x10000},
                            {RD, 0, HSRC, LDST},
                            {RD, 1, HSRC + 0x10000, LDST + 0x10000}};
        for (unsigned i = 0; i < 4; ++i) {
            b.fill(jobs[i].sar, size, 30 + i);
            b.ch_wr32(jobs[i].dir, jobs[i].ch, edma_reg::TRANSFER_SIZE, size);
            b.ch_wr64(jobs[i].dir, jobs[i].ch, edma_reg::SAR, jobs[i].sar);
            b.ch_wr64(jobs[i].dir, jobs[i].ch, edma_reg::DAR, jobs[i].dar);
            b.ch_wr32(jobs[i].dir, jobs[i].ch, edma_reg::CH_CONTROL1, 0);
        }
        b.wr32(edma_reg::WR_ENGINE_EN, 1);
        b.wr32(edma_reg::RD_ENGINE_EN, 1);
        for (const auto& j : jobs)
            b.doorbell(j.dir, j.ch);
        ASSERT_TRUE(b.wait_for([&] { return b.edma.stats().blocks == 4; })) << "all four blocks complete";
        settle(b);
        EXPECT_EQ(b.int_status(WR), done_bit(0) | done_bit(1));
        EXPECT_EQ(b.int_status(RD), done_bit(0) | done_bit(1));
        struct span {
            sc_time first, last;
        };
        std::vector<span> spans;
        for (unsigned i = 0; i < 4; ++i) {
            SCOPED_TRACE(i);
            EXPECT_EQ(b.mismatches(jobs[i].dar, size, 30 + i), 0u);
            const std::uint64_t hs = host_side(jobs[i].dir, jobs[i].sar, jobs[i].dar);
            const auto tlps = b.host.in(hs, size);
            expect_block_tlps(tlps, hs, size, jobs[i].dir == WR, jobs[i].dir == WR ? 256 : 512);
            ASSERT_FALSE(tlps.empty());
            spans.push_back({tlps.front().time, tlps.back().time});
        }
        for (unsigned i = 0; i < 4; ++i)
            for (unsigned k = i + 1; k < 4; ++k)
                EXPECT_TRUE(spans[i].first < spans[k].last && spans[k].first < spans[i].last)
                    << "jobs " << i << " and " << k << " overlap in time (first/last TLP " << spans[i].first << ".."
                    << spans[i].last << " vs " << spans[k].first << ".." << spans[k].last << ")";
    });
}

// ---- Aborts ---------------------------------------------------------------------------------------------------

namespace {
class EdmaStop : public ::testing::TestWithParam<edma_dir> {};
std::string dir_param_name(const ::testing::TestParamInfo<edma_dir>& i) {
    return i.param == WR ? "Write" : "Read";
}
} // namespace

TEST_P(EdmaStop, DoorbellStopBitAbortsARunningChannel) {
    const edma_dir d = GetParam();
    edma_bench b;
    b.host.set_bandwidth(1e9); // 1 MiB: about 1 ms
    b.run([&] {
        constexpr unsigned ch = 2;
        constexpr std::uint32_t size = 1 << 20;
        const std::uint64_t sar = src_base(d), dar = dst_base(d);
        b.fill(sar, size, 5);
        const sc_time t0 = b.start_single(d, ch, sar, dar, size);
        b.idle(sc_time(20, SC_US));
        EXPECT_EQ(b.cs(d, ch), CS_RUNNING);
        EXPECT_EQ(b.edma.status(d, ch), cstat::running);
        const sc_time t_stop = b.doorbell(d, ch, dwc_edma::DOORBELL_STOP);
        ASSERT_TRUE(b.wait_line(0)) << "ABORT interrupt";
        settle(b);

        EXPECT_EQ(b.int_status(d), abort_bit(ch)) << "ABORT, no DONE";
        EXPECT_EQ(b.cs(d, ch), CS_STOPPED) << "STOP leaves CS = 3 (docs/models/dwc_edma.md)";
        EXPECT_EQ(b.edma.status(d, ch), cstat::stopped);
        ASSERT_EQ(b.edma.aborts().size(), 1u);
        const auto& a = b.edma.aborts().front();
        EXPECT_EQ(a.cause, cause::stopped);
        EXPECT_EQ(a.dir, d);
        EXPECT_EQ(a.channel, ch);
        EXPECT_GE(a.time, t_stop);
        EXPECT_LT(a.time, t0 + sc_time(size, SC_NS)) << "the channel stops before the block would have ended";

        const std::uint32_t left = b.ch_rd32(d, ch, edma_reg::TRANSFER_SIZE);
        const std::uint64_t moved = size - left;
        EXPECT_GT(left, 0u);
        EXPECT_GT(moved, 0u);
        EXPECT_EQ(b.ch_rd64(d, ch, edma_reg::SAR), sar + moved);
        EXPECT_EQ(b.ch_rd64(d, ch, edma_reg::DAR), dar + moved);
        EXPECT_EQ(b.mismatches(dar, moved, 5), 0u) << "what moved is right";
        const std::uint64_t hs = host_side(d, sar, dar);
        if (d == WR) {
            EXPECT_EQ(bytes_of(b.host.in(hs, size)), moved) << "the host saw exactly what the registers say";
        } else {
            EXPECT_LT(bytes_of(b.host.in(hs, size)), size);
        }
        EXPECT_TRUE(b.host.in(IMWR_AREA, 0x400).empty()) << "no IMWr without RIE";

        // Clear ABORT; the halted channel runs again.
        b.wr32(regs_of(d).int_clear, abort_bit(ch));
        ASSERT_TRUE(b.wait_line(0, false, sc_time(1, SC_US)));
        b.fill(sar + 0x200000, 256, 6);
        b.start_single(d, ch, sar + 0x200000, dar + 0x200000, 256);
        ASSERT_TRUE(b.wait_line(0));
        settle(b);
        EXPECT_EQ(b.int_status(d), done_bit(ch));
        EXPECT_EQ(b.mismatches(dar + 0x200000, 256, 6), 0u);
        EXPECT_EQ(b.cs(d, ch), CS_STOPPED);
    });
}

TEST_P(EdmaStop, EngineDisabledWhileRunningAborts) {
    const edma_dir d = GetParam();
    edma_bench b;
    b.host.set_bandwidth(1e9);
    b.run([&] {
        expect_report optional(b.who(), 0);
        constexpr std::uint32_t size = 1 << 20;
        b.fill(src_base(d), size, 7);
        const sc_time t0 = b.start_single(d, 1, src_base(d), dst_base(d), size);
        b.idle(sc_time(20, SC_US));
        b.wr32(regs_of(d).engine_en, 0);
        ASSERT_TRUE(b.wait_line(0));
        settle(b);
        EXPECT_EQ(b.int_status(d), abort_bit(1)) << "ABORT, no DONE";
        EXPECT_EQ(b.cs(d, 1), CS_HALTED);
        ASSERT_EQ(b.edma.aborts().size(), 1u);
        EXPECT_EQ(b.edma.aborts().front().cause, cause::engine_disabled);
        EXPECT_EQ(b.edma.aborts().front().channel, 1u);
        EXPECT_EQ(b.edma.aborts().front().dir, d);
        EXPECT_LT(b.edma.aborts().front().time, t0 + sc_time(size, SC_NS));
        EXPECT_GT(b.ch_rd32(d, 1, edma_reg::TRANSFER_SIZE), 0u);
    });
}

INSTANTIATE_TEST_SUITE_P(Edma, EdmaStop, ::testing::Values(WR, RD), dir_param_name);

namespace {
enum class fault { local, ur, ca, fetch };
struct abort_case {
    const char* name;
    edma_dir dir;
    unsigned ch;
    fault kind;
    bool imwr;              // RIE (single block) or LINKED_LIST_ERR_EN bit n (list)
    std::uint32_t err_reg;  // error status register that records the cause
    std::uint32_t err_bits; // its exact value
    cause why;
};
void PrintTo(const abort_case& c, std::ostream* os) { *os << c.name; }
class EdmaAbort : public ::testing::TestWithParam<abort_case> {};
} // namespace

TEST_P(EdmaAbort, ErrorAbortsWithStatusCauseAndOptionalImwr) {
    const abort_case& c = GetParam();
    edma_bench b;
    b.run([&] {
        expect_report optional(b.who(), 0); // the eDMA may report the failure; it need not
        program_imwr(b);
        constexpr std::uint32_t size = 4096;
        std::uint64_t sar = src_base(c.dir), dar = dst_base(c.dir), want_addr = HOLE;
        if (c.kind == fault::local)
            (c.dir == WR ? sar : dar) = HOLE;
        if (c.kind == fault::ur || c.kind == fault::ca) {
            b.host.fail_reads(sar + 2048, 2048, c.kind == fault::ur ? cpl_status::ur : cpl_status::ca);
            want_addr = sar + 2048;
        }
        {
            std::unique_ptr<expect_report> miss;
            if (c.kind == fault::local || c.kind == fault::fetch)
                miss = std::make_unique<expect_report>("decode miss");
            if (c.kind == fault::fetch)
                b.start_list(c.dir, c.ch, HOLE, c.imwr);
            else
                b.start_single(c.dir, c.ch, sar, dar, size, c.imwr ? dwc_edma::RIE : 0);
            ASSERT_TRUE(b.wait_line(0)) << "ABORT interrupt";
            ASSERT_TRUE(b.wait_ended(c.dir, c.ch));
            settle(b);
        }
        EXPECT_EQ(b.int_status(c.dir), abort_bit(c.ch)) << "ABORT, no DONE";
        EXPECT_EQ(b.rd32(c.err_reg), c.err_bits) << "error status";
        const std::uint32_t others[] = {edma_reg::WR_ERR_STATUS, edma_reg::RD_ERR_STATUS_LOW,
                                        edma_reg::RD_ERR_STATUS_HIGH};
        for (std::uint32_t r : others) {
            if (r != c.err_reg) {
                EXPECT_EQ(b.rd32(r), 0u) << "error status 0x" << std::hex << r;
            }
        }
        EXPECT_EQ(b.cs(c.dir, c.ch), CS_HALTED);
        EXPECT_EQ(b.edma.status(c.dir, c.ch), cstat::halted);
        ASSERT_EQ(b.edma.aborts().size(), 1u);
        const auto& a = b.edma.aborts().front();
        EXPECT_EQ(a.cause, c.why);
        EXPECT_EQ(a.dir, c.dir);
        EXPECT_EQ(a.channel, c.ch);
        if (c.kind == fault::ur || c.kind == fault::ca) {
            EXPECT_GE(a.address, want_addr) << "the first failing read";
            EXPECT_LT(a.address, want_addr + 2048);
        } else {
            EXPECT_EQ(a.address, want_addr);
        }
        const auto imwr = b.host.in(abort_addr(c.dir), 4);
        if (c.imwr) {
            ASSERT_EQ(imwr.size(), 1u) << "abort IMWr";
            EXPECT_EQ(imwr[0].len, 4u);
            EXPECT_EQ(imwr[0].type, tlp_type::mem_wr);
            EXPECT_EQ(b.host.u32_of(imwr[0]), imwr_value(c.dir, c.ch));
        } else {
            EXPECT_TRUE(imwr.empty()) << "no abort IMWr when not enabled";
        }
        EXPECT_TRUE(b.host.in(done_addr(c.dir), 4).empty()) << "no done IMWr";
        EXPECT_EQ(b.edma.stats().blocks, 0u);

        b.wr32(regs_of(c.dir).int_clear, abort_bit(c.ch));
        EXPECT_TRUE(b.wait_line(0, false, sc_time(1, SC_US)));

        // The halted channel runs again; its error status bits clear at the doorbell.
        b.fill(src_base(c.dir), 64, 2);
        b.start_single(c.dir, c.ch, src_base(c.dir), dst_base(c.dir), 64);
        ASSERT_TRUE(b.wait_line(0));
        settle(b);
        EXPECT_EQ(b.int_status(c.dir), done_bit(c.ch));
        EXPECT_EQ(b.rd32(c.err_reg), 0u);
        EXPECT_EQ(b.mismatches(dst_base(c.dir), 64, 2), 0u);
    });
}

INSTANTIATE_TEST_SUITE_P(
    Edma, EdmaAbort,
    ::testing::Values(
        abort_case{"WriteLocalError", WR, 1, fault::local, false, edma_reg::WR_ERR_STATUS, 1u << 1, cause::local_error},
        abort_case{"WriteLocalErrorRie", WR, 1, fault::local, true, edma_reg::WR_ERR_STATUS, 1u << 1,
                   cause::local_error},
        abort_case{"ReadLocalError", RD, 2, fault::local, false, edma_reg::RD_ERR_STATUS_LOW, 1u << 2,
                   cause::local_error},
        abort_case{"ReadUr", RD, 3, fault::ur, false, edma_reg::RD_ERR_STATUS_HIGH, 1u << 3, cause::remote_ur},
        abort_case{"ReadUrRie", RD, 3, fault::ur, true, edma_reg::RD_ERR_STATUS_HIGH, 1u << 3, cause::remote_ur},
        abort_case{"ReadCa", RD, 4, fault::ca, false, edma_reg::RD_ERR_STATUS_HIGH, 1u << 12, cause::remote_ca},
        abort_case{"WriteFetch", WR, 5, fault::fetch, false, edma_reg::WR_ERR_STATUS, 1u << 21,
                   cause::element_fetch},
        abort_case{"WriteFetchLlErrEn", WR, 5, fault::fetch, true, edma_reg::WR_ERR_STATUS, 1u << 21,
                   cause::element_fetch},
        abort_case{"ReadFetch", RD, 6, fault::fetch, false, edma_reg::RD_ERR_STATUS_LOW, 1u << 22,
                   cause::element_fetch},
        abort_case{"ReadFetchLlErrEn", RD, 7, fault::fetch, true, edma_reg::RD_ERR_STATUS_LOW, 1u << 23,
                   cause::element_fetch}),
    [](const ::testing::TestParamInfo<abort_case>& i) { return std::string(i.param.name); });

// ---- Interrupt masks and lines --------------------------------------------------------------------------------

namespace {
class EdmaMask : public ::testing::TestWithParam<edma_dir> {};
} // namespace

TEST_P(EdmaMask, MaskedBitsAreSetButKeepTheLineLow) {
    const edma_dir d = GetParam();
    edma_bench b;
    b.host.set_bandwidth(1e9);
    b.run([&] {
        const dir_regs r = regs_of(d);
        // DONE masked.
        b.wr32(r.int_mask, done_bit(6));
        b.fill(src_base(d), 1024, 8);
        b.start_single(d, 6, src_base(d), dst_base(d), 1024);
        ASSERT_TRUE(b.wait_ended(d, 6));
        settle(b);
        EXPECT_EQ(b.int_status(d), done_bit(6)) << "status is set";
        EXPECT_EQ(b.irq[0].rises(), 0u) << "the line stays low";
        b.wr32(r.int_mask, 0);
        EXPECT_TRUE(b.wait_line(0, true, sc_time(1, SC_US))) << "unmasking raises it";
        b.wr32(r.int_mask, done_bit(6));
        EXPECT_TRUE(b.wait_line(0, false, sc_time(1, SC_US))) << "masking again lowers it";
        b.wr32(r.int_mask, 0);
        EXPECT_TRUE(b.wait_line(0, true, sc_time(1, SC_US)));
        b.wr32(r.int_clear, done_bit(6));
        EXPECT_TRUE(b.wait_line(0, false, sc_time(1, SC_US)));

        // ABORT (a local bus error) masked (bit 16 + n); the DONE mask bit of the same channel does not mask it.
        b.wr32(r.int_mask, abort_bit(6));
        {
            expect_report optional(b.who(), 0);
            expect_report miss("decode miss");
            b.start_single(d, 6, d == WR ? HOLE : src_base(d), d == WR ? dst_base(d) : HOLE, 1024);
            ASSERT_TRUE(b.wait_for([&] { return b.edma.status(d, 6) != cstat::stopped; }));
            ASSERT_TRUE(b.wait_ended(d, 6));
            settle(b);
        }
        EXPECT_EQ(b.int_status(d), abort_bit(6));
        EXPECT_FALSE(b.irq[0].level());
        EXPECT_EQ(b.irq[0].rises(), 2u);
        b.wr32(r.int_mask, done_bit(6));
        EXPECT_TRUE(b.wait_line(0, true, sc_time(1, SC_US)));
        b.wr32(r.int_clear, abort_bit(6));
        EXPECT_TRUE(b.wait_line(0, false, sc_time(1, SC_US)));
    });
}

INSTANTIATE_TEST_SUITE_P(Edma, EdmaMask, ::testing::Values(WR, RD), dir_param_name);

TEST(Edma, PerChannelLines) {
    edma_bench b(bench_with(3, 2, true));
    b.run([&] {
        ASSERT_EQ(b.edma.num_irqs(), 5u);
        for (unsigned n = 0; n < 3; ++n)
            EXPECT_EQ(b.edma.irq_of(WR, n), n);
        for (unsigned n = 0; n < 2; ++n)
            EXPECT_EQ(b.edma.irq_of(RD, n), 3 + n);
        auto levels = [&] {
            std::string s;
            for (unsigned i = 0; i < 5; ++i)
                s += b.irq[i].level() ? '1' : '0';
            return s;
        };
        b.fill(LSRC, 512, 1);
        b.start_single(WR, 1, LSRC, HDST, 512);
        ASSERT_TRUE(b.wait_line(1));
        settle(b);
        EXPECT_EQ(levels(), "01000");
        b.fill(HSRC, 512, 2);
        b.start_single(RD, 1, HSRC, LDST, 512);
        ASSERT_TRUE(b.wait_line(4));
        settle(b);
        EXPECT_EQ(levels(), "01001");
        b.wr32(edma_reg::WR_INT_CLEAR, done_bit(1));
        settle(b);
        EXPECT_EQ(levels(), "00001");
        b.wr32(edma_reg::RD_INT_CLEAR, done_bit(1));
        settle(b);
        EXPECT_EQ(levels(), "00000");
    });
}

TEST(Edma, CombinedLineServesEveryChannel) {
    edma_bench b;
    b.run([&] {
        ASSERT_EQ(b.edma.num_irqs(), 1u);
        for (unsigned n = 0; n < 8; ++n) {
            EXPECT_EQ(b.edma.irq_of(WR, n), 0u);
            EXPECT_EQ(b.edma.irq_of(RD, n), 0u);
        }
        b.fill(HSRC, 64, 1);
        b.start_single(RD, 7, HSRC, LDST, 64);
        ASSERT_TRUE(b.wait_line(0));
        b.fill(LSRC, 64, 2);
        b.start_single(WR, 5, LSRC, HDST, 64);
        ASSERT_TRUE(b.wait_ended(WR, 5));
        settle(b);
        b.wr32(edma_reg::RD_INT_CLEAR, done_bit(7));
        settle(b);
        EXPECT_TRUE(b.irq[0].level()) << "write channel 5 still holds the line";
        b.wr32(edma_reg::WR_INT_CLEAR, done_bit(5));
        EXPECT_TRUE(b.wait_line(0, false, sc_time(1, SC_US)));
        EXPECT_EQ(b.irq[0].rises(), 1u);
    });
}

// ---- Guest mistakes -------------------------------------------------------------------------------------------

TEST(Edma, DoorbellWhileTheEngineIsDisabledIsIgnored) {
    edma_bench b;
    b.run([&] {
        for (edma_dir d : {WR, RD}) {
            SCOPED_TRACE(dir_name(d));
            b.ch_wr32(d, 0, edma_reg::TRANSFER_SIZE, 256);
            b.ch_wr64(d, 0, edma_reg::SAR, src_base(d));
            b.ch_wr64(d, 0, edma_reg::DAR, dst_base(d));
            b.ch_wr32(d, 0, edma_reg::CH_CONTROL1, 0);
            {
                expect_report rep(b.who());
                b.doorbell(d, 0);
                b.idle(sc_time(20, SC_US));
                EXPECT_EQ(rep.count(), 1u);
            }
            EXPECT_EQ(b.edma.status(d, 0), cstat::idle);
            EXPECT_EQ(b.ch_rd32(d, 0, edma_reg::TRANSFER_SIZE), 256u);
        }
        EXPECT_TRUE(b.host.seen.empty());
        EXPECT_EQ(b.irq[0].rises(), 0u);
        EXPECT_EQ(b.edma.stats().blocks, 0u);
    });
}

TEST(Edma, DoorbellOfAChannelBeyondTheCountIsIgnored) {
    edma_bench b(bench_with(2, 3));
    b.run([&] {
        b.wr32(edma_reg::WR_ENGINE_EN, 1);
        b.wr32(edma_reg::RD_ENGINE_EN, 1);
        for (const auto& [d, n] : {std::pair{WR, 2u}, std::pair{WR, 7u}, std::pair{RD, 3u}, std::pair{RD, 5u}}) {
            SCOPED_TRACE(std::string(dir_name(d)) + " channel " + std::to_string(n));
            expect_report rep(b.who());
            b.doorbell(d, n);
            b.idle(sc_time(5, SC_US));
            EXPECT_EQ(rep.count(), 1u);
        }
        EXPECT_TRUE(b.host.seen.empty());
        EXPECT_EQ(b.irq[0].rises(), 0u);
        EXPECT_EQ(b.edma.stats().blocks, 0u);
        EXPECT_EQ(b.int_status(WR), 0u);
        EXPECT_EQ(b.int_status(RD), 0u);
    });
}

TEST(Edma, DoorbellOfARunningChannelIsIgnored) {
    edma_bench b;
    b.host.set_bandwidth(1e9);
    b.run([&] {
        for (edma_dir d : {WR, RD}) {
            SCOPED_TRACE(dir_name(d));
            constexpr std::uint32_t size = 64 * 1024;
            b.fill(src_base(d), size, 11);
            b.start_single(d, 3, src_base(d), dst_base(d), size);
            b.idle(sc_time(10, SC_US));
            ASSERT_EQ(b.edma.status(d, 3), cstat::running);
            {
                expect_report rep(b.who());
                b.doorbell(d, 3);
                EXPECT_EQ(rep.count(), 1u);
            }
            ASSERT_TRUE(b.wait_line(0));
            ASSERT_TRUE(b.wait_ended(d, 3));
            b.idle(sc_time(100, SC_US));
            EXPECT_EQ(b.mismatches(dst_base(d), size, 11), 0u);
            EXPECT_EQ(bytes_of(b.host.in(host_side(d, src_base(d), dst_base(d)), size)), size) << "moved once";
            EXPECT_EQ(b.int_status(d), done_bit(3));
            EXPECT_EQ(b.cs(d, 3), CS_STOPPED);
            b.wr32(regs_of(d).int_clear, done_bit(3));
            ASSERT_TRUE(b.wait_line(0, false, sc_time(1, SC_US)));
            b.host.seen.clear();
        }
        EXPECT_EQ(b.edma.stats().blocks, 2u);
        EXPECT_EQ(b.irq[0].rises(), 2u);
    });
}

// ---- Interrupt emulation (the embedded doorbell) --------------------------------------------------------------

namespace {
class EdmaEmulation : public ::testing::TestWithParam<edma_dir> {};
/// The Linux de-assert: a zero write to both INT_CLEAR registers.
void ack_emulated(edma_bench& b) {
    b.wr32(edma_reg::WR_INT_CLEAR, 0);
    b.wr32(edma_reg::RD_INT_CLEAR, 0);
}
} // namespace

TEST_P(EdmaEmulation, AnyWriteToIntStatusRaisesTheLineWithoutStatus) {
    const edma_dir d = GetParam();
    edma_bench b;
    b.run([&] {
        const std::uint32_t reg = regs_of(d).int_status; // 0x0a0 (the Linux doorbell) or 0x04c
        unsigned k = 0;
        for (std::uint32_t v : {0u, 0xffffffffu, 0x12345678u, 0x00ff00ffu}) {
            SCOPED_TRACE(v);
            ++k;
            b.wr32(reg, v);
            EXPECT_EQ(b.last, tlm::TLM_OK_RESPONSE);
            EXPECT_TRUE(b.wait_line(0, true, sc_time(1, SC_US))) << "the write asserts the line";
            settle(b);
            EXPECT_TRUE(b.irq[0].level()) << "and it stays asserted";
            EXPECT_EQ(b.rd32(edma_reg::WR_INT_STATUS), 0u) << "no status bit changes";
            EXPECT_EQ(b.rd32(edma_reg::RD_INT_STATUS), 0u) << "no status bit changes";
            EXPECT_EQ(b.edma.stats().emulated, k);
            ack_emulated(b);
            EXPECT_TRUE(b.wait_line(0, false, sc_time(1, SC_US))) << "zero writes to INT_CLEAR drop it";
            EXPECT_EQ(b.irq[0].rises(), k);
        }
        EXPECT_TRUE(b.host.seen.empty());
        EXPECT_EQ(b.edma.stats().blocks, 0u);
        EXPECT_TRUE(b.edma.aborts().empty());
    });
}

INSTANTIATE_TEST_SUITE_P(Edma, EdmaEmulation, ::testing::Values(RD, WR), dir_param_name);

TEST(EdmaEmulationRules, IntMaskDoesNotGateIt) {
    edma_bench b;
    b.run([&] {
        b.wr32(edma_reg::WR_INT_MASK, 0x00ff00ff); // Linux "off"
        b.wr32(edma_reg::RD_INT_MASK, 0x00ff00ff);
        b.wr32(edma_reg::RD_INT_STATUS, 0);
        EXPECT_TRUE(b.wait_line(0, true, sc_time(1, SC_US)));
        ack_emulated(b);
        EXPECT_TRUE(b.wait_line(0, false, sc_time(1, SC_US)));
        b.wr32(edma_reg::WR_INT_STATUS, 0);
        EXPECT_TRUE(b.wait_line(0, true, sc_time(1, SC_US)));
        ack_emulated(b);
        EXPECT_TRUE(b.wait_line(0, false, sc_time(1, SC_US)));
    });
}

TEST(EdmaEmulationRules, ZeroClearLeavesARealDoneAlone) {
    edma_bench b;
    b.run([&] {
        b.fill(LSRC, 256, 1);
        b.start_single(WR, 0, LSRC, HDST, 256);
        ASSERT_TRUE(b.wait_line(0));
        b.wr32(edma_reg::RD_INT_STATUS, 0); // emulated kick on top of a real DONE
        settle(b);
        EXPECT_TRUE(b.irq[0].level());
        ack_emulated(b);
        settle(b);
        EXPECT_TRUE(b.irq[0].level()) << "DONE still holds the line";
        EXPECT_EQ(b.rd32(edma_reg::WR_INT_STATUS), done_bit(0)) << "the zero write is a no-op for DONE";
        EXPECT_EQ(b.rd32(edma_reg::RD_INT_STATUS), 0u);
        b.wr32(edma_reg::WR_INT_CLEAR, done_bit(0));
        EXPECT_TRUE(b.wait_line(0, false, sc_time(1, SC_US)));
        EXPECT_EQ(b.irq[0].seen.size(), 2u) << "one rise, one fall";
        EXPECT_EQ(b.rd32(edma_reg::WR_INT_STATUS), 0u);
    });
}

TEST(EdmaEmulationRules, LatchesArePerDirection) {
    edma_bench b;
    b.run([&] {
        // Set through RD_INT_STATUS: only RD_INT_CLEAR clears it.
        b.wr32(edma_reg::RD_INT_STATUS, 0);
        EXPECT_TRUE(b.wait_line(0, true, sc_time(1, SC_US)));
        b.wr32(edma_reg::WR_INT_CLEAR, 0);
        settle(b);
        EXPECT_TRUE(b.irq[0].level()) << "WR_INT_CLEAR does not clear the read latch";
        b.wr32(edma_reg::RD_INT_CLEAR, 0);
        EXPECT_TRUE(b.wait_line(0, false, sc_time(1, SC_US)));
        // And the other way round.
        b.wr32(edma_reg::WR_INT_STATUS, 0x1);
        EXPECT_TRUE(b.wait_line(0, true, sc_time(1, SC_US)));
        b.wr32(edma_reg::RD_INT_CLEAR, 0);
        settle(b);
        EXPECT_TRUE(b.irq[0].level()) << "RD_INT_CLEAR does not clear the write latch";
        b.wr32(edma_reg::WR_INT_CLEAR, 0);
        EXPECT_TRUE(b.wait_line(0, false, sc_time(1, SC_US)));
        // A real read DONE plus the write latch: clearing the DONE bit clears the read latch only.
        b.fill(HSRC, 128, 3);
        b.start_single(RD, 2, HSRC, LDST, 128);
        ASSERT_TRUE(b.wait_line(0));
        b.wr32(edma_reg::WR_INT_STATUS, 0);
        b.wr32(edma_reg::RD_INT_CLEAR, done_bit(2));
        settle(b);
        EXPECT_EQ(b.rd32(edma_reg::RD_INT_STATUS), 0u);
        EXPECT_TRUE(b.irq[0].level()) << "the write latch still holds the line";
        b.wr32(edma_reg::WR_INT_CLEAR, 0);
        EXPECT_TRUE(b.wait_line(0, false, sc_time(1, SC_US)));
    });
}

TEST(EdmaEmulationRules, RealAndEmulatedShareTheCombinedLine) {
    edma_bench b;
    b.run([&] {
        b.wr32(edma_reg::RD_INT_STATUS, 0);
        ASSERT_TRUE(b.wait_line(0, true, sc_time(1, SC_US))) << "emulated kick on irq(0)";
        ack_emulated(b);
        ASSERT_TRUE(b.wait_line(0, false, sc_time(1, SC_US)));
        b.fill(HSRC, 128, 4);
        b.start_single(RD, 3, HSRC, LDST, 128);
        ASSERT_TRUE(b.wait_line(0)) << "real DONE on irq(0)";
        b.wr32(edma_reg::RD_INT_STATUS, 0);
        settle(b);
        EXPECT_EQ(b.irq[0].rises(), 2u) << "the kick on a high line makes no edge";
        EXPECT_EQ(b.rd32(edma_reg::RD_INT_STATUS), done_bit(3));
        b.wr32(edma_reg::RD_INT_CLEAR, done_bit(3)); // clears DONE and the read latch
        EXPECT_TRUE(b.wait_line(0, false, sc_time(1, SC_US)));
    });
}

TEST(EdmaEmulationRules, PerChannelLinesDriveChannelZeroOfTheDirection) {
    edma_bench b(bench_with(4, 4, true));
    b.run([&] {
        ASSERT_EQ(b.edma.num_irqs(), 8u);
        const unsigned wr0 = b.edma.irq_of(WR, 0), rd0 = b.edma.irq_of(RD, 0);
        EXPECT_EQ(wr0, 0u);
        EXPECT_EQ(rd0, 4u);
        auto levels = [&] {
            std::string s;
            for (unsigned i = 0; i < 8; ++i)
                s += b.irq[i].level() ? '1' : '0';
            return s;
        };
        b.wr32(edma_reg::RD_INT_STATUS, 0);
        settle(b);
        EXPECT_EQ(levels(), "00001000") << "RD_INT_STATUS drives read channel 0's line";
        b.wr32(edma_reg::WR_INT_STATUS, 0);
        settle(b);
        EXPECT_EQ(levels(), "10001000") << "WR_INT_STATUS drives write channel 0's line";
        b.wr32(edma_reg::RD_INT_CLEAR, 0);
        settle(b);
        EXPECT_EQ(levels(), "10000000");
        b.wr32(edma_reg::WR_INT_CLEAR, 0);
        settle(b);
        EXPECT_EQ(levels(), "00000000");
        // The real DONE of read channel 0 shares that line.
        b.fill(HSRC, 128, 5);
        b.start_single(RD, 0, HSRC, LDST, 128);
        ASSERT_TRUE(b.wait_line(rd0));
        b.wr32(edma_reg::RD_INT_STATUS, 0);
        ack_emulated(b);
        settle(b);
        EXPECT_EQ(levels(), "00001000") << "DONE still holds it";
        b.wr32(edma_reg::RD_INT_CLEAR, done_bit(0));
        settle(b);
        EXPECT_EQ(levels(), "00000000");
        EXPECT_EQ(b.irq[rd0].rises(), 2u);
    });
}

// ---- Timing ---------------------------------------------------------------------------------------------------

namespace {
class EdmaTiming : public ::testing::TestWithParam<edma_dir> {};
} // namespace

TEST_P(EdmaTiming, LongTransferRunsAtTheLinkRate) {
    const edma_dir d = GetParam();
    edma_bench_params p;
    p.ram.read_latency = 100; // 100 ns per local access: the stages would add up to far more than the link
    p.ram.write_latency = 100;
    edma_bench b(p);
    b.host.set_bandwidth(1e9); // 1 byte per ns
    b.run([&] {
        constexpr std::uint32_t size = 64 * 1024;
        b.fill(src_base(d), size, 12);
        const sc_time t0 = b.start_single(d, 0, src_base(d), dst_base(d), size);
        ASSERT_TRUE(b.wait_line(0));
        const sc_time took = b.irq[0].rise_after() - t0;
        const sc_time link(size, SC_NS);
        EXPECT_GE(took, link) << "not faster than the link";
        EXPECT_LE(took, link * 1.03 + sc_time(2, SC_US)) << "overlapped: about size / bandwidth";
        EXPECT_EQ(b.mismatches(dst_base(d), size, 12), 0u);
    });
}

INSTANTIATE_TEST_SUITE_P(Edma, EdmaTiming, ::testing::Values(WR, RD), dir_param_name);

// docs/models/dwc_edma.md: "the channel thread runs ahead of the kernel by at most the global quantum"; the header:
// "the next local access overlaps the previous TLP". A link-bound 1 MiB transfer: no TLP may be issued further
// ahead of the kernel than that (the host sees delay = time ahead), and MWrs leave at the link's pace.
TEST_P(EdmaTiming, ChannelStaysWithinTheGlobalQuantum) {
    const edma_dir d = GetParam();
    edma_bench b;
    b.host.set_bandwidth(1e9);
    b.run([&] {
        constexpr std::uint32_t size = 1 << 20;
        const sc_time quantum = tlm_utils::tlm_quantumkeeper::get_global_quantum();
        b.fill(src_base(d), size, 14);
        b.start_single(d, 0, src_base(d), dst_base(d), size);
        ASSERT_TRUE(b.wait_line(0));
        EXPECT_EQ(b.mismatches(dst_base(d), size, 14), 0u);
        const auto tlps = b.host.in(host_side(d, src_base(d), dst_base(d)), size);
        ASSERT_GT(tlps.size(), 2u);
        sc_time worst = sc_core::SC_ZERO_TIME;
        for (const auto& t : tlps)
            worst = std::max(worst, t.ahead);
        EXPECT_LE(worst, quantum * 2.0) << "how far a TLP was issued ahead of the kernel (quantum " << quantum
                                        << ")";
        if (d == WR) {
            const sc_time per_tlp = (tlps.back().time - tlps.front().time) / static_cast<double>(tlps.size() - 1);
            EXPECT_GE(per_tlp, sc_time(256, SC_NS) * 0.97) << "256-byte MWrs at 1 byte/ns leave one link slot apart";
        }
    });
}

TEST(EdmaTimingEngine, SlowEngineIsTheBottleneck) {
    edma_bench_params p;
    p.edma.clock_hz = 10000000; // 100 ns
    p.edma.bytes_per_cycle = 1;
    edma_bench b(p);
    b.host.set_bandwidth(1e9);
    b.run([&] {
        constexpr std::uint32_t size = 16 * 1024;
        b.fill(LSRC, size, 13);
        const sc_time t0 = b.start_single(WR, 0, LSRC, HDST, size);
        ASSERT_TRUE(b.wait_line(0));
        const sc_time took = b.irq[0].rise_after() - t0;
        const sc_time engine = b.edma.cycles(size); // one cycle per byte
        EXPECT_GE(took, engine) << "not faster than the engine";
        EXPECT_LE(took, engine * 1.03 + b.edma.cycles(p.edma.setup_latency + 20)) << "engine-bound";
        EXPECT_EQ(b.mismatches(HDST, size, 13), 0u);
        // TLPs leave one engine slot apart (256 cycles per 256-byte TLP).
        const auto tlps = b.host.in(HDST, size);
        ASSERT_GE(tlps.size(), 3u);
        const sc_time gap = tlps[2].time - tlps[1].time;
        EXPECT_GE(gap, b.edma.cycles(256));
        EXPECT_LE(gap, b.edma.cycles(256) * 1.01);
    });
}
