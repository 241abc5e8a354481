//! heapwise in the browser.
//!
//! - [`debug_file`]: tells a separate debug file from an executable (for the page's intake);
//! - [`groups`]: the order and the windows of rows of the goroutine groups view;
//! - [`heapwisehttp`]: what the page reads from the Go package that serves it from a service;
//! - [`protocol`]: the messages between the page and the analysis worker;
//! - [`blob`]: random access to a dropped `File` in the worker (behind heapwise-sources'
//!   read-ahead page cache, or zstd-decompressed);
//! - [`worker`]: the worker's message loop over `heapwise_core`'s `Analysis`;
//! - [`app`]: the Yew page (a router with one component per view, over a cache of answers).

pub mod debug_file;
pub mod groups;
pub mod heapwisehttp;
pub mod protocol;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod blob;
#[cfg(target_arch = "wasm32")]
pub mod worker;
