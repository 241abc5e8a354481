//! `heapwise pprof --retention` (and `--first-path`): the profile is parsed back (prost) and
//! checked against what the engine and the programs say:
//! - every live object is in it once: the samples' `inuse_objects` and `inuse_space` add
//!   up to the overview's live objects and bytes;
//! - every stack ends in one root frame, its leaf is a type frame;
//! - at each root frame (dominator chains), the cumulative `inuse_space` is what a marking
//!   from every other root leaves unmarked ([`Analysis::freed_without_root_frame`], no
//!   dominator tree involved), and the `retained_space` of the samples right under it adds
//!   up to the same;
//! - program truth: heapprof's 40,000 `main.Record`s of 64 bytes are all under its
//!   `main.list` root; deeplist's global `main.deepHead` keeps its 1,000,000-node list
//!   (truth's retained bytes of the head), and the list folds into a handful of samples;
//! - `go tool pprof -raw` and `-top` read the file.

use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

mod common;
use common::{heapwise, inputs, json, prog_dir};

use heapwise_core::pprof::{decode, samples_by_name, FrameKey};
use heapwise_core::source::ByteSource;
use heapwise_core::Analysis;

/// `$HEAPWISE_TOOLS` (default `~/.cache/heapwise-tools`): the Go toolchains.
fn go_bin(version: &str) -> PathBuf {
    let tools = match std::env::var_os("HEAPWISE_TOOLS") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/heapwise-tools"),
    };
    tools.join("go").join(version).join("go/bin/go")
}

struct Parsed {
    samples: Vec<(Vec<FrameKey>, Vec<i64>, Option<i64>)>,
}

impl Parsed {
    /// (objects, bytes) of every sample under each root frame, and the retained_space of
    /// the samples right under it.
    fn by_root(&self) -> HashMap<String, (i64, i64, i64)> {
        let mut m: HashMap<String, (i64, i64, i64)> = HashMap::new();
        for (stack, v, _) in &self.samples {
            let root = &stack.last().unwrap().0;
            let e = m.entry(root.clone()).or_default();
            e.0 += v[0];
            e.1 += v[1];
            if stack.len() == 2 {
                e.2 += v[2];
            }
        }
        m
    }
}

fn profile(core: &str, exe: &str, first_path: bool, label: &str) -> Parsed {
    let out = std::env::temp_dir().join(format!("heapwise-retention-{}-{first_path}-{}.pb.gz", std::process::id(), label.replace(' ', "-")));
    let mut args = vec!["pprof", core, "--exe", exe, "--retention", "-o", out.to_str().unwrap()];
    if first_path {
        args.push("--first-path");
    }
    let (ok, _, err) = heapwise(&args);
    assert!(ok, "{label}: heapwise pprof --retention failed: {err}");
    let p = decode(&std::fs::read(&out).unwrap()).expect("the retention profile decodes");
    let types: Vec<(String, String)> = p.sample_type.iter().map(|t| (p.str(t.r#type).to_string(), p.str(t.unit).to_string())).collect();
    assert_eq!(
        types,
        [("inuse_objects", "count"), ("inuse_space", "bytes"), ("retained_space", "bytes")].map(|(a, b)| (a.to_string(), b.to_string())),
        "{label}: sample types"
    );
    let samples = samples_by_name(&p);
    for (stack, v, _) in &samples {
        assert!(stack.len() >= 2, "{label}: a stack without a root and a type: {stack:?}");
        assert_eq!(stack.last().unwrap().1, "root", "{label}: the outermost frame is a root: {stack:?}");
        assert!(stack[..stack.len() - 1].iter().all(|f| f.1 != "root"), "{label}: a root frame inside a stack: {stack:?}");
        assert_eq!(stack[0].1, "type", "{label}: the leaf is a type: {stack:?}");
        assert!(v[0] > 0 && v[1] > 0, "{label}: a sample without objects: {stack:?} {v:?}");
    }

    // go tool pprof reads it.
    let go = go_bin(&label_version(label));
    if inputs(&[&go]) {
        for flag in ["-raw", "-top"] {
            let o = std::process::Command::new(&go)
                .args(["tool", "pprof", flag, "-sample_index=inuse_space", out.to_str().unwrap()])
                .env("GOROOT", go.parent().unwrap().parent().unwrap())
                .env("GOTOOLCHAIN", "local")
                .env("GOPROXY", "off")
                .output()
                .expect("run go tool pprof");
            let text = String::from_utf8_lossy(&o.stdout);
            assert!(o.status.success(), "{label}: go tool pprof {flag} failed: {}", String::from_utf8_lossy(&o.stderr));
            let want = if flag == "-raw" { "retained_space/bytes" } else { "Type: inuse_space" };
            assert!(text.contains(want), "{label}: go tool pprof {flag} printed no {want:?}:\n{text}");
        }
    }
    let _ = std::fs::remove_file(&out);
    Parsed { samples }
}

fn label_version(label: &str) -> String {
    label.split(' ').next().unwrap().to_string()
}

fn check(version: &str, prog: &str) {
    let dir = prog_dir(version, prog);
    let (exe, core, truth) = (dir.join("exe"), dir.join("core.gcore"), dir.join("truth.json"));
    if !inputs(&[&exe, &core, &truth]) {
        return;
    }
    let (c, e) = (core.to_str().unwrap(), exe.to_str().unwrap());
    let label = format!("{version} {prog}");
    let t: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&truth).unwrap()).unwrap();
    let ov = json(&["overview", c, "--exe", e]);
    let analysis = {
        let core_src: Rc<dyn ByteSource> = Rc::new(std::fs::read(&core).unwrap());
        let exe_src: Rc<dyn ByteSource> = Rc::new(std::fs::read(&exe).unwrap());
        Analysis::open(core_src, exe_src, &mut |_, _| true).expect("analysis")
    };

    for first_path in [false, true] {
        let l = format!("{label}{}", if first_path { " --first-path" } else { "" });
        let p = profile(c, e, first_path, &l);
        let objects: i64 = p.samples.iter().map(|s| s.1[0]).sum();
        let bytes: i64 = p.samples.iter().map(|s| s.1[1]).sum();
        assert_eq!(objects as u64, ov["live_objects"].as_u64().unwrap(), "{l}: inuse_objects vs live objects");
        assert_eq!(bytes as u64, ov["live_bytes"].as_u64().unwrap(), "{l}: inuse_space vs live bytes");
        let roots = p.by_root();
        for (root, (_, b, r)) in &roots {
            assert_eq!(r, b, "{l}: retained_space right under {root} vs its cumulative inuse_space");
        }
        if !first_path {
            // The root frames keeping most, each against a marking without its roots.
            let mut top: Vec<(&String, &(i64, i64, i64))> = roots.iter().filter(|(r, _)| r.as_str() != "[several roots]").collect();
            top.sort_by_key(|(r, v)| (std::cmp::Reverse(v.1), (*r).clone()));
            assert!(!top.is_empty(), "{l}: no root frame");
            for (root, v) in top.iter().take(25) {
                let freed = analysis.freed_without_root_frame(root);
                assert_eq!(v.1 as u64, freed, "{l}: {root}: cumulative inuse_space vs the bytes only its roots keep alive");
            }
        }
        // Program truth.
        let under = |frame: &str| roots.get(frame).copied().unwrap_or_else(|| panic!("{l}: no root frame {frame}: {:?}", roots.keys()));
        if prog == "heapprof" {
            let rec = &t["types"]["main.Record"];
            let (n, size) = (rec["count"].as_i64().unwrap(), rec["size"].as_i64().unwrap());
            let v = under("global main.list");
            assert_eq!((v.0, v.1), (n, n * size), "{l}: main.list keeps the program's {n} Records of {size} bytes");
        }
        if prog == "deeplist" {
            let head = t["retained"].as_array().unwrap().iter().find(|r| r["label"] == "deep_head").expect("truth retains deep_head");
            let path = t["paths"].as_array().unwrap().iter().find(|r| r["label"] == "deep_head").expect("truth path of deep_head");
            let frame = format!("{} {}", path["root_kind"].as_str().unwrap(), path["root_name"].as_str().unwrap());
            let v = under(&frame);
            assert_eq!(v.1 as u64, head["bytes"].as_u64().unwrap(), "{l}: {frame} keeps the list (truth's retained bytes of deep_head)");
            let list_samples = p.samples.iter().filter(|s| s.0.last().unwrap().0 == frame).count();
            assert!(list_samples <= 3, "{l}: the 1,000,000-node list is {list_samples} samples, not a run folded into one");
        }
    }
}

macro_rules! cases {
    ($($name:ident: $version:expr, $prog:expr;)*) => {
        $(#[test] fn $name() { check($version, $prog); })*
    };
}

cases! {
    heapprof_go1_24: "1.24.11", "heapprof";
    heapprof_go1_25: "1.25.5", "heapprof";
    heapprof_go1_26: "1.26.6", "heapprof";
    heapprof_go1_27: "1.27.3", "heapprof";
    deeplist_go1_26: "1.26.6", "deeplist";
    zoo_go1_27: "1.27.3", "zoo";
}

/// A heap dump: the retention profile is made from it as from a core; the heap profile is
/// refused with the reason.
#[test]
fn heap_dump() {
    let dir = prog_dir("1.26.6", "heapprof-rate1");
    let (exe, dump, truth) = (dir.join("exe"), dir.join("heap.dump"), dir.join("truth-dump.json"));
    if !inputs(&[&exe, &dump, &truth]) {
        return;
    }
    let t: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&truth).unwrap()).unwrap();
    let rec = &t["types"]["main.Record"];
    let (n, size) = (rec["count"].as_i64().unwrap(), rec["size"].as_i64().unwrap());
    let out = std::env::temp_dir().join(format!("heapwise-retention-dump-{}.pb.gz", std::process::id()));
    let (ok, _, err) = heapwise(&["pprof", dump.to_str().unwrap(), "--exe", exe.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(!ok && err.contains("MemProfileRate") && err.contains("--retention"), "pprof of a heap dump: {err}");
    let p = profile(dump.to_str().unwrap(), exe.to_str().unwrap(), false, "1.26.6 heapprof-rate1 dump");
    let ov = json(&["overview", dump.to_str().unwrap(), "--exe", exe.to_str().unwrap()]);
    let bytes: i64 = p.samples.iter().map(|s| s.1[1]).sum();
    assert_eq!(bytes as u64, ov["live_bytes"].as_u64().unwrap(), "dump: inuse_space vs live bytes");
    let v = p.by_root().get("global main.list").copied().expect("the dump's main.list root frame");
    assert_eq!((v.0, v.1), (n, n * size), "dump: main.list keeps the program's {n} Records of {size} bytes");
}
