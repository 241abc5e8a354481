#!/usr/bin/env bash
# Speed and memory benchmark of `heapwise histogram` on the scale core.
#
#   scripts/bench.sh [--runs N] [--no-context] [--no-scale] [--baseline REV]
#                                                     (N also from BENCH_RUNS; default 5)
#
# Builds the release CLI, makes the scale core (Go 1.26.6, ~1 GiB heap, ~10 million
# objects) with scripts/make-cores.sh if it is missing, then runs N rounds. Each round
# times, one after the other on the same warm page cache:
#   cat        `cat core.gcore > /dev/null`: the whole file once, holes read as zeros
#   data read  a plain sequential read of only the core's non-empty data (SEEK_DATA /
#              SEEK_HOLE extents, 1 MiB reads; timed inside the reader, no interpreter start)
#   mmap       `heapwise histogram --json` with the core memory-mapped (default)
#   no-mmap    the same with --no-mmap (pread behind a bounded page cache)
# and prints median and min wall time, median CPU time (user+sys, less sensitive to other
# load on the machine), peak RSS (VmHWM), RssAnon and RssFile (HEAPWISE_STATS=1), and the
# ratios of heapwise's median wall time to each baseline's (and of its median CPU time to
# the data read's), all measured in the same run.
# Every heapwise run's main.* counts must equal truth.json, or the script fails.
# Target (the issue): whole analysis under 2 s wall and under 500 MB peak RSS.
# Then the compiler cores of the real-program corpus (scripts/make-real-cores.sh: Go's
# compile as shipped and rebuilt with DWARF, cored compiling cmd/compile/internal/ssa; every
# <version>/real-compile* present, the 1.26.6 one made if missing): per core, N rounds of
# `cat core > /dev/null` and `heapwise histogram --json` (mmap), median and min wall time,
# median CPU time, peak RSS, the ratios to cat in the same run, and the median time of each
# phase (HEAPWISE_STATS=1). Target (issue 16): under 1.5 s and under 500 MB peak.
# --baseline REV also builds commit REV in a temporary worktree (target dir
# target/bench-baseline, kept for the next run) and times its binary in the same rounds,
# interleaved with the current one, so that both see the same load.
# Then, for context, median wall time of the zoo and deeplist gcore cores of every Go
# version present, in both modes.
# --no-scale skips the scale core (only the compiler core and the context rows).
set -euo pipefail

die() { echo "bench.sh: error: $*" >&2; exit 1; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${HEAPWISE_TOOLS:-$HOME/.cache/heapwise-tools}"
CORES="${HEAPWISE_CORES:-$TOOLS/cores}"
VER=1.26.6
RUNS="${BENCH_RUNS:-5}"
context=1
scale=1
BASE_REV=""
BASE_HW=""
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) [ $# -ge 2 ] || die "--runs needs a value"; RUNS="$2"; shift 2 ;;
        --no-context) context=0; shift ;;
        --no-scale) scale=0; shift ;;
        --baseline) [ $# -ge 2 ] || die "--baseline needs a commit"; BASE_REV="$2"; shift 2 ;;
        -h|--help) sed -n '2,34p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive integer, not '$RUNS'"

if [ ! -x /usr/bin/time ]; then
    echo "bench.sh: installing GNU time (Debian package 'time')" >&2
    if [ "$(id -u)" = 0 ]; then apt-get install -y -q time >&2; else sudo apt-get install -y -q time >&2; fi
fi
command -v python3 >/dev/null || die "python3 is needed (truth check, sparse read baseline)"

(cd "$ROOT" && cargo build --release --quiet -p heapwise-cli) || die "cargo build failed"
HW="$ROOT/target/release/heapwise"

SCALE="$CORES/$VER/scale"
if [ "$scale" = 1 ] && { [ ! -f "$SCALE/core.gcore" ] || [ ! -f "$SCALE/exe" ] || [ ! -f "$SCALE/truth.json" ]; }; then
    echo "bench.sh: making the scale core (takes a few minutes)" >&2
    "$ROOT/scripts/make-cores.sh" --versions "$VER" --progs scale --kinds gcore
fi
CORE="$SCALE/core.gcore"
EXE="$SCALE/exe"
TRUTH="$SCALE/truth.json"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

if [ -n "$BASE_REV" ]; then
    rev=$(git -C "$ROOT" rev-parse --verify --quiet "$BASE_REV^{commit}") || die "--baseline: no commit '$BASE_REV'"
    git -C "$ROOT" worktree add --detach --quiet "$TMP/base-wt" "$rev" || die "cannot make a worktree of $rev"
    trap 'git -C "$ROOT" worktree remove --force "$TMP/base-wt" 2>/dev/null; rm -rf "$TMP"' EXIT
    echo "bench.sh: building the baseline $BASE_REV ($rev)" >&2
    (cd "$TMP/base-wt" && CARGO_TARGET_DIR="$ROOT/target/bench-baseline" cargo build --release --quiet -p heapwise-cli) \
        || die "cargo build of the baseline $BASE_REV failed"
    cp "$ROOT/target/bench-baseline/release/heapwise" "$TMP/heapwise-baseline"
    BASE_HW="$TMP/heapwise-baseline"
    BASE_REV="$BASE_REV ($(git -C "$ROOT" rev-parse --short "$rev"))"
fi

# Reads only the non-empty extents of a file; prints "wall_seconds cpu_seconds data_bytes".
cat > "$TMP/dataread.py" <<'EOF'
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
size = os.fstat(fd).st_size
buf = bytearray(1 << 20)
mv = memoryview(buf)
t0, c0 = time.perf_counter(), time.process_time()
off = total = 0
while off < size:
    try:
        start = os.lseek(fd, off, os.SEEK_DATA)
    except OSError:  # ENXIO: no data after off
        break
    end = os.lseek(fd, start, os.SEEK_HOLE)
    os.lseek(fd, start, os.SEEK_SET)
    left = end - start
    while left > 0:
        n = os.readv(fd, [mv[: min(left, len(buf))]])
        if n <= 0:
            raise SystemExit("short read")
        left -= n
        total += n
    off = end
print(f"{time.perf_counter() - t0:.6f} {time.process_time() - c0:.6f} {total}")
EOF

# Checks a histogram's main.* counts against truth.json.
cat > "$TMP/check.py" <<'EOF'
import json, sys
want = {k: v["count"] for k, v in json.load(open(sys.argv[1]))["types"].items()}
got = {r["type"]: r["count"] for r in json.load(open(sys.argv[2])) if r["type"].startswith("main.")}
if got != want:
    bad = sorted(set(want) | set(got))
    for k in bad:
        if want.get(k) != got.get(k):
            print(f"  {k}: heapwise {got.get(k)}, truth {want.get(k)}", file=sys.stderr)
    sys.exit(1)
EOF

now() { echo "$EPOCHREALTIME"; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'; }

# run_hw LABEL OUT ARGS...: one timed heapwise run; appends
# "wall cpu maxrss_kb vmhwm_kb rssanon_kb rssfile_kb" to $TMP/LABEL.
run_hw() {
    local label="$1" out="$2"; shift 2
    local t0 t1 st=0
    t0=$(now)
    HEAPWISE_STATS=1 /usr/bin/time -f "%U %S %M" -o "$TMP/time" "$HW" "$@" > "$out" 2> "$TMP/err" || st=$?
    t1=$(now)
    if [ "$st" != 0 ]; then
        cat "$TMP/err" >&2
        die "heapwise $* exited with status $st"
    fi
    local u s m hwm anon file
    read -r u s m < <(tail -n 1 "$TMP/time")
    hwm=$(awk '/^stats: VmHWM:/ { print $3 }' "$TMP/err")
    anon=$(awk '/^stats: RssAnon:/ { print $3 }' "$TMP/err")
    file=$(awk '/^stats: RssFile:/ { print $3 }' "$TMP/err")
    echo "$(sub "$t0" "$t1") $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }') $m ${hwm:-0} ${anon:-0} ${file:-0}" >> "$TMP/$label"
}

# phases LABEL: appends "phase<TAB>seconds" lines of the last run's HEAPWISE_STATS to $TMP/phases-LABEL.
phases() {
    sed -n 's/^stats: phase \(.*\): \([0-9.]*\) s\( wall.*\)\{0,1\}$/\1\t\2/p' "$TMP/err" >> "$TMP/phases-$1"
}

if [ "$scale" = 1 ]; then
# Warm the page cache so that every round measures the same (warm) state.
cat "$CORE" > /dev/null
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for i in $(seq "$RUNS"); do
    t0=$(now); /usr/bin/time -f "%U %S" -o "$TMP/time" cat "$CORE" > /dev/null; t1=$(now)
    read -r u s < <(tail -n 1 "$TMP/time")
    echo "$(sub "$t0" "$t1") $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }') 0 0 0 0" >> "$TMP/cat"
    read -r secs cpu databytes < <(python3 "$TMP/dataread.py" "$CORE") && [ -n "$databytes" ] || die "sparse read baseline failed"
    echo "$secs $cpu 0 0 0 0" >> "$TMP/dataread"
    for mode in mmap no-mmap; do
        flag=(); [ "$mode" = no-mmap ] && flag=(--no-mmap)
        run_hw "$mode" "$TMP/out.json" histogram "$CORE" --exe "$EXE" --json "${flag[@]}"
        python3 "$TMP/check.py" "$TRUTH" "$TMP/out.json" \
            || die "round $i, $mode: histogram main.* counts differ from $TRUTH"
    done
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$TMP" "$RUNS" "$(stat -c %s "$CORE")" "$databytes" "$load0" "$load1" "$TRUTH" <<'EOF'
import json, statistics, sys
tmp, runs, fsize, dsize, load0, load1, truth = sys.argv[1:]
rows = {}
for k in ["cat", "dataread", "mmap", "no-mmap"]:
    rows[k] = [list(map(float, l.split())) for l in open(f"{tmp}/{k}")]
med = lambda k, i: statistics.median(r[i] for r in rows[k])
mb = lambda kb: f"{kb / 1024:.0f} MB"
print(f"scale core: Go 1.26.6, {int(fsize) / 1e9:.2f} GB file, {int(dsize) / 1e9:.2f} GB data; "
      f"{runs} rounds, warm page cache; load avg {load0} -> {load1} on {__import__('os').cpu_count()} CPUs")
print(f"{'':16}{'wall med':>9}{'wall min':>9}{'cpu med':>8}{'peak RSS':>10}{'RssAnon':>9}{'RssFile':>9}"
      f"{'x cat':>7}{'x data':>7}{'cpu x data':>11}")
for k, name in [("cat", "cat (baseline)"), ("dataread", "data read (base)"), ("mmap", "heapwise mmap"), ("no-mmap", "heapwise no-mmap")]:
    wall, wmin = med(k, 0), min(r[0] for r in rows[k])
    line = f"{name:16}{wall:8.3f}s{wmin:8.3f}s{med(k, 1):7.2f}s"
    if k in ("mmap", "no-mmap"):
        peak = max(max(r[2], r[3]) for r in rows[k])
        line += f"{mb(peak):>10}{mb(med(k, 4)):>9}{mb(med(k, 5)):>9}"
        line += f"{wall / med('cat', 0):7.2f}{wall / med('dataread', 0):7.2f}{med(k, 1) / med('dataread', 1):11.2f}"
        ok = wall < 2.0 and peak * 1024 < 500e6
        line += "  target " + ("met" if ok else "NOT met")
    print(line)
want = json.load(open(truth))["types"]
print("counts = truth.json in every run: " + ", ".join(f"{k} {v['count']}" for k, v in sorted(want.items())))
EOF
fi

# The compiler cores (real-program corpus): every real-compile* core present, per core N
# rounds of cat and `heapwise histogram --json` (and the --baseline binary's, same rounds).
COMPILE="$CORES/$VER/real-compile"
if [ ! -f "$COMPILE/core.gcore" ] || [ ! -f "$COMPILE/exe" ]; then
    echo "bench.sh: making the real-program cores (scripts/make-real-cores.sh; takes a while)" >&2
    "$ROOT/scripts/make-real-cores.sh" --versions "$VER" --progs compile
fi
ccores=()
for d in "$CORES"/*/real-compile "$CORES"/*/real-compile-nodwarf; do
    [ -f "$d/core.gcore" ] && [ -f "$d/exe" ] && ccores+=("$d")
done
bins=(hw)
[ -n "$BASE_HW" ] && bins+=(base)
NEW_HW="$HW"
cload0=$(cut -d' ' -f1-3 /proc/loadavg)
for d in "${ccores[@]}"; do
    key=$(echo "$d" | sed "s|^$CORES/||; s|/|_|g")
    cat "$d/core.gcore" > /dev/null
    for i in $(seq "$RUNS"); do
        t0=$(now); /usr/bin/time -f "%U %S" -o "$TMP/time" cat "$d/core.gcore" > /dev/null; t1=$(now)
        read -r u s < <(tail -n 1 "$TMP/time")
        echo "$(sub "$t0" "$t1") $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }') 0 0 0 0" >> "$TMP/c-$key-cat"
        for b in "${bins[@]}"; do
            HW="$NEW_HW"; [ "$b" = base ] && HW="$BASE_HW"
            run_hw "c-$key-$b" "$TMP/out-$b.json" histogram "$d/core.gcore" --exe "$d/exe" --json
            phases "c-$key-$b"
            python3 -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r and sum(x['bytes'] for x in r) > 0 else 1)" "$TMP/out-$b.json" \
                || die "round $i: the histogram of $d is empty"
        done
        HW="$NEW_HW"
        if [ -n "$BASE_HW" ] && ! cmp -s "$TMP/out-hw.json" "$TMP/out-base.json"; then
            echo "bench.sh: note: $d: the histogram differs from the baseline's" >&2
        fi
    done
    cp "$TMP/out-hw.json" "$TMP/c-$key.json"
    echo "$key $d" >> "$TMP/ccores"
done
cload1=$(cut -d' ' -f1-3 /proc/loadavg)
[ "${#ccores[@]}" -gt 0 ] && python3 - "$TMP" "$RUNS" "$cload0" "$cload1" "${BASE_REV:-}" <<'EOF'
import collections, json, os, statistics, sys
tmp, runs, load0, load1, base_rev = sys.argv[1:]
print(f"compiler cores: {runs} rounds each, warm page cache; load avg {load0} -> {load1} on {os.cpu_count()} CPUs"
      + (f"; baseline = {base_rev}" if base_rev else ""))
print(f"  {'':32}{'wall med':>9}{'wall min':>9}{'cpu med':>8}{'peak RSS':>10}{'x cat':>7}{'cpu x cat':>10}")
for line in open(f"{tmp}/ccores"):
    key, d = line.split()
    h = json.load(open(f"{tmp}/c-{key}.json"))
    print(f"{key}: {os.path.getsize(d + '/core.gcore') / 1e9:.2f} GB file, {sum(r['count'] for r in h)} live objects, "
          f"{sum(r['bytes'] for r in h) / 1e6:.0f} MB live")
    rows = lambda k: [list(map(float, l.split())) for l in open(f"{tmp}/c-{key}-{k}")]
    cat = rows("cat")
    cat_w, cat_c = statistics.median(r[0] for r in cat), statistics.median(r[1] for r in cat)
    print(f"  {'cat (baseline)':32}{cat_w:8.3f}s{min(r[0] for r in cat):8.3f}s{cat_c:7.2f}s")
    for k, name in [("hw", "heapwise histogram"), ("base", f"baseline {base_rev}")]:
        if not os.path.exists(f"{tmp}/c-{key}-{k}"):
            continue
        r = rows(k)
        wall, cpu = statistics.median(x[0] for x in r), statistics.median(x[1] for x in r)
        peak = max(max(x[2], x[3]) for x in r)
        ok = wall < 1.5 and peak * 1024 < 500e6
        print(f"  {name[:32]:32}{wall:8.3f}s{min(x[0] for x in r):8.3f}s{cpu:7.2f}s{peak / 1024:>8.0f} MB"
              f"{wall / cat_w:7.2f}{cpu / max(cat_c, 1e-9):10.2f}  target (1.5 s, 500 MB) " + ("met" if ok else "NOT met"))
        ph = collections.defaultdict(list)
        if os.path.exists(f"{tmp}/phases-c-{key}-{k}"):
            for l in open(f"{tmp}/phases-c-{key}-{k}"):
                name_, secs = l.rstrip("\n").split("\t")
                ph[name_].append(float(secs))
        if ph:
            print("    phases (median s wall): " + ", ".join(f"{p} {statistics.median(v):.2f}" for p, v in ph.items()))
EOF

[ "$context" = 1 ] || exit 0
echo "context: median wall (ms) of 'heapwise histogram' over $RUNS runs, gcore cores"
versions="$("$ROOT/scripts/tools.sh" versions)"
header=$(printf '%-18s' "")
for v in $versions; do header+=$(printf '%9s' "$v"); done
echo "$header"
for prog in zoo deeplist; do
    for mode in mmap no-mmap; do
        line=$(printf '%-18s' "$prog $mode")
        for v in $versions; do
            d="$CORES/$v/$prog"
            if [ ! -f "$d/core.gcore" ] || [ ! -f "$d/exe" ]; then line+=$(printf '%9s' "missing"); continue; fi
            flag=(); [ "$mode" = no-mmap ] && flag=(--no-mmap)
            rm -f "$TMP/ctx"
            for _ in $(seq "$RUNS"); do
                run_hw ctx "$TMP/out.json" histogram "$d/core.gcore" --exe "$d/exe" --json "${flag[@]}"
            done
            line+=$(printf '%9.0f' "$(awk '{ print $1 * 1000 }' "$TMP/ctx" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')")
        done
        echo "$line"
    done
done
