// Unit tests of the doorbell allocator (fw::doorbell_allocator) and the msi_platform / dwc_ep_driver pieces it
// uses, on a fake HAL (tests/support/fake_fw_hal.h): every backend (MSI through the ITS, the eDMA's embedded kick,
// polled slots), the fall-back order, the requirements, the errors, several functions, the i.MX95 LUT, and the
// controller driver's sub-range mapping and auxiliary resources. No SystemC model runs here.
#include "fake_fw_hal.h"

#include "dbvp/fw/dma_pool.h"
#include "dbvp/fw/doorbell.h"
#include "dbvp/fw/dwc_ep.h"
#include "dbvp/fw/endpoint.h"
#include "dbvp/fw/msi_platform.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace dbvp;
using fw::doorbell_backend;
using fw::errc;
using test::fake_fw_hal;
using test::its_cmd;

namespace {

constexpr std::uint64_t EDMA = 0x40380000, TRANSLATER = 0x48050040, POOL = 0x80000000, POOL_SIZE = 0x1000000;
constexpr std::uint64_t ATU = 0x40300000, ATU_SIZE = 0x20000;
constexpr unsigned EDMA_IRQ = 32 + 20, DEV = 0x10, LPI0 = 8192;
constexpr std::uint8_t MAPD = 0x08, MAPC = 0x09, MAPTI = 0x0a, SYNC = 0x05, INV = 0x0c, DISCARD = 0x0f;

struct soc;

struct soc_config {
    unsigned functions = 1;
    std::string msi = "msi-map = <0x0 &its 0x10 0x1>;"; // the controller's MSI parent ("" = none)
    bool edma = true;                                    // a "dma" reg range
    std::string interrupts = "interrupts = <0 20 4>;\n\t\t\tinterrupt-names = \"dma\";";
    bool lut = false; // a dbvp,imx95-pcie-lut node
    std::string ep_extra, soc_extra;
    test::fake_dwc_params dwc;
    test::fake_its_params its;
    unsigned edma_wr = 8, edma_rd = 8;
    fw::doorbell_options opt;
    std::uint64_t pool_size = POOL_SIZE;
    bool attach = true; // msi_platform::attach() (the LUT entry at controller probe), as endpoint::boot() does
    std::function<void(soc&)> before_boot; // script the devices before the firmware boots
};

std::string make_dts(const soc_config& c) {
    std::ostringstream o;
    o << "/dts-v1/;\n/ {\n\t#address-cells = <2>;\n\t#size-cells = <2>;\n"
         "\tsoc {\n\t\t#address-cells = <2>;\n\t\t#size-cells = <2>;\n\t\tranges;\n"
         "\t\tmemory@80000000 {\n\t\t\tdevice_type = \"memory\";\n"
         "\t\t\treg = <0x0 0x80000000 0x0 0x10000000>;\n\t\t};\n"
         "\t\tgic: interrupt-controller@48000000 {\n"
         "\t\t\tcompatible = \"arm,gic-v3\";\n\t\t\t#interrupt-cells = <3>;\n\t\t\tinterrupt-controller;\n"
         "\t\t\t#address-cells = <2>;\n\t\t\t#size-cells = <2>;\n\t\t\tranges;\n"
         "\t\t\treg = <0x0 0x48000000 0x0 0x10000>, <0x0 0x48060000 0x0 0x20000>;\n"
         "\t\t\tits: msi-controller@48040000 {\n\t\t\t\tcompatible = \"arm,gic-v3-its\";\n\t\t\t\tmsi-controller;\n"
         "\t\t\t\t#msi-cells = <1>;\n\t\t\t\treg = <0x0 0x48040000 0x0 0x20000>;\n\t\t\t};\n\t\t};\n";
    if (c.lut)
        o << "\t\tpcie-lut@4c010000 {\n\t\t\tcompatible = \"dbvp,imx95-pcie-lut\";\n"
             "\t\t\treg = <0x0 0x4c010000 0x0 0x2000>;\n\t\t};\n";
    o << c.soc_extra;
    o << "\t\tpcie-ep@40000000 {\n\t\t\tcompatible = \"snps,dw-pcie-ep\";\n"
         "\t\t\treg = <0x0 0x40000000 0x0 0x80000>, <0x0 0x40100000 0x0 0x80000>, <0x0 0x40300000 0x0 0x20000>,\n"
         "\t\t\t      <0x0 0x40400000 0x0 0x1000>, <0x10 0x0 0x1 0x0>";
    if (c.edma)
        o << ", <0x0 0x40380000 0x0 0x2000>";
    o << ";\n\t\t\treg-names = \"dbi\", \"dbi2\", \"atu\", \"app\", \"addr_space\"" << (c.edma ? ", \"dma\"" : "")
      << ";\n";
    o << "\t\t\tmax-functions = /bits/ 8 <" << c.functions << ">;\n";
    o << "\t\t\t" << c.interrupts << "\n\t\t\t" << c.msi << "\n" << c.ep_extra << "\t\t};\n\t};\n};\n";
    return o.str();
}

test::fake_dwc_params dwc_params(const soc_config& c) {
    test::fake_dwc_params p = c.dwc;
    p.functions = c.functions;
    return p;
}

/// The endpoint SoC on the fake: devices, the device tree, the drivers booted as endpoint::boot() would.
struct soc {
    explicit soc(const soc_config& c = {})
        : cfg(c), dwc(hal, dwc_params(c)), edma(hal, EDMA, c.edma_wr, c.edma_rd, EDMA_IRQ), gic(hal),
          its(hal, c.its, &gic), lut(hal) {
        edma.gate = [this] { return gic.spi_enabled(EDMA_IRQ); }; // a kick is taken only while the SPI is enabled
        hal.load_dts(make_dts(c));
        if (c.before_boot)
            c.before_boot(*this);
        booted = boot();
    }
    fw::status boot() {
        if (auto s = ep.probe(); !s)
            return s;
        pool = std::make_unique<fw::dma_pool>(hal, POOL, cfg.pool_size);
        msi = std::make_unique<fw::msi_platform>(hal, *pool);
        if (auto s = msi->boot(16); !s)
            return s;
        if (cfg.attach)
            if (auto s = msi->attach(ep, static_cast<std::uint16_t>(cfg.opt.lut_mask)); !s)
                return s;
        db = std::make_unique<fw::doorbell_allocator>(hal, ep, *msi, *pool, cfg.opt);
        return {};
    }

    soc_config cfg;
    fake_fw_hal hal;
    test::fake_dwc dwc;
    test::fake_edma edma;
    test::fake_gic gic;
    test::fake_its its;
    test::fake_lut lut;
    fw::dwc_ep_driver ep{hal};
    std::unique_ptr<fw::dma_pool> pool;
    std::unique_ptr<fw::msi_platform> msi;
    std::unique_ptr<fw::doorbell_allocator> db;
    fw::status booted;
};

#define BOOT(s, cfg)                                                                                               \
    soc s(cfg);                                                                                                    \
    ASSERT_TRUE(s.booted) << s.booted.message()

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

fw::doorbell_requirements named(doorbell_backend b) {
    fw::doorbell_requirements r;
    r.backend = b;
    return r;
}

/// The value of the last CPU write to `addr` before event `seq`.
std::uint64_t value_before(const fake_fw_hal& h, std::uint64_t addr, std::size_t seq) {
    std::uint64_t v = 0;
    for (const auto& a : h.accesses())
        if (a.write && a.addr == addr && a.seq < seq)
            v = a.value;
    return v;
}

std::vector<its_cmd> without_syncs(const std::vector<its_cmd>& v) {
    std::vector<its_cmd> out;
    for (const auto& c : v)
        if (c.opcode != SYNC)
            out.push_back(c);
    return out;
}

soc_config no_msi() {
    soc_config c;
    c.msi = "";
    return c;
}
soc_config bare() {
    soc_config c;
    c.msi = "";
    c.edma = false;
    return c;
}

} // namespace

// ------------------------------------------------------------------------------------------------------------
// The fake itself: the real drivers probe and boot on it.

TEST(DoorbellAllocFake, DriversProbeAndBootOnTheFake) {
    soc_config c;
    c.dwc.num_ib = 6;
    c.dwc.num_ob = 4;
    BOOT(s, c);
    EXPECT_TRUE(s.ep.unrolled());
    EXPECT_EQ(s.ep.num_ib_windows(), 6u);
    EXPECT_EQ(s.ep.num_ob_windows(), 4u);
    EXPECT_EQ(s.ep.region_align(), 0x10000u) << "LIMIT's low bits read as ones";
    EXPECT_EQ(s.ep.region_limit(), 0xffffffffu);
    EXPECT_EQ(s.ep.version(), 0x3534302au);
    EXPECT_TRUE(s.ep.edma().present);
    EXPECT_EQ(s.ep.edma().base, EDMA);
    EXPECT_EQ(s.ep.edma().wr_channels, 8u);
    EXPECT_EQ(s.ep.edma().rd_channels, 8u);
    ASSERT_NE(s.msi->gic(), nullptr);
    ASSERT_NE(s.msi->its(), nullptr);
    EXPECT_EQ(s.msi->gic()->lpi_id_bits(), 16u);
    EXPECT_EQ(s.msi->gic()->num_spis(), 64u);
    EXPECT_TRUE(s.gic.lpis_enabled());
    EXPECT_EQ(s.gic.prop_table(), s.msi->gic()->prop_table());
    EXPECT_EQ(s.gic.lpi_config(LPI0), 0xa2u) << "every LPI disabled at priority 0xa0";
    EXPECT_TRUE(s.its.enabled());
    EXPECT_EQ(s.msi->its()->device_bits(), 8u);
    EXPECT_EQ(s.msi->its()->page_size(), 0x10000u);
    EXPECT_EQ(s.msi->its()->translater_address(), TRANSLATER);
    EXPECT_EQ((s.its.baser(0) >> 63), 1u) << "device table valid";
    EXPECT_EQ((s.its.baser(1) >> 63), 1u) << "collection table valid";
    ASSERT_EQ(s.its.commands().size(), 2u);
    EXPECT_EQ(s.its.commands()[0].opcode, MAPC);
    EXPECT_EQ(s.its.commands()[0].icid, 0u);
    EXPECT_TRUE(s.its.commands()[0].valid);
    EXPECT_EQ(s.its.commands()[1].opcode, SYNC);
}

TEST(DoorbellAllocFake, EndpointBootOnTheFake) {
    // fw::endpoint (probe, pool in RAM from the memory node, interrupt platform, attach, allocator) on the fake.
    soc_config c;
    c.lut = true;
    fake_fw_hal h;
    test::fake_dwc dwc(h);
    test::fake_edma edma(h, EDMA, 8, 8, EDMA_IRQ);
    test::fake_gic gic(h);
    test::fake_its its(h, {}, &gic);
    test::fake_lut lut(h);
    h.load_dts(make_dts(c));
    fw::endpoint e(h);
    ASSERT_TRUE(e.boot()) << "see the log";
    EXPECT_EQ(e.ram_base(), 0x80000000u);
    EXPECT_EQ(e.pool().base(), 0x81000000u) << "after the firmware's reserve";
    EXPECT_EQ(lut.commits.size(), 1u) << "attach() wrote the LUT entry";
    auto r = e.doorbells().alloc(0, 2);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value()[1].backend, doorbell_backend::msi);
    EXPECT_EQ(r.value()[1].irq, LPI0 + 1);
    EXPECT_EQ(its.ite_count(DEV), 2u);
}

TEST(DoorbellAllocFake, InterruptRulesClockAndBusErrors) {
    fake_fw_hal h;
    // Sharing: several handlers only when all of them are shared.
    auto a = h.request_irq(40, [](unsigned) {}, fw::irq_shared, "a");
    auto b = h.request_irq(40, [](unsigned) {}, fw::irq_shared, "b");
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    EXPECT_EQ(h.request_irq(40, [](unsigned) {}, fw::irq_none, "c").error().code(), errc::busy);
    EXPECT_EQ(h.request_irq(41, nullptr, fw::irq_none, "d").error().code(), errc::invalid_argument);
    EXPECT_EQ(h.request_irq(5000, [](unsigned) {}, fw::irq_none, "e").error().code(), errc::invalid_argument);
    EXPECT_EQ(h.fire(40), 2u);
    h.free_irq(a.value());
    h.free_irq(a.value());
    EXPECT_EQ(h.bad_frees, 1u);
    // Time: accesses cost, sleep and wait advance, scheduled interrupts are taken in wait_for_interrupt.
    const std::uint64_t t0 = h.now_ns();
    h.read32(0x1000);
    EXPECT_EQ(h.now_ns(), t0 + h.access_cost_ns);
    h.sleep_ns(500);
    EXPECT_EQ(h.now_ns(), t0 + h.access_cost_ns + 500);
    EXPECT_FALSE(h.wait_for_interrupt(1000));
    h.schedule_irq(h.now_ns() + 300, 40);
    const std::uint64_t t1 = h.now_ns();
    EXPECT_TRUE(h.wait_for_interrupt(1000));
    EXPECT_EQ(h.now_ns(), t1 + 300);
    // Memory and bus errors.
    h.write32(0x2000, 0x12345678);
    EXPECT_EQ(h.read32(0x2000), 0x12345678u);
    EXPECT_EQ(h.read64(0x2000), 0x12345678u);
    h.bus_error(0x3000, 0x100);
    bool ok = true;
    EXPECT_EQ(h.read32(0x3010, &ok), 0xffffffffu);
    EXPECT_FALSE(ok);
    h.write32(0x3010, 1, &ok);
    EXPECT_FALSE(ok);
    EXPECT_EQ(h.peek32(0x3010), 0u) << "dropped";
    EXPECT_FALSE(h.accesses().back().ok);
    h.log("line");
    EXPECT_TRUE(h.logged("lin"));
}

TEST(DoorbellAllocFake, ItsPageSizeAndAbsentIts) {
    {
        soc_config c;
        c.its.page_sizes = 0x1; // 4 KiB only
        BOOT(s, c);
        EXPECT_EQ(s.msi->its()->page_size(), 0x1000u);
        EXPECT_EQ((s.its.baser(0) >> 8) & 3, 0u);
        ASSERT_TRUE(s.db->alloc(0, 1));
    }
    {
        soc_config c;
        c.before_boot = [](soc& x) { x.hal.bus_error(0x48040000, 0x20000); };
        soc s(c);
        ASSERT_FALSE(s.booted);
        EXPECT_EQ(s.booted.code(), errc::no_device) << s.booted.message();
        EXPECT_TRUE(has(s.booted.message(), "ITS")) << s.booted.message();
    }
}

// ------------------------------------------------------------------------------------------------------------
// MSI backend.

TEST(DoorbellAllocMsi, DefaultOrderPicksMsiWithDistinctEventIdsAndLpis) {
    BOOT(s, soc_config{});
    const std::size_t mark = s.its.commands().size();
    auto r = s.db->alloc(0, 4);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_TRUE(s.db->last_reasons().empty());
    ASSERT_EQ(r->size(), 4u);
    for (unsigned i = 0; i < 4; ++i) {
        const fw::doorbell& d = r.value()[i];
        EXPECT_EQ(d.backend, doorbell_backend::msi);
        EXPECT_EQ(d.address, TRANSLATER) << "GITS_TRANSLATER";
        EXPECT_EQ(d.data, i) << "the EventID";
        EXPECT_EQ(d.irq, LPI0 + i);
        EXPECT_EQ(d.irq_flags, fw::irq_none);
        EXPECT_EQ(d.bar, fw::NO_BAR);
    }
    EXPECT_EQ(s.db->doorbells(0).size(), 4u);

    const auto cmds = s.its.commands_since(mark);
    const auto main = without_syncs(cmds);
    ASSERT_EQ(main.size(), 1u + 2 * 4) << "MAPD, then MAPTI + INV per doorbell";
    EXPECT_EQ(main[0].opcode, MAPD);
    EXPECT_EQ(main[0].device_id, DEV) << "DeviceID from msi-map for requester ID 0";
    EXPECT_TRUE(main[0].valid);
    EXPECT_EQ(main[0].size, 7u) << "256 EventIDs (the default msi_events): 8 bits";
    EXPECT_NE(main[0].itt, 0u);
    EXPECT_EQ(main[0].itt % 256, 0u);
    EXPECT_GE(main[0].itt, POOL);
    EXPECT_LT(main[0].itt, POOL + POOL_SIZE);
    for (unsigned i = 0; i < 4; ++i) {
        const its_cmd& mapti = main[1 + 2 * i];
        const its_cmd& inv = main[2 + 2 * i];
        EXPECT_EQ(mapti.opcode, MAPTI) << i;
        EXPECT_EQ(mapti.device_id, DEV);
        EXPECT_EQ(mapti.event_id, i);
        EXPECT_EQ(mapti.intid, LPI0 + i);
        EXPECT_EQ(mapti.icid, 0u);
        EXPECT_EQ(inv.opcode, INV) << i;
        EXPECT_EQ(inv.device_id, DEV);
        EXPECT_EQ(inv.event_id, i);
        // The configuration byte is enabled before the INV makes the redistributor read it.
        const std::uint64_t word = s.gic.lpi_config_addr(LPI0 + i) & ~3ull;
        const unsigned shift = 8 * static_cast<unsigned>(s.gic.lpi_config_addr(LPI0 + i) & 3);
        EXPECT_EQ((value_before(s.hal, word, inv.seq) >> shift) & 0xff, 0xa3u) << "LPI " << LPI0 + i;
        EXPECT_EQ(s.gic.lpi_config(LPI0 + i), 0xa3u);
        const auto e = s.its.lookup(DEV, i);
        ASSERT_TRUE(e.has_value());
        EXPECT_EQ(e->intid, LPI0 + i);
    }
    // Every MAPTI and INV is synchronised, the last command is a SYNC.
    for (std::size_t i = 0; i < cmds.size(); ++i)
        if (cmds[i].opcode == MAPTI || cmds[i].opcode == INV) {
            ASSERT_LT(i + 1, cmds.size());
            EXPECT_EQ(cmds[i + 1].opcode, SYNC) << "after " << cmds[i].name() << " " << cmds[i].event_id;
        }
    EXPECT_EQ(cmds.back().opcode, SYNC);
    EXPECT_TRUE(s.hal.logged("doorbell: function 0: 4 MSI doorbell(s)"));
}

TEST(DoorbellAllocMsi, ListenTakesTheLpiAndFreeDiscardsOnlyWhatWasMapped) {
    BOOT(s, soc_config{});
    ASSERT_TRUE(s.db->alloc(0, 2));
    std::vector<unsigned> rang;
    for (unsigned i = 0; i < 2; ++i)
        ASSERT_TRUE(s.db->listen(0, i, [&](unsigned idx) { rang.push_back(idx); }));
    ASSERT_EQ(s.hal.handler_count(LPI0 + 1), 1u);
    EXPECT_EQ(s.hal.actions(LPI0 + 1)[0].flags, fw::irq_none);
    EXPECT_EQ(s.its.inject(DEV, 1), LPI0 + 1);
    EXPECT_EQ(s.its.inject(DEV, 0), LPI0);
    EXPECT_EQ(rang, (std::vector<unsigned>{1, 0}));

    const std::size_t mark = s.its.commands().size();
    ASSERT_TRUE(s.db->free(0));
    EXPECT_EQ(s.hal.handler_count(LPI0), 0u);
    EXPECT_EQ(s.hal.handler_count(LPI0 + 1), 0u);
    EXPECT_EQ(s.hal.bad_frees, 0u);
    const auto main = without_syncs(s.its.commands_since(mark));
    ASSERT_EQ(main.size(), 2u);
    for (unsigned i = 0; i < 2; ++i) {
        EXPECT_EQ(main[i].opcode, DISCARD);
        EXPECT_EQ(main[i].device_id, DEV);
        EXPECT_EQ(main[i].event_id, i);
    }
    EXPECT_EQ(s.its.commands().back().opcode, SYNC);
    EXPECT_EQ(s.its.ite_count(), 0u);
    EXPECT_EQ(s.gic.lpi_config(LPI0), 0xa2u) << "disabled again";
    EXPECT_TRUE(s.db->doorbells(0).empty());

    // EventIDs and LPIs are free again; the ITS device stays mapped (one MAPD in all).
    auto again = s.db->alloc(0, 1);
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(again.value()[0].data, 0u);
    EXPECT_EQ(again.value()[0].irq, LPI0);
    EXPECT_EQ(s.its.count(MAPD), 1u);
}

TEST(DoorbellAllocMsi, DeviceIdFromMsiParentSpecifier) {
    soc_config c;
    c.msi = "msi-parent = <&its 0x22>;";
    BOOT(s, c);
    auto r = s.db->alloc(0, 1);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value()[0].backend, doorbell_backend::msi);
    ASSERT_EQ(s.its.count(MAPD), 1u);
    EXPECT_EQ(s.its.commands_since(0, MAPD)[0].device_id, 0x22u);
    EXPECT_EQ(s.its.commands_since(0, MAPTI)[0].device_id, 0x22u);
}

TEST(DoorbellAllocMsi, MsiMapWithoutRequesterIdZeroIsAnErrorNotAFallBack) {
    soc_config c;
    c.msi = "msi-map = <0x8 &its 0x10 0x8>;";
    BOOT(s, c);
    auto r = s.db->alloc(0, 1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), errc::invalid_argument) << r.error().message();
    EXPECT_EQ(s.its.count(MAPD), 0u);
    EXPECT_TRUE(s.db->doorbells(0).empty());
    EXPECT_EQ(s.hal.handler_count(EDMA_IRQ), 0u) << "embedded was not tried";
}

TEST(DoorbellAllocMsi, CommandTimeoutUndoesTheEventsAlreadyMapped) {
    BOOT(s, soc_config{});
    // The ITS takes 1.5 ms for the third MAPTI: longer than the driver's 1 ms command timeout.
    s.its.delay_ns = [](const its_cmd& c) -> std::uint64_t {
        return c.opcode == MAPTI && c.event_id == 2 ? 1500000 : 0;
    };
    const std::size_t mark = s.its.commands().size();
    auto r = s.db->alloc(0, 4);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), errc::timed_out) << r.error().message();
    EXPECT_TRUE(has(r.error().message(), "MAPTI")) << r.error().message();
    EXPECT_TRUE(s.db->doorbells(0).empty());
    s.hal.advance(10000000);
    s.its.service();
    ASSERT_TRUE(s.its.queue_empty());
    EXPECT_EQ(s.its.count(MAPTI, mark), 3u) << "doorbell 3 was never tried";
    std::set<unsigned> discarded;
    for (const auto& c : s.its.commands_since(mark, DISCARD))
        discarded.insert(c.event_id);
    EXPECT_EQ(discarded, (std::set<unsigned>{0, 1, 2}));
    EXPECT_EQ(s.its.ite_count(), 0u) << "nothing stays mapped";
    for (unsigned i = 0; i < 4; ++i)
        EXPECT_FALSE(s.gic.lpi_enabled(LPI0 + i)) << LPI0 + i;
    // The LPIs and EventIDs came back.
    s.its.delay_ns = nullptr;
    auto again = s.db->alloc(0, 2);
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(again.value()[0].data, 0u);
    EXPECT_EQ(again.value()[0].irq, LPI0);
    EXPECT_EQ(s.its.count(MAPD), 1u);
}

// ------------------------------------------------------------------------------------------------------------
// Fall-back: embedded, then poll.

TEST(DoorbellAllocFallback, NoMsiMapFallsBackToTheEmbeddedKick) {
    BOOT(s, no_msi());
    auto r = s.db->alloc(0, 3);
    ASSERT_TRUE(r) << r.error().message();
    for (const auto& d : r.value()) {
        EXPECT_EQ(d.backend, doorbell_backend::embedded);
        EXPECT_EQ(d.address, EDMA + 0xa0) << "eDMA RD_INT_STATUS";
        EXPECT_EQ(d.data, 0u);
        EXPECT_EQ(d.irq, EDMA_IRQ);
        EXPECT_EQ(d.irq_flags, fw::irq_shared);
        EXPECT_EQ(d.bar, fw::NO_BAR);
    }
    ASSERT_EQ(s.db->last_reasons().size(), 1u);
    EXPECT_TRUE(has(s.db->last_reasons()[0], "MSI")) << s.db->last_reasons()[0];
    EXPECT_EQ(s.its.count(MAPD), 0u);
    EXPECT_TRUE(s.gic.spi_enabled(EDMA_IRQ));
    EXPECT_FALSE(s.gic.spi_edge(EDMA_IRQ)) << "<0 20 4>: level";
    // The allocator's own acknowledge handler, shared.
    ASSERT_EQ(s.hal.handler_count(EDMA_IRQ), 1u);
    EXPECT_EQ(s.hal.actions(EDMA_IRQ)[0].name, "dw-edma-emul");
    EXPECT_EQ(s.hal.actions(EDMA_IRQ)[0].flags, fw::irq_shared);
    s.hal.clear_accesses();
    EXPECT_EQ(s.hal.fire(EDMA_IRQ), 1u);
    const auto w = s.hal.writes_in(EDMA, 0x2000);
    ASSERT_EQ(w.size(), 2u);
    EXPECT_EQ(w[0].addr, EDMA + 0x58);
    EXPECT_EQ(w[0].value, 0u);
    EXPECT_EQ(w[1].addr, EDMA + 0xac);
    EXPECT_EQ(w[1].value, 0u);
    // A host kick latches the emulation; the acknowledge quiets the line.
    s.edma.host_ring();
    EXPECT_FALSE(s.edma.asserted());
    EXPECT_EQ(s.hal.storms, 0u);
}

TEST(DoorbellAllocFallback, EmbeddedKickRunsTheAcknowledgeFirstThenEveryListener) {
    BOOT(s, no_msi());
    ASSERT_TRUE(s.db->alloc(0, 3));
    std::vector<std::pair<unsigned, std::size_t>> calls; // index, acknowledges seen so far
    for (unsigned i = 0; i < 3; ++i)
        ASSERT_TRUE(s.db->listen(0, i, [&](unsigned idx) { calls.emplace_back(idx, s.edma.rd_clears.size()); }));
    EXPECT_EQ(s.hal.handler_count(EDMA_IRQ), 4u);
    EXPECT_EQ(s.hal.actions(EDMA_IRQ)[0].name, "dw-edma-emul") << "registered first";
    for (const auto& a : s.hal.actions(EDMA_IRQ))
        EXPECT_TRUE(a.flags & fw::irq_shared) << a.name;
    EXPECT_EQ(s.edma.host_ring(), 4u);
    ASSERT_EQ(calls.size(), 3u) << "a kick cannot be told apart: every listener runs";
    for (unsigned i = 0; i < 3; ++i) {
        EXPECT_EQ(calls[i].first, i);
        EXPECT_EQ(calls[i].second, 1u) << "acknowledged before the listeners ran";
    }
    EXPECT_EQ(s.hal.storms, 0u);
}

TEST(DoorbellAllocFallback, KickAfterTheLastFreeIsNoUnhandledInterrupt) {
    // The allocator enabled the eDMA SPI for its embedded doorbells; once the last is freed (and the
    // acknowledge handler with it), a kick — the RK3588 reserved BAR4 stays hard-wired to the eDMA — must not be
    // an interrupt nobody acknowledges.
    BOOT(s, no_msi());
    ASSERT_TRUE(s.db->alloc(0, 1));
    ASSERT_TRUE(s.gic.spi_enabled(EDMA_IRQ));
    ASSERT_TRUE(s.db->free(0));
    EXPECT_EQ(s.hal.handler_count(EDMA_IRQ), 0u);
    s.edma.host_ring();
    EXPECT_EQ(s.hal.unhandled, 0u) << "eDMA SPI " << EDMA_IRQ << " left enabled with no handler";
    EXPECT_EQ(s.hal.storms, 0u);
}

TEST(DoorbellAllocFallback, NoEdmaEitherFallsBackToPolledSlots) {
    BOOT(s, bare());
    EXPECT_FALSE(s.ep.edma().present);
    auto r = s.db->alloc(0, 5);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(s.db->last_reasons().size(), 2u);
    EXPECT_TRUE(has(s.db->last_reasons()[0], "MSI")) << s.db->last_reasons()[0];
    EXPECT_TRUE(has(s.db->last_reasons()[1], "embedded")) << s.db->last_reasons()[1];
    std::set<std::uint64_t> addrs;
    const std::uint64_t base = r.value()[0].address;
    EXPECT_EQ(base % 0x10000, 0u) << "a region one BAR-match window can expose";
    EXPECT_GE(base, POOL);
    EXPECT_LT(base, POOL + POOL_SIZE);
    for (unsigned i = 0; i < 5; ++i) {
        const fw::doorbell& d = r.value()[i];
        EXPECT_EQ(d.backend, doorbell_backend::poll);
        EXPECT_EQ(d.address, base + 4 * i);
        EXPECT_NE(d.data, 0u);
        EXPECT_EQ(d.irq, 0u);
        EXPECT_EQ(d.irq_flags, fw::irq_none);
        EXPECT_EQ(d.bar, fw::NO_BAR);
        EXPECT_EQ(s.hal.peek32(d.address), 0u);
        addrs.insert(d.address);
    }
    EXPECT_EQ(addrs.size(), 5u);
}

// ------------------------------------------------------------------------------------------------------------
// Poll backend scanning.

TEST(DoorbellAllocPoll, ServiceFindsWritesAfterThePollInterval) {
    BOOT(s, soc_config{});
    const std::uint64_t t0 = s.hal.now_ns();
    auto r = s.db->alloc(0, 3, named(doorbell_backend::poll));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_GE(s.db->next_poll_ns(), t0 + 1000000);
    EXPECT_LE(s.db->next_poll_ns(), s.hal.now_ns() + 1000000);
    std::vector<unsigned> rang;
    for (unsigned i = 0; i < 3; ++i)
        ASSERT_TRUE(s.db->listen(0, i, [&](unsigned idx) { rang.push_back(idx); }));
    EXPECT_EQ(s.hal.all_actions().size(), 0u) << "polling needs no interrupt";

    s.hal.poke32(r.value()[1].address, r.value()[1].data); // the host rings doorbell 1
    EXPECT_EQ(s.db->service(), 0u) << "not due yet";
    EXPECT_TRUE(rang.empty());
    s.hal.advance(1000000);
    EXPECT_EQ(s.db->service(), 1u);
    EXPECT_EQ(rang, (std::vector<unsigned>{1}));
    EXPECT_EQ(s.hal.peek32(r.value()[1].address), 0u) << "the slot is cleared for the next ring";
    EXPECT_EQ(s.db->service(), 0u) << "the next scan is a poll interval later";
    s.hal.advance(1000000);
    EXPECT_EQ(s.db->service(), 0u) << "nothing rang";
    s.hal.poke32(r.value()[2].address, 1);
    s.hal.poke32(r.value()[0].address, 1);
    s.hal.advance(1000000);
    EXPECT_EQ(s.db->service(), 2u);
    EXPECT_EQ(rang, (std::vector<unsigned>{1, 0, 2})) << "slot order";
}

TEST(DoorbellAllocPoll, AnyValueModeDetectsChangedValues) {
    BOOT(s, soc_config{});
    fw::doorbell_requirements req = named(doorbell_backend::poll);
    req.any_value = true;
    auto r = s.db->alloc(0, 2, req);
    ASSERT_TRUE(r) << r.error().message();
    std::vector<unsigned> rang;
    ASSERT_TRUE(s.db->listen(0, 0, [&](unsigned idx) { rang.push_back(idx); }));
    ASSERT_TRUE(s.db->listen(0, 1, [&](unsigned idx) { rang.push_back(idx); }));
    const std::uint64_t slot = r.value()[0].address;
    auto scan = [&] {
        s.hal.advance(1000000);
        return s.db->service();
    };
    s.hal.poke32(slot, 5); // a queue pointer
    EXPECT_EQ(scan(), 1u);
    EXPECT_EQ(s.hal.peek32(slot), 5u) << "values are the host's: not cleared";
    EXPECT_EQ(scan(), 0u) << "unchanged";
    s.hal.poke32(slot, 7);
    EXPECT_EQ(scan(), 1u);
    s.hal.poke32(slot, 0);
    EXPECT_EQ(scan(), 1u) << "a change back to 0 is a ring too";
    EXPECT_EQ(rang, (std::vector<unsigned>{0, 0, 0}));
}

TEST(DoorbellAllocPoll, FreeReturnsTheSlotsToThePool) {
    // doorbells.md: "free(f) releases only f's EventIDs (DISCARD), LPIs, handlers and slots". A function that
    // takes and frees polled doorbells again and again (a driver re-binding) must not run the pool dry.
    soc_config c = bare();
    c.pool_size = 0x200000; // 2 MiB: room for the GIC/ITS tables and about 25 poll regions of 64 KiB
    BOOT(s, c);
    s.hal.record = false;
    for (unsigned round = 0; round < 64; ++round) {
        auto r = s.db->alloc(0, 1);
        ASSERT_TRUE(r) << "round " << round << ": " << r.error().message() << " (pool used " << s.pool->used()
                       << " of " << s.pool->size() << ")";
        ASSERT_TRUE(s.db->free(0));
    }
}

TEST(DoorbellAllocPoll, ListenerMayFreeItsFunctionDuringService) {
    soc_config c = bare();
    c.functions = 2;
    BOOT(s, c);
    auto a = s.db->alloc(0, 2);
    auto b = s.db->alloc(1, 1);
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    std::vector<std::pair<unsigned, unsigned>> rang;
    ASSERT_TRUE(s.db->listen(0, 0, [&](unsigned i) {
        rang.emplace_back(0, i);
        EXPECT_TRUE(s.db->free(0)); // e.g. DISABLE_DOORBELL handled in the listener
    }));
    ASSERT_TRUE(s.db->listen(0, 1, [&](unsigned i) { rang.emplace_back(0, i); }));
    ASSERT_TRUE(s.db->listen(1, 0, [&](unsigned i) { rang.emplace_back(1, i); }));
    s.hal.poke32(a.value()[0].address, 1);
    s.hal.poke32(a.value()[1].address, 1);
    s.hal.poke32(b.value()[0].address, 1);
    s.hal.advance(1000000);
    EXPECT_EQ(s.db->service(), 3u) << "all three were found rung";
    // Function 0's second listener went with free(); function 1's still ran.
    EXPECT_EQ(rang, (std::vector<std::pair<unsigned, unsigned>>{{0, 0}, {1, 0}}));
    EXPECT_TRUE(s.db->doorbells(0).empty());
    EXPECT_EQ(s.db->doorbells(1).size(), 1u);
}

TEST(DoorbellAllocPoll, PoolExhaustedIsNoSpace) {
    soc_config c = bare();
    c.opt.poll_region_bytes = 2 * POOL_SIZE;
    BOOT(s, c);
    auto r = s.db->alloc(0, 1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), errc::no_space) << r.error().message();
    EXPECT_TRUE(s.db->doorbells(0).empty());
}

TEST(DoorbellAllocPoll, WindowStrideAndAlignmentRules) {
    BOOT(s, bare());
    fw::doorbell_requirements req;
    req.window_bar = 0;
    req.window_offset = 0x1000;
    req.window_phys = 0x81000000;
    req.window_stride = 6;
    auto r = s.db->alloc(0, 2, req);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), errc::invalid_argument) << r.error().message();
    EXPECT_TRUE(has(r.error().message(), "stride 6")) << r.error().message();
    req.window_stride = 4;
    req.align = 0x1000;
    r = s.db->alloc(0, 2, req);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), errc::not_supported) << "no backend fits";
    EXPECT_TRUE(has(r.error().message(), "poll: the window BAR0+0x1000 (stride 4) is not 0x1000-aligned"))
        << r.error().message();
    req.window_stride = 0x1000;
    r = s.db->alloc(0, 2, req);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value()[1].address, 0x81002000u);
    EXPECT_EQ(r.value()[1].offset, 0x2000u);
}

// ------------------------------------------------------------------------------------------------------------
// Named backends.

TEST(DoorbellAllocBackend, NamedBackendIsHonoured) {
    soc_config c;
    c.functions = 3;
    BOOT(s, c);
    auto p = s.db->alloc(0, 2, named(doorbell_backend::poll));
    ASSERT_TRUE(p) << p.error().message();
    EXPECT_EQ(p.value()[0].backend, doorbell_backend::poll) << "although MSI is available";
    EXPECT_TRUE(s.db->last_reasons().empty());
    auto e = s.db->alloc(1, 2, named(doorbell_backend::embedded));
    ASSERT_TRUE(e) << e.error().message();
    EXPECT_EQ(e.value()[0].backend, doorbell_backend::embedded);
    auto m = s.db->alloc(2, 2, named(doorbell_backend::msi));
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(m.value()[0].backend, doorbell_backend::msi);
    EXPECT_EQ(s.its.count(MAPTI), 2u) << "only the MSI function mapped events";
}

TEST(DoorbellAllocBackend, NamedBackendThatIsUnavailableIsAnError) {
    BOOT(s, bare());
    auto m = s.db->alloc(0, 1, named(doorbell_backend::msi));
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code(), errc::not_supported);
    EXPECT_TRUE(has(m.error().message(), "MSI")) << m.error().message();
    ASSERT_EQ(s.db->last_reasons().size(), 1u) << "only the named backend was tried";
    auto e = s.db->alloc(0, 1, named(doorbell_backend::embedded));
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().code(), errc::not_supported);
    EXPECT_TRUE(has(e.error().message(), "embedded")) << e.error().message();
    EXPECT_EQ(s.db->last_reasons().size(), 1u);
    EXPECT_TRUE(s.db->doorbells(0).empty());
    EXPECT_EQ(s.its.count(MAPD), 0u);
    EXPECT_EQ(s.hal.all_actions().size(), 0u);
}

// ------------------------------------------------------------------------------------------------------------
// Requirements.

TEST(DoorbellAllocRequirements, AlignmentRulesOutTheTranslater) {
    BOOT(s, soc_config{});
    fw::doorbell_requirements req;
    req.align = 0x1000;
    auto r = s.db->alloc(0, 2, req);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(s.db->last_reasons().size(), 2u);
    const std::string& msi = s.db->last_reasons()[0];
    EXPECT_TRUE(has(msi, "GITS_TRANSLATER")) << msi;
    EXPECT_TRUE(has(msi, "0x40-aligned")) << msi;
    EXPECT_TRUE(has(msi, "0x1000 required")) << msi;
    EXPECT_TRUE(has(s.db->last_reasons()[1], "embedded")) << s.db->last_reasons()[1];
    for (unsigned i = 0; i < 2; ++i) {
        EXPECT_EQ(r.value()[i].backend, doorbell_backend::poll);
        EXPECT_EQ(r.value()[i].address % 0x1000, 0u);
    }
    EXPECT_EQ(r.value()[1].address - r.value()[0].address, 0x1000u);
    EXPECT_EQ(s.its.count(MAPD), 0u) << "nothing programmed for the refused backend";

    ASSERT_TRUE(s.db->free(0));
    fw::doorbell_requirements q = named(doorbell_backend::msi);
    q.align = 0x1000;
    auto m = s.db->alloc(0, 1, q);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code(), errc::not_supported);
    EXPECT_TRUE(has(m.error().message(), "GITS_TRANSLATER")) << m.error().message();
    q.align = 0x40;
    m = s.db->alloc(0, 1, q);
    ASSERT_TRUE(m) << "0x40 is the translater's alignment: " << m.error().message();
}

TEST(DoorbellAllocRequirements, DistinguishableRefusesTheSharedKickForMoreThanOne) {
    BOOT(s, no_msi());
    fw::doorbell_requirements req;
    req.distinguishable = true;
    auto r = s.db->alloc(0, 2, req);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value()[0].backend, doorbell_backend::poll);
    ASSERT_EQ(s.db->last_reasons().size(), 2u);
    EXPECT_TRUE(has(s.db->last_reasons()[1], "cannot tell 2 doorbells apart")) << s.db->last_reasons()[1];
    EXPECT_EQ(s.hal.handler_count(EDMA_IRQ), 0u);
    ASSERT_TRUE(s.db->free(0));
    auto one = s.db->alloc(0, 1, req);
    ASSERT_TRUE(one) << one.error().message();
    EXPECT_EQ(one.value()[0].backend, doorbell_backend::embedded) << "one doorbell is always distinguishable";
}

TEST(DoorbellAllocRequirements, AnyValueRefusesMsi) {
    BOOT(s, soc_config{});
    fw::doorbell_requirements req;
    req.any_value = true;
    auto r = s.db->alloc(0, 1, req);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value()[0].backend, doorbell_backend::embedded) << "the eDMA ignores the value";
    ASSERT_EQ(s.db->last_reasons().size(), 1u);
    EXPECT_TRUE(has(s.db->last_reasons()[0], "MSI")) << s.db->last_reasons()[0];
    EXPECT_TRUE(has(s.db->last_reasons()[0], "EventID")) << s.db->last_reasons()[0];
    EXPECT_EQ(s.its.count(MAPD), 0u);
    ASSERT_TRUE(s.db->free(0));
    req.backend = doorbell_backend::msi;
    auto m = s.db->alloc(0, 1, req);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code(), errc::not_supported);
}

TEST(DoorbellAllocRequirements, NvmeWindowRulesOutMsiAndEmbeddedAndPollNeedsWindowPhys) {
    BOOT(s, soc_config{});
    fw::doorbell_requirements req;
    req.window_bar = 0;
    req.window_offset = 0x1000;
    req.window_stride = 4;
    req.any_value = true;
    auto r = s.db->alloc(0, 4, req);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), errc::invalid_argument) << "poll's own error is returned, not a fall-back";
    EXPECT_TRUE(has(r.error().message(), "window_phys")) << r.error().message();
    ASSERT_EQ(s.db->last_reasons().size(), 2u);
    const std::string& msi = s.db->last_reasons()[0];
    EXPECT_TRUE(has(msi, "MSI")) << msi;
    EXPECT_TRUE(has(msi, "GITS_TRANSLATER is at offset 0x40 of its 0x10000-byte iATU region, cannot start at "
                         "BAR0+0x1000"))
        << msi;
    EXPECT_TRUE(has(msi, "one address")) << msi;
    const std::string& emb = s.db->last_reasons()[1];
    EXPECT_TRUE(has(emb, "embedded")) << emb;
    EXPECT_TRUE(has(emb, "the eDMA doorbell is at offset 0xa0")) << emb;
    EXPECT_TRUE(s.db->doorbells(0).empty());
    EXPECT_EQ(s.its.count(MAPD), 0u);
    EXPECT_EQ(s.hal.handler_count(EDMA_IRQ), 0u);

    req.window_phys = 0x81000000;
    for (unsigned i = 0; i < 4; ++i)
        s.hal.poke32(0x81001000 + 4 * i, 0xdead0000 + i); // stale queue pointers in the window's memory
    r = s.db->alloc(0, 4, req);
    ASSERT_TRUE(r) << r.error().message();
    for (unsigned i = 0; i < 4; ++i) {
        const fw::doorbell& d = r.value()[i];
        EXPECT_EQ(d.backend, doorbell_backend::poll);
        EXPECT_EQ(d.address, 0x81000000u + 0x1000 + 4 * i);
        EXPECT_EQ(d.bar, 0);
        EXPECT_EQ(d.offset, 0x1000u + 4 * i);
        EXPECT_EQ(s.hal.peek32(d.address), 0u) << "slot " << i << " starts cleared";
    }
    s.hal.advance(1000000);
    EXPECT_EQ(s.db->service(), 0u) << "no ring before the host writes";
}

TEST(DoorbellAllocRequirements, WindowAtTheTranslaterOffsetFitsOneMsiDoorbell) {
    BOOT(s, soc_config{});
    fw::doorbell_requirements req;
    req.window_bar = 2;
    req.window_offset = 0x40;
    auto r = s.db->alloc(0, 1, req);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value()[0].backend, doorbell_backend::msi);
    EXPECT_TRUE(s.db->last_reasons().empty());
}

TEST(DoorbellAllocRequirements, InterruptRulesOutPoll) {
    fw::doorbell_requirements req;
    req.interrupt = true;
    {
        BOOT(s, bare());
        auto r = s.db->alloc(0, 1, req);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code(), errc::not_supported);
        ASSERT_EQ(s.db->last_reasons().size(), 3u);
        EXPECT_TRUE(has(s.db->last_reasons()[2], "poll: not interrupt-driven")) << s.db->last_reasons()[2];
        EXPECT_TRUE(s.db->doorbells(0).empty());
        fw::doorbell_requirements p = req;
        p.backend = doorbell_backend::poll;
        EXPECT_EQ(s.db->alloc(0, 1, p).error().code(), errc::not_supported) << "named poll with interrupt";
    }
    {
        BOOT(s, no_msi());
        auto r = s.db->alloc(0, 2, req);
        ASSERT_TRUE(r) << r.error().message();
        EXPECT_EQ(r.value()[0].backend, doorbell_backend::embedded);
        ASSERT_TRUE(s.db->free(0));
        fw::doorbell_requirements d = req;
        d.distinguishable = true;
        auto none = s.db->alloc(0, 2, d);
        ASSERT_FALSE(none) << "embedded cannot tell 2 apart, poll is not interrupt-driven";
        EXPECT_EQ(none.error().code(), errc::not_supported);
    }
}

TEST(DoorbellAllocRequirements, MalformedRequirementsAreInvalid) {
    BOOT(s, soc_config{});
    fw::doorbell_requirements req;
    req.window_bar = 6;
    EXPECT_EQ(s.db->alloc(0, 1, req).error().code(), errc::invalid_argument);
    req.window_bar = -2;
    EXPECT_EQ(s.db->alloc(0, 1, req).error().code(), errc::invalid_argument);
    req = {};
    req.align = 0x30;
    EXPECT_EQ(s.db->alloc(0, 1, req).error().code(), errc::invalid_argument);
    EXPECT_EQ(s.its.count(MAPD), 0u);
}

TEST(DoorbellAllocRequirements, EmbeddedPreExposedByAReservedBar) {
    soc_config c;
    c.ep_extra = "\t\t\tbar4 {\n\t\t\t\tdbvp,type = \"reserved\";\n\t\t\t\tdbvp,size = <0x2000>;\n"
                 "\t\t\t\tdbvp,target = <0x0 0x40380000>;\n\t\t\t};\n";
    c.functions = 3;
    BOOT(s, c);
    EXPECT_EQ(s.ep.features().bars[4].kind, fw::bar_kind::reserved);
    auto r = s.db->alloc(0, 1, named(doorbell_backend::embedded));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value()[0].address, EDMA + 0xa0);
    EXPECT_EQ(r.value()[0].bar, 4);
    EXPECT_EQ(r.value()[0].offset, 0xa0u);

    fw::doorbell_requirements w;
    w.window_bar = 4;
    w.window_offset = 0xa0;
    w.backend = doorbell_backend::embedded;
    auto fits = s.db->alloc(1, 1, w);
    ASSERT_TRUE(fits) << fits.error().message();
    EXPECT_EQ(fits.value()[0].bar, 4);

    w.window_bar = 0;
    w.window_offset = 0x1000;
    auto no = s.db->alloc(2, 1, w);
    ASSERT_FALSE(no);
    EXPECT_EQ(no.error().code(), errc::not_supported);
    EXPECT_TRUE(has(no.error().message(), "fixed at BAR4+0xa0")) << no.error().message();
}

// ------------------------------------------------------------------------------------------------------------
// Errors.

TEST(DoorbellAllocErrors, BadFunctionAndDoorbellCounts) {
    soc_config c;
    c.functions = 2;
    BOOT(s, c);
    const std::size_t mark = s.its.commands().size();
    auto f = s.db->alloc(2, 1);
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().code(), errc::invalid_argument);
    EXPECT_EQ(s.db->alloc(0, 0).error().code(), errc::invalid_argument);
    EXPECT_EQ(s.db->alloc(0, 65537).error().code(), errc::invalid_argument);
    EXPECT_EQ(s.db->alloc(0, 65537, named(doorbell_backend::poll)).error().code(), errc::invalid_argument);
    EXPECT_EQ(s.its.commands().size(), mark) << "nothing programmed";
    auto max = s.db->alloc(0, 1024, named(doorbell_backend::poll));
    ASSERT_TRUE(max) << max.error().message();
    EXPECT_EQ(max->size(), 1024u);
}

TEST(DoorbellAllocErrors, SecondAllocForAFunctionIsBusy) {
    BOOT(s, soc_config{});
    ASSERT_TRUE(s.db->alloc(0, 2));
    const std::size_t mark = s.its.commands().size();
    auto r = s.db->alloc(0, 1, named(doorbell_backend::poll));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), errc::busy);
    EXPECT_EQ(s.db->doorbells(0).size(), 2u);
    EXPECT_EQ(s.db->doorbells(0)[0].backend, doorbell_backend::msi);
    EXPECT_EQ(s.its.commands().size(), mark);
}

TEST(DoorbellAllocErrors, FreeWithoutAllocIsAnError) {
    BOOT(s, soc_config{});
    EXPECT_EQ(s.db->free(0).code(), errc::invalid_argument);
    EXPECT_EQ(s.db->free(7).code(), errc::invalid_argument);
    ASSERT_TRUE(s.db->alloc(0, 1));
    EXPECT_TRUE(s.db->free(0));
    EXPECT_EQ(s.db->free(0).code(), errc::invalid_argument) << "freed twice";
    EXPECT_EQ(s.hal.bad_frees, 0u);
}

TEST(DoorbellAllocErrors, ListenErrors) {
    BOOT(s, soc_config{});
    EXPECT_EQ(s.db->listen(0, 0, [](unsigned) {}).code(), errc::invalid_argument) << "no doorbells";
    ASSERT_TRUE(s.db->alloc(0, 2));
    EXPECT_EQ(s.db->listen(0, 2, [](unsigned) {}).code(), errc::out_of_range);
    EXPECT_EQ(s.db->listen(0, 0, nullptr).code(), errc::invalid_argument);
    EXPECT_EQ(s.hal.all_actions().size(), 0u);
}

TEST(DoorbellAllocErrors, EventIdsExhaustedLeaveNothingProgrammed) {
    soc_config c;
    c.functions = 2;
    c.opt.msi_events = 32;
    BOOT(s, c);
    auto a = s.db->alloc(0, 20);
    ASSERT_TRUE(a) << a.error().message();
    ASSERT_EQ(s.its.count(MAPD), 1u);
    EXPECT_EQ(s.its.commands_since(0, MAPD)[0].size, 4u) << "32 EventIDs: 5 bits";
    const std::size_t mark = s.its.commands().size();
    auto b = s.db->alloc(1, 20);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code(), errc::no_space) << b.error().message();
    EXPECT_TRUE(has(b.error().message(), "EventID")) << b.error().message();
    EXPECT_EQ(s.its.count(MAPTI, mark), 0u) << "no MAPTI for the refused function";
    EXPECT_EQ(s.its.commands().size(), mark);
    EXPECT_TRUE(s.db->doorbells(1).empty());
    EXPECT_EQ(s.its.ite_count(DEV), 20u);
    for (unsigned i = 0; i < 12; ++i)
        EXPECT_FALSE(s.gic.lpi_enabled(LPI0 + 20 + i));

    // LPIs and EventIDs are still free for a smaller request.
    auto small = s.db->alloc(1, 12);
    ASSERT_TRUE(small) << small.error().message();
    for (unsigned i = 0; i < 12; ++i) {
        EXPECT_EQ(small.value()[i].data, 20 + i);
        EXPECT_EQ(small.value()[i].irq, LPI0 + 20 + i);
    }
    EXPECT_EQ(s.its.count(MAPD), 1u);
}

TEST(DoorbellAllocErrors, EdmaInterruptHeldExclusivelyIsReturnedNotSkipped) {
    BOOT(s, no_msi());
    auto other = s.hal.request_irq(EDMA_IRQ, [](unsigned) {}, fw::irq_none, "exclusive");
    ASSERT_TRUE(other);
    auto r = s.db->alloc(0, 1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), errc::busy) << r.error().message();
    EXPECT_TRUE(s.db->doorbells(0).empty());
    EXPECT_EQ(s.hal.handler_count(EDMA_IRQ), 1u);
    s.hal.free_irq(other.value());
    auto ok = s.db->alloc(0, 1);
    ASSERT_TRUE(ok) << "no embedded user was counted by the failed attempt: " << ok.error().message();
    EXPECT_EQ(s.hal.handler_count(EDMA_IRQ, "dw-edma-emul"), 1u);
}

// ------------------------------------------------------------------------------------------------------------
// Several functions.

TEST(DoorbellAllocMultiFunction, DisjointEventIdsAndIndependentFree) {
    soc_config c;
    c.functions = 2;
    BOOT(s, c);
    auto a = s.db->alloc(0, 3);
    auto b = s.db->alloc(1, 3);
    ASSERT_TRUE(a) << a.error().message();
    ASSERT_TRUE(b) << b.error().message();
    std::set<unsigned> events, lpis;
    for (unsigned i = 0; i < 3; ++i) {
        EXPECT_EQ(a.value()[i].data, i);
        EXPECT_EQ(b.value()[i].data, 3 + i);
        for (const auto* v : {&a.value(), &b.value()}) {
            events.insert((*v)[i].data);
            lpis.insert((*v)[i].irq);
        }
    }
    EXPECT_EQ(events.size(), 6u);
    EXPECT_EQ(lpis.size(), 6u);
    EXPECT_EQ(s.its.count(MAPD), 1u) << "one DeviceID for the controller";
    std::vector<unsigned> rang1;
    for (unsigned i = 0; i < 3; ++i)
        ASSERT_TRUE(s.db->listen(1, i, [&](unsigned idx) { rang1.push_back(idx); }));
    ASSERT_TRUE(s.db->listen(0, 0, [](unsigned) {}));

    const std::size_t mark = s.its.commands().size();
    ASSERT_TRUE(s.db->free(0));
    std::set<unsigned> discarded;
    for (const auto& cmd : without_syncs(s.its.commands_since(mark))) {
        EXPECT_EQ(cmd.opcode, DISCARD) << cmd.name();
        EXPECT_EQ(cmd.device_id, DEV);
        discarded.insert(cmd.event_id);
    }
    EXPECT_EQ(discarded, (std::set<unsigned>{0, 1, 2}));
    for (unsigned i = 0; i < 3; ++i) {
        EXPECT_FALSE(s.its.lookup(DEV, i).has_value());
        ASSERT_TRUE(s.its.lookup(DEV, 3 + i).has_value());
        EXPECT_EQ(s.its.lookup(DEV, 3 + i)->intid, b.value()[i].irq);
        EXPECT_FALSE(s.gic.lpi_enabled(a.value()[i].irq));
        EXPECT_TRUE(s.gic.lpi_enabled(b.value()[i].irq));
    }
    EXPECT_EQ(s.hal.handler_count(a.value()[0].irq), 0u);
    EXPECT_EQ(s.its.inject(DEV, 4), b.value()[1].irq);
    EXPECT_EQ(rang1, (std::vector<unsigned>{1}));
    EXPECT_EQ(s.db->doorbells(1).size(), 3u);

    auto again = s.db->alloc(0, 2);
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(again.value()[0].data, 0u) << "function 0's EventIDs were returned";
    EXPECT_EQ(again.value()[1].data, 1u);
}

TEST(DoorbellAllocMultiFunction, EmbeddedAcknowledgeIsSharedAndFreedWithTheLastUser) {
    soc_config c = no_msi();
    c.functions = 2;
    BOOT(s, c);
    ASSERT_TRUE(s.db->alloc(0, 1));
    ASSERT_TRUE(s.db->alloc(1, 2));
    EXPECT_EQ(s.hal.handler_count(EDMA_IRQ, "dw-edma-emul"), 1u) << "one acknowledge for both functions";
    unsigned f0 = 0, f1 = 0;
    ASSERT_TRUE(s.db->listen(0, 0, [&](unsigned) { ++f0; }));
    ASSERT_TRUE(s.db->listen(1, 0, [&](unsigned) { ++f1; }));
    ASSERT_TRUE(s.db->listen(1, 1, [&](unsigned) { ++f1; }));
    EXPECT_EQ(s.hal.actions(EDMA_IRQ)[0].name, "dw-edma-emul");
    s.edma.host_ring();
    EXPECT_EQ(s.edma.rd_clears.size(), 1u);
    EXPECT_EQ(f0, 1u);
    EXPECT_EQ(f1, 2u);

    ASSERT_TRUE(s.db->free(0));
    EXPECT_EQ(s.hal.handler_count(EDMA_IRQ, "dw-edma-emul"), 1u) << "function 1 still holds embedded doorbells";
    EXPECT_EQ(s.hal.handler_count(EDMA_IRQ), 3u);
    s.edma.host_ring();
    EXPECT_EQ(s.edma.rd_clears.size(), 2u);
    EXPECT_EQ(f0, 1u) << "function 0's listener is gone";
    EXPECT_EQ(f1, 4u);
    EXPECT_EQ(s.hal.storms, 0u);

    ASSERT_TRUE(s.db->free(1));
    EXPECT_EQ(s.hal.handler_count(EDMA_IRQ), 0u) << "freed with the last user";
    EXPECT_EQ(s.hal.bad_frees, 0u);
    // And set up again for a new user.
    ASSERT_TRUE(s.db->alloc(1, 1));
    EXPECT_EQ(s.hal.handler_count(EDMA_IRQ, "dw-edma-emul"), 1u);
}

TEST(DoorbellAllocMultiFunction, DestructorReleasesEveryFunction) {
    soc_config c;
    c.functions = 3;
    BOOT(s, c);
    ASSERT_TRUE(s.db->alloc(0, 2));
    ASSERT_TRUE(s.db->alloc(1, 1, named(doorbell_backend::embedded)));
    ASSERT_TRUE(s.db->alloc(2, 1, named(doorbell_backend::poll)));
    ASSERT_TRUE(s.db->listen(0, 1, [](unsigned) {}));
    ASSERT_TRUE(s.db->listen(1, 0, [](unsigned) {}));
    s.db.reset();
    EXPECT_EQ(s.hal.all_actions().size(), 0u);
    EXPECT_EQ(s.its.ite_count(), 0u);
    EXPECT_EQ(s.hal.bad_frees, 0u);
}

// ------------------------------------------------------------------------------------------------------------
// i.MX95 LUT.

TEST(DoorbellAllocLut, EntryForRequesterIdZeroIsWrittenOnce) {
    // With attach() (endpoint::boot) the entry is written at controller probe; without, by the first MSI alloc.
    for (const bool attach : {true, false}) {
        SCOPED_TRACE(attach ? "attach" : "no attach");
        soc_config c;
        c.lut = true;
        c.functions = 2;
        c.attach = attach;
        BOOT(s, c);
        ASSERT_NE(s.msi->lut(), nullptr);
        EXPECT_EQ(s.lut.commits.size(), attach ? 1u : 0u);
        ASSERT_TRUE(s.db->alloc(0, 1));
        ASSERT_TRUE(s.db->alloc(1, 1));
        ASSERT_TRUE(s.db->free(0));
        ASSERT_TRUE(s.db->alloc(0, 1));
        ASSERT_EQ(s.lut.commits.size(), 1u) << "written once";
        const auto& e = s.lut.commits[0];
        EXPECT_EQ(e.index, 0u);
        EXPECT_TRUE(e.value.valid());
        EXPECT_EQ(e.value.sid(), DEV) << "the StreamID (= DeviceID from msi-map without iommu-map)";
        EXPECT_EQ(e.value.reqid(), 0u);
        EXPECT_EQ(e.value.mask(), 0x7u) << "doorbell_options::lut_mask";
        EXPECT_EQ(s.its.commands_since(0, MAPD).at(0).device_id, DEV);
    }
}

TEST(DoorbellAllocLut, MaskComesFromTheOptions) {
    for (const bool attach : {true, false}) {
        SCOPED_TRACE(attach ? "attach" : "no attach");
        soc_config c;
        c.lut = true;
        c.attach = attach;
        c.opt.lut_mask = 0xffff;
        BOOT(s, c);
        ASSERT_TRUE(s.db->alloc(0, 1));
        ASSERT_EQ(s.lut.commits.size(), 1u);
        EXPECT_EQ(s.lut.commits[0].value.mask(), 0xffffu);
    }
}

TEST(DoorbellAllocLut, ExistingEntryForRequesterIdZeroIsKept) {
    soc_config c;
    c.lut = true;
    c.before_boot = [](soc& x) { x.lut.set(5, {0x80000000u | DEV, 0x7}); };
    BOOT(s, c);
    ASSERT_TRUE(s.db->alloc(0, 1));
    EXPECT_TRUE(s.lut.commits.empty());
}

TEST(DoorbellAllocLut, FullLutIsNoSpaceAndProgramsNoIts) {
    for (const bool attach : {true, false}) {
        SCOPED_TRACE(attach ? "attach" : "no attach");
        soc_config c;
        c.lut = true;
        c.attach = attach;
        c.before_boot = [](soc& x) {
            for (unsigned i = 0; i < 32; ++i)
                x.lut.set(i, {0x80000000u | i, ((i + 1) << 16) | 0xffff});
        };
        soc s(c);
        fw::status st = s.booted;
        if (st) {
            auto r = s.db->alloc(0, 1);
            st = r ? fw::status{} : r.error();
            EXPECT_TRUE(s.db->doorbells(0).empty());
        }
        EXPECT_EQ(st.code(), errc::no_space) << st.message();
        EXPECT_EQ(!s.booted, attach) << "attach() reports it at boot";
        EXPECT_TRUE(s.lut.commits.empty());
        EXPECT_EQ(s.its.count(MAPD), 0u);
    }
}

const char* const SMMU_PLACEHOLDER = "\t\tsmmu: iommu@49000000 {\n\t\t\tcompatible = \"dbvp,test-placeholder\";\n"
                                     "\t\t\t#iommu-cells = <1>;\n\t\t\treg = <0x0 0x49000000 0x0 0x20000>;\n\t\t};\n";

TEST(DoorbellAllocLut, IommuMapMsiMapMismatchIsAnError) {
    for (const bool attach : {true, false}) {
        SCOPED_TRACE(attach ? "attach" : "no attach");
        soc_config c;
        c.lut = true;
        c.attach = attach;
        c.soc_extra = SMMU_PLACEHOLDER;
        c.ep_extra = "\t\t\tiommu-map = <0x0 &smmu 0x11 0x1>;\n";
        soc s(c);
        fw::status st = s.booted;
        if (st) {
            auto r = s.db->alloc(0, 1);
            st = r ? fw::status{} : r.error();
            EXPECT_TRUE(s.db->doorbells(0).empty());
        }
        EXPECT_EQ(!s.booted, attach) << "attach() reports it at boot";
        EXPECT_EQ(st.code(), errc::invalid_argument);
        EXPECT_TRUE(has(st.message(), "iommu-map and msi-map entries mismatch!")) << st.message();
        EXPECT_TRUE(s.lut.commits.empty());
        EXPECT_EQ(s.its.count(MAPD), 0u);
    }
}

TEST(DoorbellAllocLut, MapsAgreeingInTheLowSixBitsAreAccepted) {
    soc_config c;
    c.lut = true;
    c.soc_extra = SMMU_PLACEHOLDER;
    c.ep_extra = "\t\t\tiommu-map = <0x0 &smmu 0x50 0x1>;\n";
    BOOT(s, c);
    auto r = s.db->alloc(0, 1);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(s.lut.commits.size(), 1u);
    EXPECT_EQ(s.lut.commits[0].value.sid(), 0x10u) << "StreamID 0x50 in the LUT's 6 bits";
    EXPECT_EQ(s.its.commands_since(0, MAPD).at(0).device_id, DEV) << "DeviceID from msi-map";
}

TEST(DoorbellAllocLut, FailedItsSetupLeavesNoLutEntryWithoutAttach) {
    // The allocator used on a platform that was not attached (it writes the LUT entry itself, doorbell.h): the
    // ITS has 4 DeviceID bits, DeviceID 0x10 cannot be mapped, the MSI set-up fails after the LUT step.
    soc_config c;
    c.lut = true;
    c.attach = false;
    c.its.devbits = 4;
    BOOT(s, c);
    auto r = s.db->alloc(0, 1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), errc::out_of_range) << r.error().message();
    EXPECT_EQ(s.its.count(MAPD), 0u);
    // doorbell.h: "Nothing stays half-programmed after an error."
    bool valid_entry = false;
    for (unsigned i = 0; i < 32; ++i)
        valid_entry = valid_entry || s.lut.at(i).valid();
    EXPECT_FALSE(valid_entry) << "the LUT entry for requester ID 0 stayed programmed (" << s.lut.commits.size()
                              << " commit(s)) although the MSI set-up failed";
}

// ------------------------------------------------------------------------------------------------------------
// Controller driver pieces: sub-range mapping, inbound alignment, auxiliary resources.

TEST(DoorbellAllocDwc, MapBarSubrangesRules) {
    soc_config c;
    c.dwc.num_ib = 4;
    BOOT(s, c);
    fw::dwc_ep_driver& ep = s.ep;
    const std::vector<fw::bar_subrange> good{{0x81000000, 0x10000}, {0x82000000, 0x30000}};
    s.hal.clear_accesses();
    auto st = ep.map_bar_subranges(0, 0, good);
    EXPECT_EQ(st.code(), errc::invalid_argument);
    EXPECT_TRUE(has(st.message(), "not configured")) << st.message();
    ASSERT_TRUE(ep.configure_bar(0, 0, 0x40000, {}));
    EXPECT_EQ(s.dwc.bar_mask(0, 0), 0x3ffffu);
    s.hal.clear_accesses();
    st = ep.map_bar_subranges(0, 0, good);
    EXPECT_EQ(st.code(), errc::invalid_argument);
    EXPECT_TRUE(has(st.message(), "not assigned")) << st.message();
    s.dwc.host_assign_bar(0, 0, 0x50000000);
    s.dwc.set_memory_enable(0, true);
    EXPECT_EQ(ep.bar_assigned(0, 0), 0x50000000u);

    st = ep.map_bar_subranges(0, 0, {});
    EXPECT_EQ(st.code(), errc::invalid_argument);
    st = ep.map_bar_subranges(0, 0, {{0x81000000, 0x8000}, {0x82000000, 0x38000}});
    EXPECT_EQ(st.code(), errc::invalid_argument) << "size not a multiple of the region size";
    EXPECT_TRUE(has(st.message(), "sub-range 0")) << st.message();
    st = ep.map_bar_subranges(0, 0, {{0x81000000, 0x10000}, {0x82008000, 0x30000}});
    EXPECT_EQ(st.code(), errc::invalid_argument) << "phys misaligned";
    EXPECT_TRUE(has(st.message(), "sub-range 1")) << st.message();
    st = ep.map_bar_subranges(0, 0, {{0x81000000, 0x10000}, {0x82000000, 0x20000}});
    EXPECT_EQ(st.code(), errc::invalid_argument) << "short of the BAR size";
    EXPECT_TRUE(has(st.message(), "cover")) << st.message();
    st = ep.map_bar_subranges(0, 0, {{0x81000000, 0x30000}, {0x82000000, 0x20000}});
    EXPECT_EQ(st.code(), errc::invalid_argument) << "past the BAR";
    EXPECT_TRUE(has(st.message(), "runs past")) << st.message();
    EXPECT_TRUE(s.hal.writes_in(ATU, ATU_SIZE).empty()) << "no rule violation touched the iATU";
    EXPECT_EQ(s.dwc.enabled_ib(), 0u);

    ASSERT_TRUE(ep.map_bar_subranges(0, 0, good));
    EXPECT_EQ(s.dwc.enabled_ib(), 2u);
    const auto& w0 = s.dwc.ib(0);
    const auto& w1 = s.dwc.ib(1);
    EXPECT_FALSE(w0.bar_match()) << "address match";
    EXPECT_EQ(w0.func(), 0u);
    EXPECT_EQ(w0.base(), 0x50000000u);
    EXPECT_EQ(w0.limit & 0xffffffffu, 0x5000ffffu);
    EXPECT_EQ(w0.target(), 0x81000000u);
    EXPECT_EQ(w1.base(), 0x50010000u);
    EXPECT_EQ(w1.limit, 0x5003ffffu);
    EXPECT_EQ(w1.target(), 0x82000000u);
    EXPECT_EQ(ep.free_ib_windows(), 2u);
}

TEST(DoorbellAllocDwc, MapBarSubrangesOutOfWindowsLeavesNothingNewMapped) {
    soc_config c;
    c.dwc.num_ib = 4;
    BOOT(s, c);
    fw::dwc_ep_driver& ep = s.ep;
    ASSERT_TRUE(ep.configure_bar(0, 0, 0x40000, {}));
    ASSERT_TRUE(ep.configure_bar(0, 1, 0x10000, {}));
    ASSERT_TRUE(ep.configure_bar(0, 2, 0x10000, {}));
    ASSERT_TRUE(ep.map_bar(0, 0, 0x81000000));
    ASSERT_TRUE(ep.map_bar(0, 1, 0x82000000));
    ASSERT_TRUE(ep.map_bar(0, 2, 0x83000000));
    s.dwc.host_assign_bar(0, 0, 0x50000000);
    ASSERT_EQ(ep.free_ib_windows(), 1u);
    s.hal.clear_accesses();
    const std::vector<fw::bar_subrange> four{
        {0x84000000, 0x10000}, {0x85000000, 0x10000}, {0x86000000, 0x10000}, {0x87000000, 0x10000}};
    auto st = ep.map_bar_subranges(0, 0, four);
    EXPECT_EQ(st.code(), errc::no_space) << st.message();
    EXPECT_TRUE(s.hal.writes_in(ATU, ATU_SIZE).empty()) << "nothing programmed";
    EXPECT_EQ(s.dwc.enabled_ib(), 3u);
    EXPECT_FALSE(s.dwc.ib(3).enabled());
    EXPECT_EQ(ep.free_ib_windows(), 1u);

    // A failure while mapping (the inbound mapper refusing the second sub-range) unmaps what was done.
    unsigned calls = 0;
    ep.set_inbound_mapper([&](std::uint64_t, std::uint64_t) {
        return ++calls == 2 ? fw::status(errc::no_space, "IOMMU full") : fw::status{};
    });
    st = ep.map_bar_subranges(0, 0, {{0x84000000, 0x10000}, {0x85000000, 0x30000}});
    EXPECT_EQ(st.code(), errc::no_space);
    EXPECT_EQ(calls, 2u);
    EXPECT_FALSE(s.dwc.ib(0).enabled());
    EXPECT_FALSE(s.dwc.ib(3).enabled());
    EXPECT_EQ(ep.free_ib_windows(), 2u) << "BAR1 and BAR2 keep theirs, nothing of BAR0 is left";
}

TEST(DoorbellAllocDwc, AlignInboundAddrSplitsAtTheBarSize) {
    BOOT(s, soc_config{});
    fw::dwc_ep_driver& ep = s.ep;
    std::uint64_t base = 1, off = 1;
    EXPECT_EQ(ep.align_inbound_addr(0, 2, TRANSLATER, base, off).code(), errc::invalid_argument) << "no size yet";
    ASSERT_TRUE(ep.configure_bar(0, 2, 0x10000, {}));
    ASSERT_TRUE(ep.align_inbound_addr(0, 2, TRANSLATER, base, off));
    EXPECT_EQ(base, 0x48050000u);
    EXPECT_EQ(off, 0x40u);
    ASSERT_TRUE(ep.configure_bar(0, 4, 0x100000, {true, false}));
    ASSERT_TRUE(ep.align_inbound_addr(0, 4, 0x812345678ull, base, off));
    EXPECT_EQ(base, 0x812300000ull);
    EXPECT_EQ(off, 0x45678u);
    // A BAR smaller than the 64 KiB iATU region: the base is region-aligned, the offset must still fit the BAR.
    ASSERT_TRUE(ep.configure_bar(0, 1, 0x1000, {}));
    ASSERT_TRUE(ep.align_inbound_addr(0, 1, TRANSLATER, base, off));
    EXPECT_EQ(base, 0x48050000u);
    EXPECT_EQ(off, 0x40u);
    EXPECT_EQ(ep.align_inbound_addr(0, 1, 0x48052000, base, off).code(), errc::out_of_range);
    EXPECT_EQ(ep.align_inbound_addr(0, 6, TRANSLATER, base, off).code(), errc::invalid_argument);
    EXPECT_EQ(ep.align_inbound_addr(1, 2, TRANSLATER, base, off).code(), errc::invalid_argument);
}

TEST(DoorbellAllocDwc, AuxResourcesNeedAnEdmaAndItsInterrupt) {
    {
        BOOT(s, bare());
        EXPECT_TRUE(s.ep.aux_resources(0).empty()) << "no eDMA";
    }
    {
        soc_config c = no_msi();
        c.interrupts = "";
        BOOT(s, c);
        EXPECT_TRUE(s.ep.edma().present);
        EXPECT_TRUE(s.ep.aux_resources(0).empty()) << "no interrupt for the eDMA";
        auto r = s.db->alloc(0, 1);
        ASSERT_TRUE(r) << r.error().message();
        EXPECT_EQ(r.value()[0].backend, doorbell_backend::poll);
    }
    {
        soc_config c = no_msi();
        c.interrupts = "interrupts = <1 9 4>;\n\t\t\tinterrupt-names = \"dma\";"; // a PPI, not an SPI
        BOOT(s, c);
        EXPECT_TRUE(s.ep.aux_resources(0).empty()) << "not an SPI";
    }
    {
        soc_config c = no_msi();
        c.edma_wr = 0; // DMA_CTRL reports no channels
        BOOT(s, c);
        EXPECT_FALSE(s.ep.edma().present);
        EXPECT_TRUE(s.ep.aux_resources(0).empty());
    }
    {
        BOOT(s, no_msi());
        const auto aux = s.ep.aux_resources(0);
        ASSERT_EQ(aux.size(), 1u);
        EXPECT_EQ(aux[0].phys_addr, EDMA + 0xa0);
        EXPECT_EQ(aux[0].size, 4u);
        EXPECT_EQ(aux[0].irq, EDMA_IRQ);
        EXPECT_EQ(aux[0].irq_index, 0u);
        EXPECT_EQ(aux[0].data, 0u);
        EXPECT_EQ(aux[0].bar, -1);
        EXPECT_TRUE(s.ep.aux_resources(1).empty()) << "function out of range";
    }
}

TEST(DoorbellAllocDwc, AuxResourcesPickReadChannelZerosLineWithPerChannelNames) {
    soc_config c = no_msi();
    c.edma_wr = 4;
    c.edma_rd = 4;
    c.interrupts = "interrupts = <0 10 4>, <0 11 4>, <0 12 4>, <0 13 4>, <0 14 4>, <0 15 4>, <0 16 4>, <0 17 4>;\n"
                   "\t\t\tinterrupt-names = \"dma0\", \"dma1\", \"dma2\", \"dma3\", \"dma4\", \"dma5\", \"dma6\", "
                   "\"dma7\";";
    BOOT(s, c);
    ASSERT_EQ(s.ep.edma().wr_channels, 4u);
    const auto aux = s.ep.aux_resources(0);
    ASSERT_EQ(aux.size(), 1u);
    EXPECT_EQ(aux[0].irq_index, 4u) << "dma<wr_channels>: read channel 0";
    EXPECT_EQ(aux[0].irq, 32u + 14);
    auto r = s.db->alloc(0, 1);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r.value()[0].backend, doorbell_backend::embedded);
    EXPECT_EQ(r.value()[0].irq, 32u + 14);
    EXPECT_TRUE(s.gic.spi_enabled(32 + 14));
    EXPECT_FALSE(s.gic.spi_enabled(32 + 10));
    EXPECT_EQ(s.hal.handler_count(32 + 14, "dw-edma-emul"), 1u);
}
