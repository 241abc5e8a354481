#!/usr/bin/env bash
# Speed of the goroutine views on a core with 100,000 goroutines (issue 13, point 6).
#
#   scripts/bench-goroutines.sh [--runs N] [--browser]          (default 5)
#
# Builds the release CLI, makes the goscale core (testdata/progs/goscale, Go 1.26.6: 100,000
# goroutines in 40 groups, half of them leaked) with scripts/make-cores.sh if it is missing,
# then runs N rounds, each on the same warm page cache, of
#   cat        `cat core.gcore > /dev/null`
#   overview   `heapwise overview --json` (the analysis alone)
#   leaks      `heapwise leaks --json`
#   groups     `heapwise goroutines --group --json`
# and prints median wall and CPU time (user+sys) and peak RSS of each, the time of leaks and
# groups beyond the analysis (their median less overview's), and every median as a ratio to
# cat's. Target: groups and leaks under 1 s beyond the analysis.
# --browser also opens the core on the page in headless Chromium (tests/e2e/bench-goroutines.mjs;
# needs dist/ from `trunk build --offline --release` and tests/e2e/node_modules, which
# scripts/test.sh makes) and prints the time to the group rows, to re-sort them by count and to
# open the largest group, and the worker's wasm memory.
set -euo pipefail

die() { echo "bench-goroutines.sh: error: $*" >&2; exit 1; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}"
CORES="${HEAPWISE_CORES:-$TOOLS/cores}"
VER=1.26.6
runs="${BENCH_RUNS:-5}"
browser=0
while [ $# -gt 0 ]; do
    case "$1" in
        --browser) browser=1; shift ;;
        --runs) [ $# -ge 2 ] || die "--runs needs a value"; runs="$2"; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1'" ;;
    esac
done

(cd "$ROOT" && cargo build --release -q -p heapwise-cli) || die "release build failed"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/heapwise"
DIR="$CORES/$VER/goscale"
if [ ! -f "$DIR/core.gcore" ] || [ ! -f "$DIR/exe" ]; then
    echo "bench-goroutines.sh: making the goscale core" >&2
    "$ROOT/scripts/make-cores.sh" --versions "$VER" --progs goscale --kinds gcore
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# measure NAME CMD...: appends "name wall cpu maxrss_kb" to $out/times.
measure() {
    local name="$1"; shift
    /usr/bin/time -f "$name %e %U %S %M" -o "$out/t" "$@" >/dev/null
    awk '{ printf "%s %s %.2f %s\n", $1, $2, $3 + $4, $5 }' "$out/t" >>"$out/times"
}
for ((i = 0; i < runs; i++)); do
    measure cat cat "$DIR/core.gcore"
    measure overview "$BIN" overview "$DIR/core.gcore" --exe "$DIR/exe" --json
    measure leaks "$BIN" leaks "$DIR/core.gcore" --exe "$DIR/exe" --json
    measure groups "$BIN" goroutines "$DIR/core.gcore" --exe "$DIR/exe" --group --json
done
"$BIN" goroutines "$DIR/core.gcore" --exe "$DIR/exe" --group --json >"$out/groups.json"
python3 - "$out/times" "$out/groups.json" "$runs" <<'EOF'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, wall, cpu, rss = line.split()
    rows.setdefault(name, []).append((float(wall), float(cpu), int(rss)))
groups = json.load(open(sys.argv[2]))
n = sum(g["count"] for g in groups)
leaked = sum(g["count"] for g in groups if g["leaked"])
print(f"goscale core (Go 1.26.6): {n} goroutines in {len(groups)} groups, {leaked} leaked; {sys.argv[3]} rounds")
med = {k: (statistics.median(w for w, _, _ in v), statistics.median(c for _, c, _ in v), max(r for _, _, r in v)) for k, v in rows.items()}
cat = med["cat"][0] or 1e-9
print(f"{'':10} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'x cat':>7}")
for k in ("cat", "overview", "leaks", "groups"):
    w, c, r = med[k]
    print(f"{k:10} {w:8.2f} {c:8.2f} {r / 1024:8.0f} {w / cat:7.1f}")
for k in ("leaks", "groups"):
    print(f"{k} beyond the analysis: {med[k][0] - med['overview'][0]:.2f} s wall, {med[k][1] - med['overview'][1]:.2f} s cpu (target: under 1 s)")
EOF
if [ "$browser" = 1 ]; then
    [ -f "$ROOT/dist/index.html" ] || die "no dist/: run trunk build --offline --release (scripts/test.sh does)"
    node "$ROOT/tests/e2e/bench-goroutines.mjs" "$DIR/core.gcore" "$DIR/exe" | grep '^BENCH '
fi
