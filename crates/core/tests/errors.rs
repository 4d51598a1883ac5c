//! Errors that say what to fix: the backend's or platform's own message with the status once,
//! "refused" for 4xx and "failed" for 5xx, and an origin that never answers named within 10 s
//! instead of eight backoff rounds. Driven by hand with a virtual clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)] // this file uses only the credentials helper
mod harness;

use harness::credentials_call;
use jw_upload_core::engine::{UNREACHABLE_AFTER, UNREACHABLE_FAILURES};
use jw_upload_core::{
    Config, ErrorCode, Event, FailureKind, Millis, Request, Response, State, Upload, UploadError,
};

const S3_REPLY: &str = r#"{"status":"ok","media":{"type":"video","key":"K1"},"link":{"protocol":"https",
    "address":"s3.blocked.example","path":"/jwplatform-upload/K1","query":{"AWSAccessKeyId":"AK",
    "Expires":100,"Signature":"sig"}},"rate_limit":{"reset":1,"limit":60,"remaining":59}}"#;

fn upload(backend: Option<&str>) -> Upload {
    let mut c = Config::new(300_000, "clip.mp4", "video/mp4");
    c.credentials_url = backend.map(str::to_string);
    Upload::new(c, Millis(0)).unwrap()
}

fn error(up: &mut Upload) -> Option<UploadError> {
    let mut last = None;
    while let Some(e) = up.poll_event() {
        if let Event::Error(e) = e {
            last = Some(e);
        }
    }
    last
}

/// Waits out any retry pause, answers credentials calls (a lost PUT makes the link suspect)
/// and returns the next request.
fn next_request(up: &mut Upload, now: &mut Millis) -> Option<Request> {
    for _ in 0..100 {
        while let Some(t) = up.poll_task() {
            if let jw_upload_core::Task::Credentials { id, .. } = t {
                up.handle_response(id, Response::new(200, S3_REPLY), *now);
            }
        }
        if let Some(r) = up.poll_request(*now) {
            return Some(r);
        }
        match up.poll_timeout() {
            Some(t) if t > *now => *now = t,
            _ => return None,
        }
        up.handle_timeout(*now);
    }
    None
}

#[test]
fn a_backend_refusal_shows_its_message_and_the_status_once() {
    let mut up = upload(None);
    let id = credentials_call(&mut up);
    let body = r#"{"error":{"code":"type_not_allowed","message":"file type not allowed"}}"#;
    up.handle_response(id, Response::new(400, body), Millis(5));
    assert_eq!(up.state(), State::Failed);
    let e = error(&mut up).unwrap();
    assert_eq!(
        e.message,
        "The backend refused the upload (HTTP 400): file type not allowed."
    );
    assert_eq!((e.status, e.retryable), (Some(400), false));
}

#[test]
fn a_server_error_is_a_failure_not_a_refusal_and_names_the_status_once() {
    let mut up = upload(None);
    let mut now = Millis(0);
    let mut id = credentials_call(&mut up);
    let body = r#"{"error":{"message":"database is down"}}"#;
    let max = Config::default().retry.max_attempts;
    for _ in 0..=max {
        up.handle_response(id, Response::new(500, body), now);
        if up.state() == State::Failed {
            break;
        }
        // Wait out the pause: the engine asks again.
        now = up.poll_timeout().unwrap();
        up.handle_timeout(now);
        id = match up.poll_task() {
            Some(jw_upload_core::Task::Credentials { id, .. }) => id,
            other => panic!("asked again, not {other:?}"),
        };
    }
    let e = error(&mut up).unwrap();
    assert_eq!(
        e.message,
        format!(
            "The upload failed on the backend (HTTP 500): database is down. Gave up after {max} attempts."
        )
    );
    assert_eq!(e.message.matches("500").count(), 1, "{}", e.message);
    assert!(!e.message.contains("refused"));
}

#[test]
fn a_platform_refusal_uses_the_s3_message_and_skips_html() {
    let mut up = upload(None);
    let id = credentials_call(&mut up);
    up.handle_response(id, Response::new(200, S3_REPLY), Millis(1));
    let mut now = Millis(1);
    let put = next_request(&mut up, &mut now).unwrap();
    // A 400 (a 401/403 would renew the credentials first: tests/recovery.rs).
    let xml = "<Error><Code>InvalidDigest</Code><Message>The Content-MD5 you specified is not valid</Message></Error>";
    up.handle_response(put.id, Response::new(400, xml), now);
    let e = error(&mut up).unwrap();
    assert_eq!(
        e.message,
        "The server refused the upload (HTTP 400): The Content-MD5 you specified is not valid."
    );

    let mut up = upload(None);
    let id = credentials_call(&mut up);
    up.handle_response(id, Response::new(200, S3_REPLY), Millis(1));
    let put = next_request(&mut up, &mut now).unwrap();
    up.handle_response(put.id, Response::new(413, "<html>too big</html>"), now);
    let e = error(&mut up).unwrap();
    assert_eq!(e.message, "The server refused the upload (HTTP 413).");
}

#[test]
fn a_never_reached_upload_host_is_named_within_ten_seconds() {
    let mut up = upload(None);
    let id = credentials_call(&mut up);
    up.handle_response(id, Response::new(200, S3_REPLY), Millis(1));
    let mut now = Millis(1);
    let mut puts = 0;
    // The browser refuses each PUT before a byte leaves (CSP, CORS preflight): 30 ms each.
    while let Some(put) = next_request(&mut up, &mut now) {
        puts += 1;
        now = Millis(now.0 + 30);
        up.handle_failure(put.id, FailureKind::Network, now);
    }
    assert_eq!(up.state(), State::Failed);
    assert_eq!(puts, UNREACHABLE_FAILURES as usize);
    assert!(now.0 < 10_000, "named after {} ms", now.0);
    let e = error(&mut up).unwrap();
    assert_eq!(e.code, ErrorCode::Network);
    assert!(
        e.message.starts_with(
            "cannot reach s3.blocked.example: check the page's CSP connect-src and the server's CORS"
        ),
        "{}",
        e.message
    );
}

#[test]
fn a_never_reached_backend_is_named_and_slow_failures_count_by_time() {
    let mut up = upload(Some("http://backend.example:4000/api/uploads"));
    let mut now = Millis(0);
    let mut calls = 0;
    while up.state() != State::Failed {
        let id = match up.poll_task() {
            Some(jw_upload_core::Task::Credentials { id, .. }) => id,
            _ => {
                now = up.poll_timeout().unwrap();
                up.handle_timeout(now);
                continue;
            }
        };
        calls += 1;
        // Each failure takes 5 s (a DNS lookup that times out).
        now = Millis(now.0 + 5_000);
        up.handle_failure(id, FailureKind::Network, now);
    }
    // Named at the first failure 8 s or more after the first one, before the fourth.
    assert_eq!(calls, 3);
    assert!(now.0 >= 5_000 + UNREACHABLE_AFTER.as_millis() as u64);
    let e = error(&mut up).unwrap();
    assert!(
        e.message.starts_with("cannot reach backend.example:4000: "),
        "{}",
        e.message
    );
}

#[test]
fn a_link_that_fails_after_sending_bytes_is_retried_as_before() {
    let mut up = upload(None);
    let id = credentials_call(&mut up);
    up.handle_response(id, Response::new(200, S3_REPLY), Millis(1));
    let mut now = Millis(1);
    for _ in 0..UNREACHABLE_FAILURES + 1 {
        let put = next_request(&mut up, &mut now).unwrap();
        up.handle_progress(put.id, 65_536, now);
        up.handle_failure(put.id, FailureKind::Network, now);
        assert_ne!(
            up.state(),
            State::Failed,
            "bytes left: the host is reachable"
        );
    }
}
