// The widget on the demo page: files chosen and dropped, every method to completion (the
// simulator's MD5 of what it stored checked), imports, thumbnails, the limit on files at once.
import { test, expect, sim, md5, DEMO } from "./fixtures.mjs";
import { Widget, file } from "./ui-widget.mjs";

for (const [method, size] of [["s3", 1_500_000], ["direct", 1_400_000], ["form", 1_200_000],
  ["resumable", 2_500_000], ["multipart", 11_000_000]]) {
  test(`a ${method} upload chosen in the picker reaches ready, MD5 intact`, async ({ page }) => {
    const w = await Widget.open(page);
    await w.useMethod(method);
    const f = file(`clip-${method}.mp4`, size, size % 97);
    await w.choose(f);
    await expect(w.row(f.name).getByTestId("file-size")).not.toBeEmpty();
    await w.waitState(f.name, "ready");
    await expect(w.row(f.name)).toHaveAttribute("data-method", method);
    await expect(w.stateText(f.name)).toHaveText("ready");
    await expect(w.row(f.name).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100");
    const stored = await sim.media(await w.mediaId(f.name));
    expect(stored.md5).toBe(md5(f.buffer));
    expect(page.cspViolations).toEqual([]);
    expect(page.pageErrors).toEqual([]);
  });
}

test("several files chosen at once: one row each, at most two uploading at once", async ({ page }) => {
  const w = await Widget.open(page);
  const files = [1, 2, 3, 4].map((i) => file(`part-${i}.mp4`, 400_000 + i * 1000, 10 + i));
  const active = [];
  await page.exposeFunction("__uiActive", (n) => active.push(n));
  await page.evaluate(() => {
    const count = () => document.querySelector("jw-upload").shadowRoot
      .querySelectorAll('[data-state="uploading"],[data-state="waiting"],[data-state="verifying"]').length;
    new MutationObserver(() => window.__uiActive(count()))
      .observe(document.querySelector("jw-upload").shadowRoot, { subtree: true, attributes: true });
  });
  await w.choose(...files);
  await expect(w.rows).toHaveCount(4);
  for (const f of files) await w.waitState(f.name, "ready");
  expect(Math.max(...active)).toBeLessThanOrEqual(2);
  for (const f of files) expect((await sim.media(await w.mediaId(f.name))).md5).toBe(md5(f.buffer));
  await expect(w.host.getByTestId("overall-summary")).toHaveText("4 of 4 done");
  await expect(w.overall).toHaveAttribute("aria-valuenow", "100");
});

test("files dropped on the drop zone upload", async ({ page }) => {
  const w = await Widget.open(page);
  const a = file("dropped-a.mp4", 300_000, 31);
  const b = file("dropped-b.mp4", 250_000, 32);
  await w.drop(a, b);
  await expect(w.rows).toHaveCount(2);
  await w.waitState(a.name, "ready");
  await w.waitState(b.name, "ready");
  expect((await sim.media(await w.mediaId(a.name))).md5).toBe(md5(a.buffer));
  expect((await sim.media(await w.mediaId(b.name))).md5).toBe(md5(b.buffer));
});

test("import from URL: the platform fetches the file (fetch upload)", async ({ page }) => {
  const w = await Widget.open(page);
  const url = `${DEMO}/jw-upload-element.css`;
  const body = Buffer.from(await (await fetch(url)).arrayBuffer());
  await w.importUrl.fill("not a url");
  await w.importButton.click();
  await expect(w.host.getByTestId("import-error")).toBeVisible();
  await w.importUrl.fill(url);
  await w.importButton.click();
  await w.waitState(url, "ready");
  await expect(w.row(url)).toHaveAttribute("data-method", "fetch");
  expect((await sim.media(await w.mediaId(url))).md5).toBe(md5(body));
});

test("a thumbnail for a video: the resource kind selector", async ({ page }) => {
  const w = await Widget.open(page);
  const video = file("for-thumb.mp4", 200_000, 41);
  await w.choose(video);
  await w.waitState(video.name, "ready");
  const key = await w.mediaId(video.name);
  await w.resource.selectOption("thumbnail");
  await w.videoKey.fill(key);
  const thumb = file("thumb.jpg", 40_000, 42, "image/jpeg");
  await w.choose(thumb);
  await expect(w.row(thumb.name)).toHaveAttribute("data-state", /ready|uploaded/, { timeout: 60_000 });
  await expect(w.row(thumb.name)).toHaveAttribute("data-method", "form");
  const stored = await sim.media(key, "thumbnail");
  expect(stored.md5).toBe(md5(thumb.buffer));
});
