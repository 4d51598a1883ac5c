// <jw-upload> loads in two steps: its shell (drop zone, input, labels) works before the wasm
// arrives; files chosen or dropped on it meanwhile are queued and uploaded once it is in (MD5
// checked through the simulator); a wasm that cannot load brings the plain form back, holding
// the queued file.
import { test, expect, sim, md5 } from "./fixtures.mjs";
import { Widget, file } from "./ui-widget.mjs";

/** Holds every request for the wasm until `release()` (then `answer(route)` decides). */
async function holdWasm(page, answer = (route) => route.continue()) {
  let release;
  const held = new Promise((r) => { release = r; });
  const seen = { requested: 0, finished: 0 };
  page.on("requestfinished", (r) => { if (r.url().endsWith("/jw-upload_bg.wasm")) seen.finished += 1; });
  await page.route("**/jw-upload_bg.wasm", async (route) => {
    seen.requested += 1;
    await held;
    await answer(route);
  });
  return { release: () => release(), seen };
}

test("files chosen, dropped and added to the shell before the wasm loads are uploaded once it does, in order", async ({ page }) => {
  const wasm = await holdWasm(page);
  // Listen first: the file-chooser interception must be on before any key is pressed.
  const picker = page.waitForEvent("filechooser", { timeout: 30_000 });
  await page.goto("/upload-form");
  const w = new Widget(page);
  await expect(w.host).toHaveAttribute("interactive", "");
  await expect(w.host.getByTestId("shell")).toBeVisible();
  await expect(w.host).not.toHaveAttribute("upgraded", "");
  await expect(page.getByTestId("plain-form")).toBeHidden();
  await expect(w.dropzone).toHaveAttribute("role", "button");
  await expect(w.dropzone).toContainText("Drop files here");
  await expect(w.fileInput).toHaveAttribute("accept", "video/*");
  await expect(w.fileInput).toHaveAttribute("multiple", "");
  await expect(w.host.getByRole("heading", { name: "Upload videos" })).toBeVisible();

  // Keyboard: the drop zone is the first tab stop; Enter opens the picker.
  await page.locator("h1").click();
  await page.keyboard.press("Tab");
  await expect(w.dropzone).toBeFocused();
  const chosen = file("lazy-chosen.mp4", 900_000, 171);
  await page.keyboard.press("Enter");
  await (await picker).setFiles(chosen);
  const dropped = file("lazy-dropped.mp4", 1_300_000, 172);
  await w.drop(dropped);

  // And one through the element's addFiles(), built in the page from the same bytes.
  const added = file("lazy-added.mp4", 700_000, 174);
  await page.evaluate(({ name, data }) => {
    document.querySelector("jw-upload").addFiles([new File([new Uint8Array(data)], name, { type: "video/mp4" })]);
  }, { name: added.name, data: Array.from(added.buffer) });

  const queued = w.host.getByTestId("queued-row");
  await expect(queued).toHaveCount(3);
  await expect(queued.getByTestId("file-name")).toHaveText([chosen.name, dropped.name, added.name]);
  await expect(queued.first()).toContainText("waiting for the uploader to load");
  await expect(w.live).toHaveText(`${added.name} queued: waiting for the uploader to load.`);
  expect(wasm.seen.finished).toBe(0);
  await expect(w.host).not.toHaveAttribute("upgraded", "");

  const shellBox = { drop: await w.dropzone.boundingBox(), import: await w.importUrl.boundingBox() };

  wasm.release();
  await expect(w.host).toHaveAttribute("upgraded", "", { timeout: 30_000 });
  await expect(w.host.getByTestId("shell")).toHaveCount(0);
  // The swap does not move the drop zone or the import row.
  const widgetBox = { drop: await w.dropzone.boundingBox(), import: await w.importUrl.boundingBox() };
  for (const k of ["drop", "import"]) {
    for (const d of ["x", "y", "width", "height"]) expect(Math.abs(widgetBox[k][d] - shellBox[k][d]), `${k} ${d}`).toBeLessThanOrEqual(1);
  }
  await expect(w.rows.getByTestId("file-name")).toHaveText([chosen.name, dropped.name, added.name]);
  for (const f of [chosen, dropped, added]) {
    await w.waitState(f.name, "ready");
    expect((await sim.media(await w.mediaId(f.name))).md5).toBe(md5(f.buffer));
  }
  expect(wasm.seen.requested).toBe(1);
  expect(page.cspViolations).toEqual([]);
  expect(page.pageErrors).toEqual([]);
});

test("the first interaction fetches the wasm before the browser is idle; focus stays on the drop zone", async ({ page }) => {
  // requestIdleCallback never fires here: only the interaction can start the load.
  await page.addInitScript(() => { window.requestIdleCallback = () => 0; });
  const wasm = await holdWasm(page);
  await page.goto("/upload-form");
  const w = new Widget(page);
  await expect(w.host).toHaveAttribute("interactive", "");
  await page.waitForTimeout(500);
  expect(wasm.seen.requested).toBe(0);
  await page.locator("h1").click();
  await page.keyboard.press("Tab");
  await expect.poll(() => wasm.seen.requested).toBe(1);
  wasm.release();
  await expect(w.host).toHaveAttribute("upgraded", "", { timeout: 30_000 });
  await expect(w.dropzone).toBeFocused();
});

test("a wasm that cannot load: the shell says so and the plain form comes back, with the queued file in it", async ({ page }) => {
  const wasm = await holdWasm(page, (route) => route.fulfill({ status: 404, body: "gone" }));
  await page.goto("/upload-form");
  const w = new Widget(page);
  await expect(w.host).toHaveAttribute("interactive", "");
  const f = file("lazy-fallback.mp4", 600_000, 173);
  await w.drop(f);
  await expect(w.host.getByTestId("queued-row")).toHaveCount(1);
  wasm.release();

  const error = w.host.getByTestId("shell-error");
  await expect(error).toBeVisible({ timeout: 30_000 });
  await expect(error).toContainText("The uploader could not load");
  await expect(error).toContainText("Use the plain form below instead.");
  await expect(w.host.getByTestId("shell-queue-note")).toContainText(`${f.name}: now in the plain form below`);
  await expect(w.dropzone).toBeHidden();
  await expect(w.host).not.toHaveAttribute("interactive", "");
  await expect(w.host).not.toHaveAttribute("upgraded", "");
  const form = page.getByTestId("plain-form");
  await expect(form).toBeVisible();
  expect(await page.locator("#file").evaluate((i) => [...i.files].map((x) => x.name))).toEqual([f.name]);

  // The plain form works: its upload lands on the platform.
  await page.getByRole("button", { name: "Upload" }).click();
  await page.waitForURL(/\/upload-done/);
  const key = await page.getByTestId("done-key").textContent();
  expect((await sim.media(key)).md5).toBe(md5(f.buffer));
  expect(page.cspViolations).toEqual([]);
});
