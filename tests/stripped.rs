//! Executables without DWARF (issue 16, item 4): cores of the testdata programs built with
//! `-ldflags='-s -w'` (scripts/make-cores.sh, variant PROG-stripped; the binaries the Go
//! distribution ships are tests/real.rs's `-nodwarf` cores), and `objcopy`-stripped copies of the
//! DWARF executables next to the very cores made with them, which also give the
//! separate-debug-file cases (`--debug-file`, `.gnu_debuglink`, `--debug-dir`).
//!
//! Without DWARF, objects are named from the binary's runtime type descriptors: an object
//! that is named must be named as the DWARF analysis of the same core names it, and no type
//! may be counted more often than the program says it allocated.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{cores_dir, heapwise, json};

const VERSIONS: [&str; 6] = ["1.22.10", "1.23.9", "1.24.11", "1.25.5", "1.26.6", "1.27.3"];
const PROGS: [&str; 3] = ["zoo", "demo", "deeplist"];

fn need(path: &Path, how: &str) -> bool {
    if path.exists() {
        return true;
    }
    common::skip(&format!("missing {} (run {how})", path.display()));
    false
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Live bytes per type name.
fn histogram(core: &Path, exe: &Path, extra: &[&str]) -> BTreeMap<String, (u64, u64)> {
    let mut args = vec!["histogram", s(core), "--exe", s(exe)];
    args.extend_from_slice(extra);
    json(&args)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["type"].as_str().unwrap().to_string(), (r["count"].as_u64().unwrap(), r["bytes"].as_u64().unwrap())))
        .collect()
}

/// Type name of every live object, by address.
fn objects(core: &Path, exe: &Path) -> HashMap<u64, String> {
    json(&["objects", s(core), "--exe", s(exe)])
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["addr"].as_u64().unwrap(), o["type"].as_str().unwrap().to_string()))
        .collect()
}

/// A real Go type name: not a `<unnamed ...>` label (nor an inferred one).
fn is_named(t: &str) -> bool {
    !t.starts_with('<')
}

/// The type an `<inferred T>` label names.
fn inferred(t: &str) -> Option<&str> {
    t.strip_prefix("<inferred ")?.strip_suffix('>')
}

/// Whether an inferred name agrees with the DWARF one: the same type, or a closure's
/// context struct (`struct { F uintptr; ... }`) where DWARF names the object after its
/// closure.
fn agrees(inferred: &str, dwarf: &str) -> bool {
    inferred == dwarf || (dwarf.starts_with("closure ") && inferred.starts_with("struct { F uintptr"))
}

/// (named bytes, all live bytes) of a histogram.
fn named_share(h: &BTreeMap<String, (u64, u64)>) -> (u64, u64) {
    let all: u64 = h.values().map(|v| v.1).sum();
    let named: u64 = h.iter().filter(|(k, _)| is_named(k)).map(|(_, v)| v.1).sum();
    (named, all)
}

fn pct(a: u64, b: u64) -> f64 {
    100.0 * a as f64 / b.max(1) as f64
}

/// Named share (percent) a `-s -w` build of a program must reach. Measured (Go 1.24-1.27):
/// demo 98.5-99.0%, zoo 70.0-70.9% (what is left hangs off globals, which nothing types
/// without DWARF), deeplist 0.4-0.6% (a million list nodes reached only from one untyped
/// global, of a layout many types share): no floor.
fn named_floor(prog: &str) -> f64 {
    match prog {
        "demo" => 98.0,
        "zoo" => 68.0,
        _ => 0.0,
    }
}

/// `-s -w` builds: they open, no main.* type is counted more often than the program
/// allocated it, and the share of live bytes named is printed and at least the program's
/// floor ([`named_floor`]).
#[test]
fn stripped_builds_open_and_never_overcount() {
    let mut errors = Vec::new();
    for v in VERSIONS {
        for p in PROGS {
            let dir = cores_dir().join(v).join(format!("{p}-stripped"));
            if !need(&dir.join("core.gcore"), "scripts/make-cores.sh (default set: PROG-stripped gcore)") {
                continue;
            }
            let (core, exe) = (dir.join("core.gcore"), dir.join("exe"));
            let truth: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap();
            let h = histogram(&core, &exe, &[]);
            let mut exact = 0;
            let types = truth["types"].as_object().unwrap();
            for (name, want) in types {
                let want = want["count"].as_u64().unwrap();
                let got = h.get(name).map_or(0, |r| r.0);
                if got > want {
                    errors.push(format!("{v} {p}-stripped: {name}: {got} live, the program allocated {want}"));
                }
                exact += usize::from(got == want);
            }
            let (named, all) = named_share(&h);
            eprintln!(
                "{v} {p}-stripped: {:.1}% of {all} live bytes named; {exact} of {} main.* types exact",
                pct(named, all),
                types.len()
            );
            if pct(named, all) < named_floor(p) {
                errors.push(format!("{v} {p}-stripped: {:.1}% of live bytes named, under the floor of {}%", pct(named, all), named_floor(p)));
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// Copies of a DWARF executable next to the core it made: stripped of everything
/// (`objcopy --strip-all`, as `-s -w`), its debug part alone, and a DWARF-less copy with a
/// `.gnu_debuglink` to it. The build ID is the original's.
struct Stripped {
    _dir: TempDir,
    nosym: PathBuf,
    debug: PathBuf,
    linked: PathBuf,
    /// `None` for an executable without a GNU build ID (Go before 1.24 writes none unless
    /// linked with `-B`): nothing to find its debug file by in a `.build-id` directory.
    build_id_dir: Option<PathBuf>,
}

struct TempDir(PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn objcopy(args: &[&str]) {
    let st = Command::new("objcopy").args(args).status().expect("run objcopy (binutils)");
    assert!(st.success(), "objcopy {args:?} failed");
}

fn strip_copies(exe: &Path, tag: &str) -> Stripped {
    let dir = std::env::temp_dir().join(format!("heapwise-stripped-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (nosym, debug, linked) = (dir.join("exe-nosym"), dir.join("exe.debug"), dir.join("exe-linked"));
    objcopy(&["--strip-all", s(exe), s(&nosym)]);
    objcopy(&["--only-keep-debug", s(exe), s(&debug)]);
    objcopy(&["--strip-debug", &format!("--add-gnu-debuglink={}", s(&debug)), s(exe), s(&linked)]);
    // .build-id/xx/yyyy.debug, the build ID read by readelf (independent of heapwise).
    let notes = Command::new("readelf").args(["-n", s(exe)]).output().expect("run readelf");
    let text = String::from_utf8_lossy(&notes.stdout);
    let build_id_dir = text.lines().find_map(|l| l.trim().strip_prefix("Build ID: ")).map(|id| {
        let id = id.trim();
        let build_id_dir = dir.join("debuginfod");
        let entry = build_id_dir.join(".build-id").join(&id[..2]);
        std::fs::create_dir_all(&entry).unwrap();
        std::fs::copy(&debug, entry.join(format!("{}.debug", &id[2..]))).unwrap();
        build_id_dir
    });
    Stripped { _dir: TempDir(dir), nosym, debug, linked, build_id_dir }
}

/// The same core read with its DWARF executable and with a stripped copy of it: every
/// object the stripped read names gets the name DWARF gives it (main.* types, whose
/// names do not depend on how package paths are spelled, and closures DWARF names),
/// every name inferred by layout agrees with DWARF where DWARF names the object; a
/// separate debug file, found any of the three ways, gives exactly the DWARF histogram.
#[test]
fn stripped_copies_name_objects_as_dwarf_does() {
    let mut errors = Vec::new();
    for v in VERSIONS {
        for p in ["zoo", "demo"] {
            let dir = cores_dir().join(v).join(p);
            if !need(&dir.join("core.gcore"), "scripts/make-cores.sh") {
                continue;
            }
            let (core, exe) = (dir.join("core.gcore"), dir.join("exe"));
            let c = strip_copies(&exe, &format!("{v}-{p}"));
            let with = objects(&core, &exe);
            let without = objects(&core, &c.nosym);
            let label = format!("{v} {p}");
            if with.len() != without.len() {
                errors.push(format!("{label}: {} live objects with DWARF, {} without", with.len(), without.len()));
            }
            let (mut main_named, mut main_all, mut wrong) = (0u64, 0u64, 0);
            let (mut inferred_right, mut inferred_unverified) = (0, 0);
            for (addr, t) in &with {
                let got = without.get(addr).map(String::as_str).unwrap_or("");
                if let Some(n) = inferred(got) {
                    if !is_named(t) {
                        inferred_unverified += 1;
                    } else if agrees(n, t) {
                        inferred_right += 1;
                    } else {
                        errors.push(format!("{label}: object {addr:#x} is {t} (DWARF) but inferred as {n} without DWARF"));
                    }
                }
                if t.starts_with("main.") {
                    main_all += 1;
                    main_named += u64::from(got == t);
                }
                // main.* names, and closures' names where DWARF names the object.
                if (got.starts_with("main.") || (got.starts_with("closure ") && is_named(t))) && got != t {
                    wrong += 1;
                    if wrong <= 5 {
                        errors.push(format!("{label}: object {addr:#x} is {t} (DWARF) but {got} without DWARF"));
                    }
                }
            }
            if wrong > 5 {
                errors.push(format!("{label}: {wrong} objects misnamed without DWARF"));
            }
            let h = histogram(&core, &c.nosym, &[]);
            let (named, all) = named_share(&h);
            eprintln!(
                "{label} (objcopy --strip-all): {:.1}% of live bytes named; {main_named} of {main_all} main.* objects named as with DWARF; \
                 {inferred_right} objects inferred by layout as DWARF names them, {inferred_unverified} inferred that DWARF leaves unnamed",
                pct(named, all)
            );
            // A separate debug file, by each way of finding it, is the DWARF read.
            let dwarf_h = histogram(&core, &exe, &[]);
            let mut ways = vec![("--debug-file", &c.nosym, vec!["--debug-file", s(&c.debug)]), (".gnu_debuglink", &c.linked, vec![])];
            match &c.build_id_dir {
                Some(d) => ways.push(("--debug-dir", &c.nosym, vec!["--debug-dir", s(d)])),
                // Go 1.24 is the first to write a GNU build ID by default.
                None => assert!(
                    matches!(go_minor(v), Some(m) if m < 24),
                    "{label}: the executable has no GNU build ID"
                ),
            }
            for (how, exe2, extra) in ways {
                let h2 = histogram(&core, exe2, &extra);
                if h2 != dwarf_h {
                    errors.push(format!("{label}: the histogram with the debug file found by {how} differs from the DWARF one"));
                }
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// The minor release of a corpus version (`1.23.9`: 23).
fn go_minor(v: &str) -> Option<u32> {
    v.split('.').nth(1)?.parse().ok()
}

/// A debug file of another build is refused, naming both build IDs.
#[test]
fn debug_file_of_another_build_is_refused() {
    let dir = cores_dir().join("1.26.6");
    let (zoo, demo) = (dir.join("zoo"), dir.join("demo"));
    if !need(&zoo.join("core.gcore"), "scripts/make-cores.sh") || !need(&demo.join("exe"), "scripts/make-cores.sh") {
        return;
    }
    let c = strip_copies(&zoo.join("exe"), "mismatch");
    let (ok, _, err) = heapwise(&["overview", s(&zoo.join("core.gcore")), "--exe", s(&c.nosym), "--debug-file", s(&demo.join("exe"))]);
    assert!(!ok, "a debug file of another program was accepted");
    assert!(err.contains("build ID"), "unexpected error: {err}");
}

