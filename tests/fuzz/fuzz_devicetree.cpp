// fuzz_devicetree — the platform description loader and validator (tb/src/devicetree.cpp) and the platform
// builder (tb/src/platform.cpp), then the firmware's reading of the validated blob (sw/fw/fdt.cpp).
//
// Input: a flattened device tree blob, optionally followed (after fdt_totalsize bytes) by overrides, one per line,
// as `dbvp run --set node/path/property=value` passes them. An input without the FDT magic that has "/dts-v1/" in
// its first KiB is device tree source instead and goes through device_tree::load's dtc path (one dtc process per input: slow; inputs that
// /include/ or /incbin/ other files are rejected so dtc never reads anything but the input).
//
// What runs: dbvp::platform::platform's constructor on the input, exactly as `dbvp run --platform FILE --set ...`
// does it — load (and dtc), overrides, every node and property check, and, when the description is valid, the
// instantiation and binding of every model it describes (root complex, link, router, RAM, endpoint controller,
// eDMA, GICv3, ITS, SMMUv3, glue, CPU). The validation is interleaved with reading the properties inside that
// constructor (it is an sc_module), so the target builds modules: each input gets a fresh top-level module with
// a unique name, destroyed after the input. The simulation is never started (SystemC elaborates once per process),
// so the models' threads never run here; processes of destroyed modules stay registered with the kernel
// (a few KiB per valid input, not a leak LeakSanitizer reports).
//
// Oracle: the only error allowed is dbvp::platform::config_error (docs/architecture.md "Errors": user mistakes);
// any other exception, a SystemC error, a crash, UB or a leak is a finding. A description that builds must also
// satisfy what docs/platform.md promises of a built platform (checked below, wrap-safe): the 32-bit window below
// 4 GiB, an aligned MSI address, no overlap between the host's ranges or between the SoC ranges, and no range
// that wraps around the 64-bit address space. The firmware's fdt_view then reads the blob the firmware would get
// (find_compatible, reg / reg_by_name, map_id over msi-map and iommu-map, cells, strings): it must not crash.
#include "fuzz_common.h"

#include "dbvp/fw/fdt.h"
#include "dbvp/platform/devicetree.h"
#include "dbvp/platform/platform.h"

extern "C" {
#include <libfdt.h>
}

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <typeinfo>
#include <string>
#include <unistd.h>
#include <vector>

DBVP_FUZZ_SC_MAIN

namespace {

using dbvp::fuzz::fail;
namespace pf = dbvp::platform;

std::string g_dtb, g_dts; // temporary files of this process (rewritten for every input)
unsigned long g_serial = 0;

std::string make_temp(const char* suffix) {
    std::string t = std::string("/tmp/dbvp-fuzz-dt-XXXXXX") + suffix;
    std::vector<char> buf(t.begin(), t.end());
    buf.push_back('\0');
    const int fd = mkstemps(buf.data(), static_cast<int>(std::strlen(suffix)));
    if (fd < 0) {
        std::perror("dbvp-fuzz: mkstemps");
        std::abort();
    }
    close(fd);
    return buf.data();
}

void remove_temps() {
    std::remove(g_dtb.c_str());
    std::remove(g_dts.c_str());
}

void write_file(const std::string& path, const std::uint8_t* data, std::size_t size) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
        std::perror("dbvp-fuzz: writing the input file");
        std::abort();
    }
}

std::uint32_t be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

bool contains(const std::uint8_t* data, std::size_t size, const char* what) {
    const std::size_t n = std::strlen(what);
    for (std::size_t i = 0; i + n <= size; ++i)
        if (std::memcmp(data + i, what, n) == 0)
            return true;
    return false;
}

// ---- Invariants of a built platform (docs/platform.md) ---------------------------------------------------------

struct range {
    std::uint64_t base, size;
    const char* what;
};
bool wraps(const range& r) { return r.size == 0 || r.base + (r.size - 1) < r.base; }
bool overlap(const range& a, const range& b) { // both non-wrapping
    const std::uint64_t a_last = a.base + (a.size - 1), b_last = b.base + (b.size - 1);
    return a.base <= b_last && b.base <= a_last;
}

void check_built(pf::platform& p) {
    const auto& rp = p.host().get_params();
    if (rp.mmio32_size > (1ull << 32) || rp.mmio32_base > (1ull << 32) - rp.mmio32_size)
        fail("accepted a 32-bit MMIO window 0x%llx + 0x%llx that does not lie below 4 GiB",
             static_cast<unsigned long long>(rp.mmio32_base), static_cast<unsigned long long>(rp.mmio32_size));
    if (rp.msi_address & 3)
        fail("accepted an MSI address 0x%llx that is not 4-byte aligned",
             static_cast<unsigned long long>(rp.msi_address));
    const range host[] = {{rp.mmio32_base, rp.mmio32_size, "dbvp,mmio32-window"},
                          {rp.mmio64_base, rp.mmio64_size, "dbvp,mmio64-window"},
                          {rp.mem_base, rp.mem_size, "host memory"},
                          {rp.msi_address, 4, "dbvp,msi-address"}};
    for (const auto& r : host)
        if (wraps(r))
            fail("accepted host range %s 0x%llx + 0x%llx that wraps around the address space", r.what,
                 static_cast<unsigned long long>(r.base), static_cast<unsigned long long>(r.size));
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = i + 1; j < 4; ++j)
            if (overlap(host[i], host[j]))
                fail("accepted overlapping host ranges %s and %s", host[i].what, host[j].what);
    std::vector<range> soc;
    for (const auto& r : p.soc().ranges())
        soc.push_back({r.base, r.size, r.label.c_str()});
    for (const auto& r : soc)
        if (wraps(r))
            fail("accepted SoC range %s 0x%llx + 0x%llx that wraps around the address space", r.what,
                 static_cast<unsigned long long>(r.base), static_cast<unsigned long long>(r.size));
    for (std::size_t i = 0; i < soc.size(); ++i)
        for (std::size_t j = i + 1; j < soc.size(); ++j)
            if (overlap(soc[i], soc[j]))
                fail("accepted overlapping SoC ranges %s and %s", soc[i].what, soc[j].what);
    const auto& lp = p.link().get_params();
    const auto& ep = p.ep().get_params();
    if (lp.generation > ep.link_generation || lp.width > ep.link_width)
        fail("the link trains above the endpoint's capabilities");
    (void)p.memory_map();
    (void)p.enumeration_config();
}

// ---- The firmware's view of the validated blob (sw/fw/fdt.cpp) ----------------------------------------------

void firmware_reads(const void* blob) {
    const dbvp::fw::fdt_view v(blob);
    static const char* const compatibles[] = {"dbvp,pcie-host",   "dbvp,pcie-link",      "dbvp,native-cpu",
                                              "dbvp,interconnect", "snps,dw-pcie-ep",    "dbvp,dwc-pcie-ep",
                                              "arm,gic-v3",        "arm,gic-v3-its",     "arm,smmu-v3",
                                              "dbvp,imx95-pcie-lut", "dbvp,rid-map"};
    for (const char* c : compatibles) {
        int start = -1;
        for (int k = 0; k < 4; ++k) {
            auto n = v.find_compatible(c, start);
            if (!n)
                break;
            const int node = n.value();
            start = node;
            (void)v.available(node);
            (void)v.node_name(node);
            for (unsigned i = 0; i < 8; ++i)
                (void)v.reg(node, i);
            for (const char* name : {"dbi", "dbi2", "atu", "app", "addr_space", "dma", "nothing"})
                (void)v.reg_by_name(node, name);
            for (const char* prop : {"interrupts", "msi-map", "iommu-map", "msi-parent", "iommus", "reg"})
                (void)v.cells(node, prop);
            for (const char* prop : {"status", "compatible", "interrupt-names", "reg-names", "device_type"})
                (void)v.str(node, prop, "?");
            for (const char* prop : {"num-ib-windows", "num-ob-windows", "max-functions", "#msi-cells",
                                     "dbvp,num-spis", "dbvp,devbits"})
                (void)v.u32(node, prop, 0);
            for (const char* prop : {"clock-frequency", "dbvp,msi-address"})
                (void)v.u64(node, prop, 0);
            for (std::uint32_t id : {0u, 1u, 0x100u, 0x1ffu, 0xffffu, 0x10000u, 0xffffffffu}) {
                (void)v.map_id(node, "msi-map", "msi-map-mask", id);
                (void)v.map_id(node, "iommu-map", "iommu-map-mask", id);
            }
        }
    }
    (void)v.find_memory();
    for (const char* path : {"/", "/host", "/host/memory", "/soc", "/cpus", "/pcie-link", "/nonexistent"})
        (void)v.find_path(path);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    dbvp::fuzz::install_reports();
    g_dtb = make_temp(".dtb");
    g_dts = make_temp(".dts");
    std::atexit(remove_temps);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pf::platform::options opt;
    const bool fdt_magic = size >= 4 && be32(data) == FDT_MAGIC;
    if (!fdt_magic && contains(data, std::min<std::size_t>(size, 1024), "/dts-v1/")) {
        if (contains(data, size, "/include/") || contains(data, size, "/incbin/") || contains(data, size, "#include"))
            return -1; // would make dtc read other files
        write_file(g_dts, data, size);
        opt.platform = g_dts;
    } else {
        write_file(g_dtb, data, size);
        opt.platform = g_dtb;
        // Overrides after the blob: fdt_totalsize (header word 1) bytes are the blob.
        if (size >= 8) {
            const std::size_t total = be32(data + 4);
            if (total >= 8 && total < size) {
                std::string line;
                for (std::size_t i = total; i < size && opt.overrides.size() < 16; ++i) {
                    if (data[i] == '\n') {
                        if (!line.empty())
                            opt.overrides.push_back(line);
                        line.clear();
                    } else {
                        line.push_back(static_cast<char>(data[i]));
                    }
                }
                if (!line.empty() && opt.overrides.size() < 16)
                    opt.overrides.push_back(line);
            }
        }
    }

    const std::string name = "fuzz_platform_" + std::to_string(g_serial++);
    try {
        pf::platform p(name.c_str(), opt);
        check_built(p);
        firmware_reads(p.dt().blob());
        if (dbvp::fuzz::verbose())
            std::fprintf(stderr, "dbvp-fuzz devicetree: built (%zu overrides)\n%s", opt.overrides.size(),
                         p.memory_map().c_str());
    } catch (const pf::config_error& e) {
        if (dbvp::fuzz::verbose())
            std::fprintf(stderr, "dbvp-fuzz devicetree: config_error: %s\n", e.what());
        // The documented answer. It must name the file it was given.
        if (e.file() != opt.platform)
            fail("config_error names file \"%s\", not the platform file \"%s\": %s", e.file().c_str(),
                 opt.platform.c_str(), e.what());
        if (!*e.what())
            fail("config_error without a message");
    } catch (const std::exception& e) {
        fail("the platform builder threw %s (not dbvp::platform::config_error): %s", typeid(e).name(), e.what());
    } catch (...) {
        fail("the platform builder threw a non-std exception");
    }
    return 0;
}
