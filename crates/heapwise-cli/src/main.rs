//! `heapwise <command> <core> [--exe <exe>] [--json]`: the native command-line view over
//! heapwise-core's analysis API.

use std::process::ExitCode;
use std::rc::Rc;

use heapwise_core::report::*;
use heapwise_core::source::{ByteSource, SourceError};
use heapwise_core::Analysis;

const USAGE: &str = "usage: heapwise <command> <core> [--exe <exe>] [--json]
commands:
  overview                 Go version, arch, threads, goroutines, live and garbage totals
  histogram                live objects per type: count and bytes (slot sizes), by bytes
  garbage                  allocated but unreachable objects per type
  objects [--type REGEX]   every live object: address, type, size
  object <addr>            one object: type, size, fields, pointers out and in
  path <addr>              a shortest path from a GC root to the object
  goroutines               goroutines with status, wait reason and frames
  breakdown                where the process's memory goes";

/// A memory-mapped file.
struct MappedFile(memmap2::Mmap);

impl ByteSource for MappedFile {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        (&self.0[..]).read_at(offset, buf)
    }
    fn as_slice(&self) -> Option<&[u8]> {
        Some(&self.0)
    }
}

fn map_file(path: &str, what: &str) -> Result<Rc<dyn ByteSource>, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("cannot open {what} {path}: {e}"))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len == 0 {
        return Err(format!("{what} {path} is empty"));
    }
    // SAFETY: the file is opened read-only; heapwise assumes nobody truncates it while reading.
    let m = unsafe { memmap2::Mmap::map(&f) }.map_err(|e| format!("cannot map {what} {path}: {e}"))?;
    Ok(Rc::new(MappedFile(m)))
}

struct Args {
    command: String,
    core: String,
    exe: Option<String>,
    json: bool,
    type_regex: Option<String>,
    addr: Option<u64>,
}

fn parse_addr(s: &str) -> Result<u64, String> {
    let t = s.trim_start_matches("0x").trim_start_matches("0X");
    u64::from_str_radix(t, 16).map_err(|_| format!("not a hex address: {s}"))
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut positional = Vec::new();
    let mut exe = None;
    let mut json = false;
    let mut type_regex = None;
    while let Some(a) = it.next() {
        match a.as_str() {
            "--exe" => exe = Some(it.next().ok_or("--exe needs a path")?),
            "--json" => json = true,
            "--type" => type_regex = Some(it.next().ok_or("--type needs a pattern")?),
            "-h" | "--help" => return Err(USAGE.to_string()),
            _ if a.starts_with("--") => return Err(format!("unknown option {a}\n{USAGE}")),
            _ => positional.push(a),
        }
    }
    if positional.len() < 2 {
        return Err(USAGE.to_string());
    }
    let command = positional[0].clone();
    let core = positional[1].clone();
    let addr = match command.as_str() {
        "object" | "path" => Some(parse_addr(positional.get(2).ok_or(format!("{command} needs an address"))?)?),
        _ => None,
    };
    Ok(Args { command, core, exe, json, type_regex, addr })
}

/// The executable named in the core's NT_FILE note, when the user gave none.
fn exe_from_core(core: &dyn ByteSource) -> Result<String, String> {
    let cf = heapwise_core::elfcore::CoreFile::parse(core).map_err(|e| e.to_string())?;
    let entry = cf.auxv_value(heapwise_core::elfcore::AT_ENTRY);
    let candidate = cf
        .mapped_files
        .iter()
        .find(|m| entry.is_some_and(|e| m.start <= e && e < m.end))
        .or_else(|| cf.mapped_files.first())
        .map(|m| m.path.clone());
    match candidate {
        Some(p) if std::path::Path::new(&p).exists() => Ok(p),
        Some(p) => Err(format!("the core was made by {p}, which does not exist here; pass --exe <executable>")),
        None => Err("the core names no executable (no NT_FILE note); pass --exe <executable>".to_string()),
    }
}

fn print_json<T: serde::Serialize>(v: &T) {
    println!("{}", serde_json::to_string_pretty(v).expect("report types serialize"));
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let known = ["overview", "histogram", "garbage", "objects", "object", "path", "goroutines", "breakdown"];
    if !known.contains(&args.command.as_str()) {
        return Err(format!("unknown command {}\n{USAGE}", args.command));
    }
    let core = map_file(&args.core, "core")?;
    let exe_path = match &args.exe {
        Some(e) => e.clone(),
        None => exe_from_core(&*core)?,
    };
    let exe = map_file(&exe_path, "executable")?;
    let analysis = Analysis::open(core, exe, &mut |_, _| true).map_err(|e| e.to_string())?;
    if !args.json {
        for w in &analysis.warnings {
            eprintln!("warning: {w}");
        }
    }
    match args.command.as_str() {
        "overview" => {
            let o = analysis.overview();
            if args.json {
                print_json(&o);
            } else {
                println!("Go version      {}", o.go_version);
                println!("arch            {}", o.arch);
                println!("threads         {}", o.threads);
                println!("goroutines      {}", o.goroutines);
                println!("live objects    {}", o.live_objects);
                println!("live bytes      {}", o.live_bytes);
                println!("garbage objects {}", o.garbage_objects);
                println!("garbage bytes   {}", o.garbage_bytes);
            }
        }
        "histogram" | "garbage" => {
            let rows = if args.command == "histogram" { analysis.histogram() } else { analysis.garbage_histogram() };
            if args.json {
                print_json(&rows);
            } else {
                println!("{:>12} {:>14}  type", "count", "bytes");
                for r in rows {
                    println!("{:>12} {:>14}  {}", r.count, r.bytes, r.type_name);
                }
            }
        }
        "objects" => {
            let rows = analysis.objects(args.type_regex.as_deref()).map_err(|e| e.to_string())?;
            if args.json {
                print_json(&rows);
            } else {
                for r in rows {
                    println!("{:#x} {:>8}  {}", r.addr, r.size, r.type_name);
                }
            }
        }
        "object" => {
            let d = analysis.object(args.addr.unwrap_or(0)).map_err(|e| e.to_string())?;
            if args.json {
                print_json(&d);
            } else {
                print_object(&d);
            }
        }
        "path" => {
            let p = analysis.path(args.addr.unwrap_or(0)).map_err(|e| e.to_string())?;
            if args.json {
                print_json(&p);
            } else {
                println!("root: {} {}", p.root.kind, p.root.name);
                for h in &p.hops {
                    println!("  -> {:#x} {}  (via {})", h.addr, h.type_name, h.field);
                }
            }
        }
        "goroutines" => {
            let gs = analysis.goroutines();
            if args.json {
                print_json(&gs);
            } else {
                for g in gs {
                    let reason = if g.wait_reason.is_empty() { String::new() } else { format!(", {}", g.wait_reason) };
                    println!("goroutine {} [{}{}]:", g.id, g.status, reason);
                    for f in g.frames {
                        println!("  {}\n      {}:{}", f.function, f.file, f.line);
                        for l in f.locals {
                            println!("        {} = {:#x} {}", l.name, l.addr, l.type_name);
                        }
                    }
                }
            }
        }
        "breakdown" => {
            let b = analysis.breakdown();
            if args.json {
                print_json(&b);
            } else {
                for e in b.entries {
                    println!("{:>16}  {}", e.bytes, e.name);
                }
            }
        }
        _ => unreachable!("checked above"),
    }
    print_stats();
    drop(analysis);
    Ok(())
}

fn print_fields(fields: &[FieldValue], indent: usize) {
    for f in fields {
        let v = if f.value.is_empty() { String::new() } else { format!(" = {}", f.value) };
        println!("{:indent$}{} {}{}", "", f.name, f.type_name, v, indent = indent);
        print_fields(&f.children, indent + 2);
    }
}

fn print_object(d: &ObjectDetail) {
    println!("{:#x} {} ({} bytes, size class {}, {})", d.addr, d.type_name, d.size, d.size_class, if d.live { "live" } else { "garbage" });
    if !d.fields.is_empty() {
        println!("fields:");
        print_fields(&d.fields, 2);
    }
    println!("pointers out:");
    for p in &d.outbound {
        println!("  {} -> {:#x} {}", p.field, p.addr + p.target_offset, p.type_name);
    }
    println!("pointers in:");
    for p in &d.inbound {
        println!("  {:#x} {} .{}", p.addr, p.type_name, p.field);
    }
    for r in &d.root_refs {
        println!("  root {} {}", r.kind, r.name);
    }
}

/// With HEAPWISE_STATS=1, prints this process's memory figures (Linux) to stderr: peak
/// RSS includes the mapped core's resident pages, RssAnon is the analysis's own memory.
fn print_stats() {
    if std::env::var("HEAPWISE_STATS").is_ok_and(|v| v == "1") {
        if let Ok(s) = std::fs::read_to_string("/proc/self/status") {
            for l in s.lines().filter(|l| l.starts_with("VmHWM") || l.starts_with("RssAnon") || l.starts_with("RssFile")) {
                eprintln!("stats: {}", l.split_whitespace().collect::<Vec<_>>().join(" "));
            }
        }
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("heapwise: {e}");
            ExitCode::FAILURE
        }
    }
}
