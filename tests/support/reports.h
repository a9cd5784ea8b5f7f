// Test support: SystemC reports become test failures.
//
// Every SC_WARNING, SC_ERROR or SC_FATAL raised while a test runs is a failure of that test, unless the test
// declared it with an expect_report scope whose pattern is a substring of the report's message. A scope also
// fails the test if the reports it expects never arrive (at least `min_count` of them).
#pragma once

#include <string>
#include <vector>

namespace dbvp::test {

void install_report_handler();
/// True when an active expect_report scope covers this report text (and counts it).
bool match_expected(const std::string& text);

/// All reports (warnings and above) seen so far in this process, as "type: message".
const std::vector<std::string>& reports();

class expect_report {
public:
    explicit expect_report(std::string pattern, unsigned min_count = 1);
    ~expect_report();
    expect_report(const expect_report&) = delete;
    expect_report& operator=(const expect_report&) = delete;
    unsigned count() const { return count_; }

private:
    friend bool match_expected(const std::string&);
    std::string pattern_;
    unsigned min_count_;
    unsigned count_ = 0;
};

} // namespace dbvp::test
