//! Byte sources over files, for the `heapwise` binary and the integration tests: a mapped
//! file (the default) and a file read with `pread`, nothing of it mapped (`--no-mmap`, which
//! puts it behind heapwise-sources' page cache in its `pread` setting,
//! [`heapwise_sources::CacheConfig::pread`]).

use std::fs::File;
use std::path::Path;

use heapwise_core::source::{ByteSource, SourceError};

/// A memory-mapped file.
pub struct MappedFile(memmap2::Mmap);

impl MappedFile {
    /// Maps all of `file`.
    #[allow(unsafe_code)]
    pub fn map(file: &File) -> std::io::Result<MappedFile> {
        // SAFETY: the file is opened read-only; heapwise assumes nobody truncates it while reading.
        unsafe { memmap2::Mmap::map(file) }.map(MappedFile)
    }
}

impl ByteSource for MappedFile {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        (&self.0[..]).read_at(offset, buf)
    }
    fn as_slice(&self) -> Option<&[u8]> {
        Some(&self.0)
    }
}

/// A file read with `pread` (`FileExt::read_exact_at`).
pub struct PreadFile {
    file: File,
    size: u64,
}

impl PreadFile {
    pub fn open(path: &Path) -> std::io::Result<PreadFile> {
        let file = File::open(path)?;
        let size = file.metadata()?.len();
        Ok(PreadFile { file, size })
    }
}

impl ByteSource for PreadFile {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        use std::os::unix::fs::FileExt;
        if offset.checked_add(buf.len() as u64).is_none_or(|e| e > self.size) {
            return Err(SourceError::OutOfBounds { offset, len: buf.len() as u64, size: self.size });
        }
        self.file.read_exact_at(buf, offset).map_err(|e| SourceError::Io(e.to_string()))
    }
}
