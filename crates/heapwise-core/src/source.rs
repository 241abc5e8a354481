//! The one random-access byte source every reader in this crate goes through.
//!
//! Natively it is a memory-mapped file; in the browser worker it is a `Blob` read with
//! `FileReaderSync` behind a page cache. A multi-GB core is never copied whole.

use std::fmt;

/// Failure to read bytes from a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceError {
    /// The requested range ends past the end of the source.
    OutOfBounds { offset: u64, len: u64, size: u64 },
    /// The underlying medium failed (I/O error, Blob read error).
    Io(String),
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::OutOfBounds { offset, len, size } => write!(
                f,
                "read of {len} bytes at offset {offset:#x} runs past the end of the file ({size} bytes)"
            ),
            SourceError::Io(msg) => write!(f, "read failed: {msg}"),
        }
    }
}

impl std::error::Error for SourceError {}

/// Random access to an immutable byte sequence (a file).
pub trait ByteSource {
    /// Total size in bytes.
    fn size(&self) -> u64;

    /// Fills `buf` with the bytes at `offset..offset + buf.len()`.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError>;

    /// The whole source as one slice, when it is memory-resident (a mapped file or a
    /// `Vec`). Readers use it for zero-copy access; sources that page must return `None`.
    fn as_slice(&self) -> Option<&[u8]> {
        None
    }

    /// Reads `len` bytes at `offset` into a new vector.
    fn read_vec(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        let mut v = vec![0u8; len];
        self.read_at(offset, &mut v)?;
        Ok(v)
    }
}

fn check_range(offset: u64, len: usize, size: u64) -> Result<(usize, usize), SourceError> {
    let end = offset.checked_add(len as u64);
    match end {
        Some(end) if end <= size => Ok((offset as usize, end as usize)),
        _ => Err(SourceError::OutOfBounds { offset, len: len as u64, size }),
    }
}

impl ByteSource for &[u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        let (start, end) = check_range(offset, buf.len(), self.len() as u64)?;
        buf.copy_from_slice(&self[start..end]);
        Ok(())
    }
    fn as_slice(&self) -> Option<&[u8]> {
        Some(self)
    }
}

impl ByteSource for Vec<u8> {
    fn size(&self) -> u64 {
        self.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        (&self[..]).read_at(offset, buf)
    }
    fn as_slice(&self) -> Option<&[u8]> {
        Some(self)
    }
}

impl<T: ByteSource + ?Sized> ByteSource for Box<T> {
    fn size(&self) -> u64 {
        (**self).size()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        (**self).read_at(offset, buf)
    }
    fn as_slice(&self) -> Option<&[u8]> {
        (**self).as_slice()
    }
}

impl<T: ByteSource + ?Sized> ByteSource for std::rc::Rc<T> {
    fn size(&self) -> u64 {
        (**self).size()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        (**self).read_at(offset, buf)
    }
    fn as_slice(&self) -> Option<&[u8]> {
        (**self).as_slice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_reads_and_bounds() {
        let data: Vec<u8> = (0..16).collect();
        let mut buf = [0u8; 4];
        data.read_at(12, &mut buf).unwrap();
        assert_eq!(buf, [12, 13, 14, 15]);
        assert!(matches!(data.read_at(13, &mut buf), Err(SourceError::OutOfBounds { .. })));
        assert!(matches!(data.read_at(u64::MAX, &mut buf), Err(SourceError::OutOfBounds { .. })));
    }
}
