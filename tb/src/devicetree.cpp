#include "dbvp/platform/devicetree.h"

#include "dbvp/util/format.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern "C" {
#include <libfdt.h>
}

namespace dbvp::platform {

namespace {
std::uint64_t be_cells(const void* p, int n) {
    std::uint64_t v = 0;
    const auto* c = static_cast<const fdt32_t*>(p);
    for (int i = 0; i < n; ++i)
        v = (v << 32) | fdt32_to_cpu(c[i]);
    return v;
}
const std::set<std::string>& standard_properties() {
    static const std::set<std::string> s{"compatible", "name",         "phandle",        "linux,phandle",
                                         "status",     "#address-cells", "#size-cells", "ranges",
                                         "model",      "device_type",  "interrupt-parent", "dbvp,description"};
    return s;
}

/// One word of an override's value, as a number.
struct override_number {
    enum kind { number, negative, too_wide, not_a_number } k = not_a_number;
    std::uint64_t value = 0;
};

override_number parse_override_number(const std::string& tok) {
    override_number n;
    if (tok.empty() || tok[0] == '-' || tok[0] == '+') {
        if (tok.size() > 1 && tok[0] == '-' && parse_override_number(tok.substr(1)).k != override_number::not_a_number)
            n.k = override_number::negative;
        return n;
    }
    char* end = nullptr;
    errno = 0;
    n.value = std::strtoull(tok.c_str(), &end, 0);
    if (!end || *end || !std::isdigit(static_cast<unsigned char>(tok[0])))
        n.k = override_number::not_a_number;
    else
        n.k = errno == ERANGE ? override_number::too_wide : override_number::number;
    return n;
}

std::vector<std::string> words(const std::string& s) {
    std::istringstream ss(s);
    std::vector<std::string> out;
    std::string w;
    while (ss >> w)
        out.push_back(w);
    return out;
}
} // namespace

config_error::config_error(const std::string& file, const std::string& node, const std::string& property,
                           const std::string& problem)
    : std::runtime_error(file + ": node " + (node.empty() ? "/" : node) +
                         (property.empty() ? "" : ": property " + property) + ": " + problem),
      file_(file), node_(node), property_(property), problem_(problem) {}

// ---- device_tree ----------------------------------------------------------------------------------------------

device_tree::device_tree(std::string file, std::vector<char> blob) : file_(std::move(file)), blob_(std::move(blob)) {
    if (blob_.size() < sizeof(fdt_header) || fdt_check_header(blob_.data()) != 0)
        throw config_error(file_, "", "", "not a valid flattened device tree");
    const std::size_t total = fdt_totalsize(blob_.data());
    if (total > blob_.size())
        throw config_error(file_, "", "", "truncated device tree blob");
    // The whole blob (reservation map, structure, strings) before libfdt rearranges it: a malformed one would
    // otherwise reach fdt_open_into() (found by fuzz_devicetree: a negative memmove in libfdt 1.6.1).
    if (fdt_check_full(blob_.data(), total) != 0)
        throw config_error(file_, "", "", "malformed device tree blob");
    // Room for overrides.
    std::vector<char> roomy(total + 64 * 1024);
    if (fdt_open_into(blob_.data(), roomy.data(), static_cast<int>(roomy.size())) != 0)
        throw config_error(file_, "", "", "cannot open device tree blob");
    blob_ = std::move(roomy);
}

device_tree device_tree::load(const std::string& file) {
    const bool is_source = file.size() > 4 && file.compare(file.size() - 4, 4, ".dts") == 0;
    std::string path = file;
    std::string tmp;
    if (is_source) {
        char name[] = "/tmp/dbvp-dtb-XXXXXX";
        const int fd = mkstemp(name);
        if (fd < 0)
            throw config_error(file, "", "", std::string("cannot create a temporary file: ") + std::strerror(errno));
        close(fd);
        tmp = name;
        // dtc runs without a shell (no quoting issues); its messages go to a second temporary file.
        const std::string errfile = tmp + ".err";
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 2, errfile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const char* argv[] = {"dtc", "-q", "-I", "dts", "-O", "dtb", "-o", tmp.c_str(), file.c_str(), nullptr};
        pid_t pid = 0;
        int rc = posix_spawnp(&pid, "dtc", &fa, nullptr, const_cast<char* const*>(argv), environ);
        posix_spawn_file_actions_destroy(&fa);
        int wstatus = 0;
        if (rc == 0 && waitpid(pid, &wstatus, 0) == pid)
            rc = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 1;
        else if (rc == 0)
            rc = 1;
        std::ifstream err(errfile);
        const std::string out((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
        std::remove(errfile.c_str());
        if (rc != 0) {
            std::remove(tmp.c_str());
            throw config_error(file, "", "", "dtc failed: " + (out.empty() ? std::string("is dtc installed?") : out));
        }
        path = tmp;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (!tmp.empty())
            std::remove(tmp.c_str());
        throw config_error(file, "", "", "cannot open file");
    }
    std::vector<char> blob((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!tmp.empty())
        std::remove(tmp.c_str());
    return device_tree(file, std::move(blob));
}

dt_node device_tree::root() const { return dt_node(*this, 0); }

std::optional<dt_node> device_tree::find(const char* path) const {
    const int off = fdt_path_offset(blob_.data(), path);
    if (off < 0)
        return std::nullopt;
    return dt_node(*this, off);
}

void device_tree::set_property(const std::string& assignment) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0)
        throw config_error(file_, "", assignment, "override must look like node/path/property=value");
    // No slash before '=': a property of the root node.
    const auto found = assignment.rfind('/', eq);
    const std::size_t slash = found == std::string::npos ? 0 : found;
    std::string node = found == std::string::npos ? "/" : assignment.substr(0, slash);
    if (node.empty() || node[0] != '/')
        node = "/" + node;
    const std::string prop =
        found == std::string::npos ? assignment.substr(0, eq) : assignment.substr(slash + 1, eq - slash - 1);
    const std::string value = assignment.substr(eq + 1);
    const int off = fdt_path_offset(blob_.data(), node.c_str());
    if (off < 0)
        throw config_error(file_, node, prop, config_error::NO_SUCH_NODE);
    if (prop.empty())
        throw config_error(file_, node, prop, "override has no property name");
    // Numbers -> cells; nothing -> an empty property (a flag); anything else -> string. The text is kept for the
    // readers' checks (dt_node::check_numeric_override).
    std::vector<fdt32_t> cells;
    const auto toks = words(value);
    bool numeric = !toks.empty();
    for (const auto& tok : toks) {
        const override_number n = parse_override_number(tok);
        if (n.k != override_number::number) {
            numeric = false;
            break;
        }
        if (n.value > 0xffffffffull)
            cells.push_back(cpu_to_fdt32(static_cast<std::uint32_t>(n.value >> 32)));
        cells.push_back(cpu_to_fdt32(static_cast<std::uint32_t>(n.value)));
    }
    char canonical[512];
    overrides_[{fdt_get_path(blob_.data(), off, canonical, sizeof canonical) < 0 ? node : std::string(canonical),
                prop}] = value;
    int rc;
    if (value.empty()) {
        rc = fdt_setprop(blob_.data(), off, prop.c_str(), nullptr, 0);
    } else if (numeric && !cells.empty()) {
        rc = fdt_setprop(blob_.data(), off, prop.c_str(), cells.data(), static_cast<int>(cells.size() * 4));
    } else {
        std::string s = value;
        if (s.size() >= 2 && s.front() == '"' && s.back() == '"')
            s = s.substr(1, s.size() - 2);
        rc = fdt_setprop_string(blob_.data(), off, prop.c_str(), s.c_str());
    }
    if (rc != 0)
        throw config_error(file_, node, prop, std::string("cannot apply override: ") + fdt_strerror(rc));
}

const std::string* device_tree::override_text(const std::string& node_path, const std::string& prop) const {
    const auto it = overrides_.find({node_path, prop});
    return it == overrides_.end() ? nullptr : &it->second;
}

// ---- dt_node --------------------------------------------------------------------------------------------------

dt_node::dt_node(const device_tree& dt, int offset) : dt_(&dt), offset_(offset) {}

std::string dt_node::path() const {
    char p[512];
    if (fdt_get_path(dt_->blob(), offset_, p, sizeof p) < 0)
        return "?";
    return p;
}

std::string dt_node::name() const {
    const char* n = fdt_get_name(dt_->blob(), offset_, nullptr);
    return n ? n : "";
}

void dt_node::fail(const char* prop, const std::string& problem) const {
    throw config_error(dt_->file(), path(), prop ? prop : "", problem);
}

const void* dt_node::raw(const char* prop, int& len) const {
    len = 0;
    return fdt_getprop(dt_->blob(), offset_, prop, &len);
}

bool dt_node::has(const char* prop) const {
    int len;
    return raw(prop, len) != nullptr;
}

void dt_node::consume(const char* prop) { consumed_.insert(prop); }

void dt_node::check_numeric_override(const char* prop, const std::string& expected, bool ranged, std::uint64_t min,
                                     std::uint64_t max, bool in_hex, std::size_t max_numbers) const {
    if (!dt_->overrides_property(prop))
        return;
    const std::string* text = dt_->override_text(path(), prop);
    if (!text)
        return;
    auto fmt = [&](std::uint64_t v) { return in_hex ? hex(v) : std::to_string(v); };
    const std::string accepted = "accepted range " + fmt(min) + ".." + fmt(max);
    const std::string note = ranged ? " (" + accepted + ")" : "";
    const auto toks = words(*text);
    if (toks.empty())
        fail(prop, expected + ", found an empty value" + note);
    for (const auto& tok : toks)
        if (parse_override_number(tok).k == override_number::not_a_number)
            fail(prop, expected + ", found \"" + *text + "\", which is not a number" + note);
    if (max_numbers && toks.size() > max_numbers)
        fail(prop, expected + ", found " + std::to_string(toks.size()) + " numbers (\"" + *text + "\")" + note);
    if (ranged && toks.size() == 1) {
        const override_number n = parse_override_number(toks[0]);
        if (n.k == override_number::negative)
            fail(prop, "value " + toks[0] + " outside the " + accepted);
        if (n.k == override_number::too_wide)
            fail(prop, expected + ", found " + toks[0] + ", which does not fit in 64 bits" + note);
        if (n.value < min || n.value > max)
            fail(prop, "value " + fmt(n.value) + " outside the " + accepted);
        return;
    }
    for (const auto& tok : toks) {
        const override_number n = parse_override_number(tok);
        if (n.k == override_number::negative)
            fail(prop, expected + ", found \"" + *text + "\": " + tok + " is negative");
        if (n.k == override_number::too_wide)
            fail(prop, expected + ", found \"" + *text + "\": " + tok + " does not fit in 64 bits");
    }
}

std::optional<dt_node> dt_node::by_phandle(std::uint32_t phandle) const {
    if (phandle == 0 || phandle == 0xffffffffu)
        return std::nullopt;
    const int off = fdt_node_offset_by_phandle(dt_->blob(), phandle);
    if (off < 0)
        return std::nullopt;
    return dt_node(*dt_, off);
}

bool dt_node::compatible_with(const char* compat) const {
    return fdt_node_check_compatible(dt_->blob(), offset_, compat) == 0;
}

std::uint32_t dt_node::u32(const char* prop, std::uint32_t fallback, std::uint32_t min, std::uint32_t max) {
    consumed_.insert(prop);
    int len;
    const void* p = raw(prop, len);
    if (!p)
        return fallback;
    check_numeric_override(prop, "expected one cell", true, min, max, false, 1);
    std::uint64_t v;
    if (len == 4)
        v = be_cells(p, 1);
    else if (len == 1) // /bits/ 8 values, as Linux uses for max-functions
        v = *static_cast<const std::uint8_t*>(p);
    else
        fail(prop, "expected one cell, found " + std::to_string(len) + " bytes");
    if (v < min || v > max)
        fail(prop, "value " + std::to_string(v) + " outside the accepted range " + std::to_string(min) + ".." +
                       std::to_string(max));
    return static_cast<std::uint32_t>(v);
}

std::uint32_t dt_node::u32_required(const char* prop, std::uint32_t min, std::uint32_t max) {
    if (!has(prop))
        fail(prop, "required property is missing");
    return u32(prop, 0, min, max);
}

std::uint64_t dt_node::u64(const char* prop, std::uint64_t fallback, std::uint64_t min, std::uint64_t max) {
    consumed_.insert(prop);
    int len;
    const void* p = raw(prop, len);
    if (!p)
        return fallback;
    check_numeric_override(prop, "expected one or two cells", true, min, max, true, 2);
    if (len != 4 && len != 8)
        fail(prop, "expected one or two cells, found " + std::to_string(len) + " bytes");
    const std::uint64_t v = be_cells(p, len / 4);
    if (v < min || v > max)
        fail(prop, "value " + hex(v) + " outside the accepted range " + hex(min) + ".." + hex(max));
    return v;
}

std::uint64_t dt_node::pow2(const char* prop, std::uint64_t fallback, std::uint64_t min, std::uint64_t max) {
    const std::uint64_t v = u64(prop, fallback, min, max);
    if (v & (v - 1))
        fail(prop, "value " + hex(v) + " is not a power of two (accepted: powers of two from " + hex(min) + " to " +
                       hex(max) + ")");
    return v;
}

bool dt_node::flag(const char* prop) {
    consumed_.insert(prop);
    int len;
    const void* p = raw(prop, len);
    if (p && len != 0)
        fail(prop, "a flag property takes no value");
    return p != nullptr;
}

std::string dt_node::str(const char* prop, const std::string& fallback, const std::vector<std::string>& allowed) {
    consumed_.insert(prop);
    int len;
    const char* p = static_cast<const char*>(raw(prop, len));
    if (!p)
        return fallback;
    if (len == 0 || p[len - 1] != '\0' || std::strlen(p) + 1 != static_cast<std::size_t>(len))
        fail(prop, "expected one string");
    std::string s(p);
    if (!allowed.empty()) {
        bool ok = false;
        std::string list;
        for (const auto& a : allowed) {
            ok = ok || a == s;
            list += (list.empty() ? "" : ", ") + a;
        }
        if (!ok)
            fail(prop, "\"" + s + "\" is not one of: " + list);
    }
    return s;
}

std::vector<std::string> dt_node::strings(const char* prop) {
    consumed_.insert(prop);
    std::vector<std::string> out;
    int len;
    const char* p = static_cast<const char*>(raw(prop, len));
    if (!p)
        return out;
    if (len == 0 || p[len - 1] != '\0')
        fail(prop, "expected a list of strings");
    for (int i = 0; i < len;) {
        out.emplace_back(p + i);
        i += static_cast<int>(out.back().size()) + 1;
    }
    return out;
}

std::vector<std::uint32_t> dt_node::cells(const char* prop, unsigned multiple_of) {
    consumed_.insert(prop);
    int len;
    const void* p = raw(prop, len);
    std::vector<std::uint32_t> out;
    if (!p)
        return out;
    check_numeric_override(prop, "expected cells (numbers)", false, 0, 0, false);
    if (len % 4 != 0 || (multiple_of && (len / 4) % multiple_of != 0))
        fail(prop, "expected a multiple of " + std::to_string(multiple_of ? multiple_of : 1) + " cells, found " +
                       std::to_string(len) + " bytes");
    const auto* c = static_cast<const fdt32_t*>(p);
    for (int i = 0; i < len / 4; ++i)
        out.push_back(fdt32_to_cpu(c[i]));
    return out;
}

std::vector<dt_node::spi> dt_node::interrupts(unsigned max_spis) {
    std::vector<spi> out;
    const auto c = cells("interrupts", 3);
    for (std::size_t i = 0; i < c.size(); i += 3) {
        if (c[i] != 0)
            fail("interrupts", "only SPIs (first cell 0) can be wired on this platform");
        if (c[i + 1] >= max_spis)
            fail("interrupts", "SPI " + std::to_string(c[i + 1]) + " does not exist (the GIC has " +
                                   std::to_string(max_spis) + ")");
        if (c[i + 2] != 1 && c[i + 2] != 4)
            fail("interrupts", "trigger " + std::to_string(c[i + 2]) + " is not 1 (edge rising) or 4 (level high)");
        out.push_back({c[i + 1], c[i + 2] == 1});
    }
    return out;
}

bool dt_node::enabled() {
    const std::string st = str("status", "okay", {"okay", "ok", "disabled"});
    return st != "disabled";
}

int dt_node::cell_count(bool address, bool self) const {
    int node = offset_;
    if (!self) {
        node = fdt_parent_offset(dt_->blob(), offset_);
        if (node < 0)
            node = 0;
    }
    const int n = address ? fdt_address_cells(dt_->blob(), node) : fdt_size_cells(dt_->blob(), node);
    // The error names the node that has the property (the parent, for reg), not the node being read.
    if (n < 0 || n > 2)
        throw config_error(dt_->file(), dt_node(*dt_, node).path(), address ? "#address-cells" : "#size-cells",
                           "must be 1 or 2 (or 0 for sizes)");
    return n;
}

std::optional<dt_range> dt_node::optional_range(const char* prop, bool cells_from_self) {
    consumed_.insert(prop);
    int len;
    const void* p = raw(prop, len);
    if (!p)
        return std::nullopt;
    check_numeric_override(prop, "expected an address and a size (numbers)", false, 0, 0, false);
    const int ac = cell_count(true, cells_from_self), sc = cell_count(false, cells_from_self);
    if (len != (ac + sc) * 4)
        fail(prop, "expected " + std::to_string(ac) + " address and " + std::to_string(sc) + " size cells (" +
                       std::to_string((ac + sc) * 4) + " bytes), found " + std::to_string(len) + " bytes");
    const auto* c = static_cast<const fdt32_t*>(p);
    dt_range r{be_cells(c, ac), be_cells(c + ac, sc)};
    if (r.size == 0)
        fail(prop, "size must not be zero");
    if (r.base + (r.size - 1) < r.base)
        fail(prop, "range wraps around the address space");
    return r;
}

dt_range dt_node::range(const char* prop, bool cells_from_self) {
    auto r = optional_range(prop, cells_from_self);
    if (!r)
        fail(prop, "required property is missing");
    return *r;
}

dt_range dt_node::reg(unsigned index) {
    consumed_.insert("reg");
    int len;
    const void* p = raw("reg", len);
    if (!p)
        fail("reg", "required property is missing");
    check_numeric_override("reg", "expected address and size cells (numbers)", false, 0, 0, false);
    const int ac = cell_count(true, false), sc = cell_count(false, false);
    const int entry = (ac + sc) * 4;
    if (entry == 0 || len % entry != 0)
        fail("reg", "length " + std::to_string(len) + " bytes is not a multiple of " + std::to_string(ac) +
                        " address + " + std::to_string(sc) + " size cells");
    if (static_cast<int>(index) >= len / entry)
        fail("reg", "entry " + std::to_string(index) + " is missing (" + std::to_string(len / entry) + " entries)");
    const auto* c = static_cast<const fdt32_t*>(p) + index * (ac + sc);
    dt_range r{be_cells(c, ac), be_cells(c + ac, sc)};
    if (r.size == 0)
        fail("reg", "entry " + std::to_string(index) + " has size zero");
    return r;
}

std::optional<dt_range> dt_node::optional_reg(const char* name) {
    consumed_.insert("reg-names");
    const int idx = fdt_stringlist_search(dt_->blob(), offset_, "reg-names", name);
    if (idx < 0)
        return std::nullopt;
    return reg(static_cast<unsigned>(idx));
}

dt_range dt_node::reg(const char* name) {
    auto r = optional_reg(name);
    if (!r)
        fail("reg-names", std::string("no reg entry named \"") + name + "\"");
    return *r;
}

std::optional<dt_node> dt_node::child(const char* name) {
    const int off = fdt_subnode_offset(dt_->blob(), offset_, name);
    if (off < 0)
        return std::nullopt;
    children_.insert(off);
    return dt_node(*dt_, off);
}

dt_node dt_node::child_required(const char* name) {
    auto c = child(name);
    if (!c)
        throw config_error(dt_->file(), path() == "/" ? "/" + std::string(name) : path() + "/" + name, "",
                           "required node is missing");
    return *c;
}

std::vector<dt_node> dt_node::children() {
    std::vector<dt_node> out;
    int off;
    fdt_for_each_subnode(off, dt_->blob(), offset_) {
        out.emplace_back(*dt_, off);
    }
    return out;
}

void dt_node::consume_child(const dt_node& c) { children_.insert(c.offset()); }

void dt_node::finish() const {
    int prop;
    fdt_for_each_property_offset(prop, dt_->blob(), offset_) {
        const char* name = nullptr;
        int len = 0;
        const void* value = fdt_getprop_by_offset(dt_->blob(), prop, &name, &len);
        if (!value || !name)
            continue;
        if (!consumed_.count(name) && !standard_properties().count(name))
            fail(name, "unknown property");
        if (std::strcmp(name, "interrupt-parent") == 0) {
            // Standard, allowed everywhere; it must still refer to an interrupt controller.
            check_numeric_override(name, "expected one cell (a phandle)", false, 0, 0, false, 1);
            if (len != 4)
                fail(name, "expected one cell (a phandle), found " + std::to_string(len) + " bytes");
            const auto ph = static_cast<std::uint32_t>(be_cells(value, 1));
            const auto target = by_phandle(ph);
            if (!target)
                fail(name, "phandle " + hex(ph) + " refers to no node");
            if (!target->has("interrupt-controller"))
                fail(name, "phandle " + hex(ph) + " refers to " + target->path() +
                               ", which is not an interrupt controller (no interrupt-controller property)");
        }
    }
    int off;
    fdt_for_each_subnode(off, dt_->blob(), offset_) {
        if (!children_.count(off)) {
            const char* n = fdt_get_name(dt_->blob(), off, nullptr);
            throw config_error(dt_->file(), path() == "/" ? "/" + std::string(n) : path() + "/" + n, "",
                               "unknown node");
        }
    }
}

} // namespace dbvp::platform
