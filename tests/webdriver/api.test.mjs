// The JS API in Firefox or WebKit (JW_ENGINE), on the reliability harness page: every method,
// typed and untyped files, pause/resume and cancel, faults retried, and the MD5 worker's path in
// this engine. The simulator's MD5 of what it stored (re-read from disk) is checked every time.
import { test, before, after, beforeEach } from "node:test";
import { expect } from "@playwright/test";
import { expectStored, expectWithinBudget, expectHonestProgress } from "../e2e/reliability-lib.mjs";
import {
  ENGINE, SIM, DEMO, session, RELIABILITY, makeFile, start, wait, until, report, simApi, bytes, md5, METHODS, MIB,
} from "./lib.mjs";

const sim = simApi(SIM);
let s;

before(async () => {
  s = await session();
  console.log(`# engine: ${s.version}`);
});
after(async () => s?.stop());
beforeEach(async () => {
  await sim.clearFaults();
  await sim.clearLog();
  await s.open(RELIABILITY());
});

/** Uploads `size` bytes of `seed` by `method` through window.rel; returns the data and report. */
async function upload({ size, seed, method, type = "video/mp4", options = {} }) {
  await makeFile(s, { size, seed, type });
  const i = await start(s, { method, options });
  return { data: bytes(size, seed), r: await wait(s, i), i };
}

/** Nothing reaches the simulator after `ms` of quiet. */
async function expectQuiet(ms = 1500) {
  const before = (await sim.log()).length;
  await new Promise((r) => setTimeout(r, ms));
  expect((await sim.log()).slice(before), "requests after the upload ended").toEqual([]);
}

const CASES = [
  ["s3", "video/mp4"], ["s3", ""], ["direct", "video/mp4"], ["direct", ""], ["form", "video/mp4"], ["form", ""],
  ["resumable", "video/mp4"], ["multipart", "video/mp4"], ["multipart", ""],
  ["auto", "video/mp4"], ["auto", ""],
];
for (const [method, type] of CASES) {
  test(`${ENGINE}: ${method} upload of a ${type ? "typed" : "untyped"} file arrives intact`, async () => {
    const m = METHODS[method] ?? { size: 2_000_000, options: {} };
    const seed = 200 + CASES.findIndex((c) => c[0] === method && c[1] === type);
    const { data, r } = await upload({ size: m.size, seed, method, type, options: m.options });
    await expectStored(sim, r, data, method === "auto" ? undefined : method);
  });
}

test(`${ENGINE}: pause mid multipart, resume: nothing acknowledged is sent again`, async () => {
  await sim.faults([{ target: "part", probability: 1.0, fault: { kind: "bandwidth", bytes_per_sec: 4_000_000 } }]);
  const size = 16 * MIB + 5;
  await makeFile(s, { size, seed: 301 });
  const i = await start(s, { method: "multipart", options: { partSize: 5 * MIB, parallel: 1 } });
  await until(s, i, 6 * MIB);
  await s.exec(async (i) => window.rel.pause(i), i);
  await new Promise((r) => setTimeout(r, 500));
  const paused = await report(s, i);
  expect(paused.states.at(-1)).toBe("paused");
  expect(paused.inFlight, "nothing in flight while paused").toBe(0);
  await sim.clearFaults();
  await s.exec(async (i) => window.rel.resume(i), i);
  const r = await wait(s, i);
  await expectStored(sim, r, bytes(size, 301), "multipart");
  const ok = (await sim.log()).filter((e) => e.target === "part" && e.status >= 200 && e.status < 300);
  const paths = ok.map((e) => e.path);
  expect(new Set(paths).size, `each part acknowledged once: ${paths}`).toBe(paths.length);
});

test(`${ENGINE}: cancel mid resumable stops every request`, async () => {
  await sim.faults([{ target: "resumable", probability: 1.0, fault: { kind: "bandwidth", bytes_per_sec: 2_000_000 } }]);
  await makeFile(s, { size: 9 * MIB, seed: 302 });
  const i = await start(s, { method: "resumable" });
  await until(s, i, 1 * MIB);
  await s.exec(async (i) => window.rel.cancel(i), i);
  const r = await wait(s, i);
  expect(r.result).toBeNull();
  expect(r.error?.code).toBe("cancelled");
  expectHonestProgress(r);
  await expectQuiet();
});

for (const [name, fault] of [
  ["a connection reset mid-body", { kind: "reset", after_bytes: 300_000 }],
  ["a 503", { kind: "status", status: 503, retry_after: 1 }],
]) {
  for (const method of ["s3", "multipart"]) {
    test(`${ENGINE}: ${method}: ${name} is retried, the file arrives intact`, async () => {
      const { target, size, options } = METHODS[method];
      await sim.faults([{ target, nth: 1, fault }]);
      const { data, r } = await upload({ size, seed: 310, method, options });
      await expectStored(sim, r, data, method);
      const log = await sim.log();
      // A part is retried on its own (no `retry` event: the upload goes on with other parts).
      expect(log.filter((e) => e.target === target && e.fault).length, "the fault fired").toBe(1);
      expectWithinBudget(log, method, size, 1);
    });
  }
}

test(`${ENGINE}: the MD5 worker's path`, async () => {
  // Watch the replies of every worker the page starts (the uploader's MD5 worker says which way
  // it read the file).
  await s.exec(async () => {
    window.md5Paths = [];
    const Original = window.Worker;
    window.Worker = function (...args) {
      const w = new Original(...args);
      w.addEventListener("message", (e) => e.data?.path && window.md5Paths.push(e.data.path));
      return w;
    };
    window.Worker.prototype = Original.prototype;
  });
  const { data, r } = await upload({ size: 12 * MIB + 3, seed: 320, method: "s3" });
  await expectStored(sim, r, data, "s3");
  const paths = await s.exec(async () => window.md5Paths);
  const byob = await s.exec(async () => {
    try {
      new Blob([new Uint8Array(4)]).stream().getReader({ mode: "byob" });
      return true;
    } catch {
      return false;
    }
  });
  console.log(`# ${ENGINE}: MD5 worker path: ${[...new Set(paths)].join(", ")} (BYOB Blob streams: ${byob})`);
  expect(paths.length, "the upload was verified through the worker").toBeGreaterThan(0);
  expect(new Set(paths)).toEqual(new Set([byob ? "byob-stream" : "FileReaderSync"]));
});

test(`${ENGINE}: a fetch upload (importUrl): the platform fetches the file`, async () => {
  await s.open(`${DEMO}/harness/`);
  const url = `${DEMO}/jw-upload-element.css`;
  const body = Buffer.from(await (await fetch(url)).arrayBuffer());
  const result = await s.exec(async (url) => {
    const csrf = await (await fetch("/api/csrf")).json();
    const up = new window.jwu.Uploader({ endpoint: "/api/uploads", headers: { "X-CSRF-Token": csrf.token } });
    return up.importUrl(url, { title: "imported" });
  }, url);
  expect(result.method).toBe("fetch");
  // The promise settles once the platform took the URL; it fetches the file after that.
  let stored = await sim.media(result.mediaId);
  for (let i = 0; i < 100 && !stored.md5; i++) {
    await new Promise((r) => setTimeout(r, 100));
    stored = await sim.media(result.mediaId);
  }
  expect(stored.md5).toBe(md5(body));
});
