//! S3 direct upload: `PUT /{bucket}/{key}` with SigV2 query auth (`AWSAccessKeyId`, `Expires`,
//! `Signature`), S3 XML errors, streamed to disk with MD5, `ETag` reply.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::error::AppError;
use crate::faults::Flags;
use crate::state::{AppState, MAX_S3_OBJECT, S3_ACCESS_KEY_ID, S3_BUCKET};
use crate::util::{get, parse_pairs};

/// Keyed HMAC-SHA1 of `msg`.
pub fn hmac_sha1(secret: &str, msg: &str) -> Vec<u8> {
    match Hmac::<Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(msg.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// SigV2 query signature: `base64(hmac_sha1(secret, "PUT\n{md5}\n{type}\n{expires}\n/{bucket}/{key}"))`.
pub fn sign(
    secret: &str,
    content_md5: &str,
    content_type: &str,
    expires: u64,
    key: &str,
) -> String {
    let msg = format!("PUT\n{content_md5}\n{content_type}\n{expires}\n/{S3_BUCKET}/{key}");
    base64::engine::general_purpose::STANDARD.encode(hmac_sha1(secret, &msg))
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> &str {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// Declared `Content-Length`, refusing bodies over `max` before reading them.
pub fn content_length(headers: &HeaderMap, limit: u64) -> Result<u64, AppError> {
    // No Content-Length and no Transfer-Encoding is an empty body (RFC 9112); chunked is refused.
    let declared = headers.get(header::CONTENT_LENGTH);
    let chunked = headers.contains_key(header::TRANSFER_ENCODING);
    let len = declared
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .or(if declared.is_none() && !chunked {
            Some(0)
        } else {
            None
        })
        .ok_or_else(|| {
            AppError::s3(
                StatusCode::LENGTH_REQUIRED,
                "MissingContentLength",
                "You must provide the Content-Length HTTP header.",
            )
        })?;
    if len >= limit {
        return Err(AppError::s3(
            StatusCode::BAD_REQUEST,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed object size.",
        ));
    }
    Ok(len)
}

/// `PUT /{bucket}/{key}?AWSAccessKeyId=..&Expires=..&Signature=..`.
pub async fn put_object(
    State(state): State<AppState>,
    Path((bucket, key)): Path<(String, String)>,
    Extension(flags): Extension<Flags>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let q = parse_pairs(uri.query().unwrap_or_default());
    let len = content_length(&headers, MAX_S3_OBJECT)?;
    if bucket != S3_BUCKET {
        return Err(AppError::s3(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist.",
        ));
    }
    let (Some(access), Some(expires), Some(signature)) = (
        get(&q, "AWSAccessKeyId"),
        get(&q, "Expires"),
        get(&q, "Signature"),
    ) else {
        return Err(AppError::s3(StatusCode::FORBIDDEN, "AccessDenied", "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters."));
    };
    if access != S3_ACCESS_KEY_ID {
        return Err(AppError::s3(
            StatusCode::FORBIDDEN,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        ));
    }
    let expires: u64 = expires.parse().map_err(|_| {
        AppError::s3(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Invalid date (should be seconds since epoch).",
        )
    })?;
    if flags.expire || expires < state.clock.now_secs() {
        return Err(AppError::s3(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Request has expired",
        ));
    }
    let expected = sign(
        &state.s3_secret(),
        header_str(&headers, header::HeaderName::from_static("content-md5")),
        header_str(&headers, header::CONTENT_TYPE),
        expires,
        &key,
    );
    if expected != signature {
        return Err(AppError::s3(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        ));
    }
    let upload_key = state
        .db()
        .by_key
        .get(&(crate::state::Resource::Video, key.clone()))
        .cloned()
        .ok_or_else(|| {
            AppError::s3(
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
            )
        })?;
    let path = state.files_dir().join(format!("{upload_key}.s3"));
    let (size, md5) = crate::store::write_file(&path, body.into_data_stream(), Some(len), |_| {})
        .await
        .map_err(|e| {
            AppError::s3(
                StatusCode::BAD_REQUEST,
                "IncompleteBody",
                format!("You did not provide the number of bytes specified by the Content-Length HTTP header: {e}"),
            )
        })?;
    crate::media::finish(&state, &upload_key, vec![path], size, md5.clone()).await;
    let etag = if flags.wrong_etag {
        crate::util::random_hex(32)
    } else {
        md5
    };
    Ok((StatusCode::OK, [(header::ETAG, format!("\"{etag}\""))]).into_response())
}
