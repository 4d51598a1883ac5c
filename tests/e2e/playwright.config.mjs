// Playwright suites in headless Debian Chromium, against the demo page, the backend and the
// simulator that `cargo xtask test` starts (JW_DEMO_URL, JW_SIM_URL).
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: ".",
  // The package suites (pkg-*) need the packed apps that `--only pkg` builds and serves
  // (JW_VITE_URL, JW_CMS_URL); the other phase runs everything else.
  testMatch: process.env.JW_VITE_URL ? /pkg-.*\.spec\.mjs$/ : /.*\.spec\.mjs$/,
  testIgnore: process.env.JW_VITE_URL ? [] : [/pkg-.*\.spec\.mjs$/, /apps\//],
  outputDir: "../../artifacts/e2e-results",
  timeout: 120_000,
  workers: Number(process.env.JW_E2E_WORKERS || 2),
  fullyParallel: false,
  reporter: [["list"]],
  use: {
    baseURL: process.env.JW_DEMO_URL,
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run",
      ],
    },
  },
});
