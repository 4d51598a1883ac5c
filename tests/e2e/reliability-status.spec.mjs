// Reliability, the server's answers: 500/503 before and after some bytes, 408, 429 with
// `Retry-After` (seconds and HTTP date) shared by parallel parts, and 400/404 failing fast with
// a typed error. Every method that sends bytes; MD5, progress, budget and quiet checked.
import {
  test, expect, bytes, METHODS, expectStored, expectWithinBudget, expectQuietAfter, expectHonestProgress,
} from "./reliability-lib.mjs";

const nth = (m) => (m === "multipart" ? 2 : 1);

for (const method of Object.keys(METHODS)) {
  const { size, target, options } = METHODS[method];

  test(`#5 ${method}: 500 before the body and 503 after some bytes are retried`, async ({ rel, sim }) => {
    await sim.faults([
      { target, nth: nth(method), fault: { kind: "status", status: 500 } },
      { target, nth: nth(method) + 1, fault: { kind: "status", status: 503, after_bytes: 300_000 } },
    ]);
    const data = bytes(size, 105);
    const r = await rel.upload(data, method, { options });
    await expectStored(sim, r, data, method);
    // Both faults fired and were retried. Two failures inside one retry wait share it (parallel
    // parts), so the `retry` events are at least one, not one per failure.
    const { failed } = expectWithinBudget(await sim.log(), method, size, 2);
    expect(failed.map((e) => e.status).sort(), "the two injected failures").toEqual([500, 503]);
    expect(r.retries.length).toBeGreaterThanOrEqual(method === "multipart" ? 1 : 2);
    await expectQuietAfter(sim, rel.page);
  });

  test(`#6 ${method}: 408 is retried`, async ({ rel, sim }) => {
    await sim.faults([{ target, nth: nth(method), fault: { kind: "status", status: 408, after_bytes: 100_000 } }]);
    const data = bytes(size, 106);
    const r = await rel.upload(data, method, { options });
    await expectStored(sim, r, data, method);
    // Retried by the uploader, or by Chromium itself (it re-sends a 408 on a reused connection).
    const log = await sim.log();
    expect(log.filter((e) => e.status === 408).length).toBe(1);
    expectWithinBudget(log, method, size, 1);
    await expectQuietAfter(sim, rel.page);
  });

  for (const form of ["seconds", "date"]) {
    test(`#7 ${method}: 429 with Retry-After in ${form} is honoured, no retry storm`, async ({ rel, sim }) => {
      // An HTTP date has one-second resolution: 4 s ahead, cut to the second.
      const dateMs = Math.floor((Date.now() + 4000) / 1000) * 1000;
      const retryAfter = form === "seconds" ? "2" : new Date(dateMs).toUTCString();
      // Multipart: every part in flight is refused at once (2 in parallel).
      const times = method === "multipart" ? 2 : 1;
      await sim.faults([{ target, nth: 1, times, fault: { kind: "status", status: 429, retry_after: retryAfter } }]);
      const data = bytes(size, 107);
      const r = await rel.upload(data, method, { options });
      await expectStored(sim, r, data, method);
      const log = await sim.log();
      const bodies = log.filter((e) => e.target === target);
      const refused = bodies.filter((e) => e.status === 429);
      expect(refused.length).toBe(times);
      const lastRefusal = Math.max(...refused.map((x) => x.seq));
      const later = bodies.filter((e) => e.status !== 429 && e.seq > lastRefusal);
      expect(later.length).toBeGreaterThan(0);
      // The pause is shared: no body request starts before the server's Retry-After is over.
      if (form === "seconds") {
        const firstRefusal = Math.min(...refused.map((e) => e.at_ms));
        for (const e of later) expect(e.at_ms - firstRefusal, `${e.path} too early`).toBeGreaterThanOrEqual(2000);
      } else {
        const clock = await sim.wallOffset();
        for (const e of later) expect(e.at_ms + clock.hi, `${e.path} before the date`).toBeGreaterThanOrEqual(dateMs);
      }
      expectWithinBudget(log, method, size, times);
      await expectQuietAfter(sim, rel.page);
    });
  }

  for (const status of [400, 404]) {
    test(`#8 ${method}: ${status} fails fast with a typed error`, async ({ rel, sim }) => {
      // Resumable: a 404 may mean the session is gone, which a renewal (videos/update, the same
      // session) can fix; a 404 that persists must still fail, after at most 3 renewals.
      const persistent = method === "resumable" && status === 404;
      await sim.faults([{ target, ...(persistent ? { probability: 1.0 } : { nth: 1 }), fault: { kind: "status", status } }]);
      const data = bytes(size, 108);
      const r = await rel.upload(data, method, { options });
      expect(r.result).toBeNull();
      expect(r.error.code, JSON.stringify(r.error)).toMatch(/^[a-z_]+$/);
      expect(["network", "cancelled"]).not.toContain(r.error.code);
      if (persistent) {
        // After the renewals the error is credentials_expired (retryable, no status).
        expect(r.error.code).toBe("credentials_expired");
      } else {
        expect(r.error.status).toBe(status);
        expect(r.error.retryable).toBe(false);
      }
      expect(r.retries).toEqual([]);
      expectHonestProgress(r);
      const log = await sim.log();
      const failed = log.filter((e) => e.target === target && e.status === status);
      expect(failed.length).toBe(persistent ? 4 : 1);
      // Fast: no body request after the refusal (parallel parts already running may finish).
      const refusal = failed[failed.length - 1].seq;
      const later = log.filter((e) => e.target === target && e.seq > refusal && e.method !== "OPTIONS");
      expect(later.length, JSON.stringify(later)).toBeLessThanOrEqual(method === "multipart" ? 1 : 0);
      await expectQuietAfter(sim, rel.page);
    });
  }
}
