//! The analysis worker (built by Trunk as `worker.js` + `worker_bg.wasm` + `worker_loader.js`).
fn main() {
    #[cfg(target_arch = "wasm32")]
    heapwise_web::worker::start();
}
