//! The retry gate: the one pause every request of an upload waits out after a failure, the
//! attempts and renewals it costs, the wait a server asked for (`Retry-After`), and the last
//! error, which becomes the message when the attempts run out.

use crate::error::{ErrorCode, UploadError};
use crate::event::{RetryReason, State};
use crate::retry::{Jitter, RetryPolicy};
use crate::time::Millis;
use std::time::Duration;

/// Attempts, renewals and the shared pause of one upload.
#[derive(Clone, Debug)]
pub(super) struct RetryGate {
    attempt: u32,
    renewals: u32,
    pause_until: Option<Millis>,
    /// The latest end of a `Retry-After` wait: kept through resume and coming back online.
    server_wait: Option<Millis>,
    last_retry: (u32, Duration, RetryReason),
    last_error: Option<UploadError>,
    jitter: Jitter,
}

impl RetryGate {
    /// A gate with no failure yet; `seed` drives the jitter.
    pub fn new(seed: u64) -> RetryGate {
        RetryGate {
            attempt: 0,
            renewals: 0,
            pause_until: None,
            server_wait: None,
            last_retry: (0, Duration::ZERO, RetryReason::Network),
            last_error: None,
            jitter: Jitter::new(seed),
        }
    }

    /// Keeps `e` as the last error (what a final failure will say).
    pub fn note(&mut self, e: Option<UploadError>) {
        if let Some(e) = e {
            self.last_error = Some(e);
        }
    }

    /// A failure: pause before going on. A failure during a pause already running shares it
    /// and costs no attempt. `Err` is the error to fail with once the attempts are used up.
    pub fn failed(
        &mut self,
        policy: &RetryPolicy,
        reason: RetryReason,
        retry_after: Option<Duration>,
        now: Millis,
    ) -> Result<(), UploadError> {
        if !self.waiting(now) {
            self.attempt += 1;
            if self.attempt > policy.max_attempts {
                return Err(self.exhausted(policy, reason));
            }
        }
        let delay = policy.delay(self.attempt.max(1), self.jitter.next_unit(), retry_after);
        let until = now + delay;
        if let Some(ra) = retry_after {
            let floor = now + ra.min(policy.max_retry_after);
            self.server_wait = Some(self.server_wait.map_or(floor, |t| t.max(floor)));
        }
        if self.pause_until.is_none_or(|t| t < until) {
            self.pause_until = Some(until);
            self.last_retry = (self.attempt.max(1), delay, reason);
        }
        Ok(())
    }

    fn exhausted(&self, policy: &RetryPolicy, reason: RetryReason) -> UploadError {
        let mut e = match &self.last_error {
            Some(e) if e.status.is_some() || e.code != ErrorCode::Network => e.clone(),
            _ => UploadError::new(
                ErrorCode::Network,
                "The connection failed too many times.",
                true,
            ),
        };
        e.retryable = true;
        // The status is in the message already: name the last failure only when it adds to it.
        let said = e.status.is_some() && matches!(reason, RetryReason::Status { .. });
        e.message = if said {
            format!(
                "{} Gave up after {} attempts.",
                e.message, policy.max_attempts
            )
        } else {
            format!(
                "{} Gave up after {} attempts ({reason}).",
                e.message, policy.max_attempts
            )
        };
        e
    }

    /// The server acknowledged new bytes: attempts and renewals start again.
    pub fn progressed(&mut self) {
        self.attempt = 0;
        self.renewals = 0;
        self.last_error = None;
    }

    /// Counts one renewal of the credentials; false when more than `max` in a row.
    pub fn renewal(&mut self, max: u32) -> bool {
        self.renewals += 1;
        self.renewals <= max
    }

    /// Whether a pause is running at `now`.
    pub fn waiting(&self, now: Millis) -> bool {
        self.pause_until.is_some_and(|t| t > now)
    }

    /// Whether requests may go at `now`; forgets a pause that is over.
    pub fn open(&mut self, now: Millis) -> bool {
        if self.waiting(now) {
            return false;
        }
        self.pause_until = None;
        true
    }

    /// Going on after the user's pause or coming back online: at once, but not before a
    /// `Retry-After` the server asked for.
    pub fn go_on(&mut self, now: Millis) {
        self.pause_until = self.server_wait.filter(|t| *t > now);
    }

    /// When the running pause ends.
    pub fn deadline(&self) -> Option<Millis> {
        self.pause_until
    }

    /// The state while a pause runs at `now`.
    pub fn state(&self, now: Millis) -> Option<State> {
        let (attempt, delay, reason) = self.last_retry;
        self.waiting(now).then_some(State::Retrying {
            attempt,
            delay,
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 2,
            ..RetryPolicy::default()
        }
    }

    #[test]
    fn failures_in_one_pause_share_it_and_attempts_run_out() {
        let p = policy();
        let mut g = RetryGate::new(1);
        assert!(g.open(Millis(0)));
        assert!(g.failed(&p, RetryReason::Network, None, Millis(0)).is_ok());
        let Some(State::Retrying { attempt: 1, .. }) = g.state(Millis(0)) else {
            panic!("retrying after one failure: {:?}", g.state(Millis(0)));
        };
        assert!(!g.open(Millis(0)));
        // A second failure inside the pause costs nothing.
        assert!(g.failed(&p, RetryReason::Stalled, None, Millis(1)).is_ok());
        let end = g.deadline().map_or(0, |t| t.0);
        assert!(g.open(Millis(end)) && g.state(Millis(end)).is_none());
        assert!(g
            .failed(&p, RetryReason::Network, None, Millis(end))
            .is_ok());
        let end = g.deadline().map_or(0, |t| t.0);
        g.note(Some(UploadError::new(
            ErrorCode::ServerRejected,
            "Refused.",
            true,
        )));
        let Err(e) = g.failed(&p, RetryReason::Timeout, None, Millis(end)) else {
            panic!("a third attempt is one too many");
        };
        assert_eq!(e.code, ErrorCode::ServerRejected);
        assert!(e.retryable);
        assert!(
            e.message.ends_with("Gave up after 2 attempts (timeout)."),
            "{}",
            e.message
        );
    }

    #[test]
    fn progress_resets_and_the_server_wait_outlives_a_resume() {
        let p = policy();
        let mut g = RetryGate::new(1);
        let ra = Some(Duration::from_secs(30));
        assert!(g
            .failed(&p, RetryReason::Status { status: 503 }, ra, Millis(0))
            .is_ok());
        g.go_on(Millis(10));
        assert!(!g.open(Millis(10)), "Retry-After still holds");
        assert!(g.open(Millis(30_000)));
        g.go_on(Millis(30_001));
        assert!(g.open(Millis(30_001)));
        assert!(g
            .failed(&p, RetryReason::Network, None, Millis(40_000))
            .is_ok());
        g.progressed();
        let end = g.deadline().map_or(0, |t| t.0);
        assert!(g
            .failed(&p, RetryReason::Network, None, Millis(end))
            .is_ok());
        let Some(State::Retrying { attempt: 1, .. }) = g.state(Millis(end)) else {
            panic!("attempts start again after progress");
        };
    }

    #[test]
    fn renewals_are_bounded_until_progress() {
        let mut g = RetryGate::new(1);
        assert!(g.renewal(2) && g.renewal(2) && !g.renewal(2));
        g.progressed();
        assert!(g.renewal(2));
    }
}
