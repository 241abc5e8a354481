#!/usr/bin/env bash
# Makes the inputs of the bad-input tests (crates/heapwise-cli/tests/bad_input.rs) that the
# Go corpus of scripts/make-cores.sh does not have:
#
#   ${HEAPWISE_CORES:-${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}/cores}/bad/
#     go1.21/exe, go1.21/core   a tiny Go program built with Go 1.21.13 (unsupported) and its core
#     nodwarf/exe               testdata zoo built by Go 1.26.6 with -ldflags=-w (no DWARF)
#     nogo/exe, nogo/core       a C program (gcc) and its core: a core of a non-Go process
#
# Cores are kernel cores when /proc/sys/kernel/core_pattern is 'core' (or 'core.%p'), gcore
# otherwise. Idempotent: a part is skipped when its outputs exist and its stamp holds the
# sha256 of this script (and, for nodwarf, of the zoo sources). --force redoes everything.
# A part whose tools are missing (gcc, gcore, pip for Go 1.21.13) is skipped with a message.
set -euo pipefail

die() { echo "make-bad-cores.sh: error: $*" >&2; exit 1; }
log() { echo "make-bad-cores.sh: $*" >&2; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPT="$ROOT/scripts/make-bad-cores.sh"
TOOLS="${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}"
CORES="${HEAPWISE_CORES:-$TOOLS/cores}"
BAD="$CORES/bad"
OLD_GO=1.21.13
NODWARF_GO=1.26.6

force=0
case "${1:-}" in
    --force) force=1 ;;
    "") ;;
    -h|--help) sed -n '2,14p' "$SCRIPT" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
esac

mkdir -p "$BAD"
exec 9>"$BAD/.lock"
flock 9 || die "cannot lock $BAD/.lock"

tmp="$(mktemp -d)"
child=""
cleanup() {
    if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
        kill -KILL "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

script_hash="$(sha256sum "$SCRIPT" | cut -d' ' -f1)"

# fresh DIR HASH FILE...: whether DIR's stamp is HASH and every FILE exists.
fresh() {
    local dir="$1" hash="$2"; shift 2
    [ "$force" = 0 ] || return 1
    [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$hash" ] || return 1
    local f
    for f in "$@"; do [ -s "$dir/$f" ] || return 1; done
}

kernel_cores() {
    case "$(cat /proc/sys/kernel/core_pattern 2>/dev/null || echo '?')" in
        core|core.%p) return 0 ;;
        *) return 1 ;;
    esac
}

# capture EXE OUT [ENV...]: a core of EXE written to OUT. Kernel core: EXE is run with
# CRASH=1 and must abort. gcore: EXE (without CRASH) must print READY and block.
capture() {
    local exe="$1" out="$2"; shift 2
    local run="$tmp/run.$$"
    rm -rf "$run"; mkdir -p "$run"
    if kernel_cores; then
        local rc=0
        (
            cd "$run"
            ulimit -c unlimited
            env "$@" CRASH=1 GOTRACEBACK=crash "$exe" >stdout 2>stderr </dev/null
        ) 2>/dev/null || rc=$?
        local core=""
        for f in "$run"/core "$run"/core.[0-9]*; do [ -f "$f" ] && core="$f"; done
        [ -n "$core" ] || die "$exe exited $rc and left no core in $run"
        mv -f "$core" "$out.tmp"
    else
        command -v gcore >/dev/null || { log "skipped $out: no kernel cores (core_pattern) and no gcore"; return 1; }
        env "$@" "$exe" >"$run/stdout" 2>"$run/stderr" </dev/null &
        child=$!
        local waited=0
        until grep -qx READY "$run/stdout" 2>/dev/null; do
            kill -0 "$child" 2>/dev/null || die "$exe exited before printing READY"
            [ "$waited" -lt 300 ] || die "$exe did not print READY within 30s"
            sleep 0.1; waited=$((waited + 1))
        done
        gcore -o "$run/core" "$child" >"$run/gcore.log" 2>&1 || { tail -5 "$run/gcore.log" >&2; die "gcore of $exe failed"; }
        kill -KILL "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
        mv -f "$run/core.$child" "$out.tmp"
        child=""
    fi
    # Keep it sparse: gcore cores of Go programs reserve ~1 GB of arenas.
    fallocate --dig-holes "$out.tmp" 2>/dev/null || true
    chmod 644 "$out.tmp"
    mv -f "$out.tmp" "$out"
}

# 1. A Go program built with an unsupported Go (1.21.13, older than the oldest supported), and its core.
old_dir="$BAD/go1.21"
if fresh "$old_dir" "$script_hash" exe core; then
    :
elif goroot="$("$ROOT/scripts/tools.sh" go "$OLD_GO" 2>"$tmp/tools.log")"; then
    mkdir -p "$old_dir" "$tmp/old"
    rm -f "$old_dir/.stamp"
    cat >"$tmp/old/go.mod" <<'EOF'
module oldgo

go 1.21
EOF
    cat >"$tmp/old/main.go" <<'EOF'
// A small heap, then a crash (CRASH=1, for a kernel core) or READY and a wait (for gcore).
package main

import (
	"fmt"
	"os"
	"time"
)

type Node struct {
	next *Node
	val  [6]int
}

var head *Node

func main() {
	for i := 0; i < 1000; i++ {
		head = &Node{next: head}
		head.val[0] = i
	}
	if os.Getenv("CRASH") == "1" {
		panic("heapwise bad-input corpus: crash for a core dump")
	}
	fmt.Println("READY")
	time.Sleep(time.Hour)
}
EOF
    (
        cd "$tmp/old"
        export GOROOT="$goroot" GOTOOLCHAIN=local GOPROXY=off GOSUMDB=off GOFLAGS=-mod=mod \
            GOCACHE="$TOOLS/gocache" GOPATH="$TOOLS/gopath" GOENV=off GOWORK=off \
            CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOEXPERIMENT=
        "$goroot/bin/go" build -o "$old_dir/exe" .
    ) || die "go $OLD_GO: build failed"
    capture "$old_dir/exe" "$old_dir/core" && echo "$script_hash" >"$old_dir/.stamp"
    log "made $old_dir (Go $OLD_GO)"
else
    log "skipped go1.21: cannot install Go $OLD_GO ($(tail -1 "$tmp/tools.log"))"
fi

# 2. zoo without DWARF (-ldflags=-w), same source and Go as the 1.26.6 corpus.
nd_dir="$BAD/nodwarf"
nd_hash="$(cat "$SCRIPT" "$ROOT"/testdata/progs/zoo/*.go "$ROOT"/testdata/truth/*.go "$ROOT/testdata/go.mod" | sha256sum | cut -d' ' -f1)"
if fresh "$nd_dir" "$nd_hash" exe; then
    :
elif goroot="$("$ROOT/scripts/tools.sh" go "$NODWARF_GO" 2>"$tmp/tools.log")"; then
    mkdir -p "$nd_dir"
    rm -f "$nd_dir/.stamp"
    (
        cd "$ROOT/testdata"
        export GOROOT="$goroot" GOTOOLCHAIN=local GOPROXY=off GOSUMDB=off GOFLAGS=-mod=mod \
            GOCACHE="$TOOLS/gocache" GOPATH="$TOOLS/gopath" GOENV=off GOWORK=off \
            CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOEXPERIMENT=
        "$goroot/bin/go" build -ldflags=-w -o "$nd_dir/exe" ./progs/zoo
    ) || die "go $NODWARF_GO: build of zoo -ldflags=-w failed"
    echo "$nd_hash" >"$nd_dir/.stamp"
    log "made $nd_dir"
else
    log "skipped nodwarf: cannot install Go $NODWARF_GO"
fi

# 3. A core of a non-Go process: a C program that aborts (or blocks for gcore).
nogo_dir="$BAD/nogo"
if fresh "$nogo_dir" "$script_hash" exe core; then
    :
elif command -v gcc >/dev/null; then
    mkdir -p "$nogo_dir"
    rm -f "$nogo_dir/.stamp"
    cat >"$tmp/nogo.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(void) {
    char *p = malloc(1 << 16);
    memset(p, 'x', 1 << 16);
    const char *crash = getenv("CRASH");
    if (crash && strcmp(crash, "1") == 0) abort();
    printf("READY\n");
    fflush(stdout);
    sleep(3600);
    return 0;
}
EOF
    gcc -O1 -o "$nogo_dir/exe" "$tmp/nogo.c" || die "gcc failed"
    capture "$nogo_dir/exe" "$nogo_dir/core" && echo "$script_hash" >"$nogo_dir/.stamp"
    log "made $nogo_dir"
else
    log "skipped nogo: gcc not found"
fi
log "bad-input corpus in $BAD"
