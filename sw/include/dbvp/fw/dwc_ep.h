// dbvp firmware — DesignWare PCIe endpoint controller core driver.
//
// Learns the controller the way Linux does: register windows from the platform description (reg-names dbi,
// dbi2, atu, app, addr_space), and the iATU geometry by probing registers (never from model parameters):
//   - unrolled iATU when PCIE_ATU_VIEWPORT (DBI 0x900) reads 0xFFFFFFFF;
//   - window counts: write 0x11110000 to each region's LOWER_TARGET, stop at the first mismatching read-back;
//   - alignment (CX_ATU_MIN_REGION_SIZE): write 0 to region 0's LIMIT, align = 1 << fls(read-back);
//   - maximum region size: write all-ones to UPPER_LIMIT, limit = (read-back << 32) | 0xFFFFFFFF.
// Then configures BARs (DBI2 masks + DBI type bits under DBI_RO_WR_EN), inbound BAR-match windows, outbound
// windows and raises MSI through an outbound window onto the address in its MSI capability.
#pragma once

#include "dbvp/fw/hal.h"
#include "dbvp/fw/status.h"

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

namespace dbvp::fw {

namespace dwc {
// DBI (per-function configuration page)
constexpr std::uint32_t CFG_VENDOR_DEVICE = 0x00;
constexpr std::uint32_t CFG_COMMAND = 0x04;
constexpr std::uint32_t CFG_BAR0 = 0x10;
constexpr std::uint32_t CFG_CAP_PTR = 0x34;
constexpr std::uint32_t CAP_ID_MSI = 0x05;
constexpr std::uint32_t MISC_CONTROL_1 = 0x8bc;
constexpr std::uint32_t DBI_RO_WR_EN = 1u << 0;
constexpr std::uint32_t VERSION_NUMBER = 0x8f8;
constexpr std::uint32_t VERSION_TYPE = 0x8fc;
constexpr std::uint32_t ATU_VIEWPORT = 0x900;
// BAR type bits
constexpr std::uint32_t BAR_MEM64 = 0x4;
constexpr std::uint32_t BAR_PREFETCH = 0x8;
// iATU (unrolled)
constexpr std::uint64_t atu_region(bool inbound, unsigned index) {
    return (static_cast<std::uint64_t>(index) << 9) | (inbound ? 0x100 : 0);
}
constexpr std::uint32_t ATU_CTRL1 = 0x00;
constexpr std::uint32_t ATU_CTRL2 = 0x04;
constexpr std::uint32_t ATU_LOWER_BASE = 0x08;
constexpr std::uint32_t ATU_UPPER_BASE = 0x0c;
constexpr std::uint32_t ATU_LIMIT = 0x10;
constexpr std::uint32_t ATU_LOWER_TARGET = 0x14;
constexpr std::uint32_t ATU_UPPER_TARGET = 0x18;
constexpr std::uint32_t ATU_UPPER_LIMIT = 0x20;
constexpr std::uint32_t ATU_TYPE_MEM = 0x0;
constexpr std::uint32_t ATU_INCREASE_REGION_SIZE = 1u << 13;
constexpr std::uint32_t atu_func_num(unsigned fn) { return fn << 20; }
constexpr std::uint32_t ATU_ENABLE = 1u << 31;
constexpr std::uint32_t ATU_BAR_MODE_ENABLE = 1u << 30;
constexpr std::uint32_t ATU_FUNC_NUM_MATCH_EN = 1u << 19;
constexpr std::uint32_t atu_bar(unsigned bar) { return bar << 8; }
constexpr std::uint32_t ATU_PROBE = 0x11110000;
constexpr unsigned ATU_ENABLE_RETRIES = 5;
constexpr std::uint64_t ATU_ENABLE_WAIT_NS = 9000000; // 9 ms between polls
// App glue
constexpr std::uint32_t APP_CTRL = 0x0;
constexpr std::uint32_t APP_LTSSM_EN = 1u << 0;
constexpr std::uint32_t APP_STATUS = 0x4;
constexpr std::uint32_t APP_LINK_UP = 1u << 0;
} // namespace dwc

struct bar_flags {
    bool is64 = false;
    bool prefetchable = false;
};

/// What a BAR of this controller can be (Linux epc_features->bar[n]), from the platform description.
enum class bar_kind { programmable, fixed, resizable, reserved, disabled };
struct bar_feature {
    bar_kind kind = bar_kind::programmable;
    std::uint64_t fixed_size = 0;      // fixed and reserved BARs
    std::uint64_t reserved_target = 0; // reserved BARs: the SoC address the BAR is hard-wired to
    bool only_64bit = false;
};
struct epc_features {
    std::array<bar_feature, 6> bars{};
    std::uint64_t align = 0;              // CX_ATU_MIN_REGION_SIZE, probed
    bool dynamic_inbound_mapping = true;  // DWC_EPC_COMMON_FEATURES
    bool subrange_mapping = true;
};

/// The controller's integrated eDMA, as discovered (Linux dw_pcie_edma_detect()).
struct edma_info {
    bool present = false;
    std::uint64_t base = 0, size = 0;
    unsigned wr_channels = 0, rd_channels = 0;
};

/// One auxiliary resource of the controller (Linux pci_epc_aux_resource, DOORBELL_MMIO only).
struct aux_resource {
    std::uint64_t phys_addr = 0;   // the doorbell register (eDMA + RD_INT_STATUS)
    std::uint64_t size = 4;
    int bar = -1;                  // BAR that exposes it without the iATU, or -1
    std::uint64_t bar_offset = 0;  // valid when bar >= 0
    unsigned irq = 0;              // INTID of the interrupt the doorbell raises
    unsigned irq_index = 0;        // its index in the controller node's `interrupts`
    std::uint32_t data = 0;        // value the host writes (0 asserts)
};

/// One sub-range of a BAR: the next `size` bytes of the BAR map to `phys`.
struct bar_subrange {
    std::uint64_t phys = 0, size = 0;
};

class dwc_ep_driver {
public:
    explicit dwc_ep_driver(hal& h) : hal_(h) {}

    /// Find the controller in the platform description and detect the iATU. `index` selects among several
    /// controllers compatible with "snps,dw-pcie-ep".
    status probe(unsigned index = 0);

    // What probing found.
    bool unrolled() const { return unrolled_; }
    unsigned num_ib_windows() const { return num_ib_; }
    unsigned num_ob_windows() const { return num_ob_; }
    std::uint64_t region_align() const { return align_; }
    std::uint64_t region_limit() const { return limit_; }
    std::uint32_t version() const { return version_; }
    unsigned num_functions() const { return num_functions_; }
    std::uint64_t dbi_base() const { return dbi_; }
    std::uint64_t atu_base() const { return atu_; }
    std::uint64_t addr_space_base() const { return addr_space_; }
    std::uint64_t addr_space_size() const { return addr_space_size_; }

    /// Register access helpers (function f's DBI / DBI2 page).
    std::uint32_t dbi_read(unsigned func, std::uint32_t off);
    void dbi_write(unsigned func, std::uint32_t off, std::uint32_t v);
    void dbi2_write(unsigned func, std::uint32_t off, std::uint32_t v);
    void dbi_ro_wr(bool enable);

    /// Link training: set LTSSM enable, wait for link up.
    status start_link(std::uint64_t timeout_ns);
    bool link_up();

    /// Size and type of a BAR as the host will see it (before enumeration). size 0 disables the BAR.
    /// Configuring a BAR again with the same size and flags keeps the host-assigned address (no register
    /// writes); a different size or type is refused while the BAR is configured (disable it first).
    status configure_bar(unsigned func, unsigned bar, std::uint64_t size, bar_flags flags);
    /// BAR-match inbound window: host accesses to the configured BAR `bar` of `func` reach CPU address `phys`
    /// (aligned to the BAR size and the iATU region size).
    status map_bar(unsigned func, unsigned bar, std::uint64_t phys);
    status unmap_bar(unsigned func, unsigned bar);
    /// Reserve `size` bytes (rounded up to the iATU region size) of the outbound address space.
    result<std::uint64_t> alloc_addr_space(std::uint64_t size);
    /// Outbound window: CPU address `phys` (inside addr_space, from alloc_addr_space) reaches PCIe address
    /// `pci_addr`; the size is rounded up to the iATU region size.
    result<unsigned> map_outbound(unsigned func, std::uint64_t phys, std::uint64_t pci_addr, std::uint64_t size);
    void unmap_outbound(unsigned window);
    /// Raise MSI vector `vector` (1-based) of `func` to the host, as programmed by the host in the MSI capability.
    status raise_msi(unsigned func, unsigned vector);
    /// Host-assigned address of a BAR, read back from the configuration space (0 = not assigned).
    std::uint64_t bar_assigned(unsigned func, unsigned bar);

    /// BAR types and sizes (from the description's bar0..bar5 nodes), alignment, sub-range support.
    const epc_features& features() const { return features_; }
    /// Sub-range mapping (address-match windows, Linux set_bar with submaps): update-only — the BAR must be
    /// configured and host-assigned. The entries lay the BAR out in order from offset 0; each size, offset and
    /// phys aligned to the iATU region size; together exactly the BAR size. Replaces the BAR's current windows.
    /// Errors: invalid_argument (rules), no_space (windows; nothing is left mapped then).
    status map_bar_subranges(unsigned func, unsigned bar, const std::vector<bar_subrange>& map);
    /// Linux pci_epf_align_inbound_addr(): base = addr rounded down to the BAR's size (or the iATU region size
    /// when larger: a BAR-match target must be aligned to both), offset = the rest; out_of_range when the offset
    /// does not fit in the BAR.
    status align_inbound_addr(unsigned func, unsigned bar, std::uint64_t addr, std::uint64_t& base,
                              std::uint64_t& offset) const;
    /// Free inbound windows.
    unsigned free_ib_windows() const;
    /// Called with every inbound target range before a window is enabled (e.g. to map it in an IOMMU).
    using inbound_mapper = std::function<status(std::uint64_t phys, std::uint64_t size)>;
    void set_inbound_mapper(inbound_mapper m) { mapper_ = std::move(m); }

    /// The eDMA (found by probe()).
    const edma_info& edma() const { return edma_; }
    /// The embedded-doorbell resource of the eDMA (empty without an eDMA or without an interrupt for it).
    std::vector<aux_resource> aux_resources(unsigned func) const;
    /// Offset of the controller's node in the device tree.
    int node() const { return node_; }

private:
    std::uint64_t func_dbi(unsigned func) const { return dbi_ + func * func_stride_; }
    std::uint64_t func_dbi2(unsigned func) const { return dbi2_ + func * func_stride_; }
    std::uint32_t atu_read(bool ib, unsigned idx, std::uint32_t reg);
    void atu_write(bool ib, unsigned idx, std::uint32_t reg, std::uint32_t v);
    status wait_enabled(bool ib, unsigned idx);
    void detect_iatu();
    void detect_edma(std::uint64_t dma_base, std::uint64_t dma_size);
    void read_features();
    status clear_ib_maps(unsigned func, unsigned bar);
    result<unsigned> free_ib_window() const;
    int find_cap(unsigned func, std::uint32_t id);
    int find_ext_cap(unsigned func, std::uint32_t id);

    hal& hal_;
    std::uint64_t dbi_ = 0, dbi2_ = 0, atu_ = 0, atu_size_ = 0, app_ = 0, addr_space_ = 0, addr_space_size_ = 0;
    std::uint64_t func_stride_ = 0;
    unsigned num_functions_ = 1;
    bool unrolled_ = false;
    unsigned num_ib_ = 0, num_ob_ = 0;
    std::uint64_t align_ = 0, limit_ = 0;
    std::uint32_t version_ = 0;
    std::vector<bool> ib_used_, ob_used_;
    // Per function: BAR -> inbound window + 1 (0 = none), as the Linux DWC driver keeps it.
    std::vector<std::array<unsigned, 6>> bar_to_atu_;
    std::vector<std::array<std::vector<unsigned>, 6>> bar_sub_; // address-match windows of a BAR (sub-ranges)
    epc_features features_;
    edma_info edma_;
    inbound_mapper mapper_;
    int node_ = -1;
    std::vector<std::array<std::uint64_t, 6>> bar_size_;
    std::vector<std::array<bar_flags, 6>> bar_flags_;
    std::uint64_t addr_space_used_ = 0;
    // Outbound window kept mapped for MSI (per function): its reserved CPU address, window + 1 and the page.
    std::vector<std::uint64_t> msi_phys_;
    std::vector<int> msi_cap_; // offset of each function's MSI capability (-1: none)
    std::vector<unsigned> msi_window_;
    std::vector<std::uint64_t> msi_page_;
};

} // namespace dbvp::fw
