// A bare Chrome DevTools Protocol client over --remote-debugging-pipe (fds 3 and 4): no
// WebSocket, no Playwright, and no Network domain, so the browser never records request bodies.
import { spawn } from "node:child_process";

export const CHROMIUM_FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
  "--disable-extensions", "--mute-audio", "--remote-debugging-pipe",
];

export class Browser {
  /** Starts Chromium (`/usr/bin/chromium`) with a fresh profile in `profileDir`. */
  static launch(profileDir, chromium = "/usr/bin/chromium") {
    const child = spawn(chromium, [...CHROMIUM_FLAGS, `--user-data-dir=${profileDir}`, "about:blank"], {
      stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"],
    });
    return new Browser(child);
  }

  constructor(child) {
    this.child = child;
    this.pid = child.pid;
    this.nextId = 1;
    this.waiting = new Map();
    this.stderr = "";
    child.stderr.on("data", (d) => { this.stderr = (this.stderr + d).slice(-4000); });
    let pending = Buffer.alloc(0);
    child.stdio[4].on("data", (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      let end;
      while ((end = pending.indexOf(0)) >= 0) {
        const msg = JSON.parse(pending.subarray(0, end).toString("utf8"));
        pending = pending.subarray(end + 1);
        const w = msg.id !== undefined && this.waiting.get(msg.id);
        if (w) {
          this.waiting.delete(msg.id);
          msg.error ? w.reject(new Error(`${w.method}: ${msg.error.message}`)) : w.resolve(msg.result);
        }
      }
    });
    child.on("exit", (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`chromium exited (${code}): ${this.stderr}`));
      this.waiting.clear();
    });
  }

  send(method, params = {}, sessionId) {
    const id = this.nextId++;
    const msg = { id, method, params, ...(sessionId ? { sessionId } : {}) };
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, method });
      this.child.stdio[3].write(JSON.stringify(msg) + "\0");
    });
  }

  /** A new tab at `url`, attached (flat session). */
  async newPage(url) {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true });
    const page = new Page(this, sessionId, targetId);
    await page.goto(url);
    return page;
  }

  async close() {
    try { await Promise.race([this.send("Browser.close"), new Promise((r) => setTimeout(r, 3000))]); } catch { /* gone */ }
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once("exit", r));
      this.child.kill("SIGKILL");
      await exited;
    }
  }
}

export class Page {
  constructor(browser, sessionId, targetId) {
    Object.assign(this, { browser, sessionId, targetId });
  }

  send(method, params) {
    return this.browser.send(method, params, this.sessionId);
  }

  async goto(url) {
    await this.send("Page.navigate", { url });
    await this.waitFor("document.body && document.body.dataset.ready === 'true'");
  }

  async reload() {
    await this.send("Page.reload", {});
    await new Promise((r) => setTimeout(r, 50));
    await this.waitFor("document.body && document.body.dataset.ready === 'true'");
  }

  async waitFor(expr, timeoutMs = 30000) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try { if (await this.eval(expr)) return; } catch { /* navigating */ }
      if (Date.now() > until) throw new Error(`timed out waiting for ${expr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Evaluates `expr` in the page (awaiting a Promise); returns its JSON value. Rejects after
   * `timeoutMs` (the page may still be running it: reload to stop it). */
  async eval(expr, timeoutMs = 600000) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s: ${expr}`)), timeoutMs);
    });
    const r = await Promise.race([
      this.send("Runtime.evaluate", { expression: expr, awaitPromise: true, returnByValue: true }),
      timeout,
    ]).finally(() => clearTimeout(timer));
    if (r.exceptionDetails) {
      const d = r.exceptionDetails;
      throw new Error(`${d.exception?.description || d.text}`);
    }
    return r.result.value;
  }

  /** Puts `path` into the page's `<input type=file id=...>`. */
  async setFile(id, path) {
    const r = await this.send("Runtime.evaluate", { expression: `document.getElementById(${JSON.stringify(id)})` });
    await this.send("DOM.setFileInputFiles", { files: [path], objectId: r.result.objectId });
  }
}
