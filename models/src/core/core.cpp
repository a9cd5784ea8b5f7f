#include "dbvp/core/clocked.h"
#include "dbvp/core/report.h"
#include "dbvp/core/sideband.h"

#include <cstdarg>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace dbvp {

const char* to_string(tlp_type t) {
    switch (t) {
    case tlp_type::none: return "none";
    case tlp_type::mem_rd: return "MRd";
    case tlp_type::mem_wr: return "MWr";
    case tlp_type::cfg_rd0: return "CfgRd0";
    case tlp_type::cfg_wr0: return "CfgWr0";
    case tlp_type::cfg_rd1: return "CfgRd1";
    case tlp_type::cfg_wr1: return "CfgWr1";
    case tlp_type::msg: return "Msg";
    }
    return "?";
}

const char* to_string(cpl_status s) {
    switch (s) {
    case cpl_status::sc: return "SC";
    case cpl_status::ur: return "UR";
    case cpl_status::crs: return "CRS";
    case cpl_status::ca: return "CA";
    }
    return "?";
}

void clocked::set_clock_hz(std::uint64_t hz) {
    if (hz == 0)
        throw std::invalid_argument("clock frequency must be non-zero");
    const sc_core::sc_time period(1e12 / static_cast<double>(hz), sc_core::SC_PS);
    if (period == sc_core::SC_ZERO_TIME)
        throw std::invalid_argument("clock frequency too high for the time resolution");
    hz_ = hz;
    period_ = period;
}

namespace {
void vwarn(const char* who, const char* fmt, va_list ap) {
    char text[512];
    std::vsnprintf(text, sizeof text, fmt, ap);
    std::string msg = std::string(who) + ": " + text;
    SC_REPORT_WARNING(msg_guest, msg.c_str());
}
} // namespace

void guest_warning(const sc_core::sc_object& who, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vwarn(who.name(), fmt, ap);
    va_end(ap);
}

void guest_warning(const char* who, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vwarn(who, fmt, ap);
    va_end(ap);
}

} // namespace dbvp
