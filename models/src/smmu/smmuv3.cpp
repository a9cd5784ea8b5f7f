// dbvp — Arm SMMUv3 (subset). See smmuv3.h and docs/models/smmuv3.md.
#include "dbvp/smmu/smmuv3.h"

#include "dbvp/core/clocked.h"
#include "dbvp/core/dmi.h"
#include "dbvp/core/regbank.h"
#include "dbvp/core/report.h"
#include "dbvp/core/sideband.h"
#include "dbvp/core/trace.h"
#include "smmuv3_arch.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace dbvp::smmu {

using namespace arch;
using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {

unsigned long long ull(std::uint64_t v) { return static_cast<unsigned long long>(v); }

std::uint64_t le64(const unsigned char* b) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | b[i];
    return v;
}

void put_le64(unsigned char* b, std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
        b[i] = static_cast<unsigned char>(v >> (8 * i));
}

// Queue pointers: index in bits [log2-1:0], wrap bit at log2.
std::uint32_t ptr_mask(unsigned log2) { return (2u << log2) - 1u; }
std::uint32_t ptr_index(std::uint32_t ptr, unsigned log2) { return ptr & ((1u << log2) - 1u); }
std::uint32_t ptr_inc(std::uint32_t ptr, unsigned log2) { return (ptr + 1u) & ptr_mask(log2); }
bool queue_full(std::uint32_t prod, std::uint32_t cons, unsigned log2) {
    return ptr_index(prod, log2) == ptr_index(cons, log2) && ((prod ^ cons) & (1u << log2));
}

// CD.IPS -> output address bits (reserved encodings: the OAS).
unsigned ips_bits(unsigned ips) {
    static constexpr unsigned bits[8] = {32, 36, 40, 42, 44, 48, 52, 48};
    return std::min(bits[ips & 7], OAS_BITS);
}

// First lookup level of a 4 KiB-granule walk for an input address of `ia` bits (25..48).
unsigned start_level(unsigned ia) {
    if (ia > 39)
        return 0;
    if (ia > 30)
        return 1;
    if (ia > 21)
        return 2;
    return 3;
}

bool is_fetch_event(std::uint8_t id) { return id == F_STE_FETCH || id == F_CD_FETCH; }

constexpr std::uint32_t NO_STREAM_ID = 0xffffffffu; // events() of transactions that carried none

} // namespace

const char* smmuv3::event_name(std::uint8_t id) {
    switch (id) {
    case 0x01: return "F_UUT";
    case C_BAD_STREAMID: return "C_BAD_STREAMID";
    case F_STE_FETCH: return "F_STE_FETCH";
    case C_BAD_STE: return "C_BAD_STE";
    case 0x05: return "F_BAD_ATS_TREQ";
    case F_STREAM_DISABLED: return "F_STREAM_DISABLED";
    case 0x07: return "F_TRANSL_FORBIDDEN";
    case 0x08: return "C_BAD_SUBSTREAMID";
    case F_CD_FETCH: return "F_CD_FETCH";
    case C_BAD_CD: return "C_BAD_CD";
    case F_WALK_EABT: return "F_WALK_EABT";
    case F_TRANSLATION: return "F_TRANSLATION";
    case F_ADDR_SIZE: return "F_ADDR_SIZE";
    case F_ACCESS: return "F_ACCESS";
    case F_PERMISSION: return "F_PERMISSION";
    case 0x20: return "F_TLB_CONFLICT";
    case 0x21: return "F_CFG_CONFLICT";
    case 0x24: return "E_PAGE_REQUEST";
    case 0x25: return "F_VMS_FETCH";
    default: return "?";
    }
}

// ------------------------------------------------------------------------------------------------------------
// Implementation state.

struct smmuv3::impl {
    /// Decoded stream configuration (STE, and the CD for stage 1), as the config cache holds it.
    struct config {
        enum kind_t : std::uint8_t { abort, bypass, s1 } kind = abort;
        bool privileged = false; // STE.PRIVCFG forces privileged (incoming PCIe requests are unprivileged)
        std::uint64_t cd_ptr = 0;
        bool cd_valid = false;   // CD part present (stage 1)
        unsigned t0sz = 0;
        bool epd0 = false;
        bool affd = false;
        bool record = false; // CD.R: translation-class faults are recorded
        std::uint16_t asid = 0;
        std::uint64_t ttb0 = 0;
        unsigned oa_bits = OAS_BITS;
        bool complete() const { return kind != s1 || cd_valid; }
    };
    struct cfg_entry {
        bool valid = false;
        std::uint32_t sid = 0;
        std::uint64_t used = 0;
        config c;
    };
    /// A leaf translation (page or block) tagged with its ASID.
    struct tlb_entry {
        bool valid = false;
        std::uint16_t asid = 0;
        unsigned shift = 12; // log2 of the page/block size
        std::uint64_t va = 0, pa = 0;
        bool writable = false; // AP[2] == 0
        bool unpriv = false;   // AP[1] == 1
        std::uint64_t used = 0;
        bool covers(std::uint16_t a, std::uint64_t addr) const {
            return valid && asid == a && (addr >> shift) == (va >> shift);
        }
    };
    struct fault {
        std::uint8_t id = 0;
        std::uint64_t fetch = 0; // descriptor address for *_FETCH and F_WALK_EABT
    };
    enum class outcome : std::uint8_t { translate, bypass, abort, fault };
    /// A transaction handed to the walker thread (lives on the requesting thread's stack).
    struct walk_req {
        std::uint32_t sid = 0;
        std::uint64_t va = 0;
        bool write = false;
        bool tlb_counted = false;  // the TLB lookup was already counted inline
        std::uint8_t prefault = 0; // fault found inline (permission on a TLB hit): only to be reported
        bool privileged = false;
        bool record = true;        // CD.R of the stream (prefault)
        outcome result = outcome::abort;
        std::uint64_t pa = 0;
        bool done = false;
        walk_req* next = nullptr;
    };
    /// Table reads of a walk: timed (through `walker`, walk_step_latency each) or debug (no time).
    struct fetcher {
        impl& m;
        sc_time* t; // nullptr: debug
        bool read(std::uint64_t addr, unsigned char* buf, unsigned len) {
            if (t) {
                *t += m.s.cycles(m.cfg.walk_step_latency);
                return m.bus(m.walk_pl, tlm::TLM_READ_COMMAND, addr, buf, len, *t);
            }
            tlm::tlm_generic_payload pl;
            pl.set_command(tlm::TLM_READ_COMMAND);
            pl.set_address(addr);
            pl.set_data_ptr(buf);
            pl.set_data_length(len);
            pl.set_streaming_width(len);
            return m.s.walker->transport_dbg(pl) == len;
        }
    };
    struct queue {
        std::uint64_t base;
        unsigned log2;
    };

    impl(smmuv3& o, const params& prm);

    std::string owner() const { return s.name(); }
    sc_time offset_of(const access_ctx& ctx) const {
        const sc_time now = kernel_time();
        return ctx.time > now ? ctx.time - now : SC_ZERO_TIME;
    }

    // Registers.
    queue cmdq() const { return decode_queue(cmdq_base.get(), CMDQS, CMD_BYTES); }
    queue evtq() const { return decode_queue(evtq_base.get(), EVENTQS, EVT_BYTES); }
    static queue decode_queue(std::uint64_t base, unsigned max_log2, unsigned entry) {
        const unsigned log2 = std::min(static_cast<unsigned>(base & Q_LOG2SIZE), max_log2);
        const std::uint64_t align = std::max<std::uint64_t>(std::uint64_t{entry} << log2, 32);
        return {base & Q_ADDR & ~(align - 1), log2};
    }
    bool ignore_while(reg& r, const reg_write& w, std::uint32_t enable, const char* bit);
    void check_queue_size(const char* name, const reg_write& w, unsigned max_log2, const char* idr_field);
    void check_queue_base(const char* name, const reg& base, unsigned max_log2, unsigned entry);
    void check_strtab();
    bool cmdq_error() const { return (gerror.get() ^ gerrorn.get()) & GERROR_CMDQ_ERR; }
    void raise_gerror(std::uint32_t bit, const sc_time& off);
    void update_irqs(const sc_time& off);

    // Transport.
    void reg_access(tlm::tlm_generic_payload& p, sc_time& delay);
    unsigned reg_debug(tlm::tlm_generic_payload& p);
    void in_transport(tlm::tlm_generic_payload& p, sc_time& delay);
    unsigned in_debug(tlm::tlm_generic_payload& p);
    void forward(tlm::tlm_generic_payload& p, std::uint64_t addr, sc_time& delay) {
        const std::uint64_t orig = p.get_address();
        p.set_address(addr);
        s.out->b_transport(p, delay);
        p.set_address(orig);
        p.set_dmi_allowed(false);
    }
    dmi_cache dmi; // tables and queues in RAM: served directly once granted (same data and latency)
    bool bus(tlm::tlm_generic_payload& pl, tlm::tlm_command cmd, std::uint64_t addr, unsigned char* buf, unsigned len,
             sc_time& t) {
        return dmi.access(s.walker, pl, cmd, addr, buf, len, t);
    }

    // Caches.
    cfg_entry* cfg_find(std::uint32_t sid, bool touch);
    void cfg_insert(std::uint32_t sid, const config& c);
    const tlb_entry* tlb_find(std::uint16_t asid, std::uint64_t va, bool touch);
    void tlb_insert(const tlb_entry& e);
    template <class Pred> void cfg_invalidate(Pred pred);
    template <class Pred> void tlb_invalidate(Pred pred);

    // Walks.
    bool fetch_ste(std::uint32_t sid, config& c, fetcher& f, fault& flt);
    bool fetch_cd(config& c, fetcher& f, fault& flt);
    bool get_config(std::uint32_t sid, config& c, fetcher& f, fault& flt);
    bool walk(const config& c, std::uint64_t va, fetcher& f, fault& flt, tlb_entry& out);
    static bool in_range(const config& c, std::uint64_t va) { return !c.epd0 && (va >> (64 - c.t0sz)) == 0; }
    static bool permitted(const tlb_entry& e, bool write, bool privileged) {
        return (!write || e.writable) && (privileged || e.unpriv);
    }
    void resolve(walk_req& r);
    void report(const fault& flt, std::uint32_t sid, std::uint64_t va, bool write, bool privileged, bool record);
    walk_req* pop() {
        walk_req* r = head;
        if (r) {
            head = r->next;
            if (!head)
                tail = nullptr;
        }
        return r;
    }

    // Commands.
    void run_commands();
    bool execute(std::uint64_t d0, std::uint64_t d1, std::uint32_t index);

    smmuv3& s;
    const params& cfg;
    register_bank bank;
    reg idr0, idr1, idr2, idr3, idr4, idr5, iidr, aidr;
    reg cr0, cr0ack, cr1, cr2, statusr, gbpa, agbpa, irq_ctrl, irq_ctrlack, gerror, gerrorn;
    reg gerror_irq_cfg0, gerror_irq_cfg1, gerror_irq_cfg2;
    reg strtab_base, strtab_base_cfg, cmdq_base, cmdq_prod, cmdq_cons, evtq_base;
    reg evtq_irq_cfg0, evtq_irq_cfg1, evtq_irq_cfg2, evtq_prod, evtq_cons;

    std::vector<cfg_entry> cfgc;
    std::vector<tlb_entry> tlb;
    std::uint64_t use_clock = 0;
    std::uint64_t generation = 0; // bumped by every invalidation: a walk that raced one does not fill caches

    walk_req* head = nullptr;
    walk_req* tail = nullptr;
    sc_core::sc_event walk_ev, walk_done_ev, cmd_ev;
    std::uint64_t cmdq_epoch = 0; // bumped when CR0.CMDQEN falls: a command in flight is abandoned
    tlm::tlm_generic_payload walk_pl, cmd_pl;
};

smmuv3::impl::impl(smmuv3& o, const params& prm)
    : s(o), cfg(prm), bank("regs", REG_SPACE, (1u << 4) | (1u << 8)),
      idr0(bank, "IDR0", IDR0, 4,
           IDR0_S1P | IDR0_TTF_AARCH64 | IDR0_COHACC | IDR0_ASID16 | IDR0_TTENDIAN_LE | IDR0_STALL_MODEL_TERM |
               IDR0_TERM_MODEL | IDR0_ST_LEVEL_2,
           0),
      idr1(bank, "IDR1", IDR1, 4,
           (CMDQS << IDR1_CMDQS_SHIFT) | (EVENTQS << IDR1_EVENTQS_SHIFT) | (prm.sid_bits & 0x3f), 0),
      idr2(bank, "IDR2", IDR2, 4, 0, 0), idr3(bank, "IDR3", IDR3, 4, 0, 0), idr4(bank, "IDR4", IDR4, 4, 0, 0),
      idr5(bank, "IDR5", IDR5, 4, IDR5_GRAN4K | IDR5_OAS_48, 0), iidr(bank, "IIDR", IIDR, 4, 0, 0),
      aidr(bank, "AIDR", AIDR, 4, 0, 0), cr0(bank, "CR0", CR0, 4, 0, CR0_SMMUEN | CR0_EVTQEN | CR0_CMDQEN),
      cr0ack(bank, "CR0ACK", CR0ACK, 4, 0, 0), cr1(bank, "CR1", CR1, 4, 0, CR1_WRITABLE),
      cr2(bank, "CR2", CR2, 4, 0, CR2_RECINVSID | CR2_PTM), statusr(bank, "STATUSR", STATUSR, 4, 0, 0),
      gbpa(bank, "GBPA", GBPA, 4, GBPA_RESET, GBPA_FIELDS | GBPA_UPDATE), agbpa(bank, "AGBPA", AGBPA, 4, 0, 0),
      irq_ctrl(bank, "IRQ_CTRL", IRQ_CTRL, 4, 0, IRQ_CTRL_GERROR | IRQ_CTRL_EVTQ),
      irq_ctrlack(bank, "IRQ_CTRLACK", IRQ_CTRLACK, 4, 0, 0), gerror(bank, "GERROR", GERROR, 4, 0, 0),
      gerrorn(bank, "GERRORN", GERRORN, 4, 0, GERROR_MASK),
      // No MSI support (IDR0.MSI = 0): the MSI configuration registers read as zero and ignore writes.
      gerror_irq_cfg0(bank, "GERROR_IRQ_CFG0", GERROR_IRQ_CFG0, 8, 0, 0),
      gerror_irq_cfg1(bank, "GERROR_IRQ_CFG1", GERROR_IRQ_CFG1, 4, 0, 0),
      gerror_irq_cfg2(bank, "GERROR_IRQ_CFG2", GERROR_IRQ_CFG2, 4, 0, 0),
      strtab_base(bank, "STRTAB_BASE", STRTAB_BASE, 8, 0, BASE_RA | STRTAB_ADDR),
      strtab_base_cfg(bank, "STRTAB_BASE_CFG", STRTAB_BASE_CFG, 4, 0, STRTAB_CFG_WRITABLE),
      cmdq_base(bank, "CMDQ_BASE", CMDQ_BASE, 8, 0, BASE_RA | Q_ADDR | Q_LOG2SIZE),
      cmdq_prod(bank, "CMDQ_PROD", CMDQ_PROD, 4, 0, Q_PTR), cmdq_cons(bank, "CMDQ_CONS", CMDQ_CONS, 4, 0, Q_PTR),
      evtq_base(bank, "EVTQ_BASE", EVTQ_BASE, 8, 0, BASE_RA | Q_ADDR | Q_LOG2SIZE),
      evtq_irq_cfg0(bank, "EVTQ_IRQ_CFG0", EVTQ_IRQ_CFG0, 8, 0, 0),
      evtq_irq_cfg1(bank, "EVTQ_IRQ_CFG1", EVTQ_IRQ_CFG1, 4, 0, 0),
      evtq_irq_cfg2(bank, "EVTQ_IRQ_CFG2", EVTQ_IRQ_CFG2, 4, 0, 0),
      evtq_prod(bank, "EVTQ_PROD", EVTQ_PROD, 4, 0, Q_PTR | Q_OVFLG),
      evtq_cons(bank, "EVTQ_CONS", EVTQ_CONS, 4, 0, Q_PTR | Q_OVFLG), cfgc(prm.config_cache_entries),
      tlb(prm.tlb_entries) {
    bank.set_owner(owner());

    cr0.on_write([this](const reg_write& w) {
        const std::uint64_t rising = w.new_value & ~w.old_value;
        if (rising & CR0_CMDQEN)
            check_queue_base("CMDQ_BASE", cmdq_base, CMDQS, CMD_BYTES);
        if (rising & CR0_EVTQEN)
            check_queue_base("EVTQ_BASE", evtq_base, EVENTQS, EVT_BYTES);
        if (rising & CR0_SMMUEN)
            check_strtab();
        if (w.old_value & ~w.new_value & CR0_CMDQEN)
            ++cmdq_epoch; // CR0ACK.CMDQEN = 0 below: from now on CMDQ_CONS belongs to software
        cr0ack.set(w.new_value);
        if (rising & CR0_CMDQEN)
            cmd_ev.notify(offset_of(w.ctx));
    });
    gbpa.on_write([this](const reg_write& w) {
        if (!(w.new_value & GBPA_UPDATE)) {
            gbpa.set(w.old_value);
            guest_warning(s, "GBPA written with 0x%08llx without GBPA.Update; the write is ignored", ull(w.data));
            return;
        }
        gbpa.set(w.new_value & ~static_cast<std::uint64_t>(GBPA_UPDATE)); // the update completes at once
    });
    irq_ctrl.on_write([this](const reg_write& w) {
        irq_ctrlack.set(w.new_value);
        update_irqs(offset_of(w.ctx));
    });
    gerrorn.on_write([this](const reg_write& w) {
        const std::uint64_t toggled = w.old_value ^ w.new_value;
        const std::uint64_t active = (gerror.get() ^ w.old_value) & GERROR_MASK;
        if (toggled & ~active) {
            gerrorn.set(w.new_value ^ (toggled & ~active));
            guest_warning(s,
                          "GERRORN written with 0x%08llx: bits 0x%llx toggle errors that are not active (GERROR "
                          "0x%08llx); they keep their value",
                          ull(w.data), ull(toggled & ~active), ull(gerror.get()));
        }
        const sc_time off = offset_of(w.ctx);
        if (toggled & active & GERROR_CMDQ_ERR)
            cmd_ev.notify(off); // acknowledged: the command queue restarts at CMDQ_CONS
        update_irqs(off);
    });
    strtab_base.on_write([this](const reg_write& w) {
        ignore_while(strtab_base, w, CR0_SMMUEN, "CR0.SMMUEN");
    });
    strtab_base_cfg.on_write([this](const reg_write& w) {
        if (ignore_while(strtab_base_cfg, w, CR0_SMMUEN, "CR0.SMMUEN"))
            return;
        const unsigned log2 = static_cast<unsigned>(w.new_value & 0x3f);
        if (log2 > cfg.sid_bits)
            guest_warning(s,
                          "STRTAB_BASE_CFG written with 0x%08llx: LOG2SIZE %u exceeds IDR1.SIDSIZE %u; %u is used",
                          ull(w.data), log2, cfg.sid_bits, cfg.sid_bits);
        const unsigned fmt = static_cast<unsigned>((w.new_value >> STRTAB_FMT_SHIFT) & 3);
        const unsigned split = static_cast<unsigned>((w.new_value >> STRTAB_SPLIT_SHIFT) & 0x1f);
        if (fmt > FMT_2LVL)
            guest_warning(s, "STRTAB_BASE_CFG written with 0x%08llx: FMT %u is reserved; the table is used as linear",
                          ull(w.data), fmt);
        else if (fmt == FMT_2LVL && split != 6 && split != 8 && split != 10)
            guest_warning(s, "STRTAB_BASE_CFG written with 0x%08llx: SPLIT %u is reserved (6, 8 or 10)", ull(w.data),
                          split);
    });
    cmdq_base.on_write([this](const reg_write& w) {
        if (!ignore_while(cmdq_base, w, CR0_CMDQEN, "CR0.CMDQEN"))
            check_queue_size("CMDQ_BASE", w, CMDQS, "CMDQS");
    });
    evtq_base.on_write([this](const reg_write& w) {
        if (!ignore_while(evtq_base, w, CR0_EVTQEN, "CR0.EVTQEN"))
            check_queue_size("EVTQ_BASE", w, EVENTQS, "EVENTQS");
    });
    cmdq_prod.on_write([this](const reg_write& w) { cmd_ev.notify(offset_of(w.ctx)); });
    cmdq_cons.on_write([this](const reg_write& w) { ignore_while(cmdq_cons, w, CR0_CMDQEN, "CR0.CMDQEN"); });
    evtq_prod.on_write([this](const reg_write& w) {
        if (!ignore_while(evtq_prod, w, CR0_EVTQEN, "CR0.EVTQEN"))
            update_irqs(offset_of(w.ctx));
    });
    evtq_cons.on_write([this](const reg_write& w) { update_irqs(offset_of(w.ctx)); });
}

// ------------------------------------------------------------------------------------------------------------
// Registers.

bool smmuv3::impl::ignore_while(reg& r, const reg_write& w, std::uint32_t enable, const char* bit) {
    if (!(cr0.get() & enable))
        return false;
    r.set(w.old_value);
    guest_warning(s, "%s written with 0x%llx while %s = 1; the write is ignored", r.name().c_str(), ull(w.data), bit);
    return true;
}

void smmuv3::impl::check_queue_size(const char* name, const reg_write& w, unsigned max_log2, const char* idr_field) {
    const unsigned log2 = static_cast<unsigned>(w.new_value & Q_LOG2SIZE);
    if (log2 > max_log2)
        guest_warning(s, "%s written with 0x%llx: LOG2SIZE %u exceeds IDR1.%s %u; the queue has 2^%u entries", name,
                      ull(w.new_value), log2, idr_field, max_log2, max_log2);
}

void smmuv3::impl::check_queue_base(const char* name, const reg& base, unsigned max_log2, unsigned entry) {
    const queue q = decode_queue(base.get(), max_log2, entry);
    const std::uint64_t addr = base.get() & Q_ADDR;
    if (addr != q.base)
        guest_warning(s,
                      "%s 0x%llx: the queue base 0x%llx is not aligned to the queue size 0x%llx; the low address bits "
                      "are ignored (base 0x%llx)",
                      name, ull(base.get()), ull(addr), ull(std::uint64_t{entry} << q.log2), ull(q.base));
}

void smmuv3::impl::check_strtab() {
    const std::uint64_t c = strtab_base_cfg.get();
    const unsigned log2 = std::min(static_cast<unsigned>(c & 0x3f), cfg.sid_bits);
    const unsigned split = static_cast<unsigned>((c >> STRTAB_SPLIT_SHIFT) & 0x1f);
    const bool two = ((c >> STRTAB_FMT_SHIFT) & 3) == FMT_2LVL;
    const std::uint64_t bytes = two ? (L1STD_BYTES << (log2 > split ? log2 - split : 0)) : (STE_BYTES * (1ull << log2));
    const std::uint64_t align = std::max<std::uint64_t>(bytes, 64);
    const std::uint64_t addr = strtab_base.get() & STRTAB_ADDR;
    if (addr & (align - 1))
        guest_warning(s,
                      "SMMUEN set with STRTAB_BASE 0x%llx not aligned to the %s table size 0x%llx; the low address "
                      "bits are ignored",
                      ull(addr), two ? "level-1" : "stream", ull(bytes));
}

void smmuv3::impl::raise_gerror(std::uint32_t bit, const sc_time& off) {
    if ((gerror.get() ^ gerrorn.get()) & bit)
        return; // already active
    gerror.set(gerror.get() ^ bit);
    update_irqs(off);
}

void smmuv3::impl::update_irqs(const sc_time& off) {
    const std::uint64_t ctrl = irq_ctrl.get();
    const std::uint32_t m = ptr_mask(evtq().log2);
    const bool pending = ((evtq_prod.get() ^ evtq_cons.get()) & m) != 0;
    s.evtq_irq.set((ctrl & IRQ_CTRL_EVTQ) && pending, off);
    s.gerror_irq.set((ctrl & IRQ_CTRL_GERROR) && ((gerror.get() ^ gerrorn.get()) & GERROR_MASK), off);
}

void smmuv3::impl::reg_access(tlm::tlm_generic_payload& p, sc_time& delay) {
    access_ctx ctx;
    ctx.time = kernel_time() + delay;
    ctx.attr = attr_of(p);
    delay += s.cycles(cfg.reg_latency);
    bank.transport(p, ctx);
}

unsigned smmuv3::impl::reg_debug(tlm::tlm_generic_payload& p) {
    access_ctx ctx;
    ctx.time = kernel_time();
    ctx.debug = true;
    bank.transport(p, ctx);
    return p.is_response_ok() ? p.get_data_length() : 0;
}

// ------------------------------------------------------------------------------------------------------------
// Caches (fully associative, least recently used replaced; lookups allocate nothing).

smmuv3::impl::cfg_entry* smmuv3::impl::cfg_find(std::uint32_t sid, bool touch) {
    for (cfg_entry& e : cfgc)
        if (e.valid && e.sid == sid) {
            if (touch)
                e.used = ++use_clock;
            return &e;
        }
    return nullptr;
}

void smmuv3::impl::cfg_insert(std::uint32_t sid, const config& c) {
    if (cfgc.empty())
        return;
    cfg_entry* victim = cfg_find(sid, false);
    if (!victim) {
        victim = &cfgc.front();
        for (cfg_entry& e : cfgc) {
            if (!e.valid) {
                victim = &e;
                break;
            }
            if (e.used < victim->used)
                victim = &e;
        }
    }
    victim->valid = true;
    victim->sid = sid;
    victim->used = ++use_clock;
    victim->c = c;
}

const smmuv3::impl::tlb_entry* smmuv3::impl::tlb_find(std::uint16_t asid, std::uint64_t va, bool touch) {
    for (tlb_entry& e : tlb)
        if (e.covers(asid, va)) {
            if (touch)
                e.used = ++use_clock;
            return &e;
        }
    return nullptr;
}

void smmuv3::impl::tlb_insert(const tlb_entry& n) {
    if (tlb.empty())
        return;
    tlb_entry* victim = &tlb.front();
    for (tlb_entry& e : tlb) {
        if (!e.valid) {
            victim = &e;
            break;
        }
        if (e.used < victim->used)
            victim = &e;
    }
    *victim = n;
    victim->valid = true;
    victim->used = ++use_clock;
}

template <class Pred> void smmuv3::impl::cfg_invalidate(Pred pred) {
    ++generation;
    for (cfg_entry& e : cfgc)
        if (e.valid && pred(e))
            e.valid = false;
}

template <class Pred> void smmuv3::impl::tlb_invalidate(Pred pred) {
    ++generation;
    for (tlb_entry& e : tlb)
        if (e.valid && pred(e))
            e.valid = false;
}

// ------------------------------------------------------------------------------------------------------------
// Configuration and table walks.

bool smmuv3::impl::fetch_ste(std::uint32_t sid, config& c, fetcher& f, fault& flt) {
    const std::uint64_t scfg = strtab_base_cfg.get();
    const unsigned log2 = std::min(static_cast<unsigned>(scfg & 0x3f), cfg.sid_bits);
    if (std::uint64_t{sid} >= (1ull << log2)) {
        flt.id = C_BAD_STREAMID;
        return false;
    }
    const std::uint64_t addr = strtab_base.get() & STRTAB_ADDR;
    std::uint64_t ste_addr = 0;
    unsigned char buf[STE_BYTES];
    if (((scfg >> STRTAB_FMT_SHIFT) & 3) == FMT_2LVL) {
        const unsigned split = static_cast<unsigned>((scfg >> STRTAB_SPLIT_SHIFT) & 0x1f);
        const std::uint64_t l1_bytes = L1STD_BYTES << (log2 > split ? log2 - split : 0);
        const std::uint64_t base = addr & ~(std::max<std::uint64_t>(l1_bytes, 64) - 1);
        const std::uint64_t l1_addr = base + (std::uint64_t{sid} >> split) * L1STD_BYTES;
        if (!f.read(l1_addr, buf, L1STD_BYTES)) {
            flt = {F_STE_FETCH, l1_addr};
            return false;
        }
        const std::uint64_t l1 = le64(buf);
        const unsigned span = static_cast<unsigned>(l1 & L1STD_SPAN);
        if (span == 0) {
            flt.id = C_BAD_STREAMID;
            return false;
        }
        // The level-2 array holds 2^(Span-1) STEs; it cannot cover more than the 2^SPLIT StreamIDs of the entry.
        const unsigned l2_bits = std::min(span - 1, split);
        const std::uint64_t l2 = sid & ((1ull << split) - 1);
        if (l2 >> l2_bits) {
            flt.id = C_BAD_STE;
            return false;
        }
        ste_addr = (l1 & L1STD_L2PTR) + l2 * STE_BYTES;
    } else {
        const std::uint64_t bytes = STE_BYTES * (1ull << log2);
        ste_addr = (addr & ~(std::max<std::uint64_t>(bytes, 64) - 1)) + std::uint64_t{sid} * STE_BYTES;
    }
    if (!f.read(ste_addr, buf, STE_BYTES)) {
        flt = {F_STE_FETCH, ste_addr};
        return false;
    }
    const std::uint64_t d0 = le64(buf), d1 = le64(buf + 8);
    if (!(d0 & STE0_V)) {
        flt.id = C_BAD_STE;
        return false;
    }
    c = config{};
    switch ((d0 >> STE0_CONFIG_SHIFT) & 7) {
    case CONFIG_ABORT: c.kind = config::abort; break;
    case CONFIG_BYPASS: c.kind = config::bypass; break;
    case CONFIG_S1:
        c.kind = config::s1;
        c.cd_ptr = d0 & STE0_S1CTXPTR;
        if (c.cd_ptr >> OAS_BITS) {
            flt.id = C_BAD_STE;
            return false;
        }
        break;
    default: // reserved, stage 2 and nested: stage 2 is not implemented (IDR0.S2P = 0)
        flt.id = C_BAD_STE;
        return false;
    }
    c.privileged = ((d1 >> STE1_PRIVCFG_SHIFT) & 3) == 3;
    return true;
}

bool smmuv3::impl::fetch_cd(config& c, fetcher& f, fault& flt) {
    unsigned char buf[CD_BYTES];
    if (!f.read(c.cd_ptr, buf, CD_BYTES)) {
        flt = {F_CD_FETCH, c.cd_ptr};
        return false;
    }
    const std::uint64_t d0 = le64(buf), d1 = le64(buf + 8);
    const unsigned t0sz = static_cast<unsigned>(d0 & CD0_T0SZ);
    const unsigned tg0 = static_cast<unsigned>((d0 >> CD0_TG0_SHIFT) & 3);
    // Valid, AArch64 format, 4 KiB granule (IDR5.GRAN4K only), T0SZ in range, little-endian tables (TTENDIAN).
    if (!(d0 & CD0_V) || !(d0 & CD0_AA64) || tg0 != 0 || t0sz < T0SZ_MIN || t0sz > T0SZ_MAX || (d0 & CD0_ENDI)) {
        flt.id = C_BAD_CD;
        return false;
    }
    c.t0sz = t0sz;
    c.epd0 = d0 & CD0_EPD0;
    c.affd = d0 & CD0_AFFD;
    c.record = d0 & CD0_R;
    c.asid = static_cast<std::uint16_t>(d0 >> CD0_ASID_SHIFT);
    c.oa_bits = ips_bits(static_cast<unsigned>((d0 >> CD0_IPS_SHIFT) & 7));
    c.ttb0 = d1 & CD1_TTB0;
    c.cd_valid = true;
    return true;
}

bool smmuv3::impl::get_config(std::uint32_t sid, config& c, fetcher& f, fault& flt) {
    const bool timed = f.t != nullptr;
    cfg_entry* e = cfg_find(sid, timed);
    if (e && e->c.complete()) {
        c = e->c;
        return true;
    }
    const std::uint64_t gen = generation;
    if (e)
        c = e->c; // STE cached, CD invalidated
    else if (!fetch_ste(sid, c, f, flt))
        return false;
    if (c.kind == config::s1 && !fetch_cd(c, f, flt))
        return false;
    if (timed && gen == generation)
        cfg_insert(sid, c);
    return true;
}

bool smmuv3::impl::walk(const config& c, std::uint64_t va, fetcher& f, fault& flt, tlb_entry& out) {
    const unsigned ia = 64 - c.t0sz;
    unsigned level = start_level(ia);
    unsigned shift = 12 + 9 * (3 - level);
    unsigned bits = ia - shift; // index bits resolved at this level
    if (c.ttb0 >> c.oa_bits) {
        flt.id = F_ADDR_SIZE;
        return false;
    }
    std::uint64_t table = c.ttb0 & ~((8ull << bits) - 1);
    unsigned char buf[8];
    for (;;) {
        const std::uint64_t addr = table + ((va >> shift) & ((1ull << bits) - 1)) * 8;
        if (!f.read(addr, buf, 8)) {
            flt = {F_WALK_EABT, addr};
            return false;
        }
        const std::uint64_t d = le64(buf);
        if (!(d & DESC_VALID)) {
            flt.id = F_TRANSLATION;
            return false;
        }
        if (level < 3 && (d & DESC_TABLE)) {
            if ((d & DESC_OA_HIGH) || ((d & DESC_OA) >> c.oa_bits)) {
                flt.id = F_ADDR_SIZE;
                return false;
            }
            table = d & DESC_OA;
            ++level;
            shift -= 9;
            bits = 9;
            continue;
        }
        if (level == 0 || (level == 3 && !(d & DESC_TABLE))) { // no level-0 blocks with 4 KiB; reserved at level 3
            flt.id = F_TRANSLATION;
            return false;
        }
        const std::uint64_t oa = d & DESC_OA & ~((1ull << shift) - 1);
        if ((d & DESC_OA_HIGH) || (oa >> c.oa_bits)) {
            flt.id = F_ADDR_SIZE;
            return false;
        }
        if (!(d & DESC_AF) && !c.affd) {
            flt.id = F_ACCESS;
            return false;
        }
        out = tlb_entry{};
        out.valid = true;
        out.asid = c.asid;
        out.shift = shift;
        out.va = va & ~((1ull << shift) - 1);
        out.pa = oa;
        out.writable = !(d & DESC_AP2);
        out.unpriv = d & DESC_AP1;
        return true;
    }
}

/// Walker thread: the whole resolution of a transaction that missed (or faulted on) the caches.
void smmuv3::impl::resolve(walk_req& r) {
    sc_time t = SC_ZERO_TIME;
    fetcher f{*this, &t};
    fault flt;
    bool priv = r.privileged;
    bool record = r.record;
    config c;
    if (r.prefault) {
        flt.id = r.prefault;
    } else if (get_config(r.sid, c, f, flt)) {
        priv = c.privileged;
        record = c.record;
        if (c.kind == config::abort) {
            r.result = outcome::abort;
        } else if (c.kind == config::bypass) {
            r.result = outcome::bypass;
        } else if (!in_range(c, r.va)) {
            flt.id = F_TRANSLATION;
        } else {
            tlb_entry e;
            const tlb_entry* hit = tlb_find(c.asid, r.va, true);
            if (!r.tlb_counted)
                ++(hit ? s.stats_.tlb_hits : s.stats_.tlb_misses);
            bool ok = true;
            if (hit) {
                e = *hit;
            } else {
                const std::uint64_t gen = generation;
                ok = walk(c, r.va, f, flt, e);
                if (ok && gen == generation)
                    tlb_insert(e);
            }
            if (ok && !permitted(e, r.write, priv)) {
                flt.id = F_PERMISSION;
            } else if (ok) {
                r.result = outcome::translate;
                r.pa = e.pa | (r.va & ((1ull << e.shift) - 1));
            }
        }
    }
    if (t != SC_ZERO_TIME)
        sc_core::wait(t);
    if (flt.id) {
        // CD.R = 0 suppresses the records of translation-class faults (not of walk aborts or configuration errors).
        const bool translation_class =
            flt.id == F_TRANSLATION || flt.id == F_ADDR_SIZE || flt.id == F_ACCESS || flt.id == F_PERMISSION;
        report(flt, r.sid, r.va, r.write, priv, record || !translation_class);
        r.result = outcome::fault;
    }
}

/// Record a fault: event queue write (walker thread, timed), EVTQ_PROD, interrupt, events().
void smmuv3::impl::report(const fault& flt, std::uint32_t sid, std::uint64_t va, bool write, bool privileged,
                          bool record) {
    ++s.stats_.faults;
    event ev{kernel_time(), flt.id, sid, is_fetch_event(flt.id) ? flt.fetch : va, write, false};
    // CR2.RECINVSID = 0: transactions with an invalid StreamID are terminated without an event record.
    const bool want = record && (flt.id != C_BAD_STREAMID || (cr2.get() & CR2_RECINVSID));
    if (want && (cr0.get() & CR0_EVTQEN)) {
        const queue q = evtq();
        const std::uint32_t prod = static_cast<std::uint32_t>(evtq_prod.get());
        const std::uint32_t cons = static_cast<std::uint32_t>(evtq_cons.get());
        if (queue_full(prod, cons, q.log2)) {
            if ((prod & Q_OVFLG) == (cons & Q_OVFLG))
                evtq_prod.set(prod ^ Q_OVFLG); // new overflow: software acknowledges with CONS.OVACKFLG
        } else {
            unsigned char rec[EVT_BYTES] = {};
            // Transaction attributes (translation-class faults): RnW, PnU (InD = 0: data), CLASS.
            const std::uint64_t attrs = (write ? 0 : 1ull << EVT1_RNW) | (privileged ? 1ull << EVT1_PNU : 0);
            std::uint64_t d1 = 0, d2 = 0, d3 = 0;
            switch (flt.id) {
            case F_STE_FETCH:
            case F_CD_FETCH: d3 = flt.fetch & EVT3_FETCH; break;
            case F_WALK_EABT:
                d1 = attrs | (std::uint64_t{CLASS_TT} << EVT1_CLASS);
                d2 = va;
                d3 = flt.fetch & EVT3_FETCH;
                break;
            case F_TRANSLATION:
            case F_ADDR_SIZE:
            case F_ACCESS:
            case F_PERMISSION:
                d1 = attrs | (std::uint64_t{CLASS_IN} << EVT1_CLASS);
                d2 = va;
                break;
            default: break; // configuration errors: StreamID only
            }
            put_le64(rec, flt.id | (std::uint64_t{sid} << 32));
            put_le64(rec + 8, d1);
            put_le64(rec + 16, d2);
            put_le64(rec + 24, d3);
            sc_time t = s.cycles(cfg.walk_step_latency);
            const bool ok = bus(walk_pl, tlm::TLM_WRITE_COMMAND, q.base + ptr_index(prod, q.log2) * EVT_BYTES, rec,
                                EVT_BYTES, t);
            sc_core::wait(t);
            if (ok) {
                const std::uint32_t now = static_cast<std::uint32_t>(evtq_prod.get());
                evtq_prod.set((now & ~Q_PTR) | ptr_inc(now & ptr_mask(q.log2), q.log2));
                ev.recorded = true;
                update_irqs(SC_ZERO_TIME);
            } else {
                raise_gerror(GERROR_EVTQ_ABT_ERR, SC_ZERO_TIME);
            }
        }
    }
    ev.time = kernel_time();
    s.events_.push_back(ev);
    if (trace::on())
        trace::instant(trace::track::smmu, "fault", ev.time,
                       {{"event", event_name(ev.id)}, trace::arg::hex("event_id", ev.id), {"stream_id", ev.stream_id},
                        trace::arg::hex("address", ev.address), {"write", ev.write}, {"recorded", ev.recorded}});
}

// ------------------------------------------------------------------------------------------------------------
// Device side.

void smmuv3::impl::in_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
    const pcie_attr* a = attr_of(p);
    const sc_time t0 = trace::on() ? kernel_time() + delay : SC_ZERO_TIME;
    delay += s.cycles(cfg.lookup_latency);
    const std::uint64_t va = p.get_address();
    const bool write = p.is_write();
    counters& st = s.stats_;
    // Tracing: the SMMU's part of the transaction, up to where it leaves (forwarded or terminated).
    auto trace_out = [&](const char* outcome, std::uint64_t pa, bool walked) {
        if (trace::on())
            trace::span(trace::track::smmu, write ? "write" : "read", t0, kernel_time() + delay,
                        {{"outcome", outcome}, trace::arg::hex("address", va), trace::arg::hex("output", pa),
                         {"size", p.get_data_length()},
                         {"stream_id", a && a->has_stream_id ? std::int64_t{a->stream_id} : std::int64_t{-1}},
                         {"walk", walked}});
    };
    if (!(cr0.get() & CR0_SMMUEN)) {
        if (gbpa.get() & GBPA_ABORT) {
            ++st.aborted;
            trace_out("abort (SMMUEN=0, GBPA.ABORT)", va, false);
            p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        } else {
            ++st.bypassed;
            trace_out("bypass (SMMUEN=0)", va, false);
            forward(p, va, delay);
        }
        return;
    }
    if (!a || !a->has_stream_id) {
        // No StreamID (e.g. a requester ID outside the glue's map): nothing to look up. Terminated; kept in
        // events() as C_BAD_STREAMID with StreamID ~0, never written to the queue (there is no StreamID to report).
        ++st.faults;
        s.events_.push_back(
            event{kernel_time() + delay, C_BAD_STREAMID, NO_STREAM_ID, va, write, false});
        if (trace::on()) {
            trace_out("fault", va, false);
            trace::instant(trace::track::smmu, "fault", kernel_time() + delay,
                           {{"event", event_name(C_BAD_STREAMID)}, trace::arg::hex("event_id", C_BAD_STREAMID),
                            {"stream_id", std::int64_t{-1}}, trace::arg::hex("address", va), {"recorded", false}});
        }
        p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    walk_req r;
    r.sid = a->stream_id;
    r.va = va;
    r.write = write;
    if (const cfg_entry* e = cfg_find(r.sid, true); e && e->c.complete()) {
        ++st.config_hits;
        const config& c = e->c;
        switch (c.kind) {
        case config::abort:
            ++st.aborted;
            trace_out("abort (STE)", va, false);
            p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
            return;
        case config::bypass:
            ++st.bypassed;
            trace_out("bypass (STE)", va, false);
            forward(p, va, delay);
            return;
        case config::s1:
            r.privileged = c.privileged;
            r.record = c.record;
            if (in_range(c, va)) {
                r.tlb_counted = true;
                if (const tlb_entry* t = tlb_find(c.asid, va, true)) {
                    ++st.tlb_hits;
                    if (permitted(*t, write, c.privileged)) {
                        ++st.translated;
                        const std::uint64_t pa = t->pa | (va & ((1ull << t->shift) - 1));
                        trace_out("translate", pa, false);
                        forward(p, pa, delay);
                        return;
                    }
                    r.prefault = F_PERMISSION;
                } else {
                    ++st.tlb_misses;
                }
            }
            break;
        }
    } else {
        ++st.config_misses;
    }
    // Miss or fault: the walker thread resolves it. Synchronise first: the walk starts at this request's time.
    if (delay != SC_ZERO_TIME) {
        sc_core::wait(delay);
        delay = SC_ZERO_TIME;
    }
    if (tail)
        tail->next = &r;
    else
        head = &r;
    tail = &r;
    walk_ev.notify();
    while (!r.done)
        sc_core::wait(walk_done_ev);
    switch (r.result) {
    case outcome::translate:
        ++st.translated;
        trace_out("translate", r.pa, true);
        forward(p, r.pa, delay);
        break;
    case outcome::bypass:
        ++st.bypassed;
        trace_out("bypass (STE)", va, true);
        forward(p, va, delay);
        break;
    case outcome::abort:
        ++st.aborted;
        trace_out("abort (STE)", va, true);
        p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        break;
    case outcome::fault:
        trace_out("fault", va, true);
        p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        break;
    }
}

unsigned smmuv3::impl::in_debug(tlm::tlm_generic_payload& p) {
    const pcie_attr* a = attr_of(p);
    if (!a || !a->has_stream_id)
        return 0;
    if (!(cr0.get() & CR0_SMMUEN))
        return (gbpa.get() & GBPA_ABORT) ? 0 : s.out->transport_dbg(p);
    fetcher f{*this, nullptr};
    fault flt;
    config c;
    if (!get_config(a->stream_id, c, f, flt) || c.kind == config::abort)
        return 0;
    if (c.kind == config::bypass)
        return s.out->transport_dbg(p);
    const std::uint64_t va = p.get_address();
    if (!in_range(c, va))
        return 0;
    tlb_entry e;
    if (const tlb_entry* hit = tlb_find(c.asid, va, false))
        e = *hit;
    else if (!walk(c, va, f, flt, e))
        return 0;
    if (!permitted(e, p.is_write(), c.privileged))
        return 0;
    // Clip to the page or block: the next one may translate elsewhere.
    const std::uint64_t in_page = va & ((1ull << e.shift) - 1);
    const unsigned len = p.get_data_length();
    const unsigned clipped = static_cast<unsigned>(std::min<std::uint64_t>(len, (1ull << e.shift) - in_page));
    p.set_address(e.pa | in_page);
    p.set_data_length(clipped);
    const unsigned n = s.out->transport_dbg(p);
    p.set_address(va);
    p.set_data_length(len);
    return n;
}

// ------------------------------------------------------------------------------------------------------------
// Command queue.

void smmuv3::impl::run_commands() {
    while ((cr0.get() & CR0_CMDQEN) && !cmdq_error()) {
        const queue q = cmdq();
        const std::uint32_t m = ptr_mask(q.log2);
        const std::uint32_t cons_reg = static_cast<std::uint32_t>(cmdq_cons.get());
        const std::uint32_t cons = cons_reg & m;
        if ((static_cast<std::uint32_t>(cmdq_prod.get()) & m) == cons)
            return;
        const std::uint64_t epoch = cmdq_epoch;
        unsigned char buf[CMD_BYTES];
        sc_time t = SC_ZERO_TIME;
        const bool ok = bus(cmd_pl, tlm::TLM_READ_COMMAND, q.base + ptr_index(cons, q.log2) * CMD_BYTES, buf,
                            CMD_BYTES, t);
        t += s.cycles(cfg.cmd_latency);
        sc_core::wait(t);
        // CMDQEN dropped while the command was in flight: CR0ACK.CMDQEN already reads 0, so the SMMU has stopped
        // consuming; the command is abandoned (not executed, CMDQ_CONS not written — software may have reset it).
        if (epoch != cmdq_epoch)
            continue;
        if (!ok) {
            cmdq_cons.set((cons_reg & ~CONS_ERR) | (CERROR_ABT << CONS_ERR_SHIFT));
            raise_gerror(GERROR_CMDQ_ERR, SC_ZERO_TIME);
            return;
        }
        if (!execute(le64(buf), le64(buf + 8), ptr_index(cons, q.log2))) {
            cmdq_cons.set((cons_reg & ~CONS_ERR) | (CERROR_ILL << CONS_ERR_SHIFT));
            raise_gerror(GERROR_CMDQ_ERR, SC_ZERO_TIME);
            return;
        }
        ++s.stats_.commands;
        cmdq_cons.set((cons_reg & ~static_cast<std::uint64_t>(Q_PTR)) | ptr_inc(cons, q.log2));
    }
}

bool smmuv3::impl::execute(std::uint64_t d0, std::uint64_t d1, std::uint32_t index) {
    const std::uint8_t op = static_cast<std::uint8_t>(d0 & 0xff);
    const std::uint32_t sid = static_cast<std::uint32_t>(d0 >> 32);
    const std::uint16_t asid = static_cast<std::uint16_t>(d0 >> 48);
    const std::uint64_t addr = d1 & ~0xfffull;
    switch (op) {
    case CMD_PREFETCH_CONFIG:
    case CMD_PREFETCH_ADDR: return true; // prefetches are hints: nothing to do
    case CMD_CFGI_STE: cfg_invalidate([sid](const cfg_entry& e) { return e.sid == sid; }); return true;
    case CMD_CFGI_STE_RANGE: {
        // 2^(Range+1) StreamIDs from the aligned base; Range = 31 is CMD_CFGI_ALL.
        const unsigned range = static_cast<unsigned>(d1 & 0x1f);
        const std::uint64_t n = 2ull << range;
        const std::uint64_t first = sid & ~(n - 1);
        cfg_invalidate([first, n](const cfg_entry& e) { return e.sid >= first && e.sid - first < n; });
        return true;
    }
    case CMD_CFGI_CD:
    case CMD_CFGI_CD_ALL:
        ++generation;
        for (cfg_entry& e : cfgc)
            if (e.valid && e.sid == sid)
                e.c.cd_valid = false;
        return true;
    case CMD_TLBI_NH_ALL: // stage 1 of the (single, stage 2 not implemented) VMID
    case CMD_TLBI_NSNH_ALL: tlb_invalidate([](const tlb_entry&) { return true; }); return true;
    case CMD_TLBI_NH_ASID: tlb_invalidate([asid](const tlb_entry& e) { return e.asid == asid; }); return true;
    case CMD_TLBI_NH_VA: tlb_invalidate([asid, addr](const tlb_entry& e) { return e.covers(asid, addr); }); return true;
    case CMD_TLBI_NH_VAA:
        tlb_invalidate([addr](const tlb_entry& e) { return (addr >> e.shift) == (e.va >> e.shift); });
        return true;
    case CMD_SYNC: {
        // Commands complete in order, so every earlier command has completed. No MSI (IDR0.MSI = 0), no SEV.
        const unsigned cs = static_cast<unsigned>((d0 >> SYNC_CS_SHIFT) & 3);
        if (cs == CS_IRQ)
            guest_warning(s,
                          "command queue entry %u: CMD_SYNC 0x%016llx asks for an MSI (CS = SIG_IRQ) but IDR0.MSI = "
                          "0; it completes without a signal",
                          index, ull(d0));
        return cs != 3;
    }
    default:
        guest_warning(s,
                      "command queue entry %u: command 0x%016llx %016llx has an opcode 0x%02x this SMMU does not "
                      "implement; CMDQ_CONS.ERR = CERROR_ILL, GERROR.CMDQ_ERR, the queue stops",
                      index, ull(d0), ull(d1), op);
        return false;
    }
}

// ------------------------------------------------------------------------------------------------------------
// smmuv3.

smmuv3::smmuv3(sc_core::sc_module_name name, const params& p)
    : sc_module(name), clocked(p.clock_hz), regs("regs"), in("in"), out("out"), walker("walker"),
      evtq_irq(std::string(this->name()) + ".evtq_irq"), gerror_irq(std::string(this->name()) + ".gerror_irq"),
      p_(p) {
    if (p_.sid_bits > 32)
        throw std::invalid_argument(std::string(this->name()) + ": sid_bits must be 0..32");
    m_ = std::make_unique<impl>(*this, p_);
    regs.register_b_transport(this, &smmuv3::b_transport_cb<port::regs>);
    in.register_b_transport(this, &smmuv3::b_transport_cb<port::in>);
    regs.register_transport_dbg(this, &smmuv3::transport_dbg_cb<port::regs>);
    walker.register_invalidate_direct_mem_ptr(this, &smmuv3::invalidate_dmi_cb);
    in.register_transport_dbg(this, &smmuv3::transport_dbg_cb<port::in>);
    SC_HAS_PROCESS(smmuv3);
    SC_THREAD(walker_thread);
    SC_THREAD(command_thread);
}

smmuv3::~smmuv3() = default;

void smmuv3::invalidate_dmi_cb(sc_dt::uint64 start, sc_dt::uint64 end) { m_->dmi.invalidate(start, end); }

template <smmuv3::port P>
void smmuv3::b_transport_cb(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    if constexpr (P == port::regs)
        m_->reg_access(p, delay);
    else
        m_->in_transport(p, delay);
}

template <smmuv3::port P>
unsigned smmuv3::transport_dbg_cb(tlm::tlm_generic_payload& p) {
    if constexpr (P == port::regs)
        return m_->reg_debug(p);
    else
        return m_->in_debug(p);
}

void smmuv3::walker_thread() {
    for (;;) {
        while (impl::walk_req* r = m_->pop()) {
            m_->resolve(*r);
            r->done = true;
            m_->walk_done_ev.notify();
        }
        wait(m_->walk_ev);
    }
}

void smmuv3::command_thread() {
    for (;;) {
        m_->run_commands();
        wait(m_->cmd_ev);
    }
}

} // namespace dbvp::smmu
