#!/usr/bin/env bash
# Fuzzing (issue 9): configures and builds the libFuzzer targets (tests/fuzz, clang), then runs each for a bounded
# time on a copy of its seed corpus. Exits non-zero if a target crashed (or violated an invariant, hung, ran out
# of memory or time); its input is kept under <build>/crashes/.
#
#   scripts/fuzz.sh                 fuzz every target for FUZZ_SECONDS seconds each
#   scripts/fuzz.sh regress         no fuzzing: run every target once on each seed file (a plain regression)
#   scripts/fuzz.sh fuzz its smmu   only the named targets (devicetree, its, iatu, smmu)
#
# Environment:
#   FUZZ_SECONDS      seconds per target (default 20)
#   FUZZ_BUILD_DIR    build directory (default <repo>/build-fuzz)
#   FUZZ_BUILD_JOBS   parallel build jobs (default: all processors)
#   FUZZ_NO_BUILD=1   use the binaries already in FUZZ_BUILD_DIR
#   FUZZ_ARGS         extra libFuzzer arguments for every target (e.g. "-jobs=2 -workers=2")
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$repo/build-fuzz}
seconds=${FUZZ_SECONDS:-20}
jobs=${FUZZ_BUILD_JOBS:-$(nproc)}
all_targets=(devicetree its iatu smmu)

mode=fuzz
if [ $# -gt 0 ] && { [ "$1" = fuzz ] || [ "$1" = regress ]; }; then
  mode=$1
  shift
fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  case " ${all_targets[*]} " in
    *" $t "*) ;;
    *) echo "fuzz.sh: unknown target '$t' (known: ${all_targets[*]})" >&2; exit 2 ;;
  esac
done

if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
  for tool in clang clang++; do
    command -v "$tool" >/dev/null || { echo "fuzz.sh: $tool not found (Debian: clang, libclang-rt-14-dev)" >&2; exit 2; }
  done
  echo "fuzz.sh: configure $build (clang, DBVP_FUZZ=ON)"
  start=$SECONDS
  mkdir -p "$build"
  CC=clang CXX=clang++ cmake -S "$repo" -B "$build" -DDBVP_FUZZ=ON -DDBVP_BUILD_TESTS=OFF >"$build/fuzz-configure.log" 2>&1 ||
    { cat "$build/fuzz-configure.log" >&2; echo "fuzz.sh: configure failed" >&2; exit 2; }
  echo "fuzz.sh: build target dbvp_fuzz (-j$jobs)"
  cmake --build "$build" --target dbvp_fuzz -j"$jobs" >"$build/fuzz-build.log" 2>&1 ||
    { tail -50 "$build/fuzz-build.log" >&2; echo "fuzz.sh: build failed ($build/fuzz-build.log)" >&2; exit 2; }
  echo "fuzz.sh: configured and built in $((SECONDS - start)) s"
fi

export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
bin_dir=$build/tests/fuzz
crashes=$build/crashes
logs=$build/fuzz-logs
mkdir -p "$crashes" "$logs"

# Seeds of a target: the committed corpus and what the build generated (preset DTBs, make_seeds).
seed_dirs() { echo "$repo/tests/fuzz/corpus/$1 $bin_dir/seeds/$1"; }

failed=()
summary=()
for t in "${targets[@]}"; do
  exe=$bin_dir/fuzz_$t
  [ -x "$exe" ] || { echo "fuzz.sh: $exe missing" >&2; exit 2; }
  log=$logs/$t.log
  extra=()
  # A platform may describe GiBs of RAM (calloc'ed, touched lazily): not an out-of-memory by itself.
  [ "$t" = devicetree ] && extra+=(-malloc_limit_mb=65536)
  start=$SECONDS
  touch "$log.start"
  if [ "$mode" = regress ]; then
    files=()
    for d in $(seed_dirs "$t"); do
      for f in "$d"/*; do [ -f "$f" ] && files+=("$f"); done
    done
    echo "fuzz.sh: regress $t: ${#files[@]} seed files"
    echo "  $exe -rss_limit_mb=2048 -timeout=10 ${extra[*]} <${#files[@]} files>"
    "$exe" -rss_limit_mb=2048 -timeout=10 "${extra[@]}" -artifact_prefix="$crashes/$t-" "${files[@]}" >"$log" 2>&1
    rc=$?
    what="${#files[@]} seeds"
  else
    corpus=$build/fuzz-corpus/$t
    rm -rf "$corpus"
    mkdir -p "$corpus"
    for d in $(seed_dirs "$t"); do
      [ -d "$d" ] && cp "$d"/* "$corpus"/ 2>/dev/null
    done
    echo "fuzz.sh: fuzz $t for $seconds s on a copy of $(find "$corpus" -type f | wc -l) seeds ($corpus)"
    # shellcheck disable=SC2086
    echo "  $exe -max_total_time=$seconds -rss_limit_mb=2048 -timeout=10 ${extra[*]} ${FUZZ_ARGS:-} $corpus"
    # shellcheck disable=SC2086
    "$exe" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "${extra[@]}" \
      -artifact_prefix="$crashes/$t-" ${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1
    rc=$?
    runs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
    what="${runs:-no summary}, ${cov:-no coverage line}, corpus $(find "$corpus" -type f | wc -l) inputs"
  fi
  took=$((SECONDS - start))
  if [ $rc -ne 0 ]; then
    failed+=("$t")
    summary+=("$t: FAILED (exit $rc) after $took s: $what")
    echo "fuzz.sh: $t FAILED (exit $rc); log $log; artifacts:"
    find "$crashes" -maxdepth 1 -name "$t-*" -newer "$log.start" | sed 's/^/  /'
    grep -E 'ERROR|INVARIANT|SUMMARY|dbvp-fuzz:' "$log" | head -20 | sed 's/^/  /'
  else
    summary+=("$t: ok in $took s: $what")
    echo "fuzz.sh: $t ok ($took s)"
  fi
done

echo "fuzz.sh: summary ($mode)"
for s in "${summary[@]}"; do echo "  $s"; done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: ${#failed[@]} target(s) failed: ${failed[*]} (inputs under $crashes; reproduce: $bin_dir/fuzz_<target> <file>)"
  exit 1
fi
exit 0
