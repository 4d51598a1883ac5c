//! End-to-end uploads against the sim: S3 PUT, form POST (+ progress, redirects), resumable chunks,
//! fetch; every stored file's MD5 checked against the bytes sent, and every rejection path.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn s3_put_end_to_end() {
    let sim = start_with(|c| c.processing_ms = 60_000).await;
    let v = sim.create_video(Some("s3")).await;
    let key = v["media"]["key"].as_str().unwrap();
    let data = bytes(3 * 1024 * 1024 + 17, 1);
    // curl --request PUT --upload-file FILE "{upload_url}"
    let r = sim.put(&s3_url(&v["link"]), data.clone()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["etag"].to_str().unwrap(),
        format!("\"{}\"", md5_hex(&data))
    );
    let m = sim.admin_media(key).await;
    assert_eq!(m["md5"], md5_hex(&data));
    assert_eq!(m["size"], data.len());
    assert_eq!(m["status"], "processing");
    assert_eq!(sim.v2_get_media(key).await["status"], "processing");
    sim.advance(61).await;
    let s = sim.wait_final(key).await;
    assert_eq!(s["status"], "ready");
    assert_eq!(s["md5"], md5_hex(&data));
}

#[tokio::test]
async fn s3_rejections() {
    let sim = start().await;
    let v = sim.create_video(Some("s3")).await;
    let url = s3_url(&v["link"]);
    // A Content-Type the link was not signed with.
    let r = sim
        .http
        .put(&url)
        .header("Content-Type", "video/mp4")
        .body(vec![1u8; 10])
        .send()
        .await
        .unwrap();
    assert_s3_error(r, 403, "SignatureDoesNotMatch").await;
    // Tampered signature.
    let bad = url.replace("&Signature=", "&Signature=AAAA");
    let r = sim.put(&bad, vec![1u8; 10]).await;
    assert_s3_error(r, 403, "SignatureDoesNotMatch").await;
    // Expired link (sim clock past Expires).
    sim.advance(3601).await;
    let r = sim.put(&url, vec![1u8; 10]).await;
    assert_s3_error(r, 403, "AccessDenied").await;
    // Renewal via videos/update gives a fresh link for the same media (signed with the client's
    // clock, which a test cannot move: the sim checks timestamps against the wall clock).
    let key = v["media"]["key"].as_str().unwrap();
    let ts = now_secs();
    let u: Value = sim
        .post(&sim.v1_url_at(
            "videos/update",
            &[("video_key", key), ("upload_method", "s3")],
            ts,
        ))
        .await
        .json()
        .await
        .unwrap();
    let r = sim
        .http
        .put(s3_url(&u["link"]))
        .body(vec![2u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn s3_refuses_over_5_gib_from_content_length() {
    let sim = start().await;
    let v = sim.create_video(Some("s3")).await;
    let url = s3_url(&v["link"]);
    let mut s = raw_head(&sim, "PUT", &url, "Content-Length: 5368709121\r\n").await;
    s.write_all(&[0u8; 1024]).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("<Code>EntityTooLarge</Code>"), "{text}");
    let log = sim.log().await;
    let last = log.iter().rev().find(|e| e["target"] == "s3").unwrap();
    assert_eq!(last["status"], 400);
    assert!(last["bytes_in"].as_u64().unwrap() < 1_000_000);
}

async fn progress(sim: &Sim, token: &str) -> Value {
    let r = sim
        .http
        .get(format!("{}/progress?token={token}&callback=cb", sim.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/javascript");
    let text = r.text().await.unwrap();
    let inner = text
        .strip_prefix("cb(")
        .and_then(|t| t.strip_suffix(')'))
        .unwrap();
    serde_json::from_str(inner).unwrap()
}

#[tokio::test]
async fn form_upload_end_to_end_with_progress() {
    let sim = start().await;
    let v = sim.create_video(None).await;
    let key = v["media"]["key"].as_str().unwrap();
    let token = v["link"]["query"]["token"].as_str().unwrap();
    assert_eq!(progress(&sim, token).await, json!({"state":"starting"}));
    let data = bytes(2 * 1024 * 1024 + 5, 2);
    // curl --form file=@./video.mpeg "{upload_url}", with an extra field that is ignored.
    let url = link_url(&v["link"], "api_format=json");
    let r = sim
        .form_upload(
            &url,
            &[
                ("title", None, b"ignored"),
                ("file", Some("video.mpeg"), &data),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let reply: Value = r.json().await.unwrap();
    assert_eq!(reply["status"], "ok");
    assert_eq!(reply["video"]["key"], key);
    assert_eq!(reply["video"]["md5"], md5_hex(&data));
    assert_eq!(reply["video"]["size"], data.len().to_string());
    assert!(reply.get("redirect_link").is_none());
    assert_eq!(progress(&sim, token).await, json!({"state":"done"}));
    assert_eq!(sim.admin_media(key).await["md5"], md5_hex(&data));
    assert_eq!(sim.wait_final(key).await["status"], "ready");
}

#[tokio::test]
async fn progress_reflects_bytes_received_while_streaming() {
    let sim = start().await;
    let v = sim.create_video(None).await;
    let token = v["link"]["query"]["token"].as_str().unwrap().to_string();
    let data = bytes(1024 * 1024, 3);
    let (ct, body) = form_body(&[("file", Some("v.mp4"), &data)]);
    let total = body.len();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let stream =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) });
    let url = link_url(&v["link"], "api_format=json");
    let req = sim
        .http
        .post(&url)
        .header("Content-Type", ct)
        .header("Content-Length", total)
        .body(reqwest::Body::wrap_stream(stream))
        .send();
    let task = tokio::spawn(req);
    let half = total / 2;
    tx.send(Ok(body[..half].to_vec())).await.unwrap();
    let mut seen = json!(null);
    for _ in 0..100 {
        seen = progress(&sim, &token).await;
        if seen["received"].as_u64().unwrap_or(0) >= half as u64 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // The file's size and bytes, not the request's: less the part headers before the file
    // and the closing boundary after it.
    let preamble = body.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(seen["state"], "uploading", "{seen}");
    assert_eq!(seen["size"], data.len(), "{seen}");
    assert_eq!(seen["received"], half - preamble, "{seen}");
    tx.send(Ok(body[half..].to_vec())).await.unwrap();
    drop(tx);
    let r = task.await.unwrap().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(progress(&sim, &token).await, json!({"state":"done"}));
}

#[tokio::test]
async fn form_redirects_and_xml() {
    let sim = start().await;
    let v = sim.create_video(None).await;
    let key = v["media"]["key"].as_str().unwrap();
    let data = bytes(1000, 4);
    let (ct, body) = form_body(&[("file", Some("v.mp4"), &data)]);
    let extra = "api_format=json&redirect_address=http%3A%2F%2Fexample.com%2Fpath&redirect_query.parameter1=value1&redirect_query.parameter2=value2&key_in_path=True";
    let r = sim
        .post_form(&link_url(&v["link"], extra), &ct, body.clone())
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("http://example.com/path/{key}?parameter1=value1&parameter2=value2")
    );
    let reply: Value = r.json().await.unwrap();
    assert_eq!(
        reply["redirect_link"]["address"],
        format!("http://example.com/path/{key}")
    );
    assert_eq!(reply["redirect_link"]["query"]["parameter1"], "value1");
    // key_in_path False: the key goes in the query as video_key.
    let extra = "api_format=xml&redirect_address=http%3A%2F%2Fexample.com%2Fpath&key_in_path=False";
    let r = sim.post_form(&link_url(&v["link"], extra), &ct, body).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("http://example.com/path?video_key={key}")
    );
    let text = r.text().await.unwrap();
    assert!(
        text.contains(&format!(
            "<video key=\"{key}\"><md5>{}</md5>",
            md5_hex(&data)
        )),
        "{text}"
    );
}

#[tokio::test]
async fn form_rejections() {
    let sim = start().await;
    let v = sim.create_video(None).await;
    let token = v["link"]["query"]["token"].as_str().unwrap();
    let url = link_url(&v["link"], "api_format=json");
    // Wrong field name: the file is not picked up.
    let r = sim
        .form_upload(&url, &[("video", Some("v.mp4"), b"abc")])
        .await;
    assert_v1_error(r, 400, "FileUploadFailed").await;
    assert_eq!(
        progress(&sim, token).await,
        json!({"state":"error","status":400})
    );
    // Not multipart.
    let r = sim.post_form(&url, "application/octet-stream", "x").await;
    assert_eq!(r.status(), 400);
    // Wrong token.
    let bad = url.replace(token, "0000000000000000000000000000000000000000");
    let (ct, body) = form_body(&[("file", Some("v.mp4"), b"abc")]);
    let r = sim.post_form(&bad, &ct, body.clone()).await;
    assert_eq!(r.status(), 403);
    // Token expired after 7 days of sim time.
    sim.advance(7 * 86_400 + 1).await;
    let r = sim.post_form(&url, &ct, body).await;
    assert_v1_error(r, 403, "PermissionDenied").await;
    // A week later the customer's backend (whose clock moved too, which a test cannot make
    // the real one do) renews with videos/update: signed v1 calls keep working.
    let key = v["media"]["key"].as_str().unwrap();
    let (status, renewed) = sim
        .v1_json("videos/update", &[("video_key", key)], json!({}))
        .await;
    assert_eq!(status, 200, "{renewed}");
    let fresh = link_url(&renewed["link"], "api_format=json");
    let r = sim
        .form_upload(&fresh, &[("file", Some("v.mp4"), b"abc")])
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn track_and_thumbnail_form_uploads() {
    let sim = start().await;
    let v = sim.create_video(None).await;
    let vkey = v["media"]["key"].as_str().unwrap();
    let (_, t) = sim
        .v1_json(
            "videos/tracks/create",
            &[("video_key", vkey), ("kind", "captions")],
            json!({}),
        )
        .await;
    let data = b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n".to_vec();
    let r = sim
        .form_upload(
            &link_url(&t["link"], "api_format=json"),
            &[("file", Some("en.vtt"), &data)],
        )
        .await;
    assert_eq!(r.status(), 200);
    let reply: Value = r.json().await.unwrap();
    assert_eq!(reply["track"]["key"], t["track"]["key"]);
    assert_eq!(reply["track"]["md5"], md5_hex(&data));
    // The thumbnail upload URL may name the video with `video_key` instead of `key`.
    let (_, th) = sim
        .v1_json(
            "videos/thumbnails/update",
            &[("video_key", vkey)],
            json!({}),
        )
        .await;
    let url = format!(
        "{}/v1/videos/thumbnails/upload?api_format=json&video_key={vkey}&token={}",
        sim.url,
        th["link"]["query"]["token"].as_str().unwrap()
    );
    let img = bytes(5000, 12);
    let r = sim
        .form_upload(&url, &[("file", Some("thumb.jpg"), &img)])
        .await;
    assert_eq!(r.status(), 200);
    let reply: Value = r.json().await.unwrap();
    assert_eq!(
        reply["thumbnail"],
        json!({"key": vkey, "md5": md5_hex(&img), "size": "5000"})
    );
    let m = sim.admin_media(t["track"]["key"].as_str().unwrap()).await;
    assert_eq!(m["md5"], md5_hex(&data));
    assert_eq!(m["resource"], "track");
}

#[tokio::test]
async fn resumable_with_gaps_duplicates_and_resume() {
    let sim = start().await;
    let v = sim.create_video(Some("resumable")).await;
    let key = v["media"]["key"].as_str().unwrap();
    let session = v["session_id"].as_str().unwrap();
    let url = link_url(&v["link"], "api_format=json");
    let data = bytes(1000, 5);
    let r = sim
        .resumable_chunk(&url, session, "bytes 0-99/1000", &data[..100])
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["range"], "0-99/1000");
    assert_eq!(r.text().await.unwrap(), "0-99/1000");
    let r = sim
        .resumable_chunk(&url, session, "bytes 200-299/1000", &data[200..300])
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["range"], "0-99,200-299/1000");
    // A duplicate with different bytes is discarded: the first bytes stay.
    let r = sim
        .resumable_chunk(&url, session, "bytes 0-99/1000", &[0u8; 100])
        .await;
    assert_eq!(r.headers()["range"], "0-99,200-299/1000");
    // Resuming as the doc says: a fresh client starts at 0 and learns the ranges.
    let r = sim
        .resumable_chunk(&url, session, "bytes 0-149/1000", &data[..150])
        .await;
    assert_eq!(r.headers()["range"], "0-149,200-299/1000");
    let r = sim
        .resumable_chunk(&url, session, "bytes 100-899/1000", &data[100..900])
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["range"], "0-899/1000");
    assert_eq!(sim.admin_media(key).await["status"], "created");
    let r = sim
        .resumable_chunk(&url, session, "bytes 900-999/1000", &data[900..])
        .await;
    assert_eq!(r.status(), 200);
    let reply: Value = r.json().await.unwrap();
    assert_eq!(
        reply,
        json!({"status":"ok","video":{"key":key,"size":1000}})
    );
    let m = sim.admin_media(key).await;
    assert_eq!(m["md5"], md5_hex(&data));
    assert_eq!(m["size"], 1000);
    assert_eq!(sim.wait_final(key).await["status"], "ready");
}

#[tokio::test]
async fn resumable_final_reply_xml_with_redirect() {
    let sim = start().await;
    let v = sim.create_video(Some("resumable")).await;
    let key = v["media"]["key"].as_str().unwrap();
    let session = v["session_id"].as_str().unwrap();
    let extra = "api_format=xml&redirect_address=http://example.com/path&redirect_query.parameter1=value1&key_in_path=True";
    let url = link_url(&v["link"], extra);
    let data = bytes(64, 6);
    let r = sim
        .resumable_chunk(&url, session, "bytes 0-63/64", &data)
        .await;
    assert_eq!(r.status(), 303);
    let text = r.text().await.unwrap();
    assert!(
        text.contains(&format!("<video key=\"{key}\"><size>64</size></video>")),
        "{text}"
    );
    assert!(text.contains(&format!("<redirect_link><address>http://example.com/path/{key}</address><query><parameter1>value1</parameter1></query></redirect_link>")), "{text}");
}

#[tokio::test]
async fn resumable_rejections() {
    let sim = start().await;
    let v = sim.create_video(Some("resumable")).await;
    let session = v["session_id"].as_str().unwrap();
    let url = link_url(&v["link"], "api_format=json");
    let r = sim
        .resumable_chunk(&url, session, "bytes 0-9/100", &[1u8; 10])
        .await;
    assert_eq!(r.status(), 201);
    for bad in [
        "bytes 9-0/100",
        "bytes 0-100/100",
        "garbage",
        "bytes 0-9/200",
        "bytes a-b/100",
    ] {
        let r = sim.resumable_chunk(&url, session, bad, &[1u8; 10]).await;
        assert_eq!(r.status(), 416, "{bad}");
        assert_eq!(r.headers()["range"], "0-9/100", "{bad}");
    }
    // Body shorter than the range: refused, nothing recorded.
    let r = sim
        .resumable_chunk(&url, session, "bytes 10-29/100", &[1u8; 10])
        .await;
    assert_eq!(r.status(), 400);
    // Unknown session.
    let r = sim
        .resumable_chunk(&url, "nosuchsession", "bytes 10-19/100", &[1u8; 10])
        .await;
    assert_eq!(r.status(), 404);
    // The session of another key.
    let other = sim.create_video(Some("resumable")).await;
    let r = sim
        .resumable_chunk(
            &url,
            other["session_id"].as_str().unwrap(),
            "bytes 0-9/100",
            &[1u8; 10],
        )
        .await;
    assert_v1_error(r, 404, "NotFound").await;
    // multipart/form-data is not a chunk.
    let r = sim
        .http
        .post(&url)
        .header("Content-Disposition", "attachment; filename=\"v\"")
        .header("Content-Type", "multipart/form-data; boundary=x")
        .header("X-Content-Range", "bytes 10-19/100")
        .header("X-Session-ID", session)
        .body(vec![1u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    // Missing session header.
    let r = sim
        .http
        .post(&url)
        .header("X-Content-Range", "bytes 10-19/100")
        .body(vec![1u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = sim
        .resumable_chunk(&url, session, "bytes 10-19/100", &[1u8; 10])
        .await;
    assert_eq!(r.headers()["range"], "0-19/100");
}

#[tokio::test]
async fn resumable_sizes_past_5_gib_use_a_sparse_file() {
    let sim = start().await;
    let v = sim.create_video(Some("resumable")).await;
    let session = v["session_id"].as_str().unwrap();
    let url = link_url(&v["link"], "api_format=json");
    let total: u64 = 6 * 1024 * 1024 * 1024 + 7;
    let tail = bytes(1000, 9);
    let r = sim
        .resumable_chunk(
            &url,
            session,
            &format!("bytes {}-{}/{total}", total - 1000, total - 1),
            &tail,
        )
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.headers()["range"].to_str().unwrap(),
        format!("{}-{}/{total}", total - 1000, total - 1)
    );
    let r = sim
        .resumable_chunk(&url, session, &format!("bytes 0-999/{total}"), &tail)
        .await;
    assert_eq!(
        r.headers()["range"].to_str().unwrap(),
        format!("0-999,{}-{}/{total}", total - 1000, total - 1)
    );
}

/// A one-route HTTP server on loopback serving `data` at `/x.mp4`.
async fn file_server(data: Vec<u8>) -> std::net::SocketAddr {
    let app = axum::Router::new().route(
        "/x.mp4",
        axum::routing::get(move || async move { data.clone() }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    addr
}

#[tokio::test]
async fn fetch_uploads_v1_and_v2() {
    let sim = start().await;
    let data = bytes(500_000, 7);
    let addr = file_server(data.clone()).await;
    let url = format!("http://{addr}/x.mp4");
    let (st, v) = sim
        .v1_json(
            "videos/create",
            &[],
            json!({"title":"My New Fetch Upload","download_url":url}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert!(v.get("link").is_none());
    let key = v["media"]["key"].as_str().unwrap();
    assert_eq!(sim.wait_final(key).await["status"], "ready");
    assert_eq!(sim.admin_media(key).await["md5"], md5_hex(&data));

    let r = sim
        .v2_create(
            json!({"upload":{"method":"fetch","download_url":url},"metadata":{"title":"v2 fetch"}}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let m: Value = r.json().await.unwrap();
    assert!(m.get("upload_id").is_none());
    let id = m["id"].as_str().unwrap();
    let s = sim.wait_final(id).await;
    assert_eq!(s["status"], "ready");
    assert_eq!(s["md5"], md5_hex(&data));
    assert_eq!(s["metadata"]["title"], "v2 fetch");

    // Only loopback hosts are fetched.
    let (_, v) = sim
        .v1_json(
            "videos/create",
            &[],
            json!({"download_url":"http://example.com/x.mp4"}),
        )
        .await;
    let s = sim.wait_final(v["media"]["key"].as_str().unwrap()).await;
    assert_eq!(s["status"], "failed");
    let refused = s["error_message"].as_str().unwrap().to_owned();
    // A closed loopback port and the simulator itself fail with the same words: the message
    // never tells a closed port from a refused host.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    for url in [
        format!("http://{closed}/x"),
        format!("{}/_sim/log", sim.url),
    ] {
        let (_, v) = sim
            .v1_json("videos/create", &[], json!({"download_url": url}))
            .await;
        let s = sim.wait_final(v["media"]["key"].as_str().unwrap()).await;
        assert_eq!(s["status"], "failed", "{url}");
        assert_eq!(s["error_message"].as_str(), Some(refused.as_str()), "{url}");
    }
}
