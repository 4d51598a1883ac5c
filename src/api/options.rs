//! Reading `UploaderOptions` and `upload()` options into the engine's config and the
//! backend's description of the file. Shared with the UI (feature `ui`).

use std::time::Duration;

use js_sys::{Function, Object, Promise};
use jw_upload_core::{link::Resource, Config, Method, StatusConfig};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, File};

use super::js::{get, get_num, get_str, parse_enum, usage_error};
use crate::driver::{CredentialSource, UploadInfo};
use crate::source;
use crate::timer;

pub(crate) fn metadata_of(opts: &JsValue, name: &str) -> serde_json::Value {
    let mut m = get(opts, "metadata")
        .and_then(|v| serde_wasm_bindgen::from_value::<serde_json::Value>(v).ok())
        .filter(|v| v.is_object())
        .unwrap_or_else(|| serde_json::json!({}));
    if let Some(obj) = m.as_object_mut() {
        obj.entry("title").or_insert_with(|| name.into());
    }
    m
}

/// Where credentials come from, per `UploaderOptions` (`getUpload`, or `endpoint` + `headers`
/// + `withCredentials`). Shared with the UI (feature `ui`).
pub(crate) fn credential_source(o: &JsValue) -> CredentialSource {
    if let Some(f) = get(o, "getUpload").and_then(|f| f.dyn_into::<Function>().ok()) {
        return CredentialSource::Callback(f);
    }
    let headers = get(o, "headers")
        .map(|h| {
            Object::entries(&h.unchecked_into())
                .iter()
                .filter_map(|pair| {
                    let pair: js_sys::Array = pair.unchecked_into();
                    Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
                })
                .collect()
        })
        .unwrap_or_default();
    CredentialSource::Endpoint {
        url: get_str(o, "endpoint").unwrap_or_default(),
        headers,
        include_cookies: get(o, "withCredentials").and_then(|v| v.as_bool()) == Some(true),
    }
}

/// Applies `UploaderOptions` (`uploadApiBase`, `parallel`, `partSize`, `stallTimeout`, `verify`,
/// `statusEndpoint`) and the clock/seed to `cfg`. Shared with the UI (feature `ui`).
pub(crate) fn configure(o: &JsValue, cfg: &mut Config) {
    if let Some(base) = get_str(o, "uploadApiBase") {
        cfg.upload_api_base = base;
    }
    if let Some(n) = get_num(o, "parallel").filter(|n| *n >= 1.0) {
        cfg.part_parallel = n as usize;
        cfg.chunk_parallel = (n as usize).min(cfg.chunk_parallel.max(1));
    }
    if let Some(n) = get_num(o, "partSize").and_then(source::bytes_from_f64) {
        cfg.fixed_part_size = Some(n);
    }
    if let Some(ms) = get_num(o, "stallTimeout").filter(|n| *n > 0.0) {
        cfg.stall_timeout = Duration::from_millis(ms as u64);
    }
    if let Some(v) = get(o, "verify").and_then(|v| v.as_bool()) {
        cfg.verify = v;
    }
    if let Some(url) = get_str(o, "statusEndpoint") {
        cfg.status = Some(StatusConfig::new(format!(
            "{}/{{id}}",
            url.trim_end_matches('/')
        )));
    }
    cfg.seed = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    cfg.wall_clock_offset_ms = Some(timer::wall_now_ms() as i64 - timer::now().0 as i64);
}

/// What an upload needs to start: the engine, the file, what the backend is told, the resume
/// record key, and the file's `FileSystemFileHandle`.
pub(crate) type Prepared = (
    jw_upload_core::Upload,
    Option<Blob>,
    UploadInfo,
    Option<String>,
    Option<JsValue>,
);

/// A `File`, or the `File` of a `FileSystemFileHandle` (kept for resuming).
pub(crate) async fn resolve_source(source: JsValue) -> Result<(File, Option<JsValue>), JsValue> {
    if source.is_instance_of::<File>() {
        return Ok((source.unchecked_into(), None));
    }
    let get_file = get(&source, "getFile").and_then(|f| f.dyn_into::<Function>().ok());
    if let Some(get_file) = get_file {
        let file = JsFuture::from(Promise::resolve(&get_file.call0(&source)?)).await?;
        return Ok((file.unchecked_into(), Some(source)));
    }
    // A File-like object (name, size, type, slice): accepted as it is.
    if get(&source, "size").is_some() {
        return Ok((source.unchecked_into(), None));
    }
    Err(usage_error(
        "invalid_options",
        "upload(source) needs a File or a FileSystemFileHandle",
    ))
}

/// The engine config and the backend's description of `file` for `upload(file, opts)`.
pub(crate) fn plan_file(file: &File, opts: &JsValue) -> Result<(Config, UploadInfo), JsValue> {
    let blob: &Blob = file.as_ref();
    let info = UploadInfo {
        name: file.name(),
        size: source::size_of(blob),
        content_type: blob.type_(),
        metadata: metadata_of(opts, &file.name()),
        resource: get_str(opts, "resource"),
        video_key: get_str(opts, "videoKey"),
        download_url: None,
    };
    let mut cfg = Config::new(info.size, info.name.clone(), info.content_type.clone());
    cfg.method = match get_str(opts, "method").as_deref() {
        None | Some("auto") | Some("") => None,
        Some(m) => Some(
            parse_enum::<Method>(m)
                .ok_or_else(|| usage_error("invalid_options", &format!("unknown method `{m}`")))?,
        ),
    };
    if let Some(r) = info.resource.as_deref() {
        cfg.resource = parse_enum::<Resource>(r)
            .ok_or_else(|| usage_error("invalid_options", &format!("unknown resource `{r}`")))?;
    }
    Ok((cfg, info))
}
