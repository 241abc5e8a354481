//! Heap dump parser and loader (`heapwise_core::formats::heapdump`, `Analysis::open_heapdump`):
//! any bytes must give records, an analysis or an error, never a panic.
//!
//!     cargo +nightly fuzz run heapdump fuzz/corpus/heapdump
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    heapwise_core::frontends::heapdump::fuzz_one(data);
});
