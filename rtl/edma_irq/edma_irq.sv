// dbvp — DesignWare eDMA (v0 unrolled map) interrupt block for one write/read direction pair.
//
// Behaviour: the TLM model dbvp::pcie::dwc_edma (models/src/pcie/dwc_edma.cpp), interrupt part; see README.md
// for the interface and the timing.
//
//   WR_INT_STATUS 0x4c / RD_INT_STATUS 0xa0  RO: DONE [7:0], ABORT [23:16] (bits of existing channels only).
//                                            Any write sets the direction's interrupt-emulation latch (data
//                                            ignored, no status bit changes).
//   WR_INT_MASK   0x54 / RD_INT_MASK   0xa8  RW [7:0], [23:16] (all 16 bits stored); 1 = masked. Reset 0.
//   WR_INT_CLEAR  0x58 / RD_INT_CLEAR  0xac  WO (reads 0): 1-bits clear DONE/ABORT; any write (0 too) clears the
//                                            latch.
//   irq: a line is high while an unmasked DONE/ABORT bit of its channel(s) is set or while its direction's latch
//        is set (the mask does not gate the latch). PER_CHANNEL = 0: one line irq[0]; PER_CHANNEL = 1:
//        irq[n] = write channel n, irq[WR_CH + n] = read channel n, the latch drives channel 0's line of its
//        direction.
//
// Everything is synchronous to clk's rising edge; rst_n is an asynchronous active-low reset. irq is a function
// of flops only (no combinational path from any input).
module edma_irq #(
    parameter int unsigned WR_CH       = 8,    // write channels, 1..8
    parameter int unsigned RD_CH       = 8,    // read channels, 1..8
    parameter int unsigned PER_CHANNEL = 0,    // 1: one line per channel; 0: one combined line
    localparam int unsigned NIRQ       = PER_CHANNEL != 0 ? WR_CH + RD_CH : 1
) (
    input  logic             clk,
    input  logic             rst_n,
    // Engine events: one-cycle pulses (a bit held high keeps setting its status bit).
    input  logic [WR_CH-1:0] wr_done,
    input  logic [WR_CH-1:0] wr_abort,
    input  logic [RD_CH-1:0] rd_done,
    input  logic [RD_CH-1:0] rd_abort,
    // Register port: byte offset in the eDMA global block ([1:0] ignored, 32-bit accesses). reg_we / reg_re are
    // strobes sampled at a rising edge (not both at once); a write takes effect at that edge, a read's data is
    // registered at that edge and held in reg_rdata until the next read.
    input  logic [7:0]       reg_addr,
    input  logic [31:0]      reg_wdata,
    input  logic             reg_we,
    input  logic             reg_re,
    output logic [31:0]      reg_rdata,
    output logic [NIRQ-1:0]  irq
);
  timeunit 1ns;
  timeprecision 1ps;

  initial begin
    if (WR_CH < 1 || WR_CH > 8 || RD_CH < 1 || RD_CH > 8) $error("edma_irq: WR_CH and RD_CH must be 1..8");
  end

  // Word addresses of the decoded registers.
  localparam logic [5:0] WR_STATUS = 6'h13, // 0x4c
                         WR_MASK   = 6'h15, // 0x54
                         WR_CLEAR  = 6'h16, // 0x58
                         RD_STATUS = 6'h28, // 0xa0
                         RD_MASK   = 6'h2a, // 0xa8
                         RD_CLEAR  = 6'h2b; // 0xac

  wire [5:0] word = reg_addr[7:2];
  wire       wr_status_we = reg_we && word == WR_STATUS;
  wire       wr_mask_we   = reg_we && word == WR_MASK;
  wire       wr_clear_we  = reg_we && word == WR_CLEAR;
  wire       rd_status_we = reg_we && word == RD_STATUS;
  wire       rd_mask_we   = reg_we && word == RD_MASK;
  wire       rd_clear_we  = reg_we && word == RD_CLEAR;

  // ---- State ---------------------------------------------------------------------------------------------------
  logic [WR_CH-1:0] wr_done_q, wr_abort_q;
  logic [RD_CH-1:0] rd_done_q, rd_abort_q;
  logic [7:0]       wr_mdone_q, wr_mabort_q, rd_mdone_q, rd_mabort_q; // INT_MASK [7:0] / [23:16]
  logic             wr_latch_q, rd_latch_q;                           // interrupt-emulation latches

  // Bits a write to INT_CLEAR clears this cycle.
  wire [WR_CH-1:0] wr_clr_done  = wr_clear_we ? reg_wdata[WR_CH-1:0] : '0;
  wire [WR_CH-1:0] wr_clr_abort = wr_clear_we ? reg_wdata[16 +: WR_CH] : '0;
  wire [RD_CH-1:0] rd_clr_done  = rd_clear_we ? reg_wdata[RD_CH-1:0] : '0;
  wire [RD_CH-1:0] rd_clr_abort = rd_clear_we ? reg_wdata[16 +: RD_CH] : '0;

  // A status bit whose clear and event coincide stays set (the event wins: none is lost).
  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      wr_done_q   <= '0;
      wr_abort_q  <= '0;
      rd_done_q   <= '0;
      rd_abort_q  <= '0;
      wr_mdone_q  <= '0;
      wr_mabort_q <= '0;
      rd_mdone_q  <= '0;
      rd_mabort_q <= '0;
      wr_latch_q  <= 1'b0;
      rd_latch_q  <= 1'b0;
    end else begin
      wr_done_q  <= (wr_done_q & ~wr_clr_done) | wr_done;
      wr_abort_q <= (wr_abort_q & ~wr_clr_abort) | wr_abort;
      rd_done_q  <= (rd_done_q & ~rd_clr_done) | rd_done;
      rd_abort_q <= (rd_abort_q & ~rd_clr_abort) | rd_abort;
      if (wr_mask_we) begin
        wr_mdone_q  <= reg_wdata[7:0];
        wr_mabort_q <= reg_wdata[23:16];
      end
      if (rd_mask_we) begin
        rd_mdone_q  <= reg_wdata[7:0];
        rd_mabort_q <= reg_wdata[23:16];
      end
      if (wr_status_we) wr_latch_q <= 1'b1;
      else if (wr_clear_we) wr_latch_q <= 1'b0;
      if (rd_status_we) rd_latch_q <= 1'b1;
      else if (rd_clear_we) rd_latch_q <= 1'b0;
    end
  end

  // ---- Register read -------------------------------------------------------------------------------------------
  logic [31:0] rdata_d;
  always_comb begin
    unique case (word)
      WR_STATUS: rdata_d = {8'h00, 8'(wr_abort_q), 8'h00, 8'(wr_done_q)};
      WR_MASK:   rdata_d = {8'h00, wr_mabort_q, 8'h00, wr_mdone_q};
      RD_STATUS: rdata_d = {8'h00, 8'(rd_abort_q), 8'h00, 8'(rd_done_q)};
      RD_MASK:   rdata_d = {8'h00, rd_mabort_q, 8'h00, rd_mdone_q};
      default:   rdata_d = 32'h0; // INT_CLEAR (write-only) and offsets this block does not decode
    endcase
  end

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) reg_rdata <= 32'h0;
    else if (reg_re) reg_rdata <= rdata_d;
  end

  // ---- Interrupt lines -----------------------------------------------------------------------------------------
  // Per channel: an unmasked DONE or ABORT bit is set.
  wire [WR_CH-1:0] wr_pend = (wr_done_q & ~wr_mdone_q[WR_CH-1:0]) | (wr_abort_q & ~wr_mabort_q[WR_CH-1:0]);
  wire [RD_CH-1:0] rd_pend = (rd_done_q & ~rd_mdone_q[RD_CH-1:0]) | (rd_abort_q & ~rd_mabort_q[RD_CH-1:0]);

  generate
    if (PER_CHANNEL != 0) begin : g_per_channel
      always_comb begin
        irq            = {rd_pend, wr_pend};
        irq[0]         = wr_pend[0] | wr_latch_q;
        irq[WR_CH]     = rd_pend[0] | rd_latch_q;
      end
    end else begin : g_combined
      assign irq = |{rd_pend, wr_pend, rd_latch_q, wr_latch_q};
    end
  endgenerate

  // Inputs this block does not use: the byte lane of 32-bit accesses and the reserved data bits.
  wire unused = &{1'b0, reg_addr[1:0], reg_wdata[31:24], reg_wdata[15:8]};

endmodule
