//! Platform replies (serde): credentials, parts pages, form/resumable results, progress, status,
//! and the platform's error shapes. Unknown fields are tolerated; a missing required field is an
//! [`UploadError`] with code `invalid_reply`, never a panic.

use crate::error::UploadError;
use leaf::{Leaf, Members, Obj};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

mod error;
mod leaf;
mod parts;
mod status;

pub use error::PlatformError;
pub use parts::{normalize_etag, PartEntry, PartsPage};
pub use status::{MediaState, MediaStatus};

fn json<T: DeserializeOwned>(body: &str, what: &str) -> Result<T, UploadError> {
    serde_json::from_str(body).map_err(|e| UploadError::invalid_reply(format!("{what}: {e}")))
}

/// The `link` block of a v1 create/update reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// `http` or `https`.
    pub protocol: String,
    /// Host (and port).
    pub address: String,
    /// Path, starting with `/`.
    pub path: String,
    /// Query parameters, values as strings (`Expires` arrives as a number).
    #[serde(deserialize_with = "query_of")]
    pub query: litemap::LiteMap<String, String>,
}

/// Query parameters whose values are scalars (others dropped), read like a reply's `query`
/// (one deserializer for both in the wasm).
fn query_of<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<litemap::LiteMap<String, String>, D::Error> {
    Ok(scalar_query(Members::deserialize(d)?))
}

fn scalar_query(raw: Members) -> litemap::LiteMap<String, String> {
    let mut query = litemap::LiteMap::with_capacity(raw.0.len());
    for (k, v) in raw.0 {
        if let Some(s) = v.scalar_string() {
            // In order already: appended, never sorted again.
            query.insert(k, s);
        }
    }
    query
}

#[derive(Deserialize)]
struct RawLink {
    protocol: Option<String>,
    address: Option<String>,
    path: Option<String>,
    #[serde(default)]
    query: Obj<Members>,
}

impl RawLink {
    fn into_link(self) -> Result<Link, UploadError> {
        let missing = |f: &str| UploadError::invalid_reply(format!("link has no {f}"));
        Ok(Link {
            protocol: self.protocol.unwrap_or_else(|| "https".into()),
            address: self.address.ok_or_else(|| missing("address"))?,
            path: self.path.ok_or_else(|| missing("path"))?,
            query: scalar_query(self.query.0.unwrap_or_default()),
        })
    }
}

/// The uploaded object's block (`"media": {"key": ...}`); anything but an object is skipped.
#[derive(Deserialize)]
struct KeyObj {
    #[serde(default)]
    key: Leaf,
    #[serde(default)]
    md5: Leaf,
    #[serde(default)]
    size: Leaf,
}

/// A v1 reply's top level. The platform puts the uploaded object under the resource's name,
/// one field per resource (the first that has a `key` counts, in this order).
#[derive(Deserialize)]
struct RawV1 {
    status: Option<String>,
    link: Option<RawLink>,
    session_id: Option<String>,
    #[serde(default)]
    media: Obj<KeyObj>,
    #[serde(default)]
    video: Obj<KeyObj>,
    #[serde(default)]
    thumbnail: Obj<KeyObj>,
    #[serde(default)]
    track: Obj<KeyObj>,
    #[serde(default)]
    image: Obj<KeyObj>,
    #[serde(default)]
    skin: Obj<KeyObj>,
}

impl RawV1 {
    fn object(self) -> Option<KeyObj> {
        [
            self.media,
            self.video,
            self.thumbnail,
            self.track,
            self.image,
            self.skin,
        ]
        .into_iter()
        .find_map(|o| o.0.filter(|o| o.key.is_present()))
    }
}

/// A v1 create/update reply (`videos/create`, `accounts/images/create`, ...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct V1Reply {
    /// The media (or image, skin, track...) key.
    pub key: String,
    /// The upload link; absent for fetch uploads.
    pub link: Option<Link>,
    /// The resumable (and form) session id.
    pub session_id: Option<String>,
}

/// A v2 `POST /v2/sites/{site}/media` reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct V2MediaReply {
    /// The media id.
    pub id: String,
    /// Multipart upload id.
    pub upload_id: Option<String>,
    /// Multipart upload bearer token.
    pub upload_token: Option<String>,
    /// Direct upload: the pre-signed URL the whole file is PUT to.
    #[serde(default)]
    pub upload_link: Option<String>,
}

/// What the customer's backend hands over: the platform's create/update reply, either shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Credentials {
    /// A v1 reply (s3, form, resumable, fetch by v1, other resources).
    V1(V1Reply),
    /// A v2 reply (multipart, fetch by v2).
    V2(V2MediaReply),
}

impl Credentials {
    /// Parses a 2xx create/update reply body.
    pub fn parse(body: &str) -> Result<Credentials, UploadError> {
        /// Which shape: a v2 reply has an `id` or an `upload_id` (of any value).
        #[derive(Deserialize)]
        struct Shape {
            #[serde(default)]
            id: Leaf,
            #[serde(default)]
            upload_id: Leaf,
        }
        let shape: Shape = json(body, "credentials")?;
        if shape.id.is_present() || shape.upload_id.is_present() {
            #[derive(Deserialize)]
            struct Raw {
                #[serde(default)]
                id: Leaf,
                upload_id: Option<String>,
                upload_token: Option<String>,
                upload_link: Option<String>,
            }
            let r: Raw = json(body, "v2 media")?;
            let id = (r.id.scalar_string())
                .ok_or_else(|| UploadError::invalid_reply("v2 media reply has no id"))?;
            return Ok(Credentials::V2(V2MediaReply {
                id,
                upload_id: r.upload_id,
                upload_token: r.upload_token,
                upload_link: r.upload_link,
            }));
        }
        let mut raw: RawV1 = json(body, "v1 reply")?;
        if raw.status.as_deref().is_some_and(|s| s != "ok") {
            return Err(UploadError::invalid_reply("status is not ok"));
        }
        let link = raw.link.take().map(RawLink::into_link);
        let session_id = raw.session_id.take();
        let key = (raw.object())
            .and_then(|o| o.key.scalar_string())
            .ok_or_else(|| UploadError::invalid_reply("reply names no media key"))?;
        Ok(Credentials::V1(V1Reply {
            key,
            link: link.transpose()?,
            session_id,
        }))
    }

    /// The media key or id these credentials are for.
    pub fn media_id(&self) -> &str {
        match self {
            Credentials::V1(r) => &r.key,
            Credentials::V2(r) => &r.id,
        }
    }
}

/// The reply to a finished form POST or a last resumable chunk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedReply {
    /// Key of the uploaded object.
    pub key: String,
    /// MD5 hex the server computed (form only).
    pub md5: Option<String>,
    /// Size the server received (string or number on the wire).
    pub size: Option<u64>,
}

impl UploadedReply {
    /// Parses `{"status":"ok","video":{"key","md5","size"}}` (a `redirect_link` is ignored).
    pub fn parse(body: &str) -> Result<UploadedReply, UploadError> {
        let raw: RawV1 = json(body, "upload reply")?;
        if raw.status.as_deref().is_some_and(|s| s != "ok") {
            return Err(UploadError::invalid_reply("status is not ok"));
        }
        let obj = raw
            .object()
            .ok_or_else(|| UploadError::invalid_reply("upload reply names no key"))?;
        let key = (obj.key.scalar_string())
            .ok_or_else(|| UploadError::invalid_reply("upload reply key is not a string"))?;
        Ok(UploadedReply {
            key,
            size: obj.size.size(),
            md5: obj.md5.text().map(|m| m.trim().to_ascii_lowercase()),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn v1_s3_reply() {
        let body = r#"{"status":"ok","media":{"type":"video","key":"tL17msiU"},
 "link":{"protocol":"http","address":"127.0.0.1:4010","path":"/jwplatform-upload/tL17msiU",
 "query":{"AWSAccessKeyId":"SIMAKIA0000000000000","Expires":1482770374,"Signature":"1/l+L6/yOE05dNEbXHW8sw7TGF4="}},
 "rate_limit":{"reset":1572450420,"limit":60,"remaining":59}}"#;
        let Credentials::V1(r) = Credentials::parse(body).unwrap() else {
            panic!("v1 expected")
        };
        assert_eq!(r.key, "tL17msiU");
        let link = r.link.unwrap();
        assert_eq!(link.query.get("Expires").unwrap(), "1482770374");
        assert_eq!(
            link.query.get("Signature").unwrap(),
            "1/l+L6/yOE05dNEbXHW8sw7TGF4="
        );
    }

    #[test]
    fn v1_form_and_track_replies() {
        let body = r#"{"status":"ok","track":{"key":"trk1"},"link":{"protocol":"http",
        "address":"a","path":"/v1/videos/tracks/upload","query":{"key":"k","token":"t"}},
        "session_id":"S"}"#;
        let Credentials::V1(r) = Credentials::parse(body).unwrap() else {
            panic!()
        };
        assert_eq!(
            (r.key.as_str(), r.session_id.as_deref()),
            ("trk1", Some("S"))
        );
        assert!(Credentials::parse(r#"{"status":"ok","link":{}}"#).is_err());
        assert!(
            Credentials::parse(r#"{"status":"ok","media":{"key":"k"},"link":{"path":"/"}}"#)
                .is_err()
        );
        assert!(Credentials::parse("nope").is_err());
    }

    #[test]
    fn v2_reply() {
        let body = r#"{"id":"Xa7fG2kq","type":"media","status":"created","metadata":{},
        "upload_id":"4f1b","upload_token":"eyJ","created":"2026-11-22T00:00:00Z"}"#;
        let Credentials::V2(r) = Credentials::parse(body).unwrap() else {
            panic!()
        };
        assert_eq!(r.upload_id.as_deref(), Some("4f1b"));
        let direct = r#"{"id":"Xa7fG2kq","type":"media","status":"created",
        "upload_link":"https://s3.example/jw/Xa7fG2kq?X-Amz-Signature=ab"}"#;
        let Credentials::V2(d) = Credentials::parse(direct).unwrap() else {
            panic!()
        };
        assert_eq!(
            d.upload_link.as_deref(),
            Some("https://s3.example/jw/Xa7fG2kq?X-Amz-Signature=ab")
        );
    }

    #[test]
    fn form_reply_size_string_or_number() {
        let a = UploadedReply::parse(
            r#"{"status":"ok","video":{"key":"k","md5":"6D40","size":"215"},
        "redirect_link":{"address":"http://e/p/k","query":{"parameter1":"value1"}}}"#,
        )
        .unwrap();
        assert_eq!((a.size, a.md5.as_deref()), (Some(215), Some("6d40")));
        let b = UploadedReply::parse(r#"{"status":"ok","image":{"key":"k","size":215}}"#).unwrap();
        assert_eq!(b.size, Some(215));
        assert!(UploadedReply::parse(r#"{"status":"ok"}"#).is_err());
        assert!(UploadedReply::parse(r#"{"status":"error","video":{"key":"k"}}"#).is_err());
    }
}
