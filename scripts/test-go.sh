#!/usr/bin/env bash
# go vet and go test of the Go module go/ (package heapwisehttp) with each supported Go release
# the module supports (go.mod's `go` line and later).
#   scripts/test-go.sh [--versions "1.24.11 1.27.3"] [--no-page]
# The tests read a snapshot back through the heapwise CLI (${HEAPWISE_CLI:-target/release/heapwise},
# so build it first) and check the embedded page equals dist/ (--no-page skips that one test:
# for runs that build no page). Test binaries are linked with DWARF (-ldflags=-w=0; go test
# leaves it out by default), which heapwise needs to name a dump's small objects.
# Ends with a cargo-style "test result:" line that scripts/test.sh counts.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}"
# The releases the module supports: those at or above go.mod's `go` line.
module_go="$(awk '$1 == "go" { print $2; exit }' "$ROOT/go/go.mod")"
versions="$(for v in $("$ROOT/scripts/tools.sh" versions); do
    printf '%s\n%s\n' "$module_go" "${v%.*}" | sort -V -C && echo "$v"; done)"
skip=()
while [ $# -gt 0 ]; do
    case "$1" in
        --versions) versions="$2"; shift 2 ;;
        --no-page) skip=(-skip TestEmbeddedPageIsDist); shift ;;
        *) echo "usage: scripts/test-go.sh [--versions \"V...\"] [--no-page]" >&2; exit 2 ;;
    esac
done
export HEAPWISE_CLI="${HEAPWISE_CLI:-${CARGO_TARGET_DIR:-$ROOT/target}/release/heapwise}"
passed=0 failed=0 skipped=0 rc=0
for v in $versions; do
    goroot="$("$ROOT/scripts/tools.sh" go "$v")" || { echo "test-go.sh: no Go $v" >&2; failed=$((failed + 1)); continue; }
    echo "== go test heapwisehttp with Go $v"
    out="$(cd "$ROOT/go" && env GOROOT="$goroot" PATH="$goroot/bin:$PATH" GOTOOLCHAIN=local GOPROXY=off \
        GOSUMDB=off GOFLAGS=-mod=mod GOENV=off GOWORK=off GOCACHE="${GOCACHE:-$TOOLS/gocache}" \
        GOPATH="${GOPATH:-$TOOLS/gopath}" \
        bash -c 'go vet ./... && go test -count=1 -v -ldflags=-w=0 "$@" ./...' _ "${skip[@]}" 2>&1)"
    r=$?
    echo "$out" | grep -v '^=== \(RUN\|PAUSE\|CONT\)'
    p=$(grep -c '^--- PASS' <<<"$out"); f=$(grep -c '^--- FAIL' <<<"$out"); s=$(grep -c '^--- SKIP' <<<"$out")
    if [ "$r" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # a build or vet failure
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    [ "$r" -eq 0 ] || rc=1
done
echo "test result: $([ $rc -eq 0 ] && echo ok || echo FAILED). $passed passed; $failed failed; $skipped ignored (go test heapwisehttp, Go $(echo $versions | tr ' ' ','))"
exit $rc
