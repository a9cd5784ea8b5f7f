// dbvp firmware — NVMe-style doorbells (after Linux nvmet-pci-epf): the NVMe register block in BAR0 and the
// submission/completion queue doorbells the host writes at BAR0 + 0x1000. Only the doorbell part of a
// controller: no command processing.
//
// BAR0 (64-bit, backed by endpoint RAM; size 0x1000 + 8 * queues rounded up to max(iATU region, 4 KiB) and a power
// of two):
//   0x00 CAP (64)   MQES = queue_depth - 1, CQR = 1, TO = 1 (500 ms), DSTRD = 0 (4-byte doorbell stride),
//                   CSS = NVM; NSSRS, BPS, PMRS, CMBS clear
//   0x08 VS         1.4.0
//   0x14 CC, 0x1c CSTS  the firmware polls CC every cc_poll_ns (10 ms): CSTS.RDY follows CC.EN (EN 1 -> 0 zeroes
//                   the doorbells), CC.SHN != 0 sets CSTS.SHST = complete
//   0x24 AQA, 0x28 ASQ, 0x30 ACQ  plain registers
//   0xf00 REG_DB_BACKEND (vendor specific, read-only for the host): valid bit, backend, interrupt-driven bit
//   0x1000 + 8y     SQ y tail doorbell;  0x1000 + 8y + 4  CQ y head doorbell  (y < queues; queue 0 = admin)
//
// Doorbells: the function asks the allocator for 2 * queues doorbells with window_bar = 0, window_offset =
// 0x1000, window_stride = 4, any_value = true, window_phys = the RAM behind BAR0 (and only params.backend when
// set). The host writes queue pointer values of its own, so a backend must keep the value:
//   - poll (what the generic platform gets): the slots are the doorbell registers in BAR0's RAM; the allocator
//     scans them (doorbell_options::poll_interval_ns) and every changed value is recorded. A slot written several
//     times within one scan interval is seen with its last value: queue pointers are cumulative, so the last tail
//     or head covers the earlier writes (nvmet-pci-epf reads its doorbells the same way).
//   - an interrupt backend that meets the window (none does on the platforms here: MSI consumes the data as an
//     EventID, the embedded kick is one address for all doorbells): pre-exposed at BAR0 + 0x1000 + 4i, or mapped
//     there with BAR sub-ranges once the host assigned BAR0 (registers and the doorbell window must then lie in
//     different iATU regions). Each interrupt is recorded with value_known = false: the write went to the
//     doorbell target, not to RAM. Failing that, the function falls back to poll and says why.
// The choice and the allocator's reasons (doorbell_allocator::last_reasons()) are in report(), in
// REG_DB_BACKEND and in the firmware log.
#pragma once

#include "dbvp/fw/doorbell.h"
#include "dbvp/fw/endpoint.h"
#include "dbvp/fw/status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dbvp::fw::nvme {

constexpr unsigned BAR = 0;
constexpr std::uint32_t REG_CAP = 0x00;
constexpr std::uint32_t REG_VS = 0x08;
constexpr std::uint32_t REG_INTMS = 0x0c;
constexpr std::uint32_t REG_INTMC = 0x10;
constexpr std::uint32_t REG_CC = 0x14;
constexpr std::uint32_t REG_CSTS = 0x1c;
constexpr std::uint32_t REG_AQA = 0x24;
constexpr std::uint32_t REG_ASQ = 0x28;
constexpr std::uint32_t REG_ACQ = 0x30;
constexpr std::uint32_t REG_DB_BACKEND = 0xf00;
constexpr std::uint32_t REG_DBS = 0x1000;
constexpr std::uint32_t sq_tail_doorbell(unsigned q) { return REG_DBS + 8 * q; }
constexpr std::uint32_t cq_head_doorbell(unsigned q) { return REG_DBS + 8 * q + 4; }
// CAP fields
constexpr std::uint64_t CAP_CQR = 1ull << 16;
constexpr unsigned CAP_TO_SHIFT = 24;
constexpr unsigned CAP_DSTRD_SHIFT = 32;
constexpr std::uint64_t CAP_DSTRD_MASK = 0xfull << CAP_DSTRD_SHIFT;
constexpr std::uint64_t CAP_CSS_NVM = 1ull << 37;
constexpr std::uint32_t VS_1_4 = 0x00010400;
// CC / CSTS
constexpr std::uint32_t CC_EN = 1u << 0;
constexpr std::uint32_t CC_SHN_MASK = 3u << 14;
constexpr std::uint32_t CSTS_RDY = 1u << 0;
constexpr std::uint32_t CSTS_SHST_COMPLETE = 2u << 2;
// REG_DB_BACKEND
constexpr std::uint32_t DB_BACKEND_VALID = 1u << 31;
constexpr std::uint32_t DB_BACKEND_IRQ = 1u << 8; // interrupt-driven
constexpr std::uint32_t DB_BACKEND_MASK = 0x3;    // doorbell_backend: 0 MSI, 1 embedded, 2 poll

struct params {
    unsigned function = 0;
    unsigned queues = 4;       // admin + I/O queues (1..64)
    unsigned queue_depth = 64; // CAP.MQES + 1
    std::uint64_t cc_poll_ns = 10000000;
    std::optional<doorbell_backend> backend; // only this allocator backend
};

/// Which doorbell backend the function uses and why.
struct doorbell_report {
    doorbell_backend backend = doorbell_backend::poll;
    bool interrupt_driven = false;
    std::vector<std::string> reasons; // the allocator's reasons per skipped backend, then the function's own
    std::string summary;              // one line, also in the firmware log
};

/// One doorbell write the function saw.
struct doorbell_write {
    unsigned doorbell = 0; // 2 * queue (+1 for the CQ head)
    unsigned queue = 0;
    bool cq = false;       // CQ head (else SQ tail)
    std::uint32_t value = 0;
    bool value_known = true;
    std::uint64_t time_ns = 0;
};

class epf {
public:
    epf(endpoint& ep, const params& p) : ep_(ep), p_(p) {}
    ~epf();
    epf(const epf&) = delete;
    epf& operator=(const epf&) = delete;

    /// Set up BAR0 and the doorbells (before start_link()).
    status bind();
    status unbind();
    void serve_until(std::uint64_t until_ns);
    [[noreturn]] void run();

    const doorbell_report& report() const { return report_; }
    const std::vector<doorbell_write>& writes() const { return writes_; }
    /// Last value seen per doorbell (SQ tails and CQ heads).
    std::uint32_t sq_tail(unsigned q) const { return last_.at(2 * q); }
    std::uint32_t cq_head(unsigned q) const { return last_.at(2 * q + 1); }
    std::uint64_t bar_phys() const { return bar_; }
    std::uint64_t bar_size() const { return bar_size_; }
    bool enabled() const { return enabled_; }

private:
    status setup_interrupt_window();
    status listen_all();
    status use_poll(const std::string& why);
    void set_report();
    void on_doorbell(unsigned index);
    void poll_cc();
    void try_submap();
    void log(const std::string& s);
    std::uint32_t rd(std::uint32_t off);
    void wr(std::uint32_t off, std::uint32_t v);

    endpoint& ep_;
    params p_;
    bool bound_ = false, has_doorbells_ = false, mapped_ = false, submap_pending_ = false, enabled_ = false;
    std::uint64_t bar_ = 0, bar_size_ = 0;
    std::vector<doorbell> dbs_;
    std::vector<bar_subrange> submap_; // interrupt backend: BAR0 layout to apply once the host assigned BAR0
    std::vector<std::uint32_t> last_;
    std::vector<doorbell_write> writes_;
    doorbell_report report_;
    std::uint64_t next_cc_ = 0;
};

} // namespace dbvp::fw::nvme
