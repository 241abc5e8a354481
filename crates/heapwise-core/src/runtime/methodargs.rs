//! The arguments of a method's frame, typed without DWARF: the binary's runtime type
//! descriptors give each method's parameter types by the code's text offset
//! ([`crate::runtime::abitypes`]: `abi.Method.Tfn`, `Mtyp`), and the function's own
//! traceback tables say where each argument is and whether it is there at a pc:
//! - `FUNCDATA_ArgInfo` (`cmd/compile/internal/ssagen/ssa.go` `EmitArgInfo`, read by
//!   `runtime/traceback.go` `printArgs`; Go 1.18-1.27) lists, argument by argument, the
//!   (offset from argp, size) of each scalar part, aggregates (structs, arrays, strings,
//!   slices, interfaces, complex numbers) bracketed, with markers for offsets too large,
//!   the limit of 10 parts and nesting deeper than 5. Register arguments are described at
//!   their spill slots, laid out as the argument's type is in memory. The parts listed are
//!   checked against the parameter types: an argument is placed only when its parts are
//!   exactly those its type has.
//! - `FUNCDATA_ArgLiveInfo` with `PCDATA_ArgLiveIndex` (`cmd/compile/internal/liveness/
//!   arg.go`) say which spill slots hold a stored value at a pc: the parts of an argument
//!   not stored yet hold whatever an earlier call left there, and are not read.

use crate::formats::dwarf::{Dwarf, Shape, TypeId};
use crate::formats::pclntab::{FuncInfo, Pclntab, FUNC_FLAG_ASM};
use crate::runtime::rt::Rt;

/// Part counts, markers and limits of `FUNCDATA_ArgInfo` (`internal/abi/type.go`), from
/// the type table's constants, else their values since Go 1.18.
struct Markers {
    end_seq: u8,
    start_agg: u8,
    end_agg: u8,
    dots: u8,
    too_large: u8,
    special: u8,
    limit: u32,
    max_depth: u32,
    max_len: u64,
    complex64: u8,
    complex128: u8,
}

impl Markers {
    fn new(dwarf: &Dwarf) -> Markers {
        let c = |n: &str, d: i64| dwarf.constant(&format!("internal/abi.{n}")).unwrap_or(d);
        Markers {
            end_seq: c("TraceArgsEndSeq", 0xff) as u8,
            start_agg: c("TraceArgsStartAgg", 0xfe) as u8,
            end_agg: c("TraceArgsEndAgg", 0xfd) as u8,
            dots: c("TraceArgsDotdotdot", 0xfc) as u8,
            too_large: c("TraceArgsOffsetTooLarge", 0xfb) as u8,
            special: c("TraceArgsSpecial", 0xf0) as u8,
            limit: c("TraceArgsLimit", 10).clamp(0, 1 << 10) as u32,
            max_depth: c("TraceArgsMaxDepth", 5).clamp(0, 64) as u32,
            max_len: c("TraceArgsMaxLen", 171).clamp(0, 1 << 12) as u64,
            complex64: c("Complex64", 15) as u8,
            complex128: c("Complex128", 16) as u8,
        }
    }
}

/// One token of an argument description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Start,
    End,
    Dots,
    /// A scalar part: offset (from argp as listed; from the argument's start as expected),
    /// size, and as listed its register spill slot index for liveness.
    Part { off: u64, size: u64, slot: Option<u32> },
    /// A part whose offset is too large to list (no size either).
    TooLarge,
}

/// An argument of a method frame placed by its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlacedArg {
    /// Position in the signature: 0 is the receiver.
    pub index: usize,
    pub ty: TypeId,
    /// Offset of the argument from the frame's argp.
    pub offset: u64,
    /// Its scalar parts whose values are in memory at the pc: (offset inside the
    /// argument, size).
    pub live: Vec<(u64, u64)>,
    /// Every part of the argument is listed and in memory: the whole value can be read.
    pub whole: bool,
}

/// The arguments of the frame of `f` at `pc` (the pc whose stack map is used) that the
/// method tables type, placed by `FUNCDATA_ArgInfo`. Empty for functions that are not
/// methods the descriptors describe, and for assembly.
pub(crate) fn method_args(rt: &Rt<'_>, pcln: &Pclntab, f: &FuncInfo, pc: u64) -> Vec<PlacedArg> {
    if f.flag & FUNC_FLAG_ASM != 0 || f.entry < pcln.text {
        return Vec::new();
    }
    let dwarf = rt.dwarf;
    let Some(params) = dwarf.method_params(f.entry - pcln.text) else { return Vec::new() };
    let m = Markers::new(dwarf);
    let Some(info) = pcln.funcdata(f, pcln.consts.funcdata_arg_info) else { return Vec::new() };
    // Up to its end marker, at most `TraceArgsMaxLen` bytes.
    let mut bytes = Vec::new();
    for i in 0..m.max_len {
        match rt.mem.u8(info.wrapping_add(i)) {
            Ok(b) => bytes.push(b),
            Err(_) => return Vec::new(),
        }
        if bytes.last() == Some(&m.end_seq) {
            break;
        }
    }
    let live = Liveness::read(rt, pcln, f, pc);
    let listed = parse(&bytes, &m, live.start);
    // `EmitArgInfo` leaves out the first input of a function whose symbol has type
    // arguments (a generic function's dictionary): for a method of a generic type, its
    // receiver.
    let skip = usize::from(f.name.contains('['));
    place(dwarf, &m, params, skip, &listed, &|off, slot| live.is_live(rt, off, slot))
}

/// Which spill slots are stored at a pc (`runtime/traceback.go` `printArgs`' `isLive`).
struct Liveness {
    /// Address of the funcdata, None without one (every slot is then in memory).
    info: Option<u64>,
    /// Smallest offset that liveness covers: parts below it are always in memory.
    start: u64,
    /// Offset of this pc's bitmap in the funcdata; 0 or less: every slot is live.
    idx: i32,
}

impl Liveness {
    fn read(rt: &Rt<'_>, pcln: &Pclntab, f: &FuncInfo, pc: u64) -> Liveness {
        let info = pcln.funcdata(f, pcln.consts.funcdata_arg_live_info);
        let start = info.and_then(|a| rt.mem.u8(a).ok()).map_or(u64::MAX, u64::from);
        let idx = pcln.pcdata(f, pcln.consts.pcdata_arg_live_index, pc).unwrap_or(-1);
        Liveness { info, start, idx }
    }

    fn is_live(&self, rt: &Rt<'_>, off: u64, slot: Option<u32>) -> bool {
        let Some(info) = self.info else { return true };
        if self.idx <= 0 || off < self.start {
            return true;
        }
        let Some(slot) = slot else { return false };
        let at = info.wrapping_add(self.idx as u64).wrapping_add(slot as u64 / 8);
        rt.mem.u8(at).is_ok_and(|b| b >> (slot % 8) & 1 != 0)
    }
}

/// The tokens of a `FUNCDATA_ArgInfo` up to its end marker; parts at or above `live_start`
/// are numbered as spill slots in order.
fn parse(b: &[u8], m: &Markers, live_start: u64) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut slot = 0u32;
    let mut i = 0;
    while let Some(&o) = b.get(i) {
        i += 1;
        let t = match o {
            _ if o == m.end_seq => break,
            _ if o == m.start_agg => Tok::Start,
            _ if o == m.end_agg => Tok::End,
            _ if o == m.dots => Tok::Dots,
            _ if o == m.too_large => Tok::TooLarge,
            _ if o >= m.special => return Vec::new(),
            _ => {
                let Some(&size) = b.get(i) else { return Vec::new() };
                i += 1;
                let off = o as u64;
                let s = (off >= live_start).then(|| {
                    slot += 1;
                    slot - 1
                });
                Tok::Part { off, size: size as u64, slot: s }
            }
        };
        out.push(t);
    }
    out
}

/// Whether a type is listed as an aggregate (`EmitArgInfo`'s `isAggregate`).
fn is_aggregate(dwarf: &Dwarf, m: &Markers, ty: TypeId) -> bool {
    use crate::formats::dwarf::kind;
    let k = dwarf.ty(ty).go_kind;
    [kind::STRUCT, kind::ARRAY, kind::INTERFACE, kind::STRING, kind::SLICE, m.complex64, m.complex128].contains(&k)
}

/// What `EmitArgInfo` lists for a value of `ty` at offset `base` of its argument
/// (`visitType`); `n` counts parts over the whole function. Returns whether listing goes on.
/// Recursion is bounded by the nesting limit, loops by the part limit.
fn expect(dwarf: &Dwarf, m: &Markers, ty: TypeId, base: u64, depth: u32, n: &mut u32, out: &mut Vec<Tok>) -> bool {
    use crate::formats::dwarf::kind;
    if *n >= m.limit {
        out.push(Tok::Dots);
        return false;
    }
    let t = dwarf.ty(ty);
    if !is_aggregate(dwarf, m, ty) {
        out.push(Tok::Part { off: base, size: t.size, slot: None });
        *n += 1;
        return true;
    }
    out.push(Tok::Start);
    let depth = depth + 1;
    if depth >= m.max_depth {
        out.push(Tok::Dots);
        out.push(Tok::End);
        *n += 1;
        return true;
    }
    let k = t.go_kind;
    let words = |count: u64, size: u64, n: &mut u32, out: &mut Vec<Tok>| {
        for i in 0..count {
            if *n >= m.limit {
                out.push(Tok::Dots);
                return;
            }
            out.push(Tok::Part { off: base + i * size, size, slot: None });
            *n += 1;
        }
    };
    if k == kind::INTERFACE || k == kind::STRING {
        words(2, 8, n, out);
    } else if k == kind::SLICE {
        words(3, 8, n, out);
    } else if k == m.complex64 || k == m.complex128 {
        words(2, t.size / 2, n, out);
    } else {
        match &dwarf.ty(dwarf.underlying(ty)).shape {
            Shape::Array { elem, len } => {
                if *len == 0 {
                    *n += 1;
                } else {
                    let es = dwarf.ty(*elem).size;
                    // Each element adds a part at least: the part limit ends the loop.
                    for i in 0..*len {
                        if !expect(dwarf, m, *elem, base + i * es, depth, n, out) {
                            break;
                        }
                    }
                }
            }
            Shape::Struct(fields) => {
                if fields.is_empty() {
                    *n += 1;
                }
                for f in fields {
                    if !expect(dwarf, m, f.ty, base + f.offset, depth, n, out) {
                        break;
                    }
                }
            }
            // A shape the table does not know: nothing matches it.
            _ => out.push(Tok::TooLarge),
        }
    }
    out.push(Tok::End);
    true
}

/// Matches the listed tokens against what each parameter's type lists, in order, and
/// places each argument whose parts all agree; stops at the first disagreement.
fn place(
    dwarf: &Dwarf,
    m: &Markers,
    params: &[TypeId],
    skip: usize,
    listed: &[Tok],
    is_live: &dyn Fn(u64, Option<u32>) -> bool,
) -> Vec<PlacedArg> {
    let mut out = Vec::new();
    let mut n = 0u32;
    let mut pos = 0usize;
    for (index, &ty) in params.iter().enumerate().skip(skip) {
        if pos >= listed.len() {
            break;
        }
        let mut want = Vec::new();
        let more = expect(dwarf, m, ty, 0, 0, &mut n, &mut want);
        let Some(got) = listed.get(pos..pos + want.len()) else { break };
        let mut base: Option<u64> = None;
        let mut parts: Vec<(u64, u64, bool)> = Vec::new();
        let mut complete = true;
        let mut agrees = true;
        for (w, g) in want.iter().zip(got) {
            match (*w, *g) {
                (Tok::Part { off: ro, size: rs, .. }, Tok::Part { off: ao, size: gs, slot }) => {
                    let b = *base.get_or_insert(ao.wrapping_sub(ro));
                    if gs != rs || ao < ro || b != ao - ro {
                        agrees = false;
                        break;
                    }
                    parts.push((ro, rs, is_live(ao, slot)));
                }
                (Tok::Part { .. }, Tok::TooLarge) => complete = false,
                (Tok::Dots, Tok::Dots) => complete = false,
                (a, b) if a == b && matches!(a, Tok::Start | Tok::End) => {}
                _ => {
                    agrees = false;
                    break;
                }
            }
        }
        if !agrees || want.contains(&Tok::TooLarge) {
            break;
        }
        pos += want.len();
        if let Some(offset) = base {
            let size = dwarf.ty(ty).size;
            let whole = complete && parts.iter().all(|p| p.2) && parts.iter().all(|p| p.0 + p.1 <= size);
            let live = parts.iter().filter(|p| p.2 && p.0 + p.1 <= size).map(|p| (p.0, p.1)).collect();
            out.push(PlacedArg { index, ty, offset, live, whole });
        }
        if !more {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::dwarf::{kind, Field, Type};

    fn ty(name: &str, size: u64, go_kind: u8, shape: Shape) -> Type {
        Type { name: name.into(), size, go_kind, runtime_type: 0, key: None, elem: None, shape }
    }

    /// Types: 0 int, 1 *int, 2 []int (slice header), 3 string, 4 struct{a *int; b int32; c string},
    /// 5 int32.
    fn table() -> Dwarf {
        let f = |name: &str, offset, ty| Field { name: name.into(), offset, ty, embedded: false };
        Dwarf::from_parts(
            vec![
                ty("int", 8, 2, Shape::Base(gimli::DW_ATE_signed.0)),
                ty("*int", 8, kind::POINTER, Shape::Pointer(Some(0))),
                ty("[]int", 24, kind::SLICE, Shape::Struct(vec![f("array", 0, 1), f("len", 8, 0), f("cap", 16, 0)])),
                ty("string", 16, kind::STRING, Shape::Struct(vec![f("str", 0, 1), f("len", 8, 0)])),
                ty("main.S", 32, kind::STRUCT, Shape::Struct(vec![f("a", 0, 1), f("b", 8, 5), f("c", 16, 3)])),
                ty("int32", 4, 5, Shape::Base(gimli::DW_ATE_signed.0)),
            ],
            Vec::new(),
            Default::default(),
        )
    }

    fn listed(bytes: &[u8], live_start: u64) -> Vec<Tok> {
        parse(bytes, &Markers::new(&Dwarf::default()), live_start)
    }

    #[test]
    fn arguments_are_placed_where_their_parts_are_listed() {
        let d = table();
        let m = Markers::new(&d);
        // func (r *int) M(s []int, x int): receiver at 0, s at 8..32, x at 32.
        let b = [0, 8, 0xfe, 8, 8, 16, 8, 24, 8, 0xfd, 32, 8, 0xff];
        let all = |_: u64, _: Option<u32>| true;
        let got = place(&d, &m, &[1, 2, 0], 0, &listed(&b, u64::MAX), &all);
        let offsets: Vec<(usize, u64, bool)> = got.iter().map(|a| (a.index, a.offset, a.whole)).collect();
        assert_eq!(offsets, vec![(0, 0, true), (1, 8, true), (2, 32, true)]);
        // A slice listed where the signature has an int: nothing past the receiver.
        let got = place(&d, &m, &[1, 0, 0], 0, &listed(&b, u64::MAX), &all);
        assert_eq!(got.len(), 1);
        // Only the slice's data pointer stored: that part alone, not whole.
        let ptr_only = |off: u64, _: Option<u32>| off != 16 && off != 24;
        let got = place(&d, &m, &[1, 2, 0], 0, &listed(&b, u64::MAX), &ptr_only);
        assert_eq!((got[1].whole, got[1].live.clone()), (false, vec![(0, 8)]));
    }

    #[test]
    fn spill_slot_liveness_and_limits() {
        let d = table();
        let m = Markers::new(&d);
        // Register slots from offset 8 numbered 0, 1, 2, ...
        let b = [0, 8, 0xfe, 8, 8, 16, 8, 24, 8, 0xfd, 0xff];
        let toks = listed(&b, 8);
        assert_eq!(toks[0], Tok::Part { off: 0, size: 8, slot: None });
        assert_eq!(toks[2], Tok::Part { off: 8, size: 8, slot: Some(0) });
        assert_eq!(toks[4], Tok::Part { off: 24, size: 8, slot: Some(2) });
        // A struct nested in its argument, with its string: parts at struct offsets.
        let b = [0xfe, 0, 8, 8, 4, 0xfe, 16, 8, 24, 8, 0xfd, 0xfd, 0xff];
        let got = place(&d, &m, &[4], 0, &listed(&b, u64::MAX), &|_, _| true);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].live, vec![(0, 8), (8, 4), (16, 8), (24, 8)]);
        // ... but a size that disagrees with the field's (the int32 listed as 8 bytes)
        // places nothing.
        let b = [0xfe, 0, 8, 8, 8, 0xfe, 16, 8, 24, 8, 0xfd, 0xfd, 0xff];
        assert!(place(&d, &m, &[4], 0, &listed(&b, u64::MAX), &|_, _| true).is_empty());
        // Ten parts at most: the eleventh argument is "...", never placed.
        let mut b: Vec<u8> = (0..10).flat_map(|i| [8 * i, 8]).collect();
        b.extend([0xfc, 0xff]);
        let got = place(&d, &m, &[0; 11], 0, &listed(&b, u64::MAX), &|_, _| true);
        assert_eq!(got.len(), 10);
        // A malformed description places nothing.
        assert!(listed(&[0xf5, 0xff], u64::MAX).is_empty());
    }
}
