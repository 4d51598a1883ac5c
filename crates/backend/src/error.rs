//! `ApiError`: the backend's own 4xx/5xx replies, `{"error":{"code","message"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// A reply the backend makes itself (as opposed to a platform reply it relays).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code: `bad_request`, `csrf`, `origin`, `not_found`,
    /// `platform_unreachable`, `forbidden`, `not_enabled`, `rate_limited`.
    pub code: &'static str,
    /// Plain-words explanation for a developer.
    pub message: String,
    /// Seconds for a `Retry-After` header (429s).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// 400 `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// A `bad_request` with another 4xx status (413, 415).
    pub fn bad_request_status(status: StatusCode, message: impl Into<String>) -> Self {
        Self::new(status, "bad_request", message)
    }

    /// 403 `csrf`: the token header does not match the cookie.
    pub fn csrf(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "csrf", message)
    }

    /// 403 `origin`: the request does not come from an allowed origin.
    pub fn origin(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "origin", message)
    }

    /// 403 `forbidden`: the policy refuses. The same answer whether the media is someone
    /// else's or does not exist, so nothing about other browsers' media leaks.
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this browser may not act on that media: it was not uploaded from here, or it has \
             expired, or it does not exist",
        )
    }

    /// 403 `not_enabled`: a method or resource this backend does not offer.
    pub fn forbidden_kind(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "not_enabled", message)
    }

    /// 429 `rate_limited`, with `Retry-After: secs`.
    pub fn rate_limited(secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many uploads from this address; try again after the Retry-After seconds",
        );
        e.retry_after = Some(secs.max(1));
        e
    }

    /// 421 `host`: the request names a `Host` that is not this backend's public origin.
    pub fn misdirected() -> Self {
        Self::new(
            StatusCode::MISDIRECTED_REQUEST,
            "host",
            "this backend answers only at its configured public origin",
        )
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 405 `bad_request`.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "bad_request",
            "this endpoint does not take that HTTP method",
        )
    }

    /// 502 `platform_unreachable`.
    pub fn platform_unreachable() -> Self {
        Self::new(
            StatusCode::BAD_GATEWAY,
            "platform_unreachable",
            "the video platform could not be reached; try again later",
        )
    }

    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        response
    }
}
