// Loads the wasm module (no inline script, so the page works under a strict CSP).
import init, { version } from "./jw-upload.js";

const status = document.getElementById("status");
try {
  await init();
  status.textContent = `Uploader ${version()} loaded.`;
} catch (e) {
  status.textContent = `The uploader could not load: ${e}`;
}
