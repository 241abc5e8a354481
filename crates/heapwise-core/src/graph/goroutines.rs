//! Goroutines as owners of memory.
//!
//! - Leaks by Go 1.27's goroutine leak rule (golang/go#74609; `runtime/mgc.go`:
//!   `findGoroutineLeaks`, `findMaybeRunnableGoroutines`, `(*g).isMaybeRunnable`,
//!   `setSyncObjectsUntraceable`; `runtime/mgcmark.go`: `internalBlocked`,
//!   `allGsSnapshotSortedForGC`), applied offline to a core of any release 1.22-1.27: the
//!   roots are the globals and the other non-stack roots and the stacks of every goroutine
//!   that is not blocked on a channel, select, mutex, cond or wait group; the sudogs of the
//!   blocked ones do not reach their channel or primitive. A blocked goroutine whose
//!   channel (any of a select's) or primitive gets marked may be woken: its stack joins the
//!   roots, to a fixed point. Those left are leaked.
//! - Retained bytes per goroutine and per group, from one dominator tree in which every
//!   goroutine is a node (its stack roots and its `g` are its edges) and every group of
//!   goroutines is a node above its goroutines. `runtime.allgs` keeps no `g` alive there.
//!   A goroutine's retained bytes are what would be freed if it went away; a group's, what
//!   would be freed if all of its goroutines went away (objects they share count once).

use std::collections::HashMap;

use crate::bitset::BitSet;
use crate::graph::dominators::{children, dominators, retained_sizes, Successors};
use crate::graph::marking::Graph;
use crate::runtime::heap::{Heap, SlotId};
use crate::runtime::roots::{Root, RootKind};
use crate::runtime::stacks::{Goroutine, Sudog};

/// How a goroutine's wait counts for the leak rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocking {
    /// Running, runnable, in a syscall, or waiting for a reason the rule leaves out
    /// (`internalBlocked`: the netpoller, sleep, the GC, ...): a root.
    Root,
    /// On a nil channel or in a select with no cases: can never be woken.
    Never,
    /// On a channel operation or a select: woken once any of its channels is reachable.
    Channel,
    /// On `sync.Mutex`, `sync.RWMutex`, `sync.Cond` or `sync.WaitGroup`: woken once the
    /// primitive (the first sudog's `elem`) is reachable. `sync.Cond` before Go 1.26, whose
    /// `notifyListWait` sets no `elem`, has the `notifyList` found by
    /// [`crate::runtime::stacks::cond_waits`]. Where no sudog says which it is (heap dumps),
    /// the goroutine may run, as the runtime decides for a nil `elem`.
    Sync,
}

impl Blocking {
    /// How goroutine `g` waits: [`Blocking::of`] its status and wait reason, except that
    /// before Go 1.24, which has no `waitReasonSyncWaitGroupWait`, `sync.(*WaitGroup).Wait`
    /// waits on its semaphore as `semacquire` (`sync.runtime_Semacquire`,
    /// `runtime/sema.go`: the sudog's `elem` is the semaphore's address): a goroutine in that
    /// wait with `sync.(*WaitGroup).Wait` on its stack waits as on a wait group.
    pub fn of_goroutine(g: &Goroutine) -> Blocking {
        let in_wait_group = || {
            g.frames.iter().any(|f| f.function == "sync.(*WaitGroup).Wait" || f.inlined.iter().any(|i| i.function == "sync.(*WaitGroup).Wait"))
        };
        match Blocking::of(&g.status, &g.wait_reason) {
            Blocking::Root if g.wait_reason == "semacquire" && (g.status == "waiting" || g.status == "leaked") && in_wait_group() => Blocking::Sync,
            b => b,
        }
    }

    /// The wait reasons between `waitReasonChanReceiveNilChan` and
    /// `waitReasonSyncWaitGroupWait` (`runtime/runtime2.go`), by the runtime's own strings
    /// (`waitReasonStrings`: the same in 1.24-1.27, while the numbering moves).
    pub fn of(status: &str, wait_reason: &str) -> Blocking {
        // A goroutine an earlier leak profile marked `_Gleaked` is waiting all the same.
        if status != "waiting" && status != "leaked" {
            return Blocking::Root;
        }
        match wait_reason {
            "chan receive (nil chan)" | "chan send (nil chan)" | "select (no cases)" => Blocking::Never,
            "chan receive" | "chan send" | "select" => Blocking::Channel,
            "sync.Cond.Wait" | "sync.Mutex.Lock" | "sync.RWMutex.RLock" | "sync.RWMutex.Lock" | "sync.WaitGroup.Wait" => {
                Blocking::Sync
            }
            _ => Blocking::Root,
        }
    }
}

/// One group of goroutines: the same status, wait reason, pprof labels and stack (function,
/// file and line of every frame, inlined ones included), as the goroutine profile's
/// `debug=1` groups them; and the same verdict of the leak rule.
#[derive(Debug, Clone)]
pub struct Group {
    /// Indexes into the analysis's goroutines.
    pub members: Vec<u32>,
}

/// What [`GoroutineOwnership::build`] finds.
pub struct GoroutineOwnership {
    groups: Vec<Group>,
    leaked: Vec<bool>,
    /// Retained bytes per goroutine, then per group.
    goroutine_retained: Vec<u64>,
    group_retained: Vec<u64>,
    /// Dominator-tree children over the augmented node space (see [`Nodes`]).
    child_off: Vec<u32>,
    child: Vec<u32>,
    nodes: Nodes,
    /// The sudogs found outside `g.waiting` (`sync.Cond` waiters before Go 1.26), by
    /// goroutine index: what those goroutines block on.
    found: HashMap<u32, Sudog>,
}

/// Node numbering of the augmented graph: heap slots, then one node per goroutine, one per
/// group, and the super-root.
#[derive(Clone, Copy)]
struct Nodes {
    slots: u32,
    goroutines: u32,
    groups: u32,
}

impl Nodes {
    fn goroutine(&self, i: u32) -> u32 {
        self.slots + i
    }
    fn group(&self, k: u32) -> u32 {
        self.slots + self.goroutines + k
    }
    fn super_root(&self) -> u32 {
        self.slots + self.goroutines + self.groups
    }
    fn len(&self) -> usize {
        self.super_root() as usize + 1
    }
}

/// The object graph with goroutine and group nodes added: slot nodes keep their edges
/// (but the `allgs` array's), the rest are CSR rows of their own.
struct Augmented<'a> {
    graph: &'a Graph,
    nodes: Nodes,
    /// The backing array of `runtime.allgs`: its edges are left out.
    allgs_array: Option<SlotId>,
    extra_off: Vec<u32>,
    extra: Vec<u32>,
}

impl Successors for Augmented<'_> {
    fn len(&self) -> usize {
        self.nodes.len()
    }
    fn succ(&self, v: u32) -> &[u32] {
        if v < self.nodes.slots {
            if Some(v) == self.allgs_array {
                return &[];
            }
            return self.graph.out(v);
        }
        let i = (v - self.nodes.slots) as usize;
        &self.extra[self.extra_off[i] as usize..self.extra_off[i + 1] as usize]
    }
}

/// The group key of a goroutine, borrowed from it: leaked verdict, status, wait reason,
/// pprof labels (the goroutine profile groups by them too), and the function, file and line
/// of every frame (inlined calls included).
type GroupKey<'a> = (bool, &'a str, &'a str, &'a [(String, String)], Vec<(&'a str, &'a str, u32)>);

fn group_key(g: &Goroutine, leaked: bool) -> GroupKey<'_> {
    let mut frames = Vec::new();
    for f in &g.frames {
        for i in &f.inlined {
            frames.push((i.function.as_str(), i.file.as_str(), i.line));
        }
        frames.push((f.function.as_str(), f.file.as_str(), f.line));
    }
    (leaked, g.status.as_str(), g.wait_reason.as_str(), &g.meta.label_pairs, frames)
}

/// Groups goroutines by [`group_key`], in order of first appearance: the same stack and
/// status, and (a leak's stack is often a worker's too) the same verdict of the leak rule.
pub fn group_goroutines(goroutines: &[Goroutine], leaked: &[bool]) -> Vec<Group> {
    let mut index: HashMap<GroupKey<'_>, u32> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for (i, g) in goroutines.iter().enumerate() {
        let k = *index.entry(group_key(g, leaked[i])).or_insert_with(|| {
            groups.push(Group { members: Vec::new() });
            groups.len() as u32 - 1
        });
        groups[k as usize].members.push(i as u32);
    }
    groups
}

/// The leaked goroutines (by index) under Go 1.27's rule; see the module docs. `found` holds
/// sudogs found outside `g.waiting` ([`crate::runtime::stacks::cond_waits`]), by goroutine
/// index: they stand in for an empty `waiting`.
pub fn find_leaks(heap: &Heap, graph: &Graph, roots: &[Root], goroutines: &[Goroutine], found: &HashMap<u32, Sudog>) -> Vec<bool> {
    let waits = |gi: usize| -> &[Sudog] {
        match found.get(&(gi as u32)) {
            Some(s) if goroutines[gi].meta.waiting.is_empty() => std::slice::from_ref(s),
            _ => &goroutines[gi].meta.waiting,
        }
    };
    let blocking: Vec<Blocking> = goroutines.iter().map(Blocking::of_goroutine).collect();
    let index_of: HashMap<u64, usize> = goroutines.iter().enumerate().map(|(i, g)| (g.id, i)).collect();
    // Stack roots per goroutine; the candidates' wait for their goroutine to be woken.
    let mut stack_roots: Vec<Vec<usize>> = vec![Vec::new(); goroutines.len()];
    let mut initial: Vec<usize> = Vec::new();
    for (ri, r) in roots.iter().enumerate() {
        match r.goroutine.and_then(|id| index_of.get(&id)) {
            Some(&gi) if r.kind == RootKind::Stack && blocking[gi] != Blocking::Root => stack_roots[gi].push(ri),
            _ => initial.push(ri),
        }
    }
    // `setSyncObjectsUntraceable`: the candidates' sudogs do not reach their channel or element.
    let slot = |addr: u64| heap.find(addr).map(|t| t.slot);
    let mut hidden: HashMap<SlotId, Vec<SlotId>> = HashMap::new();
    for (gi, b) in blocking.iter().enumerate() {
        if *b == Blocking::Root {
            continue;
        }
        for s in waits(gi) {
            if let Some(sg) = slot(s.addr) {
                let targets: Vec<SlotId> = match b {
                    Blocking::Sync => slot(s.elem).into_iter().collect(),
                    _ => slot(s.chan).into_iter().collect(),
                };
                hidden.entry(sg).or_default().extend(targets);
            }
        }
    }
    let mut live = BitSet::new(heap.slot_count as usize);
    let mut queue: Vec<SlotId> = Vec::new();
    let push_root = |r: &Root, live: &mut BitSet, queue: &mut Vec<SlotId>| {
        let Some(t) = heap.find(r.value) else { return };
        if r.scans_only() {
            for &c in graph.out(t.slot) {
                if live.insert(c as usize) {
                    queue.push(c);
                }
            }
        } else if live.insert(t.slot as usize) {
            queue.push(t.slot);
        }
    };
    for &ri in &initial {
        push_root(&roots[ri], &mut live, &mut queue);
    }
    let marked_or_outside = |addr: u64, live: &BitSet| heap.find(addr).is_none_or(|t| live.get(t.slot as usize));
    let mut woken: Vec<bool> = blocking.iter().map(|b| *b == Blocking::Root).collect();
    loop {
        while let Some(s) = queue.pop() {
            let skip = hidden.get(&s);
            for &c in graph.out(s) {
                if skip.is_some_and(|h| h.contains(&c)) {
                    continue;
                }
                if live.insert(c as usize) {
                    queue.push(c);
                }
            }
        }
        // `findMaybeRunnableGoroutines`: the candidates `isMaybeRunnable` now says may run.
        let mut more = false;
        for gi in 0..goroutines.len() {
            if woken[gi] {
                continue;
            }
            let waiting = waits(gi);
            let may_run = match blocking[gi] {
                Blocking::Root => true,
                Blocking::Never => false,
                // No sudog read (a heap dump records none): unknown, so not called leaked.
                Blocking::Channel => waiting.is_empty() || waiting.iter().any(|s| marked_or_outside(s.chan, &live)),
                Blocking::Sync => waiting.first().is_none_or(|s| marked_or_outside(s.elem, &live)),
            };
            if may_run {
                woken[gi] = true;
                more = true;
                for &ri in &stack_roots[gi] {
                    push_root(&roots[ri], &mut live, &mut queue);
                }
            }
        }
        if !more {
            break;
        }
    }
    goroutines
        .iter()
        .enumerate()
        // The runtime does not report the main goroutine parked in `select {}`.
        .map(|(gi, g)| !(woken[gi] || g.id == 1 && g.wait_reason == "select (no cases)"))
        .collect()
}

impl GoroutineOwnership {
    /// The sudog found for goroutine `i` outside its `g.waiting` list, if any
    /// ([`crate::runtime::stacks::cond_waits`]).
    pub fn found_sudog(&self, i: u32) -> Option<&Sudog> {
        self.found.get(&i)
    }

    /// Groups, leaks and retained bytes. `allgs_array` is the slot of `runtime.allgs`'s
    /// backing array (its pointers to every `g` keep nothing alive here); `found`, the sudogs
    /// found outside `g.waiting` (see [`find_leaks`]).
    pub fn build(
        heap: &Heap,
        graph: &Graph,
        roots: &[Root],
        goroutines: &[Goroutine],
        allgs_array: Option<SlotId>,
        found: HashMap<u32, Sudog>,
    ) -> GoroutineOwnership {
        let leaked = find_leaks(heap, graph, roots, goroutines, &found);
        let groups = group_goroutines(goroutines, &leaked);
        let nodes = Nodes { slots: heap.slot_count, goroutines: goroutines.len() as u32, groups: groups.len() as u32 };
        let index_of: HashMap<u64, u32> = goroutines.iter().enumerate().map(|(i, g)| (g.id, i as u32)).collect();
        let slot_of = |addr: u64| heap.find(addr).map(|t| t.slot);
        // Rows of the goroutine nodes, group nodes and the super-root, in node order.
        let mut rows: Vec<Vec<u32>> = vec![Vec::new(); (nodes.goroutines + nodes.groups + 1) as usize];
        let super_row = rows.len() - 1;
        for r in roots {
            let Some(t) = slot_of(r.value) else { continue };
            let targets: Vec<u32> = if r.scans_only() { graph.out(t).to_vec() } else { vec![t] };
            match (r.kind, r.goroutine.and_then(|id| index_of.get(&id))) {
                (RootKind::Stack, Some(&gi)) => rows[gi as usize].extend(targets),
                _ => rows[super_row].extend(targets),
            }
        }
        for (gi, g) in goroutines.iter().enumerate() {
            rows[gi].extend(slot_of(g.g_addr));
        }
        for (k, grp) in groups.iter().enumerate() {
            rows[(nodes.goroutines as usize) + k].extend(grp.members.iter().map(|&gi| nodes.goroutine(gi)));
            rows[super_row].push(nodes.group(k as u32));
        }
        let mut extra_off = Vec::with_capacity(rows.len() + 1);
        let mut extra = Vec::new();
        extra_off.push(0u32);
        for row in &rows {
            extra.extend_from_slice(row);
            extra_off.push(extra.len() as u32);
        }
        drop(rows);
        let aug = Augmented { graph, nodes, allgs_array, extra_off, extra };
        let tree = dominators(&aug, nodes.super_root());
        let sizes = crate::graph::retained::slot_sizes(heap, nodes.len());
        let retained = retained_sizes(&tree, |v| sizes[v as usize] as u64);
        let goroutine_retained = (0..nodes.goroutines).map(|i| retained[nodes.goroutine(i) as usize]).collect();
        let group_retained = (0..nodes.groups).map(|k| retained[nodes.group(k) as usize]).collect();
        let (child_off, child) = children(&tree);
        GoroutineOwnership { groups, leaked, goroutine_retained, group_retained, child_off, child, nodes, found }
    }

    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// Whether goroutine `i` is leaked.
    pub fn leaked(&self, i: u32) -> bool {
        self.leaked[i as usize]
    }

    pub fn goroutine_retained(&self, i: u32) -> u64 {
        self.goroutine_retained[i as usize]
    }

    pub fn group_retained(&self, k: u32) -> u64 {
        self.group_retained[k as usize]
    }

    /// The heap slots group `k` retains: its dominator subtree, without the goroutine nodes.
    pub fn group_slots(&self, k: u32) -> Vec<SlotId> {
        self.subtree(self.nodes.group(k))
    }

    fn subtree(&self, node: u32) -> Vec<SlotId> {
        let mut out = Vec::new();
        let mut stack = vec![node];
        while let Some(v) = stack.pop() {
            if v < self.nodes.slots {
                out.push(v);
            }
            stack.extend_from_slice(&self.child[self.child_off[v as usize] as usize..self.child_off[v as usize + 1] as usize]);
        }
        out.sort_unstable();
        out
    }
}
