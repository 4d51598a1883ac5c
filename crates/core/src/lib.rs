//! jw-upload-core: the sans-IO upload engine for the JW Platform (s3, form, resumable,
//! direct, multipart and fetch uploads).
//!
//! The engine decides everything and performs nothing: no clock, no I/O, no file bytes. A
//! driver (the browser layer, or a test harness) performs the [`Request`]s it hands out and
//! reports back what happened, passing the time as [`Millis`] on every call.
//!
//! # The driver's loop
//! 1. `Upload::new(config, now)` (or [`Upload::restore`] from a stored [`Snapshot`]).
//! 2. Drain, after **every** call into the engine, three queues for the driver and one for
//!    the UI (as quinn keeps `poll_endpoint_events()` apart from the app's `poll()`):
//!    - [`Upload::poll_abort`]: abort those in-flight requests and credentials calls and
//!      report nothing for them;
//!    - [`Upload::poll_task`]: the driver's own work. [`Task::Credentials`] is a call to the
//!      customer's backend, tracked like a request: report its reply with
//!      [`Upload::handle_response`] (or [`Upload::handle_failure`]) under its id.
//!      [`Task::Digest`] asks for the MD5 of a range (hashed in a worker), answered with
//!      [`Upload::handle_digest`] (or [`Upload::handle_digest_failure`]);
//!    - [`Upload::poll_request`]: send each request (a [`Body::Range`] is `file.slice(range)`;
//!      a [`Body::Form`] is a `FormData` holding that slice), reporting
//!      [`Upload::handle_progress`] from upload progress events, then exactly one of
//!      [`Upload::handle_response`] or [`Upload::handle_failure`];
//!    - [`Upload::poll_event`]: the UI's events (the method, state, progress, parts, the
//!      result, errors), to show; the driver needs none of them.
//! 3. Arm one timer at [`Upload::poll_timeout`] and call [`Upload::handle_timeout`] when it
//!    fires (stalls, the retry pause, status polls), then drain again.
//! 4. [`Upload::pause`], [`Upload::resume`], [`Upload::cancel`] and [`Upload::set_online`]
//!    whenever the user or the browser says so; drain again.
//!
//! Every input is `handle_*` (what happened) or a control call (what the user wants).
//! The upload is over when the state is [`State::Done`] or [`State::Failed`]. Store
//! [`Upload::snapshot`] (serde) to resume after a reload.
//!
//! ```
//! use jw_upload_core::{Body, Config, Event, Method, Millis, Response, Task, Upload};
//!
//! let mut up = Upload::new(Config::new(1000, "clip.mp4", "video/mp4"), Millis(0)).unwrap();
//! // The UI learns the method; the driver is asked for credentials: pass the backend's reply on.
//! assert_eq!(up.poll_event(), Some(Event::Started { method: Method::S3 }));
//! let Some(Task::Credentials { id, .. }) = up.poll_task() else { panic!() };
//! let reply = r#"{"status":"ok","media":{"key":"K1"},"link":{"protocol":"http",
//!     "address":"127.0.0.1:4010","path":"/jwplatform-upload/K1",
//!     "query":{"AWSAccessKeyId":"A","Expires":9,"Signature":"s/+="}}}"#;
//! up.handle_response(id, Response::new(200, reply), Millis(1));
//! // A file under 5 GB goes by s3: one PUT of bytes 0..1000.
//! let req = up.poll_request(Millis(2)).unwrap();
//! assert_eq!(req.body, Body::Range(0..1000));
//! assert!(req.url.ends_with("Signature=s%2F%2B%3D"));
//! up.handle_progress(req.id, 1000, Millis(50));
//! up.handle_response(req.id, Response::new(200, "").with_header("ETag", "\"ab\""), Millis(60));
//! // With `verify` on (the default) the engine asks for the file's MD5 to check the ETag.
//! assert_eq!(up.poll_task(), Some(Task::Digest { range: 0..1000 }));
//! up.handle_digest(0..1000, "ab", Millis(70));
//! assert_eq!(up.result().map(|r| r.media_id.as_str()), Some("K1"));
//! ```
//!
//! # The protocols, as the driver sees them
//! Every method starts with `Task::Credentials { id, method, media_id: None }`: the driver asks
//! the customer's backend (`POST /api/uploads` with the method) and passes the platform reply
//! it relays, unchanged, to `handle_response(id, ..)`. When a token or link expires mid-upload the
//! engine asks again with `media_id: Some(..)` (a renewal: `videos/update`; for direct
//! `media_id: None`, a new create), then goes on without re-sending finished work. A link or
//! token refused with 401 or 403 counts as expired whatever its code or message says. A
//! refused renewal fails with `credentials_expired`.
//! - **fetch** (`Config::fetch(url)`): the platform reply is the result; no request follows.
//! - **s3**: one `PUT` of [`Body::Range`]`(0..size)` to the signed URL, no headers (so no
//!   `Content-Type`). With `verify`, a `Task::Digest { range: 0..size }` asks for the file's MD5,
//!   checked against the `ETag` (one mismatch re-sends, a second fails with `integrity`).
//! - **direct** (v2): one `PUT` of [`Body::Range`]`(0..size)` to the create reply's top-level
//!   `upload_link`, no headers, the `ETag` checked as for s3; resuming starts the file over.
//! - **form**: one `POST` of [`Body::Form`] (field `file`, the whole file); the reply's `md5` and
//!   `size` are checked like the s3 ETag. Other resources (images, skins, thumbnails, tracks) go
//!   this way only. Do not set a redirect address in the browser: XHR would follow the 303.
//! - **resumable**: `POST`s of [`Body::Range`] chunks with `Content-Disposition`,
//!   `Content-Type`, `X-Content-Range` and `X-Session-ID` headers, one at a time by default
//!   (`chunk_parallel`). The driver must expose the `Range` reply header (or the body carries it).
//!   A restored upload first sends a small chunk from byte 0, as the docs say, and continues
//!   from the server's `Range`, gaps included.
//! - **multipart**: `GET` parts pages (`Authorization: Bearer` upload token) for signed links,
//!   `PUT`s of [`Body::Range`] parts to those links (`part_parallel` at a time, no headers),
//!   each part's `ETag` checked against its MD5 (`Task::Digest` per part, hashed in a worker),
//!   then `PUT .../complete`. Expired links are refreshed by listing again; a complete refused
//!   with any 4xx but 401/403/408/429 is reconciled by listing every page (what is missing is
//!   sent again; nothing missing makes the refusal final). The `ETag` header must be CORS-exposed; if it is not,
//!   the engine learns the etags from a listing before completing.
//!
//! With `Config::status` set, a finished upload (`Event::Finished`) is followed by `GET`s of the
//! status URL (the backend's `/api/media/{id}`) until `Event::Ready` (state `Done`) or an
//! `Error` (`processing_failed`, or `too_short` for the 2-second rule).
//!
//! Requests and credentials calls the engine aborts (`poll_abort`: pause, cancel, stall,
//! finish; a pause lets a credentials call finish) must be aborted by the driver and never
//! reported. A reply for an unknown id is ignored. Durations serialize as milliseconds, so
//! [`Event`]s can go to JS through serde as they are.
//!
//! # Modules
//! [`range`] byte-range sets, [`reply`] platform replies, [`link`] URL builders, [`method`]
//! method choice, [`plan`] part plans and adaptive sizes, [`retry`] the retry policy,
//! [`progress`] progress and speed, [`error`] typed errors. The five protocol machines live in
//! a private `protocol` module behind [`Upload`].
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod accept;
pub mod config;
pub mod contract;
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
mod sorted;
mod status;

pub use config::{Config, StatusConfig};
pub use contract::{FileInfo, UploadRequest};
pub use engine::{Snapshot, Upload};
pub use error::{check_duration, ErrorCode, UploadError};
pub use event::{Event, RetryReason, State, UploadResult};
pub use io::{Body, FailureKind, HttpMethod, Request, RequestId, RequestKind, Response, Task};
pub use link::{Redirect, Resource};
pub use method::Method;
pub use progress::Progress;
pub use range::{RangeReport, RangeSet};
pub use reply::MediaStatus;
pub use retry::RetryPolicy;
pub use time::Millis;
