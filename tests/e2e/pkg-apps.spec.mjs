// The npm package as users get it: `npm pack`ed, installed into a Vite app (bundled by
// `vite build`, served from its own loopback origin that the backend allows: CORS with
// cookies) and into a static CMS page (one module script, the element; served by a backend of
// its own, same origin as its /api). Uploads run to completion and
// the simulator's MD5 of the stored bytes must equal the file's.
import { test, expect, sim, bytes, md5 } from "./fixtures.mjs";
import { Widget, file } from "./ui-widget.mjs";

const VITE = process.env.JW_VITE_URL;
const CMS = process.env.JW_CMS_URL;
const BACKEND = process.env.JW_BACKEND_URL;
const MIB = 1024 * 1024;
const query = `?backend=${encodeURIComponent(BACKEND)}&sim=${encodeURIComponent(process.env.JW_SIM_URL)}`;

async function uploadThrough(page, url, method, data) {
  const workers = [];
  page.on("worker", (w) => workers.push(w.url()));
  await page.goto(url + query);
  await expect(page.getByTestId("upload")).toBeEnabled();
  await page.getByTestId("method").selectOption(method);
  await page.getByTestId("file").setInputFiles({ name: "clip.mp4", mimeType: "video/mp4", buffer: data });
  await page.getByTestId("upload").click();
  const status = page.getByTestId("status");
  await expect(status).toHaveText(/^(done|failed)/, { timeout: 90_000 });
  await expect(status).toHaveText(new RegExp(`^done ${method === "auto" ? "\\w+" : method} `));
  const id = await status.getAttribute("data-media-id");
  const stored = await sim.media(id);
  expect(stored.md5).toBe(md5(data));
  expect(stored.size).toBe(data.length);
  expect(page.pageErrors).toEqual([]);
  return { id, workers };
}

for (const method of ["s3", "direct", "form", "resumable", "multipart"]) {
  test(`vite app: ${method} upload through the installed package`, async ({ page }) => {
    const size = method === "multipart" ? 6 * MIB + 99 : 1_200_000;
    const { workers } = await uploadThrough(page, VITE, method, bytes(size, 300 + size % 97));
    // The MD5 worker embedded by the package started (s3, direct and multipart verify ETags).
    if (["s3", "direct", "multipart"].includes(method)) expect(workers.length).toBeGreaterThan(0);
  });
}

test("vite app: the bundle carries the wasm as a hashed asset served as application/wasm", async ({ request }) => {
  const html = await (await request.get(VITE + "/")).text();
  const js = html.match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
  expect(js).toBeTruthy();
  const glue = await (await request.get(VITE + js)).text();
  const wasm = glue.match(/assets\/jw-upload_bg-[\w-]+\.wasm/)?.[0];
  expect(wasm, "the bundle references the hashed wasm asset").toBeTruthy();
  const res = await request.get(`${VITE}/${wasm}`);
  expect(res.headers()["content-type"]).toBe("application/wasm");
});

// The CMS page: plain HTML, one module script from the installed package, the <jw-upload>
// element (its own wasm build with the widget), served with the backend's strict CSP.
for (const [method, size] of [["resumable", 2 * MIB + 5], ["multipart", 5 * MIB + 1234], ["s3", 800_000], ["direct", 900_000]]) {
  test(`cms page: the <jw-upload> element from the package uploads by ${method}`, async ({ page }) => {
    await page.goto(CMS + "/");
    const w = new Widget(page);
    await expect(w.host).toHaveAttribute("upgraded", "");
    await page.evaluate(([sim, m]) => {
      const el = document.querySelector("jw-upload");
      el.uploadApiBase = sim;
      el.method = m;
    }, [process.env.JW_SIM_URL, method]);
    const f = file(`cms-${method}.mp4`, size, 320 + size % 13);
    await w.choose(f);
    await w.waitState(f.name, "ready", 90_000);
    const id = await w.mediaId(f.name);
    const stored = await sim.media(id);
    expect(stored.md5).toBe(md5(f.buffer));
    expect(stored.method).toBe(method);
    expect(page.cspViolations).toEqual([]);
    expect(page.pageErrors).toEqual([]);
  });
}

// The same CMS page served from an origin of its own (a static host), with the element calling
// the backend on another origin: `with-credentials` sends the cookies (the CSRF double-submit
// needs its cookie), and without it the backend refuses, in words, before any media exists.
const CMS_STATIC = process.env.JW_CMS_STATIC_URL;
for (const withCredentials of [true, false]) {
  test(`cms page on another origin: the element ${withCredentials ? "with" : "without"} with-credentials`, async ({ page }) => {
    await page.goto(CMS_STATIC + "/");
    const w = new Widget(page);
    await expect(w.host).toHaveAttribute("upgraded", "");
    await page.evaluate(([backend, sim, cookies]) => {
      const el = document.querySelector("jw-upload");
      el.endpoint = `${backend}/api/uploads`;
      el.csrfEndpoint = `${backend}/api/csrf`;
      el.statusEndpoint = `${backend}/api/media`;
      el.uploadApiBase = sim;
      el.method = "s3";
      el.withCredentials = cookies;
    }, [BACKEND, process.env.JW_SIM_URL, withCredentials]);
    expect(await w.host.evaluate((el) => el.withCredentials)).toBe(withCredentials);
    const f = file(`cross-origin-${withCredentials}.mp4`, 700_000, 333);
    await w.choose(f);
    if (withCredentials) {
      await w.waitState(f.name, "ready", 90_000);
      const stored = await sim.media(await w.mediaId(f.name));
      expect(stored.md5).toBe(md5(f.buffer));
    } else {
      await w.waitState(f.name, "failed", 90_000);
      // The backend's refusal (CSRF: its cookie did not come), never a media id.
      await expect(w.stateText(f.name)).toContainText(/refused|403|forbidden|csrf/i);
      expect(await w.row(f.name).getAttribute("data-media-id")).toBeFalsy();
    }
    expect(page.pageErrors).toEqual([]);
  });
}

// The npm README's element snippet, verbatim (xtask writes its first ```html block under "On a
// CMS page" into the CMS app as readme-snippet.html, served with the backend's CSP): what an
// integrator pastes must work as written.
test("cms page: the npm README's <jw-upload> snippet works verbatim", async ({ page }) => {
  const { readFileSync } = await import("node:fs");
  const readme = readFileSync(new URL("../../xtask/src/npm-readme.md", import.meta.url), "utf8");
  const snippet = readme.split("## On a CMS page")[1]?.split("```html\n")[1]?.split("```")[0];
  expect(snippet, "the README has the snippet").toBeTruthy();
  await page.goto(`${CMS}/readme-snippet.html`);
  expect(await page.content()).toContain(snippet.trim().split("\n")[0]);
  const w = new Widget(page);
  await expect(w.host).toHaveAttribute("upgraded", "", { timeout: 30_000 });
  const f = file("from-the-readme.mp4", 700_000, 77);
  await w.choose(f);
  await w.waitState(f.name, "ready", 90_000);
  expect((await sim.media(await w.mediaId(f.name))).md5).toBe(md5(f.buffer));
  expect(page.cspViolations).toEqual([]);
});
