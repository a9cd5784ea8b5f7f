// make_seeds — writes the seed inputs of fuzz_its, fuzz_smmu and fuzz_iatu (layouts: fuzz_format.h) into
// <dir>/its, <dir>/smmu and <dir>/iatu: meaningful programs (a driver's bring-up, mappings, translations, every
// command, the error paths) the fuzzers mutate from. The build runs it into <build>/tests/fuzz/seeds; the copies
// committed in tests/fuzz/corpus/ are this program's output (regenerate after a layout change:
// `fuzz_make_seeds tests/fuzz/corpus`).
//
// Usage: fuzz_make_seeds DIR
#define DBVP_FUZZ_NO_SYSTEMC
#include "fuzz_common.h"
#include "fuzz_format.h"

#include <cstdio>
#include <string>
#include <sys/stat.h>

using namespace dbvp::fuzz;

namespace {

std::string g_dir;

void save(const char* target, const char* name, const writer& w) {
    const std::string d = g_dir + "/" + target;
    mkdir(g_dir.c_str(), 0755);
    mkdir(d.c_str(), 0755);
    const std::string path = d + "/" + name;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(w.bytes().data(), 1, w.bytes().size(), f) != w.bytes().size() || std::fclose(f) != 0) {
        std::perror(path.c_str());
        std::exit(1);
    }
}

// ---- ITS ------------------------------------------------------------------------------------------------------
namespace its {
using namespace its_fmt;

std::uint32_t ram(std::uint64_t pa) { return static_cast<std::uint32_t>(pa - RAM_BASE); }
constexpr std::uint32_t HOLE_A = 0x80000000u, ITS_FRAME_A = 0xa0000000u;

writer header(std::uint8_t flags = 0, std::uint8_t dev_page = 0, std::uint8_t dev_m1 = 15, std::uint8_t coll_page = 0,
              std::uint8_t coll_m1 = 0, std::uint8_t queue_m1 = 15, std::uint32_t dev = ram(DEVTAB),
              std::uint32_t coll = ram(COLLTAB), std::uint32_t queue = ram(QUEUE)) {
    writer w;
    w.u8(flags).u8(dev_page).u8(dev_m1).u8(coll_page).u8(coll_m1).u8(queue_m1).u32(dev).u32(coll).u32(queue);
    return w;
}
// sel: index in OPCODES (12 = raw opcode byte `raw`).
void cmd(writer& w, unsigned sel, std::uint32_t dev, std::uint32_t ev, std::uint32_t pintid, std::uint8_t size,
         std::uint32_t itt, std::uint16_t icid, std::uint16_t rd, bool valid, std::uint8_t raw = 0) {
    w.u8(CMD).u8(sel);
    if (sel == 12)
        w.u8(raw);
    w.u32(dev).u32(ev).u32(pintid).u8(size).u32(itt).u16(icid).u16(rd).flag(valid);
}
enum : unsigned { S_MOVI, S_INT, S_CLEAR, S_SYNC, S_MAPD, S_MAPC, S_MAPTI, S_MAPI, S_INV, S_INVALL, S_MOVALL, S_DISCARD };
void mapc(writer& w, std::uint16_t icid, std::uint16_t proc = 0, bool v = true) { cmd(w, S_MAPC, 0, 0, 0, 0, 0, icid, proc, v); }
void mapd(writer& w, std::uint32_t dev, std::uint8_t size, std::uint32_t itt, bool v = true) {
    cmd(w, S_MAPD, dev, 0, 0, size, itt, 0, 0, v);
}
void mapti(writer& w, std::uint32_t dev, std::uint32_t ev, std::uint32_t intid, std::uint16_t icid = 0) {
    cmd(w, S_MAPTI, dev, ev, intid, 0, 0, icid, 0, false);
}
void simple(writer& w, unsigned sel, std::uint32_t dev, std::uint32_t ev, std::uint16_t icid = 0) {
    cmd(w, sel, dev, ev, 0, 0, 0, icid, 0, false);
}
void sync(writer& w) { cmd(w, S_SYNC, 0, 0, 0, 0, 0, 0, 0, false); }
void translate(writer& w, std::uint32_t dev, std::uint32_t ev, std::uint8_t flags = 0) {
    w.u8(TRANSLATE).u32(dev).u32(ev).u8(flags);
}
void wait(writer& w, std::uint16_t ns) { w.u8(WAIT).u16(ns); }
void reg_write(writer& w, std::uint16_t off, bool eight, std::uint64_t v) { w.u8(REG_WRITE).u16(off).u8(eight).u64(v); }
void reg_read(writer& w, std::uint16_t off, bool eight) { w.u8(REG_READ).u16(off).u8(eight); }
void entry(writer& w, std::uint8_t kind, std::uint32_t id, std::uint32_t ev, std::uint8_t size, std::uint32_t ptr,
           std::uint32_t intid, std::uint16_t icid, std::uint8_t valid) {
    w.u8(ENTRY).u8(kind).u32(id).u32(ev).u8(size).u32(ptr).u32(intid).u16(icid).u8(valid);
}

void all() {
    { // The firmware driver's bring-up and a mapping, then every command on it.
        writer w = header();
        mapc(w, 0);
        sync(w);
        mapd(w, 1, 4, ram(ITT));
        mapti(w, 1, 3, 8200);
        mapti(w, 1, 4, 8201);
        cmd(w, S_MAPI, 1, 8300, 0, 0, 0, 0, 0, false);
        sync(w);
        w.u8(KICK);
        translate(w, 1, 3);
        translate(w, 1, 4);
        translate(w, 1, 8300);
        wait(w, 500);
        w.u8(DRAIN);
        translate(w, 1, 5);  // unmapped event
        translate(w, 2, 0);  // unmapped device
        translate(w, 1, 99); // beyond the device's 5 bits
        translate(w, 0x20000, 0);
        translate(w, 1, 3, TR_NO_DEVICE_ID);
        simple(w, S_INT, 1, 3);
        simple(w, S_CLEAR, 1, 3);
        simple(w, S_INV, 1, 4);
        mapc(w, 1);
        simple(w, S_MOVI, 1, 3, 1);
        cmd(w, S_INVALL, 0, 0, 0, 0, 0, 1, 0, false);
        cmd(w, S_MOVALL, 0, 0, 0, 0, 0, 0, 0, false);
        simple(w, S_DISCARD, 1, 4);
        sync(w);
        w.u8(KICK);
        translate(w, 1, 3);
        translate(w, 1, 4);
        w.u8(BURST).u8(20).u32(1).u32(3);
        wait(w, 2000);
        w.u8(DRAIN);
        save("its", "bringup-every-command", w);
    }
    { // Two-level device table with 64 KiB pages, tables written directly, cache hits and evictions.
        writer w = header(DEV_INDIRECT, 2, 1, 1, 0);
        entry(w, 0, 0x1234, 0, 7, ram(ITT), 0, 0, 1);   // DTE (makes the level-1 entry)
        entry(w, 1, 0, 5, 0, ram(ITT), 8192 + 77, 2, 3); // ITE
        entry(w, 2, 0, 0, 0, 0, 0, 2, 1);               // CTE: collection 2 -> processor 0
        w.u8(ENABLE).u8(1);
        for (unsigned i = 0; i < 12; ++i)
            translate(w, 0x1234, 5);
        mapd(w, 0x1235, 3, ram(ITT + 0x1000));
        mapti(w, 0x1235, 1, 9000, 2);
        sync(w);
        w.u8(KICK);
        for (unsigned e = 0; e < 10; ++e)
            translate(w, 0x1235, 1, TR_NO_SYNC);
        mapd(w, 0x1235, 3, 0, false); // unmap
        w.u8(KICK);
        translate(w, 0x1235, 1);
        wait(w, 1000);
        w.u8(DRAIN);
        save("its", "two-level-tables", w);
    }
    { // Error paths: command errors, a stalled queue and Retry, bad accesses, a queue in a hole.
        writer w = header();
        mapd(w, 0x10000, 4, ram(ITT));                 // DeviceID beyond 16 bits
        mapd(w, 1, 20, ram(ITT));                      // ITT size beyond idbits
        mapc(w, 0x7fff, 0);                            // beyond the collection table
        mapc(w, 0, 3);                                 // no processor 3
        mapti(w, 7, 0, 8192);                          // unmapped device
        mapd(w, 1, 2, ram(ITT));
        mapti(w, 1, 9, 8192);                          // EventID beyond the size
        mapti(w, 1, 1, 100);                           // not an LPI
        simple(w, S_INT, 1, 1);                        // unmapped interrupt
        cmd(w, 12, 0, 0, 0, 0, 0, 0, 0, false, 0x20);  // GICv4 VMAPP: unknown opcode
        cmd(w, S_SYNC, 0, 0, 0, 0, 0, 0, 9, false);    // no processor 9
        mapd(w, 2, 2, HOLE_A);                         // ITT in a hole
        mapti(w, 2, 1, 8192);                          // writing it stalls
        w.u8(KICK);
        reg_read(w, 0x90, true);
        w.u8(RETRY);
        reg_write(w, 0x0, false, 0); // disable, re-enable restarts
        w.u8(ENABLE).u8(1);
        w.u8(KICK);
        translate(w, 1, 1, 2);              // 2 bytes
        translate(w, 1, 1, 4);              // 1 byte: bad access
        translate(w, 1, 1, 6);              // 8 bytes: bad access
        translate(w, 1, 1, TR_READ);        // a read
        translate(w, 1, 1, TR_UNALIGNED);   // 0x10041
        w.u8(ENABLE).u8(0);
        translate(w, 1, 1);                 // disabled
        save("its", "errors-and-stalls", w);
    }
    { // A queue in a hole and tables in the ITS's own register frame.
        writer w = header(0, 0, 3, 0, 0, 0, ITS_FRAME_A | 0x80, ram(COLLTAB), HOLE_A);
        mapc(w, 0);
        w.u8(KICK);
        w.u8(RETRY);
        save("its", "queue-in-a-hole", w);
    }
    { // Register rules: read-only while enabled, reserved page size, 16 KiB misalignment, CWRITER beyond the queue.
        writer w = header(START_DISABLED, 3, 0, 1, 0, 0);
        for (std::uint16_t off : {0x0, 0x4, 0x8, 0xc, 0x80, 0x88, 0x90, 0x100, 0x108, 0x110, 0xffe8, 0xfffc})
            reg_read(w, off, off == 0x8 || (off >= 0x80 && off < 0x140));
        reg_write(w, 0x100, true, (1ull << 63) | (2ull << 56) | 0x80030000ull | (1 << 8) | 3); // 16 KiB, bits 13:12
        reg_write(w, 0x108, true, (1ull << 63) | 0x80050000ull | (3 << 8));                   // page size 3
        reg_write(w, 0x110, true, ~0ull);                                                      // RAZ/WI
        reg_write(w, 0x88, true, 0x2000);                                                      // beyond 4 KiB
        reg_write(w, 0x88, true, 0x7);                                                         // reserved bits
        reg_write(w, 0x3, false, 1);                                                           // unaligned
        w.u8(ENABLE).u8(1);
        reg_write(w, 0x80, true, 0);     // read-only while enabled
        reg_write(w, 0x100, true, 0);
        reg_write(w, 0x8000, false, 1); // no register
        w.u8(LPI_CFG).u16(5).u8(0xa2).u8(0);
        w.u8(LPI_CFG).u16(6).u8(0x01).u8(1);
        save("its", "register-rules", w);
    }
}
} // namespace its

// ---- SMMU -----------------------------------------------------------------------------------------------------
namespace smmu {
using namespace smmu_fmt;

std::uint32_t ram(std::uint64_t pa) { return static_cast<std::uint32_t>(pa - RAM_BASE); }
constexpr std::uint32_t HOLE_A = 0x80000000u;

writer header(std::uint8_t flags = SM_RECINVSID, std::uint8_t split = 8, std::uint8_t strtab_log2 = 8,
              std::uint8_t cmdq_log2 = 8, std::uint8_t evtq_log2 = 7, std::uint32_t strtab = ram(STRTAB),
              std::uint32_t cmdq = ram(CMDQ), std::uint32_t evtq = ram(EVTQ)) {
    writer w;
    w.u8(flags).u8(split).u8(strtab_log2).u8(cmdq_log2).u8(evtq_log2).u32(strtab).u32(cmdq).u32(evtq);
    return w;
}
enum : std::uint8_t { K_ABORT, K_BYPASS, K_S1, K_RAW, K_INVALID };
void ste(writer& w, std::uint32_t sid, std::uint8_t kind, std::uint16_t cd, std::uint8_t sf = 0, std::uint8_t raw = 0) {
    w.u8(STE).u32(sid).u8(kind).u16(cd).u8(sf);
    if (kind == K_RAW)
        w.u8(raw);
}
void cd(writer& w, std::uint16_t n, std::uint8_t t0sz, std::uint16_t asid, std::uint8_t cf, std::uint16_t root,
        std::uint8_t ips = 5) {
    w.u8(CD).u16(n).u8(t0sz).u16(asid).u8(cf).u8(ips).u16(root);
}
void map(writer& w, std::uint16_t root, std::uint8_t t0sz, std::uint64_t va, std::uint32_t pa, std::uint8_t level,
         std::uint8_t attrs = 0) {
    w.u8(MAP).u16(root).u8(t0sz).u64(va).u32(pa).u8(level - 1).u8(attrs);
}
// sel: index in OPCODES (11 = raw opcode byte).
void cmd(writer& w, std::uint8_t sel, std::uint32_t sid = 0, std::uint8_t range = 0, std::uint16_t asid = 0,
         std::uint64_t addr = 0, std::uint8_t cs = 0, std::uint8_t raw = 0) {
    w.u8(CMD).u8(sel);
    if (sel == 11)
        w.u8(raw);
    w.u32(sid).u8(range).u16(asid).u64(addr).u8(cs);
}
enum : std::uint8_t { C_STE, C_STE_RANGE, C_CD, C_CD_ALL, C_NH_ALL, C_NH_ASID, C_NH_VA, C_NH_VAA, C_NSNH_ALL, C_SYNC, C_PREFETCH };
void txn(writer& w, std::uint32_t sid, std::uint64_t va, std::uint8_t xf = 0) { w.u8(TXN).u32(sid).u64(va).u8(xf); }

void all() {
    { // Linear table: stage 1 (4-level walk), bypass, abort, faults, events, invalidation.
        writer w = header();
        ste(w, 1, K_S1, 0);
        cd(w, 0, 16, 1, 0, 0);
        map(w, 0, 16, 0x0000123456789000ull, ram(DATA), 3);
        map(w, 0, 16, 0x0000123456600000ull, ram(DATA), 2);
        ste(w, 2, K_BYPASS, 0);
        ste(w, 3, K_ABORT, 0);
        ste(w, 4, K_INVALID, 0);
        cmd(w, C_STE, 1);
        cmd(w, C_SYNC);
        w.u8(KICK);
        txn(w, 1, 0x0000123456789010ull);
        txn(w, 1, 0x0000123456789010ull, XF_WRITE);
        txn(w, 1, 0x0000123456600400ull, 3 << 2); // 8 bytes in the 2 MiB block
        txn(w, 1, 0x0000000000001000ull);          // F_TRANSLATION
        txn(w, 2, ram(DATA) + 0x80000000ull);      // bypass
        txn(w, 3, 0x1000);                         // abort
        txn(w, 4, 0x1000);                         // C_BAD_STE
        txn(w, 0x100, 0x1000);                     // beyond LOG2SIZE: C_BAD_STREAMID
        txn(w, 1, 0x1000, XF_NO_SID);
        w.u8(EVTQ_ACK);
        map(w, 0, 16, 0x0000123456789000ull, ram(DATA + 0x1000), 3); // remap: stale TLB until TLBI
        txn(w, 1, 0x0000123456789000ull);
        cmd(w, C_NH_ASID, 0, 0, 1);
        cmd(w, C_SYNC);
        w.u8(KICK);
        txn(w, 1, 0x0000123456789000ull);
        w.u8(DEBUG).u32(1).u64(0x0000123456789ff0ull).u8(63);
        save("smmu", "linear-stage1", w);
    }
    { // Two-level table (SPLIT 8), T0SZ 25 and 39, 1 GiB / 2 MiB blocks, permission and access faults.
        writer w = header(SM_2LEVEL | SM_RECINVSID, 8, 16);
        ste(w, 0x1201, K_S1, 1, 1); // privileged
        cd(w, 1, 25, 7, 0, 10);
        map(w, 10, 25, 0x40000000ull, ram(DATA), 1);        // 1 GiB block
        map(w, 10, 25, 0x00200000ull, ram(DATA), 2, 1);     // read-only 2 MiB block
        map(w, 10, 25, 0x00401000ull, ram(DATA), 3, 4);     // no AF
        map(w, 10, 25, 0x00402000ull, ram(DATA), 3, 8);     // OA beyond 48 bits
        ste(w, 0x1202, K_S1, 2);
        cd(w, 2, 39, 8, CF_AFFD, 20);
        map(w, 20, 39, 0x01234000ull, ram(DATA), 3, 2);     // privileged only
        map(w, 20, 39, 0x01235000ull, ram(DATA), 3, 4);     // no AF, but AFFD
        txn(w, 0x1201, 0x40000123ull);
        txn(w, 0x1201, 0x00200010ull, XF_WRITE);            // F_PERMISSION (read-only)
        txn(w, 0x1201, 0x00401000ull);                      // F_ACCESS
        txn(w, 0x1201, 0x00402000ull);                      // F_ADDR_SIZE
        txn(w, 0x1201, 0x80000000ull);                      // beyond 2^39: F_TRANSLATION
        txn(w, 0x1202, 0x01234000ull);                      // unprivileged: F_PERMISSION
        txn(w, 0x1202, 0x01235000ull);
        txn(w, 0x1300, 0x0);                                // no level-2 array: C_BAD_STREAMID
        w.u8(L1DESC).u16(0x14).u8(1).u32(ram(L2TAB + 0x8000));
        txn(w, 0x1401, 0x0);                                // Span 1: one STE only -> C_BAD_STE
        w.u8(EVTQ_ACK);
        save("smmu", "two-level-blocks-faults", w);
    }
    { // Bad context descriptors, an illegal command and recovery, an event queue in a hole, GBPA.
        writer w = header(SM_RECINVSID | SM_IRQS, 8, 6, 4, 1, ram(STRTAB), ram(CMDQ), HOLE_A);
        const std::uint8_t bad[] = {CF_INVALID, CF_NOT_AA64, CF_TG0_BAD, CF_ENDI, CF_EPD0};
        for (std::uint16_t i = 0; i < 5; ++i) {
            ste(w, 10 + i, K_S1, 10 + i);
            cd(w, 10 + i, 16, 10 + i, bad[i], 0);
            txn(w, 10 + i, 0x1000);
        }
        ste(w, 20, K_S1, 0, 2);
        w.u32(HOLE_A); // CD in a hole: F_CD_FETCH
        txn(w, 20, 0x1000);
        cd(w, 21, 12, 21, 0, 0);                    // T0SZ 12: C_BAD_CD
        ste(w, 21, K_S1, 21);
        txn(w, 21, 0x1000);
        ste(w, 22, K_RAW, 0, 0, 6);                 // stage 2: C_BAD_STE
        txn(w, 22, 0x1000);
        cmd(w, 11, 0, 0, 0, 0, 0, 0x77);             // illegal
        cmd(w, C_SYNC);
        w.u8(KICK);
        w.u8(REG_READ).u32(0x9c).u8(0);
        w.u8(GERR_ACK);
        w.u8(KICK);
        cmd(w, C_SYNC, 0, 0, 0, 0, 3);              // CS = 3: illegal
        w.u8(KICK);
        w.u8(GERR_ACK);
        w.u8(SET_CR0).u8(0x0c);                     // SMMUEN off
        w.u8(REG_WRITE).u32(0x44).u8(0).u64(1u << 20);
        w.u8(REG_WRITE).u32(0x44).u8(0).u64((1ull << 31) | (1u << 20));
        txn(w, 1, 0x1000);                          // GBPA abort
        w.u8(REG_WRITE).u32(0x80).u8(1).u64(0x123);  // while SMMUEN = 0: accepted
        w.u8(SET_CR0).u8(0x0d);
        w.u8(REG_WRITE).u32(0x88).u8(0).u64(0x30000); // while SMMUEN = 1: ignored
        save("smmu", "bad-config-and-commands", w);
    }
    { // Caches: more StreamIDs and pages than the config cache (4) and TLB (8) hold; every invalidation command.
        writer w = header();
        for (std::uint32_t s = 0; s < 6; ++s) {
            ste(w, 32 + s, K_S1, static_cast<std::uint16_t>(32 + s));
            cd(w, static_cast<std::uint16_t>(32 + s), 30, static_cast<std::uint16_t>(100 + s), 0,
               static_cast<std::uint16_t>(40 + s));
            for (std::uint64_t p = 0; p < 3; ++p)
                map(w, static_cast<std::uint16_t>(40 + s), 30, 0x1000 * (p + 1), ram(DATA + 0x1000 * (s + p)), 3);
        }
        for (unsigned round = 0; round < 2; ++round)
            for (std::uint32_t s = 0; s < 6; ++s)
                for (std::uint64_t p = 0; p < 3; ++p)
                    txn(w, 32 + s, 0x1000 * (p + 1) + 8 * round, static_cast<std::uint8_t>(round ? XF_WRITE : 0));
        cmd(w, C_NH_VA, 0, 0, 100, 0x1000);
        cmd(w, C_NH_VAA, 0, 0, 0, 0x2000);
        cmd(w, C_CD, 33);
        cmd(w, C_CD_ALL, 34);
        cmd(w, C_STE_RANGE, 32, 2);
        cmd(w, C_NH_ALL);
        cmd(w, C_NSNH_ALL);
        cmd(w, C_PREFETCH, 32);
        cmd(w, C_SYNC, 0, 0, 0, 0, 1);
        w.u8(KICK);
        for (std::uint32_t s = 0; s < 6; ++s)
            txn(w, 32 + s, 0x1000, XF_NO_SYNC);
        w.u8(WAIT).u16(1000);
        save("smmu", "caches-and-invalidation", w);
    }
}
} // namespace smmu

// ---- iATU -----------------------------------------------------------------------------------------------------
namespace iatu {
using namespace iatu_fmt;

// bar byte for a BAR of 2^bits bytes (mask 2^bits - 1).
std::uint8_t bar(unsigned bits) { return static_cast<std::uint8_t>(bits - 4); }

writer header(unsigned nib, unsigned nob, std::uint8_t gflags, std::uint8_t wsel, std::uint32_t wraw,
              std::uint8_t min_sel, std::uint8_t usel, std::uint32_t upper, std::uint8_t delay,
              const std::uint8_t (&bars)[6], bool per_function = false) {
    writer w;
    w.u8(nib - 1).u8(nob - 1).u8(gflags).u8(wsel).u32(wraw).u8(min_sel).u8(usel).u32(upper).u8(delay);
    for (auto b : bars)
        w.u8(b);
    w.flag(per_function);
    if (per_function)
        for (unsigned f = 1; f < 8; ++f)
            for (unsigned b = 0; b < 6; ++b)
                w.u8(bars[b] ? static_cast<std::uint8_t>(bars[b] + f % 3) : 0);
    return w;
}
void program(writer& w, std::uint8_t region, std::uint8_t pf, std::uint64_t base, unsigned size_log2,
             std::uint64_t target, std::uint8_t bar_n = 0, std::uint8_t func = 0) {
    w.u8(PROGRAM).u8(region).u8(pf).u64(base).u8(static_cast<std::uint8_t>(size_log2 - 12)).u64(target).u8(bar_n).u8(func);
}
void inbound(writer& w, unsigned func, unsigned bar_n, std::uint8_t region, std::uint8_t mode, std::uint64_t x) {
    w.u8(INBOUND).u8(func).u8(bar_n).u8(region).u8(mode).u64(x);
}
void outbound(writer& w, std::uint8_t region, std::uint8_t mode, std::uint64_t x) { w.u8(OUTBOUND).u8(region).u8(mode).u64(x); }
void targets(writer& w, std::uint64_t lo, std::uint32_t span) { w.u8(TARGETS).u64(lo).u32(span); }
void advance(writer& w, std::uint16_t ns) { w.u8(ADVANCE).u16(ns); }

void all() {
    const std::uint8_t mb[6] = {bar(20), bar(20), bar(20), bar(20), bar(20), bar(20)};
    { // Address-match inbound and outbound regions (the Linux driver's use), the enable handshake.
        writer w = header(16, 16, 0, 0, 0, 4, 0, 0, 4, mb);
        program(w, 0, PF_INBOUND, 0x10000000, 20, 0x80000000);
        program(w, 1, PF_INBOUND, 0x10080000, 16, 0x90000000); // inside region 0: region 0 wins
        program(w, 2, PF_INBOUND | PF_INCREASE, 0x20000000, 34, 0x100000000ull);
        inbound(w, 0, 0, 0, 0, 0x1234);  // before the handshake delay
        advance(w, 10);
        for (std::uint64_t x : {0x0ull, 0x80010ull, 0xfffffull, 0x100000ull})
            inbound(w, 0, 0, 0, 0, x);
        inbound(w, 0, 1, 2, 0, 0x3456789);
        inbound(w, 0, 0, 0, 1, 1);
        inbound(w, 0, 0, 0, 1, 0);
        program(w, 0, 0, 0x1000000000ull, 28, 0x80000000);  // outbound
        program(w, 1, 0, 0x1010000000ull, 16, 0x90000000, 0, 3);
        advance(w, 10);
        outbound(w, 0, 0, 0x123);
        outbound(w, 1, 1, 1);
        outbound(w, 0, 2, 0x2000000000ull);
        targets(w, 0x80000000, 0x1000);
        targets(w, 0x7fff0000, 0x8000);
        targets(w, 0x0, 0xffffffff);
        save("iatu", "address-match", w);
    }
    { // BAR-match regions with function match and per-function BAR sizes.
        const std::uint8_t bars[6] = {bar(16), bar(20), bar(12), 0, bar(32), bar(24)};
        writer w = header(8, 8, 0, 0, 0, 0, 2, 0, 0, bars, true);
        program(w, 0, PF_INBOUND | PF_BAR_MODE | PF_FUNC_MATCH, 0, 12, 0x80000000, 1, 2);
        program(w, 1, PF_INBOUND | PF_BAR_MODE, 0, 12, 0x90000000, 1);
        program(w, 2, PF_INBOUND | PF_BAR_MODE | PF_MISALIGNED, 0, 12, 0x90012345, 4);
        program(w, 3, PF_INBOUND | PF_BAR_MODE, 0, 12, 0xa0000000, 7); // BAR 7 does not exist
        for (unsigned f = 0; f < 4; ++f) {
            inbound(w, f, 1, 0, 2, 0x40000000ull + 0x1234 * f);
            inbound(w, f, 4, 0, 2, 0x4000000000ull + 0x5678);
            inbound(w, f, 3, 0, 2, 0x1000); // disabled BAR
        }
        targets(w, 0x90000000, 0x100);
        targets(w, 0x90012000, 0x10);
        save("iatu", "bar-match", w);
    }
    { // Register rules: raw offsets, bad sizes, debug writes, misaligned values, limit below base, I/O type.
        writer w = header(4, 4, 0, 2, 0x7ff, 1, 3, 0x0000ffff, 1, mb);
        for (std::uint8_t k = 0; k < 8; ++k) {
            w.u8(REG_WRITE).u8(1).u8(static_cast<std::uint8_t>(RF_INBOUND | (k << RF_REG_SHIFT))).u32(0xffffffff);
            w.u8(REG_READ).u8(1).u8(static_cast<std::uint8_t>(RF_INBOUND | (k << RF_REG_SHIFT))).u8(0);
            w.u8(REG_WRITE).u8(2).u8(static_cast<std::uint8_t>(RF_DEBUG | (k << RF_REG_SHIFT))).u32(0x12345678);
        }
        w.u8(REG_WRITE).u8(0).u8(RF_RAW).u32(0).u32(0x1c);  // gap in a block
        w.u8(REG_WRITE).u8(0).u8(RF_RAW).u32(1).u32(0x2);   // unaligned
        w.u8(REG_READ).u8(0).u8(0).u8(1);                   // 1 byte
        w.u8(REG_READ).u8(0).u8(0).u8(3);                   // 8 bytes
        w.u8(REG_READ).u8(0).u8(RF_RAW).u8(0).u32(0x1ffc);   // near the window end
        w.u8(REG_WRITE).u8(9).u8(0).u32(0xffffffff);        // region beyond the window
        program(w, 3, PF_INBOUND | PF_MISALIGNED, 0x20001234, 12, 0x30005678);
        program(w, 2, PF_INBOUND | PF_TYPE_IO, 0x40000000, 16, 0x50000000);
        w.u8(REG_WRITE).u8(0).u8(RF_INBOUND | (4 << RF_REG_SHIFT)).u32(0); // LIMIT 0 (the probe)
        advance(w, 100);
        inbound(w, 0, 0, 3, 0, 0x10);
        inbound(w, 0, 0, 2, 0, 0x10);
        targets(w, 0x30000000, 0x10000);
        save("iatu", "register-rules", w);
    }
    { // 256 + 256 regions in a 128 KiB window at 4 KiB granularity, regions up to 2^40 with UPPER_LIMIT.
        writer w = header(1, 1, IA_IB256 | IA_OB256, 0, 0, 0, 1, 0, 0, mb);
        for (std::uint8_t r = 0; r < 40; ++r)
            program(w, static_cast<std::uint8_t>(r * 6), PF_INBOUND | PF_INCREASE, 0x100000000ull * r, 12 + r % 28,
                    0x200000000ull + 0x1000000ull * r);
        program(w, 255, PF_INBOUND, 0xfffffffffff00000ull, 20, 0xfffffffffff00000ull);
        advance(w, 1);
        for (std::uint8_t r = 0; r < 40; ++r)
            inbound(w, 0, 0, static_cast<std::uint8_t>(r * 6), 0, 0x123456789ull * r);
        targets(w, 0xfffffffffff00000ull, 0xffff);
        save("iatu", "many-regions", w);
    }
}
} // namespace iatu

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    g_dir = argv[1];
    its::all();
    smmu::all();
    iatu::all();
    return 0;
}
