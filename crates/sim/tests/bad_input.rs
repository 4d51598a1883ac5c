//! The simulator's bad inputs of issue #13: each answers a platform-shaped 4xx, no handler
//! panics, a session stays usable, and no late body overwrites a completed upload.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

use common::{bytes, link_url, links, md5_hex, start, start_with, Sim};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

static PANICS: AtomicUsize = AtomicUsize::new(0);
static HOOK: Once = Once::new();

/// Counts panics anywhere in the process (the sim's handler tasks included).
fn count_panics() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            previous(info);
        }));
    });
}

fn assert_no_panic() {
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "a handler panicked");
}

#[tokio::test]
async fn a_huge_parts_page_is_an_empty_page_not_a_panic() {
    count_panics();
    let sim = start().await;
    let m = sim.create_multipart().await;
    for page in [u64::MAX, u64::MAX / 2, 10_001] {
        let r = sim.parts(&m, page, 10_000).await;
        assert_eq!(r.status(), 200, "page {page}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["parts"].as_array().map(Vec::len), Some(0), "{v}");
    }
    let r = sim
        .http
        .get(format!(
            "{}/v2/uploads/{}/parts?page=18446744073709551616",
            sim.url,
            m["upload_id"].as_str().unwrap()
        ))
        .bearer_auth(m["upload_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.json::<Value>().await.unwrap()["errors"].is_array());
    assert_eq!(
        sim.list_parts(&m, 1, 2).await["parts"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_no_panic();
}

#[tokio::test]
async fn a_resumable_total_of_u64_max_is_refused_and_the_session_stays_usable() {
    count_panics();
    let sim = start().await;
    let v = sim.create_video(Some("resumable")).await;
    let key = v["media"]["key"].as_str().unwrap().to_owned();
    let session = v["session_id"].as_str().unwrap();
    let url = link_url(&v["link"], "api_format=json");
    let max = u64::MAX;
    for range in [
        format!("bytes 0-9/{max}"),
        format!("bytes 0-9/{}", 26u64 << 30),
    ] {
        let r = sim.resumable_chunk(&url, session, &range, &[1u8; 10]).await;
        assert_eq!(r.status(), 400, "{range}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["status"], "error", "{body}");
        assert_eq!(body["code"], "FileSizeInvalid", "{body}");
    }
    // The same session takes the real file.
    let data = bytes(1000, 3);
    let r = sim
        .resumable_chunk(&url, session, "bytes 0-999/1000", &data)
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(sim.admin_media(&key).await["md5"], md5_hex(&data));
    assert_no_panic();
}

#[tokio::test]
async fn a_part_still_streaming_at_complete_never_overwrites_the_file() {
    count_panics();
    let sim = start().await;
    let m = sim.create_multipart().await;
    let id = m["id"].as_str().unwrap().to_owned();
    let link = links(&sim.list_parts(&m, 1, 1).await)[0].clone();
    let good = bytes(4000, 1);
    assert_eq!(sim.put(&link, good.clone()).await.status(), 200);

    // A second PUT of part 1: half its body now, the rest after `complete`.
    let late = bytes(4000, 2);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let body = reqwest::Body::wrap_stream(tokio_stream(rx));
    let request = sim
        .http
        .put(&link)
        .header("content-length", late.len().to_string())
        .body(body)
        .send();
    let pending = tokio::spawn(request);
    tx.send(Ok(late[..2000].to_vec())).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(sim.complete(&m, false).await.status(), 200);
    tx.send(Ok(late[2000..].to_vec())).await.unwrap();
    drop(tx);
    let answer = pending.await.unwrap().unwrap();
    assert_eq!(
        answer.status(),
        404,
        "a part PUT after completion is refused"
    );

    let stored = sim.admin_media(&id).await;
    assert_eq!(stored["md5"], md5_hex(&good));
    assert_eq!(
        stored["disk_md5"],
        md5_hex(&good),
        "the file on disk is the completed one"
    );
    assert_no_panic();
}

/// A stream of the channel's items.
fn tokio_stream(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

async fn admin_status(sim: &Sim, host: Option<&str>, origin: Option<&str>) -> u16 {
    let mut r = sim.http.get(format!("{}/_sim/log", sim.url));
    if let Some(h) = host {
        r = r.header("host", h);
    }
    if let Some(o) = origin {
        r = r.header("origin", o);
    }
    r.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn sim_admin_answers_only_its_own_pages_unless_opened() {
    let sim = start().await;
    let own = sim.url.clone();
    assert_eq!(admin_status(&sim, None, None).await, 200, "curl, tests");
    assert_eq!(
        admin_status(&sim, None, Some(&own)).await,
        200,
        "its own origin"
    );
    assert_eq!(
        admin_status(&sim, None, Some("https://evil.example")).await,
        403
    );
    assert_eq!(
        admin_status(&sim, None, Some("http://127.0.0.1:4000")).await,
        403,
        "another local page"
    );
    assert_eq!(
        admin_status(&sim, Some("rebind.evil.example"), None).await,
        403,
        "DNS rebinding"
    );
    let r = sim
        .http
        .post(format!("{}/_sim/faults", sim.url))
        .header("origin", "https://evil.example")
        .header("content-type", "text/plain")
        .body(r#"{"rules":[{"target":"any","fault":{"kind":"status","status":500}}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no cross-site writes either");
    let faults = sim.fault_rules().await;
    assert!(!faults.to_string().contains("500"), "{faults}");
    let open = start_with(|c| c.open_admin = true).await;
    assert_eq!(
        admin_status(&open, None, Some("https://evil.example")).await,
        200
    );
}

#[tokio::test]
async fn echoed_names_are_escaped_and_a_crlf_redirect_is_refused() {
    count_panics();
    let sim = start().await;
    let v = sim.create_video(Some("resumable")).await;
    let crlf = "api_format=json&redirect_address=http://example.com/%0D%0ASet-Cookie:%20x=1";
    let r = first_chunk(&sim, &v, crlf).await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "error");
    let xml = "api_format=xml&redirect_address=http://example.com/&redirect_query.a%3Cscript%3E=1";
    let r = first_chunk(&sim, &v, xml).await;
    assert_eq!(r.status(), 303, "the session is still usable");
    assert!(r.headers().contains_key("location"));
    let text = r.text().await.unwrap();
    assert!(
        !text.contains("<script>") && !text.contains("<a<"),
        "{text}"
    );
    assert_no_panic();
}

/// The first 64 bytes of the resumable upload `v` (a `videos/create` reply), sent to its link
/// with `extra` first in the query.
async fn first_chunk(sim: &Sim, v: &Value, extra: &str) -> reqwest::Response {
    let session = v["session_id"].as_str().unwrap();
    let url = link_url(&v["link"], extra);
    sim.resumable_chunk(&url, session, "bytes 0-63/64", &bytes(64, 1))
        .await
}

/// Sends only the headers of a PUT of `len` bytes; returns the reply's status line.
async fn put_headers_only(sim: &Sim, path_and_query: &str, len: u64) -> String {
    let addr = sim.url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head =
        format!("PUT {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {len}\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 2048];
    let n = stream.read(&mut buf).await.unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test]
async fn an_s3_put_must_be_smaller_than_5_gib() {
    let sim = start().await;
    let (url, _) = sim.s3_link().await;
    let path = url.trim_start_matches(&sim.url).to_owned();
    let five_gib: u64 = 5 << 30;
    let at = put_headers_only(&sim, &path, five_gib).await;
    assert!(
        at.starts_with("HTTP/1.1 400") && at.contains("EntityTooLarge"),
        "{at}"
    );
    // One byte less passes the size check (and then waits for its body, or is refused for
    // another reason: never EntityTooLarge).
    let wrong_sig = path.replace("Signature=", "Signature=x");
    let under = put_headers_only(&sim, &wrong_sig, five_gib - 1).await;
    assert!(!under.contains("EntityTooLarge"), "{under}");
    assert!(under.starts_with("HTTP/1.1 403"), "{under}");
}
