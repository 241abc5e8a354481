//! Types the linker left out of DWARF. `cmd/link` writes DWARF only for types some
//! variable, field or function mentions; a type that only ever sits in an interface (a
//! generic instantiation Go 1.27 describes by its shape alone, a value boxed into `any`)
//! has a runtime type descriptor but no DWARF entry. Those descriptors are converted as for
//! a binary without DWARF ([`crate::runtime::abitypes`]) and added to the table, so that
//! interface words holding them name and walk their values. Descriptors DWARF already has
//! keep their DWARF type: the index by runtime type keeps the first entry.

use crate::formats::dwarf::{Dwarf, Shape, Type, TypeId};
use crate::runtime::abitypes::{read_types, Representations};
use crate::runtime::memory::Memory;
use crate::runtime::rt::Rt;

/// Adds to `dwarf` the types of the module's descriptors; returns how many descriptors
/// had no DWARF type, or `None` when the descriptors cannot be read (nothing is added).
pub fn add_descriptor_types(dwarf: &mut Dwarf, mem: &Memory, bias: u64) -> Option<usize> {
    let (tb, te, mut extra, reps) = {
        let rt = Rt { mem, dwarf: &*dwarf, bias };
        let md = rt.global("runtime.firstmoduledata").ok()?;
        let tb = rt.u64_field(md, "runtime.moduledata", "types").ok()?;
        let te = rt.u64_field(md, "runtime.moduledata", "etypes").ok()?;
        let d = &*dwarf;
        let named = |n: &str| d.type_by_name(n);
        let mut extra: Vec<Type> = Vec::new();
        let first = d.types.len() as TypeId;
        // The pointer representations: DWARF's own pointer types when it has them.
        let mut ptr_to = |target: &str| -> Option<TypeId> {
            if let Some(p) = named(&format!("*{target}")) {
                return Some(p);
            }
            let t = named(target)?;
            extra.push(Type { name: String::new(), size: 8, go_kind: 0, runtime_type: 0, key: None, elem: None, shape: Shape::Pointer(Some(t)) });
            Some(first + extra.len() as TypeId - 1)
        };
        // A map is a `*maps.Map` (Go 1.24+) or a `*runtime.hmap` (Go 1.22-1.23).
        let map_ptr = ptr_to("internal/runtime/maps.Map").or_else(|| ptr_to("runtime.hmap"))?;
        let (hchan_ptr, byte_ptr) = (ptr_to("runtime.hchan")?, ptr_to("uint8")?);
        let reps = Representations { eface: named("runtime.eface")?, iface: named("runtime.iface")?, hchan_ptr, map_ptr, int: named("int")?, byte_ptr };
        (tb, te, extra, reps)
    };
    let first = (dwarf.types.len() + extra.len()) as TypeId;
    let abi = {
        let rt = Rt { mem, dwarf: &*dwarf, bias };
        read_types(&rt, tb, te, first, &reps).ok()?.types
    };
    let missing = abi.iter().filter(|t| t.runtime_type != 0 && dwarf.type_by_runtime_addr(t.runtime_type).is_none()).count();
    extra.extend(abi);
    dwarf.add_types(extra);
    Some(missing)
}
