// MD5 worker: hashes byte ranges of a File off the main thread with the uploader's own wasm
// (RustCrypto md-5). It instantiates the WebAssembly.Module the page sent, without the JS glue:
// it calls only the plain-number exports md5_* (no imports are used on that path), reading each
// range in 4 MiB steps into one buffer inside wasm memory.
const STEP = 4 * 1024 * 1024;
let exports = null;
let ready = null;

function importsFor(module) {
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    imports[imp.module] ??= {};
    if (imp.kind === "function") {
      imports[imp.module][imp.name] = () => {
        throw new Error(`md5 worker: ${imp.module}.${imp.name} is not available here`);
      };
    } else if (imp.kind === "table") {
      imports[imp.module][imp.name] = new WebAssembly.Table({ initial: 1024, element: "externref" });
    } else if (imp.kind === "memory") {
      imports[imp.module][imp.name] = new WebAssembly.Memory({ initial: 17 });
    } else if (imp.kind === "global") {
      imports[imp.module][imp.name] = new WebAssembly.Global({ value: "i32", mutable: true }, 0);
    }
  }
  return imports;
}

function digest(file, start, end) {
  const reader = new FileReaderSync();
  const ptr = exports.md5_buffer(STEP) >>> 0;
  exports.md5_reset();
  for (let at = start; at < end; at += STEP) {
    const stop = Math.min(end, at + STEP);
    const bytes = new Uint8Array(reader.readAsArrayBuffer(file.slice(at, stop)));
    if (bytes.length !== stop - at) {
      throw new Error(`the file changed: read ${bytes.length} bytes at ${at}, expected ${stop - at}`);
    }
    new Uint8Array(exports.memory.buffer, ptr, bytes.length).set(bytes);
    exports.md5_update(bytes.length);
  }
  const out = exports.md5_finish() >>> 0;
  const d = new Uint8Array(exports.memory.buffer, out, 16);
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

self.onmessage = async (event) => {
  const msg = event.data;
  try {
    if (msg.type === "init") {
      ready = WebAssembly.instantiate(msg.module, importsFor(msg.module)).then((instance) => {
        exports = instance.exports;
      });
      await ready;
    } else if (msg.type === "md5") {
      await ready;
      const md5 = digest(msg.file, msg.start, msg.end);
      self.postMessage({ type: "md5", id: msg.id, md5 });
    }
  } catch (e) {
    self.postMessage({ type: "error", id: msg.id, message: String(e && e.message || e) });
  }
};
