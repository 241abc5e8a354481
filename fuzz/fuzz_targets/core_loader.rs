//! A core file (first byte: mode) loaded with the fixture executable: see `src/lib.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| heapwise_fuzz::core_loader(data));
