//! Writes the runtime layout table of one Go release (see `heapwise_core::runtime::layouts`)
//! from the DWARF of a program that release built:
//!
//!     cargo run --release -p heapwise-core --example gen_layout -- EXE OUT
//!
//! `scripts/gen-layouts.sh` runs it for every supported release.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: gen_layout EXE OUT");
        std::process::exit(2);
    }
    let data = std::fs::read(&args[1]).unwrap_or_else(|e| panic!("{}: {e}", args[1]));
    let exe = heapwise_core::formats::exe::Executable::parse(&data).unwrap_or_else(|e| panic!("{}: {e}", args[1]));
    let Some(version) = exe.go_version.as_deref() else {
        eprintln!("{}: no Go version in .go.buildinfo", args[1]);
        std::process::exit(1);
    };
    let table = heapwise_core::runtime::layouts::write_table(&exe.dwarf, version);
    std::fs::write(&args[2], &table).unwrap_or_else(|e| panic!("{}: {e}", args[2]));
    eprintln!("{}: {} ({} bytes, {} lines)", args[2], version, table.len(), table.lines().count());
}
