#!/usr/bin/env bash
# Instructions per host write (ring) through bench_doorbell's modelled path, counted by valgrind's callgrind:
# a count that does not depend on the machine's load (the wall-clock rates of docs/performance.md vary by
# +-20 % on a shared VM). Two runs of different length; the difference of their instruction totals divided by
# the difference of their rings, so elaboration, bring-up and drain cancel out.
#
# Usage: bash tests/bench/instructions_per_ring.sh [bench_doorbell flags, e.g. --doorbells=64 --backend=msi]
# Environment: BUILD_DIR (default build/ in the source tree; bench_doorbell must be built there), SHORT and LONG
# (--benchmark_min_time of the two runs, default 0 and 1; the poll backend needs SHORT=0.3 or so, as one 20 us
# iteration under valgrind finds no slot yet). Needs valgrind (not a build or test dependency:
# `apt-get install valgrind`). Prints one line: instructions per ring, and the rings it is based on.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${BUILD_DIR:-$here/build}/tests/bench/bench_doorbell"
if ! command -v valgrind >/dev/null; then
    echo "instructions_per_ring: valgrind is not installed (apt-get install valgrind)" >&2
    exit 2
fi
if [ ! -x "$bin" ]; then
    echo "instructions_per_ring: $bin not found: build the bench_doorbell target first" >&2
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
