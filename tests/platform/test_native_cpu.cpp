// The endpoint CPU: native firmware, MMIO through the bus, interrupts (level, edge, shared), time.
#include "dbvp/bus/router.h"
#include "dbvp/core/irq.h"
#include "dbvp/mem/memory.h"
#include "dbvp/platform/native_cpu.h"
#include "reports.h"

#include <gtest/gtest.h>
#include <tlm_utils/simple_target_socket.h>
#include <cstring>
#include <memory>
#include <vector>

using namespace dbvp;
using platform::native_cpu;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

namespace {

/// Drives interrupt lines at scheduled times, each change made at `at` (kernel time) for `ahead` later (as a GIC
/// does: nIRQ rises after its delivery latency, so the CPU sees the line pending from a time still to come).
struct irq_source : sc_core::sc_module {
    struct step {
        sc_time at;
        unsigned line;
        enum { raise, lower, pulse } what;
        sc_time ahead = sc_core::SC_ZERO_TIME;
    };
    std::vector<irq_out> lines;
    std::vector<step> script;

    irq_source(sc_core::sc_module_name n, unsigned count) : sc_module(n) {
        for (unsigned i = 0; i < count; ++i)
            lines.emplace_back("line" + std::to_string(i));
        SC_HAS_PROCESS(irq_source);
        SC_THREAD(run);
    }
    void run() {
        for (const auto& s : script) {
            if (s.at > sc_core::sc_time_stamp())
                wait(s.at - sc_core::sc_time_stamp());
            if (s.what == step::raise)
                lines[s.line].set(true, s.ahead);
            else if (s.what == step::lower)
                lines[s.line].set(false, s.ahead);
            else
                lines[s.line].pulse(s.ahead);
        }
    }
};

struct bench {
    router bus{"bus", router::params{}};
    memory ram{"ram", memory::params{}};
    native_cpu cpu{"cpu", native_cpu::params{}, nullptr};
    irq_source src{"src", 4};
    bench() {
        cpu.bus.bind(bus.in);
        bus.out.bind(ram.socket);
        bus.map(0, 0x1000, ram.size(), "ram");
        for (unsigned i = 0; i < 4; ++i)
            src.lines[i].bind(cpu, 10 + i); // interrupt numbers 10..13
    }
};

} // namespace

TEST(NativeCpu, MmioReachesTheBusAndCostsTime) {
    bench b;
    std::uint32_t seen = 0;
    std::uint64_t t_before = 0, t_after = 0;
    b.cpu.set_firmware([&](fw::hal& h) {
        h.write32(0x1010, 0xcafef00d);
        t_before = h.now_ns();
        seen = h.read32(0x1010);
        t_after = h.now_ns();
    });
    sc_core::sc_start(sc_time(10, SC_US));
    EXPECT_EQ(seen, 0xcafef00du);
    // 1 CPU cycle issue (1 ns) + router 2 cycles (2 ns) + RAM read 10 cycles (10 ns), all at 1 GHz.
    EXPECT_EQ(t_after - t_before, 13u);
    EXPECT_TRUE(b.cpu.firmware_done());
}

namespace {
/// RAM that grants DMI, counts its b_transports and can move its contents (revoking the grant first).
struct dmi_ram : sc_core::sc_module {
    tlm_utils::simple_target_socket<dmi_ram> socket;
    std::vector<unsigned char> a = std::vector<unsigned char>(0x100, 0x11), b = std::vector<unsigned char>(0x100, 0x22);
    unsigned char* mem = a.data();
    unsigned calls = 0;
    explicit dmi_ram(sc_core::sc_module_name n) : sc_module(n), socket("socket") {
        socket.register_b_transport(this, &dmi_ram::b_transport);
        socket.register_get_direct_mem_ptr(this, &dmi_ram::get_dmi);
    }
    void b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
        ++calls;
        if (p.is_read())
            std::memcpy(p.get_data_ptr(), mem + p.get_address(), p.get_data_length());
        else
            std::memcpy(mem + p.get_address(), p.get_data_ptr(), p.get_data_length());
        delay += sc_time(10, SC_NS);
        p.set_dmi_allowed(true);
        p.set_response_status(tlm::TLM_OK_RESPONSE);
    }
    bool get_dmi(tlm::tlm_generic_payload&, tlm::tlm_dmi& d) {
        d.set_dmi_ptr(mem);
        d.set_start_address(0);
        d.set_end_address(0xff);
        d.allow_read_write();
        d.set_read_latency(sc_time(10, SC_NS));
        d.set_write_latency(sc_time(10, SC_NS));
        return true;
    }
    void move() {
        socket->invalidate_direct_mem_ptr(0, 0xff);
        mem = b.data();
    }
};
} // namespace

TEST(NativeCpu, RamTakesDmiWithTheSameTimingUntilTheGrantIsRevoked) {
    router bus{"bus", router::params{}};
    dmi_ram ram{"ram"};
    native_cpu cpu{"cpu", native_cpu::params{}, nullptr};
    cpu.bus.bind(bus.in);
    bus.out.bind(ram.socket);
    bus.map(0, 0x1000, 0x100, "ram");
    std::vector<std::uint32_t> seen;
    std::vector<std::uint64_t> took;
    std::vector<unsigned> calls;
    cpu.set_firmware([&](fw::hal& h) {
        for (int i = 0; i < 4; ++i) {
            if (i == 2)
                ram.move();
            const std::uint64_t t0 = h.now_ns();
            seen.push_back(h.read32(0x1010));
            took.push_back(h.now_ns() - t0);
            calls.push_back(ram.calls);
        }
    });
    sc_core::sc_start(sc_time(10, SC_US));
    EXPECT_EQ(seen, (std::vector<std::uint32_t>{0x11111111, 0x11111111, 0x22222222, 0x22222222}))
        << "after the revocation the CPU reads the RAM's new contents";
    EXPECT_EQ(calls, (std::vector<unsigned>{1, 1, 2, 2})) << "b_transport, DMI, b_transport (revoked), DMI";
    // 1 cycle issue + router 2 cycles + RAM 10 ns, either way.
    EXPECT_EQ(took, (std::vector<std::uint64_t>{13, 13, 13, 13}));
}

namespace {
/// A CPU with its own bus, RAM and interrupt source, named apart (two run side by side in one simulation).
sc_time at_ns(std::uint64_t n) { return sc_time(static_cast<double>(n), SC_NS); }
memory::params ram_of(std::uint64_t size) {
    memory::params p;
    p.size = size;
    return p;
}
struct cpu_system {
    router bus;
    memory ram;
    native_cpu cpu;
    irq_source src;
    explicit cpu_system(const std::string& n)
        : bus((n + "_bus").c_str(), router::params{}), ram((n + "_ram").c_str(), ram_of(0x10000)),
          cpu((n + "_cpu").c_str(), native_cpu::params{}, nullptr), src((n + "_src").c_str(), 2) {
        cpu.bus.bind(bus.in);
        bus.out.bind(ram.socket);
        bus.map(0, 0x100000, ram.size(), "ram");
        src.lines[0].bind(cpu, 10);
        src.lines[1].bind(cpu, 11);
        using st = irq_source::step;
        // A level interrupt and two edges while the fills run, each visible a while after it is signalled (the
        // CPU, ahead of the kernel by up to a quantum, knows of it before it may take it); the level one's
        // handler lowers it.
        src.script = {{at_ns(7000), 1, st::pulse, at_ns(503)},
                      {at_ns(20000), 0, st::raise, at_ns(2777)},
                      {at_ns(33000), 1, st::pulse, at_ns(1301)}};
    }
};
struct fill_record {
    std::vector<std::uint64_t> handled; // (irq << 48) | time
    std::vector<std::uint64_t> marks;   // times between the steps
};
void fill_firmware(fw::hal& h, cpu_system& sys, bool bulk, fill_record& rec) {
    auto on = [&](unsigned irq) {
        rec.handled.push_back((std::uint64_t{irq} << 48) | h.now_ns());
        h.write64(0x100000, h.now_ns()); // the handler's own store, in the middle of the fill's
        if (irq == 10)
            sys.src.lines[0].set(false);
    };
    ASSERT_TRUE(h.request_irq(10, on, fw::irq_none, "level"));
    ASSERT_TRUE(h.request_irq(11, on, fw::irq_none, "edge"));
    auto fill = [&](std::uint64_t addr, std::uint64_t value, std::uint64_t count) {
        if (bulk)
            return h.fill64(addr, value, count);
        for (std::uint64_t i = 0; i < count; ++i)
            h.write64(addr + 8 * i, value);
    };
    rec.marks.push_back(h.now_ns());
    fill(0x100100, 0x0123456789abcdefull, 4096); // about 53 us: both edges and the level interrupt come in it
    rec.marks.push_back(h.now_ns());
    h.sleep_ns(333);
    fill(0x100100, 0, 1000);
    rec.marks.push_back(h.now_ns());
    bool ok = true;
    h.fill64(0x100000 + 0x10000 - 16, 7, 4, &ok); // runs off the end of the RAM: the last two stores fail
    rec.marks.push_back(ok ? 1 : 0);
}
} // namespace

TEST(NativeCpu, Fill64IsWrite64ManyTimesInEffectAndTime) {
    cpu_system loop("loop"), bulk("bulk");
    fill_record a, b;
    loop.cpu.set_firmware([&](fw::hal& h) { fill_firmware(h, loop, false, a); });
    bulk.cpu.set_firmware([&](fw::hal& h) { fill_firmware(h, bulk, true, b); });
    test::expect_report rep("decode miss", 4); // two stores past the RAM's end, in each system
    sc_core::sc_start(sc_time(200, SC_US));
    ASSERT_TRUE(loop.cpu.firmware_done());
    ASSERT_TRUE(bulk.cpu.firmware_done());
    ASSERT_EQ(a.handled.size(), 3u);
    for (std::uint64_t h : a.handled)
        EXPECT_LT(h & 0xffffffffffffull, a.marks[1]) << "taken during the first fill";
    EXPECT_EQ(b.handled, a.handled);
    EXPECT_EQ(b.marks, a.marks);
    EXPECT_EQ(a.marks.back(), 0u) << "the stores past the end failed";
    EXPECT_EQ(bulk.cpu.bus_errors(), loop.cpu.bus_errors());
    EXPECT_EQ(std::memcmp(bulk.ram.data(), loop.ram.data(), 0x10000), 0);
    std::uint64_t w = 0;
    std::memcpy(&w, loop.ram.data() + 0x100 + 8 * 1000, 8);
    EXPECT_EQ(w, 0x0123456789abcdefull) << "past the second fill";
}

TEST(NativeCpu, BusErrorIsReportedToTheFirmware) {
    bench b;
    bool ok = true;
    std::uint32_t v = 0;
    b.cpu.set_firmware([&](fw::hal& h) { v = h.read32(0x9000000, &ok); });
    test::expect_report rep("decode miss");
    sc_core::sc_start(sc_time(10, SC_US));
    EXPECT_FALSE(ok);
    EXPECT_EQ(v, 0xffffffffu);
    EXPECT_EQ(b.cpu.bus_errors(), 1u);
}

TEST(NativeCpu, LevelInterruptRunsTheHandlerAfterEntryLatency) {
    bench b;
    b.src.script = {{sc_time(5, SC_US), 0, irq_source::step::raise}};
    std::vector<std::uint64_t> handled_at;
    bool woke = false;
    b.cpu.set_firmware([&](fw::hal& h) {
        auto r = h.request_irq(10, [&](unsigned irq) {
            EXPECT_EQ(irq, 10u);
            handled_at.push_back(h.now_ns());
            b.src.lines[0].set(false); // quiet the source
        }, fw::irq_none, "test");
        ASSERT_TRUE(r);
        woke = h.wait_for_interrupt(100000);
    });
    sc_core::sc_start(sc_time(200, SC_US));
    EXPECT_TRUE(woke);
    ASSERT_EQ(handled_at.size(), 1u);
    EXPECT_EQ(handled_at[0], 5000u + 50u) << "raised at 5 us, 50 cycles of interrupt entry at 1 GHz";
}

TEST(NativeCpu, EdgeWhileBusyIsLatchedAndTakenOnce) {
    bench b;
    b.src.script = {{sc_time(2, SC_US), 1, irq_source::step::pulse}, {sc_time(3, SC_US), 1, irq_source::step::pulse}};
    unsigned count = 0;
    b.cpu.set_firmware([&](fw::hal& h) {
        ASSERT_TRUE(h.request_irq(11, [&](unsigned) { ++count; }, fw::irq_none, "edge"));
        // Busy with MMIO (no waiting) across both edges: 1000 reads of 13 ns each.
        for (int i = 0; i < 1000; ++i)
            h.read32(0x1000);
        h.sleep_ns(1000);
    });
    sc_core::sc_start(sc_time(100, SC_US));
    EXPECT_TRUE(b.cpu.firmware_done()) << "the firmware did not run to its end by " << sc_core::sc_time_stamp();
    // The busy CPU synchronises every quantum (1 us), so it sees the edges 1 us apart separately: each is taken
    // once. (Two edges that arrive before the CPU looks are one latched edge: see the next tests.)
    EXPECT_EQ(count, 2u);
    EXPECT_EQ(b.cpu.irqs_taken(), 2u);
}

TEST(NativeCpu, SharedLineRunsEveryHandlerAndExclusiveIsRefused) {
    bench b;
    b.src.script = {{sc_time(1, SC_US), 2, irq_source::step::pulse}};
    int a = 0, c = 0;
    fw::status refused;
    b.cpu.set_firmware([&](fw::hal& h) {
        ASSERT_TRUE(h.request_irq(12, [&](unsigned) { ++a; }, fw::irq_shared, "a"));
        ASSERT_TRUE(h.request_irq(12, [&](unsigned) { ++c; }, fw::irq_shared, "b"));
        auto r = h.request_irq(12, [](unsigned) {}, fw::irq_none, "exclusive");
        refused = r.error();
        h.wait_for_interrupt(10000);
    });
    sc_core::sc_start(sc_time(20, SC_US));
    EXPECT_TRUE(b.cpu.firmware_done()) << "the firmware did not run to its end by " << sc_core::sc_time_stamp();
    EXPECT_EQ(a, 1);
    EXPECT_EQ(c, 1);
    EXPECT_EQ(refused.code(), fw::errc::busy);
}

TEST(NativeCpu, FreedHandlerNoLongerRuns) {
    bench b;
    b.src.script = {{sc_time(1, SC_US), 3, irq_source::step::pulse}, {sc_time(5, SC_US), 3, irq_source::step::pulse}};
    int count = 0;
    b.cpu.set_firmware([&](fw::hal& h) {
        auto r = h.request_irq(13, [&](unsigned) { ++count; }, fw::irq_none, "once");
        ASSERT_TRUE(r);
        h.wait_for_interrupt(3000);
        h.free_irq(r.value());
        h.sleep_ns(10000);
    });
    sc_core::sc_start(sc_time(20, SC_US));
    EXPECT_TRUE(b.cpu.firmware_done()) << "the firmware did not run to its end by " << sc_core::sc_time_stamp();
    EXPECT_EQ(count, 1);
    EXPECT_EQ(b.cpu.irqs_taken(), 2u) << "the second edge is taken but has no handler";
}

TEST(NativeCpu, WaitForInterruptTimesOutAtTheDeadline) {
    bench b;
    bool woke = true;
    std::uint64_t start = 0, end = 0;
    b.cpu.set_firmware([&](fw::hal& h) {
        start = h.now_ns();
        woke = h.wait_for_interrupt(7000);
        end = h.now_ns();
    });
    sc_core::sc_start(sc_time(50, SC_US));
    EXPECT_FALSE(woke);
    EXPECT_EQ(end - start, 7000u);
}

TEST(NativeCpu, SleepTakesInterruptsAndLastsItsDuration) {
    bench b;
    b.src.script = {{sc_time(3, SC_US), 1, irq_source::step::pulse}};
    std::uint64_t handled = 0, start = 0, end = 0;
    b.cpu.set_firmware([&](fw::hal& h) {
        ASSERT_TRUE(h.request_irq(11, [&](unsigned) { handled = h.now_ns(); }, fw::irq_none, "t"));
        start = h.now_ns();
        h.sleep_ns(10000);
        end = h.now_ns();
    });
    sc_core::sc_start(sc_time(50, SC_US));
    EXPECT_EQ(handled, 3050u);
    EXPECT_EQ(end - start, 10000u);
}

TEST(NativeCpu, UnhandledLevelInterruptIsMaskedWithAWarning) {
    bench b;
    b.src.script = {{sc_time(1, SC_US), 0, irq_source::step::raise}};
    b.cpu.set_firmware([&](fw::hal& h) { h.sleep_ns(5000); });
    test::expect_report rep("interrupt 10 is asserted but no handler");
    sc_core::sc_start(sc_time(20, SC_US));
    EXPECT_TRUE(b.cpu.firmware_done()) << "the firmware did not run to its end by " << sc_core::sc_time_stamp();
    EXPECT_EQ(b.cpu.irqs_taken(), 1u);
}

TEST(NativeCpu, HandlersKeepRunningAfterTheFirmwareReturns) {
    bench b;
    b.src.script = {{sc_time(10, SC_US), 1, irq_source::step::pulse}};
    std::uint64_t handled = 0;
    fw::hal* hal = nullptr;
    b.cpu.set_firmware([&](fw::hal& h) {
        hal = &h;
        ASSERT_TRUE(h.request_irq(11, [&](unsigned) { handled = hal->now_ns(); }, fw::irq_none, "late"));
    });
    sc_core::sc_start(sc_time(50, SC_US));
    EXPECT_TRUE(b.cpu.firmware_done());
    EXPECT_EQ(handled, 10050u);
}

TEST(NativeCpu, LogLinesCarryTheCpuTime) {
    bench b;
    b.cpu.set_firmware([&](fw::hal& h) {
        h.sleep_ns(2500);
        h.log("hello");
    });
    sc_core::sc_start(sc_time(10, SC_US));
    ASSERT_EQ(b.cpu.console().size(), 1u);
    EXPECT_EQ(b.cpu.console()[0], "[       2.500 us] hello");
}

namespace {
/// Raises two edges from one process with different future offsets (temporal decoupling on the source side).
struct decoupled_source : sc_core::sc_module {
    irq_out line{"line"};
    explicit decoupled_source(sc_core::sc_module_name n) : sc_module(n) {
        SC_HAS_PROCESS(decoupled_source);
        SC_THREAD(run);
    }
    void run() {
        wait(sc_time(1, SC_US));
        line.pulse(sc_time(100, SC_NS));
        line.pulse(sc_time(500, SC_NS)); // latched with the first if not yet taken
    }
};
} // namespace

namespace {
/// A CPU with RAM and one source (any module with an irq_out `line`) on interrupt 5.
template <class Source> struct one_source_bench {
    router bus{"bus", router::params{}};
    memory ram{"ram", memory::params{}};
    native_cpu cpu{"cpu", native_cpu::params{}, nullptr};
    Source src{"src"};
    one_source_bench() {
        cpu.bus.bind(bus.in);
        bus.out.bind(ram.socket);
        bus.map(0, 0x1000, ram.size(), "ram");
        src.line.bind(cpu, 5);
    }
};
} // namespace

TEST(NativeCpu, InterruptWithAFutureOffsetIsTakenWhenItBecomesVisible) {
    one_source_bench<decoupled_source> b;
    native_cpu& cpu = b.cpu;
    std::vector<std::uint64_t> at;
    cpu.set_firmware([&](fw::hal& h) {
        ASSERT_TRUE(h.request_irq(5, [&](unsigned) { at.push_back(h.now_ns()); }, fw::irq_none, "t"));
    });
    sc_core::sc_start(sc_time(10, SC_US));
    ASSERT_EQ(at.size(), 1u) << "two edges before the CPU looked are one latched edge";
    EXPECT_EQ(at[0], 1100u + 50u);
}

TEST(NativeCpu, EdgesFarApartWhileIdleAreEachTaken) {
    bench b;
    b.src.script = {{sc_time(2, SC_US), 1, irq_source::step::pulse}, {sc_time(7, SC_US), 1, irq_source::step::pulse}};
    std::vector<std::uint64_t> at;
    b.cpu.set_firmware([&](fw::hal& h) {
        ASSERT_TRUE(h.request_irq(11, [&](unsigned) { at.push_back(h.now_ns()); }, fw::irq_none, "t"));
        h.sleep_ns(50000);
    });
    sc_core::sc_start(sc_time(60, SC_US));
    EXPECT_TRUE(b.cpu.firmware_done()) << "the firmware did not run to its end by " << sc_core::sc_time_stamp();
    ASSERT_EQ(at.size(), 2u);
    EXPECT_EQ(at[0], 2050u);
    EXPECT_EQ(at[1], 7050u);
}

TEST(NativeCpu, SharedHandlerFreeingItselfDoesNotSkipTheNext) {
    bench b;
    b.src.script = {{sc_time(1, SC_US), 2, irq_source::step::pulse}};
    int a = 0, c = 0;
    b.cpu.set_firmware([&](fw::hal& h) {
        auto first = std::make_shared<fw::irq_handle>(0);
        auto r = h.request_irq(12, [&, first](unsigned) {
            ++a;
            h.free_irq(*first);
        }, fw::irq_shared, "self-freeing");
        ASSERT_TRUE(r);
        *first = r.value();
        ASSERT_TRUE(h.request_irq(12, [&](unsigned) { ++c; }, fw::irq_shared, "second"));
        h.wait_for_interrupt(10000);
    });
    sc_core::sc_start(sc_time(20, SC_US));
    EXPECT_TRUE(b.cpu.firmware_done()) << "the firmware did not run to its end by " << sc_core::sc_time_stamp();
    EXPECT_EQ(a, 1);
    EXPECT_EQ(c, 1);
}

// ---- Waiting in local time (temporal decoupling) ----------------------------------------------------------
//
// A line known to become pending within the global quantum (1 us by default) is waited for in local time: the
// CPU does not yield, and the interrupt is taken at the CPU's local time, ahead of the kernel. A wait that runs
// out to its deadline returns in step with the kernel.

namespace {
sc_time ns(std::uint64_t n) { return sc_time(static_cast<double>(n), SC_NS); }
constexpr std::uint64_t entry_ns = 50; // native_cpu::params::irq_entry cycles at 1 GHz
constexpr std::uint64_t read_ns = 13;  // one read of the bench RAM: 1 issue + router 2 + RAM 10 cycles at 1 GHz
} // namespace

TEST(NativeCpu, InterruptDueWithinTheQuantumIsTakenInLocalTimeWithoutYielding) {
    bench b;
    std::vector<std::uint64_t> handled;
    std::vector<sc_time> kernel;
    std::uint64_t end = 0;
    sc_time end_kernel;
    b.cpu.set_firmware([&](fw::hal& h) {
        ASSERT_TRUE(h.request_irq(11, [&](unsigned) {
            handled.push_back(h.now_ns());
            kernel.push_back(sc_core::sc_time_stamp());
        }, fw::irq_none, "t"));
        b.src.lines[1].pulse(ns(300)); // a source ahead of the kernel: the edge is at 300 ns
        h.sleep_ns(2000);
        end = h.now_ns();
        end_kernel = sc_core::sc_time_stamp();
    });
    sc_core::sc_start(sc_time(10, SC_US));
    ASSERT_EQ(handled.size(), 1u);
    EXPECT_EQ(handled[0], 300u + entry_ns);
    EXPECT_EQ(kernel[0], sc_core::SC_ZERO_TIME) << "waited for in local time: the kernel did not move";
    EXPECT_EQ(end, 2000u);
    EXPECT_EQ(end_kernel, ns(2000)) << "the sleep ends in step with the kernel";
}

TEST(NativeCpu, WaitsThatEndBeforeAnInterruptDueWithinTheQuantumReturnInStepWithTheKernel) {
    bench b;
    std::vector<std::uint64_t> handled;
    std::vector<sc_time> kernel;
    struct point {
        std::uint64_t local;
        sc_time kernel;
    };
    std::vector<point> after;
    bool woke = true;
    b.cpu.set_firmware([&](fw::hal& h) {
        ASSERT_TRUE(h.request_irq(11, [&](unsigned) {
            handled.push_back(h.now_ns());
            kernel.push_back(sc_core::sc_time_stamp());
        }, fw::irq_none, "t"));
        b.src.lines[1].pulse(ns(300));
        woke = h.wait_for_interrupt(100);
        after.push_back({h.now_ns(), sc_core::sc_time_stamp()});
        h.sleep_ns(100);
        after.push_back({h.now_ns(), sc_core::sc_time_stamp()});
        h.sleep_ns(500);
        after.push_back({h.now_ns(), sc_core::sc_time_stamp()});
    });
    sc_core::sc_start(sc_time(10, SC_US));
    EXPECT_FALSE(woke) << "the edge comes after the timeout";
    ASSERT_EQ(after.size(), 3u);
    EXPECT_EQ(after[0].local, 100u);
    EXPECT_EQ(after[0].kernel, ns(100)) << "a wait that ran out is in step with the kernel";
    EXPECT_EQ(after[1].local, 200u);
    EXPECT_EQ(after[1].kernel, ns(200));
    ASSERT_EQ(handled.size(), 1u);
    EXPECT_EQ(handled[0], 300u + entry_ns);
    EXPECT_EQ(kernel[0], ns(200)) << "taken in local time, from where the kernel was";
    EXPECT_EQ(after[2].local, 700u);
    EXPECT_EQ(after[2].kernel, ns(700));
}

TEST(NativeCpu, InterruptDueBeyondTheQuantumIsWaitedForInTheKernel) {
    bench b;
    std::uint64_t handled = 0;
    sc_time kernel;
    b.cpu.set_firmware([&](fw::hal& h) {
        ASSERT_TRUE(h.request_irq(11, [&](unsigned) {
            handled = h.now_ns();
            kernel = sc_core::sc_time_stamp();
        }, fw::irq_none, "t"));
        b.src.lines[1].pulse(ns(1500)); // more than the 1 us quantum ahead
        EXPECT_TRUE(h.wait_for_interrupt(5000));
    });
    sc_core::sc_start(sc_time(10, SC_US));
    EXPECT_TRUE(b.cpu.firmware_done()) << "the firmware did not run to its end by " << sc_core::sc_time_stamp();
    EXPECT_EQ(handled, 1500u + entry_ns);
    EXPECT_EQ(kernel, ns(1500)) << "the CPU yielded until the edge";
}

TEST(NativeCpu, LineRaisedWhileTheCpuCatchesUpItsLocalTimeIsTakenWhenItLooks) {
    // Regression: the line rose (another thread, at 100 ns) while the CPU, ahead at 260 ns, synchronised on its
    // way into the wait; its notification fired before the CPU waited for it, and the CPU slept to the deadline.
    bench b;
    b.src.script = {{ns(100), 0, irq_source::step::raise}};
    std::uint64_t handled = 0, ahead = 0, after = 0;
    sc_time kernel_ahead, kernel;
    bool woke = false;
    b.cpu.set_firmware([&](fw::hal& h) {
        ASSERT_TRUE(h.request_irq(10, [&](unsigned) {
            handled = h.now_ns();
            kernel = sc_core::sc_time_stamp();
            b.src.lines[0].set(false);
        }, fw::irq_none, "t"));
        for (int i = 0; i < 20; ++i)
            h.read32(0x1000);
        ahead = h.now_ns();
        kernel_ahead = sc_core::sc_time_stamp();
        woke = h.wait_for_interrupt(100000);
        after = h.now_ns();
    });
    sc_core::sc_start(sc_time(200, SC_US));
    EXPECT_EQ(ahead, 20 * read_ns);
    EXPECT_EQ(kernel_ahead, sc_core::SC_ZERO_TIME) << "the CPU was ahead of the kernel";
    EXPECT_TRUE(woke);
    EXPECT_EQ(handled, 20 * read_ns + entry_ns) << "taken at the CPU's time, not at the deadline";
    EXPECT_EQ(kernel, ns(20 * read_ns)) << "the CPU synchronised before looking again";
    EXPECT_EQ(after, handled);
}

TEST(NativeCpu, EdgesWithOffsetsWhileTheCpuIsAheadAreTakenAtTheirTimes) {
    bench b;
    struct taken {
        unsigned irq;
        std::uint64_t local;
        sc_time kernel;
    };
    std::vector<taken> seen;
    bool woke1 = false, woke2 = false;
    b.cpu.set_firmware([&](fw::hal& h) {
        for (unsigned irq : {11u, 12u})
            ASSERT_TRUE(h.request_irq(irq, [&](unsigned n) {
                seen.push_back({n, h.now_ns(), sc_core::sc_time_stamp()});
            }, fw::irq_none, "t"));
        for (int i = 0; i < 20; ++i)
            h.read32(0x1000); // the CPU is at 260 ns, the kernel at 0
        b.src.lines[1].pulse(ns(100)); // in the CPU's past
        b.src.lines[2].pulse(ns(400)); // in the CPU's future, within the quantum
        woke1 = h.wait_for_interrupt(100000);
        woke2 = h.wait_for_interrupt(100000);
    });
    sc_core::sc_start(sc_time(200, SC_US));
    EXPECT_TRUE(woke1);
    EXPECT_TRUE(woke2);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].irq, 11u);
    EXPECT_EQ(seen[0].local, 20 * read_ns + entry_ns) << "already pending: taken at once";
    EXPECT_EQ(seen[0].kernel, sc_core::SC_ZERO_TIME);
    EXPECT_EQ(seen[1].irq, 12u);
    EXPECT_EQ(seen[1].local, 400u + entry_ns) << "taken at its time";
    EXPECT_EQ(seen[1].kernel, sc_core::SC_ZERO_TIME) << "without yielding";
}

// ---- Handlers per interrupt -------------------------------------------------------------------------------

TEST(NativeCpu, HandlersAreKeptPerInterrupt) {
    bench b;
    b.src.script = {{ns(1000), 0, irq_source::step::pulse}, {ns(1000), 1, irq_source::step::pulse},
                    {ns(1000), 2, irq_source::step::pulse}, {ns(5000), 0, irq_source::step::pulse},
                    {ns(5000), 1, irq_source::step::pulse}, {ns(5000), 2, irq_source::step::pulse}};
    int on10 = 0, on11 = 0, shared_a = 0, shared_b = 0;
    fw::status busy_exclusive, busy_shared_on_exclusive, busy_exclusive_on_shared;
    bool exclusive_after_free = false;
    b.cpu.set_firmware([&](fw::hal& h) {
        auto r10 = h.request_irq(10, [&](unsigned irq) {
            EXPECT_EQ(irq, 10u);
            ++on10;
        }, fw::irq_none, "ten");
        auto r11 = h.request_irq(11, [&](unsigned irq) {
            EXPECT_EQ(irq, 11u);
            ++on11;
        }, fw::irq_none, "eleven");
        auto ra = h.request_irq(12, [&](unsigned) { ++shared_a; }, fw::irq_shared, "a");
        auto rb = h.request_irq(12, [&](unsigned) { ++shared_b; }, fw::irq_shared, "b");
        ASSERT_TRUE(r10);
        ASSERT_TRUE(r11);
        ASSERT_TRUE(ra);
        ASSERT_TRUE(rb);
        EXPECT_NE(r10.value(), r11.value());
        EXPECT_NE(ra.value(), rb.value());
        busy_exclusive = h.request_irq(11, [](unsigned) {}, fw::irq_none, "x").error();
        busy_shared_on_exclusive = h.request_irq(11, [](unsigned) {}, fw::irq_shared, "x").error();
        busy_exclusive_on_shared = h.request_irq(12, [](unsigned) {}, fw::irq_none, "x").error();
        h.sleep_ns(2000); // every handler runs once
        h.free_irq(r10.value());
        h.free_irq(r10.value()); // twice: nothing
        h.free_irq(ra.value());
        h.free_irq(12345); // never requested: nothing
        h.sleep_ns(5000); // 11 and the shared b only
        h.free_irq(rb.value());
        auto again = h.request_irq(12, [](unsigned) {}, fw::irq_none, "exclusive now");
        exclusive_after_free = static_cast<bool>(again);
    });
    sc_core::sc_start(sc_time(20, SC_US));
    EXPECT_EQ(on10, 1);
    EXPECT_EQ(on11, 2) << "freeing 10 left 11 alone";
    EXPECT_EQ(shared_a, 1);
    EXPECT_EQ(shared_b, 2) << "freeing a left b";
    EXPECT_EQ(busy_exclusive.code(), fw::errc::busy);
    EXPECT_EQ(busy_shared_on_exclusive.code(), fw::errc::busy);
    EXPECT_EQ(busy_exclusive_on_shared.code(), fw::errc::busy);
    EXPECT_NE(busy_exclusive.message().find("eleven"), std::string::npos) << busy_exclusive.message();
    EXPECT_TRUE(exclusive_after_free) << "every handler of 12 freed: it can be requested exclusively";
    EXPECT_EQ(b.cpu.irqs_taken(), 6u);
}

TEST(NativeCpu, HandlerFreeingItselfRunsOnceAndTheOthersKeepRunning) {
    bench b;
    b.src.script = {{ns(1000), 1, irq_source::step::pulse}, {ns(1000), 2, irq_source::step::pulse},
                    {ns(4000), 1, irq_source::step::pulse}, {ns(4000), 2, irq_source::step::pulse}};
    int once = 0, once_after_free = 0, first = 0, second = 0;
    b.cpu.set_firmware([&](fw::hal& h) {
        // Alone on 11: freeing itself removes the interrupt's last handler while it runs.
        auto self = std::make_shared<fw::irq_handle>(0);
        auto r = h.request_irq(11, [&h, &once, &once_after_free, self](unsigned) {
            ++once;
            h.free_irq(*self);
            ++once_after_free; // its captures live until it returns (use-after-free before: check with valgrind)
        }, fw::irq_none, "once");
        ASSERT_TRUE(r);
        *self = r.value();
        // Shared on 12: the first frees the second before it runs; the second is not run.
        auto other = std::make_shared<fw::irq_handle>(0);
        ASSERT_TRUE(h.request_irq(12, [&h, &first, other](unsigned) {
            ++first;
            if (*other) {
                h.free_irq(*other);
                *other = 0;
            }
        }, fw::irq_shared, "first"));
        auto r2 = h.request_irq(12, [&second](unsigned) { ++second; }, fw::irq_shared, "second");
        ASSERT_TRUE(r2);
        *other = r2.value();
        h.sleep_ns(10000);
        // 11 is free again.
        EXPECT_TRUE(h.request_irq(11, [](unsigned) {}, fw::irq_none, "again"));
    });
    sc_core::sc_start(sc_time(20, SC_US));
    EXPECT_TRUE(b.cpu.firmware_done()) << "the firmware did not run to its end by " << sc_core::sc_time_stamp();
    EXPECT_EQ(once, 1);
    EXPECT_EQ(once_after_free, 1);
    EXPECT_EQ(first, 2);
    EXPECT_EQ(second, 0) << "freed by the first handler before its turn";
    EXPECT_EQ(b.cpu.irqs_taken(), 4u) << "the second edge on 11 is taken but has no handler";
}

namespace {
/// Pulses its line with a zero offset as soon as `go` is notified (immediately: in the notifier's delta).
struct triggered_source : sc_core::sc_module {
    irq_out line{"line"};
    sc_core::sc_event go;
    explicit triggered_source(sc_core::sc_module_name n) : sc_module(n) {
        SC_HAS_PROCESS(triggered_source);
        SC_THREAD(run);
    }
    void run() {
        wait(go);
        line.pulse(sc_core::SC_ZERO_TIME);
    }
};
} // namespace

TEST(NativeCpu, ALineRisingInTheDeltaTheWaitBeginsWakesItAtOnce) {
    // The CPU, in step with the kernel, looks at its lines, finds none pending and waits; the source runs in
    // that same delta (after the CPU yields) and pulses with a zero offset. The wait must begin at once, not
    // after a delta of its own in which the notification would go by unseen until the deadline.
    one_source_bench<triggered_source> b;
    native_cpu& cpu = b.cpu;
    triggered_source& src = b.src;
    std::vector<std::uint64_t> at;
    bool woke = false;
    cpu.set_firmware([&](fw::hal& h) {
        ASSERT_TRUE(h.request_irq(5, [&](unsigned) { at.push_back(h.now_ns()); }, fw::irq_none, "t"));
        h.sleep_ns(1000); // runs to its deadline: in step with the kernel afterwards
        src.go.notify();  // the source becomes runnable in this delta
        woke = h.wait_for_interrupt(10000);
    });
    sc_core::sc_start(sc_time(20, SC_US));
    EXPECT_TRUE(woke);
    ASSERT_EQ(at.size(), 1u);
    EXPECT_EQ(at[0], 1000u + entry_ns) << "taken when it rose, not at the 11 us deadline";
}

TEST(NativeCpu, ManySharedHandlersRunInOrderAcrossSlotPagesWhileTheyRequestAndFreeOthers) {
    // Handler slots come in pages of 8: 24 handlers fill three, and one requested from a handler takes a fourth
    // while the dispatch runs. The new one runs from the next interrupt on; one freed before its turn does not run;
    // two requested afterwards take the freed slots (not observable here but by a sanitizer, were a slot still in
    // use handed out again) and run last, in request order.
    bench b;
    b.src.script = {{ns(1000), 2, irq_source::step::pulse}, {ns(3000), 2, irq_source::step::pulse},
                    {ns(6000), 2, irq_source::step::pulse}};
    std::vector<int> ran;
    std::vector<fw::irq_handle> handles(24);
    b.cpu.set_firmware([&](fw::hal& h) {
        bool added = false;
        for (int i = 0; i < 24; ++i) {
            auto r = h.request_irq(12, [&, i](unsigned) {
                ran.push_back(i);
                if (i == 0)
                    h.free_irq(handles[0]); // itself
                if (i == 3 && !added) {
                    added = true;
                    ASSERT_TRUE(h.request_irq(12, [&](unsigned) { ran.push_back(100); }, fw::irq_shared, "late"));
                }
                if (i == 5)
                    h.free_irq(handles[10]); // before its turn (the 2nd time: already freed, nothing)
            }, fw::irq_shared, "many");
            ASSERT_TRUE(r);
            handles[static_cast<std::size_t>(i)] = r.value();
        }
        h.sleep_ns(4000); // two interrupts
        for (int k = 0; k < 2; ++k) // into the slots of 0 and 10
            ASSERT_TRUE(h.request_irq(12, [&, k](unsigned) { ran.push_back(200 + k); }, fw::irq_shared, "reuse"));
        h.sleep_ns(4000);
    });
    sc_core::sc_start(sc_time(20, SC_US));
    EXPECT_TRUE(b.cpu.firmware_done()) << "the firmware did not run to its end by " << sc_core::sc_time_stamp();
    std::vector<int> want;
    for (int i = 0; i < 24; ++i)
        if (i != 10)
            want.push_back(i);
    for (int round = 0; round < 2; ++round) {
        for (int i = 1; i < 24; ++i)
            if (i != 10)
                want.push_back(i);
        want.push_back(100);
        if (round == 1) {
            want.push_back(200);
            want.push_back(201);
        }
    }
    EXPECT_EQ(ran, want);
}
