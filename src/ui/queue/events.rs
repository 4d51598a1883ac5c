//! The queue's side of the engine's events: rows updated, DOM events emitted, the live region
//! told, slots freed.

use std::rc::Rc;

use jw_upload_core::{Event, State};
use leptos::prelude::*;
use wasm_bindgen_futures::spawn_local;

use super::{now_ms, Queue};
use crate::driver::Sink;
use crate::ui::item::{Item, Phase, Progress};

impl Queue {
    pub(super) fn emit(&self, name: &str, detail: serde_json::Value) {
        if let Some(hook) = self.local.with_value(|l| l.on_event.clone()) {
            hook(name, detail);
        }
    }

    pub(super) fn detail(item: &Item) -> serde_json::Value {
        serde_json::json!({
            "id": item.id,
            "name": item.name,
            "size": item.size,
            "method": item.method.get_untracked().map(|m| m.as_str()),
            "mediaId": item.media_id.get_untracked(),
        })
    }

    pub(super) fn fail(&self, item: &Item, reason: String) {
        if item.phase.with_untracked(|p| {
            matches!(p, Phase::Failed(r) if !r.is_empty()) || *p == Phase::Cancelled
        }) {
            return;
        }
        item.phase.set(Phase::Failed(reason.clone()));
        let labels = self.labels();
        self.announcer.say(labels.fill(
            "announce_failed",
            &[("name", &item.name), ("reason", &reason)],
        ));
        let mut detail = Self::detail(item);
        if let Some(d) = detail.as_object_mut() {
            d.insert("message".into(), reason.into());
        }
        self.emit("upload-error", detail);
        self.finished(item.id);
    }

    /// An item freed its slot (processing) or is over: drop its driver when over (after the
    /// event in progress), start the next one, and say so when everything is over.
    pub(super) fn finished(&self, id: u32) {
        let over = self
            .item(id)
            .is_none_or(|i| i.phase.with_untracked(Phase::is_over));
        if over {
            let local = self.local;
            spawn_local(async move {
                local.update_value(|l| {
                    l.drivers.remove(&id);
                });
            });
        }
        self.schedule();
        let items = self.items.get_untracked();
        let all_over = !items.is_empty()
            && items.iter().all(|i| {
                i.phase
                    .with_untracked(|p| p.is_over() || *p == Phase::Processing)
            });
        let any_processing = items
            .iter()
            .any(|i| i.phase.with_untracked(|p| *p == Phase::Processing));
        if all_over && !any_processing {
            let first = self
                .local
                .try_update_value(|l| !std::mem::replace(&mut l.all_done_said, true))
                .unwrap_or(false);
            if first {
                self.emit(
                    "queue-complete",
                    serde_json::json!({
                        "count": items.len(),
                        "succeeded": items.iter().filter(|i| i.phase.with_untracked(Phase::is_success)).count(),
                    }),
                );
                if items.len() > 1 {
                    self.announcer.say(self.labels().get("announce_all_done"));
                }
            }
        }
    }

    pub(super) fn sink(&self, item: Item, run: u32, following: bool) -> Sink {
        let queue = *self;
        Rc::new(move |ev: &Event| {
            if queue.run_of(item.id) != run {
                return;
            }
            queue.on_engine_event(&item, ev, following);
        })
    }

    fn on_engine_event(&self, item: &Item, ev: &Event, following: bool) {
        let labels = self.labels();
        match ev {
            Event::StateChanged { state } => {
                if item.phase.with_untracked(|p| matches!(p, Phase::Failed(_))) {
                    return;
                }
                let mut phase = Phase::from_state(state, following, now_ms());
                if phase == Phase::Ready && item.status_note.with_untracked(Option::is_some) {
                    // Done without a status: the bytes are in, processing unknown.
                    phase = Phase::Uploaded;
                }
                if let State::Retrying {
                    attempt,
                    delay,
                    reason,
                } = state
                {
                    let mut d = Self::detail(item);
                    if let Some(o) = d.as_object_mut() {
                        o.insert("attempt".into(), (*attempt).into());
                        o.insert("delay".into(), (delay.as_millis() as u64).into());
                        o.insert("reason".into(), reason.to_string().into());
                    }
                    self.emit("upload-retry", d);
                }
                match &phase {
                    Phase::Failed(_) => {
                        // The Error event says why; if none comes, say it in general words.
                        item.phase.set(Phase::Failed(String::new()));
                        let (queue, item) = (*self, item.clone());
                        spawn_local(async move {
                            if item.phase.get_untracked() == Phase::Failed(String::new()) {
                                queue.fail(&item, "the upload did not finish".into());
                            }
                        });
                        return;
                    }
                    Phase::Ready | Phase::Uploaded => {
                        item.phase.set(phase.clone());
                        let key = if phase == Phase::Ready {
                            "announce_ready"
                        } else {
                            "announce_uploaded"
                        };
                        self.announcer
                            .say(labels.fill(key, &[("name", &item.name)]));
                        if phase == Phase::Ready {
                            self.emit("upload-ready", Self::detail(item));
                        }
                        return self.finished(item.id);
                    }
                    Phase::Processing => {
                        item.phase.set(phase);
                        return self.finished(item.id);
                    }
                    _ => item.phase.set(phase),
                }
                self.schedule();
            }
            Event::Progress(p) => {
                item.progress.set(Progress {
                    loaded: p.loaded,
                    total: p.total,
                    sent: p.sent,
                    bytes_per_second: p.bytes_per_second,
                    eta_secs: p.eta.map(|d| d.as_secs_f64()),
                });
                let mut d = Self::detail(item);
                if let Some(o) = d.as_object_mut() {
                    o.insert("loaded".into(), p.loaded.into());
                    o.insert("total".into(), p.total.into());
                    o.insert("sent".into(), p.sent.into());
                }
                self.emit("upload-progress", d);
            }
            Event::Started { method } => item.method.set(Some(*method)),
            Event::Finished(r) => {
                item.media_id.set(Some(r.media_id.clone()));
                item.method.set(Some(r.method));
                item.progress.update(|p| {
                    if let Some(size) = r.size {
                        p.total = size;
                        p.loaded = size;
                    } else {
                        p.loaded = p.total;
                    }
                    p.eta_secs = None;
                });
                let mut d = Self::detail(item);
                if let Some(o) = d.as_object_mut() {
                    o.insert("md5".into(), r.md5.clone().into());
                }
                self.emit("upload-success", d);
            }
            Event::Error(e) if e.code == jw_upload_core::ErrorCode::StatusUnavailable => {
                item.status_note.set(Some(e.message.clone()));
                let mut d = Self::detail(item);
                if let Some(o) = d.as_object_mut() {
                    o.insert("message".into(), e.message.clone().into());
                }
                self.emit("upload-status-unavailable", d);
            }
            Event::Error(e) => {
                if item.phase.with_untracked(|p| *p == Phase::Cancelled) {
                    return;
                }
                self.fail(item, e.message.clone());
            }
            _ => {}
        }
    }
}
