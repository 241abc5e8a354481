#!/usr/bin/env bash
# Cores of real Go programs nobody here wrote (the Go distribution's own tools), plus the
# testdata/progs/service HTTP service under load: the real-program corpus (tests/real.rs).
#
#   scripts/make-real-cores.sh [--versions "1.26.6 1.27.3"]
#                              [--progs "compile golist gofmt vet service"] [--force]
#
# For each version and program it writes, under
#   ${HEAPWISE_CORES:-${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}/cores}/VER/
#     real-PROG/{exe,core.gcore,runtime.json}          exe rebuilt with DWARF by the same release
#     real-PROG-nodwarf/{exe,core.gcore,runtime.json}  the binary as shipped (no DWARF)
# Programs (each cored a few seconds into its run, with gcore, while it works):
#   compile  pkg/tool/linux_amd64/compile compiling cmd/compile/internal/ssa (the command
#            line `go build -x` ran, re-run as is)
#   golist   go list -deps -json std cmd (cored at 60% of the duration of a first, timed run)
#   gofmt    gofmt -l $GOROOT/src
#   vet      pkg/tool/linux_amd64/vet on cmd/compile/internal/ssa (the command line `go vet -x` ran)
#   service  testdata/progs/service under its own loopback load; -nodwarf is built with
#            -ldflags=-w (no DWARF, symbols kept, as the distribution ships its tools)
# runtime.json is the runtime's own accounting read from the core (scripts/real-runtime.py):
# gcController heap figures, runtime.allgs goroutines, plus the process's VmRSS and thread
# count from /proc just before the core was taken, and the command line.
#
# Cache: a job is skipped when its outputs exist and its stamp holds the same sha256 of this
# script, real-runtime.py, the service's source and the version. Called by make-cores.sh.
set -euo pipefail

die() { echo "make-real-cores.sh: error: $*" >&2; exit 1; }
log() { echo "make-real-cores.sh: $*" >&2; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPT="$ROOT/scripts/make-real-cores.sh"
TOOLS="${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}"
CORES="${HEAPWISE_CORES:-$TOOLS/cores}"
READY_TIMEOUT=120

versions="1.26.6 1.27.3"
progs="compile golist gofmt vet service"
force=0
while [ $# -gt 0 ]; do
    case "$1" in
        --versions) [ $# -ge 2 ] || die "--versions needs a value"; versions="$2"; shift 2 ;;
        --progs) [ $# -ge 2 ] || die "--progs needs a value"; progs="$2"; shift 2 ;;
        --force) force=1; shift ;;
        -h|--help) sed -n '2,26p' "$SCRIPT" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
for p in $progs; do
    case "$p" in compile|golist|gofmt|vet|service) ;; *) die "unknown program '$p'" ;; esac
done
command -v gcore >/dev/null || die "gcore not found (apt-get install gdb)"
command -v python3 >/dev/null || die "python3 not found"

mkdir -p "$CORES"
exec 9>"$CORES/.lock-real"
flock 9 || die "cannot lock $CORES/.lock-real"

child=""
tmpdirs=()
cleanup() {
    if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
        kill -KILL "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    for d in "${tmpdirs[@]}"; do rm -rf "$d"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2])-float(sys.argv[1]):.1f}s')" "$1" "$(now)"; }
human() { numfmt --to=iec --suffix=B "$1" 2>/dev/null || echo "${1}B"; }
ondisk() { echo $(( $(stat -c %b "$1") * $(stat -c %B "$1") )); }
sparsify() {
    fallocate --dig-holes "$1" 2>/dev/null && return 0
    cp --sparse=always "$1" "$1.sparse" && mv -f "$1.sparse" "$1"
}

# running PID: the process exists and has not exited (a zombie not yet reaped has exited).
running() {
    local st
    st="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

stamp_of() { # stamp_of VER
    (
        sha256sum "$SCRIPT" "$ROOT/scripts/real-runtime.py" "$ROOT/scripts/check-core.py" | sed 's#  .*/#  #'
        find "$ROOT/testdata/progs/service" -type f -name '*.go' | LC_ALL=C sort | xargs sha256sum | sed 's#  .*/#  #'
        echo "version $1"
    ) | sha256sum | cut -d' ' -f1
}

goenv() { # goenv GOROOT: the offline environment every go command here runs in
    export GOROOT="$1" GOTOOLCHAIN=local GOPROXY=off GOSUMDB=off GOENV=off GOWORK=off \
        CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOEXPERIMENT= GOPATH="$TOOLS/gopath"
}

# tool_build VER GOROOT PROG OUT: the DWARF build of PROG by the same release.
tool_build() {
    local ver="$1" goroot="$2" prog="$3" out="$4"
    local pkg
    case "$prog" in
        compile) pkg=cmd/compile ;; golist) pkg=cmd/go ;; gofmt) pkg=cmd/gofmt ;; vet) pkg=cmd/vet ;;
        service) pkg=./progs/service ;;
    esac
    (
        goenv "$goroot"
        # The build cache setup_ssa filled (it runs first): cmd/compile/internal/ssa and its
        # dependencies, most of the compiler and vet, are then compiled once, not twice.
        export GOCACHE="$CORES/$ver/.real-build/gocache" GOFLAGS=-mod=mod
        cd "$ROOT/testdata"
        local flags=()
        [ "${5:-}" = nodwarf ] && flags+=(-ldflags=-w)
        "$goroot/bin/go" build "${flags[@]}" -o "$out.tmp" "$pkg"
    ) || die "go $ver: build of $prog failed"
    mv -f "$out.tmp" "$out"
}

# setup_ssa VER GOROOT BUILD: runs `go build -x -work` and `go vet -x -work` of
# cmd/compile/internal/ssa in an empty cache under BUILD, keeps the work dirs (their
# importcfg, vet.cfg and the dependencies' export data), and writes BUILD/compile.sh and
# BUILD/vet.sh: the compile and vet command lines the go command ran, with the tool as $1.
setup_ssa() {
    local ver="$1" goroot="$2" build="$3"
    [ -x "$build/compile.sh" ] && [ -x "$build/vet.sh" ] && return 0
    rm -rf "$build"; mkdir -p "$build/tmp"
    (
        goenv "$goroot"
        export GOCACHE="$build/gocache" TMPDIR="$build/tmp" GOFLAGS=
        cd "$build"
        "$goroot/bin/go" build -x -work -o /dev/null cmd/compile/internal/ssa >"$build/build.log" 2>&1
        "$goroot/bin/go" vet -x -work cmd/compile/internal/ssa >"$build/vet.log" 2>&1
    ) || die "go $ver: go build/vet -x of cmd/compile/internal/ssa failed (see $build/*.log)"
    python3 - "$build" "$goroot" <<'EOF'
import json, re, shlex, sys
build, goroot = sys.argv[1:3]
def work_of(log):
    for line in log:
        if line.startswith("WORK="):
            return line.strip().split("=", 1)[1]
    raise SystemExit(f"no WORK= line in the log under {build}")
blog = open(f"{build}/build.log").read().splitlines()
work = work_of(blog)
tool = f"{goroot}/pkg/tool/linux_amd64/compile"
lines = [l for l in blog if l.startswith(tool + " ") and " -p cmd/compile/internal/ssa " in l]
if len(lines) != 1:
    raise SystemExit(f"{len(lines)} compile lines for cmd/compile/internal/ssa in {build}/build.log")
args = shlex.split(lines[0].replace("$WORK", work))[1:]
i = args.index("-o")
args[i + 1] = "$2"
with open(f"{build}/compile.sh", "w") as f:
    f.write("#!/bin/sh\n# The compile command `go build -x` ran; $1 = compile binary, $2 = output.\n")
    f.write('exec "$1" ' + " ".join('"$2"' if a == "$2" else shlex.quote(a) for a in args) + "\n")
vlog = open(f"{build}/vet.log").read().splitlines()
vwork = work_of(vlog)
vtool = f"{goroot}/pkg/tool/linux_amd64/vet"
found = None
for l in vlog:
    m = re.match(r"(?:TERM='dumb' )?" + re.escape(vtool) + r" (.*)$", l)
    if not m:
        continue
    args = shlex.split(m.group(1).replace("$WORK", vwork))
    cfg = json.load(open(args[-1]))
    if cfg.get("ImportPath") == "cmd/compile/internal/ssa" and not cfg.get("VetxOnly"):
        found = args
if not found:
    raise SystemExit(f"no vet command for cmd/compile/internal/ssa in {build}/vet.log")
with open(f"{build}/vet.sh", "w") as f:
    f.write("#!/bin/sh\n# The vet command `go vet -x` ran; $1 = vet binary.\n")
    f.write('exec "$1" ' + " ".join(shlex.quote(a) for a in found) + "\n")
EOF
    chmod +x "$build/compile.sh" "$build/vet.sh"
}

# capture VER PROG DIR LAYOUT_EXE: runs DIR/exe as PROG, cores it mid-run, reads runtime.json.
capture() {
    local ver="$1" prog="$2" dir="$3" layout="$4"
    local goroot build tmp delay cmd=()
    goroot="$("$ROOT/scripts/tools.sh" go "$ver")"
    build="$CORES/$ver/.real-build"
    tmp="$dir/.tmp.$$"
    rm -rf "$tmp"; mkdir -p "$tmp"; tmpdirs+=("$tmp")
    case "$prog" in
        compile) delay=6; cmd=("$build/compile.sh" "$dir/exe" "$tmp/out.a") ;;
        vet) delay=5; cmd=("$build/vet.sh" "$dir/exe") ;;
        golist) delay=; cmd=("$dir/exe" list -deps -json std cmd) ;;
        gofmt) delay=4; cmd=("$dir/exe" -l "$goroot/src") ;;
        service) delay=1; cmd=("$dir/exe") ;;
    esac
    local attempt pid rss="" threads=""
    if [ -z "$delay" ]; then
        # A short run (go list: 1-3 s): time one run to the end, core the next at 60% of it.
        local t0
        t0="$(now)"
        (
            goenv "$goroot"
            export GOCACHE="$build/gocache" GOFLAGS=
            cd "$tmp"
            exec "${cmd[@]}" >/dev/null 2>"$tmp/stderr" </dev/null
        ) || die "go $ver: $prog failed: $(tail -3 "$tmp/stderr")"
        delay="$(python3 -c "import sys; print(f'{0.6 * (float(sys.argv[2]) - float(sys.argv[1])):.2f}')" "$t0" "$(now)")"
    fi
    for attempt in 1 2 3; do
        (
            goenv "$goroot"
            export GOCACHE="$build/gocache" GOFLAGS= HEAPWISE_SERVICE_SECONDS=$READY_TIMEOUT
            cd "$tmp"
            exec "${cmd[@]}" >"$tmp/stdout" 2>"$tmp/stderr" </dev/null
        ) &
        child=$!
        if [ "$prog" = service ]; then
            local waited=0
            while ! grep -q '^READY' "$tmp/stdout" 2>/dev/null; do
                kill -0 "$child" 2>/dev/null || die "go $ver: service exited before READY: $(tail -3 "$tmp/stderr")"
                [ "$waited" -lt $((READY_TIMEOUT * 10)) ] || die "go $ver: service not READY in ${READY_TIMEOUT}s"
                sleep 0.1; waited=$((waited + 1))
            done
        fi
        sleep "$delay"
        pid="$child"
        if running "$pid"; then
            rss="$(awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$pid/status" 2>/dev/null || true)"
            threads="$(awk '/^Threads:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)"
            if gcore -o "$tmp/core" "$pid" >"$tmp/gcore.log" 2>&1 && [ -s "$tmp/core.$pid" ]; then
                break
            fi
            # It may have exited while gdb attached: then it is a run that ended too soon.
            if running "$pid"; then
                tail -5 "$tmp/gcore.log" >&2 || true
                die "go $ver: gcore of $prog (pid $pid) failed"
            fi
        fi
        wait "$child" 2>/dev/null || true
        child=""
        rm -f "$tmp/core.$pid"
        log "go $ver: $prog finished within ${delay}s; retrying with half the delay"
        delay="$(python3 -c "print($delay / 2)")"
    done
    [ -n "$child" ] || die "go $ver: $prog always finished before it could be cored"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    child=""
    sparsify "$tmp/core.$pid"
    python3 "$ROOT/scripts/real-runtime.py" "$layout" "$dir/exe" "$tmp/core.$pid" "$tmp/runtime.json" \
        "program=$prog" "pid=$pid" "delay_seconds=$delay" "proc_vmrss=$rss" "proc_threads=$threads" \
        "command=${cmd[*]}" || die "go $ver: cannot read the runtime's figures from the core of $prog"
    mv -f "$tmp/core.$pid" "$dir/core.gcore"
    mv -f "$tmp/runtime.json" "$dir/runtime.json"
    rm -rf "$tmp"
}

total_start="$(now)"
made=0; skipped=0
for ver in $versions; do
    goroot="$("$ROOT/scripts/tools.sh" go "$ver")" || die "cannot install Go $ver"
    stamp="$(stamp_of "$ver")"
    for prog in $progs; do
        dw="$CORES/$ver/real-$prog" nd="$CORES/$ver/real-$prog-nodwarf"
        fresh=1
        for d in "$dw" "$nd"; do
            [ "$force" = 0 ] && [ "$(cat "$d/.stamp" 2>/dev/null)" = "$stamp" ] || fresh=0
            for o in exe core.gcore runtime.json; do [ -s "$d/$o" ] || fresh=0; done
        done
        if [ "$fresh" = 1 ]; then
            skipped=$((skipped + 1))
            continue
        fi
        start="$(now)"
        # Before any build of this release: `go build -x` logs only what it compiles, so the
        # command lines are taken in an empty cache, which the tool builds then reuse.
        case "$prog" in compile|vet) setup_ssa "$ver" "$goroot" "$CORES/$ver/.real-build" ;; esac
        mkdir -p "$dw" "$nd"
        rm -f "$dw/.stamp" "$nd/.stamp"
        tool_build "$ver" "$goroot" "$prog" "$dw/exe"
        case "$prog" in
            compile|vet) cp -f "$goroot/pkg/tool/linux_amd64/$prog" "$nd/exe" ;;
            golist) cp -f "$goroot/bin/go" "$nd/exe" ;;
            gofmt) cp -f "$goroot/bin/gofmt" "$nd/exe" ;;
            service) tool_build "$ver" "$goroot" "$prog" "$nd/exe" nodwarf ;;
        esac
        for d in "$dw" "$nd"; do
            capture "$ver" "$prog" "$d" "$dw/exe"
            echo "$stamp" >"$d/.stamp"
            log "$ver/$(basename "$d"): core $(human "$(stat -c %s "$d/core.gcore")") ($(human "$(ondisk "$d/core.gcore")") on disk)"
        done
        log "$ver/real-$prog: $(elapsed "$start")"
        made=$((made + 1))
    done
done
log "done in $(elapsed "$total_start"): $made made, $skipped up to date, in $CORES"
