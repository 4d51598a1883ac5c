// Progress coalescing in Firefox or WebKit (JW_ENGINE): WebKit reports upload progress every
// 8 KiB, and the uploader must not pass each report on. A 64 MiB multipart upload: `progress`
// events are bounded by one per coalescing interval (plus one per finished part), never go
// backwards, and end at the file's size.
import { test, before, after } from "node:test";
import { expect } from "@playwright/test";
import { expectStored } from "../e2e/reliability-lib.mjs";
import { ENGINE, SIM, session, RELIABILITY, makeFile, start, wait, simApi, bytes, MIB } from "./lib.mjs";

/** The uploader's coalescing interval (src/driver/coalesce.rs, PROGRESS_EVERY_MS). */
const EVERY_MS = 100;

const sim = simApi(SIM);
let s;

before(async () => { s = await session(); });
after(async () => s?.stop());

test(`${ENGINE}: a 64 MiB upload fires a bounded number of progress events`, async () => {
  await sim.clearFaults();
  await sim.clearLog();
  await s.open(RELIABILITY());
  // Count what the browser reports for upload bodies (every XHR's upload progress events).
  await s.exec(async () => {
    window.transportReports = 0;
    const open = XMLHttpRequest.prototype.open;
    XMLHttpRequest.prototype.open = function (...args) {
      this.upload.addEventListener("progress", () => { window.transportReports += 1; });
      return open.apply(this, args);
    };
  });
  const size = 64 * MIB + 11;
  const partSize = 8 * MIB;
  await makeFile(s, { size, seed: 640, name: "big.mp4" });
  const t0 = Date.now();
  const i = await start(s, { method: "multipart", options: { partSize, parallel: 2 } });
  const r = await wait(s, i);
  const ms = Date.now() - t0;
  await expectStored(sim, r, bytes(size, 640), "multipart");
  const reports = await s.exec(async () => window.transportReports);
  const events = r.progress.length;
  const parts = Math.ceil(size / partSize);
  const bound = Math.ceil(ms / EVERY_MS) + parts + 4;
  console.log(`# ${ENGINE}: 64 MiB multipart in ${ms} ms: ${reports} transport progress reports, ${events} progress events (bound ${bound})`);
  expect(events, "progress events").toBeLessThanOrEqual(bound);
  expect(r.progress.at(-1), "the final value is reported").toEqual([size, size]);
});
