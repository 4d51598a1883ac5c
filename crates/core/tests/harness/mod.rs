//! Scripted-peer harness: a virtual clock, a synthetic source, fake platform servers with fault
//! injection, and a driver loop that runs an `Upload` to the end and records every request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod servers;

use jw_upload_core::{
    Body, Config, Event, FailureKind, Millis, Request, RequestId, Response, State, Task, Upload,
};
use md5::{Digest, Md5};
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

/// A synthetic source of `size` bytes (deterministic pseudo-random content).
#[derive(Clone)]
pub struct Source {
    pub size: u64,
    data: std::rc::Rc<Vec<u8>>,
    memo: HashMap<(u64, u64), String>,
}

impl Source {
    pub fn new(size: u64) -> Self {
        // 8-byte words: cheap to build in debug builds.
        let mut data = Vec::with_capacity(size as usize + 8);
        let mut i = 0u64;
        while (data.len() as u64) < size {
            let w = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (i >> 3);
            data.extend_from_slice(&w.to_le_bytes());
            i += 1;
        }
        data.truncate(size as usize);
        Source {
            size,
            data: std::rc::Rc::new(data),
            memo: HashMap::new(),
        }
    }

    fn feed(&self, h: &mut Md5, r: &Range<u64>) {
        h.update(&self.data[r.start as usize..r.end as usize]);
    }

    /// MD5 hex of a range (memoized).
    pub fn md5(&mut self, r: &Range<u64>) -> String {
        if let Some(d) = self.memo.get(&(r.start, r.end)) {
            return d.clone();
        }
        let mut h = Md5::new();
        self.feed(&mut h, r);
        let d = hex(&h.finalize());
        self.memo.insert((r.start, r.end), d.clone());
        d
    }

    /// MD5 hex of the concatenation of `ranges` of the source.
    pub fn md5_of_ranges(&mut self, ranges: &[Range<u64>]) -> String {
        if let [r] = ranges {
            return self.md5(r);
        }
        let mut h = Md5::new();
        for r in ranges {
            self.feed(&mut h, r);
        }
        hex(&h.finalize())
    }
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What the fake server does with one request.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Reply after the body went through.
    Reply(Response),
    /// The connection drops after `after_bytes` of the body (reset, or reply lost).
    Drop { after_bytes: u64 },
    /// The server stops reading after `after_bytes`: nothing more happens.
    Stall { after_bytes: u64 },
}

/// A fake platform: answers credentials and requests.
pub trait Server {
    /// The backend's reply to a credentials request (`renewal`: a media id is given).
    fn credentials(&mut self, renewal: Option<&str>) -> Response;
    /// Handles a request at `now` (side effects happen here).
    fn handle(&mut self, req: &Request, src: &mut Source, now: Millis) -> Outcome;
    /// What was assembled, as source ranges in order, once the upload is complete.
    fn assembled(&self) -> Option<Vec<Range<u64>>>;
    /// What it acknowledged, per request.
    #[allow(dead_code)] // not every test binary uses it
    fn acks(&self) -> &servers::Acks;
    /// How many injected faults fired so far.
    fn fired(&self) -> usize {
        0
    }
}

#[derive(Debug)]
enum Delivery {
    Progress(u64),
    Response(Response),
    Failure(FailureKind),
}

/// One request the engine sent.
#[derive(Clone, Debug)]
pub struct Sent {
    pub req: Request,
    #[allow(dead_code)] // not every test binary uses it
    pub at: Millis,
    /// Order among sends and deliveries.
    #[allow(dead_code)] // not every test binary uses it
    pub order: u64,
}

pub struct Harness<S: Server> {
    pub up: Upload,
    pub server: S,
    pub src: Source,
    pub now: Millis,
    pub sent: Vec<Sent>,
    pub events: Vec<Event>,
    /// The driver's tasks, in order.
    pub tasks: Vec<Task>,
    pub aborted: Vec<RequestId>,
    queue: BTreeMap<(Millis, u64), (RequestId, Delivery)>,
    seq: u64,
    /// Bytes per millisecond of the virtual link.
    pub bytes_per_ms: u64,
    /// Round-trip latency.
    pub latency_ms: u64,
    pub cred_requests: usize,
    /// When (in send/delivery order) each response reached the engine.
    pub delivered: HashMap<RequestId, u64>,
    /// `events.len()` each time a request ended without its bytes kept (a failure, a refusal):
    /// where progress may drop.
    pub losses: Vec<usize>,
    /// Requests a fault was injected into.
    pub faulted: std::collections::HashSet<RequestId>,
    order: u64,
    /// Replies to media status polls, in order (the last one repeats).
    pub status_script: Vec<Response>,
}

impl<S: Server> Harness<S> {
    pub fn new(cfg: Config, server: S) -> Self {
        let src = Source::new(cfg.size);
        let up = Upload::new(cfg, Millis(0)).expect("config accepted");
        Self::with_upload(up, server, src, Millis(0))
    }

    pub fn with_upload(up: Upload, server: S, src: Source, now: Millis) -> Self {
        Harness {
            up,
            server,
            src,
            now,
            sent: Vec::new(),
            events: Vec::new(),
            tasks: Vec::new(),
            aborted: Vec::new(),
            queue: BTreeMap::new(),
            seq: 0,
            bytes_per_ms: 10_000,
            latency_ms: 20,
            cred_requests: 0,
            delivered: HashMap::new(),
            losses: Vec::new(),
            faulted: Default::default(),
            order: 0,
            status_script: Vec::new(),
        }
    }

    fn push(&mut self, at: Millis, id: RequestId, d: Delivery) {
        self.seq += 1;
        self.queue.insert((at, self.seq), (id, d));
    }

    /// Drains aborts, tasks, events and requests until the engine has nothing more to say now.
    pub fn pump(&mut self) {
        loop {
            let mut busy = false;
            while let Some(id) = self.up.poll_abort() {
                busy = true;
                self.aborted.push(id);
                self.queue.retain(|_, (rid, _)| *rid != id);
            }
            while let Some(task) = self.up.poll_task() {
                busy = true;
                self.perform(task);
            }
            while let Some(ev) = self.up.poll_event() {
                busy = true;
                self.events.push(ev);
            }
            while let Some(req) = self.up.poll_request(self.now) {
                busy = true;
                self.send(req);
            }
            if !busy {
                return;
            }
        }
    }

    /// Credentials are answered at once; digests too.
    fn perform(&mut self, task: Task) {
        match &task {
            Task::Credentials { id, media_id, .. } => {
                self.cred_requests += 1;
                let resp = self.server.credentials(media_id.as_deref());
                self.up.handle_response(*id, resp, self.now);
            }
            Task::Digest { range } => {
                let d = self.src.md5(range);
                self.up.handle_digest(range.clone(), &d, self.now);
            }
        }
        self.tasks.push(task);
    }

    fn send(&mut self, req: Request) {
        let len = req.body.source_len();
        if let Some(r) = req.body.source_range() {
            assert!(
                r.start < r.end && r.end <= self.src.size,
                "bad body range {r:?}"
            );
        }
        let id = req.id;
        let outcome = if req.kind == jw_upload_core::RequestKind::MediaStatus {
            let r = if self.status_script.len() > 1 {
                self.status_script.remove(0)
            } else {
                self.status_script
                    .first()
                    .cloned()
                    .unwrap_or_else(|| Response::new(500, ""))
            };
            Outcome::Reply(r)
        } else {
            let fired = self.server.fired();
            let o = self.server.handle(&req, &mut self.src, self.now);
            if self.server.fired() > fired {
                self.faulted.insert(id);
            }
            o
        };
        self.order += 1;
        self.sent.push(Sent {
            req,
            at: self.now,
            order: self.order,
        });
        let t = |bytes: u64, h: &Self| {
            Millis(h.now.0 + h.latency_ms / 2 + bytes / h.bytes_per_ms.max(1))
        };
        match outcome {
            Outcome::Reply(resp) => {
                for q in 1..=4 {
                    if len > 0 {
                        let at = t(len * q / 4, self);
                        self.push(at, id, Delivery::Progress(len * q / 4));
                    }
                }
                let at = Millis(t(len, self).0 + self.latency_ms / 2 + 1);
                self.push(at, id, Delivery::Response(resp));
            }
            Outcome::Drop { after_bytes } => {
                let b = after_bytes.min(len);
                let at = t(b, self);
                if b > 0 {
                    self.push(at, id, Delivery::Progress(b));
                }
                self.push(
                    Millis(at.0 + 1),
                    id,
                    Delivery::Failure(FailureKind::Network),
                );
            }
            Outcome::Stall { after_bytes } => {
                let b = after_bytes.min(len);
                if b > 0 {
                    let at = t(b, self);
                    self.push(at, id, Delivery::Progress(b));
                }
            }
        }
    }

    fn deliver_due(&mut self) {
        while let Some((&(at, seq), _)) = self.queue.iter().next() {
            if at > self.now {
                return;
            }
            let (id, d) = self.queue.remove(&(at, seq)).unwrap();
            match d {
                Delivery::Progress(b) => self.up.handle_progress(id, b, self.now),
                Delivery::Response(r) => {
                    if !(200..300).contains(&r.status) || self.faulted.contains(&id) {
                        self.losses.push(self.events.len());
                    }
                    self.order += 1;
                    self.delivered.insert(id, self.order);
                    self.up.handle_response(id, r, self.now)
                }
                Delivery::Failure(k) => {
                    self.losses.push(self.events.len());
                    self.up.handle_failure(id, k, self.now)
                }
            }
            self.pump();
        }
    }

    /// One step of virtual time. Returns false when nothing more can happen.
    pub fn step(&mut self) -> bool {
        self.pump();
        let next_delivery = self.queue.keys().next().map(|k| k.0);
        let next_timer = self.up.poll_timeout();
        let next = match (next_delivery, next_timer) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => match a.or(b) {
                Some(t) => t,
                None => return false,
            },
        };
        self.now = self.now.max(next);
        self.deliver_due();
        if next_timer.is_some_and(|t| t <= self.now) {
            self.up.handle_timeout(self.now);
        }
        self.pump();
        true
    }

    /// Runs until the upload ends (or `max_steps`).
    pub fn run(&mut self) -> State {
        self.run_until(|_| false)
    }

    /// Runs until `stop` says so, the upload ends, or nothing can happen.
    pub fn run_until(&mut self, mut stop: impl FnMut(&Self) -> bool) -> State {
        for _ in 0..200_000 {
            self.pump();
            if stop(self) {
                break;
            }
            if self.up.state().is_terminal() && self.queue.is_empty() {
                break;
            }
            if !self.step() {
                break;
            }
        }
        self.up.state()
    }

    /// Data requests (with a source range), in order.
    #[allow(dead_code)] // not every test binary uses it
    pub fn data_ranges(&self) -> Vec<Range<u64>> {
        self.sent
            .iter()
            .filter_map(|s| s.req.body.source_range())
            .collect()
    }

    /// The error event, if any.
    pub fn error(&self) -> Option<&jw_upload_core::UploadError> {
        self.events.iter().find_map(|e| match e {
            Event::Error(e) => Some(e),
            _ => None,
        })
    }

    /// Asserts progress events were monotonic and bounded, ending at the total when done.
    /// It may drop only where bytes were thrown away: a failure, a refusal or a fault since the
    /// progress before, or a stall or a pause next to it.
    pub fn check_progress(&self) {
        let mut last = 0;
        let mut total = None;
        for (i, e) in self.events.iter().enumerate() {
            if let Event::Progress(p) = e {
                let explained = || {
                    let from = self.events[..i]
                        .iter()
                        .rposition(|e| matches!(e, Event::Progress(_)))
                        .unwrap_or(0);
                    let to = self.events[i + 1..]
                        .iter()
                        .position(|e| matches!(e, Event::Progress(_)))
                        .map_or(self.events.len(), |n| i + 1 + n);
                    // The state that says why comes just after the drop.
                    let stalled = self.events[from..to].iter().any(|e| {
                        matches!(
                            e,
                            Event::Stalled { .. }
                                | Event::StateChanged {
                                    state: State::Paused
                                }
                        )
                    });
                    stalled || self.losses.iter().any(|l| (from..=i).contains(l))
                };
                assert!(
                    p.loaded >= last || explained(),
                    "progress went back: {} < {last}: {:?}",
                    p.loaded,
                    &self.events[i.saturating_sub(6)..(i + 4).min(self.events.len())]
                );
                assert!(p.loaded <= p.total);
                last = p.loaded;
                total = Some(p.total);
            }
        }
        if self.up.result().is_some() {
            assert_eq!(Some(last), total, "final progress is the total");
        }
    }

    /// Asserts the server assembled exactly the source (MD5 of the assembled ranges).
    pub fn check_content(&mut self) {
        let ranges = self.server.assembled().expect("server assembled the file");
        let got = self.src.md5_of_ranges(&ranges);
        let want = self.src.md5(&(0..self.src.size));
        assert_eq!(got, want, "assembled content differs from the source");
    }

    /// Asserts nothing the server acknowledged (in a reply the engine got) was sent again.
    #[allow(dead_code)] // not every test binary uses it
    pub fn check_no_resend(&self) {
        servers::assert_no_resend(&self.sent, self.server.acks(), |id, at| {
            self.delivered.get(&id).is_some_and(|t| *t < at)
        });
    }

    /// Number of requests sent of a kind matching `f`.
    #[allow(dead_code)] // not every test binary uses it
    pub fn count(&self, f: impl Fn(&Request) -> bool) -> usize {
        self.sent.iter().filter(|s| f(&s.req)).count()
    }

    #[allow(dead_code)] // not every test binary uses it
    pub fn states(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::StateChanged { state } => Some(state.name().to_string()),
                _ => None,
            })
            .collect()
    }
}

/// The id of the credentials call a new upload starts with (its first task).
#[allow(dead_code)] // not every test binary uses it
pub fn credentials_call(up: &mut Upload) -> RequestId {
    match up.poll_task() {
        Some(Task::Credentials { id, .. }) => id,
        other => panic!("credentials are asked first, not {other:?}"),
    }
}

/// Whether body `b` is a source range.
#[allow(dead_code)] // not every test binary uses it
pub fn is_data(r: &Request) -> bool {
    !matches!(r.body, Body::Empty | Body::Json(_))
}
