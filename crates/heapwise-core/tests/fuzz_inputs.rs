//! Replays the fuzz targets' committed inputs as ordinary tests: the seed corpus
//! (fuzz/corpus/<target>/) and every crash the fuzzer found, once fixed
//! (fuzz/regressions/<target>/). Each input must come back (an error is fine) without a
//! panic. The harnesses are the fuzz crate's own (fuzz/src/lib.rs).

#[allow(dead_code)]
#[path = "../../../fuzz/src/lib.rs"]
mod harness;

use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut out = Vec::new();
    for dir in ["corpus", "regressions"] {
        if let Ok(rd) = std::fs::read_dir(fuzz.join(dir).join(target)) {
            out.extend(rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()));
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no inputs for {target} under {}", fuzz.display());
    out
}

fn replay(target: &str, f: fn(&[u8])) {
    for p in inputs(target) {
        let data = std::fs::read(&p).unwrap();
        if std::panic::catch_unwind(|| f(&data)).is_err() {
            panic!("{target}: {} panics", p.display());
        }
    }
}

#[test]
fn core_loader_inputs() {
    replay("core_loader", harness::core_loader);
}

#[test]
fn exe_parser_inputs() {
    replay("exe_parser", harness::exe_parser);
}

#[test]
fn heapdump_inputs() {
    replay("heapdump", heapwise_core::frontends::heapdump::fuzz_one);
}
