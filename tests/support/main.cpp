// Test entry: our own main() silences the SystemC banner (so gtest_discover_tests sees a clean test list)
// and hands over to SystemC, whose sc_main() runs the GoogleTest suite. SystemC warnings and errors fail the
// running test unless it declared them expected (see reports.h).
#include "reports.h"

#include <cstdlib>
#include <gtest/gtest.h>
#include <systemc>

int sc_main(int argc, char* argv[]) {
    ::testing::InitGoogleTest(&argc, argv);
    dbvp::test::install_report_handler();
    return RUN_ALL_TESTS();
}

int main(int argc, char* argv[]) {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    return sc_core::sc_elab_and_sim(argc, argv);
}
