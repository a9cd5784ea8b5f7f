#include "dbvp/platform/platform.h"

#include "dbvp/util/format.h"

#include "dbvp/core/master.h"

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
    std::optional<dt_node> ram_node, ep_node;
    for (auto& c : sn.children()) {
        if (c.str("device_type", "") == "memory") {
            if (ram_node)
                c.fail("device_type", "a second memory node; this platform has one endpoint RAM");
            ram_node = c;
        } else if (c.compatible_with("dbvp,dwc-pcie-ep")) {
            if (ep_node)
                c.fail("compatible", "a second endpoint controller; this platform has one");
            ep_node = c;
        } else {
            c.fail("compatible", "unknown device on the SoC interconnect");
        }
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

    const pcie::dwc_ep::params ep = ep_params(*ep_node);
    struct soc_range {
        dt_range r;
        std::string what;
    };
    std::vector<soc_range> soc_ranges{{ramr, ram_node->path() + " reg"}};
    for (const char* n : {"dbi", "dbi2", "atu", "app", "addr_space"})
        soc_ranges.push_back({ep_node->reg(n), ep_node->path() + " reg \"" + n + "\""});
    const std::uint64_t dbi_need = ep.num_functions * ep.func_dbi_stride;
    for (const char* n : {"dbi", "dbi2"})
        if (ep_node->reg(n).size < dbi_need)
            ep_node->fail("reg", std::string("the ") + n + " window is smaller than max-functions x dbvp,func-dbi-stride");
    for (std::size_t i = 0; i < soc_ranges.size(); ++i)
        for (std::size_t j = i + 1; j < soc_ranges.size(); ++j)
            if (soc_ranges[i].r.base < soc_ranges[j].r.base + soc_ranges[j].r.size &&
                soc_ranges[j].r.base < soc_ranges[i].r.base + soc_ranges[i].r.size)
                ep_node->fail("reg", soc_ranges[j].what + " overlaps " + soc_ranges[i].what);
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

    rc_->down.bind(link_->down_in);
    link_->down_out.bind(ep_->pcie_in);
    ep_->pcie_out.bind(link_->up_in);
    link_->up_out.bind(rc_->up);
    ep_->ltssm_enable.bind(*link_, 0);
    link_->link_up.bind(*ep_, 0);
    link_->link_up.bind(*rc_, 0);

    cpu_->bus.bind(soc_->in);
    ep_->axi_out.bind(soc_->in);
    unsigned port = 0;
    soc_->out.bind(ram_->socket);
    soc_->map(port++, ramr.base, ramr.size, "ram");
    auto map_ep = [&](tlm::tlm_base_target_socket<>& s, const char* n) {
        soc_->out.bind(s);
        const dt_range r = ep_node->reg(n);
        soc_->map(port++, r.base, r.size, std::string("pcie_ep.") + n);
    };
    map_ep(ep_->dbi, "dbi");
    map_ep(ep_->dbi2, "dbi2");
    map_ep(ep_->atu, "atu");
    map_ep(ep_->app, "app");
    map_ep(ep_->addr_space, "addr_space");

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
