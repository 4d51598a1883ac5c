// Accessibility: keyboard-only use, an axe-core check with no violations, the polite live
// region, ARIA progressbars with values, visible focus; and the strict CSP holds.
import AxeBuilder from "@axe-core/playwright";
import { test, expect, sim, md5 } from "./fixtures.mjs";
import { Widget, file, refuseUploads, throttleUploads } from "./ui-widget.mjs";

/** The data-testid of the focused element, through shadow roots. */
const focused = (page) => page.evaluate(() => {
  let el = document.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  return el?.dataset?.testid ?? null;
});

/** Presses Tab until the focused element (through shadow roots) has `testid`. */
async function tabTo(page, testid, max = 40) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const id = await page.evaluate(() => {
      let el = document.activeElement;
      while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
      return el?.dataset?.testid ?? null;
    });
    if (id === testid) return;
  }
  throw new Error(`Tab never reached [data-testid=${testid}]`);
}

test("keyboard only: choose a method, open the picker from the drop zone with Space, upload, remove", async ({ page }) => {
  const w = await Widget.open(page);
  // Listen first: the file-chooser interception must be on before any key is pressed.
  const chooser = page.waitForEvent("filechooser", { timeout: 30_000 });
  await tabTo(page, "method");
  await page.keyboard.press("ArrowDown"); // Automatic -> S3 (Chromium changes a focused select)
  await tabTo(page, "dropzone");
  // The drop zone shows where the focus is.
  const outline = await w.dropzone.evaluate((el) => getComputedStyle(el).outlineStyle);
  expect(outline).not.toBe("none");
  await page.keyboard.press(" ");
  const f = file("keyboard.mp4", 600_000, 61);
  await (await chooser).setFiles(f);
  await w.waitState(f.name, "ready");
  await expect(w.row(f.name)).toHaveAttribute("data-method", "s3");
  await expect(w.live).toContainText(`${f.name} is ready.`);
  expect((await sim.media(await w.mediaId(f.name))).md5).toBe(md5(f.buffer));
  await tabTo(page, "remove");
  await page.keyboard.press("Enter");
  await expect(w.rows).toHaveCount(0);
  // The focus goes back to the drop zone rather than to the page's body.
  await expect.poll(() => focused(page)).toBe("dropzone");
});

test("keyboard only: pause, resume and cancel keep the focus on the row's buttons", async ({ page }) => {
  const w = await Widget.open(page);
  const restore = await throttleUploads(page, 500_000);
  const f = file("keys.mp4", 4_000_000, 62);
  const chooser = page.waitForEvent("filechooser", { timeout: 30_000 });
  await tabTo(page, "dropzone");
  await page.keyboard.press("Enter");
  await (await chooser).setFiles(f);
  await w.waitState(f.name, "uploading");
  await tabTo(page, "pause");
  await page.keyboard.press("Enter");
  await w.waitState(f.name, "paused");
  await expect.poll(() => focused(page)).toBe("resume");
  await page.keyboard.press("Enter");
  await expect(w.row(f.name)).not.toHaveAttribute("data-state", "paused");
  await expect.poll(() => focused(page)).toBe("pause");
  await tabTo(page, "cancel");
  await page.keyboard.press("Enter");
  await w.waitState(f.name, "cancelled");
  await expect.poll(() => focused(page)).toBe("retry");
  await restore();
  await page.keyboard.press("Enter");
  await w.waitState(f.name, "ready");
  expect((await sim.media(await w.mediaId(f.name))).md5).toBe(md5(f.buffer));
  await tabTo(page, "remove");
  await page.keyboard.press("Enter");
  await expect(w.rows).toHaveCount(0);
  await expect.poll(() => focused(page)).toBe("dropzone");
});

test("import from URL with the keyboard: Enter submits", async ({ page }) => {
  const w = await Widget.open(page);
  await tabTo(page, "import-url");
  await page.keyboard.type("ftp://nope");
  await page.keyboard.press("Enter");
  await expect(w.host.getByTestId("import-error")).toBeVisible();
  await expect(w.importUrl).toHaveAttribute("aria-invalid", "true");
});

test("axe-core finds no violations, empty, and with finished and failed rows and an invalid import", async ({ page }) => {
  const w = await Widget.open(page);
  const check = async () => {
    const r = await new AxeBuilder({ page }).include("jw-upload").analyze();
    expect(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(", ")}`)).toEqual([]);
  };
  await check();
  const a = file("axe-a.mp4", 300_000, 71);
  const b = file("axe-refused.mp4", 100_000, 74);
  await refuseUploads(page, b.name, 400);
  await w.choose(a, b);
  await w.waitState(a.name, "ready");
  await w.waitState(b.name, "failed");
  await w.importUrl.fill("bad");
  await w.importButton.click();
  await check();
  const whole = await new AxeBuilder({ page }).analyze();
  expect(whole.violations.map((v) => v.id)).toEqual([]);
});

test("progress bars carry ARIA values; file names are text, never HTML", async ({ page }) => {
  const w = await Widget.open(page);
  const name = '<img src=x onerror="window.__pwned=1">.mp4';
  await w.choose(file(name, 200_000, 72));
  await w.waitState(name, "ready");
  const bar = w.row(name).getByRole("progressbar");
  await expect(bar).toHaveAttribute("aria-valuemin", "0");
  await expect(bar).toHaveAttribute("aria-valuemax", "100");
  await expect(bar).toHaveAttribute("aria-valuenow", "100");
  await expect(bar).toHaveAccessibleName(`Upload progress of ${name}`);
  await expect(w.row(name).getByTestId("file-name")).toHaveText(name);
  expect(await w.host.locator("img").count()).toBe(0);
  expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
  await expect(w.overall).toHaveAttribute("aria-valuenow", "100");
});

test("the demo runs under its strict CSP with no violation and no page error", async ({ page }) => {
  const response = await page.goto("/");
  const csp = response.headers()["content-security-policy"];
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).toContain("style-src 'self'");
  const w = new Widget(page);
  await expect(w.root).toBeVisible();
  const f = file("csp.mp4", 300_000, 73);
  await w.choose(f);
  await w.waitState(f.name, "ready");
  // The bar's width is set through the CSSOM, which the CSP allows.
  await expect(w.row(f.name).locator(".bar-fill")).toHaveCSS("width", /[1-9]\d*(\.\d+)?px/);
  expect(page.cspViolations).toEqual([]);
  expect(page.pageErrors).toEqual([]);
});
