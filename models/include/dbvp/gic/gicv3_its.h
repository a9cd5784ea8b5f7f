// dbvp — Arm GICv3 Interrupt Translation Service (ITS).
//
// Sockets
//   regs   target     ITS register frames: control frame at 0x0 (GITS_CTLR, IIDR, TYPER, CBASER, CWRITER, CREADR,
//                     BASER0..7, ID registers) and translation frame at 0x10000 (GITS_TRANSLATER at 0x10040)
//   mem    initiator  command queue, device table, ITTs and collection table in simulated memory
//   connect(lpi_sink_if&) binds the redistributors LPIs are delivered to.
//
// Engines: a command thread processes the queue from CREADR up to CWRITER whenever CWRITER moves (and the ITS is
// enabled); a translation thread drains a FIFO of writes to GITS_TRANSLATER. Both read and write their tables
// through `mem`, charging the latency it returns, plus cmd_latency / translate_latency cycles. A translation
// cache (cache_entries, invalidated by the commands as the architecture requires) avoids table reads; on a miss,
// a device cache and a collection cache (device_cache_entries, collection_cache_entries) hold the device and
// collection table entries, so only the ITT entry is read.
//
// Translation: DeviceID comes from the write's pcie_attr (device_id, has_device_id) — never from the address —
// and EventID from the 32-bit data. An untranslatable write (ITS disabled, no DeviceID, DeviceID out of range or
// unmapped, EventID out of range or unmapped, collection unmapped, memory error) is dropped: the bus answers OK
// (the requester cannot tell), the drop is counted and recorded with the reason and the IDs. A write to a full
// FIFO waits for room (bus back-pressure: the writer's b_transport returns once the engine has taken a request;
// held writes go in in arrival order), or is dropped (fifo_full) with stall_when_full off or from a writer that
// cannot wait.
// Commands: parameter errors skip the command and are recorded (with the E_ITS_* code); memory errors stall the
// queue (GITS_CREADR.Stalled) until CWRITER is written with Retry or the ITS is re-enabled.
//
// Table formats (implementation defined; the driver only sizes them from GITS_TYPER / GITS_BASER<n>):
//   device table entry (8 B):  [0] Valid, [5:1] Size (EventID bits - 1), [51:8] ITT address (256-byte aligned)
//   ITT entry (itt_entry_size B, GITS_TYPER.ITT_entry_size + 1): [0] Valid, [1] physical, [25:2] pINTID,
//                              [47:32] ICID
//   collection table entry (8 B): [0] Valid, [51:16] RDbase (processor number, PTA = 0)
// See docs/models/gicv3_its.md for the register coverage table.
#pragma once

#include "dbvp/core/clocked.h"
#include "dbvp/gic/gicv3.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

namespace dbvp::gic {

class gicv3_its : public sc_core::sc_module, public clocked {
public:
    struct params {
        std::uint64_t clock_hz = 500000000;
        unsigned devbits = 16;         // DeviceID bits (GITS_TYPER.Devbits + 1), 1..32
        unsigned idbits = 16;          // EventID bits (GITS_TYPER.IDbits + 1), 1..32
        unsigned cidbits = 16;         // collection ID bits (GITS_TYPER.CIDbits + 1)
        unsigned itt_entry_size = 8;   // bytes per ITT entry (GITS_TYPER.ITT_entry_size + 1), 6..16
        unsigned reg_latency = 4;      // cycles per register access
        unsigned cmd_latency = 20;     // cycles per command, plus its memory accesses
        unsigned translate_latency = 10; // cycles per translation, plus table reads on a cache miss
        unsigned cache_entries = 64;   // translation cache (DeviceID, EventID) -> (INTID, processor); 0 = none
        unsigned device_cache_entries = 16;     // device table entries cached (DeviceID -> ITT, size); 0 = none
        unsigned collection_cache_entries = 16; // collection table entries cached (ICID -> processor); 0 = none
        unsigned fifo_depth = 64;      // buffered TRANSLATER writes
        // A TRANSLATER write to a full FIFO: true (the default), the writer is held until the engine takes a
        // request (bus back-pressure: its b_transport waits, from a thread); false, or a writer that cannot
        // wait (not in an SC_THREAD), the write is dropped (fifo_full).
        bool stall_when_full = true;
    };

    tlm_utils::simple_target_socket<gicv3_its> regs;
    tlm_utils::simple_initiator_socket<gicv3_its> mem;

    gicv3_its(sc_core::sc_module_name name, const params& p);
    ~gicv3_its() override;

    void connect(lpi_sink_if& redistributors);
    const params& get_params() const { return p_; }

    enum class drop_reason {
        disabled,            // GITS_CTLR.Enabled = 0
        no_device_id,        // the write carried no DeviceID
        device_out_of_range, // DeviceID >= 2^devbits or beyond the device table
        device_unmapped,     // no valid device table entry
        event_out_of_range,  // EventID beyond the device's ITT size
        event_unmapped,      // no valid ITT entry
        collection_unmapped, // the ITT entry's collection has no valid entry
        lpi_refused,         // the redistributor refused the LPI (LPIs disabled there, INTID out of range)
        memory_error,        // a table read failed
        fifo_full,           // translation FIFO full (stall_when_full off, or a writer that cannot wait)
        bad_access,          // TRANSLATER accessed with a size other than 2 or 4 bytes, or read
    };
    static const char* to_string(drop_reason r);
    struct drop {
        sc_core::sc_time time;
        drop_reason reason;
        bool has_device_id;
        std::uint32_t device_id;
        std::uint32_t event_id;
    };
    const std::deque<drop>& drops() const { return drops_; }

    struct command_error {
        sc_core::sc_time time;
        std::uint8_t opcode;
        std::uint32_t code;      // E_ITS_* error code (e.g. 0x010a04 MAPTI unmapped device); 0 for unknown opcodes
        std::uint64_t queue_offset;
    };
    const std::deque<command_error>& command_errors() const { return command_errors_; }

    struct counters {
        std::uint64_t translations = 0, lpis = 0, commands = 0, cache_hits = 0, cache_misses = 0;
        std::uint64_t fifo_stalls = 0; // TRANSLATER writes held for room (or behind held writes)
        // Device and collection caches, looked up on a translation cache miss.
        std::uint64_t device_cache_hits = 0, device_cache_misses = 0;
        std::uint64_t collection_cache_hits = 0, collection_cache_misses = 0;
    };
    const counters& stats() const { return stats_; }
    /// GITS_CREADR.Stalled
    bool stalled() const;

private:
    void b_transport_cb(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
    unsigned transport_dbg_cb(tlm::tlm_generic_payload& p);
    void invalidate_dmi_cb(sc_dt::uint64 start, sc_dt::uint64 end);

    struct impl;
    std::unique_ptr<impl> m_;
    params p_;
    std::deque<drop> drops_;
    std::deque<command_error> command_errors_;
    counters stats_;
};

} // namespace dbvp::gic
