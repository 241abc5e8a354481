//! `heapwise <command> <core> [options]`: the native command-line view over heapwise-core's
//! analysis API. Arguments are parsed with clap; `heapwise --help` lists every command and
//! option (README.md's CLI table lists the same).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;

use clap::error::{ContextKind, ErrorKind};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use heapwise_core::report::*;
use heapwise_core::source::ByteSource;
use heapwise_core::Analysis;
use heapwise_sources::{CacheConfig, PageCache, SparsePages};

use heapwise_cli::files::{MappedFile, PreadFile};

/// heapwise: what holds the memory of a Go process, from its core file or heap dump.
///
/// The file is an ELF core (as written by gcore or the kernel, or zstd-compressed as
/// systemd-coredump stores it) or a runtime/debug.WriteHeapDump file, told apart by their
/// first bytes. Addresses are hexadecimal, with or without 0x.
#[derive(Parser)]
#[command(name = "heapwise", version, subcommand_required = true, disable_help_subcommand = true, max_term_width = 100)]
struct Cli {
    #[command(flatten)]
    opts: Options,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes.
#[derive(Args)]
struct Options {
    /// The executable that made the core (default: the one the core's NT_FILE note names,
    /// when it exists); for a heap dump, optional: it names the types
    #[arg(long, global = true, value_name = "EXE")]
    exe: Option<PathBuf>,
    /// Print JSON instead of text
    #[arg(long, global = true)]
    json: bool,
    /// Read the core with pread through a bounded page cache instead of mapping it (peak RSS
    /// stays bounded)
    #[arg(long, global = true, env = "HEAPWISE_NO_MMAP", value_parser = clap::builder::FalseyValueParser::new())]
    no_mmap: bool,
    /// Debug info for a stripped executable: the separate file holding its DWARF (its build
    /// ID must match the executable's)
    #[arg(long, global = true, value_name = "PATH")]
    debug_file: Option<PathBuf>,
    /// Debug info for a stripped executable: look for it as DIR/.build-id/xx/yyyy.debug
    /// (debuginfod caches) and by its .gnu_debuglink name (also next to the executable, in
    /// its .debug/ and under /usr/lib/debug)
    #[arg(long, global = true, value_name = "DIR")]
    debug_dir: Option<PathBuf>,
}

/// The file to analyze.
#[derive(Args)]
struct Input {
    /// ELF core (plain or zstd-compressed) or heap dump
    #[arg(value_name = "CORE")]
    core: PathBuf,
}

/// The object a command is about.
#[derive(Args)]
struct At {
    /// Address of a heap object (hex), or of any byte inside it
    #[arg(value_name = "ADDR", value_parser = parse_addr)]
    addr: u64,
}

/// `--depth N|-1`: a number of levels, or no limit.
#[derive(Clone, Copy, Debug)]
struct Depth(Option<u32>);

#[derive(Subcommand)]
enum Command {
    /// Go version, arch, threads, goroutines, live and garbage objects and bytes
    Overview(Input),
    /// Live objects per type: count and bytes (sum of slot sizes), largest first
    Histogram {
        #[command(flatten)]
        input: Input,
        /// Also each type's retained bytes, largest retained first (builds the dominator
        /// tree)
        #[arg(long, conflicts_with = "cost")]
        retained: bool,
        /// Also the bytes each type loses to size-class rounding and to struct padding
        #[arg(long, conflicts_with = "sites")]
        cost: bool,
        /// Instead: the top allocation sites of the type's live instances the heap profiler
        /// sampled, each with its count and bytes unsampled as pprof unsamples them
        #[arg(long, value_name = "TYPE", conflicts_with = "retained")]
        sites: Option<String>,
    },
    /// Allocated but unreachable objects per type
    Garbage(Input),
    /// Every live object: address, size, type
    Objects {
        #[command(flatten)]
        input: Input,
        /// Only the objects whose type name matches REGEX
        #[arg(long = "type", value_name = "REGEX")]
        type_regex: Option<String>,
    },
    /// One object: type, size, size class, typed fields, pointers out and in
    Object {
        #[command(flatten)]
        input: Input,
        #[command(flatten)]
        at: At,
        /// Also dump its bytes, pointer words in brackets
        #[arg(long)]
        hex: bool,
    },
    /// A shortest path from a GC root to the object: the root, then each hop
    Path {
        #[command(flatten)]
        input: Input,
        #[command(flatten)]
        at: At,
    },
    /// Goroutines: id, status, wait reason, frames and their live pointers; with --group,
    /// groups of goroutines with the same stack and status and the bytes each group keeps
    /// alive, most first
    Goroutines {
        #[command(flatten)]
        input: Input,
        /// One row per group (same status, wait reason and frames; leaked or not), with its
        /// retained bytes, creation site and, by Go 1.27's rule, whether it is leaked
        #[arg(long)]
        group: bool,
    },
    /// Leaked goroutines by Go 1.27's goroutine leak rule, on any release: blocked on a
    /// channel, select, mutex, cond or wait group that no goroutine able to run can reach.
    /// Groups with count, wait reason, creation site, retained bytes and what they block on
    Leaks(Input),
    /// Where the memory goes: live, garbage, free slots, span waste, stacks, ...
    Breakdown(Input),
    /// The top of the dominator tree: the objects directly under the roots by retained
    /// size, and what each dominates (at most 20 children per node)
    Dominators {
        #[command(flatten)]
        input: Input,
        /// Levels to show (-1: all); past 32 levels a line shows its depth instead of being
        /// indented further. JSON: a flat list in preorder, each node with its depth and its
        /// parent's index
        #[arg(long, value_name = "N", default_value = "3", value_parser = parse_depth, allow_negative_numbers = true)]
        depth: Depth,
    },
    /// Leak suspects: objects and types retaining 10% or more of the live heap, with their
    /// accumulation point and a path from a root
    Suspects(Input),
    /// What would become garbage if the object were unreachable, or one of its pointer
    /// fields nil
    Whatif {
        #[command(flatten)]
        input: Input,
        #[command(flatten)]
        at: At,
        /// Set only this pointer field of the object to nil
        #[arg(long, value_name = "FIELD")]
        field: Option<String>,
    },
    /// Every record of a heap dump, one line each: file offset, kind, main fields
    Records(Input),
    /// Every root the object is reachable from, nearest first
    Anchors {
        #[command(flatten)]
        input: Input,
        #[command(flatten)]
        at: At,
    },
    /// The objects that refer to the object, transitively
    Owners {
        #[command(flatten)]
        input: Input,
        #[command(flatten)]
        at: At,
        /// Levels of referrers to follow (-1 or none given: no limit)
        #[arg(long, value_name = "N", value_parser = parse_depth, allow_negative_numbers = true)]
        depth: Option<Depth>,
    },
    /// The owners graph as an SVG picture: finalizer objects in red, owners that reach no
    /// root except through the object pruned
    Graph {
        #[command(flatten)]
        input: Input,
        #[command(flatten)]
        at: At,
        /// The SVG file to write
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
        /// Levels of referrers to follow (-1 or none given: no limit)
        #[arg(long, value_name = "N", value_parser = parse_depth, allow_negative_numbers = true)]
        depth: Option<Depth>,
    },
    /// Compare two or three snapshots (cores or heap dumps) of one process: per type counts,
    /// bytes and retained bytes with their deltas (largest growth of retained bytes first);
    /// objects survived, new and freed between consecutive snapshots; leak candidates (new in
    /// the second, still alive in the third) clustered by the path that retains them
    Diff {
        /// The snapshots, oldest first: base, target and optionally final
        #[arg(value_name = "SNAPSHOT", num_args = 2..=3, required = true)]
        snapshots: Vec<PathBuf>,
    },
    /// The heap profile the process would have served at /debug/pprof/heap when the core
    /// was taken (runtime/pprof's own format: alloc_objects, alloc_space, inuse_objects,
    /// inuse_space, unsampled as runtime/pprof does), for go tool pprof
    Pprof {
        #[command(flatten)]
        input: Input,
        /// The profile file to write (gzipped protobuf, e.g. heap.pb.gz)
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
        /// Instead: the retention profile, each live object charged to its dominator chain
        /// from the roots (root, then the field and type of each hop, its type last), with
        /// inuse_objects, inuse_space and retained_space; go tool pprof -http draws retained
        /// memory as a flame graph. Cores and heap dumps
        #[arg(long)]
        retention: bool,
        /// With --retention: charge each object to the first path marking reached it by
        /// (goref's convention) instead of its dominator chain
        #[arg(long, requires = "retention")]
        first_path: bool,
    },
}

impl Command {
    fn input(&self) -> &Input {
        use Command::*;
        match self {
            Overview(i) | Garbage(i) | Leaks(i) | Breakdown(i) | Suspects(i) | Records(i) => i,
            Goroutines { input, .. } => input,
            Histogram { input, .. } | Objects { input, .. } | Object { input, .. } | Path { input, .. } => input,
            Dominators { input, .. } | Whatif { input, .. } | Anchors { input, .. } | Owners { input, .. } => input,
            Graph { input, .. } | Pprof { input, .. } => input,
            Diff { .. } => unreachable!("diff reads several inputs (run_diff)"),
        }
    }
}

/// The text form of `goroutines --group` and `leaks`.
fn print_goroutine_groups(groups: &[heapwise_core::report::GoroutineGroupInfo]) {
    for g in groups {
        let reason = if g.wait_reason.is_empty() { String::new() } else { format!(", {}", g.wait_reason) };
        // As Go prints it: whole minutes, from one minute on.
        let waited = g.waiting_ns.filter(|&ns| ns >= 60_000_000_000).map(|ns| format!(", {} minutes", ns / 60_000_000_000)).unwrap_or_default();
        let leaked = if g.leaked { " LEAKED" } else { "" };
        println!("{} goroutines [{}{}{}]{}  retained {} bytes", g.count, g.status, reason, waited, leaked, g.retained);
        let ids: Vec<String> = g.goroutines.iter().take(16).map(|i| i.to_string()).collect();
        let more = if g.goroutines.len() > 16 { format!(" ... ({} more)", g.goroutines.len() - 16) } else { String::new() };
        println!("  ids: {}{}", ids.join(" "), more);
        for f in &g.frames {
            println!("  {}\n      {}:{}", f.function, f.file, f.line);
        }
        if !g.labels.is_empty() {
            let l: Vec<String> = g.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            println!("  labels: {}", l.join(" "));
        }
        if let Some(c) = &g.created_by {
            let parent = g.created_in.map(|p| format!(" in goroutine {p}")).unwrap_or_default();
            println!("  created by {}{}\n      {}:{}", c.function, parent, c.file, c.line);
        }
        for b in &g.blocked_on {
            let path = b.path.as_deref().unwrap_or("no path from a root");
            println!("  blocked on {} {:#x} {} ({})", b.kind, b.addr, b.type_name, path);
        }
        for o in g.top_objects.iter().take(5) {
            println!("  holds {:#x} {} ({} bytes)", o.addr, o.type_name, o.size);
        }
    }
}

fn parse_addr(s: &str) -> Result<u64, String> {
    let t = s.trim_start_matches("0x").trim_start_matches("0X");
    u64::from_str_radix(t, 16).map_err(|_| format!("not a hex address: {s}"))
}

fn parse_depth(s: &str) -> Result<Depth, String> {
    match s.parse::<i64>() {
        Ok(-1) => Ok(Depth(None)),
        Ok(v) if v >= 0 => Ok(Depth(Some(v.min(u32::MAX as i64) as u32))),
        _ => Err(format!("a number of levels or -1 (no limit), not {s}")),
    }
}

/// The clap command, its help ending with every command's own options (so that
/// `heapwise --help` lists all of them).
fn cli_command() -> clap::Command {
    let cmd = Cli::command();
    let mut rows = Vec::new();
    for sub in cmd.get_subcommands() {
        for a in sub.get_arguments().filter(|a| !a.is_positional()) {
            let mut flag = match (a.get_short(), a.get_long()) {
                (Some(s), Some(l)) => format!("-{s}, --{l}"),
                (None, Some(l)) => format!("--{l}"),
                (Some(s), None) => format!("-{s}"),
                (None, None) => continue,
            };
            if a.get_action().takes_values() {
                let name = a.get_value_names().and_then(|v| v.first()).map_or("VALUE".to_string(), |v| v.to_string());
                flag.push_str(&format!(" <{name}>"));
            }
            let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
            // Its first clause: the full text is in `heapwise <command> --help`.
            let first = help.split(['.', ';']).next().unwrap_or("").trim().to_string();
            rows.push((format!("{} {flag}", sub.get_name()), first));
        }
    }
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let mut text = String::from("Command options (heapwise <command> --help tells more):\n");
    for (flag, help) in rows {
        text.push_str(&format!("  {flag:width$}  {help}\n"));
    }
    text.push_str("\nWithout --exe, the executable named in the core's NT_FILE note is used when it exists.\nHEAPWISE_STATS=1 prints phase times and memory figures to stderr.");
    cmd.after_help(text)
}

/// A clap error on one line (the CLI's contract: `heapwise: <problem>`, no panic), the
/// messages of the hand-written parser kept.
fn parse_error(e: &clap::Error, argv: &[std::ffi::OsString]) -> String {
    let ctx = |k| e.get(k).map(|v| v.to_string()).unwrap_or_default();
    let commands: Vec<String> = Cli::command().get_subcommands().map(|c| c.get_name().to_string()).collect();
    let command = argv
        .iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .find(|a| commands.iter().any(|c| c == a))
        .unwrap_or("<command>")
        .to_string();
    match e.kind() {
        ErrorKind::UnknownArgument => {
            let arg = ctx(ContextKind::InvalidArg);
            if arg.starts_with('-') {
                format!("unknown option {arg} for {command} (see heapwise {command} --help)")
            } else {
                format!("unexpected argument {arg} for {command} (see heapwise {command} --help)")
            }
        }
        ErrorKind::InvalidSubcommand => format!(
            "unknown command '{}'; commands: {} (see heapwise --help)",
            ctx(ContextKind::InvalidSubcommand),
            commands.join(", ")
        ),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "usage: heapwise <command> <core> [--exe <exe>] [--json] (heapwise --help lists the commands)".into()
        }
        ErrorKind::MissingRequiredArgument => {
            let missing = ctx(ContextKind::InvalidArg);
            if missing.contains("<CORE>") {
                format!("usage: heapwise <command> <core> [--exe <exe>] [--json]: {command} needs a core (heapwise --help lists the commands)")
            } else if missing.contains("<ADDR>") {
                format!("{command} needs an address (usage: heapwise {command} <core> <addr>)")
            } else if missing.contains("--output") {
                let ext = if command == "pprof" { "heap.pb.gz" } else { "out.svg" };
                format!("{command} needs an output file: -o {ext}")
            } else {
                format!("{command} needs {missing} (see heapwise {command} --help)")
            }
        }
        _ => {
            // clap's own first line, without its "error: " prefix.
            let text = e.render().to_string();
            let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("bad arguments");
            let help = if command == "<command>" { "heapwise --help".to_string() } else { format!("heapwise {command} --help") };
            format!("{} (see {help})", line.trim_start_matches("error: ").trim())
        }
    }
}

fn map_file(path: &Path, what: &str) -> Result<Rc<dyn ByteSource>, String> {
    let p = path.display();
    let f = std::fs::File::open(path).map_err(|e| format!("cannot open {what} {p}: {e}"))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len == 0 {
        return Err(format!("{what} {p} is empty"));
    }
    let m = MappedFile::map(&f).map_err(|e| format!("cannot map {what} {p}: {e}"))?;
    Ok(Rc::new(m))
}

/// Capacity of the core's page cache in `--no-mmap` mode (64 KiB pages, 8 ways). On the
/// scale core (930 MB heap) pages of 8 KiB to 64 KiB and capacities of 16 MiB to 128 MiB
/// gave the same misses within 3%: the analysis streams through the heap twice.
const NO_MMAP_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// The executable, read whole into memory (it is small, and its DWARF is read zero-copy).
fn read_whole(path: &Path, what: &str) -> Result<Rc<dyn ByteSource>, String> {
    let p = path.display();
    let v = std::fs::read(path).map_err(|e| format!("cannot read {what} {p}: {e}"))?;
    if v.is_empty() {
        return Err(format!("{what} {p} is empty"));
    }
    Ok(Rc::new(v))
}

/// A zstd stream (a systemd-coredump core, or any `.zst`) is decompressed into a sparse page
/// store, as the page does; anything else is returned as it is.
fn decompress_if_zstd(src: Rc<dyn ByteSource>, path: &Path, what: &str, stats: bool) -> Result<Rc<dyn ByteSource>, String> {
    let mut head = [0u8; 4];
    if src.size() < 4 || src.read_at(0, &mut head).is_err() || !heapwise_sources::is_zstd(&head) {
        return Ok(src);
    }
    let t = std::time::Instant::now();
    let pages = SparsePages::from_zstd(&*src, &mut |_| true).map_err(|e| format!("cannot decompress {what} {}: {e}", path.display()))?;
    if stats {
        eprintln!(
            "stats: phase decompressing the {what}: {:.2} s, {} MiB held of {} MiB",
            t.elapsed().as_secs_f64(),
            pages.stored_bytes() >> 20,
            pages.size() >> 20
        );
    }
    if pages.size() == 0 {
        return Err(format!("{what} {} decompresses to nothing", path.display()));
    }
    Ok(Rc::new(pages))
}

/// The core (or heap dump), and the page cache it is read through with `--no-mmap`.
struct Core {
    src: Rc<dyn ByteSource>,
    cache: Option<Rc<PageCache<PreadFile>>>,
}

fn open_core(path: &Path, no_mmap: bool, stats: bool) -> Result<Core, String> {
    if !no_mmap {
        return Ok(Core { src: decompress_if_zstd(map_file(path, "core")?, path, "core", stats)?, cache: None });
    }
    // Without mapping: pread behind a bounded page cache, so that none of the core's pages
    // count in this process's resident set beyond the cache.
    let file = PreadFile::open(path).map_err(|e| format!("cannot open core {}: {e}", path.display()))?;
    if file.size() == 0 {
        return Err(format!("core {} is empty", path.display()));
    }
    let cache = Rc::new(PageCache::with_config(file, CacheConfig::pread(NO_MMAP_CACHE_BYTES)));
    let src = decompress_if_zstd(cache.clone(), path, "core", stats)?;
    // A decompressed core is in memory: the cache is not used past decompression.
    let cache = (Rc::strong_count(&cache) > 1).then_some(cache);
    Ok(Core { src, cache })
}

/// Where the executable and its debug info come from.
struct ExeSpec<'a> {
    /// `--exe`; `None`: the one the core names (a core), or none (a heap dump).
    path: Option<&'a Path>,
    /// `--debug-file`, `--debug-dir`: debug info for a stripped executable.
    debug_file: Option<&'a Path>,
    debug_dir: Option<&'a Path>,
    no_mmap: bool,
}

impl ExeSpec<'_> {
    /// The separate debug file for an executable without DWARF: `--debug-file`; else, as gdb
    /// looks for it, `DIR/.build-id/xx/yyyy.debug` of the GNU build ID under `--debug-dir` and
    /// /usr/lib/debug, then the `.gnu_debuglink` name next to the executable, in its `.debug/`,
    /// under `--debug-dir` and /usr/lib/debug plus the executable's directory.
    fn debug_file_for(&self, exe_path: &Path, exe: &dyn ByteSource) -> Option<PathBuf> {
        if let Some(p) = self.debug_file {
            return Some(p.to_path_buf());
        }
        let parsed = heapwise_core::formats::exe::debug_hints(exe.as_slice()?)?;
        if parsed.has_dwarf {
            return None;
        }
        let dirs: Vec<PathBuf> = self.debug_dir.iter().map(|d| d.to_path_buf()).chain([PathBuf::from("/usr/lib/debug")]).collect();
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Some(rel) = &parsed.build_id_path {
            candidates.extend(dirs.iter().map(|d| d.join(".build-id").join(rel)));
        }
        let exe_canon = std::fs::canonicalize(exe_path).ok();
        if let Some(link) = &parsed.debuglink {
            let exe_dir = exe_canon.as_ref().and_then(|p| p.parent().map(PathBuf::from)).unwrap_or_default();
            candidates.push(exe_dir.join(link));
            candidates.push(exe_dir.join(".debug").join(link));
            for d in &dirs {
                candidates.push(d.join(exe_dir.strip_prefix("/").unwrap_or(&exe_dir)).join(link));
            }
        }
        candidates.into_iter().find(|c| c.is_file() && std::fs::canonicalize(c).ok() != exe_canon)
    }

    fn open(&self, path: &Path, stats: bool) -> Result<Rc<dyn ByteSource>, String> {
        let src = if self.no_mmap { read_whole(path, "executable")? } else { map_file(path, "executable")? };
        decompress_if_zstd(src, path, "executable", stats)
    }
}

/// The executable named in the core's NT_FILE note, when the user gave none.
fn exe_from_core(core: &dyn ByteSource) -> Result<PathBuf, String> {
    let cf = heapwise_core::formats::elfcore::CoreFile::parse(core).map_err(|e| e.to_string())?;
    let entry = cf.auxv_value(heapwise_core::formats::elfcore::AT_ENTRY);
    let candidate = cf
        .mapped_files
        .iter()
        .find(|m| entry.is_some_and(|e| m.start <= e && e < m.end))
        .or_else(|| cf.mapped_files.first())
        .map(|m| m.path.clone());
    match candidate {
        Some(p) if Path::new(&p).exists() => Ok(PathBuf::from(p)),
        Some(p) => Err(format!("the core was made by {p}, which does not exist here; pass --exe <executable>")),
        None => Err("the core names no executable (no NT_FILE note); pass --exe <executable>".to_string()),
    }
}

/// Runs `f` on a buffered stdout; a closed pipe (`heapwise ... | head`) is not an error.
fn with_stdout(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), String> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match f(&mut out).and_then(|_| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(format!("cannot write the output: {e}")),
        _ => Ok(()),
    }
}

/// Pretty-printed JSON, streamed (a report can be large).
fn print_json<T: serde::Serialize>(v: &T) -> Result<(), String> {
    with_stdout(|out| {
        serde_json::to_writer_pretty(&mut *out, v).map_err(io::Error::from)?;
        writeln!(out)
    })
}

fn run(cli: Cli) -> Result<(), String> {
    let Cli { opts, command } = cli;
    // HEAPWISE_STATS=1: how long each phase took.
    let stats = std::env::var("HEAPWISE_STATS").is_ok_and(|v| v == "1");
    let exe_spec = ExeSpec {
        path: opts.exe.as_deref(),
        debug_file: opts.debug_file.as_deref(),
        debug_dir: opts.debug_dir.as_deref(),
        no_mmap: opts.no_mmap,
    };
    if let Command::Diff { snapshots } = &command {
        return run_diff(snapshots, &exe_spec, opts.json, stats);
    }
    let core = open_core(&command.input().core, opts.no_mmap, stats)?;
    if let Command::Records(_) = command {
        return print_records(&*core.src, opts.json);
    }
    let mut clock = PhaseClock::new(stats);
    let analysis = load(&core, &exe_spec, stats, &mut clock)?;
    let json = opts.json;
    if !json {
        for w in analysis.warnings() {
            eprintln!("warning: {w}");
        }
    }
    match command {
        Command::Overview(_) => {
            let o = analysis.overview();
            if json {
                print_json(&o)?;
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
                    println!(
                        "inferred by layout (not counted as named): {:.2}% ({} bytes; labelled <inferred T>: the one type of the binary that fits the object's size and pointer words, or what such an object's type says of it)",
                        pct(o.inferred_bytes),
                        o.inferred_bytes
                    );
                }
                for r in &o.unnamed {
                    println!("  unnamed {:>6.2}%  {:>12} bytes {:>10} objects  {}", pct(r.bytes), r.bytes, r.objects, r.reason);
                }
            }
        }
        Command::Histogram { sites: Some(type_name), .. } => {
            let s = analysis.alloc_sites(&type_name).map_err(|e| e.to_string())?;
            if json {
                print_json(&s)?;
            } else {
                print_alloc_sites(&s);
            }
        }
        Command::Histogram { retained, cost, .. } => {
            let rows = if retained {
                let t = std::time::Instant::now();
                analysis.dom();
                if stats {
                    eprintln!("stats: phase dominators and retained sizes: {:.2} s", t.elapsed().as_secs_f64());
                }
                analysis.histogram_retained()
            } else if cost {
                analysis.histogram_cost()
            } else {
                analysis.histogram()
            };
            if json {
                print_json(&rows)?;
            } else if cost {
                println!("{:>12} {:>14} {:>14} {:>12}  type", "count", "bytes", "rounding", "padding");
                for r in rows {
                    println!("{:>12} {:>14} {:>14} {:>12}  {}", r.count, r.bytes, r.rounding_waste.unwrap_or(0), r.padding.unwrap_or(0), r.type_name);
                }
            } else if retained {
                println!("{:>12} {:>14} {:>14}  type", "count", "bytes", "retained");
                for r in rows {
                    println!("{:>12} {:>14} {:>14}  {}", r.count, r.bytes, r.retained.unwrap_or(0), r.type_name);
                }
            } else {
                print_histogram(&rows);
            }
        }
        Command::Garbage(_) => {
            let rows = analysis.garbage_histogram();
            if json {
                print_json(&rows)?;
            } else {
                print_histogram(&rows);
            }
        }
        Command::Dominators { depth, .. } => {
            let levels = depth.0.unwrap_or(u32::MAX).max(1);
            let tree = analysis.dominator_tree(levels, 20);
            if json {
                print_json(&tree)?;
            } else {
                let total_live = analysis.dom().total_live;
                with_stdout(|out| print_dominators(out, total_live, &tree))?;
            }
        }
        Command::Suspects(_) => {
            let sus = analysis.suspects(0.10);
            if json {
                print_json(&sus)?;
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
        Command::Whatif { at, field, .. } => {
            let w = analysis.whatif(at.addr, field.as_deref()).map_err(|e| e.to_string())?;
            if json {
                print_json(&w)?;
            } else {
                let what = if w.field.is_empty() { format!("{:#x} became unreachable", w.addr) } else { format!("{:#x}.{} were nil", w.addr, w.field) };
                println!("if {what}: {} objects, {} bytes would become garbage", w.freed_objects, w.freed_bytes);
                for r in w.freed_types.iter().take(20) {
                    println!("{:>12} {:>14}  {}", r.count, r.bytes, r.type_name);
                }
            }
        }
        Command::Objects { type_regex, .. } => {
            let rows = analysis.objects(type_regex.as_deref()).map_err(|e| e.to_string())?;
            if json {
                print_json(&rows)?;
            } else {
                with_stdout(|out| {
                    for r in rows {
                        writeln!(out, "{:#x} {:>8}  {}", r.addr, r.size, r.type_name)?;
                    }
                    Ok(())
                })?;
            }
        }
        Command::Object { at, hex, .. } => {
            let d = analysis.object(at.addr).map_err(|e| e.to_string())?;
            if json {
                print_json(&d)?;
            } else {
                print_object(&d);
                if hex {
                    print_hex(&d);
                }
            }
        }
        Command::Anchors { at, .. } => {
            let a = analysis.anchors(at.addr).map_err(|e| e.to_string())?;
            if json {
                print_json(&a)?;
            } else {
                println!("{:#x} {}: reachable from {} roots ({} owners visited{})", a.addr, a.type_name, a.anchors.len(), a.owners_visited,
                    if a.truncated { ", walk truncated" } else { "" });
                for r in &a.anchors {
                    println!("  {:>4} hops  {} {} -> {:#x} {}", r.distance, r.kind, r.name, r.target, r.target_type);
                }
            }
        }
        Command::Owners { at, depth, .. } => {
            let o = analysis.owners(at.addr, depth.and_then(|d| d.0)).map_err(|e| e.to_string())?;
            if json {
                print_json(&o)?;
            } else {
                print_owners(&o);
            }
        }
        Command::Graph { at, output, depth, .. } => {
            let svg = analysis.owners_svg(at.addr, depth.and_then(|d| d.0)).map_err(|e| e.to_string())?;
            std::fs::write(&output, svg).map_err(|e| format!("cannot write {}: {e}", output.display()))?;
            println!("wrote {}", output.display());
        }
        Command::Pprof { output, retention: true, first_path, .. } => {
            let chain = if first_path { heapwise_core::pprof::retention::Chain::FirstPath } else { heapwise_core::pprof::retention::Chain::Dominators };
            let t = std::time::Instant::now();
            let profile = analysis.retention_profile(chain, 0);
            let bytes = heapwise_core::pprof::encode_gzip(&profile);
            if stats {
                eprintln!("stats: phase retention profile: {:.2} s", t.elapsed().as_secs_f64());
            }
            std::fs::write(&output, bytes).map_err(|e| format!("cannot write {}: {e}", output.display()))?;
            if json {
                print_json(&serde_json::json!({ "output": output, "samples": profile.sample.len() }))?;
            } else {
                println!("wrote {} ({} samples)", output.display(), profile.sample.len());
            }
        }
        Command::Pprof { output, input, .. } => {
            let opts = profile_options(&*core.src, &input.core, exe_spec.path);
            let t = std::time::Instant::now();
            let (profile, notes) = analysis.heap_profile(&opts).map_err(|e| format!("no heap profile: {e}"))?;
            for n in notes {
                eprintln!("warning: {n}");
            }
            let bytes = heapwise_core::pprof::encode_gzip(&profile);
            if stats {
                eprintln!("stats: phase heap profile: {:.2} s", t.elapsed().as_secs_f64());
            }
            std::fs::write(&output, bytes).map_err(|e| format!("cannot write {}: {e}", output.display()))?;
            if json {
                print_json(&serde_json::json!({ "output": output, "samples": profile.sample.len(), "period": profile.period }))?;
            } else {
                println!("wrote {} ({} samples, period {})", output.display(), profile.sample.len(), profile.period);
            }
        }
        Command::Path { at, .. } => {
            let p = analysis.path(at.addr).map_err(|e| e.to_string())?;
            if json {
                print_json(&p)?;
            } else {
                println!("root: {} {}", p.root.kind, p.root.name);
                for h in &p.hops {
                    println!("  -> {:#x} {}  (via {})", h.addr, h.type_name, h.field);
                }
            }
        }
        Command::Goroutines { group: true, .. } => {
            let groups = analysis.goroutine_groups();
            if json {
                print_json(&groups)?;
            } else {
                print_goroutine_groups(&groups);
            }
        }
        Command::Leaks(_) => {
            let groups = analysis.goroutine_leaks();
            if json {
                print_json(&groups)?;
            } else if groups.is_empty() {
                println!("no leaked goroutines (Go 1.27's rule: every blocked goroutine waits on something a runnable one can reach)");
            } else {
                let n: u64 = groups.iter().map(|g| g.count).sum();
                let bytes: u64 = groups.iter().map(|g| g.retained).sum();
                println!("{n} leaked goroutines in {} groups, retaining {bytes} bytes", groups.len());
                print_goroutine_groups(&groups);
            }
        }
        Command::Goroutines { .. } => {
            let gs = analysis.goroutines();
            if json {
                print_json(&gs)?;
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
        Command::Breakdown(_) => {
            let b = analysis.breakdown();
            if json {
                print_json(&b)?;
            } else {
                for e in b.entries {
                    println!("{:>16}  {}", e.bytes, e.name);
                }
            }
        }
        Command::Records(_) | Command::Diff { .. } => unreachable!("handled before the analysis"),
    }
    clock.enter("");
    if stats {
        let st = analysis.stats();
        for p in &st.background_phases {
            eprintln!("stats: phase {} (second thread, beside naming): {:.2} s wall", p.name, p.wall_seconds);
        }
        for s in &st.structures {
            eprintln!("stats: bytes {}: {:.1} MiB", s.name, s.bytes as f64 / (1u64 << 20) as f64);
        }
    }
    print_stats(core.cache.as_deref());
    drop(analysis);
    Ok(())
}

/// Analyzes a core (with its executable) or a heap dump (with it when given).
fn load(core: &Core, exe_spec: &ExeSpec<'_>, stats: bool, clock: &mut PhaseClock) -> Result<Analysis, String> {
    let mut progress = |p: &str, _f: f64| {
        clock.enter(p);
        true
    };
    if heapwise_core::formats::heapdump::looks_like_heapdump(&*core.src) {
        let exe = match exe_spec.path {
            Some(p) => Some(exe_spec.open(p, stats)?),
            None => None,
        };
        return Analysis::open_heapdump(core.src.clone(), exe, &mut progress).map_err(|e| e.to_string());
    }
    let exe_path = match exe_spec.path {
        Some(e) => e.to_path_buf(),
        None => exe_from_core(&*core.src)?,
    };
    let exe = exe_spec.open(&exe_path, stats)?;
    let debug = match exe_spec.debug_file_for(&exe_path, &*exe) {
        Some(p) => Some(exe_spec.open(&p, stats)?),
        None => None,
    };
    Analysis::open_with_debug(core.src.clone(), exe, debug, &mut progress).map_err(|e| e.to_string())
}

/// `heapwise diff <base> <target> [<final>]`: a thin view of heapwise-core's
/// [`heapwise_core::diff::SnapshotDiff`].
fn run_diff(paths: &[PathBuf], exe_spec: &ExeSpec<'_>, json: bool, stats: bool) -> Result<(), String> {
    let mut clock = PhaseClock::new(stats);
    let mut cores = Vec::new();
    let mut analyses = Vec::new();
    for p in paths {
        let core = open_core(p, exe_spec.no_mmap, stats)?;
        let a = load(&core, exe_spec, stats, &mut clock).map_err(|e| format!("{}: {e}", p.display()))?;
        if !json {
            for w in a.warnings() {
                eprintln!("warning: {}: {w}", p.display());
            }
        }
        cores.push(core);
        analyses.push(a);
    }
    clock.enter("diff");
    let refs: Vec<&Analysis> = analyses.iter().collect();
    let diff = heapwise_core::diff::SnapshotDiff::new(&refs).map_err(|e| e.to_string())?;
    let report = diff.report();
    clock.enter("");
    for n in &report.notes {
        eprintln!("note: {n}");
    }
    if json {
        return print_json(&report);
    }
    with_stdout(|out| print_diff(out, paths, &report))
}

/// The text form of `diff`.
fn print_diff(out: &mut dyn Write, paths: &[PathBuf], r: &SnapshotDiffReport) -> io::Result<()> {
    let n = paths.len();
    for (i, p) in paths.iter().enumerate() {
        writeln!(out, "snapshot {} ({}): {}", i + 1, ["base", "target", "final"][i], p.display())?;
    }
    let signed = |v: i128| if v > 0 { format!("+{v}") } else { v.to_string() };
    let delta = |v: &[u64]| signed(v[n - 1] as i128 - v[0] as i128);
    if !r.pairs.is_empty() {
        writeln!(out)?;
        for (i, p) in r.pairs.iter().enumerate() {
            writeln!(
                out,
                "snapshot {} -> {}: {} objects survived ({} of them ambiguous: same address, class and type, nothing else to tell), {} new, {} freed",
                i + 1,
                i + 2,
                p.survived,
                p.ambiguous,
                p.new,
                p.freed
            )?;
        }
    }
    writeln!(out, "\ntypes, largest growth of retained bytes first (top 40):")?;
    let per = |v: &[u64]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("/");
    write!(out, "{:>14} {:>12} {:>20} {:>24}", "d retained", "d count", "count", "retained")?;
    if !r.pairs.is_empty() {
        write!(out, " {:>12} {:>12} {:>12}", "survived", "new", "freed")?;
    }
    writeln!(out, "  type")?;
    for t in r.types.iter().take(40) {
        write!(out, "{:>14} {:>12} {:>20} {:>24}", delta(&t.retained), delta(&t.counts), per(&t.counts), per(&t.retained))?;
        if !r.pairs.is_empty() {
            write!(out, " {:>12} {:>12} {:>12}", per(&t.survived), per(&t.new), per(&t.freed))?;
        }
        writeln!(out, "  {}", t.type_name)?;
    }
    if r.types.len() > 40 {
        writeln!(out, "... {} more types (--json lists all)", r.types.len() - 40)?;
    }
    if r.pairs.is_empty() {
        return Ok(());
    }
    let rule = if n == 3 { "new in target and still alive in final" } else { "new in target" };
    writeln!(out, "\nleak candidates ({rule}), by retainer path, most retained first:")?;
    if r.clusters.is_empty() {
        writeln!(out, "  none")?;
    }
    for (i, c) in r.clusters.iter().take(20).enumerate() {
        writeln!(out, "cluster {}: {} objects, {} bytes, retained {} bytes, e.g. {:#x}", i + 1, c.count, c.bytes, c.retained, c.example)?;
        for (k, h) in c.path.iter().enumerate() {
            writeln!(out, "  {}{h}", if k == 0 { "" } else { "-> " })?;
        }
    }
    if r.clusters.len() > 20 {
        writeln!(out, "... {} more clusters (--json lists them)", r.clusters.len() - 20)?;
    }
    Ok(())
}

/// HEAPWISE_STATS=1: prints each phase's wall time and the process's CPU time in it
/// (all threads: a phase that runs beside a second thread counts both) when the next begins.
struct PhaseClock {
    on: bool,
    t0: std::time::Instant,
    phase: String,
    start: (f64, f64),
}

impl PhaseClock {
    fn new(on: bool) -> PhaseClock {
        PhaseClock { on, t0: std::time::Instant::now(), phase: String::new(), start: (0.0, process_cpu_seconds()) }
    }

    /// Ends the current phase (printing it) and starts `p`; `""` only ends it.
    fn enter(&mut self, p: &str) {
        if !self.on || p == self.phase {
            return;
        }
        let now = (self.t0.elapsed().as_secs_f64(), process_cpu_seconds());
        if !self.phase.is_empty() {
            let name = if self.phase == "done" { "query and output" } else { &self.phase };
            eprintln!("stats: phase {name}: {:.2} s wall, {:.2} s cpu", now.0 - self.start.0, now.1 - self.start.1);
        }
        self.phase = p.to_string();
        self.start = now;
    }
}

/// User plus system CPU time of this process so far (Linux `/proc/self/stat`, in clock
/// ticks of 1/100 s); 0 elsewhere.
fn process_cpu_seconds() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // Fields after the parenthesized command name: state is field 3, utime 14, stime 15.
    let Some((_, rest)) = s.rsplit_once(')') else { return 0.0 };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn print_histogram(rows: &[HistogramRow]) {
    println!("{:>12} {:>14}  type", "count", "bytes");
    for r in rows {
        println!("{:>12} {:>14}  {}", r.count, r.bytes, r.type_name);
    }
}

/// Levels of the dominator tree shown indented; deeper lines say their depth instead, so
/// that a chain millions deep prints in space linear in its length.
const DOMINATOR_INDENT_LEVELS: u32 = 32;

fn print_dominators(out: &mut dyn Write, total_live: u64, rows: &[DominatorTreeRow]) -> io::Result<()> {
    writeln!(out, "live heap {total_live} bytes; objects directly under the roots, by retained size:")?;
    for r in rows {
        let n = &r.node;
        let indent = 2 * (r.depth.min(DOMINATOR_INDENT_LEVELS) as usize + 1);
        let depth = if r.depth >= DOMINATOR_INDENT_LEVELS { format!("[depth {}] ", r.depth) } else { String::new() };
        writeln!(
            out,
            "{:indent$}{depth}{:#x} {} size {} retained {} ({} dominated)",
            "", n.addr, n.type_name, n.size, n.retained, n.child_count
        )?;
    }
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

fn print_fields(fields: &[FieldValue], indent: usize) {
    for f in fields {
        let v = if f.value.is_empty() { String::new() } else { format!(" = {}", f.value) };
        println!("{:indent$}{} {}{}", "", f.name, f.type_name, v, indent = indent);
        print_fields(&f.children, indent + 2);
    }
}

/// What the profile says beyond the image: the core file's time, and the executable's text
/// mapping from the core's NT_FILE note (what runtime/pprof reads from /proc/self/maps).
fn profile_options(core: &dyn ByteSource, core_path: &Path, exe: Option<&Path>) -> heapwise_core::pprof::HeapProfileOptions {
    let time_nanos = std::fs::metadata(core_path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0);
    let mut opts = heapwise_core::pprof::HeapProfileOptions { time_nanos, mapping: None };
    let Ok(cf) = heapwise_core::formats::elfcore::CoreFile::parse(core) else { return opts };
    let entry = cf.auxv_value(heapwise_core::formats::elfcore::AT_ENTRY);
    if let Some(m) = cf.mapped_files.iter().find(|m| entry.is_some_and(|e| m.start <= e && e < m.end)) {
        let exe_path = exe.map(PathBuf::from).unwrap_or_else(|| PathBuf::from(&m.path));
        let build_id = std::fs::read(&exe_path)
            .ok()
            .and_then(|b| heapwise_core::formats::exe::debug_hints(&b))
            .and_then(|h| h.build_id_path)
            .map(|p| p.trim_end_matches(".debug").replace('/', ""))
            .unwrap_or_default();
        opts.mapping = Some(heapwise_core::pprof::MappingInfo { start: m.start, limit: m.end, offset: m.file_offset, file: m.path.clone(), build_id });
    }
    opts
}

fn print_alloc_sites(s: &AllocSites) {
    let rate = s.rate.map(|r| format!(", MemProfileRate {r}")).unwrap_or_default();
    println!(
        "{}: {} live objects, {} bytes; {} sampled by the heap profiler{rate}",
        s.type_name, s.live_objects, s.live_bytes, s.sampled_objects
    );
    for n in &s.notes {
        println!("note: {n}");
    }
    if s.sites.is_empty() {
        return;
    }
    println!("{:>12} {:>14} {:>10} {:>12}  site", "est. objects", "est. bytes", "sampled", "sampled B");
    let est = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
    for x in &s.sites {
        let stacks = if x.stacks > 1 { format!("  ({} stacks)", x.stacks) } else { String::new() };
        println!(
            "{:>12} {:>14} {:>10} {:>12}  {} {}:{}{stacks}",
            est(x.estimated_objects),
            est(x.estimated_bytes),
            x.sampled_objects,
            x.sampled_bytes,
            x.site.function,
            x.site.file,
            x.site.line
        );
        for f in x.stack.iter().skip(1).take(4) {
            println!("{:>52}  {} {}:{}", "", f.function, f.file, f.line);
        }
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
    if let Some(stack) = &d.allocated_at {
        println!("allocated at (sampled by the heap profiler):");
        for f in stack {
            println!("  {}\n      {}:{}", f.function, f.file, f.line);
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
fn print_stats(paged: Option<&PageCache<PreadFile>>) {
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
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match cli_command().try_get_matches_from(&argv).and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("heapwise: {}", parse_error(&e, &argv));
            return ExitCode::FAILURE;
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("heapwise: {e}");
            ExitCode::FAILURE
        }
    }
}
