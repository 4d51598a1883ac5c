//! s3: one signed PUT of the whole file (under 5 GiB), no `Content-Type`; the `ETag` is the MD5.

use super::whole::Whole;
use super::{fallback, rejected, v1_link, Ctx, Outgoing, Phase, Verdict};
use crate::error::UploadError;
use crate::io::{Body, HttpMethod, RequestKind, Response};
use crate::link::s3_url;
use crate::method::Method;
use crate::reply::{normalize_etag, Credentials, PlatformError};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// The s3 machine.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct S3 {
    w: Whole,
}

impl S3 {
    pub fn install(&mut self, creds: &Credentials, ctx: &mut Ctx<'_>) -> Result<(), UploadError> {
        let r = v1_link(creds)?;
        let link = r
            .link
            .as_ref()
            .ok_or_else(|| UploadError::invalid_reply("no link"))?;
        self.w.url = Some(s3_url(link, ctx.cfg.upgrade_https)?);
        self.w.key = Some(r.key.clone());
        Ok(())
    }

    pub fn next(&mut self, ctx: &mut Ctx<'_>) -> Option<Outgoing> {
        if !self.w.ready() {
            return None;
        }
        let url = self.w.url.clone()?;
        // Ask for the digest early so it is ready when the reply comes.
        let _ = ctx.digest(&(0..ctx.cfg.size));
        self.w.in_flight = true;
        Some(Outgoing {
            kind: RequestKind::S3Put,
            method: HttpMethod::Put,
            url,
            headers: Vec::new(),
            body: Body::Range(0..ctx.cfg.size),
        })
    }

    pub fn on_response(&mut self, resp: &Response, ctx: &mut Ctx<'_>) -> Verdict {
        self.w.in_flight = false;
        self.w.lost_in_row = 0;
        if resp.is_success() {
            let etag = resp.header("ETag").map(normalize_etag);
            return self.w.stored(etag, None, Method::S3, ctx);
        }
        let pe = PlatformError::parse(&resp.body);
        if resp.status == 403 && pe.is_expired() {
            self.w.url = None;
            return Verdict::Renew;
        }
        if resp.status == 403 {
            return Verdict::Fail(rejected(resp));
        }
        fallback(resp, ctx)
    }

    pub fn on_digest(&mut self, _range: &Range<u64>, ctx: &mut Ctx<'_>) -> Verdict {
        self.w.check(Method::S3, ctx)
    }

    pub fn requeue(&mut self) {
        self.w.in_flight = false;
    }

    /// After a restore: nothing in flight; a stored but unverified file is sent again.
    pub fn restored(&mut self) {
        self.w.in_flight = false;
        self.w.stored = None;
        self.w.done = false;
    }

    pub fn lost(&mut self, online: bool) -> bool {
        self.w.lost(online)
    }

    pub fn phase(&self) -> Phase {
        self.w.phase()
    }
}
