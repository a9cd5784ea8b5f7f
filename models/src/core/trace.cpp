// dbvp — process-wide tracer: records in memory, writes Chrome trace-event JSON and VCD in finish(). See trace.h.
#include "dbvp/core/trace.h"

#include "dbvp/core/irq.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

namespace dbvp::trace {

namespace detail {
bool enabled = false;

namespace {
std::vector<const irq_out*>& lines() {
    static std::vector<const irq_out*> v;
    return v;
}
} // namespace

void add_line(const irq_out& line) { lines().push_back(&line); }

void remove_line(const irq_out& line) noexcept {
    auto& v = lines();
    for (std::size_t i = v.size(); i-- > 0;)
        if (v[i] == &line) {
            v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
            return;
        }
}
} // namespace detail

const char* to_string(track t) {
    switch (t) {
    case track::host: return "host";
    case track::link_down: return "link.down";
    case track::link_up: return "link.up";
    case track::pcie_ep: return "pcie_ep";
    case track::sid_glue: return "sid_glue";
    case track::smmu: return "smmu";
    case track::soc: return "soc";
    case track::its: return "its";
    case track::gic: return "gic";
    case track::cpu: return "cpu";
    case track::edma: return "edma";
    case track::count: break;
    }
    return "?";
}

namespace {

struct stored_arg {
    const char* key;
    arg::kind k;
    std::uint64_t u;
    std::string s;
};

struct record {
    std::uint64_t seq;
    bool is_span;
    track t;
    std::string name;
    std::uint64_t begin, end; // time values in the kernel's resolution
    std::vector<stored_arg> args;
};

enum class sig_kind : std::uint8_t { wire, event, integer };

struct signal {
    std::string name;
    sig_kind kind;
    std::string code;
    bool has_first = false;   // wires: the level before the first change is known
    bool first_level = false; // wires: that level
};

struct change {
    std::uint64_t at;
    std::uint64_t seq;
    std::uint32_t sig;
    std::uint32_t v;
};

struct state {
    std::string json_path, vcd_path;
    std::ofstream json, vcd;
    std::vector<record> records;
    std::vector<signal> signals;
    std::map<std::string, std::uint32_t> by_name;
    std::vector<change> changes;
    std::uint64_t seq = 0;
    // Time resolution, captured at the first record (the kernel fixed it by then) or in finish().
    bool have_res = false;
    std::uint64_t units_per_us = 1000000;
    std::string timescale = "1 ps";

    ~state() {
        if (detail::enabled) {
            try {
                finish();
            } catch (...) { // at exit: nothing left to tell
            }
        }
    }
};

state& st() {
    static state s;
    return s;
}

void capture_resolution(state& s) {
    if (s.have_res)
        return;
    s.have_res = true;
    s.units_per_us = sc_core::sc_time(1, sc_core::SC_US).value();
    s.timescale = sc_core::sc_get_time_resolution().to_string();
}

std::vector<stored_arg> store(std::initializer_list<arg> args) {
    std::vector<stored_arg> v;
    v.reserve(args.size());
    for (const arg& a : args)
        v.push_back(stored_arg{a.key, a.k, a.u, a.k == arg::kind::str ? std::string(a.s) : std::string()});
    return v;
}

std::uint32_t signal_of(state& s, const std::string& name, sig_kind kind) {
    std::string key = name;
    for (;;) {
        auto it = s.by_name.find(key);
        if (it == s.by_name.end())
            break;
        if (s.signals[it->second].kind == kind)
            return it->second;
        // The same name used for another kind of signal: keep both, the second under a suffixed name.
        key += kind == sig_kind::wire ? "_level" : kind == sig_kind::event ? "_pulse" : "_value";
    }
    const auto id = static_cast<std::uint32_t>(s.signals.size());
    s.signals.push_back(signal{key, kind, {}, false, false});
    s.by_name.emplace(key, id);
    return id;
}

void add_change(const std::string& name, sig_kind kind, std::uint32_t v, const sc_core::sc_time& at) {
    state& s = st();
    capture_resolution(s);
    const std::uint32_t id = signal_of(s, name, kind);
    signal& sg = s.signals[id];
    if (kind == sig_kind::wire && !sg.has_first) { // not a line known at start(): it was at the other level
        sg.has_first = true;
        sg.first_level = v == 0;
    }
    s.changes.push_back(change{at.value(), s.seq++, id, v});
}

// ---- Formatting --------------------------------------------------------------------------------------------

void append_escaped(std::string& out, const std::string& text) {
    out += '"';
    for (const char c : text) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char b[8];
                std::snprintf(b, sizeof b, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
                out += b;
            } else {
                out += c;
            }
        }
    }
    out += '"';
}

void append_u64(std::string& out, std::uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "%llu", static_cast<unsigned long long>(v));
    out += b;
}

/// A time value (kernel resolution units) in microseconds, exactly (decimal digits, trailing zeros dropped).
void append_us(std::string& out, std::uint64_t v, std::uint64_t units_per_us) {
    if (units_per_us == 0) { // resolution coarser than 1 us (unlikely): approximate
        char b[40];
        std::snprintf(b, sizeof b, "%.6f", sc_core::sc_time::from_value(v).to_seconds() * 1e6);
        out += b;
        return;
    }
    append_u64(out, v / units_per_us);
    std::uint64_t frac = v % units_per_us;
    if (frac == 0)
        return;
    unsigned digits = 0;
    for (std::uint64_t u = units_per_us; u > 1; u /= 10)
        ++digits;
    char b[24];
    std::snprintf(b, sizeof b, "%0*llu", static_cast<int>(digits), static_cast<unsigned long long>(frac));
    std::string f = b;
    while (!f.empty() && f.back() == '0')
        f.pop_back();
    out += '.';
    out += f;
}

void append_args(std::string& out, const std::vector<stored_arg>& args) {
    out += "\"args\":{";
    bool first = true;
    for (const stored_arg& a : args) {
        if (!first)
            out += ',';
        first = false;
        append_escaped(out, a.key);
        out += ':';
        switch (a.k) {
        case arg::kind::u64: append_u64(out, a.u); break;
        case arg::kind::i64: {
            char b[24];
            std::snprintf(b, sizeof b, "%lld", static_cast<long long>(static_cast<std::int64_t>(a.u)));
            out += b;
            break;
        }
        case arg::kind::hex: {
            char b[24];
            std::snprintf(b, sizeof b, "\"0x%llx\"", static_cast<unsigned long long>(a.u));
            out += b;
            break;
        }
        case arg::kind::str: append_escaped(out, a.s); break;
        case arg::kind::boolean: out += a.u ? "true" : "false"; break;
        }
    }
    out += '}';
}

constexpr unsigned pid = 1;
constexpr unsigned lane_tid_stride = 100;

unsigned tid_of(track t, unsigned lane) { return static_cast<unsigned>(t) + 1 + lane * lane_tid_stride; }

std::string chrome_json(state& s) {
    // Order: begin time, then the longer first (a parent before what nests in it), then recording order.
    std::vector<const record*> order;
    order.reserve(s.records.size());
    for (const record& r : s.records)
        order.push_back(&r);
    std::stable_sort(order.begin(), order.end(), [](const record* a, const record* b) {
        if (a->begin != b->begin)
            return a->begin < b->begin;
        if (a->end != b->end)
            return a->end > b->end;
        return a->seq < b->seq;
    });
    // Lanes: a span goes to the first lane of its track where it nests in (or follows) what is open there.
    constexpr unsigned ntracks = static_cast<unsigned>(track::count);
    std::vector<std::vector<std::vector<std::uint64_t>>> open(ntracks); // [track][lane] = stack of end times
    std::vector<unsigned> rec_lane(s.records.size(), 0);
    auto lane_of = [&](const record* r) -> unsigned& {
        return rec_lane[static_cast<std::size_t>(r - s.records.data())];
    };
    std::vector<unsigned> lanes_used(ntracks, 0);
    for (const record* r : order) {
        const auto t = static_cast<unsigned>(r->t);
        unsigned l = 0;
        if (r->is_span) {
            auto& lanes = open[t];
            for (;; ++l) {
                if (l == lanes.size())
                    lanes.emplace_back();
                auto& stack = lanes[l];
                while (!stack.empty() && stack.back() <= r->begin)
                    stack.pop_back();
                if (stack.empty() || stack.back() >= r->end) {
                    stack.push_back(r->end);
                    break;
                }
            }
        }
        lane_of(r) = l;
        lanes_used[t] = std::max(lanes_used[t], l + 1);
    }

    std::string out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
    out += "{\"ph\":\"M\",\"pid\":1,\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":\"dbvp\"}}";
    for (unsigned t = 0; t < ntracks; ++t) {
        for (unsigned lane = 0; lane < lanes_used[t]; ++lane) {
            std::string name = to_string(static_cast<track>(t));
            if (lane)
                name += " (" + std::to_string(lane + 1) + ")";
            const unsigned tid = tid_of(static_cast<track>(t), lane);
            out += ",\n{\"ph\":\"M\",\"pid\":1,\"tid\":" + std::to_string(tid) +
                   ",\"name\":\"thread_name\",\"args\":{\"name\":";
            append_escaped(out, name);
            out += "}}";
            out += ",\n{\"ph\":\"M\",\"pid\":1,\"tid\":" + std::to_string(tid) +
                   ",\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":" +
                   std::to_string((t + 1) * lane_tid_stride + lane) + "}}";
        }
    }
    for (const record* r : order) {
        out += ",\n{\"ph\":";
        out += r->is_span ? "\"X\"" : "\"i\",\"s\":\"t\"";
        out += ",\"pid\":" + std::to_string(pid) + ",\"tid\":" + std::to_string(tid_of(r->t, lane_of(r)));
        out += ",\"ts\":";
        append_us(out, r->begin, s.units_per_us);
        if (r->is_span) {
            out += ",\"dur\":";
            append_us(out, r->end > r->begin ? r->end - r->begin : 0, s.units_per_us);
        }
        out += ",\"cat\":";
        append_escaped(out, to_string(r->t));
        out += ",\"name\":";
        append_escaped(out, r->name);
        out += ',';
        append_args(out, r->args);
        out += '}';
    }
    out += "\n]}\n";
    return out;
}

std::string vcd_code(std::uint32_t i) {
    std::string c;
    do {
        c += static_cast<char>('!' + i % 94);
        i /= 94;
    } while (i);
    return c;
}

std::string vcd_text(state& s) {
    // Declarations: a $scope per dotted name component, names sorted.
    std::vector<std::uint32_t> ids(s.signals.size());
    for (std::uint32_t i = 0; i < ids.size(); ++i) {
        ids[i] = i;
        s.signals[i].code = vcd_code(i);
    }
    std::sort(ids.begin(), ids.end(),
              [&](std::uint32_t a, std::uint32_t b) { return s.signals[a].name < s.signals[b].name; });
    auto split = [](const std::string& n) {
        std::vector<std::string> parts;
        std::size_t start = 0;
        for (;;) {
            const std::size_t dot = n.find('.', start);
            if (dot == std::string::npos) {
                parts.push_back(n.substr(start));
                return parts;
            }
            parts.push_back(n.substr(start, dot - start));
            start = dot + 1;
        }
    };
    std::string out = "$version dbvp $end\n$timescale " + s.timescale + " $end\n$scope module dbvp $end\n";
    std::vector<std::string> scope;
    for (const std::uint32_t id : ids) {
        const signal& sg = s.signals[id];
        std::vector<std::string> parts = split(sg.name);
        const std::string leaf = parts.back();
        parts.pop_back();
        std::size_t common = 0;
        while (common < scope.size() && common < parts.size() && scope[common] == parts[common])
            ++common;
        while (scope.size() > common) {
            out += "$upscope $end\n";
            scope.pop_back();
        }
        for (std::size_t k = common; k < parts.size(); ++k) {
            out += "$scope module " + parts[k] + " $end\n";
            scope.push_back(parts[k]);
        }
        const char* type = sg.kind == sig_kind::wire ? "wire 1" : sg.kind == sig_kind::event ? "event 1" : "integer 32";
        out += std::string("$var ") + type + " " + sg.code + " " + leaf + " $end\n";
    }
    while (!scope.empty()) {
        out += "$upscope $end\n";
        scope.pop_back();
    }
    out += "$upscope $end\n$enddefinitions $end\n#0\n$dumpvars\n";
    for (const std::uint32_t id : ids) {
        const signal& sg = s.signals[id];
        if (sg.kind == sig_kind::wire)
            out += std::string(sg.first_level ? "1" : "0") + sg.code + "\n";
        else if (sg.kind == sig_kind::integer)
            out += "bx " + sg.code + "\n";
    }
    out += "$end\n";
    std::vector<change> ch = s.changes;
    std::stable_sort(ch.begin(), ch.end(), [](const change& a, const change& b) {
        return a.at != b.at ? a.at < b.at : a.seq < b.seq;
    });
    std::uint64_t now = 0; // #0 is written
    for (const change& c : ch) {
        if (c.at != now) {
            now = c.at;
            out += "#" + std::to_string(now) + "\n";
        }
        const signal& sg = s.signals[c.sig];
        switch (sg.kind) {
        case sig_kind::wire: out += std::string(c.v ? "1" : "0") + sg.code + "\n"; break;
        case sig_kind::event: out += "1" + sg.code + "\n"; break;
        case sig_kind::integer: {
            std::string bits;
            std::uint32_t v = c.v;
            do {
                bits.insert(bits.begin(), static_cast<char>('0' + (v & 1)));
                v >>= 1;
            } while (v);
            out += "b" + bits + " " + sg.code + "\n";
            break;
        }
        }
    }
    return out;
}

/// A wire for every live interrupt line that has none yet, at its present level (at start(): its level from then
/// on until its first change; at finish(): a line created meanwhile that never changed). In name order: the
/// declaration order must not depend on where the lines live in memory.
void declare_lines(state& s) {
    std::vector<std::pair<std::string, bool>> known;
    for (const irq_out* l : detail::lines())
        known.emplace_back(l->name(), l->level());
    std::sort(known.begin(), known.end());
    for (const auto& [name, level] : known) {
        if (s.by_name.count(name))
            continue;
        signal& sg = s.signals[signal_of(s, name, sig_kind::wire)];
        sg.has_first = true;
        sg.first_level = level;
    }
}

void write_file(std::ofstream& f, const std::string& path, const std::string& text) {
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    f.close();
    if (!f)
        throw std::runtime_error("trace: cannot write " + path);
}

} // namespace

void start(const std::string& chrome_json_path, const std::string& vcd_path) {
    if (detail::enabled)
        finish();
    state& s = st();
    std::ofstream json, vcd;
    if (!chrome_json_path.empty()) {
        json.open(chrome_json_path, std::ios::binary | std::ios::trunc);
        if (!json)
            throw std::runtime_error("trace: cannot open " + chrome_json_path + " for writing");
    }
    if (!vcd_path.empty()) {
        vcd.open(vcd_path, std::ios::binary | std::ios::trunc);
        if (!vcd)
            throw std::runtime_error("trace: cannot open " + vcd_path + " for writing");
    }
    s.json_path = chrome_json_path;
    s.vcd_path = vcd_path;
    s.json = std::move(json);
    s.vcd = std::move(vcd);
    s.records.clear();
    s.signals.clear();
    s.by_name.clear();
    s.changes.clear();
    s.seq = 0;
    declare_lines(s);
    detail::enabled = true;
}

void finish() {
    if (!detail::enabled)
        return;
    detail::enabled = false;
    state& s = st();
    std::string json_text, vcd_out;
    if (s.json.is_open())
        json_text = chrome_json(s);
    if (s.vcd.is_open()) {
        declare_lines(s);
        vcd_out = vcd_text(s);
    }
    s.records.clear();
    s.signals.clear();
    s.by_name.clear();
    s.changes.clear();
    std::string error;
    if (s.json.is_open()) {
        try {
            write_file(s.json, s.json_path, json_text);
        } catch (const std::runtime_error& e) {
            error = e.what();
        }
    }
    if (s.vcd.is_open()) {
        try {
            write_file(s.vcd, s.vcd_path, vcd_out);
        } catch (const std::runtime_error& e) {
            if (error.empty())
                error = e.what();
        }
    }
    if (!error.empty())
        throw std::runtime_error(error);
}

void span(track t, const char* name, const sc_core::sc_time& begin, const sc_core::sc_time& end,
          std::initializer_list<arg> args) {
    if (!detail::enabled)
        return;
    state& s = st();
    capture_resolution(s);
    s.records.push_back(record{s.seq++, true, t, name, begin.value(), end.value(), store(args)});
}

void instant(track t, const char* name, const sc_core::sc_time& at, std::initializer_list<arg> args) {
    if (!detail::enabled)
        return;
    state& s = st();
    capture_resolution(s);
    s.records.push_back(record{s.seq++, false, t, name, at.value(), at.value(), store(args)});
}

void wire(const std::string& signal, bool level, const sc_core::sc_time& at) {
    if (detail::enabled)
        add_change(signal, sig_kind::wire, level ? 1 : 0, at);
}

void pulse(const std::string& signal, const sc_core::sc_time& at) {
    if (detail::enabled)
        add_change(signal, sig_kind::event, 1, at);
}

void value(const std::string& signal, std::uint32_t v, const sc_core::sc_time& at) {
    if (detail::enabled)
        add_change(signal, sig_kind::integer, v, at);
}

std::size_t recorded_events() { return st().records.size(); }
std::size_t recorded_changes() { return st().changes.size(); }

} // namespace dbvp::trace
