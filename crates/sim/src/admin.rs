//! Admin endpoints under `/_sim/` (media, log, clock, faults) and the request-log middleware.

use crate::state::Resource;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::AppError;
use crate::faults::{classify, RuleSet};
use crate::net::ConnHandle;
use crate::records::LogEntry;
use crate::state::AppState;

/// Outermost middleware: logs every non-admin request (preflights included) and counts the body
/// bytes actually read.
pub async fn log_middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let target = classify(req.method(), &path);
    if target == "admin" {
        return next.run(req).await;
    }
    let range = ["x-content-range", "range"]
        .iter()
        .find_map(|h| req.headers().get(*h))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let entry = state.log.push(LogEntry {
        seq: state.log.seq.fetch_add(1, Ordering::SeqCst) + 1,
        method: req.method().to_string(),
        path,
        target,
        range,
        at_ms: state.started.elapsed().as_millis() as u64,
        status: AtomicU16::new(0),
        bytes_in: AtomicU64::new(0),
        first_byte_ms: AtomicU64::new(0),
        fault: Mutex::new(None),
    });
    let (mut parts, body) = req.into_parts();
    parts.extensions.insert(entry.clone());
    let counter = entry.clone();
    let body = Body::from_stream(body.into_data_stream().map(move |r| {
        if let Ok(b) = &r {
            if !b.is_empty() && counter.first_byte_ms.load(Ordering::SeqCst) == 0 {
                counter
                    .first_byte_ms
                    .store(crate::clock::Clock::unix_ms(), Ordering::SeqCst);
            }
            counter.bytes_in.fetch_add(b.len() as u64, Ordering::SeqCst);
        }
        r
    }));
    let killed = parts.extensions.get::<ConnHandle>().cloned();
    // If hyper drops this request (its client went away), the entry says 499.
    let mut guard = DropGuard(Some(entry.clone()), killed.clone());
    let resp = next.run(Request::from_parts(parts, body)).await;
    guard.0 = None;
    let status = if killed.is_some_and(|k| k.is_killed()) {
        0
    } else {
        resp.status().as_u16()
    };
    entry.status.store(status, Ordering::SeqCst);
    resp
}

/// Marks a log entry 499 ("client closed request") when its request future is dropped, unless a
/// fault killed the connection (then the status stays null).
struct DropGuard(Option<Arc<LogEntry>>, Option<ConnHandle>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        if self.1.as_ref().is_some_and(ConnHandle::is_killed) {
            return;
        }
        if let Some(e) = self.0.take() {
            let _ = e
                .status
                .compare_exchange(0, 499, Ordering::SeqCst, Ordering::SeqCst);
        }
    }
}

/// Whether `host` (a `Host` header or an origin's host) names this machine.
fn loopback_name(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `/_sim/*` for loopback callers only: the `Host` must be a loopback name (no DNS rebinding)
/// and an `Origin`, if sent, must be the simulator's own; `--open-admin` lifts both (the demo).
async fn admin_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !state.config().open_admin {
        let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
        let host_ok = header(axum::http::header::HOST).is_none_or(loopback_name);
        let origin_ok = header(axum::http::header::ORIGIN).is_none_or(|origin| {
            let own = format!("http://{}", state.link_address());
            origin.eq_ignore_ascii_case(&own)
                || header(axum::http::header::HOST).is_some_and(|h| {
                    loopback_name(h) && origin.eq_ignore_ascii_case(&format!("http://{h}"))
                })
        });
        if !(host_ok && origin_ok) {
            return AppError::Plain {
                status: StatusCode::FORBIDDEN,
                message: "the /_sim admin endpoints answer only this machine's own pages; \
                          start the simulator with --open-admin to open them"
                    .into(),
            }
            .into_response();
        }
    }
    next.run(req).await
}

/// `/_sim/*` routes.
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/_sim/media/{key}", get(media))
        .route("/_sim/log", get(get_log).delete(clear_log))
        .route("/_sim/clock", post(advance_clock).get(get_clock))
        .route(
            "/_sim/faults",
            post(set_faults).get(get_faults).delete(clear_faults),
        )
        .route_layer(axum::middleware::from_fn_with_state(state, admin_guard))
}

#[derive(Deserialize)]
struct MediaQuery {
    #[serde(default)]
    verify: bool,
    /// `thumbnail`, `track`, `image`, `skin`: which object a shared key means.
    resource: Option<String>,
}

/// `GET /_sim/media/{key}[?verify=true][&resource=thumbnail]`: with `verify`, also `disk_md5`,
/// re-read from disk; `resource` picks the object when keys are shared (a thumbnail's is its
/// video's).
async fn media(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<MediaQuery>,
) -> Result<Response, AppError> {
    let resource = match q.resource.as_deref() {
        Some("thumbnail") => Some(Resource::Thumbnail),
        Some("track") => Some(Resource::Track),
        Some("image") => Some(Resource::Image),
        Some("skin") => Some(Resource::Skin),
        _ => None,
    };
    let (mut v, paths) =
        crate::media::admin_view(&state, &key, resource).ok_or_else(|| AppError::Plain {
            status: StatusCode::NOT_FOUND,
            message: format!("no media {key}"),
        })?;
    if q.verify {
        let disk = match paths {
            Some(p) => Value::String(crate::store::md5_files(&p).await?.1),
            None => Value::Null,
        };
        if let Some(o) = v.as_object_mut() {
            o.insert("disk_md5".into(), disk);
        }
    }
    Ok(Json(v).into_response())
}

async fn get_log(State(state): State<AppState>) -> Json<Value> {
    let entries: Vec<Value> = state
        .log
        .entries
        .lock()
        .map(|g| g.iter().map(|e| e.to_json()).collect())
        .unwrap_or_default();
    Json(Value::Array(entries))
}

async fn clear_log(State(state): State<AppState>) -> StatusCode {
    if let Ok(mut g) = state.log.entries.lock() {
        g.clear();
    }
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Advance {
    advance_secs: i64,
}

fn clock_json(state: &AppState) -> Value {
    json!({"now": state.clock.now_secs(), "now_ms": state.clock.now_ms(), "offset_secs": state.clock.offset_secs()})
}

async fn advance_clock(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let a: Advance = serde_json::from_slice(&body)
        .map_err(|e| AppError::bad_request(format!("bad clock body: {e}")))?;
    state.clock.advance_secs(a.advance_secs);
    Ok(Json(clock_json(&state)))
}

async fn get_clock(State(state): State<AppState>) -> Json<Value> {
    Json(clock_json(&state))
}

async fn set_faults(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let set: RuleSet = serde_json::from_slice(&body)
        .map_err(|e| AppError::bad_request(format!("bad fault rules: {e}")))?;
    state.faults.set(set);
    Ok(Json(state.faults.snapshot()))
}

async fn get_faults(State(state): State<AppState>) -> Json<Value> {
    Json(state.faults.snapshot())
}

async fn clear_faults(State(state): State<AppState>) -> StatusCode {
    state.faults.set(RuleSet {
        rules: Vec::new(),
        seed: 0,
    });
    StatusCode::NO_CONTENT
}
