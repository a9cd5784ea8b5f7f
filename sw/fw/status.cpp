#include "dbvp/fw/status.h"

namespace dbvp::fw {

const char* to_string(errc e) {
    switch (e) {
    case errc::ok: return "ok";
    case errc::invalid_argument: return "invalid argument";
    case errc::no_device: return "no device";
    case errc::no_space: return "no space";
    case errc::busy: return "busy";
    case errc::timed_out: return "timed out";
    case errc::io_error: return "I/O error";
    case errc::not_supported: return "not supported";
    case errc::out_of_range: return "out of range";
    }
    return "?";
}

} // namespace dbvp::fw
