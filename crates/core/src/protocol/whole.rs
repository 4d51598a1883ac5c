//! What s3, direct and form share: one request carrying the whole file, then the server's MD5 (ETag or
//! `md5` field) checked against the driver's digest; one mismatch re-sends, a second fails.

use super::{fallback, v1_link, Ctx, Outgoing, Phase, Verdict};
use crate::error::UploadError;
use crate::event::UploadResult;
use crate::io::{Body, HttpMethod, RequestKind, Response};
use crate::method::Method;
use crate::reply::{normalize_etag, Credentials, Link};
use serde::{Deserialize, Serialize};

/// The stored form shared by s3, direct and form (`{"w": {...}}`), read by one deserializer
/// for all three machines (each derives its own otherwise, about 2 KB of wasm apiece).
#[derive(Deserialize)]
pub(crate) struct Held {
    pub w: Whole,
}

/// State of a single whole-file transfer.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Whole {
    /// Upload URL from the current credentials.
    pub url: Option<String>,
    /// Media key.
    pub key: Option<String>,
    #[serde(skip)]
    pub in_flight: bool,
    /// Stored by the server, MD5 not yet checked: (server md5, server size).
    pub stored: Option<(Option<String>, Option<u64>)>,
    pub mismatches: u8,
    pub done: bool,
    /// Requests lost in a row (no reply at all).
    #[serde(skip)]
    pub lost_in_row: u8,
}

impl Whole {
    /// Takes the media key and the upload URL (built by `url` from the link) from v1 credentials.
    pub fn install(
        &mut self,
        creds: &Credentials,
        url: impl FnOnce(&Link) -> Result<String, UploadError>,
    ) -> Result<(), UploadError> {
        let r = v1_link(creds)?;
        let link = r
            .link
            .as_ref()
            .ok_or_else(|| UploadError::invalid_reply("no link"))?;
        self.url = Some(url(link)?);
        self.key = Some(r.key.clone());
        Ok(())
    }

    /// The URL of the request when it may go now, which is then in flight; asks for the digest
    /// early so it is ready when the reply comes.
    pub fn start(&mut self, ctx: &mut Ctx<'_>) -> Option<String> {
        if !self.ready() {
            return None;
        }
        let url = self.url.clone()?;
        let _ = ctx.digest(&(0..ctx.cfg.size));
        self.in_flight = true;
        Some(url)
    }

    /// s3 and direct: the whole file in one `PUT` with no `Content-Type`, when it may go now.
    pub fn put(&mut self, kind: RequestKind, ctx: &mut Ctx<'_>) -> Option<Outgoing> {
        let url = self.start(ctx)?;
        Some(Outgoing {
            kind,
            method: HttpMethod::Put,
            url,
            headers: Vec::new(),
            body: Body::Range(0..ctx.cfg.size),
        })
    }

    /// The reply to [`Whole::put`]: the `ETag` is the stored file's MD5.
    pub fn put_reply(&mut self, resp: &Response, method: Method, ctx: &mut Ctx<'_>) -> Verdict {
        self.replied();
        if resp.is_success() {
            let etag = resp.header("ETag").map(normalize_etag);
            return self.stored(etag, None, method, ctx);
        }
        self.refused(resp, ctx)
    }

    /// A refused reply, read as [`fallback`] reads it (a link refused with 401 or 403, whatever
    /// its code or message, is renewed); a renewal drops the URL first.
    pub fn refused(&mut self, resp: &Response, ctx: &Ctx<'_>) -> Verdict {
        let v = fallback(resp, ctx);
        if matches!(v, Verdict::Renew(_)) {
            self.url = None;
        }
        v
    }

    pub fn requeue(&mut self) {
        self.in_flight = false;
    }

    /// A reply came (any status): the request is over, and the link or token evidently still
    /// reaches the server, so lost requests start counting again.
    pub fn replied(&mut self) {
        self.in_flight = false;
        self.lost_in_row = 0;
    }

    /// After a restore: nothing in flight; a stored but unverified file is sent again.
    pub fn restored(&mut self) {
        self.in_flight = false;
        self.stored = None;
        self.done = false;
    }

    /// Whether the request may go now.
    pub fn ready(&self) -> bool {
        !self.done && !self.in_flight && self.stored.is_none() && self.url.is_some()
    }

    /// The request was lost without a reply. Servers refuse an expired link or token before
    /// reading the body and drop the connection, which the browser reports as a network error:
    /// after two in a row the credentials are suspect, and the URL is dropped for fresh ones.
    pub fn lost(&mut self, online: bool) -> bool {
        self.in_flight = false;
        if !online {
            return false; // offline: the network, not the credentials
        }
        self.lost_in_row += 1;
        if self.lost_in_row >= 2 {
            self.lost_in_row = 0;
            self.url = None;
            return true;
        }
        false
    }

    pub fn phase(&self) -> Phase {
        if self.stored.is_some() {
            Phase::Verifying
        } else {
            Phase::Transfer
        }
    }

    /// The server stored the file and says its MD5 (if readable) and size (if it says).
    pub fn stored(
        &mut self,
        md5: Option<String>,
        size: Option<u64>,
        method: Method,
        ctx: &mut Ctx<'_>,
    ) -> Verdict {
        let total = ctx.cfg.size;
        if let Some(s) = size.filter(|s| *s != total) {
            return self.mismatch(format!("the server holds {s} bytes of {total}"), ctx);
        }
        ctx.progress.set_committed(total, ctx.now);
        self.stored = Some((md5, size));
        self.check(method, ctx)
    }

    /// Checks the stored MD5 against the digest, when both are known.
    pub fn check(&mut self, method: Method, ctx: &mut Ctx<'_>) -> Verdict {
        let Some((md5, _)) = self.stored.clone() else {
            return Verdict::Continue;
        };
        let digest = if ctx.cfg.verify && md5.is_some() {
            match ctx.digest(&(0..ctx.cfg.size)) {
                Some(d) => Some(d),
                None => return Verdict::Continue,
            }
        } else {
            None
        };
        let digest = digest.filter(|d| !d.is_empty());
        if let (Some(server), Some(ours)) = (&md5, &digest) {
            if !server.eq_ignore_ascii_case(ours) {
                return self.mismatch(format!("server MD5 {server}, file MD5 {ours}"), ctx);
            }
        }
        self.done = true;
        self.stored = None;
        Verdict::Done(UploadResult {
            media_id: self.key.clone().unwrap_or_default(),
            size: Some(ctx.cfg.size),
            md5: digest.or(md5),
            method,
        })
    }

    fn mismatch(&mut self, what: String, ctx: &mut Ctx<'_>) -> Verdict {
        self.stored = None;
        self.mismatches += 1;
        ctx.progress.set_committed(0, ctx.now);
        if self.mismatches >= 2 {
            return Verdict::Fail(UploadError::integrity(what));
        }
        Verdict::Continue
    }
}
