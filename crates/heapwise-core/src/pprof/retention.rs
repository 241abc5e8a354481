//! The retention profile (`heapwise pprof --retention`; golang/go#68167 calls it that): the
//! live heap as a pprof profile whose "stacks" say who keeps each object alive, so that
//! `go tool pprof` draws retained memory as a flame graph.
//!
//! Each live object is charged to the stack of its chain from the roots, outermost first:
//! the root frame, then per hop the field of the holder it is reached through (when the
//! holder points at it directly and its type is known: `main.Cache.blocks`, array indices
//! written `[]`) and the type of the object (`main.Record`), the object's own type the
//! leaf. The chain is the object's dominator chain (the default), or with `first_path` the
//! path the collector's breadth-first marking reached it by (goref's convention: each
//! object charged to the first path that reached it). Objects with the same stack are one
//! sample. A run of hops with the same field and type (a linked list) is one pair of
//! frames; chains deeper than [`MAX_HOPS`] pairs end in a `[deeper]` frame holding the rest.
//!
//! Root frames: a root is named by its kind and name with array indices written `[]`
//! (`global main.cache.items[]`, `stack goroutine 7 main.worker buf`); the roots of one name
//! are one frame. An object directly under the roots in the dominator tree is under the
//! frame of the one root name all its paths start from, or under `[several roots]` when
//! paths from several start there (computed as the dominators of the graph those objects
//! form with one node per root name: every root's target is such an object, and a path
//! enters the subtree of one only through it).
//!
//! Values: `inuse_objects`, `inuse_space` (slot sizes) and `retained_space`: a sample's
//! `retained_space` is the retained bytes of its objects as a set (those not folded into
//! their holder's sample); so the cumulative `inuse_space` of a frame is the retained bytes
//! of the objects it stands for (the flame graph), and the flat `retained_space` of a frame
//! is what freeing those objects would free. Under a root frame, the cumulative
//! `inuse_space` is what that root name alone keeps alive.

use std::collections::HashMap;

use crate::analysis::Analysis;
use crate::fasthash::FastMap;
use crate::graph::dominators::{dominators, Csr, NONE};
use crate::graph::marking::{NO_PARENT, ROOT_FLAG};
use crate::graph::retained::SUPER_ROOT;
use crate::runtime::heap::SlotId;
use crate::runtime::roots::Root;

use super::proto::{Function, Line, Location, Profile, Sample, ValueType};

/// Most (field, type) hop pairs a stack shows before its `[deeper]` frame.
pub const MAX_HOPS: u32 = 64;

/// How each object's chain is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chain {
    /// The dominator chain: a frame's cumulative bytes are what it alone keeps alive.
    Dominators,
    /// The first path marking found (goref's convention).
    FirstPath,
}

/// Frame kinds, written as the `Function.filename` of each frame (`go tool pprof
/// -granularity=filefunctions` shows them).
const ROOT: &str = "root";
const TYPE: &str = "type";
const FIELD: &str = "field";

/// One stack-trie node: a (field, type) hop under its parent node.
struct Node {
    parent: u32,
    field: u32,
    ty: u32,
    depth: u32,
    objects: i64,
    bytes: i64,
    retained: i64,
}

struct Frames {
    strings: Vec<String>,
    string_index: HashMap<String, i64>,
    /// (name, kind) -> frame id.
    index: HashMap<(String, &'static str), u32>,
    functions: Vec<Function>,
}

impl Frames {
    fn string(&mut self, s: &str) -> i64 {
        if let Some(&i) = self.string_index.get(s) {
            return i;
        }
        let i = self.strings.len() as i64;
        self.strings.push(s.to_string());
        self.string_index.insert(s.to_string(), i);
        i
    }

    fn frame(&mut self, name: &str, kind: &'static str) -> u32 {
        if let Some(&f) = self.index.get(&(name.to_string(), kind)) {
            return f;
        }
        let id = self.functions.len() as u32;
        let n = self.string(name);
        let k = self.string(kind);
        self.functions.push(Function { id: id as u64 + 1, name: n, system_name: n, filename: k, start_line: 0 });
        self.index.insert((name.to_string(), kind), id);
        id
    }
}

/// `[12]` -> `[]`: one frame for every element of an array.
fn without_indices(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_index = false;
    for c in s.chars() {
        if in_index {
            if c == ']' {
                in_index = false;
                out.push(']');
            } else if !c.is_ascii_digit() {
                in_index = false;
                out.push(c);
            }
            continue;
        }
        out.push(c);
        if c == '[' {
            in_index = true;
        }
    }
    out
}

/// The frame a root is charged to: its kind and name (the name alone when it starts with
/// its kind), array indices written `[]`.
pub fn root_frame_name(r: &Root) -> String {
    let kind = r.kind.as_str();
    let name = without_indices(&r.name);
    if name.starts_with(kind) {
        name
    } else {
        format!("{kind} {name}")
    }
}

impl Analysis {
    /// Bytes of the live heap that only the roots of one root frame
    /// ([`root_frame_name`]) keep alive: the live bytes less those still marked when the
    /// collector's marking starts from every other root (a marking, not the dominator tree:
    /// what a retention profile's root frame must add up to). Slot sizes, as everywhere.
    pub fn freed_without_root_frame(&self, frame: &str) -> u64 {
        let others: Vec<Root> = self.roots.iter().filter(|r| root_frame_name(r) != frame).cloned().collect();
        let live = crate::graph::retained::mark_without(&self.heap, self.graph(), &others, None, None);
        self.reach.live.iter_ones().filter(|&s| !live.get(s)).map(|s| self.slot_size(s as SlotId)).sum()
    }

    /// The retention profile of the live heap (module docs).
    pub fn retention_profile(&self, chain: Chain, time_nanos: i64) -> Profile {
        let n = self.heap.slot_count as usize;
        let mut frames =
            Frames { strings: vec![String::new()], string_index: HashMap::from([(String::new(), 0)]), index: HashMap::new(), functions: Vec::new() };
        let sample_type: Vec<ValueType> = [("inuse_objects", "count"), ("inuse_space", "bytes"), ("retained_space", "bytes")]
            .iter()
            .map(|(t, u)| ValueType { r#type: frames.string(t), unit: frames.string(u) })
            .collect();

        // Root names: one group per name, indices written [].
        let mut group_index: HashMap<String, u32> = HashMap::new();
        let mut group_names: Vec<String> = Vec::new();
        let root_group: Vec<u32> = self
            .roots
            .iter()
            .map(|r| {
                let name = root_frame_name(r);
                *group_index.entry(name.clone()).or_insert_with(|| {
                    group_names.push(name);
                    (group_names.len() - 1) as u32
                })
            })
            .collect();

        // The holder of each live object (a slot, or NONE with its root group in `top_group`),
        // an order with every holder before what it holds, and each object's retained bytes
        // under this chain.
        let mut top_group: FastMap<u32, u32> = FastMap::default();
        let several = group_names.len() as u32;
        let (holder, order, retained): (Vec<u32>, Vec<u32>, Vec<u64>) = match chain {
            Chain::Dominators => {
                let d = self.dom();
                let holder: Vec<u32> = d.idom.iter().map(|&p| if p == SUPER_ROOT { NONE } else { p }).collect();
                for (v, g) in self.dominator_root_groups(&root_group, group_names.len()) {
                    top_group.insert(v, g);
                }
                (holder, d.preorder().to_vec(), d.retained.clone())
            }
            Chain::FirstPath => {
                let parent = &self.reach.parent;
                let mut holder = vec![NONE; n];
                for s in self.reach.live.iter_ones() {
                    let p = parent[s];
                    if p == NO_PARENT {
                        top_group.insert(s as u32, several);
                    } else if p & ROOT_FLAG != 0 {
                        let g = root_group.get((p & !ROOT_FLAG) as usize).copied().unwrap_or(several);
                        top_group.insert(s as u32, g);
                    } else {
                        holder[s] = p;
                    }
                }
                let order = forest_order(&holder, &top_group, n);
                let mut retained = vec![0u64; n];
                for &v in order.iter().rev() {
                    retained[v as usize] += self.slot_size(v);
                    let h = holder[v as usize];
                    if h != NONE {
                        retained[h as usize] += retained[v as usize];
                    }
                }
                (holder, order, retained)
            }
        };

        // The field of each object's holder it is reached through, when the holder points
        // at it directly and has a known type: one pass over the pointer words of holders.
        let (labels, label_names) = self.labels();
        let mut via = vec![NONE; n];
        let mut field_cache: FastMap<(u32, u64), u32> = FastMap::default();
        let mut has_child = crate::bitset::BitSet::new(n);
        for &v in &order {
            let h = holder[v as usize];
            if h != NONE {
                has_child.insert(h as usize);
            }
        }
        let rt = self.rt();
        let mut rtypes = self.rtypes.borrow_mut();
        for h in has_child.iter_ones() {
            let h = h as SlotId;
            let Some(entry) = self.typing.of(h) else { continue };
            let Some(d) = entry.dwarf else { continue };
            let es = rt.dwarf.ty(d).size.max(1);
            let count = entry.count;
            let type_index = self.typing.slot_type[h as usize];
            let span = self.heap.span_of_slot(h);
            let base = self.heap.slot_addr(h);
            let data_off = self.data_offset(h);
            let mut offs = Vec::new();
            self.heap.for_each_pointer_word(&rt, &mut rtypes, span, h - span.first_slot, None, |o| offs.push(o));
            for o in offs {
                let Ok(v) = rt.mem.u64(base.wrapping_add(o)) else { continue };
                let Some(t) = (v != 0).then(|| self.heap.find(v)).flatten() else { continue };
                let t = t.slot;
                if holder[t as usize] != h || via[t as usize] != NONE || o < data_off {
                    continue;
                }
                let off = o - data_off;
                let key = (type_index, if count > 1 { off % es } else { off });
                let f = match field_cache.get(&key) {
                    Some(&f) => f,
                    None => {
                        let holder_type = &label_names[labels[h as usize] as usize];
                        let path = without_indices(&self.field_name(h, o));
                        let sep = if path.starts_with('[') { "" } else { "." };
                        let f = frames.frame(&format!("{holder_type}{sep}{path}"), FIELD);
                        field_cache.insert(key, f);
                        f
                    }
                };
                via[t as usize] = f;
            }
        }
        drop(rtypes);

        // The stack trie: one node per root name, then one per (field, type) hop.
        let mut nodes: Vec<Node> = Vec::new();
        let mut group_node = vec![NONE; group_names.len() + 1];
        let mut child: FastMap<(u32, u32, u32), u32> = FastMap::default();
        let mut type_frame: Vec<u32> = vec![NONE; label_names.len()];
        let deeper = frames.frame("[deeper]", TYPE);
        let mut node_of = vec![NONE; n];
        for &v in &order {
            let vi = v as usize;
            let h = holder[vi];
            let parent_node = if h == NONE {
                let g = top_group.get(&v).copied().unwrap_or(several) as usize;
                if group_node[g] == NONE {
                    let name = group_names.get(g).map(String::as_str).unwrap_or("[several roots]");
                    let f = frames.frame(name, ROOT);
                    nodes.push(Node { parent: NONE, field: NONE, ty: f, depth: 0, objects: 0, bytes: 0, retained: 0 });
                    group_node[g] = (nodes.len() - 1) as u32;
                }
                group_node[g]
            } else {
                node_of[h as usize]
            };
            if parent_node == NONE {
                continue;
            }
            let l = labels[vi] as usize;
            let ty = match type_frame.get(l) {
                Some(&f) if f != NONE => f,
                Some(_) => {
                    let f = frames.frame(&label_names[l], TYPE);
                    type_frame[l] = f;
                    f
                }
                None => frames.frame("?", TYPE),
            };
            let p = &nodes[parent_node as usize];
            let (field, ty) = if p.depth >= MAX_HOPS || p.ty == deeper { (NONE, deeper) } else { (via[vi], ty) };
            let node = if p.parent != NONE && p.field == field && p.ty == ty {
                parent_node
            } else {
                let depth = p.depth + 1;
                *child.entry((parent_node, field, ty)).or_insert_with(|| {
                    nodes.push(Node { parent: parent_node, field, ty, depth, objects: 0, bytes: 0, retained: 0 });
                    (nodes.len() - 1) as u32
                })
            };
            node_of[vi] = node;
            let x = &mut nodes[node as usize];
            x.objects += 1;
            x.bytes += self.slot_size(v) as i64;
            if node != parent_node {
                x.retained += retained[vi] as i64;
            }
        }

        // Samples, leaf first as pprof orders locations.
        let mut sample = Vec::new();
        let mut stack = Vec::new();
        for x in nodes.iter().filter(|x| x.objects > 0) {
            stack.clear();
            let mut cur = x;
            loop {
                stack.push(cur.ty as u64 + 1);
                if cur.field != NONE {
                    stack.push(cur.field as u64 + 1);
                }
                if cur.parent == NONE {
                    break;
                }
                cur = &nodes[cur.parent as usize];
            }
            sample.push(Sample { location_id: stack.clone(), value: vec![x.objects, x.bytes, x.retained], label: Vec::new() });
        }
        let location = frames
            .functions
            .iter()
            .map(|f| Location { id: f.id, mapping_id: 0, address: 0, line: vec![Line { function_id: f.id, line: 0, column: 0 }], is_folded: false })
            .collect();
        let period_type = ValueType { r#type: frames.string("space"), unit: frames.string("bytes") };
        let default_sample_type = frames.string("inuse_space");
        let comment = vec![frames.string(match chain {
            Chain::Dominators => "heapwise retention profile: stacks are dominator chains from the roots",
            Chain::FirstPath => "heapwise retention profile: stacks are the first paths marking found from the roots",
        })];
        Profile {
            sample_type,
            sample,
            location,
            function: frames.functions,
            string_table: frames.strings,
            time_nanos,
            period_type: Some(period_type),
            period: 1,
            comment,
            default_sample_type,
            ..Default::default()
        }
    }

    /// The root name each object directly under the roots in the dominator tree is
    /// dominated by (module docs), as (slot, group); objects of several root names are left
    /// out.
    fn dominator_root_groups(&self, root_group: &[u32], ngroups: usize) -> Vec<(u32, u32)> {
        let d = self.dom();
        let graph = self.graph();
        // Nodes: top-level objects 0..t, then one per root name, then the super-root.
        let mut top_index: FastMap<u32, u32> = FastMap::default();
        let mut tops: Vec<u32> = Vec::new();
        for &v in d.preorder() {
            if d.idom[v as usize] == SUPER_ROOT {
                top_index.insert(v, tops.len() as u32);
                tops.push(v);
            }
        }
        let t = tops.len();
        let (gbase, sroot) = (t as u32, (t + ngroups) as u32);
        // The top-level object above every live object.
        let mut top = vec![NONE; self.heap.slot_count as usize];
        for &v in d.preorder() {
            top[v as usize] = match d.idom[v as usize] {
                SUPER_ROOT => top_index[&v],
                p if p != NONE => top[p as usize],
                _ => NONE,
            };
        }
        let mut edges: Vec<Vec<u32>> = vec![Vec::new(); t + ngroups + 1];
        for (r, &g) in self.roots.iter().zip(root_group) {
            let Some(target) = self.heap.find(r.value) else { continue };
            let targets: &[u32] = if r.scans_only() { graph.out(target.slot) } else { std::slice::from_ref(&target.slot) };
            for &x in targets {
                if let Some(&i) = top_index.get(&x) {
                    edges[(gbase + g) as usize].push(i);
                }
            }
        }
        for &v in d.preorder() {
            let from = top[v as usize];
            for &w in graph.out(v) {
                if d.idom.get(w as usize) == Some(&SUPER_ROOT) {
                    let to = top_index[&w];
                    if to != from {
                        edges[from as usize].push(to);
                    }
                }
            }
        }
        edges[sroot as usize] = (gbase..sroot).collect();
        let mut offsets = Vec::with_capacity(edges.len() + 1);
        let mut flat = Vec::new();
        offsets.push(0u32);
        for mut e in edges {
            e.sort_unstable();
            e.dedup();
            flat.extend_from_slice(&e);
            offsets.push(flat.len() as u32);
        }
        let tree = dominators(&Csr { offsets: &offsets, edges: &flat }, sroot);
        tops.iter()
            .enumerate()
            .filter_map(|(i, &v)| {
                let p = tree.idom[i];
                (p != NONE && p >= gbase && p < sroot).then(|| (v, p - gbase))
            })
            .collect()
    }
}

/// Every node of the forest `holder` (each node's holder, `NONE` at a tree's top, the tops
/// being `tops`' keys) in an order where each comes after its holder: an iterative walk.
fn forest_order(holder: &[u32], tops: &FastMap<u32, u32>, n: usize) -> Vec<u32> {
    let mut off = vec![0u32; n + 1];
    for &h in holder {
        if h != NONE {
            off[h as usize + 1] += 1;
        }
    }
    for i in 0..n {
        off[i + 1] += off[i];
    }
    let mut fill = off.clone();
    let mut kids = vec![0u32; off[n] as usize];
    for (v, &h) in holder.iter().enumerate() {
        if h != NONE {
            kids[fill[h as usize] as usize] = v as u32;
            fill[h as usize] += 1;
        }
    }
    let mut starts: Vec<u32> = tops.keys().copied().collect();
    starts.sort_unstable();
    let mut order = Vec::with_capacity(n);
    let mut stack = starts;
    stack.reverse();
    while let Some(v) = stack.pop() {
        order.push(v);
        stack.extend(kids[off[v as usize] as usize..off[v as usize + 1] as usize].iter().rev());
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_become_empty_brackets() {
        assert_eq!(without_indices("main.cache.items[3]"), "main.cache.items[]");
        assert_eq!(without_indices("[12].next"), "[].next");
        assert_eq!(without_indices("m[a]"), "m[a]");
        assert_eq!(without_indices("[]*T"), "[]*T");
    }
}
