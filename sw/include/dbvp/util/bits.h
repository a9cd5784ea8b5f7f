// dbvp — bit helpers shared by models, firmware and tests (plain C++).
#pragma once

#include <cstdint>
#include <cstring>

namespace dbvp {

constexpr bool is_pow2(std::uint64_t v) { return v && !(v & (v - 1)); }
/// floor(log2(v)); 0 for v <= 1.
constexpr unsigned log2_of(std::uint64_t v) {
    unsigned n = 0;
    while (v > 1) {
        v >>= 1;
        ++n;
    }
    return n;
}
/// Position of the most significant set bit, counting from 1 (Linux fls); 0 for v == 0.
constexpr unsigned fls64(std::uint64_t v) { return v ? log2_of(v) + 1 : 0; }
constexpr unsigned long long ull(std::uint64_t v) { return static_cast<unsigned long long>(v); }
/// The little-endian 64-bit value in b[0..7] (tables in simulated memory are little-endian).
inline std::uint64_t load_le64(const std::uint8_t* b) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    std::uint64_t v;
    std::memcpy(&v, b, 8);
    return v;
#else
    std::uint64_t v = 0;
    for (unsigned i = 0; i < 8; ++i)
        v |= static_cast<std::uint64_t>(b[i]) << (8 * i);
    return v;
#endif
}

} // namespace dbvp
