//! The analysis worker: receives [`Request`]s, runs `heapwise_core`'s [`Analysis`], posts
//! [`Response`]s.
//!
//! The engine is synchronous: while it works the worker reads no message. Cancelling an
//! analysis therefore means terminating the worker (the page does that and starts a new one).

use std::cell::RefCell;
use std::rc::Rc;

use heapwise_core::analysis::Analysis;
use heapwise_core::report::GoroutineGroupInfo;
use heapwise_core::source::ByteSource;
use js_sys::{Date, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, DedicatedWorkerGlobalScope, MessageEvent, Response as FetchResponse};

use crate::blob::open_blob;
use crate::protocol::{
    from_js, to_js, Answer, LeakSummary, Query, Request, Response, MAX_CHAIN_SENT, MAX_DOMINATOR_CHILDREN,
    MAX_OBJECT_ROWS, SUSPECT_THRESHOLD,
};

pub const DEMO_CORE: &str = "./demo/demo.core.zst";
pub const DEMO_EXE: &str = "./demo/demo.exe";

thread_local! {
    static ANALYSIS: RefCell<Option<Analysis>> = const { RefCell::new(None) };
    /// The goroutine groups of the loaded analysis, once computed (both the groups and the
    /// leaks query read them; each group's paths and top objects cost a search).
    static GROUPS: RefCell<Option<Rc<Vec<GoroutineGroupInfo>>>> = const { RefCell::new(None) };
}

/// The goroutine groups of `a`, computed on first use.
fn groups(a: &Analysis) -> Rc<Vec<GoroutineGroupInfo>> {
    GROUPS.with(|g| g.borrow_mut().get_or_insert_with(|| Rc::new(a.goroutine_groups())).clone())
}

/// Drops the loaded analysis and what was computed from it.
fn forget_analysis() {
    ANALYSIS.with(|a| a.borrow_mut().take());
    GROUPS.with(|g| g.borrow_mut().take());
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

pub fn post(msg: &Response) {
    match to_js(msg) {
        Ok(v) => {
            if let Err(e) = scope().post_message(&v) {
                web_sys::console::error_2(&"heapwise worker: postMessage failed".into(), &e);
            }
        }
        Err(e) => {
            let fallback = Response::Error {
                request: "internal".into(),
                message: format!("could not encode the answer: {e}"),
                fatal: false,
            };
            if let Ok(v) = to_js(&fallback) {
                let _ = scope().post_message(&v);
            }
        }
    }
}

fn error(request: &str, message: impl Into<String>) {
    post(&Response::Error { request: request.into(), message: message.into(), fatal: false });
}

/// Entry point of the worker binary.
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        // Best effort: tell the page in words before the wasm instance traps.
        post(&Response::Error {
            request: "internal".into(),
            message: format!("The analysis crashed: {info}"),
            fatal: true,
        });
    }));
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(|ev: MessageEvent| {
        match from_js::<Request>(ev.data()) {
            Ok(req) => handle(req),
            Err(e) => error("internal", format!("unreadable request: {e}")),
        }
    });
    scope().set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    post(&Response::Ready);
}

/// Panics on purpose: lets the end-to-end test check that a crash of the analysis is reported
/// and that the page recovers (`wasm_bindgen.heapwiseSelfTestPanic()` in the worker).
#[wasm_bindgen(js_name = heapwiseSelfTestPanic)]
pub fn self_test_panic() {
    panic!("self-test panic requested by the test suite");
}

/// Posts progress at most every 1% or 150 ms per phase.
struct Throttle {
    phase: String,
    fraction: f64,
    at: f64,
}

impl Throttle {
    fn new() -> Self {
        Throttle { phase: String::new(), fraction: -1.0, at: 0.0 }
    }
    fn report(&mut self, phase: &str, fraction: f64) -> bool {
        let now = Date::now();
        if phase != self.phase || fraction - self.fraction >= 0.01 || now - self.at >= 150.0 || fraction >= 1.0 {
            self.phase = phase.to_string();
            self.fraction = fraction;
            self.at = now;
            post(&Response::Progress { phase: phase.into(), fraction: fraction.clamp(0.0, 1.0) });
        }
        true
    }
}

/// Bytes of the worker's wasm linear memory (what `WebAssembly.Memory.buffer.byteLength` says).
pub fn wasm_memory_bytes() -> u64 {
    let mem: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    mem.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as u64
}

fn post_memory() {
    post(&Response::Memory { wasm_bytes: wasm_memory_bytes() });
}

/// Keeps the first `head` and the last `tail` items of `v`; returns its length before.
fn keep_ends<T>(v: &mut Vec<T>, head: usize, tail: usize) -> u64 {
    let n = v.len();
    if n > head + tail {
        v.drain(head..n - tail);
    }
    n as u64
}

fn handle(req: Request) {
    match req {
        Request::Open { core, exe, debug } => {
            let Some(core) = core else { return error("open", "no core file was given") };
            let name = |f: &Option<web_sys::File>| f.as_ref().map(|f| f.name()).unwrap_or_default();
            let names = Names { core: core.name(), exe: name(&exe), debug: name(&debug) };
            open(core.into(), exe.map(Into::into), debug.map(Into::into), names);
        }
        Request::OpenDemo => wasm_bindgen_futures::spawn_local(async {
            match fetch_demo().await {
                Ok((core, exe)) => {
                    let names = Names { core: "demo.core.zst".into(), exe: "demo.exe".into(), debug: String::new() };
                    open(core, Some(exe), None, names)
                }
                Err(e) => error("open", e),
            }
        }),
        Request::Cancel => {
            forget_analysis();
            post(&Response::Cancelled);
        }
        Request::Query(query) => ANALYSIS.with(|cell| {
            let response = match cell.borrow().as_ref() {
                None => Response::Failed { query, message: "no core is loaded: open a core and its executable first".into() },
                Some(analysis) => match answer(analysis, &query) {
                    Ok(answer) => Response::Answer { query, answer },
                    Err(e) => Response::Failed { query, message: e.to_string() },
                },
            };
            post(&response);
            post_memory();
        }),
    }
}

/// Answers one query from the loaded analysis, cut to what the protocol carries at most.
fn answer(a: &Analysis, query: &Query) -> Result<Answer, heapwise_core::Error> {
    Ok(match query {
        Query::Overview => Answer::Overview(a.overview()),
        Query::Histogram => Answer::Histogram(a.histogram()),
        Query::HistogramCost => {
            let t0 = Date::now();
            let rows = a.histogram_cost();
            Answer::HistogramCost { rows, ms: Date::now() - t0 }
        }
        Query::HistogramRetained => {
            let t0 = Date::now();
            let rows = a.histogram_retained();
            Answer::HistogramRetained { rows, ms: Date::now() - t0 }
        }
        Query::DominatorTree => {
            let tree = a.dom();
            let total = tree.children_of(None).count() as u64;
            let nodes = a.dominator_tree(1, MAX_DOMINATOR_CHILDREN).into_iter().map(|r| r.node).collect();
            Answer::DominatorTree { nodes, total, total_live: tree.total_live }
        }
        Query::DominatorChildren { addr } => Answer::DominatorChildren(a.dominator_children(*addr, MAX_DOMINATOR_CHILDREN)?),
        Query::Suspects => Answer::Suspects(a.suspects(SUSPECT_THRESHOLD)),
        Query::WhatIf { addr, field } => Answer::WhatIf(a.whatif(*addr, field.as_deref())?),
        // Referrers four levels up, as `heapwise graph` draws them.
        Query::OwnersGraph { addr } => Answer::OwnersGraph(a.owners_svg(*addr, Some(4))?),
        Query::Objects { type_regex } => {
            let mut rows = a.objects(type_regex.as_deref())?;
            let total = rows.len() as u64;
            let total_bytes = rows.iter().map(|r| r.size).sum();
            rows.truncate(MAX_OBJECT_ROWS);
            Answer::Objects { rows, total, total_bytes }
        }
        Query::Object { addr } => {
            let mut detail = found(a.object(*addr))?;
            let dominators_total = detail.as_mut().map_or(0, |d| keep_ends(&mut d.dominators, MAX_CHAIN_SENT - 1, 1));
            Answer::Object { detail, dominators_total }
        }
        Query::Path { addr } => {
            let mut path = found(a.path(*addr))?;
            let half = MAX_CHAIN_SENT / 2;
            let hops_total = path.as_mut().map_or(0, |p| keep_ends(&mut p.hops, half, half));
            Answer::Path { path, hops_total }
        }
        Query::Goroutines => Answer::Goroutines(a.goroutines()),
        Query::GoroutineGroups => {
            let t0 = Date::now();
            let groups = groups(a).as_ref().clone();
            Answer::GoroutineGroups { groups, ms: Date::now() - t0 }
        }
        Query::GoroutineLeaks => Answer::GoroutineLeaks(LeakSummary::of(&groups(a))),
        Query::Breakdown => Answer::Breakdown(a.breakdown()),
    })
}

/// `NotFound` (no object at that address, no path to it) is an answer, not a failure.
fn found<T>(r: Result<T, heapwise_core::Error>) -> Result<Option<T>, heapwise_core::Error> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(heapwise_core::Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Names of the opened files, as the page shows them (empty: not given).
struct Names {
    core: String,
    exe: String,
    debug: String,
}

fn engine_error(e: heapwise_core::Error) -> String {
    match e {
        heapwise_core::Error::Cancelled => "cancelled".to_string(),
        e => e.to_string(),
    }
}

/// Opens a core with its executable, or a heap dump (told by its header, after any zstd
/// decompression) with or without one.
fn open(core: Blob, exe: Option<Blob>, debug: Option<Blob>, names: Names) {
    forget_analysis();
    let Names { core: core_name, exe: exe_name, debug: debug_name } = names;
    crate::blob::forget_caches();
    let t0 = Date::now();
    let mut t = Throttle::new();
    let core_src = match open_blob(core, &mut |f| t.report("decompressing the core", f)) {
        Ok(s) => s,
        Err(e) => return error("open", format!("{core_name}: {e}")),
    };
    let is_dump = heapwise_core::formats::heapdump::is_heapdump(&*core_src);
    let exe_src: Option<Box<dyn ByteSource>> = match exe {
        Some(exe) => match open_blob(exe, &mut |f| t.report("decompressing the executable", f)) {
            Ok(s) => Some(s),
            Err(e) => return error("open", format!("{exe_name}: {e}")),
        },
        None => None,
    };
    let debug_src: Option<Box<dyn ByteSource>> = match debug {
        Some(debug) => match open_blob(debug, &mut |f| t.report("decompressing the debug file", f)) {
            Ok(s) => Some(s),
            Err(e) => return error("open", format!("{debug_name}: {e}")),
        },
        None => None,
    };
    let core_src: Rc<dyn ByteSource> = Rc::from(core_src);
    let exe_src: Option<Rc<dyn ByteSource>> = exe_src.map(Rc::from);
    let debug_src: Option<Rc<dyn ByteSource>> = debug_src.map(Rc::from);
    let opened = match (is_dump, exe_src) {
        (true, _) if debug_src.is_some() => {
            return error("open", format!("{debug_name}: a separate debug file is read with a core, not with a heap dump"))
        }
        (true, exe_src) => Analysis::open_heapdump(core_src, exe_src, &mut |phase, f| t.report(phase, f)),
        (false, Some(exe_src)) => {
            Analysis::open_with_debug(core_src, exe_src, debug_src, &mut |phase, f| t.report(phase, f))
        }
        (false, None) => {
            return error("open", "the executable is missing: drop the program that produced the core together with it")
        }
    };
    match opened {
        Ok(analysis) => {
            let (reads, bytes, ms) = crate::blob::read_stats();
            web_sys::console::log_1(
                &format!(
                    "heapwise: opened in {:.0} ms; {reads} file reads, {} MiB, {ms:.0} ms reading; wasm memory {} MiB",
                    Date::now() - t0,
                    bytes >> 20,
                    wasm_memory_bytes() >> 20
                )
                .into(),
            );
            crate::blob::shrink_caches();
            let overview = analysis.overview();
            ANALYSIS.with(|a| *a.borrow_mut() = Some(analysis));
            post(&Response::Opened { core_name, exe_name, debug_name, overview });
            post_memory();
        }
        Err(e) => error("open", engine_error(e)),
    }
}

async fn fetch_blob(url: &str) -> Result<Blob, String> {
    let resp = JsFuture::from(scope().fetch_with_str(url))
        .await
        .map_err(|e| format!("could not fetch {url}: {e:?}"))?;
    let resp: FetchResponse = resp.unchecked_into();
    if !resp.ok() {
        return Err(format!(
            "the demo is not part of this build: {url} answered HTTP {} (run scripts/make-demo.sh, then rebuild)",
            resp.status()
        ));
    }
    let p: Promise = resp.blob().map_err(|e| format!("{url}: {e:?}"))?;
    let b = JsFuture::from(p).await.map_err(|e| format!("{url}: {e:?}"))?;
    Ok(b.unchecked_into())
}

async fn fetch_demo() -> Result<(Blob, Blob), String> {
    post(&Response::Progress { phase: "downloading the demo".into(), fraction: 0.0 });
    let core = fetch_blob(DEMO_CORE).await?;
    post(&Response::Progress { phase: "downloading the demo".into(), fraction: 0.5 });
    let exe = fetch_blob(DEMO_EXE).await?;
    Ok((core, exe))
}
