// dbvp — PCIe link: serialization time per TLP, per-direction bandwidth resource, link training, link down.
#include "dbvp/pcie/link.h"

#include "dbvp/core/clocked.h"
#include "dbvp/core/report.h"
#include "dbvp/core/trace.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace dbvp::pcie {

namespace {

constexpr unsigned dir_down = 0;
constexpr unsigned dir_up = 1;
constexpr unsigned cpl_header_bytes = 12;

constexpr std::uint64_t rate_mtps(unsigned gen) {
    constexpr std::uint64_t rates[] = {2500, 5000, 8000, 16000, 32000};
    return rates[gen - 1];
}

/// Bytes of TLP payload a request of `len` bytes at `addr` carries: PCIe payloads are whole DWORDs covering
/// the first to the last enabled byte.
unsigned dw_payload(std::uint64_t addr, unsigned len) {
    if (len == 0)
        return 0;
    return ((static_cast<unsigned>(addr & 3) + len + 3) / 4) * 4;
}

bool is_posted(const pcie_attr& a) { return a.posted || a.type == tlp_type::mem_wr || a.type == tlp_type::msg; }

} // namespace

link::link(sc_core::sc_module_name name, const params& p)
    : sc_module(name), clocked(p.clock_hz), down_in("down_in"), down_out("down_out"), up_in("up_in"),
      up_out("up_out"), link_up(std::string(this->name()) + ".link_up"), p_(p) {
    if (p_.generation < 1 || p_.generation > 5)
        throw std::invalid_argument(std::string(this->name()) + ": PCIe generation must be 1..5, not " +
                                    std::to_string(p_.generation));
    const unsigned w = p_.width;
    if (w != 1 && w != 2 && w != 4 && w != 8 && w != 12 && w != 16 && w != 32)
        throw std::invalid_argument(std::string(this->name()) + ": link width x" + std::to_string(w) +
                                    " is not a PCIe width (1, 2, 4, 8, 12, 16, 32)");
    down_in.register_b_transport(this, &link::b_transport_down);
    down_in.register_transport_dbg(this, &link::dbg_down);
    up_in.register_b_transport(this, &link::b_transport_up);
    up_in.register_transport_dbg(this, &link::dbg_up);
    SC_HAS_PROCESS(link);
    SC_THREAD(training);
}

sc_core::sc_time link::serialization(unsigned header, unsigned payload) const {
    const std::uint64_t bytes = std::uint64_t{header} + payload + p_.framing_bytes;
    const std::uint64_t rate = rate_mtps(p_.generation);
    std::uint64_t num, den;
    if (p_.generation <= 2) { // 8b/10b: 10 bits on the wire per byte
        num = bytes * 10 * 1000000;
        den = std::uint64_t{p_.width} * rate;
    } else { // 128b/130b: 130 bits per 16 bytes
        num = bytes * 130 * 1000000;
        den = 16 * std::uint64_t{p_.width} * rate;
    }
    const std::uint64_t ps = (num + den - 1) / den;
    return times(one_ps(), ps);
}

unsigned link::header_bytes(const tlm::tlm_generic_payload& p) {
    const pcie_attr* a = attr_of(p);
    const tlp_type t = a ? a->type : tlp_type::none;
    switch (t) {
    case tlp_type::cfg_rd0:
    case tlp_type::cfg_wr0:
    case tlp_type::cfg_rd1:
    case tlp_type::cfg_wr1: return 12;
    case tlp_type::msg: return 16; // messages always use the 4 DW header
    default: return p.get_address() >= (1ull << 32) ? 16 : 12;
    }
}

void link::irq_level(unsigned input, bool level, const sc_core::sc_time& offset) {
    if (input != 0)
        throw std::logic_error(std::string(name()) + ": irq input " + std::to_string(input) +
                               " does not exist (0 = ltssm_enable)");
    if (level == ltssm_)
        return;
    ltssm_ = level;
    ++ltssm_changes_;
    if (!level && up_) {
        up_ = false;
        link_up.set(false, offset);
    }
    train_ev_.notify(offset);
}

void link::training() {
    const sc_core::sc_time t_train(static_cast<double>(p_.training_ns), sc_core::SC_NS);
    for (;;) {
        while (!ltssm_ || up_)
            sc_core::wait(train_ev_);
        const std::uint64_t gen = ltssm_changes_;
        sc_core::wait(t_train, train_ev_);
        // Any change of ltssm_enable during training restarts the decision (a drop aborts it, a drop and
        // re-raise trains again from the re-raise).
        if (gen == ltssm_changes_ && ltssm_ && !up_) {
            up_ = true;
            link_up.set(true);
        }
    }
}

sc_core::sc_time link::occupy(unsigned dir, unsigned header, unsigned payload, const sc_core::sc_time& delay) {
    const sc_core::sc_time now = kernel_time();
    const sc_core::sc_time start = std::max(now + delay, busy_until_[dir]);
    busy_until_[dir] = start + serialization(header, payload);
    const std::uint64_t bytes = std::uint64_t{header} + payload + p_.framing_bytes;
    if (dir == dir_down) {
        ++stats_.down_tlps;
        stats_.down_bytes += bytes;
    } else {
        ++stats_.up_tlps;
        stats_.up_bytes += bytes;
    }
    return (busy_until_[dir] - now) + cycles(p_.latency);
}

void link::forward(unsigned dir, tlm_utils::simple_initiator_socket<link>& out, tlm::tlm_generic_payload& p,
                   sc_core::sc_time& delay) {
    pcie_attr* a = attr_of(p);
    if (!a) // not a TLP: whatever is bound to the link is wired wrong
        throw std::logic_error(std::string(name()) + ": " + (dir == dir_down ? "downstream" : "upstream") +
                               " request without pcie_attr (not a TLP)");
    const bool posted = is_posted(*a);
    if (!up_) {
        ++stats_.dropped_link_down;
        if (trace::on())
            trace::instant(dir == dir_down ? trace::track::link_down : trace::track::link_up, "drop",
                           kernel_time() + delay,
                           {{"reason", "link_down"}, {"type", dbvp::to_string(a->type)},
                            trace::arg::hex("address", p.get_address()), {"size", p.get_data_length()},
                            trace::arg::hex("requester_id", a->requester_id)});
        if (posted) {
            p.set_response_status(tlm::TLM_OK_RESPONSE);
        } else {
            a->status = cpl_status::ur;
            p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        }
        return;
    }
    const bool write = p.is_write();
    const unsigned req_payload = write ? dw_payload(p.get_address(), p.get_data_length()) : 0;
    const unsigned header = header_bytes(p);
    const sc_core::sc_time arrive = trace::on() ? kernel_time() + delay : sc_core::SC_ZERO_TIME;
    delay = occupy(dir, header, req_payload, delay);
    if (trace::on())
        trace_tlp(dir, dbvp::to_string(a->type), false, p, *a, header, req_payload, arrive, delay);
    out->b_transport(p, delay);
    if (posted)
        return;
    // Completion in the opposite direction: CplD with the read data, or Cpl without data (writes, errors).
    const bool ok = p.get_response_status() == tlm::TLM_OK_RESPONSE && a->status == cpl_status::sc;
    const unsigned cpl_payload = (p.is_read() && ok) ? dw_payload(p.get_address(), p.get_data_length()) : 0;
    const sc_core::sc_time cpl_arrive = trace::on() ? kernel_time() + delay : sc_core::SC_ZERO_TIME;
    delay = occupy(dir ^ 1u, cpl_header_bytes, cpl_payload, delay);
    if (trace::on())
        trace_tlp(dir ^ 1u, cpl_payload ? "CplD" : "Cpl", true, p, *a, cpl_header_bytes, cpl_payload, cpl_arrive,
                  delay);
}

void link::trace_tlp(unsigned dir, const char* what, bool cpl, const tlm::tlm_generic_payload& p,
                     const pcie_attr& a, unsigned header, unsigned payload, const sc_core::sc_time& arrive,
                     const sc_core::sc_time& delay) const {
    // occupy() left busy_until_[dir] at the end of this TLP's serialization.
    const sc_core::sc_time ser = serialization(header, payload);
    const sc_core::sc_time start = busy_until_[dir] - ser;
    const trace::track t = dir == dir_down ? trace::track::link_down : trace::track::link_up;
    const sc_core::sc_time end = kernel_time() + delay;
    const std::uint64_t queued = start > arrive ? trace::to_ps(start - arrive) : 0;
    const unsigned bytes = header + payload + p_.framing_bytes;
    if (cpl)
        trace::span(t, what, arrive, end,
                    {trace::arg::hex("address", p.get_address()), {"size", p.get_data_length()},
                     trace::arg::hex("requester_id", a.requester_id), {"status", dbvp::to_string(a.status)},
                     {"wire_bytes", bytes}, {"queued_ps", queued}, {"serialization_ps", trace::to_ps(ser)}});
    else
        trace::span(t, what, arrive, end,
                    {trace::arg::hex("address", p.get_address()), {"size", p.get_data_length()},
                     trace::arg::hex("requester_id", a.requester_id), {"wire_bytes", bytes}, {"queued_ps", queued},
                     {"serialization_ps", trace::to_ps(ser)}});
}

void link::b_transport_down(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    forward(dir_down, down_out, p, delay);
}

void link::b_transport_up(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    forward(dir_up, up_out, p, delay);
}

unsigned link::dbg_down(tlm::tlm_generic_payload& p) { return down_out->transport_dbg(p); }

unsigned link::dbg_up(tlm::tlm_generic_payload& p) { return up_out->transport_dbg(p); }

} // namespace dbvp::pcie
