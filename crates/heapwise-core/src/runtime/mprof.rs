//! The runtime's heap profile as the process holds it (`runtime/mprof.go`, Go 1.24-1.27):
//! the `mbuckets` list of memory-profile buckets, each a `bucket` followed in memory by its
//! `nstk` stack PCs and then its `memRecord` (`active`, the published counts, and
//! `future[3]`, the counts of cycles not yet published), and the profile specials
//! (`runtime/mheap.go`: `specialprofile`, kind `_KindSpecialProfile` on a span's `specials`
//! list) that point each sampled live object at its bucket.
//!
//! [`MemProfile::records`] is what `runtime.MemProfile` / `pprof_memProfileInternal` would
//! return at the moment of the core: the active counts plus the current cycle's future
//! counts (the flush `memProfileInternal` does itself), or, when no bucket has published
//! counts yet (no collection has finished), every cycle accumulated. Nothing here writes to
//! the image: the flush is computed, not applied.
//!
//! Releases differ in one way that matters: up to Go 1.26 `memRecordCycle` counts bytes
//! (`alloc_bytes`, `free_bytes`) beside objects; Go 1.27 counts objects only and a record's
//! bytes are its count times the bucket's `size` (`profilerecord.MemProfileRecord.ObjectSize`).
//! Which one a process has is read from the layout of `memRecordCycle`, not from its version.

use std::collections::HashMap;

use crate::runtime::heap::Heap;
use crate::runtime::rt::Rt;
use crate::Error;

/// Most buckets read from one list (a damaged `allnext` chain must not run on).
const MAX_BUCKETS: usize = 1 << 22;
/// `runtime.maxProfStackDepth` when DWARF lacks the constant.
const DEFAULT_MAX_STACK: u64 = 1024;
/// Most stack PCs read over all buckets (128 MiB; a real profile has far fewer).
const MAX_PCS: usize = 1 << 24;
/// Most profile specials read over all spans.
const MAX_PROFILE_SPECIALS: u64 = 1 << 26;

/// One cycle's counts (`runtime.memRecordCycle`); `bytes` fields are filled from the
/// bucket's size on releases that do not count bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cycle {
    pub allocs: u64,
    pub frees: u64,
    pub alloc_bytes: u64,
    pub free_bytes: u64,
}

impl Cycle {
    fn add(&mut self, o: &Cycle) {
        self.allocs = self.allocs.wrapping_add(o.allocs);
        self.frees = self.frees.wrapping_add(o.frees);
        self.alloc_bytes = self.alloc_bytes.wrapping_add(o.alloc_bytes);
        self.free_bytes = self.free_bytes.wrapping_add(o.free_bytes);
    }

    fn is_zero(&self) -> bool {
        self.allocs == 0 && self.frees == 0
    }
}

/// One memory-profile bucket as read from the image.
#[derive(Debug, Clone)]
pub struct Bucket {
    /// Address of the `runtime.bucket`.
    addr: u64,
    /// `bucket.size`: the allocation size the bucket counts.
    size: u64,
    /// Range of its stack in [`MemProfile::pcs`].
    stack: (u32, u32),
    active: Cycle,
    future: Vec<Cycle>,
}

impl Bucket {
    pub fn addr(&self) -> u64 {
        self.addr
    }
    pub fn size(&self) -> u64 {
        self.size
    }
}

/// One record of the profile a `runtime.MemProfile` call would return now
/// (`internal/profilerecord.MemProfileRecord`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// Index of the bucket in [`MemProfile::buckets`].
    pub bucket: u32,
    pub object_size: u64,
    pub counts: Cycle,
}

/// The heap profile of a process image.
#[derive(Debug, Clone)]
pub struct MemProfile {
    /// `runtime.MemProfileRate`.
    rate: i64,
    /// `mProfCycle.read()`: the current heap profile cycle.
    cycle: u32,
    /// Whether `memRecordCycle` counts bytes (Go 1.24-1.26) or objects only (Go 1.27).
    counts_bytes: bool,
    /// In `mbuckets` order: newest first, the order `MemProfile` reports them.
    buckets: Vec<Bucket>,
    pcs: Vec<u64>,
    /// Sampled object address -> bucket index, from the profile specials.
    objects: HashMap<u64, u32>,
    /// More specials than [`MAX_PROFILE_SPECIALS`]: the rest were not read.
    truncated_specials: bool,
    warnings: Vec<String>,
}

impl MemProfile {
    /// Reads the buckets (`runtime.mbuckets`), the rate and the cycle from the image, and
    /// the profile specials of every span of `heap` when it is given.
    pub fn read(rt: &Rt<'_>, heap: Option<&Heap>) -> Result<MemProfile, Error> {
        let o_allnext = rt.off("runtime.bucket", "allnext")?;
        let o_typ = rt.off_opt("runtime.bucket", "typ");
        let o_size = rt.off("runtime.bucket", "size")?;
        let o_nstk = rt.off("runtime.bucket", "nstk")?;
        let bucket_size = rt.size_of("runtime.bucket")?;
        let o_active = rt.off("runtime.memRecord", "active")?;
        let (o_future, future_ty) = rt
            .dwarf
            .field("runtime.memRecord", "future")
            .ok_or_else(|| Error::MissingRuntimeInfo("field runtime.memRecord.future".into()))?;
        let nfuture = match &rt.dwarf.ty(rt.dwarf.underlying(future_ty)).shape {
            crate::formats::dwarf::Shape::Array { len, .. } if (1..=16).contains(len) => *len as usize,
            _ => return Err(Error::MissingRuntimeInfo("runtime.memRecord.future is not a small array".into())),
        };
        let cycle_size = rt.size_of("runtime.memRecordCycle")?;
        let c_allocs = rt.off("runtime.memRecordCycle", "allocs")?;
        let c_frees = rt.off("runtime.memRecordCycle", "frees")?;
        let c_alloc_bytes = rt.off_opt("runtime.memRecordCycle", "alloc_bytes");
        let c_free_bytes = rt.off_opt("runtime.memRecordCycle", "free_bytes");
        let counts_bytes = c_alloc_bytes.is_some() && c_free_bytes.is_some();
        let max_stack = rt.constant(&["runtime.maxProfStackDepth"]).map(|v| v as u64).unwrap_or(DEFAULT_MAX_STACK);
        let mem_profile_kind = rt.dwarf.constant("runtime.memProfile");

        let rate_addr = rt.global("runtime.MemProfileRate")?;
        let rate = rt.mem.u64(rate_addr)? as i64;
        // mProfCycleHolder{value atomic.Uint32}: the cycle in the upper 31 bits, the
        // "flushed" flag in bit 0 (`mProfCycleHolder.read`).
        let cycle_addr = rt.global("runtime.mProfCycle")?;
        let inner = rt.off_opt("runtime.mProfCycleHolder", "value").unwrap_or(0);
        let value_inner = rt
            .dwarf
            .field("runtime.mProfCycleHolder", "value")
            .map(|(_, t)| rt.dwarf.ty(t).name.clone())
            .and_then(|n| rt.off_opt(&n, "value"))
            .unwrap_or(0);
        let cycle = rt.mem.u32(cycle_addr + inner + value_inner)? >> 1;
        // mbuckets is an atomic.UnsafePointer: a struct whose `value` is the head.
        let head_addr = rt.global("runtime.mbuckets")?;
        let head_inner = rt
            .dwarf
            .globals
            .iter()
            .find(|g| g.name == "runtime.mbuckets")
            .map(|g| rt.dwarf.ty(g.ty).name.clone())
            .and_then(|n| rt.off_opt(&n, "value"))
            .unwrap_or(0);
        let mut b = rt.mem.u64(head_addr + head_inner)?;

        let read_cycle = |at: u64, size: u64| -> Result<Cycle, Error> {
            let allocs = rt.mem.u64(at + c_allocs)?;
            let frees = rt.mem.u64(at + c_frees)?;
            let (alloc_bytes, free_bytes) = match (c_alloc_bytes, c_free_bytes) {
                (Some(a), Some(f)) => (rt.mem.u64(at + a)?, rt.mem.u64(at + f)?),
                _ => (allocs.wrapping_mul(size), frees.wrapping_mul(size)),
            };
            Ok(Cycle { allocs, frees, alloc_bytes, free_bytes })
        };
        let mut buckets = Vec::new();
        let mut pcs: Vec<u64> = Vec::new();
        let mut warnings = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while b != 0 {
            if buckets.len() >= MAX_BUCKETS || !seen.insert(b) {
                warnings
                    .push(format!("the heap profile's bucket list does not end after {} buckets: the rest are not read", buckets.len()));
                break;
            }
            if let (Some(o), Some(k)) = (o_typ, mem_profile_kind) {
                let typ = rt.mem.u64(b + o)? as i64;
                if typ != k {
                    return Err(Error::Malformed(format!("heap profile bucket {b:#x} has type {typ}, not memProfile ({k})")));
                }
            }
            let size = rt.mem.u64(b + o_size)?;
            let nstk = rt.mem.u64(b + o_nstk)?;
            if nstk > max_stack {
                return Err(Error::Malformed(format!("heap profile bucket {b:#x} has {nstk} stack PCs (at most {max_stack})")));
            }
            if pcs.len() + nstk as usize > MAX_PCS {
                warnings.push(format!("the heap profile's buckets hold more than {MAX_PCS} stack PCs: the rest are not read"));
                break;
            }
            let stk = rt.mem.bytes(b + bucket_size, (nstk * 8) as usize)?;
            let start = pcs.len() as u32;
            pcs.extend(stk.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))));
            let rec = b + bucket_size + nstk * 8;
            let active = read_cycle(rec + o_active, size)?;
            let future = (0..nfuture as u64).map(|i| read_cycle(rec + o_future + i * cycle_size, size)).collect::<Result<Vec<_>, _>>()?;
            buckets.push(Bucket { addr: b, size, stack: (start, pcs.len() as u32), active, future });
            b = rt.mem.u64(b + o_allnext)?;
        }
        let mut p = MemProfile { rate, cycle, counts_bytes, buckets, pcs, objects: HashMap::new(), truncated_specials: false, warnings };
        if let Some(heap) = heap {
            p.read_specials(rt, heap)?;
        }
        Ok(p)
    }

    /// Profile specials of every span: sampled object -> its bucket.
    fn read_specials(&mut self, rt: &Rt<'_>, heap: &Heap) -> Result<(), Error> {
        let Some(kind) = rt.dwarf.constant("runtime._KindSpecialProfile") else {
            self.warnings.push("no runtime._KindSpecialProfile: sampled objects are not matched to their allocation stacks".into());
            return Ok(());
        };
        let o_specials = rt.off("runtime.mspan", "specials")?;
        let o_next = rt.off("runtime.special", "next")?;
        let o_offset = rt.off("runtime.special", "offset")?;
        // A uint16 in Go 1.22-1.23, a uintptr from 1.24 (`runtime/mheap.go`): read at its size.
        let offset_size = rt.dwarf.ty(rt.dwarf.underlying(rt.field_type("runtime.special", "offset")?)).size;
        let o_kind = rt.off("runtime.special", "kind")?;
        let o_b = rt.off("runtime.specialprofile", "b")?;
        let index: HashMap<u64, u32> = self.buckets.iter().enumerate().map(|(i, b)| (b.addr, i as u32)).collect();
        let mut budget = MAX_PROFILE_SPECIALS;
        let mut unknown = 0u64;
        for span in &heap.spans {
            let mut sp = rt.mem.u64(span.mspan + o_specials).unwrap_or(0);
            let mut guard = 0u32;
            while sp != 0 && guard < 1 << 20 && budget > 0 {
                guard += 1;
                budget -= 1;
                if rt.mem.u8(sp + o_kind).unwrap_or(0) as i64 == kind {
                    let offset = rt.mem.uint(sp + o_offset, offset_size).unwrap_or(u64::MAX);
                    let i = offset / span.elemsize.max(1);
                    if i < u64::from(span.nelems) {
                        let b = rt.mem.u64(sp + o_b).unwrap_or(0);
                        match index.get(&b) {
                            Some(&bi) => {
                                self.objects.insert(span.base + i * span.elemsize, bi);
                            }
                            None => unknown += 1,
                        }
                    }
                }
                sp = rt.mem.u64(sp + o_next).unwrap_or(0);
            }
        }
        if unknown > 0 {
            self.warnings.push(format!("{unknown} profile specials point at no bucket of runtime.mbuckets"));
        }
        if budget == 0 {
            self.truncated_specials = true;
            self.warnings.push(format!("more than {MAX_PROFILE_SPECIALS} specials: the rest are not read"));
        }
        Ok(())
    }

    /// `runtime.MemProfileRate` in the image.
    pub fn rate(&self) -> i64 {
        self.rate
    }

    /// The current heap profile cycle (`mProfCycle.read()`).
    pub fn cycle(&self) -> u32 {
        self.cycle
    }

    /// Whether the records count bytes themselves (Go 1.24-1.26) rather than objects of
    /// the bucket's size (Go 1.27): `runtime/pprof` scales the two differently.
    pub fn counts_bytes(&self) -> bool {
        self.counts_bytes
    }

    pub fn buckets(&self) -> &[Bucket] {
        &self.buckets
    }

    /// The stack of bucket `i`: return PCs, one per logical (inline-expanded) frame,
    /// innermost first, as `runtime.callers` recorded them.
    pub fn stack(&self, i: u32) -> &[u64] {
        match self.buckets.get(i as usize) {
            Some(b) => &self.pcs[b.stack.0 as usize..b.stack.1 as usize],
            None => &[],
        }
    }

    /// The bucket of a sampled live object (its profile special), by the object's base.
    pub fn bucket_of_object(&self, addr: u64) -> Option<u32> {
        self.objects.get(&addr).copied()
    }

    /// Whether every profile special of the heap was read (none left out for the budget).
    pub fn specials_complete(&self) -> bool {
        !self.truncated_specials
    }

    /// Number of sampled objects with a profile special.
    pub fn sampled_objects(&self) -> usize {
        self.objects.len()
    }

    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// What `memProfileInternal(_, inuseZero)` returns now, in its order: each bucket's
    /// active counts plus those of the current cycle (the flush it does first); when that
    /// leaves every bucket empty, all cycles accumulated. With `inuse_zero` false, only
    /// buckets with objects in use.
    pub fn records(&self, inuse_zero: bool) -> Vec<Record> {
        let n = self.buckets.first().map(|b| b.future.len()).unwrap_or(3).max(1);
        let index = (self.cycle as usize) % n;
        let mut view: Vec<Cycle> = self
            .buckets
            .iter()
            .map(|b| {
                let mut c = b.active;
                if let Some(f) = b.future.get(index) {
                    c.add(f);
                }
                c
            })
            .collect();
        if view.iter().all(Cycle::is_zero) {
            for (c, b) in view.iter_mut().zip(&self.buckets) {
                for (i, f) in b.future.iter().enumerate() {
                    if i != index {
                        c.add(f);
                    }
                }
            }
        }
        let in_use = |c: &Cycle| {
            if self.counts_bytes {
                c.alloc_bytes != c.free_bytes
            } else {
                c.allocs != c.frees
            }
        };
        view.into_iter()
            .enumerate()
            .filter(|(_, c)| inuse_zero || in_use(c))
            .map(|(i, counts)| Record { bucket: i as u32, object_size: self.buckets[i].size, counts })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(allocs: u64, frees: u64) -> Cycle {
        Cycle { allocs, frees, alloc_bytes: allocs * 16, free_bytes: frees * 16 }
    }

    fn profile(cycle: u32, buckets: Vec<(Cycle, [Cycle; 3])>) -> MemProfile {
        MemProfile {
            rate: 1,
            cycle,
            counts_bytes: true,
            buckets: buckets
                .into_iter()
                .enumerate()
                .map(|(i, (active, future))| Bucket {
                    addr: 0x1000 + i as u64 * 64,
                    size: 16,
                    stack: (0, 0),
                    active,
                    future: future.to_vec(),
                })
                .collect(),
            pcs: Vec::new(),
            objects: HashMap::new(),
            truncated_specials: false,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn current_cycle_is_flushed_into_active() {
        // Cycle 4: future[4 % 3 = 1] is published by the flush memProfileInternal does;
        // the other two (allocations of later cycles) are not.
        let z = Cycle::default();
        let p = profile(4, vec![(c(10, 3), [c(100, 0), c(5, 1), c(200, 0)]), (z, [z, z, c(7, 0)])]);
        let r = p.records(true);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].counts, c(15, 4));
        assert_eq!(r[1].counts, z);
        // Without inuse_zero, only buckets with bytes in use.
        assert_eq!(p.records(false).len(), 1);
    }

    #[test]
    fn no_published_counts_accumulates_every_cycle() {
        // No collection finished yet: every bucket is empty after the flush, so all cycles
        // are accumulated (the "clear" case).
        let z = Cycle::default();
        let p = profile(0, vec![(z, [z, c(2, 0), c(3, 1)]), (z, [z, z, c(1, 0)])]);
        let r = p.records(true);
        assert_eq!(r[0].counts, c(5, 1));
        assert_eq!(r[1].counts, c(1, 0));
    }
}
