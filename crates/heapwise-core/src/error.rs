//! Typed errors: each names what is wrong with the input in words a user can act on.

use std::fmt;

use crate::runtime::memory::MemError;
use crate::source::SourceError;

/// Everything that can stop an analysis.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The file is not an ELF file at all.
    NotElf(String),
    /// An ELF file that is not a core dump where one was expected.
    NotCore(String),
    /// The executable is not an executable (a core given twice, a relocatable object...).
    NotExecutable(String),
    /// A well-formed input heapwise does not handle (32-bit, big-endian, other arch...).
    Unsupported(String),
    /// A Go release outside the supported range.
    UnsupportedGoVersion { found: String, supported: &'static str },
    /// The process is not a Go program (no Go runtime in the executable).
    NotGo(String),
    /// The executable does not match the core.
    ExeMismatch(String),
    /// The executable was built without DWARF (`-ldflags=-w`).
    NoDwarf,
    Dwarf(String),
    /// A runtime structure or constant heapwise needs is not in the DWARF.
    MissingRuntimeInfo(String),
    /// Structurally invalid input.
    Malformed(String),
    /// The core file is cut short and what is gone is needed (the runtime's span table...).
    Truncated(String),
    /// No executable was given and none could be found from the core's file mappings.
    NoExecutable(String),
    Memory(MemError),
    Source(SourceError),
    /// The user cancelled the analysis.
    Cancelled,
    /// A query named something that does not exist (an address with no object...).
    NotFound(String),
}

/// The Go releases heapwise reads.
pub const SUPPORTED_GO: &str = "go1.22 to go1.27";

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotElf(m) | Error::NotCore(m) | Error::NotExecutable(m) | Error::Unsupported(m) => f.write_str(m),
            Error::UnsupportedGoVersion { found, supported } => {
                write!(f, "unsupported Go version {found}: heapwise reads cores of {supported}")
            }
            Error::NotGo(m) => write!(f, "not a Go program: {m}"),
            Error::ExeMismatch(m) => write!(f, "the executable does not match the core: {m}"),
            Error::NoDwarf => f.write_str("the executable has no DWARF debug information (built with -ldflags=-w?); heapwise needs it"),
            Error::Dwarf(m) => write!(f, "cannot read the executable's DWARF: {m}"),
            Error::MissingRuntimeInfo(m) => write!(f, "the executable's DWARF lacks runtime information heapwise needs: {m}"),
            Error::Malformed(m) => write!(f, "malformed input: {m}"),
            Error::Truncated(m) => write!(f, "the core file is truncated: {m}"),
            Error::NoExecutable(m) => f.write_str(m),
            Error::Memory(e) => write!(f, "cannot read process memory: {e}"),
            Error::Source(e) => write!(f, "{e}"),
            Error::Cancelled => f.write_str("analysis cancelled"),
            Error::NotFound(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

impl From<MemError> for Error {
    fn from(e: MemError) -> Self {
        Error::Memory(e)
    }
}

impl From<SourceError> for Error {
    fn from(e: SourceError) -> Self {
        Error::Source(e)
    }
}
