//! GC roots other than goroutine stacks: data and bss words per the module's GC masks
//! (`runtime/symtab.go`: `moduledata.gcdatamask`, `gcbssmask`; `runtime/mgcmark.go`:
//! `markrootBlock`) named by DWARF globals, and span specials (`runtime/mheap.go`:
//! `special`, `specialfinalizer`, `specialCleanup`, `specialWeakHandle`; `mgcmark.go`:
//! `markrootSpans`): a finalized object's referents and its finalizer func are roots, the
//! object itself is not; a cleanup's func and argument are roots; a weak handle is a root.
//! Queued finalizers and cleanups (`runtime/mfinal.go`: `allfin`; `runtime/mcleanup.go`:
//! `gcCleanups`) are roots until they run. The GC's other fixed root, free goroutine
//! stacks, holds no heap pointers; timers live in `p.timers` (heap objects reached from
//! `runtime.allp`) and the netpoller's `pollDesc`s are not in the heap.
//! Go 1.22 to 1.27 (the special kinds are DWARF constants: their numbering moves in 1.24;
//! `special.offset` is a uint16 before 1.24; cleanups and weak handles are 1.24+).

use crate::formats::dwarf::TypeId;
use crate::runtime::heap::Heap;
use crate::runtime::rt::Rt;
use crate::runtime::seeds::SpecialTypeHints;
use crate::runtime::types::dwarf_ptr_words;
use crate::Error;

/// What kind of root a root is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RootKind {
    Global,
    Stack,
    Finalizer,
    /// An object with a registered finalizer: the GC scans its referents without marking
    /// it (`markrootSpans`: `scanobject` of the object, not `greyobject`), so it is not a
    /// root itself and it has no root word.
    FinalizedObject,
    Cleanup,
    WeakHandle,
    /// A heap dump's "other root" record (`runtime/heapdump.go`: `dumpotherroot`).
    Other,
}

impl RootKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RootKind::Global => "global",
            RootKind::Stack => "stack",
            RootKind::Finalizer | RootKind::FinalizedObject => "finalizer",
            RootKind::Cleanup => "cleanup",
            RootKind::WeakHandle => "weak-handle",
            RootKind::Other => "other",
        }
    }
}

/// One root pointer word.
#[derive(Debug, Clone)]
pub struct Root {
    pub kind: RootKind,
    /// `main.cache`, `main.cache.items[3]`, `goroutine 7 main.worker buf`, `finalizer of 0x...`.
    pub name: String,
    /// Address of the word holding the pointer: `None` for a [`RootKind::FinalizedObject`]
    /// and for heap-dump roots whose records give no address.
    pub slot_addr: Option<u64>,
    /// The pointer value.
    pub value: u64,
    /// DWARF type of the pointed-to value, when the root's declared type says it.
    pub pointee_type: Option<crate::formats::dwarf::TypeId>,
    /// Goroutine id for stack roots.
    pub goroutine: Option<u64>,
}

impl Root {
    /// Whether the root scans its object's referents without marking the object.
    pub fn scans_only(&self) -> bool {
        self.kind == RootKind::FinalizedObject
    }
}

/// Reads data/bss roots of `runtime.firstmoduledata`.
pub fn global_roots(rt: &Rt<'_>, heap: &Heap, out: &mut Vec<Root>) -> Result<(), Error> {
    let md = rt.global("runtime.firstmoduledata")?;
    for (start, end, mask) in [("data", "edata", "gcdatamask"), ("bss", "ebss", "gcbssmask")] {
        let lo = rt.u64_field(md, "runtime.moduledata", start)?;
        let hi = rt.u64_field(md, "runtime.moduledata", end)?;
        let mask_at = md.wrapping_add(rt.off("runtime.moduledata", mask)?);
        let n = rt.uint_field(mask_at, "runtime.bitvector", "n")? as u64;
        let bits_ptr = rt.u64_field(mask_at, "runtime.bitvector", "bytedata")?;
        let words = ((hi.saturating_sub(lo)) / 8).min(n);
        if words > 1 << 25 {
            return Err(Error::Malformed(format!("{start} segment of {words} words")));
        }
        // The module's data and bss and their GC masks are the program's own bytes.
        if !rt.mem.is_file_backed(bits_ptr, words.div_ceil(8)) {
            if rt.mem.in_core(bits_ptr, words.div_ceil(8)) == Some(false) {
                return Err(Error::Truncated(format!("the {mask} of {words} words at {bits_ptr:#x} was cut off")));
            }
            return Err(Error::Malformed(format!("the {mask} of {words} words at {bits_ptr:#x} is not in the core or executable")));
        }
        let bits = rt.mem.bytes(bits_ptr, words.div_ceil(8) as usize)?;
        let seg = rt.mem.bytes(lo, (words * 8) as usize)?;
        for w in 0..words {
            if bits[(w / 8) as usize] & (1 << (w % 8)) == 0 {
                continue;
            }
            let value = crate::bytes::u64_at(&seg, (w * 8) as usize).unwrap_or(0);
            if value == 0 || heap.find(value).is_none() {
                continue;
            }
            let addr = lo + w * 8;
            let (name, pointee_type) = name_global_word(rt, addr);
            out.push(Root { kind: RootKind::Global, name, slot_addr: Some(addr), value, pointee_type, goroutine: None });
        }
    }
    Ok(())
}

/// `main.cache.items` for a word inside a DWARF global, with the pointee type when the
/// word is a typed pointer.
pub(crate) fn name_global_word(rt: &Rt<'_>, addr: u64) -> (String, Option<crate::formats::dwarf::TypeId>) {
    match rt.dwarf.global_at(addr.wrapping_sub(rt.bias)) {
        Some(g) => {
            let off = addr.wrapping_sub(rt.bias) - g.addr;
            let path = rt.dwarf.field_path(g.ty, off);
            let name = if off == 0 && path.starts_with('+') {
                g.name.clone()
            } else if path.starts_with('[') {
                format!("{}{}", g.name, path)
            } else {
                format!("{}.{}", g.name, path)
            };
            let name = name.replace(".+0x0", "");
            (name, crate::runtime::seeds::pointee_at(rt.dwarf, g.ty, off))
        }
        None => (format!("global@{addr:#x}"), None),
    }
}

/// `finalizer main.(*T).close of 0xc000123000`: the label of a special's roots.
pub(crate) fn special_label(kind: RootKind, func: Option<&str>, obj: u64) -> String {
    match func {
        Some(f) => format!("{} {f} of {obj:#x}", kind.as_str()),
        None => format!("{} of {obj:#x}", kind.as_str()),
    }
}

/// The root of an object with a registered finalizer: its referents are roots, the
/// object itself is not.
pub(crate) fn finalized_object_root(name: String, obj: u64) -> Root {
    Root { kind: RootKind::FinalizedObject, name, slot_addr: None, value: obj, pointee_type: None, goroutine: None }
}

/// Specials read over all spans at most.
const MAX_SPECIALS: u64 = 1 << 24;

/// Reads every span's specials list.
pub fn special_roots(
    rt: &Rt<'_>,
    heap: &Heap,
    out: &mut Vec<Root>,
    hints: &mut SpecialTypeHints,
    warnings: &mut Vec<String>,
) -> Result<(), Error> {
    let o_fin_ot = rt.off_opt("runtime.specialfinalizer", "ot");
    let cleanup_fn = rt.off_opt("runtime.specialCleanup", "cleanup");
    let (o_cfn_fn, o_cfn_arg) = (rt.off_opt("runtime.cleanupFn", "fn"), rt.off_opt("runtime.cleanupFn", "arg"));
    let o_cleanup_closure = rt.off_opt("runtime.specialCleanup", "fn");
    let o_specials = rt.off("runtime.mspan", "specials")?;
    let o_next = rt.off("runtime.special", "next")?;
    let o_offset = rt.off("runtime.special", "offset")?;
    // `special.offset` is a uint16 in Go 1.22 and 1.23, a uintptr from 1.24: read at its size.
    let offset_size = rt.dwarf.ty(rt.dwarf.underlying(rt.field_type("runtime.special", "offset")?)).size;
    let o_kind = rt.off("runtime.special", "kind")?;
    let k_fin = rt.dwarf.constant("runtime._KindSpecialFinalizer");
    let k_weak = rt.dwarf.constant("runtime._KindSpecialWeakHandle");
    let k_cleanup = rt.dwarf.constant("runtime._KindSpecialCleanup");
    let field_words = |sname: &str, fields: &[&str]| -> Vec<(u64, &'static str)> {
        for f in fields {
            if let Some((off, ty)) = rt.dwarf.field(sname, f) {
                let mut v: Vec<u64> = dwarf_ptr_words(rt.dwarf, ty).into_iter().map(|w| off.wrapping_add(w.wrapping_mul(8))).collect();
                if v.is_empty() {
                    v.push(off);
                }
                return v.into_iter().map(|o| (o, "")).collect();
            }
        }
        Vec::new()
    };
    let fin_words = field_words("runtime.specialfinalizer", &["fn"]);
    let cleanup_words = field_words("runtime.specialCleanup", &["cleanup", "fn"]);
    let weak_words = field_words("runtime.specialWeakHandle", &["handle"]);
    // Specials over all spans: a corrupt list (a cycle, or one shared by many spans) must
    // not keep the walk going.
    let mut budget: u64 = MAX_SPECIALS;
    for span in &heap.spans {
        let mut sp = rt.mem.u64(span.mspan.wrapping_add(o_specials)).unwrap_or(0);
        let mut guard = 0;
        while sp != 0 && guard < 1 << 20 && budget > 0 {
            guard += 1;
            budget -= 1;
            let kind = rt.mem.u8(sp.wrapping_add(o_kind)).unwrap_or(0) as i64;
            let offset = rt.mem.uint(sp.wrapping_add(o_offset), offset_size).unwrap_or(0);
            // `special.offset` is the object's offset in its span: one past the span's
            // objects names none.
            let index = offset / span.elemsize;
            if index >= u64::from(span.nelems) {
                sp = rt.mem.u64(sp.wrapping_add(o_next)).unwrap_or(0);
                continue;
            }
            let obj = span.base + index * span.elemsize;
            let (rk, words) = if Some(kind) == k_fin {
                (RootKind::Finalizer, &fin_words)
            } else if Some(kind) == k_cleanup {
                (RootKind::Cleanup, &cleanup_words)
            } else if Some(kind) == k_weak {
                (RootKind::WeakHandle, &weak_words)
            } else {
                sp = rt.mem.u64(sp.wrapping_add(o_next)).unwrap_or(0);
                continue;
            };
            let func = match rk {
                RootKind::Finalizer => fin_words.first().and_then(|&(w, _)| funcval_name(rt, rt.mem.u64(sp.wrapping_add(w)).unwrap_or(0))),
                RootKind::Cleanup => match (cleanup_fn, o_cfn_fn, o_cleanup_closure) {
                    (Some(c), Some(f), _) => funcval_name(rt, rt.mem.u64(sp.wrapping_add(c.wrapping_add(f))).unwrap_or(0)),
                    (_, _, Some(f)) => cleanup_closure_target(rt, rt.mem.u64(sp.wrapping_add(f)).unwrap_or(0)),
                    _ => None,
                },
                _ => None,
            };
            let label = special_label(rk, func.as_deref(), obj);
            for &(w, _) in words.iter() {
                let value = rt.mem.u64(sp.wrapping_add(w)).unwrap_or(0);
                if value != 0 && heap.find(value).is_some() {
                    out.push(Root {
                        kind: rk,
                        name: label.clone(),
                        slot_addr: Some(sp.wrapping_add(w)),
                        value,
                        pointee_type: None,
                        goroutine: None,
                    });
                }
            }
            match rk {
                RootKind::Finalizer => {
                    if let Some(&(w, _)) = fin_words.first() {
                        hints.funcs.push(rt.mem.u64(sp.wrapping_add(w)).unwrap_or(0));
                    }
                    if let Some(o) = o_fin_ot {
                        hints.finalized.push((obj, rt.mem.u64(sp.wrapping_add(o)).unwrap_or(0)));
                    }
                }
                RootKind::Cleanup => match (cleanup_fn, o_cfn_fn, o_cfn_arg, o_cleanup_closure) {
                    (Some(c), Some(f), Some(a), _) => hints
                        .cleanup_boxed
                        .push((rt.mem.u64(sp.wrapping_add(c.wrapping_add(f))).unwrap_or(0), rt.mem.u64(sp.wrapping_add(c.wrapping_add(a))).unwrap_or(0))),
                    (_, _, _, Some(f)) => hints.cleanup_closures.push(rt.mem.u64(sp.wrapping_add(f)).unwrap_or(0)),
                    _ => {}
                },
                _ => {}
            }
            if rk == RootKind::Finalizer {
                // The finalized object's referents are roots; the object itself is not.
                out.push(finalized_object_root(label.clone(), obj));
            }
            sp = rt.mem.u64(sp.wrapping_add(o_next)).unwrap_or(0);
        }
        if guard >= 1 << 20 {
            warnings.push(format!("specials list of span {:#x} does not end", span.base));
        }
        if budget == 0 {
            warnings.push(format!("more than {MAX_SPECIALS} finalizers, cleanups and weak handles: the rest are not read"));
            break;
        }
    }
    queued_roots(rt, heap, out, hints, warnings);
    Ok(())
}

/// Blocks of one runtime queue read at most.
const MAX_QUEUE_BLOCKS: u64 = 1 << 16;

/// The struct a pointer-typed global points to: (its address, the struct type).
fn global_block(rt: &Rt<'_>, name: &str) -> Option<(u64, crate::formats::dwarf::TypeId)> {
    let g = rt.dwarf.globals.iter().find(|g| g.name == name)?;
    match rt.dwarf.ty(rt.dwarf.underlying(g.ty)).shape {
        crate::formats::dwarf::Shape::Pointer(Some(t)) => Some((rt.mem.u64(g.addr.wrapping_add(rt.bias)).ok()?, t)),
        _ => None,
    }
}

/// The element type and length of array field `field` of struct `ty`, with its offset.
fn array_field(rt: &Rt<'_>, ty: crate::formats::dwarf::TypeId, field: &str) -> Option<(u64, crate::formats::dwarf::TypeId, u64)> {
    let (off, at) = rt.dwarf.field_of(ty, field)?;
    match rt.dwarf.ty(rt.dwarf.underlying(at)).shape {
        crate::formats::dwarf::Shape::Array { elem, len } => Some((off, elem, len)),
        _ => None,
    }
}

/// A runtime queue of fixed-size blocks linked through `alllink`, each of which holds its
/// first `count` entries in the array field `entries` (`finblock`, `cleanupBlock`), its
/// layout read by field name.
struct BlockQueue {
    first: u64,
    o_next: u64,
    o_count: u64,
    o_entries: u64,
    entry: TypeId,
    entry_size: u64,
    len: u64,
}

impl BlockQueue {
    fn new(rt: &Rt<'_>, first: u64, block: TypeId, count: &str, entries: &str) -> Option<BlockQueue> {
        let (o_next, _) = rt.dwarf.field_of(block, "alllink")?;
        let (o_count, _) = rt.dwarf.field_of(block, count)?;
        let (o_entries, entry, len) = array_field(rt, block, entries)?;
        Some(BlockQueue { first, o_next, o_count, o_entries, entry, entry_size: rt.dwarf.ty(entry).size, len })
    }

    /// Calls `f` with the address of every queued entry, block by block; false when the
    /// list has more than [`MAX_QUEUE_BLOCKS`] blocks (the rest are not read).
    fn each_entry(&self, rt: &Rt<'_>, mut f: impl FnMut(u64)) -> bool {
        let mut b = self.first;
        let mut blocks = 0;
        while b != 0 && blocks < MAX_QUEUE_BLOCKS {
            blocks += 1;
            let n = (rt.mem.u32(b.wrapping_add(self.o_count)).unwrap_or(0) as u64).min(self.len);
            for i in 0..n {
                f(b.wrapping_add(self.o_entries).wrapping_add(i.wrapping_mul(self.entry_size)));
            }
            b = rt.mem.u64(b.wrapping_add(self.o_next)).unwrap_or(0);
        }
        b == 0
    }
}

/// Finalizers and cleanups the sweeper queued but that have not run yet: their function
/// and argument are roots until they do, and the object a queued finalizer will receive is
/// live (it is marked itself, unlike an object whose finalizer special still waits).
/// `runtime/mfinal.go`: `allfin` lists every `finblock`, whose first `cnt` `finalizer`s
/// are scanned (`mgcmark.go`: `fixedRootFinalizers`); Go 1.24 queues cleanups there too,
/// with only `fn` set. `runtime/mcleanup.go` (Go 1.25+): `gcCleanups.all` lists every
/// `cleanupBlock`, whose first `n` entries are scanned (`fixedRootCleanups`): `*funcval`
/// (Go 1.25) or `cleanupFn{call, fn, arg}` (Go 1.26+).
pub fn queued_roots(rt: &Rt<'_>, heap: &Heap, out: &mut Vec<Root>, hints: &mut SpecialTypeHints, warnings: &mut Vec<String>) {
    let push = |out: &mut Vec<Root>, kind: RootKind, name: &str, slot_addr: u64| {
        let value = rt.mem.u64(slot_addr).unwrap_or(0);
        if value != 0 && heap.find(value).is_some() {
            out.push(Root { kind, name: name.to_string(), slot_addr: Some(slot_addr), value, pointee_type: None, goroutine: None });
        }
    };
    // A queued cleanup held as the AddCleanup closure (Go 1.24's finblock, Go 1.25).
    let queued_closure = |out: &mut Vec<Root>, hints: &mut SpecialTypeHints, slot: u64| {
        let func = rt.mem.u64(slot).unwrap_or(0);
        let label = match cleanup_closure_target(rt, func) {
            Some(t) => format!("cleanup {t} (queued)"),
            None => "cleanup (queued)".to_string(),
        };
        push(out, RootKind::Cleanup, &label, slot);
        hints.cleanup_closures.push(func);
    };
    // The finalizer queue.
    if let Some((first, block_ty)) = global_block(rt, "runtime.allfin") {
        let fields = (|| {
            let q = BlockQueue::new(rt, first, block_ty, "cnt", "fin")?;
            let (o_fn, _) = rt.dwarf.field_of(q.entry, "fn")?;
            let (o_arg, _) = rt.dwarf.field_of(q.entry, "arg")?;
            let o_ot = rt.dwarf.field_of(q.entry, "ot").map(|f| f.0);
            Some((q, o_fn, o_arg, o_ot))
        })();
        match fields {
            Some((q, o_fn, o_arg, o_ot)) => {
                let whole = q.each_entry(rt, |f| {
                    let func = rt.mem.u64(f.wrapping_add(o_fn)).unwrap_or(0);
                    let arg = rt.mem.u64(f.wrapping_add(o_arg)).unwrap_or(0);
                    let ot = o_ot.map(|o| rt.mem.u64(f.wrapping_add(o)).unwrap_or(0)).unwrap_or(0);
                    if arg == 0 && ot == 0 {
                        queued_closure(out, hints, f.wrapping_add(o_fn));
                        return;
                    }
                    let label = match funcval_name(rt, func) {
                        Some(name) => format!("finalizer {name} of {arg:#x} (queued)"),
                        None => format!("finalizer of {arg:#x} (queued)"),
                    };
                    push(out, RootKind::Finalizer, &label, f.wrapping_add(o_fn));
                    push(out, RootKind::Finalizer, &label, f.wrapping_add(o_arg));
                    hints.funcs.push(func);
                    if ot != 0 {
                        hints.finalized.push((arg, ot));
                    }
                });
                if !whole {
                    warnings.push(format!("the finalizer queue has more than {MAX_QUEUE_BLOCKS} blocks: the rest are not read"));
                }
            }
            None => warnings.push("runtime.allfin: unknown finblock layout, queued finalizers are not roots".to_string()),
        }
    }
    // The cleanup queue (Go 1.25+).
    let Some((o_all, all_ty)) = rt.dwarf.field("runtime.cleanupQueue", "all") else { return };
    let Some(block_ty) = rt.dwarf.type_by_name("runtime.cleanupBlock") else { return };
    let Ok(queue) = rt.global("runtime.gcCleanups") else { return };
    let fields = (|| {
        // `all` is an atomic.UnsafePointer: its one pointer word.
        let w = dwarf_ptr_words(rt.dwarf, all_ty).first().copied()?;
        let first = rt.mem.u64(queue.wrapping_add(o_all + w * 8)).unwrap_or(0);
        let q = BlockQueue::new(rt, first, block_ty, "n", "cleanups")?;
        let fn_arg = match rt.dwarf.field_of(q.entry, "fn") {
            Some((o_fn, _)) => Some((o_fn, rt.dwarf.field_of(q.entry, "arg")?.0)),
            None => None,
        };
        // Every pointer word of an entry is a root: Go 1.26's `cleanupFn` also holds `call`,
        // the closure that calls `fn(arg)`.
        let ptr_offsets: Vec<u64> = dwarf_ptr_words(rt.dwarf, q.entry).into_iter().map(|w| w * 8).collect();
        Some((q, fn_arg, ptr_offsets))
    })();
    let Some((q, fn_arg, ptr_offsets)) = fields else {
        warnings.push("runtime.gcCleanups: unknown cleanupBlock layout, queued cleanups are not roots".to_string());
        return;
    };
    let whole = q.each_entry(rt, |c| {
        hints.values.push((c, q.entry));
        match fn_arg {
            Some((o_fn, o_arg)) => {
                let func = rt.mem.u64(c.wrapping_add(o_fn)).unwrap_or(0);
                let label = match funcval_name(rt, func) {
                    Some(name) => format!("cleanup {name} (queued)"),
                    None => "cleanup (queued)".to_string(),
                };
                push(out, RootKind::Cleanup, &label, c.wrapping_add(o_fn));
                push(out, RootKind::Cleanup, &label, c.wrapping_add(o_arg));
                for &o in ptr_offsets.iter().filter(|&&o| o != o_fn && o != o_arg) {
                    push(out, RootKind::Cleanup, &label, c.wrapping_add(o));
                }
                hints.cleanup_boxed.push((func, rt.mem.u64(c.wrapping_add(o_arg)).unwrap_or(0)));
                hints.funcs.push(func);
            }
            None => queued_closure(out, hints, c),
        }
    });
    if !whole {
        warnings.push(format!("the cleanup queue has more than {MAX_QUEUE_BLOCKS} blocks: the rest are not read"));
    }
}

/// Name of the function a `funcval` calls.
pub fn funcval_name(rt: &Rt<'_>, fv: u64) -> Option<String> {
    if fv == 0 {
        return None;
    }
    let pc = rt.mem.u64(fv).ok()?;
    rt.dwarf.function_at(pc.wrapping_sub(rt.bias)).map(|f| f.name.clone())
}

/// The user's cleanup function inside Go 1.24-1.25's `AddCleanup` wrapper closure, whose
/// captured `cleanup` (or `&cleanup`) variable holds it.
pub fn cleanup_closure_target(rt: &Rt<'_>, closure: u64) -> Option<String> {
    let pc = rt.mem.u64(closure).ok()?;
    let f = rt.dwarf.function_at(pc.wrapping_sub(rt.bias))?;
    let var = |n: &str| f.closure_vars.iter().find(|v| v.0 == n).map(|v| v.2);
    let user = match (var("cleanup"), var("&cleanup")) {
        (Some(c), _) => rt.mem.u64(closure.wrapping_add(c)).ok()?,
        (None, Some(c)) => rt.mem.u64(rt.mem.u64(closure.wrapping_add(c)).ok()?).ok()?,
        _ => return None,
    };
    funcval_name(rt, user)
}
