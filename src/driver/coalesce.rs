//! Progress coalescing: the browser's upload progress reports (WebKit sends one every 8 KiB, so
//! thousands per part) reach the engine at most once per [`PROGRESS_EVERY_MS`], and the
//! `progress` events the engine emits are passed on at most once per interval per upload. A held
//! value is delivered when its interval ends; the final value (every byte sent) is never held.
//! The engine's progress never goes backwards, and only the latest value is kept, so neither
//! does what listeners see.
//!
//! A fixed interval rather than an animation frame: frames stop in a background tab, and an
//! upload's progress (and its saved resume record) must go on there.

use litemap::LiteMap;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

use jw_upload_core::{Event, Millis, RequestId};

use super::{pump, Inner};
use crate::timer::{self, Timeout};

/// At most one `progress` event per upload per this many milliseconds.
pub const PROGRESS_EVERY_MS: u64 = 100;

/// What is held back until the interval ends.
#[derive(Default)]
pub(super) struct Coalescer {
    /// The latest bytes sent of each request, not yet given to the engine.
    reports: LiteMap<RequestId, u64>,
    /// A `progress` event not yet passed on.
    held: Option<Event>,
    /// When the last `progress` event was passed on.
    last: Option<Millis>,
    /// Ends the interval: feeds the engine the reports, passes the held event on.
    timer: Option<Timeout>,
}

impl Coalescer {
    fn due(&self, now: Millis) -> bool {
        due(self.last, now)
    }
}

/// Whether an interval has passed since `last` (or nothing was passed on yet).
fn due(last: Option<Millis>, now: Millis) -> bool {
    last.is_none_or(|t| now.0 >= t.0 + PROGRESS_EVERY_MS)
}

/// A transport report: request `id` has sent `sent` body bytes.
pub(super) fn report(me: &Weak<RefCell<Inner>>, id: RequestId, sent: u64) {
    let Some(rc) = me.upgrade() else { return };
    let Ok(mut inner) = rc.try_borrow_mut() else {
        return; // a level, not a delta: the next report carries it
    };
    inner.coalescer.reports.insert(id, sent);
    inner.arm_coalescer();
}

impl Inner {
    /// Passes on at most one `progress` event per interval (the final value always).
    pub(super) fn coalesce(&mut self, events: Vec<Event>) -> Vec<Event> {
        let now = timer::now();
        let mut out = Vec::with_capacity(events.len());
        for ev in events {
            let Event::Progress(p) = &ev else {
                if matches!(&ev, Event::StateChanged { state } if state.is_terminal()) {
                    // Nothing is reported after the end (the final value was not held).
                    self.coalescer = Coalescer::default();
                }
                out.push(ev);
                continue;
            };
            if p.loaded >= p.total || self.coalescer.due(now) {
                self.coalescer.held = None;
                self.coalescer.last = Some(now);
                out.push(ev);
            } else {
                self.coalescer.held = Some(ev);
                self.arm_coalescer();
            }
        }
        out
    }

    fn arm_coalescer(&mut self) {
        if self.coalescer.timer.is_some() {
            return;
        }
        let now = timer::now().0;
        let wait = self
            .coalescer
            .last
            .map_or(0, |t| (t.0 + PROGRESS_EVERY_MS).saturating_sub(now));
        let me = self.me.clone();
        self.coalescer.timer = Timeout::new(wait, move || flush(&me));
    }
}

/// The interval ended: the engine gets the latest reports (one drain for all of them), and a
/// held event that nothing newer replaced is passed on.
fn flush(me: &Weak<RefCell<Inner>>) {
    let Some(rc) = me.upgrade() else { return };
    {
        let Ok(mut inner) = rc.try_borrow_mut() else {
            return;
        };
        inner.coalescer.timer = None;
        let now = timer::now();
        let reports = std::mem::take(&mut inner.coalescer.reports);
        for (id, sent) in reports {
            inner.upload.handle_progress(id, sent, now);
        }
    }
    pump(&rc);
    pass_held(&rc);
}

fn pass_held(rc: &Rc<RefCell<Inner>>) {
    let (held, sink) = {
        let Ok(mut inner) = rc.try_borrow_mut() else {
            return;
        };
        let now = timer::now();
        if inner.coalescer.held.is_none() {
            return;
        }
        if !inner.coalescer.due(now) {
            inner.arm_coalescer();
            return;
        }
        inner.coalescer.last = Some(now);
        (inner.coalescer.held.take(), inner.sink.clone())
    };
    if let Some(ev) = held {
        sink(&ev);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_event_per_interval() {
        assert!(due(None, Millis(0)), "the first value goes out at once");
        assert!(!due(Some(Millis(1000)), Millis(1000)));
        assert!(!due(
            Some(Millis(1000)),
            Millis(1000 + PROGRESS_EVERY_MS - 1)
        ));
        assert!(due(Some(Millis(1000)), Millis(1000 + PROGRESS_EVERY_MS)));
    }

    #[test]
    fn webkit_reports_every_8_kib_become_a_bounded_count() {
        // 64 MiB at ~13 MiB/s, one report per 8 KiB: about one report every 0.6 ms.
        let (mut last, mut passed) = (None, 0);
        for i in 0..8192u64 {
            let now = Millis(i * 6 / 10);
            if due(last, now) {
                last = Some(now);
                passed += 1;
            }
        }
        let span_ms = 8191 * 6 / 10;
        assert!(passed <= span_ms / PROGRESS_EVERY_MS + 1, "{passed} events");
    }
}
