#include "dbvp/fw/endpoint.h"

#include "dbvp/fw/fdt.h"

namespace dbvp::fw {

status endpoint::boot(const endpoint_options& opt) {
    opt_ = opt;
    if (auto s = ep_.probe(); !s)
        return s;
    fdt_view dt(hal_.fdt());
    auto mem = dt.find_memory();
    if (!mem)
        return mem.error();
    auto ram = dt.reg(mem.value(), 0);
    if (!ram)
        return ram.error();
    ram_base_ = ram->base;
    ram_size_ = ram->size;
    if (opt.reserved + opt.pool_bytes > ram_size_)
        return {errc::no_space, "endpoint RAM is smaller than the firmware's reserve and pool"};
    pool_ = std::make_unique<dma_pool>(hal_, ram_base_ + opt.reserved, opt.pool_bytes);
    msi_ = std::make_unique<msi_platform>(hal_, *pool_);
    if (auto s = msi_->boot(opt.lpi_id_bits); !s)
        return s;
    if (auto s = msi_->attach(ep_, static_cast<std::uint16_t>(opt.doorbells.lut_mask)); !s)
        return s;
    db_ = std::make_unique<doorbell_allocator>(hal_, ep_, *msi_, *pool_, opt.doorbells);
    return {};
}

} // namespace dbvp::fw
