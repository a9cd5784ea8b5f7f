// The verilated inbound iATU's pins as signals, shared by the co-simulation bench (test_cosim_iatu.cpp) and the
// speed benchmark (tests/bench/bench_cosim.cpp). A bench derives from it (after sc_module, so the signals are
// its children) and calls bind_pins() in its constructor.
#pragma once

#include "Viatu.h"

#include <cstdint>
#include <systemc>

namespace dbvp::test {

struct iatu_pins {
    sc_core::sc_signal<bool> rst_n{"rst_n"}, reg_we{"reg_we"}, reg_re{"reg_re"}, req_valid{"req_valid"},
        rsp_valid{"rsp_valid"}, rsp_hit{"rsp_hit"};
    sc_core::sc_signal<std::uint32_t> reg_addr{"reg_addr"}, reg_wdata{"reg_wdata"}, reg_rdata{"reg_rdata"},
        req_bar{"req_bar"}, req_func{"req_func"}, rsp_region{"rsp_region"};
    sc_core::sc_signal<std::uint64_t> req_bar_base{"req_bar_base"}, req_bar_mask{"req_bar_mask"},
        req_addr{"req_addr"}, rsp_addr{"rsp_addr"};

    void bind_pins(Viatu& dut, sc_core::sc_clock& clk) {
        dut.clk(clk);
        dut.rst_n(rst_n);
        dut.reg_addr(reg_addr);
        dut.reg_wdata(reg_wdata);
        dut.reg_we(reg_we);
        dut.reg_re(reg_re);
        dut.reg_rdata(reg_rdata);
        dut.req_valid(req_valid);
        dut.req_bar(req_bar);
        dut.req_bar_base(req_bar_base);
        dut.req_bar_mask(req_bar_mask);
        dut.req_func(req_func);
        dut.req_addr(req_addr);
        dut.rsp_valid(rsp_valid);
        dut.rsp_hit(rsp_hit);
        dut.rsp_region(rsp_region);
        dut.rsp_addr(rsp_addr);
    }
};

} // namespace dbvp::test
