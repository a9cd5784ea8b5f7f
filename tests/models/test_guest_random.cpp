// Guest mistakes, random soak (project issue 9): one test per model programs it at random — register accesses at
// random offsets inside and outside its register space, of random sizes (1, 2, 4, 8 bytes, some misaligned),
// with random values, interleaved with the model's own traffic (TLPs, DMA from random descriptors in RAM, SPIs,
// LPIs, ITS commands and tables, SMMU tables, commands and transactions, LUT lookups) — for at least 1,000,000
// cycles of the model's clock, then reprograms it sanely and checks that one normal operation still works.
//
// Pass criteria: no crash, no exception, no SC_ERROR / SC_FATAL, no warning other than dbvp/guest ones (counted
// by test::allow_guest_warnings), the simulation reaches the end time, and:
//   * every register access gets the architectural answer of its register bank — predicted from the bank's map
//     (probed with debug reads before the soak): a size the bank does not take or a misaligned access is
//     TLM_GENERIC_ERROR_RESPONSE, an offset with no register TLM_ADDRESS_ERROR_RESPONSE (the iATU: read as zero,
//     write ignored), an offset beyond the window the interconnect's decode miss — and every error answer comes
//     with at least one guest warning;
//   * model traffic gets the architectural answer where it can be predicted (dwc_ep inbound TLPs against
//     translate_inbound() and the RAM contents, outbound TLPs against the iATU registers, configuration
//     requests against the DBI map; ITS TRANSLATER writes always complete OK, bad ones are dropped at once;
//     SMMU transactions while SMMUEN = 0 follow GBPA; LUT lookups against a reference LUT kept by the test).
//
// Seeds: each test has a fixed default seed (a failure in CI reproduces), printed with the results; the
// environment variable DBVP_GUEST_SEED overrides it (decimal or 0x hex); DBVP_GUEST_CYCLES runs longer than the
// 1,000,000 cycles. Each test prints its counters, the simulated and wall time, the process RSS and the most
// frequent guest warnings.
//
// The benches drive the models through plain initiator sockets (any access size), so they set the TLM global
// quantum to 1 us themselves, as the platform does (dbvp,quantum-ns). (With a zero quantum the GIC's
// redistributor engine used to hang in delta cycles: GicGuest.RedistributorMakesProgressWithAZeroGlobalQuantum.)
// Problems the soaks found are reproduced, and kept fixed, by directed tests in tests/models/test_guest_<model>.cpp.
#include "dbvp/bus/router.h"
#include "dbvp/core/payload.h"
#include "dbvp/core/irq.h"
#include "dbvp/core/master.h"
#include "dbvp/core/sideband.h"
#include "dbvp/fw/gicv3.h"
#include "dbvp/gic/gicv3.h"
#include "dbvp/gic/gicv3_its.h"
#include "dbvp/mem/memory.h"
#include "dbvp/pcie/dwc_edma.h"
#include "dbvp/pcie/dwc_ep.h"
#include "dbvp/pcie/sid_glue.h"
#include "dbvp/smmu/smmuv3.h"
#include "reports.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <map>
#include <random>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <unistd.h>
#include <vector>

using namespace dbvp;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;
using sc_core::SC_ZERO_TIME;

namespace {

constexpr unsigned BATCHES = 100; // the soak runs in batches of soak_cycles() / BATCHES cycles

/// Cycles of the model's clock a soak runs: 1,000,000, or more with DBVP_GUEST_CYCLES (a longer local soak).
std::uint64_t soak_cycles() {
    std::uint64_t n = 1000000;
    if (const char* e = std::getenv("DBVP_GUEST_CYCLES"); e && *e)
        n = std::max<std::uint64_t>(n, std::strtoull(e, nullptr, 0));
    return n;
}
const std::uint64_t SOAK_CYCLES = soak_cycles();

// ---- Seeds and random numbers ---------------------------------------------------------------------------------

std::uint64_t default_seed(const char* test) {
    std::uint64_t h = 1469598103934665603ull; // FNV-1a of the test name: fixed, different per test
    for (const char* c = test; *c; ++c)
        h = (h ^ static_cast<unsigned char>(*c)) * 1099511628211ull;
    return h & 0xffffffffull;
}

/// The seed of a soak: DBVP_GUEST_SEED when set, else the test's default.
std::uint64_t soak_seed(const char* test) {
    if (const char* e = std::getenv("DBVP_GUEST_SEED"); e && *e)
        return std::strtoull(e, nullptr, 0);
    return default_seed(test);
}

struct rng {
    std::mt19937_64 g;
    explicit rng(std::uint64_t seed) : g(seed) {}
    std::uint64_t bits() { return g(); }
    /// 0 .. n-1 (n > 0)
    std::uint64_t below(std::uint64_t n) { return n ? g() % n : 0; }
    std::uint64_t range(std::uint64_t lo, std::uint64_t hi) { return lo + below(hi - lo + 1); }
    /// true with probability percent / 100
    bool pct(unsigned percent) { return below(100) < percent; }
    template <class T> const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }
    template <class T, std::size_t N> const T& pick(const std::array<T, N>& v) { return v[below(N)]; }
    /// A value as software writes them: random, small, one bit, all ones, zero...
    std::uint64_t value() {
        switch (below(10)) {
        case 0: return 0;
        case 1: return ~0ull;
        case 2: return 1ull << below(64);
        case 3: return below(64);
        case 4: return bits() & 0xffffffffull;
        case 5: return ~(1ull << below(64));
        default: return bits();
        }
    }
    /// 1, 2, 4 or 8 bytes (4 most often).
    unsigned size() {
        const unsigned s[] = {1, 2, 4, 4, 4, 4, 4, 8, 8, 8};
        return s[below(10)];
    }
};

std::uint64_t rss_kib() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    unsigned long long total = 0, resident = 0;
    const int n = std::fscanf(f, "%llu %llu", &total, &resident);
    std::fclose(f);
    return n == 2 ? resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)) / 1024 : 0;
}

const char* rsp_name(tlm::tlm_response_status s) {
    switch (s) {
    case tlm::TLM_OK_RESPONSE: return "OK";
    case tlm::TLM_INCOMPLETE_RESPONSE: return "INCOMPLETE";
    case tlm::TLM_GENERIC_ERROR_RESPONSE: return "GENERIC_ERROR";
    case tlm::TLM_ADDRESS_ERROR_RESPONSE: return "ADDRESS_ERROR";
    case tlm::TLM_COMMAND_ERROR_RESPONSE: return "COMMAND_ERROR";
    case tlm::TLM_BURST_ERROR_RESPONSE: return "BURST_ERROR";
    case tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE: return "BYTE_ENABLE_ERROR";
    }
    return "?";
}

std::string hex(std::uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

// ---- Pieces ---------------------------------------------------------------------------------------------------

/// An initiator with one reused payload. access() calls b_transport with a zero local offset and returns the
/// delay the path annotated in `last_delay`; the caller synchronises (soak::sync) before its next access, so
/// every access happens at the kernel's time and nothing else runs between an access and its checks.
struct port : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<port> socket;
    tlm::tlm_generic_payload pl;
    sc_time last_delay;
    explicit port(sc_core::sc_module_name n) : sc_module(n), socket("socket") {}
    ~port() override { pl.clear_extension<pcie_attr>(); }
    tlm::tlm_response_status access(bool write, std::uint64_t addr, void* data, unsigned len,
                                    pcie_attr* attr = nullptr) {
        prepare_access(pl, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, addr, data, len);
        if (attr)
            pl.set_extension(attr);
        sc_time d = SC_ZERO_TIME;
        const sc_time before = sc_core::sc_time_stamp();
        socket->b_transport(pl, d);
        if (attr)
            pl.clear_extension(attr);
        last_delay = sc_core::sc_time_stamp() + d - before;
        return pl.get_response_status();
    }
    /// Debug read (no time, no side effects, no warnings); true when the whole access succeeded.
    bool peek(std::uint64_t addr, void* data, unsigned len) {
        tlm::tlm_generic_payload p;
        p.set_command(tlm::TLM_READ_COMMAND);
        p.set_address(addr);
        p.set_data_ptr(static_cast<unsigned char*>(data));
        p.set_data_length(len);
        p.set_streaming_width(len);
        return socket->transport_dbg(p) == len;
    }
    std::uint64_t peek64(std::uint64_t addr, unsigned len = 8) {
        std::uint64_t v = 0;
        peek(addr, &v, len);
        return v;
    }
};

/// Counts the level changes of interrupt lines.
struct line_sink : irq_sink {
    std::vector<bool> level = std::vector<bool>(64, false);
    std::uint64_t rises = 0;
    void irq_level(unsigned input, bool l, const sc_time&) override {
        rises += l && !level.at(input);
        level.at(input) = l;
    }
};

/// A register window as the predictor sees it: base on the initiator's bus, size (the interconnect maps exactly
/// this much: beyond it, a decode miss), the access sizes the bank takes, and which 4-byte slots hold registers
/// (probed with debug reads; raz_wi windows answer every access).
struct window {
    std::string name;
    std::uint64_t base = 0, size = 0;
    unsigned sizes = 1u << 4;
    bool raz_wi = false;
    std::vector<bool> mapped;         // per 4-byte slot
    std::vector<std::uint64_t> regs;  // offsets worth hitting (mapped slots, or a list given by the test)
    /// Offsets the predictor leaves alone (their own rules, e.g. GITS_TRANSLATER): true = skip.
    std::function<bool(std::uint64_t off, unsigned len)> special;

    window() = default;
    window(std::string n, std::uint64_t b, std::uint64_t s, unsigned sz, bool raz = false)
        : name(std::move(n)), base(b), size(s), sizes(sz), raz_wi(raz) {}

    void probe(port& p) {
        mapped.assign(size / 4, false);
        for (std::uint64_t off = 0; off + 4 <= size; off += 4) {
            std::uint32_t v = 0;
            mapped[off / 4] = p.peek(base + off, &v, 4);
            if (mapped[off / 4] && !raz_wi)
                regs.push_back(off);
        }
    }
    /// The architectural answer of a register access.
    tlm::tlm_response_status expect(std::uint64_t off, unsigned len) const {
        if (off >= size || len > size - off)
            return tlm::TLM_ADDRESS_ERROR_RESPONSE; // decode miss of the interconnect
        if (len == 0 || len > 8 || !(sizes & (1u << len)) || off % len)
            return tlm::TLM_GENERIC_ERROR_RESPONSE;
        if (raz_wi)
            return tlm::TLM_OK_RESPONSE;
        for (std::uint64_t s = off / 4; s <= (off + len - 1) / 4; ++s)
            if (!mapped[s])
                return tlm::TLM_ADDRESS_ERROR_RESPONSE;
        return tlm::TLM_OK_RESPONSE;
    }
    /// A random offset: mostly a register (sometimes misaligned for the size), sometimes anywhere in the window
    /// or a little beyond it.
    std::uint64_t offset(rng& r, unsigned len) const {
        std::uint64_t off;
        if (!regs.empty() && r.pct(80)) {
            off = regs[r.below(regs.size())];
            if (len == 8 && r.pct(30))
                off &= ~7ull;
            if (len < 4)
                off += r.below(4);
        } else {
            off = r.below(size + size / 16 + 8);
        }
        if (r.pct(92))
            off &= ~static_cast<std::uint64_t>(len - 1); // naturally aligned, mostly
        return off;
    }
};

/// What a soak counts.
struct soak_counts {
    std::uint64_t steps = 0;
    std::uint64_t reg_accesses = 0, reg_errors = 0, reg_mismatches = 0, silent_errors = 0;
    std::uint64_t traffic = 0, traffic_mismatches = 0;
    std::map<std::string, std::uint64_t> by_action;
};

/// Common soak state: the random stream, the guest-warning allowance, counters, time.
struct soak {
    const char* name;
    std::uint64_t seed;
    rng r;
    test::allow_guest_warnings& guest;
    soak_counts n;
    const clocked& clk; // the model whose clock measures the soak
    unsigned max_reports = 8;
    std::chrono::steady_clock::time_point wall0 = std::chrono::steady_clock::now();
    std::uint64_t rss0 = rss_kib();

    soak(const char* t, std::uint64_t s, test::allow_guest_warnings& g, const clocked& c)
        : name(t), seed(s), r(s), guest(g), clk(c) {}

    void sync(const sc_time& d) {
        if (d != SC_ZERO_TIME)
            sc_core::wait(d);
    }
    void idle_cycles(std::uint64_t cycles) {
        if (cycles)
            sc_core::wait(clk.cycles(cycles));
    }
    /// A failure with the seed, at most max_reports times per kind of failure (the counters carry the rest).
    void mismatch(std::uint64_t& counter, const std::string& what) {
        if (++counter <= max_reports)
            ADD_FAILURE() << name << " (DBVP_GUEST_SEED=" << seed << ", t=" << sc_core::sc_time_stamp()
                          << "): " << what;
    }
    /// One register access checked against the window's map. Returns the response; `data` holds what was read.
    tlm::tlm_response_status reg_access(port& p, const window& w, bool write, std::uint64_t off, unsigned len,
                                        std::uint64_t& data) {
        ++n.reg_accesses;
        const std::uint64_t warnings = guest.count();
        std::uint64_t buf = write ? data : 0;
        const auto rsp = p.access(write, w.base + off, &buf, len);
        if (!write)
            data = buf;
        const bool skip = w.special && w.special(off, len);
        if (!skip) {
            const auto want = w.expect(off, len);
            if (rsp != want)
                mismatch(n.reg_mismatches, w.name + (write ? " write " : " read ") + std::to_string(len) +
                                               " bytes at offset " + hex(off) + " (value " + hex(data) +
                                               "): answered " + rsp_name(rsp) + ", the register map says " +
                                               rsp_name(want));
        }
        if (rsp != tlm::TLM_OK_RESPONSE) {
            ++n.reg_errors;
            if (guest.count() == warnings)
                mismatch(n.silent_errors, w.name + (write ? " write " : " read ") + std::to_string(len) +
                                              " bytes at offset " + hex(off) + " answered " + rsp_name(rsp) +
                                              " without a guest warning");
        }
        sync(p.last_delay);
        return rsp;
    }
    /// A random register access (offset, size, value, direction) in window w.
    void random_reg(port& p, const window& w, unsigned write_pct = 70) {
        const unsigned len = r.size();
        const std::uint64_t off = w.offset(r, len);
        std::uint64_t v = r.value();
        reg_access(p, w, r.pct(write_pct), off, len, v);
    }
    /// A checked 4- or 8-byte write of a chosen register (the "smart" writes: plausible values).
    void write(port& p, const window& w, std::uint64_t off, std::uint64_t v, unsigned len = 4) {
        reg_access(p, w, true, off, len, v);
    }
    std::uint64_t read(port& p, const window& w, std::uint64_t off, unsigned len = 4) {
        std::uint64_t v = 0;
        reg_access(p, w, false, off, len, v);
        return v;
    }
    void count(const char* action) { ++n.by_action[action]; }

    /// Results for the log (stdout); failures of the counters are the caller's EXPECTs.
    void print(const sc_time& simulated) const {
        const double wall =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
        std::printf("[ soak     ] %s DBVP_GUEST_SEED=%llu: %.3f us simulated (%llu cycles), %.2f s wall, RSS "
                    "%llu -> %llu KiB\n",
                    name, static_cast<unsigned long long>(seed), simulated.to_seconds() * 1e6,
                    static_cast<unsigned long long>(simulated / clk.clock_period()), wall,
                    static_cast<unsigned long long>(rss0), static_cast<unsigned long long>(rss_kib()));
        std::printf("[ soak     ] steps %llu, register accesses %llu (error answers %llu, mismatches %llu, "
                    "errors without a warning %llu), traffic %llu (mismatches %llu), guest warnings %llu\n",
                    static_cast<unsigned long long>(n.steps), static_cast<unsigned long long>(n.reg_accesses),
                    static_cast<unsigned long long>(n.reg_errors), static_cast<unsigned long long>(n.reg_mismatches),
                    static_cast<unsigned long long>(n.silent_errors), static_cast<unsigned long long>(n.traffic),
                    static_cast<unsigned long long>(n.traffic_mismatches),
                    static_cast<unsigned long long>(guest.count()));
        std::string acts;
        for (const auto& [k, v] : n.by_action)
            acts += " " + k + "=" + std::to_string(v);
        std::printf("[ soak     ] actions:%s\n", acts.c_str());
        std::printf("[ soak     ] most frequent guest warnings:\n%s", guest.summary(10).c_str());
        std::fflush(stdout);
    }
    void expect_clean() const {
        EXPECT_EQ(n.reg_mismatches, 0u) << "register answers that differ from the register map";
        EXPECT_EQ(n.silent_errors, 0u) << "error answers without a guest warning";
        EXPECT_EQ(n.traffic_mismatches, 0u) << "model traffic that did not get the architectural answer";
        EXPECT_GT(n.reg_accesses, 1000u);
        // Records (incidents, drops, events, aborts) grow with the soak; anything beyond that is a leak.
        const std::uint64_t rss = rss_kib();
        EXPECT_LT(rss > rss0 ? rss - rss0 : 0, 256u * 1024) << "KiB of memory growth";
    }
};

/// Runs `body` in an SC_THREAD; the simulation stops when it returns. Sets the global quantum the way the platform
/// does (dbvp,quantum-ns, default 1 us): the engines run ahead of the kernel by at most that much.
struct runner : sc_core::sc_module {
    std::function<void()> body;
    bool finished = false;
    SC_HAS_PROCESS(runner);
    explicit runner(sc_core::sc_module_name n) : sc_module(n) {
        master::set_global_quantum(sc_time(1, SC_US));
        SC_THREAD(thread);
    }
    void thread() {
        body();
        finished = true;
        sc_core::sc_stop();
    }
    void run(std::function<void()> fn) {
        body = std::move(fn);
        sc_core::sc_start();
    }
};

/// The soak loop: `step` until the model's clock has run SOAK_CYCLES cycles (in BATCHES batches, `batch_end`
/// after each). Returns the simulated time it took.
sc_time soak_loop(soak& s, const std::function<void()>& step, const std::function<void(unsigned)>& batch_end) {
    const sc_time t0 = sc_core::sc_time_stamp();
    for (unsigned b = 1; b <= BATCHES; ++b) {
        const sc_time end = t0 + s.clk.cycles(SOAK_CYCLES * b / BATCHES);
        while (sc_core::sc_time_stamp() < end) {
            step();
            ++s.n.steps;
        }
        if (batch_end)
            batch_end(b);
    }
    return sc_core::sc_time_stamp() - t0;
}

} // namespace

// ---- Harness ----------------------------------------------------------------------------------------------------

TEST(GuestHarness, AllowanceCountsGuestWarningsAndNothingElse) {
    test::allow_guest_warnings guest;
    SC_REPORT_WARNING("dbvp/guest", "bench: REG written with 0x12: ignored");
    SC_REPORT_WARNING("dbvp/guest", "bench: REG written with 0x34: ignored");
    EXPECT_EQ(guest.count(), 2u);
    ASSERT_EQ(guest.kinds().size(), 1u);
    EXPECT_EQ(guest.kinds().begin()->first, "dbvp/guest: bench: REG written with #: ignored");
    EXPECT_EQ(guest.samples().size(), 2u);
    {
        test::expect_report rep("0x56"); // an expect_report scope still takes the warnings it names
        SC_REPORT_WARNING("dbvp/guest", "bench: REG written with 0x56");
        EXPECT_EQ(rep.count(), 1u);
    }
    EXPECT_EQ(guest.count(), 2u);
    EXPECT_NONFATAL_FAILURE(SC_REPORT_WARNING("dbvp/other", "not a guest warning"), "unexpected SystemC warning");
    EXPECT_NONFATAL_FAILURE(
        {
            try {
                SC_REPORT_ERROR("dbvp/guest", "an error is never allowed");
            } catch (const sc_core::sc_report&) {
            }
        },
        "unexpected SystemC error");
    EXPECT_EQ(guest.count(), 2u);
}

// =================================================================================================================
// dwc_ep: DBI, DBI2, iATU, app; host configuration and memory TLPs, outbound CPU accesses, link up/down.
// =================================================================================================================

namespace {

using pcie::bar_config;
using pcie::bar_type;
using pcie::dwc_ep;

/// The link side of the controller: answers outbound TLPs (OK, or a UR completion, or a TLM error).
struct link_target : sc_core::sc_module {
    tlm_utils::simple_target_socket<link_target> socket;
    std::uint64_t count = 0;
    std::uint64_t last_addr = 0;
    unsigned last_len = 0;
    bool last_write = false;
    bool last_has_attr = false;
    pcie_attr last_attr;
    std::vector<std::uint8_t> last_data;
    enum class mode { ok, ur, error } answer = mode::ok;
    explicit link_target(sc_core::sc_module_name n) : sc_module(n), socket("socket") {
        socket.register_b_transport(this, &link_target::b_transport);
    }
    void b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
        ++count;
        last_addr = p.get_address();
        last_len = p.get_data_length();
        last_write = p.is_write();
        pcie_attr* a = attr_of(p);
        last_has_attr = a != nullptr;
        last_attr = a ? *a : pcie_attr{};
        if (p.is_write())
            last_data.assign(p.get_data_ptr(), p.get_data_ptr() + p.get_data_length());
        else
            std::memset(p.get_data_ptr(), 0x5a, p.get_data_length());
        delay += sc_time(20, SC_NS);
        if (a)
            a->status = answer == mode::ur ? cpl_status::ur : cpl_status::sc;
        p.set_response_status(answer == mode::error ? tlm::TLM_GENERIC_ERROR_RESPONSE : tlm::TLM_OK_RESPONSE);
    }
};

namespace epmap {
constexpr std::uint64_t DBI = 0x01000000, DBI2 = 0x02000000, ATU = 0x03000000, APP = 0x04000000;
constexpr std::uint64_t RAM_BASE = 0x10000000, RAM_SIZE = 0x01000000;
constexpr std::uint64_t PCI_WINDOW = 0x80000000; // where the "host" assigns BARs
constexpr unsigned FUNCS = 2, IB = 8, OB = 8;
} // namespace epmap

dwc_ep::params soak_ep_params() {
    dwc_ep::params p;
    p.num_functions = epmap::FUNCS;
    p.num_ib_windows = epmap::IB;
    p.num_ob_windows = epmap::OB;
    p.atu_size = 0x2000; // regions 0..7, then read-as-zero space
    p.min_region_size = 0x1000;
    p.max_region_upper = 0xf;
    p.addr_space_base = 0x40000000;
    p.addr_space_size = 0x10000000;
    p.bars[0] = bar_config{bar_type::programmable, 0, false, false, 0};
    p.bars[1] = bar_config{bar_type::programmable, 0, false, false, 0};
    p.bars[2] = bar_config{bar_type::resizable, 0, true, true, 0};
    p.bars[3] = bar_config{bar_type::programmable, 0, false, false, 0};
    p.bars[4] = bar_config{bar_type::reserved, 0x10000, false, false, epmap::RAM_BASE + 0x100000};
    p.bars[5] = bar_config{bar_type::fixed, 0x1000, false, false, 0};
    p.quirk_reserved_bar_alias = true; // the RK3588 observation: more paths to exercise
    return p;
}

struct ep_soak_bench {
    dwc_ep::params prm = soak_ep_params();
    dwc_ep ep{"ep", prm};
    memory ram{"ram", memory::params{epmap::RAM_SIZE, 1000000000, 10, 10}};
    router soc{"soc", router::params{1000000000, 2}};
    router cpu_bus{"cpu_bus", router::params{1000000000, 2}};
    port cpu{"cpu"};
    port host{"host"};
    link_target link{"link"};
    runner run{"runner"};
    window dbi{"DBI", epmap::DBI, epmap::FUNCS * 0x10000ull, (1u << 1) | (1u << 2) | (1u << 4)};
    window dbi2{"DBI2", epmap::DBI2, epmap::FUNCS * 0x10000ull, (1u << 1) | (1u << 2) | (1u << 4)};
    window atu{"iATU", epmap::ATU, 0x2000, 1u << 4, true};
    window app{"app", epmap::APP, 0x1000, 1u << 4};

    ep_soak_bench() {
        cpu.socket.bind(cpu_bus.in);
        cpu_bus.out.bind(ep.dbi);
        cpu_bus.out.bind(ep.dbi2);
        cpu_bus.out.bind(ep.atu);
        cpu_bus.out.bind(ep.app);
        cpu_bus.out.bind(ep.addr_space);
        cpu_bus.map(0, epmap::DBI, dbi.size, "dbi");
        cpu_bus.map(1, epmap::DBI2, dbi2.size, "dbi2");
        cpu_bus.map(2, epmap::ATU, atu.size, "atu");
        cpu_bus.map(3, epmap::APP, app.size, "app");
        cpu_bus.map(4, prm.addr_space_base, prm.addr_space_size, "addr_space");
        ep.axi_out.bind(soc.in);
        soc.out.bind(ram.socket);
        soc.map(0, epmap::RAM_BASE, epmap::RAM_SIZE, "ram");
        host.socket.bind(ep.pcie_in);
        ep.pcie_out.bind(link.socket);
        // Interesting iATU offsets: every register of every region (and of one absent region).
        for (unsigned i = 0; i <= epmap::OB; ++i)
            for (std::uint64_t blk : {0x0ull, 0x100ull})
                for (std::uint64_t reg : {0x0, 0x4, 0x8, 0xc, 0x10, 0x14, 0x18, 0x1c, 0x20})
                    atu.regs.push_back(i * 0x200ull + blk + reg);
    }

    std::uint64_t ram_bytes(std::uint64_t soc_addr, unsigned len) {
        std::uint64_t v = 0;
        std::memcpy(&v, ram.data() + (soc_addr - epmap::RAM_BASE), len);
        return v;
    }
};

/// The outbound region an endpoint CPU address would use, from the iATU registers (debug reads at the current
/// time: CTRL2.ENABLE reads back set only once the enable handshake completed). -1 when none matches.
int outbound_ref(ep_soak_bench& b, std::uint64_t cpu_addr, std::uint64_t& target, unsigned& func) {
    for (unsigned i = 0; i < epmap::OB; ++i) {
        const std::uint64_t r = epmap::ATU + i * 0x200ull;
        const std::uint64_t c1 = b.cpu.peek64(r + 0x0, 4), c2 = b.cpu.peek64(r + 0x4, 4);
        if (!(c2 & (1u << 31)) || (c1 & 0x1f) != 0)
            continue;
        const std::uint64_t base = b.cpu.peek64(r + 0x8, 4) | (b.cpu.peek64(r + 0xc, 4) << 32);
        const std::uint64_t hi = (c1 & (1u << 13)) ? b.cpu.peek64(r + 0x20, 4) : b.cpu.peek64(r + 0xc, 4);
        const std::uint64_t limit = (hi << 32) | b.cpu.peek64(r + 0x10, 4);
        if (cpu_addr < base || cpu_addr > limit)
            continue;
        target = (b.cpu.peek64(r + 0x14, 4) | (b.cpu.peek64(r + 0x18, 4) << 32)) + (cpu_addr - base);
        func = static_cast<unsigned>((c1 >> 20) & 7);
        return static_cast<int>(i);
    }
    return -1;
}

/// A plausible value for a chosen iATU register (what a driver, or a confused one, writes).
std::uint64_t atu_value(rng& r, std::uint64_t reg, bool inbound) {
    const std::uint64_t bases[] = {epmap::PCI_WINDOW, epmap::PCI_WINDOW + 0x01000000, 0x40000000, 0x40100000,
                                   0x4fff0000};
    switch (reg) {
    case 0x0: // CTRL1: type (memory mostly), INCREASE_REGION_SIZE, FUNC_NUM
        return (r.pct(90) ? 0 : r.below(32)) | (r.pct(20) ? 1u << 13 : 0) | (r.below(3) << 20) |
               (r.pct(5) ? r.bits() & 0xffffffffu : 0);
    case 0x4: // CTRL2: ENABLE, BAR_MODE, FUNC_NUM_MATCH, BAR
        return (r.pct(70) ? 1u << 31 : 0) | (inbound && r.pct(50) ? 1u << 30 : 0) | (r.pct(30) ? 1u << 19 : 0) |
               (r.below(7) << 8);
    case 0x8: return bases[r.below(5)] + (r.pct(80) ? r.below(16) * 0x1000 : r.below(0x10000));
    case 0xc: return r.pct(85) ? 0 : r.below(0x20);
    case 0x10: return r.pct(80) ? bases[r.below(5)] + (0x1000ull << r.below(12)) - 1 : r.bits() & 0xffffffffu;
    case 0x14: return epmap::RAM_BASE + (r.pct(85) ? r.below(epmap::RAM_SIZE / 0x1000) * 0x1000 : r.below(0x2000000));
    case 0x18: return r.pct(90) ? 0 : r.below(4);
    case 0x20: return r.pct(80) ? 0 : r.below(0x20);
    default: return r.value();
    }
}

} // namespace

TEST(GuestRandom, DwcEp) {
    const std::uint64_t seed = soak_seed("GuestRandom.DwcEp");
    RecordProperty("seed", std::to_string(seed));
    SCOPED_TRACE("DBVP_GUEST_SEED=" + std::to_string(seed));
    test::allow_guest_warnings guest;
    ep_soak_bench b;
    soak s("GuestRandom.DwcEp", seed, guest, b.ep);
    rng& r = s.r;
    sc_time simulated;

    b.run.run([&] {
        for (window* w : {&b.dbi, &b.dbi2, &b.app})
            w->probe(b.cpu);
        b.atu.probe(b.cpu);
        ASSERT_GT(b.dbi.regs.size(), 50u);
        ASSERT_FALSE(b.app.regs.empty());
        const dwc_ep::params& p = b.prm;

        // One host request (configuration or memory) with the architectural answer predicted.
        auto host_request = [&] {
            ++s.n.traffic;
            pcie_attr a;
            a.requester_id = make_bdf(0, 0, 0);
            const unsigned len = r.pct(70) ? r.size() : static_cast<unsigned>(r.range(1, 64));
            std::array<std::uint8_t, 64> data{};
            for (unsigned i = 0; i < len; ++i)
                data[i] = static_cast<std::uint8_t>(r.bits());
            const unsigned kind = static_cast<unsigned>(r.below(100));
            if (kind < 40) { // configuration request
                const bool write = r.pct(50);
                a.type = write ? tlp_type::cfg_wr0 : tlp_type::cfg_rd0;
                const unsigned func = r.pct(90) ? static_cast<unsigned>(r.below(p.num_functions)) : static_cast<unsigned>(r.below(8));
                const unsigned dev = r.pct(95) ? 0 : static_cast<unsigned>(r.below(32));
                a.completer_id = make_bdf(r.pct(90) ? 1 : static_cast<unsigned>(r.below(256)), dev, func);
                std::uint64_t off = r.pct(70) ? (r.pct(50) ? 0x10 + 4 * r.below(6) : 4 * r.below(0x40))
                                              : r.below(0x1100);
                if (r.pct(90))
                    off &= ~static_cast<std::uint64_t>(std::min(len, 4u) - 1);
                if (write && r.pct(60) && off >= 0x10 && off < 0x28) { // BAR assignment
                    const std::uint32_t v = static_cast<std::uint32_t>(epmap::PCI_WINDOW + r.below(64) * 0x01000000);
                    std::memcpy(data.data(), &v, 4);
                }
                if (write && off == 0x04 && r.pct(80))
                    data[0] |= 0x6; // memory space + bus master
                // The answer: a missing function or device is UR; beyond the 4 KiB space UR; the DBI registers
                // below 0x700 of the function's page with their bank's rules; the rest reads as zero.
                tlm::tlm_response_status want = tlm::TLM_OK_RESPONSE;
                if (dev != 0 || func >= p.num_functions || off >= 0x1000 || len > 0x1000 - off)
                    want = tlm::TLM_ADDRESS_ERROR_RESPONSE;
                else if (off < 0x700 && b.dbi.mapped[(func * 0x10000ull + off) / 4])
                    want = b.dbi.expect(func * 0x10000ull + off, len);
                const std::uint64_t warnings = guest.count();
                const auto rsp = b.host.access(write, off, data.data(), len, &a);
                if (rsp != want)
                    s.mismatch(s.n.traffic_mismatches,
                               std::string(write ? "CfgWr0" : "CfgRd0") + " to " + hex(a.completer_id) + " offset " +
                                   hex(off) + " len " + std::to_string(len) + ": " + rsp_name(rsp) + ", expected " +
                                   rsp_name(want));
                if (rsp == tlm::TLM_GENERIC_ERROR_RESPONSE && guest.count() == warnings)
                    s.mismatch(s.n.silent_errors, "configuration access with a bad size answered without a warning");
                s.count("cfg");
                s.sync(b.host.last_delay);
                return;
            }
            if (kind < 45) { // TLP types the endpoint does not accept
                const tlp_type types[] = {tlp_type::cfg_rd1, tlp_type::cfg_wr1, tlp_type::msg, tlp_type::none};
                a.type = types[r.below(4)];
                const std::size_t before = b.ep.incidents().size();
                const auto rsp = b.host.access(a.type == tlp_type::cfg_wr1 || a.type == tlp_type::msg,
                                               r.below(0x1000), data.data(), len, &a);
                const auto want = a.type == tlp_type::msg ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE;
                if (rsp != want || b.ep.incidents().size() != before + 1 ||
                    b.ep.incidents().back().kind != dwc_ep::incident_kind::inbound_bad_type)
                    s.mismatch(s.n.traffic_mismatches, std::string("TLP of type ") + to_string(a.type) +
                                                           ": " + rsp_name(rsp) + ", no inbound_bad_type incident");
                s.count("bad_tlp");
                s.sync(b.host.last_delay);
                return;
            }
            // Memory request, mostly near a BAR the host assigned.
            const bool write = r.pct(50);
            a.type = write ? tlp_type::mem_wr : tlp_type::mem_rd;
            a.posted = write;
            std::uint64_t addr = 0;
            const unsigned f = static_cast<unsigned>(r.below(p.num_functions)), bar = static_cast<unsigned>(r.below(6));
            const std::uint64_t size = b.ep.bar_size(f, bar);
            if (size && r.pct(85))
                addr = b.ep.bar_address(f, bar) + r.below(size + size / 8);
            else
                addr = r.pct(50) ? epmap::PCI_WINDOW + r.below(0x40000000) : r.bits();
            if (r.pct(80))
                addr &= ~3ull;
            const dwc_ep::translation tr = b.ep.translate_inbound(addr);
            const std::size_t incidents = b.ep.incidents().size();
            const bool in_ram = tr.hit && tr.target >= epmap::RAM_BASE && tr.target < epmap::RAM_BASE + epmap::RAM_SIZE &&
                                len <= epmap::RAM_BASE + epmap::RAM_SIZE - tr.target;
            const std::uint64_t before = in_ram && !write ? b.ram_bytes(tr.target, std::min(len, 8u)) : 0;
            const auto rsp = b.host.access(write, addr, data.data(), len, &a);
            // The architectural answer: posted writes always complete; reads: UR without BAR or region, CA for
            // the alias quirk or an interconnect error (which answers its own TLM error), else the data.
            tlm::tlm_response_status want = tlm::TLM_OK_RESPONSE;
            cpl_status want_status = cpl_status::sc;
            bool incident = true;
            if (!tr.bar_hit || (!tr.hit && !tr.alias_conflict)) {
                want = write ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE;
                want_status = write ? cpl_status::sc : cpl_status::ur;
            } else if (tr.alias_conflict) {
                want = write ? tlm::TLM_OK_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE;
                want_status = write ? cpl_status::sc : cpl_status::ca;
            } else if (!in_ram) {
                want = write ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE;
                want_status = write ? cpl_status::sc : cpl_status::ca;
            } else {
                incident = false;
            }
            bool ok = rsp == want && (write || a.status == want_status) &&
                      b.ep.incidents().size() == incidents + (incident ? 1 : 0);
            if (ok && in_ram) {
                std::uint64_t got = 0;
                std::memcpy(&got, data.data(), std::min(len, 8u));
                const std::uint64_t now = b.ram_bytes(tr.target, std::min(len, 8u));
                ok = write ? now == got : got == before;
            }
            if (!ok)
                s.mismatch(s.n.traffic_mismatches,
                           std::string(write ? "MWr" : "MRd") + " " + std::to_string(len) + " bytes at " + hex(addr) +
                               " (BAR hit " + std::to_string(tr.bar_hit) + ", region " + std::to_string(tr.region) +
                               ", target " + hex(tr.target) + "): " + rsp_name(rsp) + " status " +
                               to_string(a.status) + ", expected " + rsp_name(want) + " " + to_string(want_status));
            s.count(write ? "mwr" : "mrd");
            s.sync(b.host.last_delay);
        };

        // One endpoint CPU access to the outbound window, checked against the iATU registers.
        auto outbound = [&] {
            ++s.n.traffic;
            const bool write = r.pct(60);
            const unsigned len = r.size();
            std::uint64_t off = r.pct(70) ? r.below(0x200000) : r.below(p.addr_space_size + 0x1000);
            if (r.pct(50))
                off = (atu_value(r, 0x8, false) - p.addr_space_base + r.below(0x2000)) & 0x1fffffff;
            off &= ~static_cast<std::uint64_t>(len - 1);
            std::uint64_t target = 0;
            unsigned func = 0;
            const int region = off < p.addr_space_size ? outbound_ref(b, p.addr_space_base + off, target, func) : -1;
            b.link.answer = r.pct(90) ? link_target::mode::ok : r.pct(50) ? link_target::mode::ur : link_target::mode::error;
            const std::uint64_t tlps = b.link.count;
            const std::uint64_t warnings = guest.count();
            std::uint64_t v = r.bits();
            const auto rsp = b.cpu.access(write, p.addr_space_base + off, &v, len);
            tlm::tlm_response_status want = tlm::TLM_OK_RESPONSE;
            if (off >= p.addr_space_size)
                want = tlm::TLM_ADDRESS_ERROR_RESPONSE; // decode miss on the CPU bus
            else if (region < 0)
                want = write ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE;
            else if (!write && b.link.answer != link_target::mode::ok)
                want = tlm::TLM_GENERIC_ERROR_RESPONSE;
            bool ok = rsp == want;
            if (region >= 0) {
                const std::uint16_t bdf = make_bdf(bdf_bus(b.ep.captured_bdf(0)), bdf_dev(b.ep.captured_bdf(0)), func);
                ok = ok && b.link.count == tlps + 1 && b.link.last_addr == target && b.link.last_len == len &&
                     b.link.last_has_attr && b.link.last_attr.requester_id == bdf &&
                     b.link.last_attr.type == (write ? tlp_type::mem_wr : tlp_type::mem_rd);
            } else {
                ok = ok && b.link.count == tlps && guest.count() > warnings;
            }
            if (!ok)
                s.mismatch(s.n.traffic_mismatches,
                           std::string("outbound ") + (write ? "write" : "read") + " at " + hex(p.addr_space_base + off) +
                               ": " + rsp_name(rsp) + " (expected " + rsp_name(want) + "), region " +
                               std::to_string(region) + " target " + hex(target) + ", TLP at " + hex(b.link.last_addr));
            s.count("outbound");
            s.sync(b.cpu.last_delay);
        };

        // A register access: random, or a plausible value for a chosen register.
        auto registers = [&] {
            const unsigned w = static_cast<unsigned>(r.below(100));
            if (r.pct(65)) {
                const window& win = w < 35 ? b.dbi : w < 50 ? b.dbi2 : w < 92 ? b.atu : b.app;
                s.random_reg(b.cpu, win);
                s.count("reg_random");
                return;
            }
            s.count("reg_smart");
            if (w < 45) { // iATU
                const bool ib = r.pct(50);
                const unsigned i = static_cast<unsigned>(r.below(epmap::IB));
                const std::uint64_t regs[] = {0x0, 0x4, 0x8, 0xc, 0x10, 0x14, 0x18, 0x20};
                const std::uint64_t reg = regs[r.below(8)];
                s.write(b.cpu, b.atu, i * 0x200ull + (ib ? 0x100 : 0) + reg, atu_value(r, reg, ib));
            } else if (w < 60) { // DBI2 BAR masks
                const unsigned f = static_cast<unsigned>(r.below(p.num_functions)), n = static_cast<unsigned>(r.below(6));
                const std::uint64_t v = r.pct(80) ? ((0x10ull << r.below(27)) - 1) | (r.pct(85) ? 1 : 0) : r.value();
                s.write(b.cpu, b.dbi2, f * 0x10000ull + 0x10 + 4 * n, v & 0xffffffffu);
            } else if (w < 70) { // MISC_CONTROL_1.DBI_RO_WR_EN
                s.write(b.cpu, b.dbi, 0x8bc, r.pct(90) ? r.below(2) : r.value() & 0xffffffffu);
            } else if (w < 85) { // BARs, command, REBAR control, MSI control from the DBI side
                const unsigned f = static_cast<unsigned>(r.below(p.num_functions));
                const std::uint64_t offs[] = {0x04, 0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x50, 0x104, 0x108};
                const std::uint64_t off = offs[r.below(10)];
                std::uint64_t v = r.value() & 0xffffffffu;
                if (off >= 0x10 && off < 0x28 && r.pct(60))
                    v = epmap::PCI_WINDOW + r.below(64) * 0x01000000 + (r.pct(30) ? 0xc : 0);
                if (off == 0x04)
                    v = r.pct(80) ? 0x6 : v;
                if (off == 0x108)
                    v = r.below(64) << 8;
                s.write(b.cpu, b.dbi, f * 0x10000ull + off, v);
            } else { // APP_CTRL.LTSSM_EN, APP_STATUS
                if (r.pct(50))
                    s.write(b.cpu, b.app, 0x0, r.below(2));
                else
                    s.read(b.cpu, b.app, 0x4);
            }
        };

        auto step = [&] {
            const unsigned k = static_cast<unsigned>(r.below(100));
            if (k < 55)
                registers();
            else if (k < 80)
                host_request();
            else if (k < 95)
                outbound();
            else if (k < 97) {
                b.ep.irq_level(0, r.pct(70), SC_ZERO_TIME); // link up / down
                s.count("link");
            } else {
                s.idle_cycles(r.below(200));
                s.count("idle");
            }
            s.idle_cycles(r.below(4));
        };
        simulated = soak_loop(s, step, nullptr);

        // ---- Afterwards: program it the way the driver does; an inbound and an outbound translation work.
        b.link.answer = link_target::mode::ok;
        auto w32 = [&](const window& w, std::uint64_t off, std::uint32_t v) { s.write(b.cpu, w, off, v); };
        for (unsigned i = 0; i < epmap::IB; ++i) {
            w32(b.atu, i * 0x200ull + 0x100 + 0x4, 0);
            w32(b.atu, i * 0x200ull + 0x4, 0);
        }
        w32(b.dbi, 0x8bc, 1);
        w32(b.dbi2, 0x10, 0xfffff); // function 0 BAR0: 1 MiB, enabled
        w32(b.dbi, 0x10, 0);        // 32-bit, non-prefetchable
        w32(b.dbi, 0x8bc, 0);
        pcie_attr cfg;
        cfg.type = tlp_type::cfg_wr0;
        cfg.completer_id = make_bdf(1, 0, 0);
        std::uint32_t v = 0x90000000;
        EXPECT_EQ(b.host.access(true, 0x10, &v, 4, &cfg), tlm::TLM_OK_RESPONSE);
        v = 0x6;
        EXPECT_EQ(b.host.access(true, 0x04, &v, 2, &cfg), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(b.ep.bar_address(0, 0), 0x90000000u);
        const std::uint64_t target = epmap::RAM_BASE + 0x300000, ib = 0x100;
        w32(b.atu, ib + 0x14, static_cast<std::uint32_t>(target));
        w32(b.atu, ib + 0x18, 0);
        w32(b.atu, ib + 0x0, 0);                                  // function 0, memory
        w32(b.atu, ib + 0x4, (1u << 31) | (1u << 30) | (1u << 19)); // enable, BAR match BAR0, function match
        s.idle_cycles(p.atu_enable_delay + 1);
        EXPECT_TRUE(s.read(b.cpu, b.atu, ib + 0x4) & (1u << 31)) << "the region is enabled";
        pcie_attr mem;
        mem.type = tlp_type::mem_wr;
        mem.posted = true;
        v = 0xa1b2c3d4;
        EXPECT_EQ(b.host.access(true, 0x90001234, &v, 4, &mem), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(b.ram_bytes(target + 0x1234, 4), 0xa1b2c3d4u) << "inbound translation after the soak";
        mem.type = tlp_type::mem_rd;
        mem.posted = false;
        v = 0;
        EXPECT_EQ(b.host.access(false, 0x90001234, &v, 4, &mem), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(v, 0xa1b2c3d4u);
        EXPECT_EQ(b.ep.translate_inbound(0x90000010).target, target + 0x10);
        // Outbound region 0: CPU 0x40000000 + 64 KiB -> PCI 0x123450000.
        w32(b.atu, 0x8, 0x40000000);
        w32(b.atu, 0xc, 0);
        w32(b.atu, 0x10, 0x4000ffff);
        w32(b.atu, 0x20, 0);
        w32(b.atu, 0x14, 0x23450000);
        w32(b.atu, 0x18, 0x1);
        w32(b.atu, 0x0, 0);
        w32(b.atu, 0x4, 1u << 31);
        s.idle_cycles(p.atu_enable_delay + 1);
        const std::uint64_t tlps = b.link.count;
        v = 0x5555aaaa;
        EXPECT_EQ(b.cpu.access(true, 0x40000010, &v, 4), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(b.link.count, tlps + 1);
        EXPECT_EQ(b.link.last_addr, 0x123450010u) << "outbound translation after the soak";
        EXPECT_EQ(b.link.last_attr.requester_id, make_bdf(1, 0, 0));
    });

    EXPECT_TRUE(b.run.finished) << "the soak reached its end";
    EXPECT_GE(simulated, b.ep.cycles(SOAK_CYCLES));
    s.print(simulated);
    s.expect_clean();
    EXPECT_GT(guest.count(), 0u);
}

// =================================================================================================================
// dwc_edma: its register window, and its channels running from random registers and random descriptors in RAM.
// =================================================================================================================

namespace {

using pcie::dwc_edma;
using edir = dwc_edma::direction;
using ereg = dwc_edma::offsets;

namespace edmap {
constexpr std::uint64_t REGS = 0x0;
constexpr std::uint64_t LOCAL_BASE = 0x80000000, LOCAL_SIZE = 0x01000000;
constexpr std::uint64_t LL_AREA = LOCAL_BASE + 0x100000, LL_SIZE = 0x10000; // random descriptors
constexpr std::uint64_t HOST_BASE = 0x120000000, HOST_SIZE = 0x100000;
constexpr std::uint64_t HOST_UR = HOST_BASE + 0x80000, HOST_CA = HOST_BASE + 0x90000, FAULT_SIZE = 0x10000;
constexpr std::uint64_t HOLE = 0x40000000;
constexpr unsigned WR = 8, RD = 6; // read channels 6 and 7 are absent
} // namespace edmap

/// The host behind the link: memory, UR and CA ranges for reads, UR for reads elsewhere (writes: dropped).
struct edma_host : sc_core::sc_module {
    tlm_utils::simple_target_socket<edma_host> socket;
    std::vector<std::uint8_t> mem = std::vector<std::uint8_t>(edmap::HOST_SIZE, 0);
    std::uint64_t tlps = 0, stray = 0;
    explicit edma_host(sc_core::sc_module_name n) : sc_module(n), socket("socket") {
        socket.register_b_transport(this, &edma_host::b_transport);
    }
    void b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
        ++tlps;
        pcie_attr* a = attr_of(p);
        const std::uint64_t addr = p.get_address();
        const unsigned len = p.get_data_length();
        delay += sc_time(20, SC_NS) + sc_time(0.25 * len, SC_NS);
        if (a)
            a->status = cpl_status::sc;
        p.set_response_status(tlm::TLM_OK_RESPONSE);
        if (p.is_read() && addr < edmap::HOST_CA + edmap::FAULT_SIZE && addr + len > edmap::HOST_UR) {
            const bool ur = addr < edmap::HOST_UR + edmap::FAULT_SIZE;
            if (a)
                a->status = ur ? cpl_status::ur : cpl_status::ca;
            p.set_response_status(ur ? tlm::TLM_ADDRESS_ERROR_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE);
            return;
        }
        if (addr < edmap::HOST_BASE || addr + len > edmap::HOST_BASE + edmap::HOST_SIZE || addr + len < addr) {
            ++stray;
            if (p.is_read()) {
                if (a)
                    a->status = cpl_status::ur;
                p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
            }
            return;
        }
        std::uint8_t* m = mem.data() + (addr - edmap::HOST_BASE);
        if (p.is_write())
            std::memcpy(m, p.get_data_ptr(), len);
        else
            std::memcpy(p.get_data_ptr(), m, len);
    }
};

struct edma_soak_bench {
    dwc_edma::params prm = [] {
        dwc_edma::params p;
        p.wr_channels = edmap::WR;
        p.rd_channels = edmap::RD;
        p.per_channel_irqs = true;
        return p;
    }();
    dwc_edma edma{"edma", prm};
    router regbus{"regbus", router::params{1000000000, 0}};
    router lbus{"lbus", router::params{1000000000, 2}};
    memory ram{"ram", memory::params{edmap::LOCAL_SIZE, 1000000000, 10, 10}};
    edma_host host{"host"};
    port cpu{"cpu"};
    line_sink lines;
    runner run{"runner"};
    window regs{"eDMA", edmap::REGS, prm.regs_size, (1u << 4) | (1u << 8)};

    edma_soak_bench() {
        cpu.socket.bind(regbus.in);
        regbus.out.bind(edma.regs);
        regbus.map(0, edmap::REGS, prm.regs_size, "edma");
        edma.local.bind(lbus.in);
        lbus.out.bind(ram.socket);
        lbus.map(0, edmap::LOCAL_BASE, edmap::LOCAL_SIZE, "ram");
        edma.pcie.bind(host.socket);
        for (unsigned i = 0; i < edma.num_irqs(); ++i)
            edma.irq(i).bind(lines, i);
    }
    std::uint8_t* local(std::uint64_t a) { return ram.data() + (a - edmap::LOCAL_BASE); }
    void put32(std::uint64_t a, std::uint32_t v) { std::memcpy(local(a), &v, 4); }
    void put64(std::uint64_t a, std::uint64_t v) { std::memcpy(local(a), &v, 8); }
};

/// An address as a descriptor or a SAR/DAR register holds it: local RAM, host memory (some of it faulting), a
/// hole, or anything.
std::uint64_t edma_addr(rng& r, bool local_side) {
    const unsigned k = static_cast<unsigned>(r.below(100));
    std::uint64_t a;
    if (k < 80)
        a = local_side ? edmap::LOCAL_BASE + 0x200000 + r.below(0xe00000) : edmap::HOST_BASE + r.below(edmap::HOST_SIZE);
    else if (k < 88)
        a = local_side ? edmap::HOST_BASE + r.below(edmap::HOST_SIZE) : edmap::LOCAL_BASE + r.below(edmap::LOCAL_SIZE);
    else if (k < 94)
        a = edmap::HOLE + r.below(0x100000);
    else
        a = r.bits();
    return r.pct(70) ? a & ~3ull : a;
}

std::uint32_t edma_size(rng& r) {
    const unsigned k = static_cast<unsigned>(r.below(100));
    if (k < 70)
        return static_cast<std::uint32_t>(r.below(4097));
    if (k < 95)
        return static_cast<std::uint32_t>(r.below(0x40000));
    return static_cast<std::uint32_t>(r.bits());
}

/// A random linked-list element (data or link) at `at` in the descriptor area.
void random_element(edma_soak_bench& b, rng& r, std::uint64_t at) {
    std::uint32_t control = static_cast<std::uint32_t>(r.below(2)) * dwc_edma::CB;
    if (r.pct(25)) { // link element: mostly back into the descriptor area
        control |= dwc_edma::LLP_BIT | (r.pct(50) ? dwc_edma::TCB : 0);
        const std::uint64_t next = r.pct(85) ? edmap::LL_AREA + r.below(edmap::LL_SIZE - 24) / 8 * 8 : edma_addr(r, true);
        b.put32(at, control | (r.pct(5) ? static_cast<std::uint32_t>(r.bits()) : 0));
        b.put32(at + 4, static_cast<std::uint32_t>(r.bits()));
        b.put64(at + 8, next);
        return;
    }
    control |= (r.pct(30) ? dwc_edma::LIE : 0) | (r.pct(20) ? dwc_edma::RIE : 0) |
               (r.pct(5) ? static_cast<std::uint32_t>(r.bits()) & ~dwc_edma::LLP_BIT : 0);
    const bool to_host = r.pct(50);
    b.put32(at, control);
    b.put32(at + 4, edma_size(r));
    b.put64(at + 8, edma_addr(r, to_host));
    b.put64(at + 16, edma_addr(r, !to_host));
}

} // namespace

TEST(GuestRandom, Edma) {
    const std::uint64_t seed = soak_seed("GuestRandom.Edma");
    RecordProperty("seed", std::to_string(seed));
    SCOPED_TRACE("DBVP_GUEST_SEED=" + std::to_string(seed));
    test::allow_guest_warnings guest;
    edma_soak_bench b;
    soak s("GuestRandom.Edma", seed, guest, b.edma);
    rng& r = s.r;
    sc_time simulated, stop_took;

    b.run.run([&] {
        b.regs.probe(b.cpu);
        ASSERT_GT(b.regs.regs.size(), 100u);
        for (std::uint64_t a = edmap::LL_AREA; a + 24 <= edmap::LL_AREA + edmap::LL_SIZE; a += 24)
            random_element(b, r, a);

        auto chan = [&](edir d, unsigned n, std::uint32_t reg) { return ereg::channel(d, n) + reg; };
        auto smart = [&] {
            const edir d = r.pct(50) ? edir::write : edir::read;
            const bool wr = d == edir::write;
            const unsigned n = static_cast<unsigned>(r.below(8)); // 6 and 7 do not exist on the read side
            const unsigned k = static_cast<unsigned>(r.below(100));
            if (k < 12) {
                s.write(b.cpu, b.regs, wr ? ereg::WR_ENGINE_EN : ereg::RD_ENGINE_EN, r.pct(85) ? 1 : r.value() & 0xffffffffu);
            } else if (k < 30) {
                s.write(b.cpu, b.regs, wr ? ereg::WR_DOORBELL : ereg::RD_DOORBELL,
                        n | (r.pct(15) ? dwc_edma::DOORBELL_STOP : 0) | (r.pct(5) ? r.bits() & 0x7ffffff8u : 0));
            } else if (k < 42) {
                s.write(b.cpu, b.regs, chan(d, n, ereg::CH_CONTROL1),
                        (r.pct(50) ? dwc_edma::LLE : 0) | (r.pct(50) ? dwc_edma::CCS : 0) |
                            (r.pct(30) ? dwc_edma::RIE : 0) | (r.pct(30) ? dwc_edma::LIE : 0) |
                            (r.pct(10) ? r.bits() & 0xffffffffu : 0));
            } else if (k < 52) {
                s.write(b.cpu, b.regs, chan(d, n, ereg::TRANSFER_SIZE), edma_size(r));
            } else if (k < 70) {
                const std::uint32_t reg = r.pct(50) ? ereg::SAR : ereg::DAR;
                const std::uint64_t a = edma_addr(r, (reg == ereg::SAR) == wr);
                s.write(b.cpu, b.regs, chan(d, n, reg), a & 0xffffffffu);
                s.write(b.cpu, b.regs, chan(d, n, reg + 4), a >> 32);
            } else if (k < 82) {
                const std::uint64_t a = r.pct(90) ? edmap::LL_AREA + r.below(edmap::LL_SIZE / 24) * 24 : edma_addr(r, true);
                s.write(b.cpu, b.regs, chan(d, n, ereg::LLP), a & 0xffffffffu);
                s.write(b.cpu, b.regs, chan(d, n, ereg::LLP + 4), a >> 32);
            } else if (k < 88) {
                const std::uint32_t regs[] = {wr ? ereg::WR_INT_MASK : ereg::RD_INT_MASK,
                                              wr ? ereg::WR_INT_CLEAR : ereg::RD_INT_CLEAR,
                                              wr ? ereg::WR_INT_STATUS : ereg::RD_INT_STATUS,
                                              wr ? ereg::WR_LL_ERR_EN : ereg::RD_LL_ERR_EN};
                s.write(b.cpu, b.regs, regs[r.below(4)], r.value() & 0xffffffffu);
            } else if (k < 94) {
                const std::uint32_t base = r.pct(50) ? (wr ? ereg::WR_DONE_IMWR : ereg::RD_DONE_IMWR)
                                                     : (wr ? ereg::WR_ABORT_IMWR : ereg::RD_ABORT_IMWR);
                const std::uint64_t a = edma_addr(r, false);
                s.write(b.cpu, b.regs, base, a & 0xffffffffu);
                s.write(b.cpu, b.regs, base + 4, a >> 32);
            } else {
                s.read(b.cpu, b.regs, r.pct(50) ? chan(d, n, ereg::CH_CONTROL1)
                                                : (wr ? ereg::WR_ERR_STATUS : ereg::RD_ERR_STATUS_HIGH));
            }
        };

        auto step = [&] {
            const unsigned k = static_cast<unsigned>(r.below(100));
            if (k < 40) {
                s.random_reg(b.cpu, b.regs);
                s.count("reg_random");
            } else if (k < 88) {
                smart();
                s.count("reg_smart");
            } else if (k < 96) {
                for (unsigned i = 0; i < 4; ++i)
                    random_element(b, r, edmap::LL_AREA + r.below(edmap::LL_SIZE / 8 - 3) * 8);
                s.count("descriptors");
            } else {
                s.idle_cycles(r.below(2000));
                s.count("idle");
            }
            s.idle_cycles(r.below(12));
        };
        simulated = soak_loop(s, step, nullptr);

        // ---- Afterwards: stop everything, then one block each way.
        for (std::uint32_t reg : {ereg::WR_ENGINE_EN, ereg::RD_ENGINE_EN})
            s.write(b.cpu, b.regs, reg, 0);
        auto all_ended = [&] {
            for (unsigned n = 0; n < edmap::WR; ++n)
                if (b.edma.status(edir::write, n) == dwc_edma::channel_status::running)
                    return false;
            for (unsigned n = 0; n < edmap::RD; ++n)
                if (b.edma.status(edir::read, n) == dwc_edma::channel_status::running)
                    return false;
            return true;
        };
        // Clearing ENGINE_EN stops every channel at its next TLP or list element, a list of empty data elements
        // included (the channel keeps within the global quantum of the kernel:
        // EdmaGuest.ListOfEmptyElementsStaysWithinTheQuantumAndStops).
        const sc_time stop0 = sc_core::sc_time_stamp();
        for (unsigned i = 0; i < 100 && !all_ended(); ++i)
            sc_core::wait(sc_time(1, SC_US));
        ASSERT_TRUE(all_ended()) << "clearing ENGINE_EN stops every channel within 100 us";
        stop_took = sc_core::sc_time_stamp() - stop0;
        for (std::uint32_t reg : {ereg::WR_INT_MASK, ereg::RD_INT_MASK})
            s.write(b.cpu, b.regs, reg, 0);
        for (std::uint32_t reg : {ereg::WR_INT_CLEAR, ereg::RD_INT_CLEAR})
            s.write(b.cpu, b.regs, reg, 0x00ff00ff);
        const std::uint64_t src = edmap::LOCAL_BASE + 0x400000, dst = edmap::HOST_BASE + 0x1000;
        for (unsigned i = 0; i < 4096; ++i)
            *b.local(src + i) = static_cast<std::uint8_t>(i * 7 + 3);
        struct run_case {
            edir d;
            std::uint64_t sar, dar;
        };
        for (const run_case& c : {run_case{edir::write, src, dst}, run_case{edir::read, dst, src + 0x10000}}) {
            const bool wr = c.d == edir::write;
            s.write(b.cpu, b.regs, wr ? ereg::WR_ENGINE_EN : ereg::RD_ENGINE_EN, 1);
            s.write(b.cpu, b.regs, chan(c.d, 0, ereg::TRANSFER_SIZE), 4096);
            s.write(b.cpu, b.regs, chan(c.d, 0, ereg::SAR), c.sar & 0xffffffffu);
            s.write(b.cpu, b.regs, chan(c.d, 0, ereg::SAR + 4), c.sar >> 32);
            s.write(b.cpu, b.regs, chan(c.d, 0, ereg::DAR), c.dar & 0xffffffffu);
            s.write(b.cpu, b.regs, chan(c.d, 0, ereg::DAR + 4), c.dar >> 32);
            s.write(b.cpu, b.regs, chan(c.d, 0, ereg::CH_CONTROL1), 0);
            s.write(b.cpu, b.regs, wr ? ereg::WR_DOORBELL : ereg::RD_DOORBELL, 0);
            for (unsigned i = 0; i < 1000 && b.edma.status(c.d, 0) == dwc_edma::channel_status::running; ++i)
                sc_core::wait(sc_time(1, SC_US));
            EXPECT_EQ(b.edma.status(c.d, 0), dwc_edma::channel_status::stopped) << dwc_edma::to_string(c.d);
            EXPECT_EQ(s.read(b.cpu, b.regs, wr ? ereg::WR_INT_STATUS : ereg::RD_INT_STATUS), 1u) << "DONE of channel 0";
            EXPECT_TRUE(b.lines.level.at(b.edma.irq_of(c.d, 0))) << "its interrupt line";
            s.write(b.cpu, b.regs, wr ? ereg::WR_INT_CLEAR : ereg::RD_INT_CLEAR, 1);
        }
        unsigned bad = 0;
        for (unsigned i = 0; i < 4096; ++i) {
            const auto want = static_cast<std::uint8_t>(i * 7 + 3);
            bad += b.host.mem[0x1000 + i] != want;
            bad += *b.local(src + 0x10000 + i) != want;
        }
        EXPECT_EQ(bad, 0u) << "a block to the host and back after the soak";
    });

    EXPECT_TRUE(b.run.finished) << "the soak reached its end";
    EXPECT_GE(simulated, b.edma.cycles(SOAK_CYCLES));
    s.print(simulated);
    std::printf("[ soak     ] eDMA: %llu blocks, %llu TLPs, %llu aborts, %llu IMWr, %llu emulated interrupts, %llu "
                "interrupt rises\n",
                static_cast<unsigned long long>(b.edma.stats().blocks),
                static_cast<unsigned long long>(b.edma.stats().tlps),
                static_cast<unsigned long long>(b.edma.aborts().size()),
                static_cast<unsigned long long>(b.edma.stats().imwr),
                static_cast<unsigned long long>(b.edma.stats().emulated), static_cast<unsigned long long>(b.lines.rises));
    std::printf("[ soak     ] eDMA: every channel ended %s after ENGINE_EN = 0\n", stop_took.to_string().c_str());
    s.expect_clean();
    EXPECT_GT(b.edma.stats().blocks, 100u) << "the channels ran";
    EXPECT_GT(b.edma.aborts().size(), 10u) << "and aborted on bad descriptors";
}

// =================================================================================================================
// gicv3: GICD and GICR (RD_base and SGI_base), SPI inputs, LPIs from an "ITS" (lpi_sink_if calls), random LPI
// configuration and pending tables, the CPU acknowledging and ending interrupts.
// =================================================================================================================

namespace {

using gic::gicv3;
using gic::gicv3_its;
namespace g = fw::gic;

namespace gicmap {
constexpr std::uint64_t GICD = 0x08000000, ITS = 0x08200000, GICR = 0x08400000; // gaps between the windows
constexpr std::uint64_t RAM_BASE = 0x80000000, RAM_SIZE = 0x02000000;
constexpr std::uint64_t PROP = RAM_BASE + 0x100000; // LPI configuration table (16 ID bits: 56 KiB)
constexpr std::uint64_t PEND = RAM_BASE + 0x120000; // LPI pending table (64 KiB aligned, 8 KiB)
constexpr std::uint64_t HOLE = 0x70000000;
constexpr unsigned SPIS = 16; // SPI inputs driven by the bench
} // namespace gicmap

struct gic_soak_bench {
    router soc{"soc", router::params{1000000000, 2}};
    memory ram{"ram", memory::params{gicmap::RAM_SIZE, 1000000000, 10, 10}};
    gicv3 gic{"gic", gicv3::params{}};
    port cpu{"cpu"};
    line_sink nirq;
    std::deque<irq_out> spi;
    runner run{"runner"};
    window gicd{"GICD", gicmap::GICD, 0x10000, (1u << 1) | (1u << 4) | (1u << 8)};
    window gicr{"GICR", gicmap::GICR, 0x20000, (1u << 1) | (1u << 4) | (1u << 8)};
    std::vector<unsigned> acked; // acknowledged, not yet ended (in order)

    gic_soak_bench() {
        cpu.socket.bind(soc.in);
        gic.mem.bind(soc.in);
        soc.out.bind(ram.socket);
        soc.out.bind(gic.gicd);
        soc.out.bind(gic.gicr);
        soc.map(0, gicmap::RAM_BASE, gicmap::RAM_SIZE, "ram");
        soc.map(1, gicmap::GICD, 0x10000, "gicd");
        soc.map(2, gicmap::GICR, 0x20000, "gicr");
        gic.irq.bind(nirq, 0);
        for (unsigned i = 0; i < gicmap::SPIS; ++i) {
            spi.emplace_back("spi" + std::to_string(i));
            spi.back().bind(gic, i);
        }
    }
    std::uint8_t* at(std::uint64_t pa) { return ram.data() + (pa - gicmap::RAM_BASE); }
};

/// Acknowledge: the INTID is an implemented one (SGI/PPI/SPI, then active) or an LPI, or 1023.
void gic_ack(soak& s, gicv3& gic, std::vector<unsigned>& acked, unsigned num_wired) {
    const unsigned id = gic.acknowledge();
    ++s.n.traffic;
    if (id == gicv3::spurious)
        return;
    acked.push_back(id);
    const bool ok = id < num_wired ? gic.is_active(id) : id >= gic::first_lpi;
    if (!ok)
        s.mismatch(s.n.traffic_mismatches, "acknowledge returned INTID " + std::to_string(id));
}

} // namespace

TEST(GuestRandom, Gicv3) {
    const std::uint64_t seed = soak_seed("GuestRandom.Gicv3");
    RecordProperty("seed", std::to_string(seed));
    SCOPED_TRACE("DBVP_GUEST_SEED=" + std::to_string(seed));
    test::allow_guest_warnings guest;
    gic_soak_bench b;
    soak s("GuestRandom.Gicv3", seed, guest, b.gic);
    rng& r = s.r;
    sc_time simulated;
    bool lpi_setup = false;
    const unsigned wired = gic::first_spi + b.gic.get_params().num_spis;

    b.run.run([&] {
        b.gicd.probe(b.cpu);
        b.gicr.probe(b.cpu);
        ASSERT_GT(b.gicd.regs.size(), 1000u);
        ASSERT_GT(b.gicr.regs.size(), 20u);
        // Random LPI tables: configuration bytes (enable, priority) and pending bits.
        for (std::uint64_t i = 0; i < 0x10000; ++i)
            *b.at(gicmap::PROP + i) = static_cast<std::uint8_t>(r.bits());
        for (std::uint64_t i = 0; i < 0x2000; ++i)
            *b.at(gicmap::PEND + i) = static_cast<std::uint8_t>(r.pct(5) ? r.bits() : 0);
        // EnableLPIs cannot be cleared: the first write that sets it decides the LPI configuration for the whole
        // soak. Most seeds start with the driver's sequence (tables in RAM, the pending table loaded: no PTZ);
        // the others leave it to the random writes (often: no LPI in range).
        lpi_setup = r.pct(75);
        if (lpi_setup) {
            s.write(b.cpu, b.gicr, g::GICR_PROPBASER, gicmap::PROP | 15, 8);
            s.write(b.cpu, b.gicr, g::GICR_PENDBASER, gicmap::PEND, 8);
            s.write(b.cpu, b.gicr, g::GICR_CTLR, g::GICR_CTLR_ENABLE_LPIS);
        }

        auto lpi = [&] { return static_cast<unsigned>(r.pct(90) ? g::FIRST_LPI + r.below(512) : r.below(1u << 17)); };
        auto smart = [&] {
            const unsigned k = static_cast<unsigned>(r.below(100));
            const unsigned spi_reg = 1 + static_cast<unsigned>(r.below(2)); // SPIs 32..95 live in registers 1 and 2
            if (k < 8)
                s.write(b.cpu, b.gicd, g::GICD_CTLR,
                        r.pct(80) ? (g::GICD_CTLR_ARE | g::GICD_CTLR_ENABLE_G1) : r.value() & 0xffffffffu);
            else if (k < 14)
                s.write(b.cpu, b.gicr, g::GICR_WAKER, r.pct(80) ? 0 : r.value() & 0xffffffffu);
            else if (k < 30) {
                const std::uint32_t regs[] = {g::GICD_ISENABLER, g::GICD_ICENABLER, g::GICD_ISPENDR, g::GICD_ICPENDR,
                                              g::GICD_ISACTIVER, g::GICD_ICACTIVER};
                s.write(b.cpu, b.gicd, regs[r.below(6)] + 4 * spi_reg, r.bits() & 0xffffffffu);
            } else if (k < 40)
                s.write(b.cpu, b.gicd, g::GICD_IPRIORITYR + 32 + r.below(64), r.bits() & 0xff, 1);
            else if (k < 46)
                s.write(b.cpu, b.gicd, g::GICD_ICFGR + 4 * (2 + r.below(4)), r.bits() & (r.pct(80) ? 0xaaaaaaaau : ~0u));
            else if (k < 52)
                s.write(b.cpu, b.gicd, g::GICD_IROUTER + 8 * (32 + r.below(64)),
                        r.pct(80) ? (r.pct(50) ? 0 : 1ull << 31) : r.value(), 8);
            else if (k < 60) { // SGI / PPI frame
                const std::uint32_t regs[] = {g::GICR_ISENABLER0, g::GICR_ICENABLER0, g::GICR_SGI_BASE + 0x200,
                                              g::GICR_SGI_BASE + 0x280, g::GICR_ICACTIVER0, g::GICR_ICFGR1};
                s.write(b.cpu, b.gicr, regs[r.below(6)], r.bits() & 0xffffffffu);
            } else if (k < 66)
                s.write(b.cpu, b.gicr, g::GICR_PROPBASER,
                        r.pct(80) ? gicmap::PROP | (12 + r.below(5)) | (r.pct(10) ? r.bits() & 0xf000000000000f80ull : 0)
                                  : r.value(),
                        8);
            else if (k < 72)
                s.write(b.cpu, b.gicr, g::GICR_PENDBASER,
                        r.pct(80) ? (r.pct(90) ? gicmap::PEND : gicmap::HOLE) | (r.pct(50) ? g::GICR_PENDBASER_PTZ : 0)
                                  : r.value(),
                        8);
            else if (k < 76)
                s.write(b.cpu, b.gicr, g::GICR_CTLR, r.pct(60) ? g::GICR_CTLR_ENABLE_LPIS : r.value() & 0xffffffffu);
            else if (k < 86)
                s.write(b.cpu, b.gicr, g::GICR_INVLPIR, r.pct(90) ? lpi() : r.value(), 8);
            else if (k < 90)
                s.write(b.cpu, b.gicr, g::GICR_INVALLR, r.pct(90) ? 0 : r.value(), 8);
            else
                s.read(b.cpu, b.gicr, g::GICR_SYNCR);
        };
        auto lpi_traffic = [&] {
            ++s.n.traffic;
            const unsigned proc = r.pct(95) ? 0 : 1;
            const unsigned id = lpi();
            sc_time offset = r.pct(70) ? SC_ZERO_TIME : sc_time(static_cast<double>(r.below(200)), SC_NS);
            const unsigned op = static_cast<unsigned>(r.below(10));
            switch (op) {
            case 0: b.gic.clear_lpi_pending(proc, id, offset); break;
            case 1: b.gic.invalidate_lpi(proc, id, offset); break;
            case 2: b.gic.invalidate_all_lpis(proc, offset); break;
            case 3: b.gic.move_lpi(proc, 0, id, offset); break;
            default:
                if (b.gic.set_lpi_pending(proc, id, offset) && proc != 0)
                    s.mismatch(s.n.traffic_mismatches, "an LPI for processor 1 was accepted");
                break;
            }
            s.count("lpi");
            s.sync(offset);
        };
        auto step = [&] {
            const unsigned k = static_cast<unsigned>(r.below(100));
            if (k < 30) {
                s.random_reg(b.cpu, r.pct(50) ? b.gicd : b.gicr);
                s.count("reg_random");
            } else if (k < 60) {
                smart();
                s.count("reg_smart");
            } else if (k < 72) {
                irq_out& line = b.spi[r.below(gicmap::SPIS)];
                if (r.pct(70))
                    line.set(r.pct(50));
                else
                    line.pulse();
                s.count("spi");
            } else if (k < 82) {
                lpi_traffic();
            } else if (k < 92) {
                gic_ack(s, b.gic, b.acked, wired);
                s.count("ack");
            } else if (k < 98) {
                if (!b.acked.empty() && r.pct(85)) {
                    // Usually the last one (EOImode 0 order), sometimes another.
                    const std::size_t i = r.pct(80) ? b.acked.size() - 1 : r.below(b.acked.size());
                    b.gic.end_of_interrupt(b.acked[i]);
                    b.acked.erase(b.acked.begin() + static_cast<std::ptrdiff_t>(i));
                } else {
                    b.gic.end_of_interrupt(static_cast<unsigned>(r.pct(50) ? r.below(96) : r.below(1u << 17)));
                }
                s.count("eoi");
            } else {
                for (unsigned i = 0; i < 64; ++i)
                    *b.at(gicmap::PROP + r.below(0x2000)) = static_cast<std::uint8_t>(r.bits());
                s.count("tables");
            }
            s.idle_cycles(r.below(4));
        };
        simulated = soak_loop(s, step, nullptr);

        // ---- Afterwards: end what was taken, quiet everything, one level-sensitive SPI is delivered.
        while (!b.acked.empty()) {
            b.gic.end_of_interrupt(b.acked.back());
            b.acked.pop_back();
        }
        for (irq_out& line : b.spi)
            line.set(false);
        s.write(b.cpu, b.gicd, g::GICD_CTLR, g::GICD_CTLR_ARE | g::GICD_CTLR_ENABLE_G1);
        s.write(b.cpu, b.gicr, g::GICR_WAKER, 0);
        for (unsigned k = 1; k <= 2; ++k)
            for (std::uint32_t reg : {g::GICD_ICENABLER, g::GICD_ICPENDR, g::GICD_ICACTIVER})
                s.write(b.cpu, b.gicd, reg + 4 * k, 0xffffffffu);
        for (std::uint32_t reg : {g::GICR_ICENABLER0, g::GICR_SGI_BASE + 0x280, g::GICR_ICACTIVER0})
            s.write(b.cpu, b.gicr, reg, 0xffffffffu);
        // LPIs cannot be disabled once enabled: take whatever is still pending.
        for (unsigned i = 0; i < 100000; ++i) {
            sc_core::wait(sc_time(10, SC_NS));
            const unsigned id = b.gic.acknowledge();
            if (id == gicv3::spurious)
                break;
            b.gic.end_of_interrupt(id);
        }
        constexpr unsigned input = 3, intid = gic::first_spi + input;
        s.write(b.cpu, b.gicd, g::GICD_IROUTER + 8 * intid, 0, 8);
        s.write(b.cpu, b.gicd, g::GICD_IPRIORITYR + intid, 0x80, 1);
        s.write(b.cpu, b.gicd, g::GICD_ICFGR + 4 * (intid / 16), 0); // level-sensitive
        s.write(b.cpu, b.gicd, g::GICD_ISENABLER + 4 * (intid / 32), 1u << (intid % 32));
        const std::uint64_t rises = b.nirq.rises;
        b.spi[input].set(true);
        sc_core::wait(b.gic.cycles(b.gic.get_params().deliver_latency + 1));
        EXPECT_TRUE(b.nirq.level.at(0)) << "nIRQ after the soak";
        EXPECT_GT(b.nirq.rises, rises);
        EXPECT_EQ(b.gic.acknowledge(), intid) << "the SPI is taken";
        b.spi[input].set(false);
        b.gic.end_of_interrupt(intid);
        EXPECT_FALSE(b.gic.is_active(intid));
        EXPECT_EQ(b.gic.acknowledge(), gicv3::spurious);
    });

    EXPECT_TRUE(b.run.finished) << "the soak reached its end";
    EXPECT_GE(simulated, b.gic.cycles(SOAK_CYCLES));
    s.print(simulated);
    std::printf("[ soak     ] GIC: LPIs %s; %llu acknowledged, %llu spurious, %llu LPIs set, %llu refused\n",
                lpi_setup ? "set up by the driver sequence first" : "left to the random writes",
                static_cast<unsigned long long>(b.gic.stats().acknowledged),
                static_cast<unsigned long long>(b.gic.stats().spurious),
                static_cast<unsigned long long>(b.gic.stats().lpis_set),
                static_cast<unsigned long long>(b.gic.stats().lpis_refused));
    s.expect_clean();
    EXPECT_GT(b.gic.stats().acknowledged, 100u);
}

// =================================================================================================================
// gicv3_its: control frame, a command queue filled with random 32-byte commands, random table contents in RAM,
// TRANSLATER writes from a device (random DeviceIDs, EventIDs, sizes); the GIC behind it set up once, sanely.
// =================================================================================================================

namespace {

namespace itsmap {
constexpr std::uint64_t TRANSLATER = gicmap::ITS + 0x10040;
constexpr std::uint64_t QUEUE_AREA = gicmap::RAM_BASE + 0x200000;  // command queues (up to 0x80000 + 64 KiB)
constexpr std::uint64_t TABLE_AREA = gicmap::RAM_BASE + 0x400000;  // device / collection tables, level-2 pages
constexpr std::uint64_t TABLE_SIZE = 0x800000;
constexpr std::uint64_t ITT_AREA = gicmap::RAM_BASE + 0x1000000;   // ITTs
constexpr std::uint64_t ITT_SIZE = 0x100000;
// Sane layout for the check afterwards.
constexpr std::uint64_t QUEUE = gicmap::RAM_BASE + 0x1800000, DEVTAB = gicmap::RAM_BASE + 0x1900000,
                        COLLTAB = gicmap::RAM_BASE + 0x1a00000, ITT = gicmap::RAM_BASE + 0x1b00000;
} // namespace itsmap

struct its_soak_bench : gic_soak_bench {
    gicv3_its its{"its", gicv3_its::params{}};
    port dev{"dev"};
    window ctl{"ITS", gicmap::ITS, 0x20000, (1u << 4) | (1u << 8)};

    its_soak_bench() {
        its.mem.bind(soc.in);
        dev.socket.bind(soc.in);
        soc.out.bind(its.regs);
        soc.map(3, gicmap::ITS, 0x20000, "its");
        its.connect(gic);
        // GITS_TRANSLATER (0x10040..0x10043): every access completes OK (a posted write: the device cannot tell).
        ctl.special = [](std::uint64_t off, unsigned) { return off >= 0x10040 && off < 0x10044; };
    }
    void put64(std::uint64_t pa, std::uint64_t v) { std::memcpy(at(pa), &v, 8); }
};

std::uint64_t its_baser(rng& r, std::uint64_t type) {
    const std::uint64_t page = r.below(4); // 3: reserved
    const std::uint64_t pa = itsmap::TABLE_AREA + r.below(itsmap::TABLE_SIZE / 0x10000 - 20) * 0x10000 +
                             (r.pct(10) ? r.below(16) * 0x1000 : 0);
    return (r.pct(90) ? g::GITS_BASER_VALID : 0) | (r.pct(30) ? g::GITS_BASER_INDIRECT : 0) | (type << 56) |
           (7ull << 48) | (pa & 0x0000fffffffff000ull) | (page << 8) | r.below(r.pct(80) ? 4 : 16) |
           (r.pct(5) ? r.bits() : 0);
}

/// A random command: mostly the 12 GICv3 commands with small IDs and plausible addresses.
g::its_command its_random_command(rng& r) {
    const std::uint8_t ops[] = {g::ITS_MAPD, g::ITS_MAPC, g::ITS_MAPTI, g::ITS_MAPI, g::ITS_INT, g::ITS_CLEAR,
                                g::ITS_INV, g::ITS_INVALL, g::ITS_DISCARD, g::ITS_MOVI, g::ITS_MOVALL, g::ITS_SYNC,
                                g::ITS_MAPTI, g::ITS_MAPD, g::ITS_INT};
    const std::uint32_t dev = static_cast<std::uint32_t>(r.pct(85) ? r.below(16) : r.bits());
    const std::uint32_t ev = static_cast<std::uint32_t>(r.pct(85) ? r.below(32) : r.bits());
    const unsigned intid = static_cast<unsigned>(r.pct(85) ? g::FIRST_LPI + r.below(256) : r.below(1u << 25));
    const unsigned icid = static_cast<unsigned>(r.pct(85) ? r.below(4) : r.bits());
    const std::uint64_t proc = r.pct(85) ? 0 : r.below(4);
    const std::uint64_t itt = itsmap::ITT_AREA + r.below(itsmap::ITT_SIZE / 0x100 - 64) * 0x100;
    const unsigned size = static_cast<unsigned>(r.pct(85) ? r.below(6) : r.below(32));
    g::its_command c{};
    switch (r.pct(90) ? ops[r.below(15)] : static_cast<std::uint8_t>(r.bits())) {
    case g::ITS_MAPD: c = g::cmd_mapd(dev, size, itt, r.pct(85)); break;
    case g::ITS_MAPC: c = g::cmd_mapc(icid, proc, r.pct(85)); break;
    case g::ITS_MAPTI: c = g::cmd_mapti(dev, ev, intid, icid); break;
    case g::ITS_MAPI: c = g::cmd_mapi(dev, r.pct(50) ? intid : ev, icid); break;
    case g::ITS_INT: c = g::cmd_event(g::ITS_INT, dev, ev); break;
    case g::ITS_CLEAR: c = g::cmd_event(g::ITS_CLEAR, dev, ev); break;
    case g::ITS_INV: c = g::cmd_event(g::ITS_INV, dev, ev); break;
    case g::ITS_DISCARD: c = g::cmd_event(g::ITS_DISCARD, dev, ev); break;
    case g::ITS_INVALL: c = g::cmd_invall(icid); break;
    case g::ITS_MOVI: c = g::cmd_movi(dev, ev, icid); break;
    case g::ITS_MOVALL: c = g::cmd_movall(proc, r.pct(80) ? proc : r.below(4)); break;
    case g::ITS_SYNC: c = g::cmd_sync(proc); break;
    default: c = {r.bits(), r.bits(), r.bits(), r.bits()}; break;
    }
    if (r.pct(5))
        c[r.below(4)] ^= 1ull << r.below(64); // a flipped bit anywhere
    return c;
}

} // namespace

TEST(GuestRandom, Its) {
    const std::uint64_t seed = soak_seed("GuestRandom.Its");
    RecordProperty("seed", std::to_string(seed));
    SCOPED_TRACE("DBVP_GUEST_SEED=" + std::to_string(seed));
    test::allow_guest_warnings guest;
    its_soak_bench b;
    soak s("GuestRandom.Its", seed, guest, b.its);
    rng& r = s.r;
    sc_time simulated;
    const unsigned wired = gic::first_spi + b.gic.get_params().num_spis;

    b.run.run([&] {
        for (window* w : {&b.ctl, &b.gicd, &b.gicr})
            w->probe(b.cpu);
        ASSERT_GT(b.ctl.regs.size(), 20u);
        // The GIC, sanely: distributor on, redistributor awake, LPIs 8192..65535 enabled at priority 0xa0.
        std::memset(b.at(gicmap::PROP), 0xa3, 0x10000);
        for (auto [w, off, v, len] : {std::tuple{&b.gicd, 0x0ull, std::uint64_t{g::GICD_CTLR_ARE | g::GICD_CTLR_ENABLE_G1}, 4u},
                                      std::tuple{&b.gicr, 0x14ull, std::uint64_t{0}, 4u},
                                      std::tuple{&b.gicr, 0x70ull, gicmap::PROP | 15, 8u},
                                      std::tuple{&b.gicr, 0x78ull, gicmap::PEND | g::GICR_PENDBASER_PTZ, 8u},
                                      std::tuple{&b.gicr, 0x0ull, std::uint64_t{g::GICR_CTLR_ENABLE_LPIS}, 4u}})
            s.write(b.cpu, *w, off, v, len);
        // Random tables.
        for (std::uint64_t i = 0; i < itsmap::TABLE_SIZE / 8; i += 1 + r.below(8))
            b.put64(itsmap::TABLE_AREA + 8 * i, r.pct(50) ? r.bits() : (r.bits() & 0x000fffffffffff3full) | 1);

        auto queue_commands = [&] {
            // Fill the queue at GITS_CWRITER with random commands, then move GITS_CWRITER past them.
            const std::uint64_t cbaser = b.cpu.peek64(gicmap::ITS + g::GITS_CBASER);
            const std::uint64_t qbytes = ((cbaser & 0xff) + 1) * 0x1000, pa = cbaser & 0x000ffffffffff000ull;
            std::uint64_t w = b.cpu.peek64(gicmap::ITS + g::GITS_CWRITER) & 0xfffe0;
            // Random commands, or (30 %) a coherent mapping of a small DeviceID / EventID, delivered with INT.
            std::vector<g::its_command> cmds;
            if (r.pct(30)) {
                const std::uint32_t dev = static_cast<std::uint32_t>(r.below(16)), ev = static_cast<std::uint32_t>(r.below(32));
                const unsigned icid = static_cast<unsigned>(r.below(4));
                cmds = {g::cmd_mapd(dev, 4, itsmap::ITT_AREA + dev * 0x1000, true), g::cmd_mapc(icid, 0, true),
                        g::cmd_mapti(dev, ev, static_cast<unsigned>(g::FIRST_LPI + r.below(256)), icid),
                        g::cmd_event(g::ITS_INT, dev, ev), g::cmd_sync(0)};
            } else {
                for (unsigned i = 0, n = static_cast<unsigned>(1 + r.below(8)); i < n; ++i)
                    cmds.push_back(its_random_command(r));
            }
            for (const g::its_command& c : cmds) {
                if (pa >= gicmap::RAM_BASE && pa + qbytes <= gicmap::RAM_BASE + gicmap::RAM_SIZE && w < qbytes)
                    for (unsigned d = 0; d < 4; ++d)
                        b.put64(pa + w + 8 * d, c[d]);
                w = (w + 32) % qbytes;
            }
            s.write(b.cpu, b.ctl, g::GITS_CWRITER, r.pct(90) ? w : r.value(), 8);
        };
        // Now and then a driver-like (re)configuration: disable, queue, tables (flat mostly), enable.
        auto reconfigure = [&] {
            s.write(b.cpu, b.ctl, g::GITS_CTLR, 0);
            s.write(b.cpu, b.ctl, g::GITS_CBASER,
                    g::GITS_CBASER_VALID | (itsmap::QUEUE_AREA + r.below(0x80) * 0x1000) | r.below(16), 8);
            s.write(b.cpu, b.ctl, g::GITS_CWRITER, 0, 8);
            for (unsigned n = 0; n < 2; ++n) {
                std::uint64_t v = its_baser(r, n == 0 ? 1 : 4);
                if (r.pct(70))
                    v = (v | g::GITS_BASER_VALID) & ~(g::GITS_BASER_INDIRECT | 0x300ull); // flat, 4 KiB pages
                s.write(b.cpu, b.ctl, g::GITS_BASER + 8 * n, v, 8);
            }
            s.write(b.cpu, b.ctl, g::GITS_CTLR, g::GITS_CTLR_ENABLE);
        };
        auto smart = [&] {
            const unsigned k = static_cast<unsigned>(r.below(100));
            if (k < 15)
                s.write(b.cpu, b.ctl, g::GITS_CTLR, r.pct(85) ? g::GITS_CTLR_ENABLE : r.pct(60) ? 0 : r.value() & 0xffffffffu);
            else if (k < 30)
                s.write(b.cpu, b.ctl, g::GITS_CBASER,
                        (r.pct(90) ? g::GITS_CBASER_VALID : 0) | (itsmap::QUEUE_AREA + r.below(0x80) * 0x1000) |
                            r.below(r.pct(80) ? 16 : 256) | (r.pct(5) ? r.bits() : 0),
                        8);
            else if (k < 45)
                s.write(b.cpu, b.ctl, g::GITS_CWRITER,
                        (r.pct(90) ? b.cpu.peek64(gicmap::ITS + g::GITS_CWRITER) : r.below(0x800) * 32) |
                            (r.pct(30) ? g::GITS_CWRITER_RETRY : 0) | (r.pct(3) ? r.bits() : 0),
                        8);
            else if (k < 70)
                s.write(b.cpu, b.ctl, g::GITS_BASER + 8 * (r.pct(90) ? r.below(2) : r.below(8)),
                        its_baser(r, r.pct(90) ? (r.pct(50) ? 1 : 4) : r.below(8)), 8);
            else if (k < 85)
                s.read(b.cpu, b.ctl, r.pct(50) ? g::GITS_CREADR : g::GITS_CTLR, r.pct(50) ? 8 : 4);
            else
                s.read(b.cpu, b.ctl, g::GITS_TYPER, 8);
        };
        auto translate = [&] {
            ++s.n.traffic;
            pcie_attr a;
            a.type = tlp_type::mem_wr;
            a.posted = true;
            a.has_device_id = r.pct(95);
            a.device_id = static_cast<std::uint32_t>(r.pct(85) ? r.below(16) : r.bits());
            const unsigned sizes[] = {4, 4, 4, 4, 4, 4, 2, 2, 1, 8};
            const unsigned len = sizes[r.below(10)];
            const bool write = r.pct(95);
            const std::uint64_t addr = itsmap::TRANSLATER + (r.pct(95) ? 0 : r.below(4));
            std::uint64_t v = r.pct(85) ? r.below(32) : r.bits();
            const std::size_t drops = b.its.drops().size();
            const bool enabled = b.cpu.peek64(gicmap::ITS + g::GITS_CTLR, 4) & g::GITS_CTLR_ENABLE;
            const auto rsp = b.dev.access(write, addr, &v, len, &a);
            // The answer is always OK; a bad access, a disabled ITS, a missing DeviceID drop it at once.
            const bool bad = !write || addr != itsmap::TRANSLATER || (len != 2 && len != 4);
            gicv3_its::drop_reason want{};
            bool dropped = true;
            if (bad)
                want = gicv3_its::drop_reason::bad_access;
            else if (!enabled)
                want = gicv3_its::drop_reason::disabled;
            else if (!a.has_device_id)
                want = gicv3_its::drop_reason::no_device_id;
            else
                dropped = false;
            bool ok = rsp == tlm::TLM_OK_RESPONSE;
            if (dropped)
                ok = ok && b.its.drops().size() == drops + 1 && b.its.drops().back().reason == want;
            if (!ok)
                s.mismatch(s.n.traffic_mismatches, "TRANSLATER " + std::string(write ? "write" : "read") + " of " +
                                                       std::to_string(len) + " bytes at " + hex(addr) + ": " +
                                                       rsp_name(rsp) + ", drops " + std::to_string(drops) + " -> " +
                                                       std::to_string(b.its.drops().size()));
            s.count("translate");
            s.sync(b.dev.last_delay);
        };
        auto step = [&] {
            const unsigned k = static_cast<unsigned>(r.below(100));
            if (k < 20) {
                s.random_reg(b.cpu, b.ctl);
                s.count("reg_random");
            } else if (k < 40) {
                smart();
                s.count("reg_smart");
            } else if (k < 60) {
                queue_commands();
                s.count("commands");
            } else if (k < 82) {
                translate();
            } else if (k < 84) {
                if (r.pct(50))
                    reconfigure();
                s.count("reconfigure");
            } else if (k < 88) {
                for (unsigned i = 0; i < 16; ++i) {
                    const std::uint64_t area = r.pct(50) ? itsmap::TABLE_AREA : itsmap::ITT_AREA;
                    const std::uint64_t size = area == itsmap::TABLE_AREA ? itsmap::TABLE_SIZE : itsmap::ITT_SIZE;
                    b.put64(area + r.below(size / 8) * 8, r.pct(50) ? r.bits() : (r.bits() & 0x000fffffffffff3full) | 3);
                }
                s.count("tables");
            } else if (k < 96) {
                gic_ack(s, b.gic, b.acked, wired);
                if (!b.acked.empty()) {
                    b.gic.end_of_interrupt(b.acked.back());
                    b.acked.pop_back();
                }
                s.count("ack");
            } else {
                s.idle_cycles(r.below(400));
                s.count("idle");
            }
            s.idle_cycles(r.below(6));
        };
        reconfigure();
        simulated = soak_loop(s, step, nullptr);

        // ---- Afterwards: disable, wait for quiescence, reprogram tables and queue, map one event, deliver it.
        s.write(b.cpu, b.ctl, g::GITS_CTLR, 0);
        bool quiet = false;
        for (unsigned i = 0; i < 10000 && !quiet; ++i) {
            quiet = s.read(b.cpu, b.ctl, g::GITS_CTLR) & g::GITS_CTLR_QUIESCENT;
            if (!quiet)
                sc_core::wait(sc_time(100, SC_NS));
        }
        ASSERT_TRUE(quiet) << "the ITS becomes quiescent once disabled";
        // The GIC too: the random tables may have pointed the ITS at the distributor or redistributor frames
        // (a collection table at GICD, say: MAPC then writes over GICD_CTLR). Then take what is still pending.
        s.write(b.cpu, b.gicd, g::GICD_CTLR, g::GICD_CTLR_ARE | g::GICD_CTLR_ENABLE_G1);
        s.write(b.cpu, b.gicr, g::GICR_WAKER, 0);
        for (unsigned i = 0; i < 100000; ++i) {
            sc_core::wait(sc_time(10, SC_NS));
            const unsigned id = b.gic.acknowledge();
            if (id == gicv3::spurious)
                break;
            b.gic.end_of_interrupt(id);
        }
        std::memset(b.at(itsmap::DEVTAB), 0, 0x10000);
        std::memset(b.at(itsmap::COLLTAB), 0, 0x1000);
        std::memset(b.at(itsmap::ITT), 0, 0x1000);
        std::memset(b.at(itsmap::QUEUE), 0, 0x10000);
        *b.at(gicmap::PROP + (8300 - g::FIRST_LPI)) = 0xa3;
        s.write(b.cpu, b.ctl, g::GITS_CBASER, g::GITS_CBASER_VALID | itsmap::QUEUE | 15, 8);
        s.write(b.cpu, b.ctl, g::GITS_CWRITER, 0, 8);
        s.write(b.cpu, b.ctl, g::GITS_BASER, g::GITS_BASER_VALID | (1ull << 56) | (7ull << 48) | itsmap::DEVTAB | 15, 8);
        s.write(b.cpu, b.ctl, g::GITS_BASER + 8, g::GITS_BASER_VALID | (4ull << 56) | (7ull << 48) | itsmap::COLLTAB, 8);
        s.write(b.cpu, b.ctl, g::GITS_CTLR, g::GITS_CTLR_ENABLE);
        const std::size_t errors = b.its.command_errors().size();
        const g::its_command cmds[] = {g::cmd_mapd(1, 4, itsmap::ITT, true), g::cmd_mapc(0, 0, true),
                                       g::cmd_mapti(1, 0, 8300, 0), g::cmd_event(g::ITS_INV, 1, 0), g::cmd_sync(0)};
        std::uint64_t w = 0;
        for (const auto& c : cmds) {
            for (unsigned d = 0; d < 4; ++d)
                b.put64(itsmap::QUEUE + w + 8 * d, c[d]);
            w += 32;
        }
        s.write(b.cpu, b.ctl, g::GITS_CWRITER, w, 8);
        std::uint64_t creadr = 0;
        for (unsigned i = 0; i < 1000 && (creadr = s.read(b.cpu, b.ctl, g::GITS_CREADR, 8)) != w; ++i)
            sc_core::wait(sc_time(100, SC_NS));
        ASSERT_EQ(creadr, w) << "the commands complete (not stalled)";
        EXPECT_EQ(b.its.command_errors().size(), errors) << "without errors";
        const std::uint64_t lpis = b.its.stats().lpis;
        pcie_attr a;
        a.type = tlp_type::mem_wr;
        a.posted = true;
        a.has_device_id = true;
        a.device_id = 1;
        std::uint32_t ev = 0;
        EXPECT_EQ(b.dev.access(true, itsmap::TRANSLATER, &ev, 4, &a), tlm::TLM_OK_RESPONSE);
        sc_core::wait(sc_time(2, SC_US));
        EXPECT_EQ(b.its.stats().lpis, lpis + 1) << "the translation made LPI 8300 pending";
        EXPECT_TRUE(b.nirq.level.at(0));
        EXPECT_EQ(b.gic.acknowledge(), 8300u) << "and the CPU takes it";
        b.gic.end_of_interrupt(8300);
    });

    EXPECT_TRUE(b.run.finished) << "the soak reached its end";
    EXPECT_GE(simulated, b.its.cycles(SOAK_CYCLES));
    s.print(simulated);
    std::map<std::string, std::uint64_t> reasons;
    for (const auto& d : b.its.drops())
        ++reasons[gicv3_its::to_string(d.reason)];
    std::string rs;
    for (const auto& [k, v] : reasons)
        rs += " " + k + "=" + std::to_string(v);
    std::printf("[ soak     ] ITS: %llu commands, %llu command errors, %llu translations, %llu LPIs, drops:%s\n",
                static_cast<unsigned long long>(b.its.stats().commands),
                static_cast<unsigned long long>(b.its.command_errors().size()),
                static_cast<unsigned long long>(b.its.stats().translations),
                static_cast<unsigned long long>(b.its.stats().lpis), rs.c_str());
    s.expect_clean();
    EXPECT_GT(b.its.stats().commands, 100u);
    EXPECT_GT(b.its.stats().translations, 100u);
}

// =================================================================================================================
// smmuv3: registers, random STE / CD / page-table bytes, the command queue, transactions through it.
// =================================================================================================================

namespace {

using dbvp::smmu::smmuv3;

namespace smmap {
constexpr std::uint64_t REGS = 0x40000000;
constexpr std::uint64_t RAM_BASE = 0x80000000, RAM_SIZE = 0x01000000;
constexpr std::uint64_t STRTAB = RAM_BASE + 0x000000; // stream table (linear or level 1), 256 KiB
constexpr std::uint64_t L2TAB = RAM_BASE + 0x040000;  // level-2 arrays
constexpr std::uint64_t CMDQ = RAM_BASE + 0x100000;   // command queue (up to 256 commands)
constexpr std::uint64_t EVTQ = RAM_BASE + 0x110000;   // event queue
constexpr std::uint64_t CDS = RAM_BASE + 0x120000;    // context descriptors, 64 bytes each
constexpr std::uint64_t PT = RAM_BASE + 0x200000;     // page tables: 64 pages of 4 KiB
constexpr unsigned PT_PAGES = 64;
constexpr std::uint64_t DATA = RAM_BASE + 0x800000;   // what translations point at
// Registers.
constexpr std::uint32_t CR0 = 0x20, CR0ACK = 0x24, CR2 = 0x2c, GBPA = 0x44, IRQ_CTRL = 0x50, GERROR = 0x60,
                        GERRORN = 0x64, STRTAB_BASE = 0x80, STRTAB_BASE_CFG = 0x88, CMDQ_BASE = 0x90,
                        CMDQ_PROD = 0x98, CMDQ_CONS = 0x9c, EVTQ_BASE = 0xa0, EVTQ_PROD = 0x100a8,
                        EVTQ_CONS = 0x100ac;
constexpr std::uint32_t SMMUEN = 1, EVTQEN = 4, CMDQEN = 8, GBPA_UPDATE = 1u << 31, GBPA_ABORT = 1u << 20;
} // namespace smmap

struct smmu_soak_bench {
    smmuv3 smmu{"smmu", smmuv3::params{}};
    memory ram{"ram", memory::params{smmap::RAM_SIZE, 1000000000, 10, 10}};
    router soc{"soc", router::params{1000000000, 2}};
    port cpu{"cpu"};
    port dev{"dev"};
    line_sink lines;
    runner run{"runner"};
    window regs{"SMMU", smmap::REGS, 0x20000, (1u << 4) | (1u << 8)};
    std::uint32_t prod = 0; // command queue producer index the bench writes at

    smmu_soak_bench() {
        cpu.socket.bind(soc.in);
        smmu.walker.bind(soc.in);
        smmu.out.bind(soc.in);
        soc.out.bind(ram.socket);
        soc.out.bind(smmu.regs);
        soc.map(0, smmap::RAM_BASE, smmap::RAM_SIZE, "ram");
        soc.map(1, smmap::REGS, 0x20000, "smmu");
        dev.socket.bind(smmu.in);
        smmu.evtq_irq.bind(lines, 0);
        smmu.gerror_irq.bind(lines, 1);
    }
    std::uint8_t* at(std::uint64_t pa) { return ram.data() + (pa - smmap::RAM_BASE); }
    void put64(std::uint64_t pa, std::uint64_t v) { std::memcpy(at(pa), &v, 8); }
    std::uint64_t reg(std::uint32_t off, unsigned len = 4) { return cpu.peek64(smmap::REGS + off, len); }
};

std::uint64_t random_ste0(rng& r) {
    const unsigned configs[] = {0, 4, 5, 5, 5, 4};
    const std::uint64_t config = r.pct(90) ? configs[r.below(6)] : r.below(8);
    const std::uint64_t cd = r.pct(90) ? smmap::CDS + r.below(256) * 64 : r.bits() & 0x000fffffffffffc0ull;
    return (r.pct(90) ? 1 : 0) | (config << 1) | cd | (r.pct(5) ? r.bits() & 0xfff000000000003eull : 0);
}

std::uint64_t random_cd0(rng& r) {
    const unsigned t0sz = static_cast<unsigned>(r.pct(90) ? r.range(16, 39) : r.below(64));
    return t0sz | (r.pct(95) ? 0 : r.below(4) << 6) | (r.pct(5) ? 1ull << 14 : 0) | (r.pct(3) ? 1ull << 15 : 0) |
           (1ull << 30) | (r.pct(92) ? 1ull << 31 : 0) | (r.below(8) << 32) | (r.pct(20) ? 1ull << 35 : 0) |
           (r.pct(95) ? 1ull << 41 : 0) | (r.pct(80) ? 1ull << 45 : 0) | (1ull << 46) | (r.below(16) << 48);
}

std::uint64_t random_pte(rng& r, unsigned level) {
    const unsigned k = static_cast<unsigned>(r.below(100));
    const std::uint64_t attrs = (r.pct(85) ? 1ull << 10 : 0) | (r.pct(80) ? 1ull << 6 : 0) | (r.pct(30) ? 1ull << 7 : 0) |
                                (3ull << 8);
    if (k < 45 && level < 3)
        return (smmap::PT + r.below(smmap::PT_PAGES) * 0x1000) | 3; // table
    if (k < 85) {
        const unsigned shift = 12 + 9 * (3 - level);
        const std::uint64_t oa = (smmap::DATA + r.below(0x400) * 0x1000) & ~((1ull << shift) - 1);
        return oa | attrs | (level == 3 ? 3 : 1);
    }
    if (k < 93)
        return 0;
    return r.bits();
}

/// Writes `n` random commands at the producer index and moves CMDQ_PROD (when the queue is in RAM).
void smmu_commands(soak& s, smmu_soak_bench& b, unsigned n) {
    rng& r = s.r;
    const std::uint64_t base_reg = b.reg(smmap::CMDQ_BASE, 8);
    const unsigned log2 = std::min(static_cast<unsigned>(base_reg & 0x1f), 19u);
    const std::uint64_t align = std::max<std::uint64_t>(16ull << log2, 32);
    const std::uint64_t base = base_reg & 0x000fffffffffffe0ull & ~(align - 1);
    const std::uint32_t mask = (2u << log2) - 1;
    std::uint32_t prod = static_cast<std::uint32_t>(b.reg(smmap::CMDQ_PROD)) & mask;
    const std::uint8_t ops[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x10, 0x11, 0x12, 0x13, 0x30, 0x46, 0x46, 0x03};
    for (unsigned i = 0; i < n; ++i) {
        const std::uint8_t op = r.pct(92) ? ops[r.below(14)] : static_cast<std::uint8_t>(r.bits());
        std::uint64_t d0 = op | (static_cast<std::uint64_t>(r.pct(85) ? r.below(64) : r.bits()) << 32);
        if (op == 0x11 || op == 0x12)
            d0 = (d0 & 0xffffffffull) | (r.below(16) << 48);
        if (op == 0x46)
            d0 |= (r.pct(85) ? r.below(2) : r.below(4)) << 12;
        const std::uint64_t d1 = op == 0x04 ? r.below(32) : r.pct(70) ? r.below(0x1000000) & ~0xfffull : r.bits();
        const std::uint64_t at = base + 16ull * (prod & ((1u << log2) - 1));
        if (at >= smmap::RAM_BASE && at + 16 <= smmap::RAM_BASE + smmap::RAM_SIZE) {
            b.put64(at, d0);
            b.put64(at + 8, d1);
        }
        prod = (prod + 1) & mask;
    }
    s.write(b.cpu, b.regs, smmap::CMDQ_PROD, s.r.pct(95) ? prod : s.r.value() & 0xffffffffu);
}

} // namespace

TEST(GuestRandom, Smmu) {
    const std::uint64_t seed = soak_seed("GuestRandom.Smmu");
    RecordProperty("seed", std::to_string(seed));
    SCOPED_TRACE("DBVP_GUEST_SEED=" + std::to_string(seed));
    test::allow_guest_warnings guest;
    smmu_soak_bench b;
    soak s("GuestRandom.Smmu", seed, guest, b.smmu);
    rng& r = s.r;
    sc_time simulated;
    std::uint64_t last_va = 0;
    std::uint32_t last_sid = 0;

    b.run.run([&] {
        b.regs.probe(b.cpu);
        ASSERT_GT(b.regs.regs.size(), 30u);
        using namespace smmap;
        // Random tables to start with.
        for (unsigned sid = 0; sid < 4096; ++sid) {
            b.put64(STRTAB + 64ull * sid, random_ste0(r));
            b.put64(STRTAB + 64ull * sid + 8, r.pct(70) ? 0 : r.below(4) << 48);
        }
        for (unsigned k = 0; k < 256; ++k) {
            b.put64(CDS + 64ull * k, random_cd0(r));
            b.put64(CDS + 64ull * k + 8, PT + r.below(PT_PAGES) * 0x1000 + (r.pct(5) ? r.below(0x1000) : 0));
        }
        for (unsigned i = 0; i < PT_PAGES * 512; ++i)
            if (r.pct(30) || (i % 512) < 4)
                b.put64(PT + 8ull * i, random_pte(r, static_cast<unsigned>(r.below(4))));

        auto configure = [&] { // what a driver does (or nearly)
            s.write(b.cpu, b.regs, CR0, 0);
            s.write(b.cpu, b.regs, STRTAB_BASE, STRTAB, 8);
            s.write(b.cpu, b.regs, STRTAB_BASE_CFG,
                    r.pct(70) ? r.range(4, 12) : (1u << 16) | (r.pct(80) ? 8u : r.below(32)) << 6 | r.range(8, 16));
            s.write(b.cpu, b.regs, CMDQ_BASE, CMDQ | r.range(2, 8), 8);
            s.write(b.cpu, b.regs, CMDQ_PROD, 0);
            s.write(b.cpu, b.regs, CMDQ_CONS, 0);
            s.write(b.cpu, b.regs, EVTQ_BASE, EVTQ | r.range(1, 7), 8);
            s.write(b.cpu, b.regs, EVTQ_PROD, 0);
            s.write(b.cpu, b.regs, EVTQ_CONS, 0);
            s.write(b.cpu, b.regs, CR2, r.below(8));
            s.write(b.cpu, b.regs, IRQ_CTRL, r.below(8));
            s.write(b.cpu, b.regs, GERRORN, static_cast<std::uint32_t>(b.reg(GERROR)));
            s.write(b.cpu, b.regs, CR0, SMMUEN | CMDQEN | (r.pct(80) ? EVTQEN : 0));
        };
        auto smart = [&] {
            const unsigned k = static_cast<unsigned>(r.below(100));
            if (k < 10)
                s.write(b.cpu, b.regs, CR0, r.pct(90) ? r.below(16) & 0xd : r.value() & 0xffffffffu);
            else if (k < 18)
                s.write(b.cpu, b.regs, GBPA, (r.pct(70) ? GBPA_UPDATE : 0) | (r.pct(50) ? GBPA_ABORT : 0) |
                                                 (r.pct(10) ? r.bits() & 0x7fffffffu : 0x1000));
            else if (k < 26)
                s.write(b.cpu, b.regs, GERRORN, static_cast<std::uint32_t>(b.reg(GERROR) ^ (r.pct(20) ? r.below(512) : 0)));
            else if (k < 32)
                s.write(b.cpu, b.regs, IRQ_CTRL, r.below(8));
            else if (k < 40)
                s.write(b.cpu, b.regs, STRTAB_BASE, STRTAB + (r.pct(85) ? 0 : r.below(0x40000)), 8);
            else if (k < 48)
                s.write(b.cpu, b.regs, STRTAB_BASE_CFG, r.pct(80) ? (r.pct(60) ? 0 : 1u << 16) | (r.pct(80) ? 8u : r.below(32)) << 6 | r.below(20) : r.value() & 0xffffffffu);
            else if (k < 56)
                s.write(b.cpu, b.regs, r.pct(50) ? CMDQ_BASE : EVTQ_BASE,
                        ((r.pct(50) ? CMDQ : EVTQ) + (r.pct(85) ? 0 : r.below(0x1000))) | r.below(r.pct(85) ? 9 : 32), 8);
            else if (k < 66)
                s.write(b.cpu, b.regs, r.pct(50) ? EVTQ_CONS : EVTQ_PROD,
                        r.pct(50) ? b.reg(EVTQ_PROD) : r.value() & 0xffffffffu);
            else if (k < 72)
                s.write(b.cpu, b.regs, CMDQ_CONS, r.pct(80) ? 0 : r.value() & 0xffffffffu);
            else if (k < 78)
                s.write(b.cpu, b.regs, CR2, r.below(8));
            else
                s.read(b.cpu, b.regs, r.pct(50) ? CMDQ_CONS : r.pct(50) ? GERROR : EVTQ_PROD);
        };
        // A coherent stage-1 mapping for a small StreamID (T0SZ 25: a 3-level walk from level 1), as a driver
        // writes it; the random bytes around it (and later) may break it again.
        auto map_stream = [&] {
            const std::uint64_t sid = r.below(64), cd = r.below(256), va = r.below(0x1000000) & ~0xfffull;
            const std::uint64_t l1 = PT + r.below(PT_PAGES) * 0x1000, l2 = PT + r.below(PT_PAGES) * 0x1000,
                                l3 = PT + r.below(PT_PAGES) * 0x1000;
            b.put64(l1 + 8 * ((va >> 30) & 0x1ff), l2 | 3);
            b.put64(l2 + 8 * ((va >> 21) & 0x1ff), l3 | 3);
            b.put64(l3 + 8 * ((va >> 12) & 0x1ff), (DATA + r.below(0x400) * 0x1000) | 3 | (1ull << 6) | (3ull << 8) | (1ull << 10));
            b.put64(CDS + 64 * cd, 25 | (1ull << 30) | (1ull << 31) | (5ull << 32) | (1ull << 41) | (1ull << 45) |
                                       (r.below(16) << 48));
            b.put64(CDS + 64 * cd + 8, l1);
            b.put64(STRTAB + 64 * sid + 8, 0);
            b.put64(STRTAB + 64 * sid, 1 | (5ull << 1) | (CDS + 64 * cd));
            last_va = va;
            last_sid = static_cast<std::uint32_t>(sid);
        };
        auto tables = [&] {
            if (r.pct(30))
                return map_stream();
            for (unsigned i = 0; i < 8; ++i) {
                switch (r.below(5)) {
                case 0: {
                    const std::uint64_t sid = r.below(r.pct(80) ? 64 : 4096);
                    b.put64(STRTAB + 64 * sid, random_ste0(r));
                    b.put64(STRTAB + 64 * sid + 8, r.pct(70) ? 0 : r.below(4) << 48);
                    break;
                }
                case 1: // level-1 descriptors (2-level format)
                    b.put64(STRTAB + 8 * r.below(64), (L2TAB + r.below(64) * 0x1000) | r.below(r.pct(80) ? 10 : 32));
                    break;
                case 2: {
                    const std::uint64_t k = r.below(256);
                    b.put64(CDS + 64 * k, random_cd0(r));
                    b.put64(CDS + 64 * k + 8, PT + r.below(PT_PAGES) * 0x1000);
                    break;
                }
                default:
                    b.put64(PT + 0x1000 * r.below(PT_PAGES) + 8 * (r.pct(60) ? r.below(4) : r.below(512)),
                            random_pte(r, static_cast<unsigned>(r.below(4))));
                    break;
                }
            }
        };
        auto transaction = [&] {
            ++s.n.traffic;
            pcie_attr a;
            const bool write = r.pct(40);
            a.type = write ? tlp_type::mem_wr : tlp_type::mem_rd;
            a.has_stream_id = r.pct(95);
            a.stream_id = static_cast<std::uint32_t>(r.pct(85) ? r.below(64) : r.bits());
            const unsigned lens[] = {1, 2, 4, 8, 16, 64};
            const unsigned len = lens[r.below(6)];
            std::uint64_t va;
            const unsigned k = static_cast<unsigned>(r.below(100));
            if (k < 20) {
                va = last_va + (r.below(0x1000) & ~7ull); // the last coherent mapping
                a.stream_id = last_sid;
            } else if (k < 50)
                va = r.below(0x1000000) & ~7ull; // low input addresses: where the random tables map
            else if (k < 75)
                va = DATA + r.below(0x400000);  // bypass into RAM
            else if (k < 80)
                va = REGS + r.below(0x20000);   // bypass into the SMMU's own registers
            else
                va = r.bits();
            std::array<std::uint8_t, 64> data{};
            for (unsigned i = 0; i < len; ++i)
                data[i] = static_cast<std::uint8_t>(r.bits());
            const bool enabled = b.reg(CR0) & SMMUEN;
            const bool abort = b.reg(GBPA) & GBPA_ABORT;
            const bool in_ram = va >= RAM_BASE && va < RAM_BASE + RAM_SIZE && len <= RAM_BASE + RAM_SIZE - va;
            const bool in_regs = va >= REGS && va < REGS + 0x20000;
            std::array<std::uint8_t, 64> before{};
            if (in_ram)
                std::memcpy(before.data(), b.at(va), len);
            const std::size_t events = b.smmu.events().size();
            const auto rsp = b.dev.access(write, va, data.data(), len, r.pct(98) ? &a : nullptr);
            bool ok = b.dev.pl.get_address() == va; // the payload's address is restored
            if (!enabled && !in_regs) {
                // SMMUEN = 0: GBPA decides (no event); a bypass reaches RAM or misses the interconnect.
                const auto want = abort || !in_ram ? tlm::TLM_ADDRESS_ERROR_RESPONSE : tlm::TLM_OK_RESPONSE;
                ok = ok && rsp == want && b.smmu.events().size() == events;
                if (ok && rsp == tlm::TLM_OK_RESPONSE)
                    ok = std::memcmp(write ? b.at(va) : before.data(), data.data(), len) == 0;
            } else {
                ok = ok && (rsp == tlm::TLM_OK_RESPONSE || rsp == tlm::TLM_ADDRESS_ERROR_RESPONSE ||
                            (in_regs && rsp == tlm::TLM_GENERIC_ERROR_RESPONSE));
            }
            if (!ok)
                s.mismatch(s.n.traffic_mismatches, std::string(write ? "write" : "read") + " of " + std::to_string(len) +
                                                       " bytes at " + hex(va) + " StreamID " + std::to_string(a.stream_id) +
                                                       " (SMMUEN " + std::to_string(enabled) + "): " + rsp_name(rsp));
            s.count(write ? "write" : "read");
            s.sync(b.dev.last_delay);
        };
        auto step = [&] {
            const unsigned k = static_cast<unsigned>(r.below(100));
            if (k < 20) {
                s.random_reg(b.cpu, b.regs);
                s.count("reg_random");
            } else if (k < 35) {
                smart();
                s.count("reg_smart");
            } else if (k < 37) {
                configure();
                s.count("configure");
            } else if (k < 47) {
                tables();
                s.count("tables");
            } else if (k < 57) {
                smmu_commands(s, b, static_cast<unsigned>(1 + r.below(4)));
                s.count("commands");
            } else if (k < 97) {
                transaction();
            } else {
                s.idle_cycles(r.below(400));
                s.count("idle");
            }
            s.idle_cycles(r.below(6));
        };
        configure();
        simulated = soak_loop(s, step, nullptr);

        // ---- Afterwards: a bypass while disabled, then a sane stream table: STE bypass and a stage-1 page.
        s.write(b.cpu, b.regs, CR0, 0);
        s.write(b.cpu, b.regs, GBPA, GBPA_UPDATE | 0x1000);
        pcie_attr a;
        a.type = tlp_type::mem_wr;
        a.has_stream_id = true;
        a.stream_id = 1;
        std::uint32_t v = 0x11223344;
        EXPECT_EQ(b.dev.access(true, DATA + 0x100, &v, 4, &a), tlm::TLM_OK_RESPONSE) << "bypass with SMMUEN = 0";
        std::uint32_t got = 0;
        std::memcpy(&got, b.at(DATA + 0x100), 4);
        EXPECT_EQ(got, 0x11223344u);
        std::memset(b.at(STRTAB), 0, 0x4000);
        b.put64(STRTAB + 64 * 3, 1 | (4ull << 1));             // StreamID 3: bypass
        b.put64(STRTAB + 64 * 4, 1 | (5ull << 1) | (CDS + 64)); // StreamID 4: stage 1, CD 1
        std::memset(b.at(CDS + 64), 0, 64);
        b.put64(CDS + 64, 16 | (1ull << 30) | (1ull << 31) | (5ull << 32) | (1ull << 41) | (1ull << 45) | (7ull << 48));
        const std::uint64_t l0 = RAM_BASE + 0x700000, l1 = l0 + 0x1000, l2 = l0 + 0x2000, l3 = l0 + 0x3000;
        std::memset(b.at(l0), 0, 0x4000);
        b.put64(CDS + 64 + 8, l0);
        b.put64(l0, l1 | 3);
        b.put64(l1, l2 | 3);
        b.put64(l2, l3 | 3);
        b.put64(l3 + 8 * 5, (DATA + 0x5000) | 3 | (1ull << 6) | (3ull << 8) | (1ull << 10)); // VA 0x5000 -> DATA+0x5000
        s.write(b.cpu, b.regs, STRTAB_BASE, STRTAB, 8);
        s.write(b.cpu, b.regs, STRTAB_BASE_CFG, 8); // linear, 256 StreamIDs
        s.write(b.cpu, b.regs, CMDQ_BASE, CMDQ | 8, 8);
        s.write(b.cpu, b.regs, CMDQ_PROD, 0);
        s.write(b.cpu, b.regs, CMDQ_CONS, 0);
        s.write(b.cpu, b.regs, EVTQ_BASE, EVTQ | 4, 8);
        s.write(b.cpu, b.regs, EVTQ_PROD, 0);
        s.write(b.cpu, b.regs, EVTQ_CONS, 0);
        s.write(b.cpu, b.regs, GERRORN, static_cast<std::uint32_t>(b.reg(GERROR)));
        s.write(b.cpu, b.regs, CR0, SMMUEN | CMDQEN | EVTQEN);
        EXPECT_EQ(b.reg(CR0ACK), SMMUEN | CMDQEN | EVTQEN);
        b.put64(CMDQ, 0x04 | (0ull << 32));   // CMD_CFGI_STE_RANGE, Range 31: CMD_CFGI_ALL
        b.put64(CMDQ + 8, 31);
        b.put64(CMDQ + 16, 0x30);             // CMD_TLBI_NSNH_ALL
        b.put64(CMDQ + 24, 0);
        b.put64(CMDQ + 32, 0x46);             // CMD_SYNC
        b.put64(CMDQ + 40, 0);
        s.write(b.cpu, b.regs, CMDQ_PROD, 3);
        for (unsigned i = 0; i < 100 && (b.reg(CMDQ_CONS) & 0x1ff) != 3; ++i)
            sc_core::wait(sc_time(100, SC_NS));
        // CMDQ_CONS.ERR is read-only and UNKNOWN once no error is active: only the index (and no new error) counts.
        EXPECT_EQ(b.reg(CMDQ_CONS) & 0xfffff, 3u) << "the invalidations complete";
        EXPECT_EQ(b.reg(GERROR) ^ b.reg(GERRORN), 0u) << "without a command error";
        a.stream_id = 3;
        v = 0x55667788;
        EXPECT_EQ(b.dev.access(true, DATA + 0x200, &v, 4, &a), tlm::TLM_OK_RESPONSE) << "STE bypass";
        std::memcpy(&got, b.at(DATA + 0x200), 4);
        EXPECT_EQ(got, 0x55667788u);
        a.stream_id = 4;
        v = 0x99aabbcc;
        EXPECT_EQ(b.dev.access(true, 0x5010, &v, 4, &a), tlm::TLM_OK_RESPONSE) << "stage-1 translation";
        std::memcpy(&got, b.at(DATA + 0x5010), 4);
        EXPECT_EQ(got, 0x99aabbccu);
    });

    EXPECT_TRUE(b.run.finished) << "the soak reached its end";
    EXPECT_GE(simulated, b.smmu.cycles(SOAK_CYCLES));
    s.print(simulated);
    std::map<std::string, std::uint64_t> ids;
    for (const auto& e : b.smmu.events())
        ++ids[smmuv3::event_name(e.id)];
    std::string es;
    for (const auto& [k, v] : ids)
        es += " " + k + "=" + std::to_string(v);
    const auto& st = b.smmu.stats();
    std::printf("[ soak     ] SMMU: translated %llu, bypassed %llu, aborted %llu, faults %llu, commands %llu, events:%s\n",
                static_cast<unsigned long long>(st.translated), static_cast<unsigned long long>(st.bypassed),
                static_cast<unsigned long long>(st.aborted), static_cast<unsigned long long>(st.faults),
                static_cast<unsigned long long>(st.commands), es.c_str());
    s.expect_clean();
    EXPECT_GT(st.faults, 100u);
}

// =================================================================================================================
// sid_glue (i.MX95 LUT): LUT_ACSCTRL / DATA1 / DATA2 at random, requests with random requester IDs, every
// lookup compared with a reference LUT the test keeps from the documented register semantics.
// =================================================================================================================

namespace {

using pcie::sid_glue;

struct id_capture : sc_core::sc_module {
    tlm_utils::simple_target_socket<id_capture> socket;
    bool seen = false;
    pcie_attr last;
    explicit id_capture(sc_core::sc_module_name n) : sc_module(n), socket("socket") {
        socket.register_b_transport(this, &id_capture::b_transport);
    }
    void b_transport(tlm::tlm_generic_payload& p, sc_time&) {
        const pcie_attr* a = attr_of(p);
        seen = a != nullptr;
        if (a)
            last = *a;
        p.set_response_status(tlm::TLM_OK_RESPONSE);
    }
};

/// The LUT as docs/models/sid_glue.md describes it: DATA1 (VLD [31], DAC_ID [10:8], STREAM_ID [5:0]) and DATA2
/// (REQID [31:16], MASK [15:0]) are plain registers; ACSCTRL (RWA [16], ENLOC [4:0]) with RWA = 1 loads entry
/// ENLOC into them, with RWA = 0 commits them into it; ENLOC beyond the entries does nothing.
struct lut_ref {
    struct entry {
        bool valid = false;
        std::uint16_t reqid = 0, mask = 0;
        std::uint8_t sid = 0, dac = 0;
    };
    std::vector<entry> e;
    std::uint32_t data1 = 0, data2 = 0;
    unsigned controller, def;
    lut_ref(unsigned n, unsigned ctrl, unsigned default_sid) : e(n), controller(ctrl), def(default_sid) {}
    void write(std::uint64_t off, std::uint32_t v) {
        if (off == 0x100c) {
            data1 = v & 0x8000073fu;
        } else if (off == 0x1010) {
            data2 = v;
        } else if (off == 0x1008) {
            const unsigned idx = v & 0x1f;
            if (idx >= e.size())
                return;
            entry& x = e[idx];
            if (v & (1u << 16)) {
                data1 = (x.valid ? 1u << 31 : 0) | (std::uint32_t{x.dac} << 8) | x.sid;
                data2 = (std::uint32_t{x.reqid} << 16) | x.mask;
            } else {
                x.valid = data1 >> 31;
                x.dac = static_cast<std::uint8_t>((data1 >> 8) & 7);
                x.sid = static_cast<std::uint8_t>(data1 & 0x3f);
                x.reqid = static_cast<std::uint16_t>(data2 >> 16);
                x.mask = static_cast<std::uint16_t>(data2);
            }
        }
    }
    /// StreamID = DeviceID of a requester: the lowest matching valid entry, else the default.
    std::uint32_t id_of(std::uint16_t rid) const {
        for (const entry& x : e)
            if (x.valid && ((rid ^ x.reqid) & x.mask) == 0)
                return (controller << 6) | x.sid;
        return (controller << 6) | def;
    }
};

} // namespace

TEST(GuestRandom, SidGlueLut) {
    const std::uint64_t seed = soak_seed("GuestRandom.SidGlueLut");
    RecordProperty("seed", std::to_string(seed));
    SCOPED_TRACE("DBVP_GUEST_SEED=" + std::to_string(seed));
    test::allow_guest_warnings guest;
    sid_glue::params p;
    p.type = sid_glue::kind::lut;
    p.lut_entries = 24; // ENLOC 24..31 select missing entries
    p.controller_id = 2;
    p.default_sid = 7;
    sid_glue glue("glue", p);
    router bus("bus", router::params{1000000000, 1});
    port cpu("cpu"), dev("dev");
    id_capture cap("cap");
    runner run("runner");
    constexpr std::uint64_t LUT = 0x4c000000;
    cpu.socket.bind(bus.in);
    bus.out.bind(glue.regs);
    bus.map(0, LUT, p.regs_size, "lut");
    dev.socket.bind(glue.in);
    glue.out.bind(cap.socket);
    window regs{"LUT", LUT, p.regs_size, 1u << 4};
    soak s("GuestRandom.SidGlueLut", seed, guest, glue);
    rng& r = s.r;
    lut_ref ref(p.lut_entries, p.controller_id, p.default_sid);
    sc_time simulated;

    run.run([&] {
        regs.probe(cpu);
        ASSERT_EQ(regs.regs.size(), 3u) << "ACSCTRL, DATA1, DATA2";
        auto lut_write = [&](std::uint64_t off, std::uint64_t v, unsigned len) {
            const auto rsp = s.reg_access(cpu, regs, true, off, len, v);
            if (rsp == tlm::TLM_OK_RESPONSE)
                ref.write(off, static_cast<std::uint32_t>(v));
        };
        auto check_lut = [&] {
            const auto& lut = glue.lut();
            for (unsigned i = 0; i < lut.size(); ++i)
                if (lut[i].valid != ref.e[i].valid || lut[i].sid != ref.e[i].sid || lut[i].reqid != ref.e[i].reqid ||
                    lut[i].mask != ref.e[i].mask || lut[i].dac_id != ref.e[i].dac)
                    s.mismatch(s.n.traffic_mismatches, "LUT entry " + std::to_string(i) + " differs from the reference");
            if (cpu.peek64(LUT + 0x1010, 4) != ref.data2 || cpu.peek64(LUT + 0x100c, 4) != ref.data1)
                s.mismatch(s.n.traffic_mismatches, "LUT_DATA1/2 differ from the reference");
        };
        std::vector<std::uint16_t> rids;
        auto step = [&] {
            const unsigned k = static_cast<unsigned>(r.below(100));
            if (k < 25) {
                const unsigned len = r.size();
                const std::uint64_t off = regs.offset(r, len);
                lut_write(off, r.value(), len);
                s.count("reg_random");
            } else if (k < 50) {
                const std::uint64_t off = 0x1008 + 4 * r.below(3);
                std::uint64_t v = r.value();
                if (off == 0x1008)
                    v = (r.pct(40) ? 1u << 16 : 0) | r.below(r.pct(85) ? 24 : 32) | (r.pct(5) ? r.bits() & 0xfffe0000u : 0);
                else if (off == 0x100c)
                    v = (r.pct(70) ? 1u << 31 : 0) | r.below(64) | (r.below(8) << 8);
                else {
                    const std::uint16_t rid = static_cast<std::uint16_t>(r.bits());
                    rids.push_back(rid);
                    const std::uint16_t masks[] = {0xffff, 0xfff8, 0xff00, 0x0007, 0};
                    v = (std::uint32_t{rid} << 16) | masks[r.below(5)];
                }
                lut_write(off, v & 0xffffffffu, 4);
                check_lut();
                s.count("reg_smart");
            } else {
                ++s.n.traffic;
                pcie_attr a;
                a.type = tlp_type::mem_wr;
                a.posted = true;
                a.requester_id = static_cast<std::uint16_t>(!rids.empty() && r.pct(70) ? rids[r.below(rids.size())] ^ r.below(8)
                                                                                       : r.bits());
                std::uint32_t v = 0;
                cap.seen = false;
                const auto rsp = dev.access(true, r.bits() & 0xffffffffull, &v, 4, r.pct(97) ? &a : nullptr);
                const std::uint32_t want = ref.id_of(a.requester_id);
                if (rsp != tlm::TLM_OK_RESPONSE ||
                    (cap.seen && (!cap.last.has_stream_id || !cap.last.has_device_id || cap.last.stream_id != want ||
                                  cap.last.device_id != want)))
                    s.mismatch(s.n.traffic_mismatches, "requester " + hex(a.requester_id) + " got StreamID " +
                                                           hex(cap.last.stream_id) + ", the LUT says " + hex(want));
                s.count("request");
                s.sync(dev.last_delay);
            }
            s.idle_cycles(r.below(8));
        };
        simulated = soak_loop(s, step, nullptr);
        check_lut();

        // ---- Afterwards: program entry 0 the way the driver does; its requester gets the StreamID.
        lut_write(0x100c, (1u << 31) | 5, 4);
        lut_write(0x1010, (0x0100u << 16) | 0xffff, 4);
        lut_write(0x1008, 0, 4);
        pcie_attr a;
        a.type = tlp_type::mem_wr;
        a.requester_id = 0x0100;
        std::uint32_t v = 0;
        EXPECT_EQ(dev.access(true, 0x1000, &v, 4, &a), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(cap.last.stream_id, (2u << 6) | 5) << "entry 0 wins for its requester";
        EXPECT_EQ(glue.lookup(0x0100).lut_entry, 0);
    });

    EXPECT_TRUE(run.finished) << "the soak reached its end";
    EXPECT_GE(simulated, glue.cycles(SOAK_CYCLES));
    s.print(simulated);
    s.expect_clean();
}
