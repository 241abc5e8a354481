//! The heap-dump front end: a heap dump (`runtime/debug.WriteHeapDump`, see
//! [`crate::formats::heapdump`]) and, optionally, the executable that wrote it, translated
//! into the [`Model`] the core front end fills too; [`crate::analysis::Analysis::analyze`]
//! does the rest.
//!
//! - Objects become pseudo-spans: runs of adjacent same-size objects are merged into one
//!   [`Span`] whose pointer words are the dump's own field lists ([`PtrLayout::Explicit`],
//!   per-object word offsets in [`ExplicitPtrs`]). There is one slot per object record
//!   and nothing more (free slots are not in the file), so every per-slot array is sized by
//!   the file. Object contents stay in the dump file: the [`Memory`] maps each object,
//!   frame and the data/bss segments to their byte range in the dump, so they are read
//!   lazily.
//! - `dumpobjs` (`runtime/heapdump.go`) writes every slot index up to
//!   `npages*pageSize/elemsize`, past `mspan.nelems`: the slots over the in-span heap bits
//!   and Green Tea inline mark bits (`runtime/mheap.go`: `initSpan`) are not objects and
//!   are dropped.
//! - The heap's constants (page size, malloc-header threshold, largest small size) come
//!   from the executable's DWARF, or without one from the release's layout table
//!   ([`crate::runtime::layouts`]), through [`HeapParams::from_dwarf`] as for cores; the
//!   size classes from the executable's memory or [`crate::runtime::sizeclasses`].
//! - Roots: the pointer fields of the data and bss records (`gcdatamask`, `gcbssmask`),
//!   of every stack frame record (its stack maps), registered finalizers (the object's
//!   referents and the funcval, as `markrootSpans`), queued finalizers (the object) and
//!   "other root" records.
//! - With the executable: its PT_LOAD segments fill what the dump lacks (type descriptors,
//!   pclntab), objects with a malloc header (over 512 bytes with pointers, at most 32 KiB)
//!   name themselves through their `*abi.Type`, globals are named and typed by DWARF and
//!   types propagate from them and from stack variables as for cores.

use std::rc::Rc;

use crate::analysis::{Analysis, Progress};
use crate::bitset::BitSet;
use crate::formats::dwarf::Dwarf;
use crate::formats::elfcore::Arch;
use crate::formats::exe::{parse_go_version, Executable};
use crate::formats::heapdump::{Contents, DumpError, FinalizerRec, FrameRec, GoroutineRec, Params, Reader, Record};
use crate::model::{Image, Model};
use crate::runtime::goroutines::StackSeeds;
use crate::runtime::heap::{ExplicitPtrs, Heap, HeapParams, PtrLayout, Span};
use crate::runtime::memory::Memory;
use crate::runtime::process::{MAX_GO, MIN_GO};
use crate::runtime::roots::{finalized_object_root, special_label, Root, RootKind};
use crate::runtime::seeds::{SpecialTypeHints, TypeSeed};
use crate::formats::pclntab::ARGS_SIZE_UNKNOWN;
use crate::runtime::stacks::{creation_site, min_frame_size, status_name, status_names, Frame, Goroutine, GoroutineMeta, SlotNamer, StackSlot};
use crate::source::ByteSource;
use crate::Error;

/// Addresses past this are not believed (user space is 57 bits at most).
const MAX_ADDR: u64 = 1 << 57;

/// One object record, as indexed.
#[derive(Debug, Clone, Copy)]
struct Obj {
    addr: u64,
    offset: u64,
    len: u64,
    ptr_start: u32,
    nptrs: u32,
}

/// A goroutine record and its frame records.
#[derive(Debug, Clone, Default)]
pub struct DumpGoroutine {
    pub g: GoroutineRec,
    pub frames: Vec<FrameRec>,
}

/// Everything of a dump but the object contents, read in one pass.
#[derive(Debug, Default)]
pub struct DumpIndex {
    pub params: Option<Params>,
    objects: Vec<Obj>,
    ptr_words: Vec<u32>,
    pub goroutines: Vec<DumpGoroutine>,
    pub finalizers: Vec<FinalizerRec>,
    pub queued_finalizers: Vec<FinalizerRec>,
    pub other_roots: Vec<(String, u64)>,
    pub data: Option<(u64, Contents, Vec<u64>)>,
    pub bss: Option<(u64, Contents, Vec<u64>)>,
    /// (m, id, procid).
    pub threads: Vec<(u64, u64, u64)>,
    pub memstats: Option<Vec<u64>>,
    /// (type address, size, name) from type records (the types of itabs).
    pub types: Vec<(u64, u64, String)>,
    /// Memory-profile buckets (`memprof` records): bucket address -> its stack.
    pub mem_buckets: Vec<(u64, Vec<crate::formats::heapdump::ProfFrame>)>,
    /// Sampled objects (`allocsample` records): (object address, bucket address).
    pub alloc_samples: Vec<(u64, u64)>,
    pub records: u64,
    /// Set when the file ended before the EOF record, or a record was malformed.
    pub stopped: Option<DumpError>,
}

impl DumpIndex {
    /// Reads every record. A truncated or malformed tail stops the read with
    /// [`DumpIndex::stopped`] set: what came before is kept.
    pub fn read(src: &dyn ByteSource, progress: &mut dyn FnMut(f64) -> bool) -> Result<DumpIndex, Error> {
        let mut rd = Reader::new(src)?;
        let size = src.size().max(1);
        let mut ix = DumpIndex::default();
        loop {
            if ix.records % 65536 == 0 && !progress(rd.offset() as f64 / size as f64) {
                return Err(Error::Cancelled);
            }
            let rec = match rd.next_record() {
                Ok(Some(r)) => r,
                Ok(None) => break,
                Err(e @ DumpError::Io(_)) => return Err(e.into()),
                Err(e) => {
                    ix.stopped = Some(e);
                    break;
                }
            };
            ix.records += 1;
            match rec {
                Record::Eof => break,
                Record::Object { addr, contents, ptrs } => {
                    let ptr_start = ix.ptr_words.len();
                    if ptr_start + ptrs.len() >= u32::MAX as usize {
                        return Err(Error::Unsupported("more than 4 billion pointer fields".into()));
                    }
                    ix.ptr_words.extend(
                        ptrs.iter().filter(|&&o| o % 8 == 0 && o.checked_add(8).is_some_and(|e| e <= contents.len)).map(|&o| (o / 8) as u32),
                    );
                    // A field list names each word once; repeats would only multiply edges.
                    let new = &mut ix.ptr_words[ptr_start..];
                    if !new.is_sorted_by(|a, b| a < b) {
                        new.sort_unstable();
                        let mut keep = 0;
                        for i in 0..new.len() {
                            if i == 0 || new[i] != new[keep - 1] {
                                new[keep] = new[i];
                                keep += 1;
                            }
                        }
                        ix.ptr_words.truncate(ptr_start + keep);
                    }
                    let nptrs = (ix.ptr_words.len() - ptr_start) as u32;
                    ix.objects.push(Obj { addr, offset: contents.offset, len: contents.len, ptr_start: ptr_start as u32, nptrs });
                }
                Record::Params(p) => {
                    if ix.params.is_none() {
                        ix.params = Some(p);
                    }
                }
                Record::Goroutine(mut g) => {
                    g.wait_reason = cap_name(g.wait_reason);
                    ix.goroutines.push(DumpGoroutine { g, frames: Vec::new() })
                }
                Record::StackFrame(mut f) => {
                    f.name = cap_name(f.name);
                    f.ptrs = word_offsets(f.ptrs, f.contents.len);
                    match ix.goroutines.last_mut() {
                        Some(g) => g.frames.push(f),
                        None => ix.goroutines.push(DumpGoroutine { g: GoroutineRec::default(), frames: vec![f] }),
                    }
                }
                Record::Finalizer(f) => ix.finalizers.push(f),
                Record::QueuedFinalizer(f) => ix.queued_finalizers.push(f),
                Record::OtherRoot { description, to } => ix.other_roots.push((cap_name(description), to)),
                Record::Data { addr, contents, ptrs } => ix.data = Some((addr, contents, word_offsets(ptrs, contents.len))),
                Record::Bss { addr, contents, ptrs } => ix.bss = Some((addr, contents, word_offsets(ptrs, contents.len))),
                Record::OsThread { m, id, procid } => ix.threads.push((m, id, procid)),
                Record::MemStats { values, .. } => ix.memstats = Some(values),
                Record::Type { addr, size, name, .. } => ix.types.push((addr, size, name)),
                Record::MemProf { bucket, stack, .. } => ix.mem_buckets.push((bucket, stack)),
                Record::AllocSample { addr, bucket } => ix.alloc_samples.push((addr, bucket)),
                _ => {}
            }
        }
        progress(1.0);
        Ok(ix)
    }

    /// An object with a malloc header never lists the header word: a listed word 0 of
    /// such an object (the words are sorted) is not a pointer field.
    fn drop_header_words(&mut self, heap: &DumpHeap) {
        for o in &mut self.objects {
            if heap.header_sized(o.len) && o.nptrs > 0 && self.ptr_words[o.ptr_start as usize] == 0 {
                o.ptr_start += 1;
                o.nptrs -= 1;
            }
        }
    }

    fn ptrs_of(&self, o: &Obj) -> &[u32] {
        &self.ptr_words[o.ptr_start as usize..(o.ptr_start + o.nptrs) as usize]
    }

    /// `runtime.MemStats.HeapAlloc` at the time of the dump.
    pub fn heap_alloc(&self) -> Option<u64> {
        self.memstats.as_ref().and_then(|v| v.get(6)).copied()
    }
}

/// Names longer than this (function names, root descriptions, wait reasons) are cut:
/// every root and slot of a frame repeats its name.
const MAX_NAME: usize = 256;

fn cap_name(mut s: String) -> String {
    if s.len() > MAX_NAME {
        let mut end = MAX_NAME;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

/// The pointer offsets of a field list that name a whole word of `len` bytes of
/// contents, each once, in order.
fn word_offsets(mut offsets: Vec<u64>, len: u64) -> Vec<u64> {
    offsets.retain(|&o| o.checked_add(8).is_some_and(|e| e <= len));
    offsets.sort_unstable();
    offsets.dedup();
    offsets.shrink_to_fit();
    offsets
}

/// Whether the Go release uses the Green Tea collector's inline mark bits in small spans.
fn green_tea(version: &str) -> bool {
    if version.contains("nogreenteagc") {
        return false;
    }
    if version.contains("greenteagc") {
        return true;
    }
    parse_go_version(version).is_some_and(|v| v >= (1, 26))
}

/// The heap constants of the process that wrote the dump.
struct DumpHeap {
    params: HeapParams,
    /// `maxSmallSize`: larger objects have their own span and no header.
    max_small_size: u64,
    /// `unsafe.Sizeof(spanInlineMarkBits{})` when the release uses Green Tea's inline
    /// mark bits in small spans, else 0.
    inline_mark_bits: u64,
}

impl DumpHeap {
    /// From the executable's DWARF when it has the runtime's constants, else from the
    /// release's layout table.
    fn new(exe_dwarf: Option<&Dwarf>, version: &str, arch: Arch) -> Result<DumpHeap, Error> {
        let table;
        let dwarf = match exe_dwarf.filter(|d| d.constant("runtime.heapArenaBytes").is_some()) {
            Some(d) => d,
            None => {
                table = crate::runtime::layouts::table_for(version)?.0;
                &table
            }
        };
        let params = HeapParams::from_dwarf(dwarf, arch == Arch::Amd64)?;
        let max_small_size = ["runtime._MaxSmallSize", "internal/runtime/gc.MaxSmallSize", "runtime.maxSmallSize"]
            .iter()
            .find_map(|n| dwarf.constant(n))
            .ok_or_else(|| Error::MissingRuntimeInfo("constant runtime._MaxSmallSize / internal/runtime/gc.MaxSmallSize".into()))?
            as u64;
        let inline_mark_bits = match (green_tea(version), params.inline_mark_bits_size) {
            (false, _) => 0,
            (true, 0) => crate::runtime::sizeclasses::INLINE_MARK_BITS_SIZE,
            (true, n) => n,
        };
        Ok(DumpHeap { params, max_small_size, inline_mark_bits })
    }

    /// Whether an object of `len` bytes with pointers has a malloc header.
    fn header_sized(&self, len: u64) -> bool {
        len > self.params.min_size_for_malloc_header && len <= self.max_small_size
    }
}

/// Drops the slots `dumpobjs` writes past `mspan.nelems` of single-page small-object
/// spans: they lie over the span's heap bitmap and inline mark bits. `objects` must be
/// sorted by address.
fn drop_tail_slots(objects: &mut Vec<Obj>, heap: &DumpHeap) -> usize {
    let page_size = heap.params.page_size;
    let before = objects.len();
    let mut keep = vec![true; objects.len()];
    let mut i = 0;
    while i < objects.len() {
        // One span: the objects of one page with one size (sizes up to 512 B).
        let (page, size) = (objects[i].addr / page_size, objects[i].len);
        let mut j = i + 1;
        while j < objects.len() && objects[j].addr / page_size == page && objects[j].len == size {
            j += 1;
        }
        if size > 0 && size <= heap.params.min_size_for_malloc_header {
            let scan = objects[i..j].iter().any(|o| o.nptrs > 0);
            let mut reserve = 0;
            if size >= 16 {
                reserve += heap.inline_mark_bits;
            }
            if scan {
                // The heap bits: one per pointer-sized word of the page.
                reserve += page_size / 8 / 8;
            }
            let nelems = page_size.saturating_sub(reserve) / size;
            for k in i..j {
                keep[k] = (objects[k].addr % page_size) / size < nelems;
            }
        }
        i = j;
    }
    let mut k = 0;
    objects.retain(|_| {
        k += 1;
        keep[k - 1]
    });
    before - objects.len()
}

fn has_header(o: &Obj, heap: &DumpHeap) -> bool {
    heap.header_sized(o.len) && o.nptrs > 0
}

/// Spans, allocation bits and pointer words from address-sorted, disjoint objects: a
/// span is a run of adjacent objects of one size and layout, so there is exactly one slot
/// per object record (free slots between objects are not slots: nothing in the file
/// stands for them).
/// Size classes are filled in later ([`crate::runtime::sizeclasses::class_of`]).
fn build_spans(objects: &[Obj], ix: &DumpIndex, heap: &DumpHeap) -> Result<(Vec<Span>, BitSet, ExplicitPtrs), Error> {
    if objects.len() >= 1 << 31 {
        return Err(Error::Unsupported(format!("{} heap dump objects: more than heapwise's 2^31 limit", objects.len())));
    }
    let mut spans: Vec<Span> = Vec::new();
    let mut starts = Vec::with_capacity(objects.len() + 1);
    starts.push(0u32);
    let mut words: Vec<u32> = Vec::with_capacity(ix.ptr_words.len());
    for (slot, o) in objects.iter().enumerate() {
        let layout = PtrLayout::Explicit { header: has_header(o, heap) };
        let extend = spans.last().is_some_and(|s| {
            s.elemsize == o.len && s.layout == layout && s.base.checked_add(s.nelems as u64 * s.elemsize) == Some(o.addr)
        });
        if !extend {
            spans.push(Span {
                mspan: 0,
                base: o.addr,
                npages: 0,
                elemsize: o.len,
                nelems: 0,
                first_slot: slot as u32,
                sizeclass: 0,
                layout,
                inline_mark_bits: false,
            });
        }
        if let Some(s) = spans.last_mut() {
            s.nelems += 1;
        }
        words.extend_from_slice(ix.ptrs_of(o));
        starts.push(words.len() as u32);
    }
    for s in &mut spans {
        // Objects end at or below MAX_ADDR (checked when they were read).
        let end = s.base + s.nelems as u64 * s.elemsize;
        s.npages = (end - 1) / heap.params.page_size - s.base / heap.params.page_size + 1;
    }
    let mut allocated = BitSet::new(objects.len());
    for slot in 0..objects.len() {
        allocated.set(slot);
    }
    Ok((spans, allocated, ExplicitPtrs { starts, words }))
}

/// The executable's parsed form and the pieces the dump needs from it.
struct ExeInfo {
    exe: Executable,
    src: Rc<dyn ByteSource>,
    data_section: Option<(u64, u64)>,
    bss_section: Option<(u64, u64)>,
}

fn load_exe(src: Rc<dyn ByteSource>) -> Result<ExeInfo, Error> {
    let owned;
    let data: &[u8] = match src.as_slice() {
        Some(s) => s,
        None => {
            let size = src.size();
            if size > 4 << 30 {
                return Err(Error::Unsupported(format!("the executable is {size} bytes; over 4 GiB is not supported")));
            }
            owned = src.read_vec(0, size as usize)?;
            &owned
        }
    };
    if crate::formats::heapdump::is_heapdump(&data) {
        return Err(Error::NotExecutable("the file given as the executable is a heap dump (swapped arguments?)".into()));
    }
    let exe = Executable::parse(data)?;
    let section = |name: &str| -> Option<(u64, u64)> {
        use object::{Object, ObjectSection};
        let f = object::File::parse(data).ok()?;
        let s = f.section_by_name(name)?;
        Some((s.address(), s.size()))
    };
    let data_section = section(".data");
    let bss_section = section(".bss");
    Ok(ExeInfo { exe, src: src.clone(), data_section, bss_section })
}

/// Translates a heap dump, with the executable that wrote it when given, into the model.
pub fn model(dump: Rc<dyn ByteSource>, exe: Option<Rc<dyn ByteSource>>, progress: Progress<'_>) -> Result<Model, Error> {
    if !progress("reading the heap dump", 0.0) {
        return Err(Error::Cancelled);
    }
    let mut ix = DumpIndex::read(&*dump, &mut |f| progress("reading the heap dump", f))?;
    let mut warnings = Vec::new();
    if let Some(e) = &ix.stopped {
        let at = match e {
            DumpError::Truncated { offset, .. } | DumpError::Malformed { offset, .. } => *offset,
            _ => 0,
        };
        warnings.push(format!(
            "{e}; analyzed the {} records before byte {at} ({:.0}% of the file): objects, roots and goroutines after it are missing",
            ix.records,
            100.0 * at as f64 / dump.size().max(1) as f64
        ));
    }
    let params = ix.params.clone().ok_or_else(|| Error::Malformed("the heap dump has no parameters record".into()))?;
    if params.big_endian || params.ptr_size != 8 {
        return Err(Error::Unsupported(format!(
            "a heap dump of a {}-bit {}-endian process; heapwise reads 64-bit little-endian ones",
            params.ptr_size.saturating_mul(8),
            if params.big_endian { "big" } else { "little" }
        )));
    }
    let arch = match params.arch.as_str() {
        "amd64" => Arch::Amd64,
        "arm64" => Arch::Arm64,
        a => return Err(Error::Unsupported(format!("a heap dump of a GOARCH={a} process; heapwise reads amd64 and arm64"))),
    };
    let go_version = params.go_version.clone();
    match parse_go_version(&go_version) {
        Some(v) if v >= MIN_GO && v <= MAX_GO => {}
        _ => return Err(Error::UnsupportedGoVersion { found: go_version, supported: crate::error::SUPPORTED_GO }),
    }

    // The executable: same Go version, same data and bss segments.
    let exe = match exe {
        Some(src) => Some(load_exe(src)?),
        None => None,
    };
    let mut bias = 0u64;
    if let Some(e) = &exe {
        if let Some(v) = &e.exe.go_version {
            if v != &go_version && !v.starts_with(go_version.as_str()) && !go_version.starts_with(v.as_str()) {
                return Err(Error::ExeMismatch(format!(
                    "the heap dump was written by a {go_version} program, the executable was built with {v}"
                )));
            }
        }
        if let (Some((daddr, dc, _)), Some((saddr, ssize))) = (&ix.data, e.data_section) {
            bias = daddr.wrapping_sub(saddr);
            if (!e.exe.is_pie && bias != 0) || bias % 4096 != 0 || dc.len != ssize {
                return Err(Error::ExeMismatch(format!(
                    "the dump's data segment is {} bytes at {daddr:#x}, the executable's .data is {ssize} bytes at {saddr:#x} (a different program or build?)",
                    dc.len
                )));
            }
        }
        if let (Some((baddr, _, _)), Some((saddr, _))) = (&ix.bss, e.bss_section) {
            if baddr.wrapping_sub(saddr) != bias {
                return Err(Error::ExeMismatch(format!(
                    "the dump's bss segment is at {baddr:#x}, the executable's at {:#x} (a different program or build?)",
                    saddr.wrapping_add(bias)
                )));
            }
        }
    }

    let dh = DumpHeap::new(exe.as_ref().map(|e| &e.exe.dwarf), &go_version, arch)?;
    ix.drop_header_words(&dh);

    // Objects: drop the slots past nelems, sort by address, drop overlaps.
    if !progress("building spans", 0.0) {
        return Err(Error::Cancelled);
    }
    let mut objects = std::mem::take(&mut ix.objects);
    objects.sort_unstable_by_key(|o| o.addr);
    let dropped = drop_tail_slots(&mut objects, &dh);
    let mut end = 0u64;
    let mut overlaps = 0;
    objects.retain(|o| {
        let keep = o.len > 0 && o.addr >= end && o.addr.checked_add(o.len).is_some_and(|e| e <= MAX_ADDR);
        if keep {
            end = o.addr + o.len;
        } else {
            overlaps += 1;
        }
        keep
    });
    if overlaps > 0 {
        warnings.push(format!("{overlaps} object records overlap others or are empty; ignored"));
    }
    let _ = dropped;
    let (mut spans, allocated, explicit) = build_spans(&objects, &ix, &dh)?;

    // Memory: objects, data, bss and frames from the dump; the executable's file bytes
    // below.
    let mut ranges: Vec<(u64, u64, Option<u64>)> = objects.iter().map(|o| (o.addr, o.addr + o.len, Some(o.offset))).collect();
    drop(objects);
    let mut others: Vec<(u64, u64, Option<u64>)> = Vec::new();
    let mut add = |addr: u64, c: &Contents| {
        if c.len > 0 && addr.checked_add(c.len).is_some_and(|e| e <= MAX_ADDR) {
            others.push((addr, addr + c.len, Some(c.offset)));
        }
    };
    if let Some((a, c, _)) = &ix.data {
        add(*a, c);
    }
    if let Some((a, c, _)) = &ix.bss {
        add(*a, c);
    }
    for g in &ix.goroutines {
        for f in &g.frames {
            add(f.sp, &f.contents);
        }
    }
    if !others.is_empty() {
        ranges.extend(others);
        ranges.sort_by_key(|r| r.0);
    }
    let mut end = 0u64;
    ranges.retain(|r| {
        let keep = r.0 >= end;
        if keep {
            end = r.1;
        }
        keep
    });
    let (exe_src, exe_segments): (Rc<dyn ByteSource>, Vec<crate::formats::elfcore::ProgramHeader>) = match &exe {
        // File-backed bytes only: the dump holds bss; noptrbss is not in it, not zero.
        Some(e) => (e.src.clone(), e.exe.load_segments.clone()),
        None => (Rc::new(Vec::<u8>::new()), Vec::new()),
    };
    let mem = Memory::from_ranges(dump.clone(), exe_src, ranges, &exe_segments, bias);
    let has_exe = !exe_segments.is_empty();
    let build_id = exe.as_ref().and_then(|e| e.exe.build_id.clone());
    let image = Image {
        mem,
        build_id,
        dwarf: exe.map(|e| e.exe.dwarf).unwrap_or_default(),
        bias,
        arch,
        go_version: go_version.clone(),
        threads: ix.threads.len() as u32,
        mapped_bytes: 0,
        pid: None,
        cpu_ns: None,
    };
    let rt = image.rt();
    let classes = has_exe.then(|| crate::runtime::sizeclasses::from_runtime(&rt)).flatten().or_else(|| crate::runtime::sizeclasses::for_release(&go_version));
    for s in &mut spans {
        s.sizeclass = classes.as_deref().map_or(0, |c| crate::runtime::sizeclasses::class_of(c, s.elemsize));
    }
    let heap = Heap::from_parts(dh.params, spans, allocated, explicit, Vec::new());
    if !progress("finding roots", 0.0) {
        return Err(Error::Cancelled);
    }

    // Roots.
    let mut roots: Vec<Root> = Vec::new();
    for (seg_name, seg) in [("data", &ix.data), ("bss", &ix.bss)] {
        let Some((addr, _, ptrs)) = seg else { continue };
        for &off in ptrs {
            let slot_addr = addr.wrapping_add(off);
            let value = rt.mem.u64(slot_addr).unwrap_or(0);
            if value == 0 || heap.find(value).is_none() {
                continue;
            }
            let (name, pointee_type) = if has_exe {
                crate::runtime::roots::name_global_word(&rt, slot_addr)
            } else {
                (format!("{seg_name}+{off:#x}"), None)
            };
            roots.push(Root { kind: RootKind::Global, name, slot_addr: Some(slot_addr), value, pointee_type, goroutine: None });
        }
    }
    let func_name = |pc: u64| -> Option<String> {
        rt.dwarf.function_at(pc.wrapping_sub(bias)).map(|f| f.name.clone())
    };
    for f in &ix.finalizers {
        let label = special_label(RootKind::Finalizer, func_name(f.fn_pc).as_deref(), f.obj);
        if heap.find(f.fn_val).is_some() {
            roots.push(Root { kind: RootKind::Finalizer, name: label.clone(), slot_addr: None, value: f.fn_val, pointee_type: None, goroutine: None });
        }
        roots.push(finalized_object_root(label, f.obj));
    }
    for f in &ix.queued_finalizers {
        let label = match func_name(f.fn_pc) {
            Some(n) => format!("queued finalizer {n} of {:#x}", f.obj),
            None => format!("queued finalizer of {:#x}", f.obj),
        };
        for v in [f.obj, f.fn_val] {
            if heap.find(v).is_some() {
                roots.push(Root { kind: RootKind::Finalizer, name: label.clone(), slot_addr: None, value: v, pointee_type: None, goroutine: None });
            }
        }
    }
    for (d, to) in &ix.other_roots {
        if heap.find(*to).is_some() {
            roots.push(Root { kind: RootKind::Other, name: d.clone(), slot_addr: None, value: *to, pointee_type: None, goroutine: None });
        }
    }
    // Goroutines and their frames. A record holds its frame `[sp, fp)` (`fp`, the caller's
    // sp, is the DWARF CFA) and the pointer words of its locals and of its callee's
    // arguments (`runtime/heapdump.go`: `dumpframe`); with the executable, the callee's
    // words go to the callee's frame as a core's walk puts them (its argument pointer is its
    // CFA plus `sys.MinFrameSize`, its argument size the pclntab's), and every word is named
    // and typed by the same DWARF locals as for cores.
    let pcln = if has_exe { crate::formats::pclntab::Pclntab::new(&rt).ok() } else { None };
    let min_frame = min_frame_size(arch);
    let mut goroutines = Vec::new();
    let mut stack = StackSeeds::default();
    let (status_by_value, gscan) = status_names(&rt);
    for dg in &ix.goroutines {
        let g = &dg.g;
        let (mut lo, mut hi) = (u64::MAX, 0u64);
        let mut frames: Vec<Frame> = Vec::with_capacity(dg.frames.len());
        // Per frame: its namer (with the executable) and its arguments' range.
        let mut namers: Vec<Option<SlotNamer<'_>>> = Vec::with_capacity(dg.frames.len());
        let mut args: Vec<(u64, u64)> = Vec::with_capacity(dg.frames.len());
        for fr in &dg.frames {
            lo = lo.min(fr.sp);
            hi = hi.max(fr.sp.saturating_add(fr.contents.len));
            let fp = fr.sp.wrapping_add(fr.contents.len);
            let argp = fp.wrapping_add(min_frame);
            let sym_pc = if fr.pc > fr.entry { fr.pc - 1 } else { fr.pc };
            let (mut file, mut line, mut inlined, mut nargs) = (String::new(), 0, Vec::new(), 0);
            let func = pcln.as_ref().and_then(|p| Some((p, p.find_func(fr.pc)?)));
            if let Some((p, fi)) = &func {
                let mut logical = p.inline_frames(rt.mem, fi, sym_pc);
                if let Some(phys) = logical.pop() {
                    file = phys.file;
                    line = phys.line;
                }
                inlined = logical;
                if fi.args != ARGS_SIZE_UNKNOWN && fi.args > 0 {
                    nargs = fi.args as u64;
                }
            }
            let func = func.as_ref().map(|(p, fi)| (*p, fi));
            namers.push(has_exe.then(|| SlotNamer::new(&rt, func, sym_pc, fr.sp, fp, argp)));
            args.push((argp, argp.saturating_add(nargs)));
            frames.push(Frame { function: fr.name.clone(), file, line, pc: fr.pc, sp: fr.sp, slots: Vec::new(), inlined, pieced: Vec::new() });
        }
        for (i, fr) in dg.frames.iter().enumerate() {
            for &off in &fr.ptrs {
                let addr = fr.sp.wrapping_add(off);
                let value = rt.mem.u64(addr).unwrap_or(0);
                if value == 0 || heap.find(value).is_none() {
                    continue;
                }
                // The callee's argument (the record before is the callee's), or this
                // frame's own word.
                let owner = match i.checked_sub(1) {
                    Some(c) if dg.frames[c].sp == fr.child_sp && args[c].0 <= addr && addr < args[c].1 => c,
                    _ => i,
                };
                let slot = match &namers[owner] {
                    Some(n) => n.slot(addr, value, false),
                    None => StackSlot { addr, value, name: format!("local+{off:#x}"), ty: None, var_offset: 0, conservative: false, stack_object: None },
                };
                frames[owner].slots.push(slot);
            }
        }
        for (f, n) in frames.iter_mut().zip(namers) {
            f.slots.sort_by_key(|s| s.addr);
            f.slots.dedup_by_key(|s| s.addr);
            f.pieced = n.map(SlotNamer::into_pieced).unwrap_or_default();
        }
        if lo == u64::MAX {
            lo = g.sp;
            hi = g.sp;
        }
        let gr = Goroutine {
            id: g.goid,
            g_addr: g.g,
            status: status_name(&status_by_value, g.status & !gscan),
            wait_reason: g.wait_reason.clone(),
            frames,
            stack_lo: lo,
            stack_hi: hi,
            // A dump has no sudogs, labels or parent: what it records.
            meta: GoroutineMeta {
                gopc: g.gopc,
                created_by: pcln.as_ref().and_then(|p| creation_site(p, rt.mem, g.gopc)),
                wait_since: g.wait_since as i64,
                ..Default::default()
            },
        };
        stack.add(&gr, &heap);
        goroutines.push(gr);
    }
    roots.extend(stack.roots);

    let mut all_seeds: Vec<TypeSeed> = if has_exe {
        rt.dwarf.globals.iter().map(|g| (g.addr.wrapping_add(bias), g.ty)).filter(|&(a, _)| rt.mem.is_mapped(a)).collect()
    } else {
        Vec::new()
    };
    all_seeds.extend(stack.seeds);
    let hints = SpecialTypeHints {
        finalized: ix.finalizers.iter().map(|f| (f.obj, f.ot)).collect(),
        pieced: stack.pieced,
        ..Default::default()
    };
    if !has_exe {
        warnings.push("no executable: objects are named by size and pointer layout only (give --exe for types)".into());
    }
    Ok(Model {
        image,
        heap,
        roots,
        goroutines,
        seeds: all_seeds,
        hints,
        warnings,
        runtime_heap_marked: None,
        runtime_heap_alloc: ix.heap_alloc(),
        dump_alloc_stacks: Some(crate::model::DumpAllocStacks::new(std::mem::take(&mut ix.mem_buckets), &ix.alloc_samples)),
    })
}

/// Fuzzing entry point (fuzz/fuzz_targets/heapdump.rs): lists every record and analyzes
/// the bytes as a dump without an executable, then runs the queries on a few objects.
/// Whatever the input, it returns; it never panics.
pub fn fuzz_one(data: &[u8]) {
    let bytes: &[u8] = data;
    if let Ok(rd) = Reader::new(&bytes) {
        for r in rd.take(1 << 16) {
            match r {
                Ok((_, r)) => {
                    let _ = r.to_string();
                }
                Err(e) => {
                    let _ = e.to_string();
                    break;
                }
            }
        }
    }
    let src: Rc<dyn ByteSource> = Rc::new(data.to_vec());
    let Ok(a) = Analysis::open_heapdump(src, None, &mut |_, _| true) else { return };
    let _ = a.overview();
    let _ = a.histogram();
    let _ = a.garbage_histogram();
    let _ = a.goroutines();
    let _ = a.breakdown();
    let _ = a.suspects(0.1);
    let addrs: Vec<u64> = a.heap.allocated.iter_ones().take(4).map(|s| a.object_addr(s as u32)).collect();
    for addr in addrs {
        let _ = a.object(addr);
        let _ = a.path(addr);
        let _ = a.anchors(addr);
        let _ = a.owners(addr, None);
        let _ = a.owners_svg(addr, Some(3));
        let _ = a.whatif(addr, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::heapdump::tests::Writer;
    use crate::formats::heapdump::*;

    fn obj(w: &mut Writer, addr: u64, words: &[u64], ptrs: &[u64]) {
        let mut b = Vec::new();
        for v in words {
            b.extend_from_slice(&v.to_le_bytes());
        }
        w.int(TAG_OBJECT).int(addr).bytes(&b).fields(ptrs);
    }

    /// A synthetic dump: a global points to A, A to B; C is garbage; D is kept only by a
    /// stack frame.
    #[test]
    fn synthetic_dump_graph() {
        let base = 0xc000010000u64;
        let mut w = Writer::new();
        w.int(TAG_PARAMS).int(0).int(8).int(0xc000000000).int(0xc004000000).bytes(b"amd64").bytes(b"go1.24.11").int(2);
        obj(&mut w, base, &[base + 16, 0], &[0]); // A -> B
        obj(&mut w, base + 16, &[0, 7], &[0]); // B
        obj(&mut w, base + 32, &[base, 0], &[0]); // C -> A (garbage)
        obj(&mut w, base + 0x2000, &[1, 2, 3, 4], &[]); // D, 32 bytes noscan
        w.int(TAG_GOROUTINE).int(0xc000002000).int(0xc000100f00).int(1).int(0x401000).int(4).int(0).int(0).int(0).bytes(b"sleep").int(0).int(0).int(0).int(0);
        let mut frame = vec![0u8; 16];
        frame[8..].copy_from_slice(&(base + 0x2000).to_le_bytes());
        w.int(TAG_STACK_FRAME).int(0xc000100f00).int(0).int(0).bytes(&frame).int(0x401000).int(0x401010).int(0x401010).bytes(b"main.main").fields(&[8]);
        let mut data = vec![0u8; 16];
        data[..8].copy_from_slice(&base.to_le_bytes());
        w.int(TAG_DATA).int(0x500000).bytes(&data).fields(&[0]);
        w.int(TAG_BSS).int(0x510000).bytes(&[0; 8]).fields(&[]);
        w.int(TAG_EOF);
        let src: Rc<dyn ByteSource> = Rc::new(w.out.clone());
        let a = Analysis::open_heapdump(src, None, &mut |_, _| true).unwrap();
        let ov = a.overview();
        assert_eq!((ov.live_objects, ov.garbage_objects), (3, 1), "{ov:?}");
        assert_eq!(a.heap.find(base + 16).map(|t| a.reach.live.get(t.slot as usize)), Some(true));
        assert_eq!(a.heap.find(base + 32).map(|t| a.reach.live.get(t.slot as usize)), Some(false));
        let p = a.path(base + 16).unwrap();
        assert_eq!(p.root.name, "data+0x0");
        assert_eq!(p.hops.len(), 2);
        let p = a.path(base + 0x2000).unwrap();
        // Named as a core's stack roots are: goroutine, function, slot.
        assert_eq!(p.root.name, "goroutine 1 main.main local+0x8");
        let gs = a.goroutines();
        assert_eq!(gs[0].frames[0].function, "main.main");
        assert_eq!(gs[0].frames[0].locals.len(), 1);

        // Cut at every byte: never a panic; past the params record, an analysis.
        let full = w.out.clone();
        for cut in 17..full.len() {
            let src: Rc<dyn ByteSource> = Rc::new(full[..cut].to_vec());
            if let Ok(a) = Analysis::open_heapdump(src, None, &mut |_, _| true) {
                assert!(a.warnings.iter().any(|w| w.contains("truncated")), "cut {cut}: {:?}", a.warnings);
            }
        }
    }

    /// The heap constants of a release, from its layout table (no executable).
    fn release(v: &str) -> DumpHeap {
        DumpHeap::new(None, v, Arch::Amd64).unwrap()
    }

    #[test]
    fn tail_slots_dropped() {
        let mk = |addr: u64, len: u64, nptrs: u32| Obj { addr, offset: 0, len, ptr_start: 0, nptrs };
        // 16-byte scan span: 1.24 reserves the 128-byte bitmap (504 objects).
        let mut v = vec![mk(0x10000, 16, 1), mk(0x10000 + 503 * 16, 16, 1), mk(0x10000 + 504 * 16, 16, 0)];
        assert_eq!(drop_tail_slots(&mut v, &release("go1.24.11")), 1);
        // Another page, another span: noscan, all 512 kept.
        let mut v = vec![mk(0x10000, 16, 1), mk(0x12000 + 511 * 16, 16, 0)];
        assert_eq!(drop_tail_slots(&mut v, &release("go1.24.11")), 0);
        // 1.26 (Green Tea): 128 more for inline mark bits (496 objects).
        let mut v = vec![mk(0x10000, 16, 1), mk(0x10000 + 495 * 16, 16, 1), mk(0x10000 + 496 * 16, 16, 0)];
        assert_eq!(drop_tail_slots(&mut v, &release("go1.26.6")), 1);
        // noscan: all 512 in 1.24, 504 with inline mark bits.
        let mut v = vec![mk(0x10000 + 511 * 16, 16, 0)];
        assert_eq!(drop_tail_slots(&mut v, &release("go1.24.11")), 0);
        assert_eq!(drop_tail_slots(&mut v, &release("go1.26.6")), 1);
    }
}
