//! The request log's `first_byte_ms`: the wall-clock time (Unix ms) the first body byte of a
//! request was read, which the bench compares with the page's `Date.now()`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use serde_json::Value;

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[tokio::test]
async fn first_byte_ms_is_when_the_first_body_byte_arrived_not_when_the_request_began_or_ended() {
    let sim = start().await;
    let v = sim.create_video(Some("s3")).await;
    let data = bytes(256 * 1024, 9);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let stream =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) });
    let req = sim
        .http
        .put(s3_url(&v["link"]))
        .header("Content-Length", data.len())
        .body(reqwest::Body::wrap_stream(stream))
        .send();
    let task = tokio::spawn(req);
    // The headers are out; the body waits 400 ms, then comes in two pieces 400 ms apart.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let sent_first = unix_ms();
    tx.send(Ok(data[..1000].to_vec())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    tx.send(Ok(data[1000..].to_vec())).await.unwrap();
    drop(tx);
    let ended = unix_ms();
    assert_eq!(task.await.unwrap().unwrap().status(), 200);

    // And a request with no body at all.
    let url = s3_url(&v["link"]);
    sim.http.get(&url).send().await.unwrap();
    let log = sim.log().await;
    let put = log
        .iter()
        .find(|e| e["target"] == "s3")
        .expect("the PUT is logged");
    let first = put["first_byte_ms"].as_u64().expect("a first byte time");
    assert!(
        first >= sent_first && first < ended,
        "first byte at {first}, sent at {sent_first}, last piece at {ended}"
    );
    // Requests that carried no body have none (the GET).
    let bodiless: Vec<&Value> = log.iter().filter(|e| e["bytes_in"] == 0).collect();
    assert!(!bodiless.is_empty(), "{log:?}");
    assert!(
        bodiless.iter().all(|e| e["first_byte_ms"].is_null()),
        "{log:?}"
    );
}
