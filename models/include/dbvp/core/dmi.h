// dbvp — direct memory interface (DMI) regions an initiator was granted.
//
// An engine that reads its tables from simulated RAM (ITS, GIC redistributor) serves an access from a granted
// region by copying and adding the region's read or write latency to its local time offset: the same data and
// the same timing as b_transport through the interconnect and the memory (they grant the region with their
// latencies summed), without the call chain. After a b_transport whose response allowed DMI, request() asks
// the target for the region; invalidate() (from the socket's invalidate_direct_mem_ptr) forgets regions.
// Only plain reads and writes (no byte enables) are served; anything else takes b_transport.
#pragma once

#include "dbvp/core/payload.h"
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <systemc>
#include <tlm>

namespace dbvp {

class dmi_cache {
public:
    /// Serve a read or write of `len` bytes at `addr` from a granted region; false when none covers it.
    bool access(tlm::tlm_command cmd, std::uint64_t addr, void* data, unsigned len, sc_core::sc_time& offset) {
        if (len == 0)
            return false;
        for (unsigned i = 0; i < count_; ++i) {
            const region& r = regions_[i];
            const std::uint64_t off = addr - r.start; // wraps (huge) below the region
            if (off > r.last || len - 1 > r.last - off)
                continue;
            if (cmd == tlm::TLM_READ_COMMAND && r.read) {
                copy(data, r.ptr + off, len);
                offset += r.read_latency;
                return true;
            }
            if (cmd == tlm::TLM_WRITE_COMMAND && r.write) {
                copy(r.ptr + off, data, len);
                offset += r.write_latency;
                return true;
            }
            return false;
        }
        return false;
    }
    /// The region access() would write at `addr` with: its pointer there, its write latency, and how many bytes
    /// from `addr` on every write goes to it (up to its end, or to the start of a region access() looks at
    /// first); false when a write at `addr` would take b_transport.
    bool write_run(std::uint64_t addr, unsigned char*& ptr, std::uint64_t& room, sc_core::sc_time& latency) const {
        for (unsigned i = 0; i < count_; ++i) {
            const region& r = regions_[i];
            const std::uint64_t off = addr - r.start;
            if (off > r.last)
                continue;
            if (!r.write)
                return false;
            ptr = r.ptr + off;
            room = r.last - off + 1; // wraps to 0 for a region of 2^64 bytes at its start: none such is granted
            for (unsigned j = 0; j < i; ++j)
                if (regions_[j].start > addr)
                    room = std::min(room, regions_[j].start - addr);
            latency = r.write_latency;
            return true;
        }
        return false;
    }
    /// After a successful b_transport of `pl` that allowed DMI: ask `target` for the region around its address.
    template <class Socket> void request(Socket& target, tlm::tlm_generic_payload& pl) {
        if (!pl.is_dmi_allowed() || !pl.is_response_ok())
            return;
        tlm::tlm_dmi d;
        if (!target->get_direct_mem_ptr(pl, d) || !d.get_dmi_ptr())
            return;
        if (count_ == regions_.size())
            count_ = 0; // forget the oldest ones: a few regions (RAM) are all an engine uses
        region& r = regions_[count_++];
        r.start = d.get_start_address();
        r.last = d.get_end_address() - d.get_start_address();
        r.ptr = d.get_dmi_ptr();
        r.read = d.is_read_allowed();
        r.write = d.is_write_allowed();
        r.read_latency = d.get_read_latency();
        r.write_latency = d.get_write_latency();
    }
    /// Forget every region that overlaps [start, end].
    void invalidate(std::uint64_t start, std::uint64_t end) {
        unsigned kept = 0;
        for (unsigned i = 0; i < count_; ++i)
            if (regions_[i].start + regions_[i].last < start || regions_[i].start > end)
                regions_[kept++] = regions_[i];
        count_ = kept;
    }

    /// A plain read or write of `len` bytes by an engine (its tables, queues): from a granted region, else
    /// b_transport of `pl` (prepared here) on `socket`, asking for the region afterwards. True when it succeeded.
    /// `pl` says nothing about an access a region served.
    template <class Socket>
    bool access(Socket& socket, tlm::tlm_generic_payload& pl, tlm::tlm_command cmd, std::uint64_t addr, void* data,
                unsigned len, sc_core::sc_time& offset) {
        if (access(cmd, addr, data, len, offset))
            return true; // pl is not used (nor set up): a granted region is all it takes
        prepare_access(pl, cmd, addr, data, len);
        socket->b_transport(pl, offset);
        request(socket, pl);
        return pl.is_response_ok();
    }

private:
    static void copy(void* to, const void* from, unsigned len) {
        switch (len) { // table entries: fixed sizes copy inline
        case 1: std::memcpy(to, from, 1); break;
        case 2: std::memcpy(to, from, 2); break;
        case 4: std::memcpy(to, from, 4); break;
        case 8: std::memcpy(to, from, 8); break;
        default: std::memcpy(to, from, len); break;
        }
    }
    struct region { // a granted tlm_dmi, as the lookup needs it
        std::uint64_t start = 0, last = 0; // first address, and last - first
        unsigned char* ptr = nullptr;
        bool read = false, write = false;
        sc_core::sc_time read_latency, write_latency;
    };
    std::array<region, 4> regions_{};
    unsigned count_ = 0;
};

} // namespace dbvp
