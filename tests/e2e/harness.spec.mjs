// The harness page drives the uploader's JS API directly: an s3 upload end to end, MD5 checked.
import { test, expect, sim, bytes, md5 } from "./fixtures.mjs";

test("an s3 upload through the JS API arrives intact", async ({ page }) => {
  await page.goto("/harness/");
  await expect(page.locator("body[data-ready=true]")).toBeAttached();
  const data = bytes(2_000_000, 42);
  await page.setInputFiles("#file", { name: "clip.mp4", mimeType: "video/mp4", buffer: data });
  const result = await page.evaluate(async () => {
    const csrf = await (await fetch("/api/csrf")).json();
    const up = new window.jwu.Uploader({ endpoint: "/api/uploads", headers: { "X-CSRF-Token": csrf.token } });
    const file = document.querySelector("#file").files[0];
    return up.upload(file, { method: "s3" });
  });
  expect(result.method).toBe("s3");
  const stored = await sim.media(result.mediaId);
  expect(stored.md5).toBe(md5(data));
  expect(page.cspViolations).toEqual([]);
});
