//! `<ProgressBar>`: an ARIA progressbar (0-100, with a text value) drawn as a track and a fill,
//! and optionally a lighter "sending" part after it (handed over, not yet confirmed).

use leptos::prelude::*;

/// A progress bar.
#[component]
pub fn ProgressBar(
    /// whole percent, 0..=100.
    #[prop(into)]
    value: Signal<u32>,
    /// its accessible name ("Upload progress of clip.mp4").
    #[prop(into)]
    label: Signal<String>,
    /// the spoken value (`aria-valuetext`), e.g. "45 %, 3 MB of 7 MB".
    #[prop(into)]
    text: Signal<String>,
    /// a class for the fill's colour (`active`, `paused`, `done`, `failed`).
    #[prop(into)]
    tone: Signal<&'static str>,
    /// its `data-testid`.
    test_id: &'static str,
    /// whole percent handed over but not yet confirmed (`>= value`), drawn after the fill.
    #[prop(optional, into)]
    sending: Option<Signal<u32>>,
) -> impl IntoView {
    let sending_width = move || {
        let v = value.get().min(100);
        sending.map_or(0, |s| s.get().min(100).saturating_sub(v))
    };
    view! {
        <div class="bar" part="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100"
            aria-valuenow=move || value.get().min(100).to_string()
            aria-valuetext=move || text.get()
            aria-label=move || label.get()
            data-testid=test_id>
            <div class=move || format!("bar-fill {}", tone.get()) part="progress-fill"
                style:width=move || format!("{}%", value.get().min(100))></div>
            <div class="bar-sending" part="progress-sending" aria-hidden="true"
                data-testid="progress-sending"
                style:width=move || format!("{}%", sending_width())></div>
        </div>
    }
}
