#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "dbvp/pcie/dwc_edma.h"
#include "dbvp/core/clocked.h"
#include "dbvp/core/payload.h"

#include "dbvp/core/regbank.h"
#include "dbvp/core/report.h"
#include "dbvp/core/sideband.h"
#include "dbvp/core/trace.h"
#include "dbvp/util/bits.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <tlm_utils/tlm_quantumkeeper.h>

namespace dbvp::pcie {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {

using o = dwc_edma::offsets;
constexpr unsigned sizes_48 = (1u << 4) | (1u << 8);
constexpr std::uint32_t CHANNEL_BITS = 0x00ff00ffu; // DONE [7:0], ABORT [23:16]
constexpr unsigned ABORT_SHIFT = 16;
constexpr std::uint32_t CS_MASK = 3u << dwc_edma::CS_SHIFT;
constexpr std::uint32_t DOORBELL_CH = 0x7;
constexpr std::uint64_t PCIE_BOUNDARY = 0x1000; // a TLP never crosses a 4 KiB boundary
constexpr unsigned DATA_ELEMENT = 24, LINK_ELEMENT = 16;

/// Where one direction's global registers sit (facts §3.1).
struct side_layout {
    const char* prefix;
    std::uint32_t engine_en, doorbell, arb, int_status, int_mask, int_clear, err_lo, err_hi, done_imwr, abort_imwr,
        imwr_data, ll_err_en, chgroup, hshake, pwr_en;
};
constexpr side_layout WR_LAYOUT{"WR",  o::WR_ENGINE_EN,  o::WR_DOORBELL,   0x018, o::WR_INT_STATUS,
                                o::WR_INT_MASK,          o::WR_INT_CLEAR,  o::WR_ERR_STATUS, 0,
                                o::WR_DONE_IMWR,         o::WR_ABORT_IMWR, o::WR_IMWR_DATA,  o::WR_LL_ERR_EN,
                                0x100,                   0x108,            0x128};
constexpr side_layout RD_LAYOUT{"RD",  o::RD_ENGINE_EN,  o::RD_DOORBELL,   0x038, o::RD_INT_STATUS,
                                o::RD_INT_MASK,          o::RD_INT_CLEAR,  o::RD_ERR_STATUS_LOW, o::RD_ERR_STATUS_HIGH,
                                o::RD_DONE_IMWR,         o::RD_ABORT_IMWR, o::RD_IMWR_DATA,  o::RD_LL_ERR_EN,
                                0x104,                   0x118,            0x168};

std::string name_of(const char* prefix, const char* what) { return std::string(prefix) + "_" + what; }

std::uint64_t le64(const unsigned char* b) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | b[i];
    return v;
}
std::uint32_t le32(const unsigned char* b) {
    return std::uint32_t{b[0]} | std::uint32_t{b[1]} << 8 | std::uint32_t{b[2]} << 16 | std::uint32_t{b[3]} << 24;
}

} // namespace

const char* dwc_edma::to_string(abort_cause c) {
    switch (c) {
    case abort_cause::stopped: return "stopped by the doorbell STOP bit";
    case abort_cause::engine_disabled: return "engine disabled while running";
    case abort_cause::local_error: return "local bus error";
    case abort_cause::remote_ur: return "read completion: Unsupported Request";
    case abort_cause::remote_ca: return "read completion: Completer Abort";
    case abort_cause::element_fetch: return "linked-list element fetch error";
    }
    return "?";
}

const char* dwc_edma::to_string(direction d) { return d == direction::write ? "write" : "read"; }

// ------------------------------------------------------------------------------------------------------------

struct dwc_edma::impl {
    struct side;

    /// One channel: its context registers and its engine.
    struct channel {
        impl& m;
        side& s;
        unsigned n;
        std::string prefix; // "WR_CH0"
        reg ctrl1, ctrl2, size, sar_lo, sar_hi, dar_lo, dar_hi, llp_lo, llp_hi;
        sc_core::sc_event start;
        bool running = false;
        bool stop = false;
        abort_cause stop_cause = abort_cause::stopped;
        tlm::tlm_generic_payload pl_local, pl_pcie;
        pcie_attr attr;
        std::vector<unsigned char> buf;
        unsigned char element[DATA_ELEMENT]{};
        std::array<sc_time, 32> outstanding{}; // completion times of the last max_outstanding TLPs (a ring)
        unsigned issued = 0;

        channel(impl& owner, side& sd, unsigned idx);
        ~channel() { pl_pcie.clear_extension(&attr); } // an access cut short by the end of the simulation
        channel(const channel&) = delete;
        channel& operator=(const channel&) = delete;
        std::uint64_t sar() const { return sar_lo.get() | sar_hi.get() << 32; }
        std::uint64_t dar() const { return dar_lo.get() | dar_hi.get() << 32; }
        std::uint64_t llp() const { return llp_lo.get() | llp_hi.get() << 32; }
        void set64(reg& lo, reg& hi, std::uint64_t v) {
            lo.set(v & 0xffffffffu);
            hi.set(v >> 32);
        }
        void set_cs(channel_status cs) {
            ctrl1.set((ctrl1.get() & ~CS_MASK) | (static_cast<std::uint32_t>(cs) << CS_SHIFT));
        }

        void thread();
        void transfer();
        /// Moves one block; false on an abort (cause and address set). `t`: issue cursor (absolute), `done`:
        /// latest completion (absolute).
        bool move(std::uint64_t sar, std::uint64_t dar, std::uint32_t bytes, sc_time& t, sc_time& done,
                  abort_cause& cause, std::uint64_t& where);
        bool local_access(tlm::tlm_command cmd, std::uint64_t addr, unsigned char* data, unsigned len, sc_time& at);
        bool pcie_access(tlm::tlm_command cmd, std::uint64_t addr, unsigned char* data, unsigned len, sc_time& at,
                         cpl_status& st);
        void wait_until(const sc_time& at);
        void sync_if_ahead(const sc_time& at);
        void complete_block(bool lie, bool rie);
        void abort(abort_cause cause, std::uint64_t where);
        void imwr(bool abort_message);
    };

    /// One direction's global registers and its channels.
    struct side {
        impl& m;
        direction d;
        const side_layout& l;
        reg engine_en, doorbell, arb_lo, arb_hi, int_status, int_mask, int_clear, err_lo;
        std::unique_ptr<reg> err_hi;
        reg done_lo, done_hi, abort_lo, abort_hi;
        std::array<std::unique_ptr<reg>, 4> imwr_data;
        reg ll_err_en, chgroup, hshake_lo, hshake_hi;
        std::array<std::unique_ptr<reg>, 8> pwr_en;
        std::vector<std::unique_ptr<channel>> ch;
        bool emulated = false; // interrupt-emulation latch

        side(impl& owner, direction dir, const side_layout& layout, unsigned count);
        std::uint64_t done_imwr() const { return done_lo.get() | done_hi.get() << 32; }
        std::uint64_t abort_imwr() const { return abort_lo.get() | abort_hi.get() << 32; }
        std::uint32_t imwr_data_of(unsigned n) const {
            const auto v = static_cast<std::uint32_t>(imwr_data[n / 2]->get());
            return (n & 1) ? v >> 16 : v & 0xffffu;
        }
        /// Unmasked DONE/ABORT bits of the channels in `channels` (bit mask), or the emulation latch when asked.
        bool asserted(std::uint32_t channels, bool with_latch) const {
            const std::uint32_t bits = channels | (channels << ABORT_SHIFT);
            return (int_status.get() & ~int_mask.get() & bits) || (with_latch && emulated);
        }
    };

    dwc_edma& e;
    const params& p;
    register_bank bank;
    reg ctrl_data_arb_prior, ctrl;
    side wr, rd;

    impl(dwc_edma& owner, const params& prm);
    side& of(direction d) { return d == direction::write ? wr : rd; }
    const side& of(direction d) const { return d == direction::write ? wr : rd; }
    void update_irqs(const sc_time& offset);
    static sc_time offset_of(const access_ctx& ctx) {
        return ctx.time > kernel_time() ? ctx.time - kernel_time() : SC_ZERO_TIME;
    }
};

dwc_edma::impl::side::side(impl& owner, direction dir, const side_layout& layout, unsigned count)
    : m(owner), d(dir), l(layout),
      engine_en(owner.bank, name_of(l.prefix, "ENGINE_EN"), l.engine_en, 4, 0, 1),
      doorbell(owner.bank, name_of(l.prefix, "DOORBELL"), l.doorbell, 4, 0, 0),
      arb_lo(owner.bank, name_of(l.prefix, "CH_ARB_WEIGHT_LOW"), l.arb, 4, 0, 0xffffffffu),
      arb_hi(owner.bank, name_of(l.prefix, "CH_ARB_WEIGHT_HIGH"), l.arb + 4, 4, 0, 0xffffffffu),
      int_status(owner.bank, name_of(l.prefix, "INT_STATUS"), l.int_status, 4, 0, 0),
      int_mask(owner.bank, name_of(l.prefix, "INT_MASK"), l.int_mask, 4, 0, CHANNEL_BITS),
      int_clear(owner.bank, name_of(l.prefix, "INT_CLEAR"), l.int_clear, 4, 0, 0),
      err_lo(owner.bank, name_of(l.prefix, l.err_hi ? "ERR_STATUS_LOW" : "ERR_STATUS"), l.err_lo, 4, 0, 0),
      done_lo(owner.bank, name_of(l.prefix, "DONE_IMWR_LOW"), l.done_imwr, 4, 0, 0xffffffffu),
      done_hi(owner.bank, name_of(l.prefix, "DONE_IMWR_HIGH"), l.done_imwr + 4, 4, 0, 0xffffffffu),
      abort_lo(owner.bank, name_of(l.prefix, "ABORT_IMWR_LOW"), l.abort_imwr, 4, 0, 0xffffffffu),
      abort_hi(owner.bank, name_of(l.prefix, "ABORT_IMWR_HIGH"), l.abort_imwr + 4, 4, 0, 0xffffffffu),
      ll_err_en(owner.bank, name_of(l.prefix, "LINKED_LIST_ERR_EN"), l.ll_err_en, 4, 0, CHANNEL_BITS),
      chgroup(owner.bank, name_of(l.prefix, "ENGINE_CHGROUP"), l.chgroup, 4, 0, 0xffffffffu),
      hshake_lo(owner.bank, name_of(l.prefix, "ENGINE_HSHAKE_CNT_LOW"), l.hshake, 4, 0, 0xffffffffu),
      hshake_hi(owner.bank, name_of(l.prefix, "ENGINE_HSHAKE_CNT_HIGH"), l.hshake + 4, 4, 0, 0xffffffffu) {
    if (l.err_hi)
        err_hi = std::make_unique<reg>(owner.bank, name_of(l.prefix, "ERR_STATUS_HIGH"), l.err_hi, 4, 0, 0);
    static const char* const pairs[] = {"CH01_IMWR_DATA", "CH23_IMWR_DATA", "CH45_IMWR_DATA", "CH67_IMWR_DATA"};
    for (unsigned i = 0; i < 4; ++i)
        imwr_data[i] = std::make_unique<reg>(owner.bank, name_of(l.prefix, pairs[i]), l.imwr_data + 4 * i, 4, 0,
                                             0xffffffffu);
    for (unsigned i = 0; i < 8; ++i)
        pwr_en[i] = std::make_unique<reg>(owner.bank, std::string(l.prefix) + "_CH" + std::to_string(i) + "_PWR_EN",
                                          l.pwr_en + 4 * i, 4, 0, 1);
    for (unsigned n = 0; n < count; ++n)
        ch.push_back(std::make_unique<channel>(owner, *this, n));

    // Interrupt emulation: a write to INT_STATUS asserts the line; the data is ignored, no bit changes.
    int_status.on_write([this](const reg_write& w) {
        ++m.e.stats_.emulated;
        if (trace::on())
            trace::instant(trace::track::edma, "interrupt emulation", w.ctx.time,
                           {{"direction", to_string(d)}, {"register", int_status.name().c_str()},
                            trace::arg::hex("data", w.data)});
        emulated = true;
        m.update_irqs(offset_of(w.ctx));
    });
    int_mask.on_write([this](const reg_write& w) { m.update_irqs(offset_of(w.ctx)); });
    // 1-bits clear DONE/ABORT bits; any write (a zero write too) clears the emulation latch.
    int_clear.on_write([this](const reg_write& w) {
        int_status.set(int_status.get() & ~(w.data & w.bytemask & CHANNEL_BITS));
        emulated = false;
        m.update_irqs(offset_of(w.ctx));
    });
    engine_en.on_write([this](const reg_write& w) {
        if ((w.old_value & 1) && !(w.new_value & 1))
            for (auto& c : ch)
                if (c->running) {
                    c->stop = true;
                    c->stop_cause = abort_cause::engine_disabled;
                }
    });
    doorbell.on_write([this](const reg_write& w) {
        const unsigned n = static_cast<unsigned>(w.data & DOORBELL_CH);
        const bool stop = w.data & DOORBELL_STOP;
        if (n >= ch.size()) {
            guest_warning(m.e, "%s_DOORBELL written with 0x%08llx: channel %u does not exist (%zu channels); ignored",
                          l.prefix, ull(w.data), n, ch.size());
            return;
        }
        channel& c = *ch[n];
        if (stop) {
            if (c.running) {
                c.stop = true;
                c.stop_cause = abort_cause::stopped;
            }
            return;
        }
        if (!(engine_en.get() & 1)) {
            guest_warning(m.e, "%s_DOORBELL written with 0x%08llx while %s_ENGINE_EN = 0; ignored", l.prefix,
                          ull(w.data), l.prefix);
            return;
        }
        if (c.running) {
            guest_warning(m.e, "%s_DOORBELL written with 0x%08llx: channel %u is still running; ignored", l.prefix,
                          ull(w.data), n);
            return;
        }
        c.running = true;
        c.stop = false;
        c.set_cs(channel_status::running);
        // The channel's error bits describe its last run.
        const std::uint32_t mine = (1u << n) | (1u << (ABORT_SHIFT + n));
        err_lo.set(err_lo.get() & ~mine);
        if (err_hi)
            err_hi->set(err_hi->get() & ~((1u << n) | (1u << (8 + n))));
        c.start.notify(offset_of(w.ctx));
    });
}

dwc_edma::impl::channel::channel(impl& owner, side& sd, unsigned idx)
    : m(owner), s(sd), n(idx), prefix(std::string(sd.l.prefix) + "_CH" + std::to_string(idx)),
      ctrl1(owner.bank, prefix + "_CONTROL1", o::channel(sd.d, idx) + o::CH_CONTROL1, 4, 0, ~CS_MASK),
      ctrl2(owner.bank, prefix + "_CONTROL2", o::channel(sd.d, idx) + o::CH_CONTROL2, 4, 0, 0xffffffffu),
      size(owner.bank, prefix + "_TRANSFER_SIZE", o::channel(sd.d, idx) + o::TRANSFER_SIZE, 4, 0, 0xffffffffu),
      sar_lo(owner.bank, prefix + "_SAR_LOW", o::channel(sd.d, idx) + o::SAR, 4, 0, 0xffffffffu),
      sar_hi(owner.bank, prefix + "_SAR_HIGH", o::channel(sd.d, idx) + o::SAR + 4, 4, 0, 0xffffffffu),
      dar_lo(owner.bank, prefix + "_DAR_LOW", o::channel(sd.d, idx) + o::DAR, 4, 0, 0xffffffffu),
      dar_hi(owner.bank, prefix + "_DAR_HIGH", o::channel(sd.d, idx) + o::DAR + 4, 4, 0, 0xffffffffu),
      llp_lo(owner.bank, prefix + "_LLP_LOW", o::channel(sd.d, idx) + o::LLP, 4, 0, 0xffffffffu),
      llp_hi(owner.bank, prefix + "_LLP_HIGH", o::channel(sd.d, idx) + o::LLP + 4, 4, 0, 0xffffffffu),
      buf(std::max(owner.p.max_payload, owner.p.max_read_request)) {
    // The context belongs to the engine while the channel runs.
    for (reg* r : {&ctrl1, &ctrl2, &size, &sar_lo, &sar_hi, &dar_lo, &dar_hi, &llp_lo, &llp_hi})
        r->on_write([this, r](const reg_write& w) {
            if (!running)
                return;
            guest_warning(m.e, "%s written with 0x%08llx while the channel runs; ignored", r->name().c_str(),
                          ull(w.data));
            r->set(w.old_value);
        });
    pl_local.set_streaming_width(0);
    sc_core::sc_spawn([this] { thread(); }, (prefix + "_engine").c_str());
}

dwc_edma::impl::impl(dwc_edma& owner, const params& prm)
    : e(owner), p(prm), bank("regs", prm.regs_size, sizes_48),
      ctrl_data_arb_prior(bank, "CTRL_DATA_ARB_PRIOR", 0x000, 4, 0, 0xffffffffu),
      ctrl(bank, "CTRL", o::CTRL, 4, (std::uint64_t{prm.rd_channels} << 16) | prm.wr_channels, 0),
      wr(*this, direction::write, WR_LAYOUT, prm.wr_channels), rd(*this, direction::read, RD_LAYOUT, prm.rd_channels) {
    bank.set_owner(owner.name());
}

void dwc_edma::impl::update_irqs(const sc_time& offset) {
    if (!p.per_channel_irqs) {
        e.irqs_[0].set(wr.asserted(0xff, true) || rd.asserted(0xff, true), offset);
        return;
    }
    for (unsigned n = 0; n < wr.ch.size(); ++n)
        e.irqs_[n].set(wr.asserted(1u << n, n == 0), offset);
    for (unsigned n = 0; n < rd.ch.size(); ++n)
        e.irqs_[wr.ch.size() + n].set(rd.asserted(1u << n, n == 0), offset);
}

// ---- Engine ------------------------------------------------------------------------------------------------

void dwc_edma::impl::channel::thread() {
    for (;;) {
        sc_core::wait(start);
        if (trace::on()) {
            const sc_time t0 = kernel_time();
            const std::uint32_t c1 = static_cast<std::uint32_t>(ctrl1.get());
            const bool list = c1 & LLE;
            const std::uint64_t from = list ? llp() : sar(), to = list ? 0 : dar();
            const std::uint64_t bytes = list ? 0 : size.get();
            const std::size_t aborts = m.e.aborts_.size();
            transfer();
            const bool aborted = m.e.aborts_.size() != aborts;
            trace::span(trace::track::edma, s.d == direction::write ? "WR transfer" : "RD transfer", t0,
                        kernel_time(),
                        {{"channel", n}, {"linked_list", list}, trace::arg::hex(list ? "llp" : "sar", from),
                         trace::arg::hex("dar", to), {"bytes", bytes},
                         {"result", aborted ? to_string(m.e.aborts_.back().cause) : "done"}});
        } else {
            transfer();
        }
        running = false;
    }
}

void dwc_edma::impl::channel::wait_until(const sc_time& at) {
    if (at > kernel_time())
        sc_core::wait(at - kernel_time());
}

void dwc_edma::impl::channel::sync_if_ahead(const sc_time& at) {
    if (at > kernel_time() + tlm_utils::tlm_quantumkeeper::get_global_quantum())
        wait_until(at);
}

bool dwc_edma::impl::channel::local_access(tlm::tlm_command cmd, std::uint64_t addr, unsigned char* data,
                                           unsigned len, sc_time& at) {
    prepare_access(pl_local, cmd, addr, data, len);
    sc_time d = at > kernel_time() ? at - kernel_time() : SC_ZERO_TIME;
    m.e.local->b_transport(pl_local, d);
    at = kernel_time() + d;
    return pl_local.is_response_ok();
}

bool dwc_edma::impl::channel::pcie_access(tlm::tlm_command cmd, std::uint64_t addr, unsigned char* data,
                                          unsigned len, sc_time& at, cpl_status& st) {
    attr = pcie_attr{};
    attr.type = cmd == tlm::TLM_WRITE_COMMAND ? tlp_type::mem_wr : tlp_type::mem_rd;
    attr.posted = cmd == tlm::TLM_WRITE_COMMAND;
    prepare_access(pl_pcie, cmd, addr, data, len);
    sc_time d = at > kernel_time() ? at - kernel_time() : SC_ZERO_TIME;
    pl_pcie.set_extension(&attr); // owned here: detached again before the payload could free it
    m.e.pcie->b_transport(pl_pcie, d);
    pl_pcie.clear_extension(&attr);
    at = kernel_time() + d;
    st = attr.status;
    if (!pl_pcie.is_response_ok() && st == cpl_status::sc)
        st = cpl_status::ca; // a failure without a completion status (e.g. the link is down)
    return pl_pcie.is_response_ok() && st == cpl_status::sc;
}

bool dwc_edma::impl::channel::move(std::uint64_t sar, std::uint64_t dar, std::uint32_t bytes, sc_time& t,
                                   sc_time& done, abort_cause& cause, std::uint64_t& where) {
    const bool to_host = s.d == direction::write;
    const std::uint64_t unit = to_host ? m.p.max_payload : m.p.max_read_request;
    const unsigned credits = m.p.max_outstanding;
    sc_time fetch = t; // when the next local read may start (write channels)
    while (bytes) {
        if (stop) {
            cause = stop_cause;
            where = to_host ? sar : dar;
            return false;
        }
        const std::uint64_t pci = to_host ? dar : sar;
        const auto chunk = static_cast<unsigned>(
            std::min<std::uint64_t>({bytes, unit, PCIE_BOUNDARY - (pci & (PCIE_BOUNDARY - 1))}));
        const sc_time engine = m.e.cycles((chunk + m.p.bytes_per_cycle - 1) / m.p.bytes_per_cycle);
        // A TLP waits for a credit: the completion of the TLP `credits` before it (posted credits / read tags).
        sc_time& slot = outstanding[issued++ % credits];
        cpl_status st = cpl_status::sc;
        if (to_host) {
            // Local read (overlapping the previous TLPs), then the MWr once the data, the engine and a credit
            // are there.
            sc_time r = fetch;
            if (!local_access(tlm::TLM_READ_COMMAND, sar, buf.data(), chunk, r)) {
                cause = abort_cause::local_error;
                where = sar;
                done = std::max(done, r);
                return false;
            }
            sc_time w = std::max({r, t, slot}) + engine;
            t = w;
            fetch = r;
            pcie_access(tlm::TLM_WRITE_COMMAND, dar, buf.data(), chunk, w, st); // posted: no answer to act on
            slot = w;
            done = std::max(done, w);
            m.e.stats_.bytes_written += chunk;
        } else {
            // MRd, then the completion's data written locally; the next MRd only waits for a free tag.
            sc_time c = std::max(t + m.e.clock_period(), slot);
            t = c;
            if (!pcie_access(tlm::TLM_READ_COMMAND, sar, buf.data(), chunk, c, st)) {
                cause = st == cpl_status::ur ? abort_cause::remote_ur : abort_cause::remote_ca;
                where = sar;
                done = std::max(done, c);
                return false;
            }
            slot = c;
            sc_time w = c + engine;
            if (!local_access(tlm::TLM_WRITE_COMMAND, dar, buf.data(), chunk, w)) {
                cause = abort_cause::local_error;
                where = dar;
                done = std::max(done, w);
                return false;
            }
            done = std::max(done, w);
            m.e.stats_.bytes_read += chunk;
        }
        ++m.e.stats_.tlps;
        sar += chunk;
        dar += chunk;
        bytes -= chunk;
        set64(sar_lo, sar_hi, sar);
        set64(dar_lo, dar_hi, dar);
        size.set(bytes);
        sync_if_ahead(t);
    }
    return true;
}

void dwc_edma::impl::channel::transfer() {
    outstanding.fill(SC_ZERO_TIME);
    issued = 0;
    sc_time t = kernel_time() + m.e.cycles(m.p.setup_latency);
    sc_time done = t;
    abort_cause cause = abort_cause::stopped;
    std::uint64_t where = 0;
    const std::uint32_t c1 = static_cast<std::uint32_t>(ctrl1.get());
    if (!(c1 & LLE)) {
        if (!move(sar(), dar(), static_cast<std::uint32_t>(size.get()), t, done, cause, where)) {
            wait_until(done);
            return abort(cause, where);
        }
        wait_until(done);
        complete_block(true, c1 & RIE);
        set_cs(channel_status::stopped);
        return;
    }
    bool ccs = c1 & CCS;
    std::uint64_t at = llp();
    for (;;) {
        if (stop) {
            wait_until(done);
            return abort(stop_cause, at);
        }
        sc_time f = std::max(t, done);
        if (!local_access(tlm::TLM_READ_COMMAND, at, element, LINK_ELEMENT, f)) {
            wait_until(f);
            return abort(abort_cause::element_fetch, at);
        }
        t = f + m.e.cycles(m.p.setup_latency);
        const std::uint32_t control = le32(element);
        if (static_cast<bool>(control & CB) != ccs)
            break; // the producer has not handed this element over: the list ends here
        if (control & LLP_BIT) {
            if (control & TCB) {
                ccs = !ccs;
                ctrl1.set(ccs ? ctrl1.get() | CCS : ctrl1.get() & ~CCS);
            }
            at = le64(element + 8);
            set64(llp_lo, llp_hi, at);
            sync_if_ahead(t);
            continue;
        }
        sc_time f2 = f;
        if (!local_access(tlm::TLM_READ_COMMAND, at + LINK_ELEMENT, element + LINK_ELEMENT,
                          DATA_ELEMENT - LINK_ELEMENT, f2)) {
            wait_until(f2);
            return abort(abort_cause::element_fetch, at);
        }
        t = std::max(t, f2);
        const std::uint32_t bytes = le32(element + 4);
        const std::uint64_t sar = le64(element + 8), dar = le64(element + 16);
        set64(sar_lo, sar_hi, sar);
        set64(dar_lo, dar_hi, dar);
        size.set(bytes);
        if (!move(sar, dar, bytes, t, done, cause, where)) {
            wait_until(done);
            return abort(cause, where);
        }
        if (control & (LIE | RIE)) {
            wait_until(done);
            complete_block(control & LIE, control & RIE);
        } else {
            ++m.e.stats_.blocks;
        }
        at += DATA_ELEMENT;
        set64(llp_lo, llp_hi, at);
        // Like a link element: an element moves no TLP when it is empty (move() never synchronises then), so
        // the channel keeps within a quantum of the kernel here — and sees STOP / ENGINE_EN = 0 in time.
        sync_if_ahead(t);
    }
    wait_until(std::max(t, done));
    set_cs(channel_status::stopped);
}

/// At the time the block's last access completed (the caller waited for it).
void dwc_edma::impl::channel::complete_block(bool lie, bool rie) {
    ++m.e.stats_.blocks;
    if (lie) {
        s.int_status.set(s.int_status.get() | (1u << n));
        m.update_irqs(SC_ZERO_TIME);
    }
    if (rie)
        imwr(false);
}

void dwc_edma::impl::channel::abort(abort_cause cause, std::uint64_t where) {
    m.e.aborts_.push_back(abort_record{kernel_time(), s.d, n, cause, where});
    if (trace::on())
        trace::instant(trace::track::edma, "abort", kernel_time(),
                       {{"direction", to_string(s.d)}, {"channel", n}, {"cause", to_string(cause)},
                        trace::arg::hex("address", where)});
    switch (cause) {
    case abort_cause::local_error: s.err_lo.set(s.err_lo.get() | (1u << n)); break;
    case abort_cause::element_fetch: s.err_lo.set(s.err_lo.get() | (1u << (ABORT_SHIFT + n))); break;
    case abort_cause::remote_ur:
        if (s.err_hi)
            s.err_hi->set(s.err_hi->get() | (1u << n));
        break;
    case abort_cause::remote_ca:
        if (s.err_hi)
            s.err_hi->set(s.err_hi->get() | (1u << (8 + n)));
        break;
    case abort_cause::stopped:
    case abort_cause::engine_disabled: break;
    }
    set_cs(cause == abort_cause::stopped ? channel_status::stopped : channel_status::halted);
    s.int_status.set(s.int_status.get() | (1u << (ABORT_SHIFT + n)));
    m.update_irqs(SC_ZERO_TIME);
    const bool list = ctrl1.get() & LLE;
    if (list ? (s.ll_err_en.get() & (1u << n)) : (ctrl1.get() & RIE))
        imwr(true);
}

/// IMWr: a 4-byte MWr of the channel's 16-bit IMWr data to the done or abort address, now.
void dwc_edma::impl::channel::imwr(bool abort_message) {
    const std::uint32_t v = s.imwr_data_of(n);
    unsigned char data[4] = {static_cast<unsigned char>(v), static_cast<unsigned char>(v >> 8), 0, 0};
    sc_time at = kernel_time();
    cpl_status st = cpl_status::sc;
    pcie_access(tlm::TLM_WRITE_COMMAND, abort_message ? s.abort_imwr() : s.done_imwr(), data, 4, at, st);
    ++m.e.stats_.imwr;
}

// ---- dwc_edma ----------------------------------------------------------------------------------------------

namespace {
void validate(const char* name, const dwc_edma::params& p) {
    auto bad = [name](const std::string& what) { throw std::invalid_argument(std::string(name) + ": " + what); };
    if (p.wr_channels < 1 || p.wr_channels > 8 || p.rd_channels < 1 || p.rd_channels > 8)
        bad("wr_channels and rd_channels must be 1..8");
    const std::uint64_t need = o::CH_BASE + std::uint64_t{o::CH_STRIDE} * std::max(p.wr_channels, p.rd_channels);
    if (p.regs_size < need)
        bad("regs_size must hold every channel context (at least 0x" + [&] {
            char b[24];
            std::snprintf(b, sizeof b, "%llx", ull(need));
            return std::string(b);
        }() + " bytes)");
    for (unsigned v : {p.max_payload, p.max_read_request})
        if (!is_pow2(v) || v < 128 || v > 4096)
            bad("max_payload and max_read_request must be powers of two 128..4096");
    if (p.bytes_per_cycle == 0)
        bad("bytes_per_cycle must be at least 1");
    if (p.max_outstanding < 1 || p.max_outstanding > 32)
        bad("max_outstanding must be 1..32");
}
} // namespace

dwc_edma::dwc_edma(sc_core::sc_module_name name, const params& p)
    : sc_module(name), clocked(p.clock_hz), regs("regs"), local("local"), pcie("pcie"), p_(p) {
    validate(this->name(), p_);
    const unsigned lines = p_.per_channel_irqs ? p_.wr_channels + p_.rd_channels : 1;
    irqs_.reserve(lines);
    for (unsigned i = 0; i < lines; ++i)
        irqs_.emplace_back(std::string(this->name()) + ".irq" + std::to_string(i));
    m_ = std::make_unique<impl>(*this, p_);
    regs.register_b_transport(this, &dwc_edma::regs_b_transport);
    regs.register_transport_dbg(this, &dwc_edma::regs_transport_dbg);
}

dwc_edma::~dwc_edma() = default;

unsigned dwc_edma::irq_of(direction d, unsigned channel) const {
    if (!p_.per_channel_irqs)
        return 0;
    return d == direction::write ? channel : p_.wr_channels + channel;
}

dwc_edma::channel_status dwc_edma::status(direction d, unsigned channel) const {
    const impl::side& s = m_->of(d);
    if (channel >= s.ch.size())
        throw std::out_of_range(std::string(name()) + ": no " + to_string(d) + " channel " + std::to_string(channel));
    return static_cast<channel_status>((s.ch[channel]->ctrl1.get() & CS_MASK) >> CS_SHIFT);
}

void dwc_edma::regs_b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    if (trace::on()) {
        const pcie_attr* a = attr_of(p);
        trace::span(trace::track::edma, p.is_write() ? "register write" : "register read",
                    kernel_time() + delay, kernel_time() + delay + cycles(p_.reg_latency),
                    {trace::arg::hex("offset", p.get_address()), {"size", p.get_data_length()},
                     {"from", a ? "pcie" : "soc"}});
    }
    delay += cycles(p_.reg_latency);
    m_->bank.transport(p, access_ctx{kernel_time() + delay});
}

unsigned dwc_edma::regs_transport_dbg(tlm::tlm_generic_payload& p) {
    access_ctx ctx{kernel_time()};
    ctx.debug = true;
    m_->bank.transport(p, ctx);
    return p.is_response_ok() ? p.get_data_length() : 0;
}

} // namespace dbvp::pcie
