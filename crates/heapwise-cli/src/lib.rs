//! The library part of heapwise-cli: what the `heapwise` binary and its integration tests
//! share.

pub mod files;
