#include "dbvp/core/master.h"
#include "dbvp/core/payload.h"

namespace dbvp {

master::master(tlm::tlm_base_initiator_socket<>& socket) : socket_(socket) {
    if (tlm_utils::tlm_quantumkeeper::get_global_quantum() == sc_core::SC_ZERO_TIME)
        tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::sc_time(1, sc_core::SC_US));
    qk_.reset();
}

master::~master() { payload_.clear_extension<pcie_attr>(); }

void master::set_global_quantum(const sc_core::sc_time& q) { tlm_utils::tlm_quantumkeeper::set_global_quantum(q); }

tlm::tlm_response_status master::read(std::uint64_t addr, void* data, unsigned len, pcie_attr* attr) {
    return access(tlm::TLM_READ_COMMAND, addr, data, len, attr);
}

tlm::tlm_response_status master::write(std::uint64_t addr, const void* data, unsigned len, pcie_attr* attr) {
    return access(tlm::TLM_WRITE_COMMAND, addr, const_cast<void*>(data), len, attr);
}

tlm::tlm_response_status master::access(tlm::tlm_command cmd, std::uint64_t addr, void* data, unsigned len,
                                        pcie_attr* attr) {
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
    sc_core::sc_time delay = qk_.get_local_time();
    // Absolute times: a target may wait inside b_transport and hand back a smaller offset.
    const sc_core::sc_time before = sc_core::sc_time_stamp() + delay;
    socket_->b_transport(payload_, delay);
    last_delay_ = sc_core::sc_time_stamp() + delay - before;
    qk_.set(delay);
    if (qk_.need_sync())
        qk_.sync();
    return payload_.get_response_status();
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
    qk_.inc(t);
    if (qk_.need_sync())
        qk_.sync();
}

void master::sync() { qk_.sync(); }

bool master::wait_until(const sc_core::sc_time& deadline, const sc_core::sc_event& ev) {
    qk_.sync();
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    if (now >= deadline)
        return false;
    sc_core::wait(deadline - now, ev);
    qk_.reset();
    return sc_core::sc_time_stamp() < deadline;
}

void master::wait_until(const sc_core::sc_time& deadline) {
    qk_.sync();
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    if (now < deadline)
        sc_core::wait(deadline - now);
    qk_.reset();
}

sc_core::sc_time master::now() const { return sc_core::sc_time_stamp() + qk_.get_local_time(); }

} // namespace dbvp
