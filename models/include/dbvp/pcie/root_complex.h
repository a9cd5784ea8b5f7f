// dbvp — PCIe host root complex.
//
// The host side of the platform: host memory, a host initiator that issues configuration, memory-read and
// memory-write requests down the link, and a receiver for what the endpoint sends up (DMA into host memory,
// MSI writes). Every downstream request carries the requester ID of the root port (params.root_port, a BDF);
// the endpoint sits on params.secondary_bus.
//
// Host address map (host physical addresses):
//   [mem_base, mem_base + mem_size)          host memory (a dbvp::memory inside the root complex)
//   [msi_address, msi_address + 4)           MSI target: an upstream write of 4 bytes here is an MSI
//   [mmio32_base, +mmio32_size)              32-bit non-prefetchable window, forwarded down the link
//   [mmio64_base, +mmio64_size)              64-bit prefetchable window, forwarded down the link
// Upstream writes outside host memory and the MSI target are dropped and counted; upstream reads there
// complete with UR.
//
// Host software (sw/host) runs in an SC_THREAD of the caller's choice and talks to the hardware through
// host_hal(), the root complex's implementation of dbvp::host::hal. Requests pass through the root complex's
// own pipeline (latency cycles of its clock) with temporal decoupling (the global quantum).
#pragma once

#include "dbvp/core/clocked.h"
#include "dbvp/core/irq.h"
#include "dbvp/core/master.h"
#include "dbvp/host/hal.h"
#include "dbvp/mem/memory.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

namespace dbvp::pcie {

class root_complex : public sc_core::sc_module, public clocked, public irq_sink {
public:
    struct params {
        std::uint64_t clock_hz = 1000000000;
        unsigned latency = 20;                 // cycles per request through the host bridge (each direction)
        std::uint16_t root_port = 0x0000;      // BDF of the root port: requester ID of host requests
        std::uint8_t secondary_bus = 1;        // bus number of the link below the root port
        std::uint64_t mem_base = 0x80000000, mem_size = 0x10000000;
        std::uint64_t msi_address = 0xfee00000;
        std::uint64_t mmio32_base = 0x40000000, mmio32_size = 0x20000000;
        std::uint64_t mmio64_base = 0x4000000000ull, mmio64_size = 0x100000000ull;
        dbvp::memory::params mem_timing;       // host memory timing (its size is mem_size)
    };

    tlm_utils::simple_initiator_socket<root_complex> down; // to link.down_in
    tlm_utils::simple_target_socket<root_complex> up;      // from link.up_out

    root_complex(sc_core::sc_module_name name, const params& p);
    ~root_complex() override;

    /// The host HAL; call only from an SC_THREAD.
    host::hal& host_hal();
    /// Host memory (direct view for loaders and checks).
    dbvp::memory& host_memory() { return *mem_; }
    const params& get_params() const { return p_; }

    /// Every MSI received, in arrival order (also consumed one by one by host_hal().wait_msi()).
    const std::vector<host::msi_message>& msi_log() const { return msi_log_; }

    struct counters {
        std::uint64_t upstream_dropped = 0, upstream_ur = 0, msis = 0;
    };
    const counters& stats() const { return stats_; }

    /// Link state input (bind link.link_up to input 0).
    void irq_level(unsigned input, bool level, const sc_core::sc_time& offset) override;
    bool link_is_up() const { return link_up_; }

private:
    class hal_impl;
    friend class hal_impl;

    void b_transport_up(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
    unsigned dbg_up(tlm::tlm_generic_payload& p);

    params p_;
    std::unique_ptr<dbvp::memory> mem_;
    tlm_utils::simple_initiator_socket<root_complex> mem_port_; // to host memory
    std::unique_ptr<hal_impl> hal_;
    std::vector<host::msi_message> msi_log_;
    std::vector<sc_core::sc_time> msi_at_; // exact arrival time of each msi_log_ entry
    std::size_t msi_next_ = 0; // next message wait_msi() returns
    sc_core::sc_event msi_ev_;
    sc_core::sc_event link_ev_;
    bool link_up_ = false;
    counters stats_;
};

} // namespace dbvp::pcie
