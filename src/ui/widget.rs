//! `<UploadWidget>`: the whole widget: header and selectors, drop zone, import from URL, overall
//! progress, the queue, and the live region.

use leptos::prelude::*;

use super::announcer::{use_announcer, LiveRegion};
use super::drop_zone::DropZone;
use super::file_row::FileRow;
use super::import_url::ImportUrl;
use super::options::WidgetOptions;
use super::overall::OverallProgress;
use super::queue::{use_upload_queue_with_options, EventHook, Queue, UseUploadQueueOptions};
use super::settings::UploadSettings;
use super::use_now::use_now;

/// The upload widget.
#[component]
pub fn UploadWidget(
    /// endpoints, method, limits, labels (the selectors change `method`, `resource` and `video_key`).
    options: RwSignal<WidgetOptions>,
    /// told about every start, progress, retry, success, ready and error (the `<jw-upload>` element turns them into DOM events).
    #[prop(optional)]
    on_event: Option<EventHook>,
    /// receives the queue once, for callers that add files from outside.
    #[prop(optional)]
    on_queue: Option<Box<dyn FnOnce(Queue)>>,
) -> impl IntoView {
    let announcer = use_announcer();
    let opts: Signal<WidgetOptions> = options.into();
    let queue = use_upload_queue_with_options(opts, announcer, UseUploadQueueOptions { on_event });
    if let Some(f) = on_queue {
        f(queue);
    }
    let now = use_now(250);
    let label = move |key: &'static str| options.with(|o| o.labels.get(key));
    let has_items = move || queue.items.with(|i| !i.is_empty());
    view! {
        <section class="jwu" part="widget" aria-labelledby="jwu-title" data-testid="widget">
            <header class="head">
                <h2 id="jwu-title" class="title" part="title">{move || label("title")}</h2>
                <UploadSettings options=options/>
            </header>
            <DropZone queue=queue options=opts/>
            <Show when=move || options.with(|o| o.import)>
                <ImportUrl queue=queue options=opts/>
            </Show>
            <Show when=has_items>
                <OverallProgress queue=queue options=opts/>
            </Show>
            <ul class="queue" part="queue" data-testid="queue"
                aria-label=move || label("queue_label") class:empty=move || !has_items()>
                <For each=move || queue.items.get() key=|item| item.id
                    children=move |item| view! {
                        <FileRow item=item queue=queue options=opts now=now/>
                    }/>
            </ul>
            <LiveRegion announcer=announcer/>
        </section>
    }
}
