// Page objects for the <jw-upload> widget (its shadow root is open: Playwright's locators
// pierce it) and helpers shared by the ui-*.spec.mjs suites.
import { expect, bytes } from "./fixtures.mjs";

/** A file for setInputFiles: deterministic bytes. */
export const file = (name, size, seed = 1, mimeType = "video/mp4") =>
  ({ name, mimeType, buffer: bytes(size, seed) });

/** Slows the page's uploads (Chromium network emulation, this page only). */
export async function throttleUploads(page, bytesPerSecond) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond,
  });
  return async () => cdp.send("Network.emulateNetworkConditions", {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
  });
}

/** Answers the first `n` POST /api/uploads for `name` with `status` (the rest go through). */
export async function refuseUploads(page, name, status, n = 1) {
  let left = n;
  await page.route("**/api/uploads", async (route) => {
    let body = null;
    try { body = JSON.parse(route.request().postData() ?? "null"); } catch { /* not JSON */ }
    if (left > 0 && body?.file?.name === name) {
      left -= 1;
      return route.fulfill({
        status, contentType: "application/json",
        headers: status === 503 ? { "Retry-After": "2" } : {},
        body: JSON.stringify({ error: { code: "bad_request", message: "file type not allowed" } }),
      });
    }
    return route.continue();
  });
}

export class Widget {
  /** @param {import('@playwright/test').Page} page */
  constructor(page, host = page.locator("jw-upload")) {
    this.page = page;
    this.host = host;
    this.root = host.getByTestId("widget");
    this.dropzone = host.getByTestId("dropzone");
    this.fileInput = host.getByTestId("file-input");
    this.rows = host.getByTestId("file-row");
    this.method = host.getByTestId("method");
    this.resource = host.getByTestId("resource");
    this.videoKey = host.getByTestId("video-key");
    this.importUrl = host.getByTestId("import-url");
    this.importButton = host.getByTestId("import-button");
    this.overall = host.getByTestId("overall-progress");
    this.live = host.getByTestId("live-region");
  }

  /** Opens the demo page and waits for the element to take over. */
  static async open(page, path = "/") {
    await page.goto(path);
    const w = new Widget(page);
    await expect(w.host).toHaveAttribute("upgraded", "");
    await expect(w.root).toBeVisible();
    return w;
  }

  /** The row of a file, by its exact name. */
  row(name) {
    return this.rows.filter({
      has: this.page.getByTestId("file-name").getByText(name, { exact: true }),
    });
  }

  async choose(...files) { await this.fileInput.setInputFiles(files); }

  /** Drops files on the drop zone as a drag from the desktop would. */
  async drop(...files) {
    const dt = await this.page.evaluateHandle((list) => {
      const dt = new DataTransfer();
      for (const f of list) dt.items.add(new File([new Uint8Array(f.data)], f.name, { type: f.type }));
      return dt;
    }, files.map((f) => ({ name: f.name, type: f.mimeType, data: Array.from(f.buffer) })));
    await this.dropzone.dispatchEvent("dragenter", { dataTransfer: dt });
    await this.dropzone.dispatchEvent("dragover", { dataTransfer: dt });
    await this.dropzone.dispatchEvent("drop", { dataTransfer: dt });
  }

  async useMethod(method) { await this.method.selectOption(method); }

  /** Waits until the row's state is `state` (`ready`, `paused`, `failed`...). */
  async waitState(name, state, timeout = 60_000) {
    await expect(this.row(name)).toHaveAttribute("data-state", state, { timeout });
  }

  async mediaId(name) {
    const id = await this.row(name).getAttribute("data-media-id");
    expect(id).toBeTruthy();
    return id;
  }

  stateText(name) { return this.row(name).getByTestId("file-state"); }

  button(name, action) { return this.row(name).getByTestId(action); }
}
