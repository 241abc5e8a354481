//! What the front ends find for naming objects, consumed by [`crate::runtime::typing`]:
//! typed addresses (globals, stack variables) and the type evidence of specials. Both
//! [`crate::runtime::roots`] (which finds it) and typing (which uses it) depend on this
//! module, not on each other.

use crate::formats::dwarf::{Dwarf, Shape, TypeId};

/// A typed address: a value of DWARF type `.1` lives at `.0` (a global, a stack variable).
pub type TypeSeed = (u64, TypeId);

/// Type evidence found in specials, for naming: a finalizer records the object's pointer
/// type (`specialfinalizer.ot`); a cleanup records the user's function and its argument.
#[derive(Debug, Clone, Default)]
pub struct SpecialTypeHints {
    /// (finalized object, address of its `*T` runtime type).
    pub finalized: Vec<(u64, u64)>,
    /// Go 1.26+: (user cleanup funcval, pointer to the boxed argument).
    pub cleanup_boxed: Vec<(u64, u64)>,
    /// Go 1.24-1.25: the `AddCleanup` closure holding `cleanup` and `arg`.
    pub cleanup_closures: Vec<u64>,
    /// Finalizer and cleanup funcvals: closures whose captured variables are typed.
    pub funcs: Vec<u64>,
    /// Runtime values outside the heap that point into it: (address, DWARF type), walked
    /// as that type (queued cleanups: Go 1.26's `cleanupFn.call` is a closure of its own).
    pub values: Vec<(u64, TypeId)>,
    /// Stack variables only parts of which are in memory at their frame's pc (composite
    /// DWARF locations), each holding a live pointer word: seeds from what is there.
    pub pieced: Vec<crate::runtime::stacks::PiecedVar>,
}

/// The pointee type of the pointer word at `offset` inside a value of type `ty`.
pub fn pointee_at(dwarf: &Dwarf, ty: TypeId, offset: u64) -> Option<TypeId> {
    let mut cur = ty;
    let mut off = offset;
    for _ in 0..64 {
        let u = dwarf.underlying(cur);
        match &dwarf.ty(u).shape {
            Shape::Pointer(p) if off == 0 => return *p,
            Shape::Struct(fields) => {
                let f = fields.iter().rev().find(|f| f.offset <= off && off < f.offset.saturating_add(dwarf.ty(f.ty).size.max(1)))?;
                off -= f.offset;
                cur = f.ty;
            }
            Shape::Array { elem, .. } => {
                let es = dwarf.ty(*elem).size.max(1);
                off %= es;
                cur = *elem;
            }
            _ => return None,
        }
    }
    None
}
