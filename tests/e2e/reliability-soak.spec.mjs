// The soak: many uploads, mixed methods and sizes, 4 at a time, under ~10 % random faults on
// every request (5xx, resets, clean closes, lost replies, stalls). Every upload must complete
// with the server's MD5 equal to the file's and honest progress. Runs only with JW_SOAK=1
// (`cargo xtask soak`); JW_SOAK_UPLOADS sets the count (default 200).
import {
  test, expect, bytes, MIB, expectStored,
} from "./reliability-lib.mjs";

const UPLOADS = Number(process.env.JW_SOAK_UPLOADS || 200);
const AT_ONCE = 4;

test("soak: uploads under 10 % random faults all complete intact", async ({ rel, sim }) => {
  test.skip(!process.env.JW_SOAK, "set JW_SOAK=1 (cargo xtask soak)");
  test.setTimeout(4 * 3600_000);
  await sim.faults([
    { target: "any", probability: 0.03, fault: { kind: "status", status: 503 } },
    { target: "any", probability: 0.02, fault: { kind: "reset", after_bytes: 65536 } },
    { target: "any", probability: 0.02, fault: { kind: "close", after_bytes: 200000 } },
    { target: "any", probability: 0.02, fault: { kind: "lose_reply" } },
    { target: "any", probability: 0.01, fault: { kind: "stall", after_bytes: 100000, ms: 20000 } },
  ], 2026);
  const methods = ["s3", "direct", "form", "resumable", "multipart"];
  const sizes = [50_000, 700_000, 3 * MIB + 7, 6 * MIB + 11, 11 * MIB + 3];
  let done = 0;
  const started = Date.now();
  for (let batch = 0; batch * AT_ONCE < UPLOADS; batch++) {
    const files = [];
    for (let k = 0; k < AT_ONCE && batch * AT_ONCE + k < UPLOADS; k++) {
      const n = batch * AT_ONCE + k;
      const method = methods[n % methods.length];
      const size = method === "multipart" ? Math.max(sizes[n % 5], 5 * MIB + 1) : sizes[n % 5];
      files.push({ method, data: bytes(size, 9000 + n), name: `soak-${n}.mp4` });
    }
    await rel.files(files.map((f) => ({ name: f.name, mimeType: "video/mp4", buffer: f.data })));
    const ids = [];
    for (let k = 0; k < files.length; k++) {
      ids.push(await rel.start({ index: k, method: files[k].method, options: { partSize: 5 * MIB, stallTimeout: 5000 } }));
    }
    for (let k = 0; k < files.length; k++) {
      const r = await rel.wait(ids[k]);
      await expectStored(sim, r, files[k].data, files[k].method);
      done += 1;
    }
    if (batch % 10 === 9) console.log(`soak: ${done}/${UPLOADS} uploads verified (${Math.round((Date.now() - started) / 1000)} s)`);
  }
  const state = await sim.faultState();
  const fired = state.rules.reduce((n, r) => n + r.fired, 0);
  const log = await sim.log();
  console.log(`soak: ${done} uploads verified, ${log.length} requests, ${fired} faults fired, ${Math.round((Date.now() - started) / 1000)} s`);
  expect(done).toBe(UPLOADS);
  expect(fired).toBeGreaterThan(0);
});
