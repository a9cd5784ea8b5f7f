// dbvp — small formatting helpers shared by firmware, host software and the platform (plain C++).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace dbvp {

/// "0x1f" style hexadecimal.
inline std::string hex(std::uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

} // namespace dbvp
