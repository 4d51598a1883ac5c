//! Form upload progress: shared counters updated while the body streams (of the file: its
//! span in the form body), served as JSON-P by `GET /progress?token=&callback=`.

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

/// Finds where the `file` field's bytes start in a form body as it streams, and from there
/// counts them for `/progress`: `size` = the body's length less everything before the file
/// and the closing boundary after it (exact when the file is the last field, as browsers and
/// the docs' curl send it).
pub struct FileSpan {
    delimiter: Vec<u8>,
    length: u64,
    head: Vec<u8>,
    read: u64,
    start: Option<u64>,
}

impl FileSpan {
    /// The part headers a client sends before a file: far less than this.
    const MAX_HEAD: usize = 1 << 20;

    /// For a body of `length` bytes (0: unknown) with this multipart `boundary`.
    pub fn new(boundary: &[u8], length: u64) -> FileSpan {
        let mut delimiter = b"--".to_vec();
        delimiter.extend_from_slice(boundary);
        FileSpan {
            delimiter,
            length,
            head: Vec::new(),
            read: 0,
            start: None,
        }
    }

    /// Sees the next body chunk; counts the file's bytes into `progress`.
    pub fn feed(&mut self, chunk: &[u8], progress: &Progress) {
        self.read += chunk.len() as u64;
        if self.start.is_some() {
            progress.add(chunk.len() as u64);
            return;
        }
        if self.head.len() >= Self::MAX_HEAD {
            return;
        }
        self.head.extend_from_slice(chunk);
        if let Some(start) = self.file_start() {
            self.start = Some(start);
            let closing = self.delimiter.len() as u64 + 6; // "\r\n" + delimiter + "--\r\n"
            if self.length > 0 {
                progress.set_size(self.length.saturating_sub(start + closing));
            }
            progress.add(self.read.saturating_sub(start));
            self.head = Vec::new();
        }
    }

    /// Offset of the first byte of the `file` field, once its headers are all in `head`.
    fn file_start(&self) -> Option<u64> {
        let h = &self.head;
        let mut at = 0;
        loop {
            at += find(&h[at..], &self.delimiter)? + self.delimiter.len();
            let headers_end = at + find(&h[at..], b"\r\n\r\n")?;
            let headers = String::from_utf8_lossy(&h[at..headers_end]).to_ascii_lowercase();
            at = headers_end + 4;
            let names_file = headers.lines().any(|l| {
                l.trim_start().starts_with("content-disposition:")
                    && l.split(';').any(|p| p.trim() == "name=\"file\"")
            });
            if names_file {
                return Some(at as u64);
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(fields: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = Vec::new();
        for (name, data) in fields {
            b.extend_from_slice(b"--BND\r\n");
            let head = format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{name}.bin\"\r\n\r\n"
            );
            b.extend_from_slice(head.as_bytes());
            b.extend_from_slice(data);
            b.extend_from_slice(b"\r\n");
        }
        b.extend_from_slice(b"--BND--\r\n");
        b
    }

    /// Feeds `b` in `step`-byte chunks; returns the progress JSON after each.
    fn feed(b: &[u8], step: usize, length: u64) -> Vec<serde_json::Value> {
        let p = Progress::default();
        p.start(length);
        let mut span = FileSpan::new(b"BND", length);
        b.chunks(step)
            .map(|c| {
                span.feed(c, &p);
                p.to_json()
            })
            .collect()
    }

    #[test]
    fn size_and_received_are_the_files_at_any_chunking() {
        let file = vec![7u8; 10_000];
        // A field named "notfile" before the file (its name only contains "file").
        let b = body(&[("notfile", b"x".as_slice()), ("file", &file)]);
        for step in [1, 7, 100, 4096, b.len()] {
            let seen = feed(&b, step, b.len() as u64);
            let last = seen.last().cloned().unwrap_or_default();
            assert_eq!(last["size"], 10_000, "step {step}: {last}");
            assert_eq!(last["received"], 10_000, "step {step}: {last}");
            assert!(
                seen.windows(2)
                    .all(|w| w[0]["received"].as_u64() <= w[1]["received"].as_u64()),
                "step {step}"
            );
        }
    }

    #[test]
    fn an_unknown_length_counts_the_body() {
        let b = body(&[("file", &[1u8; 500])]);
        let last = feed(&b, 64, 0).pop().unwrap_or_default();
        assert_eq!(last["size"], 0);
        assert_eq!(last["received"], 500 + "\r\n--BND--\r\n".len());
    }
}
