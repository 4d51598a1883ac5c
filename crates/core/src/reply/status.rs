//! The v2 media status reply.

use super::json;
use super::leaf::Leaf;
use crate::error::UploadError;
use serde::{Deserialize, Serialize};

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
        #[derive(Deserialize)]
        #[serde(default)]
        #[derive(Default)]
        struct Raw {
            id: Leaf,
            status: Leaf,
            error_message: Leaf,
            duration: Leaf,
            size: Leaf,
            md5: Leaf,
        }
        let v: Raw = json(body, "media status")?;
        let id = (v.id.scalar_string())
            .ok_or_else(|| UploadError::invalid_reply("media status has no id"))?;
        let state = match v.status.text().as_deref() {
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
            error_message: v.error_message.text(),
            duration: v.duration.number(),
            size: v.size.size(),
            md5: v.md5.text(),
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
