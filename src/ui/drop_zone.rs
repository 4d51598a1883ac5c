//! `<DropZone>`: drop files on it, or click it / press Enter or Space on it to open the picker.

use leptos::html;
use leptos::prelude::*;
use web_sys::{DragEvent, File, FileList, KeyboardEvent};

use super::icons::Icon;
use super::options::WidgetOptions;
use super::queue::Queue;

/// The files of a `FileList` (none when the browser gives none).
pub fn files_of(list: Option<FileList>) -> Vec<File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.item(i)).collect()
}

/// The drop zone and its (hidden) file input; files go to `queue`.
#[component]
pub fn DropZone(
    /// receives the files.
    queue: Queue,
    /// `accept` and the labels.
    #[prop(into)]
    options: Signal<WidgetOptions>,
) -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    let dragging = RwSignal::new(false);
    let open = move || {
        if let Some(i) = input.get() {
            i.click();
        }
    };
    let label = move |key: &'static str| options.with(|o| o.labels.get(key));
    view! {
        <div class="drop" class:dragging=move || dragging.get() part="dropzone" role="button"
            tabindex="0" data-testid="dropzone"
            on:click=move |_| open()
            on:keydown=move |ev: KeyboardEvent| {
                if ev.key() == "Enter" || ev.key() == " " {
                    ev.prevent_default();
                    open();
                }
            }
            on:dragenter=move |ev: DragEvent| {
                ev.prevent_default();
                dragging.set(true);
            }
            on:dragover=move |ev: DragEvent| {
                ev.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=move |ev: DragEvent| {
                ev.prevent_default();
                dragging.set(false);
                let files = files_of(ev.data_transfer().and_then(|d| d.files()));
                if !files.is_empty() {
                    queue.add_files(files);
                }
            }>
            <span class="drop-icon"><Icon name="upload"/></span>
            <span class="drop-title">
                {move || if dragging.get() { label("dragging") } else { label("drop_title") }}
            </span>
            <span class="drop-hint">
                <span class="link-like">{move || label("browse")}</span>
                <span class="drop-keys">{move || label("drop_hint")}</span>
            </span>
        </div>
        <input type="file" multiple hidden node_ref=input data-testid="file-input"
            accept=move || options.with(|o| o.accept.clone())
            on:change=move |_| {
                if let Some(i) = input.get() {
                    let files = files_of(i.files());
                    i.set_value("");
                    if !files.is_empty() {
                        queue.add_files(files);
                    }
                }
            }/>
    }
}
