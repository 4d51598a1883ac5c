// Reliability at size and under load: a sparse file over 5 GiB through multipart and resumable
// (MD5 checked against `md5sum`), s3 refusing it before a byte is sent, and 20 files at once
// with mixed methods and sizes. The large-file cases run when JW_LARGE=1 (`cargo xtask soak`
// sets it, with the 25 GiB file); the load case always runs.
import { execFileSync } from "node:child_process";
import { openSync, writeSync, closeSync, ftruncateSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  test, expect, bytes, md5, METHODS, MIB, expectStored, expectQuietAfter, expectHonestProgress,
} from "./reliability-lib.mjs";

const GIB = 1024 * MIB;

/** A sparse file of `size` bytes: 1 MiB of data at each end, zeros (holes) between. */
function sparse(size) {
  const dir = mkdtempSync(path.join(process.env.JW_LARGE_DIR ?? os.tmpdir(), "jwu-large-"));
  const file = path.join(dir, "large.mp4");
  const fd = openSync(file, "w");
  ftruncateSync(fd, size);
  writeSync(fd, bytes(MIB, 501), 0, MIB, 0);
  writeSync(fd, bytes(MIB, 502), 0, MIB, size - MIB);
  closeSync(fd);
  const sum = execFileSync("md5sum", [file]).toString().slice(0, 32);
  return { file, size, md5: sum, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

async function expectStoredMd5(sim, r, want, size, method) {
  expect(r.error, JSON.stringify(r.error)).toBeNull();
  expect(r.result.method).toBe(method);
  const stored = await sim.media(r.result.mediaId, false);
  expect(stored.md5).toBe(want);
  expect(stored.size).toBe(size);
  expectHonestProgress(r);
}

const LARGE = Number(process.env.JW_LARGE_BYTES || 5 * GIB + 3 * MIB + 5);

test.describe("large files", () => {
  test.skip(!process.env.JW_LARGE, "set JW_LARGE=1 (cargo xtask soak) for the files over 5 GiB");
  test.setTimeout(3 * 3600_000);
  let src;
  test.beforeAll(() => { src = sparse(LARGE); });
  test.afterAll(() => src?.remove());
  // The simulator stores every byte: free the disk after each large upload.
  test.afterEach(({ stack }) => {
    for (const dir of ["files", "parts"]) rmSync(path.join(stack.data, dir), { recursive: true, force: true });
  });

  test("s3 refuses a file over 5 GiB with its code before sending a byte", async ({ rel, sim }) => {
    await rel.files(src.file);
    const r = await rel.wait(await rel.start({ method: "s3" }));
    expect(r.error.code).toBe("too_large_for_method");
    expect(r.error.retryable).toBe(false);
    expect(await sim.log(), "no request at all").toEqual([]);
  });

  for (const method of ["multipart", "resumable"]) {
    test(`${method}: a sparse file of ${(LARGE / GIB).toFixed(2)} GiB arrives intact`, async ({ rel, sim }) => {
      await rel.files(src.file);
      const r = await rel.wait(await rel.start({ method, options: { stallTimeout: 30_000 } }));
      await expectStoredMd5(sim, r, src.md5, src.size, method);
      const log = (await sim.log()).filter((e) => e.target === METHODS[method].target);
      const read = log.reduce((n, e) => n + e.bytes_in, 0);
      expect(read, "every byte sent once").toBe(src.size);
      await expectQuietAfter(sim, rel.page);
    });
  }
});

test("load: 20 files at once, mixed methods and sizes, all complete and verified", async ({ rel, sim }) => {
  test.setTimeout(300_000);
  const methods = ["s3", "direct", "form", "resumable", "multipart"];
  const files = [];
  for (let k = 0; k < 20; k++) {
    const method = methods[k % methods.length];
    const size = method === "multipart" ? 5 * MIB + 1000 * k + 1 : 100_000 + 150_000 * k;
    files.push({ method, data: bytes(size, 600 + k), name: `clip-${k}.mp4` });
  }
  await rel.files(files.map((f) => ({ name: f.name, mimeType: "video/mp4", buffer: f.data })));
  const ids = [];
  for (let k = 0; k < files.length; k++) {
    ids.push(await rel.start({ index: k, method: files[k].method, options: files[k].method === "multipart" ? { partSize: 5 * MIB } : {} }));
  }
  for (let k = 0; k < files.length; k++) {
    const r = await rel.wait(ids[k]);
    await expectStored(sim, r, files[k].data, files[k].method);
  }
  const log = await sim.log();
  const failed = log.filter((e) => e.status !== null && e.status >= 400);
  expect(failed, "no request refused under load").toEqual([]);
  await expectQuietAfter(sim, rel.page);
});
