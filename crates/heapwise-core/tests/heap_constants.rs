//! heapwise's per-release tables against each Go release's own executable and core.
//!
//! The committed layout tables (`crates/heapwise-core/layouts/goVER.txt`, what executables
//! without DWARF are read with) must be exactly what `scripts/gen-layouts.sh` writes from the
//! DWARF of the program it builds (the corpus's zoo): a table written before the generator or
//! the DWARF reader learnt something (embedded fields, once) fails until it is regenerated.
//!
//! The heap constants a heap dump read without its executable takes from heapwise's own
//! tables (the release's layout table, `runtime/sizeclasses.rs`) against what each Go
//! release's executable and core say: the size classes read from the runtime's
//! `class_to_size` / `SizeClassToSize` array, the constants from its DWARF. One test per
//! release; a missing core skips, or fails under `HEAPWISE_REQUIRE_CORES=1`.

use std::rc::Rc;

#[path = "../../../tests/common/inputs.rs"]
mod common;
use common::{inputs, prog_dir};

use heapwise_core::formats::exe::Executable;
use heapwise_core::runtime::heap::HeapParams;
use heapwise_core::runtime::process::Process;
use heapwise_core::runtime::{layouts, sizeclasses};
use heapwise_core::source::ByteSource;

fn check(version: &str) {
    layout_table(version);
    heap_constants(version);
}

fn layout_table(version: &str) {
    let exe_path = prog_dir(version, "zoo").join("exe");
    if !inputs(&[&exe_path]) {
        return;
    }
    let bytes = std::fs::read(&exe_path).expect("read exe");
    let exe = Executable::parse(&bytes).unwrap_or_else(|e| panic!("parse {}: {e}", exe_path.display()));
    let go = exe.go_version.clone().expect("the executable's Go version");
    let written = layouts::write_table(&exe.dwarf, &go);
    let committed_path = format!("{}/layouts/{go}.txt", env!("CARGO_MANIFEST_DIR"));
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_else(|e| panic!("{committed_path}: {e}"));
    if written != committed {
        let (w, c): (Vec<&str>, Vec<&str>) = (written.lines().collect(), committed.lines().collect());
        let at = w.iter().zip(&c).position(|(a, b)| a != b).unwrap_or(w.len().min(c.len()));
        panic!(
            "{committed_path} is not what scripts/gen-layouts.sh writes from {} (first difference at line {}: {:?} written, {:?} committed); regenerate it",
            exe_path.display(),
            at + 1,
            w.get(at),
            c.get(at)
        );
    }
}

fn heap_constants(version: &str) {
    let dir = prog_dir(version, "zoo");
    let (core, exe) = (dir.join("core.gcore"), dir.join("exe"));
    if !inputs(&[&core, &exe]) {
        return;
    }
    let c: Rc<dyn ByteSource> = Rc::new(std::fs::read(&core).expect("read core"));
    let e: Rc<dyn ByteSource> = Rc::new(std::fs::read(&exe).expect("read exe"));
    let p = Process::open(c, e).unwrap_or_else(|e| panic!("open {}: {e}", core.display()));
    let rt = p.rt();
    let from_process = sizeclasses::from_runtime(&rt).expect("the runtime's size-class array");
    assert_eq!(Some(from_process), sizeclasses::for_release(&p.go_version), "{version}: size classes");
    let amd64 = p.arch == heapwise_core::formats::elfcore::Arch::Amd64;
    let from_exe = HeapParams::from_dwarf(rt.dwarf, amd64).expect("constants in the executable's DWARF");
    let (table, _) = layouts::table_for(&p.go_version).expect("layout table");
    let from_table = HeapParams::from_dwarf(&table, amd64).expect("constants in the layout table");
    assert_eq!(format!("{from_exe:?}"), format!("{from_table:?}"), "{version}: heap constants");
}

#[test]
fn go1_22() {
    check("1.22.10")
}

#[test]
fn go1_23() {
    check("1.23.9")
}

#[test]
fn go1_24() {
    check("1.24.11")
}

#[test]
fn go1_25() {
    check("1.25.5")
}

#[test]
fn go1_26() {
    check("1.26.6")
}

#[test]
fn go1_27() {
    check("1.27.3")
}
