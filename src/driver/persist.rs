//! Saving the upload's progress for resuming after a reload (IndexedDB via `store`), and
//! removing the record when the upload finishes or is cancelled.

use jw_upload_core::Event;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;

use super::{Inner, SAVE_EVERY_MS};
use crate::timer;

impl Inner {
    /// Keeps the resume record in step with what the server acknowledged.
    pub(super) fn after_events(&mut self, events: &[Event]) {
        if self.resume.is_none() || events.is_empty() {
            return;
        }
        let finished = events.iter().any(|e| matches!(e, Event::Finished(_)));
        let cancelled = events.iter().any(
            |e| matches!(e, Event::Error(err) if err.code == jw_upload_core::ErrorCode::Cancelled),
        );
        if finished || cancelled {
            if let Some(r) = self.resume.take() {
                spawn_local(async move {
                    let _ = crate::store::remove(&r.key).await;
                });
            }
            return;
        }
        let milestone = events
            .iter()
            .any(|e| matches!(e, Event::PartComplete { .. } | Event::StateChanged { .. }));
        self.save(milestone);
    }

    /// Saves the snapshot now if `force`, else when the last save is old enough.
    pub(super) fn save(&mut self, force: bool) {
        let now = timer::now().0;
        let Some(r) = self.resume.as_mut() else {
            return;
        };
        if !force && now.saturating_sub(r.last_save_ms) < SAVE_EVERY_MS {
            return;
        }
        r.last_save_ms = now;
        let (key, handle) = (r.key.clone(), r.handle.clone());
        let Ok(snapshot) = serde_json::to_string(&self.upload.snapshot()) else {
            return;
        };
        spawn_local(async move {
            if let Err(e) = crate::store::save(&key, &snapshot, handle.as_ref()).await {
                web_sys::console::warn_1(&JsValue::from_str(&format!(
                    "jw-upload: could not save resume record: {e}"
                )));
            }
        });
    }
}
