//! The JS API: `new Uploader(options)`, `upload(file, opts)`, `importUrl(url, metadata)`,
//! `pause()`, `resume()`, `cancel()`, and typed events on an `EventTarget`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use js_sys::{Function, Object, Promise, Reflect};
use jw_upload_core::{
    link::Resource, Config, Event, Method, StatusConfig, UploadError, UploadResult,
};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{Blob, CustomEvent, CustomEventInit, EventTarget, File};

use crate::driver::{CredentialSource, Driver, Sink, UploadInfo};
use crate::md5::Md5Worker;
use crate::source;
use crate::timer;
use crate::{probe, store};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Options of `new Uploader(options)`. */
export interface UploaderOptions {
  /** The customer's backend endpoint that mints uploads (`POST`), e.g. `/api/uploads`. */
  endpoint?: string;
  /** Or a callback returning (a Promise of) the platform's create reply. */
  getUpload?: (fileInfo: UploadRequest) => unknown;
  /** Extra headers for `endpoint` (e.g. `{"X-CSRF-Token": token}`). */
  headers?: Record<string, string>;
  /** Send cookies to an `endpoint` on another origin. */
  withCredentials?: boolean;
  /** Follow processing through the backend: `/api/media` (the id is appended). */
  statusEndpoint?: string;
  /** Base URL of the v2 upload API (multipart). Default `https://api.jwplayer.com`. */
  uploadApiBase?: string;
  /** Multipart parts (or resumable chunks) in flight. Default 4 (resumable: 1). */
  parallel?: number;
  /** Fixed multipart part size in bytes (>= 5 MiB); adaptive by default. */
  partSize?: number;
  /** Abort and retry a request after this many ms without progress. Default 30000. */
  stallTimeout?: number;
  /** Check each part's MD5 against the server's ETag. Default true. */
  verify?: boolean;
}

/** What the uploader sends to the backend endpoint or `getUpload`. */
export interface UploadRequest {
  method: UploadMethod;
  file: { name: string; size: number; type: string };
  metadata: Record<string, unknown>;
  resource?: ResourceKind;
  video_key?: string;
  download_url?: string;
  media_id?: string;
}

export type UploadMethod = "s3" | "form" | "resumable" | "multipart" | "fetch";
export type ResourceKind = "video" | "thumbnail" | "track" | "image" | "skin";

/** Options of one `upload(file, options)`. */
export interface UploadOptions {
  method?: UploadMethod | "auto";
  metadata?: Record<string, unknown>;
  resource?: ResourceKind;
  /** For thumbnails and tracks: the video they belong to. */
  videoKey?: string;
}

/** The result of a finished upload. */
export interface UploadResult {
  mediaId: string;
  size: number | null;
  md5: string | null;
  method: UploadMethod;
}

/** An interrupted upload this browser can continue (`Uploader.pendingUploads()`). */
export interface PendingUpload {
  key: string;
  name: string;
  size: number;
  savedAt: number;
  handle?: FileSystemFileHandle;
}

/** Errors are `Error`s with these fields. */
export interface UploadErrorFields {
  code: string;
  status: number | null;
  retryable: boolean;
  platformCode: string | null;
  platformMessage: string | null;
}

export interface ProgressDetail { loaded: number; total: number; bytesPerSecond: number | null; eta: number | null; }
export interface StateDetail { state: string; attempt?: number; delay?: number; reason?: string; }
export interface RetryDetail { attempt: number; delay: number; reason: string; }
export interface PartDetail { part: number; start: number; end: number; etag: string | null; }
export interface MediaDetail { id: string; state: string; errorMessage: string | null; duration: number | null; }

export interface UploaderEventMap {
  progress: CustomEvent<ProgressDetail>;
  statechange: CustomEvent<StateDetail>;
  retry: CustomEvent<RetryDetail>;
  stalled: CustomEvent<{ kind: string }>;
  partcomplete: CustomEvent<PartDetail>;
  processing: CustomEvent<MediaDetail>;
  ready: CustomEvent<MediaDetail>;
  success: CustomEvent<UploadResult>;
  error: CustomEvent<Error & UploadErrorFields>;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `UploaderOptions` in TypeScript.
    #[wasm_bindgen(typescript_type = "UploaderOptions")]
    pub type UploaderOptions;
    /// `UploadOptions` in TypeScript.
    #[wasm_bindgen(typescript_type = "UploadOptions")]
    pub type UploadOptions;
    /// `File | FileSystemFileHandle` in TypeScript.
    #[wasm_bindgen(typescript_type = "File | FileSystemFileHandle")]
    pub type UploadSource;
    /// `Promise<PendingUpload[]>` in TypeScript.
    #[wasm_bindgen(typescript_type = "Promise<PendingUpload[]>")]
    pub type PendingPromise;
    /// `Promise<UploadResult>` in TypeScript.
    #[wasm_bindgen(typescript_type = "Promise<UploadResult>")]
    pub type UploadPromise;
    /// An event listener.
    #[wasm_bindgen(typescript_type = "(event: CustomEvent) => void")]
    pub type Listener;
}

/// Converts a serde value to a plain JS value (objects, not Maps).
pub fn to_js<T: Serialize + ?Sized>(v: &T) -> JsValue {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn get_str(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).and_then(|v| v.as_string())
}

fn get_num(obj: &JsValue, key: &str) -> Option<f64> {
    get(obj, key).and_then(|v| v.as_f64())
}

/// A JS `Error` with `code`, `status`, `retryable`, `platformCode`, `platformMessage`.
pub fn js_error(e: &UploadError) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&err, &JsValue::from_str(k), &v);
    };
    set("code", JsValue::from_str(e.code.as_str()));
    set("status", e.status.map_or(JsValue::NULL, JsValue::from));
    set("retryable", JsValue::from_bool(e.retryable));
    set(
        "platformCode",
        e.platform_code
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str),
    );
    set(
        "platformMessage",
        e.platform_message
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str),
    );
    err.into()
}

fn usage_error(code: &str, message: &str) -> JsValue {
    let mut e = UploadError::new(jw_upload_core::ErrorCode::InvalidConfig, message, false);
    e.platform_code = None;
    let v = js_error(&e);
    let _ = Reflect::set(&v, &"code".into(), &JsValue::from_str(code));
    v
}

fn result_js(r: &UploadResult) -> JsValue {
    to_js(&serde_json::json!({
        "mediaId": r.media_id, "size": r.size, "md5": r.md5, "method": r.method.as_str(),
    }))
}

type Settle = Rc<RefCell<Option<(Function, Function)>>>;

struct Shared {
    options: JsValue,
    target: EventTarget,
    driver: RefCell<Option<Driver>>,
    /// Set while an upload is being prepared (file handle, checks, resume lookup); `cancel()`
    /// flips it so the upload never starts.
    starting: RefCell<Option<Rc<Cell<bool>>>>,
    md5: RefCell<Option<Rc<Md5Worker>>>,
}

/// Uploads files to the JW Platform from the browser.
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

/// Parses a snake_case enum name (`"multipart"`, `"thumbnail"`).
fn parse_enum<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}

fn reject(e: JsValue) -> UploadPromise {
    Promise::reject(&e).unchecked_into()
}

fn metadata_of(opts: &JsValue, name: &str) -> serde_json::Value {
    let mut m = get(opts, "metadata")
        .and_then(|v| serde_wasm_bindgen::from_value::<serde_json::Value>(v).ok())
        .filter(|v| v.is_object())
        .unwrap_or_else(|| serde_json::json!({}));
    if let Some(obj) = m.as_object_mut() {
        obj.entry("title").or_insert_with(|| name.into());
    }
    m
}

/// Where credentials come from, per `UploaderOptions` (`getUpload`, or `endpoint` + `headers`
/// + `withCredentials`). Shared with the UI (feature `ui`).
pub(crate) fn credential_source(o: &JsValue) -> CredentialSource {
    if let Some(f) = get(o, "getUpload").and_then(|f| f.dyn_into::<Function>().ok()) {
        return CredentialSource::Callback(f);
    }
    let headers = get(o, "headers")
        .map(|h| {
            Object::entries(&h.unchecked_into())
                .iter()
                .filter_map(|pair| {
                    let pair: js_sys::Array = pair.unchecked_into();
                    Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
                })
                .collect()
        })
        .unwrap_or_default();
    CredentialSource::Endpoint {
        url: get_str(o, "endpoint").unwrap_or_default(),
        headers,
        include_cookies: get(o, "withCredentials").and_then(|v| v.as_bool()) == Some(true),
    }
}

/// Applies `UploaderOptions` (`uploadApiBase`, `parallel`, `partSize`, `stallTimeout`, `verify`,
/// `statusEndpoint`) and the clock/seed to `cfg`. Shared with the UI (feature `ui`).
pub(crate) fn configure(o: &JsValue, cfg: &mut Config) {
    if let Some(base) = get_str(o, "uploadApiBase") {
        cfg.upload_api_base = base;
    }
    if let Some(n) = get_num(o, "parallel").filter(|n| *n >= 1.0) {
        cfg.part_parallel = n as usize;
        cfg.chunk_parallel = (n as usize).min(cfg.chunk_parallel.max(1));
    }
    if let Some(n) = get_num(o, "partSize").and_then(source::bytes_from_f64) {
        cfg.fixed_part_size = Some(n);
    }
    if let Some(ms) = get_num(o, "stallTimeout").filter(|n| *n > 0.0) {
        cfg.stall_timeout = Duration::from_millis(ms as u64);
    }
    if let Some(v) = get(o, "verify").and_then(|v| v.as_bool()) {
        cfg.verify = v;
    }
    if let Some(url) = get_str(o, "statusEndpoint") {
        cfg.status = Some(StatusConfig::new(format!(
            "{}/{{id}}",
            url.trim_end_matches('/')
        )));
    }
    cfg.seed = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    cfg.wall_clock_offset_ms = Some(timer::wall_now_ms() as i64 - timer::now().0 as i64);
}

/// What an upload needs to start: the engine, the file, what the backend is told, the resume
/// record key, and the file's `FileSystemFileHandle`.
type Prepared = (
    jw_upload_core::Upload,
    Option<Blob>,
    UploadInfo,
    Option<String>,
    Option<JsValue>,
);

/// A `File`, or the `File` of a `FileSystemFileHandle` (kept for resuming).
async fn resolve_source(source: JsValue) -> Result<(File, Option<JsValue>), JsValue> {
    if source.is_instance_of::<File>() {
        return Ok((source.unchecked_into(), None));
    }
    let get_file = get(&source, "getFile").and_then(|f| f.dyn_into::<Function>().ok());
    if let Some(get_file) = get_file {
        let file = JsFuture::from(Promise::resolve(&get_file.call0(&source)?)).await?;
        return Ok((file.unchecked_into(), Some(source)));
    }
    // A File-like object (name, size, type, slice): accepted as it is.
    if get(&source, "size").is_some() {
        return Ok((source.unchecked_into(), None));
    }
    Err(usage_error(
        "invalid_options",
        "upload(source) needs a File or a FileSystemFileHandle",
    ))
}

/// The engine config and the backend's description of `file` for `upload(file, opts)`.
fn plan_file(file: &File, opts: &JsValue) -> Result<(Config, UploadInfo), JsValue> {
    let blob: &Blob = file.as_ref();
    let info = UploadInfo {
        name: file.name(),
        size: source::size_of(blob),
        content_type: blob.type_(),
        metadata: metadata_of(opts, &file.name()),
        resource: get_str(opts, "resource"),
        video_key: get_str(opts, "videoKey"),
        download_url: None,
    };
    let mut cfg = Config::new(info.size, info.name.clone(), info.content_type.clone());
    cfg.method = match get_str(opts, "method").as_deref() {
        None | Some("auto") | Some("") => None,
        Some(m) => Some(
            parse_enum::<Method>(m)
                .ok_or_else(|| usage_error("invalid_options", &format!("unknown method `{m}`")))?,
        ),
    };
    if let Some(r) = info.resource.as_deref() {
        cfg.resource = parse_enum::<Resource>(r)
            .ok_or_else(|| usage_error("invalid_options", &format!("unknown resource `{r}`")))?;
    }
    Ok((cfg, info))
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
        let weak = Rc::downgrade(shared);
        spawn_local(async move {
            let prepared = prepare(cancelled.clone()).await;
            let Some(shared) = weak.upgrade() else { return };
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
            let sink = make_sink(Rc::downgrade(&shared), settle);
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

fn make_sink(shared: std::rc::Weak<Shared>, settle: Settle) -> Sink {
    Rc::new(move |ev: &Event| {
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let fire = |name: &str, detail: JsValue| {
            let init = CustomEventInit::new();
            init.set_detail(&detail);
            if let Ok(e) = CustomEvent::new_with_event_init_dict(name, &init) {
                let _ = shared.target.dispatch_event(&e);
            }
        };
        match ev {
            Event::StateChanged { state } => {
                let mut detail = serde_json::json!({ "state": state.name() });
                if let jw_upload_core::State::Retrying {
                    attempt,
                    delay,
                    reason,
                } = state
                {
                    let extra = serde_json::json!({
                        "attempt": attempt, "delay": delay.as_millis() as u64,
                        "reason": reason.to_string(),
                    });
                    if let (Some(d), Some(x)) = (detail.as_object_mut(), extra.as_object()) {
                        d.extend(x.clone());
                    }
                    fire("retry", to_js(&extra));
                }
                fire("statechange", to_js(&detail));
            }
            Event::Progress(p) => fire(
                "progress",
                to_js(&serde_json::json!({
                    "loaded": p.loaded, "total": p.total,
                    "bytesPerSecond": p.bytes_per_second,
                    "eta": p.eta.map(|d| d.as_secs_f64()),
                })),
            ),
            Event::Stalled { kind, .. } => fire("stalled", to_js(kind)),
            Event::PartComplete { part, range, etag } => fire(
                "partcomplete",
                to_js(&serde_json::json!({
                    "part": part, "start": range.start, "end": range.end, "etag": etag,
                })),
            ),
            Event::Processing(m) | Event::Ready(m) => {
                let name = if matches!(ev, Event::Ready(_)) {
                    "ready"
                } else {
                    "processing"
                };
                fire(
                    name,
                    to_js(&serde_json::json!({
                        "id": m.id, "state": format!("{:?}", m.state).to_ascii_lowercase(),
                        "errorMessage": m.error_message, "duration": m.duration,
                    })),
                );
            }
            Event::Finished(r) => {
                let value = result_js(r);
                if let Some((resolve, _)) = settle.borrow_mut().take() {
                    let _ = resolve.call1(&JsValue::NULL, &value);
                }
                fire("success", value);
            }
            Event::Error(e) => {
                let err = js_error(e);
                if let Some((_, reject)) = settle.borrow_mut().take() {
                    let _ = reject.call1(&JsValue::NULL, &err);
                }
                fire("error", err);
            }
            Event::NeedCredentials { .. } | Event::NeedDigest { .. } => {}
        }
        if let Event::StateChanged { state } = ev {
            if state.is_terminal() {
                shared.driver.borrow_mut().take();
            }
        }
    })
}
