//! The page: file intake, the analysis worker, status, and the [`views::Router`] over the
//! [`cache::Cache`] of the worker's answers. All analysis runs in the worker.
//!
//! - [`route`]: the hash routes;
//! - [`cache`]: answers keyed by their [`Query`], and the hooks views read them through;
//! - [`intake`]: what a dropped file is;
//! - [`service`]: the snapshot and executable of the service that serves the page
//!   (heapwisehttp), downloaded as if dropped;
//! - [`views`]: one component per route;
//! - [`widgets`]: pieces several views show.

mod cache;
mod intake;
mod route;
mod service;
mod views;
mod widgets;

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DragEvent, ErrorEvent, File, HtmlInputElement, MessageEvent, Worker};
use yew::prelude::*;

use crate::heapwisehttp::ServiceInfo;
use crate::protocol::{from_js, to_js, Answer, Query, Request, Response};
use cache::{Cache, Session};
use intake::{sniff, Dropped};
pub use route::Route;
use service::{Downloaded, Part};
use views::Router;
use widgets::fmt_bytes;

/// Trunk's loader shim for the worker binary (relative: works under any sub-path).
pub const WORKER_URL: &str = "./worker_loader.js";

/// The analysis worker, stopped when dropped.
struct WorkerHandle {
    worker: Worker,
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
    _onerror: Closure<dyn FnMut(ErrorEvent)>,
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

/// Starts a worker whose messages come back as [`Msg`]s tagged with `generation`, so that
/// messages of a replaced worker are told apart.
fn spawn_worker(link: &html::Scope<App>, generation: u32) -> Result<WorkerHandle, String> {
    let worker = Worker::new(WORKER_URL).map_err(|e| format!("cannot start the analysis worker: {e:?}"))?;
    let l = link.clone();
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        l.send_message(Msg::FromWorker(generation, ev.data()));
    });
    let l = link.clone();
    let onerror = Closure::<dyn FnMut(ErrorEvent)>::new(move |ev: ErrorEvent| {
        ev.prevent_default();
        let msg = ev.message();
        let msg = if msg.is_empty() { "the worker failed to load or crashed".to_string() } else { msg };
        l.send_message(Msg::WorkerFailed(generation, msg));
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    Ok(WorkerHandle { worker, _onmessage: onmessage, _onerror: onerror })
}

pub enum Msg {
    FromWorker(u32, JsValue),
    WorkerFailed(u32, String),
    Files(Vec<File>),
    Sniffed(Vec<(File, Dropped)>),
    OpenDemo,
    Cancel,
    RestartWorker,
    HashChanged,
    DismissErrors,
    DragOver(bool),
    /// A view needs this answer.
    Ask(Query),
    /// The page's origin answered `heapwise.json` (served by heapwisehttp) or not.
    Service(Option<ServiceInfo>),
    /// "Analyze this process now".
    AnalyzeProcess,
    /// Bytes downloaded so far of one part of a snapshot (of fetch generation `.0`), and its size.
    Download(u32, Part, u64, Option<u64>),
    Downloaded(u32, Part, Result<Downloaded, String>),
}

/// How far one download of a snapshot got.
#[derive(Default)]
struct Progress {
    loaded: u64,
    total: Option<u64>,
}

/// A snapshot of the serving process being downloaded (the snapshot and the executable at once).
#[derive(Default)]
struct Fetch {
    snapshot: Progress,
    exe: Progress,
    dump: Option<Downloaded>,
    exe_file: Option<Downloaded>,
}

/// The downloaded snapshot and executable, kept for "Save snapshot" (object URLs of the
/// files, revoked when dropped).
struct Saved {
    dump_url: String,
    dump_name: String,
    dump_bytes: u64,
    exe_url: String,
    exe_name: String,
    /// How long the process's world was stopped while the snapshot was written.
    pause_ms: Option<f64>,
}

impl Drop for Saved {
    fn drop(&mut self) {
        let _ = web_sys::Url::revoke_object_url(&self.dump_url);
        let _ = web_sys::Url::revoke_object_url(&self.exe_url);
    }
}

/// An analysis being opened.
struct Busy {
    what: String,
    phase: String,
    fraction: f64,
}

/// The files of the loaded analysis (empty: not given).
struct Loaded {
    core: String,
    exe: String,
    debug: String,
}

/// Files dropped so far that do not yet make an analysis (a core without its executable).
#[derive(Default)]
struct Pending {
    core: Option<File>,
    exe: Option<File>,
    debug: Option<File>,
    /// The core is a heap dump: it is analyzed with or without an executable.
    core_is_dump: bool,
}

pub struct App {
    worker: Option<WorkerHandle>,
    generation: u32,
    worker_ready: bool,
    /// Requests waiting for the worker's `Ready`.
    outbox: Vec<Request>,
    crashed: bool,
    busy: Option<Busy>,
    loaded: Option<Loaded>,
    pending: Pending,
    notice: Option<String>,
    errors: Vec<String>,
    dragging: bool,
    route: Route,
    /// Answers for the loaded analysis; a new `Rc` on every change (see [`Session`]).
    cache: Rc<Cache>,
    ask: Callback<Query>,
    /// Size of the worker's wasm memory, as last reported.
    wasm_memory: Option<u64>,
    /// The service serving the page, when heapwisehttp does (its `heapwise.json`).
    service: Option<ServiceInfo>,
    /// A snapshot of it being downloaded; `fetch_gen` tells the downloads of a cancelled one.
    fetch: Option<Fetch>,
    fetch_gen: u32,
    /// Aborts the downloads of `fetch`.
    fetch_abort: Option<web_sys::AbortController>,
    saved: Option<Saved>,
    _hashchange: Closure<dyn FnMut()>,
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let link = ctx.link().clone();
        let hashchange = Closure::<dyn FnMut()>::new(move || link.send_message(Msg::HashChanged));
        if let Some(w) = web_sys::window() {
            w.set_onhashchange(Some(hashchange.as_ref().unchecked_ref()));
        }
        let mut app = App {
            worker: None,
            generation: 0,
            worker_ready: false,
            outbox: vec![],
            crashed: false,
            busy: None,
            loaded: None,
            pending: Pending::default(),
            notice: None,
            errors: vec![],
            dragging: false,
            route: Route::current(),
            cache: Rc::default(),
            ask: ctx.link().callback(Msg::Ask),
            wasm_memory: None,
            service: None,
            fetch: None,
            fetch_gen: 0,
            fetch_abort: None,
            saved: None,
            _hashchange: hashchange,
        };
        app.restart_worker(ctx);
        let link = ctx.link().clone();
        wasm_bindgen_futures::spawn_local(async move { link.send_message(Msg::Service(service::probe().await)) });
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::FromWorker(generation, data) => {
                if generation != self.generation {
                    return false;
                }
                match from_js::<Response>(data) {
                    Ok(resp) => self.on_response(resp),
                    Err(e) => self.error(format!("unreadable message from the worker: {e}")),
                }
            }
            Msg::WorkerFailed(generation, message) => {
                if generation != self.generation {
                    return false;
                }
                self.crashed = true;
                self.worker_ready = false;
                self.busy = None;
                self.loaded = None;
                self.error(format!("The analysis worker stopped ({message}). Restart it and open the files again."));
            }
            Msg::Files(files) => {
                if files.is_empty() {
                    return false;
                }
                let link = ctx.link().clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let mut out = vec![];
                    for f in files {
                        let kind = sniff(&f).await;
                        out.push((f, kind));
                    }
                    link.send_message(Msg::Sniffed(out));
                });
                return false;
            }
            Msg::Sniffed(files) => self.take_files(files),
            Msg::OpenDemo => {
                self.pending = Pending::default();
                self.start_opening("the demo".into(), Request::OpenDemo);
            }
            Msg::Cancel => {
                self.stop_fetch();
                self.restart_worker(ctx);
                self.notice = Some("Cancelled.".into());
            }
            Msg::RestartWorker => {
                self.errors.clear();
                self.restart_worker(ctx);
            }
            Msg::HashChanged => self.route = Route::current(),
            Msg::DismissErrors => self.errors.clear(),
            Msg::DragOver(d) => {
                if self.dragging == d {
                    return false;
                }
                self.dragging = d;
            }
            Msg::Ask(query) => {
                // Only about a loaded analysis that is not being replaced.
                if self.loaded.is_none() || self.busy.is_some() || self.crashed {
                    return false;
                }
                if !Rc::make_mut(&mut self.cache).start(&query) {
                    return false;
                }
                self.send(Request::Query(query));
            }
            Msg::Service(info) => self.service = info,
            Msg::AnalyzeProcess => self.analyze_process(ctx),
            Msg::Download(generation, part, loaded, total) => {
                let Some(f) = self.fetch.as_mut().filter(|_| generation == self.fetch_gen) else { return false };
                let p = if part == Part::Snapshot { &mut f.snapshot } else { &mut f.exe };
                *p = Progress { loaded, total };
            }
            Msg::Downloaded(generation, part, result) => {
                if generation != self.fetch_gen || self.fetch.is_none() {
                    return false;
                }
                match result {
                    Err(e) => {
                        self.stop_fetch(); // and the other download
                        self.error(e);
                    }
                    Ok(d) => {
                        let Some(f) = self.fetch.as_mut() else { return false };
                        if part == Part::Snapshot {
                            f.dump = Some(d);
                        } else {
                            f.exe_file = Some(d);
                        }
                        if f.dump.is_some() && f.exe_file.is_some() {
                            self.open_snapshot();
                        }
                    }
                }
            }
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let ondragover = link.callback(|e: DragEvent| {
            e.prevent_default();
            Msg::DragOver(true)
        });
        let ondragleave = link.callback(|_e: DragEvent| Msg::DragOver(false));
        let ondrop = link.batch_callback(|e: DragEvent| {
            e.prevent_default();
            let files = e.data_transfer().and_then(|dt| dt.files()).map(file_list).unwrap_or_default();
            vec![Msg::DragOver(false), Msg::Files(files)]
        });
        let onchange = link.callback(|e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let files = input.files().map(file_list).unwrap_or_default();
            input.set_value("");
            Msg::Files(files)
        });
        let class = classes!("app", self.dragging.then_some("dragging"));
        html! {
            <div {class} {ondragover} {ondragleave} {ondrop}>
                <header>
                    <h1><a href="#/">{"heapwise"}</a></h1>
                    { self.view_nav() }
                    <div class="intake">
                        <label class="button">
                            {"Open core + executable…"}
                            <input id="files" type="file" multiple=true {onchange} />
                        </label>
                        <button id="demo" onclick={link.callback(|_| Msg::OpenDemo)}
                            disabled={self.busy.is_some()}>{"Open the demo"}</button>
                        if self.service.is_some() {
                            <button id="analyze-process" onclick={link.callback(|_| Msg::AnalyzeProcess)}
                                disabled={self.busy.is_some() || self.fetch.is_some()}
                                title="Takes a heap snapshot of the process serving this page (runtime/debug.WriteHeapDump), downloads it with the executable and analyzes both here">
                                {"Analyze this process now"}
                                <span class="note">{"the process stops while its snapshot is written"}</span>
                            </button>
                        }
                    </div>
                </header>
                { self.view_status(ctx) }
                <main>{ self.view_main() }</main>
                <footer>
                    {"Everything runs in this tab: your files never leave the machine. Drop a Go core (ELF or .zst) and its executable anywhere on the page (for a stripped executable, its separate debug file too)."}
                </footer>
            </div>
        }
    }
}

fn file_list(list: web_sys::FileList) -> Vec<File> {
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

impl App {
    fn restart_worker(&mut self, ctx: &Context<Self>) {
        self.worker = None; // terminates the old one
        self.generation += 1;
        self.worker_ready = false;
        self.crashed = false;
        self.outbox.clear();
        self.busy = None;
        self.loaded = None;
        self.cache = Rc::default();
        match spawn_worker(ctx.link(), self.generation) {
            Ok(w) => self.worker = Some(w),
            Err(e) => {
                self.crashed = true;
                self.error(e);
            }
        }
    }

    fn error(&mut self, msg: impl Into<String>) {
        let msg = msg.into();
        if !self.errors.contains(&msg) {
            self.errors.push(msg);
        }
    }

    fn send(&mut self, req: Request) {
        if !self.worker_ready {
            self.outbox.push(req);
            return;
        }
        let Some(w) = &self.worker else { return };
        match to_js(&req) {
            Ok(v) => {
                if let Err(e) = w.worker.post_message(&v) {
                    self.error(format!("could not send the request to the worker: {e:?}"));
                }
            }
            Err(e) => self.error(format!("could not encode the request: {e}")),
        }
    }

    /// Takes a snapshot of the process serving the page: downloads the snapshot and the
    /// executable at once; [`Self::open_snapshot`] opens them when both are in.
    fn analyze_process(&mut self, ctx: &Context<Self>) {
        let Some(info) = self.service.clone() else { return };
        if self.fetch.is_some() || self.busy.is_some() {
            return;
        }
        self.errors.clear();
        self.notice = None;
        let abort = match web_sys::AbortController::new() {
            Ok(a) => a,
            Err(e) => return self.error(format!("cannot start the downloads: {e:?}")),
        };
        self.fetch_gen += 1;
        self.fetch = Some(Fetch::default());
        let generation = self.fetch_gen;
        let names = [(Part::Snapshot, format!("{}-{}.dump", info.executable, info.pid)), (Part::Exe, info.executable.clone())];
        for (part, name) in names {
            let link = ctx.link().clone();
            let info = info.clone();
            let signal = abort.signal();
            wasm_bindgen_futures::spawn_local(async move {
                let l = link.clone();
                let progress = move |loaded, total| l.send_message(Msg::Download(generation, part, loaded, total));
                let result = service::download(&info, part, name, signal, progress).await;
                link.send_message(Msg::Downloaded(generation, part, result));
            });
        }
        self.fetch_abort = Some(abort);
    }

    /// Stops the downloads of a snapshot, if any (their answers, if still to come, are dropped).
    fn stop_fetch(&mut self) {
        if let Some(a) = self.fetch_abort.take() {
            a.abort();
        }
        self.fetch = None;
        self.fetch_gen += 1;
    }

    /// Opens a downloaded snapshot with its executable, as if both had been dropped, and keeps
    /// them for "Save snapshot".
    fn open_snapshot(&mut self) {
        let Some(Fetch { dump: Some(dump), exe_file: Some(exe), .. }) = self.fetch.take() else { return };
        self.fetch_abort = None;
        let url = |f: &File| web_sys::Url::create_object_url_with_blob(f).unwrap_or_default();
        let saved = Saved {
            dump_url: url(&dump.file),
            dump_name: dump.file.name(),
            dump_bytes: dump.file.size() as u64,
            exe_url: url(&exe.file),
            exe_name: exe.file.name(),
            pause_ms: dump.pause_ms,
        };
        let what = match &self.service {
            Some(s) => format!("a snapshot of {} (pid {})", s.executable, s.pid),
            None => "a snapshot of the process".into(),
        };
        self.pending = Pending::default();
        self.start_opening(what, Request::Open { core: Some(dump.file), exe: Some(exe.file), debug: None });
        self.saved = Some(saved);
    }

    /// Drops the loaded analysis and asks the worker to open another one.
    fn start_opening(&mut self, what: String, req: Request) {
        self.saved = None;
        self.cache = Rc::default();
        self.loaded = None;
        self.notice = None;
        self.errors.clear();
        self.busy = Some(Busy { what, phase: "starting".into(), fraction: 0.0 });
        self.send(req);
    }

    /// Adds dropped files to those waiting, and opens them once they make an analysis: a core
    /// with its executable, or a heap dump (with or without one); a debug file goes along.
    fn take_files(&mut self, files: Vec<(File, Dropped)>) {
        self.notice = None;
        for (f, kind) in files {
            match kind {
                Dropped::Core => {
                    self.pending.core = Some(f);
                    self.pending.core_is_dump = false;
                }
                Dropped::HeapDump => {
                    self.pending.core = Some(f);
                    self.pending.core_is_dump = true;
                }
                Dropped::Executable => self.pending.exe = Some(f),
                Dropped::DebugInfo => self.pending.debug = Some(f),
                Dropped::Rejected(why) => self.error(why),
            }
        }
        let p = &self.pending;
        let ready = p.core.is_some() && (p.exe.is_some() || p.core_is_dump);
        if ready {
            let Pending { core, exe, debug, .. } = std::mem::take(&mut self.pending);
            let names: Vec<String> = [&core, &exe, &debug].into_iter().flatten().map(|f| f.name()).collect();
            self.start_opening(names.join(" with "), Request::Open { core, exe, debug });
            return;
        }
        let debug = p.debug.as_ref().map(|d| format!(" (and the debug file {})", d.name())).unwrap_or_default();
        self.notice = match (&p.core, &p.exe) {
            (Some(c), _) => Some(format!(
                "Got the core {}{debug}. The executable is missing: add the program that produced it.",
                c.name()
            )),
            (None, Some(e)) => Some(format!(
                "Got the executable {}{debug}. The core is missing: add the core dump (ELF or .zst).",
                e.name()
            )),
            (None, None) => p.debug.as_ref().map(|d| {
                format!("Got the debug file {}. The core and the executable are missing: add them.", d.name())
            }),
        };
    }

    fn on_response(&mut self, resp: Response) {
        match resp {
            Response::Ready => {
                self.worker_ready = true;
                for req in std::mem::take(&mut self.outbox) {
                    self.send(req);
                }
            }
            Response::Progress { phase, fraction } => {
                if let Some(b) = &mut self.busy {
                    b.phase = phase;
                    b.fraction = fraction;
                }
            }
            Response::Error { request, message, fatal } => {
                if fatal {
                    self.crashed = true;
                    self.busy = None;
                    self.loaded = None;
                    self.error(format!("{message}. Restart the worker and open the files again."));
                } else if request == "open" {
                    self.busy = None;
                    self.error(format!("Could not open the files: {message}"));
                } else {
                    self.error(format!("{request}: {message}"));
                }
            }
            Response::Opened { core_name, exe_name, debug_name, overview } => {
                self.busy = None;
                self.loaded = Some(Loaded { core: core_name, exe: exe_name, debug: debug_name });
                Rc::make_mut(&mut self.cache).insert(Query::Overview, Answer::Overview(overview));
                if matches!(self.route, Route::Home | Route::Unknown(_)) {
                    Route::Overview.navigate();
                }
            }
            Response::Answer { query, answer } => Rc::make_mut(&mut self.cache).answer(query, answer),
            Response::Failed { query, message } => {
                if Rc::make_mut(&mut self.cache).fail(&query) {
                    self.error(format!("{}: {message}", query.name()));
                }
            }
            Response::Memory { wasm_bytes } => self.wasm_memory = Some(wasm_bytes),
            Response::Cancelled => {}
        }
    }

    fn view_nav(&self) -> Html {
        if self.loaded.is_none() {
            return html! {};
        }
        let item = |r: Route, label: &str, active: bool| {
            html! { <a href={r.href()} class={classes!(active.then_some("active"))}>{label.to_string()}</a> }
        };
        let route = &self.route;
        html! {
            <nav>
                { item(Route::Overview, "Overview", matches!(route, Route::Overview | Route::Home)) }
                { item(Route::Histogram, "Histogram", matches!(route, Route::Histogram | Route::Objects(_))) }
                { item(Route::Dominators, "Dominators", matches!(route, Route::Dominators)) }
                { item(Route::Suspects, "Leak suspects", matches!(route, Route::Suspects)) }
                { item(Route::Goroutines, "Goroutines", matches!(route, Route::Goroutines | Route::GoroutineList)) }
            </nav>
        }
    }

    fn view_status(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let errors = if self.errors.is_empty() {
            html! {}
        } else {
            html! {
                <div class="errors" role="alert">
                    { for self.errors.iter().map(|e| html! { <p>{e.clone()}</p> }) }
                    <button onclick={link.callback(|_| Msg::DismissErrors)}>{"Dismiss"}</button>
                    if self.crashed {
                        <button id="restart" onclick={link.callback(|_| Msg::RestartWorker)}>{"Restart the worker"}</button>
                    }
                </div>
            }
        };
        let busy = match &self.busy {
            Some(b) => html! {
                <div class="busy" id="progress">
                    <div>{format!("Analyzing {}: ", b.what)}<strong class="phase">{b.phase.clone()}</strong>
                        {format!(" {:.0}%", b.fraction * 100.0)}</div>
                    <progress max="1" value={b.fraction.to_string()}></progress>
                    <button id="cancel" onclick={link.callback(|_| Msg::Cancel)}>{"Cancel"}</button>
                </div>
            },
            None => html! {},
        };
        let fetching = match &self.fetch {
            Some(f) => {
                let row = |part: Part, p: &Progress| {
                    let id = format!("{}-progress", if part == Part::Snapshot { "snapshot" } else { "exe" });
                    let (value, max, text) = match p.total {
                        Some(t) => (p.loaded, t.max(1), format!("{} of {}", fmt_bytes(p.loaded), fmt_bytes(t))),
                        None => (0, 1, fmt_bytes(p.loaded)),
                    };
                    html! {
                        <div class="download">
                            <span class="what">{format!("Downloading the {}: ", part.label())}</span>
                            <progress {id} max={max.to_string()} value={value.to_string()}></progress>
                            <span class="bytes">{text}</span>
                        </div>
                    }
                };
                let snapshot_text = if f.snapshot.total.is_none() && f.dump.is_none() {
                    html! { <div class="phase">{"Writing the snapshot (the process is stopped meanwhile)…"}</div> }
                } else {
                    html! {}
                };
                html! {
                    <div class="busy" id="fetching">
                        <div class="downloads">
                            {snapshot_text}
                            { row(Part::Snapshot, &f.snapshot) }
                            { row(Part::Exe, &f.exe) }
                        </div>
                        <button id="cancel-fetch" onclick={link.callback(|_| Msg::Cancel)}>{"Cancel"}</button>
                    </div>
                }
            }
            None => html! {},
        };
        let saved = match &self.saved {
            Some(s) => html! {
                <div class="saved">
                    <a id="save-snapshot" class="button" href={s.dump_url.clone()} download={s.dump_name.clone()}
                        data-bytes={s.dump_bytes.to_string()} title={format!("{} ({})", s.dump_name, fmt_bytes(s.dump_bytes))}>{"Save snapshot"}</a>
                    <a id="save-exe" class="button" href={s.exe_url.clone()} download={s.exe_name.clone()}>{"Save executable"}</a>
                    if let Some(ms) = s.pause_ms {
                        <span id="snapshot-pause" data-ms={ms.to_string()}>
                            {format!(" The process was stopped for {ms:.1} ms while the snapshot was written.")}</span>
                    }
                </div>
            },
            None => html! {},
        };
        let notice = match &self.notice {
            Some(n) => html! { <div class="notice">{n.clone()}</div> },
            None => html! {},
        };
        let loaded = match &self.loaded {
            Some(l) => {
                let files: Vec<&str> = [&l.core, &l.exe].into_iter().filter(|s| !s.is_empty()).map(|s| s.as_str()).collect();
                html! {
                    <div class="loaded">{files.join(" + ")}
                        if !l.debug.is_empty() { <span class="debug-file">{format!(" (debug information: {})", l.debug)}</span> }
                        if let Some(m) = self.wasm_memory {
                            <span id="wasm-memory" data-bytes={m.to_string()}
                                title="Size of the analysis worker's WebAssembly memory (it never shrinks: this is also the peak)">
                                {format!(" · worker memory {}", fmt_bytes(m))}</span>
                        }
                    </div>
                }
            }
            None => html! {},
        };
        let starting = if !self.worker_ready && !self.crashed {
            html! { <div class="notice">{"Starting the analysis worker…"}</div> }
        } else {
            html! {}
        };
        html! { <div class="status">{errors}{fetching}{busy}{notice}{loaded}{saved}{starting}</div> }
    }

    /// The current route's view while an analysis is loaded (none while one is being
    /// opened: the previous one is dropped first); else the welcome text.
    fn view_main(&self) -> Html {
        if self.loaded.is_some() {
            let session = Session { cache: self.cache.clone(), ask: self.ask.clone() };
            return html! {
                <ContextProvider<Session> context={session}>
                    <Router route={self.route.clone()} />
                </ContextProvider<Session>>
            };
        }
        if self.busy.is_none() && !matches!(self.route, Route::Home | Route::Unknown(_)) {
            return html! { <p class="empty">{"Nothing is loaded: open a core and its executable, or the demo, to see this page."}</p> };
        }
        html! {
            <section class="welcome">
                <h2>{"Look inside a Go process's heap"}</h2>
                <p>{"Drop a core dump of a Go program (from gcore or GOTRACEBACK=crash, plain or .zst) together with the exact executable that produced it, or click “Open the demo”. For a stripped executable, drop its separate debug file along with them."}</p>
                <p>{"heapwise names every live object by its Go type, shows where the memory goes and why each object is alive."}</p>
                if let Some(s) = &self.service {
                    <p id="service-info">{format!(
                        "This page is served by {} (pid {}, {}). “Analyze this process now” takes a heap snapshot of it (runtime/debug.WriteHeapDump: every goroutine of the process stops while it is written; its heap objects take {} now), downloads it and the executable from the service and analyzes both in this tab.",
                        s.executable, s.pid, s.go_version, fmt_bytes(s.heap_object_bytes)
                    )}</p>
                }
            </section>
        }
    }
}
