#include "dbvp/platform/report_html.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <map>
#include <set>

namespace dbvp::platform {

namespace {

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
    char b[512];
    va_list ap;
    va_start(ap, f);
    const int n = std::vsnprintf(b, sizeof b, f, ap);
    va_end(ap);
    return std::string(b, n < 0 ? 0 : std::min<std::size_t>(static_cast<std::size_t>(n), sizeof b - 1));
}

/// A coordinate: one decimal, no "-0.0".
std::string num(double v) {
    std::string s = fmt("%.1f", v);
    if (s == "-0.0")
        s = "0.0";
    if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0)
        s.resize(s.size() - 2);
    return s;
}

std::string esc(const std::string& s) { return html_escape(s); }

/// Rough width of SVG text at 12px (the page's system font), for laying out labels.
double text_width(const std::string& s) { return 7.2 * static_cast<double>(s.size()); }

const char* backend_colour(const std::string& b) {
    if (b == "msi")
        return "#2b6cb0";
    if (b == "embedded")
        return "#7b4fb0";
    if (b == "poll")
        return "#c27c0e";
    if (b == "none")
        return "#777777";
    return "#2c8c83";
}

int backend_rank(const std::string& b) {
    if (b == "msi")
        return 0;
    if (b == "embedded")
        return 1;
    if (b == "poll")
        return 2;
    if (b == "none")
        return 4;
    return 3;
}

int outcome_rank(const scenario_result& r) { return r.ok ? (r.interrupt_driven ? 0 : 1) : 2; }
const char* outcome_class_of(int rank) { return rank == 0 ? "irq-ok" : rank == 1 ? "polled-ok" : "failed"; }
const char* outcome_text(int rank) {
    return rank == 0 ? "interrupt-driven, ok" : rank == 1 ? "polled, ok" : "failed";
}

std::string status_text(const scenario_result& r) { return r.ok ? "ok" : r.crashed ? "crashed" : "failed"; }

std::string location_text(const scenario_result::location& d) {
    return fmt("BAR%d+0x%llx", d.bar, static_cast<unsigned long long>(d.offset));
}

std::string where_text(const scenario_result& r) {
    if (r.doorbells.empty())
        return "-";
    std::string s = location_text(r.doorbells[0]);
    if (r.doorbells.size() > 1)
        s += " (+" + std::to_string(r.doorbells.size() - 1) + ")";
    return s;
}

std::string where_all(const scenario_result& r) {
    std::string s;
    for (std::size_t i = 0; i < r.doorbells.size(); ++i)
        s += (i ? "; " : "") + fmt("doorbell %zu: ", i) + location_text(r.doorbells[i]) +
             fmt(", data 0x%x", r.doorbells[i].data);
    return s;
}

/// The last component of a property path, for labels (the full path goes in titles and captions).
std::string short_name(const std::string& property) {
    const auto slash = property.rfind('/');
    return slash == std::string::npos ? property : property.substr(slash + 1);
}

// ---- latency axis -------------------------------------------------------------------------------------------

/// 1, 2, 5 x 10^k at or above x.
double nice_step(double x) {
    if (!(x > 0))
        return 1;
    const double e = std::pow(10.0, std::floor(std::log10(x)));
    const double f = x / e;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e;
}

struct latency_axis {
    bool log = false;
    double lo = 0, hi = 1; // linear: ns; log: decades (log10 ns)
    int bins = 20;
    std::vector<double> ticks; // in ns

    static latency_axis over(const std::vector<double>& values) {
        latency_axis a;
        const auto [mn_it, mx_it] = std::minmax_element(values.begin(), values.end());
        const double mn = *mn_it, mx = *mx_it;
        if (mn > 0 && mx / mn >= 10) {
            a.log = true;
            a.lo = std::floor(std::log10(mn));
            a.hi = std::ceil(std::log10(mx));
            if (a.hi <= a.lo)
                a.hi = a.lo + 1;
            const int decades = static_cast<int>(a.hi - a.lo);
            a.bins = decades * std::max(2, 40 / decades);
            for (int e = static_cast<int>(a.lo); e <= static_cast<int>(a.hi); ++e)
                a.ticks.push_back(std::pow(10.0, e));
            return a;
        }
        double span = mx - mn;
        if (!(span > 0))
            span = std::max(std::fabs(mx) * 0.1, 1.0);
        const double step = nice_step(span / 5);
        const double first = std::floor(mn / step), last = std::max(std::ceil(mx / step), first + 1);
        a.lo = first * step;
        a.hi = last * step;
        for (double i = first; i <= last; ++i)
            a.ticks.push_back(i * step);
        return a;
    }
    /// 0..1 along the axis.
    double at(double ns) const {
        const double v = log ? std::log10(std::max(ns, 1e-3)) : ns;
        return std::clamp((v - lo) / (hi - lo), 0.0, 1.0);
    }
    int bin(double ns) const { return std::min(bins - 1, static_cast<int>(at(ns) * bins)); }
    double bin_start(int b) const {
        const double v = lo + (hi - lo) * b / bins;
        return log ? std::pow(10.0, v) : v;
    }
};

/// The x axis under a plot: ticks, labels, the axis title.
void draw_x_axis(std::string& o, const latency_axis& ax, double left, double width, double y) {
    o += fmt("<line class=\"axis\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>", num(left).c_str(), num(y).c_str(),
             num(left + width).c_str(), num(y).c_str());
    for (double t : ax.ticks) {
        const double x = left + width * ax.at(t);
        o += fmt("<line class=\"tick\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>", num(x).c_str(), num(y).c_str(),
                 num(x).c_str(), num(y + 4).c_str());
        o += fmt("<text class=\"tick-label\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">", num(x).c_str(),
                 num(y + 16).c_str()) +
             esc(format_latency(t)) + "</text>";
    }
    o += fmt("<text class=\"axis-label\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">", num(left + width / 2).c_str(),
             num(y + 32).c_str()) +
         esc(std::string("latency, host ring -> the function's event") + (ax.log ? " (log scale)" : "")) +
         "</text>";
}

struct backend_values {
    std::string backend;
    unsigned runs = 0;
    std::vector<std::array<double, 3>> latency; // min, median, max per run with latency
};

std::string histogram(const backend_values& bv, const latency_axis& ax) {
    constexpr double W = 720, H = 230, L = 52, R = 28, T = 28, B = 44;
    const double pw = W - L - R, ph = H - T - B;
    static const char* stat_name[3] = {"min", "median", "max"};
    std::vector<std::array<unsigned, 3>> count(static_cast<std::size_t>(ax.bins), {0, 0, 0});
    for (const auto& v : bv.latency)
        for (int s = 0; s < 3; ++s)
            ++count[static_cast<std::size_t>(ax.bin(v[static_cast<std::size_t>(s)]))][static_cast<std::size_t>(s)];
    unsigned top = 1;
    for (const auto& c : count)
        top = std::max(top, c[0] + c[1] + c[2]);
    const unsigned ystep = static_cast<unsigned>(std::max(1.0, nice_step(top / 4.0)));
    const unsigned ymax = (top + ystep - 1) / ystep * ystep;
    const char* colour = backend_colour(bv.backend);

    std::string o;
    o += fmt("<svg class=\"chart histogram\" data-backend=\"%s\" data-bins=\"%d\" data-values=\"%zu\" "
             "width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" role=\"img\" aria-label=\"",
             esc(bv.backend).c_str(), ax.bins, bv.latency.size() * 3, num(W).c_str(), num(H).c_str(),
             num(W).c_str(), num(H).c_str()) +
         esc("latency histogram, backend " + bv.backend) + "\">";
    o += "<title>" + esc("latency histogram, backend " + bv.backend) + "</title>";
    // The key: min / median / max shades.
    double kx = W - R - 170;
    o += fmt("<text class=\"chart-title\" x=\"%s\" y=\"16\">", num(L).c_str()) + esc(bv.backend) + "</text>";
    for (int s = 0; s < 3; ++s) {
        o += fmt("<rect class=\"key s-%s\" x=\"%s\" y=\"7\" width=\"12\" height=\"12\" fill=\"%s\"/>",
                 stat_name[s], num(kx).c_str(), colour);
        o += fmt("<text class=\"key-label\" x=\"%s\" y=\"17\">", num(kx + 16).c_str()) +
             esc(stat_name[s]) + "</text>";
        kx += 16 + text_width(stat_name[s]) + 14;
    }
    // y axis: value counts.
    for (unsigned t = 0; t <= ymax; t += ystep) {
        const double y = T + ph - ph * t / ymax;
        o += fmt("<line class=\"grid\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>", num(L).c_str(), num(y).c_str(),
                 num(L + pw).c_str(), num(y).c_str());
        o += fmt("<text class=\"tick-label\" x=\"%s\" y=\"%s\" text-anchor=\"end\">%u</text>", num(L - 6).c_str(),
                 num(y + 4).c_str(), t);
    }
    o += fmt("<text class=\"axis-label\" transform=\"translate(14 %s) rotate(-90)\" text-anchor=\"middle\">values"
             "</text>",
             num(T + ph / 2).c_str());
    // Bars, stacked min / median / max.
    const double bw = pw / ax.bins;
    for (int b = 0; b < ax.bins; ++b) {
        const auto& c = count[static_cast<std::size_t>(b)];
        double y = T + ph;
        const std::string range = format_latency(ax.bin_start(b)) + " - " + format_latency(ax.bin_start(b + 1));
        for (int s = 0; s < 3; ++s) {
            const unsigned n = c[static_cast<std::size_t>(s)];
            if (!n)
                continue;
            const double h = ph * n / ymax;
            y -= h;
            o += fmt("<rect class=\"bar s-%s\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\">",
                     stat_name[s], num(L + b * bw + 0.5).c_str(), num(y).c_str(),
                     num(std::max(1.0, bw - 1)).c_str(), num(h).c_str(), colour);
            o += "<title>" + esc(fmt("%u %s value%s in ", n, stat_name[s], n == 1 ? "" : "s") + range) +
                 "</title></rect>";
        }
    }
    draw_x_axis(o, ax, L, pw, T + ph);
    o += "</svg>";
    return o;
}

// ---- feasibility heat map -----------------------------------------------------------------------------------

std::string heatmap(const std::string& function, const html_report& rep, const std::vector<std::size_t>& runs) {
    const auto& xs = rep.axes[0].values;
    const auto& ys = rep.axes[1].values;
    struct cell {
        int worst = -1;
        std::vector<std::string> backends;
        std::string detail;
        unsigned n = 0, ok = 0;
    };
    std::vector<cell> cells(xs.size() * ys.size());
    for (std::size_t i : runs) {
        const auto& p = rep.points[i];
        const auto xi = std::find(xs.begin(), xs.end(), p[0]) - xs.begin();
        const auto yi = std::find(ys.begin(), ys.end(), p[1]) - ys.begin();
        if (xi >= static_cast<std::ptrdiff_t>(xs.size()) || yi >= static_cast<std::ptrdiff_t>(ys.size()))
            continue;
        auto& c = cells[static_cast<std::size_t>(yi) * xs.size() + static_cast<std::size_t>(xi)];
        const auto& r = rep.runs[i];
        c.worst = std::max(c.worst, outcome_rank(r));
        if (std::find(c.backends.begin(), c.backends.end(), r.backend) == c.backends.end())
            c.backends.push_back(r.backend);
        ++c.n;
        c.ok += r.ok;
        std::string line;
        for (std::size_t a = 2; a < rep.axes.size() && a < p.size(); ++a)
            line += short_name(rep.axes[a].property) + "=" + p[a] + " ";
        line += r.backend + ", " + outcome_text(outcome_rank(r));
        if (r.has_latency)
            line += ", median " + format_latency(r.latency_median_ns);
        const std::string why = first_reason(r);
        if (!why.empty())
            line += ": " + why;
        c.detail += (c.detail.empty() ? "" : "\n") + line;
    }
    double cw = 72;
    for (const auto& v : xs)
        cw = std::max(cw, text_width(v) + 16);
    for (const auto& c : cells) {
        std::string t;
        for (const auto& b : c.backends)
            t += (t.empty() ? "" : "/") + b;
        cw = std::max(cw, text_width(t) + 16);
    }
    double yl = 0;
    for (const auto& v : ys)
        yl = std::max(yl, text_width(v));
    const std::string xname = short_name(rep.axes[0].property), yname = short_name(rep.axes[1].property);
    const std::string xkey = xname + " \u2192", ykey = yname + " \u2193"; // the arrows, UTF-8
    constexpr double ch = 34, T = 52, R = 16, B = 12;
    const double L = std::max({yl, text_width(ykey) - 8, 20.0}) + 24;
    const double W = std::max(L + cw * static_cast<double>(xs.size()) + R, L + text_width(xkey) + R);
    const double H = T + ch * static_cast<double>(ys.size()) + B;

    std::string o;
    o += fmt("<svg class=\"chart heatmap\" data-function=\"%s\" data-cells=\"%zu\" width=\"%s\" height=\"%s\" "
             "viewBox=\"0 0 %s %s\" role=\"img\" aria-label=\"",
             esc(function).c_str(), cells.size(), num(W).c_str(), num(H).c_str(), num(W).c_str(), num(H).c_str()) +
         esc("feasibility of " + function + " over " + xname + " x " + yname) + "\">";
    o += "<title>" + esc("feasibility of " + function + ": " + rep.axes[0].property + " (columns) x " +
                         rep.axes[1].property + " (rows)") +
         "</title>";
    o += fmt("<text class=\"axis-label\" x=\"%s\" y=\"16\">", num(L).c_str()) + esc(xkey) + "</text>";
    o += fmt("<text class=\"axis-label\" x=\"%s\" y=\"%s\" text-anchor=\"end\">", num(L - 8).c_str(),
             num(T - 8).c_str()) +
         esc(ykey) + "</text>";
    for (std::size_t x = 0; x < xs.size(); ++x)
        o += fmt("<text class=\"tick-label\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">",
                 num(L + cw * (static_cast<double>(x) + 0.5)).c_str(), num(T - 8).c_str()) +
             esc(xs[x]) + "</text>";
    for (std::size_t y = 0; y < ys.size(); ++y) {
        const double cy = T + ch * static_cast<double>(y);
        o += fmt("<text class=\"tick-label\" x=\"%s\" y=\"%s\" text-anchor=\"end\">", num(L - 8).c_str(),
                 num(cy + ch / 2 + 4).c_str()) +
             esc(ys[y]) + "</text>";
        for (std::size_t x = 0; x < xs.size(); ++x) {
            const auto& c = cells[y * xs.size() + x];
            const double cx = L + cw * static_cast<double>(x);
            std::string text;
            for (const auto& b : c.backends)
                text += (text.empty() ? "" : "/") + b;
            if (c.n > 1 && c.ok != c.n)
                text += fmt(" %u/%u", c.ok, c.n);
            const char* cls = c.worst < 0 ? "empty" : outcome_class_of(c.worst);
            o += "<g class=\"cell-group\"><title>" +
                 esc(xname + "=" + xs[x] + ", " + yname + "=" + ys[y] + "\n" + (c.n ? c.detail : "not run")) +
                 "</title>";
            o += fmt("<rect class=\"cell %s\" data-x=\"", cls) + esc(xs[x]) +
                 "\" data-y=\"" + esc(ys[y]) +
                 fmt("\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"/>", num(cx + 1).c_str(), num(cy + 1).c_str(),
                     num(cw - 2).c_str(), num(ch - 2).c_str());
            o += fmt("<text class=\"cell-label\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">",
                     num(cx + cw / 2).c_str(), num(cy + ch / 2 + 4).c_str()) +
                 esc(c.n ? text : "-") + "</text>";
            o += "</g>";
        }
    }
    o += "</svg>";
    return o;
}

// ---- the page -----------------------------------------------------------------------------------------------

const char* css = R"(
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       margin: 24px 32px; color: #1f2328; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
p.note { margin: 2px 0; color: #57606a; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace;
              font-size: 13px; }
.legend { margin: 8px 0; }
.legend span.swatch { display: inline-block; padding: 1px 8px; margin-right: 8px; border-radius: 3px; }
.swatch.irq-ok, td.status.irq-ok { background: #6cc17e; }
.swatch.polled-ok, td.status.polled-ok { background: #f2c94c; }
.swatch.failed, td.status.failed { background: #eb6b6b; }
table.runs { border-collapse: collapse; font-size: 13px; }
table.runs th, table.runs td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
table.runs th { background: #f6f8fa; }
table.runs td.num { text-align: right; white-space: nowrap; }
table.runs td.mono { white-space: nowrap; }
table.runs td.why { min-width: 20em; max-width: 48em; color: #444; }
table.runs td.why summary { cursor: pointer; }
table.runs tr.failed td { background: #fdecec; }
table.runs tr.failed td.status { background: #eb6b6b; }
dl.summary { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 0; }
dl.summary dt { font-weight: 600; }
dl.summary dd { margin: 0; }
dl.summary dd.irq-ok, dl.summary dd.polled-ok, dl.summary dd.failed { justify-self: start; padding: 0 8px;
       border-radius: 3px; }
dl.summary dd.irq-ok { background: #6cc17e; }
dl.summary dd.polled-ok { background: #f2c94c; }
dl.summary dd.failed { background: #eb6b6b; }
figure { margin: 12px 0 20px; }
figcaption { color: #57606a; font-size: 13px; margin-top: 2px; }
svg.chart { display: block; background: #fff; }
svg.chart text { font-size: 12px; fill: #1f2328; }
svg.chart .chart-title { font-weight: 600; font-size: 13px; }
svg.chart .axis { stroke: #57606a; stroke-width: 1; }
svg.chart .tick { stroke: #57606a; }
svg.chart .grid { stroke: #eaeef2; }
svg.chart .s-min { fill-opacity: 0.45; }
svg.chart .s-median { fill-opacity: 1; }
svg.chart .s-max { fill-opacity: 0.7; }
svg.chart rect.cell { stroke: #fff; stroke-width: 1; }
svg.chart rect.cell.irq-ok { fill: #6cc17e; }
svg.chart rect.cell.polled-ok { fill: #f2c94c; }
svg.chart rect.cell.failed { fill: #eb6b6b; }
svg.chart rect.cell.empty { fill: #eeeeee; }
svg.chart .cell-label { font-family: ui-monospace, Menlo, Consolas, "Liberation Mono", monospace; }
)";

std::string legend() {
    return "<p class=\"legend\"><span class=\"swatch irq-ok\">interrupt-driven, ok</span>"
           "<span class=\"swatch polled-ok\">polled, ok</span><span class=\"swatch failed\">failed</span></p>\n";
}

std::string summary(const scenario_result& r) {
    std::string o = "<section id=\"summary\"><h2>Summary</h2>\n<dl class=\"summary\">\n";
    auto item = [&o](const std::string& k, const std::string& v, const char* cls = nullptr) {
        o += "<dt>" + esc(k) + "</dt><dd" + (cls ? std::string(" class=\"") + cls + "\"" : std::string()) + ">" +
             esc(v) + "</dd>\n";
    };
    item("function", r.function + " on " + r.platform);
    item("backend", r.backend + (r.interrupt_driven ? " (interrupt-driven)" : " (polled)"));
    item("status", status_text(r), outcome_class(r));
    for (std::size_t i = 0; i < r.doorbells.size(); ++i)
        item(fmt("doorbell %zu", i), location_text(r.doorbells[i]) + fmt(", data 0x%x", r.doorbells[i].data));
    item("rings", fmt("%u rung, %u delivered, %u coalesced, %u dropped", r.rung, r.delivered, r.coalesced,
                      r.dropped));
    if (r.has_latency)
        item("latency", "min " + format_latency(r.latency_min_ns) + ", median " +
                            format_latency(r.latency_median_ns) + ", max " + format_latency(r.latency_max_ns));
    if (!r.error.empty())
        item("error", r.error);
    for (const auto& w : r.reasons)
        item("why", w);
    for (const auto& w : r.backend_reasons)
        item("skipped", w);
    item("simulated", fmt("%.3f us", r.simulated_us));
    o += "</dl></section>\n";
    return o;
}

std::string runs_table(const html_report& rep) {
    std::string o = "<section id=\"matrix\"><h2>Runs</h2>\n" + legend();
    o += "<table class=\"runs\">\n<thead><tr><th>platform</th><th>function</th>";
    for (const auto& a : rep.axes)
        o += "<th title=\"" + esc(a.property) + "\">" + esc(short_name(a.property)) + "</th>";
    o += "<th>backend</th><th>interrupt-driven</th><th>status</th>"
         "<th title=\"delivered / coalesced / dropped of rung\">rings</th><th>doorbell</th>"
         "<th>median latency</th><th>first reason</th></tr></thead>\n<tbody>\n";
    for (std::size_t i = 0; i < rep.runs.size(); ++i) {
        const auto& r = rep.runs[i];
        const char* cls = outcome_class(r);
        o += std::string("<tr class=\"run ") + cls + "\"><td>" + esc(r.platform) + "</td><td>" + esc(r.function) +
             "</td>";
        for (std::size_t a = 0; a < rep.axes.size(); ++a)
            o += "<td class=\"mono\">" + esc(i < rep.points.size() && a < rep.points[i].size() ? rep.points[i][a] : "")
                 + "</td>";
        o += "<td>" + esc(r.backend) + "</td><td>" + (r.interrupt_driven ? "yes" : "no") + "</td>";
        o += std::string("<td class=\"status ") + cls + "\">" + esc(status_text(r)) + "</td>";
        o += "<td class=\"num\">" + fmt("%u / %u / %u of %u", r.delivered, r.coalesced, r.dropped, r.rung) + "</td>";
        o += "<td class=\"mono\" title=\"" + esc(where_all(r)) + "\">" + esc(where_text(r)) + "</td>";
        if (r.has_latency)
            o += "<td class=\"num\" title=\"" +
                 esc(fmt("min %.0f ns, median %.0f ns, max %.0f ns", r.latency_min_ns, r.latency_median_ns,
                         r.latency_max_ns)) +
                 "\">" + esc(format_latency(r.latency_median_ns)) + "</td>";
        else
            o += "<td class=\"num\">-</td>";
        // A long reason (the allocator's "; "-separated clauses): the first clause, the rest on a click.
        const std::string why = first_reason(r);
        const auto cut = why.find("; ");
        if (cut == std::string::npos)
            o += "<td class=\"why\">" + esc(why) + "</td></tr>\n";
        else
            o += "<td class=\"why\"><details><summary>" + esc(why.substr(0, cut) + "; ...") + "</summary>" +
                 esc(why.substr(cut + 2)) + "</details></td></tr>\n";
    }
    o += "</tbody></table></section>\n";
    return o;
}

} // namespace

const char* outcome_class(const scenario_result& r) { return outcome_class_of(outcome_rank(r)); }

std::string first_reason(const scenario_result& r) {
    return !r.error.empty()             ? r.error
           : !r.reasons.empty()         ? r.reasons[0]
           : !r.backend_reasons.empty() ? r.backend_reasons[0]
                                        : "";
}

std::string format_latency(double ns) {
    static const struct {
        double scale;
        const char* unit;
    } units[] = {{1e9, "s"}, {1e6, "ms"}, {1e3, "us"}};
    for (const auto& u : units)
        if (std::fabs(ns) >= u.scale) {
            const double v = ns / u.scale;
            std::string s = fmt(std::fabs(v) >= 100 ? "%.0f" : std::fabs(v) >= 10 ? "%.1f" : "%.2f", v);
            if (s.find('.') != std::string::npos) {
                while (s.back() == '0')
                    s.pop_back();
                if (s.back() == '.')
                    s.pop_back();
            }
            return s + " " + u.unit;
        }
    return fmt("%.0f ns", ns);
}

std::string html_escape(const std::string& text) {
    std::string o;
    o.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&': o += "&amp;"; break;
        case '<': o += "&lt;"; break;
        case '>': o += "&gt;"; break;
        case '"': o += "&quot;"; break;
        case '\'': o += "&#39;"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t')
                o += ' ';
            else if (c == '\x7f')
                o += ' ';
            else
                o += c;
        }
    }
    return o;
}

std::string render_html(const html_report& rep) {
    std::string charts;
    unsigned n_charts = 0;

    // Histograms: one per backend that has latency values, all on one axis.
    std::vector<backend_values> per_backend;
    std::vector<double> all;
    for (const auto& r : rep.runs) {
        auto it = std::find_if(per_backend.begin(), per_backend.end(),
                               [&](const backend_values& b) { return b.backend == r.backend; });
        if (it == per_backend.end()) {
            per_backend.push_back({r.backend, 0, {}});
            it = per_backend.end() - 1;
        }
        ++it->runs;
        if (r.has_latency) {
            it->latency.push_back({r.latency_min_ns, r.latency_median_ns, r.latency_max_ns});
            all.insert(all.end(), {r.latency_min_ns, r.latency_median_ns, r.latency_max_ns});
        }
    }
    std::stable_sort(per_backend.begin(), per_backend.end(), [](const backend_values& a, const backend_values& b) {
        const int ra = backend_rank(a.backend), rb = backend_rank(b.backend);
        return ra != rb ? ra < rb : (ra == 3 && a.backend < b.backend);
    });
    std::string hist = "<section id=\"latency\"><h2>Latency per backend</h2>\n";
    if (all.empty()) {
        hist += "<p class=\"note\">No run has latency values (no ring was delivered).</p>\n";
    } else {
        const latency_axis ax = latency_axis::over(all);
        hist += "<p class=\"note\">" +
                esc(fmt("Each run contributes three values: the min, median and max of host ring -> the function's "
                        "event over the rings the function noticed; %d bins on a %s axis shared by every backend.",
                        ax.bins, ax.log ? "logarithmic" : "linear")) +
                "</p>\n";
        for (const auto& b : per_backend) {
            if (b.latency.empty()) {
                hist += "<p class=\"note\">" + esc(fmt("%s: %u run%s, no latency values.", b.backend.c_str(), b.runs,
                                                      b.runs == 1 ? "" : "s")) +
                        "</p>\n";
                continue;
            }
            double lo = b.latency[0][1], hi = lo;
            for (const auto& v : b.latency) {
                lo = std::min(lo, v[1]);
                hi = std::max(hi, v[1]);
            }
            hist += "<figure>" + histogram(b, ax) + "<figcaption>" +
                    esc(fmt("%s: %zu run%s with latency", b.backend.c_str(), b.latency.size(),
                            b.latency.size() == 1 ? "" : "s") +
                        (b.runs > b.latency.size() ? fmt(" (of %u)", b.runs) : std::string()) + "; median " +
                        (lo == hi ? format_latency(lo) : format_latency(lo) + " to " + format_latency(hi))) +
                    "</figcaption></figure>\n";
            ++n_charts;
        }
    }
    hist += "</section>\n";

    // Heat maps: the first two swept axes, one map per function.
    std::string heat;
    if (rep.axes.size() >= 2 && rep.points.size() == rep.runs.size()) {
        std::vector<std::string> functions;
        std::map<std::string, std::vector<std::size_t>> by_function;
        for (std::size_t i = 0; i < rep.runs.size(); ++i) {
            if (rep.points[i].size() < 2)
                continue;
            const auto& f = rep.runs[i].function;
            if (!by_function.count(f))
                functions.push_back(f);
            by_function[f].push_back(i);
        }
        heat = "<section id=\"feasibility\"><h2>Feasibility</h2>\n" + legend();
        heat += "<p class=\"note\">" +
                esc("Columns: " + rep.axes[0].property + "; rows: " + rep.axes[1].property +
                    (rep.axes.size() > 2 ? "; a cell holds every value of the other axes, coloured by the worst "
                                           "outcome (n/m: n of its m runs ok)"
                                         : "") +
                    ". Cell text: the backend.") +
                "</p>\n";
        for (const auto& f : functions) {
            heat += "<figure><figcaption>" + esc("function " + f) + "</figcaption>" + heatmap(f, rep, by_function[f]) +
                    "</figure>\n";
            ++n_charts;
        }
        heat += "</section>\n";
    }

    std::string o = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    o += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n";
    o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    o += "<meta name=\"generator\" content=\"dbvp\">\n";
    o += "<title>" + esc(rep.title) + "</title>\n<style>" + css + "</style>\n</head>\n";
    o += fmt("<body data-charts=\"%u\" data-runs=\"%zu\">\n", n_charts, rep.runs.size());
    o += "<h1>" + esc(rep.title) + "</h1>\n";
    for (const auto& n : rep.notes)
        o += "<p class=\"note\">" + esc(n) + "</p>\n";
    unsigned counts[3] = {0, 0, 0};
    for (const auto& r : rep.runs)
        ++counts[outcome_rank(r)];
    o += "<p class=\"note\">" +
         esc(fmt("%zu run%s: %u interrupt-driven ok, %u polled ok, %u failed", rep.runs.size(),
                 rep.runs.size() == 1 ? "" : "s", counts[0], counts[1], counts[2])) +
         "</p>\n";
    if (rep.runs.size() == 1)
        o += summary(rep.runs[0]);
    o += runs_table(rep);
    o += hist;
    o += heat;
    o += "</body>\n</html>\n";
    return o;
}

} // namespace dbvp::platform
