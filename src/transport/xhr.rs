//! XHR transport for request bodies: upload progress, the response's headers, abort on drop.

use std::cell::RefCell;
use std::rc::Rc;

use jw_upload_core::{Body, FailureKind, Request, Response};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, EventTarget, FormData, ProgressEvent, XmlHttpRequest};

use crate::source::{self, SourceError};

/// What an XHR reports back: bytes of the body sent so far, then one outcome.
pub enum XhrEvent {
    /// `loaded` bytes of the request body are sent.
    Progress(u64),
    /// The server answered (any status).
    Done(Response),
    /// No answer.
    Failed(FailureKind),
}

type Listener = Closure<dyn FnMut(JsValue)>;

/// A request in flight. Dropping it aborts the XHR and removes its listeners.
pub struct Xhr {
    xhr: XmlHttpRequest,
    finished: Rc<RefCell<bool>>,
    listeners: Vec<(EventTarget, &'static str, Listener)>,
}

impl Drop for Xhr {
    fn drop(&mut self) {
        for (target, name, cb) in &self.listeners {
            let _ = target.remove_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
        }
        if !*self.finished.borrow() {
            let _ = self.xhr.abort();
        }
    }
}

fn listen(
    target: &EventTarget,
    name: &'static str,
    cb: Listener,
    into: &mut Vec<(EventTarget, &'static str, Listener)>,
) -> Result<(), StartError> {
    target
        .add_event_listener_with_callback(name, cb.as_ref().unchecked_ref())
        .map_err(browser)?;
    into.push((target.clone(), name, cb));
    Ok(())
}

/// Why a request could not start.
#[derive(Debug)]
pub enum StartError {
    /// The body's byte range is not in the file.
    Source(SourceError),
    /// The browser refused (bad URL, bad header): its message.
    Browser(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Source(e) => e.fmt(f),
            StartError::Browser(m) => write!(f, "the browser refused the request: {m}"),
        }
    }
}

fn browser(e: JsValue) -> StartError {
    StartError::Browser(source::js_message(&e))
}

/// Starts `req`, reading body bytes from `file`; `on_event` gets progress and the outcome.
pub fn start(
    req: &Request,
    file: &Blob,
    on_event: impl FnMut(XhrEvent) + 'static,
) -> Result<Xhr, StartError> {
    let xhr = XmlHttpRequest::new().map_err(browser)?;
    xhr.open_with_async(req.method.as_str(), &req.url, true)
        .map_err(browser)?;
    for (name, value) in &req.headers {
        xhr.set_request_header(name, value).map_err(browser)?;
    }
    let finished = Rc::new(RefCell::new(false));
    let on_event = Rc::new(RefCell::new(on_event));
    let mut listeners = Vec::new();

    let upload = xhr.upload().map_err(browser)?;
    let progress = {
        let on_event = on_event.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            if let Some(e) = e.dyn_ref::<ProgressEvent>() {
                if let Some(loaded) = source::bytes_from_f64(e.loaded()) {
                    (on_event.borrow_mut())(XhrEvent::Progress(loaded));
                }
            }
        })
    };
    listen(&upload, "progress", progress, &mut listeners)?;

    let load = {
        let (on_event, finished, x) = (on_event.clone(), finished.clone(), xhr.clone());
        let asked = req.url.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |_| {
            *finished.borrow_mut() = true;
            // XHR follows redirects by itself (no API stops it); a reply from another origin is
            // refused like fetch's `redirect: "manual"`: status 0, nothing of it believed.
            let landed = x.response_url();
            if !landed.is_empty() && !same_origin(&asked, &landed) {
                web_sys::console::warn_1(&JsValue::from_str(&format!(
                    "jw-upload: a request to {} was redirected to another host ({}): refused",
                    origin(&asked),
                    origin(&landed)
                )));
                (on_event.borrow_mut())(XhrEvent::Done(Response::new(0, "")));
                return;
            }
            let response = Response {
                status: x.status().unwrap_or(0),
                headers: parse_headers(&x.get_all_response_headers().unwrap_or_default()),
                body: x.response_text().ok().flatten().unwrap_or_default(),
            };
            (on_event.borrow_mut())(XhrEvent::Done(response));
        })
    };
    listen(&xhr, "load", load, &mut listeners)?;

    for (kind, name) in [
        (FailureKind::Network, "error"),
        (FailureKind::Timeout, "timeout"),
        (FailureKind::Aborted, "abort"),
    ] {
        let (on_event, finished) = (on_event.clone(), finished.clone());
        let cb = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            *finished.borrow_mut() = true;
            (on_event.borrow_mut())(XhrEvent::Failed(kind));
        });
        listen(&xhr, name, cb, &mut listeners)?;
    }

    match &req.body {
        Body::Empty => xhr.send().map_err(browser)?,
        Body::Json(text) => xhr.send_with_opt_str(Some(text)).map_err(browser)?,
        Body::Range(range) => {
            // No type: the s3 link is signed for no `Content-Type`, and XHR adds a Blob's own.
            let blob = source::body(file, range.clone(), "").map_err(StartError::Source)?;
            xhr.send_with_opt_blob(Some(&blob)).map_err(browser)?
        }
        Body::Form {
            field,
            range,
            filename,
            content_type,
        } => {
            // A part with an empty type goes as `application/octet-stream` (HTML's form
            // encoding), so an untyped `File` can be that part as it is.
            let as_is = file.type_().is_empty() && content_type == "application/octet-stream";
            let mime = if as_is { "" } else { content_type.as_str() };
            let part = source::body(file, range.clone(), mime).map_err(StartError::Source)?;
            let form = FormData::new().map_err(browser)?;
            form.append_with_blob_and_filename(field, &part, filename)
                .map_err(browser)?;
            xhr.send_with_opt_form_data(Some(&form)).map_err(browser)?
        }
    }
    Ok(Xhr {
        xhr,
        finished,
        listeners,
    })
}

/// `scheme://host:port` of a URL, lower case, the default port dropped.
fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let scheme = scheme.to_ascii_lowercase();
    let mut authority = authority.to_ascii_lowercase();
    let default = match scheme.as_str() {
        "http" => Some(":80"),
        "https" => Some(":443"),
        _ => None,
    };
    if let Some(d) = default {
        if authority.ends_with(d) {
            authority.truncate(authority.len() - d.len());
        }
    }
    format!("{scheme}://{authority}")
}

/// Whether two URLs have the same origin.
fn same_origin(a: &str, b: &str) -> bool {
    origin(a) == origin(b)
}

/// Parses `getAllResponseHeaders()` text into name/value pairs.
pub fn parse_headers(text: &str) -> Vec<(String, String)> {
    text.split("\r\n")
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_ascii_lowercase(), value.trim().to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{parse_headers, same_origin};

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert!(same_origin(
            "http://127.0.0.1:4010/jwplatform-upload/K?Signature=a%2F",
            "http://127.0.0.1:4010/jwplatform-upload/K?Signature=a%2F"
        ));
        assert!(same_origin(
            "HTTPS://Upload.Example:443/a",
            "https://upload.example/b"
        ));
        assert!(!same_origin(
            "http://127.0.0.1:4010/a",
            "http://127.0.0.1:4011/collect"
        ));
        assert!(!same_origin("http://a.example/x", "https://a.example/x"));
        assert!(!same_origin(
            "http://a.example/x",
            "http://evil.example/a.example"
        ));
    }

    #[test]
    fn headers_are_split_and_lowercased() {
        let h = parse_headers("ETag: \"abc\"\r\nrange: 0-9/10\r\nbad line\r\n");
        assert_eq!(
            h,
            vec![
                ("etag".to_string(), "\"abc\"".to_string()),
                ("range".to_string(), "0-9/10".to_string())
            ]
        );
    }
}
