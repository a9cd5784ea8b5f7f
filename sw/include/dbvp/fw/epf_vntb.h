// dbvp firmware — a vNTB-style endpoint function (after Linux pci-epf-vntb): a configuration BAR holding the
// NTB control block and scratchpads, and a doorbell BAR the host rings.
//
// Configuration BAR (little-endian, offsets of struct epf_ntb_ctrl; backed by endpoint RAM):
//   0x00 command      host: CMD_*; the firmware clears it when it takes the command
//   0x04 argument     host: the command's argument
//   0x08 command_status (16 bit)  firmware: STATUS_OK / STATUS_ERROR; the host clears it after reading
//   0x0a link_status  (16 bit)    firmware: LINK_STATUS_UP after LINK_UP, cleared by LINK_DOWN
//   0x0c topology, 0x10 addr (64), 0x18 size (64), 0x20 num_mws (0: no memory windows), 0x24 reserved
//   0x28 spad_offset, 0x2c spad_count   scratchpads: 2 * spad_count words at spad_offset
//   0x30 db_entry_size                  host rings doorbell n by writel(db_data[n],
//   0x34 + 4n db_data[n] (n < 32)          db_bar + db_entry_size * n + db_offset[n])
//   0xb4 + 4n db_offset[n]
// Extension (after the Linux block, below spad_offset; a Linux host never touches it):
//   0x134 db_flags      firmware: DB_FLAG_SHARED_KICK when the doorbells are one shared kick (embedded backend)
//   0x138 host_features host: HOST_RING_COUNTERS when it writes db_ring_count[n] before ringing doorbell n
//   0x13c db_count      firmware: doorbells offered
//   0x140 + 4n db_ring_count[n]  host: how many times it has rung doorbell n (wrapping 32-bit counter)
//
// Doorbell modes (chosen by bind()):
//   interrupt  doorbell_allocator::alloc(db_count) picked MSI or embedded. A doorbell pre-exposed by the hardware
//              (bar != NO_BAR) is reused when it is the configured doorbell BAR; on another BAR the function
//              falls back to polling (as Linux returns -EINVAL and polls). Otherwise the span of the doorbell
//              targets is exposed in the doorbell BAR (align_inbound_addr + configure_bar + map_bar).
//              db_data[i] = doorbell data, db_offset[i] = its offset in the BAR, db_entry_size = 0. Doorbells that
//              share one interrupt request it once. Commands are polled every cmd_poll_irq_ns (500 ms).
//   polling    no interrupt backend (the allocator offered only its poll backend), the pre-exposed doorbell is on
//              another BAR, setting up interrupt mode failed, or params.doorbells = policy::polling: the doorbell
//              BAR is backed by endpoint RAM, db_data[i] = 1 + i, db_offset[i] = 0, db_entry_size = 4; every
//              db_poll_ns (5 ms) the firmware reads each slot, a non-zero slot is one doorbell event and is
//              cleared; commands are polled at the same interval. A slot rung twice before it is scanned (or
//              while the scan clears it) is one event, delivered after both rings (NTB doorbell bits coalesce
//              the same way).
//
// Shared kick (embedded backend: every doorbell is the same write and the same interrupt). What a kick reports:
//   - host_features has HOST_RING_COUNTERS: the firmware compares each db_ring_count[n] with the count it last
//     saw and reports doorbell n (cur - last) times (counted in stats().kick_exact). Posted writes stay in order,
//     so the counter is in RAM before the kick arrives; a kick whose counters were already consumed by an earlier
//     kick reports nothing (counted in stats().spurious_kicks). Exact, with no read-modify-write race (the host
//     is the only writer of a counter).
//   - otherwise (a host that only writes db_data, like Linux ntb_hw_epf): the kick cannot be told apart, so
//     every doorbell that shares it is reported once (stats().kick_unresolved): no doorbell is lost, spurious
//     events are possible.
// Doorbell events are delivered only between CONFIGURE_DOORBELL and TEARDOWN_DOORBELL; a ring outside that is
// dropped and counted in stats().dropped_disarmed (with a log line naming the doorbell).
//
// Commands: CONFIGURE_DOORBELL (argument: number of doorbells the host uses, 1..db_count; 0 means all) arms
// delivery; TEARDOWN_DOORBELL disarms it; LINK_UP / LINK_DOWN set / clear link_status; CONFIGURE_MW /
// TEARDOWN_MW and anything else answer STATUS_ERROR (no memory windows).
#pragma once

#include "dbvp/fw/doorbell.h"
#include "dbvp/fw/endpoint.h"
#include "dbvp/fw/status.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dbvp::fw::vntb {

constexpr unsigned MAX_DB_COUNT = 32;
/// events() keeps the latest this many event records (a ring allocated once, at bind()); an observer that needs
/// every event takes them from on_event() as they happen.
constexpr std::size_t MAX_EVENT_LOG = 65536;
// Control block offsets.
constexpr std::uint32_t CTRL_COMMAND = 0x00;
constexpr std::uint32_t CTRL_ARGUMENT = 0x04;
constexpr std::uint32_t CTRL_COMMAND_STATUS = 0x08; // 16 bit
constexpr std::uint32_t CTRL_LINK_STATUS = 0x0a;    // 16 bit
constexpr std::uint32_t CTRL_TOPOLOGY = 0x0c;
constexpr std::uint32_t CTRL_ADDR = 0x10;
constexpr std::uint32_t CTRL_SIZE = 0x18;
constexpr std::uint32_t CTRL_NUM_MWS = 0x20;
constexpr std::uint32_t CTRL_RESERVED = 0x24;
constexpr std::uint32_t CTRL_SPAD_OFFSET = 0x28;
constexpr std::uint32_t CTRL_SPAD_COUNT = 0x2c;
constexpr std::uint32_t CTRL_DB_ENTRY_SIZE = 0x30;
constexpr std::uint32_t ctrl_db_data(unsigned n) { return 0x34 + 4 * n; }
constexpr std::uint32_t ctrl_db_offset(unsigned n) { return 0xb4 + 4 * n; }
constexpr std::uint32_t CTRL_LINUX_END = 0x134;
// Extension.
constexpr std::uint32_t CTRL_DB_FLAGS = 0x134;
constexpr std::uint32_t CTRL_HOST_FEATURES = 0x138;
constexpr std::uint32_t CTRL_DB_COUNT = 0x13c;
constexpr std::uint32_t ctrl_db_ring_count(unsigned n) { return 0x140 + 4 * n; }
constexpr std::uint32_t CTRL_END = 0x1c0;
constexpr std::uint32_t SPAD_OFFSET = 0x200; // the control block rounded up to a power of two
constexpr std::uint32_t DB_FLAG_SHARED_KICK = 1u << 0;
constexpr std::uint32_t HOST_RING_COUNTERS = 1u << 0;
// Commands and status.
constexpr std::uint32_t CMD_CONFIGURE_DOORBELL = 1;
constexpr std::uint32_t CMD_TEARDOWN_DOORBELL = 2;
constexpr std::uint32_t CMD_CONFIGURE_MW = 3;
constexpr std::uint32_t CMD_TEARDOWN_MW = 4;
constexpr std::uint32_t CMD_LINK_UP = 5;
constexpr std::uint32_t CMD_LINK_DOWN = 6;
constexpr std::uint16_t STATUS_OK = 1;
constexpr std::uint16_t STATUS_ERROR = 2;
constexpr std::uint16_t LINK_STATUS_UP = 1u << 0;

enum class policy { automatic, polling }; // automatic: interrupt doorbells when a backend offers them
enum class db_mode { none, interrupt, polling };
const char* to_string(db_mode m);

struct params {
    unsigned function = 0;
    unsigned ctrl_bar = 0;
    unsigned db_bar = 2;
    unsigned db_count = 4;     // 1..32
    unsigned spad_count = 64;
    policy doorbells = policy::automatic;
    std::optional<doorbell_backend> backend; // interrupt mode: only this allocator backend
    std::uint64_t db_poll_ns = 5000000;        // polling mode: slot scan (and command) interval
    std::uint64_t cmd_poll_irq_ns = 500000000; // interrupt mode: command poll interval
};

/// Per-doorbell accounting. events[i] = distinct[i] + kick_exact[i] + kick_unresolved[i].
struct db_stats {
    std::array<std::uint64_t, MAX_DB_COUNT> events{};          // doorbell events delivered
    std::array<std::uint64_t, MAX_DB_COUNT> distinct{};        // from its own interrupt or its own poll slot
    std::array<std::uint64_t, MAX_DB_COUNT> kick_exact{};      // from a shared kick, resolved by the ring counter
    std::array<std::uint64_t, MAX_DB_COUNT> kick_unresolved{}; // from a shared kick that could not be resolved
    std::array<std::uint64_t, MAX_DB_COUNT> dropped_disarmed{}; // rung while not configured (dropped)
    std::uint64_t events_overwritten = 0; // event records the full log overwrote (events() has the latest ones)
    std::uint64_t kicks = 0;          // shared-kick interrupts taken
    std::uint64_t spurious_kicks = 0; // kicks (with ring counters) that found no counter advanced
    std::uint64_t commands = 0, command_errors = 0;
};

/// One delivered doorbell event (in delivery order).
struct event {
    unsigned index = 0;
    std::uint64_t time_ns = 0;
    enum source { own, kick_counter, kick_unresolved } from = own;
};

class epf {
public:
    epf(endpoint& ep, const params& p) : ep_(ep), p_(p) {}
    ~epf();
    epf(const epf&) = delete;
    epf& operator=(const epf&) = delete;

    /// Set up the BARs, the control block and the doorbells (before start_link()).
    status bind();
    /// Release doorbells, interrupts and BARs.
    status unbind();
    /// Serve commands and doorbells until now_ns() >= until_ns.
    void serve_until(std::uint64_t until_ns);
    /// Serve forever.
    [[noreturn]] void run();

    /// Called for every delivered doorbell event (the NTB core's ntb_db_event()).
    void on_doorbell(std::function<void(unsigned index)> fn) { on_db_ = std::move(fn); }
    /// Called with the record of every delivered doorbell event, in delivery order (observers that account for
    /// every event: the log behind events() is bounded).
    void on_event(std::function<void(const event&)> fn) { on_event_ = std::move(fn); }

    db_mode mode() const { return mode_; }
    /// Backend of the interrupt-mode doorbells (meaningful when mode() == interrupt).
    doorbell_backend backend() const { return backend_; }
    /// Why the allocator skipped backends, and why the function chose its mode (for reports).
    const std::vector<std::string>& reasons() const { return reasons_; }
    const std::vector<doorbell>& doorbells() const { return dbs_; }
    bool armed() const { return armed_; }
    bool link_up() const { return link_; }
    const db_stats& stats() const { return stats_; }
    /// The latest MAX_EVENT_LOG event records, oldest first (stats().events_overwritten says how many older ones
    /// the log no longer has).
    std::vector<event> events() const;
    /// CPU addresses of the memory behind the BARs (tests, debugging).
    std::uint64_t ctrl_phys() const { return ctrl_; }
    std::uint64_t db_phys() const { return db_ram_; }

private:
    status setup_interrupt();
    status setup_polling();
    void release_db_bar();
    void deliver(unsigned index, event::source from, std::uint64_t count = 1);
    void on_irq(unsigned group);
    void scan_slots();
    void handle_command();
    void log(const std::string& s);
    std::uint32_t rd(std::uint32_t off);
    void wr(std::uint32_t off, std::uint32_t v);

    endpoint& ep_;
    params p_;
    db_mode mode_ = db_mode::none;
    doorbell_backend backend_ = doorbell_backend::poll;
    bool has_doorbells_ = false, ctrl_mapped_ = false, db_mapped_ = false, db_configured_ = false;
    std::vector<doorbell> dbs_;
    std::vector<std::string> reasons_;
    std::vector<std::vector<unsigned>> groups_; // per listened interrupt: the doorbells that share it
    std::uint64_t ctrl_ = 0, ctrl_size_ = 0, db_ram_ = 0, db_size_ = 0;
    std::array<std::uint32_t, MAX_DB_COUNT> last_count_{};
    bool armed_ = false, link_ = false;
    unsigned armed_count_ = 0;
    std::uint64_t next_cmd_ = 0, next_scan_ = 0;
    db_stats stats_;
    std::vector<event> log_;     // ring of MAX_EVENT_LOG records (allocated by bind())
    std::size_t log_next_ = 0;   // where the next record goes
    std::uint64_t logged_ = 0;   // records ever written
    std::function<void(unsigned)> on_db_;
    std::function<void(const event&)> on_event_;
};

} // namespace dbvp::fw::vntb
