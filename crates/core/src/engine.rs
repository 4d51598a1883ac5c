//! The sans-IO upload: takes replies, failures, progress and time; hands out requests, aborts,
//! events and the next deadline. It owns the shared retry pause, credentials, pause/resume,
//! cancel, offline, stall detection and the hand-over to status following.

use crate::config::Config;
use crate::error::{ErrorCode, UploadError};
use crate::event::{Event, RetryReason, State, UploadResult};
use crate::io::{FailureKind, Request, RequestId, RequestKind, Response};
use crate::method::{choose, Method};
use crate::progress::ProgressTracker;
use crate::protocol::{rejected, Ctx, Machine, Outgoing, Phase, Verdict};
use crate::reply::Credentials;
use crate::retry::{is_retryable_status, Jitter};
use crate::status::{Follow, StatusFollower};
use crate::time::Millis;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::Range;
use std::time::Duration;

#[derive(Clone, Debug)]
struct Flight {
    kind: RequestKind,
    last_activity: Millis,
    stall: Duration,
    sent: u64,
    body_len: u64,
}

#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Running,
    Finished(UploadResult),
    Failed,
}

/// A resumable record of an upload (serde): what was planned and acknowledged, the
/// credentials, and the driver's digests. No file bytes and no API secret.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Snapshot {
    /// Format version.
    pub version: u32,
    /// File size.
    pub size: u64,
    /// Method.
    pub method: Method,
    /// Media id, once known.
    pub media_id: Option<String>,
    /// Last credentials (an upload token or signed link may have expired since).
    pub credentials: Option<Credentials>,
    /// Digests the driver provided: `(start, end, md5)`.
    pub digests: Vec<(u64, u64, String)>,
    machine: Machine,
}

/// One upload, driven by a driver. See the crate docs for the loop.
#[derive(Debug)]
pub struct Upload {
    cfg: Config,
    method: Method,
    machine: Machine,
    creds: Option<Credentials>,
    awaiting_creds: bool,
    creds_asked: bool,
    progress: ProgressTracker,
    events: VecDeque<Event>,
    aborts: VecDeque<RequestId>,
    flights: BTreeMap<RequestId, Flight>,
    next_id: u64,
    attempt: u32,
    renewals: u32,
    pause_until: Option<Millis>,
    last_retry: (u32, Duration, RetryReason),
    last_error: Option<UploadError>,
    jitter: Jitter,
    paused: bool,
    online: bool,
    outcome: Outcome,
    follower: Option<StatusFollower>,
    digests: BTreeMap<(u64, u64), String>,
    wanted: BTreeSet<(u64, u64)>,
    state: Option<State>,
    media_hint: Option<String>,
}

impl Upload {
    /// Starts an upload: picks the method (fetch when `cfg.download_url` is set), checks the
    /// limits, and asks for credentials (`Event::NeedCredentials`).
    pub fn new(cfg: Config, now: Millis) -> Result<Upload, UploadError> {
        let size = (cfg.download_url.is_none()).then_some(cfg.size);
        let method = choose(size, cfg.download_url.is_some(), cfg.method, cfg.resource)?;
        let machine = Machine::new(method, &cfg)?;
        let mut u = Self::with_machine(cfg, method, machine);
        u.after(now);
        Ok(u)
    }

    fn with_machine(cfg: Config, method: Method, machine: Machine) -> Upload {
        Upload {
            progress: ProgressTracker::new(cfg.size),
            jitter: Jitter::new(cfg.seed),
            cfg,
            method,
            machine,
            creds: None,
            awaiting_creds: true,
            creds_asked: false,
            events: VecDeque::new(),
            aborts: VecDeque::new(),
            flights: BTreeMap::new(),
            next_id: 1,
            attempt: 0,
            renewals: 0,
            pause_until: None,
            last_retry: (0, Duration::ZERO, RetryReason::Network),
            last_error: None,
            paused: false,
            online: true,
            outcome: Outcome::Running,
            follower: None,
            digests: BTreeMap::new(),
            wanted: BTreeSet::new(),
            state: None,
            media_hint: None,
        }
    }

    /// Resumes from a [`Snapshot`]: the server is asked what it holds (multipart lists its
    /// parts, resumable sends a chunk from byte 0); s3 and form start over. With stored
    /// credentials it starts at once, else it asks for them.
    pub fn restore(cfg: Config, snap: Snapshot, now: Millis) -> Result<Upload, UploadError> {
        if snap.size != cfg.size {
            return Err(UploadError::new(
                ErrorCode::InvalidConfig,
                "The stored upload is for a file of another size.",
                false,
            ));
        }
        let mut machine = snap.machine;
        machine.restored();
        let mut u = Self::with_machine(cfg, snap.method, machine);
        u.digests = snap
            .digests
            .into_iter()
            .map(|(s, e, d)| ((s, e), d))
            .collect();
        u.media_hint = snap.media_id;
        if let Some(c) = snap.credentials {
            u.install(c, now);
        }
        u.after(now);
        Ok(u)
    }

    /// A serializable record for resuming later (e.g. after a reload).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            version: 1,
            size: self.cfg.size,
            method: self.method,
            media_id: self.media_id().map(str::to_string),
            credentials: self.creds.clone(),
            digests: self
                .digests
                .iter()
                .map(|(&(s, e), d)| (s, e, d.clone()))
                .collect(),
            machine: self.machine.clone(),
        }
    }

    /// The method in use.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The config.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state.unwrap_or(State::Waiting)
    }

    /// The media id, once credentials named it.
    pub fn media_id(&self) -> Option<&str> {
        self.creds
            .as_ref()
            .map(Credentials::media_id)
            .or(self.media_hint.as_deref())
    }

    /// The result, once all bytes are in.
    pub fn result(&self) -> Option<&UploadResult> {
        match &self.outcome {
            Outcome::Finished(r) => Some(r),
            _ => None,
        }
    }

    /// Ids of the requests in flight.
    pub fn in_flight(&self) -> impl Iterator<Item = RequestId> + '_ {
        self.flights.keys().copied()
    }

    fn ctx_parts(&mut self, now: Millis) -> (&mut Machine, Ctx<'_>) {
        (
            &mut self.machine,
            Ctx {
                cfg: &self.cfg,
                now,
                progress: &mut self.progress,
                events: &mut self.events,
                digests: &self.digests,
                wanted: &mut self.wanted,
            },
        )
    }

    fn running(&self) -> bool {
        self.outcome == Outcome::Running
    }

    // ---- credentials -------------------------------------------------------------------

    /// Answers `Event::NeedCredentials` with the backend's reply (the platform's create or
    /// update reply, passed on unchanged). A 2xx is parsed; 408/429/5xx are retried after a
    /// pause (a new `NeedCredentials` follows); any other status fails the upload.
    pub fn provide_credentials(&mut self, resp: Response, now: Millis) {
        if !self.running() || !self.awaiting_creds {
            return;
        }
        if resp.is_success() {
            match Credentials::parse(&resp.body) {
                Ok(c) => self.install(c, now),
                Err(e) => self.fail(e.with_status(resp.status)),
            }
        } else if is_retryable_status(resp.status) {
            self.creds_asked = false;
            let ra = {
                let (_, ctx) = self.ctx_parts(now);
                ctx.retry_after(&resp)
            };
            self.retry(
                RetryReason::Status {
                    status: resp.status,
                },
                ra,
                Some(rejected(&resp)),
                now,
            );
        } else {
            let mut e = rejected(&resp);
            if self.creds.is_some() {
                // A renewal refused: the credentials stay expired.
                e.code = ErrorCode::CredentialsExpired;
                e.message = format!(
                    "The upload credentials expired and the backend refused new ones (HTTP {}).",
                    resp.status
                );
            }
            self.fail(e);
        }
        self.after(now);
    }

    /// The backend could not be reached: retried like any network failure.
    pub fn credentials_failed(&mut self, kind: FailureKind, now: Millis) {
        if !self.running() || !self.awaiting_creds {
            return;
        }
        self.creds_asked = false;
        self.retry(reason_of(kind), None, None, now);
        self.after(now);
    }

    fn install(&mut self, c: Credentials, now: Millis) {
        let (machine, mut ctx) = self.ctx_parts(now);
        match machine.install(&c, &mut ctx) {
            Ok(v) => {
                self.creds = Some(c);
                self.awaiting_creds = false;
                self.creds_asked = false;
                self.verdict(v, now);
            }
            Err(e) => self.fail(e),
        }
    }

    // ---- digests -----------------------------------------------------------------------

    /// Answers `Event::NeedDigest`: the MD5 (hex) of the source bytes `range`.
    pub fn provide_digest(&mut self, range: Range<u64>, md5_hex: &str, now: Millis) {
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
    pub fn digest_unavailable(&mut self, range: Range<u64>, now: Millis) {
        self.provide_digest(range, "", now);
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

    fn next_outgoing(&mut self, now: Millis) -> Option<Outgoing> {
        if let Some(f) = &mut self.follower {
            return f.next(now);
        }
        if !self.running() || self.paused || !self.online || self.awaiting_creds {
            return None;
        }
        if self.pause_until.is_some_and(|t| now < t) {
            return None;
        }
        self.pause_until = None;
        let (machine, mut ctx) = self.ctx_parts(now);
        machine.next(&mut ctx)
    }

    /// Nothing in flight, nothing to send, nothing awaited: a server that answers in a way
    /// the machines cannot act on. Fails rather than hangs.
    fn stuck(&self, now: Millis) -> bool {
        self.running()
            && self.follower.is_none()
            && self.flights.is_empty()
            && self.wanted.is_empty()
            && !self.awaiting_creds
            && !self.paused
            && self.online
            && self.pause_until.is_none_or(|t| t <= now)
    }

    fn launch(&mut self, o: Outgoing, now: Millis) -> Request {
        let id = RequestId(self.next_id);
        self.next_id += 1;
        let stall = self.cfg.stall_timeout;
        let body_len = o.body.source_len();
        if o.body.source_range().is_some() {
            self.progress.set_in_flight(id.0, 0, now);
        }
        self.flights.insert(
            id,
            Flight {
                kind: o.kind.clone(),
                last_activity: now,
                stall,
                sent: 0,
                body_len,
            },
        );
        Request {
            id,
            kind: o.kind,
            method: o.method,
            url: o.url,
            headers: o.headers,
            body: o.body,
            stall_timeout: stall,
        }
    }

    /// Upload progress of request `id`: `sent` bytes of its body so far (overwrites).
    pub fn handle_progress(&mut self, id: RequestId, sent: u64, now: Millis) {
        let Some(f) = self.flights.get_mut(&id) else {
            return;
        };
        if sent > f.sent {
            f.last_activity = now;
        }
        f.sent = sent;
        if f.body_len > 0 {
            // Form bodies count their multipart framing too: cap at the source bytes.
            self.progress.set_in_flight(id.0, sent.min(f.body_len), now);
        }
        self.after(now);
    }

    /// The reply to request `id`. Replies to aborted or unknown ids are ignored.
    pub fn handle_response(&mut self, id: RequestId, resp: Response, now: Millis) {
        let Some(f) = self.flights.remove(&id) else {
            return;
        };
        self.progress.remove(id.0);
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

    /// Request `id` ended without a reply.
    pub fn handle_failure(&mut self, id: RequestId, kind: FailureKind, now: Millis) {
        let Some(f) = self.flights.remove(&id) else {
            return;
        };
        self.progress.remove(id.0);
        self.lost(f, reason_of(kind), now);
        self.after(now);
    }

    fn lost(&mut self, f: Flight, reason: RetryReason, now: Millis) {
        if f.kind == RequestKind::MediaStatus {
            if let Some(fl) = &mut self.follower {
                fl.failed(now, &mut self.events);
            }
            return;
        }
        if !self.running() {
            return;
        }
        self.machine.requeue(&f.kind, true);
        self.retry(reason, None, None, now);
    }

    // ---- time --------------------------------------------------------------------------

    /// When the driver should call [`handle_timeout`](Self::handle_timeout) (or poll again).
    pub fn poll_timeout(&self) -> Option<Millis> {
        let stalls = self.flights.values().map(|f| f.last_activity + f.stall);
        let pause = self.pause_until.filter(|_| self.running() && !self.paused);
        let follow = self.follower.as_ref().and_then(StatusFollower::timeout);
        stalls.chain(pause).chain(follow).min()
    }

    /// Time passed: aborts stalled requests (each one `Event::Stalled`, then a retry).
    pub fn handle_timeout(&mut self, now: Millis) {
        self.progress.tick(now);
        if self.pause_until.is_some_and(|t| t <= now) {
            self.pause_until = None;
        }
        let stalled: Vec<RequestId> = self
            .flights
            .iter()
            .filter(|(_, f)| f.last_activity + f.stall <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in stalled {
            if let Some(f) = self.flights.remove(&id) {
                self.progress.remove(id.0);
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

    // ---- control -----------------------------------------------------------------------

    /// Pauses: aborts every request (their work is kept) until [`resume`](Self::resume).
    pub fn pause(&mut self, now: Millis) {
        if !self.running() || self.paused {
            return;
        }
        self.paused = true;
        self.abort_all(false);
        self.after(now);
    }

    /// Resumes after a pause, at once (a pending retry pause is dropped).
    pub fn resume(&mut self, now: Millis) {
        if !self.paused {
            return;
        }
        self.paused = false;
        self.pause_until = None;
        self.after(now);
    }

    /// Cancels: aborts every request; the upload fails with code `cancelled`.
    pub fn cancel(&mut self, now: Millis) {
        if self.outcome == Outcome::Failed {
            return;
        }
        self.follower = None;
        self.fail(UploadError::cancelled());
        self.after(now);
    }

    /// The browser went offline or online. Offline: no new requests, and failures cost no
    /// attempt. Online: go on at once.
    pub fn set_online(&mut self, online: bool, now: Millis) {
        if self.online == online {
            return;
        }
        self.online = online;
        if online {
            self.pause_until = None;
        }
        self.after(now);
    }

    fn abort_all(&mut self, failed: bool) {
        let flights = std::mem::take(&mut self.flights);
        for (id, f) in flights {
            self.progress.remove(id.0);
            self.aborts.push_back(id);
            if !failed {
                self.machine.requeue(&f.kind, false);
            }
        }
    }

    // ---- outputs -----------------------------------------------------------------------

    /// The next request the driver must abort (and then not report).
    pub fn poll_abort(&mut self) -> Option<RequestId> {
        self.aborts.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    // ---- internals ---------------------------------------------------------------------

    fn retry(
        &mut self,
        reason: RetryReason,
        retry_after: Option<Duration>,
        error: Option<UploadError>,
        now: Millis,
    ) {
        if let Some(e) = error {
            self.last_error = Some(e);
        }
        if !self.online || self.paused {
            return; // offline waits cost no attempt; paused work waits for resume
        }
        let shared = self.pause_until.is_some_and(|t| t > now);
        if !shared {
            self.attempt += 1;
            if self.attempt > self.cfg.retry.max_attempts {
                let err = self.exhausted(reason);
                self.fail(err);
                return;
            }
        }
        let delay = self
            .cfg
            .retry
            .delay(self.attempt.max(1), self.jitter.next_unit(), retry_after);
        let until = now + delay;
        if self.pause_until.is_none_or(|t| t < until) {
            self.pause_until = Some(until);
            self.last_retry = (self.attempt.max(1), delay, reason);
        }
    }

    fn exhausted(&self, reason: RetryReason) -> UploadError {
        let mut e = match (&self.last_error, reason) {
            (Some(e), _) if e.status.is_some() || e.code != ErrorCode::Network => e.clone(),
            _ => UploadError::new(
                ErrorCode::Network,
                "The connection failed too many times.",
                true,
            ),
        };
        e.retryable = true;
        e.message = format!(
            "{} Gave up after {} attempts ({reason}).",
            e.message, self.cfg.retry.max_attempts
        );
        e
    }

    fn verdict(&mut self, v: Verdict, now: Millis) {
        match v {
            Verdict::Continue => {}
            Verdict::Progress => {
                self.attempt = 0;
                self.renewals = 0;
                self.last_error = None;
            }
            Verdict::Retry {
                reason,
                retry_after,
                error,
            } => self.retry(reason, retry_after, error, now),
            Verdict::Renew => {
                self.renewals += 1;
                if self.renewals > self.cfg.max_renewals {
                    self.fail(UploadError::new(
                        ErrorCode::CredentialsExpired,
                        "The upload credentials expired and could not be renewed.",
                        true,
                    ));
                } else {
                    self.awaiting_creds = true;
                    self.creds_asked = false;
                }
            }
            Verdict::Fail(e) => self.fail(e),
            Verdict::Done(r) => self.finish(r, now),
        }
    }

    fn finish(&mut self, r: UploadResult, now: Millis) {
        self.abort_all(true);
        self.progress.finish();
        if let Some(p) = self.progress.poll() {
            self.events.push_back(Event::Progress(p));
        }
        self.events.push_back(Event::Finished(r.clone()));
        if let Some(sc) = self.cfg.status.clone() {
            self.follower = Some(StatusFollower::new(sc, &r.media_id, now));
        }
        self.outcome = Outcome::Finished(r);
    }

    fn fail(&mut self, e: UploadError) {
        if self.outcome == Outcome::Failed {
            return;
        }
        self.abort_all(true);
        self.outcome = Outcome::Failed;
        self.events.push_back(Event::Error(e));
    }

    fn derive_state(&self, now: Millis) -> State {
        match (&self.outcome, &self.follower) {
            (Outcome::Failed, _) => return State::Failed,
            (Outcome::Finished(_), None) => return State::Done,
            (Outcome::Finished(_), Some(f)) => {
                return match f.outcome {
                    Follow::Polling => State::Processing,
                    Follow::Ready => State::Done,
                    Follow::Failed => State::Failed,
                }
            }
            (Outcome::Running, _) => {}
        }
        if self.paused {
            return State::Paused;
        }
        if !self.online {
            return State::Offline;
        }
        if self.pause_until.is_some_and(|t| t > now) {
            let (attempt, delay, reason) = self.last_retry;
            return State::Retrying {
                attempt,
                delay,
                reason,
            };
        }
        if self.awaiting_creds {
            return State::Waiting;
        }
        match self.machine.phase() {
            Phase::Transfer => State::Uploading,
            Phase::Verifying => State::Verifying,
            Phase::Completing => State::Completing,
        }
    }

    /// Bookkeeping after every input: ask for credentials, report progress and state.
    fn after(&mut self, now: Millis) {
        let resting = self.pause_until.is_none_or(|t| t <= now);
        if self.running() && self.awaiting_creds && !self.creds_asked && resting && !self.paused {
            self.creds_asked = true;
            self.events.push_back(Event::NeedCredentials {
                method: self.method,
                media_id: self.media_id().map(str::to_string),
            });
        }
        if self.running() {
            if let Some(p) = self.progress.poll() {
                self.events.push_back(Event::Progress(p));
            }
        }
        let s = self.derive_state(now);
        if self.state != Some(s) {
            self.state = Some(s);
            self.events.push_back(Event::StateChanged { state: s });
        }
    }
}

fn reason_of(kind: FailureKind) -> RetryReason {
    match kind {
        FailureKind::Timeout => RetryReason::Timeout,
        FailureKind::Network | FailureKind::Aborted => RetryReason::Network,
    }
}
