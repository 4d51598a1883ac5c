// An upload must outlive every JS reference to its Uploader: wasm-bindgen frees an exported
// object when the garbage collector takes its JS wrapper (FinalizationRegistry), and a page that
// writes `new Uploader(opts).upload(file)` keeps only the Promise. Here the garbage collector
// is forced (`--js-flags=--expose-gc`) while such an upload runs: it must still finish intact.
// The last test forces it inside the MD5 worker instead.
import { test, expect, sim, bytes, md5 } from "./fixtures.mjs";
import config from "./playwright.config.mjs";

const launch = config.use.launchOptions;
test.use({ launchOptions: { ...launch, args: [...launch.args, "--js-flags=--expose-gc"] } });

for (const method of ["s3", "multipart"]) {
  test(`${method}: an upload whose Uploader is unreachable survives garbage collection`, async ({ page }) => {
    await page.goto("/harness/");
    await expect(page.locator("body[data-ready=true]")).toBeAttached();
    const data = bytes(method === "multipart" ? 24 * 1024 * 1024 + 7 : 12 * 1024 * 1024, 77);
    await page.setInputFiles("#file", { name: "gc.bin", mimeType: "application/octet-stream", buffer: data });
    const result = await page.evaluate(async (m) => {
      const csrf = await (await fetch("/api/csrf")).json();
      const config = await (await fetch("/api/config")).json();
      const file = document.querySelector("#file").files[0];
      const options = { endpoint: "/api/uploads", headers: { "X-CSRF-Token": csrf.token }, uploadApiBase: config.upload_api_base };
      // No variable keeps the Uploader: only the Promise is held.
      const outcome = (() => new window.jwu.Uploader(options).upload(file, { method: m }))();
      let settled = false;
      const done = outcome.then((r) => ({ ok: r }), (e) => ({ error: `${e.code}: ${e.message}` })).finally(() => { settled = true; });
      // Collect garbage (and let finalizers run, they are tasks) until the upload settles.
      const until = Date.now() + 60_000;
      while (!settled && Date.now() < until) {
        window.gc();
        await new Promise((r) => setTimeout(r, 20));
      }
      return settled ? done : { error: "the upload never settled (its Uploader was freed?)" };
    }, method);
    expect(result.error).toBeUndefined();
    expect(result.ok.method).toBe(method);
    const stored = await sim.media(result.ok.mediaId);
    expect(stored.md5).toBe(md5(data));
  });
}

// The MD5 worker reads the file through Blob streams, and Chromium does not keep a stream alive
// while a read on it is pending: unless the worker holds the reader, a collection in the worker
// takes it and the digest, and the upload waiting for it, never finish (the bench hung on it).
// Here every worker the page starts collects garbage every 2 ms while an s3 upload verifies.
test("an upload survives garbage collection in its MD5 worker", async ({ page }) => {
  await page.goto("/harness/");
  await expect(page.locator("body[data-ready=true]")).toBeAttached();
  const collecting = [];
  page.on("worker", (worker) => {
    collecting.push(worker.evaluate(() => {
      self.collections = 0;
      setInterval(() => {
        gc();
        self.collections += 1;
      }, 2);
    }).then(() => worker));
  });
  const data = bytes(48 * 1024 * 1024 + 5, 78);
  await page.setInputFiles("#file", { name: "gc-md5.bin", mimeType: "application/octet-stream", buffer: data });
  const result = await page.evaluate(async () => {
    const csrf = await (await fetch("/api/csrf")).json();
    const config = await (await fetch("/api/config")).json();
    const file = document.querySelector("#file").files[0];
    const options = { endpoint: "/api/uploads", headers: { "X-CSRF-Token": csrf.token }, uploadApiBase: config.upload_api_base };
    window.gcUploader = new window.jwu.Uploader(options);
    const outcome = window.gcUploader.upload(file, { method: "s3" }).then((r) => ({ ok: r }), (e) => ({ error: `${e.code}: ${e.message}` }));
    const limit = new Promise((r) => setTimeout(() => r({ error: "the upload never settled (its digest hung?)" }), 60_000));
    return Promise.race([outcome, limit]);
  });
  expect(collecting.length).toBeGreaterThan(0);
  const workers = await Promise.all(collecting);
  const collections = await Promise.all(workers.map((w) => w.evaluate(() => self.collections).catch(() => 0)));
  expect(Math.max(...collections)).toBeGreaterThan(20);
  expect(result.error).toBeUndefined();
  expect(result.ok.method).toBe("s3");
  const stored = await sim.media(result.ok.mediaId);
  expect(stored.md5).toBe(md5(data));
});
