//! The front ends: each reads one kind of input into the [`crate::model::Model`] that
//! [`crate::analysis::Analysis::analyze`] turns into an analysis.
//! - [`core`]: an ELF core and its executable (through [`crate::runtime::process::Process`]);
//! - [`heapdump`]: a `runtime/debug.WriteHeapDump` file, with or without the executable.

pub mod core;
pub mod heapdump;
