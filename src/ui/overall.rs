//! `<OverallProgress>`: one bar for the whole queue ("2 of 3 done", bytes over all files).

use leptos::prelude::*;

use super::format;
use super::item::Phase;
use super::options::WidgetOptions;
use super::progress_bar::ProgressBar;
use super::queue::Queue;

/// The queue's overall progress.
#[component]
pub fn OverallProgress(
    /// its items.
    queue: Queue,
    /// the labels.
    #[prop(into)]
    options: Signal<WidgetOptions>,
) -> impl IntoView {
    // (loaded, total, done, counted) over the items that were not cancelled.
    let totals = Memo::new(move |_| {
        queue.items.with(|items| {
            let mut t = (0u64, 0u64, 0usize, 0usize);
            for i in items {
                let phase = i.phase.get();
                if matches!(phase, Phase::Cancelled) {
                    continue;
                }
                let p = i.progress.get();
                let done = phase.is_success() || matches!(phase, Phase::Failed(_));
                let total = if p.total > 0 {
                    p.total
                } else {
                    u64::from(done)
                };
                t.0 += if done { total } else { p.loaded.min(total) };
                t.1 += total;
                t.2 += usize::from(phase.is_over() || phase == Phase::Processing);
                t.3 += 1;
            }
            t
        })
    });
    let percent = Signal::derive(move || {
        let (l, t, _, _) = totals.get();
        format::percent(l, t)
    });
    let summary = move || {
        let (_, _, done, count) = totals.get();
        options.with(|o| {
            o.labels.fill(
                "overall_summary",
                &[("done", &done.to_string()), ("count", &count.to_string())],
            )
        })
    };
    let all_done = move || {
        let (_, _, done, count) = totals.get();
        count > 0 && done == count
    };
    view! {
        <div class="overall" part="overall" data-testid="overall">
            <div class="overall-text">
                <span class="overall-summary" data-testid="overall-summary">{summary}</span>
                <span class="overall-percent">{move || format!("{} %", percent.get())}</span>
            </div>
            <ProgressBar value=percent
                label=Signal::derive(move || options.with(|o| o.labels.get("overall")))
                text=Signal::derive(move || format!("{} %", percent.get()))
                tone=Signal::derive(move || if all_done() { "done" } else { "active" })
                test_id="overall-progress"/>
        </div>
    }
}
