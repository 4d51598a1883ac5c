//! What the official clients send is accepted (jwplatform 2.2.2 on PyPI, jwplatform 0.0.6 on
//! npm): 8- and 9-digit nonces, `api_kit`, GET calls with query parameters, `upload_method`
//! `single` and `multipart`, v2 paths ending in `/`; and the simulator stays strict where the
//! docs are: the client's error codes, JSON `errors` for unknown v2 routes, the 25 GB limit,
//! `/progress` of the file, fetch `processing`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A signed v1 URL whose api_* parameters are given as they are (`None` leaves one out).
fn signed(
    sim: &Sim,
    call: &str,
    params: &[(&str, &str)],
    api: &[(&str, Option<String>)],
) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (k, v) in api {
        if let Some(v) = v {
            pairs.push((k.to_string(), v.clone()));
        }
    }
    let has_sig = api
        .iter()
        .any(|(k, v)| *k == "api_signature" && v.is_some());
    if !has_sig && !api.iter().any(|(k, _)| *k == "api_signature") {
        let sig = jw_platform_sim::v1_signature(&pairs, &sim.config.api_secret);
        pairs.push(("api_signature".into(), sig));
    }
    let q: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    format!("{}/v1/{call}?{}", sim.url, q.join("&"))
}

fn api(sim: &Sim, nonce: &str) -> Vec<(&'static str, Option<String>)> {
    vec![
        ("api_key", Some(sim.config.api_key.clone())),
        ("api_nonce", Some(nonce.to_string())),
        ("api_timestamp", Some(now_secs().to_string())),
        ("api_format", Some("json".into())),
    ]
}

#[tokio::test]
async fn nonces_of_8_and_9_digits_pass_others_are_nonce_invalid() {
    let sim = start().await;
    for nonce in ["12345678", "012345678", "987654321"] {
        // The Python client calls with GET and the parameters in the query.
        let r = sim
            .http
            .get(signed(
                &sim,
                "videos/create",
                &[("upload_method", "s3")],
                &api(&sim, nonce),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "nonce {nonce}");
    }
    for nonce in ["1234567", "1234567890", "12345678a"] {
        let r = sim
            .post(&signed(&sim, "videos/create", &[], &api(&sim, nonce)))
            .await;
        assert_v1_error(r, 400, "NonceInvalid").await;
    }
}

#[tokio::test]
async fn each_missing_or_wrong_protocol_parameter_has_the_clients_code() {
    let sim = start().await;
    let with = |name: &'static str, value: Option<String>| {
        let mut a = api(&sim, "123456789");
        a.retain(|(k, _)| *k != name);
        a.push((name, value));
        a
    };
    let cases = [
        (with("api_key", None), 400, "ApiKeyMissing"),
        (
            with("api_key", Some("nobody01".into())),
            403,
            "ApiKeyInvalid",
        ),
        (with("api_nonce", None), 400, "NonceMissing"),
        (with("api_timestamp", None), 400, "TimestampMissing"),
        (
            with("api_timestamp", Some("yesterday".into())),
            400,
            "TimestampInvalid",
        ),
        (
            with("api_timestamp", Some((now_secs() - 301).to_string())),
            403,
            "TimestampExpired",
        ),
        (with("api_signature", None), 400, "SignatureMissing"),
        (
            with("api_signature", Some("0".repeat(40))),
            403,
            "SignatureInvalid",
        ),
    ];
    for (a, status, code) in cases {
        let r = sim.post(&signed(&sim, "videos/create", &[], &a)).await;
        let e = assert_v1_error(r, status, code).await;
        assert!(e["title"].as_str().unwrap() != "Error", "{e}");
    }
    let r = sim.post(&sim.v1_url("videos/nothing", &[])).await;
    assert_v1_error(r, 404, "NotFound").await;
    let r = sim.post(&sim.v1_url("videos/update", &[])).await;
    assert_v1_error(r, 400, "ParameterMissing").await;
    let r = sim
        .post(&sim.v1_url("videos/create", &[("upload_method", "ftp")]))
        .await;
    assert_v1_error(r, 400, "ParameterInvalid").await;
}

#[tokio::test]
async fn api_kit_is_signed_but_not_metadata() {
    let sim = start().await;
    let mut a = api(&sim, "123456789");
    a.push(("api_kit", Some("py-2.2.2".into())));
    let url = signed(
        &sim,
        "videos/create",
        &[("title", "Kit"), ("upload_method", "s3")],
        &a,
    );
    let r = sim.http.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let key = v["media"]["key"].as_str().unwrap();
    let m = sim.admin_media(key).await;
    assert_eq!(m["metadata"], json!({"title": "Kit"}), "{m}");
}

#[tokio::test]
async fn upload_method_single_is_a_form_upload() {
    let sim = start().await;
    let v = sim.create_video(Some("single")).await;
    assert_eq!(v["link"]["path"], "/v1/videos/upload");
    let key = v["media"]["key"].as_str().unwrap();
    let data = bytes(50_000, 6);
    let url = link_url(&v["link"], "api_format=json");
    let r = sim
        .form_upload(&url, &[("file", Some("v.mp4"), &data)])
        .await;
    assert_eq!(r.status(), 200);
    let m = sim.admin_media(key).await;
    assert_eq!(
        (m["md5"].as_str(), m["method"].as_str()),
        (Some(md5_hex(&data).as_str()), Some("form"))
    );
}

#[tokio::test]
async fn upload_method_multipart_is_the_chunked_session_protocol() {
    let sim = start().await;
    let v = sim.create_video(Some("multipart")).await;
    assert_eq!(v["link"]["path"], "/v1/videos/upload/resumable");
    let session = v["session_id"].as_str().unwrap();
    let key = v["media"]["key"].as_str().unwrap();
    let data = bytes(2_500_000, 7);
    let url = link_url(&v["link"], "api_format=json");
    let n = data.len();
    // As the Python client's example: fixed chunks, application/octet-stream.
    for (i, chunk) in data.chunks(1_000_000).enumerate() {
        let start = i * 1_000_000;
        let range = format!("bytes {start}-{}/{n}", start + chunk.len() - 1);
        let r = sim.resumable_chunk(&url, session, &range, chunk).await;
        let last = start + chunk.len() == n;
        assert_eq!(r.status(), if last { 200 } else { 201 }, "{range}");
    }
    let m = sim.admin_media(key).await;
    assert_eq!(m["md5"], md5_hex(&data));
    assert_eq!(m["method"], "resumable");
}

#[tokio::test]
async fn v2_paths_with_a_trailing_slash() {
    let sim = start().await;
    let auth = format!("Bearer {}", sim.config.v2_secret);
    let r = sim
        .http
        .post(format!("{}/", sim.v2_media_url()))
        .header("Authorization", &auth)
        .json(&json!({"upload": {"method": "multipart"}, "metadata": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let m: Value = r.json().await.unwrap();
    let id = m["id"].as_str().unwrap();
    let r = sim
        .http
        .get(format!("{}/{id}/", sim.v2_media_url()))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let upload = m["upload_id"].as_str().unwrap();
    let token = format!("Bearer {}", m["upload_token"].as_str().unwrap());
    let r = sim
        .http
        .get(format!(
            "{}/v2/uploads/{upload}/parts/?page_length=1000&page=1",
            sim.url
        ))
        .header("Authorization", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let list: Value = r.json().await.unwrap();
    let data = bytes(1000, 8);
    assert_eq!(sim.put(&links(&list)[0], data.clone()).await.status(), 200);
    let r = sim
        .http
        .put(format!("{}/v2/uploads/{upload}/complete/", sim.url))
        .header("Authorization", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sim.admin_media(id).await["md5"], md5_hex(&data));
    // Faults see both forms as one target.
    let log = sim.log().await;
    let targets: Vec<&str> = log.iter().map(|e| e["target"].as_str().unwrap()).collect();
    assert_eq!(
        targets,
        ["v2_api", "media", "parts_list", "part", "complete"]
    );
}

#[tokio::test]
async fn unknown_v2_routes_and_methods_answer_json_errors() {
    let sim = start().await;
    let auth = format!("Bearer {}", sim.config.v2_secret);
    for path in [
        "/v2/sites/simsite1/players/",
        "/v2/nothing",
        "/v2/sites/simsite1/media/x/originals/",
    ] {
        let r = sim
            .http
            .get(format!("{}{path}", sim.url))
            .header("Authorization", &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_v2_error(r, 404, "not_found").await;
    }
    let r = sim
        .http
        .delete(format!("{}/abc/", sim.v2_media_url()))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_v2_error(r, 405, "method_not_allowed").await;
    let r = sim
        .http
        .get(sim.v2_media_url())
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_v2_error(r, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn a_fetch_is_processing_from_its_create_reply() {
    let sim = start().await;
    let r = sim
        .v2_create(
            json!({"upload": {"method": "fetch", "download_url": "http://127.0.0.1:1/x.mp4"}}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "processing", "{v}");
    // The download fails (nothing listens on port 1): then `failed`, never `created`.
    let s = sim.wait_final(v["id"].as_str().unwrap()).await;
    assert_eq!(s["status"], "failed");
}

/// Sends a request head with `Content-Length: len` and reads the reply's head.
async fn head_only(sim: &Sim, method: &str, url: &str, headers: &str) -> String {
    let mut s = raw_head(sim, method, url, headers).await;
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).await.unwrap();
    s.shutdown().await.ok();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test]
async fn the_25_gb_system_limit_holds_for_every_method() {
    let sim = start().await;
    let limit: u64 = 25 << 30;
    // A form body that cannot hold a file under the limit is refused before it is read.
    let v = sim.create_video(Some("single")).await;
    let url = link_url(&v["link"], "api_format=json");
    let ct = "Content-Type: multipart/form-data; boundary=b\r\n";
    let at = head_only(
        &sim,
        "POST",
        &url,
        &format!("{ct}Content-Length: {}\r\n", limit + (2 << 20)),
    )
    .await;
    assert!(
        at.starts_with("HTTP/1.1 400") && at.contains("FileSizeInvalid"),
        "{at}"
    );
    // A resumable total over it.
    let v = sim.create_video(Some("resumable")).await;
    let url = link_url(&v["link"], "api_format=json");
    let session = v["session_id"].as_str().unwrap();
    let r = sim
        .resumable_chunk(
            &url,
            session,
            &format!("bytes 0-9/{}", limit + 1),
            &[1u8; 10],
        )
        .await;
    assert_v1_error(r, 400, "FileSizeInvalid").await;
    let r = sim
        .resumable_chunk(&url, session, &format!("bytes 0-9/{limit}"), &[1u8; 10])
        .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn the_limit_on_streamed_forms_and_assembled_multipart_uploads() {
    // The same checks at a limit a test can reach.
    let sim = start_with(|c| c.max_file_bytes = 6 * 1024 * 1024).await;
    let v = sim.create_video(None).await;
    let url = link_url(&v["link"], "api_format=json");
    let over = bytes(6 * 1024 * 1024 + 1, 1);
    // Sent without a length: the limit is found while it streams.
    let (ct, body) = form_body(&[("file", Some("v.mp4"), &over)]);
    let stream = futures_util::stream::iter(
        body.chunks(256 * 1024)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let r = sim
        .http
        .post(&url)
        .header("Content-Type", ct)
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_v1_error(r, 400, "FileSizeInvalid").await;
    let exactly = bytes(6 * 1024 * 1024, 2);
    let r = sim
        .form_upload(&url, &[("file", Some("v.mp4"), &exactly)])
        .await;
    assert_eq!(r.status(), 200);
    // Multipart: two parts of 5 MiB and 1 MiB + 1 byte.
    let m = sim.create_multipart().await;
    let list: Value = sim.parts(&m, 1, 2).await.json().await.unwrap();
    let l = links(&list);
    assert_eq!(sim.put(&l[0], over[..5 << 20].to_vec()).await.status(), 200);
    assert_eq!(sim.put(&l[1], over[5 << 20..].to_vec()).await.status(), 200);
    assert_v2_error(sim.complete(&m, false).await, 400, "file_too_large").await;
    assert_eq!(
        sim.put(&l[1], over[5 << 20..over.len() - 1].to_vec())
            .await
            .status(),
        200
    );
    assert_eq!(sim.complete(&m, false).await.status(), 200);
}
