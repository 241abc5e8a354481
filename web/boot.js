// Starts the page's wasm. Static file (the CSP forbids inline scripts); the hashed names of
// the wasm-bindgen output are in this script tag's data attributes, written by Trunk.
const tag = document.querySelector('script[data-heapwise-js]');
const base = document.baseURI;
const init = (await import(new URL(tag.dataset.heapwiseJs, base).href)).default;
await init({ module_or_path: new URL(tag.dataset.heapwiseWasm, base).href });
