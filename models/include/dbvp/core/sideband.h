// dbvp — the one sideband extension carrying PCIe and AXI attributes alongside a TLM generic payload.
//
// Every request that crosses the PCIe link, the endpoint controller or the endpoint SoC interconnect may carry
// a pcie_attr. Field by field:
//
//   type          TLP type of the request (memory read/write, type-0/1 configuration, message). A payload without
//                 the extension is a plain AXI access from an SoC master (CPU, DMA).
//   requester_id  Requester ID (bus[15:8] device[7:3] function[2:0]) of the agent that issued the TLP. Host
//                 requests carry the root port's BDF; endpoint requests carry the function's captured BDF.
//   completer_id  For configuration requests: the BDF being addressed (the payload address is the register offset).
//   function      Endpoint physical function number the request targets (inbound) or comes from (outbound).
//   bar           BAR the endpoint matched for an inbound memory request, or -1 when none matched / not yet decoded.
//   stream_id     SMMU StreamID the SoC glue assigned to an inbound request (valid when has_stream_id).
//   device_id     GIC ITS DeviceID the SoC glue assigned to an inbound request (valid when has_device_id).
//   secure        AXI AxPROT[1] == 0 (secure access). PCIe requests are non-secure.
//   status        Completion status set by the completer: SC (success), UR (unsupported request), CRS, CA.
//   posted        True for posted requests (memory writes, messages): the requester gets no completion.
//
// The extension is owned by the initiator that created it; targets may read and update it (status, bar,
// stream_id, device_id) but never keep a pointer to it after the transport call returns.
#pragma once

#include <cstdint>
#include <tlm>

namespace dbvp {

enum class tlp_type : std::uint8_t { none, mem_rd, mem_wr, cfg_rd0, cfg_wr0, cfg_rd1, cfg_wr1, msg };
enum class cpl_status : std::uint8_t { sc = 0, ur = 1, crs = 2, ca = 4 };

const char* to_string(tlp_type t);
const char* to_string(cpl_status s);

/// Bus/device/function helpers for 16-bit routing IDs.
constexpr std::uint16_t make_bdf(unsigned bus, unsigned dev, unsigned fn) {
    return static_cast<std::uint16_t>(((bus & 0xff) << 8) | ((dev & 0x1f) << 3) | (fn & 0x7));
}
constexpr unsigned bdf_bus(std::uint16_t bdf) { return bdf >> 8; }
constexpr unsigned bdf_dev(std::uint16_t bdf) { return (bdf >> 3) & 0x1f; }
constexpr unsigned bdf_fn(std::uint16_t bdf) { return bdf & 0x7; }

struct pcie_attr : tlm::tlm_extension<pcie_attr> {
    tlp_type type = tlp_type::none;
    std::uint16_t requester_id = 0;
    std::uint16_t completer_id = 0;
    std::uint8_t function = 0;
    std::int8_t bar = -1;
    bool has_stream_id = false;
    bool has_device_id = false;
    bool secure = false;
    bool posted = false;
    cpl_status status = cpl_status::sc;
    std::uint32_t stream_id = 0;
    std::uint32_t device_id = 0;

    tlm::tlm_extension_base* clone() const override { return new pcie_attr(*this); }
    void copy_from(const tlm::tlm_extension_base& other) override {
        *this = static_cast<const pcie_attr&>(other);
    }
};

/// The pcie_attr of a payload, or nullptr.
inline pcie_attr* attr_of(tlm::tlm_generic_payload& p) { return p.get_extension<pcie_attr>(); }
inline const pcie_attr* attr_of(const tlm::tlm_generic_payload& p) { return p.get_extension<pcie_attr>(); }

} // namespace dbvp
