// dbvp firmware — host-to-endpoint doorbell allocation (what Linux's pci_epf_alloc_doorbell() does, and more).
//
// A doorbell is one 32-bit host write into a BAR that the endpoint notices. alloc(function, count, requirements)
// returns `count` doorbells for one function: where the write must land (address on the endpoint side, and the
// BAR/offset that already exposes it, if any), the value to write, the interrupt and the flags the caller must
// request it with, and the backend. Backends, tried in this order unless the caller names one:
//
//   msi       GICv3 ITS: the write goes to GITS_TRANSLATER (or an IOVA the SMMU maps onto it) with the doorbell's
//             EventID as data; each doorbell its own EventID and LPI. Available only when the controller's
//             device-tree node has an MSI parent (msi-map or msi-parent) that is an ITS. The allocator programs
//             the ITS (device, collection, MAPD/MAPTI/SYNC through the command queue), the LPI configuration, the
//             LUT entry for requester ID 0 and the SMMU stream-table entry where those exist. The DeviceID (and
//             StreamID) come from msi-map / iommu-map for requester ID 0, as Linux assumes on an endpoint. The
//             controller has one DeviceID: its functions get disjoint EventIDs of one ITT (at least 32, a power
//             of two; `msi_events` in the options).
//   embedded  DWC eDMA interrupt emulation: every doorbell is the same write (eDMA + RD_INT_STATUS, data 0),
//             the same IRQ (the eDMA interrupt), requested shared: a "kick" that cannot tell doorbells apart.
//             Available when the controller has an eDMA (aux resources). Pre-exposed when a reserved BAR is
//             hard-wired to the eDMA block (RK3588 BAR4: bar = 4, offset = 0xa0). The allocator acknowledges the
//             emulated interrupt itself (a shared handler of its own, registered first).
//   poll      A 4-byte slot per doorbell in endpoint memory that a BAR exposes; service() scans the slots every
//             poll_interval_ns and calls the handler of each slot that was written. Always available.
//
// Fall-back: a backend that is unavailable (no_device) or cannot meet the requirements is skipped; any other
// failure is returned (as Linux returns an MSI error other than -ENODEV). When no backend fits, the error says
// backend by backend why not.
//
// Requirements (beyond Linux):
//   backend           only this backend
//   align             the doorbell target address must be aligned to this (e.g. to put it at a page boundary)
//   distinguishable   every doorbell must be told apart (rules out a shared kick for more than one doorbell)
//   any_value         the host writes values of its own (NVMe queue pointers), not the doorbell's data
//   interrupt         only an interrupt-driven backend will do (the caller polls by itself otherwise)
//   window_*          doorbell i must be at BAR window_bar + window_offset + i * window_stride (NVMe: BAR0 +
//                     0x1000, stride 4). window_phys: the endpoint memory that backs that BAR (offset 0), where
//                     poll slots are placed. A window that the target cannot be mapped into (its offset inside an
//                     iATU region differs from the window's) rules the backend out.
//
// Several functions may hold doorbells at once (Linux refuses this today); free(function) releases one
// function's doorbells, IRQ handlers and mappings without touching the others'. Errors: invalid_argument (bad
// function, zero or too many doorbells), busy (the function already has doorbells), no_space (EventIDs,
// windows, pool memory), not_supported (no backend satisfies the requirements), others from the drivers.
// Nothing stays half-programmed after an error.
#pragma once

#include "dbvp/fw/dma_pool.h"
#include "dbvp/fw/dwc_ep.h"
#include "dbvp/fw/hal.h"
#include "dbvp/fw/msi_platform.h"
#include "dbvp/fw/status.h"

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dbvp::fw {

enum class doorbell_backend { msi, embedded, poll };
const char* to_string(doorbell_backend b);

constexpr int NO_BAR = -1;

struct doorbell {
    doorbell_backend backend = doorbell_backend::poll;
    std::uint64_t address = 0;  // where the host's write must arrive on the endpoint side (CPU physical or IOVA)
    std::uint32_t data = 0;     // the value to write (embedded: ignored by the hardware; poll: any non-zero)
    unsigned irq = 0;           // interrupt to request (MSI: the LPI INTID; embedded: the eDMA SPI; poll: none, 0)
    unsigned irq_flags = irq_none; // flags the caller must request `irq` with (embedded: irq_shared)
    int bar = NO_BAR;           // BAR that already exposes `address` to the host, or NO_BAR
    std::uint64_t offset = 0;   // offset of the doorbell in that BAR (bar != NO_BAR)
};

struct doorbell_requirements {
    std::optional<doorbell_backend> backend;
    std::uint64_t align = 0;
    bool distinguishable = false;
    bool any_value = false;
    bool interrupt = false; // only interrupt-driven backends (MSI, embedded): never poll
    int window_bar = NO_BAR;
    std::uint64_t window_offset = 0, window_stride = 4, window_phys = 0;
};

struct doorbell_options {
    unsigned msi_events = 256;              // EventIDs of the controller's ITT (power of two, >= 32)
    std::uint64_t poll_interval_ns = 1000000; // poll backend scan interval (1 ms, like pci-epf-test)
    unsigned lut_mask = 0x7;                // i.MX95 LUT entry mask for requester ID 0 (the Linux EP value)
    std::uint64_t poll_region_bytes = 0x10000; // pool memory per function for poll slots (a BAR maps it)
};

class doorbell_allocator {
public:
    using handler = std::function<void(unsigned index)>;

    /// `ep`: the probed controller driver; `msi`: the booted interrupt platform (GIC, ITS, SMMU, LUT; may have no
    /// ITS); `pool`: memory for ITTs and poll slots.
    doorbell_allocator(hal& h, dwc_ep_driver& ep, msi_platform& msi, dma_pool& pool, doorbell_options opt = {});
    ~doorbell_allocator();
    doorbell_allocator(const doorbell_allocator&) = delete;
    doorbell_allocator& operator=(const doorbell_allocator&) = delete;

    result<std::vector<doorbell>> alloc(unsigned function, unsigned count, const doorbell_requirements& req = {});
    status free(unsigned function);
    /// The doorbells a function holds (empty when none).
    const std::vector<doorbell>& doorbells(unsigned function) const;

    /// Convenience: run `fn(index)` when doorbell `index` of `function` rings — requests the IRQ with the flags
    /// the backend needs (MSI, embedded) or registers it with the poll scanner. For embedded doorbells every
    /// kick calls every listener of the function (they cannot be told apart). Released by free().
    status listen(unsigned function, unsigned index, handler fn);

    /// Poll backend: scan the slots if poll_interval_ns passed since the last scan; returns the doorbells found
    /// rung. Call it from the function's loop (next_poll_ns() says when it is due). Listeners may free().
    unsigned service();
    std::uint64_t next_poll_ns() const { return next_poll_; }

    /// Why each backend was skipped by the last alloc() (empty for the one chosen), for reports.
    const std::vector<std::string>& last_reasons() const { return reasons_; }

private:
    struct held;
    status try_msi(unsigned function, unsigned count, const doorbell_requirements& req, held& out);
    status try_embedded(unsigned function, unsigned count, const doorbell_requirements& req, held& out);
    status try_poll(unsigned function, unsigned count, const doorbell_requirements& req, held& out);
    /// A target at `address` cannot sit at `bar_offset` of a BAR through the iATU unless their offsets inside
    /// one iATU region agree: empty when they do, else why not.
    std::string window_reason(const char* what, std::uint64_t address, const doorbell_requirements& req,
                              unsigned count, bool one_address) const;
    status release(held& h);

    hal& hal_;
    dwc_ep_driver& ep_;
    msi_platform& msi_;
    dma_pool& pool_;
    doorbell_options opt_;
    std::map<unsigned, std::unique_ptr<held>> held_;
    std::vector<std::string> reasons_;
    // MSI: the controller's ITS device, mapped on first use.
    bool msi_ready_ = false;
    std::uint32_t device_id_ = 0, stream_id_ = 0;
    std::vector<bool> events_used_;
    // Embedded: the acknowledge handler, while any function holds embedded doorbells.
    irq_handle ack_handle_ = 0;
    unsigned embedded_users_ = 0;
    unsigned embedded_irq_ = 0;
    bool embedded_irq_was_enabled_ = false;
    std::uint64_t next_poll_ = 0;
    std::map<unsigned, std::pair<std::uint64_t, std::uint64_t>> poll_regions_; // per function: base, size
    std::vector<std::pair<unsigned, unsigned>> hits_;                         // service(): rung (function, index)
};

} // namespace dbvp::fw
