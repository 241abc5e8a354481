#!/usr/bin/env bash
# Speed of `heapwise diff` on two scale cores of one process (issue 10, point 7).
#
#   scripts/bench-diff.sh [--runs N]          (default 3)
#
# Builds the release CLI and testdata/progs/scale (Go 1.26.6: ~1 GiB heap, ~10 M objects),
# runs it once and gcores it twice into ${HEAPWISE_CORES}/1.26.6/scale-snapshots/ (core-1.gcore,
# core-2.gcore; made once, kept), then runs N rounds, on the same warm page cache, of
#   overview   `heapwise overview --json` (analyzing one core)
#   retained   `heapwise histogram --retained --json` (one core with its dominator tree: the
#              diff reports each type's retained bytes in each snapshot, so it builds both)
#   diff       `heapwise diff core-1 core-2 --json`
# and prints median wall and CPU time (user+sys) and peak RSS of each and the ratios of diff to
# the other two. Target: diff within 2.5x of analyzing one core.
set -euo pipefail

die() { echo "bench-diff.sh: error: $*" >&2; exit 1; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}"
CORES="${HEAPWISE_CORES:-$TOOLS/cores}"
VER=1.26.6
runs="${BENCH_RUNS:-3}"
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) [ $# -ge 2 ] || die "--runs needs a value"; runs="$2"; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1'" ;;
    esac
done

(cd "$ROOT" && cargo build --release -q -p heapwise-cli) || die "release build failed"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/heapwise"
DIR="$CORES/$VER/scale-snapshots"
if [ ! -s "$DIR/core-1.gcore" ] || [ ! -s "$DIR/core-2.gcore" ] || [ ! -x "$DIR/exe" ]; then
    command -v gcore >/dev/null || die "gcore not found (apt-get install gdb)"
    echo "bench-diff.sh: making two scale cores of one process" >&2
    mkdir -p "$DIR"
    goroot="$("$ROOT/scripts/tools.sh" go "$VER")"
    (
        cd "$ROOT/testdata"
        export GOROOT="$goroot" GOTOOLCHAIN=local GOPROXY=off GOSUMDB=off GOFLAGS=-mod=mod \
            GOCACHE="${GOCACHE:-$TOOLS/gocache}" GOENV=off GOWORK=off CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOEXPERIMENT=
        "$goroot/bin/go" build -o "$DIR/exe" ./progs/scale
    ) || die "build of scale failed"
    tmp="$(mktemp -d "$DIR/.tmp.XXXX")"
    "$DIR/exe" >"$tmp/stdout" 2>"$tmp/stderr" </dev/null &
    pid=$!
    trap 'kill -KILL "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
    for _ in $(seq 1 1200); do
        grep -qx READY "$tmp/stdout" && break
        kill -0 "$pid" 2>/dev/null || die "scale exited: $(tail -3 "$tmp/stderr")"
        sleep 0.1
    done
    grep -qx READY "$tmp/stdout" || die "scale did not print READY"
    # The program allocates nothing once READY: the two snapshots hold the same heap, every
    # object survives (the matching's worst case).
    for n in 1 2; do
        gcore -o "$tmp/core" "$pid" >"$tmp/gcore.log" 2>&1 || die "gcore failed: $(tail -3 "$tmp/gcore.log")"
        fallocate --dig-holes "$tmp/core.$pid" 2>/dev/null || true
        mv -f "$tmp/core.$pid" "$DIR/core-$n.gcore"
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$tmp"
    trap - EXIT
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
    measure overview "$BIN" overview "$DIR/core-1.gcore" --exe "$DIR/exe" --json
    measure retained "$BIN" histogram --retained "$DIR/core-1.gcore" --exe "$DIR/exe" --json
    measure diff "$BIN" diff "$DIR/core-1.gcore" "$DIR/core-2.gcore" --exe "$DIR/exe" --json
done
python3 - "$out/times" "$runs" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, wall, cpu, rss = line.split()
    rows.setdefault(name, []).append((float(wall), float(cpu), int(rss)))
print(f"two scale cores of one process (Go 1.26.6); {sys.argv[2]} rounds")
med = {k: (statistics.median(w for w, _, _ in v), statistics.median(c for _, c, _ in v), max(r for _, _, r in v)) for k, v in rows.items()}
print(f"{'':10} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}")
for k in ("overview", "retained", "diff"):
    w, c, r = med[k]
    print(f"{k:10} {w:8.2f} {c:8.2f} {r / 1024:8.0f}")
for k in ("overview", "retained"):
    print(f"diff / {k}: {med['diff'][0] / med[k][0]:.2f}x wall, {med['diff'][1] / med[k][1]:.2f}x cpu (target: within 2.5x)")
EOF
