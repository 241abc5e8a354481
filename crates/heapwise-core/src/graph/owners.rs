//! Who keeps an object alive, for cores and heap dumps alike: the roots it is reachable
//! from (anchors), the objects that refer to it, transitively (owners), and the owners
//! graph as an SVG picture. All walks go over the reverse graph, iteratively.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Write as _;

use serde::Serialize;

use crate::analysis::Analysis;
use crate::runtime::heap::SlotId;
use crate::runtime::roots::Root;
use crate::Error;

/// Objects a reverse walk visits at most (anchors and owners).
pub const MAX_WALK: usize = 20_000_000;
/// Nodes an owners answer (and picture) carries at most.
pub const MAX_OWNER_NODES: usize = 2000;

/// One root an object is reachable from.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Anchor {
    pub kind: String,
    pub name: String,
    /// The object the root points to (for a finalizer, the finalized object whose
    /// referents are roots).
    pub target: u64,
    pub target_type: String,
    /// Pointer hops from the root's object to the one asked about (0: the root points at it).
    pub distance: u32,
}

/// The roots an object is reachable from.
#[derive(Debug, Clone, Serialize)]
pub struct Anchors {
    pub addr: u64,
    pub type_name: String,
    pub anchors: Vec<Anchor>,
    /// Objects from which the object is reachable (itself included).
    pub owners_visited: u64,
    /// The reverse walk stopped at [`MAX_WALK`] objects.
    pub truncated: bool,
}

/// One object of an owners graph.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OwnerNode {
    pub addr: u64,
    pub type_name: String,
    pub size: u64,
    /// Referrer hops from the object asked about (0 for it).
    pub depth: u32,
    pub live: bool,
    /// The object has a registered finalizer.
    pub finalizer: bool,
    /// Roots that point at this object: "kind name".
    pub roots: Vec<String>,
    /// Whether a root reaches this object other than through the object asked about.
    pub anchored: bool,
}

/// `from` refers to `to` through `field`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OwnerEdge {
    pub from: u64,
    pub to: u64,
    pub field: String,
}

/// The referrers of an object, transitively.
#[derive(Debug, Clone, Serialize)]
pub struct Owners {
    pub addr: u64,
    pub nodes: Vec<OwnerNode>,
    pub edges: Vec<OwnerEdge>,
    /// More referrers exist past the depth or node limit.
    pub truncated: bool,
}

impl Analysis {
    fn root_target(&self, r: &Root) -> Option<SlotId> {
        self.heap.find(r.value).map(|t| t.slot)
    }

    /// Whether root `r` scans `slot`'s referents without marking it (finalizers).
    fn scan_only(r: &Root) -> bool {
        r.scans_only()
    }

    /// Every root the object at `addr` is reachable from, nearest first.
    pub fn anchors(&self, addr: u64) -> Result<Anchors, Error> {
        let (s, base) = self.slot_at(addr)?;
        let rev = self.reverse();
        // Reverse BFS: dist[x] = hops from x to s.
        let mut dist: HashMap<SlotId, u32> = HashMap::new();
        dist.insert(s, 0);
        let mut queue = VecDeque::from([s]);
        let mut truncated = false;
        while let Some(x) = queue.pop_front() {
            let d = dist[&x];
            for &p in rev.out(x) {
                if dist.len() >= MAX_WALK {
                    truncated = true;
                    break;
                }
                if let std::collections::hash_map::Entry::Vacant(e) = dist.entry(p) {
                    e.insert(d + 1);
                    queue.push_back(p);
                }
            }
            if truncated {
                break;
            }
        }
        let mut out: Vec<Anchor> = Vec::new();
        // Keyed by the kind as shown: a finalizer and its finalized object are one kind there.
        let mut seen: HashSet<(&'static str, String, u64)> = HashSet::new();
        for r in &self.roots {
            let Some(t) = self.root_target(r) else { continue };
            let d = if Self::scan_only(r) {
                // The finalized object's referents are roots: the nearest one that reaches s.
                self.graph().out(t).iter().filter_map(|c| dist.get(c)).min().copied()
            } else {
                dist.get(&t).copied()
            };
            let Some(d) = d else { continue };
            if seen.insert((r.kind.as_str(), r.name.clone(), t as u64)) {
                out.push(Anchor {
                    kind: r.kind.as_str().to_string(),
                    name: r.name.clone(),
                    target: self.object_addr(t),
                    target_type: self.type_name(t),
                    distance: d,
                });
            }
        }
        out.sort_by(|a, b| a.distance.cmp(&b.distance).then(a.kind.cmp(&b.kind)).then(a.name.cmp(&b.name)));
        Ok(Anchors { addr: base, type_name: self.type_name(s), anchors: out, owners_visited: dist.len() as u64, truncated })
    }

    /// Slots carrying a registered finalizer.
    fn finalized_slots(&self) -> HashSet<SlotId> {
        self.roots.iter().filter(|r| Self::scan_only(r)).filter_map(|r| self.root_target(r)).collect()
    }

    /// The referrers of the object at `addr`, `depth` levels up (`None`: unbounded), at
    /// most [`MAX_OWNER_NODES`] objects, breadth first.
    pub fn owners(&self, addr: u64, depth: Option<u32>) -> Result<Owners, Error> {
        let (s, base) = self.slot_at(addr)?;
        let rev = self.reverse();
        let mut order: Vec<SlotId> = vec![s];
        let mut level: HashMap<SlotId, u32> = HashMap::from([(s, 0)]);
        let mut edges: Vec<(SlotId, SlotId)> = Vec::new();
        let mut truncated = false;
        let mut head = 0;
        while head < order.len() {
            let x = order[head];
            head += 1;
            let d = level[&x];
            let mut preds: Vec<SlotId> = rev.out(x).to_vec();
            preds.sort_unstable();
            preds.dedup();
            if depth.is_some_and(|m| d >= m) {
                truncated |= !preds.is_empty();
                continue;
            }
            for p in preds {
                if !level.contains_key(&p) {
                    if order.len() >= MAX_OWNER_NODES {
                        truncated = true;
                        continue;
                    }
                    level.insert(p, d + 1);
                    order.push(p);
                }
                edges.push((p, x));
            }
        }
        // Anchored: reached from a root without passing through s.
        let in_set: HashSet<SlotId> = order.iter().copied().collect();
        let fin = self.finalized_slots();
        let mut roots_of: HashMap<SlotId, Vec<String>> = HashMap::new();
        let mut anchored: HashSet<SlotId> = HashSet::new();
        let mut work: Vec<SlotId> = Vec::new();
        for r in &self.roots {
            let Some(t) = self.root_target(r) else { continue };
            let targets: Vec<SlotId> =
                if Self::scan_only(r) { self.graph().out(t).iter().copied().filter(|c| in_set.contains(c)).collect() } else { vec![t] };
            for t in targets {
                if !in_set.contains(&t) {
                    continue;
                }
                let label = format!("{} {}", r.kind.as_str(), r.name);
                let v = roots_of.entry(t).or_default();
                if !v.contains(&label) && v.len() < 8 {
                    v.push(label);
                }
                if t != s && anchored.insert(t) {
                    work.push(t);
                }
            }
        }
        // Nodes past the walk's limits may lead to roots: count them as anchored.
        for &x in &order {
            if x != s && self.is_live(x) && rev.out(x).iter().any(|p| !in_set.contains(p)) && anchored.insert(x) {
                work.push(x);
            }
        }
        let mut succ: HashMap<SlotId, Vec<SlotId>> = HashMap::new();
        for &(p, x) in &edges {
            succ.entry(p).or_default().push(x);
        }
        while let Some(x) = work.pop() {
            for &c in succ.get(&x).map(|v| v.as_slice()).unwrap_or(&[]) {
                if c != s && anchored.insert(c) {
                    work.push(c);
                }
            }
        }
        let nodes = order
            .iter()
            .map(|&x| OwnerNode {
                addr: self.object_addr(x),
                type_name: self.type_name(x),
                size: self.slot_size(x),
                depth: level[&x],
                live: self.is_live(x),
                finalizer: fin.contains(&x),
                roots: roots_of.remove(&x).unwrap_or_default(),
                anchored: x == s || anchored.contains(&x),
            })
            .collect();
        let mut field_cache: HashMap<SlotId, Vec<(u64, u64, Option<SlotId>)>> = HashMap::new();
        let edges = edges
            .into_iter()
            .map(|(p, x)| {
                let ptrs = field_cache.entry(p).or_insert_with(|| self.pointers_of(p));
                let field = ptrs.iter().find(|q| q.2 == Some(x)).map(|q| self.field_name(p, q.0)).unwrap_or_default();
                OwnerEdge { from: self.object_addr(p), to: self.object_addr(x), field }
            })
            .collect();
        Ok(Owners { addr: base, nodes, edges, truncated })
    }

    /// The owners graph of the object at `addr` as a standalone SVG document: layered by
    /// referrer depth (the object at the bottom, roots above their objects), objects with
    /// a finalizer highlighted, and owners no root reaches except through the object
    /// itself (cycles through it, garbage referrers) pruned.
    pub fn owners_svg(&self, addr: u64, depth: Option<u32>) -> Result<String, Error> {
        let o = self.owners(addr, depth)?;
        Ok(render_svg(&o))
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Simple layered drawing: one row per depth, deepest owners at the top.
pub fn render_svg(o: &Owners) -> String {
    let kept: Vec<&OwnerNode> = o.nodes.iter().filter(|n| n.anchored).collect();
    let pruned = o.nodes.len() - kept.len();
    let keep: HashSet<u64> = kept.iter().map(|n| n.addr).collect();
    let max_depth = kept.iter().map(|n| n.depth).max().unwrap_or(0);
    let mut rows: Vec<Vec<&OwnerNode>> = vec![Vec::new(); max_depth as usize + 1];
    for n in &kept {
        rows[n.depth as usize].push(n);
    }
    const W: i64 = 230;
    const H: i64 = 46;
    const GAP_X: i64 = 24;
    const ROW: i64 = 110;
    const ROOT_H: i64 = 18;
    let widest = rows.iter().map(|r| r.len()).max().unwrap_or(1).max(1) as i64;
    let width = (widest * (W + GAP_X) + GAP_X).max(760);
    let top = 60;
    let height = top + (max_depth as i64 + 1) * ROW + 40;
    let mut pos: HashMap<u64, (i64, i64)> = HashMap::new();
    for (d, row) in rows.iter().enumerate() {
        let y = top + (max_depth as i64 - d as i64) * ROW + 30;
        let total = row.len() as i64 * (W + GAP_X) - GAP_X;
        let x0 = (width - total) / 2;
        for (i, n) in row.iter().enumerate() {
            pos.insert(n.addr, (x0 + i as i64 * (W + GAP_X), y));
        }
    }
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="monospace" font-size="11">"#
    );
    let _ = writeln!(svg, r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>"##);
    let _ = writeln!(svg, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let title = kept.first().map(|n| format!("owners of {:#x} {}", n.addr, n.type_name)).unwrap_or_default();
    let _ = writeln!(svg, r##"<text x="12" y="20" font-size="13" font-weight="bold">{}</text>"##, esc(&title));
    let note = format!(
        "{} objects shown, {} pruned (reach no root except through the object){}; red: has a finalizer",
        kept.len(),
        pruned,
        if o.truncated { ", more owners past the limits" } else { "" }
    );
    let _ = writeln!(svg, r##"<text x="12" y="38" fill="#555">{}</text>"##, esc(&note));
    for e in &o.edges {
        if !keep.contains(&e.from) || !keep.contains(&e.to) {
            continue;
        }
        let (Some(&(x1, y1)), Some(&(x2, y2))) = (pos.get(&e.from), pos.get(&e.to)) else { continue };
        let (sx, sy) = (x1 + W / 2, y1 + H);
        let (tx, ty) = (x2 + W / 2, y2);
        let path = if ty > sy {
            format!("M{sx},{sy} C{sx},{} {tx},{} {tx},{ty}", sy + 30, ty - 30)
        } else {
            // Back edge (a cycle among owners): around the side.
            let side = x1.max(x2) + W + 12;
            format!("M{},{} C{side},{} {side},{} {},{}", x1 + W, y1 + H / 2, y1 + H / 2, y2 + H / 2, x2 + W, y2 + H / 2)
        };
        let _ = writeln!(svg, r##"<path d="{path}" fill="none" stroke="#777" stroke-width="1.2" marker-end="url(#arrow)"><title>{}</title></path>"##, esc(&e.field));
        if !e.field.is_empty() && ty > sy {
            let _ = writeln!(svg, r##"<text x="{}" y="{}" fill="#336" font-size="10" text-anchor="middle">{}</text>"##, (sx + tx) / 2, (sy + ty) / 2, esc(&clip(&e.field, 28)));
        }
    }
    for n in &kept {
        let (x, y) = pos[&n.addr];
        let (fill, stroke) = if n.depth == 0 {
            ("#fff3c4", if n.finalizer { "#c00000" } else { "#b08800" })
        } else if n.finalizer {
            ("#ffd6d6", "#c00000")
        } else if !n.live {
            ("#eeeeee", "#888888")
        } else {
            ("#e3efff", "#2b5fad")
        };
        let sw = if n.finalizer { 2.5 } else { 1.2 };
        let _ = writeln!(svg, r#"<g><title>{:#x} {} ({} bytes){}</title>"#, n.addr, esc(&n.type_name), n.size, if n.finalizer { ", has a finalizer" } else { "" });
        let _ = writeln!(svg, r#"<rect x="{x}" y="{y}" width="{W}" height="{H}" rx="5" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>"#);
        let _ = writeln!(svg, r#"<text x="{}" y="{}" font-weight="bold">{}</text>"#, x + 6, y + 17, esc(&clip(&n.type_name, 32)));
        let _ = writeln!(svg, r##"<text x="{}" y="{}" fill="#444">{:#x} · {} B{}</text>"##, x + 6, y + 34, n.addr, n.size, if n.finalizer { " · finalizer" } else { "" });
        for (i, r) in n.roots.iter().take(3).enumerate() {
            let ry = y - (i as i64 + 1) * (ROOT_H + 2);
            let _ = writeln!(svg, r##"<rect x="{}" y="{ry}" width="{}" height="{ROOT_H}" rx="9" fill="#e6f6e6" stroke="#2e7d32"/>"##, x + 10, W - 20);
            let _ = writeln!(svg, r##"<text x="{}" y="{}" fill="#1b5e20" font-size="10">{}</text>"##, x + 18, ry + 13, esc(&clip(r, 34)));
        }
        svg.push_str("</g>\n");
    }
    svg.push_str("</svg>\n");
    svg
}
