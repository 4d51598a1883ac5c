//! v2 management API: `POST /v2/sites/{site}/media` (direct, multipart or fetch) and
//! `GET /v2/sites/{site}/media/{id}` (status with processing time), Bearer v2 secret.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::Json;
use base64::Engine;
use serde_json::{json, Value};

use crate::error::AppError;
use crate::state::{AppState, Phase, Resource, Upload, S3_ACCESS_KEY_ID, S3_BUCKET};
use crate::util::{pct, random_hex, random_key, rfc3339};

fn check_v2(state: &AppState, headers: &HeaderMap, site_id: &str) -> Result<(), AppError> {
    match crate::auth::bearer(headers) {
        Some(t) if t == state.config().v2_secret => {}
        Some(_) => {
            return Err(AppError::v2(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "The API secret is not valid.",
            ))
        }
        None => {
            return Err(AppError::v2(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Missing Authorization: Bearer header.",
            ))
        }
    }
    if site_id != state.config().site_id {
        return Err(AppError::v2(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("No site {site_id}."),
        ));
    }
    Ok(())
}

/// A new upload token for `upload_id` (opaque, JWT-looking), registered with its expiry.
pub fn mint_upload_token(state: &AppState, upload_id: &str) -> String {
    let exp = state.clock.now_secs() + state.config().upload_token_ttl_secs;
    let head = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"upload_id": upload_id, "exp": exp}).to_string());
    let token = format!("{head}.{}", random_hex(32));
    state
        .db()
        .upload_tokens
        .insert(token.clone(), (upload_id.to_string(), exp));
    token
}

/// The pre-signed `upload_link` of a direct upload: the media's S3 object, one `PUT` before
/// `expires`. The SigV2 signature covers the `Content-Type` (`mime_type`, or none), so a PUT
/// with another type, or a type where none was given, is refused as S3 refuses it.
fn direct_link(state: &AppState, key: &str, expires: u64, mime_type: Option<&str>) -> String {
    let sig = crate::s3::sign(
        &state.s3_secret(),
        "",
        mime_type.unwrap_or(""),
        expires,
        key,
    );
    format!(
        "http://{}/{S3_BUCKET}/{key}?AWSAccessKeyId={S3_ACCESS_KEY_ID}&Expires={expires}&Signature={}",
        state.link_address(),
        pct(&sig)
    )
}

/// `POST /v2/sites/{site_id}/media`.
pub async fn create(
    State(state): State<AppState>,
    Path(site_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, AppError> {
    check_v2(&state, &headers, &site_id)?;
    let v: Value = serde_json::from_slice(&body).map_err(|e| {
        AppError::v2(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("The body is not valid JSON: {e}"),
        )
    })?;
    let method = v
        .pointer("/upload/method")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let metadata = v.get("metadata").cloned().unwrap_or_else(|| json!({}));
    let download_url = v
        .pointer("/upload/download_url")
        .and_then(Value::as_str)
        .map(str::to_string);
    if !matches!(method, "direct" | "multipart" | "fetch") {
        return Err(AppError::v2(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            "upload.method must be direct, multipart or fetch.",
        ));
    }
    let mime_type = match v.pointer("/upload/mime_type") {
        None | Some(Value::Null) => None,
        // Signed into the link, so it must be a value a `Content-Type` header can carry.
        Some(Value::String(m)) if !m.is_empty() && HeaderValue::from_str(m).is_ok() => {
            Some(m.clone())
        }
        Some(_) => {
            return Err(AppError::v2(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                "upload.mime_type must be a MIME type string.",
            ))
        }
    };
    if method == "fetch" && download_url.is_none() {
        return Err(AppError::v2(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            "upload.download_url is required for fetch.",
        ));
    }
    let now = state.clock.now_secs();
    let asset = crate::state::Asset {
        resource: Resource::Video,
        key: random_key(8),
        upload_key: random_key(8),
        token: random_hex(40),
        token_expires: now,
        session_id: random_key(40),
        method: method.to_string(),
        s3_expires: now + state.config().s3_link_ttl_secs,
        metadata: metadata.clone(),
        created: now,
        file: None,
        phase: Phase::Created,
        session: None,
        upload_id: (method == "multipart").then(|| random_hex(32)),
    };
    let mut reply = json!({"id": asset.key, "type": "media", "status": "created", "metadata": metadata, "created": rfc3339(now)});
    state.db().insert(asset.clone());
    if let Some(id) = &asset.upload_id {
        state.db().uploads.insert(
            id.clone(),
            Upload {
                asset: asset.upload_key.clone(),
                parts: Default::default(),
                completed: false,
                stale_links: Default::default(),
            },
        );
        let token = mint_upload_token(&state, id);
        if let Some(o) = reply.as_object_mut() {
            o.insert("upload_id".into(), json!(id));
            o.insert("upload_token".into(), json!(token));
        }
    }
    if method == "direct" {
        let link = direct_link(&state, &asset.key, asset.s3_expires, mime_type.as_deref());
        if let Some(o) = reply.as_object_mut() {
            o.insert("upload_link".into(), json!(link));
        }
    }
    if let Some(url) = download_url {
        crate::media::start_fetch(&state, asset.upload_key.clone(), url);
    }
    Ok(Json(reply))
}

/// `GET /v2/sites/{site_id}/media/{media_id}`.
pub async fn status(
    State(state): State<AppState>,
    Path((site_id, media_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    check_v2(&state, &headers, &site_id)?;
    let asset = state.db().asset_by_key(Resource::Video, &media_id).cloned();
    match asset {
        Some(a) => Ok(Json(crate::media::v2_view(&state, &a))),
        None => Err(AppError::v2(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("No media {media_id}."),
        )),
    }
}
