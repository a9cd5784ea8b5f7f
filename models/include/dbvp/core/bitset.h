// dbvp — a bit set that finds its set bits without looking at the idle ranges.
//
// Three levels: a bit per element, a bit per non-zero word of those, a bit per non-zero word of the summary
// (the top level is scanned; it is one word up to 262,144 elements). Setting and clearing cost a few
// instructions; visiting the set bits or finding the next one costs about one word per set bit, however large
// the set. The GIC keeps its pending LPIs and deliverable wired interrupts in these, the endpoint CPU its
// pending lines. Nothing here allocates after assign().
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dbvp {

class sparse_bitset {
public:
    static constexpr std::size_t npos = ~std::size_t{0};

    explicit sparse_bitset(std::size_t n = 0) { assign(n); }

    /// n elements, all clear.
    void assign(std::size_t n) {
        n_ = n;
        bits_.assign((n + 63) / 64, 0);
        summary_.assign((bits_.size() + 63) / 64, 0);
        top_.assign((summary_.size() + 63) / 64, 0);
    }
    std::size_t size() const { return n_; }
    /// Words of 64 elements (element i is bit i % 64 of word i / 64).
    std::size_t words() const { return bits_.size(); }
    std::uint64_t word(std::size_t k) const { return bits_[k]; }

    bool test(std::size_t i) const { return (bits_[i / 64] >> (i % 64)) & 1; }
    void set(std::size_t i) {
        std::uint64_t& w = bits_[i / 64];
        if (w == 0) {
            const std::size_t k = i / 64;
            if (summary_[k / 64] == 0)
                top_[k / 4096] |= std::uint64_t{1} << (k / 64 % 64);
            summary_[k / 64] |= std::uint64_t{1} << (k % 64);
        }
        w |= std::uint64_t{1} << (i % 64);
    }
    void reset(std::size_t i) {
        std::uint64_t& w = bits_[i / 64];
        if (w == 0)
            return;
        w &= ~(std::uint64_t{1} << (i % 64));
        if (w == 0) {
            const std::size_t k = i / 64;
            std::uint64_t& s = summary_[k / 64];
            s &= ~(std::uint64_t{1} << (k % 64));
            if (s == 0)
                top_[k / 4096] &= ~(std::uint64_t{1} << (k / 64 % 64));
        }
    }
    void set(std::size_t i, bool on) {
        if (on)
            set(i);
        else
            reset(i);
    }
    bool any() const {
        for (const std::uint64_t t : top_)
            if (t)
                return true;
        return false;
    }

    /// Calls fn(i) for every set element, in ascending order. fn must not change the set.
    template <class Fn> void for_each(Fn&& fn) const {
        for_each_word([&](std::size_t k, std::uint64_t bits) {
            for (; bits; bits &= bits - 1)
                fn(k * 64 + ctz(bits));
        });
    }

    /// Calls fn(k, word(k)) for every non-zero word k, in ascending order. fn must not change the set.
    template <class Fn> void for_each_word(Fn&& fn) const {
        for (std::size_t t = 0; t < top_.size(); ++t)
            for (std::uint64_t tw = top_[t]; tw; tw &= tw - 1) {
                const std::size_t s = t * 64 + ctz(tw);
                for (std::uint64_t sw = summary_[s]; sw; sw &= sw - 1) {
                    const std::size_t k = s * 64 + ctz(sw);
                    fn(k, bits_[k]);
                }
            }
    }

    /// Lowest set element >= from, or npos.
    std::size_t find_next(std::size_t from) const {
        if (from >= n_)
            return npos;
        std::size_t k = from / 64;
        if (const std::uint64_t w = bits_[k] & (~std::uint64_t{0} << (from % 64)))
            return k * 64 + ctz(w);
        // The next non-zero word after k: in k's summary word, else through the top level.
        ++k;
        std::size_t s = k / 64;
        if (s < summary_.size() && k % 64)
            if (const std::uint64_t sw = summary_[s] & (~std::uint64_t{0} << (k % 64)))
                return first_in_word(s * 64 + ctz(sw));
        s = k % 64 ? s + 1 : s;
        std::size_t t = s / 64;
        if (t < top_.size() && s % 64)
            if (const std::uint64_t tw = top_[t] & (~std::uint64_t{0} << (s % 64)))
                return first_in_summary(t * 64 + ctz(tw));
        for (t = s % 64 ? t + 1 : t; t < top_.size(); ++t)
            if (top_[t])
                return first_in_summary(t * 64 + ctz(top_[t]));
        return npos;
    }

private:
    static std::size_t ctz(std::uint64_t v) { return static_cast<std::size_t>(__builtin_ctzll(v)); }
    std::size_t first_in_word(std::size_t k) const { return k * 64 + ctz(bits_[k]); }
    std::size_t first_in_summary(std::size_t s) const { return first_in_word(s * 64 + ctz(summary_[s])); }

    std::size_t n_ = 0;
    std::vector<std::uint64_t> bits_, summary_, top_;
};

} // namespace dbvp
