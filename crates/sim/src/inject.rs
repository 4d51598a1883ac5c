//! The fault middleware: applies the faults picked for a request around its handler (delay,
//! body throttled on its own or through a shared uplink, stalled body, injected status, RST,
//! FIN, lost reply) and sets handler flags.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::Value;

use crate::error::AppError;
use crate::faults::{classify, Fault, Flags};
use crate::net::{ConnHandle, KillMode};
use crate::records::LogEntry;
use crate::state::AppState;
use crate::uplink::Uplink;

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
                503 => "CallUnavailable",
                429 => "RateLimitExceeded",
                408 => "CallFailed",
                _ => "Internal",
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

/// Stops for `ms` (default forever) or until the client goes away; true when it went away.
async fn stall(ms: Option<u64>, conn: Option<&ConnHandle>) -> bool {
    let wait = async {
        match ms {
            Some(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
            None => std::future::pending::<()>().await,
        }
    };
    match conn {
        Some(c) => tokio::select! {
            _ = wait => false,
            _ = c.client_gone() => true,
        },
        None => {
            wait.await;
            false
        }
    }
}

/// Reply (logged, never delivered) for a stalled request whose client went away.
fn client_gone_reply() -> Response {
    let status = StatusCode::from_u16(499).unwrap_or(StatusCode::REQUEST_TIMEOUT);
    (status, "client closed the request during a stall").into_response()
}

const FIRED: u8 = 1;
const GONE: u8 = 2;

/// Wraps a body: throttles it and fires `terminal` once `after_bytes` are read (or at its end).
fn wrap_body(
    body: Body,
    bandwidth: Option<u64>,
    uplinks: Vec<Arc<Uplink>>,
    terminal: Option<Fault>,
    conn: Option<ConnHandle>,
    fired: Arc<AtomicU8>,
) -> Body {
    struct St {
        data: axum::body::BodyDataStream,
        read: u64,
        bw: Option<u64>,
        uplinks: Vec<Arc<Uplink>>,
        terminal: Option<Fault>,
        conn: Option<ConnHandle>,
        fired: Arc<AtomicU8>,
        failed: bool,
        pending: Option<bytes::Bytes>,
    }
    // Fires the terminal fault: returns Some(error) to end the body, None to go on (stall).
    async fn fire(st: &mut St) -> Option<std::io::Error> {
        let fault = st.terminal.take()?;
        st.fired.store(FIRED, Ordering::SeqCst);
        match fault {
            Fault::Stall { ms, .. } => {
                if stall(ms, st.conn.as_ref()).await {
                    st.fired.store(GONE, Ordering::SeqCst);
                    return Some(std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "client went away during a stall",
                    ));
                }
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
        uplinks,
        terminal,
        conn,
        fired,
        failed: false,
        pending: None,
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
        let next = match st.pending.take() {
            Some(rest) => Some(Ok(rest)),
            None => st.data.next().await,
        };
        match next {
            Some(Ok(mut chunk)) => {
                if let Some(at) = st.terminal.as_ref().and_then(Fault::after_bytes) {
                    let room = at.saturating_sub(st.read);
                    if (chunk.len() as u64) > room {
                        // Keep the rest for after the fault (a stall with `ms` goes on with it).
                        st.pending = Some(chunk.split_off(room as usize));
                    }
                }
                st.read += chunk.len() as u64;
                if let Some(bps) = st.bw {
                    let ms = (chunk.len() as u64).saturating_mul(1000) / bps;
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
                for link in &st.uplinks {
                    link.pass(chunk.len() as u64).await;
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
    for f in &picked.faults {
        match f {
            Fault::Delay { ms } => delay += ms,
            // A shared link: applied through `picked.uplinks`.
            Fault::Bandwidth { shared: true, .. } => {}
            Fault::Bandwidth { bytes_per_sec, .. } => {
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
        let names: Vec<&str> = picked.faults.iter().map(Fault::name).collect();
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
                if stall(*ms, conn.as_ref()).await {
                    return client_gone_reply();
                }
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
    let fired = Arc::new(AtomicU8::new(0));
    if bandwidth.is_some() || terminal.is_some() || !picked.uplinks.is_empty() {
        let (parts, body) = req.into_parts();
        let body = wrap_body(
            body,
            bandwidth,
            picked.uplinks,
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
            match fired.load(Ordering::SeqCst) {
                GONE => return client_gone_reply(),
                FIRED => {}
                _ => {
                    if stall(*ms, conn.as_ref()).await {
                        return client_gone_reply();
                    }
                }
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
