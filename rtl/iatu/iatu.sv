// dbvp — inbound iATU of the DWC PCIe endpoint controller (unrolled register layout), synthesizable reference RTL.
//
// Behaviour: models/src/pcie/dwc_iatu.{h,cpp} (inbound() and the inbound register rules); interface and timing:
// rtl/iatu/README.md. The outbound blocks and the CTRL2.ENABLE handshake delay are not implemented (see README).
`timescale 1ns / 1ps

module iatu #(
    parameter int unsigned N                = 16,        // inbound regions, 1..256
    parameter int unsigned MIN_REGION_SIZE  = 16,        // log2(CX_ATU_MIN_REGION_SIZE), 12..16
    parameter int unsigned LATENCY          = 2,         // lookup pipeline depth in cycles, >= 1
    parameter logic [31:0] MAX_REGION_UPPER = 32'h0,     // writable bits of UPPER_LIMIT
    localparam int unsigned RW = (N > 1) ? $clog2(N) : 1 // width of a region index
) (
    input  logic                 clk,
    input  logic                 rst_n,         // asynchronous, active low

    // Register interface: fixed one-cycle handshake, 4-byte accesses (addr[1:0] ignored).
    input  logic [31:0]          reg_addr,      // offset inside the iATU window
    input  logic [31:0]          reg_wdata,
    input  logic                 reg_we,        // write at this rising edge
    input  logic                 reg_re,        // read at this rising edge; reg_rdata holds it from then on
    output logic [31:0]          reg_rdata,

    // Lookup request (one per cycle, sampled at the rising edge while req_valid is high).
    input  logic                 req_valid,
    input  logic [2:0]           req_bar,       // BAR the request hit
    input  logic [63:0]          req_bar_base,  // that BAR's base address
    input  logic [63:0]          req_bar_mask,  // that BAR's size - 1
    input  logic [2:0]           req_func,      // function number
    input  logic [63:0]          req_addr,      // PCIe address

    // Lookup response, LATENCY cycles after the request.
    output logic                 rsp_valid,
    output logic                 rsp_hit,
    output logic [RW-1:0]        rsp_region,    // first (lowest) matching region; 0 on a miss
    output logic [63:0]          rsp_addr       // translated address; 0 on a miss
);
    localparam logic [31:0] LOW = 32'((64'd1 << MIN_REGION_SIZE) - 64'd1);

    // Register offsets inside a region block and field positions (dwc_iatu.h).
    localparam logic [7:0] CTRL1 = 8'h00, CTRL2 = 8'h04, LOWER_BASE = 8'h08, UPPER_BASE = 8'h0c, LIMIT = 8'h10,
                           LOWER_TARGET = 8'h14, UPPER_TARGET = 8'h18, UPPER_LIMIT = 8'h20;
    localparam logic [31:0] CTRL1_WMASK = 32'h0070_211f; // TYPE[4:0] TD(8) INCREASE_REGION_SIZE(13) FUNC[22:20]
    localparam logic [31:0] CTRL2_WMASK = 32'hd048_07ff; // ENABLE BAR_MODE CFG_SHIFT INHIBIT FUNC_MATCH BAR[10:8] MSG
    localparam int unsigned C1_INCREASE = 13, C2_ENABLE = 31, C2_BAR_MODE = 30, C2_FUNC_MATCH = 19;

    initial begin
        if (N < 1 || N > 256) $error("iatu: N must be 1..256");
        if (MIN_REGION_SIZE < 12 || MIN_REGION_SIZE > 16) $error("iatu: MIN_REGION_SIZE must be 12..16");
        if (LATENCY < 1) $error("iatu: LATENCY must be >= 1");
    end

    // ---- Registers ----------------------------------------------------------------------------------------
    logic [31:0] ctrl1 [N], ctrl2 [N], lower_base [N], upper_base [N], limit [N], lower_target [N],
                 upper_target [N], upper_limit [N];

    // Decode: region = addr[16:9], addr[8] selects the inbound block, addr[7:0] the register.
    wire  [22:0] dec_region = reg_addr[31:9];
    wire         dec_ib     = reg_addr[8];
    wire  [7:0]  dec_off    = {reg_addr[7:2], 2'b00};
    wire         dec_hit    = dec_ib && ({9'd0, dec_region} < N);
    wire  [RW-1:0] dec_idx  = dec_region[RW-1:0];
    wire  unused_addr       = ^reg_addr[1:0];

    for (genvar i = 0; i < int'(N); i++) begin : g_reg
        wire sel = reg_we && dec_hit && (dec_idx == RW'(i));
        always_ff @(posedge clk or negedge rst_n) begin
            if (!rst_n) begin
                ctrl1[i] <= '0;
                ctrl2[i] <= '0;
                lower_base[i] <= '0;
                upper_base[i] <= '0;
                limit[i] <= LOW;
                lower_target[i] <= '0;
                upper_target[i] <= '0;
                upper_limit[i] <= '0;
            end else if (sel) begin
                case (dec_off)
                    CTRL1:        ctrl1[i]        <= reg_wdata & CTRL1_WMASK;
                    CTRL2:        ctrl2[i]        <= reg_wdata & CTRL2_WMASK;
                    LOWER_BASE:   lower_base[i]   <= reg_wdata & ~LOW;
                    UPPER_BASE:   upper_base[i]   <= reg_wdata;
                    LIMIT:        limit[i]        <= reg_wdata | LOW;
                    LOWER_TARGET: lower_target[i] <= reg_wdata & ~LOW;
                    UPPER_TARGET: upper_target[i] <= reg_wdata;
                    UPPER_LIMIT:  upper_limit[i]  <= reg_wdata & MAX_REGION_UPPER;
                    default: ;
                endcase
            end
        end
    end

    always_ff @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            reg_rdata <= '0;
        end else if (reg_re) begin
            reg_rdata <= '0;
            if (dec_hit) begin
                case (dec_off)
                    CTRL1:        reg_rdata <= ctrl1[dec_idx];
                    CTRL2:        reg_rdata <= ctrl2[dec_idx];
                    LOWER_BASE:   reg_rdata <= lower_base[dec_idx];
                    UPPER_BASE:   reg_rdata <= upper_base[dec_idx];
                    LIMIT:        reg_rdata <= limit[dec_idx];
                    LOWER_TARGET: reg_rdata <= lower_target[dec_idx];
                    UPPER_TARGET: reg_rdata <= upper_target[dec_idx];
                    UPPER_LIMIT:  reg_rdata <= upper_limit[dec_idx];
                    default: ;
                endcase
            end
        end
    end

    // ---- Lookup stage A: per-region match and translation (combinational) ---------------------------------
    logic [N-1:0] a_match;
    logic [63:0]  a_xlat [N];
    wire  [63:0]  low64 = {32'd0, LOW};

    always_comb begin
        for (int i = 0; i < int'(N); i++) begin
            logic        active, bar_mode;
            logic [63:0] base, lim, tgt;
            active   = ctrl2[i][C2_ENABLE] && (ctrl1[i][4:0] == 5'd0) &&
                       (!ctrl2[i][C2_FUNC_MATCH] || ctrl1[i][22:20] == req_func);
            bar_mode = ctrl2[i][C2_BAR_MODE];
            base     = {upper_base[i], lower_base[i]};
            lim      = {ctrl1[i][C1_INCREASE] ? upper_limit[i] : upper_base[i], limit[i]};
            tgt      = {upper_target[i], lower_target[i]};
            if (bar_mode) begin
                a_match[i] = active && (ctrl2[i][10:8] == req_bar);
                a_xlat[i]  = (tgt & ~(req_bar_mask | low64)) + (req_addr - req_bar_base);
            end else begin
                a_match[i] = active && (req_addr >= base) && (req_addr <= lim);
                a_xlat[i]  = tgt + (req_addr - base);
            end
        end
    end

    // Stored-only register bits (TD, CFG_SHIFT, INHIBIT_PAYLOAD, MSG code) do not take part in the lookup.
    logic unused_bits;
    always_comb begin
        unused_bits = 1'b0;
        for (int i = 0; i < int'(N); i++)
            unused_bits = unused_bits ^ (^ctrl1[i][19:14]) ^ (^ctrl1[i][12:5]) ^ (^ctrl1[i][31:23]) ^
                          (^ctrl2[i][29:20]) ^ (^ctrl2[i][18:11]) ^ (^ctrl2[i][7:0]);
    end

    // ---- Stage B: first matching region wins (combinational, from stage-A results) ------------------------
    function automatic void select(input logic [N-1:0] m, input logic [63:0] x [N], output logic hit,
                                   output logic [RW-1:0] idx, output logic [63:0] addr);
        hit  = 1'b0;
        idx  = '0;
        addr = '0;
        for (int i = int'(N) - 1; i >= 0; i--) begin
            if (m[i]) begin
                hit  = 1'b1;
                idx  = RW'(i);
                addr = x[i];
            end
        end
    endfunction

    // ---- Pipeline -----------------------------------------------------------------------------------------
    // LATENCY == 1: A and B in one cycle. LATENCY >= 2: A registered, B registered, then LATENCY - 2 delay stages.
    localparam int unsigned PD = (LATENCY == 1) ? 1 : LATENCY - 1; // output-side stages
    logic          p_valid [PD];
    logic          p_hit   [PD];
    logic [RW-1:0] p_idx   [PD];
    logic [63:0]   p_addr  [PD];

    generate
        if (LATENCY == 1) begin : g_one
            logic          b_hit;
            logic [RW-1:0] b_idx;
            logic [63:0]   b_addr;
            always_comb select(a_match, a_xlat, b_hit, b_idx, b_addr);
            always_ff @(posedge clk or negedge rst_n) begin
                if (!rst_n) p_valid[0] <= 1'b0;
                else        p_valid[0] <= req_valid;
            end
            always_ff @(posedge clk) begin
                p_hit[0]  <= b_hit;
                p_idx[0]  <= b_idx;
                p_addr[0] <= b_addr;
            end
        end else begin : g_multi
            logic         s_valid;
            logic [N-1:0] s_match;
            logic [63:0]  s_xlat [N];
            logic          b_hit;
            logic [RW-1:0] b_idx;
            logic [63:0]   b_addr;
            always_ff @(posedge clk or negedge rst_n) begin
                if (!rst_n) s_valid <= 1'b0;
                else        s_valid <= req_valid;
            end
            always_ff @(posedge clk) begin
                s_match <= a_match;
                s_xlat  <= a_xlat;
            end
            always_comb select(s_match, s_xlat, b_hit, b_idx, b_addr);
            always_ff @(posedge clk or negedge rst_n) begin
                if (!rst_n) p_valid[0] <= 1'b0;
                else        p_valid[0] <= s_valid;
            end
            always_ff @(posedge clk) begin
                p_hit[0]  <= b_hit;
                p_idx[0]  <= b_idx;
                p_addr[0] <= b_addr;
            end
        end
        for (genvar s = 1; s < int'(PD); s++) begin : g_delay
            always_ff @(posedge clk or negedge rst_n) begin
                if (!rst_n) p_valid[s] <= 1'b0;
                else        p_valid[s] <= p_valid[s-1];
            end
            always_ff @(posedge clk) begin
                p_hit[s]  <= p_hit[s-1];
                p_idx[s]  <= p_idx[s-1];
                p_addr[s] <= p_addr[s-1];
            end
        end
    endgenerate

    localparam int unsigned LAST = PD - 1;
    assign rsp_valid  = p_valid[LAST];
    assign rsp_hit    = p_valid[LAST] && p_hit[LAST];
    assign rsp_region = (p_valid[LAST] && p_hit[LAST]) ? p_idx[LAST] : '0;
    assign rsp_addr   = (p_valid[LAST] && p_hit[LAST]) ? p_addr[LAST] : '0;
endmodule
