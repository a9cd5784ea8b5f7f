// dbvp — address router (the SoC interconnect).
//
// Any number of initiators bind to `in`, any number of targets to `out`. map(port, base, size) routes the range
// [base, base+size) to out[port]; the target sees addresses relative to base. Ranges may not overlap.
// Each routed access costs `latency` cycles of the router clock. A decode miss answers
// TLM_ADDRESS_ERROR_RESPONSE, is reported as a guest warning naming the address, and is counted (misses()).
// Debug transport and DMI requests are forwarded with addresses translated both ways; DMI invalidations from a
// target are translated back to the initiators' address space.
#pragma once

#include "dbvp/core/clocked.h"

#include <cstdint>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <vector>

namespace dbvp {

class router : public sc_core::sc_module, public clocked {
public:
    struct params {
        std::uint64_t clock_hz = 1000000000;
        unsigned latency = 2; // cycles per routed access
    };

    tlm_utils::multi_passthrough_target_socket<router> in;
    tlm_utils::multi_passthrough_initiator_socket<router> out;

    router(sc_core::sc_module_name name, const params& p);

    /// Route [base, base+size) to out[port]. Throws std::logic_error on overlap. `label` names the target in
    /// warnings and memory-map dumps.
    void map(unsigned port, std::uint64_t base, std::uint64_t size, std::string label = {});

    struct range {
        std::uint64_t base, size;
        unsigned port;
        std::string label;
    };
    const std::vector<range>& ranges() const { return map_; }
    std::uint64_t misses() const { return misses_; }

private:
    const range* decode(std::uint64_t addr, unsigned len) const;
    void b_transport(int id, tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
    unsigned transport_dbg(int id, tlm::tlm_generic_payload& p);
    bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& p, tlm::tlm_dmi& dmi);
    void invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end);

    params p_;
    std::vector<range> map_; // sorted by base
    mutable std::size_t last_ = 0; // the range the last decode found (tried first: traffic comes in runs)
    std::uint64_t misses_ = 0;
};

} // namespace dbvp
