#include "dbvp/fw/imx95_lut.h"

#include "dbvp/util/format.h"

#include <string>

namespace dbvp::fw {

int imx95_lut_driver::find(std::uint16_t requester_id) {
    for (unsigned i = 0; i < entries; ++i) {
        hal_.write32(base_ + ACSCTRL, RWA | i);
        if (!(hal_.read32(base_ + DATA1) & VLD))
            continue;
        if ((hal_.read32(base_ + DATA2) >> 16) == requester_id)
            return static_cast<int>(i);
    }
    return -1;
}

status imx95_lut_driver::add(std::uint16_t requester_id, std::uint16_t mask, unsigned stream_id) {
    if (stream_id > 0x3f)
        return {errc::invalid_argument, "StreamID " + hex(stream_id) + " does not fit the LUT's 6 bits"};
    int free_entry = -1;
    for (unsigned i = 0; i < entries; ++i) {
        hal_.write32(base_ + ACSCTRL, RWA | i);
        if (!(hal_.read32(base_ + DATA1) & VLD)) {
            if (free_entry < 0)
                free_entry = static_cast<int>(i);
            continue;
        }
        if ((hal_.read32(base_ + DATA2) >> 16) == requester_id) {
            hal_.log(("imx95-lut: requester ID " + hex(requester_id) + " already has an entry").c_str());
            return {};
        }
    }
    if (free_entry < 0)
        return {errc::no_space, "LUT entry is not available"};
    hal_.write32(base_ + DATA1, VLD | stream_id);
    hal_.write32(base_ + DATA2, (std::uint32_t{requester_id} << 16) | mask);
    hal_.write32(base_ + ACSCTRL, static_cast<std::uint32_t>(free_entry));
    return {};
}

status imx95_lut_driver::remove(std::uint16_t requester_id) {
    const int i = find(requester_id);
    if (i < 0)
        return {errc::invalid_argument, "no LUT entry for requester ID " + hex(requester_id)};
    hal_.write32(base_ + DATA1, 0);
    hal_.write32(base_ + DATA2, 0);
    hal_.write32(base_ + ACSCTRL, static_cast<std::uint32_t>(i));
    return {};
}

} // namespace dbvp::fw
