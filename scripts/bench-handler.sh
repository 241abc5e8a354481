#!/usr/bin/env bash
# Benchmark (not a test) of one click from a running service to its analysis: the Go package
# heapwisehttp serving the page in two services, each built with Go 1.26.6:
#   small   testdata/progs/oneclick (a few hundred objects)
#   scale   testdata/progs/scale (~1 GiB heap, ~10 million objects) built as a service: its
#           main.go next to oneclick's serve.go and a one-line init() that starts serving
# For each, RUNS clicks in headless Chromium (tests/e2e/bench-handler.mjs, a fresh page each):
# time from the click to both downloads done and to the histogram on screen, how long the
# world was stopped while WriteHeapDump wrote the snapshot (the handler's Server-Timing), the
# snapshot's size, and the longest gap of a goroutine in the service that ticks every
# millisecond during the click (the pause the service saw) next to the same during an idle
# window as long (the machine's noise). Each service runs twice: with the handler's default
# compression (auto: the browser is on loopback, so the dump goes as it is) and with
# Options.Compression = CompressAlways (gzip at BestSpeed, as for a client across a network).
# Prints the runs and their medians.
#
#   scripts/bench-handler.sh [--runs N] [--only small|scale] [--compress "auto always"]
#                                                      (N also from BENCH_RUNS; default 3)
#
# Needs the page built and embedded (scripts/serve.sh, or trunk build + scripts/embed-page.sh),
# the Go toolchain (scripts/tools.sh) and playwright-core (scripts/web-tools.sh).
set -euo pipefail
die() { echo "bench-handler.sh: error: $*" >&2; exit 1; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}"
VER=1.26.6
RUNS="${BENCH_RUNS:-3}"
only=""
modes="auto always"
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) [ $# -ge 2 ] || die "--runs needs a value"; RUNS="$2"; shift 2 ;;
        --only) [ $# -ge 2 ] || die "--only needs a value"; only="$2"; shift 2 ;;
        --compress) [ $# -ge 2 ] || die "--compress needs a value"; modes="$2"; shift 2 ;;
        -h|--help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive integer, not '$RUNS'"
[ -f "$ROOT/go/heapwisehttp/page/index.html" ] || die "no page embedded in go/heapwisehttp (scripts/serve.sh, or trunk build + scripts/embed-page.sh)"
goroot="$("$ROOT/scripts/tools.sh" go "$VER")"
WORK="$(mktemp -d)"
pid=""
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

gobuild() { # gobuild DIR OUT
    (cd "$1" && env GOROOT="$goroot" GOTOOLCHAIN=local GOPROXY=off GOSUMDB=off GOFLAGS=-mod=mod GOENV=off \
        GOWORK=off GOCACHE="${GOCACHE:-$TOOLS/gocache}" GOPATH="${GOPATH:-$TOOLS/gopath}" \
        "$goroot/bin/go" build -o "$2" .)
}
# The scale program as a service: its own main.go, oneclick's serve.go, and an init that serves.
mkdir -p "$WORK/scale-src"
cp "$ROOT/testdata/progs/scale/main.go" "$ROOT/testdata/progs/oneclick/serve.go" "$WORK/scale-src/"
printf 'package main\n\n// Serves from the start: scale'"'"'s main.go knows nothing of serve.go.\nfunc init() { startServing() }\n' >"$WORK/scale-src/init.go"
cat >"$WORK/scale-src/go.mod" <<MOD
module heapwise/bench/scaleservice

go 1.24

require (
	heapwise.dev/go v0.0.0
	heapwise/testdata v0.0.0
)

replace (
	heapwise.dev/go => $ROOT/go
	heapwise/testdata => $ROOT/testdata
)
MOD
gobuild "$ROOT/testdata/progs/oneclick" "$WORK/small"
gobuild "$WORK/scale-src" "$WORK/scale"

results="$WORK/results.txt"
for svc in small scale; do
    [ -z "$only" ] || [ "$only" = "$svc" ] || continue
    for mode in $modes; do
    echo "== $svc (Go $VER, compression $mode): starting the service" >&2
    start=$(date +%s)
    HEAPWISE_SNAPSHOT_COMPRESS="$mode" HEAPWISE_TRUTH="$WORK/truth-$svc.json" "$WORK/$svc" >"$WORK/$svc.out" 2>"$WORK/$svc.err" &
    pid=$!
    for _ in $(seq 600); do grep -qx READY "$WORK/$svc.out" 2>/dev/null && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    grep -qx READY "$WORK/$svc.out" || die "$svc did not get READY: $(cat "$WORK/$svc.err")"
    url="$(awk '/^LISTEN /{print $2}' "$WORK/$svc.out")"
    echo "== $svc: READY after $(( $(date +%s) - start )) s at $url; $RUNS runs" >&2
    node "$ROOT/tests/e2e/bench-handler.mjs" "$url" "${url%debug/heapwise/}debug/pause" "$RUNS" \
        | sed -n "s/^BENCH /$svc-$mode /p" | tee -a "$results"
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    done
done
python3 - "$results" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    svc, js = line.split(' ', 1)
    rows.setdefault(svc, []).append(json.loads(js))
keys = ['click_to_downloaded_ms', 'click_to_histogram_ms', 'dump_ms', 'max_tick_gap_ms', 'idle_max_tick_gap_ms']
print('medians:' + ''.join(f' {k}' for k in ['service', 'runs', 'snapshot_MiB'] + keys))
for svc, rs in rows.items():
    med = {k: statistics.median(r[k] for r in rs) for k in keys}
    mib = statistics.median(r['dump_bytes'] for r in rs) / 2**20
    print(f'  {svc:12} {len(rs)} {mib:9.1f} ' + ' '.join(f'{med[k]:.1f}' for k in keys))
PY
