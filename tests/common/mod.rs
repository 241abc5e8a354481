//! Helpers shared by the integration tests that run the `heapwise` CLI on the core corpus
//! (tests/corpus.rs, tests/dumps.rs, crates/heapwise-cli/tests/*.rs include this file).
//! Inputs and skips: [`inputs`] (inputs.rs).
#![allow(dead_code)]

use std::process::Command;

use serde_json::Value;

mod inputs;
pub use inputs::*;

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
