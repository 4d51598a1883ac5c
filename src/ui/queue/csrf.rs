//! The queue's CSRF token: fetched once (`GET` the options' `csrf_url`), shared by every upload;
//! callers waiting while it loads are called back when it comes.

use leptos::prelude::*;
use wasm_bindgen_futures::spawn_local;

use super::Queue;
use crate::transport::fetch::{self, AbortOnDrop};
use crate::ui::options::WidgetOptions;
use jw_upload_core::HttpMethod;

pub(super) type Waiter = Box<dyn FnOnce(Option<String>)>;

pub(super) enum Csrf {
    Unknown,
    Loading(Vec<Waiter>),
    Known(String),
}

impl Queue {
    /// Calls `then` with the CSRF token (fetched once; `None` when there is none to send).
    pub(super) fn with_csrf(&self, then: impl FnOnce(Option<String>) + 'static) {
        let Some(url) = self.options.with_untracked(WidgetOptions::csrf_url) else {
            return then(None);
        };
        let mut then: Option<Waiter> = Some(Box::new(then));
        let mut fetch_now = false;
        self.local.update_value(|l| match &mut l.csrf {
            Csrf::Known(_) => {}
            Csrf::Loading(waiters) => waiters.extend(then.take()),
            Csrf::Unknown => {
                l.csrf = Csrf::Loading(then.take().into_iter().collect());
                fetch_now = true;
            }
        });
        if let Some(then) = then {
            let token = self.local.with_value(|l| match &l.csrf {
                Csrf::Known(t) => Some(t.clone()),
                _ => None,
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
                .ok()
                .filter(|r| r.status == 200)
                .and_then(|r| serde_json::from_str::<serde_json::Value>(&r.body).ok())
                .and_then(|v| v.get("token").and_then(|t| t.as_str()).map(str::to_owned));
            let waiters = local
                .try_update_value(|l| {
                    let old = std::mem::replace(
                        &mut l.csrf,
                        token.clone().map_or(Csrf::Unknown, Csrf::Known),
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
