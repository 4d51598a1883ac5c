// The element starts uploads by the same path as the JS API (src/session.rs): a 200 MB upload
// interrupted by a reload continues when the same file is chosen again, sending no part or range
// the platform already acknowledged; a video under 2 seconds is refused before any byte, with
// the API's reason. Each worker has its own simulator and backend (reliability-lib), so the
// request log and the throttle belong to one test.
import { writeFileSync, rmSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test, expect, bytes, md5 } from "./reliability-lib.mjs";
import { Widget } from "./ui-widget.mjs";

const SIZE = 200 * 1000 * 1000;
/** The core's `probe_bytes`: how much a restored resumable upload sends to learn the Range. */
const PROBE = 64 * 1024;

/** `data` written to a temporary file (Chromium reads it from disk, as a user's file). */
function onDisk(data, name) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "jwu-ui-resume-"));
  const file = path.join(dir, name);
  writeFileSync(file, data);
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The body requests the platform acknowledged (2xx), in the order they started. */
const acknowledged = (log, target) =>
  log.filter((e) => e.target === target && e.status >= 200 && e.status < 300).sort((a, b) => a.seq - b.seq);

/** `bytes a-b/total` as a half-open [a, b + 1). */
function span(range) {
  const m = /bytes (\d+)-(\d+)\//.exec(range ?? "");
  return m ? [Number(m[1]), Number(m[2]) + 1] : null;
}

/** Requests that sent again what an earlier request had already stored. */
function resent(log, method) {
  const target = method === "multipart" ? "part" : "resumable";
  const bodies = log.filter((e) => e.target === target && e.method !== "OPTIONS").sort((a, b) => a.seq - b.seq);
  const done = acknowledged(log, target);
  return bodies.filter((e) => done.some((d) => {
    if (d.seq >= e.seq) return false;
    if (method === "multipart") return d.path === e.path;
    const [a, b] = [span(d.range), span(e.range)];
    return a && b && a[0] < b[1] && b[0] < a[1];
  }));
}

test.describe("the element resumes after a reload", () => {
  test.setTimeout(300_000);
  let src;
  let data;
  test.beforeAll(() => {
    data = bytes(SIZE, 1200);
    src = onDisk(data, "big-resume.mp4");
  });
  test.afterAll(() => src?.remove());

  for (const method of ["multipart", "resumable"]) {
    test(`${method}: 200 MB, reload at about half, the same file again: nothing acknowledged is sent again`, async ({ page, stack, sim }) => {
      const target = method === "multipart" ? "part" : "resumable";
      // Slow enough that the reload lands mid-upload (multipart: 4 parts at once).
      const rate = method === "multipart" ? 4_000_000 : 12_000_000;
      await sim.faults([{ target, probability: 1.0, fault: { kind: "bandwidth", bytes_per_sec: rate } }]);
      let w = await Widget.open(page, `${stack.backend}/upload-form`);
      await w.host.evaluate((el, m) => { el.method = m; }, method);
      await w.choose(src.file);
      const name = path.basename(src.file);
      const bar = w.row(name).getByRole("progressbar");
      await expect.poll(async () => Number(await bar.getAttribute("aria-valuenow")), { timeout: 120_000 })
        .toBeGreaterThanOrEqual(45);
      const before = acknowledged(await sim.log(), target).length;
      expect(before, "the platform holds parts or ranges before the reload").toBeGreaterThan(0);
      await page.reload();
      await sim.clearFaults();
      w = new Widget(page);
      await expect(w.host).toHaveAttribute("upgraded", "");
      await w.host.evaluate((el, m) => { el.method = m; }, method);
      await w.choose(src.file);
      await w.waitState(name, "ready", 180_000);
      const log = await sim.log();
      const again = resent(log, method);
      // A restored resumable upload learns the server's Range the only way the protocol has: one
      // probe chunk of at most 64 KiB from byte 0 (the core's `probe_bytes`). Nothing else.
      const probes = again.filter((e) => method === "resumable" && span(e.range)?.[0] === 0
        && span(e.range)[1] <= PROBE);
      expect(probes.length, "at most one restore probe").toBeLessThanOrEqual(1);
      expect(again.filter((e) => !probes.includes(e)), "acknowledged parts or ranges sent again").toEqual([]);
      if (method === "multipart") {
        const creates = log.filter((e) => e.target === "v2_api" && e.method === "POST");
        expect(creates.length, "the second page continues the same media").toBe(1);
      }
      const stored = await sim.media(await w.mediaId(name));
      expect(stored.md5, "server MD5").toBe(md5(data));
      expect(stored.size).toBe(SIZE);
      expect(page.pageErrors).toEqual([]);
    });
  }
});

/** A PCM WAV of `seconds` of silence (8 kHz mono, 8-bit), which Chromium decodes. */
function wav(seconds) {
  const samples = Math.round(8000 * seconds);
  const b = Buffer.alloc(44 + samples, 128);
  b.write("RIFF", 0);
  b.writeUInt32LE(36 + samples, 4);
  b.write("WAVEfmt ", 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(8000, 28);
  b.writeUInt16LE(1, 32);
  b.writeUInt16LE(8, 34);
  b.write("data", 36);
  b.writeUInt32LE(samples, 40);
  return b;
}

test("a file under 2 seconds is refused by the element before any byte, with the API's reason", async ({ page, stack, sim }) => {
  const w = await Widget.open(page, `${stack.backend}/upload-form`);
  // The page minted its plain form's upload on load; from here nothing may reach the platform.
  await sim.clearLog();
  const short = { name: "short.wav", mimeType: "audio/wav", buffer: wav(1.0) };
  // The JS API's reason for the same file, from the module the element runs.
  const reason = await page.evaluate(async (bytesOf) => {
    const { Uploader } = await import("/jw-upload.js");
    const file = new File([new Uint8Array(bytesOf)], "short.wav", { type: "audio/wav" });
    try {
      await new Uploader({ endpoint: "/api/uploads" }).upload(file, { method: "s3" });
      return null;
    } catch (e) {
      return { code: e.code, message: e.message };
    }
  }, Array.from(short.buffer));
  expect(reason?.code).toBe("too_short");
  // The page's accept="video/*" would refuse a WAV by its type first (accept holds for every
  // file now); the short media that every engine can decode here is a WAV, so take it.
  await w.host.evaluate((el) => el.removeAttribute("accept"));
  await w.choose(short);
  await w.waitState(short.name, "failed");
  const words = reason.message[0].toLowerCase() + reason.message.slice(1);
  await expect(w.stateText(short.name)).toHaveText(`failed: ${words}`);
  await expect(w.live).toContainText(reason.message);
  await page.waitForTimeout(500);
  expect(await sim.log(), "nothing sent to the platform").toEqual([]);
  expect(page.pageErrors).toEqual([]);
});
