//! Ground-truth tests: real cores of the `testdata/` programs, made by real Go toolchains
//! (scripts/make-cores.sh), checked against what each program reported about its own heap.
//!
//! Cores live in `$HEAPWISE_CORES` (default `~/.cache/heapwise-tools/cores`), one directory
//! per Go version and program. With `HEAPWISE_REQUIRE_CORES=1` (set by the project's test
//! command) a missing core is a failure; otherwise the test is skipped, visibly
//! (tests/common/inputs.rs).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::{heapwise, inputs, json, prog_dir};


/// One core to check: (executable, core, truth), or `None` when it is not made (skipped;
/// a failure under `HEAPWISE_REQUIRE_CORES=1`).
fn case(version: &str, prog: &str, kind: &str) -> Option<(PathBuf, PathBuf, Value)> {
    let dir = prog_dir(version, prog);
    let (core, truth) = match kind {
        "gcore" => (dir.join("core.gcore"), dir.join("truth.json")),
        _ => (dir.join("core.kernel"), dir.join("truth-kernel.json")),
    };
    let exe = dir.join("exe");
    if !inputs(&[&exe, &core, &truth]) {
        return None;
    }
    let t: Value = serde_json::from_str(&std::fs::read_to_string(&truth).unwrap()).unwrap();
    Some((exe, core, t))
}

fn histogram(core: &Path, exe: &Path, cmd: &str) -> BTreeMap<String, (u64, u64)> {
    let v = json(&[cmd, core.to_str().unwrap(), "--exe", exe.to_str().unwrap()]);
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| (r["type"].as_str().unwrap().to_string(), (r["count"].as_u64().unwrap(), r["bytes"].as_u64().unwrap())))
        .collect()
}

/// Exact count of every main.* type the program reports, live and garbage; live and garbage
/// bytes exactly against the runtime's own count in the core (its spans' allocation counts;
/// the program drops only its `garbage_bytes` after its last GC); root
/// paths; retained sizes; goroutine functions.
fn check(version: &str, prog: &str, kind: &str) {
    let Some((exe, core, truth)) = case(version, prog, kind) else { return };
    let label = format!("{version} {prog} {kind}");
    let live = histogram(&core, &exe, "histogram");
    let mut errors = Vec::new();
    for (name, want) in truth["types"].as_object().unwrap() {
        let want = want["count"].as_u64().unwrap();
        let got = live.get(name).map(|r| r.0).unwrap_or(0);
        if got != want {
            errors.push(format!("{name}: {got} live, truth {want}"));
        }
    }
    if let Some(g) = truth["garbage_types"].as_object() {
        let garbage = histogram(&core, &exe, "garbage");
        for (name, want) in g {
            let want = want["count"].as_u64().unwrap();
            let got = garbage.get(name).map(|r| r.0).unwrap_or(0);
            if got != want {
                errors.push(format!("garbage {name}: {got}, truth {want}"));
            }
        }
    }
    let live_bytes: u64 = live.values().map(|r| r.1).sum();
    // overview and breakdown agree with the histogram.
    let ov = json(&["overview", core.to_str().unwrap(), "--exe", exe.to_str().unwrap()]);
    let live_count: u64 = live.values().map(|r| r.0).sum();
    if ov["live_bytes"].as_u64() != Some(live_bytes) || ov["live_objects"].as_u64() != Some(live_count) {
        errors.push(format!("overview live {} objects {} bytes, histogram {live_count} / {live_bytes}", ov["live_objects"], ov["live_bytes"]));
    }
    let bd = json(&["breakdown", core.to_str().unwrap(), "--exe", exe.to_str().unwrap()]);
    let bd_live = bd["entries"].as_array().unwrap().iter().find(|e| e["name"] == "heap/live").and_then(|e| e["bytes"].as_u64());
    if bd_live != Some(live_bytes) {
        errors.push(format!("breakdown heap/live {bd_live:?}, histogram {live_bytes}"));
    }
    let garbage_bytes = ov["garbage_bytes"].as_u64().unwrap();
    // The runtime's own count of allocated bytes at the moment of the core (its per-span
    // `allocCount`s). `gcController.heapMarked`, printed beside it, agrees wherever nothing
    // was allocated after the last GC and its marking counted each object once: a program's
    // timer re-armed on a P whose timer heap is full allocates (seen on Go 1.27 goleak), and
    // Green Tea marking (Go 1.26+) can count a small noscan object twice when two workers
    // race to mark it (seen on Go 1.27 demo, 16 bytes).
    match (ov["runtime_alloc_bytes"].as_u64(), truth["garbage_bytes"].as_u64()) {
        (Some(allocated), Some(truth_garbage)) => {
            eprintln!(
                "{label}: live {live_bytes} + garbage {garbage_bytes} bytes, runtime allocated {allocated} (last GC marked {}), truth garbage {truth_garbage}",
                ov["runtime_heap_marked"]
            );
            if live_bytes + garbage_bytes != allocated {
                errors.push(format!("live {live_bytes} + garbage {garbage_bytes} bytes != {allocated} the runtime's spans count as allocated"));
            }
            if garbage_bytes != truth_garbage {
                errors.push(format!("garbage {garbage_bytes} bytes, the program dropped {truth_garbage}"));
            }
        }
        (None, _) => errors.push("overview has no runtime_alloc_bytes (mspan.allocCount)".into()),
        (_, None) => errors.push("truth has no garbage_bytes (an old core: rerun scripts/make-cores.sh)".into()),
    }
    for p in truth["paths"].as_array().into_iter().flatten() {
        let addr = p["addr"].as_str().unwrap();
        let (ok, out, err) = heapwise(&["path", core.to_str().unwrap(), "--exe", exe.to_str().unwrap(), addr, "--json"]);
        if !ok {
            errors.push(format!("path {} ({addr}): {err}", p["label"]));
            continue;
        }
        let v: Value = serde_json::from_str(&out).unwrap();
        let hops = v["hops"].as_array().unwrap();
        let want_len = p["length"].as_u64().unwrap();
        if v["root"]["kind"] != p["root_kind"] || hops.len() as u64 != want_len {
            errors.push(format!(
                "path {}: root {} {} with {} hops, truth {} {} with {}",
                p["label"], v["root"]["kind"], v["root"]["name"], hops.len(), p["root_kind"], p["root_name"], want_len
            ));
            continue;
        }
        let root_name = v["root"]["name"].as_str().unwrap_or("");
        match p["root_name"].as_str() {
            Some(want_name) if !want_name.is_empty() => {
                if !root_name.contains(want_name) {
                    errors.push(format!("path {}: root named {root_name}, truth {want_name}", p["label"]));
                }
            }
            _ => errors.push(format!("path {}: the truth names no root (root_name {})", p["label"], p["root_name"])),
        }
        if hops.last().and_then(|h| h["addr"].as_u64()) != u64::from_str_radix(addr.trim_start_matches("0x"), 16).ok() {
            errors.push(format!("path {}: does not end at {addr}", p["label"]));
        }
    }
    // Retained sizes: exact, from programs whose types are whole size classes.
    for r in truth["retained"].as_array().into_iter().flatten() {
        let addr = r["addr"].as_str().unwrap();
        let want = r["bytes"].as_u64().unwrap();
        let (ok, out, err) = heapwise(&["object", core.to_str().unwrap(), "--exe", exe.to_str().unwrap(), addr, "--json"]);
        if !ok {
            errors.push(format!("retained {} ({addr}): {err}", r["label"]));
            continue;
        }
        let v: Value = serde_json::from_str(&out).unwrap();
        let got = v["retained"].as_u64().unwrap_or(0);
        if got != want {
            errors.push(format!("retained {} ({addr}): {got} bytes, truth {want}", r["label"]));
        }
    }
    if let Some(funcs) = truth["goroutine_funcs"].as_array() {
        let gs = json(&["goroutines", core.to_str().unwrap(), "--exe", exe.to_str().unwrap()]);
        let seen: Vec<&str> =
            gs.as_array().unwrap().iter().flat_map(|g| g["frames"].as_array().unwrap()).filter_map(|f| f["function"].as_str()).collect();
        for f in funcs {
            let f = f.as_str().unwrap();
            if !seen.contains(&f) {
                errors.push(format!("goroutine function {f} not found in any stack"));
            }
        }
    }
    assert!(errors.is_empty(), "{label}: {} mismatches:\n  {}", errors.len(), errors.join("\n  "));
}

macro_rules! corpus_tests {
    ($($name:ident: $ver:literal, $prog:literal, $kind:literal;)*) => {
        $( #[test] fn $name() { check($ver, $prog, $kind); } )*
    };
}

corpus_tests! {
    zoo_go1_22_gcore: "1.22.10", "zoo", "gcore";
    zoo_go1_22_kernel: "1.22.10", "zoo", "kernel";
    zoo_go1_23_gcore: "1.23.9", "zoo", "gcore";
    zoo_go1_23_kernel: "1.23.9", "zoo", "kernel";
    zoo_go1_24_gcore: "1.24.11", "zoo", "gcore";
    zoo_go1_24_kernel: "1.24.11", "zoo", "kernel";
    zoo_go1_25_gcore: "1.25.5", "zoo", "gcore";
    zoo_go1_25_kernel: "1.25.5", "zoo", "kernel";
    zoo_go1_26_gcore: "1.26.6", "zoo", "gcore";
    zoo_go1_26_kernel: "1.26.6", "zoo", "kernel";
    zoo_go1_27_gcore: "1.27.3", "zoo", "gcore";
    zoo_go1_27_kernel: "1.27.3", "zoo", "kernel";
    zoo_pie_go1_22: "1.22.10", "zoo-pie", "gcore";
    zoo_pie_go1_23: "1.23.9", "zoo-pie", "gcore";
    zoo_pie_go1_24: "1.24.11", "zoo-pie", "gcore";
    zoo_pie_go1_25: "1.25.5", "zoo-pie", "gcore";
    zoo_pie_go1_26: "1.26.6", "zoo-pie", "gcore";
    zoo_pie_go1_27: "1.27.3", "zoo-pie", "gcore";
    deeplist_go1_22: "1.22.10", "deeplist", "gcore";
    deeplist_go1_23: "1.23.9", "deeplist", "gcore";
    deeplist_go1_24: "1.24.11", "deeplist", "gcore";
    deeplist_go1_25: "1.25.5", "deeplist", "gcore";
    deeplist_go1_26: "1.26.6", "deeplist", "gcore";
    deeplist_go1_27: "1.27.3", "deeplist", "gcore";
    demo_go1_22: "1.22.10", "demo", "gcore";
    demo_go1_23: "1.23.9", "demo", "gcore";
    demo_go1_24: "1.24.11", "demo", "gcore";
    demo_go1_25: "1.25.5", "demo", "gcore";
    demo_go1_26: "1.26.6", "demo", "gcore";
    demo_go1_27: "1.27.3", "demo", "gcore";
    goleak_go1_22: "1.22.10", "goleak", "gcore";
    goleak_go1_23: "1.23.9", "goleak", "gcore";
    goleak_go1_24: "1.24.11", "goleak", "gcore";
    goleak_go1_25: "1.25.5", "goleak", "gcore";
    goleak_go1_26: "1.26.6", "goleak", "gcore";
    goleak_go1_27: "1.27.3", "goleak", "gcore";
}

// ---- shapes: the typing defects real programs showed (testdata/progs/shapes) ----

const SHAPES_VERSIONS: [&str; 6] = ["1.22.10", "1.23.9", "1.24.11", "1.25.5", "1.26.6", "1.27.3"];
/// The versions shapes has its cleanup cases on (runtime.AddCleanup is Go 1.24+:
/// testdata/progs/shapes/cleanup.go).
const SHAPES_CLEANUP_VERSIONS: [&str; 4] = ["1.24.11", "1.25.5", "1.26.6", "1.27.3"];
/// The versions shapes has its network cases on (testdata/progs/shapes/net.go says why).
const SHAPES_NET_VERSIONS: [&str; 3] = ["1.25.5", "1.26.6", "1.27.3"];

/// For every shapes core: the exact live count of each of `names` (from the truth), and the
/// type heapwise gives each truth object whose label is in `objects`.
fn check_shapes(names: &[&str], objects: &[&str]) {
    check_shapes_of(&SHAPES_VERSIONS, names, objects)
}

fn check_shapes_of(versions: &[&str], names: &[&str], objects: &[&str]) {
    let mut errors = Vec::new();
    for &version in versions {
        for kind in ["gcore", "kernel"] {
            let Some((exe, core, truth)) = case(version, "shapes", kind) else { continue };
            // A core made before the program gained a case lacks it: an input to remake.
            let labels: Vec<&str> = truth["objects"].as_array().unwrap().iter().filter_map(|o| o["label"].as_str()).collect();
            if let Some(stale) = names.iter().find(|n| truth["types"][**n].is_null()).or_else(|| objects.iter().find(|o| !labels.contains(o))) {
                common::skip(&format!("{version} {kind}: the shapes truth has no {stale}: the core is older than testdata/progs/shapes"));
                continue;
            }
            let live = histogram(&core, &exe, "histogram");
            for &name in names {
                let want = truth["types"][name]["count"].as_u64().unwrap_or_else(|| panic!("{name} not in the shapes truth"));
                let got = live.get(name).map(|r| r.0).unwrap_or(0);
                if got != want {
                    errors.push(format!("{version} {kind}: {name}: {got} live, truth {want}"));
                }
            }
            for o in truth["objects"].as_array().unwrap().iter().filter(|o| objects.contains(&o["label"].as_str().unwrap())) {
                let addr = o["addr"].as_str().unwrap();
                let v = json(&["object", core.to_str().unwrap(), "--exe", exe.to_str().unwrap(), addr]);
                if v["type"] != o["type"] {
                    errors.push(format!("{version} {kind}: object {} ({addr}) is {}, truth {}", o["label"], v["type"], o["type"]));
                }
            }
        }
    }
    assert!(errors.is_empty(), "{} mismatches:\n  {}", errors.len(), errors.join("\n  "));
}

/// Arrays, slices and structs of maps and channels: each element is one pointer word.
#[test]
fn shapes_map_and_chan_elements() {
    check_shapes(
        &["main.MapLeaf", "main.ChanLeaf", "main.GridLeaf", "main.MapGrid", "main.MapHolder"],
        &["map_slice", "chan_slice", "grid", "map_holder"],
    );
    // A struct of a map, a chan and an int has no padding, and asks for its whole size.
    for version in SHAPES_VERSIONS {
        let Some((exe, core, truth)) = case(version, "shapes", "gcore") else { continue };
        let holder = truth["objects"].as_array().unwrap().iter().find(|o| o["label"] == "map_holder").unwrap();
        let v = json(&["object", core.to_str().unwrap(), "--exe", exe.to_str().unwrap(), holder["addr"].as_str().unwrap()]);
        assert_eq!((v["padding"].as_u64(), v["requested"].as_u64()), (Some(0), Some(24)), "{version}: MapHolder padding, requested");
        // The 1024-element array of maps: its outbound pointers are labelled by element.
        let arr = truth["objects"].as_array().unwrap().iter().find(|o| o["label"] == "map_slice").unwrap();
        let v = json(&["object", core.to_str().unwrap(), "--exe", exe.to_str().unwrap(), arr["addr"].as_str().unwrap()]);
        let out = v["outbound"].as_array().unwrap();
        assert!(out.len() >= 1024, "{version}: the array of maps has {} outbound pointers", out.len());
        let last = serde_json::to_string(&out[1023]).unwrap();
        assert!(last.contains("[1023]"), "{version}: pointer 1023 of the array of maps: {last}");
    }
}

/// An object reached first through a pointer to its first field is named by its own type.
#[test]
fn shapes_enclosing_type_wins() {
    check_shapes(&["main.Outer", "main.Inner", "main.InnerLeaf", "main.OuterChild"], &["outer_0"]);
}

/// `sync.Map` contents: trie nodes, entries, and the dynamic types of keys and values.
#[test]
fn shapes_sync_map() {
    check_shapes(&["main.SyncVal", "main.SyncKey", "main.SyncBoxed"], &[]);
}

/// Objects whose finalizer or cleanup is queued but has not run are live, with what their
/// function and argument reach; so is the object a blocked finalizer is running on.
#[test]
fn shapes_queued_finalizers_and_cleanups() {
    check_shapes(
        &["main.FinBlocker", "main.QueuedFin", "main.QueuedFinChild", "main.FinCapture", "main.QueuedFinClosure"],
        &["queued_fin_0", "queued_fin_child_0"],
    );
    check_shapes_of(&SHAPES_CLEANUP_VERSIONS, &["main.QCleanArg"], &["queued_cleanup_arg_0"]);
}

/// Variables captured by closures, and the receivers of method values (`x.M`, `-fm`).
#[test]
fn shapes_closures_and_method_values() {
    check_shapes(&["main.ClosAcc", "main.ClosPtr", "main.MethRecv", "main.MethLeaf", "main.ValLeaf"], &[]);
}

/// Locals of functions inlined into a goroutine's frame (`go f()` runs f inlined into a
/// `gowrap` wrapper), a `[]byte` local, and a slot shared by a variable and the parameter of
/// an inlined callee: every name is reported, each with the field the word is.
#[test]
fn shapes_stack_locals() {
    // The []byte locals keep their data pointer on the stack and their length and capacity
    // in registers (a composite DWARF location): the buffers are named by the pieces.
    check_shapes(&["main.TreeNode"], &["byte_local"]);
    check_shapes_of(&SHAPES_NET_VERSIONS, &[], &["net_read_buf"]);
    for version in SHAPES_VERSIONS {
        for kind in ["gcore", "kernel"] {
            let Some((exe, core, truth)) = case(version, "shapes", kind) else { continue };
            let buf = truth["objects"].as_array().unwrap().iter().find(|o| o["label"] == "byte_local").unwrap();
            let buf = u64::from_str_radix(buf["addr"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
            let gs = json(&["goroutines", core.to_str().unwrap(), "--exe", exe.to_str().unwrap()]);
            let names: Vec<String> = gs
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|g| g["frames"].as_array().unwrap())
                .flat_map(|f| f["locals"].as_array().unwrap())
                .filter(|l| l["addr"].as_u64() == Some(buf))
                .map(|l| l["name"].as_str().unwrap().to_string())
                .collect();
            let parts: Vec<&str> = names.iter().flat_map(|n| n.split(" = ")).collect();
            assert!(
                parts.iter().any(|p| p.starts_with("buf")) && parts.iter().any(|p| p.starts_with("held")),
                "{version} {kind}: the []byte's stack slot is named {names:?}, want buf and held"
            );
            assert!(
                parts.iter().all(|p| !p.ends_with(".len") && !p.ends_with(".cap")),
                "{version} {kind}: the []byte's data pointer is named {names:?}"
            );
        }
    }
}

/// `net` itself: the `net.netFD`s of a listener (its accept loop parked in the netpoller), of
/// a client connection and of a server connection only a goroutine parked in `Read` holds;
/// and timers held by globals.
#[test]
fn shapes_net_and_timers() {
    check_shapes(&[], &["timer", "ticker"]);
    check_shapes_of(&SHAPES_NET_VERSIONS, &[], &["server_conn_fd", "client_conn_fd", "listener_fd"]);
}

// The whole check (every type, paths, live bytes, goroutine functions) on each shapes core.
corpus_tests! {
    shapes_go1_22_gcore: "1.22.10", "shapes", "gcore";
    shapes_go1_22_kernel: "1.22.10", "shapes", "kernel";
    shapes_go1_23_gcore: "1.23.9", "shapes", "gcore";
    shapes_go1_23_kernel: "1.23.9", "shapes", "kernel";
    shapes_go1_24_gcore: "1.24.11", "shapes", "gcore";
    shapes_go1_24_kernel: "1.24.11", "shapes", "kernel";
    shapes_go1_25_gcore: "1.25.5", "shapes", "gcore";
    shapes_go1_25_kernel: "1.25.5", "shapes", "kernel";
    shapes_go1_26_gcore: "1.26.6", "shapes", "gcore";
    shapes_go1_26_kernel: "1.26.6", "shapes", "kernel";
    shapes_go1_27_gcore: "1.27.3", "shapes", "gcore";
    shapes_go1_27_kernel: "1.27.3", "shapes", "kernel";
}
