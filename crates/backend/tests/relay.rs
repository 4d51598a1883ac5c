//! Each method through the real HTTP server against a fake platform: what the backend sends
//! (signed v1 query, v2 bearer + JSON) and that it relays status, body and Retry-After unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    config, dead_base, file, open_config, start_fake, Browser, KEY, SECRET, SITE, V2_SECRET,
};
use jw_upload_backend::{sign_v1, spawn};
use serde_json::json;

#[tokio::test]
async fn every_method_reaches_the_platform_the_documented_way() {
    let (fake, addr) = start_fake().await;
    let server = spawn(open_config(&format!("http://{addr}"), &["127.0.0.1:9"]))
        .await
        .unwrap();
    let browser = Browser::new(&server).await;

    // s3: signed v1 videos/create, all params in the query, reply relayed unchanged.
    let (status, headers, body) = browser
        .upload(
            &json!({"method":"s3","file":file("a.mp4", 10),"metadata":{"title":"My Video & co"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body["link"]["path"], "/jwplatform-upload/tL17msiU");
    assert_eq!(
        body["link"]["query"]["Signature"],
        "1/l+L6/yOE05dNEbXHW8sw7TGF4="
    );
    assert_eq!(body["rate_limit"]["limit"], 60);
    let seen = fake.last();
    assert_eq!(seen.path, "/v1/videos/create");
    let q = &seen.query;
    assert_eq!(q["upload_method"], "s3");
    assert_eq!(q["title"], "My Video & co");
    assert_eq!(q["api_format"], "json");
    assert_eq!(q["api_key"], KEY);
    assert_eq!(q["api_nonce"].len(), 8);
    assert!(q["api_nonce"].bytes().all(|b| b.is_ascii_digit()));
    let ts: u64 = q["api_timestamp"].parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(ts.abs_diff(now) < 60);
    let params: Vec<(String, String)> = q.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    assert_eq!(q["api_signature"], sign_v1(&params, SECRET));
    assert!(
        seen.raw_query.contains("title=My%20Video%20%26%20co"),
        "{}",
        seen.raw_query
    );
    assert!(!seen.raw_query.contains(SECRET));

    // form: no upload_method.
    let (status, _, body) = browser
        .upload(&json!({"method":"form","file":file("b.mp4", 10)}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["link"]["query"]["token"],
        "e2bbad0fd889d5d2e30047596cfe3789778257d2"
    );
    let seen = fake.last();
    assert_eq!(seen.path, "/v1/videos/create");
    assert!(!seen.query.contains_key("upload_method"));
    assert_eq!(seen.query["title"], "b.mp4");

    // resumable.
    let (status, _, body) = browser
        .upload(&json!({"method":"resumable","file":file("c.mp4", 10)}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["session_id"],
        "kwJei9j2vtQmcbojrlGJY3mbJFMHfzZwPXBwoSQr"
    );
    assert_eq!(fake.last().query["upload_method"], "resumable");

    // renewal, of the media this browser minted (the fake names every new video tL17msiU).
    let (status, _, body) = browser
        .upload(&json!({"method":"s3","file":file("c.mp4", 10),"media_id":"tL17msiU"}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["media"]["key"], "tL17msiU");
    let seen = fake.last();
    assert_eq!(seen.path, "/v1/videos/update");
    assert_eq!(seen.query["video_key"], "tL17msiU");
    assert!(!seen.query.contains_key("title"));

    // multipart: v2 bearer, JSON body.
    let (status, _, body) = browser
        .upload(&json!({"method":"multipart","file":file("d.mp4", 10),"metadata":{"title":"Big"}}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["upload_id"], "4f1b00ff");
    assert_eq!(body["upload_token"], "eyJupload.token");
    let seen = fake.last();
    assert_eq!(seen.path, format!("/v2/sites/{SITE}/media"));
    assert_eq!(
        seen.authorization.as_deref(),
        Some(format!("Bearer {V2_SECRET}").as_str())
    );
    assert_eq!(
        seen.body,
        json!({"upload":{"method":"multipart"},"metadata":{"title":"Big"}})
    );

    // fetch.
    let (status, _, body) = browser
        .upload(&json!({"method":"fetch","download_url":"http://127.0.0.1:9/x.mp4","metadata":{"title":"F"}}))
        .await;
    assert_eq!(status, 200);
    assert!(body.get("upload_id").is_none());
    assert_eq!(
        fake.last().body,
        json!({"upload":{"method":"fetch","download_url":"http://127.0.0.1:9/x.mp4"},"metadata":{"title":"F"}})
    );

    // resources.
    for (req, path) in [
        (
            json!({"resource":"thumbnail","file":file("t.jpg", 5),"video_key":"tL17msiU"}),
            "/v1/videos/thumbnails/update",
        ),
        (
            json!({"resource":"track","file":file("en.vtt", 5),"video_key":"tL17msiU","metadata":{"label":"English"}}),
            "/v1/videos/tracks/create",
        ),
        (
            json!({"resource":"image","file":file("i.png", 5)}),
            "/v1/accounts/images/create",
        ),
        (
            json!({"resource":"skin","file":file("s.zip", 5)}),
            "/v1/accounts/skins/create",
        ),
    ] {
        let (status, _, body) = browser.upload(&req).await;
        assert_eq!(status, 200, "{req}: {body}");
        assert_eq!(fake.last().path, path);
    }
    assert_eq!(fake.count(), 10);
    server.shutdown().await;
}

#[tokio::test]
async fn platform_errors_pass_through_unchanged_with_retry_after() {
    let (_fake, addr) = start_fake().await;
    let server = spawn(config(&format!("http://{addr}"))).await.unwrap();
    let browser = Browser::new(&server).await;
    let (status, headers, body) = browser
        .upload(&json!({"method":"s3","file":file("a.mp4", 1),"metadata":{"title":"ratelimited"}}))
        .await;
    assert_eq!(status, 429);
    assert_eq!(headers["retry-after"], "17");
    assert_eq!(body["code"], "RateLimitExceeded");

    // A media this browser did not mint is refused before the platform is asked, with the
    // same answer whether it exists or not.
    let (status, _, body) = browser.media("missing1").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_wrong_secret_gives_the_platform_permission_error() {
    let (_fake, addr) = start_fake().await;
    let mut cfg = config(&format!("http://{addr}"));
    cfg.api_secret = "not-the-secret".into();
    cfg.v2_secret = "not-the-v2-secret".into();
    let server = spawn(cfg).await.unwrap();
    let browser = Browser::new(&server).await;
    let (status, _, body) = browser
        .upload(&json!({"method":"s3","file":file("a", 1)}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("PermissionDenied"))
    );
    let (status, _, body) = browser
        .upload(&json!({"method":"multipart","file":file("a", 1)}))
        .await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn secrets_in_a_platform_reply_are_scrubbed() {
    let (_fake, addr) = start_fake().await;
    let server = spawn(config(&format!("http://{addr}"))).await.unwrap();
    let browser = Browser::new(&server).await;
    let (status, _, body) = browser
        .upload(&json!({"method":"form","file":file("a", 1),"metadata":{"title":"leak"}}))
        .await;
    assert_eq!(status, 500);
    let text = body.to_string();
    assert!(
        !text.contains(SECRET) && !text.contains(V2_SECRET),
        "{text}"
    );
    assert!(text.contains("[redacted]"), "{text}");
    server.shutdown().await;
}

#[tokio::test]
async fn media_status_is_relayed() {
    let (fake, addr) = start_fake().await;
    let server = spawn(config(&format!("http://{addr}"))).await.unwrap();
    let browser = Browser::new(&server).await;
    // The fake names every v2 media Xa7fG2kq: minting one makes it this browser's.
    let (status, _, _) = browser
        .upload(&json!({"method":"multipart","file":file("d.mp4", 10)}))
        .await;
    assert_eq!(status, 200);
    let (status, headers, body) = browser.media("Xa7fG2kq").await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["id"], "Xa7fG2kq");
    let seen = fake.last();
    assert_eq!(seen.path, format!("/v2/sites/{SITE}/media/Xa7fG2kq"));
    assert_eq!(
        seen.authorization.as_deref(),
        Some(format!("Bearer {V2_SECRET}").as_str())
    );
    let (status, _, body) = browser.media("bad.id").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_platform_is_502() {
    let server = spawn(config(&dead_base().await)).await.unwrap();
    let browser = Browser::new(&server).await;
    for req in [
        json!({"method":"s3","file":file("a", 1)}),
        json!({"method":"multipart","file":file("a", 1)}),
    ] {
        let (status, _, body) = browser.upload(&req).await;
        assert_eq!(status, 502);
        assert_eq!(body["error"]["code"], "platform_unreachable");
    }
    let (status, _, body) = browser.media("Xa7fG2kq").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "not minted here: refused before the platform is asked"
    );
    server.shutdown().await;
}
