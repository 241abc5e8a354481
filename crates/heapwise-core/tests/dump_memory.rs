//! Hostile heap dumps must not make heapwise allocate more than the file justifies: the
//! peak of live heap bytes during `Analysis::open_heapdump` and the queries stays within a
//! fixed multiple of the input's size plus a small constant.
//!
//! The inputs are crafted (this is a hostile-input test, not a stand-in for a runtime's
//! memory): a generator writes the "go1.7 heap dump" format of `runtime/heapdump.go`
//! (the record table of `heapwise_core::formats::heapdump`) with objects placed where no
//! runtime would put them. A counting global allocator measures the peak.
//!
//! `HEAPWISE_CRAFTED_OUT=<dir>` also writes the inputs there (for `/usr/bin/time -v
//! heapwise overview <dir>/arena-spread-85000.dump`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use heapwise_core::source::ByteSource;
use heapwise_core::Analysis;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call forwards to the system allocator unchanged; the counters are only
// statistics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = System.alloc(l);
        if !p.is_null() {
            let now = CURRENT.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l);
        CURRENT.fetch_sub(l.size(), Ordering::Relaxed);
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(l);
        if !p.is_null() {
            let now = CURRENT.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = System.realloc(p, l, new);
        if !q.is_null() {
            if new >= l.size() {
                let now = CURRENT.fetch_add(new - l.size(), Ordering::Relaxed) + (new - l.size());
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(l.size() - new, Ordering::Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The tests share the counters: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Bytes of heap the analysis may hold per byte of input, and on top of any input.
const PER_INPUT_BYTE: usize = 32;
const CONSTANT: usize = 16 << 20;

/// A dump writer following `runtime/heapdump.go`: uvarints, length-prefixed byte strings,
/// field lists of (kind, offset) pairs ended by kind 0.
struct Dump(Vec<u8>);

const TAG_EOF: u64 = 0;
const TAG_OBJECT: u64 = 1;
const TAG_OTHER_ROOT: u64 = 2;
const TAG_GOROUTINE: u64 = 4;
const TAG_STACK_FRAME: u64 = 5;
const TAG_PARAMS: u64 = 6;
const TAG_FINALIZER: u64 = 7;
const TAG_DATA: u64 = 12;
const TAG_BSS: u64 = 13;
const FIELD_PTR: u64 = 1;

impl Dump {
    fn new(go_version: &str) -> Dump {
        let mut d = Dump(b"go1.7 heap dump\n".to_vec());
        // params: little-endian, 8-byte pointers, arena bounds, GOARCH, version, ncpu.
        d.int(TAG_PARAMS).int(0).int(8).int(0xc000000000).int(0xc000000000 + (1 << 40)).bytes(b"amd64").bytes(go_version.as_bytes()).int(2);
        d
    }
    fn int(&mut self, mut v: u64) -> &mut Self {
        while v >= 0x80 {
            self.0.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
        self
    }
    fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.int(b.len() as u64);
        self.0.extend_from_slice(b);
        self
    }
    fn fields(&mut self, offsets: &[u64]) -> &mut Self {
        for &o in offsets {
            self.int(FIELD_PTR).int(o);
        }
        self.int(0)
    }
    fn object(&mut self, addr: u64, words: &[u64], ptrs: &[u64]) -> &mut Self {
        let b: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        self.int(TAG_OBJECT).int(addr).bytes(&b).fields(ptrs)
    }
    fn finish(mut self) -> Vec<u8> {
        self.int(TAG_EOF);
        self.0
    }
}

const HEAP: u64 = 0xc000000000;
const ARENA: u64 = 64 << 20;

/// The input: `n` 8-byte objects, one per 64 MiB arena, each pointing to the next,
/// the first held by a global and the last by a stack frame.
fn arena_spread(n: u64) -> Vec<u8> {
    let mut d = Dump::new("go1.26.6");
    for i in 0..n {
        let next = if i + 1 < n { HEAP + (i + 1) * ARENA } else { 0 };
        d.object(HEAP + i * ARENA, &[next], &[0]);
    }
    d.int(TAG_DATA).int(0x500000).bytes(&HEAP.to_le_bytes()).fields(&[0]);
    d.int(TAG_BSS).int(0x510000).bytes(&[0; 8]).fields(&[]);
    d.int(TAG_GOROUTINE).int(HEAP - 0x2000).int(0xc100000000).int(1).int(0x401000).int(4).int(0).int(0).int(0).bytes(b"sleep").int(0).int(0).int(0).int(0);
    let last = HEAP + (n - 1) * ARENA;
    d.int(TAG_STACK_FRAME).int(0xc100000000).int(0).int(0).bytes(&last.to_le_bytes()).int(0x401000).int(0x401010).int(0x401010).bytes(b"main.main").fields(&[0]);
    d.finish()
}

/// Objects of every size from 8 bytes up, a few pages apart: each its own span, the
/// spans' pages far from each other.
fn scattered_sizes(n: u64) -> Vec<u8> {
    let mut d = Dump::new("go1.24.11");
    let mut addr = HEAP;
    for i in 0..n {
        let words = 1 + (i % 64);
        let mut w = vec![0u64; words as usize];
        w[0] = HEAP;
        d.object(addr, &w, &[0]);
        addr += 3 * 8192 + words * 8 * 1024;
    }
    d.int(TAG_OTHER_ROOT).bytes(b"crafted").int(HEAP);
    d.int(TAG_FINALIZER).int(HEAP).int(HEAP).int(0x402000).int(0).int(0);
    d.finish()
}

/// Frames whose field lists repeat one offset and whose names are long, in one goroutine
/// of many frames: roots and stack slots must not multiply what the file holds.
fn noisy_frames(frames: u64) -> Vec<u8> {
    let mut d = Dump::new("go1.25.5");
    d.object(HEAP, &[0], &[]);
    d.int(TAG_GOROUTINE).int(HEAP - 0x2000).int(0xc100000000).int(7).int(0x401000).int(4).int(0).int(0).int(0).bytes(b"chan receive").int(0).int(0).int(0).int(0);
    let name = vec![b'f'; 4096];
    for i in 0..frames {
        let sp = 0xc100000000 + i * 64;
        let mut contents = vec![0u8; 64];
        for w in 0..8 {
            contents[w * 8..w * 8 + 8].copy_from_slice(&HEAP.to_le_bytes());
        }
        d.int(TAG_STACK_FRAME).int(sp).int(i).int(if i == 0 { 0 } else { sp - 64 }).bytes(&contents).int(0x401000).int(0x401010).int(0x401010).bytes(&name);
        // Every word, then offset 0 again and again.
        let mut offs: Vec<u64> = (0..8).map(|w| w * 8).collect();
        offs.extend(std::iter::repeat_n(0, 2000));
        d.fields(&offs);
    }
    d.finish()
}

/// Runs the analysis and every query over `dump`; returns the peak of heap bytes held
/// beyond what was held before (the input included).
fn peak_of(name: &str, dump: Vec<u8>) -> (usize, usize) {
    if let Ok(dir) = std::env::var("HEAPWISE_CRAFTED_OUT") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.dump")), &dump).unwrap();
    }
    let size = dump.len();
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    {
        let src: Rc<dyn ByteSource> = Rc::new(dump);
        let a = Analysis::open_heapdump(src, None, &mut |_, _| true).unwrap_or_else(|e| panic!("{name}: {e}"));
        let ov = a.overview();
        assert!(ov.live_objects > 0, "{name}: {ov:?}");
        let _ = a.histogram();
        let _ = a.garbage_histogram();
        let _ = a.goroutines();
        let _ = a.breakdown();
        let _ = a.suspects(0.1);
        let _ = a.histogram_retained();
        let _ = a.dominator_tree(3, 20);
        if let Ok(rows) = a.objects(None) {
            for r in rows.iter().take(8) {
                let _ = a.object(r.addr);
                let _ = a.path(r.addr);
                let _ = a.anchors(r.addr);
            }
        }
    }
    let peak = PEAK.load(Ordering::Relaxed) - base;
    eprintln!("{name}: input {size} bytes, peak {peak} bytes held ({:.1}x)", peak as f64 / size as f64);
    (size, peak)
}

fn check(name: &str, dump: Vec<u8>) {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (size, peak) = peak_of(name, dump);
    let limit = PER_INPUT_BYTE * size + CONSTANT;
    assert!(peak <= limit, "{name}: {size}-byte input, {peak} bytes held at the peak, over {PER_INPUT_BYTE}x + {CONSTANT} = {limit}");
}

#[test]
fn objects_one_per_arena() {
    // About 340 KB and 1.7 MB: the sizes of the issue.
    check("arena-spread-17000", arena_spread(17_000));
    check("arena-spread-85000", arena_spread(85_000));
}

#[test]
fn objects_of_many_sizes_pages_apart() {
    check("scattered-sizes-20000", scattered_sizes(20000));
}

#[test]
fn frames_with_repeated_fields_and_long_names() {
    check("noisy-frames-100", noisy_frames(100));
}
