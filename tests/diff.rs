//! `heapwise diff` on the snapshots of testdata/progs/snapshots (three cores of one process,
//! and three heap dumps of another run), against what the program knows of its own objects:
//! for each of its types the live count in each snapshot and the objects that survived, are
//! new and were freed between consecutive snapshots (by allocation, not by address: its
//! main.Token objects are all freed and replaced by new ones in the same slots), and the
//! leak-candidate clusters (memlab's rule) with their paths, counts, bytes and retained
//! bytes. Two cores of different processes of the same executable must fall back to a
//! per-type diff.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::{heapwise, inputs, json, prog_dir};

fn u64s(v: &Value) -> Vec<u64> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect()
}

/// The type a cluster's objects have: the last entry of its path, `field (type)` or `type`.
fn last_type(path: &Value) -> String {
    let last = path.as_array().unwrap().last().unwrap().as_str().unwrap();
    match last.rfind(" (") {
        Some(i) if last.ends_with(')') => last[i + 2..last.len() - 1].to_string(),
        _ => last.to_string(),
    }
}

fn check(version: &str, files: &[PathBuf], truth_path: &Path, dumps: bool) {
    let label = if dumps { "heap dumps" } else { "cores" };
    let dir = prog_dir(version, "snapshots");
    let exe = dir.join("exe");
    let mut need: Vec<&Path> = files.iter().map(|f| f.as_path()).collect();
    need.push(&exe);
    need.push(truth_path);
    if !inputs(&need) {
        return;
    }
    let truth: Value = serde_json::from_str(&std::fs::read_to_string(truth_path).unwrap()).unwrap();
    let mut errors = Vec::new();
    for n in [3usize, 2] {
        let mut args: Vec<&str> = vec!["diff"];
        args.extend(files[..n].iter().map(|f| f.to_str().unwrap()));
        args.extend(["--exe", exe.to_str().unwrap()]);
        let r = json(&args);
        // The shape; a heap dump (no process id) adds a note saying what was assumed.
        let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
        let allowed: &[&str] = if dumps { &["types", "pairs", "clusters", "notes"] } else { &["types", "pairs", "clusters"] };
        if keys.iter().any(|k| !allowed.contains(&k.as_str())) || r["notes"].to_string().contains("not of one process") {
            errors.push(format!("{n} snapshots: keys {keys:?}, notes {}", r["notes"]));
        }
        let types = r["types"].as_array().unwrap();
        for (name, t) in truth["types"].as_object().unwrap() {
            let Some(row) = types.iter().find(|x| x["type"] == name.as_str()) else {
                errors.push(format!("{n} snapshots: no row for {name}"));
                continue;
            };
            let size = t["size"].as_u64().unwrap();
            let counts = &u64s(&t["counts"])[..n];
            for (k, want) in [("counts", counts.to_vec()), ("bytes", counts.iter().map(|c| c * size).collect())] {
                if u64s(&row[k]) != want {
                    errors.push(format!("{n} snapshots: {name} {k} {:?}, truth {want:?}", u64s(&row[k])));
                }
            }
            for k in ["survived", "new", "freed"] {
                let want = &u64s(&t[k])[..n - 1];
                if u64s(&row[k]) != want {
                    errors.push(format!("{n} snapshots: {name} {k} {:?}, truth {want:?} (reused slots {})", u64s(&row[k]), t["reused"]));
                }
            }
            if u64s(&row["retained"]).len() != n {
                errors.push(format!("{n} snapshots: {name} retained {}", row["retained"]));
            }
        }
        let pairs = r["pairs"].as_array().unwrap();
        if pairs.len() != n - 1 {
            errors.push(format!("{n} snapshots: {} pairs", pairs.len()));
        }
        for p in pairs {
            if p["ambiguous"].as_u64().unwrap() > p["survived"].as_u64().unwrap() {
                errors.push(format!("{n} snapshots: more ambiguous than survived objects: {p}"));
            }
        }
        // The clusters of the program's types, in heapwise's order, exactly the truth's.
        let got: Vec<(Value, u64, u64, u64)> = r["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| truth["types"].get(last_type(&c["path"])).is_some())
            .map(|c| (c["path"].clone(), c["count"].as_u64().unwrap(), c["bytes"].as_u64().unwrap(), c["retained"].as_u64().unwrap()))
            .collect();
        let key = if n == 3 { "clusters" } else { "clusters_2" };
        let want: Vec<(Value, u64, u64, u64)> = truth[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["path"].clone(), c["count"].as_u64().unwrap(), c["bytes"].as_u64().unwrap(), c["retained"].as_u64().unwrap()))
            .collect();
        if got != want {
            errors.push(format!("{n} snapshots: clusters\n    {got:?}\n  truth\n    {want:?}"));
        }
        for c in r["clusters"].as_array().unwrap() {
            let ex = c["example"].as_str().unwrap();
            if !ex.starts_with("0x") || u64::from_str_radix(&ex[2..], 16).is_err() {
                errors.push(format!("{n} snapshots: example {ex} is not a 0x address"));
            }
        }
    }
    assert!(errors.is_empty(), "{version} {label}: {} mismatches:\n  {}", errors.len(), errors.join("\n  "));
}

fn cores(version: &str) {
    let dir = prog_dir(version, "snapshots");
    let files: Vec<PathBuf> = (1..=3).map(|i| dir.join(format!("core-{i}.gcore"))).collect();
    check(version, &files, &dir.join("truth.json"), false);
}

fn dumps(version: &str) {
    let dir = prog_dir(version, "snapshots");
    let files: Vec<PathBuf> = (1..=3).map(|i| dir.join(format!("heap-{i}.dump"))).collect();
    check(version, &files, &dir.join("truth-dump.json"), true);
}

/// A core of another process of the same executable: no object matching, a per-type diff
/// that says why.
fn other_process(version: &str) {
    let dir = prog_dir(version, "snapshots");
    let (exe, a, b) = (dir.join("exe"), dir.join("core-1.gcore"), dir.join("core-other.gcore"));
    if !inputs(&[&exe, &a, &b]) {
        return;
    }
    let r = json(&["diff", a.to_str().unwrap(), b.to_str().unwrap(), "--exe", exe.to_str().unwrap()]);
    assert!(r["pairs"].as_array().unwrap().is_empty(), "{version}: pairs {}", r["pairs"]);
    assert!(r["clusters"].as_array().unwrap().is_empty(), "{version}: clusters {}", r["clusters"]);
    let notes = r["notes"].as_array().unwrap();
    assert!(notes.iter().any(|n| n.as_str().unwrap().contains("not of one process")), "{version}: notes {notes:?}");
    let item = r["types"].as_array().unwrap().iter().find(|t| t["type"] == "main.Item").expect("main.Item row");
    assert_eq!(u64s(&item["counts"]), vec![100, 100], "{version}: per-type counts still compared");
    assert!(u64s(&item["survived"]).is_empty());
    let (ok, out, err) = heapwise(&["diff", a.to_str().unwrap(), b.to_str().unwrap(), "--exe", exe.to_str().unwrap()]);
    assert!(ok && err.contains("not of one process") && out.contains("main.Item"), "{version}: text output\n{out}\n{err}");
}

macro_rules! versions {
    ($($name:ident => $v:literal),*) => {
        mod cores { $(#[test] fn $name() { super::cores($v) })* }
        mod dumps { $(#[test] fn $name() { super::dumps($v) })* }
        mod other_process { $(#[test] fn $name() { super::other_process($v) })* }
    };
}

versions!(go1_24 => "1.24.11", go1_25 => "1.25.5", go1_26 => "1.26.6", go1_27 => "1.27.3");
