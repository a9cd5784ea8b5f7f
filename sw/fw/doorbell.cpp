#include "dbvp/fw/doorbell.h"

#include "dbvp/util/bits.h"
#include "dbvp/util/format.h"

#include <algorithm>

namespace dbvp::fw {

namespace {
constexpr std::uint32_t EDMA_WR_INT_CLEAR = 0x058, EDMA_RD_INT_CLEAR = 0x0ac;
constexpr unsigned MAX_DOORBELLS = 65536; // a 16-bit EventID space per function

std::string bar_name(int bar) { return "BAR" + std::to_string(bar); }

/// Lowest power of two the address is aligned to (for messages).
std::uint64_t alignment_of(std::uint64_t a) { return a ? (a & (~a + 1)) : 0; }
} // namespace

const char* to_string(doorbell_backend b) {
    switch (b) {
    case doorbell_backend::msi: return "MSI";
    case doorbell_backend::embedded: return "embedded";
    case doorbell_backend::poll: return "poll";
    }
    return "?";
}

struct doorbell_allocator::held {
    unsigned function = 0;
    doorbell_backend backend = doorbell_backend::poll;
    std::vector<doorbell> dbs;
    unsigned first_event = 0, first_lpi = 0; // MSI
    bool any_value = false;                  // poll: a changed value rings (else: non-zero rings, then cleared)
    std::vector<std::uint32_t> last;         // poll: last value seen per slot
    std::vector<handler> handlers;           // poll listeners per index
    std::vector<irq_handle> irqs;            // interrupts requested by listen()
};

doorbell_allocator::doorbell_allocator(hal& h, dwc_ep_driver& ep, msi_platform& msi, dma_pool& pool,
                                       doorbell_options opt)
    : hal_(h), ep_(ep), msi_(msi), pool_(pool), opt_(opt) {}

doorbell_allocator::~doorbell_allocator() {
    while (!held_.empty())
        free(held_.begin()->first);
}

const std::vector<doorbell>& doorbell_allocator::doorbells(unsigned function) const {
    static const std::vector<doorbell> none;
    auto it = held_.find(function);
    return it == held_.end() ? none : it->second->dbs;
}

std::string doorbell_allocator::window_reason(const char* what, std::uint64_t address,
                                              const doorbell_requirements& req, unsigned count,
                                              bool one_address) const {
    if (req.window_bar == NO_BAR)
        return {};
    const std::string where = bar_name(req.window_bar) + "+" + hex(req.window_offset);
    std::string why;
    if (one_address && count > 1 && req.window_stride)
        why = std::string(what) + " is one address (" + hex(address) + ") for all " + std::to_string(count) +
              " doorbells, the window needs them " + std::to_string(req.window_stride) + " bytes apart";
    const std::uint64_t mask = ep_.region_align() - 1;
    if ((address & mask) != (req.window_offset & mask))
        why += std::string(why.empty() ? "" : "; ") + what + " is at offset " + hex(address & mask) + " of its " +
               hex(mask + 1) + "-byte iATU region, cannot start at " + where;
    return why;
}

namespace {
/// "backend: reason; reason" or empty.
std::string joined(const char* backend, const std::vector<std::string>& why) {
    if (why.empty())
        return {};
    std::string s = std::string(backend) + ": ";
    for (std::size_t i = 0; i < why.size(); ++i)
        s += (i ? "; " : "") + why[i];
    return s;
}
} // namespace

result<std::vector<doorbell>> doorbell_allocator::alloc(unsigned function, unsigned count,
                                                        const doorbell_requirements& req) {
    reasons_.clear();
    if (function >= ep_.num_functions())
        return status(errc::invalid_argument, "no function " + std::to_string(function));
    if (count == 0 || count > MAX_DOORBELLS)
        return status(errc::invalid_argument,
                      std::to_string(count) + " doorbells (1.." + std::to_string(MAX_DOORBELLS) + ")");
    if (held_.count(function))
        return status(errc::busy, "function " + std::to_string(function) + " already has doorbells");
    if (req.window_bar != NO_BAR && (req.window_bar < 0 || req.window_bar > 5))
        return status(errc::invalid_argument, "window BAR " + std::to_string(req.window_bar));
    if (req.align && !is_pow2(req.align))
        return status(errc::invalid_argument, "alignment " + hex(req.align) + " is not a power of two");

    std::vector<doorbell_backend> order{doorbell_backend::msi, doorbell_backend::embedded, doorbell_backend::poll};
    if (req.backend)
        order = {*req.backend};
    for (doorbell_backend b : order) {
        if (b == doorbell_backend::poll && req.interrupt) {
            reasons_.push_back("poll: not interrupt-driven, and only an interrupt-driven doorbell was asked for");
            continue;
        }
        auto h = std::make_unique<held>();
        h->function = function;
        h->backend = b;
        const status s = b == doorbell_backend::msi        ? try_msi(function, count, req, *h)
                         : b == doorbell_backend::embedded ? try_embedded(function, count, req, *h)
                                                           : try_poll(function, count, req, *h);
        if (s) {
            held* p = h.get();
            held_[function] = std::move(h);
            hal_.log(("doorbell: function " + std::to_string(function) + ": " + std::to_string(count) + " " +
                      to_string(b) + " doorbell(s)")
                         .c_str());
            return p->dbs;
        }
        if (s.code() != errc::no_device && s.code() != errc::not_supported)
            return s;
        reasons_.push_back(s.message());
    }
    std::string why = "no doorbell backend fits function " + std::to_string(function) + ":";
    for (const auto& r : reasons_)
        why += " [" + r + "]";
    return status(errc::not_supported, why);
}

status doorbell_allocator::try_msi(unsigned function, unsigned count, const doorbell_requirements& req, held& out) {
    (void)function;
    if (!msi_.has_msi_parent(ep_.node()))
        return {errc::no_device, "MSI: Can't find MSI domain for EPC (no msi-map / msi-parent to an ITS)"};
    its_driver& its = *msi_.its();
    const std::uint64_t target = its.translater_address();
    std::vector<std::string> why;
    if (req.any_value)
        why.push_back("the data written is the EventID; a host writing values of its own would raise other LPIs "
                      "or none");
    if (req.align && (target & (req.align - 1)))
        why.push_back("GITS_TRANSLATER " + hex(target) + " is only " + hex(alignment_of(target)) + "-aligned, " +
                      hex(req.align) + " required");
    if (auto w = window_reason("GITS_TRANSLATER", target, req, count, true); !w.empty())
        why.push_back(w);
    if (!why.empty())
        return {errc::not_supported, joined("MSI", why)};

    if (!msi_ready_) {
        auto ids = msi_.controller_ids(ep_.node());
        if (!ids)
            return ids.error();
        // LUT first (a full LUT programs nothing else); every step undone when a later one fails.
        const bool had_lut_entry = msi_.lut_entry_written();
        if (auto s = msi_.ensure_lut_entry(ids->stream_id, static_cast<std::uint16_t>(opt_.lut_mask)); !s)
            return s;
        auto undo_lut = [&] {
            if (!had_lut_entry)
                msi_.remove_lut_entry();
        };
        auto dev = its.map_device(ids->device_id, opt_.msi_events);
        if (!dev) {
            undo_lut();
            return dev.error();
        }
        if (ids->has_iommu)
            if (auto s = msi_.iommu_map(ids->stream_id, target, 4, true); !s) {
                its.unmap_device(ids->device_id);
                undo_lut();
                return s;
            }
        device_id_ = ids->device_id;
        stream_id_ = ids->stream_id;
        events_used_.assign(dev->num_events, false);
        msi_ready_ = true;
    }
    // Disjoint EventIDs per function: first fit.
    unsigned first = 0;
    for (;; ++first) {
        if (first + count > events_used_.size())
            return {errc::no_space, "MSI: " + std::to_string(count) + " consecutive EventIDs are not free (" +
                                        std::to_string(events_used_.size()) + " per controller)"};
        if (std::none_of(events_used_.begin() + first, events_used_.begin() + first + count, [](bool u) { return u; }))
            break;
    }
    auto lpi = msi_.alloc_lpis(count);
    if (!lpi)
        return lpi.error();
    gicv3_driver& gic = *msi_.gic();
    for (unsigned i = 0; i < count; ++i) {
        status s = gic.set_lpi(lpi.value() + i, true, gic::DEFAULT_PRIORITY);
        if (s)
            s = its.map_event(device_id_, first + i, lpi.value() + i);
        if (s)
            s = its.inv(device_id_, first + i);
        if (!s) {
            for (unsigned j = 0; j <= i; ++j) {
                its.unmap_event(device_id_, first + j);
                gic.set_lpi(lpi.value() + j, false, gic::DEFAULT_PRIORITY);
            }
            msi_.free_lpis(lpi.value(), count);
            return s;
        }
        doorbell d;
        d.backend = doorbell_backend::msi;
        d.address = target;
        d.data = first + i;
        d.irq = lpi.value() + i;
        d.irq_flags = irq_none;
        out.dbs.push_back(d);
    }
    std::fill(events_used_.begin() + first, events_used_.begin() + first + count, true);
    out.first_event = first;
    out.first_lpi = lpi.value();
    return {};
}

status doorbell_allocator::try_embedded(unsigned function, unsigned count, const doorbell_requirements& req,
                                        held& out) {
    const auto aux = ep_.aux_resources(function);
    if (aux.empty())
        return {errc::no_device, "embedded: the controller has no eDMA interrupt-emulation doorbell"};
    const aux_resource& r = aux.front();
    if (r.phys_addr & 3)
        return {errc::invalid_argument, "embedded: doorbell " + hex(r.phys_addr) + " is not 4-byte aligned"};
    std::vector<std::string> why;
    if (req.distinguishable && count > 1)
        why.push_back("one shared kick (one address, one data, one IRQ) cannot tell " + std::to_string(count) +
                      " doorbells apart");
    if (req.align && (r.phys_addr & (req.align - 1)))
        why.push_back("the doorbell register " + hex(r.phys_addr) + " is only " + hex(alignment_of(r.phys_addr)) +
                      "-aligned, " + hex(req.align) + " required");
    if (req.window_bar != NO_BAR && r.bar >= 0) {
        if ((count > 1 && req.window_stride) || r.bar != req.window_bar || r.bar_offset != req.window_offset)
            why.push_back("the doorbell is fixed at " + bar_name(r.bar) + "+" + hex(r.bar_offset) +
                          " (reserved BAR), the window needs " + bar_name(req.window_bar) + "+" +
                          hex(req.window_offset) + (count > 1 ? " and distinct addresses" : ""));
    } else if (auto w = window_reason("the eDMA doorbell", r.phys_addr, req, count, true); !w.empty()) {
        why.push_back(w);
    }
    if (!why.empty())
        return {errc::not_supported, joined("embedded", why)};
    const bool spi_was_enabled = msi_.gic() && msi_.gic()->is_enabled(r.irq);
    auto irq = msi_.enable_spi(ep_.node(), r.irq_index);
    if (!irq)
        return irq.error();
    if (embedded_users_ == 0) {
        embedded_irq_ = irq.value();
        embedded_irq_was_enabled_ = spi_was_enabled;
        // The interrupt-emulation acknowledge (Linux's dw-edma-emul irq_ack): a zero write to both INT_CLEAR
        // registers deasserts the emulated interrupt and leaves real DONE/ABORT bits alone.
        const std::uint64_t base = ep_.edma().base;
        auto h = hal_.request_irq(
            irq.value(),
            [this, base](unsigned) {
                hal_.write32(base + EDMA_WR_INT_CLEAR, 0);
                hal_.write32(base + EDMA_RD_INT_CLEAR, 0);
            },
            irq_shared, "dw-edma-emul");
        if (!h) {
            if (!spi_was_enabled)
                msi_.gic()->disable(irq.value());
            return h.error();
        }
        ack_handle_ = h.value();
    }
    ++embedded_users_;
    doorbell d;
    d.backend = doorbell_backend::embedded;
    d.address = r.phys_addr;
    d.data = r.data;
    d.irq = irq.value();
    d.irq_flags = irq_shared;
    d.bar = r.bar;
    d.offset = r.bar >= 0 ? r.bar_offset : 0;
    out.dbs.assign(count, d);
    return {};
}

status doorbell_allocator::try_poll(unsigned function, unsigned count, const doorbell_requirements& req,
                                    held& out) {
    (void)function;
    std::uint64_t base = 0, stride = 4;
    if (req.window_bar != NO_BAR) {
        if (!req.window_phys)
            return {errc::invalid_argument, "poll: window_phys (the memory behind " + bar_name(req.window_bar) +
                                                ") is needed to place the slots"};
        stride = req.window_stride ? req.window_stride : 4;
        if (stride % 4)
            return {errc::invalid_argument, "poll: stride " + std::to_string(stride) + " is not a multiple of 4"};
        base = req.window_phys + req.window_offset;
        if (req.align && ((base & (req.align - 1)) || (count > 1 && stride % req.align)))
            return {errc::not_supported, "poll: the window " + bar_name(req.window_bar) + "+" +
                                             hex(req.window_offset) + " (stride " + std::to_string(stride) +
                                             ") is not " + hex(req.align) + "-aligned"};
    } else {
        stride = std::max<std::uint64_t>(4, req.align);
        const std::uint64_t need = std::uint64_t{count} * stride;
        std::uint64_t size = std::max({opt_.poll_region_bytes, ep_.region_align(), need});
        size = std::uint64_t{1} << fls64(size - 1); // a power of two, so one BAR-match window can expose it
        auto& kept = poll_regions_[function];       // pool memory is never returned: reuse the function's
        if (kept.second < size) {
            auto region = pool_.alloc(size, size);
            if (!region)
                return region.error();
            kept = {region.value(), size};
        }
        base = kept.first;
    }
    out.any_value = req.any_value;
    for (unsigned i = 0; i < count; ++i) {
        doorbell d;
        d.backend = doorbell_backend::poll;
        d.address = base + i * stride;
        d.data = 1;
        if (req.window_bar != NO_BAR) {
            d.bar = req.window_bar;
            d.offset = req.window_offset + i * stride;
        }
        hal_.write32(d.address, 0);
        out.dbs.push_back(d);
    }
    out.last.assign(count, 0);
    out.handlers.assign(count, nullptr);
    if (next_poll_ == 0)
        next_poll_ = hal_.now_ns() + opt_.poll_interval_ns;
    return {};
}

status doorbell_allocator::listen(unsigned function, unsigned index, handler fn) {
    auto it = held_.find(function);
    if (it == held_.end())
        return {errc::invalid_argument, "function " + std::to_string(function) + " has no doorbells"};
    held& h = *it->second;
    if (index >= h.dbs.size())
        return {errc::out_of_range, "doorbell " + std::to_string(index) + " of " + std::to_string(h.dbs.size())};
    if (!fn)
        return {errc::invalid_argument, "no handler"};
    if (h.backend == doorbell_backend::poll) {
        h.handlers[index] = std::move(fn);
        return {};
    }
    const doorbell& d = h.dbs[index];
    // The first listener of a doorbell is kept in h.handlers: the interrupt handler is then small enough for the
    // HAL to store without an allocation of its own (one indirection less per doorbell). Further ones (a shared
    // kick listened to twice) carry their own.
    if (h.handlers.size() < h.dbs.size())
        h.handlers.resize(h.dbs.size());
    const bool first = !h.handlers[index];
    fw::irq_handler irq_fn;
    if (first) {
        held* hp = &h;
        irq_fn = [hp, index](unsigned) { hp->handlers[index](index); };
    } else {
        irq_fn = [fn, index](unsigned) { fn(index); };
    }
    auto r = hal_.request_irq(d.irq, std::move(irq_fn), d.irq_flags, "doorbell");
    if (!r)
        return r.error();
    if (first)
        h.handlers[index] = std::move(fn);
    h.irqs.push_back(r.value());
    return {};
}

unsigned doorbell_allocator::service() {
    const std::uint64_t now = hal_.now_ns();
    if (now < next_poll_)
        return 0;
    next_poll_ = now + opt_.poll_interval_ns;
    // Scan first, then call the listeners (a listener may free doorbells).
    hits_.clear();
    for (auto& [f, hp] : held_) {
        held& h = *hp;
        if (h.backend != doorbell_backend::poll)
            continue;
        for (unsigned i = 0; i < h.dbs.size(); ++i) {
            const std::uint32_t v = hal_.read32(h.dbs[i].address);
            const bool hit = h.any_value ? v != h.last[i] : v != 0;
            if (!hit)
                continue;
            if (h.any_value)
                h.last[i] = v;
            else
                hal_.write32(h.dbs[i].address, 0);
            hits_.push_back({f, i});
        }
    }
    for (const auto& [f, i] : hits_) {
        auto it = held_.find(f);
        if (it != held_.end() && i < it->second->handlers.size() && it->second->handlers[i])
            it->second->handlers[i](i);
    }
    return static_cast<unsigned>(hits_.size());
}

status doorbell_allocator::release(held& h) {
    for (irq_handle i : h.irqs)
        hal_.free_irq(i);
    h.irqs.clear();
    status first_error;
    if (h.backend == doorbell_backend::msi) {
        its_driver& its = *msi_.its();
        for (unsigned i = 0; i < h.dbs.size(); ++i) {
            if (auto s = its.unmap_event(device_id_, h.first_event + i); !s && first_error)
                first_error = s;
            msi_.gic()->set_lpi(h.first_lpi + i, false, gic::DEFAULT_PRIORITY);
        }
        std::fill(events_used_.begin() + h.first_event, events_used_.begin() + h.first_event + h.dbs.size(), false);
        msi_.free_lpis(h.first_lpi, static_cast<unsigned>(h.dbs.size()));
    } else if (h.backend == doorbell_backend::embedded) {
        if (--embedded_users_ == 0 && ack_handle_) {
            hal_.free_irq(ack_handle_);
            ack_handle_ = 0;
            // The last handler is gone: mask the line again (unless it was enabled before us), or the next kick
            // would be a level interrupt nobody acknowledges.
            if (!embedded_irq_was_enabled_)
                msi_.gic()->disable(embedded_irq_);
        }
    }
    return first_error;
}

status doorbell_allocator::free(unsigned function) {
    auto it = held_.find(function);
    if (it == held_.end())
        return {errc::invalid_argument, "function " + std::to_string(function) + " has no doorbells to free"};
    std::unique_ptr<held> h = std::move(it->second);
    held_.erase(it);
    return release(*h);
}

} // namespace dbvp::fw
