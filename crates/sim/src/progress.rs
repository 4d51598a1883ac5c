//! Form upload progress: shared counters updated while the body streams, served as JSON-P by
//! `GET /progress?token=&callback=`.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::records::Progress;
use crate::state::AppState;

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
