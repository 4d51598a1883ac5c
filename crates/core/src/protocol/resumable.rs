//! resumable: chunks POSTed with `X-Content-Range` and `X-Session-ID`; the server's `Range`
//! reply (gaps included) says what it holds, and the engine sends what is missing. Resuming
//! sends a first chunk from byte 0, as the docs say, and continues from the server's answer.

use super::{fallback, rejected, v1_link, Ctx, Outgoing, Verdict};
use crate::config::Config;
use crate::error::UploadError;
use crate::event::{RetryReason, UploadResult};
use crate::io::{Body, HttpMethod, RequestKind, Response};
use crate::link::resumable_url;
use crate::method::Method;
use crate::range::{content_range, RangeReport, RangeSet};
use crate::reply::{Credentials, UploadedReply};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// The resumable machine.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Resumable {
    url: Option<String>,
    session_id: Option<String>,
    key: Option<String>,
    /// Union of every range the server reported holding.
    acked: RangeSet,
    chunk: u64,
    min_chunk: u64,
    /// The next chunk is the resume probe from byte 0.
    probe: bool,
    done: bool,
    #[serde(skip)]
    in_flight: Vec<Range<u64>>,
    #[serde(skip)]
    probing: bool,
}

impl Resumable {
    pub fn new(cfg: &Config) -> Self {
        Resumable {
            url: None,
            session_id: None,
            key: None,
            acked: RangeSet::new(),
            chunk: cfg.chunk_sizing.size_for(None),
            min_chunk: cfg.chunk_sizing.min.max(1),
            probe: false,
            done: false,
            in_flight: Vec::new(),
            probing: false,
        }
    }

    pub fn install(&mut self, creds: &Credentials, ctx: &mut Ctx<'_>) -> Result<(), UploadError> {
        let r = v1_link(creds)?;
        let link = r
            .link
            .as_ref()
            .ok_or_else(|| UploadError::invalid_reply("no link"))?;
        let session = r
            .session_id
            .clone()
            .ok_or_else(|| UploadError::invalid_reply("the reply has no session_id"))?;
        if self.session_id.as_ref().is_some_and(|s| *s != session) {
            // A new session holds nothing of the old one.
            self.acked = RangeSet::new();
            ctx.progress.set_committed(0, ctx.now);
        }
        self.url = Some(resumable_url(
            link,
            &ctx.cfg.redirect,
            ctx.cfg.upgrade_https,
        )?);
        self.session_id = Some(session);
        self.key = Some(r.key.clone());
        Ok(())
    }

    /// After a restore: the server's `Range` is the truth; ask for it with a chunk from byte 0.
    pub fn restored(&mut self) {
        self.acked = RangeSet::new();
        self.probe = true;
        self.done = false;
        self.in_flight.clear();
        self.probing = false;
    }

    fn busy(&self) -> RangeSet {
        RangeSet::from_ranges(self.in_flight.iter().cloned())
    }

    pub fn next(&mut self, ctx: &mut Ctx<'_>) -> Option<Outgoing> {
        let size = ctx.cfg.size;
        if self.done || self.probing || self.in_flight.len() >= ctx.cfg.chunk_parallel.max(1) {
            return None;
        }
        let (url, session) = (self.url.clone()?, self.session_id.clone()?);
        let range = if self.probe {
            if !self.in_flight.is_empty() {
                return None;
            }
            self.probe = false;
            self.probing = true;
            0..ctx.cfg.probe_bytes.clamp(1, size)
        } else {
            match self.acked.next_missing(&self.busy(), size, self.chunk) {
                Some(r) => r,
                // The server holds every byte but has not said 200: send the last byte again.
                None if self.in_flight.is_empty() && self.acked.is_complete(size) => size - 1..size,
                None => return None,
            }
        };
        self.in_flight.push(range.clone());
        let content_type = if ctx.cfg.content_type.starts_with("multipart/form-data") {
            "application/octet-stream".to_string()
        } else {
            ctx.cfg.content_type.clone()
        };
        let name = ctx.cfg.file_name.replace(['"', '\\', '\r', '\n'], "_");
        Some(Outgoing {
            kind: RequestKind::Chunk {
                range: range.clone(),
            },
            method: HttpMethod::Post,
            url,
            headers: vec![
                (
                    "Content-Disposition".into(),
                    format!("attachment; filename=\"{name}\""),
                ),
                ("Content-Type".into(), content_type),
                ("X-Content-Range".into(), content_range(&range, size)),
                ("X-Session-ID".into(), session),
            ],
            body: Body::Range(range),
        })
    }

    fn land(&mut self, range: &Range<u64>) -> bool {
        self.probing = false;
        let before = self.in_flight.len();
        self.in_flight.retain(|r| r != range);
        before != self.in_flight.len()
    }

    pub fn requeue(&mut self, kind: &RequestKind, failed: bool) {
        if let RequestKind::Chunk { range } = kind {
            if self.probing && range.start == 0 {
                self.probe = true;
            }
            self.land(range);
        }
        if failed {
            self.chunk = self.chunk_sizing_shrink();
        }
    }

    fn chunk_sizing_shrink(&self) -> u64 {
        (self.chunk / 2).max(self.min_chunk).min(self.chunk)
    }

    fn report(resp: &Response) -> Option<Result<RangeReport, UploadError>> {
        let text = resp
            .header("Range")
            .map(str::to_string)
            .or_else(|| Some(resp.body.trim().to_string()).filter(|b| !b.is_empty()))?;
        Some(RangeReport::parse(&text).map_err(UploadError::invalid_reply))
    }

    pub fn on_response(
        &mut self,
        kind: &RequestKind,
        resp: &Response,
        ctx: &mut Ctx<'_>,
    ) -> Verdict {
        let RequestKind::Chunk { range } = kind else {
            return Verdict::Continue;
        };
        if !self.land(range) || self.done {
            return Verdict::Continue;
        }
        let size = ctx.cfg.size;
        match resp.status {
            200 => {
                let reply = match UploadedReply::parse(&resp.body) {
                    Ok(r) => r,
                    Err(e) => return Verdict::Fail(e.with_status(200)),
                };
                if let Some(s) = reply.size.filter(|s| *s != size) {
                    return Verdict::Fail(UploadError::integrity(format!(
                        "the server holds {s} bytes of {size}"
                    )));
                }
                self.done = true;
                ctx.progress.finish();
                Verdict::Done(UploadResult {
                    media_id: reply.key,
                    size: Some(size),
                    md5: None,
                    method: Method::Resumable,
                })
            }
            201 | 416 => {
                let report = match Self::report(resp) {
                    Some(Ok(r)) => r,
                    Some(Err(e)) => {
                        return Verdict::Retry {
                            reason: RetryReason::NoProgress,
                            retry_after: None,
                            error: Some(e),
                        }
                    }
                    None if resp.status == 416 => RangeReport {
                        have: RangeSet::new(),
                        total: size,
                    },
                    None => {
                        return Verdict::Retry {
                            reason: RetryReason::NoProgress,
                            retry_after: None,
                            error: Some(UploadError::invalid_reply("201 without a Range")),
                        }
                    }
                };
                if report.total != size {
                    return Verdict::Fail(UploadError::invalid_reply(format!(
                        "the server expects {} bytes, the file has {size}",
                        report.total
                    )));
                }
                let before = self.acked.len_bytes();
                self.acked.union(&report.have);
                ctx.progress.set_committed(self.acked.len_bytes(), ctx.now);
                if resp.status == 201 && self.acked.len_bytes() > before {
                    self.chunk = ctx
                        .cfg
                        .chunk_sizing
                        .size_for(ctx.progress.bytes_per_second());
                    Verdict::Progress
                } else if resp.status == 201 && self.acked.contains_range(range) {
                    // A duplicate (e.g. the resume probe): nothing new, nothing wrong.
                    Verdict::Continue
                } else {
                    Verdict::Retry {
                        reason: if resp.status == 416 {
                            RetryReason::Status { status: 416 }
                        } else {
                            RetryReason::NoProgress
                        },
                        retry_after: None,
                        error: None,
                    }
                }
            }
            404 => Verdict::Renew(Some(rejected(resp))),
            _ => fallback(resp, ctx),
        }
    }
}
