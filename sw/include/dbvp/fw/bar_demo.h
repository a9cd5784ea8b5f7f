// dbvp — the BAR traffic demo: a minimal endpoint function and its host-side sequence.
//
// The firmware exposes 64 KiB of endpoint RAM at BAR0 through an inbound BAR-match iATU window and serves one
// command: the host writes a pattern at BAR0 + DATA, its length and CRC-32, then COMMAND = CHECK_AND_RAISE_MSI;
// the firmware (polling COMMAND) checks the CRC over what arrived in its RAM, writes STATUS and raises MSI
// vector 1 to the host through an outbound iATU window.
#pragma once

#include "dbvp/fw/hal.h"

#include <cstdint>

namespace dbvp::demo {

constexpr unsigned BAR = 0;
constexpr std::uint64_t BAR_SIZE = 0x10000;
// Register block at the start of BAR0 (little-endian 32-bit words).
constexpr std::uint32_t REG_MAGIC = 0x00;    // firmware writes MAGIC_VALUE when ready
constexpr std::uint32_t REG_COMMAND = 0x04;  // host: CMD_*; firmware clears it when done
constexpr std::uint32_t REG_STATUS = 0x08;   // firmware: STATUS_*
constexpr std::uint32_t REG_LENGTH = 0x0c;   // host: pattern length in bytes (multiple of 4, <= DATA_MAX)
constexpr std::uint32_t REG_CRC = 0x10;      // host: CRC-32 of the pattern
constexpr std::uint32_t REG_SEEN_CRC = 0x14; // firmware: CRC-32 it computed
constexpr std::uint32_t DATA = 0x100;
constexpr std::uint32_t DATA_MAX = BAR_SIZE - DATA;
constexpr std::uint32_t MAGIC_VALUE = 0x50564244; // "DBVP"
constexpr std::uint32_t CMD_CHECK_AND_RAISE_MSI = 1;
constexpr std::uint32_t STATUS_OK = 1;
constexpr std::uint32_t STATUS_CRC_MISMATCH = 2;
constexpr std::uint32_t STATUS_BAD_LENGTH = 3;
constexpr std::uint32_t STATUS_MSI_FAILED = 4;
constexpr std::uint64_t POLL_NS = 10000; // firmware polls COMMAND every 10 us

/// The endpoint firmware. Returns only on a set-up error (after logging it); otherwise serves forever.
void bar_demo_firmware(fw::hal& hal);

} // namespace dbvp::demo
