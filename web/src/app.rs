//! The page: file intake, progress, hash routing and the views. All analysis runs in the
//! worker; the page only keeps the answers it was sent.

use std::collections::{BTreeSet, HashMap, HashSet};

use heapwise_core::report::{
    Breakdown, DominatorNode, DominatorRef, FieldValue, GoroutineInfo, HistogramRow, ObjectDetail, ObjectRow,
    Overview, PointerRef, RootInfo, RootPath, Suspect, WhatIf,
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
    Dominators,
    Suspects,
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
            "dominators" => Route::Dominators,
            "suspects" => Route::Suspects,
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
            Route::Dominators => "#/dominators".into(),
            Route::Suspects => "#/suspects".into(),
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
    Retained,
    Waste,
    Padding,
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
    /// Expand or collapse a node of the dominator tree.
    ToggleDominator(u64),
    /// What if the object were unreachable (`None`) or that pointer field nil.
    WhatIf(u64, Option<String>),
    OwnersGraph(u64),
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
    /// Per type: (rounding waste, padding), and how long the worker took (ms).
    hist_cost: Option<(HashMap<String, (u64, u64)>, f64)>,
    /// Per type: retained bytes, and how long the worker took (ms, dominators included).
    hist_retained: Option<(HashMap<String, u64>, f64)>,
    /// Top of the dominator tree: (nodes, how many top nodes, live heap bytes).
    dom_top: Option<(Vec<DominatorNode>, u64, u64)>,
    dom_children: HashMap<u64, Vec<DominatorNode>>,
    dom_open: HashSet<u64>,
    suspects: Option<Vec<Suspect>>,
    /// What-if answers keyed by (object, field; "" = the whole object).
    whatifs: HashMap<(u64, String), WhatIf>,
    /// Owners graphs (SVG) by object address.
    owner_graphs: HashMap<u64, String>,
    /// The what-if shown on each object page.
    whatif_shown: HashMap<u64, String>,
    /// Size of the worker's wasm memory, as last reported.
    wasm_memory: Option<u64>,
    /// Requests that failed: not sent again until the next core is opened.
    failed: HashSet<String>,
    /// Per type: (first rows, total count, total bytes).
    objects: HashMap<String, (Vec<ObjectRow>, u64, u64)>,
    /// Object details, with the full length of their dominator chain (the answer carries its ends).
    object: HashMap<u64, (Option<ObjectDetail>, usize)>,
    /// Root paths, with their full length in hops (the answer carries the ends).
    paths: HashMap<u64, (Option<RootPath>, usize)>,
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
            hist_cost: None,
            hist_retained: None,
            dom_top: None,
            dom_children: HashMap::new(),
            dom_open: HashSet::new(),
            suspects: None,
            whatifs: HashMap::new(),
            owner_graphs: HashMap::new(),
            whatif_shown: HashMap::new(),
            wasm_memory: None,
            failed: HashSet::new(),
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
            Msg::ToggleDominator(a) => {
                if !self.dom_open.remove(&a) {
                    self.dom_open.insert(a);
                    if !self.dom_children.contains_key(&a) {
                        self.request(format!("dominator-children:{a}"), Request::DominatorChildren { addr: a });
                    }
                }
            }
            Msg::OwnersGraph(a) => {
                if !self.owner_graphs.contains_key(&a) {
                    self.request(format!("owners-graph:{a}"), Request::OwnersGraph { addr: a });
                }
            }
            Msg::WhatIf(a, field) => {
                let key = field.clone().unwrap_or_default();
                self.whatif_shown.insert(a, key.clone());
                if !self.whatifs.contains_key(&(a, key.clone())) {
                    self.request(format!("whatif:{a}:{key}"), Request::WhatIf { addr: a, field });
                }
            }
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
        self.hist_cost = None;
        self.hist_retained = None;
        self.dom_top = None;
        self.dom_children.clear();
        self.dom_open.clear();
        self.suspects = None;
        self.whatifs.clear();
        self.owner_graphs.clear();
        self.whatif_shown.clear();
        self.failed.clear();
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
    /// Requests that failed once are not sent again automatically (until the next open).
    fn request(&mut self, key: String, req: Request) {
        if self.failed.contains(&key) {
            return;
        }
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
                    let prefix = format!("{request}:");
                    let failed: Vec<String> =
                        self.in_flight.iter().filter(|k| **k == request || k.starts_with(&prefix)).cloned().collect();
                    for k in failed {
                        self.in_flight.remove(&k);
                        self.failed.insert(k);
                    }
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
            Response::HistogramCost { rows, ms } => {
                self.in_flight.remove("histogram-cost");
                let map = rows
                    .into_iter()
                    .map(|r| (r.type_name, (r.rounding_waste.unwrap_or(0), r.padding.unwrap_or(0))))
                    .collect();
                self.hist_cost = Some((map, ms));
            }
            Response::HistogramRetained { rows, ms } => {
                self.in_flight.remove("histogram-retained");
                let map = rows.into_iter().filter_map(|r| Some((r.type_name, r.retained?))).collect();
                self.hist_retained = Some((map, ms));
            }
            Response::DominatorTree { nodes, total, total_live } => {
                self.in_flight.remove("dominators");
                self.dom_top = Some((nodes, total, total_live));
            }
            Response::DominatorChildren { addr, nodes } => {
                self.in_flight.remove(&format!("dominator-children:{addr}"));
                self.dom_children.insert(addr, nodes);
            }
            Response::Suspects { suspects, .. } => {
                self.in_flight.remove("suspects");
                self.suspects = Some(suspects);
            }
            Response::OwnersGraph { addr, svg } => {
                self.in_flight.remove(&format!("owners-graph:{addr}"));
                self.owner_graphs.insert(addr, svg);
            }
            Response::WhatIf { addr, field, result } => {
                let key = field.unwrap_or_default();
                self.in_flight.remove(&format!("whatif:{addr}:{key}"));
                self.whatifs.insert((addr, key), result);
            }
            Response::Memory { wasm_bytes } => self.wasm_memory = Some(wasm_bytes),
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
            Response::Object { addr, detail, dominators_total } => {
                self.in_flight.remove(&format!("object:{addr}"));
                self.object.insert(addr, (detail, dominators_total as usize));
            }
            Response::Path { addr, path, hops_total } => {
                self.in_flight.remove(&format!("path:{addr}"));
                self.paths.insert(addr, (path, hops_total as usize));
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
                } else {
                    // After the first histogram is on screen: retained sizes (dominator tree),
                    // then the cost columns. The worker answers in order.
                    if self.hist_retained.is_none() {
                        self.request("histogram-retained".into(), Request::HistogramRetained);
                    }
                    if self.hist_cost.is_none() {
                        self.request("histogram-cost".into(), Request::HistogramCost);
                    }
                }
            }
            Route::Dominators => {
                if self.dom_top.is_none() {
                    self.request("dominators".into(), Request::DominatorTree);
                }
                let missing: Vec<u64> =
                    self.dom_open.iter().copied().filter(|a| !self.dom_children.contains_key(a)).collect();
                for a in missing {
                    self.request(format!("dominator-children:{a}"), Request::DominatorChildren { addr: a });
                }
            }
            Route::Suspects => {
                if self.suspects.is_none() {
                    self.request("suspects".into(), Request::Suspects);
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
                { item(Route::Dominators, "Dominators", matches!(self.route, Route::Dominators)) }
                { item(Route::Suspects, "Leak suspects", matches!(self.route, Route::Suspects)) }
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
            Some(l) => html! {
                <div class="loaded">{format!("{} + {}", l.core_name, l.exe_name)}
                    if let Some(m) = self.wasm_memory {
                        <span id="wasm-memory" data-bytes={m.to_string()}
                            title="Size of the analysis worker's WebAssembly memory (it never shrinks: this is also the peak)">
                            {format!(" · worker memory {}", fmt_bytes(m))}</span>
                    }
                </div>
            },
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
            Route::Object(a) => self.view_object(*a, link),
            Route::Path(a) => self.view_path_page(*a),
            Route::Goroutines => self.view_goroutines(),
            Route::Dominators => self.view_dominators(link),
            Route::Suspects => self.view_suspects(),
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
                <p class="leak-links">{"Leak hunting: "}<a href={Route::Suspects.href()}>{"leak suspects"}</a>{" · "}
                    <a href={Route::Dominators.href()}>{"dominator tree"}</a>{" · "}
                    <a href={Route::Histogram.href()}>{"retained size per type"}</a></p>
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
        let retained = |r: &HistogramRow| self.hist_retained.as_ref().and_then(|(m, _)| m.get(&r.type_name).copied());
        let cost = |r: &HistogramRow| self.hist_cost.as_ref().and_then(|(m, _)| m.get(&r.type_name).copied());
        filtered.sort_by(|a, b| {
            let o = match key {
                SortKey::Type => a.type_name.cmp(&b.type_name),
                SortKey::Count => a.count.cmp(&b.count).then(a.bytes.cmp(&b.bytes)),
                SortKey::Bytes => a.bytes.cmp(&b.bytes).then(a.count.cmp(&b.count)),
                SortKey::Retained => retained(a).cmp(&retained(b)).then(a.bytes.cmp(&b.bytes)),
                SortKey::Waste => cost(a).map(|c| c.0).cmp(&cost(b).map(|c| c.0)).then(a.bytes.cmp(&b.bytes)),
                SortKey::Padding => cost(a).map(|c| c.1).cmp(&cost(b).map(|c| c.1)).then(a.bytes.cmp(&b.bytes)),
            };
            if desc { o.reverse() } else { o }
        });
        let total_count: u64 = filtered.iter().map(|r| r.count).sum();
        let total_bytes: u64 = filtered.iter().map(|r| r.bytes).sum();
        let header = |k: SortKey, label: &str, data_key: &str, title: &str| {
            let arrow = if key == k { if desc { " ▼" } else { " ▲" } } else { "" };
            let class = if k == SortKey::Type { "" } else { "num" };
            html! { <th class={class} title={title.to_string()}><button class="sort" data-key={data_key.to_string()}
                        onclick={link.callback(move |_| Msg::Sort(k))}>{format!("{label}{arrow}")}</button></th> }
        };
        let pending = html! { <span class="pending" title="being computed">{"…"}</span> };
        let bytes_cell = |class: &'static str, v: Option<u64>| match v {
            Some(b) => html! { <td class={classes!(class, "num")} data-bytes={b.to_string()} title={format!("{b} bytes")}>{fmt_bytes(b)}</td> },
            None => html! { <td class={classes!(class, "num")}>{pending.clone()}</td> },
        };
        let status = match (&self.hist_retained, &self.hist_cost) {
            (Some((_, rms)), Some((_, cms))) => html! {
                <p class="legend" id="hist-extra">{format!(
                    "Retained: bytes freed if every instance became unreachable (dominator tree, {}). Rounding waste: slot size minus requested size; padding: holes inside structs ({}).",
                    fmt_ms(*rms), fmt_ms(*cms))}</p>
            },
            (None, _) => html! { <p class="legend computing" id="hist-extra">{"Computing retained sizes (dominator tree)…"}</p> },
            (Some(_), None) => html! { <p class="legend computing" id="hist-extra">{"Computing rounding waste and padding…"}</p> },
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
                {status}
                <table id="histogram" class="grid">
                    <thead><tr>
                        {header(SortKey::Type, "Type", "type", "")}
                        {header(SortKey::Count, "Count", "count", "live objects")}
                        {header(SortKey::Bytes, "Bytes", "bytes", "sum of the slot sizes")}
                        {header(SortKey::Retained, "Retained", "retained", "bytes freed if every instance became unreachable")}
                        {header(SortKey::Waste, "Rounding waste", "waste", "slot size minus the size the program asked for")}
                        {header(SortKey::Padding, "Padding", "padding", "struct padding inside the objects")}
                    </tr></thead>
                    <tbody>
                    { for filtered.iter().take(MAX_ROWS).map(|r| html! {
                        <tr class="hist-row" data-type={r.type_name.clone()}>
                            <td class="type"><a href={Route::Objects(r.type_name.clone()).href()}>{r.type_name.clone()}</a></td>
                            <td class="count num">{r.count}</td>
                            <td class="bytes num" data-bytes={r.bytes.to_string()} title={format!("{} bytes", r.bytes)}>{fmt_bytes(r.bytes)}</td>
                            { bytes_cell("retained", retained(r)) }
                            { bytes_cell("waste", cost(r).map(|c| c.0)) }
                            { bytes_cell("padding", cost(r).map(|c| c.1)) }
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

    fn view_object(&self, a: u64, link: &html::Scope<App>) -> Html {
        let Some((detail, chain_total)) = self.object.get(&a) else { return Self::loading(&format!("object {a:#x}")) };
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
                    <dt>{"Retained"}</dt>
                    <dd id="retained" data-bytes={d.retained.to_string()}>
                        {format!("{} bytes", d.retained)}
                        if d.retained >= 1024 { {format!(" ({})", fmt_bytes(d.retained))} }
                        <span class="legend">{" freed if this object became unreachable"}</span></dd>
                    <dt>{"Requested"}</dt><dd id="requested" data-bytes={d.requested.to_string()}>{format!("{} bytes", d.requested)}</dd>
                    <dt>{"Rounding waste"}</dt><dd id="rounding-waste" data-bytes={d.rounding_waste.to_string()}>
                        {format!("{} bytes", d.rounding_waste)}<span class="legend">{" slot size minus requested size"}</span></dd>
                    <dt>{"Padding"}</dt><dd id="padding" data-bytes={d.padding.to_string()}>
                        {format!("{} bytes", d.padding)}<span class="legend">{" holes between struct fields"}</span></dd>
                </dl>
                <h3>{"Path from a root"}</h3>
                { match self.paths.get(&a) {
                    None => Self::loading("the path"),
                    Some((p, total)) => path_view(a, p.as_ref(), "path", *total),
                } }
                if d.live {
                    <h3>{format!("Dominated by ({chain_total})")}</h3>
                    { dominator_chain(&d.dominators, *chain_total) }
                    <h3>{"What if…"}</h3>
                    { self.whatif_panel(d, link) }
                }
                <h3>{"Owners graph"}</h3>
                { self.owners_panel(d.addr, link) }
                if !d.root_refs.is_empty() {
                    <h3>{"Referenced directly by roots"}</h3>
                    <ul>{ for d.root_refs.iter().map(root_html) }</ul>
                }
                <h3>{"Fields"}</h3>
                if d.fields.is_empty() { <p class="empty">{"No typed fields (type unknown or no fields)."}</p> }
                else { <ul class="fields">{ for d.fields.iter().map(field_html) }</ul> }
                <h3>{format!("Points to ({})", d.outbound.len())}</h3>
                { refs_table(&d.outbound, "outbound", d.live.then_some((d.addr, link)), self.whatif_shown.get(&d.addr).map(|s| s.as_str())) }
                <h3>{format!("Pointed to by ({})", d.inbound.len())}</h3>
                { refs_table(&d.inbound, "inbound", None, None) }
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
                    Some((p, total)) => path_view(a, p.as_ref(), "path", *total),
                } }
            </section>
        }
    }

    /// Referrers up to the roots as the CLI's `graph` command draws them (finalizer objects
    /// highlighted, root-less cycles pruned); the engine's SVG uses presentation attributes
    /// only, so the page's CSP allows it inline.
    fn owners_panel(&self, a: u64, link: &html::Scope<App>) -> Html {
        match self.owner_graphs.get(&a) {
            Some(svg) => html! {
                <div class="owners-graph" id="owners-graph">{ Html::from_html_unchecked(AttrValue::from(svg.clone())) }</div>
            },
            None if self.in_flight.contains(&format!("owners-graph:{a}")) => {
                html! { <p class="loading" id="owners-pending">{"Drawing the owners graph…"}</p> }
            }
            None => {
                let onclick = link.callback(move |_| Msg::OwnersGraph(a));
                html! { <button id="owners-graph-button" {onclick}>{"Show who keeps this object alive (graph)"}</button> }
            }
        }
    }

    fn whatif_panel(&self, d: &ObjectDetail, link: &html::Scope<App>) -> Html {
        let a = d.addr;
        let onclick = link.callback(move |_| Msg::WhatIf(a, None));
        let result = match self.whatif_shown.get(&a) {
            None => html! {},
            Some(field) => {
                let what = if field.is_empty() {
                    format!("If {a:#x} were unreachable")
                } else {
                    format!("If its field .{field} were nil")
                };
                match self.whatifs.get(&(a, field.clone())) {
                    Some(w) => whatif_result(&what, w),
                    None if self.failed.contains(&format!("whatif:{a}:{field}")) => {
                        html! { <p class="bad" id="whatif-result">{format!("{what}: the question failed (see the error above).")}</p> }
                    }
                    None => html! { <p class="loading" id="whatif-pending">{format!("{what}: computing…")}</p> },
                }
            }
        };
        html! {
            <div class="whatif">
                <button id="whatif" class={classes!((self.whatif_shown.get(&a).map(|s| s.as_str()) == Some("")).then_some("active"))} {onclick}>{"What if this object were unreachable?"}</button>
                if !d.outbound.is_empty() { <span class="legend">{" Or set one of its pointers to nil with “what if nil?” under “Points to”."}</span> }
                {result}
            </div>
        }
    }

    fn view_dominators(&self, link: &html::Scope<App>) -> Html {
        let Some((nodes, total, total_live)) = &self.dom_top else {
            return Self::loading("the dominator tree (computed on first use)");
        };
        let mut rows = Vec::new();
        for n in nodes {
            self.dom_rows(n, 0, *total_live, link, &mut rows);
        }
        html! {
            <section id="dominators">
                <h2>{"Dominator tree"}</h2>
                <p class="summary">{format!(
                    "{} objects sit directly under the roots{}; live heap {}. An object dominates another when every path from a root to the other goes through it; its retained size is what would be freed if it became unreachable.",
                    total,
                    if (*total as usize) > nodes.len() { format!(" (the {} retaining the most are shown)", nodes.len()) } else { String::new() },
                    fmt_bytes(*total_live))}</p>
                <table class="grid" id="domtree">
                    <thead><tr><th>{"Object"}</th><th>{"Type"}</th><th class="num">{"Size"}</th>
                        <th class="num">{"Retained"}</th><th>{"Share of the live heap"}</th><th class="num">{"Dominates"}</th></tr></thead>
                    <tbody>{ for rows.into_iter() }</tbody>
                </table>
            </section>
        }
    }

    fn dom_rows(&self, n: &DominatorNode, depth: usize, total: u64, link: &html::Scope<App>, out: &mut Vec<Html>) {
        let a = n.addr;
        let open = self.dom_open.contains(&a);
        let toggle = if n.child_count == 0 {
            html! { <span class="toggle leaf"></span> }
        } else {
            let label = if open { "▾" } else { "▸" };
            let title = if open { "collapse" } else { "show the objects it dominates" };
            html! { <button class="toggle" aria-expanded={open.to_string()} {title}
                onclick={link.callback(move |_| Msg::ToggleDominator(a))}>{label}</button> }
        };
        let share = n.retained as f64 / total.max(1) as f64;
        out.push(html! {
            <tr class={classes!("dom-node", open.then_some("open"))} data-addr={format!("{a:#x}")} data-depth={depth.to_string()}>
                <td class="tree">{ for (0..depth).map(|_| html! { <span class="indent"></span> }) }{toggle}{addr_link(a)}</td>
                <td class="type">{n.type_name.clone()}</td>
                <td class="num" title={format!("{} bytes", n.size)}>{fmt_bytes(n.size)}</td>
                <td class="num retained" data-bytes={n.retained.to_string()} title={format!("{} bytes", n.retained)}>{fmt_bytes(n.retained)}</td>
                <td class="share"><svg width="120" height="10" role="img" class="sharebar">
                    <rect x="0" y="1" width="120" height="8" class="bg"></rect>
                    <rect x="0" y="1" width={format!("{:.1}", (share * 120.0).max(0.5))} height="8" class="fg"></rect>
                </svg>{format!(" {:.1}%", share * 100.0)}</td>
                <td class="num">{n.child_count}</td>
            </tr>
        });
        if !open {
            return;
        }
        match self.dom_children.get(&a) {
            None => out.push(html! {
                <tr class="dom-loading"><td colspan="6">{ for (0..=depth).map(|_| html! { <span class="indent"></span> }) }
                    <span class="loading">{"Loading…"}</span></td></tr>
            }),
            Some(kids) => {
                for k in kids {
                    self.dom_rows(k, depth + 1, total, link, out);
                }
                if n.child_count > kids.len() as u64 {
                    out.push(html! {
                        <tr class="dom-more"><td colspan="6">{ for (0..=depth).map(|_| html! { <span class="indent"></span> }) }
                            <span class="more">{format!("… {} more, each retaining less", n.child_count - kids.len() as u64)}</span></td></tr>
                    });
                }
            }
        }
    }

    fn view_suspects(&self) -> Html {
        let Some(suspects) = &self.suspects else { return Self::loading("the leak suspects (dominator tree)") };
        let live = self.overview.as_ref().map(|o| o.live_bytes).unwrap_or(0);
        html! {
            <section id="suspects">
                <h2>{"Leak suspects"}</h2>
                <p class="summary">{format!(
                    "Objects and types that retain at least {:.0}% of the live heap ({}). The accumulation point is where the retained memory fans out into many objects: usually the collection that keeps growing.",
                    crate::protocol::SUSPECT_THRESHOLD * 100.0, fmt_bytes(live))}</p>
                if suspects.is_empty() {
                    <p class="empty" id="no-suspects">{"No single object or type retains that much: nothing stands out."}</p>
                }
                { for suspects.iter().enumerate().map(|(i, s)| suspect_html(i, s)) }
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

fn whatif_result(what: &str, w: &WhatIf) -> Html {
    const TOP: usize = 10;
    html! {
        <div class="whatif-result" id="whatif-result" data-field={w.field.clone()}>
            <p>{format!("{what}, ")}<strong id="whatif-objects">{format!("{} objects", w.freed_objects)}</strong>{" and "}
                <strong id="whatif-bytes" data-bytes={w.freed_bytes.to_string()}>{format!("{} bytes", w.freed_bytes)}</strong>
                {if w.freed_bytes >= 1024 { format!(" ({})", fmt_bytes(w.freed_bytes)) } else { String::new() }}
                {" would become garbage."}</p>
            if !w.freed_types.is_empty() {
                <table class="grid compact" id="whatif-types">
                    <thead><tr><th>{"Freed type"}</th><th class="num">{"Objects"}</th><th class="num">{"Bytes"}</th></tr></thead>
                    <tbody>
                    { for w.freed_types.iter().take(TOP).map(|r| html! {
                        <tr><td class="type"><a href={Route::Objects(r.type_name.clone()).href()}>{r.type_name.clone()}</a></td>
                            <td class="num">{r.count}</td>
                            <td class="num" title={format!("{} bytes", r.bytes)}>{fmt_bytes(r.bytes)}</td></tr>
                    }) }
                    </tbody>
                </table>
                if w.freed_types.len() > TOP { <p class="more">{format!("and {} more types.", w.freed_types.len() - TOP)}</p> }
            }
        </div>
    }
}

fn suspect_html(i: usize, s: &Suspect) -> Html {
    let title = if s.kind == "type" {
        format!("Suspect {}: {} instances of {}", i + 1, s.instances, s.name)
    } else {
        format!("Suspect {}: one {}", i + 1, s.name)
    };
    html! {
        <article class="suspect" data-kind={s.kind.clone()}>
            <h3>{title}</h3>
            <p class="big"><span class="retained" data-bytes={s.retained.to_string()}>{format!("retains {}", fmt_bytes(s.retained))}</span>
                {format!(" — {:.1}% of the live heap", s.percent)}</p>
            <dl class="facts">
                <dt>{if s.kind == "type" { "Largest instance" } else { "Object" }}</dt>
                <dd>{addr_link(s.addr)}{" "}<span class="type">{s.name.clone()}</span></dd>
                <dt>{"Accumulation point"}</dt>
                <dd class="accumulation">{ match &s.accumulation {
                    Some(a) => html! { <>{addr_link(a.addr)}{" "}<span class="type">{a.type_name.clone()}</span>
                        {format!(" retains {} in {} directly dominated objects", fmt_bytes(a.retained), s.accumulation_children)}</> },
                    None => html! { <span class="empty">{"none: the instances hang directly off different roots"}</span> },
                } }</dd>
            </dl>
            <h4>{"Path from a root"}</h4>
            { match &s.path {
                Some(p) => path_view(s.addr, Some(p), "", p.hops.len()),
                None => html! { <p class="empty">{"No path recorded."}</p> },
            } }
        </article>
    }
}

fn addr_link(a: u64) -> Html {
    html! { <a class="addr" href={Route::Object(a).href()}>{format!("{a:#x}")}</a> }
}

fn root_html(r: &RootInfo) -> Html {
    html! { <li class="root"><span class={classes!("kind", r.kind.clone())}>{r.kind.clone()}</span>{" "}<code>{r.name.clone()}</code></li> }
}

/// Hops a path shows at most (its two ends).
const MAX_PATH_HOPS: usize = 40;

/// `id`: the element id (`""` for none: several paths on one page). `total`: the path's
/// length in hops, when `p` holds only its first and last halves.
fn path_view(target: u64, p: Option<&RootPath>, id: &str, total: usize) -> Html {
    let id = (!id.is_empty()).then(|| id.to_string());
    let Some(p) = p else {
        return html! { <p class="empty" {id}>{format!("No path from a root reaches {target:#x}: it is garbage (unreachable).")}</p> };
    };
    // A long chain (a linked list) shows its two ends: hops [0, head) and [tail, n), with
    // `skipped` more between them (those the worker left out, and those not shown here).
    let n = p.hops.len();
    let left_out = total.saturating_sub(n);
    let (head, tail) = if left_out > 0 {
        (n / 2, n / 2)
    } else if n > MAX_PATH_HOPS {
        (MAX_PATH_HOPS / 2, n - MAX_PATH_HOPS / 2)
    } else {
        (n, n)
    };
    let skipped = left_out + (tail - head);
    html! {
        <ol class="path" {id}>
            <li class="root"><span class={classes!("kind", p.root.kind.clone())}>{p.root.kind.clone()}</span>{" "}<code>{p.root.name.clone()}</code></li>
            { for p.hops.iter().enumerate().filter(|(i, _)| *i < head || *i >= tail).map(|(i, h)| html! {
                <>
                if i == tail && skipped > 0 {
                    <li class="more">{format!("… {skipped} more hops …")}</li>
                }
                <li value={(if i >= tail { i + left_out } else { i } + 2).to_string()}>
                    {if h.field.is_empty() { html!{} } else { html! { <code class="field">{format!(".{} → ", h.field)}</code> } }}
                    {addr_link(h.addr)}{" "}<span class="type">{h.type_name.clone()}</span></li>
                </>
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

/// `whatif`: (source object, link) to offer a "what if nil" action per pointer field.
fn refs_table(refs: &[PointerRef], id: &str, whatif: Option<(u64, &html::Scope<App>)>, whatif_active: Option<&str>) -> Html {
    if refs.is_empty() {
        return html! { <p class="empty">{"None."}</p> };
    }
    html! {
        <table class="grid" id={id.to_string()}>
            <thead><tr><th>{"Object"}</th><th>{"Type"}</th><th>{"Field"}</th><th class="num">{"Offset"}</th>
                if whatif.is_some() { <th></th> }</tr></thead>
            <tbody>
            { for refs.iter().take(MAX_ROWS).map(|r| html! {
                <tr data-field={r.field.clone()}>
                    <td>{addr_link(r.addr)}{ if r.target_offset != 0 { format!(" +{:#x}", r.target_offset) } else { String::new() } }</td>
                    <td>{r.type_name.clone()}</td>
                    <td><code>{r.field.clone()}</code></td>
                    <td class="num">{format!("{:#x}", r.offset)}</td>
                    if let Some((src, link)) = whatif {
                        <td><button class={classes!("whatif-field", "small", (whatif_active == Some(r.field.as_str())).then_some("active"))}
                            data-field={r.field.clone()}
                            title={format!("What would be freed if .{} were set to nil?", r.field)}
                            onclick={ let f = r.field.clone(); link.callback(move |_| Msg::WhatIf(src, Some(f.clone()))) }>
                            {"what if nil?"}</button></td>
                    }
                </tr>
            }) }
            </tbody>
        </table>
    }
}

/// Most links shown of a dominator chain (a long linked list has a long chain).
const MAX_CHAIN: usize = crate::protocol::MAX_CHAIN_SENT;

/// `chain`: the first links and the last one of a chain `total` long.
fn dominator_chain(chain: &[DominatorRef], total: usize) -> Html {
    if chain.is_empty() {
        return html! { <p class="empty" id="domchain">{"Only the roots: no single object keeps this one alive."}</p> };
    }
    let item_inner = |r: &DominatorRef| html! {
        <>{addr_link(r.addr)}{" "}<span class="type">{r.type_name.clone()}</span>
            <span class="legend" title={format!("{} bytes", r.retained)}>{format!(" retains {}", fmt_bytes(r.retained))}</span></>
    };
    let item = |r: &DominatorRef| html! { <li>{ item_inner(r) }</li> };
    let total = total.max(chain.len());
    let hidden = total.saturating_sub(MAX_CHAIN);
    html! {
        <>
        <p class="legend">{"Every path from a root to this object goes through each of these objects (nearest first)."}</p>
        <ol class="domchain" id="domchain">
            { for chain.iter().take(if hidden > 0 { MAX_CHAIN - 1 } else { chain.len() }).map(item) }
            if hidden > 0 {
                <li class="more">{format!("… {hidden} more …")}</li>
                <li value={total.to_string()}>{ item_inner(chain.last().unwrap()) }</li>
            }
        </ol>
        </>
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

fn fmt_ms(ms: f64) -> String {
    if ms < 1000.0 { format!("{ms:.0} ms") } else { format!("{:.1} s", ms / 1000.0) }
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
