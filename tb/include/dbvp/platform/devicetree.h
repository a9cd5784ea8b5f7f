// dbvp platform — validated reading of the platform description (a flattened device tree).
//
// The platform builder reads every node through a dt_node. Each property it reads is checked (present when
// required, right number of cells, inside its documented range) and marked as consumed; finish() then rejects
// any property or child node the builder did not read, so a typo in a property name is an error, not a silent
// default. Every error is a config_error naming the file, the node path and the property.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dbvp::platform {

class config_error : public std::runtime_error {
public:
    config_error(const std::string& file, const std::string& node, const std::string& property,
                 const std::string& problem);
    const std::string& file() const { return file_; }
    const std::string& node() const { return node_; }
    const std::string& property() const { return property_; }
    const std::string& problem() const { return problem_; }

    /// problem() of an override (--set) naming a node the description does not have.
    static constexpr const char* NO_SUCH_NODE = "override names a node that does not exist";

private:
    std::string file_, node_, property_, problem_;
};

class device_tree;

struct dt_range {
    std::uint64_t base = 0, size = 0;
};

class dt_node {
public:
    dt_node(const device_tree& dt, int offset);

    std::string path() const;
    std::string name() const;
    int offset() const { return offset_; }
    bool valid() const { return offset_ >= 0; }

    bool has(const char* prop) const;
    /// Mark a property as read without interpreting it (e.g. "compatible" that the caller checked).
    void consume(const char* prop);

    std::uint32_t u32(const char* prop, std::uint32_t fallback, std::uint32_t min, std::uint32_t max);
    std::uint32_t u32_required(const char* prop, std::uint32_t min, std::uint32_t max);
    /// One or two cells.
    std::uint64_t u64(const char* prop, std::uint64_t fallback, std::uint64_t min, std::uint64_t max);
    /// A power of two inside [min, max].
    std::uint64_t pow2(const char* prop, std::uint64_t fallback, std::uint64_t min, std::uint64_t max);
    bool flag(const char* prop);
    std::string str(const char* prop, const std::string& fallback, const std::vector<std::string>& allowed = {});
    /// An address/size pair with (#address-cells, #size-cells) of the parent (`cells_from_self` false) or of the
    /// node itself (for properties like windows described in its own cells).
    dt_range range(const char* prop, bool cells_from_self = false);
    std::optional<dt_range> optional_range(const char* prop, bool cells_from_self = false);
    /// reg entry `index`, or the one named in reg-names.
    dt_range reg(unsigned index);
    dt_range reg(const char* name);
    std::optional<dt_range> optional_reg(const char* name);
    std::vector<std::string> strings(const char* prop);
    /// All cells of a property (empty when absent); `multiple_of` checks the count (0: any).
    std::vector<std::uint32_t> cells(const char* prop, unsigned multiple_of = 0);
    /// Interrupt specifiers of a GICv3 child (`interrupts`, 3 cells: 0 = SPI, number, 1 = edge / 4 = level):
    /// the SPI numbers (0-based, INTID - 32) in order.
    struct spi {
        unsigned number;
        bool edge;
    };
    std::vector<spi> interrupts(unsigned max_spis);
    /// `status` is "okay" (or absent).
    bool enabled();
    bool compatible_with(const char* compat) const;

    /// The node a phandle refers to (nullopt: none).
    std::optional<dt_node> by_phandle(std::uint32_t phandle) const;

    /// Child node by name; required throws when missing.
    std::optional<dt_node> child(const char* name);
    dt_node child_required(const char* name);
    std::vector<dt_node> children();
    void consume_child(const dt_node& c);

    /// Reject unknown properties and unread child nodes.
    void finish() const;

    [[noreturn]] void fail(const char* prop, const std::string& problem) const;

private:
    const void* raw(const char* prop, int& len) const;
    int cell_count(bool address, bool self) const;
    /// A numeric property set by --set (device_tree::override_text) whose value is empty, not numbers, negative or
    /// wider than 64 bits fails naming the value; `ranged`: a single number is also checked against [min, max] (the
    /// range stated in decimal, or in hex with `in_hex`, as u32() / u64() state it), so that a number wider than
    /// 32 bits is reported with the range, not as the two cells it became. `expected` starts the message
    /// ("expected one cell"). Returns when the value is fine (the blob's cells are then checked as usual).
    void check_numeric_override(const char* prop, const std::string& expected, bool ranged, std::uint64_t min,
                                std::uint64_t max, bool in_hex, std::size_t max_numbers = 0) const;

    const device_tree* dt_;
    int offset_;
    std::set<std::string> consumed_;
    std::set<int> children_;
};

class device_tree {
public:
    /// Load a .dtb (or a .dts, compiled with dtc). Throws config_error.
    static device_tree load(const std::string& file);
    device_tree(std::string file, std::vector<char> blob);

    const std::string& file() const { return file_; }
    const void* blob() const { return blob_.data(); }
    std::size_t size() const { return blob_.size(); }
    dt_node root() const;
    std::optional<dt_node> find(const char* path) const;

    /// Apply an override "node/path/property=value" before building. value: decimal or 0x hex numbers separated
    /// by spaces (cells; a number above 32 bits is written as two cells), "quoted" or bare text for a string, or
    /// nothing (`property=`: an empty property, i.e. a flag). The text is kept: a reader of a numeric property
    /// checks it (a word, an empty value, a negative number or one wider than the property is an error naming the
    /// value and the accepted range, not a misread of the bytes it became).
    void set_property(const std::string& assignment);
    /// The text of the override that set `prop` of the node at `node_path` (as dt_node::path() spells it), or
    /// nullptr when the property comes from the description itself.
    const std::string* override_text(const std::string& node_path, const std::string& prop) const;
    /// Whether an override set `prop` of any node (a reader asks before it spells its node's path).
    bool overrides_property(const char* prop) const {
        for (const auto& o : overrides_)
            if (o.first.second == prop)
                return true;
        return false;
    }

private:
    std::string file_;
    std::vector<char> blob_;
    std::map<std::pair<std::string, std::string>, std::string> overrides_; // (node path, property) -> value text
};

} // namespace dbvp::platform
