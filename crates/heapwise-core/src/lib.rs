//! heapwise-core: reads a Go process's ELF core and its executable into an exact,
//! typed object graph. No OS or browser dependency: bytes arrive through [`source::ByteSource`].
#![forbid(unsafe_code)]

pub mod analysis;
pub mod bitset;
pub mod bytes;
pub mod dominators;
pub mod dwarf;
pub mod elfcore;
pub mod error;
pub mod exe;
pub mod fasthash;
pub mod goroutines;
pub mod graph;
pub mod heap;
pub mod heapdump;
pub mod heapdump_analysis;
pub mod memory;
pub mod owners;
pub mod pclntab;
pub mod process;
pub mod report;
pub mod retained;
pub mod roots;
pub mod rt;
pub mod source;
pub mod stacks;
pub mod types;
pub mod typing;

pub use analysis::Analysis;
pub use error::Error;
