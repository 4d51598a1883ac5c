//! v2 media + upload API (multipart): create, paged parts, part PUTs, completion checks, status
//! transitions, the 2-second rule, token and link expiry.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{json, Value};

const MIB5: usize = 5 * 1024 * 1024;

#[tokio::test]
async fn multipart_end_to_end() {
    let sim = start_with(|c| c.processing_ms = 60_000).await;
    let m = sim.create_multipart().await;
    assert_eq!(m["type"], "media");
    assert_eq!(m["status"], "created");
    assert_eq!(m["metadata"]["title"], "My Multipart Upload Video");
    let id = m["id"].as_str().unwrap();
    assert!(m["upload_token"].as_str().unwrap().starts_with("eyJ"));
    let list = sim.list_parts(&m, 1, 3).await;
    assert_eq!(list["page"], 1);
    assert_eq!(list["page_length"], 3);
    assert_eq!(list["total"], 10_000);
    let l = links(&list);
    assert_eq!(l.len(), 3);
    let data = bytes(2 * MIB5 + 1234, 9);
    let chunks = [&data[..MIB5], &data[MIB5..2 * MIB5], &data[2 * MIB5..]];
    for (link, c) in l.iter().zip(chunks) {
        let r = sim.put(link, c.to_vec()).await;
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers()["etag"].to_str().unwrap(),
            format!("\"{}\"", md5_hex(c))
        );
    }
    let list = sim.list_parts(&m, 1, 4).await;
    let p = list["parts"].as_array().unwrap();
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(p[i], json!({"id": i + 1, "etag": md5_hex(c)}));
    }
    assert!(p[3]["upload_link"].is_string());
    assert_eq!(sim.v2_get_media(id).await["status"], "created");
    let r = sim.complete(&m, true).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({}));
    assert_eq!(sim.complete(&m, false).await.status(), 200);
    let s = sim.v2_get_media(id).await;
    assert_eq!(s["status"], "processing");
    assert_eq!(s["md5"], md5_hex(&data));
    assert_eq!(sim.admin_media(id).await["md5"], md5_hex(&data));
    sim.advance(61).await;
    let s = sim.v2_get_media(id).await;
    assert_eq!(s["status"], "ready");
    assert_eq!(s["size"], data.len());
    // After completion, part PUTs are refused.
    let r = sim.put(&l[0], b"late".to_vec()).await;
    assert_eq!(r.status(), 404);
}

fn part_ids(list: &Value) -> Vec<u64> {
    list["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn parts_paging_and_validation() {
    let sim = start().await;
    let m = sim.create_multipart().await;
    assert_eq!(part_ids(&sim.list_parts(&m, 2, 3).await), vec![4, 5, 6]);
    assert_eq!(part_ids(&sim.list_parts(&m, 3334, 3).await), vec![10_000]);
    let list = sim.list_parts(&m, 1, 10_000).await;
    assert_eq!(list["parts"].as_array().unwrap().len(), 10_000);
    for (p, l) in [(0, 10), (1, 0), (1, 10_001)] {
        let r = sim.parts(&m, p, l).await;
        assert_eq!(r.status(), 400, "page={p} len={l}");
        assert_v2_error(r, 400, "invalid_parameter").await;
    }
}

#[tokio::test]
async fn completion_checks() {
    let sim = start().await;
    // No parts at all.
    let m = sim.create_multipart().await;
    let r = sim.complete(&m, false).await;
    assert_v2_error(r, 400, "missing_parts").await;
    // Parts 1 and 3 only.
    let l = links(&sim.list_parts(&m, 1, 3).await);
    assert_eq!(sim.put(&l[0], bytes(MIB5, 1)).await.status(), 200);
    assert_eq!(sim.put(&l[2], b"tail".to_vec()).await.status(), 200);
    let r = sim.complete(&m, false).await;
    let e = assert_v2_error(r, 400, "missing_parts").await;
    assert!(e["errors"][0]["description"]
        .as_str()
        .unwrap()
        .contains('2'));
    // Part 2 too small (not the last).
    assert_eq!(sim.put(&l[1], bytes(1000, 2)).await.status(), 200);
    let r = sim.complete(&m, false).await;
    assert_v2_error(r, 400, "part_too_small").await;
    // Re-sending a part: the last one wins.
    let p2 = bytes(MIB5, 3);
    assert_eq!(sim.put(&l[1], p2.clone()).await.status(), 200);
    assert_eq!(sim.complete(&m, false).await.status(), 200);
    let mut all = bytes(MIB5, 1);
    all.extend_from_slice(&p2);
    all.extend_from_slice(b"tail");
    assert_eq!(
        sim.admin_media(m["id"].as_str().unwrap()).await["md5"],
        md5_hex(&all)
    );
}

/// Sends `req` with `Authorization: Bearer {token}`, or with no Authorization at all.
async fn send_as(req: reqwest::RequestBuilder, token: Option<&str>) -> reqwest::Response {
    match token {
        Some(t) => req.bearer_auth(t),
        None => req,
    }
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn bearer_and_link_rejections() {
    let sim = start().await;
    let m = sim.create_multipart().await;
    let up = m["upload_id"].as_str().unwrap();
    // v2 API: missing and wrong secret, wrong site.
    let url = sim.v2_media_url();
    let no_auth = sim
        .http
        .post(&url)
        .json(&json!({"upload":{"method":"multipart"}}));
    let r = send_as(no_auth, None).await;
    assert_v2_error(r, 401, "unauthorized").await;
    let r = send_as(sim.http.post(&url).json(&json!({})), Some("nope")).await;
    assert_eq!(r.status(), 401);
    let other_site = format!("{}/v2/sites/other/media/x", sim.url);
    let r = send_as(sim.http.get(other_site), Some(&sim.config.v2_secret)).await;
    assert_eq!(r.status(), 404);
    let r = sim
        .v2_create(json!({"upload":{"method":"carrier-pigeon"}}))
        .await;
    assert_eq!(r.status(), 400);
    // Upload API: missing, wrong, another upload's token.
    let list_url = format!("{}/v2/uploads/{up}/parts?page=1&page_length=2", sim.url);
    assert_eq!(send_as(sim.http.get(&list_url), None).await.status(), 401);
    assert_eq!(
        send_as(sim.http.get(&list_url), Some("x.y")).await.status(),
        401
    );
    let other = sim.create_multipart().await;
    let r = send_as(sim.http.get(&list_url), other["upload_token"].as_str()).await;
    assert_eq!(r.status(), 401);
    let complete_url = format!("{}/v2/uploads/{up}/complete", sim.url);
    let r = send_as(sim.http.put(complete_url), Some(&sim.config.v2_secret)).await;
    assert_eq!(r.status(), 401);
    // Part link: bad signature, then expired, then a fresh list gives working links.
    let l = links(&sim.list_parts(&m, 1, 2).await);
    let r = sim
        .put(&l[0].replace("Signature=", "Signature=0"), b"x".to_vec())
        .await;
    assert_s3_error(r, 403, "SignatureDoesNotMatch").await;
    sim.advance(3601).await;
    let r = sim.put(&l[0], b"x".to_vec()).await;
    assert_eq!(r.status(), 403);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("<Message>Request has expired</Message>"));
    let fresh = links(&sim.list_parts(&m, 1, 2).await);
    assert_eq!(sim.put(&fresh[0], b"x".to_vec()).await.status(), 200);
    // A part over 5 GiB is refused from its Content-Length, before any byte is read.
    let mut s = raw_head(&sim, "PUT", &fresh[1], "Content-Length: 5368709121\r\n").await;
    let mut buf = vec![0u8; 4096];
    let n = tokio::io::AsyncReadExt::read(&mut s, &mut buf)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(
        text.starts_with("HTTP/1.1 400") && text.contains("<Code>EntityTooLarge</Code>"),
        "{text}"
    );
    // Upload token expiry (24 h).
    sim.advance(86_400).await;
    let r = sim.parts(&m, 1, 2).await;
    assert_v2_error(r, 401, "token_expired").await;
}

async fn s3_upload(sim: &Sim, data: &[u8]) -> String {
    let (url, key) = sim.s3_link().await;
    assert_eq!(sim.put(&url, data.to_vec()).await.status(), 200);
    key
}

#[tokio::test]
async fn status_transitions_and_the_two_second_rule() {
    let sim = start_with(|c| c.processing_ms = 300).await;
    let ok = s3_upload(&sim, &jw_platform_sim::tiny_mp4(5)).await;
    let short = s3_upload(&sim, &jw_platform_sim::tiny_mp4(1)).await;
    let empty = s3_upload(&sim, b"").await;
    let mut seen = Vec::new();
    for _ in 0..100 {
        let s = sim.v2_get_media(&ok).await;
        let st = s["status"].as_str().unwrap().to_string();
        if seen.last() != Some(&st) {
            seen.push(st.clone());
        }
        if st == "ready" {
            assert_eq!(s["duration"], 5.0);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(seen, vec!["processing", "ready"]);
    let s = sim.wait_final(&short).await;
    assert_eq!(s["status"], "failed");
    assert!(s["error_message"].as_str().unwrap().contains("2 seconds"));
    let s = sim.wait_final(&empty).await;
    assert_eq!(s["status"], "failed");
    assert!(s["error_message"].as_str().unwrap().contains("empty"));
    // An empty multipart upload (one empty part) fails the same way.
    let m = sim.create_multipart().await;
    assert_eq!(
        sim.v2_get_media(m["id"].as_str().unwrap()).await["status"],
        "created"
    );
    let l = links(&sim.list_parts(&m, 1, 1).await);
    assert_eq!(sim.put(&l[0], b"".to_vec()).await.status(), 200);
    assert_eq!(sim.complete(&m, false).await.status(), 200);
    assert_eq!(
        sim.wait_final(m["id"].as_str().unwrap()).await["status"],
        "failed"
    );
}
