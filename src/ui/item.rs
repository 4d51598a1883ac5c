//! One row of the queue: a file (or a URL to import) and its reactive state.

use jw_upload_core::link::Resource;
use jw_upload_core::{Method, State};
use leptos::prelude::*;

/// Where an item is, in the words the row shows (see `Phase::label_key`).
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// Waiting for a free slot (the `parallel-files` limit).
    Queued,
    /// Asking the backend for credentials.
    Waiting,
    /// Sending bytes.
    Uploading,
    /// Paused by the user.
    Paused,
    /// The browser is offline; it goes on when it is back.
    Offline,
    /// Trying again at this `performance.now()` time.
    Retrying {
        /// When, in ms since the page loaded.
        at_ms: f64,
    },
    /// Checking what the server stored.
    Verifying,
    /// Completing (multipart).
    Completing,
    /// The platform is processing the media.
    Processing,
    /// Processing finished: the media is ready.
    Ready,
    /// All bytes are in (processing not followed).
    Uploaded,
    /// Cancelled by the user.
    Cancelled,
    /// Failed, with the reason in plain words.
    Failed(String),
}

impl Phase {
    /// The phase for an engine state (`Done` is `Ready` when processing was followed).
    pub fn from_state(state: &State, following: bool, now_ms: f64) -> Phase {
        match state {
            State::Waiting => Phase::Waiting,
            State::Uploading => Phase::Uploading,
            State::Paused => Phase::Paused,
            State::Offline => Phase::Offline,
            State::Retrying { delay, .. } => Phase::Retrying {
                at_ms: now_ms + delay.as_millis() as f64,
            },
            State::Verifying => Phase::Verifying,
            State::Completing => Phase::Completing,
            State::Processing => Phase::Processing,
            State::Done if following => Phase::Ready,
            State::Done => Phase::Uploaded,
            State::Failed => Phase::Failed(String::new()),
        }
    }

    /// Holds one of the `parallel-files` slots (sending bytes, or about to).
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            Phase::Waiting
                | Phase::Uploading
                | Phase::Offline
                | Phase::Retrying { .. }
                | Phase::Verifying
                | Phase::Completing
        )
    }

    /// Nothing more will happen.
    pub fn is_over(&self) -> bool {
        matches!(
            self,
            Phase::Ready | Phase::Uploaded | Phase::Cancelled | Phase::Failed(_)
        )
    }

    /// Succeeded (the bytes are in, or the media is ready).
    pub fn is_success(&self) -> bool {
        matches!(self, Phase::Ready | Phase::Uploaded | Phase::Processing)
    }

    /// A stable name for styling and tests (`data-state`).
    pub fn name(&self) -> &'static str {
        match self {
            Phase::Queued => "queued",
            Phase::Waiting => "waiting",
            Phase::Uploading => "uploading",
            Phase::Paused => "paused",
            Phase::Offline => "offline",
            Phase::Retrying { .. } => "retrying",
            Phase::Verifying => "verifying",
            Phase::Completing => "completing",
            Phase::Processing => "processing",
            Phase::Ready => "ready",
            Phase::Uploaded => "uploaded",
            Phase::Cancelled => "cancelled",
            Phase::Failed(_) => "failed",
        }
    }
}

/// Bytes done and the rate, as the engine last reported them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Progress {
    /// Bytes acknowledged.
    pub loaded: u64,
    /// File size (0 for an import until known).
    pub total: u64,
    /// Bytes acknowledged or handed to the browser (`>= loaded`): the "sending" part.
    pub sent: u64,
    /// Smoothed bytes per second, once measured.
    pub bytes_per_second: Option<f64>,
    /// Seconds left, once measured.
    pub eta_secs: Option<f64>,
}

/// One queued file or URL. Cheap to clone: the mutable parts are signals.
#[derive(Clone, Debug)]
pub struct Item {
    /// Unique within the queue.
    pub id: u32,
    /// File name (or the URL of an import): shown as text, never as HTML.
    pub name: String,
    /// File size (`None` for an import).
    pub size: Option<u64>,
    /// The URL the platform fetches (imports only).
    pub url: Option<String>,
    /// Resource kind.
    pub resource: Resource,
    /// The video a thumbnail or track belongs to.
    pub video_key: Option<String>,
    /// The method asked for (`None`: automatic) ...
    pub requested: Option<Method>,
    /// ... and the one in use, once the engine has chosen.
    pub method: RwSignal<Option<Method>>,
    /// Where it is.
    pub phase: RwSignal<Phase>,
    /// How far.
    pub progress: RwSignal<Progress>,
    /// The media key, once the platform gave it.
    pub media_id: RwSignal<Option<String>>,
    /// Why the file was not taken (the `accept` attribute): the row shows it, failed, and
    /// offers no retry.
    pub refusal: Option<String>,
    /// Why processing could not be followed (the status endpoint kept refusing), once known:
    /// the row then says "uploaded · status unavailable".
    pub status_note: RwSignal<Option<String>>,
}
