//! DWARF of a Go executable, reduced to what heap analysis needs: the type table (with the
//! Go extensions `DW_AT_go_kind`, `DW_AT_go_key`, `DW_AT_go_elem`, `DW_AT_go_runtime_type`
//! emitted by `cmd/link/internal/ld/dwarf.go`), global variables, `DW_TAG_constant`
//! runtime constants, and the CFA-relative locals of each function.
//!
//! Handles the DWARF 4 and 5 output of Go 1.22 to 1.27 (`DW_AT_go_closure_offset` from 1.23 only) (zlib- or zstd-compressed sections
//! are decompressed by `object`).

use std::collections::HashMap;

use gimli::{AttributeValue, EndianSlice, LittleEndian};

use crate::Error;

/// Index into [`Dwarf::types`].
pub type TypeId = u32;

/// Go's `DW_AT_go_kind` values (`internal/abi.Kind`).
pub mod kind {
    pub const BOOL: u8 = 1;
    pub const ARRAY: u8 = 17;
    pub const CHAN: u8 = 18;
    pub const FUNC: u8 = 19;
    pub const INTERFACE: u8 = 20;
    pub const MAP: u8 = 21;
    pub const POINTER: u8 = 22;
    pub const SLICE: u8 = 23;
    pub const STRING: u8 = 24;
    pub const STRUCT: u8 = 25;
    pub const UNSAFE_POINTER: u8 = 26;
}

const DW_AT_GO_KIND: gimli::DwAt = gimli::DwAt(0x2900);
const DW_AT_GO_KEY: gimli::DwAt = gimli::DwAt(0x2901);
const DW_AT_GO_ELEM: gimli::DwAt = gimli::DwAt(0x2902);
const DW_AT_GO_EMBEDDED: gimli::DwAt = gimli::DwAt(0x2903);
const DW_AT_GO_RUNTIME_TYPE: gimli::DwAt = gimli::DwAt(0x2904);
/// Offset of a captured variable in its closure's context object (`funcval`).
const DW_AT_GO_CLOSURE_OFFSET: gimli::DwAt = gimli::DwAt(0x2907);

/// The shape of a DWARF type.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// Integers, floats, bools, complex: DW_ATE encoding.
    Base(u8),
    /// A pointer; `None` for `unsafe.Pointer`.
    Pointer(Option<TypeId>),
    Struct(Vec<Field>),
    Array { elem: TypeId, len: u64 },
    /// A named alias: Go's map and chan types, interface types and defined types are
    /// typedefs of their runtime representation.
    Typedef(TypeId),
    Func,
    Unknown,
}

/// One struct member.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub offset: u64,
    pub ty: TypeId,
    pub embedded: bool,
}

/// One DWARF type.
#[derive(Debug, Clone, PartialEq)]
pub struct Type {
    pub name: String,
    pub size: u64,
    /// `DW_AT_go_kind` (0 when absent).
    pub go_kind: u8,
    /// `DW_AT_go_runtime_type`: offset of the matching `abi.Type` from the start of the
    /// module's types section (`moduledata.types`), 0 when absent.
    pub runtime_type: u64,
    /// Map key type (`DW_AT_go_key`).
    pub key: Option<TypeId>,
    /// Map value, chan element, slice element type (`DW_AT_go_elem`).
    pub elem: Option<TypeId>,
    pub shape: Shape,
}

/// A package-level variable.
#[derive(Debug, Clone)]
pub struct Global {
    pub name: String,
    pub addr: u64,
    pub ty: TypeId,
}

/// A local variable or parameter of a function, located relative to the CFA. Variables of
/// functions inlined into it are its locals too (named through `DW_AT_abstract_origin`).
#[derive(Debug, Clone)]
pub struct Local {
    pub name: String,
    pub ty: TypeId,
    /// (pc range start, end, CFA offset) where the whole variable is in memory. A single
    /// full-range entry for plain locations.
    pub ranges: Vec<(u64, u64, i64)>,
    /// Where parts of the variable are in memory, for piecewise locations (`DW_OP_piece`:
    /// a slice whose pointer word is spilled apart from its length, or kept in a register).
    pub pieces: Vec<Piece>,
}

/// Part of a variable in memory over a pc range (DWARF 5 section 2.6.1.2, composite
/// location descriptions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub lo: u64,
    pub hi: u64,
    pub cfa_offset: i64,
    /// Byte offset of the part inside the variable, and its size.
    pub var_offset: u64,
    pub size: u64,
}

/// Where one location description puts a variable: wholly at an address (a global) or a
/// CFA offset, or in parts: (offset in the variable, size, CFA offset if in memory).
#[derive(Debug, Clone, PartialEq)]
enum Loc {
    Addr(u64),
    Cfa(i64),
    Pieces(Vec<(u64, u64, Option<i64>)>),
}

/// A function's locals.
#[derive(Debug, Clone)]
pub struct Function {
    pub name: String,
    pub low_pc: u64,
    pub high_pc: u64,
    pub locals: Vec<Local>,
    /// Captured variables of a closure: (name, type, offset in the closure context).
    pub closure_vars: Vec<(String, TypeId, u64)>,
    /// The variables declared directly in the function (name, type), whatever their
    /// location: in a closure of Go 1.22, whose DWARF has no `DW_AT_go_closure_offset`, its
    /// captured variables are among them (`x` by value, `&x` when the body uses its address).
    pub variables: Vec<(String, TypeId)>,
    /// Input parameters in declaration order: (name, type).
    pub params: Vec<(String, TypeId)>,
}

/// Everything heapwise reads from DWARF.
#[derive(Debug, Default, Clone)]
pub struct Dwarf {
    pub types: Vec<Type>,
    by_name: HashMap<String, TypeId>,
    by_runtime_type: crate::fasthash::FastMap<u64, TypeId>,
    pub globals: Vec<Global>,
    pub constants: HashMap<String, i64>,
    /// Sorted by `low_pc`.
    pub functions: Vec<Function>,
    /// Without DWARF: the parameter types (receiver first) of the methods the binary's
    /// runtime type descriptors describe, by the text offset of their code, sorted.
    method_params: Vec<(u32, Vec<TypeId>)>,
}

type Reader<'a> = EndianSlice<'a, LittleEndian>;

/// A local as read: its name (or its abstract origin's DIE), type, and pieces, where a
/// piece of size 0 is the whole variable.
struct RawLocal {
    name: Option<String>,
    origin: Option<u64>,
    ty: RawRef,
    pieces: Vec<Piece>,
}

/// Pieces of `loc` over `[lo, hi)`.
fn pieces_of(loc: &Loc, lo: u64, hi: u64, out: &mut Vec<Piece>) {
    match loc {
        Loc::Cfa(o) => out.push(Piece { lo, hi, cfa_offset: *o, var_offset: 0, size: 0 }),
        Loc::Pieces(ps) => out.extend(
            ps.iter().filter_map(|&(var_offset, size, o)| Some(Piece { lo, hi, cfa_offset: o?, var_offset, size })).filter(|p| p.size > 0),
        ),
        Loc::Addr(_) => {}
    }
}

enum RawRef {
    None,
    Info(u64),
}

struct PendingType {
    name: String,
    size: u64,
    go_kind: u8,
    runtime_type: u64,
    key: RawRef,
    elem: RawRef,
    target: RawRef,
    tag: gimli::DwTag,
    encoding: u8,
    fields: Vec<(String, u64, RawRef, bool)>,
    array_len: u64,
}

fn ref_of(v: Option<AttributeValue<Reader<'_>>>, unit: &gimli::UnitHeader<Reader<'_>>) -> RawRef {
    match v {
        Some(AttributeValue::UnitRef(o)) => o.to_debug_info_offset(unit).map(|o| RawRef::Info(o.0 as u64)).unwrap_or(RawRef::None),
        Some(AttributeValue::DebugInfoRef(o)) => RawRef::Info(o.0 as u64),
        _ => RawRef::None,
    }
}

fn udata(v: Option<AttributeValue<Reader<'_>>>) -> Option<u64> {
    match v? {
        AttributeValue::Addr(a) => Some(a),
        v => v.udata_value(),
    }
}

/// Decodes a location expression of the forms Go emits for memory-resident variables:
/// `DW_OP_addr A` (globals), `DW_OP_call_frame_cfa [DW_OP_consts N DW_OP_plus]` and
/// `DW_OP_fbreg N` (frame base is the CFA in Go). Returns `Ok(addr)` or `Err(cfa_offset)`.
fn decode_location(expr: &[u8]) -> Option<Result<u64, i64>> {
    let op = *expr.first()?;
    let mut r = gimli::EndianSlice::new(&expr[1..], LittleEndian);
    use gimli::Reader as _;
    match op {
        0x03 if expr.len() == 9 => Some(Ok(r.read_u64().ok()?)),
        0x91 => {
            let n = r.read_sleb128().ok()?;
            r.is_empty().then_some(Err(n))
        }
        0x9c => {
            if r.is_empty() {
                return Some(Err(0));
            }
            let next = r.read_u8().ok()?;
            let n = match next {
                0x11 => r.read_sleb128().ok()?,
                0x10 => r.read_uleb128().ok()? as i64,
                _ => return None,
            };
            (r.read_u8().ok()? == 0x22 && r.is_empty()).then_some(Err(n))
        }
        _ => None,
    }
}

/// Decodes a location description: a single location ([`decode_location`]) or a composite
/// of pieces, each a simple location (or a register, or nothing) followed by `DW_OP_piece`.
fn decode_loc(expr: &[u8]) -> Option<Loc> {
    use gimli::Reader as _;
    const DW_OP_PIECE: u8 = 0x93;
    // A whole single location first: an address or offset may hold a 0x93 byte, so the
    // byte's presence does not make a composite.
    match decode_location(expr) {
        Some(Ok(a)) => return Some(Loc::Addr(a)),
        Some(Err(o)) => return Some(Loc::Cfa(o)),
        None if !expr.contains(&DW_OP_PIECE) => return None,
        None => {}
    }
    let mut pieces = Vec::new();
    let mut r = gimli::EndianSlice::new(expr, LittleEndian);
    let mut var_off = 0u64;
    let mut cur: Option<i64> = None;
    while !r.is_empty() && pieces.len() < 64 {
        match r.read_u8().ok()? {
            DW_OP_PIECE => {
                let size = r.read_uleb128().ok()?;
                pieces.push((var_off, size, cur.take()));
                var_off = var_off.checked_add(size)?;
            }
            0x9c => {
                // DW_OP_call_frame_cfa [DW_OP_consts N | DW_OP_constu N, DW_OP_plus]
                let mut n = 0;
                let mut peek = r;
                match peek.read_u8() {
                    Ok(0x11) => {
                        n = peek.read_sleb128().ok()?;
                        (peek.read_u8().ok()? == 0x22).then_some(())?;
                        r = peek;
                    }
                    Ok(0x10) => {
                        n = peek.read_uleb128().ok()? as i64;
                        (peek.read_u8().ok()? == 0x22).then_some(())?;
                        r = peek;
                    }
                    _ => {}
                }
                cur = Some(n);
            }
            0x91 => cur = Some(r.read_sleb128().ok()?),
            // DW_OP_reg0..31: the part is in a register, not on the stack.
            0x50..=0x6f => cur = None,
            // DW_OP_regx
            0x90 => {
                r.read_uleb128().ok()?;
                cur = None;
            }
            _ => return None,
        }
    }
    Some(Loc::Pieces(pieces))
}

impl Dwarf {
    /// Loads DWARF from the executable's sections. `section` returns the (decompressed)
    /// contents of a section by name, or an empty slice.
    pub fn load<'a>(section: &dyn Fn(&str) -> &'a [u8]) -> Result<Dwarf, Error> {
        if section(".debug_info").is_empty() {
            return Err(Error::NoDwarf);
        }
        let dwarf = gimli::Dwarf::load(|id: gimli::SectionId| -> Result<Reader<'a>, gimli::Error> {
            Ok(EndianSlice::new(section(id.name()), LittleEndian))
        })
        .map_err(|e| Error::Dwarf(e.to_string()))?;
        Self::read(&dwarf).map_err(|e| Error::Dwarf(e.to_string()))
    }

    fn read(dwarf: &gimli::Dwarf<Reader<'_>>) -> Result<Dwarf, gimli::Error> {
        let mut pending: Vec<PendingType> = Vec::new();
        let mut offset_to_id: HashMap<u64, TypeId> = HashMap::new();
        let mut out = Dwarf::default();
        let mut raw_globals: Vec<(String, u64, RawRef)> = Vec::new();
        let mut raw_funcs: Vec<(String, u64, u64, Vec<RawLocal>)> = Vec::new();
        // Abstract (inlinable) functions by DIE, and the out-of-line copies naming them.
        let mut abstract_funcs: HashMap<u64, String> = HashMap::new();
        let mut func_origins: Vec<(usize, u64)> = Vec::new();
        // Parameters of out-of-line copies: (function, abstract origin of the parameter).
        let mut origin_params: Vec<(usize, u64)> = Vec::new();
        // Named variables without a location: the abstract origins of inlined ones.
        let mut origins: HashMap<u64, (String, RawRef)> = HashMap::new();
        let mut raw_closure_vars: Vec<(usize, String, RawRef, u64)> = Vec::new();
        let mut raw_params: Vec<(usize, String, RawRef)> = Vec::new();
        let mut raw_vars: Vec<(usize, String, RawRef)> = Vec::new();

        let mut units = dwarf.units();
        while let Some(header) = units.next()? {
            let unit = dwarf.unit(header)?;
            let mut cursor = unit.entries();
            // Stack of (depth, index into pending) for the struct/array being filled, and
            // the function whose locals we are collecting.
            let mut container: Option<(isize, usize)> = None;
            let mut func: Option<(isize, usize)> = None;
            // Inlined bodies being read: (depth, pc ranges), innermost last.
            let mut inlined: Vec<(isize, Vec<(u64, u64)>)> = Vec::new();
            while let Some(entry) = cursor.next_dfs()? {
                let depth = entry.depth();
                while inlined.last().is_some_and(|&(d, _)| depth <= d) {
                    inlined.pop();
                }
                if let Some((d, _)) = container {
                    if depth <= d {
                        container = None;
                    }
                }
                if let Some((d, _)) = func {
                    if depth <= d {
                        func = None;
                    }
                }
                let tag = entry.tag();
                let name = match entry.attr_value(gimli::DW_AT_name) {
                    Some(v) => dwarf.attr_string(&unit, v).ok().map(|s| String::from_utf8_lossy(s.slice()).into_owned()),
                    None => None,
                };
                match tag {
                    gimli::DW_TAG_base_type
                    | gimli::DW_TAG_pointer_type
                    | gimli::DW_TAG_structure_type
                    | gimli::DW_TAG_array_type
                    | gimli::DW_TAG_typedef
                    | gimli::DW_TAG_subroutine_type
                    | gimli::DW_TAG_unspecified_type => {
                        let go_kind = udata(entry.attr_value(DW_AT_GO_KIND)).unwrap_or(0) as u8;
                        let t = PendingType {
                            name: name.unwrap_or_default(),
                            size: udata(entry.attr_value(gimli::DW_AT_byte_size)).unwrap_or(0),
                            go_kind,
                            runtime_type: udata(entry.attr_value(DW_AT_GO_RUNTIME_TYPE)).unwrap_or(0),
                            key: ref_of(entry.attr_value(DW_AT_GO_KEY), &unit.header),
                            elem: ref_of(entry.attr_value(DW_AT_GO_ELEM), &unit.header),
                            target: ref_of(entry.attr_value(gimli::DW_AT_type), &unit.header),
                            tag,
                            encoding: udata(entry.attr_value(gimli::DW_AT_encoding)).unwrap_or(0) as u8,
                            fields: Vec::new(),
                            array_len: 0,
                        };
                        if let Some(o) = entry.offset().to_debug_info_offset(&unit.header) {
                            offset_to_id.insert(o.0 as u64, pending.len() as TypeId);
                        }
                        if matches!(tag, gimli::DW_TAG_structure_type | gimli::DW_TAG_array_type) {
                            container = Some((depth, pending.len()));
                        }
                        pending.push(t);
                    }
                    gimli::DW_TAG_member => {
                        if let Some((_, idx)) = container {
                            let off = udata(entry.attr_value(gimli::DW_AT_data_member_location)).unwrap_or(0);
                            // DW_FORM_flag: `udata` does not read flags.
                            let embedded = match entry.attr_value(DW_AT_GO_EMBEDDED) {
                                Some(AttributeValue::Flag(f)) => f,
                                v => udata(v).unwrap_or(0) != 0,
                            };
                            let r = ref_of(entry.attr_value(gimli::DW_AT_type), &unit.header);
                            pending[idx].fields.push((name.unwrap_or_default(), off, r, embedded));
                        }
                    }
                    gimli::DW_TAG_subrange_type => {
                        if let Some((_, idx)) = container {
                            let count = udata(entry.attr_value(gimli::DW_AT_count))
                                .or_else(|| udata(entry.attr_value(gimli::DW_AT_upper_bound)).map(|u| u.saturating_add(1)))
                                .unwrap_or(0);
                            pending[idx].array_len = count;
                        }
                    }
                    gimli::DW_TAG_variable | gimli::DW_TAG_formal_parameter if name.is_none() => {
                        // An inlined function's variable: named by its abstract origin.
                        // (Or of an out-of-line copy of an inlinable function: its whole body.)
                        let Some((d, f)) = func else { continue };
                        let ranges = inlined.last().map(|(_, r)| r.clone()).unwrap_or_else(|| vec![(0, u64::MAX)]);
                        let origin = match entry.attr_value(gimli::DW_AT_abstract_origin) {
                            Some(AttributeValue::UnitRef(o)) => o.to_debug_info_offset(&unit.header).map(|o| o.0 as u64),
                            Some(AttributeValue::DebugInfoRef(o)) => Some(o.0 as u64),
                            _ => None,
                        };
                        let Some(origin) = origin else { continue };
                        let is_result = matches!(entry.attr_value(gimli::DW_AT_variable_parameter), Some(AttributeValue::Flag(true)));
                        if tag == gimli::DW_TAG_formal_parameter && depth == d + 1 && inlined.is_empty() && !is_result {
                            origin_params.push((f, origin));
                        }
                        let mut pieces = Vec::new();
                        match entry.attr_value(gimli::DW_AT_location) {
                            Some(AttributeValue::Exprloc(e)) => {
                                if let Some(loc) = decode_loc(e.0.slice()) {
                                    for &(lo, hi) in &ranges {
                                        pieces_of(&loc, lo, hi, &mut pieces);
                                    }
                                }
                            }
                            Some(AttributeValue::LocationListsRef(o)) => {
                                if let Ok(mut locs) = dwarf.locations(&unit, o) {
                                    while let Ok(Some(l)) = locs.next() {
                                        if let Some(loc) = decode_loc(l.data.0.slice()) {
                                            pieces_of(&loc, l.range.begin, l.range.end, &mut pieces);
                                        }
                                    }
                                }
                            }
                            _ => {}
                        }
                        if !pieces.is_empty() {
                            raw_funcs[f].3.push(RawLocal { name: None, origin: Some(origin), ty: RawRef::None, pieces });
                        }
                    }
                    gimli::DW_TAG_variable | gimli::DW_TAG_formal_parameter | gimli::DW_TAG_constant => {
                        let Some(name) = name else { continue };
                        if tag == gimli::DW_TAG_constant {
                            if let Some(v) = entry.attr_value(gimli::DW_AT_const_value) {
                                let val = v.sdata_value().or_else(|| v.udata_value().map(|u| u as i64));
                                if let Some(val) = val {
                                    out.constants.insert(name, val);
                                }
                            }
                            continue;
                        }
                        let ty = ref_of(entry.attr_value(gimli::DW_AT_type), &unit.header);
                        if let (gimli::DW_TAG_formal_parameter, Some((d, f))) = (tag, func) {
                            let is_result = matches!(entry.attr_value(gimli::DW_AT_variable_parameter), Some(AttributeValue::Flag(true)))
                                || udata(entry.attr_value(gimli::DW_AT_variable_parameter)).unwrap_or(0) != 0;
                            if depth == d + 1 && !is_result {
                                raw_params.push((f, name.clone(), ref_of(entry.attr_value(gimli::DW_AT_type), &unit.header)));
                            }
                        }
                        if let (gimli::DW_TAG_variable, Some((d, f))) = (tag, func) {
                            if depth == d + 1 {
                                raw_vars.push((f, name.clone(), ref_of(entry.attr_value(gimli::DW_AT_type), &unit.header)));
                            }
                        }
                        if let (Some(off), Some((_, f))) = (udata(entry.attr_value(DW_AT_GO_CLOSURE_OFFSET)), func) {
                            raw_closure_vars.push((f, name.clone(), ref_of(entry.attr_value(gimli::DW_AT_type), &unit.header), off));
                        }
                        // Inside an inlined body a plain location holds over the body's ranges.
                        let body: Vec<(u64, u64)> = inlined.last().map(|(_, r)| r.clone()).unwrap_or_else(|| vec![(0, u64::MAX)]);
                        match entry.attr_value(gimli::DW_AT_location) {
                            Some(AttributeValue::Exprloc(e)) => match decode_loc(e.0.slice()) {
                                Some(Loc::Addr(addr)) if depth == 1 => raw_globals.push((name, addr, ty)),
                                Some(loc) => {
                                    if let Some((_, f)) = func {
                                        let mut pieces = Vec::new();
                                        for &(lo, hi) in &body {
                                            pieces_of(&loc, lo, hi, &mut pieces);
                                        }
                                        raw_funcs[f].3.push(RawLocal { name: Some(name), origin: None, ty, pieces });
                                    }
                                }
                                None => {}
                            },
                            Some(AttributeValue::LocationListsRef(o)) => {
                                let Some((_, f)) = func else { continue };
                                let mut pieces = Vec::new();
                                if let Ok(mut locs) = dwarf.locations(&unit, o) {
                                    while let Ok(Some(l)) = locs.next() {
                                        if let Some(loc) = decode_loc(l.data.0.slice()) {
                                            pieces_of(&loc, l.range.begin, l.range.end, &mut pieces);
                                        }
                                    }
                                }
                                if !pieces.is_empty() {
                                    raw_funcs[f].3.push(RawLocal { name: Some(name), origin: None, ty, pieces });
                                }
                            }
                            None => {
                                if let Some(o) = entry.offset().to_debug_info_offset(&unit.header) {
                                    origins.insert(o.0 as u64, (name, ty));
                                }
                            }
                            _ => {}
                        }
                    }
                    gimli::DW_TAG_subprogram => {
                        let low = match entry.attr_value(gimli::DW_AT_low_pc) {
                            Some(AttributeValue::Addr(a)) => Some(a),
                            Some(AttributeValue::DebugAddrIndex(i)) => dwarf.address(&unit, i).ok(),
                            _ => None,
                        };
                        let high = match entry.attr_value(gimli::DW_AT_high_pc) {
                            Some(AttributeValue::Addr(a)) => Some(a),
                            Some(v) => v.udata_value().and_then(|len| low.map(|l| l.saturating_add(len))),
                            None => None,
                        };
                        // An out-of-line copy of an inlinable function is named by its
                        // abstract origin, which may come later in the unit.
                        let origin = match entry.attr_value(gimli::DW_AT_abstract_origin) {
                            Some(AttributeValue::UnitRef(o)) => o.to_debug_info_offset(&unit.header).map(|o| o.0 as u64),
                            Some(AttributeValue::DebugInfoRef(o)) => Some(o.0 as u64),
                            _ => None,
                        };
                        match (low, high, name, origin) {
                            (Some(low), Some(high), Some(name), _) => {
                                func = Some((depth, raw_funcs.len()));
                                raw_funcs.push((name, low, high, Vec::new()));
                            }
                            (Some(low), Some(high), None, Some(o)) => {
                                func = Some((depth, raw_funcs.len()));
                                func_origins.push((raw_funcs.len(), o));
                                raw_funcs.push((String::new(), low, high, Vec::new()));
                            }
                            (None, _, Some(name), _) => {
                                if let Some(o) = entry.offset().to_debug_info_offset(&unit.header) {
                                    abstract_funcs.insert(o.0 as u64, name);
                                }
                            }
                            _ => {}
                        }
                    }
                    // Its variables live in the caller's frame, over the body's pc ranges.
                    gimli::DW_TAG_inlined_subroutine if func.is_some() => {
                        let mut ranges = Vec::new();
                        if let Ok(mut it) = dwarf.die_ranges(&unit, entry) {
                            while let Ok(Some(r)) = it.next() {
                                if ranges.len() < 1024 {
                                    ranges.push((r.begin, r.end));
                                }
                            }
                        }
                        inlined.push((depth, ranges));
                    }
                    _ => {}
                }
            }
        }

        let resolve = |r: &RawRef| match r {
            RawRef::Info(o) => offset_to_id.get(o).copied(),
            RawRef::None => None,
        };
        out.types = pending
            .iter()
            .map(|p| {
                let shape = match p.tag {
                    gimli::DW_TAG_base_type => Shape::Base(p.encoding),
                    gimli::DW_TAG_pointer_type => Shape::Pointer(resolve(&p.target)),
                    gimli::DW_TAG_structure_type => Shape::Struct(
                        p.fields
                            .iter()
                            .filter_map(|(n, off, r, emb)| {
                                Some(Field { name: n.clone(), offset: *off, ty: resolve(r)?, embedded: *emb })
                            })
                            .collect(),
                    ),
                    gimli::DW_TAG_array_type => match resolve(&p.target) {
                        Some(elem) => Shape::Array { elem, len: p.array_len },
                        None => Shape::Unknown,
                    },
                    gimli::DW_TAG_typedef => match resolve(&p.target) {
                        Some(t) => Shape::Typedef(t),
                        None => Shape::Unknown,
                    },
                    gimli::DW_TAG_subroutine_type => Shape::Func,
                    _ => Shape::Unknown,
                };
                Type {
                    name: p.name.clone(),
                    size: p.size,
                    go_kind: p.go_kind,
                    runtime_type: p.runtime_type,
                    key: resolve(&p.key),
                    elem: resolve(&p.elem),
                    shape,
                }
            })
            .collect();
        out.index();
        out.globals = raw_globals
            .into_iter()
            .filter_map(|(name, addr, r)| Some(Global { name, addr, ty: resolve(&r)? }))
            .collect();
        out.globals.sort_by_key(|g| g.addr);
        let mut closure_vars: Vec<Vec<(String, TypeId, u64)>> = vec![Vec::new(); raw_funcs.len()];
        for (f, name, r, off) in raw_closure_vars {
            if let Some(t) = resolve(&r) {
                closure_vars[f].push((name, t, off));
            }
        }
        for (f, o) in func_origins {
            if let Some(name) = abstract_funcs.get(&o) {
                raw_funcs[f].0 = name.clone();
            }
        }
        let mut params: Vec<Vec<(String, TypeId)>> = vec![Vec::new(); raw_funcs.len()];
        for (f, o) in origin_params {
            if let Some((name, t)) = origins.get(&o) {
                if let Some(t) = resolve(t) {
                    params[f].push((name.clone(), t));
                }
            }
        }
        for (f, name, r) in raw_params {
            if let Some(t) = resolve(&r) {
                params[f].push((name, t));
            }
        }
        let mut variables: Vec<Vec<(String, TypeId)>> = vec![Vec::new(); raw_funcs.len()];
        for (f, name, r) in raw_vars {
            if let Some(t) = resolve(&r) {
                variables[f].push((name, t));
            }
        }
        out.functions = raw_funcs
            .into_iter()
            .zip(closure_vars)
            .zip(params)
            .zip(variables)
            .map(|((((name, low_pc, high_pc, locals), closure_vars), params), variables)| Function {
                name,
                low_pc,
                high_pc,
                locals: locals
                    .into_iter()
                    .filter_map(|l| {
                        let (name, ty) = match (l.name, l.origin) {
                            (Some(n), _) => (n, resolve(&l.ty)?),
                            (None, Some(o)) => {
                                let (n, t) = origins.get(&o)?;
                                (n.clone(), resolve(t)?)
                            }
                            (None, None) => return None,
                        };
                        let (whole, pieces): (Vec<Piece>, Vec<Piece>) = l.pieces.into_iter().partition(|p| p.size == 0);
                        let ranges = whole.iter().map(|p| (p.lo, p.hi, p.cfa_offset)).collect();
                        Some(Local { name, ty, ranges, pieces })
                    })
                    .filter(|l| !l.ranges.is_empty() || !l.pieces.is_empty())
                    .collect(),
                closure_vars,
                params,
                variables,
            })
            .collect();
        // Copies whose abstract origin was not found have no name to show.
        out.functions.retain(|f| !f.name.is_empty());
        out.functions.sort_by_key(|f| f.low_pc);
        Ok(out)
    }

    /// A type table built from another source than DWARF (the layout table of
    /// [`crate::runtime::layouts`], runtime type descriptors): `types` may refer to each
    /// other by index; sizes of typedefs and the name and runtime-type indexes are filled in.
    pub fn from_parts(types: Vec<Type>, globals: Vec<Global>, constants: HashMap<String, i64>) -> Dwarf {
        let mut out = Dwarf { types, globals, constants, ..Default::default() };
        out.globals.sort_by_key(|g| g.addr);
        out.index();
        out
    }

    /// Sets the method parameters (see [`Dwarf::method_params`]); `methods` is sorted by
    /// text offset.
    pub fn set_method_params(&mut self, methods: Vec<(u32, Vec<TypeId>)>) {
        self.method_params = methods;
    }

    /// The parameter types, receiver first, of the method whose code starts `text_off`
    /// bytes into the module's text (`moduledata.text`), when the type descriptors say.
    pub fn method_params(&self, text_off: u64) -> Option<&[TypeId]> {
        let off = u32::try_from(text_off).ok()?;
        let i = self.method_params.binary_search_by_key(&off, |m| m.0).ok()?;
        Some(&self.method_params[i].1)
    }

    /// Appends types that refer to each other (and to existing types) by index, and
    /// re-indexes: existing names and runtime types keep their entries.
    pub fn add_types(&mut self, types: Vec<Type>) {
        self.types.extend(types);
        self.index();
    }

    /// Whether this table came from no debug information at all (an empty table).
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// Implied sizes (typedefs take their target's, pointers are 8 bytes) and the lookup
    /// indexes by name and by runtime type.
    fn index(&mut self) {
        let out = self;
        // Pointer sizes are implied. Before typedefs take their target's size: Go's map and
        // chan types are typedefs of pointers (`map[K]V` of `*maps.Map`, `chan T` of
        // `*hchan<T>`), one word each.
        for t in &mut out.types {
            if matches!(t.shape, Shape::Pointer(_)) && t.size == 0 {
                t.size = 8;
            }
        }
        // Typedefs carry no byte size: take the target's.
        for i in 0..out.types.len() {
            if out.types[i].size == 0 {
                let u = out.underlying(i as TypeId);
                out.types[i].size = out.types[u as usize].size;
            }
        }
        out.by_name.clear();
        out.by_runtime_type.clear();
        for (i, t) in out.types.iter().enumerate() {
            if !t.name.is_empty() {
                // Prefer the first definition that has content (structs can be declared twice).
                let keep = match out.by_name.get(&t.name) {
                    Some(&prev) => {
                        let p = &out.types[prev as usize];
                        matches!(&p.shape, Shape::Struct(f) if f.is_empty()) && !matches!(&t.shape, Shape::Struct(f) if f.is_empty())
                    }
                    None => true,
                };
                if keep {
                    out.by_name.insert(t.name.clone(), i as TypeId);
                }
            }
            if t.runtime_type != 0 {
                out.by_runtime_type.entry(t.runtime_type).or_insert(i as TypeId);
            }
        }
    }

    pub fn ty(&self, id: TypeId) -> &Type {
        &self.types[id as usize]
    }

    pub fn type_by_name(&self, name: &str) -> Option<TypeId> {
        self.by_name.get(name).copied()
    }

    /// The DWARF type whose `DW_AT_go_runtime_type` is `addr` (an offset into the types section).
    pub fn type_by_runtime_addr(&self, addr: u64) -> Option<TypeId> {
        self.by_runtime_type.get(&addr).copied()
    }

    /// Follows typedefs to the representation type.
    pub fn underlying(&self, mut id: TypeId) -> TypeId {
        for _ in 0..64 {
            match self.types[id as usize].shape {
                Shape::Typedef(t) => id = t,
                _ => break,
            }
        }
        id
    }

    /// Byte offset and type of `field` in the struct named `struct_name`.
    pub fn field(&self, struct_name: &str, field: &str) -> Option<(u64, TypeId)> {
        let id = self.underlying(self.type_by_name(struct_name)?);
        match &self.types[id as usize].shape {
            Shape::Struct(fields) => fields.iter().find(|f| f.name == field).map(|f| (f.offset, f.ty)),
            _ => None,
        }
    }

    /// Byte offset and type of `field` in struct type `ty`, looking into embedded fields
    /// too (`cleanupBlock.alllink` lives in its embedded `cleanupBlockHeader`).
    pub fn field_of(&self, ty: TypeId, field: &str) -> Option<(u64, TypeId)> {
        let mut work = vec![(ty, 0u64, 0u32)];
        while let Some((t, base, depth)) = work.pop() {
            let Shape::Struct(fields) = &self.types[self.underlying(t) as usize].shape else { continue };
            if let Some(f) = fields.iter().find(|f| f.name == field) {
                return Some((base.wrapping_add(f.offset), f.ty));
            }
            if depth < 8 {
                work.extend(fields.iter().filter(|f| f.embedded).map(|f| (f.ty, base.wrapping_add(f.offset), depth + 1)));
            }
        }
        None
    }

    /// Size of the type named `name`.
    pub fn size_of(&self, name: &str) -> Option<u64> {
        self.type_by_name(name).map(|t| self.types[t as usize].size)
    }

    pub fn constant(&self, name: &str) -> Option<i64> {
        self.constants.get(name).copied()
    }

    /// The global variable containing `addr`, if any.
    pub fn global_at(&self, addr: u64) -> Option<&Global> {
        let i = self.globals.partition_point(|g| g.addr <= addr).checked_sub(1)?;
        let g = &self.globals[i];
        let size = self.types[g.ty as usize].size.max(1);
        (addr < g.addr.saturating_add(size)).then_some(g)
    }

    /// The function whose code contains `pc`.
    pub fn function_at(&self, pc: u64) -> Option<&Function> {
        let i = self.functions.partition_point(|f| f.low_pc <= pc).checked_sub(1)?;
        let f = &self.functions[i];
        (pc < f.high_pc).then_some(f)
    }

    /// Bytes of padding inside a value of type `ty`: gaps between struct fields and after
    /// the last one, in nested structs and array elements too.
    pub fn padding(&self, ty: TypeId) -> u64 {
        self.padding_depth(ty, 0)
    }

    fn padding_depth(&self, ty: TypeId, depth: u32) -> u64 {
        if depth > 32 {
            return 0;
        }
        let u = self.underlying(ty);
        let t = &self.types[u as usize];
        match &t.shape {
            Shape::Struct(fields) => {
                let mut pad = 0;
                let mut end = 0;
                for f in fields {
                    pad += f.offset.saturating_sub(end);
                    let fs = self.types[f.ty as usize].size;
                    pad += self.padding_depth(f.ty, depth + 1);
                    end = end.max(f.offset + fs);
                }
                pad + t.size.saturating_sub(end)
            }
            Shape::Array { elem, len } => len.saturating_mul(self.padding_depth(*elem, depth + 1)),
            _ => 0,
        }
    }

    /// Names the field of type `ty` at byte `offset` (`next`, `items[3].p`, `+0x18`).
    pub fn field_path(&self, ty: TypeId, offset: u64) -> String {
        let mut out = String::new();
        let mut cur = ty;
        let mut off = offset;
        for _ in 0..32 {
            let u = self.underlying(cur);
            let t = &self.types[u as usize];
            match &t.shape {
                Shape::Struct(fields) => {
                    let f = fields.iter().rev().find(|f| f.offset <= off && off < f.offset.saturating_add(self.types[f.ty as usize].size.max(1)));
                    match f {
                        Some(f) => {
                            if !out.is_empty() {
                                out.push('.');
                            }
                            out.push_str(&f.name);
                            off -= f.offset;
                            cur = f.ty;
                        }
                        None => break,
                    }
                }
                Shape::Array { elem, .. } => {
                    let es = self.types[*elem as usize].size.max(1);
                    out.push_str(&format!("[{}]", off / es));
                    off %= es;
                    cur = *elem;
                }
                _ => break,
            }
        }
        if off != 0 || out.is_empty() {
            out.push_str(&format!("+{off:#x}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_go_locations() {
        assert_eq!(decode_location(&[0x03, 0x80, 0x68, 0x58, 0, 0, 0, 0, 0]), Some(Ok(0x586880)));
        assert_eq!(decode_location(&[0x9c]), Some(Err(0)));
        assert_eq!(decode_location(&[0x91, 0x70]), Some(Err(-16)));
        assert_eq!(decode_location(&[0x9c, 0x11, 0x08, 0x22]), Some(Err(8)));
        assert_eq!(decode_location(&[0x50]), None);
        // An address with a DW_OP_piece byte (0x93) in it is still a single address.
        assert!(matches!(decode_loc(&[0x03, 0x50, 0x63, 0x93, 0, 0, 0, 0, 0]), Some(Loc::Addr(0x936350))));
        // fbreg -109 encodes its offset as 0x93 0x7f.
        assert!(matches!(decode_loc(&[0x91, 0x93, 0x7f]), Some(Loc::Cfa(-109))));
        assert_eq!(decode_location(&[]), None);
    }

    #[test]
    fn decodes_composite_locations() {
        // A slice: pointer at CFA-24, len in a register, cap at CFA-16.
        let expr = [0x9c, 0x11, 0x68, 0x22, 0x93, 0x08, 0x50, 0x93, 0x08, 0x91, 0x70, 0x93, 0x08];
        assert_eq!(decode_loc(&expr), Some(Loc::Pieces(vec![(0, 8, Some(-24)), (8, 8, None), (16, 8, Some(-16))])));
        assert_eq!(decode_loc(&[0x91, 0x70]), Some(Loc::Cfa(-16)));
        // An unknown operation inside a composite: no location.
        assert_eq!(decode_loc(&[0x9c, 0x93, 0x08, 0xe0, 0x93, 0x08]), None);
    }
}
