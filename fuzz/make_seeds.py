#!/usr/bin/env python3
"""Cuts real ELF cores down to small fuzz seeds (see fuzz/README.md).

  make_seeds.py compact CORE RANGES OUT [--budget BYTES]
      A core that keeps only the bytes a full analysis reads (RANGES from
      `cargo run --example trace_reads -- CORE EXE`): the ELF header, the notes, and for
      every PT_LOAD the parts read, split into one segment per kept run and zero-filled
      (filesz 0) segments for the rest, so the address space stays the same. All-zero
      chunks outside heap spans and the tables heapwise requires in the file (`need`
      lines: span table, goroutine list, GC masks) become zero fill; heap spans are kept
      whole (heapwise believes a span only if the core holds all of its bytes), smallest
      first, while the file stays under BUDGET bytes (default 190000).

  make_seeds.py headers CORE OUT [--mode truncated|nodata]
      The ELF header, program headers and notes only: with `truncated` the PT_LOAD headers
      are kept and the file ends after the notes (a truncated core); with `nodata` every
      PT_LOAD has filesz 0 (all memory zero fill).

OUT gets a first byte MODE (--mode-byte, default 1): the fuzz target core_loader reads
it to choose between parsing only (0) and a full analysis with its fixture executable.
"""
import argparse
import struct

PT_LOAD, PT_NOTE = 1, 4
CHUNK = 64


def read_core(path):
    data = open(path, "rb").read()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "not a 64-bit LE ELF"
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    phdrs = []
    for i in range(phnum):
        p_type, flags, offset, vaddr, paddr, filesz, memsz, align = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        phdrs.append(dict(type=p_type, flags=flags, offset=offset, vaddr=vaddr, filesz=filesz, memsz=memsz, align=align))
    return data, phdrs


def write_core(orig, note_bytes, loads):
    """loads: list of (vaddr, memsz, flags, bytes or None for zero fill)."""
    phnum = 1 + len(loads)
    assert phnum < 0xFFFF
    header = bytearray(orig[:64])
    struct.pack_into("<QQ", header, 32, 64, 0)  # e_phoff, e_shoff
    struct.pack_into("<HHHHH", header, 54, 56, phnum, 0, 0, 0)
    off = 64 + 56 * phnum
    note_off = off
    off += len(note_bytes)
    off = (off + 7) & ~7
    phdrs = [struct.pack("<IIQQQQQQ", PT_NOTE, 0, note_off, 0, 0, len(note_bytes), 0, 4)]
    body = bytearray()
    for vaddr, memsz, flags, content in loads:
        if content is None:
            phdrs.append(struct.pack("<IIQQQQQQ", PT_LOAD, flags, off + len(body), vaddr, 0, 0, memsz, 0x1000))
        else:
            phdrs.append(struct.pack("<IIQQQQQQ", PT_LOAD, flags, off + len(body), vaddr, 0, len(content), memsz, 0x1000))
            body += content
    out = bytes(header) + b"".join(phdrs) + note_bytes
    out += b"\0" * (((len(out) + 7) & ~7) - len(out))
    return out + bytes(body)


def notes_of(data, phdrs):
    return b"".join(data[p["offset"]:p["offset"] + p["filesz"]] for p in phdrs if p["type"] == PT_NOTE)


def compact(args):
    data, phdrs = read_core(args.core)
    loads = [p for p in phdrs if p["type"] == PT_LOAD]
    reads, spans, needs = [], [], []
    for line in open(args.ranges):
        kind, a, b = line.split()
        {"read": reads, "span": spans, "need": needs}[kind].append((int(a), int(b)))

    def vaddr_to_off(va):
        for p in loads:
            if p["vaddr"] <= va < p["vaddr"] + p["filesz"]:
                return p["offset"] + va - p["vaddr"]
        return None

    def chunks_of_file_range(start, length):
        c = start // CHUNK * CHUNK
        while c < start + length:
            yield c
            c += CHUNK

    def in_file(c):
        return any(p["offset"] <= c < p["offset"] + p["filesz"] for p in loads)

    span_chunks = {}
    for base, length in spans:
        off = vaddr_to_off(base)
        if off is not None:
            span_chunks[(base, length)] = set(chunks_of_file_range(off, length))
    in_any_span = set().union(*span_chunks.values()) if span_chunks else set()
    # 1. Tables heapwise requires in the core: whole.
    base_keep = set()
    for va, length in needs:
        off = vaddr_to_off(va)
        if off is not None:
            base_keep |= set(chunks_of_file_range(off, length))
    # 2. Reads outside heap spans; all-zero chunks become zero fill (they read the same).
    for start, length in reads:
        for c in chunks_of_file_range(start, length):
            if c in in_any_span or not in_file(c) or not data[c:c + CHUNK].strip(b"\0"):
                continue
            base_keep.add(c)
    notes = notes_of(data, phdrs)
    # 3. Heap spans, whole, smallest first, while the seed stays under the budget.
    budget = args.budget
    while True:
        keep = set(base_keep)
        used = 64 + len(notes) + len(keep) * CHUNK
        for key in sorted(span_chunks, key=lambda k: k[1]):
            extra = span_chunks[key] - keep
            if used + len(extra) * CHUNK > budget:
                continue
            keep |= extra
            used += len(extra) * CHUNK
        out_loads = layout(data, loads, keep)
        out = bytes([args.mode_byte]) + write_core(data, notes, out_loads)
        if len(out) <= args.budget or budget <= 0:
            break
        budget -= len(out) - args.budget
    open(args.out, "wb").write(out)
    print(f"{args.out}: {len(out)} bytes, {len(out_loads)} segments")


def layout(data, loads, keep):
    """PT_LOADs for `loads` keeping the chunks in `keep`, zero fill for the rest."""
    out_loads = []
    for p in loads:
        va, end = p["vaddr"], p["vaddr"] + p["memsz"]
        cur = va
        run_start = None
        # Walk the file-backed part chunk by chunk.
        c = p["offset"] // CHUNK * CHUNK
        stop = p["offset"] + p["filesz"]
        while c < stop:
            lo = max(c, p["offset"])
            hi = min(c + CHUNK, stop)
            kept = c in keep
            if kept and run_start is None:
                run_start = lo
            if not kept and run_start is not None:
                rva = p["vaddr"] + run_start - p["offset"]
                if rva > cur:
                    out_loads.append((cur, rva - cur, p["flags"], None))
                out_loads.append((rva, lo - run_start, p["flags"], data[run_start:lo]))
                cur = rva + lo - run_start
                run_start = None
            c += CHUNK
        if run_start is not None:
            rva = p["vaddr"] + run_start - p["offset"]
            if rva > cur:
                out_loads.append((cur, rva - cur, p["flags"], None))
            out_loads.append((rva, stop - run_start, p["flags"], data[run_start:stop]))
            cur = rva + stop - run_start
        if end > cur:
            out_loads.append((cur, end - cur, p["flags"], None))
    return out_loads


def headers(args):
    data, phdrs = read_core(args.core)
    notes = notes_of(data, phdrs)
    loads = [p for p in phdrs if p["type"] == PT_LOAD]
    if args.mode == "nodata":
        out = write_core(data, notes, [(p["vaddr"], p["memsz"], p["flags"], None) for p in loads])
    else:
        # Keep the promised filesz; the data is simply not there.
        body = write_core(data, notes, [])
        phnum = 1 + len(loads)
        head = bytearray(body[:64])
        struct.pack_into("<H", head, 56, phnum)
        note_off = 64 + 56 * phnum
        ph = [struct.pack("<IIQQQQQQ", PT_NOTE, 0, note_off, 0, 0, len(notes), 0, 4)]
        data_off = (note_off + len(notes) + 0xFFF) & ~0xFFF
        for p in loads:
            ph.append(struct.pack("<IIQQQQQQ", PT_LOAD, p["flags"], data_off, p["vaddr"], 0, p["filesz"], p["memsz"], 0x1000))
            data_off += p["filesz"]
        out = bytes(head) + b"".join(ph) + notes
    out = bytes([args.mode_byte]) + out
    open(args.out, "wb").write(out)
    print(f"{args.out}: {len(out)} bytes")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compact")
    c.add_argument("core")
    c.add_argument("ranges")
    c.add_argument("out")
    c.add_argument("--budget", type=int, default=190000)
    c.add_argument("--mode-byte", type=int, default=1)
    h = sub.add_parser("headers")
    h.add_argument("core")
    h.add_argument("out")
    h.add_argument("--mode", choices=["truncated", "nodata"], default="truncated")
    h.add_argument("--mode-byte", type=int, default=1)
    args = ap.parse_args()
    {"compact": compact, "headers": headers}[args.cmd](args)


if __name__ == "__main__":
    main()
