//! The object graph as compact arrays: a CSR adjacency list over slot ids built from the
//! GC's own pointer metadata, and reachability from the roots by breadth-first search
//! (iterative: chains millions of hops deep need no recursion). Each reached object keeps
//! its BFS parent, so a shortest path from a root is a walk up the parent array.

use crate::bitset::BitSet;
use crate::runtime::heap::{Heap, PtrLayout, SlotId};
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
                for _ in 0..span.nelems {
                    offsets.push(edges.len() as u32);
                }
                continue;
            }
            // A dump's spans are their objects only; a core's span holds its heap bits too.
            let len = match span.layout {
                PtrLayout::Explicit { .. } => span.elemsize * span.nelems as u64,
                _ => span.end(page) - span.base,
            };
            let bytes = rt.mem.bytes(span.base, len as usize).ok();
            let bytes = bytes.as_deref();
            for k in 0..span.nelems {
                offsets.push(edges.len() as u32);
                let slot = span.first_slot + k;
                if !heap.allocated.get(slot as usize) {
                    continue;
                }
                let obj_off = k as u64 * span.elemsize;
                heap.for_each_pointer_word(rt, rtypes, span, k, bytes, |off| {
                    let at = obj_off + off;
                    let value = match bytes {
                        Some(b) => crate::bytes::u64_at(b, at as usize).unwrap_or(0),
                        None => rt.mem.u64(span.base + at).unwrap_or(0),
                    };
                    if value != 0 {
                        if let Some(t) = heap.find(value) {
                            edges.push(t.slot);
                        }
                    }
                });
            }
            if edges.len() >= (u32::MAX - 1) as usize {
                return Err(Error::Unsupported("more than 4 billion pointers".into()));
            }
        }
        offsets.push(edges.len() as u32);
        Ok(Graph { offsets, edges })
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
    let n = heap.slot_count as usize;
    let mut live = BitSet::new(n);
    let mut parent = vec![NO_PARENT; n];
    let mut queue: Vec<SlotId> = Vec::new();
    for (ri, r) in roots.iter().enumerate() {
        let Some(t) = heap.find(r.value) else { continue };
        let tag = ROOT_FLAG | ri as u32;
        if r.scans_only() {
            for &c in graph.out(t.slot) {
                if live.insert(c as usize) {
                    parent[c as usize] = tag;
                    queue.push(c);
                }
            }
        } else if live.insert(t.slot as usize) {
            parent[t.slot as usize] = tag;
            queue.push(t.slot);
        }
    }
    let mut head = 0;
    while head < queue.len() {
        let s = queue[head];
        head += 1;
        for &c in graph.out(s) {
            if live.insert(c as usize) {
                parent[c as usize] = s;
                queue.push(c);
            }
        }
    }
    Reachability { live, parent }
}
