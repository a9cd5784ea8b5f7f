// Guest mistakes on the i.MX95 LUT of sid_glue (project issue 9), directed: register accesses of the wrong size
// and offsets with no register (ENLOC beyond the entries is SidGlue.BadEntryIndexIsIgnoredWithAWarning). The
// LUT registers take 32-bit accesses only: anything else is TLM_GENERIC_ERROR_RESPONSE, an offset with no
// register TLM_ADDRESS_ERROR_RESPONSE, each with a guest warning naming the offset; the LUT does not change.
#include "dbvp/core/sideband.h"
#include "dbvp/core/payload.h"
#include "dbvp/pcie/sid_glue.h"
#include "reports.h"

#include <cstdint>
#include <functional>
#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

using namespace dbvp;
using pcie::sid_glue;

namespace {

struct bench : sc_core::sc_module {
    sid_glue glue;
    tlm_utils::simple_initiator_socket<bench> cpu{"cpu"};
    tlm_utils::simple_initiator_socket<bench> dev{"dev"};
    tlm_utils::simple_target_socket<bench> sink{"sink"};
    pcie_attr seen;
    std::function<void()> body;
    bool done = false; // the body ran to its end
    SC_HAS_PROCESS(bench);
    bench(sc_core::sc_module_name n, const sid_glue::params& p) : sc_module(n), glue("glue", p) {
        cpu.bind(glue.regs);
        dev.bind(glue.in);
        glue.out.bind(sink);
        sink.register_b_transport(this, &bench::b_transport);
        SC_THREAD(thread);
    }
    void thread() {
        body();
        done = true;
        sc_core::sc_stop();
    }
    void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time&) {
        if (const pcie_attr* a = attr_of(p))
            seen = *a;
        p.set_response_status(tlm::TLM_OK_RESPONSE);
    }
    tlm::tlm_response_status reg(bool write, std::uint64_t off, std::uint64_t& v, unsigned len) {
        tlm::tlm_generic_payload p;
        prepare_access(p, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, off, &v, len);
        sc_core::sc_time d = sc_core::SC_ZERO_TIME;
        cpu->b_transport(p, d);
        sc_core::wait(d);
        return p.get_response_status();
    }
    std::uint32_t sid_of(std::uint16_t rid) {
        pcie_attr a;
        a.type = tlp_type::mem_wr;
        a.requester_id = rid;
        std::uint32_t v = 0;
        tlm::tlm_generic_payload p;
        p.set_command(tlm::TLM_WRITE_COMMAND);
        p.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
        p.set_data_length(4);
        p.set_streaming_width(4);
        p.set_extension(&a);
        sc_core::sc_time d = sc_core::SC_ZERO_TIME;
        dev->b_transport(p, d);
        p.clear_extension(&a);
        sc_core::wait(d);
        return seen.stream_id;
    }
};

} // namespace

TEST(SidGlueGuest, LutRegistersTakeAlignedThirtyTwoBitAccessesOnly) {
    sid_glue::params p;
    p.type = sid_glue::kind::lut;
    p.lut_entries = 8;
    p.controller_id = 1;
    bench b("bench", p);
    b.body = [&] {
        std::uint64_t v = (1u << 31) | 9; // DATA1: valid, StreamID 9
        ASSERT_EQ(b.reg(true, 0x100c, v, 4), tlm::TLM_OK_RESPONSE);
        v = (0x0200u << 16) | 0xffff; // DATA2: requester 02:00.0, all bits compared
        ASSERT_EQ(b.reg(true, 0x1010, v, 4), tlm::TLM_OK_RESPONSE);
        v = 0; // ACSCTRL: commit into entry 0 ... as a byte write
        {
            test::expect_report rep("glue: lut 1-byte write at offset 0x1008: access size/alignment not supported");
            EXPECT_EQ(b.reg(true, 0x1008, v, 1), tlm::TLM_GENERIC_ERROR_RESPONSE);
        }
        EXPECT_FALSE(b.glue.lut()[0].valid) << "nothing was committed";
        {
            test::expect_report rep("glue: lut 8-byte write at offset 0x1008: access size/alignment not supported");
            EXPECT_EQ(b.reg(true, 0x1008, v, 8), tlm::TLM_GENERIC_ERROR_RESPONSE);
        }
        {
            test::expect_report rep("glue: lut 2-byte read at offset 0x100e: access size/alignment not supported");
            EXPECT_EQ(b.reg(false, 0x100e, v, 2), tlm::TLM_GENERIC_ERROR_RESPONSE);
        }
        {
            test::expect_report rep("glue: lut 4-byte write at offset 0x100a: access size/alignment not supported");
            EXPECT_EQ(b.reg(true, 0x100a, v, 4), tlm::TLM_GENERIC_ERROR_RESPONSE);
        }
        {
            test::expect_report rep("glue: lut write at offset 0x1004: no register there");
            EXPECT_EQ(b.reg(true, 0x1004, v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
        }
        EXPECT_EQ(b.sid_of(0x0200), (1u << 6) | 0) << "no entry yet: the default StreamID";
        v = 0;
        ASSERT_EQ(b.reg(true, 0x1008, v, 4), tlm::TLM_OK_RESPONSE); // the commit, done right
        EXPECT_TRUE(b.glue.lut()[0].valid);
        EXPECT_EQ(b.sid_of(0x0200), (1u << 6) | 9);
    };
    sc_core::sc_start();
    EXPECT_TRUE(b.done) << "the body did not run to its end: the simulation ran out of events at "
                        << sc_core::sc_time_stamp();
}
