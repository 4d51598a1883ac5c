//! fetch (gloo-net) for small control calls: part listings, `complete`, the customer's backend.
//! Redirects are never followed (a redirect to another host must not take headers with it).

use gloo_net::http::{Request as FetchRequest, RequestBuilder};
use jw_upload_core::{Body, FailureKind, HttpMethod, Request, Response};
use web_sys::{AbortController, AbortSignal, RequestCredentials, RequestRedirect};

/// Aborts the fetch it guards when dropped (unless it finished).
pub struct AbortOnDrop(Option<AbortController>);

impl AbortOnDrop {
    /// A new guard and its controller.
    pub fn new() -> AbortOnDrop {
        AbortOnDrop(AbortController::new().ok())
    }

    /// The signal to hand to fetch.
    pub fn signal(&self) -> Option<web_sys::AbortSignal> {
        self.0.as_ref().map(|c| c.signal())
    }

    /// The request finished: nothing to abort.
    pub fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Default for AbortOnDrop {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            c.abort();
        }
    }
}

fn builder(method: HttpMethod, url: &str) -> RequestBuilder {
    let b = match method {
        HttpMethod::Get => FetchRequest::get(url),
        HttpMethod::Put => FetchRequest::put(url),
        HttpMethod::Post => FetchRequest::post(url),
    };
    b.redirect(RequestRedirect::Manual)
}

/// Performs a control request (no file body) and reads the whole reply as text. Cookies go
/// only when `include_cookies` (a status call to the customer's backend on another origin that
/// asked for them); calls to the platform never carry them.
pub async fn send(
    req: &Request,
    signal: Option<AbortSignal>,
    include_cookies: bool,
) -> Result<Response, FailureKind> {
    let mut b = builder(req.method, &req.url);
    if include_cookies {
        b = b.credentials(RequestCredentials::Include);
    }
    for (k, v) in &req.headers {
        b = b.header(k, v);
    }
    b = b.abort_signal(signal.as_ref());
    let request = match &req.body {
        Body::Json(text) => b.body(text.as_str()),
        _ => b.build(),
    }
    .map_err(|_| FailureKind::Network)?;
    perform(request).await
}

/// Performs a JSON call to the customer's backend (`POST` with a body, or `GET`).
pub async fn call_json(
    method: HttpMethod,
    url: &str,
    headers: &[(String, String)],
    body: Option<&str>,
    signal: Option<AbortSignal>,
    include_cookies: bool,
) -> Result<Response, FailureKind> {
    let mut b = builder(method, url).header("Accept", "application/json");
    if include_cookies {
        b = b.credentials(RequestCredentials::Include);
    }
    if body.is_some() {
        b = b.header("Content-Type", "application/json");
    }
    for (k, v) in headers {
        b = b.header(k, v);
    }
    b = b.abort_signal(signal.as_ref());
    let request = match body {
        Some(text) => b.body(text),
        None => b.build(),
    }
    .map_err(|_| FailureKind::Network)?;
    perform(request).await
}

async fn perform(request: FetchRequest) -> Result<Response, FailureKind> {
    let reply = request.send().await.map_err(|_| FailureKind::Network)?;
    // A manual redirect gives an opaque reply with status 0: report it as a refusal (no body).
    let status = reply.status();
    let headers = reply
        .headers()
        .entries()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    let body = if status == 0 {
        String::new()
    } else {
        reply.text().await.map_err(|_| FailureKind::Network)?
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}
