// dbvp — Synopsys DesignWare embedded DMA (eDMA, v0 register map, unrolled), TLM model.
//
// Sockets
//   regs    target     the register block (global registers, then per channel: write context at
//                      0x200 + n*0x200, read context at 0x300 + n*0x200). 4-byte accesses, and naturally aligned
//                      8-byte ones (SAR/DAR/LLP at 0x0c/0x14/0x1c are not 8-aligned: two 4-byte accesses).
//   local   initiator  endpoint-side memory: what write channels read (SAR), what read channels write (DAR), and
//                      the linked lists (data and link elements live in endpoint memory)
//   pcie    initiator  TLPs towards the host (bind to dwc_ep::dma_in, which gives them the function's requester
//                      ID and sends them out on the link): MWr for write channels and IMWr messages, MRd for read
//                      channels
//   irq(n)             interrupt outputs (level): one combined line (irq(0)) or, with per_channel_irqs, one line
//                      per channel: write channels 0..wr_channels-1 first, then read channels
//
// Engines: one SC_THREAD per channel, started by WR_DOORBELL / RD_DOORBELL (engine enabled, channel idle);
// channels run concurrently and share the link and the local interconnect. A block moves as TLPs of at most
// max_payload bytes (writes) or max_read_request bytes (reads), never crossing a 4 KiB PCIe boundary; local
// accesses overlap the TLPs in flight, and a TLP waits for the completion of the one max_outstanding before it
// (flow-control credits / read tags), so a long transfer runs at the rate of its slowest stage (normally the
// link) and the engine never runs far ahead of it. Each TLP costs the engine ceil(bytes / bytes_per_cycle)
// cycles to issue, each block or list element setup_latency cycles.
//
// Single block (CH_CONTROL1.LLE = 0): TRANSFER_SIZE bytes from SAR to DAR; at the end DONE is set (and the done
// IMWr sent if CH_CONTROL1.RIE). Linked list (LLE = 1): elements are read from LLP in local memory. A data element
// (24 bytes: control, transfer size, SAR, DAR) whose CB equals the channel's consumer cycle state (CCS) is moved;
// LIE on it sets DONE, RIE sends the done IMWr; the next element follows it. A link element (16 bytes: control
// with LLP = 1, reserved, pointer) continues at its pointer and toggles CCS if TCB is set. An element whose CB
// differs from CCS ends the list: the channel stops (CS = stopped) without an interrupt of its own.
// Registers follow the engine: TRANSFER_SIZE counts down, SAR and DAR advance, LLP is the element being worked on,
// CH_CONTROL1.CS is running (1), stopped (3) after completion or a STOP, halted (2) after any other abort.
//
// Aborts: the doorbell's STOP bit, a local bus error, a read completion with UR or CA, an element fetch error, or
// the engine disabled while the channel runs (checked between TLPs). ABORT is set, the error status register records
// the cause (see docs/models/dwc_edma.md) and the abort IMWr is sent when enabled (CH_CONTROL1.RIE in single
// block mode, LINKED_LIST_ERR_EN bit n in linked-list mode).
//
// Interrupts: each line is high while an unmasked DONE/ABORT bit of its channel(s) is set in WR/RD_INT_STATUS, or
// while the interrupt emulation latch of its direction is set. Interrupt emulation (the embedded doorbell): any
// write to WR_INT_STATUS or RD_INT_STATUS sets that direction's latch — no status bit changes, the data is
// ignored, INT_MASK does not gate it — and any write to WR_INT_CLEAR / RD_INT_CLEAR clears it (the written 1-bits
// clear DONE/ABORT bits, so a write of 0 clears only the latch). With per-channel lines, the latch drives the line
// of channel 0 of its direction. The emulated and the real interrupts share the line(s).
#pragma once

#include "dbvp/core/clocked.h"
#include "dbvp/core/irq.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

namespace dbvp::pcie {

class dwc_edma : public sc_core::sc_module, public clocked {
public:
    struct params {
        std::uint64_t clock_hz = 250000000;
        unsigned wr_channels = 8;        // write (local -> host) channels, 1..8 (DMA_CTRL[3:0])
        unsigned rd_channels = 8;        // read (host -> local) channels, 1..8 (DMA_CTRL[19:16])
        bool per_channel_irqs = false;   // one line per channel instead of one combined line
        std::uint64_t regs_size = 0x2000; // register window; must hold every channel's context
        unsigned reg_latency = 4;        // cycles per register access
        unsigned setup_latency = 16;     // cycles per block / list element before its first TLP
        unsigned bytes_per_cycle = 16;   // engine datapath: cycles per TLP = ceil(bytes / bytes_per_cycle)
        unsigned max_payload = 256;      // bytes per MWr (Max_Payload_Size), power of two 128..4096
        unsigned max_read_request = 512; // bytes per MRd (Max_Read_Request_Size), power of two 128..4096
        unsigned max_outstanding = 8;    // TLPs in flight per channel (posted credits / read tags), 1..32
    };

    enum class direction : std::uint8_t { write, read }; // write: local -> host; read: host -> local

    tlm_utils::simple_target_socket<dwc_edma> regs;
    tlm_utils::simple_initiator_socket<dwc_edma> local;
    tlm_utils::simple_initiator_socket<dwc_edma> pcie;

    dwc_edma(sc_core::sc_module_name name, const params& p);
    ~dwc_edma() override;

    const params& get_params() const { return p_; }
    unsigned num_irqs() const { return static_cast<unsigned>(irqs_.size()); }
    irq_out& irq(unsigned n) { return irqs_.at(n); }
    /// Index of the interrupt line of a channel (0 with one combined line).
    unsigned irq_of(direction d, unsigned channel) const;

    /// Register offsets of the v0 unrolled map (facts §3.1).
    struct offsets {
        static constexpr std::uint32_t CTRL = 0x008, WR_ENGINE_EN = 0x00c, WR_DOORBELL = 0x010,
                                       RD_ENGINE_EN = 0x02c, RD_DOORBELL = 0x030, WR_INT_STATUS = 0x04c,
                                       WR_INT_MASK = 0x054, WR_INT_CLEAR = 0x058, WR_ERR_STATUS = 0x05c,
                                       WR_DONE_IMWR = 0x060, WR_ABORT_IMWR = 0x068, WR_IMWR_DATA = 0x070,
                                       WR_LL_ERR_EN = 0x090, RD_INT_STATUS = 0x0a0, RD_INT_MASK = 0x0a8,
                                       RD_INT_CLEAR = 0x0ac, RD_ERR_STATUS_LOW = 0x0b4, RD_ERR_STATUS_HIGH = 0x0b8,
                                       RD_LL_ERR_EN = 0x0c4, RD_DONE_IMWR = 0x0cc, RD_ABORT_IMWR = 0x0d4,
                                       RD_IMWR_DATA = 0x0dc;
        static constexpr std::uint32_t CH_BASE = 0x200, CH_STRIDE = 0x200, CH_READ = 0x100;
        static constexpr std::uint32_t CH_CONTROL1 = 0x00, CH_CONTROL2 = 0x04, TRANSFER_SIZE = 0x08, SAR = 0x0c,
                                       DAR = 0x14, LLP = 0x1c;
        static constexpr std::uint32_t channel(direction d, unsigned n) {
            return CH_BASE + n * CH_STRIDE + (d == direction::read ? CH_READ : 0);
        }
    };
    // CH_CONTROL1 and element control bits.
    static constexpr std::uint32_t CB = 1u << 0, TCB = 1u << 1, LLP_BIT = 1u << 2, LIE = 1u << 3, RIE = 1u << 4,
                                   CCS = 1u << 8, LLE = 1u << 9;
    static constexpr unsigned CS_SHIFT = 5;
    enum class channel_status : std::uint8_t { idle = 0, running = 1, halted = 2, stopped = 3 };
    static constexpr std::uint32_t DOORBELL_STOP = 1u << 31;

    enum class abort_cause : std::uint8_t {
        stopped,          // doorbell STOP bit
        engine_disabled,  // ENGINE_EN cleared while running
        local_error,      // local read (write channel) or local write (read channel) failed
        remote_ur,        // read completion: Unsupported Request
        remote_ca,        // read completion: Completer Abort (or another failure of the read)
        element_fetch,    // linked-list element could not be read
    };
    static const char* to_string(abort_cause c);
    static const char* to_string(direction d);
    struct abort_record {
        sc_core::sc_time time;
        direction dir;
        unsigned channel;
        abort_cause cause;
        std::uint64_t address; // address of the failing access (element address for element_fetch)
    };
    const std::deque<abort_record>& aborts() const { return aborts_; }

    struct counters {
        std::uint64_t blocks = 0;          // data blocks completed (single blocks and list data elements)
        std::uint64_t bytes_written = 0;   // bytes sent to the host
        std::uint64_t bytes_read = 0;      // bytes received from the host
        std::uint64_t tlps = 0;            // MWr + MRd issued (IMWr excluded)
        std::uint64_t imwr = 0;            // IMWr messages sent
        std::uint64_t emulated = 0;        // interrupt-emulation writes
    };
    const counters& stats() const { return stats_; }
    channel_status status(direction d, unsigned channel) const;

private:
    void regs_b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
    unsigned regs_transport_dbg(tlm::tlm_generic_payload& p);

    struct impl;
    std::unique_ptr<impl> m_;
    params p_;
    std::vector<irq_out> irqs_;
    std::deque<abort_record> aborts_;
    counters stats_;
};

} // namespace dbvp::pcie
