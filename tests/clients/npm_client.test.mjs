// The official npm client (jwplatform 0.0.6) against the simulator.
// Run with: `cargo xtask test --only clients` (JW_SIM_URL names the simulator). The client is
// used unchanged but for its base URL, which it hard-codes (https://api.jwplatform.com/v1/):
// that is set to the simulator's, nothing else. Its 8-digit nonce, form-urlencoded POST body and
// `upload()` (a v1 `single` form upload) are its own; every stored MD5 is checked through the
// simulator's admin API.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import JWPlatformAPI from "jwplatform";

const SIM = process.env.JW_SIM_URL ?? "http://127.0.0.1:4010";
const API_KEY = process.env.JW_SIM_API_KEY ?? "simkey01";
const API_SECRET = process.env.JW_SIM_API_SECRET ?? "sim-v1-secret";

function client(secret = API_SECRET) {
  const api = new JWPlatformAPI({ apiKey: API_KEY, apiSecret: secret, timeout: 30000 });
  api._client.baseUrl = `${SIM}/v1/`;
  return api;
}

function bytes(size, seed) {
  const out = Buffer.alloc(size);
  let x = 0x9e3779b9 ^ seed;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const md5 = (b) => createHash("md5").update(b).digest("hex");

async function stored(key) {
  const r = await fetch(`${SIM}/_sim/media/${key}?verify=true`);
  assert.equal(r.status, 200);
  const m = await r.json();
  assert.equal(m.disk_md5, m.md5, JSON.stringify(m));
  return m;
}

async function ready(key) {
  for (let i = 0; i < 300; i++) {
    const m = await stored(key);
    if (m.status !== "created" && m.status !== "processing") {
      assert.equal(m.status, "ready", JSON.stringify(m));
      return m;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`media ${key} never became ready`);
}

test("upload(): the client's own v1 single (form) upload", async () => {
  const dir = mkdtempSync(join(tmpdir(), "jw-npm-"));
  try {
    const data = bytes(2 * 1024 * 1024 + 11, 1);
    const file = join(dir, "clip.mp4");
    writeFileSync(file, data);
    const reply = await client().upload({ title: "npm upload (a title with spaces)" }, file);
    assert.equal(reply.status, "ok");
    assert.equal(reply.video.md5, md5(data));
    const m = await ready(reply.video.key);
    assert.equal(m.md5, md5(data));
    assert.equal(m.method, "form");
    assert.deepEqual(m.metadata, { title: "npm upload (a title with spaces)" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("videos.create with upload_method=s3, then the PUT to its link", async () => {
  const reply = await client().videos.create({ upload_method: "s3", title: "npm s3" });
  assert.equal(reply.status, "ok");
  const { protocol, address, path, query } = reply.link;
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  const data = bytes(1024 * 1024 + 3, 2);
  const r = await fetch(`${protocol}://${address}${path}?${qs}`, { method: "PUT", body: data });
  assert.equal(r.status, 200, await r.text());
  assert.equal(r.headers.get("etag"), `"${md5(data)}"`);
  assert.equal((await ready(reply.media.key)).md5, md5(data));
});

test("refusals come back as the platform's v1 errors", async () => {
  await assert.rejects(client("wrong-secret").videos.create({ upload_method: "s3" }), (e) => {
    assert.equal(e.statusCode, 403);
    assert.equal(e.error.code, "SignatureInvalid");
    return true;
  });
  await assert.rejects(client().videos.update({ video_key: "nothing1" }), (e) => {
    assert.equal(e.statusCode, 404);
    assert.equal(e.error.code, "NotFound");
    return true;
  });
});
