#include "dbvp/mem/memory.h"

#include "dbvp/core/report.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace dbvp {

memory::memory(sc_core::sc_module_name name, const params& p) : sc_module(name), clocked(p.clock_hz), socket("socket"), p_(p) {
    if (p_.size == 0)
        throw std::logic_error(std::string(this->name()) + ": memory size must not be zero");
    // calloc of a large block maps zero pages lazily: a 4 GiB RAM costs only what is written.
    mem_ = static_cast<std::uint8_t*>(std::calloc(p_.size, 1));
    if (!mem_)
        throw std::bad_alloc();
    socket.register_b_transport(this, &memory::b_transport);
    socket.register_transport_dbg(this, &memory::transport_dbg);
    socket.register_get_direct_mem_ptr(this, &memory::get_direct_mem_ptr);
}

memory::~memory() { std::free(mem_); }

void memory::b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    const std::uint64_t addr = p.get_address();
    const unsigned len = p.get_data_length();
    if (addr >= p_.size || len > p_.size - addr) {
        guest_warning(*this, "%s of %u bytes at 0x%llx is outside the %llu-byte RAM",
                      p.is_write() ? "write" : "read", len, static_cast<unsigned long long>(addr),
                      static_cast<unsigned long long>(p_.size));
        p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    const unsigned char* be = p.get_byte_enable_ptr();
    const unsigned bel = p.get_byte_enable_length();
    if (p.is_write()) {
        if (be && bel) {
            for (unsigned i = 0; i < len; ++i)
                if (be[i % bel])
                    mem_[addr + i] = p.get_data_ptr()[i];
        } else {
            std::memcpy(mem_ + addr, p.get_data_ptr(), len);
        }
        delay += cycles(p_.write_latency);
    } else if (p.is_read()) {
        std::memcpy(p.get_data_ptr(), mem_ + addr, len);
        delay += cycles(p_.read_latency);
    }
    p.set_dmi_allowed(true);
    p.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned memory::transport_dbg(tlm::tlm_generic_payload& p) {
    const std::uint64_t addr = p.get_address();
    if (addr >= p_.size)
        return 0;
    const unsigned len = static_cast<unsigned>(std::min<std::uint64_t>(p.get_data_length(), p_.size - addr));
    if (p.is_write())
        std::memcpy(mem_ + addr, p.get_data_ptr(), len);
    else if (p.is_read())
        std::memcpy(p.get_data_ptr(), mem_ + addr, len);
    p.set_response_status(tlm::TLM_OK_RESPONSE);
    return len;
}

bool memory::get_direct_mem_ptr(tlm::tlm_generic_payload& p, tlm::tlm_dmi& dmi) {
    if (p.get_address() >= p_.size)
        return false;
    dmi.set_dmi_ptr(mem_);
    dmi.set_start_address(0);
    dmi.set_end_address(p_.size - 1);
    dmi.allow_read_write();
    dmi.set_read_latency(cycles(p_.read_latency));
    dmi.set_write_latency(cycles(p_.write_latency));
    return true;
}

} // namespace dbvp
