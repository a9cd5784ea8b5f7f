// PCIe link: serialization time per generation/width, header sizes, posted and non-posted delays, bandwidth
// queueing per direction, link training and link down. Expected times are computed by hand from the link
// parameters (see each comment), never from the model's own functions.
#include "dbvp/core/irq.h"
#include "dbvp/core/sideband.h"
#include "dbvp/pcie/link.h"
#include "reports.h"

#include <array>
#include <cstring>
#include <functional>
#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <utility>
#include <vector>

using namespace sc_core;
using dbvp::cpl_status;
using dbvp::pcie_attr;
using dbvp::tlp_type;
using pcie_link = dbvp::pcie::link; // plain `link` collides with POSIX link()

namespace {

sc_time ps(std::uint64_t v) { return sc_time(static_cast<double>(v), SC_PS); }
sc_time ns(std::uint64_t v) { return sc_time(static_cast<double>(v), SC_NS); }

// Default link: Gen3 x4, 250 MHz link clock, 40 cycles = 160 ns pipeline latency, 8 framing bytes.
// Gen3 serialization of n bytes on x4: ceil(n * 130e6 / (16 * 4 * 8000)) ps = ceil(n * 253.90625) ps.
constexpr std::uint64_t lat_ps = 160000;
constexpr std::uint64_t ser20 = 5079;   // 20 B: 12 B header + 8 B framing (MRd, Cpl)           5078.125
constexpr std::uint64_t ser24 = 6094;   // 24 B: 12 + 4 + 8 (MWr 1 DW, CplD 1 DW, CfgWr)         6093.75
constexpr std::uint64_t ser28 = 7110;   // 28 B: 16 + 4 + 8 (64-bit MWr) or 12 + 8 + 8            7109.375
constexpr std::uint64_t ser84 = 21329;  // 84 B: 12 + 64 + 8                                      21328.125
constexpr std::uint64_t ser4116 = 1045079; // 4116 B: 12 + 4096 + 8                             1045078.125

struct tlp_target : sc_module {
    tlm_utils::simple_target_socket<tlp_target> socket;
    sc_time extra = SC_ZERO_TIME; // delay the completer adds
    tlm::tlm_response_status resp = tlm::TLM_OK_RESPONSE;
    cpl_status status = cpl_status::sc;
    unsigned calls = 0, dbg_calls = 0;
    sc_time arrival;
    pcie_attr seen;
    std::uint64_t addr = 0;
    unsigned len = 0;

    explicit tlp_target(sc_module_name n) : sc_module(n), socket("socket") {
        socket.register_b_transport(this, &tlp_target::b_transport);
        socket.register_transport_dbg(this, &tlp_target::dbg);
    }
    void b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
        ++calls;
        arrival = sc_time_stamp() + delay;
        addr = p.get_address();
        len = p.get_data_length();
        if (auto* a = dbvp::attr_of(p)) {
            seen = *a;
            a->status = status;
        }
        if (p.is_read())
            std::memset(p.get_data_ptr(), 0xa5, p.get_data_length());
        delay += extra;
        p.set_response_status(resp);
    }
    unsigned dbg(tlm::tlm_generic_payload& p) {
        ++dbg_calls;
        if (p.is_read())
            std::memset(p.get_data_ptr(), 0x5a, p.get_data_length());
        return p.get_data_length();
    }
};

struct edge_recorder : dbvp::irq_sink {
    std::vector<std::pair<sc_time, bool>> edges;
    void irq_level(unsigned, bool level, const sc_time& offset) override {
        edges.emplace_back(sc_time_stamp() + offset, level);
    }
};

struct bench;
using init_socket = tlm_utils::simple_initiator_socket<bench>;

struct bench : sc_module {
    pcie_link lnk;
    tlp_target ep, host;
    init_socket down, up;
    edge_recorder sink;
    std::function<void(bench&)> body;
    bool done = false; // the body ran to its end
    pcie_attr attr;
    std::array<unsigned char, 4096> buf{};

    explicit bench(sc_module_name n, const pcie_link::params& p = pcie_link::params{})
        : sc_module(n), lnk("link", p), ep("ep"), host("host"), down("down"), up("up") {
        down.bind(lnk.down_in);
        lnk.down_out.bind(ep.socket);
        up.bind(lnk.up_in);
        lnk.up_out.bind(host.socket);
        lnk.link_up.bind(sink, 0);
        SC_HAS_PROCESS(bench);
        SC_THREAD(run);
    }
    void run() {
        if (body)
            body(*this);
        done = true;
    }
    /// Run the simulation until it runs out of events; a body that does not reach its end (a wait nothing ends)
    /// fails the test.
    void start() {
        sc_start();
        EXPECT_TRUE(done) << "the bench's body did not run to its end: the simulation ran out of events at "
                          << sc_time_stamp();
    }
    /// Raise LTSSM enable now and wait until the link is up (training_ns later).
    void train() {
        lnk.irq_level(0, true, SC_ZERO_TIME);
        wait(ns(lnk.get_params().training_ns + 1));
        ASSERT_TRUE(lnk.is_up());
    }
    tlm::tlm_response_status send(init_socket& s, tlp_type t, std::uint64_t addr, unsigned len, sc_time& delay,
                                  bool with_attr = true) {
        const bool write = t == tlp_type::mem_wr || t == tlp_type::cfg_wr0 || t == tlp_type::cfg_wr1 ||
                           t == tlp_type::msg;
        tlm::tlm_generic_payload p;
        p.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
        p.set_address(addr);
        p.set_data_ptr(buf.data());
        p.set_data_length(len);
        p.set_streaming_width(len);
        p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        attr = pcie_attr{};
        attr.type = t;
        attr.requester_id = 0x0100;
        attr.posted = t == tlp_type::mem_wr || t == tlp_type::msg;
        if (with_attr)
            p.set_extension(&attr);
        s->b_transport(p, delay);
        if (with_attr)
            p.clear_extension(&attr);
        return p.get_response_status();
    }
};

} // namespace

TEST(Link, SerializationPerGenerationAndWidth) {
    pcie_link::params p;
    p.generation = 1;
    p.width = 1;
    pcie_link g1x1("g1x1", p);
    p.generation = 2;
    p.width = 4;
    pcie_link g2x4("g2x4", p);
    p.generation = 3;
    p.width = 4;
    pcie_link g3x4("g3x4", p);
    p.width = 1;
    pcie_link g3x1("g3x1", p);
    p.generation = 4;
    p.width = 8;
    pcie_link g4x8("g4x8", p);
    p.generation = 5;
    p.width = 16;
    pcie_link g5x16("g5x16", p);
    p.generation = 1;
    p.width = 1;
    p.framing_bytes = 0;
    pcie_link g1x1_noframe("g1x1_noframe", p);

    // 8b/10b: 20 B on one 2.5 GT/s lane = 200 bits / 2.5 Gb/s = 80 ns.
    EXPECT_EQ(g1x1.serialization(12, 0), ps(80000));
    // 84 B on four 5 GT/s lanes: 840 bits / 20 Gb/s = 42 ns.
    EXPECT_EQ(g2x4.serialization(12, 64), ps(42000));
    // 128b/130b: 24 B on four 8 GT/s lanes: 24 * 8.125 / 32 ns = 6.09375 ns -> 6094 ps (rounded up).
    EXPECT_EQ(g3x4.serialization(12, 4), ps(6094));
    // 20 B on one 8 GT/s lane: 20 * 8.125 / 8 ns = 20.3125 ns -> 20313 ps.
    EXPECT_EQ(g3x1.serialization(12, 0), ps(20313));
    // 280 B on eight 16 GT/s lanes: 280 * 8.125 / 128 ns = 17.7734375 ns -> 17774 ps.
    EXPECT_EQ(g4x8.serialization(16, 256), ps(17774));
    // 24 B on sixteen 32 GT/s lanes: 24 * 8.125 / 512 ns = 0.380859375 ns -> 381 ps.
    EXPECT_EQ(g5x16.serialization(12, 4), ps(381));
    // Without framing: 12 B * 4 ns.
    EXPECT_EQ(g1x1_noframe.serialization(12, 0), ps(48000));
}

TEST(Link, RejectsBadGenerationAndWidth) {
    pcie_link::params p;
    p.generation = 6;
    EXPECT_THROW((pcie_link{"bad_gen", p}), std::invalid_argument);
    p.generation = 3;
    p.width = 3;
    EXPECT_THROW((pcie_link{"bad_width", p}), std::invalid_argument);
}

TEST(Link, HeaderIs16BytesOnlyAbove4GiB) {
    pcie_attr a;
    a.type = tlp_type::mem_rd;
    tlm::tlm_generic_payload p;
    p.set_address(0xfffffffcull);
    p.set_extension(&a);
    EXPECT_EQ(pcie_link::header_bytes(p), 12u);
    p.set_address(0x100000000ull);
    EXPECT_EQ(pcie_link::header_bytes(p), 16u);
    a.type = tlp_type::mem_wr;
    EXPECT_EQ(pcie_link::header_bytes(p), 16u);
    a.type = tlp_type::cfg_rd0; // the address of a config request is the register offset: always 3 DW
    EXPECT_EQ(pcie_link::header_bytes(p), 12u);
    a.type = tlp_type::cfg_wr0;
    p.set_address(0x10);
    EXPECT_EQ(pcie_link::header_bytes(p), 12u);
    a.type = tlp_type::msg; // messages always carry a 4 DW header
    EXPECT_EQ(pcie_link::header_bytes(p), 16u);
    p.clear_extension(&a);
}

TEST(Link, PostedWriteCostsSerializationPlusLatency) {
    bench b("bench");
    b.body = [](bench& x) {
        x.train();
        const sc_time t0 = sc_time_stamp();
        sc_time d = SC_ZERO_TIME;
        EXPECT_EQ(x.send(x.down, tlp_type::mem_wr, 0x1000, 4, d), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(d, ps(ser24 + lat_ps));
        EXPECT_EQ(x.ep.arrival, t0 + ps(ser24 + lat_ps));
        EXPECT_EQ(x.ep.seen.type, tlp_type::mem_wr);
        EXPECT_EQ(x.ep.seen.requester_id, 0x0100);

        // A 64-bit address needs the 4 DW header: 28 B. Issued once the first TLP has left the wire.
        wait(ns(1000));
        const sc_time t1 = sc_time_stamp();
        d = SC_ZERO_TIME;
        x.send(x.down, tlp_type::mem_wr, 0x100000000ull, 4, d);
        EXPECT_EQ(d, ps(ser28 + lat_ps));
        EXPECT_EQ(x.ep.arrival, t1 + ps(ser28 + lat_ps));
        EXPECT_EQ(x.lnk.stats().down_tlps, 2u);
        EXPECT_EQ(x.lnk.stats().down_bytes, 24u + 28u);
        EXPECT_EQ(x.lnk.stats().up_tlps, 0u) << "posted writes have no completion";
    };
    b.start();
}

TEST(Link, PayloadIsWholeDwords) {
    bench b("bench");
    b.body = [](bench& x) {
        x.train();
        sc_time d = SC_ZERO_TIME;
        x.send(x.down, tlp_type::mem_wr, 0x1003, 1, d); // one byte: 1 DW payload -> 24 B
        EXPECT_EQ(d, ps(ser24 + lat_ps));
        wait(ns(1000));
        d = SC_ZERO_TIME;
        x.send(x.down, tlp_type::mem_wr, 0x1003, 2, d); // bytes 3..4 straddle two DW -> 28 B
        EXPECT_EQ(d, ps(ser28 + lat_ps));
        EXPECT_EQ(x.lnk.stats().down_bytes, 24u + 28u);
    };
    b.start();
}

TEST(Link, ReadPaysRequestAndCompletion) {
    bench b("bench");
    b.ep.extra = ns(10);
    b.body = [](bench& x) {
        x.train();
        const sc_time t0 = sc_time_stamp();
        sc_time d = SC_ZERO_TIME;
        x.buf.fill(0);
        EXPECT_EQ(x.send(x.down, tlp_type::mem_rd, 0x2000, 4, d), tlm::TLM_OK_RESPONSE);
        // MRd 20 B + latency, completer 10 ns, CplD 24 B + latency.
        EXPECT_EQ(x.ep.arrival, t0 + ps(ser20 + lat_ps));
        EXPECT_EQ(d, ps(ser20 + lat_ps + 10000 + ser24 + lat_ps));
        EXPECT_EQ(x.buf[0], 0xa5);
        EXPECT_EQ(x.lnk.stats().down_tlps, 1u);
        EXPECT_EQ(x.lnk.stats().down_bytes, 20u);
        EXPECT_EQ(x.lnk.stats().up_tlps, 1u);
        EXPECT_EQ(x.lnk.stats().up_bytes, 24u);
    };
    b.start();
}

TEST(Link, ConfigWriteGetsCompletionWithoutData) {
    bench b("bench");
    b.body = [](bench& x) {
        x.train();
        sc_time d = SC_ZERO_TIME;
        EXPECT_EQ(x.send(x.down, tlp_type::cfg_wr0, 0x10, 4, d), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(d, ps(ser24 + lat_ps + ser20 + lat_ps));
        EXPECT_EQ(x.lnk.stats().down_bytes, 24u);
        EXPECT_EQ(x.lnk.stats().up_tlps, 1u);
        EXPECT_EQ(x.lnk.stats().up_bytes, 20u);
    };
    b.start();
}

TEST(Link, ErrorCompletionCarriesNoData) {
    bench b("bench");
    b.ep.status = cpl_status::ur;
    b.ep.resp = tlm::TLM_ADDRESS_ERROR_RESPONSE;
    b.body = [](bench& x) {
        x.train();
        sc_time d = SC_ZERO_TIME;
        EXPECT_EQ(x.send(x.down, tlp_type::mem_rd, 0x2000, 64, d), tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(x.attr.status, cpl_status::ur);
        EXPECT_EQ(d, ps(ser20 + lat_ps + ser20 + lat_ps)) << "UR completion is a 3 DW Cpl without data";
        EXPECT_EQ(x.lnk.stats().up_bytes, 20u);
    };
    b.start();
}

TEST(Link, UpstreamReadCompletesDownstream) {
    bench b("bench");
    b.body = [](bench& x) {
        x.train();
        sc_time d = SC_ZERO_TIME;
        EXPECT_EQ(x.send(x.up, tlp_type::mem_rd, 0x80000000ull, 64, d), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(x.host.calls, 1u);
        EXPECT_EQ(d, ps(ser20 + lat_ps + ser84 + lat_ps));
        EXPECT_EQ(x.lnk.stats().up_tlps, 1u);
        EXPECT_EQ(x.lnk.stats().up_bytes, 20u);
        EXPECT_EQ(x.lnk.stats().down_tlps, 1u);
        EXPECT_EQ(x.lnk.stats().down_bytes, 84u);
    };
    b.start();
}

TEST(Link, BackToBackWritesQueuePerDirection) {
    bench b("bench");
    b.body = [](bench& x) {
        x.train();
        sc_time d1 = SC_ZERO_TIME, d2 = SC_ZERO_TIME, d3 = ns(100), du = SC_ZERO_TIME;
        x.send(x.down, tlp_type::mem_wr, 0x1000, 64, d1);
        x.send(x.down, tlp_type::mem_wr, 0x1040, 64, d2);
        EXPECT_EQ(d1, ps(ser84 + lat_ps));
        EXPECT_EQ(d2, ps(2 * ser84 + lat_ps)) << "second TLP starts when the first has left the wire";
        // Ready at +100 ns, after the wire became free at 2 * 21.329 ns: no queueing.
        x.send(x.down, tlp_type::mem_wr, 0x1080, 64, d3);
        EXPECT_EQ(d3, ps(100000 + ser84 + lat_ps));
        // The other direction is an independent resource.
        x.send(x.up, tlp_type::mem_wr, 0x80000000ull, 64, du);
        EXPECT_EQ(du, ps(ser84 + lat_ps));
    };
    b.start();
}

TEST(Link, CompletionQueuesBehindUpstreamTraffic) {
    bench b("bench");
    b.body = [](bench& x) {
        x.train();
        sc_time du = SC_ZERO_TIME, dr = SC_ZERO_TIME;
        x.send(x.up, tlp_type::mem_wr, 0x80000000ull, 4096, du); // upstream wire busy for 1045.079 ns
        EXPECT_EQ(du, ps(ser4116 + lat_ps));
        x.send(x.down, tlp_type::mem_rd, 0x2000, 4, dr);
        // The MRd arrives after 165.079 ns, but its CplD waits for the upstream wire.
        EXPECT_EQ(dr, ps(ser4116 + ser24 + lat_ps));
    };
    b.start();
}

TEST(Link, TrainingRaisesLinkUpAndDropIsImmediate) {
    pcie_link::params p;
    p.training_ns = 1000;
    bench b("bench", p);
    b.body = [](bench& x) {
        wait(ns(100));
        x.lnk.irq_level(0, true, SC_ZERO_TIME);
        wait(ns(999));
        EXPECT_FALSE(x.lnk.is_up()) << "1 ns before the end of training";
        wait(ns(2));
        EXPECT_TRUE(x.lnk.is_up());
        wait(ns(899)); // t = 2000 ns
        x.lnk.irq_level(0, false, SC_ZERO_TIME);
        EXPECT_FALSE(x.lnk.is_up()) << "LTSSM disable drops the link at once";
        wait(ns(1000)); // t = 3000: train, abort at 3500, train again from 3600
        x.lnk.irq_level(0, true, SC_ZERO_TIME);
        wait(ns(500));
        x.lnk.irq_level(0, false, SC_ZERO_TIME);
        wait(ns(100));
        x.lnk.irq_level(0, true, SC_ZERO_TIME);
    };
    b.start();
    ASSERT_EQ(b.sink.edges.size(), 3u);
    EXPECT_EQ(b.sink.edges[0], std::make_pair(ns(1100), true));
    EXPECT_EQ(b.sink.edges[1], std::make_pair(ns(2000), false));
    EXPECT_EQ(b.sink.edges[2], std::make_pair(ns(4600), true)) << "an aborted training does not raise link_up";
    EXPECT_TRUE(b.lnk.is_up());
}

TEST(Link, LinkDownAnswersUrAndDropsPosted) {
    bench b("bench");
    b.body = [](bench& x) {
        sc_time d = SC_ZERO_TIME;
        EXPECT_EQ(x.send(x.down, tlp_type::mem_rd, 0x1000, 4, d), tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(x.attr.status, cpl_status::ur);
        EXPECT_EQ(x.send(x.down, tlp_type::cfg_rd0, 0x0, 4, d), tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(x.attr.status, cpl_status::ur);
        EXPECT_EQ(x.send(x.down, tlp_type::mem_wr, 0x1000, 4, d), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(x.attr.status, cpl_status::sc);
        EXPECT_EQ(x.send(x.up, tlp_type::mem_wr, 0xfee00000ull, 4, d), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(d, SC_ZERO_TIME);
        EXPECT_EQ(x.ep.calls + x.host.calls, 0u);
        EXPECT_EQ(x.lnk.stats().dropped_link_down, 4u);
        EXPECT_EQ(x.lnk.stats().down_tlps + x.lnk.stats().up_tlps, 0u);

        // Up, then down again: traffic stops at once.
        x.train();
        x.send(x.down, tlp_type::mem_wr, 0x1000, 4, d);
        EXPECT_EQ(x.ep.calls, 1u);
        x.lnk.irq_level(0, false, SC_ZERO_TIME);
        d = SC_ZERO_TIME;
        EXPECT_EQ(x.send(x.down, tlp_type::mem_rd, 0x1000, 4, d), tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(x.ep.calls, 1u);
        EXPECT_EQ(x.lnk.stats().dropped_link_down, 5u);
    };
    b.start();
}

TEST(Link, RequestWithoutAttrIsAModelBug) {
    bench b("bench");
    b.body = [](bench& x) {
        x.train();
        sc_time d = SC_ZERO_TIME;
        EXPECT_THROW(x.send(x.down, tlp_type::mem_wr, 0x1000, 4, d, false), std::logic_error);
        EXPECT_EQ(x.ep.calls, 0u);
    };
    b.start();
}

TEST(Link, DebugTransportForwardsWithoutTime) {
    bench b("bench");
    b.body = [](bench& x) {
        x.train();
        const sc_time t0 = sc_time_stamp();
        tlm::tlm_generic_payload p;
        p.set_command(tlm::TLM_READ_COMMAND);
        p.set_address(0x100);
        p.set_data_ptr(x.buf.data());
        p.set_data_length(8);
        p.set_streaming_width(8);
        x.buf.fill(0);
        EXPECT_EQ(x.down->transport_dbg(p), 8u);
        EXPECT_EQ(x.buf[7], 0x5a);
        EXPECT_EQ(x.up->transport_dbg(p), 8u);
        EXPECT_EQ(x.ep.dbg_calls, 1u);
        EXPECT_EQ(x.host.dbg_calls, 1u);
        EXPECT_EQ(sc_time_stamp(), t0);
        EXPECT_EQ(x.lnk.stats().down_tlps + x.lnk.stats().up_tlps, 0u) << "debug accesses are not traffic";
        // A later real TLP does not queue behind debug accesses.
        sc_time d = SC_ZERO_TIME;
        x.send(x.down, tlp_type::mem_wr, 0x1000, 4, d);
        EXPECT_EQ(d, ps(ser24 + lat_ps));
    };
    b.start();
}
