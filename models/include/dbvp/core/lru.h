// dbvp — fixed-capacity, fully associative cache with least-recently-used replacement.
//
// The model of a hardware cache (ITS translation cache, GIC LPI configuration cache): `capacity` entries, any
// key in any entry, the least recently used entry replaced when a new key is inserted into a full cache.
// Lookups, insertions and erasures of one key take constant time (a hash index over the entries, a doubly
// linked recency list; each entry remembers its index slot and its key's home slot, so an eviction neither
// searches nor rehashes); nothing allocates after construction. Capacity 0 is a cache that holds nothing.
// erase_if() visits every entry (invalidation commands are rare).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dbvp {

template <class Key, class Value> class lru_cache {
public:
    explicit lru_cache(std::size_t capacity) : nodes_(capacity) {
        std::size_t slots = 1;
        while (slots < 4 * capacity) // load factor <= 1/4: short probe sequences
            slots *= 2;
        index_.assign(capacity ? slots : 0, npos);
        clear();
    }

    std::size_t capacity() const { return nodes_.size(); }
    std::size_t size() const { return size_; }

    /// The value cached for `key` (it becomes the most recently used), or nullptr.
    Value* find(const Key& key) {
        const std::uint32_t n = lookup(key);
        if (n == npos)
            return nullptr;
        touch(n);
        return &nodes_[n].value;
    }
    /// The value cached for `key` without changing the recency order, or nullptr.
    const Value* peek(const Key& key) const {
        const std::uint32_t n = lookup(key);
        return n == npos ? nullptr : &nodes_[n].value;
    }
    /// Cache `value` for `key` (replacing the least recently used entry when full); it is the most recent.
    void insert(const Key& key, const Value& value) {
        if (nodes_.empty())
            return;
        std::uint32_t n = lookup(key);
        if (n == npos) {
            if (size_ == nodes_.size()) {
                n = tail_;
                unindex(n);
                unlink(n);
            } else {
                n = free_;
                free_ = nodes_[n].next;
                ++size_;
            }
            nodes_[n].key = key;
            reindex(n);
            push_front(n);
        } else {
            touch(n);
        }
        nodes_[n].value = value;
    }
    bool erase(const Key& key) {
        const std::uint32_t n = lookup(key);
        if (n == npos)
            return false;
        remove(n);
        return true;
    }
    /// Erase every entry for which pred(key, value) holds.
    template <class Pred> void erase_if(Pred&& pred) {
        for (std::uint32_t n = head_; n != npos;) {
            const std::uint32_t next = nodes_[n].next;
            if (pred(nodes_[n].key, nodes_[n].value))
                remove(n);
            n = next;
        }
    }
    /// Calls fn(key, value) for every entry, most recently used first.
    template <class Fn> void for_each(Fn&& fn) const {
        for (std::uint32_t n = head_; n != npos; n = nodes_[n].next)
            fn(nodes_[n].key, nodes_[n].value);
    }
    void clear() {
        for (auto& s : index_)
            s = npos;
        head_ = tail_ = npos;
        size_ = 0;
        free_ = nodes_.empty() ? npos : 0;
        for (std::size_t i = 0; i < nodes_.size(); ++i)
            nodes_[i].next = i + 1 < nodes_.size() ? static_cast<std::uint32_t>(i + 1) : npos;
    }

private:
    static constexpr std::uint32_t npos = 0xffffffffu;
    struct node {
        Key key{};
        Value value{};
        std::uint32_t prev = npos, next = npos;
        std::uint32_t slot = npos, home = 0; // its position in the index, and where its key hashes to
    };

    std::size_t slot_of(const Key& key) const {
        std::uint64_t h = static_cast<std::uint64_t>(key);
        h ^= h >> 33; // 64-bit finaliser: every key bit reaches the low (index) bits
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
        return static_cast<std::size_t>(h) & (index_.size() - 1);
    }
    std::uint32_t lookup(const Key& key) const {
        if (index_.empty())
            return npos;
        for (std::size_t s = slot_of(key);; s = (s + 1) & (index_.size() - 1)) {
            const std::uint32_t n = index_[s];
            if (n == npos)
                return npos;
            if (nodes_[n].key == key)
                return n;
        }
    }
    void reindex(std::uint32_t n) {
        node& x = nodes_[n];
        x.home = static_cast<std::uint32_t>(slot_of(x.key));
        std::size_t s = x.home;
        while (index_[s] != npos)
            s = (s + 1) & (index_.size() - 1);
        index_[s] = n;
        x.slot = static_cast<std::uint32_t>(s);
    }
    /// Remove node n from the index (linear probing, backward-shift deletion: no tombstones).
    void unindex(std::uint32_t n) {
        const std::size_t mask = index_.size() - 1;
        std::size_t s = nodes_[n].slot;
        for (std::size_t next = (s + 1) & mask;; next = (next + 1) & mask) {
            const std::uint32_t m = index_[next];
            if (m == npos)
                break;
            const std::size_t home = nodes_[m].home;
            // m may move into the hole at s when its home does not lie cyclically in (s, next].
            const bool stays = s <= next ? (home > s && home <= next) : (home > s || home <= next);
            if (!stays) {
                index_[s] = m;
                nodes_[m].slot = static_cast<std::uint32_t>(s);
                s = next;
            }
        }
        index_[s] = npos;
        nodes_[n].slot = npos;
    }
    void unlink(std::uint32_t n) {
        node& x = nodes_[n];
        (x.prev == npos ? head_ : nodes_[x.prev].next) = x.next;
        (x.next == npos ? tail_ : nodes_[x.next].prev) = x.prev;
        x.prev = x.next = npos;
    }
    void push_front(std::uint32_t n) {
        node& x = nodes_[n];
        x.prev = npos;
        x.next = head_;
        if (head_ != npos)
            nodes_[head_].prev = n;
        head_ = n;
        if (tail_ == npos)
            tail_ = n;
    }
    void touch(std::uint32_t n) {
        if (head_ == n)
            return;
        unlink(n);
        push_front(n);
    }
    void remove(std::uint32_t n) {
        unindex(n);
        unlink(n);
        nodes_[n].next = free_;
        free_ = n;
        --size_;
    }

    std::vector<node> nodes_;
    std::vector<std::uint32_t> index_;
    std::uint32_t head_ = npos, tail_ = npos, free_ = npos;
    std::size_t size_ = 0;
};

} // namespace dbvp
