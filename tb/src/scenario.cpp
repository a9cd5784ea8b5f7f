#include "dbvp/platform/scenario.h"

#include "dbvp/fw/endpoint.h"
#include "dbvp/fw/epf_nvme.h"
#include "dbvp/fw/epf_test.h"
#include "dbvp/fw/epf_vntb.h"
#include "dbvp/host/enumerate.h"
#include "dbvp/host/ntb_host.h"
#include "dbvp/host/nvme_host.h"
#include "dbvp/host/pci_endpoint_test.h"
#include "dbvp/platform/platform.h"
#include "dbvp/smmu/smmuv3.h"
#include "dbvp/util/format.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

namespace dbvp::platform {

const char* to_string(function_kind f) {
    switch (f) {
    case function_kind::test: return "test";
    case function_kind::vntb: return "vntb";
    case function_kind::nvme: return "nvme";
    }
    return "?";
}

std::optional<function_kind> function_from(const std::string& name) {
    if (name == "test")
        return function_kind::test;
    if (name == "vntb")
        return function_kind::vntb;
    if (name == "nvme")
        return function_kind::nvme;
    return std::nullopt;
}

namespace {

const char* backend_name(fw::doorbell_backend b) {
    switch (b) {
    case fw::doorbell_backend::msi: return "msi";
    case fw::doorbell_backend::embedded: return "embedded";
    case fw::doorbell_backend::poll: return "poll";
    }
    return "none";
}

/// One host write and what became of it.
struct ring {
    unsigned doorbell = 0;
    std::uint64_t ns = 0;
    enum fate { dropped, coalesced, delivered } f = dropped;
    std::uint64_t seen_ns = 0;
};

/// State shared by the firmware thread, the host thread and the accounting (one process, one platform).
struct shared {
    bool ready = false;
    bool host_done = false;
    std::string fw_error, host_error;
    std::string backend = "none";
    bool interrupt_driven = false;
    std::vector<std::string> backend_reasons;
    std::vector<scenario_result::location> where;
    std::vector<ring> rings;
    // test function: host-observed acknowledgement times per ring (0 = none)
    std::vector<std::uint64_t> ack_ns;
    // vntb / nvme: the function's events (doorbell, time), in order; nvme: values
    std::vector<std::pair<unsigned, std::uint64_t>> events;
    std::vector<bool> event_exact;          // vntb: the event stands for exactly one ring (not an unresolved kick)
    std::vector<std::uint32_t> ring_values; // nvme: the value each ring wrote
    std::vector<std::pair<unsigned, std::uint32_t>> seen_values; // nvme: (doorbell, value) seen
};

/// splitmix64: a well-mixed sequence from any seed (the ring order and the values).
std::uint64_t next_random(std::uint64_t& s) {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// ---- firmware ----------------------------------------------------------------------------------------------

void test_firmware(fw::hal& h, const scenario& s, shared& sh) {
    epf::epf_test_options opt;
    opt.doorbell_backend = s.backend;
    epf::epf_test_state st;
    bool published = false;
    epf::run_epf_test(h, opt, st, [&] {
        if (!st.error.empty())
            sh.fw_error = st.error;
        if (st.link_up)
            sh.ready = true;
        if (st.doorbell_held && !published) {
            published = true;
            sh.backend = backend_name(st.doorbell.backend);
            sh.backend_reasons = st.backend_reasons;
            sh.interrupt_driven = st.doorbell.backend != fw::doorbell_backend::poll;
        }
        return false;
    });
    if (!st.error.empty())
        sh.fw_error = st.error;
}

void vntb_firmware(fw::hal& h, const scenario& s, shared& sh) {
    fw::endpoint e(h);
    if (auto st = e.boot(); !st) {
        sh.fw_error = "boot: " + st.message();
        return;
    }
    fw::vntb::params prm;
    prm.db_count = std::clamp(s.doorbells, 1u, 32u);
    prm.backend = s.backend;
    if (s.backend == fw::doorbell_backend::poll)
        prm.doorbells = fw::vntb::policy::polling;
    fw::vntb::epf f(e, prm);
    // Every event as it is delivered (the function's own log keeps only the latest fw::vntb::MAX_EVENT_LOG: an
    // unresolved shared kick is one event per doorbell, 32 per ring).
    f.on_event([&](const fw::vntb::event& ev) {
        sh.events.push_back({ev.index, ev.time_ns});
        sh.event_exact.push_back(ev.from != fw::vntb::event::kick_unresolved);
    });
    if (auto st = f.bind(); !st) {
        sh.fw_error = "bind: " + st.message();
        return;
    }
    sh.backend_reasons = f.reasons();
    sh.interrupt_driven = f.mode() == fw::vntb::db_mode::interrupt;
    sh.backend = sh.interrupt_driven ? backend_name(f.backend()) : "poll";
    if (auto st = e.start_link(); !st) {
        sh.fw_error = "link: " + st.message();
        return;
    }
    sh.ready = true;
    while (!sh.host_done)
        f.serve_until(h.now_ns() + 100000);
    for (;;)
        f.serve_until(h.now_ns() + 1000000000);
}

void nvme_firmware(fw::hal& h, const scenario& s, shared& sh) {
    fw::endpoint e(h);
    if (auto st = e.boot(); !st) {
        sh.fw_error = "boot: " + st.message();
        return;
    }
    fw::nvme::params prm;
    prm.queues = std::clamp(s.doorbells / 2, 1u, 64u);
    prm.backend = s.backend;
    fw::nvme::epf f(e, prm);
    if (auto st = f.bind(); !st) {
        sh.fw_error = "bind: " + st.message();
        return;
    }
    sh.backend_reasons = f.report().reasons;
    sh.backend = backend_name(f.report().backend);
    sh.interrupt_driven = f.report().interrupt_driven;
    if (auto st = e.start_link(); !st) {
        sh.fw_error = "link: " + st.message();
        return;
    }
    sh.ready = true;
    while (!sh.host_done)
        f.serve_until(h.now_ns() + 100000);
    for (const auto& w : f.writes())
        sh.seen_values.push_back({w.doorbell, w.value});
    for (const auto& w : f.writes())
        sh.events.push_back({w.doorbell, w.time_ns});
    for (;;)
        f.serve_until(h.now_ns() + 1000000000);
}

// ---- host --------------------------------------------------------------------------------------------------

void wait_ready(host::hal& h, shared& sh) {
    while (!sh.ready && sh.fw_error.empty())
        h.sleep_ns(10000);
}

void test_host(host::hal& h, platform& p, const scenario& s, shared& sh) {
    auto en = host::enumerate(h, p.enumeration_config());
    if (!en.ok) {
        sh.host_error = en.error;
        return;
    }
    wait_ready(h, sh);
    host::pcitest_options opt;
    opt.log_interrupts = false; // one line per ring, never read
    host::pci_endpoint_test t(h, opt);
    if (!t.bind(en)) {
        sh.host_error = "no test function";
        return;
    }
    // ENABLE_DOORBELL, read where it is, then ring it `rings` times, each waiting for the function's MSI.
    t.write(epf::REG_IRQ_TYPE, host::pcitest::IRQ_TYPE_MSI);
    t.write(epf::REG_IRQ_NUMBER, 1);
    const auto en_irq = t.command(epf::CMD_ENABLE_DOORBELL);
    const std::uint32_t st = t.read(epf::REG_STATUS);
    if (!en_irq.received || !(st & epf::STS_DOORBELL_ENABLE_SUCCESS)) {
        sh.host_error = "ENABLE_DOORBELL failed (STATUS " + hex(st) + ")";
        return;
    }
    const std::uint32_t data = t.read(epf::REG_DB_DATA), off = t.read(epf::REG_DB_OFFSET);
    const std::uint32_t bar = t.read(epf::REG_DB_BAR);
    sh.where.push_back({static_cast<int>(bar), off, data});
    if (bar > 5 || !t.bar_address(bar)) {
        sh.host_error = "DB_BAR " + std::to_string(bar) + " is not a BAR the host mapped";
        return;
    }
    for (unsigned i = 0; i < s.rings; ++i) {
        t.write(epf::REG_STATUS, 0);
        sh.rings.push_back({0, h.now_ns()});
        h.mem_write(t.bar_address(bar) + off, &data, 4);
        const auto irq = t.wait_irq(10000000);
        const bool ok = irq.received && (irq.status & epf::STS_DOORBELL_SUCCESS);
        sh.ack_ns.push_back(ok ? irq.msi.time_ns : 0);
    }
    t.command(epf::CMD_DISABLE_DOORBELL);
}

void vntb_host(host::hal& h, platform& p, const scenario& s, shared& sh) {
    auto en = host::enumerate(h, p.enumeration_config());
    if (!en.ok) {
        sh.host_error = en.error;
        return;
    }
    wait_ready(h, sh);
    host::ntb::config cfg;
    cfg.ring_counters = false; // a Linux host: a shared kick cannot be resolved
    host::ntb::driver d(h, en.functions.at(0), cfg);
    if (!d.setup()) {
        sh.host_error = d.error();
        return;
    }
    for (unsigned n = 0; n < d.db_count(); ++n)
        sh.where.push_back({2, d.db_bar_offset(n), d.db_data(n)});
    std::uint64_t rnd = s.seed;
    for (unsigned i = 0; i < s.rings; ++i) {
        const unsigned n = static_cast<unsigned>(next_random(rnd) % d.db_count());
        sh.rings.push_back({n, h.now_ns()});
        d.ring(n);
        h.sleep_ns(20000);
    }
}

void nvme_host(host::hal& h, platform& p, const scenario& s, shared& sh) {
    auto en = host::enumerate(h, p.enumeration_config());
    if (!en.ok) {
        sh.host_error = en.error;
        return;
    }
    wait_ready(h, sh);
    host::nvme::driver d(h, en.functions.at(0));
    if (!d.probe() || !d.enable()) {
        sh.host_error = d.error();
        return;
    }
    const unsigned queues = std::clamp(s.doorbells / 2, 1u, 64u);
    for (unsigned n = 0; n < 2 * queues; ++n)
        sh.where.push_back({0, 0x1000 + 4ull * n, 0});
    std::uint64_t rnd = s.seed;
    std::vector<std::uint32_t> value(2 * queues, 0);
    for (unsigned i = 0; i < s.rings; ++i) {
        const unsigned n = static_cast<unsigned>(next_random(rnd) % (2 * queues));
        value[n] = (value[n] + 1) % 64; // queue pointers advance
        sh.rings.push_back({n, h.now_ns()});
        sh.ring_values.push_back(value[n]);
        if (n % 2)
            d.write_cq_head(n / 2, value[n]);
        else
            d.write_sq_tail(n / 2, value[n]);
        h.sleep_ns(20000);
    }
}

// ---- accounting --------------------------------------------------------------------------------------------

void account(const scenario& s, shared& sh) {
    if (s.function == function_kind::test) {
        for (std::size_t i = 0; i < sh.rings.size(); ++i)
            if (i < sh.ack_ns.size() && sh.ack_ns[i]) { // a run cut short leaves its last ring unanswered
                sh.rings[i].f = ring::delivered;
                sh.rings[i].seen_ns = sh.ack_ns[i];
            }
        return;
    }
    if (s.function == function_kind::vntb) {
        // Per doorbell, the first event after a ring answers it: delivered when the event stands for that ring
        // alone, coalesced when it is a shared kick the function could not resolve. Several rings answered by one
        // event (a poll slot written twice before a scan): the later ones are coalesced.
        std::map<unsigned, std::vector<std::size_t>> ev;
        for (std::size_t k = 0; k < sh.events.size(); ++k)
            ev[sh.events[k].first].push_back(k);
        std::map<unsigned, std::size_t> used;
        for (auto& r : sh.rings) {
            const auto& list = ev[r.doorbell];
            std::size_t& k = used[r.doorbell];
            while (k < list.size() && sh.events[list[k]].second < r.ns)
                ++k;
            if (k < list.size()) {
                r.f = sh.event_exact[list[k]] ? ring::delivered : ring::coalesced;
                r.seen_ns = sh.events[list[k]].second;
                ++k;
            } else {
                for (std::size_t e : list)
                    if (sh.events[e].second >= r.ns) {
                        r.f = ring::coalesced;
                        break;
                    }
            }
        }
        return;
    }
    // NVMe: a ring is delivered when its value was seen on its doorbell at or after it (the first such write),
    // coalesced when a later ring on its doorbell was delivered. Writes are looked up by (doorbell, value).
    std::map<std::pair<unsigned, std::uint32_t>, std::vector<std::size_t>> seen;
    for (std::size_t k = 0; k < sh.seen_values.size(); ++k)
        seen[sh.seen_values[k]].push_back(k);
    for (std::size_t i = 0; i < sh.rings.size(); ++i) {
        ring& r = sh.rings[i];
        const auto it = seen.find({r.doorbell, sh.ring_values[i]});
        if (it == seen.end())
            continue;
        for (std::size_t k : it->second)
            if (sh.events[k].second >= r.ns) {
                r.f = ring::delivered;
                r.seen_ns = sh.events[k].second;
                break;
            }
    }
    std::set<unsigned> delivered_later; // doorbells with a delivered ring after the one looked at
    for (std::size_t i = sh.rings.size(); i-- > 0;) {
        ring& r = sh.rings[i];
        if (r.f == ring::delivered)
            delivered_later.insert(r.doorbell);
        else if (delivered_later.count(r.doorbell))
            r.f = ring::coalesced;
    }
}

/// Where the dropped rings died, from the models' records.
std::vector<std::string> explain(platform& p, std::uint16_t root_port) {
    std::map<std::string, unsigned> why;
    for (const auto& i : p.ep().incidents())
        if (i.posted)
            why[std::string("endpoint: ") + pcie::dwc_ep::to_string(i.kind) + " at PCIe address " + hex(i.address) +
                (i.bar >= 0 ? " (BAR" + std::to_string(i.bar) + ")" : "")]++;
    const auto ids = p.glue().lookup(root_port);
    if (p.glue().get_params().type == pcie::sid_glue::kind::lut && ids.lut_entry < 0)
        why["LUT: no entry matches requester ID " + host::bdf_string(root_port) + ": default StreamID " +
            hex(ids.stream_id)]++;
    if (auto* smmu = p.smmu())
        for (const auto& e : smmu->events())
            why[std::string("SMMU: ") + smmu::smmuv3::event_name(e.id) + " for StreamID " + hex(e.stream_id) +
                " at " + hex(e.address)]++;
    if (auto* its = p.its())
        for (const auto& d : its->drops())
            why[std::string("ITS: ") + gic::gicv3_its::to_string(d.reason) + ", DeviceID " +
                (d.has_device_id ? hex(d.device_id) : std::string("none")) + " EventID " + hex(d.event_id)]++;
    std::vector<std::string> out;
    for (const auto& [w, n] : why)
        out.push_back(w + (n > 1 ? " (x" + std::to_string(n) + ")" : ""));
    return out;
}

} // namespace

namespace {
platform::options options_of(const scenario& s) {
    platform::options opt;
    opt.platform = s.platform;
    opt.overrides = s.overrides;
    if (s.root_port)
        opt.overrides.push_back("host/dbvp,root-port=" + std::to_string(*s.root_port));
    return opt;
}
} // namespace

scenario_result run_scenario(const scenario& s) {
    scenario_result r;
    r.platform = s.platform;
    r.function = to_string(s.function);
    platform p("platform", options_of(s));
    shared sh;
    p.set_firmware([&](fw::hal& h) {
        switch (s.function) {
        case function_kind::test: test_firmware(h, s, sh); break;
        case function_kind::vntb: vntb_firmware(h, s, sh); break;
        case function_kind::nvme: nvme_firmware(h, s, sh); break;
        }
    });
    p.set_host_software([&](host::hal& h) {
        switch (s.function) {
        case function_kind::test: test_host(h, p, s, sh); break;
        case function_kind::vntb: vntb_host(h, p, s, sh); break;
        case function_kind::nvme: nvme_host(h, p, s, sh); break;
        }
        h.sleep_ns(12000000); // the slowest poll interval (vNTB 5 ms) twice, and more
        sh.host_done = true;
        h.sleep_ns(1000000);
    });
    const bool finished = p.run(sc_core::sc_time(static_cast<double>(s.limit_ms), sc_core::SC_MS));
    r.simulated_us = sc_core::sc_time_stamp().to_seconds() * 1e6;
    r.firmware_log = p.cpu().console();
    account(s, sh);
    r.backend = sh.backend;
    r.interrupt_driven = sh.interrupt_driven;
    r.backend_reasons = sh.backend_reasons;
    r.doorbells = sh.where;
    r.rung = static_cast<unsigned>(sh.rings.size());
    std::vector<double> lat;
    for (const auto& g : sh.rings) {
        if (g.f != ring::dropped && g.seen_ns >= g.ns && g.seen_ns)
            lat.push_back(static_cast<double>(g.seen_ns - g.ns)); // ring -> the event that covered it
        if (g.f == ring::delivered) {
            ++r.delivered;
        } else if (g.f == ring::coalesced) {
            ++r.coalesced;
        } else {
            ++r.dropped;
        }
    }
    if (!lat.empty()) {
        std::sort(lat.begin(), lat.end());
        r.has_latency = true;
        r.latency_min_ns = lat.front();
        r.latency_max_ns = lat.back();
        r.latency_median_ns = lat[lat.size() / 2];
    }
    r.error = !sh.fw_error.empty() ? "firmware: " + sh.fw_error : !sh.host_error.empty() ? "host: " + sh.host_error
              : !finished                                         ? "the host did not finish in time"
                                                                  : "";
    if (r.dropped || !r.error.empty()) {
        r.reasons = explain(p, s.root_port ? *s.root_port : p.host().get_params().root_port);
        if (r.dropped && r.reasons.empty())
            r.reasons.push_back("no model recorded a drop: the write reached its target but no handler ran "
                                "(interrupt masked or not requested?)");
    }
    r.ok = r.error.empty() && r.rung > 0 && r.dropped == 0;
    return r;
}

// ---- JSON --------------------------------------------------------------------------------------------------

std::string to_json(const scenario_result& r, bool with_logs) {
    nlohmann::ordered_json j;
    j["platform"] = r.platform;
    j["function"] = r.function;
    j["backend"] = r.backend;
    j["status"] = r.ok ? "ok" : "failed";
    j["interrupt_driven"] = r.interrupt_driven;
    j["doorbells"] = {{"rung", r.rung}, {"delivered", r.delivered}, {"coalesced", r.coalesced}, {"dropped", r.dropped}};
    if (!r.error.empty())
        j["error"] = r.error;
    if (!r.reasons.empty() || !r.error.empty()) {
        std::string reason = r.error;
        for (const auto& s : r.reasons)
            reason += (reason.empty() ? "" : "; ") + s;
        j["reason"] = reason;
    }
    if (!r.doorbells.empty()) {
        if (r.function == "test")
            j["db"] = {{"bar", r.doorbells[0].bar}, {"offset", r.doorbells[0].offset}, {"data", r.doorbells[0].data}};
        auto& where = j["where"] = nlohmann::ordered_json::array();
        for (const auto& d : r.doorbells)
            where.push_back({{"bar", d.bar}, {"offset", d.offset}, {"data", d.data}});
    }
    if (r.has_latency)
        j["latency_ns"] = {{"min", r.latency_min_ns}, {"median", r.latency_median_ns}, {"max", r.latency_max_ns}};
    j["backend_reasons"] = r.backend_reasons;
    j["simulated_us"] = r.simulated_us;
    if (with_logs)
        j["firmware_log"] = r.firmware_log;
    return j.dump(2);
}

scenario_result from_json(const std::string& text) {
    scenario_result r;
    const auto j = nlohmann::json::parse(text);
    r.platform = j.value("platform", "");
    r.function = j.value("function", "");
    r.backend = j.value("backend", "none");
    r.ok = j.value("status", "failed") == "ok";
    r.interrupt_driven = j.value("interrupt_driven", false);
    const auto& d = j.at("doorbells");
    r.rung = d.value("rung", 0u);
    r.delivered = d.value("delivered", 0u);
    r.coalesced = d.value("coalesced", 0u);
    r.dropped = d.value("dropped", 0u);
    r.error = j.value("error", "");
    if (j.contains("reason") && j["reason"] != r.error)
        r.reasons.push_back(j["reason"].get<std::string>());
    if (j.contains("where"))
        for (const auto& w : j["where"])
            r.doorbells.push_back({w.value("bar", -1), w.value("offset", std::uint64_t{0}), w.value("data", 0u)});
    if (j.contains("latency_ns")) {
        r.has_latency = true;
        r.latency_min_ns = j["latency_ns"].value("min", 0.0);
        r.latency_median_ns = j["latency_ns"].value("median", 0.0);
        r.latency_max_ns = j["latency_ns"].value("max", 0.0);
    }
    if (j.contains("backend_reasons"))
        r.backend_reasons = j["backend_reasons"].get<std::vector<std::string>>();
    r.simulated_us = j.value("simulated_us", 0.0);
    return r;
}

namespace {

/// Runs `body` in a forked child (a fresh SystemC kernel: one elaboration per process) and returns what it
/// produced (empty if the child died before it could write it) and the child's wait status. false: no child.
bool in_child(const std::function<std::string()>& body, std::string& text, int& status) {
    int fds[2];
    if (pipe(fds) != 0)
        return false;
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return false;
    }
    if (pid == 0) {
        close(fds[0]);
        const std::string out = body();
        std::size_t done = 0;
        while (done < out.size()) {
            const ssize_t n = write(fds[1], out.data() + done, out.size() - done);
            if (n <= 0)
                break;
            done += static_cast<std::size_t>(n);
        }
        close(fds[1]);
        _exit(0);
    }
    close(fds[1]);
    text.clear();
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0)
        text.append(buf, static_cast<std::size_t>(n));
    close(fds[0]);
    status = 0;
    waitpid(pid, &status, 0);
    return true;
}

} // namespace

scenario_result run_isolated(const scenario& s) {
    auto failed = [&s](const std::string& why) {
        scenario_result r;
        r.platform = s.platform;
        r.function = to_string(s.function);
        r.error = why;
        return r;
    };
    std::string text;
    int status = 0;
    if (!in_child(
            [&] {
                try {
                    return to_json(run_scenario(s));
                } catch (const std::exception& e) {
                    return to_json(failed(e.what()));
                }
            },
            text, status))
        return failed("pipe() or fork() failed");
    if (text.empty()) {
        scenario_result r = failed("the run crashed (status " + std::to_string(status) + ")");
        r.crashed = true;
        return r;
    }
    return from_json(text);
}

void check_isolated(const scenario& s) {
    std::string text;
    int status = 0;
    if (!in_child(
            [&]() -> std::string {
                try {
                    platform p("platform", options_of(s));
                } catch (const config_error& e) {
                    return nlohmann::json{{"file", e.file()}, {"node", e.node()}, {"property", e.property()},
                                          {"problem", e.problem()}}
                        .dump();
                } catch (...) {
                    // Not a description error: the run reports it.
                }
                return "{}";
            },
            text, status))
        return; // cannot check ahead: the run reports the error
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_object() && j.contains("problem"))
        throw config_error(j.value("file", ""), j.value("node", ""), j.value("property", ""), j.value("problem", ""));
}

} // namespace dbvp::platform
