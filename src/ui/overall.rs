//! `<OverallProgress>`: one bar for the whole queue ("2 of 3 done", bytes over all files).

use leptos::prelude::*;

use super::format;
use super::item::Phase;
use super::options::WidgetOptions;
use super::progress_bar::ProgressBar;
use super::queue::Queue;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Totals {
    loaded: u64,
    total: u64,
    done: usize,
    failed: usize,
    count: usize,
}

/// The queue's overall progress.
#[component]
pub fn OverallProgress(
    /// its items.
    queue: Queue,
    /// the labels.
    #[prop(into)]
    options: Signal<WidgetOptions>,
) -> impl IntoView {
    // Bytes over the items still wanted (not cancelled, not failed), and the counts.
    let totals = Memo::new(move |_| {
        queue.items.with(|items| {
            let mut t = Totals::default();
            for i in items {
                let phase = i.phase.get();
                match phase {
                    Phase::Cancelled => continue,
                    Phase::Failed(_) => {
                        t.failed += 1;
                        t.count += 1;
                        continue;
                    }
                    _ => {}
                }
                let p = i.progress.get();
                let done = phase.is_success();
                let total = if p.total > 0 { p.total } else { 1 };
                t.loaded += if done { total } else { p.loaded.min(total) };
                t.total += total;
                t.done += usize::from(done);
                t.count += 1;
            }
            t
        })
    });
    let percent = Signal::derive(move || {
        let t = totals.get();
        format::percent_until(
            t.loaded,
            t.total,
            t.count > 0 && t.done + t.failed == t.count,
        )
    });
    let summary = move || {
        let t = totals.get();
        options.with(|o| {
            let mut s = o.labels.fill(
                "overall_summary",
                &[
                    ("done", &t.done.to_string()),
                    ("count", &t.count.to_string()),
                ],
            );
            if t.failed > 0 {
                s.push_str(
                    &o.labels
                        .fill("overall_failed", &[("n", &t.failed.to_string())]),
                );
            }
            s
        })
    };
    let all_done = move || {
        let t = totals.get();
        t.count > 0 && t.done + t.failed == t.count
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
