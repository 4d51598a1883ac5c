//! Small inline SVG icons (stroke `currentColor`, hidden from assistive technology).

use leptos::prelude::*;

/// An icon by name: `upload`, `pause`, `play`, `x`, `retry`, `trash`, `link`, `check`, `alert`.
#[component]
pub fn Icon(
    /// The icon's name.
    name: &'static str,
) -> impl IntoView {
    let d = match name {
        "upload" => "M12 16V4m0 0l-5 5m5-5l5 5M4 16v3a1 1 0 001 1h14a1 1 0 001-1v-3",
        "pause" => "M9 5v14M15 5v14",
        "play" => "M7 4.5v15l12-7.5z",
        "x" => "M6 6l12 12M18 6L6 18",
        "retry" => "M4 12a8 8 0 0114-5.3M20 4v5h-5M20 12a8 8 0 01-14 5.3M4 20v-5h5",
        "trash" => "M5 7h14M10 7V4h4v3M7 7l1 13h8l1-13",
        "link" => "M10 14a4 4 0 005.7 0l3-3a4 4 0 00-5.7-5.7l-1 1M14 10a4 4 0 00-5.7 0l-3 3a4 4 0 005.7 5.7l1-1",
        "check" => "M5 12.5l4.5 4.5L19 7",
        "alert" => "M12 8v5m0 3.5v.5M10.3 4.2L2.8 17.5A2 2 0 004.5 20.5h15a2 2 0 001.7-3L13.7 4.2a2 2 0 00-3.4 0z",
        _ => "",
    };
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="20" height="20" fill="none"
            stroke="currentColor" stroke-width="2" stroke-linecap="round"
            stroke-linejoin="round" aria-hidden="true" focusable="false">
            <path d=d></path>
        </svg>
    }
}
