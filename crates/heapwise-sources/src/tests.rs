use super::*;

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i.wrapping_mul(2654435761) >> 7) as u8).collect()
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
