// dbvp — report helpers.
//
// Guest mis-programming (a driver writing something the hardware ignores or rejects) is reported as an
// SC_WARNING of message type "dbvp/guest" naming the block, register and value; the model then answers the way
// the hardware would. Model bugs are std::logic_error. User mistakes (bad platform description) are
// dbvp::config_error (see platform loader).
#pragma once

#include <systemc>

namespace dbvp {

inline constexpr const char* msg_guest = "dbvp/guest";
inline constexpr const char* msg_info = "dbvp/info";

/// SC_WARNING "dbvp/guest": "<object name>: <printf-formatted text>".
void guest_warning(const sc_core::sc_object& who, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
/// Same, for code that has a name but is not an sc_object.
void guest_warning(const char* who, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

} // namespace dbvp
