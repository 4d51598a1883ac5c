//! Form upload progress: shared counters updated while the body streams, served as JSON-P by
//! `GET /progress?token=&callback=`.

use std::sync::atomic::{AtomicU16, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::state::AppState;

const STARTING: u8 = 0;
const UPLOADING: u8 = 1;
const DONE: u8 = 2;
const ERROR: u8 = 3;

/// Progress of the form upload of one token.
#[derive(Debug, Default)]
pub struct Progress {
    state: AtomicU8,
    received: AtomicU64,
    size: AtomicU64,
    status: AtomicU16,
}

impl Progress {
    /// A POST started with `size` bytes announced.
    pub fn start(&self, size: u64) {
        self.received.store(0, Ordering::SeqCst);
        self.size.store(size, Ordering::SeqCst);
        self.state.store(UPLOADING, Ordering::SeqCst);
    }

    /// `n` more bytes arrived.
    pub fn add(&self, n: u64) {
        self.received.fetch_add(n, Ordering::SeqCst);
    }

    /// The upload succeeded.
    pub fn done(&self) {
        self.state.store(DONE, Ordering::SeqCst);
    }

    /// The upload failed with `status`.
    pub fn error(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
        self.state.store(ERROR, Ordering::SeqCst);
    }

    fn to_json(&self) -> Value {
        match self.state.load(Ordering::SeqCst) {
            STARTING => json!({"state":"starting"}),
            UPLOADING => {
                json!({"state":"uploading","received":self.received.load(Ordering::SeqCst),"size":self.size.load(Ordering::SeqCst)})
            }
            DONE => json!({"state":"done"}),
            _ => json!({"state":"error","status":self.status.load(Ordering::SeqCst)}),
        }
    }
}

/// The progress record of `token` (created on first use).
pub fn for_token(state: &AppState, token: &str) -> Arc<Progress> {
    state
        .db()
        .progress
        .entry(token.to_string())
        .or_default()
        .clone()
}

#[derive(Deserialize)]
pub struct ProgressQuery {
    token: Option<String>,
    callback: Option<String>,
}

/// `GET /progress?token=T&callback=cb` → `cb({...})`.
pub async fn progress(State(state): State<AppState>, Query(q): Query<ProgressQuery>) -> Response {
    let value = {
        let db = state.db();
        let token = q.token.unwrap_or_default();
        match db.progress.get(&token) {
            Some(p) => p.to_json(),
            None if db.by_token.contains_key(&token) => json!({"state":"starting"}),
            None => json!({"state":"error","status":404}),
        }
    };
    match q.callback {
        Some(cb) if !cb.is_empty() => {
            if !cb
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '$')
            {
                return (StatusCode::BAD_REQUEST, "invalid callback name").into_response();
            }
            (
                [(header::CONTENT_TYPE, "application/javascript")],
                format!("{cb}({value})"),
            )
                .into_response()
        }
        _ => (
            [(header::CONTENT_TYPE, "application/json")],
            value.to_string(),
        )
            .into_response(),
    }
}
