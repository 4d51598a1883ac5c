//! What the driver reports (replies, failures, progress, digests, time) and what it asks for
//! (requests); the credentials call, tracked like a request.

use super::control::reason_of;
use super::{Flight, Upload};
use crate::error::{ErrorCode, UploadError};
use crate::event::{Event, RetryReason};
use crate::io::{FailureKind, Request, RequestId, RequestKind, Response, Task};
use crate::method::Method;
use crate::protocol::{refusal_words, rejected, Outgoing};
use crate::reply::Credentials;
use crate::retry::is_retryable_status;
use crate::status::StatusFollower;
use crate::time::Millis;
use std::ops::Range;

impl Upload {
    // ---- credentials -------------------------------------------------------------------

    /// The reply to a credentials call (the platform's create or update reply, passed on
    /// unchanged). A 2xx is parsed; 408/429/5xx are retried after a pause (a new
    /// `Task::Credentials` follows); any other status fails the upload.
    fn on_credentials(&mut self, resp: Response, now: Millis) {
        self.creds.unanswered();
        if resp.is_success() {
            match Credentials::parse(&resp.body) {
                Ok(c) => self.install(c, now),
                Err(e) => self.fail(e.with_status(resp.status)),
            }
        } else if is_retryable_status(resp.status) {
            let ra = {
                let (_, ctx) = self.ctx_parts(now);
                ctx.retry_after(&resp)
            };
            self.retry(
                RetryReason::Status {
                    status: resp.status,
                },
                ra,
                Some(backend_rejected(&resp)),
                now,
            );
        } else {
            let mut e = backend_rejected(&resp);
            if self.creds.last().is_some() {
                // A renewal refused: the credentials stay expired.
                e.code = ErrorCode::CredentialsExpired;
                e.message = format!(
                    "The upload credentials expired and the backend refused new ones: {}",
                    lower_first(&e.message)
                );
            }
            self.fail(e);
        }
    }
}

/// A refusal of the customer's backend: its own message (`{"error":{"message":..}}`, what the
/// reference backend sends) in the words of [`refusal_words`], the codes as for the platform.
fn backend_rejected(resp: &Response) -> UploadError {
    let mut e = rejected(resp);
    if e.code == ErrorCode::ServerRejected {
        e.message = refusal_words("backend", resp.status, e.platform_message.as_deref());
    }
    e
}

/// "The backend refused" -> "the backend refused" (inside a sentence).
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

impl Upload {
    pub(super) fn install(&mut self, c: Credentials, now: Millis) {
        let (machine, mut ctx) = self.ctx_parts(now);
        match machine.install(&c, &mut ctx) {
            Ok(v) => {
                self.creds.install(c);
                self.verdict(v, now);
            }
            Err(e) => self.fail(e),
        }
    }

    /// Asks for credentials when they are needed and nothing holds the upload back: a tracked
    /// call, with a stall watchdog like any request.
    pub(super) fn ask_credentials(&mut self, now: Millis) {
        let resting = self.gate.deadline().is_none_or(|t| t <= now);
        if !(self.running() && self.creds.to_ask() && resting && !self.paused) {
            return;
        }
        let id = self.next_request_id();
        let kind = RequestKind::Credentials;
        let f = Flight::new(kind, self.cfg.stall_timeout, 0, self.cfg.size, now);
        self.flights.insert(id, f);
        self.reach
            .launched(id.0, self.cfg.credentials_url.as_deref());
        self.creds.asked(id);
        // A direct link is renewed by a new create (v2 documents no call that signs a new
        // direct link for an existing media), so its media id is not sent.
        let renews = self.method != Method::Direct;
        self.tasks.push_back(Task::Credentials {
            id,
            method: self.method,
            media_id: self.media_id().filter(|_| renews).map(str::to_string),
        });
    }

    // ---- digests -----------------------------------------------------------------------

    /// Answers `Task::Digest`: the MD5 (hex) of the source bytes `range`.
    pub fn handle_digest(&mut self, range: Range<u64>, md5_hex: &str, now: Millis) {
        let key = (range.start, range.end);
        self.wanted.remove(&key);
        self.digests
            .insert(key, md5_hex.trim().to_ascii_lowercase());
        if !self.running() {
            return;
        }
        let (machine, mut ctx) = self.ctx_parts(now);
        let v = machine.on_digest(&range, &mut ctx);
        self.verdict(v, now);
        self.after(now);
    }

    /// The driver cannot hash `range` (no worker, read error): the engine goes on without
    /// checking what the server stored for it.
    pub fn handle_digest_failure(&mut self, range: Range<u64>, now: Millis) {
        self.handle_digest(range, "", now);
    }

    // ---- requests ----------------------------------------------------------------------

    /// The next request to perform, if any may go now.
    pub fn poll_request(&mut self, now: Millis) -> Option<Request> {
        let out = self.next_outgoing(now);
        if out.is_none() && self.stuck(now) {
            self.fail(UploadError::invalid_reply(
                "the server's replies leave nothing to send and nothing to wait for",
            ));
        }
        let req = out.map(|o| self.launch(o, now));
        self.after(now);
        req
    }

    pub(super) fn next_outgoing(&mut self, now: Millis) -> Option<Outgoing> {
        if let Some(f) = &mut self.follower {
            return f.next(now);
        }
        if !self.running() || self.paused || !self.online || self.creds.awaiting() {
            return None;
        }
        if !self.gate.open(now) {
            return None;
        }
        let (machine, mut ctx) = self.ctx_parts(now);
        machine.next(&mut ctx)
    }

    /// Nothing in flight, nothing to send, nothing awaited: a server that answers in a way
    /// the machines cannot act on. Fails rather than hangs.
    pub(super) fn stuck(&self, now: Millis) -> bool {
        self.running()
            && self.follower.is_none()
            && self.flights.is_empty()
            && self.wanted.is_empty()
            && !self.creds.awaiting()
            && !self.paused
            && self.online
            && !self.gate.waiting(now)
    }

    fn next_request_id(&mut self) -> RequestId {
        let id = RequestId(self.next_id);
        self.next_id += 1;
        id
    }

    pub(super) fn launch(&mut self, o: Outgoing, now: Millis) -> Request {
        let id = self.next_request_id();
        let stall = self.cfg.stall_timeout;
        let body_len = o.body.source_len();
        if o.body.source_range().is_some() {
            self.progress.start(id.0, body_len, now);
        }
        self.flights.insert(
            id,
            Flight::new(o.kind.clone(), stall, body_len, self.cfg.size, now),
        );
        self.reach.launched(id.0, Some(&o.url));
        Request {
            id,
            kind: o.kind,
            method: o.method,
            url: o.url,
            headers: o.headers,
            body: o.body,
        }
    }

    /// Upload progress of request `id`: `sent` bytes of its body so far (overwrites).
    pub fn handle_progress(&mut self, id: RequestId, sent: u64, now: Millis) {
        let Some(f) = self.flights.get(&id) else {
            return;
        };
        if f.body_len > 0 {
            // Form bodies count their multipart framing too: cap at the source bytes.
            self.progress.set_in_flight(id.0, sent.min(f.body_len), now);
        }
        self.after(now);
    }

    /// The reply to request (or credentials call) `id`. Replies to aborted or unknown ids are
    /// ignored.
    pub fn handle_response(&mut self, id: RequestId, resp: Response, now: Millis) {
        let Some(f) = self.flights.remove(&id) else {
            return;
        };
        if (200..300).contains(&resp.status) {
            self.progress.acknowledged(id.0, now);
        } else {
            self.progress.discard(id.0);
        }
        self.reach.answered(id.0);
        if f.kind == RequestKind::Credentials {
            self.on_credentials(resp, now);
            self.after(now);
            return;
        }
        if f.kind == RequestKind::MediaStatus {
            if let Some(fl) = &mut self.follower {
                fl.on_response(&resp, now, &mut self.events);
            }
            self.after(now);
            return;
        }
        if !self.running() {
            return;
        }
        let (machine, mut ctx) = self.ctx_parts(now);
        let v = machine.on_response(&f.kind, &resp, &mut ctx);
        self.verdict(v, now);
        self.after(now);
    }

    /// The file could not be read for request `id` (the browser's snapshot of it is stale: it
    /// changed, moved or vanished on disk). Nothing sent from it can be right any more: the
    /// upload fails with `file_changed`, not retried.
    pub fn handle_unreadable(&mut self, id: RequestId, now: Millis) {
        if self.flights.remove(&id).is_none() {
            return; // aborted meanwhile (pause, cancel): nothing to say
        }
        self.progress.discard(id.0);
        self.reach.forget(id.0);
        self.fail(UploadError::file_changed());
        self.after(now);
    }

    /// Request (or credentials call) `id` ended without a reply: retried like any network
    /// failure, unless its origin never answered and nothing of it left the browser a few
    /// times in a row (see `reach.rs`): then the upload fails saying where to look.
    pub fn handle_failure(&mut self, id: RequestId, kind: FailureKind, now: Millis) {
        let Some(f) = self.flights.remove(&id) else {
            return;
        };
        let sent_any = self.progress.sending(id.0).is_some_and(|s| s.sent > 0);
        self.progress.discard(id.0);
        let unreachable =
            if kind == FailureKind::Network && self.online && f.kind != RequestKind::MediaStatus {
                self.reach.network_failure(id.0, sent_any, now)
            } else {
                self.reach.forget(id.0);
                None
            };
        match unreachable {
            Some(e) if self.running() => self.fail(e),
            _ => self.lost(f, reason_of(kind), now),
        }
        self.after(now);
    }

    pub(super) fn lost(&mut self, f: Flight, reason: RetryReason, now: Millis) {
        if f.kind == RequestKind::MediaStatus {
            if let Some(fl) = &mut self.follower {
                fl.failed(now, &mut self.events);
            }
            return;
        }
        if !self.running() {
            return;
        }
        if f.kind == RequestKind::Credentials {
            self.creds.unanswered();
            self.retry(reason, None, None, now);
            return;
        }
        let suspect = self.machine.lost(&f.kind, self.online);
        self.retry(reason, None, None, now);
        if suspect && self.running() {
            // Not counted as a renewal: the attempts bound it.
            self.creds.renew();
        }
    }

    // ---- time --------------------------------------------------------------------------

    /// When the driver should call [`handle_timeout`](Self::handle_timeout) (or poll again).
    pub fn poll_timeout(&self) -> Option<Millis> {
        let p = &self.progress;
        let stalls =
            (self.flights.iter()).map(|(id, f)| f.deadline(p.sending(id.0), p.rate_of(id.0)));
        let tick = p.next_tick().filter(|_| self.running());
        let pause = self
            .gate
            .deadline()
            .filter(|_| self.running() && !self.paused);
        let follow = self.follower.as_ref().and_then(StatusFollower::timeout);
        stalls.chain(tick).chain(pause).chain(follow).min()
    }

    /// Time passed: aborts stalled requests (each one `Event::Stalled`, then a retry).
    pub fn handle_timeout(&mut self, now: Millis) {
        self.progress.tick(now);
        self.gate.open(now);
        let stalled: Vec<RequestId> = self
            .flights
            .iter()
            .filter(|(id, f)| {
                let p = &self.progress;
                f.deadline(p.sending(id.0), p.rate_of(id.0)) <= now
            })
            .map(|(id, _)| *id)
            .collect();
        for id in stalled {
            if let Some(f) = self.flights.remove(&id) {
                self.progress.discard(id.0);
                self.reach.forget(id.0);
                self.aborts.push_back(id);
                self.events.push_back(Event::Stalled {
                    id,
                    kind: f.kind.clone(),
                });
                self.lost(f, RetryReason::Stalled, now);
            }
        }
        self.after(now);
    }
}
