//! form: one `multipart/form-data` POST of the whole file in the field `file`; the reply's `md5`
//! and `size` are checked against the file.

use super::whole::{Held, Whole};
use super::{Ctx, Outgoing, Verdict};
use crate::error::UploadError;
use crate::io::{Body, HttpMethod, RequestKind, Response};
use crate::link::form_url;
use crate::method::Method;
use crate::reply::{Credentials, UploadedReply};
use serde::{Deserialize, Serialize};

/// The form machine.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "Held")]
pub(crate) struct Form {
    pub(super) w: Whole,
}

impl From<Held> for Form {
    fn from(h: Held) -> Self {
        Form { w: h.w }
    }
}

impl Form {
    pub fn install(&mut self, creds: &Credentials, ctx: &mut Ctx<'_>) -> Result<(), UploadError> {
        self.w.install(creds, |link| {
            form_url(link, &ctx.cfg.redirect, ctx.cfg.upgrade_https)
        })
    }

    pub fn next(&mut self, ctx: &mut Ctx<'_>) -> Option<Outgoing> {
        let url = self.w.start(ctx)?;
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
        self.w.replied();
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
        self.w.refused(resp, ctx)
    }
}
