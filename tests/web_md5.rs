//! Browser tests (headless Chromium): the MD5 worker hashes file ranges exactly.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use js_sys::{Array, Uint8Array};
use jw_upload::md5::{md5_hex, Md5Worker};
use wasm_bindgen_test::*;
use web_sys::Blob;

wasm_bindgen_test_configure!(run_in_browser);

fn blob_of(bytes: &[u8]) -> Blob {
    let parts = Array::of1(&Uint8Array::from(bytes));
    Blob::new_with_u8_array_sequence(&parts).unwrap()
}

#[wasm_bindgen_test]
async fn worker_md5_matches_in_thread_md5() {
    // 9 MiB + 7 bytes: crosses the worker's 1 MiB read step nine times and ends mid-step.
    let data: Vec<u8> = (0..9 * 1024 * 1024 + 7u32)
        .map(|i| (i * 31 % 253) as u8)
        .collect();
    let blob = blob_of(&data);
    let worker = Md5Worker::new().unwrap();
    for range in [
        0..data.len() as u64,
        0..1,
        5_000_000..9_000_001,
        4_194_304..8_388_608,
    ] {
        let got = worker.digest(&blob, range.clone()).await.unwrap();
        let want = md5_hex(&data[range.start as usize..range.end as usize]);
        assert_eq!(got, want, "range {range:?}");
    }
    assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
}
