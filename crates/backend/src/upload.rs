//! `POST /api/uploads` input: validation of the browser's JSON and the platform call it maps to.

use jw_upload_core::method::S3_LIMIT;
use jw_upload_core::{Method, Resource, UploadRequest};
use serde_json::{Map, Value};

use crate::config::MetadataRules;
use crate::error::ApiError;
use crate::metadata::{self, Target};
use crate::policy::Action;

/// An s3 upload takes files smaller than this (5 GiB, the platform's "less than 5GB"); it is
/// the core's [`S3_LIMIT`], so the browser and the backend draw the line at the same byte.
pub const S3_MAX_BYTES: u64 = S3_LIMIT;
/// Largest file the platform takes at all (25 GiB).
pub const MAX_BYTES: u64 = 25 * 1024 * 1024 * 1024;
/// Longest file name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 255;

/// What the configuration allows a browser to ask for.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// The metadata allowlist.
    pub metadata: MetadataRules,
    /// Whether image and skin uploads are on.
    pub account_uploads: bool,
    /// Whether fetch uploads are on.
    pub fetch: bool,
    /// Video file types taken (HTML `accept` syntax); empty: any.
    pub allowed_types: String,
    /// Which API generations the backend holds credentials for.
    pub apis: Apis,
}

/// The API generations a backend holds credentials for (both by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Apis {
    /// The v1 key and secret: s3, form, resumable, thumbnails, tracks, images, skins.
    pub v1: bool,
    /// The v2 secret: direct, multipart, fetch.
    pub v2: bool,
}

impl Default for Apis {
    fn default() -> Self {
        Apis { v1: true, v2: true }
    }
}

/// The platform call an upload request maps to.
#[derive(Debug, Clone, PartialEq)]
pub enum PlatformCall {
    /// A signed v1 call, e.g. `videos/create`, with its parameters (before `api_*` ones).
    V1 {
        /// Path after `/v1/`.
        call: &'static str,
        /// Call parameters.
        params: Vec<(String, String)>,
    },
    /// `POST /v2/sites/{site}/media` with this JSON body.
    V2Create {
        /// The request body.
        body: Value,
    },
}

/// A validated request: the call to make, and what the policy must allow first.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// The platform call.
    pub call: PlatformCall,
    /// The action it performs.
    pub action: Action,
    /// The existing media it acts on (renew, thumbnail, track).
    pub media_id: Option<String>,
    /// What is uploaded.
    pub resource: Resource,
    /// The `download_url` of a fetch upload (checked against the fetch allowlist).
    pub download_url: Option<String>,
}

/// Parses `body` as an [`UploadRequest`] and validates it (see [`plan_request`]).
pub fn plan(body: &[u8], rules: &Rules) -> Result<Planned, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let req: UploadRequest = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        ApiError::bad_request(format!("the body is not a valid upload request: {e}"))
    })?;
    de.end().map_err(|e| {
        ApiError::bad_request(format!("the body is not a valid upload request: {e}"))
    })?;
    plan_request(&req, rules)
}

/// The longest v1 query string sent (the platform's URLs stay well under its limits).
pub const MAX_QUERY_BYTES: usize = 16 * 1024;

/// Validates a `POST /api/uploads` request into the platform call to make.
pub fn plan_request(req: &UploadRequest, rules: &Rules) -> Result<Planned, ApiError> {
    let planned = plan_checked(req, rules)?;
    if let PlatformCall::V1 { params, .. } = &planned.call {
        if crate::sign::canonical_query(params).len() > MAX_QUERY_BYTES {
            return Err(ApiError::bad_request_status(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                format!("the metadata makes a platform call over {MAX_QUERY_BYTES} bytes"),
            ));
        }
    }
    Ok(planned)
}

fn plan_checked(req: &UploadRequest, rules: &Rules) -> Result<Planned, ApiError> {
    let resource = req.resource.unwrap_or_default();
    if matches!(resource, Resource::Image | Resource::Skin) && !rules.account_uploads {
        return Err(ApiError::forbidden_kind(
            "image and skin uploads are not enabled on this backend",
        ));
    }
    let method = match (req.method, resource) {
        (Some(m), _) => m,
        (None, Resource::Video) => {
            return Err(ApiError::bad_request(
                "method is required: one of s3, form, resumable, direct, multipart, fetch",
            ))
        }
        (None, _) => Method::Form,
    };
    if resource != Resource::Video && method != Method::Form {
        return Err(ApiError::bad_request(
            "thumbnails, tracks, images and skins are uploaded with method form",
        ));
    }
    let (needs, held) = match method.is_v2() {
        true => ("the v2 secret", rules.apis.v2),
        false => ("the v1 API key and secret", rules.apis.v1),
    };
    if !held {
        return Err(ApiError::forbidden_kind(format!(
            "method {method} needs {needs}, which this backend does not hold (GET /api/config \
             lists the methods it can mint)"
        )));
    }
    if method == Method::Fetch && !rules.fetch {
        return Err(ApiError::forbidden_kind(
            "fetch uploads are not enabled on this backend",
        ));
    }
    let file = file_info(req, method)?;
    if let (Some(f), Resource::Video) = (&req.file, resource) {
        let ty = f.content_type.as_deref().unwrap_or("");
        if method != Method::Fetch {
            jw_upload_core::accept::check(&rules.allowed_types, &f.name, ty).map_err(|r| {
                ApiError::bad_request_status(
                    axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("file type not allowed: this backend {r}"),
                )
            })?;
        }
    }
    if let Some(size) = file.as_ref().map(|f| f.size) {
        if matches!(method, Method::S3 | Method::Direct) && size >= S3_MAX_BYTES {
            return Err(ApiError::bad_request(format!(
                "file.size is at or over the 5 GB limit of {method} uploads: use multipart or resumable"
            )));
        }
        if size > MAX_BYTES {
            return Err(ApiError::bad_request(
                "file.size is over the platform's 25 GB limit",
            ));
        }
    }
    let download_url = download_url(req, method)?;
    let metadata = match &req.metadata {
        Some(m) => m.object().map_err(ApiError::bad_request)?,
        None => Default::default(),
    };
    let video_key = opt_id(req.video_key.as_deref(), "video_key")?;
    let media_id = opt_id(req.media_id.as_deref(), "media_id")?;
    let file_name = file
        .as_ref()
        .map(|f| f.name.clone())
        .or_else(|| download_url.as_deref().and_then(url_file_name));

    if resource != Resource::Video {
        if media_id.is_some() {
            return Err(ApiError::bad_request(
                "media_id (renewal) is only for video uploads",
            ));
        }
        let call = resource_call(resource, video_key.clone(), metadata, file_name, rules)?;
        let action = match resource {
            Resource::Thumbnail => Action::Thumbnail,
            Resource::Track => Action::Track,
            _ => Action::Create,
        };
        return Ok(Planned {
            call,
            action,
            media_id: video_key,
            resource,
            download_url: None,
        });
    }

    let renew = match (media_id, video_key) {
        (Some(m), Some(v)) if m != v => {
            return Err(ApiError::bad_request(
                "media_id and video_key name different videos",
            ))
        }
        (m, v) => m.or(v),
    };
    let planned = |call, action, media_id| Planned {
        call,
        action,
        media_id,
        resource,
        download_url: download_url.clone(),
    };
    match method {
        Method::Direct | Method::Multipart | Method::Fetch => {
            if renew.is_some() {
                return Err(ApiError::bad_request(
                    "media_id (renewal) is for s3, form and resumable; multipart links are \
                     renewed by listing the parts again with the upload token, and a direct \
                     link by a new create",
                ));
            }
            let mut metadata = metadata::v2_metadata(&metadata, &rules.metadata)?;
            default_title(&mut metadata, file_name);
            let (upload, action) = match &download_url {
                Some(url) => (
                    serde_json::json!({"method": "fetch", "download_url": url}),
                    Action::Fetch,
                ),
                // No `mime_type`: the PUT to a direct link then carries no Content-Type, as
                // the core sends it (docs/platform-contract.md, "direct").
                None => (
                    serde_json::json!({"method": method.as_str()}),
                    Action::Create,
                ),
            };
            let body = serde_json::json!({"upload": upload, "metadata": metadata});
            Ok(planned(PlatformCall::V2Create { body }, action, None))
        }
        Method::S3 | Method::Form | Method::Resumable => {
            let mut params = metadata::v1_params(&metadata, Target::V1Video, &rules.metadata)?;
            if renew.is_none() && !params.iter().any(|(k, _)| k == "title") {
                if let Some(name) = file_name {
                    params.push(("title".into(), name));
                }
            }
            match method {
                Method::S3 => params.push(("upload_method".into(), "s3".into())),
                Method::Resumable => params.push(("upload_method".into(), "resumable".into())),
                _ => {}
            }
            let (call, action) = match &renew {
                Some(key) => {
                    params.push(("video_key".into(), key.clone()));
                    ("videos/update", Action::Renew)
                }
                None => ("videos/create", Action::Create),
            };
            Ok(planned(PlatformCall::V1 { call, params }, action, renew))
        }
    }
}

fn resource_call(
    resource: Resource,
    video_key: Option<String>,
    mut metadata: Map<String, Value>,
    file_name: Option<String>,
    rules: &Rules,
) -> Result<PlatformCall, ApiError> {
    let need_key = |what: &str| {
        video_key.clone().ok_or_else(|| {
            ApiError::bad_request(format!("a {what} upload needs the video_key it belongs to"))
        })
    };
    let (call, key) = match resource {
        Resource::Thumbnail => ("videos/thumbnails/update", Some(need_key("thumbnail")?)),
        Resource::Track => {
            let key = need_key("track")?;
            if !metadata.contains_key("kind") {
                metadata.insert("kind".into(), "captions".into());
            }
            if !metadata.contains_key("label") {
                let label = metadata
                    .get("title")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or(file_name);
                if let Some(label) = label {
                    metadata.insert("label".into(), label.into());
                }
            }
            metadata.remove("title");
            ("videos/tracks/create", Some(key))
        }
        Resource::Image => ("accounts/images/create", None),
        Resource::Skin => ("accounts/skins/create", None),
        Resource::Video => ("videos/create", None),
    };
    if matches!(resource, Resource::Image | Resource::Skin) && video_key.is_some() {
        return Err(ApiError::bad_request(
            "video_key is only for thumbnail and track uploads",
        ));
    }
    let target = match resource {
        Resource::Thumbnail => Target::Thumbnail,
        Resource::Track => Target::Track,
        _ => Target::Account,
    };
    let mut params = metadata::v1_params(&metadata, target, &rules.metadata)?;
    if let Some(key) = key {
        params.push(("video_key".into(), key));
    }
    Ok(PlatformCall::V1 { call, params })
}

struct FileInfo {
    name: String,
    size: u64,
}

fn file_info(req: &UploadRequest, method: Method) -> Result<Option<FileInfo>, ApiError> {
    let file = match &req.file {
        // A fetch upload has no local file: a browser may still send an empty description.
        None if method == Method::Fetch => return Ok(None),
        Some(f) if method == Method::Fetch && f.name.trim().is_empty() => return Ok(None),
        None => {
            return Err(ApiError::bad_request(
                "file is required: {\"name\": ..., \"size\": ..., \"type\": ...}",
            ))
        }
        Some(f) => f,
    };
    let name = file.name.clone();
    if name.trim().is_empty() {
        return Err(ApiError::bad_request("file.name must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::bad_request(format!(
            "file.name is longer than {MAX_NAME_CHARS} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "file.name must not contain control characters",
        ));
    }
    if file
        .content_type
        .as_ref()
        .is_some_and(|t| t.len() > 255 || t.chars().any(char::is_control))
    {
        return Err(ApiError::bad_request("file.type is not a MIME type"));
    }
    Ok(Some(FileInfo {
        name,
        size: file.size,
    }))
}

fn download_url(req: &UploadRequest, method: Method) -> Result<Option<String>, ApiError> {
    match (method, req.download_url.as_deref()) {
        (Method::Fetch, None) => Err(ApiError::bad_request(
            "method fetch needs a download_url (http or https)",
        )),
        (Method::Fetch, Some(url)) => {
            let parsed = reqwest::Url::parse(url)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
            match parsed {
                Some(_) if url.len() <= 2048 && !url.chars().any(char::is_control) => {
                    Ok(Some(url.to_owned()))
                }
                _ => Err(ApiError::bad_request(
                    "download_url must be an http or https URL (at most 2048 characters)",
                )),
            }
        }
        (_, Some(_)) => Err(ApiError::bad_request(
            "download_url is only for method fetch",
        )),
        (_, None) => Ok(None),
    }
}

/// The last path segment of `url`, decoded, when it is a usable title.
fn url_file_name(url: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok()?;
    let last = url.path_segments()?.next_back()?.to_owned();
    let decoded = percent_encoding::percent_decode_str(&last)
        .decode_utf8()
        .ok()?
        .into_owned();
    let usable = !decoded.trim().is_empty()
        && decoded.chars().count() <= MAX_NAME_CHARS
        && !decoded.chars().any(char::is_control);
    usable.then_some(decoded)
}

fn default_title(metadata: &mut Map<String, Value>, file_name: Option<String>) {
    if let (false, Some(name)) = (metadata.contains_key("title"), file_name) {
        metadata.insert("title".into(), Value::String(name));
    }
}

/// An optional platform key (`video_key`, `media_id`): 1 to 64 letters, digits, `_` or `-`.
fn opt_id(id: Option<&str>, key: &str) -> Result<Option<String>, ApiError> {
    match id {
        None => Ok(None),
        Some(id) if is_valid_id(id) => Ok(Some(id.to_owned())),
        Some(_) => Err(ApiError::bad_request(format!(
            "{key} must be 1 to 64 letters, digits, '_' or '-'"
        ))),
    }
}

/// Whether `id` looks like a platform media key.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}
