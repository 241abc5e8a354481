//! `heapwise dominators --depth 2000000` on the deeplist core (a linked list 1,000,000 nodes
//! deep, scripts/make-cores.sh): no stack overflow, and output linear in the number of nodes
//! printed, in text (indentation stops growing; deep lines say their depth) and in JSON (a
//! flat preorder list with parent indexes). The output is streamed, never held whole.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

#[path = "../../../tests/common/mod.rs"]
mod common;
use common::cores_dir;

/// Counts the bytes and lines read through it, and the longest line.
struct Counting<R> {
    inner: R,
    bytes: u64,
    lines: u64,
    line: u64,
    longest: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            if b == b'\n' {
                self.lines += 1;
                self.longest = self.longest.max(self.line);
                self.line = 0;
            } else {
                self.line += 1;
            }
        }
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Runs heapwise, handing its stdout to `read` as it comes.
fn run<T>(args: &[&str], read: impl FnOnce(&mut Counting<std::process::ChildStdout>) -> T) -> (T, u64, u64, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_heapwise"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run heapwise");
    let mut out = Counting { inner: child.stdout.take().unwrap(), bytes: 0, lines: 0, line: 0, longest: 0 };
    let v = read(&mut out);
    std::io::copy(&mut out, &mut std::io::sink()).unwrap();
    let done = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "heapwise {args:?} failed ({}): {err}", done.status);
    assert!(!err.contains("overflow") && !err.contains("panicked"), "{err}");
    (v, out.bytes, out.lines, out.longest)
}

#[derive(serde::Deserialize)]
struct Row {
    addr: u64,
    depth: u32,
    parent: Option<u32>,
}

#[test]
fn a_million_deep_dominator_chain_prints_in_linear_space() {
    let dir = cores_dir().join("1.26.6/deeplist");
    let (core, exe, truth) = (dir.join("core.gcore"), dir.join("exe"), dir.join("truth.json"));
    if !common::inputs(&[&core, &exe, &truth]) {
        return;
    }
    // The list's tail, and its distance from the root (the program's own truth).
    let truth: serde_json::Value = serde_json::from_slice(&std::fs::read(&truth).unwrap()).unwrap();
    let tail = truth["paths"].as_array().unwrap().iter().find(|p| p["label"] == "deep_tail").expect("deep_tail path");
    let tail_addr = u64::from_str_radix(tail["addr"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    // The head is directly under the roots (depth 0), the tail as many levels down as hops.
    let tail_depth = tail["length"].as_u64().unwrap() - 1;
    assert!(tail_depth >= 999_999, "{tail}");
    let (core, exe) = (core.to_str().unwrap(), exe.to_str().unwrap());

    let ((deepest, tail_line), bytes, lines, longest) = run(&["dominators", core, "--exe", exe, "--depth", "2000000"], |out| {
        let (mut deepest, mut tail_line) = (0u64, None);
        let tail_hex = format!("{tail_addr:#x} ");
        for line in BufReader::new(out).lines() {
            let line = line.unwrap();
            if let Some(d) = line.trim_start().strip_prefix("[depth ").and_then(|r| r.split(']').next()) {
                deepest = deepest.max(d.parse().unwrap());
            }
            if line.contains(&tail_hex) {
                tail_line = Some(line);
            }
        }
        (deepest, tail_line)
    });
    eprintln!("text: {lines} lines, {bytes} bytes, longest line {longest}");
    assert_eq!(deepest, tail_depth, "the deepest line is the list's tail");
    let tail_line = tail_line.expect("the tail is printed");
    assert!(tail_line.contains(&format!("[depth {tail_depth}]")) && tail_line.ends_with("(0 dominated)"), "{tail_line}");
    assert!(lines > tail_depth, "the whole chain is printed: {lines} lines");
    assert!(longest <= 200, "lines grow with depth: one of {longest} bytes");
    assert!(bytes <= 160 * lines, "{bytes} bytes for {lines} lines");

    let (rows, bytes, lines, longest) = run(&["dominators", core, "--exe", exe, "--depth", "2000000", "--json"], |out| {
        let rows: Vec<Row> = serde_json::from_reader(BufReader::new(out)).expect("the JSON parses");
        rows
    });
    let n = rows.len() as u64;
    eprintln!("json: {n} nodes, {bytes} bytes, {lines} lines, longest line {longest}");
    assert!(n > tail_depth, "the whole chain is listed: {n} nodes");
    for (i, r) in rows.iter().enumerate() {
        match r.parent {
            None => assert_eq!(r.depth, 0, "node {i} has no parent"),
            Some(p) => {
                assert!((p as usize) < i, "node {i}: parent {p} listed after it");
                assert_eq!(rows[p as usize].depth + 1, r.depth, "node {i}: depth is not its parent's + 1");
            }
        }
    }
    let deepest = rows.iter().max_by_key(|r| r.depth).unwrap();
    assert_eq!((deepest.addr, deepest.depth as u64), (tail_addr, tail_depth), "the deepest node is the list's tail");
    assert!(longest <= 100, "JSON lines grow with depth: one of {longest} bytes");
    assert!(bytes <= 250 * n, "{bytes} bytes of JSON for {n} nodes");
}
