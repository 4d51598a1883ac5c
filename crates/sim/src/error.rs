//! Platform-shaped errors: v1 (JSON or XML), v2 (`errors` list), S3 (XML) and admin.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// Reply format of a v1 endpoint (`api_format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// `api_format=json` (and py/php, answered as JSON).
    #[default]
    Json,
    /// `api_format=xml`.
    Xml,
}

impl Format {
    /// From the `api_format` parameter.
    pub fn parse(s: Option<&str>) -> Format {
        match s {
            Some(f) if f.eq_ignore_ascii_case("xml") => Format::Xml,
            _ => Format::Json,
        }
    }
}

/// Any error the simulator answers, in the shape of the API that raised it.
#[derive(Debug)]
pub enum AppError {
    /// v1 management / upload error.
    V1 {
        status: StatusCode,
        code: &'static str,
        message: String,
        format: Format,
        rate_limit: Option<Value>,
        retry_after: Option<String>,
    },
    /// v2 error: `{"errors":[{"code","description"}]}`.
    V2 {
        status: StatusCode,
        code: &'static str,
        description: String,
        retry_after: Option<String>,
    },
    /// S3 XML error.
    S3 {
        status: StatusCode,
        code: &'static str,
        message: String,
        retry_after: Option<String>,
    },
    /// Admin / internal error: `{"error": "..."}`.
    Plain { status: StatusCode, message: String },
}

impl AppError {
    /// v1 error in JSON (format can be changed with [`AppError::in_format`]).
    pub fn v1(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
        debug_assert!(
            V1_CODES.iter().any(|(c, _)| *c == code),
            "{code} is not a code of the official client's set"
        );
        AppError::V1 {
            status,
            code,
            message: message.into(),
            format: Format::Json,
            rate_limit: None,
            retry_after: None,
        }
    }

    /// v2 error.
    pub fn v2(status: StatusCode, code: &'static str, description: impl Into<String>) -> AppError {
        AppError::V2 {
            status,
            code,
            description: description.into(),
            retry_after: None,
        }
    }

    /// S3 error.
    pub fn s3(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
        AppError::S3 {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// Internal error (disk I/O and the like).
    pub fn internal(message: impl std::fmt::Display) -> AppError {
        AppError::Plain {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.to_string(),
        }
    }

    /// Admin request error.
    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError::Plain {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// Sets the v1 reply format.
    pub fn in_format(mut self, f: Format) -> AppError {
        if let AppError::V1 { format, .. } = &mut self {
            *format = f;
        }
        self
    }

    /// Attaches the v1 `rate_limit` block.
    pub fn with_rate_limit(mut self, block: Value) -> AppError {
        if let AppError::V1 { rate_limit, .. } = &mut self {
            *rate_limit = Some(block);
        }
        self
    }

    /// Adds a `Retry-After` header.
    pub fn with_retry_after(mut self, value: Option<String>) -> AppError {
        match &mut self {
            AppError::V1 { retry_after, .. }
            | AppError::V2 { retry_after, .. }
            | AppError::S3 { retry_after, .. } => *retry_after = value,
            AppError::Plain { .. } => {}
        }
        self
    }

    /// HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::V1 { status, .. }
            | AppError::V2 { status, .. }
            | AppError::S3 { status, .. }
            | AppError::Plain { status, .. } => *status,
        }
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::internal(format!("disk error: {e}"))
    }
}

/// The v1 error codes and titles the official Python client knows (jwplatform 2.2.2,
/// `v1/errors.py`: class `JWPlatform{Code}Error`, title = its docstring). The simulator answers
/// only these.
pub const V1_CODES: &[(&str, &str)] = &[
    ("NotFound", "Not Found"),
    ("NoMethod", "No Method Specified"),
    ("NotImplemented", "Method Not Implemented"),
    ("NotSupported", "Method or parameter not supported"),
    ("CallFailed", "Call Failed"),
    ("CallUnavailable", "Call Unavailable"),
    ("CallInvalid", "Call Invalid"),
    ("ParameterMissing", "Missing Parameter"),
    ("ParameterEmpty", "Empty Parameter"),
    ("ParameterEncoding", "Parameter Encoding Error"),
    ("ParameterInvalid", "Invalid Parameter"),
    ("PreconditionFailed", "Precondition Failed"),
    ("ItemAlreadyExists", "Item Already Exists"),
    ("PermissionDenied", "Permission Denied"),
    ("Database", "Database Error"),
    ("Integrity", "Integrity Error"),
    ("DigestMissing", "Digest Missing"),
    ("DigestInvalid", "Digest Invalid"),
    ("FileUploadFailed", "File Upload Failed"),
    ("FileSizeMissing", "File Size Missing"),
    ("FileSizeInvalid", "File Size Invalid"),
    ("Internal", "Internal Error"),
    ("ApiKeyMissing", "User Key Missing"),
    ("ApiKeyInvalid", "User Key Invalid"),
    ("TimestampMissing", "Timestamp Missing"),
    ("TimestampInvalid", "Timestamp Invalid"),
    ("TimestampExpired", "Timestamp Expired"),
    ("NonceMissing", "Nonce Missing"),
    ("NonceInvalid", "Nonce Invalid"),
    ("SignatureMissing", "Signature Missing"),
    ("SignatureInvalid", "Signature Invalid"),
    ("RateLimitExceeded", "Rate Limit Exceeded"),
];

/// v1 `title` for an error code.
fn title(code: &str) -> &'static str {
    V1_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("Error", |(_, t)| *t)
}

/// Builds a response with a body, content type and optional `Retry-After`.
pub fn reply(
    status: StatusCode,
    ctype: &'static str,
    body: String,
    retry: Option<String>,
) -> Response {
    let mut resp = (status, [(header::CONTENT_TYPE, ctype)], body).into_response();
    if let Some(r) = retry.and_then(|r| HeaderValue::from_str(&r).ok()) {
        resp.headers_mut().insert(header::RETRY_AFTER, r);
    }
    resp
}

/// Renders a v1 value in the requested format.
pub fn v1_body(value: &Value, format: Format) -> (&'static str, String) {
    match format {
        Format::Json => ("application/json", value.to_string()),
        Format::Xml => ("application/xml", crate::xml::render(value)),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::V1 {
                status,
                code,
                message,
                format,
                rate_limit,
                retry_after,
            } => {
                let mut v =
                    json!({"status":"error","code":code,"title":title(code),"message":message});
                if let (Some(rl), Some(obj)) = (rate_limit, v.as_object_mut()) {
                    obj.insert("rate_limit".into(), rl);
                }
                let (ct, body) = v1_body(&v, format);
                reply(status, ct, body, retry_after)
            }
            AppError::V2 {
                status,
                code,
                description,
                retry_after,
            } => {
                let v = json!({"errors":[{"code":code,"description":description}]});
                reply(status, "application/json", v.to_string(), retry_after)
            }
            AppError::S3 {
                status,
                code,
                message,
                retry_after,
            } => {
                let body = format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message><RequestId>{}</RequestId></Error>",
                    crate::xml::escape(&message),
                    crate::util::random_hex(16).to_uppercase()
                );
                reply(status, "application/xml", body, retry_after)
            }
            AppError::Plain { status, message } => {
                if status.is_server_error() {
                    tracing::error!("{message}");
                }
                let v = json!({"error": message});
                reply(status, "application/json", v.to_string(), None)
            }
        }
    }
}
