//! The library part of heapwise-cli: what the `heapwise` binary and its integration tests
//! share. Its one `unsafe` is the mapping of a file ([`files::MappedFile::map`]); the
//! analysis crates forbid `unsafe`.
#![deny(unsafe_code)]

pub mod files;
