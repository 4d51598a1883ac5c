//! Browser signals the upload follows: `online`/`offline` and `visibilitychange`.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use super::{with, Inner};

/// `online`/`offline` (the engine waits, costing no attempt) and `visibilitychange` (a tab
/// coming back catches up on timers the browser throttled while it was hidden).
pub(super) fn listen_browser(rc: &Rc<RefCell<Inner>>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let weak = Rc::downgrade(rc);
    let add = |target: web_sys::EventTarget, name: &'static str, f: Box<dyn Fn()>| {
        let cb = Closure::<dyn FnMut()>::new(f);
        if target
            .add_event_listener_with_callback(name, cb.as_ref().unchecked_ref())
            .is_ok()
        {
            if let Ok(mut me) = rc.try_borrow_mut() {
                me.listeners.push((target, name, cb));
            }
        }
    };
    let w = weak.clone();
    add(
        window.clone().into(),
        "online",
        Box::new(move || with(&w, |u, now| u.set_online(true, now))),
    );
    let w = weak.clone();
    add(
        window.clone().into(),
        "offline",
        Box::new(move || with(&w, |u, now| u.set_online(false, now))),
    );
    if let Some(doc) = window.document() {
        let w = weak;
        add(
            doc.into(),
            "visibilitychange",
            Box::new(move || with(&w, |u, now| u.handle_timeout(now))),
        );
    }
}
