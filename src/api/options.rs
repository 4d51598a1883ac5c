//! Reading `UploaderOptions` and `upload()` options from JS, once, into the typed settings of
//! [`crate::session`].

use std::time::Duration;

use js_sys::{Function, Object};
use jw_upload_core::{link::Resource, Method};
use wasm_bindgen::prelude::*;

use super::js::{get, get_num, get_str, parse_enum};
use crate::driver::CredentialSource;
use crate::session::{FileSettings, Refused, Settings};
use crate::source;

/// `UploaderOptions` as typed settings: credentials (`getUpload`, or `endpoint` + `headers` +
/// `withCredentials`), `uploadApiBase`, `parallel`, `partSize`, `stallTimeout`, `verify`,
/// `statusEndpoint`, `statusTimeout`, `configEndpoint`.
pub(crate) fn settings_of(o: &JsValue) -> Settings {
    Settings {
        creds: credential_source(o),
        upload_api_base: get_str(o, "uploadApiBase"),
        parallel: get_num(o, "parallel")
            .filter(|n| *n >= 1.0)
            .map(|n| n as usize),
        part_size: get_num(o, "partSize").and_then(source::bytes_from_f64),
        stall_timeout: get_num(o, "stallTimeout")
            .filter(|n| *n > 0.0)
            .map(|ms| Duration::from_millis(ms as u64)),
        verify: get(o, "verify").and_then(|v| v.as_bool()),
        status_endpoint: get_str(o, "statusEndpoint"),
        config_endpoint: get_str(o, "configEndpoint"),
        status_timeout: get_num(o, "statusTimeout")
            .filter(|n| *n >= 1000.0)
            .map(|ms| Duration::from_millis(ms as u64)),
    }
}

fn credential_source(o: &JsValue) -> CredentialSource {
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

/// `metadata`, when it is an object (it is sent as `JSON.stringify` writes it).
pub(crate) fn metadata_of(v: JsValue) -> Option<JsValue> {
    Some(v).filter(|v| v.is_object() && !js_sys::Array::is_array(v))
}

/// `upload(file, {method, metadata, resource, videoKey})` as typed settings.
pub(crate) fn file_settings_of(opts: &JsValue) -> Result<FileSettings, Refused> {
    let unknown = |what: &str, v: &str| Refused::Usage {
        code: "invalid_options",
        message: format!("unknown {what} `{v}`"),
    };
    let method = match get_str(opts, "method").as_deref() {
        None | Some("auto") | Some("") => None,
        Some(m) => Some(parse_enum::<Method>(m).ok_or_else(|| unknown("method", m))?),
    };
    let resource = match get_str(opts, "resource") {
        None => None,
        Some(r) => Some(parse_enum::<Resource>(&r).ok_or_else(|| unknown("resource", &r))?),
    };
    Ok(FileSettings {
        method,
        resource,
        metadata: get(opts, "metadata").and_then(metadata_of),
        video_key: get_str(opts, "videoKey"),
    })
}
