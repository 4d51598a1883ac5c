//! Checks before uploading: a video's duration, read by a detached `<video>` element from the
//! file's metadata (the platform refuses videos under 2 seconds). When the browser cannot
//! decode the file the check is skipped, never failed.

use js_sys::Promise;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, HtmlVideoElement, Url};

/// How long the browser gets to read the metadata before the check is skipped.
const PROBE_MS: i32 = 4000;

/// Whether the duration of this file is worth probing (video or audio the browser may decode).
pub fn is_media(file: &File) -> bool {
    let t = file.type_();
    t.starts_with("video/") || t.starts_with("audio/")
}

/// The duration in seconds, or `None` when the browser cannot tell (not decodable, no
/// metadata within a few seconds, or no DOM).
pub async fn video_duration(file: &File) -> Option<f64> {
    let document = web_sys::window()?.document()?;
    let video: HtmlVideoElement = document.create_element("video").ok()?.dyn_into().ok()?;
    let url = Url::create_object_url_with_blob(file).ok()?;
    video.set_preload("metadata");
    video.set_muted(true);
    let outcome = Promise::new(&mut |resolve, _reject| {
        let on_meta = {
            let resolve = resolve.clone();
            Closure::once_into_js(move || {
                let _ = resolve.call1(&JsValue::NULL, &JsValue::TRUE);
            })
        };
        let on_error = {
            let resolve = resolve.clone();
            Closure::once_into_js(move || {
                let _ = resolve.call1(&JsValue::NULL, &JsValue::FALSE);
            })
        };
        video.set_onloadedmetadata(Some(on_meta.unchecked_ref()));
        video.set_onerror(Some(on_error.unchecked_ref()));
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_1(
                &resolve,
                PROBE_MS,
                &JsValue::FALSE,
            );
        }
    });
    video.set_src(&url);
    let loaded = JsFuture::from(outcome).await.ok()?.as_bool() == Some(true);
    let duration = video.duration();
    // WebKit (GStreamer) sometimes "finds" a stream in bytes it cannot decode and reports its
    // metadata with a duration of 0 and no picture: that is no measurement. A file that says it
    // is a video counts only when a picture was found; a duration of 0 never counts.
    let decoded = !file.type_().starts_with("video/") || video.video_width() > 0;
    video.set_onloadedmetadata(None);
    video.set_onerror(None);
    video.remove_attribute("src").ok();
    video.load();
    let _ = Url::revoke_object_url(&url);
    (loaded && decoded && duration.is_finite() && duration > 0.0).then_some(duration)
}
