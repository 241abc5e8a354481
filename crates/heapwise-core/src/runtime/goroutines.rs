//! Goroutines as GC roots and typing seeds. Unwinding lives in [`crate::runtime::stacks`] (pclntab,
//! stack maps, DWARF locals); this module turns live stack slots into [`Root`]s and typed
//! stack variables into seeds for naming.

use std::collections::HashSet;

use crate::formats::dwarf::TypeId;
use crate::runtime::heap::Heap;
use crate::formats::pclntab::Pclntab;
use crate::runtime::process::Process;
use crate::runtime::roots::{Root, RootKind};
use crate::runtime::seeds::TypeSeed;
use crate::runtime::stacks::{read_goroutines, Goroutine, PiecedVar, StackSlot};

/// What [`collect`] reads: goroutines, stack roots, typed stack variables as (address,
/// type) seeds for naming, variables on the stack only in part (seeds too), warnings.
pub type Collected = (Vec<Goroutine>, Vec<Root>, Vec<(u64, TypeId)>, Vec<PiecedVar>, Vec<String>);

/// Reads every goroutine.
pub fn collect(process: &Process, heap: &Heap) -> Collected {
    let rt = process.rt();
    let pcln = match Pclntab::new(&rt) {
        Ok(p) => p,
        Err(e) => return (Vec::new(), Vec::new(), Vec::new(), Vec::new(), vec![format!("goroutine stacks not scanned: {e}")]),
    };
    let (goroutines, warnings) = read_goroutines(process, &pcln);
    let mut stack = StackSeeds::default();
    for g in &goroutines {
        stack.add(g, heap);
    }
    (goroutines, stack.roots, stack.seeds, stack.pieced, warnings)
}

/// What the live slots of goroutines' frames give: roots, and typed stack variables as
/// seeds for naming (whole, or in pieces), each variable once. Cores and heap dumps both
/// go through it once their frames' slots are named by [`crate::runtime::stacks::SlotNamer`].
#[derive(Default)]
pub(crate) struct StackSeeds {
    pub roots: Vec<Root>,
    pub seeds: Vec<TypeSeed>,
    pub pieced: Vec<PiecedVar>,
    seen_vars: HashSet<TypeSeed>,
}

impl StackSeeds {
    /// Adds the roots and seeds of goroutine `g`.
    pub(crate) fn add(&mut self, g: &Goroutine, heap: &Heap) {
        let live_objects = live_stack_objects(g);
        for f in &g.frames {
            // Locals of the functions inlined here live in this frame: name them too.
            let function = if f.inlined.is_empty() {
                f.function.clone()
            } else {
                let inl: Vec<&str> = f.inlined.iter().rev().map(|i| i.function.as_str()).collect();
                format!("{} [inlined {}]", f.function, inl.join(", "))
            };
            for s in f.slots.iter().filter(|s| s.stack_object.is_none_or(|o| live_objects.contains(&o.0))) {
                if s.value == 0 || heap.find(s.value).is_none() {
                    continue;
                }
                self.roots.push(stack_root(g.id, format!("goroutine {} {} {}", g.id, function, s.name), s));
                if let (Some(ty), false) = (s.ty, s.conservative) {
                    let var = s.addr.wrapping_sub(s.var_offset);
                    if self.seen_vars.insert((var, ty)) {
                        self.seeds.push((var, ty));
                    }
                }
            }
            // A variable in pieces seeds naming when a live pointer word is one of its parts.
            for v in &f.pieced {
                // (Precise slots are sorted by address.)
                let live = |a: u64| {
                    f.slots.binary_search_by_key(&a, |s| s.addr).is_ok_and(|i| {
                        let s = &f.slots[i];
                        !s.conservative && s.stack_object.is_none() && heap.find(s.value).is_some()
                    })
                };
                let holds_live = v.parts.iter().any(|&(_, size, at)| (0..size / 8).any(|i| live(at + 8 * i)));
                if holds_live && self.seen_vars.insert((v.parts[0].2, v.ty)) {
                    self.pieced.push(v.clone());
                }
            }
        }
    }
}

/// The root of a live stack slot of goroutine `goroutine`.
fn stack_root(goroutine: u64, name: String, slot: &StackSlot) -> Root {
    Root { kind: RootKind::Stack, name, slot_addr: Some(slot.addr), value: slot.value, pointee_type: None, goroutine: Some(goroutine) }
}

/// The stack objects the GC would scan (`runtime.scanstack`): those a live slot points
/// into, then those a scanned stack object points into, to a fixpoint.
fn live_stack_objects(g: &Goroutine) -> HashSet<u64> {
    let slots: Vec<_> = g.frames.iter().flat_map(|f| f.slots.iter()).collect();
    let mut objects: Vec<(u64, u64)> = slots.iter().filter_map(|s| s.stack_object).collect();
    objects.sort_unstable();
    objects.dedup();
    let find = |p: u64| -> Option<(u64, u64)> {
        let i = objects.partition_point(|o| o.0 <= p).checked_sub(1)?;
        let o = objects[i];
        (p < o.0.saturating_add(o.1)).then_some(o)
    };
    // Slot values by the stack object holding them: one lookup per object made live.
    let mut words_of: std::collections::HashMap<u64, Vec<u64>> = std::collections::HashMap::new();
    for s in slots.iter() {
        if let Some(o) = s.stack_object {
            words_of.entry(o.0).or_default().push(s.value);
        }
    }
    let mut live = HashSet::new();
    let mut work: Vec<u64> = slots.iter().filter(|s| s.stack_object.is_none()).map(|s| s.value).collect();
    while let Some(p) = work.pop() {
        if p < g.stack_lo || p >= g.stack_hi {
            continue;
        }
        let Some(o) = find(p) else { continue };
        if live.insert(o.0) {
            if let Some(w) = words_of.get(&o.0) {
                work.extend(w.iter().copied());
            }
        }
    }
    live
}
