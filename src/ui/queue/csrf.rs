//! The queue's CSRF token: fetched once (`GET` the options' `csrf_url`), shared by every upload;
//! callers waiting while it loads are called back when it comes. When it cannot be had, the
//! queue stops: every upload waiting for it fails with the backend's reason and none is
//! started (an upload POST without the token would only be refused); "Retry" asks again.

use leptos::prelude::*;
use wasm_bindgen_futures::spawn_local;

use super::Queue;
use crate::transport::fetch::{self, AbortOnDrop};
use crate::ui::options::WidgetOptions;
use jw_upload_core::HttpMethod;

/// The token (`None`: none to send), or why there is none.
pub(super) type Token = Result<Option<String>, String>;

pub(super) type Waiter = Box<dyn FnOnce(Token)>;

pub(super) enum Csrf {
    Unknown,
    Loading(Vec<Waiter>),
    Known(String),
    /// The fetch failed, for this reason: uploads fail with it until a retry.
    Failed(String),
}

/// Why the token could not be had, in words that say what to fix: the backend's own message
/// (`{"error":{"message":..}}`) with the status, or that it could not be reached.
fn failure_words(
    url: &str,
    reply: &Result<jw_upload_core::Response, jw_upload_core::FailureKind>,
) -> String {
    match reply {
        Ok(r) if r.status == 200 => format!(
            "The backend's CSRF token reply from {url} has no \"token\"; no upload was started."
        ),
        Ok(r) => {
            let pe = jw_upload_core::reply::PlatformError::parse(&r.body);
            let why = pe
                .message
                .map(|m| format!(": {}", m.trim().trim_end_matches('.')))
                .unwrap_or_default();
            format!(
                "The backend refused the CSRF token (HTTP {}{why}); no upload was started.",
                r.status
            )
        }
        Err(_) => format!(
            "cannot reach {url} for the CSRF token: check the page's CSP connect-src and the \
             backend's CORS; no upload was started."
        ),
    }
}

impl Queue {
    /// Forgets a failed fetch, so the next upload asks again (the "Retry" button).
    pub(super) fn forget_csrf_failure(&self) {
        self.local.update_value(|l| {
            if matches!(l.csrf, Csrf::Failed(_)) {
                l.csrf = Csrf::Unknown;
            }
        });
    }

    /// Calls `then` with the CSRF token (fetched once; `None` when there is none to send), or
    /// with why it could not be had.
    pub(super) fn with_csrf(&self, then: impl FnOnce(Token) + 'static) {
        let Some(url) = self.options.with_untracked(WidgetOptions::csrf_url) else {
            return then(Ok(None));
        };
        let mut then: Option<Waiter> = Some(Box::new(then));
        let mut fetch_now = false;
        self.local.update_value(|l| match &mut l.csrf {
            Csrf::Known(_) | Csrf::Failed(_) => {}
            Csrf::Loading(waiters) => waiters.extend(then.take()),
            Csrf::Unknown => {
                l.csrf = Csrf::Loading(then.take().into_iter().collect());
                fetch_now = true;
            }
        });
        if let Some(then) = then {
            let token = self.local.with_value(|l| match &l.csrf {
                Csrf::Known(t) => Ok(Some(t.clone())),
                Csrf::Failed(why) => Err(why.clone()),
                _ => Ok(None),
            });
            return then(token);
        }
        if !fetch_now {
            return;
        }
        let local = self.local;
        let cookies = self.options.with_untracked(|o| o.with_credentials);
        spawn_local(async move {
            let guard = AbortOnDrop::new();
            let reply =
                fetch::call_json(HttpMethod::Get, &url, &[], None, guard.signal(), cookies).await;
            let token = reply
                .as_ref()
                .ok()
                .filter(|r| r.status == 200)
                .and_then(|r| serde_json::from_str::<serde_json::Value>(&r.body).ok())
                .and_then(|v| v.get("token").and_then(|t| t.as_str()).map(str::to_owned));
            let token: Token = token.map(Some).ok_or_else(|| failure_words(&url, &reply));
            let waiters = local
                .try_update_value(|l| {
                    let old = std::mem::replace(
                        &mut l.csrf,
                        match &token {
                            Ok(t) => Csrf::Known(t.clone().unwrap_or_default()),
                            Err(why) => Csrf::Failed(why.clone()),
                        },
                    );
                    match old {
                        Csrf::Loading(w) => w,
                        _ => Vec::new(),
                    }
                })
                .unwrap_or_default();
            for w in waiters {
                w(token.clone());
            }
        });
    }
}
