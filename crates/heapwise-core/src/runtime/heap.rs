//! The Go heap: in-use spans, allocated object slots, and the pointer words of each object.
//!
//! Decodes `runtime/mheap.go` (`mheap.allspans`, `mspan`, `heapArena`), `runtime/mbitmap.go`
//! (Go 1.22+ allocation headers: heap bits at the end of small spans, `*abi.Type` malloc
//! headers, `mspan.largeType`) and `runtime/mgcmark_greenteagc.go` (Green Tea inline mark
//! bits, experiment in Go 1.25, default in 1.26). Handles Go 1.22 to 1.27 (allocation headers are
//! on by default from 1.22, `GOEXPERIMENT=allocheaders`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use crate::bitset::BitSet;
use crate::runtime::rt::Rt;
use crate::runtime::types::RtypeCache;
use crate::Error;

/// Dense id of an object slot: spans' slots numbered in address order.
pub type SlotId = u32;

/// How the pointer words of a span's objects are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PtrLayout {
    /// `noscan` span class: no pointers.
    NoScan,
    /// Objects of at most `minSizeForMallocHeader` bytes: one bit per word in a bitmap at
    /// `bitmap` (end of the span, or in front of the inline mark bits).
    InSpanBits { bitmap: u64 },
    /// Small objects with an 8-byte `*abi.Type` header.
    Header,
    /// One large object; its type is `mspan.largeType` (0 when not yet set).
    Large { rtype: u64 },
    /// Pointer offsets listed per object in [`Heap::explicit`] (a heap dump's field
    /// lists); `header` when each object starts with an 8-byte `*abi.Type` malloc header.
    Explicit { header: bool },
}

impl PtrLayout {
    /// Whether objects start with an 8-byte `*abi.Type` malloc header.
    pub fn has_malloc_header(self) -> bool {
        matches!(self, PtrLayout::Header | PtrLayout::Explicit { header: true })
    }
}

/// Per-slot pointer word lists for [`PtrLayout::Explicit`] spans, as compact arrays:
/// slot `s` has the word indices `words[starts[s]..starts[s + 1]]`.
#[derive(Debug, Clone, Default)]
pub struct ExplicitPtrs {
    pub starts: Vec<u32>,
    pub words: Vec<u32>,
}

impl ExplicitPtrs {
    pub fn words_of(&self, slot: SlotId) -> &[u32] {
        match (self.starts.get(slot as usize), self.starts.get(slot as usize + 1)) {
            (Some(&a), Some(&b)) => self.words.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// One in-use heap span.
#[derive(Debug, Clone)]
pub struct Span {
    /// Address of the `runtime.mspan` structure.
    pub mspan: u64,
    pub base: u64,
    pub npages: u64,
    pub elemsize: u64,
    pub nelems: u32,
    pub first_slot: SlotId,
    pub sizeclass: u8,
    pub layout: PtrLayout,
    /// Whether the span carries Green Tea inline mark bits at its end.
    pub inline_mark_bits: bool,
}

impl Span {
    pub fn end(&self, page_size: u64) -> u64 {
        self.base + self.npages * page_size
    }

    /// Bytes of the span a scan reads: a dump's spans are their objects only, a core's
    /// span holds its heap bits too.
    pub fn scan_len(&self, page_size: u64) -> u64 {
        match self.layout {
            PtrLayout::Explicit { .. } => self.elemsize * self.nelems as u64,
            _ => self.end(page_size) - self.base,
        }
    }
}

/// Runtime constants and offsets the heap walk needs, read once from DWARF.
#[derive(Debug, Clone)]
pub struct HeapParams {
    pub page_size: u64,
    pub min_size_for_malloc_header: u64,
    pub malloc_header_size: u64,
    pub inline_mark_bits_size: u64,
    pub heap_arena_bytes: u64,
    pub arena_l2_bits: u64,
    pub arena_base_offset: u64,
}

/// A span larger than this is not believed.
const MAX_SPAN_BYTES: u64 = 1 << 40;

impl HeapParams {
    /// The runtime's heap constants by name, from an executable's DWARF or a release's
    /// layout table ([`crate::runtime::layouts`]), checked.
    pub fn from_dwarf(dwarf: &crate::formats::dwarf::Dwarf, arch_is_amd64: bool) -> Result<HeapParams, Error> {
        // As `Rt::constant`: the first of the names the release has.
        let constant = |names: &[&str]| -> Result<u64, Error> {
            names
                .iter()
                .find_map(|n| dwarf.constant(n))
                .map(|v| v as u64)
                .ok_or_else(|| Error::MissingRuntimeInfo(format!("constant {}", names.join(" / "))))
        };
        let params = HeapParams {
            page_size: constant(&["runtime._PageSize", "runtime.pageSize"])?,
            min_size_for_malloc_header: constant(&["runtime.minSizeForMallocHeader", "internal/runtime/gc.MinSizeForMallocHeader"])?,
            malloc_header_size: constant(&["runtime.mallocHeaderSize", "internal/runtime/gc.MallocHeaderSize"])?,
            inline_mark_bits_size: dwarf.size_of("runtime.spanInlineMarkBits").unwrap_or(0),
            heap_arena_bytes: constant(&["runtime.heapArenaBytes"])?,
            arena_l2_bits: constant(&["runtime.arenaL2Bits"])?,
            // runtime/malloc.go: arenaBaseOffset is 0xffff800000000000 on amd64 and 0 on
            // arm64 (linux); the compiler folds it, so it is not in DWARF.
            arena_base_offset: if arch_is_amd64 { 0xffff_8000_0000_0000 } else { 0 },
        };
        params.check()?;
        Ok(params)
    }

    /// Rejects constants no Go runtime has (they come from the executable's DWARF).
    fn check(&self) -> Result<(), Error> {
        let pow2 = |v: u64| v != 0 && v & (v - 1) == 0;
        let ok = pow2(self.page_size)
            && (512..=1 << 20).contains(&self.page_size)
            && pow2(self.heap_arena_bytes)
            && self.heap_arena_bytes >= self.page_size
            && self.heap_arena_bytes <= self.page_size << 16
            && self.arena_l2_bits < 48
            && self.min_size_for_malloc_header <= 1 << 20
            && self.malloc_header_size <= 64
            && self.inline_mark_bits_size <= self.page_size / 2;
        if ok {
            Ok(())
        } else {
            Err(Error::Malformed(format!("implausible runtime heap constants in the executable's DWARF: {self:?}")))
        }
    }
}

/// All in-use spans and which of their slots hold allocated objects.
pub struct Heap {
    pub params: HeapParams,
    /// Sorted by `base`.
    pub spans: Vec<Span>,
    pub allocated: BitSet,
    pub slot_count: u32,
    /// Spans in other states, for the memory breakdown: (state name, bytes).
    pub other_span_bytes: HashMap<String, u64>,
    pub warnings: Vec<String>,
    /// Pointer words of [`PtrLayout::Explicit`] spans (empty for cores).
    pub explicit: ExplicitPtrs,
    /// The runtime's own count of allocated heap bytes when the core was taken: the sum over
    /// in-use spans of `mspan.allocCount` × `elemsize` (runtime/mheap.go, runtime/mcache.go
    /// `nextFree` counts each allocation, runtime/mgcsweep.go `sweep` resets it to the
    /// objects the GC marked; Go 1.22-1.27). Unlike `gcController.heapMarked` it includes what
    /// was allocated after the last GC. `None` for heap dumps, or without the field.
    pub runtime_alloc_bytes: Option<u64>,
    page_table: PageTable,
    slot_index: SlotIndex,
    /// Span of the last [`Heap::find`] or [`Heap::span_of_slot`]: naming asks for the span
    /// of the slot it has just found. Relaxed atomic, so that the heap stays `Sync`.
    last_span: AtomicU32,
}

/// Slot → span index: for each block of [`SLOT_BLOCK`] slots, the span holding the block's
/// first slot. Every span has at least one slot, so the span of any slot of a block is at
/// most `SLOT_BLOCK` spans further on.
struct SlotIndex {
    first_span: Vec<u32>,
}

const SLOT_BLOCK_SHIFT: u32 = 4;
const SLOT_BLOCK: u32 = 1 << SLOT_BLOCK_SHIFT;

impl SlotIndex {
    fn build(spans: &[Span], slot_count: u32) -> SlotIndex {
        let mut first_span = Vec::with_capacity((slot_count >> SLOT_BLOCK_SHIFT) as usize + 1);
        let mut i = 0usize;
        let mut slot = 0u32;
        while slot < slot_count {
            while i + 1 < spans.len() && spans[i + 1].first_slot <= slot {
                i += 1;
            }
            first_span.push(i as u32);
            let Some(next) = slot.checked_add(SLOT_BLOCK) else { break };
            slot = next;
        }
        SlotIndex { first_span }
    }

    /// Index of the span holding `slot`, as `spans.partition_point(|s| s.first_slot <= slot) - 1`.
    #[inline]
    fn span(&self, spans: &[Span], slot: SlotId) -> usize {
        let b = (slot >> SLOT_BLOCK_SHIFT) as usize;
        let (lo, hi) = match self.first_span.get(b) {
            Some(&lo) => (lo as usize, self.first_span.get(b + 1).map_or(spans.len(), |&h| h as usize + 1)),
            None => (0, spans.len()),
        };
        let hi = hi.min(spans.len());
        lo + spans[lo..hi].partition_point(|s| s.first_slot <= slot) - 1
    }

    fn bytes(&self) -> usize {
        self.first_span.capacity() * 4
    }
}

/// Page → span index, in blocks of [`BLOCK_PAGES`] pages (like the runtime's
/// `heapArena.spans`, smaller): pointer lookups are the hot path of graph building and
/// typing. Built only when its size stays within a multiple of the pages the spans cover
/// (spans scattered over the address space, as a hostile dump places them, would need a
/// block per span): otherwise lookups binary-search the spans.
struct PageTable {
    page_shift: u32,
    /// Block index of `top[0]`.
    first_block: u64,
    /// Block → offset of its pages in `pages` / `BLOCK_PAGES`, or `NO_SPAN`.
    top: Vec<u32>,
    /// Span index of each page of each block; `NO_SPAN` for none, `SHARED` for a page
    /// several spans share (a dump's objects of different sizes).
    pages: Vec<u32>,
}

const NO_SPAN: u32 = u32::MAX;
const SHARED: u32 = u32::MAX - 1;
const BLOCK_SHIFT: u32 = 6;
const BLOCK_PAGES: u64 = 1 << BLOCK_SHIFT;
/// Table entries (u32) allowed per page the spans cover, and on top of any heap.
const TABLE_PER_PAGE: u64 = 8;
const TABLE_CONSTANT: u64 = 1 << 18;

impl PageTable {
    fn empty(page_shift: u32) -> PageTable {
        PageTable { page_shift, first_block: 0, top: Vec::new(), pages: Vec::new() }
    }

    fn build(spans: &[Span], page_size: u64) -> PageTable {
        let page_shift = page_size.trailing_zeros();
        let mut t = PageTable::empty(page_shift);
        // Pages of each span, first and last; spans are sorted by base and disjoint.
        let page_range = |s: &Span| {
            let first = s.base >> page_shift;
            let last = (s.base.saturating_add(s.npages.saturating_mul(page_size)).saturating_sub(1) >> page_shift).max(first);
            (first, last)
        };
        let (Some(lo), Some(hi)) = (spans.first(), spans.iter().map(|s| page_range(s).1).max()) else { return t };
        let (first_block, last_block) = (page_range(lo).0 >> BLOCK_SHIFT, hi >> BLOCK_SHIFT);
        let mut covered = 0u64;
        let mut blocks = 0u64;
        let mut prev_block = None;
        for s in spans {
            let (a, b) = page_range(s);
            covered = covered.saturating_add(b - a + 1);
            let (ba, bb) = (a >> BLOCK_SHIFT, b >> BLOCK_SHIFT);
            let new_from = match prev_block {
                Some(p) if p >= ba => p + 1,
                _ => ba,
            };
            if bb >= new_from {
                blocks = blocks.saturating_add(bb - new_from + 1);
            }
            prev_block = Some(prev_block.map_or(bb, |p: u64| p.max(bb)));
        }
        let top_len = last_block - first_block + 1;
        let entries = top_len.saturating_add(blocks.saturating_mul(BLOCK_PAGES));
        if entries > covered.saturating_mul(TABLE_PER_PAGE).saturating_add(TABLE_CONSTANT) || blocks >= u64::from(SHARED) / BLOCK_PAGES {
            return t;
        }
        t.first_block = first_block;
        t.top = vec![NO_SPAN; top_len as usize];
        t.pages = Vec::with_capacity((blocks * BLOCK_PAGES) as usize);
        for (i, s) in spans.iter().enumerate() {
            let (a, b) = page_range(s);
            for page in a..=b {
                let bi = ((page >> BLOCK_SHIFT) - first_block) as usize;
                if t.top[bi] == NO_SPAN {
                    t.top[bi] = (t.pages.len() as u64 / BLOCK_PAGES) as u32;
                    t.pages.resize(t.pages.len() + BLOCK_PAGES as usize, NO_SPAN);
                }
                let e = &mut t.pages[(t.top[bi] as u64 * BLOCK_PAGES + (page & (BLOCK_PAGES - 1))) as usize];
                *e = if *e == NO_SPAN { i as u32 } else { SHARED };
            }
        }
        t
    }

    fn is_built(&self) -> bool {
        !self.top.is_empty()
    }

    /// `Some(Some(i))`: span `i`; `Some(None)`: no span; `None`: ask the span list.
    #[inline]
    fn span(&self, addr: u64) -> Option<Option<usize>> {
        let page = addr >> self.page_shift;
        let Some(&block) = self.top.get((page >> BLOCK_SHIFT).wrapping_sub(self.first_block) as usize) else { return Some(None) };
        if block == NO_SPAN {
            return Some(None);
        }
        match self.pages[(block as u64 * BLOCK_PAGES + (page & (BLOCK_PAGES - 1))) as usize] {
            NO_SPAN => Some(None),
            SHARED => None,
            i => Some(Some(i as usize)),
        }
    }
}

/// Where a pointer lands: the slot and the offset inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub slot: SlotId,
    pub offset: u64,
}

impl Heap {
    /// Reads every span from `mheap_.allspans`.
    pub fn read(rt: &Rt<'_>, arch_is_amd64: bool, progress: &mut dyn FnMut(f64) -> bool) -> Result<Heap, Error> {
        Self::read_spans(rt, arch_is_amd64, progress).map_err(|e| match e {
            Error::Memory(crate::runtime::memory::MemError::Truncated(a)) => {
                Error::Truncated(format!("runtime data heapwise needs to find the heap (at {a:#x}) was cut off"))
            }
            e => e,
        })
    }

    fn read_spans(rt: &Rt<'_>, arch_is_amd64: bool, progress: &mut dyn FnMut(f64) -> bool) -> Result<Heap, Error> {
        let params = HeapParams::from_dwarf(rt.dwarf, arch_is_amd64)?;
        let in_use = rt.constant(&["runtime.mSpanInUse"])? as u64;
        let mheap = rt.global("runtime.mheap_")?;
        let (allspans, nspans, _) = rt.slice(mheap + rt.off("runtime.mheap", "allspans")?)?;
        let arenas_off = rt.off("runtime.mheap", "arenas")?;
        let o_start = rt.off("runtime.mspan", "startAddr")?;
        let o_npages = rt.off("runtime.mspan", "npages")?;
        let o_nelems = rt.off("runtime.mspan", "nelems")?;
        let o_elemsize = rt.off("runtime.mspan", "elemsize")?;
        let o_spanclass = rt.off("runtime.mspan", "spanclass")?;
        let o_state = rt.off("runtime.mspan", "state")?;
        let o_freeindex = rt.off("runtime.mspan", "freeindex")?;
        let o_allocbits = rt.off("runtime.mspan", "allocBits")?;
        let o_largetype = rt.off("runtime.mspan", "largeType")?;
        let o_inline = rt.off_opt("runtime.heapArena", "pageUseSpanInlineMarkBits");
        let mspan_size = rt.size_of("runtime.mspan")?;
        let nelems_size = rt.dwarf.ty(rt.dwarf.underlying(rt.field_type("runtime.mspan", "nelems")?)).size;
        let freeindex_size = rt.dwarf.ty(rt.dwarf.underlying(rt.field_type("runtime.mspan", "freeindex")?)).size;
        let o_alloc_count = rt.off_opt("runtime.mspan", "allocCount").zip(
            rt.field_type("runtime.mspan", "allocCount").ok().map(|t| rt.dwarf.ty(rt.dwarf.underlying(t)).size),
        );

        let mut spans = Vec::new();
        let mut warnings = Vec::new();
        let mut other_span_bytes: HashMap<String, u64> = HashMap::new();
        // Per span kept: its index, alloc bits, freeindex and `allocCount` × `elemsize`.
        let mut alloc_words: Vec<(usize, Vec<u8>, u32, u64)> = Vec::new();
        let mut arena_cache: HashMap<u64, u64> = HashMap::new();
        if nspans > 50_000_000 {
            return Err(Error::Malformed(format!("mheap_.allspans claims {nspans} spans")));
        }
        if mspan_size == 0 || mspan_size > 1 << 16 {
            return Err(Error::Malformed(format!("runtime.mspan of {mspan_size} bytes")));
        }
        // The span table is the runtime's own memory: it must be in the core. Zero fill
        // would only make heapwise allocate for spans that are not there.
        let table_len = nspans * 8;
        match rt.mem.in_core(allspans, table_len) {
            Some(true) => {}
            Some(false) => {
                return Err(Error::Truncated(format!(
                    "the runtime's span table (mheap_.allspans, {nspans} spans at {allspans:#x}) lies in the part that was cut off; the heap cannot be read"
                )))
            }
            None => {
                return Err(Error::Malformed(format!(
                    "mheap_.allspans ({nspans} spans at {allspans:#x}) is not in the core's memory"
                )))
            }
        }
        let table = rt.mem.bytes(allspans, table_len as usize)?;
        let mut buf = vec![0u8; mspan_size as usize];
        // Problems with single spans, counted and reported once: (count, first example).
        let mut unreadable = (0u64, String::new());
        let mut impossible = (0u64, 0u64);
        let mut cut_off = (0u64, 0u64);
        let mut outside = (0u64, 0u64);
        let mut bad_bits = 0u64;
        for i in 0..nspans {
            if i % 4096 == 0 && !progress(i as f64 / nspans.max(1) as f64) {
                return Err(Error::Cancelled);
            }
            let sp = crate::bytes::u64_at(&table, (8 * i) as usize).unwrap_or(0);
            if sp == 0 {
                continue;
            }
            if let Err(e) = rt.mem.read(sp, &mut buf) {
                if unreadable.0 == 0 {
                    unreadable.1 = format!("{sp:#x}: {e}");
                }
                unreadable.0 += 1;
                continue;
            }
            let f = |o: u64, size: u64| crate::bytes::uint_at(&buf, o as usize, size as usize).unwrap_or(0);
            let state = f(o_state, 1);
            let base = f(o_start, 8);
            let npages = f(o_npages, 8);
            if state != in_use {
                let name = match state {
                    0 => "dead",
                    2 => "manual (stacks, runtime)",
                    _ => "other",
                };
                let e = other_span_bytes.entry(name.to_string()).or_default();
                *e = e.saturating_add(npages.saturating_mul(params.page_size));
                continue;
            }
            let nelems = f(o_nelems, nelems_size) as u32;
            let elemsize = f(o_elemsize, 8);
            let spanclass = f(o_spanclass, 1) as u8;
            let freeindex = f(o_freeindex, freeindex_size) as u32;
            let allocbits = f(o_allocbits, 8);
            let sizeclass = spanclass >> 1;
            let noscan = spanclass & 1 == 1;
            let span_bytes = npages.checked_mul(params.page_size).filter(|&b| b <= MAX_SPAN_BYTES && base.checked_add(b).is_some());
            let Some(span_bytes) = span_bytes.filter(|&b| {
                // Go's smallest size class is 8 bytes.
                elemsize >= 8 && nelems != 0 && b != 0 && elemsize.checked_mul(nelems as u64).is_some_and(|n| n <= b)
            }) else {
                if impossible.0 == 0 {
                    impossible.1 = base;
                }
                impossible.0 += 1;
                continue;
            };
            // A span's memory is process memory the core holds: spans claimed over zero fill
            // or unmapped addresses are not believed, spans cut off by truncation are lost.
            match rt.mem.in_core(base, span_bytes) {
                Some(true) => {}
                Some(false) => {
                    cut_off.0 += 1;
                    cut_off.1 += span_bytes;
                    continue;
                }
                None => {
                    if outside.0 == 0 {
                        outside.1 = base;
                    }
                    outside.0 += 1;
                    continue;
                }
            }
            let inline_mark_bits = match o_inline {
                Some(off) if params.inline_mark_bits_size > 0 && elemsize <= params.min_size_for_malloc_header && elemsize >= 16 => {
                    let arena = arena_of(rt, &params, mheap + arenas_off, base, &mut arena_cache);
                    match arena {
                        Some(a) => {
                            let page_idx = (base / params.page_size) % (params.heap_arena_bytes / params.page_size);
                            let byte = rt.mem.u8(a.wrapping_add(off.wrapping_add(page_idx / 8))).unwrap_or(0);
                            byte & (1 << (page_idx % 8)) != 0
                        }
                        None => false,
                    }
                }
                _ => false,
            };
            let layout = if noscan {
                PtrLayout::NoScan
            } else if elemsize <= params.min_size_for_malloc_header {
                let bitmap_size = span_bytes / 8 / 8;
                let mut bitmap = base + span_bytes - bitmap_size;
                if inline_mark_bits {
                    bitmap = bitmap.saturating_sub(params.inline_mark_bits_size).max(base);
                }
                PtrLayout::InSpanBits { bitmap }
            } else if sizeclass != 0 {
                PtrLayout::Header
            } else {
                PtrLayout::Large { rtype: f(o_largetype, 8) }
            };
            let bits_len = (nelems as usize).div_ceil(8);
            let bits = rt.mem.bytes(allocbits, bits_len).map(|b| b.into_owned()).unwrap_or_else(|_| {
                bad_bits += 1;
                vec![0; bits_len]
            });
            let alloc_bytes = o_alloc_count.map_or(0, |(o, n)| f(o, n).min(nelems as u64).saturating_mul(elemsize));
            alloc_words.push((spans.len(), bits, freeindex, alloc_bytes));
            spans.push(Span {
                mspan: sp,
                base,
                npages,
                elemsize,
                nelems,
                first_slot: 0,
                sizeclass,
                layout,
                inline_mark_bits,
            });
        }
        if unreadable.0 > 0 {
            warnings.push(format!("{} span descriptors unreadable (first at {}); their objects are not counted", unreadable.0, unreadable.1));
        }
        if impossible.0 > 0 {
            warnings.push(format!("{} spans have an impossible layout (first at {:#x}); skipped", impossible.0, impossible.1));
        }
        if cut_off.0 > 0 {
            warnings.push(format!(
                "{} heap spans ({} bytes) lie in the part of the core that was cut off; their objects are not counted",
                cut_off.0, cut_off.1
            ));
        }
        if outside.0 > 0 {
            warnings.push(format!("{} spans lie outside the core's memory (first at {:#x}); skipped", outside.0, outside.1));
        }
        if bad_bits > 0 {
            warnings.push(format!("allocation bits of {bad_bits} spans unreadable; assuming slots below freeindex only"));
        }
        // Sort by address, drop spans overlapping an earlier one, number slots, and fill the
        // allocated set.
        let mut order: Vec<usize> = (0..spans.len()).collect();
        order.sort_by_key(|&i| spans[i].base);
        let mut kept = Vec::with_capacity(order.len());
        let mut overlapping = 0u64;
        let mut last_end = 0u64;
        for &i in &order {
            let s = &spans[i];
            if s.base < last_end {
                overlapping += 1;
                continue;
            }
            last_end = s.end(params.page_size);
            kept.push(i);
        }
        if overlapping > 0 {
            warnings.push(format!("{overlapping} spans overlap other spans; skipped"));
            let keep: std::collections::HashSet<usize> = kept.iter().copied().collect();
            alloc_words.retain(|(i, _, _, _)| keep.contains(i));
        }
        let order = kept;
        let mut rank = vec![usize::MAX; spans.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r;
        }
        let mut sorted: Vec<Span> = order.iter().map(|&i| spans[i].clone()).collect();
        let mut next: u64 = 0;
        for s in &mut sorted {
            s.first_slot = next as u32;
            next += s.nelems as u64;
        }
        if next >= (1u64 << 31) {
            return Err(Error::Unsupported(format!("{next} object slots: more than heapwise's 2^31 limit")));
        }
        let slot_count = next as u32;
        let mut allocated = BitSet::new(slot_count as usize);
        let runtime_alloc_bytes = o_alloc_count.map(|_| alloc_words.iter().map(|w| w.3).fold(0u64, u64::saturating_add));
        for (i, bits, freeindex, _) in alloc_words {
            let s = &sorted[rank[i]];
            for k in 0..s.nelems {
                let set = k < freeindex || bits.get((k / 8) as usize).is_some_and(|b| b & (1 << (k % 8)) != 0);
                if set {
                    allocated.set((s.first_slot + k) as usize);
                }
            }
        }
        let mut heap = Heap::assemble(params, sorted, allocated, slot_count, other_span_bytes, warnings, ExplicitPtrs::default());
        heap.runtime_alloc_bytes = runtime_alloc_bytes;
        Ok(heap)
    }

    /// A heap from spans built elsewhere (a heap dump's objects): `spans` sorted by base,
    /// not sharing pages, slots numbered in order.
    pub fn from_parts(params: HeapParams, spans: Vec<Span>, allocated: BitSet, explicit: ExplicitPtrs, warnings: Vec<String>) -> Heap {
        let slot_count = spans.last().map(|s| s.first_slot + s.nelems).unwrap_or(0);
        Heap::assemble(params, spans, allocated, slot_count, HashMap::new(), warnings, explicit)
    }

    fn assemble(
        params: HeapParams,
        spans: Vec<Span>,
        allocated: BitSet,
        slot_count: u32,
        other_span_bytes: HashMap<String, u64>,
        warnings: Vec<String>,
        explicit: ExplicitPtrs,
    ) -> Heap {
        let page_table = PageTable::build(&spans, params.page_size);
        let slot_index = SlotIndex::build(&spans, slot_count);
        Heap {
            params,
            spans,
            allocated,
            slot_count,
            other_span_bytes,
            warnings,
            explicit,
            runtime_alloc_bytes: None,
            page_table,
            slot_index,
            last_span: AtomicU32::new(0),
        }
    }

    /// The span containing `addr`.
    #[inline]
    pub fn span_index(&self, addr: u64) -> Option<usize> {
        let i = match self.page_table.span(addr) {
            Some(i) if self.page_table.is_built() => i?,
            _ => self.spans.partition_point(|s| s.base <= addr).checked_sub(1)?,
        };
        let s = &self.spans[i];
        if addr < s.base {
            return None;
        }
        (addr - s.base < s.elemsize * s.nelems as u64).then_some(i)
    }

    /// The allocated object `addr` points into.
    #[inline]
    pub fn find(&self, addr: u64) -> Option<Target> {
        let i = self.span_index(addr)?;
        let t = self.target_in(i, addr)?;
        self.last_span.store(i as u32, Relaxed);
        Some(t)
    }

    /// [`Heap::find`] without touching the last-span cache (for scans on other threads).
    #[inline]
    pub fn find_uncached(&self, addr: u64) -> Option<Target> {
        self.target_in(self.span_index(addr)?, addr)
    }

    #[inline]
    fn target_in(&self, i: usize, addr: u64) -> Option<Target> {
        let s = &self.spans[i];
        let off = addr - s.base;
        // One-object spans need no division.
        let k = if s.nelems == 1 { 0 } else { off / s.elemsize };
        let slot = s.first_slot + k as u32;
        self.allocated.get(slot as usize).then_some(Target { slot, offset: off - k * s.elemsize })
    }

    /// The span holding `slot`.
    #[inline]
    pub fn span_of_slot(&self, slot: SlotId) -> &Span {
        let c = self.last_span.load(Relaxed) as usize;
        if let Some(s) = self.spans.get(c) {
            if slot.wrapping_sub(s.first_slot) < s.nelems {
                return s;
            }
        }
        let i = self.slot_index.span(&self.spans, slot);
        self.last_span.store(i as u32, Relaxed);
        &self.spans[i]
    }

    /// Index of the span holding `slot`, without the last-span cache (for other threads).
    #[inline]
    pub fn span_index_of_slot(&self, slot: SlotId) -> usize {
        self.slot_index.span(&self.spans, slot)
    }

    /// Bytes held by the heap's own tables: (what, bytes).
    pub fn table_bytes(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("heap spans", self.spans.capacity() * std::mem::size_of::<Span>()),
            ("heap allocated bits", self.allocated.len().div_ceil(8)),
            ("heap page table", (self.page_table.top.capacity() + self.page_table.pages.capacity()) * 4),
            ("heap slot index", self.slot_index.bytes()),
            ("heap explicit pointers", (self.explicit.starts.capacity() + self.explicit.words.capacity()) * 4),
        ]
    }

    /// The bytes of `span` a scan reads ([`Span::scan_len`]), when they can be borrowed
    /// from the process memory ([`crate::runtime::memory::Memory::slice`]).
    #[inline]
    pub fn span_bytes<'m>(&self, rt: &Rt<'m>, span: &Span) -> Option<&'m [u8]> {
        let mem: &'m crate::runtime::memory::Memory = rt.mem;
        mem.slice(span.base, usize::try_from(span.scan_len(self.params.page_size)).ok()?)
    }

    pub fn slot_addr(&self, slot: SlotId) -> u64 {
        let s = self.span_of_slot(slot);
        s.base + (slot - s.first_slot) as u64 * s.elemsize
    }

    /// Calls `f(offset)` for each pointer word of the object in `slot` per the GC's own
    /// metadata. `span_bytes` are the span's bytes (for in-span bitmaps and headers).
    pub fn for_each_pointer_word(
        &self,
        rt: &Rt<'_>,
        rtypes: &mut RtypeCache,
        span: &Span,
        index: u32,
        span_bytes: Option<&[u8]>,
        f: impl FnMut(u64),
    ) {
        let obj_off = index as u64 * span.elemsize;
        self.pointer_words(
            span,
            index,
            |i| match span_bytes {
                Some(b) => b.get(i as usize).copied().unwrap_or(0),
                None => rt.mem.u8(span.base.wrapping_add(i)).unwrap_or(0),
            },
            || match span_bytes {
                Some(b) => crate::bytes::u64_at(b, obj_off as usize).unwrap_or(0),
                None => rt.mem.u64(span.base.wrapping_add(obj_off)).unwrap_or(0),
            },
            |rtype, tile| {
                if let Some(info) = rtypes.get(rt, rtype) {
                    tile(info.size, &info.ptr_words);
                }
            },
            f,
        );
    }

    /// [`Heap::for_each_pointer_word`] over the span's own bytes, with type masks looked up
    /// in `masks` (type address → size and pointer words) instead of decoded: what a scan
    /// on a thread without the process memory uses.
    pub fn for_each_pointer_word_in(&self, span: &Span, index: u32, span_bytes: &[u8], masks: &TypeMasks, f: impl FnMut(u64)) {
        let obj_off = index as u64 * span.elemsize;
        self.pointer_words(
            span,
            index,
            |i| span_bytes.get(i as usize).copied().unwrap_or(0),
            || crate::bytes::u64_at(span_bytes, obj_off as usize).unwrap_or(0),
            |rtype, tile| {
                if let Some(Some((size, words))) = masks.get(&rtype) {
                    tile(*size, words);
                }
            },
            f,
        );
    }

    /// The type words a scan of `span` needs masks for: its `largeType`, or the malloc
    /// header of each allocated object (read from `span_bytes`).
    pub fn mask_types_of(&self, span: &Span, span_bytes: &[u8], mut f: impl FnMut(u64)) {
        match span.layout {
            PtrLayout::Large { rtype } if rtype != 0 => f(rtype),
            PtrLayout::Header => {
                for k in 0..span.nelems {
                    if self.allocated.get((span.first_slot + k) as usize) {
                        let w = crate::bytes::u64_at(span_bytes, (k as u64 * span.elemsize) as usize).unwrap_or(0);
                        if w != 0 {
                            f(w);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The one walk of an object's pointer words. `byte(i)` is the span's byte at offset
    /// `i`, `header()` the object's first word, `mask(rtype, tile)` calls `tile(size,
    /// words)` with a type's pointer mask when it is known.
    #[inline]
    fn pointer_words(
        &self,
        span: &Span,
        index: u32,
        byte: impl Fn(u64) -> u8,
        header: impl FnOnce() -> u64,
        mask: impl FnOnce(u64, &mut dyn FnMut(u64, &[u64])),
        mut f: impl FnMut(u64),
    ) {
        let obj_off = index as u64 * span.elemsize;
        match span.layout {
            PtrLayout::NoScan => {}
            PtrLayout::InSpanBits { bitmap } => {
                let words = span.elemsize / 8;
                let first_word = obj_off / 8;
                let bm_off = bitmap.wrapping_sub(span.base);
                let mut w = 0;
                while w < words {
                    let bit = first_word + w;
                    let byte = byte(bm_off.wrapping_add(bit / 8));
                    if byte == 0 && bit % 8 == 0 && words - w >= 8 {
                        w += 8;
                        continue;
                    }
                    if byte & (1 << (bit % 8)) != 0 {
                        f(w * 8);
                    }
                    w += 1;
                }
            }
            PtrLayout::Header => {
                let h = header();
                if h == 0 {
                    return;
                }
                let hs = self.params.malloc_header_size;
                mask(h, &mut |size, words| tile_mask(size, words, hs, span.elemsize, &mut f));
            }
            PtrLayout::Large { rtype } => {
                if rtype == 0 {
                    return;
                }
                mask(rtype, &mut |size, words| tile_mask(size, words, 0, span.elemsize, &mut f));
            }
            PtrLayout::Explicit { .. } => {
                for &w in self.explicit.words_of(span.first_slot + index) {
                    f(w as u64 * 8);
                }
            }
        }
    }
}

/// Type address → (size, pointer word indices), `None` for a descriptor that cannot be
/// read: the masks a scan without the process memory uses.
pub type TypeMasks = crate::fasthash::FastMap<u64, Option<(u64, Vec<u64>)>>;

/// Repeats a type's pointer mask every `Size_` bytes from `start` to `limit`, as
/// `typePointers.next` does: an object may be an array of its header type.
fn tile_mask(size: u64, ptr_words: &[u64], start: u64, limit: u64, f: &mut impl FnMut(u64)) {
    if ptr_words.is_empty() || size == 0 {
        return;
    }
    let mut elem = start;
    while elem < limit {
        for &w in ptr_words {
            let Some(off) = w.checked_mul(8).and_then(|o| o.checked_add(elem)).filter(|o| o.checked_add(8).is_some_and(|e| e <= limit)) else {
                return;
            };
            f(off);
        }
        let Some(next) = elem.checked_add(size) else { return };
        elem = next;
    }
}

/// The `heapArena` holding `addr`, through `mheap_.arenas` (`[1 << arenaL1Bits]*[1 << arenaL2Bits]*heapArena`).
fn arena_of(rt: &Rt<'_>, p: &HeapParams, arenas: u64, addr: u64, cache: &mut HashMap<u64, u64>) -> Option<u64> {
    let idx = addr.wrapping_sub(p.arena_base_offset) / p.heap_arena_bytes;
    if let Some(&a) = cache.get(&idx) {
        return Some(a);
    }
    let l1 = idx >> p.arena_l2_bits;
    let l2 = idx & ((1u64 << p.arena_l2_bits) - 1);
    let l2_array = rt.mem.u64(arenas.wrapping_add(l1.wrapping_mul(8))).ok()?;
    if l2_array == 0 {
        return None;
    }
    let a = rt.mem.u64(l2_array.wrapping_add(8 * l2)).ok()?;
    if a == 0 {
        return None;
    }
    cache.insert(idx, a);
    Some(a)
}
