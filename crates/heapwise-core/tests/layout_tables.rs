//! The committed layout tables (`crates/heapwise-core/layouts/goVER.txt`, what executables
//! without DWARF are read with) are exactly what `scripts/gen-layouts.sh` writes from the
//! DWARF of a program built by that release: a table written before the generator or the
//! DWARF reader learnt something (embedded fields, once) fails here until it is regenerated.
//! The program is the corpus's zoo, the one gen-layouts.sh builds. One test per release; a
//! missing executable skips, or fails under `HEAPWISE_REQUIRE_CORES=1`.

#[path = "../../../tests/common/inputs.rs"]
mod common;
use common::{inputs, prog_dir};

use heapwise_core::formats::exe::Executable;
use heapwise_core::runtime::layouts;

fn check(version: &str) {
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
