//! Helpers shared by the integration tests that run the `heapwise` CLI on the core corpus
//! (tests/corpus.rs, tests/dumps.rs, crates/heapwise-cli/tests/*.rs include this file).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

/// Where scripts/make-cores.sh keeps the cores: `$HEAPWISE_CORES`, default
/// `~/.cache/heapwise-tools/cores`.
pub fn cores_dir() -> PathBuf {
    match std::env::var_os("HEAPWISE_CORES") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/heapwise-tools/cores"),
    }
}

/// `HEAPWISE_REQUIRE_CORES=1`: a missing core is a failure, not a skip.
pub fn require_cores() -> bool {
    std::env::var("HEAPWISE_REQUIRE_CORES").is_ok_and(|v| v == "1")
}

/// Runs the CLI: (success, stdout, stderr).
pub fn heapwise(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_heapwise")).args(args).output().expect("run heapwise");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Runs the CLI with `--json`, asserting success, and parses its output.
pub fn json(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    let (ok, out, err) = heapwise(&a);
    assert!(ok, "heapwise {args:?} failed: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("heapwise {args:?} printed bad JSON ({e}): {out}"))
}
