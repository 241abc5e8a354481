//! Naming by layout, for objects nothing else named: the binary's own types (those with a
//! runtime type descriptor) are indexed by pointer words; an object whose slot size and
//! pointer words exactly one of them fits is given that type's name, marked as inferred.
//!
//! A type fits a slot of `size` bytes when the allocator would have put it there: its size
//! is above the next smaller slot size present in the heap and at most `size`
//! (`runtime/sizeclasses.go` rounds each allocation up to its class; using only the classes
//! present widens the range, which can only add candidates, never drop the true type), and
//! its pointer words are the object's (`runtime/mbitmap.go` heap bits, which cover exactly
//! the type's pointer words). A slice's backing array of `n` elements has the layout of `n`
//! copies of its element and usually no descriptor of its own: an object that such an
//! array of any of the binary's types also fits is ambiguous, and so is every object
//! without pointers (a `[]byte` of any length fits it).

use std::collections::HashMap;

use crate::formats::dwarf::{Dwarf, TypeId};

/// Largest type indexed: bigger objects are large spans, named by `largeType`.
const MAX_SIZE: u64 = 32 << 10;

/// The binary's types by pointer words.
pub struct LayoutIndex {
    by_words: HashMap<Vec<u64>, Vec<(u64, TypeId)>>,
    /// Types that never name an object (generic shapes).
    unnamable: std::collections::HashSet<TypeId>,
    /// Every indexed type with pointers: (size, pointer words), as array elements.
    elems: Vec<(u64, Vec<u64>)>,
    /// Slot sizes of the heap's spans, sorted.
    slot_sizes: Vec<u64>,
}

impl LayoutIndex {
    /// Indexes the types of `dwarf` that the binary has a runtime descriptor for;
    /// `ptr_words` gives a type's pointer words as its descriptor's GC mask has them
    /// (pointers to not-in-heap types are not pointers there), `None` when unreadable.
    pub fn new(dwarf: &Dwarf, mut slot_sizes: Vec<u64>, ptr_words: &mut dyn FnMut(TypeId) -> Option<Vec<u64>>) -> LayoutIndex {
        slot_sizes.sort_unstable();
        slot_sizes.dedup();
        let mut by_words: HashMap<Vec<u64>, Vec<(u64, TypeId)>> = HashMap::new();
        let mut elems = Vec::new();
        let mut unnamable = std::collections::HashSet::new();
        let mut seen: std::collections::HashSet<&str> = Default::default();
        for (i, t) in dwarf.types.iter().enumerate() {
            // Generic shape types stay candidates (they make a layout ambiguous) but never
            // name an object: they erase the real type.
            if t.runtime_type == 0 || t.size == 0 || t.size > MAX_SIZE || t.name.is_empty() {
                continue;
            }
            // One entry per Go type: DWARF may describe a type twice.
            if !seen.insert(t.name.as_str()) {
                continue;
            }
            let Some(words) = ptr_words(i as TypeId) else { continue };
            if words.is_empty() {
                continue;
            }
            elems.push((t.size, words.clone()));
            by_words.entry(words).or_default().push((t.size, i as TypeId));
            if t.name.contains("go.shape.") {
                unnamable.insert(i as TypeId);
            }
        }
        elems.sort();
        elems.dedup();
        LayoutIndex { by_words, unnamable, elems, slot_sizes }
    }

    /// The one type that fits a slot of `size` bytes with pointers at `words`, if exactly
    /// one does.
    pub fn fit(&self, size: u64, words: &[u64]) -> Option<TypeId> {
        let below = self.slot_sizes.partition_point(|&s| s < size);
        let prev = below.checked_sub(1).map_or(0, |i| self.slot_sizes[i]);
        let mut fits = self.by_words.get(words)?.iter().filter(|&&(s, _)| s > prev && s <= size);
        let first = fits.next()?;
        if fits.next().is_some() || self.unnamable.contains(&first.1) || self.array_fits(prev, size, words) {
            return None;
        }
        Some(first.1)
    }

    /// Whether `n >= 2` copies of some indexed type fit the slot and its pointer words.
    fn array_fits(&self, prev: u64, size: u64, words: &[u64]) -> bool {
        self.elems.iter().take_while(|(es, _)| es.saturating_mul(2) <= size).any(|(es, ew)| {
            let (es, ew) = (*es, ew.as_slice());
            let (lo, hi) = ((prev / es + 1).max(2), size / es);
            (lo..=hi).any(|n| {
                words.len() as u64 == n * ew.len() as u64
                    && words.chunks(ew.len()).enumerate().all(|(i, c)| c.iter().zip(ew).all(|(&w, &e)| w == e + i as u64 * es / 8))
            })
        })
    }
}

/// How the label of an object named by layout alone (or reached only from one) starts.
pub const INFERRED_PREFIX: &str = "<inferred ";

/// The label of an object named by layout alone, or by what such an object says of it.
pub fn inferred_label(name: &str) -> String {
    format!("{INFERRED_PREFIX}{name}>")
}
