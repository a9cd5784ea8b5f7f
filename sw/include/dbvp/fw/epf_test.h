// dbvp firmware — the endpoint test function, register-compatible with Linux's pci-epf-test (the function the
// host's pci_endpoint_test driver talks to), with its doorbell feature.
//
// The register block (little-endian 32-bit words, hardware-facts 4.1) sits at offset 0 of BAR `test_reg_bar`
// (default BAR0), backed by endpoint RAM from the endpoint's pool through a BAR-match inbound window. Every other
// BAR the controller lets the function program gets a RAM backing of its own too (as pci-epf-test allocates all
// free BARs); reserved BARs are left as the hardware made them and advertised in CAPS (BARn_RESERVED).
//
// Commands (facts 4.1, 4.3). The host writes COMMAND; the handler polls it every `poll_period_ns` of CPU time
// (1 ms, like the kpcitest work item), clears COMMAND and STATUS, runs the command and raises the interrupt the
// host chose in IRQ_TYPE / IRQ_NUMBER (STATUS.IRQ_RAISED, then the MSI through the controller):
//   RAISE_MSI          raise MSI IRQ_NUMBER (1-based).
//   ENABLE_DOORBELL    allocate one doorbell (fw::doorbell_allocator, optionally a named backend); a doorbell
//                      the hardware already exposes (bar != NO_BAR) is reused at its BAR and offset; otherwise
//                      the next BAR after test_reg_bar that this function programs is re-pointed at the
//                      doorbell target (align_inbound_addr to the BAR size, then the same BAR again with the new
//                      target: dynamic inbound mapping). The doorbell interrupt is requested with the flags the
//                      doorbell names (poll backend: doorbell_allocator::listen, scanned by service() in the
//                      loop). DB_BAR / DB_OFFSET / DB_DATA are filled and STATUS gets DOORBELL_ENABLE_SUCCESS, or
//                      DOORBELL_ENABLE_FAIL (and nothing stays allocated or re-mapped) on any error — including
//                      an ENABLE while a doorbell is held (the allocator answers busy; the held one stays).
//   DISABLE_DOORBELL   free the interrupt and the doorbell, restore the BAR's own RAM backing;
//                      DOORBELL_DISABLE_SUCCESS, or _FAIL when no doorbell is held or a step failed.
//   BAR_SUBRANGE_SETUP / _CLEAR (CAPS.SUBRANGE_MAPPING): SIZE names a test BAR (not the register BAR, not the
//                      doorbell BAR); SETUP lays it out as two halves of its backing in swapped order (the
//                      second half at offset 0) with address-match windows, CLEAR restores the BAR-match window.
//                      The swapped-halves layout is this firmware's choice (the Linux layout is UNVERIFIED).
// When the doorbell rings, its handler (the primary handler only notes it; the rest runs in the function's
// loop, as Linux's threaded handler does) sets DOORBELL_SUCCESS and raises the interrupt to the host.
// Not implemented: READ / WRITE / COPY (answered with their _FAIL bit and an interrupt), INTx and MSI-X.
//
// Every error path sets the command's FAIL bit and logs why through hal::log; nothing throws.
#pragma once

#include "dbvp/fw/doorbell.h"
#include "dbvp/fw/endpoint.h"
#include "dbvp/fw/hal.h"
#include "dbvp/fw/status.h"

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dbvp::epf {

// Register block (offsets in the test register BAR).
constexpr std::uint32_t REG_MAGIC = 0x00;
constexpr std::uint32_t REG_COMMAND = 0x04;
constexpr std::uint32_t REG_STATUS = 0x08;
constexpr std::uint32_t REG_LOWER_SRC_ADDR = 0x0c;
constexpr std::uint32_t REG_UPPER_SRC_ADDR = 0x10;
constexpr std::uint32_t REG_LOWER_DST_ADDR = 0x14;
constexpr std::uint32_t REG_UPPER_DST_ADDR = 0x18;
constexpr std::uint32_t REG_SIZE = 0x1c;
constexpr std::uint32_t REG_CHECKSUM = 0x20;
constexpr std::uint32_t REG_IRQ_TYPE = 0x24;
constexpr std::uint32_t REG_IRQ_NUMBER = 0x28;
constexpr std::uint32_t REG_FLAGS = 0x2c;
constexpr std::uint32_t REG_CAPS = 0x30;
constexpr std::uint32_t REG_DB_BAR = 0x34;
constexpr std::uint32_t REG_DB_OFFSET = 0x38;
constexpr std::uint32_t REG_DB_DATA = 0x3c;
constexpr std::uint32_t REG_BLOCK_SIZE = 0x40;

// COMMAND bits.
constexpr std::uint32_t CMD_RAISE_INTX = 1u << 0;
constexpr std::uint32_t CMD_RAISE_MSI = 1u << 1;
constexpr std::uint32_t CMD_RAISE_MSIX = 1u << 2;
constexpr std::uint32_t CMD_READ = 1u << 3;
constexpr std::uint32_t CMD_WRITE = 1u << 4;
constexpr std::uint32_t CMD_COPY = 1u << 5;
constexpr std::uint32_t CMD_ENABLE_DOORBELL = 1u << 6;
constexpr std::uint32_t CMD_DISABLE_DOORBELL = 1u << 7;
constexpr std::uint32_t CMD_BAR_SUBRANGE_SETUP = 1u << 8;
constexpr std::uint32_t CMD_BAR_SUBRANGE_CLEAR = 1u << 9;

// STATUS bits.
constexpr std::uint32_t STS_READ_SUCCESS = 1u << 0;
constexpr std::uint32_t STS_READ_FAIL = 1u << 1;
constexpr std::uint32_t STS_WRITE_SUCCESS = 1u << 2;
constexpr std::uint32_t STS_WRITE_FAIL = 1u << 3;
constexpr std::uint32_t STS_COPY_SUCCESS = 1u << 4;
constexpr std::uint32_t STS_COPY_FAIL = 1u << 5;
constexpr std::uint32_t STS_IRQ_RAISED = 1u << 6;
constexpr std::uint32_t STS_SRC_ADDR_INVALID = 1u << 7;
constexpr std::uint32_t STS_DST_ADDR_INVALID = 1u << 8;
constexpr std::uint32_t STS_DOORBELL_SUCCESS = 1u << 9;
constexpr std::uint32_t STS_DOORBELL_ENABLE_SUCCESS = 1u << 10;
constexpr std::uint32_t STS_DOORBELL_ENABLE_FAIL = 1u << 11;
constexpr std::uint32_t STS_DOORBELL_DISABLE_SUCCESS = 1u << 12;
constexpr std::uint32_t STS_DOORBELL_DISABLE_FAIL = 1u << 13;
constexpr std::uint32_t STS_BAR_SUBRANGE_SETUP_SUCCESS = 1u << 14;
constexpr std::uint32_t STS_BAR_SUBRANGE_SETUP_FAIL = 1u << 15;
constexpr std::uint32_t STS_BAR_SUBRANGE_CLEAR_SUCCESS = 1u << 16;
constexpr std::uint32_t STS_BAR_SUBRANGE_CLEAR_FAIL = 1u << 17;
constexpr std::uint32_t STS_NO_RESOURCE = 1u << 18;

// IRQ_TYPE values.
constexpr std::uint32_t IRQ_TYPE_INTX = 0;
constexpr std::uint32_t IRQ_TYPE_MSI = 1;
constexpr std::uint32_t IRQ_TYPE_MSIX = 2;

// FLAGS bits.
constexpr std::uint32_t FLAG_USE_DMA = 1u << 0;

// CAPS bits.
constexpr std::uint32_t CAP_UNALIGNED_ACCESS = 1u << 0;
constexpr std::uint32_t CAP_MSI = 1u << 1;
constexpr std::uint32_t CAP_MSIX = 1u << 2;
constexpr std::uint32_t CAP_INTX = 1u << 3;
constexpr std::uint32_t CAP_SUBRANGE_MAPPING = 1u << 4;
constexpr std::uint32_t CAP_DYNAMIC_INBOUND_MAPPING = 1u << 5;
constexpr std::uint32_t cap_bar_reserved(unsigned bar) { return 1u << (6 + bar); }

constexpr std::uint32_t DB_BAR_NONE = 0xffffffffu; // DB_BAR when no doorbell is exposed (NO_BAR = -1)

struct epf_test_options {
    unsigned function = 0;
    unsigned test_reg_bar = 0;
    /// Sizes of the programmable BARs (0: leave the BAR disabled). Fixed BARs take their fixed size; reserved,
    /// disabled and resizable BARs are not programmed. 128 KiB for BAR0-4 as the Linux sub-range patch has it
    /// (room for two 64 KiB iATU regions), 1 MiB for BAR5.
    std::array<std::uint64_t, 6> bar_size{0x20000, 0x20000, 0x20000, 0x20000, 0x20000, 0x100000};
    std::uint64_t poll_period_ns = 1000000; // command handler period (CPU time)
    /// Doorbell backend to ask for (empty: the allocator's order, MSI > embedded > poll).
    std::optional<fw::doorbell_backend> doorbell_backend;
    /// CAPS bits to hide from the host (tests of the host's capability checks).
    std::uint32_t caps_hide = 0;
    fw::endpoint_options endpoint;    // boot options (run_epf_test only)
    std::uint64_t link_timeout_ns = 100000000;
};

/// What the function did (for tests and reports).
struct epf_test_state {
    bool bound = false;          // BARs set up and CAPS published
    bool link_up = false;
    std::string error;           // why bring-up failed
    std::uint64_t reg_phys = 0;  // endpoint RAM behind the register BAR
    std::array<std::uint64_t, 6> bar_phys{}; // RAM behind each programmed BAR (0: not programmed)
    std::uint32_t caps = 0;
    unsigned commands = 0;       // commands seen
    unsigned invalid_commands = 0;
    unsigned irqs_raised = 0, irq_failures = 0;
    unsigned doorbells_enabled = 0, enable_failures = 0, doorbells_disabled = 0, disable_failures = 0;
    unsigned doorbells_rung = 0; // doorbell handler runs
    bool doorbell_held = false;
    fw::doorbell doorbell;       // the doorbell held (or last held)
    std::vector<std::string> backend_reasons; // why the allocator skipped each backend at the last ENABLE
    int db_bar = fw::NO_BAR;     // where the host rings it
    std::uint64_t db_offset = 0;
    bool db_bar_programmed = false; // the doorbell BAR was re-pointed (restored at DISABLE)
    std::string last_error;      // the last command failure, as logged
};

class epf_test {
public:
    /// `ep` must be booted (fw::endpoint::boot). State goes to `state` when given (it must outlive this).
    explicit epf_test(fw::endpoint& ep, const epf_test_options& opt = {}, epf_test_state* state = nullptr);
    ~epf_test();
    epf_test(const epf_test&) = delete;
    epf_test& operator=(const epf_test&) = delete;

    /// Program and back the BARs, clear the register block, publish CAPS. Call before the link starts.
    fw::status bind();
    /// One pass of the loop: run pending doorbell work, serve the poll backend, handle COMMAND when due, else
    /// idle (interrupts are taken) until the next of these is due.
    void step();
    /// step() until `stop` returns true (never, when empty).
    void run(const std::function<bool()>& stop = {});

    const epf_test_state& state() const { return st_; }
    std::uint64_t reg_phys() const { return st_.reg_phys; }

private:
    struct bar_slot {
        bool programmed = false;
        std::uint64_t size = 0, phys = 0;
        fw::bar_flags flags;
        bool subranged = false;
    };

    std::uint32_t rd(std::uint32_t off);
    void wr(std::uint32_t off, std::uint32_t v);
    void set_status(std::uint32_t bits);
    void fail(const std::string& why);
    void handle_command();
    void raise_irq();
    void enable_doorbell();
    void disable_doorbell();
    void subrange_setup();
    void subrange_clear();
    void doorbell_work();
    int next_free_bar() const;
    /// Undo a partial or complete doorbell enable (interrupt, BAR target, doorbell); first error.
    fw::status release_doorbell();

    fw::endpoint& ep_;
    fw::hal& hal_;
    epf_test_options opt_;
    epf_test_state own_;
    epf_test_state& st_;
    std::array<bar_slot, 6> bars_{};
    std::uint64_t next_cmd_ns_ = 0;
    bool poll_backend_ = false;    // service() the allocator in the loop
    fw::irq_handle db_irq_ = 0;    // the doorbell interrupt requested (MSI, embedded)
    bool db_alloc_ = false;        // the allocator holds our doorbell
    unsigned db_pending_ = 0;      // doorbell rings noted by the handler, not yet served
};

/// Whole firmware: boot the endpoint, bind the test function, start the link and serve forever (or until
/// `stop` returns true). Bring-up errors are logged and left in state.error.
void run_epf_test(fw::hal& h, const epf_test_options& opt, epf_test_state& state,
                  const std::function<bool()>& stop = {});

} // namespace dbvp::epf
