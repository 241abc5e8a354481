//! Comparing snapshots: two or three analyses (cores or heap dumps) of one process, object by
//! object, and the leak candidates among them clustered by what retains them.
//!
//! Go's collector never moves objects (`runtime/mgc.go`: a non-moving mark-sweep collector),
//! so within one process an object keeps its address from its allocation until it is freed.
//! An object of a later snapshot is the same allocation as the object of an earlier one when
//! both sit at the same slot base, in spans of the same span class (`runtime/mheap.go`
//! `mspan.spanclass`: size class and noscan bit), with the same type and, for typed objects,
//! the same malloc header word (`runtime/mbitmap.go`, Go 1.22+) or `mspan.largeType`. A slot
//! freed and reused by a new object of the same type passes those checks; it is told apart
//! where the snapshots say so:
//! - a profile special (`runtime/mprof.go`, `runtime/mheap.go` `specialprofile`): attached at
//!   allocation and removed at free, so a survivor has the same one (the same bucket) in both
//!   snapshots, and an object with none in one and one in the other, or with another bucket,
//!   is another allocation;
//! - immutable contents: the bytes of an object typed `string` (string data, never written
//!   once made) differ.
//!
//! Otherwise it counts as survived; the objects whose identity had none of that evidence to
//! rest on (no profile special in either snapshot, not string data) are counted as
//! ambiguous.
//!
//! Leak candidates follow memlab's rule: with three snapshots (base, target, final) the
//! objects new in target that are still alive in final; with two, the objects new in
//! target. They are clustered by their retainer path (the shortest path from a root the
//! marking recorded, in the last snapshot): the root's kind and name, then the field and type
//! of each hop, array indexes and map slots folded (`[3]` -> `[]`) and runs of the same hop
//! (a linked list) folded into one.
//!
//! Snapshots of different processes (another executable build ID, pid, heap arenas, Go
//! release or load address) cannot be matched object by object: the diff then falls back to types only
//! and says why.

use std::collections::HashMap;

use crate::analysis::Analysis;
use crate::bitset::BitSet;
use crate::graph::marking::{NO_PARENT, ROOT_FLAG};
use crate::report::{DiffCluster, DiffPair, DiffTypeRow, ObjectDiffStatus, SnapshotDiffReport};
use crate::runtime::heap::{PtrLayout, SlotId};
use crate::Error;

/// Clusters listed at most (the largest retained first).
const MAX_CLUSTERS: usize = 500;
/// Entries of a path listed at most: the first and last halves, with a marker between.
const MAX_PATH_ENTRIES: usize = 64;
const NONE: u32 = u32::MAX;

/// The object-level match of one consecutive pair of snapshots.
struct PairMatch {
    /// Slots of the earlier snapshot whose object survived into the later one.
    kept: BitSet,
    /// Slots of the later snapshot holding a survivor.
    survivor: BitSet,
    /// Survivors whose identity rests on address, span class and type alone.
    ambiguous: u64,
    /// Slots that matched on address, class and type but hold another allocation.
    reused: u64,
}

/// Two or three snapshots of one process, compared. Build with [`SnapshotDiff::new`], then
/// read [`SnapshotDiff::report`] and [`SnapshotDiff::status`].
pub struct SnapshotDiff<'a> {
    snaps: Vec<&'a Analysis>,
    /// Whether the snapshots are of one process (object-level matching was done).
    same_process: bool,
    notes: Vec<String>,
    pairs: Vec<PairMatch>,
}

impl<'a> SnapshotDiff<'a> {
    /// Compares `snaps` (2 or 3, oldest first).
    pub fn new(snaps: &[&'a Analysis]) -> Result<SnapshotDiff<'a>, Error> {
        if !(2..=3).contains(&snaps.len()) {
            return Err(Error::Unsupported(format!("a diff compares 2 or 3 snapshots, not {}", snaps.len())));
        }
        let mut notes = Vec::new();
        let mut same_process = true;
        for (i, w) in snaps.windows(2).enumerate() {
            let (why, info) = process_mismatch(w[0], w[1]);
            notes.extend(info.into_iter().map(|n| format!("snapshots {} and {}: {n}", i + 1, i + 2)));
            if let Some(why) = why {
                same_process = false;
                notes.push(format!("snapshots {} and {} are not of one process ({why}): objects are not matched, only types are compared", i + 1, i + 2));
            }
        }
        let pairs = if same_process { snaps.windows(2).map(|w| match_pair(w[0], w[1])).collect() } else { Vec::new() };
        Ok(SnapshotDiff { snaps: snaps.to_vec(), same_process, notes, pairs })
    }

    /// Whether the objects were matched (the snapshots are of one process).
    pub fn same_process(&self) -> bool {
        self.same_process
    }

    /// The diff: per type, per pair, and the leak-candidate clusters.
    pub fn report(&self) -> SnapshotDiffReport {
        let n = self.snaps.len();
        let mut rows: Vec<DiffTypeRow> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut row = |rows: &mut Vec<DiffTypeRow>, name: &str| -> usize {
            if let Some(&i) = index.get(name) {
                return i;
            }
            index.insert(name.to_string(), rows.len());
            let pairs = if self.same_process { n - 1 } else { 0 };
            rows.push(DiffTypeRow {
                type_name: name.to_string(),
                counts: vec![0; n],
                bytes: vec![0; n],
                retained: vec![0; n],
                survived: vec![0; pairs],
                new: vec![0; pairs],
                freed: vec![0; pairs],
            });
            rows.len() - 1
        };
        for (i, a) in self.snaps.iter().enumerate() {
            for h in a.histogram_retained() {
                let r = row(&mut rows, &h.type_name);
                rows[r].counts[i] = h.count;
                rows[r].bytes[i] = h.bytes;
                rows[r].retained[i] = h.retained.unwrap_or(0);
            }
        }
        let mut pairs = Vec::new();
        for (p, m) in self.pairs.iter().enumerate() {
            let (a, b) = (self.snaps[p], self.snaps[p + 1]);
            let (la, na) = a.labels();
            let (lb, nb) = b.labels();
            // Per label of each side, then by name into the rows.
            let mut survived = vec![0u64; na.len()];
            let mut freed = vec![0u64; na.len()];
            let mut new = vec![0u64; nb.len()];
            for s in a.reach.live.iter_ones() {
                if m.kept.get(s) {
                    survived[la[s] as usize] += 1;
                } else {
                    freed[la[s] as usize] += 1;
                }
            }
            for s in b.reach.live.iter_ones() {
                if !m.survivor.get(s) {
                    new[lb[s] as usize] += 1;
                }
            }
            let mut totals = DiffPair { survived: 0, new: 0, freed: 0, ambiguous: m.ambiguous };
            for (l, name) in na.iter().enumerate() {
                if survived[l] + freed[l] > 0 {
                    let r = row(&mut rows, name);
                    rows[r].survived[p] += survived[l];
                    rows[r].freed[p] += freed[l];
                    totals.survived += survived[l];
                    totals.freed += freed[l];
                }
            }
            for (l, name) in nb.iter().enumerate() {
                if new[l] > 0 {
                    let r = row(&mut rows, name);
                    rows[r].new[p] += new[l];
                    totals.new += new[l];
                }
            }
            pairs.push(totals);
        }
        let growth = |r: &DiffTypeRow| r.retained[n - 1] as i128 - r.retained[0] as i128;
        let byte_growth = |r: &DiffTypeRow| r.bytes[n - 1] as i128 - r.bytes[0] as i128;
        rows.sort_by(|x, y| growth(y).cmp(&growth(x)).then(byte_growth(y).cmp(&byte_growth(x))).then(x.type_name.cmp(&y.type_name)));
        let mut notes = self.notes.clone();
        let clusters = if self.same_process { self.clusters(&mut notes) } else { Vec::new() };
        SnapshotDiffReport { types: rows, pairs, clusters, notes }
    }

    /// Leak candidates (new in target, alive in final; with two snapshots new in target),
    /// clustered by retainer path in the last snapshot: most retained first, then most objects,
    /// then by path.
    fn clusters(&self, notes: &mut Vec<String>) -> Vec<DiffCluster> {
        let target = self.snaps[1];
        let last = *self.snaps.last().expect("2 or 3 snapshots");
        let mut candidates: Vec<SlotId> = Vec::new();
        for s in target.reach.live.iter_ones() {
            if self.pairs[0].survivor.get(s) {
                continue;
            }
            if self.snaps.len() == 2 {
                candidates.push(s as SlotId);
            } else if self.pairs[1].kept.get(s) {
                // The survivor's slot in final: the same base address.
                if let Some(t) = last.heap.find(target.heap.slot_addr(s as SlotId)) {
                    candidates.push(t.slot);
                }
            }
        }
        let mut paths = PathTrie::new(last);
        let mut members: Vec<(u32, SlotId)> = candidates.iter().filter_map(|&c| paths.node_of(c).map(|n| (n, c))).collect();
        let dom = last.dom();
        members.sort_by_key(|&(n, s)| (n, dom.enter_time(s)));
        let mut out: Vec<(DiffCluster, u32)> = Vec::new();
        let mut i = 0;
        while i < members.len() {
            let node = members[i].0;
            let mut j = i;
            let (mut count, mut bytes, mut retained) = (0u64, 0u64, 0u64);
            let mut top: Option<SlotId> = None;
            let mut example = members[i].1;
            while j < members.len() && members[j].0 == node {
                let s = members[j].1;
                count += 1;
                bytes += last.slot_size(s);
                // Members in a kept member's dominator subtree are already in its retained.
                if top.is_none_or(|t| !dom.dominates(t, s)) {
                    top = Some(s);
                    retained += dom.retained[s as usize];
                }
                let (r, re) = (dom.retained[s as usize], dom.retained[example as usize]);
                if r > re || (r == re && s < example) {
                    example = s;
                }
                j += 1;
            }
            out.push((DiffCluster { path: Vec::new(), count, bytes, retained, example: last.object_addr(example) }, node));
            i = j;
        }
        for (c, node) in &mut out {
            c.path = paths.render(*node);
        }
        out.sort_by(|a, b| b.0.retained.cmp(&a.0.retained).then(b.0.count.cmp(&a.0.count)).then(a.0.path.cmp(&b.0.path)));
        if out.len() > MAX_CLUSTERS {
            notes.push(format!("{} leak-candidate clusters; the {MAX_CLUSTERS} that retain the most are listed", out.len()));
            out.truncate(MAX_CLUSTERS);
        }
        out.into_iter().map(|(c, _)| c).collect()
    }

    /// What the diff says of the object at `addr` in snapshot `snapshot` (0-based): whether
    /// it survived from the snapshot before, survives into the one after, and whether it is
    /// a leak candidate.
    pub fn status(&self, snapshot: usize, addr: u64) -> Result<ObjectDiffStatus, Error> {
        let a = *self.snaps.get(snapshot).ok_or_else(|| Error::NotFound(format!("no snapshot {}", snapshot + 1)))?;
        let (s, base) = a.slot_at(addr)?;
        let s = s as usize;
        let from_previous = snapshot.checked_sub(1).and_then(|p| self.pairs.get(p)).map(|m| m.survivor.get(s));
        let into_next = self.pairs.get(snapshot).map(|m| m.kept.get(s));
        let leak_candidate = self.same_process
            && match (self.snaps.len(), snapshot) {
                (2, 1) => from_previous == Some(false),
                (3, 1) => from_previous == Some(false) && into_next == Some(true),
                (3, 2) => {
                    // Alive in final, and new in target: its slot in target, not a survivor of base.
                    from_previous == Some(true)
                        && self.snaps[1].heap.find(a.heap.slot_addr(s as SlotId)).is_some_and(|t| !self.pairs[0].survivor.get(t.slot as usize))
                }
                _ => false,
            };
        Ok(ObjectDiffStatus { snapshot: snapshot as u32, addr: base, survived_from_previous: from_previous, survives_into_next: into_next, leak_candidate })
    }
}

/// Why two snapshots cannot be of one process (`None`: they can), and notes on what could
/// not be checked.
fn process_mismatch(a: &Analysis, b: &Analysis) -> (Option<String>, Vec<String>) {
    let mut notes = Vec::new();
    if let (Some(x), Some(y)) = (&a.image.build_id, &b.image.build_id) {
        if x != y {
            return (Some("executables with different build IDs".into()), notes);
        }
    }
    if a.image.go_version != b.image.go_version {
        return (Some(format!("Go {} and Go {}", a.image.go_version, b.image.go_version)), notes);
    }
    if a.image.bias != b.image.bias {
        return (Some(format!("the executable is loaded at {:#x} and at {:#x}", a.image.bias, b.image.bias)), notes);
    }
    match (a.image.pid, b.image.pid) {
        (Some(x), Some(y)) if x != y => return (Some(format!("process {x} and process {y}")), notes),
        (Some(_), Some(_)) => {}
        _ => notes.push("no process id to compare (a heap dump records none): one process is assumed from the Go release, load address and heap arenas".into()),
    }
    let (xa, xb) = (arenas(a), arenas(b));
    if !xa.iter().all(|x| xb.binary_search(x).is_ok()) {
        // Arenas are never given back (runtime/malloc.go): a later snapshot of one process
        // has every arena of an earlier one.
        return (Some("the heap arenas differ".into()), notes);
    }
    if let (Some(x), Some(y)) = (a.image.cpu_ns, b.image.cpu_ns) {
        if y < x {
            notes.push("the later one used less CPU time than the earlier one: are they in the order they were taken?".into());
        }
    }
    (None, notes)
}

/// Heap arena indexes, sorted: `mheap_.allArenas` (`runtime/mheap.go`), or for an image
/// without runtime globals (a heap dump) the arenas its spans lie in.
fn arenas(a: &Analysis) -> Vec<u64> {
    let rt = a.rt();
    let p = &a.heap.params;
    let from_runtime = (|| -> Option<Vec<u64>> {
        let mheap = rt.global("runtime.mheap_").ok()?;
        let (ptr, len, _) = rt.slice(mheap + rt.off("runtime.mheap", "allArenas").ok()?).ok()?;
        // One arena per 64 MiB of address space: a slice longer than the heap's spans allow
        // is not believed.
        if len == 0 || len > 1 << 22 {
            return None;
        }
        let bytes = rt.mem.bytes(ptr, (len * 8) as usize).ok()?;
        Some(bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))).collect())
    })();
    let mut v = from_runtime.unwrap_or_else(|| {
        a.heap.spans.iter().map(|s| s.base.wrapping_add(p.arena_base_offset) / p.heap_arena_bytes.max(1)).collect()
    });
    v.sort_unstable();
    v.dedup();
    v
}

/// Matches the live objects of `a` (earlier) with those of `b` (later).
fn match_pair(a: &Analysis, b: &Analysis) -> PairMatch {
    let (la, na) = a.labels();
    let (lb, nb) = b.labels();
    let mut index: HashMap<&str, u32> = HashMap::new();
    for (i, n) in nb.iter().enumerate() {
        index.entry(n.as_str()).or_insert(i as u32);
    }
    // a's label -> b's label of the same name.
    let trans: Vec<u32> = na.iter().map(|n| index.get(n.as_str()).copied().unwrap_or(NONE)).collect();
    let string_a = na.iter().position(|n| n == "string").map(|i| i as u32);
    let profiles = a.alloc_buckets_complete() && b.alloc_buckets_complete();
    let (ra, rb) = (a.rt(), b.rt());
    let mut m = PairMatch {
        kept: BitSet::new(a.heap.slot_count as usize),
        survivor: BitSet::new(b.heap.slot_count as usize),
        ambiguous: 0,
        reused: 0,
    };
    for span in &a.heap.spans {
        // Usually the span is still there, whole: its slots map one to one.
        let same = b.heap.span_index(span.base).map(|i| &b.heap.spans[i]).filter(|t| t.base == span.base && t.elemsize == span.elemsize && t.nelems == span.nelems);
        for k in 0..span.nelems {
            let s = span.first_slot + k;
            if !a.is_live(s) {
                continue;
            }
            let addr = span.base + u64::from(k) * span.elemsize;
            let t = match same {
                Some(t) => t.first_slot + k,
                None => match b.heap.find(addr) {
                    Some(t) if t.offset == 0 => t.slot,
                    _ => continue,
                },
            };
            if !b.is_live(t) {
                continue;
            }
            let tspan = b.heap.span_of_slot(t);
            let noscan = |l: PtrLayout| l == PtrLayout::NoScan;
            if tspan.elemsize != span.elemsize || tspan.sizeclass != span.sizeclass || noscan(tspan.layout) != noscan(span.layout) {
                continue;
            }
            if trans[la[s as usize] as usize] != lb[t as usize] {
                continue;
            }
            match (span.layout, tspan.layout) {
                (PtrLayout::Large { rtype: x }, PtrLayout::Large { rtype: y }) if x != y => continue,
                (x, y) if x.has_malloc_header() && y.has_malloc_header() && ra.mem.u64(addr).ok() != rb.mem.u64(addr).ok() => continue,
                _ => {}
            }
            // Evidence of identity, or of another allocation in the same slot.
            let mut evidence = false;
            if profiles {
                let (pa, pb) = (a.alloc_bucket(addr), b.alloc_bucket(addr));
                if pa != pb {
                    m.reused += 1;
                    continue;
                }
                evidence = pa.is_some();
            }
            if Some(la[s as usize]) == string_a {
                let len = span.elemsize as usize;
                if ra.mem.bytes(addr, len).ok() != rb.mem.bytes(addr, len).ok() {
                    m.reused += 1;
                    continue;
                }
                evidence = true;
            }
            if !evidence {
                m.ambiguous += 1;
            }
            m.kept.set(s as usize);
            m.survivor.set(t as usize);
        }
    }
    m
}

impl Analysis {
    /// Whether [`Analysis::alloc_bucket`] sees every profile special of the heap: a heap
    /// dump's `allocsample` records, or a core's specials (`runtime/mheap.go`
    /// `specialprofile`) when all of them were read.
    pub fn alloc_buckets_complete(&self) -> bool {
        match &self.dump_alloc_stacks {
            Some(_) => true,
            None => self.mem_profile().is_ok_and(|(p, _)| p.specials_complete()),
        }
    }

    /// The address of the heap-profile bucket (`runtime.bucket`) of the object whose slot
    /// starts at `slot_addr`, when the profiler sampled it.
    pub fn alloc_bucket(&self, slot_addr: u64) -> Option<u64> {
        if let Some(d) = &self.dump_alloc_stacks {
            return d.bucket_of(slot_addr);
        }
        let (p, _) = self.mem_profile().ok()?;
        let b = p.bucket_of_object(slot_addr)?;
        p.buckets().get(b as usize).map(|b| b.addr())
    }

    /// The process id of a core (NT_PRPSINFO); `None` for a heap dump.
    pub fn pid(&self) -> Option<u32> {
        self.image.pid
    }

    /// CPU time the process had used when the core was taken: it orders snapshots of one
    /// process. `None` for a heap dump.
    pub fn cpu_ns(&self) -> Option<u64> {
        self.image.cpu_ns
    }
}

/// Retainer paths as a trie: each node is a path (its parent's plus one hop), so the
/// objects of one cluster share one node and a path is built once per distinct prefix.
struct PathTrie<'a> {
    a: &'a Analysis,
    /// Trie node of each slot whose path was computed ([`NONE`]: not yet).
    memo: Vec<u32>,
    /// (parent node or [`NONE`] for a root, string id, repeated run).
    nodes: Vec<(u32, u32, bool)>,
    node_index: HashMap<(u32, u32, bool), u32>,
    strings: Vec<String>,
    string_index: HashMap<String, u32>,
    /// Root index -> trie node.
    root_nodes: HashMap<u32, u32>,
    /// Pointer words (target, offset) of parents seen, sorted by target: an array with a
    /// million children is decoded once, not once per child.
    pointers: HashMap<SlotId, Vec<(SlotId, u64)>>,
}

impl<'a> PathTrie<'a> {
    fn new(a: &'a Analysis) -> PathTrie<'a> {
        PathTrie {
            a,
            memo: vec![NONE; a.heap.slot_count as usize],
            nodes: Vec::new(),
            node_index: HashMap::new(),
            strings: Vec::new(),
            string_index: HashMap::new(),
            root_nodes: HashMap::new(),
            pointers: HashMap::new(),
        }
    }

    fn intern(&mut self, s: String) -> u32 {
        if let Some(&i) = self.string_index.get(&s) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.push(s.clone());
        self.string_index.insert(s, i);
        i
    }

    fn node(&mut self, parent: u32, hop: u32, repeated: bool) -> u32 {
        let key = (parent, hop, repeated);
        if let Some(&n) = self.node_index.get(&key) {
            return n;
        }
        let n = self.nodes.len() as u32;
        self.nodes.push(key);
        self.node_index.insert(key, n);
        n
    }

    /// `parent` extended by `hop`; a hop equal to the parent's own last one joins it into a
    /// repeated run (a linked list's nodes all get one path).
    fn append(&mut self, parent: u32, hop: u32) -> u32 {
        let (pp, ph, _) = self.nodes[parent as usize];
        if ph == hop && pp != NONE {
            return self.node(pp, hop, true);
        }
        self.node(parent, hop, false)
    }

    /// Offset of the first pointer word of `parent` that points into `child`.
    fn edge_offset(&mut self, parent: SlotId, child: SlotId) -> Option<u64> {
        let a = self.a;
        let list = self.pointers.entry(parent).or_insert_with(|| {
            let mut v: Vec<(SlotId, u64)> = a.pointers_of(parent).into_iter().filter_map(|(o, _, t)| Some((t?, o))).collect();
            v.sort_unstable();
            v
        });
        let i = list.partition_point(|&(t, _)| t < child);
        list.get(i).filter(|&&(t, _)| t == child).map(|&(_, o)| o)
    }

    /// The trie node of the path to live slot `s` (`None` when the marking recorded none).
    fn node_of(&mut self, s: SlotId) -> Option<u32> {
        let a = self.a;
        // Up the BFS parents until a slot whose node is known, or the root.
        let mut chain = Vec::new();
        let mut cur = s;
        let mut start = loop {
            if self.memo[cur as usize] != NONE {
                break self.memo[cur as usize];
            }
            chain.push(cur);
            let p = *a.reach.parent.get(cur as usize)?;
            if p == NO_PARENT {
                return None;
            }
            if p & ROOT_FLAG != 0 {
                let r = p & !ROOT_FLAG;
                let root = a.roots.get(r as usize)?;
                let first = chain.pop().expect("pushed above");
                let rn = match self.root_nodes.get(&r) {
                    Some(&n) => n,
                    None => {
                        let text = if root.name.starts_with("goroutine ") { fold(&root.name) } else { format!("{} {}", root.kind.as_str(), fold(&root.name)) };
                        let id = self.intern(text);
                        let n = self.node(NONE, id, false);
                        self.root_nodes.insert(r, n);
                        n
                    }
                };
                // The first hop: its type; for a finalizer root (it scans the finalized
                // object without marking it), the field of that object too.
                let field = if root.scans_only() {
                    a.heap.find(root.value).and_then(|f| self.edge_offset(f.slot, first).map(|o| fold(&a.field_name(f.slot, o))))
                } else {
                    None
                };
                let text = match field {
                    Some(f) => format!("{f} ({})", a.type_name(first)),
                    None => a.type_name(first),
                };
                let id = self.intern(text);
                let n = self.append(rn, id);
                self.memo[first as usize] = n;
                break n;
            }
            cur = p;
            if chain.len() > a.heap.slot_count as usize {
                return None;
            }
        };
        // Down again: each hop's field in its parent and its type.
        while let Some(c) = chain.pop() {
            let p = a.reach.parent[c as usize];
            let field = self.edge_offset(p, c).map(|o| fold(&a.field_name(p, o))).unwrap_or_else(|| "?".into());
            let id = self.intern(format!("{field} ({})", a.type_name(c)));
            start = self.append(start, id);
            self.memo[c as usize] = start;
        }
        Some(start)
    }

    /// A path as strings: the root first, then one per hop (at most [`MAX_PATH_ENTRIES`]).
    fn render(&self, node: u32) -> Vec<String> {
        let mut out = Vec::new();
        let mut n = node;
        while n != NONE {
            let (p, s, repeated) = self.nodes[n as usize];
            let text = &self.strings[s as usize];
            out.push(if repeated { format!("{text} [repeated]") } else { text.clone() });
            n = p;
        }
        out.reverse();
        if out.len() > MAX_PATH_ENTRIES {
            let (head, tail) = (MAX_PATH_ENTRIES / 2, MAX_PATH_ENTRIES / 2 - 1);
            let cut = out.len() - head - tail;
            out.splice(head..out.len() - tail, [format!("... {cut} hops ...")]);
        }
        out
    }
}

/// Array indexes and map slots folded (`items[3].next` -> `items[].next`), and addresses in
/// root names (`finalizer of 0x...`).
fn fold(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'[' {
            let j = b[i + 1..].iter().position(|c| !c.is_ascii_digit()).map_or(b.len(), |p| i + 1 + p);
            if j > i + 1 && b.get(j) == Some(&b']') {
                out.push_str("[]");
                i = j + 1;
                continue;
            }
        }
        if b[i] == b'0' && b.get(i + 1) == Some(&b'x') && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let j = b[i + 2..].iter().position(|c| !c.is_ascii_hexdigit()).map_or(b.len(), |p| i + 2 + p);
            if j > i + 2 {
                out.push_str("0x...");
                i = j;
                continue;
            }
        }
        let ch = s[i..].chars().next().expect("in bounds");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_indexes_and_addresses() {
        assert_eq!(fold("[3]"), "[]");
        assert_eq!(fold("items[12].next"), "items[].next");
        assert_eq!(fold("[3].slots[5].elem"), "[].slots[].elem");
        assert_eq!(fold("main.cache.items.array"), "main.cache.items.array");
        assert_eq!(fold("finalizer of 0xc000123 main.f"), "finalizer of 0x... main.f");
        assert_eq!(fold("[x]"), "[x]");
        assert_eq!(fold("a[1"), "a[1");
        assert_eq!(fold("é[2]"), "é[]");
    }
}
