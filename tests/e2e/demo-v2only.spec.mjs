// The demo page served by a backend holding only the v2 secret (`cargo xtask demo --v2-only`;
// the e2e phase starts one as JW_DEMO_V2_URL): it offers the v2 methods alone, `auto` uploads a
// small file with `direct` and a large one with `multipart`, and no v1 call is made.
import { test, expect, sim, md5 } from "./fixtures.mjs";
import { Widget, file } from "./ui-widget.mjs";

const V2 = process.env.JW_DEMO_V2_URL;

test("a v2-only backend: the page offers direct and multipart, auto picks by size, MD5 intact", async ({ page }) => {
  test.skip(!V2, "JW_DEMO_V2_URL is set by cargo xtask test");
  const config = await (await fetch(`${V2}/api/config`)).json();
  expect([...config.methods].sort()).toEqual(["direct", "fetch", "multipart"]);
  const calls = [];
  page.on("request", (r) => {
    if (r.url().endsWith("/api/uploads")) calls.push(JSON.parse(r.postData() ?? "{}"));
  });
  const w = await Widget.open(page, `${V2}/`);
  const offered = await w.method.locator("option").evaluateAll((os) => os.map((o) => o.value));
  expect(offered.filter((m) => m !== "auto").sort()).toEqual(["direct", "multipart"]);

  // auto: a small file goes direct (one PUT to the create reply's upload_link).
  const small = file("v2-small.mp4", 1_300_000, 41);
  await w.choose(small);
  await w.waitState(small.name, "ready");
  await expect(w.row(small.name)).toHaveAttribute("data-method", "direct");
  expect((await sim.media(await w.mediaId(small.name))).md5).toBe(md5(small.buffer));

  // multipart chosen in the selector.
  await w.useMethod("multipart");
  const big = file("v2-parts.mp4", 11_000_000, 42);
  await w.choose(big);
  await w.waitState(big.name, "ready");
  await expect(w.row(big.name)).toHaveAttribute("data-method", "multipart");
  expect((await sim.media(await w.mediaId(big.name))).md5).toBe(md5(big.buffer));

  expect(calls.map((c) => c.method).sort()).toEqual(["direct", "multipart"]);

  // A v1 method named in the request is refused by the backend before the platform is called.
  const refused = await page.evaluate(async () => {
    const csrf = await (await fetch("/api/csrf")).json();
    const r = await fetch("/api/uploads", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf.token },
      body: JSON.stringify({ method: "s3", file: { name: "x.mp4", size: 10 } }),
    });
    return { status: r.status, body: await r.text() };
  });
  expect(refused.status, refused.body).toBe(403);
  expect(JSON.parse(refused.body).error.code, refused.body).toBe("not_enabled");
  expect(page.pageErrors).toEqual([]);
});
