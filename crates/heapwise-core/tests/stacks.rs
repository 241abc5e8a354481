//! Goroutine unwinding and stack slots on real cores of the testdata programs, one test per
//! Go release and core (scripts/make-cores.sh writes them under `$HEAPWISE_CORES`, default
//! `~/.cache/heapwise-tools/cores/<version>/<prog>`). A test whose core is missing fails under
//! `HEAPWISE_REQUIRE_CORES=1` and is skipped, visibly, otherwise (tests/common/inputs.rs).

use std::path::Path;
use std::rc::Rc;

#[path = "../../../tests/common/inputs.rs"]
mod common;
use common::{inputs, prog_dir};

use heapwise_core::formats::pclntab::Pclntab;
use heapwise_core::runtime::process::Process;
use heapwise_core::source::ByteSource;
use heapwise_core::runtime::stacks::{read_goroutines, Goroutine};

fn open(core: &Path, exe: &Path) -> Process {
    let c: Rc<dyn ByteSource> = Rc::new(std::fs::read(core).expect("read core"));
    let e: Rc<dyn ByteSource> = Rc::new(std::fs::read(exe).expect("read exe"));
    Process::open(c, e).unwrap_or_else(|e| panic!("open {}: {e}", core.display()))
}

fn goroutines(p: &Process) -> (Vec<Goroutine>, Vec<String>) {
    let pcln = Pclntab::new(&p.rt()).expect("pclntab");
    read_goroutines(p, &pcln)
}

/// The function names of every frame, inlined ones included.
fn all_functions(g: &Goroutine) -> Vec<&str> {
    g.frames
        .iter()
        .flat_map(|f| f.inlined.iter().map(|i| i.function.as_str()).chain(std::iter::once(f.function.as_str())))
        .collect()
}

/// Minimal reading of truth.json (no JSON dependency here): the string list under `key`.
fn json_strings(text: &str, key: &str) -> Vec<String> {
    let Some(start) = text.find(&format!("\"{key}\"")) else { return Vec::new() };
    let rest = &text[start..];
    let (Some(open), Some(close)) = (rest.find('['), rest.find(']')) else { return Vec::new() };
    rest[open + 1..close].split(',').map(|s| s.trim().trim_matches('"').to_string()).filter(|s| !s.is_empty()).collect()
}

/// Addresses of truth objects whose label starts with `prefix`.
fn truth_objects(text: &str, prefix: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("\"label\"") {
        rest = &rest[i + 7..];
        let label = rest.split('"').nth(1).unwrap_or("").to_string();
        let Some(a) = rest.find("\"addr\"") else { break };
        let addr = rest[a + 6..].split('"').nth(1).unwrap_or("");
        if label.starts_with(prefix) {
            if let Ok(v) = u64::from_str_radix(addr.trim_start_matches("0x"), 16) {
                out.push((label, v));
            }
        }
    }
    out
}

/// Checks every goroutine has frames and main.main is in goroutine 1 at a main.go line.
fn check_basics(gs: &[Goroutine], what: &str) {
    assert!(!gs.is_empty(), "{what}: no goroutines");
    for g in gs {
        assert!(!g.frames.is_empty(), "{what}: goroutine {} ({}) has no frames", g.id, g.status);
        assert!(!g.status.is_empty() && !g.status.starts_with("status "), "{what}: goroutine {} status {}", g.id, g.status);
        for f in &g.frames {
            assert!(f.sp >= g.stack_lo && f.sp <= g.stack_hi, "{what}: goroutine {} frame {} sp outside the stack", g.id, f.function);
        }
    }
    let g1 = gs.iter().find(|g| g.id == 1).unwrap_or_else(|| panic!("{what}: no goroutine 1"));
    let main = g1.frames.iter().find(|f| f.function == "main.main").unwrap_or_else(|| panic!("{what}: main.main not in goroutine 1: {:?}", all_functions(g1)));
    assert!(main.file.ends_with("main.go"), "{what}: main.main in {}", main.file);
    assert!(main.line > 0 && main.line < 100_000, "{what}: main.main at line {}", main.line);
    assert_eq!(g1.frames.last().map(|f| f.function.as_str()), Some("runtime.goexit"), "{what}: goroutine 1 does not end at goexit");
}

/// A zoo core: no warnings, the basics, every goroutine function of the truth, and the
/// StackOnly lists found in the `head` local of main.stackHolder, typed and precise.
fn check_zoo(version: &str, prog: &str, core_name: &str, truth_name: &str) {
    let dir = prog_dir(version, prog);
    let (core, exe, truth) = (dir.join(core_name), dir.join("exe"), dir.join(truth_name));
    if !inputs(&[&core, &exe, &truth]) {
        return;
    }
    let what = core.display().to_string();
    let p = open(&core, &exe);
    let (gs, warnings) = goroutines(&p);
    assert!(warnings.is_empty(), "{what}: warnings {warnings:?}");
    check_basics(&gs, &what);
    let truth = std::fs::read_to_string(&truth).expect("truth");
    let funcs = json_strings(&truth, "goroutine_funcs");
    assert!(funcs.iter().any(|f| f == "main.stackHolder"), "{what}: truth lists no goroutine functions");
    for func in funcs {
        assert!(gs.iter().any(|g| all_functions(g).contains(&func.as_str())), "{what}: no goroutine runs {func}");
    }
    // StackOnly lists are held only by a local of main.stackHolder.
    let heads = truth_objects(&truth, "stack_only_head_");
    assert!(!heads.is_empty(), "{what}: truth has no stack_only_head objects");
    for (label, addr) in heads {
        let found = gs.iter().flat_map(|g| &g.frames).filter(|f| f.function == "main.stackHolder").flat_map(|f| &f.slots).find(|s| s.value == addr);
        let slot = found.unwrap_or_else(|| panic!("{what}: {label} ({addr:#x}) is in no stackHolder slot"));
        assert!(!slot.conservative, "{what}: {label} found only conservatively");
        assert_eq!(slot.name, "head", "{what}: {label} slot name");
        assert!(slot.ty.is_some(), "{what}: {label} slot has no type");
        assert!(p.mem.is_mapped(slot.value));
    }
}

/// Any other program's core: no warnings and the basics.
fn check_other(version: &str, prog: &str, core_name: &str) {
    let dir = prog_dir(version, prog);
    let (core, exe) = (dir.join(core_name), dir.join("exe"));
    if !inputs(&[&core, &exe]) {
        return;
    }
    let p = open(&core, &exe);
    let (gs, warnings) = goroutines(&p);
    assert!(warnings.is_empty(), "{}: warnings {warnings:?}", core.display());
    check_basics(&gs, &core.display().to_string());
}

/// Function lookups, the pc -> line table and the goexit funcID of a zoo kernel core.
fn check_pclntab(version: &str) {
    let dir = prog_dir(version, "zoo");
    let (core, exe) = (dir.join("core.kernel"), dir.join("exe"));
    if !inputs(&[&core, &exe]) {
        return;
    }
    let p = open(&core, &exe);
    let pcln = Pclntab::new(&p.rt()).unwrap();
    let f = pcln.func_by_name("main.stackHolder").expect("main.stackHolder");
    assert_eq!(pcln.find_func(f.entry), Some(f.clone()));
    assert_eq!(pcln.find_func(f.entry + 1).map(|g| g.name), Some(f.name.clone()));
    assert_eq!(pcln.sp_delta(&f, f.entry), Some(0));
    let (file, line) = pcln.file_line(&f, f.entry);
    assert!(file.ends_with("zoo/main.go"), "{file}");
    assert_eq!(line as i32, f.start_line);
    assert!(pcln.find_func(pcln.maxpc).is_none());
    assert!(pcln.find_func(0).is_none());
    let goexit = pcln.func_by_name("runtime.goexit").unwrap();
    assert_eq!(pcln.consts.funcid_goexit, Some(goexit.funcid));
}

/// One test per Go release for each check, so that a missing core skips (or fails) exactly
/// the test that needs it.
macro_rules! per_version {
    ($($ver:ident: $v:literal;)*) => {
        $(
            mod $ver {
                #[test]
                fn zoo_gcore() { super::check_zoo($v, "zoo", "core.gcore", "truth.json") }
                #[test]
                fn zoo_kernel() { super::check_zoo($v, "zoo", "core.kernel", "truth-kernel.json") }
                #[test]
                fn zoo_pie_gcore() { super::check_zoo($v, "zoo-pie", "core.gcore", "truth.json") }
                #[test]
                fn deeplist_kernel() { super::check_other($v, "deeplist", "core.kernel") }
                #[test]
                fn demo_kernel() { super::check_other($v, "demo", "core.kernel") }
                #[test]
                fn pclntab_lookups() { super::check_pclntab($v) }
            }
        )*
    };
}

per_version! {
    go1_22: "1.22.10";
    go1_23: "1.23.9";
    go1_24: "1.24.11";
    go1_25: "1.25.5";
    go1_26: "1.26.6";
    go1_27: "1.27.3";
}
