// PCIe root complex: host HAL config/memory requests down a real link to a fake endpoint, upstream DMA into host
// memory, MSI capture, error answers and end-to-end timing. Expected times are computed by hand from the
// parameters (see the constants below).
#include "dbvp/core/irq.h"
#include "dbvp/core/sideband.h"
#include "dbvp/host/enumerate.h"
#include "dbvp/pcie/link.h"
#include "dbvp/pcie/root_complex.h"
#include "fake_config_space.h"
#include "reports.h"

#include <array>
#include <cstring>
#include <functional>
#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

using namespace sc_core;
using dbvp::cpl_status;
using dbvp::make_bdf;
using dbvp::pcie_attr;
using dbvp::tlp_type;
using dbvp::host::completion;
using dbvp::pcie::root_complex;
using pcie_link = dbvp::pcie::link; // plain `link` collides with POSIX link()

namespace {

sc_time ps(std::uint64_t v) { return sc_time(static_cast<double>(v), SC_PS); }
sc_time ns(std::uint64_t v) { return sc_time(static_cast<double>(v), SC_NS); }

// Timing with default parameters:
//   root complex 1 GHz, 20 cycles  -> 20 ns per request;   host memory 1 GHz, 10 cycles -> 10 ns
//   link Gen3 x4, 250 MHz, 40 cycles -> 160 ns per crossing; training 1000 ns
//   Gen3 x4 serialization of n bytes: ceil(n * 130e6 / (16 * 4 * 8000)) ps
constexpr std::uint64_t rc_ps = 20000, mem_ps = 10000, lat_ps = 160000;
constexpr std::uint64_t ser20 = 5079; // 12 B header + 8 B framing        (5078.125)
constexpr std::uint64_t ser24 = 6094; // 12 + 4 + 8                        (6093.75)
constexpr std::uint64_t ser28 = 7110; // 12 + 8 + 8, or 16 + 4 + 8         (7109.375)
constexpr std::uint16_t root_port = 0x0008; // 00:01.0
constexpr std::uint16_t ep_bdf = 0x0100;    // 01:00.0
constexpr std::uint64_t bar0_addr = 0x40000000, bar2_addr = 0x4000000000ull;

using dbvp::test::config_space; // Type-0 configuration space with per-bit write masks

/// Endpoint stand-in: 01:00.0 with BAR0 (32-bit, 64 KiB), BAR2/3 (64-bit prefetchable, 1 MiB) and a 64-bit MSI
/// capability with 4 vectors. BARs start at bar0_addr / bar2_addr. Anything else answers UR.
struct fake_ep : sc_module {
    tlm_utils::simple_target_socket<fake_ep> pcie_in;
    tlm_utils::simple_initiator_socket<fake_ep> pcie_out;
    dbvp::irq_out ltssm{"ltssm"};
    config_space cfg;
    std::vector<unsigned char> bar0 = std::vector<unsigned char>(0x10000);
    std::vector<unsigned char> bar2 = std::vector<unsigned char>(0x100000);
    unsigned tlps = 0;
    pcie_attr seen;
    std::uint64_t seen_addr = 0;
    unsigned seen_len = 0;
    sc_time arrival;
    bool train = true;
    std::function<void(fake_ep&)> body;
    bool done = false; // the body (if any) ran to its end
    pcie_attr up_attr;

    explicit fake_ep(sc_module_name n) : sc_module(n), pcie_in("pcie_in"), pcie_out("pcie_out") {
        pcie_in.register_b_transport(this, &fake_ep::b_transport);
        cfg.val[0] = 0xabcd16c3;                 // device / vendor
        cfg.val[1] = 0x00100000;                 // status: capability list
        cfg.wmask[1] = 0x00000407;               // command: I/O, memory, bus master, INTx disable
        cfg.val[2] = 0x05800001;                 // class 05 80 00, revision 1
        cfg.val[4] = static_cast<std::uint32_t>(bar0_addr);
        cfg.wmask[4] = 0xffff0000;               // 64 KiB, 32-bit, non-prefetchable
        cfg.val[6] = 0x0000000c | static_cast<std::uint32_t>(bar2_addr);
        cfg.wmask[6] = 0xfff00000;               // 1 MiB, 64-bit, prefetchable
        cfg.val[7] = static_cast<std::uint32_t>(bar2_addr >> 32);
        cfg.wmask[7] = 0xffffffff;
        cfg.val[0x34 / 4] = 0x50;
        cfg.val[0x50 / 4] = 0x00840005;          // MSI, 64-bit, MMC = 2 (4 vectors)
        cfg.wmask[0x50 / 4] = 0x00710000;        // enable, multiple message enable
        cfg.wmask[0x54 / 4] = 0xfffffffc;
        cfg.wmask[0x58 / 4] = 0xffffffff;
        cfg.wmask[0x5c / 4] = 0x0000ffff;
        SC_HAS_PROCESS(fake_ep);
        SC_THREAD(run);
    }
    void run() {
        if (train)
            ltssm.set(true);
        if (body)
            body(*this);
        done = true;
    }
    std::uint64_t bar(unsigned i) const {
        std::uint64_t a = cfg.val[4 + i] & ~0xfu;
        if (i == 2)
            a |= std::uint64_t{cfg.val[7]} << 32;
        return a;
    }
    static void ur(tlm::tlm_generic_payload& p, pcie_attr* a) {
        if (a)
            a->status = cpl_status::ur;
        p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    }
    void b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
        pcie_attr* a = dbvp::attr_of(p);
        ++tlps;
        arrival = sc_time_stamp() + delay;
        seen_addr = p.get_address();
        seen_len = p.get_data_length();
        if (a)
            seen = *a;
        const std::uint64_t addr = p.get_address();
        const unsigned len = p.get_data_length();
        unsigned char* d = p.get_data_ptr();
        if (a && (a->type == tlp_type::cfg_rd0 || a->type == tlp_type::cfg_wr0)) {
            if (a->completer_id != ep_bdf)
                return ur(p, a);
            if (p.is_read()) {
                const std::uint32_t v = cfg.read(static_cast<unsigned>(addr), len);
                for (unsigned i = 0; i < len; ++i)
                    d[i] = static_cast<unsigned char>(v >> (8 * i));
            } else {
                std::uint32_t v = 0;
                for (unsigned i = 0; i < len; ++i)
                    v |= static_cast<std::uint32_t>(d[i]) << (8 * i);
                cfg.write(static_cast<unsigned>(addr), len, v);
            }
            p.set_response_status(tlm::TLM_OK_RESPONSE);
            return;
        }
        std::vector<unsigned char>* mem = nullptr;
        std::uint64_t off = 0;
        if (addr >= bar(0) && addr + len <= bar(0) + bar0.size()) {
            mem = &bar0;
            off = addr - bar(0);
        } else if (addr >= bar(2) && addr + len <= bar(2) + bar2.size()) {
            mem = &bar2;
            off = addr - bar(2);
        }
        if (!mem)
            return ur(p, a);
        if (p.is_write())
            std::memcpy(mem->data() + off, d, len);
        else
            std::memcpy(d, mem->data() + off, len);
        p.set_response_status(tlm::TLM_OK_RESPONSE);
    }
    /// Upstream request with this function's requester ID; delay is the caller's local offset.
    tlm::tlm_response_status up(tlm::tlm_command cmd, std::uint64_t addr, void* data, unsigned len,
                                sc_time& delay) {
        tlm::tlm_generic_payload p;
        p.set_command(cmd);
        p.set_address(addr);
        p.set_data_ptr(static_cast<unsigned char*>(data));
        p.set_data_length(len);
        p.set_streaming_width(len);
        p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        up_attr = pcie_attr{};
        up_attr.type = cmd == tlm::TLM_WRITE_COMMAND ? tlp_type::mem_wr : tlp_type::mem_rd;
        up_attr.posted = cmd == tlm::TLM_WRITE_COMMAND;
        up_attr.requester_id = ep_bdf;
        p.set_extension(&up_attr);
        pcie_out->b_transport(p, delay);
        p.clear_extension(&up_attr);
        return p.get_response_status();
    }
    void msi(std::uint32_t data, sc_time& delay) { up(tlm::TLM_WRITE_COMMAND, 0xfee00000, &data, 4, delay); }
};

root_complex::params rc_params() {
    root_complex::params p;
    p.root_port = root_port;
    return p;
}

struct bench : sc_module {
    root_complex rc;
    pcie_link lnk;
    fake_ep ep;
    std::function<void(dbvp::host::hal&, bench&)> host_body;
    bool host_done = false; // the host body (if any) ran to its end

    explicit bench(sc_module_name n, const root_complex::params& rp = rc_params(),
                   const pcie_link::params& lp = pcie_link::params{})
        : sc_module(n), rc("rc", rp), lnk("link", lp), ep("ep") {
        rc.down.bind(lnk.down_in);
        lnk.down_out.bind(ep.pcie_in);
        ep.pcie_out.bind(lnk.up_in);
        lnk.up_out.bind(rc.up);
        ep.ltssm.bind(lnk, 0);
        lnk.link_up.bind(rc, 0);
        SC_HAS_PROCESS(bench);
        SC_THREAD(host_run);
    }
    void host_run() {
        if (host_body)
            host_body(rc.host_hal(), *this);
        host_done = true;
    }
    /// Run the simulation until it runs out of events; a body that does not reach its end (a wait nothing ends)
    /// fails the test.
    void start() {
        sc_start();
        EXPECT_TRUE(host_done) << "the host body did not run to its end: the simulation ran out of events at "
                               << sc_time_stamp();
        EXPECT_TRUE(ep.done) << "the endpoint body did not run to its end: the simulation ran out of events at "
                             << sc_time_stamp();
    }
};

std::uint32_t rd32(dbvp::host::hal& h, std::uint64_t addr, completion* c = nullptr) {
    std::uint32_t v = 0;
    const completion r = h.mem_read(addr, &v, 4);
    if (c)
        *c = r;
    return v;
}

} // namespace

TEST(RootComplex, WaitLinkUpReturnsAtLinkUp) {
    bench b("bench");
    b.host_body = [](dbvp::host::hal& h, bench& x) {
        EXPECT_FALSE(x.rc.link_is_up());
        EXPECT_TRUE(h.wait_link_up(1000000));
        EXPECT_EQ(sc_time_stamp(), ns(1000)) << "training_ns after LTSSM enable at t = 0";
        EXPECT_EQ(h.now_ns(), 1000u);
        EXPECT_TRUE(x.rc.link_is_up());
    };
    b.start();
}

TEST(RootComplex, WaitLinkUpTimesOut) {
    bench b("bench");
    b.ep.train = false;
    b.host_body = [](dbvp::host::hal& h, bench&) {
        EXPECT_FALSE(h.wait_link_up(500));
        EXPECT_EQ(h.now_ns(), 500u);
    };
    b.start();
}

TEST(RootComplex, ConfigRequestsCarryRootPortRequester) {
    bench b("bench");
    b.host_body = [](dbvp::host::hal& h, bench& x) {
        ASSERT_TRUE(h.wait_link_up(1000000));
        std::uint32_t v = 0;
        EXPECT_EQ(h.cfg_read(ep_bdf, 0x00, 4, v), completion::ok);
        EXPECT_EQ(v, 0xabcd16c3u);
        EXPECT_EQ(x.ep.seen.type, tlp_type::cfg_rd0);
        EXPECT_EQ(x.ep.seen.requester_id, root_port);
        EXPECT_EQ(x.ep.seen.completer_id, ep_bdf);
        EXPECT_FALSE(x.ep.seen.posted);
        EXPECT_EQ(x.ep.seen_addr, 0x00u) << "the payload address of a config request is the register offset";

        EXPECT_EQ(h.cfg_read(ep_bdf, 0x02, 2, v), completion::ok);
        EXPECT_EQ(v, 0xabcdu);
        EXPECT_EQ(h.cfg_read(ep_bdf, 0x0b, 1, v), completion::ok);
        EXPECT_EQ(v, 0x05u);

        EXPECT_EQ(h.cfg_write(ep_bdf, 0x04, 2, 0x0006), completion::ok);
        EXPECT_EQ(x.ep.seen.type, tlp_type::cfg_wr0);
        EXPECT_EQ(x.ep.seen.requester_id, root_port);
        EXPECT_EQ(x.ep.seen_addr, 0x04u);
        EXPECT_EQ(x.ep.seen_len, 2u);
        EXPECT_EQ(x.ep.cfg.val[1] & 0xffff, 0x0006u);
        EXPECT_EQ(x.ep.tlps, 4u);

        // A function the endpoint does not implement answers UR: all-ones to the host.
        EXPECT_EQ(h.cfg_read(make_bdf(1, 0, 1), 0x00, 2, v), completion::ur);
        EXPECT_EQ(v, 0xffffu);
        EXPECT_EQ(x.ep.tlps, 5u);
    };
    b.start();
}

TEST(RootComplex, ConfigBeyondTheLinkIsUrWithoutTlp) {
    bench b("bench");
    b.host_body = [](dbvp::host::hal& h, bench& x) {
        ASSERT_TRUE(h.wait_link_up(1000000));
        std::uint32_t v = 0;
        EXPECT_EQ(h.cfg_read(make_bdf(2, 0, 0), 0x00, 4, v), completion::ur);
        EXPECT_EQ(v, 0xffffffffu);
        EXPECT_EQ(h.cfg_read(make_bdf(0, 0, 0), 0x00, 2, v), completion::ur);
        EXPECT_EQ(v, 0xffffu);
        EXPECT_EQ(h.cfg_read(make_bdf(1, 1, 0), 0x00, 4, v), completion::ur) << "only device 0 below a port";
        EXPECT_EQ(h.cfg_write(make_bdf(3, 0, 0), 0x04, 2, 0x6), completion::ur);
        EXPECT_EQ(x.ep.tlps, 0u);
        EXPECT_EQ(x.lnk.stats().down_tlps, 0u);
    };
    b.start();
}

TEST(RootComplex, BadConfigSizeIsAGuestError) {
    bench b("bench");
    b.host_body = [](dbvp::host::hal& h, bench& x) {
        ASSERT_TRUE(h.wait_link_up(1000000));
        dbvp::test::expect_report rep("bad size/alignment", 2);
        std::uint32_t v = 0;
        EXPECT_EQ(h.cfg_read(ep_bdf, 0x00, 3, v), completion::ur);
        EXPECT_EQ(v, 0xffffffffu);
        EXPECT_EQ(h.cfg_write(ep_bdf, 0x02, 4, 0), completion::ur);
        EXPECT_EQ(x.ep.tlps, 0u);
    };
    b.start();
}

TEST(RootComplex, RequestsWhileLinkDownCompleteLinkDown) {
    bench b("bench");
    b.ep.train = false;
    b.host_body = [](dbvp::host::hal& h, bench& x) {
        std::uint32_t v = 0;
        EXPECT_EQ(h.cfg_read(ep_bdf, 0x00, 4, v), completion::link_down);
        EXPECT_EQ(v, 0xffffffffu);
        EXPECT_EQ(rd32(h, bar0_addr), 0xffffffffu);
        completion c = completion::ok;
        rd32(h, bar0_addr, &c);
        EXPECT_EQ(c, completion::link_down);
        const std::uint32_t w = 1;
        h.mem_write(bar0_addr, &w, 4); // posted: silently dropped by the link
        EXPECT_EQ(x.ep.tlps, 0u);
        EXPECT_EQ(x.lnk.stats().dropped_link_down, 4u);
    };
    b.start();
}

TEST(RootComplex, MemoryRequestsInsideTheWindows) {
    bench b("bench");
    b.host_body = [](dbvp::host::hal& h, bench& x) {
        ASSERT_TRUE(h.wait_link_up(1000000));
        const std::uint32_t w = 0xcafef00d;
        h.mem_write(bar0_addr + 0x10, &w, 4);
        EXPECT_EQ(x.ep.seen.type, tlp_type::mem_wr);
        EXPECT_TRUE(x.ep.seen.posted);
        EXPECT_EQ(x.ep.seen.requester_id, root_port);
        EXPECT_EQ(x.ep.seen_addr, bar0_addr + 0x10);
        completion c = completion::ur;
        EXPECT_EQ(rd32(h, bar0_addr + 0x10, &c), 0xcafef00du);
        EXPECT_EQ(c, completion::ok);
        EXPECT_EQ(x.ep.seen.type, tlp_type::mem_rd);
        EXPECT_FALSE(x.ep.seen.posted);
        EXPECT_EQ(x.ep.seen.requester_id, root_port);

        // 64-bit window: 4 DW headers.
        const std::uint64_t q = 0x0123456789abcdefull;
        h.mem_write(bar2_addr + 0x800, &q, 8);
        std::uint64_t r = 0;
        EXPECT_EQ(h.mem_read(bar2_addr + 0x800, &r, 8), completion::ok);
        EXPECT_EQ(r, q);
        EXPECT_EQ(x.ep.seen_addr, bar2_addr + 0x800);
        EXPECT_EQ(x.ep.tlps, 4u);
        // Down: MWr 24 B, MRd 20 B, MWr 16 + 8 + 8 = 32 B, MRd 16 + 8 = 24 B; up: CplD 24 B, CplD 28 B.
        EXPECT_EQ(x.lnk.stats().down_bytes, 24u + 20u + 32u + 24u);
        EXPECT_EQ(x.lnk.stats().up_bytes, 24u + 28u);
    };
    b.start();
}

TEST(RootComplex, MemoryRequestsOutsideTheWindows) {
    bench b("bench");
    b.host_body = [](dbvp::host::hal& h, bench& x) {
        ASSERT_TRUE(h.wait_link_up(1000000));
        completion c = completion::ok;
        EXPECT_EQ(rd32(h, 0x1000, &c), 0xffffffffu);
        EXPECT_EQ(c, completion::ur);
        // Straddling the end of the 32-bit window is outside too.
        EXPECT_EQ(rd32(h, 0x40000000 + 0x20000000 - 2, &c), 0xffffffffu);
        EXPECT_EQ(c, completion::ur);
        {
            dbvp::test::expect_report rep("outside the MMIO windows");
            const std::uint32_t w = 5;
            h.mem_write(0x80000000, &w, 4);
        }
        EXPECT_EQ(x.ep.tlps, 0u);
        EXPECT_EQ(x.lnk.stats().down_tlps, 0u);
        EXPECT_EQ(x.rc.host_memory().data()[0], 0u) << "host writes never reach host memory through the HAL";
    };
    b.start();
}

TEST(RootComplex, UrCompletionReadsAllOnes) {
    bench b("bench");
    b.host_body = [](dbvp::host::hal& h, bench& x) {
        ASSERT_TRUE(h.wait_link_up(1000000));
        unsigned char buf[16];
        std::memset(buf, 0, sizeof buf);
        EXPECT_EQ(h.mem_read(0x50000000, buf, sizeof buf), completion::ur) << "inside the window, no BAR there";
        for (unsigned char v : buf)
            EXPECT_EQ(v, 0xff);
        EXPECT_EQ(x.ep.tlps, 1u);
        EXPECT_EQ(x.ep.seen.type, tlp_type::mem_rd);
    };
    b.start();
}

TEST(RootComplex, HostWriteAndReadEndToEndTiming) {
    bench b("bench");
    b.host_body = [](dbvp::host::hal& h, bench& x) {
        ASSERT_TRUE(h.wait_link_up(1000000));
        const sc_time t0 = sc_time_stamp();
        const std::uint32_t w = 7;
        h.mem_write(bar0_addr, &w, 4);
        // Root complex 20 ns, MWr 24 B on the wire, link pipeline 160 ns.
        EXPECT_EQ(x.ep.arrival, t0 + ps(rc_ps + ser24 + lat_ps));
        // Blocking transport: the host's time includes the whole path (the endpoint adds nothing here).
        EXPECT_EQ(h.now_ns(), 1000u + 186u);

        // Let the wire drain, then a read: RC, MRd 20 B, pipeline, (endpoint 0), CplD 24 B, pipeline.
        h.sleep_ns(814); // to t = 2000 ns
        const sc_time t1 = t0 + ps(rc_ps + ser24 + lat_ps) + ns(814); // 2000.094 ns
        EXPECT_EQ(h.now_ns(), 2000u);
        completion c = completion::ur;
        EXPECT_EQ(rd32(h, bar0_addr, &c), 7u);
        EXPECT_EQ(c, completion::ok);
        EXPECT_EQ(x.ep.arrival, t1 + ps(rc_ps + ser20 + lat_ps));
        // 2000.094 + (20 + 5.079 + 160 + 6.094 + 160 = 351.173) ns
        EXPECT_EQ(h.now_ns(), 2351u);
    };
    b.start();
}

TEST(RootComplex, UpstreamDmaReachesHostMemory) {
    bench b("bench");
    b.ep.body = [](fake_ep& ep) {
        wait(ns(1500));
        std::uint64_t q = 0x1122334455667788ull;
        sc_time d = SC_ZERO_TIME;
        EXPECT_EQ(ep.up(tlm::TLM_WRITE_COMMAND, 0x80001000, &q, 8, d), tlm::TLM_OK_RESPONSE);
        // MWr 12 + 8 + 8 = 28 B, link pipeline, root complex, memory write.
        EXPECT_EQ(d, ps(ser28 + lat_ps + rc_ps + mem_ps));
        wait(ns(1000));
        std::uint64_t r = 0;
        d = SC_ZERO_TIME;
        EXPECT_EQ(ep.up(tlm::TLM_READ_COMMAND, 0x80001000, &r, 8, d), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(r, q);
        // MRd 20 B, pipeline, root complex, memory read, CplD 28 B, pipeline.
        EXPECT_EQ(d, ps(ser20 + lat_ps + rc_ps + mem_ps + ser28 + lat_ps));
    };
    b.start();
    std::uint64_t v = 0;
    std::memcpy(&v, b.rc.host_memory().data() + 0x1000, 8);
    EXPECT_EQ(v, 0x1122334455667788ull);
    EXPECT_EQ(b.rc.stats().upstream_dropped + b.rc.stats().upstream_ur + b.rc.stats().msis, 0u);
}

TEST(RootComplex, UpstreamDebugAccessReachesHostMemory) {
    bench b("bench");
    b.rc.host_memory().data()[0x20] = 0x42;
    b.ep.body = [](fake_ep& ep) {
        tlm::tlm_generic_payload p;
        unsigned char v = 0;
        p.set_command(tlm::TLM_READ_COMMAND);
        p.set_address(0x80000020);
        p.set_data_ptr(&v);
        p.set_data_length(1);
        p.set_streaming_width(1);
        EXPECT_EQ(ep.pcie_out->transport_dbg(p), 1u);
        EXPECT_EQ(v, 0x42);
        p.set_address(0x10000000);
        EXPECT_EQ(ep.pcie_out->transport_dbg(p), 0u);
        EXPECT_EQ(sc_time_stamp(), SC_ZERO_TIME);
    };
    b.start();
}

TEST(RootComplex, UpstreamToNowhere) {
    bench b("bench");
    b.ep.body = [](fake_ep& ep) {
        wait(ns(1500));
        sc_time d = SC_ZERO_TIME;
        std::uint32_t v = 0x1234;
        {
            dbvp::test::expect_report rep("hits neither host memory nor the MSI target");
            EXPECT_EQ(ep.up(tlm::TLM_WRITE_COMMAND, 0x10000000, &v, 4, d), tlm::TLM_OK_RESPONSE);
            // A 2-byte write to the MSI address is not an MSI.
            EXPECT_EQ(ep.up(tlm::TLM_WRITE_COMMAND, 0xfee00000, &v, 2, d), tlm::TLM_OK_RESPONSE);
        }
        EXPECT_EQ(ep.up(tlm::TLM_READ_COMMAND, 0x10000000, &v, 4, d), tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(ep.up_attr.status, cpl_status::ur);
        EXPECT_EQ(v, 0x1234u);
    };
    b.start();
    EXPECT_EQ(b.rc.stats().upstream_dropped, 2u);
    EXPECT_EQ(b.rc.stats().upstream_ur, 1u);
    EXPECT_EQ(b.rc.stats().msis, 0u);
    EXPECT_TRUE(b.rc.msi_log().empty());
}

TEST(RootComplex, MsisAreCapturedInOrder) {
    bench b("bench");
    b.ep.body = [](fake_ep& ep) {
        wait(ns(1500));
        sc_time d = SC_ZERO_TIME;
        ep.msi(0x10, d);
        d = SC_ZERO_TIME;
        ep.msi(0x11, d); // queues behind the first on the upstream wire
    };
    std::vector<dbvp::host::msi_message> got;
    std::vector<std::uint64_t> woke;
    b.host_body = [&](dbvp::host::hal& h, bench&) {
        dbvp::host::msi_message m;
        for (int i = 0; i < 2; ++i) {
            ASSERT_TRUE(h.wait_msi(1000000, m));
            got.push_back(m);
            woke.push_back(h.now_ns());
        }
    };
    b.start();
    ASSERT_EQ(got.size(), 2u);
    // Sent at 1500 ns: MWr 24 B (6.094 ns) + 160 ns link + 20 ns root complex = 1686.094 ns; the second leaves
    // the wire 6.094 ns later: 1692.188 ns.
    EXPECT_EQ(got[0].time_ns, 1686u);
    EXPECT_EQ(got[1].time_ns, 1692u);
    EXPECT_EQ(got[0].address, 0xfee00000u);
    EXPECT_EQ(got[0].data, 0x10u);
    EXPECT_EQ(got[1].data, 0x11u);
    EXPECT_EQ(got[0].requester_id, ep_bdf);
    EXPECT_EQ(woke[0], 1686u) << "the host wakes when the MSI arrives";
    EXPECT_EQ(woke[1], 1692u);
    EXPECT_EQ(b.rc.stats().msis, 2u);
    ASSERT_EQ(b.rc.msi_log().size(), 2u);
    EXPECT_EQ(b.rc.msi_log()[1].data, 0x11u);
}

TEST(RootComplex, WaitMsiTimesOut) {
    bench b("bench");
    b.ep.body = [](fake_ep& ep) {
        wait(ns(10000));
        sc_time d = SC_ZERO_TIME;
        ep.msi(0x3, d); // arrives at 10186.094 ns
    };
    b.host_body = [](dbvp::host::hal& h, bench&) {
        dbvp::host::msi_message m;
        EXPECT_FALSE(h.wait_msi(5000, m));
        EXPECT_EQ(h.now_ns(), 5000u);
        EXPECT_FALSE(h.wait_msi(5000, m)) << "the MSI arrives 186 ns after this deadline";
        EXPECT_EQ(h.now_ns(), 10000u);
        EXPECT_TRUE(h.wait_msi(5000, m));
        EXPECT_EQ(m.data, 0x3u);
        EXPECT_EQ(h.now_ns(), 10186u);
        EXPECT_FALSE(h.wait_msi(100, m)) << "each MSI is returned once";
    };
    b.start();
}

TEST(RootComplex, EnumerationOverTheLink) {
    bench b("bench");
    b.ep.cfg.val[4] = 0;
    b.ep.cfg.val[6] = 0xc;
    b.ep.cfg.val[7] = 0;
    dbvp::host::enum_result res;
    b.host_body = [&](dbvp::host::hal& h, bench& x) {
        const root_complex::params& p = x.rc.get_params();
        dbvp::host::enum_config cfg;
        cfg.bus = p.secondary_bus;
        cfg.mmio32_base = p.mmio32_base + 0x100000; // leave room below to prove the assignment
        cfg.mmio32_size = 0x100000;
        cfg.mmio64_base = p.mmio64_base;
        cfg.mmio64_size = p.mmio64_size;
        cfg.msi_data_base = 0x40;
        res = dbvp::host::enumerate(h, cfg);
        if (!res.ok)
            return;
        // The endpoint now decodes its BARs where enumeration put them.
        const std::uint32_t w = 0x600df00d;
        h.mem_write(res.functions[0].bars[0].address + 0x100, &w, 4);
        EXPECT_EQ(rd32(h, res.functions[0].bars[0].address + 0x100), 0x600df00du);
    };
    b.ep.body = [](fake_ep& ep) {
        wait(ns(100000));
        // Raise vector 1 as an endpoint does: programmed data | vector.
        const std::uint64_t addr = ep.cfg.val[0x54 / 4] | (std::uint64_t{ep.cfg.val[0x58 / 4]} << 32);
        std::uint32_t data = (ep.cfg.val[0x5c / 4] & 0xffff) | 1;
        sc_time d = SC_ZERO_TIME;
        ep.up(tlm::TLM_WRITE_COMMAND, addr, &data, 4, d);
    };
    b.start();
    ASSERT_TRUE(res.ok) << res.error;
    ASSERT_EQ(res.functions.size(), 1u);
    const auto& f = res.functions[0];
    EXPECT_EQ(f.bdf, ep_bdf);
    EXPECT_EQ(f.vendor_id, 0x16c3);
    EXPECT_EQ(f.device_id, 0xabcd);
    EXPECT_EQ(f.class_code, 0x058000u);
    EXPECT_EQ(f.bars[0].size, 0x10000u);
    EXPECT_EQ(f.bars[0].address, 0x40100000u);
    EXPECT_TRUE(f.bars[2].is64);
    EXPECT_EQ(f.bars[2].size, 0x100000u);
    EXPECT_EQ(f.bars[2].address, 0x4000000000ull);
    EXPECT_EQ(b.ep.bar(0), 0x40100000u);
    EXPECT_EQ(b.ep.bar(2), 0x4000000000ull);
    EXPECT_EQ(f.msi_vectors, 4u);
    EXPECT_EQ(b.ep.cfg.val[0x50 / 4] >> 16, 0x0084u | (2u << 4) | 1u);
    EXPECT_EQ(b.ep.cfg.val[0x54 / 4], 0xfee00000u);
    EXPECT_EQ(b.ep.cfg.val[0x5c / 4], 0x40u);
    EXPECT_EQ(b.ep.cfg.val[1] & 0x7, 0x6u) << "memory space and bus master enabled, I/O off";
    ASSERT_EQ(b.rc.msi_log().size(), 1u);
    EXPECT_EQ(b.rc.msi_log()[0].data, 0x41u);
    EXPECT_EQ(b.rc.msi_log()[0].requester_id, ep_bdf);
}
