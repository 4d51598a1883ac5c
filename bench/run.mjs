// Run with: `cargo xtask bench [--quick]` (it starts the simulator and the backend, writes the
// test files, then runs `node bench/run.mjs CONFIG.json`). Measures the widget against raw
// browser uploads, Uppy, tus, UpChunk and MD5 peers in headless Chromium over a bare CDP pipe,
// interleaving runs pinned (browser on CPU 0, servers on CPU 1) and unpinned, then through a
// shared uplink capped at cfg.caps MiB/s (pinned); writes results.json and the markdown table.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { Browser, Page } from "./cdp.mjs";
import { report } from "./report.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
// BENCH_ONLY=md5,memory (development): only those groups; the report then has gaps.
// BENCH_CONTENDERS=raw-xhr-put,widget-s3 (development, with BENCH_ONLY): only those uploads.
const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(",") : null;
const wanted = (group) => !only || only.includes(group);
const started = Date.now();
const say = (msg) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null;
};

// ---------- build the page and measure bundle sizes ----------

async function buildPage() {
  const out = path.join(cfg.dist, "bench");
  fs.mkdirSync(out, { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(HERE, "src/page.js")], bundle: true, minify: true, format: "esm",
    external: ["/core/jw-upload.js"], outfile: path.join(out, "bench.js"), logLevel: "warning",
  });
  await esbuild.build({
    entryPoints: [path.join(HERE, "src/md5-bench-worker.js")], bundle: true, minify: true, format: "iife",
    outfile: path.join(out, "md5-bench-worker.js"), logLevel: "warning",
  });
  fs.copyFileSync(path.join(HERE, "src/index.html"), path.join(out, "index.html"));
  fs.copyFileSync(path.join(cfg.root, "js/md5-worker.js"), path.join(out, "widget-md5-worker.js"));
}

const gz = (buf) => zlib.gzipSync(buf, { level: 9 }).length;

async function bundleSize(entry, external = []) {
  const r = await esbuild.build({
    entryPoints: [entry], bundle: true, minify: true, format: "esm", write: false,
    logLevel: "silent", platform: "browser", external,
  });
  const js = r.outputFiles[0].contents;
  return { raw: js.length, gzip: gz(js) };
}

/** The widget's glue JS (md5 worker inlined by wasm-bindgen) minified like the peers, + its wasm,
 * + `extra` files of the full widget (the `<jw-upload>` element's JS, minified, and CSS). */
async function widgetSize(dir, extra = []) {
  const js = await bundleSize(path.join(dir, "jw-upload.js"));
  const wasm = fs.readFileSync(path.join(dir, "jw-upload_bg.wasm"));
  const s = { raw: js.raw + wasm.length, gzip: js.gzip + gz(wasm), js: js.gzip, wasm: gz(wasm) };
  for (const name of extra) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) continue;
    // The element script imports the glue counted above: bundled again, it would count twice.
    const e = name.endsWith(".js") ? await bundleSize(file, ["./jw-upload.js"]) : { raw: fs.statSync(file).size, gzip: gz(fs.readFileSync(file)) };
    s.raw += e.raw;
    s.gzip += e.gzip;
    s.js += e.gzip;
  }
  return s;
}

async function sizes() {
  const s = { widget: await widgetSize(path.join(cfg.dist, "core")), "core-alone": await widgetSize(path.join(cfg.dist, "core-alone")) };
  try {
    s["widget-ui"] = await widgetSize(cfg.dist, ["jw-upload-element.js", "jw-upload-element.css"]);
  } catch (e) {
    s["widget-ui"] = { missing: `the demo build has no widget (${e.message})` };
  }
  for (const name of ["tus-js-client", "upchunk", "uppy-aws-s3", "uppy-aws-s3-dashboard"]) {
    s[name] = await bundleSize(path.join(HERE, "src/size", `${name}.js`));
  }
  return s;
}

// ---------- processes: pinning and memory ----------

function children() {
  const map = new Map();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!map.has(ppid)) map.set(ppid, []);
      map.get(ppid).push(Number(d));
    } catch { /* exited */ }
  }
  return map;
}

function tree(pid) {
  const kids = children();
  const out = [];
  const walk = (p) => { out.push(p); for (const c of kids.get(p) || []) walk(c); };
  walk(pid);
  return out;
}

function setAffinity(pids, cpus) {
  for (const pid of pids) {
    spawnSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
  }
}

const ALL_CPUS = cfg.cpus > 1 ? `0-${cfg.cpus - 1}` : "0";

function pin(mode, browser) {
  const servers = [...tree(cfg.simPid), ...tree(cfg.backendPid)];
  if (mode === "pinned") {
    setAffinity(tree(browser.pid), "0");
    setAffinity(servers, "1");
  } else {
    setAffinity(tree(browser.pid), ALL_CPUS);
    setAffinity(servers, ALL_CPUS);
  }
}

function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch { return 0; }
}

function isRenderer(pid) {
  try { return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--type=renderer"); } catch { return false; }
}

function memory(browserPid) {
  let renderer = 0;
  let all = 0;
  for (const pid of tree(browserPid)) {
    const r = rssOf(pid);
    all += r;
    if (isRenderer(pid)) renderer += r;
  }
  return { renderer, all };
}

// ---------- the simulator ----------

const sim = {
  clearLog: () => fetch(`${cfg.sim}/_sim/log`, { method: "DELETE" }),
  log: async () => (await fetch(`${cfg.sim}/_sim/log`)).json(),
  media: async (key) => (await fetch(`${cfg.sim}/_sim/media/${key}`)).json(),
  /** Removes stored uploads so the data folder (tmpfs) never holds more than one. */
  wipe() {
    for (const e of fs.readdirSync(cfg.simData)) fs.rmSync(path.join(cfg.simData, e), { recursive: true, force: true });
  },
};

// ---------- measurements ----------

const parts = cfg.quick ? [[8, 1], [8, 4], [16, 4]] : [[8, 1], [8, 4], [8, 6], [16, 4], [32, 4], [64, 4]];
const THROUGHPUT = [
  { id: "raw-fetch-put", name: "raw-fetch-put" },
  { id: "raw-xhr-put", name: "raw-xhr-put" },
  { id: "raw-xhr-put-slice", name: "raw-xhr-put-slice" },
  { id: "widget-s3", name: "widget", args: { method: "s3" } },
  { id: "widget-s3-noverify", name: "widget", args: { method: "s3", options: { verify: false } } },
  { id: "raw-xhr-put-direct", name: "raw-xhr-put-direct" },
  { id: "widget-direct", name: "widget", args: { method: "direct" } },
  ...parts.map(([size, n]) => ({ id: `raw-xhr-slices-${size}MiBx${n}`, name: "raw-xhr-slices", args: { partSize: size * MiB, parallel: n }, slices: true })),
  { id: "widget-multipart", name: "widget", args: { method: "multipart" } },
  { id: "widget-multipart-noverify", name: "widget", args: { method: "multipart", options: { verify: false } } },
  { id: "widget-multipart-16MiB", name: "widget", args: { method: "multipart", options: { partSize: 16 * MiB } } },
  { id: "uppy-aws-s3", name: "uppy-aws-s3" },
  { id: "widget-form", name: "widget", args: { method: "form" } },
  { id: "uppy-xhr-form", name: "uppy-xhr-form" },
  { id: "widget-resumable", name: "widget", args: { method: "resumable" } },
];
// BENCH_CAPS=100 (development): only those caps (MiB/s) in the capped-link runs.
if (process.env.BENCH_CAPS) cfg.caps = process.env.BENCH_CAPS.split(",").map(Number);
const THROUGHPUT_ONLY = only && process.env.BENCH_CONTENDERS ? process.env.BENCH_CONTENDERS.split(",") : null;
const MD5 = ["read", "read-byob", "widget", "hash-wasm", "hash-wasm-byob", "spark-md5", "md5sum"];
const MEMORY = [
  { id: "widget-multipart", name: "widget", args: { method: "multipart" } },
  { id: "widget-multipart-noverify", name: "widget", args: { method: "multipart", options: { verify: false } } },
  { id: "uppy-aws-s3", name: "uppy-aws-s3" },
  { id: "raw-xhr-slices-8MiBx4", name: "raw-xhr-slices", args: { partSize: 8 * MiB, parallel: 4 } },
];

/** CPU time (user + system, ms) the processes `pids` have used so far (/proc, USER_HZ = 100). */
function cpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]);
    } catch { /* exited */ }
  }
  return ticks * 10;
}

async function upload(page, c, input, size, md5, browser) {
  await sim.clearLog();
  // CPU of every Chromium process (page, workers, network service, browser process) and of the
  // servers (simulator + backend) over the upload: what each MiB costs, and how busy the
  // browser's core was (pinned, it has one).
  const pids = tree(browser.pid);
  const servers = [...tree(cfg.simPid), ...tree(cfg.backendPid)];
  const [b0, s0, t0] = [cpuMs(pids), cpuMs(servers), performance.now()];
  const r = await page.eval(`window.bench.run(${JSON.stringify(c.name)}, ${JSON.stringify(input)}, ${JSON.stringify(c.args || {})})`);
  const [b1, s1, t1] = [cpuMs(pids), cpuMs(servers), performance.now()];
  const cpu = { browserCpu: (b1 - b0) / (size / MiB), serverCpu: (s1 - s0) / (size / MiB), browserBusy: (b1 - b0) / (t1 - t0) };
  const log = await sim.log();
  const stored = await sim.media(r.check);
  if (md5 && stored.md5 !== md5) throw new Error(`${c.id}: stored md5 ${stored.md5}, file ${md5}`);
  sim.wipe();
  const requests = log.filter((e) => e.method !== "OPTIONS").length;
  const preflights = log.length - requests;
  return { mibps: size / MiB / (r.bytesMs / 1000), totalMibps: size / MiB / (r.totalMs / 1000), requests, preflights, ...cpu };
}

// ---------- capped links (issue 17) ----------

/** Through the shared uplink, at each of cfg.caps (MiB/s). `fastOnly`: only at caps >= 100
 * MiB/s (the `verify: false` rows, cheap there and five times dearer at 20 MiB/s). */
const CAPPED = [
  { id: "raw-xhr-put", name: "raw-xhr-put" },
  { id: "widget-s3", name: "widget", args: { method: "s3" } },
  { id: "widget-s3-noverify", name: "widget", args: { method: "s3", options: { verify: false } }, fastOnly: true },
  { id: "raw-xhr-put-direct", name: "raw-xhr-put-direct" },
  { id: "widget-direct", name: "widget", args: { method: "direct" } },
  ...[[8, 4], [16, 4]].map(([size, n]) => ({ id: `raw-xhr-slices-${size}MiBx${n}`, name: "raw-xhr-slices", args: { partSize: size * MiB, parallel: n } })),
  { id: "widget-multipart", name: "widget", args: { method: "multipart" } },
  { id: "widget-multipart-noverify", name: "widget", args: { method: "multipart", options: { verify: false } }, fastOnly: true },
  { id: "uppy-aws-s3", name: "uppy-aws-s3" },
  { id: "widget-form", name: "widget", args: { method: "form" } },
  { id: "uppy-xhr-form", name: "uppy-xhr-form" },
];

/** One uplink of `mibps` for every request body (the simulator's shared bandwidth fault on
 * every target), or none. */
async function uplink(mibps) {
  const r = mibps
    ? await fetch(`${cfg.sim}/_sim/faults`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ seed: 1, rules: [{ target: "any", probability: 1, fault: { kind: "bandwidth", bytes_per_sec: mibps * MiB, shared: true } }] }),
    })
    : await fetch(`${cfg.sim}/_sim/faults`, { method: "DELETE" });
  if (!r.ok) throw new Error(`uplink ${mibps}: ${r.status} ${await r.text()}`);
}

/** The capped-link runs: pinned (unpinned when there is one core), runs interleaved over the
 * caps, the order of contenders rotating each run; medians like the loopback tables. */
async function cappedRuns(page, browser) {
  const t0 = Date.now();
  // BENCH_CAPPED_MODE=unpinned (development): the capped runs unpinned instead.
  const mode = cfg.cpus > 1 && process.env.BENCH_CAPPED_MODE !== "unpinned" ? "pinned" : "unpinned";
  pin(mode, browser);
  const samples = {};
  try {
    for (let run = 1; run <= cfg.runs; run++) {
      for (const cap of cfg.caps) {
        await uplink(cap);
        const order = CAPPED.map((_, i) => CAPPED[(i + run - 1) % CAPPED.length]).filter((c) => (!c.fastOnly || cap >= 100) && (!THROUGHPUT_ONLY || THROUGHPUT_ONLY.includes(c.id)));
        for (const c of order) {
          const v = await upload(page, c, "capped", cfg.capped.size, cfg.capped.md5, browser);
          samples[cap] ??= {};
          samples[cap][c.id] ??= { [mode]: [] };
          samples[cap][c.id][mode].push(v);
          say(`capped ${cap} MiB/s run ${run}/${cfg.runs} ${c.id.padEnd(28)} ${v.mibps.toFixed(1).padStart(6)} MiB/s  (${v.requests} requests; CPU per MiB: browser ${v.browserCpu.toFixed(2)} ms, servers ${v.serverCpu.toFixed(2)} ms; browser ${(100 * v.browserBusy).toFixed(0)}% of a core)`);
        }
      }
    }
  } finally {
    await uplink(0);
  }
  const throughput = {};
  for (const [cap, s] of Object.entries(samples)) throughput[cap] = summarize(s, ["mibps", "totalMibps", "requests", "preflights", "browserCpu", "serverCpu", "browserBusy"]);
  const seconds = Math.round((Date.now() - t0) / 1000);
  say(`capped-link runs took ${seconds} s`);
  return { caps: cfg.caps, mode, file: cfg.capped.size, seconds, throughput };
}

async function main() {
  say(`${cfg.quick ? "quick" : "full"} run: ${cfg.runs} run(s) per mode, files ${cfg.big.size / MiB} MiB / ${cfg.huge.size / MiB} MiB / md5 ${cfg.md5.size / MiB} MiB / capped ${cfg.capped.size / MiB} MiB at ${cfg.caps.join(", ")} MiB/s`);
  await buildPage();
  say("bundle sizes (esbuild --minify, gzip -9)");
  const result = { config: { quick: cfg.quick, runs: cfg.runs, cpus: cfg.cpus, files: { big: cfg.big.size, huge: cfg.huge.size, md5: cfg.md5.size } }, sizes: await sizes() };
  say(Object.entries(result.sizes).map(([k, v]) => `${k} ${v.gzip ? (v.gzip / 1024).toFixed(1) : "-"} KiB gz`).join(", "));
  result.chromium = execFileSync("/usr/bin/chromium", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  result.load = { before: fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ") };

  const profile = fs.mkdtempSync(path.join(cfg.work, "chromium-"));
  const browser = Browser.launch(profile);
  try {
    const page = await browser.newPage(`${cfg.backend}/bench/index.html`);
    await page.eval(`window.bench.init(${JSON.stringify(cfg.sim)})`);
    await page.setFile("big", cfg.big.path);
    await page.setFile("huge", cfg.huge.path);
    await page.setFile("md5", cfg.md5.path);
    await page.setFile("capped", cfg.capped.path);
    const resumable = await page.eval("window.bench.resumeSupport()");

    const samples = { throughput: {}, md5: {} };
    const add = (group, id, mode, v) => {
      samples[group][id] ??= { pinned: [], unpinned: [] };
      samples[group][id][mode].push(v);
    };
    const modes = cfg.cpus > 1 ? ["pinned", "unpinned"] : ["unpinned"];
    for (let run = 1; run <= cfg.runs; run++) {
      for (const mode of modes) {
        pin(mode, browser);
        // Rotate the order each run so no contender always follows the same one.
        const order = THROUGHPUT.map((_, i) => THROUGHPUT[(i + run - 1) % THROUGHPUT.length]).filter((c) => !THROUGHPUT_ONLY || THROUGHPUT_ONLY.includes(c.id));
        for (const c of wanted("throughput") ? order : []) {
          const v = await upload(page, c, "big", cfg.big.size, cfg.big.md5, browser);
          add("throughput", c.id, mode, v);
          say(`run ${run}/${cfg.runs} ${mode.padEnd(8)} ${c.id.padEnd(28)} ${v.mibps.toFixed(0).padStart(5)} MiB/s  (${v.requests} requests, ${v.preflights} preflights; CPU per MiB: browser ${v.browserCpu.toFixed(2)} ms, servers ${v.serverCpu.toFixed(2)} ms; browser ${(100 * v.browserBusy).toFixed(0)}% of a core)`);
        }
        for (const kind of wanted("md5") ? MD5 : []) {
          let ms;
          let digest;
          let cpu = null; // browser CPU per MiB (not for md5sum, which runs outside it)
          if (kind === "md5sum") {
            const t0 = process.hrtime.bigint();
            const args = mode === "pinned" ? ["taskset", "-c", "0", "md5sum", cfg.md5.path] : ["md5sum", cfg.md5.path];
            digest = execFileSync(args[0], args.slice(1), { encoding: "utf8" }).slice(0, 32);
            ms = Number(process.hrtime.bigint() - t0) / 1e6;
          } else {
            const pids = tree(browser.pid);
            const c0 = cpuMs(pids);
            const r = await page.eval(`window.bench.run("md5", "md5", { kind: ${JSON.stringify(kind)} })`);
            cpu = (cpuMs(pids) - c0) / (cfg.md5.size / MiB);
            ms = r.bytesMs;
            digest = r.check;
          }
          if (!kind.startsWith("read") && digest !== cfg.md5.md5) throw new Error(`md5 ${kind}: ${digest}, expected ${cfg.md5.md5}`);
          const v = { mibps: cfg.md5.size / MiB / (ms / 1000), browserCpu: cpu };
          add("md5", kind, mode, v);
          say(`run ${run}/${cfg.runs} ${mode.padEnd(8)} md5 ${kind.padEnd(24)} ${v.mibps.toFixed(0).padStart(5)} MiB/s${cpu == null ? "" : `  (browser CPU ${cpu.toFixed(2)} ms per MiB)`}`);
        }
      }
    }
    result.throughput = summarize(samples.throughput, ["mibps", "totalMibps", "requests", "preflights", "browserCpu", "serverCpu", "browserBusy"]);
    result.md5 = summarize(samples.md5, ["mibps", "browserCpu"]);
    if (wanted("capped")) result.capped = await cappedRuns(page, browser);

    // Resume: a multipart upload reloaded at half way, then the same file chosen again.
    pin("unpinned", browser);
    if (resumable && wanted("resume")) {
      const runs = [];
      const failures = [];
      const reopen = async () => {
        await page.reload();
        await page.eval(`window.bench.init(${JSON.stringify(cfg.sim)})`);
        for (const [id, f] of [["big", cfg.big], ["huge", cfg.huge], ["md5", cfg.md5], ["capped", cfg.capped]]) await page.setFile(id, f.path);
      };
      for (let run = 1; run <= cfg.runs; run++) {
        await page.eval("window.bench.forgetPending()");
        await sim.clearLog();
        let acked;
        let loaded;
        let reloadAt;
        let r;
        try {
          ({ acked, loaded } = await page.eval(`window.bench.resumeStart("big", { fraction: 0.5 })`, 120000));
          reloadAt = Date.now();
          await reopen();
          r = await page.eval(`window.bench.resumeFinish("big")`, 120000);
        } catch (e) {
          const log = await sim.log();
          const last = log.filter((x) => x.target === "part").slice(-3).map((x) => `${x.method} ${x.path.split("/").pop()} ${x.status} ${x.bytes_in}`);
          const trace = await page.eval("window.bench.resumeTrace()").catch(() => []);
          failures.push(`run ${run}: ${e.message.split("\n")[0]} (last part requests: ${last.join("; ")})`);
          if (trace.length) say(`resume run ${run}: the resumed upload's events:\n  ${trace.join("\n  ")}`);
          say(`resume run ${run}/${cfg.runs} failed: ${failures[failures.length - 1]}`);
          // Stop the stuck upload and forget it before its parts are wiped, so the next run
          // does not restore an upload whose parts are gone.
          await reopen();
          await page.eval("window.bench.forgetPending()");
          sim.wipe();
          continue;
        }
        const log = await sim.log();
        const stored = await sim.media(r.check);
        sim.wipe();
        if (stored.md5 !== cfg.big.md5) throw new Error(`resume: stored md5 ${stored.md5}, file ${cfg.big.md5}`);
        const parts = log.filter((e) => e.target === "part");
        const sum = (es) => es.reduce((a, e) => a + (e.bytes_in || 0), 0);
        const stored200 = sum(parts.filter((e) => e.status === 200));
        const v = {
          firstByteMs: r.firstSendAt === null ? null : r.firstSendAt - reloadAt, loadedAtReload: loaded, resentBytes: sum(parts) - cfg.big.size, ackedAtReload: acked, pending: r.pending,
          lostInFlight: sum(parts.filter((e) => e.status !== 200)), storedTwice: stored200 - cfg.big.size,
        };
        runs.push(v);
        say(`resume run ${run}/${cfg.runs}: first byte ${v.firstByteMs?.toFixed(0)} ms after the reload, ${(v.resentBytes / MiB).toFixed(1)} MiB sent twice (${(v.lostInFlight / MiB).toFixed(1)} MiB in requests cut by the reload, ${(v.storedTwice / MiB).toFixed(1)} MiB of parts stored twice; ${(loaded / MiB).toFixed(0)} MiB sent, ${(acked / MiB).toFixed(0)} MiB acknowledged at the reload, ${r.pending} pending record(s))`);
      }
      result.resume = {
        failures,
        n: runs.length, firstByteMs: median(runs.filter((v) => v.firstByteMs !== null).map((v) => v.firstByteMs)),
        loadedAtReload: median(runs.map((v) => v.loadedAtReload)), resentBytes: median(runs.map((v) => v.resentBytes)),
        ackedAtReload: median(runs.map((v) => v.ackedAtReload)), all: runs.map((v) => (v.firstByteMs === null ? "none" : Math.round(v.firstByteMs))),
        lostInFlight: median(runs.map((v) => v.lostInFlight)), storedTwice: median(runs.map((v) => v.storedTwice)),
      };
    } else {
      result.resume = null;
    }

    // Memory: one upload each of the big sparse file, sampled every 100 ms, unpinned.
    pin("unpinned", browser);
    result.memory = {};
    for (const c of wanted("memory") ? MEMORY : []) {
      await page.eval("new Promise((r) => setTimeout(r, 500))");
      await page.send("HeapProfiler.collectGarbage", {}).catch(() => {});
      const base = memory(browser.pid);
      const peak = { ...base };
      const timer = setInterval(() => {
        const m = memory(browser.pid);
        peak.renderer = Math.max(peak.renderer, m.renderer);
        peak.all = Math.max(peak.all, m.all);
      }, 100);
      let v;
      try {
        v = await upload(page, c, "huge", cfg.huge.size, null, browser);
      } finally {
        clearInterval(timer);
      }
      result.memory[c.id] = {
        rendererBase: base.renderer, rendererGrowth: peak.renderer - base.renderer,
        allBase: base.all, allGrowth: peak.all - base.all, mibps: v.mibps,
      };
      say(`memory ${c.id.padEnd(28)} renderer +${((peak.renderer - base.renderer) / MiB).toFixed(1)} MiB, all Chromium +${((peak.all - base.all) / MiB).toFixed(1)} MiB (${v.mibps.toFixed(0)} MiB/s)`);
    }
    result.loading = wanted("loading") ? await twoStepLoading(browser, page) : null;
  } finally {
    await browser.close();
    try { fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }); } catch { /* xtask removes its work folder */ }
  }
  result.load.after = fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  result.seconds = Math.round((Date.now() - started) / 1000);
  fs.writeFileSync(cfg.resultsJson, JSON.stringify(result, null, 2));
  const md = only ? "(partial run: BENCH_ONLY)\n" : report(result);
  fs.writeFileSync(cfg.markdown, md);
  say(`done in ${result.seconds} s`);
}

function summarize(samples, keys) {
  const out = {};
  for (const [id, byMode] of Object.entries(samples)) {
    out[id] = {};
    for (const [mode, vs] of Object.entries(byMode)) {
      if (!vs.length) continue;
      out[id][mode] = { n: vs.length };
      for (const k of keys) out[id][mode][k] = median(vs.map((v) => v[k]).filter((x) => x != null));
      out[id][mode].all = vs.map((v) => Math.round(v.mibps));
    }
  }
  return out;
}

// ---------- two-step loading (issue 17) ----------

// Watches the page's <jw-upload> from before its first script: when it became `interactive`
// (its shell usable) and `upgraded` (the widget mounted), and what the page had fetched by then.
const WATCH = `(() => {
  const fetched = () => {
    const es = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")];
    return { transfer: es.reduce((a, e) => a + (e.transferSize || 0), 0), encoded: es.reduce((a, e) => a + (e.encodedBodySize || 0), 0),
      names: es.map((e) => new URL(e.name).pathname), wasm: es.some((e) => e.name.endsWith(".wasm")) };
  };
  window.__jwuSeen = {};
  let done;
  window.__jwuInteractive = new Promise((r) => { done = r; });
  new MutationObserver((records) => {
    for (const m of records) {
      if (m.target.localName !== "jw-upload" || !m.target.hasAttribute(m.attributeName) || window.__jwuSeen[m.attributeName]) continue;
      window.__jwuSeen[m.attributeName] = { ms: performance.now(), ...fetched() };
      if (m.attributeName === "interactive") done(window.__jwuSeen.interactive);
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["interactive", "upgraded"] });
})()`;
const BODY_TARGETS = ["s3", "part", "form", "resumable"];

/** A tab in a browser context of its own (empty cache, no cookies), at `url`. */
async function coldPage(browser, url) {
  const { browserContextId } = await browser.send("Target.createBrowserContext", {});
  const { targetId } = await browser.send("Target.createTarget", { url: "about:blank", browserContextId });
  const { sessionId } = await browser.send("Target.attachToTarget", { targetId, flatten: true });
  const page = new Page(browser, sessionId, targetId);
  await page.send("Page.enable", {});
  await page.send("Page.addScriptToEvaluateOnNewDocument", { source: WATCH });
  await page.send("Page.navigate", { url });
  return { page, close: () => browser.send("Target.disposeBrowserContext", { browserContextId }) };
}

/** The simulator's first body byte (Unix ms) of any upload request, polled until `timeoutMs`. */
async function firstBodyByte(timeoutMs = 60000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const first = (await sim.log()).filter((e) => BODY_TARGETS.includes(e.target) && e.first_byte_ms != null).map((e) => e.first_byte_ms);
    if (first.length) return Math.min(...first);
    if (Date.now() > until) throw new Error("no upload body reached the simulator");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Chooses `file` in the element's file input (the shell's or the widget's) from outside, as a
 * user's pick; returns the simulator's first body byte minus the moment it was chosen. */
async function chooseAndTime(page, file) {
  await sim.clearLog();
  const r = await page.send("Runtime.evaluate", { expression: `document.querySelector("jw-upload").shadowRoot.querySelector('[data-testid="file-input"]')` });
  const wasm = await page.eval(`performance.getEntriesByType("resource").some((e) => e.name.endsWith(".wasm") && e.responseEnd > 0)`);
  const t0 = Date.now();
  await page.send("DOM.setFileInputFiles", { files: [file], objectId: r.result.objectId });
  const ms = (await firstBodyByte()) - t0;
  return { ms, wasmBefore: wasm };
}

/** Issue 17's figures on the reference backend's `/upload-form` (a plain CMS-like page: one
 * stylesheet, the element's one script, `<jw-upload>` around its fallback form), each run in a
 * fresh browser context: (a) bytes fetched and (b) time from navigation start when the drop zone
 * became usable; (c) first file chosen to its first body byte at the simulator, chosen at
 * `interactive` and after the wasm loaded; (d) the same for the JS API with the big file. */
async function twoStepLoading(browser, benchPage) {
  const url = `${cfg.backend}/upload-form`;
  // The element takes `accept="video/*"` there: the md5 file under a video name (a hard link).
  const clip = path.join(cfg.work, "clip.mp4");
  if (!fs.existsSync(clip)) fs.linkSync(cfg.md5.path, clip);
  const runs = [];
  for (let run = 1; run <= cfg.runs; run++) {
    const v = {};
    // (a), (b) and (c) at once: the file is chosen the moment the shell is usable.
    let tab = await coldPage(browser, url);
    try {
      // Awaited in the page, so the file goes in the moment the shell is usable.
      let seen = null;
      for (const until = Date.now() + 30000; !seen; await new Promise((r) => setTimeout(r, 5))) {
        if (Date.now() > until) throw new Error("the element never became interactive");
        seen = await tab.page.eval(`location.pathname === "/upload-form" && window.__jwuInteractive || null`, 30000).catch(() => null);
      }
      const early = await chooseAndTime(tab.page, clip);
      Object.assign(v, { interactiveMs: seen.ms, transfer: seen.transfer, encoded: seen.encoded, names: seen.names, wasmAtInteractive: seen.wasm, chosenEarlyMs: early.ms, wasmBeforeEarly: early.wasmBefore });
    } finally {
      await tab.close();
    }
    await new Promise((r) => setTimeout(r, 300));
    sim.wipe();
    // (c) again, the file chosen once the widget is mounted; and everything the page fetched.
    tab = await coldPage(browser, url);
    try {
      await tab.page.waitFor("!!window.__jwuSeen?.upgraded", 30000);
      const up = await tab.page.eval("window.__jwuSeen.upgraded");
      const late = await chooseAndTime(tab.page, clip);
      Object.assign(v, { upgradedMs: up.ms, transferUpgraded: up.transfer, chosenLateMs: late.ms });
    } finally {
      await tab.close();
    }
    await new Promise((r) => setTimeout(r, 300));
    sim.wipe();
    // (d) the JS API (no UI), the big file, s3 and multipart with their defaults (verify on).
    for (const method of ["s3", "multipart"]) {
      await sim.clearLog();
      const t0 = await benchPage.eval(`window.bench.firstByteStart("big", ${JSON.stringify(method)})`);
      v[`api-${method}`] = (await firstBodyByte()) - t0;
      await benchPage.eval("window.bench.firstByteStop()");
      await new Promise((r) => setTimeout(r, 300));
      sim.wipe();
    }
    runs.push(v);
    say(`two-step loading run ${run}/${cfg.runs}: interactive at ${v.interactiveMs.toFixed(0)} ms with ${(v.transfer / 1024).toFixed(1)} KiB fetched (wasm ${v.wasmAtInteractive ? "already" : "not yet"} fetched), upgraded at ${v.upgradedMs.toFixed(0)} ms (${(v.transferUpgraded / 1024).toFixed(1)} KiB); first file to first body byte: chosen at interactive ${v.chosenEarlyMs} ms, after the wasm ${v.chosenLateMs} ms; JS API ${cfg.big.size / MiB} MiB s3 ${v["api-s3"]} ms, multipart ${v["api-multipart"]} ms`);
  }
  const m = (k) => median(runs.map((v) => v[k]));
  return {
    n: runs.length, url: "/upload-form", names: runs[0].names, wasmAtInteractive: runs.some((v) => v.wasmAtInteractive), wasmBeforeEarly: runs.some((v) => v.wasmBeforeEarly),
    interactiveMs: m("interactiveMs"), transfer: m("transfer"), encoded: m("encoded"), upgradedMs: m("upgradedMs"), transferUpgraded: m("transferUpgraded"),
    chosenEarlyMs: m("chosenEarlyMs"), chosenLateMs: m("chosenLateMs"), apiS3Ms: m("api-s3"), apiMultipartMs: m("api-multipart"),
    all: { chosenEarlyMs: runs.map((v) => v.chosenEarlyMs), chosenLateMs: runs.map((v) => v.chosenLateMs), apiS3Ms: runs.map((v) => v["api-s3"]), apiMultipartMs: runs.map((v) => v["api-multipart"]) },
    fileSize: cfg.md5.size, bigSize: cfg.big.size,
  };
}

main().catch((e) => {
  console.error(`bench: ${e.stack || e}`);
  process.exit(1);
});
