// dbvp — Arm SMMUv3 architectural encodings used by the model (registers, STE, CD, descriptors, commands, event
// records). Private to models/src/smmu. Written from the SMMUv3 architecture and hardware-facts.md section 9.
#pragma once

#include <cstdint>

namespace dbvp::smmu::arch {

// ---- Register offsets (page 0; page 1 starts at 0x10000) ----------------------------------------------------
constexpr std::uint64_t IDR0 = 0x00, IDR1 = 0x04, IDR2 = 0x08, IDR3 = 0x0c, IDR4 = 0x10, IDR5 = 0x14, IIDR = 0x18,
                        AIDR = 0x1c, CR0 = 0x20, CR0ACK = 0x24, CR1 = 0x28, CR2 = 0x2c, STATUSR = 0x40, GBPA = 0x44,
                        AGBPA = 0x48, IRQ_CTRL = 0x50, IRQ_CTRLACK = 0x54, GERROR = 0x60, GERRORN = 0x64,
                        GERROR_IRQ_CFG0 = 0x68, GERROR_IRQ_CFG1 = 0x70, GERROR_IRQ_CFG2 = 0x74, STRTAB_BASE = 0x80,
                        STRTAB_BASE_CFG = 0x88, CMDQ_BASE = 0x90, CMDQ_PROD = 0x98, CMDQ_CONS = 0x9c,
                        EVTQ_BASE = 0xa0, EVTQ_IRQ_CFG0 = 0xb0, EVTQ_IRQ_CFG1 = 0xb8, EVTQ_IRQ_CFG2 = 0xbc,
                        EVTQ_PROD = 0x100a8, EVTQ_CONS = 0x100ac;
constexpr std::uint64_t REG_SPACE = 0x20000; // pages 0 and 1

// IDR0
constexpr std::uint32_t IDR0_S1P = 1u << 1;
constexpr std::uint32_t IDR0_TTF_AARCH64 = 2u << 2;
constexpr std::uint32_t IDR0_COHACC = 1u << 4;
constexpr std::uint32_t IDR0_ASID16 = 1u << 12;
constexpr std::uint32_t IDR0_TTENDIAN_LE = 2u << 21;
constexpr std::uint32_t IDR0_STALL_MODEL_TERM = 1u << 24; // STALL_MODEL 0b01: stalls not supported
constexpr std::uint32_t IDR0_TERM_MODEL = 1u << 26;       // terminated transactions always abort
constexpr std::uint32_t IDR0_ST_LEVEL_2 = 1u << 27;       // ST_LEVEL 0b01: 2-level stream table supported
// IDR1
constexpr unsigned IDR1_EVENTQS_SHIFT = 16;
constexpr unsigned IDR1_CMDQS_SHIFT = 21;
constexpr unsigned CMDQS = 19;   // largest command queue: 2^19 entries
constexpr unsigned EVENTQS = 19; // largest event queue
// IDR5
constexpr std::uint32_t IDR5_OAS_48 = 5;
constexpr std::uint32_t IDR5_GRAN4K = 1u << 4;
constexpr unsigned OAS_BITS = 48;

// CR0 / CR0ACK
constexpr std::uint32_t CR0_SMMUEN = 1u << 0;
constexpr std::uint32_t CR0_EVTQEN = 1u << 2;
constexpr std::uint32_t CR0_CMDQEN = 1u << 3;
// CR1: queue and table attributes (stored)
constexpr std::uint32_t CR1_WRITABLE = 0xfff;
// CR2
constexpr std::uint32_t CR2_RECINVSID = 1u << 1;
constexpr std::uint32_t CR2_PTM = 1u << 2;
// GBPA
constexpr std::uint32_t GBPA_UPDATE = 1u << 31;
constexpr std::uint32_t GBPA_ABORT = 1u << 20;
constexpr std::uint32_t GBPA_FIELDS = GBPA_ABORT | (3u << 18) | (3u << 16) | (3u << 12) | (0xfu << 8) | (1u << 4) | 0xfu;
constexpr std::uint32_t GBPA_RESET = 1u << 12; // SHCFG = use incoming, bypass
// IRQ_CTRL
constexpr std::uint32_t IRQ_CTRL_GERROR = 1u << 0;
constexpr std::uint32_t IRQ_CTRL_EVTQ = 1u << 2;
// GERROR / GERRORN
constexpr std::uint32_t GERROR_CMDQ_ERR = 1u << 0;
constexpr std::uint32_t GERROR_EVTQ_ABT_ERR = 1u << 2;
constexpr std::uint32_t GERROR_SFM_ERR = 1u << 8;
constexpr std::uint32_t GERROR_MASK = GERROR_CMDQ_ERR | GERROR_EVTQ_ABT_ERR | GERROR_SFM_ERR;
// STRTAB_BASE / STRTAB_BASE_CFG
constexpr std::uint64_t BASE_RA = 1ull << 62;
constexpr std::uint64_t STRTAB_ADDR = 0x000fffffffffffc0ull;
constexpr unsigned STRTAB_FMT_SHIFT = 16, STRTAB_SPLIT_SHIFT = 6;
constexpr std::uint32_t STRTAB_CFG_WRITABLE = (3u << 16) | (0x1fu << 6) | 0x3fu;
constexpr unsigned FMT_LINEAR = 0, FMT_2LVL = 1;
// Queue bases and pointers
constexpr std::uint64_t Q_ADDR = 0x000fffffffffffe0ull;
constexpr std::uint64_t Q_LOG2SIZE = 0x1f;
constexpr std::uint32_t Q_PTR = 0xfffff;         // index + wrap, up to 2^19 entries
constexpr std::uint32_t Q_OVFLG = 1u << 31;      // EVTQ_PROD.OVFLG / EVTQ_CONS.OVACKFLG
constexpr unsigned CONS_ERR_SHIFT = 24;
constexpr std::uint32_t CONS_ERR = 0x7fu << CONS_ERR_SHIFT;
constexpr std::uint32_t CERROR_ILL = 1, CERROR_ABT = 2;
constexpr unsigned CMD_BYTES = 16, EVT_BYTES = 32;

// ---- Stream table ---------------------------------------------------------------------------------------------
constexpr unsigned STE_BYTES = 64, L1STD_BYTES = 8;
constexpr std::uint64_t L1STD_SPAN = 0x1f;
constexpr std::uint64_t L1STD_L2PTR = 0x000fffffffffffc0ull;
constexpr std::uint64_t STE0_V = 1;
constexpr unsigned STE0_CONFIG_SHIFT = 1;
constexpr unsigned CONFIG_ABORT = 0, CONFIG_BYPASS = 4, CONFIG_S1 = 5;
constexpr std::uint64_t STE0_S1CTXPTR = 0x000fffffffffffc0ull;
constexpr unsigned STE1_PRIVCFG_SHIFT = 48; // 0b10 unprivileged, 0b11 privileged, 0b0x use incoming
// ---- Context descriptor ----------------------------------------------------------------------------------------
constexpr unsigned CD_BYTES = 64;
constexpr std::uint64_t CD0_T0SZ = 0x3f;
constexpr unsigned CD0_TG0_SHIFT = 6;
constexpr std::uint64_t CD0_EPD0 = 1ull << 14;
constexpr std::uint64_t CD0_ENDI = 1ull << 15;
constexpr std::uint64_t CD0_V = 1ull << 31;
constexpr unsigned CD0_IPS_SHIFT = 32;
constexpr std::uint64_t CD0_AFFD = 1ull << 35;
constexpr std::uint64_t CD0_AA64 = 1ull << 41;
constexpr std::uint64_t CD0_R = 1ull << 45; // record translation-class faults
constexpr unsigned CD0_ASID_SHIFT = 48;
constexpr std::uint64_t CD1_TTB0 = 0x000ffffffffffff0ull;
constexpr unsigned T0SZ_MIN = 16, T0SZ_MAX = 39; // 4 KiB granule, no TTST
// ---- AArch64 stage-1 descriptors (4 KiB granule) --------------------------------------------------------------
constexpr std::uint64_t DESC_VALID = 1ull << 0;
constexpr std::uint64_t DESC_TABLE = 1ull << 1; // table (levels 0-2) or page (level 3)
constexpr std::uint64_t DESC_AP1 = 1ull << 6;   // EL0 (unprivileged) access
constexpr std::uint64_t DESC_AP2 = 1ull << 7;   // read-only
constexpr std::uint64_t DESC_AF = 1ull << 10;
constexpr std::uint64_t DESC_OA = 0x0000fffffffff000ull;
constexpr std::uint64_t DESC_OA_HIGH = 0x000f000000000000ull; // OA[51:48]: address size fault with a 48-bit OAS

// ---- Commands --------------------------------------------------------------------------------------------------
constexpr std::uint8_t CMD_PREFETCH_CONFIG = 0x01, CMD_PREFETCH_ADDR = 0x02, CMD_CFGI_STE = 0x03,
                       CMD_CFGI_STE_RANGE = 0x04, CMD_CFGI_CD = 0x05, CMD_CFGI_CD_ALL = 0x06,
                       CMD_TLBI_NH_ALL = 0x10, CMD_TLBI_NH_ASID = 0x11, CMD_TLBI_NH_VA = 0x12,
                       CMD_TLBI_NH_VAA = 0x13, CMD_TLBI_NSNH_ALL = 0x30, CMD_SYNC = 0x46;
constexpr unsigned SYNC_CS_SHIFT = 12;
constexpr unsigned CS_NONE = 0, CS_IRQ = 1, CS_SEV = 2;

// ---- Events ----------------------------------------------------------------------------------------------------
constexpr std::uint8_t C_BAD_STREAMID = 0x02, F_STE_FETCH = 0x03, C_BAD_STE = 0x04, F_STREAM_DISABLED = 0x06,
                       F_CD_FETCH = 0x09, C_BAD_CD = 0x0a, F_WALK_EABT = 0x0b, F_TRANSLATION = 0x10,
                       F_ADDR_SIZE = 0x11, F_ACCESS = 0x12, F_PERMISSION = 0x13;
constexpr unsigned EVT1_PNU = 33, EVT1_IND = 34, EVT1_RNW = 35, EVT1_CLASS = 40;
constexpr unsigned CLASS_CD = 0, CLASS_TT = 1, CLASS_IN = 2;
constexpr std::uint64_t EVT3_FETCH = 0x000ffffffffffff8ull;

} // namespace dbvp::smmu::arch
