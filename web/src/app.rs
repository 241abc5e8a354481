//! The page: file intake, progress, hash routing and the views. All analysis runs in the
//! worker; the page only keeps the answers it was sent.

use std::collections::{BTreeSet, HashMap, HashSet};

use heapwise_core::report::{
    Breakdown, FieldValue, GoroutineInfo, HistogramRow, ObjectDetail, ObjectRow, Overview, PointerRef,
    RootInfo, RootPath,
};
use heapwise_sources::{classify, FileKind};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DragEvent, ErrorEvent, File, HtmlInputElement, MessageEvent, Worker};
use yew::prelude::*;

use crate::protocol::{from_js, to_js, Request, Response};

/// Trunk's loader shim for the worker binary (relative: works under any sub-path).
pub const WORKER_URL: &str = "./worker_loader.js";
/// Rows shown at most in long tables.
const MAX_ROWS: usize = 2000;
/// Bytes shown at most in a hex dump.
const MAX_HEX: usize = 4096;

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
pub enum Route {
    Home,
    Overview,
    Histogram,
    /// Instances of one type.
    Objects(String),
    Object(u64),
    Path(u64),
    Goroutines,
    Unknown(String),
}

pub fn parse_addr(s: &str) -> Option<u64> {
    let s = s.trim();
    let hex = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
    u64::from_str_radix(hex, 16).ok()
}

fn decode(s: &str) -> String {
    js_sys::decode_uri_component(s).map(String::from).unwrap_or_else(|_| s.to_string())
}

fn encode(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

impl Route {
    pub fn parse(hash: &str) -> Route {
        let h = hash.trim_start_matches('#').trim_start_matches('/');
        let (head, rest) = h.split_once('/').unwrap_or((h, ""));
        let addr = |r: &str, f: fn(u64) -> Route| parse_addr(r).map(f).unwrap_or(Route::Unknown(h.to_string()));
        match head {
            "" => Route::Home,
            "overview" => Route::Overview,
            "histogram" => Route::Histogram,
            "goroutines" => Route::Goroutines,
            "objects" if !rest.is_empty() => Route::Objects(decode(rest)),
            "object" => addr(rest, Route::Object),
            "path" => addr(rest, Route::Path),
            _ => Route::Unknown(h.to_string()),
        }
    }

    pub fn href(&self) -> String {
        match self {
            Route::Home => "#/".into(),
            Route::Overview => "#/overview".into(),
            Route::Histogram => "#/histogram".into(),
            Route::Goroutines => "#/goroutines".into(),
            Route::Objects(t) => format!("#/objects/{}", encode(t)),
            Route::Object(a) => format!("#/object/{a:#x}"),
            Route::Path(a) => format!("#/path/{a:#x}"),
            Route::Unknown(s) => format!("#/{s}"),
        }
    }
}

fn current_route() -> Route {
    let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
    Route::parse(&hash)
}

fn navigate(route: &Route) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_hash(&route.href());
    }
}

/// `^type$` with regex metacharacters escaped: the instances of exactly one type.
pub fn exact_type_regex(t: &str) -> String {
    let mut out = String::from("^");
    for c in t.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('$');
    out
}

// ---------------------------------------------------------------------------------------------
// Worker handle
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// The app
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SortKey {
    Type,
    Count,
    Bytes,
}

pub enum Msg {
    FromWorker(u32, JsValue),
    WorkerFailed(u32, String),
    Files(Vec<File>),
    Classified(Vec<(File, FileKind)>),
    OpenDemo,
    Cancel,
    RestartWorker,
    HashChanged,
    Sort(SortKey),
    Filter(String),
    FilterRegex(bool),
    DismissErrors,
    DragOver(bool),
}

struct Busy {
    what: String,
    phase: String,
    fraction: f64,
}

struct Loaded {
    core_name: String,
    exe_name: String,
}

pub struct App {
    worker: Option<WorkerHandle>,
    generation: u32,
    worker_ready: bool,
    /// Requests waiting for the worker's "ready".
    outbox: Vec<Request>,
    crashed: bool,
    busy: Option<Busy>,
    loaded: Option<Loaded>,
    pending_core: Option<File>,
    pending_exe: Option<File>,
    notice: Option<String>,
    errors: Vec<String>,
    dragging: bool,
    route: Route,
    overview: Option<Overview>,
    breakdown: Option<Breakdown>,
    histogram: Option<Vec<HistogramRow>>,
    /// Per type: (first rows, total count, total bytes).
    objects: HashMap<String, (Vec<ObjectRow>, u64, u64)>,
    object: HashMap<u64, Option<ObjectDetail>>,
    paths: HashMap<u64, Option<RootPath>>,
    goroutines: Option<Vec<GoroutineInfo>>,
    in_flight: HashSet<String>,
    sort: (SortKey, bool),
    filter: String,
    filter_regex: bool,
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
            pending_core: None,
            pending_exe: None,
            notice: None,
            errors: vec![],
            dragging: false,
            route: current_route(),
            overview: None,
            breakdown: None,
            histogram: None,
            objects: HashMap::new(),
            object: HashMap::new(),
            paths: HashMap::new(),
            goroutines: None,
            in_flight: HashSet::new(),
            sort: (SortKey::Bytes, true),
            filter: String::new(),
            filter_regex: false,
            _hashchange: hashchange,
        };
        app.restart_worker(ctx);
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
                self.ensure_data();
            }
            Msg::WorkerFailed(generation, message) => {
                if generation != self.generation {
                    return false;
                }
                self.crashed = true;
                self.worker_ready = false;
                self.busy = None;
                self.loaded = None;
                self.error(format!(
                    "The analysis worker stopped ({message}). Restart it and open the files again."
                ));
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
                    link.send_message(Msg::Classified(out));
                });
                return false;
            }
            Msg::Classified(files) => self.take_files(files),
            Msg::OpenDemo => {
                self.reset_data();
                self.pending_core = None;
                self.pending_exe = None;
                self.notice = None;
                self.errors.clear();
                self.busy = Some(Busy { what: "the demo".into(), phase: "starting".into(), fraction: 0.0 });
                self.send(Request::OpenDemo);
            }
            Msg::Cancel => {
                self.restart_worker(ctx);
                self.notice = Some("Cancelled.".into());
            }
            Msg::RestartWorker => {
                self.errors.clear();
                self.restart_worker(ctx);
            }
            Msg::HashChanged => {
                self.route = current_route();
                self.ensure_data();
            }
            Msg::Sort(key) => {
                self.sort = if self.sort.0 == key { (key, !self.sort.1) } else { (key, key != SortKey::Type) };
            }
            Msg::Filter(f) => self.filter = f,
            Msg::FilterRegex(r) => self.filter_regex = r,
            Msg::DismissErrors => self.errors.clear(),
            Msg::DragOver(d) => {
                if self.dragging == d {
                    return false;
                }
                self.dragging = d;
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
                    </div>
                </header>
                { self.view_status(ctx) }
                <main>{ self.view_route(link) }</main>
                <footer>
                    {"Everything runs in this tab: your files never leave the machine. Drop a Go core (ELF or .zst) and its executable anywhere on the page."}
                </footer>
            </div>
        }
    }
}

/// Reads a file's first bytes and says what it is.
async fn sniff(f: &File) -> FileKind {
    let Ok(head) = f.slice_with_i32_and_i32(0, 64) else { return FileKind::Unknown };
    match JsFuture::from(head.array_buffer()).await {
        Ok(ab) => classify(&Uint8Array::new(&ab).to_vec()),
        Err(_) => FileKind::Unknown,
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
        self.reset_data();
        match spawn_worker(ctx.link(), self.generation) {
            Ok(w) => self.worker = Some(w),
            Err(e) => {
                self.crashed = true;
                self.error(e);
            }
        }
    }

    fn reset_data(&mut self) {
        self.overview = None;
        self.breakdown = None;
        self.histogram = None;
        self.objects.clear();
        self.object.clear();
        self.paths.clear();
        self.goroutines = None;
        self.in_flight.clear();
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

    /// Sends `req` unless the same request is already on its way.
    fn request(&mut self, key: String, req: Request) {
        if self.in_flight.insert(key) {
            self.send(req);
        }
    }

    fn take_files(&mut self, files: Vec<(File, FileKind)>) {
        self.notice = None;
        // A heap dump is analyzed with or without its executable.
        let dump = files.iter().any(|(_, k)| *k == FileKind::HeapDump);
        for (f, kind) in files {
            match kind {
                FileKind::HeapDump => self.pending_core = Some(f),
                FileKind::Core | FileKind::ZstdCore => self.pending_core = Some(f),
                FileKind::Executable => self.pending_exe = Some(f),
                FileKind::OtherElf(t) => self.error(format!(
                    "{} is an ELF file of type {t}, neither a core dump (type 4) nor an executable (types 2 and 3).",
                    f.name()
                )),
                FileKind::Unknown => self.error(format!(
                    "{} is neither an ELF core, a zstd-compressed core (.zst), nor an ELF executable.",
                    f.name()
                )),
            }
        }
        match (self.pending_core.take(), self.pending_exe.take()) {
            (Some(core), None) if dump => {
                self.reset_data();
                self.loaded = None;
                self.errors.clear();
                self.busy = Some(Busy { what: core.name(), phase: "starting".into(), fraction: 0.0 });
                self.send(Request::Open { core: Some(core), exe: None });
            }
            (Some(core), Some(exe)) => {
                self.reset_data();
                self.loaded = None;
                self.errors.clear();
                self.busy = Some(Busy {
                    what: format!("{} with {}", core.name(), exe.name()),
                    phase: "starting".into(),
                    fraction: 0.0,
                });
                self.send(Request::Open { core: Some(core), exe: Some(exe) });
            }
            (core, exe) => {
                if let Some(c) = &core {
                    self.notice = Some(format!(
                        "Got the core {}. The executable is missing: add the program that produced it.",
                        c.name()
                    ));
                }
                if let Some(e) = &exe {
                    self.notice = Some(format!(
                        "Got the executable {}. The core is missing: add the core dump (ELF or .zst).",
                        e.name()
                    ));
                }
                self.pending_core = core;
                self.pending_exe = exe;
            }
        }
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
                    return;
                }
                if request == "open" {
                    self.busy = None;
                    self.error(format!("Could not open the files: {message}"));
                } else {
                    self.in_flight.retain(|k| !k.starts_with(&request));
                    self.error(format!("{request}: {message}"));
                }
            }
            Response::Opened { core_name, exe_name, overview } => {
                self.busy = None;
                self.loaded = Some(Loaded { core_name, exe_name });
                self.overview = Some(overview);
                if matches!(self.route, Route::Home | Route::Unknown(_)) {
                    navigate(&Route::Overview);
                }
            }
            Response::Overview { overview } => {
                self.in_flight.remove("overview");
                self.overview = Some(overview);
            }
            Response::Histogram { rows } => {
                self.in_flight.remove("histogram");
                self.histogram = Some(rows);
            }
            Response::Objects { type_regex, rows, total, total_bytes } => {
                // Keyed by the type name the page asked for.
                let key = self
                    .in_flight
                    .iter()
                    .find(|k| k.strip_prefix("objects:").map(exact_type_regex) == type_regex)
                    .cloned();
                if let Some(k) = key {
                    self.in_flight.remove(&k);
                    self.objects.insert(k["objects:".len()..].to_string(), (rows, total, total_bytes));
                }
            }
            Response::Object { addr, detail } => {
                self.in_flight.remove(&format!("object:{addr}"));
                self.object.insert(addr, detail);
            }
            Response::Path { addr, path } => {
                self.in_flight.remove(&format!("path:{addr}"));
                self.paths.insert(addr, path);
            }
            Response::Goroutines { goroutines } => {
                self.in_flight.remove("goroutines");
                self.goroutines = Some(goroutines);
            }
            Response::Breakdown { breakdown } => {
                self.in_flight.remove("breakdown");
                self.breakdown = Some(breakdown);
            }
            Response::Cancelled => {}
        }
    }

    /// Asks the worker for whatever the current view needs and is not here yet.
    fn ensure_data(&mut self) {
        if self.loaded.is_none() || self.crashed || self.busy.is_some() {
            return;
        }
        match self.route.clone() {
            Route::Overview | Route::Home => {
                if self.overview.is_none() {
                    self.request("overview".into(), Request::Overview);
                }
                if self.breakdown.is_none() {
                    self.request("breakdown".into(), Request::Breakdown);
                }
            }
            Route::Histogram => {
                if self.histogram.is_none() {
                    self.request("histogram".into(), Request::Histogram);
                }
            }
            Route::Objects(t) => {
                if !self.objects.contains_key(&t) {
                    let re = exact_type_regex(&t);
                    self.request(format!("objects:{t}"), Request::Objects { type_regex: Some(re) });
                }
            }
            Route::Object(a) => {
                if !self.object.contains_key(&a) {
                    self.request(format!("object:{a}"), Request::Object { addr: a });
                }
                if !self.paths.contains_key(&a) {
                    self.request(format!("path:{a}"), Request::Path { addr: a });
                }
            }
            Route::Path(a) => {
                if !self.paths.contains_key(&a) {
                    self.request(format!("path:{a}"), Request::Path { addr: a });
                }
            }
            Route::Goroutines => {
                if self.goroutines.is_none() {
                    self.request("goroutines".into(), Request::Goroutines);
                }
            }
            Route::Unknown(_) => {}
        }
    }

    // -----------------------------------------------------------------------------------------
    // Views
    // -----------------------------------------------------------------------------------------

    fn view_nav(&self) -> Html {
        if self.loaded.is_none() {
            return html! {};
        }
        let item = |r: Route, label: &str, active: bool| {
            html! { <a href={r.href()} class={classes!(active.then_some("active"))}>{label.to_string()}</a> }
        };
        html! {
            <nav>
                { item(Route::Overview, "Overview", matches!(self.route, Route::Overview | Route::Home)) }
                { item(Route::Histogram, "Histogram", matches!(self.route, Route::Histogram | Route::Objects(_))) }
                { item(Route::Goroutines, "Goroutines", matches!(self.route, Route::Goroutines)) }
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
        let notice = match &self.notice {
            Some(n) => html! { <div class="notice">{n.clone()}</div> },
            None => html! {},
        };
        let loaded = match &self.loaded {
            Some(l) => html! { <div class="loaded">{format!("{} + {}", l.core_name, l.exe_name)}</div> },
            None => html! {},
        };
        let starting = if !self.worker_ready && !self.crashed {
            html! { <div class="notice">{"Starting the analysis worker…"}</div> }
        } else {
            html! {}
        };
        html! { <div class="status">{errors}{busy}{notice}{loaded}{starting}</div> }
    }

    fn view_route(&self, link: &html::Scope<App>) -> Html {
        if self.loaded.is_none() {
            if let Route::Unknown(_) | Route::Home = self.route {
            } else if self.busy.is_none() {
                return html! { <p class="empty">{"Nothing is loaded: open a core and its executable, or the demo, to see this page."}</p> };
            }
            return html! {
                <section class="welcome">
                    <h2>{"Look inside a Go process's heap"}</h2>
                    <p>{"Drop a core dump of a Go program (from gcore or GOTRACEBACK=crash, plain or .zst) together with the exact executable that produced it, or click “Open the demo”."}</p>
                    <p>{"heapwise names every live object by its Go type, shows where the memory goes and why each object is alive."}</p>
                </section>
            };
        }
        if self.busy.is_some() {
            return html! {};
        }
        match &self.route {
            Route::Home | Route::Overview => self.view_overview(),
            Route::Histogram => self.view_histogram(link),
            Route::Objects(t) => self.view_objects(t),
            Route::Object(a) => self.view_object(*a),
            Route::Path(a) => self.view_path_page(*a),
            Route::Goroutines => self.view_goroutines(),
            Route::Unknown(s) => html! { <p class="empty">{format!("There is no page “{s}”.")}</p> },
        }
    }

    fn loading(what: &str) -> Html {
        html! { <p class="loading">{format!("Loading {what}…")}</p> }
    }

    fn view_overview(&self) -> Html {
        let Some(o) = &self.overview else { return Self::loading("the overview") };
        let facts = [
            ("Go version", o.go_version.clone()),
            ("Architecture", o.arch.clone()),
            ("Threads", o.threads.to_string()),
            ("Goroutines", o.goroutines.to_string()),
            ("Live objects", o.live_objects.to_string()),
            ("Live bytes", fmt_bytes(o.live_bytes)),
            ("Garbage objects", o.garbage_objects.to_string()),
            ("Garbage bytes", fmt_bytes(o.garbage_bytes)),
        ];
        html! {
            <section id="overview">
                <h2>{"Overview"}</h2>
                <dl class="facts">
                    { for facts.iter().map(|(k, v)| html! { <><dt>{*k}</dt><dd>{v.clone()}</dd></> }) }
                </dl>
                if !o.warnings.is_empty() {
                    <div class="warnings"><h3>{"Warnings"}</h3>
                        <ul>{ for o.warnings.iter().map(|w| html! { <li>{w.clone()}</li> }) }</ul>
                    </div>
                }
                <h3>{"Where the memory goes"}</h3>
                { match &self.breakdown {
                    Some(b) => breakdown_chart(b),
                    None => Self::loading("the breakdown"),
                } }
            </section>
        }
    }

    fn view_histogram(&self, link: &html::Scope<App>) -> Html {
        let Some(rows) = &self.histogram else { return Self::loading("the histogram") };
        let mut filtered: Vec<&HistogramRow> = rows.iter().collect();
        let mut filter_error = None;
        if !self.filter.is_empty() {
            if self.filter_regex {
                match js_regex(&self.filter) {
                    Ok(re) => filtered.retain(|r| re.test(&r.type_name)),
                    Err(e) => filter_error = Some(e),
                }
            } else {
                let f = self.filter.to_lowercase();
                filtered.retain(|r| r.type_name.to_lowercase().contains(&f));
            }
        }
        let (key, desc) = self.sort;
        filtered.sort_by(|a, b| {
            let o = match key {
                SortKey::Type => a.type_name.cmp(&b.type_name),
                SortKey::Count => a.count.cmp(&b.count).then(a.bytes.cmp(&b.bytes)),
                SortKey::Bytes => a.bytes.cmp(&b.bytes).then(a.count.cmp(&b.count)),
            };
            if desc { o.reverse() } else { o }
        });
        let total_count: u64 = filtered.iter().map(|r| r.count).sum();
        let total_bytes: u64 = filtered.iter().map(|r| r.bytes).sum();
        let header = |k: SortKey, label: &str| {
            let arrow = if key == k { if desc { " ▼" } else { " ▲" } } else { "" };
            html! { <th><button class="sort" data-key={label.to_lowercase()}
                        onclick={link.callback(move |_| Msg::Sort(k))}>{format!("{label}{arrow}")}</button></th> }
        };
        html! {
            <section id="histogram-view">
                <h2>{"Histogram of live objects"}</h2>
                <div class="filter">
                    <input id="filter" type="search" placeholder="filter types (substring)" value={self.filter.clone()}
                        oninput={link.callback(|e: InputEvent| {
                            let input: HtmlInputElement = e.target_unchecked_into();
                            Msg::Filter(input.value())
                        })} />
                    <label><input id="filter-regex" type="checkbox" checked={self.filter_regex}
                        onchange={link.callback(|e: Event| {
                            let input: HtmlInputElement = e.target_unchecked_into();
                            Msg::FilterRegex(input.checked())
                        })} />{" regular expression"}</label>
                    if let Some(e) = filter_error { <span class="bad">{e}</span> }
                </div>
                <p class="summary">{format!("{} types, {} objects, {}", filtered.len(), total_count, fmt_bytes(total_bytes))}</p>
                <table id="histogram" class="grid">
                    <thead><tr>{header(SortKey::Type, "Type")}{header(SortKey::Count, "Count")}{header(SortKey::Bytes, "Bytes")}</tr></thead>
                    <tbody>
                    { for filtered.iter().take(MAX_ROWS).map(|r| html! {
                        <tr class="hist-row" data-type={r.type_name.clone()}>
                            <td class="type"><a href={Route::Objects(r.type_name.clone()).href()}>{r.type_name.clone()}</a></td>
                            <td class="count num">{r.count}</td>
                            <td class="bytes num" title={format!("{} bytes", r.bytes)}>{fmt_bytes(r.bytes)}</td>
                        </tr>
                    }) }
                    </tbody>
                </table>
                if filtered.len() > MAX_ROWS { <p class="more">{format!("{} more rows: narrow the filter.", filtered.len() - MAX_ROWS)}</p> }
            </section>
        }
    }

    fn view_objects(&self, t: &str) -> Html {
        let Some((rows, total, bytes)) = self.objects.get(t) else {
            return Self::loading(&format!("the objects of type {t}"));
        };
        let (total, bytes) = (*total, *bytes);
        html! {
            <section id="objects">
                <h2>{format!("{t}")}</h2>
                <p class="summary">{format!("{total} live objects, {}", fmt_bytes(bytes))}</p>
                <table class="grid" id="object-list">
                    <thead><tr><th>{"Address"}</th><th>{"Type"}</th><th>{"Size"}</th></tr></thead>
                    <tbody>
                    { for rows.iter().take(MAX_ROWS).map(|r| html! {
                        <tr class="object-row">
                            <td>{addr_link(r.addr)}</td>
                            <td>{r.type_name.clone()}</td>
                            <td class="num">{r.size}</td>
                        </tr>
                    }) }
                    </tbody>
                </table>
                if total as usize > MAX_ROWS.min(rows.len()) {
                    <p class="more">{format!("Showing the first {} of {total}.", MAX_ROWS.min(rows.len()))}</p>
                }
            </section>
        }
    }

    fn view_object(&self, a: u64) -> Html {
        let Some(detail) = self.object.get(&a) else { return Self::loading(&format!("object {a:#x}")) };
        let Some(d) = detail else {
            return html! { <section id="object"><h2>{format!("{a:#x}")}</h2>
                <p class="empty">{format!("There is no heap object at {a:#x}.")}</p></section> };
        };
        html! {
            <section id="object">
                <h2><span class="addr">{format!("{:#x}", d.addr)}</span>{" "}
                    <a class="type" href={Route::Objects(d.type_name.clone()).href()}>{d.type_name.clone()}</a></h2>
                <dl class="facts">
                    <dt>{"Size"}</dt><dd>{format!("{} bytes (size class {})", d.size, d.size_class)}</dd>
                    <dt>{"State"}</dt><dd>{if d.live { "live (reachable)" } else { "garbage (unreachable, not yet freed)" }}</dd>
                </dl>
                <h3>{"Path from a root"}</h3>
                { match self.paths.get(&a) {
                    None => Self::loading("the path"),
                    Some(p) => path_view(a, p.as_ref()),
                } }
                if !d.root_refs.is_empty() {
                    <h3>{"Referenced directly by roots"}</h3>
                    <ul>{ for d.root_refs.iter().map(root_html) }</ul>
                }
                <h3>{"Fields"}</h3>
                if d.fields.is_empty() { <p class="empty">{"No typed fields (type unknown or no fields)."}</p> }
                else { <ul class="fields">{ for d.fields.iter().map(field_html) }</ul> }
                <h3>{format!("Points to ({})", d.outbound.len())}</h3>
                { refs_table(&d.outbound, "outbound") }
                <h3>{format!("Pointed to by ({})", d.inbound.len())}</h3>
                { refs_table(&d.inbound, "inbound") }
                <h3>{"Contents"}</h3>
                { hex_dump(d) }
            </section>
        }
    }

    fn view_path_page(&self, a: u64) -> Html {
        html! {
            <section id="path-page">
                <h2>{"Why is "}{addr_link(a)}{" alive?"}</h2>
                { match self.paths.get(&a) {
                    None => Self::loading("the path"),
                    Some(p) => path_view(a, p.as_ref()),
                } }
            </section>
        }
    }

    fn view_goroutines(&self) -> Html {
        let Some(gs) = &self.goroutines else { return Self::loading("the goroutines") };
        html! {
            <section id="goroutines">
                <h2>{format!("{} goroutines", gs.len())}</h2>
                { for gs.iter().map(|g| html! {
                    <details class="goroutine" open={gs.len() <= 20}>
                        <summary>
                            <strong>{format!("goroutine {}", g.id)}</strong>{" "}
                            <span class="status">{g.status.clone()}</span>
                            if !g.wait_reason.is_empty() { <span class="wait">{format!(" ({})", g.wait_reason)}</span> }
                            {format!(" — {} frames", g.frames.len())}
                        </summary>
                        <ol class="frames">
                        { for g.frames.iter().map(|f| html! {
                            <li>
                                <code class="func">{f.function.clone()}</code>
                                <span class="pos">{format!(" {}:{}", f.file, f.line)}</span>
                                if !f.locals.is_empty() {
                                    <ul class="locals">
                                    { for f.locals.iter().map(|l| html! {
                                        <li><code>{l.name.clone()}</code>{" → "}{addr_link(l.addr)}
                                            <span class="type">{format!(" {}", l.type_name)}</span></li>
                                    }) }
                                    </ul>
                                }
                            </li>
                        }) }
                        </ol>
                    </details>
                }) }
            </section>
        }
    }
}

fn addr_link(a: u64) -> Html {
    html! { <a class="addr" href={Route::Object(a).href()}>{format!("{a:#x}")}</a> }
}

fn root_html(r: &RootInfo) -> Html {
    html! { <li class="root"><span class={classes!("kind", r.kind.clone())}>{r.kind.clone()}</span>{" "}<code>{r.name.clone()}</code></li> }
}

fn path_view(target: u64, p: Option<&RootPath>) -> Html {
    let Some(p) = p else {
        return html! { <p class="empty" id="path">{format!("No path from a root reaches {target:#x}: it is garbage (unreachable).")}</p> };
    };
    html! {
        <ol class="path" id="path">
            <li class="root"><span class={classes!("kind", p.root.kind.clone())}>{p.root.kind.clone()}</span>{" "}<code>{p.root.name.clone()}</code></li>
            { for p.hops.iter().map(|h| html! {
                <li>{if h.field.is_empty() { html!{} } else { html! { <code class="field">{format!(".{} → ", h.field)}</code> } }}
                    {addr_link(h.addr)}{" "}<span class="type">{h.type_name.clone()}</span></li>
            }) }
        </ol>
    }
}

fn field_html(f: &FieldValue) -> Html {
    html! {
        <li>
            <code class="name">{f.name.clone()}</code>{" "}
            <span class="type">{f.type_name.clone()}</span>
            <span class="off">{format!(" +{:#x}", f.offset)}</span>
            {" = "}
            { match f.points_to {
                Some(t) => html! { <a class="addr" href={Route::Object(t).href()}>{f.value.clone()}</a> },
                None => html! { <code class="value">{f.value.clone()}</code> },
            } }
            if !f.children.is_empty() { <ul>{ for f.children.iter().map(field_html) }</ul> }
        </li>
    }
}

fn refs_table(refs: &[PointerRef], id: &str) -> Html {
    if refs.is_empty() {
        return html! { <p class="empty">{"None."}</p> };
    }
    html! {
        <table class="grid" id={id.to_string()}>
            <thead><tr><th>{"Object"}</th><th>{"Type"}</th><th>{"Field"}</th><th>{"Offset"}</th></tr></thead>
            <tbody>
            { for refs.iter().take(MAX_ROWS).map(|r| html! {
                <tr>
                    <td>{addr_link(r.addr)}{ if r.target_offset != 0 { format!(" +{:#x}", r.target_offset) } else { String::new() } }</td>
                    <td>{r.type_name.clone()}</td>
                    <td><code>{r.field.clone()}</code></td>
                    <td class="num">{format!("{:#x}", r.offset)}</td>
                </tr>
            }) }
            </tbody>
        </table>
    }
}

fn hex_dump(d: &ObjectDetail) -> Html {
    let ptrs: BTreeSet<u64> = d.pointer_offsets.iter().copied().collect();
    let shown = d.bytes.len().min(MAX_HEX);
    let rows = d.bytes[..shown].chunks(16).enumerate().map(|(i, row)| {
        let base = i * 16;
        let words = row.chunks(8).enumerate().map(|(j, w)| {
            let off = (base + j * 8) as u64;
            let hex: String = w.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
            if ptrs.contains(&off) && w.len() == 8 {
                let v = u64::from_le_bytes(w.try_into().unwrap());
                let title = format!("pointer word at +{off:#x}: {v:#x}");
                if v != 0 {
                    html! { <a class="ptr" href={Route::Object(v).href()} {title}>{hex}</a> }
                } else {
                    html! { <span class="ptr nil" {title}>{hex}</span> }
                }
            } else {
                html! { <span class="word">{hex}</span> }
            }
        });
        let ascii: String = row.iter().map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' }).collect();
        html! {
            <div class="hexrow"><span class="hoff">{format!("{base:06x}")}</span>
                { for words.map(|w| html! { <>{" "}{w}</> }) }
                <span class="ascii">{format!("  {ascii}")}</span></div>
        }
    });
    html! {
        <div class="hex" id="hex">
            { for rows }
            if d.bytes.len() > shown { <p class="more">{format!("{} more bytes not shown.", d.bytes.len() - shown)}</p> }
            if (d.bytes.len() as u64) < d.size { <p class="more">{format!("The engine sent the first {} of {} bytes.", d.bytes.len(), d.size)}</p> }
            <p class="legend"><span class="ptr">{"underlined"}</span>{" words are pointers according to the GC's pointer bitmap."}</p>
        </div>
    }
}

fn breakdown_chart(b: &Breakdown) -> Html {
    // Totals (`mapped/total`, ...) would dwarf the parts: they go in the caption instead.
    let (totals, parts): (Vec<_>, Vec<_>) = b.entries.iter().partition(|e| e.name.ends_with("total"));
    if parts.is_empty() {
        return html! { <p class="empty">{"No breakdown."}</p> };
    }
    let max = parts.iter().map(|e| e.bytes).max().unwrap_or(1).max(1) as f64;
    let row_h = 26.0;
    let (label_w, bar_w) = (330.0, 300.0);
    let height = row_h * parts.len() as f64;
    let caption = if totals.is_empty() {
        format!("Sum of the parts: {}", fmt_bytes(parts.iter().map(|e| e.bytes).sum()))
    } else {
        totals.iter().map(|e| format!("{}: {}", e.name, fmt_bytes(e.bytes))).collect::<Vec<_>>().join(" · ")
    };
    // SVG attributes, not style attributes: the page's CSP has no 'unsafe-inline'.
    html! {
        <figure class="breakdown">
            <svg id="breakdown" viewBox={format!("0 0 {} {height}", label_w + bar_w + 110.0)}
                 width={(label_w + bar_w + 110.0).to_string()} height={height.to_string()} role="img">
            { for parts.iter().enumerate().map(|(i, e)| {
                let y = i as f64 * row_h;
                let w = (e.bytes as f64 / max * bar_w).max(1.0);
                let cat = e.name.split('/').next().unwrap_or("").to_string();
                html! {
                    <g class={classes!("bar", cat)}>
                        <title>{format!("{}: {} bytes", e.name, e.bytes)}</title>
                        <text x="0" y={(y + 17.0).to_string()}>{e.name.clone()}</text>
                        <rect x={label_w.to_string()} y={(y + 4.0).to_string()} width={w.to_string()} height="18" rx="2"></rect>
                        <text x={(label_w + 6.0 + w).to_string()} y={(y + 17.0).to_string()} class="val">{fmt_bytes(e.bytes)}</text>
                    </g>
                }
            }) }
            </svg>
            <figcaption>{caption}</figcaption>
        </figure>
    }
}

/// `RegExp` built without letting an invalid pattern throw through wasm.
fn js_regex(pattern: &str) -> Result<js_sys::RegExp, String> {
    let ctor: js_sys::Function = js_sys::Reflect::get(&js_sys::global(), &"RegExp".into())
        .map_err(|_| "RegExp unavailable".to_string())?
        .unchecked_into();
    let args = js_sys::Array::of2(&pattern.into(), &"".into());
    js_sys::Reflect::construct(&ctor, &args)
        .map(|v| v.unchecked_into())
        .map_err(|e| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| format!("invalid regular expression: {}", String::from(e.message())))
                .unwrap_or_else(|| "invalid regular expression".into())
        })
}

pub fn fmt_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}
