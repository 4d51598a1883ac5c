//! The JS API: `new Uploader(options)`, `upload(file, opts)`, `importUrl(url, metadata)`,
//! `pause()`, `resume()`, `cancel()`, and typed events on an `EventTarget`.

mod events;
mod js;
mod options;
mod types;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Promise};
use jw_upload_core::UploadError;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::EventTarget;

pub use js::{js_error, to_js};
pub use types::*;

use crate::driver::Driver;
use crate::md5::Md5Worker;
use crate::session::{self, Prepared, Refused, Settings};
use crate::store;
use events::make_sink;
use js::{get, get_str, refused_js, reject, usage_error};
use options::{file_settings_of, metadata_of, settings_of};

pub(crate) type Settle = Rc<RefCell<Option<(Function, Function)>>>;

pub(crate) struct Shared {
    settings: Settings,
    target: EventTarget,
    driver: RefCell<Option<Driver>>,
    /// Set while an upload is being prepared (file handle, checks, resume lookup); `cancel()`
    /// flips it so the upload never starts.
    starting: RefCell<Option<Rc<Cell<bool>>>>,
    md5: RefCell<Option<Rc<Md5Worker>>>,
}

/// Uploads files to the JW Platform from the browser. An upload in progress holds its uploader
/// until it ends: keeping only the Promise is enough, and neither the garbage collector nor
/// `free()` stops it; `cancel()` does.
#[wasm_bindgen]
pub struct Uploader {
    shared: Rc<Shared>,
}

#[wasm_bindgen]
impl Uploader {
    /// A new uploader. `options.endpoint` or `options.getUpload` is required.
    #[wasm_bindgen(constructor)]
    pub fn new(options: UploaderOptions) -> Result<Uploader, JsValue> {
        let options: JsValue = options.into();
        if get_str(&options, "endpoint").is_none() && get(&options, "getUpload").is_none() {
            return Err(usage_error(
                "invalid_options",
                "new Uploader(options) needs `endpoint` (your backend's upload URL) or `getUpload`",
            ));
        }
        let target = EventTarget::new()?;
        Ok(Uploader {
            shared: Rc::new(Shared {
                settings: settings_of(&options),
                target,
                driver: RefCell::new(None),
                starting: RefCell::new(None),
                md5: RefCell::new(None),
            }),
        })
    }

    /// Uploads `source` (a `File`, or a `FileSystemFileHandle` from the File System Access
    /// picker, which is kept so a reload can resume without choosing the file again); resolves
    /// with `{mediaId, size, md5, method}` once the platform has all the bytes, rejects with an
    /// `Error` carrying `code`, `status`, `retryable`. Choosing a file whose upload was
    /// interrupted (same name, size, date and first/last 64 KiB) continues it.
    pub fn upload(&self, source: UploadSource, options: Option<UploadOptions>) -> UploadPromise {
        let opts: JsValue = options.map(Into::into).unwrap_or(JsValue::UNDEFINED);
        let file_settings = match file_settings_of(&opts) {
            Ok(f) => f,
            Err(e) => return reject(refused_js(&e)),
        };
        let source: JsValue = source.into();
        let shared = self.shared.clone();
        self.start(move || async move {
            session::prepare(source, &shared.settings, &file_settings, || {
                shared.md5_worker()
            })
            .await
        })
    }

    /// Asks the platform to fetch `url` itself (a fetch upload); resolves like `upload`.
    #[wasm_bindgen(js_name = importUrl)]
    pub fn import_url(&self, url: String, metadata: JsValue) -> UploadPromise {
        let shared = self.shared.clone();
        self.start(move || async move {
            session::prepare_import(url, &shared.settings, metadata_of(metadata))
        })
    }

    /// Pauses the upload (requests in flight are aborted; acknowledged bytes are kept).
    pub fn pause(&self) {
        if let Some(d) = self.shared.driver.borrow().as_ref() {
            d.pause();
        }
    }

    /// Resumes a paused upload.
    pub fn resume(&self) {
        if let Some(d) = self.shared.driver.borrow().as_ref() {
            d.resume();
        }
    }

    /// Cancels the upload: every request is aborted, none starts after.
    pub fn cancel(&self) {
        if let Some(flag) = self.shared.starting.borrow_mut().take() {
            flag.set(true);
        }
        let d = self.shared.driver.borrow_mut().take();
        if let Some(d) = d {
            d.cancel();
        }
    }

    /// Interrupted uploads this browser can continue: `[{key, name, size, savedAt, handle?}]`.
    /// An entry with a `handle` (a `FileSystemFileHandle`) continues with
    /// `upload(entry.handle)` after `handle.requestPermission({mode: "read"})`; one without
    /// continues when the user chooses the same file again.
    #[wasm_bindgen(js_name = pendingUploads)]
    pub fn pending_uploads() -> PendingPromise {
        wasm_bindgen_futures::future_to_promise(async {
            let items = store::pending().await.map_err(|e| JsValue::from_str(&e))?;
            Ok(items.into_iter().collect::<js_sys::Array>().into())
        })
        .unchecked_into()
    }

    /// Forgets an interrupted upload (its record; the platform's partial upload expires).
    #[wasm_bindgen(js_name = forgetPending)]
    pub fn forget_pending(key: String) -> Promise {
        wasm_bindgen_futures::future_to_promise(async move {
            store::remove(&key)
                .await
                .map_err(|e| JsValue::from_str(&e))?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Requests in flight right now (0 after `cancel()`).
    #[wasm_bindgen(getter, js_name = requestsInFlight)]
    pub fn requests_in_flight(&self) -> u32 {
        self.shared
            .driver
            .borrow()
            .as_ref()
            .map_or(0, |d| d.in_flight() as u32)
    }

    /// Listens to `progress`, `statechange`, `retry`, `stalled`, `partcomplete`,
    /// `processing`, `ready`, `success`, `error` (typed by `UploaderEventMap` in the `.d.ts`).
    #[wasm_bindgen(js_name = addEventListener, skip_typescript)]
    pub fn add_event_listener(&self, kind: &str, listener: &Listener) -> Result<(), JsValue> {
        self.shared
            .target
            .add_event_listener_with_callback(kind, listener.unchecked_ref())
    }

    /// Removes a listener.
    #[wasm_bindgen(js_name = removeEventListener, skip_typescript)]
    pub fn remove_event_listener(&self, kind: &str, listener: &Listener) -> Result<(), JsValue> {
        self.shared
            .target
            .remove_event_listener_with_callback(kind, listener.unchecked_ref())
    }
}

impl Shared {
    fn md5_worker(&self) -> Option<Rc<Md5Worker>> {
        let mut slot = self.md5.borrow_mut();
        if slot.is_none() {
            match Md5Worker::new() {
                Ok(w) => *slot = Some(Rc::new(w)),
                Err(e) => web_sys::console::warn_1(&JsValue::from_str(&format!(
                    "jw-upload: no MD5 worker ({e}); parts are not verified"
                ))),
            }
        }
        slot.clone()
    }
}

impl Uploader {
    /// Runs `prepare` (which may read the file and ask IndexedDB), then drives the upload it
    /// returns; the Promise settles with the upload's outcome.
    fn start<F, Fut>(&self, prepare: F) -> UploadPromise
    where
        F: FnOnce() -> Fut + 'static,
        Fut: std::future::Future<Output = Result<Prepared, Refused>> + 'static,
    {
        let shared = &self.shared;
        if shared.driver.borrow().is_some() || shared.starting.borrow().is_some() {
            return reject(usage_error(
                "busy",
                "this Uploader is already uploading: cancel it or use another Uploader",
            ));
        }
        let cancelled = Rc::new(Cell::new(false));
        *shared.starting.borrow_mut() = Some(cancelled.clone());
        let settle: Settle = Rc::new(RefCell::new(None));
        let promise = {
            let settle = settle.clone();
            Promise::new(&mut move |resolve, reject| {
                *settle.borrow_mut() = Some((resolve, reject));
            })
        };
        // The upload holds its uploader's state (strongly) until it ends: a page may keep only
        // the Promise, and the garbage collector then frees the JS `Uploader` (wasm-bindgen's
        // FinalizationRegistry), which must not stop the upload.
        let shared = shared.clone();
        spawn_local(async move {
            let prepared = prepare().await;
            shared.starting.borrow_mut().take();
            let prepared = match prepared {
                Ok(p) if !cancelled.get() => p,
                Ok(_) => {
                    settle_with(&settle, Err(js_error(&UploadError::cancelled())));
                    return;
                }
                Err(e) => {
                    settle_with(&settle, Err(refused_js(&e)));
                    return;
                }
            };
            let sink = make_sink(shared.clone(), settle);
            let driver = prepared.start(shared.settings.creds.clone(), sink);
            *shared.driver.borrow_mut() = Some(driver);
        });
        promise.unchecked_into()
    }
}

fn settle_with(settle: &Settle, outcome: Result<JsValue, JsValue>) {
    if let Some((resolve, reject)) = settle.borrow_mut().take() {
        let _ = match outcome {
            Ok(v) => resolve.call1(&JsValue::NULL, &v),
            Err(e) => reject.call1(&JsValue::NULL, &e),
        };
    }
}
