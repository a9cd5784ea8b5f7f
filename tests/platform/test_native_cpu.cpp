// The endpoint CPU: native firmware, MMIO through the bus, interrupts (level, edge, shared), time.
#include "dbvp/bus/router.h"
#include "dbvp/core/irq.h"
#include "dbvp/mem/memory.h"
#include "dbvp/platform/native_cpu.h"
#include "reports.h"

#include <gtest/gtest.h>
#include <memory>
#include <vector>

using namespace dbvp;
using platform::native_cpu;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

namespace {

/// Drives interrupt lines at scheduled times.
struct irq_source : sc_core::sc_module {
    struct step {
        sc_time at;
        unsigned line;
        enum { raise, lower, pulse } what;
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
                lines[s.line].set(true);
            else if (s.what == step::lower)
                lines[s.line].set(false);
            else
                lines[s.line].pulse();
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

TEST(NativeCpu, InterruptWithAFutureOffsetIsTakenWhenItBecomesVisible) {
    router bus{"bus", router::params{}};
    memory ram{"ram", memory::params{}};
    native_cpu cpu{"cpu", native_cpu::params{}, nullptr};
    decoupled_source src{"src"};
    cpu.bus.bind(bus.in);
    bus.out.bind(ram.socket);
    bus.map(0, 0x1000, ram.size(), "ram");
    src.line.bind(cpu, 5);
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
    EXPECT_EQ(a, 1);
    EXPECT_EQ(c, 1);
}
