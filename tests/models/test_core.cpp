// Core building blocks: clocked (cycle arithmetic, kernel_time), irq_out / irq_sink, memory, router and master
// (temporal decoupling, pcie_attr round trip), lru_cache, sparse_bitset, load_le64. Expected times are computed by
// hand from the parameters in each comment, never from the model's own functions alone.
#include "dbvp/bus/router.h"
#include "dbvp/core/bitset.h"
#include "dbvp/core/clocked.h"
#include "dbvp/core/dmi.h"
#include "dbvp/core/irq.h"
#include "dbvp/core/lru.h"
#include "dbvp/core/master.h"
#include "dbvp/core/sideband.h"
#include "dbvp/core/timed_events.h"
#include "dbvp/mem/memory.h"
#include "dbvp/util/bits.h"
#include "reports.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <gtest/gtest.h>
#include <random>
#include <stdexcept>
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

namespace {

sc_time ps(std::uint64_t v) { return sc_time(static_cast<double>(v), SC_PS); }
sc_time ns(std::uint64_t v) { return sc_time(static_cast<double>(v), SC_NS); }

// ---------------------------------------------------------------------------------------------------------------
// Bench pieces.

/// An initiator: a simple_initiator_socket driven through dbvp::master from one SC_THREAD running `body`.
struct initiator : sc_module {
    tlm_utils::simple_initiator_socket<initiator> socket;
    dbvp::master m;
    std::function<void(initiator&)> body;
    bool done = false;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> invalidations;

    explicit initiator(sc_module_name n) : sc_module(n), socket("socket"), m(socket) {
        socket.register_invalidate_direct_mem_ptr(this, &initiator::invalidate);
        SC_HAS_PROCESS(initiator);
        SC_THREAD(run);
    }
    void run() {
        if (body)
            body(*this);
        done = true;
    }
    void invalidate(sc_dt::uint64 start, sc_dt::uint64 end) { invalidations.emplace_back(start, end); }

    /// Raw b_transport (byte enables, explicit delay), bypassing the master.
    tlm::tlm_response_status raw(tlm::tlm_command cmd, std::uint64_t addr, unsigned char* data, unsigned len,
                                 sc_time& delay, unsigned char* be = nullptr, unsigned be_len = 0) {
        tlm::tlm_generic_payload p;
        p.set_command(cmd);
        p.set_address(addr);
        p.set_data_ptr(data);
        p.set_data_length(len);
        p.set_streaming_width(len);
        p.set_byte_enable_ptr(be);
        p.set_byte_enable_length(be_len);
        p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        socket->b_transport(p, delay);
        return p.get_response_status();
    }
    bool dmi(std::uint64_t addr, tlm::tlm_dmi& d, tlm::tlm_command cmd = tlm::TLM_READ_COMMAND) {
        tlm::tlm_generic_payload p;
        p.set_command(cmd);
        p.set_address(addr);
        return socket->get_direct_mem_ptr(p, d);
    }
};

/// A target that records what it sees, annotates a configurable delay and may update the pcie_attr.
struct probe : sc_module {
    tlm_utils::simple_target_socket<probe> socket;
    sc_time extra = SC_ZERO_TIME;
    bool set_status = false;
    cpl_status status_to_set = cpl_status::ur;
    std::int8_t bar_to_set = -1;

    unsigned calls = 0;
    std::uint64_t addr = 0;
    unsigned len = 0;
    sc_time delay_in;
    bool had_attr = false;
    pcie_attr seen;

    bool wait_inside = false; // synchronise inside b_transport (wait for the delay, hand back zero + extra)

    // DMI grant (target-relative) for the pointer-translation test.
    bool grant_dmi = false;
    std::uint64_t dmi_start = 0, dmi_end = 0;
    unsigned char* dmi_ptr = nullptr;

    explicit probe(sc_module_name n) : sc_module(n), socket("socket") {
        socket.register_b_transport(this, &probe::b_transport);
        socket.register_get_direct_mem_ptr(this, &probe::get_dmi);
    }
    void b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
        ++calls;
        addr = p.get_address();
        len = p.get_data_length();
        delay_in = delay;
        const pcie_attr* a = dbvp::attr_of(p);
        had_attr = a != nullptr;
        if (pcie_attr* w = dbvp::attr_of(p)) {
            seen = *w;
            if (set_status)
                w->status = status_to_set;
            if (bar_to_set >= 0)
                w->bar = bar_to_set;
        }
        if (p.is_read())
            std::memset(p.get_data_ptr(), 0x5a, p.get_data_length());
        if (wait_inside) {
            wait(delay);
            delay = SC_ZERO_TIME;
        }
        delay += extra;
        p.set_dmi_allowed(grant_dmi);
        p.set_response_status(tlm::TLM_OK_RESPONSE);
    }
    bool get_dmi(tlm::tlm_generic_payload&, tlm::tlm_dmi& d) {
        if (!grant_dmi)
            return false;
        d.set_dmi_ptr(dmi_ptr);
        d.set_start_address(dmi_start);
        d.set_end_address(dmi_end);
        d.allow_read_write();
        d.set_read_latency(ns(1));
        d.set_write_latency(ns(2));
        return true;
    }
};

/// Records every level change and edge with its input number and offset.
struct recorder : dbvp::irq_sink {
    struct event {
        char kind; // 'L' level, 'E' edge
        unsigned input;
        bool level;
        sc_time offset;
    };
    std::vector<event> events;
    void irq_level(unsigned input, bool level, const sc_time& offset) override {
        events.push_back({'L', input, level, offset});
    }
    void irq_edge(unsigned input, const sc_time& offset) override { events.push_back({'E', input, false, offset}); }
};

/// Keeps the default irq_edge (high-then-low levels).
struct level_only : dbvp::irq_sink {
    std::vector<recorder::event> events;
    void irq_level(unsigned input, bool level, const sc_time& offset) override {
        events.push_back({'L', input, level, offset});
    }
};

} // namespace

// ---------------------------------------------------------------------------------------------------------------
// clocked

TEST(CoreClocked, CyclesAreExactMultiplesOfThePeriod) {
    dbvp::clocked c; // default 1 GHz: 1000 ps
    EXPECT_EQ(c.clock_hz(), 1000000000ull);
    EXPECT_EQ(c.clock_period(), ps(1000));
    EXPECT_EQ(c.cycles(0), SC_ZERO_TIME);
    EXPECT_EQ(c.cycles(1), ns(1));
    EXPECT_EQ(c.cycles(13), ns(13));

    c.set_clock_hz(250000000); // 4000 ps
    EXPECT_EQ(c.clock_hz(), 250000000ull);
    EXPECT_EQ(c.clock_period(), ps(4000));
    EXPECT_EQ(c.cycles(7), ns(28));
    EXPECT_EQ(c.cycles(7).value(), 28000u);

    c.set_clock_hz(100000000); // 10000 ps
    EXPECT_EQ(c.clock_period(), ns(10));
    EXPECT_EQ(c.cycles(3), ns(30));
    EXPECT_EQ(c.cycles(1000000), sc_time(10, SC_MS));

    c.set_clock_hz(500000000); // 2000 ps
    EXPECT_EQ(c.clock_period(), ps(2000));
    EXPECT_EQ(c.cycles(5), ns(10));
    EXPECT_EQ(c.cycles(1001), ps(2002000));
}

TEST(CoreClocked, ZeroFrequencyThrowsAndKeepsTheClock) {
    dbvp::clocked c(250000000);
    EXPECT_THROW(c.set_clock_hz(0), std::invalid_argument);
    EXPECT_THROW(dbvp::clocked{0}, std::invalid_argument);
    EXPECT_EQ(c.clock_hz(), 250000000ull);
    EXPECT_EQ(c.cycles(7), ns(28));
}

// Bug: set_clock_hz assigns hz_ and period_ before checking that the period is representable, so a rejected
// frequency leaves the object with the rejected hz and a zero period.
TEST(CoreClocked, TooHighFrequencyThrowsAndKeepsTheClock) {
    dbvp::clocked c(250000000);
    EXPECT_THROW(c.set_clock_hz(10000000000000ull), std::invalid_argument); // 0.1 ps period
    EXPECT_EQ(c.clock_hz(), 250000000ull);
    EXPECT_EQ(c.cycles(7), ns(28));
}

// ---------------------------------------------------------------------------------------------------------------
// irq_out

TEST(CoreIrq, SetNotifiesOnlyLevelChanges) {
    dbvp::irq_out out("irq");
    recorder s;
    out.bind(s, 5);
    EXPECT_TRUE(out.bound());
    EXPECT_EQ(out.name(), "irq");
    EXPECT_FALSE(out.level());

    out.set(false); // already low: no call
    EXPECT_TRUE(s.events.empty());
    out.set(true, ns(7));
    EXPECT_TRUE(out.level());
    out.set(true, ns(9)); // no change
    out.set(false, ns(11));
    EXPECT_FALSE(out.level());
    out.set(false);

    ASSERT_EQ(s.events.size(), 2u);
    EXPECT_EQ(s.events[0].kind, 'L');
    EXPECT_EQ(s.events[0].input, 5u);
    EXPECT_TRUE(s.events[0].level);
    EXPECT_EQ(s.events[0].offset, ns(7));
    EXPECT_EQ(s.events[1].kind, 'L');
    EXPECT_EQ(s.events[1].input, 5u);
    EXPECT_FALSE(s.events[1].level);
    EXPECT_EQ(s.events[1].offset, ns(11));
}

TEST(CoreIrq, UnboundOutputReportsNotBound) {
    dbvp::irq_out out("lonely");
    EXPECT_FALSE(out.bound());
    out.set(true);
    EXPECT_TRUE(out.level());
    out.pulse();
}

TEST(CoreIrq, PulseGivesOneEdgePerSinkAndFansOut) {
    dbvp::irq_out out("msi");
    recorder a, b;
    out.bind(a, 3);
    out.bind(b, 17);
    out.pulse(ns(4));
    ASSERT_EQ(a.events.size(), 1u);
    ASSERT_EQ(b.events.size(), 1u);
    EXPECT_EQ(a.events[0].kind, 'E');
    EXPECT_EQ(a.events[0].input, 3u);
    EXPECT_EQ(a.events[0].offset, ns(4));
    EXPECT_EQ(b.events[0].kind, 'E');
    EXPECT_EQ(b.events[0].input, 17u);
    EXPECT_EQ(b.events[0].offset, ns(4));
    EXPECT_FALSE(out.level()) << "a pulse does not change the output level";

    // Level fan-out reaches both sinks, each with its own input number.
    out.set(true, ns(2));
    ASSERT_EQ(a.events.size(), 2u);
    ASSERT_EQ(b.events.size(), 2u);
    EXPECT_EQ(a.events[1].kind, 'L');
    EXPECT_EQ(a.events[1].input, 3u);
    EXPECT_TRUE(a.events[1].level);
    EXPECT_EQ(a.events[1].offset, ns(2));
    EXPECT_EQ(b.events[1].kind, 'L');
    EXPECT_EQ(b.events[1].input, 17u);
    EXPECT_TRUE(b.events[1].level);
    EXPECT_EQ(b.events[1].offset, ns(2));
}

TEST(CoreIrq, SameSinkBoundTwiceSeesBothInputs) {
    dbvp::irq_out out("irq");
    recorder s;
    out.bind(s, 1);
    out.bind(s, 2);
    out.set(true);
    ASSERT_EQ(s.events.size(), 2u);
    EXPECT_EQ(s.events[0].input, 1u);
    EXPECT_EQ(s.events[1].input, 2u);
}

TEST(CoreIrq, DefaultEdgeIsHighThenLowLevel) {
    dbvp::irq_out out("edge");
    level_only s;
    out.bind(s, 9);
    out.pulse(ns(12));
    ASSERT_EQ(s.events.size(), 2u);
    EXPECT_EQ(s.events[0].input, 9u);
    EXPECT_TRUE(s.events[0].level);
    EXPECT_EQ(s.events[0].offset, ns(12));
    EXPECT_EQ(s.events[1].input, 9u);
    EXPECT_FALSE(s.events[1].level);
    EXPECT_EQ(s.events[1].offset, ns(12));
}

// ---------------------------------------------------------------------------------------------------------------
// memory

namespace {
struct mem_bench {
    initiator init{"init"};
    dbvp::memory mem;
    explicit mem_bench(const dbvp::memory::params& p) : mem("mem", p) { init.socket.bind(mem.socket); }
};

dbvp::memory::params mem_params(std::uint64_t size, std::uint64_t hz, unsigned rd, unsigned wr) {
    dbvp::memory::params p;
    p.size = size;
    p.clock_hz = hz;
    p.read_latency = rd;
    p.write_latency = wr;
    return p;
}
} // namespace

TEST(CoreMemory, WriteThenReadBack) {
    mem_bench b(mem_params(0x1000, 1000000000, 10, 10));
    b.init.body = [&](initiator& i) {
        const std::uint64_t v = 0x1122334455667788ull;
        EXPECT_EQ(i.m.write(0x100, &v, 8), tlm::TLM_OK_RESPONSE);
        std::uint64_t r = 0;
        EXPECT_EQ(i.m.read(0x100, &r, 8), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(r, v);
        std::uint8_t byte = 0;
        EXPECT_EQ(i.m.read(0x101, &byte, 1), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(byte, 0x77); // little-endian host layout of v
        // Last byte of the RAM is accessible; untouched memory reads zero.
        const std::uint8_t last = 0xee;
        EXPECT_EQ(i.m.write(0xfff, &last, 1), tlm::TLM_OK_RESPONSE);
        std::uint32_t z = 0xffffffff;
        EXPECT_EQ(i.m.read(0x800, &z, 4), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(z, 0u);
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
    EXPECT_EQ(b.mem.data()[0x100], 0x88);
    EXPECT_EQ(b.mem.data()[0x107], 0x11);
    EXPECT_EQ(b.mem.data()[0xfff], 0xee);
    EXPECT_EQ(b.mem.size(), 0x1000u);
}

TEST(CoreMemory, LatencyIsAnnotated) {
    // 250 MHz = 4 ns per cycle: read 3 cycles = 12 ns, write 5 cycles = 20 ns.
    mem_bench b(mem_params(0x1000, 250000000, 3, 5));
    b.init.body = [&](initiator& i) {
        std::uint32_t v = 0xcafe;
        ASSERT_EQ(i.m.write(0x10, &v, 4), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(i.m.last_delay(), ns(20));
        EXPECT_EQ(i.m.last_delay(), b.mem.cycles(5));
        ASSERT_EQ(i.m.read(0x10, &v, 4), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(i.m.last_delay(), ns(12));
        EXPECT_EQ(i.m.last_delay(), b.mem.cycles(b.mem.get_params().read_latency));
        EXPECT_EQ(i.m.local_offset(), ns(32));

        // The memory adds to the delay it is given.
        sc_time d = ns(7);
        unsigned char buf[4] = {};
        EXPECT_EQ(i.raw(tlm::TLM_READ_COMMAND, 0x10, buf, 4, d), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(d, ns(19));
        d = ns(1);
        EXPECT_EQ(i.raw(tlm::TLM_WRITE_COMMAND, 0x10, buf, 4, d), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(d, ns(21));
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
}

TEST(CoreMemory, OutOfRangeIsAddressError) {
    mem_bench b(mem_params(0x1000, 1000000000, 10, 10));
    std::memset(b.mem.data() + 0xff0, 0x33, 0x10);
    b.init.body = [&](initiator& i) {
        dbvp::test::expect_report rep("outside", 3);
        std::uint32_t v = 0xdeadbeef;
        EXPECT_EQ(i.m.write(0xffe, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE); // straddles the end
        EXPECT_EQ(i.m.read(0x1000, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(v, 0xdeadbeefu) << "failed read must not touch the buffer";
        EXPECT_EQ(i.m.read(0xffffffffffffffffull, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
    EXPECT_EQ(b.mem.data()[0xffe], 0x33) << "failed write must not touch the RAM";
    EXPECT_EQ(b.mem.data()[0xfff], 0x33);
}

TEST(CoreMemory, ByteEnablesOnWriteAreHonoured) {
    mem_bench b(mem_params(0x1000, 1000000000, 10, 10));
    std::memset(b.mem.data() + 0x20, 0x11, 8);
    b.init.body = [&](initiator& i) {
        unsigned char data[8] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7};
        unsigned char be[8] = {0xff, 0x00, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff};
        sc_time d = SC_ZERO_TIME;
        EXPECT_EQ(i.raw(tlm::TLM_WRITE_COMMAND, 0x20, data, 8, d, be, 8), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(d, ns(10));
        // A short byte-enable pattern repeats over the data.
        unsigned char data2[4] = {0xb0, 0xb1, 0xb2, 0xb3};
        unsigned char be2[2] = {0x00, 0xff};
        EXPECT_EQ(i.raw(tlm::TLM_WRITE_COMMAND, 0x40, data2, 4, d, be2, 2), tlm::TLM_OK_RESPONSE);
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
    const std::array<unsigned char, 8> expect{0xa0, 0x11, 0xa2, 0x11, 0x11, 0x11, 0xa6, 0xa7};
    for (unsigned k = 0; k < 8; ++k)
        EXPECT_EQ(b.mem.data()[0x20 + k], expect[k]) << "byte " << k;
    EXPECT_EQ(b.mem.data()[0x40], 0x00);
    EXPECT_EQ(b.mem.data()[0x41], 0xb1);
    EXPECT_EQ(b.mem.data()[0x42], 0x00);
    EXPECT_EQ(b.mem.data()[0x43], 0xb3);
}

TEST(CoreMemory, DebugTransportTakesNoTime) {
    mem_bench b(mem_params(0x1000, 1000000000, 10, 10));
    b.mem.data()[0x200] = 0x42;
    b.mem.data()[0x203] = 0x24;
    b.init.body = [&](initiator& i) {
        wait(ns(5));
        i.m.consume(ns(3));
        std::uint32_t v = 0;
        EXPECT_EQ(i.m.debug(tlm::TLM_READ_COMMAND, 0x200, &v, 4), 4u);
        EXPECT_EQ(v, 0x24000042u);
        const std::uint32_t w = 0x01020304;
        EXPECT_EQ(i.m.debug(tlm::TLM_WRITE_COMMAND, 0x300, const_cast<std::uint32_t*>(&w), 4), 4u);
        EXPECT_EQ(sc_time_stamp(), ns(5));
        EXPECT_EQ(i.m.local_offset(), ns(3)) << "debug access must not add local time";

        // Direct transport_dbg: clipped at the end of the RAM, 0 bytes outside.
        tlm::tlm_generic_payload p;
        unsigned char buf[8];
        std::memset(buf, 0x77, sizeof buf);
        p.set_command(tlm::TLM_READ_COMMAND);
        p.set_address(0xffc);
        p.set_data_ptr(buf);
        p.set_data_length(8);
        p.set_streaming_width(8);
        EXPECT_EQ(i.socket->transport_dbg(p), 4u);
        EXPECT_EQ(buf[0], 0x00);
        EXPECT_EQ(buf[4], 0x77);
        p.set_address(0x1000);
        EXPECT_EQ(i.socket->transport_dbg(p), 0u);
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
    EXPECT_EQ(b.mem.data()[0x300], 0x04);
    EXPECT_EQ(b.mem.data()[0x303], 0x01);
}

TEST(CoreMemory, DmiCoversTheRam) {
    // 500 MHz = 2 ns per cycle: read 4 cycles = 8 ns, write 6 cycles = 12 ns.
    mem_bench b(mem_params(0x2000, 500000000, 4, 6));
    b.init.body = [&](initiator& i) {
        // b_transport hints that DMI is available.
        tlm::tlm_generic_payload p;
        std::uint32_t v = 0;
        p.set_command(tlm::TLM_READ_COMMAND);
        p.set_address(0x10);
        p.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
        p.set_data_length(4);
        p.set_streaming_width(4);
        sc_time d;
        i.socket->b_transport(p, d);
        EXPECT_TRUE(p.is_dmi_allowed());

        tlm::tlm_dmi dmi;
        ASSERT_TRUE(i.dmi(0x10, dmi));
        EXPECT_EQ(dmi.get_dmi_ptr(), b.mem.data());
        EXPECT_EQ(dmi.get_start_address(), 0u);
        EXPECT_EQ(dmi.get_end_address(), 0x1fffu);
        EXPECT_TRUE(dmi.is_read_write_allowed());
        EXPECT_EQ(dmi.get_read_latency(), ns(8));
        EXPECT_EQ(dmi.get_write_latency(), ns(12));
        // Writes through the pointer are seen by the bus.
        dmi.get_dmi_ptr()[0x1ff0] = 0x9c;
        std::uint8_t byte = 0;
        EXPECT_EQ(i.m.read(0x1ff0, &byte, 1), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(byte, 0x9c);
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
}

// ---------------------------------------------------------------------------------------------------------------
// router

namespace {
// Router at 500 MHz with 3 cycles = 6 ns per access. Memories at 1 GHz, 10 cycles = 10 ns.
constexpr std::uint64_t base0 = 0x10000000, size0 = 0x1000;
constexpr std::uint64_t base1 = 0x20000000, size1 = 0x2000; // mem1 is 0x4000 bytes, only half mapped
constexpr std::uint64_t base2 = 0x30000000, size2 = 0x1000; // probe

dbvp::router::params router_params(std::uint64_t hz, unsigned latency) {
    dbvp::router::params p;
    p.clock_hz = hz;
    p.latency = latency;
    return p;
}

struct router_bench {
    initiator init{"init"};
    dbvp::router rt{"rt", router_params(500000000, 3)};
    dbvp::memory mem0{"mem0", mem_params(size0, 1000000000, 10, 10)};
    dbvp::memory mem1{"mem1", mem_params(0x4000, 1000000000, 10, 10)};
    probe prb{"prb"};
    router_bench() {
        init.socket.bind(rt.in);
        rt.out.bind(mem0.socket);
        rt.out.bind(mem1.socket);
        rt.out.bind(prb.socket);
        rt.map(1, base1, size1, "mem1"); // out of order on purpose: the map is kept sorted
        rt.map(0, base0, size0, "mem0");
        rt.map(2, base2, size2, "probe");
    }
};
} // namespace

TEST(CoreRouter, RoutesRelativeToBase) {
    router_bench b;
    b.init.body = [&](initiator& i) {
        const std::uint32_t a = 0xaaaa5555, c = 0x12345678;
        EXPECT_EQ(i.m.write(base0 + 0x10, &a, 4), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(i.m.write(base1 + 0x1ffc, &c, 4), tlm::TLM_OK_RESPONSE);
        std::uint32_t r = 0;
        EXPECT_EQ(i.m.read(base0 + 0x10, &r, 4), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(r, a);
        EXPECT_EQ(i.m.read(base1 + 0x1ffc, &r, 4), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(r, c);

        std::uint16_t h = 0;
        EXPECT_EQ(i.m.read(base2 + 0x124, &h, 2), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(b.prb.calls, 1u);
        EXPECT_EQ(b.prb.addr, 0x124u);
        EXPECT_EQ(b.prb.len, 2u);
        EXPECT_EQ(h, 0x5a5a);

        // The payload address is restored for the initiator.
        tlm::tlm_generic_payload p;
        unsigned char buf[4] = {};
        p.set_command(tlm::TLM_READ_COMMAND);
        p.set_address(base2 + 0x8);
        p.set_data_ptr(buf);
        p.set_data_length(4);
        p.set_streaming_width(4);
        sc_time d;
        i.socket->b_transport(p, d);
        EXPECT_EQ(p.get_address(), base2 + 0x8);
        EXPECT_EQ(b.prb.addr, 0x8u);
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
    EXPECT_EQ(b.mem0.data()[0x10], 0x55);
    EXPECT_EQ(b.mem0.data()[0x13], 0xaa);
    EXPECT_EQ(b.mem1.data()[0x1ffc], 0x78);
    EXPECT_EQ(b.mem1.data()[0x1fff], 0x12);
    EXPECT_EQ(b.rt.misses(), 0u);
    ASSERT_EQ(b.rt.ranges().size(), 3u);
    EXPECT_EQ(b.rt.ranges()[0].base, base0);
    EXPECT_EQ(b.rt.ranges()[0].label, "mem0");
    EXPECT_EQ(b.rt.ranges()[1].base, base1);
    EXPECT_EQ(b.rt.ranges()[1].port, 1u);
    EXPECT_EQ(b.rt.ranges()[2].size, size2);
}

TEST(CoreRouter, LatencyCyclesAreAdded) {
    router_bench b;
    b.init.body = [&](initiator& i) {
        std::uint32_t v = 0;
        ASSERT_EQ(i.m.read(base0, &v, 4), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(i.m.last_delay(), ns(16)); // 6 ns router + 10 ns memory
        b.prb.extra = ns(1);
        ASSERT_EQ(i.m.write(base2, &v, 4), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(i.m.last_delay(), ns(7)); // 6 ns router + 1 ns probe
        EXPECT_EQ(b.prb.delay_in, ns(16 + 6)) << "the target sees local time plus the router latency";
        EXPECT_EQ(i.m.local_offset(), ns(23));

        sc_time d = ns(100);
        unsigned char buf[4];
        EXPECT_EQ(i.raw(tlm::TLM_READ_COMMAND, base1 + 4, buf, 4, d), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(d, ns(116));
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
}

TEST(CoreRouter, DecodeMissIsAddressErrorAndCounted) {
    router_bench b;
    b.init.body = [&](initiator& i) {
        dbvp::test::expect_report rep("decode miss", 4);
        std::uint32_t v = 0;
        EXPECT_EQ(i.m.read(0x0, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);              // below every range
        EXPECT_EQ(i.m.write(base0 + size0, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);   // just past mem0
        EXPECT_EQ(i.m.read(base0 + size0 - 2, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE); // straddles the end
        EXPECT_EQ(i.m.read(0xffffffff00000000ull, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(b.rt.misses(), 4u);
        EXPECT_EQ(i.m.read(base0 + size0 - 4, &v, 4), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(b.rt.misses(), 4u);
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
    EXPECT_EQ(b.prb.calls, 0u);
}

TEST(CoreRouter, DecodeMissWarningNamesTheAddress) {
    router_bench b;
    b.init.body = [&](initiator& i) {
        dbvp::test::expect_report rep("decode miss: read of 4 bytes at 0x40000000");
        std::uint32_t v = 0;
        EXPECT_EQ(i.m.read(0x40000000, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
    EXPECT_EQ(b.rt.misses(), 1u);
}

TEST(CoreRouter, OverlappingMapThrows) {
    dbvp::router rt("rt", router_params(1000000000, 2));
    rt.map(0, 0x1000, 0x1000, "a");
    EXPECT_THROW(rt.map(1, 0x1800, 0x1000, "b"), std::logic_error); // overlaps the top
    EXPECT_THROW(rt.map(1, 0x0800, 0x1000, "c"), std::logic_error); // overlaps the bottom
    EXPECT_THROW(rt.map(1, 0x1100, 0x10, "d"), std::logic_error);   // inside
    EXPECT_THROW(rt.map(1, 0x0, 0x10000, "e"), std::logic_error);   // encloses
    EXPECT_THROW(rt.map(1, 0x1fff, 0x1, "f"), std::logic_error);    // last byte
    EXPECT_THROW(rt.map(1, 0x5000, 0, "g"), std::logic_error);      // empty
    EXPECT_NO_THROW(rt.map(1, 0x2000, 0x1000, "h"));               // adjacent above
    EXPECT_NO_THROW(rt.map(2, 0x0, 0x1000, "i"));                  // adjacent below
    ASSERT_EQ(rt.ranges().size(), 3u);
    EXPECT_EQ(rt.ranges()[0].label, "i");
    EXPECT_EQ(rt.ranges()[1].label, "a");
    EXPECT_EQ(rt.ranges()[2].label, "h");
}

// Bug: the overlap test computes base + size, which wraps to 0 for a range that ends at the top of the 64-bit
// address space, so an overlap with such a range is not detected.
TEST(CoreRouter, OverlapAtTopOfAddressSpaceThrows) {
    dbvp::router rt("rt", router_params(1000000000, 2));
    rt.map(0, 0xffffffffffff0000ull, 0x10000, "top");
    EXPECT_THROW(rt.map(1, 0xffffffffffff8000ull, 0x1000, "inside-top"), std::logic_error);
}

TEST(CoreRouter, DmiIsTranslatedToInitiatorAddresses) {
    router_bench b;
    static unsigned char buf[0x400];
    b.prb.grant_dmi = true;
    b.prb.dmi_start = 0x100; // target-relative region [0x100, 0x1ff] backed by buf
    b.prb.dmi_end = 0x1ff;
    b.prb.dmi_ptr = buf;
    b.init.body = [&](initiator& i) {
        tlm::tlm_dmi d0;
        ASSERT_TRUE(i.dmi(base0 + 0x40, d0));
        EXPECT_EQ(d0.get_start_address(), base0);
        EXPECT_EQ(d0.get_end_address(), base0 + size0 - 1);
        EXPECT_EQ(d0.get_dmi_ptr(), b.mem0.data());
        EXPECT_EQ(d0.get_read_latency(), ns(16)); // 10 ns memory + 6 ns router
        EXPECT_EQ(d0.get_write_latency(), ns(16));
        EXPECT_TRUE(d0.is_read_write_allowed());

        // mem1 is 0x4000 bytes but only 0x2000 are mapped: the grant is clipped to the window.
        tlm::tlm_dmi d1;
        ASSERT_TRUE(i.dmi(base1 + 0x1234, d1));
        EXPECT_EQ(d1.get_start_address(), base1);
        EXPECT_EQ(d1.get_end_address(), base1 + size1 - 1);
        EXPECT_EQ(d1.get_dmi_ptr(), b.mem1.data());
        EXPECT_EQ(d1.get_read_latency(), ns(16));
        // Pointer arithmetic in initiator addresses hits the right byte.
        d1.get_dmi_ptr()[(base1 + 0x1234) - d1.get_start_address()] = 0xd7;
        EXPECT_EQ(b.mem1.data()[0x1234], 0xd7);

        // A region that starts inside the target keeps its pointer, start shifted by the base.
        tlm::tlm_dmi d2;
        ASSERT_TRUE(i.dmi(base2 + 0x180, d2));
        EXPECT_EQ(d2.get_start_address(), base2 + 0x100);
        EXPECT_EQ(d2.get_end_address(), base2 + 0x1ff);
        EXPECT_EQ(d2.get_dmi_ptr(), buf);
        EXPECT_EQ(d2.get_read_latency(), ns(7));  // 1 ns + 6 ns
        EXPECT_EQ(d2.get_write_latency(), ns(8)); // 2 ns + 6 ns

        // No DMI on a decode miss.
        tlm::tlm_dmi dm;
        EXPECT_FALSE(i.dmi(0x0, dm));
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
}

namespace {
// Two routers in a row: outer maps the inner router at 0x80000000 (64 KiB); inner maps a RAM at 0x1000.
struct nested_bench {
    initiator init{"init"};
    dbvp::router outer{"outer", router_params(1000000000, 2)}; // 2 ns
    dbvp::router inner{"inner", router_params(250000000, 1)}; // 4 ns
    dbvp::memory mem{"mem", mem_params(0x1000, 1000000000, 10, 20)};
    nested_bench() {
        init.socket.bind(outer.in);
        outer.out.bind(inner.in);
        inner.out.bind(mem.socket);
        outer.map(0, 0x80000000, 0x10000, "inner");
        inner.map(0, 0x1000, 0x1000, "mem");
    }
};
} // namespace

TEST(CoreRouter, NestedRoutersTranslateDmiAndLatency) {
    nested_bench b;
    b.init.body = [&](initiator& i) {
        const std::uint32_t v = 0x600df00d;
        ASSERT_EQ(i.m.write(0x80001010, &v, 4), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(i.m.last_delay(), ns(2 + 4 + 20));
        EXPECT_EQ(b.mem.data()[0x10], 0x0d);
        tlm::tlm_dmi d;
        ASSERT_TRUE(i.dmi(0x80001010, d));
        EXPECT_EQ(d.get_start_address(), 0x80001000u);
        EXPECT_EQ(d.get_end_address(), 0x80001fffu);
        EXPECT_EQ(d.get_dmi_ptr(), b.mem.data());
        EXPECT_EQ(d.get_read_latency(), ns(10 + 4 + 2));
        EXPECT_EQ(d.get_write_latency(), ns(20 + 4 + 2));
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
}

TEST(CoreRouter, DebugTransportIsRouted) {
    router_bench b;
    b.mem1.data()[0x20] = 0x31;
    b.mem1.data()[0x21] = 0x32;
    b.init.body = [&](initiator& i) {
        i.m.consume(ns(4));
        std::uint16_t h = 0;
        EXPECT_EQ(i.m.debug(tlm::TLM_READ_COMMAND, base1 + 0x20, &h, 2), 2u);
        EXPECT_EQ(h, 0x3231);
        std::uint32_t w = 0xfeedface;
        EXPECT_EQ(i.m.debug(tlm::TLM_WRITE_COMMAND, base0 + 0x44, &w, 4), 4u);
        EXPECT_EQ(i.m.debug(tlm::TLM_READ_COMMAND, 0x0, &w, 4), 0u) << "debug miss returns 0 bytes";
        EXPECT_EQ(i.m.local_offset(), ns(4));
        EXPECT_EQ(sc_time_stamp(), SC_ZERO_TIME);
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
    EXPECT_EQ(b.mem0.data()[0x44], 0xce);
    EXPECT_EQ(b.mem0.data()[0x47], 0xfe);
    EXPECT_EQ(b.rt.misses(), 0u) << "debug misses are not guest accesses";
}

// Bug: router::transport_dbg decodes only the first byte (decode(addr, 1)) and forwards the full length, so a
// debug access that runs past the end of a window reads target bytes the router does not map (b_transport
// rejects the same access as a decode miss, DMI clips to the window).
TEST(CoreRouter, DebugTransportStaysInsideTheWindow) {
    router_bench b;
    std::memset(b.mem1.data() + size1, 0xee, 0x10); // mem1 bytes beyond the mapped window
    b.init.body = [&](initiator& i) {
        unsigned char buf[16];
        std::memset(buf, 0, sizeof buf);
        const unsigned n = i.m.debug(tlm::TLM_READ_COMMAND, base1 + size1 - 8, buf, 16);
        EXPECT_LE(n, 8u);
        EXPECT_EQ(buf[8], 0x00) << "byte outside the router window was read";
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
}

TEST(CoreRouter, DmiInvalidationIsTranslated) {
    router_bench b;
    b.init.body = [&](initiator&) {
        b.prb.socket->invalidate_direct_mem_ptr(0x100, 0x1ff);
        b.prb.socket->invalidate_direct_mem_ptr(0x0, ~0ull); // everything: clipped to the window
        b.prb.socket->invalidate_direct_mem_ptr(size2, size2 + 0x10); // outside the window: dropped
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
    ASSERT_EQ(b.init.invalidations.size(), 2u);
    EXPECT_EQ(b.init.invalidations[0].first, base2 + 0x100);
    EXPECT_EQ(b.init.invalidations[0].second, base2 + 0x1ff);
    EXPECT_EQ(b.init.invalidations[1].first, base2);
    EXPECT_EQ(b.init.invalidations[1].second, base2 + size2 - 1);
}

// ---------------------------------------------------------------------------------------------------------------
// master

namespace {
struct probe_bench {
    initiator init{"init"};
    probe prb{"prb"};
    probe_bench() { init.socket.bind(prb.socket); }
};
} // namespace

TEST(CoreMaster, LastDelayIsTheTargetAnnotation) {
    probe_bench b;
    b.init.body = [&](initiator& i) {
        b.prb.extra = ns(37);
        std::uint32_t v = 0;
        ASSERT_EQ(i.m.read(0x10, &v, 4), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(v, 0x5a5a5a5au);
        EXPECT_EQ(i.m.last_delay(), ns(37));
        EXPECT_EQ(b.prb.delay_in, SC_ZERO_TIME);
        b.prb.extra = ns(5);
        ASSERT_EQ(i.m.write(0x20, &v, 4), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(i.m.last_delay(), ns(5)) << "only this access, not the accumulated local time";
        EXPECT_EQ(b.prb.delay_in, ns(37)) << "the target is called with the local time offset";
        EXPECT_EQ(i.m.local_offset(), ns(42));
        EXPECT_EQ(sc_time_stamp(), SC_ZERO_TIME) << "42 ns is within the default 1 us quantum";
        EXPECT_EQ(b.prb.addr, 0x20u);
        EXPECT_EQ(b.prb.len, 4u);
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
    EXPECT_EQ(b.prb.calls, 2u);
}

TEST(CoreMaster, ConsumeSyncsWhenTheQuantumIsUsedUp) {
    dbvp::master::set_global_quantum(ns(100)); // before the master is built
    probe_bench b;
    b.init.body = [&](initiator& i) {
        i.m.consume(ns(30));
        EXPECT_EQ(sc_time_stamp(), SC_ZERO_TIME);
        EXPECT_EQ(i.m.local_offset(), ns(30));
        EXPECT_EQ(i.m.now(), ns(30));
        i.m.consume(ns(30));
        i.m.consume(ns(30));
        EXPECT_EQ(sc_time_stamp(), SC_ZERO_TIME);
        EXPECT_EQ(i.m.local_offset(), ns(90));
        EXPECT_EQ(i.m.now(), ns(90));
        i.m.consume(ns(30)); // 120 ns > 100 ns: sync
        EXPECT_EQ(sc_time_stamp(), ns(120));
        EXPECT_EQ(i.m.local_offset(), SC_ZERO_TIME);
        EXPECT_EQ(i.m.now(), ns(120));
        // Next quantum boundary is 200 ns.
        i.m.consume(ns(70));
        EXPECT_EQ(sc_time_stamp(), ns(120));
        EXPECT_EQ(i.m.now(), ns(190));
        i.m.consume(ns(20));
        EXPECT_EQ(sc_time_stamp(), ns(210));
        EXPECT_EQ(i.m.local_offset(), SC_ZERO_TIME);
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
    EXPECT_EQ(sc_time_stamp(), ns(210));
}

TEST(CoreMaster, AccessesSyncWhenTheQuantumIsUsedUp) {
    dbvp::master::set_global_quantum(ns(100));
    probe_bench b;
    b.prb.extra = ns(60);
    b.init.body = [&](initiator& i) {
        std::uint32_t v = 0;
        i.m.read(0, &v, 4);
        EXPECT_EQ(sc_time_stamp(), SC_ZERO_TIME);
        EXPECT_EQ(i.m.local_offset(), ns(60));
        i.m.read(0, &v, 4); // 120 ns: sync
        EXPECT_EQ(i.m.last_delay(), ns(60));
        EXPECT_EQ(sc_time_stamp(), ns(120));
        EXPECT_EQ(i.m.local_offset(), SC_ZERO_TIME);
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
}

TEST(CoreMaster, NowIsTimestampPlusLocalOffset) {
    probe_bench b;
    b.init.body = [&](initiator& i) {
        wait(ns(50));
        EXPECT_EQ(i.m.now(), ns(50));
        i.m.consume(ns(20));
        EXPECT_EQ(sc_time_stamp(), ns(50));
        EXPECT_EQ(i.m.local_offset(), ns(20));
        EXPECT_EQ(i.m.now(), ns(70));
        b.prb.extra = ns(3);
        std::uint8_t byte = 0;
        i.m.write(0, &byte, 1);
        EXPECT_EQ(i.m.now(), ns(73));
        i.m.sync();
        EXPECT_EQ(sc_time_stamp(), ns(73));
        EXPECT_EQ(i.m.local_offset(), SC_ZERO_TIME);
        EXPECT_EQ(i.m.now(), ns(73));
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
}

TEST(CoreMaster, WaitUntilInStepWithTheKernelBeginsAtOnce) {
    // The event is notified (delta) by a process that runs in the very delta the wait is called in: a wait that
    // first spent a delta synchronising would miss it and return at the deadline.
    probe_bench b;
    sc_core::sc_event go, ev;
    sc_core::sc_spawn([&] {
        wait(go);
        ev.notify(SC_ZERO_TIME);
    }, "notifier");
    bool fired = false;
    sc_time woke;
    b.init.body = [&](initiator& i) {
        wait(ns(10));
        go.notify(); // the notifier runs once this process yields
        fired = i.m.wait_until(ns(1000), ev);
        woke = sc_time_stamp();
    };
    sc_start();
    EXPECT_TRUE(fired);
    EXPECT_EQ(woke, ns(10));
}

TEST(CoreMaster, WaitUntilKeepsItsDeadlinesExactlyWhateverEarlierWaitsTheEventEnded) {
    // One timeout event serves every wait: a wait the event ended leaves it pending at that wait's deadline,
    // which a later wait with a later deadline must sleep through and one with an earlier deadline must replace.
    probe_bench b;
    sc_core::sc_event ev;
    sc_core::sc_spawn([&] {
        // Timed notifications: the one at 6000 ns triggers in the same phase as the timeout pending then.
        for (const sc_time& at : {ns(10), ns(3100), ns(5000), ns(6000)}) {
            ev.notify(at - sc_time_stamp());
            wait(at - sc_time_stamp());
        }
    }, "notifier");
    std::vector<std::pair<bool, sc_time>> got;
    b.init.body = [&](initiator& i) {
        for (const sc_time& deadline : {ns(1000), ns(3000), ns(4000), ns(3500), ns(6000), ns(9000)}) {
            const bool fired = i.m.wait_until(deadline, ev);
            got.emplace_back(fired, sc_time_stamp());
        }
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
    const std::vector<std::pair<bool, sc_time>> want = {
        {true, ns(10)},    // the event, well before the deadline
        {false, ns(3000)}, // the deadline, not the 1000 ns still pending from the first wait
        {true, ns(3100)},
        {false, ns(3500)}, // an earlier deadline replaces the 4000 ns pending
        {true, ns(5000)},
        {true, ns(6000)}, // the event at the very time the earlier wait's timeout comes
    };
    EXPECT_EQ(got, want);
}

TEST(CoreMaster, WithDmiEnabledAccessesToGrantedMemoryTakeTheRegion) {
    probe_bench b;
    std::array<unsigned char, 0x100> ram{};
    ram[0x14] = 0x77;
    b.prb.grant_dmi = true;
    b.prb.dmi_start = 0x1000;
    b.prb.dmi_end = 0x10ff;
    b.prb.dmi_ptr = ram.data();
    b.prb.extra = ns(5);
    b.init.body = [&](initiator& i) {
        std::uint32_t v = 0;
        i.m.read(0x1010, &v, 4);
        EXPECT_EQ(b.prb.calls, 1u) << "not enabled: b_transport";
        i.m.enable_dmi();
        i.m.read(0x1010, &v, 4); // b_transport, then the region is asked for
        EXPECT_EQ(b.prb.calls, 2u);
        v = 0;
        i.m.read(0x1014, &v, 1);
        EXPECT_EQ(b.prb.calls, 2u) << "served from the region";
        EXPECT_EQ(v, 0x77u);
        EXPECT_EQ(i.m.last_delay(), ns(1)) << "the region's read latency";
        const std::uint32_t w = 0xa1b2c3d4;
        i.m.write(0x1020, &w, 4);
        EXPECT_EQ(b.prb.calls, 2u);
        EXPECT_EQ(std::memcmp(ram.data() + 0x20, &w, 4), 0);
        EXPECT_EQ(i.m.last_delay(), ns(2)) << "the region's write latency";
        pcie_attr a;
        i.m.read(0x1010, &v, 4, &a);
        EXPECT_EQ(b.prb.calls, 3u) << "an access with a pcie_attr takes b_transport";
        i.m.read(0x2000, &v, 4);
        EXPECT_EQ(b.prb.calls, 4u) << "outside the region";
        i.m.invalidate_dmi(0x1080, 0x1080);
        i.m.read(0x1010, &v, 4);
        EXPECT_EQ(b.prb.calls, 5u) << "forgotten";
        EXPECT_EQ(i.m.last_delay(), ns(5));
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
}

TEST(CoreMaster, StoreRunStopsExactlyWhereAStoreLoopWouldSyncOrCouldTakeAnInterrupt) {
    probe_bench b;
    std::vector<unsigned char> ram(0x1000, 0);
    b.prb.grant_dmi = true;
    b.prb.dmi_start = 0x1000;
    b.prb.dmi_end = 0x1fff;
    b.prb.dmi_ptr = ram.data();
    std::vector<std::uint64_t> n;
    b.init.body = [&](initiator& i) {
        const sc_time none = sc_core::sc_max_time();
        const std::uint64_t v = 0x0123456789abcdefull;
        n.push_back(i.m.store_run(0x1000, v, 10, ns(8), none)); // DMI not enabled: 0
        i.m.enable_dmi();
        n.push_back(i.m.store_run(0x1000, v, 10, ns(8), none)); // no region granted yet: 0
        std::uint64_t z = 0;
        i.m.write(0x1000, &z, 8); // b_transport; the region is granted
        // Each store costs 8 ns, then the region's write latency of 2 ns. The quantum ends at 1000 ns: store 99
        // would end on it (and sync), so 99 stores.
        n.push_back(i.m.store_run(0x1000, v, 1000, ns(8), none));
        EXPECT_EQ(i.m.local_offset(), ns(990));
        EXPECT_EQ(sc_time_stamp(), SC_ZERO_TIME) << "no sync";
        EXPECT_EQ(i.m.last_delay(), ns(2));
        n.push_back(i.m.store_run(0x1000 + 99 * 8, v, 1000, ns(8), none)); // the next one ends on it: 0
        i.m.wait_until(ns(1000));
        // `until` 1050 ns: stores 1..4 begin before it (1010..1040), store 5 at it: 5 stores. 1051 ns: 6.
        n.push_back(i.m.store_run(0x1000, v, 100, ns(8), ns(1050)));
        i.m.wait_until(ns(2000));
        n.push_back(i.m.store_run(0x1000, v, 100, ns(8), ns(2051)));
        n.push_back(i.m.store_run(0x1000, v, 100, ns(8), ns(2000))); // `until` passed already: the first only
        n.push_back(i.m.store_run(0x1ff0, v, 100, ns(8), none));      // the region's last two words
        n.push_back(i.m.store_run(0x2000, v, 1, ns(8), none));        // outside it: 0
        i.m.invalidate_dmi(0x1800, 0x1800);
        n.push_back(i.m.store_run(0x1000, v, 1, ns(8), none)); // forgotten: 0
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
    EXPECT_EQ(n, (std::vector<std::uint64_t>{0, 0, 99, 0, 5, 6, 1, 2, 0, 0}));
    EXPECT_EQ(b.prb.calls, 1u) << "the one write that asked for the region";
    std::uint64_t w = 0;
    std::memcpy(&w, ram.data() + 98 * 8, 8);
    EXPECT_EQ(w, 0x0123456789abcdefull);
    std::memcpy(&w, ram.data() + 99 * 8, 8);
    EXPECT_EQ(w, 0u) << "not stored";
    std::memcpy(&w, ram.data() + 0xff8, 8);
    EXPECT_EQ(w, 0x0123456789abcdefull);
}

TEST(CoreMaster, PcieAttrTravelsAndComesBackUpdated) {
    probe_bench b;
    b.prb.set_status = true;
    b.prb.status_to_set = cpl_status::ur;
    b.prb.bar_to_set = 2;
    b.init.body = [&](initiator& i) {
        pcie_attr a;
        a.type = tlp_type::mem_rd;
        a.requester_id = dbvp::make_bdf(1, 2, 3);
        a.function = 1;
        a.stream_id = 0x42;
        a.has_stream_id = true;
        std::uint32_t v = 0;
        EXPECT_EQ(i.m.read(0x1000, &v, 4, &a), tlm::TLM_OK_RESPONSE);
        EXPECT_TRUE(b.prb.had_attr);
        EXPECT_EQ(b.prb.seen.type, tlp_type::mem_rd);
        EXPECT_EQ(b.prb.seen.requester_id, 0x0113u);
        EXPECT_EQ(b.prb.seen.function, 1u);
        EXPECT_EQ(b.prb.seen.stream_id, 0x42u);
        EXPECT_TRUE(b.prb.seen.has_stream_id);
        EXPECT_EQ(b.prb.seen.status, cpl_status::sc);
        EXPECT_EQ(a.status, cpl_status::ur) << "the target's update is visible to the caller";
        EXPECT_EQ(a.bar, 2);

        // Next access without attr: the payload carries no extension.
        EXPECT_EQ(i.m.write(0x1000, &v, 4), tlm::TLM_OK_RESPONSE);
        EXPECT_FALSE(b.prb.had_attr);
        EXPECT_EQ(b.prb.calls, 2u);

        // A second attr on a write is the one the target sees.
        pcie_attr w;
        w.type = tlp_type::mem_wr;
        w.posted = true;
        b.prb.status_to_set = cpl_status::ca;
        EXPECT_EQ(i.m.write(0x2000, &v, 4, &w), tlm::TLM_OK_RESPONSE);
        EXPECT_TRUE(b.prb.had_attr);
        EXPECT_EQ(b.prb.seen.type, tlp_type::mem_wr);
        EXPECT_TRUE(b.prb.seen.posted);
        EXPECT_EQ(w.status, cpl_status::ca);
        EXPECT_EQ(a.status, cpl_status::ur) << "earlier attr untouched";
        EXPECT_EQ(i.m.read(0x2000, &v, 4), tlm::TLM_OK_RESPONSE);
        EXPECT_FALSE(b.prb.had_attr);
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
}

TEST(CoreMaster, PcieAttrCrossesTheRouter) {
    router_bench b;
    b.prb.set_status = true;
    b.prb.status_to_set = cpl_status::crs;
    b.init.body = [&](initiator& i) {
        pcie_attr a;
        a.type = tlp_type::cfg_rd0;
        a.completer_id = dbvp::make_bdf(2, 0, 0);
        std::uint32_t v = 0;
        EXPECT_EQ(i.m.read(base2 + 0x10, &v, 4, &a), tlm::TLM_OK_RESPONSE);
        EXPECT_TRUE(b.prb.had_attr);
        EXPECT_EQ(b.prb.seen.type, tlp_type::cfg_rd0);
        EXPECT_EQ(b.prb.seen.completer_id, 0x0200u);
        EXPECT_EQ(a.status, cpl_status::crs);
        EXPECT_EQ(i.m.read(base2 + 0x10, &v, 4), tlm::TLM_OK_RESPONSE);
        EXPECT_FALSE(b.prb.had_attr);
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
}

TEST(CoreMaster, LastDelayCountsFromTheRequestWhenTheTargetWaitsInside) {
    probe_bench b;
    b.init.body = [&](initiator& i) {
        i.m.consume(ns(300)); // a local offset the target will synchronise away
        b.prb.wait_inside = true;
        b.prb.extra = ns(9);
        std::uint32_t v = 0;
        ASSERT_EQ(i.m.read(0x10, &v, 4), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(b.prb.delay_in, ns(300));
        EXPECT_EQ(i.m.last_delay(), ns(9)) << "not 9 ns - 300 ns wrapped around";
        EXPECT_EQ(i.m.now(), ns(309));
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
}

// ---- dmi_cache ------------------------------------------------------------------------------------------------

TEST(CoreDmi, ServesExactlyTheGrantedRangeWithItsLatencies) {
    probe_bench b;
    std::array<unsigned char, 0x1000> ram{};
    for (std::size_t i = 0; i < ram.size(); ++i)
        ram[i] = static_cast<unsigned char>(i * 7);
    b.prb.grant_dmi = true;
    b.prb.dmi_start = 0x1000;
    b.prb.dmi_end = 0x1fff;
    b.prb.dmi_ptr = ram.data();
    b.init.body = [&](initiator& i) {
        dbvp::dmi_cache c;
        tlm::tlm_generic_payload pl;
        std::uint8_t buf[8] = {};
        sc_time off;
        auto rd = [&](std::uint64_t addr, unsigned len) {
            off = SC_ZERO_TIME;
            return c.access(i.socket, pl, tlm::TLM_READ_COMMAND, addr, buf, len, off);
        };
        ASSERT_TRUE(rd(0x1000, 4)); // b_transport, then the region is granted
        EXPECT_EQ(b.prb.calls, 1u);
        ASSERT_TRUE(rd(0x1004, 4));
        EXPECT_EQ(b.prb.calls, 1u) << "served by DMI";
        EXPECT_EQ(off, ns(1)) << "the region's read latency";
        EXPECT_EQ(buf[0], static_cast<unsigned char>(4 * 7));
        ASSERT_TRUE(rd(0x1ff8, 8)); // the last 8 bytes
        EXPECT_EQ(b.prb.calls, 1u);
        EXPECT_EQ(buf[7], static_cast<unsigned char>(0xfff * 7));
        ASSERT_TRUE(rd(0x1ffd, 4)); // crosses the end
        EXPECT_EQ(b.prb.calls, 2u);
        ASSERT_TRUE(rd(0xffe, 4)); // starts below
        EXPECT_EQ(b.prb.calls, 3u);
        ASSERT_TRUE(rd(0x2000, 1)); // just past
        EXPECT_EQ(b.prb.calls, 4u);
        const std::uint32_t v = 0xa1b2c3d4;
        std::memcpy(buf, &v, 4);
        off = SC_ZERO_TIME;
        ASSERT_TRUE(c.access(i.socket, pl, tlm::TLM_WRITE_COMMAND, 0x1010, buf, 4, off));
        EXPECT_EQ(b.prb.calls, 4u);
        EXPECT_EQ(off, ns(2)) << "the region's write latency";
        EXPECT_EQ(std::memcmp(ram.data() + 0x10, &v, 4), 0);
        c.invalidate(0x1800, 0x1800); // overlaps: forgotten
        ASSERT_TRUE(rd(0x1004, 4));
        EXPECT_EQ(b.prb.calls, 5u);
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
}

// ---- lru_cache ------------------------------------------------------------------------------------------------

TEST(CoreLru, ReplacesTheLeastRecentlyUsedEntry) {
    dbvp::lru_cache<unsigned, int> c(3);
    EXPECT_EQ(c.capacity(), 3u);
    c.insert(1, 10);
    c.insert(2, 20);
    c.insert(3, 30);
    ASSERT_NE(c.find(1), nullptr); // 1 becomes the most recent: 2 is now the oldest
    c.insert(4, 40);
    EXPECT_EQ(c.size(), 3u);
    EXPECT_EQ(c.peek(2), nullptr) << "2 was the least recently used";
    EXPECT_EQ(*c.peek(1), 10);
    EXPECT_EQ(*c.peek(3), 30);
    EXPECT_EQ(*c.peek(4), 40);
    c.peek(3); // peek does not touch: 3 stays the oldest
    c.insert(5, 50);
    EXPECT_EQ(c.peek(3), nullptr);
    c.insert(4, 41); // an existing key is updated and becomes the most recent
    EXPECT_EQ(*c.peek(4), 41);
    EXPECT_EQ(c.size(), 3u);
    std::vector<unsigned> order;
    c.for_each([&](unsigned k, int) { order.push_back(k); });
    EXPECT_EQ(order, (std::vector<unsigned>{4, 5, 1}));
}

TEST(CoreLru, EraseAndEraseIfKeepTheOthersFindable) {
    // Many keys colliding in a small index exercise the backward-shift deletion.
    dbvp::lru_cache<std::uint64_t, std::uint64_t> c(64);
    for (std::uint64_t k = 0; k < 64; ++k)
        c.insert(k << 32, k);
    for (std::uint64_t k = 0; k < 64; k += 3)
        EXPECT_TRUE(c.erase(k << 32));
    EXPECT_FALSE(c.erase(1ull << 40));
    for (std::uint64_t k = 0; k < 64; ++k) {
        const std::uint64_t* v = c.peek(k << 32);
        if (k % 3 == 0)
            EXPECT_EQ(v, nullptr) << k;
        else
            ASSERT_TRUE(v && *v == k) << k;
    }
    c.erase_if([](std::uint64_t, std::uint64_t v) { return v % 2 == 0; });
    std::size_t left = 0;
    for (std::uint64_t k = 0; k < 64; ++k)
        left += c.peek(k << 32) != nullptr;
    EXPECT_EQ(left, c.size());
    for (std::uint64_t k = 0; k < 64; ++k)
        EXPECT_EQ(c.peek(k << 32) != nullptr, k % 3 != 0 && k % 2 == 1) << k;
    // Refill past capacity: exactly the 64 most recent keys remain.
    for (std::uint64_t k = 100; k < 300; ++k)
        c.insert(k, k);
    EXPECT_EQ(c.size(), 64u);
    for (std::uint64_t k = 100; k < 300; ++k)
        EXPECT_EQ(c.peek(k) != nullptr, k >= 236) << k;
    c.clear();
    EXPECT_EQ(c.size(), 0u);
    EXPECT_EQ(c.find(299), nullptr);
}

TEST(CoreLru, MatchesAReferenceUnderRandomOperations) {
    // Against a plain recency list: insert, find, peek, erase over a small key space (many collisions, evictions
    // and backward shifts), the order checked after every step.
    for (const std::size_t cap : {1u, 2u, 5u, 16u}) {
        dbvp::lru_cache<std::uint32_t, std::uint32_t> c(cap);
        std::vector<std::pair<std::uint32_t, std::uint32_t>> ref; // most recent first
        auto at = [&](std::uint32_t k) {
            for (std::size_t i = 0; i < ref.size(); ++i)
                if (ref[i].first == k)
                    return static_cast<int>(i);
            return -1;
        };
        std::uint64_t x = 12345 + cap;
        for (int step = 0; step < 20000; ++step) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            const std::uint32_t k = static_cast<std::uint32_t>(x >> 33) % (3 * cap + 2);
            const unsigned op = static_cast<unsigned>(x >> 20) % 4;
            const int i = at(k);
            if (op == 0) {
                const std::uint32_t v = static_cast<std::uint32_t>(step);
                c.insert(k, v);
                if (i >= 0)
                    ref.erase(ref.begin() + i);
                else if (ref.size() == cap)
                    ref.pop_back();
                ref.insert(ref.begin(), {k, v});
            } else if (op == 1) {
                const std::uint32_t* v = c.find(k);
                ASSERT_EQ(v != nullptr, i >= 0) << cap << " step " << step;
                if (i >= 0) {
                    EXPECT_EQ(*v, ref[static_cast<std::size_t>(i)].second);
                    const auto e = ref[static_cast<std::size_t>(i)];
                    ref.erase(ref.begin() + i);
                    ref.insert(ref.begin(), e);
                }
            } else if (op == 2) {
                ASSERT_EQ(c.peek(k) != nullptr, i >= 0) << cap << " step " << step;
            } else {
                ASSERT_EQ(c.erase(k), i >= 0) << cap << " step " << step;
                if (i >= 0)
                    ref.erase(ref.begin() + i);
            }
            std::vector<std::pair<std::uint32_t, std::uint32_t>> got;
            c.for_each([&](std::uint32_t key, std::uint32_t v) { got.emplace_back(key, v); });
            ASSERT_EQ(got, ref) << cap << " step " << step;
            for (std::uint32_t key = 0; key < 3 * cap + 2; ++key)
                ASSERT_EQ(c.peek(key) != nullptr, at(key) >= 0) << cap << " step " << step << " key " << key;
        }
    }
}

namespace {
/// timed_events' meaning, written plainly: an unordered list, scanned whole.
struct timed_reference {
    std::vector<std::pair<unsigned, sc_time>> ev;
    bool has(unsigned id) const {
        return std::any_of(ev.begin(), ev.end(), [&](const auto& e) { return e.first == id; });
    }
    bool consume(unsigned id, const sc_time& upto) {
        ev.erase(std::remove_if(ev.begin(), ev.end(), [&](const auto& e) { return e.first == id && e.second <= upto; }),
                 ev.end());
        return has(id);
    }
    void prune(const sc_time& now) {
        std::vector<std::pair<unsigned, sc_time>> out;
        std::vector<unsigned> marked;
        for (const auto& e : ev)
            if (e.second > now)
                out.push_back(e);
        for (const auto& e : ev)
            if (e.second <= now && std::find(marked.begin(), marked.end(), e.first) == marked.end() &&
                std::any_of(out.begin(), out.end(), [&](const auto& f) { return f.first == e.first; })) {
                marked.push_back(e.first);
                out.push_back({e.first, sc_core::SC_ZERO_TIME});
            }
        ev = out;
    }
};
} // namespace

TEST(CoreTimedEvents, MatchesAReferenceUnderRandomOperations) {
    // Adds ahead of a kernel time that moves on (and "from before" markers), consumes up to a CPU's time, prunes
    // when the kernel moved: after each step every ID's has(), the events up to a time and the earliest event
    // after it that a predicate accepts agree with the plain list.
    std::mt19937 rng(20261201);
    constexpr unsigned ids = 70;
    dbvp::timed_events t;
    t.assign(ids);
    timed_reference r;
    sc_time now = sc_core::SC_ZERO_TIME;
    auto at_ns = [](unsigned n) { return sc_time(static_cast<double>(n), sc_core::SC_NS); };
    for (int step = 0; step < 20000; ++step) {
        const unsigned id = static_cast<unsigned>(rng() % ids);
        switch (rng() % 8) {
        case 0:
        case 1:
        case 2: { // ahead of the kernel, mostly in time order
            const sc_time at = now + at_ns(static_cast<unsigned>(rng() % 3000));
            t.add(id, at);
            r.ev.push_back({id, at});
            break;
        }
        case 3:
            t.add(id, sc_core::SC_ZERO_TIME);
            r.ev.push_back({id, sc_core::SC_ZERO_TIME});
            break;
        case 4:
        case 5: {
            const sc_time upto = now + at_ns(static_cast<unsigned>(rng() % 3000));
            ASSERT_EQ(t.consume(id, upto), r.consume(id, upto)) << step;
            break;
        }
        case 6:
            now += at_ns(static_cast<unsigned>(rng() % 400));
            t.prune(now);
            r.prune(now);
            break;
        default:
            break;
        }
        ASSERT_EQ(t.size(), r.ev.size()) << step;
        ASSERT_EQ(t.empty(), r.ev.empty()) << step;
        for (unsigned i = 0; i < ids; ++i) {
            ASSERT_EQ(t.has(i), r.has(i)) << step << " id " << i;
            ASSERT_EQ((t.word(i / 64) >> (i % 64)) & 1, r.has(i) ? 1u : 0u) << step;
        }
        const sc_time q = now + at_ns(static_cast<unsigned>(rng() % 3000));
        std::vector<unsigned> upto, want_upto;
        sc_time first = sc_core::sc_max_time(), want_first = sc_core::sc_max_time();
        auto accept = [](unsigned i) { return i % 3 != 0; };
        t.scan(q, [&](unsigned i) { upto.push_back(i); }, [&](unsigned i, const sc_time& at) {
            if (!accept(i))
                return false;
            first = at;
            return true;
        });
        for (const auto& e : r.ev) {
            if (e.second <= q)
                want_upto.push_back(e.first);
            else if (accept(e.first) && e.second < want_first)
                want_first = e.second;
        }
        std::sort(upto.begin(), upto.end());
        std::sort(want_upto.begin(), want_upto.end());
        ASSERT_EQ(upto, want_upto) << step;
        ASSERT_EQ(first, want_first) << step;
    }
}

TEST(CoreLru, CapacityZeroHoldsNothing) {
    dbvp::lru_cache<unsigned, int> c(0);
    c.insert(1, 1);
    EXPECT_EQ(c.find(1), nullptr);
    EXPECT_EQ(c.size(), 0u);
    EXPECT_FALSE(c.erase(1));
}

TEST(CoreClocked, TimesIsExactAcrossTheWholeRange) {
    const sc_time unit = ps(3000); // 333.33 MHz
    for (std::uint64_t n : {0ull, 1ull, 7ull, 1000003ull, (1ull << 40) + 1, (1ull << 53) / 3000 - 1,
                            (1ull << 53) / 3000, (1ull << 53) / 3000 + 12345, 1ull << 52})
        EXPECT_EQ(dbvp::times(unit, n).value(), 3000 * n) << n;
    EXPECT_EQ(dbvp::times(dbvp::one_ns(), 17), ns(17));
    EXPECT_EQ(dbvp::times(dbvp::one_ps(), 123456789), ps(123456789));
    // Odd products between 2^52 and 2^53: a double holds them, but sc_time's rounding (+ 0.5) would round them up.
    const sc_time three = ps(3);
    for (std::uint64_t n : {(1ull << 52) / 3 - 1, (1ull << 52) / 3 + 1, ((1ull << 53) - 1) / 3 - 1})
        EXPECT_EQ(dbvp::times(three, n).value(), 3 * n) << n;
    EXPECT_EQ(dbvp::one_ns().value(), 1000u);
    // Beyond the kernel's range: saturated, not wrapped.
    EXPECT_EQ(dbvp::times(unit, ~0ull / 3000), sc_time::from_value((~0ull / 3000) * 3000));
    EXPECT_EQ(dbvp::times(unit, ~0ull / 3000 + 1), sc_core::sc_max_time());
    EXPECT_EQ(dbvp::times(dbvp::one_ns(), ~0ull), sc_core::sc_max_time());
}

TEST(CoreClocked, KernelTimeFollowsTheKernel) {
    probe_bench b;
    b.init.body = [&](initiator&) {
        EXPECT_EQ(&dbvp::kernel_time(), &sc_time_stamp());
        wait(ns(40));
        EXPECT_EQ(dbvp::kernel_time(), ns(40));
        EXPECT_EQ(dbvp::kernel_time(), sc_time_stamp());
    };
    sc_start();
    EXPECT_TRUE(b.init.done);
    EXPECT_EQ(dbvp::kernel_time(), sc_time_stamp());
}

namespace {
// Every query of the set against a plain vector<bool>.
void expect_same(const dbvp::sparse_bitset& s, const std::vector<bool>& ref, const char* when) {
    std::vector<std::size_t> seen, want;
    s.for_each([&](std::size_t i) { seen.push_back(i); });
    for (std::size_t i = 0; i < ref.size(); ++i)
        if (ref[i])
            want.push_back(i);
    ASSERT_EQ(seen, want) << when;
    // for_each_word: every non-zero word once, ascending, holding exactly its elements.
    std::vector<std::size_t> from_words;
    std::size_t last_word = dbvp::sparse_bitset::npos;
    s.for_each_word([&](std::size_t k, std::uint64_t bits) {
        EXPECT_TRUE(last_word == dbvp::sparse_bitset::npos || k > last_word) << when;
        EXPECT_NE(bits, 0u) << when;
        EXPECT_EQ(bits, s.word(k)) << when;
        last_word = k;
        for (unsigned b = 0; b < 64; ++b)
            if ((bits >> b) & 1)
                from_words.push_back(k * 64 + b);
    });
    ASSERT_EQ(from_words, want) << when;
    EXPECT_EQ(s.any(), !want.empty()) << when;
    // find_next from every element next to a set one, from the start and past the end.
    std::vector<std::size_t> froms{0, ref.size() - 1, ref.size(), ref.size() + 5};
    for (const std::size_t w : want)
        for (const std::size_t d : {0, 1, 2, 63, 64, 65, 4095, 4096, 4097})
            for (const std::size_t f : {w + d, w >= d ? w - d : 0})
                froms.push_back(f);
    for (const std::size_t f : froms) {
        std::size_t expect = dbvp::sparse_bitset::npos;
        for (std::size_t i = f; i < ref.size(); ++i)
            if (ref[i]) {
                expect = i;
                break;
            }
        ASSERT_EQ(s.find_next(f), expect) << when << ": find_next(" << f << ")";
    }
}
} // namespace

TEST(CoreBitset, AgreesWithAPlainBitVectorAcrossAllThreeLevels) {
    // 600,000 elements: 9,375 words, 147 summary words, 3 top words (the top level is scanned too).
    constexpr std::size_t n = 600000;
    dbvp::sparse_bitset s(n);
    std::vector<bool> ref(n, false);
    expect_same(s, ref, "empty");
    // Both ends, word, summary and top boundaries.
    for (const std::size_t i : {std::size_t{0}, n - 1, std::size_t{63}, std::size_t{64}, std::size_t{4095},
                                std::size_t{4096}, std::size_t{262143}, std::size_t{262144}, std::size_t{524288}}) {
        s.set(i);
        ref[i] = true;
    }
    expect_same(s, ref, "boundaries");
    std::mt19937_64 rng(7);
    for (int round = 0; round < 4; ++round) {
        for (int k = 0; k < 300; ++k) {
            const std::size_t i = rng() % n;
            const bool on = rng() & 1;
            s.set(i, on);
            ref[i] = on;
        }
        expect_same(s, ref, "random");
    }
    // Clear them in random order: words, summary words and top words empty one after another.
    std::vector<std::size_t> on;
    for (std::size_t i = 0; i < n; ++i)
        if (ref[i])
            on.push_back(i);
    std::shuffle(on.begin(), on.end(), rng);
    for (std::size_t k = 0; k < on.size(); ++k) {
        EXPECT_TRUE(s.test(on[k]));
        s.reset(on[k]);
        ref[on[k]] = false;
        if (k % 40 == 0)
            expect_same(s, ref, "clearing");
    }
    s.reset(12345); // clearing a clear bit changes nothing
    expect_same(s, ref, "cleared");
    s.assign(100);
    EXPECT_EQ(s.size(), 100u);
    EXPECT_EQ(s.words(), 2u);
    EXPECT_FALSE(s.any());
    s.set(99);
    EXPECT_EQ(s.word(1), 1ull << 35);
    EXPECT_EQ(s.find_next(0), 99u);
    EXPECT_EQ(s.find_next(100), dbvp::sparse_bitset::npos);
}

TEST(CoreBits, LoadLe64ReadsLittleEndianBytes) {
    const std::uint8_t b[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
    EXPECT_EQ(dbvp::load_le64(b), 0xefcdab8967452301ull);
    const std::uint8_t low[8] = {0xff, 0, 0, 0, 0, 0, 0, 0x80};
    EXPECT_EQ(dbvp::load_le64(low), 0x80000000000000ffull);
}
