//! Messages between the page and the worker: plain serde types sent with `serde-wasm-bindgen`.
//!
//! Enums are externally tagged (`{"Open": {...}}`, `"Ready"`), which keeps `File` handles
//! (passed through as JS values) and `u64` addresses (sent as BigInt) intact.

use heapwise_core::report::{
    Breakdown, DominatorNode, GoroutineGroupInfo, GoroutineInfo, HistogramRow, ObjectDetail, ObjectRow, Overview,
    RootPath, Suspect, WhatIf,
};
use serde::{Deserialize, Serialize};

/// Most rows an `Objects` answer carries (a type can have millions of instances).
pub const MAX_OBJECT_ROWS: usize = 10_000;
/// Most children a dominator-tree answer carries per node (largest retained first).
pub const MAX_DOMINATOR_CHILDREN: usize = 200;
/// Share of the live heap (0..1) an object or type must retain to be a leak suspect.
pub const SUSPECT_THRESHOLD: f64 = 0.10;
/// Most entries of a dominator chain or a root path an answer carries: the two ends of a
/// long linked list, not a million entries.
pub const MAX_CHAIN_SENT: usize = 40;

/// Page -> worker.
#[derive(Debug, Serialize, Deserialize)]
pub enum Request {
    /// Analyze a dropped core (plain ELF or zstd-compressed) with its executable, or a heap
    /// dump with or without one; `debug`: a separate debug file of a stripped executable
    /// (`objcopy --only-keep-debug` output, a `.build-id/xx/yyyy.debug` file).
    Open {
        #[serde(with = "opt_file")]
        core: Option<web_sys::File>,
        #[serde(with = "opt_file")]
        exe: Option<web_sys::File>,
        #[serde(with = "opt_file", default)]
        debug: Option<web_sys::File>,
    },
    /// Fetch and analyze `./demo/demo.core.zst` + `./demo/demo.exe`.
    OpenDemo,
    /// A question about the loaded analysis: answered by [`Response::Answer`] or
    /// [`Response::Failed`] carrying the same query.
    Query(Query),
    /// Drop the loaded analysis. (An analysis in progress is stopped by terminating the
    /// worker: the worker is busy and reads no message until it finishes.)
    Cancel,
}

/// What the page asks about a loaded analysis. Plain data, so the page keys its cache of
/// answers by it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Query {
    Overview,
    /// Counts and bytes per type (fast: no dominators, no cost accounting).
    Histogram,
    /// Per type: size-class rounding waste and struct padding.
    HistogramCost,
    /// Per type: retained bytes (builds the dominator tree on first use).
    HistogramRetained,
    /// Objects directly under the roots, largest retained first.
    DominatorTree,
    /// Dominator-tree children of one object.
    DominatorChildren { addr: u64 },
    Suspects,
    /// What becomes garbage if the object were unreachable (`field: None`) or if that
    /// pointer field of it were nil.
    WhatIf { addr: u64, field: Option<String> },
    /// The owners graph of an object (referrers up to the roots) as an SVG document.
    OwnersGraph { addr: u64 },
    Objects { type_regex: Option<String> },
    Object { addr: u64 },
    Path { addr: u64 },
    Goroutines,
    /// Goroutines grouped by status, wait reason and stack, with the bytes each group and
    /// each goroutine keeps alive and whether the group is leaked (Go 1.27's rule).
    GoroutineGroups,
    /// How many goroutines are leaked and what they retain (the overview's line).
    GoroutineLeaks,
    Breakdown,
}

/// The answer to one [`Query`] (the variant of the same name).
#[derive(Debug, Serialize, Deserialize)]
pub enum Answer {
    Overview(Overview),
    Histogram(Vec<HistogramRow>),
    /// Rows with `rounding_waste` and `padding` set; `ms`: time the worker spent.
    HistogramCost { rows: Vec<HistogramRow>, ms: f64 },
    /// Rows with `retained` set; `ms`: time the worker spent (dominators included).
    HistogramRetained { rows: Vec<HistogramRow>, ms: f64 },
    /// At most [`MAX_DOMINATOR_CHILDREN`] nodes (no children loaded); `total`: how many there are.
    DominatorTree { nodes: Vec<DominatorNode>, total: u64, total_live: u64 },
    /// At most [`MAX_DOMINATOR_CHILDREN`] nodes, largest retained first.
    DominatorChildren(Vec<DominatorNode>),
    /// Those retaining at least [`SUSPECT_THRESHOLD`] of the live heap.
    Suspects(Vec<Suspect>),
    WhatIf(WhatIf),
    /// An SVG document.
    OwnersGraph(String),
    /// The first [`MAX_OBJECT_ROWS`] matching objects; `total` and `total_bytes` count them all.
    Objects { rows: Vec<ObjectRow>, total: u64, total_bytes: u64 },
    /// `detail` is `None` when no heap object is there. `detail.dominators` holds at most
    /// [`MAX_CHAIN_SENT`] entries: the first ones and the last one; `dominators_total` is the
    /// chain's length.
    Object { detail: Option<ObjectDetail>, dominators_total: u64 },
    /// `path` is `None` when no root reaches the address. `path.hops` holds at most
    /// [`MAX_CHAIN_SENT`] hops: the first half and the last half; `hops_total` is the path's length.
    Path { path: Option<RootPath>, hops_total: u64 },
    Goroutines(Vec<GoroutineInfo>),
    /// Every group, the groups that retain most first; `ms`: time the worker spent
    /// (the dominator tree with goroutine nodes included, the first time).
    GoroutineGroups { groups: Vec<GoroutineGroupInfo>, ms: f64 },
    GoroutineLeaks(LeakSummary),
    Breakdown(Breakdown),
}

/// The leaked goroutines of an analysis in three numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeakSummary {
    /// Leaked groups.
    pub groups: u64,
    /// Leaked goroutines.
    pub goroutines: u64,
    /// Bytes the leaked groups retain: the sum of their retained bytes, as `heapwise leaks`
    /// prints it (an object shared between two groups is retained by neither).
    pub retained: u64,
}

impl LeakSummary {
    pub fn of(groups: &[GoroutineGroupInfo]) -> LeakSummary {
        groups.iter().filter(|g| g.leaked).fold(LeakSummary::default(), |s, g| LeakSummary {
            groups: s.groups + 1,
            goroutines: s.goroutines + g.count,
            retained: s.retained + g.retained,
        })
    }
}

/// Worker -> page.
#[derive(Debug, Serialize, Deserialize)]
pub enum Response {
    /// The worker's wasm has loaded; the page may send requests.
    Ready,
    Progress { phase: String, fraction: f64 },
    /// Opening failed (`request`: `open`), or the worker itself did (`internal`); `fatal`
    /// means the worker crashed and must be restarted.
    Error { request: String, message: String, fatal: bool },
    /// `exe_name` and `debug_name` are empty when no such file was given.
    Opened { core_name: String, exe_name: String, debug_name: String, overview: Overview },
    Answer { query: Query, answer: Answer },
    /// The query could not be answered (the engine failed on it).
    Failed { query: Query, message: String },
    /// Size of the worker's wasm linear memory (`WebAssembly.Memory` buffer), posted after
    /// every answer; wasm memory never shrinks, so this is also the peak.
    Memory { wasm_bytes: u64 },
    Cancelled,
}

impl Query {
    /// Short name used in error messages.
    pub fn name(&self) -> &'static str {
        match self {
            Query::Overview => "overview",
            Query::Histogram => "histogram",
            Query::HistogramCost => "histogram-cost",
            Query::HistogramRetained => "histogram-retained",
            Query::DominatorTree => "dominators",
            Query::DominatorChildren { .. } => "dominator-children",
            Query::Suspects => "suspects",
            Query::WhatIf { .. } => "whatif",
            Query::OwnersGraph { .. } => "owners-graph",
            Query::Objects { .. } => "objects",
            Query::Object { .. } => "object",
            Query::Path { .. } => "path",
            Query::Goroutines => "goroutines",
            Query::GoroutineGroups => "goroutine-groups",
            Query::GoroutineLeaks => "goroutine-leaks",
            Query::Breakdown => "breakdown",
        }
    }
}

/// The serializer both sides use: `u64` as BigInt so no address loses bits.
pub const SERIALIZER: serde_wasm_bindgen::Serializer =
    serde_wasm_bindgen::Serializer::new().serialize_large_number_types_as_bigints(true);

pub fn to_js<T: Serialize>(v: &T) -> Result<wasm_bindgen::JsValue, String> {
    v.serialize(&SERIALIZER).map_err(|e| e.to_string())
}

pub fn from_js<T: for<'de> Deserialize<'de>>(v: wasm_bindgen::JsValue) -> Result<T, String> {
    serde_wasm_bindgen::from_value(v).map_err(|e| e.to_string())
}

/// `Option<File>` passed through as the JS object itself (structured clone keeps it a File).
mod opt_file {
    use serde::de::Error as _;
    use serde::{Deserializer, Serializer};
    use wasm_bindgen::{JsCast, JsValue};

    pub fn serialize<S: Serializer>(v: &Option<web_sys::File>, s: S) -> Result<S::Ok, S::Error> {
        let js: JsValue = v.as_ref().map(|f| f.clone().into()).unwrap_or(JsValue::NULL);
        serde_wasm_bindgen::preserve::serialize(&js, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<web_sys::File>, D::Error> {
        let js: JsValue = serde_wasm_bindgen::preserve::deserialize(d)?;
        if js.is_null() || js.is_undefined() {
            return Ok(None);
        }
        js.dyn_into::<web_sys::File>().map(Some).map_err(|_| D::Error::custom("expected a File"))
    }
}
