//! heapwise-core: reads a Go process's ELF core and its executable into an exact,
//! typed object graph. No OS or browser dependency: bytes arrive through [`source::ByteSource`].
#![forbid(unsafe_code)]

pub mod report;
pub mod source;
