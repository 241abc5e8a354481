//! The fuzz harnesses, shared by the cargo-fuzz targets (`fuzz_targets/`) and the replay of
//! the seed corpus and crash regressions in heapwise-core's tests
//! (`crates/heapwise-core/tests/fuzz_inputs.rs`, which includes this file).
//!
//! Each harness only checks that heapwise returns: any error is fine, a panic, a hang or an
//! allocation the input does not justify is a bug.

use std::rc::Rc;

use heapwise_core::formats::dwarf::TypeId;
use heapwise_core::formats::elfcore::CoreFile;
use heapwise_core::formats::exe::Executable;
use heapwise_core::runtime::process::Process;
use heapwise_core::source::ByteSource;
use heapwise_core::Analysis;

/// The executable cores are analyzed with: `fixtures/tiny/main.go` built by Go 1.26.6 with
/// its DWARF (`fuzz/README.md`).
pub static FIXTURE_EXE: &[u8] = include_bytes!("../fixtures/tiny.exe");

thread_local! {
    static PARSED: Executable = Executable::parse(FIXTURE_EXE).expect("the fixture executable parses");
}

/// `core_loader`: the first byte picks the mode, the rest is a core file.
///  - 0: parse the core's headers and notes only;
///  - otherwise: load it with the fixture executable, analyze it, and run every query.
pub fn core_loader(data: &[u8]) {
    let Some((&mode, core)) = data.split_first() else { return };
    if mode == 0 {
        let _ = CoreFile::parse(&core);
        return;
    }
    let core_src: Rc<dyn ByteSource> = Rc::new(core.to_vec());
    let exe_src: Rc<dyn ByteSource> = Rc::new(FIXTURE_EXE);
    let exe = PARSED.with(|e| e.clone());
    let Ok(process) = Process::open_parsed(core_src, exe_src, exe) else { return };
    let Ok(a) = Analysis::from_process(process, &mut |_, _| true) else { return };
    let _ = a.overview();
    let _ = a.histogram();
    let _ = a.garbage_histogram();
    let _ = a.goroutines();
    let _ = a.breakdown();
    if let Ok(rows) = a.objects(None) {
        for r in rows.iter().take(16) {
            let _ = a.object(r.addr);
            let _ = a.path(r.addr);
        }
    }
    let _ = a.objects(Some("main\\."));
    let _ = a.object(0);
    let _ = a.path(u64::MAX);
}

/// `exe_parser`: the input is an executable; when it parses, its DWARF is queried the way
/// the analysis does.
pub fn exe_parser(data: &[u8]) {
    let Ok(exe) = Executable::parse(data) else { return };
    let d = &exe.dwarf;
    for (s, f) in [("runtime.mspan", "startAddr"), ("runtime.g", "sched"), ("runtime.mheap", "allspans")] {
        let _ = d.field(s, f);
    }
    for name in ["runtime.g", "runtime.mspan", "runtime.mheap", "main.Node"] {
        let _ = d.size_of(name);
    }
    for t in 0..d.types.len().min(512) as TypeId {
        let u = d.underlying(t);
        let _ = d.field_path(t, 8);
        let _ = heapwise_core::runtime::types::dwarf_ptr_words(d, u);
        let _ = heapwise_core::runtime::typing::display_name(d, t);
    }
    for f in d.functions.iter().take(256) {
        let _ = d.function_at(f.low_pc);
    }
    for g in d.globals.iter().take(256) {
        let _ = d.global_at(g.addr);
    }
}
