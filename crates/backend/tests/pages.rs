//! `/api/config` and the no-JavaScript form upload: `/upload-form` renders a plain form posting
//! to a minted form-upload URL; posting a file there (as a browser would) lands on
//! `/upload-done` with the media key, and the simulator holds the file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{md5_hex, sim_config, sim_log, sim_media, start_sim, Browser};
use jw_upload_backend::{escape_html, form_action, spawn};
use serde_json::{json, Value};

async fn env() -> (
    jw_platform_sim::SimServer,
    jw_upload_backend::BackendServer,
    tempfile::TempDir,
) {
    env_with(|_| {}).await
}

/// A simulator (tuned by `tune`) and a backend using it.
async fn env_with(
    tune: impl FnOnce(&mut jw_platform_sim::Config),
) -> (
    jw_platform_sim::SimServer,
    jw_upload_backend::BackendServer,
    tempfile::TempDir,
) {
    let (sim, sim_cfg, dir) = start_sim(tune).await;
    let backend = spawn(sim_config(sim.url(), &sim_cfg)).await.unwrap();
    (sim, backend, dir)
}

#[tokio::test]
async fn config_names_the_upload_api_base() {
    let (sim, backend, _dir) = env().await;
    let r = reqwest::get(format!("{}/api/config", backend.url()))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        json!({ "upload_api_base": sim.url(),
                "methods": ["s3", "form", "resumable", "direct", "multipart"],
                "simulator": true })
    );
}

/// A first navigation to `/upload-form`: the page cookie's redirect, then the page.
async fn open_form(browser: &Browser) -> reqwest::Response {
    let first = browser
        .send(browser.http.get(format!("{}/upload-form", browser.base)))
        .await;
    if first.status() != 303 {
        return first;
    }
    let location = first.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/upload-form?c=1");
    browser
        .send(browser.http.get(format!("{}{location}", browser.base)))
        .await
}

fn form_key(html: &str) -> String {
    html.split("key=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .unwrap()
        .to_owned()
}

async fn media_count(sim: &jw_platform_sim::SimServer) -> usize {
    sim_log(&sim.url())
        .await
        .iter()
        .filter(|e| {
            e["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("/videos/create"))
        })
        .count()
}

#[tokio::test]
async fn the_form_page_cannot_be_triggered_cross_site_and_reuses_its_empty_media() {
    let (sim, backend, _dir) = env().await;
    // An <img> or fetch on another site: no page cookie (SameSite), so a redirect, no media.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = format!("{}/upload-form", backend.url());
    for _ in 0..5 {
        assert_eq!(status_of(&http, &form, None).await, 303);
        let again = format!("{form}?c=1");
        assert_eq!(
            status_of(&http, &again, None).await,
            400,
            "no cookie, no media"
        );
    }
    let cross_site = ("sec-fetch-site", "cross-site");
    assert_eq!(status_of(&http, &form, Some(cross_site)).await, 403);
    assert_eq!(media_count(&sim).await, 0, "nothing was minted");
    // A real visitor: one media however often the page is reloaded, until it has its file.
    let browser = Browser::new(&backend).await;
    let first = form_key(&open_form(&browser).await.text().await.unwrap());
    for _ in 0..3 {
        let again = open_form(&browser).await;
        assert_eq!(again.status(), 200);
        assert_eq!(form_key(&again.text().await.unwrap()), first);
    }
    assert_eq!(media_count(&sim).await, 1);
    // A rebinding name or any other Host is not answered.
    let rebound = ("host", "attacker.example");
    assert_eq!(status_of(&http, &form, Some(rebound)).await, 421);
}

/// The status of a GET of `url` with `http` (no cookies) and at most one extra header.
async fn status_of(http: &reqwest::Client, url: &str, header: Option<(&str, &str)>) -> u16 {
    let request = http.get(url);
    let request = match header {
        Some((name, value)) => request.header(name, value),
        None => request,
    };
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn the_plain_form_uploads_and_redirects_to_the_done_page() {
    let (sim, backend, _dir) = env().await;
    let browser = Browser::new(&backend).await;
    let page = open_form(&browser).await;
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("<jw-upload "), "{html}");
    assert!(html.contains(r#"<script type="module" src="/jw-upload-element.js">"#));
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "{html}"
    );
    let action = html
        .split(r#"<form action=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    assert!(action.starts_with(&sim.url()), "{action}");
    assert!(action.contains("redirect_address="), "{action}");

    // What a browser with JavaScript off does: post the form, follow the 303.
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let boundary = "----jwuFormBoundary7MA4YWxk";
    let mut form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.mp4\"\r\n\
         Content-Type: video/mp4\r\n\r\n"
    )
    .into_bytes();
    form.extend_from_slice(&data);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let done = reqwest::Client::new()
        .post(&action)
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert!(
        done.url().path().ends_with("/upload-done"),
        "{}",
        done.url()
    );
    let body = done.text().await.unwrap();
    let key = body
        .split(r#"data-testid="done-key">"#)
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    let stored = sim_media(&sim.url(), &key).await;
    assert_eq!(stored["md5"], md5_hex(&data));
}

#[tokio::test]
async fn done_page_shows_keys_as_text_only() {
    let (_sim, backend, _dir) = env().await;
    let body = reqwest::get(format!(
        "{}/upload-done?video_key=%3Cscript%3Ex",
        backend.url()
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(!body.contains("<script>x"));
    assert!(body.contains("No upload was named"));
}

#[test]
fn helpers() {
    assert_eq!(
        escape_html(r#"<a href="x">&'"#),
        "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
    );
    let reply = json!({"link":{"protocol":"http","address":"127.0.0.1:4010","path":"/v1/videos/upload",
        "query":{"key":"K","token":"T+/"}}});
    assert_eq!(
        form_action(&reply, "http://x/done").unwrap(),
        "http://127.0.0.1:4010/v1/videos/upload?api_format=json&key=K&token=T%2B%2F&redirect_address=http%3A%2F%2Fx%2Fdone"
    );
}

#[tokio::test]
async fn a_platform_429_on_the_form_page_is_a_429_with_retry_after() {
    let (sim, backend, _dir) = env_with(|c| c.rate_limit = 1).await;
    let browser = Browser::new(&backend).await;
    // (Up to 4 views: a minute boundary between them opens a new window of 1.)
    let mut last = None;
    for _ in 0..4 {
        let page = open_form(&browser).await;
        if page.status() == 429 {
            last = Some(page);
            break;
        }
        assert_eq!(page.status(), 200);
    }
    let page = last.expect("the platform's limit was never reached");
    assert!(page.headers().contains_key("retry-after"));
    assert!(page.text().await.unwrap().contains("busy"));
    backend.shutdown().await;
    sim.shutdown().await;
}
