//! Streaming reader of `runtime/debug.WriteHeapDump` files (format "go1.7 heap dump",
//! written by `runtime/heapdump.go`, unchanged from Go 1.7 through 1.27).
//!
//! After the 16-byte header `go1.7 heap dump\n` come records, each a uvarint tag followed
//! by uvarint integers, length-prefixed byte strings (`dumpmemrange`, `dumpstr`) and field
//! lists (`dumpfields`: `(kind, offset)` uvarint pairs ended by kind 0; kind 1 is a
//! pointer, 2 and 3 an iface and eface pair). Layouts, per `runtime/heapdump.go`:
//!
//! | tag | record | written by |
//! |---|---|---|
//! | 0 | EOF | `mdump` |
//! | 1 | object: addr, contents, fields | `dumpobj` (every allocated slot of every in-use span) |
//! | 2 | other root: description, pointer | `dumpotherroot` |
//! | 3 | type: addr, size, name, indirect-in-iface | `dumptype` (types of itabs) |
//! | 4 | goroutine: g, sp, goid, gopc, status, system, background, waitsince, waitreason, ctxt, m, defer, panic | `dumpgoroutine` |
//! | 5 | stack frame: sp, depth, child sp, contents, entry pc, pc, continpc, name, fields | `dumpframe` |
//! | 6 | params: big-endian, ptr size, arena start, arena end, GOARCH, buildVersion, ncpu | `dumpparams` |
//! | 7 | registered finalizer: obj, funcval, fn pc, fint, ot | `dumpfinalizer` |
//! | 8 | itab: addr, type | `itab_callback` |
//! | 9 | OS thread: m, id, procid | `dumpms` |
//! | 10 | memstats: 24 integers, 256 pause times, NumGC | `dumpmemstats` |
//! | 11 | queued finalizer: obj, funcval, fn pc, fint, ot | `finq_callback` |
//! | 12 | data segment: addr, contents, fields (gcdatamask) | `dumproots` |
//! | 13 | bss segment: addr, contents, fields (gcbssmask) | `dumproots` |
//! | 14 | defer: addr, g, sp, pc, funcval, fn pc, link | `dumpgoroutine` |
//! | 15 | panic: addr, g, arg type, arg data, 0, link | `dumpgoroutine` |
//! | 16 | memory profile bucket: addr, size, nstk × (func, file, line), allocs, frees | `dumpmemprof_callback` |
//! | 17 | alloc sample: addr, bucket | `dumpmemprof` |
//!
//! Contents are never read by the parser: a record keeps their file offset and length, so a
//! dump of any size is indexed in one pass with bounded memory and the bytes are read
//! later, lazily, through the same [`ByteSource`].

use std::fmt;

use crate::source::{ByteSource, SourceError};
use crate::Error;

/// The file header of every dump since Go 1.7.
pub const HEADER: &[u8; 16] = b"go1.7 heap dump\n";

pub const TAG_EOF: u64 = 0;
pub const TAG_OBJECT: u64 = 1;
pub const TAG_OTHER_ROOT: u64 = 2;
pub const TAG_TYPE: u64 = 3;
pub const TAG_GOROUTINE: u64 = 4;
pub const TAG_STACK_FRAME: u64 = 5;
pub const TAG_PARAMS: u64 = 6;
pub const TAG_FINALIZER: u64 = 7;
pub const TAG_ITAB: u64 = 8;
pub const TAG_OS_THREAD: u64 = 9;
pub const TAG_MEMSTATS: u64 = 10;
pub const TAG_QUEUED_FINALIZER: u64 = 11;
pub const TAG_DATA: u64 = 12;
pub const TAG_BSS: u64 = 13;
pub const TAG_DEFER: u64 = 14;
pub const TAG_PANIC: u64 = 15;
pub const TAG_MEMPROF: u64 = 16;
pub const TAG_ALLOC_SAMPLE: u64 = 17;

/// `fieldKindPtr`, `fieldKindIface`, `fieldKindEface` of `runtime/heapdump.go`.
pub const FIELD_PTR: u64 = 1;
pub const FIELD_IFACE: u64 = 2;
pub const FIELD_EFACE: u64 = 3;

/// Strings (type and function names, descriptions) longer than this are not believed.
const MAX_STRING: u64 = 1 << 20;
/// Field lists longer than this are not believed (a 1 GiB object has 2^27 words).
const MAX_FIELDS: usize = 1 << 28;
/// Memory-profile stacks deeper than this are not believed (`runtime.maxStack` is 32).
const MAX_STACK: u64 = 1 << 16;

/// Whether `src` starts with the heap dump header.
pub fn is_heapdump(src: &dyn ByteSource) -> bool {
    let mut h = [0u8; 16];
    src.size() >= 16 && src.read_at(0, &mut h).is_ok() && &h == HEADER
}

/// Whether `src` starts like a heap dump of any format version (`go1.N heap dump\n`):
/// such a file is read as a dump, and one of another version is refused in words.
pub fn looks_like_heapdump(src: &dyn ByteSource) -> bool {
    let mut h = [0u8; 32];
    let n = src.size().min(32) as usize;
    if src.read_at(0, &mut h[..n]).is_err() {
        return false;
    }
    let line = h[..n].split(|&b| b == b'\n').next().unwrap_or(&[]);
    line.starts_with(b"go1.") && line.ends_with(b" heap dump") && n > line.len()
}

/// A byte range of the dump file: where a record's memory contents are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Contents {
    pub offset: u64,
    pub len: u64,
}

/// Offsets of the pointer words (kind 1) of a field list; iface and eface pairs (kinds 2
/// and 3, from older runtimes) contribute both their words.
pub type PtrOffsets = Vec<u64>;

/// `tagParams`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Params {
    pub big_endian: bool,
    pub ptr_size: u64,
    pub arena_start: u64,
    pub arena_end: u64,
    pub arch: String,
    pub go_version: String,
    pub ncpu: u64,
}

/// `tagGoroutine`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GoroutineRec {
    pub g: u64,
    pub sp: u64,
    pub goid: u64,
    pub gopc: u64,
    pub status: u64,
    pub system: bool,
    pub background: bool,
    pub wait_since: u64,
    pub wait_reason: String,
    pub ctxt: u64,
    pub m: u64,
    pub defer: u64,
    pub panic: u64,
}

/// `tagStackFrame`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FrameRec {
    /// Lowest address of the frame.
    pub sp: u64,
    /// Frames between this one and the top of the stack (0 = innermost).
    pub depth: u64,
    /// sp of the callee, 0 for the innermost frame.
    pub child_sp: u64,
    pub contents: Contents,
    pub entry: u64,
    pub pc: u64,
    pub continpc: u64,
    pub name: String,
    pub ptrs: PtrOffsets,
}

/// `tagFinalizer` and `tagQueuedFinalizer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FinalizerRec {
    pub obj: u64,
    /// The `*funcval`.
    pub fn_val: u64,
    /// Its code pointer.
    pub fn_pc: u64,
    /// The finalizer's argument type.
    pub fint: u64,
    /// The object's pointer type (`*ptrtype`).
    pub ot: u64,
}

/// One frame of a memory-profile stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfFrame {
    pub function: String,
    pub file: String,
    pub line: u64,
}

/// One record of a heap dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Eof,
    Object { addr: u64, contents: Contents, ptrs: PtrOffsets },
    OtherRoot { description: String, to: u64 },
    Type { addr: u64, size: u64, name: String, indirect: bool },
    Goroutine(GoroutineRec),
    StackFrame(FrameRec),
    Params(Params),
    Finalizer(FinalizerRec),
    Itab { addr: u64, ty: u64 },
    OsThread { m: u64, id: u64, procid: u64 },
    /// The 24 leading `runtime.MemStats` integers (Alloc ... PauseTotalNs), then NumGC.
    MemStats { values: Vec<u64>, num_gc: u64 },
    QueuedFinalizer(FinalizerRec),
    Data { addr: u64, contents: Contents, ptrs: PtrOffsets },
    Bss { addr: u64, contents: Contents, ptrs: PtrOffsets },
    Defer { addr: u64, g: u64, sp: u64, pc: u64, fn_val: u64, fn_pc: u64, link: u64 },
    Panic { addr: u64, g: u64, arg_type: u64, arg_data: u64, link: u64 },
    MemProf { bucket: u64, size: u64, stack: Vec<ProfFrame>, allocs: u64, frees: u64 },
    AllocSample { addr: u64, bucket: u64 },
}

/// Names of `runtime.MemStats` fields in the order `dumpmemstats` writes them.
pub const MEMSTATS_FIELDS: [&str; 24] = [
    "Alloc", "TotalAlloc", "Sys", "Lookups", "Mallocs", "Frees", "HeapAlloc", "HeapSys", "HeapIdle", "HeapInuse",
    "HeapReleased", "HeapObjects", "StackInuse", "StackSys", "MSpanInuse", "MSpanSys", "MCacheInuse", "MCacheSys",
    "BuckHashSys", "GCSys", "OtherSys", "NextGC", "LastGC", "PauseTotalNs",
];

impl Record {
    /// The tag this record is written with.
    pub fn tag(&self) -> u64 {
        match self {
            Record::Eof => TAG_EOF,
            Record::Object { .. } => TAG_OBJECT,
            Record::OtherRoot { .. } => TAG_OTHER_ROOT,
            Record::Type { .. } => TAG_TYPE,
            Record::Goroutine(_) => TAG_GOROUTINE,
            Record::StackFrame(_) => TAG_STACK_FRAME,
            Record::Params(_) => TAG_PARAMS,
            Record::Finalizer(_) => TAG_FINALIZER,
            Record::Itab { .. } => TAG_ITAB,
            Record::OsThread { .. } => TAG_OS_THREAD,
            Record::MemStats { .. } => TAG_MEMSTATS,
            Record::QueuedFinalizer(_) => TAG_QUEUED_FINALIZER,
            Record::Data { .. } => TAG_DATA,
            Record::Bss { .. } => TAG_BSS,
            Record::Defer { .. } => TAG_DEFER,
            Record::Panic { .. } => TAG_PANIC,
            Record::MemProf { .. } => TAG_MEMPROF,
            Record::AllocSample { .. } => TAG_ALLOC_SAMPLE,
        }
    }

    /// The record kind's name, as `heapwise records` prints it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Record::Eof => "eof",
            Record::Object { .. } => "object",
            Record::OtherRoot { .. } => "other-root",
            Record::Type { .. } => "type",
            Record::Goroutine(_) => "goroutine",
            Record::StackFrame(_) => "stack-frame",
            Record::Params(_) => "params",
            Record::Finalizer(_) => "finalizer",
            Record::Itab { .. } => "itab",
            Record::OsThread { .. } => "os-thread",
            Record::MemStats { .. } => "memstats",
            Record::QueuedFinalizer(_) => "queued-finalizer",
            Record::Data { .. } => "data",
            Record::Bss { .. } => "bss",
            Record::Defer { .. } => "defer",
            Record::Panic { .. } => "panic",
            Record::MemProf { .. } => "memprof",
            Record::AllocSample { .. } => "alloc-sample",
        }
    }
}

fn ptrs_str(p: &[u64]) -> String {
    let shown: Vec<String> = p.iter().take(8).map(|o| o.to_string()).collect();
    let more = if p.len() > 8 { format!(",+{}", p.len() - 8) } else { String::new() };
    format!("[{}{more}]", shown.join(","))
}

impl fmt::Display for Record {
    /// One line: kind name and main fields.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = self.kind_name();
        match self {
            Record::Eof => write!(f, "{k}"),
            Record::Object { addr, contents, ptrs } => {
                write!(f, "{k} {addr:#x} size {} ptrs {}", contents.len, ptrs_str(ptrs))
            }
            Record::OtherRoot { description, to } => write!(f, "{k} {description:?} -> {to:#x}"),
            Record::Type { addr, size, name, indirect } => {
                write!(f, "{k} {addr:#x} size {size} {name:?}{}", if *indirect { " indirect" } else { "" })
            }
            Record::Goroutine(g) => write!(
                f,
                "{k} {} g {:#x} status {} sp {:#x} gopc {:#x}{} wait {:?} m {:#x}",
                g.goid,
                g.g,
                g.status,
                g.sp,
                g.gopc,
                if g.system { " system" } else { "" },
                g.wait_reason,
                g.m
            ),
            Record::StackFrame(fr) => write!(
                f,
                "{k} depth {} sp {:#x} size {} pc {:#x} {} ptrs {}",
                fr.depth,
                fr.sp,
                fr.contents.len,
                fr.pc,
                fr.name,
                ptrs_str(&fr.ptrs)
            ),
            Record::Params(p) => write!(
                f,
                "{k} {} {} ptrsize {} {}-endian arena {:#x}-{:#x} ncpu {}",
                p.go_version,
                p.arch,
                p.ptr_size,
                if p.big_endian { "big" } else { "little" },
                p.arena_start,
                p.arena_end,
                p.ncpu
            ),
            Record::Finalizer(r) | Record::QueuedFinalizer(r) => write!(
                f,
                "{k} obj {:#x} fn {:#x} pc {:#x} fint {:#x} ot {:#x}",
                r.obj, r.fn_val, r.fn_pc, r.fint, r.ot
            ),
            Record::Itab { addr, ty } => write!(f, "{k} {addr:#x} type {ty:#x}"),
            Record::OsThread { m, id, procid } => write!(f, "{k} m{id} {m:#x} tid {procid}"),
            Record::MemStats { values, num_gc } => {
                let get = |n: &str| MEMSTATS_FIELDS.iter().position(|x| *x == n).and_then(|i| values.get(i)).copied().unwrap_or(0);
                write!(
                    f,
                    "{k} HeapAlloc {} HeapObjects {} Sys {} NextGC {} NumGC {num_gc}",
                    get("HeapAlloc"),
                    get("HeapObjects"),
                    get("Sys"),
                    get("NextGC")
                )
            }
            Record::Data { addr, contents, ptrs } | Record::Bss { addr, contents, ptrs } => {
                write!(f, "{k} {addr:#x} size {} ptrs {} {}", contents.len, ptrs.len(), ptrs_str(ptrs))
            }
            Record::Defer { addr, g, sp, pc, fn_val, fn_pc, link } => write!(
                f,
                "{k} {addr:#x} g {g:#x} sp {sp:#x} pc {pc:#x} fn {fn_val:#x} fnpc {fn_pc:#x} link {link:#x}"
            ),
            Record::Panic { addr, g, arg_type, arg_data, link } => {
                write!(f, "{k} {addr:#x} g {g:#x} arg ({arg_type:#x}, {arg_data:#x}) link {link:#x}")
            }
            Record::MemProf { bucket, size, stack, allocs, frees } => {
                let top = stack.first().map(|s| format!(" {} {}:{}", s.function, s.file, s.line)).unwrap_or_default();
                write!(f, "{k} bucket {bucket:#x} size {size} allocs {allocs} frees {frees} depth {}{top}", stack.len())
            }
            Record::AllocSample { addr, bucket } => write!(f, "{k} {addr:#x} bucket {bucket:#x}"),
        }
    }
}

/// Why reading stopped before the EOF record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DumpError {
    /// Not a heap dump, or a version other than go1.7's.
    BadHeader(String),
    /// The file ends inside a record (a dump cut short); `offset` is where that record starts.
    Truncated { offset: u64, size: u64 },
    /// A record that cannot be right.
    Malformed { offset: u64, what: String },
    Io(String),
}

impl fmt::Display for DumpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DumpError::BadHeader(m) => f.write_str(m),
            DumpError::Truncated { offset, size } => {
                write!(f, "the heap dump is truncated: the file ends ({size} bytes) inside the record at byte {offset}")
            }
            DumpError::Malformed { offset, what } => write!(f, "malformed heap dump record at byte {offset}: {what}"),
            DumpError::Io(m) => write!(f, "read failed: {m}"),
        }
    }
}

impl From<DumpError> for Error {
    fn from(e: DumpError) -> Error {
        match e {
            DumpError::BadHeader(m) => Error::Unsupported(m),
            DumpError::Io(m) => Error::Source(SourceError::Io(m)),
            e => Error::Malformed(e.to_string()),
        }
    }
}

/// Checks the header: a dump of another format version is refused in words.
pub fn check_header(src: &dyn ByteSource) -> Result<(), DumpError> {
    let mut h = [0u8; 16];
    let n = src.size().min(16) as usize;
    src.read_at(0, &mut h[..n]).map_err(|e| DumpError::Io(e.to_string()))?;
    if &h == HEADER {
        return Ok(());
    }
    let line: String = h[..n].iter().take_while(|&&b| b != b'\n').map(|&b| b as char).collect();
    if line.starts_with("go1.") && line.ends_with("heap dump") {
        return Err(DumpError::BadHeader(format!(
            "unsupported heap dump version {line:?}: heapwise reads the \"go1.7 heap dump\" format (Go 1.7 and later)"
        )));
    }
    Err(DumpError::BadHeader("not a Go heap dump (no \"go1.7 heap dump\" header)".into()))
}

const CHUNK: usize = 1 << 16;

/// Reads records one at a time through a small window of the file.
pub struct Reader<'a> {
    src: &'a dyn ByteSource,
    /// The whole file when it is memory-resident (mapped): read in place, no copies.
    whole: Option<&'a [u8]>,
    size: u64,
    pos: u64,
    buf: Vec<u8>,
    buf_start: u64,
    /// Start of the record being read.
    record_start: u64,
    done: bool,
}

/// A failed low-level read: past the end, or the medium failed.
enum Short {
    End,
    Io(String),
    Bad(String),
}

type R<T> = Result<T, Short>;

impl<'a> Reader<'a> {
    /// Starts after the header, which must be valid.
    pub fn new(src: &'a dyn ByteSource) -> Result<Reader<'a>, DumpError> {
        check_header(src)?;
        let whole = src.as_slice();
        Ok(Reader { src, whole, size: src.size(), pos: HEADER.len() as u64, buf: Vec::new(), buf_start: 0, record_start: 16, done: false })
    }

    /// File offset of the next record.
    pub fn offset(&self) -> u64 {
        self.pos
    }

    pub fn file_size(&self) -> u64 {
        self.size
    }

    fn fill(&mut self) -> R<()> {
        if self.pos >= self.size {
            return Err(Short::End);
        }
        let n = ((self.size - self.pos) as usize).min(CHUNK);
        self.buf.resize(n, 0);
        self.src.read_at(self.pos, &mut self.buf).map_err(|e| Short::Io(e.to_string()))?;
        self.buf_start = self.pos;
        Ok(())
    }


    /// An unsigned varint (`runtime/heapdump.go`: `dumpint`, Go's uvarint = unsigned
    /// LEB128), decoded by `gimli::leb128`; at most 10 bytes.
    #[inline]
    fn uvarint(&mut self) -> R<u64> {
        const MAX_LEN: usize = 10;
        let avail: &[u8] = match self.whole {
            Some(w) => w.get(self.pos as usize..).unwrap_or(&[]),
            None => {
                // Refill unless the buffer holds a whole varint (or the rest of the file).
                let i = self.pos.wrapping_sub(self.buf_start);
                let left = self.buf.len() as u64 - i.min(self.buf.len() as u64);
                if i > self.buf.len() as u64 || (left < MAX_LEN as u64 && self.buf_start.saturating_add(self.buf.len() as u64) < self.size) {
                    self.fill()?;
                }
                let i = self.pos.wrapping_sub(self.buf_start) as usize;
                self.buf.get(i..).unwrap_or(&[])
            }
        };
        let mut r = gimli::EndianSlice::new(avail, gimli::LittleEndian);
        match gimli::leb128::read::unsigned(&mut r) {
            Ok(v) => {
                self.pos += (avail.len() - gimli::Reader::len(&r)) as u64;
                Ok(v)
            }
            Err(gimli::Error::BadUnsignedLeb128) => Err(Short::Bad("varint overflows 64 bits".into())),
            Err(_) => Err(Short::End),
        }
    }

    fn boolean(&mut self) -> R<bool> {
        Ok(self.uvarint()? != 0)
    }

    /// A length-prefixed byte range, skipped.
    fn range(&mut self) -> R<Contents> {
        let len = self.uvarint()?;
        let offset = self.pos;
        let end = offset.checked_add(len).ok_or_else(|| Short::Bad(format!("a length of {len} bytes")))?;
        if end > self.size {
            return Err(Short::End);
        }
        self.pos = end;
        Ok(Contents { offset, len })
    }

    fn string(&mut self) -> R<String> {
        let c = self.range()?;
        if c.len > MAX_STRING {
            return Err(Short::Bad(format!("a string of {} bytes", c.len)));
        }
        if let Some(w) = self.whole {
            return Ok(String::from_utf8_lossy(&w[c.offset as usize..(c.offset + c.len) as usize]).into_owned());
        }
        let mut v = vec![0u8; c.len as usize];
        // Usually inside the window already.
        let i = c.offset.wrapping_sub(self.buf_start);
        if i.checked_add(c.len).is_some_and(|e| e <= self.buf.len() as u64) {
            v.copy_from_slice(&self.buf[i as usize..(i + c.len) as usize]);
        } else {
            self.src.read_at(c.offset, &mut v).map_err(|e| Short::Io(e.to_string()))?;
        }
        Ok(String::from_utf8_lossy(&v).into_owned())
    }

    /// A field list: the pointer offsets, in order.
    fn fields(&mut self) -> R<PtrOffsets> {
        let mut out = Vec::new();
        loop {
            let kind = self.uvarint()?;
            if kind == 0 {
                return Ok(out);
            }
            let off = self.uvarint()?;
            match kind {
                FIELD_PTR => out.push(off),
                FIELD_IFACE | FIELD_EFACE => {
                    out.push(off);
                    out.push(off.wrapping_add(8));
                }
                k => return Err(Short::Bad(format!("field kind {k}"))),
            }
            if out.len() > MAX_FIELDS {
                return Err(Short::Bad("a field list of more than 2^28 entries".into()));
            }
        }
    }

    fn finalizer(&mut self) -> R<FinalizerRec> {
        Ok(FinalizerRec { obj: self.uvarint()?, fn_val: self.uvarint()?, fn_pc: self.uvarint()?, fint: self.uvarint()?, ot: self.uvarint()? })
    }

    fn record(&mut self) -> R<Record> {
        let tag = self.uvarint()?;
        let u = |r: &mut Self| r.uvarint();
        Ok(match tag {
            TAG_EOF => Record::Eof,
            TAG_OBJECT => {
                let addr = u(self)?;
                let contents = self.range()?;
                let ptrs = self.fields()?;
                Record::Object { addr, contents, ptrs }
            }
            TAG_OTHER_ROOT => Record::OtherRoot { description: self.string()?, to: u(self)? },
            TAG_TYPE => Record::Type { addr: u(self)?, size: u(self)?, name: self.string()?, indirect: self.boolean()? },
            TAG_GOROUTINE => Record::Goroutine(GoroutineRec {
                g: u(self)?,
                sp: u(self)?,
                goid: u(self)?,
                gopc: u(self)?,
                status: u(self)?,
                system: self.boolean()?,
                background: self.boolean()?,
                wait_since: u(self)?,
                wait_reason: self.string()?,
                ctxt: u(self)?,
                m: u(self)?,
                defer: u(self)?,
                panic: u(self)?,
            }),
            TAG_STACK_FRAME => Record::StackFrame(FrameRec {
                sp: u(self)?,
                depth: u(self)?,
                child_sp: u(self)?,
                contents: self.range()?,
                entry: u(self)?,
                pc: u(self)?,
                continpc: u(self)?,
                name: self.string()?,
                ptrs: self.fields()?,
            }),
            TAG_PARAMS => Record::Params(Params {
                big_endian: self.boolean()?,
                ptr_size: u(self)?,
                arena_start: u(self)?,
                arena_end: u(self)?,
                arch: self.string()?,
                go_version: self.string()?,
                ncpu: u(self)?,
            }),
            TAG_FINALIZER => Record::Finalizer(self.finalizer()?),
            TAG_ITAB => Record::Itab { addr: u(self)?, ty: u(self)? },
            TAG_OS_THREAD => Record::OsThread { m: u(self)?, id: u(self)?, procid: u(self)? },
            TAG_MEMSTATS => {
                let mut values = Vec::with_capacity(24);
                for _ in 0..24 {
                    values.push(u(self)?);
                }
                for _ in 0..256 {
                    u(self)?;
                }
                Record::MemStats { values, num_gc: u(self)? }
            }
            TAG_QUEUED_FINALIZER => Record::QueuedFinalizer(self.finalizer()?),
            TAG_DATA | TAG_BSS => {
                let addr = u(self)?;
                let contents = self.range()?;
                let ptrs = self.fields()?;
                if tag == TAG_DATA {
                    Record::Data { addr, contents, ptrs }
                } else {
                    Record::Bss { addr, contents, ptrs }
                }
            }
            TAG_DEFER => Record::Defer {
                addr: u(self)?,
                g: u(self)?,
                sp: u(self)?,
                pc: u(self)?,
                fn_val: u(self)?,
                fn_pc: u(self)?,
                link: u(self)?,
            },
            TAG_PANIC => {
                let (addr, g, arg_type, arg_data) = (u(self)?, u(self)?, u(self)?, u(self)?);
                let _defer = u(self)?;
                Record::Panic { addr, g, arg_type, arg_data, link: u(self)? }
            }
            TAG_MEMPROF => {
                let bucket = u(self)?;
                let size = u(self)?;
                let n = u(self)?;
                if n > MAX_STACK {
                    return Err(Short::Bad(format!("a profile stack of {n} frames")));
                }
                let mut stack = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    stack.push(ProfFrame { function: self.string()?, file: self.string()?, line: u(self)? });
                }
                Record::MemProf { bucket, size, stack, allocs: u(self)?, frees: u(self)? }
            }
            TAG_ALLOC_SAMPLE => Record::AllocSample { addr: u(self)?, bucket: u(self)? },
            t => return Err(Short::Bad(format!("unknown record tag {t}"))),
        })
    }

    /// The next record; `Ok(None)` after the EOF record. A file that ends inside a record
    /// gives [`DumpError::Truncated`]; one that ends between records without an EOF record
    /// gives it too (with `offset` the file size).
    pub fn next_record(&mut self) -> Result<Option<Record>, DumpError> {
        if self.done {
            return Ok(None);
        }
        self.record_start = self.pos;
        match self.record() {
            Ok(Record::Eof) => {
                self.done = true;
                Ok(Some(Record::Eof))
            }
            Ok(r) => Ok(Some(r)),
            Err(e) => {
                self.done = true;
                Err(match e {
                    Short::End => DumpError::Truncated { offset: self.record_start, size: self.size },
                    Short::Io(m) => DumpError::Io(m),
                    Short::Bad(what) => DumpError::Malformed { offset: self.record_start, what },
                })
            }
        }
    }

    /// Start offset of the record `next_record` returned last.
    pub fn record_offset(&self) -> u64 {
        self.record_start
    }
}

impl Iterator for Reader<'_> {
    type Item = Result<(u64, Record), DumpError>;
    fn next(&mut self) -> Option<Self::Item> {
        match self.next_record() {
            Ok(Some(r)) => Some(Ok((self.record_start, r))),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A tiny dump writer mirroring `runtime/heapdump.go`, for tests and fuzz seeds.
    #[derive(Default)]
    pub struct Writer {
        pub out: Vec<u8>,
    }

    impl Writer {
        pub fn new() -> Writer {
            Writer { out: HEADER.to_vec() }
        }
        pub fn int(&mut self, mut v: u64) -> &mut Self {
            while v >= 0x80 {
                self.out.push(v as u8 | 0x80);
                v >>= 7;
            }
            self.out.push(v as u8);
            self
        }
        pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
            self.int(b.len() as u64);
            self.out.extend_from_slice(b);
            self
        }
        pub fn fields(&mut self, ptrs: &[u64]) -> &mut Self {
            for &p in ptrs {
                self.int(1).int(p);
            }
            self.int(0)
        }
    }

    #[test]
    fn reads_every_record_kind() {
        let mut w = Writer::new();
        w.int(TAG_PARAMS).int(0).int(8).int(0xc000000000).int(0xc004000000).bytes(b"amd64").bytes(b"go1.26.6").int(2);
        w.int(TAG_TYPE).int(0x4a0000).int(24).bytes(b"main.T").int(1);
        w.int(TAG_ITAB).int(0x4b0000).int(0x4a0000);
        let mut obj = vec![0u8; 16];
        obj[..8].copy_from_slice(&0xc000010010u64.to_le_bytes());
        w.int(TAG_OBJECT).int(0xc000010000).bytes(&obj).fields(&[0]);
        w.int(TAG_GOROUTINE).int(0xc000002000).int(0xc000100f00).int(1).int(0x401000).int(4).int(0).int(0).int(0).bytes(b"sleep").int(0).int(0x5a0000).int(0).int(0);
        w.int(TAG_STACK_FRAME).int(0xc000100f00).int(0).int(0).bytes(&[0; 32]).int(0x401000).int(0x401010).int(0x401010).bytes(b"main.main").fields(&[8]);
        w.int(TAG_OS_THREAD).int(0x5a0000).int(0).int(1234);
        w.int(TAG_DATA).int(0x500000).bytes(&[0; 16]).fields(&[8]);
        w.int(TAG_BSS).int(0x510000).bytes(&[0; 8]).fields(&[]);
        w.int(TAG_FINALIZER).int(0xc000010000).int(0x4c0000).int(0x402000).int(0x4a0000).int(0x4a0100);
        w.int(TAG_QUEUED_FINALIZER).int(0xc000010000).int(0x4c0000).int(0x402000).int(0x4a0000).int(0x4a0100);
        w.int(TAG_OTHER_ROOT).bytes(b"something").int(0xc000010000);
        w.int(TAG_DEFER).int(1).int(2).int(3).int(4).int(5).int(6).int(0);
        w.int(TAG_PANIC).int(1).int(2).int(3).int(4).int(0).int(0);
        w.int(TAG_MEMSTATS);
        for i in 0..(24 + 256 + 1) {
            w.int(i);
        }
        w.int(TAG_MEMPROF).int(0x7000).int(64).int(1).bytes(b"main.alloc").bytes(b"main.go").int(12).int(3).int(1);
        w.int(TAG_ALLOC_SAMPLE).int(0xc000010000).int(0x7000);
        w.int(TAG_EOF);
        let data = w.out.clone();
        let recs: Vec<Record> = Reader::new(&&data[..]).unwrap().map(|r| r.unwrap().1).collect();
        let tags: Vec<u64> = recs.iter().map(|r| r.tag()).collect();
        assert_eq!(tags, vec![6, 3, 8, 1, 4, 5, 9, 12, 13, 7, 11, 2, 14, 15, 10, 16, 17, 0]);
        match &recs[3] {
            Record::Object { addr, contents, ptrs } => {
                assert_eq!(*addr, 0xc000010000);
                assert_eq!(contents.len, 16);
                assert_eq!(&data[contents.offset as usize..][..8], &0xc000010010u64.to_le_bytes());
                assert_eq!(ptrs, &vec![0]);
            }
            r => panic!("{r:?}"),
        }
        match &recs[14] {
            Record::MemStats { values, num_gc } => {
                assert_eq!(values[6], 6);
                assert_eq!(*num_gc, 280);
            }
            r => panic!("{r:?}"),
        }
        for r in &recs {
            assert!(!r.to_string().is_empty());
        }
        // Every cut of the file is a clean truncation error, never a panic.
        for cut in 16..data.len() {
            let d = &data[..cut];
            let mut rd = Reader::new(&d).unwrap();
            let mut n = 0;
            let err = loop {
                match rd.next_record() {
                    Ok(Some(_)) => n += 1,
                    Ok(None) => panic!("EOF record in a cut file"),
                    Err(e) => break e,
                }
            };
            assert!(matches!(err, DumpError::Truncated { .. }), "cut {cut}: {err}");
            assert!(n < recs.len());
        }
    }

    /// A source that pages (no `as_slice`), as the CLI's pread cache and the browser's blob.
    struct Paged(Vec<u8>);
    impl ByteSource for Paged {
        fn size(&self) -> u64 {
            self.0.len() as u64
        }
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), crate::source::SourceError> {
            (&self.0[..]).read_at(offset, buf)
        }
    }

    fn all(src: &dyn ByteSource) -> Vec<String> {
        Reader::new(src).unwrap().map(|r| format!("{r:?}")).collect()
    }

    #[test]
    fn paged_reads_equal_whole_reads() {
        // Records of many lengths: varints straddle the reader's chunk boundaries.
        let mut w = Writer::new();
        w.int(TAG_PARAMS).int(0).int(8).int(0xc000000000).int(0xc004000000).bytes(b"amd64").bytes(b"go1.26.6").int(2);
        for i in 0..20_000u64 {
            w.int(TAG_OBJECT).int(0xc000010000 + i * 64).bytes(&vec![7u8; (i % 13) as usize]).fields(&[u64::MAX >> (i % 64), i << 20]);
        }
        w.int(TAG_EOF);
        assert!(w.out.len() > 3 * CHUNK);
        let whole = all(&&w.out[..]);
        assert_eq!(whole.len(), 20_002);
        assert_eq!(whole, all(&Paged(w.out.clone())));
    }

    #[test]
    fn varints_past_64_bits_are_malformed() {
        // Ten bytes whose last carries more than bit 63, and eleven bytes.
        for tail in [&[0xffu8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02][..], &[0x80; 11][..]] {
            let mut w = Writer::new();
            w.int(TAG_OBJECT);
            w.out.extend_from_slice(tail);
            for src in [Box::new(w.out.clone()) as Box<dyn ByteSource>, Box::new(Paged(w.out.clone()))] {
                let e = Reader::new(&*src).unwrap().next_record().unwrap_err();
                assert!(matches!(&e, DumpError::Malformed { what, .. } if what.contains("overflows")), "{e}");
            }
        }
        // The largest value: bit 63 in the tenth byte.
        let mut w = Writer::new();
        w.int(TAG_OTHER_ROOT).bytes(b"r").int(u64::MAX).int(TAG_EOF);
        let recs = all(&Paged(w.out.clone()));
        assert!(recs[0].contains(&u64::MAX.to_string()), "{recs:?}");
    }

    #[test]
    fn headers() {
        assert!(looks_like_heapdump(&&b"go1.6 heap dump\n"[..]));
        assert!(!looks_like_heapdump(&&b"\x7fELF\x02\x01"[..]));
        assert!(check_header(&&b"go1.7 heap dump\n"[..]).is_ok());
        let e = check_header(&&b"go1.6 heap dump\n"[..]).unwrap_err();
        assert!(e.to_string().contains("unsupported heap dump version"), "{e}");
        let e = check_header(&&b"\x7fELF"[..]).unwrap_err();
        assert!(e.to_string().contains("not a Go heap dump"), "{e}");
    }
}
