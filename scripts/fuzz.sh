#!/usr/bin/env bash
# Fuzzes heapwise's loaders with cargo-fuzz (targets in fuzz/fuzz_targets, see fuzz/README.md).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]   run each target for SECONDS (default 60)
#   scripts/fuzz.sh --replay [TARGET...]     run each target once over its seed corpus and
#                                            crash regressions (no fuzzing)
#
# Targets: every fuzz/fuzz_targets/*.rs (default: all). Installs cargo-fuzz when missing. The
# stable toolchain builds the targets with RUSTC_BOOTSTRAP=1 (cargo-fuzz needs -Z flags),
# with overflow checks and debug assertions on (fuzz/Cargo.toml's release profile).
# Every run (replay too) fails an input that takes over 512 MB (-rss_limit_mb) and, while
# fuzzing, one allocation over that (-malloc_limit_mb). Inputs grow to FUZZ_MAX_LEN bytes
# (default: 4 MiB for heapdump, whose hostile inputs need size, 256 KiB for the others).
# New inputs go to fuzz/target/corpus/<target>/ (the committed seeds in fuzz/corpus/ are
# only read); a crash is saved to fuzz/target/artifacts/<target>/ and fails the run: fix it,
# and add the input to fuzz/regressions/<target>/ (replayed by `cargo test` too).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT/fuzz"

die() { echo "fuzz.sh: $*" >&2; exit 1; }

replay=0
seconds=60
if [ "${1:-}" = "--replay" ]; then
    replay=1
    shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then
    seconds="$1"
    shift
elif [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi
all=()
for f in fuzz_targets/*.rs; do all+=("$(basename "$f" .rs)"); done
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for t in "${targets[@]}"; do
    [ -f "fuzz_targets/$t.rs" ] || die "unknown target '$t' (${all[*]})"
done

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install --quiet cargo-fuzz || die "cargo install cargo-fuzz failed"
fi
export RUSTC_BOOTSTRAP=1

mkdir -p target
cargo fuzz build >target/build.log 2>&1 || { tail -20 target/build.log >&2; die "cargo fuzz build failed"; }
status=0
for t in "${targets[@]}"; do
    dirs=()
    [ -d "corpus/$t" ] && dirs+=("corpus/$t")
    [ -d "regressions/$t" ] && dirs+=("regressions/$t")
    mkdir -p "target/artifacts/$t"
    if [ "$replay" = 1 ]; then
        n=$(find "${dirs[@]}" -type f | wc -l)
        echo "fuzz.sh: $t: replaying $n inputs"
        if ! cargo fuzz run "$t" "${dirs[@]}" -- -runs=0 -rss_limit_mb=512 -timeout=30 \
                -artifact_prefix="target/artifacts/$t/" >"target/replay-$t.log" 2>&1; then
            tail -30 "target/replay-$t.log" >&2
            echo "fuzz.sh: $t: an input of the corpus fails (log: fuzz/target/replay-$t.log)" >&2
            status=1
        else
            echo "fuzz.sh: $t: ok"
        fi
        continue
    fi
    work="target/corpus/$t"
    mkdir -p "$work"
    echo "fuzz.sh: $t: fuzzing for ${seconds}s (new inputs in fuzz/$work)"
    # -timeout: one input running longer counts as a hang; -rss_limit_mb: as a blow-up.
    max_len="${FUZZ_MAX_LEN:-}"
    if [ -z "$max_len" ]; then
        if [ "$t" = heapdump ]; then max_len=4194304; else max_len=262144; fi
    fi
    if ! cargo fuzz run "$t" "$work" "${dirs[@]}" -- -max_total_time="$seconds" -rss_limit_mb=512 \
            -malloc_limit_mb=512 -timeout=10 -max_len="$max_len" -print_final_stats=1 \
            -artifact_prefix="target/artifacts/$t/" 2>&1 | tee "target/fuzz-$t.log" | grep -E "^(#[0-9]+ +(INITED|DONE)|stat::number_of_executed_units|stat::peak_rss|==[0-9]+==ERROR|SUMMARY)"; then
        :
    fi
    if grep -qE "^==[0-9]+==ERROR|^SUMMARY|panicked at|Test unit written" "target/fuzz-$t.log"; then
        grep -E "panicked at|==ERROR|Test unit written" "target/fuzz-$t.log" | head -5 >&2
        echo "fuzz.sh: $t: crash found (log: fuzz/target/fuzz-$t.log)" >&2
        status=1
    fi
done
exit "$status"
