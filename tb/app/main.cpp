// dbvp — the command.
//
//   dbvp run     one doorbell scenario on a platform: an endpoint function (test, vntb, nvme) and its host driver,
//                the doorbells rung, every ring accounted for (docs/user-guide.md, docs/json.md)
//   dbvp matrix  every preset x every function with the default backend choice
//   dbvp demo    the BAR traffic demo (host -> BAR0 -> endpoint RAM, MSI back)
//   dbvp sweep   vary properties over lists or ranges, one result row per point (CSV or JSON)
//   dbvp list    presets and their properties
// run also takes --trace FILE (Chrome/Perfetto trace events) and --vcd FILE (interrupt lines, iATU hits).
// run, matrix and sweep take --html FILE: also write the results as one self-contained page (report_html.h).
// Exit status: 0 when every doorbell behaved as expected (delivered or coalesced), 1 when not, 2 for a user
// mistake (bad preset, property, flag).
#include "dbvp/fw/bar_demo.h"
#include "dbvp/fw/fdt.h"
#include "dbvp/host/bar_demo.h"
#include "dbvp/platform/platform.h"
#include "dbvp/core/trace.h"
#include "dbvp/platform/report_html.h"
#include "dbvp/platform/scenario.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <unistd.h>

namespace {

using namespace dbvp;

/// Firmware console and host log, merged in time order (both lines start with "[<time> us]").
void print_timeline(const std::vector<std::string>& fw, const std::vector<std::string>& host) {
    auto stamp = [](const std::string& l) { return std::strtod(l.c_str() + 1, nullptr); };
    std::size_t i = 0, j = 0;
    while (i < fw.size() || j < host.size()) {
        const bool take_fw = j == host.size() || (i < fw.size() && stamp(fw[i]) <= stamp(host[j]));
        std::printf("  %-4s %s\n", take_fw ? "fw" : "host", take_fw ? fw[i++].c_str() : host[j++].c_str());
    }
}

int bar_demo(const std::string& platform_name, const std::vector<std::string>& overrides, std::uint64_t seed,
         std::uint32_t bytes, bool quiet) {
    platform::platform::options opt;
    opt.platform = platform_name;
    opt.overrides = overrides;
    platform::platform p("platform", opt);
    const host::enum_config cfg = p.enumeration_config();
    demo::host_report report;
    p.set_firmware(demo::bar_demo_firmware);
    p.set_host_software([&](host::hal& h) { report = demo::run_host_demo(h, cfg, bytes, seed); });

    std::printf("dbvp: platform %s (%s)\n", platform_name.c_str(), p.file().c_str());
    std::printf("link: Gen%u x%u; iATU: %u inbound / %u outbound windows, CX_ATU_MIN_REGION_SIZE %llu KiB\n",
                p.link().get_params().generation, p.link().get_params().width, p.ep().get_params().num_ib_windows,
                p.ep().get_params().num_ob_windows,
                static_cast<unsigned long long>(p.ep().get_params().min_region_size >> 10));
    if (!quiet)
        std::printf("endpoint SoC memory map:\n%s", p.memory_map().c_str());
    const bool finished = p.run(sc_core::sc_time(1, sc_core::SC_SEC));
    if (!quiet)
        print_timeline(p.cpu().console(), report.log);
    for (const auto& i : p.ep().incidents())
        std::printf("  endpoint incident: %s at 0x%llx (requester %02x:%02x.%x)\n",
                    pcie::dwc_ep::to_string(i.kind), static_cast<unsigned long long>(i.address),
                    bdf_bus(i.requester), bdf_dev(i.requester), bdf_fn(i.requester));
    const bool ok = finished && report.ok;
    std::printf("result: %s — %u bytes through BAR0, readback %s, firmware status %u, MSI %s (%lld ns after the "
                "command), simulated %.3f us\n",
                ok ? "ok" : "FAILED", report.pattern_bytes, report.mismatches ? "MISMATCH" : "ok", report.status,
                report.msi_received ? "received" : "MISSING", static_cast<long long>(report.msi_latency_ns),
                sc_core::sc_time_stamp().to_seconds() * 1e6);
    if (!finished)
        std::printf("the host software did not finish within 1 s of simulated time\n");
    return ok ? 0 : 1;
}

std::string where_text(const platform::scenario_result& r) {
    if (r.doorbells.empty())
        return "-";
    const auto& d = r.doorbells[0];
    char b[64];
    std::snprintf(b, sizeof b, "BAR%d+0x%llx", d.bar, static_cast<unsigned long long>(d.offset));
    std::string s = b;
    if (r.doorbells.size() > 1)
        s += " (+" + std::to_string(r.doorbells.size() - 1) + ")";
    return s;
}

void print_summary(const platform::scenario_result& r, bool logs) {
    std::printf("dbvp: %s on %s: backend %s (%s)\n", r.function.c_str(), r.platform.c_str(), r.backend.c_str(),
                r.interrupt_driven ? "interrupt-driven" : "polled");
    for (const auto& w : r.backend_reasons)
        std::printf("  skipped: %s\n", w.c_str());
    for (std::size_t i = 0; i < r.doorbells.size(); ++i)
        std::printf("  doorbell %zu: BAR%d + 0x%llx, data 0x%x\n", i, r.doorbells[i].bar,
                    static_cast<unsigned long long>(r.doorbells[i].offset), r.doorbells[i].data);
    std::printf("  rings: %u rung, %u delivered, %u coalesced, %u dropped\n", r.rung, r.delivered, r.coalesced,
                r.dropped);
    if (r.has_latency)
        std::printf("  latency: min %.0f ns, median %.0f ns, max %.0f ns\n", r.latency_min_ns, r.latency_median_ns,
                    r.latency_max_ns);
    if (!r.error.empty())
        std::printf("  error: %s\n", r.error.c_str());
    for (const auto& w : r.reasons)
        std::printf("  why: %s\n", w.c_str());
    if (logs)
        for (const auto& l : r.firmware_log)
            std::printf("  fw %s\n", l.c_str());
    std::printf("result: %s (simulated %.3f us)\n", r.ok ? "ok" : "FAILED", r.simulated_us);
}

/// BB:DD.F in hex (bus and device 1 or 2 digits, function 1), nothing before or after. (sscanf's %x would take
/// "0x" as a number: "00:01.0x" was a BDF.)
bool parse_bdf(const std::string& s, std::uint16_t& out) {
    std::size_t i = 0;
    auto field = [&](std::size_t max_digits, unsigned& v) {
        std::size_t n = 0;
        v = 0;
        for (; i < s.size() && n < max_digits && std::isxdigit(static_cast<unsigned char>(s[i])); ++i, ++n)
            v = v * 16 + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(s[i]))
                                                   ? s[i] - '0'
                                                   : std::tolower(static_cast<unsigned char>(s[i])) - 'a' + 10);
        return n > 0;
    };
    auto sep = [&](char c) { return i < s.size() && s[i++] == c; };
    unsigned b = 0, d = 0, f = 0;
    if (!field(2, b) || !sep(':') || !field(2, d) || !sep('.') || !field(1, f) || i != s.size() || d > 31 || f > 7)
        return false;
    out = make_bdf(b, d, f);
    return true;
}

/// A whole decimal or 0x-hex number of 64 bits (no sign, nothing after it).
bool parse_u64(const std::string& s, unsigned long long& v) {
    if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0])))
        return false;
    char* end = nullptr;
    errno = 0;
    v = std::strtoull(s.c_str(), &end, 0);
    return errno == 0 && end && *end == '\0';
}

/// One swept property: its path and the values it takes.
struct axis {
    std::string property;
    std::vector<std::string> values;
};

/// "path=v1,v2,..." or "path=lo..hi" / "path=lo..hi:+step" / "path=lo..hi:*factor" (integers, 0x allowed).
/// The sweep's next point: `at` holds one value index per axis, the last axis varying fastest. false after the
/// last point (then `at` is back at the first).
bool next_point(const std::vector<axis>& axes, std::vector<std::size_t>& at) {
    for (std::size_t i = axes.size(); i-- > 0;) {
        if (++at[i] < axes[i].values.size())
            return true;
        at[i] = 0;
    }
    return false;
}

bool parse_axis(const std::string& spec, axis& out, std::string& error) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
        error = "--vary " + spec + ": expected node/property=values";
        return false;
    }
    out.property = spec.substr(0, eq);
    const std::string v = spec.substr(eq + 1);
    const auto dots = v.find("..");
    if (dots == std::string::npos) {
        std::size_t start = 0;
        while (start <= v.size()) {
            const auto comma = v.find(',', start);
            const std::string item = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (!item.empty())
                out.values.push_back(item);
            if (comma == std::string::npos)
                break;
            start = comma + 1;
        }
    } else {
        const std::string syntax = "--vary " + spec + ": a range is lo..hi, lo..hi:+step or lo..hi:*factor";
        const std::string rest = v.substr(dots + 2);
        const auto colon = rest.find(':');
        const char op = colon == std::string::npos ? '+' : colon + 1 < rest.size() ? rest[colon + 1] : '\0';
        if (op != '+' && op != '*') {
            error = syntax;
            return false;
        }
        const std::string lo_text = v.substr(0, dots), hi_text = rest.substr(0, colon);
        const std::string step_text = colon == std::string::npos ? "1" : rest.substr(colon + 2);
        unsigned long long lo = 0, hi = 0, step = 0;
        for (const auto& [text, value] :
             {std::pair<std::string, unsigned long long*>{lo_text, &lo}, {hi_text, &hi}, {step_text, &step}})
            if (!parse_u64(text, *value)) {
                error = syntax + " of numbers (decimal or 0x hex); \"" + text + "\" is not one";
                return false;
            }
        if (step == 0 || (op == '*' && (step < 2 || lo == 0)) || hi < lo) {
            error = syntax;
            return false;
        }
        for (unsigned long long x = lo; out.values.size() < 10000;) {
            char b[32];
            std::snprintf(b, sizeof b, "0x%llx", x);
            out.values.push_back(b);
            if (op == '+' ? hi - x < step : x > hi / step) // the next value is past hi (without wrapping)
                break;
            x = op == '+' ? x + step : x * step;
        }
    }
    if (out.values.empty()) {
        error = "--vary " + spec + ": no values";
        return false;
    }
    return true;
}

std::string csv_field(std::string s) {
    if (s.find_first_of(",\"\n") == std::string::npos)
        return s;
    std::string q = "\"";
    for (char c : s)
        q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

/// --html FILE: opened (and truncated) before the runs, so that an unwritable file is reported before minutes of
/// simulation; written when they are done. A failure either way is a user mistake (exit status 2).
bool open_html(const std::string& path, std::ofstream& out) {
    out.open(path, std::ios::out | std::ios::trunc | std::ios::binary);
    if (out)
        return true;
    std::fprintf(stderr, "dbvp: --html %s: cannot write the file: %s\n", path.c_str(), std::strerror(errno));
    return false;
}

bool write_html(const std::string& path, std::ofstream& out, const platform::html_report& report) {
    out << platform::render_html(report);
    out.close();
    if (out)
        return true;
    std::fprintf(stderr, "dbvp: --html %s: writing the file failed\n", path.c_str());
    return false;
}

void list_presets() {
    for (const auto& name : platform::list_presets()) {
        const auto dt = platform::device_tree::load(platform::resolve_platform(name));
        fw::fdt_view v(dt.blob());
        std::string props;
        if (auto ep = v.find_compatible("snps,dw-pcie-ep")) {
            const int n = ep.value();
            char b[160];
            std::snprintf(b, sizeof b, "align %lluK, %u ib / %u ob windows",
                          static_cast<unsigned long long>(v.u32(n, "dbvp,atu-min-region-size", 0x10000) >> 10),
                          v.u32(n, "num-ib-windows", 16), v.u32(n, "num-ob-windows", 16));
            props = b;
            props += v.has(n, "msi-map") || v.has(n, "msi-parent") ? ", MSI parent (ITS)" : ", no MSI parent";
            props += v.has(n, "iommu-map") ? ", iommu-map" : "";
            props += v.reg_by_name(n, "dma") ? ", eDMA" : "";
            for (unsigned bar = 0; bar < 6; ++bar) {
                const auto c = v.find_path((v.node_name(n) + "/bar" + std::to_string(bar)).c_str());
                if (!c)
                    continue;
                props += ", BAR" + std::to_string(bar) + " " + v.str(c.value(), "dbvp,type", "programmable");
                const std::uint64_t size = v.u64(c.value(), "dbvp,size", 0);
                if (size)
                    props += "=" + std::to_string(size);
            }
            if (v.has(n, "dbvp,quirk-reserved-bar-alias"))
                props += ", RK3588 alias quirk";
        }
        if (v.find_compatible("arm,smmu-v3"))
            props += ", SMMUv3";
        if (v.find_compatible("dbvp,imx95-pcie-lut"))
            props += ", i.MX95 LUT";
        std::printf("%-12s %s\n", name.c_str(), props.c_str());
    }
}

} // namespace

int sc_main(int argc, char* argv[]) {
    // "Simulation stopped by user" when the host software finished is expected, not news.
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    CLI::App app{"dbvp — virtual platform of a DesignWare PCIe endpoint SoC: can its doorbells be interrupt-driven?"};
    app.require_subcommand(1);

    std::string platform_name = "generic";
    std::vector<std::string> overrides;
    std::uint64_t seed = 1;
    bool json = false, logs = false;
    std::string html_file;
    const char* html_help = "also write the results as one self-contained HTML page (tables, histograms, heat maps)";
    // --seed: checked as text before CLI11 converts it (which wraps "-1" to 2^64 - 1 and takes 2^64).
    const CLI::Validator seed_check(
        [](std::string& v) -> std::string {
            unsigned long long x = 0;
            return parse_u64(v, x) ? std::string() : v + " is not a number from 0 to 18446744073709551615";
        },
        "0..2^64-1");

    auto* run_cmd = app.add_subcommand("run", "one doorbell scenario: boot, run the function and its host, ring");
    std::string function = "test", backend = "auto", root_port;
    unsigned doorbells = 4, rings = 8;
    run_cmd->add_option("--platform,-p", platform_name, "preset name or .dts/.dtb file")->capture_default_str();
    run_cmd->add_option("--function,-f", function, "endpoint function: test, vntb or nvme")
        ->check(CLI::IsMember({"test", "vntb", "nvme"}))
        ->capture_default_str();
    run_cmd->add_option("--backend,-b", backend, "doorbell backend: auto, msi, embedded or poll")
        ->check(CLI::IsMember({"auto", "msi", "embedded", "poll"}))
        ->capture_default_str();
    run_cmd->add_option("--doorbells,-n", doorbells, "doorbells (vntb: 1..32; nvme: 2 per queue)")
        ->check(CLI::Range(1u, 128u))
        ->capture_default_str();
    run_cmd->add_option("--rings,-r", rings, "host writes in total")->check(CLI::Range(1u, 10000u))->capture_default_str();
    auto* root_port_opt = run_cmd->add_option("--root-port", root_port, "the host's root port BDF, BB:DD.F (hex)");
    run_cmd->add_option("--seed", seed, "seed of the ring order and values")->check(seed_check)->capture_default_str();
    run_cmd->add_option("--set", overrides, "override a property: node/path/property=value (repeatable)");
    run_cmd->add_flag("--json", json, "print the result as JSON (docs/json.md)");
    run_cmd->add_flag("--log", logs, "print the firmware log too");
    run_cmd->add_option("--html", html_file, html_help)->type_name("FILE");
    std::string trace_file, vcd_file;
    run_cmd->add_option("--trace", trace_file, "write a Chrome/Perfetto trace (a track per block, docs/tracing.md)")
        ->type_name("FILE");
    run_cmd->add_option("--vcd", vcd_file, "write interrupt lines and iATU hits as VCD (GTKWave)")->type_name("FILE");

    auto* matrix_cmd = app.add_subcommand("matrix", "every preset x every function, default backend choice");
    matrix_cmd->add_flag("--json", json, "print the matrix as a JSON array of run results");
    matrix_cmd->add_option("--set", overrides, "override a property on every preset (repeatable)");
    matrix_cmd->add_option("--html", html_file, html_help)->type_name("FILE");

    auto* sweep_cmd = app.add_subcommand("sweep", "vary properties over lists or ranges; one result row per point");
    std::vector<std::string> vary, sweep_functions{"test"};
    bool csv = false;
    sweep_cmd->add_option("--platform,-p", platform_name, "preset name or .dts/.dtb file")->capture_default_str();
    sweep_cmd->add_option("--vary", vary,
                          "node/property=v1,v2,... or =lo..hi[:+step|:*factor] (repeatable: the cross product)")
        ->required();
    sweep_cmd->add_option("--function,-f", sweep_functions, "functions to run at every point (test, vntb, nvme)")
        ->check(CLI::IsMember({"test", "vntb", "nvme"}));
    sweep_cmd->add_option("--set", overrides, "a fixed override for every point (repeatable)");
    sweep_cmd->add_flag("--json", json, "a JSON array (each run result plus its point)");
    sweep_cmd->add_flag("--csv", csv, "CSV (the default)");
    sweep_cmd->add_option("--html", html_file, html_help)->type_name("FILE");

    auto* demo_cmd = app.add_subcommand("demo", "the BAR traffic demo: host -> BAR0 -> endpoint RAM, MSI back");
    std::uint32_t bytes = 4096;
    bool quiet = false;
    demo_cmd->add_option("--platform,-p", platform_name, "preset name or .dts/.dtb file")->capture_default_str();
    demo_cmd->add_option("--set", overrides, "override a property: node/path/property=value (repeatable)");
    demo_cmd->add_option("--seed", seed, "seed of the data pattern")->check(seed_check)->capture_default_str();
    demo_cmd->add_option("--bytes", bytes, "bytes moved through BAR0 (multiple of 4, at most 65280)")
        ->check(CLI::Range(4u, 65280u))
        ->capture_default_str();
    demo_cmd->add_flag("--quiet,-q", quiet, "print only the result line");

    auto* list_cmd = app.add_subcommand("list", "list the platform presets and their properties");

    // A first word that is no option and no subcommand: say which (CLI11 would only say one is required).
    if (argc > 1 && argv[1][0] != '-') {
        std::string known;
        bool found = false;
        for (const auto* sub : app.get_subcommands({})) {
            found = found || sub->get_name() == argv[1];
            known += (known.empty() ? "" : ", ") + sub->get_name();
        }
        if (!found) {
            std::fprintf(stderr, "dbvp: unknown subcommand \"%s\" (the subcommands: %s; see dbvp --help)\n", argv[1],
                         known.c_str());
            return 2;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) // --help and the like
            return app.exit(e);
        std::fprintf(stderr, "dbvp: %s\nRun with --help for more information.\n", e.what());
        return 2;
    }
    try {
        if (*list_cmd) {
            list_presets();
            return 0;
        }
        if (*demo_cmd) {
            if (bytes % 4) {
                std::fprintf(stderr, "dbvp: --bytes %u is not a multiple of 4\n", bytes);
                return 2;
            }
            return bar_demo(platform_name, overrides, seed, bytes, quiet);
        }
        if (*run_cmd) {
            platform::scenario s;
            s.platform = platform_name;
            s.overrides = overrides;
            s.function = *platform::function_from(function);
            if (backend == "msi")
                s.backend = fw::doorbell_backend::msi;
            else if (backend == "embedded")
                s.backend = fw::doorbell_backend::embedded;
            else if (backend == "poll")
                s.backend = fw::doorbell_backend::poll;
            s.doorbells = doorbells;
            s.rings = rings;
            s.seed = seed;
            if (root_port_opt->count() > 0) { // given, even if empty
                std::uint16_t bdf = 0;
                if (!parse_bdf(root_port, bdf)) {
                    std::fprintf(stderr, "dbvp: --root-port %s is not a BDF like 00:01.0\n",
                                 root_port.empty() ? "\"\"" : root_port.c_str());
                    return 2;
                }
                s.root_port = bdf;
            }
            platform::resolve_platform(s.platform); // a bad preset is a user mistake, reported before the run
            std::ofstream html;
            if (!html_file.empty() && !open_html(html_file, html))
                return 2;
            if (!trace_file.empty() || !vcd_file.empty()) {
                try {
                    trace::start(trace_file, vcd_file);
                } catch (const std::runtime_error& e) {
                    std::fprintf(stderr, "dbvp: %s\n", e.what());
                    return 2;
                }
            }
            const auto r = platform::run_scenario(s);
            if (trace::on())
                trace::finish();
            if (json)
                std::printf("%s\n", platform::to_json(r, logs).c_str());
            else
                print_summary(r, logs);
            if (!html_file.empty()) {
                std::fflush(stdout);
                platform::html_report page;
                page.title = "dbvp run: " + function + " on " + platform_name;
                page.notes.push_back("backend " + backend + ", " +
                                     (function == "test" ? "" : std::to_string(doorbells) + " doorbells, ") +
                                     std::to_string(rings) + " rings, seed " + std::to_string(seed) +
                                     (root_port.empty() ? "" : ", root port " + root_port));
                for (const auto& o : overrides)
                    page.notes.push_back("--set " + o);
                page.runs.push_back(r);
                if (!write_html(html_file, html, page))
                    return 2;
            }
            return r.ok ? 0 : 1;
        }
        if (*sweep_cmd) {
            std::vector<axis> axes;
            for (const auto& spec : vary) {
                axis a;
                std::string error;
                if (!parse_axis(spec, a, error)) {
                    std::fprintf(stderr, "dbvp: %s\n", error.c_str());
                    return 2;
                }
                axes.push_back(a);
            }
            platform::resolve_platform(platform_name);
            // Every point's description (the platform, --set, the point's --vary values) is checked before any
            // point runs: a value the description rejects is a user mistake (exit 2), not a failed row.
            {
                std::vector<std::size_t> at(axes.size(), 0);
                for (bool more = true; more;) {
                    platform::scenario sc;
                    sc.platform = platform_name;
                    sc.overrides = overrides;
                    for (std::size_t i = 0; i < axes.size(); ++i)
                        sc.overrides.push_back(axes[i].property + "=" + axes[i].values[at[i]]);
                    try {
                        platform::check_isolated(sc);
                    } catch (const platform::config_error&) {
                        std::string point;
                        for (std::size_t i = 0; i < axes.size(); ++i)
                            point += (i ? ", " : "") + axes[i].property + "=" + axes[i].values[at[i]];
                        std::fprintf(stderr, "dbvp sweep: the description is rejected at the point %s:\n",
                                     point.c_str());
                        throw;
                    }
                    more = next_point(axes, at);
                }
            }
            std::ofstream html;
            if (!html_file.empty() && !open_html(html_file, html))
                return 2;
            platform::html_report page;
            std::size_t points = sweep_functions.size();
            for (const auto& a : axes)
                points *= a.values.size();
            if (!json) {
                std::printf("function");
                for (const auto& a : axes)
                    std::printf(",%s", csv_field(a.property).c_str());
                std::printf(",backend,interrupt_driven,status,rung,delivered,coalesced,dropped,latency_median_ns,"
                            "reason\n");
            } else {
                std::printf("[\n");
            }
            std::vector<std::size_t> at(axes.size(), 0);
            std::size_t done = 0;
            bool all_ran = true;
            for (bool more = true; more;) {
                for (const auto& f : sweep_functions) {
                    platform::scenario sc;
                    sc.platform = platform_name;
                    sc.overrides = overrides;
                    for (std::size_t i = 0; i < axes.size(); ++i)
                        sc.overrides.push_back(axes[i].property + "=" + axes[i].values[at[i]]);
                    sc.function = *platform::function_from(f);
                    const auto r = platform::run_isolated(sc);
                    all_ran = all_ran && !r.crashed;
                    ++done;
                    if (!html_file.empty()) {
                        page.runs.push_back(r);
                        page.points.emplace_back();
                        for (std::size_t i = 0; i < axes.size(); ++i)
                            page.points.back().push_back(axes[i].values[at[i]]);
                    }
                    std::string why = !r.error.empty()             ? r.error
                                      : !r.reasons.empty()         ? r.reasons[0]
                                      : !r.backend_reasons.empty() ? r.backend_reasons[0]
                                                                   : "";
                    if (json) {
                        std::string point = "{";
                        for (std::size_t i = 0; i < axes.size(); ++i)
                            point += (i ? ", \"" : "\"") + axes[i].property + "\": \"" + axes[i].values[at[i]] + "\"";
                        point += "}";
                        std::string row = platform::to_json(r);
                        row.insert(row.size() - 2, ",\n  \"point\": " + point);
                        std::printf("%s%s\n", row.c_str(), done < points ? "," : "");
                    } else {
                        std::printf("%s", f.c_str());
                        for (std::size_t i = 0; i < axes.size(); ++i)
                            std::printf(",%s", axes[i].values[at[i]].c_str());
                        std::printf(",%s,%s,%s,%u,%u,%u,%u,%.0f,%s\n", r.backend.c_str(),
                                    r.interrupt_driven ? "yes" : "no", r.ok ? "ok" : "failed", r.rung, r.delivered,
                                    r.coalesced, r.dropped, r.has_latency ? r.latency_median_ns : 0.0,
                                    csv_field(why).c_str());
                    }
                    std::fflush(stdout);
                    if (points > 4)
                        std::fprintf(stderr, "dbvp sweep: %zu/%zu points\n", done, points);
                }
                more = next_point(axes, at);
            }
            if (json)
                std::printf("]\n");
            if (!html_file.empty()) {
                std::fflush(stdout);
                page.title = "dbvp sweep on " + platform_name;
                for (const auto& spec : vary)
                    page.notes.push_back("--vary " + spec);
                std::string fs;
                for (const auto& f : sweep_functions)
                    fs += (fs.empty() ? "" : ", ") + f;
                page.notes.push_back("functions: " + fs);
                for (const auto& o : overrides)
                    page.notes.push_back("--set " + o);
                for (const auto& a : axes)
                    page.axes.push_back({a.property, a.values});
                if (!write_html(html_file, html, page))
                    return 2;
            }
            return all_ran ? 0 : 1;
        }
        if (*matrix_cmd) {
            const char* functions[] = {"test", "vntb", "nvme"};
            // --set applies to every preset: each description is checked with it before anything runs. A value or
            // property a preset rejects is a user mistake (exit 2, not a column of failed rows), and so is a node no
            // preset has; a node only some presets have leaves the others' rows FAILED with the reason (the matrix
            // then shows where the override applies).
            {
                const auto presets = platform::list_presets();
                std::optional<platform::config_error> lacks;
                std::size_t lacking = 0;
                for (const auto& preset : presets) {
                    platform::scenario s;
                    s.platform = preset;
                    s.overrides = overrides;
                    try {
                        platform::check_isolated(s);
                    } catch (const platform::config_error& e) {
                        if (e.problem() != platform::config_error::NO_SUCH_NODE)
                            throw;
                        if (!lacks)
                            lacks = e;
                        ++lacking;
                    }
                }
                if (lacks && lacking == presets.size())
                    throw *lacks;
            }
            std::ofstream html;
            if (!html_file.empty() && !open_html(html_file, html))
                return 2;
            std::vector<platform::scenario_result> rows;
            for (const auto& preset : platform::list_presets())
                for (const char* f : functions) {
                    platform::scenario s;
                    s.platform = preset;
                    s.overrides = overrides;
                    s.function = *platform::function_from(f);
                    rows.push_back(platform::run_isolated(s));
                    if (!json && isatty(2))
                        std::fprintf(stderr, "\rdbvp matrix: %zu runs", rows.size());
                }
            if (!json && isatty(2))
                std::fprintf(stderr, "\n");
            bool all_ran = true;
            if (json) {
                std::printf("[\n");
                for (std::size_t i = 0; i < rows.size(); ++i)
                    std::printf("%s%s\n", platform::to_json(rows[i]).c_str(), i + 1 < rows.size() ? "," : "");
                std::printf("]\n");
            } else {
                std::printf("%-12s %-5s %-9s %-4s %-7s %-16s %-12s %s\n", "platform", "func", "backend", "irq",
                            "status", "doorbell", "latency", "why (first reason)");
                for (const auto& r : rows) {
                    char lat[32] = "-";
                    if (r.has_latency)
                        std::snprintf(lat, sizeof lat, "%.0f ns", r.latency_median_ns);
                    std::string why = !r.error.empty()           ? r.error
                                      : !r.reasons.empty()       ? r.reasons[0]
                                      : !r.backend_reasons.empty() ? r.backend_reasons[0]
                                                                 : "";
                    std::printf("%-12s %-5s %-9s %-4s %-7s %-16s %-12s %s\n", r.platform.c_str(), r.function.c_str(),
                                r.backend.c_str(), r.interrupt_driven ? "yes" : "no", r.ok ? "ok" : "FAILED",
                                where_text(r).c_str(), lat, why.c_str());
                }
            }
            for (const auto& r : rows)
                all_ran = all_ran && !r.crashed;
            if (!html_file.empty()) {
                std::fflush(stdout);
                platform::html_report page;
                page.title = "dbvp matrix";
                page.notes.push_back("every preset x test, vntb, nvme; the allocator's default backend choice");
                for (const auto& o : overrides)
                    page.notes.push_back("--set " + o);
                page.runs = rows;
                if (!write_html(html_file, html, page))
                    return 2;
            }
            return all_ran ? 0 : 1;
        }
    } catch (const dbvp::platform::config_error& e) {
        std::fprintf(stderr, "dbvp: %s\n", e.what());
        return 2;
    }
    return 0;
}

int main(int argc, char* argv[]) {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    return sc_core::sc_elab_and_sim(argc, argv);
}
