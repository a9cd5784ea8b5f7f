// Test support: a Type-0 configuration space as plain data with per-bit write masks (for fake endpoints).
#pragma once

#include <array>
#include <cstdint>

namespace dbvp::test {

struct config_space {
    std::array<std::uint32_t, 1024> val{}, wmask{};
    static std::uint32_t lane_mask(unsigned len) { return len >= 4 ? 0xffffffffu : ((1u << (8 * len)) - 1); }
    std::uint32_t read(unsigned off, unsigned len) const {
        return (val[off / 4] >> (8 * (off & 3))) & lane_mask(len);
    }
    void write(unsigned off, unsigned len, std::uint32_t v) {
        const unsigned sh = 8 * (off & 3);
        const std::uint32_t m = (lane_mask(len) << sh) & wmask[off / 4];
        val[off / 4] = (val[off / 4] & ~m) | ((v << sh) & m);
    }
    std::uint16_t command() const { return static_cast<std::uint16_t>(val[1]); }
};

} // namespace dbvp::test
