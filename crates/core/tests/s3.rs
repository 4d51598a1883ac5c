//! s3 runs against the scripted peer: faults, renewal, integrity, pause, cancel, budget.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

use harness::servers::{Fault, S3Server, Target};
use harness::Harness;
use jw_upload_core::{Config, ErrorCode, Event, Method, Millis, RequestKind, State, Task, Upload};

const SIZE: u64 = 300_000;

fn cfg() -> Config {
    let mut c = Config::new(SIZE, "clip.mp4", "video/mp4");
    c.upload_api_base = "http://api".into();
    c
}

fn harness(server: S3Server) -> Harness<S3Server> {
    Harness::new(cfg(), server)
}

fn puts(h: &Harness<S3Server>) -> usize {
    h.count(|r| r.kind == RequestKind::S3Put)
}

#[test]
fn uploads_in_one_put() {
    let mut h = harness(S3Server::new(SIZE));
    assert_eq!(h.up.method(), Method::S3);
    assert_eq!(h.run(), State::Done);
    assert_eq!(puts(&h), 1);
    h.check_content();
    h.check_progress();
    h.check_no_resend();
    let r = h.up.result().unwrap().clone();
    assert_eq!(r.media_id, "K1");
    assert_eq!(r.md5, Some(h.src.md5(&(0..SIZE))));
    assert!(h.sent[0].req.url.starts_with(
        "http://sim/jwplatform-upload/K1?AWSAccessKeyId=AK&Expires=101&Signature=sig1%2F%2B%3D"
    ));
    assert_eq!(h.states(), ["waiting", "uploading", "done"]);
    assert!(h.events.iter().any(|e| matches!(e, Event::Finished(_))));
}

#[test]
fn survives_5xx_reset_429_and_lost_reply() {
    let mut s = S3Server::new(SIZE);
    s.faults
        .add(Target::S3, 1, 1, Fault::Status(503, None))
        .add(Target::S3, 2, 1, Fault::Reset(100_000))
        .add(Target::S3, 3, 1, Fault::Status(429, Some("3".into())))
        .add(Target::S3, 4, 1, Fault::LoseReply);
    let mut h = harness(s);
    assert_eq!(h.run(), State::Done);
    assert_eq!(puts(&h), 5);
    // The pause after the 429 honours Retry-After: 3 s.
    let gap = h.sent[3].at.0 - h.sent[2].at.0;
    assert!(gap >= 3000, "gap {gap}");
    h.check_content();
    h.check_progress();
    let retries: Vec<_> = h
        .events
        .iter()
        .filter_map(|e| match e {
            Event::StateChanged {
                state: State::Retrying { attempt, .. },
            } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(retries, [1, 2, 3, 4]);
}

#[test]
fn stall_is_aborted_and_retried() {
    let mut s = S3Server::new(SIZE);
    s.faults.add(Target::S3, 1, 1, Fault::Stall(1000));
    let mut h = harness(s);
    assert_eq!(h.run(), State::Done);
    assert_eq!(puts(&h), 2);
    assert_eq!(h.aborted, vec![h.sent[0].req.id]);
    assert!(h.events.iter().any(|e| matches!(e, Event::Stalled { .. })));
    // Aborted after the stall timeout (30 s) without progress.
    assert!(h.sent[1].at.0 >= 30_000);
    h.check_content();
}

#[test]
fn expired_link_is_renewed() {
    let mut s = S3Server::new(SIZE);
    s.faults.add(Target::S3, 1, 1, Fault::Expire);
    let mut h = harness(s);
    assert_eq!(h.run(), State::Done);
    assert_eq!(h.cred_requests, 2);
    assert!(h.sent[1].req.url.contains("Signature=sig2"));
    let renew = h.tasks.iter().filter_map(|t| match t {
        Task::Credentials { media_id, .. } => Some(media_id.clone()),
        Task::Digest { .. } => None,
    });
    assert_eq!(renew.collect::<Vec<_>>(), [None, Some("K1".to_string())]);
    h.check_content();
}

#[test]
fn wrong_etag_resends_once_then_fails() {
    let mut s = S3Server::new(SIZE);
    s.faults.add(Target::S3, 1, 1, Fault::WrongEtag);
    let mut h = harness(s);
    assert_eq!(h.run(), State::Done);
    assert_eq!(puts(&h), 2);

    let mut s = S3Server::new(SIZE);
    s.faults.add(Target::S3, 1, 2, Fault::WrongEtag);
    let mut h = harness(s);
    assert_eq!(h.run(), State::Failed);
    assert_eq!(puts(&h), 2);
    assert_eq!(h.error().unwrap().code, ErrorCode::Integrity);
    assert!(h.up.result().is_none());
}

#[test]
fn missing_etag_header_skips_the_check() {
    let mut s = S3Server::new(SIZE);
    s.faults.add(Target::S3, 1, 1, Fault::NoEtag);
    let mut h = harness(s);
    assert_eq!(h.run(), State::Done);
    assert_eq!(h.up.result().unwrap().md5, None);
}

#[test]
fn retry_budget_is_bounded() {
    let mut s = S3Server::new(SIZE);
    s.faults.add(Target::S3, 1, 1000, Fault::Status(500, None));
    let mut h = harness(s);
    assert_eq!(h.run(), State::Failed);
    let max = cfg().retry.max_attempts as usize;
    assert_eq!(puts(&h), max + 1);
    let e = h.error().unwrap();
    assert_eq!(
        (e.code, e.status, e.retryable),
        (ErrorCode::ServerRejected, Some(500), true)
    );
}

#[test]
fn client_errors_are_not_retried() {
    let mut s = S3Server::new(SIZE);
    s.faults.add(Target::S3, 1, 1, Fault::Status(400, None));
    let mut h = harness(s);
    assert_eq!(h.run(), State::Failed);
    assert_eq!(puts(&h), 1);
    assert!(!h.error().unwrap().retryable);
}

#[test]
fn cancel_aborts_and_stops() {
    let mut s = S3Server::new(SIZE);
    s.faults.add(Target::S3, 1, 1, Fault::Stall(10));
    let mut h = harness(s);
    h.run_until(|h| !h.sent.is_empty());
    let now = h.now;
    h.up.cancel(now);
    assert_eq!(h.run(), State::Failed);
    assert_eq!(h.aborted, vec![h.sent[0].req.id]);
    assert_eq!(h.error().unwrap().code, ErrorCode::Cancelled);
    assert_eq!(puts(&h), 1);
    assert_eq!(h.up.poll_request(Millis(u64::MAX)), None);
}

#[test]
fn pause_then_resume() {
    let mut h = harness(S3Server::new(SIZE));
    h.run_until(|h| !h.sent.is_empty());
    let now = h.now;
    h.up.pause(now);
    h.pump();
    assert_eq!(h.up.state(), State::Paused);
    assert_eq!(h.aborted.len(), 1);
    // Nothing happens while paused, however long.
    assert_eq!(h.up.poll_request(Millis(1_000_000)), None);
    h.now = Millis(1_000_000);
    h.up.resume(h.now);
    assert_eq!(h.run(), State::Done);
    assert_eq!(puts(&h), 2);
}

#[test]
fn offline_costs_no_attempt() {
    let mut s = S3Server::new(SIZE);
    s.faults.add(Target::S3, 1, 20, Fault::Reset(0));
    let mut h = harness(s);
    h.run_until(|h| !h.sent.is_empty());
    let now = h.now;
    h.up.set_online(false, now);
    // Failures while offline: no retry state, no attempts burnt.
    h.run_until(|h| h.up.in_flight().count() == 0);
    assert_eq!(h.up.state(), State::Offline);
    assert_eq!(h.up.poll_request(Millis(10_000_000)), None);
    // 20 resets later the link works; online again goes on at once.
    for _ in 0..19 {
        h.now = Millis(h.now.0 + 60_000);
        let now = h.now;
        h.up.set_online(true, now);
        h.pump();
        h.up.set_online(false, now);
        h.run_until(|h| h.up.in_flight().count() == 0);
    }
    let now = h.now;
    h.up.set_online(true, now);
    assert_eq!(h.run(), State::Done);
    assert_eq!(puts(&h), 21);
}

#[test]
fn too_large_for_s3_is_refused() {
    let c = Config::new(5 * 1024 * 1024 * 1024, "big.mp4", "video/mp4").with_method(Method::S3);
    assert_eq!(
        Upload::new(c, Millis(0)).unwrap_err().code,
        ErrorCode::TooLargeForMethod
    );
    let c = Config::new(0, "empty.mp4", "video/mp4");
    assert_eq!(
        Upload::new(c, Millis(0)).unwrap_err().code,
        ErrorCode::EmptyFile
    );
}

#[test]
fn no_digest_means_no_check() {
    let mut up = Upload::new(cfg(), Millis(0)).unwrap();
    let mut s = S3Server::new(SIZE);
    let id = harness::credentials_call(&mut up);
    up.handle_response(id, harness::Server::credentials(&mut s, None), Millis(0));
    let req = up.poll_request(Millis(1)).unwrap();
    let resp = jw_upload_core::Response::new(200, "").with_header("ETag", "\"feed\"");
    up.handle_response(req.id, resp, Millis(2));
    assert_eq!(up.state(), State::Verifying);
    up.handle_digest_failure(0..SIZE, Millis(3));
    assert_eq!(up.state(), State::Done);
    assert_eq!(up.result().unwrap().md5.as_deref(), Some("feed"));
}

#[test]
fn retry_after_outlives_resume_and_online() {
    let mut s = S3Server::new(SIZE);
    s.faults
        .add(Target::S3, 1, 1, Fault::Status(503, Some("20".into())));
    let mut h = harness(s);
    h.run_until(|h| matches!(h.up.state(), State::Retrying { .. }));
    let t429 = h.now;
    h.up.set_online(false, t429);
    h.up.set_online(true, Millis(t429.0 + 1000));
    h.up.pause(Millis(t429.0 + 2000));
    h.up.resume(Millis(t429.0 + 3000));
    assert_eq!(h.up.poll_request(Millis(t429.0 + 19_000)), None);
    h.now = Millis(t429.0 + 3000);
    assert_eq!(h.run(), State::Done);
    assert!(h.sent[1].at.0 >= t429.0 + 20_000);
}

#[test]
fn lost_puts_make_the_link_suspect() {
    // An expired link is refused before the body is read; the browser sees a network error.
    let mut s = S3Server::new(SIZE);
    s.faults.add(Target::S3, 1, 2, Fault::Reset(0));
    let mut h = harness(s);
    assert_eq!(h.run(), State::Done);
    assert_eq!(puts(&h), 3);
    assert_eq!(h.cred_requests, 2, "fresh credentials after two lost PUTs");
}
