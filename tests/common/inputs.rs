//! The test inputs made by scripts/make-cores.sh, and what a test does when one is missing.
//! No dependency on the CLI, so the analysis crate's own tests include it too
//! (crates/heapwise-core/tests/stacks.rs).
//!
//! A test that needs an input asks [`inputs`] for it. When it is missing the test fails under
//! `HEAPWISE_REQUIRE_CORES=1` (scripts/test.sh sets it), and otherwise skips visibly: it
//! writes `HEAPWISE-SKIP: <test binary>::<test> (<reason>)` to stderr, past libtest's output
//! capture, and scripts/test.sh counts those lines as skipped, not passed.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

/// Where scripts/make-cores.sh keeps the cores: `$HEAPWISE_CORES`, default
/// `~/.cache/heapwise-tools/cores`.
pub fn cores_dir() -> PathBuf {
    match std::env::var_os("HEAPWISE_CORES") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/heapwise-tools/cores"),
    }
}

/// `HEAPWISE_REQUIRE_CORES=1`: a missing input is a failure, not a skip.
pub fn require_cores() -> bool {
    std::env::var("HEAPWISE_REQUIRE_CORES").is_ok_and(|v| v == "1")
}

/// `<cores_dir>/<version>/<prog>`.
pub fn prog_dir(version: &str, prog: &str) -> PathBuf {
    cores_dir().join(version).join(prog)
}

/// Skips the calling test for `reason`: a panic (the test fails) under
/// `HEAPWISE_REQUIRE_CORES=1`, else one `HEAPWISE-SKIP:` line on stderr.
pub fn skip(reason: &str) {
    let test = std::thread::current().name().unwrap_or("?").to_string();
    let test = format!("{}::{test}", env!("CARGO_CRATE_NAME"));
    assert!(!require_cores(), "{test}: HEAPWISE_REQUIRE_CORES=1 and {reason} (run scripts/make-cores.sh)");
    // Straight to the stream, not eprintln!: libtest captures the print macros of passing tests.
    let _ = writeln!(std::io::stderr(), "HEAPWISE-SKIP: {test} ({reason})");
}

/// `true` when every path exists; otherwise [`skip`]s the test (or fails it under
/// `HEAPWISE_REQUIRE_CORES=1`) and returns `false`.
pub fn inputs(paths: &[&Path]) -> bool {
    let missing: Vec<String> = paths.iter().filter(|p| !p.exists()).map(|p| p.display().to_string()).collect();
    if missing.is_empty() {
        return true;
    }
    skip(&format!("missing {}", missing.join(", ")));
    false
}
