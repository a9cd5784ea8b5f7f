// dbvp host software — the doorbell side of an NVMe host driver for the NVMe-style endpoint function (see
// dbvp/fw/epf_nvme.h): reads CAP (doorbell stride 4 << CAP.DSTRD), optionally enables the controller (CC.EN,
// wait for CSTS.RDY) and writes SQ tail / CQ head doorbells:
//   SQ y tail at BAR0 + 0x1000 + (2y) * stride,  CQ y head at BAR0 + 0x1000 + (2y + 1) * stride.
// Plain C++ over host::hal.
#pragma once

#include "dbvp/host/enumerate.h"
#include "dbvp/host/hal.h"

#include <cstdint>
#include <string>

namespace dbvp::host::nvme {

class driver {
public:
    driver(hal& h, const function_info& fn) : h_(h), fn_(fn) {}

    /// Check BAR0 (64-bit memory BAR of at least 0x2000 bytes) and read CAP and VS.
    bool probe();
    /// CC.EN = 1, wait up to timeout_ns for CSTS.RDY (polling every 100 us).
    bool enable(std::uint64_t timeout_ns = 100000000);
    void write_sq_tail(unsigned queue, std::uint32_t tail);
    void write_cq_head(unsigned queue, std::uint32_t head);

    std::uint64_t bar0() const { return bar0_; }
    std::uint64_t cap() const { return cap_; }
    std::uint32_t version() const { return vs_; }
    unsigned doorbell_stride() const { return 4u << dstrd_; }
    std::uint64_t sq_tail_address(unsigned queue) const { return bar0_ + 0x1000 + (2ull * queue) * doorbell_stride(); }
    std::uint64_t cq_head_address(unsigned queue) const {
        return bar0_ + 0x1000 + (2ull * queue + 1) * doorbell_stride();
    }
    /// A 32-bit register of BAR0.
    std::uint32_t read_reg(std::uint32_t off);
    const std::string& error() const { return error_; }

private:
    bool fail(const std::string& e);

    hal& h_;
    function_info fn_;
    std::uint64_t bar0_ = 0, cap_ = 0;
    std::uint32_t vs_ = 0;
    unsigned dstrd_ = 0;
    std::string error_;
};

} // namespace dbvp::host::nvme
