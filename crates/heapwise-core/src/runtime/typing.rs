//! Naming heap objects. Objects with an allocation header or a large-span `largeType`
//! name themselves; every other object is named by propagating DWARF types from typed
//! roots (globals, stack variables) through typed pointers, structs, arrays, slices,
//! strings, interfaces (itab and type words, direct and boxed values), channel buffers
//! (`runtime/chan.go`: `hchan.buf`), closures (`DW_AT_go_closure_offset`), Swiss-table
//! maps (`internal/runtime/maps`: `Map.dirPtr/dirLen`, `table.groups`; Go 1.24+) and
//! bucket maps (`runtime/map.go`: `hmap.buckets`, `oldbuckets`, `extra.overflow`; Go 1.22
//! and 1.23), and
//! `sync.Pool`'s per-P arrays (`sync/pool.go`). Stack variables only parts of which are in
//! memory (composite DWARF locations) seed from the parts there. When propagation is done,
//! objects still unnamed that a subslice or substring points into, that the tiny allocator
//! packed a typed value into, or whose first word is a closure function's entry are named
//! from that evidence.
//! Memory no type describes (the globals and frames of an executable without DWARF, objects
//! nothing named) still names what it holds through interface values (a type or itab word
//! before a data word), `sync.Map`s (found by their hash and equality funcs) and closures
//! (a first word that is a closure's entry in the pclntab). Objects still unnamed are then
//! named by layout where exactly one type fits ([`crate::runtime::inference`]), and what
//! they point to after them, all labelled `<inferred ..>`; the rest are labelled by size and
//! pointer shape.

use std::collections::HashMap;
use std::rc::Rc;

use crate::formats::dwarf::{kind, Dwarf, Shape, TypeId};
use crate::runtime::heap::{Heap, PtrLayout, SlotId, Target};
use crate::runtime::rt::Rt;
use crate::runtime::types::RtypeCache;

/// No type assigned.
pub const UNTYPED: u32 = u32::MAX;

/// One entry of the type table: what the histogram groups by.
#[derive(Debug, Clone)]
pub struct TypeEntry {
    pub name: String,
    /// The DWARF type of one element.
    pub dwarf: Option<TypeId>,
    /// Element count when the object is an array of `dwarf` (1 for a single value).
    pub count: u64,
}

/// Per-slot type assignment.
pub struct Typing {
    pub slot_type: Vec<u32>,
    pub entries: Vec<TypeEntry>,
    index: crate::fasthash::FastMap<(String, Option<TypeId>, u64), u32>,
}

impl Typing {
    fn intern(&mut self, name: String, dwarf: Option<TypeId>, count: u64) -> u32 {
        let key = (name, dwarf, count);
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.entries.len() as u32;
        self.entries.push(TypeEntry { name: key.0.clone(), dwarf, count });
        self.index.insert(key, i);
        i
    }

    /// The entry of `slot`, if typed.
    pub fn of(&self, slot: SlotId) -> Option<&TypeEntry> {
        match self.slot_type[slot as usize] {
            UNTYPED => None,
            i => Some(&self.entries[i as usize]),
        }
    }
}

/// Display name of a DWARF type, as Go prints it.
pub fn display_name(dwarf: &Dwarf, ty: TypeId) -> String {
    let n = &dwarf.ty(ty).name;
    let n = n.strip_prefix("noalg.").unwrap_or(n);
    if n.is_empty() {
        "<anonymous>".to_string()
    } else {
        n.to_string()
    }
}

fn array_name(elem: &str, count: u64) -> String {
    if count == 1 {
        elem.to_string()
    } else {
        format!("[{count}]{elem}")
    }
}

/// For a struct holding one `unsafe.Pointer` and a zero-length `[0]*T` field (as
/// `sync/atomic.Pointer[T]` does, `sync/atomic/type.go`), `T`.
fn typed_unsafe_pointee(dwarf: &Dwarf, fields: &[crate::formats::dwarf::Field]) -> Option<TypeId> {
    let mut pointee = None;
    let mut unsafe_ptrs = 0;
    for f in fields {
        match &dwarf.ty(dwarf.underlying(f.ty)).shape {
            Shape::Array { elem, len: 0 } => {
                if let Shape::Pointer(Some(p)) = dwarf.ty(dwarf.underlying(*elem)).shape {
                    pointee = Some(p);
                }
            }
            Shape::Pointer(None) => unsafe_ptrs += 1,
            _ => {}
        }
    }
    pointee.filter(|_| unsafe_ptrs == 1)
}

/// The receiver type of the method a method-value wrapper calls, from the wrapper's
/// symbol name: `pkg.(*T).M-fm` has receiver `*pkg.T`, `pkg.T.M-fm` has `pkg.T`.
fn method_value_receiver(dwarf: &Dwarf, wrapper: &str) -> Option<TypeId> {
    let method = wrapper.strip_suffix("-fm")?;
    // The method name is the last dot-separated part: it has no dots of its own.
    let (recv, _) = method.rsplit_once('.')?;
    let name = match recv.strip_suffix(')').and_then(|r| r.split_once(".(*")) {
        Some((pkg, ty)) => format!("*{pkg}.{ty}"),
        None => recv.to_string(),
    };
    dwarf.type_by_name(&name)
}

/// The DWARF entry of `ty` that carries its runtime type descriptor: `ty`, or, for a
/// typedef without one, the same-named entry it refers to (Go 1.27 describes some named
/// types twice: the `os.unixDirent` that `*os.unixDirent` points to is such a typedef).
fn described(dwarf: &Dwarf, mut ty: TypeId) -> TypeId {
    for _ in 0..8 {
        match dwarf.ty(ty).shape {
            Shape::Typedef(next) if dwarf.ty(ty).runtime_type == 0 && dwarf.ty(next).name == dwarf.ty(ty).name => ty = next,
            _ => break,
        }
    }
    ty
}

#[cfg(test)]
mod described_tests {
    use crate::formats::dwarf::{Dwarf, Shape, Type};

    fn ty(name: &str, size: u64, runtime_type: u64, shape: Shape) -> Type {
        Type { name: name.to_string(), size, go_kind: 0, runtime_type, key: None, elem: None, shape }
    }

    #[test]
    fn typedef_without_descriptor_takes_its_targets() {
        let d = Dwarf::from_parts(
            vec![
                ty("os.unixDirent", 56, 0x328d8, Shape::Struct(Vec::new())),
                ty("os.unixDirent", 56, 0, Shape::Typedef(0)),
                ty("*os.unixDirent", 8, 0x7eb0, Shape::Pointer(Some(1))),
                ty("main.Other", 56, 0, Shape::Typedef(0)),
            ],
            Vec::new(),
            Default::default(),
        );
        assert_eq!(super::described(&d, 1), 0);
        assert_eq!(super::described(&d, 0), 0);
        assert_eq!(super::described(&d, 2), 2);
        // Another named type defined as the struct is its own type, not the struct.
        assert_eq!(super::described(&d, 3), 3);
    }
}

/// Whether a function symbol name is a closure's (see `Namer::pcln_closure`).
fn is_closure_name(name: &str) -> bool {
    if name.ends_with("-fm") {
        return true;
    }
    let last = name.rsplit('/').next().unwrap_or(name);
    let parts: Vec<&str> = last.split('.').collect();
    let numbered = |p: &str, prefix: &str| p.strip_prefix(prefix).is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
    parts.iter().enumerate().skip(1).any(|(i, p)| {
        (numbered(p, "func") || numbered(p, "gowrap") || numbered(p, "deferwrap"))
            && parts[i + 1..].iter().all(|q| !q.is_empty() && q.bytes().all(|b| b.is_ascii_digit()))
    })
}

#[cfg(test)]
mod closure_name_tests {
    #[test]
    fn closure_symbols() {
        for n in ["main.main.func1", "cmd/go/internal/load.(*Package).load.func2.1", "main.f.gowrap1", "main.f.deferwrap2", "net/http.(*conn).serve-fm", "a.b/c.F.func3"] {
            assert!(super::is_closure_name(n), "{n}");
        }
        for n in ["main.main", "main.funcs", "main.(*T).func1x", "runtime.goexit", "a.b/func1.F"] {
            assert!(!super::is_closure_name(n), "{n}");
        }
    }
}

/// Whether a value of type `outer` starts with a value of type `inner`: `inner` is `outer`,
/// or its field at offset 0 (recursively), or its element.
pub fn encloses_at_start(dwarf: &Dwarf, outer: TypeId, inner: TypeId) -> bool {
    let inner_u = dwarf.underlying(inner);
    // (type, depth) still to look into; structs can start with several zero-size fields.
    let mut work = vec![(outer, 0u32)];
    let mut visits = 0;
    while let Some((ty, depth)) = work.pop() {
        visits += 1;
        if visits > 256 {
            return false;
        }
        if ty == inner || dwarf.underlying(ty) == inner_u && dwarf.ty(ty).name == dwarf.ty(inner).name {
            return true;
        }
        if depth >= 16 {
            continue;
        }
        match &dwarf.ty(dwarf.underlying(ty)).shape {
            Shape::Struct(fields) => {
                work.extend(fields.iter().filter(|f| f.offset == 0).map(|f| (f.ty, depth + 1)));
            }
            Shape::Array { elem, len } if *len > 0 => work.push((*elem, depth + 1)),
            _ => {}
        }
    }
    false
}

/// How a pointer-carrying word (or word pair) inside a value is interpreted.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// `*T` (T = None for unsafe.Pointer).
    Ptr(Option<TypeId>),
    /// Slice header; element type.
    Slice(TypeId),
    String,
    /// `interface{}`: type word then data word.
    Eface,
    /// Non-empty interface: itab word then data word.
    Iface,
    /// A map value: the typedef (with key/elem).
    Map(TypeId),
    /// A chan value: the typedef (with elem).
    Chan(TypeId),
    Func,
    /// An `unsafe.Pointer` to an array of `elem` whose length is the word `len_at` bytes
    /// after the pointer (`sync.Pool.local` and `localSize`).
    Counted { elem: TypeId, len_at: u64 },
}

/// Where the words of a value come from: memory at an address (with the bytes of the
/// object it lies in when they could be borrowed: `(address of the first byte, bytes)`), or
/// the known words of a variable in pieces (`None` for a word kept in a register).
enum Words<'m> {
    Mem(u64, ObjBytes<'m>),
    Known([Option<u64>; 3]),
}

/// The bytes of the object a walk reads, from `.0` on: words inside are read from the
/// slice, not looked up in the process memory one by one.
type ObjBytes<'m> = Option<(u64, &'m [u8])>;

/// The word at `addr`: from `obj` when it lies inside, else from memory.
#[inline]
fn word_at(mem: &crate::runtime::memory::Memory, obj: ObjBytes<'_>, addr: u64) -> u64 {
    if let Some((start, b)) = obj {
        if let Some(w) = addr.checked_sub(start).and_then(|o| crate::bytes::u64_at(b, usize::try_from(o).ok()?)) {
            return w;
        }
    }
    mem.u64(addr).unwrap_or(0)
}

/// Offsets and constants naming reads for many objects, looked up by name once.
struct Consts {
    /// `internal/abi.ITab.Inter` (`runtime.itab.inter`).
    itab_inter_off: Option<u64>,
    /// `internal/abi` kinds: Interface, Pointer, Struct, Array.
    k_iface: u8,
    k_ptr: u8,
    k_struct: u8,
    k_array: u8,
    /// `abi.PtrType.Elem`, `abi.StructType.Fields`, `abi.StructField.Typ`, `abi.ArrayType.Elem`.
    ptrtype_elem: Option<u64>,
    structtype_fields: Option<u64>,
    structfield_typ: Option<u64>,
    arraytype_elem: Option<u64>,
    /// `runtime.hchan`: `buf`, `dataqsiz`.
    hchan: Option<(u64, u64)>,
    /// `internal/runtime/maps.Map`: `dirPtr`, `dirLen`.
    map: Option<(u64, u64)>,
    /// `maps.table.groups`, `maps.groupsReference.data` and `.lengthMask`.
    table: Option<(u64, u64, u64)>,
    /// `runtime.hmap` (Go 1.22-1.23): `buckets`, `oldbuckets`, `extra`; `runtime.mapextra`:
    /// `overflow`, `oldoverflow`.
    hmap: Option<HmapOffsets>,
    /// DWARF types named `internal/sync.node[..]` (`sync.Map` trie nodes, see
    /// `Namer::trie_node`), flagged once rather than tested by name on every pointer.
    trie_node_types: crate::bitset::BitSet,
    /// The pcs whose function (`Namer::func_at_entry`) is `runtime.nilinterhash`, and
    /// those whose function is `runtime.nilinterequal` (`Namer::untyped_sync_map`).
    nilinter_funcs: (Vec<u64>, Vec<u64>),
}

/// Field offsets of a bucket map (`runtime/map.go`, Go 1.22-1.23).
#[derive(Clone, Copy)]
struct HmapOffsets {
    buckets: u64,
    oldbuckets: u64,
    extra: u64,
    overflow: u64,
    oldoverflow: u64,
    /// `[]*runtime.bmap`, the type `mapextra.overflow` points to.
    overflow_slice: Option<TypeId>,
}

/// What naming knows of a closure: its name, its captured variables (type, offset), and
/// whether it is known from the pclntab alone.
type Closure = (String, Vec<(TypeId, u64)>, bool);

/// Flattened pointer-carrying parts of a type: (offset, interpretation).
type Flat = Rc<Vec<(u64, Slot)>>;

const MAX_FLAT: usize = 1 << 16;
/// Types visited to flatten one type at most: nested structs of many fields multiply.
const MAX_FLAT_VISITS: u32 = 1 << 20;

struct Namer<'a, 'r> {
    rt: &'a Rt<'r>,
    heap: &'a Heap,
    rtypes: &'a mut RtypeCache,
    typing: Typing,
    flat: crate::fasthash::FastMap<TypeId, Flat>,
    walked: crate::bitset::BitSet,
    /// Slots named by their own allocation (malloc header, `largeType`): never renamed.
    self_named: crate::bitset::BitSet,
    /// Values to walk: (address, type, count, the object the address lies in when
    /// already looked up, so that the walk does not look it up again).
    queue: Vec<(u64, TypeId, u64, Option<Target>)>,
    itab_type_off: Option<u64>,
    consts: Consts,
    slice_elem_cache: crate::fasthash::FastMap<TypeId, Option<TypeId>>,
    group_by_map: crate::fasthash::FastMap<TypeId, Option<TypeId>>,
    /// Whether the DWARF has `DW_AT_go_closure_offset`s ([`Namer::has_closure_offsets`]).
    closure_offsets: Option<bool>,
    /// The closure struct descriptors (`struct { F uintptr; X0 ... }`), for Go 1.22.
    closure_structs: Option<Vec<TypeId>>,
    /// Bucket type (`bucket<K,V>`) of a map typedef, before Swiss tables.
    bucket_by_map: crate::fasthash::FastMap<TypeId, Option<TypeId>>,
    /// Overflow-bucket hops left over all maps: the heap's object count, so that corrupt
    /// (cyclic) chains end and real ones, each bucket in one chain, are all followed.
    overflow_budget: u64,
    /// `sync.Map` trie node types by (node type, isEntry).
    trie_nodes: crate::fasthash::FastMap<(TypeId, bool), Option<TypeId>>,
    /// Generic shape types standing in for an instantiation DWARF omits: the name to use.
    shape_names: crate::fasthash::FastMap<TypeId, String>,
    /// Closure code pointer: (name, captured variables, whether known from the pclntab
    /// alone: then its interface words name what they hold).
    closure_names: crate::fasthash::FastMap<u64, Option<Closure>>,
    /// Without DWARF functions: the pclntab, to name closures by their code pointer.
    pcln: Option<crate::formats::pclntab::Pclntab>,
    /// `internal/sync.HashTrieMap[any, any]`: (type, offsets of root, keyHash, valEqual).
    sync_map: Option<Option<(TypeId, u64, u64, u64)>>,
    entry_cache: crate::fasthash::FastMap<(TypeId, u64, bool), Option<u32>>,
    flat_visits: u32,
    /// Slices (with their element type) and strings (`None`) whose data starts inside an
    /// object, not at its start: a subslice `b[i:]` or a substring.
    interior: Vec<(u64, Option<TypeId>)>,
    /// Typed pointers into blocks of the tiny allocator past their start, and its block
    /// size (`runtime/malloc.go`: `maxTinySize`).
    tiny: Vec<(u64, TypeId)>,
    tiny_size: u64,
    /// Typed pointers past the start of objects nothing named yet (a `*runtime.timer` to
    /// the `timer` field of a `runtime.timeTimer`): the value's address and type.
    inside: Vec<(u64, TypeId)>,
    /// The struct types holding a field of a type, by the field type's name: (struct,
    /// field offset); built when first needed.
    containers: Option<HashMap<String, Vec<(TypeId, u64)>>>,
    /// Slot sizes of the heap's spans, sorted; built when first needed.
    slot_sizes: Option<Vec<u64>>,
    /// (slot, offset, type) of values walked inside objects already walked from their start.
    inner_walked: std::collections::HashSet<(SlotId, u64, TypeId)>,
    /// Naming from objects named by layout alone ([`crate::runtime::inference`]): every
    /// name given is labelled `<inferred ..>`, and no name given before is changed.
    inferred_mode: bool,
}

/// Name prefix of the `sync.Map` trie node types (`internal/sync/hashtriemap.go`).
const TRIE_NODE: &str = "internal/sync.node[";

/// Inner values walked at most (each once).
const MAX_INNER_WALKS: usize = 1 << 22;
/// Struct types looked at, and nesting levels climbed, to find the types holding a value.
const MAX_ENCLOSING_VISITS: u32 = 1 << 12;
const MAX_ENCLOSING_DEPTH: u32 = 4;

impl<'a, 'r> Namer<'a, 'r> {
    fn flatten(&mut self, ty: TypeId) -> Flat {
        if let Some(f) = self.flat.get(&ty) {
            return f.clone();
        }
        let mut out = Vec::new();
        self.flatten_into(ty, 0, &mut out, 0);
        let f = Rc::new(out);
        self.flat.insert(ty, f.clone());
        f
    }

    fn flatten_into(&mut self, ty: TypeId, base: u64, out: &mut Vec<(u64, Slot)>, depth: u32) {
        if depth == 0 {
            self.flat_visits = MAX_FLAT_VISITS;
        }
        if depth > 48 || out.len() > MAX_FLAT || self.flat_visits == 0 {
            return;
        }
        self.flat_visits -= 1;
        let dwarf = self.rt.dwarf;
        // Aliases are typedefs without a kind: use the first type in the chain that has one.
        let mut ty = ty;
        for _ in 0..16 {
            match dwarf.ty(ty).shape {
                Shape::Typedef(next) if dwarf.ty(ty).go_kind == 0 => ty = next,
                _ => break,
            }
        }
        let t = dwarf.ty(ty);
        match t.go_kind {
            kind::MAP => return out.push((base, Slot::Map(ty))),
            kind::CHAN => return out.push((base, Slot::Chan(ty))),
            kind::FUNC => return out.push((base, Slot::Func)),
            kind::STRING => return out.push((base, Slot::String)),
            kind::SLICE => {
                if let Some(e) = self.slice_elem(ty) {
                    out.push((base, Slot::Slice(e)));
                }
                return;
            }
            kind::INTERFACE => {
                let u = dwarf.underlying(ty);
                let is_eface = dwarf.ty(u).name == "runtime.eface";
                return out.push((base, if is_eface { Slot::Eface } else { Slot::Iface }));
            }
            _ => {}
        }
        let u = dwarf.underlying(ty);
        match dwarf.ty(u).name.as_str() {
            // `sync/poolqueue.go`: the pool's own copy of the runtime's empty interface.
            "sync.eface" => return out.push((base, Slot::Eface)),
            // `sync/pool.go`: `local` (and `victim`) point to `[localSize]poolLocal`.
            "sync.Pool" => {
                if let Some(elem) = dwarf.type_by_name("sync.poolLocal") {
                    for (ptr, len) in [("local", "localSize"), ("victim", "victimSize")] {
                        if let (Some((po, _)), Some((lo, _))) = (dwarf.field_of(u, ptr), dwarf.field_of(u, len)) {
                            if let Some(len_at) = lo.checked_sub(po) {
                                out.push((base.wrapping_add(po), Slot::Counted { elem, len_at }));
                            }
                        }
                    }
                }
                if let Some((o, _)) = dwarf.field_of(u, "New") {
                    out.push((base.wrapping_add(o), Slot::Func));
                }
                return;
            }
            _ => {}
        }
        match &dwarf.ty(u).shape {
            // The runtime's own closure pointers (`runtime/runtime2.go`: a `*funcval` is
            // followed by the function's captured variables): a func value.
            Shape::Pointer(Some(p)) if dwarf.ty(*p).name == "runtime.funcval" => out.push((base, Slot::Func)),
            Shape::Pointer(p) => out.push((base, Slot::Ptr(*p))),
            Shape::Func => out.push((base, Slot::Func)),
            Shape::Struct(fields) => {
                // `sync/atomic.Pointer[T]` keeps an `unsafe.Pointer` and names its pointee in
                // a zero-length `[0]*T` field. (`weak.Pointer[T]` looks the same but points to
                // a handle, not to a T.)
                let typed_unsafe =
                    if dwarf.ty(u).name.starts_with("sync/atomic.Pointer[") { typed_unsafe_pointee(dwarf, fields) } else { None };
                for f in fields.clone() {
                    let at = base.wrapping_add(f.offset);
                    match typed_unsafe {
                        Some(p) if dwarf.ty(dwarf.underlying(f.ty)).shape == Shape::Pointer(None) => out.push((at, Slot::Ptr(Some(p)))),
                        _ => self.flatten_into(f.ty, at, out, depth + 1),
                    }
                }
            }
            Shape::Array { elem, len } => {
                let es = dwarf.ty(*elem).size;
                if es == 0 {
                    return;
                }
                let mut one = Vec::new();
                self.flatten_into(*elem, 0, &mut one, depth + 1);
                if one.is_empty() {
                    return;
                }
                for i in 0..*len {
                    if out.len() > MAX_FLAT {
                        break;
                    }
                    out.extend(one.iter().map(|&(o, s)| (base.wrapping_add(i.wrapping_mul(es)).wrapping_add(o), s)));
                }
            }
            _ => {}
        }
    }

    fn slice_elem(&mut self, slice_ty: TypeId) -> Option<TypeId> {
        if let Some(e) = self.slice_elem_cache.get(&slice_ty) {
            return *e;
        }
        let dwarf = self.rt.dwarf;
        let u = dwarf.underlying(slice_ty);
        let e = dwarf.ty(slice_ty).elem.or(dwarf.ty(u).elem).or_else(|| match &dwarf.ty(u).shape {
            Shape::Struct(f) => f.iter().find(|f| f.name == "array").and_then(|f| match dwarf.ty(dwarf.underlying(f.ty)).shape {
                Shape::Pointer(p) => p,
                _ => None,
            }),
            _ => None,
        });
        self.slice_elem_cache.insert(slice_ty, e);
        e
    }

    /// Names the object at `addr` as `count` × `ty` if it starts there and has no name yet
    /// (or was named from a malloc header with a different array length: a slice's cap is
    /// exact where the header only bounds it; or was named by propagation after a value at
    /// its start that `ty` encloses: a pointer to an object's first field names only that
    /// field); then queues its contents for walking.
    fn reach(&mut self, addr: u64, ty: TypeId, count: u64) {
        let Some(found) = self.heap.find(addr) else { return };
        let mut t = found;
        // An object's value starts past its malloc header, if it has one.
        if self.heap.span_of_slot(t.slot).layout.has_malloc_header() {
            t.offset = t.offset.wrapping_sub(self.heap.params.malloc_header_size);
        }
        let current = self.typing.slot_type[t.slot as usize];
        // Naming from inferred objects changes only names it gave.
        let may_rename = !self.inferred_mode
            || (current != UNTYPED && self.typing.entries[current as usize].name.starts_with(crate::runtime::inference::INFERRED_PREFIX));
        let rename = may_rename && current != UNTYPED && count > 1 && {
            let e = &self.typing.entries[current as usize];
            // The header's type and the slice's element may be two DWARF entries of one type.
            let same = e.dwarf == Some(ty) || e.dwarf.is_some_and(|d| self.rt.dwarf.ty(d).name == self.rt.dwarf.ty(ty).name);
            same && e.count != count && e.count > count
        };
        // The enclosing value wins over its first field (and an array over its first
        // element), unless the allocation named itself.
        let enclosing = may_rename
            && t.offset == 0
            && current != UNTYPED
            && !self.self_named.get(t.slot as usize)
            && match &self.typing.entries[current as usize] {
                TypeEntry { dwarf: Some(cur), count: 1, .. } => {
                    let (cur, d) = (*cur, self.rt.dwarf);
                    if count > 1 {
                        cur == ty || d.ty(cur).name == d.ty(ty).name || encloses_at_start(d, ty, cur)
                    } else {
                        cur != ty && encloses_at_start(d, ty, cur) && !encloses_at_start(d, cur, ty)
                    }
                }
                _ => false,
            };
        if enclosing {
            if let Some(e) = self.entry_for(ty, count) {
                self.typing.slot_type[t.slot as usize] = e;
                // Walk it again as the larger value: the first field's walk missed the rest.
                self.walked.insert(t.slot as usize);
                self.queue.push((addr, ty, count, Some(found)));
            }
            return;
        }
        if t.offset == 0 && (current == UNTYPED || rename) {
            let Some(e) = self.entry_for(ty, count) else { return };
            self.typing.slot_type[t.slot as usize] = e;
        } else if t.offset != 0 && current == UNTYPED && count == 1 {
            // Maybe a value the tiny allocator packed into a shared block: named last.
            let span = self.heap.span_of_slot(t.slot);
            if span.layout == PtrLayout::NoScan && span.elemsize == self.tiny_size {
                self.tiny.push((addr, ty));
            } else if matches!(span.layout, PtrLayout::InSpanBits { .. } | PtrLayout::NoScan) && self.inside.len() < MAX_INNER_WALKS {
                // Maybe a field of a value nothing points to the start of: named last.
                self.inside.push((addr, ty));
            }
        }
        if self.walked.insert(t.slot as usize) {
            self.queue.push((addr, ty, count, Some(found)));
        } else if t.offset != 0 && count == 1 && self.inner_walked.len() < MAX_INNER_WALKS && self.inner_walked.insert((t.slot, t.offset, ty)) {
            // A value inside an object walked as another type (a `runtime.timer` inside
            // the `runtime.timeTimer` that `*time.Timer` names): its own pointers too.
            self.queue.push((addr, ty, count, Some(found)));
        }
    }

    /// The type-table entry of `count` × `ty`; `None` for generic shape types, which erase
    /// the real type: naming by them would mislead.
    fn entry_for(&mut self, ty: TypeId, count: u64) -> Option<u32> {
        if let Some(&e) = self.entry_cache.get(&(ty, count, self.inferred_mode)) {
            return e;
        }
        let elem_name = match self.shape_names.get(&ty) {
            Some(n) => n.clone(),
            None => display_name(self.rt.dwarf, ty),
        };
        let e = if elem_name.contains("go.shape.") {
            None
        } else {
            Some(self.label(array_name(&elem_name, count), Some(ty), count))
        };
        self.entry_cache.insert((ty, count, self.inferred_mode), e);
        e
    }

    /// The type-table entry of a name: marked as inferred when naming from inferred objects.
    fn label(&mut self, name: String, dwarf: Option<TypeId>, count: u64) -> u32 {
        let name = if self.inferred_mode { crate::runtime::inference::inferred_label(&name) } else { name };
        self.typing.intern(name, dwarf, count)
    }

    /// Names an object with a label that has no DWARF type (runtime-internal parts); the
    /// name is made only when the object takes it.
    fn reach_named(&mut self, addr: u64, name: impl FnOnce() -> String) {
        let Some(t) = self.heap.find(addr) else { return };
        if t.offset == 0 && self.typing.slot_type[t.slot as usize] == UNTYPED {
            let e = self.label(name(), None, 1);
            self.typing.slot_type[t.slot as usize] = e;
        }
    }

    /// Walks `count` values of `ty` at `addr`, following every pointer-carrying part.
    fn walk(&mut self, addr: u64, ty: TypeId, count: u64) {
        self.walk_in(addr, ty, count, None)
    }

    /// [`Namer::walk`] with the object `addr` lies in when the caller looked it up
    /// (`Heap::find(addr)`), `None` to look it up here.
    fn walk_in(&mut self, addr: u64, ty: TypeId, count: u64, found: Option<Target>) {
        let flat = self.flatten(ty);
        if flat.is_empty() {
            return;
        }
        let size = self.rt.dwarf.ty(ty).size.max(1);
        let mut count = count.min((1 << 26) / size.max(8)).max(1);
        // A heap value ends with its slot: a claimed length (a slice's cap, a channel's
        // size) past it is not walked.
        // The object's bytes from `addr` to the end of its slot, when they can be borrowed:
        // its words are read from them.
        let mut obj = None;
        if let Some(t) = found.or_else(|| self.heap.find(addr)) {
            let span = self.heap.span_of_slot(t.slot);
            let room = span.elemsize - t.offset;
            count = count.min((room / size).max(1));
            let mem: &'r crate::runtime::memory::Memory = self.rt.mem;
            obj = usize::try_from(room).ok().and_then(|n| mem.slice(addr, n)).map(|b| (addr, b));
        }
        for i in 0..count {
            let base = addr.wrapping_add(i * size);
            for &(off, slot) in flat.iter() {
                self.follow_from(Words::Mem(base.wrapping_add(off), obj), slot);
            }
        }
    }

    fn word(&self, addr: u64) -> u64 {
        self.rt.mem.u64(addr).unwrap_or(0)
    }

    fn follow(&mut self, at: u64, slot: Slot) {
        self.follow_from(Words::Mem(at, None), slot)
    }

    /// Word `i` of a value: from memory, or from the parts of a variable known.
    fn nth(&self, w: &Words<'_>, i: u64) -> Option<u64> {
        match *w {
            Words::Mem(at, obj) => Some(word_at(self.rt.mem, obj, at.wrapping_add(8 * i))),
            Words::Known(k) => k.get(i as usize).copied().flatten(),
        }
    }

    fn follow_from(&mut self, w: Words<'_>, slot: Slot) {
        let Some(v) = self.nth(&w, 0) else { return };
        if v == 0 {
            return;
        }
        match slot {
            Slot::Ptr(Some(p)) => {
                let p = self.trie_node(p, v);
                self.reach(v, p, 1)
            }
            Slot::Ptr(None) => {}
            Slot::Slice(e) => {
                // A capacity held in a register: the elements that fit in the object.
                let cap = match self.nth(&w, 2) {
                    Some(c) => c,
                    None => self.fitting(v, e),
                };
                if cap > 0 && cap < 1 << 40 {
                    if self.heap.find(v).is_some_and(|t| t.offset != 0) {
                        self.interior.push((v, Some(e)));
                    }
                    self.reach(v, e, cap);
                }
            }
            Slot::String => {
                if let Some(t) = self.heap.find(v) {
                    let span = self.heap.span_of_slot(t.slot);
                    if span.layout == PtrLayout::NoScan {
                        if t.offset == 0 {
                            self.reach_named(v, || "string".to_string());
                        } else {
                            self.interior.push((v, None));
                        }
                    }
                }
            }
            Slot::Eface | Slot::Iface => {
                let mut tw = v;
                if matches!(slot, Slot::Iface) {
                    let Some(off) = self.itab_type_off else { return };
                    // A word read from a stack slot outside the stack map (a decomposed
                    // interface's `x.itab`) may be stale: it is an itab only if its `Inter`
                    // is an interface type.
                    if matches!(w, Words::Known(_)) {
                        let Some(inter_off) = self.consts.itab_inter_off else { return };
                        let inter = self.word(v.wrapping_add(inter_off));
                        if self.rtypes.get(self.rt, inter).is_none_or(|i| i.kind != self.consts.k_iface) {
                            return;
                        }
                    }
                    tw = self.word(v.wrapping_add(off));
                }
                let Some(data) = self.nth(&w, 1) else { return };
                if tw == 0 || data == 0 {
                    return;
                }
                let Some(info) = self.rtypes.get(self.rt, tw) else { return };
                let direct = info.size == 8 && info.ptr_bytes == 8;
                let Some(dt) = info.dwarf else {
                    // The linker omits DWARF for types only ever converted to interfaces
                    // (seen in Go 1.24): find the pointer inside through the descriptor.
                    if direct {
                        if let Some(p) = self.rtype_pointee(tw) {
                            self.reach(data, p, 1);
                        }
                    }
                    return;
                };
                if direct {
                    // The data word is the value itself: a pointer-shaped type.
                    if let Some(&(0, s)) = self.flatten(dt).first() {
                        self.follow_value(data, s);
                    }
                } else {
                    self.reach(data, dt, 1);
                }
            }
            Slot::Map(m) => self.follow_map(v, m),
            Slot::Chan(c) => self.follow_chan(v, c),
            Slot::Func => self.follow_closure(v),
            Slot::Counted { elem, len_at } => {
                let n = match w {
                    Words::Mem(at, obj) => word_at(self.rt.mem, obj, at.wrapping_add(len_at)),
                    Words::Known(_) => self.fitting(v, elem),
                };
                if n > 0 && n < 1 << 20 {
                    self.reach(v, elem, n);
                }
            }
        }
    }

    /// Objects nothing names by their start but a subslice or substring points into: the
    /// data of a slice is an array of its element type (`runtime/slice.go`: `makeslice`,
    /// `growslice` allocate `cap` elements), and a string's is bytes. Decided last, so that
    /// only objects no typed pointer to their start reached are named so; the element must
    /// tile the object from its start to the pointer.
    fn name_interior(&mut self) {
        // `runtime/malloc.go`: the tiny allocator packs pointer-free values smaller than
        // its block into one noscan block; a block no pointer to its start named takes the
        // type of the first value found inside it.
        for (addr, ty) in std::mem::take(&mut self.tiny) {
            let Some(t) = self.heap.find(addr) else { continue };
            let size = self.rt.dwarf.ty(ty).size;
            if self.typing.slot_type[t.slot as usize] != UNTYPED || size == 0 || t.offset.saturating_add(size) > self.tiny_size {
                continue;
            }
            if let Some(e) = self.entry_for(ty, 1) {
                self.typing.slot_type[t.slot as usize] = e;
            }
        }
        let interior = std::mem::take(&mut self.interior);
        for (addr, elem) in interior {
            let Some(mut t) = self.heap.find(addr) else { continue };
            if self.typing.slot_type[t.slot as usize] != UNTYPED {
                continue;
            }
            let span = self.heap.span_of_slot(t.slot);
            let start = addr - t.offset;
            let mut room = span.elemsize;
            if span.layout.has_malloc_header() {
                let hs = self.heap.params.malloc_header_size;
                let Some(o) = t.offset.checked_sub(hs) else { continue };
                t.offset = o;
                room = room.saturating_sub(hs);
            }
            match elem {
                None => {
                    let e = self.typing.intern("string".to_string(), None, 1);
                    self.typing.slot_type[t.slot as usize] = e;
                }
                Some(e) => {
                    let es = self.rt.dwarf.ty(e).size;
                    if es == 0 || t.offset % es != 0 {
                        continue;
                    }
                    // Elements with pointers: the object's own pointer words (its GC bitmap)
                    // must all be pointer words of the array.
                    if span.layout != PtrLayout::NoScan {
                        let elem_words = crate::runtime::types::dwarf_ptr_words(self.rt.dwarf, e);
                        if span.layout.has_malloc_header() || elem_words.is_empty() {
                            continue;
                        }
                        // (Types with pointers are word-aligned: at least one word.)
                        let ew = (es / 8).max(1);
                        let k = ((start - span.base) / span.elemsize) as u32;
                        let mut fits = true;
                        self.heap.for_each_pointer_word(self.rt, self.rtypes, span, k, None, |o| {
                            fits &= elem_words.contains(&((o / 8) % ew));
                        });
                        if !fits {
                            continue;
                        }
                    }
                    let first = start.wrapping_add(span.elemsize - room);
                    self.reach(first, e, (room / es).max(1));
                    while let Some((a, ty, count, found)) = self.queue.pop() {
                        self.walk_in(a, ty, count, found);
                    }
                }
            }
        }
        self.name_enclosing();
    }

    /// Objects no typed pointer reached that are closures: a funcval's first word is the
    /// entry of its function (`runtime/runtime2.go`: `funcval.fn`), and only functions that
    /// capture variables (or method-value wrappers) have heap-allocated funcvals. Reached
    /// through untyped words (a stack slot DWARF does not describe, an `unsafe.Pointer`,
    /// any word of an executable without DWARF). One pass for executables with and without
    /// DWARF ([`Self::is_closure_entry`] tells closures apart). Objects that carry their own
    /// type (malloc header, `largeType`) are named by it; large pointer-free objects are
    /// buffers, not read (it would only fault in their pages).
    fn name_closures(&mut self) {
        let heap = self.heap;
        for span in &heap.spans {
            let small = span.layout != PtrLayout::NoScan || span.elemsize <= heap.params.min_size_for_malloc_header;
            if span.layout.has_malloc_header() || matches!(span.layout, PtrLayout::Large { .. }) || span.elemsize < 8 || !small {
                continue;
            }
            for k in 0..span.nelems {
                let slot = span.first_slot + k;
                if !heap.allocated.get(slot as usize) || self.typing.slot_type[slot as usize] != UNTYPED {
                    continue;
                }
                let obj = span.base + k as u64 * span.elemsize;
                if self.is_closure_entry(self.word(obj)) {
                    self.follow_closure(obj);
                    self.drain();
                }
            }
        }
    }

    /// Whether `pc` is the entry of a closure's function: with DWARF, a function that
    /// captures variables (`DW_AT_go_closure_offset` on its variables) or a method-value
    /// wrapper (`-fm`); without, a function whose symbol name is a closure's
    /// ([`Self::pcln_closure`]).
    fn is_closure_entry(&mut self, pc: u64) -> bool {
        if self.pcln.is_some() {
            return match self.closure_names.get(&pc) {
                Some(e) => e.is_some(),
                None => self.pcln_closure(pc).is_some(),
            };
        }
        let pc = pc.wrapping_sub(self.rt.bias);
        self.rt.dwarf.function_at(pc).is_some_and(|f| f.low_pc == pc && (!f.closure_vars.is_empty() || f.name.ends_with("-fm")))
    }

    /// How many `elem`s fit in the object at `addr`, from `addr` to the end of its slot.
    fn fitting(&self, addr: u64, elem: TypeId) -> u64 {
        let Some(t) = self.heap.find(addr) else { return 0 };
        let span = self.heap.span_of_slot(t.slot);
        let mut room = span.elemsize.saturating_sub(t.offset);
        if span.layout.has_malloc_header() && t.offset == 0 {
            room = room.saturating_sub(self.heap.params.malloc_header_size);
        }
        (room / self.rt.dwarf.ty(elem).size.max(1)).max(1)
    }

    /// Follows the pointer-carrying parts of a variable of which only `parts` (offset in the
    /// variable, size, address) are in memory.
    fn walk_pieced(&mut self, ty: TypeId, parts: &[(u64, u64, u64)]) {
        let known = |off: u64| -> Option<u64> {
            let &(var_off, _, at) = parts.iter().find(|&&(o, size, _)| o <= off && off.saturating_add(8) <= o.saturating_add(size))?;
            self.rt.mem.u64(at.wrapping_add(off - var_off)).ok()
        };
        let flat = self.flatten(ty);
        for &(off, slot) in flat.iter() {
            let w = [known(off), known(off.wrapping_add(8)), known(off.wrapping_add(16))];
            if w[0].is_some() {
                self.follow_from(Words::Known(w), slot);
            }
        }
    }

    /// Like `follow` for a value already loaded (the data word of a direct interface).
    fn follow_value(&mut self, v: u64, slot: Slot) {
        match slot {
            Slot::Ptr(Some(p)) => self.reach(v, p, 1),
            Slot::Map(m) => self.follow_map(v, m),
            Slot::Chan(c) => self.follow_chan(v, c),
            Slot::Func => self.follow_closure(v),
            _ => {}
        }
    }

    fn follow_chan(&mut self, hchan: u64, chan_ty: TypeId) {
        let rt = self.rt;
        self.reach_named(hchan, || "runtime.hchan".to_string());
        let Some(elem) = rt.dwarf.ty(chan_ty).elem else { return };
        let Some((buf_off, size_off)) = self.consts.hchan else { return };
        let buf = self.word(hchan.wrapping_add(buf_off));
        let n = self.word(hchan.wrapping_add(size_off));
        if buf != 0 && n > 0 && n < 1 << 32 {
            self.reach(buf, elem, n);
            // Small pointer-free buffers share the hchan's allocation: walk them anyway.
            if let Some(t) = self.heap.find(buf) {
                if t.offset != 0 {
                    self.walk(buf, elem, n);
                }
            }
        }
    }

    fn follow_closure(&mut self, fv: u64) {
        if self.heap.find(fv).is_none() {
            return;
        }
        let pc = self.word(fv);
        let entry = match self.closure_names.get(&pc) {
            Some(e) => e.clone(),
            None => {
                let dwarf = self.rt.dwarf;
                let from_dwarf = dwarf.function_at(pc.wrapping_sub(self.rt.bias)).map(|f| {
                    let name = format!("closure {}", f.name);
                    let mut vars: Vec<(TypeId, u64)> = f.closure_vars.iter().map(|(_, t, o)| (*t, *o)).collect();
                    if vars.is_empty() {
                        // A method value `x.M` calls the wrapper `T.M-fm` (or `(*T).M-fm`),
                        // whose context holds the receiver right after the code pointer
                        // (`cmd/compile/internal/walk/closure.go`: methodValueWrapper).
                        if let Some(recv) = method_value_receiver(dwarf, &f.name) {
                            vars.push((recv, 8));
                        }
                    }
                    (name, vars, f.variables.clone())
                });
                let from_dwarf = from_dwarf.map(|(name, mut vars, variables)| {
                    if vars.is_empty() && !self.has_closure_offsets() {
                        vars = self.closure_struct_vars(&variables, fv);
                    }
                    (name, vars, false)
                });
                let e = from_dwarf.or_else(|| self.pcln_closure(pc));
                self.closure_names.insert(pc, e.clone());
                e
            }
        };
        let Some((name, vars, untyped)) = entry else { return };
        let Some(t) = self.heap.find(fv) else { return };
        if t.offset == 0 && self.typing.slot_type[t.slot as usize] == UNTYPED {
            let e = self.label(name, None, 1);
            self.typing.slot_type[t.slot as usize] = e;
        }
        if self.walked.insert(t.slot as usize) {
            let typed_words: std::collections::HashSet<u64> = vars.iter().flat_map(|&(ty, off)| {
                let flat = self.flatten(ty);
                flat.iter().map(|&(o, _)| off.wrapping_add(o)).collect::<Vec<_>>()
            }).collect();
            for (ty, off) in vars {
                let flat = self.flatten(ty);
                for &(o, s) in flat.iter() {
                    self.follow(fv.wrapping_add(off).wrapping_add(o), s);
                }
            }
            if untyped && t.offset == 0 {
                // The captured variables' types are unknown: their interface words still
                // name what they hold.
                let base = self.heap.slot_addr(t.slot);
                let addrs: Vec<u64> = self.slot_words(t.slot).into_iter().filter(|o| !typed_words.contains(o)).map(|o| base + o).collect();
                self.interfaces_in(&addrs);
            }
        }
    }

    /// Whether the DWARF places any closure's captured variables (`DW_AT_go_closure_offset`,
    /// Go 1.23+).
    fn has_closure_offsets(&mut self) -> bool {
        let dwarf = self.rt.dwarf;
        *self.closure_offsets.get_or_insert_with(|| dwarf.functions.iter().any(|f| !f.closure_vars.is_empty()))
    }

    /// The captured variables (type, offset) of the closure object at `fv` when the DWARF
    /// does not place them (Go 1.22): a heap closure is an object of the compiler's closure
    /// struct (`cmd/compile/internal/typecheck/func.go`: `ClosureType`,
    /// `struct { F uintptr; X0 T0; ... }`, `Xi` the variable or, captured by reference, a
    /// pointer to it), whose runtime descriptor the binary holds. The struct is the one
    /// descriptor of that form whose every `Xi` is the type of one of the closure function's
    /// variables `variables` (the captured ones among them; `&x`, a by-reference or
    /// heap-addressed capture, stands for `*T` and `T`) and whose pointer words are the
    /// object's; none when no such descriptor, or more than one, fits.
    fn closure_struct_vars(&mut self, variables: &[(String, TypeId)], fv: u64) -> Vec<(TypeId, u64)> {
        let dwarf = self.rt.dwarf;
        if variables.is_empty() {
            return Vec::new();
        }
        let structs = self.closure_structs.get_or_insert_with(|| {
            (0..dwarf.types.len() as TypeId)
                .filter(|&t| {
                    let ty = dwarf.ty(t);
                    let name = ty.name.strip_prefix("noalg.").unwrap_or(&ty.name);
                    ty.runtime_type != 0
                        && name.starts_with("struct { F uintptr; X0 ")
                        && matches!(&ty.shape, Shape::Struct(f) if f.len() >= 2 && f[0].name == "F" && f[0].offset == 0)
                })
                .collect()
        });
        let structs = structs.clone();
        let mut allowed: std::collections::HashSet<String> = std::collections::HashSet::new();
        for (name, t) in variables {
            allowed.insert(display_name(dwarf, *t));
            if name.starts_with('&') {
                if let Shape::Pointer(Some(u)) = dwarf.ty(dwarf.underlying(*t)).shape {
                    allowed.insert(display_name(dwarf, u));
                }
            }
        }
        let mut found: Option<(String, TypeId)> = None;
        for t in structs {
            let Shape::Struct(fields) = &dwarf.ty(t).shape else { continue };
            if fields.len() - 1 > variables.len() || !fields[1..].iter().all(|f| allowed.contains(&display_name(dwarf, f.ty))) {
                continue;
            }
            if !self.fits_object(fv, t) {
                continue;
            }
            let name = dwarf.ty(t).name.strip_prefix("noalg.").unwrap_or(&dwarf.ty(t).name).to_string();
            match &found {
                Some((n, _)) if *n == name => {}
                Some(_) => return Vec::new(),
                None => found = Some((name, t)),
            }
        }
        let Some((_, t)) = found else { return Vec::new() };
        let Shape::Struct(fields) = &dwarf.ty(t).shape else { return Vec::new() };
        fields[1..].iter().map(|f| (f.ty, f.offset)).collect()
    }

    /// A closure known from the pclntab alone: `pc` is the entry of a function whose
    /// symbol name is a closure's (`cmd/compile/internal/ir/func.go` `closureName`:
    /// `outer.funcN`, nested `outer.funcN.M`, `go`/`defer` wrappers `outer.gowrapN`,
    /// `outer.deferwrapN`; method values `T.M-fm`, whose receiver follows the code pointer).
    fn pcln_closure(&self, pc: u64) -> Option<Closure> {
        let f = self.pcln.as_ref()?.find_func(pc).filter(|f| f.entry == pc)?;
        if !is_closure_name(&f.name) {
            return None;
        }
        let vars = method_value_receiver(self.rt.dwarf, &f.name).map(|r| vec![(r, 8)]).unwrap_or_default();
        Some((format!("closure {}", f.name), vars, true))
    }

    /// A `sync.Map` (`internal/sync/hashtriemap.go`, Go 1.24+) points to its trie nodes as
    /// `*node[K, V]`, a header that both `indirect[K, V]` and `entry[K, V]` start with; its
    /// `isEntry` says which one the node is. Any other type is returned unchanged.
    fn trie_node(&mut self, ty: TypeId, addr: u64) -> TypeId {
        if !self.consts.trie_node_types.get(ty as usize) {
            return ty;
        }
        let dwarf = self.rt.dwarf;
        let Some(args) = dwarf.ty(ty).name.strip_prefix(TRIE_NODE) else { return ty };
        let Some((off, _)) = dwarf.field(&dwarf.ty(ty).name, "isEntry") else { return ty };
        let is_entry = self.rt.mem.u8(addr.wrapping_add(off)).unwrap_or(0) != 0;
        let key = (ty, is_entry);
        if let Some(&t) = self.trie_nodes.get(&key) {
            return t.unwrap_or(ty);
        }
        let name = format!("internal/sync.{}[{args}", if is_entry { "entry" } else { "indirect" });
        // Go 1.27 may emit only the generic shape of the instantiation (`entry[go.shape.
        // interface {},…]`): its layout is the same when each argument is its own shape;
        // objects are still named by the real instantiation.
        let t = dwarf.type_by_name(&name).or_else(|| {
            let shape = (0..dwarf.types.len() as TypeId)
                .find(|&i| dwarf.ty(i).name.replace("go.shape.", "") == name && matches!(dwarf.ty(i).shape, Shape::Struct(_)))?;
            self.shape_names.insert(shape, name.clone());
            Some(shape)
        });
        self.trie_nodes.insert(key, t);
        t.unwrap_or(ty)
    }

    /// The DWARF group type `noalg.map.group[K]V` of a map typedef.
    fn map_group(&mut self, map_ty: TypeId) -> Option<TypeId> {
        if let Some(g) = self.group_by_map.get(&map_ty) {
            return *g;
        }
        let dwarf = self.rt.dwarf;
        // A named map type (`http.Header`) is a typedef of the `map[K]V` typedef.
        let mut ty = map_ty;
        for _ in 0..16 {
            match dwarf.ty(ty).shape {
                Shape::Typedef(next) if !dwarf.ty(ty).name.starts_with("map[") => ty = next,
                _ => break,
            }
        }
        let name = &dwarf.ty(ty).name;
        let g = name.strip_prefix("map").and_then(|rest| {
            dwarf.type_by_name(&format!("noalg.map.group{rest}")).or_else(|| dwarf.type_by_name(&format!("map.group{rest}")))
        });
        self.group_by_map.insert(map_ty, g);
        g
    }

    /// The bucket type of a map typedef before Swiss tables: the `map.bucket[K]V` type of the
    /// map's name (the type `abi.MapType.Bucket` describes, with or without DWARF: one name
    /// either way), else the pointee of `buckets` in the `hash<K,V>` struct the linker's
    /// DWARF makes the map a pointer to (`cmd/link/internal/ld/dwarf.go`:
    /// `synthesizemaptypes`).
    fn map_bucket(&mut self, map_ty: TypeId) -> Option<TypeId> {
        if let Some(b) = self.bucket_by_map.get(&map_ty) {
            return *b;
        }
        let dwarf = self.rt.dwarf;
        let mut ty = map_ty;
        for _ in 0..16 {
            match dwarf.ty(ty).shape {
                Shape::Typedef(next) if !dwarf.ty(ty).name.starts_with("map[") => ty = next,
                _ => break,
            }
        }
        let from_hash = match dwarf.ty(dwarf.underlying(ty)).shape {
            Shape::Pointer(Some(h)) => dwarf.field_of(h, "buckets").and_then(|(_, b)| match dwarf.ty(dwarf.underlying(b)).shape {
                Shape::Pointer(Some(b)) if dwarf.field_of(b, "overflow").is_some() => Some(b),
                _ => None,
            }),
            _ => None,
        };
        let by_name = dwarf.ty(ty).name.strip_prefix("map").and_then(|rest| {
            dwarf.type_by_name(&format!("noalg.map.bucket{rest}")).or_else(|| dwarf.type_by_name(&format!("map.bucket{rest}")))
        });
        let b = by_name.or(from_hash);
        self.bucket_by_map.insert(map_ty, b);
        b
    }

    /// A map before Swiss tables (`runtime/map.go`, Go 1.22-1.23): the `hmap` points to its
    /// `2^B` buckets in one array, allocated together with the first overflow buckets
    /// (`makeBucketArray`), to the old array while it grows, and to `mapextra`, whose
    /// `overflow` and `oldoverflow` slices keep the overflow buckets of a map without
    /// pointers alive. Every bucket chains its overflow buckets through its last word,
    /// `overflow` (an `unsafe.Pointer` or a `uintptr` in the bucket type the compiler
    /// describes: followed here, not by its type).
    fn follow_hmap(&mut self, m: u64, map_ty: TypeId, o: HmapOffsets) {
        if let Some(t) = self.heap.find(m) {
            if !self.walked.insert(t.slot as usize) {
                return;
            }
        }
        self.reach_named(m, || "runtime.hmap".to_string());
        let Some(bucket) = self.map_bucket(map_ty) else { return };
        let bsize = self.rt.dwarf.ty(bucket).size;
        let o_ovf = self.rt.dwarf.field_of(bucket, "overflow").map(|(off, _)| off);
        for at in [o.buckets, o.oldbuckets] {
            let b = self.word(m.wrapping_add(at));
            if b == 0 || bsize == 0 {
                continue;
            }
            let n = self.fitting(b, bucket);
            self.reach(b, bucket, n);
            let Some(o_ovf) = o_ovf else { continue };
            for i in 0..n {
                let mut ov = self.word(b.wrapping_add(i * bsize).wrapping_add(o_ovf));
                while ov != 0 && self.overflow_budget > 0 && self.heap.find(ov).is_some() {
                    self.overflow_budget -= 1;
                    self.reach(ov, bucket, 1);
                    ov = self.word(ov.wrapping_add(o_ovf));
                }
            }
        }
        let extra = self.word(m.wrapping_add(o.extra));
        if extra == 0 {
            return;
        }
        self.reach_named(extra, || "runtime.mapextra".to_string());
        for at in [o.overflow, o.oldoverflow] {
            // A `*[]*bmap`: the slice header is an object of its own.
            let sh = self.word(extra.wrapping_add(at));
            if sh == 0 {
                continue;
            }
            match o.overflow_slice {
                Some(st) => self.reach(sh, st, 1),
                None => self.reach_named(sh, || "[]*runtime.bmap".to_string()),
            }
            let (arr, len) = (self.word(sh), self.word(sh.wrapping_add(8)));
            if arr == 0 || len == 0 {
                continue;
            }
            // The words of the backing array's slot, at most.
            let room = self.heap.find(arr).map_or(0, |t| self.heap.span_of_slot(t.slot).elemsize.saturating_sub(t.offset) / 8);
            for i in 0..len.min(room) {
                let ob = self.word(arr.wrapping_add(8 * i));
                if ob != 0 {
                    self.reach(ob, bucket, 1);
                }
            }
        }
    }

    fn follow_map(&mut self, m: u64, map_ty: TypeId) {
        let s = "internal/runtime/maps.Map";
        if self.consts.map.is_none() {
            if let Some(o) = self.consts.hmap {
                self.follow_hmap(m, map_ty, o);
            }
            return;
        }
        let Some((o_dir, o_dirlen)) = self.consts.map else { return };
        let Some(t) = self.heap.find(m) else { return };
        if !self.walked.insert(t.slot as usize) {
            return;
        }
        self.reach_named(m, || s.to_string());
        let group = self.map_group(map_ty);
        let dir = self.word(m.wrapping_add(o_dir));
        let dirlen = self.word(m.wrapping_add(o_dirlen));
        if dir == 0 {
            return;
        }
        let Some(group) = group else { return };
        if dirlen == 0 {
            self.reach(dir, group, 1);
            return;
        }
        let Some((o_groups, o_data, o_mask)) = self.consts.table else { return };
        self.reach_named(dir, || format!("[{dirlen}]*internal/runtime/maps.table"));
        let mut last = 0;
        for i in 0..dirlen.min(1 << 20) {
            let table = self.word(dir.wrapping_add(8 * i));
            if table == 0 || table == last {
                continue;
            }
            last = table;
            self.reach_named(table, || "internal/runtime/maps.table".to_string());
            let data = self.word(table.wrapping_add(o_groups.wrapping_add(o_data)));
            let n = self.word(table.wrapping_add(o_groups.wrapping_add(o_mask))).wrapping_add(1);
            if data != 0 && n > 0 && n < 1 << 32 {
                self.reach(data, group, n);
            }
        }
    }

    /// For a pointer-shaped runtime type (a pointer, or a struct or array whose only word
    /// is one), the DWARF type its pointer points to, read through `abi.PtrType.Elem`,
    /// `abi.StructType.Fields[0].Typ` and `abi.ArrayType.Elem`.
    fn rtype_pointee(&mut self, mut tw: u64) -> Option<TypeId> {
        let rt = self.rt;
        let (k_ptr, k_struct, k_array) = (self.consts.k_ptr, self.consts.k_struct, self.consts.k_array);
        for _ in 0..8 {
            let info = self.rtypes.get(rt, tw)?;
            if info.kind == k_ptr {
                if let Some(d) = info.dwarf {
                    if let Shape::Pointer(p) = rt.dwarf.ty(rt.dwarf.underlying(d)).shape {
                        return p;
                    }
                }
                let elem = self.word(tw.wrapping_add(self.consts.ptrtype_elem?));
                return self.rtypes.get(rt, elem)?.dwarf;
            } else if info.kind == k_struct {
                let fields = tw.wrapping_add(self.consts.structtype_fields?);
                let first = self.word(fields);
                tw = self.word(first.wrapping_add(self.consts.structfield_typ?));
            } else if info.kind == k_array {
                tw = self.word(tw.wrapping_add(self.consts.arraytype_elem?));
            } else {
                return None;
            }
        }
        None
    }

    /// The type of the first parameter of the function a funcval calls.
    fn first_param_type(&self, fv: u64) -> Option<TypeId> {
        let pc = self.word(fv);
        let f = self.rt.dwarf.function_at(pc.wrapping_sub(self.rt.bias))?;
        f.params.first().map(|p| p.1)
    }

    fn apply_hints(&mut self, hints: &crate::runtime::seeds::SpecialTypeHints) {
        for &(obj, ot) in &hints.finalized {
            let Some(info) = self.rtypes.get(self.rt, ot) else { continue };
            let Some(d) = info.dwarf else { continue };
            if let Shape::Pointer(Some(p)) = self.rt.dwarf.ty(self.rt.dwarf.underlying(d)).shape {
                self.reach(obj, p, 1);
            }
        }
        for &(obj, ty) in &hints.typed_objects {
            self.reach(obj, ty, 1);
        }
        for &(addr, ty) in &hints.rtyped_values {
            let Some(d) = self.rtypes.get(self.rt, ty).and_then(|info| info.dwarf) else { continue };
            self.walk(addr, d, 1);
        }
        for &fv in &hints.funcs {
            self.follow_closure(fv);
        }
        for &(addr, ty) in &hints.values {
            self.walk(addr, ty, 1);
        }
        for &(user_fn, boxed) in &hints.cleanup_boxed {
            if let Some(p) = self.first_param_type(user_fn) {
                self.reach(boxed, p, 1);
            }
        }
        for &closure in &hints.cleanup_closures {
            let pc = self.word(closure);
            let Some(f) = self.rt.dwarf.function_at(pc.wrapping_sub(self.rt.bias)) else { continue };
            let var = |n: &str| f.closure_vars.iter().find(|v| v.0 == n).map(|v| v.2);
            let user_fn = match (var("cleanup"), var("&cleanup")) {
                (Some(c), _) => self.word(closure.wrapping_add(c)),
                (None, Some(c)) => self.word(self.word(closure.wrapping_add(c))),
                _ => continue,
            };
            let Some(p) = self.first_param_type(user_fn) else { continue };
            if let Some(a) = var("arg") {
                self.walk(closure.wrapping_add(a), p, 1);
            } else if let Some(a) = var("&arg") {
                // Captured by reference: the closure holds a pointer to a box of one S.
                let boxed = self.word(closure.wrapping_add(a));
                self.reach(boxed, p, 1);
            }
        }
    }
}

/// Assigns a type to every object that can be named. `seeds` are typed values outside the
/// heap (globals and stack variables): (address, DWARF type); `hints` the other evidence
/// (specials, runtime values, stack variables in pieces); `untyped` are the addresses
/// of pointer words outside the heap no type describes (globals and stack slots of an
/// executable without DWARF), sorted: interface values among them name what they hold.
/// Objects still unnamed then are named by layout where exactly one type fits, and what
/// they point to after them, all labelled `<inferred ..>`.
pub fn assign_types(
    rt: &Rt<'_>,
    heap: &Heap,
    rtypes: &mut RtypeCache,
    seeds: &[(u64, TypeId)],
    untyped: &[u64],
    hints: &crate::runtime::seeds::SpecialTypeHints,
) -> Typing {
    let n = heap.slot_count as usize;
    let typing = Typing { slot_type: vec![UNTYPED; n], entries: Vec::new(), index: Default::default() };
    let itab_type_off = rt.off_opt("internal/abi.ITab", "Type").or_else(|| rt.off_opt("runtime.itab", "_type"));
    let k = |n: &str, d: i64| rt.dwarf.constant(n).unwrap_or(d) as u8;
    let both = |a: Option<u64>, b: Option<u64>| a.zip(b);
    let mut trie_node_types = crate::bitset::BitSet::new(rt.dwarf.types.len());
    for (i, t) in rt.dwarf.types.iter().enumerate() {
        if t.name.starts_with(TRIE_NODE) {
            trie_node_types.set(i);
        }
    }
    let consts = Consts {
        itab_inter_off: rt.off_opt("internal/abi.ITab", "Inter").or_else(|| rt.off_opt("runtime.itab", "inter")),
        k_iface: k("internal/abi.Interface", 20),
        k_ptr: k("internal/abi.Pointer", 22),
        k_struct: k("internal/abi.Struct", 25),
        k_array: k("internal/abi.Array", 17),
        ptrtype_elem: rt.off_opt("internal/abi.PtrType", "Elem"),
        structtype_fields: rt.off_opt("internal/abi.StructType", "Fields"),
        structfield_typ: rt.off_opt("internal/abi.StructField", "Typ"),
        arraytype_elem: rt.off_opt("internal/abi.ArrayType", "Elem"),
        hchan: both(rt.off_opt("runtime.hchan", "buf"), rt.off_opt("runtime.hchan", "dataqsiz")),
        map: both(rt.off_opt("internal/runtime/maps.Map", "dirPtr"), rt.off_opt("internal/runtime/maps.Map", "dirLen")),
        table: rt.off_opt("internal/runtime/maps.table", "groups").and_then(|g| {
            Some((g, rt.off_opt("internal/runtime/maps.groupsReference", "data")?, rt.off_opt("internal/runtime/maps.groupsReference", "lengthMask")?))
        }),
        hmap: (|| {
            Some(HmapOffsets {
                buckets: rt.off_opt("runtime.hmap", "buckets")?,
                oldbuckets: rt.off_opt("runtime.hmap", "oldbuckets")?,
                extra: rt.off_opt("runtime.hmap", "extra")?,
                overflow: rt.off_opt("runtime.mapextra", "overflow")?,
                oldoverflow: rt.off_opt("runtime.mapextra", "oldoverflow")?,
                overflow_slice: rt.field_type("runtime.mapextra", "overflow").ok().and_then(|t| match rt.dwarf.ty(rt.dwarf.underlying(t)).shape {
                    Shape::Pointer(p) => p,
                    _ => None,
                }),
            })
        })(),
        trie_node_types,
        nilinter_funcs: (Vec::new(), Vec::new()),
    };
    let mut namer = Namer {
        rt,
        heap,
        rtypes,
        typing,
        flat: Default::default(),
        walked: crate::bitset::BitSet::new(n),
        self_named: crate::bitset::BitSet::new(n),
        queue: Vec::new(),
        itab_type_off,
        consts,
        slice_elem_cache: Default::default(),
        group_by_map: Default::default(),
        bucket_by_map: Default::default(),
        closure_offsets: None,
        closure_structs: None,
        overflow_budget: heap.spans.iter().map(|s| u64::from(s.nelems)).sum(),
        trie_nodes: Default::default(),
        shape_names: Default::default(),
        closure_names: Default::default(),
        entry_cache: Default::default(),
        flat_visits: 0,
        interior: Vec::new(),
        tiny: Vec::new(),
        inside: Vec::new(),
        containers: None,
        slot_sizes: None,
        inner_walked: Default::default(),
        tiny_size: rt.dwarf.constant("runtime._TinySize").or_else(|| rt.dwarf.constant("runtime.maxTinySize")).unwrap_or(16) as u64,
        inferred_mode: false,
        sync_map: None,
        pcln: if rt.dwarf.functions.is_empty() { crate::formats::pclntab::Pclntab::new(rt).ok() } else { None },
    };
    namer.consts.nilinter_funcs = (namer.entries_named("runtime.nilinterhash"), namer.entries_named("runtime.nilinterequal"));
    // Objects that carry their own type. The entry of a (type word, count) pair is made
    // once, not once per object.
    let hs = heap.params.malloc_header_size;
    let mut header_entries: crate::fasthash::FastMap<(u64, u64), (u32, Option<TypeId>)> = Default::default();
    for span in &heap.spans {
        let (rtype_of, data_off): (Box<dyn Fn(u64) -> u64>, u64) = match span.layout {
            PtrLayout::Header | PtrLayout::Explicit { header: true } => (Box::new(|obj| rt.mem.u64(obj).unwrap_or(0)), hs),
            PtrLayout::Large { rtype } => (Box::new(move |_| rtype), 0),
            _ => continue,
        };
        for k in 0..span.nelems {
            let slot = span.first_slot + k;
            if !heap.allocated.get(slot as usize) {
                continue;
            }
            let obj = span.base + k as u64 * span.elemsize;
            let tw = rtype_of(obj);
            if tw == 0 {
                continue;
            }
            let Some(info) = namer.rtypes.get(rt, tw) else { continue };
            let count = if info.size > 0 { (span.elemsize.saturating_sub(data_off) / info.size).max(1) } else { 1 };
            let count = if count >= 2 { count } else { 1 };
            let (e, dwarf) = *header_entries.entry((tw, count)).or_insert_with(|| {
                let elem_name = info.dwarf.map(|d| display_name(rt.dwarf, d)).unwrap_or_else(|| info.name.clone());
                (namer.typing.intern(array_name(&elem_name, count), info.dwarf, count), info.dwarf)
            });
            namer.typing.slot_type[slot as usize] = e;
            namer.self_named.insert(slot as usize);
            if let Some(d) = dwarf {
                if namer.walked.insert(slot as usize) {
                    // (`Heap::find` of the value's address is this slot, past the header.)
                    let found = (data_off < span.elemsize).then_some(Target { slot, offset: data_off });
                    namer.queue.push((obj.wrapping_add(data_off), d, count, found));
                }
            }
        }
    }
    for &(addr, ty) in seeds {
        namer.walk(addr, ty, 1);
    }
    for v in &hints.pieced {
        namer.walk_pieced(v.ty, &v.parts);
    }
    namer.apply_hints(hints);
    namer.drain();
    namer.name_interior();
    namer.name_closures();
    namer.untyped_words(untyped);
    namer.drain();
    namer.untyped_heap_words();
    namer.drain();
    namer.name_interior();
    namer.inferred_mode = true;
    namer.infer_by_layout();
    namer.drain();
    namer.typing
}

impl Namer<'_, '_> {
    fn drain(&mut self) {
        while let Some((addr, ty, count, found)) = self.queue.pop() {
            self.walk_in(addr, ty, count, found);
        }
    }

    /// The binary's runtime type descriptor of `ty`, if it has one. DWARF may describe a
    /// named type twice, as a typedef without a descriptor of the entry that has it (Go
    /// 1.27: the `os.unixDirent` that `*os.unixDirent` points to): the typedef's target's.
    fn rtype_of(&mut self, ty: TypeId) -> Option<Rc<crate::runtime::types::RtypeInfo>> {
        let off = self.rt.dwarf.ty(described(self.rt.dwarf, ty)).runtime_type;
        if off == 0 || self.rtypes.types_base == 0 {
            return None;
        }
        let addr = self.rtypes.types_base.wrapping_add(off);
        self.rtypes.get(self.rt, addr)
    }

    /// Pointer words of the object in `slot`, as byte offsets from the slot's start.
    fn slot_words(&mut self, slot: SlotId) -> Vec<u64> {
        let heap = self.heap;
        let span = heap.span_of_slot(slot);
        let mut words = Vec::new();
        let bytes = heap.span_bytes(self.rt, span);
        heap.for_each_pointer_word(self.rt, self.rtypes, span, slot - span.first_slot, bytes, |o| words.push(o));
        words
    }

    /// Whether the heap object at `addr` can be one value of `ty`: `addr` is where the
    /// object's value starts, the type fits its slot, and the object's pointer words (the
    /// heap bitmap, `runtime/mbitmap.go`) are the type's. Objects that carry their own type
    /// (malloc header, `largeType`) or were named before are not second-guessed: naming
    /// leaves them as they are.
    fn fits_object(&mut self, addr: u64, ty: TypeId) -> bool {
        let heap = self.heap;
        let Some(t) = heap.find(addr) else { return false };
        let span = heap.span_of_slot(t.slot);
        let hdr = if span.layout.has_malloc_header() { heap.params.malloc_header_size } else { 0 };
        if t.offset != hdr {
            return false;
        }
        if self.typing.slot_type[t.slot as usize] != UNTYPED {
            return true;
        }
        let Some(info) = self.rtype_of(ty) else { return false };
        if info.size == 0 || info.size > span.elemsize - hdr {
            return false;
        }
        match span.layout {
            PtrLayout::NoScan => info.ptr_bytes == 0,
            PtrLayout::InSpanBits { .. } => {
                let words: Vec<u64> = self.slot_words(t.slot).into_iter().map(|o| o / 8).collect();
                words == info.ptr_words
            }
            _ => true,
        }
    }

    /// Objects nothing named by their start that a typed pointer points into (the timer
    /// heap of a P, `runtime/time.go` `timers.heap`, points to the `timer` inside a
    /// `runtime.timeTimer` whose `*time.Timer` is gone: a stopped timer not yet removed):
    /// the value is a field of the object's type, so that type is one of the struct types
    /// DWARF describes holding the value's type at that offset (directly or in a field of
    /// a field). Where exactly one of those fits the object ([`Self::enclosing_fits`]) and
    /// no array of the value's type does, the object is named by it and walked as it.
    fn name_enclosing(&mut self) {
        for (addr, ty) in std::mem::take(&mut self.inside) {
            let Some(t) = self.heap.find(addr) else { continue };
            if self.typing.slot_type[t.slot as usize] != UNTYPED {
                continue;
            }
            let Some(outer) = self.enclosing_type(t.slot, t.offset, ty) else { continue };
            let Some(e) = self.entry_for(outer, 1) else { continue };
            self.typing.slot_type[t.slot as usize] = e;
            self.queue.push((addr - t.offset, outer, 1, None));
            self.drain();
        }
    }

    /// The one struct type holding a value of `inner` at byte `offset` that fits the
    /// object in `slot`, if exactly one (by name) does and no array of `inner` does.
    fn enclosing_type(&mut self, slot: SlotId, offset: u64, inner: TypeId) -> Option<TypeId> {
        let dwarf = self.rt.dwarf;
        let containers = self.containers.get_or_insert_with(|| {
            let mut by_field: HashMap<String, Vec<(TypeId, u64)>> = HashMap::new();
            let mut seen: std::collections::HashSet<&str> = Default::default();
            for (i, t) in dwarf.types.iter().enumerate() {
                let Shape::Struct(fields) = &t.shape else { continue };
                // One entry per Go type: DWARF may describe a type twice.
                if t.name.is_empty() || !seen.insert(t.name.as_str()) {
                    continue;
                }
                for f in fields {
                    let n = &dwarf.ty(f.ty).name;
                    if !n.is_empty() {
                        by_field.entry(n.clone()).or_default().push((i as TypeId, f.offset));
                    }
                }
            }
            by_field
        });
        // (type, offset of the inner value in it, depth): climb from the value's type to
        // the structs holding it, and to the structs holding those, while the offset fits.
        let mut work = vec![(inner, 0u64, 0u32)];
        let mut found: Vec<TypeId> = Vec::new();
        let mut visits = 0;
        while let Some((ty, at, depth)) = work.pop() {
            visits += 1;
            if visits > MAX_ENCLOSING_VISITS {
                return None;
            }
            let Some(holders) = containers.get(&dwarf.ty(ty).name) else { continue };
            for &(outer, fo) in holders {
                let Some(at) = at.checked_add(fo).filter(|&a| a <= offset) else { continue };
                if at == offset && !found.iter().any(|&f| dwarf.ty(f).name == dwarf.ty(outer).name) {
                    found.push(outer);
                }
                if depth < MAX_ENCLOSING_DEPTH {
                    work.push((outer, at, depth + 1));
                }
            }
        }
        let mut fitting = found.into_iter().filter(|&t| self.enclosing_fits(slot, t));
        let first = fitting.next()?;
        (fitting.next().is_none() && !self.array_fits(slot, offset, inner)).then_some(first)
    }

    /// Whether the object in `slot` can be an array of `elem` with an element at byte
    /// `offset`: then a pointer there names no enclosing struct.
    fn array_fits(&mut self, slot: SlotId, offset: u64, elem: TypeId) -> bool {
        let es = self.rt.dwarf.ty(elem).size;
        if es == 0 || !offset.is_multiple_of(es) {
            return false;
        }
        let ew = crate::runtime::types::dwarf_ptr_words(self.rt.dwarf, elem);
        let words: Vec<u64> = self.slot_words(slot).into_iter().map(|o| o / 8).collect();
        let Some(&last) = words.last() else { return ew.is_empty() };
        if ew.is_empty() {
            return false;
        }
        // The object's words are those of its first `n` elements (sorted, distinct).
        let per = (es / 8).max(1);
        let n = last / per + 1;
        words.len() as u64 == n * ew.len() as u64 && words.iter().all(|w| ew.contains(&(w % per)))
    }

    /// Whether a value of `ty` can be the object in `slot` (a span with in-span heap bits
    /// or no pointers): the allocator puts it in that slot's size (its size is above the
    /// next smaller slot size of the heap and at most the slot's, `runtime/sizeclasses.go`)
    /// and the object's pointer words (`runtime/mbitmap.go`) are the type's, as its runtime
    /// descriptor's GC mask has them (DWARF's when it has none). Generic shapes never fit.
    fn enclosing_fits(&mut self, slot: SlotId, ty: TypeId) -> bool {
        let heap = self.heap;
        let span = heap.span_of_slot(slot);
        let size = self.rt.dwarf.ty(ty).size;
        let sizes = self.slot_sizes.get_or_insert_with(|| {
            let mut s: Vec<u64> = heap.spans.iter().map(|s| s.elemsize).collect();
            s.sort_unstable();
            s.dedup();
            s
        });
        let below = sizes.partition_point(|&s| s < span.elemsize);
        let prev = below.checked_sub(1).map_or(0, |i| sizes[i]);
        if size <= prev || size > span.elemsize || self.rt.dwarf.ty(ty).name.contains("go.shape.") {
            return false;
        }
        let words = match self.rtype_of(ty) {
            Some(info) => info.ptr_words.clone(),
            None => crate::runtime::types::dwarf_ptr_words(self.rt.dwarf, ty),
        };
        match span.layout {
            PtrLayout::NoScan => words.is_empty(),
            PtrLayout::InSpanBits { .. } => !words.is_empty() && self.slot_words(slot).into_iter().map(|o| o / 8).eq(words),
            _ => false,
        }
    }

    /// An interface value at `at` in memory no type describes (`runtime/runtime2.go`:
    /// `eface{_type, data}`, `iface{tab, data}`): the first word is a type descriptor of the
    /// module's types section (`moduledata.types..etypes`), or an itab (`internal/abi.ITab`)
    /// whose `Inter` is an interface type and whose `Type` is a descriptor of the section.
    /// Returns `None` when the words are not an interface; otherwise names the value the data
    /// word holds (pointer-shaped types, `internal/abi.TFlagDirectIface`, hold it in the word
    /// itself) when it is a heap object that fits its dynamic type, and returns whether it
    /// did.
    fn untyped_interface(&mut self, at: u64) -> Option<bool> {
        let (w0, data) = (self.word(at), self.word(at.wrapping_add(8)));
        if w0 == 0 || self.heap.find(w0).is_some() {
            return None;
        }
        let (tb, te) = (self.rtypes.types_base, self.rtypes.types_end);
        // Only the starts of the section's descriptors the type table knows: any other word
        // into the section is not decoded (its "descriptor" would be arbitrary bytes).
        let dwarf = self.rt.dwarf;
        let in_types = |a: u64| tb != 0 && a >= tb && a < te && dwarf.type_by_runtime_addr(a - tb).is_some();
        let k_iface = self.consts.k_iface;
        let tw = if in_types(w0) {
            w0
        } else {
            let inter_off = self.consts.itab_inter_off?;
            let (t, i) = (self.word(w0.wrapping_add(self.itab_type_off?)), self.word(w0.wrapping_add(inter_off)));
            if !in_types(t) || !in_types(i) || self.rtypes.get(self.rt, i)?.kind != k_iface {
                return None;
            }
            t
        };
        let info = self.rtypes.get(self.rt, tw)?;
        // A dynamic type is never an interface; a descriptor the table does not know is
        // not one of the section's types.
        let dt = info.dwarf.filter(|_| info.kind != k_iface)?;
        if data == 0 {
            return Some(false);
        }
        if info.size == 8 && info.ptr_bytes == 8 {
            match self.flatten(dt).first().copied() {
                Some((0, Slot::Ptr(Some(p)))) if self.fits_object(data, p) => self.reach(data, p, 1),
                Some((0, s @ (Slot::Map(_) | Slot::Chan(_) | Slot::Func))) if self.heap.find(data).is_some_and(|t| t.offset == 0) => {
                    self.follow_value(data, s)
                }
                _ => return Some(false),
            }
        } else if self.fits_object(data, dt) {
            self.reach(data, dt, 1);
        } else {
            return Some(false);
        }
        Some(true)
    }

    /// The pcs whose [`Namer::func_at_entry`] is `name`: the entries of the functions so
    /// named (from the pclntab or DWARF, as `func_at_entry` reads them), each checked.
    fn entries_named(&self, name: &str) -> Vec<u64> {
        let candidates: Vec<u64> = match &self.pcln {
            Some(p) => p.entries_named(name),
            None => self.rt.dwarf.functions.iter().filter(|f| f.name == name).map(|f| f.low_pc.wrapping_add(self.rt.bias)).collect(),
        };
        candidates.into_iter().filter(|&pc| self.func_at_entry(pc).as_deref() == Some(name)).collect()
    }

    /// The name of the function whose entry is `pc`, from DWARF or the pclntab.
    fn func_at_entry(&self, pc: u64) -> Option<String> {
        if let Some(p) = &self.pcln {
            return p.find_func(pc).filter(|f| f.entry == pc).map(|f| f.name);
        }
        let f = self.rt.dwarf.function_at(pc.wrapping_sub(self.rt.bias))?;
        (f.low_pc == pc.wrapping_sub(self.rt.bias)).then(|| f.name.clone())
    }

    /// A `sync.Map` in memory no type describes, found by its `root` word at `at`: a
    /// `sync.Map` is an `internal/sync.HashTrieMap[any, any]` (Go 1.24-1.27,
    /// `internal/sync/hashtriemap.go`), whose `init` sets `keyHash` to the key's map hasher
    /// and `valEqual` to the value's equality, both funcvals: `runtime.nilinterhash` and
    /// `runtime.nilinterequal` (`runtime/alg.go`) for `any`. The package is internal, so the
    /// standard library's own instantiations are all there are, and only `sync.Map`'s has
    /// empty-interface keys and values. Then the map is walked as that type. (Before Go 1.24
    /// a `sync.Map` holds a `map[any]*entry`: nothing to find here, typed pointers name it.)
    fn untyped_sync_map(&mut self, at: u64) {
        let layout = *self.sync_map.get_or_insert_with(|| {
            let d = self.rt.dwarf;
            let name = "internal/sync.HashTrieMap[interface {},interface {}]";
            let ty = d.type_by_name(name)?;
            Some((ty, d.field(name, "root")?.0, d.field(name, "keyHash")?.0, d.field(name, "valEqual")?.0))
        });
        let Some((ty, root, key_hash, val_equal)) = layout else { return };
        let ht = at.wrapping_sub(root);
        let code = |n: &Self, off: u64| n.word(n.word(ht.wrapping_add(off)));
        let (h, e) = (code(self, key_hash), code(self, val_equal));
        if h == 0 || e == 0 {
            return;
        }
        let (hashes, equals) = &self.consts.nilinter_funcs;
        if hashes.contains(&h) && equals.contains(&e) {
            self.walk(ht, ty, 1);
        }
    }

    /// Interface values whose data words are among the pointer words at `addrs` (sorted).
    /// GC masks mark only an interface's data word (`cmd/compile/internal/typebits`: the
    /// type or itab word never points into the heap), so the word before each is tried as
    /// the type word; a data word of an interface is never tried as the next one's.
    fn interfaces_in(&mut self, addrs: &[u64]) {
        let mut last_data = None;
        for &a in addrs {
            self.untyped_sync_map(a);
            if last_data == Some(a.wrapping_sub(8)) {
                continue;
            }
            if self.untyped_interface(a.wrapping_sub(8)).is_some() {
                last_data = Some(a);
            }
        }
    }

    fn untyped_words(&mut self, addrs: &[u64]) {
        self.interfaces_in(addrs);
    }

    /// Interface values inside objects still unnamed: their pointer words from the heap
    /// bitmap (objects with a header or `largeType` are named by it; closures were named
    /// before, by [`Self::name_closures`]).
    fn untyped_heap_words(&mut self) {
        let heap = self.heap;
        for span in &heap.spans {
            if !matches!(span.layout, PtrLayout::InSpanBits { .. } | PtrLayout::NoScan) {
                continue;
            }
            for k in 0..span.nelems {
                let slot = span.first_slot + k;
                if !heap.allocated.get(slot as usize) || self.typing.slot_type[slot as usize] != UNTYPED {
                    continue;
                }
                if span.layout == PtrLayout::NoScan {
                    continue;
                }
                let base = span.base + k as u64 * span.elemsize;
                let addrs: Vec<u64> = self.slot_words(slot).into_iter().filter(|&o| o >= 8).map(|o| base + o).collect();
                self.interfaces_in(&addrs);
            }
        }
    }

    /// Names by layout each object nothing named where exactly one of the binary's types
    /// fits ([`crate::runtime::inference::LayoutIndex`]), and queues its contents.
    fn infer_by_layout(&mut self) {
        let (heap, rt) = (self.heap, self.rt);
        let mut index: Option<crate::runtime::inference::LayoutIndex> = None;
        for span in &heap.spans {
            if span.layout == PtrLayout::NoScan {
                continue;
            }
            let hdr = if span.layout.has_malloc_header() { heap.params.malloc_header_size } else { 0 };
            let mut fits: HashMap<Vec<u64>, Option<TypeId>> = HashMap::new();
            for k in 0..span.nelems {
                let slot = span.first_slot + k;
                if !heap.allocated.get(slot as usize) || self.typing.slot_type[slot as usize] != UNTYPED {
                    continue;
                }
                let words: Vec<u64> = self.slot_words(slot).into_iter().map(|o| o / 8).collect();
                if words.is_empty() {
                    continue;
                }
                let fit = match fits.get(&words) {
                    Some(f) => *f,
                    None => {
                        let rtypes = &mut *self.rtypes;
                        let idx = index.get_or_insert_with(|| {
                            let base = rtypes.types_base;
                            let mut pw = |t: TypeId| rtypes.get(rt, base.wrapping_add(rt.dwarf.ty(t).runtime_type)).map(|i| i.ptr_words.clone());
                            crate::runtime::inference::LayoutIndex::new(rt.dwarf, heap.spans.iter().map(|s| s.elemsize).collect(), &mut pw)
                        });
                        let f = idx.fit(span.elemsize, &words);
                        fits.insert(words, f);
                        f
                    }
                };
                let Some(t) = fit else { continue };
                let Some(e) = self.entry_for(t, 1) else { continue };
                self.typing.slot_type[slot as usize] = e;
                if self.walked.insert(slot as usize) {
                    self.queue.push((span.base + k as u64 * span.elemsize + hdr, t, 1, None));
                }
            }
        }
    }
}
