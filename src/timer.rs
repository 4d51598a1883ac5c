//! Clocks and a one-shot timer that is cleared when dropped.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use jw_upload_core::Millis;

/// The monotonic clock the engine runs on: `performance.now()` in whole milliseconds.
pub fn now() -> Millis {
    let ms = web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now);
    Millis(if ms.is_finite() && ms > 0.0 {
        ms as u64
    } else {
        0
    })
}

/// Wall-clock time, milliseconds since the Unix epoch (for `Retry-After` dates).
pub fn wall_now_ms() -> u64 {
    let ms = js_sys::Date::now();
    if ms.is_finite() && ms > 0.0 {
        ms as u64
    } else {
        0
    }
}

/// A pending `setTimeout`; dropping it clears the timer and frees the callback.
pub struct Timeout {
    handle: i32,
    _callback: Closure<dyn FnMut()>,
}

impl Timeout {
    /// Calls `f` once after `ms` milliseconds (browsers may call it later, e.g. in a background
    /// tab: the driver then handles every deadline that has passed, so nothing is lost).
    pub fn new(ms: u64, f: impl FnOnce() + 'static) -> Option<Timeout> {
        let mut f = Some(f);
        let callback = Closure::<dyn FnMut()>::new(move || {
            if let Some(f) = f.take() {
                f();
            }
        });
        let delay = i32::try_from(ms).unwrap_or(i32::MAX);
        let handle = web_sys::window()?
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                callback.as_ref().unchecked_ref(),
                delay,
            )
            .ok()?;
        Some(Timeout {
            handle,
            _callback: callback,
        })
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            w.clear_timeout_with_handle(self.handle);
        }
    }
}
