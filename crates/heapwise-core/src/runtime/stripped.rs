//! Reading a process whose executable has no DWARF (`-ldflags=-w`, `-s -w`, the Go
//! distribution's own binaries): the type table heapwise otherwise takes from DWARF is put
//! together from
//! - the runtime layout table of the core's Go release ([`crate::runtime::layouts`]) for
//!   the runtime's own structures and constants;
//! - the binary's runtime type descriptors ([`crate::runtime::abitypes`]) for every type
//!   objects are named by;
//! - the symbol table, when kept, for global variables; without one, the few runtime
//!   globals the analysis starts from are found by their structure: `firstmoduledata`
//!   (`runtime/symtab.go`) holds the address of the pclntab header and brackets the entry
//!   point, `mheap_.central[i].mcentral.spanclass == i` (`runtime/mheap.go`), `allgs[0]`
//!   is the main goroutine (goid 1, `runtime/proc.go`), `buildVersion` is a string header
//!   whose bytes are the version `.go.buildinfo` records.
//!
//! Globals and frame locals stay untyped; [`untyped_pointer_words`] lists their pointer
//! words for naming through the interface values and `sync.Map`s among them; a method's
//! frame types its arguments from the method tables of the type descriptors
//! ([`crate::runtime::methodargs`]), and a pointer-receiver method the tables do not keep
//! types its receiver by its symbol name (`crate::runtime::stacks`).

use crate::formats::dwarf::{Dwarf, Global, Shape, Type, TypeId};
use crate::formats::exe::Executable;
use crate::runtime::abitypes::{read_types, Representations};
use crate::runtime::layouts::table_for;
use crate::runtime::memory::Memory;
use crate::runtime::rt::Rt;
use crate::Error;

const PF_W: u32 = 2;
/// Largest writable segment searched for runtime globals.
const MAX_SEARCH: u64 = 512 << 20;
/// Untyped pointer words of data and bss listed at most (the Go compiler has about 30 000).
const MAX_UNTYPED_GLOBAL_WORDS: usize = 1 << 22;

/// The type table of a process whose executable has no DWARF, with notes on what it rests
/// on (layouts of another patch release, globals found by structure).
pub fn synthesize(exe: &Executable, mem: &Memory, bias: u64) -> Result<(Dwarf, Vec<String>), Error> {
    let version = exe
        .go_version
        .as_deref()
        .ok_or_else(|| Error::NotGo("the executable has neither DWARF nor a Go version in .go.buildinfo".into()))?;
    let (table, note) = table_for(version)?;
    let mut notes: Vec<String> = note.into_iter().collect();
    let rt = Rt { mem, dwarf: &table, bias };
    let mut types = table.types.clone();
    let mut globals: Vec<Global> = Vec::new();
    let by_name = |name: &str| exe.data_symbols.iter().find(|s| s.name == name);
    let table_global = |name: &str| table.globals.iter().find(|g| g.name == name);
    if !exe.data_symbols.is_empty() {
        // Runtime globals typed by the table; every other data symbol as an untyped blob
        // of its size, so roots in it are named.
        let mut blob_of_size: std::collections::HashMap<u64, TypeId> = Default::default();
        for s in &exe.data_symbols {
            let ty = match table_global(&s.name) {
                Some(g) => g.ty,
                None => *blob_of_size.entry(s.size).or_insert_with(|| {
                    types.push(Type { name: String::new(), size: s.size, go_kind: 0, runtime_type: 0, key: None, elem: None, shape: Shape::Unknown });
                    (types.len() - 1) as TypeId
                }),
            };
            globals.push(Global { name: s.name.clone(), addr: s.addr, ty });
        }
    } else {
        notes.push("the executable has no symbol table: runtime globals located by their structure, other globals are unnamed".into());
        let finder = Finder::new(exe, mem, bias, &rt)?;
        let md = finder.firstmoduledata()?;
        let mut found = vec![("runtime.firstmoduledata", md)];
        found.push(("runtime.mheap_", finder.mheap()?));
        match finder.allgs() {
            Some(a) => found.push(("runtime.allgs", a)),
            None => notes.push("runtime.allgs not found: no goroutines are listed".into()),
        }
        if let Some(a) = finder.build_version(version) {
            found.push(("runtime.buildVersion", a));
        }
        for (name, addr) in found {
            if let Some(g) = table_global(name) {
                globals.push(Global { name: name.to_string(), addr: addr.wrapping_sub(bias), ty: g.ty });
            }
        }
    }
    let md = match globals.iter().find(|g| g.name == "runtime.firstmoduledata") {
        Some(g) => g.addr.wrapping_add(bias),
        None => by_name("runtime.firstmoduledata").map(|s| s.addr.wrapping_add(bias)).ok_or_else(|| {
            Error::MissingRuntimeInfo("runtime.firstmoduledata in the symbol table".into())
        })?,
    };
    let tb = rt.u64_field(md, "runtime.moduledata", "types")?;
    let te = rt.u64_field(md, "runtime.moduledata", "etypes")?;
    let rep = |name: &str| table.type_by_name(name).ok_or_else(|| Error::MissingRuntimeInfo(format!("type {name} in the layout table")));
    let ptr_to = |target: TypeId, types: &mut Vec<Type>| {
        types.push(Type { name: String::new(), size: 8, go_kind: 0, runtime_type: 0, key: None, elem: None, shape: Shape::Pointer(Some(target)) });
        (types.len() - 1) as TypeId
    };
    let hchan = rep("runtime.hchan")?;
    // A map is a `*maps.Map` (Go 1.24+) or a `*runtime.hmap` (Go 1.22-1.23).
    let map = rep("internal/runtime/maps.Map").or_else(|_| rep("runtime.hmap"))?;
    let uint8 = rep("uint8")?;
    let reps = Representations {
        eface: rep("runtime.eface")?,
        iface: rep("runtime.iface")?,
        hchan_ptr: ptr_to(hchan, &mut types),
        map_ptr: ptr_to(map, &mut types),
        int: rep("int")?,
        byte_ptr: ptr_to(uint8, &mut types),
    };
    let abi = read_types(&rt, tb, te, types.len() as TypeId, &reps)?;
    notes.push(format!("no DWARF: {} types from the binary's runtime type descriptors, runtime layouts of {}", abi.types.len(), table_version(version)));
    types.extend(abi.types);
    let mut dwarf = Dwarf::from_parts(types, globals, table.constants.clone());
    dwarf.set_method_params(abi.methods);
    Ok((dwarf, notes))
}

fn table_version(v: &str) -> &str {
    v.split_whitespace().next().unwrap_or(v)
}

/// Searches the executable's writable segments in the process image.
struct Finder<'a> {
    rt: &'a Rt<'a>,
    /// (runtime address, bytes) of each writable segment.
    segments: Vec<(u64, Vec<u8>)>,
    pclntab: u64,
    entry: u64,
}

impl<'a> Finder<'a> {
    fn new(exe: &Executable, mem: &Memory, bias: u64, rt: &'a Rt<'a>) -> Result<Finder<'a>, Error> {
        let pclntab = exe
            .sections
            .iter()
            .find(|(n, _, _)| n == ".gopclntab")
            .map(|&(_, a, _)| a.wrapping_add(bias))
            .ok_or_else(|| Error::MissingRuntimeInfo("the executable has neither DWARF, a symbol table nor a .gopclntab section".into()))?;
        let mut segments = Vec::new();
        for ph in exe.load_segments.iter().filter(|p| p.flags & PF_W != 0) {
            if ph.memsz > MAX_SEARCH {
                return Err(Error::Malformed(format!("a writable segment of {} bytes", ph.memsz)));
            }
            let start = ph.vaddr.wrapping_add(bias);
            if let Ok(b) = mem.bytes(start, ph.memsz as usize) {
                segments.push((start, b.into_owned()));
            }
        }
        Ok(Finder { rt, segments, pclntab, entry: exe.entry.wrapping_add(bias) })
    }

    /// Every 8-aligned address in the writable segments with the word there.
    fn words(&self) -> impl Iterator<Item = (u64, &[u8], usize)> + '_ {
        self.segments.iter().flat_map(|(base, b)| (0..b.len() / 8).map(move |i| (*base + 8 * i as u64, b.as_slice(), 8 * i)))
    }

    fn firstmoduledata(&self) -> Result<u64, Error> {
        const MD: &str = "runtime.moduledata";
        let rt = self.rt;
        let o_hdr = rt.off(MD, "pcHeader")?;
        for (addr, b, i) in self.words() {
            if crate::bytes::u64_at(b, i) != Some(self.pclntab) {
                continue;
            }
            let md = addr.wrapping_sub(o_hdr);
            let f = |n: &str| rt.u64_field(md, MD, n).ok();
            let (Some(minpc), Some(maxpc), Some(types), Some(etypes)) = (f("minpc"), f("maxpc"), f("types"), f("etypes")) else { continue };
            if minpc <= self.entry && self.entry < maxpc && types < etypes {
                return Ok(md);
            }
        }
        Err(Error::MissingRuntimeInfo("runtime.firstmoduledata (no module data points to the pclntab)".into()))
    }

    fn mheap(&self) -> Result<u64, Error> {
        let rt = self.rt;
        let d = rt.dwarf;
        let (o_central, central_ty) = d.field("runtime.mheap", "central").ok_or_else(|| Error::MissingRuntimeInfo("field runtime.mheap.central".into()))?;
        let Shape::Array { elem, len } = d.ty(d.underlying(central_ty)).shape else {
            return Err(Error::MissingRuntimeInfo("runtime.mheap.central is not an array".into()));
        };
        let es = d.ty(elem).size;
        let o_mc = match &d.ty(d.underlying(elem)).shape {
            Shape::Struct(fs) => fs.iter().find(|f| f.name == "mcentral").map(|f| f.offset),
            _ => None,
        }
        .ok_or_else(|| Error::MissingRuntimeInfo("runtime.mheap.central[].mcentral".into()))?;
        let o_sc = rt.off("runtime.mcentral", "spanclass")?;
        let len = len.min(256);
        for (base, b) in &self.segments {
            let span = o_central + es * len;
            let blen = b.len() as u64;
            let mut i = 0u64;
            while i + span <= blen {
                let at = |c: u64| b[(i + o_central + c * es + o_mc + o_sc) as usize];
                if at(1) == 1 && at(2) == 2 && (0..len).all(|c| at(c) == c as u8) {
                    return Ok(base + i);
                }
                i += 8;
            }
        }
        Err(Error::MissingRuntimeInfo("runtime.mheap_ (no mcentral array numbered by span class)".into()))
    }

    fn allgs(&self) -> Option<u64> {
        let rt = self.rt;
        let goid = |g: u64| rt.u64_field(g, "runtime.g", "goid").ok();
        let mut best: Option<(u64, u64)> = None;
        for (addr, b, i) in self.words() {
            let (Some(p), Some(l), Some(c)) = (crate::bytes::u64_at(b, i), crate::bytes::u64_at(b, i + 8), crate::bytes::u64_at(b, i + 16)) else { continue };
            if p == 0 || p % 8 != 0 || l == 0 || l > c || c > 1 << 26 {
                continue;
            }
            let Ok(first) = rt.mem.u64(p) else { continue };
            if first == 0 || goid(first) != Some(1) {
                continue;
            }
            // Distinct positive goids in the first entries.
            let n = l.min(16);
            let Ok(gs) = rt.mem.bytes(p, (n * 8) as usize) else { continue };
            let mut ids: Vec<u64> = gs.chunks_exact(8).filter_map(|w| goid(u64::from_le_bytes(w.try_into().ok()?))).filter(|&g| g > 0).collect();
            let got = ids.len();
            ids.sort_unstable();
            ids.dedup();
            if got as u64 == n && ids.len() == got && best.is_none_or(|(_, bl)| l > bl) {
                best = Some((addr, l));
            }
        }
        best.map(|(a, _)| a)
    }

    fn build_version(&self, version: &str) -> Option<u64> {
        let want = version.as_bytes();
        for (addr, b, i) in self.words() {
            if crate::bytes::u64_at(b, i + 8) != Some(want.len() as u64) {
                continue;
            }
            let p = crate::bytes::u64_at(b, i)?;
            if p != 0 && self.rt.mem.bytes(p, want.len()).is_ok_and(|s| *s == *want) {
                return Some(addr);
            }
        }
        None
    }
}

/// Pointer words outside the heap that no type describes, sorted: the words of the module's
/// data and bss its GC masks mark (`runtime/symtab.go`: `moduledata.gcdatamask`,
/// `gcbssmask`; Go 1.22-1.27) outside every typed global (symbols of an executable without
/// DWARF are untyped blobs), and the stack slots the stack maps mark that no DWARF local
/// covers. Interface values among them name what they hold
/// ([`crate::runtime::typing::assign_types`]).
pub fn untyped_pointer_words(rt: &Rt<'_>, goroutines: &[crate::runtime::stacks::Goroutine]) -> Vec<u64> {
    let mut out = Vec::new();
    let typed = |addr: u64| {
        rt.dwarf.global_at(addr.wrapping_sub(rt.bias)).is_some_and(|g| !matches!(rt.dwarf.ty(g.ty).shape, Shape::Unknown))
    };
    let _ = (|| -> Result<(), Error> {
        let md = rt.global("runtime.firstmoduledata")?;
        for (start, end, mask) in [("data", "edata", "gcdatamask"), ("bss", "ebss", "gcbssmask")] {
            let lo = rt.u64_field(md, "runtime.moduledata", start)?;
            let hi = rt.u64_field(md, "runtime.moduledata", end)?;
            let mask_at = md.wrapping_add(rt.off("runtime.moduledata", mask)?);
            let n = rt.uint_field(mask_at, "runtime.bitvector", "n")?;
            let bits_ptr = rt.u64_field(mask_at, "runtime.bitvector", "bytedata")?;
            let words = (hi.saturating_sub(lo) / 8).min(n);
            if words > 1 << 25 {
                continue;
            }
            let bits = rt.mem.bytes(bits_ptr, words.div_ceil(8) as usize)?;
            for w in 0..words {
                let addr = lo + w * 8;
                if bits[(w / 8) as usize] >> (w % 8) & 1 != 0 && !typed(addr) && out.len() < MAX_UNTYPED_GLOBAL_WORDS {
                    out.push(addr);
                }
            }
        }
        Ok(())
    })();
    for g in goroutines {
        for f in &g.frames {
            out.extend(f.slots.iter().filter(|s| s.ty.is_none() && !s.conservative).map(|s| s.addr));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}
