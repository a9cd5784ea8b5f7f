// dbvp firmware — reading the platform description (flattened device tree), as Linux drivers do.
#pragma once

#include "dbvp/fw/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dbvp::fw {

struct reg_range {
    std::uint64_t base = 0;
    std::uint64_t size = 0;
};

/// Read-only view of a flattened device tree blob.
class fdt_view {
public:
    explicit fdt_view(const void* blob) : blob_(blob) {}

    /// Offset of the first node compatible with `compat` (after `start`), or a no_device error.
    result<int> find_compatible(const char* compat, int start = -1) const;
    /// Offset of the first node with device_type = "memory" (the CPU's RAM).
    result<int> find_memory() const;
    /// Offset of the node at `path`.
    result<int> find_path(const char* path) const;
    /// Entry `index` of the node's reg property, decoded with its parent's #address-cells/#size-cells.
    result<reg_range> reg(int node, unsigned index) const;
    /// The reg entry whose name in reg-names is `name`.
    result<reg_range> reg_by_name(int node, const char* name) const;
    /// A single-cell property, or `fallback` when absent.
    std::uint32_t u32(int node, const char* prop, std::uint32_t fallback) const;
    /// A property of one or two cells (64-bit when two), or `fallback` when absent.
    std::uint64_t u64(int node, const char* prop, std::uint64_t fallback) const;
    bool has(int node, const char* prop) const;
    /// A string property, or `fallback` when absent.
    std::string str(int node, const char* prop, const std::string& fallback = {}) const;
    /// Linux of_device_is_available(): no status property, or status "okay" / "ok".
    bool available(int node) const;
    /// Every cell of a property (empty when absent).
    std::vector<std::uint32_t> cells(int node, const char* prop) const;
    /// Linux of_map_id(): the ID a device behind `node` with input ID `id` (e.g. a requester ID) has at the
    /// controller, from the node's `map` property (<in-base phandle out-base length> entries) after ANDing `id`
    /// with the `mask_prop` cell (all-ones when absent). No `map` property: `id` itself. A map with no entry
    /// covering the ID: no_device (Linux -EINVAL).
    result<std::uint32_t> map_id(int node, const char* map, const char* mask_prop, std::uint32_t id) const;
    std::string node_name(int node) const;
    const void* blob() const { return blob_; }

private:
    const void* blob_;
};

} // namespace dbvp::fw
