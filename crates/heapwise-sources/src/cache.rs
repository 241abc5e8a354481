//! The page cache every reader of a core goes through: bounded, set-associative, with
//! read-ahead for sources where every read has a high fixed cost.
//!
//! In the browser worker, a `Blob` read through `FileReaderSync` costs about a millisecond
//! whatever its size up to a few hundred KiB, and streams at ~250 MB/s beyond that (Chromium,
//! measured with the scale core). The engine, though, issues tens of millions of small reads
//! (8-byte words, 8 KiB spans), mostly in long forward sweeps over the heap (span scan, graph
//! scan, typing) with some random ones in between. So this cache:
//!
//! - serves a hit with a compare against the last page used, or a scan of one set's tags
//!   (set-associative, LRU within a set: no hash map, no allocation per read);
//! - on a miss, looks for a stream the page continues, forward or backward (several
//!   interleaved streams are tracked: the typing pass walks its work stack last-in first-out,
//!   so it sweeps the heap downwards) and then fetches a window in that direction that doubles
//!   on each consecutive miss of the stream (64 KiB up to [`CacheConfig::max_window`]), in one
//!   read; a miss that continues no stream fetches one page;
//! - passes reads of [`CacheConfig::direct_min`] bytes or more straight to the source;
//! - optionally keeps the pages it evicts without their zero words in a ring buffer.
//!
//! [`CacheConfig::read_ahead`] is that setting (the worker's). The native CLI's `--no-mmap`
//! mode reads with `pread` from the kernel's page cache, where a miss costs one system call
//! and the bookkeeping per hit is what counts: [`CacheConfig::pread`] reads one page per miss
//! and passes reads of a page or more through.
//!
//! It holds at most its capacity in page data, plus one window of scratch.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};

use heapwise_core::source::{ByteSource, SourceError};

/// Page size: the unit of caching and of a random miss.
const PAGE: usize = crate::PAGE_SIZE;
/// Largest read-ahead window of [`CacheConfig::read_ahead`].
pub const MAX_WINDOW: usize = 4 * 1024 * 1024;
/// Reads at least this long bypass a [`CacheConfig::read_ahead`] cache.
pub const DIRECT_MIN: usize = 1024 * 1024;
/// Ways per set.
const WAYS: usize = 8;

/// How a [`PageCache`] holds and fetches pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// Bytes of page data held at most (rounded down to whole sets of 8 pages of 64 KiB, at
    /// least one set, and no more than the source needs).
    pub capacity: usize,
    /// Bytes for evicted pages kept packed (zero words left out); 0: none. A page found there
    /// costs an unpacking (microseconds), not a read of the source (a millisecond or more).
    pub packed: usize,
    /// Largest read-ahead window in bytes; [`crate::PAGE_SIZE`] or less: no read-ahead, a
    /// miss reads its page only.
    pub max_window: usize,
    /// Reads at least this long bypass the cache.
    pub direct_min: usize,
}

impl CacheConfig {
    /// For sources where every read has a high fixed cost (a browser `Blob`): read-ahead
    /// windows up to [`MAX_WINDOW`], clusters of nearby misses read whole, reads of
    /// [`DIRECT_MIN`] or more passed through, `packed` bytes of packed evicted pages.
    pub fn read_ahead(capacity: usize, packed: usize) -> Self {
        CacheConfig { capacity, packed, max_window: MAX_WINDOW, direct_min: DIRECT_MIN }
    }

    /// For `pread` from the kernel's page cache, where a miss is one cheap system call: one
    /// page per miss, reads of a page or more passed through (a whole span needs no copy
    /// through the cache and evicts nothing).
    pub fn pread(capacity: usize) -> Self {
        CacheConfig { capacity, packed: 0, max_window: PAGE, direct_min: PAGE }
    }
}
/// Forward streams tracked at once.
const STREAMS: usize = 16;
/// A miss this many pages or fewer past a stream's end still continues it (small skips:
/// free spans, noscan spans, pages already cached).
const STREAM_SLACK: u64 = 64;

const EMPTY: u64 = u64::MAX;
/// Misses remembered to tell clustered from isolated ones.
const RECENT: usize = 16;
/// Pages of an aligned cluster block (2 MiB).
const CLUSTER_BLOCK: u64 = 32;
/// Recent misses within a block's distance that make a miss clustered.
const CLUSTER_MIN: usize = 3;

/// Counters, for the benchmark and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    /// Reads issued to the source (each miss is one, whatever its window; plus direct reads).
    pub inner_reads: u64,
    pub inner_bytes: u64,
    /// Reads passed straight through.
    pub direct: u64,
    /// Misses served from the packed store instead of the source.
    pub unpacked: u64,
}

/// Pages `lo..hi` were fetched last by one stream.
#[derive(Clone, Copy)]
struct Stream {
    lo: u64,
    hi: u64,
    /// Pages of its next window.
    window: u64,
    used: u64,
}

impl Stream {
    const NONE: Stream = Stream { lo: EMPTY, hi: EMPTY, window: 1, used: 0 };

    /// Pages skipped if `page` continues this stream forward.
    fn forward_gap(&self, page: u64) -> Option<u64> {
        (self.hi != EMPTY && page >= self.hi && page <= self.hi + STREAM_SLACK).then(|| page - self.hi)
    }
    /// Pages skipped if `page` continues this stream backward.
    fn backward_gap(&self, page: u64) -> Option<u64> {
        (self.lo != EMPTY && page < self.lo && page + STREAM_SLACK >= self.lo).then(|| self.lo - 1 - page)
    }
    fn gap(&self, page: u64) -> Option<u64> {
        match (self.forward_gap(page), self.backward_gap(page)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

struct State {
    tags: Vec<u64>,
    used: Vec<u64>,
    data: Vec<u8>,
    tick: u64,
    last_page: u64,
    last_slot: usize,
    streams: [Stream; STREAMS],
    scratch: Vec<u8>,
    recent: [u64; RECENT],
    recent_at: usize,
    /// Pages evicted from the cache, kept packed (zero words left out) in one ring buffer
    /// (`packed_max` bytes, allocated on first use; one block, so that once freed it can be
    /// reused whole): page -> (offset, length) in the ring, and the entries oldest first.
    packed: HashMap<u64, (usize, usize)>,
    packed_order: VecDeque<(u64, usize, usize)>,
    ring: Vec<u8>,
    ring_head: usize,
    packed_max: usize,
    pack_buf: Vec<u8>,
    stats: CacheStats,
}

impl State {
    fn new(slots: usize, packed_max: usize, stats: CacheStats) -> State {
        State {
            tags: vec![EMPTY; slots],
            used: vec![0; slots],
            data: vec![0; slots * PAGE],
            tick: 0,
            last_page: EMPTY,
            last_slot: 0,
            streams: [Stream::NONE; STREAMS],
            scratch: Vec::new(),
            recent: [EMPTY; RECENT],
            recent_at: 0,
            packed: HashMap::new(),
            packed_order: VecDeque::new(),
            ring: Vec::new(),
            ring_head: 0,
            packed_max,
            pack_buf: Vec::new(),
            stats,
        }
    }

    /// Keeps a page being evicted, packed, within the packed store's budget.
    fn keep_packed(&mut self, page: u64, bytes: &[u8]) {
        if self.packed_max == 0 || self.packed.contains_key(&page) {
            return;
        }
        let mut p = std::mem::take(&mut self.pack_buf);
        pack(bytes, &mut p);
        let len = p.len();
        if len <= self.packed_max / 4 {
            if self.ring.is_empty() {
                self.ring = vec![0; self.packed_max];
            }
            if self.ring_head + len > self.ring.len() {
                // Wrap: the previous round's entries past the head go first.
                while let Some(&(pg, off, _)) = self.packed_order.front() {
                    if off < self.ring_head {
                        break;
                    }
                    self.packed_order.pop_front();
                    self.packed.remove(&pg);
                }
                self.ring_head = 0;
            }
            let (from, to) = (self.ring_head, self.ring_head + len);
            // The oldest entries lie just past the head: drop those the new one overwrites.
            while let Some(&(pg, off, _)) = self.packed_order.front() {
                if off < from || off >= to {
                    break;
                }
                self.packed_order.pop_front();
                self.packed.remove(&pg);
            }
            self.ring[from..to].copy_from_slice(&p);
            self.packed.insert(page, (from, len));
            self.packed_order.push_back((page, from, len));
            self.ring_head = to;
        }
        self.pack_buf = p;
    }
}

/// A page without its zero words: its length (u32), a bitmap of its non-zero 8-byte words,
/// then those words. Go heaps are full of zero words (unset fields, nil pointers, spare
/// capacity), so most pages shrink several times.
fn pack(bytes: &[u8], out: &mut Vec<u8>) {
    let words = bytes.len().div_ceil(8);
    let map_len = words.div_ceil(8);
    out.clear();
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.resize(4 + map_len, 0);
    let full = bytes.len() / 8;
    for (i, w) in bytes.chunks_exact(8).enumerate() {
        if u64::from_ne_bytes(w.try_into().expect("8 bytes")) != 0 {
            out[4 + i / 8] |= 1 << (i % 8);
            out.extend_from_slice(w);
        }
    }
    let tail = &bytes[full * 8..];
    if tail.iter().any(|&b| b != 0) {
        out[4 + full / 8] |= 1 << (full % 8);
        out.extend_from_slice(tail);
    }
}

/// Writes a packed page into `out` (at least its length long); returns its length.
fn unpack(p: &[u8], out: &mut [u8]) -> usize {
    let len = u32::from_le_bytes(p[..4].try_into().expect("4 bytes")) as usize;
    let words = len.div_ceil(8);
    let map = &p[4..4 + words.div_ceil(8)];
    let mut at = 4 + map.len();
    out[..len].fill(0);
    for (m, &bits) in map.iter().enumerate() {
        let mut bits = bits;
        while bits != 0 {
            let i = m * 8 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let n = (len - i * 8).min(8);
            out[i * 8..i * 8 + n].copy_from_slice(&p[at..at + n]);
            at += n;
        }
    }
    len
}

/// A bounded cache of 64 KiB pages in front of a [`ByteSource`] (see the module's doc).
pub struct PageCache<S> {
    inner: S,
    size: u64,
    sets: Cell<usize>,
    /// Read-ahead window limit, in pages (1: none).
    max_window_pages: u64,
    direct_min: usize,
    state: RefCell<State>,
}

/// Sets for a cache of at most `max_bytes`, and no larger than the source needs.
fn sets_for(size: u64, max_bytes: usize) -> usize {
    let need = (size.div_ceil(PAGE as u64) as usize).div_ceil(WAYS);
    (max_bytes / PAGE / WAYS).min(need).max(1)
}

impl<S: ByteSource> PageCache<S> {
    /// A read-ahead cache ([`CacheConfig::read_ahead`]) holding at most `max_bytes` of pages
    /// (rounded down to whole sets), and no more than the source's size.
    pub fn new(inner: S, max_bytes: usize) -> Self {
        Self::with_config(inner, CacheConfig::read_ahead(max_bytes, 0))
    }

    /// A read-ahead cache of at most `max_bytes` of pages, which keeps the pages it evicts
    /// packed in up to `packed_bytes` more.
    pub fn with_packed(inner: S, max_bytes: usize, packed_bytes: usize) -> Self {
        Self::with_config(inner, CacheConfig::read_ahead(max_bytes, packed_bytes))
    }

    pub fn with_config(inner: S, config: CacheConfig) -> Self {
        let size = inner.size();
        let sets = sets_for(size, config.capacity);
        let state = State::new(sets * WAYS, config.packed, CacheStats::default());
        PageCache {
            inner,
            size,
            sets: Cell::new(sets),
            max_window_pages: (config.max_window / PAGE).max(1) as u64,
            direct_min: config.direct_min.max(1),
            state: RefCell::new(state),
        }
    }

    /// Empties the cache and makes it hold at most `max_bytes` from now on: after the
    /// analysis's long sweeps, the memory goes back to the allocator for what comes next.
    pub fn shrink(&self, max_bytes: usize) {
        let sets = sets_for(self.size, max_bytes).min(self.sets.get());
        let mut st = self.state.borrow_mut();
        let stats = st.stats;
        // Free the old pages before allocating the new ones.
        *st = State::new(0, 0, stats);
        *st = State::new(sets * WAYS, 0, stats);
        self.sets.set(sets);
    }

    /// Bytes of page data the cache can hold.
    pub fn capacity(&self) -> usize {
        self.sets.get() * WAYS * PAGE
    }

    pub fn stats(&self) -> CacheStats {
        self.state.borrow().stats
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn pages(&self) -> u64 {
        self.size.div_ceil(PAGE as u64)
    }

    /// The slot of `page` when resident.
    #[inline]
    fn lookup(&self, st: &mut State, page: u64) -> Option<usize> {
        if st.last_page == page {
            return Some(st.last_slot);
        }
        let first = (page % self.sets.get() as u64) as usize * WAYS;
        for s in first..first + WAYS {
            if st.tags[s] == page {
                st.tick += 1;
                st.used[s] = st.tick;
                st.last_page = page;
                st.last_slot = s;
                return Some(s);
            }
        }
        None
    }

    /// Puts one page's bytes in its set, evicting the least recently used way.
    /// `used`: its age for eviction (`st.tick` for most recent).
    fn install(&self, st: &mut State, page: u64, bytes: &[u8], used: Option<u64>) -> usize {
        let victim = self.take_slot(st, page);
        st.data[victim * PAGE..victim * PAGE + bytes.len()].copy_from_slice(bytes);
        Self::fill(st, victim, page, used);
        victim
    }

    /// Frees the way of its set that `page` goes in (the one holding it, or the least
    /// recently used), keeping the page it held packed when there is a packed store. The
    /// slot is left empty until [`Self::fill`].
    fn take_slot(&self, st: &mut State, page: u64) -> usize {
        let first = (page % self.sets.get() as u64) as usize * WAYS;
        let mut victim = first;
        for s in first..first + WAYS {
            if st.tags[s] == page {
                victim = s;
                break;
            }
            if st.used[s] < st.used[victim] {
                victim = s;
            }
        }
        let old = st.tags[victim];
        if old != EMPTY && old != page && st.packed_max > 0 {
            let len = (self.size - old * PAGE as u64).min(PAGE as u64) as usize;
            let data = std::mem::take(&mut st.data);
            st.keep_packed(old, &data[victim * PAGE..victim * PAGE + len]);
            st.data = data;
        }
        st.tags[victim] = EMPTY;
        if st.last_slot == victim {
            st.last_page = EMPTY;
        }
        victim
    }

    /// Makes `slot`, its bytes in place, hold `page`.
    fn fill(st: &mut State, slot: usize, page: u64, used: Option<u64>) {
        st.tick += 1;
        st.tags[slot] = page;
        st.used[slot] = used.unwrap_or(st.tick);
    }

    /// Reads `page` in, with a read-ahead window when it continues a forward stream.
    fn miss(&self, st: &mut State, page: u64) -> Result<usize, SourceError> {
        st.stats.misses += 1;
        if let Some(&(off, plen)) = st.packed.get(&page) {
            let mut buf = std::mem::take(&mut st.scratch);
            buf.resize(PAGE, 0);
            let len = unpack(&st.ring[off..off + plen], &mut buf);
            let slot = self.install(st, page, &buf[..len], None);
            st.scratch = buf;
            st.stats.unpacked += 1;
            st.last_page = page;
            st.last_slot = slot;
            return Ok(slot);
        }
        st.tick += 1;
        let tick = st.tick;
        // A window never fills more than half the cache (it must not evict itself).
        let max_window = self.max_window_pages.min((self.sets.get() * WAYS / 2).max(1) as u64);
        // The stream this page continues with the smallest skip.
        let stream = (0..STREAMS).filter_map(|i| st.streams[i].gap(page).map(|g| (g, i))).min().map(|(_, i)| i);
        // The window, stopped at pages already resident (no need to read them again).
        let (first, end) = match stream {
            Some(i) if st.streams[i].forward_gap(page).is_some() => {
                let limit = (page + st.streams[i].window).min(self.pages());
                let mut end = page + 1;
                while end < limit && !self.resident(st, end) {
                    end += 1;
                }
                (page, end)
            }
            Some(i) => {
                let limit = (page + 1).saturating_sub(st.streams[i].window);
                let mut first = page;
                while first > limit && !self.resident(st, first - 1) {
                    first -= 1;
                }
                (first, page + 1)
            }
            None => (page, page + 1),
        };
        // Not a stream, or one page of one, but several recent misses close by: a cluster of
        // scattered objects (a depth-first walk of one data structure). Read its whole
        // aligned block.
        let near = st.recent.iter().filter(|&&r| r != EMPTY && r.abs_diff(page) <= CLUSTER_BLOCK).count();
        st.recent[st.recent_at] = page;
        st.recent_at = (st.recent_at + 1) % RECENT;
        let block = CLUSTER_BLOCK.min(max_window);
        let clustered = end - first <= 2 && near >= CLUSTER_MIN && block > 2;
        // An isolated miss (one page of no stream or cluster) goes in as the oldest of its set:
        // a sparse pass (one word per object) must not push out what a sweep read.
        // (Without read-ahead every miss is one page: plain LRU.)
        let isolated = self.max_window_pages > 1 && end - first <= 2 && !clustered;
        let (first, end) = if clustered {
            let lo = page - page % block;
            let hi = (lo + block).min(self.pages());
            let mut a = page;
            while a > lo && !self.resident(st, a - 1) {
                a -= 1;
            }
            let mut b = page + 1;
            while b < hi && !self.resident(st, b) {
                b += 1;
            }
            (a.min(first), b.max(end))
        } else {
            (first, end)
        };
        let i = stream.unwrap_or_else(|| {
            // A new stream replaces the least recently used one; it starts with one page.
            let i = (0..STREAMS).min_by_key(|&i| st.streams[i].used).unwrap_or(0);
            st.streams[i].window = 1;
            i
        });
        let s = &mut st.streams[i];
        // Dense (the miss skipped less than a window since the last one): grow; sparse: a
        // page or two at a time again, since most of a big window would go unused.
        let gap = s.gap(page).unwrap_or(EMPTY);
        s.window = if gap <= s.window / 2 { (s.window * 2).min(max_window) } else { 2.min(max_window) };
        s.lo = first;
        s.hi = end;
        s.used = tick;
        let start_off = first * PAGE as u64;
        let end_off = (end * PAGE as u64).min(self.size);
        let len = (end_off - start_off) as usize;
        if end - first == 1 {
            // One page: read straight into its slot, not through the scratch window (a
            // copy of 64 KiB per miss, which the CLI's pread setting makes on every miss).
            let slot = self.take_slot(st, page);
            let r = self.inner.read_at(start_off, &mut st.data[slot * PAGE..slot * PAGE + len]);
            st.stats.inner_reads += 1;
            r?;
            st.stats.inner_bytes += len as u64;
            Self::fill(st, slot, page, isolated.then_some(1));
            st.last_page = page;
            st.last_slot = slot;
            return Ok(slot);
        }
        let mut scratch = std::mem::take(&mut st.scratch);
        scratch.resize(len, 0);
        let r = self.inner.read_at(start_off, &mut scratch[..len]);
        st.stats.inner_reads += 1;
        if let Err(e) = r {
            st.scratch = scratch;
            return Err(e);
        }
        st.stats.inner_bytes += len as u64;
        // The page wanted now goes in last: the most recent, and never evicted by the others.
        let wanted = (page - first) as usize;
        for (i, chunk) in scratch[..len].chunks(PAGE).enumerate() {
            if i != wanted {
                self.install(st, first + i as u64, chunk, None);
            }
        }
        let from = wanted * PAGE;
        let to = (from + PAGE).min(len);
        let slot = self.install(st, page, &scratch[from..to], isolated.then_some(1));
        st.scratch = scratch;
        st.last_page = page;
        st.last_slot = slot;
        Ok(slot)
    }

    /// Whether `page` is in the cache or the packed store.
    fn resident(&self, st: &State, page: u64) -> bool {
        self.peek(st, page).is_some() || st.packed.contains_key(&page)
    }

    /// Whether `page` is resident, without touching the LRU order.
    fn peek(&self, st: &State, page: u64) -> Option<usize> {
        let first = (page % self.sets.get() as u64) as usize * WAYS;
        (first..first + WAYS).find(|&s| st.tags[s] == page)
    }
}

impl<S: ByteSource> ByteSource for PageCache<S> {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        if offset.checked_add(buf.len() as u64).is_none_or(|e| e > self.size) {
            return Err(SourceError::OutOfBounds { offset, len: buf.len() as u64, size: self.size });
        }
        let mut st = self.state.borrow_mut();
        if buf.len() >= self.direct_min {
            st.stats.direct += 1;
            st.stats.inner_reads += 1;
            st.stats.inner_bytes += buf.len() as u64;
            return self.inner.read_at(offset, buf);
        }
        let mut done = 0;
        while done < buf.len() {
            let pos = offset + done as u64;
            let page = pos / PAGE as u64;
            let slot = match self.lookup(&mut st, page) {
                Some(s) => {
                    st.stats.hits += 1;
                    s
                }
                None => self.miss(&mut st, page)?,
            };
            let from = (pos % PAGE as u64) as usize;
            let n = (PAGE - from).min(buf.len() - done);
            let at = slot * PAGE + from;
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

    fn xorshift(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    #[test]
    fn random_and_sequential_reads_match_the_source() {
        // 40 pages and a bit; a cache of 2 sets x 8 ways: evictions all the time.
        let d = data(40 * PAGE + 1234);
        let c = PageCache::new(Counted(d.clone(), Cell::new(0)), 16 * PAGE);
        let mut x = 0x9e3779b97f4a7c15u64;
        let mut seq = 0u64;
        for i in 0..50_000 {
            let (off, len) = if i % 3 == 0 {
                let len = (xorshift(&mut x) % 20_000) as usize;
                (xorshift(&mut x) % (d.len() as u64 - len as u64 + 1), len)
            } else {
                let len = (xorshift(&mut x) % 9000) as usize;
                if seq + len as u64 > d.len() as u64 {
                    seq = 0;
                }
                seq += len as u64;
                (seq - len as u64, len)
            };
            let mut b = vec![0u8; len];
            c.read_at(off, &mut b).unwrap();
            assert!(b[..] == d[off as usize..off as usize + len], "read of {len} at {off}");
        }
        let mut big = vec![0u8; DIRECT_MIN + 5];
        c.read_at(7, &mut big).unwrap();
        assert_eq!(big, &d[7..7 + DIRECT_MIN + 5]);
        let mut tail = [0u8; 10];
        c.read_at(d.len() as u64 - 10, &mut tail).unwrap();
        assert_eq!(tail, d[d.len() - 10..]);
        assert!(matches!(c.read_at(d.len() as u64 - 5, &mut tail), Err(SourceError::OutOfBounds { .. })));
        assert!(matches!(c.read_at(u64::MAX - 2, &mut tail), Err(SourceError::OutOfBounds { .. })));
    }

    #[test]
    fn a_forward_sweep_reads_in_growing_windows() {
        let d = data(64 * 1024 * 1024);
        let c = PageCache::new(Counted(d.clone(), Cell::new(0)), 16 * 1024 * 1024);
        let mut w = [0u8; 8];
        for off in (0..d.len() as u64).step_by(4096) {
            c.read_at(off, &mut w).unwrap();
            assert_eq!(w, d[off as usize..off as usize + 8]);
        }
        let s = c.stats();
        // 1 + 2 + 4 + ... + 64 pages, then 64-page windows: 1024 pages in 7 + 15 reads.
        assert_eq!(s.inner_reads, 7 + (1024 - 127u64).div_ceil(64), "{s:?}");
        assert_eq!(s.inner_bytes, d.len() as u64);
        // Random single reads fetch one page each.
        let c = PageCache::new(Counted(d.clone(), Cell::new(0)), 16 * 1024 * 1024);
        for p in [900u64, 10, 500, 300, 700] {
            c.read_at(p * PAGE as u64 + 3, &mut w).unwrap();
        }
        assert_eq!(c.stats().inner_bytes, 5 * PAGE as u64);
    }

    #[test]
    fn a_backward_sweep_reads_in_growing_windows() {
        let d = data(64 * 1024 * 1024);
        let c = PageCache::new(Counted(d.clone(), Cell::new(0)), 16 * 1024 * 1024);
        let mut w = [0u8; 8];
        let offsets: Vec<u64> = (0..d.len() as u64 - 8).step_by(4096).collect();
        for &off in offsets.iter().rev() {
            c.read_at(off, &mut w).unwrap();
            assert_eq!(w, d[off as usize..off as usize + 8]);
        }
        let s = c.stats();
        assert_eq!(s.inner_reads, 7 + (1024 - 127u64).div_ceil(64), "{s:?}");
        assert_eq!(s.inner_bytes, d.len() as u64);
    }

    #[test]
    fn sized_by_the_source_and_shrinkable() {
        let d = data(3 * PAGE + 5);
        let c = PageCache::new(Counted(d.clone(), Cell::new(0)), 1 << 30);
        assert_eq!(c.capacity(), WAYS * PAGE, "one set is enough for four pages");
        let mut b = [0u8; 100];
        c.read_at(3 * PAGE as u64 - 95, &mut b).unwrap();
        c.shrink(0);
        assert_eq!(c.capacity(), WAYS * PAGE);
        c.read_at(3 * PAGE as u64 - 95, &mut b).unwrap();
        assert!(b[..] == d[3 * PAGE - 95..], "same bytes after shrinking");
        assert_eq!(c.stats().misses, 4, "two pages, twice: the shrunk cache starts empty");
    }

    #[test]
    fn pack_round_trips() {
        let mut page = vec![0u8; PAGE];
        for i in (0..PAGE).step_by(96) {
            page[i] = (i / 96) as u8 | 1;
        }
        for len in [PAGE, PAGE - 3, 13, 8, 1, 0] {
            let mut p = Vec::new();
            pack(&page[..len], &mut p);
            assert!(p.len() < 4 + len / 8 + len / 8 + 8 || len < 64, "packed {len} to {}", p.len());
            let mut out = vec![0xffu8; PAGE];
            assert_eq!(unpack(&p, &mut out), len);
            assert!(out[..len] == page[..len], "round trip of {len} bytes");
        }
    }

    #[test]
    fn the_packed_store_serves_evicted_pages() {
        // Mostly zero data with a non-zero word every 64 bytes: packs ~8x.
        let mut d = vec![0u8; 40 * PAGE + 1234];
        for i in (0..d.len()).step_by(64) {
            d[i] = (i / 64 % 251) as u8 + 1;
        }
        let c = PageCache::with_packed(Counted(d.clone(), Cell::new(0)), 16 * PAGE, 40 * PAGE);
        let mut w = [0u8; 8];
        for off in (0..d.len() as u64 - 8).step_by(4096) {
            c.read_at(off, &mut w).unwrap();
        }
        let first = c.inner().1.get();
        let mut x = 0x1234_5678_9abc_def1u64;
        for _ in 0..20_000 {
            let len = (xorshift(&mut x) % 9000) as usize;
            let off = xorshift(&mut x) % (d.len() as u64 - len as u64 + 1);
            let mut b = vec![0u8; len];
            c.read_at(off, &mut b).unwrap();
            assert!(b[..] == d[off as usize..off as usize + len], "read of {len} at {off}");
        }
        assert_eq!(c.inner().1.get(), first, "every page came back from the packed store: {:?}", c.stats());
        assert!(c.stats().unpacked > 0);
    }

    #[test]
    fn a_small_packed_ring_wraps_and_stays_right() {
        let mut d = vec![0u8; 64 * PAGE + 999];
        let mut x = 99u64;
        for i in (0..d.len()).step_by(48) {
            d[i] = xorshift(&mut x) as u8 | 1;
        }
        // 16 pages of cache, a ring for ~20 packed pages: it wraps over and over.
        let c = PageCache::with_packed(Counted(d.clone(), Cell::new(0)), 16 * PAGE, 2 * PAGE);
        for i in 0..30_000 {
            let len = (xorshift(&mut x) % 5000) as usize;
            let off = if i % 2 == 0 {
                xorshift(&mut x) % (d.len() as u64 - len as u64 + 1)
            } else {
                (i as u64 * 4099) % (d.len() as u64 - len as u64 + 1)
            };
            let mut b = vec![0u8; len];
            c.read_at(off, &mut b).unwrap();
            assert!(b[..] == d[off as usize..off as usize + len], "read of {len} at {off}");
        }
        assert!(c.stats().unpacked > 100, "{:?}", c.stats());
        let st = c.state.borrow();
        assert!(st.packed.len() == st.packed_order.len() && st.packed.len() < 40, "{} entries", st.packed.len());
    }

    #[test]
    fn big_reads_bypass_and_hits_stay_in_memory() {
        let d = data(8 * 1024 * 1024);
        let c = PageCache::new(Counted(d.clone(), Cell::new(0)), 4 * 1024 * 1024);
        let mut big = vec![0u8; DIRECT_MIN];
        c.read_at(100, &mut big).unwrap();
        assert_eq!(big, &d[100..100 + DIRECT_MIN]);
        assert_eq!(c.stats().direct, 1);
        let mut w = [0u8; 16];
        for _ in 0..1000 {
            c.read_at(PAGE as u64 - 8, &mut w).unwrap();
        }
        assert_eq!(w, d[PAGE - 8..PAGE + 8]);
        assert_eq!(c.inner().1.get(), 1 + 2, "one direct read, then one miss per page touched");
    }

    #[test]
    fn the_pread_setting_reads_one_page_per_miss_and_passes_big_reads() {
        let d = data(64 * PAGE + 77);
        // 2 sets of 8 ways: a forward sweep evicts all the time.
        let c = PageCache::with_config(Counted(d.clone(), Cell::new(0)), CacheConfig::pread(16 * PAGE));
        let mut w = [0u8; 8];
        for off in (0..d.len() as u64 - 8).step_by(4096) {
            c.read_at(off, &mut w).unwrap();
            assert_eq!(w, d[off as usize..off as usize + 8]);
        }
        let s = c.stats();
        assert_eq!((s.misses, s.inner_reads), (65, 65), "one read per page: {s:?}");
        assert_eq!(s.inner_bytes, d.len() as u64);
        // A page or more goes straight through, the cache untouched.
        let mut span = vec![0u8; PAGE];
        c.read_at(12345, &mut span).unwrap();
        assert_eq!(span, &d[12345..12345 + PAGE]);
        assert_eq!((c.stats().direct, c.stats().misses), (1, 65));
        // Plain LRU within a set: the pages read last are still there.
        let reads = c.inner().1.get();
        for p in [64u64, 63, 62, 60] {
            c.read_at(p * PAGE as u64 + 3, &mut w).unwrap();
        }
        assert_eq!(c.inner().1.get(), reads, "{:?}", c.stats());
        let mut tail = [0u8; 10];
        assert!(matches!(c.read_at(d.len() as u64 - 5, &mut tail), Err(SourceError::OutOfBounds { .. })));
        c.read_at(d.len() as u64, &mut []).unwrap();
    }
}
