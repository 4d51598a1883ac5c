//! Form upload: `POST {link.path}?api_format=&key=&token=` multipart/form-data, the file in field
//! `file` streamed to disk with MD5 and progress; redirect parameters honoured.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use axum::Extension;
use futures_util::StreamExt;
use serde_json::{json, Map, Value};

use crate::error::{reply, v1_body, AppError, Format};
use crate::faults::Flags;
use crate::state::{AppState, Resource};
use crate::util::{get, parse_pairs, pct};

/// Refuses a `redirect_address` that is not a plain http(s) URL (a CR or LF in it would make
/// a 303 without `Location`), with the platform's 400.
pub fn check_redirect(params: &[(String, String)]) -> Result<(), AppError> {
    let Some(address) = get(params, "redirect_address").filter(|a| !a.is_empty()) else {
        return Ok(());
    };
    let plain = !address.chars().any(|c| c.is_control() || c == ' ')
        && url::Url::parse(address).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
    if plain {
        Ok(())
    } else {
        Err(AppError::v1(
            StatusCode::BAD_REQUEST,
            "ParameterInvalid",
            "redirect_address must be an http or https URL.",
        ))
    }
}

/// Builds the `redirect_link` object and the `Location` URL from the upload URL's parameters.
pub fn redirect(
    params: &[(String, String)],
    resource: Resource,
    key: &str,
) -> Option<(Value, String)> {
    let address = get(params, "redirect_address").filter(|a| !a.is_empty())?;
    let in_path =
        get(params, "key_in_path").is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    let mut query: Vec<(String, String)> = params
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("redirect_query.")
                .map(|p| (p.to_string(), v.clone()))
        })
        .collect();
    let address = if in_path {
        format!("{}/{key}", address.trim_end_matches('/'))
    } else {
        query.push((resource.key_param().to_string(), key.to_string()));
        address.to_string()
    };
    let q: Map<String, Value> = query.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let qs: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", pct(k), pct(v)))
        .collect();
    let location = if qs.is_empty() {
        address.clone()
    } else {
        let sep = if address.contains('?') { '&' } else { '?' };
        format!("{address}{sep}{}", qs.join("&"))
    };
    Some((
        json!({"address": address, "query": Value::Object(q)}),
        location,
    ))
}

/// Final reply of an upload (form or resumable): 200, or 303 to the redirect link.
pub fn done_reply(format: Format, mut value: Value, redirect: Option<(Value, String)>) -> Response {
    let mut location = None;
    if let (Some((link, loc)), Some(obj)) = (redirect, value.as_object_mut()) {
        obj.insert("redirect_link".into(), link);
        location = Some(loc);
    }
    let (ct, body) = v1_body(&value, format);
    let status = if location.is_some() {
        StatusCode::SEE_OTHER
    } else {
        StatusCode::OK
    };
    let mut resp = reply(status, ct, body, None);
    if let Some(l) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        resp.headers_mut().insert(header::LOCATION, l);
    }
    resp
}

/// `POST /v1/.../upload` (videos, thumbnails, tracks, images, skins).
pub async fn upload(
    State(state): State<AppState>,
    Extension(flags): Extension<Flags>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let params = parse_pairs(uri.query().unwrap_or_default());
    let format = Format::parse(get(&params, "api_format"));
    check_redirect(&params).map_err(|e| e.in_format(format))?;
    let result = upload_inner(&state, &flags, uri.path(), &params, format, &headers, body).await;
    result.map_err(|(e, progress)| {
        if let Some(p) = progress {
            p.error(e.status().as_u16());
        }
        e.in_format(format)
    })
}

type Failure = (AppError, Option<std::sync::Arc<crate::records::Progress>>);

const OVER_LIMIT: &str = "the file is over the platform's size limit";

fn too_large(max: u64) -> AppError {
    AppError::v1(
        StatusCode::BAD_REQUEST,
        "FileSizeInvalid",
        format!("The file is larger than the system limit of {max} bytes."),
    )
}

async fn upload_inner(
    state: &AppState,
    flags: &Flags,
    path: &str,
    params: &[(String, String)],
    format: Format,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Failure> {
    let resource = Resource::from_upload_path(path).ok_or_else(|| {
        (
            AppError::v1(StatusCode::NOT_FOUND, "NotFound", "Unknown upload path."),
            None,
        )
    })?;
    // `key` is the upload key; the object's key parameter (`video_key`, ...) is accepted instead.
    let by_alias = || {
        let k = get(params, resource.key_param())?;
        state.db().by_key.get(&(resource, k.to_string())).cloned()
    };
    let upload_key = match get(params, "key") {
        Some(k) => k.to_string(),
        None => by_alias().unwrap_or_default(),
    };
    let token = get(params, "token").unwrap_or_default().to_string();
    let asset = state
        .db()
        .assets
        .get(&upload_key)
        .filter(|a| a.resource == resource)
        .cloned()
        .ok_or_else(|| {
            (
                AppError::v1(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    format!("No upload with key {upload_key}."),
                ),
                None,
            )
        })?;
    if asset.token != token {
        return Err((
            AppError::v1(
                StatusCode::FORBIDDEN,
                "PermissionDenied",
                "Invalid upload token.",
            ),
            None,
        ));
    }
    let progress = crate::progress::for_token(state, &token);
    let fail = |e: AppError| (e, Some(progress.clone()));
    if flags.expire {
        // An expired token stays expired, as the platform's does: a retry with it is refused
        // too, until the create or update API mints another one.
        if let Some(a) = state.db().assets.get_mut(&upload_key) {
            a.token_expires = 0;
        }
    }
    if flags.expire || state.clock.now_secs() > asset.token_expires {
        return Err(fail(AppError::v1(
            StatusCode::FORBIDDEN,
            "PermissionDenied",
            "The upload token has expired; call the create or update API again.",
        )));
    }
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(ctype).map_err(|_| {
        fail(AppError::v1(
            StatusCode::BAD_REQUEST,
            "FileUploadFailed",
            "The body must be multipart/form-data.",
        ))
    })?;
    let length: u64 = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let max_file = state.config().max_file_bytes;
    // The file alone may be 25 GB; its form framing is allowed on top (1 MiB is far more
    // than any client's part headers).
    if length > max_file.saturating_add(1 << 20) {
        return Err(fail(too_large(max_file)));
    }
    // `/progress` counts the file, not the request: `size` is the file's size ("<file size in
    // bytes>", `001_*.txt`), known once its part headers are in, `received` its bytes so far.
    progress.start(length);
    let counter = progress.clone();
    let mut span = crate::progress::FileSpan::new(boundary.as_bytes(), length);
    let stream = body.into_data_stream().map(move |r| {
        if let Ok(b) = &r {
            span.feed(b, &counter);
        }
        r
    });
    let mut mp = multer::Multipart::new(stream, boundary);
    let file_path = state.files_dir().join(format!("{upload_key}.form"));
    let mut stored = None;
    let bad_body = |e: String| {
        fail(AppError::v1(
            StatusCode::BAD_REQUEST,
            "FileUploadFailed",
            format!("Bad multipart body: {e}"),
        ))
    };
    loop {
        match mp.next_field().await {
            Ok(Some(mut field)) => {
                if field.name() == Some("file") && stored.is_none() {
                    let mut seen = 0u64;
                    let limited = (&mut field).map(|r| match r {
                        Ok(b) => {
                            seen += b.len() as u64;
                            if seen > max_file {
                                Err(OVER_LIMIT.to_string())
                            } else {
                                Ok(b)
                            }
                        }
                        Err(e) => Err(e.to_string()),
                    });
                    let r = crate::store::write_file(&file_path, limited, None, |_| {}).await;
                    stored = Some(r.map_err(|e| {
                        if e.to_string() == OVER_LIMIT {
                            fail(too_large(max_file))
                        } else {
                            bad_body(e.to_string())
                        }
                    })?);
                } else {
                    loop {
                        match field.chunk().await {
                            Ok(Some(_)) => {}
                            Ok(None) => break,
                            Err(e) => return Err(bad_body(e.to_string())),
                        }
                    }
                }
            }
            Ok(None) => break,
            Err(e) => return Err(bad_body(e.to_string())),
        }
    }
    let Some((size, md5)) = stored else {
        return Err(fail(AppError::v1(
            StatusCode::BAD_REQUEST,
            "FileUploadFailed",
            "No file was found in the form field named \"file\".",
        )));
    };
    crate::media::finish(state, &upload_key, vec![file_path], size, md5.clone()).await;
    progress.done();
    let name = resource.object_name();
    let value =
        json!({"status":"ok", name: {"key": asset.key, "md5": md5, "size": size.to_string()}});
    Ok(done_reply(
        format,
        value,
        redirect(params, resource, &asset.key),
    ))
}
