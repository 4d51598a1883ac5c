//! Calls to the platform (v1 signed, v2 bearer) and the relay of its replies, secrets scrubbed.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::Rng;

use crate::config::Config;
use crate::error::ApiError;
use crate::sign::{canonical_query, pct_encode, sign_v1};

/// What replaces a secret found in a relayed body.
const REDACTED: &[u8] = b"[redacted]";
/// Largest platform reply relayed (they are small JSON documents).
const MAX_REPLY_BYTES: usize = 1024 * 1024;

/// A platform reply, relayed with its status, `Content-Type` and `Retry-After` unchanged.
#[derive(Debug)]
pub struct Relayed {
    status: StatusCode,
    content_type: Option<HeaderValue>,
    retry_after: Option<HeaderValue>,
    body: Bytes,
}

impl Relayed {
    /// The platform's HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The platform's `Retry-After`, if any.
    pub fn retry_after(&self) -> Option<HeaderValue> {
        self.retry_after.clone()
    }

    /// The platform's body (secrets already scrubbed).
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

impl IntoResponse for Relayed {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            self.content_type
                .unwrap_or_else(|| HeaderValue::from_static("application/json")),
        );
        if let Some(retry_after) = self.retry_after {
            headers.insert(RETRY_AFTER, retry_after);
        }
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// The platform client: holds the credentials and never lets them out.
#[derive(Clone)]
pub struct Platform {
    http: reqwest::Client,
    api_base: String,
    site_id: String,
    api_key: String,
    api_secret: String,
    v2_secret: String,
}

impl Platform {
    /// A client for `config`'s platform.
    pub fn new(config: &Config) -> Platform {
        let http = build_client().unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot build the HTTP client; using the default one");
            reqwest::Client::new()
        });
        Platform {
            http,
            api_base: config.api_base.trim_end_matches('/').to_owned(),
            site_id: config.site_id.clone(),
            api_key: config.api_key.clone(),
            api_secret: config.api_secret.clone(),
            v2_secret: config.v2_secret.clone(),
        }
    }

    /// A signed v1 call: `POST {api_base}/v1/{call}?{params}&api_signature=...`.
    pub async fn v1(
        &self,
        call: &str,
        mut params: Vec<(String, String)>,
    ) -> Result<Relayed, ApiError> {
        let nonce = format!("{:08}", rand::rng().random_range(0..100_000_000u32));
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        params.retain(|(k, _)| !k.starts_with("api_"));
        params.push(("api_format".into(), "json".into()));
        params.push(("api_key".into(), self.api_key.clone()));
        params.push(("api_nonce".into(), nonce));
        params.push(("api_timestamp".into(), timestamp.to_string()));
        let signature = sign_v1(&params, &self.api_secret);
        let url = format!(
            "{}/v1/{}?{}&api_signature={}",
            self.api_base,
            call,
            canonical_query(&params),
            signature
        );
        let request = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_LENGTH, "0");
        self.send(request, "v1", call).await
    }

    /// `POST {api_base}/v2/sites/{site}/media` with `body`, bearer v2 secret.
    pub async fn v2_create(&self, body: &serde_json::Value) -> Result<Relayed, ApiError> {
        let url = format!(
            "{}/v2/sites/{}/media",
            self.api_base,
            pct_encode(&self.site_id)
        );
        let request = self.http.post(url).bearer_auth(&self.v2_secret).json(body);
        self.send(request, "v2", "media/create").await
    }

    /// `GET {api_base}/v2/sites/{site}/media/{id}`, bearer v2 secret.
    pub async fn v2_media(&self, media_id: &str) -> Result<Relayed, ApiError> {
        let url = format!(
            "{}/v2/sites/{}/media/{}",
            self.api_base,
            pct_encode(&self.site_id),
            pct_encode(media_id)
        );
        let request = self.http.get(url).bearer_auth(&self.v2_secret);
        self.send(request, "v2", "media/get").await
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        api: &'static str,
        call: &str,
    ) -> Result<Relayed, ApiError> {
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                let reason = self.scrub_text(&e.without_url().to_string());
                tracing::warn!(api, call, %reason, "platform unreachable");
                return Err(ApiError::platform_unreachable());
            }
        };
        let status = response.status();
        let content_type = response.headers().get(CONTENT_TYPE).cloned();
        let retry_after = response.headers().get(RETRY_AFTER).cloned();
        let body = match read_limited(response).await {
            Ok(b) => b,
            Err(reason) => {
                tracing::warn!(api, call, %reason, "platform reply unreadable");
                return Err(ApiError::platform_unreachable());
            }
        };
        let body = self.scrub(body);
        if status.is_success() {
            tracing::info!(api, call, status = status.as_u16(), "platform call");
        } else {
            tracing::warn!(
                api,
                call,
                status = status.as_u16(),
                "platform refused the call"
            );
        }
        Ok(Relayed {
            status,
            content_type,
            retry_after,
            body,
        })
    }

    fn secrets(&self) -> impl Iterator<Item = Vec<u8>> + '_ {
        [&self.api_secret, &self.v2_secret]
            .into_iter()
            .filter(|s| !s.is_empty())
            .flat_map(|s| {
                let json = serde_json::to_string(s).unwrap_or_default();
                let json = json.trim_matches('"').to_owned();
                let slashes = json.replace('/', "\\/");
                [s.clone(), json, slashes, pct_encode(s)]
            })
            .map(String::into_bytes)
    }

    /// `body` with every occurrence of a secret (raw, JSON-escaped, `\/`-escaped or
    /// percent-encoded) replaced.
    fn scrub(&self, body: Bytes) -> Bytes {
        let mut out = body.to_vec();
        let mut changed = false;
        for secret in self.secrets() {
            if let Some(replaced) = replace_all(&out, &secret, REDACTED) {
                out = replaced;
                changed = true;
            }
        }
        if changed {
            tracing::warn!("a platform reply contained a secret; it was redacted");
            Bytes::from(out)
        } else {
            body
        }
    }

    fn scrub_text(&self, text: &str) -> String {
        String::from_utf8_lossy(&self.scrub(Bytes::copy_from_slice(text.as_bytes()))).into_owned()
    }
}

/// The platform HTTP client: rustls (ring) for https, no redirects (a bearer token must not
/// follow one), bounded connect and total times.
fn build_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .use_rustls_tls()
        .https_only(false)
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("jw-upload-backend/", env!("CARGO_PKG_VERSION")))
        .build()
}

async fn read_limited(mut response: reqwest::Response) -> Result<Bytes, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| e.without_url().to_string())?
    {
        if body.len() + chunk.len() > MAX_REPLY_BYTES {
            return Err(format!("reply larger than {MAX_REPLY_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

/// `haystack` with each `needle` replaced by `with`, or `None` when there is none.
fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8]) -> Option<Vec<u8>> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    let mut found = false;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
            found = true;
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    found.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform() -> Platform {
        Platform::new(&Config {
            api_secret: "s3cr/et+1".into(),
            v2_secret: "v2\"sec".into(),
            ..Config::default()
        })
    }

    #[test]
    fn the_https_client_builds() {
        assert!(build_client().is_ok());
    }

    #[test]
    fn replace_all_replaces_every_occurrence() {
        assert_eq!(replace_all(b"abcab", b"ab", b"X"), Some(b"XcX".to_vec()));
        assert_eq!(replace_all(b"abc", b"zz", b"X"), None);
        assert_eq!(replace_all(b"a", b"", b"X"), None);
        assert_eq!(replace_all(b"", b"a", b"X"), None);
    }

    #[test]
    fn scrub_removes_raw_json_escaped_and_percent_encoded_secrets() {
        let p = platform();
        let body = br#"{"a":"s3cr/et+1","b":"s3cr%2Fet%2B1","c":"v2\"sec","d":"s3cr\/et+1"}"#;
        let out = p.scrub(Bytes::from_static(body));
        let text = String::from_utf8(out.to_vec()).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"a":"[redacted]","b":"[redacted]","c":"[redacted]","d":"[redacted]"}"#
        );
        let clean = Bytes::from_static(b"{\"status\":\"ok\"}");
        assert_eq!(p.scrub(clean.clone()), clean);
    }
}
