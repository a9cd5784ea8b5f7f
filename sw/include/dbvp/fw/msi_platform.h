// dbvp firmware — the endpoint SoC's interrupt and IOMMU platform, brought up from the device tree the way a
// Linux boot does before any endpoint function runs: the GICv3 (and its LPI tables), the ITS, the SMMUv3 on the
// controller's inbound path and the i.MX95 RID-to-StreamID LUT, whichever the description has.
//
// It also answers what the doorbell allocator and the controller driver need to know of the platform:
//   - the controller's IDs for requester ID 0 (what Linux assumes on an endpoint): DeviceID from msi-map (or
//     msi-parent's specifier), StreamID from iommu-map; with a LUT both must agree in their 6 low bits
//     ("iommu-map and msi-map entries mismatch!") and the LUT entry is written once (ensure_lut_entry);
//   - LPI INTIDs (a small allocator over 8192 .. 2^lpi_id_bits - 1);
//   - wired interrupts: configure and enable an SPI from an `interrupts` specifier;
//   - identity IOMMU mappings for the controller's StreamID (iommu_map): a no-op without an SMMU in the path.
#pragma once

#include "dbvp/fw/dma_pool.h"
#include "dbvp/fw/gicv3.h"
#include "dbvp/fw/hal.h"
#include "dbvp/fw/imx95_lut.h"
#include "dbvp/fw/smmuv3.h"
#include "dbvp/fw/status.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace dbvp::fw {

class dwc_ep_driver;

class msi_platform {
public:
    msi_platform(hal& h, dma_pool& pool) : hal_(h), pool_(pool) {}

    /// Bring up what the description has (nothing without a GICv3). Errors: the drivers' errors.
    status boot(unsigned lpi_id_bits = 16);

    gicv3_driver* gic() { return gic_.get(); }
    its_driver* its() { return its_.get(); }
    smmuv3_driver* smmu() { return smmu_.get(); }
    imx95_lut_driver* lut() { return lut_.get(); }

    /// The controller node `ep_node` has an MSI parent that is this ITS (msi-map or msi-parent).
    bool has_msi_parent(int ep_node) const;
    /// DeviceID and StreamID of requester ID 0 of the controller (see the file comment). no_device when the
    /// controller has no MSI parent; invalid_argument when the maps disagree or miss requester ID 0.
    struct ids {
        std::uint32_t device_id = 0, stream_id = 0;
        bool has_iommu = false; // iommu-map present and an SMMU runs
    };
    result<ids> controller_ids(int ep_node) const;
    /// Write the LUT entry (requester ID 0, `mask`) -> StreamID once; a no-op without a LUT.
    status ensure_lut_entry(std::uint32_t stream_id, std::uint16_t mask);
    bool lut_entry_written() const { return lut_written_; }
    /// Undo ensure_lut_entry() (an allocation that failed after it).
    void remove_lut_entry();

    /// `count` consecutive LPI INTIDs, or no_space.
    result<unsigned> alloc_lpis(unsigned count);
    void free_lpis(unsigned first, unsigned count);

    /// Configure (trigger from the specifier) and enable SPI `index` of the node's `interrupts`; returns its
    /// INTID.
    result<unsigned> enable_spi(int node, unsigned index);

    /// What the EPC's probe does for the platform (Linux imx6 EP probe: add_lut_by_rid(0)): with a LUT, the entry
    /// for requester ID 0 (mask `lut_mask`) -> the controller's StreamID; behind the SMMU (iommu-map), an identity
    /// mapping for every inbound target the driver programs (dwc_ep_driver::set_inbound_mapper). Without them,
    /// nothing to do.
    status attach(dwc_ep_driver& ep, std::uint16_t lut_mask = 0x7);

    /// Identity mapping of [pa, pa + size) (rounded out to 4 KiB) for `stream_id`; no-op without an SMMU.
    status iommu_map(std::uint32_t stream_id, std::uint64_t pa, std::uint64_t size, bool writable);

private:
    hal& hal_;
    dma_pool& pool_;
    std::unique_ptr<gicv3_driver> gic_;
    std::unique_ptr<its_driver> its_;
    std::unique_ptr<smmuv3_driver> smmu_;
    std::unique_ptr<imx95_lut_driver> lut_;
    int its_node_ = -1;
    std::uint32_t its_phandle_ = 0;
    std::vector<bool> lpis_; // index = INTID - 8192
    bool lut_written_ = false;
};

} // namespace dbvp::fw
