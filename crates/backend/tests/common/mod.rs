//! Shared test helpers: a config, a tiny fake platform, and a browser-like client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jw_upload_backend::{sign_v1, BackendServer, Config};
use serde_json::{json, Value};

pub const SITE: &str = "site0001";
pub const KEY: &str = "key00001";
pub const SECRET: &str = "v1-SECRET-zq81Xw";
pub const V2_SECRET: &str = "v2-SECRET-pp09Lm";
pub const TEST_KEY: &[u8] = b"test-server-key-0123456789abcdef";
/// The public origin of the oneshot tests (their `Host` is `backend.test:4000`).
pub const TEST_ORIGIN: &str = "http://backend.test:4000";

/// [`config`] answering at [`TEST_ORIGIN`] (for requests sent with `oneshot`).
pub fn oneshot_config(api_base: &str) -> Config {
    Config {
        public_origin: Some(TEST_ORIGIN.into()),
        ..config(api_base)
    }
}

/// A CSRF token minted with [`TEST_KEY`].
pub fn token() -> String {
    jw_upload_backend::mint_csrf_token(&config("http://127.0.0.1:1"))
}

/// A config for `api_base` with the test credentials, listening on a free port.
pub fn config(api_base: &str) -> Config {
    Config {
        api_base: api_base.to_owned(),
        site_id: SITE.into(),
        api_key: KEY.into(),
        api_secret: SECRET.into(),
        v2_secret: V2_SECRET.into(),
        listen: "127.0.0.1:0".parse().unwrap(),
        static_dir: None,
        allowed_origins: vec!["https://allowed.example".into()],
        connect_src_extra: Vec::new(),
        server_key: TEST_KEY.to_vec(),
        ..Config::default()
    }
}

/// [`config`] with every optional feature on: image and skin uploads, fetch from any host
/// listed in `fetch_hosts`, and no rate limit.
pub fn open_config(api_base: &str, fetch_hosts: &[&str]) -> Config {
    Config {
        account_uploads: true,
        fetch_hosts: fetch_hosts.iter().map(|h| (*h).to_owned()).collect(),
        rate_limit_per_minute: 0,
        ..config(api_base)
    }
}

/// A simulator started on a free port with its test config (the `TempDir` holds its files).
pub async fn start_sim(
    tune: impl FnOnce(&mut jw_platform_sim::Config),
) -> (
    jw_platform_sim::SimServer,
    jw_platform_sim::Config,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let mut sim_cfg = jw_platform_sim::Config::for_tests(dir.path().to_path_buf());
    tune(&mut sim_cfg);
    let sim = jw_platform_sim::spawn(sim_cfg.clone()).await.unwrap();
    (sim, sim_cfg, dir)
}

/// A backend config for the simulator at `sim_url` with `sim_cfg`'s credentials, listening on
/// a free port; everything else is the default.
pub fn sim_config(sim_url: String, sim_cfg: &jw_platform_sim::Config) -> Config {
    Config {
        api_base: sim_url,
        site_id: sim_cfg.site_id.clone(),
        api_key: sim_cfg.api_key.clone(),
        api_secret: sim_cfg.api_secret.clone(),
        v2_secret: sim_cfg.v2_secret.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    }
}

/// The MD5 of `data` in lower-case hex.
pub fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Sends `request` and parses the reply as JSON.
pub async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// The simulator's record of media `key` (`GET /_sim/media/{key}`).
pub async fn sim_media(sim_url: &str, key: &str) -> Value {
    json_of(reqwest::Client::new().get(format!("{sim_url}/_sim/media/{key}"))).await
}

/// The simulator's request log (`GET /_sim/log`), one entry a request.
pub async fn sim_log(sim_url: &str) -> Vec<Value> {
    let log = json_of(reqwest::Client::new().get(format!("{sim_url}/_sim/log"))).await;
    log.as_array().cloned().expect("the sim's log is a list")
}

/// One request the fake platform saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub raw_query: String,
    pub authorization: Option<String>,
    pub body: Value,
}

#[derive(Clone, Default)]
pub struct Fake {
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    pub fn last(&self) -> Seen {
        self.seen
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("the fake saw no request")
    }
    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
    /// Records a v2 request (no query; the Authorization header as sent).
    fn record_v2(&self, method: &str, path: String, headers: &HeaderMap, body: Value) {
        self.seen.lock().unwrap().push(Seen {
            method: method.into(),
            path,
            query: BTreeMap::new(),
            raw_query: String::new(),
            authorization: headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body,
        });
    }
}

fn rate_limit() -> Value {
    json!({"reset": 1_572_450_420u64, "limit": 60, "remaining": 59})
}

async fn fake_v1(
    State(fake): State<Fake>,
    Path(call): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
    uri: axum::http::Uri,
) -> Response {
    let raw_query = uri.query().unwrap_or_default().to_owned();
    fake.seen.lock().unwrap().push(Seen {
        method: "POST".into(),
        path: format!("/v1/{call}"),
        query: query.clone(),
        raw_query,
        authorization: None,
        body: Value::Null,
    });
    let params: Vec<(String, String)> = query.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let good = query.get("api_signature") == Some(&sign_v1(&params, SECRET))
        && query.get("api_key").map(String::as_str) == Some(KEY);
    if !good {
        return (
            StatusCode::FORBIDDEN,
            Json(
                json!({"status":"error","code":"PermissionDenied","title":"Permission Denied",
                "message":"bad signature","rate_limit": rate_limit()}),
            ),
        )
            .into_response();
    }
    match query.get("title").map(String::as_str) {
        Some("ratelimited") => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "17")],
                Json(json!({"status":"error","code":"RateLimitExceeded","rate_limit": rate_limit()})),
            )
                .into_response()
        }
        Some("leak") => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"status":"error","message": format!("debug: secret={SECRET} v2={V2_SECRET}")})),
            )
                .into_response()
        }
        _ => {}
    }
    let key = query
        .get("video_key")
        .cloned()
        .unwrap_or_else(|| "tL17msiU".into());
    let reply = match query.get("upload_method").map(String::as_str) {
        Some("s3") => json!({"status":"ok","media":{"type":"video","key":key},
            "link":{"protocol":"http","address":"127.0.0.1:1","path":format!("/jwplatform-upload/{key}"),
                    "query":{"AWSAccessKeyId":"SIMAKIA0000000000000","Expires":1_482_770_374u64,"Signature":"1/l+L6/yOE05dNEbXHW8sw7TGF4="}},
            "rate_limit": rate_limit()}),
        _ => json!({"status":"ok","media":{"type":"video","key":key},
            "link":{"protocol":"http","address":"127.0.0.1:1","path":"/v1/videos/upload",
                    "query":{"key":"vtQmcboj","token":"e2bbad0fd889d5d2e30047596cfe3789778257d2"}},
            "session_id":"kwJei9j2vtQmcbojrlGJY3mbJFMHfzZwPXBwoSQr","rate_limit": rate_limit()}),
    };
    Json(reply).into_response()
}

fn bearer_ok(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(format!("Bearer {V2_SECRET}").as_str())
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"errors":[{"code":"unauthorized","description":"bad token"}]})),
    )
        .into_response()
}

async fn fake_v2_create(
    State(fake): State<Fake>,
    Path(site): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    fake.record_v2(
        "POST",
        format!("/v2/sites/{site}/media"),
        &headers,
        body.clone(),
    );
    if !bearer_ok(&headers) || site != SITE {
        return unauthorized();
    }
    let mut reply = json!({"id":"Xa7fG2kq","type":"media","status":"created",
        "metadata": body["metadata"].clone(),"created":"2026-11-22T00:00:00Z"});
    if body["upload"]["method"] == "multipart" {
        reply["upload_id"] = json!("4f1b00ff");
        reply["upload_token"] = json!("eyJupload.token");
    }
    Json(reply).into_response()
}

async fn fake_v2_media(
    State(fake): State<Fake>,
    Path((site, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    fake.record_v2(
        "GET",
        format!("/v2/sites/{site}/media/{id}"),
        &headers,
        Value::Null,
    );
    if !bearer_ok(&headers) {
        return unauthorized();
    }
    if id == "missing1" {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"errors":[{"code":"not_found","description":"no such media"}]})),
        )
            .into_response();
    }
    Json(json!({"id": id,"type":"media","status":"ready","error_message":null,
        "duration":12.5,"size":1000,"md5":"9e107d9d372bb6826bd81d3542a419d6","metadata":{"title":"t"}}))
    .into_response()
}

/// Starts the fake platform on a free loopback port.
pub async fn start_fake() -> (Fake, SocketAddr) {
    let fake = Fake::default();
    let router = Router::new()
        .route("/v1/{*call}", post(fake_v1))
        .route("/v2/sites/{site}/media", post(fake_v2_create))
        .route("/v2/sites/{site}/media/{id}", get(fake_v2_media))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (fake, addr)
}

/// A loopback URL where nothing listens.
pub async fn dead_base() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// A browser stand-in: same-origin `Origin`, its own cookie jar (the CSRF cookie, ownership
/// cookies), and the token header after `new()`.
pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
    pub jar: Mutex<BTreeMap<String, String>>,
}

impl Browser {
    /// Fetches a CSRF token from `server` as a page on its own origin would.
    pub async fn new(server: &BackendServer) -> Browser {
        Browser::at(&server.url()).await
    }

    /// A browser for the backend at `base`.
    pub async fn at(base: &str) -> Browser {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let browser = Browser {
            http,
            base: base.to_owned(),
            token: String::new(),
            jar: Mutex::new(BTreeMap::new()),
        };
        let reply = browser
            .send(browser.http.get(format!("{base}/api/csrf")))
            .await;
        assert_eq!(reply.status(), 200);
        let token = reply.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        Browser { token, ..browser }
    }

    /// The `Cookie` header value of the jar.
    pub fn cookie_header(&self) -> String {
        let jar = self.jar.lock().unwrap();
        jar.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Sends `request` with the jar's cookies and keeps the cookies the reply sets.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let cookies = self.cookie_header();
        let request = if cookies.is_empty() {
            request
        } else {
            request.header("cookie", cookies)
        };
        let reply = request.send().await.unwrap();
        self.keep(reply.headers());
        reply
    }

    /// Stores the `Set-Cookie`s of `headers` (`Max-Age=0` removes).
    pub fn keep(&self, headers: &HeaderMap) {
        let mut jar = self.jar.lock().unwrap();
        for value in headers.get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if text.contains("Max-Age=0") {
                jar.remove(k.trim());
            } else {
                jar.insert(k.trim().to_owned(), v.trim().to_owned());
            }
        }
    }

    /// `POST /api/uploads` with `body`, same origin, token in cookie and header.
    pub async fn upload(&self, body: &Value) -> (u16, HeaderMap, Value) {
        let reply = self
            .send(
                self.http
                    .post(format!("{}/api/uploads", self.base))
                    .header("origin", &self.base)
                    .header("x-csrf-token", &self.token)
                    .json(body),
            )
            .await;
        split(reply).await
    }

    /// `GET /api/media/{id}`.
    pub async fn media(&self, id: &str) -> (u16, HeaderMap, Value) {
        let reply = self
            .send(self.http.get(format!("{}/api/media/{id}", self.base)))
            .await;
        split(reply).await
    }
}

pub async fn split(reply: reqwest::Response) -> (u16, HeaderMap, Value) {
    let status = reply.status().as_u16();
    let headers = reply.headers().clone();
    let text = reply.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

pub fn file(name: &str, size: u64) -> Value {
    json!({"name": name, "size": size, "type": "video/mp4"})
}
