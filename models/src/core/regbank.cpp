#include "dbvp/core/regbank.h"

#include "dbvp/core/report.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace dbvp {

reg::reg(register_bank& bank, std::string name, std::uint64_t offset, unsigned width_bytes, std::uint64_t reset,
         std::uint64_t writable)
    : name_(std::move(name)), offset_(offset), width_(width_bytes), reset_(reset), writable_(writable),
      value_(reset), bank_(&bank) {
    if (width_ != 1 && width_ != 2 && width_ != 4 && width_ != 8)
        throw std::logic_error("register " + name_ + ": width must be 1, 2, 4 or 8 bytes");
    if (offset_ % width_ != 0)
        throw std::logic_error("register " + name_ + ": offset not aligned to its width");
    reset_ &= width_mask();
    writable_ &= width_mask();
    value_ = reset_;
    bank.add(*this);
}

reg& reg::w1c(std::uint64_t mask) {
    w1c_ = mask & width_mask();
    writable_ &= ~w1c_;
    return *this;
}

reg& reg::privileged(std::uint64_t mask) {
    privileged_ = mask & width_mask();
    return *this;
}

reg& reg::on_read(read_fn fn) {
    on_read_ = std::move(fn);
    return *this;
}

reg& reg::on_write(write_fn fn) {
    on_write_ = std::move(fn);
    return *this;
}

std::uint64_t reg::read(const access_ctx& ctx) const {
    return (on_read_ ? on_read_(ctx) : value_) & width_mask();
}

void reg::write(std::uint64_t data, const access_ctx& ctx, std::uint64_t bytemask) {
    bytemask &= width_mask();
    data &= width_mask();
    const std::uint64_t old = value_;
    bank_->changed();
    if (ctx.debug) {
        value_ = (old & ~bytemask) | (data & bytemask);
        return;
    }
    const std::uint64_t wm = (writable_ | (ctx.privileged ? privileged_ : 0)) & bytemask;
    std::uint64_t now = (old & ~wm) | (data & wm);
    now &= ~(data & w1c_ & bytemask);
    value_ = now;
    if (on_write_)
        on_write_(reg_write{old, now, data, bytemask, ctx});
}

register_bank::register_bank(std::string name, std::uint64_t size, unsigned allowed_sizes, unmapped_policy policy)
    : name_(std::move(name)), owner_(name_), size_(size), allowed_sizes_(allowed_sizes), policy_(policy) {}

void register_bank::add(reg& r) {
    if (r.offset() + r.width() > size_)
        throw std::logic_error("register " + r.name() + " lies outside bank " + name_);
    auto next = std::lower_bound(regs_.begin(), regs_.end(), r.offset(),
                                 [](const entry& e, std::uint64_t off) { return e.offset < off; });
    if (next != regs_.end() && next->offset < r.offset() + r.width())
        throw std::logic_error("register " + r.name() + " overlaps " + next->r->name() + " in bank " + name_);
    if (next != regs_.begin()) {
        auto prev = std::prev(next);
        if (prev->offset + prev->r->width() > r.offset())
            throw std::logic_error("register " + r.name() + " overlaps " + prev->r->name() + " in bank " +
                                   name_);
    }
    regs_.insert(next, entry{r.offset(), &r});
}

reg* register_bank::find(std::uint64_t offset) const {
    auto it = std::upper_bound(regs_.begin(), regs_.end(), offset,
                               [](std::uint64_t off, const entry& e) { return off < e.offset; });
    if (it == regs_.begin())
        return nullptr;
    --it;
    return offset < it->offset + it->r->width() ? it->r : nullptr;
}

void register_bank::reset() {
    for (auto& e : regs_)
        e.r->reset();
}

tlm::tlm_response_status register_bank::access(tlm::tlm_command cmd, std::uint64_t offset, unsigned char* data,
                                               unsigned len, const access_ctx& ctx) {
    const bool is_write = cmd == tlm::TLM_WRITE_COMMAND;
    if (len == 0 || len > 8 || !(allowed_sizes_ & (1u << len)) || (offset % len) != 0) {
        if (!ctx.debug)
            guest_warning(owner_.c_str(), "%s %u-byte %s at offset 0x%llx: access size/alignment not supported",
                          name_.c_str(), len, is_write ? "write" : "read", static_cast<unsigned long long>(offset));
        return tlm::TLM_GENERIC_ERROR_RESPONSE;
    }
    if (offset + len > size_) {
        if (!ctx.debug)
            guest_warning(owner_.c_str(), "%s %s at offset 0x%llx is outside the bank", name_.c_str(),
                          is_write ? "write" : "read", static_cast<unsigned long long>(offset));
        return tlm::TLM_ADDRESS_ERROR_RESPONSE;
    }
    // The usual case: one register holds the whole access (and a read fills all of it).
    if (reg* r = find(offset); r && offset + len <= r->offset() + r->width()) {
        access_part(*r, is_write, offset, offset, data, len, ctx);
        return tlm::TLM_OK_RESPONSE;
    }
    // Check coverage first so that a partly unmapped access has no side effect.
    for (std::uint64_t b = offset; b < offset + len;) {
        reg* r = find(b);
        if (!r) {
            if (policy_ == unmapped_policy::raz_wi) {
                ++b;
                continue;
            }
            if (!ctx.debug)
                guest_warning(owner_.c_str(), "%s %s at offset 0x%llx: no register there", name_.c_str(),
                              is_write ? "write" : "read", static_cast<unsigned long long>(offset));
            return tlm::TLM_ADDRESS_ERROR_RESPONSE;
        }
        b = r->offset() + r->width();
    }
    if (!is_write)
        std::memset(data, 0, len);
    for (std::uint64_t b = offset; b < offset + len;) {
        reg* r = find(b);
        b = r ? access_part(*r, is_write, b, offset, data, len, ctx) : b + 1;
    }
    return tlm::TLM_OK_RESPONSE;
}

std::uint64_t register_bank::access_part(reg& r, bool is_write, std::uint64_t b, std::uint64_t offset,
                                         unsigned char* data, unsigned len, const access_ctx& ctx) {
    const std::uint64_t first = b - r.offset();
    const std::uint64_t end = std::min<std::uint64_t>(r.width(), offset + len - r.offset());
    const std::uint64_t nbytes = end - first;
    unsigned char* p = data + (b - offset);
    if (is_write) {
        std::uint64_t v = 0, mask = 0;
        for (std::uint64_t i = 0; i < nbytes; ++i) {
            v |= static_cast<std::uint64_t>(p[i]) << (8 * (first + i));
            mask |= 0xffull << (8 * (first + i));
        }
        r.write(v, ctx, mask);
    } else {
        const std::uint64_t v = r.read(ctx);
        for (std::uint64_t i = 0; i < nbytes; ++i)
            p[i] = static_cast<unsigned char>(v >> (8 * (first + i)));
    }
    return b + nbytes;
}

void register_bank::transport(tlm::tlm_generic_payload& p, const access_ctx& ctx) {
    if (p.get_byte_enable_ptr() || p.get_streaming_width() < p.get_data_length()) {
        if (!ctx.debug)
            guest_warning(owner_.c_str(), "%s access at offset 0x%llx uses byte enables or streaming", name_.c_str(),
                          static_cast<unsigned long long>(p.get_address()));
        p.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
        return;
    }
    if (p.get_command() == tlm::TLM_IGNORE_COMMAND) {
        p.set_response_status(tlm::TLM_OK_RESPONSE);
        return;
    }
    p.set_response_status(access(p.get_command(), p.get_address(), p.get_data_ptr(), p.get_data_length(), ctx));
}

} // namespace dbvp
