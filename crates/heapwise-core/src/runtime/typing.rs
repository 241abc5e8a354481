//! Naming heap objects. Objects with an allocation header or a large-span `largeType`
//! name themselves; every other object is named by propagating DWARF types from typed
//! roots (globals, stack variables) through typed pointers, structs, arrays, slices,
//! strings, interfaces (itab and type words, direct and boxed values), channel buffers
//! (`runtime/chan.go`: `hchan.buf`), closures (`DW_AT_go_closure_offset`) and Swiss-table
//! maps (`internal/runtime/maps`: `Map.dirPtr/dirLen`, `table.groups`; Go 1.24+), and
//! `sync.Pool`'s per-P arrays (`sync/pool.go`). Stack variables only parts of which are in
//! memory (composite DWARF locations) seed from the parts there. When propagation is done,
//! objects still unnamed that a subslice or substring points into, that the tiny allocator
//! packed a typed value into, or whose first word is a closure function's entry are named
//! from that evidence. Objects that stay unnamed are labelled by size and pointer shape.

use std::collections::HashMap;
use std::rc::Rc;

use crate::formats::dwarf::{kind, Dwarf, Shape, TypeId};
use crate::runtime::heap::{Heap, PtrLayout, SlotId};
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
    index: HashMap<(String, Option<TypeId>, u64), u32>,
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

/// Where the words of a value come from: memory at an address, or the known words of a
/// variable in pieces (`None` for a word kept in a register).
enum Words {
    Mem(u64),
    Known([Option<u64>; 3]),
}

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
    queue: Vec<(u64, TypeId, u64)>,
    itab_type_off: Option<u64>,
    slice_elem_cache: HashMap<TypeId, Option<TypeId>>,
    group_by_map: HashMap<TypeId, Option<TypeId>>,
    /// `sync.Map` trie node types by (node type, isEntry).
    trie_nodes: HashMap<(TypeId, bool), Option<TypeId>>,
    /// Generic shape types standing in for an instantiation DWARF omits: the name to use.
    shape_names: HashMap<TypeId, String>,
    closure_names: HashMap<u64, Option<(u32, Vec<(TypeId, u64)>)>>,
    entry_cache: crate::fasthash::FastMap<(TypeId, u64), Option<u32>>,
    flat_visits: u32,
    /// Slices (with their element type) and strings (`None`) whose data starts inside an
    /// object, not at its start: a subslice `b[i:]` or a substring.
    interior: Vec<(u64, Option<TypeId>)>,
    /// Typed pointers into blocks of the tiny allocator past their start, and its block
    /// size (`runtime/malloc.go`: `maxTinySize`).
    tiny: Vec<(u64, TypeId)>,
    tiny_size: u64,
    /// (slot, offset, type) of values walked inside objects already walked from their start.
    inner_walked: std::collections::HashSet<(SlotId, u64, TypeId)>,
}

/// Inner values walked at most (each once).
const MAX_INNER_WALKS: usize = 1 << 22;

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
        let Some(mut t) = self.heap.find(addr) else { return };
        // An object's value starts past its malloc header, if it has one.
        if self.heap.span_of_slot(t.slot).layout.has_malloc_header() {
            t.offset = t.offset.wrapping_sub(self.heap.params.malloc_header_size);
        }
        let current = self.typing.slot_type[t.slot as usize];
        let rename = current != UNTYPED && count > 1 && {
            let e = &self.typing.entries[current as usize];
            // The header's type and the slice's element may be two DWARF entries of one type.
            let same = e.dwarf == Some(ty) || e.dwarf.is_some_and(|d| self.rt.dwarf.ty(d).name == self.rt.dwarf.ty(ty).name);
            same && e.count != count && e.count > count
        };
        // The enclosing value wins over its first field (and an array over its first
        // element), unless the allocation named itself.
        let enclosing = t.offset == 0
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
                self.queue.push((addr, ty, count));
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
            }
        }
        if self.walked.insert(t.slot as usize) {
            self.queue.push((addr, ty, count));
        } else if t.offset != 0 && count == 1 && self.inner_walked.len() < MAX_INNER_WALKS && self.inner_walked.insert((t.slot, t.offset, ty)) {
            // A value inside an object walked as another type (a `runtime.timer` inside
            // the `runtime.timeTimer` that `*time.Timer` names): its own pointers too.
            self.queue.push((addr, ty, count));
        }
    }

    /// The type-table entry of `count` × `ty`; `None` for generic shape types, which erase
    /// the real type: naming by them would mislead.
    fn entry_for(&mut self, ty: TypeId, count: u64) -> Option<u32> {
        if let Some(&e) = self.entry_cache.get(&(ty, count)) {
            return e;
        }
        let elem_name = match self.shape_names.get(&ty) {
            Some(n) => n.clone(),
            None => display_name(self.rt.dwarf, ty),
        };
        let e = if elem_name.contains("go.shape.") {
            None
        } else {
            Some(self.typing.intern(array_name(&elem_name, count), Some(ty), count))
        };
        self.entry_cache.insert((ty, count), e);
        e
    }

    /// Names an object with a label that has no DWARF type (runtime-internal parts).
    fn reach_named(&mut self, addr: u64, name: String) {
        let Some(t) = self.heap.find(addr) else { return };
        if t.offset == 0 && self.typing.slot_type[t.slot as usize] == UNTYPED {
            let e = self.typing.intern(name, None, 1);
            self.typing.slot_type[t.slot as usize] = e;
        }
    }

    /// Walks `count` values of `ty` at `addr`, following every pointer-carrying part.
    fn walk(&mut self, addr: u64, ty: TypeId, count: u64) {
        let flat = self.flatten(ty);
        if flat.is_empty() {
            return;
        }
        let size = self.rt.dwarf.ty(ty).size.max(1);
        let mut count = count.min((1 << 26) / size.max(8)).max(1);
        // A heap value ends with its slot: a claimed length (a slice's cap, a channel's
        // size) past it is not walked.
        if let Some(t) = self.heap.find(addr) {
            let span = self.heap.span_of_slot(t.slot);
            let room = span.elemsize - t.offset;
            count = count.min((room / size).max(1));
        }
        for i in 0..count {
            let base = addr.wrapping_add(i * size);
            for &(off, slot) in flat.iter() {
                self.follow(base.wrapping_add(off), slot);
            }
        }
    }

    fn word(&self, addr: u64) -> u64 {
        self.rt.mem.u64(addr).unwrap_or(0)
    }

    fn follow(&mut self, at: u64, slot: Slot) {
        self.follow_from(Words::Mem(at), slot)
    }

    /// Word `i` of a value: from memory, or from the parts of a variable known.
    fn nth(&self, w: &Words, i: u64) -> Option<u64> {
        match w {
            Words::Mem(at) => Some(self.word(at.wrapping_add(8 * i))),
            Words::Known(k) => k.get(i as usize).copied().flatten(),
        }
    }

    fn follow_from(&mut self, w: Words, slot: Slot) {
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
                            self.reach_named(v, "string".to_string());
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
                    let mut tmp = Vec::new();
                    self.flatten_into(dt, 0, &mut tmp, 0);
                    if let Some(&(0, s)) = tmp.first() {
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
                    Words::Mem(at) => self.word(at.wrapping_add(len_at)),
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
                    while let Some((a, ty, count)) = self.queue.pop() {
                        self.walk(a, ty, count);
                    }
                }
            }
        }
    }

    /// Objects no typed pointer reached that are closures: a funcval's first word is the
    /// entry of its function (`runtime/runtime2.go`: `funcval.fn`), and only functions that
    /// capture variables (or method-value wrappers) have heap-allocated funcvals. Reached
    /// through untyped words (a stack slot DWARF does not describe, an `unsafe.Pointer`).
    fn name_closures(&mut self) {
        let (rt, heap) = (self.rt, self.heap);
        for span in &heap.spans {
            if span.layout.has_malloc_header() || span.elemsize < 16 {
                continue;
            }
            for k in 0..span.nelems {
                let slot = span.first_slot + k;
                if !heap.allocated.get(slot as usize) || self.typing.slot_type[slot as usize] != UNTYPED {
                    continue;
                }
                let obj = span.base + k as u64 * span.elemsize;
                let pc = self.word(obj).wrapping_sub(rt.bias);
                let is_closure = rt.dwarf.function_at(pc).is_some_and(|f| {
                    f.low_pc == pc && (!f.closure_vars.is_empty() || f.name.ends_with("-fm"))
                });
                if is_closure {
                    self.follow_closure(obj);
                    while let Some((a, ty, count)) = self.queue.pop() {
                        self.walk(a, ty, count);
                    }
                }
            }
        }
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
        self.reach_named(hchan, "runtime.hchan".to_string());
        let Some(elem) = rt.dwarf.ty(chan_ty).elem else { return };
        let (Ok(buf_off), Ok(size_off)) = (rt.off("runtime.hchan", "buf"), rt.off("runtime.hchan", "dataqsiz")) else { return };
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
                let e = dwarf.function_at(pc.wrapping_sub(self.rt.bias)).map(|f| {
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
                    (self.typing.intern(name, None, 1), vars)
                });
                self.closure_names.insert(pc, e.clone());
                e
            }
        };
        let Some((e, vars)) = entry else { return };
        let Some(t) = self.heap.find(fv) else { return };
        if t.offset == 0 && self.typing.slot_type[t.slot as usize] == UNTYPED {
            self.typing.slot_type[t.slot as usize] = e;
        }
        if self.walked.insert(t.slot as usize) {
            for (ty, off) in vars {
                let flat = self.flatten(ty);
                for &(o, s) in flat.iter() {
                    self.follow(fv.wrapping_add(off).wrapping_add(o), s);
                }
            }
        }
    }

    /// A `sync.Map` (`internal/sync/hashtriemap.go`, Go 1.24+) points to its trie nodes as
    /// `*node[K, V]`, a header that both `indirect[K, V]` and `entry[K, V]` start with; its
    /// `isEntry` says which one the node is. Any other type is returned unchanged.
    fn trie_node(&mut self, ty: TypeId, addr: u64) -> TypeId {
        const NODE: &str = "internal/sync.node[";
        let dwarf = self.rt.dwarf;
        let Some(args) = dwarf.ty(ty).name.strip_prefix(NODE) else { return ty };
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

    fn follow_map(&mut self, m: u64, map_ty: TypeId) {
        let rt = self.rt;
        let s = "internal/runtime/maps.Map";
        let (Ok(o_dir), Ok(o_dirlen)) = (rt.off(s, "dirPtr"), rt.off(s, "dirLen")) else { return };
        let Some(t) = self.heap.find(m) else { return };
        if !self.walked.insert(t.slot as usize) {
            return;
        }
        self.reach_named(m, s.to_string());
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
        let (Ok(o_groups), Ok(o_data), Ok(o_mask)) = (
            rt.off("internal/runtime/maps.table", "groups"),
            rt.off("internal/runtime/maps.groupsReference", "data"),
            rt.off("internal/runtime/maps.groupsReference", "lengthMask"),
        ) else {
            return;
        };
        self.reach_named(dir, format!("[{dirlen}]*internal/runtime/maps.table"));
        let mut last = 0;
        for i in 0..dirlen.min(1 << 20) {
            let table = self.word(dir.wrapping_add(8 * i));
            if table == 0 || table == last {
                continue;
            }
            last = table;
            self.reach_named(table, "internal/runtime/maps.table".to_string());
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
        let k = |n: &str, d: i64| rt.dwarf.constant(n).unwrap_or(d) as u8;
        let (k_ptr, k_struct, k_array) = (k("internal/abi.Pointer", 22), k("internal/abi.Struct", 25), k("internal/abi.Array", 17));
        for _ in 0..8 {
            let info = self.rtypes.get(rt, tw)?;
            if info.kind == k_ptr {
                if let Some(d) = info.dwarf {
                    if let Shape::Pointer(p) = rt.dwarf.ty(rt.dwarf.underlying(d)).shape {
                        return p;
                    }
                }
                let elem = self.word(tw.wrapping_add(rt.off_opt("internal/abi.PtrType", "Elem")?));
                return self.rtypes.get(rt, elem)?.dwarf;
            } else if info.kind == k_struct {
                let fields = tw.wrapping_add(rt.off_opt("internal/abi.StructType", "Fields")?);
                let first = self.word(fields);
                tw = self.word(first.wrapping_add(rt.off_opt("internal/abi.StructField", "Typ")?));
            } else if info.kind == k_array {
                tw = self.word(tw.wrapping_add(rt.off_opt("internal/abi.ArrayType", "Elem")?));
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
/// (specials, runtime values, stack variables in pieces).
pub fn assign_types(
    rt: &Rt<'_>,
    heap: &Heap,
    rtypes: &mut RtypeCache,
    seeds: &[(u64, TypeId)],
    hints: &crate::runtime::seeds::SpecialTypeHints,
) -> Typing {
    let n = heap.slot_count as usize;
    let typing = Typing { slot_type: vec![UNTYPED; n], entries: Vec::new(), index: HashMap::new() };
    let itab_type_off = rt.off_opt("internal/abi.ITab", "Type").or_else(|| rt.off_opt("runtime.itab", "_type"));
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
        slice_elem_cache: HashMap::new(),
        group_by_map: HashMap::new(),
        trie_nodes: HashMap::new(),
        shape_names: HashMap::new(),
        closure_names: HashMap::new(),
        entry_cache: Default::default(),
        flat_visits: 0,
        interior: Vec::new(),
        tiny: Vec::new(),
        inner_walked: Default::default(),
        tiny_size: rt.dwarf.constant("runtime._TinySize").or_else(|| rt.dwarf.constant("runtime.maxTinySize")).unwrap_or(16) as u64,
    };
    // Objects that carry their own type.
    let hs = heap.params.malloc_header_size;
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
            let elem_name = info.dwarf.map(|d| display_name(rt.dwarf, d)).unwrap_or_else(|| info.name.clone());
            let e = namer.typing.intern(array_name(&elem_name, count), info.dwarf, count);
            namer.typing.slot_type[slot as usize] = e;
            namer.self_named.insert(slot as usize);
            if let Some(d) = info.dwarf {
                if namer.walked.insert(slot as usize) {
                    namer.queue.push((obj.wrapping_add(data_off), d, count));
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
    while let Some((addr, ty, count)) = namer.queue.pop() {
        namer.walk(addr, ty, count);
    }
    namer.name_interior();
    namer.name_closures();
    namer.typing
}
