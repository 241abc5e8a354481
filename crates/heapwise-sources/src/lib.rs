//! OS-free byte sources for heapwise, shared by the browser worker and the CLI.
//!
//! - [`PageCache`]: the bounded page cache in front of a core read piece by piece: with
//!   read-ahead and a packed store of evicted pages for a browser `Blob` read through
//!   `FileReaderSync` ([`CacheConfig::read_ahead`]), or one page per miss for the CLI's
//!   `pread` ([`CacheConfig::pread`]). A multi-GB core is never held whole.
//! - [`SparsePages`]: a zstd-compressed core, stream-decompressed into a page store that keeps
//!   no all-zero pages (a `gcore` core of a Go process is mostly zero-filled reserved memory).
//! - [`classify`]: tells a core from an executable from a zstd stream by their first bytes.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read};

pub use heapwise_core::source::{ByteSource, SourceError};

mod cache;

pub use cache::{CacheConfig, CacheStats, PageCache, DIRECT_MIN, MAX_WINDOW};

/// Page size of [`PageCache`] and [`SparsePages`]: 64 KiB.
pub const PAGE_SIZE: usize = 64 * 1024;
/// The zstd frame magic number, as it appears in a file.
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

fn check(offset: u64, len: usize, size: u64) -> Result<(), SourceError> {
    match offset.checked_add(len as u64) {
        Some(end) if end <= size => Ok(()),
        _ => Err(SourceError::OutOfBounds { offset, len: len as u64, size }),
    }
}

// ---------------------------------------------------------------------------------------------
// Sparse page store (decompressed zstd cores)
// ---------------------------------------------------------------------------------------------

/// Why a zstd stream could not be turned into a [`SparsePages`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZstdError {
    /// The progress callback asked to stop.
    Cancelled,
    /// The compressed file could not be read.
    Read(String),
    /// The stream is not valid zstd (or is truncated).
    Corrupt(String),
}

impl fmt::Display for ZstdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZstdError::Cancelled => write!(f, "decompression cancelled"),
            ZstdError::Read(m) => write!(f, "could not read the compressed core: {m}"),
            ZstdError::Corrupt(m) => write!(f, "the .zst file is not a valid zstd stream: {m}"),
        }
    }
}

impl std::error::Error for ZstdError {}

/// Random-access bytes held as fixed-size pages; all-zero pages are not stored.
pub struct SparsePages {
    size: u64,
    page_size: usize,
    pages: HashMap<u64, Box<[u8]>>,
}

impl SparsePages {
    /// An empty (all-zero) store of `size` bytes.
    pub fn zeroed(size: u64, page_size: usize) -> Self {
        assert!(page_size > 0);
        SparsePages { size, page_size, pages: HashMap::new() }
    }

    /// Reads all of `r` into a store of 64 KiB pages. `progress` gets the number of bytes
    /// consumed so far after each page and returns `false` to cancel.
    pub fn from_reader<R: Read>(
        r: R,
        progress: &mut dyn FnMut(u64) -> bool,
    ) -> Result<Self, ZstdError> {
        let mut store = SparsePages::zeroed(0, PAGE_SIZE);
        store.append_from(r, progress, &mut |e| ZstdError::Read(e.to_string()))?;
        Ok(store)
    }

    /// Appends everything `r` yields, page by page, at the current end.
    fn append_from<R: Read>(
        &mut self,
        mut r: R,
        progress: &mut dyn FnMut(u64) -> bool,
        map_err: &mut dyn FnMut(io::Error) -> ZstdError,
    ) -> Result<(), ZstdError> {
        let ps = self.page_size;
        // Finish a partial last page first so pages stay aligned.
        let mut page_buf = vec![0u8; ps];
        let mut fill = (self.size % ps as u64) as usize;
        let mut page_idx = self.size / ps as u64;
        if fill > 0 {
            if let Some(p) = self.pages.remove(&page_idx) {
                page_buf[..fill].copy_from_slice(&p[..fill]);
            }
        }
        loop {
            let n = match r.read(&mut page_buf[fill..]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(map_err(e)),
            };
            fill += n;
            self.size += n as u64;
            if fill == ps {
                self.store_page(page_idx, &page_buf);
                page_idx += 1;
                fill = 0;
                if !progress(self.size) {
                    return Err(ZstdError::Cancelled);
                }
            }
        }
        if fill > 0 {
            page_buf[fill..].fill(0);
            self.store_page(page_idx, &page_buf);
        }
        Ok(())
    }

    fn store_page(&mut self, idx: u64, data: &[u8]) {
        if data.iter().any(|&b| b != 0) {
            self.pages.insert(idx, data.to_vec().into_boxed_slice());
        } else {
            self.pages.remove(&idx);
        }
    }

    /// Decompresses a zstd stream (one or more frames, skippable frames allowed) from `src`.
    /// `progress` gets the fraction of the compressed input consumed (0..1) and returns `false`
    /// to cancel.
    pub fn from_zstd(
        src: &dyn ByteSource,
        progress: &mut dyn FnMut(f64) -> bool,
    ) -> Result<Self, ZstdError> {
        use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
        use ruzstd::decoding::{FrameDecoder, StreamingDecoder};

        let total = src.size().max(1) as f64;
        let consumed = std::cell::Cell::new(0u64);
        let mut input = Counting {
            inner: io::BufReader::with_capacity(1 << 20, SourceReader::new(src)),
            count: &consumed,
        };
        let mut store = SparsePages::zeroed(0, PAGE_SIZE);
        let mut frames = 0u32;
        loop {
            // Stop at the end of the input.
            let at_end = io::BufRead::fill_buf(&mut input.inner)
                .map_err(|e| ZstdError::Read(e.to_string()))?
                .is_empty();
            if at_end {
                break;
            }
            let mut decoder = FrameDecoder::new();
            decoder.set_max_window_size(1 << 31);
            let mut stream = match StreamingDecoder::new_with_decoder(&mut input, &mut decoder) {
                Ok(s) => s,
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    io::copy(&mut (&mut input).take(length as u64), &mut io::sink())
                        .map_err(|e| ZstdError::Read(e.to_string()))?;
                    continue;
                }
                Err(e) if frames > 0 => {
                    return Err(ZstdError::Corrupt(format!("after frame {frames}: {e}")))
                }
                Err(e) => return Err(ZstdError::Corrupt(e.to_string())),
            };
            frames += 1;
            let mut last_report = store.size;
            store.append_from(
                &mut stream,
                &mut |decoded| {
                    // Report about every 4 MiB of output.
                    if decoded - last_report >= 4 << 20 {
                        last_report = decoded;
                        return progress((consumed.get() as f64 / total).min(1.0));
                    }
                    true
                },
                &mut |e| ZstdError::Corrupt(e.to_string()),
            )?;
            if !progress((consumed.get() as f64 / total).min(1.0)) {
                return Err(ZstdError::Cancelled);
            }
        }
        if frames == 0 {
            return Err(ZstdError::Corrupt("no zstd frame found".into()));
        }
        Ok(store)
    }

    /// Number of (non-zero) pages held.
    pub fn stored_pages(&self) -> usize {
        self.pages.len()
    }

    /// Bytes of page data held in memory.
    pub fn stored_bytes(&self) -> u64 {
        self.pages.len() as u64 * self.page_size as u64
    }
}

/// Counts the bytes read through it.
struct Counting<'c, R> {
    inner: R,
    count: &'c std::cell::Cell<u64>,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

impl ByteSource for SparsePages {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        check(offset, buf.len(), self.size)?;
        let ps = self.page_size as u64;
        let mut done = 0usize;
        while done < buf.len() {
            let pos = offset + done as u64;
            let page = pos / ps;
            let from = (pos - page * ps) as usize;
            let n = (self.page_size - from).min(buf.len() - done);
            match self.pages.get(&page) {
                Some(data) => buf[done..done + n].copy_from_slice(&data[from..from + n]),
                None => buf[done..done + n].fill(0),
            }
            done += n;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Sequential reading of a ByteSource
// ---------------------------------------------------------------------------------------------

/// `std::io::Read` over a [`ByteSource`], from offset 0.
pub struct SourceReader<'a> {
    src: &'a dyn ByteSource,
    pos: u64,
}

impl<'a> SourceReader<'a> {
    pub fn new(src: &'a dyn ByteSource) -> Self {
        SourceReader { src, pos: 0 }
    }
}

impl Read for SourceReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.src.size().saturating_sub(self.pos);
        let n = (buf.len() as u64).min(left) as usize;
        if n == 0 {
            return Ok(0);
        }
        self.src
            .read_at(self.pos, &mut buf[..n])
            .map_err(|e| io::Error::other(e.to_string()))?;
        self.pos += n as u64;
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------------
// What a file is
// ---------------------------------------------------------------------------------------------

/// What the first bytes of a dropped file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// An ELF core (e_type ET_CORE = 4).
    Core,
    /// A zstd stream: taken to be a compressed core.
    ZstdCore,
    /// An ELF executable or PIE (ET_EXEC = 2, ET_DYN = 3).
    Executable,
    /// An ELF file of another type (relocatable object, ...).
    OtherElf(u16),
    /// A `runtime/debug.WriteHeapDump` file (`go1.7 heap dump` header).
    HeapDump,
    /// Not ELF, not zstd.
    Unknown,
}

/// Classifies a file by its first bytes (at least 18 are needed for ELF).
pub fn classify(head: &[u8]) -> FileKind {
    if head.len() >= 4 && head[..4] == ZSTD_MAGIC {
        return FileKind::ZstdCore;
    }
    if head.starts_with(b"go1.7 heap dump\n") {
        return FileKind::HeapDump;
    }
    if head.len() < 18 || &head[..4] != b"\x7fELF" {
        return FileKind::Unknown;
    }
    let e_type = match head[5] {
        2 => u16::from_be_bytes([head[16], head[17]]),
        _ => u16::from_le_bytes([head[16], head[17]]),
    };
    match e_type {
        4 => FileKind::Core,
        2 | 3 => FileKind::Executable,
        t => FileKind::OtherElf(t),
    }
}

/// True when `head` starts with the zstd magic number.
pub fn is_zstd(head: &[u8]) -> bool {
    head.len() >= 4 && head[..4] == ZSTD_MAGIC
}

#[cfg(test)]
mod tests;
