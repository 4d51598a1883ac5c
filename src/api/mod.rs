//! The JS API: `new Uploader(options)`, `upload(file, opts)`, `importUrl(url, metadata)`,
//! `pause()`, `resume()`, `cancel()`, and typed events on an `EventTarget`.

mod events;
mod js;
mod options;
mod types;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Promise};
use jw_upload_core::{link::Resource, Config, Method, UploadError};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Blob, EventTarget};

pub use js::{js_error, to_js};
pub(crate) use options::{configure, credential_source};
pub use types::*;

use crate::driver::{Driver, UploadInfo};
use crate::md5::Md5Worker;
use crate::timer;
use crate::{probe, store};
use events::make_sink;
use js::{get, get_str, reject, usage_error};
use options::{plan_file, resolve_source, Prepared};

pub(crate) type Settle = Rc<RefCell<Option<(Function, Function)>>>;

pub(crate) struct Shared {
    options: JsValue,
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
                options,
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
        let source: JsValue = source.into();
        let shared = self.shared.clone();
        self.start(move |cancelled| async move {
            let (file, handle) = resolve_source(source).await?;
            let (mut cfg, info) = plan_file(&file, &opts)?;
            configure(&shared.options, &mut cfg);
            if cfg.verify && shared.md5_worker().is_none() {
                cfg.verify = false;
            }
            let check_duration = cfg.resource == Resource::Video
                && cfg.method != Some(Method::Fetch)
                && probe::is_media(&file);
            // Limits first (no read, no request), then the 2-second rule, then resume.
            jw_upload_core::Upload::new(cfg.clone(), timer::now()).map_err(|e| js_error(&e))?;
            if check_duration {
                let seconds = probe::video_duration(&file).await;
                jw_upload_core::check_duration(seconds).map_err(|e| js_error(&e))?;
            }
            let (upload, key, _restored) = store::new_or_restored(cfg, &file)
                .await
                .map_err(|e| js_error(&e))?;
            if cancelled.get() {
                return Err(js_error(&UploadError::cancelled()));
            }
            Ok((
                upload,
                Some(file.unchecked_into::<Blob>()),
                info,
                key,
                handle,
            ))
        })
    }

    /// Asks the platform to fetch `url` itself (a fetch upload); resolves like `upload`.
    #[wasm_bindgen(js_name = importUrl)]
    pub fn import_url(&self, url: String, metadata: JsValue) -> UploadPromise {
        let metadata = serde_wasm_bindgen::from_value(metadata)
            .ok()
            .filter(|v: &serde_json::Value| v.is_object())
            .unwrap_or_else(|| serde_json::json!({ "title": url }));
        let info = UploadInfo {
            metadata,
            download_url: Some(url.clone()),
            ..UploadInfo::default()
        };
        let shared = self.shared.clone();
        self.start(move |_| async move {
            let mut cfg = Config::fetch(url);
            configure(&shared.options, &mut cfg);
            let upload =
                jw_upload_core::Upload::new(cfg, timer::now()).map_err(|e| js_error(&e))?;
            Ok((upload, None, info, None, None))
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
    /// `processing`, `ready`, `success`, `error`.
    #[wasm_bindgen(js_name = addEventListener)]
    pub fn add_event_listener(&self, kind: &str, listener: &Listener) -> Result<(), JsValue> {
        self.shared
            .target
            .add_event_listener_with_callback(kind, listener.unchecked_ref())
    }

    /// Removes a listener.
    #[wasm_bindgen(js_name = removeEventListener)]
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
        F: FnOnce(Rc<Cell<bool>>) -> Fut + 'static,
        Fut: std::future::Future<Output = Result<Prepared, JsValue>> + 'static,
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
            let prepared = prepare(cancelled.clone()).await;
            shared.starting.borrow_mut().take();
            let (upload, file, info, key, handle) = match prepared {
                Ok(p) if !cancelled.get() => p,
                Ok(_) => {
                    settle_with(&settle, Err(js_error(&UploadError::cancelled())));
                    return;
                }
                Err(e) => {
                    settle_with(&settle, Err(e));
                    return;
                }
            };
            let md5 = if upload.config().verify && file.is_some() {
                shared.md5_worker()
            } else {
                None
            };
            let sink = make_sink(shared.clone(), settle);
            let driver = Driver::start(
                upload,
                file,
                info,
                credential_source(&shared.options),
                md5,
                sink,
            );
            if let Some(key) = key {
                driver.persist_to(key, handle);
            }
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
