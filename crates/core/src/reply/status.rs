//! The v2 media status reply.

use super::{json, scalar_string, size_of};
use crate::error::UploadError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Processing state of a media.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaState {
    /// Created, waiting for bytes.
    Created,
    /// Transcoding.
    Processing,
    /// Ready to play.
    Ready,
    /// Failed.
    Failed,
    /// A state this version does not know.
    Other(String),
}

/// The v2 media reply (`GET /v2/sites/{site}/media/{id}`, or the backend's `/api/media/{id}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MediaStatus {
    /// Media id.
    pub id: String,
    /// Its state.
    pub state: MediaState,
    /// Why it failed.
    pub error_message: Option<String>,
    /// Duration in seconds, once known.
    pub duration: Option<f64>,
    /// Size in bytes, once known.
    pub size: Option<u64>,
    /// MD5 hex, once known.
    pub md5: Option<String>,
}

impl MediaStatus {
    /// Parses the v2 media reply.
    pub fn parse(body: &str) -> Result<MediaStatus, UploadError> {
        let v: Value = json(body, "media status")?;
        let id = v
            .get("id")
            .and_then(scalar_string)
            .ok_or_else(|| UploadError::invalid_reply("media status has no id"))?;
        let state = match v.get("status").and_then(Value::as_str) {
            Some("created") => MediaState::Created,
            Some("processing") | Some("updating") => MediaState::Processing,
            Some("ready") => MediaState::Ready,
            Some("failed") => MediaState::Failed,
            Some(other) => MediaState::Other(other.to_string()),
            None => return Err(UploadError::invalid_reply("media status has no status")),
        };
        Ok(MediaStatus {
            id,
            state,
            error_message: v
                .get("error_message")
                .and_then(Value::as_str)
                .map(str::to_string),
            duration: v.get("duration").and_then(Value::as_f64),
            size: v.get("size").and_then(size_of),
            md5: v.get("md5").and_then(Value::as_str).map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn media_status() {
        let m = MediaStatus::parse(
            r#"{"id":"X","type":"media","status":"failed","error_message":"short",
        "duration":null,"size":3,"md5":null,"metadata":{}}"#,
        )
        .unwrap();
        assert_eq!(m.state, MediaState::Failed);
        assert_eq!(m.error_message.as_deref(), Some("short"));
    }
}
