//! The stall watchdog against a slow link: bytes handed to the socket are not bytes the server
//! read. Once a body is all handed over, the buffers between the browser and the server may
//! still hold a lot of it, draining at the link's rate: waiting for that is no stall. A reply
//! that never comes is still one, seen within twice the watchdog after the last progress.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use jw_upload_core::{Config, Event, Millis, Request, Response, Task, Upload};

const SIZE: u64 = 1_500_000;

fn s3_reply() -> Response {
    Response::new(
        200,
        r#"{"status":"ok","media":{"key":"K1"},"link":{"protocol":"http",
            "address":"127.0.0.1:4010","path":"/jwplatform-upload/K1",
            "query":{"AWSAccessKeyId":"A","Expires":9,"Signature":"s"}}}"#,
    )
}

/// An s3 upload with a 2 s watchdog, its one PUT handed out at t = 0.
fn started() -> (Upload, Request) {
    let mut cfg = Config::new(SIZE, "clip.mp4", "video/mp4");
    cfg.stall_timeout = std::time::Duration::from_secs(2);
    cfg.verify = false;
    let mut up = Upload::new(cfg, Millis(0)).unwrap();
    let Some(Task::Credentials { id, .. }) = up.poll_task() else {
        panic!("credentials are asked first");
    };
    up.handle_response(id, s3_reply(), Millis(0));
    let req = up.poll_request(Millis(0)).unwrap();
    (up, req)
}

/// Feeds what Chromium reports over a 350 KB/s link with ~1 MB of socket buffers: 1 MB at
/// once, then 17.5 KB every 50 ms until the whole body is handed over. Returns that time.
fn trickle(up: &mut Upload, req: &Request) -> u64 {
    let mut sent = 1_000_000;
    let mut t = 5;
    up.handle_progress(req.id, sent, Millis(t));
    while sent < SIZE {
        t += 50;
        sent = (sent + 17_500).min(SIZE);
        up.handle_progress(req.id, sent, Millis(t));
        if let Some(at) = up.poll_timeout() {
            assert!(at.0 > t, "the watchdog is armed in the future");
        }
        up.handle_timeout(Millis(t));
    }
    t
}

fn stalled(up: &mut Upload) -> bool {
    let mut seen = false;
    while let Some(ev) = up.poll_event() {
        seen |= matches!(ev, Event::Stalled { .. });
    }
    seen
}

#[test]
fn a_slow_link_draining_its_buffers_is_no_stall() {
    let (mut up, req) = started();
    let handed = trickle(&mut up, &req);
    assert!(!stalled(&mut up));
    // The server reads the last ~1 MB over ~2.9 s after the browser handed it over: more than
    // the 2 s watchdog, and no progress event can show it.
    let reply_at = handed + 2_900;
    let mut t = handed;
    while t < reply_at {
        t += 100;
        up.handle_timeout(Millis(t));
        assert!(
            up.poll_abort().is_none(),
            "aborted at {} ms after the hand-over",
            t - handed
        );
    }
    assert!(
        !stalled(&mut up),
        "a body still draining at the link's rate is no stall"
    );
    up.handle_response(
        req.id,
        Response::new(200, "").with_header("ETag", "\"ab\""),
        Millis(reply_at),
    );
    assert_eq!(up.result().map(|r| r.media_id.as_str()), Some("K1"));
}

/// Lets time pass as a driver would (at each `poll_timeout`) until the engine aborts a request
/// or `until`; the time of the abort.
fn abort_time(up: &mut Upload, until: u64) -> Option<u64> {
    while let Some(at) = up.poll_timeout() {
        if at.0 > until {
            return None;
        }
        up.handle_timeout(at);
        if up.poll_abort().is_some() {
            return Some(at.0);
        }
    }
    None
}

#[test]
fn a_reply_that_never_comes_is_still_a_stall() {
    let (mut up, req) = started();
    let handed = trickle(&mut up, &req);
    // Bounded: the watchdog plus the time the buffers take at the measured rate, at most
    // twice the watchdog after the last progress.
    let at = abort_time(&mut up, handed + 10_000).expect("aborted");
    assert!(
        at <= handed + 2 * 2_000,
        "aborted {} ms after {handed}",
        at - handed
    );
    assert!(at >= handed + 2_000, "not before the watchdog");
    assert!(stalled(&mut up));
}

#[test]
fn a_stalled_body_is_seen_within_the_watchdog_while_handing_over() {
    let (mut up, req) = started();
    up.handle_progress(req.id, 1_000_000, Millis(5));
    for t in 1..=10 {
        up.handle_progress(req.id, 1_000_000 + t * 17_500, Millis(5 + t * 50));
    }
    // The server stops reading: no more progress after 505 ms.
    let at = abort_time(&mut up, 60_000).expect("aborted");
    assert_eq!(at, 505 + 2_000);
    assert!(stalled(&mut up));
}

#[test]
fn a_body_handed_over_in_one_burst_gets_time_to_drain() {
    // No progress after the first event: nothing measured the link, so the engine assumes a
    // slow one for the bytes the buffers may hold, up to twice the watchdog.
    let (mut up, req) = started();
    up.handle_progress(req.id, SIZE, Millis(10));
    up.handle_timeout(Millis(2_500));
    assert!(
        up.poll_abort().is_none(),
        "2.5 s after a burst is too early to give up"
    );
    assert_eq!(abort_time(&mut up, 60_000), Some(10 + 2 * 2_000));
}

#[test]
fn no_progress_at_all_is_a_stall_after_the_watchdog() {
    let (mut up, req) = started();
    up.handle_progress(req.id, 100_000, Millis(10));
    up.handle_timeout(Millis(2_010));
    assert_eq!(up.poll_abort(), Some(req.id));
    assert!(stalled(&mut up));
}

/// A 6 GiB multipart upload driven by hand to its `complete` (no verify, 8 MiB parts).
#[test]
fn a_large_complete_gets_time_to_assemble() {
    use jw_upload_core::{Method, RequestKind};
    const GIB: u64 = 1024 * 1024 * 1024;
    let size = 6 * GIB;
    let mut cfg = Config::new(size, "big.mp4", "video/mp4").with_method(Method::Multipart);
    cfg.upload_api_base = "http://api".into();
    cfg.verify = false;
    cfg.fixed_part_size = Some(8 * 1024 * 1024);
    let parts = size / (8 * 1024 * 1024);
    let mut up = Upload::new(cfg, Millis(0)).unwrap();
    let mut t = 0;
    let complete = loop {
        t += 1;
        while let Some(task) = up.poll_task() {
            if let Task::Credentials { id, .. } = task {
                let reply =
                    r#"{"id":"M1","upload_id":"U1","upload_token":"T1","status":"created"}"#;
                up.handle_response(id, Response::new(200, reply), Millis(t));
            }
        }
        let Some(req) = up.poll_request(Millis(t)) else {
            panic!("the engine stopped before complete");
        };
        match req.kind {
            RequestKind::ListParts { page } => {
                let per = req
                    .url
                    .split("page_length=")
                    .nth(1)
                    .and_then(|v| v.split('&').next())
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap();
                let first = (page as u64 - 1) * per + 1;
                let ids = first..=(first + per - 1).min(parts);
                let list: Vec<String> = ids
                    .map(|i| format!(r#"{{"id":{i},"upload_link":"http://sim/p/{i}"}}"#))
                    .collect();
                let body = format!(
                    r#"{{"page":{page},"page_length":{per},"total":{parts},"parts":[{}]}}"#,
                    list.join(",")
                );
                up.handle_response(req.id, Response::new(200, body), Millis(t));
            }
            RequestKind::PutPart { part } => {
                let len = req.body.source_len();
                up.handle_progress(req.id, len, Millis(t));
                up.handle_response(
                    req.id,
                    Response::new(200, "").with_header("ETag", format!("\"{part:032x}\"")),
                    Millis(t),
                );
            }
            RequestKind::Complete => break req,
            ref k => panic!("unexpected {k:?}"),
        }
    };
    // Going through 6 GiB at 32 MiB/s is 192 s: the watchdog (30 s) waits for that too.
    let deadline = up.poll_timeout().unwrap();
    assert!(
        deadline.0 >= t + 30_000 + 190_000,
        "deadline {} from {t}",
        deadline.0
    );
    up.handle_timeout(Millis(t + 200_000));
    assert!(
        up.poll_abort().is_none(),
        "a complete still assembling is not aborted"
    );
    up.handle_response(complete.id, Response::new(200, "{}"), Millis(t + 210_000));
    assert_eq!(up.result().map(|r| r.media_id.as_str()), Some("M1"));
}

/// Fails credentials call `id` at `now`, waits out the retry pause; the next call and the time.
fn fail_then_ask_again(
    up: &mut Upload,
    id: jw_upload_core::RequestId,
    kind: jw_upload_core::FailureKind,
    now: Millis,
) -> (jw_upload_core::RequestId, Millis) {
    up.handle_failure(id, kind, now);
    assert!(matches!(up.state(), jw_upload_core::State::Retrying { .. }));
    let later = up.poll_timeout().unwrap();
    up.handle_timeout(later);
    let Some(Task::Credentials { id: next, .. }) = up.poll_task() else {
        panic!("asked again after the failure");
    };
    assert_ne!(id, next);
    (next, later)
}

#[test]
fn a_credentials_call_is_watched_and_aborted_like_a_request() {
    use jw_upload_core::{FailureKind, RequestKind, State};
    let mut cfg = Config::new(SIZE, "clip.mp4", "video/mp4");
    cfg.stall_timeout = std::time::Duration::from_secs(2);
    let mut up = Upload::new(cfg, Millis(0)).unwrap();
    let Some(Task::Credentials { id: first, .. }) = up.poll_task() else {
        panic!("credentials are asked first");
    };
    assert!(up.in_flight().any(|i| i == first), "the call is tracked");
    // The backend never answers: the watchdog aborts the call and retries.
    assert_eq!(up.poll_timeout(), Some(Millis(2000)));
    up.handle_timeout(Millis(2000));
    assert_eq!(up.poll_abort(), Some(first));
    let stalls: Vec<Event> = std::iter::from_fn(|| up.poll_event())
        .filter(|e| matches!(e, Event::Stalled { .. }))
        .collect();
    assert_eq!(
        stalls,
        [Event::Stalled {
            id: first,
            kind: RequestKind::Credentials
        }]
    );
    assert!(matches!(up.state(), State::Retrying { .. }));
    assert_eq!(up.poll_task(), None, "not asked again during the pause");
    // A late reply to the aborted call is ignored.
    up.handle_response(first, s3_reply(), Millis(2001));
    assert_eq!(up.poll_request(Millis(2001)), None);
    let again = up.poll_timeout().unwrap();
    up.handle_timeout(again);
    let Some(Task::Credentials { id: second, .. }) = up.poll_task() else {
        panic!("asked again after the pause");
    };
    assert_ne!(first, second);
    // A pause lets the call finish (a create aborted would leave its media behind), and asks
    // nothing new.
    up.pause(again);
    assert_eq!(up.poll_abort(), None);
    assert_eq!(up.poll_task(), None);
    up.resume(again);
    assert_eq!(up.poll_task(), None);
    // A failed call is retried like a request, after the pause.
    let (third, later) = fail_then_ask_again(&mut up, second, FailureKind::Timeout, again);
    // A failure while paused costs no attempt and no pause: resuming asks again.
    up.pause(later);
    up.handle_failure(third, FailureKind::Network, later);
    assert_eq!(up.state(), State::Paused);
    up.resume(later);
    let Some(Task::Credentials { id: fourth, .. }) = up.poll_task() else {
        panic!("asked again after resume");
    };
    let (fourth, later) = fail_then_ask_again(&mut up, fourth, FailureKind::Network, later);
    up.handle_response(fourth, s3_reply(), later);
    assert!(up.poll_request(later).is_some(), "the upload goes on");
}
