//! Goroutines and their stacks: every live `g` in `runtime.allgs`, unwound with the
//! pclntab the way the runtime's unwinder does (`runtime/traceback.go`), and each frame's
//! live pointer slots found the way the garbage collector finds them
//! (`runtime.scanframeworker`: locals and args stack maps, stack objects, conservative
//! scanning of frames interrupted by async preemption). Slots are named after DWARF locals.

use std::collections::HashMap;

use crate::formats::dwarf::TypeId;
use crate::formats::elfcore::Arch;
use crate::formats::pclntab::{FuncInfo, InlineFrame, Pclntab, ARGS_SIZE_UNKNOWN, FUNC_FLAG_SPWRITE, FUNC_FLAG_TOP_FRAME};
use crate::runtime::process::Process;
use crate::runtime::rt::Rt;
use crate::Error;

/// Frames past this many on one stack are not read.
pub const MAX_FRAMES: usize = 100_000;
/// Frames past this many over all goroutines are not read.
pub const MAX_TOTAL_FRAMES: u64 = 20_000_000;
/// Warnings of the stack walk kept at most; the rest are counted.
const MAX_WARNINGS: usize = 1000;
const PTR: u64 = 8;
/// A frame larger than this is not believed.
const MAX_FRAME_BYTES: u64 = 64 << 20;
/// Stack objects per frame past this are not believed.
const MAX_STACK_OBJECTS: u64 = 1 << 16;

/// One goroutine.
#[derive(Debug, Clone)]
pub struct Goroutine {
    pub id: u64,
    /// Address of the runtime `g`.
    pub g_addr: u64,
    /// `"waiting"`, `"runnable"`, `"running"`, `"syscall"`, ... (the `_G*` constant's name,
    /// without the `_Gscan` bit).
    pub status: String,
    /// The runtime's description of `g.waitreason` (`"chan receive"`), empty if none.
    pub wait_reason: String,
    /// Innermost first.
    pub frames: Vec<Frame>,
    pub stack_lo: u64,
    pub stack_hi: u64,
    /// Where it came from and what it waits on.
    pub meta: GoroutineMeta,
}

/// The `runtime.g` fields that say where a goroutine came from and what it is blocked on
/// (`runtime/runtime2.go`, Go 1.22-1.27; fields a release or a heap dump lacks stay zero).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoroutineMeta {
    /// `g.gopc`: the pc of the `go` statement that created it (a return address).
    pub gopc: u64,
    /// The function, file and line of that `go` statement (the innermost inlined function
    /// there, as `runtime.printcreatedby` names it).
    pub created_by: Option<InlineFrame>,
    /// `g.parentGoid`: the goroutine that ran the `go` statement.
    pub parent_goid: Option<u64>,
    /// `g.waitsince`: `nanotime()` when it blocked, as the runtime records it (at the first
    /// collection that finds it blocked); 0 when not recorded.
    pub wait_since: i64,
    /// `g.labels`: pprof labels (a `runtime/pprof` label map), 0 when none.
    pub labels: u64,
    /// Those labels, as (key, value) pairs in the map's order.
    pub label_pairs: Vec<(String, String)>,
    /// The `sudog`s of `g.waiting`, in `waitlink` order: what a blocked goroutine waits on.
    pub waiting: Vec<Sudog>,
}

/// One `runtime.sudog` of a blocked goroutine's `g.waiting` list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sudog {
    /// Address of the sudog.
    pub addr: u64,
    /// `sudog.c`: the channel (channel operations and selects), 0 otherwise.
    pub chan: u64,
    /// `sudog.elem`: the data element of a channel operation (often on the stack), or the
    /// semaphore word of a sync primitive (`sync.Mutex.sema`, ...).
    pub elem: u64,
}

/// Sudogs read from one `g.waiting` list at most (a select waits on one per case).
const MAX_SUDOGS: usize = 1 << 16;

/// One physical stack frame.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The physical function.
    pub function: String,
    /// Position in the physical function: the call (or, for inlined code, the call site of
    /// the outermost inlined call).
    pub file: String,
    pub line: u32,
    /// The frame's pc (a return address except in the innermost frame).
    pub pc: u64,
    pub sp: u64,
    pub slots: Vec<StackSlot>,
    /// Functions inlined into this frame at `pc`, innermost first (the physical function
    /// itself is not repeated here). Go's own tracebacks print these as separate frames.
    pub inlined: Vec<InlineFrame>,
    /// Variables split by a composite location at `pc` (precisely scanned frames only).
    pub pieced: Vec<PiecedVar>,
}

/// A variable of which only parts are on the stack at a pc (`DW_OP_piece`: a slice whose
/// data pointer is spilled while its length and capacity stay in registers): its type and
/// the parts in memory, as (offset in the variable, size, stack address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PiecedVar {
    pub ty: TypeId,
    pub parts: Vec<(u64, u64, u64)>,
}

/// A stack word that may hold a pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSlot {
    /// Address of the stack word.
    pub addr: u64,
    /// The value it holds.
    pub value: u64,
    /// DWARF local name and field path (`buf`, `it.next`, `s.array`), or `local+0x18`
    /// (offset from the frame's sp) / `arg+0x8` (offset from its argument pointer).
    pub name: String,
    /// DWARF type of the variable the word belongs to, if known.
    pub ty: Option<TypeId>,
    /// Byte offset of the word inside that variable.
    pub var_offset: u64,
    /// Found by conservative scanning: the word may not be a pointer at all.
    pub conservative: bool,
    /// Set for words of an address-taken stack object: (object address, size). The GC
    /// scans such an object only if a live slot (or a live stack object) points into it.
    pub stack_object: Option<(u64, u64)>,
}

/// Field offsets of the runtime structures the walk reads.
struct Layout {
    g_stack_lo: u64,
    g_stack_hi: u64,
    g_sched_sp: u64,
    g_sched_pc: u64,
    g_sched_lr: Option<u64>,
    g_syscallsp: u64,
    g_syscallpc: u64,
    g_status: u64,
    g_goid: u64,
    g_waitreason: Option<(u64, u64)>,
    g_m: u64,
    m_procid: Option<u64>,
    m_vdso_sp: Option<u64>,
    m_vdso_pc: Option<u64>,
    stackmap_n: u64,
    stackmap_nbit: u64,
    stackmap_bytedata: u64,
    sor_size: u64,
    sor_off: u64,
    sor_ptr_bytes: u64,
    sor_obj_size: u64,
    sor_gcdataoff: u64,
    /// Optional `runtime.g` fields of [`GoroutineMeta`] and the `runtime.sudog` words read.
    g_gopc: Option<u64>,
    g_parent_goid: Option<u64>,
    g_waitsince: Option<u64>,
    g_labels: Option<u64>,
    g_waiting: Option<u64>,
    sudog_c: Option<u64>,
    sudog_elem: Option<u64>,
    sudog_waitlink: Option<u64>,
}

/// Offset of the pointer held by field `field` of `struct_name`: the field itself, or,
/// where the field is a `runtime.maybeTraceablePtr` (Go 1.26+: `sudog.elem`, and
/// `sudog.c` through the embedded one of `maybeTraceableChan`), its `vu` word, which the
/// runtime keeps as the source of truth while `vp` may be cleared.
fn pointer_word(rt: &Rt<'_>, struct_name: &str, field: &str) -> Option<u64> {
    let (off, ty) = rt.dwarf.field(struct_name, field)?;
    match rt.dwarf.ty(rt.dwarf.underlying(ty)).shape {
        crate::formats::dwarf::Shape::Struct(_) => rt.dwarf.field_of(ty, "vu").map(|(o, _)| off + o),
        _ => Some(off),
    }
}

impl Layout {
    fn read(rt: &Rt<'_>) -> Result<Layout, Error> {
        const G: &str = "runtime.g";
        let stack = rt.off(G, "stack")?;
        let sched = rt.off(G, "sched")?;
        let status = rt.off(G, "atomicstatus")?;
        // atomic.Uint32 wraps its value in a struct.
        let status_inner = rt
            .dwarf
            .field(G, "atomicstatus")
            .map(|(_, t)| rt.dwarf.ty(t).name.clone())
            .and_then(|n| rt.off_opt(&n, "value"))
            .unwrap_or(0);
        let waitreason = rt.dwarf.field(G, "waitreason").map(|(o, t)| (o, rt.dwarf.ty(rt.dwarf.underlying(t)).size.max(1)));
        let sm = |f: &str, d: u64| rt.off_opt("runtime.stackmap", f).unwrap_or(d);
        let so = |f: &str, d: u64| rt.off_opt("runtime.stackObjectRecord", f).unwrap_or(d);
        Ok(Layout {
            g_stack_lo: stack + rt.off_opt("runtime.stack", "lo").unwrap_or(0),
            g_stack_hi: stack + rt.off_opt("runtime.stack", "hi").unwrap_or(8),
            g_sched_sp: sched + rt.off("runtime.gobuf", "sp")?,
            g_sched_pc: sched + rt.off("runtime.gobuf", "pc")?,
            g_sched_lr: rt.off_opt("runtime.gobuf", "lr").map(|o| sched + o),
            g_syscallsp: rt.off(G, "syscallsp")?,
            g_syscallpc: rt.off(G, "syscallpc")?,
            g_status: status + status_inner,
            g_goid: rt.off(G, "goid")?,
            g_waitreason: waitreason,
            g_m: rt.off(G, "m")?,
            m_procid: rt.off_opt("runtime.m", "procid"),
            m_vdso_sp: rt.off_opt("runtime.m", "vdsoSP"),
            m_vdso_pc: rt.off_opt("runtime.m", "vdsoPC"),
            stackmap_n: sm("n", 0),
            stackmap_nbit: sm("nbit", 4),
            stackmap_bytedata: sm("bytedata", 8),
            sor_size: rt.dwarf.size_of("runtime.stackObjectRecord").filter(|&s| s >= 16).unwrap_or(16),
            sor_off: so("off", 0),
            sor_ptr_bytes: so("ptrBytes", 8),
            sor_obj_size: so("size", 4),
            sor_gcdataoff: so("gcdataoff", 12),
            g_gopc: rt.off_opt(G, "gopc"),
            g_parent_goid: rt.off_opt(G, "parentGoid"),
            g_waitsince: rt.off_opt(G, "waitsince"),
            g_labels: rt.off_opt(G, "labels"),
            g_waiting: rt.off_opt(G, "waiting"),
            sudog_c: pointer_word(rt, "runtime.sudog", "c"),
            sudog_elem: pointer_word(rt, "runtime.sudog", "elem"),
            sudog_waitlink: rt.off_opt("runtime.sudog", "waitlink"),
        })
    }
}

/// The goroutine statuses, by value (`runtime._G*` constants, with the long-standing
/// values as fallback).
const STATUSES: &[(&str, Option<u64>)] = &[
    ("idle", Some(0)),
    ("runnable", Some(1)),
    ("running", Some(2)),
    ("syscall", Some(3)),
    ("waiting", Some(4)),
    ("dead", Some(6)),
    ("copystack", Some(8)),
    ("preempted", Some(9)),
    ("leaked", None),
    ("deadextra", None),
];

/// The name of a status value (the `_Gscan` bit cleared), `status N` for one not known.
pub(crate) fn status_name(names: &HashMap<u64, String>, st: u64) -> String {
    names.get(&st).cloned().unwrap_or_else(|| format!("status {st}"))
}

/// Names of the `_G*` status values, by value, and the `_Gscan` bit: from the DWARF's
/// constants, else the long-standing values (a heap dump read without its executable).
pub(crate) fn status_names(rt: &Rt<'_>) -> (HashMap<u64, String>, u64) {
    let mut names: HashMap<u64, String> = HashMap::new();
    for &(name, fallback) in STATUSES {
        if let Some(v) = rt.dwarf.constant(&format!("runtime._G{name}")).map(|v| v as u64).or(fallback) {
            names.entry(v).or_insert_with(|| name.to_string());
        }
    }
    let gscan = rt.constant(&["runtime._Gscan"]).unwrap_or(0x1000) as u64;
    (names, gscan)
}

/// Per-architecture unwinding rules.
#[derive(Clone, Copy)]
struct ArchRules {
    uses_lr: bool,
    /// `sys.MinFrameSize`: words reserved at the bottom of each frame (the saved LR).
    min_frame: u64,
    /// Smallest locals area that has a stack map (`getStackMap`'s `minsize`).
    min_locals: u64,
}

/// `sys.MinFrameSize` of `arch`: a frame's argument pointer is its CFA plus this.
pub(crate) fn min_frame_size(arch: Arch) -> u64 {
    ArchRules::of(arch).min_frame
}

impl ArchRules {
    fn of(arch: Arch) -> ArchRules {
        match arch {
            Arch::Amd64 => ArchRules { uses_lr: false, min_frame: 0, min_locals: 0 },
            Arch::Arm64 => ArchRules { uses_lr: true, min_frame: 8, min_locals: 16 },
        }
    }
}

struct Walker<'a> {
    rt: Rt<'a>,
    p: &'a Process,
    pcln: &'a Pclntab,
    lay: Layout,
    arch: ArchRules,
    /// Frames still allowed over all goroutines.
    frame_budget: std::cell::Cell<u64>,
}

/// Where the walk of one goroutine starts.
struct Start {
    pc: u64,
    sp: u64,
    lr: u64,
    /// From thread registers: the innermost pc is the exact instruction, not a return address.
    from_regs: bool,
    is_syscall: bool,
}

/// Reads every goroutine that is not dead, with its frames and pointer slots.
/// Problems with single goroutines become warnings; a missing runtime structure ends the
/// read with a warning and no goroutines.
pub fn read_goroutines(p: &Process, pcln: &Pclntab) -> (Vec<Goroutine>, Vec<String>) {
    let mut warnings = Vec::new();
    let rt = p.rt();
    let lay = match Layout::read(&rt) {
        Ok(l) => l,
        Err(e) => {
            warnings.push(format!("cannot read goroutines: {e}"));
            return (Vec::new(), warnings);
        }
    };
    let w = Walker { rt: p.rt(), p, pcln, lay, arch: ArchRules::of(p.arch), frame_budget: std::cell::Cell::new(MAX_TOTAL_FRAMES) };
    let gs = match w.all_gs() {
        Ok(gs) => gs,
        Err(e) => {
            warnings.push(format!("cannot read runtime.allgs: {e}"));
            return (Vec::new(), warnings);
        }
    };
    let (names, gscan) = status_names(&rt);
    let dead: Vec<u64> = ["runtime._Gdead", "runtime._Gdeadextra"].iter().filter_map(|n| rt.dwarf.constant(n)).map(|v| v as u64).collect();
    let dead = if dead.is_empty() { vec![6] } else { dead };
    let running = rt.constant(&["runtime._Grunning"]).unwrap_or(2) as u64;
    let reasons = wait_reason_strings(&rt);
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut suppressed = 0usize;
    for g in gs {
        if g == 0 || !seen.insert(g) {
            continue;
        }
        if warnings.len() > MAX_WARNINGS {
            suppressed += warnings.len() - MAX_WARNINGS;
            warnings.truncate(MAX_WARNINGS);
        }
        let raw = match rt.mem.u32(g.wrapping_add(w.lay.g_status)) {
            Ok(s) => s as u64,
            Err(e) => {
                warnings.push(format!("goroutine at {g:#x}: cannot read its status: {e}"));
                continue;
            }
        };
        let st = raw & !gscan;
        if dead.contains(&st) {
            continue;
        }
        match w.goroutine(g, st, st == running, &names, &reasons, &mut warnings) {
            Ok(gr) => out.push(gr),
            Err(e) => warnings.push(format!("goroutine at {g:#x}: {e}")),
        }
    }
    if warnings.len() > MAX_WARNINGS {
        suppressed += warnings.len() - MAX_WARNINGS;
        warnings.truncate(MAX_WARNINGS);
    }
    if suppressed > 0 {
        warnings.push(format!("{suppressed} more warnings about goroutine stacks not shown"));
    }
    if w.frame_budget.get() == 0 {
        warnings.push(format!("more than {MAX_TOTAL_FRAMES} stack frames: the rest are not read"));
    }
    attach_semaphore_waits(&rt, &mut out);
    (out, warnings)
}

/// Sudogs read from `runtime.semtable` at most.
const MAX_SEMA_SUDOGS: usize = 1 << 20;

/// Before Go 1.26 `semacquire1` parks without setting `g.waiting` (`runtime/sema.go`); the
/// sudog of a goroutine blocked on a mutex or wait group is only in the treap of semaphore
/// addresses, `runtime.semtable[i].root.treap` (children `prev`/`next`, sudogs waiting on the
/// same address chained by `waitlink`). Gives each goroutine whose `waiting` is empty the
/// sudog found there with its `g`, so that it has the same `elem` (the semaphore word) as
/// on Go 1.26+. `sync.Cond` waiters (`notifyList`) get theirs from [`cond_waits`].
fn attach_semaphore_waits(rt: &Rt<'_>, goroutines: &mut [Goroutine]) {
    if goroutines.iter().all(|g| !g.meta.waiting.is_empty()) {
        return;
    }
    let Some(table) = rt.dwarf.globals.iter().find(|g| g.name == "runtime.semtable") else { return };
    let crate::formats::dwarf::Shape::Array { elem, len } = rt.dwarf.ty(rt.dwarf.underlying(table.ty)).shape else { return };
    let stride = rt.dwarf.ty(elem).size;
    let (Some((root_off, _)), Some(treap), Some(prev), Some(next), Some(waitlink), Some(sg_g), Some(sg_elem)) = (
        rt.dwarf.field_of(elem, "root"),
        rt.off_opt("runtime.semaRoot", "treap"),
        rt.off_opt("runtime.sudog", "prev"),
        rt.off_opt("runtime.sudog", "next"),
        rt.off_opt("runtime.sudog", "waitlink"),
        rt.off_opt("runtime.sudog", "g"),
        pointer_word(rt, "runtime.sudog", "elem"),
    ) else {
        return;
    };
    let word = |a: u64| rt.mem.u64(a).unwrap_or(0);
    let base = table.addr.wrapping_add(rt.bias);
    let mut by_g: HashMap<u64, Sudog> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    let mut work: Vec<u64> = (0..len.min(4096)).map(|i| word(base.wrapping_add(i * stride + root_off + treap))).collect();
    while let Some(t) = work.pop() {
        if t == 0 || seen.len() >= MAX_SEMA_SUDOGS || !seen.insert(t) {
            continue;
        }
        work.push(word(t.wrapping_add(prev)));
        work.push(word(t.wrapping_add(next)));
        work.push(word(t.wrapping_add(waitlink)));
        let g = word(t.wrapping_add(sg_g));
        by_g.entry(g).or_insert(Sudog { addr: t, chan: 0, elem: word(t.wrapping_add(sg_elem)) });
    }
    for g in goroutines.iter_mut().filter(|g| g.meta.waiting.is_empty()) {
        if let Some(s) = by_g.get(&g.g_addr) {
            g.meta.waiting.push(*s);
        }
    }
}

/// Steps of one walk through a `notifyList`'s sudogs at most.
const MAX_NOTIFY_WALK: usize = 1 << 16;

/// Before Go 1.26 `notifyListWait` (`runtime/sema.go`, Go 1.24-1.25) parks a `sync.Cond`
/// waiter without setting `g.waiting` or `sudog.elem`: its sudog (a heap object, `new(sudog)`
/// in `acquireSudog`, whose `g` points at the waiter) is only on the list of the Cond's
/// `notifyList` (`head`/`tail`, chained by `next`). Finds, for each such waiter, its sudog
/// among the objects pointing at its `g` in `reverse` (the reverse object graph), walks back
/// through `next` to the object holding the `notifyList` whose list from `head` to `tail`
/// holds it, and gives the waiter that sudog with `elem` set to the `notifyList`, as Go 1.26+
/// records it. Fields by name through DWARF; stripped binaries' layout tables carry no
/// `sudog` or `notifyList` fields, so there (and for a Cond outside the heap: in a global or
/// on a stack) none is found. Keyed by goroutine index.
pub fn cond_waits<'g>(rt: &Rt<'_>, heap: &crate::runtime::heap::Heap, goroutines: &[Goroutine], reverse: impl FnOnce() -> &'g crate::graph::marking::Graph) -> HashMap<u32, Sudog> {
    let mut out = HashMap::new();
    let want: Vec<usize> = (0..goroutines.len())
        .filter(|&i| {
            let g = &goroutines[i];
            (g.status == "waiting" || g.status == "leaked") && g.wait_reason == "sync.Cond.Wait" && g.meta.waiting.is_empty()
        })
        .collect();
    if want.is_empty() {
        return out;
    }
    let (Some(sg_g), Some(sg_next), Some(head), Some(tail)) = (
        rt.off_opt("runtime.sudog", "g"),
        rt.off_opt("runtime.sudog", "next"),
        rt.off_opt("runtime.notifyList", "head"),
        rt.off_opt("runtime.notifyList", "tail"),
    ) else {
        return out;
    };
    let word = |a: u64| rt.mem.u64(a).unwrap_or(0);
    // Whether the list of the notifyList at `l` runs from `head` to `tail` through `s0`.
    let holds = |l: u64, s0: u64| {
        let last = word(l.wrapping_add(tail));
        let mut s = word(l.wrapping_add(head));
        let mut seen = false;
        for _ in 0..MAX_NOTIFY_WALK {
            if s == 0 {
                return false;
            }
            seen |= s == s0;
            if s == last {
                return seen && word(s.wrapping_add(sg_next)) == 0;
            }
            s = word(s.wrapping_add(sg_next));
        }
        false
    };
    let rev = reverse();
    for gi in want {
        let g = &goroutines[gi];
        let Some(gt) = heap.find(g.g_addr) else { continue };
        let Some(s0) = rev.out(gt.slot).iter().map(|&p| heap.slot_addr(p)).find(|&a| word(a.wrapping_add(sg_g)) == g.g_addr) else {
            continue;
        };
        let mut cur = s0;
        let mut found = None;
        'walk: for _ in 0..MAX_NOTIFY_WALK {
            let Some(ct) = heap.find(cur) else { break };
            let mut prev = None;
            for &p in rev.out(ct.slot) {
                let pa = heap.slot_addr(p);
                let size = heap.span_of_slot(p).elemsize;
                for off in (head..size).step_by(PTR as usize) {
                    let l = pa + off - head;
                    if word(pa + off) == cur && holds(l, s0) {
                        found = Some(l);
                        break 'walk;
                    }
                }
                if prev.is_none() && word(pa.wrapping_add(sg_next)) == cur {
                    prev = Some(pa);
                }
            }
            match prev {
                Some(p) if p != s0 => cur = p,
                _ => break,
            }
        }
        if let Some(l) = found {
            out.insert(gi as u32, Sudog { addr: s0, chan: 0, elem: l });
        }
    }
    out
}

/// Label pairs read from a goroutine's label map at most.
const MAX_LABELS: u64 = 256;

/// The pprof labels of the `runtime/pprof.labelMap` at `map` (`runtime/pprof/label.go`: a
/// `map[string]string` in Go 1.22-1.23; a `LabelSet` of `list []label{key, value}` in Go
/// 1.24-1.26; from 1.27 an embedded `internal/runtime/pprof/label.Set` of
/// `List []Label{Key, Value}`), by field name through DWARF; empty when the binary has no
/// such type or the map is not readable.
fn pprof_labels(rt: &Rt<'_>, map: u64) -> Vec<(String, String)> {
    if map == 0 {
        return Vec::new();
    }
    let Some(ty) = rt.dwarf.type_by_name("runtime/pprof.labelMap") else { return Vec::new() };
    if rt.dwarf.ty(ty).go_kind == crate::formats::dwarf::kind::MAP {
        return bucket_map_strings(rt, ty, rt.mem.u64(map).unwrap_or(0));
    }
    let Some((list_off, list_ty)) = rt.dwarf.field_of(ty, "list").or_else(|| rt.dwarf.field_of(ty, "List")) else { return Vec::new() };
    let Some((_, array_ty)) = rt.dwarf.field_of(list_ty, "array") else { return Vec::new() };
    let crate::formats::dwarf::Shape::Pointer(Some(label_ty)) = rt.dwarf.ty(rt.dwarf.underlying(array_ty)).shape else { return Vec::new() };
    let field = |a: &str, b: &str| rt.dwarf.field_of(label_ty, a).or_else(|| rt.dwarf.field_of(label_ty, b)).map(|(o, _)| o);
    let (Some(key), Some(value)) = (field("key", "Key"), field("value", "Value")) else { return Vec::new() };
    let Ok((ptr, len, _)) = rt.slice(map.wrapping_add(list_off)) else { return Vec::new() };
    let stride = rt.dwarf.ty(label_ty).size.max(1);
    (0..len.min(MAX_LABELS))
        .map_while(|i| {
            let at = ptr.wrapping_add(i * stride);
            Some((rt.string(at.wrapping_add(key), 1024).ok()?, rt.string(at.wrapping_add(value), 1024).ok()?))
        })
        .collect()
}

/// The (key, value) pairs of a `map[string]string` before Swiss tables (`runtime/map.go`,
/// Go 1.22-1.23) at `hmap` (map type `map_ty`): the `2^B` buckets of `hmap.buckets` and
/// their overflow chains, the slots whose `tophash` is at least `minTopHash`, with offsets
/// from the linker's `hash<K,V>` and `bucket<K,V>` DWARF types. At most [`MAX_LABELS`].
fn bucket_map_strings(rt: &Rt<'_>, map_ty: crate::formats::dwarf::TypeId, hmap: u64) -> Vec<(String, String)> {
    use crate::formats::dwarf::Shape;
    let d = rt.dwarf;
    let mut out = Vec::new();
    let pointee = |t| match d.ty(d.underlying(t)).shape {
        Shape::Pointer(Some(p)) => Some(p),
        _ => None,
    };
    let Some(hash) = pointee(map_ty) else { return out };
    let (Some((o_b, _)), Some((o_buckets, bt))) = (d.field_of(hash, "B"), d.field_of(hash, "buckets")) else { return out };
    let Some(bucket) = pointee(bt) else { return out };
    let field = |n: &str| d.field_of(bucket, n).map(|(o, _)| o);
    let (Some(o_top), Some(o_keys), Some(o_vals), Some(o_ovf)) = (field("tophash"), field("keys"), field("values"), field("overflow")) else {
        return out;
    };
    let Ok(min_top) = rt.constant(&["runtime.minTopHash"]) else { return out };
    let slots = d.field_of(bucket, "tophash").map_or(0, |(_, t)| d.ty(t).size).min(64);
    let bsize = d.ty(bucket).size;
    let (Ok(b), Ok(buckets)) = (rt.mem.u8(hmap.wrapping_add(o_b)), rt.mem.u64(hmap.wrapping_add(o_buckets))) else { return out };
    if hmap == 0 || buckets == 0 || b > 16 {
        return out;
    }
    // Buckets visited at most, overflow buckets included: a corrupt chain ends.
    let mut budget = MAX_LABELS;
    for i in 0..1u64 << b {
        let mut at = buckets.wrapping_add(i * bsize);
        while at != 0 && budget > 0 {
            budget -= 1;
            for j in 0..slots {
                if i64::from(rt.mem.u8(at.wrapping_add(o_top + j)).unwrap_or(0)) < min_top {
                    continue;
                }
                let (k, v) = (rt.string(at.wrapping_add(o_keys + 16 * j), 1024), rt.string(at.wrapping_add(o_vals + 16 * j), 1024));
                if let (Ok(k), Ok(v)) = (k, v) {
                    out.push((k, v));
                }
            }
            at = rt.mem.u64(at.wrapping_add(o_ovf)).unwrap_or(0);
        }
        if budget == 0 || out.len() as u64 >= MAX_LABELS {
            break;
        }
    }
    out
}

/// Where the `go` statement at return address `gopc` is: function (the innermost one
/// inlined at the call), file and line, as `runtime.printcreatedby` prints them.
pub(crate) fn creation_site(pcln: &Pclntab, mem: &crate::runtime::memory::Memory, gopc: u64) -> Option<InlineFrame> {
    if gopc == 0 {
        return None;
    }
    let f = pcln.find_func(gopc)?;
    let pc = if gopc > f.entry { gopc - 1 } else { gopc };
    pcln.inline_frames(mem, &f, pc).into_iter().next()
}

/// `runtime.waitReasonStrings`, read from memory.
fn wait_reason_strings(rt: &Rt<'_>) -> Vec<String> {
    let Some(gl) = rt.dwarf.globals.iter().find(|g| g.name == "runtime.waitReasonStrings") else { return Vec::new() };
    let ty = rt.dwarf.ty(rt.dwarf.underlying(gl.ty));
    let n = match ty.shape {
        crate::formats::dwarf::Shape::Array { len, .. } => len.min(1024),
        _ => ty.size / 16,
    };
    let base = gl.addr.wrapping_add(rt.bias);
    (0..n).map(|i| rt.string(base.wrapping_add(16 * i), 256).unwrap_or_default()).collect()
}

impl<'a> Walker<'a> {
    fn all_gs(&self) -> Result<Vec<u64>, Error> {
        let (ptr, len, _) = self.rt.slice(self.rt.global("runtime.allgs")?)?;
        if len > 1 << 26 {
            return Err(Error::Malformed(format!("runtime.allgs has {len} entries")));
        }
        // allgs is a heap slice: its entries are in the core or nowhere.
        match self.rt.mem.in_core(ptr, len * PTR) {
            Some(true) => {}
            Some(false) => return Err(Error::Truncated(format!("runtime.allgs ({len} goroutines at {ptr:#x}) was cut off"))),
            None => return Err(Error::Malformed(format!("runtime.allgs ({len} goroutines at {ptr:#x}) is not in the core's memory"))),
        }
        let b = self.rt.mem.bytes(ptr, (len * PTR) as usize)?;
        Ok(b.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect())
    }

    fn goroutine(
        &self,
        g: u64,
        st: u64,
        running: bool,
        names: &HashMap<u64, String>,
        reasons: &[String],
        warnings: &mut Vec<String>,
    ) -> Result<Goroutine, Error> {
        let mem = self.rt.mem;
        let l = &self.lay;
        let id = mem.u64(g.wrapping_add(l.g_goid))?;
        let stack_lo = mem.u64(g.wrapping_add(l.g_stack_lo))?;
        let stack_hi = mem.u64(g.wrapping_add(l.g_stack_hi))?;
        let status = status_name(names, st);
        // The runtime leaves a stale reason behind once the goroutine runs again.
        let wait_reason = match l.g_waitreason {
            Some((off, size)) if status == "waiting" || status == "leaked" => {
                let r = mem.uint(g.wrapping_add(off), size)? as usize;
                if r == 0 {
                    String::new()
                } else {
                    reasons.get(r).cloned().unwrap_or_else(|| format!("wait reason {r}"))
                }
            }
            _ => String::new(),
        };
        let meta = self.meta(g);
        let mut gr = Goroutine { id, g_addr: g, status, wait_reason, frames: Vec::new(), stack_lo, stack_hi, meta };
        let in_stack = |sp: u64| stack_lo <= sp && sp < stack_hi;
        let sched_sp = mem.u64(g.wrapping_add(l.g_sched_sp))?;
        let sched = Start {
            pc: mem.u64(g.wrapping_add(l.g_sched_pc))?,
            sp: sched_sp,
            lr: match l.g_sched_lr {
                Some(o) if self.arch.uses_lr => mem.u64(g.wrapping_add(o))?,
                _ => 0,
            },
            from_regs: false,
            is_syscall: false,
        };
        let syscallsp = mem.u64(g.wrapping_add(l.g_syscallsp))?;
        let start = if running {
            let thread = self.thread_of(g);
            let interrupted = thread.and_then(|t| self.signal_context(t, &in_stack));
            let vdso = self.vdso_context(g);
            match thread {
                Some(t) if in_stack(t.sp) => Some(Start { pc: t.pc, sp: t.sp, lr: t.lr, from_regs: true, is_syscall: false }),
                // In a signal handler (GOTRACEBACK=crash cores): the kernel saved the
                // interrupted registers in the signal frame.
                _ if interrupted.is_some() => interrupted,
                // In a VDSO call, on the system stack: the runtime saved the caller's pc/sp.
                _ if vdso.as_ref().is_some_and(|v| in_stack(v.sp)) => vdso,
                // On the system stack: the switch saved the goroutine's position in g.sched.
                _ if sched_sp != 0 && in_stack(sched_sp) => Some(sched),
                Some(_) => {
                    warnings.push(format!(
                        "goroutine {id} is running on a thread whose stack pointer is outside its stack, and has no saved context: frames not read"
                    ));
                    None
                }
                None => {
                    warnings.push(format!("goroutine {id} is running but no thread of the core runs it: frames not read"));
                    None
                }
            }
        } else if syscallsp != 0 {
            Some(Start { pc: mem.u64(g.wrapping_add(l.g_syscallpc))?, sp: syscallsp, lr: 0, from_regs: false, is_syscall: true })
        } else {
            Some(sched)
        };
        if let Some(s) = start {
            if stack_lo == 0 || stack_hi <= stack_lo {
                warnings.push(format!("goroutine {id} has no stack"));
            } else if !in_stack(s.sp) && s.sp != stack_hi {
                warnings.push(format!(
                    "goroutine {id}: saved sp {:#x} is outside its stack [{stack_lo:#x}, {stack_hi:#x}): frames not read",
                    s.sp
                ));
            } else {
                gr.frames = self.unwind(&gr, s, warnings);
            }
        }
        Ok(gr)
    }

    /// The [`GoroutineMeta`] of the `g` at `g`; what cannot be read stays zero.
    fn meta(&self, g: u64) -> GoroutineMeta {
        let mem = self.rt.mem;
        let l = &self.lay;
        let word = |off: Option<u64>| off.and_then(|o| mem.u64(g.wrapping_add(o)).ok());
        let gopc = word(l.g_gopc).unwrap_or(0);
        let mut waiting = Vec::new();
        let mut sg = word(l.g_waiting).unwrap_or(0);
        while sg != 0 && waiting.len() < MAX_SUDOGS {
            let at = |off: Option<u64>| off.and_then(|o| mem.u64(sg.wrapping_add(o)).ok()).unwrap_or(0);
            waiting.push(Sudog { addr: sg, chan: at(l.sudog_c), elem: at(l.sudog_elem) });
            sg = at(l.sudog_waitlink);
            // A cycle (a corrupt core) ends the list.
            if waiting.iter().any(|w| w.addr == sg) {
                break;
            }
        }
        let labels = word(l.g_labels).unwrap_or(0);
        GoroutineMeta {
            gopc,
            created_by: creation_site(self.pcln, mem, gopc),
            parent_goid: word(l.g_parent_goid),
            wait_since: word(l.g_waitsince).unwrap_or(0) as i64,
            labels,
            label_pairs: pprof_labels(&self.rt, labels),
            waiting,
        }
    }

    /// `m.vdsoPC`/`m.vdsoSP` of the goroutine's thread while it is in a VDSO call.
    fn vdso_context(&self, g: u64) -> Option<Start> {
        let mem = self.rt.mem;
        let m = mem.u64(g.wrapping_add(self.lay.g_m)).ok().filter(|&m| m != 0)?;
        let sp = mem.u64(m.wrapping_add(self.lay.m_vdso_sp?)).ok().filter(|&sp| sp != 0)?;
        let pc = mem.u64(m.wrapping_add(self.lay.m_vdso_pc?)).ok()?;
        Some(Start { pc, sp, lr: 0, from_regs: false, is_syscall: false })
    }

    /// The registers of the thread running goroutine `g` (`g.m.procid` = thread id).
    fn thread_of(&self, g: u64) -> Option<crate::formats::elfcore::ThreadRegs> {
        let m = self.rt.mem.u64(g.wrapping_add(self.lay.g_m)).ok().filter(|&m| m != 0)?;
        let procid = self.rt.mem.u64(m.wrapping_add(self.lay.m_procid?)).ok()?;
        self.p.core.threads.iter().find(|t| t.tid as u64 == procid).copied()
    }

    /// When the thread is in a Go signal handler, the registers the signal interrupted on
    /// the goroutine's stack: walks the signal stack up to `runtime.sigtramp`, whose
    /// caller's sp is the kernel's signal frame (`rt_sigframe`), and reads the `ucontext`
    /// there. Nested signals (a crash raising SIGABRT inside a handler) are followed.
    fn signal_context(&self, t: crate::formats::elfcore::ThreadRegs, in_stack: &dyn Fn(u64) -> bool) -> Option<Start> {
        let mem = self.rt.mem;
        let pcln = self.pcln;
        let (mut pc, mut sp, mut lr) = (t.pc, t.sp, t.lr);
        let mut innermost = true;
        for _ in 0..512 {
            let f = pcln.find_func(pc)?;
            let spdelta = pcln.sp_delta(&f, pc).filter(|&d| d >= 0)? as u64;
            let fp = sp.wrapping_add(spdelta).wrapping_add(if self.arch.uses_lr { 0 } else { PTR });
            if f.name == "runtime.sigtramp" {
                // struct rt_sigframe: amd64 { pretcode; ucontext; siginfo },
                // arm64 { siginfo (128 bytes); ucontext }; ucontext.uc_mcontext is at 40
                // on amd64 and 176 on arm64 (linux/include/uapi/asm/{sigcontext,ucontext}.h).
                let s = if self.arch.uses_lr {
                    let regs = fp.wrapping_add(128 + 176 + 8);
                    Start {
                        lr: mem.u64(regs.wrapping_add(30 * 8)).ok()?,
                        sp: mem.u64(regs.wrapping_add(31 * 8)).ok()?,
                        pc: mem.u64(regs.wrapping_add(32 * 8)).ok()?,
                        from_regs: true,
                        is_syscall: false,
                    }
                } else {
                    let mc = fp.wrapping_add(40);
                    Start { sp: mem.u64(mc.wrapping_add(15 * 8)).ok()?, pc: mem.u64(mc.wrapping_add(16 * 8)).ok()?, lr: 0, from_regs: true, is_syscall: false }
                };
                if in_stack(s.sp) {
                    return Some(s);
                }
                // Interrupted elsewhere (another handler, the system stack): keep walking there.
                (pc, sp, lr) = (s.pc, s.sp, s.lr);
                innermost = true;
                continue;
            }
            if f.flag & FUNC_FLAG_TOP_FRAME != 0 {
                return None;
            }
            let ret = if self.arch.uses_lr {
                if (innermost && sp < fp) || lr == 0 {
                    mem.u64(sp).ok()?
                } else {
                    lr
                }
            } else {
                mem.u64(fp.wrapping_sub(PTR)).ok()?
            };
            if fp <= sp && ret == pc {
                return None;
            }
            pc = ret;
            sp = fp;
            lr = 0;
            innermost = false;
        }
        None
    }

    fn is(&self, f: &FuncInfo, id: Option<u8>) -> bool {
        id == Some(f.funcid)
    }

    fn is_injected(&self, f: &FuncInfo) -> bool {
        let c = &self.pcln.consts;
        self.is(f, c.funcid_sigpanic) || self.is(f, c.funcid_async_preempt) || self.is(f, c.funcid_debug_call_v2)
    }

    fn unwind(&self, gr: &Goroutine, s: Start, warnings: &mut Vec<String>) -> Vec<Frame> {
        let mem = self.rt.mem;
        let pcln = self.pcln;
        let c = &pcln.consts;
        let arch = self.arch;
        let mut frames = Vec::new();
        let (mut pc, mut sp, mut lr) = (s.pc, s.sp, s.lr);
        // A zero pc is likely a call through a nil func: start in the caller.
        if pc == 0 {
            match mem.u64(sp) {
                Ok(v) => {
                    pc = v;
                    if arch.uses_lr {
                        lr = 0;
                    } else {
                        sp = sp.wrapping_add(PTR);
                    }
                }
                Err(_) => return frames,
            }
        }
        let mut innermost = true;
        let mut callee: Option<FuncInfo> = None;
        let mut conservative = false;
        let id = gr.id;
        loop {
            if frames.len() >= MAX_FRAMES {
                warnings.push(format!("goroutine {id}: stopped after {MAX_FRAMES} frames"));
                break;
            }
            let budget = self.frame_budget.get();
            if budget == 0 {
                break;
            }
            self.frame_budget.set(budget - 1);
            let Some(f) = pcln.find_func(pc) else {
                if !innermost || pc != 0 {
                    warnings.push(format!("goroutine {id}: no function at pc {pc:#x} (sp {sp:#x})"));
                }
                break;
            };
            if f.pcsp == 0 {
                // No frame information: an external function.
                break;
            }
            let mut flag = f.flag;
            if self.is(&f, c.funcid_cgocallback) || (innermost && s.is_syscall) {
                flag &= !FUNC_FLAG_SPWRITE;
            }
            let Some(spdelta) = pcln.sp_delta(&f, pc).filter(|&d| d >= 0 && (d as u64) < MAX_FRAME_BYTES) else {
                warnings.push(format!("goroutine {id}: no frame size for {} at pc {pc:#x}", f.name));
                break;
            };
            let mut fp = sp.wrapping_add(spdelta as u64);
            if !arch.uses_lr {
                fp = fp.wrapping_add(PTR);
            }
            // The caller's pc.
            let mut stop = false;
            let ret = if flag & FUNC_FLAG_TOP_FRAME != 0 {
                0
            } else if flag & FUNC_FLAG_SPWRITE != 0 && !innermost {
                // Writes SP in ways the tables cannot follow (a stack switch): stop here.
                stop = true;
                0
            } else if arch.uses_lr {
                if (innermost && sp < fp) || lr == 0 {
                    mem.u64(sp).unwrap_or(0)
                } else {
                    lr
                }
            } else {
                mem.u64(fp.wrapping_sub(PTR)).unwrap_or(0)
            };
            let mut varp = fp;
            if !arch.uses_lr {
                varp = varp.wrapping_sub(PTR);
            }
            // The saved frame pointer sits just below the return address.
            if varp > sp {
                varp -= PTR;
            }
            let argp = fp.wrapping_add(arch.min_frame);
            // Continuation pc: where liveness is looked up.
            let mut continpc = pc;
            if let Some(cf) = &callee {
                if self.is(cf, c.funcid_sigpanic) {
                    continpc = if f.deferreturn != 0 { f.entry.wrapping_add(f.deferreturn as u64 + 1) } else { 0 };
                }
            }
            let trapped = callee.as_ref().is_some_and(|cf| self.is_injected(cf));
            // The pc whose source position this frame shows: the call instruction.
            let sym_pc = if trapped || pc == f.entry || (innermost && s.from_regs) { pc } else { pc.wrapping_sub(1) };
            let mut logical = pcln.inline_frames(mem, &f, sym_pc);
            let phys = logical.pop();
            let (file, line) = phys.map(|p| (p.file, p.line)).unwrap_or_else(|| ("?".into(), 0));

            let is_async = self.is(&f, c.funcid_async_preempt) || self.is(&f, c.funcid_debug_call_v2);
            let scan_conservatively = conservative || is_async || (innermost && s.from_regs);
            let frame_info = FrameGeom { sp, fp, varp, argp, continpc, sym_pc };
            let (slots, pieced) = if scan_conservatively {
                let is_sigpanic = self.is(&f, c.funcid_sigpanic);
                (self.conservative_slots(&f, &frame_info, arch.uses_lr && (is_sigpanic || is_async)), Vec::new())
            } else {
                self.precise_slots(&f, &frame_info, id, warnings)
            };
            conservative = is_async;
            frames.push(Frame { function: f.name.clone(), file, line, pc, sp, slots, inlined: logical, pieced });

            if ret == 0 || stop {
                break;
            }
            // Next frame.
            let injected = self.is_injected(&f);
            let (npc, mut nsp) = (ret, fp);
            lr = 0;
            if arch.uses_lr && injected {
                // The signal handler saved LR on the stack before faking the call.
                let x = mem.u64(nsp).unwrap_or(0);
                nsp = nsp.wrapping_add(16);
                match pcln.find_func(npc) {
                    None => pc = x,
                    Some(nf) => {
                        pc = npc;
                        if pcln.sp_delta(&nf, npc) == Some(0) {
                            lr = x;
                        }
                    }
                }
            } else {
                pc = npc;
            }
            if nsp < sp || (nsp == sp && pc == frames.last().map(|f| f.pc).unwrap_or(0)) {
                warnings.push(format!("goroutine {id}: unwinding stuck at pc {pc:#x} sp {sp:#x}"));
                break;
            }
            sp = nsp;
            if sp < gr.stack_lo || sp > gr.stack_hi {
                warnings.push(format!("goroutine {id}: unwinding left the stack at sp {sp:#x} (pc {pc:#x})"));
                break;
            }
            callee = Some(f);
            innermost = false;
        }
        frames
    }

    /// Every non-zero word of the frame (`scanConservative`): locals and outgoing args
    /// `[sp, varp)` and the incoming args.
    fn conservative_slots(&self, f: &FuncInfo, g: &FrameGeom, lr_bump: bool) -> Vec<StackSlot> {
        let mut out = Vec::new();
        let namer = SlotNamer::new(&self.rt, Some((self.pcln, f)), g.sym_pc, g.sp, g.fp, g.argp);
        let mut size = g.varp.saturating_sub(g.sp);
        if lr_bump {
            size += 16;
        }
        self.scan_words(g.sp, size.min(MAX_FRAME_BYTES), None, true, &namer, &mut out);
        let args = if f.args != ARGS_SIZE_UNKNOWN && f.args > 0 { f.args as u64 } else { 0 };
        if args > 0 {
            self.scan_words(g.argp, args.min(MAX_FRAME_BYTES), None, true, &namer, &mut out);
        }
        out
    }

    /// Reads `[base, base+size)` and records the words whose bit is set in `mask` (all
    /// words when `None`) and whose value is not zero.
    fn scan_words(&self, base: u64, size: u64, mask: Option<&[u8]>, conservative: bool, namer: &SlotNamer, out: &mut Vec<StackSlot>) {
        let n = size / PTR;
        if n == 0 {
            return;
        }
        // Stacks are the core's own memory: zero fill holds no pointers, and copying it
        // out would only cost time a corrupt frame size makes large.
        if self.rt.mem.in_core(base, n * PTR) != Some(true) {
            return;
        }
        let Ok(bytes) = self.rt.mem.bytes(base, (n * PTR) as usize) else { return };
        for i in 0..n as usize {
            if let Some(m) = mask {
                match m.get(i / 8) {
                    Some(b) if b >> (i % 8) & 1 != 0 => {}
                    _ => continue,
                }
            }
            let value = u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
            if value == 0 {
                continue;
            }
            let addr = base + i as u64 * PTR;
            out.push(namer.slot(addr, value, conservative));
        }
    }

    /// Reads a `runtime.stackmap` at `addr` and returns bitmap `idx` as (nbit, bytes);
    /// `Err` when there is no usable map.
    fn stackmap(&self, addr: u64, idx: i32) -> Result<(u64, Vec<u8>), ()> {
        let mem = self.rt.mem;
        let l = &self.lay;
        let n = mem.u32(addr.wrapping_add(l.stackmap_n)).map_err(|_| ())? as i32;
        let nbit = mem.u32(addr.wrapping_add(l.stackmap_nbit)).map_err(|_| ())? as i32;
        if n <= 0 || nbit < 0 {
            return Err(());
        }
        if nbit == 0 {
            return Ok((0, Vec::new()));
        }
        if idx < 0 || idx >= n || nbit as u64 * PTR > MAX_FRAME_BYTES {
            return Err(());
        }
        let row = (nbit as u64).div_ceil(8);
        let b = mem.bytes(addr.wrapping_add(l.stackmap_bytedata + idx as u64 * row), row as usize).map_err(|_| ())?;
        Ok((nbit as u64, b.into_owned()))
    }

    /// The live pointer slots of a frame at a safe point (`scanframeworker`), and the
    /// frame's variables that are on the stack only in part.
    fn precise_slots(&self, f: &FuncInfo, g: &FrameGeom, id: u64, warnings: &mut Vec<String>) -> (Vec<StackSlot>, Vec<PiecedVar>) {
        let mut out = Vec::new();
        if g.continpc == 0 {
            return (out, Vec::new()); // a dead frame
        }
        let pcln = self.pcln;
        let c = &pcln.consts;
        let mut namer = SlotNamer::new(&self.rt, Some((self.pcln, f)), g.sym_pc, g.sp, g.fp, g.argp);
        let mut targetpc = g.continpc;
        let mut idx = -1;
        if targetpc != f.entry {
            targetpc -= 1;
            idx = pcln.pcdata(f, c.pcdata_stack_map_index, targetpc).unwrap_or(-1);
        }
        namer.add_method_args(&self.rt, pcln, f, targetpc);
        if idx == -1 {
            // In the prologue: the entry map.
            idx = 0;
        }
        let mut fallback = false;
        // Locals.
        let size = g.varp.saturating_sub(g.sp);
        if size > self.arch.min_locals {
            match pcln.funcdata(f, c.funcdata_locals_pointer_maps).map(|a| self.stackmap(a, idx)) {
                Some(Ok((nbit, mask))) if nbit > 0 => {
                    let len = nbit * PTR;
                    self.scan_words(g.varp.wrapping_sub(len), len, Some(&mask), false, &namer, &mut out);
                }
                Some(Ok(_)) => {}
                _ => {
                    fallback = true;
                    self.scan_words(g.sp, size.min(MAX_FRAME_BYTES), None, true, &namer, &mut out);
                }
            }
        }
        // Arguments.
        if f.args == ARGS_SIZE_UNKNOWN {
            // reflect.makeFuncStub / methodValueCall: their argument maps are dynamic.
            fallback = true;
        } else if f.args as u64 >= PTR {
            match pcln.funcdata(f, c.funcdata_args_pointer_maps).map(|a| self.stackmap(a, idx)) {
                Some(Ok((nbit, mask))) if nbit > 0 => {
                    self.scan_words(g.argp, nbit * PTR, Some(&mask), false, &namer, &mut out);
                }
                Some(Ok(_)) => {}
                _ => {
                    fallback = true;
                    self.scan_words(g.argp, (f.args as u64).min(MAX_FRAME_BYTES), None, true, &namer, &mut out);
                }
            }
        }
        if fallback {
            warnings.push(format!(
                "goroutine {id}: {} at pc {:#x} has no usable stack map (index {idx}): scanned conservatively",
                f.name, g.continpc
            ));
        }
        // Stack objects: address-taken locals with their own pointer masks. Liveness is
        // decided by the runtime through pointers from live slots; all are reported here.
        if let Some(p) = pcln.funcdata(f, c.funcdata_stack_objects) {
            self.stack_objects(p, g, &namer, &mut out);
        }
        out.sort_by_key(|s| s.addr);
        out.dedup_by_key(|s| s.addr);
        (out, namer.into_pieced())
    }

    fn stack_objects(&self, p: u64, g: &FrameGeom, namer: &SlotNamer, out: &mut Vec<StackSlot>) {
        let mem = self.rt.mem;
        let l = &self.lay;
        let Ok(n) = mem.u64(p) else { return };
        if n > MAX_STACK_OBJECTS {
            return;
        }
        for i in 0..n {
            let r = p.wrapping_add(PTR + i * l.sor_size);
            let (Ok(off), Ok(ptr_bytes), Ok(gcoff)) =
                (mem.u32(r.wrapping_add(l.sor_off)), mem.u32(r.wrapping_add(l.sor_ptr_bytes)), mem.u32(r.wrapping_add(l.sor_gcdataoff)))
            else {
                continue;
            };
            let off = off as i32;
            let ptr_bytes = ptr_bytes as i32;
            if ptr_bytes <= 0 || ptr_bytes as u64 > MAX_FRAME_BYTES {
                continue;
            }
            let base = if off < 0 { g.varp } else { g.argp };
            let addr = base.wrapping_add(off as i64 as u64);
            if addr < g.sp {
                continue; // not allocated yet
            }
            let words = ptr_bytes as u64 / PTR;
            let Ok(mask) = mem.bytes(self.pcln.rodata.wrapping_add(gcoff as u64), words.div_ceil(8) as usize) else { continue };
            let size = mem.u32(r.wrapping_add(l.sor_obj_size)).map(|s| s as u64).unwrap_or(ptr_bytes as u64).max(ptr_bytes as u64);
            let first = out.len();
            self.scan_words(addr, words * PTR, Some(&mask), false, namer, out);
            for s in &mut out[first..] {
                s.stack_object = Some((addr, size));
            }
        }
    }
}

/// Where a frame lies.
struct FrameGeom {
    sp: u64,
    /// The caller's sp: the DWARF CFA.
    fp: u64,
    varp: u64,
    argp: u64,
    continpc: u64,
    /// The pc used for source positions and DWARF location ranges.
    sym_pc: u64,
}

/// Maps stack addresses of one frame to DWARF locals (the function's own and those of the
/// functions inlined into it at this pc). Cores and heap dumps name and type their stack
/// slots through it.
pub(crate) struct SlotNamer<'a> {
    dwarf: &'a crate::formats::dwarf::Dwarf,
    /// (address, size, name, type, offset of that memory inside the variable, whether the
    /// variable is all in memory as laid out): a whole variable, or one piece of a variable
    /// split by a composite location (then its words are named, but its type is not used
    /// to read the rest: the rest is elsewhere).
    vars: Vec<(u64, u64, std::borrow::Cow<'a, str>, TypeId, u64, bool)>,
    /// The variables of which only pieces are on the stack.
    pieced: Vec<PiecedVar>,
    sp: u64,
    argp: u64,
    /// Without DWARF for the function: the receiver slot of a pointer-receiver method.
    recv: Option<(u64, TypeId)>,
    /// DWARF describes the function.
    has_dwarf: bool,
}

/// For a method with a pointer receiver (`pkg.(*T).M` in the pclntab) that is not
/// assembly, where its receiver is and its type `*pkg.T`: the receiver is the first
/// argument, and the first (offset, size) pair of `FUNCDATA_ArgInfo` is the first
/// argument's place from argp (`cmd/compile/internal/ssagen/ssa.go` `emitArgInfo`, read
/// by `runtime/traceback.go` `printArgs`; Go 1.18-1.27: offsets 0xfb and up are markers).
/// Closures and method-value wrappers (`M.func1`, `M-fm`) have other first arguments;
/// generic receivers name shapes, not types.
fn receiver_slot(rt: &Rt<'_>, pcln: &Pclntab, f: &FuncInfo, argp: u64) -> Option<(u64, TypeId)> {
    if f.flag & crate::formats::pclntab::FUNC_FLAG_ASM != 0 {
        return None;
    }
    let name = pointer_receiver(&f.name)?;
    let dwarf = rt.dwarf;
    let ptr = dwarf.type_by_name(&name).filter(|&t| matches!(dwarf.ty(dwarf.underlying(t)).shape, crate::formats::dwarf::Shape::Pointer(Some(_))))?;
    let info = pcln.funcdata(f, pcln.consts.funcdata_arg_info)?;
    let b = rt.mem.bytes(info, 2).ok()?;
    let (off, size) = (b[0], b[1]);
    (off < 0xfb && size as u64 == PTR).then(|| (argp.wrapping_add(off as u64), ptr))
}

/// An interface variable the compiler decomposed (`cmd/compile/internal/ssagen/ssa.go`
/// `SplitInterface`, Go 1.12-1.27) is two locals: `x.itab` (`x.type` for an empty
/// interface), a uintptr, and `x.data`, typed `*uint8` whatever the value is. The data word
/// names its pointee by the dynamic type the first word gives, as the variable would: the
/// pair becomes one interface variable in pieces, and `x.data` alone types nothing.
fn split_interfaces(
    dwarf: &crate::formats::dwarf::Dwarf,
    func: &crate::formats::dwarf::Function,
    dpc: u64,
    fp: u64,
    vars: &mut [(u64, u64, std::borrow::Cow<'_, str>, TypeId, u64, bool)],
    pieced: &mut Vec<PiecedVar>,
) {
    let at = |name: &str| -> Option<u64> {
        let l = func.locals.iter().find(|l| l.name == name)?;
        let &(_, _, off) = l.ranges.iter().find(|&&(lo, hi, _)| lo <= dpc && dpc < hi)?;
        (dwarf.ty(l.ty).size == PTR).then(|| fp.wrapping_add(off as u64))
    };
    for l in &func.locals {
        let Some(base) = l.name.strip_suffix(".data") else { continue };
        let Some(data) = at(&l.name) else { continue };
        let (first, iface) = match (at(&format!("{base}.itab")), at(&format!("{base}.type"))) {
            (Some(tab), _) => (tab, "error"),
            (None, Some(ty)) => (ty, "interface {}"),
            _ => continue,
        };
        let Some(ty) = dwarf.type_by_name(iface).filter(|&t| dwarf.ty(t).go_kind == crate::formats::dwarf::kind::INTERFACE) else { continue };
        for v in vars.iter_mut().filter(|v| v.0 == data && v.2 == l.name.as_str()) {
            v.5 = false;
        }
        pieced.push(PiecedVar { ty, parts: vec![(0, PTR, first), (PTR, PTR, data)] });
    }
}

/// The receiver type `*pkg.T` of a pointer-receiver method's symbol name `pkg.(*T).M`.
fn pointer_receiver(func: &str) -> Option<String> {
    let (pkg, rest) = func.split_once(".(*")?;
    let (ty, method) = rest.split_once(").")?;
    if pkg.is_empty() || ty.is_empty() || method.is_empty() || method.contains(['.', '-']) || ty.contains(['[', '.', '(']) {
        return None;
    }
    // The linker spells dots of an import path's last element as %2e.
    Some(format!("*{}.{ty}", pkg.replace("%2e", ".")))
}

#[cfg(test)]
mod receiver_tests {
    #[test]
    fn pointer_receivers_of_method_symbols() {
        let r = super::pointer_receiver;
        assert_eq!(r("go/parser.(*parser).parseFile").as_deref(), Some("*go/parser.parser"));
        assert_eq!(r("gopkg.in/yaml%2ev3.(*decoder).unmarshal").as_deref(), Some("*gopkg.in/yaml.v3.decoder"));
        // Closures, method-value wrappers, generic shapes, functions, value receivers.
        for f in ["go/parser.(*parser).parseFile.func1", "net/http.(*conn).serve-fm", "sync.(*Pool[go.shape.int]).Get", "main.main", "time.Time.String"] {
            assert_eq!(r(f), None, "{f}");
        }
    }
}

impl<'a> SlotNamer<'a> {
    /// The namer of the frame of the function at `sym_pc` (the pc of its source position)
    /// whose sp is `sp`, CFA (the caller's sp) `fp` and argument pointer `argp`; `func`, its
    /// pclntab entry, names a pointer receiver when DWARF does not describe the function.
    pub(crate) fn new(rt: &Rt<'a>, func: Option<(&Pclntab, &FuncInfo)>, sym_pc: u64, sp: u64, fp: u64, argp: u64) -> SlotNamer<'a> {
        let dwarf = rt.dwarf;
        let mut vars = Vec::new();
        let mut pieced = Vec::new();
        let dpc = sym_pc.wrapping_sub(rt.bias);
        let dfunc = dwarf.function_at(dpc);
        let recv = match func {
            Some((pcln, f)) if dfunc.is_none() => receiver_slot(rt, pcln, f, argp),
            _ => None,
        };
        if let Some(func) = dfunc {
            for l in &func.locals {
                let size = dwarf.ty(l.ty).size;
                if size == 0 {
                    continue;
                }
                let in_range = l.ranges.iter().find(|&&(lo, hi, _)| lo <= dpc && dpc < hi);
                if let Some(&(_, _, off)) = in_range {
                    vars.push((fp.wrapping_add(off as u64), size, l.name.as_str().into(), l.ty, 0, true));
                }
                let here: Vec<_> = l.pieces.iter().filter(|p| p.lo <= dpc && dpc < p.hi && p.var_offset < size).collect();
                // Pieces laid out as the variable is, over all of it, are the variable.
                let covered: u64 = here.iter().map(|p| p.size.min(size - p.var_offset)).sum();
                let whole = here.first().is_some_and(|f| {
                    covered >= size && here.iter().all(|p| p.cfa_offset.wrapping_sub(p.var_offset as i64) == f.cfa_offset.wrapping_sub(f.var_offset as i64))
                });
                let mut parts = Vec::new();
                for p in here {
                    let start = fp.wrapping_add(p.cfa_offset as u64);
                    let len = p.size.min(size - p.var_offset);
                    vars.push((start, len, l.name.as_str().into(), l.ty, p.var_offset, whole));
                    parts.push((p.var_offset, len, start));
                }
                if !whole && in_range.is_none() && !parts.is_empty() {
                    pieced.push(PiecedVar { ty: l.ty, parts });
                }
            }
            split_interfaces(dwarf, func, dpc, fp, &mut vars, &mut pieced);
        }
        SlotNamer { dwarf, vars, pieced, sp, argp, recv, has_dwarf: dfunc.is_some() }
    }

    /// Without DWARF for the function: names and types the arguments of a method frame at
    /// `pc` from the method tables of the binary's type descriptors
    /// ([`crate::runtime::methodargs`]), as DWARF parameters: an argument all in memory is
    /// a variable, one stored only in part is a variable in pieces. They supersede the
    /// receiver found by the symbol name.
    pub(crate) fn add_method_args(&mut self, rt: &Rt<'a>, pcln: &Pclntab, f: &FuncInfo, pc: u64) {
        if self.has_dwarf {
            return;
        }
        for a in crate::runtime::methodargs::method_args(rt, pcln, f, pc) {
            let (size, tname) = (self.dwarf.ty(a.ty).size, &self.dwarf.ty(a.ty).name);
            let name = if a.index == 0 {
                format!("arg+{:#x} (receiver {tname})", a.offset)
            } else {
                format!("arg+{:#x} (param {} {tname})", a.offset, a.index)
            };
            let start = self.argp.wrapping_add(a.offset);
            if a.index == 0 {
                self.recv = None;
            }
            if a.whole {
                self.vars.push((start, size, name.into(), a.ty, 0, true));
                continue;
            }
            let parts: Vec<(u64, u64, u64)> = a.live.iter().map(|&(o, n)| (o, n, start.wrapping_add(o))).collect();
            for &(o, n, at) in &parts {
                self.vars.push((at, n, name.clone().into(), a.ty, o, false));
            }
            if !parts.is_empty() {
                self.pieced.push(PiecedVar { ty: a.ty, parts });
            }
        }
    }

    /// The variables of the frame on the stack only in part.
    pub(crate) fn into_pieced(self) -> Vec<PiecedVar> {
        self.pieced
    }

    /// The slot at `addr` holding `value`, named (and typed) after the variables there.
    pub(crate) fn slot(&self, addr: u64, value: u64, conservative: bool) -> StackSlot {
        // Every variable whose memory holds the word (aliases, an inlined callee's
        // parameter sharing its caller's slot), each with its field path.
        let mut names: Vec<String> = Vec::new();
        let mut first: Option<(Option<TypeId>, u64)> = None;
        for (start, _, name, ty, var_off, whole) in self.vars.iter().filter(|v| v.0 <= addr && addr < v.0.saturating_add(v.1)) {
            let (start, ty, var_off, whole) = (*start, *ty, *var_off, *whole);
            let off = addr - start + var_off;
            let path = self.dwarf.field_path(ty, off);
            let name = if off == 0 && path.starts_with('+') {
                name.to_string()
            } else if path.starts_with('+') || path.starts_with('[') {
                format!("{name}{path}")
            } else {
                format!("{name}.{path}")
            };
            if !names.contains(&name) && names.len() < 8 {
                names.push(name);
            }
            if whole && first.is_none_or(|f| f.0.is_none()) {
                first = Some((Some(ty), off));
            }
            first.get_or_insert((None, 0));
        }
        if let Some((ty, off)) = first {
            return StackSlot { addr, value, name: names.join(" = "), ty, var_offset: off, conservative, stack_object: None };
        }
        let name = if addr >= self.argp { format!("arg+{:#x}", addr - self.argp) } else { format!("local+{:#x}", addr.wrapping_sub(self.sp)) };
        let ty = self.recv.filter(|&(a, _)| a == addr && !conservative).map(|(_, t)| t);
        let name = match ty {
            Some(t) => format!("{name} (receiver {})", self.dwarf.ty(t).name),
            None => name,
        };
        StackSlot { addr, value, name, ty, var_offset: 0, conservative, stack_object: None }
    }
}
