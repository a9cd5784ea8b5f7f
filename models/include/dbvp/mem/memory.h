// dbvp — RAM with DMI.
//
// Byte-addressed RAM of a given size, zero at start (pages are only touched when written). Accesses of any
// size inside the RAM succeed; each read costs read_latency cycles and each write write_latency cycles of the
// memory clock. Debug transport copies without time. DMI is granted for the whole RAM with the same latencies.
// Out-of-range accesses answer TLM_ADDRESS_ERROR_RESPONSE with a warning.
#pragma once

#include "dbvp/core/clocked.h"

#include <cstdint>
#include <memory>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

namespace dbvp {

class memory : public sc_core::sc_module, public clocked {
public:
    struct params {
        std::uint64_t size = 0x100000;
        std::uint64_t clock_hz = 1000000000;
        unsigned read_latency = 10;  // cycles
        unsigned write_latency = 10; // cycles
    };

    tlm_utils::simple_target_socket<memory> socket;

    memory(sc_core::sc_module_name name, const params& p);
    ~memory() override;

    std::uint64_t size() const { return p_.size; }
    const params& get_params() const { return p_; }
    /// Direct host-side view of the storage (for benches and loaders; no time).
    std::uint8_t* data() { return mem_; }

private:
    void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
    unsigned transport_dbg(tlm::tlm_generic_payload& p);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& p, tlm::tlm_dmi& dmi);

    params p_;
    std::uint8_t* mem_ = nullptr;
};

} // namespace dbvp
