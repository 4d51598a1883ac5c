//! `<ImportUrl>`: "Import from URL": the platform fetches the file itself (a fetch upload).

use leptos::html;
use leptos::prelude::*;
use web_sys::SubmitEvent;

use super::icons::Icon;
use super::options::WidgetOptions;
use super::queue::Queue;

/// Whether `url` is a full http(s) address.
pub fn is_http_url(url: &str) -> bool {
    let u = url.trim();
    (u.starts_with("http://") || u.starts_with("https://"))
        && u.len() > "https://".len()
        && !u.chars().any(char::is_whitespace)
}

/// The import form.
#[component]
pub fn ImportUrl(
    /// receives the import.
    queue: Queue,
    /// the labels.
    #[prop(into)]
    options: Signal<WidgetOptions>,
) -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    let error = RwSignal::new(false);
    let label = move |key: &'static str| options.with(|o| o.labels.get(key));
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(i) = input.get() else { return };
        let url = i.value().trim().to_owned();
        if is_http_url(&url) {
            error.set(false);
            i.set_value("");
            queue.import_url(url);
        } else {
            error.set(true);
            let _ = i.focus();
        }
    };
    view! {
        <form class="import" part="import" on:submit=submit novalidate data-testid="import-form">
            <label class="import-label" for="jwu-import-url">
                <Icon name="link"/>
                <span>{move || label("import_label")}</span>
            </label>
            <div class="import-row">
                <input id="jwu-import-url" class="input" part="input" type="url" inputmode="url"
                    autocomplete="off" spellcheck="false" node_ref=input data-testid="import-url"
                    placeholder=move || label("import_placeholder")
                    aria-invalid=move || error.get().to_string()
                    aria-describedby=move || error.get().then_some("jwu-import-error")
                    on:input=move |_| error.set(false)/>
                <button class="btn btn-secondary" part="button" type="submit"
                    data-testid="import-button">
                    {move || label("import_button")}
                </button>
            </div>
            <Show when=move || error.get()>
                <p class="field-error" id="jwu-import-error" data-testid="import-error">
                    {move || label("import_invalid")}
                </p>
            </Show>
        </form>
    }
}
