// Test support: SystemC reports become test failures.
//
// Every SC_WARNING, SC_ERROR or SC_FATAL raised while a test runs is a failure of that test, unless the test
// declared it with an expect_report scope whose pattern is a substring of the report's message. A scope also
// fails the test if the reports it expects never arrive (at least `min_count` of them).
//
// Soak tests that program models at random (tests/models/test_guest_random.cpp) raise guest warnings by the
// thousand; they install an allow_guest_warnings scope, which accepts (and counts) any number of guest warnings
// and nothing else.
#pragma once

#include <cstdint>
#include <map>
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

/// Scoped allowance for guest warnings: while it lives, any number of SC_WARNINGs of message type "dbvp/guest"
/// (dbvp::guest_warning(): software mis-programming a model) are accepted and counted instead of failing the
/// test. Everything else still fails it as usual: SC_ERROR and SC_FATAL of any message type, and warnings of
/// any other type. An active expect_report scope whose pattern matches a guest warning takes it first.
/// Accepted warnings are not kept in reports() (a soak raises millions of them): only the first `keep` texts
/// (samples()) and a count per kind (kinds(): the text with every number replaced by '#', at most 256 kinds,
/// the rest counted under "(other)"). Scopes nest; the innermost one counts.
class allow_guest_warnings {
public:
    explicit allow_guest_warnings(std::size_t keep = 16);
    ~allow_guest_warnings();
    allow_guest_warnings(const allow_guest_warnings&) = delete;
    allow_guest_warnings& operator=(const allow_guest_warnings&) = delete;
    /// Guest warnings accepted so far by this scope.
    std::uint64_t count() const { return count_; }
    const std::vector<std::string>& samples() const { return samples_; }
    const std::map<std::string, std::uint64_t>& kinds() const { return kinds_; }
    /// The most frequent kinds, one per line ("count  text"), for test logs.
    std::string summary(std::size_t top = 12) const;

    /// Called by the report handler for a guest warning no expect_report scope took.
    void take(const std::string& text);

private:
    std::size_t keep_;
    std::uint64_t count_ = 0;
    std::vector<std::string> samples_;
    std::map<std::string, std::uint64_t> kinds_;
};

} // namespace dbvp::test
