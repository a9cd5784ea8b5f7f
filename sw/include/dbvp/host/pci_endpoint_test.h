// dbvp host software — the host side of Linux's pci_endpoint_test (drivers/misc/pci_endpoint_test.c) for the
// endpoint test function (dbvp/fw/epf_test.h, register-compatible with pci-epf-test).
//
// The register map is defined here again, from the same facts (hardware-facts 4.1), as the Linux host driver
// defines its own: the two sides are checked against each other by the platform tests.
//
// pci_endpoint_test binds to one function of an enumeration (the first whose test register BAR is present, or
// the one matching vendor/device ID), and runs the tests step by step, each step logged with the host time:
//   doorbell_test()  pci_endpoint_test_doorbell() (facts 4.2): CAPS must have DYNAMIC_INBOUND_MAPPING
//                    (-EOPNOTSUPP); IRQ_TYPE = MSI, IRQ_NUMBER = 1, COMMAND = ENABLE_DOORBELL, wait <= 1000 ms
//                    for the interrupt, STATUS (timeout or ENABLE_FAIL: -EINVAL); read DB_DATA / DB_OFFSET /
//                    DB_BAR, rewrite IRQ_TYPE / IRQ_NUMBER, STATUS = 0; DB_BAR must be 0..5 (-ERANGE); one 32-bit
//                    posted write of DB_DATA at BAR[DB_BAR] + DB_OFFSET; wait, STATUS (no DOORBELL_SUCCESS: logged);
//                    COMMAND = DISABLE_DOORBELL, wait, status |= STATUS: DISABLE_FAIL or no DOORBELL_SUCCESS is
//                    -EINVAL. Beyond Linux (guards, not oopses): a DB_BAR the host did not map, or a DB_OFFSET
//                    outside that BAR, is -EINVAL / -ERANGE; on an error after a successful ENABLE the doorbell
//                    is disabled again when cleanup_on_error is set (Linux leaves it enabled).
//   msi_test(n)      pci_endpoint_test_msi_irq(): COMMAND = RAISE_MSI with IRQ_NUMBER = n; -ETIMEDOUT without the
//                    interrupt, -EINVAL when it came on another vector.
// An "interrupt" is what Linux's handler accepts: an MSI from the bound function (its requester ID, the host's
// MSI address, data inside its vectors) after which STATUS has IRQ_RAISED; other MSIs are logged and skipped.
#pragma once

#include "dbvp/host/enumerate.h"
#include "dbvp/host/hal.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dbvp::host {

namespace pcitest {
// Registers (offsets in the test register BAR).
constexpr std::uint32_t MAGIC = 0x00;
constexpr std::uint32_t COMMAND = 0x04;
constexpr std::uint32_t STATUS = 0x08;
constexpr std::uint32_t LOWER_SRC_ADDR = 0x0c;
constexpr std::uint32_t UPPER_SRC_ADDR = 0x10;
constexpr std::uint32_t LOWER_DST_ADDR = 0x14;
constexpr std::uint32_t UPPER_DST_ADDR = 0x18;
constexpr std::uint32_t SIZE = 0x1c;
constexpr std::uint32_t CHECKSUM = 0x20;
constexpr std::uint32_t IRQ_TYPE = 0x24;
constexpr std::uint32_t IRQ_NUMBER = 0x28;
constexpr std::uint32_t FLAGS = 0x2c;
constexpr std::uint32_t CAPS = 0x30;
constexpr std::uint32_t DB_BAR = 0x34;
constexpr std::uint32_t DB_OFFSET = 0x38;
constexpr std::uint32_t DB_DATA = 0x3c;
// COMMAND
constexpr std::uint32_t COMMAND_RAISE_INTX_IRQ = 1u << 0;
constexpr std::uint32_t COMMAND_RAISE_MSI_IRQ = 1u << 1;
constexpr std::uint32_t COMMAND_RAISE_MSIX_IRQ = 1u << 2;
constexpr std::uint32_t COMMAND_READ = 1u << 3;
constexpr std::uint32_t COMMAND_WRITE = 1u << 4;
constexpr std::uint32_t COMMAND_COPY = 1u << 5;
constexpr std::uint32_t COMMAND_ENABLE_DOORBELL = 1u << 6;
constexpr std::uint32_t COMMAND_DISABLE_DOORBELL = 1u << 7;
constexpr std::uint32_t COMMAND_BAR_SUBRANGE_SETUP = 1u << 8;
constexpr std::uint32_t COMMAND_BAR_SUBRANGE_CLEAR = 1u << 9;
// STATUS
constexpr std::uint32_t STATUS_READ_SUCCESS = 1u << 0;
constexpr std::uint32_t STATUS_READ_FAIL = 1u << 1;
constexpr std::uint32_t STATUS_WRITE_SUCCESS = 1u << 2;
constexpr std::uint32_t STATUS_WRITE_FAIL = 1u << 3;
constexpr std::uint32_t STATUS_COPY_SUCCESS = 1u << 4;
constexpr std::uint32_t STATUS_COPY_FAIL = 1u << 5;
constexpr std::uint32_t STATUS_IRQ_RAISED = 1u << 6;
constexpr std::uint32_t STATUS_SRC_ADDR_INVALID = 1u << 7;
constexpr std::uint32_t STATUS_DST_ADDR_INVALID = 1u << 8;
constexpr std::uint32_t STATUS_DOORBELL_SUCCESS = 1u << 9;
constexpr std::uint32_t STATUS_DOORBELL_ENABLE_SUCCESS = 1u << 10;
constexpr std::uint32_t STATUS_DOORBELL_ENABLE_FAIL = 1u << 11;
constexpr std::uint32_t STATUS_DOORBELL_DISABLE_SUCCESS = 1u << 12;
constexpr std::uint32_t STATUS_DOORBELL_DISABLE_FAIL = 1u << 13;
constexpr std::uint32_t STATUS_BAR_SUBRANGE_SETUP_SUCCESS = 1u << 14;
constexpr std::uint32_t STATUS_BAR_SUBRANGE_SETUP_FAIL = 1u << 15;
constexpr std::uint32_t STATUS_BAR_SUBRANGE_CLEAR_SUCCESS = 1u << 16;
constexpr std::uint32_t STATUS_BAR_SUBRANGE_CLEAR_FAIL = 1u << 17;
constexpr std::uint32_t STATUS_NO_RESOURCE = 1u << 18;
// IRQ_TYPE
constexpr std::uint32_t IRQ_TYPE_INTX = 0;
constexpr std::uint32_t IRQ_TYPE_MSI = 1;
constexpr std::uint32_t IRQ_TYPE_MSIX = 2;
// CAPS
constexpr std::uint32_t CAP_UNALIGNED_ACCESS = 1u << 0;
constexpr std::uint32_t CAP_MSI = 1u << 1;
constexpr std::uint32_t CAP_MSIX = 1u << 2;
constexpr std::uint32_t CAP_INTX = 1u << 3;
constexpr std::uint32_t CAP_SUBRANGE_MAPPING = 1u << 4;
constexpr std::uint32_t CAP_DYNAMIC_INBOUND_MAPPING = 1u << 5;
constexpr std::uint32_t CAP_BAR0_RESERVED = 1u << 6; // BARn: 1 << (6 + n)
constexpr std::uint64_t IRQ_TIMEOUT_NS = 1000000000; // 1000 ms
} // namespace pcitest

/// Linux errno values the tests return (negated, as the ioctl does).
enum class pcitest_error : int {
    ok = 0,
    enodev = -19,     // no test function bound
    einval = -22,
    erange = -34,
    eopnotsupp = -95,
    etimedout = -110,
};
const char* to_string(pcitest_error e);

struct pcitest_options {
    unsigned test_reg_bar = 0;
    std::uint16_t vendor_id = 0, device_id = 0; // 0: any
    unsigned irq_type = pcitest::IRQ_TYPE_MSI;   // only MSI is implemented
    std::uint64_t irq_timeout_ns = pcitest::IRQ_TIMEOUT_NS;
    bool cleanup_on_error = true;
    /// Log every interrupt taken. Off for a loop of many rings, whose log would grow a line per ring (the
    /// interrupts skipped or timed out are still logged).
    bool log_interrupts = true;
};

struct pcitest_step {
    std::string name;
    bool ok = false;
    std::uint64_t time_ns = 0; // host time when the step ended
    std::string detail;
};

/// What an interrupt wait saw.
struct pcitest_irq {
    bool received = false;
    host::msi_message msi;
    unsigned vector = 0;      // 1-based
    std::uint32_t status = 0; // STATUS read by the "handler"
};

struct doorbell_test_report {
    bool ok = false;
    pcitest_error error = pcitest_error::enodev;
    std::vector<pcitest_step> steps;
    std::vector<std::string> log; // every line prefixed with the host time
    std::uint16_t bdf = 0;
    std::uint32_t caps = 0;
    pcitest_irq enable_irq, ring_irq, disable_irq;
    std::uint32_t enable_status = 0;  // STATUS after ENABLE_DOORBELL
    std::uint32_t db_data = 0, db_offset = 0, db_bar = 0; // as read
    std::uint64_t doorbell_address = 0; // host address rung (0: never rung)
    std::uint64_t rang_ns = 0;          // host time of the ring
    std::uint32_t ring_status = 0;      // STATUS after the doorbell interrupt (or its timeout)
    std::uint32_t disable_status = 0;   // STATUS after DISABLE_DOORBELL
    std::uint32_t status = 0;           // ring_status | disable_status (what Linux checks last)
    bool disabled = false;              // DISABLE_DOORBELL was issued
    const pcitest_step* step(const std::string& name) const;
};

struct msi_test_report {
    bool ok = false;
    pcitest_error error = pcitest_error::enodev;
    std::vector<std::string> log;
    pcitest_irq irq;
};

class pci_endpoint_test {
public:
    explicit pci_endpoint_test(hal& h, const pcitest_options& opt = {}) : h_(h), opt_(opt) {}

    /// Bind to the test function of an enumeration: false (and why, in the log) when none fits.
    bool bind(const enum_result& en);
    bool bound() const { return bound_; }
    const function_info& function() const { return fn_; }
    std::uint64_t reg_base() const { return reg_; }
    /// Host address of a BAR of the bound function (0 when the host did not map it).
    std::uint64_t bar_address(unsigned bar) const;

    std::uint32_t read(std::uint32_t reg, completion* c = nullptr);
    void write(std::uint32_t reg, std::uint32_t value);
    /// Wait for the function's interrupt (see the file comment) up to `timeout_ns`.
    pcitest_irq wait_irq(std::uint64_t timeout_ns);
    /// Write IRQ_TYPE / IRQ_NUMBER, then COMMAND, and wait for the interrupt.
    pcitest_irq command(std::uint32_t cmd, unsigned irq_number = 1);

    doorbell_test_report doorbell_test();
    msi_test_report msi_test(unsigned irq_number);

    /// Lines logged so far (bind, commands, interrupts), each with the host time.
    const std::vector<std::string>& log() const { return log_; }
    void logf(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

private:
    hal& h_;
    pcitest_options opt_;
    bool bound_ = false;
    function_info fn_;
    std::uint64_t reg_ = 0;
    std::vector<std::string> log_;
};

/// Enumerate, bind and run the doorbell test. The enumeration's failure is -ENODEV.
doorbell_test_report run_doorbell_test(hal& h, const enum_config& cfg, const pcitest_options& opt = {});

} // namespace dbvp::host
