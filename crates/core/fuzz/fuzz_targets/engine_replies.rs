//! Fuzzes the engine with arbitrary replies: each request of an upload (any method) gets a
//! status, headers and body taken from the input. The engine must never panic, never ask for
//! bytes outside the file, and always end or keep waiting on something.
#![no_main]

use jw_upload_core::{Config, FailureKind, Method, Millis, Response, Task, Upload};
use libfuzzer_sys::fuzz_target;

const CREDS: [&str; 3] = [
    r#"{"status":"ok","media":{"key":"K"},"link":{"protocol":"http","address":"h","path":"/p","query":{"key":"k","token":"t","Expires":1,"Signature":"s"}},"session_id":"S"}"#,
    r#"{"id":"M","upload_id":"U","upload_token":"T"}"#,
    r#"{"status":"ok","video":{"key":"K"}}"#,
];

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let method = [
        Method::S3,
        Method::Form,
        Method::Resumable,
        Method::Multipart,
    ][data[0] as usize % 4];
    let size = 1 + u64::from(u16::from_le_bytes([data[1], data[2]])) * 4096;
    let mut cfg = Config::new(size, "f.mp4", "video/mp4").with_method(method);
    cfg.chunk_parallel = 1 + (data[3] as usize % 3);
    let Ok(mut up) = Upload::new(cfg, Millis(0)) else {
        return;
    };
    let mut input = data[4..].split(|b| *b == 0xff);
    let mut now = 0u64;
    for _ in 0..200 {
        now += 1000;
        while up.poll_abort().is_some() {}
        while let Some(task) = up.poll_task() {
            match task {
                Task::Credentials { id, .. } => {
                    let pick = input.next().and_then(|c| c.first()).copied().unwrap_or(0);
                    let body = CREDS[pick as usize % 3];
                    up.handle_response(id, Response::new(200, body), Millis(now));
                }
                Task::Digest { range } => {
                    assert!(range.end <= size);
                    up.handle_digest(range, "00", Millis(now));
                }
            }
        }
        while up.poll_event().is_some() {}
        let Some(req) = up.poll_request(Millis(now)) else {
            match up.poll_timeout() {
                Some(t) => {
                    now = now.max(t.0);
                    up.handle_timeout(Millis(now));
                    continue;
                }
                None => return,
            }
        };
        if let Some(r) = req.body.source_range() {
            assert!(r.start < r.end && r.end <= size, "range {r:?} of {size}");
        }
        let Some(chunk) = input.next() else {
            up.handle_failure(req.id, FailureKind::Network, Millis(now));
            continue;
        };
        let (status, rest) = match chunk {
            [a, rest @ ..] => (
                [200u16, 201, 303, 400, 401, 403, 404, 416, 429, 500][*a as usize % 10],
                rest,
            ),
            [] => (200, &[][..]),
        };
        let text = String::from_utf8_lossy(rest).into_owned();
        let (head, body) = text.split_once('\n').unwrap_or(("", text.as_str()));
        let mut resp = Response::new(status, body);
        if let Some((k, v)) = head.split_once(':') {
            resp = resp.with_header(k, v);
        }
        up.handle_progress(req.id, req.body.source_len() / 2, Millis(now));
        up.handle_response(req.id, resp, Millis(now + 1));
    }
});
