// MD5 peers in a worker, with the widget worker's read loop (FileReaderSync, 4 MiB steps), so
// only the hash differs: hash-wasm, spark-md5, and "read" (the loop alone: the read ceiling).
import { createMD5 } from "hash-wasm";
import SparkMD5 from "spark-md5";

const STEP = 4 * 1024 * 1024;
let kind = null;
let hashWasm = null;

function digest(file, start, end) {
  const reader = new FileReaderSync();
  let h;
  if (kind === "hash-wasm") h = (hashWasm.init(), hashWasm);
  else if (kind === "spark-md5") h = new SparkMD5.ArrayBuffer();
  let read = 0;
  for (let at = start; at < end; at += STEP) {
    const buf = reader.readAsArrayBuffer(file.slice(at, Math.min(end, at + STEP)));
    read += buf.byteLength;
    if (kind === "hash-wasm") h.update(new Uint8Array(buf));
    else if (kind === "spark-md5") h.append(buf);
  }
  if (kind === "hash-wasm") return h.digest("hex");
  if (kind === "spark-md5") return h.end();
  return `read ${read}`;
}

self.onmessage = async (event) => {
  const msg = event.data;
  try {
    if (msg.type === "init") {
      kind = msg.kind;
      if (kind === "hash-wasm") hashWasm = await createMD5();
      self.postMessage({ type: "ready" });
    } else {
      self.postMessage({ type: "md5", id: msg.id, md5: digest(msg.file, msg.start, msg.end) });
    }
  } catch (e) {
    self.postMessage({ type: "error", id: msg.id, message: String((e && e.message) || e) });
  }
};
