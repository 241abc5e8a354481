//! zstd-compressed cores, as systemd-coredump stores them: a real kernel core and a real
//! heap dump of scripts/make-cores.sh, compressed with the `zstd` command, must give exactly
//! what the plain files give (mapped and with `--no-mmap`); a cut stream is one clear error.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "../../../tests/common/mod.rs"]
mod common;
use common::{cores_dir, heapwise};

/// Paths under the cores directory, or `None` when one is missing (the test is skipped and
/// counted as such, or fails under `HEAPWISE_REQUIRE_CORES=1`: [`common::inputs`]).
fn corpus(rel: &[&str]) -> Option<Vec<PathBuf>> {
    let paths: Vec<PathBuf> = rel.iter().map(|r| cores_dir().join(r)).collect();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    common::inputs(&refs).then_some(paths)
}

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let d = std::env::temp_dir().join(format!("heapwise-zstd-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `zstd -q SRC -o DST` (the command systemd-coredump's format comes from).
fn zstd(src: &Path, dst: &Path, extra: &[&str]) {
    let st = Command::new("zstd").args(extra).arg("-q").arg("-f").arg(src).arg("-o").arg(dst).status().expect("run zstd (apt-get install zstd)");
    assert!(st.success(), "zstd {} failed", src.display());
    let mut head = [0u8; 4];
    std::io::Read::read_exact(&mut std::fs::File::open(dst).unwrap(), &mut head).unwrap();
    assert_eq!(head, [0x28, 0xB5, 0x2F, 0xFD], "zstd wrote no zstd frame");
}

fn out(args: &[&str]) -> String {
    let (ok, out, err) = heapwise(args);
    assert!(ok, "heapwise {args:?} failed: {err}");
    assert!(!out.is_empty(), "heapwise {args:?} printed nothing");
    out
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_zstd_core_reads_as_the_plain_core() {
    let Some(c) = corpus(&["1.26.6/zoo/core.kernel", "1.26.6/zoo/exe"]) else { return };
    let (core, exe) = (&c[0], &c[1]);
    let dir = Scratch::new("core");
    let zst = dir.0.join("core.zst");
    zstd(core, &zst, &[]);
    assert!(std::fs::metadata(&zst).unwrap().len() < std::fs::metadata(core).unwrap().len());
    for cmd in ["overview", "histogram", "goroutines", "breakdown"] {
        let plain = out(&[cmd, s(core), "--exe", s(exe), "--json"]);
        assert_eq!(plain, out(&[cmd, s(&zst), "--exe", s(exe), "--json"]), "{cmd} of the zstd core differs");
        assert_eq!(plain, out(&[cmd, s(&zst), "--exe", s(exe), "--json", "--no-mmap"]), "{cmd} --no-mmap of the zstd core differs");
    }
    // A 128 MiB window (zstd --long, past the 8 MiB of the default levels), multithreaded,
    // and a compressed executable.
    let multi = dir.0.join("core-long.zst");
    zstd(core, &multi, &["-T2", "--long=27"]);
    let zexe = dir.0.join("exe.zst");
    zstd(exe, &zexe, &[]);
    assert_eq!(out(&["histogram", s(core), "--exe", s(exe), "--json"]), out(&["histogram", s(&multi), "--exe", s(&zexe), "--json"]));
    // The text view says the same as well.
    assert_eq!(out(&["overview", s(core), "--exe", s(exe)]), out(&["overview", s(&zst), "--exe", s(exe)]));
}

#[test]
fn a_zstd_heap_dump_reads_as_the_plain_dump() {
    let Some(c) = corpus(&["1.26.6/zoo/heap.dump", "1.26.6/zoo/exe"]) else { return };
    let (dump, exe) = (&c[0], &c[1]);
    let dir = Scratch::new("dump");
    let zst = dir.0.join("heap.dump.zst");
    zstd(dump, &zst, &[]);
    assert_eq!(out(&["histogram", s(dump), "--exe", s(exe), "--json"]), out(&["histogram", s(&zst), "--exe", s(exe), "--json"]));
    assert_eq!(out(&["records", s(dump)]), out(&["records", s(&zst)]));
}

#[test]
fn a_cut_zstd_core_is_one_clear_error() {
    let Some(c) = corpus(&["1.26.6/zoo/core.kernel", "1.26.6/zoo/exe"]) else { return };
    let dir = Scratch::new("cut");
    let zst = dir.0.join("core.zst");
    zstd(&c[0], &zst, &[]);
    let len = std::fs::metadata(&zst).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&zst).unwrap().set_len(len / 2).unwrap();
    for extra in [&[][..], &["--no-mmap"][..]] {
        let mut args = vec!["overview", s(&zst), "--exe", s(&c[1])];
        args.extend_from_slice(extra);
        let (ok, _, err) = heapwise(&args);
        assert!(!ok, "a cut zstd core was accepted");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("heapwise: cannot decompress core") && !err.contains("panicked"), "{err}");
    }
}
