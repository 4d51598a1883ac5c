//! Upload methods and their limits, and the choice between them in the docs' order of preference.

use crate::error::{ErrorCode, UploadError};
use crate::link::Resource;
use serde::{Deserialize, Serialize};
use std::fmt;

/// 1 MiB.
pub const MIB: u64 = 1024 * 1024;
/// 1 GiB.
pub const GIB: u64 = 1024 * MIB;
/// The s3 method takes files under 5 GiB (and so does direct: both are one S3 PUT).
pub const S3_LIMIT: u64 = 5 * GIB;
/// Up to this size `auto` prefers v2 `direct` over multipart: the platform suggests direct for
/// files up to about 100 MB, since a failed single request sends the whole file again.
pub const DIRECT_PREFERRED_MAX: u64 = 100 * MIB;
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
    /// v2 direct: one PUT of the whole file to the create reply's `upload_link` (under 5 GiB).
    Direct,
    /// One `multipart/form-data` POST of the whole file.
    Form,
    /// Chunked POSTs with `X-Content-Range` and `X-Session-ID`.
    Resumable,
    /// v2 multipart: signed PUTs per part, then complete.
    Multipart,
}

impl Method {
    /// Every method, in the order the docs present them.
    pub const ALL: [Method; 6] = [
        Method::S3,
        Method::Form,
        Method::Resumable,
        Method::Direct,
        Method::Multipart,
        Method::Fetch,
    ];

    /// The snake_case name (`s3`, `multipart`...), as the backend's `method` field spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Fetch => "fetch",
            Method::S3 => "s3",
            Method::Direct => "direct",
            Method::Form => "form",
            Method::Resumable => "resumable",
            Method::Multipart => "multipart",
        }
    }

    /// Whether the whole file goes in one request, so an interrupted upload (a pause, a lost
    /// connection) starts over from byte 0: nothing of a request in flight is kept.
    pub fn single_request(self) -> bool {
        match self {
            Method::S3 | Method::Direct | Method::Form => true,
            Method::Resumable | Method::Multipart | Method::Fetch => false,
        }
    }

    /// The largest file the method takes.
    pub fn max_size(self) -> u64 {
        match self {
            Method::S3 | Method::Direct => S3_LIMIT - 1,
            _ => SYSTEM_LIMIT,
        }
    }

    /// Whether the method's credentials come from the v2 API (`POST /v2/sites/{site}/media`,
    /// the v2 secret) rather than a signed v1 call.
    pub fn is_v2(self) -> bool {
        matches!(self, Method::Direct | Method::Multipart | Method::Fetch)
    }
}

/// The method `auto` picks for a video of `size` bytes (0 < size <= 25 GiB) among the methods
/// the backend can mint (`None`: not known, both API generations assumed, as before the
/// backend said). With both generations: v2 `direct` up to 100 MiB, v2 `multipart` above
/// (per-part retries and MD5s, resumable after a reload); with v1 alone: s3 under 5 GiB,
/// resumable above; with v2 alone: direct up to 100 MiB, multipart above. When the backend's
/// list is not known, the docs' v1-era order: s3 under 5 GiB, multipart above.
pub fn auto(size: u64, available: Option<&[Method]>) -> Method {
    let Some(list) = available else {
        return if size < S3_LIMIT {
            Method::S3
        } else {
            Method::Multipart
        };
    };
    let has = |m: Method| list.contains(&m);
    let order: &[Method] = if size <= DIRECT_PREFERRED_MAX {
        &[
            Method::Direct,
            Method::S3,
            Method::Multipart,
            Method::Resumable,
            Method::Form,
        ]
    } else if size < S3_LIMIT {
        &[
            Method::Multipart,
            Method::S3,
            Method::Direct,
            Method::Resumable,
            Method::Form,
        ]
    } else {
        &[Method::Multipart, Method::Resumable, Method::Form]
    };
    order
        .iter()
        .copied()
        .find(|m| has(*m))
        .unwrap_or(if size < S3_LIMIT {
            Method::S3
        } else {
            Method::Multipart
        })
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Picks the method: fetch when a URL is given; otherwise the requested one if the file fits it;
/// otherwise [`auto`] among the `available` methods (to 25 GiB). Resources other than videos
/// only go by form. `size` is `None` only for fetch.
pub fn choose(
    size: Option<u64>,
    has_url: bool,
    requested: Option<Method>,
    resource: Resource,
    available: Option<&[Method]>,
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
        Some(m) if available.is_some_and(|list| !list.contains(&m)) => {
            return Err(UploadError::new(
                ErrorCode::InvalidConfig,
                format!("The backend cannot mint {m} uploads (it holds no credentials for them)."),
                false,
            ))
        }
        Some(m) => m,
        None => auto(size, available),
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
        assert_eq!(code(choose(None, true, None, v, None)), Ok(Method::Fetch));
        assert_eq!(code(choose(Some(1), false, None, v, None)), Ok(Method::S3));
        assert_eq!(
            code(choose(Some(S3_LIMIT - 1), false, None, v, None)),
            Ok(Method::S3)
        );
        assert_eq!(
            code(choose(Some(S3_LIMIT), false, None, v, None)),
            Ok(Method::Multipart)
        );
        assert_eq!(
            code(choose(Some(SYSTEM_LIMIT), false, None, v, None)),
            Ok(Method::Multipart)
        );
        assert_eq!(
            code(choose(Some(SYSTEM_LIMIT + 1), false, None, v, None)),
            Err(ErrorCode::TooLarge)
        );
        assert_eq!(
            code(choose(Some(0), false, None, v, None)),
            Err(ErrorCode::EmptyFile)
        );
        assert_eq!(
            code(choose(Some(S3_LIMIT), false, Some(Method::S3), v, None)),
            Err(ErrorCode::TooLargeForMethod)
        );
        assert_eq!(
            code(choose(
                Some(6 * GIB),
                false,
                Some(Method::Resumable),
                v,
                None
            )),
            Ok(Method::Resumable)
        );
        assert_eq!(
            code(choose(Some(6 * GIB), false, Some(Method::Form), v, None)),
            Ok(Method::Form)
        );
    }

    #[test]
    fn auto_follows_what_the_backend_can_mint() {
        use Method::*;
        let both = [S3, Form, Resumable, Direct, Multipart, Fetch];
        let v1 = [S3, Form, Resumable];
        let v2 = [Direct, Multipart, Fetch];
        let cases: [(u64, &[Method], Method); 12] = [
            (1, &both, Direct),
            (DIRECT_PREFERRED_MAX, &both, Direct),
            (DIRECT_PREFERRED_MAX + 1, &both, Multipart),
            (S3_LIMIT - 1, &both, Multipart),
            (S3_LIMIT, &both, Multipart),
            (1, &v1, S3),
            (S3_LIMIT - 1, &v1, S3),
            (S3_LIMIT, &v1, Resumable),
            (SYSTEM_LIMIT, &v1, Resumable),
            (1, &v2, Direct),
            (DIRECT_PREFERRED_MAX + 1, &v2, Multipart),
            (SYSTEM_LIMIT, &v2, Multipart),
        ];
        for (size, list, want) in cases {
            assert_eq!(auto(size, Some(list)), want, "{size} bytes among {list:?}");
        }
        assert_eq!(auto(1, None), S3);
        assert_eq!(
            code(choose(Some(9), false, Some(S3), Resource::Video, Some(&v2))),
            Err(ErrorCode::InvalidConfig)
        );
        assert_eq!(
            code(choose(
                Some(S3_LIMIT),
                false,
                Some(Direct),
                Resource::Video,
                None
            )),
            Err(ErrorCode::TooLargeForMethod)
        );
        assert_eq!(
            code(choose(
                Some(S3_LIMIT - 1),
                false,
                Some(Direct),
                Resource::Video,
                None
            )),
            Ok(Direct)
        );
    }

    #[test]
    fn other_resources_go_by_form() {
        assert_eq!(
            code(choose(Some(9), false, None, Resource::Image, None)),
            Ok(Method::Form)
        );
        assert_eq!(
            code(choose(
                Some(9),
                false,
                Some(Method::S3),
                Resource::Track,
                None
            )),
            Err(ErrorCode::InvalidConfig)
        );
        assert_eq!(
            code(choose(None, true, None, Resource::Skin, None)),
            Err(ErrorCode::InvalidConfig)
        );
    }
}
