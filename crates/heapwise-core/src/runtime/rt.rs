//! Reading Go runtime structures by field name through DWARF. Offsets, sizes and constants
//! all come from the executable's DWARF; nothing here hard-codes a runtime layout.

use crate::formats::dwarf::{Dwarf, TypeId};
use crate::runtime::memory::Memory;
use crate::Error;

/// Process memory plus the DWARF that describes it.
pub struct Rt<'a> {
    pub mem: &'a Memory,
    pub dwarf: &'a Dwarf,
    /// Load bias: runtime address = DWARF address + bias.
    pub bias: u64,
}

impl<'a> Rt<'a> {
    /// Offset of `field` in `struct_name`, or a `MissingRuntimeInfo` error naming both.
    pub fn off(&self, struct_name: &str, field: &str) -> Result<u64, Error> {
        self.dwarf
            .field(struct_name, field)
            .map(|(o, _)| o)
            .ok_or_else(|| Error::MissingRuntimeInfo(format!("field {struct_name}.{field}")))
    }

    /// Like [`Rt::off`], `None` when the field does not exist in this Go release.
    pub fn off_opt(&self, struct_name: &str, field: &str) -> Option<u64> {
        self.dwarf.field(struct_name, field).map(|(o, _)| o)
    }

    pub fn field_type(&self, struct_name: &str, field: &str) -> Result<TypeId, Error> {
        self.dwarf
            .field(struct_name, field)
            .map(|(_, t)| t)
            .ok_or_else(|| Error::MissingRuntimeInfo(format!("field {struct_name}.{field}")))
    }

    pub fn size_of(&self, name: &str) -> Result<u64, Error> {
        self.dwarf.size_of(name).ok_or_else(|| Error::MissingRuntimeInfo(format!("type {name}")))
    }

    /// A runtime constant; tries each name in turn (constants move between packages).
    pub fn constant(&self, names: &[&str]) -> Result<i64, Error> {
        names
            .iter()
            .find_map(|n| self.dwarf.constant(n))
            .ok_or_else(|| Error::MissingRuntimeInfo(format!("constant {}", names.join(" / "))))
    }

    /// Relocated address of a global variable.
    pub fn global(&self, name: &str) -> Result<u64, Error> {
        self.dwarf
            .globals
            .iter()
            .find(|g| g.name == name)
            .map(|g| g.addr.wrapping_add(self.bias))
            .ok_or_else(|| Error::MissingRuntimeInfo(format!("global {name}")))
    }

    pub fn u64_field(&self, base: u64, struct_name: &str, field: &str) -> Result<u64, Error> {
        Ok(self.mem.u64(base.wrapping_add(self.off(struct_name, field)?))?)
    }

    /// Reads a field of any integer size per its DWARF type.
    pub fn uint_field(&self, base: u64, struct_name: &str, field: &str) -> Result<u64, Error> {
        let (off, ty) = self
            .dwarf
            .field(struct_name, field)
            .ok_or_else(|| Error::MissingRuntimeInfo(format!("field {struct_name}.{field}")))?;
        let size = self.dwarf.ty(self.dwarf.underlying(ty)).size;
        Ok(self.mem.uint(base.wrapping_add(off), size)?)
    }

    /// Reads a Go slice header (ptr, len, cap).
    pub fn slice(&self, addr: u64) -> Result<(u64, u64, u64), Error> {
        Ok((self.mem.u64(addr)?, self.mem.u64(addr.wrapping_add(8))?, self.mem.u64(addr.wrapping_add(16))?))
    }

    /// Reads a Go string header and its contents.
    pub fn string(&self, addr: u64, max: u64) -> Result<String, Error> {
        let ptr = self.mem.u64(addr)?;
        let len = self.mem.u64(addr.wrapping_add(8))?;
        if len == 0 {
            return Ok(String::new());
        }
        Ok(self.mem.go_string(ptr, len, max)?)
    }
}
