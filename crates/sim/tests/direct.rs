//! v2 `direct` uploads: `upload.method: "direct"` returns a pre-signed `upload_link`; one PUT
//! of the whole file, `Content-Type` exactly as `upload.mime_type` (or none), `ETag` = MD5, the
//! S3 single-PUT limit, expiry, the s3 faults and CORS, status as for the other methods.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Creates a direct upload (optionally with `mime_type`); returns the reply.
async fn create_direct(sim: &Sim, mime_type: Option<&str>) -> Value {
    let mut upload = json!({"method": "direct"});
    if let Some(m) = mime_type {
        upload["mime_type"] = json!(m);
    }
    let r = sim
        .v2_create(json!({"upload": upload, "metadata": {"title": "Direct"}}))
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn link(v: &Value) -> String {
    v["upload_link"].as_str().unwrap().to_string()
}

async fn put_typed(sim: &Sim, url: &str, ctype: &str, body: Vec<u8>) -> reqwest::Response {
    sim.http
        .put(url)
        .header("Content-Type", ctype)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn direct_put_end_to_end() {
    let sim = start_with(|c| c.processing_ms = 60_000).await;
    let v = create_direct(&sim, None).await;
    let id = v["id"].as_str().unwrap();
    assert_eq!(v["status"], "created");
    assert_eq!(v["metadata"]["title"], "Direct");
    assert!(
        v.get("upload_id").is_none() && v.get("upload_token").is_none(),
        "{v}"
    );
    let url = link(&v);
    assert!(url.starts_with(&sim.url), "{url}");
    assert!(
        url.contains("Expires=") && url.contains("Signature="),
        "{url}"
    );
    let data = bytes(3 * 1024 * 1024 + 5, 3);
    let r = sim.put(&url, data.clone()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["etag"].to_str().unwrap(),
        format!("\"{}\"", md5_hex(&data))
    );
    let m = sim.admin_media(id).await;
    assert_eq!(m["md5"], md5_hex(&data));
    assert_eq!(m["size"], data.len());
    assert_eq!(m["method"], "direct");
    assert_eq!(sim.v2_get_media(id).await["status"], "processing");
    sim.advance(61).await;
    let s = sim.wait_final(id).await;
    assert_eq!(s["status"], "ready");
    assert_eq!(s["md5"], md5_hex(&data));
    // Sending the whole file again (the docs' way to resume a single request) replaces it.
    let again = bytes(4096, 9);
    let url2 = link(&create_direct(&sim, None).await);
    assert_eq!(sim.put(&url2, again.clone()).await.status(), 200);
    let r = sim.put(&url2, data.clone()).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn without_mime_type_the_put_carries_no_content_type() {
    let sim = start().await;
    let url = link(&create_direct(&sim, None).await);
    let r = put_typed(&sim, &url, "video/mp4", vec![1u8; 10]).await;
    assert_s3_error(r, 403, "SignatureDoesNotMatch").await;
    let r = put_typed(&sim, &url, "application/octet-stream", vec![1u8; 10]).await;
    assert_s3_error(r, 403, "SignatureDoesNotMatch").await;
    assert_eq!(sim.put(&url, vec![1u8; 10]).await.status(), 200);
}

#[tokio::test]
async fn with_mime_type_the_put_carries_exactly_that_content_type() {
    let sim = start().await;
    let v = create_direct(&sim, Some("video/mp4")).await;
    let url = link(&v);
    // None, another type, and the same type with a parameter are all refused.
    let r = sim.put(&url, vec![2u8; 10]).await;
    assert_s3_error(r, 403, "SignatureDoesNotMatch").await;
    let r = put_typed(&sim, &url, "video/quicktime", vec![2u8; 10]).await;
    assert_s3_error(r, 403, "SignatureDoesNotMatch").await;
    let r = put_typed(&sim, &url, "video/mp4; charset=binary", vec![2u8; 10]).await;
    assert_s3_error(r, 403, "SignatureDoesNotMatch").await;
    let data = bytes(70_000, 4);
    let r = put_typed(&sim, &url, "video/mp4", data.clone()).await;
    assert_eq!(r.status(), 200);
    let id = v["id"].as_str().unwrap();
    assert_eq!(sim.admin_media(id).await["md5"], md5_hex(&data));
}

#[tokio::test]
async fn bad_mime_type_and_tampered_or_expired_links_are_refused() {
    let sim = start().await;
    for bad in [json!(5), json!(""), json!("video/mp4\r\nX-Evil: 1")] {
        let r = sim
            .v2_create(json!({"upload": {"method": "direct", "mime_type": bad}}))
            .await;
        assert_v2_error(r, 400, "invalid_parameter").await;
    }
    let url = link(&create_direct(&sim, None).await);
    let r = sim
        .put(&url.replace("Signature=", "Signature=AAAA"), vec![1u8; 3])
        .await;
    assert_s3_error(r, 403, "SignatureDoesNotMatch").await;
    // The link's life is the s3 link's (`--s3-link-ttl-secs`, 3600 s by default).
    sim.advance(3601).await;
    let r = sim.put(&url, vec![1u8; 3]).await;
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("<Code>AccessDenied</Code>") && body.contains("Request has expired"),
        "{body}"
    );
}

/// Sends only the headers of a PUT of `len` bytes; returns the reply's head.
async fn put_headers_only(sim: &Sim, url: &str, len: u64) -> String {
    let mut s = raw_head(sim, "PUT", url, &format!("Content-Length: {len}\r\n")).await;
    let mut buf = vec![0u8; 2048];
    let n = s.read(&mut buf).await.unwrap();
    s.shutdown().await.ok();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test]
async fn a_direct_put_must_be_smaller_than_5_gib() {
    let sim = start().await;
    let url = link(&create_direct(&sim, None).await);
    let five_gib: u64 = 5 << 30;
    let at = put_headers_only(&sim, &url, five_gib).await;
    assert!(
        at.starts_with("HTTP/1.1 400") && at.contains("<Code>EntityTooLarge</Code>"),
        "{at}"
    );
    let under = put_headers_only(
        &sim,
        &url.replace("Signature=", "Signature=x"),
        five_gib - 1,
    )
    .await;
    assert!(under.starts_with("HTTP/1.1 403"), "{under}");
}

#[tokio::test]
async fn s3_faults_apply_to_direct_puts() {
    let sim = start().await;
    let url = link(&create_direct(&sim, None).await);
    let data = bytes(100_000, 5);
    sim.faults(json!([
        {"target":"s3","nth":1,"fault":{"kind":"status","status":503,"retry_after":"1","after_bytes":1000}},
        {"target":"s3","nth":2,"fault":{"kind":"wrong_etag"}},
        {"target":"s3","nth":3,"fault":{"kind":"expire"}},
    ]))
    .await;
    let r = sim.put(&url, data.clone()).await;
    assert_eq!(r.headers()["retry-after"], "1");
    assert_s3_error(r, 503, "SlowDown").await;
    let r = sim.put(&url, data.clone()).await;
    assert_eq!(r.status(), 200);
    assert_ne!(
        r.headers()["etag"].to_str().unwrap(),
        format!("\"{}\"", md5_hex(&data))
    );
    let r = sim.put(&url, data.clone()).await;
    assert_s3_error(r, 403, "AccessDenied").await;
    let r = sim.put(&url, data.clone()).await;
    assert_eq!(
        r.headers()["etag"].to_str().unwrap(),
        format!("\"{}\"", md5_hex(&data))
    );
    let log = sim.log().await;
    let puts: Vec<&Value> = log.iter().filter(|e| e["method"] == "PUT").collect();
    assert_eq!(puts.len(), 4);
    assert!(puts.iter().all(|e| e["target"] == "s3"), "{log:?}");
    assert_eq!(puts[0]["fault"], "status");
    assert_eq!(puts[0]["status"], 503);
}

#[tokio::test]
async fn a_stalled_direct_put_ends_when_the_client_goes_away() {
    let sim = start().await;
    let v = create_direct(&sim, None).await;
    let url = link(&v);
    sim.faults(json!([{"target":"s3","fault":{"kind":"stall","after_bytes":1000}}]))
        .await;
    let mut s = raw_head(&sim, "PUT", &url, "Content-Length: 5000\r\n").await;
    s.write_all(&[7u8; 5000]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    drop(s);
    for _ in 0..100 {
        let log = sim.log().await;
        if log
            .iter()
            .any(|e| e["method"] == "PUT" && e["status"] == 499)
        {
            let e = log.iter().find(|e| e["method"] == "PUT").unwrap();
            assert_eq!(e["fault"], "stall", "{e}");
            // Nothing was stored: the media still waits for its bytes.
            let m = sim.admin_media(v["id"].as_str().unwrap()).await;
            assert_eq!(m["status"], "created", "{m}");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!(
        "the stalled PUT was never logged 499: {:?}",
        sim.log().await
    );
}

#[tokio::test]
async fn direct_links_answer_cors_like_the_s3_host() {
    let sim = start().await;
    let url = link(&create_direct(&sim, Some("video/mp4")).await);
    let r = sim
        .http
        .request(reqwest::Method::OPTIONS, &url)
        .header("Origin", "http://localhost:8080")
        .header("Access-Control-Request-Method", "PUT")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "http://localhost:8080"
    );
    let r = sim
        .http
        .put(&url)
        .header("Origin", "http://localhost:8080")
        .header("Content-Type", "video/mp4")
        .body(vec![1u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let exposed = r.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("etag"), "{exposed}");
}

#[tokio::test]
async fn an_empty_or_short_direct_upload_fails_processing() {
    let sim = start().await;
    let v = create_direct(&sim, None).await;
    assert_eq!(sim.put(&link(&v), Vec::<u8>::new()).await.status(), 200);
    let s = sim.wait_final(v["id"].as_str().unwrap()).await;
    assert_eq!(s["status"], "failed");
    let v = create_direct(&sim, None).await;
    let short = jw_platform_sim::tiny_mp4(1);
    assert_eq!(sim.put(&link(&v), short).await.status(), 200);
    let s = sim.wait_final(v["id"].as_str().unwrap()).await;
    assert_eq!(s["status"], "failed", "{s}");
}
