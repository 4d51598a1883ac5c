//! Engine events as DOM `CustomEvent`s on the uploader's `EventTarget`, and the upload
//! Promise settled by `Finished` or `Error`.

use std::cell::RefCell;
use std::rc::Rc;

use jw_upload_core::Event;
use wasm_bindgen::prelude::*;
use web_sys::{CustomEvent, CustomEventInit};

use super::js::{js_error, num_or_null, object, result_js, str_or_null, to_js};
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
                let name = ("state", JsValue::from_str(state.name()));
                if let jw_upload_core::State::Retrying {
                    attempt,
                    delay,
                    reason,
                } = state
                {
                    let extra = [
                        ("attempt", JsValue::from(*attempt)),
                        ("delay", JsValue::from_f64(delay.as_millis() as f64)),
                        ("reason", JsValue::from_str(&reason.to_string())),
                    ];
                    fire("retry", object(&extra));
                    let [a, d, r] = extra;
                    fire("statechange", object(&[name, a, d, r]));
                } else {
                    fire("statechange", object(&[name]));
                }
            }
            Event::Progress(p) => fire(
                "progress",
                object(&[
                    ("loaded", JsValue::from_f64(p.loaded as f64)),
                    ("total", JsValue::from_f64(p.total as f64)),
                    ("sent", JsValue::from_f64(p.sent as f64)),
                    ("bytesPerSecond", num_or_null(p.bytes_per_second)),
                    ("eta", num_or_null(p.eta.map(|d| d.as_secs_f64()))),
                ]),
            ),
            Event::Stalled { kind, .. } => fire("stalled", to_js(kind)),
            Event::PartComplete { part, range, etag } => fire(
                "partcomplete",
                object(&[
                    ("part", JsValue::from(*part)),
                    ("start", JsValue::from_f64(range.start as f64)),
                    ("end", JsValue::from_f64(range.end as f64)),
                    ("etag", str_or_null(etag.as_deref())),
                ]),
            ),
            Event::Processing(m) | Event::Ready(m) => {
                let name = if matches!(ev, Event::Ready(_)) {
                    "ready"
                } else {
                    "processing"
                };
                fire(
                    name,
                    object(&[
                        ("id", JsValue::from_str(&m.id)),
                        (
                            "state",
                            JsValue::from_str(&format!("{:?}", m.state).to_ascii_lowercase()),
                        ),
                        ("errorMessage", str_or_null(m.error_message.as_deref())),
                        ("duration", num_or_null(m.duration)),
                    ]),
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
