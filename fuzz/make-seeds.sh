#!/usr/bin/env bash
# Regenerates the committed seed corpus of the fuzz targets (fuzz/corpus/<target>/) from
# real inputs. Needs the fixture executable (fuzz/fixtures/tiny.exe), kernel cores
# (core_pattern 'core') or gcore, gcc and objcopy, python3, and for the gcore header seed
# the Go corpus of scripts/make-cores.sh (skipped when absent).
#
#   fuzz/make-seeds.sh
#
# The fixture executable itself: fuzz/fixtures/tiny/main.go built by Go 1.26.6 as in
# fuzz/README.md. Seeds stay under 200 KB each.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ="$ROOT/fuzz"
CORES="${HEAPWISE_CORES:-${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}/cores}"
EXE="$FUZZ/fixtures/tiny.exe"
OUT_CORE="$FUZZ/corpus/core_loader"
OUT_EXE="$FUZZ/corpus/exe_parser"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$OUT_CORE" "$OUT_EXE"

# 1. A kernel core (or gcore) of the fixture program, with one P so the heap stays small.
case "$(cat /proc/sys/kernel/core_pattern)" in
    core|core.%p)
        (cd "$tmp" && ulimit -c unlimited && GOMAXPROCS=1 CRASH=1 GOTRACEBACK=crash "$EXE" >/dev/null 2>&1) || true
        core="$(ls "$tmp"/core* | head -1)"
        ;;
    *)
        GOMAXPROCS=1 "$EXE" >"$tmp/out" 2>/dev/null &
        pid=$!
        until grep -q READY "$tmp/out"; do sleep 0.1; done
        gcore -o "$tmp/core" "$pid" >/dev/null 2>&1
        kill -KILL "$pid"
        core="$tmp/core.$pid"
        ;;
esac
[ -s "$core" ] || { echo "make-seeds.sh: no core of the fixture program" >&2; exit 1; }

# 2. core_loader seeds: a compacted core that still analyzes, headers and notes only, the
#    executable given as the core, and a gcore's headers (notes at the end of the file).
(cd "$ROOT" && cargo run -q --example trace_reads -- "$core" "$EXE") >"$tmp/ranges.txt"
python3 "$FUZZ/make_seeds.py" compact "$core" "$tmp/ranges.txt" "$OUT_CORE/kernel-compact"
python3 "$FUZZ/make_seeds.py" headers "$core" "$OUT_CORE/kernel-headers-truncated" --mode truncated
python3 "$FUZZ/make_seeds.py" headers "$core" "$OUT_CORE/kernel-headers-nodata" --mode nodata
python3 "$FUZZ/make_seeds.py" headers "$core" "$OUT_CORE/kernel-headers-parse" --mode truncated --mode-byte 0
{ printf '\001'; head -c 8192 "$EXE"; } >"$OUT_CORE/exe-as-core"
gcore_core="$CORES/1.26.6/zoo/core.gcore"
if [ -f "$gcore_core" ]; then
    python3 "$FUZZ/make_seeds.py" headers "$gcore_core" "$OUT_CORE/gcore-headers-parse" --mode truncated --mode-byte 0
else
    echo "make-seeds.sh: no $gcore_core: gcore header seed not made" >&2
fi

# 3. exe_parser seeds: the fixture's first page (headers, no section table), and small C
#    programs with DWARF (plain and zlib-compressed) carrying a Go build-info section, one
#    without DWARF.
head -c 4096 "$EXE" >"$OUT_EXE/tiny-head"
cat >"$tmp/prog.c" <<'EOF'
typedef struct node { struct node *next; long val; const char *name; } node;
typedef struct box { node *items[8]; node **slice; unsigned long len, cap; void *any[2]; } box;
enum { kSmall = 8 };
node nodes[kSmall];
box the_box;
static int counter;
int walk(node *n, int depth) {
    int total = 0;
    node local = { n, depth, "local" };
    for (node *p = &local; p && depth < 100; p = p->next, depth++) total += (int)p->val;
    return total + counter;
}
int main(void) { the_box.items[0] = &nodes[0]; return walk(&nodes[0], 0); }
EOF
# .go.buildinfo: "\xff Go buildinf:", pointer size 8, flags 2 (inline strings), then
# uvarint-prefixed version and module strings.
printf '\377 Go buildinf:\010\002' >"$tmp/buildinfo"
head -c 16 /dev/zero >>"$tmp/buildinfo"
printf '\010go1.26.6\000' >>"$tmp/buildinfo"
for v in plain zlib nodwarf; do
    case "$v" in
        plain) flags=(-g) ;;
        zlib) flags=(-g -gz=zlib) ;;
        nodwarf) flags=() ;;
    esac
    gcc -O0 "${flags[@]}" -o "$tmp/prog-$v" "$tmp/prog.c"
    objcopy --add-section .go.buildinfo="$tmp/buildinfo" --remove-section .comment "$tmp/prog-$v" "$OUT_EXE/c-dwarf-$v"
done
ls -l "$OUT_CORE" "$OUT_EXE"
