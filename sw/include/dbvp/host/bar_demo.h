// dbvp — host side of the BAR traffic demo (see dbvp/fw/bar_demo.h for the endpoint side).
//
// Enumerates the endpoint, waits for the firmware's magic in BAR0, writes a seeded pattern into BAR0 with
// 64-byte posted writes, reads it back with 4-byte reads, asks the firmware to check it and waits for the MSI
// the firmware raises. Every step is logged with the host's time; ok only if every check passed.
#pragma once

#include "dbvp/host/enumerate.h"
#include "dbvp/host/hal.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dbvp::demo {

struct host_report {
    bool ok = false;
    std::vector<std::string> log;
    host::enum_result enumeration;
    std::uint64_t bar0 = 0;
    std::uint32_t pattern_bytes = 0;
    std::uint32_t pattern_crc = 0;
    std::uint32_t mismatches = 0;       // words read back different from what was written
    std::uint32_t status = 0;           // firmware STATUS
    std::uint64_t write_ns = 0;         // time to post the pattern
    std::uint64_t read_ns = 0;          // time to read it back
    std::uint64_t first_read_ns = 0;    // round trip of one 4-byte read
    std::int64_t msi_latency_ns = 0;    // COMMAND write -> MSI received (host clock; may be slightly negative
                                        // under a large quantum, when the host ran ahead of the endpoint)
    bool msi_received = false;
    host::msi_message msi;
};

host_report run_host_demo(host::hal& h, const host::enum_config& cfg, std::uint32_t pattern_bytes = 4096,
                          std::uint64_t seed = 1);

} // namespace dbvp::demo
