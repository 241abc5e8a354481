//! The file formats heapwise reads, each decoded on its own: the ELF core, the heap dump,
//! the executable, its DWARF and its pclntab.

pub mod dwarf;
pub mod elfcore;
pub mod exe;
pub mod heapdump;
pub mod pclntab;
