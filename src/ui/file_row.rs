//! `<FileRow>`: one file of the queue: name, size, method, progress, speed, time left, the
//! state in words, and its buttons (pause, resume, cancel, retry, remove).

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

use super::format;
use super::icons::Icon;
use super::item::{Item, Phase};
use super::options::WidgetOptions;
use super::progress_bar::ProgressBar;
use super::queue::Queue;

/// The state in words, e.g. "retrying in 3 s" or "failed: the server refused the file".
/// `restarts`: the method sends the whole file in one request, so a pause starts it over.
pub fn state_words(phase: &Phase, now_ms: f64, restarts: bool, options: &WidgetOptions) -> String {
    let l = &options.labels;
    match phase {
        Phase::Retrying { at_ms } => l.fill("state_retrying", &[("n", &countdown(*at_ms, now_ms))]),
        Phase::Paused if restarts => l.get("state_paused_restarts"),
        Phase::Failed(reason) => l.fill("state_failed", &[("reason", &lower_first(reason))]),
        other => l.get(&format!("state_{}", other.name())),
    }
}

/// Whole seconds until `at_ms`, rounded up: "1" in the last second, "0" once due.
fn countdown(at_ms: f64, now_ms: f64) -> String {
    let n = ((at_ms - now_ms) / 1000.0).ceil().max(0.0) as u64;
    n.to_string()
}

/// "The server refused" → "the server refused" (after "failed: "), leaving acronyms alone.
fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_lowercase() => {
            a.to_lowercase().chain(s.chars().skip(1)).collect()
        }
        _ => s.to_owned(),
    }
}

/// After the row re-renders, focuses the first of its buttons named by `testids` (a button that
/// disappears under the keyboard focus would drop it on the page's body).
fn focus_after_render(row: NodeRef<html::Li>, testids: &'static [&'static str]) {
    request_animation_frame(move || {
        let Some(li) = row.get_untracked() else {
            return;
        };
        for t in testids {
            let found = li
                .query_selector(&format!("[data-testid=\"{t}\"]"))
                .ok()
                .flatten()
                .and_then(|el| el.dyn_into::<HtmlElement>().ok());
            if let Some(el) = found {
                let _ = el.focus();
                return;
            }
        }
    });
}

/// Where the focus goes when this row is removed: the next (or previous) row's first button,
/// else the drop zone.
fn focus_after_removal(row: NodeRef<html::Li>) -> Option<HtmlElement> {
    let li = row.get_untracked()?;
    let sibling = li
        .next_element_sibling()
        .or_else(|| li.previous_element_sibling());
    sibling
        .and_then(|s| s.query_selector(".actions button").ok().flatten())
        .or_else(|| {
            li.closest(".jwu")
                .ok()
                .flatten()
                .and_then(|root| root.query_selector(".drop").ok().flatten())
        })
        .and_then(|el| el.dyn_into::<HtmlElement>().ok())
}

/// A short badge from the file name's extension (`MP4`), or the resource kind.
fn badge(item: &Item) -> String {
    if item.url.is_some() {
        return "URL".into();
    }
    item.name
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|e| !e.is_empty() && e.len() <= 4 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .map_or_else(|| "FILE".into(), str::to_ascii_uppercase)
}

/// One row.
#[component]
pub fn FileRow(
    /// the file and its state.
    item: Item,
    /// what the buttons act on.
    queue: Queue,
    /// the labels.
    #[prop(into)]
    options: Signal<WidgetOptions>,
    /// a ticking clock for the retry countdown.
    #[prop(into)]
    now: Signal<f64>,
) -> impl IntoView {
    let id = item.id;
    let name = item.name.clone();
    let phase = item.phase;
    let progress = item.progress;
    let label = move |key: &str| options.with(|o| o.labels.get(key));
    let percent = Signal::derive(move || {
        let p = progress.get();
        format::percent_until(p.loaded, p.total, phase.with(Phase::is_success))
    });
    let sending = Signal::derive(move || {
        let p = progress.get();
        format::percent_until(p.sent, p.total, phase.with(Phase::is_success))
    });
    let size_text = move || {
        let p = progress.get();
        match (item.size, p.total) {
            (Some(s), _) => format::bytes(s),
            (None, t) if t > 0 => format::bytes(t),
            _ => String::new(),
        }
    };
    let method_text = move || {
        item.method
            .get()
            .map(|m| label(&format!("method_{}", m.as_str())))
            .unwrap_or_else(|| label("method_auto"))
    };
    let status_note = item.status_note;
    // Whether pausing throws the bytes sent away (a single-request method).
    let restarts = move || item.method.get().is_some_and(|m| m.single_request());
    let state_text = move || {
        let p = phase.get();
        if p == Phase::Uploaded && status_note.with(Option::is_some) {
            return options.with(|o| o.labels.get("state_status_unavailable"));
        }
        let t = if matches!(p, Phase::Retrying { .. }) {
            // The signal only wakes this up; the clock itself is read now, so the countdown is
            // never a tick late (it showed one second too many).
            now.track();
            crate::timer::now().0 as f64
        } else {
            0.0
        };
        let r = restarts();
        options.with(|o| state_words(&p, t, r, o))
    };
    // Speed and time left while uploading; the media key once the platform has the file.
    let rate_text = move || {
        if phase.with(|p| p.is_success()) {
            return item
                .media_id
                .get()
                .map(|key| options.with(|o| o.labels.fill("media_key", &[("key", &key)])))
                .unwrap_or_default();
        }
        if !phase.with(|p| *p == Phase::Uploading) {
            return String::new();
        }
        let p = progress.get();
        let mut parts = Vec::new();
        if let Some(bps) = p.bytes_per_second.filter(|b| *b > 0.0) {
            parts.push(format::speed(bps));
        }
        if let Some(eta) = p.eta_secs {
            parts.push(options.with(|o| o.labels.fill("left", &[("t", &format::duration(eta))])));
        }
        if parts.is_empty() && p.sent > p.loaded {
            // Handed to the browser, nothing measured yet: say so rather than a number.
            let b = format::bytes(p.sent - p.loaded);
            parts.push(options.with(|o| o.labels.fill("sending", &[("b", &b)])));
        }
        parts.join(" · ")
    };
    let tone = Signal::derive(move || match phase.get() {
        Phase::Failed(_) => "failed",
        Phase::Cancelled => "cancelled",
        Phase::Paused | Phase::Offline | Phase::Retrying { .. } | Phase::Queued => "paused",
        Phase::Ready | Phase::Uploaded => "done",
        Phase::Processing | Phase::Verifying | Phase::Completing => "busy",
        _ => "active",
    });
    let n1 = name.clone();
    let bar_label =
        Signal::derive(move || options.with(|o| o.labels.fill("progress_of", &[("name", &n1)])));
    let bar_text = Signal::derive(move || format!("{} %, {}", percent.get(), state_text()));
    let n2 = StoredValue::new(name.clone());
    let aria = move |action: &'static str| {
        move || {
            options.with(|o| {
                n2.with_value(|n| {
                    o.labels.fill(
                        "action_on",
                        &[("action", &o.labels.get(action)), ("name", n)],
                    )
                })
            })
        }
    };
    let is_import = item.url.is_some();
    let can_pause = move || {
        phase.with(|p| {
            matches!(
                p,
                Phase::Waiting | Phase::Uploading | Phase::Offline | Phase::Retrying { .. }
            )
        }) && !is_import
    };
    let can_cancel = move || phase.with(|p| !p.is_over() && *p != Phase::Processing);
    let refused = item.refusal.is_some();
    let can_retry =
        move || !refused && phase.with(|p| matches!(p, Phase::Failed(_) | Phase::Cancelled));
    let is_paused = move || phase.with(|p| *p == Phase::Paused);
    let can_remove = move || phase.with(|p| p.is_over() || *p == Phase::Processing);
    let status_icon = move || match phase.get() {
        Phase::Ready | Phase::Uploaded => {
            Some(view! { <span class="state-icon ok"><Icon name="check"/></span> }.into_any())
        }
        Phase::Failed(_) => {
            Some(view! { <span class="state-icon bad"><Icon name="alert"/></span> }.into_any())
        }
        _ => None,
    };
    let badge_text = badge(&item);
    let row = NodeRef::<html::Li>::new();
    view! {
        <li class="row" part="row" data-testid="file-row" node_ref=row
            data-state=move || phase.with(|p| p.name())
            data-method=move || item.method.get().map(|m| m.as_str()).unwrap_or("auto")
            data-media-id=move || item.media_id.get().unwrap_or_default()>
            <span class="badge" part="badge" aria-hidden="true">{badge_text}</span>
            <div class="row-main">
                <div class="row-top">
                    <span class="name" part="file-name" data-testid="file-name" title=name.clone()>
                        {name.clone()}
                    </span>
                    <span class="meta" data-testid="file-meta">
                        <span data-testid="file-size">{size_text}</span>
                        <Show when=move || !size_text().is_empty()>
                            <span class="dot" aria-hidden="true">"·"</span>
                        </Show>
                        <span class="method" data-testid="file-method">{method_text}</span>
                    </span>
                </div>
                <ProgressBar value=percent label=bar_label text=bar_text tone=tone
                    test_id="file-progress" sending=sending/>
                <div class="row-bottom">
                    <span class=move || format!("state {}", phase.with(|p| p.name()))
                        data-testid="file-state" title=move || status_note.get()>
                        {status_icon}
                        <span>{state_text}</span>
                    </span>
                    <span class="rate" data-testid="file-rate">{rate_text}</span>
                </div>
            </div>
            <div class="actions" part="actions">
                <Show when=move || can_pause() || is_paused()>
                    // One button that toggles, so the focus stays on it.
                    <button type="button" class="icon-btn" part="button"
                        data-testid=move || if is_paused() { "resume" } else { "pause" }
                        aria-label=move || {
                            if is_paused() { aria("resume")() }
                            else if restarts() { aria("pause_restarts")() }
                            else { aria("pause")() }
                        }
                        title=move || label(if is_paused() { "resume" }
                            else if restarts() { "pause_restarts" } else { "pause" })
                        data-restarts=move || restarts().to_string()
                        on:click=move |_| {
                            if is_paused() { queue.resume(id) } else { queue.pause(id) }
                        }>
                        {move || if is_paused() {
                            view! { <Icon name="play"/> }
                        } else {
                            view! { <Icon name="pause"/> }
                        }}
                    </button>
                </Show>
                <Show when=can_retry>
                    <button type="button" class="icon-btn" part="button" data-testid="retry"
                        aria-label=aria("retry") title=move || label("retry")
                        on:click=move |_| {
                            queue.retry(id);
                            focus_after_render(row, &["pause", "cancel", "remove"]);
                        }>
                        <Icon name="retry"/>
                    </button>
                </Show>
                <Show when=can_cancel>
                    <button type="button" class="icon-btn danger" part="button" data-testid="cancel"
                        aria-label=aria("cancel") title=move || label("cancel")
                        on:click=move |_| {
                            queue.cancel(id);
                            focus_after_render(row, &["retry", "remove"]);
                        }>
                        <Icon name="x"/>
                    </button>
                </Show>
                <Show when=can_remove>
                    <button type="button" class="icon-btn" part="button" data-testid="remove"
                        aria-label=aria("remove") title=move || label("remove")
                        on:click=move |_| {
                            let next = focus_after_removal(row);
                            queue.remove(id);
                            if let Some(el) = next {
                                request_animation_frame(move || {
                                    let _ = el.focus();
                                });
                            }
                        }>
                        <Icon name="trash"/>
                    </button>
                </Show>
            </div>
        </li>
    }
}
