//! `heapwise pprof` against the program's own heap profile: testdata/progs/heapprof writes
//! `runtime/pprof.WriteHeapProfile` (what `/debug/pprof/heap` serves) right before it is
//! cored, after its last collection; heapwise's profile of the core must hold the same
//! samples (stacks as function/file/line lists), the same four values and `bytes` labels,
//! exactly, and the same period and sample types. `heapprof` runs at the default
//! MemProfileRate, `heapprof-rate1` at 1 (every allocation sampled; there `object` of a
//! sampled object must show its allocation site, in the core and in a heap dump of the same
//! program).
//!
//! One difference is expected and checked for what it is: what writing the profile
//! allocates comes after the program's snapshot, so it is counted in a cycle not yet
//! published (in neither profile's values), but the buckets its stacks create exist in the
//! core: heapwise lists them as samples whose values are all zero, which the program's
//! file cannot have.

use std::collections::BTreeMap;

mod common;
use common::{heapwise, inputs, json, prog_dir};

use heapwise_core::pprof::{decode, samples_by_name, FrameKey};

type Key = (Vec<FrameKey>, Vec<i64>, Option<i64>);

fn multiset(v: Vec<Key>) -> BTreeMap<Key, usize> {
    let mut m = BTreeMap::new();
    for k in v {
        *m.entry(k).or_insert(0) += 1;
    }
    m
}

fn check(version: &str, prog: &str) {
    let dir = prog_dir(version, prog);
    let (exe, core, own, truth) = (dir.join("exe"), dir.join("core.gcore"), dir.join("truth-heap.pb.gz"), dir.join("truth.json"));
    if !inputs(&[&exe, &core, &own, &truth]) {
        return;
    }
    let out = std::env::temp_dir().join(format!("heapwise-pprof-{}-{version}-{prog}.pb.gz", std::process::id()));
    let (ok, _, err) = heapwise(&["pprof", core.to_str().unwrap(), "--exe", exe.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(ok, "{version} {prog}: heapwise pprof failed: {err}");
    let ours = decode(&std::fs::read(&out).unwrap()).expect("heapwise's profile decodes");
    let _ = std::fs::remove_file(&out);
    let theirs = decode(&std::fs::read(&own).unwrap()).expect("the program's profile decodes");
    let label = format!("{version} {prog}");

    assert_eq!(ours.period, theirs.period, "{label}: period");
    let types = |p: &heapwise_core::pprof::proto::Profile| -> Vec<(String, String)> {
        p.sample_type.iter().map(|t| (p.str(t.r#type).to_string(), p.str(t.unit).to_string())).collect()
    };
    assert_eq!(types(&ours), types(&theirs), "{label}: sample types");
    let pt =
        |p: &heapwise_core::pprof::proto::Profile| p.period_type.as_ref().map(|t| (p.str(t.r#type).to_string(), p.str(t.unit).to_string()));
    assert_eq!(pt(&ours), pt(&theirs), "{label}: period type");

    let (ours_zero, ours_nz): (Vec<Key>, Vec<Key>) = samples_by_name(&ours).into_iter().partition(|s| s.1.iter().all(|&v| v == 0));
    let (theirs_zero, theirs_nz): (Vec<Key>, Vec<Key>) = samples_by_name(&theirs).into_iter().partition(|s| s.1.iter().all(|&v| v == 0));
    assert!(theirs_nz.len() > 5, "{label}: the program's profile has only {} samples with values", theirs_nz.len());
    let (a, b) = (multiset(ours_nz), multiset(theirs_nz));
    let mut errors = Vec::new();
    for (k, n) in &b {
        if a.get(k) != Some(n) {
            errors.push(format!("missing or miscounted ({n} in the program's): {k:?}"));
        }
    }
    for (k, n) in &a {
        if b.get(k) != Some(n) {
            errors.push(format!("not in the program's profile ({n} in heapwise's): {k:?}"));
        }
    }
    // Buckets with nothing published: every one the program listed is in the core too.
    let oz = multiset(ours_zero);
    let theirs_zero_n = theirs_zero.len();
    for (k, n) in multiset(theirs_zero) {
        if oz.get(&k).copied().unwrap_or(0) < n {
            errors.push(format!("zero-valued sample missing: {k:?}"));
        }
    }
    assert!(errors.is_empty(), "{label}: {} differences:\n{}", errors.len(), errors.join("\n"));
    eprintln!(
        "{label}: {} samples with values identical; zero-valued: {theirs_zero_n} in the program's, {} in heapwise's",
        a.values().sum::<usize>(),
        oz.values().sum::<usize>()
    );

    // `histogram --sites main.Record`: the list's Records come from one site (newRecord
    // inlined into buildList); its estimate is the program's own inuse_objects and
    // inuse_space of that stack (the same unsampling of the same sampled count), and at
    // rate 1 it is the program's count of Records.
    let t: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&truth).unwrap()).unwrap();
    let sites = json(&["histogram", core.to_str().unwrap(), "--exe", exe.to_str().unwrap(), "--sites", "main.Record"]);
    let list = sites["sites"].as_array().unwrap().first().unwrap_or_else(|| panic!("{label}: no allocation site of main.Record: {sites}"));
    assert_eq!(list["site"]["function"], "main.newRecord", "{label}: main.Record's top site");
    let stack: Vec<FrameKey> = list["stack"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["function"].as_str().unwrap().to_string(), f["file"].as_str().unwrap().to_string(), f["line"].as_i64().unwrap()))
        .collect();
    let own: Vec<&Key> = b.keys().filter(|k| k.0 == stack).collect();
    assert_eq!(own.len(), 1, "{label}: the program's profile has {} samples with the stack of main.Record's top site {stack:?}", own.len());
    assert_eq!(list["estimated_objects"].as_i64(), Some(own[0].1[2]), "{label}: estimated objects of {stack:?} vs the program's inuse_objects");
    assert_eq!(list["estimated_bytes"].as_i64(), Some(own[0].1[3]), "{label}: estimated bytes of {stack:?} vs the program's inuse_space");
    let records = t["types"]["main.Record"].as_u64().or_else(|| t["types"]["main.Record"]["count"].as_u64());
    assert_eq!(sites["live_objects"].as_u64(), records, "{label}: live main.Record vs the program's count");
    if prog.ends_with("-rate1") {
        assert_eq!(list["estimated_objects"].as_u64(), records, "{label}: at rate 1 every Record is sampled");
    }

    if prog.ends_with("-rate1") {
        // Every allocation is sampled: the list head's profile special names its site.
        let head = t["objects"].as_array().unwrap().iter().find(|o| o["label"] == "list_head").expect("truth has list_head");
        let addr = head["addr"].as_str().unwrap();
        let d = json(&["object", core.to_str().unwrap(), "--exe", exe.to_str().unwrap(), addr]);
        let funcs: Vec<&str> = d["allocated_at"]
            .as_array()
            .unwrap_or_else(|| panic!("{label}: object {addr} has no allocation stack"))
            .iter()
            .map(|f| f["function"].as_str().unwrap())
            .collect();
        assert_eq!(&funcs[..3], &["main.newRecord", "main.buildList", "main.main"], "{label}: allocation stack of {addr}: {funcs:?}");

        // The heap dump of the same program (its memprof and allocsample records): the
        // same site, file and line per frame; the dump names each frame by its physical
        // function (runtime/heapdump.go), so an inlined frame says main.main.
        let (dump, dump_truth) = (dir.join("heap.dump"), dir.join("truth-dump.json"));
        if !inputs(&[&dump, &dump_truth]) {
            return;
        }
        let dt: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&dump_truth).unwrap()).unwrap();
        let dhead = dt["objects"].as_array().unwrap().iter().find(|o| o["label"] == "list_head").expect("dump truth has list_head");
        let dd = json(&["object", dump.to_str().unwrap(), dhead["addr"].as_str().unwrap()]);
        let lines = |v: &serde_json::Value| -> Vec<(String, u64)> {
            v.as_array()
                .unwrap_or_else(|| panic!("{label}: no allocation stack in {v}"))
                .iter()
                .take(3)
                .map(|f| (f["file"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap()))
                .collect()
        };
        assert_eq!(lines(&dd["allocated_at"]), lines(&d["allocated_at"]), "{label}: the dump's allocation stack of list_head");
        assert_eq!(dd["allocated_at"][0]["function"], "main.main", "{label}: the dump's innermost frame");
    }
}

macro_rules! cases {
    ($($name:ident: $version:expr, $prog:expr;)*) => {
        $(#[test] fn $name() { check($version, $prog); })*
    };
}

cases! {
    heap_go1_22_default: "1.22.10", "heapprof";
    heap_go1_22_rate1: "1.22.10", "heapprof-rate1";
    heap_go1_23_default: "1.23.9", "heapprof";
    heap_go1_23_rate1: "1.23.9", "heapprof-rate1";
    heap_go1_24_default: "1.24.11", "heapprof";
    heap_go1_24_rate1: "1.24.11", "heapprof-rate1";
    heap_go1_25_default: "1.25.5", "heapprof";
    heap_go1_25_rate1: "1.25.5", "heapprof-rate1";
    heap_go1_26_default: "1.26.6", "heapprof";
    heap_go1_26_rate1: "1.26.6", "heapprof-rate1";
    heap_go1_27_default: "1.27.3", "heapprof";
    heap_go1_27_rate1: "1.27.3", "heapprof-rate1";
}
