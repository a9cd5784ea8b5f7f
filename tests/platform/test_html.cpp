// The pictures: `dbvp run|matrix|sweep --html FILE` writes one self-contained page (inline CSS and SVG, nothing
// fetched). Each page is checked as written (no network reference, no script) and as headless Chromium renders it
// (`--dump-dom`): the data-charts marker, the histograms with their bars, the heat-map cells, one table row per
// run, all agreeing with the JSON the same command prints. Chromium is required: scripts/setup.sh installs it.
#include "cli.h"
#include "dbvp/platform/report_html.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>

namespace {

using dbvp::test::shell;

/// The dbvp command; stdout only unless `merge` (then stderr too).
dbvp::test::cli_output cli(const std::string& args, bool merge = false) {
    return merge ? dbvp::test::cli(args) : dbvp::test::cli_stdout(args);
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
        ++n;
    return n;
}

/// A fresh directory for the pages and Chromium's profiles, removed at the end of the test.
class Html : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/dbvp-html-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        if (!dir_.empty() && !std::getenv("DBVP_KEEP_HTML"))
            shell("rm -rf '" + dir_ + "'");
    }
    std::string path(const std::string& name) const { return dir_ + "/" + name; }

    /// The page as Chromium's DOM after loading it; fails the test when Chromium is missing or fails.
    std::string render(const std::string& file) {
        const auto which = shell("command -v chromium 2>/dev/null");
        if (which.status != 0 || which.text.empty()) {
            ADD_FAILURE() << "chromium not found on PATH: run scripts/setup.sh (it installs the Debian package "
                             "chromium)";
            return {};
        }
        const std::string bin = which.text.substr(0, which.text.find('\n'));
        const auto o = shell("timeout 60 '" + bin + "' --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
                             "--no-first-run --user-data-dir='" + file + ".profile' --dump-dom 'file://" + file +
                             "' 2>/dev/null");
        EXPECT_EQ(o.status, 0) << "chromium --dump-dom " << file;
        EXPECT_NE(o.text.find("</html>"), std::string::npos) << "chromium gave no DOM for " << file << ":\n"
                                                             << o.text;
        return o.text;
    }

    std::string dir_;
};

/// What every page must be, as written: nothing fetched, no script, and a DOM that is the markup as written
/// (the parser had nothing to repair: the same elements survive).
void check_self_contained(const std::string& source, const std::string& dom) {
    for (const char* bad : {"http://", "https://", "<link", "<script", "src=", "url(", "@import", "//cdn"})
        EXPECT_EQ(source.find(bad), std::string::npos) << "the page references " << bad;
    EXPECT_EQ(source.rfind("<!DOCTYPE html>", 0), 0u);
    EXPECT_EQ(dom.find("<script"), std::string::npos);
    EXPECT_EQ(dom.find("data-error"), std::string::npos);
    for (const char* tag : {"<svg", "<rect", "<text", "<tr", "<td", "<section", "<figure"})
        EXPECT_EQ(count(dom, tag), count(source, tag)) << tag << " elements differ between the page and its DOM";
}

unsigned attr_uint(const std::string& text, const std::string& name) {
    std::smatch m;
    if (!std::regex_search(text, m, std::regex(name + "=\"([0-9]+)\"")))
        return ~0u;
    return static_cast<unsigned>(std::stoul(m[1]));
}

/// Every `<svg class="chart KIND" ...>...</svg>` in the DOM.
std::vector<std::string> charts(const std::string& dom, const std::string& kind) {
    std::vector<std::string> out;
    const std::string open = "<svg class=\"chart " + kind + "\"";
    for (auto at = dom.find(open); at != std::string::npos; at = dom.find(open, at + 1))
        out.push_back(dom.substr(at, dom.find("</svg>", at) + 6 - at));
    return out;
}

std::string attr(const std::string& element, const std::string& name) {
    std::smatch m;
    return std::regex_search(element, m, std::regex(" " + name + "=\"([^\"]*)\"")) ? std::string(m[1]) : "";
}

std::string outcome(const nlohmann::json& r) {
    return r["status"] != "ok" ? "failed" : r["interrupt_driven"].get<bool>() ? "irq-ok" : "polled-ok";
}

/// The histograms: one per backend that has latency values, each with bars for 3 values per such run.
void check_histograms(const std::string& dom, const nlohmann::json& runs) {
    std::map<std::string, unsigned> with_latency;
    for (const auto& r : runs)
        if (r.contains("latency_ns"))
            ++with_latency[r["backend"].get<std::string>()];
    const auto hist = charts(dom, "histogram");
    EXPECT_EQ(hist.size(), with_latency.size());
    std::set<std::string> seen;
    for (const auto& h : hist) {
        const std::string backend = attr(h, "data-backend");
        seen.insert(backend);
        EXPECT_EQ(attr_uint(h, "data-values"), 3 * with_latency[backend]) << backend;
        EXPECT_GT(count(h, "<rect class=\"bar "), 0u) << backend << ": no bars\n" << h;
        EXPECT_GE(count(h, "<text class=\"tick-label\""), 3u) << backend << ": no axis labels";
    }
    for (const auto& [b, n] : with_latency)
        EXPECT_TRUE(seen.count(b)) << "no histogram for backend " << b;
}

/// The table: one row per run, in order, status coloured by outcome.
void check_table(const std::string& dom, const nlohmann::json& runs) {
    EXPECT_EQ(attr_uint(dom, "data-runs"), runs.size());
    std::vector<std::string> rows;
    const std::string open = "<tr class=\"run ";
    for (auto at = dom.find(open); at != std::string::npos; at = dom.find(open, at + 1))
        rows.push_back(dom.substr(at, dom.find("</tr>", at) - at));
    ASSERT_EQ(rows.size(), runs.size()) << "one table row per run";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& r = runs[i];
        const std::string platform = r["platform"], function = r["function"], backend = r["backend"];
        EXPECT_EQ(rows[i].rfind(open + outcome(r) + "\"", 0), 0u) << "row " << i << ": " << rows[i];
        EXPECT_NE(rows[i].find("<td>" + platform + "</td><td>" + function + "</td>"), std::string::npos) << rows[i];
        EXPECT_NE(rows[i].find("<td>" + backend + "</td>"), std::string::npos) << rows[i];
        EXPECT_NE(rows[i].find("<td class=\"status " + outcome(r) + "\">"), std::string::npos) << rows[i];
        if (r.contains("where")) {
            char where[64];
            std::snprintf(where, sizeof where, "BAR%d+0x%llx", r["where"][0]["bar"].get<int>(),
                          r["where"][0]["offset"].get<unsigned long long>());
            EXPECT_NE(rows[i].find(where), std::string::npos) << where << " in " << rows[i];
        }
    }
}

} // namespace

TEST_F(Html, MatrixPageHasEveryRunAndAHistogramPerBackend) {
    const std::string file = path("matrix.html");
    const auto o = cli("matrix --json --html " + file);
    ASSERT_EQ(o.status, 0) << o.text;
    const auto runs = nlohmann::json::parse(o.text);
    const auto presets = cli("list");
    std::size_t n_presets = 0;
    for (char c : presets.text)
        n_presets += c == '\n';
    EXPECT_EQ(runs.size(), 3 * n_presets) << "every preset x test, vntb, nvme";

    const std::string source = slurp(file);
    const std::string dom = render(file);
    ASSERT_FALSE(dom.empty());
    check_self_contained(source, dom);
    check_table(dom, runs);
    check_histograms(dom, runs);
    const auto hist = charts(dom, "histogram");
    EXPECT_EQ(charts(dom, "heatmap").size(), 0u) << "a matrix has no swept axes";
    EXPECT_EQ(attr_uint(dom, "data-charts"), hist.size());
    EXPECT_EQ(count(dom, "<svg class=\"chart "), hist.size());
    // Polling (~ms) next to MSI (~1 us): the shared axis is logarithmic.
    EXPECT_NE(dom.find("(log scale)"), std::string::npos);
    EXPECT_NE(dom.find("data-backend=\"poll\""), std::string::npos);
    EXPECT_NE(dom.find("data-backend=\"msi\""), std::string::npos);
}

TEST_F(Html, SweepPageHasAHeatMapPerFunction) {
    const std::string file = path("sweep.html");
    const auto o = cli("sweep --json --vary soc/pcie-ep@40000000/dbvp,atu-min-region-size=0x1000..0x4000:*2 "
                        "--vary soc/pcie-ep@40000000/num-ib-windows=2,16 -f test -f vntb --html " + file);
    ASSERT_EQ(o.status, 0) << o.text;
    const auto runs = nlohmann::json::parse(o.text);
    ASSERT_EQ(runs.size(), 12u) << "3 region sizes x 2 window counts x 2 functions";

    const std::string source = slurp(file);
    const std::string dom = render(file);
    ASSERT_FALSE(dom.empty());
    check_self_contained(source, dom);
    check_table(dom, runs);
    check_histograms(dom, runs);
    const auto maps = charts(dom, "heatmap");
    ASSERT_EQ(maps.size(), 2u) << "one map per function";
    EXPECT_EQ(attr_uint(dom, "data-charts"), charts(dom, "histogram").size() + maps.size());
    EXPECT_EQ(count(dom, "<svg class=\"chart "), charts(dom, "histogram").size() + maps.size());
    for (const auto& m : maps) {
        const std::string f = attr(m, "data-function");
        EXPECT_EQ(attr_uint(m, "data-cells"), 6u);
        EXPECT_EQ(count(m, "<rect class=\"cell "), 6u) << f;
        // Each cell: the colour of its run's outcome, the backend as its text.
        for (const auto& r : runs) {
            if (r["function"] != f)
                continue;
            const std::string x = r["point"]["soc/pcie-ep@40000000/dbvp,atu-min-region-size"];
            const std::string y = r["point"]["soc/pcie-ep@40000000/num-ib-windows"];
            std::smatch cell;
            ASSERT_TRUE(std::regex_search(m, cell,
                                          std::regex("<rect class=\"cell ([a-z-]+)\" data-x=\"" + x + "\" data-y=\"" +
                                                     y + "\"[^>]*>(?:</rect>)?\\s*<text[^>]*>([^<]*)</text>")))
                << f << " " << x << " " << y << "\n" << m;
            EXPECT_EQ(cell[1], outcome(r)) << f << " " << x << " " << y;
            EXPECT_EQ(cell[2], r["backend"].get<std::string>()) << f << " " << x << " " << y;
        }
    }
    // Two inbound windows are too few for the test function; vNTB gets MSI everywhere.
    EXPECT_NE(dom.find("<rect class=\"cell failed\" data-x=\"0x1000\" data-y=\"2\""), std::string::npos);
}

TEST_F(Html, RunPageHasTheSummaryAndItsHistogram) {
    const std::string file = path("run.html");
    const auto o = cli("run --json --html " + file);
    ASSERT_EQ(o.status, 0) << o.text;
    nlohmann::json runs = nlohmann::json::array();
    runs.push_back(nlohmann::json::parse(o.text));

    const std::string source = slurp(file);
    const std::string dom = render(file);
    ASSERT_FALSE(dom.empty());
    check_self_contained(source, dom);
    check_table(dom, runs);
    check_histograms(dom, runs);
    EXPECT_EQ(attr_uint(dom, "data-charts"), 1u);
    EXPECT_EQ(charts(dom, "histogram").size(), 1u);
    EXPECT_NE(dom.find("<section id=\"summary\">"), std::string::npos);
    EXPECT_NE(dom.find("<dd>msi (interrupt-driven)</dd>"), std::string::npos);
    EXPECT_NE(dom.find("8 rung, 8 delivered, 0 coalesced, 0 dropped"), std::string::npos);
}

TEST_F(Html, TheTextIsUnchangedAndThePageDeterministic) {
    const auto plain = cli("run -f vntb");
    const auto with_page = cli("run -f vntb --html " + path("a.html"));
    EXPECT_EQ(plain.status, 0);
    EXPECT_EQ(with_page.status, plain.status);
    EXPECT_EQ(with_page.text, plain.text) << "--html changes nothing on stdout";
    cli("run -f vntb --html " + path("b.html"));
    const std::string a = slurp(path("a.html"));
    EXPECT_FALSE(a.empty());
    EXPECT_EQ(a, slurp(path("b.html"))) << "same inputs, same bytes";
}

TEST_F(Html, AnUnwritableFileIsAUserMistake) {
    for (const char* cmd : {"run", "matrix", "sweep --vary soc/pcie-ep@40000000/num-ib-windows=2,16"}) {
        const auto o = cli(std::string(cmd) + " --html " + path("no/such/dir/page.html"), true);
        EXPECT_EQ(o.status, 2) << cmd << "\n" << o.text;
        EXPECT_NE(o.text.find("--html " + path("no/such/dir/page.html") + ": cannot write"), std::string::npos)
            << o.text;
        EXPECT_EQ(o.text.find("result:"), std::string::npos) << "reported before running anything";
    }
}

TEST(HtmlRender, EscapesTextAndFoldsExtraAxesIntoTheCells) {
    using namespace dbvp::platform;
    html_report rep;
    rep.title = "a <b> & \"c\"";
    rep.axes = {{"soc/x", {"1", "2"}}, {"soc/y", {"a"}}, {"soc/z", {"p", "q"}}};
    for (const char* x : {"1", "2"})
        for (const char* z : {"p", "q"}) {
            scenario_result r;
            r.platform = "generic";
            r.function = "test";
            const bool fails = std::string(x) == "2" && std::string(z) == "q";
            r.backend = fails ? "none" : "msi";
            r.ok = !fails;
            r.interrupt_driven = !fails;
            r.error = fails ? "<script>alert('x')</script>" : "";
            r.has_latency = !fails;
            r.latency_min_ns = r.latency_median_ns = 900;
            r.latency_max_ns = 1200;
            rep.runs.push_back(r);
            rep.points.push_back({x, "a", z});
        }
    const std::string page = render_html(rep);
    EXPECT_EQ(page, render_html(rep));
    EXPECT_EQ(page.find("<script"), std::string::npos);
    EXPECT_NE(page.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), std::string::npos);
    EXPECT_NE(page.find("<title>a &lt;b&gt; &amp; &quot;c&quot;</title>"), std::string::npos);
    EXPECT_NE(page.find("<body data-charts=\"2\" data-runs=\"4\">"), std::string::npos) << "1 histogram, 1 map";
    // x=1: both z values ok; x=2: one of two failed, the cell is failed and says so.
    EXPECT_NE(page.find("<rect class=\"cell irq-ok\" data-x=\"1\" data-y=\"a\""), std::string::npos);
    EXPECT_NE(page.find("<rect class=\"cell failed\" data-x=\"2\" data-y=\"a\""), std::string::npos);
    EXPECT_NE(page.find(">msi/none 1/2</text>"), std::string::npos);
    EXPECT_EQ(format_latency(953), "953 ns");
    EXPECT_EQ(format_latency(1129), "1.13 us");
    EXPECT_EQ(format_latency(4928687), "4.93 ms");
    EXPECT_EQ(format_latency(1000), "1 us");
}
