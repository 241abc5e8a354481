use super::*;
use std::cell::Cell;

/// A source that counts reads, to check the cache really caches.
struct Counted {
    data: Vec<u8>,
    reads: Cell<u64>,
}

impl ByteSource for Counted {
    fn size(&self) -> u64 {
        self.data.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        self.reads.set(self.reads.get() + 1);
        self.data.read_at(offset, buf)
    }
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i.wrapping_mul(2654435761) >> 7) as u8).collect()
}

/// Deterministic xorshift for pseudo-random offsets.
fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn cache_matches_source_on_random_reads() {
    let data = pattern(1_000_003);
    let cache = PageCache::with_capacity(Counted { data: data.clone(), reads: Cell::new(0) }, 4096, 64 * 1024);
    let mut seed = 0x1234_5678_9abc_def0u64;
    for _ in 0..2000 {
        let off = rng(&mut seed) % data.len() as u64;
        let max = (data.len() as u64 - off).min(20_000);
        let len = (rng(&mut seed) % (max + 1)) as usize;
        let mut buf = vec![0u8; len];
        cache.read_at(off, &mut buf).unwrap();
        assert_eq!(&buf[..], &data[off as usize..off as usize + len], "at {off} len {len}");
    }
    let st = cache.stats();
    assert!(st.resident_pages <= 16, "{st:?}");
    assert!(st.hits > 0 && st.misses > 0);
}

#[test]
fn cache_reads_each_page_once_while_it_fits() {
    let data = pattern(10 * 4096 + 17);
    let cache = PageCache::with_capacity(Counted { data: data.clone(), reads: Cell::new(0) }, 4096, 1 << 20);
    let mut buf = vec![0u8; data.len()];
    cache.read_at(0, &mut buf).unwrap();
    assert_eq!(buf, data);
    assert_eq!(cache.inner().reads.get(), 1, "one contiguous fetch");
    for off in (0..data.len() as u64 - 8).step_by(1000) {
        let mut b = [0u8; 8];
        cache.read_at(off, &mut b).unwrap();
    }
    assert_eq!(cache.inner().reads.get(), 1, "everything served from the cache");
    assert_eq!(cache.stats().resident_pages, 11);
}

#[test]
fn cache_evicts_least_recently_used() {
    let data = pattern(8 * 100);
    let cache = PageCache::with_capacity(Counted { data, reads: Cell::new(0) }, 100, 300);
    let mut b = [0u8; 1];
    for p in [0u64, 1, 2] {
        cache.read_at(p * 100, &mut b).unwrap();
    }
    cache.read_at(0, &mut b).unwrap(); // page 0 is now the most recent
    cache.read_at(300, &mut b).unwrap(); // evicts page 1
    let reads = cache.inner().reads.get();
    cache.read_at(0, &mut b).unwrap();
    cache.read_at(200, &mut b).unwrap();
    assert_eq!(cache.inner().reads.get(), reads, "pages 0 and 2 still cached");
    cache.read_at(100, &mut b).unwrap();
    assert_eq!(cache.inner().reads.get(), reads + 1, "page 1 was evicted");
    assert_eq!(cache.stats().resident_pages, 3);
}

#[test]
fn cache_bounds_and_huge_reads() {
    let data = pattern(5000);
    let cache = PageCache::with_capacity(data.clone(), 64, 256);
    let mut big = vec![0u8; 5000];
    cache.read_at(0, &mut big).unwrap(); // far larger than the capacity
    assert_eq!(big, data);
    assert!(cache.stats().resident_pages <= 4);
    let mut b = [0u8; 2];
    assert!(matches!(cache.read_at(4999, &mut b), Err(SourceError::OutOfBounds { .. })));
    assert!(matches!(cache.read_at(u64::MAX, &mut b), Err(SourceError::OutOfBounds { .. })));
    cache.read_at(5000, &mut []).unwrap();
}

fn sparse_image() -> Vec<u8> {
    // 40 MiB, almost all zero, with a few non-zero islands (one straddling a page boundary).
    let mut v = vec![0u8; 40 << 20];
    v[10..20].copy_from_slice(b"0123456789");
    let p = 3 * PAGE_SIZE - 3;
    v[p..p + 6].copy_from_slice(b"abcdef");
    let tail = v.len() - 5;
    v[tail..].copy_from_slice(b"TAIL!");
    v
}

#[test]
fn zstd_to_sparse_pages() {
    let image = sparse_image();
    let z = ruzstd::encoding::compress_to_vec(&image[..], ruzstd::encoding::CompressionLevel::Fastest);
    assert!(is_zstd(&z));
    assert_eq!(classify(&z), FileKind::ZstdCore);
    let mut fractions = vec![];
    let store = SparsePages::from_zstd(&z, &mut |f| {
        fractions.push(f);
        true
    })
    .unwrap();
    assert_eq!(store.size(), image.len() as u64);
    assert_eq!(store.stored_pages(), 4, "only the non-zero pages are kept");
    assert!(fractions.last().copied() == Some(1.0), "{fractions:?}");
    for (off, len) in [(0u64, 64usize), (3 * PAGE_SIZE as u64 - 10, 20), (image.len() as u64 - 100, 100), (12345678, 70000)] {
        let mut buf = vec![0u8; len];
        store.read_at(off, &mut buf).unwrap();
        assert_eq!(&buf[..], &image[off as usize..off as usize + len]);
    }
}

#[test]
fn zstd_multiple_frames_and_cancel() {
    let a = pattern(100_000);
    let b = pattern(70_001);
    let mut z = ruzstd::encoding::compress_to_vec(&a[..], ruzstd::encoding::CompressionLevel::Fastest);
    // A skippable frame between the two data frames.
    z.extend_from_slice(&[0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    z.extend(ruzstd::encoding::compress_to_vec(&b[..], ruzstd::encoding::CompressionLevel::Fastest));
    let store = SparsePages::from_zstd(&z, &mut |_| true).unwrap();
    let mut all = a.clone();
    all.extend_from_slice(&b);
    let mut got = vec![0u8; all.len()];
    store.read_at(0, &mut got).unwrap();
    assert_eq!(got, all);

    let big = ruzstd::encoding::compress_to_vec(&sparse_image()[..], ruzstd::encoding::CompressionLevel::Fastest);
    let r = SparsePages::from_zstd(&big, &mut |_| false);
    assert_eq!(r.err(), Some(ZstdError::Cancelled));
}

#[test]
fn zstd_corrupt_input_is_an_error() {
    let mut z = ruzstd::encoding::compress_to_vec(&pattern(300_000)[..], ruzstd::encoding::CompressionLevel::Fastest);
    z.truncate(z.len() / 2);
    assert!(matches!(SparsePages::from_zstd(&z, &mut |_| true), Err(ZstdError::Corrupt(_))));
    assert!(matches!(SparsePages::from_zstd(&b"not zstd at all".to_vec(), &mut |_| true), Err(ZstdError::Corrupt(_))));
}

#[test]
fn classify_elf_types() {
    let mut h = [0u8; 64];
    h[..4].copy_from_slice(b"\x7fELF");
    h[5] = 1;
    h[16] = 4;
    assert_eq!(classify(&h), FileKind::Core);
    h[16] = 2;
    assert_eq!(classify(&h), FileKind::Executable);
    h[16] = 3;
    assert_eq!(classify(&h), FileKind::Executable);
    h[16] = 1;
    assert_eq!(classify(&h), FileKind::OtherElf(1));
    h[5] = 2;
    h[16] = 0;
    h[17] = 4;
    assert_eq!(classify(&h), FileKind::Core);
    assert_eq!(classify(b"hello"), FileKind::Unknown);
}
