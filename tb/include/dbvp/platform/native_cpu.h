// dbvp platform — the endpoint CPU: runs native C++ firmware in a SystemC thread.
//
// The firmware (a function taking dbvp::fw::hal&) runs in the CPU's SC_THREAD and reaches hardware only through
// the HAL this CPU implements: MMIO becomes TLM accesses on `bus` (temporal decoupling through a dbvp::master),
// time is the CPU's local time, and interrupts arrive on irq_sink inputs (input number = interrupt number).
//
// Interrupts are taken between firmware steps: at every HAL call the CPU runs the handlers of each interrupt
// that is pending at its local time (level: line high; edge: latched since last taken), lowest number first,
// each after irq_entry cycles. Handlers never nest.
// With an interrupt controller attached (a GICv3 CPU interface), input 0 is its nIRQ output and interrupt
// numbers are INTIDs: while nIRQ is high the CPU acknowledges (highest-priority pending INTID), runs the handlers
// registered for that INTID and ends the interrupt. When the firmware function returns, the CPU keeps serving
// interrupts (an idle loop), so handlers registered by the firmware keep working.
//
// Timing parameters: clock, mmio_cycles (issue cost of each MMIO access, on top of what the bus annotates),
// irq_entry (cycles from taking an interrupt to its handler).
#pragma once

#include "dbvp/core/bitset.h"
#include "dbvp/core/clocked.h"
#include "dbvp/core/irq.h"
#include "dbvp/core/master.h"
#include "dbvp/fw/hal.h"

#include <cstdint>
#include <functional>
#include <string>
#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

namespace dbvp::platform {

class native_cpu : public sc_core::sc_module, public clocked, public irq_sink, public fw::hal {
public:
    struct params {
        std::uint64_t clock_hz = 1000000000;
        unsigned mmio_cycles = 1;
        unsigned irq_entry = 50;
        unsigned num_irqs = 1024;
    };
    using firmware = std::function<void(fw::hal&)>;

    tlm_utils::simple_initiator_socket<native_cpu> bus;

    native_cpu(sc_core::sc_module_name name, const params& p, const void* fdt);

    void set_firmware(firmware fw) { fw_ = std::move(fw); }
    /// Take interrupts through an interrupt controller's CPU interface (bind its nIRQ output to input 0).
    void attach_interrupt_controller(cpu_interrupt_if& ic) { ic_ = &ic; }
    /// Lines the firmware printed through hal::log(), in order, each prefixed with the CPU time.
    const std::vector<std::string>& console() const { return console_; }
    /// The console as one text, a line each.
    std::string console_text() const;
    bool firmware_done() const { return done_; }
    std::uint64_t bus_errors() const { return bus_errors_; }
    std::uint64_t irqs_taken() const { return irqs_taken_; }

    // irq_sink
    void irq_level(unsigned input, bool level, const sc_core::sc_time& offset) override;
    void irq_edge(unsigned input, const sc_core::sc_time& offset) override;

    // fw::hal
    std::uint32_t read32(std::uint64_t addr, bool* ok) override;
    void write32(std::uint64_t addr, std::uint32_t value, bool* ok) override;
    std::uint64_t read64(std::uint64_t addr, bool* ok) override;
    void write64(std::uint64_t addr, std::uint64_t value, bool* ok) override;
    /// As write64() `count` times, in effect and in time; runs of stores to RAM with nothing that could happen in
    /// between (no interrupt due, no quantum sync) are made at once.
    void fill64(std::uint64_t addr, std::uint64_t value, std::uint64_t count, bool* ok) override;
    fw::result<fw::irq_handle> request_irq(unsigned irq, fw::irq_handler handler, unsigned flags,
                                           const char* name) override;
    void free_irq(fw::irq_handle handle) override;
    std::uint64_t now_ns() override;
    void sleep_ns(std::uint64_t ns) override;
    bool wait_for_interrupt(std::uint64_t timeout_ns) override;
    const void* fdt() const override { return fdt_; }
    void log(const char* text) override;

private:
    struct line {
        bool level = false;
        bool edge = false;                 // latched edge not yet taken
        sc_core::sc_time since;            // absolute time the current level/edge became visible
    };
    static constexpr std::uint32_t no_action = 0xffffffffu;
    struct action {
        fw::irq_handle handle = 0;
        unsigned irq = 0;
        unsigned flags = 0;
        std::uint32_t next = no_action; // next handler of the same interrupt, or the next free slot
        fw::irq_handler fn;
        std::string name;
    };
    /// First handler of `irq` (no_action when none).
    std::uint32_t first_action(unsigned irq) const {
        const std::size_t page = irq >> 10;
        return page < irq_pages_.size() && irq_pages_[page] ? irq_pages_[page][irq & 1023] : no_action;
    }
    std::uint32_t& first_action_ref(unsigned irq);

    void run();
    void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);
    bool access(tlm::tlm_command cmd, std::uint64_t addr, void* data, unsigned len);
    /// access() after its service() was done.
    bool bus_access(tlm::tlm_command cmd, std::uint64_t addr, void* data, unsigned len);
    /// Run handlers of interrupts pending at the local time; true if any ran.
    bool service();
    /// Earliest time a pending line became visible; false when none is pending.
    bool earliest_pending(sc_core::sc_time& earliest) const;
    /// Synchronise and wait until an interrupt is takeable or `deadline` passed; true if one is takeable.
    bool wait_interrupt_until(const sc_core::sc_time& deadline);
    void dispatch(unsigned irq);
    bool service_controller();
    /// Tracing: the handler run of `irq` (INTID with a controller), taken at `taken`, ends now.
    void trace_handler(unsigned irq, const sc_core::sc_time& taken) const;

    params p_;
    const void* fdt_;
    master master_;
    firmware fw_;
    cpu_interrupt_if* ic_ = nullptr;
    std::vector<line> lines_;
    // Handlers: slots in 8-entry pages (a handler running keeps its slot's address while others are added;
    // two loads find a slot; a page is small, as a firmware may have only a few), chained per interrupt in the
    // order requested; the first slot of each interrupt in 1024-entry pages (two loads, however many interrupts
    // have handlers). Slots freed while handlers run are reused only afterwards.
    std::vector<std::unique_ptr<action[]>> action_pages_;
    std::uint32_t action_count_ = 0;
    action& slot_at(std::uint32_t n) { return action_pages_[n >> 3][n & 7]; }
    std::uint32_t new_slot() {
        if ((action_count_ & 7) == 0)
            action_pages_.push_back(std::make_unique<action[]>(8));
        return action_count_++;
    }
    std::vector<std::unique_ptr<std::uint32_t[]>> irq_pages_;
    std::uint32_t free_action_ = no_action;
    std::vector<std::uint32_t> freed_in_dispatch_;
    bool dispatching_ = false;
    std::unordered_map<fw::irq_handle, std::uint32_t> handle_slot_; // slot of each handle
    fw::irq_handle next_handle_ = 1;
    unsigned npending_ = 0;                  // lines with level or latched edge set
    sparse_bitset pending_;                  // lines with level or latched edge set (scans skip idle lines)
    /// Keep npending_ and pending_ in step with line `input` after its level/edge changed (`was`: before).
    void note_pending(unsigned input, bool was);
    /// Lowest pending line >= from, or lines_.size().
    unsigned next_pending(unsigned from) const;
    std::vector<std::pair<std::uint32_t, fw::irq_handle>> snapshot_; // (slot, handle) of the handlers being run
    bool in_irq_ = false;
    bool done_ = false;
    sc_core::sc_event irq_ev_; // notified when a line rises while the CPU waits for one (waiting_)
    bool waiting_ = false;
    std::vector<std::string> console_;
    std::uint64_t bus_errors_ = 0, irqs_taken_ = 0;
};

} // namespace dbvp::platform
