//! `heapwise <command> <core> [--exe <exe>] [--json]`: the native command-line view over
//! heapwise-core's analysis API.

mod paged;

use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;

use heapwise_core::report::*;
use heapwise_core::source::{ByteSource, SourceError};
use heapwise_core::Analysis;

const USAGE: &str = "usage: heapwise <command> <core|heap dump> [--exe <exe>] [--debug-file <file>] [--debug-dir <dir>] [--json] [--no-mmap]
The file is an ELF core or a runtime/debug.WriteHeapDump file (told apart by its first bytes).
commands:
  overview                 Go version, arch, threads, goroutines, live and garbage totals
  histogram                live objects per type: count and bytes (slot sizes), by bytes
  garbage                  allocated but unreachable objects per type
  objects [--type REGEX]   every live object: address, type, size
  object <addr> [--hex]    one object: type, size, fields, pointers out and in; --hex dumps
                           its bytes with pointer words marked
  path <addr>              a shortest path from a GC root to the object
  goroutines               goroutines with status, wait reason and frames
  breakdown                where the process's memory goes
  records                  every record of a heap dump, one line each (kind, main fields)
  anchors <addr>           every root the object is reachable from, nearest first
  owners <addr> [--depth N|-1]  the objects that refer to it, transitively (-1: no limit)
  graph <addr> -o out.svg [--depth N|-1]  the owners graph as an SVG picture
options:
  --debug-file <file>      DWARF from a separate debug file when the executable has none
  --debug-dir <dir>        look for it as <dir>/.build-id/xx/yyyy.debug (debuginfod caches)
                           and by its .gnu_debuglink name (also next to the executable,
                           in its .debug/ and under /usr/lib/debug)
  --no-mmap                read the core with pread through a bounded page cache instead of
                           mapping it (peak RSS stays bounded); also HEAPWISE_NO_MMAP=1";

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

/// Page size, associativity and capacity of the core's page cache in `--no-mmap` mode. On
/// the scale core (930 MB heap) pages of 8 KiB to 64 KiB and capacities of 16 MiB to 128
/// MiB gave the same misses within 3%: the analysis streams through the heap twice.
const NO_MMAP_PAGE: usize = 64 * 1024;
const NO_MMAP_WAYS: usize = 8;
const NO_MMAP_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// The core without mapping it: pread behind a bounded page cache, so that none of the
/// core's pages count in this process's resident set beyond the cache.
fn open_paged(path: &str) -> Result<Rc<paged::SetCache<paged::PreadFile>>, String> {
    let file = paged::PreadFile::open(path).map_err(|e| format!("cannot open core {path}: {e}"))?;
    if file.size() == 0 {
        return Err(format!("core {path} is empty"));
    }
    Ok(Rc::new(paged::SetCache::new(file, NO_MMAP_PAGE, NO_MMAP_WAYS, NO_MMAP_CACHE_BYTES)))
}

/// The executable, read whole into memory (it is small, and its DWARF is read zero-copy).
fn read_whole(path: &str, what: &str) -> Result<Rc<dyn ByteSource>, String> {
    let v = std::fs::read(path).map_err(|e| format!("cannot read {what} {path}: {e}"))?;
    if v.is_empty() {
        return Err(format!("{what} {path} is empty"));
    }
    Ok(Rc::new(v))
}

struct Args {
    command: String,
    core: String,
    exe: Option<String>,
    debug_file: Option<String>,
    debug_dir: Option<String>,
    json: bool,
    no_mmap: bool,
    type_regex: Option<String>,
    addr: Option<u64>,
    retained: bool,
    cost: bool,
    depth: u32,
    /// `--depth` as given (-1: unbounded).
    depth_arg: Option<i64>,
    field: Option<String>,
    hex: bool,
    output: Option<String>,
}

fn parse_addr(s: &str) -> Result<u64, String> {
    let t = s.trim_start_matches("0x").trim_start_matches("0X");
    u64::from_str_radix(t, 16).map_err(|_| format!("not a hex address: {s}"))
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut positional = Vec::new();
    let mut exe = None;
    let mut debug_file = None;
    let mut debug_dir = None;
    let mut json = false;
    let mut no_mmap = std::env::var("HEAPWISE_NO_MMAP").is_ok_and(|v| v == "1");
    let mut type_regex = None;
    let mut retained = false;
    let mut cost = false;
    let mut depth = 3;
    let mut depth_arg = None;
    let mut field = None;
    let mut hex = false;
    let mut output = None;
    while let Some(a) = it.next() {
        match a.as_str() {
            "--exe" => exe = Some(it.next().ok_or("--exe needs a path")?),
            "--debug-file" => debug_file = Some(it.next().ok_or("--debug-file needs a path")?),
            "--debug-dir" => debug_dir = Some(it.next().ok_or("--debug-dir needs a directory")?),
            "--json" => json = true,
            "--no-mmap" => no_mmap = true,
            "--type" => type_regex = Some(it.next().ok_or("--type needs a pattern")?),
            "--retained" => retained = true,
            "--cost" => cost = true,
            "--field" => field = Some(it.next().ok_or("--field needs a field name")?),
            "--depth" => {
                let d = it.next().ok_or("--depth needs a number")?;
                let v: i64 = d.parse().map_err(|_| format!("--depth needs a number, not {d}"))?;
                if v < -1 {
                    return Err(format!("--depth needs a number of levels or -1, not {d}"));
                }
                depth = v.clamp(0, u32::MAX as i64) as u32;
                depth_arg = Some(v);
            }
            "--hex" => hex = true,
            "-o" | "--output" => output = Some(it.next().ok_or("-o needs a file name")?),
            "-h" | "--help" => return Err(USAGE.to_string()),
            _ if a.starts_with("--") => return Err(format!("unknown option {a} (see heapwise --help)")),
            _ => positional.push(a),
        }
    }
    if positional.len() < 2 {
        return Err("usage: heapwise <command> <core> [--exe <exe>] [--json] (heapwise --help lists the commands)".to_string());
    }
    let command = positional[0].clone();
    let core = positional[1].clone();
    let addr = match command.as_str() {
        "object" | "path" | "whatif" | "anchors" | "owners" | "graph" => Some(parse_addr(positional.get(2).ok_or(format!("{command} needs an address"))?)?),
        _ => None,
    };
    Ok(Args { command, core, exe, debug_file, debug_dir, json, no_mmap, type_regex, addr, retained, cost, depth, depth_arg, field, hex, output })
}

/// The separate debug file for an executable without DWARF: `--debug-file`; else, as gdb
/// looks for it, `DIR/.build-id/xx/yyyy.debug` of the GNU build ID under `--debug-dir` and
/// /usr/lib/debug, then the `.gnu_debuglink` name next to the executable, in its `.debug/`,
/// under `--debug-dir` and /usr/lib/debug plus the executable's directory.
fn debug_file_for(args: &Args, exe_path: &str, exe: &dyn ByteSource) -> Result<Option<String>, String> {
    if let Some(p) = &args.debug_file {
        return Ok(Some(p.clone()));
    }
    let Some(bytes) = exe.as_slice() else { return Ok(None) };
    let Some(parsed) = heapwise_core::formats::exe::debug_hints(bytes) else { return Ok(None) };
    if parsed.has_dwarf {
        return Ok(None);
    }
    let dirs: Vec<PathBuf> = args.debug_dir.iter().map(PathBuf::from).chain([PathBuf::from("/usr/lib/debug")]).collect();
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(rel) = &parsed.build_id_path {
        candidates.extend(dirs.iter().map(|d| d.join(".build-id").join(&rel)));
    }
    if let Some(link) = &parsed.debuglink {
        let exe_dir = std::fs::canonicalize(exe_path).ok().and_then(|p| p.parent().map(PathBuf::from)).unwrap_or_default();
        candidates.push(exe_dir.join(link));
        candidates.push(exe_dir.join(".debug").join(link));
        for d in &dirs {
            candidates.push(d.join(exe_dir.strip_prefix("/").unwrap_or(&exe_dir)).join(link));
        }
    }
    let exe_canon = std::fs::canonicalize(exe_path).ok();
    Ok(candidates
        .into_iter()
        .find(|c| c.is_file() && std::fs::canonicalize(c).ok() != exe_canon)
        .map(|c| c.to_string_lossy().into_owned()))
}

/// The executable named in the core's NT_FILE note, when the user gave none.
fn exe_from_core(core: &dyn ByteSource) -> Result<String, String> {
    let cf = heapwise_core::formats::elfcore::CoreFile::parse(core).map_err(|e| e.to_string())?;
    let entry = cf.auxv_value(heapwise_core::formats::elfcore::AT_ENTRY);
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
    let known = [
        "overview", "histogram", "garbage", "objects", "object", "path", "goroutines", "breakdown", "dominators", "suspects", "whatif",
        "records", "anchors", "owners", "graph",
    ];
    if !known.contains(&args.command.as_str()) {
        return Err(format!("unknown command '{}'; commands: {} (see heapwise --help)", args.command, known.join(", ")));
    }
    let paged = if args.no_mmap { Some(open_paged(&args.core)?) } else { None };
    let core: Rc<dyn ByteSource> = match &paged {
        Some(p) => p.clone(),
        None => map_file(&args.core, "core")?,
    };
    if args.command == "records" {
        return print_records(&*core, args.json);
    }
    if args.command == "graph" && args.output.is_none() {
        return Err("graph needs an output file: -o out.svg".into());
    }
    // HEAPWISE_STATS=1: how long each phase took.
    let stats = std::env::var("HEAPWISE_STATS").is_ok_and(|v| v == "1");
    let (t0, mut phase, mut phase_start) = (std::time::Instant::now(), String::new(), 0.0f64);
    let mut progress = |p: &str, _f: f64| {
        if stats && p != phase {
            let now = t0.elapsed().as_secs_f64();
            if !phase.is_empty() {
                eprintln!("stats: phase {phase}: {:.2} s", now - phase_start);
            }
            phase = p.to_string();
            phase_start = now;
        }
        true
    };
    let analysis = if heapwise_core::formats::heapdump::looks_like_heapdump(&*core) {
        let exe = match &args.exe {
            Some(p) => Some(if args.no_mmap { read_whole(p, "executable")? } else { map_file(p, "executable")? }),
            None => None,
        };
        Analysis::open_heapdump(core, exe, &mut progress).map_err(|e| e.to_string())?
    } else {
        let exe_path = match &args.exe {
            Some(e) => e.clone(),
            None => exe_from_core(&*core)?,
        };
        let exe = if args.no_mmap { read_whole(&exe_path, "executable")? } else { map_file(&exe_path, "executable")? };
        let debug = match debug_file_for(&args, &exe_path, &*exe)? {
            Some(p) => Some(if args.no_mmap { read_whole(&p, "debug file")? } else { map_file(&p, "debug file")? }),
            None => None,
        };
        Analysis::open_with_debug(core, exe, debug, &mut progress).map_err(|e| e.to_string())?
    };
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
                let pct = |b: u64| if o.live_bytes == 0 { 0.0 } else { 100.0 * b as f64 / o.live_bytes as f64 };
                println!("named: {:.2}% of live bytes ({} of {} bytes carry a Go type name)", pct(o.named_bytes), o.named_bytes, o.live_bytes);
                if o.inferred_bytes > 0 {
                    println!("inferred by layout (not counted as named): {:.2}% ({} bytes)", pct(o.inferred_bytes), o.inferred_bytes);
                }
                for r in &o.unnamed {
                    println!("  unnamed {:>6.2}%  {:>12} bytes {:>10} objects  {}", pct(r.bytes), r.bytes, r.objects, r.reason);
                }
            }
        }
        "histogram" | "garbage" => {
            let rows = match (args.command.as_str(), args.retained, args.cost) {
                ("histogram", true, _) => {
                    let t = std::time::Instant::now();
                    analysis.dom();
                    if stats {
                        eprintln!("stats: phase dominators and retained sizes: {:.2} s", t.elapsed().as_secs_f64());
                    }
                    analysis.histogram_retained()
                }
                ("histogram", false, true) => analysis.histogram_cost(),
                ("histogram", false, false) => analysis.histogram(),
                _ => analysis.garbage_histogram(),
            };
            if args.json {
                print_json(&rows);
            } else if args.cost {
                println!("{:>12} {:>14} {:>14} {:>12}  type", "count", "bytes", "rounding", "padding");
                for r in rows {
                    println!("{:>12} {:>14} {:>14} {:>12}  {}", r.count, r.bytes, r.rounding_waste.unwrap_or(0), r.padding.unwrap_or(0), r.type_name);
                }
            } else if args.retained {
                println!("{:>12} {:>14} {:>14}  type", "count", "bytes", "retained");
                for r in rows {
                    println!("{:>12} {:>14} {:>14}  {}", r.count, r.bytes, r.retained.unwrap_or(0), r.type_name);
                }
            } else {
                println!("{:>12} {:>14}  type", "count", "bytes");
                for r in rows {
                    println!("{:>12} {:>14}  {}", r.count, r.bytes, r.type_name);
                }
            }
        }
        "dominators" => {
            let tree = analysis.dominator_tree(args.depth.max(1), 20);
            if args.json {
                print_json(&tree);
            } else {
                println!("live heap {} bytes; objects directly under the roots, by retained size:", analysis.dom().total_live);
                print_dominators(&tree, 0);
            }
        }
        "suspects" => {
            let sus = analysis.suspects(0.10);
            if args.json {
                print_json(&sus);
            } else if sus.is_empty() {
                println!("no object or type retains 10% or more of the live heap");
            } else {
                for (i, s) in sus.iter().enumerate() {
                    println!("suspect {}: {} {} retains {} bytes ({:.1}% of live heap){}", i + 1, s.kind, s.name, s.retained, s.percent,
                        if s.kind == "type" { format!(" in {} instances", s.instances) } else { format!(" at {:#x}", s.addr) });
                    if let Some(a) = &s.accumulation {
                        println!("  accumulation point: {:#x} {} retaining {} bytes in {} dominated objects", a.addr, a.type_name, a.retained, s.accumulation_children);
                    }
                    if let Some(p) = &s.path {
                        println!("  path: {} {}", p.root.kind, p.root.name);
                        for h in p.hops.iter().take(12) {
                            println!("    -> {:#x} {} (via {})", h.addr, h.type_name, h.field);
                        }
                        if p.hops.len() > 12 {
                            println!("    ... {} more hops", p.hops.len() - 12);
                        }
                    }
                }
            }
        }
        "whatif" => {
            let w = analysis.whatif(args.addr.unwrap_or(0), args.field.as_deref()).map_err(|e| e.to_string())?;
            if args.json {
                print_json(&w);
            } else {
                let what = if w.field.is_empty() { format!("{:#x} became unreachable", w.addr) } else { format!("{:#x}.{} were nil", w.addr, w.field) };
                println!("if {what}: {} objects, {} bytes would become garbage", w.freed_objects, w.freed_bytes);
                for r in w.freed_types.iter().take(20) {
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
                if args.hex {
                    print_hex(&d);
                }
            }
        }
        "anchors" => {
            let a = analysis.anchors(args.addr.unwrap_or(0)).map_err(|e| e.to_string())?;
            if args.json {
                print_json(&a);
            } else {
                println!("{:#x} {}: reachable from {} roots ({} owners visited{})", a.addr, a.type_name, a.anchors.len(), a.owners_visited,
                    if a.truncated { ", walk truncated" } else { "" });
                for r in &a.anchors {
                    println!("  {:>4} hops  {} {} -> {:#x} {}", r.distance, r.kind, r.name, r.target, r.target_type);
                }
            }
        }
        "owners" => {
            let depth = args.depth_arg.filter(|&d| d >= 0).map(|d| d as u32);
            let o = analysis.owners(args.addr.unwrap_or(0), depth).map_err(|e| e.to_string())?;
            if args.json {
                print_json(&o);
            } else {
                print_owners(&o);
            }
        }
        "graph" => {
            let depth = args.depth_arg.filter(|&d| d >= 0).map(|d| d as u32);
            let svg = analysis.owners_svg(args.addr.unwrap_or(0), depth).map_err(|e| e.to_string())?;
            let out = args.output.as_deref().unwrap_or("owners.svg");
            std::fs::write(out, svg).map_err(|e| format!("cannot write {out}: {e}"))?;
            println!("wrote {out}");
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
    print_stats(paged.as_deref());
    drop(analysis);
    Ok(())
}

/// `heapwise records`: every record of a heap dump, one line each, with its file offset.
fn print_records(src: &dyn ByteSource, json: bool) -> Result<(), String> {
    use std::io::Write;
    use heapwise_core::formats::heapdump::{Reader, Record};
    if !heapwise_core::formats::heapdump::is_heapdump(src) {
        heapwise_core::formats::heapdump::check_header(src).map_err(|e| format!("records reads heap dumps: {e}"))?;
    }
    let mut rd = Reader::new(src).map_err(|e| e.to_string())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut n = 0u64;
    loop {
        match rd.next_record() {
            Ok(Some(r)) => {
                n += 1;
                let at = rd.record_offset();
                let line = if json {
                    serde_json::json!({"offset": at, "tag": r.tag(), "kind": r.kind_name(), "text": r.to_string()}).to_string()
                } else {
                    format!("{at:>12} {r}")
                };
                if writeln!(out, "{line}").is_err() {
                    return Ok(());
                }
                if r == Record::Eof {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                let _ = out.flush();
                eprintln!("warning: {e} (after {n} records)");
                break;
            }
        }
    }
    let _ = out.flush();
    Ok(())
}

fn print_hex(d: &ObjectDetail) {
    let ptrs: std::collections::HashSet<u64> = d.pointer_offsets.iter().copied().collect();
    println!("bytes ({} shown; [..] marks pointer words):", d.bytes.len());
    for (row, chunk) in d.bytes.chunks(16).enumerate() {
        let off = row as u64 * 16;
        let mut line = format!("  {:#010x} +{:<5x}", d.addr + off, off);
        for (w, word) in chunk.chunks(8).enumerate() {
            let o = off + w as u64 * 8;
            let hex: String = word.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
            if ptrs.contains(&o) {
                line.push_str(&format!(" [{hex}]"));
            } else {
                line.push_str(&format!("  {hex} "));
            }
        }
        let ascii: String = chunk.iter().map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' }).collect();
        println!("{line}  |{ascii}|");
    }
}

fn print_owners(o: &heapwise_core::graph::owners::Owners) {
    let by_addr: std::collections::HashMap<u64, &heapwise_core::graph::owners::OwnerNode> = o.nodes.iter().map(|n| (n.addr, n)).collect();
    let mut referrers: std::collections::HashMap<u64, Vec<&heapwise_core::graph::owners::OwnerEdge>> = Default::default();
    for e in &o.edges {
        referrers.entry(e.to).or_default().push(e);
    }
    // Depth-first, iteratively; an object already printed is referenced, not repeated.
    let mut printed = std::collections::HashSet::new();
    let mut stack: Vec<(u64, usize, String)> = vec![(o.addr, 0, String::new())];
    while let Some((a, indent, field)) = stack.pop() {
        let Some(n) = by_addr.get(&a) else { continue };
        let roots = if n.roots.is_empty() { String::new() } else { format!("  <= {}", n.roots.join("; ")) };
        let fin = if n.finalizer { " [finalizer]" } else { "" };
        let garbage = if n.live { "" } else { " [garbage]" };
        let via = if field.is_empty() { String::new() } else { format!(" .{field}") };
        let arrow = if indent == 0 { "" } else { "<- " };
        if !printed.insert(a) {
            println!("{:indent$}{arrow}{a:#x} {}{via} (see above)", "", n.type_name, indent = indent);
            continue;
        }
        println!("{:indent$}{arrow}{a:#x} {} ({} B){via}{fin}{garbage}{roots}", "", n.type_name, n.size, indent = indent);
        if let Some(rs) = referrers.get(&a) {
            for e in rs.iter().rev() {
                stack.push((e.from, indent + 2, e.field.clone()));
            }
        }
    }
    if o.truncated {
        println!("(more owners past the depth or node limit)");
    }
}

fn print_dominators(nodes: &[DominatorNode], indent: usize) {
    for n in nodes {
        println!(
            "{:indent$}{:#x} {} size {} retained {} ({} dominated)",
            "", n.addr, n.type_name, n.size, n.retained, n.child_count, indent = indent + 2
        );
        print_dominators(&n.children, indent + 2);
    }
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
    println!("requested {} bytes: {} lost to size-class rounding, {} of struct padding", d.requested, d.rounding_waste, d.padding);
    if d.live {
        println!("retained {} bytes", d.retained);
        if !d.dominators.is_empty() {
            println!("dominated by:");
            for r in &d.dominators {
                println!("  {:#x} {} (retains {})", r.addr, r.type_name, r.retained);
            }
        }
    }
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
/// RSS includes the mapped core's resident pages, RssAnon is the analysis's own memory
/// (and, with `--no-mmap`, the page cache, whose counters follow).
fn print_stats(paged: Option<&paged::SetCache<paged::PreadFile>>) {
    if std::env::var("HEAPWISE_STATS").is_ok_and(|v| v == "1") {
        if let Some(p) = paged {
            let s = p.stats();
            eprintln!(
                "stats: page cache: {} hits, {} misses, {} direct reads, {} MiB read",
                s.hits,
                s.misses,
                s.direct,
                s.inner_bytes >> 20
            );
        }
        if let Ok(s) = std::fs::read_to_string("/proc/self/status") {
            for l in s.lines().filter(|l| l.starts_with("VmHWM") || l.starts_with("RssAnon") || l.starts_with("RssFile")) {
                eprintln!("stats: {}", l.split_whitespace().collect::<Vec<_>>().join(" "));
            }
        }
    }
}

/// Output cut short by a closed pipe (`heapwise objects core | head`) ends the program
/// quietly; any other panic, a bug, is reported on one line (the backtrace with
/// RUST_BACKTRACE set).
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("panic");
        if msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        if std::env::var_os("RUST_BACKTRACE").is_some() {
            default(info);
        }
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("heapwise: internal error: {}{at} (a bug in heapwise: please report it)", msg.replace('\n', " "));
    }));
}

fn main() -> ExitCode {
    install_panic_hook();
    if std::env::args().skip(1).any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("heapwise: {e}");
            ExitCode::FAILURE
        }
    }
}
