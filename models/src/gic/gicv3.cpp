// dbvp — Arm GICv3 distributor, one redistributor and one CPU interface. See gicv3.h and docs/models/gicv3.md.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "dbvp/gic/gicv3.h"

#include "dbvp/core/bitset.h"
#include "dbvp/core/clocked.h"
#include "dbvp/core/dmi.h"
#include "dbvp/core/lru.h"
#include "dbvp/core/regbank.h"
#include "dbvp/core/report.h"
#include "dbvp/core/sideband.h"
#include "dbvp/core/timed_events.h"
#include "dbvp/core/trace.h"
#include "dbvp/util/bits.h"

#include <array>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace dbvp::gic {

namespace {

using sc_core::sc_time;

// ---- Distributor (GICD_*) -----------------------------------------------------------------------------------
constexpr std::uint64_t GICD_CTLR = 0x0000, GICD_TYPER = 0x0004, GICD_IIDR = 0x0008, GICD_TYPER2 = 0x000c,
                        GICD_STATUSR = 0x0010, GICD_IGROUPR = 0x0080, GICD_ISENABLER = 0x0100,
                        GICD_ICENABLER = 0x0180, GICD_ISPENDR = 0x0200, GICD_ICPENDR = 0x0280,
                        GICD_ISACTIVER = 0x0300, GICD_ICACTIVER = 0x0380, GICD_IPRIORITYR = 0x0400,
                        GICD_ICFGR = 0x0c00, GICD_IGRPMODR = 0x0d00, GICD_IROUTER = 0x6000;
constexpr std::uint32_t CTLR_ENABLE_G0 = 1u << 0, CTLR_ENABLE_G1 = 1u << 1, CTLR_ARE = 1u << 4, CTLR_DS = 1u << 6;
constexpr std::uint64_t IROUTER_MASK = 0x000000ff80ffffffull; // Aff3 [39:32], IRM [31], Aff2..Aff0 [23:0]
constexpr std::uint64_t IROUTER_IRM = 1ull << 31;

// ---- Redistributor RD_base (GICR_*) -------------------------------------------------------------------------
constexpr std::uint64_t GICR_CTLR = 0x0000, GICR_IIDR = 0x0004, GICR_TYPER = 0x0008, GICR_STATUSR = 0x0010,
                        GICR_WAKER = 0x0014, GICR_PROPBASER = 0x0070, GICR_PENDBASER = 0x0078,
                        GICR_INVLPIR = 0x00a0, GICR_INVALLR = 0x00b0, GICR_SYNCR = 0x00c0;
constexpr std::uint32_t GICR_CTLR_ENABLE_LPIS = 1u << 0, GICR_CTLR_IR = 1u << 2;
constexpr std::uint64_t GICR_TYPER_PLPIS = 1ull << 0, GICR_TYPER_LAST = 1ull << 4;
constexpr std::uint32_t WAKER_PROCESSOR_SLEEP = 1u << 1, WAKER_CHILDREN_ASLEEP = 1u << 2;
constexpr std::uint64_t PROPBASER_IDBITS = 0x1f;
constexpr std::uint64_t PROPBASER_PA = 0x000ffffffffff000ull; // [51:12]
constexpr std::uint64_t PROPBASER_ATTR = (0x7ull << 7) | (0x3ull << 10) | (0x7ull << 56);
constexpr std::uint64_t PROPBASER_WRITABLE = PROPBASER_IDBITS | PROPBASER_PA | PROPBASER_ATTR;
constexpr std::uint64_t PENDBASER_PA = 0x000fffffffff0000ull; // [51:16]
constexpr std::uint64_t PENDBASER_PTZ = 1ull << 62;
constexpr std::uint64_t PENDBASER_WRITABLE = PENDBASER_PA | PROPBASER_ATTR;
// ---- Redistributor SGI_base ---------------------------------------------------------------------------------
constexpr std::uint64_t SGI_BASE = 0x10000;
constexpr std::uint64_t GICR_IGROUPR0 = SGI_BASE + 0x0080, GICR_ISENABLER0 = SGI_BASE + 0x0100,
                        GICR_ICENABLER0 = SGI_BASE + 0x0180, GICR_ISPENDR0 = SGI_BASE + 0x0200,
                        GICR_ICPENDR0 = SGI_BASE + 0x0280, GICR_ISACTIVER0 = SGI_BASE + 0x0300,
                        GICR_ICACTIVER0 = SGI_BASE + 0x0380, GICR_IPRIORITYR = SGI_BASE + 0x0400,
                        GICR_ICFGR0 = SGI_BASE + 0x0c00, GICR_ICFGR1 = SGI_BASE + 0x0c04,
                        GICR_IGRPMODR0 = SGI_BASE + 0x0d00, GICR_NSACR = SGI_BASE + 0x0e00;

// Identification (both frames): Arm-style, architecture revision 3 (GICv3).
constexpr std::uint32_t IIDR_VALUE = (0x00u << 24) | (0x1u << 12) | 0x43bu;
struct id_reg {
    std::uint64_t off;
    const char* name;
    std::uint32_t value;
};
constexpr id_reg ID_REGS[] = {
    {0xffd0, "PIDR4", 0x04}, {0xffd4, "PIDR5", 0x00}, {0xffd8, "PIDR6", 0x00}, {0xffdc, "PIDR7", 0x00},
    {0xffe0, "PIDR0", 0x00}, {0xffe4, "PIDR1", 0xb0}, {0xffe8, "PIDR2", 0x3b}, {0xffec, "PIDR3", 0x00},
    {0xfff0, "CIDR0", 0x0d}, {0xfff4, "CIDR1", 0xf0}, {0xfff8, "CIDR2", 0x05}, {0xfffc, "CIDR3", 0xb1},
};

constexpr unsigned sizes_148 = (1u << 1) | (1u << 4) | (1u << 8);
constexpr unsigned idle_priority = 0xff; // an interrupt must have a priority value below the running priority

} // namespace

// ------------------------------------------------------------------------------------------------------------

struct gicv3::impl {
    enum class bitop { set_enable, clear_enable, set_pending, clear_pending, set_active, clear_active };

    /// SGIs, PPIs and SPIs (INTID 0 .. num_wired - 1).
    struct wired {
        bool enabled = false;
        bool latch = false;  // edge seen or software pending (ISPENDR)
        bool line = false;   // input level (SPIs)
        bool edge = false;   // GICD_ICFGR / GICR_ICFGR1: edge-triggered
        bool active = false;
        std::uint8_t prio = 0;
        std::uint64_t route = 0; // GICD_IROUTER (SPIs)
        bool pending() const { return latch || (!edge && line); }
    };
    struct running_entry {
        unsigned intid;
        unsigned prio;
    };
    enum class rd_op_kind { inv, invall };
    struct rd_op {
        rd_op_kind kind;
        unsigned intid;
    };

    gicv3& g;
    const params& p;
    const unsigned num_wired;
    std::vector<wired> w;
    sparse_bitset wcand; // wired INTIDs enabled, pending and not active (best() visits these)
    /// Recompute INTID i's bit in wcand after any change of its state.
    void refresh(unsigned i) {
        const wired& x = w[i];
        wcand.set(i, x.enabled && !x.active && x.pending());
    }
    std::vector<running_entry> running; // active priorities, highest priority (lowest value) last

    // LPIs.
    bool lpis_enabled = false; // GICR_CTLR.EnableLPIs
    bool lpi_ready = false;    // pending table loaded (or PTZ)
    bool ptz = false;          // PTZ of the last GICR_PENDBASER write
    unsigned lpi_bits = 0;     // INTID bits in use, min(lpi_id_bits, PROPBASER.IDbits + 1), fixed at enable
    std::uint64_t prop_pa = 0, pend_pa = 0;
    sparse_bitset pend;                      // pending bit per INTID (mirror of the pending table)
    std::vector<std::uint8_t> cfg;           // configuration of each pending LPI (index intid - first_lpi)
    // Temporal decoupling: an ITS that runs ahead of the kernel makes LPIs pending at a later time than the
    // kernel's (sc_time_stamp() + its offset), and a CPU acknowledges at its own local time. Each such future
    // pending event is kept here, as (INTID, time): the LPI is pending at time t if its pending bit is set and
    // it has no event (pending from before), an event at time zero (pending from before, and again later), or
    // an event at or before t. An acknowledge at t consumes the events up to t (they coalesce, as they would
    // in time order) and leaves the LPI pending if later ones remain. Lone events the kernel has passed are
    // pruned: the pending bit says the same. (In time order: what is asked costs about the events looked at.)
    timed_events timed;
    // At most the priority of every LPI with events (a bound, not kept exact): when it does not beat a limit, no
    // event can, and a look for one is spared. (disabled_lpi: none.)
    unsigned timed_floor = 0x100;
    sc_time pruned_at = sc_core::sc_max_time(); // kernel time of the last prune_timed() pass
    const sc_time max_time = sc_core::sc_max_time();
    sc_time nirq_at;                       // when the current rise of nIRQ becomes visible
    lru_cache<unsigned, std::uint8_t> cache; // LPI configuration cache: INTID -> configuration byte
    // Bumped by every invalidation of the cache: a configuration read that waited (memory without DMI) across
    // one is used but not cached (it may be what the invalidation was for).
    std::uint64_t cache_generation = 0;

    // Redistributor engine: pending-table load, write-back of bytes the CPU interface changed, INVLPIR/INVALLR.
    bool load_requested = false;
    bool rd_busy = false;
    std::vector<std::uint32_t> wb_ring; // byte indices to write back (capacity: table bytes, each queued once)
    std::vector<bool> wb_queued;
    std::size_t wb_head = 0, wb_count = 0;
    std::array<rd_op, 16> ops{};
    std::size_t ops_head = 0, ops_count = 0;
    sc_core::sc_event rd_ev, lpi_ready_ev;
    tlm::tlm_generic_payload pl_rd; // accesses of the redistributor engine
    // Payloads for lpi_sink_if calls: one per caller in flight (ITS command and translation threads, several
    // ITSes), so a memory target that waits inside b_transport never sees a payload reused under it.
    std::array<tlm::tlm_generic_payload, 8> pl_pool;
    std::array<bool, 8> pl_busy{};
    struct lease {
        impl& m;
        std::size_t i;
        tlm::tlm_generic_payload& pl;
        lease(impl& owner, std::size_t n) : m(owner), i(n), pl(owner.pl_pool[n]) {}
        lease(const lease&) = delete;
        lease& operator=(const lease&) = delete;
        ~lease() { m.pl_busy[i] = false; }
    };
    lease payload() {
        for (std::size_t n = 0; n < pl_busy.size(); ++n)
            if (!pl_busy[n]) {
                pl_busy[n] = true;
                return lease(*this, n);
            }
        throw std::logic_error(std::string(g.name()) + ": more than 8 concurrent LPI requests");
    }

    // Registers.
    register_bank gicd;
    register_bank gicr;
    std::vector<std::unique_ptr<reg>> regs;
    reg d_ctlr, d_typer, d_iidr, d_typer2, d_statusr;
    reg r_ctlr, r_iidr, r_typer, r_statusr, r_waker, r_propbaser, r_pendbaser, r_invlpir, r_invallr, r_syncr;

    impl(gicv3& owner, const params& prm);

    sc_time offset_of(const access_ctx& ctx) const { return ctx.time - kernel_time(); }

    // ---- Register declaration helpers ---------------------------------------------------------------------
    reg& add(register_bank& bank, const std::string& name, std::uint64_t off, unsigned width, std::uint64_t reset,
             std::uint64_t writable) {
        regs.push_back(std::make_unique<reg>(bank, name, off, width, reset, writable));
        return *regs.back();
    }
    void add_bits(register_bank& bank, const char* name, std::uint64_t base, unsigned n, bitop op);
    void add_group(register_bank& bank, const char* name, std::uint64_t base, unsigned n);
    void add_priority(register_bank& bank, const char* name, std::uint64_t base, unsigned n);
    void add_config(register_bank& bank, const char* name, std::uint64_t off, unsigned n, bool read_only_edge);
    void add_ids(register_bank& bank, std::uint64_t base);

    // ---- State ---------------------------------------------------------------------------------------------
    bool grp1_enabled() const { return d_ctlr.get() & CTLR_ENABLE_G1; }
    bool asleep() const { return r_waker.get() & WAKER_CHILDREN_ASLEEP; }
    bool routed_here(unsigned intid) const {
        const std::uint64_t r = w[intid].route;
        return (r & IROUTER_IRM) || (r & IROUTER_MASK) == 0; // 1-of-N, or affinity 0.0.0.0 (the only PE)
    }
    bool lpi_in_range(unsigned intid) const {
        return lpi_bits >= 14 && intid >= first_lpi && intid < (1u << lpi_bits);
    }
    bool lpi_pending(unsigned intid) const { return intid < pend.size() && pend.test(intid); }
    void set_pend_bit(unsigned intid, bool on) { pend.set(intid, on); }
    bool has_timed(unsigned intid) const { return timed.has(intid); }
    /// Priority of pending LPI intid from the configuration it was made pending with; disabled_lpi (above every
    /// priority limit) when its configuration has it disabled.
    static constexpr unsigned disabled_lpi = 0x100;
    unsigned lpi_priority(unsigned intid) const {
        const std::uint8_t c = cfg[intid - first_lpi];
        return (c & 1) ? (c & 0xfcu) : disabled_lpi;
    }
    void add_timed(unsigned intid, const sc_time& at) {
        if (timed.empty())
            timed_floor = disabled_lpi;
        timed.add(intid, at);
        timed_floor = std::min(timed_floor, lpi_priority(intid));
    }
    /// LPI intid's configuration byte (the one it is pending with).
    void set_cfg(unsigned intid, std::uint8_t c) {
        cfg[intid - first_lpi] = c;
        if (has_timed(intid))
            timed_floor = std::min(timed_floor, lpi_priority(intid));
    }
    /// Remove intid's events at or before `upto`; true if later ones remain.
    bool consume_timed(unsigned intid, const sc_time& upto) { return timed.consume(intid, upto); }
    void prune_timed() {
        // Nothing to do before the kernel moves on: every event added since the last pass lies ahead of it.
        const sc_time& now = kernel_time();
        if (timed.empty() || now == pruned_at)
            return;
        pruned_at = now;
        // Events the kernel has passed only say "pending from before" (time zero); an INTID left with nothing
        // else needs no entry at all (its pending bit says the same), otherwise one such marker is enough. So the
        // list holds only what lies ahead of the kernel, however often an LPI nobody takes is rung.
        timed.prune(now);
    }
    /// Highest-priority interrupt deliverable at time `at` (priority beats the running priority), or spurious;
    /// `later` (when given) becomes the earliest time an LPI that beats the running priority but is not yet
    /// pending at `at` will be (unchanged when there is none).
    unsigned best(const sc_time& at, unsigned* prio_out = nullptr, sc_time* later = nullptr) const;
    /// Tracing: interrupt `intid` became pending (request arrived at `t0`); nIRQ rises deliver_latency after
    /// `offset` when this made it rise.
    void trace_pending(const char* what, unsigned intid, bool nirq_before, const sc_time& t0,
                       const sc_time& offset) const {
        const bool raised = !nirq_before && g.irq.level();
        const sc_time end =
            kernel_time() + offset + (raised ? g.cycles(p.deliver_latency) : sc_core::SC_ZERO_TIME);
        trace::span(trace::track::gic, what, t0, end,
                    {{"intid", intid},
                     {"deliverable", best(kernel_time() + offset) != cpu_interrupt_if::spurious},
                     {"nirq_raised", raised}});
    }
    /// Re-evaluate nIRQ at sc_time_stamp() + offset: high deliver_latency after an interrupt is deliverable
    /// (now, or at the time a decoupled ITS made an LPI pending), low when none is or will be.
    void update(const sc_time& offset) {
        sc_time later = max_time;
        const bool deliverable = best(kernel_time() + offset, nullptr, &later) != cpu_interrupt_if::spurious;
        drive_nirq(offset, deliverable, later);
    }
    /// update() right after LPI intid became pending at sc_time_stamp() + offset: when it beats the running
    /// priority it is deliverable then, and that is all update() would find out (nIRQ rises deliver_latency
    /// after that time, whatever else is pending); otherwise update() itself.
    void update_after_pending(const sc_time& offset, unsigned intid) {
        const unsigned running_limit = running.empty() ? idle_priority : running.back().prio;
        if (grp1_enabled() && !asleep() && lpi_priority(intid) < running_limit)
            drive_nirq(offset, true, max_time);
        else
            update(offset);
    }
    /// update() right after an acknowledge at sc_time_stamp() + offset took an interrupt of priority `prio`:
    /// nothing is deliverable at that time any more (whatever was had at most that priority, which now runs),
    /// so only LPIs a decoupled ITS makes pending later can raise nIRQ again. The same answer, without best().
    void update_after_acknowledge(const sc_time& offset, unsigned prio) {
        const sc_time at = kernel_time() + offset;
        sc_time later = max_time;
        if (grp1_enabled() && !asleep() && lpis_enabled && lpi_ready && timed_floor < prio)
            timed.scan(at, [](unsigned) {}, [&](unsigned intid, const sc_time& t) {
                if (!lpi_pending(intid) || lpi_priority(intid) >= prio)
                    return false;
                later = t;
                return true;
            });
        drive_nirq(offset, false, later);
    }
    /// nIRQ for an interrupt deliverable at sc_time_stamp() + offset, or else one that will be at `later`
    /// (max_time: none).
    void drive_nirq(const sc_time& offset, bool deliverable, const sc_time& later) {
        const sc_time now = kernel_time(), at = now + offset;
        // A fall is never recorded before the rise it undoes (a CPU may look before the rise is visible).
        const sc_time fall = nirq_at > at ? nirq_at - now : offset;
        if (!deliverable && later == max_time) {
            if (g.irq.level())
                g.irq.set(false, fall);
            return;
        }
        const sc_time rise = (deliverable ? at : later) + g.cycles(p.deliver_latency);
        if (g.irq.level()) {
            if ((deliverable && nirq_at <= rise) || nirq_at == rise)
                return; // visible early enough, or already rising exactly then
            // Nothing until `later`, or visible too late: fall (not before the rise it undoes) and rise again.
            g.irq.set(false, fall);
        }
        nirq_at = rise;
        g.irq.set(true, rise - now);
    }

    // ---- LPIs ----------------------------------------------------------------------------------------------
    dmi_cache dmi; // configuration and pending tables in RAM: served directly once granted
    bool mem_access(tlm::tlm_generic_payload& pl, tlm::tlm_command cmd, std::uint64_t addr, void* data,
                    unsigned len, sc_time& offset) {
        return dmi.access(g.mem, pl, cmd, addr, data, len, offset);
    }
    /// Configuration byte of LPI intid: from the cache, or read from the configuration table.
    bool lpi_config(tlm::tlm_generic_payload& pl, unsigned intid, std::uint8_t& c, sc_time& offset);
    void cache_drop(unsigned intid) {
        ++cache_generation;
        cache.erase(intid);
    }
    void cache_flush() {
        ++cache_generation;
        cache.clear();
    }
    void write_pending_byte(tlm::tlm_generic_payload& pl, std::size_t byte, sc_time& offset);
    /// Byte `byte` of the pending table changed under an acknowledge: written at once when a granted DMI region
    /// covers it (a copy; the acknowledge never waits for memory), else queued for the redistributor engine
    /// (as it is while an earlier write-back of that byte waits there: that one carries the current byte).
    void write_back(std::size_t byte) {
        if (!wb_queued[byte]) {
            std::uint8_t v = pend_byte(byte);
            sc_time unused = sc_core::SC_ZERO_TIME; // off the CPU's path: its time does not pass
            if (dmi.access(tlm::TLM_WRITE_COMMAND, pend_pa + byte, &v, 1, unused))
                return;
        }
        queue_writeback(byte);
    }
    void queue_writeback(std::size_t byte) {
        if (wb_queued[byte])
            return;
        wb_queued[byte] = true;
        wb_ring[(wb_head + wb_count) % wb_ring.size()] = static_cast<std::uint32_t>(byte);
        ++wb_count;
        rd_ev.notify(sc_core::SC_ZERO_TIME);
    }
    std::uint8_t pend_byte(std::size_t byte) const {
        return static_cast<std::uint8_t>(pend.word(byte / 8) >> (8 * (byte % 8)));
    }
    void enable_lpis(const sc_time& offset);
    void invalidate_one(tlm::tlm_generic_payload& pl, unsigned intid, sc_time& offset);
    void invalidate_all(tlm::tlm_generic_payload& pl, sc_time& offset);
    bool wait_ready(sc_time& offset) {
        if (lpi_ready)
            return true;
        // The pending table is being loaded: the caller (an engine thread) waits for it.
        sc_core::wait(offset);
        offset = sc_core::SC_ZERO_TIME;
        while (lpis_enabled && !lpi_ready)
            sc_core::wait(lpi_ready_ev);
        return lpi_ready;
    }
    bool rd_has_work() const { return load_requested || ops_count || wb_count; }
    void rd_thread();
    void load_pending_table(sc_time& offset);

    // ---- Inspection ----------------------------------------------------------------------------------------
    /// Configuration the redistributor uses for LPI intid (pending snapshot, cache, else the table by debug read).
    std::uint8_t known_config(unsigned intid) const;
};

gicv3::impl::impl(gicv3& owner, const params& prm)
    : g(owner), p(prm), num_wired(first_spi + prm.num_spis), w(first_spi + prm.num_spis),
      wcand(first_spi + prm.num_spis),
      cache(prm.lpi_cache_entries), gicd("gicd", 0x10000, sizes_148), gicr("gicr", 0x20000, sizes_148),
      d_ctlr(gicd, "GICD_CTLR", GICD_CTLR, 4, CTLR_DS, CTLR_ENABLE_G0 | CTLR_ENABLE_G1 | CTLR_ARE),
      d_typer(gicd, "GICD_TYPER", GICD_TYPER, 4,
              (((num_wired + 31) / 32 - 1) & 0x1f) | (1u << 17) | ((prm.lpi_id_bits - 1u) << 19) | (1u << 24), 0),
      d_iidr(gicd, "GICD_IIDR", GICD_IIDR, 4, IIDR_VALUE, 0), d_typer2(gicd, "GICD_TYPER2", GICD_TYPER2, 4, 0, 0),
      d_statusr(gicd, "GICD_STATUSR", GICD_STATUSR, 4, 0, 0),
      r_ctlr(gicr, "GICR_CTLR", GICR_CTLR, 4, GICR_CTLR_IR, GICR_CTLR_ENABLE_LPIS),
      r_iidr(gicr, "GICR_IIDR", GICR_IIDR, 4, IIDR_VALUE, 0),
      r_typer(gicr, "GICR_TYPER", GICR_TYPER, 8, GICR_TYPER_PLPIS | GICR_TYPER_LAST, 0),
      r_statusr(gicr, "GICR_STATUSR", GICR_STATUSR, 4, 0, 0),
      r_waker(gicr, "GICR_WAKER", GICR_WAKER, 4, WAKER_PROCESSOR_SLEEP | WAKER_CHILDREN_ASLEEP,
              WAKER_PROCESSOR_SLEEP),
      r_propbaser(gicr, "GICR_PROPBASER", GICR_PROPBASER, 8, 0, PROPBASER_WRITABLE),
      r_pendbaser(gicr, "GICR_PENDBASER", GICR_PENDBASER, 8, 0, PENDBASER_WRITABLE),
      r_invlpir(gicr, "GICR_INVLPIR", GICR_INVLPIR, 8, 0, 0), r_invallr(gicr, "GICR_INVALLR", GICR_INVALLR, 8, 0, 0),
      r_syncr(gicr, "GICR_SYNCR", GICR_SYNCR, 4, 0, 0) {
    gicd.set_owner(g.name());
    gicr.set_owner(g.name());
    running.reserve(idle_priority + 2);

    // ---- Distributor ----
    d_ctlr.on_write([this](const reg_write& wr) {
        if ((wr.new_value & (CTLR_ENABLE_G0 | CTLR_ENABLE_G1)) && !(wr.new_value & CTLR_ARE)) {
            guest_warning(g, "GICD_CTLR written with 0x%08llx: a group is enabled with ARE = 0; legacy operation is "
                             "not modelled, interrupts are routed by affinity",
                          ull(wr.data));
        }
        if (wr.data & ~static_cast<std::uint64_t>(CTLR_ENABLE_G0 | CTLR_ENABLE_G1 | CTLR_ARE | CTLR_DS) &
            0xffffffffu & wr.bytemask)
            guest_warning(g, "GICD_CTLR written with 0x%08llx: reserved bits ignored", ull(wr.data));
        d_ctlr.set(d_ctlr.get() | CTLR_DS);
        update(offset_of(wr.ctx));
    });
    add_group(gicd, "GICD_IGROUPR", GICD_IGROUPR, 32);
    add_bits(gicd, "GICD_ISENABLER", GICD_ISENABLER, 32, bitop::set_enable);
    add_bits(gicd, "GICD_ICENABLER", GICD_ICENABLER, 32, bitop::clear_enable);
    add_bits(gicd, "GICD_ISPENDR", GICD_ISPENDR, 32, bitop::set_pending);
    add_bits(gicd, "GICD_ICPENDR", GICD_ICPENDR, 32, bitop::clear_pending);
    add_bits(gicd, "GICD_ISACTIVER", GICD_ISACTIVER, 32, bitop::set_active);
    add_bits(gicd, "GICD_ICACTIVER", GICD_ICACTIVER, 32, bitop::clear_active);
    add_priority(gicd, "GICD_IPRIORITYR", GICD_IPRIORITYR, 255);
    for (unsigned k = 0; k < 64; ++k)
        add_config(gicd, "GICD_ICFGR", GICD_ICFGR + 4 * k, k, false);
    for (unsigned n = 0; n < 32; ++n)
        add(gicd, "GICD_IGRPMODR" + std::to_string(n), GICD_IGRPMODR + 4 * n, 4, 0, 0);
    for (unsigned intid = first_spi; intid < 1020; ++intid) {
        const std::string name = "GICD_IROUTER" + std::to_string(intid);
        if (intid >= num_wired) {
            add(gicd, name, GICD_IROUTER + 8 * intid, 8, 0, 0);
            continue;
        }
        reg& r = add(gicd, name, GICD_IROUTER + 8 * intid, 8, 0, IROUTER_MASK);
        r.on_write([this, intid](const reg_write& wr) {
            w[intid].route = wr.new_value;
            if (wr.data & ~IROUTER_MASK & wr.bytemask)
                guest_warning(g, "GICD_IROUTER%u written with 0x%016llx: reserved bits ignored", intid, ull(wr.data));
            update(offset_of(wr.ctx));
        });
    }
    add_ids(gicd, 0);

    // ---- Redistributor RD_base ----
    r_ctlr.on_write([this](const reg_write& wr) {
        if ((wr.old_value & GICR_CTLR_ENABLE_LPIS) && !(wr.new_value & GICR_CTLR_ENABLE_LPIS)) {
            guest_warning(g, "GICR_CTLR written with 0x%08llx: EnableLPIs cannot be cleared once set in this "
                             "implementation; it stays 1",
                          ull(wr.data));
            r_ctlr.set(r_ctlr.get() | GICR_CTLR_ENABLE_LPIS);
        } else if (!(wr.old_value & GICR_CTLR_ENABLE_LPIS) && (wr.new_value & GICR_CTLR_ENABLE_LPIS)) {
            enable_lpis(offset_of(wr.ctx));
        }
    });
    r_waker.on_write([this](const reg_write& wr) {
        if (wr.data & ~static_cast<std::uint64_t>(WAKER_PROCESSOR_SLEEP | WAKER_CHILDREN_ASLEEP) & wr.bytemask &
            0xffffffffu)
            guest_warning(g, "GICR_WAKER written with 0x%08llx: reserved bits ignored", ull(wr.data));
        // The handshake completes at once: ChildrenAsleep follows ProcessorSleep.
        const bool sleep = wr.new_value & WAKER_PROCESSOR_SLEEP;
        r_waker.set(sleep ? (WAKER_PROCESSOR_SLEEP | WAKER_CHILDREN_ASLEEP) : 0);
        update(offset_of(wr.ctx));
    });
    r_propbaser.on_write([this](const reg_write& wr) {
        if (lpis_enabled) {
            guest_warning(g, "GICR_PROPBASER written with 0x%016llx while GICR_CTLR.EnableLPIs = 1: the write is "
                             "ignored",
                          ull(wr.data));
            r_propbaser.set(wr.old_value);
            return;
        }
        if (wr.data & ~PROPBASER_WRITABLE & wr.bytemask)
            guest_warning(g, "GICR_PROPBASER written with 0x%016llx: reserved bits ignored", ull(wr.data));
        if ((wr.bytemask & 0xff) && (wr.new_value & PROPBASER_IDBITS) < 13)
            guest_warning(g, "GICR_PROPBASER written with 0x%016llx: IDbits %llu gives %llu INTID bits, fewer than "
                             "the 14 LPIs need; no LPI will be in range",
                          ull(wr.data), ull(wr.new_value & PROPBASER_IDBITS), ull((wr.new_value & PROPBASER_IDBITS) + 1));
    });
    r_pendbaser.on_write([this](const reg_write& wr) {
        if (lpis_enabled) {
            guest_warning(g, "GICR_PENDBASER written with 0x%016llx while GICR_CTLR.EnableLPIs = 1: the write is "
                             "ignored",
                          ull(wr.data));
            r_pendbaser.set(wr.old_value);
            return;
        }
        if (wr.data & ~(PENDBASER_WRITABLE | PENDBASER_PTZ) & wr.bytemask)
            guest_warning(g, "GICR_PENDBASER written with 0x%016llx: reserved bits ignored (the pending table must "
                             "be 64 KiB aligned)",
                          ull(wr.data));
        if (wr.bytemask & PENDBASER_PTZ)
            ptz = wr.data & PENDBASER_PTZ; // write-only, reads 0
    });
    r_invlpir.on_write([this](const reg_write& wr) {
        const std::uint64_t v = wr.data & wr.bytemask;
        if (v >> 32) {
            guest_warning(g, "GICR_INVLPIR written with 0x%016llx: virtual LPIs are not supported; ignored", ull(v));
            return;
        }
        const unsigned intid = static_cast<unsigned>(v);
        if (!lpis_enabled || !lpi_in_range(intid))
            return; // architecturally ignored
        if (ops_count == ops.size()) {
            guest_warning(g, "GICR_INVLPIR written with 0x%016llx while %zu invalidations are outstanding; ignored "
                             "(poll GICR_SYNCR)",
                          ull(v), ops_count);
            return;
        }
        ops[(ops_head + ops_count++) % ops.size()] = rd_op{rd_op_kind::inv, intid};
        rd_ev.notify(offset_of(wr.ctx));
    });
    r_invallr.on_write([this](const reg_write& wr) {
        if ((wr.data & wr.bytemask) >> 32) {
            guest_warning(g, "GICR_INVALLR written with 0x%016llx: virtual LPIs are not supported; ignored",
                          ull(wr.data));
            return;
        }
        if (!lpis_enabled)
            return;
        if (ops_count == ops.size()) {
            guest_warning(g, "GICR_INVALLR written while %zu invalidations are outstanding; ignored (poll "
                             "GICR_SYNCR)",
                          ops_count);
            return;
        }
        ops[(ops_head + ops_count++) % ops.size()] = rd_op{rd_op_kind::invall, 0};
        rd_ev.notify(offset_of(wr.ctx));
    });
    r_syncr.on_read([this](const access_ctx&) -> std::uint64_t { return (rd_busy || rd_has_work()) ? 1 : 0; });
    add_ids(gicr, 0);

    // ---- Redistributor SGI_base ----
    add_group(gicr, "GICR_IGROUPR0", GICR_IGROUPR0, 1);
    add_bits(gicr, "GICR_ISENABLER0", GICR_ISENABLER0, 1, bitop::set_enable);
    add_bits(gicr, "GICR_ICENABLER0", GICR_ICENABLER0, 1, bitop::clear_enable);
    add_bits(gicr, "GICR_ISPENDR0", GICR_ISPENDR0, 1, bitop::set_pending);
    add_bits(gicr, "GICR_ICPENDR0", GICR_ICPENDR0, 1, bitop::clear_pending);
    add_bits(gicr, "GICR_ISACTIVER0", GICR_ISACTIVER0, 1, bitop::set_active);
    add_bits(gicr, "GICR_ICACTIVER0", GICR_ICACTIVER0, 1, bitop::clear_active);
    add_priority(gicr, "GICR_IPRIORITYR", GICR_IPRIORITYR, 8);
    add_config(gicr, "GICR_ICFGR0", GICR_ICFGR0, 0, true);
    add_config(gicr, "GICR_ICFGR1", GICR_ICFGR1, 1, false);
    add(gicr, "GICR_IGRPMODR0", GICR_IGRPMODR0, 4, 0, 0);
    add(gicr, "GICR_NSACR", GICR_NSACR, 4, 0, 0);
    for (unsigned i = 0; i < first_spi; ++i)
        w[i].edge = i < 16; // SGIs are edge-triggered
}

void gicv3::impl::add_bits(register_bank& bank, const char* name, std::uint64_t base, unsigned n, bitop op) {
    const bool distributor = &bank == &gicd;
    for (unsigned k = 0; k < n; ++k) {
        const unsigned first = 32 * k;
        const std::string rn = std::string(name) + (distributor ? std::to_string(k) : "");
        // With affinity routing, the distributor's view of INTIDs 0-31 is RAZ/WI (they live in the redistributor).
        if ((distributor && k == 0) || first >= num_wired) {
            add(bank, rn, base + 4 * k, 4, 0, 0);
            continue;
        }
        reg& r = add(bank, rn, base + 4 * k, 4, 0, 0);
        r.on_read([this, first, op](const access_ctx&) -> std::uint64_t {
            std::uint64_t v = 0;
            for (unsigned b = 0; b < 32 && first + b < num_wired; ++b) {
                const wired& x = w[first + b];
                bool bit = false;
                switch (op) {
                case bitop::set_enable:
                case bitop::clear_enable: bit = x.enabled; break;
                case bitop::set_pending:
                case bitop::clear_pending: bit = x.pending(); break;
                case bitop::set_active:
                case bitop::clear_active: bit = x.active; break;
                }
                v |= static_cast<std::uint64_t>(bit) << b;
            }
            return v;
        });
        r.on_write([this, first, op](const reg_write& wr) {
            std::uint64_t bits = wr.data & wr.bytemask & 0xffffffffu;
            while (bits) {
                const unsigned b = static_cast<unsigned>(__builtin_ctzll(bits));
                bits &= bits - 1;
                if (first + b >= num_wired)
                    break; // INTIDs 1020-1023 are special
                wired& x = w[first + b];
                switch (op) {
                case bitop::set_enable: x.enabled = true; break;
                case bitop::clear_enable: x.enabled = false; break;
                case bitop::set_pending: x.latch = true; break;
                case bitop::clear_pending: x.latch = false; break;
                case bitop::set_active: x.active = true; break;
                case bitop::clear_active: x.active = false; break;
                }
                refresh(first + b);
            }
            update(offset_of(wr.ctx));
        });
    }
}

void gicv3::impl::add_group(register_bank& bank, const char* name, std::uint64_t base, unsigned n) {
    const bool distributor = &bank == &gicd;
    for (unsigned k = 0; k < n; ++k) {
        const std::string rn = std::string(name) + (distributor ? std::to_string(k) : "");
        if ((distributor && k == 0) || 32 * k >= num_wired) {
            add(bank, rn, base + 4 * k, 4, 0, 0);
            continue;
        }
        // Every interrupt is Group 1 (RAO/WI): Group 0 is not modelled.
        reg& r = add(bank, rn, base + 4 * k, 4, 0xffffffffu, 0);
        r.on_write([this, rn](const reg_write& wr) {
            if (~wr.data & wr.bytemask & 0xffffffffu)
                guest_warning(g, "%s written with 0x%08llx: Group 0 is not modelled, every interrupt stays in "
                                 "Group 1",
                              rn.c_str(), ull(wr.data));
        });
    }
}

void gicv3::impl::add_priority(register_bank& bank, const char* name, std::uint64_t base, unsigned n) {
    const bool distributor = &bank == &gicd;
    for (unsigned k = 0; k < n; ++k) {
        const unsigned first = 4 * k;
        const std::string rn = std::string(name) + std::to_string(k);
        if ((distributor && first < first_spi) || first >= num_wired) {
            add(bank, rn, base + 4 * k, 4, 0, 0);
            continue;
        }
        reg& r = add(bank, rn, base + 4 * k, 4, 0, 0);
        r.on_read([this, first](const access_ctx&) -> std::uint64_t {
            std::uint64_t v = 0;
            for (unsigned j = 0; j < 4 && first + j < num_wired; ++j)
                v |= static_cast<std::uint64_t>(w[first + j].prio) << (8 * j);
            return v;
        });
        r.on_write([this, first](const reg_write& wr) {
            for (unsigned j = 0; j < 4 && first + j < num_wired; ++j)
                if ((wr.bytemask >> (8 * j)) & 0xff)
                    w[first + j].prio = static_cast<std::uint8_t>(wr.data >> (8 * j));
            update(offset_of(wr.ctx));
        });
    }
}

void gicv3::impl::add_config(register_bank& bank, const char* name, std::uint64_t off, unsigned k,
                             bool read_only_edge) {
    const bool distributor = &bank == &gicd;
    const unsigned first = 16 * k;
    const std::string rn = std::string(name) + (distributor ? std::to_string(k) : "");
    if (read_only_edge) {
        add(bank, rn, off, 4, 0xaaaaaaaau, 0); // SGIs: always edge-triggered
        return;
    }
    if ((distributor && first < first_spi) || first >= num_wired) {
        add(bank, rn, off, 4, 0, 0);
        return;
    }
    reg& r = add(bank, rn, off, 4, 0, 0);
    r.on_read([this, first](const access_ctx&) -> std::uint64_t {
        std::uint64_t v = 0;
        for (unsigned j = 0; j < 16 && first + j < num_wired; ++j)
            v |= static_cast<std::uint64_t>(w[first + j].edge) << (2 * j + 1);
        return v;
    });
    r.on_write([this, first, rn](const reg_write& wr) {
        if (wr.data & 0x55555555u & wr.bytemask)
            guest_warning(g, "%s written with 0x%08llx: the even bits are reserved and ignored", rn.c_str(),
                          ull(wr.data));
        for (unsigned j = 0; j < 16 && first + j < num_wired; ++j) {
            if (!((wr.bytemask >> (2 * j)) & 0x3))
                continue;
            wired& x = w[first + j];
            const bool edge = (wr.data >> (2 * j + 1)) & 1;
            if (edge != x.edge && x.enabled)
                guest_warning(g, "%s written with 0x%08llx: INTID %u changes trigger mode while enabled", rn.c_str(),
                              ull(wr.data), first + j);
            x.edge = edge;
            refresh(first + j);
        }
        update(offset_of(wr.ctx));
    });
}

void gicv3::impl::add_ids(register_bank& bank, std::uint64_t base) {
    const std::string prefix = &bank == &gicd ? "GICD_" : "GICR_";
    for (const id_reg& r : ID_REGS)
        add(bank, prefix + r.name, base + r.off, 4, r.value, 0);
}

unsigned gicv3::impl::best(const sc_time& at, unsigned* prio_out, sc_time* later) const {
    if (!grp1_enabled() || asleep())
        return cpu_interrupt_if::spurious;
    const unsigned running_limit = running.empty() ? idle_priority : running.back().prio;
    unsigned limit = running_limit;
    unsigned id = cpu_interrupt_if::spurious;
    // Equal priorities: the lowest INTID wins (wired INTIDs are below every LPI).
    wcand.for_each([&](std::size_t n) {
        const unsigned i = static_cast<unsigned>(n);
        const wired& x = w[i];
        if (x.prio < limit && (i < first_spi || routed_here(i))) {
            limit = x.prio;
            id = i;
        }
    });
    if (lpis_enabled && lpi_ready) {
        // LPIs pending from before any CPU can look: those without events (a word of each at a time).
        pend.for_each_word([&](std::size_t k, std::uint64_t bits) {
            for (bits &= ~timed.word(k); bits; bits &= bits - 1) {
                const unsigned intid = static_cast<unsigned>(k * 64 + static_cast<unsigned>(__builtin_ctzll(bits)));
                const unsigned prio = lpi_priority(intid);
                if (prio < limit) {
                    limit = prio;
                    id = intid;
                }
            }
        });
        // The others: pending at `at` when one of their events lies at or before it. `later` is the earliest
        // event ahead of `at` (it only counts when nothing is deliverable at `at`, and then every event lies
        // ahead of it).
        timed.scan(
            at,
            [&](unsigned intid) {
                if (!lpi_pending(intid))
                    return;
                const unsigned prio = lpi_priority(intid);
                if (prio < limit || (prio == limit && prio < running_limit && intid < id)) {
                    limit = prio;
                    id = intid;
                }
            },
            [&](unsigned intid, const sc_time& t) {
                if (!later)
                    return true; // not asked for
                if (!lpi_pending(intid) || lpi_priority(intid) >= running_limit)
                    return false;
                if (t < *later)
                    *later = t;
                return true; // in time order: the earliest
            });
    }
    if (prio_out)
        *prio_out = limit;
    return id;
}

bool gicv3::impl::lpi_config(tlm::tlm_generic_payload& pl, unsigned intid, std::uint8_t& c, sc_time& offset) {
    if (const std::uint8_t* hit = cache.find(intid)) {
        c = *hit;
        return true;
    }
    const std::uint64_t addr = prop_pa + (intid - first_lpi);
    const std::uint64_t generation = cache_generation;
    if (!mem_access(pl, tlm::TLM_READ_COMMAND, addr, &c, 1, offset)) {
        guest_warning(g, "reading the configuration of LPI %u at 0x%llx (GICR_PROPBASER 0x%016llx) failed", intid,
                      ull(addr), ull(r_propbaser.get()));
        return false;
    }
    if (generation == cache_generation)
        cache.insert(intid, c);
    return true;
}

void gicv3::impl::write_pending_byte(tlm::tlm_generic_payload& pl, std::size_t byte, sc_time& offset) {
    std::uint8_t v = pend_byte(byte);
    const std::uint64_t addr = pend_pa + byte;
    if (!mem_access(pl, tlm::TLM_WRITE_COMMAND, addr, &v, 1, offset))
        guest_warning(g, "writing the LPI pending table at 0x%llx (GICR_PENDBASER 0x%016llx) failed", ull(addr),
                      ull(r_pendbaser.get()));
}

void gicv3::impl::enable_lpis(const sc_time& offset) {
    lpis_enabled = true;
    const unsigned idbits = static_cast<unsigned>(r_propbaser.get() & PROPBASER_IDBITS) + 1;
    lpi_bits = std::min(p.lpi_id_bits, idbits);
    prop_pa = r_propbaser.get() & PROPBASER_PA;
    pend_pa = r_pendbaser.get() & PENDBASER_PA;
    if (lpi_bits < 14) {
        guest_warning(g, "GICR_CTLR.EnableLPIs set with GICR_PROPBASER 0x%016llx: %u INTID bits leave no LPI in range",
                      ull(r_propbaser.get()), lpi_bits);
        lpi_ready = true;
        return;
    }
    const std::size_t ids = std::size_t{1} << lpi_bits;
    pend.assign(ids);
    timed.assign(ids);
    cfg.assign(ids - first_lpi, 0);
    wb_ring.assign(ids / 8, 0);
    wb_queued.assign(ids / 8, false);
    wb_head = wb_count = 0;
    if (ptz) {
        lpi_ready = true; // the pending table is known to be zero
        return;
    }
    load_requested = true;
    rd_ev.notify(offset);
}

void gicv3::impl::load_pending_table(sc_time& offset) {
    // The first 1 KiB of the table (INTIDs 0-8191) is not used for LPIs.
    const std::size_t first_byte = first_lpi / 8, bytes = pend.words() * 8 - first_byte;
    std::vector<std::uint8_t> buf(bytes);
    if (!mem_access(pl_rd, tlm::TLM_READ_COMMAND, pend_pa + first_byte, buf.data(), static_cast<unsigned>(bytes),
                    offset)) {
        guest_warning(g, "reading the LPI pending table at 0x%llx (GICR_PENDBASER 0x%016llx) failed; no LPI is "
                         "pending",
                      ull(pend_pa), ull(r_pendbaser.get()));
        return;
    }
    for (std::size_t i = 0; i < bytes; ++i) {
        for (unsigned b = 0; b < 8; ++b) {
            if (!((buf[i] >> b) & 1))
                continue;
            const unsigned intid = static_cast<unsigned>((first_byte + i) * 8 + b);
            std::uint8_t c = 0;
            if (lpi_config(pl_rd, intid, c, offset)) {
                set_pend_bit(intid, true);
                set_cfg(intid, c);
            }
        }
    }
}

void gicv3::impl::invalidate_one(tlm::tlm_generic_payload& pl, unsigned intid, sc_time& offset) {
    cache_drop(intid);
    if (!lpi_pending(intid))
        return;
    std::uint8_t c = 0;
    if (lpi_config(pl, intid, c, offset))
        set_cfg(intid, c);
    update(offset);
}

void gicv3::impl::invalidate_all(tlm::tlm_generic_payload& pl, sc_time& offset) {
    cache_flush();
    pend.for_each([&](std::size_t n) {
        const unsigned intid = static_cast<unsigned>(n);
        std::uint8_t c = 0;
        if (lpi_config(pl, intid, c, offset))
            set_cfg(intid, c);
    });
    update(offset);
}

void gicv3::impl::rd_thread() {
    // One activation does the work queued so far, one item after the other in local time, and synchronises
    // once at the end (or when a quantum ahead): write-backs queued by a burst of acknowledges cost one yield.
    for (;;) {
        while (!rd_has_work())
            sc_core::wait(rd_ev);
        rd_busy = true;
        sc_time offset = sc_core::SC_ZERO_TIME;
        do { // at least one item per activation (a zero quantum still makes progress)
            if (load_requested) {
                load_requested = false;
                load_pending_table(offset);
                lpi_ready = true;
                lpi_ready_ev.notify(offset);
                update(offset);
            } else if (ops_count) {
                const rd_op op = ops[ops_head];
                ops_head = (ops_head + 1) % ops.size();
                --ops_count;
                if (op.kind == rd_op_kind::inv)
                    invalidate_one(pl_rd, op.intid, offset);
                else
                    invalidate_all(pl_rd, offset);
            } else {
                const std::size_t byte = wb_ring[wb_head];
                wb_head = (wb_head + 1) % wb_ring.size();
                --wb_count;
                wb_queued[byte] = false;
                write_pending_byte(pl_rd, byte, offset);
            }
        } while (rd_has_work() && offset < global_quantum());
        sc_core::wait(offset);
        rd_busy = false;
    }
}

std::uint8_t gicv3::impl::known_config(unsigned intid) const {
    if (lpi_pending(intid))
        return cfg[intid - first_lpi];
    if (const std::uint8_t* hit = cache.peek(intid))
        return *hit;
    if (!lpis_enabled)
        return 0;
    std::uint8_t c = 0;
    tlm::tlm_generic_payload pl;
    pl.set_command(tlm::TLM_READ_COMMAND);
    pl.set_address(prop_pa + (intid - first_lpi));
    pl.set_data_ptr(&c);
    pl.set_data_length(1);
    pl.set_streaming_width(1);
    return g.mem->transport_dbg(pl) == 1 ? c : 0;
}

// ------------------------------------------------------------------------------------------------------------
// gicv3.

namespace {
void validate(const char* name, const gicv3::params& p) {
    auto bad = [name](const std::string& what) { throw std::invalid_argument(std::string(name) + ": " + what); };
    if (p.num_spis < 32 || p.num_spis > 988 || (p.num_spis % 32 && p.num_spis != 988))
        bad("num_spis must be a multiple of 32 in 32..960, or 988 (got " + std::to_string(p.num_spis) + ")");
    if (p.lpi_id_bits < 14 || p.lpi_id_bits > 24)
        bad("lpi_id_bits must be 14..24 (got " + std::to_string(p.lpi_id_bits) + ")");
}
} // namespace

gicv3::gicv3(sc_core::sc_module_name name, const params& p)
    : sc_module(name), clocked(p.clock_hz), gicd("gicd"), gicr("gicr"), mem("mem"),
      irq(std::string(this->name()) + ".irq"), p_(p) {
    validate(this->name(), p_);
    m_ = std::make_unique<impl>(*this, p_);
    gicd.register_b_transport(this, &gicv3::b_transport_cb<0>);
    gicr.register_b_transport(this, &gicv3::b_transport_cb<1>);
    gicd.register_transport_dbg(this, &gicv3::transport_dbg_cb<0>);
    gicr.register_transport_dbg(this, &gicv3::transport_dbg_cb<1>);
    mem.register_invalidate_direct_mem_ptr(this, &gicv3::invalidate_dmi_cb);
    sc_core::sc_spawn([this] { m_->rd_thread(); }, "rd_engine");
}

gicv3::~gicv3() = default;

void gicv3::invalidate_dmi_cb(sc_dt::uint64 start, sc_dt::uint64 end) { m_->dmi.invalidate(start, end); }

template <int Port>
void gicv3::b_transport_cb(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    access_ctx ctx;
    ctx.time = kernel_time() + delay;
    ctx.attr = attr_of(p);
    delay += cycles(p_.reg_latency);
    (Port == 0 ? m_->gicd : m_->gicr).transport(p, ctx);
}

template <int Port>
unsigned gicv3::transport_dbg_cb(tlm::tlm_generic_payload& p) {
    if (!p.is_read())
        return 0; // debug writes would bypass the side effects the registers stand for
    access_ctx ctx;
    ctx.time = kernel_time();
    ctx.debug = true;
    (Port == 0 ? m_->gicd : m_->gicr).transport(p, ctx);
    return p.is_response_ok() ? p.get_data_length() : 0;
}

void gicv3::irq_level(unsigned input, bool level, const sc_core::sc_time& offset) {
    if (input >= p_.num_spis)
        throw std::logic_error(std::string(name()) + ": SPI input " + std::to_string(input) + " does not exist (" +
                               std::to_string(p_.num_spis) + " SPIs)");
    impl::wired& x = m_->w[first_spi + input];
    if (x.line == level)
        return;
    x.line = level;
    if (level && x.edge)
        x.latch = true;
    m_->refresh(first_spi + input);
    const bool before = irq.level();
    m_->update(offset);
    if (level && trace::on())
        m_->trace_pending("SPI", first_spi + input, before, kernel_time() + offset, offset);
}

void gicv3::irq_edge(unsigned input, const sc_core::sc_time& offset) {
    if (input >= p_.num_spis)
        throw std::logic_error(std::string(name()) + ": SPI input " + std::to_string(input) + " does not exist (" +
                               std::to_string(p_.num_spis) + " SPIs)");
    impl::wired& x = m_->w[first_spi + input];
    if (!x.edge)
        return; // a zero-width pulse on a level-sensitive input is never seen pending
    x.latch = true;
    m_->refresh(first_spi + input);
    const bool before = irq.level();
    m_->update(offset);
    if (trace::on())
        m_->trace_pending("SPI", first_spi + input, before, kernel_time() + offset, offset);
}

unsigned gicv3::acknowledge(const sc_core::sc_time& offset) {
    unsigned prio = 0;
    const sc_core::sc_time at = kernel_time() + offset;
    const unsigned id = m_->best(at, &prio);
    if (id == spurious) {
        ++stats_.spurious;
        m_->update(offset);
        return spurious;
    }
    if (id < first_lpi) {
        impl::wired& x = m_->w[id];
        x.active = true;
        x.latch = false; // edge: pending cleared; level: stays pending while the line is high
        m_->refresh(id);
    } else if (!m_->consume_timed(id, at)) { // else: made pending again after `at`, it stays pending
        m_->set_pend_bit(id, false);
        m_->write_back(id / 8);
    }
    m_->running.push_back({id, prio});
    ++stats_.acknowledged;
    m_->update_after_acknowledge(offset, prio);
    return id;
}

void gicv3::end_of_interrupt(unsigned intid, const sc_core::sc_time& offset) {
    auto& run = m_->running;
    std::size_t i = run.size();
    while (i > 0 && run[i - 1].intid != intid)
        --i;
    if (i == 0) {
        if (intid != spurious)
            guest_warning(*this, "EOI of INTID %u, which was not acknowledged (ICC_EOIR1 ignored)", intid);
        return;
    }
    if (i != run.size())
        guest_warning(*this, "EOI of INTID %u out of order: INTID %u was acknowledged after it", intid,
                      run.back().intid);
    run.erase(run.begin() + static_cast<std::ptrdiff_t>(i - 1));
    if (intid < m_->num_wired) {
        m_->w[intid].active = false;
        m_->refresh(intid);
    }
    m_->update(offset);
}

bool gicv3::set_lpi_pending(unsigned processor, unsigned intid, sc_core::sc_time& offset) {
    impl& m = *m_;
    const sc_core::sc_time t0 = trace::on() ? kernel_time() + offset : sc_core::SC_ZERO_TIME;
    auto refused = [&](const char* why) {
        ++stats_.lpis_refused;
        if (trace::on())
            trace::instant(trace::track::gic, "LPI refused", kernel_time() + offset,
                           {{"reason", why}, {"intid", intid}, {"processor", processor}});
        return false;
    };
    if (processor != 0 || !m.lpis_enabled || !m.lpi_in_range(intid))
        return refused(processor != 0      ? "no_such_processor"
                       : !m.lpis_enabled ? "lpis_disabled"
                                         : "intid_out_of_range");
    if (!m.wait_ready(offset))
        return refused("lpis_disabled");
    std::uint8_t c = 0;
    const impl::lease l = m.payload();
    if (!m.lpi_config(l.pl, intid, c, offset))
        return refused("config_table_read_error");
    m.set_cfg(intid, c);
    ++stats_.lpis_set;
    m.prune_timed();
    const sc_core::sc_time now = kernel_time(), at = now + offset;
    if (m.lpi_pending(intid)) {
        if (m.has_timed(intid)) {
            m.add_timed(intid, at); // pending from its events: one more (at the kernel's time too)
        } else if (at > now) {
            m.add_timed(intid, sc_core::SC_ZERO_TIME); // pending from before, and again from `at`
            m.add_timed(intid, at);
        }
        m.update_after_pending(offset, intid);
        if (trace::on())
            trace::span(trace::track::gic, "LPI", t0, kernel_time() + offset,
                        {{"intid", intid}, {"already_pending", true}});
        return true;
    }
    m.set_pend_bit(intid, true);
    if (at > now)
        m.add_timed(intid, at);
    const bool before = irq.level();
    m.update_after_pending(offset, intid);
    if (trace::on())
        m.trace_pending("LPI", intid, before, t0, offset);
    m.write_pending_byte(l.pl, intid / 8, offset); // write-through, off the signalling path
    return true;
}

void gicv3::clear_lpi_pending(unsigned processor, unsigned intid, sc_core::sc_time& offset) {
    impl& m = *m_;
    if (processor != 0 || !m.lpis_enabled || !m.lpi_in_range(intid) || !m.wait_ready(offset) ||
        !m.lpi_pending(intid))
        return;
    // In time order: the pending state up to the clear goes, a set still to come after it stays.
    if (!m.consume_timed(intid, kernel_time() + offset))
        m.set_pend_bit(intid, false);
    m.update(offset);
    const impl::lease l = m.payload();
    m.write_pending_byte(l.pl, intid / 8, offset);
}

void gicv3::invalidate_lpi(unsigned processor, unsigned intid, sc_core::sc_time& offset) {
    impl& m = *m_;
    if (processor != 0 || !m.lpis_enabled || !m.lpi_in_range(intid) || !m.wait_ready(offset))
        return;
    const impl::lease l = m.payload();
    m.invalidate_one(l.pl, intid, offset);
}

void gicv3::invalidate_all_lpis(unsigned processor, sc_core::sc_time& offset) {
    impl& m = *m_;
    if (processor != 0 || !m.lpis_enabled || !m.wait_ready(offset))
        return;
    const impl::lease l = m.payload();
    m.invalidate_all(l.pl, offset);
}

void gicv3::move_lpi(unsigned from, unsigned to, unsigned intid, sc_core::sc_time& offset) {
    // One redistributor: the only legal move is onto itself, which changes nothing.
    (void)from;
    (void)to;
    (void)intid;
    (void)offset;
}

bool gicv3::is_pending(unsigned intid) const {
    if (intid < m_->num_wired)
        return m_->w[intid].pending();
    return intid >= first_lpi && m_->lpi_pending(intid);
}

bool gicv3::is_active(unsigned intid) const { return intid < m_->num_wired && m_->w[intid].active; }

bool gicv3::is_enabled(unsigned intid) const {
    if (intid < m_->num_wired)
        return m_->w[intid].enabled;
    if (intid < first_lpi || !m_->lpi_in_range(intid))
        return false;
    return m_->known_config(intid) & 1;
}

unsigned gicv3::priority(unsigned intid) const {
    if (intid < m_->num_wired)
        return m_->w[intid].prio;
    if (intid < first_lpi || !m_->lpi_in_range(intid))
        return 0;
    return m_->known_config(intid) & 0xfc;
}

} // namespace dbvp::gic
