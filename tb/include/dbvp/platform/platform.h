// dbvp platform — builds a virtual platform from its device-tree description.
//
// Nodes (see docs/platform.md for every property, its default and accepted range):
//   /host              dbvp,pcie-host: root complex, host memory (child "memory"), MMIO windows, MSI address
//   /pcie-link         dbvp,pcie-link: generation, lanes, latency; the link runs at the lower of its own and
//                      the endpoint's max-link-speed / num-lanes
//   /cpus/cpu@0        dbvp,native-cpu: the endpoint CPU that runs the firmware
//   /soc               dbvp,interconnect: the endpoint SoC router; its children are mapped at their reg:
//     memory@...       device_type "memory": endpoint RAM
//     pcie-ep@...      dbvp,dwc-pcie-ep / snps,dw-pcie-ep: the endpoint controller (reg-names dbi, dbi2, atu,
//                      app, addr_space; optional dma: the integrated eDMA, with its interrupts "dma" or
//                      "dma0".."dmaN"), optional children bar0..bar5 describing BAR types, msi-map/iommu-map
//                      (the software description of its IDs, read by the firmware)
//     interrupt-controller@...  arm,gic-v3: distributor + redistributor (reg 0 GICD, reg 1 GICR), the CPU takes
//                      its interrupts through it; child msi-controller@... arm,gic-v3-its: the ITS
//     iommu@...        arm,smmu-v3: on the endpoint's inbound path (status = "disabled" leaves it out)
//     pcie-lut@...     dbvp,imx95-pcie-lut: the RID->StreamID LUT (else dbvp,rid-map: a fixed map; else identity)
// Any unknown node or property, a wrong cell count or an out-of-range value is a config_error naming the file,
// node and property. The firmware is handed the same blob (after overrides).
#pragma once

#include "dbvp/bus/router.h"
#include "dbvp/gic/gicv3.h"
#include "dbvp/gic/gicv3_its.h"
#include "dbvp/pcie/sid_glue.h"
#include "dbvp/smmu/smmuv3.h"
#include "dbvp/host/enumerate.h"
#include "dbvp/host/hal.h"
#include "dbvp/mem/memory.h"
#include "dbvp/pcie/dwc_edma.h"
#include "dbvp/pcie/dwc_ep.h"
#include "dbvp/pcie/link.h"
#include "dbvp/pcie/root_complex.h"
#include "dbvp/platform/devicetree.h"
#include "dbvp/platform/native_cpu.h"

#include <functional>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

namespace dbvp::platform {

/// Path of a platform given by preset name ("generic") or file path (.dtb or .dts). Throws config_error.
std::string resolve_platform(const std::string& name_or_path);
/// Names of the presets found next to the built (or installed) platform blobs.
std::vector<std::string> list_presets();

class platform : public sc_core::sc_module {
public:
    struct options {
        std::string platform = "generic"; // preset name or file
        std::vector<std::string> overrides; // "node/path/property=value"
    };
    using host_software = std::function<void(host::hal&)>;

    platform(sc_core::sc_module_name name, const options& opt);
    ~platform() override;

    pcie::root_complex& host() { return *rc_; }
    pcie::link& link() { return *link_; }
    pcie::dwc_ep& ep() { return *ep_; }
    native_cpu& cpu() { return *cpu_; }
    memory& ep_ram() { return *ram_; }
    /// Optional blocks (nullptr when the description has none).
    gic::gicv3* gic() { return gic_.get(); }
    gic::gicv3_its* its() { return its_.get(); }
    smmu::smmuv3* smmu() { return smmu_.get(); }
    pcie::dwc_edma* edma() { return edma_.get(); }
    pcie::sid_glue& glue() { return *glue_; }
    router& soc() { return *soc_; }
    const device_tree& dt() const { return dt_; }
    std::uint64_t ep_ram_base() const { return ram_base_; }
    const std::string& file() const { return dt_.file(); }

    void set_firmware(native_cpu::firmware fw) { cpu_->set_firmware(std::move(fw)); }
    /// Host software runs in its own thread once the simulation starts; when it returns the simulation stops.
    void set_host_software(host_software sw) { host_sw_ = std::move(sw); }
    bool host_done() const { return host_done_; }

    /// Run until the host software returned or `limit` of simulated time passed; true if it returned.
    bool run(const sc_core::sc_time& limit);

    /// What host enumeration needs to know of this platform's host (bus below the root port, MMIO windows).
    host::enum_config enumeration_config() const;
    /// The endpoint SoC memory map, one line per range.
    std::string memory_map() const;

private:
    void host_thread();

    device_tree dt_;
    std::unique_ptr<pcie::root_complex> rc_;
    std::unique_ptr<pcie::link> link_;
    std::unique_ptr<router> soc_;
    std::unique_ptr<memory> ram_;
    std::unique_ptr<pcie::dwc_ep> ep_;
    std::unique_ptr<native_cpu> cpu_;
    std::unique_ptr<gic::gicv3> gic_;
    std::unique_ptr<gic::gicv3_its> its_;
    std::unique_ptr<smmu::smmuv3> smmu_;
    std::unique_ptr<pcie::sid_glue> glue_;
    std::unique_ptr<pcie::dwc_edma> edma_;
    std::uint64_t ram_base_ = 0;
    host_software host_sw_;
    bool host_done_ = false;
};

} // namespace dbvp::platform
