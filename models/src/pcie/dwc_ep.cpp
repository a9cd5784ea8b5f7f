// dbvp — Synopsys DesignWare PCIe endpoint controller model. See dwc_ep.h and docs/models/dwc_ep.md.
#include "dbvp/pcie/dwc_ep.h"

#include "dbvp/core/clocked.h"
#include "dbvp/util/bits.h"

#include "dbvp/core/report.h"
#include "dbvp/core/trace.h"
#include "dwc_iatu.h"

#include <cstring>
#include <stdexcept>
#include <string>

namespace dbvp::pcie {

namespace {

// Configuration header.
constexpr std::uint32_t CMD_MEM = 1u << 1;
constexpr std::uint32_t CMD_BUS_MASTER = 1u << 2;
constexpr std::uint32_t CMD_WRITABLE = CMD_MEM | CMD_BUS_MASTER | (1u << 6) | (1u << 8) | (1u << 10);
constexpr std::uint32_t STATUS_CAP_LIST = 1u << 4;
constexpr std::uint32_t BAR_TYPE = 0xf;
constexpr std::uint32_t BAR_MEM64 = 0x4;
constexpr std::uint32_t BAR_PREFETCH = 0x8;
constexpr std::uint64_t MSI_CAP = 0x50;
constexpr std::uint64_t PCIE_CAP = 0x70;
constexpr std::uint64_t EXT_CAP = 0x100;
constexpr std::uint32_t REBAR_CAP_ID = 0x0015;
constexpr std::uint32_t REBAR_SIZES = 0xfffffff0u; // REBAR_CAP bits 4..31: 1 MB .. 128 TB
constexpr unsigned REBAR_SIZE_SHIFT = 8;
constexpr std::uint32_t REBAR_SIZE = 0x3fu << REBAR_SIZE_SHIFT;
constexpr std::uint64_t ONE_MB = 1ull << 20;
// Port logic (function 0's DBI page).
constexpr std::uint64_t PORT_LOGIC = 0x700; // host configuration requests see only offsets below
constexpr std::uint64_t CFG_SPACE = 0x1000;
constexpr std::uint32_t DBI_RO_WR_EN = 1u << 0;
// App glue.
constexpr std::uint32_t APP_LTSSM_EN = 1u << 0;
constexpr std::uint32_t APP_LINK_UP = 1u << 0;

constexpr unsigned sizes_124 = (1u << 1) | (1u << 2) | (1u << 4);


std::uint32_t config_type_bits(const bar_config& c) {
    return (c.is64 ? BAR_MEM64 : 0) | (c.prefetchable ? BAR_PREFETCH : 0);
}

} // namespace

const char* to_string(bar_type t) {
    switch (t) {
    case bar_type::programmable: return "programmable";
    case bar_type::fixed: return "fixed";
    case bar_type::resizable: return "resizable";
    case bar_type::reserved: return "reserved";
    case bar_type::disabled: return "disabled";
    }
    return "?";
}

const char* dwc_ep::to_string(incident_kind k) {
    switch (k) {
    case incident_kind::inbound_no_bar: return "inbound_no_bar";
    case incident_kind::inbound_no_region: return "inbound_no_region";
    case incident_kind::inbound_bad_type: return "inbound_bad_type";
    case incident_kind::inbound_target_error: return "inbound_target_error";
    case incident_kind::outbound_no_region: return "outbound_no_region";
    case incident_kind::outbound_link_error: return "outbound_link_error";
    case incident_kind::config_no_function: return "config_no_function";
    case incident_kind::dma_link_error: return "dma_link_error";
    case incident_kind::inbound_alias_conflict: return "inbound_alias_conflict";
    }
    return "?";
}

// ------------------------------------------------------------------------------------------------------------
// Implementation state.

struct dwc_ep::impl {
    /// Decoded state of one BAR register, recomputed whenever a mask, type or REBAR size changes.
    struct bar_state {
        bool enabled = false; // decodes (false for the upper half of a 64-bit pair)
        bool is64 = false;    // BAR n+1 holds the upper address bits
        bool upper = false;   // this register is the upper half of BAR n-1
        std::uint64_t mask = 0; // size - 1
    };

    struct function;

    struct bar_hit {
        unsigned func = 0;
        unsigned bar = 0;
        std::uint64_t base = 0;
        std::uint64_t mask = 0;
    };

    impl(dwc_ep& e, const params& prm);

    std::string owner() const { return ep.name(); }
    bool dbi_ro_wr_en() const { return misc_control_1.get() & DBI_RO_WR_EN; }
    std::uint16_t bdf(unsigned func) const { return make_bdf(cap_bus, cap_dev, func); }

    // BARs.
    void refresh(function& fn);
    void refresh_all();
    std::uint64_t rebar_mask(const function& fn, unsigned bar) const;
    std::uint64_t bar_base(const function& fn, unsigned bar) const;
    std::uint64_t bar_read(const function& fn, unsigned bar) const;
    void check_mask_write(const function& fn, unsigned bar, std::uint64_t data) const;
    bool find_bar(std::uint64_t addr, bar_hit& h) const;

    // Transport.
    void reg_access(register_bank& bank, bool dbi_side, tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
    unsigned reg_debug(register_bank& bank, bool dbi_side, tlm::tlm_generic_payload& p);
    void pcie_in(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
    void config(tlm::tlm_generic_payload& p, pcie_attr& a, sc_core::sc_time& delay);
    void inbound(tlm::tlm_generic_payload& p, pcie_attr& a, sc_core::sc_time& delay);
    void outbound(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
    unsigned pcie_in_debug(tlm::tlm_generic_payload& p);
    unsigned outbound_debug(tlm::tlm_generic_payload& p);
    void dma(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
    /// quirk_reserved_bar_alias: `target` (an inbound destination) lies in a reserved BAR's range that an enabled
    /// inbound iATU region also translates into.
    bool alias_conflict(std::uint64_t target, const sc_core::sc_time& t) const;
    void record(incident_kind k, bool posted, std::uint64_t addr, std::uint16_t requester, unsigned func, int bar,
                const sc_core::sc_time& t) {
        ep.incidents_.push_back(incident{t, k, posted, addr, requester, static_cast<std::uint8_t>(func),
                                         static_cast<std::int8_t>(bar)});
        if (trace::on())
            trace::instant(trace::track::pcie_ep, "incident", t,
                           {{"reason", to_string(k)}, trace::arg::hex("address", addr), {"posted", posted},
                            trace::arg::hex("requester_id", requester), {"function", func}, {"bar", bar}});
    }
    /// Tracing: an iATU region hit (VCD: an event per region and the last region index).
    void trace_atu(bool inbound, int region, const sc_core::sc_time& t) const {
        const std::string base = std::string(ep.name()) + (inbound ? ".iatu.inbound" : ".iatu.outbound");
        trace::pulse(base + std::to_string(region), t);
        trace::value(base + "_region", static_cast<std::uint32_t>(region), t);
    }

    dwc_ep& ep;
    const params& cfg;
    std::vector<unsigned> rebar_bars; // BAR numbers of the resizable BARs, in order
    register_bank dbi;
    register_bank dbi2;
    register_bank app;
    detail::dwc_iatu atu;
    std::vector<std::unique_ptr<function>> fns;

    // Port logic, function 0's DBI page only.
    reg port_link_control;
    reg gen2_ctrl;
    reg misc_control_1;
    reg version_number;
    reg version_type;
    reg atu_viewport;
    reg dma_viewport_ctrl;

    // App glue.
    reg app_ctrl;
    reg app_status;

    bool link_up = false;
    std::uint8_t cap_bus = 0, cap_dev = 0;
};

/// One physical function: its DBI configuration page and DBI2 BAR masks.
struct dwc_ep::impl::function {
    impl& m;
    const unsigned f;
    const std::uint64_t pb; // page base in DBI and DBI2
    const std::string pre;  // register name prefix "F<n>."

    reg id, cmd, class_rev, header;
    std::array<std::unique_ptr<reg>, 6> bar;
    reg cardbus_cis, subsystem, rom_bar, cap_ptr, reserved_38, interrupt;
    reg msi_ctrl, msi_addr_lo, msi_addr_hi, msi_data;
    reg pcie_cap, dev_cap, dev_ctl, link_cap, link_ctl;
    std::vector<std::unique_ptr<reg>> pcie_rest;
    reg ext_cap;
    std::vector<std::unique_ptr<reg>> rebar_cap, rebar_ctl;
    std::array<std::unique_ptr<reg>, 6> mask; // DBI2
    std::array<bar_state, 6> st{};

    function(impl& owner, unsigned fn)
        : m(owner), f(fn), pb(fn * owner.cfg.func_dbi_stride), pre("F" + std::to_string(fn) + "."),
          id(m.dbi, pre + "VENDOR_DEVICE", pb + 0x00, 4,
             (static_cast<std::uint32_t>(m.cfg.device_id) << 16) | m.cfg.vendor_id, 0),
          cmd(m.dbi, pre + "COMMAND_STATUS", pb + 0x04, 4, STATUS_CAP_LIST << 16, CMD_WRITABLE),
          class_rev(m.dbi, pre + "CLASS_REVISION", pb + 0x08, 4, (m.cfg.class_code & 0xffffffu) << 8, 0),
          header(m.dbi, pre + "HEADER_TYPE", pb + 0x0c, 4, (m.cfg.num_functions > 1 ? 0x80u : 0u) << 16, 0xff),
          cardbus_cis(m.dbi, pre + "CARDBUS_CIS", pb + 0x28, 4, 0, 0),
          subsystem(m.dbi, pre + "SUBSYSTEM_ID", pb + 0x2c, 4, 0, 0),
          rom_bar(m.dbi, pre + "EXP_ROM_BASE", pb + 0x30, 4, 0, 0),
          cap_ptr(m.dbi, pre + "CAP_PTR", pb + 0x34, 4, MSI_CAP, 0),
          reserved_38(m.dbi, pre + "RESERVED_38", pb + 0x38, 4, 0, 0),
          interrupt(m.dbi, pre + "INTERRUPT", pb + 0x3c, 4, 0x0100, 0xff),
          msi_ctrl(m.dbi, pre + "MSI_CAP_CTRL", pb + MSI_CAP, 4,
                   0x05u | (PCIE_CAP << 8) | (log2_of(m.cfg.msi_vectors) << 17) | (1u << 23), 1u << 16 | 7u << 20),
          msi_addr_lo(m.dbi, pre + "MSI_ADDR_LO", pb + MSI_CAP + 0x4, 4, 0, 0xfffffffcu),
          msi_addr_hi(m.dbi, pre + "MSI_ADDR_HI", pb + MSI_CAP + 0x8, 4, 0, 0xffffffffu),
          msi_data(m.dbi, pre + "MSI_DATA", pb + MSI_CAP + 0xc, 4, 0, 0xffff),
          pcie_cap(m.dbi, pre + "PCIE_CAP", pb + PCIE_CAP, 4, 0x10u | (2u << 16), 0),
          dev_cap(m.dbi, pre + "DEVICE_CAP", pb + PCIE_CAP + 0x4, 4, 0x00008001u, 0),
          dev_ctl(m.dbi, pre + "DEVICE_CONTROL_STATUS", pb + PCIE_CAP + 0x8, 4, 0x2810, 0x7fff),
          link_cap(m.dbi, pre + "LINK_CAP", pb + PCIE_CAP + 0xc, 4,
                   (m.cfg.link_generation & 0xfu) | ((m.cfg.link_width & 0x3fu) << 4), 0),
          link_ctl(m.dbi, pre + "LINK_CONTROL_STATUS", pb + PCIE_CAP + 0x10, 4, 0, 0x0fcb),
          ext_cap(m.dbi, pre + "EXT_CAP_HEADER", pb + EXT_CAP, 4,
                  m.rebar_bars.empty() ? 0u : (REBAR_CAP_ID | (1u << 16)), 0) {
        // Read-only / privileged-writable identification (DBI writes with MISC_CONTROL_1.DBI_RO_WR_EN).
        id.privileged(0xffffffffu);
        class_rev.privileged(0xffffffffu);
        subsystem.privileged(0xffffffffu);
        interrupt.privileged(0xff00);
        msi_ctrl.privileged(7u << 17);
        dev_cap.privileged(0xffffffffu);
        link_cap.privileged(0xffffffffu);

        for (unsigned n = 0; n < 6; ++n) {
            bar[n] = std::make_unique<reg>(m.dbi, pre + "BAR" + std::to_string(n), pb + 0x10 + 4 * n, 4,
                                           config_type_bits(m.cfg.bars[n]), 0);
            bar[n]->on_read([this, n](const access_ctx&) { return m.bar_read(*this, n); });
            bar[n]->on_write([this](const reg_write&) { m.refresh(*this); });
            // Fixed, resizable and reserved BARs come out of reset enabled; programmable ones disabled.
            const bar_type t = m.cfg.bars[n].type;
            const bool on = t == bar_type::fixed || t == bar_type::resizable || t == bar_type::reserved;
            mask[n] = std::make_unique<reg>(m.dbi2, pre + "BAR" + std::to_string(n) + "_MASK", pb + 0x10 + 4 * n, 4,
                                            on ? 1 : 0, 0);
            mask[n]->on_write([this, n](const reg_write& w) {
                m.refresh(*this);
                m.check_mask_write(*this, n, w.data);
            });
        }

        msi_ctrl.on_write([this](const reg_write& w) {
            const unsigned mmc = (w.new_value >> 17) & 7, mme = (w.new_value >> 20) & 7;
            if (mme > mmc)
                guest_warning(m.owner().c_str(),
                              "function %u MSI control written with 0x%08llx: Multiple Message Enable %u exceeds "
                              "Multiple Message Capable %u",
                              f, ull(w.data), mme, mmc);
        });
        link_ctl.on_read([this](const access_ctx&) -> std::uint64_t {
            std::uint64_t v = (link_ctl.get() & 0xffff) | (1ull << 28); // slot clock configuration
            if (m.link_up)
                v |= (static_cast<std::uint64_t>(m.cfg.link_generation & 0xf) << 16) |
                     (static_cast<std::uint64_t>(m.cfg.link_width & 0x3f) << 20);
            return v;
        });

        // Rest of the PCIe capability (version 2 layout, 0x70..0xab): stored or read-only zero.
        struct row {
            std::uint64_t off;
            const char* name;
            std::uint32_t reset, writable;
        };
        const std::uint32_t speeds = ((1u << (m.cfg.link_generation & 7)) - 1u) << 1;
        const row rows[] = {
            {0x14, "SLOT_CAP", 0, 0},
            {0x18, "SLOT_CONTROL_STATUS", 0, 0},
            {0x1c, "ROOT_CONTROL_CAP", 0, 0},
            {0x20, "ROOT_STATUS", 0, 0},
            {0x24, "DEVICE_CAP2", 0, 0},
            {0x28, "DEVICE_CONTROL2_STATUS2", 0, 0xffff},
            {0x2c, "LINK_CAP2", speeds & 0xfe, 0},
            {0x30, "LINK_CONTROL2_STATUS2", m.cfg.link_generation & 0xfu, 0xffff},
            {0x34, "SLOT_CAP2", 0, 0},
            {0x38, "SLOT_CONTROL2_STATUS2", 0, 0},
        };
        for (const row& r : rows)
            pcie_rest.push_back(std::make_unique<reg>(m.dbi, pre + r.name, pb + PCIE_CAP + r.off, 4, r.reset,
                                                      r.writable));

        // Resizable BAR extended capability.
        const unsigned nrebar = static_cast<unsigned>(m.rebar_bars.size());
        for (unsigned k = 0; k < nrebar; ++k) {
            const unsigned n = m.rebar_bars[k];
            const std::string kn = std::to_string(k);
            rebar_cap.push_back(
                std::make_unique<reg>(m.dbi, pre + "REBAR_CAP" + kn, pb + EXT_CAP + 4 + 8 * k, 4, 1u << 4, 0));
            rebar_cap.back()->privileged(REBAR_SIZES);
            rebar_ctl.push_back(std::make_unique<reg>(m.dbi, pre + "REBAR_CTRL" + kn, pb + EXT_CAP + 8 + 8 * k, 4,
                                                      n | (k == 0 ? nrebar << 5 : 0u), REBAR_SIZE));
            reg& cap = *rebar_cap.back();
            reg& ctl = *rebar_ctl.back();
            cap.on_write([this, &cap, &ctl](const reg_write&) {
                // Selected size follows the advertised sizes: an unsupported selection becomes the largest
                // supported size (with one size advertised, as Linux does, exactly that size).
                const std::uint64_t sizes = cap.get() & REBAR_SIZES;
                const unsigned field = static_cast<unsigned>((ctl.get() & REBAR_SIZE) >> REBAR_SIZE_SHIFT);
                if (sizes && (field > 27 || !(sizes & (1ull << (field + 4))))) {
                    const unsigned top = log2_of(sizes);
                    ctl.set((ctl.get() & ~static_cast<std::uint64_t>(REBAR_SIZE)) |
                            (static_cast<std::uint64_t>(top - 4) << REBAR_SIZE_SHIFT));
                }
                m.refresh(*this);
            });
            ctl.on_write([this, n, &cap, &ctl](const reg_write& w) {
                const unsigned field = static_cast<unsigned>((ctl.get() & REBAR_SIZE) >> REBAR_SIZE_SHIFT);
                if (field > 27 || !(cap.get() & (1ull << (field + 4))))
                    guest_warning(m.owner().c_str(),
                                  "function %u REBAR_CTRL (BAR%u) written with 0x%08llx: BAR size %u is not "
                                  "advertised in REBAR_CAP 0x%08llx",
                                  f, n, ull(w.data), field, ull(cap.get()));
                m.refresh(*this);
            });
        }
    }
};

dwc_ep::impl::impl(dwc_ep& e, const params& prm)
    : ep(e), cfg(prm),
      rebar_bars([&prm] {
          std::vector<unsigned> v;
          for (unsigned n = 0; n < 6; ++n)
              if (prm.bars[n].type == bar_type::resizable)
                  v.push_back(n);
          return v;
      }()),
      dbi("dbi", prm.num_functions * prm.func_dbi_stride, sizes_124),
      dbi2("dbi2", prm.num_functions * prm.func_dbi_stride, sizes_124), app("app", 0x1000),
      atu(e.name(),
          detail::dwc_iatu::params{prm.num_ib_windows, prm.num_ob_windows, prm.atu_size, prm.min_region_size,
                                   prm.max_region_upper, e.cycles(prm.atu_enable_delay), prm.num_functions},
          [this](unsigned func, unsigned bar) -> std::uint64_t {
              if (func >= fns.size() || bar > 5)
                  return 0;
              return fns[func]->st[bar].mask;
          }),
      port_link_control(dbi, "PORT_LINK_CONTROL", 0x710, 4, ((2u * prm.link_width - 1u) & 0x3fu) << 16, 0xffffffffu),
      gen2_ctrl(dbi, "GEN2_CTRL", 0x80c, 4, (prm.link_width & 0x1fu) << 8, 0xffffffffu),
      misc_control_1(dbi, "MISC_CONTROL_1", 0x8bc, 4, 0, DBI_RO_WR_EN),
      version_number(dbi, "PCIE_VERSION_NUMBER", 0x8f8, 4, prm.version_number, 0),
      version_type(dbi, "PCIE_VERSION_TYPE", 0x8fc, 4, prm.version_type, 0),
      atu_viewport(dbi, "PCIE_ATU_VIEWPORT", 0x900, 4, 0xffffffffu, 0),
      dma_viewport_ctrl(dbi, "DMA_CTRL_VIEWPORT", 0x978, 4, 0xffffffffu, 0),
      app_ctrl(app, "APP_CTRL", 0x0, 4, 0, APP_LTSSM_EN), app_status(app, "APP_STATUS", 0x4, 4, 0, 0) {
    dbi.set_owner(owner());
    dbi2.set_owner(owner());
    app.set_owner(owner());
    for (unsigned f = 0; f < cfg.num_functions; ++f)
        fns.push_back(std::make_unique<function>(*this, f));
    app_ctrl.on_write([this](const reg_write& w) {
        ep.ltssm_enable.set(w.new_value & APP_LTSSM_EN, w.ctx.time - kernel_time());
    });
    app_status.on_read([this](const access_ctx&) -> std::uint64_t { return link_up ? APP_LINK_UP : 0; });
    refresh_all();
}

// ------------------------------------------------------------------------------------------------------------
// BARs.

std::uint64_t dwc_ep::impl::rebar_mask(const function& fn, unsigned bar) const {
    for (std::size_t k = 0; k < rebar_bars.size(); ++k)
        if (rebar_bars[k] == bar) {
            unsigned field = static_cast<unsigned>((fn.rebar_ctl[k]->get() & REBAR_SIZE) >> REBAR_SIZE_SHIFT);
            if (field > 43)
                field = 43; // 2^63 bytes: the largest size a 64-bit BAR can describe
            return (ONE_MB << field) - 1;
        }
    throw std::logic_error(owner() + ": BAR " + std::to_string(bar) + " has no REBAR control register");
}

void dwc_ep::impl::refresh(function& fn) {
    for (unsigned n = 0; n < 6; ++n) {
        bar_state& s = fn.st[n];
        reg& b = *fn.bar[n];
        reg& m = *fn.mask[n];
        s = bar_state{};
        if (n > 0 && fn.st[n - 1].enabled && fn.st[n - 1].is64) {
            // Upper half of the 64-bit BAR n-1: the DBI2 register holds the upper mask bits.
            s.upper = true;
            const bar_config& oc = cfg.bars[n - 1];
            std::uint64_t hi = 0;
            switch (oc.type) {
            case bar_type::programmable:
                m.set_writable(0xffffffffu);
                hi = m.get();
                break;
            case bar_type::resizable:
                hi = rebar_mask(fn, n - 1) >> 32;
                m.set(hi);
                m.set_writable(0);
                break;
            default:
                hi = (oc.fixed_size - 1) >> 32;
                m.set(hi);
                m.set_writable(0);
                break;
            }
            fn.st[n - 1].mask |= hi << 32;
            b.set_writable(~hi & 0xffffffffu);
            b.privileged(0);
            continue;
        }
        const bar_config& c = cfg.bars[n];
        const std::uint32_t type_priv = (n % 2 == 0 && n < 5) ? (BAR_MEM64 | BAR_PREFETCH) : BAR_PREFETCH;
        std::uint64_t lo = 0;
        std::uint32_t priv = 0;
        switch (c.type) {
        case bar_type::programmable:
            m.set_writable(0xffffffffu);
            lo = m.get();
            priv = type_priv;
            break;
        case bar_type::fixed:
            lo = ((c.fixed_size - 1) & 0xfffffffeu) | (m.get() & 1);
            m.set(lo);
            m.set_writable(1);
            b.set((b.get() & ~static_cast<std::uint64_t>(BAR_TYPE)) | config_type_bits(c));
            break;
        case bar_type::resizable:
            lo = (rebar_mask(fn, n) & 0xfffffffeu) | (m.get() & 1);
            m.set(lo);
            m.set_writable(1);
            priv = type_priv;
            break;
        case bar_type::reserved:
            lo = ((c.fixed_size - 1) & 0xffffffffu) | 1;
            m.set(lo);
            m.set_writable(0);
            b.set((b.get() & ~static_cast<std::uint64_t>(BAR_TYPE)) | config_type_bits(c));
            break;
        case bar_type::disabled:
            m.set(0);
            m.set_writable(0);
            break;
        }
        s.enabled = lo & 1;
        s.is64 = s.enabled && n < 5 && (b.get() & 0x6) == BAR_MEM64;
        s.mask = s.enabled ? (lo | 0xf) : 0;
        b.set_writable(s.enabled ? (~s.mask & 0xfffffff0u) : 0);
        b.privileged(priv);
    }
}

void dwc_ep::impl::refresh_all() {
    for (auto& fn : fns)
        refresh(*fn);
}

std::uint64_t dwc_ep::impl::bar_base(const function& fn, unsigned n) const {
    std::uint64_t raw = fn.bar[n]->get() & 0xfffffff0u;
    if (fn.st[n].is64)
        raw |= fn.bar[n + 1]->get() << 32;
    return raw & ~fn.st[n].mask;
}

std::uint64_t dwc_ep::impl::bar_read(const function& fn, unsigned n) const {
    const bar_state& s = fn.st[n];
    const std::uint64_t v = fn.bar[n]->get();
    if (s.upper)
        return v & ~(fn.st[n - 1].mask >> 32) & 0xffffffffu;
    if (!s.enabled)
        return 0;
    return (v & ~s.mask & 0xfffffff0u) | (v & BAR_TYPE);
}

void dwc_ep::impl::check_mask_write(const function& fn, unsigned n, std::uint64_t data) const {
    const unsigned long long off = fn.pb + 0x10 + 4 * n;
    const bar_state& s = fn.st[n];
    if (s.upper) {
        const bar_config& oc = cfg.bars[n - 1];
        const std::uint32_t hi = static_cast<std::uint32_t>(fn.st[n - 1].mask >> 32);
        const std::uint32_t lo = static_cast<std::uint32_t>(fn.st[n - 1].mask);
        if (oc.type == bar_type::programmable) {
            if ((hi + 1u) & hi)
                guest_warning(owner().c_str(),
                              "function %u BAR%u upper mask (DBI2 0x%llx) written with 0x%08llx: not a power of two "
                              "minus one",
                              fn.f, n - 1, off, ull(data));
            else if (hi && lo != 0xffffffffu)
                guest_warning(owner().c_str(),
                              "function %u BAR%u upper mask (DBI2 0x%llx) written with 0x%08llx while the lower mask "
                              "is 0x%08x: the mask is not contiguous",
                              fn.f, n - 1, off, ull(data), lo);
        } else if (oc.type != bar_type::resizable && data != hi) {
            guest_warning(owner().c_str(),
                          "function %u BAR%u upper mask (DBI2 0x%llx) written with 0x%08llx: the BAR is %s, its "
                          "upper mask is read-only 0x%08x",
                          fn.f, n - 1, off, ull(data), pcie::to_string(oc.type), hi);
        }
        return;
    }
    const bar_config& c = cfg.bars[n];
    const std::uint32_t d = static_cast<std::uint32_t>(data);
    switch (c.type) {
    case bar_type::programmable:
        if (d & 1) {
            const std::uint32_t lo = d | 1u;
            if ((lo + 1u) & lo)
                guest_warning(owner().c_str(),
                              "function %u BAR%u mask (DBI2 0x%llx) written with 0x%08x: not a power of two minus "
                              "one",
                              fn.f, n, off, d);
            else if (lo < 0xf)
                guest_warning(owner().c_str(),
                              "function %u BAR%u mask (DBI2 0x%llx) written with 0x%08x: a memory BAR is at least "
                              "16 bytes; 16 bytes are used",
                              fn.f, n, off, d);
        }
        break;
    case bar_type::fixed:
        if ((d & ~1u) && (d | 1u) != ((c.fixed_size - 1) & 0xffffffffu))
            guest_warning(owner().c_str(),
                          "function %u BAR%u mask (DBI2 0x%llx) written with 0x%08x: the BAR is fixed at 0x%llx "
                          "bytes, only the enable bit is writable",
                          fn.f, n, off, d, ull(c.fixed_size));
        break;
    case bar_type::resizable:
        break; // enable bit only; the size comes from REBAR_CTRL (Linux writes BIT(0))
    case bar_type::reserved:
    case bar_type::disabled:
        if (d != static_cast<std::uint32_t>(fn.mask[n]->get()))
            guest_warning(owner().c_str(),
                          "function %u BAR%u mask (DBI2 0x%llx) written with 0x%08x: the BAR is %s, the write is "
                          "ignored",
                          fn.f, n, off, d, pcie::to_string(c.type));
        break;
    }
}

bool dwc_ep::impl::find_bar(std::uint64_t addr, bar_hit& h) const {
    for (const auto& fp : fns) {
        const function& fn = *fp;
        if (!(fn.cmd.get() & CMD_MEM))
            continue;
        for (unsigned n = 0; n < 6; ++n) {
            const bar_state& s = fn.st[n];
            if (!s.enabled)
                continue;
            const std::uint64_t base = bar_base(fn, n);
            if ((addr & ~s.mask) == base) {
                h.func = fn.f;
                h.bar = n;
                h.base = base;
                h.mask = s.mask;
                return true;
            }
        }
    }
    return false;
}

// ------------------------------------------------------------------------------------------------------------
// Register windows.

void dwc_ep::impl::reg_access(register_bank& bank, bool dbi_side, tlm::tlm_generic_payload& p,
                              sc_core::sc_time& delay) {
    access_ctx ctx;
    ctx.time = kernel_time() + delay;
    ctx.privileged = dbi_side && dbi_ro_wr_en();
    ctx.attr = attr_of(p);
    delay += ep.cycles(cfg.dbi_latency);
    bank.transport(p, ctx);
}

unsigned dwc_ep::impl::reg_debug(register_bank& bank, bool dbi_side, tlm::tlm_generic_payload& p) {
    access_ctx ctx;
    ctx.time = kernel_time();
    ctx.privileged = dbi_side && dbi_ro_wr_en();
    ctx.debug = true;
    bank.transport(p, ctx);
    if (p.is_write() && (&bank == &dbi || &bank == &dbi2))
        refresh_all(); // debug writes skip callbacks: re-derive the BAR state from the stored values
    return p.is_response_ok() ? p.get_data_length() : 0;
}

// ------------------------------------------------------------------------------------------------------------
// Link side.

namespace {
/// The architectural answer to an inbound request that goes nowhere: a posted write is dropped (the requester
/// never hears of it), a read completes with `st` (UR: address error; CA: generic error).
void refuse(tlm::tlm_generic_payload& p, pcie_attr& a, bool posted, cpl_status st) {
    if (posted) {
        p.set_response_status(tlm::TLM_OK_RESPONSE);
        return;
    }
    a.status = st;
    p.set_response_status(st == cpl_status::ur ? tlm::TLM_ADDRESS_ERROR_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE);
}
} // namespace

void dwc_ep::impl::pcie_in(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    pcie_attr* a = attr_of(p);
    if (!a)
        throw std::logic_error(owner() + ": request on pcie_in carries no pcie_attr");
    switch (a->type) {
    case tlp_type::cfg_rd0:
    case tlp_type::cfg_wr0: config(p, *a, delay); return;
    case tlp_type::mem_rd:
    case tlp_type::mem_wr: inbound(p, *a, delay); return;
    default: break;
    }
    // Type-1 configuration (an endpoint is no bridge), messages, untyped: not accepted.
    const sc_core::sc_time t = kernel_time() + delay;
    delay += ep.cycles(cfg.inbound_latency);
    const bool posted = a->type == tlp_type::msg;
    record(incident_kind::inbound_bad_type, posted, p.get_address(), a->requester_id, a->function, -1, t);
    refuse(p, *a, posted, cpl_status::ur);
}

void dwc_ep::impl::config(tlm::tlm_generic_payload& p, pcie_attr& a, sc_core::sc_time& delay) {
    const sc_core::sc_time t = kernel_time() + delay;
    delay += ep.cycles(cfg.inbound_latency);
    if (trace::on())
        trace::span(trace::track::pcie_ep, dbvp::to_string(a.type), t, kernel_time() + delay,
                    {trace::arg::hex("completer_id", a.completer_id), trace::arg::hex("offset", p.get_address()),
                     {"size", p.get_data_length()}, trace::arg::hex("requester_id", a.requester_id)});
    const unsigned dev = bdf_dev(a.completer_id), func = bdf_fn(a.completer_id);
    const std::uint64_t off = p.get_address();
    if (dev != 0 || func >= fns.size()) {
        record(incident_kind::config_no_function, false, off, a.requester_id, func, -1, t);
        a.status = cpl_status::ur;
        p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    const bool write = a.type == tlp_type::cfg_wr0;
    if (write) {
        cap_bus = static_cast<std::uint8_t>(bdf_bus(a.completer_id));
        cap_dev = static_cast<std::uint8_t>(dev);
    }
    a.function = static_cast<std::uint8_t>(func);
    const unsigned len = p.get_data_length();
    if (off >= CFG_SPACE || len > CFG_SPACE - off) {
        record(incident_kind::inbound_bad_type, false, off, a.requester_id, func, -1, t);
        a.status = cpl_status::ur;
        p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    const std::uint64_t at = fns[func]->pb + off;
    if (off < PORT_LOGIC && dbi.find(at)) {
        access_ctx ctx;
        ctx.time = t;
        ctx.attr = &a; // host requests are never privileged
        p.set_address(at);
        dbi.transport(p, ctx);
        p.set_address(off);
        if (!p.is_response_ok())
            a.status = cpl_status::ur;
        return;
    }
    // Unimplemented configuration registers read as zero and ignore writes.
    if (p.is_read())
        std::memset(p.get_data_ptr(), 0, len);
    p.set_response_status(tlm::TLM_OK_RESPONSE);
}

void dwc_ep::impl::inbound(tlm::tlm_generic_payload& p, pcie_attr& a, sc_core::sc_time& delay) {
    const sc_core::sc_time t = kernel_time() + delay;
    const bool posted = a.type == tlp_type::mem_wr;
    const std::uint64_t addr = p.get_address();
    delay += ep.cycles(cfg.inbound_latency);
    bar_hit h;
    if (!find_bar(addr, h)) {
        record(incident_kind::inbound_no_bar, posted, addr, a.requester_id, a.function, -1, t);
        refuse(p, a, posted, cpl_status::ur);
        return;
    }
    a.function = static_cast<std::uint8_t>(h.func);
    a.bar = static_cast<std::int8_t>(h.bar);
    std::uint64_t target = 0;
    int region = -1;
    const bar_config& c = cfg.bars[h.bar];
    if (c.type == bar_type::reserved) {
        target = c.reserved_target + (addr - h.base);
    } else {
        delay += ep.cycles(cfg.atu_latency);
        region = atu.inbound(h.func, h.bar, h.base, h.mask, addr, t, target);
        if (region < 0) {
            record(incident_kind::inbound_no_region, posted, addr, a.requester_id, h.func, static_cast<int>(h.bar),
                   t);
            refuse(p, a, posted, cpl_status::ur);
            return;
        }
    }
    if (cfg.quirk_reserved_bar_alias && alias_conflict(target, t)) {
        record(incident_kind::inbound_alias_conflict, posted, addr, a.requester_id, h.func, static_cast<int>(h.bar),
               t);
        refuse(p, a, posted, cpl_status::ca);
        return;
    }
    if (trace::on()) {
        if (region >= 0)
            trace_atu(true, region, t);
        trace::span(trace::track::pcie_ep, dbvp::to_string(a.type), t, kernel_time() + delay,
                    {trace::arg::hex("address", addr), {"size", p.get_data_length()},
                     trace::arg::hex("requester_id", a.requester_id), {"function", h.func}, {"bar", h.bar},
                     {"region", region}, {"reserved_bar", c.type == bar_type::reserved},
                     trace::arg::hex("target", target)});
    }
    p.set_address(target);
    ep.axi_out->b_transport(p, delay);
    p.set_address(addr);
    p.set_dmi_allowed(false);
    if (!p.is_response_ok()) {
        record(incident_kind::inbound_target_error, posted, addr, a.requester_id, h.func, static_cast<int>(h.bar), t);
        if (posted)
            p.set_response_status(tlm::TLM_OK_RESPONSE); // the requester of a posted write never hears of it
        else
            a.status = cpl_status::ca;
    }
}

unsigned dwc_ep::impl::pcie_in_debug(tlm::tlm_generic_payload& p) {
    const pcie_attr* a = attr_of(p);
    if (!a)
        throw std::logic_error(owner() + ": debug request on pcie_in carries no pcie_attr");
    const std::uint64_t off = p.get_address();
    if (a->type == tlp_type::cfg_rd0 || a->type == tlp_type::cfg_wr0) {
        const unsigned func = bdf_fn(a->completer_id);
        if (bdf_dev(a->completer_id) != 0 || func >= fns.size() || off >= PORT_LOGIC)
            return 0;
        const std::uint64_t at = fns[func]->pb + off;
        if (!dbi.find(at))
            return 0;
        p.set_address(at);
        const unsigned n = reg_debug(dbi, false, p);
        p.set_address(off);
        return n;
    }
    if (a->type != tlp_type::mem_rd && a->type != tlp_type::mem_wr)
        return 0;
    const translation tr = ep.translate_inbound(off);
    if (!tr.hit)
        return 0;
    p.set_address(tr.target);
    const unsigned n = ep.axi_out->transport_dbg(p);
    p.set_address(off);
    return n;
}

// ------------------------------------------------------------------------------------------------------------
// Outbound.

void dwc_ep::impl::outbound(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    const sc_core::sc_time t = kernel_time() + delay;
    const std::uint64_t off = p.get_address();
    const std::uint64_t cpu = cfg.addr_space_base + off;
    const bool write = p.is_write();
    delay += ep.cycles(cfg.atu_latency);
    std::uint64_t target = 0;
    unsigned func = 0;
    const int region = off < cfg.addr_space_size ? atu.outbound(cpu, t, target, func) : -1;
    if (region < 0) {
        record(incident_kind::outbound_no_region, write, cpu, 0, 0, -1, t);
        guest_warning(owner().c_str(),
                      "outbound %s of %u bytes at 0x%llx matches no enabled outbound iATU region; %s",
                      write ? "write" : "read", p.get_data_length(), ull(cpu),
                      write ? "the write is dropped" : "the read fails");
        p.set_response_status(write ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    delay += ep.cycles(cfg.outbound_latency);
    // The request becomes a TLP: its own pcie_attr (on the stack: reentrant, no allocation) replaces any the
    // SoC master attached for the time of the call.
    pcie_attr attr;
    attr.type = write ? tlp_type::mem_wr : tlp_type::mem_rd;
    attr.posted = write;
    attr.requester_id = bdf(func);
    attr.function = static_cast<std::uint8_t>(func);
    if (trace::on()) {
        trace_atu(false, region, t);
        trace::span(trace::track::pcie_ep, dbvp::to_string(attr.type), t, kernel_time() + delay,
                    {{"source", "addr_space"}, trace::arg::hex("cpu_address", cpu), trace::arg::hex("address", target),
                     {"size", p.get_data_length()}, {"region", region},
                     trace::arg::hex("requester_id", attr.requester_id), {"function", func}});
    }
    pcie_attr* prev = p.set_extension(&attr);
    p.set_address(target);
    ep.pcie_out->b_transport(p, delay);
    p.set_address(off);
    if (prev)
        p.set_extension(prev);
    else
        p.clear_extension(&attr);
    p.set_dmi_allowed(false);
    if (!p.is_response_ok() || attr.status != cpl_status::sc) {
        record(incident_kind::outbound_link_error, write, cpu, attr.requester_id, func, -1, t);
        if (write)
            p.set_response_status(tlm::TLM_OK_RESPONSE); // posted: the CPU's write completed at the controller
        else if (p.is_response_ok())
            p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    }
}

unsigned dwc_ep::impl::outbound_debug(tlm::tlm_generic_payload& p) {
    const std::uint64_t off = p.get_address();
    std::uint64_t target = 0;
    unsigned func = 0;
    if (off >= cfg.addr_space_size ||
        atu.outbound(cfg.addr_space_base + off, kernel_time(), target, func) < 0)
        return 0;
    pcie_attr attr;
    attr.type = p.is_write() ? tlp_type::mem_wr : tlp_type::mem_rd;
    attr.posted = p.is_write();
    attr.requester_id = bdf(func);
    attr.function = static_cast<std::uint8_t>(func);
    pcie_attr* prev = p.set_extension(&attr);
    p.set_address(target);
    const unsigned n = ep.pcie_out->transport_dbg(p);
    p.set_address(off);
    if (prev)
        p.set_extension(prev);
    else
        p.clear_extension(&attr);
    return n;
}

bool dwc_ep::impl::alias_conflict(std::uint64_t target, const sc_core::sc_time& t) const {
    for (const bar_config& c : cfg.bars) {
        if (c.type != bar_type::reserved || target < c.reserved_target ||
            target - c.reserved_target >= c.fixed_size)
            continue;
        if (atu.inbound_targets(c.reserved_target, c.reserved_target + c.fixed_size - 1, t))
            return true;
    }
    return false;
}

// ------------------------------------------------------------------------------------------------------------
// eDMA requests: TLPs the integrated DMA engine issues, sent as function 0.

void dwc_ep::impl::dma(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    pcie_attr* a = attr_of(p);
    if (!a)
        throw std::logic_error(owner() + ": request on dma_in carries no pcie_attr");
    const sc_core::sc_time t = kernel_time() + delay;
    delay += ep.cycles(cfg.outbound_latency);
    a->requester_id = bdf(0);
    a->function = 0;
    if (trace::on())
        trace::span(trace::track::pcie_ep, dbvp::to_string(a->type), t, kernel_time() + delay,
                    {{"source", "edma"}, trace::arg::hex("address", p.get_address()), {"size", p.get_data_length()},
                     trace::arg::hex("requester_id", a->requester_id)});
    ep.pcie_out->b_transport(p, delay);
    p.set_dmi_allowed(false);
    if (!p.is_response_ok() || a->status != cpl_status::sc)
        record(incident_kind::dma_link_error, a->posted, p.get_address(), a->requester_id, 0, -1, t);
}

// ------------------------------------------------------------------------------------------------------------
// dwc_ep.

namespace {
void validate(const char* name, const dwc_ep::params& p) {
    auto bad = [name](const std::string& what) { throw std::invalid_argument(std::string(name) + ": " + what); };
    if (p.num_functions < 1 || p.num_functions > 8)
        bad("num_functions must be 1..8");
    if (p.func_dbi_stride < 0x1000 || p.func_dbi_stride % 0x1000)
        bad("func_dbi_stride must be a multiple of 4 KB");
    if (!is_pow2(p.msi_vectors) || p.msi_vectors > 32)
        bad("msi_vectors must be a power of two of 1..32");
    if (p.link_generation < 1 || p.link_generation > 6 || p.link_width < 1 || p.link_width > 32)
        bad("link_generation must be 1..6 and link_width 1..32");
    if (p.addr_space_size == 0)
        bad("addr_space_size must be non-zero");
    for (unsigned n = 0; n < 6; ++n) {
        const bar_config& c = p.bars[n];
        const std::string b = "BAR" + std::to_string(n) + " (" + to_string(c.type) + "): ";
        if (c.is64 && (n % 2 || n == 5))
            bad(b + "a 64-bit BAR must have an even number (DWC BAR pairs do not overlap)");
        if (c.type == bar_type::fixed || c.type == bar_type::reserved) {
            if (!is_pow2(c.fixed_size) || c.fixed_size < 16)
                bad(b + "fixed_size must be a power of two of at least 16 bytes");
            if (!c.is64 && c.fixed_size > (1ull << 31))
                bad(b + "a 32-bit BAR is at most 2 GB");
            if (c.type == bar_type::reserved && c.is64 && p.bars[n + 1].type == bar_type::reserved)
                bad(b + "its upper half BAR" + std::to_string(n + 1) + " cannot be reserved too");
        }
    }
}
} // namespace

dwc_ep::dwc_ep(sc_core::sc_module_name name, const params& p)
    : sc_module(name), clocked(p.clock_hz), dbi("dbi"), dbi2("dbi2"), atu("atu"), app("app"),
      addr_space("addr_space"), pcie_in("pcie_in"), dma_in("dma_in"), pcie_out("pcie_out"), axi_out("axi_out"),
      ltssm_enable(std::string(this->name()) + ".ltssm_enable"), p_(p) {
    validate(this->name(), p_);
    m_ = std::make_unique<impl>(*this, p_);
    dbi.register_b_transport(this, &dwc_ep::b_transport_cb<port::dbi>);
    dbi2.register_b_transport(this, &dwc_ep::b_transport_cb<port::dbi2>);
    atu.register_b_transport(this, &dwc_ep::b_transport_cb<port::atu>);
    app.register_b_transport(this, &dwc_ep::b_transport_cb<port::app>);
    addr_space.register_b_transport(this, &dwc_ep::b_transport_cb<port::addr_space>);
    pcie_in.register_b_transport(this, &dwc_ep::b_transport_cb<port::pcie_in>);
    dma_in.register_b_transport(this, &dwc_ep::b_transport_cb<port::dma_in>);
    dbi.register_transport_dbg(this, &dwc_ep::transport_dbg_cb<port::dbi>);
    dbi2.register_transport_dbg(this, &dwc_ep::transport_dbg_cb<port::dbi2>);
    atu.register_transport_dbg(this, &dwc_ep::transport_dbg_cb<port::atu>);
    app.register_transport_dbg(this, &dwc_ep::transport_dbg_cb<port::app>);
    addr_space.register_transport_dbg(this, &dwc_ep::transport_dbg_cb<port::addr_space>);
    pcie_in.register_transport_dbg(this, &dwc_ep::transport_dbg_cb<port::pcie_in>);
    dma_in.register_transport_dbg(this, &dwc_ep::transport_dbg_cb<port::dma_in>);
}

dwc_ep::~dwc_ep() = default;

template <dwc_ep::port P>
void dwc_ep::b_transport_cb(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    if constexpr (P == port::dbi)
        m_->reg_access(m_->dbi, true, p, delay);
    else if constexpr (P == port::dbi2)
        m_->reg_access(m_->dbi2, true, p, delay);
    else if constexpr (P == port::atu)
        m_->reg_access(m_->atu.bank(), false, p, delay);
    else if constexpr (P == port::app)
        m_->reg_access(m_->app, false, p, delay);
    else if constexpr (P == port::addr_space)
        m_->outbound(p, delay);
    else if constexpr (P == port::dma_in)
        m_->dma(p, delay);
    else
        m_->pcie_in(p, delay);
}

template <dwc_ep::port P>
unsigned dwc_ep::transport_dbg_cb(tlm::tlm_generic_payload& p) {
    if constexpr (P == port::dbi)
        return m_->reg_debug(m_->dbi, true, p);
    else if constexpr (P == port::dbi2)
        return m_->reg_debug(m_->dbi2, true, p);
    else if constexpr (P == port::atu)
        return m_->reg_debug(m_->atu.bank(), false, p);
    else if constexpr (P == port::app)
        return m_->reg_debug(m_->app, false, p);
    else if constexpr (P == port::addr_space)
        return m_->outbound_debug(p);
    else if constexpr (P == port::dma_in)
        return pcie_out->transport_dbg(p);
    else
        return m_->pcie_in_debug(p);
}

dwc_ep::translation dwc_ep::translate_inbound(std::uint64_t pci_addr) const {
    translation tr;
    impl::bar_hit h;
    if (!m_->find_bar(pci_addr, h))
        return tr;
    tr.bar_hit = true;
    tr.function = static_cast<std::uint8_t>(h.func);
    tr.bar = static_cast<std::int8_t>(h.bar);
    const bar_config& c = p_.bars[h.bar];
    if (c.type == bar_type::reserved) {
        tr.reserved = true;
        tr.hit = true;
        tr.target = c.reserved_target + (pci_addr - h.base);
    } else {
        std::uint64_t target = 0;
        tr.region = m_->atu.inbound(h.func, h.bar, h.base, h.mask, pci_addr, kernel_time(), target);
        if (tr.region >= 0) {
            tr.hit = true;
            tr.target = target;
        }
    }
    if (tr.hit && p_.quirk_reserved_bar_alias && m_->alias_conflict(tr.target, kernel_time())) {
        tr.alias_conflict = true;
        tr.hit = false;
    }
    return tr;
}

std::uint64_t dwc_ep::bar_address(unsigned func, unsigned bar) const {
    if (func >= p_.num_functions || bar > 5)
        throw std::out_of_range(std::string(name()) + ": no BAR " + std::to_string(bar) + " of function " +
                                std::to_string(func));
    const impl::function& fn = *m_->fns[func];
    return fn.st[bar].enabled ? m_->bar_base(fn, bar) : 0;
}

std::uint64_t dwc_ep::bar_size(unsigned func, unsigned bar) const {
    if (func >= p_.num_functions || bar > 5)
        throw std::out_of_range(std::string(name()) + ": no BAR " + std::to_string(bar) + " of function " +
                                std::to_string(func));
    const impl::bar_state& s = m_->fns[func]->st[bar];
    return s.enabled ? s.mask + 1 : 0;
}

std::uint16_t dwc_ep::captured_bdf(unsigned func) const {
    if (func >= p_.num_functions)
        throw std::out_of_range(std::string(name()) + ": no function " + std::to_string(func));
    return m_->bdf(func);
}

void dwc_ep::irq_level(unsigned input, bool level, const sc_core::sc_time&) {
    if (input != 0)
        throw std::logic_error(std::string(name()) + ": no interrupt input " + std::to_string(input));
    m_->link_up = level;
}

} // namespace dbvp::pcie
