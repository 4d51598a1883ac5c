// Shared helpers for the Playwright suites: the simulator's admin API, CSP watching, MD5.
import { test as base, expect } from "@playwright/test";
import { createHash } from "node:crypto";

export const SIM = process.env.JW_SIM_URL;
export const DEMO = process.env.JW_DEMO_URL;

/** MD5 hex of a Buffer. */
export const md5 = (buf) => createHash("md5").update(buf).digest("hex");

/** Deterministic bytes (xorshift), different per seed. */
export const bytes = (len, seed = 1) => fill(Buffer.alloc(len), seed);

/**
 * Fills `out` (any Uint8Array) with the bytes of `bytes(out.length, seed)`. Self-contained, so
 * the WebDriver suites (tests/webdriver) can send its source to a page and build the same file
 * there instead of sending the bytes.
 */
export function fill(out, seed = 1) {
  let x = (seed * 2654435761 + 1) >>> 0;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** The simulator's admin API. */
export const sim = {
  async media(key, resource) {
    const q = resource ? `?resource=${resource}` : "";
    const r = await fetch(`${SIM}/_sim/media/${key}${q}`);
    return r.ok ? r.json() : null;
  },
  async faults(rules, seed = 7) {
    await fetch(`${SIM}/_sim/faults`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ rules, seed }),
    });
  },
  async clearFaults() { await fetch(`${SIM}/_sim/faults`, { method: "DELETE" }); },
  async log() { return (await fetch(`${SIM}/_sim/log`)).json(); },
  async clearLog() { await fetch(`${SIM}/_sim/log`, { method: "DELETE" }); },
};

/** A page that records Content-Security-Policy violations and page errors. */
export const test = base.extend({
  page: async ({ page }, use) => {
    page.cspViolations = [];
    page.pageErrors = [];
    await page.exposeFunction("__jwuCsp", (v) => page.cspViolations.push(v));
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) =>
        window.__jwuCsp(`${e.violatedDirective} ${e.blockedURI}`));
    });
    page.on("pageerror", (e) => page.pageErrors.push(String(e)));
    await use(page);
  },
});

export { expect };
