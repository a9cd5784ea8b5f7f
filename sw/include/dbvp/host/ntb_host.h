// dbvp host software — the host side of the vNTB-style endpoint function (after Linux ntb_hw_epf), see
// dbvp/fw/epf_vntb.h for the control block.
//
// probe() reads the control block in the configuration BAR (db_entry_size, db_data[], db_offset[], scratchpads,
// and the dbvp extension: db_count, db_flags). setup() enables ring counters when the doorbells are a shared kick
// (and config.ring_counters), then sends CONFIGURE_DOORBELL (argument: doorbells used) and LINK_UP. ring(n) is
//   writel(db_data[n], db_bar + db_entry_size * n + db_offset[n])
// preceded, with ring counters on, by writing the doorbell's new ring count to db_ring_count[n] (posted writes
// stay in order: the count is in the endpoint's RAM before the kick arrives).
// Commands: write argument, then command; poll command_status (16 bit) until non-zero or cmd_timeout_ns; clear it.
// Plain C++ over host::hal.
#pragma once

#include "dbvp/host/enumerate.h"
#include "dbvp/host/hal.h"

#include <array>
#include <cstdint>
#include <string>

namespace dbvp::host::ntb {

struct config {
    unsigned ctrl_bar = 0;
    unsigned db_bar = 2;
    unsigned db_count = 0;      // doorbells to use; 0: what the function offers (db_count register, else 4)
    bool ring_counters = true;  // write db_ring_count[n] before ringing when the doorbells share one kick
    std::uint64_t cmd_timeout_ns = 2000000000; // the function polls commands every 500 ms in interrupt mode
    std::uint64_t cmd_poll_ns = 100000;
};

class driver {
public:
    driver(hal& h, const function_info& fn, const config& cfg = {}) : h_(h), fn_(fn), cfg_(cfg) {}

    /// Read the control block. False (see error()) when a BAR is missing or the values are out of range.
    bool probe();
    /// Send one command; true when the function answered STATUS_OK. `status` receives the raw answer (0 =
    /// timed out).
    bool command(std::uint32_t cmd, std::uint32_t argument, std::uint16_t* status = nullptr);
    /// probe(), ring counters, CONFIGURE_DOORBELL, LINK_UP.
    bool setup();
    /// Ring doorbell n (< db_count()).
    bool ring(unsigned n);
    bool link_up();

    unsigned db_count() const { return db_count_; }
    std::uint32_t db_entry_size() const { return entry_size_; }
    std::uint32_t db_data(unsigned n) const { return data_.at(n); }
    std::uint32_t db_offset(unsigned n) const { return offset_.at(n); }
    /// BAR offset the ring of doorbell n writes to.
    std::uint64_t db_bar_offset(unsigned n) const { return std::uint64_t{entry_size_} * n + offset_.at(n); }
    bool shared_kick() const { return shared_; }
    bool counters_on() const { return counters_; }
    std::uint32_t spad_offset() const { return spad_offset_; }
    std::uint32_t spad_count() const { return spad_count_; }
    std::uint64_t rings(unsigned n) const { return rings_.at(n); }
    const std::string& error() const { return error_; }

private:
    std::uint32_t rd(std::uint64_t off);
    void wr(std::uint64_t off, std::uint32_t v);
    bool fail(const std::string& e);

    hal& h_;
    function_info fn_;
    config cfg_;
    std::uint64_t ctrl_ = 0, db_ = 0;
    unsigned db_count_ = 0;
    std::uint32_t entry_size_ = 0, spad_offset_ = 0, spad_count_ = 0;
    std::array<std::uint32_t, 32> data_{}, offset_{};
    std::array<std::uint32_t, 32> counts_{};
    std::array<std::uint64_t, 32> rings_{};
    bool shared_ = false, counters_ = false;
    std::string error_;
};

} // namespace dbvp::host::ntb
