//! Engine events as DOM `CustomEvent`s on the uploader's `EventTarget`, and the upload
//! Promise settled by `Finished` or `Error`.

use std::cell::RefCell;
use std::rc::Rc;

use jw_upload_core::Event;
use wasm_bindgen::prelude::*;
use web_sys::{CustomEvent, CustomEventInit};

use super::js::{js_error, result_js, to_js};
use super::{Settle, Shared};
use crate::driver::Sink;

/// The sink holds the uploader's state strongly while the upload runs (the driver, inside that
/// state, holds the sink: a cycle that ends with the upload), so an upload outlives its JS
/// `Uploader` object; at the terminal state it lets go.
pub(super) fn make_sink(shared: Rc<Shared>, settle: Settle) -> Sink {
    let keep = RefCell::new(Some(shared));
    Rc::new(move |ev: &Event| {
        let Some(shared) = keep.borrow().clone() else {
            return;
        };
        let fire = |name: &str, detail: JsValue| {
            let init = CustomEventInit::new();
            init.set_detail(&detail);
            if let Ok(e) = CustomEvent::new_with_event_init_dict(name, &init) {
                let _ = shared.target.dispatch_event(&e);
            }
        };
        match ev {
            Event::StateChanged { state } => {
                let mut detail = serde_json::json!({ "state": state.name() });
                if let jw_upload_core::State::Retrying {
                    attempt,
                    delay,
                    reason,
                } = state
                {
                    let extra = serde_json::json!({
                        "attempt": attempt, "delay": delay.as_millis() as u64,
                        "reason": reason.to_string(),
                    });
                    if let (Some(d), Some(x)) = (detail.as_object_mut(), extra.as_object()) {
                        d.extend(x.clone());
                    }
                    fire("retry", to_js(&extra));
                }
                fire("statechange", to_js(&detail));
            }
            Event::Progress(p) => fire(
                "progress",
                to_js(&serde_json::json!({
                    "loaded": p.loaded, "total": p.total, "sent": p.sent,
                    "bytesPerSecond": p.bytes_per_second,
                    "eta": p.eta.map(|d| d.as_secs_f64()),
                })),
            ),
            Event::Stalled { kind, .. } => fire("stalled", to_js(kind)),
            Event::PartComplete { part, range, etag } => fire(
                "partcomplete",
                to_js(&serde_json::json!({
                    "part": part, "start": range.start, "end": range.end, "etag": etag,
                })),
            ),
            Event::Processing(m) | Event::Ready(m) => {
                let name = if matches!(ev, Event::Ready(_)) {
                    "ready"
                } else {
                    "processing"
                };
                fire(
                    name,
                    to_js(&serde_json::json!({
                        "id": m.id, "state": format!("{:?}", m.state).to_ascii_lowercase(),
                        "errorMessage": m.error_message, "duration": m.duration,
                    })),
                );
            }
            Event::Finished(r) => {
                let value = result_js(r);
                if let Some((resolve, _)) = settle.borrow_mut().take() {
                    let _ = resolve.call1(&JsValue::NULL, &value);
                }
                fire("success", value);
            }
            Event::Error(e) => {
                let err = js_error(e);
                if let Some((_, reject)) = settle.borrow_mut().take() {
                    let _ = reject.call1(&JsValue::NULL, &err);
                }
                fire("error", err);
            }
            Event::Started { .. } => {}
        }
        if let Event::StateChanged { state } = ev {
            if state.is_terminal() {
                keep.borrow_mut().take();
                // Dropped after this call (the driver runs it), not inside it.
                let driver = shared.driver.borrow_mut().take();
                wasm_bindgen_futures::spawn_local(async move { drop(driver) });
            }
        }
    })
}
