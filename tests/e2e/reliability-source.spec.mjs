// Reliability, the source file: a page reload mid-upload resumes from IndexedDB (choosing the
// same file again), and a file that changes on disk mid-upload fails clearly, never sending a
// 0-byte or wrong chunk. Files come from disk here (Playwright `setInputFiles(path)`).
import { writeFileSync, rmSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  test, expect, bytes, METHODS, MIB, expectStored, expectQuietAfter, expectHonestProgress,
} from "./reliability-lib.mjs";

function onDisk(data, name = "clip.mp4") {
  const dir = mkdtempSync(path.join(os.tmpdir(), "jwu-src-"));
  const file = path.join(dir, name);
  writeFileSync(file, data);
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// #16: resumable and multipart keep their progress on the server; s3 and form are one request
// each, so a reload starts them over (nothing to resume).
for (const method of ["resumable", "multipart"]) {
  const { target, options } = METHODS[method];
  const size = 16 * MIB + 77;
  const unit = method === "multipart" ? 5 * MIB : 64 * MIB; // largest body of one request
  test(`#16 ${method}: a page reload mid-upload resumes from IndexedDB, re-sending at most one ${method === "multipart" ? "part" : "chunk"}`, async ({ rel, sim }) => {
    const data = bytes(size, 160);
    const src = onDisk(data);
    try {
      await sim.faults([{ target, probability: 1.0, fault: { kind: "bandwidth", bytes_per_sec: 3_000_000 } }]);
      await rel.files(src.file);
      const i = await rel.start({ method, options: { ...options, parallel: 1 } });
      // Wait until the server holds something (a part or a chunk acknowledged).
      await expect.poll(async () => (await sim.log()).filter((e) => e.target === target && e.status >= 200 && e.status < 300).length, { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
      await rel.until(i, 7 * MIB);
      await rel.page.reload();
      await expect(rel.page.locator("body[data-ready=true]")).toBeAttached();
      await sim.clearFaults();
      await rel.files(src.file);
      const j = await rel.start({ method, options: { ...options, parallel: 1 } });
      const r = await rel.wait(j);
      await expectStored(sim, r, data, method);
      const log = await sim.log();
      const read = log.filter((e) => e.target === target).reduce((n, e) => n + e.bytes_in, 0);
      expect(read, "bytes re-sent after the reload: at most one part or chunk").toBeLessThanOrEqual(size + Math.min(unit, size));
      // One media: the reload continued the same upload rather than minting a new one.
      const creates = log.filter((e) => (e.target === "v1_api" && e.path.endsWith("videos/create")) || (e.target === "v2_api" && e.method === "POST"));
      expect(creates.length, "one create call").toBe(1);
      await expectQuietAfter(sim, rel.page);
    } finally {
      src.remove();
    }
  });
}

// #18: the source file changes on disk mid-upload.
for (const method of Object.keys(METHODS)) {
  const { size, target, options } = METHODS[method];
  test(`#18 ${method}: the file changing on disk fails clearly, never a 0-byte or wrong body`, async ({ rel, sim }) => {
    const data = bytes(size, 180);
    const src = onDisk(data);
    try {
      await sim.faults([{ target, probability: 1.0, fault: { kind: "bandwidth", bytes_per_sec: 1_000_000 } }]);
      await rel.files(src.file);
      const i = await rel.start({ method, options: { ...options, parallel: 1 } });
      await rel.until(i, 100_000);
      writeFileSync(src.file, bytes(size, 181)); // same size, other bytes, a new mtime
      const r = await rel.wait(i);
      if (r.result) {
        // Only acceptable if every byte was read before the change: then the old file is stored.
        await expectStored(sim, r, data, method);
      } else {
        expect(r.error.code, JSON.stringify(r.error)).toBe("file_changed");
        expect(r.error.retryable).toBe(false);
      }
      expectHonestProgress(r);
      const log = (await sim.log()).filter((e) => e.target === target && e.method !== "OPTIONS");
      const empty = log.filter((e) => e.bytes_in === 0);
      expect(empty, "no 0-byte body").toEqual([]);
      // Nothing stored from the changed file.
      const m = r.result ? null : log.length;
      if (m !== null) expect(log.filter((e) => e.status >= 200 && e.status < 300 && e.target === "complete")).toEqual([]);
      await expectQuietAfter(sim, rel.page);
    } finally {
      src.remove();
    }
  });
}
