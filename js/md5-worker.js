// MD5 worker: hashes byte ranges of a File off the main thread with the uploader's own wasm
// (RustCrypto md-5). It instantiates the WebAssembly.Module the page sent, without the JS glue:
// it calls only the plain-number exports md5_* (no imports are used on that path). Each range is
// read as a byte stream into one reused 1 MiB buffer (a BYOB reader: no new ArrayBuffer per read,
// so nothing piles up for the garbage collector, and the browser keeps filling the stream while
// the wasm hashes), copied into one buffer inside wasm memory and hashed there. Browsers whose
// Blob streams have no BYOB reader fall back to FileReaderSync in 1 MiB steps.
// Why 1 MiB (`cargo xtask bench`, 256 MiB, unpinned): 4 MiB 410-425 MiB/s, 2 MiB ~475, 1 MiB
// ~500, 512 KiB 455-538: a step that stays in the CPU cache between the copy and the hash.
// Reading chunks ahead on streams of their own (so reads overlap the hash) measured no faster.
const STEP = 1024 * 1024;
let exports = null;
let ready = null;
let queue = Promise.resolve(); // digests run one at a time: they share the wasm hasher

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

function checkLength(got, want, at) {
  if (got !== want) {
    throw new Error(`the file changed: read ${got} bytes at ${at}, expected ${want}`);
  }
}

function hex(out) {
  const d = new Uint8Array(exports.memory.buffer, out >>> 0, 16);
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A BYOB reader of the range, or null when this browser's Blob streams have none. */
function byobReader(file, start, end) {
  try {
    return file.slice(start, end).stream().getReader({ mode: "byob" });
  } catch {
    return null;
  }
}

let spare = null; // the reused read buffer (transferred by each read, handed back by its result)

// The reader of the range being hashed, held here until its digest ends. Chromium does not keep
// a Blob stream alive while a read on it is pending: when nothing else refers to the stream, a
// garbage collection takes it and the read's promise never settles, so the digest (and the
// upload waiting for it) would hang. Found by the bench; tests/e2e/harness-gc.spec.mjs forces
// collections in this worker while it hashes. (A Set, so no minifier drops it as unused.)
const reading = new Set();

async function digestStream(reader, start, end) {
  reading.add(reader);
  try {
    return await readAndHash(reader, start, end);
  } finally {
    reading.delete(reader);
  }
}

async function readAndHash(reader, start, end) {
  const ptr = exports.md5_buffer(STEP) >>> 0;
  exports.md5_reset();
  let buffer = spare && spare.byteLength === STEP ? spare : new ArrayBuffer(STEP);
  spare = null;
  let filled = 0;
  let total = 0;
  for (;;) {
    const { value, done } = await reader.read(new Uint8Array(buffer, filled, STEP - filled));
    if (value) {
      buffer = value.buffer;
      filled += value.byteLength;
    }
    if (filled === STEP || (done && filled > 0)) {
      new Uint8Array(exports.memory.buffer, ptr, filled).set(new Uint8Array(buffer, 0, filled));
      exports.md5_update(filled);
      total += filled;
      filled = 0;
    }
    if (done) break;
  }
  spare = buffer;
  checkLength(total, end - start, start);
  return hex(exports.md5_finish());
}

function digestSync(file, start, end) {
  const reader = new FileReaderSync();
  const ptr = exports.md5_buffer(STEP) >>> 0;
  exports.md5_reset();
  for (let at = start; at < end; at += STEP) {
    const stop = Math.min(end, at + STEP);
    const bytes = new Uint8Array(reader.readAsArrayBuffer(file.slice(at, stop)));
    checkLength(bytes.length, stop - at, at);
    new Uint8Array(exports.memory.buffer, ptr, bytes.length).set(bytes);
    exports.md5_update(bytes.length);
  }
  return hex(exports.md5_finish());
}

/** The digest of the range and the way it was read (`byob-stream` or `FileReaderSync`). */
async function digest(file, start, end) {
  const reader = byobReader(file, start, end);
  return reader
    ? { md5: await digestStream(reader, start, end), path: "byob-stream" }
    : { md5: digestSync(file, start, end), path: "FileReaderSync" };
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
      const run = queue.then(() => digest(msg.file, msg.start, msg.end));
      queue = run.catch(() => {});
      const { md5, path } = await run;
      self.postMessage({ type: "md5", id: msg.id, md5, path });
    }
  } catch (e) {
    self.postMessage({ type: "error", id: msg.id, message: String(e && e.message || e) });
  }
};
