//! The worker's reading layer, run in headless Chromium inside a dedicated worker
//! (`FileReaderSync` exists only in workers): `scripts/test-web.sh`, or
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p heapwise-web --target wasm32-unknown-unknown --test blob_source`.
#![cfg(target_arch = "wasm32")]

use heapwise_core::source::{ByteSource, SourceError};
use heapwise_sources::{PageCache, SparsePages, PAGE_SIZE};
use heapwise_web::blob::{open_blob, BlobSource};
use js_sys::{Array, Uint8Array};
use wasm_bindgen_test::*;
use web_sys::Blob;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn blob_of_parts(parts: &[&[u8]]) -> Blob {
    let arr = Array::new();
    for p in parts {
        arr.push(&Uint8Array::from(*p));
    }
    Blob::new_with_u8_array_sequence(&arr).unwrap()
}

fn pattern(n: usize, seed: u32) -> Vec<u8> {
    (0..n as u32).map(|i| (i.wrapping_mul(2654435761).wrapping_add(seed) >> 11) as u8).collect()
}

fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[wasm_bindgen_test]
fn blob_source_reads_ranges() {
    let data = pattern(300_001, 7);
    let src = BlobSource::new(blob_of_parts(&[&data])).unwrap();
    assert_eq!(src.size(), data.len() as u64);
    let mut seed = 99u64;
    for _ in 0..200 {
        let off = rng(&mut seed) % data.len() as u64;
        let len = (rng(&mut seed) % 5000).min(data.len() as u64 - off) as usize;
        let mut buf = vec![0u8; len];
        src.read_at(off, &mut buf).unwrap();
        assert_eq!(&buf[..], &data[off as usize..off as usize + len]);
    }
    let mut b = [0u8; 2];
    assert!(matches!(src.read_at(data.len() as u64 - 1, &mut b), Err(SourceError::OutOfBounds { .. })));
    assert!(src.as_slice().is_none());
}

/// A 200 MiB blob (held by the browser, not by wasm) read at random through the page cache:
/// the bytes are right and wasm memory stays far below the blob's size. (Much larger blobs
/// built in memory can make Chromium spill them to disk and fail reading them back in this
/// sandbox; the e2e suite reads multi-GB files from disk.)
#[wasm_bindgen_test]
fn page_cache_over_a_large_blob() {
    let chunk = pattern(1 << 20, 3);
    let parts: Vec<&[u8]> = (0..200).map(|_| &chunk[..]).collect();
    let blob = blob_of_parts(&parts);
    // The slots are allocated up front (wasm memory has no lazily committed pages).
    let cache = PageCache::new(BlobSource::new(blob).unwrap(), 32 << 20);
    assert_eq!(cache.size(), 200 << 20);
    let mut seed = 12345u64;
    for _ in 0..3000 {
        let off = rng(&mut seed) % cache.size();
        let len = (rng(&mut seed) % 300).min(cache.size() - off) as usize;
        let mut buf = vec![0u8; len];
        cache.read_at(off, &mut buf).unwrap();
        for (i, b) in buf.iter().enumerate() {
            assert_eq!(*b, chunk[((off as usize) + i) % chunk.len()]);
        }
    }
    // Locality: re-reading the last pages hits the cache.
    let before = cache.stats();
    let mut buf = [0u8; 16];
    cache.read_at(cache.size() - 16, &mut buf).unwrap();
    cache.read_at(cache.size() - 16, &mut buf).unwrap();
    let after = cache.stats();
    assert!(after.hits > before.hits);
    assert!(cache.capacity() <= 32 << 20, "{after:?}");
    let wasm_mem = wasm_bindgen::memory().unchecked_into::<js_sys::WebAssembly::Memory>().buffer();
    let bytes = wasm_mem.unchecked_into::<js_sys::ArrayBuffer>().byte_length();
    assert!(bytes < 100 << 20, "wasm memory grew to {bytes} bytes");
}

/// The worker's read-ahead cache over a 64 MiB blob: a forward and a backward sweep of
/// word reads take few large `FileReaderSync` reads, random reads stay right, and wasm memory
/// stays bounded by the cache.
#[wasm_bindgen_test]
fn read_ahead_cache_over_a_large_blob() {
    let chunk = pattern(1 << 20, 5);
    let parts: Vec<&[u8]> = (0..64).map(|_| &chunk[..]).collect();
    let cache = PageCache::new(BlobSource::new(blob_of_parts(&parts)).unwrap(), 16 << 20);
    let size = cache.size();
    assert_eq!(size, 64 << 20);
    let check = |off: u64, buf: &[u8]| {
        for (i, b) in buf.iter().enumerate() {
            assert_eq!(*b, chunk[((off as usize) + i) % chunk.len()], "byte {} of a read at {off}", i);
        }
    };
    let mut w = [0u8; 8];
    for off in (0..size).step_by(4096) {
        cache.read_at(off, &mut w).unwrap();
        check(off, &w);
    }
    let forward = cache.stats();
    assert!(forward.inner_reads < 40, "a forward sweep of 64 MiB in {} reads", forward.inner_reads);
    let offsets: Vec<u64> = (0..size - 8).step_by(4096).collect();
    for &off in offsets.iter().rev() {
        cache.read_at(off, &mut w).unwrap();
        check(off, &w);
    }
    assert!(cache.stats().inner_reads - forward.inner_reads < 40, "{:?}", cache.stats());
    let mut seed = 777u64;
    for _ in 0..3000 {
        let off = rng(&mut seed) % size;
        let len = (rng(&mut seed) % 9000).min(size - off) as usize;
        let mut buf = vec![0u8; len];
        cache.read_at(off, &mut buf).unwrap();
        check(off, &buf);
    }
    cache.shrink(4 << 20);
    cache.read_at(size - 8, &mut w).unwrap();
    check(size - 8, &w);
    let wasm_mem = wasm_bindgen::memory().unchecked_into::<js_sys::WebAssembly::Memory>().buffer();
    let bytes = wasm_mem.unchecked_into::<js_sys::ArrayBuffer>().byte_length();
    assert!(bytes < 100 << 20, "wasm memory grew to {bytes} bytes");
}

use wasm_bindgen::JsCast;

fn sparse_image() -> Vec<u8> {
    let mut v = vec![0u8; 48 << 20];
    v[100..108].copy_from_slice(b"ELFCORE!");
    let p = 5 * PAGE_SIZE - 4;
    v[p..p + 8].copy_from_slice(b"straddle");
    let n = v.len();
    v[n - 3..].copy_from_slice(b"end");
    v
}

#[wasm_bindgen_test]
fn zstd_blob_becomes_sparse_pages() {
    let image = sparse_image();
    let z = ruzstd::encoding::compress_to_vec(&image[..], ruzstd::encoding::CompressionLevel::Fastest);
    // Split the compressed stream over several blob parts, like a File of many chunks.
    let mid = z.len() / 2;
    let blob = blob_of_parts(&[&z[..mid], &z[mid..]]);
    let mut reports = 0;
    let src = open_blob(blob, &mut |f| {
        assert!((0.0..=1.0).contains(&f));
        reports += 1;
        true
    })
    .unwrap();
    assert!(reports > 0);
    assert_eq!(src.size(), image.len() as u64);
    for (off, len) in [(0u64, 200usize), (5 * PAGE_SIZE as u64 - 10, 20), (image.len() as u64 - 10, 10), (7 << 20, 100_000)] {
        let mut buf = vec![0u8; len];
        src.read_at(off, &mut buf).unwrap();
        assert_eq!(&buf[..], &image[off as usize..off as usize + len]);
    }
    // Direct check of the store: only the 4 non-zero pages are kept (one island straddles two).
    let direct = SparsePages::from_zstd(&BlobSource::new(blob_of_parts(&[&z])).unwrap(), &mut |_| true).unwrap();
    assert_eq!(direct.stored_pages(), 4);
}

#[wasm_bindgen_test]
fn zstd_cancel_and_corrupt() {
    let z = ruzstd::encoding::compress_to_vec(&sparse_image()[..], ruzstd::encoding::CompressionLevel::Fastest);
    let err = open_blob(blob_of_parts(&[&z]), &mut |_| false).err().unwrap();
    assert_eq!(err, "cancelled");
    let err = open_blob(blob_of_parts(&[&z[..z.len() / 3]]), &mut |_| true).err().unwrap();
    assert!(err.contains("not a valid zstd stream"), "{err}");
}

#[wasm_bindgen_test]
fn plain_blob_is_page_cached() {
    let data = pattern(200_000, 1);
    let src = open_blob(blob_of_parts(&[&data]), &mut |_| panic!("no progress for plain files")).unwrap();
    let mut buf = vec![0u8; data.len()];
    src.read_at(0, &mut buf).unwrap();
    assert_eq!(buf, data);
}
