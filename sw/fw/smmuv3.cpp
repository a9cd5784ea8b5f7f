#include "dbvp/fw/smmuv3.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace dbvp::fw {

using namespace smmu;

namespace {

std::string hex(std::uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

constexpr std::uint64_t PAGE = 0x1000;
constexpr std::uint64_t POLL_NS = 100;
constexpr unsigned STE_BYTES = 64, CD_BYTES = 64, CMD_BYTES = 16, EVT_BYTES = 32;
// STE
constexpr std::uint64_t STE0_V = 1;
constexpr std::uint64_t STE0_ABORT = 0ull << 1, STE0_BYPASS = 4ull << 1, STE0_S1 = 5ull << 1;
constexpr std::uint64_t STE1_S1_ATTRS = (1ull << 2) | (1ull << 4) | (3ull << 6); // S1CIR/S1COR WB, S1CSH ISH
constexpr std::uint64_t STE1_SHCFG_INCOMING = 1ull << 44;
// CD: T0SZ 16, TG0 4 KiB, IR0/OR0 write-back, SH0 inner shareable, EPD1, V, AA64, R (record faults),
// A (abort), ASET (ASID not shared with the CPU).
constexpr unsigned T0SZ = 16;
constexpr std::uint64_t CD0_TCR = T0SZ | (1ull << 8) | (1ull << 10) | (3ull << 12) | (1ull << 30);
constexpr std::uint64_t CD0_V = 1ull << 31, CD0_AA64 = 1ull << 41, CD0_R = 1ull << 45, CD0_A = 1ull << 46,
                        CD0_ASET = 1ull << 47;
constexpr unsigned CD0_IPS_SHIFT = 32, CD0_ASID_SHIFT = 48;
constexpr std::uint64_t MAIR = 0x00ff; // Attr0 normal write-back RW-allocate, Attr1 device-nGnRnE
// Descriptors
constexpr std::uint64_t DESC_TABLE = 3, DESC_PAGE = 3;
constexpr std::uint64_t PTE_AP1 = 1ull << 6, PTE_AP2 = 1ull << 7, PTE_SH_ISH = 3ull << 8, PTE_AF = 1ull << 10;
constexpr std::uint64_t DESC_ADDR = 0x0000fffffffff000ull;
// Event records
constexpr std::uint64_t EVT_FETCH = 0x000ffffffffffff8ull;

bool translation_class(std::uint8_t id) {
    return id == F_TRANSLATION || id == F_ADDR_SIZE || id == F_ACCESS || id == F_PERMISSION || id == F_WALK_EABT;
}

} // namespace

// ---- Enable handshakes and commands -------------------------------------------------------------------------

status smmuv3_driver::wait_ack(std::uint32_t ack_reg, std::uint32_t value, const char* what) {
    const std::uint64_t deadline = hal_.now_ns() + timeout_ns;
    for (;;) {
        const std::uint32_t v = rd(ack_reg);
        if (v == value)
            return {};
        if (hal_.now_ns() >= deadline)
            return {errc::timed_out, std::string("smmuv3: ") + what + " acknowledge reads " + hex(v) + ", expected " +
                                         hex(value)};
        hal_.sleep_ns(POLL_NS);
    }
}

status smmuv3_driver::enable(std::uint32_t bits) {
    const std::uint32_t v = rd(CR0) | bits;
    wr(CR0, v);
    return wait_ack(CR0ACK, v, "CR0");
}

status smmuv3_driver::recover_cmdq_error() {
    const std::uint32_t cons = rd(CMDQ_CONS);
    const unsigned err = (cons >> CONS_ERR_SHIFT) & 0x7f;
    const std::uint32_t idx = cons & ((1u << cmdq_log2_) - 1);
    const std::uint64_t at = cmdq_ + std::uint64_t{idx} * CMD_BYTES;
    const std::uint64_t bad = hal_.read64(at);
    // As Linux does: replace the failing command by a CMD_SYNC, then acknowledge; the SMMU restarts there.
    hal_.write64(at, CMD_SYNC);
    hal_.write64(at + 8, 0);
    const std::uint32_t g = rd(GERROR), n = rd(GERRORN);
    wr(GERRORN, (n & ~GERROR_CMDQ_ERR) | (g & GERROR_CMDQ_ERR));
    ++global_errors_;
    cmdq_error_ = status(errc::io_error, "smmuv3: command queue error CERROR " + std::to_string(err) + " at entry " +
                                             std::to_string(idx) + " (command " + hex(bad) + ")");
    hal_.log(cmdq_error_.message().c_str());
    return take_cmdq_error();
}

status smmuv3_driver::take_cmdq_error() {
    status s = cmdq_error_;
    cmdq_error_ = status{};
    return s;
}

status smmuv3_driver::command(std::uint64_t d0, std::uint64_t d1) {
    if (!ready_)
        return {errc::no_device, "smmuv3: not initialised"};
    const std::uint32_t m = cmdq_mask();
    const std::uint32_t size = 1u << cmdq_log2_;
    const std::uint64_t deadline = hal_.now_ns() + timeout_ns;
    for (;;) {
        const std::uint32_t cons = rd(CMDQ_CONS) & m;
        if (((cmdq_prod_ - cons) & m) < size)
            break;
        if ((rd(GERROR) ^ rd(GERRORN)) & GERROR_CMDQ_ERR)
            return recover_cmdq_error();
        if (hal_.now_ns() >= deadline)
            return {errc::timed_out, "smmuv3: command queue full"};
        hal_.sleep_ns(POLL_NS);
    }
    const std::uint64_t at = cmdq_ + std::uint64_t{cmdq_prod_ & (size - 1)} * CMD_BYTES;
    hal_.write64(at, d0);
    hal_.write64(at + 8, d1);
    cmdq_prod_ = (cmdq_prod_ + 1) & m;
    wr(CMDQ_PROD, cmdq_prod_);
    return {};
}

status smmuv3_driver::sync() {
    if (auto s = command(CMD_SYNC); !s) // CS = SIG_NONE: completion is polled on CMDQ_CONS
        return s;
    const std::uint32_t m = cmdq_mask();
    const std::uint64_t deadline = hal_.now_ns() + timeout_ns;
    for (;;) {
        if ((rd(CMDQ_CONS) & m) == cmdq_prod_)
            return take_cmdq_error(); // an error the global-error handler recovered meanwhile
        if ((rd(GERROR) ^ rd(GERRORN)) & GERROR_CMDQ_ERR)
            return recover_cmdq_error();
        if (hal_.now_ns() >= deadline)
            return {errc::timed_out, "smmuv3: CMD_SYNC did not complete"};
        hal_.sleep_ns(POLL_NS);
    }
}

// ---- Probe and enable -----------------------------------------------------------------------------------------

status smmuv3_driver::init(dma_pool& pool, unsigned sid_bits_to_cover) {
    const std::uint32_t idr0 = rd(IDR0), idr1 = rd(IDR1), idr5 = rd(IDR5);
    if (!(idr0 & IDR0_S1P))
        return {errc::not_supported, "smmuv3: no stage-1 translation (IDR0 " + hex(idr0) + ")"};
    if (!((idr0 >> IDR0_TTF_SHIFT) & 2))
        return {errc::not_supported, "smmuv3: no AArch64 translation tables (IDR0 " + hex(idr0) + ")"};
    if (((idr0 >> IDR0_TTENDIAN_SHIFT) & 3) == 3)
        return {errc::not_supported, "smmuv3: big-endian translation tables only (IDR0 " + hex(idr0) + ")"};
    if (!(idr5 & IDR5_GRAN4K))
        return {errc::not_supported, "smmuv3: no 4 KiB granule (IDR5 " + hex(idr5) + ")"};
    const unsigned sidsize = idr1 & 0x3f;
    if (sid_bits_to_cover > sidsize || sid_bits_to_cover > 32)
        return {errc::not_supported, "smmuv3: " + std::to_string(sid_bits_to_cover) +
                                         " StreamID bits requested, IDR1.SIDSIZE is " + std::to_string(sidsize)};
    sid_bits_ = sid_bits_to_cover;
    oas_ = std::min(idr5 & 7u, 5u); // CD.IPS: the tables are built for at most 48-bit addresses
    cmdq_log2_ = std::min(cmdq_log2, (idr1 >> 21) & 0x1fu);
    evtq_log2_ = std::min(evtq_log2, (idr1 >> 16) & 0x1fu);
    const bool can_2lvl = ((idr0 >> IDR0_ST_LEVEL_SHIFT) & 3) == 1;
    two_level_ = can_2lvl && (std::uint64_t{STE_BYTES} << sid_bits_) > linear_max_bytes;
    pool_ = &pool;

    auto alloc = [&](std::uint64_t bytes, std::uint64_t& at) -> status {
        auto r = pool.alloc(bytes, std::max<std::uint64_t>(bytes, 64));
        if (!r)
            return r.error();
        at = r.value();
        return {};
    };
    if (two_level_) {
        const unsigned l1_bits = sid_bits_ > STRTAB_SPLIT ? sid_bits_ - STRTAB_SPLIT : 0;
        if (auto s = alloc(8ull << l1_bits, strtab_); !s)
            return s;
        l2_.assign(std::size_t{1} << l1_bits, 0);
    } else if (auto s = alloc(std::uint64_t{STE_BYTES} << sid_bits_, strtab_); !s) {
        return s;
    }
    if (auto s = alloc(std::uint64_t{CMD_BYTES} << cmdq_log2_, cmdq_); !s)
        return s;
    if (auto s = alloc(std::uint64_t{EVT_BYTES} << evtq_log2_, evtq_); !s)
        return s;

    // Reset sequence (Linux arm_smmu_device_reset order).
    if (rd(CR0) & CR0_SMMUEN)
        hal_.log("smmuv3: enabled at probe, resetting");
    wr(CR0, 0);
    if (auto s = wait_ack(CR0ACK, 0, "CR0"); !s)
        return s;
    wr(CR1, CR1_WB_ISH);
    wr(CR2, CR2_RECINVSID | CR2_PTM);
    hal_.write64(base_ + STRTAB_BASE, strtab_ | BASE_RA);
    wr(STRTAB_BASE_CFG, (two_level_ ? STRTAB_FMT_2LVL | (STRTAB_SPLIT << STRTAB_SPLIT_SHIFT) : 0u) | sid_bits_);
    hal_.write64(base_ + CMDQ_BASE, cmdq_ | BASE_RA | cmdq_log2_);
    wr(CMDQ_PROD, 0);
    wr(CMDQ_CONS, 0);
    cmdq_prod_ = 0;
    if (auto s = enable(CR0_CMDQEN); !s)
        return s;
    ready_ = true;
    if (auto s = invalidate_all(); !s)
        return s;
    hal_.write64(base_ + EVTQ_BASE, evtq_ | BASE_RA | evtq_log2_);
    wr(EVTQ_PROD, 0);
    wr(EVTQ_CONS, 0);
    if (auto s = enable(CR0_EVTQEN); !s)
        return s;
    wr(IRQ_CTRL, 0);
    if (auto s = wait_ack(IRQ_CTRLACK, 0, "IRQ_CTRL"); !s)
        return s;
    wr(IRQ_CTRL, IRQ_CTRL_GERROR | IRQ_CTRL_EVTQ);
    if (auto s = wait_ack(IRQ_CTRLACK, IRQ_CTRL_GERROR | IRQ_CTRL_EVTQ, "IRQ_CTRL"); !s)
        return s;
    if (auto s = enable(CR0_SMMUEN); !s)
        return s;
    char line[160];
    std::snprintf(line, sizeof line, "smmuv3: %s stream table at 0x%llx for %u StreamID bits, cmdq 2^%u, evtq 2^%u",
                  two_level_ ? "2-level" : "linear", static_cast<unsigned long long>(strtab_), sid_bits_, cmdq_log2_,
                  evtq_log2_);
    hal_.log(line);
    return {};
}

status smmuv3_driver::disable() {
    wr(CR0, 0);
    return wait_ack(CR0ACK, 0, "CR0");
}

status smmuv3_driver::invalidate_all() {
    if (auto s = command(CMD_CFGI_STE_RANGE, 31); !s) // Range 31: CMD_CFGI_ALL
        return s;
    if (auto s = command(CMD_TLBI_NSNH_ALL); !s)
        return s;
    return sync();
}

// ---- Stream table -----------------------------------------------------------------------------------------------

std::uint64_t smmuv3_driver::ste_address(std::uint32_t sid) const {
    if (!strtab_ || (sid_bits_ < 32 && (sid >> sid_bits_)))
        return 0;
    if (!two_level_)
        return strtab_ + std::uint64_t{sid} * STE_BYTES;
    const std::uint64_t l2 = l2_[sid >> STRTAB_SPLIT];
    return l2 ? l2 + std::uint64_t{sid & ((1u << STRTAB_SPLIT) - 1)} * STE_BYTES : 0;
}

result<std::uint64_t> smmuv3_driver::ste_slot(std::uint32_t sid, bool& new_l2) {
    if (!ready_)
        return status(errc::no_device, "smmuv3: not initialised");
    if (sid_bits_ < 32 && (sid >> sid_bits_))
        return status(errc::out_of_range, "smmuv3: StreamID " + std::to_string(sid) + " beyond the " +
                                              std::to_string(sid_bits_) + " bits covered");
    new_l2 = false;
    if (two_level_ && !l2_[sid >> STRTAB_SPLIT]) {
        const std::uint64_t bytes = std::uint64_t{STE_BYTES} << STRTAB_SPLIT;
        auto r = pool_->alloc(bytes, bytes);
        if (!r)
            return r.error();
        const unsigned l1 = sid >> STRTAB_SPLIT;
        l2_[l1] = r.value();
        hal_.write64(strtab_ + std::uint64_t{l1} * 8, r.value() | (STRTAB_SPLIT + 1)); // Span: 2^SPLIT STEs
        new_l2 = true;
    }
    return ste_address(sid);
}

status smmuv3_driver::install_ste(std::uint32_t sid, std::uint64_t d0, std::uint64_t d1) {
    bool new_l2 = false;
    auto slot = ste_slot(sid, new_l2);
    if (!slot)
        return slot.error();
    // Body first, dword 0 (V, Config) last; then invalidate the cached copy (Leaf = 0 also drops a cached
    // level-1 descriptor when a level-2 array was just added).
    for (unsigned i = 2; i < STE_BYTES / 8; ++i)
        hal_.write64(slot.value() + 8 * i, 0);
    hal_.write64(slot.value() + 8, d1);
    hal_.write64(slot.value(), d0);
    if (auto s = command(CMD_CFGI_STE | (std::uint64_t{sid} << 32), new_l2 ? 0 : 1); !s)
        return s;
    return sync();
}

status smmuv3_driver::drop_context(std::uint32_t sid) {
    auto it = contexts_.find(sid);
    if (it == contexts_.end())
        return {};
    const std::uint16_t a = it->second.asid;
    contexts_.erase(it);
    if (auto s = command(CMD_TLBI_NH_ASID | (std::uint64_t{a} << 48)); !s)
        return s;
    return sync();
}

status smmuv3_driver::set_bypass(std::uint32_t sid) {
    if (auto s = install_ste(sid, STE0_V | STE0_BYPASS, STE1_SHCFG_INCOMING); !s)
        return s;
    return drop_context(sid);
}

status smmuv3_driver::set_abort(std::uint32_t sid) {
    if (auto s = install_ste(sid, STE0_V | STE0_ABORT, 0); !s)
        return s;
    return drop_context(sid);
}

status smmuv3_driver::clear(std::uint32_t sid) {
    if (!ready_)
        return {errc::no_device, "smmuv3: not initialised"};
    if (sid_bits_ < 32 && (sid >> sid_bits_))
        return {errc::out_of_range, "smmuv3: StreamID " + std::to_string(sid) + " out of range"};
    if (ste_address(sid)) { // an unallocated level-2 span is invalid already
        if (auto s = install_ste(sid, 0, 0); !s)
            return s;
    }
    return drop_context(sid);
}

// ---- Stage 1 ----------------------------------------------------------------------------------------------------

result<std::uint64_t> smmuv3_driver::table(std::uint64_t desc_addr) {
    const std::uint64_t d = hal_.read64(desc_addr);
    if (d & 1)
        return d & DESC_ADDR;
    auto r = pool_->alloc(PAGE, PAGE);
    if (!r)
        return r.error();
    hal_.write64(desc_addr, r.value() | DESC_TABLE);
    return r.value();
}

status smmuv3_driver::set_stage1(std::uint32_t sid, std::uint64_t iova, std::uint64_t pa, std::uint64_t size,
                                 bool writable) {
    if (!ready_)
        return {errc::no_device, "smmuv3: not initialised"};
    if (size == 0 || (iova | pa | size) & (PAGE - 1))
        return {errc::invalid_argument, "smmuv3: iova " + hex(iova) + ", pa " + hex(pa) + ", size " + hex(size) +
                                            " must be non-empty multiples of 4 KiB"};
    const std::uint64_t va_limit = 1ull << (64 - T0SZ);
    if (iova >= va_limit || size > va_limit - iova)
        return {errc::out_of_range, "smmuv3: iova range beyond the 48-bit input address space"};
    if (sid_bits_ < 32 && (sid >> sid_bits_))
        return {errc::out_of_range, "smmuv3: StreamID " + std::to_string(sid) + " out of range"};

    auto it = contexts_.find(sid);
    const bool fresh = it == contexts_.end();
    context ctx = fresh ? context{} : it->second;
    if (fresh) {
        if (next_asid_ == 0)
            return {errc::no_space, "smmuv3: out of ASIDs"};
        auto root = pool_->alloc(PAGE, PAGE);
        if (!root)
            return root.error();
        auto cd = pool_->alloc(CD_BYTES, CD_BYTES);
        if (!cd)
            return cd.error();
        ctx = context{cd.value(), root.value(), next_asid_++};
    }
    const std::uint64_t attrs = DESC_PAGE | PTE_AP1 | (writable ? 0 : PTE_AP2) | PTE_SH_ISH | PTE_AF;
    bool replaced = false;
    for (std::uint64_t off = 0; off < size; off += PAGE) {
        const std::uint64_t va = iova + off;
        std::uint64_t t = ctx.root;
        for (unsigned level = 0; level < 3; ++level) {
            auto next = table(t + ((va >> (39 - 9 * level)) & 511) * 8);
            if (!next)
                return next.error();
            t = next.value();
        }
        const std::uint64_t pte = t + ((va >> 12) & 511) * 8;
        replaced |= (hal_.read64(pte) & 1) != 0;
        hal_.write64(pte, ((pa + off) & DESC_ADDR) | attrs);
    }
    contexts_[sid] = ctx;
    if (fresh) {
        hal_.write64(ctx.cd + 8, ctx.root); // TTB0
        hal_.write64(ctx.cd + 24, MAIR);
        hal_.write64(ctx.cd, CD0_TCR | CD0_V | (std::uint64_t{oas_} << CD0_IPS_SHIFT) | CD0_AA64 | CD0_R | CD0_A |
                                 CD0_ASET | (std::uint64_t{ctx.asid} << CD0_ASID_SHIFT));
        return install_ste(sid, STE0_V | STE0_S1 | ctx.cd, STE1_S1_ATTRS);
    }
    if (!replaced)
        return {}; // new pages only: invalid entries are never cached
    if (auto s = command(CMD_TLBI_NH_ASID | (std::uint64_t{ctx.asid} << 48)); !s)
        return s;
    return sync();
}

std::uint64_t smmuv3_driver::context_descriptor(std::uint32_t sid) const {
    auto it = contexts_.find(sid);
    return it == contexts_.end() ? 0 : it->second.cd;
}

std::uint16_t smmuv3_driver::asid(std::uint32_t sid) const {
    auto it = contexts_.find(sid);
    return it == contexts_.end() ? 0 : it->second.asid;
}

// ---- Events and interrupts ------------------------------------------------------------------------------------

result<std::vector<smmuv3_driver::event>> smmuv3_driver::read_events() {
    if (!ready_)
        return status(errc::no_device, "smmuv3: not initialised");
    std::vector<event> out;
    if (draining_)
        return out; // an interrupt handler ran inside a HAL call of read_events(): the outer call drains
    draining_ = true;
    const std::uint32_t m = (2u << evtq_log2_) - 1;
    const std::uint32_t prod = rd(EVTQ_PROD);
    std::uint32_t cons = rd(EVTQ_CONS);
    while ((cons & m) != (prod & m)) {
        const std::uint64_t at = evtq_ + std::uint64_t{cons & ((1u << evtq_log2_) - 1)} * EVT_BYTES;
        event e;
        for (unsigned i = 0; i < 4; ++i)
            e.raw[i] = hal_.read64(at + 8 * i);
        e.id = static_cast<std::uint8_t>(e.raw[0] & 0xff);
        e.stream_id = static_cast<std::uint32_t>(e.raw[0] >> 32);
        if (translation_class(e.id)) {
            e.read = (e.raw[1] >> 35) & 1;
            e.input_address = e.raw[2];
        }
        if (e.id == F_STE_FETCH || e.id == F_CD_FETCH || e.id == F_WALK_EABT)
            e.fetch_address = e.raw[3] & EVT_FETCH;
        out.push_back(e);
        cons = (cons & ~m) | ((cons + 1) & m);
    }
    if ((prod ^ cons) & Q_OVFLG) { // overflow: events were lost; acknowledge
        ++overflows_;
        cons ^= Q_OVFLG;
        hal_.log("smmuv3: event queue overflow, events were lost");
    }
    wr(EVTQ_CONS, cons);
    draining_ = false;
    return out;
}

status smmuv3_driver::request_irqs(unsigned evtq_irq, unsigned gerror_irq, event_handler on_event) {
    auto e = hal_.request_irq(
        evtq_irq,
        [this, on_event](unsigned) {
            auto evs = read_events();
            if (evs && on_event)
                for (const event& ev : evs.value())
                    on_event(ev);
        },
        irq_none, "smmuv3-evtq");
    if (!e)
        return e.error();
    auto g = hal_.request_irq(
        gerror_irq,
        [this](unsigned) {
            const std::uint32_t active = rd(GERROR) ^ rd(GERRORN);
            if (active & GERROR_CMDQ_ERR) {
                cmdq_error_ = recover_cmdq_error(); // kept for the CMD_SYNC the firmware waits for
                return;
            }
            if (active) {
                ++global_errors_;
                hal_.log(("smmuv3: global error " + hex(active)).c_str());
                wr(GERRORN, rd(GERRORN) ^ active);
            }
        },
        irq_none, "smmuv3-gerror");
    if (!g) {
        hal_.free_irq(e.value());
        return g.error();
    }
    return {};
}

} // namespace dbvp::fw
