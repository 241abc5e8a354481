//! `--no-mmap` reading: a file read with `pread` behind a small set-associative page cache.
//!
//! heapwise-sources' `PageCache` (an exact LRU over a `HashMap` and a `BTreeMap`) suits the
//! browser, where each miss is an expensive `Blob` read. Natively a miss is one `pread` from
//! the kernel's page cache, and the analysis issues tens of millions of 8-byte reads, so the
//! bookkeeping per hit is what counts: here a hit is a compare with the last page used, or a
//! scan of one set's few tags, and eviction is LRU within the set.

use std::cell::RefCell;

use heapwise_core::source::{ByteSource, SourceError};

/// A file read with `pread` (`FileExt::read_exact_at`); nothing of it is mapped.
pub struct PreadFile {
    file: std::fs::File,
    size: u64,
}

impl PreadFile {
    pub fn open(path: &str) -> std::io::Result<PreadFile> {
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

/// Counters of a [`SetCache`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub hits: u64,
    pub misses: u64,
    /// Reads of a page or more, passed straight to the inner source.
    pub direct: u64,
    /// Bytes read from the inner source.
    pub inner_bytes: u64,
}

const EMPTY: u64 = u64::MAX;

struct State {
    /// Page index held by each slot (`EMPTY` when none); slot = set * ways + way.
    tags: Vec<u64>,
    /// Tick of each slot's last use (LRU within a set).
    used: Vec<u64>,
    /// `slots * page_size` bytes of page data.
    data: Vec<u8>,
    tick: u64,
    last_page: u64,
    last_slot: usize,
    stats: Stats,
}

/// A bounded, set-associative cache of fixed-size pages in front of a [`ByteSource`].
pub struct SetCache<S> {
    inner: S,
    size: u64,
    page_shift: u32,
    sets: usize,
    ways: usize,
    state: RefCell<State>,
}

impl<S: ByteSource> SetCache<S> {
    /// Pages of `page_size` bytes (a power of two), `ways` per set, at most `max_bytes` held.
    pub fn new(inner: S, page_size: usize, ways: usize, max_bytes: usize) -> Self {
        assert!(page_size.is_power_of_two() && ways > 0);
        let sets = (max_bytes / page_size / ways).max(1);
        let slots = sets * ways;
        let size = inner.size();
        SetCache {
            inner,
            size,
            page_shift: page_size.trailing_zeros(),
            sets,
            ways,
            state: RefCell::new(State {
                tags: vec![EMPTY; slots],
                used: vec![0; slots],
                // Zeroed allocation: pages become resident only as slots are filled.
                data: vec![0; slots * page_size],
                tick: 0,
                last_page: EMPTY,
                last_slot: 0,
                stats: Stats::default(),
            }),
        }
    }

    pub fn stats(&self) -> Stats {
        self.state.borrow().stats
    }

    fn page_size(&self) -> usize {
        1 << self.page_shift
    }

    /// The slot holding `page`, reading it in on a miss.
    #[inline]
    fn slot_of(&self, st: &mut State, page: u64) -> Result<usize, SourceError> {
        if st.last_page == page {
            st.stats.hits += 1;
            return Ok(st.last_slot);
        }
        st.tick += 1;
        let first = (page % self.sets as u64) as usize * self.ways;
        let mut victim = first;
        for s in first..first + self.ways {
            if st.tags[s] == page {
                st.used[s] = st.tick;
                st.stats.hits += 1;
                st.last_page = page;
                st.last_slot = s;
                return Ok(s);
            }
            if st.used[s] < st.used[victim] {
                victim = s;
            }
        }
        st.stats.misses += 1;
        let ps = self.page_size();
        let start = page << self.page_shift;
        let len = (self.size - start).min(ps as u64) as usize;
        // Forget the slot first: a failed read must not leave a stale tag behind.
        st.tags[victim] = EMPTY;
        if st.last_slot == victim {
            st.last_page = EMPTY;
        }
        self.inner.read_at(start, &mut st.data[victim * ps..victim * ps + len])?;
        st.stats.inner_bytes += len as u64;
        st.tags[victim] = page;
        st.used[victim] = st.tick;
        st.last_page = page;
        st.last_slot = victim;
        Ok(victim)
    }
}

impl<S: ByteSource> ByteSource for SetCache<S> {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        if offset.checked_add(buf.len() as u64).is_none_or(|e| e > self.size) {
            return Err(SourceError::OutOfBounds { offset, len: buf.len() as u64, size: self.size });
        }
        let ps = self.page_size();
        let mut st = self.state.borrow_mut();
        if buf.len() >= ps {
            // A whole span or more: one read, no copy through (and no eviction from) the cache.
            st.stats.direct += 1;
            st.stats.inner_bytes += buf.len() as u64;
            return self.inner.read_at(offset, buf);
        }
        let mut done = 0;
        while done < buf.len() {
            let pos = offset + done as u64;
            let page = pos >> self.page_shift;
            let slot = self.slot_of(&mut st, page)?;
            let from = (pos as usize) & (ps - 1);
            let n = (ps - from).min(buf.len() - done);
            let at = slot * ps + from;
            buf[done..done + n].copy_from_slice(&st.data[at..at + n]);
            done += n;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// A Vec source that counts the reads it serves.
    struct Counted(Vec<u8>, Cell<u64>);

    impl ByteSource for Counted {
        fn size(&self) -> u64 {
            self.0.len() as u64
        }
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
            self.1.set(self.1.get() + 1);
            self.0.read_at(offset, buf)
        }
    }

    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[test]
    fn reads_match_the_source_across_pages_and_the_end() {
        let d = data(10_000);
        // 64-byte pages, 2 ways, 4 sets: evictions happen all the time.
        let c = SetCache::new(Counted(d.clone(), Cell::new(0)), 64, 2, 512);
        let mut x = 12345u64;
        for _ in 0..20_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let len = ((x >> 33) % 80) as usize;
            let off = ((x >> 13) % (d.len() as u64 - len as u64 + 1)) as usize;
            let mut b = vec![0u8; len];
            c.read_at(off as u64, &mut b).unwrap();
            assert_eq!(b, &d[off..off + len], "read of {len} at {off}");
        }
        let mut tail = [0u8; 10];
        c.read_at(9_990, &mut tail).unwrap();
        assert_eq!(tail, d[9_990..]);
        assert!(matches!(c.read_at(9_995, &mut tail), Err(SourceError::OutOfBounds { .. })));
        assert!(matches!(c.read_at(u64::MAX - 2, &mut tail), Err(SourceError::OutOfBounds { .. })));
    }

    #[test]
    fn hits_do_not_reach_the_source_and_big_reads_bypass() {
        let d = data(4096);
        let c = SetCache::new(Counted(d.clone(), Cell::new(0)), 256, 4, 4096);
        let mut w = [0u8; 8];
        for i in 0..32 {
            c.read_at(i * 8, &mut w).unwrap();
        }
        assert_eq!(c.inner.1.get(), 1);
        let mut big = vec![0u8; 1000];
        c.read_at(100, &mut big).unwrap();
        assert_eq!(big, &d[100..1100]);
        assert_eq!(c.inner.1.get(), 2);
        assert_eq!(c.stats(), Stats { hits: 31, misses: 1, direct: 1, inner_bytes: 256 + 1000 });
    }
}
