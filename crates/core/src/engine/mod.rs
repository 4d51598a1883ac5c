//! The sans-IO upload: takes replies, failures, progress, digests and time; hands out
//! requests, aborts, the driver's tasks, the UI's events and the next deadline. This file holds
//! the state and its record; `inputs.rs` takes what the driver reports, `control.rs` holds
//! pause/cancel/offline, verdicts and the UI state, `creds.rs` the credentials' state and
//! `gate.rs` the retry pause and its budget, `reach.rs` origins that never answered.

mod control;
mod creds;
mod gate;
mod inputs;
mod reach;

use crate::config::Config;
use crate::error::{ErrorCode, UploadError};
use crate::event::{Event, State, UploadResult};
use crate::io::{RequestId, RequestKind, Task};
use crate::method::{choose, Method};
use crate::progress::{ProgressTracker, Sending};
use crate::protocol::{Ctx, Machine};
use crate::reply::Credentials;
use crate::sorted::{Map, SortedSet};
use crate::status::StatusFollower;
use crate::time::Millis;
use creds::Creds;
use gate::RetryGate;
use reach::Reach;
pub use reach::{UNREACHABLE_AFTER, UNREACHABLE_FAILURES};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::time::Duration;

/// A request (or credentials call) in flight. The bytes its body sent and the link's rate
/// they show are in the [`ProgressTracker`] (`sending`), the one place that keeps them.
#[derive(Clone, Debug)]
struct Flight {
    kind: RequestKind,
    launched: Millis,
    stall: Duration,
    body_len: u64,
    /// Bytes the server may have to go through before it replies (the whole file for a
    /// multipart `complete` or a resumable upload's last chunk): it may take a while.
    assemble: u64,
}

/// Bytes the buffers between the browser and the server (socket buffers at both ends, a proxy)
/// may still hold once a body is all handed over, when no rate was measured: the reply waits on
/// them. Linux autotunes a connection's send and receive buffers up to 4 + 6 MiB; Chromium was
/// seen handing 4 MB of a part to a throttled loopback server at once.
const IN_BUFFERS: u64 = 16 * 1024 * 1024;
/// The rate assumed for them when neither this request nor an acknowledged one measured the
/// link: 256 KiB/s.
const SLOW_LINK_BYTES_PER_MS: f64 = 262.144;
/// How fast a server is assumed to go through a whole file when finishing an upload (S3's
/// CompleteMultipartUpload "could take several minutes"; the simulator hashes every byte).
const ASSEMBLE_BYTES_PER_MS: f64 = 33_554.432; // 32 MiB/s
/// The longest extra wait for a `complete` call (no body: the server's own work).
const MAX_ASSEMBLE_MS: u64 = 900_000;

impl Flight {
    fn new(kind: RequestKind, stall: Duration, body_len: u64, size: u64, now: Millis) -> Flight {
        let assemble = match &kind {
            RequestKind::Complete => size,
            RequestKind::Chunk { range } if range.end >= size => size,
            _ => 0,
        };
        Flight {
            kind,
            launched: now,
            stall,
            body_len,
            assemble,
        }
    }

    /// When the watchdog gives up on this request. While its body is being handed over: the
    /// stall timeout after the last progress. Once all of it sits in the browser's socket (no
    /// more reports while the server may still be reading): also the time the bytes still
    /// buffered (by the progress estimate) take to drain at the measured rate (`rate`, bytes
    /// per ms; the slow-link rate when none was measured), plus for the request that finishes
    /// the upload the time the server may take to go through the file; that extra is at most
    /// the stall timeout, so a stall is seen within twice it. A `complete` call (no body)
    /// waits the stall timeout plus the server's time for the whole file.
    fn deadline(&self, sending: Option<&Sending>, rate: Option<f64>) -> Millis {
        let (sent, last, buffered) = match sending {
            Some(s) => (s.sent, s.at, s.buffered()),
            None => (0, self.launched, self.body_len),
        };
        let quiet = last + self.stall;
        if sent < self.body_len {
            return quiet;
        }
        let assemble = (self.assemble as f64 / ASSEMBLE_BYTES_PER_MS) as u64;
        if self.body_len == 0 {
            return quiet + Duration::from_millis(assemble.min(MAX_ASSEMBLE_MS));
        }
        let (rate, buffered) = match rate.filter(|r| *r > 0.0) {
            Some(r) => (r, buffered),
            None => (SLOW_LINK_BYTES_PER_MS, self.body_len.min(IN_BUFFERS)),
        };
        let drain = (buffered as f64 / rate) as u64;
        let cap = u64::try_from(self.stall.as_millis()).unwrap_or(u64::MAX);
        quiet + Duration::from_millis(drain.saturating_add(assemble).min(cap))
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Running,
    Finished(UploadResult),
    Failed,
}

/// Format version of [`Snapshot`].
pub const SNAPSHOT_VERSION: u32 = 1;

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
    /// The result, when every byte was in already (a restore then only follows processing).
    #[serde(default)]
    pub result: Option<UploadResult>,
    machine: Machine,
}

/// One upload, driven by a driver. See the crate docs for the loop.
#[derive(Debug)]
pub struct Upload {
    cfg: Config,
    method: Method,
    machine: Machine,
    creds: Creds,
    progress: ProgressTracker,
    events: VecDeque<Event>,
    tasks: VecDeque<Task>,
    aborts: VecDeque<RequestId>,
    flights: Map<RequestId, Flight>,
    next_id: u64,
    gate: RetryGate,
    paused: bool,
    online: bool,
    outcome: Outcome,
    follower: Option<StatusFollower>,
    digests: Map<(u64, u64), String>,
    wanted: SortedSet<(u64, u64)>,
    state: Option<State>,
    media_hint: Option<String>,
    reach: Reach,
}

impl Upload {
    /// Starts an upload: picks the method (fetch when `cfg.download_url` is set), checks the
    /// limits, says so (`Event::Started`) and asks for credentials (`Task::Credentials`).
    pub fn new(cfg: Config, now: Millis) -> Result<Upload, UploadError> {
        let size = (cfg.download_url.is_none()).then_some(cfg.size);
        let method = choose(
            size,
            cfg.download_url.is_some(),
            cfg.method,
            cfg.resource,
            cfg.available_methods.as_deref(),
        )?;
        let machine = Machine::new(method, &cfg)?;
        let mut u = Self::with_machine(cfg, method, machine);
        u.after(now);
        Ok(u)
    }

    fn with_machine(cfg: Config, method: Method, machine: Machine) -> Upload {
        Upload {
            progress: ProgressTracker::new(cfg.size),
            gate: RetryGate::new(cfg.seed),
            cfg,
            method,
            machine,
            creds: Creds::needed(),
            events: VecDeque::from([Event::Started { method }]),
            tasks: VecDeque::new(),
            aborts: VecDeque::new(),
            flights: Map::new(),
            next_id: 1,
            paused: false,
            online: true,
            outcome: Outcome::Running,
            follower: None,
            digests: Map::new(),
            wanted: SortedSet::default(),
            state: None,
            media_hint: None,
            reach: Reach::default(),
        }
    }

    /// Resumes from a [`Snapshot`]: the server is asked what it holds (multipart lists its
    /// parts, resumable sends a chunk from byte 0); s3 and form start over. With stored
    /// credentials it starts at once, else it asks for them.
    pub fn restore(cfg: Config, snap: Snapshot, now: Millis) -> Result<Upload, UploadError> {
        let refuse = |why: &str| {
            Err(UploadError::new(
                ErrorCode::InvalidConfig,
                format!("The stored upload cannot be resumed: {why}."),
                false,
            ))
        };
        if snap.version != SNAPSHOT_VERSION {
            return refuse("it was written by another version");
        }
        if snap.size != cfg.size {
            return refuse("it is for a file of another size");
        }
        if snap.machine.method() != snap.method {
            return refuse("it is inconsistent");
        }
        let mut machine = snap.machine;
        machine.restored(&cfg)?;
        let mut u = Self::with_machine(cfg, snap.method, machine);
        u.digests = snap
            .digests
            .into_iter()
            .map(|(s, e, d)| ((s, e), d))
            .collect();
        u.media_hint = snap.media_id;
        if let Some(r) = snap.result {
            u.creds = Creds::held(snap.credentials);
            u.finish(r, now);
        } else if let Some(c) = snap.credentials {
            u.install(c, now);
        }
        u.after(now);
        Ok(u)
    }

    /// A serializable record for resuming later (e.g. after a reload).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            version: SNAPSHOT_VERSION,
            size: self.cfg.size,
            method: self.method,
            media_id: self.media_id().map(str::to_string),
            credentials: self.creds.last().cloned(),
            digests: self
                .digests
                .iter()
                .map(|(&(s, e), d)| (s, e, d.clone()))
                .collect(),
            result: self.result().cloned(),
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
            .last()
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
                tasks: &mut self.tasks,
                digests: &self.digests,
                wanted: &mut self.wanted,
            },
        )
    }

    fn running(&self) -> bool {
        self.outcome == Outcome::Running
    }

    // ---- outputs -----------------------------------------------------------------------

    /// The next request the driver must abort (and then not report).
    pub fn poll_abort(&mut self) -> Option<RequestId> {
        self.aborts.pop_front()
    }

    /// The next task for the driver itself: a credentials call or a digest.
    pub fn poll_task(&mut self) -> Option<Task> {
        self.tasks.pop_front()
    }

    /// The next event for the UI (state, progress, parts, the result, errors).
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }
}
