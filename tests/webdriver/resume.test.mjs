// Reload-resume in Firefox or WebKit (JW_ENGINE): a page reload in the middle of a multipart and
// of a resumable upload, then the same file chosen again: the upload continues from IndexedDB,
// one media, and no part or range the server had acknowledged is sent twice.
import { test, before, after, beforeEach } from "node:test";
import { expect } from "@playwright/test";
import { expectStored } from "../e2e/reliability-lib.mjs";
import { ENGINE, SIM, session, RELIABILITY, makeFile, start, wait, until, simApi, bytes, METHODS, MIB } from "./lib.mjs";

const sim = simApi(SIM);
let s;

before(async () => { s = await session(); });
after(async () => s?.stop());
beforeEach(async () => {
  await sim.clearFaults();
  await sim.clearLog();
  await s.open(RELIABILITY());
});

/** Successful body requests of `target` (multipart parts, resumable chunks). */
const acknowledged = (log, target) => log
  .filter((e) => e.target === target && e.method !== "OPTIONS" && e.status >= 200 && e.status < 400);

/** `[start, end)` of a resumable chunk's `bytes a-b/total`. */
function span(e) {
  const m = /(\d+)-(\d+)\//.exec(e.range ?? "");
  return m ? [Number(m[1]), Number(m[2]) + 1] : [0, 0];
}

/** Bytes of `spans` that `e` carries again. */
const overlap = (spans, e) => {
  const [a, b] = span(e);
  return spans.reduce((n, [x, y]) => n + Math.max(0, Math.min(b, y) - Math.max(a, x)), 0);
};

// A resumed resumable upload first sends a probe from byte 0 (the platform's documented way to
// learn its Range): at most this much acknowledged data goes again.
const PROBE = 64 * 1024;

for (const method of ["multipart", "resumable"]) {
  test(`${ENGINE}: a reload mid ${method} upload resumes, nothing acknowledged sent twice`, async () => {
    const { target } = METHODS[method];
    const options = method === "multipart" ? { partSize: 5 * MIB, parallel: 1 } : {};
    const size = 16 * MIB + 77;
    const file = { size, seed: 160 + size % 7 + method.length, name: `reload-${method}.mp4` };
    await sim.faults([{ target, probability: 1.0, fault: { kind: "bandwidth", bytes_per_sec: 3_000_000 } }]);
    await makeFile(s, file);
    const i = await start(s, { method, options });
    const deadline = Date.now() + 60_000;
    while (acknowledged(await sim.log(), target).length < 1) {
      if (Date.now() > deadline) throw new Error(`no ${target} acknowledged within 60 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await until(s, i, 7 * MIB);
    const before = acknowledged(await sim.log(), target);
    const mark = Math.max(...(await sim.log()).map((e) => e.seq));
    await s.open(RELIABILITY()); // the reload
    await sim.clearFaults();
    await makeFile(s, file); // the same file chosen again
    const j = await start(s, { method, options });
    const r = await wait(s, j);
    await expectStored(sim, r, bytes(file.size, file.seed), method);
    const log = await sim.log();
    const after = log.filter((e) => e.seq > mark && e.target === target && e.method !== "OPTIONS");
    expect(before.length).toBeGreaterThanOrEqual(1);
    if (method === "multipart") {
      const done = new Set(before.map((e) => e.path));
      const again = after.filter((e) => done.has(e.path)).map((e) => e.path);
      console.log(`# ${ENGINE} multipart: ${done.size} parts acknowledged before the reload, sent again: ${again.length}`);
      expect(again, "acknowledged parts sent again").toEqual([]);
    } else {
      const spans = before.map(span);
      const again = after.reduce((n, e) => n + overlap(spans, e), 0);
      console.log(`# ${ENGINE} resumable: ${spans.length} chunks acknowledged before the reload, acknowledged bytes sent again: ${again} (the probe)`);
      expect(again, "acknowledged bytes sent again (beyond the probe)").toBeLessThanOrEqual(PROBE);
    }
    const creates = log.filter((e) => (e.target === "v1_api" && e.path.endsWith("videos/create")) || (e.target === "v2_api" && e.method === "POST"));
    expect(creates.length, "one create call: the reload continued the same upload").toBe(1);
  });
}
