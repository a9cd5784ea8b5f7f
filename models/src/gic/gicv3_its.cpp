// dbvp — Arm GICv3 Interrupt Translation Service. See gicv3_its.h and docs/models/gicv3_its.md.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "dbvp/gic/gicv3_its.h"

#include "dbvp/core/clocked.h"
#include "dbvp/core/dmi.h"
#include "dbvp/core/lru.h"
#include "dbvp/core/regbank.h"
#include "dbvp/core/report.h"
#include "dbvp/core/sideband.h"
#include "dbvp/core/trace.h"
#include "dbvp/util/bits.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace dbvp::gic {

namespace {

using sc_core::sc_time;

constexpr std::uint64_t bits(unsigned hi, unsigned lo) {
    return ((hi == 63 ? ~0ull : ((1ull << (hi + 1)) - 1))) & ~((1ull << lo) - 1);
}

// ---- Registers (facts 8.1) ----------------------------------------------------------------------------------
constexpr std::uint64_t GITS_CTLR = 0x0000, GITS_IIDR = 0x0004, GITS_TYPER = 0x0008, GITS_CBASER = 0x0080,
                        GITS_CWRITER = 0x0088, GITS_CREADR = 0x0090, GITS_BASER = 0x0100;
constexpr std::uint64_t TRANSLATION_FRAME = 0x10000, GITS_TRANSLATER = 0x10040;
constexpr std::uint32_t CTLR_ENABLED = 1u << 0, CTLR_QUIESCENT = 1u << 31;
constexpr std::uint64_t ATTR = bits(61, 59) | bits(55, 53) | bits(11, 10); // cacheability / shareability
constexpr std::uint64_t CBASER_VALID = 1ull << 63, CBASER_PA = bits(51, 12), CBASER_SIZE = 0xff;
constexpr std::uint64_t CBASER_WRITABLE = CBASER_VALID | ATTR | CBASER_PA | CBASER_SIZE;
constexpr std::uint64_t QUEUE_OFFSET = bits(19, 5);
constexpr std::uint64_t CWRITER_RETRY = 1ull << 0, CREADR_STALLED = 1ull << 0;
constexpr std::uint64_t BASER_VALID = 1ull << 63, BASER_INDIRECT = 1ull << 62, BASER_PA = bits(47, 12),
                        BASER_PAGE = bits(9, 8), BASER_SIZE = 0xff;
constexpr unsigned BASER_TYPE_SHIFT = 56, BASER_ENTRY_SHIFT = 48, BASER_PAGE_SHIFT = 8;
constexpr std::uint64_t BASER_WRITABLE = BASER_VALID | BASER_INDIRECT | ATTR | BASER_PA | BASER_PAGE | BASER_SIZE;
constexpr std::uint64_t BASER_TYPE_DEVICE = 1, BASER_TYPE_COLLECTION = 4;
constexpr std::uint64_t L1_VALID = 1ull << 63, L1_PA = bits(51, 12);
constexpr std::uint32_t IIDR_VALUE = (0x00u << 24) | (0x1u << 12) | 0x43bu;
constexpr unsigned entry_bytes = 8; // device and collection table entries

struct id_reg {
    std::uint64_t off;
    const char* name;
    std::uint32_t value;
};
constexpr id_reg ID_REGS[] = {
    {0xffd0, "GITS_PIDR4", 0x04}, {0xffd4, "GITS_PIDR5", 0x00}, {0xffd8, "GITS_PIDR6", 0x00},
    {0xffdc, "GITS_PIDR7", 0x00}, {0xffe0, "GITS_PIDR0", 0x00}, {0xffe4, "GITS_PIDR1", 0xb0},
    {0xffe8, "GITS_PIDR2", 0x3b}, {0xffec, "GITS_PIDR3", 0x00}, {0xfff0, "GITS_CIDR0", 0x0d},
    {0xfff4, "GITS_CIDR1", 0xf0}, {0xfff8, "GITS_CIDR2", 0x05}, {0xfffc, "GITS_CIDR3", 0xb1},
};

// ---- Commands (facts 8.2) -----------------------------------------------------------------------------------
constexpr std::uint8_t CMD_MOVI = 0x01, CMD_INT = 0x03, CMD_CLEAR = 0x04, CMD_SYNC = 0x05, CMD_MAPD = 0x08,
                       CMD_MAPC = 0x09, CMD_MAPTI = 0x0a, CMD_MAPI = 0x0b, CMD_INV = 0x0c, CMD_INVALL = 0x0d,
                       CMD_MOVALL = 0x0e, CMD_DISCARD = 0x0f;
// Error codes: architectural (facts 8.2) ...
constexpr std::uint32_t E_ITS_MOVI_UNMAPPED_INTERRUPT = 0x010107, E_ITS_MOVI_UNMAPPED_COLLECTION = 0x010109,
                        E_ITS_INT_UNMAPPED_INTERRUPT = 0x010307, E_ITS_CLEAR_UNMAPPED_INTERRUPT = 0x010507,
                        E_ITS_MAPD_DEVICE_OOR = 0x010801, E_ITS_MAPD_ITTSIZE_OOR = 0x010802,
                        E_ITS_MAPC_PROCNUM_OOR = 0x010902, E_ITS_MAPC_COLLECTION_OOR = 0x010903,
                        E_ITS_MAPTI_UNMAPPED_DEVICE = 0x010a04, E_ITS_MAPTI_ID_OOR = 0x010a05,
                        E_ITS_MAPTI_PHYSICALID_OOR = 0x010a06, E_ITS_INV_UNMAPPED_INTERRUPT = 0x010c07,
                        E_ITS_INVALL_UNMAPPED_COLLECTION = 0x010d09, E_ITS_MOVALL_PROCNUM_OOR = 0x010e01,
                        E_ITS_DISCARD_UNMAPPED_INTERRUPT = 0x010f07;
// ... and this model's own, for cases the facts give no code for (docs/models/gicv3_its.md).
constexpr std::uint32_t E_ITS_MAPTI_COLLECTION_OOR = 0x010a03, E_ITS_INT_UNMAPPED_COLLECTION = 0x010309,
                        E_ITS_CLEAR_UNMAPPED_COLLECTION = 0x010509, E_ITS_INV_UNMAPPED_COLLECTION = 0x010c09,
                        E_ITS_SYNC_PROCNUM_OOR = 0x010501;

constexpr unsigned max_pintid_bits = 24; // ITT entry pINTID field [25:2]

const char* command_name(std::uint8_t op) {
    switch (op) {
    case CMD_MOVI: return "MOVI";
    case CMD_INT: return "INT";
    case CMD_CLEAR: return "CLEAR";
    case CMD_SYNC: return "SYNC";
    case CMD_MAPD: return "MAPD";
    case CMD_MAPC: return "MAPC";
    case CMD_MAPTI: return "MAPTI";
    case CMD_MAPI: return "MAPI";
    case CMD_INV: return "INV";
    case CMD_INVALL: return "INVALL";
    case CMD_MOVALL: return "MOVALL";
    case CMD_DISCARD: return "DISCARD";
    default: return "unknown";
    }
}

const char* error_name(std::uint32_t code) {
    switch (code) {
    case E_ITS_MOVI_UNMAPPED_INTERRUPT: return "E_ITS_MOVI_UNMAPPED_INTERRUPT";
    case E_ITS_MOVI_UNMAPPED_COLLECTION: return "E_ITS_MOVI_UNMAPPED_COLLECTION";
    case E_ITS_INT_UNMAPPED_INTERRUPT: return "E_ITS_INT_UNMAPPED_INTERRUPT";
    case E_ITS_CLEAR_UNMAPPED_INTERRUPT: return "E_ITS_CLEAR_UNMAPPED_INTERRUPT";
    case E_ITS_MAPD_DEVICE_OOR: return "E_ITS_MAPD_DEVICE_OOR";
    case E_ITS_MAPD_ITTSIZE_OOR: return "E_ITS_MAPD_ITTSIZE_OOR";
    case E_ITS_MAPC_PROCNUM_OOR: return "E_ITS_MAPC_PROCNUM_OOR";
    case E_ITS_MAPC_COLLECTION_OOR: return "E_ITS_MAPC_COLLECTION_OOR";
    case E_ITS_MAPTI_UNMAPPED_DEVICE: return "E_ITS_MAPTI_UNMAPPED_DEVICE";
    case E_ITS_MAPTI_ID_OOR: return "E_ITS_MAPTI_ID_OOR";
    case E_ITS_MAPTI_PHYSICALID_OOR: return "E_ITS_MAPTI_PHYSICALID_OOR";
    case E_ITS_INV_UNMAPPED_INTERRUPT: return "E_ITS_INV_UNMAPPED_INTERRUPT";
    case E_ITS_INVALL_UNMAPPED_COLLECTION: return "E_ITS_INVALL_UNMAPPED_COLLECTION";
    case E_ITS_MOVALL_PROCNUM_OOR: return "E_ITS_MOVALL_PROCNUM_OOR";
    case E_ITS_DISCARD_UNMAPPED_INTERRUPT: return "E_ITS_DISCARD_UNMAPPED_INTERRUPT";
    case E_ITS_MAPTI_COLLECTION_OOR: return "E_ITS_MAPTI_COLLECTION_OOR (dbvp)";
    case E_ITS_INT_UNMAPPED_COLLECTION: return "E_ITS_INT_UNMAPPED_COLLECTION (dbvp)";
    case E_ITS_CLEAR_UNMAPPED_COLLECTION: return "E_ITS_CLEAR_UNMAPPED_COLLECTION (dbvp)";
    case E_ITS_INV_UNMAPPED_COLLECTION: return "E_ITS_INV_UNMAPPED_COLLECTION (dbvp)";
    case E_ITS_SYNC_PROCNUM_OOR: return "E_ITS_SYNC_PROCNUM_OOR (dbvp)";
    default: return "unknown command";
    }
}

std::uint64_t page_bytes(std::uint64_t baser) {
    switch ((baser & BASER_PAGE) >> BASER_PAGE_SHIFT) {
    case 0: return 0x1000;
    case 1: return 0x4000;
    default: return 0x10000;
    }
}

/// True when `id` needs more than `nbits` bits.
bool exceeds(std::uint64_t id, unsigned nbits) { return nbits < 64 && (id >> nbits) != 0; }

} // namespace

const char* gicv3_its::to_string(drop_reason r) {
    switch (r) {
    case drop_reason::disabled: return "disabled";
    case drop_reason::no_device_id: return "no_device_id";
    case drop_reason::device_out_of_range: return "device_out_of_range";
    case drop_reason::device_unmapped: return "device_unmapped";
    case drop_reason::event_out_of_range: return "event_out_of_range";
    case drop_reason::event_unmapped: return "event_unmapped";
    case drop_reason::collection_unmapped: return "collection_unmapped";
    case drop_reason::lpi_refused: return "lpi_refused";
    case drop_reason::memory_error: return "memory_error";
    case drop_reason::fifo_full: return "fifo_full";
    case drop_reason::bad_access: return "bad_access";
    }
    return "?";
}

// ------------------------------------------------------------------------------------------------------------

struct gicv3_its::impl {
    enum class lookup { ok, out_of_range, unmapped, memory_error };
    struct table {
        bool valid, indirect;
        std::uint64_t pa, page, bytes;
    };
    struct dte {
        std::uint64_t addr;
        unsigned size; // EventID bits - 1
        std::uint64_t itt;
    };
    struct ite {
        std::uint64_t addr;
        unsigned intid;
        unsigned icid;
    };
    struct request {
        std::uint32_t device_id, event_id;
        sc_time arrive; // when it went into the FIFO
        sc_time first;  // when the write came (earlier than arrive when it was held): the trace span's start
    };
    struct cache_entry { // keyed by DeviceID << 32 | EventID
        unsigned intid = 0, icid = 0, processor = 0;
    };
    static std::uint64_t cache_key(std::uint32_t dev, std::uint32_t ev) {
        return static_cast<std::uint64_t>(dev) << 32 | ev;
    }
    enum class outcome { next, stall };

    gicv3_its& its;
    const params& p;
    lpi_sink_if* sink = nullptr;

    register_bank bank;
    reg ctlr, iidr, typer, cbaser, cwriter, creadr;
    std::array<std::unique_ptr<reg>, 8> baser;
    std::vector<std::unique_ptr<reg>> idregs;

    // Command engine.
    std::uint64_t creadr_off = 0;
    bool stalled = false;
    // GITS_CWRITER found beyond the queue when the engine was to run (GITS_CBASER shrank the queue under it):
    // no command is processed, GITS_CREADR.Stalled reads 1, until GITS_CWRITER or GITS_CBASER is written.
    bool cwriter_beyond = false;
    bool cmd_busy = false;
    std::uint64_t queue_generation = 0; // bumped by GITS_CBASER writes
    sc_core::sc_event cmd_ev;
    tlm::tlm_generic_payload pl_cmd;

    // Translation engine: ring buffer of accepted GITS_TRANSLATER writes.
    std::vector<request> fifo;
    std::size_t fifo_head = 0, fifo_count = 0;
    sc_time xlate_busy_until; // end of the translation the engine last did (it runs ahead of the kernel)
    bool xlate_busy = false;  // a translation in progress (its table reads may wait)
    sc_core::sc_event fifo_ev;
    unsigned fifo_waiters = 0; // writers held at a full FIFO (stall_when_full), or behind held ones
    sc_core::sc_event slot_ev; // the engine took a request while writers were held (or the next one's turn came)
    // Held writers go on in the order they arrived (posted writes stay in order): each takes a ticket and waits
    // for its turn and for room. GITS_CTLR.Enabled 1 -> 0 starts a new epoch: every writer held before it is
    // released and its write dropped.
    std::uint64_t next_ticket = 0, serving_ticket = 0, hold_epoch = 0;
    tlm::tlm_generic_payload pl_xlate;

    // Translation cache (LRU); on a miss, the device and collection caches (LRU) spare those table reads.
    lru_cache<std::uint64_t, cache_entry> cache;
    lru_cache<std::uint32_t, dte> dev_cache;  // DeviceID -> valid device table entry
    lru_cache<unsigned, unsigned> coll_cache; // ICID -> processor of a valid collection table entry
    // Bumped by every invalidation of these caches. A fill made after table reads is skipped when it changed
    // since the first of them: a read that waited (memory without DMI) may have returned what a command (MAPD,
    // MAPC, MAPTI, ...) replaced meanwhile, and that must not be cached after the command's invalidation.
    std::uint64_t cache_generation = 0;

    // Collections already warned about for targeting a processor that does not exist (one bit per ICID).
    std::vector<std::uint64_t> no_processor_warned;

    impl(gicv3_its& owner, const params& prm);

    bool enabled() const { return ctlr.get() & CTLR_ENABLED; }
    std::uint64_t queue_bytes() const { return ((cbaser.get() & CBASER_SIZE) + 1) * 0x1000; }
    bool quiescent(const sc_time& at) const {
        return !cmd_busy && !xlate_busy && xlate_busy_until <= at && fifo_count == 0 &&
               (!enabled() || cwriter_beyond || creadr_off == (cwriter.get() & QUEUE_OFFSET));
    }
    lpi_sink_if& redistributors() const {
        if (!sink)
            throw std::logic_error(std::string(its.name()) + ": not connected to the redistributors (connect())");
        return *sink;
    }
    /// CBASER and BASER<n> are read-only while the ITS is enabled (a write of the value they hold is harmless).
    void reject_while_enabled(reg& r, const reg_write& w) {
        if (w.new_value != w.old_value)
            guest_warning(its, "%s written with 0x%016llx while GITS_CTLR.Enabled = 1: read-only, the write is "
                               "ignored",
                          r.name().c_str(), ull(w.data));
        r.set(w.old_value);
    }
    void baser_written(unsigned n, const reg_write& w);

    // ---- Memory ----
    dmi_cache dmi; // tables and command queue in RAM: served directly once granted
    bool mem_access(tlm::tlm_generic_payload& pl, tlm::tlm_command cmd, std::uint64_t addr, void* data,
                    unsigned len, sc_time& offset) {
        return dmi.access(its.mem, pl, cmd, addr, data, len, offset);
    }
    bool read_le(tlm::tlm_generic_payload& pl, std::uint64_t addr, unsigned len, std::uint64_t& v, sc_time& offset) {
        std::uint8_t b[8] = {};
        if (!mem_access(pl, tlm::TLM_READ_COMMAND, addr, b, len, offset))
            return false;
        v = load_le64(b); // bytes past len are zero
        return true;
    }
    bool write_le(tlm::tlm_generic_payload& pl, std::uint64_t addr, unsigned len, std::uint64_t v, sc_time& offset) {
        std::uint8_t b[16] = {};
        for (unsigned i = 0; i < len && i < 8; ++i)
            b[i] = static_cast<std::uint8_t>(v >> (8 * i));
        return mem_access(pl, tlm::TLM_WRITE_COMMAND, addr, b, len, offset);
    }

    // ---- Tables ----
    table table_of(unsigned n) const {
        const std::uint64_t v = baser[n]->get();
        table t{};
        t.valid = v & BASER_VALID;
        t.indirect = v & BASER_INDIRECT;
        t.page = page_bytes(v);
        t.pa = t.page == 0x10000 ? ((v & bits(47, 16)) | (((v >> 12) & 0xf) << 48)) : (v & BASER_PA & ~(t.page - 1));
        t.bytes = ((v & BASER_SIZE) + 1) * t.page;
        return t;
    }
    lookup entry_addr(tlm::tlm_generic_payload& pl, unsigned n, std::uint64_t id, std::uint64_t& addr,
                      sc_time& offset);
    lookup read_dte(tlm::tlm_generic_payload& pl, std::uint32_t device_id, dte& d, sc_time& offset);
    lookup read_ite(tlm::tlm_generic_payload& pl, const dte& d, std::uint32_t event_id, ite& e, sc_time& offset);
    lookup read_cte(tlm::tlm_generic_payload& pl, unsigned icid, unsigned& processor, sc_time& offset);

    // ---- Translation cache ----
    const cache_entry* cache_find(std::uint32_t dev, std::uint32_t ev) { return cache.find(cache_key(dev, ev)); }
    /// Drop (DeviceID, EventID)'s translation.
    void cache_erase(std::uint32_t dev, std::uint32_t ev) {
        ++cache_generation;
        cache.erase(cache_key(dev, ev));
    }
    /// Drop the translations for which pred(DeviceID, EventID, entry) holds.
    template <class Pred> void cache_drop_if(Pred&& pred) {
        ++cache_generation;
        cache.erase_if([&](std::uint64_t key, const cache_entry& e) {
            return pred(static_cast<std::uint32_t>(key >> 32), static_cast<std::uint32_t>(key), e);
        });
    }
    void dev_cache_erase(std::uint32_t dev) {
        ++cache_generation;
        dev_cache.erase(dev);
    }
    void coll_cache_erase(unsigned icid) {
        ++cache_generation;
        coll_cache.erase(icid);
    }
    void cache_flush() {
        ++cache_generation;
        cache.clear();
        dev_cache.clear();
        coll_cache.clear();
    }
    /// `v` for `key` from cache `c`, else from read() (which fills `v`; cached when it succeeded and nothing
    /// was invalidated meanwhile).
    template <class Key, class Value, class Read>
    lookup through_cache(lru_cache<Key, Value>& c, const Key& key, Value& v, std::uint64_t& hits,
                         std::uint64_t& misses, Read&& read) {
        if (const Value* hit = c.find(key)) {
            ++hits;
            v = *hit;
            return lookup::ok;
        }
        ++misses;
        const std::uint64_t generation = cache_generation;
        const lookup r = read();
        if (r == lookup::ok && generation == cache_generation)
            c.insert(key, v);
        return r;
    }
    /// The device's table entry, from the device cache or the table (then cached).
    lookup cached_dte(tlm::tlm_generic_payload& pl, std::uint32_t device_id, dte& d, sc_time& offset) {
        return through_cache(dev_cache, device_id, d, its.stats_.device_cache_hits, its.stats_.device_cache_misses,
                             [&] { return read_dte(pl, device_id, d, offset); });
    }
    /// The collection's processor, from the collection cache or the table (then cached).
    lookup cached_cte(tlm::tlm_generic_payload& pl, unsigned icid, unsigned& processor, sc_time& offset) {
        return through_cache(coll_cache, icid, processor, its.stats_.collection_cache_hits,
                             its.stats_.collection_cache_misses,
                             [&] { return read_cte(pl, icid, processor, offset); });
    }

    // ---- Engines ----
    void translater(tlm::tlm_generic_payload& p, sc_time& delay);
    /// A thread writer that arrived at a full FIFO, or behind held writers: held until its turn comes and the
    /// FIFO has room (true), or released because the ITS was disabled meanwhile (false).
    bool hold(sc_time& delay);
    void drop(drop_reason r, const sc_time& t, bool has_dev, std::uint32_t dev, std::uint32_t ev) {
        its.drops_.push_back(gicv3_its::drop{t, r, has_dev, dev, ev});
        if (trace::on())
            trace::instant(trace::track::its, "drop", t,
                           {{"reason", to_string(r)}, {"device_id", has_dev ? std::int64_t{dev} : std::int64_t{-1}},
                            {"event_id", ev}});
    }
    void xlate_thread();
    void translate(const request& r, sc_time& offset);
    void cmd_thread();
    outcome execute(const std::uint64_t (&dw)[4], sc_time& offset);
    void command_error(std::uint8_t op, std::uint32_t code, const sc_time& offset, const char* what,
                       unsigned long long a, unsigned long long b);
    outcome memory_stall(std::uint8_t op, const char* what);
    /// An LPI of collection `icid` refused because its processor does not exist: one warning per collection
    /// (until the collection is mapped again or GITS_BASER1 is written). Costs a bit test when already warned.
    void no_processor(unsigned icid, unsigned processor, unsigned intid, std::uint32_t dev, std::uint32_t ev,
                      bool by_command);
};

gicv3_its::impl::impl(gicv3_its& owner, const params& prm)
    : its(owner), p(prm), bank("its", 0x20000, (1u << 4) | (1u << 8)),
      ctlr(bank, "GITS_CTLR", GITS_CTLR, 4, 0, CTLR_ENABLED), iidr(bank, "GITS_IIDR", GITS_IIDR, 4, IIDR_VALUE, 0),
      typer(bank, "GITS_TYPER", GITS_TYPER, 8,
            1ull | (static_cast<std::uint64_t>(prm.itt_entry_size - 1) << 4) |
                (static_cast<std::uint64_t>(prm.idbits - 1) << 8) |
                (static_cast<std::uint64_t>(prm.devbits - 1) << 13) |
                (static_cast<std::uint64_t>(prm.cidbits - 1) << 32) | (1ull << 36),
            0),
      cbaser(bank, "GITS_CBASER", GITS_CBASER, 8, 0, CBASER_WRITABLE),
      cwriter(bank, "GITS_CWRITER", GITS_CWRITER, 8, 0, QUEUE_OFFSET | CWRITER_RETRY),
      creadr(bank, "GITS_CREADR", GITS_CREADR, 8, 0, 0), fifo(prm.fifo_depth), cache(prm.cache_entries),
      dev_cache(prm.device_cache_entries), coll_cache(prm.collection_cache_entries),
      no_processor_warned((std::size_t{1} << 16) / 64) { // an ITT entry's ICID field has 16 bits
    bank.set_owner(its.name());
    ctlr.on_read([this](const access_ctx& ctx) -> std::uint64_t {
        return ctlr.get() | (quiescent(ctx.time) ? CTLR_QUIESCENT : 0u);
    });
    ctlr.on_write([this](const reg_write& w) {
        const bool was = w.old_value & CTLR_ENABLED, now = w.new_value & CTLR_ENABLED;
        if (!was && now) {
            stalled = false; // re-enabling restarts a stalled queue
            cmd_ev.notify(w.ctx.time - kernel_time());
        }
        if (was && !now && fifo_waiters) { // held writes are dropped now, not when room comes
            ++hold_epoch;
            serving_ticket = next_ticket;
            slot_ev.notify(w.ctx.time - kernel_time());
        }
    });
    cbaser.on_write([this](const reg_write& w) {
        if (enabled())
            return reject_while_enabled(cbaser, w);
        if (w.data & ~CBASER_WRITABLE & w.bytemask)
            guest_warning(its, "GITS_CBASER written with 0x%016llx: reserved bits ignored", ull(w.data));
        // Writing GITS_CBASER resets GITS_CREADR. (GITS_CWRITER keeps its value: if it now lies beyond the
        // queue, the command engine says so when it is to run — the driver may still write it.)
        creadr_off = 0;
        stalled = false;
        cwriter_beyond = false;
        ++queue_generation;
    });
    cwriter.on_write([this](const reg_write& w) {
        if (w.data & ~(QUEUE_OFFSET | CWRITER_RETRY) & w.bytemask)
            guest_warning(its, "GITS_CWRITER written with 0x%016llx: reserved bits ignored", ull(w.data));
        const std::uint64_t off = w.new_value & QUEUE_OFFSET;
        if (off >= queue_bytes()) {
            guest_warning(its,
                          "GITS_CWRITER written with 0x%016llx: offset 0x%llx is beyond the %llu-byte command queue "
                          "(GITS_CBASER 0x%016llx); the write is ignored",
                          ull(w.data), ull(off), ull(queue_bytes()), ull(cbaser.get()));
            cwriter.set(w.old_value & QUEUE_OFFSET);
        } else {
            cwriter.set(off); // Retry is an action, it does not read back
            cwriter_beyond = false;
        }
        if ((w.data & w.bytemask & CWRITER_RETRY) && stalled)
            stalled = false;
        cmd_ev.notify(w.ctx.time - kernel_time());
    });
    creadr.on_read([this](const access_ctx&) -> std::uint64_t {
        return creadr_off | (stalled || cwriter_beyond ? CREADR_STALLED : 0);
    });
    for (unsigned n = 0; n < 8; ++n) {
        const std::string name = "GITS_BASER" + std::to_string(n);
        const std::uint64_t type = n == 0 ? BASER_TYPE_DEVICE : n == 1 ? BASER_TYPE_COLLECTION : 0;
        if (!type) {
            baser[n] = std::make_unique<reg>(bank, name, GITS_BASER + 8 * n, 8, 0, 0);
            continue;
        }
        baser[n] = std::make_unique<reg>(bank, name, GITS_BASER + 8 * n, 8,
                                         (type << BASER_TYPE_SHIFT) |
                                             (static_cast<std::uint64_t>(entry_bytes - 1) << BASER_ENTRY_SHIFT),
                                         BASER_WRITABLE);
        baser[n]->on_write([this, n](const reg_write& w) { baser_written(n, w); });
    }
    for (const id_reg& r : ID_REGS)
        idregs.push_back(std::make_unique<reg>(bank, r.name, r.off, 4, r.value, 0));
}

void gicv3_its::impl::baser_written(unsigned n, const reg_write& w) {
    reg& r = *baser[n];
    if (enabled())
        return reject_while_enabled(r, w);
    std::uint64_t v = r.get();
    if (((v & BASER_PAGE) >> BASER_PAGE_SHIFT) == 3) {
        guest_warning(its, "%s written with 0x%016llx: Page_Size 3 is reserved; 64 KiB pages are used",
                      r.name().c_str(), ull(w.data));
        v = (v & ~BASER_PAGE) | (2ull << BASER_PAGE_SHIFT);
    }
    if (page_bytes(v) == 0x4000 && (v & bits(13, 12))) {
        guest_warning(its, "%s written with 0x%016llx: the table address must be 16 KiB aligned; bits [13:12] "
                           "are ignored",
                      r.name().c_str(), ull(w.data));
        v &= ~bits(13, 12);
    }
    r.set(v);
    cache_flush();
    if (n == 1)
        std::fill(no_processor_warned.begin(), no_processor_warned.end(), 0);
}

// ------------------------------------------------------------------------------------------------------------
// Tables.

gicv3_its::impl::lookup gicv3_its::impl::entry_addr(tlm::tlm_generic_payload& pl, unsigned n, std::uint64_t id,
                                                    std::uint64_t& addr, sc_time& offset) {
    const table t = table_of(n);
    if (!t.valid)
        return lookup::out_of_range;
    if (!t.indirect) {
        if (id >= t.bytes / entry_bytes)
            return lookup::out_of_range;
        addr = t.pa + id * entry_bytes;
        return lookup::ok;
    }
    const std::uint64_t per_page = t.page / entry_bytes;
    const std::uint64_t l1 = id / per_page;
    if (l1 >= t.bytes / 8)
        return lookup::out_of_range;
    std::uint64_t e = 0;
    if (!read_le(pl, t.pa + l1 * 8, 8, e, offset))
        return lookup::memory_error;
    if (!(e & L1_VALID))
        return lookup::unmapped;
    addr = (e & L1_PA & ~(t.page - 1)) + (id % per_page) * entry_bytes;
    return lookup::ok;
}

gicv3_its::impl::lookup gicv3_its::impl::read_dte(tlm::tlm_generic_payload& pl, std::uint32_t device_id, dte& d,
                                                  sc_time& offset) {
    if (exceeds(device_id, p.devbits))
        return lookup::out_of_range;
    const lookup r = entry_addr(pl, 0, device_id, d.addr, offset);
    if (r != lookup::ok)
        return r;
    std::uint64_t e = 0;
    if (!read_le(pl, d.addr, entry_bytes, e, offset))
        return lookup::memory_error;
    if (!(e & 1))
        return lookup::unmapped;
    d.size = static_cast<unsigned>((e >> 1) & 0x1f);
    d.itt = e & bits(51, 8);
    return lookup::ok;
}

gicv3_its::impl::lookup gicv3_its::impl::read_ite(tlm::tlm_generic_payload& pl, const dte& d,
                                                  std::uint32_t event_id, ite& e, sc_time& offset) {
    if (exceeds(event_id, d.size + 1))
        return lookup::out_of_range;
    e.addr = d.itt + static_cast<std::uint64_t>(event_id) * p.itt_entry_size;
    std::uint64_t v = 0;
    if (!read_le(pl, e.addr, std::min(8u, p.itt_entry_size), v, offset))
        return lookup::memory_error;
    if (!(v & 1) || !(v & 2)) // valid, physical
        return lookup::unmapped;
    e.intid = static_cast<unsigned>((v >> 2) & 0xffffff);
    e.icid = static_cast<unsigned>((v >> 32) & 0xffff);
    return lookup::ok;
}

gicv3_its::impl::lookup gicv3_its::impl::read_cte(tlm::tlm_generic_payload& pl, unsigned icid, unsigned& processor,
                                                  sc_time& offset) {
    if (exceeds(icid, p.cidbits))
        return lookup::out_of_range;
    std::uint64_t addr = 0;
    const lookup r = entry_addr(pl, 1, icid, addr, offset);
    if (r != lookup::ok)
        return r;
    std::uint64_t e = 0;
    if (!read_le(pl, addr, entry_bytes, e, offset))
        return lookup::memory_error;
    if (!(e & 1))
        return lookup::unmapped;
    processor = static_cast<unsigned>((e & bits(51, 16)) >> 16);
    return lookup::ok;
}

// ------------------------------------------------------------------------------------------------------------
// Translation.

void gicv3_its::impl::translater(tlm::tlm_generic_payload& pl, sc_time& delay) {
    const sc_time first = kernel_time() + delay; // arrival
    sc_time t = first;
    const pcie_attr* a = attr_of(pl);
    const bool has_dev = a && a->has_device_id;
    const std::uint32_t dev = has_dev ? a->device_id : 0;
    const unsigned len = pl.get_data_length();
    pl.set_response_status(tlm::TLM_OK_RESPONSE); // the requester can never tell
    if (pl.get_command() == tlm::TLM_IGNORE_COMMAND)
        return;
    if (!pl.is_write() || pl.get_address() != GITS_TRANSLATER || (len != 2 && len != 4) ||
        pl.get_byte_enable_ptr() || pl.get_streaming_width() < len) {
        if (pl.is_read())
            std::memset(pl.get_data_ptr(), 0, len);
        drop(drop_reason::bad_access, t, has_dev, dev, 0);
        return;
    }
    const unsigned char* d = pl.get_data_ptr();
    std::uint32_t ev = static_cast<std::uint32_t>(d[0]) | (static_cast<std::uint32_t>(d[1]) << 8);
    if (len == 4)
        ev |= (static_cast<std::uint32_t>(d[2]) << 16) | (static_cast<std::uint32_t>(d[3]) << 24);
    if (!enabled())
        return drop(drop_reason::disabled, t, has_dev, dev, ev);
    if (!has_dev)
        return drop(drop_reason::no_device_id, t, false, 0, ev);
    if (fifo_count == fifo.size() || fifo_waiters) { // full, or writers held before this one
        const bool can_wait = p.stall_when_full && sc_core::sc_get_status() == sc_core::SC_RUNNING &&
                              sc_core::sc_get_current_process_handle().proc_kind() != sc_core::SC_METHOD_PROC_;
        if (can_wait) {
            const bool go_on = hold(delay);
            t = kernel_time();
            if (!go_on) // disabled while the write was held
                return drop(drop_reason::disabled, t, true, dev, ev);
        } else if (fifo_count == fifo.size()) {
            return drop(drop_reason::fifo_full, t, true, dev, ev);
        }
    }
    request& r = fifo[(fifo_head + fifo_count) % fifo.size()];
    r.device_id = dev;
    r.event_id = ev;
    r.arrive = t;
    r.first = first;
    ++fifo_count;
    // The engine takes the request at once in simulation order and times it from its arrival (t may be ahead
    // of the kernel: the writer is temporally decoupled). It looks at the FIFO again before it waits for this
    // event, so only the first request into an empty FIFO needs to wake it.
    if (fifo_count == 1)
        fifo_ev.notify(sc_core::SC_ZERO_TIME);
}

bool gicv3_its::impl::hold(sc_time& delay) {
    ++its.stats_.fifo_stalls;
    const std::uint64_t epoch = hold_epoch, ticket = next_ticket++;
    ++fifo_waiters;
    // The writer first catches up with the kernel (it may be up to a quantum ahead, the engine behind it): by
    // then the engine has usually made room. Otherwise it is held until the engine takes a request, at the time
    // that request's translation starts.
    sc_core::wait(delay);
    delay = sc_core::SC_ZERO_TIME;
    while (epoch == hold_epoch && (ticket != serving_ticket || fifo_count == fifo.size()))
        sc_core::wait(slot_ev);
    --fifo_waiters;
    if (epoch != hold_epoch)
        return false;
    ++serving_ticket;
    if (fifo_waiters)
        slot_ev.notify(sc_core::SC_ZERO_TIME); // the next in line looks again once this write is in
    return true;
}

void gicv3_its::impl::xlate_thread() {
    // Loosely timed with temporal decoupling: one translation after another, each starting when it arrived or
    // when the previous one ended, whichever is later, at a local time ahead of the kernel; the engine yields
    // only when the FIFO is empty or it is a global quantum ahead. (The FIFO therefore counts requests the
    // engine has not taken in simulation order.)
    for (;;) {
        while (fifo_count == 0)
            sc_core::wait(fifo_ev);
        const request r = fifo[fifo_head];
        fifo_head = (fifo_head + 1) % fifo.size();
        --fifo_count;
        const sc_time now = kernel_time();
        const sc_time start = std::max(now, std::max(r.arrive, xlate_busy_until));
        if (fifo_waiters)
            slot_ev.notify(start - now);
        sc_time offset = (start - now) + its.cycles(p.translate_latency);
        xlate_busy = true;
        translate(r, offset); // may wait (pending table loading, memory without DMI): offset stays kernel-relative
        xlate_busy = false;
        xlate_busy_until = kernel_time() + offset;
        if (offset >= global_quantum())
            sc_core::wait(offset);
    }
}

void gicv3_its::impl::translate(const request& r, sc_time& offset) {
    ++its.stats_.translations;
    unsigned intid = 0, processor = 0, icid = 0;
    bool hit = false;
    // Tracing: from the TRANSLATER write's arrival at the ITS to the LPI made pending (or the drop).
    auto trace_done = [&](const char* outcome) {
        if (trace::on())
            trace::span(trace::track::its, "translate", r.first - its.cycles(p.reg_latency),
                        kernel_time() + offset,
                        {{"device_id", r.device_id}, {"event_id", r.event_id}, {"outcome", outcome},
                         {"intid", intid}, {"processor", processor}, {"cache_hit", hit}});
    };
    auto fail = [&](drop_reason why) {
        drop(why, kernel_time() + offset, true, r.device_id, r.event_id);
        trace_done(to_string(why));
    };
    if (const cache_entry* c = cache_find(r.device_id, r.event_id)) {
        hit = true;
        ++its.stats_.cache_hits;
        intid = c->intid;
        processor = c->processor;
        icid = c->icid;
    } else {
        ++its.stats_.cache_misses;
        const std::uint64_t generation = cache_generation;
        dte d{};
        switch (cached_dte(pl_xlate, r.device_id, d, offset)) {
        case lookup::ok: break;
        case lookup::out_of_range: return fail(drop_reason::device_out_of_range);
        case lookup::unmapped: return fail(drop_reason::device_unmapped);
        case lookup::memory_error: return fail(drop_reason::memory_error);
        }
        ite e{};
        switch (read_ite(pl_xlate, d, r.event_id, e, offset)) {
        case lookup::ok: break;
        case lookup::out_of_range: return fail(drop_reason::event_out_of_range);
        case lookup::unmapped: return fail(drop_reason::event_unmapped);
        case lookup::memory_error: return fail(drop_reason::memory_error);
        }
        switch (cached_cte(pl_xlate, e.icid, processor, offset)) {
        case lookup::ok: break;
        case lookup::out_of_range:
        case lookup::unmapped: return fail(drop_reason::collection_unmapped);
        case lookup::memory_error: return fail(drop_reason::memory_error);
        }
        intid = e.intid;
        icid = e.icid;
        if (generation == cache_generation)
            cache.insert(cache_key(r.device_id, r.event_id), cache_entry{intid, icid, processor});
    }
    if (!redistributors().set_lpi_pending(processor, intid, offset)) {
        if (processor >= redistributors().num_processors())
            no_processor(icid, processor, intid, r.device_id, r.event_id, false);
        return fail(drop_reason::lpi_refused);
    }
    ++its.stats_.lpis;
    trace_done("lpi");
}

// ------------------------------------------------------------------------------------------------------------
// Commands.

void gicv3_its::impl::command_error(std::uint8_t op, std::uint32_t code, const sc_time& offset, const char* what,
                                    unsigned long long a, unsigned long long b) {
    its.command_errors_.push_back(gicv3_its::command_error{kernel_time() + offset, op, code, creadr_off});
    char detail[160];
    std::snprintf(detail, sizeof detail, what, a, b);
    guest_warning(its, "command %s (0x%02x) at GITS_CREADR 0x%llx: %s (0x%06x), %s; the command is skipped",
                  command_name(op), op, ull(creadr_off), error_name(code), code, detail);
}

void gicv3_its::impl::no_processor(unsigned icid, unsigned processor, unsigned intid, std::uint32_t dev,
                                   std::uint32_t ev, bool by_command) {
    std::uint64_t& word = no_processor_warned[icid / 64];
    const std::uint64_t bit = std::uint64_t{1} << (icid % 64);
    if (word & bit)
        return;
    word |= bit;
    char via[64] = "";
    if (by_command)
        std::snprintf(via, sizeof via, "command INT (0x%02x) at GITS_CREADR 0x%llx: ", CMD_INT, ull(creadr_off));
    guest_warning(its,
                  "%scollection 0x%x targets processor %u (RDbase of its collection table entry), which does not "
                  "exist (%u processors): LPI %u of DeviceID 0x%x EventID 0x%x is refused (lpi_refused); further "
                  "LPIs of collection 0x%x are refused without a warning until it is mapped again",
                  via, icid, processor, redistributors().num_processors(), intid, dev, ev, icid);
}

gicv3_its::impl::outcome gicv3_its::impl::memory_stall(std::uint8_t op, const char* what) {
    guest_warning(its,
                  "command %s (0x%02x) at GITS_CREADR 0x%llx: %s failed (bus error); the command queue stalls "
                  "(GITS_CREADR.Stalled) until GITS_CWRITER.Retry is written",
                  command_name(op), op, ull(creadr_off), what);
    return outcome::stall;
}

void gicv3_its::impl::cmd_thread() {
    for (;;) {
        if (!enabled() || !(cbaser.get() & CBASER_VALID) || stalled || cwriter_beyond ||
            creadr_off == (cwriter.get() & QUEUE_OFFSET)) {
            sc_core::wait(cmd_ev);
            continue;
        }
        if ((cwriter.get() & QUEUE_OFFSET) >= queue_bytes()) {
            // Only a GITS_CBASER write can leave GITS_CWRITER there (a GITS_CWRITER write beyond the queue is
            // ignored). CONSTRAINED UNPREDICTABLE; this ITS stalls instead of wrapping GITS_CREADR for ever.
            cwriter_beyond = true;
            guest_warning(its,
                          "GITS_CWRITER 0x%016llx: offset 0x%llx is beyond the %llu-byte command queue (GITS_CBASER "
                          "0x%016llx); no command is processed (GITS_CREADR.Stalled) until GITS_CWRITER is written "
                          "with an offset inside the queue or GITS_CBASER is written",
                          ull(cwriter.get()), ull(cwriter.get() & QUEUE_OFFSET), ull(queue_bytes()),
                          ull(cbaser.get()));
            continue;
        }
        cmd_busy = true;
        const std::uint64_t generation = queue_generation;
        sc_time offset = its.cycles(p.cmd_latency);
        std::uint8_t raw[32] = {};
        const std::uint64_t at = (cbaser.get() & CBASER_PA) + creadr_off;
        outcome o = outcome::next;
        if (!mem_access(pl_cmd, tlm::TLM_READ_COMMAND, at, raw, 32, offset)) {
            o = memory_stall(0, "reading the command");
        } else {
            std::uint64_t dw[4] = {};
            for (unsigned i = 0; i < 32; ++i)
                dw[i / 8] |= static_cast<std::uint64_t>(raw[i]) << (8 * (i % 8));
            o = execute(dw, offset);
        }
        sc_core::wait(offset);
        if (generation == queue_generation) {
            if (o == outcome::stall) {
                stalled = true;
            } else {
                ++its.stats_.commands;
                creadr_off = (creadr_off + 32) % queue_bytes();
            }
        }
        cmd_busy = false;
    }
}

gicv3_its::impl::outcome gicv3_its::impl::execute(const std::uint64_t (&dw)[4], sc_time& offset) {
    const std::uint8_t op = static_cast<std::uint8_t>(dw[0] & 0xff);
    const std::uint32_t dev = static_cast<std::uint32_t>(dw[0] >> 32);
    const std::uint32_t ev = static_cast<std::uint32_t>(dw[1]);
    const unsigned pintid = static_cast<unsigned>(dw[1] >> 32);
    const unsigned size = static_cast<unsigned>(dw[1] & 0x1f);
    const std::uint64_t itt = dw[2] & bits(51, 8);
    const bool valid = dw[2] >> 63;
    const std::uint64_t rd = (dw[2] & bits(51, 16)) >> 16;
    const std::uint64_t rd2 = (dw[3] & bits(51, 16)) >> 16;
    const unsigned icid = static_cast<unsigned>(dw[2] & 0xffff);
    lpi_sink_if& rdist = redistributors();
    const unsigned nproc = rdist.num_processors();
    tlm::tlm_generic_payload& pl = pl_cmd;

    // Finds the ITE of (dev, ev): on failure records `unmapped_code` or stalls.
    dte d{};
    ite e{};
    auto find_event = [&](std::uint32_t unmapped_code, lookup& r) {
        r = read_dte(pl, dev, d, offset);
        if (r == lookup::ok)
            r = read_ite(pl, d, ev, e, offset);
        if (r == lookup::out_of_range || r == lookup::unmapped)
            command_error(op, unmapped_code, offset, "DeviceID 0x%llx EventID 0x%llx has no mapping", dev, ev);
        return r == lookup::ok;
    };

    switch (op) {
    case CMD_MAPD: {
        std::uint64_t addr = 0;
        lookup r = exceeds(dev, p.devbits) ? lookup::out_of_range : entry_addr(pl, 0, dev, addr, offset);
        if (r == lookup::memory_error)
            return memory_stall(op, "reading the level-1 device table");
        if (r != lookup::ok) {
            command_error(op, E_ITS_MAPD_DEVICE_OOR, offset,
                          "DeviceID 0x%llx is beyond the device table or its level-2 page is not valid", dev, 0);
            return outcome::next;
        }
        if (valid && size + 1 > p.idbits) {
            command_error(op, E_ITS_MAPD_ITTSIZE_OOR, offset, "Size %llu exceeds GITS_TYPER.IDbits %llu", size,
                          p.idbits - 1);
            return outcome::next;
        }
        const std::uint64_t entry = valid ? (1ull | (static_cast<std::uint64_t>(size) << 1) | itt) : 0;
        if (!write_le(pl, addr, entry_bytes, entry, offset))
            return memory_stall(op, "writing the device table entry");
        cache_drop_if([&](std::uint32_t device, std::uint32_t, const cache_entry&) { return device == dev; });
        dev_cache_erase(static_cast<std::uint32_t>(dev));
        return outcome::next;
    }
    case CMD_MAPC: {
        std::uint64_t addr = 0;
        lookup r = exceeds(icid, p.cidbits) ? lookup::out_of_range : entry_addr(pl, 1, icid, addr, offset);
        if (r == lookup::memory_error)
            return memory_stall(op, "reading the level-1 collection table");
        if (r != lookup::ok) {
            command_error(op, E_ITS_MAPC_COLLECTION_OOR, offset,
                          "ICID 0x%llx is beyond the collection table (CIDbits %llu)", icid, p.cidbits);
            return outcome::next;
        }
        if (valid && rd >= nproc) {
            command_error(op, E_ITS_MAPC_PROCNUM_OOR, offset, "RDbase %llu: there are %llu processors", rd, nproc);
            return outcome::next;
        }
        const std::uint64_t entry = valid ? (1ull | (rd << 16)) : 0;
        if (!write_le(pl, addr, entry_bytes, entry, offset))
            return memory_stall(op, "writing the collection table entry");
        cache_drop_if([&](std::uint32_t, std::uint32_t, const cache_entry& c) { return c.icid == icid; });
        coll_cache_erase(icid);
        no_processor_warned[icid / 64] &= ~(std::uint64_t{1} << (icid % 64));
        return outcome::next;
    }
    case CMD_MAPTI:
    case CMD_MAPI: {
        const unsigned intid = op == CMD_MAPI ? ev : pintid;
        lookup r = read_dte(pl, dev, d, offset);
        if (r == lookup::memory_error)
            return memory_stall(op, "reading the device table");
        if (r != lookup::ok) {
            command_error(op, E_ITS_MAPTI_UNMAPPED_DEVICE, offset, "DeviceID 0x%llx is not mapped", dev, 0);
            return outcome::next;
        }
        if (exceeds(ev, d.size + 1)) {
            command_error(op, E_ITS_MAPTI_ID_OOR, offset, "EventID 0x%llx needs more than the device's %llu bits",
                          ev, d.size + 1);
            return outcome::next;
        }
        if (intid < first_lpi || exceeds(intid, max_pintid_bits)) {
            command_error(op, E_ITS_MAPTI_PHYSICALID_OOR, offset, "pINTID %llu is not an LPI (%llu bits)", intid,
                          max_pintid_bits);
            return outcome::next;
        }
        if (exceeds(icid, p.cidbits)) {
            command_error(op, E_ITS_MAPTI_COLLECTION_OOR, offset, "ICID 0x%llx needs more than CIDbits %llu", icid,
                          p.cidbits);
            return outcome::next;
        }
        const std::uint64_t entry = 3ull | (static_cast<std::uint64_t>(intid) << 2) |
                                    (static_cast<std::uint64_t>(icid) << 32);
        const std::uint64_t addr = d.itt + static_cast<std::uint64_t>(ev) * p.itt_entry_size;
        if (!write_le(pl, addr, p.itt_entry_size, entry, offset))
            return memory_stall(op, "writing the ITT entry");
        cache_erase(dev, ev);
        return outcome::next;
    }
    case CMD_INT:
    case CMD_CLEAR:
    case CMD_INV: {
        const std::uint32_t unmapped = op == CMD_INT     ? E_ITS_INT_UNMAPPED_INTERRUPT
                                       : op == CMD_CLEAR ? E_ITS_CLEAR_UNMAPPED_INTERRUPT
                                                         : E_ITS_INV_UNMAPPED_INTERRUPT;
        const std::uint32_t nocoll = op == CMD_INT     ? E_ITS_INT_UNMAPPED_COLLECTION
                                     : op == CMD_CLEAR ? E_ITS_CLEAR_UNMAPPED_COLLECTION
                                                       : E_ITS_INV_UNMAPPED_COLLECTION;
        lookup r = lookup::ok;
        if (!find_event(unmapped, r))
            return r == lookup::memory_error ? memory_stall(op, "reading the device table or ITT")
                                             : outcome::next;
        unsigned proc = 0;
        r = read_cte(pl, e.icid, proc, offset);
        if (r == lookup::memory_error)
            return memory_stall(op, "reading the collection table");
        if (r != lookup::ok) {
            command_error(op, nocoll, offset, "the interrupt's collection 0x%llx is not mapped (LPI %llu)", e.icid,
                          e.intid);
            return outcome::next;
        }
        if (op == CMD_INT) {
            if (rdist.set_lpi_pending(proc, e.intid, offset))
                ++its.stats_.lpis;
            else if (proc >= nproc)
                no_processor(e.icid, proc, e.intid, dev, ev, true);
        } else if (op == CMD_CLEAR) {
            rdist.clear_lpi_pending(proc, e.intid, offset);
        } else {
            rdist.invalidate_lpi(proc, e.intid, offset);
        }
        return outcome::next;
    }
    case CMD_DISCARD: {
        lookup r = lookup::ok;
        if (!find_event(E_ITS_DISCARD_UNMAPPED_INTERRUPT, r))
            return r == lookup::memory_error ? memory_stall(op, "reading the device table or ITT")
                                             : outcome::next;
        unsigned proc = 0;
        r = read_cte(pl, e.icid, proc, offset);
        if (r == lookup::memory_error)
            return memory_stall(op, "reading the collection table");
        if (r == lookup::ok)
            rdist.clear_lpi_pending(proc, e.intid, offset);
        if (!write_le(pl, e.addr, p.itt_entry_size, 0, offset))
            return memory_stall(op, "writing the ITT entry");
        cache_erase(dev, ev);
        return outcome::next;
    }
    case CMD_MOVI: {
        lookup r = lookup::ok;
        if (!find_event(E_ITS_MOVI_UNMAPPED_INTERRUPT, r))
            return r == lookup::memory_error ? memory_stall(op, "reading the device table or ITT")
                                             : outcome::next;
        unsigned from = 0, to = 0;
        r = read_cte(pl, e.icid, from, offset);
        if (r == lookup::ok)
            r = read_cte(pl, icid, to, offset);
        if (r == lookup::memory_error)
            return memory_stall(op, "reading the collection table");
        if (r != lookup::ok) {
            command_error(op, E_ITS_MOVI_UNMAPPED_COLLECTION, offset,
                          "collection 0x%llx or the interrupt's collection 0x%llx is not mapped", icid, e.icid);
            return outcome::next;
        }
        const std::uint64_t entry = 3ull | (static_cast<std::uint64_t>(e.intid) << 2) |
                                    (static_cast<std::uint64_t>(icid) << 32);
        if (!write_le(pl, e.addr, p.itt_entry_size, entry, offset))
            return memory_stall(op, "writing the ITT entry");
        cache_erase(dev, ev);
        if (from != to)
            rdist.move_lpi(from, to, e.intid, offset);
        return outcome::next;
    }
    case CMD_INVALL: {
        unsigned proc = 0;
        const lookup r = read_cte(pl, icid, proc, offset);
        if (r == lookup::memory_error)
            return memory_stall(op, "reading the collection table");
        if (r != lookup::ok) {
            command_error(op, E_ITS_INVALL_UNMAPPED_COLLECTION, offset, "collection 0x%llx is not mapped", icid, 0);
            return outcome::next;
        }
        rdist.invalidate_all_lpis(proc, offset);
        return outcome::next;
    }
    case CMD_SYNC:
        if (rd >= nproc)
            command_error(op, E_ITS_SYNC_PROCNUM_OOR, offset, "RDbase %llu: there are %llu processors", rd, nproc);
        // Every effect of an earlier command is visible when it completes: nothing to wait for.
        return outcome::next;
    case CMD_MOVALL:
        if (rd >= nproc || rd2 >= nproc) {
            command_error(op, E_ITS_MOVALL_PROCNUM_OOR, offset, "RDbase %llu / %llu: there are fewer processors",
                          rd, rd2);
            return outcome::next;
        }
        if (rd != rd2)
            guest_warning(its, "command MOVALL from processor %llu to %llu: moving every pending LPI between "
                               "redistributors is not modelled; nothing moves",
                          ull(rd), ull(rd2));
        return outcome::next;
    default:
        its.command_errors_.push_back(
            gicv3_its::command_error{kernel_time() + offset, op, 0, creadr_off});
        guest_warning(its, "command opcode 0x%02x at GITS_CREADR 0x%llx is not supported (GICv3 physical "
                           "commands only); the command is skipped",
                      op, ull(creadr_off));
        return outcome::next;
    }
}

// ------------------------------------------------------------------------------------------------------------
// gicv3_its.

namespace {
void validate(const char* name, const gicv3_its::params& p) {
    auto bad = [name](const std::string& what) { throw std::invalid_argument(std::string(name) + ": " + what); };
    if (p.devbits < 1 || p.devbits > 32)
        bad("devbits must be 1..32");
    if (p.idbits < 1 || p.idbits > 32)
        bad("idbits must be 1..32");
    if (p.cidbits < 1 || p.cidbits > 16)
        bad("cidbits must be 1..16");
    if (p.itt_entry_size < 6 || p.itt_entry_size > 16)
        bad("itt_entry_size must be 6..16 bytes (an ITT entry holds bits [47:0])");
    if (p.fifo_depth < 1)
        bad("fifo_depth must be at least 1");
}
} // namespace

gicv3_its::gicv3_its(sc_core::sc_module_name name, const params& p)
    : sc_module(name), clocked(p.clock_hz), regs("regs"), mem("mem"), p_(p) {
    validate(this->name(), p_);
    m_ = std::make_unique<impl>(*this, p_);
    regs.register_b_transport(this, &gicv3_its::b_transport_cb);
    regs.register_transport_dbg(this, &gicv3_its::transport_dbg_cb);
    mem.register_invalidate_direct_mem_ptr(this, &gicv3_its::invalidate_dmi_cb);
    sc_core::sc_spawn([this] { m_->cmd_thread(); }, "cmd_engine");
    sc_core::sc_spawn([this] { m_->xlate_thread(); }, "translation_engine");
}

gicv3_its::~gicv3_its() = default;

void gicv3_its::invalidate_dmi_cb(sc_dt::uint64 start, sc_dt::uint64 end) { m_->dmi.invalidate(start, end); }

void gicv3_its::connect(lpi_sink_if& redistributors) { m_->sink = &redistributors; }

bool gicv3_its::stalled() const { return m_->stalled || m_->cwriter_beyond; }

void gicv3_its::b_transport_cb(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    const sc_core::sc_time t = kernel_time() + delay;
    delay += cycles(p_.reg_latency);
    const std::uint64_t addr = p.get_address();
    if (addr >= GITS_TRANSLATER && addr < GITS_TRANSLATER + 4) {
        m_->translater(p, delay);
        return;
    }
    access_ctx ctx;
    ctx.time = t;
    ctx.attr = attr_of(p);
    m_->bank.transport(p, ctx);
}

unsigned gicv3_its::transport_dbg_cb(tlm::tlm_generic_payload& p) {
    if (!p.is_read() || p.get_address() >= TRANSLATION_FRAME)
        return 0;
    access_ctx ctx;
    ctx.time = kernel_time();
    ctx.debug = true;
    m_->bank.transport(p, ctx);
    return p.is_response_ok() ? p.get_data_length() : 0;
}

} // namespace dbvp::gic
