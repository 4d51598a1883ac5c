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
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
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
        let again: Result<UploadRequest, _> =
            serde_json::from_str(&serde_json::to_string(&req).unwrap_or_default());
        assert_eq!(again.ok(), Some(req));
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
