// The <jw-upload> element laid out by its own width (container queries) in Firefox or WebKit
// (JW_ENGINE), at 280, 345, 420 and 768 px on a 1280 px window: the checks of
// tests/e2e/layout-facts.mjs (names ellipsised with the full name in `title`, no state word
// broken, state and speed apart, nothing wider than the element), with a refused row (a .txt
// under accept="video/*": its reason is long) and one uploading on a slow line. The upload's
// MD5 is checked against what the simulator stored; screenshots in target/webdriver/.
import { test, before, after } from "node:test";
import { expect } from "@playwright/test";
import { writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { ENGINE, SIM, DEMO, ARTIFACTS, session, simApi, bytes, md5 } from "./lib.mjs";
import { layoutFacts } from "../e2e/layout-facts.mjs";

const sim = simApi(SIM);
let s;

before(async () => {
  s = await session();
  mkdirSync(ARTIFACTS, { recursive: true });
});
after(async () => { await s?.stop(); });

const facts = () => s.exec(`async () => (${layoutFacts})(document.querySelector("jw-upload"))`);

const rowState = (name) => s.exec(async (name) => {
  const root = document.querySelector("jw-upload").shadowRoot;
  const r = [...root.querySelectorAll("[data-testid=file-row]")]
    .find((el) => el.querySelector("[data-testid=file-name]")?.textContent === name);
  return r ? { state: r.dataset.state, mediaId: r.dataset.mediaId ?? null,
    rate: r.querySelector("[data-testid=file-rate]")?.textContent ?? "" } : null;
}, name);

async function waitFor(name, ok, ms = 60_000) {
  const until = Date.now() + ms;
  for (;;) {
    const r = await rowState(name);
    if (r && ok(r)) return r;
    if (Date.now() > until) throw new Error(`${name}: ${JSON.stringify(r)}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

test(`${ENGINE}: layout by the element's own width at 280, 345, 420 and 768 px`, async () => {
  await sim.clearFaults();
  await s.open(`${DEMO}/`);
  const long = "holiday-in-the-alps-final-cut-4k-hdr-master.mp4";
  const refused = "a-refused-interview-with-a-very-long-descriptive-file-name-take-3.txt";
  await sim.faults(["s3", "form", "part", "resumable"].map((target) => (
    { target, probability: 1.0, fault: { kind: "bandwidth", bytes_per_sec: 200_000 } })));
  await s.exec(async (long, refused) => {
    const el = document.querySelector("jw-upload");
    const until = Date.now() + 30_000;
    while (!el.hasAttribute("upgraded")) {
      if (Date.now() > until) throw new Error("the element never upgraded");
      await new Promise((r) => setTimeout(r, 50));
    }
    el.setAttribute("accept", "video/*");
    const data = fill(new Uint8Array(6_000_000), 93);
    el.addFiles([
      new File([new Uint8Array(100)], refused, { type: "text/plain" }),
      new File([data], long, { type: "video/mp4" }),
    ]);
  }, long, refused);
  await waitFor(refused, (r) => r.state === "failed");
  // Uploading (Firefox and WebKit may not have a speed to show yet: the rate line is then
  // empty, and the checks still hold).
  await waitFor(long, (r) => r.state === "uploading", 30_000);
  for (const width of [280, 345, 420, 768]) {
    await s.exec(async (px) => {
      const el = document.querySelector("jw-upload");
      el.style.width = `${px}px`;
      el.style.maxWidth = `${px}px`;
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    }, width);
    const f = await facts();
    const png = await s.driver.takeScreenshot();
    const file = path.join(ARTIFACTS, `${ENGINE}-layout-${width}.png`);
    writeFileSync(file, Buffer.from(png, "base64"));
    console.log(`# ${width} px: ${JSON.stringify({ ...f, names: f.names.map((n) => n.ellipsised) })}`);
    expect(f.rows).toBe(2);
    expect(f.brokenWords, `${width} px: state words broken`).toEqual([]);
    expect(f.overlaps, `${width} px: state runs into the speed`).toEqual([]);
    expect(f.overflow, `${width} px: rows wider than the element`).toEqual([]);
    expect(f.widest, `${width} px: content past the element`).toBeLessThanOrEqual(width + 1);
    for (const n of f.names) expect(n.title).toBe(n.text);
    if (width <= 420) expect(f.names.every((n) => n.ellipsised), `${width} px: names ellipsised`).toBe(true);
  }
  await sim.clearFaults();
  const done = await waitFor(long, (r) => r.state === "ready", 120_000);
  expect((await sim.media(done.mediaId)).md5).toBe(md5(bytes(6_000_000, 93)));
});
