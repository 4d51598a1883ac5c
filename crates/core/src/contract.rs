//! The browser -> customer backend request (`POST /api/uploads`), defined once for both sides.
//!
//! The browser layer sends it; the reference backend extracts it with `Json<UploadRequest>` and
//! only validates it. Unknown fields are refused, so a typo or an injected field is a 400 that
//! names it rather than something silently passed on.

use serde::{Deserialize, Serialize};

use crate::link::Resource;
use crate::method::Method;

/// The JSON body of `POST /api/uploads`: which upload the browser wants credentials for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    /// The upload method; required for videos, `form` for the other resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Method>,
    /// The local file (absent, or with an empty name, for a fetch upload).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileInfo>,
    /// Metadata for the media (`title`, `description`, ...), checked by the backend's allowlist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// The media to renew credentials for (a resumed s3, form or resumable upload).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    /// What is uploaded: a video (the default), a thumbnail, a track, an image or a skin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    /// The video a thumbnail or track belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_key: Option<String>,
    /// The URL the platform fetches (method `fetch` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
}

/// The media's metadata as the browser sent it: JSON text, kept as it is (the browser builds it
/// with `JSON.stringify`, so the wasm carries no JSON value type); the backend reads it as an
/// object with [`Metadata::object`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Metadata(Box<serde_json::value::RawValue>);

impl Metadata {
    /// Metadata from JSON text (refused when it is not JSON).
    pub fn from_json(text: String) -> Result<Self, serde_json::Error> {
        serde_json::value::RawValue::from_string(text).map(Metadata)
    }

    /// The JSON text.
    pub fn json(&self) -> &str {
        self.0.get()
    }

    /// The metadata as a JSON object; anything else is refused with the reason.
    pub fn object(&self) -> Result<serde_json::Map<String, serde_json::Value>, String> {
        serde_json::from_str(self.0.get()).map_err(|_| "metadata must be a JSON object".to_string())
    }
}

impl PartialEq for Metadata {
    fn eq(&self, other: &Self) -> bool {
        self.json() == other.json()
    }
}

/// The file an upload request describes, as the browser's `File` reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileInfo {
    /// The file name (no path).
    pub name: String,
    /// The size in bytes.
    pub size: u64,
    /// The MIME type the browser reports (may be empty).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_body_round_trips() {
        let text = r#"{"method":"s3","file":{"name":"a.mp4","size":5,"type":"video/mp4"},
            "metadata":{"title":"A"},"media_id":"K1"}"#;
        let parsed: Result<UploadRequest, _> = serde_json::from_str(text);
        let Ok(req) = parsed else {
            panic!("does not parse: {parsed:?}");
        };
        assert_eq!(req.method, Some(Method::S3));
        assert_eq!(req.file.as_ref().map(|f| f.size), Some(5));
        assert_eq!(req.media_id.as_deref(), Some("K1"));
        let title = req.metadata.as_ref().and_then(|m| m.object().ok());
        assert_eq!(
            title.and_then(|m| m.get("title").cloned()),
            Some("A".into())
        );
        let again: Result<UploadRequest, _> =
            serde_json::from_str(&serde_json::to_string(&req).unwrap_or_default());
        assert_eq!(again.ok(), Some(req));
    }

    #[test]
    fn metadata_that_is_not_an_object_is_refused_with_the_reason() {
        let req = serde_json::from_str::<UploadRequest>(r#"{"metadata":[1,2]}"#);
        let refused = req.ok().and_then(|r| r.metadata).map(|m| m.object());
        assert_eq!(refused, Some(Err("metadata must be a JSON object".into())));
        assert!(Metadata::from_json("{not json".into()).is_err());
    }

    #[test]
    fn an_unknown_field_is_refused_by_name() {
        let err = serde_json::from_str::<UploadRequest>(r#"{"method":"s3","sourceurl":"x"}"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("sourceurl"), "{err}");
    }
}
