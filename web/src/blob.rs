//! Random access to a `Blob`/`File` inside the worker.
//!
//! [`BlobSource`] reads byte ranges synchronously with `FileReaderSync` (workers only); it is
//! wrapped in heapwise-sources' [`PageCache`] (read-ahead setting) so the engine's many small
//! reads hit memory and its long
//! sweeps over the heap are read in large windows, and a multi-GB core is never copied whole
//! into wasm memory. A zstd stream is decompressed into [`SparsePages`].

use heapwise_core::source::{ByteSource, SourceError};
use std::cell::RefCell;
use std::rc::Rc;

use heapwise_sources::{PageCache, SparsePages, ZstdError};

/// Page data the read-ahead cache of a plain (not zstd) file holds at most while a core is
/// opened (no more than the file's size), and the budget of its packed store (evicted pages
/// without their zero words). The analysis sweeps the heap twice (scanning objects, then
/// naming them depth-first), and each read through `FileReaderSync` costs about a
/// millisecond plus ~4 ms per MiB: what the first sweep left in memory is not read again.
/// (Scale core, ~1 GiB heap, modelled read time: 64 MiB cache 11.6 s; 512 MiB 8.0 s;
/// 256 MiB + 256 MiB packed 4.4 s, the whole heap fitting packed.)
pub const CACHE_BYTES: usize = 256 * 1024 * 1024;
pub const PACKED_BYTES: usize = 256 * 1024 * 1024;
/// What the cache keeps after opening, for the object pages and what-if questions: the
/// rest of its memory goes back to the allocator (the dominator tree reuses it).
pub const CACHE_BYTES_AFTER_OPEN: usize = 32 * 1024 * 1024;

thread_local! {
    /// The caches of the files opened last, for their counters.
    static CACHES: RefCell<Vec<Rc<PageCache<BlobSource>>>> = const { RefCell::new(Vec::new()) };
}

/// Counters of the read-ahead caches of the files opened last: (reads issued, bytes read,
/// milliseconds spent in `FileReaderSync`).
pub fn read_stats() -> (u64, u64, f64) {
    CACHES.with(|c| {
        c.borrow().iter().fold((0, 0, 0.0), |acc, c| {
            let s = c.stats();
            (acc.0 + s.inner_reads, acc.1 + s.inner_bytes, acc.2 + c.inner().read_ms.get())
        })
    })
}

/// Shrinks the caches of the files opened last to [`CACHE_BYTES_AFTER_OPEN`].
pub fn shrink_caches() {
    CACHES.with(|c| c.borrow().iter().for_each(|c| c.shrink(CACHE_BYTES_AFTER_OPEN)));
}

/// Forgets the caches of the previous files (their memory goes with the engine).
pub fn forget_caches() {
    CACHES.with(|c| c.borrow_mut().clear());
}
use js_sys::Uint8Array;
use wasm_bindgen::JsValue;
use web_sys::{Blob, FileReaderSync};

/// A `Blob` read range by range with `FileReaderSync`. Uncached: wrap it in a [`PageCache`].
pub struct BlobSource {
    blob: Blob,
    size: u64,
    reader: FileReaderSync,
    /// Time spent reading, for the benchmark.
    pub read_ms: std::cell::Cell<f64>,
}

fn js_err(what: &str, e: JsValue) -> SourceError {
    let msg = e
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"));
    SourceError::Io(format!("{what}: {msg}"))
}

use wasm_bindgen::JsCast;

impl BlobSource {
    /// Fails outside a worker (`FileReaderSync` exists only there).
    pub fn new(blob: Blob) -> Result<Self, SourceError> {
        let reader = FileReaderSync::new().map_err(|e| js_err("FileReaderSync unavailable", e))?;
        let size = blob.size() as u64;
        Ok(BlobSource { blob, size, reader, read_ms: std::cell::Cell::new(0.0) })
    }
}

impl ByteSource for BlobSource {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        let end = offset
            .checked_add(buf.len() as u64)
            .filter(|&e| e <= self.size)
            .ok_or(SourceError::OutOfBounds { offset, len: buf.len() as u64, size: self.size })?;
        if buf.is_empty() {
            return Ok(());
        }
        let t0 = js_sys::Date::now();
        let part = self
            .blob
            .slice_with_f64_and_f64(offset as f64, end as f64)
            .map_err(|e| js_err("Blob.slice failed", e))?;
        let ab = self
            .reader
            .read_as_array_buffer(&part)
            .map_err(|e| js_err("the file could not be read (was it moved or changed?)", e))?;
        let arr = Uint8Array::new(&ab);
        if arr.length() as usize != buf.len() {
            return Err(SourceError::Io(format!(
                "short read: {} of {} bytes at {offset:#x} (the file changed?)",
                arr.length(),
                buf.len()
            )));
        }
        arr.copy_to(buf);
        self.read_ms.set(self.read_ms.get() + js_sys::Date::now() - t0);
        Ok(())
    }
}

/// True when the blob starts with the zstd magic number.
pub fn blob_is_zstd(src: &BlobSource) -> Result<bool, SourceError> {
    if src.size() < 4 {
        return Ok(false);
    }
    let mut head = [0u8; 4];
    src.read_at(0, &mut head)?;
    Ok(heapwise_sources::is_zstd(&head))
}

/// Opens a blob for the engine: a zstd stream is decompressed (with `progress(fraction)`,
/// `false` cancels) into a sparse page store; anything else is read through a read-ahead cache.
pub fn open_blob(
    blob: Blob,
    progress: &mut dyn FnMut(f64) -> bool,
) -> Result<Box<dyn ByteSource>, String> {
    let src = BlobSource::new(blob).map_err(|e| e.to_string())?;
    if blob_is_zstd(&src).map_err(|e| e.to_string())? {
        let pages = SparsePages::from_zstd(&src, progress).map_err(|e| match e {
            ZstdError::Cancelled => "cancelled".to_string(),
            e => e.to_string(),
        })?;
        Ok(Box::new(pages))
    } else {
        let cache = Rc::new(PageCache::with_packed(src, CACHE_BYTES, PACKED_BYTES));
        CACHES.with(|c| c.borrow_mut().push(cache.clone()));
        Ok(Box::new(cache))
    }
}
