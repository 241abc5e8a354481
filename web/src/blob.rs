//! Random access to a `Blob`/`File` inside the worker.
//!
//! [`BlobSource`] reads byte ranges synchronously with `FileReaderSync` (workers only); it is
//! wrapped in a [`PageCache`] so the engine's many small reads hit memory, and a multi-GB core
//! is never copied whole into wasm memory. A zstd stream is decompressed into [`SparsePages`].

use heapwise_core::source::{ByteSource, SourceError};
use heapwise_sources::{PageCache, SparsePages, ZstdError};
use js_sys::Uint8Array;
use wasm_bindgen::JsValue;
use web_sys::{Blob, FileReaderSync};

/// A `Blob` read range by range with `FileReaderSync`. Uncached: wrap it in a [`PageCache`].
pub struct BlobSource {
    blob: Blob,
    size: u64,
    reader: FileReaderSync,
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
        Ok(BlobSource { blob, size, reader })
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
/// `false` cancels) into a sparse page store; anything else is read through a page cache.
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
        Ok(Box::new(PageCache::new(src)))
    }
}
