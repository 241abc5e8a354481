#!/usr/bin/env python3
"""Prints a Go version x program table of heapwise's results against each core's ground truth:
main.* types counted exactly, live bytes / runtime HeapAlloc, root paths and retained sizes
that match. Usage: scripts/corpus-report.py [heapwise binary] (cores from $HEAPWISE_CORES)."""
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
