//! Upload configuration: what is uploaded, how, and the knobs (parallelism, sizes, retries).

use crate::link::{Redirect, Resource};
use crate::method::Method;
use crate::plan::Sizing;
use crate::retry::RetryPolicy;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The real v2 API.
pub const DEFAULT_API_BASE: &str = "https://api.jwplayer.com";

/// Following the media's processing after the upload, through the customer's backend.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusConfig {
    /// Status URL; `{id}` is replaced by the media id (e.g.
    /// `https://shop.example/api/media/{id}`, the reference backend's status route).
    pub url: String,
    /// Extra headers for the poll.
    pub headers: Vec<(String, String)>,
    /// Wait before the first poll.
    #[serde(with = "crate::time::ms")]
    pub first_delay: Duration,
    /// Longest wait between polls (the wait grows by half each poll).
    #[serde(with = "crate::time::ms")]
    pub max_delay: Duration,
    /// Stop following after this long (an `Error` event with `retryable` set).
    #[serde(with = "crate::time::ms")]
    pub give_up_after: Duration,
    /// Stop following after this many "not found" (or other refusing 4xx) replies in a row:
    /// a wrong status URL, or a backend without the status route (`status_unavailable`).
    #[serde(default = "default_max_not_found")]
    pub max_not_found: u32,
}

fn default_max_not_found() -> u32 {
    DEFAULT_MAX_NOT_FOUND
}

/// [`StatusConfig::max_not_found`]'s default: with the default waits (2 s, then half again
/// each time) the fifth refusal comes about 26 s after the upload.
pub const DEFAULT_MAX_NOT_FOUND: u32 = 5;

impl StatusConfig {
    /// Defaults: first poll after 2 s, then up to every 30 s, for up to 2 hours.
    pub fn new(url: impl Into<String>) -> Self {
        StatusConfig {
            url: url.into(),
            headers: Vec::new(),
            first_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(30),
            give_up_after: Duration::from_secs(2 * 3600),
            max_not_found: DEFAULT_MAX_NOT_FOUND,
        }
    }
}

/// Everything the engine needs to know about one upload. Deserializing fills missing fields
/// with the defaults of [`Config::new`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// File size in bytes (0 for fetch).
    pub size: u64,
    /// File name (resumable `Content-Disposition`, form part name).
    pub file_name: String,
    /// MIME type (`application/octet-stream` when unknown).
    pub content_type: String,
    /// Method asked for; `None` picks by the docs' preference.
    pub method: Option<Method>,
    /// The methods the customer's backend can mint (its `/api/config`); `None`: not known.
    /// `auto` chooses among them, and a method outside them is refused before any request.
    pub available_methods: Option<Vec<Method>>,
    /// What is uploaded.
    pub resource: Resource,
    /// For fetch uploads: the URL the platform fetches.
    pub download_url: Option<String>,
    /// Base URL of the v2 upload API (multipart).
    pub upload_api_base: String,
    /// Multipart parts in flight.
    pub part_parallel: usize,
    /// Resumable chunks in flight (1: sequential, as the docs describe).
    pub chunk_parallel: usize,
    /// Adaptive multipart part size.
    pub part_sizing: Sizing,
    /// A fixed part size instead (no adaptation).
    pub fixed_part_size: Option<u64>,
    /// Adaptive resumable chunk size.
    pub chunk_sizing: Sizing,
    /// Largest `page_length` of the parts listing.
    pub list_page_length: u32,
    /// Size of the first chunk of a resumed resumable upload (sent from byte 0, as the docs say).
    pub probe_bytes: u64,
    /// Retries.
    pub retry: RetryPolicy,
    /// Abort a request after this long without progress or reply.
    #[serde(with = "crate::time::ms")]
    pub stall_timeout: Duration,
    /// Check what the server stored against MD5s the driver computes (`Task::Digest`).
    pub verify: bool,
    /// Redirect parameters for form and resumable uploads.
    pub redirect: Redirect,
    /// Use https even when the link says http.
    pub upgrade_https: bool,
    /// Seed of the jitter generator.
    pub seed: u64,
    /// Unix milliseconds minus engine milliseconds, to read `Retry-After` dates when the reply
    /// has no readable `Date` header (`Some(0)` when the driver passes `Date.now()`).
    pub wall_clock_offset_ms: Option<i64>,
    /// Credential renewals in a row without progress before failing.
    pub max_renewals: u32,
    /// Follow processing after the upload.
    pub status: Option<StatusConfig>,
    /// The absolute URL credentials calls go to (the customer's backend), when the driver
    /// knows it: only to name its host when it cannot be reached.
    pub credentials_url: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config::new(0, "", "")
    }
}

impl Config {
    /// A config for uploading `size` bytes named `file_name`, with defaults.
    pub fn new(size: u64, file_name: impl Into<String>, content_type: impl Into<String>) -> Self {
        let ct: String = content_type.into();
        Config {
            size,
            file_name: file_name.into(),
            content_type: if ct.is_empty() {
                "application/octet-stream".into()
            } else {
                ct
            },
            method: None,
            available_methods: None,
            resource: Resource::Video,
            download_url: None,
            upload_api_base: DEFAULT_API_BASE.into(),
            part_parallel: 4,
            chunk_parallel: 1,
            part_sizing: Sizing::parts(),
            fixed_part_size: None,
            chunk_sizing: Sizing::chunks(),
            list_page_length: 100,
            probe_bytes: 64 * 1024,
            retry: RetryPolicy::default(),
            stall_timeout: Duration::from_secs(30),
            verify: true,
            redirect: Redirect::default(),
            upgrade_https: false,
            seed: 0x6a77_7570,
            wall_clock_offset_ms: None,
            max_renewals: 3,
            status: None,
            credentials_url: None,
        }
    }

    /// A config for a fetch upload of `url`.
    pub fn fetch(url: impl Into<String>) -> Self {
        let mut c = Config::new(0, "", "");
        c.download_url = Some(url.into());
        c.method = Some(Method::Fetch);
        c
    }

    /// Sets the method.
    pub fn with_method(mut self, m: Method) -> Self {
        self.method = Some(m);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_json_takes_defaults() {
        let c: Result<Config, _> = serde_json::from_str(
            r#"{"size":10,"file_name":"a.mp4","method":"multipart","stall_timeout":5000}"#,
        );
        let c = c.unwrap_or_default();
        assert_eq!((c.size, c.method), (10, Some(Method::Multipart)));
        assert_eq!(c.stall_timeout, Duration::from_secs(5));
        assert_eq!(c.part_parallel, 4);
        assert_eq!(c.part_sizing, Sizing::parts());
        assert_eq!(c.chunk_sizing, Sizing::chunks());
    }
}
