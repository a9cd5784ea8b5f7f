#include "dbvp/fw/fdt.h"

#include <cstdio>
#include <cstring>

extern "C" {
#include <libfdt.h>
}

namespace dbvp::fw {

namespace {
std::uint64_t read_cells(const fdt32_t* p, int cells) {
    std::uint64_t v = 0;
    for (int i = 0; i < cells; ++i)
        v = (v << 32) | fdt32_to_cpu(p[i]);
    return v;
}
} // namespace

result<int> fdt_view::find_compatible(const char* compat, int start) const {
    const int off = fdt_node_offset_by_compatible(blob_, start, compat);
    if (off < 0)
        return status(errc::no_device, std::string("no node compatible with \"") + compat + "\"");
    return off;
}

result<int> fdt_view::find_memory() const {
    const int off = fdt_node_offset_by_prop_value(blob_, -1, "device_type", "memory", sizeof "memory");
    if (off < 0)
        return status(errc::no_device, "no memory node (device_type = \"memory\")");
    return off;
}

result<int> fdt_view::find_path(const char* path) const {
    const int off = fdt_path_offset(blob_, path);
    if (off < 0)
        return status(errc::no_device, std::string("no node ") + path);
    return off;
}

result<reg_range> fdt_view::reg(int node, unsigned index) const {
    const int parent = fdt_parent_offset(blob_, node);
    const int ac = fdt_address_cells(blob_, parent < 0 ? 0 : parent);
    const int sc = fdt_size_cells(blob_, parent < 0 ? 0 : parent);
    int len = 0;
    const auto* p = static_cast<const fdt32_t*>(fdt_getprop(blob_, node, "reg", &len));
    if (!p || ac < 0 || sc < 0)
        return status(errc::no_device, node_name(node) + ": no reg property");
    const int entry = (ac + sc);
    if (entry == 0 || len % (entry * 4) != 0)
        return status(errc::invalid_argument, node_name(node) + ": malformed reg property");
    if (static_cast<int>(index) >= len / (entry * 4))
        return status(errc::out_of_range, node_name(node) + ": reg entry " + std::to_string(index) + " missing");
    const fdt32_t* e = p + index * entry;
    return reg_range{read_cells(e, ac), read_cells(e + ac, sc)};
}

result<reg_range> fdt_view::reg_by_name(int node, const char* name) const {
    const int idx = fdt_stringlist_search(blob_, node, "reg-names", name);
    if (idx < 0)
        return status(errc::no_device, node_name(node) + ": no reg named \"" + name + "\"");
    return reg(node, static_cast<unsigned>(idx));
}

std::uint32_t fdt_view::u32(int node, const char* prop, std::uint32_t fallback) const {
    int len = 0;
    const auto* p = static_cast<const fdt32_t*>(fdt_getprop(blob_, node, prop, &len));
    if (!p || len < 4)
        return fallback;
    return fdt32_to_cpu(p[0]);
}

std::uint64_t fdt_view::u64(int node, const char* prop, std::uint64_t fallback) const {
    int len = 0;
    const auto* p = static_cast<const fdt32_t*>(fdt_getprop(blob_, node, prop, &len));
    if (!p || (len != 4 && len != 8))
        return fallback;
    return read_cells(p, len / 4);
}

bool fdt_view::has(int node, const char* prop) const { return fdt_getprop(blob_, node, prop, nullptr) != nullptr; }

std::string fdt_view::str(int node, const char* prop, const std::string& fallback) const {
    int len = 0;
    const char* v = static_cast<const char*>(fdt_getprop(blob_, node, prop, &len));
    return v && len > 0 ? std::string(v, strnlen(v, static_cast<std::size_t>(len))) : fallback;
}

bool fdt_view::available(int node) const {
    int len = 0;
    const char* st = static_cast<const char*>(fdt_getprop(blob_, node, "status", &len));
    return !st || std::strcmp(st, "okay") == 0 || std::strcmp(st, "ok") == 0;
}

std::vector<std::uint32_t> fdt_view::cells(int node, const char* prop) const {
    int len = 0;
    const auto* p = static_cast<const fdt32_t*>(fdt_getprop(blob_, node, prop, &len));
    std::vector<std::uint32_t> out;
    for (int i = 0; p && i < len / 4; ++i)
        out.push_back(fdt32_to_cpu(p[i]));
    return out;
}

result<std::uint32_t> fdt_view::map_id(int node, const char* map, const char* mask_prop, std::uint32_t id) const {
    int len = 0;
    const auto* p = static_cast<const fdt32_t*>(fdt_getprop(blob_, node, map, &len));
    if (!p)
        return id;
    if (len <= 0 || len % 16)
        return status(errc::invalid_argument, node_name(node) + ": malformed " + map + " (entries of 4 cells)");
    const std::uint32_t masked = id & u32(node, mask_prop, 0xffffffffu);
    for (int i = 0; i < len / 16; ++i) {
        const std::uint32_t in_base = fdt32_to_cpu(p[4 * i]), out_base = fdt32_to_cpu(p[4 * i + 2]);
        const std::uint32_t length = fdt32_to_cpu(p[4 * i + 3]);
        if (masked >= in_base && masked - in_base < length)
            return out_base + (masked - in_base);
    }
    char text[32];
    std::snprintf(text, sizeof text, "0x%x", static_cast<unsigned>(id));
    return status(errc::no_device, node_name(node) + ": " + map + " has no entry for ID " + text);
}

std::string fdt_view::node_name(int node) const {
    char path[256];
    if (fdt_get_path(blob_, node, path, sizeof path) < 0)
        return "?";
    return path;
}

} // namespace dbvp::fw
