//! v2 upload API (multipart): paged parts list with pre-signed expiring part links, part PUTs with
//! `ETag`, and completion checks (missing parts, part too small, too many parts), idempotent.

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::AppError;
use crate::faults::Flags;
use crate::state::{AppState, PartInfo, MAX_PARTS, MAX_S3_OBJECT, MIN_PART};
use crate::util::{get, parse_pairs, random_hex};

fn v2(status: StatusCode, code: &'static str, msg: impl Into<String>) -> AppError {
    AppError::v2(status, code, msg)
}

/// Checks the Bearer upload token against `upload_id`.
fn check_token(
    state: &AppState,
    headers: &HeaderMap,
    upload_id: &str,
    flags: &Flags,
) -> Result<(), AppError> {
    let token = crate::auth::bearer(headers).ok_or_else(|| {
        v2(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Missing Authorization: Bearer upload token.",
        )
    })?;
    let db = state.db();
    let (id, exp) = db.upload_tokens.get(token).cloned().ok_or_else(|| {
        v2(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "The upload token is not valid.",
        )
    })?;
    if id != upload_id {
        return Err(v2(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "The upload token is for another upload.",
        ));
    }
    if flags.expire || exp < state.clock.now_secs() {
        return Err(v2(
            StatusCode::UNAUTHORIZED,
            "token_expired",
            "The upload token has expired.",
        ));
    }
    if !db.uploads.contains_key(upload_id) {
        return Err(v2(StatusCode::NOT_FOUND, "not_found", "No such upload."));
    }
    Ok(())
}

fn part_signature(state: &AppState, upload_id: &str, part: u32, expires: u64) -> String {
    hex::encode(crate::s3::hmac_sha1(
        &state.s3_secret(),
        &format!("PUT\n/v2/uploads/{upload_id}/parts/{part}\n{expires}"),
    ))
}

#[derive(Deserialize)]
pub struct Paging {
    page: Option<String>,
    page_length: Option<String>,
}

/// `GET /v2/uploads/{upload_id}/parts?page=&page_length=`.
pub async fn list(
    State(state): State<AppState>,
    Path(upload_id): Path<String>,
    Extension(flags): Extension<Flags>,
    Query(q): Query<Paging>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    check_token(&state, &headers, &upload_id, &flags)?;
    let num = |v: Option<String>, d: u64| v.map_or(Some(d), |s| s.parse::<u64>().ok());
    let page = num(q.page, 1).filter(|p| *p >= 1);
    let len = num(q.page_length, 100).filter(|l| (1..=MAX_PARTS as u64).contains(l));
    let (Some(page), Some(len)) = (page, len) else {
        return Err(v2(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            "page must be >= 1 and page_length between 1 and 10000.",
        ));
    };
    let expires = state.clock.now_secs() + state.config().part_link_ttl_secs;
    let addr = state.link_address();
    // A page past the last part is empty (never an overflow: `page` may be any u64).
    let first = (page - 1)
        .checked_mul(len)
        .and_then(|skip| skip.checked_add(1))
        .unwrap_or(u64::MAX);
    let last = first.saturating_add(len - 1).min(MAX_PARTS as u64);
    let mut db = state.db();
    let stored = match db.uploads.get_mut(&upload_id) {
        Some(u) => {
            // Links issued now are fresh: the stale ones of these parts are forgotten.
            let range = first.min(u64::from(u32::MAX)) as u32..=last as u32;
            u.stale_links.retain(|n| !range.contains(n));
            u.parts.clone()
        }
        None => Default::default(),
    };
    drop(db);
    let parts: Vec<Value> = (first..=last)
        .map(|n| {
            let n = n as u32;
            match stored.get(&n) {
                Some(p) => json!({"id": n, "etag": p.md5}),
                None => {
                    let sig = part_signature(&state, &upload_id, n, expires);
                    json!({"id": n, "upload_link": format!("http://{addr}/v2/uploads/{upload_id}/parts/{n}?Expires={expires}&Signature={sig}")})
                }
            }
        })
        .collect();
    Ok(Json(
        json!({"page": page, "page_length": len, "total": MAX_PARTS, "parts": parts}),
    ))
}

/// `PUT /v2/uploads/{upload_id}/parts/{n}?Expires=&Signature=` (the part's `upload_link`).
pub async fn put_part(
    State(state): State<AppState>,
    Path((upload_id, part)): Path<(String, String)>,
    Extension(flags): Extension<Flags>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    // A part may be 5 GiB exactly (S3's part limit is inclusive, the single PUT's is not).
    let len = crate::s3::content_length(&headers, MAX_S3_OBJECT + 1)?;
    let q = parse_pairs(uri.query().unwrap_or_default());
    let part: u32 = part
        .parse()
        .ok()
        .filter(|n| (1..=MAX_PARTS).contains(n))
        .ok_or_else(|| {
            AppError::s3(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                "Part number must be between 1 and 10000.",
            )
        })?;
    let expires: Option<u64> = get(&q, "Expires").and_then(|e| e.parse().ok());
    let (Some(expires), Some(sig)) = (expires, get(&q, "Signature")) else {
        return Err(AppError::s3(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Missing Expires or Signature.",
        ));
    };
    // An expired link stays expired: the fault holds until the part is listed again.
    let stale = {
        let mut db = state.db();
        let upload = db.uploads.get_mut(&upload_id);
        if flags.expire {
            if let Some(u) = upload {
                u.stale_links.insert(part);
            }
            true
        } else {
            upload.is_some_and(|u| u.stale_links.contains(&part))
        }
    };
    if stale || expires < state.clock.now_secs() {
        return Err(AppError::s3(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Request has expired",
        ));
    }
    if sig != part_signature(&state, &upload_id, part, expires) {
        return Err(AppError::s3(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        ));
    }
    let open = state.db().uploads.get(&upload_id).map(|u| !u.completed);
    if open != Some(true) {
        return Err(AppError::s3(
            StatusCode::NOT_FOUND,
            "NoSuchUpload",
            "The specified upload does not exist or is complete.",
        ));
    }
    // The body goes to a file of its own and becomes the part only if the upload is still
    // open when it has all arrived: a PUT still streaming when `complete` runs never touches
    // the completed file.
    let dir = state.parts_dir(&upload_id);
    let path = dir.join(format!("{part}.part"));
    let scratch = dir.join(format!("{part}.{}.incoming", random_hex(8)));
    let written =
        crate::store::write_file(&scratch, body.into_data_stream(), Some(len), |_| {}).await;
    let (size, md5) = match written {
        Ok(w) => w,
        Err(e) => {
            let _ = std::fs::remove_file(&scratch);
            return Err(AppError::s3(
                StatusCode::BAD_REQUEST,
                "IncompleteBody",
                format!("The body did not match Content-Length: {e}"),
            ));
        }
    };
    let mut db = state.db();
    let accepted = match db.uploads.get_mut(&upload_id) {
        Some(u) if !u.completed => match std::fs::rename(&scratch, &path) {
            Ok(()) => {
                u.parts.insert(
                    part,
                    PartInfo {
                        size,
                        md5: md5.clone(),
                        path,
                    },
                );
                true
            }
            Err(_) => false,
        },
        _ => false,
    };
    drop(db);
    if !accepted {
        let _ = std::fs::remove_file(&scratch);
        return Err(AppError::s3(
            StatusCode::NOT_FOUND,
            "NoSuchUpload",
            "The specified upload does not exist or is complete.",
        ));
    }
    let etag = if flags.wrong_etag {
        random_hex(32)
    } else {
        md5
    };
    Ok((StatusCode::OK, [(header::ETAG, format!("\"{etag}\""))]).into_response())
}

/// `PUT /v2/uploads/{upload_id}/complete` (and `/v1/...`).
pub async fn complete(
    State(state): State<AppState>,
    Path(upload_id): Path<String>,
    Extension(flags): Extension<Flags>,
    headers: HeaderMap,
    _body: Bytes,
) -> Result<Json<Value>, AppError> {
    check_token(&state, &headers, &upload_id, &flags)?;
    let upload = state
        .db()
        .uploads
        .get(&upload_id)
        .cloned()
        .ok_or_else(|| v2(StatusCode::NOT_FOUND, "not_found", "No such upload."))?;
    if upload.completed {
        return Ok(Json(json!({})));
    }
    let max = upload.parts.keys().next_back().copied().unwrap_or(0);
    let missing: Vec<u32> = (1..=max.max(1))
        .filter(|n| !upload.parts.contains_key(n))
        .collect();
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(20).map(u32::to_string).collect();
        return Err(v2(
            StatusCode::BAD_REQUEST,
            "missing_parts",
            format!("{} part(s) missing: {}", missing.len(), shown.join(", ")),
        ));
    }
    if max > MAX_PARTS {
        return Err(v2(
            StatusCode::BAD_REQUEST,
            "too_many_parts",
            "More than 10000 parts.",
        ));
    }
    if let Some((n, p)) = upload
        .parts
        .iter()
        .find(|(n, p)| **n < max && p.size < MIN_PART)
    {
        return Err(v2(
            StatusCode::BAD_REQUEST,
            "part_too_small",
            format!(
                "Part {n} is {} bytes; every part but the last must be at least {MIN_PART} bytes.",
                p.size
            ),
        ));
    }
    // The system limit holds for the assembled file too (`002_*.txt`: "100MB-25GB").
    let total: u64 = upload.parts.values().map(|p| p.size).sum();
    let max_file = state.config().max_file_bytes;
    if total > max_file {
        return Err(v2(
            StatusCode::BAD_REQUEST,
            "file_too_large",
            format!("The parts add up to {total} bytes, over the system limit of {max_file}."),
        ));
    }
    // Closed before the parts are read: from here on a late part PUT is refused.
    let parts = match state.db().uploads.get_mut(&upload_id) {
        Some(u) if !u.completed => {
            u.completed = true;
            u.parts.clone()
        }
        _ => return Ok(Json(json!({}))),
    };
    let paths: Vec<_> = parts.values().map(|p| p.path.clone()).collect();
    let (size, md5) = match crate::store::md5_files(&paths).await {
        Ok(done) => done,
        Err(e) => {
            if let Some(u) = state.db().uploads.get_mut(&upload_id) {
                u.completed = false;
            }
            return Err(e.into());
        }
    };
    crate::media::finish(&state, &upload.asset, paths, size, md5).await;
    Ok(Json(json!({})))
}
