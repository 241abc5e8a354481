//! pprof exports. [`heap_profile`] is the heap profile the process would have served at
//! `/debug/pprof/heap` (`runtime/pprof.WriteHeapProfile`) when the core was taken, built the
//! way `runtime/pprof` builds it (`runtime/pprof/protomem.go` `writeHeapProto`,
//! `runtime/pprof/proto.go` `appendLocsForStack`, `emitLocation`, `pcDeck`; the same in Go
//! 1.22-1.27 but for the record fields of 1.27), from the runtime's own buckets
//! ([`crate::runtime::mprof`]):
//! - one sample per bucket, in `mbuckets` order, with values `alloc_objects`,
//!   `alloc_space`, `inuse_objects`, `inuse_space` unsampled by `scaleHeapSample` (through
//!   Go's own `math.Exp`, [`goexp`]), period `runtime.MemProfileRate`, and the `bytes`
//!   label;
//! - the leading `runtime.`/`internal/runtime/` frames hidden, as `writeHeapProto` does;
//! - each stack PC (a return PC, one per logical frame) looked up at `pc - 1`, the frames
//!   of one physical function merged into one location with several lines (inlining), and
//!   a stack cut at the profiler's depth limit completed with the inlined callers of its
//!   last PC (`runtime_expandFinalInlineFrame`).
//!
//! [`encode_gzip`] writes it as `go tool pprof` reads it.

pub mod goexp;
pub mod proto;
pub mod retention;
pub mod sites;

use std::collections::HashMap;
use std::io::Write;

use crate::formats::pclntab::{FuncInfo, Pclntab};
use crate::runtime::memory::Memory;
use crate::runtime::mprof::MemProfile;
use crate::runtime::rt::Rt;
use crate::Error;

use proto::{Function, Label, Line, Location, Mapping, Profile, Sample, ValueType};

/// The executable's text mapping, for the profile's `Mapping` (what `runtime/pprof` reads
/// from `/proc/self/maps`).
#[derive(Debug, Clone, Default)]
pub struct MappingInfo {
    pub start: u64,
    pub limit: u64,
    pub offset: u64,
    pub file: String,
    pub build_id: String,
}

/// What the image does not say: when the profile was taken, and where the text is mapped.
#[derive(Debug, Clone, Default)]
pub struct HeapProfileOptions {
    /// `Profile.time_nanos` (Unix nanoseconds; 0 when unknown).
    pub time_nanos: i64,
    pub mapping: Option<MappingInfo>,
}

/// `math.useFMA` of the process (`math/exp_amd64.go`: `cpu.X86.HasAVX && cpu.X86.HasFMA`),
/// or from `internal/cpu.X86` when the variable is not linked in; `None` when neither is
/// known.
pub fn read_use_fma(rt: &Rt<'_>) -> Option<bool> {
    if let Ok(a) = rt.global("math.useFMA") {
        if let Ok(v) = rt.mem.u8(a) {
            return Some(v != 0);
        }
    }
    let x86 = rt.global("internal/cpu.X86").ok()?;
    let ty = rt.dwarf.globals.iter().find(|g| g.name == "internal/cpu.X86").map(|g| rt.dwarf.ty(g.ty).name.clone())?;
    let avx = rt.mem.u8(x86 + rt.off_opt(&ty, "HasAVX")?).ok()?;
    let fma = rt.mem.u8(x86 + rt.off_opt(&ty, "HasFMA")?).ok()?;
    Some(avx != 0 && fma != 0)
}

/// One frame as `runtime.CallersFrames` returns it for a single return PC (`allFrames`).
#[derive(Debug, Clone)]
struct Frame {
    /// `Frame.PC`: the return PC less one (the pc looked up).
    pc: u64,
    /// `Frame.Func != nil`: a known function, not inlined at this pc.
    physical: bool,
    /// `Frame.Entry` (0: not a Go function).
    entry: u64,
    /// `runtime_FrameSymbolName`.
    name: String,
    file: String,
    line: i64,
    start_line: i64,
    /// Whether the lookup failed (`lookupFailed`).
    failed: bool,
}

struct Loc {
    id: u64,
    pcs: usize,
    first_frames: Vec<Frame>,
    first_failed: bool,
}

#[derive(Default)]
struct Deck {
    pcs: Vec<u64>,
    frames: Vec<Frame>,
    failed: bool,
    first_frames: usize,
    first_failed: bool,
}

impl Deck {
    fn reset(&mut self) {
        self.pcs.clear();
        self.frames.clear();
        self.failed = false;
        self.first_frames = 0;
        self.first_failed = false;
    }

    /// `pcDeck.tryAdd`: whether the frames of `pc` continue the inlined frames in the deck.
    fn try_add(&mut self, pc: u64, frames: &[Frame], failed: bool) -> bool {
        if let (Some(last), Some(new)) = (self.frames.last(), frames.first()) {
            if last.physical || last.entry == 0 || new.entry == 0 || last.entry != new.entry || last.name == new.name {
                return false;
            }
        }
        self.pcs.push(pc);
        self.frames.extend_from_slice(frames);
        self.failed |= failed;
        if self.pcs.len() == 1 {
            self.first_frames = self.frames.len();
            self.first_failed = failed;
        }
        true
    }
}

struct Builder<'a> {
    mem: &'a Memory,
    pcln: &'a Pclntab,
    strings: Vec<String>,
    string_index: HashMap<String, i64>,
    locs: HashMap<u64, Loc>,
    funcs: HashMap<String, u64>,
    locations: Vec<Location>,
    functions: Vec<Function>,
    deck: Deck,
    frames_cache: HashMap<u64, Vec<Frame>>,
    /// Whether a symbolization failed in the mapping (`m.funcs`).
    mapping_failed: bool,
    mapping: Option<MappingInfo>,
}

impl<'a> Builder<'a> {
    fn string(&mut self, s: &str) -> i64 {
        if let Some(&i) = self.string_index.get(s) {
            return i;
        }
        let i = self.strings.len() as i64;
        self.strings.push(s.to_string());
        self.string_index.insert(s.to_string(), i);
        i
    }

    fn find(&self, pc: u64) -> Option<FuncInfo> {
        self.pcln.find_func(pc)
    }

    /// `runtime.FuncForPC(pc).Name()` (the pc as given, not less one).
    fn func_for_pc_name(&self, pc: u64) -> Option<String> {
        let f = self.find(pc)?;
        Some(self.pcln.src_frame(self.mem, &f, pc).function)
    }

    /// `allFrames(addr)`: `runtime.CallersFrames([]uintptr{addr})`, which for one return
    /// PC yields one frame. Empty for `runtime.goexit`.
    fn all_frames(&mut self, addr: u64) -> (Vec<Frame>, bool) {
        if let Some(f) = self.frames_cache.get(&addr) {
            let failed = f.first().is_some_and(|f| f.failed);
            return (f.clone(), failed);
        }
        let frame = match self.find(addr) {
            Some(f) => {
                let pc = if addr > f.entry { addr - 1 } else { addr };
                let sf = self.pcln.src_frame(self.mem, &f, pc);
                let physical = sf.parent_pc.is_none();
                let failed = sf.function.is_empty() || sf.file.is_empty() || sf.line == 0;
                Frame {
                    pc,
                    physical,
                    entry: f.entry,
                    name: sf.function,
                    file: sf.file,
                    line: sf.line as i64,
                    start_line: sf.start_line as i64,
                    failed,
                }
            }
            None => Frame {
                pc: addr.wrapping_sub(1),
                physical: false,
                entry: 0,
                name: String::new(),
                file: String::new(),
                line: 0,
                start_line: 0,
                failed: true,
            },
        };
        let out = if frame.name == "runtime.goexit" { Vec::new() } else { vec![frame] };
        let failed = out.first().is_some_and(|f| f.failed);
        self.frames_cache.insert(addr, out.clone());
        (out, failed)
    }

    /// `elideWrapperCalling(calleeID)`.
    fn elide_wrapper_calling(&self, callee: u8) -> bool {
        let c = &self.pcln.consts;
        !(Some(callee) == c.funcid_gopanic || Some(callee) == c.funcid_sigpanic || Some(callee) == c.funcid_panicwrap)
    }

    /// `runtime_expandFinalInlineFrame`: a stack cut off inside inlined frames gets the
    /// PCs of their callers up to the physical function.
    fn expand_final_inline_frame(&self, stk: &mut Vec<u64>) {
        let Some(&pc) = stk.last() else { return };
        let tracepc = pc.wrapping_sub(1);
        let Some(f) = self.find(tracepc) else { return };
        let mut sf = self.pcln.src_frame(self.mem, &f, tracepc);
        if sf.parent_pc.is_none() {
            return;
        }
        stk.pop();
        let mut callee = 0u8; // abi.FuncIDNormal
        let mut upc = tracepc;
        // The inline tree is finite and acyclic in a sane binary; a damaged one stops here.
        for _ in 0..1024 {
            let id = sf.funcid;
            if !(Some(id) == self.pcln.consts.funcid_wrapper && self.elide_wrapper_calling(callee)) {
                stk.push(upc.wrapping_add(1));
            }
            callee = id;
            match sf.parent_pc {
                Some(p) => {
                    upc = p;
                    sf = self.pcln.src_frame(self.mem, &f, p);
                }
                None => break,
            }
        }
    }

    /// `emitLocation`: the deck as one location; 0 when the deck is empty.
    /// Emits the pending location, if any, onto `out` (`appendLocsForStack`'s
    /// `if id := b.emitLocation(); id > 0 { locs = append(locs, id) }`).
    fn flush_deck(&mut self, out: &mut Vec<u64>) {
        let id = self.emit_location();
        if id > 0 {
            out.push(id);
        }
    }

    fn emit_location(&mut self) -> u64 {
        if self.deck.pcs.is_empty() {
            return 0;
        }
        let addr = self.deck.pcs[0];
        let id = self.locs.len() as u64 + 1;
        let deck = std::mem::take(&mut self.deck);
        self.locs.insert(
            addr,
            Loc { id, pcs: deck.pcs.len(), first_frames: deck.frames[..deck.first_frames].to_vec(), first_failed: deck.first_failed },
        );
        let mut lines = Vec::with_capacity(deck.frames.len());
        for fr in &deck.frames {
            let fid = match self.funcs.get(&fr.name) {
                Some(&f) => f,
                None => {
                    let f = self.funcs.len() as u64 + 1;
                    self.funcs.insert(fr.name.clone(), f);
                    let name = self.string(&fr.name);
                    let filename = self.string(&fr.file);
                    self.functions.push(Function { id: f, name, system_name: name, filename, start_line: fr.start_line });
                    f
                }
            };
            lines.push(Line { function_id: fid, line: fr.line, column: 0 });
        }
        let mut mapping_id = 0;
        if let Some(m) = &self.mapping {
            if m.start <= addr && addr < m.limit {
                mapping_id = 1;
                self.mapping_failed |= deck.failed;
            }
        }
        self.locations.push(Location {
            id,
            mapping_id,
            address: deck.frames.first().map(|f| f.pc).unwrap_or(0),
            line: lines,
            is_folded: false,
        });
        let mut deck = deck;
        deck.reset();
        self.deck = deck;
        id
    }

    /// `appendLocsForStack`.
    fn locs_for_stack(&mut self, stk: &[u64]) -> Vec<u64> {
        let mut out = Vec::new();
        self.deck.reset();
        let mut owned = stk.to_vec();
        self.expand_final_inline_frame(&mut owned);
        let mut stk: &[u64] = &owned;
        while let Some(&addr) = stk.first() {
            if let Some(l) = self.locs.get(&addr) {
                let (lid, lpcs) = (l.id, l.pcs);
                if !self.deck.pcs.is_empty() {
                    let (frames, failed) = (l.first_frames.clone(), l.first_failed);
                    if self.deck.try_add(addr, &frames, failed) {
                        stk = &stk[1..];
                        continue;
                    }
                }
                self.flush_deck(&mut out);
                out.push(lid);
                // runtime/pprof panics when a cached location has more PCs than are left;
                // here the stack just ends.
                stk = &stk[lpcs.min(stk.len())..];
                continue;
            }
            let (frames, failed) = self.all_frames(addr);
            if frames.is_empty() {
                self.flush_deck(&mut out);
                stk = &stk[1..];
                continue;
            }
            if self.deck.try_add(addr, &frames, failed) {
                stk = &stk[1..];
                continue;
            }
            self.flush_deck(&mut out);
            if let Some(l) = self.locs.get(&addr) {
                out.push(l.id);
                stk = &stk[l.pcs.min(stk.len())..];
            } else {
                self.deck.try_add(addr, &frames, failed);
                stk = &stk[1..];
            }
        }
        self.flush_deck(&mut out);
        out
    }
}

/// Go's `int64(f)` on amd64 (`CVTTSD2SQ`): truncation, `i64::MIN` out of range.
fn go_i64(f: f64) -> i64 {
    let two63 = (1u64 << 63) as f64;
    if (-two63..two63).contains(&f) {
        f as i64
    } else {
        i64::MIN
    }
}

/// `scaleHeapSample(count, size, rate)` of Go 1.22-1.26: `size` is the record's bytes.
pub fn scale_heap_sample_bytes(count: i64, size: i64, rate: i64, fma: bool) -> (i64, i64) {
    if count == 0 || size == 0 {
        return (0, 0);
    }
    if rate <= 1 {
        return (count, size);
    }
    let avg = size as f64 / count as f64;
    let scale = 1.0 / (1.0 - goexp::go_exp_amd64(-avg / rate as f64, fma));
    (go_i64(count as f64 * scale), go_i64(size as f64 * scale))
}

/// `scaleHeapSample(count, avgSize, rate)` of Go 1.27: `avg_size` is the object size.
pub fn scale_heap_sample_objects(count: i64, avg_size: i64, rate: i64, fma: bool) -> (i64, i64) {
    if count == 0 || avg_size == 0 {
        return (0, 0);
    }
    if rate <= 1 {
        return (count, count.wrapping_mul(avg_size));
    }
    let scale = 1.0 / (1.0 - goexp::go_exp_amd64(-(avg_size as f64) / rate as f64, fma));
    (go_i64(count as f64 * scale), go_i64(count.wrapping_mul(avg_size) as f64 * scale))
}

/// The heap profile `runtime/pprof.WriteHeapProfile` would write now (module docs).
/// `fma` is [`read_use_fma`] (the unsampling depends on it through `math.Exp`).
pub fn heap_profile(rt: &Rt<'_>, pcln: &Pclntab, prof: &MemProfile, fma: bool, opts: &HeapProfileOptions) -> Profile {
    let mut b = Builder {
        mem: rt.mem,
        pcln,
        strings: vec![String::new()],
        string_index: HashMap::from([(String::new(), 0)]),
        locs: HashMap::new(),
        funcs: HashMap::new(),
        locations: Vec::new(),
        functions: Vec::new(),
        deck: Deck::default(),
        frames_cache: HashMap::new(),
        mapping_failed: false,
        mapping: opts.mapping.clone(),
    };
    let period_type = ValueType { r#type: b.string("space"), unit: b.string("bytes") };
    let rate = prof.rate();
    let sample_type: Vec<ValueType> =
        [("alloc_objects", "count"), ("alloc_space", "bytes"), ("inuse_objects", "count"), ("inuse_space", "bytes")]
            .iter()
            .map(|(t, u)| ValueType { r#type: b.string(t), unit: b.string(u) })
            .collect();
    let mut samples = Vec::new();
    for r in prof.records(true) {
        let full = prof.stack(r.bucket);
        let mut locs = Vec::new();
        for hide_runtime in [true, false] {
            let mut stk = full;
            if hide_runtime {
                for (i, &addr) in full.iter().enumerate() {
                    if b.func_for_pc_name(addr).is_some_and(|n| n.starts_with("runtime.") || n.starts_with("internal/runtime/")) {
                        continue;
                    }
                    stk = &full[i..];
                    break;
                }
            }
            locs = b.locs_for_stack(stk);
            if !locs.is_empty() {
                break;
            }
        }
        let c = r.counts;
        let (values, block_size) = if prof.counts_bytes() {
            let (ao, ab) = scale_heap_sample_bytes(c.allocs as i64, c.alloc_bytes as i64, rate, fma);
            let (io, ib) = scale_heap_sample_bytes(
                (c.allocs as i64).wrapping_sub(c.frees as i64),
                (c.alloc_bytes as i64).wrapping_sub(c.free_bytes as i64),
                rate,
                fma,
            );
            let bs = if (c.allocs as i64) > 0 { (c.alloc_bytes as i64) / (c.allocs as i64) } else { 0 };
            (vec![ao, ab, io, ib], (bs != 0).then_some(bs))
        } else {
            let size = r.object_size as i64;
            let (ao, ab) = scale_heap_sample_objects(c.allocs as i64, size, rate, fma);
            let (io, ib) = scale_heap_sample_objects((c.allocs as i64).wrapping_sub(c.frees as i64), size, rate, fma);
            (vec![ao, ab, io, ib], Some(size))
        };
        let label = block_size.map(|n| Label { key: b.string("bytes"), str: 0, num: n, num_unit: 0 }).into_iter().collect();
        samples.push(Sample { location_id: locs, value: values, label });
    }
    let mut mapping = Vec::new();
    if let Some(m) = opts.mapping.clone() {
        let filename = b.string(&m.file);
        let build_id = b.string(&m.build_id);
        mapping.push(Mapping {
            id: 1,
            memory_start: m.start,
            memory_limit: m.limit,
            file_offset: m.offset,
            filename,
            build_id,
            has_functions: !b.mapping_failed && !b.locations.is_empty(),
            ..Default::default()
        });
    }
    Profile {
        sample_type,
        sample: samples,
        mapping,
        location: b.locations,
        function: b.functions,
        string_table: b.strings,
        time_nanos: opts.time_nanos,
        period_type: Some(period_type),
        period: rate,
        ..Default::default()
    }
}

/// The profile as `go tool pprof` reads it: protobuf, gzipped.
pub fn encode_gzip(p: &Profile) -> Vec<u8> {
    use prost::Message;
    let raw = p.encode_to_vec();
    let mut z = flate2::write::GzEncoder::new(Vec::with_capacity(raw.len() / 2 + 64), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = z.write_all(&raw);
    z.finish().unwrap_or_default()
}

/// Most bytes a profile may decompress to (a bound for reading one).
const MAX_PROFILE_BYTES: u64 = 1 << 30;

/// Reads a profile, gzipped or not.
pub fn decode(data: &[u8]) -> Result<Profile, Error> {
    use prost::Message;
    use std::io::Read;
    let raw: Vec<u8> = if data.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data)
            .take(MAX_PROFILE_BYTES)
            .read_to_end(&mut out)
            .map_err(|e| Error::Malformed(format!("profile: bad gzip stream: {e}")))?;
        out
    } else {
        data.to_vec()
    };
    Profile::decode(raw.as_slice()).map_err(|e| Error::Malformed(format!("profile: {e}")))
}

/// One frame of a sample's stack, by name: (function, file, line).
pub type FrameKey = (String, String, i64);

/// A profile's samples as (stack innermost first, values, `bytes` label), the form tests
/// compare two profiles in: independent of location and function numbering.
pub fn samples_by_name(p: &Profile) -> Vec<(Vec<FrameKey>, Vec<i64>, Option<i64>)> {
    let locs: HashMap<u64, &Location> = p.location.iter().map(|l| (l.id, l)).collect();
    let funcs: HashMap<u64, &Function> = p.function.iter().map(|f| (f.id, f)).collect();
    p.sample
        .iter()
        .map(|s| {
            let mut stack = Vec::new();
            for id in &s.location_id {
                if let Some(l) = locs.get(id) {
                    for line in &l.line {
                        let (name, file) = funcs.get(&line.function_id).map(|f| (p.str(f.name), p.str(f.filename))).unwrap_or(("", ""));
                        stack.push((name.to_string(), file.to_string(), line.line));
                    }
                }
            }
            let bytes = s.label.iter().find(|l| p.str(l.key) == "bytes").map(|l| l.num);
            (stack, s.value.clone(), bytes)
        })
        .collect()
}
