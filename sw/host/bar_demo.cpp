#include "dbvp/host/bar_demo.h"

#include "dbvp/fw/bar_demo.h"
#include "dbvp/util/crc32.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <vector>

namespace dbvp::demo {

namespace {

class reporter {
public:
    reporter(host::hal& h, host_report& r) : h_(h), r_(r) {}
    // (printf-style, checked by the compiler: member functions count `this` as argument 1.)
    __attribute__((format(printf, 2, 3))) void operator()(const char* fmt, ...) {
        char text[240];
        std::va_list args;
        va_start(args, fmt);
        std::vsnprintf(text, sizeof text, fmt, args);
        va_end(args);
        char line[280];
        std::snprintf(line, sizeof line, "[%12.3f us] %s", static_cast<double>(h_.now_ns()) / 1000.0, text);
        r_.log.emplace_back(line);
    }

private:
    host::hal& h_;
    host_report& r_;
};

std::uint32_t rd32(host::hal& h, std::uint64_t addr, host::completion* c = nullptr) {
    std::uint32_t v = 0;
    const auto cpl = h.mem_read(addr, &v, 4);
    if (c)
        *c = cpl;
    return v;
}

void wr32(host::hal& h, std::uint64_t addr, std::uint32_t v) { h.mem_write(addr, &v, 4); }

std::uint32_t next(std::uint64_t& s) {
    // xorshift64*: deterministic pattern from the seed
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return static_cast<std::uint32_t>((s * 0x2545F4914F6CDD1Dull) >> 32);
}

} // namespace

host_report run_host_demo(host::hal& h, const host::enum_config& cfg, std::uint32_t pattern_bytes,
                          std::uint64_t seed) {
    host_report r;
    reporter log(h, r);
    r.enumeration = host::enumerate(h, cfg);
    if (!r.enumeration.ok) {
        log("enumeration failed: %s", r.enumeration.error.c_str());
        return r;
    }
    for (const auto& f : r.enumeration.functions) {
        log("%s %04x:%04x class %06x, MSI %u vector(s) data 0x%x", host::bdf_string(f.bdf).c_str(), f.vendor_id,
            f.device_id, f.class_code, f.msi_vectors, f.msi_data);
        for (unsigned b = 0; b < 6; ++b)
            if (f.bars[b].present)
                log("  BAR%u at 0x%llx, %llu KiB, %s%s", b, static_cast<unsigned long long>(f.bars[b].address),
                    static_cast<unsigned long long>(f.bars[b].size >> 10), f.bars[b].is64 ? "64-bit" : "32-bit",
                    f.bars[b].prefetchable ? " prefetchable" : "");
    }
    const auto& f0 = r.enumeration.functions.front();
    if (!f0.bars[BAR].present || f0.bars[BAR].size < BAR_SIZE) {
        log("BAR0 is missing or smaller than 64 KiB");
        return r;
    }
    r.bar0 = f0.bars[BAR].address;

    // Wait for the firmware to publish its magic (it set up BAR0 before enabling the link, so it is there).
    host::completion cpl;
    const std::uint64_t t0 = h.now_ns();
    const std::uint32_t magic = rd32(h, r.bar0 + REG_MAGIC, &cpl);
    r.first_read_ns = h.now_ns() - t0;
    log("BAR0 MAGIC reads 0x%08x (%s), round trip %llu ns", magic, host::to_string(cpl),
        static_cast<unsigned long long>(r.first_read_ns));
    if (magic != MAGIC_VALUE) {
        log("the endpoint firmware is not serving BAR0");
        return r;
    }

    // Pattern: 64-byte posted writes.
    pattern_bytes = std::min<std::uint32_t>(pattern_bytes & ~3u, DATA_MAX);
    r.pattern_bytes = pattern_bytes;
    std::vector<std::uint32_t> pattern(pattern_bytes / 4);
    std::uint64_t s = seed ? seed : 1;
    for (auto& w : pattern)
        w = next(s);
    r.pattern_crc = crc32(pattern.data(), pattern_bytes);
    const std::uint64_t tw = h.now_ns();
    for (std::uint32_t off = 0; off < pattern_bytes; off += 64) {
        const std::uint32_t n = std::min<std::uint32_t>(64, pattern_bytes - off);
        h.mem_write(r.bar0 + DATA + off, reinterpret_cast<const std::uint8_t*>(pattern.data()) + off, n);
    }
    r.write_ns = h.now_ns() - tw;
    log("wrote %u bytes to BAR0+0x%x in %llu ns", pattern_bytes, DATA, static_cast<unsigned long long>(r.write_ns));

    const std::uint64_t tr = h.now_ns();
    for (std::uint32_t i = 0; i < pattern.size(); ++i)
        if (rd32(h, r.bar0 + DATA + 4 * i) != pattern[i])
            ++r.mismatches;
    r.read_ns = h.now_ns() - tr;
    log("read back %u bytes in %llu ns: %u mismatching word(s)", pattern_bytes,
        static_cast<unsigned long long>(r.read_ns), r.mismatches);

    wr32(h, r.bar0 + REG_LENGTH, pattern_bytes);
    wr32(h, r.bar0 + REG_CRC, r.pattern_crc);
    const std::uint64_t tc = h.now_ns();
    wr32(h, r.bar0 + REG_COMMAND, CMD_CHECK_AND_RAISE_MSI);
    log("COMMAND = CHECK_AND_RAISE_MSI (CRC-32 0x%08x)", r.pattern_crc);
    r.msi_received = h.wait_msi(10000000, r.msi);
    if (r.msi_received) {
        r.msi_latency_ns = static_cast<std::int64_t>(r.msi.time_ns) - static_cast<std::int64_t>(tc);
        log("MSI from %s: address 0x%llx data 0x%x, %lld ns after the command",
            host::bdf_string(r.msi.requester_id).c_str(), static_cast<unsigned long long>(r.msi.address), r.msi.data,
            static_cast<long long>(r.msi_latency_ns));
    } else {
        log("no MSI within 10 ms");
    }
    r.status = rd32(h, r.bar0 + REG_STATUS);
    log("STATUS = %u (%s)", r.status, r.status == STATUS_OK ? "ok" : "error");

    r.ok = r.mismatches == 0 && r.status == STATUS_OK && r.msi_received && r.msi.address == h.msi_address() &&
           r.msi.data == f0.msi_data && r.msi.requester_id == f0.bdf;
    return r;
}

} // namespace dbvp::demo
