#!/usr/bin/env bash
# The README's test command (and CI's, through .ci/run): installs what is missing, then
#   1. plain: builds with GCC, warnings as errors, and runs every test and benchmark smoke test (build/);
#   2. asan:  builds again with clang, AddressSanitizer and UndefinedBehaviorSanitizer, the libFuzzer targets in the
#             same tree (tests/fuzz), and runs every test once more, the fuzz targets' seed regressions among them
#             (build-asan/; -O1, no benchmarks: they measure nothing under instrumentation);
#   3. fuzz:  runs each libFuzzer target of build-asan for a short, bounded time (scripts/fuzz.sh; FUZZ_SECONDS).
# DBVP_TEST_STAGES selects stages (default "plain asan fuzz"). Exits non-zero at the first failing stage.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
stages=${DBVP_TEST_STAGES:-plain asan fuzz}

stage() { # name, command...
    local name=$1 start=$SECONDS
    shift
    echo "== test.sh: $name"
    "$@"
    echo "== test.sh: $name passed in $((SECONDS - start)) s"
}

plain() {
    cmake -S . -B build -DDBVP_WERROR=ON
    cmake --build build -j"$jobs"
    ctest --test-dir build -j"$jobs" --output-on-failure
}

# The sanitizer tree: clang (the fuzz targets need libFuzzer), -O1 with line tables (a third of -O2's compile time,
# stack traces still name lines), the project libraries instrumented for the fuzzers too.
asan_configure() {
    if [ -f build-asan/CMakeCache.txt ] && ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang' build-asan/CMakeCache.txt; then
        echo "test.sh: build-asan was configured with another compiler: starting it afresh"
        rm -rf build-asan
    fi
    CC=clang CXX=clang++ cmake -S . -B build-asan -DDBVP_WERROR=ON -DDBVP_SANITIZE=address,undefined -DDBVP_FUZZ=ON \
        -DDBVP_BUILD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
}

asan() {
    asan_configure
    cmake --build build-asan -j"$jobs"
    # No leak check: a simulation ends with its SC_THREADs suspended (the firmware loops forever), and what their
    # stacks hold is never destroyed; LeakSanitizer does not scan those stacks and would call it all leaked. No
    # stack-use-after-return check: SystemC switches stacks (QuickThreads). The exported-package check says nothing
    # more under the sanitizers.
    # The conservation soak rings 200,000 of its million doorbells here (every combination still runs; the plain
    # stage rings them all): each run is several times slower instrumented.
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:detect_stack_use_after_return=0 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 DBVP_SOAK_RINGS=200000 DBVP_SOAK_BUDGET_S=280 \
        ctest --test-dir build-asan -j"$jobs" --output-on-failure -E '^Package\.'
}

fuzz() {
    asan_configure
    cmake --build build-asan -j"$jobs" --target dbvp_fuzz
    FUZZ_NO_BUILD=1 FUZZ_BUILD_DIR=$PWD/build-asan bash scripts/fuzz.sh
}

bash scripts/setup.sh
total=$SECONDS
for s in $stages; do
    case $s in
    plain | asan | fuzz) stage "$s" "$s" ;;
    *)
        echo "test.sh: unknown stage '$s' in DBVP_TEST_STAGES (plain, asan, fuzz)" >&2
        exit 2
        ;;
    esac
done
echo "== test.sh: all stages passed in $((SECONDS - total)) s"
