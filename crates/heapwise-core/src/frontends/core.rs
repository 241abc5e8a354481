//! The core front end: an ELF core and its executable ([`Process`]) into the [`Model`]:
//! the heap from `mheap_.allspans`, roots from the data and bss GC masks, goroutine stacks
//! and span specials, and the DWARF globals and stack variables as naming seeds.

use crate::analysis::Progress;
use crate::model::{Image, Model};
use crate::runtime::heap::{Heap, PtrLayout, SlotId};
use crate::runtime::process::Process;
use crate::runtime::roots::{global_roots, special_roots, Root};
use crate::runtime::rt::Rt;
use crate::runtime::seeds::{SpecialTypeHints, TypeSeed};
use crate::Error;

/// Reads what the analysis needs out of a loaded process.
pub fn model(process: Process, progress: Progress<'_>) -> Result<Model, Error> {
    let mut warnings = process.warnings.clone();
    let rt = process.rt();
    let heap = Heap::read(&rt, process.arch == crate::formats::elfcore::Arch::Amd64, &mut |f| progress("reading spans", f))?;
    warnings.extend(heap.warnings.iter().cloned());
    if !progress("finding roots", 0.0) {
        return Err(Error::Cancelled);
    }
    let mut roots = Vec::new();
    if let Err(e) = global_roots(&rt, &heap, &mut roots) {
        warnings.push(format!("global roots incomplete: {e}"));
    }
    let (goroutines, stack_roots, stack_seeds, pieced, gw) = crate::runtime::goroutines::collect(&process, &heap);
    warnings.extend(gw);
    roots.extend(stack_roots);
    let mut hints = SpecialTypeHints {
        pieced,
        rtyped_values: sent_values(&rt, &goroutines),
        typed_objects: goroutine_objects(&rt, &goroutines),
        ..Default::default()
    };
    if let Err(e) = special_roots(&rt, &heap, &mut roots, &mut hints, &mut warnings) {
        warnings.push(format!("finalizer and cleanup roots incomplete: {e}"));
    }
    let mut seeds: Vec<TypeSeed> = rt.dwarf.globals.iter().map(|g| (g.addr.wrapping_add(rt.bias), g.ty)).collect();
    seeds.extend(stack_seeds);
    let heap_marked = runtime_heap_marked(&rt, &heap, &roots);
    let Process { core, exe, mem, bias, arch, go_version, .. } = process;
    let image = Image {
        mem,
        dwarf: exe.dwarf,
        bias,
        arch,
        go_version,
        threads: core.threads.len() as u32,
        mapped_bytes: core.segments.iter().map(|s| s.memsz).fold(0, u64::saturating_add),
        pid: core.pid,
        build_id: exe.build_id.clone(),
        cpu_ns: Some(core.threads.iter().map(|t| t.cpu_ns).fold(0, u64::saturating_add)),
    };
    Ok(Model {
        dump_alloc_stacks: None,
        image,
        heap,
        roots,
        goroutines,
        seeds,
        hints,
        warnings,
        runtime_heap_marked: heap_marked,
        runtime_heap_alloc: None,
    })
}

/// What goroutines blocked in a channel send or select offer: each sudog's `elem` holds a
/// value of its channel's element type (`runtime/chan.go`: `chansend` parks with
/// `mysg.elem = ep`; `hchan.elemtype`). A receiver's `elem` is where a value will go, not
/// a value, and a select's sudogs do not say which cases send: both are left out.
fn sent_values(rt: &Rt<'_>, goroutines: &[crate::runtime::stacks::Goroutine]) -> Vec<(u64, u64)> {
    let Some(elemtype) = rt.off_opt("runtime.hchan", "elemtype") else { return Vec::new() };
    let mut out = Vec::new();
    for g in goroutines.iter().filter(|g| g.wait_reason == "chan send") {
        for s in &g.meta.waiting {
            if s.chan == 0 || s.elem == 0 {
                continue;
            }
            if let Ok(t) = rt.mem.u64(s.chan.wrapping_add(elemtype)) {
                out.push((s.elem, t));
            }
        }
    }
    out
}

/// Objects only untyped `g` fields point at: the channels blocked goroutines wait on
/// (`sudog.c`), as `runtime.hchan`, and their pprof label maps (`g.labels`, an
/// `unsafe.Pointer`), as `runtime/pprof.labelMap`.
fn goroutine_objects(rt: &Rt<'_>, goroutines: &[crate::runtime::stacks::Goroutine]) -> Vec<(u64, crate::formats::dwarf::TypeId)> {
    let mut out = Vec::new();
    if let Some(hchan) = rt.dwarf.type_by_name("runtime.hchan") {
        let mut chans: Vec<u64> = goroutines.iter().flat_map(|g| g.meta.waiting.iter().map(|s| s.chan)).filter(|&c| c != 0).collect();
        chans.sort_unstable();
        chans.dedup();
        out.extend(chans.into_iter().map(|c| (c, hchan)));
    }
    if let Some(labels) = rt.dwarf.type_by_name("runtime/pprof.labelMap") {
        out.extend(goroutines.iter().map(|g| g.meta.labels).filter(|&l| l != 0).map(|l| (l, labels)));
    }
    out
}

/// The bytes the last completed GC marked, from the runtime's own count:
/// `gcController.heapMarked` (runtime/mgcpacer.go, Go 1.22-1.27), read by field name through
/// DWARF, less what that count holds twice: `markrootSpans` (runtime/mgcmark.go) scans every
/// object with a finalizer in a span with pointers without marking it, and `scanobject` adds
/// its size to `bytesMarked`; the object is counted again when it is marked. `None` if the
/// core lacks the field.
fn runtime_heap_marked(rt: &Rt<'_>, heap: &Heap, roots: &[Root]) -> Option<u64> {
    let controller = rt.global("runtime.gcController").ok()?;
    let marked = rt.uint_field(controller, "runtime.gcControllerState", "heapMarked").ok()?;
    let mut finalized: Vec<SlotId> = roots
        .iter()
        .filter(|r| r.scans_only())
        .filter_map(|r| heap.find(r.value))
        .map(|t| t.slot)
        .filter(|&s| heap.span_of_slot(s).layout != PtrLayout::NoScan)
        .collect();
    finalized.sort_unstable();
    finalized.dedup();
    let rescanned: u64 = finalized.iter().map(|&s| heap.span_of_slot(s).elemsize).sum();
    marked.checked_sub(rescanned)
}
