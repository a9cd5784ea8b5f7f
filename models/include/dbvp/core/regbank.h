// dbvp — declarative registers.
//
// A model declares each register once, as a named member with its offset, width, reset value and access rules:
//
//     register_bank bank_{"regs", 0x1000};
//     reg ctrl_{bank_, "CTRL", 0x00, 4, /*reset*/ 0x0, /*writable*/ 0x1};
//     ctrl_.w1c(0x8000'0000).on_write([this](const reg_write& w) { ... });
//
// The bank decodes accesses (no model hand-decodes addresses), merges partial writes byte by byte, applies the
// writable / write-1-to-clear / read-only rules, and answers with TLM errors:
//   - an access whose bytes are not all covered by registers  -> TLM_ADDRESS_ERROR_RESPONSE (or read-as-zero /
//     write-ignored when the bank's policy is raz_wi, as the DWC iATU space behaves for absent regions);
//   - an access size the bank does not allow, or an access not naturally aligned -> TLM_GENERIC_ERROR_RESPONSE.
// Both are reported as guest warnings naming the bank, offset and size.
//
// Register rules:
//   writable      bits a write may change;
//   w1c           bits cleared by writing 1 (write 0 has no effect);
//   privileged    extra bits writable when the access is privileged (e.g. DWC DBI writes with DBI_RO_WR_EN=1);
//   all other bits are read-only and keep their value.
// Callbacks: on_read computes the value returned (must be free of side effects when ctx.debug is set);
// on_write runs after the stored value was updated and sees old value, new value and the raw data written.
// Debug accesses never call on_write and never advance time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

namespace dbvp {

struct pcie_attr;

/// Who is accessing and when. time is the absolute simulated time of the access (sc_time_stamp() + offset).
struct access_ctx {
    sc_core::sc_time time;
    bool privileged = false;
    bool debug = false;
    const pcie_attr* attr = nullptr;
};

struct reg_write {
    std::uint64_t old_value;
    std::uint64_t new_value;
    std::uint64_t data;     // raw data written, aligned to the register
    std::uint64_t bytemask; // which bits the access covered
    const access_ctx& ctx;
};

class register_bank;

class reg {
public:
    using read_fn = std::function<std::uint64_t(const access_ctx&)>;
    using write_fn = std::function<void(const reg_write&)>;

    reg(register_bank& bank, std::string name, std::uint64_t offset, unsigned width_bytes, std::uint64_t reset,
        std::uint64_t writable);
    reg(const reg&) = delete;
    reg& operator=(const reg&) = delete;

    reg& w1c(std::uint64_t mask);
    reg& privileged(std::uint64_t mask);
    reg& on_read(read_fn fn);
    reg& on_write(write_fn fn);

    const std::string& name() const { return name_; }
    std::uint64_t offset() const { return offset_; }
    unsigned width() const { return width_; }
    std::uint64_t reset_value() const { return reset_; }
    std::uint64_t writable() const { return writable_; }

    /// The stored value (model side: no callbacks, no masks).
    std::uint64_t get() const { return value_; }
    void set(std::uint64_t v);
    void reset();
    /// Change which bits are writable (e.g. a BAR mask that depends on a shadow register).
    void set_writable(std::uint64_t mask) { writable_ = mask & width_mask(); }

    /// Full-width accesses as the bus would do them (callbacks and masks apply).
    std::uint64_t read(const access_ctx& ctx) const;
    void write(std::uint64_t data, const access_ctx& ctx, std::uint64_t bytemask = ~0ull);

private:
    std::uint64_t width_mask() const { return width_ == 8 ? ~0ull : ((1ull << (8 * width_)) - 1); }

    std::string name_;
    std::uint64_t offset_;
    unsigned width_;
    std::uint64_t reset_;
    std::uint64_t writable_;
    std::uint64_t w1c_ = 0;
    std::uint64_t privileged_ = 0;
    std::uint64_t value_;
    register_bank* bank_;
    read_fn on_read_;
    write_fn on_write_;
};

class register_bank {
public:
    enum class unmapped_policy { error, raz_wi };

    /// allowed_sizes: bit mask of access sizes in bytes (bit n set = an n-byte access is allowed), default 4.
    register_bank(std::string name, std::uint64_t size, unsigned allowed_sizes = 1u << 4,
                  unmapped_policy policy = unmapped_policy::error);
    register_bank(const register_bank&) = delete;
    register_bank& operator=(const register_bank&) = delete;

    /// Called by reg's constructor. Throws std::logic_error if the register overlaps another or the bank end.
    void add(reg& r);

    /// Bus access at a bank-relative offset; returns the TLM response status.
    tlm::tlm_response_status access(tlm::tlm_command cmd, std::uint64_t offset, unsigned char* data, unsigned len,
                                    const access_ctx& ctx);
    /// Convenience: decode a generic payload (address relative to the bank), set its response status.
    void transport(tlm::tlm_generic_payload& p, const access_ctx& ctx);

    void reset();
    reg* find(std::uint64_t offset) const;
    const std::string& name() const { return name_; }
    std::uint64_t size() const { return size_; }
    /// Name used as prefix of warnings (set by the owning model to its hierarchical name).
    void set_owner(std::string owner) { owner_ = std::move(owner); }
    /// Changes whenever a register's stored value may have changed (bus, debug or model writes, resets): a
    /// model that keeps a decoded copy of its registers (the iATU's lookup table) rebuilds it when it moved.
    std::uint64_t generation() const { return generation_; }
    void changed() { ++generation_; }

private:
    std::uint64_t generation_ = 0;
    std::string name_;
    std::string owner_;
    std::uint64_t size_;
    unsigned allowed_sizes_;
    unmapped_policy policy_;
    struct entry {
        std::uint64_t offset;
        reg* r;
    };
    std::vector<entry> regs_; // by offset (a sorted array: searched on every access)
    /// The part of an access [offset, offset + len) at `data` that register r holds, from bank offset b on;
    /// returns where the part ends.
    std::uint64_t access_part(reg& r, bool is_write, std::uint64_t b, std::uint64_t offset, unsigned char* data,
                              unsigned len, const access_ctx& ctx);
};

inline void reg::set(std::uint64_t v) {
    value_ = v & width_mask();
    bank_->changed();
}
inline void reg::reset() {
    value_ = reset_;
    bank_->changed();
}

} // namespace dbvp
