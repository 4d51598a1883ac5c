// The demo page loads its wasm under the strict CSP the backend serves it with.
import { test, expect } from "./fixtures.mjs";

test("the demo page loads the uploader under a strict CSP", async ({ page }) => {
  const response = await page.goto("/");
  const csp = response.headers()["content-security-policy"];
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).not.toContain("unsafe-inline");
  await expect(page.getByText(/Uploader .* loaded/)).toBeVisible();
  expect(page.cspViolations).toEqual([]);
  expect(page.pageErrors).toEqual([]);
});
