//! Browser tests (headless Chromium): slicing a `Blob` gives exactly the bytes asked for.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::reversed_empty_ranges
)]

use js_sys::{Array, ArrayBuffer, Uint8Array};
use jw_upload::source::{self, SourceError};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::Blob;

wasm_bindgen_test_configure!(run_in_browser);

fn blob_of(bytes: &[u8], mime: &str) -> Blob {
    let arr = Uint8Array::from(bytes);
    let parts = Array::of1(&arr);
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    Blob::new_with_u8_array_sequence_and_options(&parts, &opts).unwrap()
}

async fn read(blob: &Blob) -> Vec<u8> {
    let buf = JsFuture::from(blob.array_buffer()).await.unwrap();
    Uint8Array::new(buf.unchecked_ref::<ArrayBuffer>()).to_vec()
}

#[wasm_bindgen_test]
async fn slices_carry_exact_bytes_and_no_type() {
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let blob = blob_of(&data, "video/mp4");
    assert_eq!(source::size_of(&blob), 100_000);
    for range in [0..1, 0..100_000, 4_096..70_001, 99_999..100_000] {
        let part = source::slice(&blob, range.clone()).unwrap();
        assert_eq!(part.type_(), "", "a slice must not carry a Content-Type");
        assert_eq!(
            read(&part).await,
            data[range.start as usize..range.end as usize]
        );
    }
}

#[wasm_bindgen_test]
fn bad_ranges_are_errors_not_panics() {
    let blob = blob_of(&[1, 2, 3], "");
    for range in [0..0, 2..1, 0..4, 3..3] {
        assert!(matches!(
            source::slice(&blob, range),
            Err(SourceError::BadRange { .. })
        ));
    }
}

#[wasm_bindgen_test]
async fn a_body_is_the_blob_itself_only_when_whole_and_of_the_same_type() {
    let data: Vec<u8> = (0..10_000u32).map(|i| (i % 253) as u8).collect();
    let untyped = blob_of(&data, "");
    let whole = source::body(&untyped, 0..10_000, "").unwrap();
    assert!(
        js_sys::Object::is(&whole, &untyped),
        "a whole untyped file goes as it is"
    );
    // A typed file never goes as it is where no type is wanted (XHR would add its type).
    let typed = blob_of(&data, "video/mp4");
    let body = source::body(&typed, 0..10_000, "").unwrap();
    assert!(!js_sys::Object::is(&body, &typed));
    assert_eq!(body.type_(), "");
    assert_eq!(read(&body).await, data);
    // ...and does where its own type is the one wanted (a form part).
    let part = source::body(&typed, 0..10_000, "video/mp4").unwrap();
    assert!(js_sys::Object::is(&part, &typed));
    // Part of a file is always a slice, with the type asked for.
    let some = source::body(&untyped, 1..9_000, "").unwrap();
    assert!(!js_sys::Object::is(&some, &untyped));
    assert_eq!(read(&some).await, data[1..9_000]);
    assert!(matches!(
        source::body(&untyped, 0..10_001, ""),
        Err(SourceError::BadRange { .. })
    ));
}
