// MD5 peers in a worker. "hash-wasm" and "spark-md5" read the way such code usually does
// (FileReaderSync, 4 MiB steps, then hash: reading and hashing take turns); "-byob" variants use
// the widget worker's own read loop (a BYOB stream reader filling one reused 1 MiB buffer), so
// only the hash differs; "read" and "read-byob" run a loop without hashing: the read ceilings.
import { createMD5 } from "hash-wasm";
import SparkMD5 from "spark-md5";

const STEP = 4 * 1024 * 1024; // FileReaderSync steps
const BYOB_STEP = 1024 * 1024; // as js/md5-worker.js
let kind = null;
let hashWasm = null;

function hasher() {
  if (kind.startsWith("hash-wasm")) {
    hashWasm.init();
    return { update: (u8) => hashWasm.update(u8), end: () => hashWasm.digest("hex") };
  }
  if (kind.startsWith("spark-md5")) {
    const s = new SparkMD5.ArrayBuffer();
    // spark-md5 wants whole ArrayBuffers: copy views (the BYOB buffer is reused).
    return { update: (u8) => s.append(u8.byteLength === u8.buffer.byteLength ? u8.buffer : u8.slice().buffer), end: () => s.end() };
  }
  let n = 0;
  return { update: (u8) => { n += u8.byteLength; }, end: () => `read ${n}` };
}

function digestSync(file, start, end) {
  const reader = new FileReaderSync();
  const h = hasher();
  for (let at = start; at < end; at += STEP) {
    h.update(new Uint8Array(reader.readAsArrayBuffer(file.slice(at, Math.min(end, at + STEP)))));
  }
  return h.end();
}

const reading = new Set(); // as js/md5-worker.js: a Blob stream with a pending read must be held

async function digestByob(file, start, end) {
  const reader = file.slice(start, end).stream().getReader({ mode: "byob" });
  reading.add(reader);
  const h = hasher();
  let buffer = new ArrayBuffer(BYOB_STEP);
  let filled = 0;
  for (;;) {
    const { value, done } = await reader.read(new Uint8Array(buffer, filled, BYOB_STEP - filled));
    if (value) {
      buffer = value.buffer;
      filled += value.byteLength;
    }
    if (filled === BYOB_STEP || (done && filled > 0)) {
      h.update(new Uint8Array(buffer, 0, filled));
      filled = 0;
    }
    if (done) break;
  }
  reading.delete(reader);
  return h.end();
}

self.onmessage = async (event) => {
  const msg = event.data;
  try {
    if (msg.type === "init") {
      kind = msg.kind;
      if (kind.startsWith("hash-wasm")) hashWasm = await createMD5();
      self.postMessage({ type: "ready" });
    } else {
      const run = kind.endsWith("-byob") ? digestByob : digestSync;
      self.postMessage({ type: "md5", id: msg.id, md5: await run(msg.file, msg.start, msg.end) });
    }
  } catch (e) {
    self.postMessage({ type: "error", id: msg.id, message: String((e && e.message) || e) });
  }
};
