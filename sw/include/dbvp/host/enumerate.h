// dbvp host software — PCI enumeration of the device below the root port, as host firmware does it.
//
// Plain C++ over dbvp::host::hal (no SystemC). Sequence:
//   1. wait for the link (hal::wait_link_up, link_timeout_ns);
//   2. scan device 0 on cfg.bus: function 0 (a CRS completion of its vendor-ID read is retried, with a
//      backoff from 1 us to 1 ms, for up to crs_timeout_ns), functions 1..7 only when function 0's header type
//      has bit 7 (multi-function) set; a function is absent when its vendor-ID read completes non-ok or reads
//      0xFFFF;
//   3. per function: clear command I/O and memory decode, size the BARs (save, write all-ones, read back,
//      restore; both halves of 64-bit BARs; I/O BARs are noted and not assigned; a BAR reading back 0 is
//      absent);
//   4. assign addresses over all functions, largest BAR first, each aligned to its size: 64-bit prefetchable
//      BARs from the mmio64 window, all others from the mmio32 window; write the BARs;
//   5. program the MSI capability (address = hal::msi_address(), data = msi_data_base + 32 * function number,
//      vectors = min(msi_vectors, supported), rounded down to a power of two) and enable it;
//   6. command |= memory space | bus master.
// Any failing configuration access or an exhausted window stops enumeration with ok = false and a message that
// names the function (BB:DD.F) and, for BAR errors, the BAR.
#pragma once

#include "dbvp/host/hal.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace dbvp::host {

struct bar_info {
    bool present = false, is64 = false, prefetchable = false, io = false;
    std::uint64_t size = 0, address = 0;
};

struct function_info {
    std::uint16_t bdf = 0;
    std::uint16_t vendor_id = 0, device_id = 0;
    std::uint32_t class_code = 0; // base class << 16 | subclass << 8 | programming interface
    bool multifunction = false;   // header type bit 7 of this function
    std::array<bar_info, 6> bars{}; // the upper half of a 64-bit BAR is not present
    std::uint8_t msi_cap = 0;       // offset of the MSI capability, 0 when none
    unsigned msi_vectors = 0;       // vectors enabled (0: MSI not enabled)
    std::uint32_t msi_data = 0;     // message data programmed (vector n sends msi_data | n)
};

struct enum_config {
    std::uint8_t bus = 1;
    std::uint64_t mmio32_base = 0, mmio32_size = 0, mmio64_base = 0, mmio64_size = 0;
    std::uint32_t msi_data_base = 0;
    unsigned msi_vectors = 32; // most vectors to enable per function (0: leave MSI disabled)
    std::uint64_t link_timeout_ns = 100000000;
    std::uint64_t crs_timeout_ns = 1000000000; // how long function 0 may answer CRS
};

struct enum_result {
    bool ok = false;
    std::string error;
    std::vector<function_info> functions;
};

enum_result enumerate(hal& h, const enum_config& cfg);

/// "BB:DD.F" of a routing ID.
std::string bdf_string(std::uint16_t bdf);

} // namespace dbvp::host
