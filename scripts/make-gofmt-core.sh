#!/usr/bin/env bash
# Core of a binary the Go distribution ships without DWARF: $GOROOT/bin/gofmt, cored by
# gcore while it runs `gofmt -l $GOROOT/src`.
#
#   scripts/make-gofmt-core.sh [--versions "1.26.6 1.27.3"]
#
# Writes ${HEAPWISE_CORES:-~/.cache/heapwise-tools/cores}/VER/gofmt-shipped/{exe,core.gcore}
# (exe is a copy of the shipped binary). Skipped when both exist.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}"
CORES="${HEAPWISE_CORES:-$TOOLS/cores}"
versions="1.26.6 1.27.3"
if [ "${1:-}" = --versions ]; then versions="$2"; fi
command -v gcore >/dev/null || { echo "make-gofmt-core.sh: gcore not found (apt-get install gdb)" >&2; exit 1; }
for ver in $versions; do
    dir="$CORES/$ver/gofmt-shipped"
    [ -s "$dir/core.gcore" ] && [ -x "$dir/exe" ] && continue
    goroot="$("$ROOT/scripts/tools.sh" go "$ver")"
    mkdir -p "$dir"
    cp -f "$goroot/bin/gofmt" "$dir/exe"
    tmp="$(mktemp -d "$dir/.tmp.XXXXXX")"
    # Run it several times over the tree so it is mid-run when gcore stops it.
    ( for _ in 1 2 3 4 5 6 7 8; do "$dir/exe" -l "$goroot/src" >/dev/null 2>&1 || true; done ) &
    loop=$!
    sleep 3
    pid="$(pgrep -P "$loop" -n || true)"
    [ -n "$pid" ] || { kill "$loop" 2>/dev/null; echo "make-gofmt-core.sh: gofmt finished before it could be cored" >&2; exit 1; }
    gcore -o "$tmp/core" "$pid" >"$tmp/gcore.log" 2>&1 || { tail -5 "$tmp/gcore.log" >&2; kill "$loop" 2>/dev/null; exit 1; }
    kill "$loop" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    wait "$loop" 2>/dev/null || true
    fallocate --dig-holes "$tmp/core.$pid" 2>/dev/null || true
    mv -f "$tmp/core.$pid" "$dir/core.gcore"
    rm -rf "$tmp"
    echo "make-gofmt-core.sh: $ver/gofmt-shipped: core $(stat -c %s "$dir/core.gcore") bytes" >&2
done
