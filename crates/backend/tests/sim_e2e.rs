//! End to end against the real simulator (in-process): each method minted by the backend, then
//! the bytes sent the documented way, and the stored file's size and MD5 checked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{json_of, md5_hex, sim_config, sim_media, split, start_sim, Browser};
use jw_platform_sim::SimServer;
use jw_upload_backend::{spawn, BackendServer, Config};
use serde_json::{json, Value};

const SIM_SECRETS: [&str; 2] = ["sim-v1-secret", "sim-v2-secret"];

struct Env {
    sim: SimServer,
    backend: BackendServer,
    browser: Browser,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn env_with(
    tune: impl FnOnce(&mut jw_platform_sim::Config),
    backend_secret: Option<&str>,
) -> Env {
    let (sim, sim_cfg, dir) = start_sim(tune).await;
    let backend = spawn(Config {
        api_secret: backend_secret.unwrap_or(&sim_cfg.api_secret).to_owned(),
        // Everything optional on: the fetch origins of these tests are on loopback, listed.
        account_uploads: true,
        fetch_hosts: vec!["127.0.0.1".into()],
        rate_limit_per_minute: 0,
        ..sim_config(sim.url(), &sim_cfg)
    })
    .await
    .unwrap();
    let browser = Browser::new(&backend).await;
    Env {
        sim,
        backend,
        browser,
        http: reqwest::Client::new(),
        _dir: dir,
    }
}

async fn env() -> Env {
    env_with(|_| {}, None).await
}

impl Env {
    async fn mint(&self, req: Value) -> Value {
        let (status, headers, body) = self.browser.upload(&req).await;
        assert_eq!(status, 200, "{req} -> {body}");
        assert_no_secret(&headers, &body);
        body
    }

    async fn stored(&self, key: &str) -> Value {
        sim_media(&self.sim.url(), key).await
    }

    /// Polls the backend's `/api/media/{id}` until the status is `ready` (or fails the test).
    async fn wait_ready(&self, id: &str) -> Value {
        for _ in 0..100 {
            let (status, headers, body) = self.browser.media(id).await;
            assert_eq!(status, 200, "{body}");
            assert_no_secret(&headers, &body);
            match body["status"].as_str() {
                Some("ready") => return body,
                Some("failed") => panic!("media {id} failed: {body}"),
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        panic!("media {id} never became ready");
    }

    /// PUTs `body` to `url` (an S3 link or a Part URL).
    async fn put(&self, url: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.http.put(url).body(body).send().await.unwrap()
    }

    async fn shutdown(self) {
        self.backend.shutdown().await;
        self.sim.shutdown().await;
    }
}

fn assert_no_secret(headers: &reqwest::header::HeaderMap, body: &Value) {
    let text = body.to_string();
    for secret in SIM_SECRETS {
        assert!(!text.contains(secret), "reply body has a secret: {text}");
        for (name, value) in headers {
            assert!(
                !String::from_utf8_lossy(value.as_bytes()).contains(secret),
                "reply header {name} has a secret"
            );
        }
    }
}

fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn link_base(reply: &Value) -> String {
    let link = &reply["link"];
    format!(
        "{}://{}{}",
        link["protocol"].as_str().unwrap(),
        link["address"].as_str().unwrap(),
        link["path"].as_str().unwrap()
    )
}

/// The S3 upload URL exactly as the S3 doc builds it.
fn s3_url(reply: &Value) -> String {
    let q = &reply["link"]["query"];
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    format!(
        "{}?AWSAccessKeyId={}&Expires={}&Signature={}",
        link_base(reply),
        text(&q["AWSAccessKeyId"]),
        text(&q["Expires"]),
        jw_upload_backend::pct_encode(&text(&q["Signature"]))
    )
}

/// A multipart/form-data body with the file in field `file`.
fn form_body(name: &str, data: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----jwu-backend-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
        .as_bytes(),
    );
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// POSTs `data` as a form upload to the link of `reply` (api_format=json).
async fn form_post(env: &Env, reply: &Value, name: &str, data: &[u8]) -> reqwest::Response {
    let q = &reply["link"]["query"];
    let mut url = format!("{}?api_format=json", link_base(reply));
    for (k, v) in q.as_object().unwrap() {
        url.push_str(&format!("&{k}={}", v.as_str().unwrap()));
    }
    let (content_type, body) = form_body(name, data);
    env.http
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// A form upload that must succeed; returns the platform's JSON reply.
async fn form_upload(env: &Env, reply: &Value, name: &str, data: &[u8]) -> Value {
    let res = form_post(env, reply, name, data).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn s3_upload_minted_by_the_backend_lands_with_the_right_md5() {
    let env = env().await;
    let reply = env
        .mint(json!({"method":"s3","file":{"name":"a.mp4","size":100_000,"type":"video/mp4"},"metadata":{"title":"S3 test"}}))
        .await;
    assert_eq!(reply["status"], "ok");
    let key = reply["media"]["key"].as_str().unwrap().to_owned();
    let data = bytes(100_000, 1);
    let res = env.put(&s3_url(&reply), data.clone()).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let stored = env.stored(&key).await;
    assert_eq!(stored["md5"], md5_hex(&data));
    assert_eq!(stored["size"], 100_000);
    let media = env.wait_ready(&key).await;
    assert_eq!(media["id"], key.as_str());

    // Renewal: videos/update gives a fresh link for the same media.
    let renewed = env
        .mint(json!({"method":"s3","file":{"name":"a.mp4","size":100_000},"media_id":key}))
        .await;
    assert_eq!(renewed["media"]["key"], key.as_str());
    assert!(renewed["link"]["query"]["Signature"].is_string());
    env.shutdown().await;
}

#[tokio::test]
async fn form_upload_minted_by_the_backend_lands() {
    let env = env().await;
    let reply = env
        .mint(json!({"method":"form","file":{"name":"b.mp4","size":5000,"type":"video/mp4"}}))
        .await;
    assert_eq!(reply["link"]["path"], "/v1/videos/upload");
    assert!(reply["link"]["query"]["token"].is_string());
    let data = bytes(5000, 2);
    let up = form_upload(&env, &reply, "b.mp4", &data).await;
    let key = reply["media"]["key"].as_str().unwrap();
    assert_eq!(up["video"]["md5"], md5_hex(&data));
    assert_eq!(env.stored(key).await["md5"], md5_hex(&data));
    env.wait_ready(key).await;
    env.shutdown().await;
}

#[tokio::test]
async fn resumable_upload_minted_by_the_backend_lands_and_renewal_keeps_the_session() {
    let env = env().await;
    let reply = env
        .mint(json!({"method":"resumable","file":{"name":"c.mp4","size":3000}}))
        .await;
    assert_eq!(reply["link"]["path"], "/v1/videos/upload/resumable");
    let session = reply["session_id"].as_str().unwrap().to_owned();
    let key = reply["media"]["key"].as_str().unwrap().to_owned();
    let url = format!(
        "{}?api_format=json&key={}",
        link_base(&reply),
        reply["link"]["query"]["key"].as_str().unwrap()
    );
    let data = bytes(3000, 3);
    let chunk = |a: usize, b: usize| {
        env.http
            .post(&url)
            .header("content-disposition", "attachment; filename=\"c.mp4\"")
            .header("content-type", "application/octet-stream")
            .header("x-content-range", format!("bytes {a}-{}/3000", b - 1))
            .header("x-session-id", &session)
            .body(data[a..b].to_vec())
            .send()
    };
    let res = chunk(0, 1000).await.unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["range"], "0-999/3000");

    let renewed = env
        .mint(json!({"method":"resumable","file":{"name":"c.mp4","size":3000},"media_id":key}))
        .await;
    assert_eq!(
        renewed["session_id"],
        session.as_str(),
        "renewal keeps the session"
    );

    let res = chunk(1000, 3000).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(env.stored(&key).await["md5"], md5_hex(&data));
    env.wait_ready(&key).await;
    env.shutdown().await;
}

#[tokio::test]
async fn multipart_upload_minted_by_the_backend_lands() {
    let env = env().await;
    let reply = env
        .mint(json!({"method":"multipart","file":{"name":"d.mp4","size":5_242_880 + 1000},"metadata":{"title":"MP"}}))
        .await;
    let id = reply["id"].as_str().unwrap().to_owned();
    let upload_id = reply["upload_id"].as_str().unwrap().to_owned();
    let token = reply["upload_token"].as_str().unwrap().to_owned();
    let parts = json_of(
        env.http
            .get(format!(
                "{}/v2/uploads/{upload_id}/parts?page=1&page_length=2",
                env.sim.url()
            ))
            .bearer_auth(&token),
    )
    .await;
    let data = bytes(5_242_880 + 1000, 4);
    for (i, range) in [(0usize, 0..5_242_880), (1, 5_242_880..data.len())] {
        let link = parts["parts"][i]["upload_link"].as_str().unwrap();
        let res = env.put(link, data[range.clone()].to_vec()).await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()["etag"].to_str().unwrap(),
            format!("\"{}\"", md5_hex(&data[range]))
        );
    }
    let res = env
        .http
        .put(format!("{}/v2/uploads/{upload_id}/complete", env.sim.url()))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(env.stored(&id).await["md5"], md5_hex(&data));
    let media = env.wait_ready(&id).await;
    assert_eq!(media["metadata"]["title"], "MP");
    env.shutdown().await;
}

#[tokio::test]
async fn fetch_upload_minted_by_the_backend_is_fetched_by_the_platform() {
    let data = bytes(20_000, 5);
    let served = data.clone();
    let origin = axum::Router::new().route(
        "/x.mp4",
        axum::routing::get(move || {
            let d = served.clone();
            async move { d }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin_addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, origin).await.unwrap() });

    let env = env().await;
    let reply = env
        .mint(json!({"method":"fetch","download_url":format!("http://{origin_addr}/x.mp4"),"metadata":{"title":"F"}}))
        .await;
    let id = reply["id"].as_str().unwrap().to_owned();
    assert!(reply.get("upload_id").is_none());
    env.wait_ready(&id).await;
    assert_eq!(env.stored(&id).await["md5"], md5_hex(&data));
    env.shutdown().await;
}

#[tokio::test]
async fn thumbnail_track_image_and_skin_uploads_go_to_their_own_paths() {
    let env = env().await;
    let video = env
        .mint(json!({"method":"form","file":{"name":"v.mp4","size":10}}))
        .await;
    let video_key = video["media"]["key"].as_str().unwrap().to_owned();
    for (req, object, path) in [
        (
            json!({"resource":"thumbnail","file":{"name":"t.jpg","size":10},"video_key":video_key}),
            "thumbnail",
            "/v1/videos/thumbnails/upload",
        ),
        (
            json!({"resource":"track","file":{"name":"en.vtt","size":10},"video_key":video_key,"metadata":{"label":"English"}}),
            "track",
            "/v1/videos/tracks/upload",
        ),
        (
            json!({"resource":"image","file":{"name":"i.png","size":10}}),
            "image",
            "/v1/accounts/images/upload",
        ),
        (
            json!({"resource":"skin","file":{"name":"s.zip","size":10}}),
            "skin",
            "/v1/accounts/skins/upload",
        ),
    ] {
        let reply = env.mint(req.clone()).await;
        assert_eq!(reply["link"]["path"], path, "{reply}");
        assert!(reply[object]["key"].is_string(), "{reply}");
        let data = bytes(10, 6);
        let up = form_upload(&env, &reply, "f.bin", &data).await;
        assert_eq!(up[object]["md5"], md5_hex(&data), "{up}");
    }
    env.shutdown().await;
}

#[tokio::test]
async fn the_platforms_refusals_pass_through_unchanged() {
    // A backend with the wrong secret: the sim's signature check refuses it.
    let env = env_with(|_| {}, Some("wrong-secret")).await;
    let (status, _, body) = env
        .browser
        .upload(&json!({"method":"s3","file":{"name":"a","size":1}}))
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["status"], "error");
    assert_eq!(body["code"], "SignatureInvalid");
    env.shutdown().await;

    // The rate limit: the 429 and its Retry-After reach the browser.
    let env = env_with(|c| c.rate_limit = 2, None).await;
    // (Up to 6 calls: a minute boundary between them opens a new window of 2.)
    let mut last = (0, reqwest::header::HeaderMap::new(), Value::Null);
    for _ in 0..6 {
        last = env
            .browser
            .upload(&json!({"method":"form","file":{"name":"a","size":1}}))
            .await;
        if last.0 == 429 {
            break;
        }
    }
    let (status, headers, body) = last;
    assert_eq!(status, 429, "{body}");
    assert!(headers.contains_key("retry-after"));
    assert_eq!(body["code"], "RateLimitExceeded");
    assert_eq!(body["rate_limit"]["remaining"], 0);

    // An unknown media id is not this browser's: the backend's 403, the platform not asked.
    let (status, _, body) = env.browser.media("NoSuchId").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    env.shutdown().await;
}

#[tokio::test]
async fn browser_style_preflight_free_requests_work_with_cookies() {
    // The backend is same-origin for the page; a request without the token is refused even
    // though the sim would accept the call.
    let env = env().await;
    let res = env
        .http
        .post(format!("{}/api/uploads", env.backend.url()))
        .header("origin", env.backend.url())
        .json(&json!({"method":"s3","file":{"name":"a","size":1}}))
        .send()
        .await
        .unwrap();
    let (status, _, body) = split(res).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("csrf"))
    );
    env.shutdown().await;
}

async fn set_faults(env: &Env, rules: Value) {
    let res = env
        .http
        .post(format!("{}/_sim/faults", env.sim.url()))
        .json(&json!({"rules": rules, "seed": 1}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn expired_s3_link_and_form_token_are_renewed_through_the_backend() {
    let env = env_with(
        |c| {
            c.s3_link_ttl_secs = 1;
            c.form_token_ttl_secs = 1;
        },
        None,
    )
    .await;
    let s3 = env
        .mint(json!({"method":"s3","file":{"name":"a.mp4","size":1000}}))
        .await;
    let form = env
        .mint(json!({"method":"form","file":{"name":"b.mp4","size":1000}}))
        .await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let data = bytes(1000, 7);

    let res = env.put(&s3_url(&s3), data.clone()).await;
    assert_eq!(res.status(), 403, "the s3 link should have expired");
    let key = s3["media"]["key"].as_str().unwrap();
    let renewed = env
        .mint(json!({"method":"s3","file":{"name":"a.mp4","size":1000},"media_id":key}))
        .await;
    assert_eq!(renewed["media"]["key"], key);
    let res = env.put(&s3_url(&renewed), data.clone()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(env.stored(key).await["md5"], md5_hex(&data));

    let key = form["media"]["key"].as_str().unwrap();
    let res = form_post(&env, &form, "b.mp4", &data).await;
    assert_eq!(res.status(), 403, "the form token should have expired");
    let renewed = env
        .mint(json!({"method":"form","file":{"name":"b.mp4","size":1000},"media_id":key}))
        .await;
    assert_ne!(
        renewed["link"]["query"]["token"],
        form["link"]["query"]["token"]
    );
    let up = form_upload(&env, &renewed, "b.mp4", &data).await;
    assert_eq!(up["video"]["md5"], md5_hex(&data));
    env.shutdown().await;
}

#[tokio::test]
async fn platform_faults_reach_the_browser_as_the_platform_sent_them() {
    let env = env().await;
    let file = json!({"name":"a.mp4","size":10});
    let minted = env.mint(json!({"method":"form","file":file})).await;
    let owned = minted["media"]["key"].as_str().unwrap().to_owned();

    // A 503 from the v1 API: relayed with its status and body.
    set_faults(
        &env,
        json!([{"target":"v1_api","nth":1,"fault":{"kind":"status","status":503}}]),
    )
    .await;
    let (status, _, body) = env
        .browser
        .upload(&json!({"method":"s3","file":file}))
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body["status"], "error",
        "the sim's own v1 error body: {body}"
    );

    // A 429 with Retry-After from the v2 API: both reach the browser.
    set_faults(&env, json!([{"target":"v2_api","nth":1,"fault":{"kind":"status","status":429,"retry_after":"5"}}])).await;
    let (status, headers, _) = env
        .browser
        .upload(&json!({"method":"multipart","file":file}))
        .await;
    assert_eq!(status, 429);
    assert_eq!(headers["retry-after"], "5");

    // A connection reset: the platform is unreachable for the backend.
    set_faults(
        &env,
        json!([{"target":"v1_api","nth":1,"fault":{"kind":"reset","after_bytes":0}}]),
    )
    .await;
    let (status, _, body) = env
        .browser
        .upload(&json!({"method":"form","file":file}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (502, Some("platform_unreachable"))
    );

    // A closed connection on the status call: also unreachable.
    set_faults(
        &env,
        json!([{"target":"media","nth":1,"fault":{"kind":"close","after_bytes":0}}]),
    )
    .await;
    let (status, _, body) = env.browser.media(&owned).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (502, Some("platform_unreachable"))
    );

    // And once the faults are spent, the same calls work.
    let (status, _, _) = env
        .browser
        .upload(&json!({"method":"form","file":file}))
        .await;
    assert_eq!(status, 200);
    env.shutdown().await;
}

#[tokio::test]
async fn a_failed_media_status_is_relayed_with_its_error_message() {
    let env = env().await;
    let reply = env
        .mint(json!({"method":"s3","file":{"name":"empty.mp4","size":0}}))
        .await;
    let key = reply["media"]["key"].as_str().unwrap().to_owned();
    let res = env.put(&s3_url(&reply), Vec::new()).await;
    assert_eq!(res.status(), 200);
    for _ in 0..100 {
        let (status, _, body) = env.browser.media(&key).await;
        assert_eq!(status, 200);
        if body["status"] == "failed" {
            assert!(
                body["error_message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{body}"
            );
            env.shutdown().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("an empty upload never failed");
}

/// A backend holding only the v2 secret (no v1 key or secret), fetch from loopback on.
async fn env_v2_only() -> Env {
    let (sim, sim_cfg, dir) = start_sim(|_| {}).await;
    let backend = spawn(Config {
        api_key: String::new(),
        api_secret: String::new(),
        fetch_hosts: vec!["127.0.0.1".into()],
        rate_limit_per_minute: 0,
        ..sim_config(sim.url(), &sim_cfg)
    })
    .await
    .unwrap();
    let browser = Browser::new(&backend).await;
    Env {
        sim,
        backend,
        browser,
        http: reqwest::Client::new(),
        _dir: dir,
    }
}

#[tokio::test]
async fn direct_upload_minted_by_the_backend_lands() {
    let env = env().await;
    let reply = env
        .mint(json!({"method":"direct","file":{"name":"d.mp4","size":3000,"type":"video/mp4"}}))
        .await;
    let id = reply["id"].as_str().unwrap().to_owned();
    let link = reply["upload_link"].as_str().unwrap().to_owned();
    assert!(reply.get("upload_token").is_none(), "{reply}");
    let data = bytes(3000, 9);
    // No mime_type was sent, so the PUT carries no Content-Type (one would be refused).
    let refused = env
        .http
        .put(&link)
        .header("content-type", "video/mp4")
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let res = env.put(&link, data.clone()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["etag"].to_str().unwrap(),
        format!("\"{}\"", md5_hex(&data))
    );
    assert_eq!(env.stored(&id).await["md5"], md5_hex(&data));
    env.wait_ready(&id).await;
    env.shutdown().await;
}

#[tokio::test]
async fn a_v2_only_backend_serves_direct_multipart_fetch_and_status() {
    let env = env_v2_only().await;
    let config = json_of(env.http.get(format!("{}/api/config", env.backend.url()))).await;
    assert_eq!(config["methods"], json!(["direct", "multipart", "fetch"]));
    assert_eq!(config["upload_api_base"], json!(env.sim.url()));
    // The v1 methods are refused before the platform is asked.
    for m in ["s3", "form", "resumable"] {
        let (status, _, body) = env
            .browser
            .upload(&json!({"method": m, "file":{"name":"a.mp4","size":10}}))
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("not_enabled")),
            "{m}: {body}"
        );
    }
    assert!(sim_log_has_no_v1(&env.sim.url()).await);
    let reply = env
        .mint(json!({"method":"direct","file":{"name":"v2.mp4","size":4000}}))
        .await;
    let id = reply["id"].as_str().unwrap().to_owned();
    let data = bytes(4000, 3);
    let link = reply["upload_link"].as_str().unwrap().to_owned();
    assert_eq!(env.put(&link, data.clone()).await.status(), 200);
    assert_eq!(env.stored(&id).await["md5"], md5_hex(&data));
    env.wait_ready(&id).await;
    let reply = env
        .mint(json!({"method":"multipart","file":{"name":"m.mp4","size":6_000_000}}))
        .await;
    assert!(reply["upload_token"].is_string(), "{reply}");
    // Fetch: the platform pulls a URL, and the status relay follows it to ready.
    let fetched = bytes(10_000, 7);
    let served = fetched.clone();
    let origin = axum::Router::new().route(
        "/f.mp4",
        axum::routing::get(move || {
            let d = served.clone();
            async move { d }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin_addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, origin).await.unwrap() });
    let reply = env
        .mint(json!({"method":"fetch","download_url":format!("http://{origin_addr}/f.mp4")}))
        .await;
    let id = reply["id"].as_str().unwrap().to_owned();
    env.wait_ready(&id).await;
    assert_eq!(env.stored(&id).await["md5"], md5_hex(&fetched));
    assert!(
        sim_log_has_no_v1(&env.sim.url()).await,
        "nothing went to v1"
    );
    env.shutdown().await;
}

async fn sim_log_has_no_v1(sim_url: &str) -> bool {
    let log = common::sim_log(sim_url).await;
    !log.iter().any(|e| e.to_string().contains("/v1/"))
}
