#!/usr/bin/env bash
# Sets up and runs every test of heapwise (the command CI runs through .ci/run).
#   1. installs what is missing: Debian gdb + zstd (gcore, zstd cores), the four Go toolchains
#      (scripts/tools.sh), the web toolchain (scripts/web-tools.sh, from test-web.sh);
#   2. builds the test cores with real Go toolchains (scripts/make-cores.sh; cached);
#   3. native tests: unit tests, the ground-truth corpus over Go 1.22-1.27 (gcore, kernel, PIE
#      cores), bad-input CLI tests; the analysis crates must build for wasm32;
#   4. browser tests: wasm-bindgen tests in headless Chromium and the playwright e2e suite.
# Options: --no-web skips 4. Ends with one "N passed, M failed, K skipped" line over all
# suites; under HEAPWISE_REQUIRE_CORES=1 (set below) a skipped test fails the run.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
web=1
for a in "$@"; do
    case "$a" in
        --no-web) web=0 ;;
        *) echo "usage: scripts/test.sh [--no-web]" >&2; exit 2 ;;
    esac
done
# One tools cache for every step: the scripts default to it and the tests read cores from
# $HEAPWISE_CORES, so a run with HEAPWISE_TOOLS elsewhere (a clean cache beside the usual
# one) uses it throughout.
export HEAPWISE_TOOLS="${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}"
export HEAPWISE_CORES="${HEAPWISE_CORES:-$HEAPWISE_TOOLS/cores}"
LOG="$(mktemp -d)/test.log"
failed_steps=()
step() { # step NAME CMD...: runs CMD, tees output into the log, records failure
    local name="$1"; shift
    echo "== $name"
    local start=$(date +%s)
    if "$@" 2>&1 | tee -a "$LOG"; then
        echo "== $name: ok ($(( $(date +%s) - start )) s)"
    else
        echo "== $name: FAILED ($(( $(date +%s) - start )) s)"
        failed_steps+=("$name")
    fi
}

need_apt=()
command -v gcore >/dev/null || need_apt+=(gdb)
command -v zstd >/dev/null || need_apt+=(zstd)
command -v /usr/bin/time >/dev/null || need_apt+=(time)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "== installing ${need_apt[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}") >/dev/null
fi
# Everything a step needs is installed before the step: the wasm32 target (seconds; the native
# step "analysis crates build for wasm32" uses it) now, and the slow installs (trunk,
# wasm-bindgen-cli, cargo-fuzz: cargo builds of ~15 min together) in the background while the
# Go toolchains and test cores are made; the steps that use them wait for that job first.
step "wasm32 target" bash -c 'rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown'
INSTALL_LOG="$(dirname "$LOG")/install.log"
(
    set -e
    if [ "$web" = 1 ]; then bash scripts/web-tools.sh; fi
    cargo fuzz --version >/dev/null 2>&1 || cargo install --quiet cargo-fuzz
    # Then the builds of the steps that use these tools (the steps rebuild incrementally).
    (cd fuzz && mkdir -p target && RUSTC_BOOTSTRAP=1 nice -n 5 cargo fuzz build >target/build.log 2>&1) \
        || echo "test.sh: early fuzz build failed (the fuzz step builds again and reports it)"
    if [ "$web" = 1 ]; then
        eval "$(bash scripts/web-tools.sh env)"
        (cd web && nice -n 5 cargo test --release --quiet --target wasm32-unknown-unknown --test blob_source --no-run) \
            && TRUNK_SKIP_VERSION_CHECK=true nice -n 5 trunk build --offline --release >/dev/null \
            || echo "test.sh: early web build failed (the browser step builds again and reports it)"
    fi
) >"$INSTALL_LOG" 2>&1 &
install_job=$!
# The Rust builds the tests need (release binaries and test executables, the wasm32 build of
# the analysis crates) also start now, at a lower priority: making cores is mostly gdb writing
# core files and programs sleeping until they are cored, so the builds fill idle CPU instead
# of running after it. Their steps below wait for this job.
BUILD_LOG="$(dirname "$LOG")/build.log"
(
    set -e
    nice -n 5 cargo build --release --workspace --quiet
    nice -n 5 cargo test --release --no-run --quiet
    nice -n 5 cargo build --quiet --target wasm32-unknown-unknown -p heapwise-core -p heapwise-sources
) >"$BUILD_LOG" 2>&1 &
build_job=$!
step "Go toolchains" bash scripts/tools.sh
step "test cores (real Go 1.22-1.27 programs)" bash scripts/make-cores.sh
step "bad-input cores (Go 1.21, no DWARF, non-Go; scripts/make-bad-cores.sh)" bash scripts/make-bad-cores.sh
export HEAPWISE_REQUIRE_CORES=1
export RUST_BACKTRACE=0
wait "$build_job"; build_rc=$?
step "Rust builds (background since the start: release, test executables, wasm32)" bash -c 'cat "$1"; exit "$2"' _ "$BUILD_LOG" "$build_rc"
step "cargo build (release)" cargo build --release --workspace --quiet
step "cargo test (unit, corpus, bad input)" cargo test --release --quiet --no-fail-fast
step "analysis crates build for wasm32" cargo build --quiet --target wasm32-unknown-unknown -p heapwise-core -p heapwise-sources
wait "$install_job"; install_rc=$?
step "tool installs (background since the start: web toolchain, cargo-fuzz)" bash -c 'cat "$1"; exit "$2"' _ "$INSTALL_LOG" "$install_rc"
if [ -x scripts/fuzz.sh ]; then
    step "fuzz seed corpus replay" bash scripts/fuzz.sh --replay
fi
if [ "$web" = 1 ]; then
    # The e2e suite also loads a freshly made core and executable (zoo, Go 1.26) with exact counts.
    export HEAPWISE_E2E_CORE="${HEAPWISE_E2E_CORE:-$HEAPWISE_CORES/1.26.6/zoo/core.kernel}"
    export HEAPWISE_E2E_EXE="${HEAPWISE_E2E_EXE:-$HEAPWISE_CORES/1.26.6/zoo/exe}"
    export HEAPWISE_E2E_TRUTH="${HEAPWISE_E2E_TRUTH:-$HEAPWISE_CORES/1.26.6/zoo/truth-kernel.json}"
    export HEAPWISE_E2E_DUMP="${HEAPWISE_E2E_DUMP:-$HEAPWISE_CORES/1.26.6/zoo/heap.dump}"
    export HEAPWISE_E2E_DUMP_TRUTH="${HEAPWISE_E2E_DUMP_TRUTH:-$HEAPWISE_CORES/1.26.6/zoo/truth-dump.json}"
    step "browser tests (wasm-bindgen in Chromium, playwright e2e)" bash scripts/test-web.sh
fi
# The Go package heapwisehttp (go/): its handler and endpoints, a snapshot read back by the CLI,
# and (after the browser tests built dist/ and copied it in) the embedded page against dist/.
if [ "$web" = 1 ]; then go_args=(); else go_args=(--no-page); fi
step "Go package heapwisehttp (go test, Go 1.24-1.27)" bash scripts/test-go.sh "${go_args[@]}"

# One closing line over every suite: cargo's "test result:" lines (passed, failed, ignored),
# node's "# pass/# fail/# skipped" (or "ℹ ..."), and the "HEAPWISE-SKIP: <test> (<reason>)"
# lines tests/common/inputs.rs prints when a test skips for a missing input: cargo counts such
# a test as passed, so each distinct one moves from passed to skipped.
read -r passed failed skipped < <(awk '
    /^test result:/ { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
    /^# pass / { p += $3 } /^# fail / { f += $3 } /^# skipped / { s += $3 }
    /^ℹ pass / { p += $3 } /^ℹ fail / { f += $3 } /^ℹ skipped / { s += $3 }
    match($0, /HEAPWISE-SKIP: [^ ]+/) { t = substr($0, RSTART + 15, RLENGTH - 15); if (!(t in seen)) { seen[t] = 1; k++ } }
    END { if (k > p) k = p; print p - k, f + 0, s + k }' "$LOG")
if [ ${#failed_steps[@]} -gt 0 ]; then
    echo "failed steps: ${failed_steps[*]}"
    [ "$failed" -gt 0 ] || failed=${#failed_steps[@]}
fi
echo "heapwise: $passed passed, $failed failed, $skipped skipped"
# Under HEAPWISE_REQUIRE_CORES=1 every test is required: a skip is a failure of the run.
if [ "${HEAPWISE_REQUIRE_CORES:-}" = 1 ] && [ "$skipped" -gt 0 ]; then
    echo "heapwise: $skipped tests skipped with HEAPWISE_REQUIRE_CORES=1: failing" >&2
    exit 1
fi
[ ${#failed_steps[@]} -eq 0 ] && [ "$failed" -eq 0 ]
