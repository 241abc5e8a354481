//! The dumped process's address space: core PT_LOAD data first, then the executable's own
//! PT_LOAD contents for file-backed pages the core left out (text, rodata, pclntab, type
//! descriptors), then zero fill for the rest of each mapping.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use crate::elfcore::{CoreSegment, ProgramHeader};
use crate::source::ByteSource;

/// Where the bytes of one address range come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backing {
    Core { offset: u64 },
    Exe { offset: u64 },
    Zero,
    /// Promised by the core's headers, cut off by truncation.
    Missing,
}

#[derive(Debug, Clone, Copy)]
struct Region {
    start: u64,
    end: u64,
    backing: Backing,
}

/// A failed read of process memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemError {
    Unmapped(u64),
    Truncated(u64),
    Source(String),
}

impl fmt::Display for MemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemError::Unmapped(a) => write!(f, "address {a:#x} is not mapped in the core"),
            MemError::Truncated(a) => write!(f, "address {a:#x} lies in the part of the core that was cut off"),
            MemError::Source(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for MemError {}

/// Random access to the process's memory by virtual address.
pub struct Memory {
    core: Rc<dyn ByteSource>,
    exe: Rc<dyn ByteSource>,
    regions: Vec<Region>,
    last: Cell<usize>,
}

impl fmt::Debug for Memory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Memory({} regions)", self.regions.len())
    }
}

/// Subtracts the covered ranges (sorted, disjoint) from `[start, end)`.
fn uncovered(start: u64, end: u64, covered: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut cur = start;
    let first = covered.partition_point(|&(_, e)| e <= start);
    for &(s, e) in &covered[first..] {
        if s >= end {
            break;
        }
        if s > cur {
            out.push((cur, s));
        }
        cur = cur.max(e);
        if cur >= end {
            break;
        }
    }
    if cur < end {
        out.push((cur, end));
    }
    out
}

impl Memory {
    /// Builds the address space. `exe_segments` are the executable's PT_LOAD headers and
    /// `bias` its load bias (non-zero for PIE).
    pub fn new(
        core: Rc<dyn ByteSource>,
        exe: Rc<dyn ByteSource>,
        core_segments: &[CoreSegment],
        truncated: &[(u64, u64)],
        exe_segments: &[ProgramHeader],
        bias: u64,
    ) -> Memory {
        let mut regions: Vec<Region> = Vec::new();
        for s in core_segments {
            if s.filesz > 0 {
                regions.push(Region { start: s.vaddr, end: s.vaddr + s.filesz, backing: Backing::Core { offset: s.offset } });
            }
        }
        regions.sort_by_key(|r| r.start);
        let add_layer = |regions: &mut Vec<Region>, start: u64, end: u64, backing: Backing| {
            let covered: Vec<(u64, u64)> = regions.iter().map(|r| (r.start, r.end)).collect();
            for (s, e) in uncovered(start, end, &covered) {
                let backing = match backing {
                    Backing::Exe { offset } => Backing::Exe { offset: offset + (s - start) },
                    b => b,
                };
                regions.push(Region { start: s, end: e, backing });
            }
            regions.sort_by_key(|r| r.start);
        };
        for &(s, e) in truncated {
            add_layer(&mut regions, s, e, Backing::Missing);
        }
        for ph in exe_segments {
            let start = ph.vaddr.wrapping_add(bias);
            if ph.filesz > 0 {
                add_layer(&mut regions, start, start + ph.filesz, Backing::Exe { offset: ph.offset });
            }
            if ph.memsz > ph.filesz {
                add_layer(&mut regions, start + ph.filesz, start + ph.memsz, Backing::Zero);
            }
        }
        for s in core_segments {
            if s.memsz > s.filesz {
                add_layer(&mut regions, s.vaddr + s.filesz, s.vaddr + s.memsz, Backing::Zero);
            }
        }
        Memory { core, exe, regions, last: Cell::new(0) }
    }

    fn region(&self, addr: u64) -> Option<&Region> {
        let last = self.last.get();
        if let Some(r) = self.regions.get(last) {
            if r.start <= addr && addr < r.end {
                return Some(r);
            }
        }
        let i = self.regions.partition_point(|r| r.start <= addr).checked_sub(1)?;
        let r = &self.regions[i];
        if addr < r.end {
            self.last.set(i);
            Some(r)
        } else {
            None
        }
    }

    /// Whether `addr` is mapped (readable, possibly as zero fill).
    pub fn is_mapped(&self, addr: u64) -> bool {
        self.region(addr).is_some()
    }

    /// Fills `buf` with the memory at `addr`.
    pub fn read(&self, mut addr: u64, mut buf: &mut [u8]) -> Result<(), MemError> {
        while !buf.is_empty() {
            let r = *self.region(addr).ok_or(MemError::Unmapped(addr))?;
            let n = ((r.end - addr).min(buf.len() as u64)) as usize;
            let (head, tail) = buf.split_at_mut(n);
            let within = addr - r.start;
            match r.backing {
                Backing::Core { offset } => self.core.read_at(offset + within, head),
                Backing::Exe { offset } => self.exe.read_at(offset + within, head),
                Backing::Zero => {
                    head.fill(0);
                    Ok(())
                }
                Backing::Missing => return Err(MemError::Truncated(addr)),
            }
            .map_err(|e| MemError::Source(e.to_string()))?;
            buf = tail;
            addr += n as u64;
        }
        Ok(())
    }

    /// The bytes at `addr..addr+len`: borrowed from a memory-resident source when the range
    /// lies in one region, copied otherwise.
    pub fn bytes(&self, addr: u64, len: usize) -> Result<Cow<'_, [u8]>, MemError> {
        if let Some(r) = self.region(addr) {
            if addr.checked_add(len as u64).is_some_and(|e| e <= r.end) {
                let within = (addr - r.start) as usize;
                let borrowed = match r.backing {
                    Backing::Core { offset } => self.core.as_slice().map(|s| (s, offset as usize + within)),
                    Backing::Exe { offset } => self.exe.as_slice().map(|s| (s, offset as usize + within)),
                    _ => None,
                };
                if let Some((s, o)) = borrowed {
                    if let Some(b) = s.get(o..o + len) {
                        return Ok(Cow::Borrowed(b));
                    }
                }
            }
        }
        let mut v = vec![0u8; len];
        self.read(addr, &mut v)?;
        Ok(Cow::Owned(v))
    }

    pub fn u8(&self, addr: u64) -> Result<u8, MemError> {
        let mut b = [0u8; 1];
        self.read(addr, &mut b)?;
        Ok(b[0])
    }
    pub fn u16(&self, addr: u64) -> Result<u16, MemError> {
        let mut b = [0u8; 2];
        self.read(addr, &mut b)?;
        Ok(u16::from_le_bytes(b))
    }
    pub fn u32(&self, addr: u64) -> Result<u32, MemError> {
        let mut b = [0u8; 4];
        self.read(addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    pub fn u64(&self, addr: u64) -> Result<u64, MemError> {
        let mut b = [0u8; 8];
        self.read(addr, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    /// Reads an unsigned integer of 1, 2, 4 or 8 bytes.
    pub fn uint(&self, addr: u64, size: u64) -> Result<u64, MemError> {
        match size {
            1 => self.u8(addr).map(u64::from),
            2 => self.u16(addr).map(u64::from),
            4 => self.u32(addr).map(u64::from),
            _ => self.u64(addr),
        }
    }
    /// Reads a Go string header's contents (capped at `max` bytes).
    pub fn go_string(&self, ptr: u64, len: u64, max: u64) -> Result<String, MemError> {
        let n = len.min(max) as usize;
        let b = self.bytes(ptr, n)?;
        Ok(String::from_utf8_lossy(&b).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layering_prefers_core_then_exe_then_zero() {
        let core: Rc<dyn ByteSource> = Rc::new(vec![1u8; 0x100]);
        let exe: Rc<dyn ByteSource> = Rc::new(vec![2u8; 0x300]);
        let segs = [
            CoreSegment { vaddr: 0x1000, memsz: 0x200, offset: 0, filesz: 0x100, flags: 0 },
            CoreSegment { vaddr: 0x4000, memsz: 0x100, offset: 0, filesz: 0, flags: 0 },
        ];
        let exe_ph = [ProgramHeader { p_type: 1, flags: 5, offset: 0, vaddr: 0x1080, filesz: 0x100, memsz: 0x200 }];
        let m = Memory::new(core, exe, &segs, &[], &exe_ph, 0);
        assert_eq!(m.u8(0x10ff).unwrap(), 1);
        assert_eq!(m.u8(0x1100).unwrap(), 2);
        assert_eq!(m.u8(0x117f).unwrap(), 2);
        assert_eq!(m.u8(0x1180).unwrap(), 0); // exe bss
        assert_eq!(m.u8(0x4000).unwrap(), 0);
        assert_eq!(m.u8(0x3000), Err(MemError::Unmapped(0x3000)));
        let mut b = [0u8; 4];
        m.read(0x10fe, &mut b).unwrap();
        assert_eq!(b, [1, 1, 2, 2]);
    }
}
