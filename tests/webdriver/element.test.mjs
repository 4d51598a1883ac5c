// The <jw-upload> element on the demo page in Firefox or WebKit (JW_ENGINE): files added through
// its file input, progress on the row, ready with the stored MD5 checked, pause and resume with
// the keyboard only, and a screenshot per engine in target/webdriver/ (compare with Chromium's:
// JW_ENGINE=chromium runs this file in Chromium through chromedriver).
import { test, before, after } from "node:test";
import { expect } from "@playwright/test";
import { writeFileSync, mkdtempSync, rmSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { By, Key } from "selenium-webdriver";
import { ENGINE, SIM, DEMO, ARTIFACTS, session, simApi, bytes, md5 } from "./lib.mjs";

const sim = simApi(SIM);
let s;
let dir;

before(async () => {
  s = await session();
  dir = mkdtempSync(path.join(os.tmpdir(), "jwu-wd-"));
  mkdirSync(ARTIFACTS, { recursive: true });
});
after(async () => {
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A file on disk, for the element's file input. */
function onDisk(name, size, seed) {
  const data = bytes(size, seed);
  const file = path.join(dir, name);
  writeFileSync(file, data);
  return { name, file, data };
}

/** The row's state, progress and media id, read through the open shadow root. */
const row = (name) => s.exec(async (name) => {
  const root = document.querySelector("jw-upload")?.shadowRoot;
  const r = [...(root?.querySelectorAll("[data-testid=file-row]") ?? [])]
    .find((el) => el.querySelector("[data-testid=file-name]")?.textContent === name);
  if (!r) return null;
  return {
    state: r.dataset.state, mediaId: r.dataset.mediaId ?? null,
    progress: Number(r.querySelector("[role=progressbar]")?.getAttribute("aria-valuenow") ?? NaN),
    // The bar's "sending" part: handed to the browser, not yet confirmed by the platform.
    sending: parseFloat(r.querySelector("[data-testid=progress-sending]")?.style.width || "0") || 0,
  };
}, name);

/**
 * Waits until `name`'s row is in `state`; returns the progress values seen on the way (`seen`)
 * and the bar's "sending" part beside each (`sendingSeen`).
 */
async function waitState(name, state, ms = 90_000) {
  const seen = [];
  const sendingSeen = [];
  const until = Date.now() + ms;
  for (;;) {
    const r = await row(name);
    if (r) { seen.push(r.progress); sendingSeen.push(r.sending); }
    if (r?.state === state) return { ...r, seen, sendingSeen };
    if (Date.now() > until) throw new Error(`${name}: state ${r?.state}, never ${state}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

/** The data-testid of the focused element, through shadow roots. */
const focused = () => s.exec(async () => {
  let el = document.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  return el?.dataset?.testid ?? null;
});

/** Presses Tab (real key events) until the focus is on `testid`. */
async function tabTo(testid, max = 40) {
  for (let i = 0; i < max; i++) {
    await s.driver.actions().sendKeys(Key.TAB).perform();
    if ((await focused()) === testid) return;
  }
  throw new Error(`Tab never reached [data-testid=${testid}] in ${ENGINE}`);
}

const press = (key) => s.driver.actions().sendKeys(key).perform();

/** Chooses files in the element's (hidden) file input, as the picker would. */
async function choose(...files) {
  const host = await s.driver.findElement(By.css("jw-upload"));
  const root = await host.getShadowRoot();
  const input = await root.findElement(By.css("[data-testid=file-input]"));
  await input.sendKeys(files.map((f) => f.file).join("\n"));
}

async function screenshot(name) {
  const png = await s.driver.takeScreenshot();
  const file = path.join(ARTIFACTS, `${ENGINE}-${name}.png`);
  writeFileSync(file, Buffer.from(png, "base64"));
  console.log(`# screenshot: ${file}`);
}

test(`${ENGINE}: <jw-upload>: add files, progress, ready, pause and resume by keyboard, screenshots`, async () => {
  await sim.clearFaults();
  await s.open(`${DEMO}/`);
  await s.exec(async () => {
    const until = Date.now() + 30_000;
    while (!document.querySelector("jw-upload")?.hasAttribute("upgraded")) {
      if (Date.now() > until) throw new Error("the element never upgraded");
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  await screenshot("empty");

  // Slow bodies, so the rows are seen uploading and can be paused.
  await sim.faults(["s3", "form", "part", "resumable"].map((target) => (
    { target, probability: 1.0, fault: { kind: "bandwidth", bytes_per_sec: 600_000 } })));
  const big = onDisk("holiday-in-the-alps-4k.mp4", 4_000_000, 3);
  const small = onDisk("interview-take-2.mp4", 1_500_000, 4);
  await choose(big, small);
  const up = await waitState(big.name, "uploading", 30_000);
  expect(up.mediaId === null || typeof up.mediaId === "string").toBe(true);
  // Watch the bar for up to 3 s before pausing.
  const early = { seen: [], sendingSeen: [] };
  for (let i = 0; i < 15; i++) {
    const r = await row(big.name);
    if (r) { early.seen.push(r.progress); early.sendingSeen.push(r.sending); }
    if (r && (r.sending > 0 || r.progress > 0)) break;
    await new Promise((ok) => setTimeout(ok, 200));
  }

  // Keyboard only: Tab to the big file's pause button, Enter; the focus moves to resume.
  await tabTo("pause");
  await press(Key.ENTER);
  const paused = await waitState(big.name, "paused", 30_000);
  const afterPause = await focused();
  await screenshot("uploading");
  expect(afterPause, "focus after pausing").toBe("resume");
  await sim.clearFaults();
  await press(Key.ENTER);

  const done = await waitState(big.name, "ready");
  // Confirmed progress, or the "sending" part (a body the browser's buffers took whole is not
  // known to be read until the platform replies).
  const moved = [early, paused, done].flatMap((w) => w.seen.filter((p, i) => (p > 0 && p < 100) || w.sendingSeen[i] > 0));
  expect(moved.length, "progress seen between 0 and 100").toBeGreaterThan(0);
  expect(done.progress).toBe(100);
  for (const f of [big, small]) {
    const r = await waitState(f.name, "ready");
    expect((await sim.media(r.mediaId)).md5, `${f.name} stored intact`).toBe(md5(f.data));
  }
  await screenshot("done");
});
