//! Resumable upload: `POST /v1/videos/upload/resumable` chunks with `X-Content-Range` and
//! `X-Session-ID`, written at their offset into a sparse file; already received bytes discarded;
//! `201` + `Range` (with gaps) until complete, then `200` with key and size.

use std::ops::Range;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures_util::StreamExt;
use serde_json::json;

use crate::error::{AppError, Format};
use crate::faults::Flags;
use crate::ranges::{parse_content_range, RangeSet};
use crate::state::{AppState, Phase, Session};
use crate::util::{get, parse_pairs};

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn range_reply(status: StatusCode, wire: String) -> Response {
    let mut resp = (status, [(header::CONTENT_TYPE, "text/plain")], wire.clone()).into_response();
    if let Ok(v) = HeaderValue::from_str(&wire) {
        resp.headers_mut().insert(header::RANGE, v);
    }
    resp
}

/// `POST /v1/videos/upload/resumable?api_format=&key=`.
pub async fn upload(
    State(state): State<AppState>,
    Extension(flags): Extension<Flags>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let params = parse_pairs(uri.query().unwrap_or_default());
    let format = Format::parse(get(&params, "api_format"));
    crate::form::check_redirect(&params).map_err(|e| e.in_format(format))?;
    chunk(&state, &flags, &params, format, &headers, body)
        .await
        .map_err(|e| e.in_format(format))
}

async fn chunk(
    state: &AppState,
    flags: &Flags,
    params: &[(String, String)],
    format: Format,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let missing =
        |m: &str| AppError::v1(StatusCode::BAD_REQUEST, "ParameterMissing", m.to_string());
    let ctype = header_str(headers, "content-type").unwrap_or_default();
    if ctype
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return Err(AppError::v1(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "ParameterInvalid",
            "Content-Type must be the file's MIME type, not multipart/form-data.",
        ));
    }
    let session_id = header_str(headers, "x-session-id")
        .ok_or_else(|| missing("Missing X-Session-ID header."))?;
    let key = get(params, "key").unwrap_or_default();
    let not_found = || {
        AppError::v1(
            StatusCode::NOT_FOUND,
            "NotFound",
            "Unknown upload session for this key.",
        )
    };
    let (upload_key, asset) = {
        let db = state.db();
        let uk = db
            .by_session
            .get(session_id)
            .cloned()
            .ok_or_else(not_found)?;
        let a = db
            .assets
            .get(&uk)
            .filter(|a| a.session_id == session_id)
            .cloned()
            .ok_or_else(not_found)?;
        (uk, a)
    };
    if upload_key != key {
        return Err(not_found());
    }
    let current = asset.session.as_ref().map(|s| (s.ranges.clone(), s.total));
    let Some((range, total)) = header_str(headers, "x-content-range").and_then(parse_content_range)
    else {
        let wire = current.map(|(r, t)| r.to_wire(t)).unwrap_or_default();
        return Ok(range_reply(StatusCode::RANGE_NOT_SATISFIABLE, wire));
    };
    if total > state.config().max_file_bytes {
        return Err(AppError::v1(
            StatusCode::BAD_REQUEST,
            "FileSizeInvalid",
            "X-Content-Range names a file over the platform's 25 GB system limit.",
        ));
    }
    if range.end > total {
        return Err(AppError::v1(
            StatusCode::BAD_REQUEST,
            "ParameterInvalid",
            "X-Content-Range ends past the file's size.",
        ));
    }
    if let Some((r, t)) = &current {
        if *t != total {
            return Ok(range_reply(
                StatusCode::RANGE_NOT_SATISFIABLE,
                r.to_wire(*t),
            ));
        }
    }
    if header_str(headers, "content-disposition").is_none() {
        return Err(missing("Missing Content-Disposition header."));
    }
    // The session takes its total only once a chunk has been written: a chunk that fails
    // leaves the session as it was, usable.
    let (before, path) = {
        let db = state.db();
        let a = db.assets.get(&upload_key).ok_or_else(not_found)?;
        let path = state.files_dir().join(format!("{upload_key}.resumable"));
        match &a.session {
            Some(s) => (s.ranges.clone(), s.path.clone()),
            None => (RangeSet::default(), path),
        }
    };
    let missing = before.missing_in(range.clone());
    let received =
        write_chunk(&path, total, range.clone(), &missing, flags.drop_body, body).await?;
    if received != range.end - range.start {
        return Err(AppError::v1(
            StatusCode::BAD_REQUEST,
            "FileUploadFailed",
            "The body length does not match X-Content-Range.",
        ));
    }
    let (after, complete_now) = {
        let mut db = state.db();
        let a = db.assets.get_mut(&upload_key).ok_or_else(not_found)?;
        let created = matches!(a.phase, Phase::Created);
        let s = a.session.get_or_insert_with(|| Session {
            total,
            ranges: RangeSet::default(),
            path: path.clone(),
        });
        if !flags.drop_body {
            s.ranges.insert(range);
        }
        (s.ranges.clone(), created && s.ranges.covers(total))
    };
    if after.covers(total) {
        if complete_now {
            let (size, md5) = crate::store::md5_files(std::slice::from_ref(&path)).await?;
            crate::media::finish(state, &upload_key, vec![path], size, md5).await;
        }
        let value = json!({"status":"ok","video":{"key":asset.key,"size":total}});
        let redirect = crate::form::redirect(params, asset.resource, &asset.key);
        return Ok(crate::form::done_reply(format, value, redirect));
    }
    let shown = if flags.stale_range { before } else { after };
    Ok(range_reply(StatusCode::CREATED, shown.to_wire(total)))
}

/// Streams the chunk, writing only the `missing` parts at their offsets; returns bytes read.
async fn write_chunk(
    path: &std::path::Path,
    total: u64,
    range: Range<u64>,
    missing: &[Range<u64>],
    discard: bool,
    body: Body,
) -> Result<u64, AppError> {
    let mut file = crate::store::open_sparse(path, total).await?;
    let mut stream = body.into_data_stream();
    let mut pos = range.start;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            AppError::v1(
                StatusCode::BAD_REQUEST,
                "FileUploadFailed",
                format!("Body error: {e}"),
            )
        })?;
        let end = pos + chunk.len() as u64;
        if end > range.end {
            return Err(AppError::v1(
                StatusCode::BAD_REQUEST,
                "FileUploadFailed",
                "The body is longer than X-Content-Range.",
            ));
        }
        if !discard {
            for m in missing {
                let (s, e) = (m.start.max(pos), m.end.min(end));
                if s < e {
                    let slice = &chunk[(s - pos) as usize..(e - pos) as usize];
                    crate::store::write_at(&mut file, s, slice).await?;
                }
            }
        }
        pos = end;
    }
    tokio::io::AsyncWriteExt::flush(&mut file).await?;
    Ok(pos - range.start)
}
