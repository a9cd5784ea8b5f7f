// dbvp — PCIe link between the root complex and the endpoint.
//
// Two directions: downstream (root complex -> endpoint: down_in -> down_out) and upstream (endpoint -> root
// complex: up_in -> up_out). Every request that crosses is a TLP carrying a pcie_attr. Each TLP costs
// serialization time from its size and the link rate:
//     bytes = header (12 B for 32-bit addresses / config, 16 B for 64-bit addresses and messages) +
//             payload (writes; whole DWORDs covering the bytes written) +
//             framing (framing_bytes, default 8: STP/END tokens, sequence number, LCRC)
//     time  = bytes * symbols-per-byte / (lanes * rate); 8b/10b below Gen3 (10 bits per byte at 2.5/5 GT/s),
//             128b/130b from Gen3 (8.125 bits per byte at 8/16/32 GT/s)
// plus `latency` cycles of the link clock for the PHY/data-link pipeline, per crossing. A non-posted request
// pays for the request downstream and the completion (12 B header + read payload + framing) upstream.
// Each direction is a resource: a TLP starts no earlier than the end of the previous TLP in the same
// direction (bandwidth is shared, back-to-back TLPs queue).
//
// Link training: the endpoint drives ltssm_enable (an irq_sink input, 0); training_time after it rises the
// link is up and link_up rises. Requests while the link is down are not forwarded: non-posted requests complete
// with UR (status cpl_status::ur and TLM_ADDRESS_ERROR_RESPONSE), posted ones are dropped; both are counted.
#pragma once

#include "dbvp/core/clocked.h"
#include "dbvp/core/irq.h"
#include "dbvp/core/sideband.h"

#include <cstdint>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

namespace dbvp::pcie {

class link : public sc_core::sc_module, public clocked, public irq_sink {
public:
    struct params {
        unsigned generation = 3;       // 1..5 (2.5, 5, 8, 16, 32 GT/s)
        unsigned width = 4;            // lanes: 1, 2, 4, 8, 16
        std::uint64_t clock_hz = 250000000;
        unsigned latency = 40;         // cycles of the link clock per crossing (PHY + data link layer pipeline)
        unsigned framing_bytes = 8;    // per TLP
        std::uint64_t training_ns = 1000; // LTSSM enable -> link up
    };

    tlm_utils::simple_target_socket<link> down_in;
    tlm_utils::simple_initiator_socket<link> down_out;
    tlm_utils::simple_target_socket<link> up_in;
    tlm_utils::simple_initiator_socket<link> up_out;
    irq_out link_up;

    link(sc_core::sc_module_name name, const params& p);

    bool is_up() const { return up_; }
    const params& get_params() const { return p_; }

    /// Serialization time of a TLP of `payload` bytes with a header of `header` bytes (framing added).
    sc_core::sc_time serialization(unsigned header, unsigned payload) const;
    /// Header size of the TLP a payload represents (12 or 16 bytes).
    static unsigned header_bytes(const tlm::tlm_generic_payload& p);

    struct counters {
        std::uint64_t down_tlps = 0, up_tlps = 0, down_bytes = 0, up_bytes = 0, dropped_link_down = 0;
    };
    const counters& stats() const { return stats_; }

    void irq_level(unsigned input, bool level, const sc_core::sc_time& offset) override;

private:
    void b_transport_down(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
    void b_transport_up(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
    unsigned dbg_down(tlm::tlm_generic_payload& p);
    unsigned dbg_up(tlm::tlm_generic_payload& p);
    void training();
    /// Forward a TLP in direction dir (0 down, 1 up) and account for its completion on the way back.
    void forward(unsigned dir, tlm_utils::simple_initiator_socket<link>& out, tlm::tlm_generic_payload& p,
                 sc_core::sc_time& delay);
    /// Occupy direction dir with one TLP that is ready at sc_time_stamp() + delay; returns the new delay
    /// (end of serialization + pipeline latency, relative to sc_time_stamp()).
    sc_core::sc_time occupy(unsigned dir, unsigned header, unsigned payload, const sc_core::sc_time& delay);
    /// Tracing: the TLP that occupy() just placed in direction dir.
    void trace_tlp(unsigned dir, const char* what, bool cpl, const tlm::tlm_generic_payload& p,
                   const pcie_attr& a, unsigned header, unsigned payload, const sc_core::sc_time& arrive,
                   const sc_core::sc_time& delay) const;

    params p_;
    bool up_ = false;
    bool ltssm_ = false;
    std::uint64_t ltssm_changes_ = 0; // restarts training when ltssm_enable changes while it runs
    sc_core::sc_event train_ev_;
    sc_core::sc_time busy_until_[2]; // per direction, absolute time
    counters stats_;
};

} // namespace dbvp::pcie
