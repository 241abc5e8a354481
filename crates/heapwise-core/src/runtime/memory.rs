//! The dumped process's address space: core PT_LOAD data first, then the executable's own
//! PT_LOAD contents for file-backed pages the core left out (text, rodata, pclntab, type
//! descriptors), then zero fill for the rest of each mapping.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use crate::formats::elfcore::{CoreSegment, ProgramHeader};
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
                if let Some(end) = s.vaddr.checked_add(s.filesz) {
                    regions.push(Region { start: s.vaddr, end, backing: Backing::Core { offset: s.offset } });
                }
            }
        }
        regions.sort_by_key(|r| r.start);
        // Each layer fills only what the layers before it left uncovered. A layer is added in
        // one pass (not range by range): cores can have tens of thousands of segments.
        let add_layer = |regions: &mut Vec<Region>, ranges: Vec<(u64, u64, Backing)>| {
            let covered: Vec<(u64, u64)> = regions.iter().map(|r| (r.start, r.end)).collect();
            let mut pieces: Vec<Region> = Vec::new();
            for (start, end, backing) in ranges {
                for (s, e) in uncovered(start, end, &covered) {
                    let backing = match backing {
                        Backing::Exe { offset } => Backing::Exe { offset: offset.saturating_add(s - start) },
                        b => b,
                    };
                    pieces.push(Region { start: s, end: e, backing });
                }
            }
            // Ranges of one layer may overlap each other: the first one listed wins.
            pieces.sort_by_key(|r| r.start);
            let mut last_end = 0u64;
            for mut p in pieces {
                if p.end <= last_end {
                    continue;
                }
                if p.start < last_end {
                    if let Backing::Exe { offset } = p.backing {
                        p.backing = Backing::Exe { offset: offset.saturating_add(last_end - p.start) };
                    }
                    p.start = last_end;
                }
                last_end = p.end;
                regions.push(p);
            }
            regions.sort_by_key(|r| r.start);
        };
        add_layer(&mut regions, truncated.iter().filter(|r| r.0 < r.1).map(|&(s, e)| (s, e, Backing::Missing)).collect());
        let mut exe_data = Vec::new();
        let mut exe_bss = Vec::new();
        for ph in exe_segments {
            let start = ph.vaddr.wrapping_add(bias);
            let (Some(file_end), Some(mem_end)) = (start.checked_add(ph.filesz), start.checked_add(ph.memsz)) else { continue };
            if ph.filesz > 0 {
                exe_data.push((start, file_end, Backing::Exe { offset: ph.offset }));
            }
            if mem_end > file_end {
                exe_bss.push((file_end, mem_end, Backing::Zero));
            }
        }
        add_layer(&mut regions, exe_data);
        add_layer(&mut regions, exe_bss);
        add_layer(
            &mut regions,
            core_segments
                .iter()
                .filter(|s| s.memsz > s.filesz && s.vaddr.checked_add(s.memsz).is_some())
                .map(|s| (s.vaddr + s.filesz, s.vaddr + s.memsz, Backing::Zero))
                .collect(),
        );
        Memory { core, exe, regions, last: Cell::new(0) }
    }

    /// An address space from address-sorted, disjoint ranges `(start, end, offset)`, each
    /// backed by `core` at `offset` or, with `None`, zero filled (a heap dump's object
    /// contents and the free slots between them); the executable's file-backed segment
    /// bytes fill what the ranges leave out.
    pub fn from_ranges(
        core: Rc<dyn ByteSource>,
        exe: Rc<dyn ByteSource>,
        ranges: Vec<(u64, u64, Option<u64>)>,
        exe_segments: &[ProgramHeader],
        bias: u64,
    ) -> Memory {
        let mut regions: Vec<Region> = ranges
            .into_iter()
            .filter(|r| r.0 < r.1)
            .map(|(start, end, o)| Region { start, end, backing: o.map_or(Backing::Zero, |offset| Backing::Core { offset }) })
            .collect();
        let mut extra = Vec::new();
        for ph in exe_segments.iter().filter(|p| p.filesz > 0) {
            let (start, end) = (ph.vaddr.wrapping_add(bias), ph.vaddr.wrapping_add(bias).saturating_add(ph.filesz));
            let mut cur = start;
            let first = regions.partition_point(|r| r.end <= start);
            for r in &regions[first..] {
                if r.start >= end {
                    break;
                }
                if r.start > cur {
                    extra.push(Region { start: cur, end: r.start, backing: Backing::Exe { offset: ph.offset + (cur - start) } });
                }
                cur = cur.max(r.end);
            }
            if cur < end {
                extra.push(Region { start: cur, end, backing: Backing::Exe { offset: ph.offset + (cur - start) } });
            }
        }
        if !extra.is_empty() {
            regions.extend(extra);
            regions.sort_unstable_by_key(|r| r.start);
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
        // Sequential reads (a heap dump has a region per object) go on to the next region.
        if let Some(r) = self.regions.get(last + 1) {
            if r.start <= addr && addr < r.end {
                self.last.set(last + 1);
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

    /// Whether every byte of `addr..addr+len` comes from the core or executable file (not
    /// zero fill, not cut off, not unmapped). Readers use it to refuse runtime tables that
    /// would make them allocate memory no file byte stands for.
    pub fn is_file_backed(&self, mut addr: u64, len: u64) -> bool {
        let Some(end) = addr.checked_add(len) else { return false };
        while addr < end {
            match self.region(addr) {
                Some(r) if matches!(r.backing, Backing::Core { .. } | Backing::Exe { .. }) => addr = r.end,
                _ => return false,
            }
        }
        true
    }

    /// Whether every byte of `addr..addr+len` lies in the core's own segment data, counting
    /// the part of a truncated core that was cut off (`Some(false)` then) as the core's.
    /// `None` when some byte is zero fill, from the executable, or unmapped.
    pub fn in_core(&self, mut addr: u64, len: u64) -> Option<bool> {
        let end = addr.checked_add(len)?;
        let mut complete = true;
        while addr < end {
            let r = self.region(addr)?;
            match r.backing {
                Backing::Core { .. } => {}
                Backing::Missing => complete = false,
                _ => return None,
            }
            addr = r.end;
        }
        Some(complete)
    }

    /// Fills `buf` with the memory at `addr`.
    pub fn read(&self, mut addr: u64, mut buf: &mut [u8]) -> Result<(), MemError> {
        while !buf.is_empty() {
            let r = *self.region(addr).ok_or(MemError::Unmapped(addr))?;
            let n = ((r.end - addr).min(buf.len() as u64)) as usize;
            let (head, tail) = buf.split_at_mut(n);
            let within = addr - r.start;
            let at = |offset: u64| offset.checked_add(within).unwrap_or(u64::MAX);
            match r.backing {
                Backing::Core { offset } => self.core.read_at(at(offset), head),
                Backing::Exe { offset } => self.exe.read_at(at(offset), head),
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

    /// The bytes at `addr..addr+len` when they can be borrowed: the range lies in one
    /// region backed by a memory-resident source (a mapped core or executable). `None`
    /// otherwise (zero fill, a paged source, a range over two regions): nothing is copied.
    /// Scans read an object's words from it instead of looking each word's region up.
    #[inline]
    pub fn slice(&self, addr: u64, len: usize) -> Option<&[u8]> {
        let r = self.region(addr)?;
        if addr.checked_add(len as u64)? > r.end {
            return None;
        }
        let within = addr - r.start;
        let (src, offset) = match r.backing {
            Backing::Core { offset } => (&self.core, offset),
            Backing::Exe { offset } => (&self.exe, offset),
            _ => return None,
        };
        let o = usize::try_from(offset.checked_add(within)?).ok()?;
        src.as_slice()?.get(o..o.checked_add(len)?)
    }

    /// The bytes at `addr..addr+len`: borrowed from a memory-resident source when the range
    /// lies in one region, copied otherwise.
    pub fn bytes(&self, addr: u64, len: usize) -> Result<Cow<'_, [u8]>, MemError> {
        if let Some(b) = self.slice(addr, len) {
            return Ok(Cow::Borrowed(b));
        }
        // Fail before allocating: `len` often comes from the dump itself.
        let end = addr.checked_add(len as u64).ok_or(MemError::Unmapped(addr))?;
        let mut a = addr;
        while a < end {
            let r = self.region(a).ok_or(MemError::Unmapped(a))?;
            if r.backing == Backing::Missing {
                return Err(MemError::Truncated(a));
            }
            a = r.end;
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
        // Hot path of scanning and naming: a word inside one region of a memory-resident
        // core or executable (type descriptors, itabs) is read straight from the slice (no
        // copy through read_at).
        // One region lookup: a word of zero fill, cut off or unmapped is answered from it
        // as `read` would.
        let r = *self.region(addr).ok_or(MemError::Unmapped(addr))?;
        if addr.checked_add(8).is_some_and(|e| e <= r.end) {
            let (src, offset) = match r.backing {
                Backing::Core { offset } => (&self.core, offset),
                Backing::Exe { offset } => (&self.exe, offset),
                Backing::Zero => return Ok(0),
                Backing::Missing => return Err(MemError::Truncated(addr)),
            };
            let at = offset.checked_add(addr - r.start).and_then(|o| usize::try_from(o).ok());
            if let Some(w) = src.as_slice().zip(at).and_then(|(s, at)| s.get(at..at.checked_add(8)?)) {
                return Ok(u64::from_le_bytes(w.try_into().expect("8 bytes")));
            }
        }
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
    fn from_ranges_layers_exe_below() {
        let core: Rc<dyn ByteSource> = Rc::new(vec![1u8; 0x100]);
        let exe: Rc<dyn ByteSource> = Rc::new(vec![2u8; 0x300]);
        let exe_ph = [ProgramHeader { p_type: 1, flags: 5, offset: 0, vaddr: 0x1000, filesz: 0x300, memsz: 0x300 }];
        let m = Memory::from_ranges(core, exe, vec![(0x1080, 0x1090, Some(0)), (0x1090, 0x10a0, None)], &exe_ph, 0);
        assert_eq!(m.u8(0x1000).unwrap(), 2);
        assert_eq!(m.u8(0x1085).unwrap(), 1);
        assert_eq!(m.u8(0x1095).unwrap(), 0);
        assert_eq!(m.u8(0x10a0).unwrap(), 2);
        assert_eq!(m.u8(0x12ff).unwrap(), 2);
        assert_eq!(m.u8(0x1300), Err(MemError::Unmapped(0x1300)));
    }

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

    #[test]
    fn many_segments_layer_in_one_pass() {
        // Tens of thousands of mappings, each partly in the file: one pass per layer, not
        // one per segment.
        let n = 60_000u64;
        let core: Rc<dyn ByteSource> = Rc::new(vec![7u8; (n * 0x10) as usize]);
        let exe: Rc<dyn ByteSource> = Rc::new(vec![2u8; 0x100]);
        let segs: Vec<CoreSegment> =
            (0..n).map(|i| CoreSegment { vaddr: 0x1_0000 * (i + 1), memsz: 0x1000, offset: i * 0x10, filesz: 0x10, flags: 0 }).collect();
        let start = std::time::Instant::now();
        let m = Memory::new(core, exe, &segs, &[], &[], 0);
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
        assert_eq!(m.u8(0x1_0000).unwrap(), 7);
        assert_eq!(m.u8(0x1_0010).unwrap(), 0);
        assert!(m.is_file_backed(0x1_0000, 0x10));
        assert!(!m.is_file_backed(0x1_0000, 0x11));
        assert_eq!(m.in_core(0x1_0000, 0x10), Some(true));
        assert_eq!(m.in_core(0x1_0000, 0x20), None);
    }
}
