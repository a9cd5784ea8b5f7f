// dbvp — Arm GICv3 distributor, one redistributor and one CPU interface (the endpoint CPU).
//
// Sockets and pins
//   gicd   target     distributor registers (64 KiB frame, GICD_*)
//   gicr   target     the redistributor: RD_base frame (64 KiB) then SGI_base frame (64 KiB), GICR_*
//   mem    initiator  LPI configuration table (GICR_PROPBASER) and pending table (GICR_PENDBASER) reads/writes
//   irq    irq_out    nIRQ to the CPU: high while an enabled pending interrupt beats the running priority
//   irq_sink inputs   input n = SPI INTID 32 + n; level or edge per GICD_ICFGR
//   cpu_interrupt_if  acknowledge / end_of_interrupt for the CPU (ICC_IAR1_EL1 / ICC_EOIR1_EL1 semantics)
//   lpi_sink_if       LPIs from the ITS (see gicv3_its.h)
//
// LPIs (INTID >= 8192): enabled only while GICR_CTLR.EnableLPIs; their enable bit and priority come from the
// configuration table in memory (one byte per LPI: bit 0 enable, bits [7:2] priority), cached (invalidated by
// the ITS INV/INVALL commands); their pending state lives in the pending table in memory (one bit per INTID).
// An LPI that arrives disabled stays pending in the table and is delivered once enabled and invalidated.
// See docs/models/gicv3.md for the register coverage table.
#pragma once

#include "dbvp/core/clocked.h"
#include "dbvp/core/irq.h"

#include <cstdint>
#include <memory>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

namespace dbvp::gic {

constexpr unsigned first_spi = 32;
constexpr unsigned first_lpi = 8192;

/// What the ITS needs of the redistributors (called from the ITS engine thread; may wait).
class lpi_sink_if {
public:
    virtual ~lpi_sink_if() = default;
    /// Number of redistributors (processor numbers 0..n-1, GITS_TYPER.PTA = 0).
    virtual unsigned num_processors() const = 0;
    /// Make LPI `intid` pending on redistributor `processor` at sc_time_stamp() + offset. Returns false (and
    /// changes nothing) when the processor does not exist or LPIs are disabled there or intid is out of range.
    virtual bool set_lpi_pending(unsigned processor, unsigned intid, sc_core::sc_time& offset) = 0;
    /// CLEAR command: remove the pending state.
    virtual void clear_lpi_pending(unsigned processor, unsigned intid, sc_core::sc_time& offset) = 0;
    /// INV / INVALL: the configuration table changed for one LPI / all LPIs of the processor.
    virtual void invalidate_lpi(unsigned processor, unsigned intid, sc_core::sc_time& offset) = 0;
    virtual void invalidate_all_lpis(unsigned processor, sc_core::sc_time& offset) = 0;
    /// MOVI / MOVALL: move pending state between processors.
    virtual void move_lpi(unsigned from, unsigned to, unsigned intid, sc_core::sc_time& offset) = 0;
};

class gicv3 : public sc_core::sc_module,
              public clocked,
              public irq_sink,
              public cpu_interrupt_if,
              public lpi_sink_if {
public:
    struct params {
        std::uint64_t clock_hz = 500000000;
        unsigned num_spis = 64;       // multiple of 32, 32..988
        unsigned lpi_id_bits = 16;    // GICD_TYPER.IDbits + 1 (LPIs 8192 .. 2^bits - 1)
        unsigned reg_latency = 4;     // cycles per register access
        unsigned deliver_latency = 8; // cycles from pending to nIRQ
        unsigned lpi_cache_entries = 256; // LPI configuration cache (0: read the table every time)
    };

    tlm_utils::simple_target_socket<gicv3> gicd;
    tlm_utils::simple_target_socket<gicv3> gicr;
    tlm_utils::simple_initiator_socket<gicv3> mem;
    irq_out irq;

    gicv3(sc_core::sc_module_name name, const params& p);
    ~gicv3() override;

    const params& get_params() const { return p_; }

    // irq_sink (SPIs)
    void irq_level(unsigned input, bool level, const sc_core::sc_time& offset) override;
    void irq_edge(unsigned input, const sc_core::sc_time& offset) override;
    // cpu_interrupt_if
    unsigned acknowledge(const sc_core::sc_time& offset = sc_core::SC_ZERO_TIME) override;
    void end_of_interrupt(unsigned intid, const sc_core::sc_time& offset = sc_core::SC_ZERO_TIME) override;
    // lpi_sink_if
    unsigned num_processors() const override { return 1; }
    bool set_lpi_pending(unsigned processor, unsigned intid, sc_core::sc_time& offset) override;
    void clear_lpi_pending(unsigned processor, unsigned intid, sc_core::sc_time& offset) override;
    void invalidate_lpi(unsigned processor, unsigned intid, sc_core::sc_time& offset) override;
    void invalidate_all_lpis(unsigned processor, sc_core::sc_time& offset) override;
    void move_lpi(unsigned from, unsigned to, unsigned intid, sc_core::sc_time& offset) override;

    /// Inspection for tests and explain-why (no side effects).
    bool is_pending(unsigned intid) const;
    bool is_active(unsigned intid) const;
    bool is_enabled(unsigned intid) const;
    unsigned priority(unsigned intid) const;

    struct counters {
        std::uint64_t acknowledged = 0, spurious = 0, lpis_set = 0, lpis_refused = 0;
    };
    const counters& stats() const { return stats_; }

private:
    // Socket callbacks (Port 0: gicd, 1: gicr).
    template <int Port> void b_transport_cb(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
    template <int Port> unsigned transport_dbg_cb(tlm::tlm_generic_payload& p);
    void invalidate_dmi_cb(sc_dt::uint64 start, sc_dt::uint64 end);

    struct impl;
    std::unique_ptr<impl> m_;
    params p_;
    counters stats_;
};

} // namespace dbvp::gic
