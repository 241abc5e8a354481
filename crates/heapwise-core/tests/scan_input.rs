//! The object graph built from a [`ScanInput`] equals the graph [`Graph::build`] reads through
//! the process memory, marking from the input (what the analysis runs on a second thread
//! beside naming, with no graph stored) equals marking over that graph, and
//! `Heap::span_of_slot` / `Heap::find` agree with a plain search of the span list, on real
//! cores of every Go release (scripts/make-cores.sh; a missing core skips, or fails under
//! `HEAPWISE_REQUIRE_CORES=1`).

use std::rc::Rc;

#[path = "../../../tests/common/inputs.rs"]
mod common;
use common::{inputs, prog_dir};

use heapwise_core::graph::marking::{mark, mark_from, Graph};
use heapwise_core::runtime::process::Process;
use heapwise_core::runtime::types::RtypeCache;
use heapwise_core::source::ByteSource;

fn check(version: &str, prog: &str) {
    let dir = prog_dir(version, prog);
    let (core, exe) = (dir.join("core.gcore"), dir.join("exe"));
    if !inputs(&[&core, &exe]) {
        return;
    }
    let c: Rc<dyn ByteSource> = Rc::new(std::fs::read(&core).expect("read core"));
    let e: Rc<dyn ByteSource> = Rc::new(std::fs::read(&exe).expect("read exe"));
    let process = Process::open(c, e).unwrap_or_else(|e| panic!("open {}: {e}", core.display()));
    let model = heapwise_core::frontends::core::model(process, &mut |_, _| true).expect("model");
    let rt = model.image.rt();
    let heap = &model.heap;
    let mut rtypes = RtypeCache::new(&rt);
    let seq = Graph::build(&rt, heap, &mut rtypes, &mut |_| true).expect("graph");
    let input = Graph::prepare(&rt, heap, &mut rtypes).expect("a memory-resident core gives a scan input");
    assert_eq!(input.copied_bytes(), 0, "{version}/{prog}: spans of a core in memory are borrowed, not copied");
    let par = Graph::build_from(heap, &input).expect("graph from input");
    assert!(seq.edges.len() > 1000, "{version}/{prog}: only {} edges", seq.edges.len());
    assert_eq!(seq.offsets, par.offsets, "{version}/{prog}: offsets differ");
    assert_eq!(seq.edges, par.edges, "{version}/{prog}: edges differ");

    // Marking from the scan input (no stored graph) reaches the same objects by the same
    // BFS parents as marking over the graph.
    let over_graph = mark(heap, &seq, &model.roots);
    let from_input = mark_from(heap, &input, &model.roots);
    assert!(over_graph.live.count_ones() > 100, "{version}/{prog}: {} live", over_graph.live.count_ones());
    assert_eq!(over_graph.live.iter_ones().collect::<Vec<_>>(), from_input.live.iter_ones().collect::<Vec<_>>(), "{version}/{prog}: live sets differ");
    assert_eq!(over_graph.parent, from_input.parent, "{version}/{prog}: BFS parents differ");

    // Slot -> span and address -> slot, against a search of the sorted span list, in an
    // order that defeats the last-span cache (every 7th slot, then backwards).
    let search = |slot: u32| heap.spans.partition_point(|s| s.first_slot <= slot) - 1;
    let slots: Vec<u32> = (0..heap.slot_count).step_by(7).chain((0..heap.slot_count).rev().step_by(13)).collect();
    for &slot in &slots {
        let want = &heap.spans[search(slot)];
        assert_eq!(heap.span_of_slot(slot).first_slot, want.first_slot, "{version}/{prog}: span of slot {slot}");
        let k = slot - want.first_slot;
        let addr = want.base + k as u64 * want.elemsize + want.elemsize / 2;
        let t = heap.find(addr);
        assert_eq!(t.is_some(), heap.allocated.get(slot as usize), "{version}/{prog}: find {addr:#x}");
        if let Some(t) = t {
            assert_eq!((t.slot, t.offset), (slot, want.elemsize / 2));
            assert_eq!(heap.span_of_slot(t.slot).first_slot, want.first_slot);
        }
        assert_eq!(heap.find_uncached(addr), t);
    }
    assert_eq!(heap.span_of_slot(heap.slot_count + 5).first_slot, heap.spans.last().unwrap().first_slot);
}

#[test]
fn zoo_1_22() {
    check("1.22.10", "zoo");
}
#[test]
fn zoo_1_23() {
    check("1.23.9", "zoo");
}
#[test]
fn zoo_1_24() {
    check("1.24.11", "zoo");
}
#[test]
fn zoo_1_25() {
    check("1.25.5", "zoo");
}
#[test]
fn zoo_1_26() {
    check("1.26.6", "zoo");
}
#[test]
fn zoo_1_27() {
    check("1.27.3", "zoo");
}
#[test]
fn shapes_1_26() {
    check("1.26.6", "shapes");
}
#[test]
fn deeplist_1_27() {
    check("1.27.3", "deeplist");
}
