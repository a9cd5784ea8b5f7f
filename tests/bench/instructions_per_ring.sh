#!/usr/bin/env bash
# Instructions per host write (ring) through bench_doorbell's modelled path, counted by valgrind's callgrind:
# a count that does not depend on the machine's load (the wall-clock rates of docs/performance.md vary by
# +-20 % on a shared VM). Two runs of different length; the difference of their instruction totals divided by
# the difference of their rings, so elaboration, bring-up and drain cancel out.
#
# Usage: bash tests/bench/instructions_per_ring.sh [bench_doorbell flags, e.g. --doorbells=64 --backend=msi]
#        bash tests/bench/instructions_per_ring.sh --run [dbvp run flags, e.g. -f nvme -b poll -n 32]
# --run counts a whole `dbvp run` instead, at 1,000, 4,000 and 10,000 rings, and prints the instructions per ring
# from 1,000 to 4,000 and from 4,000 to 10,000: a cost per ring that grows with the run's length (a scan of all
# rings so far, a queue that only grows) shows as the second above the first.
# Environment: BUILD_DIR (default build/ in the source tree; bench_doorbell must be built there), SHORT and LONG
# (--benchmark_min_time of the two runs, default 0 and 1; the poll backend needs SHORT=0.3 or so, as one 20 us
# iteration under valgrind finds no slot yet). Needs valgrind (not a build or test dependency:
# `apt-get install valgrind`). Prints one line: instructions per ring, and the rings it is based on.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${BUILD_DIR:-$here/build}/tests/bench/bench_doorbell"
run_mode=0
if [ "${1:-}" = "--run" ]; then
    run_mode=1
    shift
    bin="${BUILD_DIR:-$here/build}/tb/dbvp"
fi
if ! command -v valgrind >/dev/null; then
    echo "instructions_per_ring: valgrind is not installed (apt-get install valgrind)" >&2
    exit 2
fi
if [ ! -x "$bin" ]; then
    echo "instructions_per_ring: $bin not found: build the $(basename "$bin") target first" >&2
    exit 2
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
measure() { # $1: min time -> "instructions rings"
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$bin" "${@:2}" --benchmark_min_time="$1" \
        --benchmark_repetitions=1 >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    local ir rings
    ir="$(sed -n 's/^summary: *//p' "$tmp/cg" | head -1)"
    rings="$(grep -o 'rings=[0-9.]*[kM]\?' "$tmp/out" | head -1 | cut -d= -f2)"
    echo "$ir $rings"
}
if [ "$run_mode" = 1 ]; then
    count() { # $1: rings -> instructions of `dbvp run ... -r $1`
        valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$bin" run "${@:2}" -r "$1" >"$tmp/out" \
            2>"$tmp/err" || { cat "$tmp/out" "$tmp/err" >&2; exit 1; }
        sed -n 's/^summary: *//p' "$tmp/cg" | head -1
    }
    a="$(count 1000 "$@")"
    b="$(count 4000 "$@")"
    c="$(count 10000 "$@")"
    python3 - "$a" "$b" "$c" "$*" <<'PY'
import sys
a, b, c = (int(x) for x in sys.argv[1:4])
first, second = (b - a) / 3000, (c - b) / 6000
print(f"{first:.0f} instructions per ring from 1,000 to 4,000 rings, {second:.0f} from 4,000 to 10,000 "
      f"({second / first:.2f}x; dbvp run {sys.argv[4]})")
PY
    exit 0
fi
read -r ir_a rings_a < <(measure "${SHORT:-0}" "$@")
read -r ir_b rings_b < <(measure "${LONG:-1}" "$@")
python3 - "$ir_a" "$rings_a" "$ir_b" "$rings_b" "$*" <<'PY'
import sys
def num(s):
    m = {'k': 1e3, 'M': 1e6}
    return float(s[:-1]) * m[s[-1]] if s[-1] in m else float(s)
ia, ra, ib, rb = int(sys.argv[1]), num(sys.argv[2]), int(sys.argv[3]), num(sys.argv[4])
if rb <= ra:
    sys.exit("instructions_per_ring: the longer run rang no more than the shorter one")
print(f"{(ib - ia) / (rb - ra):.0f} instructions per ring ({rb - ra:.0f} rings; bench_doorbell {sys.argv[5]})")
PY
