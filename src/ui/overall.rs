//! `<OverallProgress>`: one bar for the whole queue ("2 of 3 done, 1 failed", bytes over the
//! files still wanted), coloured by the outcome.

use leptos::prelude::*;

use super::format;
use super::item::Phase;
use super::options::WidgetOptions;
use super::progress_bar::ProgressBar;
use super::queue::Queue;

/// The queue counted by outcome. `done` is ready or uploaded (processing is not done yet);
/// failed and cancelled rows are counted apart and leave the byte totals.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    /// Bytes acknowledged over the rows still wanted or done.
    pub loaded: u64,
    /// Their sizes.
    pub total: u64,
    /// Ready or uploaded.
    pub done: usize,
    /// Uploaded, the platform still processing.
    pub processing: usize,
    /// Failed.
    pub failed: usize,
    /// Cancelled by the user.
    pub cancelled: usize,
    /// Every row.
    pub count: usize,
}

impl Totals {
    /// Counts one row.
    pub fn add(&mut self, phase: &Phase, loaded: u64, total: u64) {
        self.count += 1;
        match phase {
            Phase::Cancelled => return self.cancelled += 1,
            Phase::Failed(_) => return self.failed += 1,
            Phase::Processing => self.processing += 1,
            Phase::Ready | Phase::Uploaded => self.done += 1,
            _ => {}
        }
        let total = total.max(1);
        let finished = matches!(phase, Phase::Ready | Phase::Uploaded | Phase::Processing);
        self.loaded += if finished { total } else { loaded.min(total) };
        self.total += total;
    }

    /// Rows still uploading, waiting or paused.
    pub fn running(&self) -> usize {
        self.count - self.done - self.processing - self.failed - self.cancelled
    }

    /// Nothing more will happen (processing still may).
    pub fn over(&self) -> bool {
        self.count > 0 && self.running() == 0 && self.processing == 0
    }

    /// The bar's colour: green only when every row succeeded; red when all are over and one
    /// failed; neutral when all are over and some were cancelled; else in progress.
    pub fn tone(&self) -> &'static str {
        if !self.over() {
            "active"
        } else if self.failed > 0 {
            "failed"
        } else if self.cancelled > 0 {
            "cancelled"
        } else {
            "done"
        }
    }

    /// Whole percent over the rows still wanted; `None` when there are none (all failed or
    /// cancelled: no percent to show).
    pub fn percent(&self) -> Option<u32> {
        let wanted = self.count - self.failed - self.cancelled;
        (wanted > 0).then(|| format::percent_until(self.loaded, self.total, self.running() == 0))
    }
}

/// The summary in words: "2 of 3 done, 1 failed, 1 cancelled" (no "0 of 0").
pub fn summary_words(t: &Totals, labels: &super::labels::Labels) -> String {
    if t.count == 0 {
        return String::new();
    }
    let mut s = labels.fill(
        "overall_summary",
        &[
            ("done", &t.done.to_string()),
            ("count", &t.count.to_string()),
        ],
    );
    for (n, key) in [
        (t.processing, "overall_processing"),
        (t.failed, "overall_failed"),
        (t.cancelled, "overall_cancelled"),
    ] {
        if n > 0 {
            s.push_str(&labels.fill(key, &[("n", &n.to_string())]));
        }
    }
    s
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
    let totals = Memo::new(move |_| {
        queue.items.with(|items| {
            let mut t = Totals::default();
            for i in items {
                let p = i.progress.get();
                i.phase.with(|phase| t.add(phase, p.loaded, p.total));
            }
            t
        })
    });
    let percent = Signal::derive(move || totals.get().percent().unwrap_or(0));
    let percent_text = move || {
        totals
            .get()
            .percent()
            .map(|p| format!("{p} %"))
            .unwrap_or_default()
    };
    let summary = move || {
        let t = totals.get();
        options.with(|o| summary_words(&t, &o.labels))
    };
    view! {
        <div class="overall" part="overall" data-testid="overall"
            data-outcome=move || totals.get().tone()>
            <div class="overall-text">
                <span class="overall-summary" data-testid="overall-summary">{summary}</span>
                <span class="overall-percent" data-testid="overall-percent">{percent_text}</span>
            </div>
            <ProgressBar value=percent
                label=Signal::derive(move || options.with(|o| o.labels.get("overall")))
                text=Signal::derive(move || {
                    let t = totals.get();
                    options.with(|o| summary_words(&t, &o.labels))
                })
                tone=Signal::derive(move || totals.get().tone())
                test_id="overall-progress"/>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::labels::Labels;

    fn totals(rows: &[(Phase, u64, u64)]) -> Totals {
        let mut t = Totals::default();
        for (p, l, n) in rows {
            t.add(p, *l, *n);
        }
        t
    }

    #[test]
    fn outcomes_are_counted_apart_and_green_only_when_all_succeeded() {
        let l = Labels::default();
        let t = totals(&[(Phase::Failed("x".into()), 10, 10)]);
        assert_eq!(summary_words(&t, &l), "0 of 1 done, 1 failed");
        assert_eq!((t.tone(), t.percent()), ("failed", None));

        let t = totals(&[(Phase::Cancelled, 3, 10)]);
        assert_eq!(summary_words(&t, &l), "0 of 1 done, 1 cancelled");
        assert_eq!((t.tone(), t.percent()), ("cancelled", None));

        let t = totals(&[(Phase::Processing, 10, 10), (Phase::Ready, 10, 10)]);
        assert_eq!(summary_words(&t, &l), "1 of 2 done, 1 processing");
        assert_eq!((t.tone(), t.percent()), ("active", Some(100)));

        let t = totals(&[
            (Phase::Uploaded, 10, 10),
            (Phase::Cancelled, 0, 10),
            (Phase::Uploading, 5, 10),
        ]);
        assert_eq!(summary_words(&t, &l), "1 of 3 done, 1 cancelled");
        assert_eq!((t.tone(), t.percent()), ("active", Some(75)));

        let t = totals(&[(Phase::Ready, 10, 10), (Phase::Uploaded, 10, 10)]);
        assert_eq!((t.tone(), t.percent()), ("done", Some(100)));
        assert_eq!(summary_words(&Totals::default(), &l), "");
    }
}
