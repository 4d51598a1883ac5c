//! In-memory fake platform servers (s3, direct, form, resumable, multipart) with fault rules.
#![allow(clippy::unwrap_used)]

// Each test binary drives one or two of these servers: the others are unused there.
#[allow(dead_code)]
mod direct;
#[allow(dead_code)]
mod form;
#[allow(dead_code)]
mod multipart;
#[allow(dead_code)]
mod resumable;
#[allow(dead_code)]
mod s3;

#[allow(unused_imports)]
pub use direct::DirectServer;
#[allow(unused_imports)]
pub use form::FormServer;
#[allow(unused_imports)]
pub use multipart::MultipartServer;
#[allow(unused_imports)]
pub use resumable::ResumableServer;
#[allow(unused_imports)]
pub use s3::S3Server;

use super::Outcome;
use jw_upload_core::{RequestId, Response};
use std::collections::HashMap;
use std::ops::Range;

/// Which requests a fault rule counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(dead_code)] // each test binary targets its own method's requests
pub enum Target {
    S3,
    Direct,
    Form,
    Chunk,
    List,
    Part,
    Complete,
}

#[derive(Clone, Debug)]
#[allow(dead_code)] // each test binary injects a few of these
pub enum Fault {
    /// Answer this status (with an optional `Retry-After`).
    Status(u16, Option<String>),
    /// Reset the connection after this many body bytes.
    Reset(u64),
    /// Stop reading after this many body bytes.
    Stall(u64),
    /// Store the body, then drop the connection.
    LoseReply,
    /// Store, answer a wrong ETag / md5.
    WrongEtag,
    /// Expire the link or token.
    Expire,
    /// (resumable) discard the chunk, answer 201 truthfully.
    DropBody,
    /// (resumable) store, answer the Range of before.
    StaleRange,
    /// (complete) the server lost part n: answer missing_parts.
    ForgetPart(u32),
    /// Answer success without an ETag header (CORS did not expose it).
    NoEtag,
}

/// Fault rules: fire on the `nth` .. `nth + times - 1` request of a target (1-based).
#[derive(Default)]
pub struct Faults {
    rules: Vec<(Target, usize, usize, Fault)>,
    counts: HashMap<Target, usize>,
    pub fired: usize,
}

impl Faults {
    pub fn add(&mut self, t: Target, nth: usize, times: usize, f: Fault) -> &mut Self {
        self.rules.push((t, nth, times, f));
        self
    }

    fn check(&mut self, t: Target) -> Option<Fault> {
        let n = {
            let c = self.counts.entry(t).or_insert(0);
            *c += 1;
            *c
        };
        let hit = self
            .rules
            .iter()
            .find(|(rt, nth, times, _)| *rt == t && n >= *nth && n < nth + times)
            .map(|r| r.3.clone());
        if hit.is_some() {
            self.fired += 1;
        }
        hit
    }
}

pub(crate) fn status(s: u16, ra: Option<String>, body: &str) -> Outcome {
    let mut r = Response::new(s, body);
    if let Some(v) = ra {
        r = r.with_header("Retry-After", v);
    }
    Outcome::Reply(r)
}

pub(crate) fn generic(f: &Fault, len: u64) -> Option<Outcome> {
    Some(match f {
        Fault::Status(s, ra) => status(*s, ra.clone(), r#"{"status":"error","code":"Busy"}"#),
        Fault::Reset(n) => Outcome::Drop { after_bytes: *n },
        Fault::Stall(n) => Outcome::Stall {
            after_bytes: (*n).min(len),
        },
        _ => return None,
    })
}

/// A renewal of expired credentials moves a whole-file server (s3, form) to the next epoch.
#[allow(dead_code)] // used by the servers of some test binaries only
pub(crate) fn renew_epoch(renewal: Option<&str>, epoch: &mut u32, expired: &mut bool) {
    if renewal.is_some() && *expired {
        *epoch += 1;
        *expired = false;
    }
}

/// A whole-file server's (s3, form) answer to an injected fault before it stores the file:
/// `Expire` expires the credentials and answers `expired_reply`, `LoseReply` stores the file and
/// drops the reply, the generic faults answer as they do; `None` when the file is to be stored
/// (the caller handles `WrongEtag` and `NoEtag` in its reply).
#[allow(dead_code)] // used by the servers of some test binaries only
pub(crate) fn whole_fault(
    fault: &Option<Fault>,
    range: &Range<u64>,
    expired: &mut bool,
    stored: &mut Option<Range<u64>>,
    expired_reply: impl FnOnce() -> Outcome,
) -> Option<Outcome> {
    let len = range.end - range.start;
    match fault {
        Some(Fault::Expire) => {
            *expired = true;
            Some(expired_reply())
        }
        Some(Fault::LoseReply) => {
            *stored = Some(range.clone());
            Some(Outcome::Drop { after_bytes: len })
        }
        Some(Fault::WrongEtag) | None => None,
        Some(f) => generic(f, len),
    }
}

#[allow(dead_code)] // used by the servers of some test binaries only
pub(crate) const S3_EXPIRED: &str =
    "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>";

/// Records what the server acknowledged, per request.
#[derive(Default)]
pub struct Acks(pub Vec<(RequestId, Range<u64>)>);

/// Asserts no data request re-sent bytes an earlier *delivered* acknowledgement covered.
#[allow(dead_code)] // used by the servers of some test binaries only
pub fn assert_no_resend(
    sent: &[super::Sent],
    acks: &Acks,
    delivered_before: impl Fn(RequestId, u64) -> bool,
) {
    for s in sent {
        let Some(r) = s.req.body.source_range() else {
            continue;
        };
        for (id, a) in &acks.0 {
            if *id != s.req.id && delivered_before(*id, s.order) {
                let overlap = r.end.min(a.end).saturating_sub(r.start.max(a.start));
                assert_eq!(
                    overlap, 0,
                    "request {} re-sent {r:?}, acknowledged by {id} as {a:?}",
                    s.req.id
                );
            }
        }
    }
}
