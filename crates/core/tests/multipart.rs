//! multipart runs against the scripted peer: paging, parallel parts, faults, expired links and
//! tokens, reconcile after a refused complete, integrity, resume from a snapshot, adaptation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

use harness::servers::{Fault, MultipartServer, Target};
use harness::{Harness, Source};
use jw_upload_core::{Config, ErrorCode, Event, Method, Millis, RequestKind, State, Upload};

const MIB: u64 = 1024 * 1024;
/// Three parts of the 5 MiB minimum (the last one smaller), on two pages of two.
const SIZE: u64 = 11 * MIB + 12_345;

fn cfg() -> Config {
    let mut c = Config::new(SIZE, "big.mp4", "video/mp4").with_method(Method::Multipart);
    c.upload_api_base = "http://api".into();
    c.list_page_length = 2;
    c.part_sizing.initial = 5 * MIB;
    c
}

fn harness(server: MultipartServer) -> Harness<MultipartServer> {
    let mut h = Harness::new(cfg(), server);
    h.bytes_per_ms = 20_000; // 20 MB/s per request; the 3 parts all start before any measurement
    h
}

fn part_puts(h: &Harness<MultipartServer>) -> Vec<u32> {
    h.sent
        .iter()
        .filter_map(|s| match s.req.kind {
            RequestKind::PutPart { part } => Some(part),
            _ => None,
        })
        .collect()
}

fn completes(h: &Harness<MultipartServer>) -> usize {
    h.count(|r| r.kind == RequestKind::Complete)
}

#[test]
fn uploads_parts_then_completes() {
    let mut h = harness(MultipartServer::new(SIZE));
    let mut max_in_flight = 0;
    let state = h.run_until(|h| {
        max_in_flight = max_in_flight.max(h.up.in_flight().count());
        false
    });
    assert_eq!(state, State::Done);
    let mut parts = part_puts(&h);
    parts.sort();
    assert_eq!(parts, [1, 2, 3]);
    assert_eq!(completes(&h), 1);
    // Two pages of two parts, each listed once.
    let lists: Vec<_> = h
        .sent
        .iter()
        .filter(|s| matches!(s.req.kind, RequestKind::ListParts { .. }))
        .collect();
    assert_eq!(lists.len(), 2);
    assert!(lists[0].req.url.ends_with("parts?page=1&page_length=2"));
    assert_eq!(lists[0].req.header("Authorization"), Some("Bearer T1"));
    assert!(max_in_flight >= 2, "parts go in parallel ({max_in_flight})");
    assert_eq!(
        h.data_ranges().iter().map(|r| r.end - r.start).max(),
        Some(5 * MIB)
    );
    h.check_content();
    h.check_progress();
    h.check_no_resend();
    let done = h
        .events
        .iter()
        .filter(|e| matches!(e, Event::PartComplete { .. }))
        .count();
    assert_eq!(done, 3);
    let r = h.up.result().unwrap();
    assert_eq!(
        (r.media_id.as_str(), r.method, r.size),
        ("M1", Method::Multipart, Some(SIZE))
    );
    assert!(h.states().contains(&"completing".to_string()));
}

#[test]
fn parallelism_is_configurable() {
    let mut c = cfg();
    c.part_parallel = 1;
    let mut h = Harness::new(c, MultipartServer::new(SIZE));
    let mut max_in_flight = 0;
    h.run_until(|h| {
        let parts =
            h.up.in_flight()
                .filter(|id| {
                    h.sent.iter().any(|s| {
                        s.req.id == *id && matches!(s.req.kind, RequestKind::PutPart { .. })
                    })
                })
                .count();
        max_in_flight = max_in_flight.max(parts);
        false
    });
    assert_eq!(max_in_flight, 1);
    h.check_content();
}

#[test]
fn survives_every_fault() {
    let mut s = MultipartServer::new(SIZE);
    s.faults
        .add(Target::Part, 1, 1, Fault::Status(503, None))
        .add(Target::Part, 2, 1, Fault::Reset(MIB))
        .add(Target::Part, 4, 1, Fault::Status(429, Some("2".into())))
        .add(Target::Part, 5, 1, Fault::Stall(MIB))
        .add(Target::Part, 6, 1, Fault::LoseReply)
        .add(Target::Part, 7, 1, Fault::WrongEtag)
        .add(Target::Part, 8, 1, Fault::Expire)
        .add(Target::List, 2, 1, Fault::Status(500, None))
        .add(Target::Complete, 1, 1, Fault::Expire)
        .add(Target::Complete, 2, 1, Fault::LoseReply);
    let mut h = harness(s);
    assert_eq!(h.run(), State::Done, "{:?}", h.error());
    h.check_content();
    h.check_progress();
    let fired = h.server.faults.fired;
    assert_eq!(fired, 10);
    // Budget: 3 parts + one re-send per part fault, plus the lists and completes.
    let puts = part_puts(&h).len();
    assert!(puts <= 3 + 7, "{puts} part PUTs");
    assert!(completes(&h) <= 3);
    assert_eq!(h.cred_requests, 2, "token renewed once");
    assert!(h.events.iter().any(|e| matches!(e, Event::Stalled { .. })));
}

#[test]
fn expired_link_relists_for_a_fresh_one() {
    let mut s = MultipartServer::new(SIZE);
    s.faults.add(Target::Part, 1, 1, Fault::Expire);
    let mut h = harness(s);
    assert_eq!(h.run(), State::Done);
    let lists = h.count(|r| matches!(r.kind, RequestKind::ListParts { page: 1 }));
    assert_eq!(lists, 2);
    assert_eq!(
        h.cred_requests, 1,
        "links come from the listing, not from new credentials"
    );
    h.check_content();
    h.check_no_resend();
}

#[test]
fn refused_complete_reconciles_by_listing() {
    let mut s = MultipartServer::new(SIZE);
    s.faults.add(Target::Complete, 1, 1, Fault::ForgetPart(2));
    let mut h = harness(s);
    assert_eq!(h.run(), State::Done);
    assert_eq!(completes(&h), 2);
    let parts = part_puts(&h);
    assert_eq!(
        parts.iter().filter(|p| **p == 2).count(),
        2,
        "part 2 sent again"
    );
    assert_eq!(parts.len(), 4);
    h.check_content();
}

#[test]
fn second_wrong_etag_fails_without_completing() {
    let mut s = MultipartServer::new(SIZE);
    s.faults.add(Target::Part, 1, 100, Fault::WrongEtag);
    let mut h = harness(s);
    assert_eq!(h.run(), State::Failed);
    assert_eq!(h.error().unwrap().code, ErrorCode::Integrity);
    assert_eq!(completes(&h), 0);
    assert!(h.up.result().is_none());
}

#[test]
fn etag_hidden_by_cors_is_learned_from_the_listing() {
    let mut s = MultipartServer::new(SIZE);
    s.faults.add(Target::Part, 1, 3, Fault::NoEtag);
    let mut h = harness(s);
    assert_eq!(h.run(), State::Done);
    assert_eq!(part_puts(&h).len(), 3);
    assert!(h.count(|r| matches!(r.kind, RequestKind::ListParts { .. })) >= 3);
    h.check_content();
}

#[test]
fn cancel_aborts_everything() {
    let mut h = harness(MultipartServer::new(SIZE));
    h.run_until(|h| h.up.in_flight().count() >= 2);
    let in_flight: Vec<_> = h.up.in_flight().collect();
    let now = h.now;
    h.up.cancel(now);
    assert_eq!(h.run(), State::Failed);
    for id in in_flight {
        assert!(h.aborted.contains(&id));
    }
    assert_eq!(h.error().unwrap().code, ErrorCode::Cancelled);
    assert_eq!(completes(&h), 0);
}

#[test]
fn resumes_from_a_snapshot_without_resending_done_parts() {
    let mut h = harness(MultipartServer::new(SIZE));
    // Run until two parts are complete, then "reload the page".
    h.run_until(|h| {
        h.events
            .iter()
            .filter(|e| matches!(e, Event::PartComplete { .. }))
            .count()
            >= 2
    });
    let snap = serde_json::to_string(&h.up.snapshot()).unwrap();
    let done_before: Vec<u32> = h.server.parts.keys().copied().collect();
    assert!(done_before.len() >= 2);
    let server = h.server;
    let snap: jw_upload_core::Snapshot = serde_json::from_str(&snap).unwrap();
    let up = Upload::restore(cfg(), snap, Millis(0)).unwrap();
    let mut h2 = Harness::with_upload(up, server, Source::new(SIZE), Millis(0));
    assert_eq!(h2.run(), State::Done);
    let resent: Vec<u32> = part_puts(&h2)
        .into_iter()
        .filter(|p| done_before.contains(p))
        .collect();
    assert!(resent.is_empty(), "re-sent {resent:?}");
    h2.check_content();
    assert_eq!(h2.cred_requests, 0, "stored credentials reused");
}

#[test]
fn fast_links_get_bigger_parts() {
    let mut c = cfg();
    c.size = 30 * MIB;
    let mut h = Harness::new(c, MultipartServer::new(30 * MIB));
    h.bytes_per_ms = 2_000; // 2 MB/s per request, 8 MB/s with 4 parts in flight
    assert_eq!(h.run(), State::Done);
    let sizes: Vec<u64> = h.data_ranges().iter().map(|r| r.end - r.start).collect();
    assert_eq!(sizes[0], 5 * MIB);
    assert!(
        sizes.len() < 8,
        "the tail was re-cut into bigger parts: {sizes:?}"
    );
    assert!(sizes.iter().skip(1).any(|s| *s > 5 * MIB), "{sizes:?}");
    h.check_content();
}

#[test]
fn retry_budget_is_bounded() {
    let mut s = MultipartServer::new(SIZE);
    s.faults.add(Target::Part, 1, 10_000, Fault::Reset(0));
    let mut h = harness(s);
    assert_eq!(h.run(), State::Failed);
    assert_eq!(h.error().unwrap().code, ErrorCode::Network);
    // Failures that land inside one shared pause count once; at most parallel x attempts PUTs.
    let puts = part_puts(&h).len();
    assert!(puts <= 4 * 9, "{puts}");
}

#[test]
fn refused_token_renewal_is_credentials_expired() {
    struct NoRemint(MultipartServer);
    impl harness::Server for NoRemint {
        fn credentials(&mut self, renewal: Option<&str>) -> jw_upload_core::Response {
            match renewal {
                None => self.0.credentials(None),
                Some(_) => jw_upload_core::Response::new(
                    400,
                    r#"{"error":{"code":"bad_request","message":"media_id (renewal) is for s3, form and resumable"}}"#,
                ),
            }
        }
        fn handle(
            &mut self,
            r: &jw_upload_core::Request,
            s: &mut Source,
            n: Millis,
        ) -> harness::Outcome {
            self.0.handle(r, s, n)
        }
        fn assembled(&self) -> Option<Vec<std::ops::Range<u64>>> {
            self.0.assembled()
        }
        fn acks(&self) -> &harness::servers::Acks {
            self.0.acks()
        }
    }
    let mut s = MultipartServer::new(SIZE);
    s.faults.add(Target::Complete, 1, 1, Fault::Expire);
    let mut h = Harness::new(cfg(), NoRemint(s));
    assert_eq!(h.run(), State::Failed);
    let e = h.error().unwrap();
    assert_eq!(
        (e.code, e.status),
        (ErrorCode::CredentialsExpired, Some(400))
    );
    assert_eq!(e.platform_code.as_deref(), Some("bad_request"));
}

#[test]
fn tampered_snapshots_are_refused_not_panicked_on() {
    let mut h = harness(MultipartServer::new(SIZE));
    h.run_until(|h| h.sent.len() >= 3);
    let good = serde_json::to_value(h.up.snapshot()).unwrap();
    let restore = |v: &serde_json::Value, size: u64| {
        let mut c = cfg();
        c.size = size;
        let snap: jw_upload_core::Snapshot = serde_json::from_value(v.clone()).unwrap();
        Upload::restore(c, snap, Millis(0))
            .map(|_| ())
            .map_err(|e| e.code)
    };
    assert_eq!(restore(&good, SIZE), Ok(()));
    assert_eq!(restore(&good, SIZE + 1), Err(ErrorCode::InvalidConfig));
    let mut v = good.clone();
    v["version"] = 99.into();
    assert_eq!(restore(&v, SIZE), Err(ErrorCode::InvalidConfig));
    let mut v = good.clone();
    v["method"] = "s3".into();
    assert_eq!(restore(&v, SIZE), Err(ErrorCode::InvalidConfig));
    let mut v = good.clone();
    v["machine"]["Multipart"]["page_length"] = 0.into();
    v["machine"]["Multipart"]["parts"] = serde_json::json!([]);
    assert_eq!(restore(&v, SIZE), Ok(()));
    let mut v = good.clone();
    v["machine"]["Multipart"]["plan"]["ranges"] = serde_json::json!([[0, 10], [10, 20]]);
    assert_eq!(restore(&v, SIZE), Err(ErrorCode::InvalidReply));
}

#[test]
fn links_refused_by_dropping_the_connection_are_refreshed() {
    let mut s = MultipartServer::new(SIZE);
    s.drop_on_expired = true;
    s.faults.add(Target::Part, 2, 1, Fault::Expire);
    let mut h = harness(s);
    assert_eq!(h.run(), State::Done);
    h.check_content();
    assert!(h.count(|r| matches!(r.kind, RequestKind::ListParts { .. })) >= 3);
    assert!(part_puts(&h).len() <= 3 + 3, "{:?}", part_puts(&h));
}

/// The server's (and, when it agrees, the driver's) wall clock at engine time 0.
const WALL: u64 = 1_795_305_600_000;

/// Parts of exactly 5 MiB, one at a time, each taking about 10.5 s, on links that live `ttl`
/// seconds: part 2's link is listed with part 1's.
fn expiring(ttl: u64, offset: Option<i64>, drop_on_expired: bool) -> Harness<MultipartServer> {
    let mut s = MultipartServer::new(SIZE);
    s.link_ttl_secs = Some(ttl);
    s.wall_offset_ms = WALL;
    s.drop_on_expired = drop_on_expired;
    let mut c = cfg();
    c.part_parallel = 1;
    c.fixed_part_size = Some(5 * MIB);
    c.wall_clock_offset_ms = offset;
    let mut h = Harness::new(c, s);
    h.bytes_per_ms = 500;
    h
}

fn page_one_lists(h: &Harness<MultipartServer>) -> usize {
    h.count(|r| matches!(r.kind, RequestKind::ListParts { page: 1 }))
}

/// Every part PUT sent again went out after a fresh listing of its page (two parts a page).
fn each_resend_follows_a_listing(h: &Harness<MultipartServer>) {
    let kinds: Vec<&RequestKind> = h.sent.iter().map(|s| &s.req.kind).collect();
    for (i, k) in kinds.iter().enumerate() {
        let RequestKind::PutPart { part } = k else {
            continue;
        };
        let rest = &kinds[i + 1..];
        let Some(next) = rest
            .iter()
            .position(|k| **k == RequestKind::PutPart { part: *part })
        else {
            continue;
        };
        let page = (part - 1) / 2 + 1;
        assert!(
            rest[..next].contains(&&RequestKind::ListParts { page }),
            "part {part} sent again without a fresh link: {kinds:?}"
        );
    }
}

#[test]
fn links_past_their_own_expiry_are_relisted_before_use() {
    // 70 s links: part 2's is within the minute's margin of its expiry when part 2 is due.
    let mut h = expiring(70, Some(WALL as i64), true);
    assert_eq!(h.run(), State::Done, "{:?}", h.error());
    assert_eq!(
        h.server.refused_expired, 0,
        "no PUT went to an expired link"
    );
    assert_eq!(
        page_one_lists(&h),
        2,
        "part 2's link was renewed by listing"
    );
    assert_eq!(part_puts(&h), vec![1, 2, 3]);
    assert!(
        !h.states().iter().any(|s| s.starts_with("Retrying")),
        "{:?}",
        h.states()
    );
    h.check_content();
    h.check_no_resend();
}

#[test]
fn expired_links_lost_without_reply_are_relisted_without_a_clock() {
    // No wall clock: the expiry in the URL cannot be compared, so the PUT goes and the server
    // drops the connection (a browser's network error, not a 403): the part is listed again.
    let mut h = expiring(5, None, true);
    assert_eq!(h.run(), State::Done, "{:?}", h.error());
    assert!(h.server.refused_expired >= 1);
    each_resend_follows_a_listing(&h);
    assert_eq!(h.cred_requests, 1, "a fresh link, not new credentials");
    h.check_content();
    h.check_no_resend();
}

#[test]
fn a_clock_that_disagrees_with_the_links_never_makes_them_useless() {
    // The driver's clock 2 h ahead: every link looks expired when listed, so its expiry is
    // ignored (no listing loop); the server's own refusals still lead to fresh links.
    let mut h = expiring(3600, Some(WALL as i64 + 7_200_000), false);
    assert_eq!(h.run(), State::Done, "{:?}", h.error());
    assert_eq!(h.server.refused_expired, 0);
    assert_eq!(page_one_lists(&h), 1, "no listing loop");
    // Links shorter than the margin are never trusted either; the 403 is the signal.
    let mut h = expiring(5, Some(WALL as i64), false);
    assert_eq!(h.run(), State::Done, "{:?}", h.error());
    assert!(h.server.refused_expired >= 1, "refused with a 403");
    each_resend_follows_a_listing(&h);
    // 1 h behind: links look fresh for longer than they are; the dropped PUT is the signal.
    let mut h = expiring(5, Some(WALL as i64 - 3_600_000), true);
    assert_eq!(h.run(), State::Done, "{:?}", h.error());
    assert!(h.server.refused_expired >= 1);
    each_resend_follows_a_listing(&h);
    h.check_content();
    h.check_no_resend();
}
