// dbvp — events (ID, time) kept in time order, for state that becomes true at a time ahead of the kernel.
//
// The GIC keeps here, for each LPI a temporally decoupled ITS made pending, the times it became pending (see
// gicv3.cpp). The list is sorted by time; "from before" markers (time zero) sit at its front. What the GIC asks
// costs about the events it looks at, not the list's length: the events up to a time are a prefix, the earliest
// event after a time that qualifies is usually the first after that prefix, and the events consumed (the oldest,
// as a rule) are dropped from the front. Removal marks an event dead; dead events are skipped and dropped from the
// front at once (the dead front is erased when it is more than half the list); one behind a live event stays
// until a prune passes its time. Each ID's live events are counted (in pages of 4096 IDs, made when an ID of
// theirs first has an event), so whether an ID has events left is known without a look. Nothing allocates once the
// list and the pages have grown to their working size.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <systemc>
#include <vector>

namespace dbvp {

class timed_events {
public:
    /// IDs 0 .. ids - 1, no events.
    void assign(std::size_t ids) {
        ev_.clear();
        head_ = 0;
        bits_.assign((ids + 63) / 64, 0);
        pages_.clear();
        pages_.resize((ids + page_ids - 1) / page_ids);
    }
    bool empty() const { return head_ == ev_.size(); }
    /// id has events.
    bool has(unsigned id) const { return test(bits_, id); }
    /// Bit per ID with events, 64 IDs a word (ID i is bit i % 64 of word i / 64).
    std::uint64_t word(std::size_t k) const { return bits_[k]; }

    /// An event for id at time `at`.
    void add(unsigned id, const sc_core::sc_time& at) {
        if (empty() || at >= ev_.back().at) {
            ev_.push_back({id, at});
        } else if (head_ > 0 && at <= ev_[head_].at) {
            ev_[--head_] = {id, at}; // before every live event: into the dead slot in front
        } else {
            const auto pos = std::upper_bound(ev_.begin() + static_cast<std::ptrdiff_t>(head_), ev_.end(), at,
                                              [](const sc_core::sc_time& t, const event& e) { return t < e.at; });
            ev_.insert(pos, event{id, at});
        }
        if (count(id)++ == 0)
            set(bits_, id);
    }

    /// Remove id's events at or before `upto`; true if later ones remain.
    bool consume(unsigned id, const sc_core::sc_time& upto) {
        if (!has(id))
            return false;
        std::uint32_t& c = count(id);
        for (std::size_t i = head_; c && i < ev_.size() && ev_[i].at <= upto; ++i)
            if (ev_[i].id == id) {
                ev_[i].id = dead;
                --c;
            }
        if (!c)
            clear(bits_, id);
        drop_dead_front();
        return c != 0;
    }

    /// The kernel reached `now`: events at or before it only say "from before". An ID left with nothing later
    /// loses its events (what they said is kept elsewhere: the GIC's pending bit); one with later events keeps
    /// one marker at time zero.
    void prune(const sc_core::sc_time& now) {
        std::size_t p = head_;
        for (; p < ev_.size() && ev_[p].at <= now; ++p) // the prefix's events leave their counts
            if (ev_[p].id != dead)
                --count(ev_[p].id);
        // The prefix's slots, from its end down, take one marker per ID with later events (marked in its count
        // until the pass is over).
        std::size_t free = p;
        for (std::size_t i = p; i-- > head_;) {
            const unsigned id = ev_[i].id;
            if (id == dead)
                continue;
            std::uint32_t& c = count(id);
            if (c & marked)
                continue;
            if (!c) {
                clear(bits_, id); // nothing later: the pending bit says the same
                continue;
            }
            c = (c + 1) | marked;
            ev_[--free] = {id, sc_core::SC_ZERO_TIME};
        }
        for (std::size_t i = free; i < p; ++i)
            count(ev_[i].id) &= ~marked;
        head_ = free;
        compact();
    }

    /// upto(id) for every event at or before `at` (an ID once per such event), then after(id, time) for the
    /// events after `at` in time order until it returns true.
    template <class Upto, class After> void scan(const sc_core::sc_time& at, Upto&& upto, After&& after) const {
        std::size_t i = head_;
        for (; i < ev_.size() && ev_[i].at <= at; ++i)
            if (ev_[i].id != dead)
                upto(ev_[i].id);
        for (; i < ev_.size(); ++i)
            if (ev_[i].id != dead && after(ev_[i].id, ev_[i].at))
                return;
    }

    /// Live events (tests).
    std::size_t size() const {
        return static_cast<std::size_t>(std::count_if(ev_.begin() + static_cast<std::ptrdiff_t>(head_), ev_.end(),
                                                      [](const event& e) { return e.id != dead; }));
    }

private:
    static constexpr unsigned dead = ~0u;
    static constexpr std::size_t page_ids = 4096;
    static constexpr std::uint32_t marked = 1u << 31; // prune: this ID has its marker
    std::uint32_t& count(unsigned id) {
        std::unique_ptr<std::uint32_t[]>& page = pages_[id / page_ids];
        if (!page)
            page = std::make_unique<std::uint32_t[]>(page_ids); // zeroed
        return page[id % page_ids];
    }
    struct event {
        unsigned id;
        sc_core::sc_time at;
    };
    static bool test(const std::vector<std::uint64_t>& b, unsigned id) { return (b[id / 64] >> (id % 64)) & 1; }
    static void set(std::vector<std::uint64_t>& b, unsigned id) { b[id / 64] |= std::uint64_t{1} << (id % 64); }
    static void clear(std::vector<std::uint64_t>& b, unsigned id) { b[id / 64] &= ~(std::uint64_t{1} << (id % 64)); }
    void drop_dead_front() {
        while (head_ < ev_.size() && ev_[head_].id == dead)
            ++head_;
        if (head_ == ev_.size()) {
            ev_.clear();
            head_ = 0;
        }
    }
    void compact() {
        drop_dead_front();
        if (head_ < 32 || head_ * 2 < ev_.size())
            return;
        ev_.erase(ev_.begin(), ev_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }

    std::vector<event> ev_; // sorted by time; [0, head_) is dead
    std::size_t head_ = 0;
    std::vector<std::uint64_t> bits_; // a bit per ID with events
    std::vector<std::unique_ptr<std::uint32_t[]>> pages_; // live events per ID, 4096 IDs a page
};

} // namespace dbvp
