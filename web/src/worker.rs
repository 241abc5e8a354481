//! The analysis worker: receives [`Request`]s, runs the engine, posts [`Response`]s.
//!
//! The engine is synchronous: while it works the worker reads no message. Cancelling an
//! analysis therefore means terminating the worker (the page does that and starts a new one).

use std::cell::RefCell;

use heapwise_core::source::ByteSource;
use js_sys::{Date, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, DedicatedWorkerGlobalScope, MessageEvent, Response as FetchResponse};

use crate::blob::open_blob;
use crate::engine::Engine;
use crate::protocol::{from_js, to_js, Request, Response, MAX_CHAIN_SENT, MAX_DOMINATOR_CHILDREN, SUSPECT_THRESHOLD};

pub const DEMO_CORE: &str = "./demo/demo.core.zst";
pub const DEMO_EXE: &str = "./demo/demo.exe";

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
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
    let name = req.name();
    match req {
        Request::Open { core, exe } => {
            let Some(core) = core else { return error(name, "no core file was given") };
            let (core_name, exe_name) = (core.name(), exe.as_ref().map(|e| e.name()).unwrap_or_default());
            open(core.into(), exe.map(Into::into), core_name, exe_name);
        }
        Request::OpenDemo => wasm_bindgen_futures::spawn_local(async {
            match fetch_demo().await {
                Ok((core, exe)) => open(core, Some(exe), "demo.core.zst".into(), "demo.exe".into()),
                Err(e) => error("open", e),
            }
        }),
        Request::Cancel => {
            ENGINE.with(|e| e.borrow_mut().take());
            post(&Response::Cancelled);
        }
        other => ENGINE.with(|cell| {
            let guard = cell.borrow();
            let Some(engine) = guard.as_ref() else {
                return error(name, "no core is loaded: open a core and its executable first");
            };
            let resp = match other {
                Request::Overview => Response::Overview { overview: engine.overview() },
                Request::Histogram => Response::Histogram { rows: engine.histogram() },
                Request::HistogramCost => {
                    let t0 = Date::now();
                    let rows = engine.histogram_cost();
                    Response::HistogramCost { rows, ms: Date::now() - t0 }
                }
                Request::HistogramRetained => {
                    let t0 = Date::now();
                    let rows = engine.histogram_retained();
                    Response::HistogramRetained { rows, ms: Date::now() - t0 }
                }
                Request::DominatorTree => {
                    let (nodes, total, total_live) = engine.dominator_tree(MAX_DOMINATOR_CHILDREN);
                    Response::DominatorTree { nodes, total, total_live }
                }
                Request::DominatorChildren { addr } => match engine.dominator_children(addr, MAX_DOMINATOR_CHILDREN) {
                    Ok(nodes) => Response::DominatorChildren { addr, nodes },
                    Err(e) => return error(name, e),
                },
                Request::Suspects => {
                    Response::Suspects { suspects: engine.suspects(SUSPECT_THRESHOLD), threshold: SUSPECT_THRESHOLD }
                }
                Request::WhatIf { addr, field } => match engine.whatif(addr, field.as_deref()) {
                    Ok(result) => Response::WhatIf { addr, field, result },
                    Err(e) => return error(name, e),
                },
                Request::OwnersGraph { addr } => match engine.owners_svg(addr) {
                    Ok(svg) => Response::OwnersGraph { addr, svg },
                    Err(e) => return error(name, e),
                },
                Request::Objects { type_regex } => match engine.objects(type_regex.as_deref()) {
                    Ok(mut rows) => {
                        let total = rows.len() as u64;
                        let total_bytes = rows.iter().map(|r| r.size).sum();
                        rows.truncate(crate::protocol::MAX_OBJECT_ROWS);
                        Response::Objects { type_regex, rows, total, total_bytes }
                    }
                    Err(e) => return error(name, e),
                },
                Request::Object { addr } => match engine.object(addr) {
                    Ok(mut detail) => {
                        let total = detail.as_mut().map_or(0, |d| keep_ends(&mut d.dominators, MAX_CHAIN_SENT - 1, 1));
                        Response::Object { addr, detail, dominators_total: total }
                    }
                    Err(e) => return error(name, e),
                },
                Request::Path { addr } => match engine.path(addr) {
                    Ok(mut path) => {
                        let half = MAX_CHAIN_SENT / 2;
                        let total = path.as_mut().map_or(0, |p| keep_ends(&mut p.hops, half, half));
                        Response::Path { addr, path, hops_total: total }
                    }
                    Err(e) => return error(name, e),
                },
                Request::Goroutines => Response::Goroutines { goroutines: engine.goroutines() },
                Request::Breakdown => Response::Breakdown { breakdown: engine.breakdown() },
                Request::Open { .. } | Request::OpenDemo | Request::Cancel => unreachable!(),
            };
            post(&resp);
            post_memory();
        }),
    }
}

/// Opens a core with its executable, or a heap dump (told by its header, after any zstd
/// decompression) with or without one.
fn open(core: Blob, exe: Option<Blob>, core_name: String, exe_name: String) {
    ENGINE.with(|e| e.borrow_mut().take());
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
    let opened = match (is_dump, exe_src) {
        (true, exe_src) => Engine::open_heapdump(core_src, exe_src, &mut |phase, f| t.report(phase, f)),
        (false, Some(exe_src)) => Engine::open(core_src, exe_src, &mut |phase, f| t.report(phase, f)),
        (false, None) => {
            return error("open", "the executable is missing: drop the program that produced the core together with it")
        }
    };
    match opened {
        Ok(engine) => {
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
            let overview = engine.overview();
            ENGINE.with(|e| *e.borrow_mut() = Some(engine));
            post(&Response::Opened { core_name, exe_name, overview });
            post_memory();
        }
        Err(e) => error("open", e),
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
