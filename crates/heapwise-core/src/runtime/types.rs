//! Runtime type descriptors (`internal/abi/type.go`: `abi.Type`, `abi.Name`) and pointer
//! layouts. A descriptor's `GCData` is its pointer mask; with `TFlagGCMaskOnDemand`
//! (Go 1.24+, and for every type over 16 mask bytes since Go 1.27's lower
//! `MaxPtrmaskBytes`) `GCData` points to a slot holding a lazily built mask, nil until the
//! runtime needed it: then the layout is derived from the DWARF type instead.

use std::rc::Rc;

use crate::formats::dwarf::{Dwarf, Shape, TypeId};
use crate::runtime::rt::Rt;

/// What heapwise knows of one `abi.Type`.
#[derive(Debug, Clone)]
pub struct RtypeInfo {
    pub addr: u64,
    pub size: u64,
    pub ptr_bytes: u64,
    /// Word indices (within one element of `size` bytes) that hold pointers.
    pub ptr_words: Vec<u64>,
    pub name: String,
    pub kind: u8,
    pub tflag: u8,
    /// Matching DWARF type, through `DW_AT_go_runtime_type`.
    pub dwarf: Option<TypeId>,
}

/// Field offsets of `abi.Type`, read once.
#[derive(Debug, Clone)]
struct AbiTypeLayout {
    size: u64,
    ptr_bytes: u64,
    tflag: u64,
    kind: u64,
    gcdata: u64,
    str_off: u64,
    total: u64,
}

/// Decodes and caches runtime type descriptors by address.
pub struct RtypeCache {
    layout: Option<AbiTypeLayout>,
    by_addr: crate::fasthash::FastMap<u64, Option<Rc<RtypeInfo>>>,
    /// `firstmoduledata.types`: base of name offsets.
    pub types_base: u64,
    pub types_end: u64,
    tflag_extra_star: u8,
    tflag_gcmask_on_demand: u8,
    kind_mask: u8,
}

impl RtypeCache {
    pub fn new(rt: &Rt<'_>) -> RtypeCache {
        let s = "internal/abi.Type";
        let layout = (|| {
            Some(AbiTypeLayout {
                size: rt.off_opt(s, "Size_")?,
                ptr_bytes: rt.off_opt(s, "PtrBytes")?,
                tflag: rt.off_opt(s, "TFlag")?,
                kind: rt.off_opt(s, "Kind_")?,
                gcdata: rt.off_opt(s, "GCData")?,
                str_off: rt.off_opt(s, "Str")?,
                total: rt.dwarf.size_of(s)?,
            })
        })();
        let (types_base, types_end) = (|| {
            let md = rt.global("runtime.firstmoduledata").ok()?;
            Some((
                rt.u64_field(md, "runtime.moduledata", "types").ok()?,
                rt.u64_field(md, "runtime.moduledata", "etypes").ok()?,
            ))
        })()
        .unwrap_or((0, 0));
        let c = |n: &str, d: i64| rt.dwarf.constant(n).unwrap_or(d) as u8;
        RtypeCache {
            layout,
            by_addr: Default::default(),
            types_base,
            types_end,
            tflag_extra_star: c("internal/abi.TFlagExtraStar", 2),
            tflag_gcmask_on_demand: c("internal/abi.TFlagGCMaskOnDemand", 0),
            kind_mask: c("internal/abi.KindMask", 31),
        }
    }

    /// The descriptor at `addr`, or `None` when it cannot be read.
    pub fn get(&mut self, rt: &Rt<'_>, addr: u64) -> Option<Rc<RtypeInfo>> {
        if let Some(v) = self.by_addr.get(&addr) {
            return v.clone();
        }
        let v = self.decode(rt, addr).map(Rc::new);
        self.by_addr.insert(addr, v.clone());
        v
    }

    fn decode(&self, rt: &Rt<'_>, addr: u64) -> Option<RtypeInfo> {
        let l = self.layout.as_ref()?;
        let b = rt.mem.bytes(addr, l.total as usize).ok()?;
        let size = crate::bytes::u64_at(&b, l.size as usize)?;
        let ptr_bytes = crate::bytes::u64_at(&b, l.ptr_bytes as usize)?;
        let tflag = crate::bytes::u8_at(&b, l.tflag as usize)?;
        let kind = crate::bytes::u8_at(&b, l.kind as usize)? & self.kind_mask;
        let gcdata = crate::bytes::u64_at(&b, l.gcdata as usize)?;
        let name_off = crate::bytes::u32_at(&b, l.str_off as usize)? as i32;
        if ptr_bytes > size || size > 1 << 40 {
            return None;
        }
        // DW_AT_go_runtime_type is an offset from the module's types section in the Go
        // releases heapwise reads; older linkers wrote the absolute address.
        let dwarf = (self.types_base != 0 && addr >= self.types_base && addr < self.types_end)
            .then(|| rt.dwarf.type_by_runtime_addr(addr - self.types_base))
            .flatten()
            .or_else(|| rt.dwarf.type_by_runtime_addr(addr.wrapping_sub(rt.bias)));
        let name = self.read_name(rt, name_off, tflag).unwrap_or_else(|| format!("type@{addr:#x}"));
        let nwords = ptr_bytes / 8;
        let mut mask_addr = gcdata;
        if self.tflag_gcmask_on_demand != 0 && tflag & self.tflag_gcmask_on_demand != 0 {
            mask_addr = if gcdata != 0 { rt.mem.u64(gcdata).unwrap_or(0) } else { 0 };
        }
        let ptr_words = if nwords == 0 {
            Vec::new()
        } else if mask_addr != 0 {
            match rt.mem.bytes(mask_addr, nwords.div_ceil(8) as usize) {
                Ok(mask) => (0..nwords).filter(|&w| mask[(w / 8) as usize] & (1 << (w % 8)) != 0).collect(),
                Err(_) => dwarf.map(|t| dwarf_ptr_words(rt.dwarf, t)).unwrap_or_default(),
            }
        } else {
            dwarf.map(|t| dwarf_ptr_words(rt.dwarf, t)).unwrap_or_default()
        };
        Some(RtypeInfo { addr, size, ptr_bytes, ptr_words, name, kind, tflag, dwarf })
    }

    /// Reads an `abi.Name` at `types + off`: a flag byte, a uvarint length, the bytes.
    fn read_name(&self, rt: &Rt<'_>, off: i32, tflag: u8) -> Option<String> {
        if self.types_base == 0 || off <= 0 {
            return None;
        }
        let p = self.types_base.checked_add(off as u64)?;
        let head = rt.mem.bytes(p, 11).ok()?;
        let (len, n) = crate::bytes::uvarint(&head, 1)?;
        if len > 4096 {
            return None;
        }
        let s = rt.mem.go_string(p.wrapping_add(1 + n as u64), len, 4096).ok()?;
        Some(if tflag & self.tflag_extra_star != 0 { s.strip_prefix('*').unwrap_or(&s).to_string() } else { s })
    }
}

/// Word indices of pointers in a value of DWARF type `ty`, as the compiler lays out its
/// GC mask: pointers, unsafe.Pointer, maps, chans, funcs, and the pointer words inside
/// strings, slices, interfaces, structs and arrays.
pub fn dwarf_ptr_words(dwarf: &Dwarf, ty: TypeId) -> Vec<u64> {
    let mut out = Vec::new();
    // Words past the type's own size are not its words (an array whose count lies).
    let mut lim = Limits { visits: MAX_VISITS, words: (dwarf.ty(dwarf.underlying(ty)).size / 8).min(MAX_PTR_WORDS as u64) };
    walk_ptr_words(dwarf, ty, 0, &mut out, 0, &mut lim);
    out.sort_unstable();
    out.dedup();
    out
}

/// Pointer words of one type at most (32 MiB of pointers).
const MAX_PTR_WORDS: usize = 1 << 22;
/// Types visited for one layout at most: nested structs of many fields multiply.
const MAX_VISITS: u32 = 1 << 20;

struct Limits {
    visits: u32,
    /// Word indices at or past this are not recorded.
    words: u64,
}

fn walk_ptr_words(dwarf: &Dwarf, ty: TypeId, base: u64, out: &mut Vec<u64>, depth: u32, lim: &mut Limits) {
    if depth > 64 || out.len() > MAX_PTR_WORDS || lim.visits == 0 || base / 8 >= lim.words.max(1) {
        return;
    }
    lim.visits -= 1;
    let u = dwarf.underlying(ty);
    let t = dwarf.ty(u);
    match &t.shape {
        Shape::Pointer(_) | Shape::Func => out.push(base / 8),
        Shape::Struct(fields) => {
            for f in fields {
                walk_ptr_words(dwarf, f.ty, base.wrapping_add(f.offset), out, depth + 1, lim);
            }
        }
        Shape::Array { elem, len } => {
            let es = dwarf.ty(*elem).size;
            if es == 0 || *len == 0 {
                return;
            }
            let mut one = Vec::new();
            let outer = lim.words;
            lim.words = (es / 8).max(1);
            walk_ptr_words(dwarf, *elem, 0, &mut one, depth + 1, lim);
            lim.words = outer;
            if one.is_empty() {
                return;
            }
            for i in 0..*len {
                let at = base.wrapping_add(i.wrapping_mul(es));
                if out.len() > MAX_PTR_WORDS || at / 8 >= lim.words {
                    break;
                }
                out.extend(one.iter().map(|w| at / 8 + w));
            }
        }
        _ => {}
    }
}
