#!/usr/bin/env bash
# run_benchmarks.sh — issue 8's one benchmark command: build the benchmarks, run every configuration, keep the Google
# Benchmark JSON under docs/bench/, record the machine, regenerate the results block of docs/performance.md.
#
#   bash tests/bench/run_benchmarks.sh            full: --benchmark_min_time=0.5, 3 repetitions (medians)
#   bash tests/bench/run_benchmarks.sh --quick    --benchmark_min_time=0.05, 1 repetition
#
# Environment: BUILD_DIR (default build-bench/ in the source tree), BUILD_TYPE (default RelWithDebInfo, the project's
# default build type), MIN_TIME and REPETITIONS (override the mode's values), JOBS (build parallelism, default nproc).
#
# Steps: configure $BUILD_DIR (-DCMAKE_BUILD_TYPE=$BUILD_TYPE) and build bench_blocks, bench_cosim, bench_run,
# bench_doorbell and bench_report; run
#   bench_blocks (every benchmark)                                  -> docs/bench/blocks.json
#   bench_cosim                                                     -> docs/bench/cosim.json
#   bench_doorbell --backend=msi|embedded|poll (defaults)           -> docs/bench/doorbell-<backend>.json
#   bench_doorbell --backend=msi --doorbells=1|16|256|4096|65536    -> docs/bench/doorbell-msi-doorbells-<N>.json
#   bench_doorbell --backend=msi --windows=2|8|32|128|256           -> docs/bench/doorbell-msi-windows-<N>.json
#   bench_doorbell --backend=msi --functions=1|2|4|8                -> docs/bench/doorbell-msi-functions-<N>.json
#   bench_run (whole dbvp runs)                                     -> docs/bench/run.json
# each with --benchmark_out=<file> --benchmark_out_format=json --benchmark_repetitions=<n>
# --benchmark_report_aggregates_only=true --benchmark_min_time=<t>; then write docs/bench/machine.json (nproc, CPU
# model, compiler, build type, load, how the run was made, what failed) and run bench_report, which rewrites the
# text between <!-- bench:begin --> and <!-- bench:end --> in docs/performance.md and prints a check summary.
#
# A configuration that fails (non-zero exit, or a benchmark that reported an error) is reported with the end of its
# log and the script goes on; it exits 1 at the end if anything failed (2 for a bad command line). The console
# output of every program is kept in $BUILD_DIR/bench-logs/<name>.log. Numbers are measurements, never asserted.
set -uo pipefail

usage() {
    sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

quick=0
for arg in "$@"; do
    case $arg in
    --quick) quick=1 ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        echo "run_benchmarks.sh: unknown argument '$arg'" >&2
        usage >&2
        exit 2
        ;;
    esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
BUILD_DIR=${BUILD_DIR:-build-bench}
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}
JOBS=${JOBS:-$(nproc)}
if ((quick)); then
    mode=quick
    MIN_TIME=${MIN_TIME:-0.05}
    REPETITIONS=${REPETITIONS:-1}
else
    mode=full
    MIN_TIME=${MIN_TIME:-0.5}
    REPETITIONS=${REPETITIONS:-3}
fi
OUT_DIR=docs/bench
DOC=docs/performance.md
LOG_DIR=$BUILD_DIR/bench-logs
TMP_DIR=$BUILD_DIR/bench-out
BENCH_BIN=$BUILD_DIR/tests/bench
command_line="bash tests/bench/run_benchmarks.sh${*:+ $*}"
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1

start=$SECONDS
started_at=$(date -u +%Y-%m-%dT%H:%M:%S+00:00)
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
failed=()     # "<config>\t<why>"
exit_status=0

note_failure() { # config why
    failed+=("$1"$'\t'"$2")
    exit_status=1
}

# ---- build ---------------------------------------------------------------------------------------------------------
targets=(bench_blocks bench_cosim bench_run bench_doorbell bench_report)
echo "== configure $BUILD_DIR ($BUILD_TYPE)"
mkdir -p "$LOG_DIR" "$TMP_DIR" "$OUT_DIR" || exit 1
if ! cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >"$LOG_DIR/configure.log" 2>&1; then
    tail -n 30 "$LOG_DIR/configure.log" >&2
    echo "run_benchmarks.sh: configuring $BUILD_DIR failed (log: $LOG_DIR/configure.log)" >&2
    exit 1
fi
echo "== build ${targets[*]} (-j$JOBS)"
build_start=$SECONDS
if ! cmake --build "$BUILD_DIR" -j"$JOBS" --target "${targets[@]}" >"$LOG_DIR/build.log" 2>&1; then
    # One at a time, so that what builds still runs.
    for t in "${targets[@]}"; do
        if ! cmake --build "$BUILD_DIR" -j"$JOBS" --target "$t" >"$LOG_DIR/build-$t.log" 2>&1; then
            grep -m 10 -E 'error|Error' "$LOG_DIR/build-$t.log" >&2
            echo "run_benchmarks.sh: building $t failed (log: $LOG_DIR/build-$t.log)" >&2
            note_failure "build $t" "build failed"
        fi
    done
fi
echo "   built in $((SECONDS - build_start)) s"

# ---- benchmarks ----------------------------------------------------------------------------------------------------
configs=( # name program arguments...
    "blocks bench_blocks"
    "cosim bench_cosim"
    "doorbell-msi bench_doorbell --backend=msi"
    "doorbell-embedded bench_doorbell --backend=embedded"
    "doorbell-poll bench_doorbell --backend=poll"
)
for n in 1 16 256 4096 65536; do configs+=("doorbell-msi-doorbells-$n bench_doorbell --backend=msi --doorbells=$n"); done
for n in 2 8 32 128 256; do configs+=("doorbell-msi-windows-$n bench_doorbell --backend=msi --windows=$n"); done
for n in 1 2 4 8; do configs+=("doorbell-msi-functions-$n bench_doorbell --backend=msi --functions=$n"); done
configs+=("run bench_run")

echo "== run ${#configs[@]} configurations (min_time $MIN_TIME s, $REPETITIONS repetition(s); JSON in $OUT_DIR/)"
bench_start=$SECONDS
i=0
for entry in "${configs[@]}"; do
    read -r -a words <<<"$entry"
    name=${words[0]} prog=${words[1]}
    args=("${words[@]:2}")
    i=$((i + 1))
    out=$OUT_DIR/$name.json tmp=$TMP_DIR/$name.json log=$LOG_DIR/$name.log
    printf '[%2d/%d] %-26s %s\n' "$i" "${#configs[@]}" "$name" "$prog ${args[*]}"
    rm -f "$tmp"
    if [[ ! -x $BENCH_BIN/$prog ]]; then
        echo "       FAILED: $BENCH_BIN/$prog was not built" >&2
        note_failure "$name" "not built"
        rm -f "$out"
        continue
    fi
    t0=$SECONDS
    "$BENCH_BIN/$prog" "${args[@]}" --benchmark_out="$tmp" --benchmark_out_format=json \
        --benchmark_repetitions="$REPETITIONS" --benchmark_report_aggregates_only=true \
        --benchmark_min_time="$MIN_TIME" >"$log" 2>&1
    rc=$?
    why=
    if ((rc != 0)); then
        why="exit $rc"
    elif [[ ! -s $tmp ]]; then
        why="no JSON written"
    elif grep -q '"error_occurred": true' "$tmp"; then
        why="benchmark error: $(grep -m 1 -o '"error_message": "[^"]*"' "$tmp" | cut -d'"' -f4)"
    fi
    # Keep what was measured when the JSON is complete (a failed post-check); never leave an older result in place.
    if [[ -s $tmp && $(tail -c 16 "$tmp" | tr -d '[:space:]') == *"}" ]]; then
        mv -f "$tmp" "$out"
    else
        rm -f "$out"
    fi
    grep -E '^BM_' "$log" | grep -v -E '_(mean|stddev|cv) ' | sed 's/^/       /'
    if [[ -n $why ]]; then
        echo "       FAILED ($why); end of $log:" >&2
        tail -n 12 "$log" | sed 's/^/       | /' >&2
        note_failure "$name" "$why"
    else
        echo "       ok ($((SECONDS - t0)) s)"
    fi
done
bench_seconds=$((SECONDS - bench_start))

# ---- machine.json --------------------------------------------------------------------------------------------------
json_str() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\t'/ }
    printf '"%s"' "$s"
}
cache_value() { # NAME: the value of a CMakeCache.txt entry
    sed -n "s/^$1:[A-Z]*=//p" "$BUILD_DIR/CMakeCache.txt" 2>/dev/null | head -n 1
}
cpu_model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
cpu_mhz=$(sed -n 's/^cpu MHz[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
cxx=$(cache_value CMAKE_CXX_COMPILER)
compiler=$([[ -n $cxx ]] && "$cxx" --version 2>/dev/null | head -n 1)
systemc=$(pkg-config --modversion systemc 2>/dev/null)
gbench=$(dpkg-query -W -f='${Version}' libbenchmark-dev 2>/dev/null)
gbench_build=$(grep -h -m 1 -o '"library_build_type": "[a-z]*"' "$OUT_DIR"/*.json 2>/dev/null | head -n 1 | cut -d'"' -f4)
{
    echo "{"
    echo "  \"date\": $(json_str "$started_at"),"
    echo "  \"nproc\": $(nproc),"
    echo "  \"cpu_model\": $(json_str "${cpu_model:-unknown}"),"
    echo "  \"cpu_mhz\": $(json_str "${cpu_mhz:-unknown}"),"
    echo "  \"kernel\": $(json_str "$(uname -sr)"),"
    echo "  \"compiler\": $(json_str "${compiler:-unknown}"),"
    echo "  \"build_type\": $(json_str "$(cache_value CMAKE_BUILD_TYPE)"),"
    echo "  \"systemc\": $(json_str "${systemc:-unknown}"),"
    echo "  \"benchmark_library\": $(json_str "${gbench:-unknown}${gbench_build:+ (built as $gbench_build)}"),"
    echo "  \"load_avg\": $(json_str "$load_at_start"),"
    echo "  \"mode\": $(json_str "$mode"),"
    echo "  \"min_time\": $(json_str "$MIN_TIME"),"
    echo "  \"repetitions\": $REPETITIONS,"
    echo "  \"command\": $(json_str "$command_line"),"
    echo "  \"bench_seconds\": $bench_seconds,"
    echo -n "  \"failed\": ["
    sep=
    for f in "${failed[@]}"; do
        echo -n "$sep{\"config\": $(json_str "${f%%$'\t'*}"), \"why\": $(json_str "${f#*$'\t'}")}"
        sep=", "
    done
    echo "]"
    echo "}"
} >"$OUT_DIR/machine.json"

# ---- the report ----------------------------------------------------------------------------------------------------
echo "== bench_report -> $DOC"
if [[ -x $BENCH_BIN/bench_report ]]; then
    if ! "$BENCH_BIN/bench_report" --dir "$OUT_DIR" --doc "$DOC"; then
        echo "run_benchmarks.sh: bench_report failed" >&2
        exit_status=1
    fi
else
    echo "run_benchmarks.sh: bench_report was not built; $DOC not regenerated" >&2
    exit_status=1
fi

echo "== done in $((SECONDS - start)) s (benchmarks $bench_seconds s, $mode)"
if ((${#failed[@]})); then
    echo "failed:" >&2
    for f in "${failed[@]}"; do echo "  ${f%%$'\t'*}: ${f#*$'\t'}" >&2; done
fi
exit "$exit_status"
