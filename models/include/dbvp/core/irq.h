// dbvp — interrupt lines.
//
// An irq_out is the output pin of a model; it fans out to any number of irq_sink inputs, each bound with the
// input number it arrives on. Two kinds of signalling:
//   level: set(true/false); sinks are told only about changes of level.
//   edge:  pulse(); sinks get one irq_edge() call (a message-signalled or edge-triggered interrupt).
// The offset argument is the caller's local time offset under temporal decoupling: the change happens at
// sc_time_stamp() + offset. Sinks must not call back into the source.
// While tracing (dbvp/core/trace.h), every level change is a VCD wire and every pulse a VCD event, named name().
#pragma once

#include "dbvp/core/clocked.h"
#include "dbvp/core/trace.h"

#include <string>
#include <systemc>
#include <utility>
#include <vector>

namespace dbvp {

class irq_sink {
public:
    virtual ~irq_sink() = default;
    virtual void irq_level(unsigned input, bool level, const sc_core::sc_time& offset) = 0;
    /// Edge: by default a high-then-low level change at the same time.
    virtual void irq_edge(unsigned input, const sc_core::sc_time& offset) {
        irq_level(input, true, offset);
        irq_level(input, false, offset);
    }
};

class irq_out {
public:
    explicit irq_out(std::string name) : name_(std::move(name)) { trace::detail::add_line(*this); }
    // Every irq_out is known to the tracer (its VCD wire is declared, with its level when tracing starts).
    irq_out(const irq_out& o) : name_(o.name_), sinks_(o.sinks_), level_(o.level_) { trace::detail::add_line(*this); }
    irq_out(irq_out&& o) noexcept : name_(std::move(o.name_)), sinks_(std::move(o.sinks_)), level_(o.level_) {
        trace::detail::add_line(*this);
    }
    irq_out& operator=(const irq_out&) = default;
    irq_out& operator=(irq_out&&) = default;
    ~irq_out() { trace::detail::remove_line(*this); }

    void bind(irq_sink& sink, unsigned input) { sinks_.push_back({&sink, input}); }
    void set(bool level, const sc_core::sc_time& offset = sc_core::SC_ZERO_TIME) {
        if (level == level_)
            return;
        level_ = level;
        if (trace::on())
            trace::wire(name_, level, kernel_time() + offset);
        for (auto& s : sinks_)
            s.sink->irq_level(s.input, level, offset);
    }
    void pulse(const sc_core::sc_time& offset = sc_core::SC_ZERO_TIME) {
        if (trace::on())
            trace::pulse(name_, kernel_time() + offset);
        for (auto& s : sinks_)
            s.sink->irq_edge(s.input, offset);
    }
    bool level() const { return level_; }
    bool bound() const { return !sinks_.empty(); }
    const std::string& name() const { return name_; }

private:
    struct binding {
        irq_sink* sink;
        unsigned input;
    };
    std::string name_;
    std::vector<binding> sinks_;
    bool level_ = false;
};

/// The CPU side of an interrupt controller (GICv3 CPU interface semantics, ICC_IAR1 / ICC_EOIR1): a CPU whose
/// interrupt input is asserted acknowledges, runs the handlers of the INTID it got, then ends the interrupt.
class cpu_interrupt_if {
public:
    static constexpr unsigned spurious = 1023;
    virtual ~cpu_interrupt_if() = default;
    /// The highest-priority pending interrupt becomes active; its INTID, or `spurious` when none is pending.
    /// `offset`: the CPU's local time offset (temporal decoupling): the access happens at sc_time_stamp() +
    /// offset, and only what is pending by then is seen.
    virtual unsigned acknowledge(const sc_core::sc_time& offset = sc_core::SC_ZERO_TIME) = 0;
    /// Priority drop and deactivation of an interrupt acknowledge() returned.
    virtual void end_of_interrupt(unsigned intid, const sc_core::sc_time& offset = sc_core::SC_ZERO_TIME) = 0;
};

} // namespace dbvp
