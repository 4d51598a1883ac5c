//! The protocol core alone, as a wasm module with no browser layer: `cargo xtask bench` builds
//! it (`--release --target wasm32-unknown-unknown`, wasm-bindgen, `wasm-opt -Oz`) and reports
//! its gzipped size as the floor of any uploader built on this core.
//!
//! One exported function drives an [`Upload`] through the whole public API (every method,
//! replies, failures, digests, timers, pause/resume/cancel, online/offline, snapshot and
//! restore) from a JSON script, so the linker keeps every protocol path the widget can reach.
//! The tests below run it natively on real scripts.

use jw_upload_core::{Config, FailureKind, Millis, Response, Snapshot, Task, Upload};
use serde::Deserialize;
use wasm_bindgen::prelude::*;

/// One step of a script: the answer to the engine's next question, or a user action.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Step {
    /// The backend's reply to `Task::Credentials`, or the reply to the next request.
    Reply(Response),
    /// The next request (or the credentials call) failed.
    Fail(FailureKind),
    /// The MD5 hex of the next range the engine asks to hash.
    Digest(String),
    Pause,
    Resume,
    Cancel,
    Online(bool),
    /// Snapshot the upload as JSON and restore it from that text.
    Restore,
}

/// Runs `config` (a JSON [`Config`]) through `script` (a JSON array of [`Step`]s) and returns
/// every event as one JSON line, then the final state.
#[wasm_bindgen]
pub fn drive(config: &str, script: &str) -> Result<String, String> {
    let cfg: Config = serde_json::from_str(config).map_err(|e| e.to_string())?;
    let steps: Vec<Step> = serde_json::from_str(script).map_err(|e| e.to_string())?;
    let mut steps = steps.into_iter();
    let mut now = Millis(0);
    let mut up = Upload::new(cfg.clone(), now).map_err(|e| e.message)?;
    let mut out = String::new();
    let (mut creds, mut digests) = (None, Vec::new());
    loop {
        now = Millis(now.0 + 10);
        while let Some(id) = up.poll_abort() {
            creds = creds.filter(|c| *c != id);
        }
        while let Some(task) = up.poll_task() {
            out.push_str(&serde_json::to_string(&task).map_err(|e| e.to_string())?);
            out.push('\n');
            match task {
                Task::Credentials { id, .. } => creds = Some(id),
                Task::Digest { range } => digests.push(range),
            }
        }
        while let Some(ev) = up.poll_event() {
            out.push_str(&serde_json::to_string(&ev).map_err(|e| e.to_string())?);
            out.push('\n');
        }
        if up.state().is_terminal() {
            break;
        }
        if let Some(range) = digests.pop() {
            match steps.next() {
                Some(Step::Digest(hex)) => up.handle_digest(range, &hex, now),
                _ => up.handle_digest_failure(range, now),
            }
            continue;
        }
        let request = if creds.is_some() {
            None
        } else {
            up.poll_request(now)
        };
        if let Some(r) = &request {
            up.handle_progress(r.id, r.body.source_len(), now);
        }
        let Some(step) = steps.next() else {
            match up.poll_timeout() {
                Some(t) => {
                    now = Millis(t.0.max(now.0));
                    up.handle_timeout(now);
                    continue;
                }
                None => break,
            }
        };
        // The credentials call is answered like any request, by its id.
        let answering = creds.or(request.as_ref().map(|r| r.id));
        match (step, answering) {
            (Step::Reply(resp), Some(id)) => {
                creds = None;
                up.handle_response(id, resp, now);
            }
            (Step::Fail(kind), Some(id)) => {
                creds = None;
                up.handle_failure(id, kind, now);
            }
            (Step::Pause, ..) => up.pause(now),
            (Step::Resume, ..) => up.resume(now),
            (Step::Cancel, ..) => up.cancel(now),
            (Step::Online(on), ..) => up.set_online(on, now),
            (Step::Restore, ..) => {
                let text = serde_json::to_string(&up.snapshot()).map_err(|e| e.to_string())?;
                let snap: Snapshot = serde_json::from_str(&text).map_err(|e| e.to_string())?;
                up = Upload::restore(cfg.clone(), snap, now).map_err(|e| e.message)?;
                creds = None; // a restored upload asks again if it must
            }
            (Step::Reply(_) | Step::Fail(_) | Step::Digest(_), ..) => {
                return Err("a reply with no request to answer".into())
            }
        }
    }
    out.push_str(up.state().name());
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const S3_CREDS: &str = r#"{"reply":{"status":200,"headers":[],"body":"{\"status\":\"ok\",\"media\":{\"key\":\"K1\"},\"link\":{\"protocol\":\"http\",\"address\":\"127.0.0.1:4010\",\"path\":\"/u/K1\",\"query\":{\"Expires\":9,\"Signature\":\"s\"}}}"}}"#;

    const S3_PUT: &str = r#"{"reply":{"status":200,"headers":[["ETag","\"ab\""]],"body":""}}"#;

    /// A 1000-byte s3 upload driven by `steps` (after the credentials).
    fn s3(steps: &str) -> String {
        let config = r#"{"size":1000,"file_name":"a.mp4","method":"s3"}"#;
        drive(config, &format!("[{S3_CREDS},{steps}]")).unwrap()
    }

    #[test]
    fn drives_an_s3_upload_to_done() {
        let out = s3(&format!(r#"{S3_PUT},{{"digest":"ab"}}"#));
        assert!(out.contains("\"media_id\":\"K1\""), "{out}");
        assert!(out.ends_with("done"), "{out}");
    }

    #[test]
    fn a_wrong_digest_resends_then_fails_and_restore_keeps_going() {
        let out = s3(&format!(
            r#""restore",{S3_PUT},{{"digest":"cd"}},{S3_PUT},{{"digest":"cd"}}"#
        ));
        assert!(out.contains("integrity"), "{out}");
        assert!(out.ends_with("failed"), "{out}");
    }

    #[test]
    fn cancel_ends_the_upload_and_a_bad_script_is_an_error() {
        let out = s3(r#""cancel""#);
        assert!(out.contains("\"cancelled\""), "{out}");
        assert!(out.ends_with("failed"), "{out}");
        assert!(drive(r#"{"size":1000}"#, r#"[{"nope":1}]"#).is_err());
        assert!(drive(r#"{"size":1000}"#, r#"["pause",{"digest":"ab"}]"#).is_err());
    }
}
