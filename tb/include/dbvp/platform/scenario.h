// dbvp platform — one doorbell scenario, end to end: build a platform, run an endpoint function (the real
// firmware from sw/) and its host driver, ring the doorbells, and account for every ring from what the models
// recorded. This is what `dbvp run` runs and what `dbvp matrix` runs for every preset and function.
//
// Accounting, per ring the host made:
//   delivered  the function saw that very ring (its own interrupt, its own poll slot write, or a shared kick
//              resolved exactly);
//   coalesced  covered by an event that stood for more than one ring (a shared kick that cannot tell doorbells
//              apart, two writes to a poll slot before one scan, a later NVMe value superseding this one);
//   dropped    nothing the function saw covers it; `reasons` says where it died, from the models' records
//              (endpoint incident: no BAR / no iATU region / the RK3588 alias; LUT miss and the StreamID used;
//              SMMU event; ITS drop with DeviceID and EventID), or that the write arrived and no handler ran.
// Latency: host ring -> the function's event that covered it (delivered, or a covering kick / scan; the test
// function: ring -> the MSI the function sends back).
//
// A platform elaborates once per process (SystemC): run_scenario() can run once per process; run_isolated()
// forks a child for it and brings the result back, for commands that run many.
#pragma once

#include "dbvp/fw/doorbell.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dbvp::platform {

enum class function_kind { test, vntb, nvme };
const char* to_string(function_kind f);
std::optional<function_kind> function_from(const std::string& name);

struct scenario {
    std::string platform = "generic";
    std::vector<std::string> overrides;
    function_kind function = function_kind::test;
    std::optional<fw::doorbell_backend> backend; // empty: the allocator's order
    unsigned doorbells = 4;  // vntb: doorbells; nvme: 2 x queues; test: always 1
    unsigned rings = 8;      // host writes in total
    std::optional<std::uint16_t> root_port; // the host's root port BDF (else the description's)
    std::uint64_t seed = 1;  // data values (NVMe queue pointers) and the ring order
    std::uint64_t limit_ms = 3000; // simulated time allowed
};

struct scenario_result {
    std::string platform, function, backend; // backend: "msi" / "embedded" / "poll" / "none"
    bool ok = false;            // every ring delivered or coalesced, the function and host worked
    std::string error;          // bring-up / host failure
    bool crashed = false;       // run_isolated: the child died without a result
    unsigned rung = 0, delivered = 0, coalesced = 0, dropped = 0;
    std::vector<std::string> reasons;         // explain-why, one line per dropped ring (deduplicated, counted)
    std::vector<std::string> backend_reasons; // why the allocator skipped backends
    bool interrupt_driven = false;
    struct location {
        int bar = -1;
        std::uint64_t offset = 0;
        std::uint32_t data = 0;
    };
    std::vector<location> doorbells;          // where each doorbell sits, as the host sees it
    bool has_latency = false;
    double latency_min_ns = 0, latency_median_ns = 0, latency_max_ns = 0;
    double simulated_us = 0;
    std::vector<std::string> firmware_log, host_log;
};

/// Run in this process (once per process).
scenario_result run_scenario(const scenario& s);
/// Run in a child process; the result (without the logs) comes back through a pipe. A crash or a
/// configuration error in the child is a result with ok = false and the message in error.
scenario_result run_isolated(const scenario& s);

/// Build the scenario's platform (its description, overrides and root port) in a child process without running
/// anything: throws the config_error the description raises (file, node, property, problem), as run_scenario()
/// would. For commands that run many points and must reject a bad description before running any.
void check_isolated(const scenario& s);

/// The JSON form (docs/json.md): {platform, function, backend, status, doorbells: {rung, delivered,
/// coalesced, dropped}, reason?, db?: {bar, offset, data}, latency_ns?: {min, median, max}, ...}.
std::string to_json(const scenario_result& r, bool with_logs = false);
scenario_result from_json(const std::string& text);

} // namespace dbvp::platform
