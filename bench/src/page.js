// The bench page's contenders: the widget (window.jwu-like import of the trunk build), raw fetch /
// XHR uploads of the same File, Uppy (@uppy/aws-s3 mapped onto the v2 API, @uppy/xhr-upload onto
// the form link), and MD5 hashers in workers. bench/run.mjs calls window.bench.run(name, args)
// over a bare CDP connection (no Network domain, so request bodies are never recorded).
import Uppy from "@uppy/core";
import AwsS3 from "@uppy/aws-s3";
import XHRUpload from "@uppy/xhr-upload";

const MiB = 1024 * 1024;
let SIM = "";
let wasm = null; // { Uploader, module }

async function csrf() {
  const r = await fetch("/api/csrf");
  return (await r.json()).token;
}

/** The platform's create reply, through the reference backend (as the widget gets it). */
async function create(method, file) {
  const token = await csrf();
  const r = await fetch("/api/uploads", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
    body: JSON.stringify({
      method,
      file: { name: file.name, size: file.size, type: file.type },
      metadata: { title: `bench ${method}` },
    }),
  });
  if (!r.ok) throw new Error(`create ${method}: ${r.status} ${await r.text()}`);
  return r.json();
}

function s3Url(reply) {
  const l = reply.link;
  const q = l.query;
  return `${l.protocol}://${l.address}${l.path}?AWSAccessKeyId=${encodeURIComponent(q.AWSAccessKeyId)}` +
    `&Expires=${q.Expires}&Signature=${encodeURIComponent(q.Signature)}`;
}

function formUrl(reply) {
  const l = reply.link;
  return `${l.protocol}://${l.address}${l.path}?api_format=json&key=${encodeURIComponent(l.query.key)}` +
    `&token=${encodeURIComponent(l.query.token)}`;
}

function xhr(method, url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open(method, url);
    for (const [k, v] of Object.entries(headers)) x.setRequestHeader(k, v);
    x.onload = () => (x.status < 300 ? resolve(x) : reject(new Error(`${method} ${url}: ${x.status}`)));
    x.onerror = () => reject(new Error(`${method} ${url}: network error`));
    x.send(body);
  });
}

async function v2(path, token, init = {}) {
  const r = await fetch(`${SIM}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...(init.headers || {}) },
  });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

/** Links of parts 1..=count (pages of up to 10,000). */
async function partLinks(up, count) {
  const links = [];
  for (let page = 1; links.length < count; page++) {
    const len = Math.min(10000, count);
    const p = await v2(`/v2/uploads/${up.upload_id}/parts?page=${page}&page_length=${len}`, up.upload_token);
    for (const part of p.parts) links[part.id - 1] = part.upload_link;
    if (p.parts.length === 0) break;
  }
  return links.slice(0, count);
}

const complete = (up) =>
  v2(`/v2/uploads/${up.upload_id}/complete`, up.upload_token, { method: "PUT", body: "{}" });

function widget(opts = {}) {
  return csrf().then((token) => new wasm.Uploader({
    endpoint: "/api/uploads",
    headers: { "X-CSRF-Token": token },
    uploadApiBase: SIM,
    ...opts,
  }));
}

// Each contender resolves { bytesMs, totalMs, check }: bytesMs from the call to the moment the
// platform acknowledged the last byte (for multipart: the last part's reply, before /complete,
// which the simulator spends re-reading every part to hash the whole file), totalMs to the end.
const contenders = {
  async "raw-fetch-put"(file) {
    const t0 = performance.now();
    const reply = await create("s3", file);
    const r = await fetch(s3Url(reply), { method: "PUT", body: file });
    if (!r.ok) throw new Error(`PUT ${r.status}`);
    const t = performance.now() - t0;
    return { bytesMs: t, totalMs: t, check: reply.media.key };
  },

  async "raw-xhr-put"(file) {
    const t0 = performance.now();
    const reply = await create("s3", file);
    await xhr("PUT", s3Url(reply), file);
    const t = performance.now() - t0;
    return { bytesMs: t, totalMs: t, check: reply.media.key };
  },

  // The same PUT with a `Blob` slice of the whole file (what an uploader gets from `slice()`).
  async "raw-xhr-put-slice"(file) {
    const t0 = performance.now();
    const reply = await create("s3", file);
    await xhr("PUT", s3Url(reply), file.slice(0, file.size, ""));
    const t = performance.now() - t0;
    return { bytesMs: t, totalMs: t, check: reply.media.key };
  },

  // The v2 direct method: the same PUT to the create reply's `upload_link`.
  async "raw-xhr-put-direct"(file) {
    const t0 = performance.now();
    const reply = await create("direct", file);
    await xhr("PUT", reply.upload_link, file);
    const t = performance.now() - t0;
    return { bytesMs: t, totalMs: t, check: reply.id };
  },

  async "raw-xhr-slices"(file, { partSize, parallel }) {
    const t0 = performance.now();
    const created = await create("multipart", file);
    const count = Math.max(1, Math.ceil(file.size / partSize));
    const links = await partLinks(created, count);
    let next = 0;
    const lane = async () => {
      while (next < count) {
        const i = next++;
        await xhr("PUT", links[i], file.slice(i * partSize, Math.min(file.size, (i + 1) * partSize)));
      }
    };
    await Promise.all(Array.from({ length: parallel }, lane));
    const bytesMs = performance.now() - t0;
    await complete(created);
    return { bytesMs, totalMs: performance.now() - t0, check: created.id };
  },

  async widget(file, { method, options }) {
    const up = await widget(options);
    let lastPart = 0;
    up.addEventListener("partcomplete", () => { lastPart = performance.now(); });
    const t0 = performance.now();
    const r = await up.upload(file, { method });
    const t = performance.now() - t0;
    return { bytesMs: lastPart ? lastPart - t0 : t, totalMs: t, check: r.mediaId };
  },

  async "uppy-aws-s3"(file, { partSize } = {}) {
    const t0 = performance.now();
    let bytesAt = 0;
    let created = null;
    let links = [];
    const uppy = new Uppy({ autoProceed: false });
    uppy.use(AwsS3, {
      shouldUseMultipart: true,
      ...(partSize ? { getChunkSize: () => partSize } : {}),
      async createMultipartUpload(f) {
        created = await create("multipart", f.data);
        return { uploadId: created.upload_id, key: created.id };
      },
      async signPart(f, { partNumber }) {
        const page = Math.ceil(partNumber / 100);
        if (!links[partNumber - 1]) {
          const p = await v2(`/v2/uploads/${created.upload_id}/parts?page=${page}&page_length=100`, created.upload_token);
          for (const part of p.parts) links[part.id - 1] = part.upload_link;
        }
        return { url: links[partNumber - 1] };
      },
      async listParts() { return []; },
      async abortMultipartUpload() {},
      async completeMultipartUpload() {
        bytesAt = performance.now();
        await complete(created);
        return {};
      },
    });
    uppy.addFile({ name: file.name, type: file.type, data: file });
    const result = await uppy.upload();
    const t = performance.now() - t0;
    uppy.destroy();
    if (result.failed?.length) throw new Error(`uppy: ${result.failed[0].error}`);
    return { bytesMs: bytesAt - t0, totalMs: t, check: created.id };
  },

  async "uppy-xhr-form"(file) {
    const t0 = performance.now();
    let key = null;
    const uppy = new Uppy({ autoProceed: false });
    uppy.use(XHRUpload, {
      formData: true,
      fieldName: "file",
      allowedMetaFields: [],
      async endpoint() {
        const reply = await create("form", file);
        key = reply.media.key;
        return formUrl(reply);
      },
    });
    uppy.addFile({ name: file.name, type: file.type, data: file });
    const result = await uppy.upload();
    const t = performance.now() - t0;
    uppy.destroy();
    if (result.failed?.length) throw new Error(`uppy: ${result.failed[0].error}`);
    return { bytesMs: t, totalMs: t, check: key };
  },
};

// MD5 hashers, each in a worker reading the same File; the widget's is its own worker script
// (js/md5-worker.js) fed its own compiled module, exactly as the widget runs it.
const workers = {};

function workerCall(w, msg) {
  return new Promise((resolve, reject) => {
    w.onmessage = (e) => (e.data.md5 !== undefined || e.data.type === "ready" ? resolve(e.data) : reject(new Error(e.data.message)));
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage(msg);
  });
}

async function md5Worker(kind) {
  if (workers[kind]) return workers[kind];
  if (kind === "widget") {
    const w = new Worker("/bench/widget-md5-worker.js");
    w.postMessage({ type: "init", module: wasm.module });
    workers[kind] = w;
  } else {
    const w = new Worker("/bench/md5-bench-worker.js");
    await workerCall(w, { type: "init", kind });
    workers[kind] = w;
  }
  return workers[kind];
}

async function md5(file, { kind }) {
  const w = await md5Worker(kind);
  const t0 = performance.now();
  const r = await workerCall(w, { type: "md5", id: 1, file, start: 0, end: file.size });
  const t = performance.now() - t0;
  return { bytesMs: t, totalMs: t, check: r.md5 };
}

// Resume after reload: start a multipart upload and resolve once the progress bar shows
// `fraction` of the file (bytes sent, parts in flight included; the upload goes on until the page
// reloads); after the reload, choose the same file again and time the first body byte sent (XHR
// carries every body).
let firstSendAt = null;
const send = XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.send = function (body) {
  if (firstSendAt === null && body) firstSendAt = performance.timeOrigin + performance.now();
  return send.call(this, body);
};

async function resumeStart(file, { fraction }) {
  const up = await widget({});
  let acked = 0;
  return new Promise((resolve, reject) => {
    up.addEventListener("partcomplete", (e) => { acked += e.detail.end - e.detail.start; });
    up.addEventListener("progress", (e) => {
      if (e.detail.loaded >= fraction * file.size) resolve({ acked, loaded: e.detail.loaded });
    });
    up.upload(file, { method: "multipart" }).then(() => reject(new Error("finished before the reload")), reject);
  });
}

// What the resumed upload said (its events, in order), read by the bench when a run fails.
const trace = [];
async function resumeFinish(file) {
  const pending = await wasm.Uploader.pendingUploads();
  trace.push(`pending ${pending.length}`);
  const up = await widget({});
  for (const name of ["statechange", "retry", "stalled", "partcomplete", "processing", "error"]) {
    up.addEventListener(name, (e) => trace.push(`${Math.round(performance.now())} ${name} ${JSON.stringify(e.detail)}`));
  }
  let lastPct = -1;
  up.addEventListener("progress", (e) => {
    const pct = Math.floor((100 * e.detail.loaded) / e.detail.total / 10);
    if (pct !== lastPct) trace.push(`${Math.round(performance.now())} progress ${e.detail.loaded}/${e.detail.total}`);
    lastPct = pct;
  });
  const r = await up.upload(file, { method: "multipart" });
  return { firstSendAt, pending: pending.length, check: r.mediaId };
}

window.bench = {
  /** Forgets every interrupted upload this browser remembers (a clean start for a resume run). */
  async forgetPending() {
    const pending = await wasm.Uploader.pendingUploads();
    for (const p of pending) await wasm.Uploader.forgetPending(p.key);
    return pending.length;
  },
  resumeSupport() {
    return typeof wasm.Uploader.pendingUploads === "function";
  },
  resumeStart(input, args) {
    return resumeStart(this.file(input), args);
  },
  resumeFinish(input) {
    return resumeFinish(this.file(input));
  },
  /** The resumed upload's last events and its requests in flight (for a failed run's report). */
  resumeTrace() {
    return trace.slice(-40);
  },
  async init(sim) {
    SIM = sim;
    const mod = await import("/core/jw-upload.js");
    const module = await WebAssembly.compileStreaming(fetch("/core/jw-upload_bg.wasm"));
    await mod.default({ module_or_path: module });
    wasm = { Uploader: mod.Uploader, module };
    return true;
  },
  file(id) {
    return document.getElementById(id).files[0];
  },
  async run(name, input, args = {}) {
    const file = this.file(input);
    const fn = name === "md5" ? md5 : contenders[name];
    if (!fn) throw new Error(`no contender ${name}`);
    return fn(file, args);
  },
};

// Two-step loading (d): the JS API's time from the `upload()` call to the first body byte at
// the simulator; bench/run.mjs reads the simulator's `first_byte_ms`, then stops the upload.
let firstByteUp = null;
Object.assign(window.bench, {
  async firstByteStart(input, method) {
    const up = await widget({});
    firstByteUp = up;
    const file = this.file(input);
    const t0 = Date.now();
    up.upload(file, { method }).catch(() => {});
    return t0;
  },
  firstByteStop() {
    firstByteUp?.cancel();
    firstByteUp = null;
  },
});
document.body.dataset.ready = "true";
