// Uses dbvp models from an installed package: a CPU-like initiator writes and reads RAM through the router.
#include <dbvp/bus/router.h>
#include <dbvp/core/master.h>
#include <dbvp/mem/memory.h>

#include <cstdio>
#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

struct initiator : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<initiator> socket{"socket"};
    dbvp::master m{socket};
    bool ok = false;
    SC_CTOR(initiator) { SC_THREAD(run); }
    void run() {
        std::uint32_t v = 0xfeedc0de, back = 0;
        ok = m.write(0x1000, &v, 4) == tlm::TLM_OK_RESPONSE && m.read(0x1000, &back, 4) == tlm::TLM_OK_RESPONSE &&
             back == v;
    }
};

int sc_main(int, char*[]) {
    dbvp::router bus("bus", {});
    dbvp::memory ram("ram", {});
    initiator cpu("cpu");
    cpu.socket.bind(bus.in);
    bus.out.bind(ram.socket);
    bus.map(0, 0x0, ram.size(), "ram");
    sc_core::sc_start();
    std::printf("consumer: %s\n", cpu.ok ? "ok" : "FAILED");
    return cpu.ok ? 0 : 1;
}
