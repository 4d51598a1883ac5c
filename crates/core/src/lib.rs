//! jw-upload-core: the sans-IO upload engine for the JW Platform (s3, form, resumable,
//! multipart and fetch uploads).
//!
//! The engine decides everything and performs nothing: no clock, no I/O, no file bytes. A
//! driver (the browser layer, or a test harness) performs the [`Request`]s it hands out and
//! reports back what happened, passing the time as [`Millis`] on every call.
//!
//! # The driver's loop
//! 1. `Upload::new(config, now)` (or [`Upload::restore`] from a stored [`Snapshot`]).
//! 2. Drain, after **every** call into the engine:
//!    - [`Upload::poll_abort`]: abort those in-flight requests and report nothing for them;
//!    - [`Upload::poll_event`]: show events; answer [`Event::NeedCredentials`] by asking the
//!      customer's backend and calling [`Upload::provide_credentials`] with its reply (or
//!      [`Upload::credentials_failed`]), and [`Event::NeedDigest`] by hashing the range (in a
//!      worker) and calling [`Upload::provide_digest`];
//!    - [`Upload::poll_request`]: send each request (a [`Body::Range`] is `file.slice(range)`;
//!      a [`Body::Form`] is a `FormData` holding that slice), reporting
//!      [`Upload::handle_progress`] from upload progress events, then exactly one of
//!      [`Upload::handle_response`] or [`Upload::handle_failure`].
//! 3. Arm one timer at [`Upload::poll_timeout`] and call [`Upload::handle_timeout`] when it
//!    fires (stalls, the retry pause, status polls), then drain again.
//! 4. [`Upload::pause`], [`Upload::resume`], [`Upload::cancel`] and [`Upload::set_online`]
//!    whenever the user or the browser says so; drain again.
//!
//! The upload is over when the state is [`State::Done`] or [`State::Failed`]. Store
//! [`Upload::snapshot`] (serde) to resume after a reload.
//!
//! ```
//! use jw_upload_core::{Config, Event, Millis, Response, Upload, Body};
//!
//! let mut up = Upload::new(Config::new(1000, "clip.mp4", "video/mp4"), Millis(0)).unwrap();
//! // The engine asks for credentials first: pass the backend's reply on.
//! while let Some(ev) = up.poll_event() {
//!     if let Event::NeedCredentials { .. } = ev {
//!         let reply = r#"{"status":"ok","media":{"key":"K1"},"link":{"protocol":"http",
//!             "address":"127.0.0.1:4010","path":"/jwplatform-upload/K1",
//!             "query":{"AWSAccessKeyId":"A","Expires":9,"Signature":"s/+="}}}"#;
//!         up.provide_credentials(Response::new(200, reply), Millis(1));
//!     }
//! }
//! // A file under 5 GB goes by s3: one PUT of bytes 0..1000.
//! let req = up.poll_request(Millis(2)).unwrap();
//! assert_eq!(req.body, Body::Range(0..1000));
//! assert!(req.url.ends_with("Signature=s%2F%2B%3D"));
//! up.handle_progress(req.id, 1000, Millis(50));
//! up.handle_response(req.id, Response::new(200, "").with_header("ETag", "\"ab\""), Millis(60));
//! // With `verify` on (the default) the engine asks for the file's MD5 to check the ETag.
//! let mut need_digest = false;
//! while let Some(ev) = up.poll_event() {
//!     need_digest |= matches!(ev, Event::NeedDigest { .. });
//! }
//! assert!(need_digest);
//! up.provide_digest(0..1000, "ab", Millis(70));
//! assert_eq!(up.result().map(|r| r.media_id.as_str()), Some("K1"));
//! ```
//!
//! # Modules
//! [`range`] byte-range sets, [`reply`] platform replies, [`link`] URL builders, [`method`]
//! method choice, [`plan`] part plans and adaptive sizes, [`retry`] the retry policy,
//! [`progress`] progress and speed, [`error`] typed errors. The four protocol machines live in
//! a private `protocol` module behind [`Upload`].
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod config;
pub mod engine;
pub mod error;
pub mod event;
pub mod io;
pub mod link;
pub mod method;
pub mod plan;
pub mod progress;
pub mod range;
pub mod reply;
pub mod retry;
pub mod time;

mod protocol;
mod status;

pub use config::{Config, StatusConfig};
pub use engine::{Snapshot, Upload};
pub use error::{check_duration, ErrorCode, UploadError};
pub use event::{Event, RetryReason, State, UploadResult};
pub use io::{Body, FailureKind, HttpMethod, Request, RequestId, RequestKind, Response};
pub use link::{Redirect, Resource};
pub use method::Method;
pub use progress::Progress;
pub use range::{RangeReport, RangeSet};
pub use reply::MediaStatus;
pub use retry::RetryPolicy;
pub use time::Millis;
