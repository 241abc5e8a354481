//! The Go runtime's own structures, read out of a process image by field name: the address
//! space, heap spans and object slots, type descriptors, goroutines and their stacks, GC roots,
//! and the naming of objects by type.

pub mod abitypes;
pub mod goroutines;
pub mod heap;
pub mod inference;
pub mod layouts;
pub mod memory;
pub mod methodargs;
pub mod mprof;
pub mod process;
pub mod roots;
pub mod rt;
pub mod seeds;
pub mod sizeclasses;
pub mod stacks;
pub mod stripped;
pub mod supplement;
pub mod types;
pub mod typing;
