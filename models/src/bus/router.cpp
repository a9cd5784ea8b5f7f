#include "dbvp/bus/router.h"

#include "dbvp/core/clocked.h"
#include "dbvp/core/report.h"
#include "dbvp/core/sideband.h"
#include "dbvp/core/trace.h"

#include <algorithm>
#include <stdexcept>

namespace dbvp {

router::router(sc_core::sc_module_name name, const params& p)
    : sc_module(name), clocked(p.clock_hz), in("in"), out("out"), p_(p) {
    in.register_b_transport(this, &router::b_transport);
    in.register_transport_dbg(this, &router::transport_dbg);
    in.register_get_direct_mem_ptr(this, &router::get_direct_mem_ptr);
    out.register_invalidate_direct_mem_ptr(this, &router::invalidate_direct_mem_ptr);
}

void router::map(unsigned port, std::uint64_t base, std::uint64_t size, std::string label) {
    if (size == 0 || base + (size - 1) < base)
        throw std::logic_error(std::string(name()) + ": bad range for " + label);
    const std::uint64_t last = base + (size - 1);
    for (const auto& r : map_)
        if (base <= r.base + (r.size - 1) && r.base <= last)
            throw std::logic_error(std::string(name()) + ": range of " + label + " overlaps " + r.label);
    map_.push_back({base, size, port, label.empty() ? "port" + std::to_string(port) : std::move(label)});
    std::sort(map_.begin(), map_.end(), [](const range& a, const range& b) { return a.base < b.base; });
}

const router::range* router::decode(std::uint64_t addr, unsigned len) const {
    auto inside = [&](const range& r) {
        const std::uint64_t off = addr - r.base; // wraps (huge) below the range
        return off < r.size && len <= r.size - off;
    };
    if (last_ < map_.size() && inside(map_[last_]))
        return &map_[last_];
    auto it = std::upper_bound(map_.begin(), map_.end(), addr,
                               [](std::uint64_t a, const range& r) { return a < r.base; });
    if (it == map_.begin())
        return nullptr;
    --it;
    if (!inside(*it))
        return nullptr;
    last_ = static_cast<std::size_t>(it - map_.begin());
    return &*it;
}

void router::b_transport(int, tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    const std::uint64_t addr = p.get_address();
    const range* r = decode(addr, p.get_data_length());
    // Tracing: only the inbound PCIe path (payloads with a pcie_attr), not every CPU or engine access.
    if (trace::on() && attr_of(p))
        trace::span(trace::track::soc, p.is_write() ? "write" : "read", kernel_time() + delay,
                    kernel_time() + delay + cycles(p_.latency),
                    {trace::arg::hex("address", addr), {"size", p.get_data_length()},
                     {"target", r ? r->label.c_str() : "decode miss"}});
    delay += cycles(p_.latency);
    if (!r) {
        ++misses_;
        guest_warning(*this, "decode miss: %s of %u bytes at 0x%llx", p.is_write() ? "write" : "read",
                      p.get_data_length(), static_cast<unsigned long long>(addr));
        p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    p.set_address(addr - r->base);
    out[r->port]->b_transport(p, delay);
    p.set_address(addr);
}

unsigned router::transport_dbg(int, tlm::tlm_generic_payload& p) {
    const std::uint64_t addr = p.get_address();
    const range* r = decode(addr, 1);
    if (!r)
        return 0;
    // Clip to the window: debug access never reaches target bytes the router does not map.
    const unsigned len = p.get_data_length();
    const std::uint64_t room = r->size - (addr - r->base);
    const unsigned clipped = static_cast<unsigned>(std::min<std::uint64_t>(len, room));
    p.set_address(addr - r->base);
    p.set_data_length(clipped);
    const unsigned n = out[r->port]->transport_dbg(p);
    p.set_address(addr);
    p.set_data_length(len);
    return n;
}

bool router::get_direct_mem_ptr(int, tlm::tlm_generic_payload& p, tlm::tlm_dmi& dmi) {
    const std::uint64_t addr = p.get_address();
    const range* r = decode(addr, 1);
    if (!r)
        return false;
    p.set_address(addr - r->base);
    const bool ok = out[r->port]->get_direct_mem_ptr(p, dmi);
    p.set_address(addr);
    if (ok) {
        // Clip to the mapped range and translate back to the initiator's addresses.
        const std::uint64_t start = std::max<std::uint64_t>(dmi.get_start_address(), 0);
        const std::uint64_t end = std::min<std::uint64_t>(dmi.get_end_address(), r->size - 1);
        dmi.set_dmi_ptr(dmi.get_dmi_ptr() + (start - dmi.get_start_address()));
        dmi.set_start_address(r->base + start);
        dmi.set_end_address(r->base + end);
        dmi.set_read_latency(dmi.get_read_latency() + cycles(p_.latency));
        dmi.set_write_latency(dmi.get_write_latency() + cycles(p_.latency));
    }
    return ok;
}

void router::invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end) {
    for (const auto& r : map_) {
        if (static_cast<int>(r.port) != id || start >= r.size)
            continue;
        const std::uint64_t e = std::min<std::uint64_t>(end, r.size - 1);
        for (unsigned i = 0; i < in.size(); ++i)
            in[i]->invalidate_direct_mem_ptr(r.base + start, r.base + e);
    }
}

} // namespace dbvp
