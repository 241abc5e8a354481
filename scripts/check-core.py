#!/usr/bin/env python3
"""Check that a core of a testdata program holds what its truth file says.

    scripts/check-core.py EXE CORE TRUTH

Independent of heapwise itself: reads the ELF core's PT_LOAD segments and
the executable's symbol table, then follows the structures each program
built (linked lists, slices, interfaces, the channel buffer, closures,
cycles...) from the globals named in the truth and checks that they land
on the addresses and hop counts the truth records. Exits 1 on a mismatch.
"""
import mmap
import struct
import sys


class Elf:
    def __init__(self, path):
        self.f = open(path, "rb")
        self.m = mmap.mmap(self.f.fileno(), 0, access=mmap.ACCESS_READ)
        m = self.m
        if m[:4] != b"\x7fELF" or m[4] != 2 or m[5] != 1:
            raise SystemExit(f"{path}: not a little-endian ELF64 file")
        (self.type, _, _, self.entry, phoff, shoff, _, _, phentsize, phnum,
         shentsize, shnum, _) = struct.unpack_from("<HHIQQQIHHHHHH", m, 16)
        self.phdrs = []
        for i in range(phnum):
            self.phdrs.append(struct.unpack_from("<IIQQQQQQ", m, phoff + i * phentsize))
        self.shdrs = []
        for i in range(shnum):
            self.shdrs.append(struct.unpack_from("<IIQQQQIIQQ", m, shoff + i * shentsize))

    def symbols(self):
        syms = {}
        for sh in self.shdrs:
            if sh[1] != 2:  # SHT_SYMTAB
                continue
            strtab = self.shdrs[sh[6]]
            off, size, entsize = sh[4], sh[5], sh[9]
            for i in range(size // entsize):
                name, info, other, shndx, value, sz = struct.unpack_from("<IBBHQQ", self.m, off + i * entsize)
                s = strtab[4] + name
                e = self.m.find(b"\0", s)
                syms[self.m[s:e].decode("utf-8", "replace")] = value
        return syms


class Core(Elf):
    def __init__(self, path):
        super().__init__(path)
        if self.type != 4:
            raise SystemExit(f"{path}: not an ELF core")
        self.loads = sorted((p[3], p[5], p[2]) for p in self.phdrs if p[0] == 1)  # vaddr, filesz, offset
        self.auxv = {}
        for p in self.phdrs:
            if p[0] != 4:  # PT_NOTE
                continue
            off, end = p[2], p[2] + p[5]
            while off + 12 <= end:
                namesz, descsz, ntype = struct.unpack_from("<III", self.m, off)
                desc = off + 12 + ((namesz + 3) & ~3)
                if ntype == 6:  # NT_AUXV
                    for j in range(0, descsz, 16):
                        k, v = struct.unpack_from("<QQ", self.m, desc + j)
                        self.auxv[k] = v
                off = desc + ((descsz + 3) & ~3)

    def read(self, addr, n):
        # A read may span adjacent segments (gcore splits a module's data and bss mappings).
        out, start, want = b"", addr, n
        while n > 0:
            for vaddr, filesz, off in self.loads:
                if vaddr <= addr < vaddr + filesz:
                    k = min(n, vaddr + filesz - addr)
                    out += self.m[off + addr - vaddr: off + addr - vaddr + k]
                    addr, n = addr + k, n - k
                    break
            else:
                raise KeyError(f"{start:#x} (+{want}) not in the core")
        return out

    def u64(self, addr):
        return struct.unpack("<Q", self.read(addr, 8))[0]

    def words(self, addr, n):
        return struct.unpack(f"<{n}Q", self.read(addr, 8 * n))

    def gostring(self, addr):
        p, n = self.words(addr, 2)
        return self.read(p, n).decode() if n else ""


errors = []


def check(cond, what):
    if not cond:
        errors.append(what)
    return cond


def walk(core, start, limit):
    """Follow word 0 from start; returns (hops, last)."""
    hops, p, last = 0, start, 0
    while p and hops <= limit:
        hops += 1
        last = p
        p = core.u64(p)
    return hops, last


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    import json
    exe = Elf(sys.argv[1])
    core = Core(sys.argv[2])
    truth = json.load(open(sys.argv[3]))
    bias = core.auxv.get(9, exe.entry) - exe.entry  # AT_ENTRY: load bias of PIE
    syms = exe.symbols()

    def glob(name):
        if name not in syms:
            raise SystemExit(f"symbol {name} not in {sys.argv[1]}")
        return syms[name] + bias

    def g64(name, i=0):
        return core.u64(glob(name) + 8 * i)

    obj = {o["label"]: int(o["addr"], 16) for o in truth["objects"]}
    paths = {p["label"]: p for p in truth["paths"]}
    for label, addr in obj.items():
        try:
            core.read(addr, 8)
        except KeyError as e:
            errors.append(f"object {label}: {e}")
    for p in truth["paths"]:
        check(int(p["addr"], 16) == obj.get(p["label"], int(p["addr"], 16)),
              f"path {p['label']} address differs from the object's")
        if p["root_kind"] == "global":
            glob(p["root_name"])

    def slice_elem(name, i, stride=8, word=0):
        ptr, n, _ = core.words(glob(name), 3)
        check(i < n, f"{name}: index {i} >= len {n}")
        return core.u64(ptr + i * stride + word * 8)

    prog = truth["program"]
    if prog == "zoo":
        check(g64("main.listHead") == obj["list_head"], "listHead")
        hops, last = walk(core, obj["list_head"], 10**6)
        check(hops == paths["list_tail"]["length"] and last == obj["list_tail"], f"list: {hops} hops to {last:#x}")
        check(slice_elem("main.elems", 99) == obj["elem_99"], "elems[99]")
        check(core.u64(obj["elem_99"]) == 99, "Elem.id")
        check(g64("main.bigs", 2) == obj["big_2"], "bigs[2]")
        check(core.u64(obj["big_2"] + 8 + 4999 * 8) == obj["big_child_2_4999"], "Big.slots[4999]")
        check(core.u64(obj["big_child_2_4999"]) == 2 * 10000 + 4999, "BigChild.id")
        check(g64("main.wides", 4) == obj["wide_4"], "wides[4]")
        check(core.u64(obj["wide_4"] + 8 + 127 * 8) == obj["wide_target_4_127"], "WideMask.ptrs[127]")
        check(core.u64(obj["wide_4"] + 8 + 199 * 8) == obj["wide_target_4_199"], "WideMask.ptrs[199]")
        check(slice_elem("main.anys", 0, 16, 1) == obj["iface_impl_0"], "anys[0]")
        check(slice_elem("main.anys", 10, 16, 1) == obj["boxed_0"], "anys[10]")
        check(core.words(obj["boxed_0"], 3) == (1, 1, 1), "Boxed value")
        check(slice_elem("main.anys", 25, 16, 1) == obj["direct_target_0"], "anys[25]")
        check(slice_elem("main.stringers", 0, 16, 1) == obj["stringer_impl_0"], "stringers[0]")
        check(slice_elem("main.stringers", 10, 16, 1) == obj["boxed_stringer_0"], "stringers[10]")
        check(core.words(obj["boxed_stringer_0"], 2) == (1, 7), "BoxedStringer value")
        hchan = g64("main.chanItems")
        qcount, dataqsiz, buf = core.words(hchan, 3)
        check((qcount, dataqsiz) == (40, 64), f"chan qcount/cap {qcount}/{dataqsiz}")
        check(core.u64(buf) == obj["chan_item_0"] and core.u64(buf + 39 * 8) == obj["chan_item_39"], "chan buffer")
        closure = slice_elem("main.funcs", 0)
        check(core.u64(closure + 8) == obj["captured_0"], "closure captures Captured")
        for g in range(3):
            hops, last = walk(core, obj[f"stack_only_head_{g}"], 100)
            check(hops == 10 and last == obj[f"stack_only_tail_{g}"], f"stack list {g}: {hops} hops")
        check(core.u64(obj["cycle_a"]) == obj["cycle_b"] and core.u64(obj["cycle_b"]) == obj["cycle_a"], "cycle")
        check(slice_elem("main.finalized", 0) == obj["finalized_0"], "finalized[0]")
        if "cleaned_up_0" in obj:  # Go 1.24+ (runtime.AddCleanup)
            check(slice_elem("main.cleaned", 0) == obj["cleaned_up_0"], "cleaned[0]")
        check(g64("main.withString") == obj["with_string"], "withString")
        check(len(core.gostring(obj["with_string"])) == 27, "WithString.s length")
        if "weak_target" in obj:  # Go 1.24+ (weak)
            check(g64("main.weakTarget") == obj["weak_target"], "weakTarget")
        mv = obj["map_val_0042"]
        check(core.u64(mv) == 42 and core.gostring(mv + 8) == "key-0042", "MapVal 42")
        check(core.read(obj["garbage_0"] + 8, 1) == b"\0" and core.read(obj["garbage_199"] + 8, 1) == bytes([199]), "garbage bytes")
        strs, n, _ = core.words(glob("main.strs"), 3)
        check(n == 50 and all(core.words(strs + 16 * i, 2)[1] == 20 + i for i in range(n)), "string lengths")
    elif prog == "deeplist":
        check(g64("main.deepHead") == obj["deep_head"], "deepHead")
        hops, last = walk(core, obj["deep_head"], 2 * 10**6)
        check(hops == paths["deep_tail"]["length"] and last == obj["deep_tail"], f"deeplist: {hops} hops")
        p = obj["deep_head"]
        for _ in range(paths["deep_mid"]["length"] - 1):
            p = core.u64(p)
        check(p == obj["deep_mid"], "deep_mid position")
    elif prog == "demo":
        check(slice_elem("main.requestLog", 0) == obj["request_0"], "requestLog[0]")
        check(slice_elem("main.users", 0) == obj["user_0"], "users[0]")
        check(core.gostring(obj["session_000042"]) == "sess-000042", "session id")
        for i in range(4):
            check(core.u64(obj[f"worker_{i}"] + 8) == obj[f"inflight_{i}"], f"worker {i} inflight")
    elif prog == "shapes":
        check(core.words(glob("main.mapSlice"), 3)[0] == obj["map_slice"], "mapSlice")
        check(core.words(glob("main.chanSlice"), 3)[0] == obj["chan_slice"], "chanSlice")
        check(g64("main.grid") == obj["grid"], "grid")
        check(g64("main.holder") == obj["map_holder"], "holder")
        # innerRefs[0] points at outers[0].in, the Outer's first field.
        check(g64("main.innerRefs") == obj["outer_0"] == slice_elem("main.outers", 0), "innerRefs[0] is &outers[0].in")
        check(core.u64(obj["outer_0"] + 16) == int(paths["outer_child_0"]["addr"], 16), "Outer.child")
        check(core.u64(obj["queued_fin_0"]) == obj["queued_fin_child_0"], "QueuedFin.child")
        check(core.u64(obj["queued_fin_child_0"]) == 0, "ids of the queued objects")
        if "queued_cleanup_arg_0" in obj:  # Go 1.24+ (runtime.AddCleanup)
            check(core.u64(obj["queued_cleanup_arg_0"]) == 0, "id of the queued cleanup's argument")
    elif prog == "scale":
        check(slice_elem("main.holders", 0) == obj["holder_0"], "holders[0]")
        last = slice_elem("main.holders", 999)
        smalls = core.u64(last + 8)
        mediums = core.u64(last + 32)
        check(core.u64(smalls + 5999 * 8) == obj["small_last"], "small_last")
        check(core.u64(mediums) == obj["medium_0"], "medium_0")

    if errors:
        for e in errors:
            print(f"check-core: {sys.argv[2]}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    try:
        main()
    except KeyError as e:
        print(f"check-core: {sys.argv[2]}: a structure leads out of the core: {e}", file=sys.stderr)
        sys.exit(1)
