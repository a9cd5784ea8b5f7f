#include "dbvp/pcie/sid_glue.h"

#include "dbvp/core/clocked.h"
#include "dbvp/core/report.h"
#include "dbvp/core/sideband.h"
#include "dbvp/core/trace.h"

#include <stdexcept>
#include <string>

namespace dbvp::pcie {

namespace {
constexpr std::uint32_t ACSCTRL_RWA = 1u << 16;
constexpr std::uint32_t ACSCTRL_ENLOC = 0x1f;
constexpr std::uint32_t DATA1_VLD = 1u << 31;
constexpr std::uint32_t DATA1_DAC_ID = 0x7u << 8;
constexpr std::uint32_t DATA1_SID = 0x3f;

bool map_lookup(const std::vector<sid_glue::map_entry>& m, std::uint32_t rid, std::uint32_t& out) {
    for (const auto& e : m)
        if (rid >= e.rid_base && rid - e.rid_base < e.length) {
            out = e.out_base + (rid - e.rid_base);
            return true;
        }
    return false;
}
} // namespace

sid_glue::sid_glue(sc_core::sc_module_name name, const params& p)
    : sc_module(name), clocked(p.clock_hz), in("in"), out("out"), regs("regs"), p_(p),
      lut_(p.type == kind::lut ? p.lut_entries : 0), bank_("lut", p.regs_size),
      acsctrl_(bank_, "LUT_ACSCTRL", 0x1008, 4, 0, ACSCTRL_RWA | ACSCTRL_ENLOC),
      data1_(bank_, "LUT_DATA1", 0x100c, 4, 0, DATA1_VLD | DATA1_DAC_ID | DATA1_SID),
      data2_(bank_, "LUT_DATA2", 0x1010, 4, 0, 0xffffffffu) {
    if (p_.type == kind::lut && (p_.lut_entries == 0 || p_.lut_entries > 32))
        throw std::invalid_argument(std::string(this->name()) + ": lut_entries must be 1..32");
    if (p_.controller_id > 3 || p_.default_sid > 63)
        throw std::invalid_argument(std::string(this->name()) + ": controller_id 0..3, default_sid 0..63");
    if (p_.regs_size < 0x1014)
        throw std::invalid_argument(std::string(this->name()) + ": the register window must reach 0x1014");
    bank_.set_owner(this->name());
    acsctrl_.on_write([this](const reg_write& w) {
        const unsigned idx = w.new_value & ACSCTRL_ENLOC;
        if (idx >= lut_.size()) {
            guest_warning(*this, "LUT_ACSCTRL = 0x%llx selects entry %u of %zu; ignored",
                          static_cast<unsigned long long>(w.new_value), idx, lut_.size());
            return;
        }
        lut_entry& e = lut_[idx];
        if (w.new_value & ACSCTRL_RWA) { // read the entry into DATA1/DATA2
            data1_.set((e.valid ? DATA1_VLD : 0) | (std::uint32_t{e.dac_id} << 8) | e.sid);
            data2_.set((std::uint32_t{e.reqid} << 16) | e.mask);
        } else { // commit DATA1/DATA2 into the entry
            const auto d1 = static_cast<std::uint32_t>(data1_.get());
            const auto d2 = static_cast<std::uint32_t>(data2_.get());
            e.valid = d1 & DATA1_VLD;
            e.dac_id = static_cast<std::uint8_t>((d1 & DATA1_DAC_ID) >> 8);
            e.sid = static_cast<std::uint8_t>(d1 & DATA1_SID);
            e.reqid = static_cast<std::uint16_t>(d2 >> 16);
            e.mask = static_cast<std::uint16_t>(d2);
        }
    });
    in.register_b_transport(this, &sid_glue::b_transport);
    in.register_transport_dbg(this, &sid_glue::transport_dbg);
    in.register_get_direct_mem_ptr(this, &sid_glue::get_direct_mem_ptr);
    out.register_invalidate_direct_mem_ptr(this, &sid_glue::invalidate_direct_mem_ptr);
    regs.register_b_transport(this, &sid_glue::regs_b_transport);
    regs.register_transport_dbg(this, &sid_glue::regs_transport_dbg);
}

sid_glue::~sid_glue() = default;

sid_glue::ids sid_glue::lookup(std::uint16_t requester_id) const {
    ids r;
    if (p_.type == kind::map) {
        const std::uint32_t rid = requester_id & p_.rid_mask;
        r.has_stream_id = map_lookup(p_.stream_map, rid, r.stream_id);
        r.has_device_id = map_lookup(p_.device_map, rid, r.device_id);
        return r;
    }
    unsigned sid = p_.default_sid;
    for (std::size_t i = 0; i < lut_.size(); ++i) {
        const lut_entry& e = lut_[i];
        if (e.valid && ((requester_id ^ e.reqid) & e.mask) == 0) {
            sid = e.sid;
            r.lut_entry = static_cast<int>(i);
            break;
        }
    }
    r.stream_id = r.device_id = (p_.controller_id << 6) | sid;
    r.has_stream_id = r.has_device_id = true;
    return r;
}

void sid_glue::b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    const sc_core::sc_time t0 = trace::on() ? kernel_time() + delay : sc_core::SC_ZERO_TIME;
    delay += cycles(p_.latency);
    if (pcie_attr* a = attr_of(p)) {
        const ids r = lookup(a->requester_id);
        a->has_stream_id = r.has_stream_id;
        a->stream_id = r.stream_id;
        a->has_device_id = r.has_device_id;
        a->device_id = r.device_id;
        if (trace::on()) {
            // "none": no map entry covers the requester ID (the SMMU / ITS will reject the request).
            const std::int64_t sid = r.has_stream_id ? std::int64_t{r.stream_id} : -1;
            const std::int64_t did = r.has_device_id ? std::int64_t{r.device_id} : -1;
            const char* source = p_.type == kind::map ? "map" : r.lut_entry >= 0 ? "lut_entry" : "lut_default";
            trace::span(trace::track::sid_glue, p.is_write() ? "write" : "read", t0, kernel_time() + delay,
                        {trace::arg::hex("address", p.get_address()), {"size", p.get_data_length()},
                         trace::arg::hex("requester_id", a->requester_id), {"stream_id", sid}, {"device_id", did},
                         {"source", source}, {"lut_entry", r.lut_entry}});
        }
    }
    out->b_transport(p, delay);
}

unsigned sid_glue::transport_dbg(tlm::tlm_generic_payload& p) { return out->transport_dbg(p); }

bool sid_glue::get_direct_mem_ptr(tlm::tlm_generic_payload& p, tlm::tlm_dmi& dmi) {
    // The IDs travel with each transaction; DMI would bypass them. Only plain (non-PCIe) payloads may use DMI.
    if (attr_of(p))
        return false;
    return out->get_direct_mem_ptr(p, dmi);
}

void sid_glue::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
    in->invalidate_direct_mem_ptr(start, end);
}

void sid_glue::regs_b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    delay += cycles(p_.latency);
    bank_.transport(p, access_ctx{kernel_time() + delay});
}

unsigned sid_glue::regs_transport_dbg(tlm::tlm_generic_payload& p) {
    access_ctx ctx{kernel_time()};
    ctx.debug = true;
    bank_.transport(p, ctx);
    return p.is_response_ok() ? p.get_data_length() : 0;
}

} // namespace dbvp::pcie
