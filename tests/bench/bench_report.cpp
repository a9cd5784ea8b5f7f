// bench_report — the results part of docs/performance.md, regenerated from the Google Benchmark JSON files that
// tests/bench/run_benchmarks.sh writes (issue 8).
//
//   bench_report [--dir DIR] [--doc FILE]      (defaults: docs/bench, docs/performance.md)
//
// Reads DIR/*.json by their stable names (run_benchmarks.sh):
//   doorbell-{msi,embedded,poll}.json        bench_doorbell --backend=..., defaults (32 doorbells, 1 function,
//                                            BAR-match)
//   doorbell-msi-{doorbells,windows,functions}-N.json   bench_doorbell scaling (MSI)
//   blocks.json, cosim.json, run.json        bench_blocks, bench_cosim, bench_run
//   machine.json                             machine facts and how the run was made (the script writes it)
// and replaces the text between the lines `<!-- bench:begin -->` and `<!-- bench:end -->` of FILE with markdown
// tables (when the markers are absent, a section "## Results (regenerated)" holding them goes in before the first
// "## " heading; nothing else in the file changes). Of every benchmark it uses the median aggregate when there is
// one, else the single run (of several plain runs, the one with the median real time); a benchmark that failed
// (SkipWithError) shows its error. It prints a check summary to stdout: measurements against issue 8's targets,
// printed, never asserted.
//
// Exit status: 0; 1 when a JSON file does not parse, no benchmark results were found, or FILE has one marker
// without the other; 2 for a bad command line.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kBegin = "<!-- bench:begin -->";
constexpr const char* kEnd = "<!-- bench:end -->";
constexpr const char* kCommand = "bash tests/bench/run_benchmarks.sh";
constexpr double kMsiTarget = 1e6;    // doorbells per second through the full MSI path
constexpr double kRatioTarget = 10;   // full path at most 10x the bare-logic baseline
constexpr double kGrowthTarget = 1.5; // ns per doorbell at 65,536 doorbells at most 1.5x that at 1
const std::string kFullPathName = "BM_Doorbell/MSI/doorbells:32/functions:1/windows:1";

/// One benchmark's chosen result.
struct result {
    std::string name; // run_name
    json j;           // the chosen entry (median aggregate or plain run)
    bool error = false;
    std::string message;
    bool median = false;
    double num(const char* key) const {
        const auto it = j.find(key);
        return it != j.end() && it->is_number() ? it->get<double>() : NAN;
    }
    double ips() const { return num("items_per_second"); }
    double ns_per_item() const { return 1e9 / ips(); }
};

struct bench_file {
    std::string path;
    std::vector<result> results; // in the order of the file
    const result* find(const std::string& name) const {
        for (const auto& r : results)
            if (r.name == name)
                return &r;
        return nullptr;
    }
};

std::string fmt(const char* f, double v) {
    char b[64];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

/// 3 significant digits with k / M / G: 333k, 1.08M, 47.9k, 512.
std::string si(double v) {
    if (!std::isfinite(v))
        return "-";
    static const char* suffix[] = {"", "k", "M", "G"};
    int k = 0;
    while (std::fabs(v) >= 999.5 && k < 3) {
        v /= 1000;
        ++k;
    }
    return fmt("%.3g", v) + suffix[k];
}

std::string ns(double v) {
    if (!std::isfinite(v))
        return "-";
    return fmt(v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
}

std::string ratio(double v) {
    if (!std::isfinite(v))
        return "-";
    return fmt(v < 10 ? "%.2fx" : v < 100 ? "%.1fx" : "%.0fx", v);
}

std::string plain(double v) {
    if (!std::isfinite(v))
        return "-";
    return fmt(v == std::floor(v) && std::fabs(v) < 1e15 ? "%.0f" : "%.4g", v);
}

/// The results of one Google Benchmark JSON file, one per benchmark (run_name).
bench_file load(const fs::path& p) {
    bench_file f;
    f.path = p.string();
    std::ifstream in(p);
    std::ostringstream text;
    text << in.rdbuf();
    // Google Benchmark writes NaN / Infinity (e.g. the cv of a counter that is 0 in every repetition), which JSON
    // does not have: read them as null (shown as "-").
    static const std::regex non_finite(R"((:\s*)-?(NaN|Infinity)\b)");
    const json j = json::parse(std::regex_replace(text.str(), non_finite, "$1null")); // throws on a bad file
    std::vector<std::string> order;
    std::set<std::string> seen;
    std::map<std::string, std::vector<json>> runs;
    std::map<std::string, json> medians;
    for (const auto& e : j.at("benchmarks")) {
        const std::string name = e.value("run_name", e.value("name", ""));
        if (seen.insert(name).second) // first of its entries (an iteration, or any aggregate: mean, median...)
            order.push_back(name);
        if (e.value("run_type", "iteration") == "aggregate") {
            if (e.value("aggregate_name", "") == "median")
                medians[name] = e;
        } else {
            runs[name].push_back(e);
        }
    }
    for (const auto& name : order) {
        result r;
        r.name = name;
        if (medians.count(name)) {
            r.j = medians[name];
            r.median = true;
        } else {
            auto v = runs[name];
            const auto bad =
                std::find_if(v.begin(), v.end(), [](const json& e) { return e.value("error_occurred", false); });
            if (bad != v.end()) {
                r.error = true;
                r.message = bad->value("error_message", "error");
                r.j = *bad;
            } else if (!v.empty()) {
                std::sort(v.begin(), v.end(), [](const json& a, const json& b) {
                    return a.value("real_time", 0.0) < b.value("real_time", 0.0);
                });
                r.j = v[v.size() / 2];
            }
        }
        f.results.push_back(std::move(r));
    }
    return f;
}

std::string error_cell(const result& r) {
    std::string m = r.message;
    std::replace(m.begin(), m.end(), '|', '/');
    std::replace(m.begin(), m.end(), '\n', ' ');
    return "error: " + m;
}

/// The backend component of "BM_Doorbell/<backend>/...".
std::string component(const std::string& name, std::size_t index) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < index; ++i) {
        start = name.find('/', start);
        if (start == std::string::npos)
            return name;
        ++start;
    }
    return name.substr(start, name.find('/', start) - start);
}

struct report {
    std::string dir;                         // as given on the command line
    std::map<std::string, bench_file> files; // by stem
    json machine;
    std::ostringstream md;

    const bench_file* file(const std::string& stem) const {
        const auto it = files.find(stem);
        return it == files.end() ? nullptr : &it->second;
    }
    const result* full_path() const {
        if (const auto* f = file("doorbell-msi"))
            if (const auto* r = f->find(kFullPathName))
                return r;
        for (const auto& [stem, f] : files)
            if (const auto* r = f.find(kFullPathName))
                return r;
        return nullptr;
    }
    const result* block(const std::string& name) const {
        const auto* f = file("blocks");
        return f ? f->find(name) : nullptr;
    }
    /// scaling series: N -> the one benchmark of doorbell-msi-<axis>-N.json
    std::vector<std::pair<unsigned, const result*>> series(const std::string& axis) const {
        std::vector<std::pair<unsigned, const result*>> v;
        const std::regex re("doorbell-msi-" + axis + "-([0-9]+)");
        for (const auto& [stem, f] : files) {
            std::smatch m;
            if (std::regex_match(stem, m, re) && !f.results.empty())
                v.push_back({static_cast<unsigned>(std::stoul(m[1])), &f.results.front()});
        }
        std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        return v;
    }
    std::string source(const std::string& stem) const {
        const auto* f = file(stem);
        return f ? "`" + f->path + "`" : "(missing: " + stem + ".json)";
    }

    std::vector<std::string> checks() const {
        std::vector<std::string> out;
        const result* fp = full_path();
        if (fp && !fp->error)
            out.push_back("MSI full path: " + si(fp->ips()) + " items/s = " + ratio(fp->ips() / kMsiTarget) +
                          " of the 1,000,000/s target (" + (fp->ips() >= kMsiTarget ? "meets it" : "below it") + ")");
        else
            out.push_back("MSI full path: not measured (" + kFullPathName + ")");
        const result* ib = block("BM_IatuBaseline/2");
        const result* gb = block("BM_GlueBaseline/1");
        const result* tb = block("BM_ItsBaseline/16");
        if (fp && !fp->error && ib && !ib->error && gb && !gb->error && tb && !tb->error) {
            const double base = ib->ns_per_item() + gb->ns_per_item() + tb->ns_per_item();
            const double r = fp->ns_per_item() / base;
            out.push_back("full path vs bare logic: " + ns(fp->ns_per_item()) + " ns per doorbell / " + ns(base) +
                          " ns (BM_IatuBaseline/2 " + ns(ib->ns_per_item()) + " + BM_GlueBaseline/1 " +
                          ns(gb->ns_per_item()) + " + BM_ItsBaseline/16 " + ns(tb->ns_per_item()) + ") = " +
                          ratio(r) + " (target at most 10x: " + (r <= kRatioTarget ? "meets it" : "above it") + ")");
        } else {
            out.push_back("full path vs bare logic: not measured (needs " + kFullPathName +
                          ", BM_IatuBaseline/2, BM_GlueBaseline/1 and BM_ItsBaseline/16)");
        }
        const auto s = series("doorbells");
        const result *one = nullptr, *big = nullptr;
        for (const auto& [n, r] : s) {
            if (n == 1)
                one = r;
            if (n == 65536)
                big = r;
        }
        if (one && big && !one->error && !big->error) {
            const double g = big->ns_per_item() / one->ns_per_item();
            out.push_back("growth 1 -> 65,536 doorbells: " + ns(big->ns_per_item()) + " / " + ns(one->ns_per_item()) +
                          " ns per doorbell = " + ratio(g) +
                          " (target at most 1.5x: " + (g <= kGrowthTarget ? "meets it" : "above it") + ")");
        } else {
            out.push_back("growth 1 -> 65,536 doorbells: not measured (doorbell-msi-doorbells-1 and -65536)");
        }
        return out;
    }

    void machine_line() {
        const json& m = machine;
        auto s = [&](const char* k) {
            return m.contains(k) && m[k].is_string() ? m[k].get<std::string>() : std::string("?");
        };
        if (m.is_null()) {
            md << "**Machine:** not recorded (machine.json missing).\n\n";
        } else {
            md << "**Machine:** " << s("cpu_model") << " (" << s("cpu_mhz") << " MHz), nproc " << m.value("nproc", 0)
               << ", " << s("compiler") << ", " << s("build_type") << " build, SystemC " << s("systemc")
               << ", Google Benchmark " << s("benchmark_library") << "; load average " << s("load_avg")
               << " at the start; " << s("date") << ".\n\n";
            const std::string mode = s("mode");
            md << "**This run:** `" << s("command") << "` (" << mode << ": `--benchmark_min_time=" << s("min_time")
               << "`, " << m.value("repetitions", 1) << " repetition" << (m.value("repetitions", 1) == 1 ? "" : "s")
               << (m.value("repetitions", 1) > 1 ? ", medians shown" : ", single runs shown") << "; benchmarks took "
               << m.value("bench_seconds", 0) << " s).\n\n";
            if (m.contains("failed") && m["failed"].is_array() && !m["failed"].empty()) {
                md << "**Failed in this run** (no results, or results of a run that exited non-zero):";
                for (const auto& f : m["failed"])
                    md << " `" << f.value("config", "?") << "` (" << f.value("why", "?") << ")";
                md << ".\n\n";
            }
        }
        md << "**Reproduce:** `" << kCommand << "` (configures and builds `build-bench/`, or `$BUILD_DIR`; runs every "
           << "benchmark below; rewrites `docs/bench/*.json` and this block). `--quick`: `--benchmark_min_time=0.05`, "
           << "1 repetition. Numbers depend on the machine and its load; none is asserted.\n\n";
    }

    void check_section() {
        md << "### Check summary (measurements against issue 8's targets, not assertions)\n\n";
        for (const auto& c : checks())
            md << "- " << c << "\n";
        md << "\nFormulas: ns per doorbell = 1e9 / `items_per_second`. Full path = `" << kFullPathName << "` ("
           << source("doorbell-msi") << "). Bare-logic baseline total = ns per item of `BM_IatuBaseline/2` "
           << "+ `BM_GlueBaseline/1` + `BM_ItsBaseline/16` (" << source("blocks")
           << "): the plain-C++ first-match lookup among 2 inbound windows, the requester ID -> DeviceID map "
           << "lookup (the preset's msi-map) and the plain-C++ ITS table walk (device table, ITT, collection table) "
           << "over 16 EventIDs. Growth = ns per doorbell at 65,536 doorbells / "
           << "at 1; in the scaling tables, growth vs first row = ns per doorbell / that of the first row.\n\n";
    }

    void full_path_section() {
        md << "### Full doorbell path per backend (bench_doorbell: 32 doorbells, 1 function, BAR-match)\n\n";
        md << "| backend | items/s | rings/s | sim us per s | ns per item | heap bytes per doorbell |\n";
        md << "|---|---:|---:|---:|---:|---:|\n";
        bool any = false;
        for (const char* b : {"msi", "embedded", "poll"}) {
            const auto* f = file(std::string("doorbell-") + b);
            if (!f || f->results.empty())
                continue;
            any = true;
            const result& r = f->results.front();
            md << "| " << component(r.name, 1) << " | ";
            if (r.error)
                md << error_cell(r) << " | | | | |\n";
            else
                md << si(r.ips()) << " | " << si(r.num("rings_per_s")) << " | " << si(r.num("sim_us_per_s")) << " | "
                   << ns(r.ns_per_item()) << " | " << plain(r.num("heap_bytes_per_doorbell")) << " |\n";
        }
        if (!any)
            md << "| (no data: doorbell-{msi,embedded,poll}.json missing) | | | | | |\n";
        md << "\nitems/s: doorbell events the firmware's handlers took per second (Google Benchmark's rate over the "
              "CPU time of the one thread that runs the whole simulation); an embedded kick counts once however many "
              "rings it covers, a poll scan finds each written slot once. rings/s: host writes per second; sim us "
              "per s: simulated microseconds per second. Sources: "
           << source("doorbell-msi") << ", " << source("doorbell-embedded") << ", " << source("doorbell-poll")
           << ".\n\n";
    }

    void scaling_section(const std::string& axis, const std::string& title, const std::string& note) {
        md << "### Scaling: " << title << "\n\n";
        const auto s = series(axis);
        md << "| " << axis << " | items/s | ns per doorbell | growth vs first row | heap bytes per doorbell |\n";
        md << "|---:|---:|---:|---:|---:|\n";
        double first = NAN;
        for (const auto& [n, r] : s) {
            md << "| " << n << " | ";
            if (r->error) {
                md << error_cell(*r) << " | | | |\n";
                continue;
            }
            if (!std::isfinite(first))
                first = r->ns_per_item();
            md << si(r->ips()) << " | " << ns(r->ns_per_item()) << " | " << ratio(r->ns_per_item() / first) << " | "
               << plain(r->num("heap_bytes_per_doorbell")) << " |\n";
        }
        if (s.empty())
            md << "| (no data: doorbell-msi-" << axis << "-N.json missing) | | | | |\n";
        md << "\n"
           << note << " Sources: `" << (fs::path(dir) / ("doorbell-msi-" + axis + "-N.json")).string() << "`.\n\n";
    }

    void blocks_section() {
        md << "### Blocks alone vs bare-logic baseline (bench_blocks)\n\n";
        md << "| block | model items/s | baseline items/s | ratio (model ns / baseline ns) |\n";
        md << "|---|---:|---:|---:|\n";
        static const std::map<std::string, std::pair<const char*, const char*>> label = {
            {"BM_Iatu", {"iATU", "windows"}},
            {"BM_Glue", {"glue (requester ID -> DeviceID)", "requester IDs"}},
            {"BM_Its", {"ITS", "EventIDs"}},
            {"BM_Smmu", {"SMMU", "StreamIDs"}}};
        const auto* f = file("blocks");
        bool any = false;
        if (f) {
            const std::regex re("(BM_[A-Za-z]+)/([0-9]+)");
            for (const auto& r : f->results) {
                std::smatch m;
                if (!std::regex_match(r.name, m, re))
                    continue;
                const std::string family = m[1];
                if (family.size() > 8 && family.compare(family.size() - 8, 8, "Baseline") == 0)
                    continue;
                const result* b = f->find(m[1].str() + "Baseline/" + m[2].str());
                if (!b)
                    continue;
                any = true;
                const auto l = label.find(m[1]);
                std::string what = r.name;
                if (l != label.end()) {
                    what = std::string(l->second.first) + ", " + m[2].str() + " " + l->second.second;
                    if (m[2].str() == "1")
                        what.pop_back(); // 1 window, 1 requester ID, 1 EventID, 1 StreamID
                }
                md << "| " << what << " | ";
                if (r.error || b->error)
                    md << error_cell(r.error ? r : *b) << " | | |\n";
                else
                    md << si(r.ips()) << " | " << si(b->ips()) << " | " << ratio(b->ips() / r.ips()) << " |\n";
            }
        }
        if (!any)
            md << "| (no data: blocks.json missing) | | | |\n";
        md << "\nThe model is the TLM block alone (iATU and glue lookup calls; ITS and SMMU through their sockets, in "
              "batches of 1024 per sc_start); the baseline does the same lookups on the same data in plain C++ without SystemC. "
              "Source: "
           << source("blocks") << ".\n\n";
        const auto* c = file("cosim");
        if (!c)
            return;
        const result* tlm = c->find("BM_IatuTlm");
        const result* rtl = c->find("BM_IatuRtl");
        md << "TLM vs verilated RTL iATU (bench_cosim, 16 regions, same stream): ";
        if (tlm && rtl && !tlm->error && !rtl->error)
            md << "TLM " << si(tlm->ips()) << " lookups/s, RTL " << si(rtl->ips()) << " lookups/s: the TLM lookup is "
               << ratio(tlm->ips() / rtl->ips()) << " faster. ";
        else
            md << "no complete result. ";
        md << "Source: " << source("cosim") << ".\n\n";
    }

    void runs_section() {
        md << "### Whole `dbvp run`s (bench_run: generic preset, one forked child per run, as `dbvp matrix`)\n\n";
        md << "| function | backend | doorbells | rings per run | rings/s | wall ms per run | sim ms per run | sim us "
              "per s |\n";
        md << "|---|---|---:|---:|---:|---:|---:|---:|\n";
        const auto* f = file("run");
        if (f)
            for (const auto& r : f->results) {
                md << "| " << component(r.name, 1) << " | " << component(r.name, 2) << " | ";
                if (r.error)
                    md << error_cell(r) << " | | | | | |\n";
                else
                    md << plain(r.num("doorbells")) << " | " << plain(r.num("rings_per_run")) << " | " << si(r.ips())
                       << " | " << ns(r.num("wall_ms_per_run")) << " | " << ns(r.num("sim_ms_per_run")) << " | "
                       << si(r.num("sim_us_per_s")) << " |\n";
            }
        if (!f || f->results.empty())
            md << "| (no data: run.json missing) | | | | | | | |\n";
        md << "\nA run is what `dbvp run -f <function> -b <backend> -n 32 -r <rings>` does, minus process start-up: "
              "elaborate the platform, boot, enumerate, ring, drain, account (every run must be ok). rings/s and "
              "sim us per s are per wall-clock second. Source: "
           << source("run") << ".\n\n";
    }

    std::string render() {
        md << "_Generated by `tests/bench/bench_report` from `docs/bench/*.json`; do not edit by hand._\n\n";
        machine_line();
        check_section();
        full_path_section();
        scaling_section("doorbells", "doorbells (MSI, 1 function, BAR-match)",
                        "N doorbells of one function, rung round-robin: ITS device/ITT/LPI tables grow with N.");
        scaling_section("windows", "inbound iATU windows (MSI, 32 doorbells)",
                        "W address-match windows on BAR2 of function 0, the doorbells in the last one: every lookup "
                        "passes W - 1 windows first.");
        scaling_section("functions", "endpoint functions (MSI, 32 doorbells in all)",
                        "F functions, each its own BAR2 window and ITS DeviceID, the doorbells split evenly.");
        blocks_section();
        runs_section();
        return md.str();
    }
};

/// Replace the text between the markers (or add the section); false when only one marker is there.
bool splice(std::string& doc, const std::string& body) {
    auto line_at = [&](const char* marker) -> std::size_t {
        for (std::size_t pos = doc.find(marker); pos != std::string::npos; pos = doc.find(marker, pos + 1))
            if ((pos == 0 || doc[pos - 1] == '\n') &&
                (pos + std::strlen(marker) == doc.size() || doc[pos + std::strlen(marker)] == '\n' ||
                 doc[pos + std::strlen(marker)] == '\r'))
                return pos;
        return std::string::npos;
    };
    const std::size_t b = line_at(kBegin), e = line_at(kEnd);
    if (b == std::string::npos && e == std::string::npos) {
        const std::string section = std::string("## Results (regenerated)\n\n") + kBegin + "\n" + body + kEnd + "\n\n";
        std::size_t at = std::string::npos;
        for (std::size_t pos = 0; pos < doc.size(); pos = doc.find('\n', pos) + 1) {
            if (doc.compare(pos, 3, "## ") == 0) {
                at = pos;
                break;
            }
            if (doc.find('\n', pos) == std::string::npos)
                break;
        }
        if (at == std::string::npos) {
            if (!doc.empty() && doc.back() != '\n')
                doc += '\n';
            doc += (doc.empty() ? "" : "\n") + section;
        } else {
            doc.insert(at, section);
        }
        return true;
    }
    if (b == std::string::npos || e == std::string::npos || e < b)
        return false;
    const std::size_t from = doc.find('\n', b) + 1;
    doc.replace(from, e - from, body);
    return true;
}

int usage() {
    std::fprintf(stderr, "usage: bench_report [--dir DIR] [--doc FILE]   (defaults: docs/bench docs/performance.md)\n");
    return 2;
}

} // namespace

int main(int argc, char* argv[]) {
    std::string dir = "docs/bench", doc_path = "docs/performance.md";
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if ((a == "--dir" || a == "--doc") && i + 1 < argc)
            (a == "--dir" ? dir : doc_path) = argv[++i];
        else if (a.rfind("--dir=", 0) == 0)
            dir = a.substr(6);
        else if (a.rfind("--doc=", 0) == 0)
            doc_path = a.substr(6);
        else if (a == "-h" || a == "--help")
            return usage() - 2;
        else
            return usage();
    }
    report rep;
    rep.dir = dir;
    int status = 0;
    std::error_code ec;
    std::vector<fs::path> paths;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_regular_file() && e.path().extension() == ".json")
            paths.push_back(e.path());
    if (ec) {
        std::fprintf(stderr, "bench_report: %s: %s\n", dir.c_str(), ec.message().c_str());
        return 1;
    }
    std::sort(paths.begin(), paths.end());
    std::size_t benchmarks = 0;
    for (const auto& p : paths) {
        const std::string stem = p.stem().string();
        try {
            if (stem == "machine") {
                std::ifstream in(p);
                rep.machine = json::parse(in);
                continue;
            }
            bench_file f = load(p);
            f.path = (fs::path(dir) / p.filename()).string();
            benchmarks += f.results.size();
            rep.files[stem] = std::move(f);
        } catch (const std::exception& ex) {
            std::fprintf(stderr, "bench_report: %s: %s\n", p.string().c_str(), ex.what());
            status = 1;
        }
    }
    if (benchmarks == 0) {
        std::fprintf(stderr, "bench_report: no benchmark results in %s/*.json\n", dir.c_str());
        return 1;
    }

    std::string doc;
    {
        std::ifstream in(doc_path, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "bench_report: cannot read %s\n", doc_path.c_str());
            return 1;
        }
        std::ostringstream s;
        s << in.rdbuf();
        doc = s.str();
    }
    if (!splice(doc, rep.render())) {
        std::fprintf(stderr, "bench_report: %s has one of %s / %s without the other (or in the wrong order)\n",
                     doc_path.c_str(), kBegin, kEnd);
        return 1;
    }
    const std::string tmp = doc_path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << doc;
        if (!out.flush()) {
            std::fprintf(stderr, "bench_report: cannot write %s\n", tmp.c_str());
            return 1;
        }
    }
    fs::rename(tmp, doc_path, ec);
    if (ec) {
        std::fprintf(stderr, "bench_report: %s: %s\n", doc_path.c_str(), ec.message().c_str());
        return 1;
    }
    std::printf("bench_report: %zu benchmarks from %zu files in %s -> %s\n", benchmarks, rep.files.size(), dir.c_str(),
                doc_path.c_str());
    std::printf("check summary (measurements, not assertions):\n");
    for (const auto& c : rep.checks())
        std::printf("  %s\n", c.c_str());
    return status;
}
