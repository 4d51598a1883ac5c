//! direct (v2): one PUT of the whole file (under 5 GiB) to the create reply's top-level
//! `upload_link`, with no `Content-Type` (the reference backend sends no `upload.mime_type`);
//! the `ETag` is the MD5. A refused or expired link is renewed by a new create; resuming
//! starts the file over, as the platform's docs say of single-request uploads.

use super::whole::{Held, Whole};
use super::{Ctx, Outgoing, Verdict};
use crate::error::UploadError;
use crate::io::{RequestKind, Response};
use crate::method::Method;
use crate::reply::Credentials;
use serde::{Deserialize, Serialize};

/// The direct machine.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "Held")]
pub(crate) struct Direct {
    pub(super) w: Whole,
}

impl From<Held> for Direct {
    fn from(h: Held) -> Self {
        Direct { w: h.w }
    }
}

/// The `upload_link` of a v2 direct create reply, when it is an absolute http(s) URL.
fn upload_link(creds: &Credentials) -> Result<(&str, &str), UploadError> {
    let Credentials::V2(r) = creds else {
        return Err(UploadError::invalid_reply(
            "the credentials are not a v2 media reply (direct needs its upload_link)",
        ));
    };
    let link = r
        .upload_link
        .as_deref()
        .ok_or_else(|| UploadError::invalid_reply("the v2 media reply has no upload_link"))?;
    let lower = link.get(..8).unwrap_or(link).to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Err(UploadError::invalid_reply(
            "the upload_link is not an http or https URL",
        ));
    }
    Ok((link, &r.id))
}

impl Direct {
    pub fn install(&mut self, creds: &Credentials) -> Result<(), UploadError> {
        let (link, id) = upload_link(creds)?;
        self.w.url = Some(link.to_string());
        self.w.key = Some(id.to_string());
        Ok(())
    }

    pub fn next(&mut self, ctx: &mut Ctx<'_>) -> Option<Outgoing> {
        self.w.put(RequestKind::DirectPut, ctx)
    }

    pub fn on_response(&mut self, resp: &Response, ctx: &mut Ctx<'_>) -> Verdict {
        self.w.put_reply(resp, Method::Direct, ctx)
    }
}
