// RID -> StreamID / DeviceID glue: fixed maps and the i.MX95 LUT programmed by the firmware driver.
#include "dbvp/bus/router.h"
#include "dbvp/core/master.h"
#include "dbvp/core/sideband.h"
#include "dbvp/fw/imx95_lut.h"
#include "dbvp/mem/memory.h"
#include "dbvp/pcie/sid_glue.h"
#include "dbvp/platform/native_cpu.h"
#include "reports.h"

#include <functional>
#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

using namespace dbvp;
using pcie::sid_glue;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

namespace {

constexpr std::uint64_t LUT_BASE = 0x4c000000;

/// Records the IDs of every request that leaves the glue.
struct capture : sc_core::sc_module {
    tlm_utils::simple_target_socket<capture> socket{"socket"};
    std::vector<pcie_attr> seen;
    explicit capture(sc_core::sc_module_name n) : sc_module(n) {
        socket.register_b_transport(this, &capture::b_transport);
    }
    void b_transport(tlm::tlm_generic_payload& p, sc_time&) {
        if (const pcie_attr* a = attr_of(p))
            seen.push_back(*a);
        p.set_response_status(tlm::TLM_OK_RESPONSE);
    }
};

/// A device sending writes with a given requester ID (after the firmware is done).
struct device : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<device> socket{"socket"};
    master m{socket};
    std::vector<std::uint16_t> rids;
    sc_time start = sc_time(50, SC_US);
    sc_time last_delay;
    explicit device(sc_core::sc_module_name n) : sc_module(n) {
        SC_HAS_PROCESS(device);
        SC_THREAD(run);
    }
    void run() {
        wait(start);
        for (std::uint16_t rid : rids) {
            pcie_attr a;
            a.type = tlp_type::mem_wr;
            a.posted = true;
            a.requester_id = rid;
            std::uint32_t v = 0;
            m.write(0x1000, &v, 4, &a);
            last_delay = m.last_delay();
        }
    }
};

struct bench {
    sid_glue glue;
    capture cap{"cap"};
    device dev{"dev"};
    router bus{"bus", router::params{}};
    memory ram{"ram", memory::params{}};
    platform::native_cpu cpu{"cpu", platform::native_cpu::params{}, nullptr};

    explicit bench(const sid_glue::params& p) : glue("glue", p) {
        dev.socket.bind(glue.in);
        glue.out.bind(cap.socket);
        cpu.bus.bind(bus.in);
        bus.out.bind(ram.socket);
        bus.out.bind(glue.regs);
        bus.map(0, 0x1000, ram.size(), "ram");
        bus.map(1, LUT_BASE, p.regs_size, "lut");
    }
};

sid_glue::params lut_params() {
    sid_glue::params p;
    p.type = sid_glue::kind::lut;
    p.controller_id = 1;
    p.default_sid = 0;
    return p;
}

} // namespace

TEST(SidGlue, DefaultMapIsTheIdentity) {
    bench b(sid_glue::params{});
    b.dev.rids = {0x0000, 0x0108, 0xffff};
    sc_core::sc_start(sc_time(100, SC_US));
    ASSERT_EQ(b.cap.seen.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_TRUE(b.cap.seen[i].has_stream_id);
        EXPECT_TRUE(b.cap.seen[i].has_device_id);
        EXPECT_EQ(b.cap.seen[i].stream_id, b.dev.rids[i]);
        EXPECT_EQ(b.cap.seen[i].device_id, b.dev.rids[i]);
    }
}

TEST(SidGlue, MapEntriesOffsetsAndGaps) {
    sid_glue::params p;
    p.stream_map = {{0x0100, 0x40, 0x100}};
    p.device_map = {{0x0100, 0x800, 0x8}, {0x0000, 0x10, 0x1}};
    bench b(p);
    b.dev.rids = {0x0000, 0x0103, 0x0180, 0x0200};
    sc_core::sc_start(sc_time(100, SC_US));
    ASSERT_EQ(b.cap.seen.size(), 4u);
    EXPECT_FALSE(b.cap.seen[0].has_stream_id);
    EXPECT_TRUE(b.cap.seen[0].has_device_id);
    EXPECT_EQ(b.cap.seen[0].device_id, 0x10u);
    EXPECT_EQ(b.cap.seen[1].stream_id, 0x43u);
    EXPECT_EQ(b.cap.seen[1].device_id, 0x803u);
    EXPECT_EQ(b.cap.seen[2].stream_id, 0xc0u);
    EXPECT_FALSE(b.cap.seen[2].has_device_id) << "0x180 is outside the 8-entry device map";
    EXPECT_FALSE(b.cap.seen[3].has_stream_id);
    EXPECT_FALSE(b.cap.seen[3].has_device_id);
}

TEST(SidGlue, RidMaskAppliesBeforeTheMap) {
    sid_glue::params p;
    p.rid_mask = 0x00ff; // only device/function count
    bench b(p);
    b.dev.rids = {0x0305};
    sc_core::sc_start(sc_time(100, SC_US));
    ASSERT_EQ(b.cap.seen.size(), 1u);
    EXPECT_EQ(b.cap.seen[0].stream_id, 0x05u);
}

TEST(SidGlue, LutProgrammedByTheDriverMatchesWithMask) {
    bench b(lut_params());
    fw::status added, again;
    std::uint32_t d1 = 0, d2 = 0;
    b.cpu.set_firmware([&](fw::hal& h) {
        fw::imx95_lut_driver lut(h, LUT_BASE);
        added = lut.add(0x0000, fw::imx95_lut_driver::ep_mask, 0x10); // EP mode: as Linux does for RID 0
        again = lut.add(0x0000, fw::imx95_lut_driver::ep_mask, 0x11); // duplicate: left as it is
        h.write32(LUT_BASE + fw::imx95_lut_driver::ACSCTRL, fw::imx95_lut_driver::RWA | 0);
        d1 = h.read32(LUT_BASE + fw::imx95_lut_driver::DATA1);
        d2 = h.read32(LUT_BASE + fw::imx95_lut_driver::DATA2);
    });
    // 00:00.0 and 00:01.0 and 05:00.0 differ only outside the mask; 00:00.1 differs inside it.
    b.dev.rids = {0x0000, 0x0008, 0x0500, 0x0001};
    sc_core::sc_start(sc_time(100, SC_US));
    EXPECT_TRUE(added) << added.message();
    EXPECT_TRUE(again) << again.message();
    EXPECT_EQ(d1, 0x80000010u);
    EXPECT_EQ(d2, 0x00000007u);
    ASSERT_EQ(b.cap.seen.size(), 4u);
    const std::uint32_t hit = (1u << 6) | 0x10, miss = (1u << 6) | 0x00;
    EXPECT_EQ(b.cap.seen[0].stream_id, hit);
    EXPECT_EQ(b.cap.seen[1].stream_id, hit);
    EXPECT_EQ(b.cap.seen[2].stream_id, hit);
    EXPECT_EQ(b.cap.seen[3].stream_id, miss) << "no entry covers function 1: the default SID with the controller ID";
    EXPECT_EQ(b.cap.seen[3].device_id, miss);
    EXPECT_EQ(b.glue.lookup(0x0000).lut_entry, 0);
    EXPECT_EQ(b.glue.lookup(0x0001).lut_entry, -1);
}

TEST(SidGlue, LutFullRemoveAndLowestEntryWins) {
    bench b(lut_params());
    std::vector<fw::status> adds;
    fw::status full, removed, removed_again;
    b.cpu.set_firmware([&](fw::hal& h) {
        fw::imx95_lut_driver lut(h, LUT_BASE);
        for (unsigned i = 0; i < 32; ++i)
            adds.push_back(lut.add(static_cast<std::uint16_t>(0x100 + i), 0xffff, i));
        full = lut.add(0x0200, 0xffff, 5);
        removed = lut.remove(0x0105);
        removed_again = lut.remove(0x0105);
        // A catch-all entry (mask 0) in the freed slot 5 loses to lower entries that match exactly.
        adds.push_back(lut.add(0x0000, 0x0000, 0x3f));
    });
    b.dev.rids = {0x0103, 0x0105, 0x0777};
    sc_core::sc_start(sc_time(200, SC_US));
    for (const auto& s : adds)
        EXPECT_TRUE(s) << s.message();
    EXPECT_EQ(full.code(), fw::errc::no_space);
    EXPECT_TRUE(removed);
    EXPECT_EQ(removed_again.code(), fw::errc::invalid_argument);
    ASSERT_EQ(b.cap.seen.size(), 3u);
    EXPECT_EQ(b.cap.seen[0].stream_id, (1u << 6) | 3) << "entry 3 matches 01:00.3 before the catch-all in slot 5";
    EXPECT_EQ(b.cap.seen[1].stream_id, (1u << 6) | 0x3f) << "01:00.5 lost its entry; the catch-all covers it";
    EXPECT_EQ(b.cap.seen[2].stream_id, (1u << 6) | 0x3f);
}

TEST(SidGlue, BadEntryIndexIsIgnoredWithAWarning) {
    sid_glue::params p = lut_params();
    p.lut_entries = 8;
    bench b(p);
    b.cpu.set_firmware([&](fw::hal& h) { h.write32(LUT_BASE + fw::imx95_lut_driver::ACSCTRL, 20); });
    test::expect_report rep("selects entry 20 of 8");
    sc_core::sc_start(sc_time(10, SC_US));
}

TEST(SidGlue, EachRequestCostsTheGlueLatency) {
    sid_glue::params p;
    p.clock_hz = 250000000;
    p.latency = 3;
    bench b(p);
    b.dev.rids = {0x0100};
    sc_core::sc_start(sc_time(100, SC_US));
    EXPECT_EQ(b.dev.last_delay, sc_time(12, SC_NS));
}
