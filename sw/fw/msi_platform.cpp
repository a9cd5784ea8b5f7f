#include "dbvp/fw/msi_platform.h"

#include "dbvp/fw/dwc_ep.h"
#include "dbvp/fw/fdt.h"
#include "dbvp/util/format.h"

#include <algorithm>
#include <string>

extern "C" {
#include <libfdt.h>
}

namespace dbvp::fw {

status msi_platform::boot(unsigned lpi_id_bits) {
    fdt_view dt(hal_.fdt());
    auto g = dt.find_compatible("arm,gic-v3");
    if (!g)
        return {}; // no interrupt controller: nothing to bring up (interrupt-driven doorbells are unavailable)
    auto gicd = dt.reg(g.value(), 0), gicr = dt.reg(g.value(), 1);
    if (!gicd)
        return gicd.error();
    if (!gicr)
        return gicr.error();
    gic_ = std::make_unique<gicv3_driver>(hal_, gicd->base, gicr->base);
    if (auto s = gic_->init(pool_, lpi_id_bits); !s)
        return s;
    lpis_.assign((std::size_t{1} << gic_->lpi_id_bits()) - gic::FIRST_LPI, false);

    if (auto n = dt.find_compatible("arm,gic-v3-its"); n && dt.available(n.value())) {
        auto r = dt.reg(n.value(), 0);
        if (!r)
            return r.error();
        its_ = std::make_unique<its_driver>(hal_, r->base);
        if (auto s = its_->init(pool_); !s)
            return s;
        its_node_ = n.value();
        its_phandle_ = fdt_get_phandle(dt.blob(), its_node_);
    }
    if (auto n = dt.find_compatible("arm,smmu-v3"); n && dt.available(n.value())) {
        auto r = dt.reg(n.value(), 0);
        if (!r)
            return r.error();
        smmu_ = std::make_unique<smmuv3_driver>(hal_, r->base);
        if (auto s = smmu_->init(pool_, 16); !s)
            return s;
        if (dt.cells(n.value(), "interrupts").size() >= 6) {
            auto evtq = enable_spi(n.value(), 0), gerror = enable_spi(n.value(), 1);
            if (!evtq)
                return evtq.error();
            if (!gerror)
                return gerror.error();
            if (auto s = smmu_->request_irqs(evtq.value(), gerror.value(), [](const smmuv3_driver::event&) {}); !s)
                return s;
        }
    }
    if (auto n = dt.find_compatible("dbvp,imx95-pcie-lut"); n && dt.available(n.value())) {
        auto r = dt.reg(n.value(), 0);
        if (!r)
            return r.error();
        lut_ = std::make_unique<imx95_lut_driver>(hal_, r->base);
    }
    return {};
}

bool msi_platform::has_msi_parent(int ep_node) const {
    if (!its_)
        return false;
    fdt_view dt(hal_.fdt());
    for (const char* prop : {"msi-map", "msi-parent"}) {
        const auto c = dt.cells(ep_node, prop);
        const std::size_t at = prop[4] == 'm' ? 1 : 0; // msi-map: <rid-base phandle ...>; msi-parent: <phandle ...>
        if (c.size() > at && c[at] == its_phandle_)
            return true;
    }
    return false;
}

result<msi_platform::ids> msi_platform::controller_ids(int ep_node) const {
    if (!has_msi_parent(ep_node))
        return status(errc::no_device, "Can't find MSI domain for EPC");
    fdt_view dt(hal_.fdt());
    ids out;
    if (dt.has(ep_node, "msi-map")) {
        auto d = dt.map_id(ep_node, "msi-map", "msi-map-mask", 0);
        if (!d)
            return status(errc::invalid_argument, d.error().message());
        out.device_id = d.value();
    } else {
        const auto c = dt.cells(ep_node, "msi-parent");
        out.device_id = c.size() > 1 ? c[1] : 0;
    }
    out.stream_id = out.device_id;
    if (dt.has(ep_node, "iommu-map")) {
        auto s = dt.map_id(ep_node, "iommu-map", "iommu-map-mask", 0);
        if (!s)
            return status(errc::invalid_argument, s.error().message());
        if (lut_ && (s.value() & 0x3f) != (out.device_id & 0x3f))
            return status(errc::invalid_argument, "iommu-map and msi-map entries mismatch!");
        out.stream_id = s.value();
        out.has_iommu = smmu_ != nullptr;
    }
    return out;
}

status msi_platform::ensure_lut_entry(std::uint32_t stream_id, std::uint16_t mask) {
    if (!lut_ || lut_written_)
        return {};
    if (auto s = lut_->add(0, mask, stream_id & 0x3f); !s)
        return s;
    lut_written_ = true;
    return {};
}

void msi_platform::remove_lut_entry() {
    if (!lut_ || !lut_written_)
        return;
    lut_->remove(0);
    lut_written_ = false;
}

result<unsigned> msi_platform::alloc_lpis(unsigned count) {
    if (count == 0)
        return status(errc::invalid_argument, "zero LPIs");
    for (std::size_t i = 0; i + count <= lpis_.size(); ++i) {
        std::size_t n = 0;
        while (n < count && !lpis_[i + n])
            ++n;
        if (n == count) {
            std::fill(lpis_.begin() + static_cast<long>(i), lpis_.begin() + static_cast<long>(i + count), true);
            return static_cast<unsigned>(gic::FIRST_LPI + i);
        }
        i += n;
    }
    return status(errc::no_space, std::to_string(count) + " consecutive LPIs are not free");
}

void msi_platform::free_lpis(unsigned first, unsigned count) {
    for (unsigned i = 0; i < count; ++i)
        if (first + i >= gic::FIRST_LPI && first + i - gic::FIRST_LPI < lpis_.size())
            lpis_[first + i - gic::FIRST_LPI] = false;
}

result<unsigned> msi_platform::enable_spi(int node, unsigned index) {
    if (!gic_)
        return status(errc::no_device, "no GIC");
    fdt_view dt(hal_.fdt());
    const auto c = dt.cells(node, "interrupts");
    if (c.size() < 3u * (index + 1) || c[3 * index] != 0)
        return status(errc::invalid_argument, dt.node_name(node) + ": interrupt " + std::to_string(index) + " is not an SPI");
    const unsigned intid = 32 + c[3 * index + 1];
    if (auto s = gic_->configure_spi(intid, c[3 * index + 2] == 1, 0x80); !s)
        return s;
    if (auto s = gic_->enable(intid); !s)
        return s;
    return intid;
}

status msi_platform::attach(dwc_ep_driver& ep, std::uint16_t lut_mask) {
    fdt_view dt(hal_.fdt());
    const bool iommu = dt.has(ep.node(), "iommu-map");
    if (lut_ && (iommu || has_msi_parent(ep.node()))) {
        std::uint32_t sid = 0;
        if (auto ids = controller_ids(ep.node()))
            sid = ids->stream_id;
        else if (ids.error().code() != errc::no_device)
            return ids.error();
        else if (auto s = dt.map_id(ep.node(), "iommu-map", "iommu-map-mask", 0))
            sid = s.value();
        else
            return s.error();
        if (auto s = ensure_lut_entry(sid, lut_mask); !s)
            return s;
    }
    if (!smmu_ || !iommu)
        return {};
    auto sid = dt.map_id(ep.node(), "iommu-map", "iommu-map-mask", 0);
    if (!sid)
        return sid.error();
    const std::uint32_t stream = sid.value();
    ep.set_inbound_mapper(
        [this, stream](std::uint64_t pa, std::uint64_t size) { return iommu_map(stream, pa, size, true); });
    return {};
}

status msi_platform::iommu_map(std::uint32_t stream_id, std::uint64_t pa, std::uint64_t size, bool writable) {
    if (!smmu_)
        return {};
    const std::uint64_t first = pa & ~0xfffull, last = (pa + size + 0xfff) & ~0xfffull;
    return smmu_->set_stage1(stream_id, first, first, last - first, writable);
}

} // namespace dbvp::fw
