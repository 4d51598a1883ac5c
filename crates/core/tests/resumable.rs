//! resumable runs against the scripted peer: sequential and parallel chunks, gaps, stale and
//! duplicate `Range`, lost replies, expired session, resume with a chunk from byte 0.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

use harness::servers::{Fault, ResumableServer, Target};
use harness::{Harness, Source};
use jw_upload_core::plan::Sizing;
use jw_upload_core::range::RangeSet;
use jw_upload_core::{Config, ErrorCode, Event, Method, Millis, RequestKind, State, Upload};
use std::time::Duration;

const SIZE: u64 = 3 * 1024 * 1024 + 7;
const CHUNK: u64 = 256 * 1024;

fn cfg() -> Config {
    let mut c = Config::new(SIZE, "my \"clip\".mp4", "video/mp4").with_method(Method::Resumable);
    c.chunk_sizing = Sizing {
        initial: CHUNK,
        min: 64 * 1024,
        max: CHUNK,
        target: Duration::from_secs(10),
        granule: 1024,
    };
    c
}

fn chunks<S: harness::Server>(h: &Harness<S>) -> Vec<std::ops::Range<u64>> {
    h.sent
        .iter()
        .filter_map(|s| match &s.req.kind {
            RequestKind::Chunk { range } => Some(range.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn uploads_sequential_chunks() {
    let mut h = Harness::new(cfg(), ResumableServer::new(SIZE));
    let mut max_in_flight = 0;
    let st = h.run_until(|h| {
        max_in_flight = max_in_flight.max(h.up.in_flight().count());
        false
    });
    assert_eq!(st, State::Done);
    assert_eq!(max_in_flight, 1);
    let cs = chunks(&h);
    assert_eq!(cs.len() as u64, SIZE.div_ceil(CHUNK));
    for w in cs.windows(2) {
        assert_eq!(w[0].end, w[1].start, "contiguous, in order");
    }
    let first = &h.sent[0].req;
    assert_eq!(
        first.header("X-Content-Range"),
        Some(format!("bytes 0-{}/{SIZE}", CHUNK - 1).as_str())
    );
    assert_eq!(
        first.header("Content-Disposition"),
        Some("attachment; filename=\"my _clip_.mp4\"")
    );
    assert_eq!(first.header("Content-Type"), Some("video/mp4"));
    h.check_content();
    h.check_progress();
    h.check_no_resend();
    let r = h.up.result().unwrap();
    assert_eq!((r.media_id.as_str(), r.size), ("K1", Some(SIZE)));
}

#[test]
fn survives_every_fault() {
    let mut s = ResumableServer::new(SIZE);
    s.faults
        .add(Target::Chunk, 1, 1, Fault::Status(503, None))
        .add(Target::Chunk, 2, 1, Fault::Reset(1000))
        .add(Target::Chunk, 4, 1, Fault::Status(429, Some("4".into())))
        .add(Target::Chunk, 5, 1, Fault::Stall(5000))
        .add(Target::Chunk, 7, 1, Fault::LoseReply)
        .add(Target::Chunk, 8, 1, Fault::DropBody)
        .add(Target::Chunk, 10, 1, Fault::StaleRange)
        .add(Target::Chunk, 12, 1, Fault::Expire);
    let mut h = Harness::new(cfg(), s);
    assert_eq!(h.run(), State::Done, "{:?}", h.error());
    h.check_content();
    h.check_progress();
    h.check_no_resend();
    assert_eq!(h.server.faults.fired, 8);
    // Every fault costs at most one extra chunk (the stall's shrinks later chunks).
    let n = chunks(&h).len() as u64;
    assert!(n <= SIZE.div_ceil(64 * 1024) + 8, "{n} chunks");
    assert_eq!(h.cred_requests, 2, "the lost session was renewed");
}

#[test]
fn parallel_chunks_fill_gaps() {
    let mut c = cfg();
    c.chunk_parallel = 3;
    let mut s = ResumableServer::new(SIZE);
    s.faults
        .add(Target::Chunk, 2, 1, Fault::DropBody)
        .add(Target::Chunk, 5, 1, Fault::DropBody)
        .add(Target::Chunk, 6, 1, Fault::Reset(10));
    let mut h = Harness::new(c, s);
    let mut max_in_flight = 0;
    let mut overlap = false;
    let st = h.run_until(|h| {
        let ids: Vec<_> = h.up.in_flight().collect();
        max_in_flight = max_in_flight.max(ids.len());
        let set: Vec<_> = h
            .sent
            .iter()
            .filter(|s| ids.contains(&s.req.id))
            .filter_map(|s| s.req.body.source_range())
            .collect();
        let total: u64 = set.iter().map(|r| r.end - r.start).sum();
        overlap |= RangeSet::from_ranges(set).len_bytes() != total;
        false
    });
    assert_eq!(st, State::Done);
    assert_eq!(max_in_flight, 3);
    assert!(!overlap, "chunks in flight never overlap");
    h.check_content();
    h.check_no_resend();
}

#[test]
fn resumes_with_a_chunk_from_byte_zero() {
    let mut h = Harness::new(cfg(), ResumableServer::new(SIZE));
    h.run_until(|h| h.server.have.len_bytes() >= SIZE / 2);
    let held = h.server.have.clone();
    let snap = serde_json::to_string(&h.up.snapshot()).unwrap();
    let server = h.server;
    let up = Upload::restore(cfg(), serde_json::from_str(&snap).unwrap(), Millis(0)).unwrap();
    let mut h2 = Harness::with_upload(up, server, Source::new(SIZE), Millis(0));
    assert_eq!(h2.run(), State::Done);
    let cs = chunks(&h2);
    assert_eq!(cs[0], 0..64 * 1024, "probe from byte 0");
    // After the probe, only missing bytes are sent.
    for c in &cs[1..] {
        assert_eq!(held.overlap_len(c), 0, "{c:?} was held already");
    }
    h2.check_content();
    assert_eq!(h2.cred_requests, 0);
}

/// A resumable server that answers every chunk with 201 and this `Range`.
struct FixedRange(ResumableServer, &'static str);

impl harness::Server for FixedRange {
    fn credentials(&mut self, r: Option<&str>) -> jw_upload_core::Response {
        self.0.credentials(r)
    }
    fn handle(
        &mut self,
        _: &jw_upload_core::Request,
        _: &mut Source,
        _: Millis,
    ) -> harness::Outcome {
        harness::Outcome::Reply(jw_upload_core::Response::new(201, "").with_header("Range", self.1))
    }
    fn assembled(&self) -> Option<Vec<std::ops::Range<u64>>> {
        None
    }
    fn acks(&self) -> &harness::servers::Acks {
        self.0.acks()
    }
}

#[test]
fn wrong_total_is_an_invalid_reply() {
    let mut h = Harness::new(cfg(), FixedRange(ResumableServer::new(SIZE), "0-9/11"));
    assert_eq!(h.run(), State::Failed);
    assert_eq!(h.error().unwrap().code, ErrorCode::InvalidReply);
}

#[test]
fn garbage_range_is_retried_within_budget() {
    let mut h = Harness::new(cfg(), FixedRange(ResumableServer::new(SIZE), "zz-9/x"));
    assert_eq!(h.run(), State::Failed);
    assert_eq!(chunks(&h).len(), 9);
    assert_eq!(h.error().unwrap().code, ErrorCode::InvalidReply);
}

#[test]
fn cancel_mid_chunk() {
    let mut s = ResumableServer::new(SIZE);
    s.faults.add(Target::Chunk, 3, 1, Fault::Stall(100));
    let mut h = Harness::new(cfg(), s);
    h.run_until(|h| chunks(h).len() == 3);
    let now = h.now;
    h.up.cancel(now);
    assert_eq!(h.run(), State::Failed);
    assert_eq!(h.aborted.len(), 1);
    assert_eq!(chunks(&h).len(), 3);
    assert!(h
        .events
        .iter()
        .any(|e| matches!(e, Event::Error(e) if e.code == ErrorCode::Cancelled)));
}
