//! The CLI's contract on bad input: one clear line on stderr starting with `heapwise: `,
//! naming the problem, and a non-zero exit; never a panic or a hang. A truncated core is
//! analyzed as far as it goes, with a `warning:` line, or refused with one clear line when
//! the cut took the runtime's own structures.
//!
//! Inputs: the Go corpus of scripts/make-cores.sh and the bad-input corpus of
//! scripts/make-bad-cores.sh, under `$HEAPWISE_CORES` (default
//! `~/.cache/heapwise-tools/cores`). A case whose inputs are missing is skipped with a
//! printed reason, or fails when `HEAPWISE_REQUIRE_CORES=1`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "../../../tests/common/mod.rs"]
mod common;
use common::cores_dir;

/// Paths under the cores directory, or `None` when one is missing: the case is skipped and
/// counted ([`common::skip`]), or fails when `HEAPWISE_REQUIRE_CORES=1`.
fn corpus(case: &str, rel: &[&str]) -> Option<Vec<PathBuf>> {
    let paths: Vec<PathBuf> = rel.iter().map(|r| cores_dir().join(r)).collect();
    if let Some(p) = paths.iter().find(|p| !p.exists()) {
        common::skip(&format!("{case}: no {} (run scripts/make-cores.sh and scripts/make-bad-cores.sh)", p.display()));
        return None;
    }
    Some(paths)
}

/// A scratch directory for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let d = std::env::temp_dir().join(format!("heapwise-bad-input-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs heapwise with a deadline: a hang fails the test instead of stalling it.
fn heapwise(args: &[&Path]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_heapwise"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run heapwise");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            panic!("heapwise {args:?} did not finish in 300 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn p(s: &str) -> PathBuf {
    PathBuf::from(s)
}

/// Asserts a failure with exactly one stderr line, `heapwise: ...`, containing every
/// needle; returns the line.
fn one_line_error(r: &Run, needles: &[&str]) -> String {
    assert!(!r.ok, "expected a failure, got success; stderr: {}", r.stderr);
    assert!(
        !r.stderr.contains("panicked") && !r.stderr.contains("RUST_BACKTRACE"),
        "panic on stderr: {}",
        r.stderr
    );
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one stderr line, got: {:?}", r.stderr);
    let line = lines[0];
    assert!(line.starts_with("heapwise: "), "stderr line does not start with 'heapwise: ': {line}");
    for n in needles {
        assert!(line.contains(n), "stderr line lacks {n:?}: {line}");
    }
    eprintln!("  {line}");
    line.to_string()
}

/// A truncated core: analyzed with a truncation warning, or refused with one line saying
/// the core is truncated.
fn truncated_ok(r: &Run, label: &str) {
    assert!(!r.stderr.contains("panicked"), "{label}: panic: {}", r.stderr);
    if r.ok {
        assert!(
            r.stderr.lines().any(|l| l.starts_with("warning: the core file is truncated")),
            "{label}: analyzed without a truncation warning: {}",
            r.stderr
        );
        assert!(r.stdout.contains("Go version"), "{label}: no overview: {}", r.stdout);
        eprintln!("  {label}: analyzed; {}", r.stderr.lines().next().unwrap_or(""));
    } else {
        one_line_error(r, &["the core file is truncated"]);
    }
}

/// `cp --sparse=always SRC DST && truncate -s SIZE DST`: cores are large and sparse.
fn truncated_copy(src: &Path, dst: &Path, size: u64) {
    let st = Command::new("cp").arg("--sparse=always").arg(src).arg(dst).status().expect("cp");
    assert!(st.success(), "cp {} failed", src.display());
    let f = std::fs::OpenOptions::new().write(true).open(dst).unwrap();
    f.set_len(size).unwrap();
}

#[test]
fn random_bytes_are_not_an_elf_file() {
    let s = Scratch::new("random");
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(s.path("random.bin"), &bytes).unwrap();
    let exe = p(env!("CARGO_BIN_EXE_heapwise"));
    one_line_error(&heapwise(&[&p("overview"), &s.path("random.bin")]), &["not an ELF file"]);
    one_line_error(&heapwise(&[&p("overview"), &s.path("random.bin"), &p("--exe"), &exe]), &["not an ELF file"]);
    // A few bytes: too short for an ELF header.
    std::fs::write(s.path("short.bin"), b"\x7fELF\x02\x01").unwrap();
    one_line_error(&heapwise(&[&p("overview"), &s.path("short.bin")]), &["too short for an ELF file"]);
}

#[test]
fn empty_file() {
    let s = Scratch::new("empty");
    std::fs::write(s.path("empty.core"), b"").unwrap();
    one_line_error(&heapwise(&[&p("overview"), &s.path("empty.core")]), &["is empty"]);
    let exe = p(env!("CARGO_BIN_EXE_heapwise"));
    one_line_error(&heapwise(&[&p("histogram"), &exe, &p("--exe"), &s.path("empty.core")]), &["executable", "is empty"]);
}

#[test]
fn missing_files() {
    one_line_error(&heapwise(&[&p("overview"), &p("/nonexistent/core")]), &["cannot open core /nonexistent/core"]);
    let exe = p(env!("CARGO_BIN_EXE_heapwise"));
    one_line_error(&heapwise(&[&p("overview"), &exe, &p("--exe"), &p("/nonexistent/exe")]), &["/nonexistent/exe"]);
}

#[test]
fn swapped_arguments() {
    // Any executable given as the core, even without a corpus: this test binary's heapwise.
    let heapwise_exe = p(env!("CARGO_BIN_EXE_heapwise"));
    one_line_error(&heapwise(&[&p("overview"), &heapwise_exe]), &["not a core dump", "swapped arguments?"]);
    let Some(c) = corpus("swapped arguments", &["1.26.6/zoo/core.kernel", "1.26.6/zoo/exe"]) else { return };
    let (core, exe) = (&c[0], &c[1]);
    one_line_error(&heapwise(&[&p("overview"), exe, &p("--exe"), core]), &["not a core dump", "swapped arguments?"]);
    one_line_error(&heapwise(&[&p("overview"), core, &p("--exe"), core]), &["is a core dump", "swapped arguments?"]);
}

#[test]
fn exe_of_another_program() {
    let Some(c) = corpus("exe of another program", &["1.26.6/zoo/core.kernel", "1.26.6/demo/exe"]) else { return };
    one_line_error(&heapwise(&[&p("overview"), &c[0], &p("--exe"), &c[1]]), &["does not match"]);
}

#[test]
fn exe_of_another_go_version() {
    let Some(c) = corpus("exe of another Go version", &["1.26.6/zoo/core.kernel", "1.27.3/zoo/exe"]) else { return };
    one_line_error(&heapwise(&[&p("overview"), &c[0], &p("--exe"), &c[1]]), &["does not match", "go1.27.3"]);
}

#[test]
fn core_of_a_non_go_process() {
    let s = Scratch::new("nogo");
    let (core, exe) = match corpus("non-Go core", &["bad/nogo/core", "bad/nogo/exe"]) {
        Some(c) => (c[0].clone(), c[1].clone()),
        None => match gcore_of_sleep(&s) {
            Some(core) => (core, p("/bin/sleep")),
            None => return,
        },
    };
    // The core names its executable (a C program): heapwise finds it and says it is not Go.
    one_line_error(&heapwise(&[&p("overview"), &core]), &["not a Go program"]);
    one_line_error(&heapwise(&[&p("overview"), &core, &p("--exe"), &exe]), &["not a Go program"]);
    if let Some(go) = corpus("non-Go core with a Go executable", &["1.26.6/zoo/exe"]) {
        one_line_error(&heapwise(&[&p("overview"), &core, &p("--exe"), &go[0]]), &["does not match"]);
    }
}

/// Without the bad-input corpus: a gcore of `sleep`, when gdb's gcore is installed.
fn gcore_of_sleep(s: &Scratch) -> Option<PathBuf> {
    let have_gcore = Command::new("sh").arg("-c").arg("command -v gcore").output().is_ok_and(|o| o.status.success());
    if !have_gcore {
        common::skip("non-Go core: no bad-input corpus and no gcore to make one");
        return None;
    }
    let mut sleep = Command::new("sleep").arg("60").spawn().ok()?;
    let pid = sleep.id();
    let prefix = s.path("sleep");
    let st = Command::new("gcore").arg("-o").arg(&prefix).arg(pid.to_string()).output();
    let _ = sleep.kill();
    let _ = sleep.wait();
    let core = PathBuf::from(format!("{}.{pid}", prefix.display()));
    match st {
        Ok(o) if o.status.success() && core.exists() => Some(core),
        _ => {
            common::skip("non-Go core: gcore of sleep failed");
            None
        }
    }
}

#[test]
fn truncated_cores() {
    let Some(c) = corpus("truncated cores", &["1.26.6/zoo/core.kernel", "1.26.6/zoo/core.gcore", "1.26.6/zoo/exe"]) else {
        return;
    };
    let (kernel, gcore, exe) = (&c[0], &c[1], &c[2]);
    let s = Scratch::new("truncated");
    let ksize = std::fs::metadata(kernel).unwrap().len();
    let gsize = std::fs::metadata(gcore).unwrap().len();
    for (label, src, size) in [
        ("kernel core cut at 50%", kernel, ksize / 2),
        ("kernel core cut at 95%", kernel, ksize / 100 * 95),
        ("gcore cut at 30%", gcore, gsize / 100 * 30),
    ] {
        let cut = s.path("cut.core");
        truncated_copy(src, &cut, size);
        truncated_ok(&heapwise(&[&p("overview"), &cut, &p("--exe"), exe]), label);
    }
    // Only the last page of the kernel core (the vsyscall page) cut off: the runtime's
    // structures are all there, so the analysis must succeed and warn.
    let cut = s.path("cut.core");
    truncated_copy(kernel, &cut, ksize - 2048);
    let r = heapwise(&[&p("overview"), &cut, &p("--exe"), exe]);
    assert!(r.ok, "a core missing only its last 2 KiB must be analyzed: {}", r.stderr);
    truncated_ok(&r, "kernel core missing its last 2 KiB");
}

#[test]
fn unsupported_go_version() {
    let Some(c) = corpus("unsupported Go version", &["bad/go1.21/core", "bad/go1.21/exe"]) else { return };
    let line = one_line_error(&heapwise(&[&p("overview"), &c[0], &p("--exe"), &c[1]]), &["unsupported Go version go1.21", "go1.22 to go1.27"]);
    assert!(line.contains("go1.21.13"), "{line}");
    // Found through the core's NT_FILE note as well.
    one_line_error(&heapwise(&[&p("overview"), &c[0]]), &["unsupported Go version go1.21", "go1.22 to go1.27"]);
}

/// An executable without DWARF is read (tests/stripped.rs), but one of another build than
/// the core's is refused as such, not read against the wrong runtime.
#[test]
fn exe_without_dwarf_of_another_build() {
    let Some(c) = corpus("executable without DWARF", &["1.26.6/zoo/core.kernel", "bad/nodwarf/exe"]) else { return };
    one_line_error(&heapwise(&[&p("overview"), &c[0], &p("--exe"), &c[1]]), &["does not match the core", "build"]);
}

/// The executable named in the core's NT_FILE note, as heapwise reads it.
fn nt_file_exe(core: &Path) -> Option<String> {
    let data = std::fs::read(core).ok()?;
    let cf = heapwise_core::formats::elfcore::CoreFile::parse(&data.as_slice()).ok()?;
    let entry = cf.auxv_value(heapwise_core::formats::elfcore::AT_ENTRY);
    cf.mapped_files.iter().find(|m| entry.is_some_and(|e| m.start <= e && e < m.end)).map(|m| m.path.clone())
}

#[test]
fn exe_found_through_nt_file() {
    let Some(c) = corpus("executable from NT_FILE", &["1.26.6/zoo/core.kernel"]) else { return };
    let core = &c[0];
    let named = nt_file_exe(core).expect("the kernel core names its executable");
    if Path::new(&named).exists() {
        let r = heapwise(&[&p("overview"), core]);
        assert!(r.ok, "overview without --exe ({named}): {}", r.stderr);
        assert!(r.stdout.contains("go1.26.6"), "{}", r.stdout);
    } else {
        let why = format!("executable from NT_FILE: the core names {named}, which does not exist (corpus moved?)");
        common::skip(&why);
    }
    // The same core naming an executable that is not there: one line saying so.
    let s = Scratch::new("ntfile");
    let mut data = std::fs::read(core).unwrap();
    let (from, to) = (named.as_bytes(), format!("{}#", &named[..named.len() - 1]));
    let mut replaced = 0;
    let mut i = 0;
    // A kernel core's notes come first.
    let notes_end = data.len().min(1 << 20);
    while let Some(k) = data[i..notes_end].windows(from.len()).position(|w| w == from) {
        data[i + k..i + k + from.len()].copy_from_slice(to.as_bytes());
        i += k + from.len();
        replaced += 1;
    }
    assert!(replaced > 0);
    std::fs::write(s.path("moved.core"), &data).unwrap();
    one_line_error(&heapwise(&[&p("overview"), &s.path("moved.core")]), &["does not exist here", "pass --exe"]);
}

#[test]
fn object_queries_and_commands() {
    one_line_error(&heapwise(&[&p("frobnicate"), &p("/nonexistent/core")]), &["unknown command 'frobnicate'"]);
    one_line_error(&heapwise(&[&p("overview"), &p("core"), &p("--bogus")]), &["unknown option --bogus"]);
    one_line_error(&heapwise(&[&p("overview")]), &["usage: heapwise <command> <core>"]);
    one_line_error(&heapwise(&[&p("object"), &p("core"), &p("zzz")]), &["not a hex address: zzz"]);
    one_line_error(&heapwise(&[&p("object"), &p("core")]), &["object needs an address"]);
    one_line_error(&heapwise(&[]), &["usage: heapwise <command> <core>"]);
    one_line_error(&heapwise(&[&p("owners"), &p("core"), &p("0x10"), &p("--depth"), &p("-5")]), &["--depth", "-1", "not -5"]);
    one_line_error(&heapwise(&[&p("graph"), &p("core"), &p("0x10")]), &["graph needs an output file: -o out.svg"]);
    one_line_error(&heapwise(&[&p("histogram"), &p("core"), &p("--retained"), &p("--cost")]), &["--retained", "--cost"]);
    one_line_error(&heapwise(&[&p("overview"), &p("core"), &p("extra")]), &["unexpected argument extra"]);
    let help = heapwise(&[&p("--help")]);
    assert!(help.ok && help.stdout.contains("Commands:") && help.stderr.is_empty(), "--help: {}", help.stderr);
    let Some(c) = corpus("object queries", &["1.26.6/zoo/core.kernel", "1.26.6/zoo/exe"]) else { return };
    let (core, exe) = (&c[0], &c[1]);
    one_line_error(&heapwise(&[&p("object"), core, &p("0x10"), &p("--exe"), exe]), &["no allocated heap object at 0x10"]);
    one_line_error(&heapwise(&[&p("path"), core, &p("0xffffffffffffff00"), &p("--exe"), exe]), &["no allocated heap object"]);
}
