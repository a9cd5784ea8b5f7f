#include "dbvp/platform/platform.h"

#include "dbvp/util/format.h"

#include "dbvp/core/master.h"

#include <optional>
#include <utility>

#include <algorithm>
#include <cstdio>
#include <dirent.h>
#include <sstream>
#include <sys/stat.h>

namespace dbvp::platform {

namespace {

bool file_exists(const std::string& p) {
    struct stat st{};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> preset_dirs() {
    std::vector<std::string> dirs;
    if (const char* env = std::getenv("DBVP_PLATFORM_PATH"))
        dirs.emplace_back(env);
    dirs.emplace_back(DBVP_BUILD_PLATFORM_DIR);
    dirs.emplace_back(DBVP_INSTALLED_PLATFORM_DIR);
    return dirs;
}

device_tree load_with_overrides(const platform::options& opt) {
    device_tree dt = device_tree::load(resolve_platform(opt.platform));
    for (const auto& o : opt.overrides)
        dt.set_property(o);
    return dt;
}


void require_compatible(dt_node& n, const char* compat) {
    if (!n.has("compatible"))
        n.fail("compatible", std::string("missing; expected \"") + compat + "\"");
    if (!n.compatible_with(compat))
        n.fail("compatible", std::string("expected \"") + compat + "\"");
}

unsigned lanes(dt_node& n, unsigned fallback) {
    const unsigned w = n.u32("num-lanes", fallback, 1, 16);
    if (w != 1 && w != 2 && w != 4 && w != 8 && w != 16)
        n.fail("num-lanes", std::to_string(w) + " is not one of 1, 2, 4, 8, 16");
    return w;
}

memory::params memory_params(dt_node& n, std::uint64_t size) {
    memory::params p;
    p.size = size;
    p.clock_hz = n.u64("clock-frequency", p.clock_hz, 1000000, 10000000000ull);
    p.read_latency = n.u32("dbvp,read-latency-cycles", p.read_latency, 0, 100000);
    p.write_latency = n.u32("dbvp,write-latency-cycles", p.write_latency, 0, 100000);
    return p;
}

pcie::dwc_ep::params ep_params(dt_node& n) {
    pcie::dwc_ep::params p;
    p.clock_hz = n.u64("clock-frequency", p.clock_hz, 1000000, 10000000000ull);
    p.num_functions = n.u32("max-functions", p.num_functions, 1, 8);
    p.func_dbi_stride = n.pow2("dbvp,func-dbi-stride", p.func_dbi_stride, 0x1000, 0x100000);
    p.num_ib_windows = n.u32("num-ib-windows", p.num_ib_windows, 1, 256);
    p.num_ob_windows = n.u32("num-ob-windows", p.num_ob_windows, 1, 256);
    p.min_region_size = n.pow2("dbvp,atu-min-region-size", p.min_region_size, 0x1000, 0x10000);
    p.max_region_upper = n.u32("dbvp,atu-max-region-upper", p.max_region_upper, 0, 0xffffffffu);
    p.version_number = n.u32("dbvp,version-number", p.version_number, 0, 0xffffffffu);
    p.version_type = n.u32("dbvp,version-type", p.version_type, 0, 0xffffffffu);
    p.vendor_id = static_cast<std::uint16_t>(n.u32("dbvp,vendor-id", p.vendor_id, 0, 0xffff));
    p.device_id = static_cast<std::uint16_t>(n.u32("dbvp,device-id", p.device_id, 0, 0xffff));
    p.class_code = n.u32("dbvp,class-code", p.class_code, 0, 0xffffff);
    p.msi_vectors = static_cast<unsigned>(n.pow2("dbvp,msi-vectors", p.msi_vectors, 1, 32));
    p.link_generation = n.u32("max-link-speed", p.link_generation, 1, 5);
    p.link_width = lanes(n, p.link_width);
    p.dbi_latency = n.u32("dbvp,dbi-latency-cycles", p.dbi_latency, 0, 100000);
    p.inbound_latency = n.u32("dbvp,inbound-latency-cycles", p.inbound_latency, 0, 100000);
    p.atu_latency = n.u32("dbvp,atu-latency-cycles", p.atu_latency, 0, 100000);
    p.outbound_latency = n.u32("dbvp,outbound-latency-cycles", p.outbound_latency, 0, 100000);
    p.atu_enable_delay = n.u32("dbvp,atu-enable-delay-cycles", p.atu_enable_delay, 0, 100000);
    p.quirk_reserved_bar_alias = n.flag("dbvp,quirk-reserved-bar-alias");
    const dt_range atu = n.reg("atu");
    if (atu.size < 0x200)
        n.fail("reg", "the atu window (" + hex(atu.size) + " bytes) cannot hold one iATU region (0x200)");
    p.atu_size = atu.size;
    const dt_range as = n.reg("addr_space");
    p.addr_space_base = as.base;
    p.addr_space_size = as.size;
    static const std::vector<std::string> types{"programmable", "fixed", "resizable", "reserved", "disabled"};
    for (unsigned b = 0; b < 6; ++b) {
        const std::string name = "bar" + std::to_string(b);
        auto c = n.child(name.c_str());
        if (!c)
            continue;
        pcie::bar_config& bc = p.bars[b];
        const std::string t = c->str("dbvp,type", "programmable", types);
        bc.type = t == "fixed"       ? pcie::bar_type::fixed
                  : t == "resizable" ? pcie::bar_type::resizable
                  : t == "reserved"  ? pcie::bar_type::reserved
                  : t == "disabled"  ? pcie::bar_type::disabled
                                     : pcie::bar_type::programmable;
        const bool sized = bc.type == pcie::bar_type::fixed || bc.type == pcie::bar_type::reserved;
        if (!sized && c->has("dbvp,size"))
            c->fail("dbvp,size", "only fixed and reserved BARs have a size in the description (a " + t +
                                     " BAR is sized by the firmware)");
        if ((bc.type == pcie::bar_type::fixed || bc.type == pcie::bar_type::reserved) && !c->has("dbvp,size"))
            c->fail("dbvp,size", "required for a " + t + " BAR");
        bc.fixed_size = sized ? c->pow2("dbvp,size", 0, 16, 1ull << 47) : 0;
        bc.is64 = c->flag("dbvp,64bit");
        bc.prefetchable = c->flag("dbvp,prefetchable");
        if (bc.is64 && (b & 1))
            c->fail("dbvp,64bit", "a 64-bit BAR must have an even number (it takes BAR" + std::to_string(b + 1) +
                                      " too)");
        if (!bc.is64 && bc.fixed_size > (1ull << 31))
            c->fail("dbvp,size", "a 32-bit BAR cannot be larger than 2 GiB; add dbvp,64bit");
        if (bc.type == pcie::bar_type::reserved)
            bc.reserved_target = c->u64("dbvp,target", 0, 0, ~0ull);
        if (bc.type == pcie::bar_type::reserved && !c->has("dbvp,target"))
            c->fail("dbvp,target", "required for a reserved BAR (the SoC address it exposes)");
        c->finish();
    }
    for (unsigned b = 0; b + 1 < 6; ++b)
        if (p.bars[b].is64 && p.bars[b + 1].type != pcie::bar_type::programmable &&
            p.bars[b + 1].type != pcie::bar_type::disabled)
            n.fail(("bar" + std::to_string(b + 1)).c_str(),
                   "BAR" + std::to_string(b + 1) + " is the upper half of 64-bit BAR" + std::to_string(b) +
                       " and cannot have its own type");
    return p;
}

} // namespace

std::string resolve_platform(const std::string& name_or_path) {
    const bool looks_like_file = name_or_path.find('/') != std::string::npos ||
                                 (name_or_path.size() > 4 && (name_or_path.rfind(".dts") == name_or_path.size() - 4 ||
                                                              name_or_path.rfind(".dtb") == name_or_path.size() - 4));
    if (looks_like_file) {
        if (!file_exists(name_or_path))
            throw config_error(name_or_path, "", "", "platform file not found");
        return name_or_path;
    }
    for (const auto& d : preset_dirs()) {
        const std::string p = d + "/" + name_or_path + ".dtb";
        if (file_exists(p))
            return p;
    }
    std::string known;
    for (const auto& n : list_presets())
        known += (known.empty() ? "" : ", ") + n;
    throw config_error(name_or_path, "", "", "no such platform preset (known: " + (known.empty() ? "none" : known) + ")");
}

std::vector<std::string> list_presets() {
    std::vector<std::string> out;
    for (const auto& d : preset_dirs()) {
        DIR* dir = opendir(d.c_str());
        if (!dir)
            continue;
        while (dirent* e = readdir(dir)) {
            std::string n = e->d_name;
            if (n.size() > 4 && n.compare(n.size() - 4, 4, ".dtb") == 0)
                out.push_back(n.substr(0, n.size() - 4));
        }
        closedir(dir);
        if (!out.empty())
            break;
    }
    std::sort(out.begin(), out.end());
    return out;
}

platform::platform(sc_core::sc_module_name name, const options& opt) : sc_module(name), dt_(load_with_overrides(opt)) {
    dt_node root = dt_.root();
    const std::uint64_t quantum_ns = root.u32("dbvp,quantum-ns", 1000, 1, 1000000);
    master::set_global_quantum(sc_core::sc_time(static_cast<double>(quantum_ns), sc_core::SC_NS));

    // Host.
    dt_node hn = root.child_required("host");
    require_compatible(hn, "dbvp,pcie-host");
    pcie::root_complex::params rp;
    rp.clock_hz = hn.u64("clock-frequency", rp.clock_hz, 1000000, 10000000000ull);
    rp.latency = hn.u32("dbvp,latency-cycles", rp.latency, 0, 100000);
    rp.root_port = static_cast<std::uint16_t>(hn.u32("dbvp,root-port", rp.root_port, 0, 0xffff));
    rp.secondary_bus = static_cast<std::uint8_t>(hn.u32("dbvp,secondary-bus", rp.secondary_bus, 1, 255));
    if (rp.secondary_bus == (rp.root_port >> 8))
        hn.fail("dbvp,secondary-bus", "must differ from the root port's own bus " + std::to_string(rp.root_port >> 8));
    rp.msi_address = hn.u64("dbvp,msi-address", rp.msi_address, 0, ~0ull);
    if (rp.msi_address & 3)
        hn.fail("dbvp,msi-address", hex(rp.msi_address) + " is not 4-byte aligned");
    const dt_range w32 = hn.range("dbvp,mmio32-window", true);
    const dt_range w64 = hn.range("dbvp,mmio64-window", true);
    if (w32.base + w32.size > (1ull << 32))
        hn.fail("dbvp,mmio32-window", "must lie below 4 GiB");
    rp.mmio32_base = w32.base;
    rp.mmio32_size = w32.size;
    rp.mmio64_base = w64.base;
    rp.mmio64_size = w64.size;
    dt_node hm = hn.child_required("memory");
    const dt_range hmr = hm.reg(0u);
    rp.mem_base = hmr.base;
    rp.mem_size = hmr.size;
    rp.mem_timing = memory_params(hm, hmr.size);
    hm.finish();
    struct named {
        dt_range r;
        const char* what;
    };
    const named host_ranges[] = {{w32, "dbvp,mmio32-window"}, {w64, "dbvp,mmio64-window"}, {hmr, "memory reg"},
                                 {{rp.msi_address, 4}, "dbvp,msi-address"}};
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = i + 1; j < 4; ++j)
            if (host_ranges[i].r.base < host_ranges[j].r.base + host_ranges[j].r.size &&
                host_ranges[j].r.base < host_ranges[i].r.base + host_ranges[i].r.size)
                hn.fail(host_ranges[j].what, std::string("overlaps ") + host_ranges[i].what);
    hn.finish();

    // Endpoint SoC.
    dt_node sn = root.child_required("soc");
    require_compatible(sn, "dbvp,interconnect");
    router::params bp;
    bp.clock_hz = sn.u64("clock-frequency", bp.clock_hz, 1000000, 10000000000ull);
    bp.latency = sn.u32("dbvp,latency-cycles", bp.latency, 0, 100000);
    std::optional<dt_node> ram_node, ep_node, gic_node, its_node, smmu_node, glue_node;
    auto only_one = [](std::optional<dt_node>& slot, dt_node& c, const char* what) {
        if (slot)
            c.fail("compatible", std::string("a second ") + what + "; this platform has one");
        slot = c;
    };
    for (auto& c : sn.children()) {
        if (c.str("device_type", "") == "memory")
            only_one(ram_node, c, "memory node");
        else if (c.compatible_with("dbvp,dwc-pcie-ep"))
            only_one(ep_node, c, "endpoint controller");
        else if (c.compatible_with("arm,gic-v3"))
            only_one(gic_node, c, "GICv3");
        else if (c.compatible_with("arm,smmu-v3"))
            only_one(smmu_node, c, "SMMUv3");
        else if (c.compatible_with("dbvp,imx95-pcie-lut") || c.compatible_with("dbvp,rid-map"))
            only_one(glue_node, c, "RID-to-StreamID glue");
        else
            c.fail("compatible", "unknown device on the SoC interconnect");
        sn.consume_child(c);
    }
    if (!ram_node)
        sn.fail("", "no endpoint memory node (device_type = \"memory\")");
    if (!ep_node)
        sn.fail("", "no endpoint controller node (compatible = \"dbvp,dwc-pcie-ep\")");
    const dt_range ramr = ram_node->reg(0u);
    const memory::params mp = memory_params(*ram_node, ramr.size);
    ram_node->finish();
    ram_base_ = ramr.base;

    struct soc_range {
        dt_range r;
        std::string what;
        dt_node* node;
    };
    std::vector<soc_range> soc_ranges{{ramr, ram_node->path() + " reg", &*ram_node}};

    const pcie::dwc_ep::params ep = ep_params(*ep_node);
    for (const char* n : {"dbi", "dbi2", "atu", "app", "addr_space"})
        soc_ranges.push_back({ep_node->reg(n), ep_node->path() + " reg \"" + n + "\"", &*ep_node});
    const std::uint64_t dbi_need = ep.num_functions * ep.func_dbi_stride;
    for (const char* n : {"dbi", "dbi2"})
        if (ep_node->reg(n).size < dbi_need)
            ep_node->fail("reg", std::string("the ") + n + " window is smaller than max-functions x dbvp,func-dbi-stride");
    // Software description of the endpoint's IDs (read by the firmware): <rid-base phandle out-base length>
    // (msi-map, iommu-map), <phandle specifier...> (msi-parent, iommus). Every phandle must refer to a node of
    // the right kind: one to nothing would silently change what the firmware does (no MSI parent: no MSI).
    struct reference {
        const char* prop;
        unsigned entry_cells;   // 0: 1 + the target's #cells
        unsigned phandle_at;    // cell of the entry holding the phandle
        const char* must_have;  // property the target must have
        const char* kind;       // what the target must be
        const char* cells_prop; // the target's specifier length (entry_cells == 0)
    };
    for (const reference& ref : {reference{"msi-map", 4, 1, "msi-controller", "an msi-controller", nullptr},
                                 reference{"iommu-map", 4, 1, "#iommu-cells", "an IOMMU", nullptr},
                                 reference{"msi-parent", 0, 0, "msi-controller", "an msi-controller", "#msi-cells"},
                                 reference{"iommus", 0, 0, "#iommu-cells", "an IOMMU", "#iommu-cells"}}) {
        const auto c = ep_node->cells(ref.prop, ref.entry_cells);
        for (std::size_t i = 0, entry = 0; i < c.size(); ++entry) {
            const std::uint32_t ph = c[i + ref.phandle_at];
            const std::string what = "entry " + std::to_string(entry) + ": phandle " + hex(ph);
            auto target = ep_node->by_phandle(ph);
            if (!target)
                ep_node->fail(ref.prop, what + " refers to no node");
            if (!target->has(ref.must_have))
                ep_node->fail(ref.prop, what + " refers to " + target->path() + ", which is not " + ref.kind +
                                            " (no " + ref.must_have + " property)");
            // msi-parent / iommus: the phandle, then the target's #msi-cells / #iommu-cells (missing trailing
            // cells are taken as none, as Linux's optional arguments are).
            i += ref.entry_cells ? ref.entry_cells : 1 + target->u32(ref.cells_prop, 0, 0, 8);
        }
    }
    for (const char* m : {"msi-map-mask", "iommu-map-mask"})
        ep_node->u32(m, 0xffff, 0, 0xffff);

    // The integrated eDMA: present when the controller has a "dma" register range.
    std::optional<dt_range> dmar = ep_node->optional_reg("dma");
    pcie::dwc_edma::params dp;
    std::vector<dt_node::spi> dma_irqs;
    if (dmar) {
        dp.clock_hz = ep.clock_hz;
        dp.wr_channels = ep_node->u32("dbvp,edma-wr-channels", dp.wr_channels, 1, 8);
        dp.rd_channels = ep_node->u32("dbvp,edma-rd-channels", dp.rd_channels, 1, 8);
        dp.reg_latency = ep_node->u32("dbvp,edma-reg-latency-cycles", dp.reg_latency, 0, 100000);
        dp.setup_latency = ep_node->u32("dbvp,edma-setup-cycles", dp.setup_latency, 0, 100000);
        dp.bytes_per_cycle = ep_node->u32("dbvp,edma-bytes-per-cycle", dp.bytes_per_cycle, 1, 4096);
        dp.max_payload = static_cast<unsigned>(ep_node->pow2("dbvp,max-payload", dp.max_payload, 128, 4096));
        dp.max_read_request =
            static_cast<unsigned>(ep_node->pow2("dbvp,max-read-request", dp.max_read_request, 128, 4096));
        dp.max_outstanding = ep_node->u32("dbvp,edma-max-outstanding", dp.max_outstanding, 1, 32);
        const std::uint64_t need = pcie::dwc_edma::offsets::CH_BASE +
                                   std::uint64_t{pcie::dwc_edma::offsets::CH_STRIDE} *
                                       std::max(dp.wr_channels, dp.rd_channels);
        if (dmar->size < need)
            ep_node->fail("reg", "the dma window (" + hex(dmar->size) + " bytes) cannot hold the channel contexts (" +
                                     hex(need) + ")");
        dp.regs_size = dmar->size;
        soc_ranges.push_back({*dmar, ep_node->path() + " reg \"dma\"", &*ep_node});
    } else {
        for (const char* prop : {"dbvp,edma-wr-channels", "dbvp,edma-rd-channels", "interrupts"})
            if (ep_node->has(prop))
                ep_node->fail(prop, "the controller has no \"dma\" register range");
    }

    // GICv3 and its ITS.
    gic::gicv3::params gp;
    gic::gicv3_its::params ip;
    dt_range gicd{}, gicr{}, itsr{};
    if (gic_node) {
        gic_node->flag("interrupt-controller");
        gic_node->u32("#interrupt-cells", 3, 3, 3);
        gp.clock_hz = gic_node->u64("clock-frequency", gp.clock_hz, 1000000, 10000000000ull);
        gp.num_spis = gic_node->u32("dbvp,num-spis", gp.num_spis, 32, 988);
        if (gp.num_spis % 32 && gp.num_spis != 988)
            gic_node->fail("dbvp,num-spis", std::to_string(gp.num_spis) + " is neither a multiple of 32 nor 988");
        gp.lpi_id_bits = gic_node->u32("dbvp,lpi-id-bits", gp.lpi_id_bits, 14, 24);
        gp.reg_latency = gic_node->u32("dbvp,reg-latency-cycles", gp.reg_latency, 0, 100000);
        gp.deliver_latency = gic_node->u32("dbvp,deliver-latency-cycles", gp.deliver_latency, 0, 100000);
        gp.lpi_cache_entries = gic_node->u32("dbvp,lpi-cache-entries", gp.lpi_cache_entries, 0, 1u << 20);
        gicd = gic_node->reg(0u);
        gicr = gic_node->reg(1u);
        if (gicd.size < 0x10000)
            gic_node->fail("reg", "the distributor (reg 0) needs 64 KiB");
        if (gicr.size < 0x20000)
            gic_node->fail("reg", "the redistributor (reg 1) needs 128 KiB (RD_base + SGI_base)");
        soc_ranges.push_back({gicd, gic_node->path() + " reg 0 (GICD)", &*gic_node});
        soc_ranges.push_back({gicr, gic_node->path() + " reg 1 (GICR)", &*gic_node});
        for (auto& c : gic_node->children()) {
            if (!c.compatible_with("arm,gic-v3-its"))
                c.fail("compatible", "unknown child of the GIC (expected arm,gic-v3-its)");
            if (its_node)
                c.fail("compatible", "a second ITS; this platform has one");
            gic_node->consume_child(c);
            its_node = c;
        }
    }
    if (its_node) {
        its_node->flag("msi-controller");
        its_node->u32("#msi-cells", 1, 1, 1);
        ip.clock_hz = its_node->u64("clock-frequency", ip.clock_hz, 1000000, 10000000000ull);
        ip.devbits = its_node->u32("dbvp,devbits", ip.devbits, 1, 32);
        ip.idbits = its_node->u32("dbvp,idbits", ip.idbits, 1, 32);
        ip.cidbits = its_node->u32("dbvp,cidbits", ip.cidbits, 1, 16);
        ip.itt_entry_size = its_node->u32("dbvp,itt-entry-size", ip.itt_entry_size, 6, 16);
        ip.reg_latency = its_node->u32("dbvp,reg-latency-cycles", ip.reg_latency, 0, 100000);
        ip.cmd_latency = its_node->u32("dbvp,cmd-latency-cycles", ip.cmd_latency, 0, 100000);
        ip.translate_latency = its_node->u32("dbvp,translate-latency-cycles", ip.translate_latency, 0, 100000);
        ip.cache_entries = its_node->u32("dbvp,cache-entries", ip.cache_entries, 0, 1u << 20);
        ip.device_cache_entries = its_node->u32("dbvp,device-cache-entries", ip.device_cache_entries, 0, 1u << 20);
        ip.collection_cache_entries =
            its_node->u32("dbvp,collection-cache-entries", ip.collection_cache_entries, 0, 1u << 20);
        ip.fifo_depth = its_node->u32("dbvp,fifo-depth", ip.fifo_depth, 1, 1u << 20);
        ip.stall_when_full = its_node->str("dbvp,fifo-full", "stall", {"stall", "drop"}) == "stall";
        itsr = its_node->reg(0u);
        if (itsr.size < 0x20000)
            its_node->fail("reg", "the ITS needs 128 KiB (control frame + translation frame)");
        soc_ranges.push_back({itsr, its_node->path() + " reg", &*its_node});
        its_node->finish();
    }
    if (gic_node)
        gic_node->finish();

    // The eDMA's interrupts (SPIs of the GIC): one combined line or one per channel.
    if (dmar) {
        if (ep_node->has("interrupts")) {
            if (!gic_node)
                ep_node->fail("interrupts", "there is no GIC to wire them to");
            dma_irqs = ep_node->interrupts(gp.num_spis);
            const auto names = ep_node->strings("interrupt-names");
            const unsigned per_channel = dp.wr_channels + dp.rd_channels;
            if (names.size() == 1 && names[0] == "dma" && dma_irqs.size() == 1) {
                dp.per_channel_irqs = false;
            } else if (names.size() == per_channel && dma_irqs.size() == per_channel) {
                dp.per_channel_irqs = true;
                for (unsigned i = 0; i < per_channel; ++i)
                    if (names[i] != "dma" + std::to_string(i))
                        ep_node->fail("interrupt-names", "entry " + std::to_string(i) + " must be \"dma" +
                                                             std::to_string(i) + "\"");
            } else {
                ep_node->fail("interrupt-names", "either one interrupt named \"dma\" or one per eDMA channel named "
                                                 "\"dma0\" .. \"dma" + std::to_string(per_channel - 1) +
                                                 "\" (write channels first)");
            }
        }
    }

    // SMMUv3 on the endpoint's inbound path.
    smmu::smmuv3::params smp;
    dt_range smmur{};
    std::vector<dt_node::spi> smmu_irqs;
    std::vector<std::string> smmu_irq_names;
    if (smmu_node && !smmu_node->enabled())
        smmu_node.reset(); // status = "disabled": not built (the SoC node already counts it as read)
    if (smmu_node) {
        smmu_node->u32("#iommu-cells", 1, 1, 1);
        smp.clock_hz = smmu_node->u64("clock-frequency", smp.clock_hz, 1000000, 10000000000ull);
        smp.sid_bits = smmu_node->u32("dbvp,sid-bits", smp.sid_bits, 1, 32);
        smp.reg_latency = smmu_node->u32("dbvp,reg-latency-cycles", smp.reg_latency, 0, 100000);
        smp.lookup_latency = smmu_node->u32("dbvp,lookup-latency-cycles", smp.lookup_latency, 0, 100000);
        smp.walk_step_latency = smmu_node->u32("dbvp,walk-step-latency-cycles", smp.walk_step_latency, 0, 100000);
        smp.cmd_latency = smmu_node->u32("dbvp,cmd-latency-cycles", smp.cmd_latency, 0, 100000);
        smp.config_cache_entries = smmu_node->u32("dbvp,config-cache-entries", smp.config_cache_entries, 0, 1u << 20);
        smp.tlb_entries = smmu_node->u32("dbvp,tlb-entries", smp.tlb_entries, 0, 1u << 20);
        smmur = smmu_node->reg(0u);
        if (smmur.size < 0x20000)
            smmu_node->fail("reg", "the SMMU needs 128 KiB (register pages 0 and 1)");
        soc_ranges.push_back({smmur, smmu_node->path() + " reg", &*smmu_node});
        if (smmu_node->has("interrupts")) {
            if (!gic_node)
                smmu_node->fail("interrupts", "there is no GIC to wire them to");
            smmu_irqs = smmu_node->interrupts(gp.num_spis);
            smmu_irq_names = smmu_node->strings("interrupt-names");
            if (smmu_irq_names.size() != smmu_irqs.size())
                smmu_node->fail("interrupt-names", "one name per interrupt (eventq, gerror)");
            for (const auto& n : smmu_irq_names)
                if (n != "eventq" && n != "gerror")
                    smmu_node->fail("interrupt-names", "\"" + n + "\" is not one of: eventq, gerror");
        }
        smmu_node->finish();
    }

    // RID -> StreamID / DeviceID glue.
    pcie::sid_glue::params glp;
    dt_range glue_regs{};
    if (glue_node) {
        glp.clock_hz = glue_node->u64("clock-frequency", glp.clock_hz, 1000000, 10000000000ull);
        glp.latency = glue_node->u32("dbvp,latency-cycles", glp.latency, 0, 100000);
        if (glue_node->compatible_with("dbvp,imx95-pcie-lut")) {
            glp.type = pcie::sid_glue::kind::lut;
            glp.lut_entries = glue_node->u32("dbvp,entries", glp.lut_entries, 1, 32);
            glp.controller_id = glue_node->u32("dbvp,controller-id", glp.controller_id, 0, 3);
            glp.default_sid = glue_node->u32("dbvp,default-sid", glp.default_sid, 0, 63);
            glue_regs = glue_node->reg(0u);
            if (glue_regs.size < 0x1014)
                glue_node->fail("reg", "the block control window must reach the LUT registers (0x1008..0x1013)");
            glp.regs_size = glue_regs.size;
            soc_ranges.push_back({glue_regs, glue_node->path() + " reg", &*glue_node});
        } else {
            glp.type = pcie::sid_glue::kind::map;
            glp.rid_mask = glue_node->u32("dbvp,rid-mask", glp.rid_mask, 0, 0xffff);
            auto read_map = [&](const char* prop, std::vector<pcie::sid_glue::map_entry>& out) {
                if (!glue_node->has(prop))
                    return;
                const auto c = glue_node->cells(prop, 3);
                out.clear();
                for (std::size_t i = 0; i < c.size(); i += 3) {
                    if (c[i + 2] == 0)
                        glue_node->fail(prop, "entry " + std::to_string(i / 3) + " has length 0");
                    out.push_back({c[i], c[i + 1], c[i + 2]});
                }
            };
            read_map("dbvp,stream-map", glp.stream_map);
            read_map("dbvp,device-map", glp.device_map);
        }
        glue_node->finish();
    }

    for (std::size_t i = 0; i < soc_ranges.size(); ++i)
        for (std::size_t j = i + 1; j < soc_ranges.size(); ++j)
            if (soc_ranges[i].r.base < soc_ranges[j].r.base + soc_ranges[j].r.size &&
                soc_ranges[j].r.base < soc_ranges[i].r.base + soc_ranges[i].r.size)
                soc_ranges[j].node->fail("reg", soc_ranges[j].what + " overlaps " + soc_ranges[i].what);
    ep_node->finish();
    sn.finish();

    // Link.
    dt_node ln = root.child_required("pcie-link");
    require_compatible(ln, "dbvp,pcie-link");
    pcie::link::params lp;
    lp.generation = std::min(ln.u32("max-link-speed", lp.generation, 1, 5), ep.link_generation);
    lp.width = std::min(lanes(ln, lp.width), ep.link_width);
    lp.clock_hz = ln.u64("clock-frequency", lp.clock_hz, 1000000, 10000000000ull);
    lp.latency = ln.u32("dbvp,latency-cycles", lp.latency, 0, 100000);
    lp.framing_bytes = ln.u32("dbvp,framing-bytes", lp.framing_bytes, 0, 64);
    lp.training_ns = ln.u64("dbvp,training-ns", lp.training_ns, 0, 1000000000ull);
    ln.finish();

    // CPU.
    dt_node cn = root.child_required("cpus");
    auto cpu_nodes = cn.children();
    if (cpu_nodes.size() != 1)
        cn.fail("", "expected exactly one cpu node, found " + std::to_string(cpu_nodes.size()));
    dt_node cpun = cpu_nodes[0];
    cn.consume_child(cpun);
    require_compatible(cpun, "dbvp,native-cpu");
    cpun.consume("reg");
    native_cpu::params cp;
    cp.clock_hz = cpun.u64("clock-frequency", cp.clock_hz, 1000000, 10000000000ull);
    cp.mmio_cycles = cpun.u32("dbvp,mmio-cycles", cp.mmio_cycles, 0, 100000);
    cp.irq_entry = cpun.u32("dbvp,irq-entry-cycles", cp.irq_entry, 1, 100000);
    cpun.finish();
    cn.finish();
    root.finish();

    // Instantiate and wire.
    rc_ = std::make_unique<pcie::root_complex>("host", rp);
    link_ = std::make_unique<pcie::link>("link", lp);
    soc_ = std::make_unique<router>("soc", bp);
    ram_ = std::make_unique<memory>("ram", mp);
    ep_ = std::make_unique<pcie::dwc_ep>("pcie_ep", ep);
    cpu_ = std::make_unique<native_cpu>("cpu", cp, dt_.blob());
    glue_ = std::make_unique<pcie::sid_glue>("sid_glue", glp);

    rc_->down.bind(link_->down_in);
    link_->down_out.bind(ep_->pcie_in);
    ep_->pcie_out.bind(link_->up_in);
    link_->up_out.bind(rc_->up);
    ep_->ltssm_enable.bind(*link_, 0);
    if (dmar) {
        edma_ = std::make_unique<pcie::dwc_edma>("edma", dp);
        edma_->pcie.bind(ep_->dma_in);
    }
    link_->link_up.bind(*ep_, 0);
    link_->link_up.bind(*rc_, 0);

    // Masters on the SoC interconnect: the CPU, the endpoint's inbound path (glue, then the SMMU if any),
    // and the table walkers of the GIC, ITS and SMMU.
    cpu_->bus.bind(soc_->in);
    ep_->axi_out.bind(glue_->in);
    unsigned port = 0;
    auto map_target = [&](auto& s, const dt_range& r, const std::string& label) { // any bind policy
        soc_->out.bind(s);
        soc_->map(port++, r.base, r.size, label);
    };
    map_target(ram_->socket, ramr, "ram");
    for (auto [s, n] : {std::pair<tlm::tlm_base_target_socket<>*, const char*>{&ep_->dbi, "dbi"},
                        {&ep_->dbi2, "dbi2"}, {&ep_->atu, "atu"}, {&ep_->app, "app"},
                        {&ep_->addr_space, "addr_space"}})
        map_target(*s, ep_node->reg(n), std::string("pcie_ep.") + n);

    if (gic_node) {
        gic_ = std::make_unique<gic::gicv3>("gic", gp);
        map_target(gic_->gicd, gicd, "gic.gicd");
        map_target(gic_->gicr, gicr, "gic.gicr");
        gic_->mem.bind(soc_->in);
        gic_->irq.bind(*cpu_, 0);
        cpu_->attach_interrupt_controller(*gic_);
    }
    if (its_node) {
        its_ = std::make_unique<gic::gicv3_its>("its", ip);
        map_target(its_->regs, itsr, "its");
        its_->mem.bind(soc_->in);
        its_->connect(*gic_);
    }
    if (smmu_node) {
        smmu_ = std::make_unique<smmu::smmuv3>("smmu", smp);
        map_target(smmu_->regs, smmur, "smmu");
        glue_->out.bind(smmu_->in);
        smmu_->out.bind(soc_->in);
        smmu_->walker.bind(soc_->in);
        for (std::size_t i = 0; i < smmu_irqs.size(); ++i)
            (smmu_irq_names[i] == "eventq" ? smmu_->evtq_irq : smmu_->gerror_irq).bind(*gic_, smmu_irqs[i].number);
    } else {
        glue_->out.bind(soc_->in);
    }
    if (glp.type == pcie::sid_glue::kind::lut)
        map_target(glue_->regs, glue_regs, "lut");
    if (edma_) {
        map_target(edma_->regs, *dmar, "pcie_ep.dma");
        edma_->local.bind(soc_->in);
        for (std::size_t i = 0; i < dma_irqs.size(); ++i)
            edma_->irq(static_cast<unsigned>(i)).bind(*gic_, dma_irqs[i].number);
    }

    SC_HAS_PROCESS(platform);
    SC_THREAD(host_thread);
}

platform::~platform() = default;

void platform::host_thread() {
    if (!host_sw_)
        return;
    host_sw_(rc_->host_hal());
    host_done_ = true;
    sc_core::sc_stop();
}

bool platform::run(const sc_core::sc_time& limit) {
    sc_core::sc_start(limit);
    return host_done_;
}

host::enum_config platform::enumeration_config() const {
    const auto& rp = rc_->get_params();
    host::enum_config cfg;
    cfg.bus = rp.secondary_bus;
    cfg.mmio32_base = rp.mmio32_base;
    cfg.mmio32_size = rp.mmio32_size;
    cfg.mmio64_base = rp.mmio64_base;
    cfg.mmio64_size = rp.mmio64_size;
    return cfg;
}

std::string platform::memory_map() const {
    std::ostringstream os;
    for (const auto& r : soc_->ranges()) {
        char line[128];
        std::snprintf(line, sizeof line, "  0x%010llx-0x%010llx  %s\n", static_cast<unsigned long long>(r.base),
                      static_cast<unsigned long long>(r.base + r.size - 1), r.label.c_str());
        os << line;
    }
    return os.str();
}

} // namespace dbvp::platform
