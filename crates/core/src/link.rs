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
    use std::collections::BTreeMap;

    fn link(path: &str, q: &[(&str, &str)]) -> Link {
        Link {
            protocol: "http".into(),
            address: "upload.jwplatform.com".into(),
            path: path.into(),
            query: q
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<BTreeMap<_, _>>(),
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
