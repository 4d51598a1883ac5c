//! The `<jw-upload>` element's Rust side: `mountUploadWidget(host, mountPoint)` mounts the
//! widget into the element's shadow root and turns queue events into DOM events on the host
//! (bubbling, `composed`, so they cross the shadow boundary). The element class itself is
//! `js/jw-upload-element.js`.

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{CustomEvent, CustomEventInit, File, HtmlElement};

use super::options::{WidgetOptions, ATTRIBUTES};
use super::queue::{EventHook, Queue};
use super::widget::UploadWidget;

/// What the mount hands back out of the widget: its options and its queue.
type Mounted = (RwSignal<WidgetOptions>, Queue);

/// A mounted widget, returned to the element; dropping (`free()`) it unmounts the widget.
#[wasm_bindgen]
pub struct WidgetHandle {
    options: RwSignal<WidgetOptions>,
    queue: Rc<RefCell<Option<Queue>>>,
    _mounted: Box<dyn Any>,
}

/// Mounts the widget in `mount_point` (inside `host`'s shadow root), configured from `host`'s
/// attributes; events are dispatched on `host` as `upload-start`, `upload-progress`,
/// `upload-retry`, `upload-success`, `upload-ready`, `upload-error`, `upload-cancel` and
/// `queue-complete`.
#[wasm_bindgen(js_name = mountUploadWidget)]
pub fn mount_upload_widget(host: HtmlElement, mount_point: HtmlElement) -> WidgetHandle {
    let mut initial = WidgetOptions::default();
    for name in ATTRIBUTES {
        initial.set_attribute(name, host.get_attribute(name).as_deref());
    }
    let slot: Rc<RefCell<Option<Mounted>>> = Rc::new(RefCell::new(None));
    let hook: EventHook = Rc::new(move |name: &str, detail: serde_json::Value| {
        let init = CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        init.set_detail(&crate::api::to_js(&detail));
        if let Ok(ev) = CustomEvent::new_with_event_init_dict(name, &init) {
            let _ = host.dispatch_event(&ev);
        }
    });
    let filled = slot.clone();
    let mounted = leptos::mount::mount_to(mount_point, move || {
        let options = RwSignal::new(initial);
        let on_queue: Box<dyn FnOnce(Queue)> = Box::new(move |q| {
            *filled.borrow_mut() = Some((options, q));
        });
        view! { <UploadWidget options=options on_event=hook on_queue=on_queue/> }
    });
    let (options, queue) = match slot.borrow_mut().take() {
        Some((o, q)) => (o, Some(q)),
        None => (RwSignal::new(WidgetOptions::default()), None),
    };
    WidgetHandle {
        options,
        queue: Rc::new(RefCell::new(queue)),
        _mounted: Box::new(mounted),
    }
}

#[wasm_bindgen]
impl WidgetHandle {
    /// An attribute changed (`null`: removed).
    #[wasm_bindgen(js_name = setOption)]
    pub fn set_option(&self, name: &str, value: Option<String>) {
        self.options
            .try_update(|o| o.set_attribute(name, value.as_deref()));
    }

    /// Queues files (a `FileList` or an array of `File`s); anything else is ignored.
    #[wasm_bindgen(js_name = addFiles)]
    pub fn add_files(&self, files: JsValue) {
        let files: Vec<File> = if let Some(list) = files.dyn_ref::<web_sys::FileList>() {
            super::drop_zone::files_of(Some(list.clone()))
        } else if js_sys::Array::is_array(&files) {
            js_sys::Array::from(&files)
                .iter()
                .filter_map(|f| f.dyn_into::<File>().ok())
                .collect()
        } else {
            Vec::new()
        };
        if let Some(q) = self.queue.borrow().as_ref() {
            q.add_files(files);
        }
    }

    /// Whether leaving the page now would stop an upload the user asked for (bytes still to
    /// send, or waiting to start) and the `leave-warning` attribute is not `false`: the
    /// element's `beforeunload` listener asks the browser to confirm then.
    #[wasm_bindgen(js_name = warnOnLeave)]
    pub fn warn_on_leave(&self) -> bool {
        let on = self
            .options
            .try_with_untracked(|o| o.leave_warning)
            .unwrap_or(false);
        on && self.queue.borrow().as_ref().is_some_and(|q| {
            q.items.with_untracked(|items| {
                items.iter().any(|i| {
                    i.phase
                        .with_untracked(|p| !p.is_over() && *p != super::item::Phase::Processing)
                })
            })
        })
    }

    /// Imports a URL (the platform fetches it).
    #[wasm_bindgen(js_name = importUrl)]
    pub fn import_url(&self, url: String) {
        if let Some(q) = self.queue.borrow().as_ref() {
            if super::import_url::is_http_url(&url) {
                q.import_url(url);
            }
        }
    }
}
