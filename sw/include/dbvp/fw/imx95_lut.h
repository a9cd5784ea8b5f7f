// dbvp firmware — i.MX95 PCIe RID-to-StreamID LUT (in the SoC block control, not the DBI).
//
// add(): scans the 32 entries (ACSCTRL = RWA | index, read DATA1/DATA2); an entry that already holds the
// requester ID is left as it is (success, as Linux does); otherwise the first invalid entry is written
// (DATA1 = STREAM_ID | VLD, DATA2 = REQID << 16 | MASK, then ACSCTRL = index commits). No free entry: no_space.
// remove(): clears the entry holding the requester ID.
#pragma once

#include "dbvp/fw/hal.h"
#include "dbvp/fw/status.h"

#include <cstdint>

namespace dbvp::fw {

class imx95_lut_driver {
public:
    static constexpr std::uint32_t ACSCTRL = 0x1008, DATA1 = 0x100c, DATA2 = 0x1010;
    static constexpr std::uint32_t RWA = 1u << 16, VLD = 1u << 31;
    static constexpr unsigned entries = 32;
    /// Endpoint mode mask (the Linux driver's value).
    static constexpr std::uint16_t ep_mask = 0x7;

    imx95_lut_driver(hal& h, std::uint64_t base) : hal_(h), base_(base) {}

    status add(std::uint16_t requester_id, std::uint16_t mask, unsigned stream_id);
    status remove(std::uint16_t requester_id);
    /// Index of the valid entry holding `requester_id`, or -1.
    int find(std::uint16_t requester_id);

private:
    hal& hal_;
    std::uint64_t base_;
};

} // namespace dbvp::fw
