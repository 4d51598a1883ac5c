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
// Pacing: a digest whose range is being uploaded hashes no further than LEAD bytes beyond what
// the upload has sent of it, and no faster than AHEAD times the upload's rate, once the page
// reports that progress (`pace` messages, src/md5.rs). Hashing at full speed beside a capped
// upload took the core the sender needed, in bursts, and a capped link never gives the lost time
// back (`cargo xtask bench`, 100 MiB/s, pinned: s3 0.90x raw with full-speed hashing). Without a
// word from the page for PACE_WAIT_MS (no upload of the range, or a stalled or ended one) the
// digest goes on at full speed.
const LEAD = 8 * STEP;
const PACE_WAIT_MS = 1000;
const AHEAD = 1.25;
const paces = new Map(); // digest id -> { start, sent, at: when the page last said, wake }
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

/** Waits until hashing up to `upTo` bytes of digest `id`'s range keeps pace with its upload: no
 * more than LEAD bytes beyond what the upload has sent, and no faster than AHEAD times the
 * upload's average rate (so the hash is spread evenly, not run in bursts between reports). At
 * once when the page never reported, or stopped reporting, that upload's progress. */
async function keepPace(id, upTo) {
  for (;;) {
    const p = paces.get(id);
    if (!p || !p.at) return;
    const now = performance.now();
    if (now - p.at > PACE_WAIT_MS) return;
    const byRate = p.sent > 0 ? p.start + (upTo * (p.at - p.start)) / (AHEAD * p.sent) : now;
    // Never past the moment the page's silence ends the pacing.
    const due = Math.min(Math.max(p.sent + LEAD >= upTo ? now : Infinity, byRate), p.at + PACE_WAIT_MS + 1);
    if (due <= now) return;
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, due - now);
      p.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

async function digestStream(reader, start, end, id) {
  reading.add(reader);
  try {
    return await readAndHash(reader, start, end, id);
  } finally {
    reading.delete(reader);
  }
}

async function readAndHash(reader, start, end, id) {
  const ptr = exports.md5_buffer(STEP) >>> 0;
  exports.md5_reset();
  let buffer = spare && spare.byteLength === STEP ? spare : new ArrayBuffer(STEP);
  spare = null;
  let filled = 0;
  let total = 0;
  for (;;) {
    if (filled === 0) await keepPace(id, total + STEP);
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
async function digest(file, start, end, id) {
  const reader = byobReader(file, start, end);
  return reader
    ? { md5: await digestStream(reader, start, end, id), path: "byob-stream" }
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
    } else if (msg.type === "pace") {
      // Bytes of the range the upload has sent (only for digests not yet finished).
      const p = paces.get(msg.id);
      if (p) {
        p.sent = Math.max(p.sent, msg.sent);
        p.at = performance.now();
        const wake = p.wake;
        p.wake = null;
        wake?.();
      }
    } else if (msg.type === "md5") {
      paces.set(msg.id, { start: performance.now(), sent: 0, at: 0, wake: null });
      await ready;
      const run = queue.then(() => digest(msg.file, msg.start, msg.end, msg.id));
      queue = run.catch(() => {});
      try {
        const { md5, path } = await run;
        self.postMessage({ type: "md5", id: msg.id, md5, path });
      } finally {
        paces.delete(msg.id);
      }
    }
  } catch (e) {
    self.postMessage({ type: "error", id: msg.id, message: String(e && e.message || e) });
  }
};
