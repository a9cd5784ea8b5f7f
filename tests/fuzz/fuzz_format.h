// dbvp fuzzing — input layouts of fuzz_its, fuzz_smmu and fuzz_iatu, shared by the targets and by the seed
// generator (make_seeds.cpp). Every field is read front to back with fuzz::reader (little-endian; zeros past the
// end). Changing a layout changes the meaning of the committed seeds: regenerate them (tests/fuzz/README.md).
//
// Common: an "addr32" field names a guest physical address compactly. Bit 31 clear: RAM_BASE + (v % RAM_SIZE) of
// the bench's RAM. Bit 31 set: bits [30:29] pick 0 = an unmapped hole (bus error), 1 = the model's own register
// frame, 2 = another register frame of the bench, 3 = the last page below 2^64 (addresses that wrap); the low
// bits are the offset into it.
#pragma once

#include <cstdint>

namespace dbvp::fuzz {

// ---- fuzz_its ---------------------------------------------------------------------------------------------------
// Bench: router "soc" -> ram (RAM_BASE, 1 MiB), gicd, gicr, its.regs (through a tap counting TRANSLATER accesses);
// initiators: the driver's CPU master (registers), its device master (TRANSLATER writes with a pcie_attr
// DeviceID), gic.mem, its.mem. GIC: LPIs (16 ID bits) enabled once, configuration table at PROP, pending at PEND.
//
// Input:
//   header  u8 flags (ITS_*), u8 dev_page (BASER Page_Size field, 3 = reserved), u8 dev_pages_m1, u8 coll_page,
//           u8 coll_pages_m1, u8 queue_pages_m1 (& 0xf), addr32 devtab, addr32 colltab, addr32 queue
//   ops     until the input ends: u8 op (% its_fmt::count), then the op's fields (below)
namespace its_fmt {
constexpr std::uint64_t GICD_BASE = 0x08000000, ITS_BASE = 0x08080000, GICR_BASE = 0x080a0000;
constexpr std::uint64_t TRANSLATER = ITS_BASE + 0x10040;
constexpr std::uint64_t RAM_BASE = 0x80000000, RAM_SIZE = 0x100000, HOLE = 0x70000000;
constexpr std::uint64_t PROP = RAM_BASE, PEND = RAM_BASE + 0x10000; // GIC tables (restored for every input)
// Suggested places (seeds use them; the input may put tables anywhere).
constexpr std::uint64_t QUEUE = RAM_BASE + 0x20000, DEVTAB = RAM_BASE + 0x30000, COLLTAB = RAM_BASE + 0x50000,
                        ITT = RAM_BASE + 0x60000, L2 = RAM_BASE + 0xc0000;
constexpr unsigned LPI_BITS = 16;
// Header flags.
constexpr std::uint8_t DEV_INDIRECT = 1, COLL_INDIRECT = 2, CBASER_INVALID = 4, START_DISABLED = 8,
                       DEV_INVALID = 16, COLL_INVALID = 32;
enum op : std::uint8_t {
    CMD,       // u8 opsel (% 13: MOVI INT CLEAR SYNC MAPD MAPC MAPTI MAPI INV INVALL MOVALL DISCARD, 12 = raw opcode
               // byte u8), u32 dev, u32 ev, u32 pintid, u8 size, addr32 itt, u16 icid, u16 rdbase, u8 valid:
               // one command appended at the driver's CWRITER (not yet made visible)
    RAWCMD,    // 4 x u64: a raw command appended
    KICK,      // GITS_CWRITER = the driver's CWRITER; wait until consumed, stalled or disabled (bounded)
    TRANSLATE, // u32 dev, u32 ev, u8 tflags (TR_*): one device access to GITS_TRANSLATER
    BURST,     // u8 n (% 48 + 1), u32 dev, u32 ev: n writes of ev, ev+1 ... without synchronising (FIFO pressure)
    MEM64,     // addr32, u64: RAM write (no time); non-RAM addresses are ignored
    ENTRY,     // u8 kind (% 5: DTE ITE CTE L1-device L1-collection), u32 id, u32 ev, u8 size, addr32 ptr,
               // u32 intid, u16 icid, u8 valid: a table entry written where the header's tables put it
    REG_WRITE, // u16 offset (control frame), u8 size (bit 0: 8 bytes else 4), u64 value (CBASER Size & 0xf)
    REG_READ,  // u16 offset, u8 size
    WAIT,      // u16 ns
    ENABLE,    // u8 v: GITS_CTLR = v & 1
    RETRY,     // GITS_CWRITER = CWRITER | Retry
    LPI_CFG,   // u16 n, u8 cfg, u8 how (% 3: GICR_INVLPIR, GICR_INVALLR, nothing): configuration byte of LPI
               // 8192 + n % (2^16 - 8192)
    DRAIN,     // the CPU acknowledges and ends every deliverable interrupt
    count
};
// TRANSLATE flags.
constexpr std::uint8_t TR_NO_DEVICE_ID = 1, TR_LEN_MASK = 6 /* >> 1: 4, 2, 1, 8 bytes */, TR_READ = 8,
                       TR_NO_SYNC = 16, TR_UNALIGNED = 32;
// Command opcodes (GICv3).
constexpr std::uint8_t MOVI = 0x01, INT = 0x03, CLEAR = 0x04, SYNC = 0x05, MAPD = 0x08, MAPC = 0x09, MAPTI = 0x0a,
                       MAPI = 0x0b, INV = 0x0c, INVALL = 0x0d, MOVALL = 0x0e, DISCARD = 0x0f;
constexpr std::uint8_t OPCODES[12] = {MOVI, INT, CLEAR, SYNC, MAPD, MAPC, MAPTI, MAPI, INV, INVALL, MOVALL, DISCARD};
} // namespace its_fmt

// ---- fuzz_smmu --------------------------------------------------------------------------------------------------
// Bench: router "soc" -> ram (RAM_BASE, 2 MiB), smmu.regs (SMMU_BASE); initiators of soc: the driver's CPU master,
// smmu.walker, smmu.out. Devices: the driver's device master -> router "fabric" (0 cycles) -> smmu.in.
//
// Input:
//   header  u8 flags (SM_*), u8 split (STRTAB_BASE_CFG.SPLIT), u8 strtab_log2 (& 0x1f), u8 cmdq_log2 (% 9),
//           u8 evtq_log2 (% 8), addr32 strtab, addr32 cmdq, addr32 evtq
//   ops     until the input ends: u8 op (% smmu_fmt::count), then the op's fields (below)
namespace smmu_fmt {
constexpr std::uint64_t SMMU_BASE = 0x40000000, RAM_BASE = 0x80000000, RAM_SIZE = 0x200000, HOLE = 0x20000000;
constexpr std::uint64_t STRTAB = RAM_BASE, L2TAB = RAM_BASE + 0x10000, CMDQ = RAM_BASE + 0x20000,
                        EVTQ = RAM_BASE + 0x28000, CDS = RAM_BASE + 0x30000, PT_POOL = RAM_BASE + 0x40000,
                        PT_END = RAM_BASE + 0x100000, DATA = RAM_BASE + 0x100000;
constexpr std::uint8_t SM_2LEVEL = 1, SM_RECINVSID = 2, SM_GBPA_ABORT = 4, SM_NO_SMMUEN = 8, SM_NO_EVTQ = 16,
                       SM_IRQS = 32, SM_FMT_RESERVED = 64;
enum op : std::uint8_t {
    STE,     // u32 sid, u8 kind (% 5: abort, bypass, stage 1, raw, invalid), u16 cd, u8 sflags (bit 0 privileged,
             // bit 1 raw CD pointer), [u8 Config when raw], [addr32 CD pointer when bit 1, else CDS + 64 x cd]: the
             // STE of sid where the header's stream table puts it (2-level: a level-1 descriptor and a level-2
             // array are made when missing)
    L1DESC,  // u16 index, u8 span, addr32 l2: a raw level-1 descriptor
    CD,      // u16 cd, u8 t0sz, u16 asid, u8 cflags (CF_*), u8 ips, u16 root, [addr32 TTB0 when CF_RAW_TTB]:
             // context descriptor CDS + 64 x cd, TTB0 = page `root` of the page-table pool
    MAP,     // u16 root, u8 t0sz, u64 va, addr32 pa, u8 level (% 3 + 1), u8 attrs (bit 0 read-only, bit 1
             // privileged only, bit 2 no AF, bit 3 OA above 48 bits): a translation built from page `root`
    MEM64,   // addr32, u64: RAM write (no time)
    CMD,     // u8 opsel (% 12, OPCODES, 11 = raw u8), u32 sid, u8 range, u16 asid, u64 addr, u8 cs: one command
             // appended at the driver's CMDQ_PROD (not yet made visible)
    KICK,    // CMDQ_PROD = the driver's PROD; wait until consumed or in error (bounded)
    TXN,     // u32 sid, u64 va, u8 xflags (XF_*): one device transaction through the SMMU (XF_DATA_PAGE: va picks
             // one of the input's MAPped addresses, + (va >> 32) % 4096)
    REG_WRITE, // u32 offset (& 0x1fffc), u8 size (bit 0: 8 bytes), u64 value (queue LOG2SIZE fields capped)
    REG_READ,  // u32 offset, u8 size
    WAIT,      // u16 ns
    EVTQ_ACK,  // EVTQ_CONS = EVTQ_PROD (with the overflow flag)
    GERR_ACK,  // GERRORN = GERROR
    SET_CR0,   // u8 bits: CR0 = SMMUEN / EVTQEN / CMDQEN from bits 0, 2, 3; CR0ACK must follow
    DEBUG,     // u32 sid, u64 va, u8 len (+ 1 bytes; bit 7: va picks a MAPped address): debug transport
    count
};
constexpr std::uint8_t CF_EPD0 = 1, CF_AFFD = 2, CF_ENDI = 4, CF_NOT_AA64 = 8, CF_INVALID = 16, CF_TG0_BAD = 32,
                       CF_NO_RECORD = 64, CF_RAW_TTB = 128;
constexpr std::uint8_t XF_WRITE = 1, XF_NO_SID = 2, XF_LEN_MASK = 0x1c /* >> 2: 4 1 2 8 16 64 3 256 */,
                       XF_DATA_PAGE = 0x20, XF_NO_SYNC = 0x40;
constexpr std::uint8_t CMD_CFGI_STE = 0x03, CMD_CFGI_STE_RANGE = 0x04, CMD_CFGI_CD = 0x05, CMD_CFGI_CD_ALL = 0x06,
                       CMD_TLBI_NH_ALL = 0x10, CMD_TLBI_NH_ASID = 0x11, CMD_TLBI_NH_VA = 0x12,
                       CMD_TLBI_NH_VAA = 0x13, CMD_TLBI_NSNH_ALL = 0x30, CMD_SYNC = 0x46, CMD_PREFETCH_CONFIG = 0x01;
constexpr std::uint8_t OPCODES[11] = {CMD_CFGI_STE,     CMD_CFGI_STE_RANGE, CMD_CFGI_CD,     CMD_CFGI_CD_ALL,
                                      CMD_TLBI_NH_ALL,  CMD_TLBI_NH_ASID,   CMD_TLBI_NH_VA,  CMD_TLBI_NH_VAA,
                                      CMD_TLBI_NSNH_ALL, CMD_SYNC,          CMD_PREFETCH_CONFIG};
} // namespace smmu_fmt

// ---- fuzz_iatu --------------------------------------------------------------------------------------------------
// No SystemC simulation: a dwc_iatu is built for every input from the header, programmed through its register
// bank and asked lookups at a simulated time the input advances.
//
// Input:
//   header  u8 nib (% 32 + 1), u8 nob (% 32 + 1), u8 gflags (IA_*), u8 wsel (% 4: 0x20000, 0x1000, 4 x (u32 %
//           0x8000 + 1), 0x400), u32 wraw, u8 min (% 5: 4 KiB << n), u8 usel (% 4: 0, 0xff, ~0, u32), u32 upper,
//           u8 enable_delay_ns, 6 x u8 bar (mask of function 0 BAR n: 0 = disabled, else 2^(4 + v % 44) - 1),
//           u8 per_function: when odd, 7 x 6 more bar bytes (functions 1..7), else all functions as function 0
//   ops     until the input ends: u8 op (% iatu_fmt::count), then the op's fields (below)
namespace iatu_fmt {
constexpr std::uint8_t IA_IB256 = 1, IA_OB256 = 2;
enum op : std::uint8_t {
    REG_WRITE, // u8 region, u8 rflags (RF_*), u32 value, [u32 offset when RF_RAW]: one register access
    PROGRAM,   // u8 region, u8 pflags (PF_*), u64 base, u8 size_log2, u64 target, u8 bar, u8 func: a whole region
    ADVANCE,   // u16 ns
    REG_READ,  // u8 region, u8 rflags, u8 size (% 4: 4 1 2 8), [u32 offset when RF_RAW]
    INBOUND,   // u8 func, u8 bar, u8 region, u8 mode (% 3: inside region `region`, near its edges, raw), u64 x
    OUTBOUND,  // u8 region, u8 mode, u64 x
    TARGETS,   // u64 lo, u32 span
    count
};
constexpr std::uint8_t RF_INBOUND = 1, RF_DEBUG = 2, RF_REG_SHIFT = 2 /* bits [4:2]: register index */,
                       RF_RAW = 0x20;
constexpr std::uint8_t PF_INBOUND = 1, PF_BAR_MODE = 2, PF_FUNC_MATCH = 4, PF_INCREASE = 8, PF_TYPE_IO = 16,
                       PF_NO_ENABLE = 32, PF_MISALIGNED = 64;
} // namespace iatu_fmt

} // namespace dbvp::fuzz
