//! The five protocol state machines behind one internal interface, and what they share: the
//! context they act in, the requests they emit, and the verdicts they return to the engine.

pub(crate) mod direct;
pub(crate) mod form;
pub(crate) mod multipart;
pub(crate) mod resumable;
pub(crate) mod s3;
mod whole;

use whole::Whole;

use crate::config::Config;
use crate::error::{ErrorCode, UploadError};
use crate::event::{Event, RetryReason, UploadResult};
use crate::io::{Body, HttpMethod, RequestKind, Response, Task};
use crate::method::Method;
use crate::progress::ProgressTracker;
use crate::reply::{Credentials, PlatformError};
use crate::retry::{is_retryable_status, parse_http_date_ms, parse_retry_after};
use crate::sorted::{Map, SortedSet};
use crate::time::Millis;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::ops::Range;
use std::time::Duration;

/// What a machine acts in: config, time, progress, the UI's events, the driver's tasks and
/// digests.
pub(crate) struct Ctx<'a> {
    pub cfg: &'a Config,
    pub now: Millis,
    pub progress: &'a mut ProgressTracker,
    pub events: &'a mut VecDeque<Event>,
    pub tasks: &'a mut VecDeque<Task>,
    pub digests: &'a Map<(u64, u64), String>,
    pub wanted: &'a mut SortedSet<(u64, u64)>,
}

impl Ctx<'_> {
    /// The driver's MD5 of `r`, asking for it (once) when not known yet. An empty string means
    /// the driver cannot hash it: callers accept what the server says.
    pub fn digest(&mut self, r: &Range<u64>) -> Option<String> {
        let key = (r.start, r.end);
        if let Some(d) = self.digests.get(&key) {
            return Some(d.clone());
        }
        if self.cfg.verify && self.wanted.insert(key) {
            self.tasks.push_back(Task::Digest { range: r.clone() });
        }
        None
    }

    /// `Retry-After` of a reply, dates read against its `Date` header or the driver's clock.
    pub fn retry_after(&self, resp: &Response) -> Option<Duration> {
        let value = resp.header("Retry-After")?;
        let wall = resp
            .header("Date")
            .and_then(parse_http_date_ms)
            .or_else(|| self.wall_ms());
        parse_retry_after(value, wall)
    }

    /// The wall clock at `now` (Unix milliseconds), when the driver gave its offset.
    pub fn wall_ms(&self) -> Option<u64> {
        let off = self.cfg.wall_clock_offset_ms?;
        u64::try_from(i128::from(self.now.0) + i128::from(off)).ok()
    }
}

/// A request before the engine gives it an id.
pub(crate) struct Outgoing {
    pub kind: RequestKind,
    pub method: HttpMethod,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

/// What a machine tells the engine after a reply or a digest.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Nothing for the engine to do.
    Continue,
    /// The server acknowledged new bytes: attempts reset.
    Progress,
    /// The work went back to the queue; pause before trying again (costs an attempt).
    Retry {
        reason: RetryReason,
        retry_after: Option<Duration>,
        error: Option<UploadError>,
    },
    /// The work went back to the queue; credentials must be renewed first (the refusal that
    /// said so, for the error when renewals run out).
    Renew(Option<UploadError>),
    /// The upload failed.
    Fail(UploadError),
    /// All bytes are in.
    Done(UploadResult),
}

/// Where a machine stands, for the UI state.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Transfer,
    Verifying,
    Completing,
}

/// The error for a refused reply.
pub(crate) fn rejected(resp: &Response) -> UploadError {
    let pe = PlatformError::parse(&resp.body);
    let code = match pe.code.as_deref() {
        Some("too_many_parts") => ErrorCode::TooManyParts,
        Some("EntityTooLarge") => ErrorCode::TooLargeForMethod,
        _ if pe.is_expired() || resp.status == 401 => ErrorCode::CredentialsExpired,
        _ => ErrorCode::ServerRejected,
    };
    let msg = match code {
        ErrorCode::TooManyParts => "The server refused: too many parts.".to_string(),
        ErrorCode::TooLargeForMethod => "The file is too large for this upload method.".into(),
        ErrorCode::CredentialsExpired => "The upload credentials expired.".into(),
        _ => refusal_words("server", resp.status, pe.message.as_deref()),
    };
    UploadError::new(code, msg, is_retryable_status(resp.status))
        .with_status(resp.status)
        .with_platform(pe.code, pe.message)
}

/// Longest server message shown in a row (a proxy's HTML error page is no message).
const MAX_SHOWN_MESSAGE: usize = 200;

/// A refusal in words that say what to fix: "refused" for a 4xx (the request must change),
/// "failed" for anything else (the server's trouble), the status once, and the server's own
/// message (`{"error":{"message":..}}`, S3's `<Message>`) as text when it has one.
/// `who` is "server" (the platform) or "backend" (the customer's backend).
pub(crate) fn refusal_words(who: &str, status: u16, message: Option<&str>) -> String {
    let head = if (400..500).contains(&status) {
        format!("The {who} refused the upload (HTTP {status})")
    } else {
        format!("The upload failed on the {who} (HTTP {status})")
    };
    let detail = message
        .map(str::trim)
        .filter(|m| !m.is_empty() && !m.starts_with('<'))
        .map(|m| {
            let mut m: String = m.chars().take(MAX_SHOWN_MESSAGE).collect();
            if m.ends_with('.') {
                m.pop();
            }
            m
        });
    match detail {
        Some(d) => format!("{head}: {d}."),
        None => format!("{head}."),
    }
}

/// The default reading of a reply a machine has no special meaning for: retry 408/429/5xx;
/// renew the credentials when a link or token is refused (401 or 403, whatever code or message
/// comes with it, or another status whose code says expired), bounded by the engine's renewals
/// in a row; fail otherwise. The caller has already put its work back in the queue for the
/// first two.
pub(crate) fn fallback(resp: &Response, ctx: &Ctx<'_>) -> Verdict {
    if is_retryable_status(resp.status) {
        return Verdict::Retry {
            reason: RetryReason::Status {
                status: resp.status,
            },
            retry_after: ctx.retry_after(resp),
            error: Some(rejected(resp)),
        };
    }
    let pe = PlatformError::parse(&resp.body);
    if matches!(resp.status, 401 | 403) || pe.is_expired() {
        return Verdict::Renew(Some(rejected(resp)));
    }
    Verdict::Fail(rejected(resp))
}

/// The machine for the chosen method.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) enum Machine {
    Fetch,
    S3(s3::S3),
    Direct(direct::Direct),
    Form(form::Form),
    Resumable(resumable::Resumable),
    Multipart(multipart::Multipart),
}

impl Machine {
    pub fn new(method: Method, cfg: &Config) -> Result<Machine, UploadError> {
        Ok(match method {
            Method::Fetch => Machine::Fetch,
            Method::S3 => Machine::S3(s3::S3::default()),
            Method::Direct => Machine::Direct(direct::Direct::default()),
            Method::Form => Machine::Form(form::Form::default()),
            Method::Resumable => Machine::Resumable(resumable::Resumable::new(cfg)),
            Method::Multipart => Machine::Multipart(multipart::Multipart::new(cfg)?),
        })
    }

    /// Takes (new) credentials. Fetch is done as soon as the platform accepted the URL.
    pub fn install(
        &mut self,
        creds: &Credentials,
        ctx: &mut Ctx<'_>,
    ) -> Result<Verdict, UploadError> {
        match self {
            Machine::Fetch => Ok(Verdict::Done(UploadResult {
                media_id: creds.media_id().to_string(),
                size: None,
                md5: None,
                method: Method::Fetch,
            })),
            Machine::S3(m) => m.install(creds, ctx).map(|_| Verdict::Continue),
            Machine::Direct(m) => m.install(creds).map(|_| Verdict::Continue),
            Machine::Form(m) => m.install(creds, ctx).map(|_| Verdict::Continue),
            Machine::Resumable(m) => m.install(creds, ctx).map(|_| Verdict::Continue),
            Machine::Multipart(m) => m.install(creds, ctx).map(|_| Verdict::Continue),
        }
    }

    pub fn next(&mut self, ctx: &mut Ctx<'_>) -> Option<Outgoing> {
        match self {
            Machine::Fetch => None,
            Machine::S3(m) => m.next(ctx),
            Machine::Direct(m) => m.next(ctx),
            Machine::Form(m) => m.next(ctx),
            Machine::Resumable(m) => m.next(ctx),
            Machine::Multipart(m) => m.next(ctx),
        }
    }

    pub fn on_response(
        &mut self,
        kind: &RequestKind,
        resp: &Response,
        ctx: &mut Ctx<'_>,
    ) -> Verdict {
        match self {
            Machine::Fetch => Verdict::Continue,
            Machine::S3(m) => m.on_response(resp, ctx),
            Machine::Direct(m) => m.on_response(resp, ctx),
            Machine::Form(m) => m.on_response(resp, ctx),
            Machine::Resumable(m) => m.on_response(kind, resp, ctx),
            Machine::Multipart(m) => m.on_response(kind, resp, ctx),
        }
    }

    /// The request failed or was aborted: its work goes back to the queue.
    pub fn requeue(&mut self, kind: &RequestKind, failed: bool) {
        match self {
            Machine::Fetch => {}
            Machine::S3(_) | Machine::Direct(_) | Machine::Form(_) => {
                if let Some(w) = self.whole_mut() {
                    w.requeue();
                }
            }
            Machine::Resumable(m) => m.requeue(kind, failed),
            Machine::Multipart(m) => m.requeue(kind, failed),
        }
    }

    /// A request failed without any reply (not aborted by the engine). Returns whether the
    /// credentials are suspect and should be renewed before trying again.
    pub fn lost(&mut self, kind: &RequestKind, online: bool) -> bool {
        if let Some(w) = self.whole_mut() {
            return w.lost(online);
        }
        self.requeue(kind, true);
        false
    }

    pub fn on_digest(&mut self, range: &Range<u64>, ctx: &mut Ctx<'_>) -> Verdict {
        match self {
            Machine::Fetch => Verdict::Continue,
            Machine::S3(_) | Machine::Direct(_) | Machine::Form(_) => {
                let method = self.method();
                self.whole_mut()
                    .map_or(Verdict::Continue, |w| w.check(method, ctx))
            }
            Machine::Resumable(_) => Verdict::Continue,
            Machine::Multipart(m) => m.on_digest(range, ctx),
        }
    }

    pub fn phase(&self) -> Phase {
        match self {
            Machine::Fetch | Machine::Resumable(_) => Phase::Transfer,
            Machine::S3(m) => m.w.phase(),
            Machine::Direct(m) => m.w.phase(),
            Machine::Form(m) => m.w.phase(),
            Machine::Multipart(m) => m.phase(),
        }
    }

    /// The state s3, direct and form share (one request with the whole file).
    fn whole_mut(&mut self) -> Option<&mut Whole> {
        match self {
            Machine::S3(m) => Some(&mut m.w),
            Machine::Direct(m) => Some(&mut m.w),
            Machine::Form(m) => Some(&mut m.w),
            _ => None,
        }
    }

    /// The method this machine runs.
    pub fn method(&self) -> Method {
        match self {
            Machine::Fetch => Method::Fetch,
            Machine::S3(_) => Method::S3,
            Machine::Direct(_) => Method::Direct,
            Machine::Form(_) => Method::Form,
            Machine::Resumable(_) => Method::Resumable,
            Machine::Multipart(_) => Method::Multipart,
        }
    }

    /// After a restore from a snapshot: nothing is in flight, the server is asked again.
    pub fn restored(&mut self, cfg: &Config) -> Result<(), UploadError> {
        match self {
            Machine::Fetch => {}
            Machine::S3(_) | Machine::Direct(_) | Machine::Form(_) => {
                if let Some(w) = self.whole_mut() {
                    w.restored();
                }
            }
            Machine::Resumable(m) => m.restored(),
            Machine::Multipart(m) => m.restored(cfg)?,
        }
        Ok(())
    }
}

/// The v1 reply with a link these methods need.
pub(crate) fn v1_link(creds: &Credentials) -> Result<&crate::reply::V1Reply, UploadError> {
    match creds {
        Credentials::V1(r) if r.link.is_some() => Ok(r),
        _ => Err(UploadError::invalid_reply(
            "the credentials are not a v1 reply with an upload link",
        )),
    }
}
