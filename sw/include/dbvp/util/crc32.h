// dbvp — CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), shared by firmware and host software.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dbvp {

/// Continue a CRC-32 over `len` bytes. Start with crc = 0xFFFFFFFF; the final value is ~crc.
inline std::uint32_t crc32_update(std::uint32_t crc, const void* data, std::size_t len) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    for (std::size_t i = 0; i < len; ++i) {
        crc ^= p[i];
        for (int b = 0; b < 8; ++b)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return crc;
}

inline std::uint32_t crc32(const void* data, std::size_t len) { return ~crc32_update(0xFFFFFFFFu, data, len); }

} // namespace dbvp
