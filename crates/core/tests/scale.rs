//! Cost per input of a multipart upload does not grow with its part count: 512 and 5,120
//! parts driven to the end with a minimal scripted server (no file bytes, fake digests).
#![allow(clippy::unwrap_used)]

use jw_upload_core::{Config, Method, Millis, RequestKind, Response, State, Task, Upload};
use std::time::{Duration, Instant};

const PART: u64 = 5 * 1024 * 1024;

fn md5_of(start: u64) -> String {
    format!("{start:032x}")
}

/// Runs an upload of `parts` parts to the end; returns the time each input took.
fn run(parts: u64) -> Vec<Duration> {
    let mut cfg = Config::new(parts * PART, "big.mp4", "video/mp4").with_method(Method::Multipart);
    cfg.fixed_part_size = Some(PART);
    let mut now = Millis(0);
    let mut times = Vec::new();
    let mut timed = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        times.push(t.elapsed());
    };
    let mut up = None;
    timed(&mut || up = Some(Upload::new(cfg.clone(), Millis(0)).unwrap()));
    let mut up = up.unwrap();
    let creds = r#"{"id":"M1","type":"media","status":"created","metadata":{},"upload_id":"U1","upload_token":"T"}"#;
    loop {
        now = Millis(now.0 + 1);
        let mut busy = false;
        while up.poll_abort().is_some() {}
        while let Some(task) = up.poll_task() {
            busy = true;
            match task {
                Task::Credentials { id, .. } => {
                    timed(&mut || up.handle_response(id, Response::new(200, creds), now))
                }
                Task::Digest { range } => {
                    timed(&mut || up.handle_digest(range.clone(), &md5_of(range.start), now))
                }
            }
        }
        while up.poll_event().is_some() {}
        let mut req = None;
        timed(&mut || req = up.poll_request(now));
        let Some(req) = req else {
            if busy {
                continue;
            }
            break;
        };
        let resp = match &req.kind {
            RequestKind::ListParts { page } => {
                let url = &req.url;
                let len: u64 = url
                    .split("page_length=")
                    .nth(1)
                    .and_then(|s| s.split('&').next())
                    .and_then(|s| s.parse().ok())
                    .unwrap();
                let first = (u64::from(*page) - 1) * len + 1;
                let items: Vec<String> = (first..(first + len).min(parts + 1))
                    .map(|n| format!(r#"{{"id":{n},"upload_link":"http://s/p/{n}"}}"#))
                    .collect();
                let body = format!(
                    r#"{{"page":{page},"page_length":{len},"total":{parts},"parts":[{}]}}"#,
                    items.join(",")
                );
                Response::new(200, body)
            }
            RequestKind::PutPart { .. } => {
                let start = req.body.source_range().unwrap().start;
                let len = req.body.source_len();
                timed(&mut || up.handle_progress(req.id, len / 2, now));
                timed(&mut || up.handle_progress(req.id, len, now));
                Response::new(200, "").with_header("ETag", format!("\"{}\"", md5_of(start)))
            }
            _ => Response::new(200, "{}"),
        };
        timed(&mut || up.handle_response(req.id, resp.clone(), now));
    }
    assert_eq!(up.state(), State::Done, "{parts} parts");
    times
}

/// The number of inputs and the median time of one, the lowest of three runs: a busy machine
/// slows some inputs down (preempted, cache lost), not the median of a quiet run.
fn per_input(parts: u64) -> (usize, f64) {
    let medians = (0..3).map(|_| {
        let mut t = run(parts);
        t.sort();
        (t.len(), t[t.len() / 2])
    });
    let (inputs, median) = medians.min_by_key(|(_, m)| *m).unwrap();
    (inputs, median.as_secs_f64())
}

#[test]
fn cost_per_input_is_flat_in_the_part_count() {
    // 5,120 parts is the most there can be: 25 GiB (the platform's limit) in 5 MiB parts.
    let (n1, per1) = per_input(512);
    let (n2, per2) = per_input(5_120);
    eprintln!(
        "512 parts: {n1} inputs, median {:.2} us/input; 5,120 parts: {n2} inputs, median {:.2} us/input",
        per1 * 1e6,
        per2 * 1e6
    );
    assert!(n2 > 9 * n1, "{n1} vs {n2} inputs");
    // A cost linear in the parts would be ~10x per input; flat is ~1x (log factors and cache
    // effects allowed).
    assert!(per2 < 4.0 * per1, "{per1:e} s vs {per2:e} s per input");
}
