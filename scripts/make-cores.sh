#!/usr/bin/env bash
# Build the Go test programs of testdata/ and capture cores of them.
#
#   scripts/make-cores.sh [--versions "1.22.10 1.23.9 1.24.11 1.25.5 1.26.6 1.27.3"]
#                         [--progs "zoo deeplist demo shapes"] [--kinds "gcore kernel"]
#                         [--pie] [--force]
#
# For each Go version x program x kind it writes, under
#   ${HEAPWISE_CORES:-${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}/cores}/VER/PROG/
#     exe                 the executable (DWARF and symbols kept)
#     truth.json          ground truth of the gcore run        (kind gcore)
#     core.gcore          gdb's gcore of the blocked program   (kind gcore)
#     aftercore.txt       what the program wrote once cored    (kind gcore, goleak: Go's
#                         goroutineleak profile, debug=2; see truth.AfterCore)
#     truth-kernel.json   ground truth of the crashing run     (kind kernel)
#     core.kernel         kernel core of GOTRACEBACK=crash     (kind kernel)
#     stderr-kernel.txt   the crash traceback                  (kind kernel)
#     truth-dump.json     ground truth of the heap-dump run    (kind dump)
#     heap.dump           runtime/debug.WriteHeapDump of it    (kind dump)
#     truth-heap.pb.gz    the program's own heap profile, when it writes one (heapprof;
#                         truth-kernel-heap.pb.gz for kind kernel)
#   snapshots (three snapshots of one process, tests/diff.rs) instead writes
#     core-1.gcore core-2.gcore core-3.gcore + truth.json        (kind gcore)
#     core-other.gcore    the first snapshot of a second process  (kind gcore)
#     heap-1.dump heap-2.dump heap-3.dump + truth-dump.json      (kind dump)
# VER is the bare version (1.26.6). Cores are kept sparse.
#
# Defaults: all versions, programs zoo deeplist demo shapes, both kinds, plus the
# PIE variant zoo-pie (gcore only), heap dumps of zoo and demo (kind dump) and the
# stripped variants zoo-stripped, demo-stripped, deeplist-stripped (gcore only), and
# goleak (gcore only), heapprof and heapprof-rate1 (gcore; a heap dump of heapprof-rate1),
# and snapshots (gcore and dump).
# A program named NAME-pie, or --pie (which
# adds NAME-pie for every selected program), builds with -buildmode=pie into
# VER/NAME-pie/. A program named NAME-stripped builds with -ldflags='-s -w' (no
# symbol table, no DWARF, as production binaries ship) into VER/NAME-stripped/; its
# cores are checked against the truth by heapwise's own tests only (check-core.py
# needs a symbol table). NAME-rate1 builds with -ldflags='-X main.memProfileRate=1' (the
# program sets runtime.MemProfileRate from it) into VER/NAME-rate1/. scale (~1 GiB heap) is made only when asked:
#   scripts/make-cores.sh --progs scale --kinds gcore
#
# Cache: a job is skipped when its outputs exist and its stamp holds the same
# sha256 of the program's source, the truth harness, go.mod and this script.
# --force redoes everything selected.
#
# With the default set it also runs scripts/make-real-cores.sh, in the background while the
# cores above are made (the real-program corpus: VER/real-*/ for 1.26 and 1.27;
# HEAPWISE_NO_REAL_CORES=1 skips it).
set -euo pipefail

die() { echo "make-cores.sh: error: $*" >&2; exit 1; }
log() { echo "make-cores.sh: $*" >&2; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPT="$ROOT/scripts/make-cores.sh"
TESTDATA="$ROOT/testdata"
TOOLS="${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}"
CORES="${HEAPWISE_CORES:-$TOOLS/cores}"
READY_TIMEOUT=60

versions="$("$ROOT/scripts/tools.sh" versions)"
progs="zoo deeplist demo shapes"
kinds="gcore kernel"
pie=0
force=0
defaults=1
while [ $# -gt 0 ]; do
    case "$1" in
        --versions) [ $# -ge 2 ] || die "--versions needs a value"; versions="$2"; shift 2 ;;
        --progs) [ $# -ge 2 ] || die "--progs needs a value"; progs="$2"; defaults=0; shift 2 ;;
        --kinds) [ $# -ge 2 ] || die "--kinds needs a value"; kinds="$2"; defaults=0; shift 2 ;;
        --pie) pie=1; shift ;;
        --force) force=1; shift ;;
        -h|--help) sed -n '2,42p' "$SCRIPT" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

# base_of VARIANT: the program a variant builds (zoo-pie, zoo-stripped: zoo).
base_of() { local b="${1%-rate1}"; b="${b%-pie}"; echo "${b%-stripped}"; }

# Job list: "variant kind", variant being PROG, PROG-pie or PROG-stripped.
jobs=()
for p in $progs; do
    for k in $kinds; do jobs+=("$p $k"); done
    if [ "$pie" = 1 ] && [[ "$p" != *-pie ]]; then
        for k in $kinds; do jobs+=("$p-pie $k"); done
    fi
done
if [ "$defaults" = 1 ] && [ "$pie" = 0 ]; then
    jobs+=("zoo-pie gcore" "zoo dump" "demo dump")
    # -s -w builds (no DWARF, no symbol table): tests/stripped.rs.
    jobs+=("zoo-stripped gcore" "demo-stripped gcore" "deeplist-stripped gcore")
    # Goroutine leaks (tests/goroutines.rs): gcore only, for the after-core leak profile.
    jobs+=("goleak gcore")
    # Its own heap profile beside the core, at the default MemProfileRate and at 1 (tests/pprof.rs).
    jobs+=("heapprof gcore" "heapprof-rate1 gcore" "heapprof-rate1 dump")
    # Three snapshots of one process (tests/diff.rs): cores and heap dumps.
    jobs+=("snapshots gcore" "snapshots dump")
fi
for j in "${jobs[@]}"; do
    set -- $j
    base="$(base_of "$1")"
    [ -f "$TESTDATA/progs/$base/main.go" ] || die "no program testdata/progs/$base"
    case "$2" in gcore|kernel|dump) ;; *) die "unknown kind '$2' (gcore, kernel or dump)" ;; esac
done

# Tools we rely on.
need_gcore=0; need_kernel=0
for j in "${jobs[@]}"; do
    case "$j" in *" gcore") need_gcore=1 ;; *" kernel") need_kernel=1 ;; esac
done
if [ "$need_gcore" = 1 ]; then
    command -v gcore >/dev/null || die "gcore not found (apt-get install gdb)"
fi
command -v python3 >/dev/null || die "python3 not found (needed to check truth files)"
command -v sha256sum >/dev/null || die "sha256sum not found"
if [ "$need_kernel" = 1 ]; then
    pattern="$(cat /proc/sys/kernel/core_pattern 2>/dev/null || echo '?')"
    case "$pattern" in
        core|core.%p) ;;
        *) die "kernel cores need /proc/sys/kernel/core_pattern to be 'core' (it is '$pattern'); run with --kinds gcore or: echo core > /proc/sys/kernel/core_pattern" ;;
    esac
fi

mkdir -p "$CORES"
exec 9>"$CORES/.lock"
flock 9 || die "cannot lock $CORES/.lock"

# The real-program corpus (Go's own tools, testdata/progs/service; tests/real.rs): with the
# default set only, on the versions it supports (1.26, 1.27). It runs in the background while
# the cores below are made: those are mostly gdb writing core files (I/O), the real corpus is
# mostly Go builds (CPU), so together they take little more than the longer of the two.
real_job=""
if [ "$defaults" = 1 ] && [ "$pie" = 0 ] && [ "${HEAPWISE_NO_REAL_CORES:-0}" != 1 ]; then
    real_versions=""
    for v in $versions; do
        case "$v" in 1.26.*|1.27.*) real_versions="$real_versions $v" ;; esac
    done
    if [ -n "$real_versions" ]; then
        force_arg=()
        [ "$force" = 1 ] && force_arg=(--force)
        # Toolchains first, here: tools.sh takes no lock, so the two scripts must not both install.
        for v in $real_versions; do "$ROOT/scripts/tools.sh" go "$v" >/dev/null || die "cannot install Go $v"; done
        "$ROOT/scripts/make-real-cores.sh" --versions "${real_versions# }" "${force_arg[@]}" &
        real_job=$!
    fi
fi

# Processes and temp dirs to clean up on any exit.
child=""
tmpdirs=()
cleanup() {
    if [ -n "${real_job:-}" ] && kill -0 "$real_job" 2>/dev/null; then
        kill -TERM "$real_job" 2>/dev/null || true
        wait "$real_job" 2>/dev/null || true
    fi
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

# sparsify FILE: punch holes where the file is all zeros.
sparsify() {
    if fallocate --dig-holes "$1" 2>/dev/null; then
        return 0
    fi
    cp --sparse=always "$1" "$1.sparse" && mv -f "$1.sparse" "$1"
}

# source_hash VARIANT: sha256 of everything a job's outputs depend on.
source_hash() {
    local base
    base="$(base_of "$1")"
    (
        cd "$TESTDATA"
        find "progs/$base" truth -type f -name '*.go' | LC_ALL=C sort | xargs sha256sum
        sha256sum go.mod
        sha256sum "$SCRIPT" | sed "s#  .*#  make-cores.sh#"
        echo "variant $1"
    ) | sha256sum | cut -d' ' -f1
}

# check_truth FILE PROG VERSION [PID]: sanity checks of a truth file.
check_truth() {
    python3 - "$@" <<'EOF'
import json, re, sys
path, prog, ver = sys.argv[1:4]
pid = int(sys.argv[4]) if len(sys.argv) > 4 else None
t = json.load(open(path))
errs = []
want = ["program", "go_version", "pid", "heap_alloc", "garbage_bytes", "types", "garbage_types",
        "objects", "paths", "goroutine_funcs"]
for k in want:
    if k not in t:
        errs.append(f"missing key {k}")
if not errs:
    if t["program"] != prog.removesuffix("-rate1").removesuffix("-pie").removesuffix("-stripped"):
        errs.append(f"program {t['program']!r} != {prog!r}")
    if t["go_version"] != "go" + ver:
        errs.append(f"go_version {t['go_version']!r} != go{ver}")
    if pid is not None and t["pid"] != pid:
        errs.append(f"pid {t['pid']} != {pid}")
    if not t["heap_alloc"] > 0:
        errs.append("heap_alloc is 0")
    if not t["types"]:
        errs.append("no types")
    for name, tc in list(t["types"].items()) + list(t["garbage_types"].items()):
        if not name.startswith("main.") or tc["count"] < 0 or tc["size"] <= 0:
            errs.append(f"bad type entry {name}: {tc}")
    for o in t["objects"] + t["paths"]:
        if not re.fullmatch(r"0x[0-9a-f]+", o["addr"]) or int(o["addr"], 16) == 0:
            errs.append(f"bad address in {o}")
    for p in t["paths"]:
        if p["root_kind"] not in ("global", "stack", "finalizer", "cleanup") or p["length"] < 1:
            errs.append(f"bad path {p}")
    if "main.main" not in t["goroutine_funcs"]:
        errs.append("main.main not in goroutine_funcs")
if errs:
    print(f"{path}: " + "; ".join(errs), file=sys.stderr)
    sys.exit(1)
EOF
}

is_elf_core() {
    [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ] || return 1
    # e_type at offset 16, 2 bytes little-endian: 4 = ET_CORE
    [ "$(od -An -j16 -N2 -tu2 "$1" | tr -d ' ')" = 4 ]
}

# build VER VARIANT DIR HASH: (re)build DIR/exe unless its stamp matches.
build() {
    local ver="$1" variant="$2" dir="$3" hash="$4"
    if [ "$force" = 0 ] && [ -x "$dir/exe" ] && [ "$(cat "$dir/.stamp-exe" 2>/dev/null)" = "$hash" ]; then
        return 0
    fi
    local goroot flags=()
    goroot="$("$ROOT/scripts/tools.sh" go "$ver")"
    [[ "$variant" == *-pie ]] && flags+=(-buildmode=pie)
    [[ "$variant" == *-stripped ]] && flags+=("-ldflags=-s -w")
    [[ "$variant" == *-rate1 ]] && flags+=("-ldflags=-X main.memProfileRate=1")
    # Releases older than testdata/go.mod's go line build with a copy of it (tools.sh modflag).
    local modflag
    modflag="$("$ROOT/scripts/tools.sh" modflag "$ver")" || die "tools.sh modflag $ver failed"
    [ -z "$modflag" ] || flags+=("$modflag")
    rm -f "$dir/.stamp-exe" "$dir/.stamp-gcore" "$dir/.stamp-kernel" "$dir/.stamp-dump"
    (
        cd "$TESTDATA"
        export GOROOT="$goroot" GOTOOLCHAIN=local GOPROXY=off GOSUMDB=off GOFLAGS=-mod=mod \
            GOCACHE="$TOOLS/gocache" GOPATH="$TOOLS/gopath" GOENV=off GOWORK=off \
            CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOEXPERIMENT=
        "$goroot/bin/go" build "${flags[@]}" -o "$dir/exe.tmp" "./progs/$(base_of "$variant")"
    ) || die "go $ver: build of $variant failed"
    mv -f "$dir/exe.tmp" "$dir/exe"
    echo "$hash" >"$dir/.stamp-exe"
}

# capture_gcore VER VARIANT DIR
capture_gcore() {
    local ver="$1" variant="$2" dir="$3"
    local tmp="$dir/.tmp-gcore.$$"
    rm -rf "$tmp"; mkdir -p "$tmp"; tmpdirs+=("$tmp")
    HEAPWISE_TRUTH="$tmp/truth.json" HEAPWISE_AFTERCORE="$tmp/aftercore.txt" GOTRACEBACK=single \
        "$dir/exe" >"$tmp/stdout" 2>"$tmp/stderr" </dev/null &
    child=$!
    local waited=0
    while ! grep -qx READY "$tmp/stdout" 2>/dev/null; do
        if ! kill -0 "$child" 2>/dev/null; then
            cat "$tmp/stderr" >&2 || true
            die "go $ver: $variant exited before printing READY"
        fi
        if [ "$waited" -ge $((READY_TIMEOUT * 10)) ]; then
            die "go $ver: $variant did not print READY within ${READY_TIMEOUT}s"
        fi
        sleep 0.1; waited=$((waited + 1))
    done
    [ -s "$tmp/truth.json" ] || die "go $ver: $variant printed READY but wrote no truth"
    if ! gcore -o "$tmp/core" "$child" >"$tmp/gcore.log" 2>&1 || [ ! -s "$tmp/core.$child" ]; then
        tail -5 "$tmp/gcore.log" >&2 || true
        die "go $ver: gcore of $variant (pid $child) failed"
    fi
    # A program that asks for it (truth.AfterCore, it printed AFTERCORE) writes what can only
    # be asked of it once cored (goleak: Go 1.27's goroutineleak profile) on SIGUSR1, and exits.
    local after=0
    if grep -qx AFTERCORE "$tmp/stdout"; then
        after=1
        kill -USR1 "$child"
        local t=0
        while kill -0 "$child" 2>/dev/null && [ "$t" -lt $((READY_TIMEOUT * 10)) ]; do sleep 0.1; t=$((t + 1)); done
    fi
    kill -KILL "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
    local pid="$child"
    child=""
    if [ "$after" = 1 ]; then
        [ -f "$tmp/aftercore.txt" ] || { tail -5 "$tmp/stderr" >&2 || true; die "go $ver: $variant wrote no after-core file"; }
        mv -f "$tmp/aftercore.txt" "$dir/aftercore.txt"
    fi
    is_elf_core "$tmp/core.$pid" || die "go $ver: gcore of $variant is not an ELF core"
    sparsify "$tmp/core.$pid"
    check_truth "$tmp/truth.json" "$variant" "$ver" "$pid" || die "go $ver: bad truth for $variant"
    if [[ "$variant" != *-stripped ]]; then
        python3 "$ROOT/scripts/check-core.py" "$dir/exe" "$tmp/core.$pid" "$tmp/truth.json" \
            || die "go $ver: the gcore of $variant does not match its truth"
    fi
    mv -f "$tmp/core.$pid" "$dir/core.gcore"
    mv -f "$tmp/truth.json" "$dir/truth.json"
    rm -f "$dir/truth-heap.pb.gz"
    if [ -f "$tmp/truth-heap.pb.gz" ]; then mv -f "$tmp/truth-heap.pb.gz" "$dir/truth-heap.pb.gz"; fi
    rm -rf "$tmp"
}

# capture_kernel VER VARIANT DIR
capture_kernel() {
    local ver="$1" variant="$2" dir="$3"
    local tmp="$dir/.tmp-kernel.$$"
    rm -rf "$tmp"; mkdir -p "$tmp"; tmpdirs+=("$tmp")
    local rc=0
    # Not exec: the subshell reports the abort, into shell.log, not the terminal.
    (
        cd "$tmp"
        ulimit -c unlimited || { echo "cannot raise the core size limit (ulimit -c unlimited)"; exit 1; }
        HEAPWISE_TRUTH="$tmp/truth-kernel.json" HEAPWISE_CRASH=1 GOTRACEBACK=crash \
            "$dir/exe" >stdout 2>stderr </dev/null
    ) 2>"$tmp/shell.log" || rc=$?
    [ "$rc" != 1 ] || die "go $ver: $(cat "$tmp/shell.log")"
    # SIGABRT: 128+6
    [ "$rc" = 134 ] || { tail -5 "$tmp/stderr" >&2 || true; die "go $ver: $variant exited $rc, expected a SIGABRT crash (134)"; }
    local core=""
    for f in "$tmp"/core "$tmp"/core.[0-9]*; do
        [ -f "$f" ] && core="$f"
    done
    [ -n "$core" ] || die "go $ver: $variant crashed but left no core in $tmp (core_pattern '$(cat /proc/sys/kernel/core_pattern)', ulimit -c $(ulimit -c))"
    is_elf_core "$core" || die "go $ver: kernel core of $variant is not an ELF core"
    sparsify "$core"
    check_truth "$tmp/truth-kernel.json" "$variant" "$ver" || die "go $ver: bad truth for $variant"
    if [[ "$variant" != *-stripped ]]; then
        python3 "$ROOT/scripts/check-core.py" "$dir/exe" "$core" "$tmp/truth-kernel.json" \
            || die "go $ver: the kernel core of $variant does not match its truth"
    fi
    chmod 644 "$core"
    mv -f "$core" "$dir/core.kernel"
    mv -f "$tmp/truth-kernel.json" "$dir/truth-kernel.json"
    mv -f "$tmp/stderr" "$dir/stderr-kernel.txt"
    rm -f "$dir/truth-kernel-heap.pb.gz"
    if [ -f "$tmp/truth-kernel-heap.pb.gz" ]; then mv -f "$tmp/truth-kernel-heap.pb.gz" "$dir/truth-kernel-heap.pb.gz"; fi
    rm -rf "$tmp"
}

# capture_dump VER VARIANT DIR: runtime/debug.WriteHeapDump right after the last collection.
capture_dump() {
    local ver="$1" variant="$2" dir="$3"
    local tmp="$dir/.tmp-dump.$$"
    rm -rf "$tmp"; mkdir -p "$tmp"; tmpdirs+=("$tmp")
    local rc=0
    HEAPWISE_TRUTH="$tmp/truth-dump.json" HEAPWISE_HEAPDUMP="$tmp/heap.dump" GOTRACEBACK=single \
        timeout "$READY_TIMEOUT" "$dir/exe" >"$tmp/stdout" 2>"$tmp/stderr" </dev/null || rc=$?
    [ "$rc" = 0 ] && grep -qx DUMPED "$tmp/stdout" || { tail -5 "$tmp/stderr" >&2 || true; die "go $ver: $variant exited $rc without writing a heap dump"; }
    [ "$(head -c 16 "$tmp/heap.dump")" = "go1.7 heap dump" ] || die "go $ver: $variant wrote no heap dump header"
    check_truth "$tmp/truth-dump.json" "$variant" "$ver" || die "go $ver: bad truth for $variant"
    mv -f "$tmp/heap.dump" "$dir/heap.dump"
    mv -f "$tmp/truth-dump.json" "$dir/truth-dump.json"
    rm -rf "$tmp"
}

# check_snapshots_truth FILE VERSION: sanity checks of a snapshots truth file (its own schema,
# testdata/README.md).
check_snapshots_truth() {
    python3 - "$@" <<'EOF'
import json, sys
path, ver = sys.argv[1:3]
t = json.load(open(path))
errs = []
if t.get("program") != "snapshots" or t.get("go_version") != "go" + ver or t.get("snapshots") != 3:
    errs.append(f"program/go_version/snapshots: {t.get('program')} {t.get('go_version')} {t.get('snapshots')}")
for name, d in t.get("types", {}).items():
    if not name.startswith("main.") or len(d["counts"]) != 3 or any(len(d[k]) != 2 for k in ("survived", "new", "freed", "reused")):
        errs.append(f"bad type entry {name}")
        continue
    for p in range(2):
        if d["survived"][p] + d["freed"][p] != d["counts"][p] or d["survived"][p] + d["new"][p] != d["counts"][p + 1]:
            errs.append(f"{name}: pair {p} does not add up")
if not t.get("types") or not t.get("clusters") or not t.get("clusters_2"):
    errs.append("no types or clusters")
if errs:
    print(f"{path}: " + "; ".join(errs), file=sys.stderr)
    sys.exit(1)
EOF
}

# snapshot_wait TMP PID N: waits until the program printed `SNAPSHOT N`.
snapshot_wait() {
    local tmp="$1" pid="$2" n="$3" waited=0
    while ! grep -qx "SNAPSHOT $n" "$tmp/stdout" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$tmp/stderr" >&2 || true
            die "snapshots (pid $pid) exited before snapshot $n"
        fi
        [ "$waited" -lt $((READY_TIMEOUT * 10)) ] || die "snapshots did not reach snapshot $n within ${READY_TIMEOUT}s"
        sleep 0.1; waited=$((waited + 1))
    done
}

# snapshot_gcore TMP PID OUT: gcore of the blocked program into OUT, then SIGUSR1 (go on).
snapshot_gcore() {
    local tmp="$1" pid="$2" out="$3"
    if ! gcore -o "$tmp/core" "$pid" >"$tmp/gcore.log" 2>&1 || [ ! -s "$tmp/core.$pid" ]; then
        tail -5 "$tmp/gcore.log" >&2 || true
        die "gcore of snapshots (pid $pid) failed"
    fi
    is_elf_core "$tmp/core.$pid" || die "gcore of snapshots is not an ELF core"
    sparsify "$tmp/core.$pid"
    mv -f "$tmp/core.$pid" "$out"
    kill -USR1 "$pid"
}

# capture_snapshots_gcore VER VARIANT DIR: three gcores of one process (core-N.gcore), its
# truth, and the first snapshot of a second process of the same executable (core-other.gcore).
capture_snapshots_gcore() {
    local ver="$1" variant="$2" dir="$3"
    local tmp="$dir/.tmp-gcore.$$"
    rm -rf "$tmp"; mkdir -p "$tmp"; tmpdirs+=("$tmp")
    HEAPWISE_TRUTH="$tmp/truth.json" GOTRACEBACK=single "$dir/exe" >"$tmp/stdout" 2>"$tmp/stderr" </dev/null &
    child=$!
    local n
    for n in 1 2 3; do
        snapshot_wait "$tmp" "$child" "$n"
        snapshot_gcore "$tmp" "$child" "$tmp/core-$n.gcore"
    done
    local rc=0
    wait "$child" || rc=$?
    child=""
    [ "$rc" = 0 ] && grep -qx DONE "$tmp/stdout" || { tail -5 "$tmp/stderr" >&2 || true; die "go $ver: $variant exited $rc after its snapshots"; }
    check_snapshots_truth "$tmp/truth.json" "$ver" || die "go $ver: bad truth for $variant"
    # A second process: its first snapshot only (tests/diff.rs: two processes fall back to
    # a per-type diff).
    : >"$tmp/stdout"
    HEAPWISE_SNAPSHOTS=1 GOTRACEBACK=single "$dir/exe" >"$tmp/stdout" 2>"$tmp/stderr" </dev/null &
    child=$!
    snapshot_wait "$tmp" "$child" 1
    snapshot_gcore "$tmp" "$child" "$tmp/core-other.gcore"
    rc=0
    wait "$child" || rc=$?
    child=""
    [ "$rc" = 0 ] || die "go $ver: the second $variant process exited $rc"
    for f in core-1.gcore core-2.gcore core-3.gcore core-other.gcore truth.json; do mv -f "$tmp/$f" "$dir/$f"; done
    rm -rf "$tmp"
}

# capture_snapshots_dump VER VARIANT DIR: three runtime/debug.WriteHeapDump files of one
# process (heap-N.dump) and its truth.
capture_snapshots_dump() {
    local ver="$1" variant="$2" dir="$3"
    local tmp="$dir/.tmp-dump.$$"
    rm -rf "$tmp"; mkdir -p "$tmp"; tmpdirs+=("$tmp")
    local rc=0
    HEAPWISE_TRUTH="$tmp/truth-dump.json" HEAPWISE_SNAPSHOT_DUMPS="$tmp" GOTRACEBACK=single \
        timeout "$READY_TIMEOUT" "$dir/exe" >"$tmp/stdout" 2>"$tmp/stderr" </dev/null || rc=$?
    [ "$rc" = 0 ] && grep -qx DONE "$tmp/stdout" || { tail -5 "$tmp/stderr" >&2 || true; die "go $ver: $variant exited $rc without writing its heap dumps"; }
    local n
    for n in 1 2 3; do
        [ "$(head -c 16 "$tmp/heap-$n.dump")" = "go1.7 heap dump" ] || die "go $ver: $variant wrote no heap dump $n"
    done
    check_snapshots_truth "$tmp/truth-dump.json" "$ver" || die "go $ver: bad truth for $variant"
    for f in heap-1.dump heap-2.dump heap-3.dump truth-dump.json; do mv -f "$tmp/$f" "$dir/$f"; done
    rm -rf "$tmp"
}

total_start="$(now)"
made=0; skipped=0
for ver in $versions; do
    "$ROOT/scripts/tools.sh" go "$ver" >/dev/null || die "cannot install Go $ver"
    for j in "${jobs[@]}"; do
        set -- $j
        variant="$1" kind="$2"
        dir="$CORES/$ver/$variant"
        mkdir -p "$dir"
        hash="$(source_hash "$variant")"
        capture="capture_$kind"
        case "$kind" in
            gcore) outs=("$dir/core.gcore" "$dir/truth.json") ;;
            dump) outs=("$dir/heap.dump" "$dir/truth-dump.json") ;;
            *) outs=("$dir/core.kernel" "$dir/truth-kernel.json") ;;
        esac
        if [ "$(base_of "$variant")" = snapshots ]; then
            capture="capture_snapshots_$kind"
            case "$kind" in
                gcore) outs=("$dir/core-3.gcore" "$dir/core-1.gcore" "$dir/core-2.gcore" "$dir/core-other.gcore" "$dir/truth.json") ;;
                dump) outs=("$dir/heap-3.dump" "$dir/heap-1.dump" "$dir/heap-2.dump" "$dir/truth-dump.json") ;;
                *) die "snapshots has no $kind kind (gcore or dump)" ;;
            esac
        fi
        fresh=1
        [ "$force" = 0 ] || fresh=0
        [ "$(cat "$dir/.stamp-$kind" 2>/dev/null)" = "$hash" ] || fresh=0
        [ "$(cat "$dir/.stamp-exe" 2>/dev/null)" = "$hash" ] || fresh=0
        for o in "$dir/exe" "${outs[@]}"; do [ -s "$o" ] || fresh=0; done
        if [ "$fresh" = 1 ]; then
            skipped=$((skipped + 1))
            continue
        fi
        start="$(now)"
        build "$ver" "$variant" "$dir" "$hash"
        rm -f "$dir/.stamp-$kind"
        "$capture" "$ver" "$variant" "$dir"
        echo "$hash" >"$dir/.stamp-$kind"
        core="${outs[0]}"
        log "$ver/$variant $kind: $(elapsed "$start"), core $(human "$(stat -c %s "$core")") ($(human "$(ondisk "$core")") on disk)"
        made=$((made + 1))
    done
done
log "done in $(elapsed "$total_start"): $made made, $skipped up to date, in $CORES"
# The real-program corpus started in the background at the top; its status is this script's too.
if [ -n "$real_job" ]; then
    wait "$real_job" || die "scripts/make-real-cores.sh failed"
    real_job=""
fi
