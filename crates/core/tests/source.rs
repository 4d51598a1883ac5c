//! A file that changes on disk mid-upload: the driver finds it unreadable and says so; the
//! upload fails at once with `file_changed`, never retried, never sending another byte.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use jw_upload_core::{Config, ErrorCode, Event, Method, Millis, Response, State, Task, Upload};

#[test]
fn an_unreadable_source_fails_the_upload_without_retrying() {
    let mut cfg =
        Config::new(12 * 1024 * 1024, "clip.mp4", "video/mp4").with_method(Method::Resumable);
    cfg.verify = false;
    let mut up = Upload::new(cfg, Millis(0)).unwrap();
    let Some(Task::Credentials { id, .. }) = up.poll_task() else {
        panic!("credentials are asked first");
    };
    let reply = r#"{"status":"ok","media":{"key":"K1"},"session_id":"S1","link":{"protocol":"http",
        "address":"127.0.0.1:4010","path":"/v1/videos/upload/resumable","query":{"key":"U1"}}}"#;
    up.handle_response(id, Response::new(200, reply), Millis(1));
    let req = up.poll_request(Millis(2)).unwrap();
    up.handle_progress(req.id, 1000, Millis(3));
    up.handle_unreadable(req.id, Millis(10));
    let mut errors = Vec::new();
    while let Some(ev) = up.poll_event() {
        if let Event::Error(e) = ev {
            errors.push(e);
        }
    }
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, ErrorCode::FileChanged);
    assert!(!errors[0].retryable);
    assert_eq!(up.state(), State::Failed);
    assert!(
        up.poll_request(Millis(20_000)).is_none(),
        "nothing more is sent"
    );
    assert!(up.poll_timeout().is_none(), "no retry is scheduled");
    // A late report for the same request changes nothing.
    up.handle_unreadable(req.id, Millis(30));
    assert!(up.poll_event().is_none());
}
