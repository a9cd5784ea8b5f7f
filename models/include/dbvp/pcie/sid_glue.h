// dbvp — SoC glue that gives inbound PCIe requests their StreamID (for the SMMU) and DeviceID (for the GIC ITS).
//
// Sits on the endpoint controller's inbound master path (dwc_ep.axi_out -> in ... out -> SMMU or interconnect)
// and fills pcie_attr.stream_id / device_id (has_stream_id / has_device_id) from the requester ID. Two kinds:
//
//   map  A fixed function of the SoC (the preset's msi-map / iommu-map style description): a list of entries
//        (rid_base, out_base, length) for StreamIDs and another for DeviceIDs; the requester ID, ANDed with
//        rid_mask, that falls in [rid_base, rid_base + length) maps to out_base + (rid - rid_base). No entry: the
//        request carries no ID of that kind (the SMMU and ITS then reject it). The default map is the identity
//        (StreamID = DeviceID = requester ID).
//   lut  The i.MX95 LUT: lut_entries entries of (requester ID, mask, valid, 6-bit StreamID) programmed through
//        three registers of the SoC's block control (offsets relative to the `regs` window, as in the block):
//          0x1008 ACSCTRL  [16] RWA: 1 = read entry ENLOC into DATA1/DATA2; writing with RWA = 0 commits
//                          DATA1/DATA2 into entry ENLOC; [4:0] ENLOC entry index
//          0x100c DATA1    [31] VLD, [10:8] DAC_ID (stored), [5:0] STREAM_ID
//          0x1010 DATA2    [31:16] REQID, [15:0] MASK
//        An entry matches when ((requester ID ^ REQID) & MASK) == 0 (MASK bits are the requester-ID bits
//        compared — UNVERIFIED reading of the driver's "RC: 0xffff, match all RID bits; EP: 0x7"). The lowest
//        matching valid entry wins. The hardware prepends the 2-bit controller ID: ID = controller_id << 6 | SID,
//        used as both StreamID and DeviceID. No valid entry matches: the documented default SID (default_sid,
//        UNVERIFIED) with the controller ID prepended.
//
// Every request costs `latency` cycles of the glue clock. See docs/models/sid_glue.md.
#pragma once

#include "dbvp/core/clocked.h"
#include "dbvp/core/regbank.h"

#include <cstdint>
#include <memory>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

namespace dbvp::pcie {

class sid_glue : public sc_core::sc_module, public clocked {
public:
    enum class kind { map, lut };
    struct map_entry {
        std::uint32_t rid_base, out_base, length;
    };
    struct params {
        kind type = kind::map;
        std::uint64_t clock_hz = 500000000;
        unsigned latency = 1;
        // map
        std::uint32_t rid_mask = 0xffff;
        std::vector<map_entry> stream_map{{0, 0, 0x10000}};
        std::vector<map_entry> device_map{{0, 0, 0x10000}};
        // lut
        unsigned lut_entries = 32;
        unsigned controller_id = 0; // 0..3
        unsigned default_sid = 0;   // 0..63
        std::uint64_t regs_size = 0x2000;
    };

    tlm_utils::simple_target_socket<sid_glue> in;
    tlm_utils::simple_initiator_socket<sid_glue> out;
    tlm_utils::simple_target_socket_optional<sid_glue> regs; // LUT registers (kind::lut; may stay unbound)

    sid_glue(sc_core::sc_module_name name, const params& p);
    ~sid_glue() override;

    const params& get_params() const { return p_; }

    struct ids {
        bool has_stream_id = false, has_device_id = false;
        std::uint32_t stream_id = 0, device_id = 0;
        int lut_entry = -1; // lut: the matching entry, -1 = none (default used)
    };
    /// The IDs a request from `requester_id` would get (no time, no side effects).
    ids lookup(std::uint16_t requester_id) const;

    struct lut_entry {
        bool valid = false;
        std::uint16_t reqid = 0, mask = 0;
        std::uint8_t sid = 0, dac_id = 0;
    };
    const std::vector<lut_entry>& lut() const { return lut_; }

private:
    void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
    unsigned transport_dbg(tlm::tlm_generic_payload& p);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& p, tlm::tlm_dmi& dmi);
    void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);
    void regs_b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
    unsigned regs_transport_dbg(tlm::tlm_generic_payload& p);

    params p_;
    std::vector<lut_entry> lut_;
    register_bank bank_;
    reg acsctrl_, data1_, data2_;
};

} // namespace dbvp::pcie
