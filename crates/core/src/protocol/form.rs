//! form: one `multipart/form-data` POST of the whole file in the field `file`; the reply's `md5`
//! and `size` are checked against the file.

use super::whole::Whole;
use super::{fallback, v1_link, Ctx, Outgoing, Phase, Verdict};
use crate::error::UploadError;
use crate::io::{Body, HttpMethod, RequestKind, Response};
use crate::link::form_url;
use crate::method::Method;
use crate::reply::{Credentials, PlatformError, UploadedReply};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// The form machine.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Form {
    w: Whole,
}

impl Form {
    pub fn install(&mut self, creds: &Credentials, ctx: &mut Ctx<'_>) -> Result<(), UploadError> {
        let r = v1_link(creds)?;
        let link = r
            .link
            .as_ref()
            .ok_or_else(|| UploadError::invalid_reply("no link"))?;
        self.w.url = Some(form_url(link, &ctx.cfg.redirect, ctx.cfg.upgrade_https)?);
        self.w.key = Some(r.key.clone());
        Ok(())
    }

    pub fn next(&mut self, ctx: &mut Ctx<'_>) -> Option<Outgoing> {
        if !self.w.ready() {
            return None;
        }
        let url = self.w.url.clone()?;
        let _ = ctx.digest(&(0..ctx.cfg.size));
        self.w.in_flight = true;
        Some(Outgoing {
            kind: RequestKind::FormPost,
            method: HttpMethod::Post,
            url,
            headers: Vec::new(),
            body: Body::Form {
                field: "file".into(),
                range: 0..ctx.cfg.size,
                filename: ctx.cfg.file_name.clone(),
                content_type: ctx.cfg.content_type.clone(),
            },
        })
    }

    pub fn on_response(&mut self, resp: &Response, ctx: &mut Ctx<'_>) -> Verdict {
        self.w.in_flight = false;
        // 303 See Other carries the JSON too when a redirect address was given.
        if resp.is_success() || resp.status == 303 {
            return match UploadedReply::parse(&resp.body) {
                Ok(r) => {
                    if self.w.key.is_none() {
                        self.w.key = Some(r.key.clone());
                    }
                    self.w.stored(r.md5, r.size, Method::Form, ctx)
                }
                Err(e) => Verdict::Fail(e.with_status(resp.status)),
            };
        }
        if resp.status == 403 && PlatformError::parse(&resp.body).is_expired() {
            self.w.url = None;
            return Verdict::Renew;
        }
        fallback(resp, ctx)
    }

    pub fn on_digest(&mut self, _range: &Range<u64>, ctx: &mut Ctx<'_>) -> Verdict {
        self.w.check(Method::Form, ctx)
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
