//! `--no-mmap` reading: a file read with `pread`, nothing of it mapped. The CLI puts it behind
//! heapwise-sources' page cache in its `pread` setting ([`heapwise_sources::CacheConfig::pread`]).

use heapwise_core::source::{ByteSource, SourceError};

/// A file read with `pread` (`FileExt::read_exact_at`).
pub struct PreadFile {
    file: std::fs::File,
    size: u64,
}

impl PreadFile {
    pub fn open(path: &std::path::Path) -> std::io::Result<PreadFile> {
        let file = std::fs::File::open(path)?;
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
