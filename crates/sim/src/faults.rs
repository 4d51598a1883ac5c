//! Fault injection: rules set through `/_sim/faults`, matched per target, applied by a middleware
//! that delays, throttles, stalls, resets, closes or answers an error status.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::admin::LogEntry;
use crate::error::AppError;
use crate::net::{ConnHandle, KillMode};
use crate::state::AppState;

/// What a rule does to a matching request.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer `status` (after reading `after_bytes`), with an optional `Retry-After`.
    Status {
        status: u16,
        #[serde(default)]
        retry_after: Option<Value>,
        #[serde(default)]
        after_bytes: u64,
    },
    /// Wait before handling.
    Delay { ms: u64 },
    /// Read the body no faster than this.
    Bandwidth { bytes_per_sec: u64 },
    /// Read `after_bytes`, then RST.
    Reset {
        #[serde(default)]
        after_bytes: u64,
    },
    /// Read `after_bytes`, then FIN without a reply.
    Close {
        #[serde(default)]
        after_bytes: u64,
    },
    /// Read `after_bytes`, then stop reading for `ms` (default: forever).
    Stall {
        #[serde(default)]
        after_bytes: u64,
        #[serde(default)]
        ms: Option<u64>,
    },
    /// Treat the link or token as expired.
    Expire,
    /// Store the body, then drop the connection without a reply.
    LoseReply,
    /// (resumable) discard the chunk, answer truthfully.
    DropBody,
    /// (resumable) store the chunk, answer the `Range` of before it.
    StaleRange,
    /// (part, s3) answer an `ETag` that is not the MD5.
    WrongEtag,
}

impl Fault {
    fn name(&self) -> &'static str {
        match self {
            Fault::Status { .. } => "status",
            Fault::Delay { .. } => "delay",
            Fault::Bandwidth { .. } => "bandwidth",
            Fault::Reset { .. } => "reset",
            Fault::Close { .. } => "close",
            Fault::Stall { .. } => "stall",
            Fault::Expire => "expire",
            Fault::LoseReply => "lose_reply",
            Fault::DropBody => "drop_body",
            Fault::StaleRange => "stale_range",
            Fault::WrongEtag => "wrong_etag",
        }
    }

    fn after_bytes(&self) -> Option<u64> {
        match self {
            Fault::Status { after_bytes, .. }
            | Fault::Reset { after_bytes }
            | Fault::Close { after_bytes }
            | Fault::Stall { after_bytes, .. } => Some(*after_bytes),
            _ => None,
        }
    }
}

/// One rule as posted to `/_sim/faults`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Rule {
    /// s3, form, resumable, part, parts_list, complete, v1_api, v2_api, progress, media, any.
    pub target: String,
    /// Fire from the n-th matching request on (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u64>,
    /// Fire with this probability (seeded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Fire at most this often (default 1 with `nth`, unlimited with `probability`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// The fault.
    pub fault: Fault,
}

/// Body of `POST /_sim/faults`.
#[derive(Debug, Deserialize)]
pub struct RuleSet {
    /// Rules, all evaluated for every request.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// RNG seed for probabilities.
    #[serde(default)]
    pub seed: u64,
}

struct Armed {
    rule: Rule,
    seen: u64,
    fired: u64,
}

struct Inner {
    rules: Vec<Armed>,
    rng: StdRng,
    seed: u64,
}

/// The active fault rules and their counters.
pub struct Faults(Mutex<Inner>);

impl Default for Faults {
    fn default() -> Self {
        Faults(Mutex::new(Inner {
            rules: Vec::new(),
            rng: StdRng::seed_from_u64(0),
            seed: 0,
        }))
    }
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the rules.
    pub fn set(&self, set: RuleSet) {
        let mut g = self.lock();
        g.rules = set
            .rules
            .into_iter()
            .map(|rule| Armed {
                rule,
                seen: 0,
                fired: 0,
            })
            .collect();
        g.rng = StdRng::seed_from_u64(set.seed);
        g.seed = set.seed;
    }

    /// Rules with their counters.
    pub fn snapshot(&self) -> Value {
        let g = self.lock();
        let rules: Vec<Value> = g
            .rules
            .iter()
            .map(|a| json!({"rule": a.rule, "seen": a.seen, "fired": a.fired}))
            .collect();
        json!({"seed": g.seed, "rules": rules})
    }

    /// Faults firing for one request to `target`.
    pub fn pick(&self, target: &str) -> Vec<Fault> {
        let mut g = self.lock();
        let Inner { rules, rng, .. } = &mut *g;
        let mut out = Vec::new();
        for a in rules.iter_mut() {
            if a.rule.target != target && a.rule.target != "any" {
                continue;
            }
            a.seen += 1;
            let fire = match (a.rule.probability, a.rule.nth) {
                (Some(p), _) => {
                    let limit = a.rule.times.unwrap_or(u64::MAX);
                    a.fired < limit
                        && a.seen >= a.rule.nth.unwrap_or(1)
                        && rng.gen_bool(p.clamp(0.0, 1.0))
                }
                (None, nth) => {
                    let limit = a.rule.times.unwrap_or(1);
                    a.fired < limit && a.seen >= nth.unwrap_or(1)
                }
            };
            if fire {
                a.fired += 1;
                out.push(a.rule.fault.clone());
            }
        }
        out
    }
}

/// Per-request flags a handler honours (set by the middleware).
#[derive(Clone, Debug, Default)]
pub struct Flags {
    /// Treat link/token as expired.
    pub expire: bool,
    /// Discard the resumable chunk.
    pub drop_body: bool,
    /// Answer the resumable `Range` of before the chunk.
    pub stale_range: bool,
    /// Answer a wrong `ETag`.
    pub wrong_etag: bool,
}

/// The fault target of a request.
pub fn classify(method: &Method, path: &str) -> &'static str {
    if path.starts_with("/_sim/") {
        return "admin";
    }
    if method == Method::OPTIONS {
        return "preflight";
    }
    let seg: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match seg.as_slice() {
        ["v1", "videos", "upload", "resumable"] => "resumable",
        ["v1", .., "upload"] => "form",
        ["v1" | "v2", "uploads", _, "complete"] => "complete",
        ["v2", "uploads", _, "parts"] => "parts_list",
        ["v2", "uploads", _, "parts", _] => "part",
        ["v1", ..] => "v1_api",
        ["v2", "sites", _, "media", _] => "media",
        ["v2", ..] => "v2_api",
        ["progress"] => "progress",
        [_, _] if method == Method::PUT => "s3",
        _ => "other",
    }
}

/// Platform-shaped error reply for an injected status.
fn status_reply(target: &str, status: u16, retry_after: Option<String>) -> Response {
    let st = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let msg = format!("injected fault: HTTP {status}");
    let err = match target {
        "s3" | "part" => {
            let code = match status {
                503 | 429 => "SlowDown",
                408 => "RequestTimeout",
                _ => "InternalError",
            };
            AppError::s3(st, code, msg)
        }
        "v2_api" | "media" | "parts_list" | "complete" => {
            let code = match status {
                503 => "service_unavailable",
                429 => "too_many_requests",
                408 => "request_timeout",
                _ => "internal_error",
            };
            AppError::v2(st, code, msg)
        }
        _ => {
            let code = match status {
                503 => "ServiceUnavailable",
                429 => "RateLimitExceeded",
                408 => "RequestTimeout",
                _ => "InternalError",
            };
            AppError::v1(st, code, msg)
        }
    };
    err.with_retry_after(retry_after).into_response()
}

fn retry_after_string(v: &Option<Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// Applies a terminal fault (status, reset, close) now; `None` for the others.
fn terminal_reply(target: &str, fault: &Fault, conn: Option<&ConnHandle>) -> Option<Response> {
    match fault {
        Fault::Status {
            status,
            retry_after,
            ..
        } => Some(status_reply(
            target,
            *status,
            retry_after_string(retry_after),
        )),
        Fault::Reset { .. } | Fault::Close { .. } => {
            let mode = if matches!(fault, Fault::Reset { .. }) {
                KillMode::Reset
            } else {
                KillMode::Close
            };
            if let Some(c) = conn {
                c.kill(mode);
            }
            // Never written when a connection handle is present: the socket is gone.
            Some(
                (
                    StatusCode::BAD_GATEWAY,
                    [("connection", "close")],
                    "connection killed",
                )
                    .into_response(),
            )
        }
        _ => None,
    }
}

async fn stall(ms: Option<u64>) {
    match ms {
        Some(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
        None => std::future::pending::<()>().await,
    }
}

/// Wraps a body: throttles it and fires `terminal` once `after_bytes` are read (or at its end).
fn wrap_body(
    body: Body,
    bandwidth: Option<u64>,
    terminal: Option<Fault>,
    conn: Option<ConnHandle>,
    fired: Arc<AtomicBool>,
) -> Body {
    struct St {
        data: axum::body::BodyDataStream,
        read: u64,
        bw: Option<u64>,
        terminal: Option<Fault>,
        conn: Option<ConnHandle>,
        fired: Arc<AtomicBool>,
        failed: bool,
    }
    // Fires the terminal fault: returns Some(error) to end the body, None to go on (stall).
    async fn fire(st: &mut St) -> Option<std::io::Error> {
        let fault = st.terminal.take()?;
        st.fired.store(true, Ordering::SeqCst);
        match fault {
            Fault::Stall { ms, .. } => {
                stall(ms).await;
                None
            }
            Fault::Reset { .. } => {
                if let Some(c) = &st.conn {
                    c.kill(KillMode::Reset);
                }
                Some(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected reset",
                ))
            }
            Fault::Close { .. } => {
                if let Some(c) = &st.conn {
                    c.kill(KillMode::Close);
                }
                Some(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "injected close",
                ))
            }
            _ => {
                // An injected status: read and discard the rest so the client sees the reply.
                while let Some(Ok(_)) = st.data.next().await {}
                Some(std::io::Error::other("injected status"))
            }
        }
    }
    let st = St {
        data: body.into_data_stream(),
        read: 0,
        bw: bandwidth.filter(|b| *b > 0),
        terminal,
        conn,
        fired,
        failed: false,
    };
    let stream = futures_util::stream::unfold(st, |mut st| async move {
        if st.failed {
            return None;
        }
        let at = st.terminal.as_ref().and_then(Fault::after_bytes);
        if at.is_some_and(|at| st.read >= at) {
            if let Some(e) = fire(&mut st).await {
                st.failed = true;
                return Some((Err(e), st));
            }
        }
        match st.data.next().await {
            Some(Ok(mut chunk)) => {
                if let Some(at) = st.terminal.as_ref().and_then(Fault::after_bytes) {
                    let room = at.saturating_sub(st.read);
                    if (chunk.len() as u64) > room {
                        chunk.truncate(room as usize);
                    }
                }
                st.read += chunk.len() as u64;
                if let Some(bps) = st.bw {
                    let ms = (chunk.len() as u64).saturating_mul(1000) / bps;
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
                Some((Ok(chunk), st))
            }
            Some(Err(e)) => {
                st.failed = true;
                Some((Err(std::io::Error::other(e)), st))
            }
            None => {
                // Body ended before `after_bytes`: the fault fires at its end.
                if st.terminal.is_some() {
                    if let Some(e) = fire(&mut st).await {
                        st.failed = true;
                        return Some((Err(e), st));
                    }
                }
                None
            }
        }
    });
    Body::from_stream(stream)
}

/// Middleware: picks the faults for this request and applies them around the handler.
pub async fn middleware(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let target = classify(req.method(), req.uri().path());
    if target == "admin" || target == "preflight" {
        return next.run(req).await;
    }
    let picked = state.faults.pick(target);
    let mut flags = Flags::default();
    let mut delay = 0u64;
    let mut bandwidth: Option<u64> = None;
    let mut terminal: Option<Fault> = None;
    let mut lose_reply = false;
    for f in &picked {
        match f {
            Fault::Delay { ms } => delay += ms,
            Fault::Bandwidth { bytes_per_sec } => {
                bandwidth = Some(bandwidth.map_or(*bytes_per_sec, |b| b.min(*bytes_per_sec)))
            }
            Fault::Expire => flags.expire = true,
            Fault::DropBody => flags.drop_body = true,
            Fault::StaleRange => flags.stale_range = true,
            Fault::WrongEtag => flags.wrong_etag = true,
            Fault::LoseReply => lose_reply = true,
            t => {
                if terminal.is_none() {
                    terminal = Some(t.clone());
                }
            }
        }
    }
    if let Some(entry) = req.extensions().get::<Arc<LogEntry>>() {
        let names: Vec<&str> = picked.iter().map(Fault::name).collect();
        if !names.is_empty() {
            entry.set_fault(names.join(","));
        }
    }
    req.extensions_mut().insert(flags);
    let conn = req.extensions().get::<ConnHandle>().cloned();
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if let Some(t) = &terminal {
        if t.after_bytes() == Some(0) {
            if let Fault::Stall { ms, .. } = t {
                stall(*ms).await;
                terminal = None;
            } else {
                if matches!(t, Fault::Status { .. }) {
                    // Read and discard the body first so the client gets to see the status.
                    let mut data = std::mem::take(req.body_mut()).into_data_stream();
                    while let Some(Ok(_)) = data.next().await {}
                }
                if let Some(resp) = terminal_reply(target, t, conn.as_ref()) {
                    return resp;
                }
            }
        }
    }
    let fired = Arc::new(AtomicBool::new(false));
    if bandwidth.is_some() || terminal.is_some() {
        let (parts, body) = req.into_parts();
        let body = wrap_body(
            body,
            bandwidth,
            terminal.clone(),
            conn.clone(),
            fired.clone(),
        );
        req = Request::from_parts(parts, body);
    }
    let resp = next.run(req).await;
    if let Some(t) = &terminal {
        // Fired in the body, or never reached because the handler did not read it: apply now.
        if let Fault::Stall { ms, .. } = t {
            if !fired.load(Ordering::SeqCst) {
                stall(*ms).await;
            }
        } else if let Some(r) = terminal_reply(target, t, conn.as_ref()) {
            return r;
        }
    }
    if lose_reply {
        if let Some(c) = &conn {
            c.kill(KillMode::Close);
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_targets() {
        let put = Method::PUT;
        let post = Method::POST;
        assert_eq!(classify(&post, "/v1/videos/upload/resumable"), "resumable");
        assert_eq!(classify(&post, "/v1/accounts/images/upload"), "form");
        assert_eq!(classify(&post, "/v1/videos/create"), "v1_api");
        assert_eq!(classify(&put, "/v1/uploads/x/complete"), "complete");
        assert_eq!(classify(&put, "/v2/uploads/x/parts/3"), "part");
        assert_eq!(classify(&Method::GET, "/v2/uploads/x/parts"), "parts_list");
        assert_eq!(classify(&post, "/v2/sites/s/media"), "v2_api");
        assert_eq!(classify(&Method::GET, "/v2/sites/s/media/m"), "media");
        assert_eq!(classify(&put, "/jwplatform-upload/k"), "s3");
    }

    #[test]
    fn nth_and_times() {
        let f = Faults::default();
        f.set(RuleSet {
            rules: vec![Rule {
                target: "s3".into(),
                nth: Some(2),
                probability: None,
                times: Some(2),
                fault: Fault::Expire,
            }],
            seed: 1,
        });
        let fired: Vec<bool> = (0..5).map(|_| !f.pick("s3").is_empty()).collect();
        assert_eq!(fired, vec![false, true, true, false, false]);
        assert!(f.pick("form").is_empty());
    }
}
