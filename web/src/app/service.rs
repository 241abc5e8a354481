//! The page as served by the Go package heapwisehttp (`go/heapwisehttp`) from inside a running
//! service: it learns so from `./heapwise.json` on its own origin, then offers "Analyze this
//! process now", which downloads a fresh snapshot (`./snapshot`, a
//! `runtime/debug.WriteHeapDump` of the process, gzip-encoded on the wire and decoded by the
//! browser) and the executable (`./exe`) from the same origin, with progress, and hands both
//! to the worker as dropped files. Every URL is relative to the page, so it works wherever the
//! service mounts the handler, and the page's CSP (`default-src 'self'`) is unchanged.

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Blob, File, ReadableStreamDefaultReader, RequestInit, Response};

use crate::heapwisehttp::{dump_duration, ServiceInfo, INFO_URL, SNAPSHOT_BYTES_HEADER};

/// The service's `heapwise.json`, when the page is served by heapwisehttp (`None` from any
/// other server: scripts/serve.sh or a static host answer the static copy from `dist/`).
pub async fn probe() -> Option<ServiceInfo> {
    let window = web_sys::window()?;
    let resp: Response = JsFuture::from(window.fetch_with_str(INFO_URL)).await.ok()?.dyn_into().ok()?;
    if !resp.ok() {
        return None;
    }
    let json = JsFuture::from(resp.json().ok()?).await.ok()?;
    let info: ServiceInfo = serde_wasm_bindgen::from_value(json).ok()?;
    info.supported().then_some(info)
}

/// One of the two downloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Snapshot,
    Exe,
}

impl Part {
    pub fn label(self) -> &'static str {
        match self {
            Part::Snapshot => "snapshot",
            Part::Exe => "executable",
        }
    }
}

/// A finished download.
pub struct Downloaded {
    pub file: File,
    /// The `Server-Timing` `dump` duration: how long the world was stopped while the
    /// snapshot was written (snapshot only).
    pub pause_ms: Option<f64>,
}

/// What an answer other than 200 means, in words.
async fn failure(part: Part, resp: &Response) -> String {
    let body = match resp.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|v| v.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    };
    let body = body.trim();
    match resp.status() {
        429 => "A snapshot of this process is already being taken (one at a time): try again in a moment.".into(),
        413 => format!("The service refused the snapshot: {body}"),
        s => format!("Could not download the {}: HTTP {s} {body}", part.label()),
    }
}

/// Downloads `part` of the service into a `File` named `name`, calling `progress(bytes so
/// far, total when known)` as chunks arrive (at most every 1% or 100 ms, and at the end).
/// `signal` aborts it (Cancel: the chunks read so far are dropped, and the service, whose
/// write fails, ends its answer and takes the next snapshot).
pub async fn download(
    info: &ServiceInfo,
    part: Part,
    name: String,
    signal: AbortSignal,
    progress: impl Fn(u64, Option<u64>),
) -> Result<Downloaded, String> {
    let url = format!("./{}", if part == Part::Snapshot { &info.snapshot } else { &info.exe });
    let window = web_sys::window().ok_or("no window")?;
    let init = RequestInit::new();
    init.set_signal(Some(&signal));
    let resp = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .map_err(|e| format!("could not download the {}: {e:?}", part.label()))?;
    let resp: Response = resp.dyn_into().map_err(|_| "fetch answered something other than a Response")?;
    if !resp.ok() {
        return Err(failure(part, &resp).await);
    }
    let header = |h: &str| resp.headers().get(h).ok().flatten();
    // The browser decodes Content-Encoding: gzip, so the bytes read are the dump's.
    let total = match part {
        Part::Snapshot => header(SNAPSHOT_BYTES_HEADER),
        Part::Exe => header("content-length"),
    }
    .and_then(|s| s.parse::<u64>().ok());
    let pause_ms = header("server-timing").as_deref().and_then(dump_duration);
    let body = resp.body().ok_or_else(|| format!("the {} has no body", part.label()))?;
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let chunks = Array::new();
    let (mut loaded, mut shown, mut shown_at) = (0u64, 0u64, 0.0f64);
    progress(0, total);
    loop {
        let result = JsFuture::from(reader.read())
            .await
            .map_err(|e| format!("the {} download broke off: {e:?}", part.label()))?;
        let done = Reflect::get(&result, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true);
        if done {
            break;
        }
        let value: Uint8Array = Reflect::get(&result, &"value".into())
            .map_err(|e| format!("{e:?}"))?
            .dyn_into()
            .map_err(|_| format!("the {} stream gave something other than bytes", part.label()))?;
        loaded += u64::from(value.length());
        chunks.push(&value);
        let now = js_sys::Date::now();
        let step = total.map_or(1 << 20, |t| (t / 100).max(1));
        if loaded - shown >= step || now - shown_at >= 100.0 {
            progress(loaded, total);
            (shown, shown_at) = (loaded, now);
        }
    }
    progress(loaded, total.or(Some(loaded)));
    if let Some(t) = total {
        if t != loaded {
            return Err(format!("the {} ended after {loaded} of its {t} bytes", part.label()));
        }
    }
    let blob = Blob::new_with_u8_array_sequence(&chunks).map_err(|e| format!("{e:?}"))?;
    let file = File::new_with_blob_sequence(&Array::of1(&blob), &name).map_err(|e| format!("{e:?}"))?;
    Ok(Downloaded { file, pause_ms })
}
