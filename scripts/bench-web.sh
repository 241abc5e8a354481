#!/usr/bin/env bash
# Browser benchmark of the page (not a test): the scale core (Go 1.26.6, ~1 GiB heap, ~10
# million objects) opened through the file input in headless Chromium.
#
#   scripts/bench-web.sh [--runs N] [--no-build]          (N also from BENCH_RUNS; default 3)
#
# Builds dist/ (trunk build --offline --release; --no-build keeps the existing one) and the
# release CLI, makes the scale core with scripts/make-cores.sh if it is missing, then for
# each run, one after the other on the same warm page cache:
#   native        `heapwise histogram` (core memory-mapped), wall time and peak RSS
#   native-ret    `heapwise histogram --retained` (dominator tree included)
#   browser       time from the file selection to the histogram rows on screen, and on to the
#                 retained-size column filled in (tests/e2e/bench.mjs, a fresh page per run);
#                 the worker's wasm memory (WebAssembly.Memory buffer size, as the worker
#                 reports it) at both points; the worker's own figures (file reads, MiB read,
#                 time spent in FileReaderSync)
# and prints the medians with the browser/native ratios, all from the same run.
# Targets (the issue): histogram on screen in under 10 s, wasm memory under 1 GB.
set -euo pipefail

die() { echo "bench-web.sh: error: $*" >&2; exit 1; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}"
CORES="${HEAPWISE_CORES:-$TOOLS/cores}"
VER=1.26.6
RUNS="${BENCH_RUNS:-3}"
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) [ $# -ge 2 ] || die "--runs needs a value"; RUNS="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive integer, not '$RUNS'"
[ -x /usr/bin/time ] || die "GNU time is needed (Debian package 'time')"
command -v python3 >/dev/null || die "python3 is needed"

cd "$ROOT"
"$ROOT/scripts/web-tools.sh" >/dev/null
eval "$("$ROOT/scripts/web-tools.sh" env)"
export TRUNK_SKIP_VERSION_CHECK=true
cargo build --release --quiet -p heapwise-cli || die "cargo build failed"
if [ "$build" = 1 ]; then
    trunk build --offline --release >/dev/null 2>&1 || die "trunk build failed (run it by hand to see why)"
fi
[ -f "$ROOT/dist/index.html" ] || die "dist/index.html missing"
HW="$ROOT/target/release/heapwise"

SCALE="$CORES/$VER/scale"
if [ ! -f "$SCALE/core.gcore" ] || [ ! -f "$SCALE/exe" ]; then
    echo "bench-web.sh: making the scale core (takes a few minutes)" >&2
    "$ROOT/scripts/make-cores.sh" --versions "$VER" --progs scale --kinds gcore
fi
CORE="$SCALE/core.gcore"
EXE="$SCALE/exe"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "bench-web.sh: $(basename "$(dirname "$CORE")")/$(basename "$CORE") $(du -h --apparent-size "$CORE" | cut -f1) ($(du -h "$CORE" | cut -f1) on disk), $RUNS runs, $(nproc) CPUs, $(chromium --version 2>/dev/null || echo chromium)"
cat "$CORE" >/dev/null # warm the page cache

native() { # native NAME ARGS...: appends "wall_s rss_kb" to $TMP/NAME
    local name="$1"; shift
    /usr/bin/time -f "%e %M" -o "$TMP/t" "$HW" histogram "$CORE" --exe "$EXE" "$@" >/dev/null
    cat "$TMP/t" >> "$TMP/$name"
}

for run in $(seq 1 "$RUNS"); do
    native native
    native native-ret --retained
    node "$ROOT/tests/e2e/bench.mjs" "$CORE" "$EXE" 1 2>"$TMP/console" | sed -n 's/^BENCH //p' >> "$TMP/browser" \
        || { cat "$TMP/console" >&2; die "browser run failed"; }
    grep -h "heapwise: opened" "$TMP/console" | sed 's/^# console: //' >> "$TMP/worker" || true
    echo "run $run: native $(tail -1 "$TMP/native" | cut -d' ' -f1) s, browser $(tail -1 "$TMP/browser" | python3 -c 'import json,sys; b=json.loads(sys.stdin.read()); h, r = b["histogramMs"], b["retainedMs"]; print(f"{h/1000:.1f} s to the histogram, {r/1000:.1f} s to retained sizes")')"
done

python3 - "$TMP" <<'EOF'
import json, statistics, sys
tmp = sys.argv[1]
def rows(name):
    return [list(map(float, l.split())) for l in open(f"{tmp}/{name}") if l.strip()]
med = statistics.median
nat, natr = rows("native"), rows("native-ret")
br = [json.loads(l) for l in open(f"{tmp}/browser") if l.strip()]
n_wall, n_rss = med(r[0] for r in nat), med(r[1] for r in nat) * 1024
nr_wall, nr_rss = med(r[0] for r in natr), med(r[1] for r in natr) * 1024
b_hist = med(b["histogramMs"] for b in br) / 1000
b_ret = med(b["retainedMs"] for b in br) / 1000
m_hist = med(b["memHistogram"] for b in br)
m_ret = med(b["memRetained"] for b in br)
MB = 1e6
print()
print(f"{'':34}{'median':>10}{'min':>10}{'memory':>12}   browser/native")
print(f"{'native histogram':34}{n_wall:>9.2f}s{min(r[0] for r in nat):>9.2f}s{n_rss/MB:>9.0f} MB   (peak RSS)")
print(f"{'native histogram --retained':34}{nr_wall:>9.2f}s{min(r[0] for r in natr):>9.2f}s{nr_rss/MB:>9.0f} MB   (peak RSS)")
print(f"{'browser: histogram on screen':34}{b_hist:>9.2f}s{min(b['histogramMs'] for b in br)/1000:>9.2f}s{m_hist/MB:>9.0f} MB   time x{b_hist/n_wall:.1f}, memory x{m_hist/n_rss:.2f} (wasm)")
print(f"{'browser: retained sizes shown':34}{b_ret:>9.2f}s{min(b['retainedMs'] for b in br)/1000:>9.2f}s{m_ret/MB:>9.0f} MB   time x{b_ret/nr_wall:.1f}, memory x{m_ret/nr_rss:.2f} (wasm)")
print(f"{'browser: retained after histogram':34}{b_ret-b_hist:>9.2f}s")
for b in br[-1:]:
    print("phases (ms after the file selection, as the progress bar showed them):", ", ".join(f"{p} {t}" for p, t in b["phases"]))
try:
    w = [l.strip() for l in open(f"{tmp}/worker") if l.strip()]
    if w:
        print("worker:", w[-1].replace("heapwise: ", ""))
except FileNotFoundError:
    pass
ok_t, ok_m = b_hist < 10, m_hist < 1e9
print(f"targets: histogram under 10 s: {'yes' if ok_t else 'NO'} ({b_hist:.1f} s); wasm memory under 1 GB: {'yes' if ok_m else 'NO'} ({m_hist/MB:.0f} MB)")
EOF
