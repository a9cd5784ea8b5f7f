#include "dbvp/fw/bar_demo.h"

#include "dbvp/fw/dwc_ep.h"
#include "dbvp/fw/fdt.h"
#include "dbvp/util/crc32.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace dbvp::demo {

namespace {
void logf(fw::hal& hal, const char* fmt, unsigned long long a = 0, unsigned long long b = 0) {
    char line[200];
    std::snprintf(line, sizeof line, fmt, a, b);
    hal.log(line);
}
} // namespace

void bar_demo_firmware(fw::hal& hal) {
    fw::dwc_ep_driver ep(hal);
    if (auto s = ep.probe(); !s) {
        hal.log(("probe failed: " + s.message()).c_str());
        return;
    }
    // Backing memory for BAR0: endpoint RAM above the first MiB (the firmware's own), aligned to the BAR size
    // and the iATU region size.
    fw::fdt_view dt(hal.fdt());
    auto ram_node = dt.find_memory();
    if (!ram_node) {
        hal.log(ram_node.error().message().c_str());
        return;
    }
    auto ram = dt.reg(ram_node.value(), 0);
    if (!ram) {
        hal.log(ram.error().message().c_str());
        return;
    }
    const std::uint64_t align = std::max<std::uint64_t>(BAR_SIZE, ep.region_align());
    const std::uint64_t buf = (ram->base + 0x100000 + align - 1) & ~(align - 1);
    for (std::uint32_t off = 0; off < DATA; off += 4)
        hal.write32(buf + off, 0);
    hal.write32(buf + REG_MAGIC, MAGIC_VALUE);

    if (auto s = ep.configure_bar(0, BAR, BAR_SIZE, {}); !s) {
        hal.log(("configure BAR0 failed: " + s.message()).c_str());
        return;
    }
    if (auto s = ep.map_bar(0, BAR, buf); !s) {
        hal.log(("map BAR0 failed: " + s.message()).c_str());
        return;
    }
    logf(hal, "BAR0: 64 KiB of endpoint RAM at 0x%llx, inbound BAR-match window", buf);
    if (auto s = ep.start_link(100000000); !s) {
        hal.log(("link: " + s.message()).c_str());
        return;
    }
    hal.log("link up; serving BAR0 commands");

    for (;;) {
        hal.sleep_ns(POLL_NS);
        const std::uint32_t cmd = hal.read32(buf + REG_COMMAND);
        if (cmd != CMD_CHECK_AND_RAISE_MSI)
            continue;
        const std::uint32_t len = hal.read32(buf + REG_LENGTH);
        std::uint32_t status = STATUS_OK;
        if (len % 4 || len > DATA_MAX) {
            status = STATUS_BAD_LENGTH;
        } else {
            std::uint32_t crc = 0xFFFFFFFFu;
            for (std::uint32_t off = 0; off < len; off += 4) {
                const std::uint32_t w = hal.read32(buf + DATA + off);
                crc = crc32_update(crc, &w, 4);
            }
            crc = ~crc;
            hal.write32(buf + REG_SEEN_CRC, crc);
            if (crc != hal.read32(buf + REG_CRC))
                status = STATUS_CRC_MISMATCH;
        }
        // Publish the result before the MSI: the host reads STATUS as soon as the MSI arrives.
        hal.write32(buf + REG_STATUS, status);
        hal.write32(buf + REG_COMMAND, 0);
        logf(hal, "command: %llu bytes checked, status %llu; raising MSI 1", len, status);
        if (auto s = ep.raise_msi(0, 1); !s) {
            hal.log(("raise MSI failed: " + s.message()).c_str());
            hal.write32(buf + REG_STATUS, STATUS_MSI_FAILED);
        }
    }
}

} // namespace dbvp::demo
