// Exposes the uploader's JS API to Playwright (tests/e2e) as window.jwu once the wasm is ready.
import init, { Uploader } from "../jw-upload.js";

await init();
window.jwu = { Uploader };
document.body.dataset.ready = "true";
