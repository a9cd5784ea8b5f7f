// dbvp — initiator helper with temporal decoupling.
//
// A master wraps a model's initiator socket and keeps its thread's local time the way tlm_quantumkeeper does
// (the same sync points: the end of the current global quantum; the same waits), reading the kernel's time
// without a call into SystemC. Every access annotates the local time with the delay the target returns; the
// thread synchronises with the kernel when the quantum is used up. One payload and one pcie_attr are reused:
// an access allocates nothing. With enable_dmi(), plain accesses to memory that granted DMI are served from the
// granted region (the same data and timing, see dmi.h).
#pragma once

#include "dbvp/core/clocked.h"
#include "dbvp/core/dmi.h"
#include "dbvp/core/sideband.h"

#include <cstdint>
#include <systemc>
#include <tlm>

namespace dbvp {

class master {
public:
    explicit master(tlm::tlm_base_initiator_socket<>& socket);
    /// Detaches a pcie_attr still attached by an access that never returned (the simulation ended while this
    /// initiator's thread was inside b_transport): the payload must not free what it does not own.
    ~master();
    master(const master&) = delete;
    master& operator=(const master&) = delete;

    /// Global quantum for all masters (tlm_global_quantum). Defaults to 1 us when never set.
    static void set_global_quantum(const sc_core::sc_time& q);

    /// Blocking access. attr, when given, travels as the payload's pcie_attr and is updated by the target
    /// (completion status, BAR hit...). Returns the TLM response; the data buffer is filled on reads.
    tlm::tlm_response_status read(std::uint64_t addr, void* data, unsigned len, pcie_attr* attr = nullptr);
    tlm::tlm_response_status write(std::uint64_t addr, const void* data, unsigned len, pcie_attr* attr = nullptr);
    tlm::tlm_response_status access(tlm::tlm_command cmd, std::uint64_t addr, void* data, unsigned len,
                                    pcie_attr* attr);
    /// Serve accesses without a pcie_attr from DMI regions the targets grant (asked for after a b_transport that
    /// allowed it). The owner must pass its socket's invalidate_direct_mem_ptr calls to invalidate_dmi().
    void enable_dmi() { dmi_on_ = true; }
    void invalidate_dmi(std::uint64_t start, std::uint64_t end) { dmi_.invalidate(start, end); }
    /// Stores of the 8-byte `value` from `addr` up, at most `count`, each costing `before` (the initiator's own
    /// time per store, added first) and then the region's write latency, served from a granted DMI region as
    /// long as each is exactly what access() would do: the same region and no sync falling due, and no store but
    /// the first beginning at or after `until` (the caller looks for what may happen then, e.g. an interrupt, before
    /// the first). Returns the stores made (0: none; the caller makes the next one itself).
    std::uint64_t store_run(std::uint64_t addr, std::uint64_t value, std::uint64_t count, const sc_core::sc_time& before,
                            const sc_core::sc_time& until);
    /// Debug access: no time, no side effects the target would not allow on debug.
    unsigned debug(tlm::tlm_command cmd, std::uint64_t addr, void* data, unsigned len);

    /// Time passes locally (e.g. the CPU executes for this long). Syncs when the quantum is exceeded.
    void consume(const sc_core::sc_time& t);
    /// Bring the kernel up to the local time.
    void sync();
    /// Synchronise, then wait until `deadline` (absolute) or until `ev` fires, whichever is first; the local
    /// offset is zero afterwards. Returns false when the deadline passed without the event. With a zero local
    /// offset the wait begins at once (no delta first): a caller that syncs, looks at the state `ev` signals,
    /// then calls this misses no notification made after its look.
    bool wait_until(const sc_core::sc_time& deadline, const sc_core::sc_event& ev);
    /// Synchronise, then wait until `deadline` (absolute); the local offset is zero afterwards.
    void wait_until(const sc_core::sc_time& deadline);
    /// sc_time_stamp() + local offset.
    sc_core::sc_time now() const { return kernel_time() + local_; }
    const sc_core::sc_time& local_offset() const { return local_; }
    /// Delay the last access took (as annotated by the target).
    const sc_core::sc_time& last_delay() const { return last_delay_; }

private:
    tlm::tlm_base_initiator_socket<>& socket_;
    /// Local offset zero; the next sync point is the end of the global quantum the kernel's time lies in.
    void reset_local();
    bool need_sync() const { return kernel_time() + local_ >= next_sync_; }
    void sync_local();

    sc_core::sc_time local_;     // how far this thread runs ahead of the kernel
    sc_core::sc_time next_sync_; // absolute time at which it synchronises
    tlm::tlm_generic_payload payload_;
    sc_core::sc_time last_delay_;
    bool dmi_on_ = false;
    dmi_cache dmi_;
    // wait_until(deadline, ev): one timeout event per master, kept notified at the earliest deadline still
    // ahead, so a wait the event ends early leaves no cancelled notification behind in the kernel's queue (a
    // fresh timeout per wait would leave one per wait there until its time passed), and `ev | timeout_ev_`
    // (built once per event waited on; an expression would allocate a list per wait).
    sc_core::sc_event timeout_ev_;
    sc_core::sc_event_or_list either_;
    const sc_core::sc_event* either_of_ = nullptr;
};

} // namespace dbvp
