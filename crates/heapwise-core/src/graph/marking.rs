//! The object graph as compact arrays: a CSR adjacency list over slot ids built from the
//! GC's own pointer metadata, and reachability from the roots by breadth-first search
//! (iterative: chains millions of hops deep need no recursion). Each reached object keeps
//! its BFS parent, so a shortest path from a root is a walk up the parent array.

use std::borrow::Cow;

use crate::bitset::BitSet;
use crate::runtime::heap::{Heap, PtrLayout, SlotId, Span, TypeMasks};
use crate::runtime::roots::Root;
use crate::runtime::rt::Rt;
use crate::runtime::types::RtypeCache;
use crate::Error;

/// Marks a parent entry as a root index rather than a slot.
pub const ROOT_FLAG: u32 = 1 << 31;
pub const NO_PARENT: u32 = u32::MAX;

/// Outbound edges of every slot.
pub struct Graph {
    /// `edges[offsets[s]..offsets[s+1]]` are the slots `s` points to (with repeats when
    /// several words point into the same object).
    pub offsets: Vec<u32>,
    pub edges: Vec<SlotId>,
}

/// What [`Graph::build_from`] reads, gathered where the process memory is: each span's
/// bytes (`None` for spans without pointers) and the pointer masks of the types its
/// objects' headers and `largeType`s name. Plain data, so the scan can run on another
/// thread while this one names objects.
pub struct ScanInput<'m> {
    bytes: Vec<Option<Cow<'m, [u8]>>>,
    masks: TypeMasks,
}

/// Bytes [`Graph::prepare`] may copy for spans that are not one borrowed slice (a heap
/// dump's objects, a span over two core segments); past it the scan stays sequential.
const MAX_COPIED_SCAN_BYTES: usize = 64 << 20;

impl<'m> ScanInput<'m> {
    /// Bytes this input copied (spans not borrowed from a memory-resident source).
    pub fn copied_bytes(&self) -> usize {
        self.bytes.iter().flatten().map(|b| if let Cow::Owned(v) = b { v.len() } else { 0 }).sum()
    }
}


/// Appends the out-edges of every slot of `span` (one `offsets` entry per slot).
/// `words(k, f)` calls `f` with the offset of each pointer word of object `k`, and
/// `value(at)` reads the word at span offset `at`.
#[inline]
fn scan_span(
    heap: &Heap,
    span: &Span,
    offsets: &mut Vec<u32>,
    edges: &mut Vec<SlotId>,
    mut words: impl FnMut(u32, &mut dyn FnMut(u64)),
    value: impl Fn(u64) -> u64,
) -> Result<(), Error> {
    if span.layout == PtrLayout::NoScan {
        offsets.extend(std::iter::repeat_n(edges.len() as u32, span.nelems as usize));
        return Ok(());
    }
    for k in 0..span.nelems {
        offsets.push(edges.len() as u32);
        let slot = span.first_slot + k;
        if !heap.allocated.get(slot as usize) {
            continue;
        }
        let obj_off = k as u64 * span.elemsize;
        words(k, &mut |off| {
            let v = value(obj_off + off);
            if v != 0 {
                if let Some(t) = heap.find_uncached(v) {
                    edges.push(t.slot);
                }
            }
        });
    }
    if edges.len() >= (u32::MAX - 1) as usize {
        return Err(Error::Unsupported("more than 4 billion pointers".into()));
    }
    Ok(())
}

impl Graph {
    pub fn build(
        rt: &Rt<'_>,
        heap: &Heap,
        rtypes: &mut RtypeCache,
        progress: &mut dyn FnMut(f64) -> bool,
    ) -> Result<Graph, Error> {
        let n = heap.slot_count as usize;
        let mut offsets = Vec::with_capacity(n + 1);
        let mut edges: Vec<SlotId> = Vec::new();
        let page = heap.params.page_size;
        for (si, span) in heap.spans.iter().enumerate() {
            if si % 1024 == 0 && !progress(si as f64 / heap.spans.len().max(1) as f64) {
                return Err(Error::Cancelled);
            }
            if span.layout == PtrLayout::NoScan {
                scan_span(heap, span, &mut offsets, &mut edges, |_, _| {}, |_| 0)?;
                continue;
            }
            let bytes = rt.mem.bytes(span.base, span.scan_len(page) as usize).ok();
            let bytes = bytes.as_deref();
            scan_span(
                heap,
                span,
                &mut offsets,
                &mut edges,
                |k, f| heap.for_each_pointer_word(rt, rtypes, span, k, bytes, f),
                |at| match bytes {
                    Some(b) => crate::bytes::u64_at(b, at as usize).unwrap_or(0),
                    None => rt.mem.u64(span.base + at).unwrap_or(0),
                },
            )?;
        }
        offsets.push(edges.len() as u32);
        Ok(Graph { offsets, edges })
    }

    /// Gathers what [`Graph::build_from`] needs, on the thread that owns the process
    /// memory: `None` when a span's bytes cannot be read whole, or would have to be copied
    /// beyond [`MAX_COPIED_SCAN_BYTES`] (then [`Graph::build`] reads them as it goes).
    pub fn prepare<'m>(rt: &Rt<'m>, heap: &Heap, rtypes: &mut RtypeCache) -> Option<ScanInput<'m>> {
        let page = heap.params.page_size;
        let mut bytes = Vec::with_capacity(heap.spans.len());
        let mut masks = TypeMasks::default();
        let mut copied = 0usize;
        for span in &heap.spans {
            if span.layout == PtrLayout::NoScan {
                bytes.push(None);
                continue;
            }
            let b = rt.mem.bytes(span.base, span.scan_len(page) as usize).ok()?;
            if let Cow::Owned(v) = &b {
                copied = copied.saturating_add(v.len());
                if copied > MAX_COPIED_SCAN_BYTES {
                    return None;
                }
            }
            heap.mask_types_of(span, &b, |t| {
                masks.entry(t).or_insert_with(|| rtypes.get(rt, t).map(|i| (i.size, i.ptr_words.clone())));
            });
            bytes.push(Some(b));
        }
        Some(ScanInput { bytes, masks })
    }

    /// [`Graph::build`] from a [`ScanInput`]: the same graph, without the process memory.
    pub fn build_from(heap: &Heap, input: &ScanInput<'_>) -> Result<Graph, Error> {
        let mut offsets = Vec::with_capacity(heap.slot_count as usize + 1);
        let mut edges: Vec<SlotId> = Vec::new();
        for (span, bytes) in heap.spans.iter().zip(&input.bytes) {
            match bytes.as_deref() {
                Some(b) => scan_span(
                    heap,
                    span,
                    &mut offsets,
                    &mut edges,
                    |k, f| heap.for_each_pointer_word_in(span, k, b, &input.masks, f),
                    |at| crate::bytes::u64_at(b, at as usize).unwrap_or(0),
                )?,
                None => scan_span(heap, span, &mut offsets, &mut edges, |_, _| {}, |_| 0)?,
            }
        }
        offsets.push(edges.len() as u32);
        Ok(Graph { offsets, edges })
    }

    /// A graph of `slots` slots and no edges.
    pub fn empty(slots: u32) -> Graph {
        Graph { offsets: vec![0; slots as usize + 1], edges: Vec::new() }
    }

    /// Bytes of the adjacency arrays.
    pub fn bytes(&self) -> usize {
        (self.offsets.capacity() + self.edges.capacity()) * 4
    }

    #[inline]
    pub fn out(&self, s: SlotId) -> &[SlotId] {
        let a = self.offsets[s as usize] as usize;
        let b = self.offsets[s as usize + 1] as usize;
        &self.edges[a..b]
    }

    /// Inbound edges, built on demand (CSR of the reverse graph).
    pub fn reverse(&self) -> Graph {
        let n = self.offsets.len() - 1;
        let mut counts = vec![0u32; n + 1];
        for &t in &self.edges {
            counts[t as usize + 1] += 1;
        }
        for i in 0..n {
            counts[i + 1] += counts[i];
        }
        let mut fill = counts.clone();
        let mut edges = vec![0u32; self.edges.len()];
        for s in 0..n {
            for &t in self.out(s as u32) {
                edges[fill[t as usize] as usize] = s as u32;
                fill[t as usize] += 1;
            }
        }
        Graph { offsets: counts, edges }
    }
}

/// Result of marking from the roots.
pub struct Reachability {
    pub live: BitSet,
    /// BFS parent: a slot, `ROOT_FLAG | root index`, or `NO_PARENT`.
    pub parent: Vec<u32>,
}

/// Marks everything reachable from `roots`. A [`crate::runtime::roots::RootKind::FinalizedObject`] root scans
/// its object's referents without marking the object, as `gcScanFinalizer` does.
pub fn mark(heap: &Heap, graph: &Graph, roots: &[Root]) -> Reachability {
    bfs(heap, roots, |s, f| graph.out(s).iter().for_each(|&c| f(c)))
}

/// [`mark`] without a stored graph: each reached object's out-edges are read from `input`
/// as [`Graph::build_from`] reads them, in the same order, so the live set and the BFS
/// parents are the same; the analysis builds the graph itself only when a view needs it.
pub fn mark_from(heap: &Heap, input: &ScanInput<'_>, roots: &[Root]) -> Reachability {
    bfs(heap, roots, |s, f| {
        if !heap.allocated.get(s as usize) {
            return;
        }
        let i = heap.span_index_of_slot(s);
        let (Some(span), Some(Some(b))) = (heap.spans.get(i), input.bytes.get(i)) else { return };
        let k = s - span.first_slot;
        let obj_off = k as u64 * span.elemsize;
        heap.for_each_pointer_word_in(span, k, b, &input.masks, |off| {
            let v = crate::bytes::u64_at(b, (obj_off + off) as usize).unwrap_or(0);
            if v != 0 {
                if let Some(t) = heap.find_uncached(v) {
                    f(t.slot);
                }
            }
        });
    })
}

/// Breadth-first marking; `children(s, f)` calls `f` on each out-edge of `s` in order.
fn bfs(heap: &Heap, roots: &[Root], mut children: impl FnMut(SlotId, &mut dyn FnMut(SlotId))) -> Reachability {
    let n = heap.slot_count as usize;
    let mut live = BitSet::new(n);
    let mut parent = vec![NO_PARENT; n];
    let mut queue: Vec<SlotId> = Vec::new();
    for (ri, r) in roots.iter().enumerate() {
        let Some(t) = heap.find_uncached(r.value) else { continue };
        let tag = ROOT_FLAG | ri as u32;
        if r.scans_only() {
            children(t.slot, &mut |c| {
                if live.insert(c as usize) {
                    parent[c as usize] = tag;
                    queue.push(c);
                }
            });
        } else if live.insert(t.slot as usize) {
            parent[t.slot as usize] = tag;
            queue.push(t.slot);
        }
    }
    let mut head = 0;
    while head < queue.len() {
        let s = queue[head];
        head += 1;
        children(s, &mut |c| {
            if live.insert(c as usize) {
                parent[c as usize] = s;
                queue.push(c);
            }
        });
    }
    Reachability { live, parent }
}
