#include "dbvp/platform/native_cpu.h"

#include "dbvp/core/clocked.h"
#include "dbvp/core/report.h"
#include "dbvp/core/trace.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace dbvp::platform {

using sc_core::sc_time;

namespace {
constexpr std::uint64_t max_wait_ns = 1000000000000ull; // waits are capped at 1000 s of simulated time
}

native_cpu::native_cpu(sc_core::sc_module_name name, const params& p, const void* fdt)
    : sc_module(name), clocked(p.clock_hz), bus("bus"), p_(p), fdt_(fdt), master_(bus), lines_(p.num_irqs),
      pending_(p.num_irqs) {
    if (p_.irq_entry == 0)
        throw std::invalid_argument(std::string(this->name()) + ": irq_entry must be at least one cycle");
    snapshot_.reserve(8);
    // The firmware's loads and stores to RAM take DMI, as a CPU's would; MMIO takes the bus.
    master_.enable_dmi();
    bus.register_invalidate_direct_mem_ptr(this, &native_cpu::invalidate_direct_mem_ptr);
    SC_HAS_PROCESS(native_cpu);
    SC_THREAD(run);
}

void native_cpu::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
    master_.invalidate_dmi(start, end);
}

void native_cpu::run() {
    if (fw_)
        fw_(*this);
    done_ = true;
    // Idle loop: keep serving interrupts for the handlers the firmware left registered.
    for (;;) {
        if (!service())
            wait_interrupt_until(sc_core::sc_max_time());
    }
}

void native_cpu::irq_level(unsigned input, bool level, const sc_time& offset) {
    if (input >= lines_.size())
        return;
    line& l = lines_[input];
    if (l.level == level)
        return;
    const bool was = l.level || l.edge;
    l.level = level;
    if (level)
        l.since = kernel_time() + offset;
    note_pending(input, was);
    if (level && waiting_)
        irq_ev_.notify(offset);
}

void native_cpu::irq_edge(unsigned input, const sc_time& offset) {
    if (input >= lines_.size())
        return;
    line& l = lines_[input];
    const bool was = l.level || l.edge;
    if (!was)
        l.since = kernel_time() + offset;
    l.edge = true;
    note_pending(input, was);
    if (waiting_)
        irq_ev_.notify(offset);
}

void native_cpu::note_pending(unsigned input, bool was) {
    const line& l = lines_[input];
    const bool now = l.level || l.edge;
    if (now == was)
        return;
    if (now) {
        ++npending_;
        pending_.set(input);
    } else {
        --npending_;
        pending_.reset(input);
    }
}

unsigned native_cpu::next_pending(unsigned from) const {
    const std::size_t n = pending_.find_next(from);
    return n == sparse_bitset::npos ? static_cast<unsigned>(lines_.size()) : static_cast<unsigned>(n);
}

bool native_cpu::earliest_pending(sc_time& earliest) const {
    if (npending_ == 0)
        return false;
    if (npending_ == 1) { // the usual case (the GIC's nIRQ): one look
        earliest = lines_[pending_.find_next(0)].since; // npending_ counts pending_'s bits (note_pending)
        return true;
    }
    bool any = false;
    pending_.for_each([&](std::size_t n) {
        const line& l = lines_[n];
        if (!any || l.since < earliest)
            earliest = l.since;
        any = true;
    });
    return any;
}

bool native_cpu::wait_interrupt_until(const sc_time& deadline) {
    for (;;) {
        const sc_time now = master_.now();
        sc_time earliest;
        const bool any = !in_irq_ && earliest_pending(earliest);
        if (any && earliest <= now)
            return true; // taken at the local time, ahead of the kernel
        if (now >= deadline) {
            master_.sync(); // a wait that ran out leaves the CPU in step with the kernel
            return false;
        }
        // State changes are recorded at once with the time they become visible; an event notified for a later
        // time can be overridden by an earlier notification, so also wake for the earliest known pending line.
        const sc_time until = any ? std::min(deadline, earliest) : deadline;
        // Temporal decoupling: a line known to become pending within the quantum is waited for in local time.
        if (any && until - kernel_time() < global_quantum()) {
            master_.consume(until - now);
            continue;
        }
        // Otherwise synchronise first and look again: a line that rose while the local time was being caught
        // up is in the state looked at above (irq_ev_ is notified only while the wait below is in progress).
        if (now > kernel_time()) {
            master_.sync();
            continue;
        }
        // In step with the kernel, so the wait begins at once: any line rising from here on wakes it.
        waiting_ = true;
        master_.wait_until(until, irq_ev_);
        waiting_ = false;
    }
}

void native_cpu::dispatch(unsigned irq) {
    // Snapshot the handlers: one may free itself (or another) while running.
    snapshot_.clear();
    for (std::uint32_t n = first_action(irq); n != no_action; n = slot_at(n).next)
        snapshot_.push_back({n, slot_at(n).handle});
    // A slot freed while dispatching is not reused before the end: a slot still holding its handle is the same
    // handler.
    const bool nested = dispatching_;
    dispatching_ = true;
    for (std::size_t i = 0; i < snapshot_.size(); ++i)
        if (slot_at(snapshot_[i].first).handle == snapshot_[i].second)
            slot_at(snapshot_[i].first).fn(irq);
    dispatching_ = nested;
    if (nested)
        return;
    for (const std::uint32_t n : freed_in_dispatch_) {
        slot_at(n).fn = nullptr;
        slot_at(n).next = free_action_;
        free_action_ = n;
    }
    freed_in_dispatch_.clear();
}

void native_cpu::trace_handler(unsigned irq, const sc_time& taken) const {
    char name[24];
    std::snprintf(name, sizeof name, "irq %u", irq);
    trace::span(trace::track::cpu, name, taken, master_.now(),
                {{"intid", irq}, {"handlers", snapshot_.size()}, {"entry_cycles", p_.irq_entry}});
}

bool native_cpu::service_controller() {
    line& nirq = lines_[0];
    bool ran = false;
    while (nirq.level && nirq.since <= master_.now()) {
        const unsigned intid = ic_->acknowledge(master_.now() - kernel_time());
        if (intid == cpu_interrupt_if::spurious)
            break;
        in_irq_ = true;
        const sc_time t0 = trace::on() ? master_.now() : sc_core::SC_ZERO_TIME;
        master_.consume(cycles(p_.irq_entry));
        ++irqs_taken_;
        dispatch(intid);
        ic_->end_of_interrupt(intid, master_.now() - kernel_time());
        if (trace::on())
            trace_handler(intid, t0);
        in_irq_ = false;
        ran = true;
        if (snapshot_.empty())
            guest_warning(*this, "interrupt %u was taken but no handler is registered", intid);
    }
    return ran;
}

bool native_cpu::service() {
    if (in_irq_ || npending_ == 0)
        return false;
    if (ic_)
        return service_controller();
    bool ran = false;
    const sc_time now = master_.now();
    // Ascending line order; the bitmap is re-read after each handler, which may change any line.
    for (unsigned irq = next_pending(0); irq < lines_.size(); irq = next_pending(irq + 1)) {
        line& l = lines_[irq];
        if (l.since > now)
            continue;
        if (l.edge) {
            l.edge = false;
            note_pending(irq, true);
        }
        in_irq_ = true;
        const sc_time t0 = trace::on() ? master_.now() : sc_core::SC_ZERO_TIME;
        master_.consume(cycles(p_.irq_entry));
        ++irqs_taken_;
        dispatch(irq);
        if (trace::on())
            trace_handler(irq, t0);
        in_irq_ = false;
        ran = true;
        if (l.level && snapshot_.empty()) {
            guest_warning(*this, "interrupt %u is asserted but no handler is registered; masking it", irq);
            l.level = false;
            note_pending(irq, true);
        }
    }
    return ran;
}

bool native_cpu::access(tlm::tlm_command cmd, std::uint64_t addr, void* data, unsigned len) {
    service();
    return bus_access(cmd, addr, data, len);
}

bool native_cpu::bus_access(tlm::tlm_command cmd, std::uint64_t addr, void* data, unsigned len) {
    master_.consume(cycles(p_.mmio_cycles));
    const auto rsp = master_.access(cmd, addr, data, len, nullptr);
    if (rsp != tlm::TLM_OK_RESPONSE) {
        ++bus_errors_;
        return false;
    }
    return true;
}

std::uint32_t native_cpu::read32(std::uint64_t addr, bool* ok) {
    std::uint32_t v = 0;
    const bool good = access(tlm::TLM_READ_COMMAND, addr, &v, 4);
    if (ok)
        *ok = good;
    return good ? v : 0xffffffffu;
}

void native_cpu::write32(std::uint64_t addr, std::uint32_t value, bool* ok) {
    const bool good = access(tlm::TLM_WRITE_COMMAND, addr, &value, 4);
    if (ok)
        *ok = good;
}

void native_cpu::fill64(std::uint64_t addr, std::uint64_t value, std::uint64_t count, bool* ok) {
    bool all = true;
    while (count) {
        service(); // what write64() does first, for the next store
        // Up to the first time an interrupt may be taken (the lines change only when other processes run, i.e.
        // at a sync, which store_run() stops before), the stores are plain copies into RAM.
        sc_time until = sc_core::sc_max_time();
        if (!in_irq_)
            earliest_pending(until);
        if (const std::uint64_t n = master_.store_run(addr, value, count, cycles(p_.mmio_cycles), until)) {
            addr += 8 * n;
            count -= n;
            continue;
        }
        all = bus_access(tlm::TLM_WRITE_COMMAND, addr, &value, 8) && all;
        addr += 8;
        --count;
    }
    if (ok)
        *ok = all;
}

std::uint64_t native_cpu::read64(std::uint64_t addr, bool* ok) {
    std::uint64_t v = 0;
    const bool good = access(tlm::TLM_READ_COMMAND, addr, &v, 8);
    if (ok)
        *ok = good;
    return good ? v : ~0ull;
}

void native_cpu::write64(std::uint64_t addr, std::uint64_t value, bool* ok) {
    const bool good = access(tlm::TLM_WRITE_COMMAND, addr, &value, 8);
    if (ok)
        *ok = good;
}

fw::result<fw::irq_handle> native_cpu::request_irq(unsigned irq, fw::irq_handler handler, unsigned flags,
                                                   const char* name) {
    const bool valid = ic_ ? (irq < 1020 || (irq >= 8192 && irq < (1u << 24))) : irq < lines_.size();
    if (!valid)
        return fw::status(fw::errc::invalid_argument, "interrupt " + std::to_string(irq) + " does not exist");
    if (!handler)
        return fw::status(fw::errc::invalid_argument, "no handler");
    for (std::uint32_t n = first_action(irq); n != no_action; n = slot_at(n).next) {
        const action& a = slot_at(n);
        if (!((a.flags & fw::irq_shared) && (flags & fw::irq_shared)))
            return fw::status(fw::errc::busy, "interrupt " + std::to_string(irq) + " is already requested by " +
                                                  a.name + " and not shared by both");
    }
    const fw::irq_handle h = next_handle_++;
    std::uint32_t slot = free_action_;
    if (slot != no_action) {
        free_action_ = slot_at(slot).next;
    } else {
        slot = new_slot();
    }
    slot_at(slot) = action{h, irq, flags, no_action, std::move(handler), name ? name : ""};
    std::uint32_t* link = &first_action_ref(irq);
    while (*link != no_action)
        link = &slot_at(*link).next;
    *link = slot;
    handle_slot_[h] = slot;
    return h;
}

std::uint32_t& native_cpu::first_action_ref(unsigned irq) {
    const std::size_t page = irq >> 10;
    if (page >= irq_pages_.size())
        irq_pages_.resize(page + 1);
    if (!irq_pages_[page]) {
        irq_pages_[page] = std::make_unique<std::uint32_t[]>(1024);
        std::fill(irq_pages_[page].get(), irq_pages_[page].get() + 1024, no_action);
    }
    return irq_pages_[page][irq & 1023];
}

void native_cpu::free_irq(fw::irq_handle handle) {
    const auto hs = handle_slot_.find(handle);
    if (hs == handle_slot_.end())
        return;
    const std::uint32_t slot = hs->second;
    handle_slot_.erase(hs);
    action& a = slot_at(slot);
    for (std::uint32_t* link = &first_action_ref(a.irq); *link != no_action; link = &slot_at(*link).next) {
        if (*link == slot) {
            *link = a.next;
            break;
        }
    }
    a.handle = 0;
    if (dispatching_) { // the handler may be this one, still running: keep its slot until dispatch ends
        freed_in_dispatch_.push_back(slot);
        return;
    }
    a.fn = nullptr;
    a.next = free_action_;
    free_action_ = slot;
}

std::uint64_t native_cpu::now_ns() {
    return master_.now().value() / one_ns().value(); // truncated, as the host
}

void native_cpu::sleep_ns(std::uint64_t ns) {
    const sc_time deadline = master_.now() + times(one_ns(), std::min<std::uint64_t>(ns, max_wait_ns));
    for (;;) {
        service();
        if (!wait_interrupt_until(deadline))
            break;
    }
}

bool native_cpu::wait_for_interrupt(std::uint64_t timeout_ns) {
    const sc_time deadline =
        master_.now() + times(one_ns(), std::min<std::uint64_t>(timeout_ns, max_wait_ns));
    for (;;) {
        if (service())
            return true;
        if (!wait_interrupt_until(deadline))
            return false;
    }
}

std::string native_cpu::console_text() const {
    std::string s;
    for (const auto& l : console_)
        s += l + "\n";
    return s;
}

void native_cpu::log(const char* text) {
    char stamp[48];
    std::snprintf(stamp, sizeof stamp, "[%12.3f us] ", master_.now().to_seconds() * 1e6);
    console_.emplace_back(std::string(stamp) + text);
}

} // namespace dbvp::platform
