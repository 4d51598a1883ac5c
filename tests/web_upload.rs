//! Browser tests (headless Chromium) of the `Uploader` against the simulator and the reference
//! backend, which `cargo xtask test` starts (their URLs arrive as JW_SIM_URL / JW_BACKEND_URL).
//! Every upload is checked by the MD5 the simulator computed over the bytes it stored.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::option_env_unwrap)]

use std::cell::RefCell;
use std::rc::Rc;

use gloo_net::http::Request;
use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use jw_upload::md5::md5_hex;
use jw_upload::Uploader;
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{File, FilePropertyBag, RequestCredentials};

wasm_bindgen_test_configure!(run_in_browser);

const MIB: usize = 1024 * 1024;

fn sim() -> &'static str {
    option_env!("JW_SIM_URL").expect("run these tests through `cargo xtask test` (JW_SIM_URL)")
}

fn backend() -> &'static str {
    option_env!("JW_BACKEND_URL")
        .expect("run these tests through `cargo xtask test` (JW_BACKEND_URL)")
}

/// Deterministic bytes, different for each `seed`.
fn bytes(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn file_of(data: &[u8], name: &str, mime: &str) -> File {
    let parts = Array::of1(&Uint8Array::from(data));
    let opts = FilePropertyBag::new();
    opts.set_type(mime);
    File::new_with_u8_array_sequence_and_options(&parts, name, &opts).unwrap()
}

async fn sleep(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(p).await.unwrap();
}

async fn sim_json(method: &str, path: &str, body: Option<Value>) -> Value {
    let url = format!("{}{}", sim(), path);
    let b = match method {
        "POST" => Request::post(&url),
        "DELETE" => Request::delete(&url),
        _ => Request::get(&url),
    };
    let resp = match body {
        Some(v) => b
            .header("Content-Type", "application/json")
            .body(v.to_string())
            .unwrap()
            .send()
            .await
            .unwrap(),
        None => b.send().await.unwrap(),
    };
    let text = resp.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn set_faults(rules: Value) {
    sim_json(
        "POST",
        "/_sim/faults",
        Some(json!({ "rules": rules, "seed": 7 })),
    )
    .await;
}

async fn clear_faults() {
    sim_json("DELETE", "/_sim/faults", None).await;
}

/// How many requests of the simulator's `log` went to `target`.
fn logged(log: &Value, target: &str) -> usize {
    log.as_array()
        .map_or(0, |a| a.iter().filter(|e| e["target"] == target).count())
}

/// The simulator's record of what it stored for `key`.
async fn stored(key: &str) -> Value {
    sim_json("GET", &format!("/_sim/media/{key}"), None).await
}

async fn csrf_token() -> String {
    let resp = Request::get(&format!("{}/api/csrf", backend()))
        .credentials(RequestCredentials::Include)
        .send()
        .await
        .unwrap();
    let v: Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    v["token"].as_str().unwrap().to_string()
}

/// Counts events by name, and records progress values, for assertions.
#[derive(Default)]
struct Seen {
    names: Vec<String>,
    progress: Vec<(f64, f64)>,
    /// `sent` of each progress event: bytes handed to the browser (`>= loaded`).
    sent: Vec<f64>,
}

struct Harness {
    up: Uploader,
    seen: Rc<RefCell<Seen>>,
    _listeners: Vec<Closure<dyn FnMut(web_sys::CustomEvent)>>,
}

async fn uploader(extra: Value) -> Harness {
    let token = csrf_token().await;
    let mut opts = json!({
        "endpoint": format!("{}/api/uploads", backend()),
        "headers": { "X-CSRF-Token": token },
        "withCredentials": true,
        "uploadApiBase": sim(),
        "statusEndpoint": format!("{}/api/media", backend()),
        "stallTimeout": 4000,
    });
    if let (Some(o), Some(x)) = (opts.as_object_mut(), extra.as_object()) {
        o.extend(x.clone());
    }
    let js = jw_upload::api::to_js(&opts);
    let up = Uploader::new(js.unchecked_into()).unwrap();
    let seen = Rc::new(RefCell::new(Seen::default()));
    let mut listeners = Vec::new();
    for name in [
        "progress",
        "statechange",
        "retry",
        "stalled",
        "partcomplete",
        "processing",
        "ready",
        "success",
        "error",
    ] {
        let seen = seen.clone();
        let cb = Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
            let mut s = seen.borrow_mut();
            s.names.push(e.type_());
            if e.type_() == "progress" {
                let d = e.detail();
                let n = |k: &str| Reflect::get(&d, &k.into()).unwrap().as_f64().unwrap();
                s.progress.push((n("loaded"), n("total")));
                s.sent.push(n("sent"));
            }
        });
        up.add_event_listener(name, cb.as_ref().unchecked_ref())
            .unwrap();
        listeners.push(cb);
    }
    Harness {
        up,
        seen,
        _listeners: listeners,
    }
}

fn options(v: Value) -> jw_upload::api::UploadOptions {
    jw_upload::api::to_js(&v).unchecked_into()
}

async fn settle(p: jw_upload::api::UploadPromise) -> Result<JsValue, JsValue> {
    JsFuture::from(p.unchecked_into::<Promise>()).await
}

fn field(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(k)).unwrap()
}

/// Asserts the progress events never passed the total, never went back except where bytes
/// were thrown away (a `retry`, `stalled` or `statechange` event between the progress events
/// around the drop: a failure, a stall, a pause), and `sent` was never below `loaded`.
fn assert_progress_honest(h: &Harness) {
    let s = h.seen.borrow();
    let at: Vec<usize> = (s.names.iter().enumerate())
        .filter(|(_, n)| *n == "progress")
        .map(|(i, _)| i)
        .collect();
    let mut last = 0.0;
    for (j, &(loaded, total)) in s.progress.iter().enumerate() {
        let from = j.checked_sub(1).map_or(0, |k| at[k]);
        let to = at.get(j + 1).copied().unwrap_or(s.names.len());
        let thrown_away = s.names[from..to]
            .iter()
            .any(|n| matches!(n.as_str(), "retry" | "stalled" | "statechange"));
        assert!(
            loaded >= last || thrown_away,
            "progress went back: {last} -> {loaded}"
        );
        assert!(loaded <= total, "progress {loaded} over total {total}");
        assert!(
            s.sent[j] >= loaded,
            "sent {} under loaded {loaded}",
            s.sent[j]
        );
        last = loaded;
    }
}

/// Awaits the upload and checks the simulator stored exactly `data`; returns the media id.
async fn expect_stored(promise: jw_upload::api::UploadPromise, data: &[u8]) -> String {
    let result = settle(promise)
        .await
        .unwrap_or_else(|e| panic!("upload failed: {:?}", field(&e, "message")));
    let id = field(&result, "mediaId").as_string().unwrap();
    assert_eq!(
        stored(&id).await["md5"].as_str(),
        Some(md5_hex(data).as_str())
    );
    id
}

/// The simulator's log entries other than our own admin reads and the status polls of earlier
/// tests' uploads (an upload follows processing until ready even when its test let go of it).
fn not_admin_or_status_poll(log: &[Value]) -> Vec<&Value> {
    log.iter()
        .filter(|e| {
            let path = e["path"].as_str().unwrap_or("");
            let status_poll = e["target"] == "media" && e["method"] == "GET";
            !(path.starts_with("/_sim") || status_poll)
        })
        .collect()
}

/// Waits (up to 5 s) until the harness has seen a progress event.
async fn until_progress(seen: &RefCell<Seen>) {
    until_seen(seen, |p| !p.is_empty()).await;
}

/// Waits (up to 5 s) until a progress event reports body bytes sent (so the credentials call,
/// which a pause lets finish, is over and a body request is in flight).
async fn until_bytes_flow(seen: &RefCell<Seen>) {
    for _ in 0..100 {
        if seen.borrow().sent.iter().any(|s| *s > 0.0) {
            break;
        }
        sleep(50).await;
    }
}

async fn until_seen(seen: &RefCell<Seen>, done: impl Fn(&[(f64, f64)]) -> bool) {
    for _ in 0..100 {
        if done(&seen.borrow().progress) {
            break;
        }
        sleep(50).await;
    }
}

/// Uploads `data` by `method` and checks the stored MD5; returns the media id.
async fn upload_and_check(h: &Harness, data: &[u8], method: &str, extra: Value) -> String {
    let file = file_of(data, "clip.mp4", "video/mp4");
    let mut o = json!({ "method": method, "metadata": { "title": format!("{method} test") } });
    if let (Some(o), Some(x)) = (o.as_object_mut(), extra.as_object()) {
        o.extend(x.clone());
    }
    let result = settle(h.up.upload(file.unchecked_into(), Some(options(o))))
        .await
        .unwrap_or_else(|e| panic!("{method} upload failed: {:?}", field(&e, "message")));
    let id = field(&result, "mediaId").as_string().unwrap();
    assert_eq!(field(&result, "method").as_string().unwrap(), method);
    let record = stored(&id).await;
    assert_eq!(
        record["md5"].as_str(),
        Some(md5_hex(data).as_str()),
        "{method}: server MD5 differs: {record}"
    );
    assert_eq!(record["size"].as_u64(), Some(data.len() as u64));
    assert_progress_honest(h);
    id
}

#[wasm_bindgen_test]
async fn s3_upload_arrives_intact() {
    clear_faults().await;
    let h = uploader(json!({})).await;
    upload_and_check(&h, &bytes(700_000, 1), "s3", json!({})).await;
}

#[wasm_bindgen_test]
async fn direct_upload_arrives_intact() {
    clear_faults().await;
    sim_json("DELETE", "/_sim/log", None).await;
    let h = uploader(json!({})).await;
    // A typed file: the PUT still carries no Content-Type (the create named no mime_type).
    upload_and_check(&h, &bytes(600_000, 21), "direct", json!({})).await;
    let log = sim_json("GET", "/_sim/log", None).await;
    assert_eq!(logged(&log, "s3"), 1, "one PUT to the upload_link: {log}");
}

#[wasm_bindgen_test]
async fn an_expired_direct_link_is_reminted_by_a_new_create() {
    set_faults(json!([
        { "target": "s3", "nth": 1, "fault": { "kind": "expire" } },
    ]))
    .await;
    sim_json("DELETE", "/_sim/log", None).await;
    let h = uploader(json!({})).await;
    upload_and_check(&h, &bytes(400_000, 22), "direct", json!({})).await;
    clear_faults().await;
    let log = sim_json("GET", "/_sim/log", None).await;
    let creates = (log.as_array().unwrap().iter())
        .filter(|e| e["target"] == "v2_api" && e["method"] == "POST")
        .count();
    assert_eq!(
        creates, 2,
        "the refused link is replaced by a new create: {log}"
    );
    assert_eq!(logged(&log, "s3"), 2);
}

/// `auto` chooses among the methods the backend's `/api/config` lists (this backend holds both
/// generations: `direct` for a small file); without the config, the v1-era rule (`s3`); a
/// method the config does not list is refused before any request.
#[wasm_bindgen_test]
async fn auto_chooses_among_the_methods_the_backend_config_lists() {
    clear_faults().await;
    let data = bytes(300_000, 23);
    for (extra, want) in [
        (json!({}), "direct"),
        (json!({ "configEndpoint": "" }), "s3"),
    ] {
        let h = uploader(extra.clone()).await;
        let file = file_of(&data, "auto.mp4", "video/mp4");
        let result = settle(h.up.upload(
            file.unchecked_into(),
            Some(options(json!({ "method": "auto" }))),
        ))
        .await
        .unwrap_or_else(|e| panic!("{extra}: {:?}", field(&e, "message")));
        assert_eq!(
            field(&result, "method").as_string().as_deref(),
            Some(want),
            "{extra}"
        );
        let id = field(&result, "mediaId").as_string().unwrap();
        assert_eq!(
            stored(&id).await["md5"].as_str(),
            Some(md5_hex(&data).as_str())
        );
    }
    sim_json("DELETE", "/_sim/log", None).await;
    let only_v1 = "data:application/json,%7B%22methods%22%3A%5B%22s3%22%2C%22form%22%5D%7D";
    let h = uploader(json!({ "configEndpoint": only_v1 })).await;
    let file = file_of(&data, "refused.mp4", "video/mp4");
    let refused = settle(h.up.upload(
        file.unchecked_into(),
        Some(options(json!({ "method": "direct" }))),
    ))
    .await
    .expect_err("direct is not among the backend's methods");
    assert_eq!(
        field(&refused, "code").as_string().as_deref(),
        Some("invalid_config")
    );
    let log = sim_json("GET", "/_sim/log", None).await;
    assert!(
        not_admin_or_status_poll(log.as_array().unwrap()).is_empty(),
        "{log}"
    );
}

#[wasm_bindgen_test]
async fn form_upload_arrives_intact() {
    clear_faults().await;
    let h = uploader(json!({})).await;
    upload_and_check(&h, &bytes(500_000, 2), "form", json!({})).await;
}

#[wasm_bindgen_test]
async fn resumable_upload_arrives_intact() {
    clear_faults().await;
    let h = uploader(json!({})).await;
    upload_and_check(&h, &bytes(3 * MIB + 123, 3), "resumable", json!({})).await;
}

#[wasm_bindgen_test]
async fn multipart_upload_arrives_intact() {
    clear_faults().await;
    let h = uploader(json!({ "partSize": 5 * MIB })).await;
    upload_and_check(&h, &bytes(11 * MIB + 17, 4), "multipart", json!({})).await;
    let parts = h
        .seen
        .borrow()
        .names
        .iter()
        .filter(|n| *n == "partcomplete")
        .count();
    assert_eq!(parts, 3, "11 MiB in 5 MiB parts is 3 parts");
}

#[wasm_bindgen_test]
async fn thumbnail_upload_for_a_video() {
    clear_faults().await;
    let h = uploader(json!({})).await;
    let video = upload_and_check(&h, &bytes(200_000, 5), "s3", json!({})).await;
    let h = uploader(json!({})).await;
    let image = bytes(40_000, 6);
    let file = file_of(&image, "thumb.jpg", "image/jpeg");
    let o = json!({ "method": "form", "resource": "thumbnail", "videoKey": video });
    let result = settle(h.up.upload(file.unchecked_into(), Some(options(o))))
        .await
        .unwrap();
    let key = field(&result, "mediaId").as_string().unwrap();
    assert_eq!(key, video, "a thumbnail is addressed by its video's key");
    let record = stored(&format!("{key}?resource=thumbnail")).await;
    assert_eq!(record["resource"].as_str(), Some("thumbnail"));
    assert_eq!(record["md5"].as_str(), Some(md5_hex(&image).as_str()));
}

#[wasm_bindgen_test]
async fn s3_refuses_a_file_over_5_gib_before_any_request() {
    let h = uploader(json!({})).await;
    // A File-like object: the uploader reads `size`, `name` and `type`, and would slice it.
    let fake = Object::new();
    Reflect::set(&fake, &"name".into(), &"huge.mp4".into()).unwrap();
    Reflect::set(
        &fake,
        &"size".into(),
        &JsValue::from_f64(6.0 * 1024.0 * 1024.0 * 1024.0),
    )
    .unwrap();
    Reflect::set(&fake, &"type".into(), &"video/mp4".into()).unwrap();
    let before = sim_json("GET", "/_sim/log", None)
        .await
        .as_array()
        .map_or(0, |a| a.len());
    let err = settle(h.up.upload(
        fake.unchecked_into(),
        Some(options(json!({ "method": "s3" }))),
    ))
    .await
    .unwrap_err();
    assert_eq!(
        field(&err, "code").as_string().unwrap(),
        "too_large_for_method"
    );
    assert_eq!(field(&err, "retryable").as_bool(), Some(false));
    let after = sim_json("GET", "/_sim/log", None)
        .await
        .as_array()
        .map_or(0, |a| a.len());
    assert_eq!(before, after, "no request may reach the platform");
}

#[wasm_bindgen_test]
async fn multipart_recovers_from_503_and_reset() {
    set_faults(json!([
        { "target": "part", "nth": 1, "fault": { "kind": "status", "status": 503 } },
        { "target": "part", "nth": 3, "fault": { "kind": "reset", "after_bytes": 1_000_000 } },
    ]))
    .await;
    let h = uploader(json!({ "partSize": 5 * MIB, "parallel": 2 })).await;
    upload_and_check(&h, &bytes(12 * MIB, 7), "multipart", json!({})).await;
    clear_faults().await;
    assert!(
        h.seen.borrow().names.iter().any(|n| n == "retry"),
        "the failures must have been retried"
    );
}

#[wasm_bindgen_test]
async fn s3_recovers_from_a_reset_mid_body() {
    set_faults(json!([
        { "target": "s3", "nth": 1, "fault": { "kind": "reset", "after_bytes": 300_000 } },
    ]))
    .await;
    let h = uploader(json!({})).await;
    upload_and_check(&h, &bytes(900_000, 8), "s3", json!({})).await;
    clear_faults().await;
}

#[wasm_bindgen_test]
async fn expired_part_link_is_renewed_without_resending_done_parts() {
    set_faults(json!([
        { "target": "part", "nth": 2, "fault": { "kind": "expire" } },
    ]))
    .await;
    sim_json("DELETE", "/_sim/log", None).await;
    let h = uploader(json!({ "partSize": 5 * MIB, "parallel": 1 })).await;
    upload_and_check(&h, &bytes(15 * MIB + 1, 9), "multipart", json!({})).await;
    clear_faults().await;
    let log = sim_json("GET", "/_sim/log", None).await;
    let puts: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == "part" && e["method"] == "PUT")
        .collect();
    // 4 parts, part 2 refused as expired (its link stays refused until listed again) and sent
    // again on a fresh link; parts 1, 3 and 4 once each. The browser may resend a refused PUT
    // itself (Firefox does, and then reports a network error, not the 403): so part 2's count
    // is at least 2, not exactly 2.
    let of = |n: u32| {
        let path = format!("/parts/{n}");
        (puts.iter())
            .filter(|e| e["path"].as_str().is_some_and(|p| p.ends_with(&path)))
            .count()
    };
    let stored = (puts.iter())
        .filter(|e| {
            e["status"]
                .as_u64()
                .is_some_and(|s| (200..300).contains(&s))
        })
        .count();
    assert_eq!(stored, 4, "one stored PUT per part: {puts:?}");
    assert_eq!(
        (of(1), of(3), of(4)),
        (1, 1, 1),
        "done parts are never resent: {puts:?}"
    );
    assert!(of(2) >= 2, "part 2 sent again: {puts:?}");
    let lists = logged(&log, "parts_list");
    assert!(
        lists >= 2,
        "the expiry must have been answered by a fresh listing: {log}"
    );
}

#[wasm_bindgen_test]
async fn pause_then_resume_completes() {
    set_faults(json!([
        { "target": "part", "probability": 1.0, "fault": { "kind": "bandwidth", "bytes_per_sec": 4 * MIB } },
    ]))
    .await;
    let h = uploader(json!({ "partSize": 5 * MIB, "parallel": 1 })).await;
    let data = bytes(10 * MIB + 5, 10);
    let file = file_of(&data, "clip.mp4", "video/mp4");
    let promise = h.up.upload(
        file.unchecked_into(),
        Some(options(json!({ "method": "multipart" }))),
    );
    // Wait until bytes flow, then pause.
    until_bytes_flow(&h.seen).await;
    h.up.pause();
    assert_eq!(
        h.up.requests_in_flight(),
        0,
        "pause aborts what is in flight"
    );
    // The pause throws away the part in flight: one progress event says so (coalesced, so it
    // may come a moment later); then nothing while paused.
    sleep(300).await;
    let paused_at = h.seen.borrow().progress.len();
    sleep(500).await;
    assert!(
        h.seen.borrow().names.iter().any(|n| n == "statechange"),
        "state changes are reported"
    );
    assert_eq!(
        h.seen.borrow().progress.len(),
        paused_at,
        "no progress while paused"
    );
    clear_faults().await;
    h.up.resume();
    expect_stored(promise, &data).await;
    assert_progress_honest(&h);
}

#[wasm_bindgen_test]
async fn cancel_leaves_no_request_running() {
    set_faults(json!([
        { "target": "resumable", "probability": 1.0, "fault": { "kind": "bandwidth", "bytes_per_sec": 2 * MIB } },
    ]))
    .await;
    let h = uploader(json!({})).await;
    let file = file_of(&bytes(8 * MIB, 11), "clip.mp4", "video/mp4");
    let promise = h.up.upload(
        file.unchecked_into(),
        Some(options(json!({ "method": "resumable" }))),
    );
    until_progress(&h.seen).await;
    h.up.cancel();
    assert_eq!(h.up.requests_in_flight(), 0);
    let err = settle(promise).await.unwrap_err();
    assert_eq!(field(&err, "code").as_string().unwrap(), "cancelled");
    sleep(300).await;
    let count = |log: &Value| log.as_array().map_or(0, |a| a.len());
    let before = count(&sim_json("GET", "/_sim/log", None).await);
    sleep(1500).await;
    let after = sim_json("GET", "/_sim/log", None).await;
    // Only our own admin reads may appear after the cancel, and the status polls of earlier
    // tests' uploads (an upload follows processing until ready even when its test let go of the
    // uploader). Ours was cancelled mid-body, so it never polls: no upload body, no call to the
    // platform or the backend may follow.
    let new = not_admin_or_status_poll(&after.as_array().unwrap()[before..]);
    assert!(new.is_empty(), "requests after cancel: {new:?}");
    clear_faults().await;
}

#[wasm_bindgen_test]
async fn fetch_upload_is_followed_until_ready() {
    clear_faults().await;
    // xtask serves this file from the backend's static folder (loopback, so the sim fetches it).
    let url = format!("{}/fixtures/clip.bin", backend());
    let fixture_md5 = option_env!("JW_FIXTURE_MD5").expect("run through `cargo xtask test`");
    let h = uploader(json!({})).await;
    let result = settle(h.up.import_url(
        url.clone(),
        jw_upload::api::to_js(&json!({ "title": "fetched" })),
    ))
    .await
    .unwrap();
    assert_eq!(field(&result, "method").as_string().unwrap(), "fetch");
    let id = field(&result, "mediaId").as_string().unwrap();
    for _ in 0..200 {
        if h.seen
            .borrow()
            .names
            .iter()
            .any(|n| n == "ready" || n == "error")
        {
            break;
        }
        sleep(100).await;
    }
    let names = h.seen.borrow().names.clone();
    assert!(names.iter().any(|n| n == "ready"), "events: {names:?}");
    assert_eq!(stored(&id).await["md5"].as_str(), Some(fixture_md5));
}

/// A PCM WAV file of `seconds` of silence (8 kHz mono, 8-bit), which the browser decodes.
fn wav(seconds: f64) -> Vec<u8> {
    let samples = (8000.0 * seconds) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + samples).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&8u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&samples.to_le_bytes());
    out.resize(out.len() + samples as usize, 128);
    out
}

#[wasm_bindgen_test]
async fn media_under_two_seconds_is_refused_before_any_request() {
    clear_faults().await;
    sim_json("DELETE", "/_sim/log", None).await;
    let h = uploader(json!({})).await;
    let file = file_of(&wav(1.0), "short.wav", "audio/wav");
    let err = settle(h.up.upload(
        file.unchecked_into(),
        Some(options(json!({ "method": "s3" }))),
    ))
    .await
    .unwrap_err();
    assert_eq!(field(&err, "code").as_string().unwrap(), "too_short");
    let log = sim_json("GET", "/_sim/log", None).await;
    // Earlier tests' uploads may still follow processing (status polls); nothing else may come.
    let sent = not_admin_or_status_poll(log.as_array().map_or(&[][..], |a| a.as_slice()));
    assert!(sent.is_empty(), "nothing sent: {sent:?}");
    // Three seconds pass the check and upload.
    let h = uploader(json!({})).await;
    let long = wav(3.0);
    let file = file_of(&long, "long.wav", "audio/wav");
    let result = settle(h.up.upload(
        file.unchecked_into(),
        Some(options(json!({ "method": "s3" }))),
    ))
    .await
    .unwrap();
    let id = field(&result, "mediaId").as_string().unwrap();
    assert_eq!(
        stored(&id).await["md5"].as_str(),
        Some(md5_hex(&long).as_str())
    );
}

#[wasm_bindgen_test]
async fn an_interrupted_multipart_upload_continues_after_a_reload() {
    set_faults(json!([
        { "target": "part", "probability": 1.0, "fault": { "kind": "bandwidth", "bytes_per_sec": 8 * MIB } },
    ]))
    .await;
    sim_json("DELETE", "/_sim/log", None).await;
    let data = bytes(16 * MIB + 3, 12);
    let file = file_of(&data, "resume.mp4", "video/mp4");
    let first = uploader(json!({ "partSize": 5 * MIB, "parallel": 1 })).await;
    let _pending = first.up.upload(
        file.clone().unchecked_into(),
        Some(options(json!({ "method": "multipart" }))),
    );
    for _ in 0..200 {
        if first
            .seen
            .borrow()
            .names
            .iter()
            .any(|n| n == "partcomplete")
        {
            break;
        }
        sleep(50).await;
    }
    assert!(first
        .seen
        .borrow()
        .names
        .iter()
        .any(|n| n == "partcomplete"));
    // The page goes away: its requests are cut and nothing of it runs on. (Dropping the uploader
    // does not stop an upload, which holds it until it ends; `pause` aborts the requests in
    // flight and keeps the resume record, as a reload would.)
    first.up.pause();
    drop(first);
    sleep(300).await;
    clear_faults().await;
    let pending = |name: &'static str| async move {
        let list = JsFuture::from(Uploader::pending_uploads().unchecked_into::<Promise>())
            .await
            .unwrap();
        Array::from(&list)
            .iter()
            .filter(|e| field(e, "name").as_string().as_deref() == Some(name))
            .count()
    };
    assert_eq!(
        pending("resume.mp4").await,
        1,
        "the interrupted upload is listed"
    );
    let second = uploader(json!({ "partSize": 5 * MIB, "parallel": 1 })).await;
    let result = settle(second.up.upload(
        file.unchecked_into(),
        Some(options(json!({ "method": "multipart" }))),
    ))
    .await
    .unwrap();
    let id = field(&result, "mediaId").as_string().unwrap();
    assert_eq!(
        stored(&id).await["md5"].as_str(),
        Some(md5_hex(&data).as_str())
    );
    let log = sim_json("GET", "/_sim/log", None).await;
    let creates = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == "v2_api" && e["method"] == "POST")
        .count();
    assert_eq!(
        creates, 1,
        "the second page continues the same media: {log}"
    );
    let part1 = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            let path = e["path"].as_str().unwrap_or("");
            e["target"] == "part" && (path.ends_with("/parts/1") || path.contains("/parts/1?"))
        })
        .filter(|e| e["status"] == 200)
        .count();
    assert_eq!(
        part1, 1,
        "part 1 was stored before the reload and is not sent again"
    );
    sleep(200).await;
    assert_eq!(
        pending("resume.mp4").await,
        0,
        "a finished upload leaves no record"
    );
}

#[wasm_bindgen_test]
async fn an_expired_form_token_is_renewed_through_the_backend() {
    set_faults(json!([
        { "target": "form", "nth": 1, "fault": { "kind": "expire" } },
    ]))
    .await;
    sim_json("DELETE", "/_sim/log", None).await;
    let h = uploader(json!({})).await;
    let id = upload_and_check(&h, &bytes(400_000, 13), "form", json!({})).await;
    clear_faults().await;
    let log = sim_json("GET", "/_sim/log", None).await;
    let calls: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == "v1_api")
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert_eq!(
        calls,
        vec!["/v1/videos/create", "/v1/videos/update"],
        "the expired token is re-minted for the same media by the backend"
    );
    assert!(!id.is_empty());
}

/// An uploader (faults and the simulator's log cleared first) whose listener for `event` calls
/// `act` on it the first time it fires (the listener holds the uploader, as a page's closure
/// would).
struct Acting {
    up: Rc<Uploader>,
    seen: Rc<RefCell<Seen>>,
    _listeners: Vec<Closure<dyn FnMut(web_sys::CustomEvent)>>,
}

async fn acting_from_first(extra: Value, event: &str, act: fn(&Uploader)) -> Acting {
    clear_faults().await;
    sim_json("DELETE", "/_sim/log", None).await;
    let h = uploader(extra).await;
    let up = Rc::new(h.up);
    let weak = Rc::downgrade(&up);
    let mut done = false;
    let cb = Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |_e: web_sys::CustomEvent| {
        if std::mem::replace(&mut done, true) {
            return;
        }
        if let Some(up) = weak.upgrade() {
            act(&up);
        }
    });
    up.add_event_listener(event, cb.as_ref().unchecked_ref())
        .unwrap();
    let mut listeners = h._listeners;
    listeners.push(cb);
    Acting {
        up,
        seen: h.seen,
        _listeners: listeners,
    }
}

#[wasm_bindgen_test]
async fn cancel_from_the_first_statechange_listener_stops_the_upload() {
    // The listeners live as long as `h`.
    let h = acting_from_first(json!({}), "statechange", |u| u.cancel()).await;
    let up = &h.up;
    let file = file_of(&bytes(300_000, 14), "clip.mp4", "video/mp4");
    let err = settle(up.upload(
        file.unchecked_into(),
        Some(options(json!({ "method": "s3" }))),
    ))
    .await
    .expect_err("cancelled from the first statechange, the upload must not finish");
    assert_eq!(field(&err, "code").as_string().unwrap(), "cancelled");
    assert_eq!(up.requests_in_flight(), 0);
    sleep(800).await;
    let log = sim_json("GET", "/_sim/log", None).await;
    let sent = not_admin_or_status_poll(log.as_array().unwrap());
    assert!(sent.is_empty(), "nothing reaches the platform: {sent:?}");
}

#[wasm_bindgen_test]
async fn pause_from_the_first_statechange_listener_holds_until_resume() {
    let h = acting_from_first(json!({}), "statechange", |u| u.pause()).await;
    let up = &h.up;
    let data = bytes(400_000, 15);
    let file = file_of(&data, "clip.mp4", "video/mp4");
    let promise = up.upload(
        file.unchecked_into(),
        Some(options(json!({ "method": "s3" }))),
    );
    sleep(800).await;
    let log = sim_json("GET", "/_sim/log", None).await;
    let bodies = logged(&log, "s3");
    assert_eq!(
        bodies, 0,
        "paused from the first listener, no body is sent: {log}"
    );
    assert!(
        h.seen
            .borrow()
            .progress
            .iter()
            .all(|&(loaded, _)| loaded == 0.0),
        "no bytes while paused"
    );
    up.resume();
    expect_stored(promise, &data).await;
}

#[wasm_bindgen_test]
async fn pause_from_the_first_progress_listener_holds_until_resume() {
    let extra = json!({ "partSize": 5 * MIB, "parallel": 1 });
    let h = acting_from_first(extra, "progress", |u| u.pause()).await;
    let up = &h.up;
    let data = bytes(11 * MIB, 16);
    let file = file_of(&data, "clip.mp4", "video/mp4");
    let promise = up.upload(
        file.unchecked_into(),
        Some(options(json!({ "method": "multipart" }))),
    );
    until_progress(&h.seen).await;
    sleep(300).await;
    assert_eq!(up.requests_in_flight(), 0, "paused: nothing in flight");
    let seen = h.seen.borrow().progress.len();
    sleep(500).await;
    assert_eq!(
        h.seen.borrow().progress.len(),
        seen,
        "no progress while paused"
    );
    up.resume();
    expect_stored(promise, &data).await;
}
