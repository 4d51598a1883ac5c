//! Pause, resume, cancel and offline; the shared retry pause and its budget; verdicts of the
//! machines; the state the UI sees.

use super::{Outcome, Upload};
use crate::error::{ErrorCode, UploadError};
use crate::event::{Event, RetryReason, State, UploadResult};
use crate::io::{FailureKind, RequestKind};
use crate::protocol::{Phase, Verdict};
use crate::status::{Follow, StatusFollower};
use crate::time::Millis;
use std::time::Duration;

impl Upload {
    // ---- control -----------------------------------------------------------------------

    /// Pauses: aborts every request (their work is kept) until [`resume`](Self::resume). A
    /// credentials call goes on: its reply is kept for the resume.
    pub fn pause(&mut self, now: Millis) {
        if !self.running() || self.paused {
            return;
        }
        self.paused = true;
        self.abort_all(false);
        self.after(now);
    }

    /// Resumes after a pause, at once: a pending backoff is dropped, but not a wait the server
    /// asked for with `Retry-After`.
    pub fn resume(&mut self, now: Millis) {
        if !self.paused {
            return;
        }
        self.paused = false;
        self.gate.go_on(now);
        self.after(now);
    }

    /// Cancels: aborts every request; the upload fails with code `cancelled`.
    /// After the bytes are in, it only stops following processing (the state becomes `Done`).
    pub fn cancel(&mut self, now: Millis) {
        match self.outcome {
            Outcome::Failed => return,
            Outcome::Finished(_) => {
                self.follower = None;
                self.abort_all(true);
            }
            Outcome::Running => self.fail(UploadError::cancelled()),
        }
        self.after(now);
    }

    /// The browser went offline or online. Offline: no new requests, and failures cost no
    /// attempt. Online: go on at once (but not before a `Retry-After` the server asked for).
    pub fn set_online(&mut self, online: bool, now: Millis) {
        if self.online == online {
            return;
        }
        self.online = online;
        if online {
            self.gate.go_on(now);
        }
        self.after(now);
    }

    pub(super) fn abort_all(&mut self, failed: bool) {
        let flights = std::mem::take(&mut self.flights);
        for (id, f) in flights {
            if !failed && f.kind == RequestKind::Credentials {
                // A pause lets the credentials call finish: aborting a create would leave its
                // media behind on the platform, and asking again would create another.
                self.flights.insert(id, f);
                continue;
            }
            // Bytes in flight are thrown away (a resumable chunk, a part, a whole s3 body).
            self.progress.discard(id.0);
            self.reach.forget(id.0);
            self.aborts.push_back(id);
            if !failed {
                self.machine.requeue(&f.kind, false);
            }
        }
    }

    // ---- internals ---------------------------------------------------------------------

    pub(super) fn retry(
        &mut self,
        reason: RetryReason,
        retry_after: Option<Duration>,
        error: Option<UploadError>,
        now: Millis,
    ) {
        self.gate.note(error);
        if !self.online || self.paused {
            return; // offline waits cost no attempt; paused work waits for resume
        }
        if let Err(e) = self.gate.failed(&self.cfg.retry, reason, retry_after, now) {
            self.fail(e);
        }
    }

    pub(super) fn verdict(&mut self, v: Verdict, now: Millis) {
        match v {
            Verdict::Continue => {}
            Verdict::Progress => self.gate.progressed(),
            Verdict::Retry {
                reason,
                retry_after,
                error,
            } => self.retry(reason, retry_after, error, now),
            Verdict::Renew(refusal) => {
                if self.gate.renewal(self.cfg.max_renewals) {
                    self.creds.renew();
                } else {
                    // Renewed credentials refused again and again: say what the server said.
                    let mut e = refusal.unwrap_or_else(|| {
                        UploadError::new(ErrorCode::CredentialsExpired, "", true)
                    });
                    e.code = ErrorCode::CredentialsExpired;
                    e.retryable = true;
                    e.message = match e.status {
                        Some(s) => format!(
                            "The upload credentials were refused (HTTP {s}) and {} renewals did not help.",
                            self.cfg.max_renewals
                        ),
                        None => "The upload credentials expired and could not be renewed.".into(),
                    };
                    self.fail(e);
                }
            }
            Verdict::Fail(e) => self.fail(e),
            Verdict::Done(r) => self.finish(r, now),
        }
    }

    pub(super) fn finish(&mut self, r: UploadResult, now: Millis) {
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

    pub(super) fn fail(&mut self, e: UploadError) {
        if self.outcome == Outcome::Failed {
            return;
        }
        self.abort_all(true);
        self.outcome = Outcome::Failed;
        self.events.push_back(Event::Error(e));
    }

    pub(super) fn derive_state(&self, now: Millis) -> State {
        match (&self.outcome, &self.follower) {
            (Outcome::Failed, _) => return State::Failed,
            (Outcome::Finished(_), None) => return State::Done,
            (Outcome::Finished(_), Some(f)) => {
                return match f.outcome {
                    Follow::Polling => State::Processing,
                    Follow::Ready | Follow::Unavailable => State::Done,
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
        if let Some(retrying) = self.gate.state(now) {
            return retrying;
        }
        if self.creds.awaiting() {
            return State::Waiting;
        }
        match self.machine.phase() {
            Phase::Transfer => State::Uploading,
            Phase::Verifying => State::Verifying,
            Phase::Completing => State::Completing,
        }
    }

    /// Bookkeeping after every input: ask for credentials, report progress and state.
    pub(super) fn after(&mut self, now: Millis) {
        self.ask_credentials(now);
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

pub(super) fn reason_of(kind: FailureKind) -> RetryReason {
    match kind {
        FailureKind::Timeout => RetryReason::Timeout,
        FailureKind::Network | FailureKind::Aborted => RetryReason::Network,
    }
}
