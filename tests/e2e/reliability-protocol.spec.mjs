// Reliability, the protocols: expiry mid-upload, lost replies, stale and gappy `Range`s, unknown
// sessions, wrong ETags, a failing `complete`, and redirects to a foreign host.
import {
  test, expect, bytes, METHODS, MIB, expectStored, expectWithinBudget, expectQuietAfter, expectHonestProgress,
} from "./reliability-lib.mjs";

const { resumable: R, multipart: M } = METHODS;

// #9: token or link expiry mid-upload.
for (const method of ["s3", "direct", "form", "multipart"]) {
  const { size, target, options } = METHODS[method];
  test(`#9 ${method}: an expired ${method === "multipart" ? "part link" : "link"} is re-minted, done work not re-sent`, async ({ rel, sim }) => {
    await sim.faults([{ target, nth: method === "multipart" ? 2 : 1, fault: { kind: "expire" } }]);
    const data = bytes(size, 109);
    const r = await rel.upload(data, method, { options: { ...options, parallel: 1 } });
    await expectStored(sim, r, data, method);
    const log = await sim.log();
    if (method === "multipart") {
      expect(log.filter((e) => e.target === "parts_list").length).toBeGreaterThanOrEqual(2);
      const puts = log.filter((e) => e.target === "part");
      expect(puts.length, "3 parts, one refused as expired").toBe(4);
      const first = puts.filter((e) => /\/parts\/1$/.test(e.path));
      expect(first.length, "part 1 was done before the expiry: sent once").toBe(1);
    } else if (method === "direct") {
      // A direct link is re-minted by a new v2 create (no v2 call re-signs one).
      expect(log.filter((e) => e.target === "v2_api" && e.method === "POST").length).toBe(2);
    } else {
      // The renewal went through the backend to videos/update.
      expect(log.some((e) => e.target === "v1_api" && e.path.endsWith("videos/update"))).toBe(true);
    }
    expectWithinBudget(log, method, size, 1);
    await expectQuietAfter(sim, rel.page);
  });
}

test("#9 multipart: the upload token expires at complete: re-minted or a clear error, parts not re-sent", async ({ rel, sim }) => {
  await sim.faults([{ target: "complete", nth: 1, fault: { kind: "expire" } }]);
  const data = bytes(M.size, 119);
  const r = await rel.upload(data, "multipart", { options: M.options });
  const log = await sim.log();
  expect(log.filter((e) => e.target === "part").length, "no part re-sent").toBe(3);
  if (r.error) {
    expect(r.error.code).toBe("credentials_expired");
  } else {
    await expectStored(sim, r, data, "multipart");
  }
  await expectQuietAfter(sim, rel.page);
});

test("#9 resumable: a simulated week passes mid-upload: the session goes on", async ({ rel, sim }) => {
  await sim.faults([{ target: "resumable", probability: 1.0, fault: { kind: "bandwidth", bytes_per_sec: 4_000_000 } }]);
  const data = bytes(R.size, 129);
  await rel.files({ name: "clip.mp4", mimeType: "video/mp4", buffer: data });
  const i = await rel.start({ method: "resumable" });
  await rel.until(i, 4 * MIB + 1);
  await sim.clock(8 * 24 * 3600);
  const r = await rel.wait(i);
  await expectStored(sim, r, data, "resumable");
  expectWithinBudget(await sim.log(), "resumable", R.size, 0);
});

// #10: the reply is lost after the server stored the bytes.
for (const method of Object.keys(METHODS)) {
  const { size, target, options } = METHODS[method];
  test(`#10 ${method}: a reply lost after the bytes were stored leaves no duplicate data`, async ({ rel, sim }) => {
    await sim.faults([{ target, nth: method === "multipart" ? 2 : 1, fault: { kind: "lose_reply" } }]);
    const data = bytes(size, 110);
    const r = await rel.upload(data, method, { options });
    await expectStored(sim, r, data, method);
    expectWithinBudget(await sim.log(), method, size, 1);
    await expectQuietAfter(sim, rel.page);
  });
}

// #11 and #12: resumable only (the `Range` header is the resumable protocol's).
test("#11 resumable: a stale Range never moves progress back", async ({ rel, sim }) => {
  await sim.faults([
    { target: "resumable", nth: 2, fault: { kind: "stale_range" } },
    { target: "resumable", nth: 3, fault: { kind: "stale_range" } },
  ]);
  const data = bytes(R.size, 111);
  const r = await rel.upload(data, "resumable");
  await expectStored(sim, r, data, "resumable");
  expectWithinBudget(await sim.log(), "resumable", R.size, 2);
  await expectQuietAfter(sim, rel.page);
});

test("#12 resumable: a Range with a gap: exactly the gap is sent again", async ({ rel, sim }) => {
  await sim.faults([{ target: "resumable", nth: 1, fault: { kind: "drop_body" } }]);
  const data = bytes(R.size, 112);
  const r = await rel.upload(data, "resumable");
  await expectStored(sim, r, data, "resumable");
  const log = (await sim.log()).filter((e) => e.target === "resumable");
  const dropped = log.find((e) => e.fault === "drop_body");
  const read = log.reduce((n, e) => n + e.bytes_in, 0);
  expect(read, "the file once plus exactly the dropped chunk").toBe(R.size + dropped.bytes_in);
  const resent = log.filter((e) => e.range === dropped.range);
  expect(resent.length, `the gap ${dropped.range} sent again as it was`).toBe(2);
  await expectQuietAfter(sim, rel.page);
});

// #13: an unknown session or upload id.
test("#13 resumable: an unknown session fails with a typed error and never touches another", async ({ rel, sim }) => {
  // Another upload's session, half done, must stay as it is.
  await sim.faults([{ target: "resumable", nth: 2, fault: { kind: "stall", after_bytes: 0, ms: 600000 } }]);
  const other = bytes(R.size, 113);
  await rel.files([{ name: "a.mp4", mimeType: "video/mp4", buffer: other }, { name: "b.mp4", mimeType: "video/mp4", buffer: bytes(R.size, 114) }]);
  const a = await rel.start({ index: 0, method: "resumable", tamper: { kind: "keep" } });
  await rel.until(a, 4 * MIB);
  await rel.page.waitForTimeout(300);
  const otherReply = await rel.page.evaluate(() => window.lastReply);
  const before = await sim.media(otherReply.media.key);
  await rel.cancel(a);
  await sim.clearFaults();
  for (const session of ["0000000000unknownsession0000000000000000", otherReply.session_id]) {
    const b = await rel.start({ index: 1, method: "resumable", tamper: { kind: "session", session } });
    const r = await rel.wait(b);
    expect(r.result, "an upload to a session that is not its own cannot succeed").toBeNull();
    expect(r.error.code).toMatch(/^[a-z_]+$/);
    // Bounded: the first chunk and one per renewal (at most 3), all refused.
    const refused = (await sim.log()).filter((e) => e.target === "resumable" && e.status === 404);
    expect(refused.length).toBeLessThanOrEqual(4);
    expect(refused.every((e) => e.bytes_in === 0 || e.status === 404)).toBe(true);
    await sim.clearLog();
    const after = await sim.media(otherReply.media.key);
    expect(after.resumable_received).toEqual(before.resumable_received);
    expect(after.size ?? null).toEqual(before.size ?? null);
  }
  await expectQuietAfter(sim, rel.page);
});

test("#13 multipart: an unknown upload id fails with a typed error", async ({ rel, sim }) => {
  const data = bytes(M.size, 115);
  const r = await rel.upload(data, "multipart", { options: M.options, tamper: { kind: "uploadId", uploadId: "0000unknownupload" } });
  expect(r.result).toBeNull();
  expect(r.error.code).toMatch(/^[a-z_]+$/);
  const log = await sim.log();
  expect(log.filter((e) => e.target === "part").length, "no part sent").toBe(0);
  expect(log.filter((e) => e.target === "parts_list").length, "fails fast").toBeLessThanOrEqual(2);
  await expectQuietAfter(sim, rel.page);
});

// #14: a wrong ETag.
for (const method of ["s3", "direct", "multipart"]) {
  const { size, target, options } = METHODS[method];
  const whole = method !== "multipart";
  test(`#14 ${method}: a wrong ETag once: the body is re-sent and verified`, async ({ rel, sim }) => {
    await sim.faults([{ target, nth: 1, fault: { kind: "wrong_etag" } }]);
    const data = bytes(size, 116);
    const r = await rel.upload(data, method, { options });
    await expectStored(sim, r, data, method);
    const bodies = (await sim.log()).filter((e) => e.target === target);
    expect(bodies.length, "one body sent twice").toBe(whole ? 2 : 4);
    await expectQuietAfter(sim, rel.page);
  });

  test(`#14 ${method}: a wrong ETag every time: a clear integrity error, never a bad completion`, async ({ rel, sim }) => {
    await sim.faults([{ target, probability: 1.0, fault: { kind: "wrong_etag" } }]);
    const data = bytes(size, 126);
    const r = await rel.upload(data, method, { options });
    expect(r.result).toBeNull();
    expect(r.error.code).toBe("integrity");
    const log = await sim.log();
    expect(log.filter((e) => e.target === "complete").length, "never completed").toBe(0);
    expect(log.filter((e) => e.target === target).length).toBeLessThanOrEqual(whole ? 2 : 6);
    await expectQuietAfter(sim, rel.page);
  });
}

// #15: complete fails.
for (const [what, fault] of [["500", { kind: "status", status: 500 }], ["a lost reply", { kind: "lose_reply" }], ["a reset", { kind: "reset", after_bytes: 0 }]]) {
  test(`#15 multipart: complete fails with ${what}: retried and reconciled, nothing re-uploaded`, async ({ rel, sim }) => {
    await sim.faults([{ target: "complete", nth: 1, fault }]);
    const data = bytes(M.size, 120);
    const r = await rel.upload(data, "multipart", { options: M.options });
    await expectStored(sim, r, data, "multipart");
    const log = await sim.log();
    expect(log.filter((e) => e.target === "part").length, "each part once").toBe(3);
    expect(log.filter((e) => e.target === "complete").length).toBeGreaterThanOrEqual(2);
    await expectQuietAfter(sim, rel.page);
  });
}

// #19: a redirect to a foreign host is not followed, and no credential leaves. With the CSP the
// package README recommends (connect-src: the platform's hosts), the browser never reaches the
// foreign host; where a page's CSP allows it, XHR follows a 307 by itself (no API stops it), so
// the uploader refuses the redirected reply: never a success, never a retry towards it.
for (const method of Object.keys(METHODS)) {
  const { size, options } = METHODS[method];
  for (const csp of ["blocked", "allowed"]) {
    test(`#19 ${method}: a redirect to a foreign host (${csp} by the CSP) is not followed, no credential leaves`, async ({ rel, sim, hosts }) => {
      // A CSP-blocked request looks like a network error before any byte left, to a host that
      // never answered: the upload fails "cannot reach HOST" after four of them (reach.rs).
      test.slow();
      const host = hosts[csp];
      const data = bytes(Math.min(size, 6 * MIB), 119);
      const opts = method === "multipart"
        ? { options: { ...options, uploadApiBase: `http://${host.redirector}` } }
        : { tamper: { kind: "address", address: host.redirector } };
      const r = await rel.upload(data, method, opts);
      expect(host.redirected, "the redirect was answered").toBeGreaterThan(0);
      expect(r.result, "a reply from another host is not a success").toBeNull();
      expect(r.error.code).toMatch(/^[a-z_]+$/);
      expectHonestProgress(r);
      const reached = host.seen.filter((s) => s.method !== "OPTIONS");
      if (csp === "blocked" || method === "multipart") {
        // Blocked by the CSP; multipart's control calls use fetch with `redirect: "manual"`.
        expect(reached, "nothing reached the foreign host").toEqual([]);
      } else {
        expect(reached.length, "no retry towards the foreign host").toBeLessThanOrEqual(1);
      }
      for (const s of host.seen) {
        expect(s.headers.authorization).toBeUndefined();
        expect(s.headers.cookie).toBeUndefined();
        expect(s.url).not.toMatch(/token=|Signature=|key=/i);
      }
      await expectQuietAfter(sim, rel.page, 800);
    });
  }
}
