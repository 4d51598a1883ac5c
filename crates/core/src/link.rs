//! URL builders, exactly as the platform docs spell them: S3, form, resumable, progress, the v2
//! upload API, media status, and the other resources' upload paths and parameter names.

use crate::error::UploadError;
use crate::reply::Link;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};

/// RFC 3986: everything but `A-Z a-z 0-9 - . _ ~` is escaped (`/`, `+`, `=` included).
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, QUERY).to_string()
}

/// The `api_format` of a v1 upload URL. The engine parses JSON replies.
pub const API_FORMAT: &str = "json";

/// Optional redirect parameters of form and resumable uploads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redirect {
    /// `redirect_address`, `<protocol>://<host>/<path>`.
    pub address: Option<String>,
    /// `redirect_query.<name>=<value>` pairs, in order, names unique.
    pub query: Vec<(String, String)>,
    /// `key_in_path`: `True` puts the key at the end of the redirect path.
    pub key_in_path: Option<bool>,
}

fn base(link: &Link, upgrade_https: bool) -> String {
    let proto = if upgrade_https && link.protocol == "http" {
        "https"
    } else {
        link.protocol.as_str()
    };
    format!("{proto}://{}{}", link.address, link.path)
}

fn query_value<'a>(link: &'a Link, name: &str) -> Result<&'a str, UploadError> {
    link.query
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| UploadError::invalid_reply(format!("link query has no {name}")))
}

/// `protocol://address/path?AWSAccessKeyId=..&Expires=..&Signature=urlencode(..)`.
pub fn s3_url(link: &Link, upgrade_https: bool) -> Result<String, UploadError> {
    let mut url = base(link, upgrade_https);
    let mut sep = '?';
    if let Some(id) = link.query.get("AWSAccessKeyId") {
        url.push_str(&format!("{sep}AWSAccessKeyId={}", encode(id)));
        sep = '&';
    }
    let expires = query_value(link, "Expires")?;
    let signature = query_value(link, "Signature")?;
    url.push_str(&format!(
        "{sep}Expires={}&Signature={}",
        encode(expires),
        encode(signature)
    ));
    Ok(url)
}

fn redirect_params(url: &mut String, r: &Redirect) {
    if let Some(a) = &r.address {
        url.push_str(&format!("&redirect_address={}", encode(a)));
    }
    for (k, v) in &r.query {
        url.push_str(&format!("&redirect_query.{}={}", encode(k), encode(v)));
    }
    if let Some(kip) = r.key_in_path {
        url.push_str(&format!(
            "&key_in_path={}",
            if kip { "True" } else { "False" }
        ));
    }
}

/// `...?api_format=json&key=K[&redirect_address=..&redirect_query.p=v..&key_in_path=..]&token=T`.
pub fn form_url(
    link: &Link,
    redirect: &Redirect,
    upgrade_https: bool,
) -> Result<String, UploadError> {
    // The resumable URL with the token after it.
    let mut url = resumable_url(link, redirect, upgrade_https)?;
    url.push_str(&format!("&token={}", encode(query_value(link, "token")?)));
    Ok(url)
}

/// `...?api_format=json&key=K[&redirect_...]` (the resumable URL carries no token).
pub fn resumable_url(
    link: &Link,
    redirect: &Redirect,
    upgrade_https: bool,
) -> Result<String, UploadError> {
    let mut url = base(link, upgrade_https);
    url.push_str(&format!(
        "?api_format={API_FORMAT}&key={}",
        encode(query_value(link, "key")?)
    ));
    redirect_params(&mut url, redirect);
    Ok(url)
}

fn trim_base(base: &str) -> &str {
    base.trim_end_matches('/')
}

/// `{api_base}/v2/uploads/{upload_id}/parts?page=P&page_length=L`.
pub fn parts_url(api_base: &str, upload_id: &str, page: u32, page_length: u32) -> String {
    format!(
        "{}/v2/uploads/{}/parts?page={page}&page_length={page_length}",
        trim_base(api_base),
        encode(upload_id)
    )
}

/// `{api_base}/v2/uploads/{upload_id}/complete`.
pub fn complete_url(api_base: &str, upload_id: &str) -> String {
    format!(
        "{}/v2/uploads/{}/complete",
        trim_base(api_base),
        encode(upload_id)
    )
}

/// When a signed URL stops being accepted, in Unix milliseconds, read from its own query:
/// SigV4's `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`) plus `X-Amz-Expires` (seconds), or SigV2's (and the
/// platform's part links') `Expires` (Unix seconds). `None` when the URL carries neither in a
/// form this reads: then nothing is known and nothing is assumed.
pub fn signed_url_expiry_ms(url: &str) -> Option<u64> {
    let query = url.split_once('?')?.1.split('#').next()?;
    let value = |name: &str| {
        query.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            k.eq_ignore_ascii_case(name).then_some(v)
        })
    };
    let secs = |v: &str| {
        (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            .then(|| v.parse::<u64>().ok())
            .flatten()
    };
    if let (Some(date), Some(ttl)) = (value("X-Amz-Date"), value("X-Amz-Expires")) {
        return amz_date_ms(date)?.checked_add(secs(ttl)?.checked_mul(1000)?);
    }
    secs(value("Expires")?)?.checked_mul(1000)
}

/// How long before its own expiry a signed link is no longer used: the request must reach the
/// server in time, and the driver's clock may be a little behind the server's.
pub const LINK_EXPIRY_MARGIN_MS: u64 = 60_000;

/// The expiry of a link `url` handed out at wall-clock `wall_ms`, when it can be trusted: read
/// from the URL and not already (nearly) past. A link that looks expired the moment it is handed
/// out says the clock is wrong, not the link: its expiry is ignored, so a wrong clock never
/// makes the engine throw away every fresh link it gets.
pub fn trusted_expiry_ms(url: &str, wall_ms: Option<u64>) -> Option<u64> {
    let expires = signed_url_expiry_ms(url)?;
    (!link_expired(expires, wall_ms?)).then_some(expires)
}

/// Whether a link expiring at `expires_ms` is expired, or will be within the margin, at
/// wall-clock `wall_ms`.
pub fn link_expired(expires_ms: u64, wall_ms: u64) -> bool {
    wall_ms.saturating_add(LINK_EXPIRY_MARGIN_MS) >= expires_ms
}

/// `YYYYMMDDTHHMMSSZ` (SigV4's `X-Amz-Date`) in Unix milliseconds.
fn amz_date_ms(v: &str) -> Option<u64> {
    let b = v.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| v.get(r)?.parse::<u32>().ok();
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, s) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.get(mo as usize - 1)?;
    crate::retry::parse_http_date_ms(&format!("{d:02} {month} {y:04} {h:02}:{mi:02}:{s:02}"))
}

/// What is uploaded: videos, or the other resources that share the form protocol.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// A video (`videos/create`, `videos/update`).
    #[default]
    Video,
    /// A video thumbnail (`videos/thumbnails/update`).
    Thumbnail,
    /// A caption or chapter track (`videos/tracks/create`).
    Track,
    /// A player image (`accounts/images/create|update`).
    Image,
    /// A player skin (`accounts/skins/create|update`).
    Skin,
}

impl Resource {
    /// The API section replacing `videos` in calls and upload URLs.
    pub fn section(self) -> &'static str {
        match self {
            Resource::Video => "videos",
            Resource::Thumbnail => "videos/thumbnails",
            Resource::Track => "videos/tracks",
            Resource::Image => "accounts/images",
            Resource::Skin => "accounts/skins",
        }
    }

    /// The form upload path, `/v1/{section}/upload`.
    pub fn upload_path(self) -> String {
        format!("/v1/{}/upload", self.section())
    }

    /// The parameter name replacing `video` (per the docs' list).
    pub fn param(self) -> &'static str {
        match self {
            Resource::Video | Resource::Thumbnail => "video",
            Resource::Track => "track",
            Resource::Image => "image",
            Resource::Skin => "skin",
        }
    }

    /// The key parameter replacing `video_key`.
    pub fn key_param(self) -> &'static str {
        match self {
            Resource::Video | Resource::Thumbnail => "video_key",
            Resource::Track => "track_key",
            Resource::Image => "image_key",
            Resource::Skin => "skin_key",
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn link(path: &str, q: &[(&str, &str)]) -> Link {
        Link {
            protocol: "http".into(),
            address: "upload.jwplatform.com".into(),
            path: path.into(),
            query: q
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        }
    }

    #[test]
    fn s3_signature_is_encoded() {
        let l = link(
            "/tL17msiU",
            &[
                ("AWSAccessKeyId", "AKIAIRXCJ3TPZA4HVNYZ"),
                ("Expires", "1482770374"),
                ("Signature", "1/l+L6/yOE05dNEbXHW8sw7TGF4="),
            ],
        );
        assert_eq!(
            s3_url(&l, false).unwrap(),
            "http://upload.jwplatform.com/tL17msiU?AWSAccessKeyId=AKIAIRXCJ3TPZA4HVNYZ&Expires=1482770374&Signature=1%2Fl%2BL6%2FyOE05dNEbXHW8sw7TGF4%3D"
        );
        assert!(s3_url(&link("/x", &[("Expires", "1")]), false).is_err());
        assert!(s3_url(&l, true).unwrap().starts_with("https://"));
    }

    #[test]
    fn form_url_order_matches_docs() {
        let l = link(
            "/v1/videos/upload",
            &[("key", "vtQmcboj"), ("token", "e2bb")],
        );
        assert_eq!(
            form_url(&l, &Redirect::default(), false).unwrap(),
            "http://upload.jwplatform.com/v1/videos/upload?api_format=json&key=vtQmcboj&token=e2bb"
        );
        let r = Redirect {
            address: Some("http://example.com/path".into()),
            query: vec![
                ("parameter1".into(), "value1".into()),
                ("parameter2".into(), "v 2".into()),
            ],
            key_in_path: Some(true),
        };
        assert_eq!(
            form_url(&l, &r, false).unwrap(),
            "http://upload.jwplatform.com/v1/videos/upload?api_format=json&key=vtQmcboj\
             &redirect_address=http%3A%2F%2Fexample.com%2Fpath&redirect_query.parameter1=value1\
             &redirect_query.parameter2=v%202&key_in_path=True&token=e2bb"
        );
        let rl = link("/v1/videos/upload/resumable", &[("key", "vtQmcboj")]);
        assert_eq!(
            resumable_url(&rl, &Redirect::default(), false).unwrap(),
            "http://upload.jwplatform.com/v1/videos/upload/resumable?api_format=json&key=vtQmcboj"
        );
    }

    #[test]
    fn signed_url_expiry_forms() {
        // The platform's part links and SigV2: `Expires` in Unix seconds.
        assert_eq!(
            signed_url_expiry_ms("http://h/v2/uploads/U/parts/2?Expires=1482770374&Signature=x"),
            Some(1_482_770_374_000)
        );
        // SigV4: X-Amz-Date plus X-Amz-Expires (names compared without case).
        assert_eq!(
            signed_url_expiry_ms(
                "https://b.s3.amazonaws.com/k?partNumber=2&X-Amz-Algorithm=AWS4-HMAC-SHA256\
                 &X-Amz-Date=20261122T000000Z&x-amz-expires=3600&X-Amz-Signature=ab"
            ),
            Some(1_795_305_600_000 + 3_600_000)
        );
        for none in [
            "http://sim/v2/uploads/U1/parts/1?e=1&Signature=x",
            "http://h/p",
            "http://h/p?Expires=soon",
            "http://h/p?Expires=-5",
            "http://h/p?Expires=",
            "http://h/p?X-Amz-Date=20261122T000000&X-Amz-Expires=60",
            "http://h/p?X-Amz-Date=20261322T000000Z&X-Amz-Expires=60",
            "http://h/p?X-Amz-Date=20261122T000000Z&X-Amz-Expires=1h",
            "http://h/p?Expires=99999999999999999999",
        ] {
            assert_eq!(signed_url_expiry_ms(none), None, "{none}");
        }
    }

    #[test]
    fn expiry_is_trusted_only_with_a_clock_that_agrees() {
        let url = "http://h/p?Expires=1000&Signature=x"; // 1,000,000 ms
        assert_eq!(trusted_expiry_ms(url, Some(0)), Some(1_000_000));
        assert_eq!(trusted_expiry_ms(url, None), None, "no wall clock");
        // Handed out already within the margin: the clock is wrong, the expiry ignored.
        assert_eq!(trusted_expiry_ms(url, Some(940_000)), None);
        assert_eq!(trusted_expiry_ms("http://h/p?e=1", Some(0)), None);
        assert!(!link_expired(1_000_000, 939_999));
        assert!(link_expired(1_000_000, 940_000));
        assert!(link_expired(1_000_000, u64::MAX));
    }

    #[test]
    fn v2_urls_and_resources() {
        assert_eq!(
            parts_url("https://api.jwplayer.com/", "U1", 2, 100),
            "https://api.jwplayer.com/v2/uploads/U1/parts?page=2&page_length=100"
        );
        assert_eq!(
            complete_url("http://h", "U1"),
            "http://h/v2/uploads/U1/complete"
        );
        assert_eq!(Resource::Skin.upload_path(), "/v1/accounts/skins/upload");
        assert_eq!(Resource::Thumbnail.key_param(), "video_key");
        assert_eq!(Resource::Track.param(), "track");
    }
}
