// dbvp — clock and cycle-latency helper shared by every block.
//
// Each block has a clock (frequency in Hz, a parameter) and expresses its latencies in cycles of that clock.
// cycles(n) converts to sc_time exactly (integer multiple of the period in the kernel's time resolution).
#pragma once

#include <cstdint>
#include <systemc>
#include <tlm>

namespace dbvp {

/// n times `unit`, exactly (below 2^52 of the kernel's resolution, about 4500 s at 1 ps, through a double; above,
/// through from_value()), without the library's unit conversion (sc_time(double, unit) and from_value() are calls
/// into SystemC): hot paths convert cycles, picoseconds and nanoseconds with these. A product beyond the kernel's
/// range (2^64 resolution units) saturates at sc_max_time().
inline sc_core::sc_time times(const sc_core::sc_time& unit, std::uint64_t n) {
    // A multiplication with an overflow flag (no division on the hot path). Below 2^52 the double product is exact
    // and sc_time's rounding (+ 0.5) cannot carry it to the next integer.
    std::uint64_t product = 0;
    if (__builtin_mul_overflow(unit.value(), n, &product))
        return sc_core::sc_max_time();
    if (product >= (std::uint64_t{1} << 52))
        return sc_core::sc_time::from_value(product);
    sc_core::sc_time t = unit;
    t *= static_cast<double>(n);
    return t;
}
inline const sc_core::sc_time& one_ps() {
    static const sc_core::sc_time t(1, sc_core::SC_PS);
    return t;
}
inline const sc_core::sc_time& one_ns() {
    static const sc_core::sc_time t(1, sc_core::SC_NS);
    return t;
}

/// The kernel's time, as sc_time_stamp() returns it, without a call into SystemC per look: a dbvp process has
/// one simulation context for its whole life, so the reference to its current time stays valid.
namespace detail {
inline const sc_core::sc_time* kernel_time_ptr = nullptr; // SystemC's current time, once looked up
} // namespace detail
inline const sc_core::sc_time& kernel_time() {
    if (!detail::kernel_time_ptr)
        detail::kernel_time_ptr = &sc_core::sc_time_stamp();
    return *detail::kernel_time_ptr;
}

/// The TLM global quantum (tlm_global_quantum::instance().get()), without a library call per look: the reference
/// stays valid and follows set().
inline const sc_core::sc_time& global_quantum() {
    static const sc_core::sc_time& q = tlm::tlm_global_quantum::instance().get();
    return q;
}

class clocked {
public:
    explicit clocked(std::uint64_t hz = 1000000000ull) { set_clock_hz(hz); }

    void set_clock_hz(std::uint64_t hz);
    std::uint64_t clock_hz() const { return hz_; }
    const sc_core::sc_time& clock_period() const { return period_; }
    sc_core::sc_time cycles(std::uint64_t n) const { return times(period_, n); }

private:
    std::uint64_t hz_ = 0;
    sc_core::sc_time period_;
};

} // namespace dbvp
