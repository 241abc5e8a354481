#!/usr/bin/env bash
# Make the web page's bundled demo: build testdata/progs/demo with Go 1.26.6,
# capture a gcore of it (via make-cores.sh), and write
#   web/demo/demo.core.zst   the core, zstd -19 (fails above 3 MB)
#   web/demo/demo.exe        the executable that produced it
#   web/demo/truth.json      the program's ground truth for that core
# Skipped when web/demo/demo.stamp holds the sha256 of the demo's sources,
# the truth harness, go.mod and this script; --force remakes it.
set -euo pipefail

die() { echo "make-demo.sh: error: $*" >&2; exit 1; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}"
CORES="${HEAPWISE_CORES:-$TOOLS/cores}"
VER=1.26.6
OUT="$ROOT/web/demo"
MAX_BYTES=$((3 * 1024 * 1024))

force=0
case "${1:-}" in
    --force) force=1 ;;
    "") ;;
    *) die "usage: make-demo.sh [--force]" ;;
esac
command -v zstd >/dev/null || die "zstd not found (apt-get install zstd)"

hash="$(
    cd "$ROOT"
    find testdata/progs/demo testdata/truth -type f -name '*.go' | LC_ALL=C sort | xargs sha256sum
    sha256sum testdata/go.mod scripts/make-demo.sh
    echo "go $VER"
)"
hash="$(echo "$hash" | sha256sum | cut -d' ' -f1)"
if [ "$force" = 0 ] && [ "$(cat "$OUT/demo.stamp" 2>/dev/null)" = "$hash" ] \
    && [ -s "$OUT/demo.core.zst" ] && [ -s "$OUT/demo.exe" ] && [ -s "$OUT/truth.json" ]; then
    echo "make-demo.sh: web/demo is up to date" >&2
    exit 0
fi

args=(--versions "$VER" --progs demo --kinds gcore)
[ "$force" = 0 ] || args+=(--force)
"$ROOT/scripts/make-cores.sh" "${args[@]}"
src="$CORES/$VER/demo"

mkdir -p "$OUT"
zstd -19 -T2 -q -f "$src/core.gcore" -o "$OUT/demo.core.zst.tmp" || die "zstd failed"
size=$(stat -c %s "$OUT/demo.core.zst.tmp")
if [ "$size" -gt "$MAX_BYTES" ]; then
    rm -f "$OUT/demo.core.zst.tmp"
    die "demo.core.zst is $size bytes (> $MAX_BYTES): make testdata/progs/demo smaller"
fi
cp -f "$src/exe" "$OUT/demo.exe.tmp"
cp -f "$src/truth.json" "$OUT/truth.json.tmp"
mv -f "$OUT/demo.core.zst.tmp" "$OUT/demo.core.zst"
mv -f "$OUT/demo.exe.tmp" "$OUT/demo.exe"
mv -f "$OUT/truth.json.tmp" "$OUT/truth.json"
echo "$hash" >"$OUT/demo.stamp"
echo "make-demo.sh: web/demo: demo.core.zst $size bytes, demo.exe $(stat -c %s "$OUT/demo.exe") bytes" >&2
