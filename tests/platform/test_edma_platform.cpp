// The eDMA on the platform: the endpoint firmware moves data both ways over the modelled link, and the host reaches
// the eDMA register block to ring the embedded doorbell (interrupt emulation) through each exposure path: a
// reserved BAR hard-wired to the block (RK3588), an inbound address-match iATU region (R-Car S4), and the RK3588
// observation that both together break both.
#include "dbvp/fw/dma_pool.h"
#include "dbvp/fw/dwc_ep.h"
#include "dbvp/fw/fdt.h"
#include "dbvp/fw/gicv3.h"
#include "dbvp/host/enumerate.h"
#include "dbvp/platform/platform.h"
#include "reports.h"

#include <fstream>
#include <memory>
#include <gtest/gtest.h>
#include <sstream>

using namespace dbvp;
using edma = pcie::dwc_edma;
using o = edma::offsets;

namespace {

const std::string RK3588 = std::string(DBVP_SOURCE_DIR) + "/tests/data/rk3588-like.dts";
constexpr std::uint64_t HOST_BUF = 0x80100000; // host memory the DMA writes to / reads from
constexpr std::uint64_t SRC_OFFSET = 0x200000; // endpoint RAM offset of the DMA buffer

/// What the endpoint firmware of these tests learns and does.
struct fw_side {
    fw::hal& h;
    std::uint64_t dma = 0, ram = 0;
    unsigned intid = 0;
    fw::dwc_ep_driver ep;
    std::unique_ptr<fw::dma_pool> pool;
    std::unique_ptr<fw::gicv3_driver> gic;

    explicit fw_side(fw::hal& hal) : h(hal), ep(hal) {}
    std::uint32_t rd(std::uint32_t off) { return h.read32(dma + off); }
    void wr(std::uint32_t off, std::uint32_t v) { h.write32(dma + off, v); }

    /// Probe the controller, find the eDMA and its interrupt in the device tree, bring up the GIC and the link.
    bool boot(std::string& error) {
        fw::fdt_view dt(h.fdt());
        if (auto s = ep.probe(); !s) {
            error = s.message();
            return false;
        }
        const int node = dt.find_compatible("snps,dw-pcie-ep").value();
        dma = dt.reg_by_name(node, "dma")->base;
        ram = dt.reg(dt.find_memory().value(), 0)->base;
        const auto irqs = dt.cells(node, "interrupts");
        intid = 32 + irqs.at(1);
        const int g = dt.find_compatible("arm,gic-v3").value();
        pool = std::make_unique<fw::dma_pool>(h, ram + 0x1000000, 0x100000);
        gic = std::make_unique<fw::gicv3_driver>(h, dt.reg(g, 0)->base, dt.reg(g, 1)->base);
        if (auto s = gic->init(*pool, 0); !s) {
            error = s.message();
            return false;
        }
        gic->configure_spi(intid, false, 0x80);
        gic->enable(intid);
        if (auto s = ep.start_link(100000000); !s) {
            error = s.message();
            return false;
        }
        return true;
    }
    /// Interrupt emulation acknowledge, as Linux does it: write 0 to both INT_CLEAR registers.
    void ack_emulated() {
        wr(o::WR_INT_CLEAR, 0);
        wr(o::RD_INT_CLEAR, 0);
    }
    /// Single-block transfer on channel 0 of `d`, from the doorbell until the done interrupt; returns ns.
    std::uint64_t transfer(edma::direction d, std::uint64_t sar, std::uint64_t dar, std::uint32_t bytes, bool& done) {
        const bool w = d == edma::direction::write;
        wr(w ? o::WR_ENGINE_EN : o::RD_ENGINE_EN, 1);
        wr(w ? o::WR_INT_MASK : o::RD_INT_MASK, 0);
        const std::uint32_t ch = o::channel(d, 0);
        wr(ch + o::CH_CONTROL1, 0);
        wr(ch + o::TRANSFER_SIZE, bytes);
        wr(ch + o::SAR, static_cast<std::uint32_t>(sar));
        wr(ch + o::SAR + 4, static_cast<std::uint32_t>(sar >> 32));
        wr(ch + o::DAR, static_cast<std::uint32_t>(dar));
        wr(ch + o::DAR + 4, static_cast<std::uint32_t>(dar >> 32));
        done = false;
        const std::uint64_t t0 = h.now_ns();
        wr(w ? o::WR_DOORBELL : o::RD_DOORBELL, 0);
        while (!done)
            h.wait_for_interrupt(1000000);
        return h.now_ns() - t0;
    }
    /// An inbound address-match region (index `idx`) from the host-assigned BAR0 to the eDMA block, the way an
    /// EPF maps a sub-range on R-Car S4 (issue 5 gives the driver this as a call).
    void map_bar0_to_edma(unsigned idx, std::uint64_t size) {
        // The host is done with BAR0 once it enabled memory decoding (during sizing BAR0 reads all-ones).
        while (!(ep.dbi_read(0, fw::dwc::CFG_COMMAND) & 0x2))
            h.sleep_ns(1000);
        const std::uint64_t bar = ep.bar_assigned(0, 0);
        const std::uint64_t r = ep.atu_base() + fw::dwc::atu_region(true, idx);
        h.write32(r + fw::dwc::ATU_LOWER_BASE, static_cast<std::uint32_t>(bar));
        h.write32(r + fw::dwc::ATU_UPPER_BASE, static_cast<std::uint32_t>(bar >> 32));
        h.write32(r + fw::dwc::ATU_LIMIT, static_cast<std::uint32_t>(bar + size - 1));
        h.write32(r + fw::dwc::ATU_LOWER_TARGET, static_cast<std::uint32_t>(dma));
        h.write32(r + fw::dwc::ATU_UPPER_TARGET, static_cast<std::uint32_t>(dma >> 32));
        h.write32(r + fw::dwc::ATU_CTRL1, fw::dwc::ATU_TYPE_MEM | fw::dwc::atu_func_num(0));
        h.write32(r + fw::dwc::ATU_CTRL2, fw::dwc::ATU_ENABLE);
        while (!(h.read32(r + fw::dwc::ATU_CTRL2) & fw::dwc::ATU_ENABLE))
            h.sleep_ns(100);
    }
};

/// Nanoseconds one TLP with `payload` bytes (32-bit address) occupies the link.
double tlp_ns(platform::platform& p, unsigned payload) {
    const auto& lk = p.link().get_params();
    const double mts = lk.generation == 1 ? 2500 : lk.generation == 2 ? 5000 : lk.generation == 3 ? 8000 : 16000;
    const double efficiency = lk.generation <= 2 ? 8.0 / 10.0 : 128.0 / 130.0;
    const double bytes_per_ns = mts * 1e6 * lk.width * efficiency / 8 / 1e9;
    return (payload + 12 + lk.framing_bytes) / bytes_per_ns;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// A copy of the RK3588-like description without the observed-behaviour flag.
std::string rk3588_without_quirk() {
    std::string text = read_file(RK3588);
    const std::string flag = "\t\t\tdbvp,quirk-reserved-bar-alias;\n";
    text.replace(text.find(flag), flag.size(), "");
    const std::string path = ::testing::TempDir() + "/rk3588-no-quirk.dts";
    // /include/ is resolved relative to the including file: point it at the source tree.
    const std::string inc = "/include/ \"../../tb/platforms/generic.dts\"";
    text.replace(text.find(inc), inc.size(), "/include/ \"" + std::string(DBVP_SOURCE_DIR) + "/tb/platforms/generic.dts\"");
    std::ofstream(path) << text;
    return path;
}

} // namespace

TEST(EdmaPlatform, CpuReachesTheRegistersAtTheirPhysicalAddress) {
    platform::platform p("platform", {});
    ASSERT_NE(p.edma(), nullptr);
    std::uint32_t ctrl = 0;
    std::uint64_t dma = 0;
    p.set_firmware([&](fw::hal& h) {
        fw::fdt_view dt(h.fdt());
        dma = dt.reg_by_name(dt.find_compatible("snps,dw-pcie-ep").value(), "dma")->base;
        ctrl = h.read32(dma + o::CTRL);
    });
    p.run(sc_core::sc_time(10, sc_core::SC_US));
    EXPECT_EQ(dma, 0x40380000u);
    EXPECT_EQ(ctrl, 0x00080008u) << "8 write and 8 read channels";
}

TEST(EdmaPlatform, WriteChannelMovesEndpointRamToHostMemoryAtTheLinkRate) {
    platform::platform p("platform", {});
    constexpr std::uint32_t BYTES = 0x10000;
    for (std::uint32_t i = 0; i < BYTES; ++i)
        p.ep_ram().data()[SRC_OFFSET + i] = static_cast<std::uint8_t>(i * 7 + 3);
    std::string error;
    std::uint64_t ns = 0;
    p.set_firmware([&](fw::hal& h) {
        fw_side f(h);
        if (!f.boot(error))
            return;
        bool done = false;
        h.request_irq(
            f.intid,
            [&](unsigned) {
                const std::uint32_t st = f.rd(o::WR_INT_STATUS);
                f.wr(o::WR_INT_CLEAR, st);
                done = st & 1;
            },
            fw::irq_shared, "edma");
        ns = f.transfer(edma::direction::write, f.ram + SRC_OFFSET, HOST_BUF, BYTES, done);
        for (;;) // the handler refers to f
            h.wait_for_interrupt(1000000000);
    });
    p.run(sc_core::sc_time(5, sc_core::SC_MS));
    ASSERT_TRUE(error.empty()) << error;
    ASSERT_GT(ns, 0u) << p.cpu().console_text();
    const std::uint8_t* host = p.host().host_memory().data() + (HOST_BUF - p.host().get_params().mem_base);
    for (std::uint32_t i = 0; i < BYTES; ++i)
        ASSERT_EQ(host[i], static_cast<std::uint8_t>(i * 7 + 3)) << "byte " << i;
    EXPECT_EQ(p.edma()->stats().tlps, BYTES / 256) << "256-byte MWr TLPs";
    // Link-bound: 256 TLPs back to back, plus the pipeline (local read, link latency, host memory, interrupt).
    const double wire = (BYTES / 256) * tlp_ns(p, 256);
    EXPECT_GT(double(ns), wire);
    EXPECT_LT(double(ns), wire * 1.03 + 1500) << "wire time " << wire << " ns";
    EXPECT_TRUE(p.ep().incidents().empty());
}

TEST(EdmaPlatform, ReadChannelMovesHostMemoryToEndpointRam) {
    platform::platform p("platform", {});
    constexpr std::uint32_t BYTES = 0x8000;
    std::uint8_t* host = p.host().host_memory().data() + (HOST_BUF - p.host().get_params().mem_base);
    for (std::uint32_t i = 0; i < BYTES; ++i)
        host[i] = static_cast<std::uint8_t>(i ^ 0x5a);
    std::string error;
    std::uint64_t ns = 0;
    p.set_firmware([&](fw::hal& h) {
        fw_side f(h);
        if (!f.boot(error))
            return;
        bool done = false;
        h.request_irq(
            f.intid,
            [&](unsigned) {
                const std::uint32_t st = f.rd(o::RD_INT_STATUS);
                f.wr(o::RD_INT_CLEAR, st);
                done = st & 1;
            },
            fw::irq_shared, "edma");
        ns = f.transfer(edma::direction::read, HOST_BUF, f.ram + SRC_OFFSET, BYTES, done);
        for (;;) // the handler refers to f
            h.wait_for_interrupt(1000000000);
    });
    p.run(sc_core::sc_time(5, sc_core::SC_MS));
    ASSERT_TRUE(error.empty()) << error;
    ASSERT_GT(ns, 0u) << p.cpu().console_text();
    for (std::uint32_t i = 0; i < BYTES; ++i)
        ASSERT_EQ(p.ep_ram().data()[SRC_OFFSET + i], static_cast<std::uint8_t>(i ^ 0x5a)) << "byte " << i;
    EXPECT_EQ(p.edma()->stats().tlps, BYTES / 512) << "512-byte MRd requests";
    // The completions (512 bytes each) share the downstream direction of the link.
    EXPECT_GT(double(ns), (BYTES / 512) * tlp_ns(p, 512));
    EXPECT_LT(double(ns), (BYTES / 512) * tlp_ns(p, 512) * 1.1 + 3000);
}

namespace {

/// Firmware: a shared handler on the eDMA interrupt counting kicks and acknowledging the emulation; optionally
/// an address-match region from BAR0 to the eDMA block (after the host assigned BAR0).
struct kick_counter {
    unsigned kicks = 0;
    bool ready = false;
    std::string error;
    void firmware(fw::hal& h, bool map_bar0) {
        fw_side f(h);
        if (!f.boot(error))
            return;
        h.request_irq(
            f.intid,
            [this, &f](unsigned) {
                ++kicks;
                f.ack_emulated();
            },
            fw::irq_shared, "doorbell");
        if (map_bar0) {
            f.ep.configure_bar(0, 0, 0x10000, {});
            f.map_bar0_to_edma(0, 0x10000);
        }
        ready = true;
        for (;;)
            h.wait_for_interrupt(1000000000);
    }
};

/// Host: enumerate, wait for the firmware, then ring the doorbell (RD_INT_STATUS, 0xa0) through each BAR given,
/// with distinct data values, 20 us apart.
struct host_ringer {
    host::enum_result en;
    std::vector<host::completion> ctrl_reads; // DMA_CTRL read through each BAR
    std::vector<std::uint32_t> ctrl_values;
    void run(host::hal& h, platform::platform& p, const kick_counter& fw, const std::vector<unsigned>& bars) {
        en = host::enumerate(h, p.enumeration_config());
        if (!en.ok)
            return;
        while (!fw.ready)
            h.sleep_ns(1000);
        std::uint32_t data = 0;
        for (unsigned b : bars) {
            const std::uint64_t base = en.functions[0].bars[b].address;
            std::uint32_t v = 0;
            ctrl_reads.push_back(h.mem_read(base + o::CTRL, &v, 4));
            ctrl_values.push_back(v);
            h.mem_write(base + o::RD_INT_STATUS, &data, 4);
            data = data * 31 + 0xdeadbeef; // the data does not matter
            h.sleep_ns(20000);
        }
    }
};

} // namespace

TEST(EdmaPlatform, EmbeddedDoorbellThroughTheReservedBar) {
    platform::platform p("platform", {RK3588, {}});
    kick_counter fw;
    host_ringer host;
    p.set_firmware([&](fw::hal& h) { fw.firmware(h, false); });
    p.set_host_software([&](host::hal& h) { host.run(h, p, fw, {4, 4, 4}); });
    ASSERT_TRUE(p.run(sc_core::sc_time(1, sc_core::SC_SEC))) << p.cpu().console_text();
    ASSERT_TRUE(fw.error.empty()) << fw.error;
    ASSERT_TRUE(host.en.ok) << host.en.error;
    EXPECT_EQ(host.en.functions[0].bars[4].size, 0x2000u);
    EXPECT_EQ(fw.kicks, 3u) << "one interrupt per kick, whatever the data";
    EXPECT_EQ(p.edma()->stats().emulated, 3u);
    EXPECT_EQ(host.ctrl_values[0], 0x00080008u) << "the host reads the eDMA registers through BAR4";
    EXPECT_FALSE(p.edma()->irq(0).level()) << "acknowledged";
    EXPECT_TRUE(p.ep().incidents().empty());
    EXPECT_EQ(p.edma()->stats().blocks, 0u) << "no DMA ran";
}

TEST(EdmaPlatform, EmbeddedDoorbellThroughAnInboundAddressMatchRegion) {
    platform::platform p("platform", {});
    kick_counter fw;
    host_ringer host;
    p.set_firmware([&](fw::hal& h) { fw.firmware(h, true); });
    p.set_host_software([&](host::hal& h) { host.run(h, p, fw, {0, 0}); });
    ASSERT_TRUE(p.run(sc_core::sc_time(1, sc_core::SC_SEC))) << p.cpu().console_text();
    ASSERT_TRUE(fw.error.empty()) << fw.error;
    EXPECT_EQ(fw.kicks, 2u);
    ASSERT_EQ(host.ctrl_reads.size(), 2u);
    EXPECT_EQ(host.ctrl_reads[0], host::completion::ok);
    EXPECT_EQ(host.ctrl_values[0], 0x00080008u);
    const auto t = p.ep().translate_inbound(host.en.functions[0].bars[0].address + o::RD_INT_STATUS);
    EXPECT_TRUE(t.hit);
    EXPECT_EQ(t.region, 0);
    EXPECT_EQ(t.target, 0x40380000u + o::RD_INT_STATUS);
    EXPECT_TRUE(p.ep().incidents().empty());
}

TEST(EdmaPlatform, Rk3588ReservedBarAndAnIatuRegionToTheEdmaBreakBothPaths) {
    platform::platform p("platform", {RK3588, {}});
    kick_counter fw;
    host_ringer host;
    p.set_firmware([&](fw::hal& h) { fw.firmware(h, true); });
    p.set_host_software([&](host::hal& h) { host.run(h, p, fw, {4, 0}); });
    ASSERT_TRUE(p.run(sc_core::sc_time(1, sc_core::SC_SEC))) << p.cpu().console_text();
    ASSERT_TRUE(fw.error.empty()) << fw.error;
    EXPECT_EQ(fw.kicks, 0u) << "neither path reaches the eDMA";
    EXPECT_EQ(p.edma()->stats().emulated, 0u);
    ASSERT_EQ(host.ctrl_reads.size(), 2u);
    EXPECT_EQ(host.ctrl_reads[0], host::completion::ca) << "BAR4 read";
    EXPECT_EQ(host.ctrl_reads[1], host::completion::ca) << "BAR0 read";
    unsigned conflicts = 0;
    for (const auto& i : p.ep().incidents())
        conflicts += i.kind == pcie::dwc_ep::incident_kind::inbound_alias_conflict;
    EXPECT_EQ(conflicts, 4u) << "two reads and two writes";
    const auto t = p.ep().translate_inbound(host.en.functions[0].bars[4].address);
    EXPECT_TRUE(t.alias_conflict);
    EXPECT_FALSE(t.hit);
}

TEST(EdmaPlatform, WithoutTheRk3588QuirkBothPathsWork) {
    platform::platform p("platform", {rk3588_without_quirk(), {}});
    kick_counter fw;
    host_ringer host;
    p.set_firmware([&](fw::hal& h) { fw.firmware(h, true); });
    p.set_host_software([&](host::hal& h) { host.run(h, p, fw, {4, 0}); });
    ASSERT_TRUE(p.run(sc_core::sc_time(1, sc_core::SC_SEC))) << p.cpu().console_text();
    ASSERT_TRUE(fw.error.empty()) << fw.error;
    EXPECT_EQ(fw.kicks, 2u);
    EXPECT_TRUE(p.ep().incidents().empty());
}

TEST(EdmaPlatform, RealAndEmulatedInterruptsShareTheLine) {
    // Two shared handlers on the one eDMA line: the DMA driver's (acts on DONE bits) and the doorbell consumer's
    // (cannot tell a kick from a DMA interrupt, so it runs on both: the DMA completion is a spurious kick for it).
    platform::platform p("platform", {});
    std::string error;
    unsigned dma_done = 0, dma_handler_runs = 0, doorbell_runs = 0;
    bool transfer_done = false;
    std::uint32_t status_after_zero_clear = 0;
    p.set_firmware([&](fw::hal& h) {
        fw_side f(h);
        if (!f.boot(error))
            return;
        h.request_irq(
            f.intid,
            [&](unsigned) {
                ++dma_handler_runs;
                const std::uint32_t st = f.rd(o::WR_INT_STATUS);
                if (st & 1) {
                    ++dma_done;
                    transfer_done = true;
                }
                f.wr(o::WR_INT_CLEAR, st);
            },
            fw::irq_shared, "edma");
        h.request_irq(
            f.intid,
            [&](unsigned) {
                ++doorbell_runs;
                f.ack_emulated();
                status_after_zero_clear = f.rd(o::WR_INT_STATUS);
            },
            fw::irq_shared, "doorbell");
        f.transfer(edma::direction::write, f.ram + SRC_OFFSET, HOST_BUF, 4096, transfer_done);
        // Now the kick: the firmware rings its own doorbell at the eDMA's physical address.
        f.wr(o::RD_INT_STATUS, 0);
        h.wait_for_interrupt(100000);
        for (;;)
            h.wait_for_interrupt(1000000000);
    });
    p.run(sc_core::sc_time(2, sc_core::SC_MS));
    ASSERT_TRUE(error.empty()) << error;
    EXPECT_EQ(dma_done, 1u);
    EXPECT_EQ(dma_handler_runs, 2u) << "the kick runs the DMA handler too, which finds no DONE bit";
    EXPECT_EQ(doorbell_runs, 2u) << "the DMA completion is a kick for the doorbell consumer";
    EXPECT_EQ(status_after_zero_clear, 0u);
    EXPECT_EQ(p.edma()->stats().emulated, 1u);
}
