// bench_blocks — Google Benchmark of single models alone, each next to a bare-logic baseline: the same lookups on
// the same data done by plain C++ without SystemC (the floor to compare against). Issue 8's "blocks alone".
//
//   BM_Iatu/<windows>          the TLM inbound iATU (dbvp::pcie::detail::dwc_iatu::inbound()), <windows> address-
//                              match regions programmed through its registers (2 .. 256); a fixed seeded stream of
//                              4096 lookups, 90 % inside a region chosen uniformly, 10 % below every region (misses).
//                              items = lookups.
//   BM_IatuBaseline/<windows>  first-match search over {base, limit, target} structs of the same regions, same stream.
//   BM_Its/<events>            one gicv3_its with one DeviceID and 65,536 EventIDs mapped (MAPD, MAPC, MAPTI through
//                              its command queue; device table, ITT, collection table in a dbvp::memory). A device
//                              writes GITS_TRANSLATER (pcie_attr carrying the DeviceID) cycling over the first
//                              <events> EventIDs (1 .. 65,536) in a seeded random order; every translation must
//                              reach the redistributor side (a counting lpi_sink_if that checks INTID and processor
//                              of each LPI). The ITS translates in its own thread: an iteration is one sc_start()
//                              of 1024 writes (64 at a time, the FIFO depth, then until their LPIs arrived).
//                              items = translations; sim_ns_per_item = simulated time per translation.
//   BM_ItsBaseline/<events>    DeviceID -> device table entry -> ITT entry -> collection entry on a byte copy of the
//                              ITS's memory after programming (the tables the ITS itself wrote), same order.
//   BM_Smmu/<streams>          one smmuv3, linear stream table, every STE stage 1 with its own CD (ASID) and 3-level
//                              4 KiB page table mapping 4 pages; a device reads through the SMMU from a data memory
//                              holding each word's own address (the data read checks the translation); a seeded
//                              stream of 4096 reads over <streams> StreamIDs (1, 16, 256: config cache and TLB hit,
//                              just fit, thrash). An iteration is one sc_start() of 1024 reads. items = reads.
//   BM_SmmuBaseline/<streams>  STE -> CD -> table walk on a byte copy of the same tables, same stream (no caches).
//   BM_Glue/<rids>             the SoC glue's requester ID -> DeviceID lookup (dbvp::pcie::sid_glue::lookup()) with
//                              the generic preset's msi-map (one identity entry), a seeded stream of 4096 lookups
//                              over <rids> requester IDs (1, 256). items = lookups.
//   BM_GlueBaseline/<rids>     the same map as {rid_base, out_base, length} structs, first match, same stream.
//
// SystemC elaborates once per process: sc_main builds everything, programs it (one sc_start), runs the models and
// the baselines once over every stream and exits non-zero when they disagree (or any SystemC warning was reported),
// then runs the benchmarks. Every lookup in the timed loops is checked against the baseline's answer too (a
// mismatch fails the benchmark with SkipWithError). Nothing allocates in the timed loops.
//
// Numbers are measurements of this machine, never targets (docs/performance.md): the ctest smoke test only checks
// that it runs.
#include "pcie/dwc_iatu.h"

#include "dbvp/core/master.h"
#include "dbvp/core/sideband.h"
#include "dbvp/gic/gicv3.h"
#include "dbvp/gic/gicv3_its.h"
#include "dbvp/mem/memory.h"
#include "dbvp/pcie/sid_glue.h"
#include "dbvp/smmu/smmuv3.h"

#include <benchmark/benchmark.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the baselines read little-endian tables with memcpy");

namespace {

using namespace sc_core;
using dbvp::pcie::detail::dwc_iatu;

constexpr std::uint64_t kSeed = 0xb10c5eedull;

/// The case of `cases` whose `size` member (windows, EventIDs, StreamIDs, requester IDs) is `n`, or nullptr.
template <class Case> Case* find_case(std::vector<Case>& cases, unsigned Case::*size, std::int64_t n) {
    for (auto& c : cases)
        if (c.*size == n)
            return &c;
    return nullptr;
}

std::uint64_t ld64(const std::uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}
void st64(std::uint8_t* p, std::uint64_t v) { std::memcpy(p, &v, 8); }
void st32(std::uint8_t* p, std::uint32_t v) { std::memcpy(p, &v, 4); }

// =====================================================================================================================
// iATU
// =====================================================================================================================
namespace iatu {

constexpr unsigned kWindowCounts[] = {2, 8, 32, 64, 128, 256};
constexpr std::size_t kStream = 4096;
constexpr unsigned kHitPercent = 90;
constexpr std::uint64_t kBase = 0x80000000ull; // region r: [kBase + r * kSize, +kSize)
constexpr std::uint64_t kSize = 1ull << 20;
constexpr std::uint64_t kTarget = 0x400000000ull; // region r -> kTarget + r * kTargetStride
constexpr std::uint64_t kTargetStride = 0x10000000ull;

sc_time lookup_time() { return sc_time(1, SC_MS); } // long after every enable handshake

/// What the baseline knows of a region: plain data.
struct region {
    std::uint64_t base, limit, target;
};

/// First region (lowest index) whose [base, limit] holds addr, as the hardware's priority does.
inline int first_match(const region* r, unsigned n, std::uint64_t addr, std::uint64_t& target) {
    for (unsigned i = 0; i < n; ++i)
        if (addr >= r[i].base && addr <= r[i].limit) {
            target = r[i].target + (addr - r[i].base);
            return static_cast<int>(i);
        }
    return -1;
}

struct lookup {
    std::uint64_t addr;
    int region;           // expected answer (baseline), -1 = miss
    std::uint64_t target; // expected target of a hit
};

struct bench {
    unsigned windows;
    dwc_iatu model;
    std::vector<region> regions;
    std::vector<lookup> stream;

    static dwc_iatu::params params_for(unsigned w) {
        dwc_iatu::params p;
        p.num_ib = w; // the default (16) caps the windows below 256
        p.num_ob = 1;
        p.window_size = 0x20000;
        p.min_region_size = 0x10000;
        p.max_region_upper = 0;
        p.enable_delay = sc_time(100, SC_NS);
        return p;
    }

    explicit bench(unsigned w)
        : windows(w), model("iatu" + std::to_string(w), params_for(w), [](unsigned, unsigned) -> std::uint64_t {
              return 0;
          }) {}

    bool write(std::uint64_t off, std::uint32_t v) {
        dbvp::access_ctx ctx;
        ctx.time = SC_ZERO_TIME;
        unsigned char b[4];
        std::memcpy(b, &v, 4);
        return model.bank().access(tlm::TLM_WRITE_COMMAND, off, b, 4, ctx) == tlm::TLM_OK_RESPONSE;
    }

    /// Program the regions through the registers, build the baseline's copy and the stream with its answers.
    /// Returns an error message or nullptr.
    const char* build() {
        if (model.inbound_regions() != windows)
            return "the model does not have the requested number of inbound regions";
        for (unsigned r = 0; r < windows; ++r) {
            const std::uint64_t base = kBase + r * kSize, limit = base + kSize - 1;
            const std::uint64_t target = kTarget + r * kTargetStride;
            const std::uint64_t at = r * dwc_iatu::region_stride + dwc_iatu::inbound_offset;
            const std::pair<std::uint64_t, std::uint64_t> regs[] = {
                {dwc_iatu::LOWER_BASE, base},         {dwc_iatu::UPPER_BASE, base >> 32},
                {dwc_iatu::LIMIT, limit},             {dwc_iatu::LOWER_TARGET, target},
                {dwc_iatu::UPPER_TARGET, target >> 32}, {dwc_iatu::CTRL1, dwc_iatu::TYPE_MEM},
                {dwc_iatu::CTRL2, dwc_iatu::CTRL2_ENABLE}};
            for (const auto& [off, val] : regs)
                if (!write(at + off, static_cast<std::uint32_t>(val)))
                    return "an iATU register write failed";
            regions.push_back({base, limit, target});
        }
        std::mt19937_64 rng(kSeed + windows);
        stream.resize(kStream);
        for (lookup& q : stream) {
            int truth = -1;
            if (rng() % 100 < kHitPercent) {
                truth = static_cast<int>(rng() % windows);
                q.addr = kBase + static_cast<std::uint64_t>(truth) * kSize + rng() % kSize;
            } else {
                q.addr = rng() % kBase; // below every region
            }
            q.target = 0;
            q.region = first_match(regions.data(), windows, q.addr, q.target);
            if (q.region != truth)
                return "the baseline disagrees with the generated stream";
        }
        return nullptr;
    }

    /// The model on the whole stream: number of answers that differ from the baseline's.
    std::size_t compare() const {
        const sc_time t = lookup_time();
        std::size_t bad = 0;
        for (const lookup& q : stream) {
            std::uint64_t target = 0;
            const int r = model.inbound(0, 0, 0, 0, q.addr, t, target);
            bad += r != q.region || (r >= 0 && target != q.target);
        }
        return bad;
    }
};

std::vector<std::unique_ptr<bench>> g_benches;

bench* find(std::int64_t windows) {
    for (auto& b : g_benches)
        if (b->windows == windows)
            return b.get();
    return nullptr;
}

} // namespace iatu

// =====================================================================================================================
// ITS
// =====================================================================================================================
namespace its {

constexpr unsigned kEventCounts[] = {1, 16, 256, 4096, 65536};
constexpr unsigned kMaxEvents = 65536;
constexpr unsigned kEventBits = 16;
constexpr std::uint32_t kDevice = 0x0100; // 01:00.0
constexpr unsigned kCollections = 4;      // = processors of the sink; collection c -> processor 3 - c
// ITS memory (the ITS's own view: the memory is bound directly, addresses are offsets into it).
constexpr std::uint64_t kRamSize = 0x200000;
constexpr std::uint64_t kQueue = 0x10000, kQueueBytes = 0x10000; // 2048 commands
constexpr std::uint64_t kDevTab = 0x20000, kDevTabBytes = 0x1000;
constexpr std::uint64_t kCollTab = 0x30000, kCollTabBytes = 0x1000;
constexpr std::uint64_t kItt = 0x100000; // 65,536 entries of 8 bytes
constexpr unsigned kIttEntry = 8;        // gicv3_its::params::itt_entry_size (default)
// Registers.
constexpr std::uint64_t GITS_CTLR = 0x0, GITS_CBASER = 0x80, GITS_CWRITER = 0x88, GITS_CREADR = 0x90,
                        GITS_BASER0 = 0x100, GITS_BASER1 = 0x108, GITS_TRANSLATER = 0x10040;
constexpr std::uint64_t VALID = 1ull << 63;
constexpr std::uint64_t CREADR_STALLED = 1;
constexpr std::size_t kBatch = 1024; // translations per benchmark iteration (one sc_start)

/// The LPI each (device, event) is mapped to, and its collection: a bijection over 16 bits, so that a wrong ITT
/// entry cannot give the right INTID.
unsigned intid_of(std::uint32_t ev) { return 8192 + ((ev * 40503u) & 0xffffu); }
unsigned icid_of(std::uint32_t ev) { return ev % kCollections; }
unsigned processor_of(unsigned icid) { return kCollections - 1 - icid; }

struct answer {
    unsigned intid, processor;
    bool operator!=(const answer& o) const { return intid != o.intid || processor != o.processor; }
};

/// The baseline: the ITS's table formats (gicv3_its.h) read from plain bytes (a copy of the ITS's memory).
struct tables {
    const std::uint8_t* mem;
    std::uint64_t size;
};

inline bool translate(const tables& t, std::uint32_t dev, std::uint32_t ev, answer& a) {
    if (std::uint64_t{dev} >= kDevTabBytes / 8)
        return false;
    const std::uint64_t dte = ld64(t.mem + kDevTab + 8ull * dev);
    if (!(dte & 1))
        return false;
    const unsigned ev_bits = static_cast<unsigned>((dte >> 1) & 0x1f) + 1;
    if (std::uint64_t{ev} >> ev_bits)
        return false;
    const std::uint64_t ite_at = (dte & 0x000fffffffffff00ull) + std::uint64_t{ev} * kIttEntry;
    if (ite_at + 8 > t.size)
        return false;
    const std::uint64_t ite = ld64(t.mem + ite_at);
    if ((ite & 3) != 3) // valid, physical
        return false;
    const unsigned icid = static_cast<unsigned>((ite >> 32) & 0xffff);
    if (icid >= kCollTabBytes / 8)
        return false;
    const std::uint64_t cte = ld64(t.mem + kCollTab + 8ull * icid);
    if (!(cte & 1))
        return false;
    a.intid = static_cast<unsigned>((ite >> 2) & 0xffffff);
    a.processor = static_cast<unsigned>((cte >> 16) & 0xfffffffffull);
    return true;
}

/// One scaling point: the EventIDs cycled, in their seeded random order, with the expected answers.
struct stream_case {
    unsigned events = 0;
    std::vector<std::uint32_t> order;
    std::vector<answer> want;
    std::size_t pos = 0; // next position of the model's stream (persists across iterations)
};

std::vector<stream_case> g_cases;

stream_case* find(std::int64_t events) { return find_case(g_cases, &stream_case::events, events); }

/// The redistributor side: counts LPIs and checks each against the answer expected for its write.
struct lpi_counter final : dbvp::gic::lpi_sink_if {
    const answer* want = nullptr; // the stream's answers, checked in order from `pos`
    std::size_t len = 0, pos = 0;
    std::uint64_t seen = 0, wrong = 0, other_calls = 0;
    std::uint64_t target = 0; // notify `reached` when seen gets here
    sc_event reached;

    unsigned num_processors() const override { return kCollections; }
    bool set_lpi_pending(unsigned processor, unsigned intid, sc_time&) override {
        if (want) {
            const answer& w = want[pos];
            wrong += w.intid != intid || w.processor != processor;
            if (++pos == len)
                pos = 0;
        }
        if (++seen == target)
            reached.notify(SC_ZERO_TIME);
        return true;
    }
    void clear_lpi_pending(unsigned, unsigned, sc_time&) override { ++other_calls; }
    void invalidate_lpi(unsigned, unsigned, sc_time&) override { ++other_calls; }
    void invalidate_all_lpis(unsigned, sc_time&) override { ++other_calls; }
    void move_lpi(unsigned, unsigned, unsigned, sc_time&) override { ++other_calls; }
};

using command = std::array<std::uint64_t, 4>;

/// MAPD, MAPC x kCollections, MAPTI x kMaxEvents (GICv3 command encodings).
std::vector<command> mapping_commands() {
    std::vector<command> v;
    v.push_back({0x08 | (std::uint64_t{kDevice} << 32), kEventBits - 1, VALID | kItt, 0});
    for (unsigned c = 0; c < kCollections; ++c)
        v.push_back({0x09, 0, VALID | (std::uint64_t{processor_of(c)} << 16) | c, 0});
    for (std::uint32_t ev = 0; ev < kMaxEvents; ++ev)
        v.push_back({0x0a | (std::uint64_t{kDevice} << 32), ev | (std::uint64_t{intid_of(ev)} << 32), icid_of(ev), 0});
    return v;
}

} // namespace its

// =====================================================================================================================
// SMMU
// =====================================================================================================================
namespace smmu {

constexpr unsigned kStreamCounts[] = {1, 16, 256};
constexpr unsigned kMaxStreams = 256, kLog2Streams = 8;
constexpr unsigned kPages = 4; // mapped pages per stream
// Table memory (the walker's view, offsets into it).
constexpr std::uint64_t kTabSize = 0x400000;
constexpr std::uint64_t kStrtab = 0x0;     // 256 STEs of 64 bytes
constexpr std::uint64_t kCds = 0x10000;    // 256 CDs of 64 bytes
constexpr std::uint64_t kPtPool = 0x100000; // 3 tables of 4 KiB per stream
// Data memory (the SMMU's output).
constexpr std::uint64_t kDataSize = 0x500000;
constexpr std::uint64_t kData = 0x100000; // stream s, page k at kData + (s * kPages + k) * 4 KiB
constexpr std::uint64_t kVa = 0x40000000ull;
constexpr unsigned kT0sz = 25; // 39-bit input addresses: walk levels 1, 2, 3
constexpr std::size_t kStream = 4096;
constexpr std::size_t kBatch = 1024; // reads per benchmark iteration (one sc_start)
// Registers.
constexpr std::uint64_t CR0 = 0x20, CR0ACK = 0x24, STRTAB_BASE = 0x80, STRTAB_BASE_CFG = 0x88;
constexpr std::uint32_t SMMUEN = 1;
// Descriptor bits (AArch64 stage 1, 4 KiB granule).
constexpr std::uint64_t D_VALID = 1, D_TABLE = 2, AP1 = 1ull << 6, SH_ISH = 3ull << 8,
                        AF = 1ull << 10, OA = 0x0000fffffffff000ull;

std::uint64_t pa_of(unsigned sid, unsigned page) { return kData + (std::uint64_t{sid} * kPages + page) * 0x1000; }

/// Build the stream table, CDs and page tables in the table memory, and the data pattern.
void build_tables(std::uint8_t* tab, std::uint8_t* data) {
    for (unsigned s = 0; s < kMaxStreams; ++s) {
        const std::uint64_t cd = kCds + 64ull * s;
        const std::uint64_t l1 = kPtPool + 0x3000ull * s, l2 = l1 + 0x1000, l3 = l1 + 0x2000;
        // STE: V, Config = 0b101 (stage 1 translate, stage 2 bypass), S1ContextPtr.
        st64(tab + kStrtab + 64ull * s, 1 | (5ull << 1) | cd);
        // CD: T0SZ, TG0 = 4 KiB, EPD1, V, IPS = 48 bits, AA64, R, A, ASID; TTB0; MAIR.
        const std::uint64_t asid = s + 1;
        st64(tab + cd, kT0sz | (1ull << 30) | (1ull << 31) | (5ull << 32) | (1ull << 41) | (1ull << 45) |
                           (1ull << 46) | (asid << 48));
        st64(tab + cd + 8, l1);
        st64(tab + cd + 24, 0xff);
        st64(tab + l1 + 8 * ((kVa >> 30) & 0x1ff), l2 | D_VALID | D_TABLE);
        st64(tab + l2 + 8 * ((kVa >> 21) & 0x1ff), l3 | D_VALID | D_TABLE);
        for (unsigned k = 0; k < kPages; ++k) {
            const std::uint64_t va = kVa + 0x1000ull * k, pa = pa_of(s, k);
            st64(tab + l3 + 8 * ((va >> 12) & 0x1ff), pa | D_VALID | D_TABLE | AP1 | SH_ISH | AF);
            for (std::uint64_t w = 0; w < 0x1000; w += 4)
                st32(data + pa + w, static_cast<std::uint32_t>(pa + w)); // every word holds its address
        }
    }
}

/// The baseline: STE -> CD -> stage-1 walk on plain bytes, for an unprivileged read (STE.PRIVCFG 0: as incoming).
/// pa, or false on a fault.
inline bool translate(const std::uint8_t* mem, std::uint64_t size, std::uint32_t sid, std::uint64_t va,
                      std::uint64_t& pa) {
    if (sid >> kLog2Streams)
        return false;
    const std::uint64_t ste_at = kStrtab + 64ull * sid;
    const std::uint64_t ste0 = ld64(mem + ste_at);
    if (!(ste0 & 1))
        return false;
    const unsigned config = static_cast<unsigned>((ste0 >> 1) & 7);
    if (config == 4) { // bypass
        pa = va;
        return true;
    }
    if (config != 5)
        return false;
    const std::uint64_t cd_at = ste0 & 0x000fffffffffffc0ull;
    if (cd_at + 64 > size)
        return false;
    const std::uint64_t cd0 = ld64(mem + cd_at), cd1 = ld64(mem + cd_at + 8);
    const unsigned t0sz = static_cast<unsigned>(cd0 & 0x3f);
    if (!(cd0 & (1ull << 31)) || !(cd0 & (1ull << 41)) || ((cd0 >> 6) & 3) != 0 || t0sz < 16 || t0sz > 39 ||
        (cd0 & (1ull << 14)))
        return false;
    const unsigned ia = 64 - t0sz;
    if (va >> ia)
        return false;
    unsigned level = ia > 39 ? 0 : ia > 30 ? 1 : ia > 21 ? 2 : 3;
    unsigned shift = 12 + 9 * (3 - level);
    unsigned bits = ia - shift;
    std::uint64_t table = (cd1 & 0x0000fffffffffff0ull) & ~((8ull << bits) - 1);
    for (;;) {
        const std::uint64_t at = table + ((va >> shift) & ((1ull << bits) - 1)) * 8;
        if (at + 8 > size)
            return false;
        const std::uint64_t d = ld64(mem + at);
        if (!(d & D_VALID))
            return false;
        if (level < 3 && (d & D_TABLE)) {
            table = d & OA;
            ++level;
            shift -= 9;
            bits = 9;
            continue;
        }
        if (level == 0 || (level == 3 && !(d & D_TABLE)) || !(d & AF) || !(d & AP1))
            return false;
        pa = (d & OA & ~((1ull << shift) - 1)) | (va & ((1ull << shift) - 1));
        return true;
    }
}

struct txn {
    std::uint32_t sid;
    std::uint64_t va;
    std::uint64_t pa; // expected (baseline)
};

struct stream_case {
    unsigned streams = 0;
    std::vector<txn> stream;
    std::size_t pos = 0; // next position of the model's stream
};

std::vector<stream_case> g_cases;

stream_case* find(std::int64_t streams) { return find_case(g_cases, &stream_case::streams, streams); }

} // namespace smmu

// =====================================================================================================================
// Glue: requester ID -> DeviceID as the generic preset's msi-map gives it (<0x0 &its 0x0 0x10000>: the identity).
// =====================================================================================================================
namespace glue {

constexpr unsigned kRidCounts[] = {1, 256};
constexpr std::size_t kStream = 4096;

struct entry {
    std::uint32_t rid_base, out_base, length;
};
const entry kMap[] = {{0, 0, 0x10000}};

dbvp::pcie::sid_glue::params model_params() {
    dbvp::pcie::sid_glue::params p;
    p.type = dbvp::pcie::sid_glue::kind::map;
    p.device_map.clear();
    for (const entry& e : kMap)
        p.device_map.push_back({e.rid_base, e.out_base, e.length});
    p.stream_map = p.device_map;
    return p;
}

/// Plain C++: the first entry covering `rid`.
bool device_id(const entry* map, std::size_t n, std::uint32_t rid, std::uint32_t& out) {
    for (std::size_t i = 0; i < n; ++i)
        if (rid >= map[i].rid_base && rid - map[i].rid_base < map[i].length) {
            out = map[i].out_base + (rid - map[i].rid_base);
            return true;
        }
    return false;
}

struct stream_case {
    unsigned rids = 0;
    std::vector<std::uint16_t> rid;
    std::vector<std::uint32_t> want; // DeviceIDs
};
std::vector<stream_case> g_cases;
stream_case* find(std::int64_t rids) { return find_case(g_cases, &stream_case::rids, rids); }

} // namespace glue

// =====================================================================================================================
// The SystemC side: ITS and SMMU with their memories, and one driver thread that runs the jobs sc_main gives it.
// =====================================================================================================================
class rig : public sc_module {
public:
    enum class job { none, setup, its_batch, smmu_batch };

    dbvp::memory its_ram;
    dbvp::gic::gicv3_its its_model;
    its::lpi_counter sink;
    dbvp::memory smmu_tables, smmu_data;
    dbvp::smmu::smmuv3 smmu_model;
    dbvp::memory glue_ram; // where the glue's requests would go (the benchmark only looks IDs up)
    dbvp::pcie::sid_glue glue_model;
    tlm_utils::simple_initiator_socket<rig> its_regs, smmu_regs, dev, glue_in;
    dbvp::master its_m, smmu_m, dev_m;

    // Job parameters and results (set by sc_main between sc_start calls).
    job todo = job::none;
    bool busy = false;
    std::size_t count = 0;           // writes / reads of a batch
    its::stream_case* its_case = nullptr;
    smmu::stream_case* smmu_case = nullptr;
    std::uint64_t smmu_bad = 0;      // reads with an error response or the wrong data
    const std::vector<its::command>* commands = nullptr;
    std::string setup_error;

    SC_HAS_PROCESS(rig);
    explicit rig(const sc_module_name& n)
        : sc_module(n), its_ram("its_ram", dbvp::memory::params{its::kRamSize, 1000000000, 10, 10}),
          its_model("its", dbvp::gic::gicv3_its::params{}),
          smmu_tables("smmu_tables", dbvp::memory::params{smmu::kTabSize, 1000000000, 10, 10}),
          smmu_data("smmu_data", dbvp::memory::params{smmu::kDataSize, 1000000000, 10, 10}),
          smmu_model("smmu", dbvp::smmu::smmuv3::params{}),
          glue_ram("glue_ram", dbvp::memory::params{4096, 1000000000, 10, 10}),
          glue_model("glue", glue::model_params()),
          its_regs("its_regs"), smmu_regs("smmu_regs"), dev("dev"), glue_in("glue_in"), its_m(its_regs),
          smmu_m(smmu_regs), dev_m(dev) {
        its_model.mem.bind(its_ram.socket);
        its_model.connect(sink);
        its_regs.bind(its_model.regs);
        smmu_model.walker.bind(smmu_tables.socket);
        smmu_model.out.bind(smmu_data.socket);
        smmu_regs.bind(smmu_model.regs);
        dev.bind(smmu_model.in);
        glue_in.bind(glue_model.in);
        glue_model.out.bind(glue_ram.socket);
        SC_THREAD(run);
    }

    /// Run the job set in `todo` to its end (one sc_start). False when the driver did not finish it.
    bool execute(job j) {
        if (!started) { // let the driver thread reach its first wait(go)
            sc_start(SC_ZERO_TIME);
            started = true;
        }
        todo = j;
        const std::uint64_t done0 = jobs_done;
        go.notify(SC_ZERO_TIME);
        sc_start();
        return !busy && jobs_done == done0 + 1;
    }

private:
    sc_event go;
    bool started = false;
    std::uint64_t jobs_done = 0;

    void run() {
        for (;;) {
            wait(go);
            busy = true;
            switch (todo) {
            case job::setup: setup(); break;
            case job::its_batch: its_batch(); break;
            case job::smmu_batch: smmu_batch(); break;
            case job::none: break;
            }
            busy = false;
            ++jobs_done;
            sc_pause();
        }
    }

    std::uint64_t rd64(dbvp::master& m, std::uint64_t a) {
        std::uint64_t v = 0;
        if (m.read(a, &v, 8) != tlm::TLM_OK_RESPONSE)
            setup_error = "register read failed at 0x" + std::to_string(a);
        return v;
    }
    void wr64(dbvp::master& m, std::uint64_t a, std::uint64_t v) {
        if (m.write(a, &v, 8) != tlm::TLM_OK_RESPONSE)
            setup_error = "register write failed at 0x" + std::to_string(a);
    }
    std::uint32_t rd32(dbvp::master& m, std::uint64_t a) {
        std::uint32_t v = 0;
        if (m.read(a, &v, 4) != tlm::TLM_OK_RESPONSE)
            setup_error = "register read failed at 0x" + std::to_string(a);
        return v;
    }
    void wr32(dbvp::master& m, std::uint64_t a, std::uint32_t v) {
        if (m.write(a, &v, 4) != tlm::TLM_OK_RESPONSE)
            setup_error = "register write failed at 0x" + std::to_string(a);
    }

    void setup() {
        using namespace its;
        // ITS: command queue, flat device and collection tables (4 KiB pages), enable; then the mapping commands.
        wr64(its_m, GITS_CBASER, VALID | kQueue | (kQueueBytes / 0x1000 - 1));
        wr64(its_m, GITS_CWRITER, 0);
        wr64(its_m, GITS_BASER0, VALID | (1ull << 56) | (7ull << 48) | kDevTab | (kDevTabBytes / 0x1000 - 1));
        wr64(its_m, GITS_BASER1, VALID | (4ull << 56) | (7ull << 48) | kCollTab | (kCollTabBytes / 0x1000 - 1));
        wr32(its_m, GITS_CTLR, 1);
        std::uint64_t cwriter = 0;
        const std::vector<command>& cmds = *commands;
        for (std::size_t i = 0; i < cmds.size() && setup_error.empty();) {
            const std::size_t chunk = std::min<std::size_t>(cmds.size() - i, kQueueBytes / 32 / 2);
            for (std::size_t k = 0; k < chunk; ++k, ++i) {
                for (unsigned d = 0; d < 4; ++d)
                    st64(its_ram.data() + kQueue + cwriter + 8 * d, cmds[i][d]);
                cwriter = (cwriter + 32) % kQueueBytes;
            }
            wr64(its_m, GITS_CWRITER, cwriter);
            for (unsigned polls = 0;; ++polls) {
                its_m.wait_until(its_m.now() + sc_time(10, SC_US));
                const std::uint64_t r = rd64(its_m, GITS_CREADR);
                if (r == cwriter)
                    break;
                if ((r & CREADR_STALLED) || polls > 100000) {
                    setup_error = "the ITS command queue stalled or did not drain";
                    break;
                }
            }
        }
        // SMMU: linear stream table of 2^8 STEs, enable.
        wr64(smmu_m, smmu::STRTAB_BASE, smmu::kStrtab);
        wr32(smmu_m, smmu::STRTAB_BASE_CFG, smmu::kLog2Streams);
        wr32(smmu_m, smmu::CR0, smmu::SMMUEN);
        if (rd32(smmu_m, smmu::CR0ACK) != smmu::SMMUEN && setup_error.empty())
            setup_error = "SMMU CR0ACK does not acknowledge SMMUEN";
        its_m.sync();
        smmu_m.sync();
    }

    /// `count` TRANSLATER writes from its_case's position, fifo_depth at a time, each group until its LPIs arrived.
    void its_batch() {
        its::stream_case& c = *its_case;
        const std::size_t depth = its_model.get_params().fifo_depth;
        dbvp::pcie_attr a;
        a.type = dbvp::tlp_type::mem_wr;
        a.posted = true;
        a.has_device_id = true;
        a.device_id = its::kDevice;
        for (std::size_t left = count; left;) {
            const std::size_t chunk = std::min(left, depth);
            sink.target = sink.seen + chunk;
            for (std::size_t k = 0; k < chunk; ++k) {
                const std::uint32_t ev = c.order[c.pos];
                if (++c.pos == c.order.size())
                    c.pos = 0;
                its_m.write(its::GITS_TRANSLATER, &ev, 4, &a);
            }
            its_m.sync();
            while (sink.seen < sink.target) {
                const std::uint64_t before = sink.seen;
                wait(sc_time(1, SC_MS), sink.reached);
                if (sink.seen == before)
                    return; // lost translations: the caller sees the count short
            }
            left -= chunk;
        }
    }

    /// `count` reads through the SMMU from smmu_case's position; each must return its own physical address.
    void smmu_batch() {
        smmu::stream_case& c = *smmu_case;
        dbvp::pcie_attr a;
        a.type = dbvp::tlp_type::mem_rd;
        a.has_stream_id = true;
        for (std::size_t k = 0; k < count; ++k) {
            const smmu::txn& t = c.stream[c.pos];
            if (++c.pos == c.stream.size())
                c.pos = 0;
            a.stream_id = t.sid;
            std::uint32_t v = 0;
            const tlm::tlm_response_status rsp = dev_m.read(t.va, &v, 4, &a);
            smmu_bad += rsp != tlm::TLM_OK_RESPONSE || v != static_cast<std::uint32_t>(t.pa);
        }
        dev_m.sync();
    }
};

rig* g_rig = nullptr;
std::vector<std::uint8_t> g_its_bytes;  // the ITS's memory after programming (baseline input)
std::vector<std::uint8_t> g_smmu_bytes; // the SMMU's table memory (baseline input)

// =====================================================================================================================
// Benchmarks
// =====================================================================================================================

void BM_Iatu(benchmark::State& state) {
    iatu::bench& b = *iatu::find(state.range(0));
    const sc_time t = iatu::lookup_time();
    std::size_t i = 0;
    std::uint64_t wrong = 0;
    for (auto _ : state) {
        const iatu::lookup& q = b.stream[i];
        if (++i == b.stream.size())
            i = 0;
        std::uint64_t target = 0;
        const int r = b.model.inbound(0, 0, 0, 0, q.addr, t, target);
        wrong += r != q.region || (r >= 0 && target != q.target);
        benchmark::DoNotOptimize(target);
    }
    if (wrong)
        state.SkipWithError("iATU model answers differ from the baseline");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_IatuBaseline(benchmark::State& state) {
    const iatu::bench& b = *iatu::find(state.range(0));
    const iatu::region* regions = b.regions.data();
    const unsigned n = b.windows;
    std::size_t i = 0;
    std::uint64_t wrong = 0;
    for (auto _ : state) {
        const iatu::lookup& q = b.stream[i];
        if (++i == b.stream.size())
            i = 0;
        std::uint64_t target = 0;
        const int r = iatu::first_match(regions, n, q.addr, target);
        wrong += r != q.region || (r >= 0 && target != q.target);
        benchmark::DoNotOptimize(target);
    }
    if (wrong)
        state.SkipWithError("iATU baseline answers differ from the expected ones");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_Its(benchmark::State& state) {
    rig& r = *g_rig;
    its::stream_case& c = *its::find(state.range(0));
    r.its_case = &c;
    r.count = its::kBatch;
    r.sink.want = c.want.data();
    r.sink.len = c.want.size();
    r.sink.pos = c.pos;
    const std::uint64_t seen0 = r.sink.seen, wrong0 = r.sink.wrong, hits0 = r.its_model.stats().cache_hits;
    const std::size_t drops0 = r.its_model.drops().size();
    const sc_time sim0 = sc_time_stamp();
    std::uint64_t items = 0;
    for (auto _ : state) {
        const std::uint64_t before = r.sink.seen;
        const bool finished = r.execute(rig::job::its_batch);
        if (!finished || r.sink.seen - before != its::kBatch || r.its_model.drops().size() != drops0) {
            state.SkipWithError("ITS: LPIs counted at the redistributor side do not match the writes");
            break;
        }
        if (r.sink.wrong != wrong0) {
            state.SkipWithError("ITS: an LPI differs from the baseline's answer");
            break;
        }
        items += its::kBatch;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(items));
    if (items) {
        state.counters["sim_ns_per_item"] = (sc_time_stamp() - sim0).to_seconds() * 1e9 / static_cast<double>(items);
        state.counters["cache_hit_pct"] =
            100.0 * static_cast<double>(r.its_model.stats().cache_hits - hits0) / static_cast<double>(r.sink.seen - seen0);
    }
}

void BM_ItsBaseline(benchmark::State& state) {
    const its::stream_case& c = *its::find(state.range(0));
    const its::tables t{g_its_bytes.data(), g_its_bytes.size()};
    std::size_t i = 0;
    std::uint64_t wrong = 0;
    for (auto _ : state) {
        its::answer a{0, 0};
        const bool ok = its::translate(t, its::kDevice, c.order[i], a);
        wrong += !ok || a != c.want[i];
        if (++i == c.order.size())
            i = 0;
        benchmark::DoNotOptimize(a);
    }
    if (wrong)
        state.SkipWithError("ITS baseline answers differ from the expected ones");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_Smmu(benchmark::State& state) {
    rig& r = *g_rig;
    smmu::stream_case& c = *smmu::find(state.range(0));
    r.smmu_case = &c;
    r.count = smmu::kBatch;
    const auto s0 = r.smmu_model.stats();
    const std::size_t events0 = r.smmu_model.events().size();
    const sc_time sim0 = sc_time_stamp();
    std::uint64_t items = 0;
    for (auto _ : state) {
        const std::uint64_t bad0 = r.smmu_bad;
        if (!r.execute(rig::job::smmu_batch) || r.smmu_bad != bad0 || r.smmu_model.events().size() != events0) {
            state.SkipWithError("SMMU: a read failed or returned data from the wrong address");
            break;
        }
        items += smmu::kBatch;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(items));
    if (items) {
        const auto& s = r.smmu_model.stats();
        const double n = static_cast<double>(items);
        state.counters["sim_ns_per_item"] = (sc_time_stamp() - sim0).to_seconds() * 1e9 / n;
        state.counters["cfg_hit_pct"] = 100.0 * static_cast<double>(s.config_hits - s0.config_hits) / n;
        state.counters["tlb_hit_pct"] = 100.0 * static_cast<double>(s.tlb_hits - s0.tlb_hits) / n;
    }
}

void BM_SmmuBaseline(benchmark::State& state) {
    const smmu::stream_case& c = *smmu::find(state.range(0));
    const std::uint8_t* mem = g_smmu_bytes.data();
    const std::uint64_t size = g_smmu_bytes.size();
    std::size_t i = 0;
    std::uint64_t wrong = 0;
    for (auto _ : state) {
        const smmu::txn& t = c.stream[i];
        if (++i == c.stream.size())
            i = 0;
        std::uint64_t pa = 0;
        const bool ok = smmu::translate(mem, size, t.sid, t.va, pa);
        wrong += !ok || pa != t.pa;
        benchmark::DoNotOptimize(pa);
    }
    if (wrong)
        state.SkipWithError("SMMU baseline answers differ from the expected ones");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

/// The timed loop of both glue benchmarks: lookup(rid, device_id) -> found, checked against the stream.
template <class Lookup> void glue_loop(benchmark::State& state, Lookup&& lookup, const char* mismatch) {
    const glue::stream_case& c = *glue::find(state.range(0));
    std::size_t i = 0;
    std::uint64_t wrong = 0;
    for (auto _ : state) {
        std::uint32_t id = 0;
        wrong += !lookup(c.rid[i], id) || id != c.want[i];
        benchmark::DoNotOptimize(id);
        if (++i == c.rid.size())
            i = 0;
    }
    if (wrong)
        state.SkipWithError(mismatch);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_Glue(benchmark::State& state) {
    const dbvp::pcie::sid_glue& model = g_rig->glue_model;
    glue_loop(
        state,
        [&](std::uint16_t rid, std::uint32_t& id) {
            const dbvp::pcie::sid_glue::ids ids = model.lookup(rid);
            id = ids.device_id;
            return ids.has_device_id;
        },
        "glue model answers differ from the baseline");
}

void BM_GlueBaseline(benchmark::State& state) {
    glue_loop(
        state,
        [](std::uint16_t rid, std::uint32_t& id) {
            return glue::device_id(glue::kMap, std::size(glue::kMap), rid, id);
        },
        "glue baseline answers differ from the expected ones");
}

void register_benchmarks() {
    auto* a = benchmark::RegisterBenchmark("BM_Iatu", BM_Iatu);
    auto* ab = benchmark::RegisterBenchmark("BM_IatuBaseline", BM_IatuBaseline);
    for (unsigned w : iatu::kWindowCounts) {
        a->Arg(w);
        ab->Arg(w);
    }
    auto* i = benchmark::RegisterBenchmark("BM_Its", BM_Its);
    auto* ib = benchmark::RegisterBenchmark("BM_ItsBaseline", BM_ItsBaseline);
    for (unsigned e : its::kEventCounts) {
        i->Arg(e);
        ib->Arg(e);
    }
    auto* g = benchmark::RegisterBenchmark("BM_Glue", BM_Glue);
    auto* gb = benchmark::RegisterBenchmark("BM_GlueBaseline", BM_GlueBaseline);
    for (unsigned n : glue::kRidCounts) {
        g->Arg(n);
        gb->Arg(n);
    }
    auto* s = benchmark::RegisterBenchmark("BM_Smmu", BM_Smmu);
    auto* sb = benchmark::RegisterBenchmark("BM_SmmuBaseline", BM_SmmuBaseline);
    for (unsigned n : smmu::kStreamCounts) {
        s->Arg(n);
        sb->Arg(n);
    }
}

int fail(const std::string& what) {
    std::fprintf(stderr, "[bench_blocks] %s\n", what.c_str());
    return 1;
}

} // namespace

int sc_main(int argc, char* argv[]) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;

    // ---- iATU: one model per window count (plain objects, no SystemC process). ----
    for (unsigned w : iatu::kWindowCounts) {
        iatu::g_benches.push_back(std::make_unique<iatu::bench>(w));
        if (const char* err = iatu::g_benches.back()->build())
            return fail(std::string("iATU/") + std::to_string(w) + ": " + err);
        const std::size_t bad = iatu::g_benches.back()->compare();
        std::size_t hits = 0;
        for (const auto& q : iatu::g_benches.back()->stream)
            hits += q.region >= 0;
        std::printf("[bench_blocks] iATU %3u windows: %zu lookups (%zu hits), %zu model/baseline mismatches\n", w,
                    iatu::kStream, hits, bad);
        if (bad)
            return fail("iATU model and baseline disagree");
    }

    // ---- ITS and SMMU: elaborate, program. ----
    rig r("rig");
    g_rig = &r;
    smmu::build_tables(r.smmu_tables.data(), r.smmu_data.data());
    const std::vector<its::command> cmds = its::mapping_commands();
    r.commands = &cmds;
    if (!r.execute(rig::job::setup) || !r.setup_error.empty())
        return fail("setup: " + (r.setup_error.empty() ? std::string("the driver did not finish") : r.setup_error));
    if (!r.its_model.command_errors().empty() || r.its_model.stalled() || r.sink.other_calls)
        return fail("ITS: the mapping commands did not all execute cleanly");
    std::printf("[bench_blocks] ITS programmed: %llu commands in %.3f ms simulated\n",
                static_cast<unsigned long long>(r.its_model.stats().commands), sc_time_stamp().to_seconds() * 1e3);

    // ---- ITS: the baseline on a copy of the tables the ITS wrote, then the model over every stream. ----
    g_its_bytes.assign(r.its_ram.data(), r.its_ram.data() + its::kRamSize);
    const its::tables tab{g_its_bytes.data(), g_its_bytes.size()};
    std::mt19937_64 rng(kSeed);
    for (unsigned n : its::kEventCounts) {
        its::stream_case c;
        c.events = n;
        c.order.resize(n);
        for (unsigned e = 0; e < n; ++e)
            c.order[e] = e;
        std::shuffle(c.order.begin(), c.order.end(), rng);
        c.want.resize(n);
        for (unsigned k = 0; k < n; ++k) {
            const std::uint32_t ev = c.order[k];
            if (!its::translate(tab, its::kDevice, ev, c.want[k]) ||
                c.want[k] != its::answer{its::intid_of(ev), its::processor_of(its::icid_of(ev))})
                return fail("ITS baseline: the tables do not hold the programmed mapping of EventID " +
                            std::to_string(ev));
        }
        its::g_cases.push_back(std::move(c));
    }
    for (auto& c : its::g_cases) {
        r.its_case = &c;
        r.count = c.order.size();
        r.sink.want = c.want.data();
        r.sink.len = c.want.size();
        r.sink.pos = 0;
        const std::uint64_t seen0 = r.sink.seen;
        if (!r.execute(rig::job::its_batch) || r.sink.seen - seen0 != c.order.size() || !r.its_model.drops().empty())
            return fail("ITS/" + std::to_string(c.events) + ": LPIs missing at the redistributor side (" +
                        std::to_string(r.its_model.drops().size()) + " drops)");
        std::printf("[bench_blocks] ITS %5u events: %zu translations, %llu model/baseline mismatches\n", c.events,
                    c.order.size(), static_cast<unsigned long long>(r.sink.wrong));
        if (r.sink.wrong)
            return fail("ITS model and baseline disagree");
    }

    // ---- SMMU: streams with the baseline's answers, then the model over every stream. ----
    g_smmu_bytes.assign(r.smmu_tables.data(), r.smmu_tables.data() + smmu::kTabSize);
    for (unsigned n : smmu::kStreamCounts) {
        smmu::stream_case c;
        c.streams = n;
        c.stream.resize(smmu::kStream);
        std::mt19937_64 srng(kSeed + n);
        for (smmu::txn& t : c.stream) {
            t.sid = static_cast<std::uint32_t>(srng() % n);
            const unsigned page = static_cast<unsigned>(srng() % smmu::kPages);
            t.va = smmu::kVa + 0x1000ull * page + 4 * (srng() % 1024);
            if (!smmu::translate(g_smmu_bytes.data(), g_smmu_bytes.size(), t.sid, t.va, t.pa) ||
                t.pa != smmu::pa_of(t.sid, page) + (t.va & 0xfff))
                return fail("SMMU baseline: the tables do not hold the programmed mapping");
        }
        smmu::g_cases.push_back(std::move(c));
    }
    for (auto& c : smmu::g_cases) {
        r.smmu_case = &c;
        r.count = c.stream.size();
        if (!r.execute(rig::job::smmu_batch) || !r.smmu_model.events().empty())
            return fail("SMMU/" + std::to_string(c.streams) + ": the model faulted");
        std::printf("[bench_blocks] SMMU %3u streams: %zu reads, %llu model/baseline mismatches\n", c.streams,
                    c.stream.size(), static_cast<unsigned long long>(r.smmu_bad));
        if (r.smmu_bad)
            return fail("SMMU model and baseline disagree");
    }
    // ---- Glue: streams of requester IDs; the model and the baseline against an independent expectation. ----
    for (unsigned n : glue::kRidCounts) {
        glue::stream_case c;
        c.rids = n;
        std::mt19937_64 grng(kSeed + 7 * n);
        std::vector<std::uint16_t> ids(n);
        for (auto& id : ids)
            id = static_cast<std::uint16_t>(grng()); // the identity map covers every requester ID
        std::size_t bad = 0;
        for (std::size_t k = 0; k < glue::kStream; ++k) {
            const std::uint16_t rid = ids[grng() % n];
            c.rid.push_back(rid);
            c.want.push_back(rid); // DeviceID = requester ID
            std::uint32_t base = 0;
            const dbvp::pcie::sid_glue::ids m = r.glue_model.lookup(rid);
            bad += !glue::device_id(glue::kMap, std::size(glue::kMap), rid, base) || base != rid ||
                   !m.has_device_id || m.device_id != rid;
        }
        std::printf("[bench_blocks] glue %3u requester IDs: %zu lookups, %zu model/baseline mismatches\n", n,
                    glue::kStream, bad);
        if (bad)
            return fail("glue model and baseline disagree");
        glue::g_cases.push_back(std::move(c));
    }
    if (const int w = sc_report_handler::get_count(SC_WARNING) + sc_report_handler::get_count(SC_ERROR))
        return fail(std::to_string(w) + " SystemC warnings/errors during set-up and checks");
    std::fflush(stdout);

    register_benchmarks();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    g_rig = nullptr;
    return 0;
}
