//! Events for the UI: the start, state changes, progress, part completion, stalls, the result,
//! processing status, errors. (What the driver must do comes apart, as `io::Task`s.)

use crate::error::UploadError;
use crate::io::{RequestId, RequestKind};
use crate::method::Method;
use crate::progress::Progress;
use crate::reply::MediaStatus;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;
use std::time::Duration;

/// Why the engine is retrying.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum RetryReason {
    /// The network failed (reset, closed, refused, offline).
    Network,
    /// The driver's timeout fired.
    Timeout,
    /// No progress for the stall timeout: the engine aborted the request.
    Stalled,
    /// The server answered a retryable status (408, 429, 5xx).
    Status {
        /// HTTP status.
        status: u16,
    },
    /// The server answered but acknowledged nothing new (stale or duplicate `Range`).
    NoProgress,
    /// A signed part link expired: re-listed for a fresh one.
    LinkExpired,
}

impl fmt::Display for RetryReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryReason::Network => f.write_str("network error"),
            RetryReason::Timeout => f.write_str("timeout"),
            RetryReason::Stalled => f.write_str("stalled"),
            RetryReason::Status { status } => write!(f, "HTTP {status}"),
            RetryReason::NoProgress => f.write_str("no progress"),
            RetryReason::LinkExpired => f.write_str("link expired"),
        }
    }
}

/// The upload's state, as the UI shows it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum State {
    /// Waiting for credentials from the driver.
    Waiting,
    /// Sending.
    Uploading,
    /// Paused by the user.
    Paused,
    /// The driver said the browser is offline.
    Offline,
    /// Waiting before trying again.
    Retrying {
        /// Failures in a row without progress.
        attempt: u32,
        /// The pause, shared by all requests of the upload.
        #[serde(with = "crate::time::ms")]
        delay: Duration,
        /// Why.
        reason: RetryReason,
    },
    /// Bytes sent; waiting for digests to check what the server stored.
    Verifying,
    /// Completing (multipart `complete`).
    Completing,
    /// Bytes accepted; following the media's processing.
    Processing,
    /// Finished (and ready, when following processing).
    Done,
    /// Failed or cancelled: see the `Error` event.
    Failed,
}

impl State {
    /// The snake_case name (`uploading`, `retrying`...).
    pub fn name(&self) -> &'static str {
        match self {
            State::Waiting => "waiting",
            State::Uploading => "uploading",
            State::Paused => "paused",
            State::Offline => "offline",
            State::Retrying { .. } => "retrying",
            State::Verifying => "verifying",
            State::Completing => "completing",
            State::Processing => "processing",
            State::Done => "done",
            State::Failed => "failed",
        }
    }

    /// Whether nothing more will happen.
    pub fn is_terminal(&self) -> bool {
        matches!(self, State::Done | State::Failed)
    }
}

/// The result of a finished upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadResult {
    /// Media (or image, skin, track...) key.
    pub media_id: String,
    /// Bytes uploaded (`None` for fetch).
    pub size: Option<u64>,
    /// MD5 hex of the file, when known (from the server or the driver's digest).
    pub md5: Option<String>,
    /// How it went.
    pub method: Method,
}

/// Something the UI should know. The driver's own work comes apart, as [`Task`](crate::Task)s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Event {
    /// The state changed.
    StateChanged {
        /// The new state.
        state: State,
    },
    /// Progress changed.
    Progress(Progress),
    /// The upload started (or was restored) with this method: the first event.
    Started {
        /// The method the engine chose.
        method: Method,
    },
    /// A multipart part is stored (and verified when its digest is known).
    PartComplete {
        /// Part number.
        part: u32,
        /// Its bytes.
        range: Range<u64>,
        /// ETag the server gave.
        etag: Option<String>,
    },
    /// A request made no progress for its stall timeout; the engine aborted it and will retry.
    Stalled {
        /// The request.
        id: RequestId,
        /// What it was.
        kind: RequestKind,
    },
    /// All bytes are in: the upload succeeded (processing may follow).
    Finished(UploadResult),
    /// The media is processing (one per status poll).
    Processing(MediaStatus),
    /// The media is ready.
    Ready(MediaStatus),
    /// The upload failed (state `Failed`), or processing failed.
    Error(UploadError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(e: &Event) -> String {
        serde_json::to_string(e).unwrap_or_default()
    }

    #[test]
    fn event_json_shapes_are_stable() {
        let retrying = Event::StateChanged {
            state: State::Retrying {
                attempt: 2,
                delay: Duration::from_millis(1500),
                reason: RetryReason::Status { status: 503 },
            },
        };
        assert_eq!(
            json(&retrying),
            r#"{"type":"state_changed","state":{"state":"retrying","attempt":2,"delay":1500,"reason":{"reason":"status","status":503}}}"#
        );
        let p = Event::Progress(Progress {
            loaded: 5,
            total: 10,
            sent: 7,
            bytes_per_second: Some(2.0),
            eta: Some(Duration::from_millis(2500)),
        });
        assert_eq!(
            json(&p),
            r#"{"type":"progress","loaded":5,"total":10,"sent":7,"bytes_per_second":2.0,"eta":2500}"#
        );
        let started = Event::Started {
            method: Method::Multipart,
        };
        assert_eq!(json(&started), r#"{"type":"started","method":"multipart"}"#);
        let task = crate::Task::Digest { range: 0..9 };
        assert_eq!(
            serde_json::to_string(&task).unwrap_or_default(),
            r#"{"task":"digest","range":{"start":0,"end":9}}"#
        );
        let err = Event::Error(UploadError::cancelled());
        assert!(json(&err).starts_with(r#"{"type":"error","code":"cancelled","message":"#));
        let fin = Event::Finished(UploadResult {
            media_id: "K".into(),
            size: Some(3),
            md5: None,
            method: Method::S3,
        });
        assert_eq!(
            json(&fin),
            r#"{"type":"finished","media_id":"K","size":3,"md5":null,"method":"s3"}"#
        );
    }
}
