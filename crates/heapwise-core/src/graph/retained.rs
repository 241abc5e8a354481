//! Dominators of the live object graph under a super-root joined to every root, retained
//! sizes of objects and types, leak suspects (as Eclipse MAT defines them) and what-if
//! reachability queries. Built on [`crate::graph::dominators`] over compact u32 arrays.

use crate::bitset::BitSet;
use crate::graph::dominators::{children, dominators, retained_sizes, Successors, NONE};
use crate::graph::marking::Graph;
use crate::runtime::heap::{Heap, SlotId};
use crate::runtime::roots::Root;

/// The dominator tree of the live heap, indexed by slot.
pub struct Retained {
    /// Immediate dominator of each live slot: a slot, or [`SUPER_ROOT`] when only the
    /// roots as a whole dominate it; `NONE` for slots that are not live.
    pub idom: Vec<u32>,
    /// Retained bytes of each slot (0 when not live).
    pub retained: Vec<u64>,
    /// Dominator-tree children of each node (node = slot; the super-root is node
    /// `slot_count`).
    child_off: Vec<u32>,
    child: Vec<u32>,
    /// Live slots in DFS preorder of the object graph (each after its dominator).
    preorder: Vec<u32>,
    /// Entry and exit times of each node in a walk of the dominator tree: `a` dominates
    /// `b` iff `enter[a] <= enter[b] && exit[b] <= exit[a]`.
    enter: Vec<u32>,
    exit: Vec<u32>,
    pub total_live: u64,
}

/// Slot size of every node of a dominator tree over the heap: the heap's slots first (their
/// span's element size, written span by span: cheaper than a lookup per node), then `len -
/// slot_count` nodes of size 0 (a super-root, goroutine nodes).
pub(crate) fn slot_sizes(heap: &Heap, len: usize) -> Vec<u32> {
    let mut sizes = vec![0u32; len];
    for span in &heap.spans {
        let size = span.elemsize.min(u32::MAX as u64) as u32;
        sizes[span.first_slot as usize..(span.first_slot + span.nelems) as usize].fill(size);
    }
    sizes
}

/// idom value meaning "dominated by the set of roots only".
pub const SUPER_ROOT: u32 = u32::MAX - 1;

impl Retained {
    /// Builds the dominator tree over what the roots reach (exactly the live slots); a
    /// finalizer root that scans an object without marking it joins the object's referents
    /// instead.
    pub fn build(heap: &Heap, graph: &Graph, roots: &[Root]) -> Retained {
        let n = heap.slot_count as usize;
        let mut root_edges: Vec<u32> = Vec::new();
        for r in roots {
            let Some(t) = heap.find(r.value) else { continue };
            if r.scans_only() {
                root_edges.extend_from_slice(graph.out(t.slot));
            } else {
                root_edges.push(t.slot);
            }
        }
        let g = HeapGraph { graph, n, root_edges };
        let tree = dominators(&g, n as u32);
        let sizes = slot_sizes(heap, n + 1);
        let retained = retained_sizes(&tree, |v| sizes[v as usize] as u64);
        drop(sizes);
        let (child_off, child) = children(&tree);
        let mut idom = tree.idom;
        let super_root = n as u32;
        for d in idom.iter_mut() {
            if *d == super_root {
                *d = SUPER_ROOT;
            }
        }
        let total_live = retained[n];
        let mut preorder = tree.preorder;
        preorder.retain(|&v| v != super_root);
        let (enter, exit) = tree_times(&child_off, &child, super_root);
        Retained { idom, retained, child_off, child, preorder, enter, exit, total_live }
    }

    /// Whether `a` dominates `b` (both slots; a slot dominates itself).
    pub fn dominates(&self, a: SlotId, b: SlotId) -> bool {
        let (a, b) = (a as usize, b as usize);
        self.enter[a] <= self.enter[b] && self.exit[b] <= self.exit[a] && self.exit[a] != NONE
    }

    /// The deepest common dominator of two live slots (`None`: only the roots).
    pub fn common_dominator(&self, a: SlotId, b: SlotId) -> Option<SlotId> {
        let mut cur = a;
        for _ in 0..self.idom.len() {
            if self.dominates(cur, b) {
                return Some(cur);
            }
            match self.idom[cur as usize] {
                SUPER_ROOT | NONE => return None,
                d => cur = d,
            }
        }
        None
    }

    /// Dominator-tree preorder entry time of a slot (for ordering).
    pub fn enter_time(&self, s: SlotId) -> u32 {
        self.enter[s as usize]
    }

    /// Dominator-tree children of `slot` (`None` = the super-root).
    pub fn children_of(&self, slot: Option<SlotId>) -> impl Iterator<Item = SlotId> + '_ {
        let node = slot.map_or(self.idom.len() - 1, |s| s as usize);
        self.child[self.child_off[node] as usize..self.child_off[node + 1] as usize].iter().copied()
    }

    /// Immediate dominator chain of `slot`, nearest first, ending below the super-root.
    pub fn chain(&self, slot: SlotId) -> Vec<SlotId> {
        let mut out = Vec::new();
        let mut cur = self.idom[slot as usize];
        while cur != SUPER_ROOT && cur != NONE && out.len() < self.idom.len() {
            out.push(cur);
            cur = self.idom[cur as usize];
        }
        out
    }

    /// Retained bytes of each label (type): the sum over its instances that no other
    /// instance of the same label dominates. `label(s)` is the label of slot `s`.
    pub fn by_label(&self, label: impl Fn(u32) -> u32, nlabels: usize) -> Vec<u64> {
        let mut out = vec![0u64; nlabels];
        let mut active = vec![0u32; nlabels];
        // Iterative walk of the dominator tree with enter/exit events.
        let mut stack: Vec<(u32, bool)> = self.children_of(None).map(|c| (c, false)).collect();
        while let Some((s, exiting)) = stack.pop() {
            let l = label(s) as usize;
            if l >= nlabels {
                continue;
            }
            if exiting {
                active[l] -= 1;
                continue;
            }
            if active[l] == 0 {
                out[l] += self.retained[s as usize];
            }
            active[l] += 1;
            stack.push((s, true));
            stack.extend(self.children_of(Some(s)).map(|c| (c, false)));
        }
        out
    }

    /// Descends from `slot` while one child holds at least 80% of the parent's retained
    /// bytes; the node where that stops is where the memory fans out (MAT's accumulation
    /// point). Returns it and its number of dominated children.
    pub fn accumulation_point(&self, slot: SlotId) -> (SlotId, u64) {
        let mut cur = slot;
        for _ in 0..self.idom.len() {
            let best = self.children_of(Some(cur)).max_by_key(|&c| self.retained[c as usize]);
            match best {
                Some(b) if self.retained[b as usize] * 5 >= self.retained[cur as usize] * 4 => cur = b,
                _ => break,
            }
        }
        (cur, self.children_of(Some(cur)).count() as u64)
    }

    pub fn preorder(&self) -> &[u32] {
        &self.preorder
    }
}

/// The live heap as a graph over slots plus a super-root (node `n`) joined to the roots.
struct HeapGraph<'a> {
    graph: &'a Graph,
    n: usize,
    root_edges: Vec<u32>,
}

impl Successors for HeapGraph<'_> {
    fn len(&self) -> usize {
        self.n + 1
    }
    #[inline]
    fn succ(&self, v: u32) -> &[u32] {
        if v as usize == self.n {
            &self.root_edges
        } else {
            self.graph.out(v)
        }
    }
}

/// Entry/exit times of an iterative walk of the tree given as children CSR from `root`.
fn tree_times(child_off: &[u32], child: &[u32], root: u32) -> (Vec<u32>, Vec<u32>) {
    let n = child_off.len() - 1;
    let mut enter = vec![NONE; n];
    let mut exit = vec![NONE; n];
    let mut clock = 0u32;
    let mut stack: Vec<(u32, u32)> = vec![(root, child_off[root as usize])];
    enter[root as usize] = clock;
    clock += 1;
    while let Some(top) = stack.last_mut() {
        let (v, next) = *top;
        if next < child_off[v as usize + 1] {
            top.1 += 1;
            let c = child[next as usize];
            enter[c as usize] = clock;
            clock += 1;
            stack.push((c, child_off[c as usize]));
        } else {
            exit[v as usize] = clock;
            clock += 1;
            stack.pop();
        }
    }
    (enter, exit)
}

/// Marks from the roots as `graph::mark` does, but without one edge `cut` (source slot,
/// index into its outbound edges: one pointer word) or, with `drop_slot`, without that
/// object at all. Returns the live set.
pub fn mark_without(
    heap: &Heap,
    graph: &Graph,
    roots: &[Root],
    cut: Option<(SlotId, usize)>,
    drop_slot: Option<SlotId>,
) -> BitSet {
    let n = heap.slot_count as usize;
    let mut live = BitSet::new(n);
    let mut queue: Vec<SlotId> = Vec::new();
    let blocked = |s: SlotId| drop_slot == Some(s);
    for r in roots {
        let Some(t) = heap.find(r.value) else { continue };
        if r.scans_only() {
            for &c in graph.out(t.slot) {
                if !blocked(c) && live.insert(c as usize) {
                    queue.push(c);
                }
            }
        } else if !blocked(t.slot) && live.insert(t.slot as usize) {
            queue.push(t.slot);
        }
    }
    let mut head = 0;
    while head < queue.len() {
        let s = queue[head];
        head += 1;
        for (k, &c) in graph.out(s).iter().enumerate() {
            if cut == Some((s, k)) || blocked(c) {
                continue;
            }
            if live.insert(c as usize) {
                queue.push(c);
            }
        }
    }
    live
}
