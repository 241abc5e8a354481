//! The type table of an executable without DWARF, built from the runtime type descriptors
//! every Go binary carries for `reflect` (`internal/abi/type.go`: `abi.Type`, `PtrType`,
//! `SliceType`, `ArrayType`, `ChanType`, `MapType`/`SwissMapType`, `StructType`,
//! `InterfaceType`, `UncommonType`, `abi.Name`; Go 1.22 to 1.27). Each descriptor becomes a
//! [`Type`] of the shape `cmd/link/internal/ld/dwarf.go` gives the same Go type in DWARF,
//! so naming works unchanged: structs with their fields, slices and strings as their
//! headers, maps, chans and interfaces as typedefs with `go_kind`, key and element.
//!
//! The descriptors are found by scanning the module's types section (`moduledata.types` to
//! `etypes`) for well-formed `abi.Type` headers: a kind, power-of-two alignments, pointer
//! bytes within the size, a name inside the section, element types inside the section.
//!
//! The method tables of the descriptors (`UncommonType.Moff`: `[Mcount]abi.Method`) give
//! the parameter types of each method the linker kept (`Method.Mtyp`, a `FuncType` whose
//! inputs follow it) by the text offset of its code (`Method.Tfn`): what a frame of that
//! method holds in its arguments ([`crate::runtime::methodargs`]).

use std::collections::HashMap;

use crate::formats::dwarf::{Field, Shape, Type, TypeId};
use crate::runtime::rt::Rt;
use crate::Error;

/// Largest types section read (the Go compiler's is about 3 MiB).
const MAX_TYPES_SECTION: u64 = 256 << 20;
/// Most fields read of one struct type.
const MAX_FIELDS: u64 = 1 << 16;
/// Longest type or field name read.
const MAX_NAME: u64 = 1 << 12;

/// Field offsets of the descriptors, from the runtime layout table.
struct Layout {
    size: u64,
    ptr_bytes: u64,
    tflag: u64,
    align: u64,
    field_align: u64,
    kind: u64,
    str_off: u64,
    ptr_to_this: u64,
    header: u64,
    ptr_elem: u64,
    ptr_type: u64,
    slice_elem: u64,
    slice_type: u64,
    array_elem: u64,
    array_len: u64,
    array_type: u64,
    chan_elem: u64,
    chan_type: u64,
    map_key: u64,
    map_elem: u64,
    map_group: u64,
    /// What the type `map_group` points to is named (`noalg.map.group` for Swiss tables,
    /// Go 1.24+; `noalg.map.bucket` for `abi.MapType.Bucket`, Go 1.22-1.23).
    map_group_name: &'static str,
    map_type: u64,
    struct_fields: u64,
    struct_type: u64,
    field_name: u64,
    field_typ: u64,
    field_offset: u64,
    field_size: u64,
    iface_methods: u64,
    iface_type: u64,
    func_type: u64,
    uncommon_pkgpath: u64,
    /// Method tables: `UncommonType.Mcount`, `Moff`; `abi.Method` size, `Mtyp`, `Tfn`;
    /// `FuncType.InCount`, size of `UncommonType`. `None` when the table lacks one.
    methods: Option<MethodLayout>,
    kind_mask: u8,
    tflag_uncommon: u8,
    tflag_extra_star: u8,
    tflag_named: u8,
}

/// Field offsets of method tables and function types (`internal/abi/type.go`).
#[derive(Clone, Copy)]
struct MethodLayout {
    mcount: u64,
    moff: u64,
    method_size: u64,
    mtyp: u64,
    tfn: u64,
    in_count: u64,
    uncommon_size: u64,
}

impl MethodLayout {
    fn new(rt: &Rt<'_>) -> Option<MethodLayout> {
        const U: &str = "internal/abi.UncommonType";
        const M: &str = "internal/abi.Method";
        Some(MethodLayout {
            mcount: rt.off_opt(U, "Mcount")?,
            moff: rt.off_opt(U, "Moff")?,
            method_size: rt.size_of(M).ok().filter(|&s| s > 0)?,
            mtyp: rt.off_opt(M, "Mtyp")?,
            tfn: rt.off_opt(M, "Tfn")?,
            in_count: rt.off_opt("internal/abi.FuncType", "InCount")?,
            uncommon_size: rt.size_of(U).ok()?,
        })
    }
}

/// Kind numbers (`internal/abi.Kind`), from the table's constants.
struct Kinds {
    bool_: u8,
    int: u8,
    int64: u8,
    uint: u8,
    uintptr: u8,
    float32: u8,
    float64: u8,
    complex64: u8,
    complex128: u8,
    array: u8,
    chan: u8,
    func: u8,
    interface: u8,
    map: u8,
    pointer: u8,
    slice: u8,
    string: u8,
    struct_: u8,
    unsafe_pointer: u8,
}

impl Layout {
    fn new(rt: &Rt<'_>) -> Result<(Layout, Kinds), Error> {
        const T: &str = "internal/abi.Type";
        let map = if rt.dwarf.type_by_name("internal/abi.SwissMapType").is_some() { "internal/abi.SwissMapType" } else { "internal/abi.MapType" };
        let c = |n: &str| rt.constant(&[n]).map(|v| v as u8);
        let layout = Layout {
            size: rt.off(T, "Size_")?,
            ptr_bytes: rt.off(T, "PtrBytes")?,
            tflag: rt.off(T, "TFlag")?,
            align: rt.off(T, "Align_")?,
            field_align: rt.off(T, "FieldAlign_")?,
            kind: rt.off(T, "Kind_")?,
            str_off: rt.off(T, "Str")?,
            ptr_to_this: rt.off(T, "PtrToThis")?,
            header: rt.size_of(T)?,
            ptr_elem: rt.off("internal/abi.PtrType", "Elem")?,
            ptr_type: rt.size_of("internal/abi.PtrType")?,
            slice_elem: rt.off("internal/abi.SliceType", "Elem")?,
            slice_type: rt.size_of("internal/abi.SliceType")?,
            array_elem: rt.off("internal/abi.ArrayType", "Elem")?,
            array_len: rt.off("internal/abi.ArrayType", "Len")?,
            array_type: rt.size_of("internal/abi.ArrayType")?,
            chan_elem: rt.off("internal/abi.ChanType", "Elem")?,
            chan_type: rt.size_of("internal/abi.ChanType")?,
            map_key: rt.off(map, "Key")?,
            map_elem: rt.off(map, "Elem")?,
            map_group: rt.off(map, "Group").or_else(|_| rt.off(map, "Bucket"))?,
            map_group_name: if rt.off_opt(map, "Group").is_some() { "noalg.map.group" } else { "noalg.map.bucket" },
            map_type: rt.size_of(map)?,
            struct_fields: rt.off("internal/abi.StructType", "Fields")?,
            struct_type: rt.size_of("internal/abi.StructType")?,
            field_name: rt.off("internal/abi.StructField", "Name")?,
            field_typ: rt.off("internal/abi.StructField", "Typ")?,
            field_offset: rt.off("internal/abi.StructField", "Offset")?,
            field_size: rt.size_of("internal/abi.StructField")?,
            iface_methods: rt.off("internal/abi.InterfaceType", "Methods")?,
            iface_type: rt.size_of("internal/abi.InterfaceType")?,
            func_type: rt.size_of("internal/abi.FuncType")?,
            uncommon_pkgpath: rt.off("internal/abi.UncommonType", "PkgPath")?,
            methods: MethodLayout::new(rt),
            kind_mask: c("internal/abi.KindMask").unwrap_or(31),
            tflag_uncommon: c("internal/abi.TFlagUncommon")?,
            tflag_extra_star: c("internal/abi.TFlagExtraStar")?,
            tflag_named: c("internal/abi.TFlagNamed")?,
        };
        let kinds = Kinds {
            bool_: c("internal/abi.Bool")?,
            int: c("internal/abi.Int")?,
            int64: c("internal/abi.Int64")?,
            uint: c("internal/abi.Uint")?,
            uintptr: c("internal/abi.Uintptr")?,
            float32: c("internal/abi.Float32")?,
            float64: c("internal/abi.Float64")?,
            complex64: c("internal/abi.Complex64")?,
            complex128: c("internal/abi.Complex128")?,
            array: c("internal/abi.Array")?,
            chan: c("internal/abi.Chan")?,
            func: c("internal/abi.Func")?,
            interface: c("internal/abi.Interface")?,
            map: c("internal/abi.Map")?,
            pointer: c("internal/abi.Pointer")?,
            slice: c("internal/abi.Slice")?,
            string: c("internal/abi.String")?,
            struct_: c("internal/abi.Struct")?,
            unsafe_pointer: c("internal/abi.UnsafePointer")?,
        };
        Ok((layout, kinds))
    }
}

/// One descriptor found in the types section, before conversion.
struct Found {
    off: u64,
    size: u64,
    kind: u8,
    tflag: u8,
}

/// The section's bytes and where they are.
struct Section<'a> {
    base: u64,
    bytes: &'a [u8],
}

impl Section<'_> {
    fn u64(&self, off: u64) -> Option<u64> {
        crate::bytes::u64_at(self.bytes, usize::try_from(off).ok()?)
    }
    fn u32(&self, off: u64) -> Option<u32> {
        crate::bytes::u32_at(self.bytes, usize::try_from(off).ok()?)
    }
    fn u16(&self, off: u64) -> Option<u16> {
        let o = usize::try_from(off).ok()?;
        Some(u16::from_le_bytes(self.bytes.get(o..o.checked_add(2)?)?.try_into().ok()?))
    }
    fn u8(&self, off: u64) -> Option<u8> {
        crate::bytes::u8_at(self.bytes, usize::try_from(off).ok()?)
    }
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }
    /// Section offset of a pointer into the section.
    fn inside(&self, addr: u64) -> Option<u64> {
        let o = addr.checked_sub(self.base)?;
        (o < self.len()).then_some(o)
    }
    /// An `abi.Name` at section offset `off`: flag byte, uvarint length, bytes.
    fn name(&self, off: u64) -> Option<(u8, String)> {
        let flags = self.u8(off)?;
        if flags >= 1 << 4 {
            return None;
        }
        let start = usize::try_from(off).ok()?.checked_add(1)?;
        let (len, n) = crate::bytes::uvarint(self.bytes, start)?;
        if len > MAX_NAME {
            return None;
        }
        let s = start.checked_add(n)?;
        let b = self.bytes.get(s..s.checked_add(len as usize)?)?;
        Some((flags, std::str::from_utf8(b).ok()?.to_string()))
    }
}

/// Converts the descriptors of `[types, etypes)` into types numbered from `first_id`;
/// `runtime_type` of each is its offset from `types`, as `DW_AT_go_runtime_type` is.
/// `eface`, `iface`, `hchan_ptr`, `map_ptr`, `int`, `byte_ptr` are types of the layout table
/// the representations refer to.
pub fn read_types(rt: &Rt<'_>, types: u64, etypes: u64, first_id: TypeId, reps: &Representations) -> Result<AbiTypes, Error> {
    let (l, k) = Layout::new(rt)?;
    let len = etypes.checked_sub(types).filter(|&n| n <= MAX_TYPES_SECTION).ok_or_else(|| {
        Error::Malformed(format!("moduledata.types {types:#x} to etypes {etypes:#x} is not a plausible types section"))
    })?;
    let data = rt.mem.bytes(types, len as usize)?;
    let sec = Section { base: types, bytes: &data };
    let found = scan(&sec, &l, &k);
    let id_of: HashMap<u64, TypeId> =
        found.iter().enumerate().map(|(i, f)| (f.off, first_id.saturating_add(i as TypeId))).collect();
    let mut out: Vec<Type> = Vec::with_capacity(found.len() + found.len() / 4);
    // Pointer types a slice's `array` field needs that the binary has no descriptor of.
    let mut extra: Vec<Type> = Vec::new();
    let next_extra = |extra: &Vec<Type>| first_id.saturating_add((found.len() + extra.len()) as TypeId);
    let resolve = |addr: u64| sec.inside(addr).and_then(|o| id_of.get(&o).copied());
    let mut group_names: Vec<(TypeId, TypeId, TypeId)> = Vec::new();
    // How each unnamed composite's name is spelled from its parts (see `full_names`).
    let mut parts: Vec<Composite> = Vec::with_capacity(found.len());
    for f in &found {
        let raw = sec.u32(f.off + l.str_off).unwrap_or(0) as u64;
        let mut name = sec.name(raw).map(|(_, s)| s).unwrap_or_default();
        if f.tflag & l.tflag_extra_star != 0 {
            name = name.strip_prefix('*').map(str::to_string).unwrap_or(name);
        }
        let kind_size = kind_struct_size(&l, &k, f.kind);
        if f.tflag & l.tflag_named != 0 && f.tflag & l.tflag_uncommon != 0 {
            // A defined type: its package's import path, as DWARF names it.
            let pkg = sec.u32(f.off + kind_size + l.uncommon_pkgpath).unwrap_or(0) as u64;
            if let (Some((_, path)), Some(dot)) = (sec.name(pkg).filter(|_| pkg != 0), name.find('.')) {
                if !path.is_empty() && !name.starts_with(path.as_str()) {
                    name = format!("{path}.{}", &name[dot + 1..]);
                }
            }
        }
        let elem_at = |o: u64| sec.u64(f.off + o).and_then(resolve);
        let mut t = Type { name, size: f.size, go_kind: f.kind, runtime_type: f.off, key: None, elem: None, shape: Shape::Unknown };
        let kd = f.kind;
        t.shape = if kd == k.bool_ {
            Shape::Base(gimli::DW_ATE_boolean.0)
        } else if (k.int..=k.int64).contains(&kd) {
            Shape::Base(gimli::DW_ATE_signed.0)
        } else if (k.uint..=k.uintptr).contains(&kd) {
            Shape::Base(gimli::DW_ATE_unsigned.0)
        } else if (k.float32..=k.float64).contains(&kd) {
            Shape::Base(gimli::DW_ATE_float.0)
        } else if (k.complex64..=k.complex128).contains(&kd) {
            Shape::Base(gimli::DW_ATE_complex_float.0)
        } else if kd == k.pointer {
            Shape::Pointer(elem_at(l.ptr_elem))
        } else if kd == k.unsafe_pointer {
            Shape::Pointer(None)
        } else if kd == k.array {
            match elem_at(l.array_elem) {
                Some(e) => Shape::Array { elem: e, len: sec.u64(f.off + l.array_len).unwrap_or(0) },
                None => Shape::Unknown,
            }
        } else if kd == k.slice {
            t.elem = elem_at(l.slice_elem);
            let elem_ptr = t.elem.map(|e| {
                // The elem's own `*T` descriptor when the binary has one.
                let e_off = sec.u64(f.off + l.slice_elem).and_then(|a| sec.inside(a)).unwrap_or(0);
                let ptt = sec.u32(e_off + l.ptr_to_this).unwrap_or(0) as u64;
                id_of.get(&ptt).copied().filter(|_| ptt != 0).unwrap_or_else(|| {
                    let id = next_extra(&extra);
                    extra.push(Type { name: String::new(), size: 8, go_kind: k.pointer, runtime_type: 0, key: None, elem: None, shape: Shape::Pointer(Some(e)) });
                    id
                })
            });
            match elem_ptr {
                Some(p) => Shape::Struct(vec![
                    Field { name: "array".into(), offset: 0, ty: p, embedded: false },
                    Field { name: "len".into(), offset: 8, ty: reps.int, embedded: false },
                    Field { name: "cap".into(), offset: 16, ty: reps.int, embedded: false },
                ]),
                None => Shape::Unknown,
            }
        } else if kd == k.string {
            Shape::Struct(vec![
                Field { name: "str".into(), offset: 0, ty: reps.byte_ptr, embedded: false },
                Field { name: "len".into(), offset: 8, ty: reps.int, embedded: false },
            ])
        } else if kd == k.chan {
            t.elem = elem_at(l.chan_elem);
            Shape::Typedef(reps.hchan_ptr)
        } else if kd == k.map {
            t.key = elem_at(l.map_key);
            t.elem = elem_at(l.map_elem);
            if let (Some(g), Some(kt), Some(vt)) = (elem_at(l.map_group), t.key, t.elem) {
                group_names.push((g, kt, vt));
            }
            Shape::Typedef(reps.map_ptr)
        } else if kd == k.interface {
            let methods = sec.u64(f.off + l.iface_methods + 8).unwrap_or(0);
            Shape::Typedef(if methods == 0 { reps.eface } else { reps.iface })
        } else if kd == k.func {
            Shape::Func
        } else if kd == k.struct_ {
            Shape::Struct(struct_fields(rt, &sec, &l, f.off, &resolve))
        } else {
            Shape::Unknown
        };
        let named = f.tflag & l.tflag_named != 0;
        parts.push(match (&t.shape, named) {
            (_, true) => Composite::AsIs,
            (Shape::Pointer(Some(e)), _) => Composite::Ptr(*e),
            (Shape::Array { elem, len }, _) => Composite::Array(*elem, *len),
            _ if kd == k.slice => t.elem.map_or(Composite::AsIs, Composite::Slice),
            _ if kd == k.map => match (t.key, t.elem) {
                (Some(a), Some(b)) => Composite::Map(a, b),
                _ => Composite::AsIs,
            },
            _ if kd == k.chan => match (t.elem, t.name.starts_with("<-chan"), t.name.starts_with("chan<-")) {
                (Some(e), true, _) => Composite::Chan(e, "<-chan "),
                (Some(e), _, true) => Composite::Chan(e, "chan<- "),
                (Some(e), _, _) => Composite::Chan(e, "chan "),
                _ => Composite::AsIs,
            },
            _ => Composite::AsIs,
        });
        out.push(t);
    }
    // Map groups are named after their map, as the DWARF typing looks them up.
    for &(g, kt, vt) in &group_names {
        if let Some(i) = g.checked_sub(first_id).filter(|&i| (i as usize) < parts.len()) {
            parts[i as usize] = Composite::Group(kt, vt, l.map_group_name);
        }
    }
    full_names(&mut out, &parts, first_id);
    let methods = match l.methods {
        Some(ml) => method_params(&sec, &l, &k, &ml, &found, &id_of, &resolve),
        None => Vec::new(),
    };
    out.extend(extra);
    Ok(AbiTypes { types: out, methods })
}

/// What [`read_types`] reads: the types, and the parameters of the methods the linker kept.
pub struct AbiTypes {
    pub types: Vec<Type>,
    /// (text offset of the method's code, its parameter types with the receiver first),
    /// sorted by text offset, each offset once.
    pub methods: Vec<(u32, Vec<TypeId>)>,
}

/// Methods per type read at most (`UncommonType.Mcount` is a uint16).
const MAX_METHODS: u64 = 1 << 16;
/// Parameters per function type read at most (`FuncType.InCount` is a uint16).
const MAX_PARAMS: u64 = 1 << 16;

/// The parameters of every method of the descriptors in `found` whose code and type the
/// linker kept: `abi.Method.Tfn` is the code called with the receiver as the type itself
/// (`pkg.T.M` for `T`, `pkg.(*T).M` for `*T`), `Mtyp` the method's type without the
/// receiver; the linker sets both to -1 for methods nothing can call through an interface
/// or `reflect` (`cmd/link/internal/ld/deadcode.go`). A text offset claimed by two
/// different signatures is dropped.
fn method_params(
    sec: &Section<'_>,
    l: &Layout,
    k: &Kinds,
    ml: &MethodLayout,
    found: &[Found],
    id_of: &HashMap<u64, TypeId>,
    resolve: &dyn Fn(u64) -> Option<TypeId>,
) -> Vec<(u32, Vec<TypeId>)> {
    let kind_of: HashMap<u64, (u8, u8)> = found.iter().map(|f| (f.off, (f.kind, f.tflag))).collect();
    // The inputs of a func type at section offset `fo` (`FuncType.InSlice`).
    let inputs = |fo: u64| -> Option<Vec<TypeId>> {
        let &(kind, tflag) = kind_of.get(&fo)?;
        if kind != k.func {
            return None;
        }
        let n = sec.u16(fo + ml.in_count)? as u64;
        if n > MAX_PARAMS {
            return None;
        }
        let mut at = fo + l.func_type;
        if tflag & l.tflag_uncommon != 0 {
            at += ml.uncommon_size;
        }
        (0..n).map(|i| sec.u64(at + 8 * i).and_then(resolve)).collect()
    };
    let mut out: Vec<(u32, Vec<TypeId>)> = Vec::new();
    for f in found.iter().filter(|f| f.tflag & l.tflag_uncommon != 0) {
        let Some(&recv) = id_of.get(&f.off) else { continue };
        let u = f.off + kind_struct_size(l, k, f.kind);
        let (Some(mcount), Some(moff)) = (sec.u16(u + ml.mcount), sec.u32(u + ml.moff)) else { continue };
        for i in 0..(mcount as u64).min(MAX_METHODS) {
            let m = u + moff as u64 + i * ml.method_size;
            let (Some(mtyp), Some(tfn)) = (sec.u32(m + ml.mtyp), sec.u32(m + ml.tfn)) else { break };
            if mtyp == u32::MAX || tfn == u32::MAX {
                continue;
            }
            let Some(ins) = inputs(mtyp as u64) else { continue };
            let mut params = Vec::with_capacity(ins.len() + 1);
            params.push(recv);
            params.extend(ins);
            out.push((tfn, params));
        }
    }
    out.sort();
    // One signature per code offset; two different ones say nothing.
    let mut kept: Vec<(u32, Vec<TypeId>)> = Vec::with_capacity(out.len());
    let mut i = 0;
    while i < out.len() {
        let j = out[i..].iter().position(|e| e.0 != out[i].0).map_or(out.len(), |p| i + p);
        if out[i..j].iter().all(|e| e.1 == out[i].1) {
            kept.push(out[i].clone());
        }
        i = j;
    }
    kept
}

/// How an unnamed composite type's name is spelled from its parts. `reflect` spells
/// package-qualified names with the package name (`*json.Decoder`), DWARF with the import
/// path (`*encoding/json.Decoder`): names are rebuilt from the parts so both agree.
enum Composite {
    AsIs,
    Ptr(TypeId),
    Slice(TypeId),
    Array(TypeId, u64),
    Chan(TypeId, &'static str),
    Map(TypeId, TypeId),
    /// The group type of a map (`internal/runtime/maps`), `noalg.map.group[K]V`, or its
    /// bucket type before Swiss tables (`runtime/map.go`), `noalg.map.bucket[K]V`.
    Group(TypeId, TypeId, &'static str),
}

/// Rewrites the names of unnamed composites from their parts' names, deepest first.
fn full_names(out: &mut [Type], parts: &[Composite], first_id: TypeId) {
    let local = |t: TypeId| t.checked_sub(first_id).map(|i| i as usize).filter(|&i| i < parts.len());
    let children = |i: usize| -> [Option<usize>; 2] {
        match &parts[i] {
            Composite::Ptr(e) | Composite::Slice(e) | Composite::Array(e, _) | Composite::Chan(e, _) => [local(*e), None],
            Composite::Map(a, b) | Composite::Group(a, b, _) => [local(*a), local(*b)],
            Composite::AsIs => [None, None],
        }
    };
    // 0: not visited, 1: on the stack, 2: named.
    let mut state = vec![0u8; parts.len()];
    let mut stack: Vec<usize> = Vec::new();
    for start in 0..parts.len() {
        if state[start] != 0 {
            continue;
        }
        state[start] = 1;
        stack.push(start);
        // Post-order without recursion: a node is named once its parts are.
        while let Some(&cur) = stack.last() {
            match children(cur).into_iter().flatten().find(|&c| state[c] == 0) {
                Some(c) if stack.len() < 1 << 16 => {
                    state[c] = 1;
                    stack.push(c);
                }
                _ => {
                    stack.pop();
                    let name = |t: TypeId| local(t).map(|j| out[j].name.clone());
                    let new = match &parts[cur] {
                        Composite::AsIs => None,
                        Composite::Ptr(e) => name(*e).map(|n| format!("*{n}")),
                        Composite::Slice(e) => name(*e).map(|n| format!("[]{n}")),
                        Composite::Array(e, len) => name(*e).map(|n| format!("[{len}]{n}")),
                        Composite::Chan(e, dir) => name(*e).map(|n| format!("{dir}{n}")),
                        Composite::Map(a, b) => name(*a).zip(name(*b)).map(|(a, b)| format!("map[{a}]{b}")),
                        Composite::Group(a, b, prefix) => name(*a).zip(name(*b)).map(|(a, b)| format!("{prefix}[{a}]{b}")),
                    };
                    if let Some(n) = new.filter(|n| n.len() <= MAX_NAME as usize) {
                        out[cur].name = n;
                    }
                    state[cur] = 2;
                }
            }
        }
    }
}

/// Types of the layout table that converted types are represented by.
pub struct Representations {
    pub eface: TypeId,
    pub iface: TypeId,
    pub hchan_ptr: TypeId,
    pub map_ptr: TypeId,
    pub int: TypeId,
    pub byte_ptr: TypeId,
}

fn struct_fields(rt: &Rt<'_>, sec: &Section<'_>, l: &Layout, off: u64, resolve: &dyn Fn(u64) -> Option<TypeId>) -> Vec<Field> {
    let (Some(ptr), Some(n)) = (sec.u64(off + l.struct_fields), sec.u64(off + l.struct_fields + 8)) else { return Vec::new() };
    if n == 0 || n > MAX_FIELDS {
        return Vec::new();
    }
    let Ok(arr) = rt.mem.bytes(ptr, (n * l.field_size) as usize) else { return Vec::new() };
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        let at = (i * l.field_size) as usize;
        let word = |o: u64| crate::bytes::u64_at(&arr, at + o as usize).unwrap_or(0);
        let Some(ty) = resolve(word(l.field_typ)) else { continue };
        let (flags, name) = sec.inside(word(l.field_name)).and_then(|o| sec.name(o)).unwrap_or_default();
        // abi.Name flag bit 3: an embedded field (`internal/abi/type.go`, `Name.IsEmbedded`).
        out.push(Field { name, offset: word(l.field_offset), ty, embedded: flags & (1 << 3) != 0 });
    }
    out
}

/// Size of the kind-specific descriptor: the uncommon part follows it.
fn kind_struct_size(l: &Layout, k: &Kinds, kind: u8) -> u64 {
    match kind {
        x if x == k.pointer => l.ptr_type,
        x if x == k.slice => l.slice_type,
        x if x == k.array => l.array_type,
        x if x == k.chan => l.chan_type,
        x if x == k.map => l.map_type,
        x if x == k.struct_ => l.struct_type,
        x if x == k.interface => l.iface_type,
        x if x == k.func => l.func_type,
        _ => l.header,
    }
}

/// Offsets of well-formed `abi.Type` headers in the section.
fn scan(sec: &Section<'_>, l: &Layout, k: &Kinds) -> Vec<Found> {
    let mut out = Vec::new();
    let mut off = 0u64;
    let pow2 = |a: u8| matches!(a, 1 | 2 | 4 | 8);
    while off + l.header <= sec.len() {
        let ok = (|| {
            let size = sec.u64(off + l.size)?;
            let ptr_bytes = sec.u64(off + l.ptr_bytes)?;
            let tflag = sec.u8(off + l.tflag)?;
            let align = sec.u8(off + l.align)?;
            let falign = sec.u8(off + l.field_align)?;
            let kind = sec.u8(off + l.kind)? & l.kind_mask;
            let str_off = sec.u32(off + l.str_off)? as u64;
            let ptt = sec.u32(off + l.ptr_to_this)? as u64;
            if kind == 0 || kind > k.unsafe_pointer || !pow2(align) || !pow2(falign) || size > 1 << 40 {
                return None;
            }
            if ptr_bytes > size || ptr_bytes % 8 != 0 || size % align as u64 != 0 || ptt % 8 != 0 || ptt >= sec.len() {
                return None;
            }
            if str_off == 0 || sec.name(str_off).is_none_or(|(_, n)| n.is_empty()) {
                return None;
            }
            let elem_ok = |o: u64| sec.u64(off + o).and_then(|a| sec.inside(a)).is_some();
            let word_sized = size == 8 && ptr_bytes == 8;
            let shape_ok = match kind {
                x if x == k.pointer => word_sized && elem_ok(l.ptr_elem),
                x if x == k.unsafe_pointer || x == k.chan || x == k.map || x == k.func => word_sized,
                x if x == k.slice => size == 24 && ptr_bytes == 8 && elem_ok(l.slice_elem),
                x if x == k.string => size == 16 && ptr_bytes == 8,
                x if x == k.interface => size == 16 && ptr_bytes == 16,
                x if x == k.array => elem_ok(l.array_elem),
                x if x == k.struct_ => true,
                _ => ptr_bytes == 0 && matches!(size, 1 | 2 | 4 | 8 | 16),
            };
            let shape_ok = shape_ok
                && (kind != k.chan || elem_ok(l.chan_elem))
                && (kind != k.map || (elem_ok(l.map_key) && elem_ok(l.map_elem)));
            shape_ok.then_some(Found { off, size, kind, tflag })
        })();
        match ok {
            Some(f) => {
                // The kind-specific part is not another header.
                off += kind_struct_size(l, k, f.kind).max(8).next_multiple_of(8);
                out.push(f);
            }
            None => off += 8,
        }
    }
    out
}
