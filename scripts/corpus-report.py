#!/usr/bin/env python3
"""Prints a Go version x program table of heapwise's results against each core's ground truth:
main.* types counted exactly, live bytes / runtime HeapAlloc, root paths and retained sizes
that match; then the real-program corpus (named share, live bytes against the runtime's heap figures,
goroutines). Usage: scripts/corpus-report.py [heapwise binary] (cores from $HEAPWISE_CORES)."""
import json, os, subprocess, sys

HW = sys.argv[1] if len(sys.argv) > 1 else "target/release/heapwise"
CORES = os.environ.get("HEAPWISE_CORES", os.path.expanduser("~/.cache/heapwise-tools/cores"))
VERSIONS = ["1.24.11", "1.25.5", "1.26.6", "1.27.3"]
CASES = [("zoo", "gcore"), ("zoo", "kernel"), ("zoo-pie", "gcore"), ("deeplist", "gcore"), ("demo", "gcore"), ("zoo", "dump"), ("demo", "dump")]


def run(*args):
    r = subprocess.run([HW, *args, "--json"], capture_output=True, text=True)
    return json.loads(r.stdout) if r.returncode == 0 else None


print(f"| Go | program | core | main.* types exact | objects (truth) | live bytes / HeapAlloc | paths | retained |")
print("|---|---|---|---|---|---|---|---|")
for v in VERSIONS:
    for prog, kind in CASES:
        d = f"{CORES}/{v}/{prog}"
        core, truth = {"gcore": ("core.gcore", "truth.json"), "kernel": ("core.kernel", "truth-kernel.json"),
                       "dump": ("heap.dump", "truth-dump.json")}[kind]
        if not os.path.exists(f"{d}/{core}") or not os.path.exists(f"{d}/{truth}"):
            continue
        t = json.load(open(f"{d}/{truth}"))
        base = [f"{d}/{core}", "--exe", f"{d}/exe"]
        h = run("histogram", *base) or []
        got = {r["type"]: r["count"] for r in h}
        types = t["types"]
        exact = sum(1 for k, tv in types.items() if got.get(k, 0) == tv["count"])
        objs = sum(tv["count"] for tv in types.values())
        live = sum(r["bytes"] for r in h)
        ratio = live / t["heap_alloc"] if t.get("heap_alloc") else float("nan")
        paths_ok = 0
        for p in t.get("paths") or []:
            r = run("path", *base[:1], p["addr"], *base[1:])
            if r and r["root"]["kind"] == p["root_kind"] and len(r["hops"]) == p["length"]:
                paths_ok += 1
        ret_ok = 0
        for rr in t.get("retained") or []:
            r = run("object", *base[:1], rr["addr"], *base[1:])
            if r and r.get("retained") == rr["bytes"]:
                ret_ok += 1
        npaths, nret = len(t.get("paths") or []), len(t.get("retained") or [])
        print(f"| {v} | {prog} | {kind} | {exact}/{len(types)} | {objs} | {ratio:.4f} | {paths_ok}/{npaths} | {ret_ok}/{nret} |")

# The real-program corpus (scripts/make-real-cores.sh, tests/real.rs): no truth harness, the
# reference is the runtime's own accounting read from each core (runtime.json).
REAL = ["compile", "golist", "gofmt", "vet", "service"]
print()
print("| Go | program | DWARF | live bytes | objects | named % | inferred % | (live+garbage) / heapInUse | live / heapLive | goroutines listed / runtime | largest unnamed reason |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for v in VERSIONS:
    for prog in REAL:
        for dwarf in (True, False):
            d = f"{CORES}/{v}/real-{prog}" + ("" if dwarf else "-nodwarf")
            if not os.path.exists(f"{d}/core.gcore") or not os.path.exists(f"{d}/runtime.json"):
                continue
            rt = json.load(open(f"{d}/runtime.json"))
            base = [f"{d}/core.gcore", "--exe", f"{d}/exe"]
            o = run("overview", *base)
            yes = "yes" if dwarf else "no"
            if o is None:
                r = subprocess.run([HW, "overview", *base], capture_output=True, text=True)
                print(f"| {v} | {prog} | {yes} | error: {r.stderr.strip()[:80]} | | | | | | | |")
                continue
            live = o["live_bytes"] or 1
            gs = run("goroutines", *base) or []
            ids = {g["id"] for g in gs}
            want = [g["goid"] for g in rt["goroutines"]]
            listed = sum(1 for g in want if g in ids)
            top = max(o.get("unnamed") or [], key=lambda r: r["bytes"], default=None)
            reason = f"{100 * top['bytes'] / live:.1f}% {top['reason']}" if top else ""
            print(f"| {v} | {prog} | {yes} | {o['live_bytes']} | {o['live_objects']} | {100 * o['named_bytes'] / live:.2f} "
                  f"| {100 * o['inferred_bytes'] / live:.2f} | {(o['live_bytes'] + o['garbage_bytes']) / rt['heapInUse']:.4f} "
                  f"| {o['live_bytes'] / max(rt['heapLive'], 1):.4f} | {listed}/{len(want)} | {reason} |")
