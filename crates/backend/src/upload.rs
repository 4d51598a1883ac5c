//! `POST /api/uploads` input: validation of the browser's JSON and the platform call it maps to.

use serde_json::{Map, Value};

use crate::error::ApiError;

/// Largest file an s3 upload takes (5 GiB).
pub const S3_MAX_BYTES: u64 = 5 * 1024 * 1024 * 1024;
/// Largest file the platform takes at all (25 GiB).
pub const MAX_BYTES: u64 = 25 * 1024 * 1024 * 1024;
/// Longest file name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 255;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    S3,
    Form,
    Resumable,
    Multipart,
    Fetch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resource {
    Video,
    Thumbnail,
    Track,
    Image,
    Skin,
}

/// Parses and validates the JSON body of `POST /api/uploads` into the platform call to make.
pub fn plan(body: &[u8]) -> Result<PlatformCall, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))?;
    let Value::Object(req) = value else {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    };
    let resource = match opt_str(&req, "resource")? {
        None | Some("video") => Resource::Video,
        Some("thumbnail") => Resource::Thumbnail,
        Some("track") => Resource::Track,
        Some("image") => Resource::Image,
        Some("skin") => Resource::Skin,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "resource {other:?} is not one of video, thumbnail, track, image, skin"
            )))
        }
    };
    let method = match (opt_str(&req, "method")?, resource) {
        (Some("s3"), _) => Method::S3,
        (Some("form"), _) => Method::Form,
        (Some("resumable"), _) => Method::Resumable,
        (Some("multipart"), _) => Method::Multipart,
        (Some("fetch"), _) => Method::Fetch,
        (None, Resource::Video) => {
            return Err(ApiError::bad_request(
                "method is required: one of s3, form, resumable, multipart, fetch",
            ))
        }
        (None, _) => Method::Form,
        (Some(other), _) => {
            return Err(ApiError::bad_request(format!(
                "method {other:?} is not one of s3, form, resumable, multipart, fetch"
            )))
        }
    };
    if resource != Resource::Video && method != Method::Form {
        return Err(ApiError::bad_request(
            "thumbnails, tracks, images and skins are uploaded with method form",
        ));
    }
    let file = file_info(&req, method)?;
    if let Some(size) = file.as_ref().map(|f| f.size) {
        if method == Method::S3 && size > S3_MAX_BYTES {
            return Err(ApiError::bad_request(
                "file.size is over the 5 GB limit of s3 uploads: use multipart or resumable",
            ));
        }
        if size > MAX_BYTES {
            return Err(ApiError::bad_request(
                "file.size is over the platform's 25 GB limit",
            ));
        }
    }
    let download_url = download_url(&req, method)?;
    let metadata = match req.get("metadata") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(ApiError::bad_request("metadata must be a JSON object")),
    };
    let video_key = opt_id(&req, "video_key")?;
    let media_id = opt_id(&req, "media_id")?;
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
        return resource_call(resource, video_key, metadata, file_name);
    }

    let renew = match (media_id, video_key) {
        (Some(m), Some(v)) if m != v => {
            return Err(ApiError::bad_request(
                "media_id and video_key name different videos",
            ))
        }
        (m, v) => m.or(v),
    };
    match method {
        Method::Multipart | Method::Fetch => {
            if renew.is_some() {
                return Err(ApiError::bad_request(
                    "media_id (renewal) is for s3, form and resumable; multipart links are \
                     renewed by listing the parts again with the upload token",
                ));
            }
            let mut metadata = metadata;
            default_title(&mut metadata, file_name);
            let upload = match download_url {
                Some(url) => serde_json::json!({"method": "fetch", "download_url": url}),
                None => serde_json::json!({"method": "multipart"}),
            };
            Ok(PlatformCall::V2Create {
                body: serde_json::json!({"upload": upload, "metadata": metadata}),
            })
        }
        Method::S3 | Method::Form | Method::Resumable => {
            let mut metadata = metadata;
            if renew.is_none() {
                default_title(&mut metadata, file_name);
            }
            let mut params = v1_params(&metadata)?;
            match method {
                Method::S3 => params.push(("upload_method".into(), "s3".into())),
                Method::Resumable => params.push(("upload_method".into(), "resumable".into())),
                _ => {}
            }
            let call = match renew {
                Some(key) => {
                    params.push(("video_key".into(), key));
                    "videos/update"
                }
                None => "videos/create",
            };
            Ok(PlatformCall::V1 { call, params })
        }
    }
}

fn resource_call(
    resource: Resource,
    video_key: Option<String>,
    mut metadata: Map<String, Value>,
    file_name: Option<String>,
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
    let mut params = v1_params(&metadata)?;
    if let Some(key) = key {
        params.push(("video_key".into(), key));
    }
    Ok(PlatformCall::V1 { call, params })
}

struct FileInfo {
    name: String,
    size: u64,
}

fn file_info(req: &Map<String, Value>, method: Method) -> Result<Option<FileInfo>, ApiError> {
    let file = match req.get("file") {
        None | Some(Value::Null) if method == Method::Fetch => return Ok(None),
        // A fetch upload has no local file: a browser may still send an empty description.
        Some(Value::Object(f))
            if method == Method::Fetch
                && f.get("name")
                    .and_then(Value::as_str)
                    .is_none_or(|n| n.trim().is_empty()) =>
        {
            return Ok(None)
        }
        None | Some(Value::Null) => {
            return Err(ApiError::bad_request(
                "file is required: {\"name\": ..., \"size\": ..., \"type\": ...}",
            ))
        }
        Some(Value::Object(f)) => f,
        Some(_) => return Err(ApiError::bad_request("file must be a JSON object")),
    };
    let name = match file.get("name") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(ApiError::bad_request("file.name must be a string")),
    };
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
    let size = file
        .get("size")
        .and_then(Value::as_u64)
        .ok_or_else(|| ApiError::bad_request("file.size must be a non-negative integer"))?;
    match file.get("type") {
        None | Some(Value::Null) | Some(Value::String(_)) => {}
        Some(_) => return Err(ApiError::bad_request("file.type must be a string")),
    }
    Ok(Some(FileInfo { name, size }))
}

fn download_url(req: &Map<String, Value>, method: Method) -> Result<Option<String>, ApiError> {
    let url = opt_str(req, "download_url")?;
    match (method, url) {
        (Method::Fetch, None) => Err(ApiError::bad_request(
            "method fetch needs a download_url (http or https)",
        )),
        (Method::Fetch, Some(url)) => {
            let parsed = reqwest::Url::parse(url)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
            match parsed {
                Some(_) if url.len() <= 2048 => Ok(Some(url.to_owned())),
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

/// Flattens metadata into v1 call parameters; refuses names the backend sets itself.
fn v1_params(metadata: &Map<String, Value>) -> Result<Vec<(String, String)>, ApiError> {
    let mut params = Vec::new();
    for (key, value) in metadata {
        let valid_name = !key.is_empty()
            && key.len() <= 64
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !valid_name {
            return Err(ApiError::bad_request(format!(
                "metadata name {key:?} must be 1 to 64 letters, digits, '_', '.' or '-'"
            )));
        }
        let reserved = key.starts_with("api_")
            || matches!(key.as_str(), "upload_method" | "download_url" | "video_key");
        if reserved {
            return Err(ApiError::bad_request(format!(
                "metadata.{key} is set by the backend, not by the browser"
            )));
        }
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Array(_) | Value::Object(_) => {
                return Err(ApiError::bad_request(format!(
                    "metadata.{key} must be a string, number or boolean"
                )))
            }
        };
        params.push((key.clone(), text));
    }
    Ok(params)
}

fn opt_str<'a>(req: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, ApiError> {
    match req.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(ApiError::bad_request(format!("{key} must be a string"))),
    }
}

/// An optional platform key (`video_key`, `media_id`): 1 to 64 letters, digits, `_` or `-`.
fn opt_id(req: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match opt_str(req, key)? {
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
