//! The secrets never appear in a reply (body or header) or a log line, on any path.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::sync::{Arc, Mutex};

use common::{config, dead_base, file, start_fake, Browser, SECRET, V2_SECRET};
use jw_upload_backend::{pct_encode, spawn};
use serde_json::json;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn needles() -> Vec<String> {
    [SECRET, V2_SECRET]
        .iter()
        .flat_map(|s| [(*s).to_owned(), pct_encode(s)])
        .collect()
}

fn assert_clean(what: &str, text: &str) {
    for needle in needles() {
        assert!(!text.contains(&needle), "{what} contains a secret: {text}");
    }
}

#[tokio::test]
async fn no_reply_header_body_or_log_line_contains_a_secret() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let (_fake, addr) = start_fake().await;
    let cfg = config(&format!("http://{addr}"));
    tracing::info!(config = ?cfg, "test config");
    let server = spawn(cfg).await.unwrap();
    let dead = spawn(config(&dead_base().await)).await.unwrap();
    let mut replies = Vec::new();
    for srv in [&server, &dead] {
        let browser = Browser::new(srv).await;
        for req in [
            json!({"method":"s3","file":file("a.mp4", 1),"metadata":{"title":"t"}}),
            json!({"method":"form","file":file("a.mp4", 1),"metadata":{"title":"leak"}}),
            json!({"method":"resumable","file":file("a.mp4", 1),"metadata":{"title":"ratelimited"}}),
            json!({"method":"multipart","file":file("a.mp4", 1)}),
            json!({"method":"fetch","download_url":"http://127.0.0.1:9/x.mp4"}),
            json!({"method":"s3","file":file("a.mp4", 1),"media_id":"abc"}),
            json!({"resource":"track","file":file("a.vtt", 1),"video_key":"abc"}),
            json!({"method":"bogus"}),
            json!({"method":"s3","file":file("a.mp4", 1),"metadata":{"api_secret":"x"}}),
        ] {
            replies.push(browser.upload(&req).await);
        }
        replies.push(browser.media("Xa7fG2kq").await);
        replies.push(browser.media("missing1").await);
        // CSRF failures.
        let r = browser
            .http
            .post(format!("{}/api/uploads", browser.base))
            .header("origin", "https://evil.example")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        replies.push(common::split(r).await);
    }
    assert!(replies.len() >= 20);
    for (status, headers, body) in &replies {
        assert_clean("a reply body", &body.to_string());
        for (name, value) in headers {
            assert_clean(
                &format!("reply header {name}"),
                &String::from_utf8_lossy(value.as_bytes()),
            );
        }
        assert!(*status >= 200);
    }
    server.shutdown().await;
    dead.shutdown().await;

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("platform call"),
        "the backend logged nothing: {logs}"
    );
    assert!(logs.contains("platform unreachable"));
    assert!(logs.contains("<redacted>"));
    assert_clean("the log", &logs);
}

#[test]
fn the_binary_logs_its_config_without_secrets() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jw-upload-backend"))
        .env_clear()
        .env("JW_API_BASE", "http://127.0.0.1:9")
        .env("JW_SITE_ID", "site0001")
        .env("JW_API_KEY", "key00001")
        .env("JW_API_SECRET", SECRET)
        .env("JW_V2_SECRET", V2_SECRET)
        .env("JW_BACKEND_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "trace")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout).lines();
    let mut lines = Vec::new();
    for line in reader.by_ref() {
        let line = line.unwrap();
        let done = line.contains("listening on http://127.0.0.1:");
        lines.push(line);
        if done || lines.len() > 50 {
            break;
        }
    }
    // SIGTERM (our own child, by its id): a graceful stop.
    let term = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    if term.is_ok_and(|s| s.success()) {
        lines.extend(reader.map_while(Result::ok));
        assert!(child.wait().unwrap().success());
        assert!(
            lines.iter().any(|l| l.contains("shutting down")),
            "{lines:?}"
        );
    } else {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let text = lines.join("\n");
    assert!(text.contains("listening on http://127.0.0.1:"), "{text}");
    assert!(text.contains("starting jw-upload-backend"), "{text}");
    assert!(text.contains("<redacted>"), "{text}");
    assert_clean("the binary's log", &text);
}

#[test]
fn the_binary_refuses_to_start_without_credentials_for_the_real_api() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jw-upload-backend"))
        .env_clear()
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("JW_SITE_ID"), "{text}");
}
