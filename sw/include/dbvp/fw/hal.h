// dbvp firmware — the hardware abstraction layer of the endpoint CPU.
//
// Firmware in sw/ reaches hardware only through this interface. The virtual platform implements it on the
// modelled endpoint CPU (tb/), unit tests implement it with a fake. All addresses are CPU physical addresses.
//
// Interrupts: request_irq() registers a handler for an interrupt number of the platform's interrupt
// controller. Handlers run on the CPU between firmware steps (at any HAL call), never concurrently with
// each other. An interrupt number may have several handlers only if every one was requested with irq_shared.
// Level interrupts: the handler must quiet the source; the line is re-sampled after all handlers ran.
#pragma once

#include "dbvp/fw/status.h"

#include <cstdint>
#include <functional>

namespace dbvp::fw {

enum irq_flags : unsigned {
    irq_none = 0,
    irq_shared = 1u << 0, // the line may be shared with other handlers (Linux IRQF_SHARED)
};

using irq_handler = std::function<void(unsigned irq)>;
using irq_handle = unsigned; // 0 is never a valid handle

class hal {
public:
    virtual ~hal() = default;

    // MMIO. A bus error is reported through *ok (when given) and reads return all-ones.
    virtual std::uint32_t read32(std::uint64_t addr, bool* ok = nullptr) = 0;
    virtual void write32(std::uint64_t addr, std::uint32_t value, bool* ok = nullptr) = 0;
    virtual std::uint64_t read64(std::uint64_t addr, bool* ok = nullptr) = 0;
    virtual void write64(std::uint64_t addr, std::uint64_t value, bool* ok = nullptr) = 0;
    /// `count` 64-bit stores of `value` from `addr` up (a memset of RAM: the DMA pool zeroes its allocations with
    /// it). The same as that many write64() calls, in effect and in time; a platform may do it with fewer calls.
    virtual void fill64(std::uint64_t addr, std::uint64_t value, std::uint64_t count, bool* ok = nullptr) {
        bool all = true;
        for (std::uint64_t i = 0; i < count; ++i) {
            bool one = true;
            write64(addr + 8 * i, value, &one);
            all = all && one;
        }
        if (ok)
            *ok = all;
    }

    // Interrupts.
    virtual result<irq_handle> request_irq(unsigned irq, irq_handler handler, unsigned flags, const char* name) = 0;
    virtual void free_irq(irq_handle handle) = 0;

    // Time. now_ns() is the CPU's notion of time; sleep lets time pass (interrupts are taken meanwhile);
    // wait_for_interrupt() idles until at least one handler ran or the timeout passed (returns false then).
    virtual std::uint64_t now_ns() = 0;
    virtual void sleep_ns(std::uint64_t ns) = 0;
    virtual bool wait_for_interrupt(std::uint64_t timeout_ns) = 0;

    // The flattened device tree the platform was booted with (what Linux would be handed).
    virtual const void* fdt() const = 0;

    // Console output (firmware log).
    virtual void log(const char* text) = 0;
};

} // namespace dbvp::fw
