#include "dbvp/host/hal.h"

namespace dbvp::host {

const char* to_string(completion c) {
    switch (c) {
    case completion::ok: return "ok";
    case completion::ur: return "UR";
    case completion::crs: return "CRS";
    case completion::ca: return "CA";
    case completion::link_down: return "link down";
    }
    return "?";
}

} // namespace dbvp::host
