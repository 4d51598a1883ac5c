//! `use_announcer` and `<LiveRegion>`: a polite ARIA live region that reads out starts, errors
//! and completion to screen-reader users.

use leptos::prelude::*;

/// Says things in the live region. Copy it freely.
#[derive(Clone, Copy, Debug)]
pub struct Announcer {
    message: RwSignal<String>,
}

impl Announcer {
    /// Replaces what the live region says (an identical message is said again).
    pub fn say(&self, text: impl Into<String>) {
        let text = text.into();
        self.message.update(|m| {
            // A trailing no-break space toggles so a repeated message still changes the text.
            *m = if m.trim_end_matches('\u{a0}') == text && !m.ends_with('\u{a0}') {
                format!("{text}\u{a0}")
            } else {
                text
            };
        });
    }

    /// The current message.
    pub fn message(&self) -> Signal<String> {
        self.message.into()
    }
}

/// A new announcer; render its [`LiveRegion`] once.
pub fn use_announcer() -> Announcer {
    Announcer {
        message: RwSignal::new(String::new()),
    }
}

/// The live region: visually hidden, `role="status"`, `aria-live="polite"`.
#[component]
pub fn LiveRegion(
    /// where the messages come from.
    announcer: Announcer,
) -> impl IntoView {
    view! {
        <div class="sr-only" role="status" aria-live="polite" aria-atomic="true"
            data-testid="live-region">
            {move || announcer.message().get()}
        </div>
    }
}
