// The element tells the truth (issue 14): each case replays what an editor or an integrator
// saw and asserts what the widget says now. Outcome-true summaries, errors that say what to
// fix (the backend's message, a failed CSRF fetch, a never-reached host), `accept` for drops
// and addFiles, status polling that gives up, the fallback form's file adopted, the leave-page
// warning, the stylesheet loading with the wasm, and contrast. Every upload's MD5 is checked
// against what the simulator stored.
import { test, expect, sim, md5 } from "./fixtures.mjs";
import { Widget, file, throttleUploads, refuseUploads } from "./ui-widget.mjs";
import { layoutFacts } from "./layout-facts.mjs";

/** Sets attributes on the demo's element (the widget follows them live). */
async function configure(page, attrs) {
  await page.evaluate((a) => {
    const el = document.querySelector("jw-upload");
    for (const [k, v] of Object.entries(a)) {
      if (v === null) el.removeAttribute(k); else el.setAttribute(k, v);
    }
  }, attrs);
}

async function checkStored(w, f) {
  expect((await sim.media(await w.mediaId(f.name))).md5).toBe(md5(f.buffer));
}

test("a backend refusal shows its own message with the status once, and the summary is not green", async ({ page }) => {
  const w = await Widget.open(page);
  const f = file("not-allowed.mp4", 200_000, 81);
  await refuseUploads(page, f.name, 400);
  await w.choose(f);
  await w.waitState(f.name, "failed");
  await expect(w.stateText(f.name)).toHaveText(
    "failed: the backend refused the upload (HTTP 400): file type not allowed.");
  const summary = w.host.getByTestId("overall-summary");
  await expect(summary).toHaveText("0 of 1 done, 1 failed");
  await expect(w.host.getByTestId("overall")).toHaveAttribute("data-outcome", "failed");
  await expect(w.overall.locator(".bar-fill")).not.toHaveClass(/done/);
  await expect(w.host.getByTestId("overall-percent")).toHaveText("");
  // Retry: it uploads, and only now is the summary green.
  await w.button(f.name, "retry").click();
  await w.waitState(f.name, "ready");
  await checkStored(w, f);
  await expect(summary).toHaveText("1 of 1 done");
  await expect(w.host.getByTestId("overall")).toHaveAttribute("data-outcome", "done");
  await expect(w.overall.locator(".bar-fill")).toHaveClass(/done/);
});

test("cancelled rows are neutral and counted apart; only-cancelled never reads 0 of 0", async ({ page }) => {
  const w = await Widget.open(page);
  const restore = await throttleUploads(page, 200_000);
  const f = file("cancel-me.mp4", 3_000_000, 82);
  await w.choose(f);
  await w.waitState(f.name, "uploading", 30_000);
  await w.button(f.name, "cancel").click();
  await w.waitState(f.name, "cancelled");
  await restore();
  await expect(w.host.getByTestId("overall-summary")).toHaveText("0 of 1 done, 1 cancelled");
  await expect(w.host.getByTestId("overall")).toHaveAttribute("data-outcome", "cancelled");
  await expect(w.row(f.name).locator(".bar-fill")).toHaveClass(/cancelled/);
  await expect(w.row(f.name).locator(".bar-fill")).not.toHaveClass(/failed/);
  const ok = file("kept.mp4", 300_000, 83);
  await w.choose(ok);
  await w.waitState(ok.name, "ready");
  await checkStored(w, ok);
  await expect(w.host.getByTestId("overall-summary")).toHaveText("1 of 2 done, 1 cancelled");
  await expect(w.host.getByTestId("overall")).toHaveAttribute("data-outcome", "cancelled");
});

test("a failed CSRF fetch stops the queue with the backend's reason: no upload POST", async ({ page }) => {
  const posts = [];
  page.on("request", (r) => {
    if (r.method() === "POST" && new URL(r.url()).pathname === "/api/uploads") posts.push(r.url());
  });
  await page.route("**/api/csrf", (route) => route.fulfill({
    status: 403, contentType: "application/json",
    body: JSON.stringify({ error: { code: "csrf", message: "the CSRF cookie is missing: allow cookies for this site" } }),
  }));
  const w = await Widget.open(page);
  const a = file("csrf-a.mp4", 200_000, 84);
  const b = file("csrf-b.mp4", 200_000, 85);
  await w.choose(a, b);
  for (const f of [a, b]) {
    await w.waitState(f.name, "failed");
    await expect(w.stateText(f.name)).toHaveText(
      "failed: the backend refused the CSRF token (HTTP 403: the CSRF cookie is missing: allow cookies for this site); no upload was started.");
  }
  expect(posts).toEqual([]);
  await page.unrouteAll();
  await w.button(a.name, "retry").click();
  await w.waitState(a.name, "ready");
  await checkStored(w, a);
  expect(posts.length).toBe(1);
});

test("a never-reached upload host is named within 10 s, not after eight backoff rounds", async ({ page }) => {
  const w = await Widget.open(page);
  // Nothing listens on port 9, and the page's CSP does not list it either: the browser
  // refuses before any byte leaves, as with a CSP or CORS mistake.
  await configure(page, { "upload-api-base": "http://127.0.0.1:9" });
  await w.useMethod("multipart");
  const f = file("unreachable.mp4", 6_000_000, 86);
  const t0 = Date.now();
  await w.choose(f);
  await w.waitState(f.name, "failed", 10_000);
  expect(Date.now() - t0).toBeLessThan(10_000);
  await expect(w.stateText(f.name)).toContainText(
    "failed: cannot reach 127.0.0.1:9: check the page's CSP connect-src and the server's CORS");
});

test("accept holds for drops and addFiles: a .txt or .pdf gets a plain reason and no upload", async ({ page }) => {
  const w = await Widget.open(page);
  await configure(page, { accept: "video/*" });
  const completes = [];
  await page.exposeFunction("__queueComplete", (d) => completes.push(d));
  await page.evaluate(() => document.querySelector("jw-upload")
    .addEventListener("queue-complete", (e) => window.__queueComplete(e.detail)));
  const txt = file("notes.txt", 2_000, 87, "text/plain");
  const good = file("dropped.mp4", 250_000, 88);
  await w.drop(txt, good);
  await w.waitState(txt.name, "failed");
  await expect(w.stateText(txt.name)).toHaveText(
    "failed: not accepted here: this uploader takes video/* and this is text/plain");
  await expect(w.button(txt.name, "retry")).toHaveCount(0);
  await w.waitState(good.name, "ready");
  await checkStored(w, good);
  // The queue is over once, when the accepted file is: not when the refused one failed.
  await expect.poll(() => completes).toEqual([{ count: 2, succeeded: 1 }]);
  await page.evaluate(() => {
    const pdf = new File([new Uint8Array(1000)], "manual.pdf", { type: "application/pdf" });
    document.querySelector("jw-upload").addFiles([pdf]);
  });
  await w.waitState("manual.pdf", "failed");
  await expect(w.stateText("manual.pdf")).toContainText("this is application/pdf");
  const created = (await sim.log()).filter((e) => /notes\.txt|manual\.pdf/.test(JSON.stringify(e)));
  expect(created).toEqual([]);
});

test("a wrong status endpoint ends in 'status unavailable', not 'processing' forever", async ({ page }) => {
  const w = await Widget.open(page);
  await configure(page, { "status-endpoint": "api/no-such-route" }); // relative to the page
  const polls = [];
  page.on("response", (r) => { if (r.url().includes("/api/no-such-route/")) polls.push(r.status()); });
  const f = file("no-status.mp4", 300_000, 89);
  await w.choose(f);
  await w.waitState(f.name, "uploaded", 60_000);
  await expect(w.stateText(f.name)).toHaveText("uploaded · status unavailable");
  await expect(w.stateText(f.name)).toHaveAttribute("title", /answered HTTP 404 5 times/);
  expect(polls).toEqual([404, 404, 404, 404, 404]);
  await checkStored(w, f);
  await expect(w.host.getByTestId("overall-summary")).toHaveText("1 of 1 done");
});

test("a file chosen in the fallback form while the wasm loads is adopted by the widget", async ({ page }) => {
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route("**/*.wasm", async (route) => { await held; await route.continue(); });
  await page.goto("/upload-form");
  const f = file("chosen-early.mp4", 400_000, 90);
  const plain = page.locator("jw-upload form input[type=file]");
  await plain.setInputFiles(f);
  release();
  const w = new Widget(page);
  await expect(w.host).toHaveAttribute("upgraded", "");
  await w.waitState(f.name, "ready");
  await checkStored(w, f);
});

test("the stylesheet is fetched while the wasm loads, not after it", async ({ page }) => {
  const at = {};
  page.on("request", (r) => {
    const p = new URL(r.url()).pathname;
    if (p.endsWith("jw-upload-element.css") && !at.css) at.css = Date.now();
  });
  page.on("requestfinished", (r) => {
    if (r.url().endsWith(".wasm") && !at.wasm) at.wasm = Date.now();
  });
  await page.route("**/*.wasm", async (route) => {
    await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
  });
  await Widget.open(page);
  expect(at.css && at.wasm).toBeTruthy();
  expect(at.css).toBeLessThan(at.wasm);
});

test("leaving the page during an upload asks first; leave-warning=false does not", async ({ page }) => {
  const w = await Widget.open(page);
  const restore = await throttleUploads(page, 150_000);
  await page.mouse.click(5, 5); // a user gesture: browsers only ask pages the user touched
  const f = file("leaving.mp4", 3_000_000, 91);
  await w.choose(f);
  await w.waitState(f.name, "uploading", 30_000);
  const dialogs = [];
  page.on("dialog", async (d) => { dialogs.push(d.type()); await d.dismiss(); });
  await page.close({ runBeforeUnload: true }).catch(() => {});
  await expect.poll(() => dialogs.length).toBe(1);
  expect(dialogs).toEqual(["beforeunload"]);
  expect(page.isClosed()).toBe(false);
  await configure(page, { "leave-warning": "false" });
  expect(await page.evaluate(() => document.querySelector("jw-upload").leaveWarning)).toBe(false);
  await page.close({ runBeforeUnload: true });
  await expect.poll(() => page.isClosed()).toBe(true);
  expect(dialogs.length).toBe(1);
  await restore().catch(() => {});
});

// WCAG 2.1: 1.4.11 non-text contrast (3:1) and 1.4.3 text contrast (4.5:1), computed from
// the rendered colours.
test("controls reach 3:1 and text 4.5:1 against what is behind them", async ({ page }) => {
  const w = await Widget.open(page);
  await w.importUrl.fill("x");
  const ratios = await w.host.evaluate((host) => {
    const root = host.shadowRoot;
    const rgb = (c) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
    const lum = (c) => {
      const [r, g, b] = rgb(c).map((v) => {
        const s = v / 255;
        return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const ratio = (a, b) => {
      const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m);
      return (x + 0.05) / (y + 0.05);
    };
    const bgOf = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = getComputedStyle(e).backgroundColor;
        if (c && !c.startsWith("rgba(0, 0, 0, 0)") && c !== "transparent") return c;
      }
      return "rgb(255, 255, 255)";
    };
    const input = root.querySelector("input.input");
    const drop = root.querySelector(".drop");
    const probe = document.createElement("div");
    probe.className = "bar";
    probe.innerHTML = '<div class="bar-fill paused" style="width:50%"></div>';
    root.querySelector(".jwu").append(probe);
    const track = getComputedStyle(probe).backgroundColor;
    const out = {
      inputBorder: ratio(getComputedStyle(input).borderTopColor, bgOf(input.parentElement)),
      dropBorder: ratio(getComputedStyle(drop).borderTopColor, bgOf(drop)),
      placeholder: ratio(getComputedStyle(input, "::placeholder").color, bgOf(input)),
      pausedFill: ratio(getComputedStyle(probe.firstElementChild).backgroundColor, track),
      muted: ratio(getComputedStyle(root.querySelector(".drop-hint")).color, bgOf(drop)),
    };
    probe.remove();
    return out;
  });
  for (const k of ["inputBorder", "dropBorder", "pausedFill"]) expect(ratios[k], k).toBeGreaterThanOrEqual(3);
  for (const k of ["placeholder", "muted"]) expect(ratios[k], k).toBeGreaterThanOrEqual(4.5);
  await expect(w.dropzone).toContainText("Enter or Space");
});

for (const width of [280, 345, 420, 768]) {
  test(`layout by the element's own width: ${width} px`, async ({ page }) => {
    await page.setViewportSize({ width: 1280, height: 900 });
    const w = await Widget.open(page);
    await w.host.evaluate((el, px) => { el.style.width = `${px}px`; el.style.maxWidth = `${px}px`; }, width);
    const bad = file("a-refused-interview-with-a-very-long-descriptive-file-name-take-3.mov", 100_000, 92, "video/quicktime");
    await refuseUploads(page, bad.name, 400);
    await w.choose(bad);
    await w.waitState(bad.name, "failed");
    await page.unrouteAll();
    const restore = await throttleUploads(page, 300_000);
    const long = file("holiday-in-the-alps-final-cut-4k-hdr-master.mp4", 6_000_000, 93);
    await w.choose(long);
    await w.waitState(long.name, "uploading", 30_000);
    await expect(w.row(long.name).getByTestId("file-rate")).toContainText("/s", { timeout: 30_000 });
    const f = await w.host.evaluate(layoutFacts);
    await w.host.screenshot({ path: `artifacts/screens/layout-${width}.png` });
    // Cancelled while still throttled: unthrottled, the file would finish and its Cancel go.
    await w.button(long.name, "cancel").click();
    await restore();
    expect(f.rows).toBe(2);
    expect(f.brokenWords, "state words broken mid-word").toEqual([]);
    expect(f.overlaps, "state runs into the speed").toEqual([]);
    expect(f.overflow, "rows wider than the element").toEqual([]);
    expect(f.widest).toBeLessThanOrEqual(width + 1);
    for (const n of f.names) expect(n.title).toBe(n.text);
    if (width <= 420) expect(f.names.every((n) => n.ellipsised)).toBe(true);
  });
}

test("the demo: trouble read back from the simulator on load, a focusable event list, a favicon", async ({ page }) => {
  await sim.faults([{ target: "s3", probability: 1, fault: { kind: "bandwidth", bytes_per_sec: 1_000_000 } }]);
  try {
    const icons = [];
    page.on("response", (r) => { if (/favicon/.test(r.url())) icons.push(r.status()); });
    await Widget.open(page);
    await expect(page.getByTestId("trouble-slow")).toBeChecked();
    await expect(page.getByTestId("trouble-fail")).not.toBeChecked();
    await expect(page.getByTestId("trouble-status")).toHaveText("Trouble on: slow line.");
    await page.getByTestId("events").focus();
    await expect(page.getByTestId("events")).toBeFocused();
    await expect.poll(() => icons).toEqual([200]);
  } finally {
    await sim.clearFaults();
  }
});
