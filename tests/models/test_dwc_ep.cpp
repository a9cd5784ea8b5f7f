// DWC PCIe endpoint controller: configuration space and access rules, BAR sizing per BAR type, host
// configuration requests (UR, BDF capture), inbound UR cases, reserved BARs, outbound TLPs and MSI, app glue,
// debug transport and per-hop latency. iATU programming and translation are in test_iatu.cpp.
#include "dwc_ep_bench.h"

#include <gtest/gtest.h>

using namespace dbvp;
using namespace dbvp::test;
using dbvp::pcie::bar_config;
using dbvp::pcie::bar_type;
using kind = dwc_ep::incident_kind;

namespace {
constexpr std::uint64_t MB = 1ull << 20;
constexpr std::uint64_t KB = 1ull << 10;
} // namespace

// ---- Reset values ------------------------------------------------------------------------------------------

TEST(DwcEp, ResetValuesThroughDbi) {
    ep_bench b(default_params());
    struct row {
        std::uint32_t off;
        std::uint32_t value;
        const char* what;
    };
    const row rows[] = {
        {0x00, 0xabcd16c3, "vendor/device"},
        {0x04, 0x00100000, "command/status: capabilities list"},
        {0x08, 0xff000000, "class code / revision"},
        {0x0c, 0x00000000, "header type: single function"},
        {0x10, 0x00000000, "BAR0 disabled until firmware sizes it"},
        {0x2c, 0x00000000, "subsystem IDs"},
        {0x34, 0x00000050, "capability pointer"},
        {0x3c, 0x00000100, "interrupt pin INTA"},
        {0x50, 0x008a7005, "MSI: ID 5, next 0x70, MMC 5 (32 vectors), 64-bit"},
        {0x54, 0x00000000, "MSI address low"},
        {0x58, 0x00000000, "MSI address high"},
        {0x5c, 0x00000000, "MSI data"},
        {0x70, 0x00020010, "PCIe cap: ID 0x10, next 0, version 2, endpoint"},
        {0x78, 0x00002810, "device control"},
        {0x7c, 0x00000043, "link caps: Gen3 x4"},
        {0x80, 0x10000000, "link status while the link is down"},
        {0x9c, 0x0000000e, "link caps 2: 2.5/5/8 GT/s"},
        {0x100, 0x00000000, "no extended capability without a resizable BAR"},
        {0x710, 0x00070000, "PORT_LINK_CONTROL: link capable x4"},
        {0x80c, 0x00000400, "GEN2_CTRL: 4 lanes"},
        {0x8bc, 0x00000000, "MISC_CONTROL_1"},
        {0x8f8, 0x3534302a, "PCIE_VERSION_NUMBER 5.40a"},
        {0x8fc, 0x3030302a, "PCIE_VERSION_TYPE"},
        {0x900, 0xffffffff, "PCIE_ATU_VIEWPORT: unrolled iATU"},
        {0x978, 0xffffffff, "legacy eDMA viewport DMA_CTRL: unrolled eDMA"},
    };
    b.run([&] {
        for (const row& r : rows) {
            EXPECT_EQ(b.dbi_rd(0, r.off), r.value) << r.what << " at 0x" << std::hex << r.off;
            EXPECT_EQ(b.last, tlm::TLM_OK_RESPONSE) << r.what;
        }
        EXPECT_EQ(b.cpu_read(APP_BASE + 0x0), 0u) << "APP_CTRL";
        EXPECT_EQ(b.cpu_read(APP_BASE + 0x4), 0u) << "APP_STATUS";
    });
}

TEST(DwcEp, HostConfigReadsSeeTheSameHeaderAndZeroForGaps) {
    ep_bench b(default_params());
    b.run([&] {
        EXPECT_EQ(b.cfg_rd(0, 0x00), 0xabcd16c3u);
        EXPECT_EQ(b.last_attr.status, cpl_status::sc);
        EXPECT_EQ(b.cfg_rd(0, 0x50), 0x008a7005u);
        EXPECT_EQ(b.cfg_rd(0, 0x02, 2), 0xabcdu) << "2-byte config read of the device ID";
        // Unimplemented configuration registers read as zero (no warning: enumeration probes them).
        for (std::uint32_t off : {0x40u, 0x60u, 0x100u, 0x200u, 0xffcu}) {
            EXPECT_EQ(b.cfg_rd(0, off), 0u) << std::hex << off;
            EXPECT_EQ(b.last, tlm::TLM_OK_RESPONSE);
            EXPECT_EQ(b.last_attr.status, cpl_status::sc);
        }
        EXPECT_EQ(b.cfg_rd(0, 0x900), 0u) << "port logic is not visible to configuration requests";
        EXPECT_TRUE(b.ep.incidents().empty());
    });
}

TEST(DwcEp, MultiFunctionHeaderAndPages) {
    auto p = default_params();
    p.num_functions = 2;
    ep_bench b(p);
    b.run([&] {
        EXPECT_EQ(b.dbi_rd(0, 0x0c), 0x00800000u);
        EXPECT_EQ(b.dbi_rd(1, 0x0c), 0x00800000u);
        EXPECT_EQ(b.dbi_rd(1, 0x00), 0xabcd16c3u);
        EXPECT_EQ(b.cfg_rd(1, 0x0e, 1), 0x80u) << "host sees the multi-function bit";
        test::expect_report rep("no register there");
        b.dbi_rd(1, 0x8bc);
        EXPECT_EQ(b.last, tlm::TLM_ADDRESS_ERROR_RESPONSE) << "port logic exists only in function 0's page";
    });
}

// ---- Access rules ------------------------------------------------------------------------------------------

TEST(DwcEp, ReadOnlyRegistersWritableOnlyWithDbiRoWrEn) {
    ep_bench b(default_params());
    b.run([&] {
        struct row {
            std::uint32_t off, write, before, after;
        };
        const row rows[] = {
            {0x00, 0x12345678, 0xabcd16c3, 0x12345678},                 // vendor/device
            {0x08, 0x0b400001, 0xff000000, 0x0b400001},                 // class/revision
            {0x2c, 0xbeef1234, 0x00000000, 0xbeef1234},                 // subsystem
            {0x50, 0x00040000, 0x008a7005, 0x00847005},                 // MSI MMC 5 -> 2
            {0x7c, 0x00000012, 0x00000043, 0x00000012},                 // link caps
        };
        for (const row& r : rows) {
            b.dbi_wr(0, r.off, r.write);
            EXPECT_EQ(b.dbi_rd(0, r.off), r.before) << "unprivileged DBI write to 0x" << std::hex << r.off;
        }
        b.ro_wr(true);
        for (const row& r : rows) {
            b.cfg_wr(0, r.off, r.write);
            EXPECT_EQ(b.dbi_rd(0, r.off), r.before) << "host writes are never privileged, 0x" << std::hex << r.off;
        }
        for (const row& r : rows) {
            b.dbi_wr(0, r.off, r.write);
            EXPECT_EQ(b.dbi_rd(0, r.off), r.after) << "DBI write with DBI_RO_WR_EN to 0x" << std::hex << r.off;
        }
        b.ro_wr(false);
        b.dbi_wr(0, 0x00, 0);
        EXPECT_EQ(b.dbi_rd(0, 0x00), 0x12345678u) << "read-only again once DBI_RO_WR_EN is cleared";
    });
}

TEST(DwcEp, CommandAndMsiWritableBits) {
    ep_bench b(default_params());
    b.run([&] {
        b.cfg_wr(0, 0x04, 0xffffffff);
        EXPECT_EQ(b.cfg_rd(0, 0x04), 0x00100546u) << "MEM, BUS_MASTER (+ parity/SERR/INTx disable) writable";
        b.cfg_wr(0, 0x54, 0xfee00003);
        EXPECT_EQ(b.cfg_rd(0, 0x54), 0xfee00000u) << "MSI address bits 1:0 read 0";
        b.cfg_wr(0, 0x5c, 0xffffffff);
        EXPECT_EQ(b.cfg_rd(0, 0x5c), 0x0000ffffu) << "16-bit MSI data";
        b.cfg_wr(0, 0x50, 0x00510000);
        EXPECT_EQ(b.cfg_rd(0, 0x50), 0x00db7005u) << "MSI enable + MME 5";
        {
            test::expect_report rep("Multiple Message Enable 6 exceeds Multiple Message Capable 5");
            b.cfg_wr(0, 0x50, 0x00610000);
        }
    });
}

TEST(DwcEp, DbiByteAndHalfwordAccesses) {
    ep_bench b(default_params());
    b.run([&] {
        EXPECT_EQ(b.dbi_rd(0, 0x02, 2), 0xabcdu);
        EXPECT_EQ(b.dbi_rd(0, 0x51, 1), 0x70u) << "MSI next pointer byte";
        b.dbi_wr(0, 0x04, 0x02, 1);
        EXPECT_EQ(b.dbi_rd(0, 0x04), 0x00100002u);
        b.dbi_wr(0, 0x3c, 0x0b, 1);
        EXPECT_EQ(b.dbi_rd(0, 0x3c), 0x0000010bu);
    });
}

TEST(DwcEp, UnmappedDbiOffsetIsAddressError) {
    ep_bench b(default_params());
    b.run([&] {
        test::expect_report rep("no register there", 2);
        b.dbi_rd(0, 0x40);
        EXPECT_EQ(b.last, tlm::TLM_ADDRESS_ERROR_RESPONSE);
        b.dbi_wr(0, 0x904, 1);
        EXPECT_EQ(b.last, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    });
}

TEST(DwcEp, UnmappedDbi2OffsetIsAddressError) {
    ep_bench b(default_params());
    b.run([&] {
        test::expect_report rep("no register there");
        b.dbi2_wr(0, 0x00, 1);
        EXPECT_EQ(b.last, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    });
}

TEST(DwcEp, AppAccessMustBe32Bit) {
    ep_bench b(default_params());
    b.run([&] {
        test::expect_report rep("access size/alignment not supported");
        b.cpu_read(APP_BASE + 0x4, 2);
        EXPECT_EQ(b.last, tlm::TLM_GENERIC_ERROR_RESPONSE);
    });
}

// ---- BAR sizing --------------------------------------------------------------------------------------------

namespace {
struct bar_case {
    const char* name;
    std::array<bar_config, 6> bars;
    std::function<void(ep_bench&)> firmware;
    unsigned bar;
    bool is64;
    std::uint32_t lo, hi; // read-back after the host wrote all-ones
    std::uint64_t size;
    std::uint32_t dbi2_lo; // DBI2 mask read-back
};

std::array<bar_config, 6> bars_with(unsigned n, bar_config c) {
    std::array<bar_config, 6> a{};
    a[n] = c;
    return a;
}

bar_config fixed(std::uint64_t size, bool is64 = false, bool pref = false) {
    bar_config c;
    c.type = bar_type::fixed;
    c.fixed_size = size;
    c.is64 = is64;
    c.prefetchable = pref;
    return c;
}
bar_config of_type(bar_type t) {
    bar_config c;
    c.type = t;
    return c;
}
bar_config reserved(std::uint64_t size, std::uint64_t target) {
    bar_config c;
    c.type = bar_type::reserved;
    c.fixed_size = size;
    c.reserved_target = target;
    return c;
}

void PrintTo(const bar_case& c, std::ostream* os) { *os << c.name; }

class DwcEpBarSizing : public ::testing::TestWithParam<bar_case> {};
} // namespace

TEST_P(DwcEpBarSizing, HostSizingReadBack) {
    const bar_case& c = GetParam();
    auto p = default_params();
    p.bars = c.bars;
    ep_bench b(p);
    b.run([&] {
        if (c.firmware)
            c.firmware(b);
        const std::uint32_t reg = 0x10 + 4 * c.bar;
        b.cfg_wr(0, reg, 0xffffffff);
        if (c.is64)
            b.cfg_wr(0, reg + 4, 0xffffffff);
        EXPECT_EQ(b.cfg_rd(0, reg), c.lo);
        if (c.is64) {
            EXPECT_EQ(b.cfg_rd(0, reg + 4), c.hi);
        }
        EXPECT_EQ(b.ep.bar_size(0, c.bar), c.size);
        EXPECT_EQ(b.dbi2_rd(0, reg), c.dbi2_lo);
        EXPECT_EQ(b.dbi_rd(0, reg), c.lo) << "DBI reads the same BAR register";
    });
}

INSTANTIATE_TEST_SUITE_P(
    Types, DwcEpBarSizing,
    ::testing::Values(
        bar_case{"Programmable32", {}, [](ep_bench& b) { b.configure_bar(0, 0, MB, false, false); }, 0, false,
                 0xfff00000, 0, MB, 0x000fffff},
        bar_case{"Programmable64Prefetchable", {}, [](ep_bench& b) { b.configure_bar(0, 2, 4 * MB, true, true); },
                 2, true, 0xffc0000c, 0xffffffff, 4 * MB, 0x003fffff},
        bar_case{"Programmable64Above4G", {}, [](ep_bench& b) { b.configure_bar(0, 2, 8ull << 30, true, true); }, 2,
                 true, 0x0000000c, 0xfffffffe, 8ull << 30, 0xffffffff},
        bar_case{"Fixed", bars_with(1, fixed(64 * KB)),
                 [](ep_bench& b) { b.configure_bar(0, 1, 64 * KB, false, false); }, 1, false, 0xffff0000, 0, 64 * KB,
                 0x0000ffff},
        bar_case{"Fixed64PrefetchableAtReset", bars_with(0, fixed(MB, true, true)), nullptr, 0, true, 0xfff0000c,
                 0xffffffff, MB, 0x000fffff},
        bar_case{"ResizableAfterRebarCtrl", bars_with(0, of_type(bar_type::resizable)),
                 [](ep_bench& b) {
                     b.ro_wr(true);
                     b.dbi_wr(0, 0x104, 0x70); // advertise 1, 2 and 4 MB
                     b.ro_wr(false);
                     b.cfg_wr(0, 0x108, 2u << 8); // host selects 4 MB
                 },
                 0, false, 0xffc00000, 0, 4 * MB, 0x003fffff},
        bar_case{"Reserved", bars_with(4, reserved(64 * KB, RAM_BASE)), nullptr, 4, false, 0xffff0000, 0, 64 * KB,
                 0x0000ffff},
        bar_case{"Disabled", bars_with(3, of_type(bar_type::disabled)), nullptr, 3, false, 0, 0, 0, 0},
        bar_case{"ProgrammableDisabledByFirmware", {},
                 [](ep_bench& b) {
                     b.configure_bar(0, 5, MB, false, false);
                     b.dbi2_wr(0, 0x24, 0);
                 },
                 5, false, 0, 0, 0, 0}),
    [](const ::testing::TestParamInfo<bar_case>& i) { return std::string(i.param.name); });

TEST(DwcEp, ResizableBarCapabilityLayout) {
    auto p = default_params();
    p.bars[0].type = bar_type::resizable;
    p.bars[2].type = bar_type::resizable;
    p.bars[2].is64 = true;
    ep_bench b(p);
    b.run([&] {
        EXPECT_EQ(b.dbi_rd(0, 0x100), 0x00010015u) << "REBAR ID 0x15, version 1, next 0";
        EXPECT_EQ(b.dbi_rd(0, 0x104), 0x00000010u) << "1 MB advertised";
        EXPECT_EQ(b.dbi_rd(0, 0x108), 0x00000040u) << "BAR index 0, 2 resizable BARs";
        EXPECT_EQ(b.dbi_rd(0, 0x10c), 0x00000010u);
        EXPECT_EQ(b.dbi_rd(0, 0x110), 0x00000002u) << "BAR index 2";
        EXPECT_EQ(b.ep.bar_size(0, 0), MB) << "resizable BARs are enabled at 1 MB";
        EXPECT_EQ(b.ep.bar_size(0, 2), MB);
        // Linux advertises one size by writing REBAR_CAP: the selected size follows it.
        b.ro_wr(true);
        b.dbi_wr(0, 0x10c, 1u << 15); // 2^31 bytes only
        b.ro_wr(false);
        EXPECT_EQ(b.dbi_rd(0, 0x110), 0x00000b02u) << "selected size auto-updated to 2 GB";
        EXPECT_EQ(b.ep.bar_size(0, 2), 2ull << 30);
        b.cfg_wr(0, 0x18, 0xffffffff);
        b.cfg_wr(0, 0x1c, 0xffffffff);
        EXPECT_EQ(b.cfg_rd(0, 0x18), 0x80000004u) << "64-bit resizable BAR of 2 GB";
        EXPECT_EQ(b.cfg_rd(0, 0x1c), 0xffffffffu);
        {
            test::expect_report rep("BAR size 1 is not advertised in REBAR_CAP");
            b.cfg_wr(0, 0x110, 1u << 8);
        }
        EXPECT_EQ(b.ep.bar_size(0, 2), 2 * MB) << "the size follows REBAR_CTRL even when not advertised";
    });
}

TEST(DwcEp, FixedBarMaskWriteWarnsAndKeepsSize) {
    auto p = default_params();
    p.bars[1] = fixed(64 * KB);
    ep_bench b(p);
    b.run([&] {
        {
            test::expect_report rep("fixed at 0x10000 bytes");
            b.dbi2_wr(0, 0x14, 0xfffff);
        }
        EXPECT_EQ(b.ep.bar_size(0, 1), 64 * KB);
        b.dbi2_wr(0, 0x14, 0);
        EXPECT_EQ(b.ep.bar_size(0, 1), 0u) << "the enable bit is writable";
        EXPECT_EQ(b.dbi2_rd(0, 0x14), 0x0000fffeu);
        b.dbi2_wr(0, 0x14, 1);
        EXPECT_EQ(b.ep.bar_size(0, 1), 64 * KB);
    });
}

TEST(DwcEp, ReservedBarMaskIsReadOnly) {
    auto p = default_params();
    p.bars[4] = reserved(64 * KB, RAM_BASE);
    ep_bench b(p);
    b.run([&] {
        {
            test::expect_report rep("the BAR is reserved, the write is ignored");
            b.dbi2_wr(0, 0x20, 0);
        }
        EXPECT_EQ(b.dbi2_rd(0, 0x20), 0x0000ffffu);
        EXPECT_EQ(b.ep.bar_size(0, 4), 64 * KB);
    });
}

TEST(DwcEp, BarAddressAssignmentVisibleOnBothSides) {
    ep_bench b(default_params());
    b.run([&] {
        b.configure_bar(0, 0, MB, false, false);
        b.configure_bar(0, 2, 8ull << 30, true, true);
        b.host_assign(0, 0, 0x40123456, false);
        b.host_assign(0, 2, 0x0000004200000000ull, true);
        EXPECT_EQ(b.cfg_rd(0, 0x10), 0x40100000u) << "bits below the BAR size read 0";
        EXPECT_EQ(b.ep.bar_address(0, 0), 0x40100000u);
        EXPECT_EQ(b.ep.bar_address(0, 2), 0x0000004200000000ull);
        EXPECT_EQ(b.ep.bar_address(0, 3), 0u) << "upper half of a 64-bit BAR is no BAR";
        EXPECT_EQ(b.ep.bar_size(0, 3), 0u);
        EXPECT_EQ(b.dbi_rd(0, 0x18), 0x0000000cu);
        EXPECT_EQ(b.dbi_rd(0, 0x1c), 0x00000042u);
    });
}

// ---- Configuration requests --------------------------------------------------------------------------------

TEST(DwcEp, ConfigToMissingFunctionOrDeviceIsUnsupported) {
    ep_bench b(default_params());
    b.run([&] {
        struct row {
            bool write;
            unsigned func, dev;
        };
        const row rows[] = {{false, 1, 0}, {true, 1, 0}, {false, 7, 0}, {false, 0, 1}, {true, 0, 3}};
        for (const row& r : rows) {
            if (r.write)
                b.cfg_wr(r.func, 0x04, 0x6, 4, r.dev);
            else
                EXPECT_EQ(b.cfg_rd(r.func, 0x00, 4, r.dev), 0u);
            EXPECT_EQ(b.last, tlm::TLM_ADDRESS_ERROR_RESPONSE);
            EXPECT_EQ(b.last_attr.status, cpl_status::ur);
            ASSERT_FALSE(b.ep.incidents().empty());
            const auto& i = b.last_incident();
            EXPECT_EQ(i.kind, kind::config_no_function);
            EXPECT_FALSE(i.posted) << "configuration writes are non-posted";
            EXPECT_EQ(i.function, r.func);
        }
        EXPECT_EQ(b.count(kind::config_no_function), 5u);
        EXPECT_EQ(b.ep.captured_bdf(0), make_bdf(0, 0, 0)) << "requests to others do not capture";
        EXPECT_EQ(b.cfg_rd(0, 0x04), 0x00100000u) << "function 0 unaffected";
    });
}

TEST(DwcEp, Type1ConfigAndMessagesAreNotAccepted) {
    ep_bench b(default_params());
    b.run([&] {
        b.host_access(tlm::TLM_READ_COMMAND, tlp_type::cfg_rd1, make_bdf(1, 0, 0), 0, 0, 4);
        EXPECT_EQ(b.last, tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(b.last_attr.status, cpl_status::ur);
        b.host_access(tlm::TLM_WRITE_COMMAND, tlp_type::msg, 0, 0, 0, 4);
        EXPECT_EQ(b.last, tlm::TLM_OK_RESPONSE) << "posted message dropped";
        EXPECT_EQ(b.count(kind::inbound_bad_type), 2u);
        EXPECT_TRUE(b.last_incident().posted);
    });
}

TEST(DwcEp, CapturesBusNumberFromConfigWrites) {
    auto p = default_params();
    p.num_functions = 2;
    ep_bench b(p);
    b.run([&] {
        EXPECT_EQ(b.ep.captured_bdf(1), make_bdf(0, 0, 1));
        b.cfg_rd(0, 0x00);
        EXPECT_EQ(b.ep.captured_bdf(0), make_bdf(0, 0, 0)) << "reads do not capture";
        b.host_access(tlm::TLM_WRITE_COMMAND, tlp_type::cfg_wr0, make_bdf(5, 0, 1), 0x3c, 0x0a, 4);
        EXPECT_EQ(b.ep.captured_bdf(0), make_bdf(5, 0, 0));
        EXPECT_EQ(b.ep.captured_bdf(1), make_bdf(5, 0, 1));
        b.cfg_wr(0, 0x3c, 0x0b);
        EXPECT_EQ(b.ep.captured_bdf(1), make_bdf(HOST_BUS, 0, 1)) << "every configuration write captures";
    });
}

// ---- Inbound memory requests that go nowhere --------------------------------------------------------------

TEST(DwcEp, InboundUnsupportedRequests) {
    ep_bench b(default_params());
    b.run([&] {
        b.configure_bar(0, 0, MB, false, false);
        b.host_assign(0, 0, 0x80000000, false);
        struct row {
            const char* what;
            bool write;
            std::uint64_t addr;
            kind k;
            std::int8_t bar;
        };
        const row rows[] = {
            {"read outside every BAR", false, 0x90000000, kind::inbound_no_bar, -1},
            {"write outside every BAR", true, 0x90000000, kind::inbound_no_bar, -1},
            {"read in BAR0 without a region", false, 0x80000010, kind::inbound_no_region, 0},
            {"write in BAR0 without a region", true, 0x80000010, kind::inbound_no_region, 0},
        };
        for (const row& r : rows) {
            const std::size_t before = b.ep.incidents().size();
            if (r.write) {
                b.mem_wr(r.addr, 0x1234);
                EXPECT_EQ(b.last, tlm::TLM_OK_RESPONSE) << r.what << ": posted write dropped";
                EXPECT_EQ(b.last_attr.status, cpl_status::sc) << r.what;
            } else {
                EXPECT_EQ(b.mem_rd(r.addr), 0u) << r.what;
                EXPECT_EQ(b.last, tlm::TLM_ADDRESS_ERROR_RESPONSE) << r.what;
                EXPECT_EQ(b.last_attr.status, cpl_status::ur) << r.what;
            }
            ASSERT_EQ(b.ep.incidents().size(), before + 1) << r.what;
            const auto& i = b.last_incident();
            EXPECT_EQ(i.kind, r.k) << r.what;
            EXPECT_EQ(i.posted, r.write) << r.what;
            EXPECT_EQ(i.address, r.addr) << r.what;
            EXPECT_EQ(i.bar, r.bar) << r.what;
            EXPECT_EQ(i.requester, ROOT_PORT) << r.what;
        }
        // A region now exists, but memory space decoding is off: no BAR hit.
        ASSERT_TRUE(b.map_bar(0, 0, 0, RAM_BASE));
        b.mem_wr(0x80000010, 0x1234);
        EXPECT_EQ(b.ram32(RAM_BASE + 0x10), 0x1234u);
        b.cfg_wr(0, 0x04, 0);
        b.mem_rd(0x80000010);
        EXPECT_EQ(b.last_attr.status, cpl_status::ur);
        EXPECT_EQ(b.last_incident().kind, kind::inbound_no_bar);
        EXPECT_FALSE(b.ep.translate_inbound(0x80000010).bar_hit);
        EXPECT_EQ(b.count(kind::inbound_no_bar), 3u);
        EXPECT_EQ(b.count(kind::inbound_no_region), 2u);
    });
}

TEST(DwcEp, InboundTargetErrorCompletesWithCompleterAbort) {
    ep_bench b(default_params());
    b.run([&] {
        b.configure_bar(0, 0, MB, false, false);
        b.host_assign(0, 0, 0x80000000, false);
        ASSERT_TRUE(b.map_bar(0, 0, 0, 0x20000000)); // nothing at this SoC address
        test::expect_report rep("decode miss", 2);
        b.mem_rd(0x80000020);
        EXPECT_EQ(b.last, tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(b.last_attr.status, cpl_status::ca);
        b.mem_wr(0x80000020, 1);
        EXPECT_EQ(b.last, tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(b.count(kind::inbound_target_error), 2u);
        EXPECT_EQ(b.last_incident().address, 0x80000020u);
    });
}

TEST(DwcEp, ReservedBarForwardsWithoutIatu) {
    auto p = default_params();
    p.bars[4] = reserved(64 * KB, RAM_BASE + 0x20000);
    ep_bench b(p);
    b.run([&] {
        b.host_assign(0, 4, 0x90000000, false);
        b.mem_wr(0x90000040, 0x12345678);
        EXPECT_EQ(b.last, tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(b.ram32(RAM_BASE + 0x20040), 0x12345678u);
        EXPECT_EQ(b.last_attr.bar, 4);
        EXPECT_EQ(b.last_attr.function, 0);
        b.set_ram32(RAM_BASE + 0x2fffc, 0xcafef00d);
        EXPECT_EQ(b.mem_rd(0x9000fffc), 0xcafef00du);
        const auto tr = b.ep.translate_inbound(0x90000040);
        EXPECT_TRUE(tr.bar_hit);
        EXPECT_TRUE(tr.reserved);
        EXPECT_TRUE(tr.hit);
        EXPECT_EQ(tr.region, -1);
        EXPECT_EQ(tr.bar, 4);
        EXPECT_EQ(tr.target, RAM_BASE + 0x20040);
        EXPECT_TRUE(b.ep.incidents().empty());
    });
}

// ---- Outbound ----------------------------------------------------------------------------------------------

TEST(DwcEp, OutboundTranslationCarriesCapturedRequesterId) {
    auto p = default_params();
    p.num_functions = 2;
    ep_bench b(p);
    b.run([&] {
        b.cfg_wr(1, 0x04, 0x6); // enumeration: captures bus 1
        ASSERT_TRUE(b.map_outbound(0, 0, 0x40000000, 0x10000, 0x80000000));
        ASSERT_TRUE(b.map_outbound(1, 1, 0x40010000, 0x10000, 0x0000002000000000ull));
        b.cpu_write(0x40000010, 0xdeadbeef);
        EXPECT_EQ(b.last, tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(b.cpu_read(0x40010ffc), 0x5a5a5a5au);
        EXPECT_EQ(b.last, tlm::TLM_OK_RESPONSE);
        ASSERT_EQ(b.link.seen.size(), 2u);
        const auto& w = b.link.seen[0];
        EXPECT_EQ(w.cmd, tlm::TLM_WRITE_COMMAND);
        EXPECT_EQ(w.addr, 0x80000010u);
        EXPECT_EQ(w.data, (std::vector<std::uint8_t>{0xef, 0xbe, 0xad, 0xde}));
        ASSERT_TRUE(w.has_attr);
        EXPECT_EQ(w.attr.type, tlp_type::mem_wr);
        EXPECT_TRUE(w.attr.posted);
        EXPECT_EQ(w.attr.requester_id, make_bdf(HOST_BUS, 0, 0));
        EXPECT_EQ(w.attr.function, 0);
        const auto& r = b.link.seen[1];
        EXPECT_EQ(r.cmd, tlm::TLM_READ_COMMAND);
        EXPECT_EQ(r.addr, 0x0000002000000ffcull);
        EXPECT_EQ(r.attr.type, tlp_type::mem_rd);
        EXPECT_FALSE(r.attr.posted);
        EXPECT_EQ(r.attr.requester_id, make_bdf(HOST_BUS, 0, 1));
        EXPECT_EQ(r.attr.function, 1);
        EXPECT_TRUE(b.ep.incidents().empty());
    });
}

TEST(DwcEp, MsiRaisedAsFirmwareDoesIt) {
    ep_bench b(default_params());
    b.run([&] {
        // Host enumeration programs the MSI capability.
        b.cfg_wr(0, 0x54, 0xfee00000);
        b.cfg_wr(0, 0x58, 0);
        b.cfg_wr(0, 0x5c, 0x0040);
        b.cfg_wr(0, 0x50, b.cfg_rd(0, 0x50) | (1u << 16) | (5u << 20));
        // Firmware: find the MSI capability, read address/data, map an outbound window on its page, write.
        unsigned ptr = b.dbi_rd(0, 0x34) & 0xfc;
        while (ptr && (b.dbi_rd(0, ptr) & 0xff) != 0x05)
            ptr = (b.dbi_rd(0, ptr) >> 8) & 0xfc;
        ASSERT_EQ(ptr, 0x50u);
        const std::uint32_t ctrl = b.dbi_rd(0, ptr) >> 16;
        ASSERT_TRUE(ctrl & 1);
        ASSERT_TRUE(ctrl & 0x80);
        const std::uint64_t addr = b.dbi_rd(0, ptr + 4) | (std::uint64_t{b.dbi_rd(0, ptr + 8)} << 32);
        const std::uint32_t data = b.dbi_rd(0, ptr + 0xc) & 0xffff;
        const std::uint64_t align = b.prm.min_region_size;
        const std::uint64_t page = addr & ~(align - 1);
        ASSERT_TRUE(b.map_outbound(0, 0, b.prm.addr_space_base, align, page));
        const unsigned vector = 3;
        b.cpu_write(b.prm.addr_space_base + (addr - page), data | (vector - 1));
        ASSERT_EQ(b.link.seen.size(), 1u);
        const auto& t = b.link.seen[0];
        EXPECT_EQ(t.addr, 0xfee00000u);
        EXPECT_EQ(t.data, (std::vector<std::uint8_t>{0x42, 0, 0, 0}));
        EXPECT_EQ(t.attr.type, tlp_type::mem_wr);
        EXPECT_EQ(t.attr.requester_id, make_bdf(HOST_BUS, 0, 0));
    });
}

TEST(DwcEp, OutboundMissIsDroppedOrFails) {
    ep_bench b(default_params());
    b.run([&] {
        test::expect_report rep("matches no enabled outbound iATU region", 2);
        b.cpu_write(0x40000100, 1);
        EXPECT_EQ(b.last, tlm::TLM_OK_RESPONSE) << "write dropped";
        b.cpu_read(0x40000100);
        EXPECT_EQ(b.last, tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_TRUE(b.link.seen.empty());
        ASSERT_EQ(b.count(kind::outbound_no_region), 2u);
        EXPECT_TRUE(b.ep.incidents().front().posted);
        EXPECT_EQ(b.ep.incidents().front().address, 0x40000100u);
        EXPECT_FALSE(b.last_incident().posted);
    });
}

TEST(DwcEp, OutboundLinkErrorFailsReads) {
    ep_bench b(default_params());
    b.run([&] {
        ASSERT_TRUE(b.map_outbound(0, 0, 0x40000000, 0x10000, 0x80000000));
        b.link.response = tlm::TLM_ADDRESS_ERROR_RESPONSE;
        b.link.status = cpl_status::ur;
        b.cpu_read(0x40000000);
        EXPECT_EQ(b.last, tlm::TLM_ADDRESS_ERROR_RESPONSE);
        b.cpu_write(0x40000000, 1);
        EXPECT_EQ(b.last, tlm::TLM_OK_RESPONSE) << "posted write: the CPU's write completed at the controller";
        EXPECT_EQ(b.count(kind::outbound_link_error), 2u);
        b.link.response = tlm::TLM_OK_RESPONSE;
        b.link.status = cpl_status::ca;
        b.cpu_read(0x40000000);
        EXPECT_EQ(b.last, tlm::TLM_GENERIC_ERROR_RESPONSE) << "completer abort without a TLM error";
        EXPECT_EQ(b.count(kind::outbound_link_error), 3u);
    });
}

// ---- App glue and link state -------------------------------------------------------------------------------

TEST(DwcEp, LtssmEnableAndLinkState) {
    ep_bench b(default_params());
    level_sink ltssm;
    b.ep.ltssm_enable.bind(ltssm, 0);
    b.run([&] {
        b.cpu_write(APP_BASE + 0x0, 1);
        EXPECT_EQ(ltssm.levels, std::vector<bool>{true});
        EXPECT_EQ(b.cpu_read(APP_BASE + 0x0), 1u);
        EXPECT_EQ(b.cpu_read(APP_BASE + 0x4), 0u);
        b.ep.irq_level(0, true, sc_core::SC_ZERO_TIME);
        EXPECT_EQ(b.cpu_read(APP_BASE + 0x4), 1u);
        EXPECT_EQ(b.dbi_rd(0, 0x80), 0x10430000u) << "current speed Gen3, negotiated width x4";
        EXPECT_EQ(b.cfg_rd(0, 0x80), 0x10430000u);
        b.cpu_write(APP_BASE + 0x4, 0);
        EXPECT_EQ(b.cpu_read(APP_BASE + 0x4), 1u) << "APP_STATUS is read-only";
        b.ep.irq_level(0, false, sc_core::SC_ZERO_TIME);
        EXPECT_EQ(b.cpu_read(APP_BASE + 0x4), 0u);
        EXPECT_EQ(b.dbi_rd(0, 0x80), 0x10000000u);
        b.cpu_write(APP_BASE + 0x0, 0);
        EXPECT_EQ(ltssm.levels, (std::vector<bool>{true, false}));
    });
}

// ---- Debug transport ---------------------------------------------------------------------------------------

TEST(DwcEp, DebugTransportTakesNoTimeAndRecordsNothing) {
    ep_bench b(default_params());
    b.run([&] {
        b.configure_bar(0, 0, MB, false, false);
        b.host_assign(0, 0, 0x80000000, false);
        ASSERT_TRUE(b.map_bar(0, 0, 0, RAM_BASE + 0x100000));
        ASSERT_TRUE(b.map_outbound(0, 0, 0x40000000, 0x10000, 0xfee00000));
        const sc_core::sc_time t0 = sc_core::sc_time_stamp();
        std::uint32_t v = 0;
        EXPECT_EQ(b.cpu.m.debug(tlm::TLM_READ_COMMAND, DBI_BASE + 0x00, &v, 4), 4u);
        EXPECT_EQ(v, 0xabcd16c3u);
        EXPECT_EQ(b.cpu.m.debug(tlm::TLM_READ_COMMAND, ATU_BASE + 0x100 + CTRL2, &v, 4), 4u);
        EXPECT_EQ(v, ATU_ENABLE | ATU_BAR_MODE | ATU_FUNC_MATCH);
        EXPECT_EQ(b.cpu.m.debug(tlm::TLM_READ_COMMAND, DBI_BASE + 0x40, &v, 4), 0u) << "no register, no warning";
        // Host memory write through pcie_in (with a pcie_attr) lands in RAM.
        pcie_attr a;
        a.type = tlp_type::mem_wr;
        tlm::tlm_generic_payload gp;
        std::uint32_t data = 0x600df00d;
        gp.set_command(tlm::TLM_WRITE_COMMAND);
        gp.set_address(0x80000008);
        gp.set_data_ptr(reinterpret_cast<unsigned char*>(&data));
        gp.set_data_length(4);
        gp.set_streaming_width(4);
        gp.set_extension(&a);
        EXPECT_EQ(b.host.socket->transport_dbg(gp), 4u);
        EXPECT_EQ(b.ram32(RAM_BASE + 0x100008), 0x600df00du);
        gp.set_address(0x90000000); // outside every BAR
        EXPECT_EQ(b.host.socket->transport_dbg(gp), 0u);
        gp.clear_extension(&a);
        // Outbound debug write reaches the link as a TLP.
        v = 0x11;
        EXPECT_EQ(b.cpu.m.debug(tlm::TLM_WRITE_COMMAND, 0x40000000, &v, 4), 0u) << "capture target has no debug";
        EXPECT_EQ(sc_core::sc_time_stamp(), t0);
        EXPECT_EQ(b.cpu.m.local_offset(), sc_core::SC_ZERO_TIME);
        EXPECT_TRUE(b.ep.incidents().empty());
        EXPECT_TRUE(b.link.seen.empty()) << "debug never uses b_transport";
    });
}

TEST(DwcEp, DebugWriteRederivesBarState) {
    ep_bench b(default_params());
    b.run([&] {
        std::uint32_t v = 0xfffff;
        EXPECT_EQ(b.cpu.m.debug(tlm::TLM_WRITE_COMMAND, DBI2_BASE + 0x10, &v, 4), 4u);
        EXPECT_EQ(b.ep.bar_size(0, 0), MB);
        b.cfg_wr(0, 0x10, 0xffffffff);
        EXPECT_EQ(b.cfg_rd(0, 0x10), 0xfff00000u);
    });
}

// ---- Latency per hop ---------------------------------------------------------------------------------------

TEST(DwcEp, LatencyPerHop) {
    auto p = default_params();
    p.dbi_latency = 3;
    p.inbound_latency = 7;
    p.atu_latency = 5;
    p.outbound_latency = 11;
    ep_bench b(p);
    b.run([&] {
        const sc_core::sc_time router = b.cpu_bus.cycles(2);
        b.dbi_rd(0, 0x00);
        EXPECT_EQ(b.cpu.m.last_delay(), router + b.ep.cycles(3)) << "DBI read";
        b.dbi2_wr(0, 0x10, 0xfffff);
        EXPECT_EQ(b.cpu.m.last_delay(), router + b.ep.cycles(3)) << "DBI2 write";
        b.atu_rd(true, 0, CTRL2);
        EXPECT_EQ(b.cpu.m.last_delay(), router + b.ep.cycles(3)) << "iATU read";
        b.cpu_read(APP_BASE + 4);
        EXPECT_EQ(b.cpu.m.last_delay(), router + b.ep.cycles(3)) << "APP read";

        b.host_assign(0, 0, 0x80000000, false);
        EXPECT_EQ(b.host.m.last_delay(), b.ep.cycles(7)) << "configuration request";
        ASSERT_TRUE(b.map_bar(0, 0, 0, RAM_BASE));
        b.mem_wr(0x80000000, 1);
        EXPECT_EQ(b.host.m.last_delay(),
                  b.ep.cycles(7 + 5) + b.soc.cycles(2) + b.ram.cycles(b.ram.get_params().write_latency))
            << "inbound write: receive + iATU + interconnect + RAM";
        b.mem_rd(0x80000000);
        EXPECT_EQ(b.host.m.last_delay(),
                  b.ep.cycles(7 + 5) + b.soc.cycles(2) + b.ram.cycles(b.ram.get_params().read_latency))
            << "inbound read";

        ASSERT_TRUE(b.map_outbound(0, 0, 0x40000000, 0x10000, 0x80000000));
        b.cpu_write(0x40000000, 1);
        EXPECT_EQ(b.cpu.m.last_delay(), router + b.ep.cycles(5 + 11) + b.link.latency)
            << "outbound write: interconnect + iATU + transmit + link";
        EXPECT_EQ(b.link.seen.back().time + b.cpu.m.last_delay() - sc_core::sc_time_stamp(),
                  router + b.ep.cycles(5 + 11))
            << "the TLP leaves the controller after the iATU and transmit latencies";
    });
}

TEST(DwcEp, BadParametersAreRejected) {
    auto p = default_params();
    p.bars[1].type = bar_type::fixed;
    p.bars[1].fixed_size = 0x10000;
    p.bars[1].is64 = true;
    EXPECT_THROW(dwc_ep("odd64", p), std::invalid_argument);
    p = default_params();
    p.msi_vectors = 3;
    EXPECT_THROW(dwc_ep("msi", p), std::invalid_argument);
    p = default_params();
    p.min_region_size = 0x20000;
    EXPECT_THROW(dwc_ep("align", p), std::invalid_argument);
}
