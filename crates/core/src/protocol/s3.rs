//! s3: one signed PUT of the whole file (under 5 GiB), no `Content-Type`; the `ETag` is the MD5;
//! a link refused with 401/403 (any code) is renewed.

use super::whole::{Held, Whole};
use super::{Ctx, Outgoing, Verdict};
use crate::error::UploadError;
use crate::io::{RequestKind, Response};
use crate::link::s3_url;
use crate::method::Method;
use crate::reply::Credentials;
use serde::{Deserialize, Serialize};

/// The s3 machine.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "Held")]
pub(crate) struct S3 {
    pub(super) w: Whole,
}

impl From<Held> for S3 {
    fn from(h: Held) -> Self {
        S3 { w: h.w }
    }
}

impl S3 {
    pub fn install(&mut self, creds: &Credentials, ctx: &mut Ctx<'_>) -> Result<(), UploadError> {
        self.w
            .install(creds, |link| s3_url(link, ctx.cfg.upgrade_https))
    }

    pub fn next(&mut self, ctx: &mut Ctx<'_>) -> Option<Outgoing> {
        self.w.put(RequestKind::S3Put, ctx)
    }

    pub fn on_response(&mut self, resp: &Response, ctx: &mut Ctx<'_>) -> Verdict {
        self.w.put_reply(resp, Method::S3, ctx)
    }
}
