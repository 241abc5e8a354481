//! `heapwise --help` lists every command and every option, and README.md's CLI tables list
//! the same: the commands and options are read from the clap definition through `--help`,
//! not from a list kept here.

use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_heapwise")).args(args).output().expect("run heapwise");
    assert!(out.status.success(), "heapwise {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "heapwise {args:?} wrote to stderr");
    String::from_utf8(out.stdout).expect("utf-8 help")
}

/// The first word of each line of a `Heading:` section of a help text.
fn section(text: &str, heading: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| l.trim() != heading)
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// The long options (`--name`) a help text mentions at the start of its option lines.
fn long_options(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| l.split([' ', ',']).find(|w| w.starts_with("--")).map(str::to_string))
        .filter(|o| o != "--help" && o != "--version")
        .collect();
    v.dedup();
    v
}

#[test]
fn help_and_readme_list_every_command_and_option() {
    let top = help(&["--help"]);
    let commands = section(&top, "Commands:");
    assert!(commands.len() >= 15, "commands in --help: {commands:?}");
    for needed in ["dominators", "suspects", "whatif", "records", "graph"] {
        assert!(commands.iter().any(|c| c == needed), "{needed} missing from --help: {commands:?}");
    }
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).expect("README.md");
    let cli = &readme[readme.find("## The CLI").expect("README has a CLI section")..];
    let cli = &cli[..cli[3..].find("\n## ").map_or(cli.len(), |i| i + 3)];
    let global = long_options(&top);
    for o in ["--exe", "--json", "--no-mmap", "--debug-file", "--debug-dir"] {
        assert!(global.iter().any(|g| g == o), "{o} missing from --help: {global:?}");
    }
    for o in &global {
        assert!(cli.contains(&format!("`{o}")), "README's CLI section does not list {o}");
    }
    let mut checked = 0;
    for c in &commands {
        let row = cli
            .lines()
            .find(|l| l.starts_with(&format!("| `{c}`")) || l.starts_with(&format!("| `{c} ")))
            .unwrap_or_else(|| panic!("README's CLI table has no row for {c}"));
        let own: Vec<String> = long_options(&help(&[c, "--help"])).into_iter().filter(|o| !global.contains(o)).collect();
        for o in &own {
            // Every command option: in the top-level help's summary and in its README row.
            assert!(top.contains(&format!("{c} {o}")) || top.contains(&format!("{c} -o, {o}")), "--help does not list `{c} {o}`");
            assert!(row.contains(o.as_str()) || (o == "--output" && row.contains("-o ")), "README's {c} row does not list {o}: {row}");
            checked += 1;
        }
    }
    assert!(checked >= 9, "only {checked} command options found");
}
