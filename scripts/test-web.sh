#!/usr/bin/env bash
# Tests of the web page:
#   0. the web crate's native unit tests (telling a separate debug file from an executable, ...);
#   1. wasm-bindgen tests of the worker's reading layer (web/tests/blob_source.rs), in headless
#      Chromium inside a dedicated worker;
#   2. trunk build --offline --release of dist/;
#   3. the playwright-core end-to-end suite (tests/e2e/e2e.test.mjs) against dist/ served on
#      127.0.0.1, and the one-click suite (tests/e2e/oneclick.test.mjs: dist/ embedded in the Go
#      package heapwisehttp, served by testdata/progs/oneclick built with each Go release). It loads HEAPWISE_E2E_CORE / HEAPWISE_E2E_EXE / HEAPWISE_E2E_TRUTH when set,
#      else the bundled demo (web/demo/).
# Installs missing tools first (scripts/web-tools.sh). Options: --no-wasm-tests, --no-e2e.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
wasm_tests=1 e2e=1
for a in "$@"; do
    case "$a" in
        --no-wasm-tests) wasm_tests=0 ;;
        --no-e2e) e2e=0 ;;
        *) echo "usage: test-web.sh [--no-wasm-tests] [--no-e2e]" >&2; exit 2 ;;
    esac
done
"$ROOT/scripts/web-tools.sh" >/dev/null
eval "$("$ROOT/scripts/web-tools.sh" env)"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-300}"
export TRUNK_SKIP_VERSION_CHECK=true
cargo fetch --quiet

echo "== unit tests of the web crate (native)"
cargo test --offline --release --quiet -p heapwise-web --lib
if [ "$wasm_tests" = 1 ]; then
    echo "== wasm-bindgen tests (headless Chromium, dedicated worker)"
    (cd web && cargo test --offline --release --target wasm32-unknown-unknown --test blob_source)
fi
if [ "$e2e" = 1 ]; then
    echo "== trunk build --offline --release"
    start=$(date +%s)
    trunk build --offline --release
    echo "built dist/ in $(( $(date +%s) - start )) s: $(du -k dist/app-*_bg.wasm dist/worker_bg.wasm | awk '{printf "%s %s KiB; ", $2, $1}')"
    scripts/embed-page.sh
    echo "== end-to-end (playwright-core, headless Chromium)"
    # oneclick.test.mjs: the testdata service serving the page through heapwisehttp (embedded
    # by embed-page.sh above), built with each Go release, analyzed with one click.
    node --test --test-concurrency=1 tests/e2e/e2e.test.mjs tests/e2e/oneclick.test.mjs
fi
