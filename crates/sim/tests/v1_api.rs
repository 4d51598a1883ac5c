//! v1 management API: signature, nonce, timestamp, rate limit, replies (JSON and XML), resources.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::json;

// The signature's independent test vector is a unit test in src/auth.rs.

#[tokio::test]
async fn s3_create_reply_shape() {
    let sim = start().await;
    // The S3 doc's curl: signed query, JSON body with upload_method and title.
    let v = sim.create_video(Some("s3")).await;
    assert_eq!(v["status"], "ok");
    assert_eq!(v["media"]["type"], "video");
    let key = v["media"]["key"].as_str().unwrap();
    assert_eq!(v["link"]["protocol"], "http");
    assert_eq!(v["link"]["address"], sim.server.addr.to_string());
    assert_eq!(v["link"]["path"], format!("/jwplatform-upload/{key}"));
    assert_eq!(v["link"]["query"]["AWSAccessKeyId"], "SIMAKIA0000000000000");
    assert!(v["link"]["query"]["Expires"].as_u64().unwrap() > now_secs());
    assert!(v["link"]["query"]["Signature"]
        .as_str()
        .unwrap()
        .ends_with('='));
    assert_eq!(v["rate_limit"]["limit"], 10_000);
    assert!(v["rate_limit"]["remaining"].as_u64().unwrap() < 10_000);
    assert!(v["rate_limit"]["reset"].as_u64().unwrap() > now_secs());
    let m = sim.admin_media(key).await;
    assert_eq!(m["status"], "created");
    assert_eq!(m["method"], "s3");
    assert_eq!(m["metadata"]["title"], "My Uploaded Video");
}

#[tokio::test]
async fn form_and_resumable_create_replies() {
    let sim = start().await;
    let v = sim.create_video(None).await;
    assert_eq!(v["link"]["path"], "/v1/videos/upload");
    let q = &v["link"]["query"];
    assert_eq!(q["key"].as_str().unwrap().len(), 8);
    assert_eq!(q["token"].as_str().unwrap().len(), 40);
    assert_ne!(q["key"], v["media"]["key"]);
    assert_eq!(v["session_id"].as_str().unwrap().len(), 40);
    let v = sim.create_video(Some("resumable")).await;
    assert_eq!(v["link"]["path"], "/v1/videos/upload/resumable");
    assert!(v["session_id"].is_string());
}

#[tokio::test]
async fn form_encoded_body_is_signed_too() {
    let sim = start().await;
    // Sign over the query plus the body parameters, send the body as x-www-form-urlencoded.
    let ts = now_secs().to_string();
    let pairs: Vec<(String, String)> = vec![
        ("api_key".into(), "simkey01".into()),
        ("api_nonce".into(), "00000042".into()),
        ("api_timestamp".into(), ts.clone()),
        ("title".into(), "Form body & co".into()),
        ("upload_method".into(), "s3".into()),
    ];
    let sig = jw_platform_sim::v1_signature(&pairs, "sim-v1-secret");
    let url = format!("{}/v1/videos/create?api_key=simkey01&api_nonce=00000042&api_timestamp={ts}&api_signature={sig}", sim.url);
    let r = sim
        .post_form(
            &url,
            "application/x-www-form-urlencoded",
            "title=Form+body+%26+co&upload_method=s3",
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        v["link"]["path"].as_str().unwrap().split('/').nth(1),
        Some("jwplatform-upload")
    );
    // Same body, tampered: the signature no longer matches.
    let r = sim
        .post_form(
            &url,
            "application/x-www-form-urlencoded",
            "title=Other&upload_method=s3",
        )
        .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn rejects_bad_signature_stale_timestamp_bad_nonce_unknown_key() {
    let sim = start().await;
    let url = sim.v1_url("videos/create", &[("upload_method", "s3")]);
    let bad = url.replace("api_signature=", "api_signature=0");
    let r = sim.post(&bad).await;
    assert_eq!(r.status(), 403);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["status"], "error");
    assert_eq!(v["code"], "SignatureInvalid");
    assert!(v["rate_limit"].is_object());

    let stale = sim.v1_url_at("videos/create", &[], now_secs() - 301);
    let r = sim.post(&stale).await;
    assert_v1_error(r, 403, "TimestampExpired").await;

    let nonce = sim.v1_url("videos/create", &[]);
    let nonce = regex_replace_nonce(&nonce, "123");
    let r = sim.post(&nonce).await;
    assert_v1_error(r, 400, "NonceInvalid").await;

    let other = sim
        .v1_url("videos/create", &[])
        .replace("api_key=simkey01", "api_key=nobody01");
    let r = sim.post(&other).await;
    assert_eq!(r.status(), 403);

    // XML errors when asked.
    let r = sim
        .post(
            &sim.v1_url("videos/create", &[("api_format", "xml")])
                .replace("api_signature=", "api_signature=f"),
        )
        .await;
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("<status>error</status>") && body.contains("<code>SignatureInvalid</code>"),
        "{body}"
    );
}

fn regex_replace_nonce(url: &str, nonce: &str) -> String {
    let start = url.find("api_nonce=").unwrap() + "api_nonce=".len();
    let end = url[start..]
        .find('&')
        .map(|e| start + e)
        .unwrap_or(url.len());
    format!("{}{nonce}{}", &url[..start], &url[end..])
}

#[tokio::test]
async fn stale_timestamps_are_refused() {
    let sim = start().await;
    for ts in [now_secs() - 400, now_secs() + 400] {
        let r = sim.post(&sim.v1_url_at("videos/create", &[], ts)).await;
        assert_v1_error(r, 403, "TimestampExpired").await;
    }
    // Timestamps are the client's clock: moving the sim clock (token and link expiry) does not
    // make a call signed now stale.
    sim.advance(7 * 86_400).await;
    let r = sim.post(&sim.v1_url("videos/create", &[])).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn rate_limit_429_with_retry_after() {
    let sim = start_with(|c| c.rate_limit = 3).await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let (st, v) = sim.v1_json("videos/create", &[], json!({})).await;
        assert_eq!(st, 200);
        remaining.push(v["rate_limit"]["remaining"].as_u64().unwrap());
    }
    assert_eq!(remaining, vec![2, 1, 0]);
    let r = sim.post(&sim.v1_url("videos/create", &[])).await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["code"], "RateLimitExceeded");
    assert_eq!(v["rate_limit"]["remaining"], 0);
    // A new minute of the sim clock resets the window.
    sim.advance(60).await;
    let r = sim
        .post(&sim.v1_url_at("videos/create", &[], now_secs() + 60))
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn xml_reply_like_the_resumable_doc() {
    let sim = start().await;
    let url = sim.v1_url(
        "videos/create",
        &[("api_format", "xml"), ("upload_method", "resumable")],
    );
    let r = sim.post(&url).await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(body.contains("<status>ok</status><video key=\""), "{body}");
    assert!(body.contains("<protocol>http</protocol>"));
    assert!(body.contains("<path>/v1/videos/upload/resumable</path>"));
    assert!(body.contains("<session_id>"));
}

#[tokio::test]
async fn update_renews_links_and_keeps_resumable_session() {
    let sim = start().await;
    let v = sim.create_video(Some("resumable")).await;
    let key = v["media"]["key"].as_str().unwrap();
    let (st, u) = sim
        .v1_json(
            "videos/update",
            &[("video_key", key), ("upload_method", "resumable")],
            json!({}),
        )
        .await;
    assert_eq!(st, 200, "{u}");
    assert_eq!(u["session_id"], v["session_id"]);
    assert_eq!(u["media"]["key"], key);
    let (st, s) = sim
        .v1_json(
            "videos/update",
            &[("video_key", key), ("upload_method", "s3")],
            json!({}),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(s["link"]["path"], format!("/jwplatform-upload/{key}"));
    let (st, e) = sim
        .v1_json("videos/update", &[("video_key", "nope1234")], json!({}))
        .await;
    assert_eq!(st, 404);
    assert_eq!(e["code"], "NotFound");
    let (st, e) = sim.v1_json("videos/nothing", &[], json!({})).await;
    assert_eq!(st, 404, "{e}");
}

#[tokio::test]
async fn other_resources_have_their_own_paths() {
    let sim = start().await;
    let v = sim.create_video(None).await;
    let vkey = v["media"]["key"].as_str().unwrap();
    let cases = [
        (
            "videos/thumbnails/update",
            vec![("video_key", vkey)],
            "thumbnail",
            "/v1/videos/thumbnails/upload",
        ),
        (
            "videos/tracks/create",
            vec![
                ("video_key", vkey),
                ("kind", "captions"),
                ("label", "English"),
            ],
            "track",
            "/v1/videos/tracks/upload",
        ),
        (
            "accounts/images/create",
            vec![],
            "image",
            "/v1/accounts/images/upload",
        ),
        (
            "accounts/skins/create",
            vec![],
            "skin",
            "/v1/accounts/skins/upload",
        ),
    ];
    for (call, params, obj, path) in cases {
        let (st, r) = sim.v1_json(call, &params, json!({})).await;
        assert_eq!(st, 200, "{call}: {r}");
        assert!(r[obj]["key"].is_string(), "{call}: {r}");
        assert_eq!(r["link"]["path"], path);
        assert!(r["link"]["query"]["token"].is_string());
    }
    let (_, t) = sim
        .v1_json(
            "videos/thumbnails/update",
            &[("video_key", vkey)],
            json!({}),
        )
        .await;
    assert_eq!(t["thumbnail"]["key"], vkey);
    let (st, _) = sim
        .v1_json(
            "videos/tracks/create",
            &[("video_key", "missing1")],
            json!({}),
        )
        .await;
    assert_eq!(st, 404);
    let (_, img) = sim.v1_json("accounts/images/create", &[], json!({})).await;
    let ikey = img["image"]["key"].as_str().unwrap();
    let (st, upd) = sim
        .v1_json("accounts/images/update", &[("image_key", ikey)], json!({}))
        .await;
    assert_eq!(st, 200);
    assert_eq!(upd["image"]["key"], ikey);
}

#[tokio::test]
async fn app_router_works_without_a_listener() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let config = jw_platform_sim::Config::for_tests(dir.path().to_path_buf());
    let app = jw_platform_sim::app(jw_platform_sim::AppState::new(config));
    let req = Request::get("/v2/sites/simsite1/media/nope")
        .body(Body::empty())
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 401);
    let req = Request::get("/v2/sites/simsite1/media/nope")
        .header("Authorization", "Bearer sim-v2-secret")
        .body(Body::empty())
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 404);
    let req = Request::get("/_sim/log").body(Body::empty()).unwrap();
    let resp = app.oneshot(req).await.unwrap();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let log: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["target"], "media");
    assert_eq!(log[1]["status"], 404);
}
