//! CSRF: same-origin check on Origin plus the double-submit token, through `app()` with oneshot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use common::{dead_base, oneshot_config, token};
use http_body_util::BodyExt;
use jw_upload_backend::app;
use serde_json::{json, Value};
use tower::ServiceExt;

const HOST: &str = "backend.test:4000";

async fn router() -> Router {
    // Nothing listens at the platform: a request that passes CSRF ends in 502.
    app(oneshot_config(&dead_base().await))
}

fn upload_request(
    origin: Option<&str>,
    cookie: Option<&str>,
    header: Option<&str>,
) -> Request<Body> {
    let mut req = Request::post("/api/uploads")
        .header("host", HOST)
        .header("content-type", "application/json");
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    if let Some(c) = cookie {
        req = req.header("cookie", format!("other=1; jwu_csrf={c}; x=y"));
    }
    if let Some(h) = header {
        req = req.header("x-csrf-token", h);
    }
    let body = json!({"method":"s3","file":{"name":"a.mp4","size":1,"type":"video/mp4"}});
    req.body(Body::from(body.to_string())).unwrap()
}

/// `upload_request` through a fresh router.
async fn upload(
    origin: Option<&str>,
    cookie: Option<&str>,
    header: Option<&str>,
) -> (StatusCode, Value) {
    send(router().await, upload_request(origin, cookie, header)).await
}

async fn send(router: Router, req: Request<Body>) -> (StatusCode, Value) {
    let res = router.oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn a_same_origin_request_with_matching_token_passes() {
    let token = token();
    for origin in ["http://backend.test:4000", "HTTP://Backend.Test:4000"] {
        let (status, body) = upload(Some(origin), Some(&token), Some(&token)).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::BAD_GATEWAY, "platform_unreachable"),
            "{origin}"
        );
    }
}

#[tokio::test]
async fn an_allowed_origin_passes() {
    let t = token();
    let (status, _) = upload(Some("https://allowed.example"), Some(&t), Some(&t)).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
}

#[tokio::test]
async fn a_missing_origin_is_refused() {
    let t = token();
    let (status, body) = upload(None, Some(&t), Some(&t)).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "origin"));
}

#[tokio::test]
async fn a_foreign_origin_is_refused() {
    let t = token();
    for origin in [
        "https://evil.example",
        "http://backend.test:4001",
        "http://backend.test",
        "https://backend.test:4000",
        "http://backend.test:4000.evil.example",
        "null",
        "https://allowed.example.evil",
    ] {
        let (status, body) = upload(Some(origin), Some(&t), Some(&t)).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::FORBIDDEN, "origin"),
            "{origin}"
        );
        assert!(body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_refused() {
    let origin = Some("http://backend.test:4000");
    let t = token();
    let wrong = token();
    // Equal but not minted by this server (a planted cookie), or minted under another key.
    let planted = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let foreign = jw_upload_backend::mint_csrf_token(&jw_upload_backend::Config {
        server_key: b"another-key-0123456789abcdef0123".to_vec(),
        ..jw_upload_backend::Config::default()
    });
    for (cookie, header) in [
        (None, None),
        (Some(t.as_str()), None),
        (None, Some(t.as_str())),
        (Some(t.as_str()), Some(wrong.as_str())),
        (Some(t.as_str()), Some(&t[..t.len() - 1])),
        (Some(""), Some("")),
        (Some(planted), Some(planted)),
        (Some(foreign.as_str()), Some(foreign.as_str())),
    ] {
        let (status, body) = upload(origin, cookie, header).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::FORBIDDEN, "csrf"),
            "{cookie:?} {header:?}"
        );
    }
}

#[tokio::test]
async fn csrf_endpoint_mints_a_fresh_token_and_strict_cookie() {
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let req = Request::get("/api/csrf")
            .header("host", HOST)
            .body(Body::empty())
            .unwrap();
        let res = router().await.oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert_eq!(res.headers()["cache-control"], "no-store");
        let body: Value =
            serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
        let token = body["token"].as_str().unwrap().to_owned();
        let (nonce, tag) = token.split_once('.').unwrap();
        assert_eq!(nonce.len(), 64);
        assert!(nonce.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(tag.len(), 43, "an HMAC-SHA256 tag, base64url");
        assert!(
            cookie.starts_with(&format!("jwu_csrf={token};")),
            "{cookie}"
        );
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(cookie.contains(attr), "{cookie}");
        }
        tokens.push(token);
    }
    assert_ne!(tokens[0], tokens[1]);
}

#[tokio::test]
async fn gets_from_a_foreign_origin_are_refused() {
    for path in ["/api/csrf", "/api/media/Xa7fG2kq"] {
        let req = Request::get(path)
            .header("host", HOST)
            .header("origin", "https://evil.example")
            .body(Body::empty())
            .unwrap();
        let (status, body) = send(router().await, req).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::FORBIDDEN, "origin"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn wrong_content_type_and_oversized_bodies_are_refused_after_csrf() {
    let t = token();
    let token_headers = |req: axum::http::request::Builder| {
        req.header("host", HOST)
            .header("origin", "http://backend.test:4000")
            .header("cookie", format!("jwu_csrf={t}"))
            .header("x-csrf-token", &t)
    };
    let req = token_headers(Request::post("/api/uploads"))
        .header("content-type", "text/plain")
        .body(Body::from("{}"))
        .unwrap();
    let (status, body) = send(router().await, req).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "bad_request")
    );
    let req = token_headers(Request::post("/api/uploads"))
        .header("content-type", "application/json")
        .body(Body::from(vec![b' '; 100_000]))
        .unwrap();
    let (status, body) = send(router().await, req).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::PAYLOAD_TOO_LARGE, "bad_request")
    );
    let req = token_headers(Request::post("/api/uploads"))
        .header("content-type", "application/json; charset=utf-8")
        .body(Body::from(r#"{"method":"carrier-pigeon"}"#))
        .unwrap();
    let (status, body) = send(router().await, req).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("method"));
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let req = Request::get("/api/nope").body(Body::empty()).unwrap();
    let (status, body) = send(router().await, req).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let req = Request::get("/api/uploads").body(Body::empty()).unwrap();
    let (status, body) = send(router().await, req).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::METHOD_NOT_ALLOWED, "bad_request")
    );
    let req = Request::get("/index.html").body(Body::empty()).unwrap();
    let (status, body) = send(router().await, req).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
}

#[tokio::test]
async fn under_https_the_cookie_is_host_prefixed_and_secure() {
    let mut cfg = oneshot_config(&dead_base().await);
    cfg.public_origin = Some("https://backend.test:4000".into());
    let req = Request::get("/api/csrf")
        .header("host", HOST)
        .body(Body::empty())
        .unwrap();
    let res = app(cfg).oneshot(req).await.unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-jwu_csrf="), "{cookie}");
    assert!(
        cookie.contains("; Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain"), "{cookie}");
}

#[test]
fn sites_ignore_ports_and_subdomains() {
    use jw_upload_backend::site_of;
    assert_eq!(
        site_of("http://127.0.0.1:4000"),
        site_of("http://127.0.0.1:5173")
    );
    assert_eq!(
        site_of("https://cms.shop.example"),
        site_of("https://upload.shop.example:8443")
    );
    assert_ne!(
        site_of("https://cms.example"),
        site_of("https://upload.example.net")
    );
    assert_ne!(
        site_of("http://localhost:4000"),
        site_of("http://127.0.0.1:4000")
    );
    assert_ne!(
        site_of("http://shop.example"),
        site_of("https://shop.example")
    );
    assert_eq!(site_of("http://[::1]:4000"), "http://::1");
}

async fn csrf_from(
    cfg: jw_upload_backend::Config,
    origin: &str,
) -> (StatusCode, Option<String>, Value) {
    let req = Request::get("/api/csrf")
        .header("host", HOST)
        .header("origin", origin)
        .body(Body::empty())
        .unwrap();
    let res = app(cfg).oneshot(req).await.unwrap();
    let status = res.status();
    let cookie = res
        .headers()
        .get("set-cookie")
        .map(|c| c.to_str().unwrap().to_owned());
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        cookie,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_page_on_another_site_gets_samesite_none_under_https_and_a_clear_403_over_http() {
    let base = dead_base().await;
    // https, a CMS on another site allowed: the cookies are SameSite=None; Secure.
    let mut cfg = oneshot_config(&base);
    cfg.public_origin = Some("https://backend.test:4000".into());
    cfg.allowed_origins = vec!["https://cms.example".into()];
    let (status, cookie, _) = csrf_from(cfg, "https://cms.example").await;
    assert_eq!(status, StatusCode::OK);
    let cookie = cookie.unwrap();
    assert!(cookie.contains("SameSite=None; Secure"), "{cookie}");

    // The same over plain http: no cookie could cross, so the token call says what to do.
    let mut cfg = oneshot_config(&base);
    cfg.allowed_origins = vec!["http://cms.example".into()];
    let (status, cookie, body) = csrf_from(cfg.clone(), "http://cms.example").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(cookie.is_none());
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("another site than the page (http://cms.example)")
            && msg.contains("SameSite=None; Secure")
            && msg.contains("https"),
        "{msg}"
    );
    // A page on the backend's own site (another port) keeps the Strict cookie.
    cfg.allowed_origins = vec!["http://backend.test:5173".into()];
    let (status, cookie, _) = csrf_from(cfg, "http://backend.test:5173").await;
    assert_eq!(status, StatusCode::OK);
    assert!(cookie.unwrap().contains("SameSite=Strict"));
}
