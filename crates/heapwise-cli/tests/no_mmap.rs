//! `--no-mmap` (pread behind a page cache) must print exactly what the mapped mode prints,
//! on the real cores of scripts/make-cores.sh (skipped when absent, failed with
//! HEAPWISE_REQUIRE_CORES=1). No timing is checked here; scripts/bench.sh measures.

use std::process::Command;

#[path = "../../../tests/common/mod.rs"]
mod common;
use common::cores_dir;

fn run(args: &[&str], no_mmap_env: bool) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_heapwise"));
    c.args(args).env_remove("HEAPWISE_NO_MMAP");
    if no_mmap_env {
        c.env("HEAPWISE_NO_MMAP", "1");
    }
    let out = c.output().expect("run heapwise");
    assert!(out.status.success(), "heapwise {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[test]
fn no_mmap_prints_the_same_as_mmap() {
    let mut checked = 0;
    for version in ["1.24.11", "1.25.5", "1.26.6", "1.27.3"] {
        for (prog, core) in [("zoo", "core.gcore"), ("zoo", "core.kernel"), ("deeplist", "core.gcore")] {
            let dir = cores_dir().join(version).join(prog);
            let (core, exe) = (dir.join(core), dir.join("exe"));
            if !core.exists() || !exe.exists() {
                common::skip(&format!("missing core {}", core.display()));
                continue;
            }
            let (core, exe) = (core.to_str().unwrap(), exe.to_str().unwrap());
            for cmd in ["histogram", "garbage", "overview", "goroutines", "breakdown"] {
                let mapped = run(&[cmd, core, "--exe", exe, "--json"], false);
                let flag = run(&[cmd, core, "--exe", exe, "--json", "--no-mmap"], false);
                assert_eq!(mapped, flag, "{cmd} of {core}: --no-mmap differs");
                if cmd == "histogram" {
                    let env = run(&[cmd, core, "--exe", exe, "--json"], true);
                    assert_eq!(mapped, env, "{cmd} of {core}: HEAPWISE_NO_MMAP=1 differs");
                }
            }
            checked += 1;
        }
    }
    eprintln!("{checked} cores checked");
}
