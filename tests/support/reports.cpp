#include "reports.h"

#include <algorithm>
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

void handler(const sc_core::sc_report& rep, const sc_core::sc_actions& actions) {
    const auto sev = rep.get_severity();
    if (sev == sc_core::SC_INFO) {
        sc_core::sc_report_handler::default_handler(rep, actions & ~sc_core::SC_DISPLAY);
        return;
    }
    std::string text = std::string(rep.get_msg_type()) + ": " + rep.get_msg();
    seen().push_back(text);
    if (!match_expected(text))
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

} // namespace dbvp::test
