#include "dbvp/fw/gicv3.h"

#include "dbvp/util/format.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace dbvp::fw {

namespace {
std::string num(std::uint64_t v) { return std::to_string(v); }
unsigned log2_ceil(std::uint64_t v) {
    unsigned n = 0;
    while ((1ull << n) < v)
        ++n;
    return n;
}
std::uint64_t div_up(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }
unsigned page_field(std::uint64_t page) { return page == 0x1000 ? 0 : page == 0x4000 ? 1 : 2; }
std::uint64_t field_page(unsigned f) { return f == 0 ? 0x1000 : f == 1 ? 0x4000 : 0x10000; }
} // namespace

const char* gic::its_command_name(std::uint8_t opcode) {
    switch (opcode) {
    case ITS_MOVI: return "MOVI";
    case ITS_INT: return "INT";
    case ITS_CLEAR: return "CLEAR";
    case ITS_SYNC: return "SYNC";
    case ITS_MAPD: return "MAPD";
    case ITS_MAPC: return "MAPC";
    case ITS_MAPTI: return "MAPTI";
    case ITS_MAPI: return "MAPI";
    case ITS_INV: return "INV";
    case ITS_INVALL: return "INVALL";
    case ITS_MOVALL: return "MOVALL";
    case ITS_DISCARD: return "DISCARD";
    default: return "unknown";
    }
}

// ------------------------------------------------------------------------------------------------------------
// GICv3 distributor + redistributor.

status gicv3_driver::wait_clear(std::uint64_t addr, std::uint32_t mask, const char* what) {
    const std::uint64_t deadline = hal_.now_ns() + timeout_ns_;
    std::uint64_t pause = 20;
    for (;;) {
        bool ok = true;
        const std::uint32_t v = hal_.read32(addr, &ok);
        if (!ok)
            return {errc::io_error, std::string("bus error reading ") + what};
        if (!(v & mask))
            return {};
        if (hal_.now_ns() >= deadline)
            return {errc::timed_out, std::string(what) + " did not clear"};
        hal_.sleep_ns(pause);
        pause = std::min<std::uint64_t>(pause * 2, 10000);
    }
}

status gicv3_driver::init(dma_pool& pool, unsigned want_bits) {
    using namespace gic;
    ready_ = false;
    bool ok = true;
    const std::uint32_t pidr2 = hal_.read32(gicd_ + GICD_PIDR2, &ok);
    const unsigned arch = (pidr2 >> 4) & 0xf;
    if (!ok || (arch != 3 && arch != 4))
        return {errc::no_device, "no GICv3/v4 distributor at " + hex(gicd_) + " (GICD_PIDR2 " + hex(pidr2) + ")"};
    const std::uint32_t typer = hal_.read32(gicd_ + GICD_TYPER);
    const unsigned lines = std::min(32u * ((typer & 0x1f) + 1), 1020u);
    num_spis_ = lines - 32;

    // Distributor: off, then every SPI to a known state, then on with affinity routing.
    hal_.write32(gicd_ + GICD_CTLR, 0);
    if (auto s = wait_clear(gicd_ + GICD_CTLR, GICD_CTLR_RWP, "GICD_CTLR.RWP"); !s)
        return s;
    for (unsigned i = 32; i < lines; i += 32) {
        const std::uint64_t n = 4 * (i / 32);
        hal_.write32(gicd_ + GICD_IGROUPR + n, 0xffffffffu);
        hal_.write32(gicd_ + GICD_ICENABLER + n, 0xffffffffu);
        hal_.write32(gicd_ + GICD_ICACTIVER + n, 0xffffffffu);
        hal_.write32(gicd_ + GICD_ICPENDR + n, 0xffffffffu);
    }
    for (unsigned i = 32; i < lines; i += 4)
        hal_.write32(gicd_ + GICD_IPRIORITYR + i, DEFAULT_PRIORITY * 0x01010101u);
    for (unsigned i = 32; i < lines; i += 16)
        hal_.write32(gicd_ + GICD_ICFGR + i / 4, 0);
    for (unsigned i = 32; i < lines; ++i)
        hal_.write64(gicd_ + GICD_IROUTER + 8ull * i, 0); // PE 0 (affinity 0.0.0.0)
    if (auto s = wait_clear(gicd_ + GICD_CTLR, GICD_CTLR_RWP, "GICD_CTLR.RWP"); !s)
        return s;
    hal_.write32(gicd_ + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1);
    if (auto s = wait_clear(gicd_ + GICD_CTLR, GICD_CTLR_RWP, "GICD_CTLR.RWP"); !s)
        return s;
    const std::uint32_t ctlr = hal_.read32(gicd_ + GICD_CTLR);
    if ((ctlr & (GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1)) != (GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1))
        return {errc::not_supported, "GICD_CTLR reads " + hex(ctlr) + " after enabling ARE and Group 1"};

    // Redistributor: wake it up.
    const std::uint32_t rpidr2 = hal_.read32(gicr_ + GICR_PIDR2, &ok);
    if (!ok || (((rpidr2 >> 4) & 0xf) != 3 && ((rpidr2 >> 4) & 0xf) != 4))
        return {errc::no_device, "no GICv3 redistributor at " + hex(gicr_)};
    const std::uint64_t rtyper = hal_.read64(gicr_ + GICR_TYPER);
    hal_.write32(gicr_ + GICR_WAKER, hal_.read32(gicr_ + GICR_WAKER) & ~GICR_WAKER_PROCESSOR_SLEEP);
    if (auto s = wait_clear(gicr_ + GICR_WAKER, GICR_WAKER_CHILDREN_ASLEEP, "GICR_WAKER.ChildrenAsleep"); !s)
        return s;
    hal_.write32(gicr_ + GICR_IGROUPR0, 0xffffffffu);
    hal_.write32(gicr_ + GICR_ICENABLER0, 0xffffffffu);
    hal_.write32(gicr_ + GICR_ICACTIVER0, 0xffffffffu);
    for (unsigned i = 0; i < 32; i += 4)
        hal_.write32(gicr_ + GICR_IPRIORITYR + i, DEFAULT_PRIORITY * 0x01010101u);
    if (auto s = wait_clear(gicr_ + GICR_CTLR, GICR_CTLR_RWP, "GICR_CTLR.RWP"); !s)
        return s;

    // LPIs.
    if (want_bits == 0) {
        ready_ = true;
        return {};
    }
    if (!(typer & GICD_TYPER_LPIS) || !(rtyper & GICR_TYPER_PLPIS))
        return {errc::not_supported, "the GIC does not implement LPIs (GICD_TYPER " + hex(typer) + ", GICR_TYPER " +
                                         hex(rtyper) + ")"};
    const unsigned max_bits = ((typer >> 19) & 0x1f) + 1;
    const unsigned bits = std::min(want_bits, max_bits);
    if (bits < 14 || bits > 24)
        return {errc::invalid_argument,
                "LPI ID bits " + num(bits) + " (asked " + num(want_bits) + ", GIC " + num(max_bits) + ") not in 14..24"};
    if (hal_.read32(gicr_ + GICR_CTLR) & GICR_CTLR_ENABLE_LPIS)
        return {errc::busy, "GICR_CTLR.EnableLPIs is already set: the LPI tables cannot be changed"};
    const std::uint64_t ids = 1ull << bits;
    auto prop = pool.alloc(ids - FIRST_LPI, 0x1000);
    if (!prop)
        return {prop.error().code(), "LPI configuration table: " + prop.error().message()};
    auto pend = pool.alloc(ids / 8, 0x10000);
    if (!pend)
        return {pend.error().code(), "LPI pending table: " + pend.error().message()};
    const std::uint64_t fill = (DEFAULT_PRIORITY | LPI_PROP_GROUP1) * 0x0101010101010101ull;
    for (std::uint64_t off = 0; off < ids - FIRST_LPI; off += 8)
        hal_.write64(prop.value() + off, fill);
    const std::uint64_t propbaser = prop.value() | (bits - 1) | GICR_BASER_INNER_SHAREABLE | GICR_BASER_RAWAWB;
    hal_.write64(gicr_ + GICR_PROPBASER, propbaser);
    const std::uint64_t prop_rb = hal_.read64(gicr_ + GICR_PROPBASER);
    if ((prop_rb & 0x000ffffffffff01full) != (propbaser & 0x000ffffffffff01full))
        return {errc::io_error, "GICR_PROPBASER reads " + hex(prop_rb) + " after writing " + hex(propbaser)};
    const std::uint64_t pendbaser = pend.value() | GICR_PENDBASER_PTZ | GICR_BASER_INNER_SHAREABLE | GICR_BASER_RAWAWB;
    hal_.write64(gicr_ + GICR_PENDBASER, pendbaser);
    const std::uint64_t pend_rb = hal_.read64(gicr_ + GICR_PENDBASER);
    if ((pend_rb & 0x000fffffffff0000ull) != pend.value())
        return {errc::io_error, "GICR_PENDBASER reads " + hex(pend_rb) + " after writing " + hex(pendbaser)};
    hal_.write32(gicr_ + GICR_CTLR, hal_.read32(gicr_ + GICR_CTLR) | GICR_CTLR_ENABLE_LPIS);
    if (!(hal_.read32(gicr_ + GICR_CTLR) & GICR_CTLR_ENABLE_LPIS))
        return {errc::io_error, "GICR_CTLR.EnableLPIs does not read back set"};
    lpi_bits_ = bits;
    prop_ = prop.value();
    pend_ = pend.value();
    ready_ = true;
    char line[160];
    std::snprintf(line, sizeof line, "gicv3: %u SPIs, %u LPI ID bits, config table %s, pending table %s", num_spis_,
                  bits, hex(prop_).c_str(), hex(pend_).c_str());
    hal_.log(line);
    return {};
}

status gicv3_driver::check_spi(unsigned intid) const {
    if (!ready_)
        return {errc::invalid_argument, "GIC not initialised"};
    if (intid < 32 || intid >= 32 + num_spis_)
        return {errc::out_of_range, "INTID " + num(intid) + " is not an SPI (32.." + num(31 + num_spis_) + ")"};
    return {};
}

status gicv3_driver::set_priority(unsigned intid, unsigned priority) {
    if (!ready_)
        return {errc::invalid_argument, "GIC not initialised"};
    if (priority > 255)
        return {errc::invalid_argument, "priority " + num(priority) + " is not 0..255"};
    if (intid >= 32 + num_spis_)
        return {errc::out_of_range, "INTID " + num(intid) + " is not an SGI, PPI or SPI"};
    const std::uint64_t reg =
        (intid < 32 ? gicr_ + gic::GICR_IPRIORITYR : gicd_ + gic::GICD_IPRIORITYR) + (intid & ~3u);
    const unsigned shift = 8 * (intid & 3);
    std::uint32_t v = hal_.read32(reg);
    v = (v & ~(0xffu << shift)) | (priority << shift);
    hal_.write32(reg, v);
    return {};
}

status gicv3_driver::configure_spi(unsigned intid, bool edge, unsigned priority) {
    if (auto s = check_spi(intid); !s)
        return s;
    if (priority > 255)
        return {errc::invalid_argument, "priority " + num(priority) + " is not 0..255"};
    const std::uint32_t bit = 1u << (intid % 32);
    const bool was_enabled = hal_.read32(gicd_ + gic::GICD_ISENABLER + 4 * (intid / 32)) & bit;
    if (was_enabled)
        if (auto s = disable(intid); !s)
            return s;
    const std::uint64_t cfg = gicd_ + gic::GICD_ICFGR + 4 * (intid / 16);
    const std::uint32_t mask = 2u << (2 * (intid % 16));
    const std::uint32_t v = hal_.read32(cfg);
    hal_.write32(cfg, edge ? (v | mask) : (v & ~mask));
    if (auto s = set_priority(intid, priority); !s)
        return s;
    return was_enabled ? enable(intid) : status{};
}

status gicv3_driver::enable(unsigned intid) {
    if (!ready_)
        return {errc::invalid_argument, "GIC not initialised"};
    if (intid < 32) {
        hal_.write32(gicr_ + gic::GICR_ISENABLER0, 1u << intid);
        return {};
    }
    if (intid >= gic::FIRST_LPI)
        return {errc::invalid_argument, "LPI " + num(intid) + ": use set_lpi() and an invalidation"};
    if (auto s = check_spi(intid); !s)
        return s;
    hal_.write32(gicd_ + gic::GICD_ISENABLER + 4 * (intid / 32), 1u << (intid % 32));
    return {};
}

bool gicv3_driver::is_enabled(unsigned intid) {
    if (!ready_)
        return false;
    if (intid < 32)
        return hal_.read32(gicr_ + gic::GICR_ISENABLER0) & (1u << intid);
    if (!check_spi(intid))
        return false;
    return hal_.read32(gicd_ + gic::GICD_ISENABLER + 4 * (intid / 32)) & (1u << (intid % 32));
}

status gicv3_driver::disable(unsigned intid) {
    if (!ready_)
        return {errc::invalid_argument, "GIC not initialised"};
    if (intid < 32) {
        hal_.write32(gicr_ + gic::GICR_ICENABLER0, 1u << intid);
        return wait_clear(gicr_ + gic::GICR_CTLR, gic::GICR_CTLR_RWP, "GICR_CTLR.RWP");
    }
    if (intid >= gic::FIRST_LPI)
        return {errc::invalid_argument, "LPI " + num(intid) + ": use set_lpi() and an invalidation"};
    if (auto s = check_spi(intid); !s)
        return s;
    hal_.write32(gicd_ + gic::GICD_ICENABLER + 4 * (intid / 32), 1u << (intid % 32));
    return wait_clear(gicd_ + gic::GICD_CTLR, gic::GICD_CTLR_RWP, "GICD_CTLR.RWP");
}

status gicv3_driver::set_lpi(unsigned intid, bool enable, unsigned priority) {
    if (!ready_ || !lpi_bits_)
        return {errc::invalid_argument, "LPIs not initialised"};
    if (intid < gic::FIRST_LPI || intid >= (1u << lpi_bits_))
        return {errc::out_of_range,
                "INTID " + num(intid) + " is not an LPI (8192.." + num((1u << lpi_bits_) - 1) + ")"};
    if (priority > 255 || (priority & 3))
        return {errc::invalid_argument, "LPI priority " + num(priority) + " is not a multiple of 4 in 0..252"};
    const std::uint64_t off = intid - gic::FIRST_LPI;
    const std::uint64_t word = prop_ + (off & ~3ull);
    const unsigned shift = 8 * static_cast<unsigned>(off & 3);
    const std::uint32_t byte = priority | gic::LPI_PROP_GROUP1 | (enable ? gic::LPI_PROP_ENABLED : 0u);
    std::uint32_t v = hal_.read32(word);
    v = (v & ~(0xffu << shift)) | (byte << shift);
    hal_.write32(word, v);
    return {};
}

status gicv3_driver::inv_lpi(unsigned intid) {
    if (!ready_ || !lpi_bits_)
        return {errc::invalid_argument, "LPIs not initialised"};
    if (intid < gic::FIRST_LPI || intid >= (1u << lpi_bits_))
        return {errc::out_of_range, "INTID " + num(intid) + " is not an LPI"};
    hal_.write64(gicr_ + gic::GICR_INVLPIR, intid);
    return wait_clear(gicr_ + gic::GICR_SYNCR, 1, "GICR_SYNCR.Busy");
}

status gicv3_driver::inv_all_lpis() {
    if (!ready_ || !lpi_bits_)
        return {errc::invalid_argument, "LPIs not initialised"};
    hal_.write64(gicr_ + gic::GICR_INVALLR, 0);
    return wait_clear(gicr_ + gic::GICR_SYNCR, 1, "GICR_SYNCR.Busy");
}

// ------------------------------------------------------------------------------------------------------------
// ITS.

status its_driver::find_tables() {
    dev_baser_ = coll_baser_ = -1;
    for (unsigned n = 0; n < 8; ++n) {
        const std::uint64_t v = hal_.read64(base_ + gic::GITS_BASER + 8 * n);
        const std::uint64_t type = (v >> gic::GITS_BASER_TYPE_SHIFT) & 7;
        const unsigned esz = static_cast<unsigned>((v >> gic::GITS_BASER_ENTRY_SHIFT) & 0x1f) + 1;
        if (type == gic::GITS_BASER_TYPE_DEVICE && dev_baser_ < 0) {
            dev_baser_ = static_cast<int>(n);
            dev_esz_ = esz;
        } else if (type == gic::GITS_BASER_TYPE_COLLECTION && coll_baser_ < 0) {
            coll_baser_ = static_cast<int>(n);
            coll_esz_ = esz;
        }
    }
    if (dev_baser_ < 0 || coll_baser_ < 0)
        return {errc::no_device, "the ITS has no Device or no Collection table in GITS_BASER<n> (GITS_TYPER.HCC "
                                 "collections are not used by this driver)"};
    return {};
}

result<std::uint64_t> its_driver::probe_page(unsigned n, std::uint64_t want) {
    // Largest accepted page size not above `want` (Linux tries 64K, 16K, 4K).
    for (unsigned f = page_field(want) + 1; f-- > 0;) {
        const std::uint64_t reg = base_ + gic::GITS_BASER + 8 * n;
        // Read-only fields kept, everything else (address, size, valid) cleared while probing.
        const std::uint64_t v =
            hal_.read64(reg) & ((7ull << gic::GITS_BASER_TYPE_SHIFT) | (0x1full << gic::GITS_BASER_ENTRY_SHIFT));
        hal_.write64(reg, v | (static_cast<std::uint64_t>(f) << gic::GITS_BASER_PAGE_SHIFT));
        if (((hal_.read64(reg) >> gic::GITS_BASER_PAGE_SHIFT) & 3) == f)
            return field_page(f);
    }
    return status(errc::not_supported, "GITS_BASER" + num(n) + " accepts no page size up to " + hex(want));
}

status its_driver::program_baser(unsigned n, std::uint64_t pa, std::uint64_t pages, bool indirect) {
    const std::uint64_t reg = base_ + gic::GITS_BASER + 8 * n;
    const std::uint64_t keep = hal_.read64(reg) & ((7ull << gic::GITS_BASER_TYPE_SHIFT) |
                                                   (0x1full << gic::GITS_BASER_ENTRY_SHIFT) |
                                                   (3ull << gic::GITS_BASER_PAGE_SHIFT));
    std::uint64_t pa_field = pa & 0x0000fffffffff000ull;
    if (page_ == 0x10000)
        pa_field = (pa & 0x0000ffffffff0000ull) | (((pa >> 48) & 0xf) << 12);
    const std::uint64_t v = keep | gic::GITS_BASER_VALID | (indirect ? gic::GITS_BASER_INDIRECT : 0) | pa_field |
                            gic::GICR_BASER_INNER_SHAREABLE | (7ull << 59) | (pages - 1);
    hal_.write64(reg, v);
    const std::uint64_t rb = hal_.read64(reg);
    if (indirect && !(rb & gic::GITS_BASER_INDIRECT))
        return {errc::not_supported, "GITS_BASER" + num(n) + " does not support two-level tables"};
    const std::uint64_t mask = gic::GITS_BASER_VALID | gic::GITS_BASER_INDIRECT | 0x0000fffffffff0ffull;
    if ((rb & mask) != (v & mask))
        return {errc::io_error, "GITS_BASER" + num(n) + " reads " + hex(rb) + " after writing " + hex(v)};
    return {};
}

status its_driver::init(dma_pool& pool, const its_options& opt) {
    using namespace gic;
    ready_ = false;
    pool_ = &pool;
    devices_.clear();
    unmapped_.clear();
    bool ok = true;
    const std::uint32_t pidr2 = hal_.read32(base_ + GITS_PIDR2, &ok);
    if (!ok || (((pidr2 >> 4) & 0xf) != 3 && ((pidr2 >> 4) & 0xf) != 4))
        return {errc::no_device, "no GICv3/v4 ITS at " + hex(base_) + " (GITS_PIDR2 " + hex(pidr2) + ")"};
    if (opt.page_size != 0x1000 && opt.page_size != 0x4000 && opt.page_size != 0x10000)
        return {errc::invalid_argument, "page size " + hex(opt.page_size) + " is not 4 KiB, 16 KiB or 64 KiB"};

    // Quiesce an ITS left enabled.
    std::uint32_t ctlr = hal_.read32(base_ + GITS_CTLR);
    if (ctlr & GITS_CTLR_ENABLE) {
        hal_.write32(base_ + GITS_CTLR, ctlr & ~GITS_CTLR_ENABLE);
        const std::uint64_t deadline = hal_.now_ns() + timeout_ns_;
        while (!(hal_.read32(base_ + GITS_CTLR) & GITS_CTLR_QUIESCENT)) {
            if (hal_.now_ns() >= deadline)
                return {errc::timed_out, "the ITS did not become quiescent"};
            hal_.sleep_ns(100);
        }
    }

    const std::uint64_t typer = hal_.read64(base_ + GITS_TYPER);
    if (!(typer & 1))
        return {errc::not_supported, "the ITS does not support physical LPIs (GITS_TYPER " + hex(typer) + ")"};
    ite_size_ = static_cast<unsigned>((typer >> 4) & 0xf) + 1;
    event_bits_ = static_cast<unsigned>((typer >> 8) & 0x1f) + 1;
    const unsigned its_devbits = static_cast<unsigned>((typer >> 13) & 0x1f) + 1;
    collection_bits_ = (typer >> 36) & 1 ? static_cast<unsigned>((typer >> 32) & 0xf) + 1 : 16;
    device_bits_ = opt.device_bits ? opt.device_bits : its_devbits;
    if (device_bits_ > its_devbits)
        return {errc::out_of_range,
                "device_bits " + num(device_bits_) + " exceeds GITS_TYPER.Devbits + 1 = " + num(its_devbits)};
    collections_ = std::max(1u, opt.collections);
    if (collections_ > (1u << collection_bits_))
        return {errc::out_of_range, num(collections_) + " collections exceed the ITS's " + num(collection_bits_) +
                                        " collection ID bits"};
    if (auto s = find_tables(); !s)
        return s;
    const unsigned dn = static_cast<unsigned>(dev_baser_), cn = static_cast<unsigned>(coll_baser_);

    // Device table.
    auto pg = probe_page(dn, opt.page_size);
    if (!pg)
        return pg.error();
    page_ = pg.value();
    const std::uint64_t ids = 1ull << device_bits_;
    std::uint64_t pages = div_up(ids * dev_esz_, page_);
    two_level_ = opt.two_level || pages > 256;
    if (two_level_)
        pages = div_up(div_up(ids, page_ / dev_esz_) * 8, page_);
    if (pages > 256)
        return {errc::no_space, "a device table for " + num(device_bits_) + " DeviceID bits needs " + num(pages) +
                                    " pages of " + hex(page_) + " bytes (at most 256)"};
    auto dt = pool.alloc(pages * page_, page_);
    if (!dt)
        return {dt.error().code(), "ITS device table: " + dt.error().message()};
    dev_table_ = dt.value();
    if (auto s = program_baser(dn, dev_table_, pages, two_level_); !s)
        return s;

    // Collection table (same page size when accepted).
    auto cpg = probe_page(cn, page_);
    if (!cpg)
        return cpg.error();
    const std::uint64_t device_page = page_;
    page_ = cpg.value();
    const std::uint64_t cpages = div_up(std::uint64_t{collections_} * coll_esz_, page_);
    auto ct = pool.alloc(cpages * page_, page_);
    if (!ct)
        return {ct.error().code(), "ITS collection table: " + ct.error().message()};
    coll_table_ = ct.value();
    auto st = program_baser(cn, coll_table_, cpages, false);
    page_ = device_page;
    if (!st)
        return st;
    coll_proc_.assign(collections_, ~0u);

    // Command queue.
    auto q = pool.alloc(ITS_QUEUE_BYTES, 0x10000);
    if (!q)
        return {q.error().code(), "ITS command queue: " + q.error().message()};
    queue_ = q.value();
    const std::uint64_t cbaser = GITS_CBASER_VALID | (7ull << 59) | GICR_BASER_INNER_SHAREABLE | queue_ |
                                 (ITS_QUEUE_BYTES / 0x1000 - 1);
    hal_.write64(base_ + GITS_CBASER, cbaser);
    const std::uint64_t cb = hal_.read64(base_ + GITS_CBASER);
    if ((cb & (GITS_CBASER_VALID | 0x000ffffffffff0ffull)) != (cbaser & (GITS_CBASER_VALID | 0x000ffffffffff0ffull)))
        return {errc::io_error, "GITS_CBASER reads " + hex(cb) + " after writing " + hex(cbaser)};
    cwriter_ = 0;
    hal_.write64(base_ + GITS_CWRITER, 0);

    ctlr = hal_.read32(base_ + GITS_CTLR);
    hal_.write32(base_ + GITS_CTLR, ctlr | GITS_CTLR_ENABLE);
    if (!(hal_.read32(base_ + GITS_CTLR) & GITS_CTLR_ENABLE))
        return {errc::io_error, "GITS_CTLR.Enabled does not read back set"};
    ready_ = true;
    if (auto s = map_collection(0, 0); !s) {
        ready_ = false;
        return s;
    }
    char line[200];
    std::snprintf(line, sizeof line,
                  "its: %u DeviceID bits (%s device table, %lluK pages), %u EventID bits, %u-byte ITT entries, "
                  "%u collections, command queue %s",
                  device_bits_, two_level_ ? "two-level" : "flat", static_cast<unsigned long long>(page_ >> 10),
                  event_bits_, ite_size_, collections_, hex(queue_).c_str());
    hal_.log(line);
    return {};
}

status its_driver::wait_done(const char* name) {
    const std::uint64_t deadline = hal_.now_ns() + timeout_ns_;
    std::uint64_t pause = 20;
    for (;;) {
        const std::uint64_t creadr = hal_.read64(base_ + gic::GITS_CREADR);
        if (creadr & gic::GITS_CREADR_STALLED)
            return {errc::io_error, std::string("ITS command queue stalled at ") + name + " (GITS_CREADR " +
                                        hex(creadr) + ")"};
        if ((creadr & 0xfffe0) == cwriter_)
            return {};
        if (hal_.now_ns() >= deadline)
            return {errc::timed_out, std::string("ITS command ") + name + " did not complete (GITS_CREADR " +
                                         hex(creadr) + ", GITS_CWRITER " + hex(cwriter_) + ")"};
        hal_.sleep_ns(pause);
        pause = std::min<std::uint64_t>(pause * 2, 10000);
    }
}

status its_driver::submit(const gic::its_command& cmd, const char* name) {
    if (!ready_)
        return {errc::invalid_argument, "ITS not initialised"};
    const std::uint64_t next = (cwriter_ + 32) % gic::ITS_QUEUE_BYTES;
    // Commands complete one by one below, so the queue never holds more than this one: it cannot be full.
    for (unsigned i = 0; i < 4; ++i)
        hal_.write64(queue_ + cwriter_ + 8 * i, cmd[i]);
    cwriter_ = next;
    hal_.write64(base_ + gic::GITS_CWRITER, cwriter_);
    return wait_done(name);
}

status its_driver::resume() {
    if (!ready_)
        return {errc::invalid_argument, "ITS not initialised"};
    hal_.write64(base_ + gic::GITS_CWRITER, cwriter_ | gic::GITS_CWRITER_RETRY);
    return wait_done("Retry");
}

status its_driver::ensure_l2(std::uint32_t device_id) {
    if (!two_level_)
        return {};
    const std::uint64_t per_page = page_ / dev_esz_;
    const std::uint64_t l1 = dev_table_ + (device_id / per_page) * 8;
    if (hal_.read64(l1) & gic::GITS_LVL1_VALID)
        return {};
    auto page = pool_->alloc(page_, page_);
    if (!page)
        return {page.error().code(), "ITS level-2 device table page: " + page.error().message()};
    hal_.write64(l1, page.value() | gic::GITS_LVL1_VALID);
    return {};
}

result<its_device> its_driver::map_device(std::uint32_t device_id, unsigned num_events) {
    if (!ready_)
        return status(errc::invalid_argument, "ITS not initialised");
    if (device_bits_ < 32 && (device_id >> device_bits_))
        return status(errc::out_of_range,
                      "DeviceID " + hex(device_id) + " needs more than " + num(device_bits_) + " bits");
    if (devices_.count(device_id))
        return status(errc::busy, "DeviceID " + hex(device_id) + " is already mapped");
    const unsigned bits = std::max(5u, log2_ceil(std::max(1u, num_events)));
    if (bits > event_bits_)
        return status(errc::out_of_range, num(num_events) + " events need more than the ITS's " + num(event_bits_) +
                                              " EventID bits");
    const unsigned n = 1u << bits;
    if (auto s = ensure_l2(device_id); !s)
        return s;
    its_device d{device_id, n, 0};
    auto old = unmapped_.find(device_id);
    if (old != unmapped_.end() && old->second.num_events >= n) {
        d.itt = old->second.itt;
        d.num_events = old->second.num_events;
        unmapped_.erase(old);
        // The stale entries of the earlier mapping must not come back: clear the ITT.
        for (std::uint64_t off = 0; off < std::uint64_t{d.num_events} * ite_size_; off += 8)
            hal_.write64(d.itt + off, 0);
    } else {
        auto itt = pool_->alloc(std::max<std::uint64_t>(std::uint64_t{n} * ite_size_, 256), 256);
        if (!itt)
            return status(itt.error().code(), "ITT of DeviceID " + hex(device_id) + ": " + itt.error().message());
        d.itt = itt.value();
    }
    const unsigned size_bits = log2_ceil(d.num_events);
    if (auto s = submit(gic::cmd_mapd(device_id, size_bits - 1, d.itt, true), "MAPD"); !s)
        return s;
    devices_[device_id] = d;
    return d;
}

status its_driver::unmap_device(std::uint32_t device_id) {
    auto it = devices_.find(device_id);
    if (it == devices_.end())
        return {errc::invalid_argument, "DeviceID " + hex(device_id) + " is not mapped"};
    if (auto s = submit(gic::cmd_mapd(device_id, 0, 0, false), "MAPD"); !s)
        return s;
    unmapped_[device_id] = it->second;
    devices_.erase(it);
    return {};
}

status its_driver::map_event(std::uint32_t device_id, std::uint32_t event_id, unsigned intid, unsigned collection) {
    auto it = devices_.find(device_id);
    if (it == devices_.end())
        return {errc::invalid_argument, "DeviceID " + hex(device_id) + " is not mapped"};
    if (event_id >= it->second.num_events)
        return {errc::out_of_range, "EventID " + num(event_id) + " is beyond the device's " +
                                        num(it->second.num_events) + " events"};
    if (intid < gic::FIRST_LPI || intid >= (1u << 24))
        return {errc::out_of_range, "INTID " + num(intid) + " is not an LPI"};
    if (collection >= collections_ || coll_proc_[collection] == ~0u)
        return {errc::invalid_argument, "collection " + num(collection) + " is not mapped"};
    if (auto s = submit(gic::cmd_mapti(device_id, event_id, intid, collection), "MAPTI"); !s)
        return s;
    return submit(gic::cmd_sync(coll_proc_[collection]), "SYNC");
}

status its_driver::unmap_event(std::uint32_t device_id, std::uint32_t event_id) {
    if (auto s = submit(gic::cmd_event(gic::ITS_DISCARD, device_id, event_id), "DISCARD"); !s)
        return s;
    return sync();
}

status its_driver::inv(std::uint32_t device_id, std::uint32_t event_id) {
    if (auto s = submit(gic::cmd_event(gic::ITS_INV, device_id, event_id), "INV"); !s)
        return s;
    return sync();
}

status its_driver::inv_all(unsigned collection) {
    if (auto s = submit(gic::cmd_invall(collection), "INVALL"); !s)
        return s;
    return sync();
}

status its_driver::trigger(std::uint32_t device_id, std::uint32_t event_id) {
    if (auto s = submit(gic::cmd_event(gic::ITS_INT, device_id, event_id), "INT"); !s)
        return s;
    return sync();
}

status its_driver::clear(std::uint32_t device_id, std::uint32_t event_id) {
    if (auto s = submit(gic::cmd_event(gic::ITS_CLEAR, device_id, event_id), "CLEAR"); !s)
        return s;
    return sync();
}

status its_driver::move_event(std::uint32_t device_id, std::uint32_t event_id, unsigned collection) {
    if (collection >= collections_ || coll_proc_[collection] == ~0u)
        return {errc::invalid_argument, "collection " + num(collection) + " is not mapped"};
    if (auto s = submit(gic::cmd_movi(device_id, event_id, collection), "MOVI"); !s)
        return s;
    return submit(gic::cmd_sync(coll_proc_[collection]), "SYNC");
}

status its_driver::map_collection(unsigned collection, unsigned processor, bool valid) {
    if (collection >= collections_)
        return {errc::out_of_range, "collection " + num(collection) + " is beyond the " + num(collections_) +
                                        " the driver allocated"};
    if (auto s = submit(gic::cmd_mapc(collection, processor, valid), "MAPC"); !s)
        return s;
    coll_proc_[collection] = valid ? processor : ~0u;
    return valid ? submit(gic::cmd_sync(processor), "SYNC") : status{};
}

status its_driver::sync() { return submit(gic::cmd_sync(0), "SYNC"); }

} // namespace dbvp::fw
