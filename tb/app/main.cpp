// dbvp — the command. For now: `run` (the BAR traffic demo on a platform) and `list` (presets).
#include "dbvp/fw/bar_demo.h"
#include "dbvp/host/bar_demo.h"
#include "dbvp/platform/platform.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace {

/// Firmware console and host log, merged in time order (both lines start with "[<time> us]").
void print_timeline(const std::vector<std::string>& fw, const std::vector<std::string>& host) {
    auto stamp = [](const std::string& l) { return std::strtod(l.c_str() + 1, nullptr); };
    std::size_t i = 0, j = 0;
    while (i < fw.size() || j < host.size()) {
        const bool take_fw = j == host.size() || (i < fw.size() && stamp(fw[i]) <= stamp(host[j]));
        std::printf("  %-4s %s\n", take_fw ? "fw" : "host", take_fw ? fw[i++].c_str() : host[j++].c_str());
    }
}

int run(const std::string& platform_name, const std::vector<std::string>& overrides, std::uint64_t seed,
        std::uint32_t bytes, bool quiet) {
    using namespace dbvp;
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
                report.msi_received ? "received" : "MISSING",
                static_cast<long long>(report.msi_latency_ns), sc_core::sc_time_stamp().to_seconds() * 1e6);
    if (!finished)
        std::printf("the host software did not finish within 1 s of simulated time\n");
    return ok ? 0 : 1;
}

} // namespace

int sc_main(int argc, char* argv[]) {
    // "Simulation stopped by user" when the host software finished is expected, not news.
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    CLI::App app{"dbvp — virtual platform of a DesignWare PCIe endpoint SoC"};
    app.require_subcommand(1);

    std::string platform_name = "generic";
    std::vector<std::string> overrides;
    std::uint64_t seed = 1;
    std::uint32_t bytes = 4096;
    bool quiet = false;
    auto* run_cmd = app.add_subcommand("run", "boot a platform, run the firmware and the host software");
    run_cmd->add_option("--platform,-p", platform_name, "preset name or .dts/.dtb file")->capture_default_str();
    run_cmd->add_option("--set", overrides, "override a property: node/path/property=value (repeatable)");
    run_cmd->add_option("--seed", seed, "seed of the data pattern")->capture_default_str();
    run_cmd->add_option("--bytes", bytes, "bytes moved through BAR0 (multiple of 4, at most 65280)")
        ->check(CLI::Range(4u, 65280u))
        ->capture_default_str();
    run_cmd->add_flag("--quiet,-q", quiet, "print only the result line");

    auto* list_cmd = app.add_subcommand("list", "list the platform presets");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        if (*list_cmd) {
            for (const auto& n : dbvp::platform::list_presets())
                std::printf("%s\n", n.c_str());
            return 0;
        }
        if (bytes % 4) {
            std::fprintf(stderr, "dbvp: --bytes %u is not a multiple of 4\n", bytes);
            return 2;
        }
        return run(platform_name, overrides, seed, bytes, quiet);
    } catch (const dbvp::platform::config_error& e) {
        std::fprintf(stderr, "dbvp: %s\n", e.what());
        return 2;
    }
}

int main(int argc, char* argv[]) {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    return sc_core::sc_elab_and_sim(argc, argv);
}
