//! Upload methods and their limits, and the choice between them in the docs' order of preference.

use crate::error::{ErrorCode, UploadError};
use crate::link::Resource;
use serde::{Deserialize, Serialize};
use std::fmt;

/// 1 MiB.
pub const MIB: u64 = 1024 * 1024;
/// 1 GiB.
pub const GIB: u64 = 1024 * MIB;
/// The s3 method takes files under 5 GiB.
pub const S3_LIMIT: u64 = 5 * GIB;
/// The platform's system limit: 25 GiB.
pub const SYSTEM_LIMIT: u64 = 25 * GIB;

/// How the bytes reach the platform.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The platform fetches a URL itself; no bytes from the browser.
    Fetch,
    /// One signed PUT of the whole file (under 5 GiB).
    S3,
    /// One `multipart/form-data` POST of the whole file.
    Form,
    /// Chunked POSTs with `X-Content-Range` and `X-Session-ID`.
    Resumable,
    /// v2 multipart: signed PUTs per part, then complete.
    Multipart,
}

impl Method {
    /// The snake_case name (`s3`, `multipart`...), as the backend's `method` field spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Fetch => "fetch",
            Method::S3 => "s3",
            Method::Form => "form",
            Method::Resumable => "resumable",
            Method::Multipart => "multipart",
        }
    }

    /// Whether the whole file goes in one request, so an interrupted upload (a pause, a lost
    /// connection) starts over from byte 0: nothing of a request in flight is kept.
    pub fn single_request(self) -> bool {
        match self {
            Method::S3 | Method::Form => true,
            Method::Resumable | Method::Multipart | Method::Fetch => false,
        }
    }

    /// The largest file the method takes.
    pub fn max_size(self) -> u64 {
        match self {
            Method::S3 => S3_LIMIT - 1,
            _ => SYSTEM_LIMIT,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Picks the method: fetch when a URL is given; otherwise the requested one if the file fits it;
/// otherwise s3 under 5 GiB and multipart above, to 25 GiB. Resources other than videos only go
/// by form. `size` is `None` only for fetch.
pub fn choose(
    size: Option<u64>,
    has_url: bool,
    requested: Option<Method>,
    resource: Resource,
) -> Result<Method, UploadError> {
    if has_url || requested == Some(Method::Fetch) {
        if resource != Resource::Video {
            return Err(UploadError::new(
                ErrorCode::InvalidConfig,
                "Only videos can be imported from a URL.",
                false,
            ));
        }
        if !has_url {
            return Err(UploadError::new(
                ErrorCode::InvalidConfig,
                "A fetch upload needs a URL.",
                false,
            ));
        }
        return Ok(Method::Fetch);
    }
    let size = size.unwrap_or(0);
    if size == 0 {
        return Err(UploadError::empty_file());
    }
    if size > SYSTEM_LIMIT {
        return Err(UploadError::new(
            ErrorCode::TooLarge,
            "The file is over the platform's 25 GB limit.",
            false,
        ));
    }
    if resource != Resource::Video {
        return match requested {
            None | Some(Method::Form) => Ok(Method::Form),
            Some(m) => Err(UploadError::new(
                ErrorCode::InvalidConfig,
                format!(
                    "A {} can only be uploaded by form, not {m}.",
                    resource.param()
                ),
                false,
            )),
        };
    }
    let method = match requested {
        Some(m) => m,
        None if size < S3_LIMIT => Method::S3,
        None => Method::Multipart,
    };
    if size > method.max_size() {
        return Err(UploadError::new(
            ErrorCode::TooLargeForMethod,
            format!("The file is too large for the {method} method (under 5 GB only)."),
            false,
        ));
    }
    Ok(method)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<Method, UploadError>) -> Result<Method, ErrorCode> {
        r.map_err(|e| e.code)
    }

    #[test]
    fn preference_order() {
        let v = Resource::Video;
        assert_eq!(code(choose(None, true, None, v)), Ok(Method::Fetch));
        assert_eq!(code(choose(Some(1), false, None, v)), Ok(Method::S3));
        assert_eq!(
            code(choose(Some(S3_LIMIT - 1), false, None, v)),
            Ok(Method::S3)
        );
        assert_eq!(
            code(choose(Some(S3_LIMIT), false, None, v)),
            Ok(Method::Multipart)
        );
        assert_eq!(
            code(choose(Some(SYSTEM_LIMIT), false, None, v)),
            Ok(Method::Multipart)
        );
        assert_eq!(
            code(choose(Some(SYSTEM_LIMIT + 1), false, None, v)),
            Err(ErrorCode::TooLarge)
        );
        assert_eq!(
            code(choose(Some(0), false, None, v)),
            Err(ErrorCode::EmptyFile)
        );
        assert_eq!(
            code(choose(Some(S3_LIMIT), false, Some(Method::S3), v)),
            Err(ErrorCode::TooLargeForMethod)
        );
        assert_eq!(
            code(choose(Some(6 * GIB), false, Some(Method::Resumable), v)),
            Ok(Method::Resumable)
        );
        assert_eq!(
            code(choose(Some(6 * GIB), false, Some(Method::Form), v)),
            Ok(Method::Form)
        );
    }

    #[test]
    fn other_resources_go_by_form() {
        assert_eq!(
            code(choose(Some(9), false, None, Resource::Image)),
            Ok(Method::Form)
        );
        assert_eq!(
            code(choose(Some(9), false, Some(Method::S3), Resource::Track)),
            Err(ErrorCode::InvalidConfig)
        );
        assert_eq!(
            code(choose(None, true, None, Resource::Skin)),
            Err(ErrorCode::InvalidConfig)
        );
    }
}
