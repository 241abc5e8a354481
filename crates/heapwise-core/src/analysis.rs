//! The one API every view uses: open a core and executable, then query plain data
//! (the report types of [`crate::report`]).

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use crate::formats::dwarf::{Shape, TypeId};
use crate::graph::marking::{mark, Graph, Reachability, NO_PARENT, ROOT_FLAG};
use crate::model::{Image, Model};
use crate::report::*;
use crate::runtime::heap::{Heap, PtrLayout, SlotId};
use crate::runtime::process::Process;
use crate::runtime::roots::Root;
use crate::runtime::rt::Rt;
use crate::runtime::types::RtypeCache;
use crate::runtime::typing::{assign_types, Typing};
use crate::source::ByteSource;
use crate::Error;

/// Progress callback: (phase name, fraction 0..1 within the phase); return false to cancel.
pub type Progress<'a> = &'a mut dyn FnMut(&str, f64) -> bool;

/// A fully analyzed process. Its parts are private: views go through the query methods.
pub struct Analysis {
    pub(crate) image: Image,
    pub(crate) heap: Heap,
    /// The object graph: built by the pipeline, or on first use after the pipeline marked
    /// without storing it ([`Analysis::graph`]).
    pub(crate) graph: OnceCell<Graph>,
    pub(crate) roots: Vec<Root>,
    pub(crate) reach: Reachability,
    pub(crate) typing: Typing,
    pub(crate) goroutines: Vec<crate::runtime::stacks::Goroutine>,
    pub(crate) warnings: Vec<String>,
    pub(crate) rtypes: RefCell<RtypeCache>,
    pub(crate) reverse: OnceCell<Graph>,
    pub(crate) labels: OnceCell<UntypedLabels>,
    pub(crate) label_names: OnceCell<Vec<String>>,
    pub(crate) retained: OnceCell<crate::graph::retained::Retained>,
    /// Goroutine groups, leaks and their retained bytes ([`crate::goroutine_views`]).
    pub(crate) ownership: OnceCell<crate::graph::goroutines::GoroutineOwnership>,
    /// [`Overview::runtime_heap_marked`], read when a core is loaded.
    pub(crate) runtime_heap_marked: Option<u64>,
    /// [`Overview::runtime_heap_alloc`], set by the heap-dump loader.
    pub(crate) runtime_heap_alloc: Option<u64>,
    /// Phases run on a second thread ([`AnalysisStats::background_phases`]).
    pub(crate) background: Vec<PhaseTime>,
    /// The runtime's heap profile and the pclntab its stacks are read with, on first use.
    /// A heap dump's allocation stacks ([`crate::model::DumpAllocStacks`]).
    pub(crate) dump_alloc_stacks: Option<crate::model::DumpAllocStacks>,
    pub(crate) mem_profile: OnceCell<Result<(crate::runtime::mprof::MemProfile, crate::formats::pclntab::Pclntab), Error>>,
}

/// Cap on the bytes and fields an object page shows.
const MAX_OBJECT_BYTES: usize = 64 * 1024;
const MAX_FIELDS: usize = 2000;

impl Analysis {
    /// Loads and analyzes a core with its executable.
    pub fn open(core: Rc<dyn ByteSource>, exe: Rc<dyn ByteSource>, progress: Progress<'_>) -> Result<Analysis, Error> {
        if !progress("loading core", 0.0) {
            return Err(Error::Cancelled);
        }
        let process = Process::open(core, exe)?;
        Self::from_process(process, progress)
    }

    /// [`Analysis::open`] with a separate debug file for an executable without DWARF.
    pub fn open_with_debug(core: Rc<dyn ByteSource>, exe: Rc<dyn ByteSource>, debug: Option<Rc<dyn ByteSource>>, progress: Progress<'_>) -> Result<Analysis, Error> {
        if !progress("loading core", 0.0) {
            return Err(Error::Cancelled);
        }
        let process = Process::open_with_debug(core, exe, debug)?;
        Self::from_process(process, progress)
    }

    /// Analyzes a loaded process ([`Process::open`], [`Process::open_parsed`]).
    pub fn from_process(process: Process, progress: Progress<'_>) -> Result<Analysis, Error> {
        let model = crate::frontends::core::model(process, progress)?;
        Self::analyze(model, progress)
    }

    /// Loads and analyzes a heap dump, with the executable that wrote it when given.
    pub fn open_heapdump(dump: Rc<dyn ByteSource>, exe: Option<Rc<dyn ByteSource>>, progress: Progress<'_>) -> Result<Analysis, Error> {
        let model = crate::frontends::heapdump::model(dump, exe, progress)?;
        Self::analyze(model, progress)
    }

    /// The one pipeline every front end ends in: the object graph, marking from the
    /// roots, naming, with the lazily built views (reverse graph, labels, dominators)
    /// still empty.
    pub fn analyze(model: Model, progress: Progress<'_>) -> Result<Analysis, Error> {
        let Model { image, heap, roots, goroutines, seeds, hints, warnings, runtime_heap_marked, runtime_heap_alloc, dump_alloc_stacks } = model;
        let rt = image.rt();
        let mut rtypes = RtypeCache::new(&rt);
        // Naming reads neither the graph nor the marks: it may run beside marking.
        let name = |rtypes: &mut RtypeCache| {
            let untyped = crate::runtime::stripped::untyped_pointer_words(&rt, &goroutines);
            assign_types(&rt, &heap, rtypes, &seeds, &untyped, &hints)
        };
        let mut background = Vec::new();
        let (graph, reach, typing) = match Self::scan_beside_naming(&rt, &heap, &mut rtypes, &roots, &name, &mut background, progress)? {
            Some(done) => done,
            None => {
                let graph = Graph::build(&rt, &heap, &mut rtypes, &mut |f| progress("scanning objects", f))?;
                if !progress("marking", 0.0) {
                    return Err(Error::Cancelled);
                }
                let reach = mark(&heap, &graph, &roots);
                if !progress("naming types", 0.0) {
                    return Err(Error::Cancelled);
                }
                let typing = name(&mut rtypes);
                (OnceCell::from(graph), reach, typing)
            }
        };
        progress("done", 1.0);
        Ok(Analysis {
            image,
            heap,
            graph,
            roots,
            reach,
            typing,
            goroutines,
            warnings,
            rtypes: RefCell::new(rtypes),
            reverse: OnceCell::new(),
            labels: OnceCell::new(),
            label_names: OnceCell::new(),
            retained: OnceCell::new(),
            ownership: OnceCell::new(),
            runtime_heap_marked,
            runtime_heap_alloc,
            background,
            mem_profile: OnceCell::new(),
            dump_alloc_stacks,
        })
    }

    /// Native builds, with the heap's bytes in memory: the objects are marked on a second
    /// thread while this one names them (naming reads no marks). Marking reads each
    /// reached object's pointers from the scan input and stores no graph: the views that
    /// need one build it on first use ([`Analysis::graph`]).
    /// `None` when that cannot be done (a paged source, no second thread): the caller runs
    /// the phases one after the other. The second thread's phase times go to `background`.
    #[cfg(not(target_family = "wasm"))]
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn scan_beside_naming(
        rt: &Rt<'_>,
        heap: &Heap,
        rtypes: &mut RtypeCache,
        roots: &[Root],
        name: &dyn Fn(&mut RtypeCache) -> Typing,
        background: &mut Vec<PhaseTime>,
        progress: Progress<'_>,
    ) -> Result<Option<(OnceCell<Graph>, Reachability, Typing)>, Error> {
        if std::thread::available_parallelism().map_or(true, |n| n.get() < 2) {
            return Ok(None);
        }
        if !progress("scanning objects", 0.0) {
            return Err(Error::Cancelled);
        }
        let Some(input) = Graph::prepare(rt, heap, rtypes) else { return Ok(None) };
        if !progress("naming types", 0.0) {
            return Err(Error::Cancelled);
        }
        std::thread::scope(|scope| {
            let worker = std::thread::Builder::new().name("heapwise-scan".into()).spawn_scoped(scope, || {
                let t0 = std::time::Instant::now();
                let reach = crate::graph::marking::mark_from(heap, &input, roots);
                drop(input);
                (reach, [PhaseTime { name: "marking".to_string(), wall_seconds: t0.elapsed().as_secs_f64() }])
            });
            let Ok(worker) = worker else { return Ok(None) };
            let typing = name(rtypes);
            let (reach, times) = match worker.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            background.extend(times);
            Ok(Some((OnceCell::new(), reach, typing)))
        })
    }

    #[cfg(target_family = "wasm")]
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn scan_beside_naming(
        _: &Rt<'_>,
        _: &Heap,
        _: &mut RtypeCache,
        _: &[Root],
        _: &dyn Fn(&mut RtypeCache) -> Typing,
        _: &mut Vec<PhaseTime>,
        _: Progress<'_>,
    ) -> Result<Option<(OnceCell<Graph>, Reachability, Typing)>, Error> {
        Ok(None)
    }

    /// What the analysis holds and the phases it ran on a second thread: figures for
    /// `HEAPWISE_STATS=1`.
    pub fn stats(&self) -> AnalysisStats {
        let mut structures: Vec<StructureSize> = Vec::new();
        let mut add = |name: &str, bytes: usize| structures.push(StructureSize { name: name.to_string(), bytes: bytes as u64 });
        for (n, b) in self.heap.table_bytes() {
            add(n, b);
        }
        if let Some(g) = self.graph.get() {
            add("object graph (CSR)", g.bytes());
        }
        add("marking (live bits, BFS parents)", self.reach.live.len().div_ceil(8) + self.reach.parent.capacity() * 4);
        add("slot types", self.typing.slot_type.capacity() * 4);
        add(
            "type table",
            self.typing.entries.iter().map(|e| std::mem::size_of_val(e) + e.name.capacity()).sum::<usize>(),
        );
        let d = self.rt().dwarf;
        let types: usize = d
            .types
            .iter()
            .map(|t| {
                std::mem::size_of_val(t)
                    + t.name.capacity()
                    + match &t.shape {
                        Shape::Struct(f) => f.iter().map(|f| std::mem::size_of_val(f) + f.name.capacity()).sum(),
                        _ => 0,
                    }
            })
            .sum();
        add("DWARF types (without indexes)", types);
        let funcs: usize = d
            .functions
            .iter()
            .map(|f| {
                std::mem::size_of_val(f)
                    + f.name.capacity()
                    + f.locals.capacity() * 64
                    + f.closure_vars.iter().map(|v| 40 + v.0.capacity()).sum::<usize>()
                    + f.params.iter().map(|v| 32 + v.0.capacity()).sum::<usize>()
            })
            .sum();
        add("DWARF functions (approximate)", funcs);
        add("roots", self.roots.iter().map(|r| std::mem::size_of_val(r) + r.name.capacity()).sum());
        if let Some(r) = self.reverse.get() {
            add("reverse graph", r.bytes());
        }
        if let Some(l) = self.labels.get() {
            add("type labels", l.bytes());
        }
        AnalysisStats { background_phases: self.background.clone(), structures }
    }

    /// Problems met while loading (a truncated core, unread structures, ...), in the
    /// order they were found.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Each heap span as (base address, bytes), for tools that trace what is read.
    pub fn heap_spans(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        let page = self.heap.params.page_size;
        self.heap.spans.iter().map(move |s| (s.base, s.end(page) - s.base))
    }

    pub fn rt(&self) -> Rt<'_> {
        self.image.rt()
    }

    /// The object graph, built on first use when the pipeline marked without it.
    pub(crate) fn graph(&self) -> &Graph {
        self.graph.get_or_init(|| {
            let rt = self.rt();
            let mut rtypes = self.rtypes.borrow_mut();
            // The pipeline already marked this heap; what fails here (more than 4 billion
            // pointers) leaves the views that need the graph without edges.
            Graph::build(&rt, &self.heap, &mut rtypes, &mut |_| true).unwrap_or_else(|_| Graph::empty(self.heap.slot_count))
        })
    }

    pub(crate) fn is_live(&self, s: SlotId) -> bool {
        self.reach.live.get(s as usize)
    }

    fn allocated_slots(&self) -> impl Iterator<Item = SlotId> + '_ {
        self.heap.allocated.iter_ones().map(|s| s as SlotId)
    }

    /// Type label of every slot: the assigned type, or a size/pointer-shape label. A typed
    /// slot's label is its type-table entry's; only the untyped slots' labels are stored.
    pub(crate) fn labels(&self) -> (Labels<'_>, &Vec<String>) {
        let labels = self.labels.get_or_init(|| {
            let mut names: Vec<String> = self.typing.entries.iter().map(|e| e.name.clone()).collect();
            let mut index: HashMap<String, u32> = HashMap::new();
            for (i, n) in names.iter().enumerate() {
                index.entry(n.clone()).or_insert(i as u32);
            }
            // Label of each type-table entry, looked up once (not once per slot).
            let of_entry: Vec<u32> = self.typing.entries.iter().map(|e| index[&e.name]).collect();
            let mut untyped = UntypedLabels::new(self.heap.slot_count as usize, of_entry);
            let rt = self.rt();
            let mut rtypes = self.rtypes.borrow_mut();
            let mut words = Vec::new();
            for span in &self.heap.spans {
                let mut shape_cache: crate::fasthash::FastMap<Vec<u64>, u32> = Default::default();
                let bytes = if span.layout == PtrLayout::NoScan { None } else { self.heap.span_bytes(&rt, span) };
                for k in 0..span.nelems {
                    let slot = span.first_slot + k;
                    if !self.heap.allocated.get(slot as usize) || untyped.of_entry.get(self.typing.slot_type[slot as usize] as usize).is_some() {
                        continue;
                    }
                    words.clear();
                    if span.layout != PtrLayout::NoScan {
                        self.heap.for_each_pointer_word(&rt, &mut rtypes, span, k, bytes, |o| words.push(o / 8));
                    }
                    if let Some(&id) = shape_cache.get(&words) {
                        untyped.push(slot, id);
                        continue;
                    }
                    let id = *shape_cache.entry(words.clone()).or_insert_with(|| {
                        // (Objects one type fits by layout were named, as inferred, by typing.)
                        let label = unnamed_label(span.elemsize, span.layout == PtrLayout::NoScan, &words);
                        *index.entry(label.clone()).or_insert_with(|| {
                            names.push(label);
                            (names.len() - 1) as u32
                        })
                    });
                    untyped.push(slot, id);
                }
            }
            untyped.finish();
            let _ = self.label_names.set(names);
            untyped
        });
        let view = Labels { untyped: labels, slot_type: &self.typing.slot_type, allocated: &self.heap.allocated };
        (view, self.label_names.get().expect("set with labels"))
    }

    pub fn type_name(&self, s: SlotId) -> String {
        let (l, n) = self.labels();
        n.get(l[s as usize] as usize).cloned().unwrap_or_else(|| "?".into())
    }

    /// Bytes before an object's data: the malloc header of spans that have one.
    pub fn data_offset(&self, s: SlotId) -> u64 {
        if self.heap.span_of_slot(s).layout.has_malloc_header() {
            self.heap.params.malloc_header_size
        } else {
            0
        }
    }

    /// The object's address as Go code sees it: past the malloc header, if any.
    pub fn object_addr(&self, s: SlotId) -> u64 {
        self.heap.slot_addr(s) + self.data_offset(s)
    }

    pub fn slot_size(&self, s: SlotId) -> u64 {
        self.heap.span_of_slot(s).elemsize
    }

    pub fn overview(&self) -> Overview {
        let (mut lo, mut lb, mut go, mut gb) = (0, 0, 0, 0);
        let mut naming = NamingTally::default();
        // A table put together without DWARF (or a heap dump's, with none) has no functions.
        let no_dwarf = self.rt().dwarf.functions.is_empty();
        for span in &self.heap.spans {
            for k in 0..span.nelems {
                let s = span.first_slot + k;
                if !self.heap.allocated.get(s as usize) {
                    continue;
                }
                if self.is_live(s) {
                    lo += 1;
                    lb += span.elemsize;
                    naming.add(self.typing.of(s), span.layout == PtrLayout::NoScan, no_dwarf, span.elemsize);
                } else {
                    go += 1;
                    gb += span.elemsize;
                }
            }
        }
        Overview {
            go_version: self.image.go_version.clone(),
            arch: self.image.arch.go_name().to_string(),
            threads: self.image.threads,
            goroutines: self.goroutines.len() as u32,
            live_objects: lo,
            live_bytes: lb,
            garbage_objects: go,
            garbage_bytes: gb,
            warnings: self.warnings.clone(),
            named_bytes: naming.named_bytes,
            inferred_bytes: naming.inferred_bytes,
            unnamed: naming.reasons(),
            runtime_heap_marked: self.runtime_heap_marked,
            runtime_heap_alloc: self.runtime_heap_alloc,
            runtime_alloc_bytes: self.heap.runtime_alloc_bytes,
        }
    }

    fn histogram_of(&self, live: bool) -> Vec<HistogramRow> {
        let (labels, names) = self.labels();
        // (count, bytes) per label, indexed by label.
        let mut rows: Vec<(u64, u64)> = vec![(0, 0); names.len()];
        for span in &self.heap.spans {
            for k in 0..span.nelems {
                let s = span.first_slot + k;
                if !self.heap.allocated.get(s as usize) || self.is_live(s) != live {
                    continue;
                }
                if let Some(r) = rows.get_mut(labels[s as usize] as usize) {
                    r.0 += 1;
                    r.1 += span.elemsize;
                }
            }
        }
        let mut out: Vec<HistogramRow> = rows
            .into_iter()
            .enumerate()
            .filter(|(_, (count, _))| *count > 0)
            .map(|(l, (count, bytes))| HistogramRow { type_name: names[l].clone(), count, bytes, retained: None, rounding_waste: None, padding: None })
            .collect();
        out.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(b.count.cmp(&a.count)).then(a.type_name.cmp(&b.type_name)));
        out
    }

    /// Live objects grouped by type, largest total first.
    pub fn histogram(&self) -> Vec<HistogramRow> {
        self.histogram_of(true)
    }

    /// Allocated but unreachable objects grouped by type.
    pub fn garbage_histogram(&self) -> Vec<HistogramRow> {
        self.histogram_of(false)
    }

    /// Live objects whose type matches `type_regex`.
    pub fn objects(&self, type_regex: Option<&str>) -> Result<Vec<ObjectRow>, Error> {
        let re = match type_regex {
            Some(r) => Some(regex::Regex::new(r).map_err(|e| Error::NotFound(format!("bad type pattern: {e}")))?),
            None => None,
        };
        let (labels, names) = self.labels();
        let matches: Vec<bool> = names.iter().map(|n| re.as_ref().is_none_or(|re| re.is_match(n))).collect();
        Ok(self
            .allocated_slots()
            .filter(|&s| self.is_live(s) && matches[labels[s as usize] as usize])
            .map(|s| ObjectRow { addr: self.object_addr(s), type_name: names[labels[s as usize] as usize].clone(), size: self.slot_size(s) })
            .collect())
    }

    /// The slot holding `addr` and its object address (past any malloc header).
    pub(crate) fn slot_at(&self, addr: u64) -> Result<(SlotId, u64), Error> {
        let t = self
            .heap
            .find(addr)
            .ok_or_else(|| Error::NotFound(format!("no allocated heap object at {addr:#x}")))?;
        Ok((t.slot, self.object_addr(t.slot)))
    }

    /// Pointer words of a slot as (offset, value, target slot).
    pub(crate) fn pointers_of(&self, s: SlotId) -> Vec<(u64, u64, Option<SlotId>)> {
        let rt = self.rt();
        let span = self.heap.span_of_slot(s);
        let base = self.heap.slot_addr(s);
        let mut offs = Vec::new();
        self.heap.for_each_pointer_word(&rt, &mut self.rtypes.borrow_mut(), span, s - span.first_slot, None, |o| offs.push(o));
        offs.into_iter()
            .map(|o| {
                let v = rt.mem.u64(base.wrapping_add(o)).unwrap_or(0);
                (o, v, if v != 0 { self.heap.find(v).map(|t| t.slot) } else { None })
            })
            .collect()
    }

    /// Field name of byte `offset` inside slot `s`.
    pub(crate) fn field_name(&self, s: SlotId, offset: u64) -> String {
        match self.typing.of(s).and_then(|e| e.dwarf.map(|d| (d, e))) {
            Some((d, e)) => {
                let data_off = if self.heap.span_of_slot(s).layout.has_malloc_header() { self.heap.params.malloc_header_size } else { 0 };
                if offset < data_off {
                    return "<malloc header>".into();
                }
                let off = offset - data_off;
                let es = self.rt().dwarf.ty(d).size.max(1);
                if e.count > 1 {
                    let inner = self.rt().dwarf.field_path(d, off % es);
                    let inner = if inner.starts_with("+0x0") { String::new() } else { format!(".{inner}") };
                    format!("[{}]{}", off / es, inner)
                } else {
                    self.rt().dwarf.field_path(d, off)
                }
            }
            None => format!("+{offset:#x}"),
        }
    }

    pub(crate) fn reverse(&self) -> &Graph {
        self.reverse.get_or_init(|| self.graph().reverse())
    }

    fn root_info(&self, r: &Root) -> RootInfo {
        RootInfo { kind: r.kind.as_str().to_string(), name: r.name.clone() }
    }

    /// The runtime's heap-profile buckets and profile specials ([`crate::runtime::mprof`]),
    /// with the pclntab to symbolize their stacks; read on first use. An error for a heap
    /// dump, whose image holds no runtime globals.
    pub fn mem_profile(&self) -> Result<(&crate::runtime::mprof::MemProfile, &crate::formats::pclntab::Pclntab), Error> {
        let r = self.mem_profile.get_or_init(|| {
            let rt = self.rt();
            let p = crate::runtime::mprof::MemProfile::read(&rt, Some(&self.heap))?;
            let t = crate::formats::pclntab::Pclntab::new(&rt)?;
            Ok((p, t))
        });
        match r {
            Ok((p, t)) => Ok((p, t)),
            Err(e) => Err(e.clone()),
        }
    }

    /// The heap profile the process would have served at `/debug/pprof/heap` when the core
    /// was taken ([`crate::pprof::heap_profile`]), with notes on what it rests on.
    pub fn heap_profile(&self, opts: &crate::pprof::HeapProfileOptions) -> Result<(crate::pprof::proto::Profile, Vec<String>), Error> {
        if self.dump_alloc_stacks.is_some() {
            return Err(Error::Unsupported(
                "a heap dump does not hold what runtime/pprof would write: its memprof records (kind 16) give each bucket's published counts and its frames as (physical function, file, line), but neither runtime.MemProfileRate (to unsample the counts) nor the stack PCs (pprof's locations and inlined frames); pprof reads the profile from a core, and pprof --retention works on a heap dump".into(),
            ));
        }
        let (p, t) = self.mem_profile()?;
        let rt = self.rt();
        let mut notes: Vec<String> = p.warnings().to_vec();
        if p.rate() == 0 {
            let disabled = rt.global("runtime.disableMemoryProfiling").ok().and_then(|a| rt.mem.u8(a).ok()).is_some_and(|v| v != 0);
            notes.push(if disabled {
                "runtime.MemProfileRate is 0: the program does not link runtime.MemProfile (runtime.disableMemoryProfiling), so nothing was sampled".into()
            } else {
                "runtime.MemProfileRate is 0: the program turned heap profiling off".into()
            });
        }
        let fma = match crate::pprof::read_use_fma(&rt) {
            Some(f) => f,
            None => {
                notes.push("math.useFMA not found: unsampled with the FMA path of math.Exp (values may differ by one from the process's own)".into());
                true
            }
        };
        Ok((crate::pprof::heap_profile(&rt, t, p, fma, opts), notes))
    }

    /// The allocation stack of a sampled object (one with a profile special, object base
    /// `addr`): its logical frames, innermost first, the leading runtime frames hidden, as
    /// `runtime/pprof` shows them.
    /// `None` when the object was not sampled.
    pub fn allocation_stack(&self, addr: u64) -> Option<Vec<StackFrame>> {
        if let Some(d) = &self.dump_alloc_stacks {
            // A heap dump: its records' frames, the same runtime frames hidden.
            return Some(dump_stack_shown(d.stack_of(addr)?));
        }
        let (p, t) = self.mem_profile().ok()?;
        let b = p.bucket_of_object(addr)?;
        Some(self.bucket_stack(p, t, b))
    }

    /// The stack of profile bucket `b` as [`Analysis::allocation_stack`] shows it.
    pub(crate) fn bucket_stack(&self, p: &crate::runtime::mprof::MemProfile, t: &crate::formats::pclntab::Pclntab, b: u32) -> Vec<StackFrame> {
        let rt = self.rt();
        let mut out = Vec::new();
        let stk = p.stack(b);
        // The leading runtime frames (mallocgc and its callers inside the runtime) hidden,
        // as runtime/pprof's writeHeapProto hides them, unless the stack is all runtime.
        let is_runtime = |pc: u64| {
            t.find_func(pc).is_some_and(|f| {
                let n = t.src_frame(rt.mem, &f, pc).function;
                n.starts_with("runtime.") || n.starts_with("internal/runtime/")
            })
        };
        let stk = match stk.iter().position(|&pc| !is_runtime(pc)) {
            Some(i) => &stk[i..],
            None => stk,
        };
        for &pc in stk {
            let look = pc.wrapping_sub(1);
            match t.find_func(look) {
                Some(f) => {
                    let sf = t.src_frame(rt.mem, &f, look);
                    // runtime/pprof drops the goroutine's bottom frame (allFrames).
                    if sf.function == "runtime.goexit" {
                        continue;
                    }
                    out.push(StackFrame { function: sf.function, file: sf.file, line: sf.line });
                }
                None => out.push(StackFrame { function: format!("{pc:#x}"), file: "?".into(), line: 0 }),
            }
        }
        out
    }

    /// Everything about one object.
    pub fn object(&self, addr: u64) -> Result<ObjectDetail, Error> {
        let (s, base) = self.slot_at(addr)?;
        let rt = self.rt();
        let span = self.heap.span_of_slot(s);
        let size = span.elemsize;
        let hdr = self.data_offset(s);
        let bytes = rt.mem.bytes(base, (size.saturating_sub(hdr) as usize).min(MAX_OBJECT_BYTES)).map(|b| b.into_owned()).unwrap_or_default();
        let ptrs = self.pointers_of(s);
        let outbound = ptrs
            .iter()
            .filter_map(|&(o, v, t)| {
                let t = t?;
                let tb = self.object_addr(t);
                Some(PointerRef {
                    addr: tb,
                    type_name: self.type_name(t),
                    field: self.field_name(s, o),
                    offset: o.saturating_sub(hdr),
                    target_offset: v.wrapping_sub(tb),
                })
            })
            .collect();
        let mut inbound = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for &src in self.reverse().out(s) {
            if !seen.insert(src) {
                continue;
            }
            let sb = self.object_addr(src);
            let src_hdr = self.data_offset(src);
            for (o, v, t) in self.pointers_of(src) {
                if t == Some(s) {
                    inbound.push(PointerRef {
                        addr: sb,
                        type_name: self.type_name(src),
                        field: self.field_name(src, o),
                        offset: o.saturating_sub(src_hdr),
                        target_offset: v.wrapping_sub(base),
                    });
                }
            }
        }
        let root_refs = self
            .roots
            .iter()
            .filter(|r| self.heap.find(r.value).map(|t| t.slot) == Some(s) && !r.scans_only())
            .map(|r| self.root_info(r))
            .collect();
        let fields = match self.typing.of(s).and_then(|e| e.dwarf.map(|d| (d, e.count))) {
            Some((d, count)) => {
                let mut budget = MAX_FIELDS;
                if count > 1 {
                    let es = rt.dwarf.ty(d).size;
                    (0..count.min(256))
                        .map(|i| self.field_tree(format!("[{i}]"), d, base.wrapping_add(i * es), i * es, &mut budget, 0))
                        .collect()
                } else {
                    vec![self.field_tree(String::new(), d, base, 0, &mut budget, 0)]
                        .into_iter()
                        .flat_map(|f| if f.children.is_empty() { vec![f] } else { f.children })
                        .collect()
                }
            }
            None => Vec::new(),
        };
        Ok(ObjectDetail {
            addr: base,
            type_name: self.type_name(s),
            size,
            size_class: span.sizeclass as u32,
            live: self.is_live(s),
            fields,
            bytes,
            pointer_offsets: ptrs.iter().map(|p| p.0.saturating_sub(hdr)).collect(),
            outbound,
            inbound,
            root_refs,
            retained: self.dom().retained[s as usize],
            requested: self.cost(s).0,
            rounding_waste: size.saturating_sub(self.cost(s).0),
            padding: self.cost(s).1,
            dominators: self.dom().chain(s).into_iter().map(|d| self.dom_ref(d)).collect(),
            allocated_at: self.allocation_stack(base),
        })
    }

    /// (requested bytes, padding bytes) of a slot: type size × count plus the malloc
    /// header; the slot size (and no padding) when the type is unknown.
    pub fn cost(&self, s: SlotId) -> (u64, u64) {
        let size = self.slot_size(s);
        match self.typing.of(s).and_then(|e| e.dwarf.map(|d| (d, e.count))) {
            Some((d, count)) => {
                let dw = self.rt().dwarf;
                let requested = (dw.ty(d).size.saturating_mul(count) + self.data_offset(s)).min(size);
                (requested, dw.padding(d).saturating_mul(count))
            }
            None => (size, 0),
        }
    }

    /// Live histogram with size-class rounding waste and struct padding per type.
    pub fn histogram_cost(&self) -> Vec<HistogramRow> {
        let (labels, names) = self.labels();
        let mut per: HashMap<u32, (u64, u64)> = HashMap::new();
        for s in self.reach.live.iter_ones() {
            let (req, pad) = self.cost(s as SlotId);
            let e = per.entry(labels[s]).or_default();
            e.0 += self.slot_size(s as SlotId).saturating_sub(req);
            e.1 += pad;
        }
        let mut index: HashMap<&str, u32> = HashMap::new();
        for (i, n) in names.iter().enumerate() {
            index.entry(n.as_str()).or_insert(i as u32);
        }
        let mut rows = self.histogram();
        for r in &mut rows {
            let c = index.get(r.type_name.as_str()).and_then(|i| per.get(i)).copied().unwrap_or_default();
            r.rounding_waste = Some(c.0);
            r.padding = Some(c.1);
        }
        rows
    }

    /// The dominator tree and retained sizes, computed on first use.
    pub fn dom(&self) -> &crate::graph::retained::Retained {
        self.retained.get_or_init(|| crate::graph::retained::Retained::build(&self.heap, self.graph(), &self.roots))
    }

    fn dom_ref(&self, s: SlotId) -> DominatorRef {
        DominatorRef { addr: self.object_addr(s), type_name: self.type_name(s), retained: self.dom().retained[s as usize] }
    }

    /// Live histogram with each type's retained bytes.
    pub fn histogram_retained(&self) -> Vec<HistogramRow> {
        let (labels, names) = self.labels();
        let by_label = self.dom().by_label(|s| labels[s as usize], names.len());
        // Labels use the first entry of a name (several DWARF types can print alike).
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, n) in names.iter().enumerate() {
            index.entry(n.as_str()).or_insert(i);
        }
        let mut rows = self.histogram();
        for r in &mut rows {
            r.retained = index.get(r.type_name.as_str()).map(|&i| by_label[i]);
        }
        rows.sort_by(|a, b| b.retained.cmp(&a.retained).then(b.bytes.cmp(&a.bytes)).then(a.type_name.cmp(&b.type_name)));
        rows
    }

    fn dom_node(&self, s: SlotId) -> DominatorNode {
        let d = self.dom();
        DominatorNode {
            addr: self.object_addr(s),
            type_name: self.type_name(s),
            size: self.slot_size(s),
            retained: d.retained[s as usize],
            child_count: d.children_of(Some(s)).count() as u64,
        }
    }

    /// The dominator-tree children of `slot` (`None`: the roots), largest retained first,
    /// at most `width`.
    fn dom_children(&self, slot: Option<SlotId>, width: usize) -> Vec<SlotId> {
        let d = self.dom();
        let mut kids: Vec<SlotId> = d.children_of(slot).collect();
        kids.sort_by_key(|&c| std::cmp::Reverse(d.retained[c as usize]));
        kids.truncate(width);
        kids
    }

    /// The top of the dominator tree in preorder: objects directly under the roots, largest
    /// retained first, `depth` levels deep, at most `width` children per node. Walked with an
    /// explicit stack (a linked list makes a chain as deep as it is long); each object
    /// appears at most once, so the list is no longer than the live heap.
    pub fn dominator_tree(&self, depth: u32, width: usize) -> Vec<DominatorTreeRow> {
        let mut rows = Vec::new();
        if depth == 0 {
            return rows;
        }
        // (slot, its depth, its parent's row); children pushed in reverse so that the
        // largest is listed first.
        let mut stack: Vec<(SlotId, u32, Option<u32>)> =
            self.dom_children(None, width).into_iter().rev().map(|c| (c, 0, None)).collect();
        while let Some((s, level, parent)) = stack.pop() {
            let row = rows.len() as u32;
            rows.push(DominatorTreeRow { node: self.dom_node(s), depth: level, parent });
            if level + 1 < depth {
                stack.extend(self.dom_children(Some(s), width).into_iter().rev().map(|c| (c, level + 1, Some(row))));
            }
        }
        rows
    }

    /// Children of one object in the dominator tree, largest retained first.
    pub fn dominator_children(&self, addr: u64, width: usize) -> Result<Vec<DominatorNode>, Error> {
        let (s, _) = self.slot_at(addr)?;
        Ok(self.dom_children(Some(s), width).into_iter().map(|c| self.dom_node(c)).collect())
    }

    /// Leak suspects: objects and types retaining at least `threshold` (0.10 = 10%) of
    /// the live heap, each with its accumulation point and a path from a root.
    pub fn suspects(&self, threshold: f64) -> Vec<Suspect> {
        let d = self.dom();
        let total = d.total_live.max(1);
        let limit = (total as f64 * threshold) as u64;
        let mut out = Vec::new();
        let mut covered: Vec<SlotId> = Vec::new();
        let mut objects: Vec<SlotId> = d.preorder().iter().copied().filter(|&s| d.retained[s as usize] >= limit).collect();
        // Keep the topmost suspects: an object inside another suspect's subtree adds nothing.
        objects.sort_by_key(|&s| (std::cmp::Reverse(d.retained[s as usize]), d.enter_time(s)));
        for s in objects {
            if covered.iter().any(|&a| d.dominates(a, s)) {
                continue;
            }
            covered.push(s);
            let (acc, kids) = d.accumulation_point(s);
            out.push(Suspect {
                kind: "object".into(),
                name: self.type_name(s),
                addr: self.object_addr(s),
                retained: d.retained[s as usize],
                percent: 100.0 * d.retained[s as usize] as f64 / total as f64,
                instances: 1,
                accumulation: Some(self.dom_ref(acc)),
                accumulation_children: kids,
                path: self.path(self.object_addr(s)).ok(),
            });
        }
        let (labels, names) = self.labels();
        let by_label = d.by_label(|s| labels[s as usize], names.len());
        let mut counts = vec![0u64; names.len()];
        let mut largest: Vec<Option<SlotId>> = vec![None; names.len()];
        for &s in d.preorder() {
            let l = labels[s as usize] as usize;
            counts[l] += 1;
            if largest[l].is_none_or(|b| d.retained[s as usize] > d.retained[b as usize]) {
                largest[l] = Some(s);
            }
        }
        for (l, &r) in by_label.iter().enumerate() {
            // Many small instances adding up: a type is a suspect on its own only when no
            // single instance already is.
            if r < limit || counts[l] < 2 {
                continue;
            }
            let Some(big) = largest[l] else { continue };
            if d.retained[big as usize] >= limit {
                continue;
            }
            let common = self.common_dominator(labels, l as u32);
            let (acc, kids) = match common {
                Some(c) => d.accumulation_point(c),
                None => (big, 0),
            };
            out.push(Suspect {
                kind: "type".into(),
                name: names[l].clone(),
                addr: self.object_addr(big),
                retained: r,
                percent: 100.0 * r as f64 / total as f64,
                instances: counts[l],
                accumulation: common.map(|_| self.dom_ref(acc)),
                accumulation_children: kids,
                path: self.path(self.object_addr(common.unwrap_or(big))).ok(),
            });
        }
        out.sort_by(|a, b| b.retained.cmp(&a.retained));
        out
    }

    /// The deepest object that dominates every instance of label `l`, if any: the common
    /// dominator of the instances first and last in dominator-tree order.
    fn common_dominator(&self, labels: Labels<'_>, l: u32) -> Option<SlotId> {
        let d = self.dom();
        let instances = d.preorder().iter().copied().filter(|&s| labels[s as usize] == l);
        let (first, last) = instances.fold((None::<SlotId>, None::<SlotId>), |(lo, hi), s| {
            let t = d.enter_time(s);
            (
                Some(lo.map_or(s, |x| if d.enter_time(x) <= t { x } else { s })),
                Some(hi.map_or(s, |x| if d.enter_time(x) >= t { x } else { s })),
            )
        });
        d.common_dominator(first?, last?)
    }

    /// What becomes garbage if the object at `addr` were unreachable, or, with `field`,
    /// if that pointer field of it were nil.
    pub fn whatif(&self, addr: u64, field: Option<&str>) -> Result<WhatIf, Error> {
        let (s, base) = self.slot_at(addr)?;
        if !self.is_live(s) {
            return Err(Error::NotFound(format!("object {addr:#x} is already garbage")));
        }
        let cut = match field {
            None => None,
            Some(f) => {
                let ptrs: Vec<(u64, u64, Option<SlotId>)> = self.pointers_of(s).into_iter().filter(|p| p.2.is_some()).collect();
                let k = ptrs
                    .iter()
                    .position(|p| self.field_name(s, p.0) == f)
                    .ok_or_else(|| Error::NotFound(format!("object {addr:#x} has no heap pointer field named {f}")))?;
                Some((s, k))
            }
        };
        let live = crate::graph::retained::mark_without(&self.heap, self.graph(), &self.roots, cut, if field.is_none() { Some(s) } else { None });
        let (labels, names) = self.labels();
        let mut rows: HashMap<u32, (u64, u64)> = HashMap::new();
        let (mut objects, mut bytes) = (0, 0);
        for x in self.reach.live.iter_ones() {
            if !live.get(x) {
                let size = self.slot_size(x as SlotId);
                objects += 1;
                bytes += size;
                let r = rows.entry(labels[x]).or_default();
                r.0 += 1;
                r.1 += size;
            }
        }
        let mut freed_types: Vec<HistogramRow> = rows
            .into_iter()
            .map(|(l, (count, b))| HistogramRow { type_name: names[l as usize].clone(), count, bytes: b, retained: None, rounding_waste: None, padding: None })
            .collect();
        freed_types.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.type_name.cmp(&b.type_name)));
        Ok(WhatIf { addr: base, field: field.unwrap_or("").to_string(), freed_objects: objects, freed_bytes: bytes, freed_types })
    }

    fn field_tree(&self, name: String, ty: TypeId, addr: u64, offset: u64, budget: &mut usize, depth: u32) -> FieldValue {
        let rt = self.rt();
        let d = rt.dwarf;
        let t = d.ty(ty);
        let u = d.underlying(ty);
        let mut fv = FieldValue {
            name,
            type_name: crate::runtime::typing::display_name(d, ty),
            offset,
            size: t.size,
            value: String::new(),
            points_to: None,
            children: Vec::new(),
        };
        if *budget == 0 {
            return fv;
        }
        *budget -= 1;
        match (&d.ty(u).shape, t.go_kind) {
            (_, crate::formats::dwarf::kind::STRING) => {
                let len = rt.mem.u64(addr.wrapping_add(8)).unwrap_or(0);
                fv.value = match rt.string(addr, 64) {
                    Ok(s) if len > 64 => format!("{s:?}… ({len} bytes)"),
                    Ok(s) => format!("{s:?}"),
                    Err(_) => "<unreadable>".into(),
                };
                let p = rt.mem.u64(addr).unwrap_or(0);
                fv.points_to = self.heap.find(p).map(|t| self.object_addr(t.slot));
            }
            (Shape::Struct(fields), _) if depth < 8 => {
                for f in fields.clone() {
                    fv.children.push(self.field_tree(f.name.clone(), f.ty, addr.wrapping_add(f.offset), offset.wrapping_add(f.offset), budget, depth + 1));
                }
            }
            (Shape::Array { elem, len }, _) if depth < 8 => {
                let es = d.ty(*elem).size;
                for i in 0..(*len).min(64) {
                    fv.children.push(self.field_tree(format!("[{i}]"), *elem, addr.wrapping_add(i * es), offset.wrapping_add(i * es), budget, depth + 1));
                }
            }
            (Shape::Pointer(_), _) | (Shape::Func, _) => {
                let p = rt.mem.u64(addr).unwrap_or(0);
                fv.value = format!("{p:#x}");
                fv.points_to = self.heap.find(p).map(|t| self.object_addr(t.slot));
            }
            (Shape::Base(enc), _) => {
                let v = rt.mem.uint(addr, t.size.min(8)).unwrap_or(0);
                fv.value = match (*enc, t.size) {
                    (0x02, _) => (v != 0).to_string(),
                    (0x04, 8) => f64::from_bits(v).to_string(),
                    (0x04, 4) => f32::from_bits(v as u32).to_string(),
                    (0x05, n) => {
                        let shift = 64 - 8 * n.min(8);
                        (((v << shift) as i64) >> shift).to_string()
                    }
                    _ => v.to_string(),
                };
            }
            _ => {}
        }
        fv
    }

    /// One shortest path from a root to the object at `addr`.
    pub fn path(&self, addr: u64) -> Result<RootPath, Error> {
        let (s, _) = self.slot_at(addr)?;
        if !self.is_live(s) {
            return Err(Error::NotFound(format!("object {addr:#x} is not reachable from any root (garbage)")));
        }
        let mut chain = vec![s];
        let mut cur = s;
        let root_idx;
        loop {
            let p = self.reach.parent[cur as usize];
            if p == NO_PARENT {
                return Err(Error::NotFound(format!("no path recorded for {addr:#x}")));
            }
            if p & ROOT_FLAG != 0 && p != NO_PARENT {
                root_idx = (p & !ROOT_FLAG) as usize;
                break;
            }
            chain.push(p);
            cur = p;
            if chain.len() > self.heap.slot_count as usize {
                return Err(Error::Malformed("cycle in BFS parents".into()));
            }
        }
        chain.reverse();
        let root = &self.roots[root_idx];
        let mut hops = Vec::with_capacity(chain.len());
        for (i, &c) in chain.iter().enumerate() {
            let field = if i == 0 {
                if root.scans_only() {
                    let fin = self.heap.find(root.value).map(|t| t.slot);
                    fin.and_then(|f| self.pointers_of(f).into_iter().find(|p| p.2 == Some(c)).map(|p| self.field_name(f, p.0)))
                        .unwrap_or_default()
                } else {
                    root.name.clone()
                }
            } else {
                let prev = chain[i - 1];
                self.pointers_of(prev).into_iter().find(|p| p.2 == Some(c)).map(|p| self.field_name(prev, p.0)).unwrap_or_default()
            };
            hops.push(PathHop { addr: self.object_addr(c), type_name: self.type_name(c), field });
        }
        Ok(RootPath { root: self.root_info(root), hops })
    }

    /// Goroutines with their frames (inlined calls expanded, as Go's tracebacks show them)
    /// and the heap objects each frame's live slots point to.
    pub fn goroutines(&self) -> Vec<GoroutineInfo> {
        self.goroutines
            .iter()
            .map(|g| {
                let mut frames = Vec::new();
                for f in &g.frames {
                    for i in &f.inlined {
                        frames.push(FrameInfo {
                            function: i.function.clone(),
                            file: i.file.clone(),
                            line: i.line,
                            pc: f.pc,
                            sp: f.sp,
                            locals: Vec::new(),
                        });
                    }
                    let locals = f
                        .slots
                        .iter()
                        .filter_map(|s| {
                            let t = self.heap.find(s.value)?;
                            Some(LocalPointer { name: s.name.clone(), addr: self.object_addr(t.slot), type_name: self.type_name(t.slot) })
                        })
                        .collect();
                    frames.push(FrameInfo { function: f.function.clone(), file: f.file.clone(), line: f.line, pc: f.pc, sp: f.sp, locals });
                }
                GoroutineInfo {
                    id: g.id,
                    status: g.status.clone(),
                    wait_reason: g.wait_reason.clone(),
                    frames,
                    stack_bytes: g.stack_hi.saturating_sub(g.stack_lo),
                }
            })
            .collect()
    }

    /// Where the process's memory goes.
    pub fn breakdown(&self) -> Breakdown {
        let ov = self.overview();
        let page = self.heap.params.page_size;
        let mut free_slots = 0;
        let mut tail = 0;
        let mut rounding = 0;
        for span in &self.heap.spans {
            tail += span.npages.saturating_mul(page).saturating_sub(span.elemsize.saturating_mul(span.nelems as u64));
            for k in 0..span.nelems {
                let s = span.first_slot + k;
                if !self.heap.allocated.get(s as usize) {
                    free_slots += span.elemsize;
                } else if self.is_live(s) {
                    if let Some(e) = self.typing.of(s) {
                        if let Some(d) = e.dwarf {
                            let hdr = if span.layout.has_malloc_header() { self.heap.params.malloc_header_size } else { 0 };
                            let used = self.rt().dwarf.ty(d).size.saturating_mul(e.count).saturating_add(hdr);
                            rounding += span.elemsize.saturating_sub(used);
                        }
                    }
                }
            }
        }
        let mut entries = vec![
            BreakdownEntry { name: "heap/live".into(), bytes: ov.live_bytes },
            BreakdownEntry { name: "heap/garbage".into(), bytes: ov.garbage_bytes },
            BreakdownEntry { name: "heap/free-slots".into(), bytes: free_slots },
            BreakdownEntry { name: "heap/span-tail-waste".into(), bytes: tail },
            BreakdownEntry { name: "heap/live/size-class-rounding (typed objects)".into(), bytes: rounding },
        ];
        let mut others: Vec<_> = self.heap.other_span_bytes.iter().collect();
        others.sort();
        for (k, v) in others {
            let name = if k.starts_with("manual") { "stacks-and-runtime-spans".to_string() } else { format!("heap/{k}-spans (free or released)") };
            entries.push(BreakdownEntry { name, bytes: *v });
        }
        let stack_bytes: u64 = self.goroutines.iter().map(|g| g.stack_hi.saturating_sub(g.stack_lo)).fold(0, u64::saturating_add);
        entries.push(BreakdownEntry { name: "stacks/goroutines".into(), bytes: stack_bytes });
        // runtime/mstats.go: the runtime's own accounting of off-heap memory it obtained.
        let rt = self.rt();
        if let Ok(ms) = rt.global("runtime.memstats") {
            for (field, name) in [
                ("mspan_sys", "runtime-metadata/mspan"),
                ("mcache_sys", "runtime-metadata/mcache"),
                ("buckhash_sys", "runtime-metadata/profiling-buckets"),
                ("gcMiscSys", "runtime-metadata/gc"),
                ("other_sys", "runtime-metadata/other"),
            ] {
                if let Some(off) = rt.off_opt("runtime.mstats", field) {
                    if let Ok(v) = rt.mem.u64(ms.wrapping_add(off)) {
                        entries.push(BreakdownEntry { name: name.into(), bytes: v });
                    }
                }
            }
        }
        entries.push(BreakdownEntry { name: "mapped/total".into(), bytes: self.image.mapped_bytes });
        Breakdown { entries }
    }

    /// Looks up the DWARF type named `name` (for tests and tools).
    pub fn dwarf_type(&self, name: &str) -> Option<TypeId> {
        self.rt().dwarf.type_by_name(name)
    }
}

/// A heap dump's recorded allocation stack as [`Analysis::allocation_stack`] shows it: the
/// leading runtime frames hidden (as `runtime/pprof` hides them), `runtime.goexit` dropped.
pub(crate) fn dump_stack_shown(stk: &[StackFrame]) -> Vec<StackFrame> {
    let is_runtime = |f: &StackFrame| f.function.starts_with("runtime.") || f.function.starts_with("internal/runtime/");
    let start = stk.iter().position(|f| !is_runtime(f)).unwrap_or(0);
    stk[start..].iter().filter(|f| f.function != "runtime.goexit").cloned().collect()
}

/// Whether a type label is a Go type name (as `reflect` or DWARF spell it) rather than a
/// placeholder: `<unnamed ...>` fallbacks and `<anonymous>` DWARF types are not names.
pub fn is_real_type_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('<') && !name.contains("<anonymous>")
}

/// Live bytes by naming outcome, for [`Analysis::overview`].
#[derive(Default)]
struct NamingTally {
    named_bytes: u64,
    inferred_bytes: u64,
    /// (reason, objects, bytes), in first-seen order.
    unnamed: Vec<(&'static str, u64, u64)>,
}

impl NamingTally {
    fn add(&mut self, entry: Option<&crate::runtime::typing::TypeEntry>, noscan: bool, no_dwarf: bool, bytes: u64) {
        let reason = match entry {
            Some(e) if is_real_type_name(&e.name) => {
                self.named_bytes += bytes;
                return;
            }
            Some(e) if e.name.starts_with(crate::runtime::inference::INFERRED_PREFIX) => {
                self.inferred_bytes += bytes;
                return;
            }
            Some(_) => "typed, but the type has no name (anonymous DWARF type or placeholder)",
            None if no_dwarf && noscan => "no DWARF, and no allocation header, runtime type, interface word, method receiver or closure reached it: noscan objects",
            None if no_dwarf => "no DWARF, and no allocation header, runtime type, interface word, method receiver or closure reached it: objects with pointers",
            None if noscan => "no typed root or pointer reached it: noscan objects (no pointers to follow)",
            None => "no typed root or pointer reached it: objects with pointers",
        };
        match self.unnamed.iter_mut().find(|r| r.0 == reason) {
            Some(r) => {
                r.1 += 1;
                r.2 += bytes;
            }
            None => self.unnamed.push((reason, 1, bytes)),
        }
    }

    /// Reasons, largest first.
    fn reasons(&self) -> Vec<UnnamedReason> {
        let mut out: Vec<UnnamedReason> =
            self.unnamed.iter().map(|&(r, objects, bytes)| UnnamedReason { reason: r.to_string(), objects, bytes }).collect();
        out.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.reason.cmp(&b.reason)));
        out
    }
}

/// Label of an object no type reached: size class and pointer words.
fn unnamed_label(size: u64, noscan: bool, words: &[u64]) -> String {
    if noscan {
        return format!("<unnamed {size}B noscan>");
    }
    if words.is_empty() {
        return format!("<unnamed {size}B no pointers>");
    }
    let shown: Vec<String> = words.iter().take(8).map(|w| (w * 8).to_string()).collect();
    let more = if words.len() > 8 { format!(",+{}", words.len() - 8) } else { String::new() };
    format!("<unnamed {size}B ptrs@{}{more}>", shown.join(","))
}

/// The labels of the allocated slots that have no type-table entry, stored for those slots
/// only, in slot order, and found by rank in a bit set of them: a per-slot label array would
/// repeat [`Typing`]'s slot types for every typed slot (3.5 M slots on a compiler core).
pub(crate) struct UntypedLabels {
    /// Label of each type-table entry.
    of_entry: Vec<u32>,
    /// Bit set of the untyped allocated slots, 64 slots a word.
    words: Vec<u64>,
    /// Untyped slots before each word of `words` (set by `finish`).
    rank: Vec<u32>,
    /// Label of each untyped slot, in slot order.
    labels: Vec<u32>,
}

impl UntypedLabels {
    fn new(slots: usize, of_entry: Vec<u32>) -> UntypedLabels {
        UntypedLabels { of_entry, words: vec![0; slots.div_ceil(64)], rank: Vec::new(), labels: Vec::new() }
    }

    /// Records the label of the next untyped slot; slots come in increasing order.
    fn push(&mut self, slot: SlotId, label: u32) {
        if let Some(w) = self.words.get_mut(slot as usize / 64) {
            *w |= 1 << (slot % 64);
            self.labels.push(label);
        }
    }

    fn finish(&mut self) {
        let mut n = 0u32;
        self.rank = self
            .words
            .iter()
            .map(|w| {
                let r = n;
                n += w.count_ones();
                r
            })
            .collect();
        self.labels.shrink_to_fit();
    }

    /// The untyped slot's label, `None` for a slot that is typed or not allocated.
    #[inline]
    fn get(&self, slot: usize) -> Option<&u32> {
        let (w, bit) = (*self.words.get(slot / 64)?, slot % 64);
        if w >> bit & 1 == 0 {
            return None;
        }
        let below = (w & ((1u64 << bit) - 1)).count_ones();
        self.labels.get((self.rank[slot / 64] + below) as usize)
    }

    fn bytes(&self) -> usize {
        (self.of_entry.capacity() + self.rank.capacity() + self.labels.capacity()) * 4 + self.words.capacity() * 8
    }
}

/// The type label of every slot, indexed by slot: its type-table entry's label when it is
/// typed, its size/pointer-shape label when not, `u32::MAX` for a free slot.
#[derive(Clone, Copy)]
pub(crate) struct Labels<'a> {
    untyped: &'a UntypedLabels,
    slot_type: &'a [u32],
    allocated: &'a crate::bitset::BitSet,
}

impl std::ops::Index<usize> for Labels<'_> {
    type Output = u32;

    #[inline]
    fn index(&self, slot: usize) -> &u32 {
        const FREE: u32 = u32::MAX;
        if !self.allocated.get(slot) {
            return &FREE;
        }
        if let Some(l) = self.slot_type.get(slot).and_then(|&e| self.untyped.of_entry.get(e as usize)) {
            return l;
        }
        self.untyped.get(slot).unwrap_or(&FREE)
    }
}

#[cfg(test)]
mod naming_tests {
    use super::*;

    #[test]
    fn labels_of_typed_untyped_and_free_slots() {
        // Slots 0..200: 3 and 70 typed (entries 0 and 1), 5, 64, 65, 130 and 199 untyped,
        // the rest free.
        let mut allocated = crate::bitset::BitSet::new(200);
        let mut slot_type = vec![crate::runtime::typing::UNTYPED; 200];
        (slot_type[3], slot_type[70]) = (0, 1);
        let untyped = [(5, 7), (64, 8), (65, 7), (130, 9), (199, 10)];
        let mut u = UntypedLabels::new(200, vec![4, 2]);
        for s in [3, 70] {
            allocated.set(s);
        }
        for (s, l) in untyped {
            allocated.set(s as usize);
            u.push(s, l);
        }
        u.finish();
        let labels = Labels { untyped: &u, slot_type: &slot_type, allocated: &allocated };
        assert_eq!((labels[3], labels[70]), (4, 2));
        for (s, l) in untyped {
            assert_eq!(labels[s as usize], l, "slot {s}");
        }
        for s in [0, 4, 6, 63, 66, 129, 131, 198, 200, 1000] {
            assert_eq!(labels[s], u32::MAX, "slot {s}");
        }
    }

    #[test]
    fn fallback_labels_are_not_type_names() {
        for name in ["main.T", "[8]*int", "map.group[string]int", "closure main.f.func1", "string"] {
            assert!(is_real_type_name(name), "{name}");
        }
        for name in ["<unnamed 48B ptrs@16>", "<unnamed 16B noscan>", "<anonymous>", "[4]<anonymous>", ""] {
            assert!(!is_real_type_name(name), "{name}");
        }
    }

    #[test]
    fn tally_splits_named_and_reasons() {
        let named = crate::runtime::typing::TypeEntry { name: "main.T".into(), dwarf: None, count: 1 };
        let anon = crate::runtime::typing::TypeEntry { name: "<anonymous>".into(), dwarf: None, count: 1 };
        let mut t = NamingTally::default();
        t.add(Some(&named), false, false, 64);
        t.add(Some(&anon), false, false, 40);
        t.add(None, true, false, 16);
        t.add(None, true, false, 16);
        t.add(None, false, true, 8);
        let inferred = crate::runtime::typing::TypeEntry { name: crate::runtime::inference::inferred_label("main.T"), dwarf: None, count: 1 };
        t.add(Some(&inferred), false, true, 24);
        assert_eq!(t.named_bytes, 64);
        assert_eq!(t.inferred_bytes, 24, "inferred names are tallied apart, never as named or unnamed");
        let r = t.reasons();
        assert_eq!(r.iter().map(|r| r.bytes).sum::<u64>(), 80);
        assert_eq!((r[0].objects, r[0].bytes), (1, 40));
        assert_eq!((r[1].objects, r[1].bytes), (2, 16 * 2));
        assert!(r[2].reason.starts_with("no DWARF"));
    }
}
