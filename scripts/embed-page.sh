#!/usr/bin/env bash
# Copy the built page (dist/, a trunk build of web/) into the Go package heapwisehttp
# (go/heapwisehttp/page/, embedded with go:embed), replacing what a previous copy left there.
#   scripts/embed-page.sh [DIST]     default DIST: <repo>/dist
# scripts/serve.sh and scripts/test-web.sh run it after each build; the copy is gitignored
# but for page/placeholder.html, which the package serves when no build was copied. The Go
# test TestEmbeddedPageIsDist checks the copy equals dist/ byte for byte.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIST="${1:-$ROOT/dist}"
PAGE="$ROOT/go/heapwisehttp/page"
[ -f "$DIST/index.html" ] || { echo "embed-page.sh: $DIST/index.html missing (build the page first: scripts/serve.sh)" >&2; exit 1; }
[ -f "$PAGE/placeholder.html" ] || { echo "embed-page.sh: $PAGE/placeholder.html missing" >&2; exit 1; }
find "$PAGE" -mindepth 1 ! -path "$PAGE/placeholder.html" -delete
cp -R "$DIST"/. "$PAGE"/
echo "embed-page.sh: copied $(find "$DIST" -type f | wc -l) files of $DIST into $PAGE"
