//! Typed upload errors: a stable `code`, a plain-words message, and whether trying again may help.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The stable machine-readable name of an error, shown to JS as `error.code`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The file has no bytes.
    EmptyFile,
    /// The file is over the chosen method's limit (5 GiB for s3).
    TooLargeForMethod,
    /// The file is over the platform's 25 GiB limit.
    TooLarge,
    /// The plan would need more than 10,000 parts.
    TooManyParts,
    /// The video is shorter than 2 seconds.
    TooShort,
    /// Upload credentials expired and could not be renewed.
    CredentialsExpired,
    /// The server refused the upload.
    ServerRejected,
    /// What the server stored does not match the file.
    Integrity,
    /// The file changed on disk (or became unreadable) while it was being uploaded.
    FileChanged,
    /// The upload was cancelled.
    Cancelled,
    /// The network failed too often.
    Network,
    /// The server's reply could not be understood.
    InvalidReply,
    /// The platform could not process the uploaded media.
    ProcessingFailed,
    /// The driver asked for something the engine cannot do (wrong method for a resource, ...).
    InvalidConfig,
    /// The bytes are in, but the status endpoint kept answering "not found" (or refusing):
    /// processing can no longer be followed.
    StatusUnavailable,
}

impl ErrorCode {
    /// The code as the stable snake_case string.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::EmptyFile => "empty_file",
            ErrorCode::TooLargeForMethod => "too_large_for_method",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::TooManyParts => "too_many_parts",
            ErrorCode::TooShort => "too_short",
            ErrorCode::CredentialsExpired => "credentials_expired",
            ErrorCode::ServerRejected => "server_rejected",
            ErrorCode::Integrity => "integrity",
            ErrorCode::FileChanged => "file_changed",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::Network => "network",
            ErrorCode::InvalidReply => "invalid_reply",
            ErrorCode::ProcessingFailed => "processing_failed",
            ErrorCode::InvalidConfig => "invalid_config",
            ErrorCode::StatusUnavailable => "status_unavailable",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An upload error as the UI sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadError {
    /// Stable code.
    pub code: ErrorCode,
    /// Plain-words message for people.
    pub message: String,
    /// Whether trying the same upload again later may succeed.
    pub retryable: bool,
    /// HTTP status of the reply that caused it, if any.
    pub status: Option<u16>,
    /// The platform's own error code (`TokenExpired`, `missing_parts`, `AccessDenied`...), if any.
    pub platform_code: Option<String>,
    /// The platform's own message, if any.
    pub platform_message: Option<String>,
}

impl UploadError {
    /// A new error with no HTTP details.
    pub fn new(code: ErrorCode, message: impl Into<String>, retryable: bool) -> Self {
        UploadError {
            code,
            message: message.into(),
            retryable,
            status: None,
            platform_code: None,
            platform_message: None,
        }
    }

    /// Adds the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Adds the platform's code and message.
    pub fn with_platform(mut self, code: Option<String>, message: Option<String>) -> Self {
        self.platform_code = code;
        self.platform_message = message;
        self
    }

    /// The file is empty.
    pub fn empty_file() -> Self {
        Self::new(ErrorCode::EmptyFile, "The file is empty.", false)
    }

    /// The file can no longer be read as it was chosen (changed, moved or deleted on disk).
    pub fn file_changed() -> Self {
        Self::new(
            ErrorCode::FileChanged,
            "The file changed on disk during the upload (or can no longer be read): choose it again.",
            false,
        )
    }

    /// The user cancelled.
    pub fn cancelled() -> Self {
        Self::new(ErrorCode::Cancelled, "The upload was cancelled.", false)
    }

    /// A reply could not be understood.
    pub fn invalid_reply(what: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::InvalidReply,
            format!("The server sent a reply that could not be understood: {what}."),
            true,
        )
    }

    /// The video is shorter than the platform's 2-second minimum (measured by the driver).
    pub fn too_short(seconds: f64) -> Self {
        // Tenths in integers: `{:.1}` of an f64 links the float formatter (about 20 KB of wasm).
        let tenths = (seconds.abs() * 10.0).round() as u64;
        let sign = if seconds < 0.0 && tenths > 0 { "-" } else { "" };
        Self::new(
            ErrorCode::TooShort,
            format!(
                "The video lasts {sign}{}.{} s; the platform needs at least 2 seconds.",
                tenths / 10,
                tenths % 10
            ),
            false,
        )
    }

    /// Integrity failure.
    pub fn integrity(what: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::Integrity,
            format!("The uploaded data does not match the file: {what}."),
            true,
        )
    }
}

impl fmt::Display for UploadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(s) = self.status {
            write!(f, " (HTTP {s})")?;
        }
        if let Some(m) = &self.platform_message {
            write!(f, " [{m}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for UploadError {}

/// The 2-second rule: the driver measures the duration (when the browser can decode the file),
/// the core names the error. `None` (unknown duration) passes.
pub fn check_duration(seconds: Option<f64>) -> Result<(), UploadError> {
    match seconds {
        Some(s) if s.is_finite() && s < 2.0 => Err(UploadError::too_short(s)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_strings() {
        assert_eq!(
            ErrorCode::TooLargeForMethod.as_str(),
            "too_large_for_method"
        );
        let json = serde_json::to_string(&ErrorCode::CredentialsExpired).unwrap_or_default();
        assert_eq!(json, "\"credentials_expired\"");
    }

    #[test]
    fn two_second_rule() {
        assert!(check_duration(None).is_ok());
        assert!(check_duration(Some(2.0)).is_ok());
        assert_eq!(
            check_duration(Some(1.5)).err().map(|e| e.code),
            Some(ErrorCode::TooShort)
        );
        assert!(check_duration(Some(f64::NAN)).is_ok());
        let says = |s: f64| UploadError::too_short(s).message;
        assert!(says(1.46).contains("lasts 1.5 s"), "{}", says(1.46));
        assert!(says(0.04).contains("lasts 0.0 s"), "{}", says(0.04));
        assert!(says(1.99).contains("lasts 2.0 s"), "{}", says(1.99));
    }
}
