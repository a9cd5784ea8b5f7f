// dbvp host software — the hardware abstraction layer of the PCIe host (root complex side).
//
// Host software in sw/host (enumeration, host-side drivers) reaches the PCIe hierarchy only through this
// interface; the root-complex model implements it, unit tests with a fake. Configuration requests address a
// BDF and a register offset; memory requests use host physical addresses inside the root complex's windows.
#pragma once

#include <cstdint>

namespace dbvp::host {

enum class completion { ok, ur, crs, ca, link_down };
const char* to_string(completion c);

struct msi_message {
    std::uint64_t time_ns = 0;
    std::uint64_t address = 0;
    std::uint32_t data = 0;
    std::uint16_t requester_id = 0;
};

class hal {
public:
    virtual ~hal() = default;

    /// Config read/write of 1, 2 or 4 bytes. A read that completes with UR returns all-ones in value.
    virtual completion cfg_read(std::uint16_t bdf, std::uint16_t offset, unsigned len, std::uint32_t& value) = 0;
    virtual completion cfg_write(std::uint16_t bdf, std::uint16_t offset, unsigned len, std::uint32_t value) = 0;
    /// Memory read (non-posted): data is all-ones when the completion is not ok.
    virtual completion mem_read(std::uint64_t addr, void* data, unsigned len) = 0;
    /// Memory write (posted): the host cannot see whether it was accepted.
    virtual void mem_write(std::uint64_t addr, const void* data, unsigned len) = 0;

    virtual std::uint64_t now_ns() = 0;
    virtual void sleep_ns(std::uint64_t ns) = 0;
    /// Wait until the link is up; false on timeout.
    virtual bool wait_link_up(std::uint64_t timeout_ns) = 0;
    /// Wait for the next MSI the root complex received (in arrival order); false on timeout.
    virtual bool wait_msi(std::uint64_t timeout_ns, msi_message& out) = 0;

    /// The MSI target address the root complex decodes (what enumeration writes into MSI capabilities).
    virtual std::uint64_t msi_address() const = 0;
};

} // namespace dbvp::host
