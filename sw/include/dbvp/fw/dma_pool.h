// dbvp firmware — memory for hardware tables and queues (ITS tables, LPI tables, SMMU stream tables, page
// tables, descriptor rings). A bump allocator over a physical range of RAM that the CPU and the devices see at
// the same address (coherent: the models read simulated memory directly). Allocations are zeroed through the HAL.
#pragma once

#include "dbvp/fw/hal.h"
#include "dbvp/fw/status.h"

#include <cstdint>

namespace dbvp::fw {

class dma_pool {
public:
    dma_pool(hal& h, std::uint64_t base, std::uint64_t size) : hal_(h), base_(base), size_(size) {}

    /// `size` bytes aligned to `align` (a power of two), zero-filled. no_space when the pool is exhausted.
    result<std::uint64_t> alloc(std::uint64_t size, std::uint64_t align);

    std::uint64_t base() const { return base_; }
    std::uint64_t size() const { return size_; }
    std::uint64_t used() const { return next_; }

private:
    hal& hal_;
    std::uint64_t base_, size_;
    std::uint64_t next_ = 0;
};

} // namespace dbvp::fw
