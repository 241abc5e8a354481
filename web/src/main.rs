//! The page (built by Trunk as `app.js` + `app_bg.wasm`).
fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        console_error_panic_hook::set_once();
        yew::Renderer::<heapwise_web::app::App>::new().render();
    }
}
