#include "dbvp/host/ntb_host.h"

#include "dbvp/util/format.h"

namespace dbvp::host::ntb {

namespace {
// The control block as the host driver knows it (its own definitions, like ntb_hw_epf's NTB_EPF_*).
constexpr std::uint32_t COMMAND = 0x00, ARGUMENT = 0x04, CMD_STATUS = 0x08, LINK_STATUS = 0x0a;
constexpr std::uint32_t SPAD_OFFSET = 0x28, SPAD_COUNT = 0x2c, DB_ENTRY_SIZE = 0x30;
constexpr std::uint32_t db_data_reg(unsigned n) { return 0x34 + 4 * n; }
constexpr std::uint32_t db_offset_reg(unsigned n) { return 0xb4 + 4 * n; }
constexpr std::uint32_t DB_FLAGS = 0x134, HOST_FEATURES = 0x138, DB_COUNT = 0x13c;
constexpr std::uint32_t ring_count_reg(unsigned n) { return 0x140 + 4 * n; }
constexpr std::uint32_t FLAG_SHARED_KICK = 1u << 0, FEATURE_RING_COUNTERS = 1u << 0;
constexpr std::uint32_t CMD_CONFIGURE_DOORBELL = 1, CMD_LINK_UP = 5;
constexpr std::uint16_t STATUS_OK = 1;
constexpr std::uint16_t LINK_UP_BIT = 1;
constexpr unsigned MAX_DB = 32, DEFAULT_DB = 4;
} // namespace

bool driver::fail(const std::string& e) {
    error_ = e;
    return false;
}

std::uint32_t driver::rd(std::uint64_t off) {
    std::uint32_t v = 0;
    h_.mem_read(ctrl_ + off, &v, 4);
    return v;
}

void driver::wr(std::uint64_t off, std::uint32_t v) { h_.mem_write(ctrl_ + off, &v, 4); }

bool driver::probe() {
    if (cfg_.ctrl_bar > 5 || cfg_.db_bar > 5)
        return fail("BAR numbers out of range");
    const bar_info& cb = fn_.bars[cfg_.ctrl_bar];
    const bar_info& db = fn_.bars[cfg_.db_bar];
    if (!cb.present || cb.size < 0x200)
        return fail(bdf_string(fn_.bdf) + ": config BAR" + std::to_string(cfg_.ctrl_bar) + " missing or too small");
    if (!db.present)
        return fail(bdf_string(fn_.bdf) + ": doorbell BAR" + std::to_string(cfg_.db_bar) + " missing");
    ctrl_ = cb.address;
    db_ = db.address;
    const std::uint32_t offered = rd(DB_COUNT);
    db_count_ = cfg_.db_count ? cfg_.db_count : (offered ? offered : DEFAULT_DB);
    if (db_count_ > MAX_DB || (offered && db_count_ > offered))
        return fail("doorbell count " + std::to_string(db_count_) + " (function offers " + std::to_string(offered) +
                    ")");
    entry_size_ = rd(DB_ENTRY_SIZE);
    spad_offset_ = rd(SPAD_OFFSET);
    spad_count_ = rd(SPAD_COUNT);
    shared_ = rd(DB_FLAGS) & FLAG_SHARED_KICK;
    for (unsigned n = 0; n < db_count_; ++n) {
        data_[n] = rd(db_data_reg(n));
        offset_[n] = rd(db_offset_reg(n));
        if (db_bar_offset(n) + 4 > db.size)
            return fail("doorbell " + std::to_string(n) + " at " + hex(db_bar_offset(n)) + " is outside BAR" +
                        std::to_string(cfg_.db_bar) + " (" + hex(db.size) + " bytes)");
    }
    return true;
}

bool driver::command(std::uint32_t cmd, std::uint32_t argument, std::uint16_t* status) {
    wr(ARGUMENT, argument);
    wr(COMMAND, cmd);
    const std::uint64_t deadline = h_.now_ns() + cfg_.cmd_timeout_ns;
    std::uint16_t st = 0;
    for (;;) {
        std::uint16_t v = 0;
        h_.mem_read(ctrl_ + CMD_STATUS, &v, 2);
        if (v != 0 && v != 0xffff) {
            st = v;
            break;
        }
        if (h_.now_ns() >= deadline)
            break;
        h_.sleep_ns(cfg_.cmd_poll_ns);
    }
    if (status)
        *status = st;
    if (!st)
        return fail("command " + std::to_string(cmd) + " timed out");
    const std::uint16_t zero = 0;
    h_.mem_write(ctrl_ + CMD_STATUS, &zero, 2);
    if (st != STATUS_OK)
        return fail("command " + std::to_string(cmd) + " answered " + std::to_string(st));
    return true;
}

bool driver::setup() {
    if (!probe())
        return false;
    counters_ = shared_ && cfg_.ring_counters;
    wr(HOST_FEATURES, counters_ ? FEATURE_RING_COUNTERS : 0);
    if (!command(CMD_CONFIGURE_DOORBELL, db_count_))
        return false;
    return command(CMD_LINK_UP, 0);
}

bool driver::link_up() {
    std::uint16_t v = 0;
    h_.mem_read(ctrl_ + LINK_STATUS, &v, 2);
    return v != 0xffff && (v & LINK_UP_BIT);
}

bool driver::ring(unsigned n) {
    if (n >= db_count_)
        return fail("no doorbell " + std::to_string(n));
    if (counters_)
        wr(ring_count_reg(n), ++counts_[n]);
    const std::uint32_t data = data_[n];
    h_.mem_write(db_ + db_bar_offset(n), &data, 4);
    ++rings_[n];
    return true;
}

} // namespace dbvp::host::ntb
