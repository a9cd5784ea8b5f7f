// The doorbell allocator on the platform: each backend (MSI through the ITS, the eDMA's embedded kick, polled
// slots) with the host ringing through a BAR the function exposes; the fall-back order and requirements; several
// functions at once; the i.MX95 path through the LUT and the SMMU.
#include "dbvp/fw/doorbell.h"
#include "dbvp/fw/endpoint.h"
#include "dbvp/platform/platform.h"
#include "reports.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace dbvp;
using fw::doorbell_backend;

namespace {

const std::string IMX95 = std::string(DBVP_SOURCE_DIR) + "/tests/data/imx95-like.dts";
const std::string RK3588 = std::string(DBVP_SOURCE_DIR) + "/tests/data/rk3588-like.dts";
constexpr unsigned DB_BAR = 2;
constexpr std::uint64_t DB_BAR_SIZE = 0x10000;

/// What the firmware did: the doorbells it got, where the host must write, which rang.
struct fw_result {
    bool ready = false;
    std::string error;
    std::vector<std::vector<fw::doorbell>> dbs;     // per function
    std::vector<std::vector<std::uint64_t>> where;  // per function: BAR offset of each doorbell
    std::vector<std::vector<unsigned>> rang;        // per function: doorbell indices in ring order
    std::vector<std::string> reasons;
};

/// Allocate `count` doorbells for each of `functions`, expose each function's doorbells in BAR2 (unless
/// pre-exposed), listen, start the link, then serve (polling when a poll backend is in use).
void firmware(fw::hal& h, unsigned functions, unsigned count, const fw::doorbell_requirements& req,
              fw_result& r) {
    fw::endpoint e(h);
    auto fail = [&](const std::string& what, const fw::status& s) {
        r.error = what + ": " + s.message();
        h.log(r.error.c_str());
    };
    if (auto s = e.boot(); !s)
        return fail("boot", s);
    auto& ep = e.controller();
    auto& db = e.doorbells();
    r.dbs.resize(functions);
    r.where.resize(functions);
    r.rang.resize(functions);
    for (unsigned f = 0; f < functions; ++f) {
        auto got = db.alloc(f, count, req);
        r.reasons = db.last_reasons();
        if (!got)
            return fail("alloc", got.error());
        r.dbs[f] = got.value();
        const fw::doorbell& d0 = r.dbs[f][0];
        if (d0.bar == fw::NO_BAR) {
            if (auto s = ep.configure_bar(f, DB_BAR, DB_BAR_SIZE, {}); !s)
                return fail("BAR", s);
            std::uint64_t base = 0, off = 0;
            if (auto s = ep.align_inbound_addr(f, DB_BAR, d0.address, base, off); !s)
                return fail("align", s);
            if (auto s = ep.map_bar(f, DB_BAR, base); !s)
                return fail("map", s);
            for (const auto& d : r.dbs[f])
                r.where[f].push_back(d.address - base);
        } else {
            for (const auto& d : r.dbs[f])
                r.where[f].push_back(d.offset);
        }
        for (unsigned i = 0; i < count; ++i)
            if (auto s = db.listen(f, i, [&r, f](unsigned idx) { r.rang[f].push_back(idx); }); !s)
                return fail("listen", s);
    }
    if (auto s = e.start_link(); !s)
        return fail("link", s);
    r.ready = true;
    for (;;) {
        h.wait_for_interrupt(100000);
        db.service();
    }
}

struct host_result {
    host::enum_result en;
};

/// Enumerate, wait for the firmware, ring every doorbell of every function once (in order), 20 us apart.
void host_side(host::hal& h, platform::platform& p, const fw_result& fw, unsigned bar_of_f0, host_result& hr) {
    hr.en = host::enumerate(h, p.enumeration_config());
    if (!hr.en.ok)
        return;
    while (!fw.ready && fw.error.empty())
        h.sleep_ns(10000);
    for (std::size_t f = 0; f < fw.dbs.size(); ++f) {
        const auto& fn = hr.en.functions.at(f);
        for (std::size_t i = 0; i < fw.dbs[f].size(); ++i) {
            const fw::doorbell& d = fw.dbs[f][i];
            const unsigned bar = d.bar == fw::NO_BAR ? DB_BAR : static_cast<unsigned>(d.bar);
            (void)bar_of_f0;
            h.mem_write(fn.bars[bar].address + fw.where[f][i], &d.data, 4);
            h.sleep_ns(20000);
        }
    }
    h.sleep_ns(3000000); // a poll interval and more
}

struct run {
    fw_result fw;
    host_result host;
};

void go(platform::platform& p, unsigned functions, unsigned count, const fw::doorbell_requirements& req, run& r) {
    p.set_firmware([&](fw::hal& h) { firmware(h, functions, count, req, r.fw); });
    p.set_host_software([&](host::hal& h) { host_side(h, p, r.fw, DB_BAR, r.host); });
    ASSERT_TRUE(p.run(sc_core::sc_time(1, sc_core::SC_SEC))) << p.cpu().console_text();
    ASSERT_TRUE(r.fw.ready) << r.fw.error << "\n" << p.cpu().console_text();
    ASSERT_TRUE(r.host.en.ok) << r.host.en.error;
}

std::vector<unsigned> iota(unsigned n) {
    std::vector<unsigned> v(n);
    for (unsigned i = 0; i < n; ++i)
        v[i] = i;
    return v;
}

} // namespace

TEST(Doorbells, GenericPrefersMsiDistinctEventIdsAndLpis) {
    platform::platform p("platform", {});
    run r;
    go(p, 1, 4, {}, r);
    ASSERT_EQ(r.fw.dbs[0].size(), 4u);
    for (unsigned i = 0; i < 4; ++i) {
        const fw::doorbell& d = r.fw.dbs[0][i];
        EXPECT_EQ(d.backend, doorbell_backend::msi);
        EXPECT_EQ(d.address, 0x48050040u) << "GITS_TRANSLATER";
        EXPECT_EQ(d.data, i) << "EventID";
        EXPECT_EQ(d.irq, 8192 + i);
        EXPECT_EQ(d.irq_flags, fw::irq_none);
        EXPECT_EQ(d.bar, fw::NO_BAR);
        EXPECT_EQ(r.fw.where[0][i], 0x40u) << "the translation frame is 64 KiB: BAR2 + 0x40";
    }
    EXPECT_EQ(r.fw.rang[0], iota(4)) << "each doorbell its own interrupt";
    EXPECT_TRUE(p.its()->drops().empty());
}

TEST(Doorbells, EmbeddedKickIsSharedAndCannotTellDoorbellsApart) {
    platform::platform p("platform", {});
    fw::doorbell_requirements req;
    req.backend = doorbell_backend::embedded;
    run r;
    go(p, 1, 3, req, r);
    for (const auto& d : r.fw.dbs[0]) {
        EXPECT_EQ(d.backend, doorbell_backend::embedded);
        EXPECT_EQ(d.address, 0x403800a0u) << "eDMA RD_INT_STATUS";
        EXPECT_EQ(d.data, 0u);
        EXPECT_EQ(d.irq, 32u + 20u);
        EXPECT_EQ(d.irq_flags, fw::irq_shared);
        EXPECT_EQ(d.bar, fw::NO_BAR) << "not pre-exposed on the generic platform";
    }
    // Three kicks, each runs all three listeners: nine calls, every doorbell "rang" three times.
    EXPECT_EQ(r.fw.rang[0].size(), 9u);
    EXPECT_EQ(p.edma()->stats().emulated, 3u);
    EXPECT_FALSE(p.edma()->irq(0).level()) << "the allocator acknowledged the emulation";
}

TEST(Doorbells, EmbeddedIsPreExposedInTheRk3588ReservedBar) {
    platform::platform p("platform", {RK3588, {}});
    fw::doorbell_requirements req;
    req.backend = doorbell_backend::embedded;
    run r;
    go(p, 1, 1, req, r);
    EXPECT_EQ(r.fw.dbs[0][0].bar, 4);
    EXPECT_EQ(r.fw.dbs[0][0].offset, 0xa0u);
    EXPECT_EQ(r.fw.rang[0].size(), 1u);
    EXPECT_EQ(p.ep().get_params().num_ib_windows - 0u, 16u);
}

TEST(Doorbells, PollSlotsAreDistinctAndScanned) {
    platform::platform p("platform", {});
    fw::doorbell_requirements req;
    req.backend = doorbell_backend::poll;
    run r;
    go(p, 1, 5, req, r);
    for (unsigned i = 0; i < 5; ++i) {
        EXPECT_EQ(r.fw.dbs[0][i].backend, doorbell_backend::poll);
        EXPECT_EQ(r.fw.dbs[0][i].irq, 0u);
        EXPECT_EQ(r.fw.where[0][i], 4u * i);
    }
    // The host writes every 20 us, the scan runs every 1 ms: all five are found, in slot order.
    EXPECT_EQ(r.fw.rang[0], iota(5));
}

TEST(Doorbells, NvmeWindowRulesOutMsiAndEmbeddedAndSaysWhy) {
    // SQ/CQ doorbells at BAR0 + 0x1000, stride 4, the host writing queue pointers: only polling fits.
    platform::platform p("platform", {});
    fw::doorbell_requirements req;
    req.window_bar = 0;
    req.window_offset = 0x1000;
    req.window_stride = 4;
    req.any_value = true;
    fw_result fr;
    p.set_firmware([&](fw::hal& h) {
        fw::endpoint e(h);
        if (auto s = e.boot(); !s) {
            fr.error = s.message();
            return;
        }
        auto got = e.doorbells().alloc(0, 4, req);
        fr.reasons = e.doorbells().last_reasons();
        if (got)
            fr.dbs.push_back(got.value());
        else
            fr.error = got.error().message();
        // With the memory behind BAR0 named, polling places the slots in the window.
        req.window_phys = e.ram_base() + 0x3000000;
        got = e.doorbells().alloc(0, 4, req);
        if (got)
            fr.dbs.push_back(got.value());
        fr.ready = true;
    });
    p.run(sc_core::sc_time(100, sc_core::SC_MS));
    ASSERT_TRUE(fr.ready) << fr.error;
    // First attempt: poll needs window_phys -> invalid_argument is returned (not a fall-back).
    EXPECT_NE(fr.error.find("window_phys"), std::string::npos) << fr.error;
    ASSERT_EQ(fr.reasons.size(), 2u);
    EXPECT_NE(fr.reasons[0].find("MSI"), std::string::npos) << fr.reasons[0];
    EXPECT_NE(fr.reasons[1].find("embedded"), std::string::npos) << fr.reasons[1];
    EXPECT_NE(fr.reasons[0].find("GITS_TRANSLATER is at offset 0x40 of its 0x10000-byte iATU region, cannot start at "
                                 "BAR0+0x1000"),
              std::string::npos)
        << fr.reasons[0];
    ASSERT_EQ(fr.dbs.size(), 1u);
    for (unsigned i = 0; i < 4; ++i) {
        EXPECT_EQ(fr.dbs[0][i].backend, doorbell_backend::poll);
        EXPECT_EQ(fr.dbs[0][i].bar, 0);
        EXPECT_EQ(fr.dbs[0][i].offset, 0x1000u + 4 * i);
    }
}

TEST(Doorbells, TwoFunctionsGetDisjointEventIds) {
    platform::platform p("platform", {"generic", {"soc/pcie-ep@40000000/max-functions=2"}});
    run r;
    go(p, 2, 3, {}, r);
    ASSERT_EQ(r.fw.dbs.size(), 2u);
    for (unsigned i = 0; i < 3; ++i) {
        EXPECT_EQ(r.fw.dbs[0][i].data, i);
        EXPECT_EQ(r.fw.dbs[1][i].data, 3 + i);
        EXPECT_NE(r.fw.dbs[0][i].irq, r.fw.dbs[1][i].irq);
    }
    EXPECT_EQ(r.fw.rang[0], iota(3));
    EXPECT_EQ(r.fw.rang[1], iota(3));
}

TEST(Doorbells, Imx95ThroughTheLutAndTheSmmu) {
    platform::platform p("platform", {IMX95, {}});
    run r;
    go(p, 1, 2, {}, r);
    EXPECT_EQ(r.fw.dbs[0][0].backend, doorbell_backend::msi);
    EXPECT_EQ(r.fw.rang[0], iota(2));
    ASSERT_NE(p.smmu(), nullptr);
    EXPECT_GE(p.smmu()->stats().translated, 2u) << "the doorbell writes went through stage 1";
    EXPECT_TRUE(p.smmu()->events().empty());
    EXPECT_EQ(p.glue().lookup(0).lut_entry, 0);
}

TEST(Doorbells, InterruptOnlyRefusesPollAndSaysWhyForEachBackend) {
    platform::platform p("platform", {});
    fw::doorbell_requirements req;
    req.window_bar = 0;
    req.window_offset = 0x1000;
    req.any_value = true;
    req.interrupt = true;
    fw::status st;
    std::vector<std::string> reasons;
    p.set_firmware([&](fw::hal& h) {
        fw::endpoint e(h);
        if (auto s = e.boot(); !s) {
            st = s;
            return;
        }
        auto got = e.doorbells().alloc(0, 2, req);
        st = got ? fw::status{} : got.error();
        reasons = e.doorbells().last_reasons();
    });
    p.run(sc_core::sc_time(100, sc_core::SC_MS));
    EXPECT_EQ(st.code(), fw::errc::not_supported) << st.message();
    ASSERT_EQ(reasons.size(), 3u);
    EXPECT_EQ(reasons[2].rfind("poll:", 0), 0u) << reasons[2];
    for (const char* b : {"MSI:", "embedded:", "poll:"})
        EXPECT_NE(st.message().find(b), std::string::npos) << st.message();
}
