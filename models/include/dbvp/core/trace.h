// dbvp — process-wide tracer: every request's path through the blocks, and the interrupt lines.
//
// Off by default. While off, every hook in the models is one predictable branch on trace::on() and allocates or
// formats nothing. trace::start() turns it on; the models then record, in memory:
//   span     a request crossing a block: [begin, end] absolute simulated times (the block's own annotated time,
//            from the time the request reaches the block until the time it leaves it), on the block's track
//   instant  a drop, fault or incident at one time, with its reason
//   wire     a 1-bit line (every dbvp::irq_out level change; named by the irq_out's name())
//   pulse    an event on a named signal (irq_out::pulse(), iATU region hits)
//   value    an integer variable (e.g. the last inbound iATU region hit)
// trace::finish() writes what was recorded and turns tracing off:
//   Chrome / Perfetto trace-event JSON: {"traceEvents": [...]}; one thread (tid) per track, named by "ph":"M"
//     thread_name metadata; spans are "ph":"X" complete events, instants "ph":"i"; "ts"/"dur" in microseconds.
//     Spans of one track that overlap without nesting (concurrent requests) go to extra lanes of the track
//     ("link.up (2)"), so every track's slices nest as the viewers require.
//   VCD (GTKWave): $timescale = the SystemC time resolution, times in that unit; wires are 1-bit `wire` vars,
//     pulses `event` vars, values 32-bit `integer` vars, in $scope modules following the dotted names.
// Both files are deterministic: no wall-clock time, no pointer values; records are ordered by time, then by the
// order they were recorded. If finish() is never called, the files are written at process exit.
// See docs/tracing.md for what each track shows.
//
// Calls are made from SystemC processes (the kernel is single-threaded); the tracer is not thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <systemc>
#include <type_traits>

namespace dbvp {
class irq_out;
}

namespace dbvp::trace {

/// One track (Chrome thread) per block kind.
enum class track : std::uint8_t {
    host,      // root complex: host requests leaving through the host bridge, upstream requests arriving
    link_down, // PCIe link, root complex -> endpoint: each TLP's queueing, serialization and pipeline latency
    link_up,   // PCIe link, endpoint -> root complex (TLPs and completions)
    pcie_ep,   // DWC endpoint controller: inbound decode (BAR, iATU region -> SoC target), outbound, eDMA TLPs
    sid_glue,  // requester ID -> StreamID / DeviceID
    smmu,      // SMMUv3: translation (config/TLB hit or walk) or fault
    soc,       // SoC interconnect (router): inbound PCIe requests only (those that carry a pcie_attr)
    its,       // GICv3 ITS: TRANSLATER write -> LPI (or drop)
    gic,       // GICv3: LPI / SPI pending -> nIRQ
    cpu,       // endpoint CPU: interrupt handler runs
    edma,      // DWC eDMA: register accesses, channel transfers, interrupt emulation
    count
};
/// "host", "link.down", "link.up", "pcie_ep", "sid_glue", "smmu", "soc", "its", "gic", "cpu", "edma".
const char* to_string(track t);

/// One argument of a span or an instant. Keys must be string literals (or otherwise outlive finish());
/// string values are copied.
struct arg {
    enum class kind : std::uint8_t { u64, i64, hex, str, boolean };
    const char* key;
    kind k;
    std::uint64_t u = 0;
    const char* s = nullptr;

    template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
    constexpr arg(const char* key_, T v)
        : key(key_), k(std::is_signed_v<T> ? kind::i64 : kind::u64),
          u(static_cast<std::uint64_t>(static_cast<std::conditional_t<std::is_signed_v<T>, std::int64_t,
                                                                       std::uint64_t>>(v))) {}
    template <class T, std::enable_if_t<std::is_enum_v<T>, int> = 0>
    constexpr arg(const char* key_, T v) : arg(key_, static_cast<std::underlying_type_t<T>>(v)) {}
    constexpr arg(const char* key_, bool v) : key(key_), k(kind::boolean), u(v ? 1 : 0) {}
    constexpr arg(const char* key_, const char* v) : key(key_), k(kind::str), s(v ? v : "") {}
    /// Written as a string "0x..." (addresses, BDFs).
    static constexpr arg hex(const char* key_, std::uint64_t v) {
        arg a(key_, v);
        a.k = kind::hex;
        return a;
    }
};

namespace detail {
extern bool enabled;
/// The live interrupt lines (irq_out registers itself): start() declares a VCD wire for each, with its level
/// at that time, so quiet lines show too.
void add_line(const irq_out& line);
void remove_line(const irq_out& line) noexcept;
} // namespace detail

/// True while tracing (between start() and finish()).
inline bool on() noexcept { return detail::enabled; }

/// Start tracing; either path may be empty (that output is not written). Opens (creates) the files now and
/// throws std::runtime_error naming the path when one cannot be opened. A trace already running is finished
/// (written) first.
void start(const std::string& chrome_json_path, const std::string& vcd_path);
/// Write the files, close them and turn tracing off. Does nothing when not tracing. Throws std::runtime_error
/// when a file cannot be written.
void finish();

/// Records (only while on(); callers guard with on() so that nothing is computed while off).
void span(track t, const char* name, const sc_core::sc_time& begin, const sc_core::sc_time& end,
          std::initializer_list<arg> args = {});
void instant(track t, const char* name, const sc_core::sc_time& at, std::initializer_list<arg> args = {});
/// 1-bit wire `signal` changes to `level` at `at` (absolute).
void wire(const std::string& signal, bool level, const sc_core::sc_time& at);
/// Event on `signal` at `at`.
void pulse(const std::string& signal, const sc_core::sc_time& at);
/// Integer variable `signal` becomes `v` at `at` (32 bits in the VCD).
void value(const std::string& signal, std::uint32_t v, const sc_core::sc_time& at);

/// A duration in picoseconds (for arguments).
inline std::uint64_t to_ps(const sc_core::sc_time& t) {
    return static_cast<std::uint64_t>(t.to_seconds() * 1e12 + 0.5);
}

/// Records so far (spans + instants, and VCD changes) of the running trace; for tests.
std::size_t recorded_events();
std::size_t recorded_changes();

} // namespace dbvp::trace
