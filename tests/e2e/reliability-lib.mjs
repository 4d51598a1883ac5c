// The reliability suite's fixtures: each Playwright worker gets its own simulator and backend
// (serving the same demo build, JW_E2E_DIST), so fault rules and the request log belong to one
// test at a time even with several workers. `rel` opens the reliability harness page on that
// backend; the helpers read the simulator's log and check what every test must hold.
import { test as base, expect } from "./fixtures.mjs";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export { expect };
export { bytes, md5 } from "./fixtures.mjs";

const ROOT = path.resolve(import.meta.dirname, "../..");
export const MIB = 1024 * 1024;

/** A free loopback port (bound, then released). */
export async function freePort() {
  return new Promise((ok, fail) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on("error", fail);
  });
}

/** Waits until `port` accepts (or `child` exits, or 30 s pass). */
export async function listening(port, child, name) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode})`);
    const ok = await new Promise((done) => {
      const c = net.connect(port, "127.0.0.1", () => { c.destroy(); done(true); });
      c.on("error", () => done(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not listen on ${port}`);
}

/**
 * Loopback hosts for redirect tests: two redirectors answer every request with a 307, one to a
 * foreign host the page's connect-src allows (`allowed`), one to a host it does not (`blocked`,
 * as a production CSP listing only the platform's hosts). The foreign hosts record what reaches
 * them. The Location carries no part of the original URL.
 */
async function startForeign() {
  const http = await import("node:http");
  const cors = {
    "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*",
    "Access-Control-Allow-Methods": "*", "Access-Control-Expose-Headers": "*",
  };
  const listen = (server) => new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
  const pair = async () => {
    const host = { seen: [], redirected: 0 };
    const foreign = await listen(http.createServer((req, res) => {
      host.seen.push({ method: req.method, url: req.url, headers: req.headers });
      req.resume();
      req.on("end", () => res.writeHead(200, { ...cors, ETag: '"0123456789abcdef0123456789abcdef"' }).end("{}"));
    }));
    const redirector = await listen(http.createServer((req, res) => {
      req.resume();
      if (req.method === "OPTIONS") return res.writeHead(204, cors).end();
      host.redirected += 1;
      const to = `http://127.0.0.1:${foreign.address().port}/collect`;
      req.on("end", () => res.writeHead(307, { ...cors, Location: to }).end());
    }));
    host.redirector = `127.0.0.1:${redirector.address().port}`;
    host.foreign = `127.0.0.1:${foreign.address().port}`;
    host.close = () => { foreign.close(); redirector.close(); };
    return host;
  };
  const allowed = await pair();
  const blocked = await pair();
  return {
    allowed, blocked,
    reset() { for (const h of [allowed, blocked]) { h.seen.length = 0; h.redirected = 0; } },
    connectSrc: [allowed.redirector, allowed.foreign, blocked.redirector].map((h) => `http://${h}`).join(","),
    close() { allowed.close(); blocked.close(); },
  };
}

/** A private simulator + backend. */
async function startStack(extraSimArgs = []) {
  const dist = process.env.JW_E2E_DIST;
  if (!dist) throw new Error("run through `cargo xtask test --only e2e` (JW_E2E_DIST)");
  const data = mkdtempSync(path.join(os.tmpdir(), "jwu-rel-"));
  const [simPort, backendPort] = [await freePort(), await freePort()];
  // `cargo xtask soak` runs release builds (hashing 25 GiB in a debug build takes too long).
  const profile = process.env.JW_SIM_PROFILE || "debug";
  const sim = spawn(path.join(ROOT, `target/${profile}/jw-platform-sim`), [
    "--listen", `127.0.0.1:${simPort}`, "--data-dir", data, "--rate-limit", "100000",
    "--processing-ms", "200", ...extraSimArgs,
  ], { stdio: ["ignore", "ignore", "inherit"] });
  await listening(simPort, sim, "simulator");
  const hosts = await startForeign();
  const backend = spawn(path.join(ROOT, `target/${profile}/jw-upload-backend`), [], {
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env, JW_API_BASE: `http://127.0.0.1:${simPort}`, JW_SITE_ID: "simsite1",
      JW_API_KEY: "simkey01", JW_API_SECRET: "sim-v1-secret", JW_V2_SECRET: "sim-v2-secret",
      JW_BACKEND_LISTEN: `127.0.0.1:${backendPort}`, JW_BACKEND_STATIC_DIR: dist,
      JW_BACKEND_ALLOWED_ORIGINS: "", RUST_LOG: "warn",
      JW_BACKEND_CONNECT_SRC: hosts.connectSrc,
    },
  });
  await listening(backendPort, backend, "backend");
  return {
    sim: `http://127.0.0.1:${simPort}`,
    backend: `http://127.0.0.1:${backendPort}`,
    data,
    hosts,
    stop() {
      hosts.close();
      sim.kill();
      backend.kill();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** The private simulator's admin API. */
export function simApi(url) {
  const json = async (method, p, body) => {
    const r = await fetch(url + p, {
      method, headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const t = await r.text();
    return t ? JSON.parse(t) : null;
  };
  return {
    url,
    media: (key, verify = true) => json("GET", `/_sim/media/${key}${verify ? "?verify=true" : ""}`),
    faults: (rules, seed = 7) => json("POST", "/_sim/faults", { rules, seed }),
    faultState: () => json("GET", "/_sim/faults"),
    clearFaults: () => json("DELETE", "/_sim/faults"),
    log: () => json("GET", "/_sim/log"),
    clearLog: () => json("DELETE", "/_sim/log"),
    clock: (secs) => json("POST", "/_sim/clock", { advance_secs: secs }),
    /**
     * Maps the log's `at_ms` to wall-clock ms: a logged request (an unknown progress token)
     * between two readings of the clock. Returns `{ lo, hi }`: wall = at_ms + [lo, hi].
     */
    async wallOffset() {
      const before = Date.now();
      await fetch(`${url}/progress?token=clock-mark`);
      const after = Date.now();
      const log = await json("GET", "/_sim/log");
      const mark = log.filter((e) => e.target === "progress").pop();
      return { lo: before - mark.at_ms, hi: after - mark.at_ms };
    },
  };
}

export const test = base.extend({
  stack: [async ({}, use) => {
    const s = await startStack();
    await use(s);
    s.stop();
  }, { scope: "worker" }],
  hosts: async ({ stack }, use) => {
    stack.hosts.reset();
    await use(stack.hosts);
  },
  sim: async ({ stack }, use) => {
    const api = simApi(stack.sim);
    await api.clearFaults();
    await api.clearLog();
    await use(api);
    await api.clearFaults();
  },
  rel: async ({ page, stack }, use) => {
    await page.goto(`${stack.backend}/harness/reliability.html?sim=${encodeURIComponent(stack.sim)}`);
    await expect(page.locator("body[data-ready=true]")).toBeAttached();
    const rel = {
      page,
      /** Puts files on the input: [{name, buffer, mimeType}] or paths. */
      files: (files) => page.setInputFiles("#file", files),
      start: (opts) => page.evaluate((o) => window.rel.start(o), opts),
      wait: (i) => page.evaluate((n) => window.rel.wait(n), i),
      until: (i, b) => page.evaluate(([n, x]) => window.rel.until(n, x), [i, b]),
      report: (i) => page.evaluate((n) => window.rel.report(n), i),
      pause: (i) => page.evaluate((n) => window.rel.pause(n), i),
      resume: (i) => page.evaluate((n) => window.rel.resume(n), i),
      cancel: (i) => page.evaluate((n) => window.rel.cancel(n), i),
      /** Uploads `data` by `method` and waits for the outcome. */
      async upload(data, method, opts = {}) {
        await rel.files({ name: opts.name ?? "clip.mp4", mimeType: "video/mp4", buffer: data });
        const i = await rel.start({ method, ...opts });
        return rel.wait(i);
      },
    };
    await use(rel);
  },
});

/** The upload requests (no preflights, no backend API calls) of the log, by target. */
export function uploads(log, targets = ["s3", "form", "resumable", "part", "parts_list", "complete"]) {
  return log.filter((e) => targets.includes(e.target));
}

/**
 * Progress never passed the total (nor 100 %), and never went back except where bytes were
 * thrown away (a failed, stalled or paused request: a `retry`, `stalled` or `statechange` event
 * between the progress events around the drop).
 */
export function expectHonestProgress(report) {
  let last = 0;
  const names = report.events ?? [];
  const at = names.flatMap((n, i) => (n === "progress" ? [i] : []));
  for (const [j, [loaded, total]] of report.progress.entries()) {
    const around = names.slice(at[j - 1] ?? 0, at[j + 1] ?? names.length);
    const thrownAway = around.some((n) => ["retry", "stalled", "statechange"].includes(n));
    if (!thrownAway) expect(loaded, "progress went back").toBeGreaterThanOrEqual(last);
    expect(loaded, "progress over the total").toBeLessThanOrEqual(total);
    expect(total).toBe(report.size);
    last = loaded;
  }
}

/** The upload finished and the simulator stored exactly `data` (MD5 re-read from disk). */
export async function expectStored(sim, report, data, method) {
  expect(report.error, JSON.stringify(report.error)).toBeNull();
  expect(report.result).not.toBeNull();
  if (method) expect(report.result.method).toBe(method);
  const stored = await sim.media(report.result.mediaId);
  const { createHash } = await import("node:crypto");
  const want = createHash("md5").update(data).digest("hex");
  expect(stored.md5, "server MD5").toBe(want);
  expect(stored.disk_md5, "server MD5 re-read from disk").toBe(want);
  expect(stored.size).toBe(data.length);
  expectHonestProgress(report);
  return stored;
}

/** Nothing reaches the simulator after `ms` of quiet (for after cancel or failure). */
export async function expectQuietAfter(sim, page, ms = 1500) {
  const before = (await sim.log()).length;
  await page.waitForTimeout(ms);
  const after = await sim.log();
  expect(after.slice(before), "requests after the upload ended").toEqual([]);
}

/** Bytes the simulator read for upload bodies (s3, form, resumable, part). */
export function bodyBytes(log) {
  return log
    .filter((e) => ["s3", "form", "resumable", "part"].includes(e.target))
    .reduce((n, e) => n + (e.bytes_in ?? 0), 0);
}

/** Per method: the file size, the simulator's fault target for its bodies, uploader options. */
export const METHODS = {
  s3: { size: 1_500_000, target: "s3", options: {} },
  // v2 direct: one PUT to the create reply's upload_link, served by the simulator's S3 handler
  // (so the same fault target and the same faults as s3).
  direct: { size: 1_500_000, target: "s3", options: {} },
  form: { size: 1_200_000, target: "form", options: {} },
  resumable: { size: 9 * MIB + 321, target: "resumable", options: {} },
  multipart: { size: 11 * MIB + 17, target: "part", options: { partSize: 5 * MIB, parallel: 2 } },
};

/** Largest single body request of a method (for byte budgets). */
const LARGEST = { s3: Infinity, direct: Infinity, form: Infinity, resumable: 64 * MIB, multipart: 5 * MIB };

/**
 * The request budget: body requests that did not succeed are at most `extra` (the faults the
 * test injected, each allowed to cost one more request), and the bytes the simulator read for
 * bodies are at most the file once plus what those extra requests carried (each at most one
 * request's worth, the whole file for s3, direct and form).
 */
export function expectWithinBudget(log, method, size, extra) {
  const target = METHODS[method].target;
  const bodies = log.filter((e) => e.target === target && e.method !== "OPTIONS");
  const failed = bodies.filter((e) => !(e.status >= 200 && e.status < 300));
  expect(failed.length, `failed ${target} requests: ${JSON.stringify(failed)}`).toBeLessThanOrEqual(extra);
  const read = bodies.reduce((n, e) => n + (e.bytes_in ?? 0), 0);
  const perRequest = Math.min(LARGEST[method], size);
  const overhead = method === "form" ? 4096 * bodies.length : 0; // multipart/form-data framing
  expect(read, "body bytes read by the server").toBeLessThanOrEqual(size + extra * perRequest + overhead);
  return { bodies, failed, read };
}
