//! Small conversions between Rust and JS values for the JS API: plain objects, typed
//! `Error`s, option lookups.

use js_sys::{Promise, Reflect};
use jw_upload_core::{UploadError, UploadResult};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::types::UploadPromise;
use crate::session::Refused;

/// Converts a serde value to a plain JS value (objects, not Maps), through its JSON text: the
/// serializer the wasm already carries for request bodies, rather than a second one.
pub fn to_js<T: Serialize + ?Sized>(v: &T) -> JsValue {
    serde_json::to_string(v)
        .ok()
        .and_then(|text| js_sys::JSON::parse(&text).ok())
        .unwrap_or(JsValue::NULL)
}

/// A plain JS object of `(key, value)` pairs.
pub(crate) fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

/// A JS number, or `null`.
pub(crate) fn num_or_null(n: Option<f64>) -> JsValue {
    n.map_or(JsValue::NULL, JsValue::from_f64)
}

/// A JS string, or `null`.
pub(crate) fn str_or_null(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::NULL, JsValue::from_str)
}

pub(crate) fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

pub(crate) fn get_str(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).and_then(|v| v.as_string())
}

pub(crate) fn get_num(obj: &JsValue, key: &str) -> Option<f64> {
    get(obj, key).and_then(|v| v.as_f64())
}

/// A JS `Error` with `code`, `status`, `retryable`, `platformCode`, `platformMessage`.
pub fn js_error(e: &UploadError) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&err, &JsValue::from_str(k), &v);
    };
    set("code", JsValue::from_str(e.code.as_str()));
    set("status", e.status.map_or(JsValue::NULL, JsValue::from));
    set("retryable", JsValue::from_bool(e.retryable));
    set(
        "platformCode",
        e.platform_code
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str),
    );
    set(
        "platformMessage",
        e.platform_message
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str),
    );
    err.into()
}

pub(crate) fn usage_error(code: &str, message: &str) -> JsValue {
    let mut e = UploadError::new(jw_upload_core::ErrorCode::InvalidConfig, message, false);
    e.platform_code = None;
    let v = js_error(&e);
    let _ = Reflect::set(&v, &"code".into(), &JsValue::from_str(code));
    v
}

pub(crate) fn result_js(r: &UploadResult) -> JsValue {
    object(&[
        ("mediaId", JsValue::from_str(&r.media_id)),
        ("size", num_or_null(r.size.map(|n| n as f64))),
        ("md5", str_or_null(r.md5.as_deref())),
        ("method", JsValue::from_str(r.method.as_str())),
    ])
}

/// Parses a snake_case enum name (`"multipart"`, `"thumbnail"`).
pub(crate) fn parse_enum<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_str(&serde_json::to_string(name).ok()?).ok()
}

pub(crate) fn reject(e: JsValue) -> UploadPromise {
    Promise::reject(&e).unchecked_into()
}

/// Why an upload did not start, as the JS `Error` the Promise rejects with.
pub(crate) fn refused_js(r: &Refused) -> JsValue {
    match r {
        Refused::Usage { code, message } => usage_error(code, message),
        Refused::Upload(e) => js_error(e),
        Refused::Js(v) => v.clone(),
    }
}
