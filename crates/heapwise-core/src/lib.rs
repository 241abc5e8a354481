//! heapwise-core: reads a Go process's ELF core (or a `runtime/debug.WriteHeapDump` file) and
//! its executable into an exact, typed object graph. No OS or browser dependency: bytes arrive
//! through [`source::ByteSource`].
//!
//! Layout, by concept:
//! - [`formats`]: the file formats, each decoded on its own (ELF core, heap dump, executable,
//!   DWARF, pclntab);
//! - [`frontends`]: one per kind of input (a core with its executable, a heap dump), each
//!   filling the one [`model::Model`] (memory, heap, roots, goroutines, naming seeds);
//! - [`runtime`]: the Go runtime's structures read out of a process image (heap spans, type
//!   descriptors, goroutine stacks, roots, naming of objects);
//! - [`graph`]: the object graph and what is computed over it (marking, dominators, retained
//!   sizes, owners);
//! - the API: [`analysis::Analysis`], built from a model by the one pipeline
//!   [`analysis::Analysis::analyze`] (graph, marking, naming), and the plain serde
//!   [`report`] types every view uses.
#![forbid(unsafe_code)]

pub mod analysis;
pub mod bitset;
pub mod bytes;
pub mod diff;
pub mod error;
pub mod fasthash;
pub mod formats;
pub mod frontends;
pub mod goroutine_views;
pub mod graph;
pub mod model;
pub mod pprof;
pub mod report;
pub mod runtime;
pub mod source;

pub use analysis::Analysis;
pub use error::Error;
