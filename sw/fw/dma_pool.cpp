#include "dbvp/fw/dma_pool.h"

#include <string>

namespace dbvp::fw {

result<std::uint64_t> dma_pool::alloc(std::uint64_t size, std::uint64_t align) {
    if (size == 0 || align == 0 || (align & (align - 1)))
        return status(errc::invalid_argument, "dma_pool: bad size or alignment");
    size = (size + 7) & ~std::uint64_t{7}; // zeroed in 8-byte words
    const std::uint64_t start = (base_ + next_ + align - 1) & ~(align - 1);
    if (start + size > base_ + size_ || start + size < start)
        return status(errc::no_space, "dma_pool: " + std::to_string(size) + " bytes do not fit (" +
                                          std::to_string(size_ - next_) + " left)");
    hal_.fill64(start, 0, size / 8);
    next_ = start + size - base_;
    return start;
}

} // namespace dbvp::fw
