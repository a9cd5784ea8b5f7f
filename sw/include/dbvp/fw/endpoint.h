// dbvp firmware — endpoint bring-up shared by the endpoint functions: what a Linux boot and the EPC core do
// before a function driver binds.
//
// boot(): probe the DWC controller (iATU and eDMA discovery), carve a table pool out of endpoint RAM (above the
// firmware's first `reserved` bytes), bring up the interrupt platform (GIC, ITS, SMMU, LUT: msi_platform), put the
// controller behind the SMMU when the description says so (identity mappings for every inbound target), and
// create the doorbell allocator. The link is started separately (start_link) once functions set up their BARs.
#pragma once

#include "dbvp/fw/dma_pool.h"
#include "dbvp/fw/doorbell.h"
#include "dbvp/fw/dwc_ep.h"
#include "dbvp/fw/hal.h"
#include "dbvp/fw/msi_platform.h"
#include "dbvp/fw/status.h"

#include <cstdint>
#include <memory>

namespace dbvp::fw {

struct endpoint_options {
    std::uint64_t reserved = 0x1000000;  // bytes of RAM left to the firmware at the start of RAM
    std::uint64_t pool_bytes = 0x2000000; // table and buffer pool after it
    unsigned lpi_id_bits = 16;
    doorbell_options doorbells;
};

class endpoint {
public:
    explicit endpoint(hal& h) : hal_(h), ep_(h) {}

    status boot(const endpoint_options& opt = {});
    status start_link(std::uint64_t timeout_ns = 100000000) { return ep_.start_link(timeout_ns); }

    hal& hw() { return hal_; }
    const endpoint_options& options() const { return opt_; }
    /// The pieces below exist after a successful boot() (calling them before is a bug).
    dwc_ep_driver& controller() { return ep_; }
    msi_platform& irqs() { return *msi_; }
    dma_pool& pool() { return *pool_; }
    doorbell_allocator& doorbells() { return *db_; }
    /// Endpoint RAM (from the description).
    std::uint64_t ram_base() const { return ram_base_; }
    std::uint64_t ram_size() const { return ram_size_; }

private:
    hal& hal_;
    dwc_ep_driver ep_;
    std::unique_ptr<dma_pool> pool_;
    std::unique_ptr<msi_platform> msi_;
    std::unique_ptr<doorbell_allocator> db_;
    std::uint64_t ram_base_ = 0, ram_size_ = 0;
    endpoint_options opt_;
};

} // namespace dbvp::fw
