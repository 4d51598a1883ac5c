//! Carrying out what the engine asks: requests (XHR for bodies, fetch for control calls),
//! credentials from the customer's backend or a JS callback, MD5 digests from the worker, and
//! the one timer.

use std::ops::Range;

use jw_upload_core::{
    Body, FailureKind, HttpMethod, Method, Request, RequestId, RequestKind, Response,
};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{spawn_local, JsFuture};

use super::{with, CredentialSource, Inner};
use crate::timer::{self, Timeout};
use crate::transport::fetch::{self, AbortOnDrop};
use crate::transport::xhr::{self, XhrEvent};

impl Inner {
    pub(super) fn arm_timer(&mut self) {
        self.timer = self.upload.poll_timeout().and_then(|at| {
            let wait = at.0.saturating_sub(timer::now().0);
            let me = self.me.clone();
            Timeout::new(wait, move || with(&me, |u, now| u.handle_timeout(now)))
        });
    }

    pub(super) fn perform(&mut self, req: Request, now: jw_upload_core::Millis) {
        let id = req.id;
        match (&req.body, &self.file) {
            (Body::Range(_) | Body::Form { .. }, Some(file)) => {
                let me = self.me.clone();
                let (source, at) = (file.clone(), req.body.source_range().map_or(0, |r| r.start));
                let range = req.body.source_range();
                let started = xhr::start(&req, file, move |ev| {
                    if let XhrEvent::Failed(FailureKind::Network) = ev {
                        // A file changed on disk fails its reads, and so its XHR, like a network
                        // error would: tell the two apart before the engine retries.
                        let (me, source) = (me.clone(), source.clone());
                        spawn_local(async move {
                            let readable = crate::source::readable(&source, at).await;
                            with(&me, |u, now| {
                                if readable {
                                    u.handle_failure(id, FailureKind::Network, now)
                                } else {
                                    u.handle_unreadable(id, now)
                                }
                            });
                            forget(&me, id);
                        });
                        return;
                    }
                    if let XhrEvent::Progress(sent) = ev {
                        // The digest of this range, if one runs, keeps pace with the sending.
                        if let Some(range) = &range {
                            pace(&me, range, sent);
                        }
                        // Coalesced: the engine hears of it when the interval ends.
                        return super::coalesce::report(&me, id, sent);
                    }
                    with(&me, |u, now| match ev {
                        XhrEvent::Progress(_) => {}
                        XhrEvent::Done(resp) => u.handle_response(id, resp, now),
                        XhrEvent::Failed(kind) => u.handle_failure(id, kind, now),
                    });
                    forget(&me, id);
                });
                match started {
                    Ok(x) => {
                        self.xhrs.insert(id, x);
                    }
                    Err(e) => {
                        web_sys::console::warn_1(&JsValue::from_str(&e.to_string()));
                        self.upload.handle_failure(id, FailureKind::Network, now);
                    }
                }
            }
            (Body::Range(_) | Body::Form { .. }, None) => {
                self.upload.handle_failure(id, FailureKind::Network, now);
            }
            _ => {
                let guard = AbortOnDrop::new();
                let signal = guard.signal();
                self.fetches.insert(id, guard);
                let me = self.me.clone();
                // The status endpoint is the customer's backend: it gets the cookies the
                // minting calls get (`withCredentials`).
                let cookies = req.kind == RequestKind::MediaStatus
                    && matches!(
                        self.creds,
                        CredentialSource::Endpoint {
                            include_cookies: true,
                            ..
                        }
                    );
                spawn_local(async move {
                    let result = fetch::send(&req, signal, cookies).await;
                    if settled(&me, id) {
                        with(&me, |u, now| match result {
                            Ok(resp) => u.handle_response(id, resp, now),
                            Err(kind) => u.handle_failure(id, kind, now),
                        });
                    }
                });
            }
        }
    }

    /// Drops the XHR handle once its outcome is in (keeps it while only progress came).
    /// See [`forget`].
    pub(super) fn forget_if_done(&mut self, id: RequestId) {
        if !self.upload.in_flight().any(|i| i == id) {
            self.xhrs.remove(&id);
        }
    }

    /// Credentials call `id`: reported like a request (`handle_response` / `handle_failure`);
    /// aborted (its guard dropped) when the engine says so.
    pub(super) fn ask_credentials(
        &mut self,
        id: RequestId,
        method: Method,
        media_id: Option<&str>,
    ) {
        let body = self.info.request(method, media_id);
        let me = self.me.clone();
        match self.creds.clone() {
            CredentialSource::Endpoint {
                url,
                headers,
                include_cookies,
            } => {
                let guard = AbortOnDrop::new();
                let signal = guard.signal();
                self.fetches.insert(id, guard);
                spawn_local(async move {
                    let text = serde_json::to_string(&body).unwrap_or_default();
                    let result = fetch::call_json(
                        HttpMethod::Post,
                        &url,
                        &headers,
                        Some(&text),
                        signal,
                        include_cookies,
                    )
                    .await;
                    if settled(&me, id) {
                        with(&me, |u, now| match result {
                            Ok(resp) => u.handle_response(id, resp, now),
                            Err(kind) => u.handle_failure(id, kind, now),
                        });
                    }
                });
            }
            CredentialSource::Callback(f) => {
                let arg = crate::api::to_js(&body);
                let called = f.call1(&JsValue::NULL, &arg);
                spawn_local(async move {
                    let result = match called {
                        Ok(v) => JsFuture::from(js_sys::Promise::resolve(&v)).await,
                        Err(e) => Err(e),
                    };
                    let reply = result.ok().and_then(|v| {
                        if let Some(s) = v.as_string() {
                            Some(s)
                        } else {
                            js_sys::JSON::stringify(&v).ok().and_then(|s| s.as_string())
                        }
                    });
                    with(&me, |u, now| match reply {
                        Some(text) => u.handle_response(id, Response::new(200, text), now),
                        None => u.handle_failure(id, FailureKind::Network, now),
                    });
                });
            }
        }
    }

    pub(super) fn digest(&mut self, range: Range<u64>) {
        let (Some(file), Some(worker)) = (self.file.clone(), self.md5.clone()) else {
            return;
        };
        let me = self.me.clone();
        spawn_local(async move {
            match worker.digest(&file, range.clone()).await {
                Ok(md5) => with(&me, |u, now| u.handle_digest(range, &md5, now)),
                Err(e) => {
                    web_sys::console::warn_1(&JsValue::from_str(&format!("md5 failed: {e}")));
                    with(&me, |u, now| u.handle_digest_failure(range, now));
                }
            }
        });
    }
}

/// Tells the MD5 worker what the upload of `range` has sent ([`crate::md5::Md5Worker::pace`]).
fn pace(me: &std::rc::Weak<std::cell::RefCell<Inner>>, range: &Range<u64>, sent: u64) {
    let Some(rc) = me.upgrade() else {
        return;
    };
    let Ok(inner) = rc.try_borrow() else {
        return; // the next report carries it
    };
    if let Some(md5) = &inner.md5 {
        md5.pace(range, sent);
    }
}

/// A fetch ended: drops its abort guard. False when the engine aborted it meanwhile (then its
/// outcome is not reported).
fn settled(me: &std::rc::Weak<std::cell::RefCell<Inner>>, id: RequestId) -> bool {
    let Some(rc) = me.upgrade() else {
        return false;
    };
    let live = rc
        .try_borrow_mut()
        .map(|mut m| m.fetches.remove(&id).map(|mut g| g.disarm()).is_some())
        .unwrap_or(false);
    live
}

/// [`Inner::forget_if_done`] from an XHR callback.
fn forget(me: &std::rc::Weak<std::cell::RefCell<Inner>>, id: RequestId) {
    if let Some(rc) = me.upgrade() {
        if let Ok(mut inner) = rc.try_borrow_mut() {
            inner.forget_if_done(id);
        }
    }
}
