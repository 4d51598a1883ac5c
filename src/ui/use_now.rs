//! `use_now`: a clock signal (ms since the page loaded) that ticks while the component lives,
//! for countdowns such as "retrying in 3 s".

use std::time::Duration;

use leptos::prelude::*;

/// The time, refreshed every `every_ms`.
pub fn use_now(every_ms: u64) -> Signal<f64> {
    let now = RwSignal::new(crate::timer::now().0 as f64);
    if let Ok(handle) = set_interval_with_handle(
        move || now.set(crate::timer::now().0 as f64),
        Duration::from_millis(every_ms),
    ) {
        on_cleanup(move || handle.clear());
    }
    now.into()
}
