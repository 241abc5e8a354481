#!/usr/bin/env bash
# Build the page and serve it on http://127.0.0.1:${PORT:-8080}/ (Ctrl-C stops).
#   scripts/serve.sh              install missing tools, trunk build --offline --release, serve dist/
#                                 (and copy it into the Go package heapwisehttp: scripts/embed-page.sh)
#   scripts/serve.sh --no-build   serve the existing dist/
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${PORT:-8080}"
cd "$ROOT"
if [ "${1:-}" != "--no-build" ]; then
    "$ROOT/scripts/web-tools.sh" >/dev/null
    eval "$("$ROOT/scripts/web-tools.sh" env)"
    export TRUNK_SKIP_VERSION_CHECK=true
    cargo fetch --quiet
    start=$(date +%s)
    trunk build --offline --release
    echo "serve.sh: built dist/ in $(( $(date +%s) - start )) s"
    "$ROOT/scripts/embed-page.sh" >/dev/null
fi
[ -f "$ROOT/dist/index.html" ] || { echo "serve.sh: dist/index.html missing (build first)" >&2; exit 1; }
echo "serve.sh: open http://127.0.0.1:$PORT/"
exec node "$ROOT/tests/e2e/serve.mjs" "$ROOT/dist" "$PORT"
