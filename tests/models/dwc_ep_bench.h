// Bench for the DWC endpoint controller tests (test_dwc_ep.cpp, test_iatu.cpp).
//
//   cpu  --> cpu_bus (router) --> ep.dbi / ep.dbi2 / ep.atu / ep.app / ep.addr_space
//   host --> ep.pcie_in                          (TLPs with a pcie_attr: configuration and memory requests)
//   ep.axi_out --> soc (router) --> ram          (endpoint RAM at ram_base)
//   ep.pcie_out --> link (capture target)        (records outbound TLPs and their attributes)
//
// One SC_THREAD runs the test body; every helper access synchronises afterwards, so each access starts at
// sc_time_stamp() with no local offset and the CPU and host sides stay in step. Helpers program the controller
// the way the Linux DWC driver does (facts 2.2 / 2.3).
#pragma once

#include "dbvp/bus/router.h"
#include "dbvp/core/master.h"
#include "dbvp/mem/memory.h"
#include "dbvp/pcie/dwc_ep.h"
#include "reports.h"

#include <cstdint>
#include <cstring>
#include <functional>
#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

namespace dbvp::test {

using pcie::dwc_ep;

// CPU address map of the bench.
inline constexpr std::uint64_t DBI_BASE = 0x01000000;
inline constexpr std::uint64_t DBI2_BASE = 0x02000000;
inline constexpr std::uint64_t ATU_BASE = 0x03000000;
inline constexpr std::uint64_t APP_BASE = 0x04000000;
// SoC address map behind axi_out.
inline constexpr std::uint64_t RAM_BASE = 0x10000000;
inline constexpr std::uint64_t RAM_SIZE = 0x01000000;
// Host side.
inline constexpr std::uint8_t HOST_BUS = 1;
inline constexpr std::uint16_t ROOT_PORT = 0x0000;

// DWC register facts used by the helpers.
inline constexpr std::uint32_t MISC_CONTROL_1 = 0x8bc;
inline constexpr std::uint32_t CTRL1 = 0x00, CTRL2 = 0x04, LOWER_BASE = 0x08, UPPER_BASE = 0x0c, LIMIT = 0x10,
                               LOWER_TARGET = 0x14, UPPER_TARGET = 0x18, UPPER_LIMIT = 0x20;
inline constexpr std::uint32_t ATU_ENABLE = 1u << 31, ATU_BAR_MODE = 1u << 30, ATU_FUNC_MATCH = 1u << 19,
                               ATU_INCREASE = 1u << 13;
inline constexpr std::uint32_t atu_func(unsigned f) { return f << 20; }
inline constexpr std::uint32_t atu_bar(unsigned b) { return b << 8; }
inline constexpr std::uint64_t atu_off(bool ib, unsigned idx) { return (std::uint64_t{idx} << 9) | (ib ? 0x100 : 0); }

inline dwc_ep::params default_params() {
    dwc_ep::params p;
    p.addr_space_base = 0x40000000;
    p.addr_space_size = 0x10000000;
    return p;
}

struct initiator : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<initiator> socket;
    master m;
    explicit initiator(sc_core::sc_module_name n) : sc_module(n), socket("socket"), m(socket) {}
};

/// The link: records every outbound TLP and answers with a configurable status.
struct capture_target : sc_core::sc_module {
    struct tlp {
        tlm::tlm_command cmd;
        std::uint64_t addr;
        std::vector<std::uint8_t> data;
        bool has_attr;
        pcie_attr attr;
        sc_core::sc_time time;
    };
    tlm_utils::simple_target_socket<capture_target> socket;
    std::vector<tlp> seen;
    tlm::tlm_response_status response = tlm::TLM_OK_RESPONSE;
    cpl_status status = cpl_status::sc;
    sc_core::sc_time latency{50, sc_core::SC_NS};
    std::uint8_t read_fill = 0x5a;

    explicit capture_target(sc_core::sc_module_name n) : sc_module(n), socket("socket") {
        socket.register_b_transport(this, &capture_target::b_transport);
    }
    void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
        const pcie_attr* a = attr_of(p);
        tlp t{p.get_command(), p.get_address(), {}, a != nullptr, a ? *a : pcie_attr{},
              sc_core::sc_time_stamp() + delay};
        if (p.is_write())
            t.data.assign(p.get_data_ptr(), p.get_data_ptr() + p.get_data_length());
        else
            std::memset(p.get_data_ptr(), read_fill, p.get_data_length());
        seen.push_back(t);
        if (auto* w = attr_of(p))
            w->status = status;
        delay += latency;
        p.set_response_status(response);
    }
};

struct level_sink : irq_sink {
    std::vector<bool> levels;
    void irq_level(unsigned, bool level, const sc_core::sc_time&) override { levels.push_back(level); }
};

struct ep_bench : sc_core::sc_module {
    dwc_ep::params prm;
    dwc_ep ep;
    memory ram;
    router soc;
    router cpu_bus;
    initiator cpu;
    initiator host;
    capture_target link;
    std::function<void()> body;
    bool done = false;                                             // the body ran to its end
    tlm::tlm_response_status last = tlm::TLM_INCOMPLETE_RESPONSE; // response of the last helper access
    pcie_attr last_attr;                                           // attribute of the last host request

    SC_HAS_PROCESS(ep_bench);
    explicit ep_bench(const dwc_ep::params& p, sc_core::sc_module_name n = "bench")
        : sc_module(n), prm(p), ep("ep", p), ram("ram", memory::params{RAM_SIZE, 1000000000, 10, 10}),
          soc("soc", router::params{1000000000, 2}), cpu_bus("cpu_bus", router::params{1000000000, 2}),
          cpu("cpu"), host("host"), link("link") {
        cpu.socket.bind(cpu_bus.in);
        cpu_bus.out.bind(ep.dbi);
        cpu_bus.out.bind(ep.dbi2);
        cpu_bus.out.bind(ep.atu);
        cpu_bus.out.bind(ep.app);
        cpu_bus.out.bind(ep.addr_space);
        cpu_bus.map(0, DBI_BASE, p.num_functions * p.func_dbi_stride, "dbi");
        cpu_bus.map(1, DBI2_BASE, p.num_functions * p.func_dbi_stride, "dbi2");
        cpu_bus.map(2, ATU_BASE, p.atu_size, "atu");
        cpu_bus.map(3, APP_BASE, 0x1000, "app");
        cpu_bus.map(4, p.addr_space_base, p.addr_space_size, "addr_space");
        ep.axi_out.bind(soc.in);
        soc.out.bind(ram.socket);
        soc.map(0, RAM_BASE, RAM_SIZE, "ram");
        host.socket.bind(ep.pcie_in);
        ep.pcie_out.bind(link.socket);
        SC_THREAD(thread);
    }

    /// Run `fn` in the bench thread until it returns; a body that does not reach its end (a wait nothing ends: the
    /// simulation runs out of events) fails the test.
    void run(std::function<void()> fn) {
        body = std::move(fn);
        sc_core::sc_start();
        EXPECT_TRUE(done) << "the bench's body did not run to its end: the simulation ran out of events at "
                          << sc_core::sc_time_stamp();
    }
    void thread() {
        body();
        done = true;
        sc_core::sc_stop();
    }

    // ---- CPU side -------------------------------------------------------------------------------------------
    std::uint64_t cpu_read(std::uint64_t addr, unsigned len = 4) {
        std::uint64_t v = 0;
        last = cpu.m.read(addr, &v, len);
        cpu.m.sync();
        return v;
    }
    void cpu_write(std::uint64_t addr, std::uint64_t v, unsigned len = 4) {
        last = cpu.m.write(addr, &v, len);
        cpu.m.sync();
    }
    std::uint64_t dbi_page(unsigned f) const { return f * prm.func_dbi_stride; }
    std::uint32_t dbi_rd(unsigned f, std::uint32_t off, unsigned len = 4) {
        return static_cast<std::uint32_t>(cpu_read(DBI_BASE + dbi_page(f) + off, len));
    }
    void dbi_wr(unsigned f, std::uint32_t off, std::uint32_t v, unsigned len = 4) {
        cpu_write(DBI_BASE + dbi_page(f) + off, v, len);
    }
    std::uint32_t dbi2_rd(unsigned f, std::uint32_t off) {
        return static_cast<std::uint32_t>(cpu_read(DBI2_BASE + dbi_page(f) + off));
    }
    void dbi2_wr(unsigned f, std::uint32_t off, std::uint32_t v) { cpu_write(DBI2_BASE + dbi_page(f) + off, v); }
    void ro_wr(bool on) { dbi_wr(0, MISC_CONTROL_1, on ? 1 : 0); }
    std::uint32_t atu_rd(bool ib, unsigned idx, std::uint32_t reg) {
        return static_cast<std::uint32_t>(cpu_read(ATU_BASE + atu_off(ib, idx) + reg));
    }
    void atu_wr(bool ib, unsigned idx, std::uint32_t reg, std::uint32_t v) {
        cpu_write(ATU_BASE + atu_off(ib, idx) + reg, v);
    }
    /// Let `n` cycles of the controller clock pass.
    void idle(std::uint64_t n) {
        cpu.m.consume(ep.cycles(n));
        cpu.m.sync();
    }
    /// Poll CTRL2.ENABLE as the driver does (but in controller cycles); true when it reads back set.
    bool wait_enabled(bool ib, unsigned idx, unsigned polls = 5) {
        for (unsigned i = 0; i < polls; ++i) {
            if (atu_rd(ib, idx, CTRL2) & ATU_ENABLE)
                return true;
            idle(prm.atu_enable_delay + 1);
        }
        return false;
    }

    // ---- Firmware sequences (Linux DWC driver order) --------------------------------------------------------
    void configure_bar(unsigned f, unsigned bar, std::uint64_t size, bool is64, bool prefetch) {
        const std::uint32_t reg = 0x10 + 4 * bar;
        ro_wr(true);
        dbi2_wr(f, reg, static_cast<std::uint32_t>(size - 1));
        dbi_wr(f, reg, (is64 ? 0x4u : 0u) | (prefetch ? 0x8u : 0u));
        if (is64) {
            dbi2_wr(f, reg + 4, static_cast<std::uint32_t>((size - 1) >> 32));
            dbi_wr(f, reg + 4, 0);
        }
        ro_wr(false);
    }
    bool map_bar(unsigned f, unsigned bar, unsigned win, std::uint64_t target) {
        atu_wr(true, win, LOWER_TARGET, static_cast<std::uint32_t>(target));
        atu_wr(true, win, UPPER_TARGET, static_cast<std::uint32_t>(target >> 32));
        atu_wr(true, win, CTRL1, atu_func(f));
        atu_wr(true, win, CTRL2, ATU_ENABLE | ATU_FUNC_MATCH | ATU_BAR_MODE | atu_bar(bar));
        return wait_enabled(true, win);
    }
    bool map_inbound_addr(unsigned win, unsigned f, std::uint64_t pci, std::uint64_t size, std::uint64_t target) {
        const std::uint64_t limit = pci + size - 1;
        atu_wr(true, win, LOWER_BASE, static_cast<std::uint32_t>(pci));
        atu_wr(true, win, UPPER_BASE, static_cast<std::uint32_t>(pci >> 32));
        atu_wr(true, win, LIMIT, static_cast<std::uint32_t>(limit));
        atu_wr(true, win, UPPER_LIMIT, static_cast<std::uint32_t>(limit >> 32));
        atu_wr(true, win, LOWER_TARGET, static_cast<std::uint32_t>(target));
        atu_wr(true, win, UPPER_TARGET, static_cast<std::uint32_t>(target >> 32));
        atu_wr(true, win, CTRL1, atu_func(f) | ((limit >> 32) > (pci >> 32) ? ATU_INCREASE : 0));
        atu_wr(true, win, CTRL2, ATU_ENABLE | ATU_FUNC_MATCH);
        return wait_enabled(true, win);
    }
    bool map_outbound(unsigned win, unsigned f, std::uint64_t cpu_addr, std::uint64_t size, std::uint64_t pci) {
        const std::uint64_t limit = cpu_addr + size - 1;
        atu_wr(false, win, LOWER_BASE, static_cast<std::uint32_t>(cpu_addr));
        atu_wr(false, win, UPPER_BASE, static_cast<std::uint32_t>(cpu_addr >> 32));
        atu_wr(false, win, LIMIT, static_cast<std::uint32_t>(limit));
        atu_wr(false, win, UPPER_LIMIT, static_cast<std::uint32_t>(limit >> 32));
        atu_wr(false, win, LOWER_TARGET, static_cast<std::uint32_t>(pci));
        atu_wr(false, win, UPPER_TARGET, static_cast<std::uint32_t>(pci >> 32));
        atu_wr(false, win, CTRL1, atu_func(f) | ((limit >> 32) > (cpu_addr >> 32) ? ATU_INCREASE : 0));
        atu_wr(false, win, CTRL2, ATU_ENABLE);
        return wait_enabled(false, win);
    }

    // ---- Host side ------------------------------------------------------------------------------------------
    std::uint64_t host_access(tlm::tlm_command cmd, tlp_type type, std::uint16_t completer, std::uint64_t addr,
                              std::uint64_t v, unsigned len) {
        pcie_attr a;
        a.type = type;
        a.requester_id = ROOT_PORT;
        a.completer_id = completer;
        a.posted = type == tlp_type::mem_wr;
        last = host.m.access(cmd, addr, &v, len, &a);
        host.m.sync();
        last_attr = a;
        return v;
    }
    std::uint32_t cfg_rd(unsigned f, std::uint32_t off, unsigned len = 4, unsigned dev = 0) {
        return static_cast<std::uint32_t>(host_access(tlm::TLM_READ_COMMAND, tlp_type::cfg_rd0,
                                                      make_bdf(HOST_BUS, dev, f), off, 0, len));
    }
    void cfg_wr(unsigned f, std::uint32_t off, std::uint32_t v, unsigned len = 4, unsigned dev = 0) {
        host_access(tlm::TLM_WRITE_COMMAND, tlp_type::cfg_wr0, make_bdf(HOST_BUS, dev, f), off, v, len);
    }
    std::uint64_t mem_rd(std::uint64_t addr, unsigned len = 4) {
        return host_access(tlm::TLM_READ_COMMAND, tlp_type::mem_rd, 0, addr, 0, len);
    }
    void mem_wr(std::uint64_t addr, std::uint64_t v, unsigned len = 4) {
        host_access(tlm::TLM_WRITE_COMMAND, tlp_type::mem_wr, 0, addr, v, len);
    }
    /// Host enumeration of one BAR: assign `addr` and enable memory decoding.
    void host_assign(unsigned f, unsigned bar, std::uint64_t addr, bool is64) {
        cfg_wr(f, 0x10 + 4 * bar, static_cast<std::uint32_t>(addr));
        if (is64)
            cfg_wr(f, 0x14 + 4 * bar, static_cast<std::uint32_t>(addr >> 32));
        cfg_wr(f, 0x04, cfg_rd(f, 0x04) | 0x6);
    }

    std::uint32_t ram32(std::uint64_t soc_addr) {
        std::uint32_t v = 0;
        std::memcpy(&v, ram.data() + (soc_addr - RAM_BASE), 4);
        return v;
    }
    void set_ram32(std::uint64_t soc_addr, std::uint32_t v) { std::memcpy(ram.data() + (soc_addr - RAM_BASE), &v, 4); }

    /// The most recent incident (a test failure, and a dummy record, when there is none).
    const dwc_ep::incident& last_incident() const {
        static const dwc_ep::incident none{sc_core::SC_ZERO_TIME, dwc_ep::incident_kind::config_no_function, false,
                                           ~0ull, 0xffff, 0xff, -2};
        if (ep.incidents().empty()) {
            ADD_FAILURE() << "no incident recorded";
            return none;
        }
        return ep.incidents().back();
    }
    std::size_t count(dwc_ep::incident_kind k) const {
        std::size_t n = 0;
        for (const auto& i : ep.incidents())
            n += i.kind == k;
        return n;
    }
};

} // namespace dbvp::test
