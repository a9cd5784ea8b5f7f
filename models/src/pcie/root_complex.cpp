// dbvp — PCIe host root complex: host memory, MSI receiver, and the host HAL issuing TLPs down the link.
#include "dbvp/pcie/root_complex.h"

#include "dbvp/core/clocked.h"
#include "dbvp/core/report.h"
#include "dbvp/core/sideband.h"
#include "dbvp/core/trace.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace dbvp::pcie {

namespace {

memory::params host_memory_params(const root_complex::params& p) {
    memory::params m = p.mem_timing;
    m.size = p.mem_size;
    return m;
}

bool inside(std::uint64_t addr, std::uint64_t len, std::uint64_t base, std::uint64_t size) {
    return addr >= base && addr - base < size && len <= size - (addr - base);
}

std::uint64_t to_ns(const sc_core::sc_time& t) {
    return t.value() / one_ns().value();
}

/// Absolute deadline sc_time_stamp() + ns, clamped to the largest representable time.
sc_core::sc_time deadline_after(std::uint64_t ns) {
    const sc_core::sc_time now = kernel_time();
    const sc_core::sc_time max = sc_core::sc_max_time();
    const std::uint64_t left_ns = to_ns(max - now);
    if (ns >= left_ns)
        return max;
    return now + times(one_ns(), ns);
}

host::completion from_status(cpl_status s, tlm::tlm_response_status r) {
    switch (s) {
    case cpl_status::ur: return host::completion::ur;
    case cpl_status::crs: return host::completion::crs;
    case cpl_status::ca: return host::completion::ca;
    case cpl_status::sc: break;
    }
    // An error response without a completion status: a decode miss is an unsupported request, anything else
    // a completer abort.
    return r == tlm::TLM_ADDRESS_ERROR_RESPONSE ? host::completion::ur : host::completion::ca;
}

} // namespace

// ------------------------------------------------------------------------------------------------------------
// Host HAL

class root_complex::hal_impl final : public host::hal {
public:
    explicit hal_impl(root_complex& rc) : rc_(rc), m_(rc.down) {}

    host::completion cfg_read(std::uint16_t bdf, std::uint16_t offset, unsigned len, std::uint32_t& value) override {
        unsigned char buf[4] = {0xff, 0xff, 0xff, 0xff};
        const host::completion c = cfg(tlm::TLM_READ_COMMAND, bdf, offset, len, buf);
        if (c != host::completion::ok || !valid_cfg(len)) {
            value = len >= 4 || !valid_cfg(len) ? 0xffffffffu : ((1u << (8 * len)) - 1);
            return c;
        }
        value = 0;
        for (unsigned i = 0; i < len; ++i)
            value |= static_cast<std::uint32_t>(buf[i]) << (8 * i);
        return c;
    }

    host::completion cfg_write(std::uint16_t bdf, std::uint16_t offset, unsigned len, std::uint32_t value) override {
        unsigned char buf[4];
        for (unsigned i = 0; i < 4; ++i)
            buf[i] = static_cast<unsigned char>(value >> (8 * i));
        return cfg(tlm::TLM_WRITE_COMMAND, bdf, offset, len, buf);
    }

    host::completion mem_read(std::uint64_t addr, void* data, unsigned len) override {
        const sc_core::sc_time t0 = trace::on() ? m_.now() : sc_core::SC_ZERO_TIME;
        m_.consume(rc_.cycles(rc_.p_.latency));
        if (!in_window(addr, len)) {
            if (trace::on())
                trace_drop("MRd", addr, len);
            std::memset(data, 0xff, len);
            return host::completion::ur;
        }
        begin(tlp_type::mem_rd, false);
        if (trace::on())
            trace_request("MRd", t0, addr, len);
        const tlm::tlm_response_status r = m_.read(addr, data, len, &attr_);
        const host::completion c = finish(r);
        if (c != host::completion::ok)
            std::memset(data, 0xff, len);
        return c;
    }

    void mem_write(std::uint64_t addr, const void* data, unsigned len) override {
        const sc_core::sc_time t0 = trace::on() ? m_.now() : sc_core::SC_ZERO_TIME;
        m_.consume(rc_.cycles(rc_.p_.latency));
        if (!in_window(addr, len)) {
            if (trace::on())
                trace_drop("MWr", addr, len);
            guest_warning(rc_, "host write of %u bytes at 0x%llx is outside the MMIO windows: dropped", len,
                          static_cast<unsigned long long>(addr));
            return;
        }
        begin(tlp_type::mem_wr, true);
        if (trace::on())
            trace_request("MWr", t0, addr, len);
        // Blocking TLM: the host's time advances by the delay the write took to reach its target.
        m_.write(addr, data, len, &attr_);
    }

    std::uint64_t now_ns() override { return to_ns(m_.now()); }

    void sleep_ns(std::uint64_t ns) override { m_.consume(times(one_ns(), ns)); }

    bool wait_link_up(std::uint64_t timeout_ns) override {
        m_.sync();
        const sc_core::sc_time deadline = deadline_after(timeout_ns);
        while (!rc_.link_up_)
            if (!m_.wait_until(deadline, rc_.link_ev_))
                return rc_.link_up_;
        return true;
    }

    bool wait_msi(std::uint64_t timeout_ns, host::msi_message& out) override {
        m_.sync();
        const sc_core::sc_time deadline = deadline_after(timeout_ns);
        for (;;) {
            if (rc_.msi_next_ < rc_.msi_log_.size()) {
                // The sender may run ahead of the kernel (temporal decoupling): the message exists only from
                // its arrival time on.
                const sc_core::sc_time at = rc_.msi_at_[rc_.msi_next_];
                if (at > deadline) {
                    m_.wait_until(deadline);
                    return false;
                }
                m_.wait_until(at);
                out = rc_.msi_log_[rc_.msi_next_++];
                return true;
            }
            if (!m_.wait_until(deadline, rc_.msi_ev_) && rc_.msi_next_ >= rc_.msi_log_.size())
                return false;
        }
    }

    std::uint64_t msi_address() const override { return rc_.p_.msi_address; }

private:
    static bool valid_cfg(unsigned len) { return len == 1 || len == 2 || len == 4; }

    /// Tracing: the host bridge's part of a request (issue -> leaves for the link).
    void trace_request(const char* what, const sc_core::sc_time& t0, std::uint64_t addr, unsigned len) const {
        trace::span(trace::track::host, what, t0, m_.now(),
                    {trace::arg::hex("address", addr), {"size", len},
                     trace::arg::hex("requester_id", attr_.requester_id)});
    }
    void trace_drop(const char* what, std::uint64_t addr, unsigned len) const {
        trace::instant(trace::track::host, "drop", m_.now(),
                       {{"reason", "outside_mmio_windows"}, {"type", what}, trace::arg::hex("address", addr),
                        {"size", len}});
    }

    bool in_window(std::uint64_t addr, unsigned len) const {
        const params& p = rc_.p_;
        return len > 0 &&
               (inside(addr, len, p.mmio32_base, p.mmio32_size) || inside(addr, len, p.mmio64_base, p.mmio64_size));
    }

    void begin(tlp_type type, bool posted) {
        attr_.type = type;
        attr_.requester_id = rc_.p_.root_port;
        attr_.completer_id = 0;
        attr_.function = 0;
        attr_.bar = -1;
        attr_.has_stream_id = false;
        attr_.has_device_id = false;
        attr_.secure = false;
        attr_.posted = posted;
        attr_.status = cpl_status::sc;
        attr_.stream_id = 0;
        attr_.device_id = 0;
    }

    host::completion finish(tlm::tlm_response_status r) const {
        if (r == tlm::TLM_OK_RESPONSE && attr_.status == cpl_status::sc)
            return host::completion::ok;
        if (!rc_.link_up_)
            return host::completion::link_down;
        return from_status(attr_.status, r);
    }

    host::completion cfg(tlm::tlm_command cmd, std::uint16_t bdf, std::uint16_t offset, unsigned len,
                         unsigned char* buf) {
        const sc_core::sc_time t0 = trace::on() ? m_.now() : sc_core::SC_ZERO_TIME;
        m_.consume(rc_.cycles(rc_.p_.latency));
        const bool write = cmd == tlm::TLM_WRITE_COMMAND;
        if (!valid_cfg(len) || offset % len != 0 || offset >= 0x1000) {
            guest_warning(rc_, "config %s of %u bytes at offset 0x%x of %02x:%02x.%u: bad size/alignment",
                          write ? "write" : "read", len, offset, bdf_bus(bdf), bdf_dev(bdf), bdf_fn(bdf));
            return host::completion::ur;
        }
        // Below a root port only device 0 of the secondary bus exists (no ARI forwarding); everything else
        // is answered by the root complex itself.
        if (bdf_bus(bdf) != rc_.p_.secondary_bus || bdf_dev(bdf) != 0)
            return host::completion::ur;
        begin(write ? tlp_type::cfg_wr0 : tlp_type::cfg_rd0, false);
        attr_.completer_id = bdf;
        if (trace::on())
            trace::span(trace::track::host, dbvp::to_string(attr_.type), t0, m_.now(),
                        {trace::arg::hex("completer_id", bdf), trace::arg::hex("offset", offset), {"size", len},
                         trace::arg::hex("requester_id", attr_.requester_id)});
        return finish(m_.access(cmd, offset, buf, len, &attr_));
    }

    root_complex& rc_;
    master m_;
    pcie_attr attr_;
};

// ------------------------------------------------------------------------------------------------------------
// Root complex

root_complex::root_complex(sc_core::sc_module_name name, const params& p)
    : sc_module(name), clocked(p.clock_hz), down("down"), up("up"), p_(p),
      mem_(std::make_unique<memory>("memory", host_memory_params(p))), mem_port_("mem_port") {
    if (p_.mem_size == 0 || p_.mem_base + (p_.mem_size - 1) < p_.mem_base)
        throw std::invalid_argument(std::string(this->name()) + ": bad host memory range");
    mem_port_.bind(mem_->socket);
    up.register_b_transport(this, &root_complex::b_transport_up);
    up.register_transport_dbg(this, &root_complex::dbg_up);
    hal_ = std::make_unique<hal_impl>(*this);
    msi_log_.reserve(1024);
    msi_at_.reserve(1024);
}

root_complex::~root_complex() = default;

host::hal& root_complex::host_hal() { return *hal_; }

void root_complex::irq_level(unsigned input, bool level, const sc_core::sc_time& offset) {
    if (input != 0)
        throw std::logic_error(std::string(name()) + ": irq input " + std::to_string(input) +
                               " does not exist (0 = link up)");
    link_up_ = level;
    link_ev_.notify(offset);
}

void root_complex::b_transport_up(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    const sc_core::sc_time t0 = trace::on() ? kernel_time() + delay : sc_core::SC_ZERO_TIME;
    delay += cycles(p_.latency);
    pcie_attr* a = attr_of(p);
    const std::uint64_t addr = p.get_address();
    const unsigned len = p.get_data_length();
    auto trace_up = [&](const char* what) {
        trace::span(trace::track::host, what, t0, kernel_time() + delay,
                    {trace::arg::hex("address", addr), {"size", len},
                     trace::arg::hex("requester_id", a ? a->requester_id : 0u)});
    };

    if (p.is_write() && addr == p_.msi_address && len == 4) {
        std::uint32_t data = 0;
        const unsigned char* d = p.get_data_ptr();
        for (unsigned i = 0; i < 4; ++i)
            data |= static_cast<std::uint32_t>(d[i]) << (8 * i);
        const sc_core::sc_time at = kernel_time() + delay;
        host::msi_message m;
        m.time_ns = to_ns(at);
        m.address = addr;
        m.data = data;
        m.requester_id = a ? a->requester_id : 0;
        msi_log_.push_back(m);
        msi_at_.push_back(at);
        ++stats_.msis;
        msi_ev_.notify(delay);
        if (a)
            a->status = cpl_status::sc;
        p.set_response_status(tlm::TLM_OK_RESPONSE);
        if (trace::on())
            trace::span(trace::track::host, "MSI", t0, at,
                        {trace::arg::hex("address", addr), {"data", data},
                         trace::arg::hex("requester_id", m.requester_id)});
        return;
    }

    if (inside(addr, len, p_.mem_base, p_.mem_size)) {
        p.set_address(addr - p_.mem_base);
        mem_port_->b_transport(p, delay);
        p.set_address(addr);
        if (trace::on())
            trace_up(p.is_write() ? "memory write" : "memory read");
        return;
    }

    if (trace::on())
        trace::instant(trace::track::host, "drop", kernel_time() + delay,
                       {{"reason", p.is_write() ? "upstream_write_dropped" : "upstream_read_ur"},
                        trace::arg::hex("address", addr), {"size", len},
                        trace::arg::hex("requester_id", a ? a->requester_id : 0u)});
    if (p.is_write()) {
        ++stats_.upstream_dropped;
        guest_warning(*this, "upstream write of %u bytes at 0x%llx (requester %04x) hits neither host memory nor "
                             "the MSI target: dropped",
                      len, static_cast<unsigned long long>(addr), a ? a->requester_id : 0u);
        p.set_response_status(tlm::TLM_OK_RESPONSE);
        return;
    }
    ++stats_.upstream_ur;
    if (a)
        a->status = cpl_status::ur;
    p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

unsigned root_complex::dbg_up(tlm::tlm_generic_payload& p) {
    const std::uint64_t addr = p.get_address();
    if (addr < p_.mem_base || addr - p_.mem_base >= p_.mem_size)
        return 0;
    p.set_address(addr - p_.mem_base);
    const unsigned n = mem_port_->transport_dbg(p);
    p.set_address(addr);
    return n;
}

} // namespace dbvp::pcie
