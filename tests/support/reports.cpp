#include "reports.h"

#include <algorithm>
#include <cctype>
#include <gtest/gtest.h>
#include <systemc>

namespace dbvp::test {

namespace {
std::vector<expect_report*>& scopes() {
    static std::vector<expect_report*> s;
    return s;
}
std::vector<std::string>& seen() {
    static std::vector<std::string> s;
    return s;
}
std::vector<allow_guest_warnings*>& allowances() {
    static std::vector<allow_guest_warnings*> s;
    return s;
}
constexpr const char* guest_type = "dbvp/guest"; // dbvp::msg_guest (models/include/dbvp/core/report.h)

void handler(const sc_core::sc_report& rep, const sc_core::sc_actions& actions) {
    const auto sev = rep.get_severity();
    if (sev == sc_core::SC_INFO) {
        sc_core::sc_report_handler::default_handler(rep, actions & ~sc_core::SC_DISPLAY);
        return;
    }
    std::string text = std::string(rep.get_msg_type()) + ": " + rep.get_msg();
    const bool expected = match_expected(text);
    if (!expected && sev == sc_core::SC_WARNING && !allowances().empty() &&
        std::string(rep.get_msg_type()) == guest_type) {
        // Counted by the allowance, not kept in seen(): a soak raises millions of them.
        allowances().back()->take(text);
        sc_core::sc_report_handler::default_handler(rep, actions & ~sc_core::SC_DISPLAY);
        return;
    }
    seen().push_back(text);
    if (!expected)
        ADD_FAILURE() << "unexpected SystemC " << (sev == sc_core::SC_WARNING ? "warning" : "error") << ": "
                      << text;
    // Keep the default behaviour for errors (throw) so a failing model stops; never display warnings twice.
    sc_core::sc_report_handler::default_handler(rep, actions & ~sc_core::SC_DISPLAY);
}
} // namespace

bool match_expected(const std::string& text) {
    for (auto it = scopes().rbegin(); it != scopes().rend(); ++it) {
        if (text.find((*it)->pattern_) != std::string::npos) {
            ++(*it)->count_;
            return true;
        }
    }
    return false;
}

void install_report_handler() {
    sc_core::sc_report_handler::set_handler(handler);
    // Warnings must not stop the simulation; the handler turns them into test failures.
    sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_LOG);
    // Deprecation chatter from the kernel itself is not ours to fail on.
    sc_core::sc_report_handler::set_actions("/IEEE_Std_1666/deprecated", sc_core::SC_DO_NOTHING);
}

const std::vector<std::string>& reports() { return seen(); }

expect_report::expect_report(std::string pattern, unsigned min_count)
    : pattern_(std::move(pattern)), min_count_(min_count) {
    scopes().push_back(this);
}

expect_report::~expect_report() {
    scopes().erase(std::remove(scopes().begin(), scopes().end(), this), scopes().end());
    EXPECT_GE(count_, min_count_) << "expected SystemC report containing \"" << pattern_ << "\"";
}

allow_guest_warnings::allow_guest_warnings(std::size_t keep) : keep_(keep) { allowances().push_back(this); }

allow_guest_warnings::~allow_guest_warnings() {
    allowances().erase(std::remove(allowances().begin(), allowances().end(), this), allowances().end());
}

void allow_guest_warnings::take(const std::string& text) {
    ++count_;
    if (samples_.size() < keep_)
        samples_.push_back(text);
    // Kind: the text with every number (decimal, or hex after 0x) replaced by '#'.
    std::string kind;
    kind.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const char ch = text[i];
        if (ch == '0' && i + 1 < text.size() && (text[i + 1] == 'x' || text[i + 1] == 'X')) {
            i += 2;
            while (i < text.size() && std::isxdigit(static_cast<unsigned char>(text[i])))
                ++i;
            kind += '#';
        } else if (std::isdigit(static_cast<unsigned char>(ch))) {
            while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
                ++i;
            kind += '#';
        } else {
            kind += ch;
            ++i;
        }
    }
    auto it = kinds_.find(kind);
    if (it != kinds_.end())
        ++it->second;
    else if (kinds_.size() < 256)
        kinds_.emplace(std::move(kind), 1);
    else
        ++kinds_["(other)"];
}

std::string allow_guest_warnings::summary(std::size_t top) const {
    std::vector<std::pair<std::uint64_t, const std::string*>> v;
    for (const auto& [k, n] : kinds_)
        v.emplace_back(n, &k);
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::string s;
    for (std::size_t i = 0; i < v.size() && i < top; ++i)
        s += std::to_string(v[i].first) + "  " + *v[i].second + "\n";
    if (v.size() > top)
        s += "(" + std::to_string(v.size() - top) + " more kinds)\n";
    return s;
}

} // namespace dbvp::test
