//! The static directory: files served with the strict CSP, nosniff and the right content types.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::config;
use http_body_util::BodyExt;
use jw_upload_backend::{app, content_security_policy, Config};
use tower::ServiceExt;

fn site_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("jwu-backend-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>demo</title>").unwrap();
    std::fs::write(dir.join("app.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.join("app.js"), "export {}").unwrap();
    dir
}

fn static_config() -> Config {
    let mut cfg = config("http://127.0.0.1:4010");
    cfg.static_dir = Some(site_dir());
    cfg.connect_src_extra = vec!["https://cdn.example".into(), "bad; script-src *".into()];
    cfg
}

async fn get(cfg: Config, path: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let res = app(cfg)
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = res.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.unwrap().to_bytes().to_vec(),
    )
}

#[tokio::test]
async fn files_are_served_with_the_csp_and_types() {
    let cfg = static_config();
    let csp = content_security_policy(&cfg);
    for (path, ty) in [
        ("/", "text/html"),
        ("/index.html", "text/html"),
        ("/app.wasm", "application/wasm"),
        ("/app.js", "text/javascript"),
    ] {
        let (status, headers, _) = get(cfg.clone(), path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            headers["content-type"].to_str().unwrap().starts_with(ty),
            "{path}: {:?}",
            headers["content-type"]
        );
        assert_eq!(headers["content-security-policy"], csp.as_str(), "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
    }
    for escape in [
        "/../Cargo.toml",
        "/..%2f..%2fetc%2fpasswd",
        "/%2e%2e/%2e%2e/etc/passwd",
    ] {
        let (status, _, body) = get(cfg.clone(), escape).await;
        assert_ne!(status, StatusCode::OK, "{escape}");
        assert!(
            !String::from_utf8_lossy(&body).contains("root:"),
            "{escape}"
        );
    }
    let (status, headers, _) = get(cfg.clone(), "/missing.html").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn api_routes_still_answer_json_when_a_static_dir_is_set() {
    let (status, headers, body) = get(static_config(), "/api/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers["content-type"], "application/json");
    assert!(String::from_utf8(body).unwrap().contains("not_found"));
    let (status, _, _) = get(static_config(), "/api/csrf").await;
    assert_eq!(status, StatusCode::OK);
}

#[test]
fn csp_allows_the_platform_origin_and_nothing_loose() {
    let csp = content_security_policy(&static_config());
    assert_eq!(
        csp,
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data: blob:; media-src 'self' blob:; \
         connect-src 'self' http://127.0.0.1:4010 http://localhost:4010 https://cdn.example; \
         worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    );
    assert!(!csp.contains("unsafe-inline"));
}

#[test]
fn csp_for_the_real_platform_allows_its_upload_hosts() {
    let csp = content_security_policy(&Config::default());
    for host in [
        "https://api.jwplayer.com",
        "https://upload.jwplatform.com",
        "https://jwplatform-upload.s3-accelerate.amazonaws.com",
    ] {
        assert!(csp.contains(host), "{csp}");
    }
}

#[tokio::test]
async fn files_are_compressed_for_browsers_that_ask() {
    let cfg = static_config();
    let dir = cfg.static_dir.clone().unwrap();
    // A wasm-like body that compresses (the demo's 864 KB wasm gzips to 354 KB).
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.join("big.wasm"), &big).unwrap();
    for (encoding, want) in [
        ("gzip", Some("gzip")),
        ("br", Some("br")),
        ("identity", None),
    ] {
        let res = app(cfg.clone())
            .oneshot(
                Request::get("/big.wasm")
                    .header("accept-encoding", encoding)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let got = res
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(got.as_deref(), want, "{encoding}");
        assert!(res.headers()["content-security-policy"].len() > 10);
        let body = res.into_body().collect().await.unwrap().to_bytes();
        if want.is_some() {
            assert!(
                body.len() < big.len() / 4,
                "{encoding}: {} bytes",
                body.len()
            );
        } else {
            assert_eq!(body.as_ref(), big.as_slice());
        }
    }
}
