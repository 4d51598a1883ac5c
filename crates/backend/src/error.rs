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
    /// `platform_unreachable`.
    pub code: &'static str,
    /// Plain-words explanation for a developer.
    pub message: String,
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
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}
