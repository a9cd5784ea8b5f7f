// dbvp — Synopsys DesignWare PCIe endpoint controller (DWC EP), TLM model.
//
// Sockets
//   dbi        target   DBI register window from the endpoint CPU: per-function Type-0 configuration space at
//                       func * func_dbi_stride, the port-logic registers (0x700..0xfff of function 0's page)
//   dbi2       target   DBI2 shadow (CS2) registers: BAR masks at 0x10 + 4*n of each function's page
//   atu        target   unrolled iATU block: region i outbound at i*0x200, inbound at i*0x200 + 0x100
//   app        target   generic SoC glue ("app"/"elbi"): 0x0 APP_CTRL (bit 0 LTSSM_EN), 0x4 APP_STATUS
//                       (bit 0 link up). SoC presets may rename it; the bits are documented in docs/models.
//   addr_space target   outbound window: endpoint CPU accesses here (offset o = CPU address addr_space_base+o)
//                       are translated by the outbound iATU into TLPs to the host
//   pcie_in    target   TLPs from the link (configuration and memory requests from the host)
//   pcie_out   initiator TLPs to the link (outbound memory requests, MSI writes)
//   axi_out    initiator inbound requests after iATU translation, into the endpoint SoC interconnect
//   dma_in     target   TLPs of the integrated eDMA (bind dwc_edma.pcie): sent on the link with function 0's
//                       captured requester ID, after outbound_latency
//   ltssm_enable         irq_out driven from APP_CTRL.LTSSM_EN (bind to link input 0)
//   link state input     irq_sink input 0 (bind link.link_up): updates APP_STATUS and the link status register
//
// Inbound memory requests: the BAR hit is decided from the function's BAR registers (memory space enabled);
// a reserved BAR forwards to its fixed SoC address without the iATU; otherwise the enabled inbound regions are
// searched in index order (BAR-match: same BAR and, with FUNC_NUM_MATCH_EN, same function; address-match:
// base <= address <= limit, same function when matched) and the first match translates. A request that hits no
// BAR or no region: a read completes with UR, a posted write is dropped; both are recorded (incidents()).
// See docs/models/dwc_ep.md for the register coverage table and timing.
#pragma once

#include "dbvp/core/clocked.h"
#include "dbvp/core/irq.h"
#include "dbvp/core/master.h"
#include "dbvp/core/regbank.h"
#include "dbvp/core/sideband.h"

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

namespace dbvp::pcie {

enum class bar_type { programmable, fixed, resizable, reserved, disabled };
const char* to_string(bar_type t);

struct bar_config {
    bar_type type = bar_type::programmable;
    std::uint64_t fixed_size = 0;       // fixed and reserved BARs: size in bytes (power of two)
    bool is64 = false;                  // fixed and reserved BARs: 64-bit (takes BAR n+1 too)
    bool prefetchable = false;          // fixed and reserved BARs
    std::uint64_t reserved_target = 0;  // reserved BARs: SoC address the BAR is hard-wired to
};

class dwc_ep : public sc_core::sc_module, public clocked, public irq_sink {
public:
    struct params {
        std::uint64_t clock_hz = 250000000;
        unsigned num_functions = 1;           // physical functions (1..8)
        std::uint64_t func_dbi_stride = 0x10000; // DBI offset between functions' configuration pages
        unsigned num_ib_windows = 16;         // inbound iATU regions (1..256)
        unsigned num_ob_windows = 16;         // outbound iATU regions (1..256)
        std::uint64_t atu_size = 0x20000;     // size of the atu register window (regions beyond it are absent)
        std::uint64_t min_region_size = 0x10000; // CX_ATU_MIN_REGION_SIZE: 4 KB .. 64 KB, power of two
        std::uint32_t max_region_upper = 0x0; // UPPER_LIMIT writable bits (0: regions up to 4 GB)
        std::uint32_t version_number = 0x3534302a; // PCIE_VERSION_NUMBER ("5.40a")
        std::uint32_t version_type = 0x3030302a;   // PCIE_VERSION_TYPE
        std::uint16_t vendor_id = 0x16c3, device_id = 0xabcd; // Synopsys default IDs
        std::uint32_t class_code = 0xff0000;  // class/subclass/prog-if
        unsigned msi_vectors = 32;            // MSI Multiple Message Capable (1..32, power of two)
        unsigned link_generation = 3, link_width = 4; // advertised in the link capabilities
        std::uint64_t addr_space_base = 0;    // CPU address of the outbound window (parent bus address)
        std::uint64_t addr_space_size = 0x10000000;
        std::array<bar_config, 6> bars{};     // per BAR (same for every function)
        // Latencies, cycles of the controller clock.
        unsigned dbi_latency = 4;      // DBI/DBI2/ATU/APP register access
        unsigned inbound_latency = 8;  // TLP receive: decode + BAR match
        unsigned atu_latency = 2;      // iATU lookup (inbound or outbound)
        unsigned outbound_latency = 8; // TLP transmit
        unsigned atu_enable_delay = 4; // REGION_CTRL2.ENABLE write -> reads back set (enable handshake)
        // Observed on RK3588 (not architecture; see docs/models/dwc_ep.md): while an enabled inbound iATU region
        // translates into the SoC range of a reserved BAR, host accesses to that range fail through both the
        // reserved BAR and the iATU (writes dropped, reads completer abort).
        bool quirk_reserved_bar_alias = false;
    };

    tlm_utils::simple_target_socket<dwc_ep> dbi;
    tlm_utils::simple_target_socket<dwc_ep> dbi2;
    tlm_utils::simple_target_socket<dwc_ep> atu;
    tlm_utils::simple_target_socket<dwc_ep> app;
    tlm_utils::simple_target_socket<dwc_ep> addr_space;
    tlm_utils::simple_target_socket<dwc_ep> pcie_in;
    tlm_utils::simple_target_socket_optional<dwc_ep> dma_in; // may stay unbound (no eDMA)
    tlm_utils::simple_initiator_socket<dwc_ep> pcie_out;
    tlm_utils::simple_initiator_socket<dwc_ep> axi_out;
    irq_out ltssm_enable;

    dwc_ep(sc_core::sc_module_name name, const params& p);
    ~dwc_ep() override;

    const params& get_params() const { return p_; }

    /// Why an inbound or outbound request was not delivered.
    enum class incident_kind {
        inbound_no_bar,       // memory request matched no enabled BAR of any function
        inbound_no_region,    // BAR hit, but no enabled inbound iATU region matched
        inbound_bad_type,     // TLP type the endpoint does not accept (e.g. config type 1)
        inbound_target_error, // translated request got an error response from the SoC interconnect
        outbound_no_region,   // CPU access to addr_space matched no enabled outbound region
        outbound_link_error,  // outbound request failed on the link (UR, link down)
        config_no_function,   // configuration request to a device/function that does not exist
        dma_link_error,       // eDMA request failed on the link (UR, CA, link down)
        inbound_alias_conflict, // quirk_reserved_bar_alias: a reserved BAR's range is also an iATU target
    };
    struct incident {
        sc_core::sc_time time;
        incident_kind kind;
        bool posted;             // posted write (dropped) or non-posted (completed with UR / error)
        std::uint64_t address;   // PCIe address (inbound) or CPU address (outbound)
        std::uint16_t requester; // requester ID
        std::uint8_t function;
        std::int8_t bar;
    };
    static const char* to_string(incident_kind k);
    const std::deque<incident>& incidents() const { return incidents_; }

    /// Where an inbound request would go, without performing it (for explain-why and tests; no time, no record).
    struct translation {
        bool bar_hit = false;
        std::uint8_t function = 0;
        std::int8_t bar = -1;
        bool reserved = false;    // reserved BAR: routed to reserved_target without the iATU
        int region = -1;          // inbound region index, -1 if none
        bool hit = false;         // a destination exists (and, with the RK3588 quirk, is not aliased)
        bool alias_conflict = false; // quirk_reserved_bar_alias: the destination is both a reserved BAR's and
                                     // an iATU region's target, and fails
        std::uint64_t target = 0; // SoC address
    };
    translation translate_inbound(std::uint64_t pci_addr) const;

    /// Host-assigned base of BAR n of a function (0 if unassigned or disabled), and its size (0 if disabled).
    std::uint64_t bar_address(unsigned func, unsigned bar) const;
    std::uint64_t bar_size(unsigned func, unsigned bar) const;
    /// BDF captured from the last configuration write addressed to the function (requester ID of its TLPs).
    std::uint16_t captured_bdf(unsigned func) const;

    /// Link state input 0 (bind link.link_up).
    void irq_level(unsigned input, bool level, const sc_core::sc_time& offset) override;

private:
    // Socket callbacks (simple_target_socket<dwc_ep> needs dwc_ep members); they forward to impl.
    enum class port { dbi, dbi2, atu, app, addr_space, pcie_in, dma_in };
    template <port P> void b_transport_cb(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
    template <port P> unsigned transport_dbg_cb(tlm::tlm_generic_payload& p);

    struct impl;
    std::unique_ptr<impl> m_;
    params p_;
    std::deque<incident> incidents_;
};

} // namespace dbvp::pcie
