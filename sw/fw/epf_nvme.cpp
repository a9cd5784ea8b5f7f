#include "dbvp/fw/epf_nvme.h"

#include "dbvp/util/bits.h"
#include "dbvp/util/format.h"

#include <algorithm>
#include <limits>

namespace dbvp::fw::nvme {

namespace {
constexpr std::uint32_t CSTS_SHST_MASK = 3u << 2;
constexpr std::size_t MAX_WRITE_LOG = 65536;

std::uint64_t pow2_at_least(std::uint64_t v) { return v <= 1 ? 1 : std::uint64_t{1} << fls64(v - 1); }
std::uint64_t align_up(std::uint64_t v, std::uint64_t a) { return (v + a - 1) & ~(a - 1); }
} // namespace

epf::~epf() { unbind(); }

void epf::log(const std::string& s) { ep_.hw().log(("nvme: " + s).c_str()); }
std::uint32_t epf::rd(std::uint32_t off) { return ep_.hw().read32(bar_ + off); }
void epf::wr(std::uint32_t off, std::uint32_t v) { ep_.hw().write32(bar_ + off, v); }

status epf::bind() {
    if (bound_)
        return {errc::busy, "nvme: already bound"};
    if (p_.queues == 0 || p_.queues > 64)
        return {errc::invalid_argument, "nvme: " + std::to_string(p_.queues) + " queues (1..64)"};
    if (p_.queue_depth < 2 || p_.queue_depth > 65536)
        return {errc::invalid_argument, "nvme: queue depth " + std::to_string(p_.queue_depth) + " (2..65536)"};
    dwc_ep_driver& c = ep_.controller();
    hal& h = ep_.hw();

    // BAR0: registers, then 2 * queues doorbells of 4 bytes (nvmet-pci-epf sizing), a power of two for the BAR.
    const std::uint64_t reg_size = align_up(REG_DBS + 8ull * p_.queues, 8);
    bar_size_ = pow2_at_least(align_up(reg_size, std::max<std::uint64_t>(c.region_align(), 4096)));
    auto mem = ep_.pool().alloc(bar_size_, std::max(bar_size_, c.region_align()));
    if (!mem)
        return mem.error();
    bar_ = mem.value();
    const std::uint64_t cap = (p_.queue_depth - 1) | CAP_CQR | (1ull << CAP_TO_SHIFT) | CAP_CSS_NVM; // DSTRD = 0
    wr(REG_CAP, static_cast<std::uint32_t>(cap));
    wr(REG_CAP + 4, static_cast<std::uint32_t>(cap >> 32));
    wr(REG_VS, VS_1_4);
    wr(REG_CC, 0);
    wr(REG_CSTS, 0);
    if (auto s = c.configure_bar(p_.function, BAR, bar_size_, {true, false}); !s)
        return s;
    if (auto s = c.map_bar(p_.function, BAR, bar_); !s) {
        c.configure_bar(p_.function, BAR, 0, {});
        return s;
    }
    mapped_ = true;
    bound_ = true;

    doorbell_requirements req;
    req.backend = p_.backend;
    req.window_bar = BAR;
    req.window_offset = REG_DBS;
    req.window_stride = 4;
    req.any_value = true;
    req.window_phys = bar_;
    const unsigned count = 2 * p_.queues;
    auto got = ep_.doorbells().alloc(p_.function, count, req);
    report_.reasons = ep_.doorbells().last_reasons();
    if (!got) {
        log("no doorbells: " + got.error().message());
        unbind();
        return got.error();
    }
    has_doorbells_ = true;
    dbs_ = got.value();
    last_.assign(count, 0);
    report_.backend = dbs_.front().backend;
    if (report_.backend != doorbell_backend::poll) {
        if (auto s = setup_interrupt_window(); !s) {
            if (auto t = use_poll(std::string(fw::to_string(report_.backend)) + ": " + s.message()); !t) {
                unbind();
                return t;
            }
        }
    }
    if (auto s = listen_all(); !s) {
        unbind();
        return s;
    }
    set_report();
    next_cc_ = h.now_ns() + p_.cc_poll_ns;
    return {};
}

status epf::setup_interrupt_window() {
    const unsigned n = static_cast<unsigned>(dbs_.size());
    bool pre = true;
    for (unsigned i = 0; i < n; ++i)
        pre = pre && dbs_[i].bar == static_cast<int>(BAR) && dbs_[i].offset == REG_DBS + 4ull * i;
    if (pre)
        return {};
    for (const doorbell& d : dbs_)
        if (d.bar != NO_BAR)
            return {errc::not_supported, "pre-exposed at BAR" + std::to_string(d.bar) + "+" + hex(d.offset) +
                                             ", not in the BAR0 doorbell window"};
    // BAR sub-ranges: the registers go to RAM, the iATU region(s) holding the doorbell window to the targets.
    const std::uint64_t r = ep_.controller().region_align();
    const std::uint64_t lo = REG_DBS & ~(r - 1), hi = align_up(REG_DBS + 4ull * n, r);
    if (lo == 0)
        return {errc::not_supported, "the " + hex(r) + "-byte iATU region would put the registers at BAR0+0 and "
                                                        "the doorbells at BAR0+0x1000 behind one target"};
    const std::uint64_t t = dbs_.front().address - REG_DBS; // what BAR0+0 would be in the target's space
    for (unsigned i = 0; i < n; ++i)
        if (dbs_[i].address != t + REG_DBS + 4ull * i)
            return {errc::not_supported, "the doorbell targets are not 4 bytes apart"};
    if ((t + lo) & (r - 1))
        return {errc::not_supported, "the doorbell targets do not sit at 0x1000 of an iATU region"};
    submap_ = {{bar_, lo}, {t + lo, hi - lo}};
    if (hi < bar_size_)
        submap_.push_back({bar_ + hi, bar_size_ - hi});
    submap_pending_ = true;
    return {};
}

status epf::use_poll(const std::string& why) {
    log(why + "; using the poll backend");
    report_.reasons.push_back(why);
    ep_.doorbells().free(p_.function);
    has_doorbells_ = false;
    submap_.clear();
    submap_pending_ = false;
    doorbell_requirements req;
    req.backend = doorbell_backend::poll;
    req.window_bar = BAR;
    req.window_offset = REG_DBS;
    req.window_stride = 4;
    req.any_value = true;
    req.window_phys = bar_;
    auto got = ep_.doorbells().alloc(p_.function, static_cast<unsigned>(dbs_.size()), req);
    if (!got)
        return got.error();
    has_doorbells_ = true;
    dbs_ = got.value();
    report_.backend = doorbell_backend::poll;
    std::fill(last_.begin(), last_.end(), 0);
    return {};
}

status epf::listen_all() {
    for (unsigned i = 0; i < dbs_.size(); ++i)
        if (auto s = ep_.doorbells().listen(p_.function, i, [this](unsigned idx) { on_doorbell(idx); }); !s)
            return s;
    return {};
}

void epf::set_report() {
    report_.interrupt_driven = report_.backend != doorbell_backend::poll;
    std::string s = std::to_string(dbs_.size()) + " doorbell(s) at BAR0+" + hex(REG_DBS) + " stride 4: " +
                    fw::to_string(report_.backend) +
                    (report_.interrupt_driven ? " (interrupt-driven)" : " (polled)");
    if (!report_.reasons.empty()) {
        s += "; not";
        for (std::size_t i = 0; i < report_.reasons.size(); ++i)
            s += (i ? " | " : " ") + report_.reasons[i];
    }
    report_.summary = s;
    log(s);
    wr(REG_DB_BACKEND, DB_BACKEND_VALID | (report_.interrupt_driven ? DB_BACKEND_IRQ : 0) |
                           (static_cast<std::uint32_t>(report_.backend) & DB_BACKEND_MASK));
}

void epf::on_doorbell(unsigned index) {
    if (index >= dbs_.size())
        return;
    doorbell_write w;
    w.doorbell = index;
    w.queue = index / 2;
    w.cq = index & 1;
    w.time_ns = ep_.hw().now_ns();
    if (dbs_[index].backend == doorbell_backend::poll) {
        // The slot is the doorbell register itself: its value is the new tail / head. A scan may report a slot
        // whose value this function already recorded (it re-reads after the scan), so record changes only.
        const std::uint32_t v = ep_.hw().read32(dbs_[index].address);
        if (v == last_[index])
            return;
        last_[index] = v;
        w.value = v;
    } else {
        w.value_known = false;
    }
    if (writes_.size() < MAX_WRITE_LOG)
        writes_.push_back(w);
}

void epf::try_submap() {
    if (!submap_pending_ || !ep_.controller().bar_assigned(p_.function, BAR))
        return;
    submap_pending_ = false;
    if (auto s = ep_.controller().map_bar_subranges(p_.function, BAR, submap_); !s) {
        // Keep BAR0 on RAM and poll.
        ep_.controller().map_bar(p_.function, BAR, bar_);
        if (auto t = use_poll("BAR0 sub-range mapping failed: " + s.message()); !t) {
            log("poll fall-back failed: " + t.message());
            return;
        }
        listen_all();
        set_report();
        return;
    }
    log("BAR0 sub-ranges: registers on RAM, doorbell window on the doorbell target");
}

void epf::poll_cc() {
    const std::uint32_t cc = rd(REG_CC);
    std::uint32_t csts = rd(REG_CSTS);
    if ((cc & CC_EN) && !enabled_) {
        enabled_ = true;
        csts |= CSTS_RDY;
        log("controller enabled");
    } else if (!(cc & CC_EN) && enabled_) {
        enabled_ = false;
        csts &= ~CSTS_RDY;
        // Controller reset: the doorbells start again from zero.
        if (report_.backend == doorbell_backend::poll)
            for (const doorbell& d : dbs_)
                ep_.hw().write32(d.address, 0);
        std::fill(last_.begin(), last_.end(), 0);
        log("controller disabled");
    }
    csts = (csts & ~CSTS_SHST_MASK) | ((cc & CC_SHN_MASK) ? CSTS_SHST_COMPLETE : 0);
    wr(REG_CSTS, csts);
    try_submap();
}

status epf::unbind() {
    if (!bound_)
        return {};
    status first;
    if (has_doorbells_) {
        first = ep_.doorbells().free(p_.function);
        has_doorbells_ = false;
    }
    if (mapped_) {
        ep_.controller().unmap_bar(p_.function, BAR);
        ep_.controller().configure_bar(p_.function, BAR, 0, {});
        mapped_ = false;
    }
    submap_pending_ = false;
    bound_ = false;
    return first;
}

void epf::serve_until(std::uint64_t until_ns) {
    hal& h = ep_.hw();
    doorbell_allocator& db = ep_.doorbells();
    for (;;) {
        const std::uint64_t now = h.now_ns();
        if (now >= until_ns || !bound_)
            return;
        const bool polled = report_.backend == doorbell_backend::poll;
        std::uint64_t next = std::min(next_cc_, until_ns);
        if (polled)
            next = std::min(next, db.next_poll_ns());
        if (now < next) {
            h.wait_for_interrupt(next - now);
            continue;
        }
        if (polled && now >= db.next_poll_ns())
            db.service();
        if (now >= next_cc_) {
            poll_cc();
            next_cc_ = now + p_.cc_poll_ns;
        }
    }
}

void epf::run() {
    for (;;) {
        serve_until(std::numeric_limits<std::uint64_t>::max());
        ep_.hw().wait_for_interrupt(1000000000);
    }
}

} // namespace dbvp::fw::nvme
