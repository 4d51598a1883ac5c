// The WebDriver suites' fixtures: one browser session of the engine named by JW_ENGINE (firefox
// or webkit), driven through W3C WebDriver with explicit driver and browser paths (nothing is
// ever downloaded: the drivers are started here, so selenium-manager never runs), pages on the
// backend that `cargo xtask test --only browsers` started (JW_DEMO_URL, JW_SIM_URL), and helpers
// to run async code in the page and build test files there.
import { Builder, Capabilities } from "selenium-webdriver";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fill } from "../e2e/fixtures.mjs";
import { freePort, listening } from "../e2e/reliability-lib.mjs";

export { bytes, md5 } from "../e2e/fixtures.mjs";
export { simApi, uploads, METHODS, MIB } from "../e2e/reliability-lib.mjs";

export const ENGINE = process.env.JW_ENGINE ?? "firefox";
export const SIM = process.env.JW_SIM_URL;
export const DEMO = process.env.JW_DEMO_URL;
export const ARTIFACTS = process.env.JW_ARTIFACTS ?? path.resolve(import.meta.dirname, "../../target/webdriver");

const WEBKIT_DIR = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1";

/** geckodriver from `cargo install` (setup puts it in ~/.cargo/bin). */
function geckodriver() {
  const home = path.join(process.env.CARGO_HOME ?? path.join(os.homedir(), ".cargo"), "bin/geckodriver");
  return process.env.GECKODRIVER ?? (existsSync(home) ? home : "geckodriver");
}

/** Per engine: the driver's command line and the session's capabilities. */
const ENGINES = {
  firefox: {
    driver: (port) => [geckodriver(), ["--port", String(port), "--host", "127.0.0.1"]],
    caps: {
      browserName: "firefox",
      "moz:firefoxOptions": {
        binary: "/usr/bin/firefox-esr",
        args: ["-headless", "-width", "1280", "-height", "900"],
        prefs: {
          "app.update.disabledForTesting": true, "browser.shell.checkDefaultBrowser": false,
          "datareporting.policy.dataSubmissionEnabled": false, "toolkit.telemetry.enabled": false,
          "network.captive-portal-service.enabled": false, "extensions.update.enabled": false,
        },
      },
    },
  },
  // Not run by the phase (the Playwright suites cover Chromium): for comparing screenshots.
  chromium: {
    driver: (port) => ["/usr/bin/chromedriver", [`--port=${port}`]],
    caps: {
      browserName: "chrome",
      "goog:chromeOptions": {
        binary: "/usr/bin/chromium",
        args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"],
      },
    },
  },
  webkit: {
    driver: (port) => ["/usr/bin/WebKitWebDriver", [`--port=${port}`, "--host=127.0.0.1"]],
    caps: {
      browserName: "MiniBrowser",
      "webkitgtk:browserOptions": { binary: `${WEBKIT_DIR}/MiniBrowser`, args: ["--automation"] },
    },
  },
};

/** An X display for WebKitGTK (it has no working headless mode here): `Xvfb -displayfd`. */
async function startXvfb() {
  const x = spawn("Xvfb", ["-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"], {
    stdio: ["ignore", "ignore", "ignore", "pipe"],
  });
  const display = await new Promise((ok, fail) => {
    let out = "";
    x.stdio[3].on("data", (d) => {
      out += d;
      if (out.includes("\n")) ok(`:${out.trim()}`);
    });
    x.on("exit", (code) => fail(new Error(`Xvfb exited (${code})`)));
  });
  return { display, stop: () => x.kill() };
}

/**
 * A browser session of ENGINE: `{ driver, version, exec, open, stop }`. `exec(fn, ...args)` runs
 * `fn` (an async function, sent as source: it sees only its arguments and the page) in the page
 * and returns its result; a throw in the page rejects with its message.
 */
export async function session() {
  const engine = ENGINES[ENGINE];
  if (!engine) throw new Error(`unknown JW_ENGINE ${ENGINE} (firefox or webkit)`);
  const xvfb = ENGINE === "webkit" ? await startXvfb() : null;
  const port = await freePort();
  const [cmd, args] = engine.driver(port);
  const child = spawn(cmd, args, {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, ...(xvfb ? { DISPLAY: xvfb.display } : {}), MOZ_HEADLESS: "1" },
  });
  await listening(port, child, cmd);
  const driver = await new Builder()
    .usingServer(`http://127.0.0.1:${port}`)
    .withCapabilities(new Capabilities(engine.caps))
    .build();
  await driver.manage().setTimeouts({ script: 300_000, pageLoad: 60_000 });
  if (ENGINE === "webkit") await driver.manage().window().setRect({ width: 1280, height: 900 }).catch(() => {});
  const caps = await driver.getCapabilities();
  const version = `${caps.get("browserName")} ${caps.get("browserVersion")}`;

  async function exec(fn, ...params) {
    const script = `const done = arguments[arguments.length - 1];
      const fill = ${fill};
      (${fn})(...Array.from(arguments).slice(0, -1)).then(
        (value) => done({ value: value === undefined ? null : value }),
        (e) => done({ error: String(e && e.stack || e) }));`;
    const r = await driver.executeAsyncScript(script, ...params);
    if (r && r.error) throw new Error(`in ${ENGINE}: ${r.error}`);
    return r ? r.value : null;
  }

  /** Opens `url` and waits until the page says it is ready (body[data-ready=true]). */
  async function open(url) {
    await driver.get(url);
    await exec(async () => {
      const until = Date.now() + 60_000;
      while (document.body?.dataset.ready !== "true") {
        if (Date.now() > until) throw new Error("the page never became ready");
        await new Promise((r) => setTimeout(r, 50));
      }
    });
  }

  async function stop() {
    await driver.quit().catch(() => {});
    child.kill();
    xvfb?.stop();
  }
  return { driver, version, exec, open, stop };
}

/** The reliability harness page (window.rel) on the backend, its uploads sent to the simulator. */
export const RELIABILITY = () => `${DEMO}/harness/reliability.html?sim=${encodeURIComponent(SIM)}`;

/**
 * In the page: a File of `fill(len, seed)` bytes. `lastModified` is fixed, so a File built again
 * after a reload is "the same file chosen again" (same name, size, type and date).
 */
export async function makeFile(s, { size, seed, name = "clip.mp4", type = "video/mp4" }) {
  await s.exec(async (size, seed, name, type) => {
    window.wdFiles ??= [];
    const data = fill(new Uint8Array(size), seed);
    window.wdFiles.push(new File([data], name, { type, lastModified: 1_700_000_000_000 }));
  }, size, seed, name, type);
}

/** Starts an upload of the last file made through window.rel; returns its run number. */
export async function start(s, opts = {}) {
  return s.exec(async (opts) => window.rel.start({ ...opts, file: window.wdFiles.at(-1) }), opts);
}

export const wait = (s, i) => s.exec(async (i) => window.rel.wait(i), i);
export const until = (s, i, n) => s.exec(async (i, n) => window.rel.until(i, n), i, n);
export const report = (s, i) => s.exec(async (i) => window.rel.report(i), i);
