//! `<UploadSettings>`: the method and resource-kind selectors, where the options offer them.

use jw_upload_core::link::Resource;
use jw_upload_core::Method;
use leptos::prelude::*;
use web_sys::Event;

use super::options::{parse_name, WidgetOptions};

fn name_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The selectors: method (when `options.methods` is set), resource kind (when
/// `options.resources` has more than one), and the video key for thumbnails and tracks.
#[component]
pub fn UploadSettings(
    /// read and changed by the selectors.
    options: RwSignal<WidgetOptions>,
) -> impl IntoView {
    let label = move |key: &str| options.with(|o| o.labels.get(key));
    let show_methods = move || options.with(|o| !o.methods.is_empty());
    let show_resources = move || options.with(|o| o.resources.len() > 1);
    let needs_key = move || options.with(|o| o.resource != Resource::Video);
    view! {
        <Show when=move || show_methods() || show_resources()>
            <div class="settings" part="settings">
                <Show when=show_methods>
                    <label class="field">
                        <span class="field-label">{move || label("method")}</span>
                        <select class="select" part="select" data-testid="method"
                            on:change=move |ev: Event| {
                                let v = event_target_value(&ev);
                                options.update(|o| o.method = parse_name::<Method>(&v));
                            }>
                            <option value="auto" selected=move || options.with(|o| o.method.is_none())>
                                {move || label("method_auto")}
                            </option>
                            <For each=move || options.with(|o| o.methods.clone())
                                key=|m| *m
                                children=move |m: Method| {
                                    let name = m.as_str();
                                    view! {
                                        <option value=name
                                            selected=move || options.with(|o| o.method == Some(m))>
                                            {move || label(&format!("method_{name}"))}
                                        </option>
                                    }
                                }/>
                        </select>
                    </label>
                </Show>
                <Show when=show_resources>
                    <label class="field">
                        <span class="field-label">{move || label("resource")}</span>
                        <select class="select" part="select" data-testid="resource"
                            on:change=move |ev: Event| {
                                let v = event_target_value(&ev);
                                options.update(|o| {
                                    o.resource = parse_name::<Resource>(&v).unwrap_or_default()
                                });
                            }>
                            <For each=move || options.with(|o| o.resources.clone())
                                key=|r| name_of(r)
                                children=move |r: Resource| {
                                    let name = name_of(&r);
                                    let key = format!("resource_{name}");
                                    view! {
                                        <option value=name.clone()
                                            selected=move || options.with(|o| o.resource == r)>
                                            {move || label(&key)}
                                        </option>
                                    }
                                }/>
                        </select>
                    </label>
                    <Show when=needs_key>
                        <label class="field">
                            <span class="field-label">{move || label("video_key")}</span>
                            <input class="input" part="input" type="text" data-testid="video-key"
                                autocomplete="off" spellcheck="false"
                                prop:value=move || options.with(|o| o.video_key.clone())
                                on:input=move |ev| {
                                    let v = event_target_value(&ev);
                                    options.update(|o| o.video_key = v.trim().to_owned());
                                }/>
                        </label>
                    </Show>
                </Show>
            </div>
        </Show>
    }
}
