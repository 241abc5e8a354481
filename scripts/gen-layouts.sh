#!/usr/bin/env bash
# Regenerate the runtime layout tables heapwise uses for executables without DWARF:
# for each supported Go release, build testdata/progs/zoo with that release (DWARF kept)
# and write crates/heapwise-core/layouts/goVER.txt from its DWARF.
#
#   scripts/gen-layouts.sh [--versions "1.22.10 1.23.9 1.24.11 1.25.5 1.26.6 1.27.3"]
#
# A new release: add it here (scripts/tools.sh versions) and to TABLES in
# crates/heapwise-core/src/runtime/layouts.rs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}"
versions="$("$ROOT/scripts/tools.sh" versions)"
if [ "${1:-}" = --versions ]; then versions="$2"; fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cargo build --release -q -p heapwise-core --example gen_layout --manifest-path "$ROOT/Cargo.toml"
gen="$ROOT/target/release/examples/gen_layout"
for ver in $versions; do
    goroot="$("$ROOT/scripts/tools.sh" go "$ver")"
    modflag="$("$ROOT/scripts/tools.sh" modflag "$ver")"
    (
        cd "$ROOT/testdata"
        export GOROOT="$goroot" GOTOOLCHAIN=local GOPROXY=off GOSUMDB=off GOFLAGS=-mod=mod \
            GOCACHE="$TOOLS/gocache" GOPATH="$TOOLS/gopath" GOENV=off GOWORK=off \
            CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOEXPERIMENT=
        "$goroot/bin/go" build $modflag -o "$tmp/exe-$ver" ./progs/zoo
    )
    "$gen" "$tmp/exe-$ver" "$ROOT/crates/heapwise-core/layouts/go$ver.txt"
done
