//! An executable parsed and its DWARF queried: see `src/lib.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| heapwise_fuzz::exe_parser(data));
