#!/usr/bin/env bash
# Idempotent installer of the web toolchain (safe to run twice; installs only what is missing).
#
#   scripts/web-tools.sh            install everything that is missing, print how to use it
#   scripts/web-tools.sh env        print the `export PATH=...` line the other scripts use
#
# Pieces (see docs in /work/shared/web-toolchain.md):
#   rustup target wasm32-unknown-unknown
#   trunk 0.21.14                  cargo install --locked          (~8 min on 2 cores)
#   wasm-bindgen-cli 0.2.130       cargo install (NOT --locked)    (~3 min)
#   binaryen 132 (wasm-opt)        npm, in ${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}/node
#   nodejs+npm, chromium, chromium-driver    apt-get (Debian), when missing
#   playwright-core (exact pin)    npm ci in tests/e2e
set -euo pipefail

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130
BINARYEN_VERSION=132.0.0
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}"
NODE_TOOLS="$TOOLS/node"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"

log() { echo "web-tools.sh: $*" >&2; }
die() { log "$*"; exit 1; }

path_line() {
    echo "export PATH=\"$NODE_TOOLS/node_modules/.bin:$CARGO_BIN:\$PATH\""
}
export PATH="$NODE_TOOLS/node_modules/.bin:$CARGO_BIN:$PATH"

if [ "${1:-}" = "env" ]; then path_line; exit 0; fi
case "${1:-}" in -h|--help|help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0;; esac

APT_UPDATED=0
apt_install() { # apt_install PKG...: Debian packages, `apt-get update` once per run
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    if [ "$APT_UPDATED" = 0 ]; then
        $sudo apt-get update -q
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$@"
}

has_version() { # has_version CMD WANTED
    command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -q " $2\b"
}

# 1. wasm target
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    log "adding rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
fi

# 2. cargo tools (slow): run the missing ones one after the other
if ! has_version wasm-bindgen "$WASM_BINDGEN_VERSION" || ! has_version wasm-bindgen-test-runner "$WASM_BINDGEN_VERSION"; then
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (~3 min)"
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi
if ! has_version trunk "$TRUNK_VERSION"; then
    log "installing trunk $TRUNK_VERSION (~8 min)"
    cargo install trunk --version "$TRUNK_VERSION" --locked --force
fi

# 3. node + npm (wasm-opt and the e2e driver come from npm)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    log "installing nodejs npm (apt-get)"
    apt_install nodejs npm
fi

# 4. wasm-opt from npm binaryen (Debian's binaryen is too old for wasm-bindgen output)
if ! [ -x "$NODE_TOOLS/node_modules/.bin/wasm-opt" ] || \
   ! "$NODE_TOOLS/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}\b"; then
    log "installing binaryen@$BINARYEN_VERSION into $NODE_TOOLS"
    mkdir -p "$NODE_TOOLS"
    [ -f "$NODE_TOOLS/package.json" ] || echo '{"name":"heapwise-tools","private":true}' >"$NODE_TOOLS/package.json"
    (cd "$NODE_TOOLS" && npm install --no-audit --no-fund --save-exact "binaryen@$BINARYEN_VERSION" >/dev/null)
fi

# 5. chromium + chromedriver
if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ]; then
    log "installing chromium chromium-driver (apt-get)"
    apt_install chromium chromium-driver
fi

# 6. playwright-core for the e2e suite (pinned in tests/e2e/package.json + package-lock.json)
if [ -f "$ROOT/tests/e2e/package.json" ]; then
    want="$(node -p "require('$ROOT/tests/e2e/package.json').devDependencies['playwright-core']")"
    have="$(node -p "try{require('$ROOT/tests/e2e/node_modules/playwright-core/package.json').version}catch(e){''}")"
    if [ "$want" != "$have" ]; then
        log "installing playwright-core $want in tests/e2e"
        if [ -f "$ROOT/tests/e2e/package-lock.json" ]; then
            (cd "$ROOT/tests/e2e" && npm ci --no-audit --no-fund >/dev/null)
        else
            (cd "$ROOT/tests/e2e" && npm install --no-audit --no-fund >/dev/null)
        fi
    fi
fi

cat <<USAGE
web toolchain ready:
  trunk $(trunk --version 2>/dev/null | awk '{print $2}'), wasm-bindgen $(wasm-bindgen --version | awk '{print $2}'), wasm-opt $(wasm-opt --version | awk '{print $3}'), $(/usr/bin/chromium --version 2>/dev/null)
put the tools on PATH in your shell:
  $(path_line)
then:
  scripts/serve.sh                   build dist/ (trunk build --offline --release) and serve it on http://127.0.0.1:8080/
  scripts/test-web.sh                wasm-bindgen tests in headless Chromium + the playwright e2e suite
  trunk build --offline --release    just build dist/
USAGE
