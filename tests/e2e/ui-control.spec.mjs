// Per-file controls: pause and resume, cancel, a refused upload retried, automatic retries
// shown as "retrying in N s", and offline.
import { test, expect, sim, md5 } from "./fixtures.mjs";
import { Widget, file, throttleUploads, refuseUploads } from "./ui-widget.mjs";

test("a refused upload fails in plain words, then Retry uploads it", async ({ page }) => {
  const w = await Widget.open(page);
  const f = file("refused.mp4", 500_000, 51);
  await refuseUploads(page, f.name, 400);
  await w.choose(f);
  await w.waitState(f.name, "failed");
  await expect(w.stateText(f.name)).toContainText(/^failed: /);
  await expect(w.live).toContainText(`${f.name} failed`);
  await w.button(f.name, "retry").click();
  await w.waitState(f.name, "ready");
  expect((await sim.media(await w.mediaId(f.name))).md5).toBe(md5(f.buffer));
  expect(page.cspViolations).toEqual([]);
});

test("a busy backend (503) is retried by itself: the row says retrying in N s", async ({ page }) => {
  const w = await Widget.open(page);
  const f = file("busy.mp4", 300_000, 52);
  await refuseUploads(page, f.name, 503, 1);
  await w.choose(f);
  await expect(w.stateText(f.name)).toHaveText(/retrying in \d+ s/);
  await w.waitState(f.name, "ready");
  expect((await sim.media(await w.mediaId(f.name))).md5).toBe(md5(f.buffer));
});

test("pause and resume: the upload goes on from where it was, intact", async ({ page }) => {
  const w = await Widget.open(page);
  const restore = await throttleUploads(page, 1_000_000);
  await w.useMethod("resumable");
  const f = file("pausable.mp4", 8_000_000, 53);
  await w.choose(f);
  const bar = w.row(f.name).getByRole("progressbar");
  await expect.poll(async () => Number(await bar.getAttribute("aria-valuenow")), { timeout: 30_000 })
    .toBeGreaterThan(5);
  await w.button(f.name, "pause").click();
  await w.waitState(f.name, "paused");
  await expect(w.stateText(f.name)).toHaveText("paused");
  // The chunk in flight is thrown away: the bar drops to what the platform acknowledged (the
  // progress event saying so may come a moment after the state), then holds while paused.
  await page.waitForTimeout(300);
  const at = Number(await bar.getAttribute("aria-valuenow"));
  await page.waitForTimeout(1000);
  expect(Number(await bar.getAttribute("aria-valuenow"))).toBe(at);
  await restore();
  await w.button(f.name, "resume").click();
  await w.waitState(f.name, "ready");
  expect((await sim.media(await w.mediaId(f.name))).md5).toBe(md5(f.buffer));
});

test("cancel stops the upload at once; Remove takes the row away", async ({ page }) => {
  const w = await Widget.open(page);
  await throttleUploads(page, 500_000);
  await w.useMethod("s3");
  const f = file("cancelled.mp4", 6_000_000, 54);
  await w.choose(f);
  await w.waitState(f.name, "uploading");
  await w.button(f.name, "cancel").click();
  await w.waitState(f.name, "cancelled");
  await expect(w.stateText(f.name)).toHaveText("cancelled");
  await expect(w.button(f.name, "retry")).toBeVisible();
  await w.button(f.name, "remove").click();
  await expect(w.rows).toHaveCount(0);
});

test("offline: the row says so and the upload finishes when the network is back", async ({ page, context }) => {
  const w = await Widget.open(page);
  const restore = await throttleUploads(page, 1_000_000);
  await w.useMethod("resumable");
  const f = file("offline.mp4", 5_000_000, 55);
  await w.choose(f);
  await w.waitState(f.name, "uploading");
  await context.setOffline(true);
  await w.waitState(f.name, "offline");
  await expect(w.stateText(f.name)).toContainText("offline");
  await restore();
  await context.setOffline(false);
  await w.waitState(f.name, "ready");
  expect((await sim.media(await w.mediaId(f.name))).md5).toBe(md5(f.buffer));
});
