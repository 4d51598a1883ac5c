// The reliability harness: `window.rel` starts uploads of the files chosen in #file through the
// uploader's JS API and records what each one reported (progress, states, retries, result or
// error), for tests/e2e/reliability-*.spec.mjs to read with page.evaluate.
import init, { Uploader } from "../jw-upload.js";

await init();

const runs = [];

/** Rewrites of the platform's create reply, named by the tests (no eval under the CSP). */
const TAMPER = {
  // Resumable: a session id the platform never issued, or another upload's session.
  session: (reply, t) => ({ ...reply, session_id: t.session }),
  // Multipart: an upload id the platform never issued.
  uploadId: (reply, t) => ({ ...reply, upload_id: t.uploadId }),
  // Every v1 method and v2 direct: the link points at another host (`t.address`, host:port).
  address: (reply, t) => (reply.upload_link
    ? { ...reply, upload_link: reply.upload_link.replace(/^(https?:\/\/)[^/]+/, `$1${t.address}`) }
    : { ...reply, link: { ...reply.link, address: t.address } }),
  // Records the reply (the session id of an upload, for a later test step).
  keep: (reply) => { window.lastReply = reply; return reply; },
};

// One CSRF token per page: each /api/csrf call sets a new cookie, which would invalidate the
// token of uploads already running (their renewals would be refused).
let token = null;
async function csrf() {
  token ??= fetch("/api/csrf").then((r) => r.json()).then((j) => j.token);
  return token;
}

/** Starts uploading #file's `index`-th file (or `file`); returns the run's number. */
async function start({ index = 0, file, method = "auto", options = {}, upload = {}, tamper } = {}) {
  const token = await csrf();
  const opts = {
    endpoint: "/api/uploads",
    headers: { "X-CSRF-Token": token },
    uploadApiBase: new URLSearchParams(location.search).get("sim"),
    stallTimeout: 3000,
    ...options,
  };
  if (tamper) {
    // Rewrites the backend's reply before the uploader sees it (unknown session, foreign host).
    const rewrite = TAMPER[tamper.kind];
    opts.getUpload = async (request) => {
      const r = await fetch("/api/uploads", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
        body: JSON.stringify(request),
      });
      const reply = await r.json();
      return r.ok ? rewrite(reply, tamper) : reply;
    };
    delete opts.endpoint;
  }
  const up = new Uploader(opts);
  const run = { up, progress: [], events: [], states: [], retries: [], result: null, error: null, settled: false };
  for (const name of ["progress", "statechange", "retry", "stalled", "partcomplete", "success", "error"]) {
    up.addEventListener(name, (e) => {
      run.events.push(name);
      if (name === "progress") {
        run.progress.push([e.detail.loaded, e.detail.total]);
        run.sent = e.detail.sent;
      }
      if (name === "statechange") run.states.push(e.detail.state);
      if (name === "retry") run.retries.push(e.detail);
    });
  }
  const f = file ?? document.getElementById("file").files[index];
  run.size = f.size;
  run.promise = up.upload(f, { method, ...upload }).then(
    (r) => { run.result = r; },
    (e) => {
      run.error = { code: e.code, message: e.message, status: e.status, retryable: e.retryable, platformCode: e.platformCode };
    },
  ).finally(() => { run.settled = true; run.settledAt = performance.now(); });
  runs.push(run);
  return runs.length - 1;
}

/** What run `i` reported so far. */
function report(i) {
  const r = runs[i];
  return {
    progress: r.progress, events: r.events, states: r.states, retries: r.retries,
    result: r.result, error: r.error, settled: r.settled, size: r.size,
    inFlight: r.up.requestsInFlight,
  };
}

/** Waits until run `i` settles; returns its report. */
async function wait(i) {
  await runs[i].promise;
  return report(i);
}

/** Waits until run `i` has handed at least `bytes` to the browser (progress `sent`: body bytes
 * flow; `loaded`, what the platform confirmed, may stay 0 until a buffered body's reply), or
 * settled. */
async function until(i, bytes) {
  const r = runs[i];
  while (!r.settled && !((r.sent ?? 0) >= bytes)) {
    await new Promise((ok) => setTimeout(ok, 20));
  }
  return report(i);
}

window.rel = {
  start, report, wait, until,
  pause: (i) => runs[i].up.pause(),
  resume: (i) => runs[i].up.resume(),
  cancel: (i) => runs[i].up.cancel(),
  inFlight: (i) => runs[i].up.requestsInFlight,
};
document.body.dataset.ready = "true";
