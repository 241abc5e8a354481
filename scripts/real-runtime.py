#!/usr/bin/env python3
"""Reads the Go runtime's own accounting out of a core, for the real-program corpus.

    scripts/real-runtime.py LAYOUT_EXE EXE CORE OUT.json [key=value ...]

EXE is the executable the core was taken from (its symbol table locates the runtime's
globals; DWARF is not needed). LAYOUT_EXE is a build of the same Go release with DWARF: gdb
reads the offsets of the runtime struct fields from it by name (the runtime's layout is the
same in every binary of one release). Independent of heapwise.

Writes: gcController.{heapInUse, heapLive, heapMarked, heapFree, heapReleased, totalAlloc,
totalFree} (runtime/mgcpacer.go), memstats.numgc (runtime/mstats.go), runtime.buildVersion,
and the goroutines of runtime.allgs (runtime/proc.go) that are not dead: their goids and
statuses. Extra key=value arguments are copied into the output (pid, rss, command line...).
"""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("check_core", os.path.join(here, "check-core.py"))
check_core = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_core)

FIELDS = {
    "runtime.gcControllerState": ["heapInUse", "heapLive", "heapMarked", "heapFree", "heapReleased",
                                  "totalAlloc", "totalFree"],
    "runtime.g": ["goid", "atomicstatus"],
    "runtime.mstats": ["numgc"],
}

GDB_SCRIPT = r"""
import gdb, json
want = json.loads(WANT)
out = {}
for tname, fields in want.items():
    t = gdb.lookup_type(tname)
    have = {f.name: f for f in t.fields()}
    for name in fields:
        f = have[name]
        out[tname + "." + name] = [f.bitpos // 8, f.type.sizeof]
with open(OUT, "w") as fh:
    json.dump(out, fh)
"""


def layout(exe):
    """Field offsets and sizes by name, from the DWARF of exe (through gdb)."""
    with tempfile.TemporaryDirectory() as d:
        script, out = os.path.join(d, "layout.py"), os.path.join(d, "layout.json")
        with open(script, "w") as f:
            f.write(f"WANT = {json.dumps(json.dumps(FIELDS))}\nOUT = {out!r}\n" + GDB_SCRIPT)
        r = subprocess.run(["gdb", "-batch", "-nx", "-ex", f"source {script}", exe], capture_output=True, text=True)
        if not os.path.exists(out):
            raise SystemExit(f"gdb could not read the runtime layout from {exe}: {r.stderr[-2000:]}")
        return json.load(open(out))


def read_mapped(core, exe, bias, addr, n):
    """Bytes at addr: from the core, or from the executable's file-backed segments that gcore
    leaves out (read-only data)."""
    try:
        return core.read(addr, n)
    except KeyError:
        for p in exe.phdrs:
            typ, _, off, vaddr, _, filesz = p[:6]
            if typ == 1 and vaddr + bias <= addr and addr + n <= vaddr + bias + filesz:
                return exe.m[off + addr - vaddr - bias: off + addr - vaddr - bias + n]
        raise


def main():
    if len(sys.argv) < 5:
        raise SystemExit(__doc__)
    layout_exe, exe_path, core_path, out_path = sys.argv[1:5]
    extra = dict(a.split("=", 1) for a in sys.argv[5:])
    lay = layout(layout_exe)
    exe = check_core.Elf(exe_path)
    core = check_core.Core(core_path)
    bias = core.auxv.get(9, exe.entry) - exe.entry  # AT_ENTRY: load bias of PIE
    syms = exe.symbols()

    def glob(name):
        if name not in syms:
            raise SystemExit(f"symbol {name} not in {exe_path}")
        return syms[name] + bias

    def field(base, key):
        off, size = lay[key]
        data = core.read(base + off, size)
        return int.from_bytes(data[:8], "little")

    gc = glob("runtime.gcController")
    out = {k.split(".", 2)[2]: field(gc, k) for k in lay if k.startswith("runtime.gcControllerState.")}
    out["numgc"] = field(glob("runtime.memstats"), "runtime.mstats.numgc")
    ptr, n = core.words(glob("runtime.buildVersion"), 2)
    out["go_version"] = read_mapped(core, exe, bias, ptr, n).decode()
    ptr, n, _ = core.words(glob("runtime.allgs"), 3)
    goroutines = []
    for i in range(n):
        g = core.u64(ptr + 8 * i)
        status = field(g, "runtime.g.atomicstatus") & 0xFFFFFFFF & ~0x1000  # _Gscan bit
        if status in (6, 11):  # _Gdead, _Gdeadextra (runtime/runtime2.go, Go 1.26 and 1.27)
            continue
        goroutines.append({"goid": field(g, "runtime.g.goid"), "status": status})
    out["allgs"] = n
    out["goroutines"] = goroutines
    out.update(extra)
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
