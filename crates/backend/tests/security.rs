//! The attacks of issue #13 replayed against the backend and the simulator on loopback, each
//! asserting the refusal and that the victim's stored bytes (MD5) and metadata are unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{md5_hex, sim_config, sim_log, sim_media, split, start_sim, Browser};
use jw_platform_sim::SimServer;
use jw_upload_backend::{spawn, BackendServer, Config, ServerLimits};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const KEY: &[u8] = b"security-suite-key-0123456789abc";

struct Env {
    sim: SimServer,
    backend: BackendServer,
    http: reqwest::Client,
    sim_cfg: jw_platform_sim::Config,
    _dir: tempfile::TempDir,
}

fn backend_config(sim: &SimServer, sim_cfg: &jw_platform_sim::Config) -> Config {
    Config {
        server_key: KEY.to_vec(),
        rate_limit_per_minute: 0,
        ..sim_config(sim.url(), sim_cfg)
    }
}

async fn env_with(tune: impl FnOnce(&mut Config)) -> Env {
    let (sim, sim_cfg, dir) = start_sim(|_| {}).await;
    let mut cfg = backend_config(&sim, &sim_cfg);
    tune(&mut cfg);
    let backend = spawn(cfg).await.unwrap();
    Env {
        sim,
        backend,
        http: reqwest::Client::new(),
        sim_cfg,
        _dir: dir,
    }
}

impl Env {
    async fn stored(&self, key: &str) -> Value {
        sim_media(&self.sim.url(), key).await
    }

    async fn sim_log(&self) -> Vec<Value> {
        sim_log(&self.sim.url()).await
    }

    async fn shutdown(self) {
        self.backend.shutdown().await;
        self.sim.shutdown().await;
    }
}

fn s3_url(reply: &Value) -> String {
    let link = &reply["link"];
    let q = &link["query"];
    let enc = |s: &str| jw_upload_backend::pct_encode(s);
    format!(
        "{}://{}{}?AWSAccessKeyId={}&Expires={}&Signature={}",
        link["protocol"].as_str().unwrap(),
        link["address"].as_str().unwrap(),
        link["path"].as_str().unwrap(),
        enc(q["AWSAccessKeyId"].as_str().unwrap()),
        q["Expires"],
        enc(q["Signature"].as_str().unwrap()),
    )
}

/// The ownership cookies of `from` into `to`'s jar (a reload keeps cookies; the CSRF token is
/// fetched again).
fn copy_ownership(from: &Browser, to: &Browser) {
    let owned: Vec<(String, String)> = from
        .jar
        .lock()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.starts_with("jwu_m_"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    to.jar.lock().unwrap().extend(owned);
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

/// The victim's media: an s3 upload of `data` by `alice`, titled "Alice's video".
async fn victim_video(env: &Env, alice: &Browser, data: &[u8]) -> String {
    let (status, _, reply) = alice
        .upload(
            &json!({"method":"s3","file":{"name":"a.mp4","size":data.len()},
            "metadata":{"title":"Alice's video"}}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let put = env
        .http
        .put(s3_url(&reply))
        .body(data.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    reply["media"]["key"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn another_browser_cannot_act_on_the_victims_media() {
    let env = env_with(|c| c.account_uploads = true).await;
    let alice = Browser::new(&env.backend).await;
    let mallory = Browser::new(&env.backend).await;
    let data: Vec<u8> = (0..50_000u32).map(|i| (i % 253) as u8).collect();
    let key = victim_video(&env, &alice, &data).await;
    let before = env.stored(&key).await;
    assert_eq!(before["md5"], md5_hex(&data));

    // Mallory names Alice's key in every call that acts on existing media.
    let attacks = [
        json!({"method":"s3","file":{"name":"x.mp4","size":3},"media_id":key}),
        json!({"method":"form","file":{"name":"x.mp4","size":3},"media_id":key}),
        json!({"method":"resumable","file":{"name":"x.mp4","size":3},"media_id":key}),
        json!({"method":"s3","file":{"name":"x.mp4","size":3},"video_key":key}),
        json!({"resource":"thumbnail","file":{"name":"t.jpg","size":3},"video_key":key}),
        json!({"resource":"track","file":{"name":"t.vtt","size":3},"video_key":key}),
    ];
    let mut answers = Vec::new();
    for attack in &attacks {
        let (status, _, body) = mallory.upload(attack).await;
        assert_eq!(
            (status, code(&body)),
            (403, "forbidden"),
            "{attack}: {body}"
        );
        assert!(body.get("link").is_none() && body.get("session_id").is_none());
        answers.push(body);
    }
    let (status, _, status_body) = mallory.media(&key).await;
    assert_eq!((status, code(&status_body)), (403, "forbidden"));
    assert!(!status_body.to_string().contains("Alice"), "{status_body}");
    // "Not yours" and "does not exist" are the same answer.
    let (_, _, missing) = mallory.media("NoSuch01").await;
    assert_eq!(missing, status_body);
    let (_, _, missing) = mallory
        .upload(&json!({"method":"s3","file":{"name":"x.mp4","size":3},"media_id":"NoSuch01"}))
        .await;
    assert_eq!(missing, answers[0]);

    // Forged ownership cookies: a made-up tag, and Alice's tag with a later expiry.
    let alice_cookie = alice.jar.lock().unwrap()[&format!("jwu_m_{key}")].clone();
    let (_, tag) = alice_cookie.split_once('.').unwrap();
    for forged in [
        "9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned(),
        format!("9999999999.{tag}"),
    ] {
        let forger = Browser::new(&env.backend).await;
        forger
            .jar
            .lock()
            .unwrap()
            .insert(format!("jwu_m_{key}"), forged);
        let (status, _, _) = forger.media(&key).await;
        assert_eq!(status, 403);
    }

    // Nothing of Alice's changed.
    let after = env.stored(&key).await;
    assert_eq!(after["md5"], before["md5"]);
    assert_eq!(after["metadata"], before["metadata"]);
    assert_eq!(after["metadata"]["title"], "Alice's video");

    // Alice, after a reload (a fresh CSRF token, the same cookies), still may.
    let reloaded = Browser::new(&env.backend).await;
    copy_ownership(&alice, &reloaded);
    let (status, _, body) = reloaded.media(&key).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = reloaded
        .upload(&json!({"method":"s3","file":{"name":"a.mp4","size":3},"media_id":key}))
        .await;
    assert_eq!(status, 200, "{body}");
    env.shutdown().await;
}

#[tokio::test]
async fn a_victims_resumable_session_is_not_handed_out() {
    let env = env_with(|_| {}).await;
    let alice = Browser::new(&env.backend).await;
    let mallory = Browser::new(&env.backend).await;
    let (status, _, reply) = alice
        .upload(&json!({"method":"resumable","file":{"name":"r.mp4","size":1000}}))
        .await;
    assert_eq!(status, 200);
    let key = reply["media"]["key"].as_str().unwrap().to_owned();
    let session = reply["session_id"].as_str().unwrap().to_owned();
    let (status, _, body) = mallory
        .upload(&json!({"method":"resumable","file":{"name":"r.mp4","size":1000},"media_id":key}))
        .await;
    assert_eq!(status, 403);
    assert!(!body.to_string().contains(&session));
    let (status, _, renewed) = alice
        .upload(&json!({"method":"resumable","file":{"name":"r.mp4","size":1000},"media_id":key}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(renewed["session_id"], session.as_str(), "the owner resumes");
    env.shutdown().await;
}

#[tokio::test]
async fn instances_sharing_the_key_agree_without_shared_memory() {
    let env = env_with(|_| {}).await;
    let second = spawn(backend_config(&env.sim, &env.sim_cfg)).await.unwrap();
    let alice = Browser::new(&env.backend).await;
    let (status, _, reply) = alice
        .upload(&json!({"method":"form","file":{"name":"a.mp4","size":3}}))
        .await;
    assert_eq!(status, 200);
    let key = reply["media"]["key"].as_str().unwrap().to_owned();
    let on_second = Browser::at(&second.url()).await;
    copy_ownership(&alice, &on_second);
    let (status, _, body) = on_second.media(&key).await;
    assert_eq!(status, 200, "{body}");
    second.shutdown().await;
    env.shutdown().await;
}

#[tokio::test]
async fn a_custom_policy_sees_the_action_and_the_request() {
    let (sim, sim_cfg, _dir) = start_sim(|_| {}).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut cfg = backend_config(&sim, &sim_cfg);
    cfg.listen = listener.local_addr().unwrap();
    // An "editor" header stands in for the app's logged-in user: editors may read anything.
    let router = jw_upload_backend::Backend::new(cfg.clone())
        .policy(|ask: &jw_upload_backend::Ask<'_>| {
            let editor = ask.request.headers.contains_key("x-test-editor");
            editor || matches!(ask.action, jw_upload_backend::Action::Create) || ask.minted_here
        })
        .router();
    let server = jw_upload_backend::spawn_router(listener, router, cfg.limits).unwrap();
    let alice = Browser::new(&server).await;
    let (_, _, reply) = alice
        .upload(&json!({"method":"form","file":{"name":"a.mp4","size":3}}))
        .await;
    let key = reply["media"]["key"].as_str().unwrap().to_owned();
    let editor = reqwest::Client::new()
        .get(format!("{}/api/media/{key}", server.url()))
        .header("x-test-editor", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(editor.status(), 200);
    let (status, _, _) = Browser::new(&server).await.media(&key).await;
    assert_eq!(status, 403);
    // Fetch is not in this policy's list: refused even if enabled.
    server.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn fetch_is_off_by_default_and_never_reaches_internal_addresses() {
    let env = env_with(|_| {}).await;
    let browser = Browser::new(&env.backend).await;
    let (status, _, body) = browser
        .upload(&json!({"method":"fetch","download_url":"https://example.com/a.mp4"}))
        .await;
    assert_eq!((status, code(&body)), (403, "not_enabled"));
    env.shutdown().await;

    // Enabled for any public host: internal targets, whether a port is open or not, all get
    // the same refusal, and the platform is never asked.
    let env = env_with(|c| c.fetch_hosts = vec!["*".into()]).await;
    let browser = Browser::new(&env.backend).await;
    let open_port = env.backend.addr.port();
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let targets = [
        format!("http://127.0.0.1:{open_port}/api/config"),
        format!("http://127.0.0.1:{closed_port}/x"),
        format!("{}/_sim/log", env.sim.url()),
        "http://10.0.0.1/x.mp4".to_owned(),
        "http://10.255.255.254:8080/x.mp4".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        format!("http://[::1]:{open_port}/api/config"),
        format!("http://localhost:{open_port}/api/config"),
        "http://0.0.0.0/".to_owned(),
        "http://[::ffff:127.0.0.1]/".to_owned(),
        "http://user:pw@example.com/x".to_owned(),
    ];
    let mut messages = std::collections::BTreeSet::new();
    for url in &targets {
        let (status, _, body) = browser
            .upload(&json!({"method":"fetch","download_url":url}))
            .await;
        assert_eq!(status, 400, "{url}: {body}");
        messages.insert(body["error"]["message"].as_str().unwrap().to_owned());
    }
    assert_eq!(messages.len(), 1, "one answer for all: {messages:?}");
    let log = env.sim_log().await;
    assert!(
        !log.iter()
            .any(|e| e["path"].as_str().is_some_and(|p| p.contains("/v2/"))),
        "the platform was asked: {log:?}"
    );
    env.shutdown().await;
}

#[tokio::test]
async fn metadata_injection_is_refused_and_names_the_field() {
    let env = env_with(|_| {}).await;
    let browser = Browser::new(&env.backend).await;
    for (method, field) in [
        ("s3", "DOWNLOAD_URL"),
        ("s3", "sourceurl"),
        ("form", "redirect_address"),
        ("s3", "md5"),
        ("s3", "custom.role"),
        ("s3", "publish_start_date"),
        ("multipart", "download_url"),
        ("multipart", "custom_params"),
        ("multipart", "publish_start_date"),
    ] {
        let (status, _, body) = browser
            .upload(
                &json!({"method":method,"file":{"name":"a.mp4","size":3},"metadata":{field:"x"}}),
            )
            .await;
        assert_eq!(status, 400, "{field}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(field),
            "{body}"
        );
    }
    for (field, value) in [
        ("description", "<img src=x onerror=alert(1)>"),
        ("author", "<script>"),
        ("title", "a\u{0}b"),
        ("title", "line\r\nInjected: 1"),
    ] {
        let (status, _, _) = browser
            .upload(
                &json!({"method":"s3","file":{"name":"a.mp4","size":3},"metadata":{field: value}}),
            )
            .await;
        assert_eq!(status, 400, "{field}: {value:?}");
    }
    // Metadata travels as the browser's JSON text (the wasm has no JSON value type): anything
    // but an object is refused with the reason, before the platform is asked.
    for metadata in [json!([1, 2]), json!("title"), json!(7)] {
        let (status, _, body) = browser
            .upload(&json!({"method":"s3","file":{"name":"a.mp4","size":3},"metadata":metadata}))
            .await;
        assert_eq!(status, 400, "{metadata}: {body}");
        assert_eq!(
            body["error"]["message"].as_str(),
            Some("metadata must be a JSON object"),
            "{body}"
        );
    }
    let (status, _, body) = browser
        .upload(&json!({"method":"s3","file":{"name":"a.mp4","size":3},"sourceurl":"http://x"}))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sourceurl"),
        "{body}"
    );
    let creates = env
        .sim_log()
        .await
        .iter()
        .filter(|e| {
            e["path"]
                .as_str()
                .is_some_and(|p| p.contains("/create") || p.ends_with("/media"))
        })
        .count();
    assert_eq!(creates, 0, "nothing reached the platform");
    env.shutdown().await;
}

#[tokio::test]
async fn image_and_skin_are_off_by_default() {
    let env = env_with(|_| {}).await;
    let browser = Browser::new(&env.backend).await;
    for resource in ["image", "skin"] {
        let (status, _, body) = browser
            .upload(&json!({"resource":resource,"file":{"name":"i.png","size":3}}))
            .await;
        assert_eq!((status, code(&body)), (403, "not_enabled"), "{resource}");
    }
    env.shutdown().await;
}

#[tokio::test]
async fn a_rebinding_host_is_not_answered() {
    let env = env_with(|_| {}).await;
    let http = reqwest::Client::new();
    for path in ["/api/csrf", "/api/config", "/upload-form", "/api/media/abc"] {
        let r = http
            .get(format!("{}{path}", env.backend.url()))
            .header("host", "rebind.attacker.example")
            .header("origin", "http://rebind.attacker.example")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 421, "{path}");
    }
    let r = http
        .post(format!("{}/api/uploads", env.backend.url()))
        .header("host", "rebind.attacker.example")
        .header("origin", "http://rebind.attacker.example")
        .json(&json!({"method":"s3","file":{"name":"a","size":1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 421);
    env.shutdown().await;
}

#[tokio::test]
async fn minting_is_rate_limited_per_client_with_retry_after() {
    let env = env_with(|c| c.rate_limit_per_minute = 3).await;
    let browser = Browser::new(&env.backend).await;
    for _ in 0..3 {
        let (status, _, _) = browser
            .upload(&json!({"method":"form","file":{"name":"a","size":1}}))
            .await;
        assert_eq!(status, 200);
    }
    let (status, headers, body) = browser
        .upload(&json!({"method":"form","file":{"name":"a","size":1}}))
        .await;
    assert_eq!((status, code(&body)), (429, "rate_limited"));
    let secs: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&secs));
    env.shutdown().await;
}

/// Opens a connection, writes `first`, then trickles `drip` a byte a second; returns how long
/// until the server closed the connection.
async fn held_for(addr: std::net::SocketAddr, first: &[u8], drip: &[u8]) -> Duration {
    let start = Instant::now();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(first).await.unwrap();
    let mut buf = [0u8; 4096];
    // Nothing to drip: just wait (a byte of 0 length is never written).
    let drip: &[u8] = if drip.is_empty() { &[0] } else { drip };
    let silent = first.is_empty();
    for byte in drip.iter().cycle() {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                // A reply (408) is fine; the close is what counts.
                Ok(0) | Err(_) => return start.elapsed(),
                Ok(_) => continue,
            },
            () = tokio::time::sleep(Duration::from_millis(500)) => {
                if !silent && stream.write_all(&[*byte]).await.is_err() {
                    return start.elapsed();
                }
            }
        }
        if start.elapsed() > Duration::from_secs(20) {
            break;
        }
    }
    start.elapsed()
}

/// An env whose server allows 1 s for the headers and 2 s for a request, on `max_connections`
/// connections at a time.
async fn env_with_short_timeouts(max_connections: usize) -> Env {
    env_with(|c| {
        c.limits = ServerLimits {
            header_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(2),
            max_connections,
        }
    })
    .await
}

#[tokio::test]
async fn slow_clients_are_closed_within_a_bound() {
    let env = env_with_short_timeouts(64).await;
    let addr = env.backend.addr;
    // Headers trickled a byte at a time.
    let slow_headers = held_for(
        addr,
        b"GET /api/csrf HTTP/1.1\r\n",
        b"X-Slow: aaaaaaaaaaaaaaaa",
    )
    .await;
    assert!(slow_headers < Duration::from_secs(5), "{slow_headers:?}");
    // A connection that never sends anything.
    let idle = held_for(addr, b"", b"").await;
    assert!(
        idle >= Duration::from_millis(900) && idle < Duration::from_secs(5),
        "{idle:?}"
    );
    // A body trickled a byte at a time.
    let head = format!(
        "POST /api/uploads HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: 5000\r\n\r\n{{"
    );
    let slow_body = held_for(addr, head.as_bytes(), b" ").await;
    assert!(slow_body < Duration::from_secs(6), "{slow_body:?}");
    // And the server still answers.
    let (status, _, _) = split(
        reqwest::get(format!("{}/api/config", env.backend.url()))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    env.shutdown().await;
}

#[tokio::test]
async fn a_long_origin_is_refused_and_the_server_keeps_answering() {
    let env = env_with(|_| {}).await;
    let browser = Browser::new(&env.backend).await;
    let long = format!("https://{}.example", "a".repeat(7000));
    let r = browser
        .send(
            browser
                .http
                .post(format!("{}/api/uploads", browser.base))
                .header("origin", long)
                .header("x-csrf-token", &browser.token)
                .json(&json!({"method":"s3","file":{"name":"a","size":1}})),
        )
        .await;
    assert_eq!(r.status(), 403);
    env.shutdown().await;
}

#[tokio::test]
async fn connections_over_the_cap_wait_for_a_free_slot() {
    let env = env_with_short_timeouts(2).await;
    let addr = env.backend.addr;
    // Two idle connections hold both slots until the header timeout closes them.
    let _a = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _b = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let start = Instant::now();
    let r = reqwest::get(format!("{}/api/config", env.backend.url()))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(700) && waited < Duration::from_secs(4),
        "the third connection is served once a slot frees: {waited:?}"
    );
    env.shutdown().await;
}
