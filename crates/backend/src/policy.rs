//! Who may do what: the [`Policy`] hook and the default one, which lets a browser act only on
//! media minted for it (a signed, HttpOnly, SameSite cookie per media; no server-side map).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::request::Parts;
use axum::http::HeaderMap;
use jw_upload_core::Resource;

use crate::csrf::cookies;
use crate::key::ServerKey;

/// Prefix of the ownership cookies: `jwu_m_{media_id}={expiry}.{tag}`.
pub const OWNER_COOKIE_PREFIX: &str = "jwu_m_";

/// What a browser asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Mint a new upload (a video, or an image or skin when those are enabled).
    Create,
    /// Have the platform fetch a URL into a new video.
    Fetch,
    /// Fresh credentials for an existing media (`media_id`).
    Renew,
    /// Add a thumbnail to a video (`video_key`).
    Thumbnail,
    /// Add a track to a video (`video_key`).
    Track,
    /// Read a media's status and metadata (`GET /api/media/{id}`).
    Status,
}

/// What a [`Policy`] sees.
#[derive(Debug)]
pub struct Ask<'a> {
    /// The intended action.
    pub action: Action,
    /// The existing media it is about (renew, thumbnail, track, status).
    pub media_id: Option<&'a str>,
    /// What is uploaded (for create).
    pub resource: Resource,
    /// Whether this browser holds a valid ownership cookie for `media_id` (it was minted for
    /// this browser and has not expired).
    pub minted_here: bool,
    /// The request's head: headers, URI and the extensions an app's own auth layer added
    /// (its logged-in user, say).
    pub request: &'a Parts,
}

/// Decides whether a request may go ahead. Implemented for closures
/// `Fn(&Ask) -> bool + Send + Sync`.
pub trait Policy: Send + Sync + 'static {
    /// `true` to let the request go to the platform; `false` answers a 403.
    fn allows(&self, ask: &Ask<'_>) -> bool;
}

impl<F> Policy for F
where
    F: Fn(&Ask<'_>) -> bool + Send + Sync + 'static,
{
    fn allows(&self, ask: &Ask<'_>) -> bool {
        self(ask)
    }
}

/// The default policy: anyone who passed the CSRF checks may create; only the browser a media
/// was minted for may renew it, add thumbnails or tracks to it, or read its status.
#[derive(Debug, Clone, Copy, Default)]
pub struct MintedHere;

impl Policy for MintedHere {
    fn allows(&self, ask: &Ask<'_>) -> bool {
        match ask.action {
            Action::Create | Action::Fetch => true,
            Action::Renew | Action::Thumbnail | Action::Track | Action::Status => ask.minted_here,
        }
    }
}

/// Issues and checks ownership cookies.
#[derive(Debug, Clone)]
pub struct Ownership {
    key: ServerKey,
    ttl: Duration,
    https: bool,
    cross_site: bool,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Ownership {
    /// Cookies signed with `key`, valid for `ttl`, `Secure` when `https`, `SameSite=None` when
    /// pages on another site may call over https (see `csrf::same_site_attr`).
    pub fn new(key: ServerKey, ttl: Duration, https: bool, cross_site: bool) -> Ownership {
        Ownership {
            key,
            ttl,
            https,
            cross_site,
        }
    }

    /// The `Set-Cookie` value that gives this browser media `id` (a valid platform key).
    pub fn cookie_for(&self, id: &str) -> String {
        let expiry = now_secs().saturating_add(self.ttl.as_secs());
        let expiry_text = expiry.to_string();
        let tag = self.key.tag("owner", &[id, &expiry_text]);
        format!(
            "{OWNER_COOKIE_PREFIX}{id}={expiry_text}.{tag}; Path=/; Max-Age={}; HttpOnly; {}",
            self.ttl.as_secs(),
            crate::csrf::same_site_attr(self.https, self.cross_site)
        )
    }

    /// Whether the request carries a valid, unexpired ownership cookie for `id`.
    pub fn holds(&self, headers: &HeaderMap, id: &str) -> bool {
        let name = format!("{OWNER_COOKIE_PREFIX}{id}");
        let now = now_secs();
        cookies(headers)
            .filter(|(k, _)| *k == name)
            .any(|(_, value)| {
                let Some((expiry, tag)) = value.split_once('.') else {
                    return false;
                };
                let fresh = expiry.parse::<u64>().is_ok_and(|e| e > now);
                fresh && self.key.verify("owner", &[id, expiry], tag)
            })
    }
}
