// The demo page: wires <jw-upload> to the backend's config, the simulator's fault injection
// ("simulated trouble") and an event log. No inline script: the page runs under a strict CSP.
import { ready } from "./jw-upload-element.js";
import { version } from "./jw-upload.js";

const uploader = document.getElementById("uploader");
const log = document.getElementById("events");
const trouble = document.getElementById("trouble");
const troubleStatus = document.getElementById("trouble-status");
let sim = null;

document.getElementById("sample-url").textContent = `${location.origin}/jw-upload_bg.wasm`;

// Where multipart uploads go (the simulator here, https://api.jwplayer.com in real life).
try {
  const config = await (await fetch("/api/config")).json();
  uploader.uploadApiBase = config.upload_api_base;
  // The selector offers what this backend can mint (`cargo xtask demo --v2-only`: v2 alone).
  if (Array.isArray(config.methods)) {
    uploader.methods = config.methods.filter((m) => m !== "fetch").join(",");
  }
  if (config.simulator) {
    sim = config.upload_api_base;
    trouble.hidden = false;
  }
} catch (e) {
  console.warn("jw-upload demo: no /api/config", e);
}

// The event log: text only, newest first, at most 12 lines.
const EVENTS = ["upload-start", "upload-retry", "upload-success", "upload-ready", "upload-error",
  "upload-cancel", "upload-status-unavailable", "queue-complete"];
for (const name of EVENTS) {
  uploader.addEventListener(name, (e) => {
    const d = e.detail ?? {};
    const li = document.createElement("li");
    const tag = document.createElement("code");
    tag.textContent = name;
    const what = [d.name, d.method, d.mediaId, d.reason && `${d.reason}, attempt ${d.attempt}`,
      d.message, name === "queue-complete" && `${d.succeeded} of ${d.count} succeeded`]
      .filter(Boolean).join(" · ");
    li.append(tag, document.createTextNode(` ${what}`));
    log.prepend(li);
    while (log.children.length > 12) log.lastElementChild.remove();
  });
}

// Simulated trouble: fault rules for the simulator's upload targets.
const TARGETS = ["s3", "form", "resumable", "part"];
const RULES = {
  "trouble-fail": () => TARGETS.map((target) => ({
    target, probability: 0.1, fault: { kind: "status", status: 503, retry_after: "1" },
  })),
  "trouble-slow": () => TARGETS.map((target) => ({
    target, probability: 1, fault: { kind: "bandwidth", bytes_per_sec: 1_000_000 },
  })),
  "trouble-stall": () => TARGETS.map((target) => ({
    target, nth: 1, fault: { kind: "stall", after_bytes: 262_144 },
  })),
};
const NAMES = { "trouble-fail": "flaky network", "trouble-slow": "slow line", "trouble-stall": "one stall" };

async function applyTrouble() {
  const on = Object.keys(RULES).filter((id) => document.getElementById(id).checked);
  const rules = on.flatMap((id) => RULES[id]());
  try {
    const r = rules.length
      ? await fetch(`${sim}/_sim/faults`, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ rules, seed: Math.floor(Math.random() * 1e9) }),
      })
      : await fetch(`${sim}/_sim/faults`, { method: "DELETE" });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    troubleStatus.textContent = on.length
      ? `Trouble on: ${on.map((id) => NAMES[id]).join(", ")}.`
      : "No trouble: the simulator behaves.";
  } catch (e) {
    troubleStatus.textContent = `The simulator did not take the rules (${e.message}).`;
  }
}
for (const id of Object.keys(RULES)) document.getElementById(id).addEventListener("change", applyTrouble);

// After a reload the simulator keeps its faults: the boxes show what is on (GET /_sim/faults).
const KINDS = { "trouble-fail": "status", "trouble-slow": "bandwidth", "trouble-stall": "stall" };
async function readTrouble() {
  if (!sim) return;
  try {
    const state = await (await fetch(`${sim}/_sim/faults`)).json();
    const kinds = new Set((state.rules ?? []).map((r) => r.rule?.fault?.kind));
    const on = Object.keys(KINDS).filter((id) => kinds.has(KINDS[id]));
    for (const id of Object.keys(KINDS)) document.getElementById(id).checked = on.includes(id);
    troubleStatus.textContent = on.length
      ? `Trouble on: ${on.map((id) => NAMES[id]).join(", ")}.`
      : "No trouble: the simulator behaves.";
  } catch (e) {
    troubleStatus.textContent = `The simulator's faults could not be read (${e.message}).`;
  }
}
await readTrouble();

const status = document.getElementById("status");
try {
  await ready;
  status.textContent = `Uploader ${version()} loaded.`;
  document.body.dataset.ready = "true";
} catch (e) {
  status.textContent = `The uploader could not load: ${e}`;
  document.body.dataset.ready = "false";
}
