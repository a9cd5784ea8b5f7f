// dbvp — clock and cycle-latency helper shared by every block.
//
// Each block has a clock (frequency in Hz, a parameter) and expresses its latencies in cycles of that clock.
// cycles(n) converts to sc_time exactly (integer multiple of the period in the kernel's time resolution).
#pragma once

#include <cstdint>
#include <systemc>

namespace dbvp {

class clocked {
public:
    explicit clocked(std::uint64_t hz = 1000000000ull) { set_clock_hz(hz); }

    void set_clock_hz(std::uint64_t hz);
    std::uint64_t clock_hz() const { return hz_; }
    const sc_core::sc_time& clock_period() const { return period_; }
    sc_core::sc_time cycles(std::uint64_t n) const {
        return sc_core::sc_time::from_value(period_.value() * n);
    }

private:
    std::uint64_t hz_ = 0;
    sc_core::sc_time period_;
};

} // namespace dbvp
