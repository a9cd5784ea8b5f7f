// dbvp platform — the pictures: one self-contained HTML page (inline CSS and SVG, no script, nothing fetched)
// for `dbvp run|matrix|sweep --html FILE` (docs/user-guide.md, "Pictures").
//
// The page holds:
//   * the runs as a table, one row per run (platform, function, the swept values, backend, interrupt-driven,
//     status, rings, doorbell BAR+offset, median latency, first reason), the row coloured by its outcome:
//     interrupt-driven ok / polled ok / failed;
//   * for a single run, its summary;
//   * one latency histogram per backend (`<svg class="chart histogram">`) over the runs' latency values (each
//     run gives its min, median and max, stacked in the bars), all on one x axis so backends compare; the axis is
//     logarithmic when the values span a decade or more (polling ~ms, MSI ~1 us);
//   * with two or more swept axes, one feasibility heat map per function (`<svg class="chart heatmap">`) over
//     the first two swept properties: cell colour the outcome, cell text the backend (with more axes, a cell
//     holds several runs: its colour is the worst outcome, its text every backend seen).
// `<body data-charts="N" data-runs="M">`: N charts drawn (each `class="chart"`), M runs in the table.
// All text is escaped; the same inputs give the same bytes.
#pragma once

#include "dbvp/platform/scenario.h"

#include <string>
#include <vector>

namespace dbvp::platform {

/// One swept property and the values it takes, in sweep order.
struct sweep_axis {
    std::string property;
    std::vector<std::string> values;
};

struct html_report {
    std::string title;                            // the page's heading and <title>
    std::vector<std::string> notes;               // lines under the heading (what was run, fixed overrides)
    std::vector<scenario_result> runs;
    std::vector<sweep_axis> axes;                 // empty unless a sweep
    std::vector<std::vector<std::string>> points; // per run (same order as runs): the value of each axis
};

std::string render_html(const html_report& report);

/// The outcome a run is coloured by: "irq-ok" (interrupt-driven, ok), "polled-ok" or "failed".
const char* outcome_class(const scenario_result& r);
/// The first reason shown for a run: the error, else where the first rings died, else why a backend was skipped.
std::string first_reason(const scenario_result& r);
/// Latency in readable units: "953 ns", "1.13 us", "4.93 ms".
std::string format_latency(double ns);
/// "&", "<", ">", '"', "'" as entities; other control characters than tab and newline as spaces.
std::string html_escape(const std::string& text);

} // namespace dbvp::platform
