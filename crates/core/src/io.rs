//! What crosses the sans-IO boundary: requests the driver performs (bodies are byte ranges of the
//! source, never bytes), and the responses and failures it reports back.

use crate::method::Method;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;

/// Identifies one request of one upload; never reused.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId(pub u64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// HTTP method.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HttpMethod {
    /// GET
    Get,
    /// PUT
    Put,
    /// POST
    Post,
}

impl HttpMethod {
    /// `GET`, `PUT`, `POST`.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Put => "PUT",
            HttpMethod::Post => "POST",
        }
    }
}

/// A request body: a description the driver turns into bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Body {
    /// No body.
    Empty,
    /// A JSON text (sent with `Content-Type: application/json`, which is in the headers).
    Json(String),
    /// The bytes `range` of the source file, sent raw (a `Blob` slice). No `Content-Type`
    /// unless the headers name one.
    Range(Range<u64>),
    /// A `multipart/form-data` body with one file field holding the bytes `range` of the
    /// source (the browser builds it: `FormData.append(field, blob.slice(range), filename)`).
    Form {
        /// Form field name, always `file` for the platform.
        field: String,
        /// Bytes of the source.
        range: Range<u64>,
        /// File name for the part's `Content-Disposition`.
        filename: String,
        /// The part's `Content-Type`.
        content_type: String,
    },
}

impl Body {
    /// The source bytes this body carries, if any.
    pub fn source_range(&self) -> Option<Range<u64>> {
        match self {
            Body::Range(r) | Body::Form { range: r, .. } => Some(r.clone()),
            _ => None,
        }
    }

    /// Length of the source bytes this body carries (0 for control bodies).
    pub fn source_len(&self) -> u64 {
        self.source_range().map_or(0, |r| r.end - r.start)
    }
}

/// What a request is for (logging, UI, and the engine's own bookkeeping).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RequestKind {
    /// s3: the single PUT of the whole file.
    S3Put,
    /// direct (v2): the single PUT of the whole file to the `upload_link`.
    DirectPut,
    /// form: the single multipart/form-data POST.
    FormPost,
    /// resumable: one chunk.
    Chunk {
        /// Bytes of the chunk.
        range: Range<u64>,
    },
    /// multipart: one page of the parts listing.
    ListParts {
        /// Page number, from 1.
        page: u32,
    },
    /// multipart: one part's PUT.
    PutPart {
        /// Part number, from 1.
        part: u32,
    },
    /// multipart: the complete call.
    Complete,
    /// After upload: the media status poll.
    MediaStatus,
    /// The driver's call to the customer's backend for credentials ([`Task::Credentials`]).
    Credentials,
}

/// A request for the driver to perform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Its id, to report the outcome with.
    pub id: RequestId,
    /// What it is for.
    pub kind: RequestKind,
    /// HTTP method.
    pub method: HttpMethod,
    /// Full URL.
    pub url: String,
    /// Headers to set, in order (`Authorization`, `X-Content-Range`, ...).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Body,
}

impl Request {
    /// The value of header `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Work for the driver itself (not for the UI), drained with
/// [`Upload::poll_task`](crate::Upload::poll_task).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "task")]
pub enum Task {
    /// Ask the customer's backend for credentials. This is a tracked call like a
    /// [`Request`]: report its reply (the platform's, passed on unchanged) with
    /// [`Upload::handle_response`](crate::Upload::handle_response)`(id, ..)` or its failure with
    /// [`Upload::handle_failure`](crate::Upload::handle_failure); the engine aborts it
    /// (`poll_abort`) on cancel or a stall (a pause lets it finish).
    Credentials {
        /// Its id, to report the outcome with.
        id: RequestId,
        /// Method to ask for.
        method: Method,
        /// The media being renewed (`media_id` for the backend), `None` for a new upload.
        media_id: Option<String>,
    },
    /// Compute the MD5 of these source bytes and hand it to
    /// [`Upload::handle_digest`](crate::Upload::handle_digest) (only with `verify` on).
    Digest {
        /// Bytes to hash.
        range: Range<u64>,
    },
}

/// An HTTP response as the driver saw it (any status; redirects already followed or not).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers the driver could read (`ETag`, `Range`, `Retry-After`, `Date`...).
    pub headers: Vec<(String, String)>,
    /// Body text.
    pub body: String,
}

impl Response {
    /// A response with a status and a body, no headers.
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// The value of header `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why a request produced no response.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Connection refused, reset or closed, DNS, CORS (XHR `error`), or the browser is offline.
    Network,
    /// The driver's own timeout fired (XHR `timeout`).
    Timeout,
    /// The request was aborted (normally because the engine asked: it then ignores it).
    Aborted,
}
