//! Ground-truth tests on heap dumps: `runtime/debug.WriteHeapDump` files of the
//! `testdata/` programs (zoo, demo) from four Go releases, written right after the program
//! measured its own heap (scripts/make-cores.sh, kind dump), checked against that truth.
//!
//! Dumps live next to the cores in `$HEAPWISE_CORES` (default
//! `~/.cache/heapwise-tools/cores`) as `<ver>/<prog>/heap.dump` + `truth-dump.json`. With
//! `HEAPWISE_REQUIRE_CORES=1` a missing dump is a failure; otherwise the test is skipped,
//! visibly (tests/common/inputs.rs).
//!
//! A heap dump has no record of `runtime.AddCleanup` (or weak handle) specials: objects
//! only a cleanup keeps alive are garbage in a dump, so truth types reached only through
//! a cleanup root are not counted here.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::{heapwise, inputs, json, prog_dir};


/// (dump, exe, truth) of one program, or `None` when it is not made (skipped; a failure
/// under `HEAPWISE_REQUIRE_CORES=1`).
fn case(version: &str, prog: &str) -> Option<(PathBuf, PathBuf, Value)> {
    let dir = prog_dir(version, prog);
    let (dump, truth, exe) = (dir.join("heap.dump"), dir.join("truth-dump.json"), dir.join("exe"));
    if !inputs(&[&dump, &truth, &exe]) {
        return None;
    }
    let t: Value = serde_json::from_str(&std::fs::read_to_string(&truth).unwrap()).unwrap();
    Some((dump, exe, t))
}

fn histogram(dump: &Path, exe: Option<&Path>, cmd: &str) -> BTreeMap<String, (u64, u64)> {
    let mut args = vec![cmd, dump.to_str().unwrap()];
    if let Some(e) = exe {
        args.extend(["--exe", e.to_str().unwrap()]);
    }
    json(&args)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["type"].as_str().unwrap().to_string(), (r["count"].as_u64().unwrap(), r["bytes"].as_u64().unwrap())))
        .collect()
}

/// Types of the truth's objects that only a cleanup root keeps alive.
fn cleanup_only_types(truth: &Value) -> HashSet<String> {
    let labels: HashSet<&str> =
        truth["paths"].as_array().unwrap().iter().filter(|p| p["root_kind"] == "cleanup").filter_map(|p| p["label"].as_str()).collect();
    truth["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["label"].as_str().is_some_and(|l| labels.contains(l)))
        .filter_map(|o| o["type"].as_str().map(String::from))
        .collect()
}

/// Exact counts of every main.* type with the executable, live and garbage; live plus
/// garbage bytes exactly the dump's own `MemStats.HeapAlloc`, and at least the garbage the
/// program dropped (live bytes alone cannot be exact: a dump has no cleanup specials, so what
/// only a cleanup keeps is garbage in it); root paths (kind, hop count, root name);
/// goroutine functions; the same objects, unnamed, without the executable.
fn check(version: &str, prog: &str) {
    let Some((dump, exe, truth)) = case(version, prog) else { return };
    let d = dump.to_str().unwrap();
    let e = exe.to_str().unwrap();
    let label = format!("{version} {prog} dump");
    let skip = cleanup_only_types(&truth);
    let live = histogram(&dump, Some(&exe), "histogram");
    let mut errors = Vec::new();
    for (name, want) in truth["types"].as_object().unwrap() {
        if skip.contains(name) {
            continue;
        }
        let want = want["count"].as_u64().unwrap();
        let got = live.get(name).map(|r| r.0).unwrap_or(0);
        if got != want {
            errors.push(format!("{name}: {got} live, truth {want}"));
        }
    }
    let garbage = histogram(&dump, Some(&exe), "garbage");
    for (name, want) in truth["garbage_types"].as_object().unwrap() {
        let want = want["count"].as_u64().unwrap();
        let got = garbage.get(name).map(|r| r.0).unwrap_or(0);
        if got != want {
            errors.push(format!("garbage {name}: {got}, truth {want}"));
        }
        if live.contains_key(name) {
            errors.push(format!("garbage type {name} has live objects"));
        }
    }
    let live_bytes: u64 = live.values().map(|r| r.1).sum();
    let ov = json(&["overview", d, "--exe", e]);
    let garbage_bytes: u64 = garbage.values().map(|r| r.1).sum();
    if ov["live_bytes"].as_u64() != Some(live_bytes) || ov["garbage_bytes"].as_u64() != Some(garbage_bytes) {
        errors.push(format!("overview live {} garbage {} bytes, histograms {live_bytes} / {garbage_bytes}", ov["live_bytes"], ov["garbage_bytes"]));
    }
    match (ov["runtime_heap_alloc"].as_u64(), truth["garbage_bytes"].as_u64()) {
        (Some(heap_alloc), Some(truth_garbage)) => {
            eprintln!("{label}: live {live_bytes} + garbage {garbage_bytes} bytes, dump HeapAlloc {heap_alloc}, truth garbage {truth_garbage}");
            if live_bytes + garbage_bytes != heap_alloc {
                errors.push(format!("live {live_bytes} + garbage {garbage_bytes} bytes != the dump's HeapAlloc {heap_alloc}"));
            }
            if garbage_bytes < truth_garbage {
                errors.push(format!("garbage {garbage_bytes} bytes, less than the {truth_garbage} the program dropped"));
            }
        }
        (None, _) => errors.push("overview has no runtime_heap_alloc (the dump's memstats record)".into()),
        (_, None) => errors.push("truth has no garbage_bytes (an old dump: rerun scripts/make-cores.sh)".into()),
    }
    for p in truth["paths"].as_array().into_iter().flatten() {
        if p["root_kind"] == "cleanup" {
            continue;
        }
        let addr = p["addr"].as_str().unwrap();
        let (ok, out, err) = heapwise(&["path", d, "--exe", e, addr, "--json"]);
        if !ok {
            errors.push(format!("path {} ({addr}): {err}", p["label"]));
            continue;
        }
        let v: Value = serde_json::from_str(&out).unwrap();
        let hops = v["hops"].as_array().unwrap();
        let root_name = v["root"]["name"].as_str().unwrap_or("");
        let Some(want_name) = p["root_name"].as_str().filter(|n| !n.is_empty()) else {
            errors.push(format!("path {}: the truth names no root (root_name {})", p["label"], p["root_name"]));
            continue;
        };
        if v["root"]["kind"] != p["root_kind"] || hops.len() as u64 != p["length"].as_u64().unwrap() || !root_name.contains(want_name) {
            errors.push(format!(
                "path {}: root {} {root_name} with {} hops, truth {} {want_name} with {}",
                p["label"], v["root"]["kind"], hops.len(), p["root_kind"], p["length"]
            ));
        }
    }
    let gs = json(&["goroutines", d, "--exe", e]);
    let seen: Vec<&str> =
        gs.as_array().unwrap().iter().flat_map(|g| g["frames"].as_array().unwrap()).filter_map(|f| f["function"].as_str()).collect();
    for f in truth["goroutine_funcs"].as_array().into_iter().flatten() {
        if !seen.contains(&f.as_str().unwrap()) {
            errors.push(format!("goroutine function {f} not in any stack"));
        }
    }
    // Without the executable: the same objects and reachability, named by shape.
    let with = &ov;
    let without = json(&["overview", d]);
    for k in ["live_objects", "live_bytes", "garbage_objects", "garbage_bytes", "goroutines"] {
        if with[k] != without[k] {
            errors.push(format!("overview {k}: {} with the executable, {} without", with[k], without[k]));
        }
    }
    let bare = histogram(&dump, None, "histogram");
    if let Some(n) = bare.keys().find(|n| !n.starts_with("<unnamed ")) {
        errors.push(format!("without the executable a type is named {n}"));
    }
    assert!(errors.is_empty(), "{label}: {} mismatches:\n  {}", errors.len(), errors.join("\n  "));
}

macro_rules! dump_tests {
    ($($name:ident: $ver:literal, $prog:literal;)*) => {
        $( #[test] fn $name() { check($ver, $prog); } )*
    };
}

dump_tests! {
    dump_zoo_go1_22: "1.22.10", "zoo";
    dump_zoo_go1_23: "1.23.9", "zoo";
    dump_zoo_go1_24: "1.24.11", "zoo";
    dump_zoo_go1_25: "1.25.5", "zoo";
    dump_zoo_go1_26: "1.26.6", "zoo";
    dump_zoo_go1_27: "1.27.3", "zoo";
    dump_demo_go1_22: "1.22.10", "demo";
    dump_demo_go1_23: "1.23.9", "demo";
    dump_demo_go1_24: "1.24.11", "demo";
    dump_demo_go1_25: "1.25.5", "demo";
    dump_demo_go1_26: "1.26.6", "demo";
    dump_demo_go1_27: "1.27.3", "demo";
}

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("heapwise-dumps-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A dump cut at 60% is analyzed up to the cut, with a warning line.
#[test]
fn dump_truncated_at_60_percent() {
    let Some((dump, exe, _)) = case("1.26.6", "zoo") else { return };
    let data = std::fs::read(&dump).unwrap();
    let cut = temp_path("cut.dump");
    std::fs::write(&cut, &data[..data.len() * 6 / 10]).unwrap();
    let (ok, out, err) = heapwise(&["overview", cut.to_str().unwrap(), "--exe", exe.to_str().unwrap()]);
    assert!(ok, "a truncated dump is an error: {err}");
    assert!(err.lines().any(|l| l.starts_with("warning:") && l.contains("truncated")), "no truncation warning: {err}");
    let objects = |s: &str| -> u64 {
        s.lines().filter(|l| l.contains("objects")).filter_map(|l| l.split_whitespace().last()?.parse::<u64>().ok()).sum()
    };
    let (_, full, _) = heapwise(&["overview", dump.to_str().unwrap(), "--exe", exe.to_str().unwrap()]);
    let (a, b) = (objects(&out), objects(&full));
    assert!(a > 0 && a < b, "cut dump has {a} objects, full {b}");
    let (ok, out, err) = heapwise(&["records", cut.to_str().unwrap()]);
    assert!(ok && err.contains("truncated") && !out.contains(" eof"), "{err}");
    std::fs::remove_file(&cut).ok();
}

/// `records` lists every record, from params to EOF.
#[test]
fn dump_records() {
    let Some((dump, _, _)) = case("1.26.6", "zoo") else { return };
    let (ok, out, err) = heapwise(&["records", dump.to_str().unwrap()]);
    assert!(ok, "{err}");
    let kinds: Vec<&str> = out.lines().filter_map(|l| l.split_whitespace().nth(1)).collect();
    assert_eq!(kinds.first(), Some(&"params"));
    assert_eq!(kinds.last(), Some(&"eof"));
    for k in ["object", "goroutine", "stack-frame", "data", "bss", "finalizer", "memstats", "os-thread", "itab", "type"] {
        assert!(kinds.contains(&k), "no {k} record");
    }
}

/// A different program's executable, or another Go release's, is refused in words.
#[test]
fn dump_wrong_exe() {
    let Some((dump, _, _)) = case("1.26.6", "zoo") else { return };
    let Some((_, other, _)) = case("1.24.11", "zoo") else { return };
    let (ok, _, err) = heapwise(&["overview", dump.to_str().unwrap(), "--exe", other.to_str().unwrap()]);
    assert!(!ok && err.contains("does not match"), "{err}");
    let Some((_, demo, _)) = case("1.26.6", "demo") else { return };
    let (ok, _, err) = heapwise(&["overview", dump.to_str().unwrap(), "--exe", demo.to_str().unwrap()]);
    assert!(!ok && err.contains("does not match"), "{err}");
}

/// anchors, owners and graph on a dump and on a core, for the finalizer cycle of zoo.
#[test]
fn anchors_owners_graph() {
    for (file, truth_name) in [("heap.dump", "truth-dump.json"), ("core.gcore", "truth.json")] {
        let dir = prog_dir("1.26.6", "zoo");
        let (f, t) = (dir.join(file), dir.join(truth_name));
        if !inputs(&[&f, &t, &dir.join("exe")]) {
            continue;
        }
        let truth: Value = serde_json::from_str(&std::fs::read_to_string(&t).unwrap()).unwrap();
        let addr_of = |l: &str| truth["paths"].as_array().unwrap().iter().find(|p| p["label"] == l).unwrap()["addr"].as_str().unwrap().to_string();
        let (f, e) = (f.to_str().unwrap(), dir.join("exe"));
        let e = e.to_str().unwrap();
        // cycle_a: only the finalizer of cycle_a keeps it (through cycle_b).
        let a = addr_of("cycle_a");
        let v = json(&["anchors", f, &a, "--exe", e]);
        let anchors = v["anchors"].as_array().unwrap();
        assert!(anchors.iter().all(|r| r["kind"] == "finalizer"), "{file}: {v}");
        assert!(anchors.iter().any(|r| r["name"].as_str().unwrap().contains("main.finalizeCycle")), "{file}: {v}");
        let o = json(&["owners", f, &a, "--exe", e, "--depth", "-1"]);
        let types: Vec<&str> = o["nodes"].as_array().unwrap().iter().map(|n| n["type_name"].as_str().unwrap()).collect();
        assert_eq!(types, vec!["main.CycleA", "main.CycleB"], "{file}");
        assert!(o["nodes"][0]["finalizer"].as_bool().unwrap(), "{file}: {o}");
        // A list tail: its owners are the 999 nodes before it, up to main.listHead.
        let tail = addr_of("list_tail");
        let v = json(&["anchors", f, &tail, "--exe", e]);
        assert!(v["anchors"].as_array().unwrap().iter().any(|r| r["name"] == "main.listHead" && r["distance"] == 999), "{file}: {v}");
        let o = json(&["owners", f, &tail, "--exe", e, "--depth", "5"]);
        assert_eq!(o["nodes"].as_array().unwrap().len(), 6, "{file}");
        assert!(o["truncated"].as_bool().unwrap());
        let svg = temp_path(&format!("{file}.svg"));
        let (ok, _, err) = heapwise(&["graph", f, &a, "--exe", e, "-o", svg.to_str().unwrap()]);
        assert!(ok, "{err}");
        let s = std::fs::read_to_string(&svg).unwrap();
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>") && s.contains("main.CycleB") && s.contains("#c00000"), "{s}");
        assert_eq!(s.matches("<g>").count(), s.matches("</g>").count());
        std::fs::remove_file(&svg).ok();
        let (ok, out, err) = heapwise(&["object", f, &a, "--exe", e, "--hex"]);
        assert!(ok && out.contains("[") && out.contains("pointer words"), "{err}");
    }
}
