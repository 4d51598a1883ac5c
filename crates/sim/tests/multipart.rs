//! v2 media + upload API (multipart): create, paged parts, part PUTs, completion checks, status
//! transitions, the 2-second rule, token and link expiry.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{json, Value};

const MIB5: usize = 5 * 1024 * 1024;

async fn create_multipart(sim: &Sim) -> Value {
    // The doc's curl: POST /v2/sites/{site_id}/media with Bearer v2 secret.
    let r = sim
        .http
        .post(format!("{}/v2/sites/{}/media", sim.url, sim.config.site_id))
        .bearer_auth(&sim.config.v2_secret)
        .header("Content-Type", "application/json")
        .body(r#"{ "upload": { "method": "multipart" }, "metadata": {"title": "My Multipart Upload Video"} }"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn parts(sim: &Sim, m: &Value, page: u64, len: u64) -> reqwest::Response {
    sim.http
        .get(format!(
            "{}/v2/uploads/{}/parts?page={page}&page_length={len}",
            sim.url,
            m["upload_id"].as_str().unwrap()
        ))
        .bearer_auth(m["upload_token"].as_str().unwrap())
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap()
}

async fn put_part(sim: &Sim, link: &str, data: &[u8]) -> reqwest::Response {
    // dd ... | curl -XPUT -H "Content-Type:" --data-binary @- "{upload_link}"
    sim.http.put(link).body(data.to_vec()).send().await.unwrap()
}

async fn complete(sim: &Sim, m: &Value, v1_path: bool) -> reqwest::Response {
    let ver = if v1_path { "v1" } else { "v2" };
    sim.http
        .put(format!(
            "{}/{ver}/uploads/{}/complete",
            sim.url,
            m["upload_id"].as_str().unwrap()
        ))
        .bearer_auth(m["upload_token"].as_str().unwrap())
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap()
}

fn links(list: &Value) -> Vec<String> {
    list["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["upload_link"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn multipart_end_to_end() {
    let sim = start_with(|c| c.processing_ms = 60_000).await;
    let m = create_multipart(&sim).await;
    assert_eq!(m["type"], "media");
    assert_eq!(m["status"], "created");
    assert_eq!(m["metadata"]["title"], "My Multipart Upload Video");
    let id = m["id"].as_str().unwrap();
    assert!(m["upload_token"].as_str().unwrap().starts_with("eyJ"));
    let list: Value = parts(&sim, &m, 1, 3).await.json().await.unwrap();
    assert_eq!(list["page"], 1);
    assert_eq!(list["page_length"], 3);
    assert_eq!(list["total"], 10_000);
    let l = links(&list);
    assert_eq!(l.len(), 3);
    let data = bytes(2 * MIB5 + 1234, 9);
    let chunks = [&data[..MIB5], &data[MIB5..2 * MIB5], &data[2 * MIB5..]];
    for (link, c) in l.iter().zip(chunks) {
        let r = put_part(&sim, link, c).await;
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers()["etag"].to_str().unwrap(),
            format!("\"{}\"", md5_hex(c))
        );
    }
    let list: Value = parts(&sim, &m, 1, 4).await.json().await.unwrap();
    let p = list["parts"].as_array().unwrap();
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(p[i], json!({"id": i + 1, "etag": md5_hex(c)}));
    }
    assert!(p[3]["upload_link"].is_string());
    assert_eq!(sim.v2_get_media(id).await["status"], "created");
    let r = complete(&sim, &m, true).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({}));
    assert_eq!(complete(&sim, &m, false).await.status(), 200);
    let s = sim.v2_get_media(id).await;
    assert_eq!(s["status"], "processing");
    assert_eq!(s["md5"], md5_hex(&data));
    assert_eq!(sim.admin_media(id).await["md5"], md5_hex(&data));
    sim.advance(61).await;
    let s = sim.v2_get_media(id).await;
    assert_eq!(s["status"], "ready");
    assert_eq!(s["size"], data.len());
    // After completion, part PUTs are refused.
    let r = put_part(&sim, &l[0], b"late").await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn parts_paging_and_validation() {
    let sim = start().await;
    let m = create_multipart(&sim).await;
    let list: Value = parts(&sim, &m, 2, 3).await.json().await.unwrap();
    let ids: Vec<u64> = list["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![4, 5, 6]);
    let list: Value = parts(&sim, &m, 3334, 3).await.json().await.unwrap();
    let ids: Vec<u64> = list["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![10_000]);
    let list: Value = parts(&sim, &m, 1, 10_000).await.json().await.unwrap();
    assert_eq!(list["parts"].as_array().unwrap().len(), 10_000);
    for (p, l) in [(0, 10), (1, 0), (1, 10_001)] {
        let r = parts(&sim, &m, p, l).await;
        assert_eq!(r.status(), 400, "page={p} len={l}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["errors"][0]["code"], "invalid_parameter");
    }
}

#[tokio::test]
async fn completion_checks() {
    let sim = start().await;
    // No parts at all.
    let m = create_multipart(&sim).await;
    let r = complete(&sim, &m, false).await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["code"],
        "missing_parts"
    );
    // Parts 1 and 3 only.
    let l = links(&parts(&sim, &m, 1, 3).await.json().await.unwrap());
    assert_eq!(put_part(&sim, &l[0], &bytes(MIB5, 1)).await.status(), 200);
    assert_eq!(put_part(&sim, &l[2], b"tail").await.status(), 200);
    let r = complete(&sim, &m, false).await;
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["errors"][0]["code"], "missing_parts");
    assert!(e["errors"][0]["description"]
        .as_str()
        .unwrap()
        .contains('2'));
    // Part 2 too small (not the last).
    assert_eq!(put_part(&sim, &l[1], &bytes(1000, 2)).await.status(), 200);
    let r = complete(&sim, &m, false).await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["code"],
        "part_too_small"
    );
    // Re-sending a part: the last one wins.
    let p2 = bytes(MIB5, 3);
    assert_eq!(put_part(&sim, &l[1], &p2).await.status(), 200);
    assert_eq!(complete(&sim, &m, false).await.status(), 200);
    let mut all = bytes(MIB5, 1);
    all.extend_from_slice(&p2);
    all.extend_from_slice(b"tail");
    assert_eq!(
        sim.admin_media(m["id"].as_str().unwrap()).await["md5"],
        md5_hex(&all)
    );
}

#[tokio::test]
async fn bearer_and_link_rejections() {
    let sim = start().await;
    let m = create_multipart(&sim).await;
    let up = m["upload_id"].as_str().unwrap();
    // v2 API: missing and wrong secret, wrong site.
    let url = format!("{}/v2/sites/{}/media", sim.url, sim.config.site_id);
    let r = sim
        .http
        .post(&url)
        .json(&json!({"upload":{"method":"multipart"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["code"],
        "unauthorized"
    );
    let r = sim
        .http
        .post(&url)
        .bearer_auth("nope")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = sim
        .http
        .get(format!("{}/v2/sites/other/media/x", sim.url))
        .bearer_auth(&sim.config.v2_secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = sim
        .http
        .post(&url)
        .bearer_auth(&sim.config.v2_secret)
        .json(&json!({"upload":{"method":"carrier-pigeon"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Upload API: missing, wrong, another upload's token.
    let list_url = format!("{}/v2/uploads/{up}/parts?page=1&page_length=2", sim.url);
    assert_eq!(sim.http.get(&list_url).send().await.unwrap().status(), 401);
    assert_eq!(
        sim.http
            .get(&list_url)
            .bearer_auth("x.y")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let other = create_multipart(&sim).await;
    let r = sim
        .http
        .get(&list_url)
        .bearer_auth(other["upload_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = sim
        .http
        .put(format!("{}/v2/uploads/{up}/complete", sim.url))
        .bearer_auth(&sim.config.v2_secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Part link: bad signature, then expired, then a fresh list gives working links.
    let l = links(&parts(&sim, &m, 1, 2).await.json().await.unwrap());
    let r = put_part(&sim, &l[0].replace("Signature=", "Signature=0"), b"x").await;
    assert_eq!(r.status(), 403);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("<Code>SignatureDoesNotMatch</Code>"));
    sim.advance(3601).await;
    let r = put_part(&sim, &l[0], b"x").await;
    assert_eq!(r.status(), 403);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("<Message>Request has expired</Message>"));
    let fresh = links(&parts(&sim, &m, 1, 2).await.json().await.unwrap());
    assert_eq!(put_part(&sim, &fresh[0], b"x").await.status(), 200);
    // A part over 5 GiB is refused from its Content-Length, before any byte is read.
    let path = fresh[1]
        .split_once(&sim.server.addr.to_string())
        .unwrap()
        .1
        .to_string();
    let mut s = tokio::net::TcpStream::connect(sim.server.addr)
        .await
        .unwrap();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 5368709121\r\n\r\n",
        sim.server.addr
    );
    tokio::io::AsyncWriteExt::write_all(&mut s, head.as_bytes())
        .await
        .unwrap();
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
    let r = parts(&sim, &m, 1, 2).await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["code"],
        "token_expired"
    );
}

async fn s3_upload(sim: &Sim, data: &[u8]) -> String {
    let v = sim.create_video(Some("s3")).await;
    let link = &v["link"];
    let url = format!(
        "{}://{}{}?AWSAccessKeyId={}&Expires={}&Signature={}",
        link["protocol"].as_str().unwrap(),
        link["address"].as_str().unwrap(),
        link["path"].as_str().unwrap(),
        link["query"]["AWSAccessKeyId"].as_str().unwrap(),
        link["query"]["Expires"],
        enc(link["query"]["Signature"].as_str().unwrap())
    );
    let r = sim.http.put(url).body(data.to_vec()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    v["media"]["key"].as_str().unwrap().to_string()
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
    let m = create_multipart(&sim).await;
    assert_eq!(
        sim.v2_get_media(m["id"].as_str().unwrap()).await["status"],
        "created"
    );
    let l = links(&parts(&sim, &m, 1, 1).await.json().await.unwrap());
    assert_eq!(put_part(&sim, &l[0], b"").await.status(), 200);
    assert_eq!(complete(&sim, &m, false).await.status(), 200);
    assert_eq!(
        sim.wait_final(m["id"].as_str().unwrap()).await["status"],
        "failed"
    );
}
