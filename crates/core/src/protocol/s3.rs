//! s3: one signed PUT of the whole file (under 5 GiB), no `Content-Type`; the `ETag` is the MD5;
//! a link refused with 401/403 (any code) is renewed.

use super::whole::Whole;
use super::{Ctx, Outgoing, Phase, Verdict};
use crate::error::UploadError;
use crate::io::{Body, HttpMethod, RequestKind, Response};
use crate::link::s3_url;
use crate::method::Method;
use crate::reply::{normalize_etag, Credentials};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// The s3 machine.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct S3 {
    w: Whole,
}

impl S3 {
    pub fn install(&mut self, creds: &Credentials, ctx: &mut Ctx<'_>) -> Result<(), UploadError> {
        self.w
            .install(creds, |link| s3_url(link, ctx.cfg.upgrade_https))
    }

    pub fn next(&mut self, ctx: &mut Ctx<'_>) -> Option<Outgoing> {
        let url = self.w.start(ctx)?;
        Some(Outgoing {
            kind: RequestKind::S3Put,
            method: HttpMethod::Put,
            url,
            headers: Vec::new(),
            body: Body::Range(0..ctx.cfg.size),
        })
    }

    pub fn on_response(&mut self, resp: &Response, ctx: &mut Ctx<'_>) -> Verdict {
        self.w.replied();
        if resp.is_success() {
            let etag = resp.header("ETag").map(normalize_etag);
            return self.w.stored(etag, None, Method::S3, ctx);
        }
        self.w.refused(resp, ctx)
    }

    pub fn on_digest(&mut self, _range: &Range<u64>, ctx: &mut Ctx<'_>) -> Verdict {
        self.w.check(Method::S3, ctx)
    }

    pub fn requeue(&mut self) {
        self.w.requeue();
    }

    pub fn restored(&mut self) {
        self.w.restored();
    }

    pub fn lost(&mut self, online: bool) -> bool {
        self.w.lost(online)
    }

    pub fn phase(&self) -> Phase {
        self.w.phase()
    }
}
