// Reliability, the network: resets, clean closes, a server that stops reading, a bandwidth cap,
// going offline. Every method that sends bytes; each test checks the stored MD5, honest
// progress, the request budget from the simulator's log, and quiet after the end.
import {
  test, expect, bytes, METHODS, expectStored, expectWithinBudget, expectQuietAfter,
} from "./reliability-lib.mjs";

const mid = (m) => Math.floor(Math.min(METHODS[m].size, 5 * 1024 * 1024) / 3);
// Multipart: hit the second part PUT, so one part is done before the fault.
const nth = (m) => (m === "multipart" ? 2 : 1);

for (const method of Object.keys(METHODS)) {
  const { size, target, options } = METHODS[method];

  test(`#1 ${method}: connection reset mid-body is retried`, async ({ rel, sim }) => {
    await sim.faults([{ target, nth: nth(method), fault: { kind: "reset", after_bytes: mid(method) } }]);
    const data = bytes(size, 101);
    const r = await rel.upload(data, method, { options });
    await expectStored(sim, r, data, method);
    // The fault fired (Chromium may itself re-send a request reset on a reused connection).
    const log = await sim.log();
    expect(log.filter((e) => e.fault).length).toBe(1);
    expectWithinBudget(log, method, size, 1);
    await expectQuietAfter(sim, rel.page);
  });

  test(`#2 ${method}: clean close after N bytes is retried`, async ({ rel, sim }) => {
    await sim.faults([{ target, nth: nth(method), fault: { kind: "close", after_bytes: mid(method) } }]);
    const data = bytes(size, 102);
    const r = await rel.upload(data, method, { options });
    await expectStored(sim, r, data, method);
    // The fault fired (Chromium may itself re-send a request reset on a reused connection).
    const log = await sim.log();
    expect(log.filter((e) => e.fault).length).toBe(1);
    expectWithinBudget(log, method, size, 1);
    await expectQuietAfter(sim, rel.page);
  });

  test(`#3 ${method}: a server that stops reading is aborted by the watchdog and retried`, async ({ rel, sim }) => {
    await sim.faults([{ target, nth: nth(method), fault: { kind: "stall", after_bytes: mid(method) } }]);
    const data = bytes(size, 103);
    const r = await rel.upload(data, method, { options: { ...options, stallTimeout: 2000 } });
    await expectStored(sim, r, data, method);
    expect(r.events).toContain("stalled");
    const log = await sim.log();
    // The stalled request ended because the client went away (the watchdog), not by itself.
    const stalled = log.filter((e) => e.fault === "stall");
    expect(stalled.length).toBe(1);
    expect([499, null], JSON.stringify(stalled)).toContain(stalled[0].status);
    expectWithinBudget(log, method, size, 1);
    await expectQuietAfter(sim, rel.page);
  });

  test(`#4 ${method}: a bandwidth cap is no stall`, async ({ rel, sim }) => {
    // ~3 s per MiB against a 10 s watchdog: a slow body that keeps moving must not be aborted,
    // nor one whose last ~4 MB sit in socket buffers draining for ~12 s after the hand-over.
    // (Chromium reports upload progress in steps of up to ~1 MiB: ~3 s apart at this rate.)
    // A stall is seen within twice the watchdog (README, `stall-timeout`), so ~12 s of draining
    // needs a watchdog over 6 s: the default is 30 s.
    const capped = method === "multipart" || method === "resumable" ? 5 * 1024 * 1024 + 9 : size;
    await sim.faults([{ target, probability: 1.0, fault: { kind: "bandwidth", bytes_per_sec: 350_000 } }]);
    const data = bytes(capped, 104);
    const r = await rel.upload(data, method, { options: { ...options, stallTimeout: 10000 } });
    await expectStored(sim, r, data, method);
    expect(r.events).not.toContain("stalled");
    expect(r.retries).toEqual([]);
    expectWithinBudget(await sim.log(), method, capped, 0);
    await expectQuietAfter(sim, rel.page);
  });

  test(`#17 ${method}: offline then online resumes with one upload loop`, async ({ rel, sim, context }) => {
    await sim.faults([{ target, probability: 1.0, fault: { kind: "bandwidth", bytes_per_sec: 2_000_000 } }]);
    const data = bytes(size, 117);
    await rel.files({ name: "clip.mp4", mimeType: "video/mp4", buffer: data });
    const i = await rel.start({ method, options });
    await rel.until(i, 200_000);
    await context.setOffline(true);
    await rel.page.waitForTimeout(1500);
    const offline = await rel.report(i);
    expect(offline.states).toContain("offline");
    const seenOffline = (await sim.log()).length;
    await sim.clearFaults();
    await context.setOffline(false);
    const r = await rel.wait(i);
    await expectStored(sim, r, data, method);
    expect(seenOffline).toBeGreaterThan(0);
    // Offline waits cost no attempt and start no second loop: no overlapping bodies.
    const log = (await sim.log()).filter((e) => e.target === target);
    if (method === "resumable") {
      for (const e of log.filter((x) => x.status >= 200 && x.status < 300)) {
        const m = /bytes (\d+)-(\d+)\/(\d+)/.exec(e.range);
        expect(e.bytes_in, `chunk ${e.range}`).toBe(Number(m[2]) - Number(m[1]) + 1);
      }
    }
    expectWithinBudget(await sim.log(), method, size, 1);
    await expectQuietAfter(sim, rel.page);
  });

  test(`cancel ${method}: every request stops and none starts after`, async ({ rel, sim }) => {
    await sim.faults([{ target, probability: 1.0, fault: { kind: "bandwidth", bytes_per_sec: 1_000_000 } }]);
    const data = bytes(size, 118);
    await rel.files({ name: "clip.mp4", mimeType: "video/mp4", buffer: data });
    const i = await rel.start({ method, options });
    await rel.until(i, 100_000);
    await rel.cancel(i);
    const r = await rel.wait(i);
    expect(r.error?.code).toBe("cancelled");
    expect(r.inFlight).toBe(0);
    await rel.page.waitForTimeout(300);
    await expectQuietAfter(sim, rel.page, 2000);
  });
}
