//! heapwise in the browser.
//!
//! - [`protocol`]: the messages between the page and the analysis worker;
//! - [`blob`]: random access to a dropped `File` in the worker (behind heapwise-sources'
//!   read-ahead page cache, or zstd-decompressed);
//! - [`engine`]: the thin adapter over `heapwise_core`'s analysis;
//! - [`worker`]: the worker's message loop;
//! - [`app`]: the Yew page.

pub mod engine;
pub mod protocol;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod blob;
#[cfg(target_arch = "wasm32")]
pub mod worker;
