//! Following the media's processing after the upload: poll the status URL (through the
//! customer's backend) with a growing wait until the media is ready or failed.

use crate::config::StatusConfig;
use crate::error::{ErrorCode, UploadError};
use crate::event::Event;
use crate::io::{Body, HttpMethod, RequestKind, Response};
use crate::protocol::Outgoing;
use crate::reply::{MediaState, MediaStatus};
use crate::retry::is_retryable_status;
use crate::time::Millis;
use std::collections::VecDeque;
use std::time::Duration;

/// Where following stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Follow {
    /// Still polling.
    Polling,
    /// Ready.
    Ready,
    /// Failed (or gave up).
    Failed,
    /// The status URL kept refusing: the upload is done, its processing unknown.
    Unavailable,
}

/// The status follower.
#[derive(Clone, Debug)]
pub(crate) struct StatusFollower {
    cfg: StatusConfig,
    url: String,
    started: Millis,
    next_at: Millis,
    delay: Duration,
    in_flight: bool,
    /// Refusing replies (404, 403...) in a row.
    refusals: u32,
    pub outcome: Follow,
}

impl StatusFollower {
    pub fn new(cfg: StatusConfig, media_id: &str, now: Millis) -> Self {
        let url = cfg.url.replace("{id}", &crate::link::encode(media_id));
        StatusFollower {
            started: now,
            next_at: now + cfg.first_delay,
            delay: cfg.first_delay,
            url,
            cfg,
            in_flight: false,
            refusals: 0,
            outcome: Follow::Polling,
        }
    }

    /// When the next poll is due (none while one is in flight or after the end).
    pub fn timeout(&self) -> Option<Millis> {
        (self.outcome == Follow::Polling && !self.in_flight).then_some(self.next_at)
    }

    pub fn next(&mut self, now: Millis) -> Option<Outgoing> {
        if self.outcome != Follow::Polling || self.in_flight || now < self.next_at {
            return None;
        }
        self.in_flight = true;
        Some(Outgoing {
            kind: RequestKind::MediaStatus,
            method: HttpMethod::Get,
            url: self.url.clone(),
            headers: self.cfg.headers.clone(),
            body: Body::Empty,
        })
    }

    fn schedule(&mut self, now: Millis, events: &mut VecDeque<Event>) {
        self.in_flight = false;
        if now.since(self.started) >= self.cfg.give_up_after {
            self.outcome = Follow::Failed;
            events.push_back(Event::Error(UploadError::new(
                ErrorCode::ProcessingFailed,
                "The media is still processing; check again later.",
                true,
            )));
            return;
        }
        self.delay = self.delay.mul_f64(1.5).min(self.cfg.max_delay);
        self.next_at = now + self.delay;
    }

    /// A poll failed without a reply (or was aborted): try later.
    pub fn failed(&mut self, now: Millis, events: &mut VecDeque<Event>) {
        self.schedule(now, events);
    }

    pub fn on_response(&mut self, resp: &Response, now: Millis, events: &mut VecDeque<Event>) {
        let status = if resp.is_success() {
            MediaStatus::parse(&resp.body).ok()
        } else {
            None
        };
        let refused = (400..500).contains(&resp.status) && !is_retryable_status(resp.status);
        if refused {
            self.refusals += 1;
            if self.refusals >= self.cfg.max_not_found {
                self.in_flight = false;
                self.outcome = Follow::Unavailable;
                events.push_back(Event::Error(
                    UploadError::new(
                        ErrorCode::StatusUnavailable,
                        format!(
                            "status unavailable: {} answered HTTP {} {} times in a row \
                             (check the status endpoint). The upload itself finished.",
                            self.url, resp.status, self.refusals
                        ),
                        false,
                    )
                    .with_status(resp.status),
                ));
                return;
            }
        } else {
            self.refusals = 0;
        }
        let Some(status) = status else {
            return self.schedule(now, events);
        };
        self.in_flight = false;
        match status.state {
            MediaState::Ready => {
                self.outcome = Follow::Ready;
                events.push_back(Event::Ready(status));
            }
            MediaState::Failed => {
                self.outcome = Follow::Failed;
                let why = status.error_message.clone().unwrap_or_default();
                let lower = why.to_ascii_lowercase();
                let err = if lower.contains("2 second") || lower.contains("short") {
                    UploadError::new(
                        ErrorCode::TooShort,
                        "The video is shorter than 2 seconds.",
                        false,
                    )
                } else {
                    UploadError::new(
                        ErrorCode::ProcessingFailed,
                        "The platform could not process the media.",
                        false,
                    )
                };
                events.push_back(Event::Error(err.with_platform(None, status.error_message)));
            }
            _ => {
                events.push_back(Event::Processing(status));
                self.schedule(now, events);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn polls_with_backoff_until_ready() {
        let mut ev = VecDeque::new();
        let mut f = StatusFollower::new(
            StatusConfig::new("http://b/api/media/{id}"),
            "M 1",
            Millis(0),
        );
        assert!(f.next(Millis(100)).is_none());
        let out = f.next(Millis(2000)).unwrap();
        assert_eq!(out.url, "http://b/api/media/M%201");
        assert!(f.next(Millis(2000)).is_none());
        f.on_response(
            &Response::new(200, r#"{"id":"M 1","status":"processing"}"#),
            Millis(2100),
            &mut ev,
        );
        assert!(matches!(ev.pop_front(), Some(Event::Processing(_))));
        assert_eq!(f.timeout(), Some(Millis(5100)));
        f.failed(Millis(5200), &mut ev);
        assert_eq!(f.timeout(), Some(Millis(5200 + 4500)));
        let _ = f.next(Millis(9700)).unwrap();
        f.on_response(
            &Response::new(200, r#"{"id":"M 1","status":"ready"}"#),
            Millis(9800),
            &mut ev,
        );
        assert!(matches!(ev.pop_front(), Some(Event::Ready(_))));
        assert_eq!(f.outcome, Follow::Ready);
        assert_eq!(f.timeout(), None);
    }

    #[test]
    fn gives_up_after_refusals_in_a_row_not_after_other_failures() {
        let mut ev = VecDeque::new();
        let mut cfg = StatusConfig::new("http://b/api/nope/{id}");
        cfg.max_not_found = 3;
        let mut f = StatusFollower::new(cfg, "M", Millis(0));
        let mut now = Millis(0);
        let mut poll = |f: &mut StatusFollower, status: u16, ev: &mut VecDeque<Event>| {
            now = f.timeout().unwrap();
            let _ = f.next(now).unwrap();
            f.on_response(&Response::new(status, "{}"), now, ev);
        };
        // A 503 between refusals starts the count again.
        poll(&mut f, 404, &mut ev);
        poll(&mut f, 404, &mut ev);
        poll(&mut f, 503, &mut ev);
        poll(&mut f, 404, &mut ev);
        poll(&mut f, 404, &mut ev);
        assert_eq!(f.outcome, Follow::Polling);
        assert!(ev.is_empty());
        poll(&mut f, 404, &mut ev);
        assert_eq!(f.outcome, Follow::Unavailable);
        assert_eq!(f.timeout(), None);
        let Some(Event::Error(e)) = ev.pop_front() else {
            panic!("an error says why")
        };
        assert_eq!(
            (e.code, e.status),
            (ErrorCode::StatusUnavailable, Some(404))
        );
        assert!(
            e.message
                .starts_with("status unavailable: http://b/api/nope/M answered HTTP 404 3 times"),
            "{}",
            e.message
        );
    }

    #[test]
    fn failure_names_too_short() {
        let mut ev = VecDeque::new();
        let mut f = StatusFollower::new(StatusConfig::new("u/{id}"), "M", Millis(0));
        let _ = f.next(Millis(2000)).unwrap();
        f.on_response(
            &Response::new(
                200,
                r#"{"id":"M","status":"failed","error_message":"shorter than 2 seconds"}"#,
            ),
            Millis(2001),
            &mut ev,
        );
        let Some(Event::Error(e)) = ev.pop_front() else {
            panic!()
        };
        assert_eq!(e.code, ErrorCode::TooShort);
    }
}
