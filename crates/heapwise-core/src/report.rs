//! Plain serde report types: what the CLI prints with `--json` and what the browser worker
//! posts to the page. Every view of the product is a thin layer over these.

use serde::{Deserialize, Serialize};

/// `overview`: the process at a glance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Overview {
    pub go_version: String,
    pub arch: String,
    pub threads: u32,
    pub goroutines: u32,
    pub live_objects: u64,
    pub live_bytes: u64,
    pub garbage_objects: u64,
    pub garbage_bytes: u64,
    /// Problems found while loading that did not stop the analysis (truncated core, ...).
    pub warnings: Vec<String>,
    /// Live bytes whose objects carry a real Go type name (from DWARF, a malloc header,
    /// `largeType`, runtime type metadata or propagation); fallback labels such as
    /// `<unnamed 48B ptrs@16>` and names inferred by layout do not count.
    #[serde(default)]
    pub named_bytes: u64,
    /// Live bytes named only by layout inference (one type of the binary fits the object's
    /// size and pointer words); reported apart, never counted as named.
    #[serde(default)]
    pub inferred_bytes: u64,
    /// Why the rest is unnamed: one row per reason, largest first.
    #[serde(default)]
    pub unnamed: Vec<UnnamedReason>,
    /// The runtime's own figure, from a core: the bytes of heap objects the last completed
    /// GC marked (`gcController.heapMarked`, runtime/mgcpacer.go, less the objects with
    /// finalizers that count holds twice). When nothing was allocated since that GC it
    /// equals `live_bytes + garbage_bytes` (objects dropped since are garbage now, but were
    /// marked). `None` for heap dumps, or a core without the field.
    #[serde(default)]
    pub runtime_heap_marked: Option<u64>,
    /// The runtime's own figure, from a heap dump: `MemStats.HeapAlloc` of its memstats
    /// record (runtime/heapdump.go `dumpmemstats`), the bytes of every allocated heap
    /// object when the dump was written; it equals `live_bytes + garbage_bytes`.
    /// `None` for cores, or a dump without that record.
    #[serde(default)]
    pub runtime_heap_alloc: Option<u64>,
    /// The runtime's own figure, from a core: the bytes of every allocated heap object when
    /// the core was taken, by its per-span counts (`mspan.allocCount` × `elemsize` over the
    /// in-use spans). It equals `live_bytes + garbage_bytes`; `runtime_heap_marked` does not
    /// count objects allocated since the last GC, and Go 1.26+'s Green Tea marking can count
    /// a small noscan object twice when two mark workers race to mark it
    /// (runtime/mgcmark_greenteagc.go `tryDeferToSpanScan` tests and sets its mark bit
    /// separately). `None` for heap dumps, or a core without the field.
    #[serde(default)]
    pub runtime_alloc_bytes: Option<u64>,
}

/// Live objects left without a type name, grouped by the reason.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UnnamedReason {
    /// In words: "no DWARF and no runtime type reaches it", "unsupported shape: ...".
    pub reason: String,
    pub objects: u64,
    pub bytes: u64,
}

/// One `histogram` row: all live objects of one type.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistogramRow {
    #[serde(rename = "type")]
    pub type_name: String,
    pub count: u64,
    /// Sum of the objects' slot sizes (size class), not their type sizes.
    pub bytes: u64,
    /// Bytes freed if every instance went away (instances dominated by another instance of
    /// the same type are not counted twice). Only with `histogram --retained`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub retained: Option<u64>,
    /// Bytes lost to size-class rounding (slot size minus requested size, summed), with
    /// `histogram --cost`; only for objects whose type is known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rounding_waste: Option<u64>,
    /// Bytes of struct padding inside the objects (from the DWARF layout), with `--cost`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub padding: Option<u64>,
}

/// One line of `objects`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ObjectRow {
    pub addr: u64,
    #[serde(rename = "type")]
    pub type_name: String,
    pub size: u64,
}

/// A pointer between two objects (or from a root), with the field it goes through.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PointerRef {
    /// Address of the other end (object base address; for roots, the root's address).
    pub addr: u64,
    #[serde(rename = "type")]
    pub type_name: String,
    /// Field path inside the source object (`next`, `items[3]`, `+0x18`).
    pub field: String,
    /// Byte offset of the pointer word inside the source object.
    pub offset: u64,
    /// Where the pointer lands inside the target, when not at its base.
    pub target_offset: u64,
}

/// One typed field (a tree) of an object.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FieldValue {
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub offset: u64,
    pub size: u64,
    /// Rendered value for scalars, pointers (`0x...`), strings (quoted prefix).
    pub value: String,
    /// Pointer target when the value is a heap pointer.
    pub points_to: Option<u64>,
    pub children: Vec<FieldValue>,
}

/// `object <addr>`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ObjectDetail {
    pub addr: u64,
    #[serde(rename = "type")]
    pub type_name: String,
    /// Slot size (size class).
    pub size: u64,
    pub size_class: u32,
    pub live: bool,
    pub fields: Vec<FieldValue>,
    /// Raw contents (capped for very large objects).
    pub bytes: Vec<u8>,
    /// Offsets of the pointer words per the GC's pointer bitmap.
    pub pointer_offsets: Vec<u64>,
    pub outbound: Vec<PointerRef>,
    pub inbound: Vec<PointerRef>,
    /// Inbound references from roots.
    pub root_refs: Vec<RootInfo>,
    /// Bytes freed if this object became unreachable (its dominator subtree).
    pub retained: u64,
    /// Bytes the program asked for (type size × count, plus the malloc header); equals
    /// `size` when the type is unknown.
    pub requested: u64,
    /// `size - requested`: lost to size-class rounding.
    pub rounding_waste: u64,
    /// Struct padding inside the object, from the DWARF layout.
    pub padding: u64,
    /// Immediate dominator first, up to the object directly under the roots.
    pub dominators: Vec<DominatorRef>,
    /// Where it was allocated, for an object the heap profiler sampled (its profile
    /// special): the allocation's stack, innermost frame first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocated_at: Option<Vec<StackFrame>>,
}

/// One logical frame of an allocation stack.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StackFrame {
    pub function: String,
    pub file: String,
    pub line: u32,
}

/// One object on a dominator chain.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DominatorRef {
    pub addr: u64,
    #[serde(rename = "type")]
    pub type_name: String,
    pub retained: u64,
}

/// A node of the dominator tree (the super-root's children are the top). Its children are
/// listed apart ([`DominatorTreeRow`], or one level at a time): a nested tree would be
/// recursive to build, drop and serialize, and a heap can hold chains millions deep.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DominatorNode {
    pub addr: u64,
    #[serde(rename = "type")]
    pub type_name: String,
    pub size: u64,
    pub retained: u64,
    /// Number of objects it dominates directly.
    pub child_count: u64,
}

/// One node of the top of the dominator tree, listed in preorder (each node before the
/// nodes it dominates).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DominatorTreeRow {
    #[serde(flatten)]
    pub node: DominatorNode,
    /// 0 for the objects directly under the roots.
    pub depth: u32,
    /// Index in the list of its immediate dominator (`None` at depth 0).
    pub parent: Option<u32>,
}

/// A leak suspect: an object or type retaining a large share of the live heap.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Suspect {
    /// `object` or `type`.
    pub kind: String,
    /// The type name (for `object`, the object's type).
    pub name: String,
    /// The object (for `type`, its largest instance).
    pub addr: u64,
    pub retained: u64,
    /// Share of live heap bytes, 0-100.
    pub percent: f64,
    pub instances: u64,
    /// Where the retained memory fans out into many children.
    pub accumulation: Option<DominatorRef>,
    pub accumulation_children: u64,
    pub path: Option<RootPath>,
}

/// `whatif`: the effect of cutting a pointer or making an object unreachable.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WhatIf {
    pub addr: u64,
    /// The pointer field set to nil; empty when the whole object goes away.
    pub field: String,
    pub freed_objects: u64,
    pub freed_bytes: u64,
    /// Types freed, largest first.
    pub freed_types: Vec<HistogramRow>,
}

/// What a root is.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RootInfo {
    /// `global`, `stack`, `finalizer`, `cleanup`, `other`.
    pub kind: String,
    /// Global name, `goroutine 7 main.worker local buf`, `finalizer of 0x...`.
    pub name: String,
}

/// One hop of a path from a root.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PathHop {
    pub addr: u64,
    #[serde(rename = "type")]
    pub type_name: String,
    /// Field of the previous hop (or of the root) that points here.
    pub field: String,
}

/// `path <addr>`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RootPath {
    pub root: RootInfo,
    pub hops: Vec<PathHop>,
}

/// One stack frame.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FrameInfo {
    pub function: String,
    pub file: String,
    pub line: u32,
    pub pc: u64,
    pub sp: u64,
    /// Live pointer slots in this frame that point into the heap: (variable or slot name, target).
    pub locals: Vec<LocalPointer>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LocalPointer {
    pub name: String,
    pub addr: u64,
    #[serde(rename = "type")]
    pub type_name: String,
}

/// `goroutines`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GoroutineInfo {
    pub id: u64,
    pub status: String,
    pub wait_reason: String,
    pub frames: Vec<FrameInfo>,
    /// Bytes of stack reserved for this goroutine (`stack.hi - stack.lo`).
    pub stack_bytes: u64,
}

/// A source position: function, file and line.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SourceLoc {
    pub function: String,
    pub file: String,
    pub line: u32,
}

/// `goroutines --group` and `leaks`: goroutines with the same status, wait reason and stack.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GoroutineGroupInfo {
    pub count: u64,
    pub status: String,
    pub wait_reason: String,
    /// The `go` statement that created the first goroutine of the group (`g.gopc`).
    pub created_by: Option<SourceLoc>,
    /// The goroutine that ran it (`g.parentGoid`), where the release records it.
    pub created_in: Option<u64>,
    /// pprof labels (`g.labels`), as (key, value) pairs.
    pub labels: Vec<(String, String)>,
    /// Bytes freed if every goroutine of the group went away (stacks and `g` records
    /// removed from the roots; shared objects counted once).
    pub retained: u64,
    /// Goroutine ids.
    pub goroutines: Vec<u64>,
    /// Retained bytes of each goroutine alone, in the order of `goroutines`.
    pub goroutine_retained: Vec<u64>,
    /// Innermost first, inlined calls expanded, as Go's tracebacks print them.
    pub frames: Vec<SourceLoc>,
    /// Blocked on a channel, select, mutex, cond or wait group that nothing able to run can
    /// reach (Go 1.27's goroutine leak rule).
    pub leaked: bool,
    /// The longest a goroutine of the group has been blocked, in nanoseconds, where the
    /// runtime records it (`g.waitsince`, set at the first collection that finds it
    /// blocked; "now" is the last collection's start, `runtime.work.tstart`).
    pub waiting_ns: Option<u64>,
    /// What the group's goroutines block on: each channel or sync primitive in the heap.
    pub blocked_on: Vec<BlockedOn>,
    /// The heap objects the group retains, largest first (at most 20).
    pub top_objects: Vec<ObjectRef>,
}

/// A channel or sync primitive goroutines block on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BlockedOn {
    /// `channel` (`sudog.c`) or `primitive` (`sudog.elem` of a sync wait: the semaphore word).
    pub kind: String,
    /// The object holding it.
    pub addr: u64,
    #[serde(rename = "type")]
    pub type_name: String,
    /// A shortest path from a root, `None` when none reaches it.
    pub path: Option<String>,
}

/// An object, by address, type and retained bytes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ObjectRef {
    pub addr: u64,
    #[serde(rename = "type")]
    pub type_name: String,
    pub size: u64,
}

/// `breakdown`: where the process's memory goes, in bytes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Breakdown {
    pub entries: Vec<BreakdownEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BreakdownEntry {
    /// Slash-separated category path: `heap/live`, `heap/garbage`, `heap/free`,
    /// `heap/released`, `heap/rounding-waste`, `stacks`, `runtime-metadata`, ...
    pub name: String,
    pub bytes: u64,
}

/// Figures on the analysis itself (`HEAPWISE_STATS=1` in the CLI).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AnalysisStats {
    /// Phases that ran on a second thread while naming ran on the caller's (native builds
    /// reading a memory-resident core), with their wall time; empty when every phase ran
    /// on the caller's thread, where the progress callback times them.
    pub background_phases: Vec<PhaseTime>,
    /// Bytes held by each large structure of the analysis.
    pub structures: Vec<StructureSize>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PhaseTime {
    pub name: String,
    pub wall_seconds: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StructureSize {
    pub name: String,
    pub bytes: u64,
}

/// `diff`: two or three snapshots of one process compared ([`crate::diff::SnapshotDiff`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SnapshotDiffReport {
    /// One row per type, the largest growth of retained bytes (last snapshot less the
    /// first) first.
    pub types: Vec<DiffTypeRow>,
    /// One per consecutive pair (base to target, target to final); empty when the snapshots
    /// are not of one process.
    pub pairs: Vec<DiffPair>,
    /// Leak candidates clustered by retainer path, most retained first.
    pub clusters: Vec<DiffCluster>,
    /// What the diff could not check or do (snapshots of different processes: objects not
    /// matched), in words; absent from the JSON when there is nothing to say.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One type across the snapshots.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DiffTypeRow {
    #[serde(rename = "type")]
    pub type_name: String,
    /// Live objects, their bytes and their retained bytes, one entry per snapshot.
    pub counts: Vec<u64>,
    pub bytes: Vec<u64>,
    pub retained: Vec<u64>,
    /// Per consecutive pair: objects of the earlier snapshot still there in the later one,
    /// objects of the later one that are not, objects of the earlier one that are gone.
    /// Empty when the snapshots are not of one process.
    pub survived: Vec<u64>,
    pub new: Vec<u64>,
    pub freed: Vec<u64>,
}

/// One consecutive pair of snapshots, all types.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DiffPair {
    pub survived: u64,
    pub new: u64,
    pub freed: u64,
    /// Survivors whose identity rests on address, span class and type alone (no profile
    /// special in either snapshot, not string data): a slot freed and reused by an object
    /// of the same type would look the same.
    pub ambiguous: u64,
}

/// Leak candidates that one retainer path holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DiffCluster {
    /// The root (`global main.cache`, `goroutine 12 main.worker buf`), then one entry per
    /// hop: `field (type)` (the first hop: its type), indexes folded (`[]`).
    pub path: Vec<String>,
    pub count: u64,
    pub bytes: u64,
    /// Bytes freed if all of them went away.
    pub retained: u64,
    /// The member that retains the most, as a `0x` hex string in JSON.
    #[serde(with = "hex_addr")]
    pub example: u64,
}

/// What a diff says of one object of one snapshot (the page's object view).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ObjectDiffStatus {
    /// The snapshot, 0-based.
    pub snapshot: u32,
    pub addr: u64,
    /// Whether it was there in the snapshot before (`None`: the first snapshot, or
    /// snapshots of different processes).
    pub survived_from_previous: Option<bool>,
    /// Whether it is still there in the snapshot after (`None`: the last snapshot).
    pub survives_into_next: Option<bool>,
    pub leak_candidate: bool,
}

/// An address as a `0x` hex string.
mod hex_addr {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:#x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let s = String::deserialize(d)?;
        u64::from_str_radix(s.trim_start_matches("0x"), 16).map_err(serde::de::Error::custom)
    }
}

/// `histogram --sites TYPE`: where the sampled live instances of one type were allocated.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AllocSites {
    #[serde(rename = "type")]
    pub type_name: String,
    /// Live instances of the type, and their bytes (slot sizes).
    pub live_objects: u64,
    pub live_bytes: u64,
    /// Live instances the heap profiler sampled (those with a profile special, or an
    /// `allocsample` record in a heap dump).
    pub sampled_objects: u64,
    /// `runtime.MemProfileRate` (`None` for a heap dump, which does not record it).
    pub rate: Option<i64>,
    /// Sites, the most estimated bytes first (sampled bytes when nothing is scaled).
    pub sites: Vec<AllocSite>,
    /// Why the figures are not scaled, or what they rest on.
    pub notes: Vec<String>,
}

/// One allocation site (the innermost frame past the runtime's) of a type's live instances.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AllocSite {
    /// The site's frame.
    pub site: StackFrame,
    /// The whole stack (innermost first) of the bucket holding most of the site's samples.
    pub stack: Vec<StackFrame>,
    /// How many profile buckets (distinct stacks) the site's samples come from.
    pub stacks: u32,
    /// Sampled live instances allocated here, and the bytes the profile counts for them
    /// (the buckets' allocation size times the count).
    pub sampled_objects: u64,
    pub sampled_bytes: u64,
    /// The same unsampled as `runtime/pprof` unsamples `inuse_objects` and `inuse_space`
    /// (`scaleHeapSample`, per bucket, then summed); `None` when the rate is unknown.
    pub estimated_objects: Option<i64>,
    pub estimated_bytes: Option<i64>,
}
