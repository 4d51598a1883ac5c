// <jw-upload> embedded in a plain page with no build step (the reference backend's
// /upload-form): it takes over the plain form; its attributes, properties, DOM events, labels,
// custom properties and parts; and with JavaScript off the plain form upload still works.
import { test, expect, sim, md5 } from "./fixtures.mjs";
import { Widget, file } from "./ui-widget.mjs";

test("the element takes over the plain form and uploads; events bubble out of the shadow root", async ({ page }) => {
  const w = await Widget.open(page, "/upload-form");
  await expect(page.getByTestId("plain-form")).toBeHidden();
  await page.evaluate(() => {
    window.__events = [];
    for (const name of ["upload-start", "upload-progress", "upload-success", "upload-ready", "queue-complete"]) {
      document.addEventListener(name, (e) => window.__events.push({
        name, bubbles: e.bubbles, composed: e.composed, detail: e.detail,
      }));
    }
  });
  const f = file("embedded.mp4", 700_000, 81);
  await w.choose(f);
  await w.waitState(f.name, "ready");
  const id = await w.mediaId(f.name);
  expect((await sim.media(id)).md5).toBe(md5(f.buffer));
  const events = await page.evaluate(() => window.__events);
  const names = [...new Set(events.map((e) => e.name))];
  expect(names).toEqual(["upload-start", "upload-progress", "upload-success", "upload-ready", "queue-complete"]);
  expect(events.every((e) => e.bubbles && e.composed)).toBe(true);
  await page.screenshot({ path: "artifacts/screenshots/1280-upload-form-js.png", fullPage: true });
  const success = events.find((e) => e.name === "upload-success");
  expect(success.detail).toMatchObject({ name: f.name, mediaId: id, size: f.buffer.length });
  expect(page.cspViolations).toEqual([]);
  expect(page.pageErrors).toEqual([]);
});

test("attributes and properties match; labels replaced by a JSON property; theming by custom properties and ::part", async ({ page }) => {
  const w = await Widget.open(page, "/upload-form");
  const props = await page.evaluate(() => {
    const el = document.querySelector("jw-upload");
    return { endpoint: el.endpoint, statusEndpoint: el.statusEndpoint, parallelFiles: el.parallelFiles,
      accept: el.accept, method: el.method };
  });
  expect(props).toEqual({ endpoint: "/api/uploads", statusEndpoint: "/api/media", parallelFiles: 2,
    accept: "video/*", method: "auto" });
  await expect(w.fileInput).toHaveAttribute("accept", "video/*");
  await page.evaluate(() => { document.querySelector("jw-upload").accept = "video/mp4"; });
  await expect(w.fileInput).toHaveAttribute("accept", "video/mp4");

  await page.evaluate(() => {
    document.querySelector("jw-upload").labels = { title: "Video hochladen", drop_title: "Dateien hier ablegen" };
  });
  await expect(w.host.getByRole("heading", { name: "Video hochladen" })).toBeVisible();
  await expect(w.dropzone).toContainText("Dateien hier ablegen");
  expect(await page.evaluate(() => document.querySelector("jw-upload").getAttribute("labels")))
    .toContain("Video hochladen");

  // Theming from the page: a constructed stylesheet (CSSOM, allowed by the CSP).
  await page.evaluate(() => {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(`jw-upload { --jwu-accent: rgb(200, 0, 100); }
      jw-upload::part(dropzone) { border-color: rgb(1, 2, 3); }`);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  });
  await expect(w.dropzone).toHaveCSS("border-top-color", "rgb(1, 2, 3)");
  await expect(w.host.locator(".link-like")).toHaveCSS("color", "rgb(200, 0, 100)");
  expect(page.cspViolations).toEqual([]);
});

test.describe("with JavaScript off", () => {
  test.use({ javaScriptEnabled: false });

  test("the plain form uploads to the platform and lands on the done page", async ({ page }) => {
    await page.goto("/upload-form");
    const form = page.getByTestId("plain-form");
    await expect(form).toBeVisible();
    await page.screenshot({ path: "artifacts/screenshots/1280-upload-form-no-js.png", fullPage: true });
    const f = file("no-js.mp4", 400_000, 82);
    await page.setInputFiles("#file", f);
    await page.getByRole("button", { name: "Upload" }).click();
    await page.waitForURL(/\/upload-done/);
    const key = await page.getByTestId("done-key").textContent();
    await page.screenshot({ path: "artifacts/screenshots/1280-upload-done-no-js.png", fullPage: true });
    expect((await sim.media(key)).md5).toBe(md5(f.buffer));
  });
});
