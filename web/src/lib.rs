//! heapwise in the browser.
//!
//! - [`debug_file`]: tells a separate debug file from an executable (for the page's intake);
//! - [`protocol`]: the messages between the page and the analysis worker;
//! - [`blob`]: random access to a dropped `File` (read-ahead cached, or zstd-decompressed) in the worker;
//! - [`readahead`]: the bounded read-ahead page cache the worker reads files through;
//! - [`worker`]: the worker's message loop over `heapwise_core`'s `Analysis`;
//! - [`app`]: the Yew page (a router with one component per view, over a cache of answers).

pub mod debug_file;
pub mod protocol;
pub mod readahead;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod blob;
#[cfg(target_arch = "wasm32")]
pub mod worker;
