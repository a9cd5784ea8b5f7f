#include "dbvp/fw/epf_vntb.h"

#include "dbvp/util/bits.h"
#include "dbvp/util/format.h"

#include <algorithm>
#include <limits>

namespace dbvp::fw::vntb {

namespace {
constexpr std::uint64_t MAX_KICK_DELTA = 1u << 16; // a ring counter jumping further is not trusted

std::uint64_t pow2_at_least(std::uint64_t v) { return v <= 1 ? 1 : std::uint64_t{1} << fls64(v - 1); }
std::string bar_name(int bar) { return "BAR" + std::to_string(bar); }
} // namespace

const char* to_string(db_mode m) {
    switch (m) {
    case db_mode::none: return "none";
    case db_mode::interrupt: return "interrupt";
    case db_mode::polling: return "polling";
    }
    return "?";
}

epf::~epf() { unbind(); }

void epf::log(const std::string& s) { ep_.hw().log(("vntb: " + s).c_str()); }
std::uint32_t epf::rd(std::uint32_t off) { return ep_.hw().read32(ctrl_ + off); }
void epf::wr(std::uint32_t off, std::uint32_t v) { ep_.hw().write32(ctrl_ + off, v); }

status epf::bind() {
    if (mode_ != db_mode::none)
        return {errc::busy, "vntb: already bound"};
    if (p_.db_count == 0 || p_.db_count > MAX_DB_COUNT)
        return {errc::invalid_argument, "vntb: db_count " + std::to_string(p_.db_count) + " (1.." +
                                            std::to_string(MAX_DB_COUNT) + ")"};
    if (p_.ctrl_bar > 5 || p_.db_bar > 5 || p_.ctrl_bar == p_.db_bar)
        return {errc::invalid_argument, "vntb: config " + bar_name(p_.ctrl_bar) + " and doorbell " +
                                            bar_name(p_.db_bar) + " must be distinct BARs 0..5"};
    if (p_.spad_count == 0 || p_.spad_count > 1024)
        return {errc::invalid_argument, "vntb: spad_count " + std::to_string(p_.spad_count) + " (1..1024)"};
    dwc_ep_driver& c = ep_.controller();
    hal& h = ep_.hw();
    if (log_.size() != MAX_EVENT_LOG)
        log_.assign(MAX_EVENT_LOG, event{}); // once: delivering an event allocates nothing

    // Configuration BAR: control block, extension, then self and peer scratchpads.
    ctrl_size_ = pow2_at_least(std::max<std::uint64_t>(128, SPAD_OFFSET + 2ull * p_.spad_count * 4));
    auto mem = ep_.pool().alloc(ctrl_size_, std::max(ctrl_size_, c.region_align()));
    if (!mem)
        return mem.error();
    ctrl_ = mem.value();
    if (auto s = c.configure_bar(p_.function, p_.ctrl_bar, ctrl_size_, {}); !s)
        return s;
    if (auto s = c.map_bar(p_.function, p_.ctrl_bar, ctrl_); !s) {
        c.configure_bar(p_.function, p_.ctrl_bar, 0, {});
        return s;
    }
    ctrl_mapped_ = true;
    wr(CTRL_NUM_MWS, 0);
    wr(CTRL_SPAD_OFFSET, SPAD_OFFSET);
    wr(CTRL_SPAD_COUNT, p_.spad_count);
    wr(CTRL_DB_COUNT, p_.db_count);

    status st = p_.doorbells == policy::polling
                    ? status(errc::not_supported, "polling requested")
                    : setup_interrupt();
    if (st) {
        mode_ = db_mode::interrupt;
    } else {
        if (p_.doorbells != policy::polling)
            log("interrupt doorbells unavailable (" + st.message() + "); polling the doorbell BAR");
        reasons_.push_back(st.message());
        if (auto s = setup_polling(); !s) {
            unbind();
            return s;
        }
        mode_ = db_mode::polling;
    }
    const std::uint64_t now = h.now_ns();
    next_cmd_ = now + (mode_ == db_mode::interrupt ? p_.cmd_poll_irq_ns : p_.db_poll_ns);
    next_scan_ = now + p_.db_poll_ns;
    log(std::string("bound: ") + std::to_string(p_.db_count) + " doorbell(s), " + to_string(mode_) +
        (mode_ == db_mode::interrupt ? std::string(" (") + fw::to_string(backend_) + ")" : std::string()) +
        ", config " + bar_name(p_.ctrl_bar) + " (" + hex(ctrl_size_) + " bytes at " + hex(ctrl_) + "), doorbells " +
        bar_name(p_.db_bar));
    return {};
}

status epf::setup_interrupt() {
    doorbell_allocator& db = ep_.doorbells();
    dwc_ep_driver& c = ep_.controller();
    doorbell_requirements req;
    req.backend = p_.backend;
    auto got = db.alloc(p_.function, p_.db_count, req);
    reasons_ = db.last_reasons();
    if (!got)
        return got.error();
    has_doorbells_ = true;
    dbs_ = got.value();
    auto give_back = [&](status s) {
        db.free(p_.function);
        has_doorbells_ = false;
        groups_.clear();
        return s;
    };
    if (dbs_.front().backend == doorbell_backend::poll)
        return give_back({errc::not_supported, "only the allocator's poll backend is available"});
    backend_ = dbs_.front().backend;

    std::vector<std::uint32_t> offsets(dbs_.size());
    const int pre = dbs_.front().bar;
    if (pre != NO_BAR) {
        // Pre-exposed by the hardware (a reserved BAR): reusable only as the configured doorbell BAR.
        for (const doorbell& d : dbs_)
            if (d.bar != pre)
                return give_back({errc::invalid_argument, "doorbells pre-exposed in different BARs"});
        if (pre != static_cast<int>(p_.db_bar))
            return give_back({errc::invalid_argument,
                              "the doorbell is pre-exposed at " + bar_name(pre) + "+" + hex(dbs_.front().offset) +
                                  ", not in the doorbell " + bar_name(p_.db_bar)});
        for (std::size_t i = 0; i < dbs_.size(); ++i)
            offsets[i] = static_cast<std::uint32_t>(dbs_[i].offset);
    } else {
        // Expose the span of the targets: a BAR at least one iATU region large whose size-aligned base covers all.
        std::uint64_t lo = std::numeric_limits<std::uint64_t>::max(), hi = 0;
        for (const doorbell& d : dbs_) {
            lo = std::min(lo, d.address);
            hi = std::max(hi, d.address + 4);
        }
        std::uint64_t size = pow2_at_least(std::max<std::uint64_t>({128, c.region_align(), hi - lo}));
        while ((lo & ~(size - 1)) + size < hi)
            size <<= 1;
        if (auto s = c.configure_bar(p_.function, p_.db_bar, size, {}); !s)
            return give_back(s);
        db_configured_ = true;
        db_size_ = size;
        std::uint64_t base = 0, off = 0;
        if (auto s = c.align_inbound_addr(p_.function, p_.db_bar, lo, base, off); !s) {
            release_db_bar();
            return give_back(s);
        }
        if (auto s = c.map_bar(p_.function, p_.db_bar, base); !s) {
            release_db_bar();
            return give_back(s);
        }
        db_mapped_ = true;
        for (std::size_t i = 0; i < dbs_.size(); ++i) {
            std::uint64_t b = 0, o = 0;
            c.align_inbound_addr(p_.function, p_.db_bar, dbs_[i].address, b, o);
            offsets[i] = static_cast<std::uint32_t>(o);
        }
    }

    // One listener per distinct interrupt (doorbells of a shared kick request it once).
    bool shared = false;
    for (unsigned i = 0; i < dbs_.size(); ++i) {
        auto g = std::find_if(groups_.begin(), groups_.end(),
                              [&](const std::vector<unsigned>& v) { return dbs_[v.front()].irq == dbs_[i].irq; });
        if (g != groups_.end()) {
            g->push_back(i);
            shared = true;
            continue;
        }
        const unsigned gi = static_cast<unsigned>(groups_.size());
        groups_.push_back({i});
        if (auto s = db.listen(p_.function, i, [this, gi](unsigned) { on_irq(gi); }); !s) {
            release_db_bar();
            return give_back(s);
        }
    }
    for (unsigned i = 0; i < dbs_.size(); ++i) {
        wr(ctrl_db_data(i), dbs_[i].data);
        wr(ctrl_db_offset(i), offsets[i]);
    }
    wr(CTRL_DB_ENTRY_SIZE, 0);
    wr(CTRL_DB_FLAGS, shared ? DB_FLAG_SHARED_KICK : 0);
    if (shared)
        log("doorbells share one kick: reporting by ring counters when the host writes them, else every doorbell");
    return {};
}

void epf::release_db_bar() {
    dwc_ep_driver& c = ep_.controller();
    if (db_mapped_)
        c.unmap_bar(p_.function, p_.db_bar);
    if (db_configured_)
        c.configure_bar(p_.function, p_.db_bar, 0, {});
    db_mapped_ = db_configured_ = false;
    db_size_ = 0;
}

status epf::setup_polling() {
    dwc_ep_driver& c = ep_.controller();
    release_db_bar();
    dbs_.clear();
    groups_.clear();
    const std::uint64_t size = pow2_at_least(std::max<std::uint64_t>(128, 4ull * p_.db_count));
    if (!db_ram_) {
        auto mem = ep_.pool().alloc(size, std::max(size, c.region_align()));
        if (!mem)
            return mem.error();
        db_ram_ = mem.value();
    }
    if (auto s = c.configure_bar(p_.function, p_.db_bar, size, {}); !s)
        return s;
    db_configured_ = true;
    db_size_ = size;
    if (auto s = c.map_bar(p_.function, p_.db_bar, db_ram_); !s) {
        release_db_bar();
        return s;
    }
    db_mapped_ = true;
    for (unsigned i = 0; i < p_.db_count; ++i) {
        ep_.hw().write32(db_ram_ + 4 * i, 0);
        wr(ctrl_db_data(i), 1 + i);
        wr(ctrl_db_offset(i), 0);
    }
    wr(CTRL_DB_ENTRY_SIZE, 4);
    wr(CTRL_DB_FLAGS, 0);
    return {};
}

status epf::unbind() {
    if (mode_ == db_mode::none && !ctrl_mapped_ && !has_doorbells_)
        return {};
    status first;
    if (has_doorbells_) {
        if (auto s = ep_.doorbells().free(p_.function); !s && first)
            first = s;
        has_doorbells_ = false;
    }
    groups_.clear();
    release_db_bar();
    if (ctrl_mapped_) {
        ep_.controller().unmap_bar(p_.function, p_.ctrl_bar);
        ep_.controller().configure_bar(p_.function, p_.ctrl_bar, 0, {});
        ctrl_mapped_ = false;
    }
    mode_ = db_mode::none;
    armed_ = link_ = false;
    return first;
}

void epf::deliver(unsigned index, event::source from, std::uint64_t count) {
    if (!armed_ || index >= armed_count_) {
        stats_.dropped_disarmed[index] += count;
        log("doorbell " + std::to_string(index) + " dropped: " +
            (armed_ ? "beyond the " + std::to_string(armed_count_) + " doorbell(s) configured"
                    : std::string("doorbells are not configured (no CONFIGURE_DOORBELL)")));
        return;
    }
    stats_.events[index] += count;
    (from == event::own            ? stats_.distinct
     : from == event::kick_counter ? stats_.kick_exact
                                   : stats_.kick_unresolved)[index] += count;
    const event ev{index, ep_.hw().now_ns(), from};
    for (std::uint64_t k = 0; k < count; ++k) {
        if (!log_.empty()) {
            if (logged_ >= log_.size())
                ++stats_.events_overwritten;
            log_[log_next_] = ev;
            log_next_ = (log_next_ + 1) % log_.size();
            ++logged_;
        }
        if (on_event_)
            on_event_(ev);
        if (on_db_)
            on_db_(index);
    }
}

std::vector<event> epf::events() const {
    if (logged_ <= log_.size())
        return {log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(logged_)};
    std::vector<event> out(log_.begin() + static_cast<std::ptrdiff_t>(log_next_), log_.end());
    out.insert(out.end(), log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(log_next_));
    return out;
}

void epf::on_irq(unsigned group) {
    const std::vector<unsigned>& g = groups_.at(group);
    if (g.size() == 1) {
        deliver(g.front(), event::own);
        return;
    }
    ++stats_.kicks;
    if (rd(CTRL_HOST_FEATURES) & HOST_RING_COUNTERS) {
        bool any = false;
        for (unsigned i : g) {
            const std::uint32_t cur = rd(ctrl_db_ring_count(i));
            const std::uint32_t delta = cur - last_count_[i];
            last_count_[i] = cur;
            if (!delta)
                continue;
            any = true;
            if (delta > MAX_KICK_DELTA) {
                log("doorbell " + std::to_string(i) + ": ring counter jumped by " + std::to_string(delta) +
                    "; reported once");
                deliver(i, event::kick_counter, 1);
            } else {
                deliver(i, event::kick_counter, delta);
            }
        }
        if (!any)
            ++stats_.spurious_kicks;
        return;
    }
    for (unsigned i : g)
        deliver(i, event::kick_unresolved);
}

void epf::scan_slots() {
    hal& h = ep_.hw();
    for (unsigned i = 0; i < p_.db_count; ++i) {
        const std::uint64_t slot = db_ram_ + 4ull * i;
        if (!h.read32(slot))
            continue;
        h.write32(slot, 0);
        deliver(i, event::own);
    }
}

void epf::handle_command() {
    const std::uint32_t cmd = rd(CTRL_COMMAND);
    if (!cmd)
        return;
    wr(CTRL_COMMAND, 0);
    const std::uint32_t arg = rd(CTRL_ARGUMENT);
    std::string error;
    switch (cmd) {
    case CMD_CONFIGURE_DOORBELL:
        if (arg > p_.db_count) {
            error = "CONFIGURE_DOORBELL: " + std::to_string(arg) + " doorbells, " + std::to_string(p_.db_count) +
                    " offered";
            break;
        }
        armed_ = true;
        armed_count_ = arg ? arg : p_.db_count;
        break;
    case CMD_TEARDOWN_DOORBELL:
        armed_ = false;
        armed_count_ = 0;
        break;
    case CMD_LINK_UP: link_ = true; break;
    case CMD_LINK_DOWN: link_ = false; break;
    case CMD_CONFIGURE_MW:
    case CMD_TEARDOWN_MW: error = "no memory windows"; break;
    default: error = "unknown command " + std::to_string(cmd); break;
    }
    ++stats_.commands;
    if (!error.empty()) {
        ++stats_.command_errors;
        log("command " + std::to_string(cmd) + " failed: " + error);
    }
    // command_status and link_status share a word: the firmware owns link_status, the host only clears the
    // status after it saw it set, so no write of the host is overwritten here.
    const std::uint32_t word = (error.empty() ? STATUS_OK : STATUS_ERROR) |
                               (static_cast<std::uint32_t>(link_ ? LINK_STATUS_UP : 0) << 16);
    wr(CTRL_COMMAND_STATUS, word);
}

void epf::serve_until(std::uint64_t until_ns) {
    hal& h = ep_.hw();
    for (;;) {
        const std::uint64_t now = h.now_ns();
        if (now >= until_ns || mode_ == db_mode::none)
            return;
        std::uint64_t next = std::min(next_cmd_, until_ns);
        if (mode_ == db_mode::polling)
            next = std::min(next, next_scan_);
        if (now < next) {
            h.wait_for_interrupt(next - now);
            continue;
        }
        if (mode_ == db_mode::polling && now >= next_scan_) {
            scan_slots();
            next_scan_ = now + p_.db_poll_ns;
        }
        if (now >= next_cmd_) {
            handle_command();
            next_cmd_ = now + (mode_ == db_mode::interrupt ? p_.cmd_poll_irq_ns : p_.db_poll_ns);
        }
    }
}

void epf::run() {
    for (;;) {
        serve_until(std::numeric_limits<std::uint64_t>::max());
        ep_.hw().wait_for_interrupt(1000000000); // unbound: nothing to serve
    }
}

} // namespace dbvp::fw::vntb
