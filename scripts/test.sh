#!/usr/bin/env bash
# The README's test command (and CI's, through .ci/run): installs what is missing, then
#   1. builds with warnings as errors and runs every test (build/);
#   2. builds again with AddressSanitizer and UndefinedBehaviorSanitizer and runs every test (build-asan/);
#   3. (stage "fuzz", not in the default set yet) builds the libFuzzer targets with clang and runs each on its seed
#      corpus and for a short, bounded time (scripts/fuzz.sh).
# DBVP_TEST_STAGES selects stages (default "plain asan"). Exits non-zero at the first failing stage.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
stages=${DBVP_TEST_STAGES:-plain asan}

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

asan() {
    # Benchmarks and the exported-package check say nothing more under the sanitizers; everything else runs.
    cmake -S . -B build-asan -DDBVP_WERROR=ON -DDBVP_SANITIZE=address,undefined
    cmake --build build-asan -j"$jobs"
    # No leak check: a simulation ends with its SC_THREADs suspended (the firmware loops forever), and what their
    # stacks hold is never destroyed; LeakSanitizer does not scan those stacks and would call it all leaked. No
    # stack-use-after-return check: SystemC switches stacks (QuickThreads).
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:detect_stack_use_after_return=0 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan -j"$jobs" --output-on-failure -E '^(Bench\.|Package\.)'
}

fuzz() {
    if [ ! -f scripts/fuzz.sh ]; then
        echo "test.sh: stage fuzz: scripts/fuzz.sh is not in this checkout" >&2
        return 1
    fi
    bash scripts/fuzz.sh
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
