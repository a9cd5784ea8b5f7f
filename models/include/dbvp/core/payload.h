// dbvp core — making a generic payload ready for one plain access (initiators reuse their payloads: every field an
// earlier access or a target may have changed is set again).
#pragma once

#include <cstdint>
#include <tlm>

namespace dbvp {

/// `pl` ready for a `len`-byte `cmd` at `addr` from/to `data`: no byte enables, streaming width = length, DMI hint
/// cleared, response TLM_INCOMPLETE_RESPONSE. Extensions are left as they are.
inline void prepare_access(tlm::tlm_generic_payload& pl, tlm::tlm_command cmd, std::uint64_t addr, void* data,
                           unsigned len) {
    pl.set_command(cmd);
    pl.set_address(addr);
    pl.set_data_ptr(static_cast<unsigned char*>(data));
    pl.set_data_length(len);
    pl.set_streaming_width(len);
    pl.set_byte_enable_ptr(nullptr);
    pl.set_byte_enable_length(0);
    pl.set_dmi_allowed(false);
    pl.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

} // namespace dbvp
