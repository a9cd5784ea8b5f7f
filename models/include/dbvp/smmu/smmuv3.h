// dbvp — Arm SMMUv3 (subset) on an upstream master path (the PCIe endpoint controller's inbound requests).
//
// Sockets and pins
//   regs      target     register pages 0 and 1 (128 KiB): IDR0..5, CR0/CR0ACK, CR1, CR2, GBPA, IRQ_CTRL(ACK),
//                        GERROR/GERRORN, STRTAB_BASE, STRTAB_BASE_CFG, CMDQ_BASE/PROD/CONS, EVTQ_BASE,
//                        EVTQ_PROD/CONS (page 1: 0x100a8/0x100ac), EVTQ_IRQ_CFG0..2
//   in        target     transactions from the device; the StreamID comes from the pcie_attr (stream_id,
//                        has_stream_id)
//   out       initiator  translated transactions to the interconnect (same payload, address replaced)
//   walker    initiator  stream table, context descriptors, page tables, command and event queues
//   evtq_irq  irq_out    event queue interrupt (level: high while EVTQ_PROD != EVTQ_CONS and enabled in IRQ_CTRL)
//   gerror_irq irq_out   global error interrupt
//
// Translation of an incoming transaction (SMMUEN = 1): configuration lookup (config cache, else the stream table
// walk: linear or 2-level, STE 64 bytes) -> STE.Config abort / bypass / stage-1; stage 1 reads the context
// descriptor (64 bytes) and walks AArch64 4 KiB-granule tables (TTB0, T0SZ) with a TLB in front; write permission
// from the descriptor's AP bits. SMMUEN = 0: GBPA.ABORT decides abort or bypass.
// Faults answer the transaction with TLM_ADDRESS_ERROR_RESPONSE (the device sees an abort) and write an event
// record (C_BAD_STREAMID, C_BAD_STE, F_STE_FETCH, C_BAD_CD, F_CD_FETCH, F_TRANSLATION, F_PERMISSION,
// F_WALK_EABT, F_STREAM_DISABLED) to the event queue when it is enabled and not full (else counted as lost).
// Walks run in the walker thread; the device's transaction waits for it and is charged the walk's latency.
// Command queue (processed by a command thread when CMDQ_PROD moves): CMD_CFGI_STE, CMD_CFGI_STE_RANGE,
// CMD_CFGI_CD, CMD_CFGI_ALL, CMD_TLBI_NH_ALL, CMD_TLBI_NH_VA, CMD_TLBI_NSNH_ALL, CMD_SYNC; an invalid command
// sets GERROR.CMDQ_ERR with CMDQ_CONS.ERR = CERROR_ILL.
// See docs/models/smmuv3.md for the coverage table.
#pragma once

#include "dbvp/core/clocked.h"
#include "dbvp/core/irq.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

namespace dbvp::smmu {

class smmuv3 : public sc_core::sc_module, public clocked {
public:
    struct params {
        std::uint64_t clock_hz = 500000000;
        unsigned sid_bits = 16;          // IDR1.SIDSIZE
        unsigned reg_latency = 4;        // cycles per register access
        unsigned lookup_latency = 4;     // cycles per translated transaction (config cache + TLB hit)
        unsigned walk_step_latency = 2;  // cycles per table read, plus the memory's own latency
        unsigned cmd_latency = 10;       // cycles per command
        unsigned config_cache_entries = 32; // STE + CD cache; 0 = walk every time
        unsigned tlb_entries = 64;       // 0 = walk every time
    };

    tlm_utils::simple_target_socket<smmuv3> regs;
    tlm_utils::simple_target_socket<smmuv3> in;
    tlm_utils::simple_initiator_socket<smmuv3> out;
    tlm_utils::simple_initiator_socket<smmuv3> walker;
    irq_out evtq_irq;
    irq_out gerror_irq;

    smmuv3(sc_core::sc_module_name name, const params& p);
    ~smmuv3() override;

    const params& get_params() const { return p_; }

    /// Event record as written to the event queue (also kept here, including events lost to a full/disabled
    /// queue, for tests and explain-why).
    struct event {
        sc_core::sc_time time;
        std::uint8_t id;         // F_TRANSLATION = 0x10, C_BAD_STREAMID = 0x02 ...
        std::uint32_t stream_id;
        std::uint64_t address;   // input address of the transaction (or fetch address for *_FETCH)
        bool write;
        bool recorded;           // written to the event queue (false: queue disabled or full)
    };
    static const char* event_name(std::uint8_t id);
    const std::deque<event>& events() const { return events_; }

    struct counters {
        std::uint64_t translated = 0, bypassed = 0, aborted = 0, faults = 0, config_hits = 0, config_misses = 0,
                      tlb_hits = 0, tlb_misses = 0, commands = 0;
    };
    const counters& stats() const { return stats_; }

private:
    void invalidate_dmi_cb(sc_dt::uint64 start, sc_dt::uint64 end);
    // Socket callbacks (simple_target_socket<smmuv3> needs smmuv3 members) and engine threads; they forward to
    // impl.
    enum class port { regs, in };
    template <port P> void b_transport_cb(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
    template <port P> unsigned transport_dbg_cb(tlm::tlm_generic_payload& p);
    void walker_thread();
    void command_thread();

    struct impl;
    std::unique_ptr<impl> m_;
    params p_;
    std::deque<event> events_;
    counters stats_;
};

} // namespace dbvp::smmu
