#include "dbvp/core/master.h"

#include "dbvp/core/payload.h"

#include <algorithm>
#include <cstring>

namespace dbvp {

master::master(tlm::tlm_base_initiator_socket<>& socket) : socket_(socket) {
    if (tlm::tlm_global_quantum::instance().get() == sc_core::SC_ZERO_TIME)
        set_global_quantum(sc_core::sc_time(1, sc_core::SC_US));
    reset_local();
}

master::~master() { payload_.clear_extension<pcie_attr>(); }

void master::set_global_quantum(const sc_core::sc_time& q) { tlm::tlm_global_quantum::instance().set(q); }

void master::reset_local() {
    local_ = sc_core::SC_ZERO_TIME;
    next_sync_ = kernel_time() + tlm::tlm_global_quantum::instance().compute_local_quantum();
}

void master::sync_local() {
    sc_core::wait(local_);
    reset_local();
}

tlm::tlm_response_status master::read(std::uint64_t addr, void* data, unsigned len, pcie_attr* attr) {
    return access(tlm::TLM_READ_COMMAND, addr, data, len, attr);
}

tlm::tlm_response_status master::write(std::uint64_t addr, const void* data, unsigned len, pcie_attr* attr) {
    return access(tlm::TLM_WRITE_COMMAND, addr, const_cast<void*>(data), len, attr);
}

tlm::tlm_response_status master::access(tlm::tlm_command cmd, std::uint64_t addr, void* data, unsigned len,
                                        pcie_attr* attr) {
    if (dmi_on_ && !attr) {
        sc_core::sc_time delay = local_;
        if (dmi_.access(cmd, addr, data, len, delay)) {
            last_delay_ = delay - local_;
            local_ = delay;
            if (need_sync())
                sync_local();
            return tlm::TLM_OK_RESPONSE;
        }
    }
    prepare_access(payload_, cmd, addr, data, len);
    // The caller owns attr: detach it whatever happens in the target (the payload would delete it otherwise).
    struct detach {
        tlm::tlm_generic_payload& p;
        pcie_attr* a;
        ~detach() {
            if (a)
                p.clear_extension(a);
        }
    } guard{payload_, attr};
    if (attr)
        payload_.set_extension(attr);
    sc_core::sc_time delay = local_;
    // Absolute times: a target may wait inside b_transport and hand back a smaller offset.
    const sc_core::sc_time before = kernel_time() + delay;
    socket_->b_transport(payload_, delay);
    last_delay_ = kernel_time() + delay - before;
    local_ = delay;
    if (dmi_on_ && !attr)
        dmi_.request(socket_, payload_);
    if (need_sync())
        sync_local();
    return payload_.get_response_status();
}

std::uint64_t master::store_run(std::uint64_t addr, std::uint64_t value, std::uint64_t count,
                                const sc_core::sc_time& before, const sc_core::sc_time& until) {
    unsigned char* ptr = nullptr;
    std::uint64_t room = 0;
    sc_core::sc_time latency;
    if (!dmi_on_ || count == 0 || !dmi_.write_run(addr, ptr, room, latency))
        return 0;
    std::uint64_t n = std::min(count, room / 8);
    const sc_core::sc_time start = kernel_time() + local_;
    if (start >= next_sync_)
        return 0;
    // Store j (from 0) ends at start + (j + 1) * w: every one of them must end before the sync point (access()
    // and consume() synchronise once the local time reaches it), and store j >= 1 must begin before `until`.
    const std::uint64_t w = static_cast<std::uint64_t>((before + latency).value());
    if (w != 0)
        n = std::min<std::uint64_t>(n, ((next_sync_ - start).value() - 1) / w);
    if (until <= start)
        n = std::min<std::uint64_t>(n, 1);
    else if (w != 0 && until != sc_core::sc_max_time())
        n = std::min<std::uint64_t>(n, ((until - start).value() - 1) / w + 1);
    for (std::uint64_t j = 0; j < n; ++j)
        std::memcpy(ptr + 8 * j, &value, 8);
    if (n) {
        local_ += times(before + latency, n);
        last_delay_ = latency;
    }
    return n;
}

unsigned master::debug(tlm::tlm_command cmd, std::uint64_t addr, void* data, unsigned len) {
    tlm::tlm_generic_payload p;
    p.set_command(cmd);
    p.set_address(addr);
    p.set_data_ptr(static_cast<unsigned char*>(data));
    p.set_data_length(len);
    p.set_streaming_width(len);
    return socket_->transport_dbg(p);
}

void master::consume(const sc_core::sc_time& t) {
    local_ += t;
    if (need_sync())
        sync_local();
}

void master::sync() { sync_local(); }

bool master::wait_until(const sc_core::sc_time& deadline, const sc_core::sc_event& ev) {
    // In step with the kernel already: no delta wait first, an event notified in that delta would be missed.
    if (local_ != sc_core::SC_ZERO_TIME)
        sync_local();
    if (either_of_ != &ev) {
        sc_core::sc_event_or_list l(ev);
        l |= timeout_ev_;
        either_.swap(l);
        either_of_ = &ev;
    }
    for (;;) {
        const sc_core::sc_time now = kernel_time();
        if (now >= deadline)
            return false;
        // A notification already pending for an earlier deadline stays (this wait then wakes at that time and
        // waits on); one pending for a later deadline is replaced.
        timeout_ev_.notify(deadline - now);
        sc_core::wait(either_);
        reset_local();
        if (ev.triggered())
            return kernel_time() < deadline;
    }
}

void master::wait_until(const sc_core::sc_time& deadline) {
    sync_local();
    const sc_core::sc_time now = kernel_time();
    if (now < deadline)
        sc_core::wait(deadline - now);
    reset_local();
}

} // namespace dbvp
