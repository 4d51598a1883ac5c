//! CORS for the configured extra origins (a page on another origin calling with credentials).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{dead_base, oneshot_config as config, token};
use jw_upload_backend::app;
use tower::ServiceExt;

const ALLOWED: &str = "https://allowed.example";

fn preflight(origin: &str) -> Request<Body> {
    Request::options("/api/uploads")
        .header("host", "backend.test:4000")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,x-csrf-token",
        )
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn preflight_from_an_allowed_origin_is_answered_with_credentials() {
    let res = app(config(&dead_base().await))
        .oneshot(preflight(ALLOWED))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers();
    assert_eq!(h["access-control-allow-origin"], ALLOWED);
    assert_eq!(h["access-control-allow-credentials"], "true");
    let allowed_headers = h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        allowed_headers.contains("x-csrf-token"),
        "{allowed_headers}"
    );
    assert!(allowed_headers.contains("content-type"));
    assert!(h["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    assert_eq!(h["access-control-max-age"], "600");
}

#[tokio::test]
async fn other_origins_get_no_cors_grant() {
    let res = app(config(&dead_base().await))
        .oneshot(preflight("https://evil.example"))
        .await
        .unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"));
    let mut cfg = config(&dead_base().await);
    cfg.allowed_origins.clear();
    let res = app(cfg).oneshot(preflight(ALLOWED)).await.unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn replies_to_an_allowed_origin_carry_the_grant_and_expose_retry_after() {
    let token = token();
    let req = Request::post("/api/uploads")
        .header("host", "backend.test:4000")
        .header("origin", ALLOWED)
        .header("content-type", "application/json")
        .header("cookie", format!("jwu_csrf={token}"))
        .header("x-csrf-token", &token)
        .body(Body::from(
            r#"{"method":"s3","file":{"name":"a","size":1}}"#,
        ))
        .unwrap();
    let res = app(config(&dead_base().await)).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    let h = res.headers();
    assert_eq!(h["access-control-allow-origin"], ALLOWED);
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert!(h["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase()
        .contains("retry-after"));
    // The token of a backend on another site than the page: over https, with a cookie that
    // crosses sites (over http the call is refused: see csrf.rs).
    let req = Request::get("/api/csrf")
        .header("host", "backend.test:4000")
        .header("origin", ALLOWED)
        .body(Body::empty())
        .unwrap();
    let mut cfg = config(&dead_base().await);
    cfg.public_origin = Some("https://backend.test:4000".into());
    let res = app(cfg).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["access-control-allow-origin"], ALLOWED);
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("SameSite=None; Secure"), "{cookie}");
}
