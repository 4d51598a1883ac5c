//! One way in: everything an upload needs before its first request, for every entry point (the
//! JS `Uploader`, the widget's queue). [`prepare`] resolves the source, builds the config once
//! from typed [`Settings`] and what the backend's `/api/config` says, checks the limits with one engine, applies the 2-second rule,
//! continues the upload stored for the same file (IndexedDB) or starts a new one, and
//! [`Prepared::start`] drives it with its progress saved for resuming after a reload.

use std::rc::Rc;
use std::time::Duration;

use js_sys::{Function, Promise};
use jw_upload_core::contract::Metadata;
use jw_upload_core::{link::Resource, Config, Method, Snapshot, StatusConfig, Upload, UploadError};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, File};

use crate::backend_config::{self, BackendConfig};
use crate::driver::{CredentialSource, Driver, Sink, UploadInfo};
use crate::md5::Md5Worker;
use crate::source::{self, js_message};
use crate::{probe, store, timer};

/// The uploader's settings, typed: parsed once from `UploaderOptions` (`api/options.rs`) or
/// built from the widget's options (`ui/options.rs`). `None` keeps the engine's default.
#[derive(Clone)]
pub struct Settings {
    /// Where credentials come from.
    pub creds: CredentialSource,
    /// Base URL of the v2 upload API (multipart).
    pub upload_api_base: Option<String>,
    /// Multipart parts (and, up to the method's limit, resumable chunks) in flight.
    pub parallel: Option<usize>,
    /// A fixed multipart part size in bytes.
    pub part_size: Option<u64>,
    /// Abort and retry a request after this long without progress.
    pub stall_timeout: Option<Duration>,
    /// Check each part's MD5 against the server's ETag.
    pub verify: Option<bool>,
    /// Follow processing through this backend URL (the media id is appended); relative URLs
    /// are resolved against the page.
    pub status_endpoint: Option<String>,
    /// Where the backend says what it can mint (`None`: the endpoint's sibling `config`;
    /// `""`: ask nothing).
    pub config_endpoint: Option<String>,
    /// Stop following processing after this long (`None`: the engine's 2 hours).
    pub status_timeout: Option<Duration>,
}

impl Settings {
    /// Settings with only a credential source.
    pub fn new(creds: CredentialSource) -> Settings {
        Settings {
            creds,
            upload_api_base: None,
            parallel: None,
            part_size: None,
            stall_timeout: None,
            verify: None,
            status_endpoint: None,
            config_endpoint: None,
            status_timeout: None,
        }
    }

    /// What the credentials endpoint's backend says it can mint (see [`backend_config`]).
    async fn backend_config(&self) -> Option<Rc<BackendConfig>> {
        let CredentialSource::Endpoint {
            url,
            include_cookies,
            ..
        } = &self.creds
        else {
            return None;
        };
        let config = backend_config::config_url(url, self.config_endpoint.as_deref())?;
        backend_config::load(&config, *include_cookies).await
    }

    /// Applies the settings, what the backend said (its upload API base unless one is set;
    /// the methods `auto` chooses among), the clock offset and a fresh retry seed to `cfg`.
    fn apply(&self, cfg: &mut Config, backend: Option<&BackendConfig>) {
        let said = backend.and_then(|b| b.upload_api_base.as_ref());
        if let Some(base) = self.upload_api_base.as_ref().or(said) {
            cfg.upload_api_base = base.clone();
        }
        cfg.available_methods = backend.and_then(|b| b.methods.clone());
        if let Some(n) = self.parallel.filter(|n| *n >= 1) {
            cfg.part_parallel = n;
            cfg.chunk_parallel = n.min(cfg.chunk_parallel.max(1));
        }
        if let Some(n) = self.part_size {
            cfg.fixed_part_size = Some(n);
        }
        if let Some(d) = self.stall_timeout.filter(|d| !d.is_zero()) {
            cfg.stall_timeout = d;
        }
        if let Some(v) = self.verify {
            cfg.verify = v;
        }
        if let Some(url) = &self.status_endpoint {
            // Relative to the page, as a link on it would be ("/api/media" on the page's host).
            let mut status =
                StatusConfig::new(format!("{}/{{id}}", absolute(url).trim_end_matches('/')));
            if let Some(d) = self.status_timeout {
                status.give_up_after = d;
            }
            cfg.status = Some(status);
        }
        if let CredentialSource::Endpoint { url, .. } = &self.creds {
            cfg.credentials_url = Some(absolute(url));
        }
        cfg.seed = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        cfg.wall_clock_offset_ms = Some(timer::wall_now_ms() as i64 - timer::now().0 as i64);
    }
}

/// `url` resolved against the page (`document.baseURI`, `web_sys::Url`); unchanged where there
/// is no page or it does not parse (the request then fails and says so).
pub fn absolute(url: &str) -> String {
    let base = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten());
    base.and_then(|b| web_sys::Url::new_with_base(url, &b).ok())
        .map_or_else(|| url.to_string(), |u| u.href())
}

/// What one file's upload is: from `upload(file, options)` or the widget's row.
#[derive(Clone, Debug, Default)]
pub struct FileSettings {
    /// The method; `None` is automatic.
    pub method: Option<Method>,
    /// The resource kind; `None` is a video (and the backend is not told).
    pub resource: Option<Resource>,
    /// Metadata for the platform (a JS object; its `title` defaults to the file name).
    pub metadata: Option<JsValue>,
    /// For thumbnails and tracks: the video they belong to.
    pub video_key: Option<String>,
}

/// Why an upload did not start.
#[derive(Debug)]
pub enum Refused {
    /// The caller asked for something impossible (`code` as the JS API names it).
    Usage {
        /// A stable code (`invalid_options`).
        code: &'static str,
        /// In plain words.
        message: String,
    },
    /// The engine's checks (limits, the 2-second rule).
    Upload(UploadError),
    /// The browser refused (reading a `FileSystemFileHandle`).
    Js(JsValue),
}

impl Refused {
    /// The reason in plain words (what the widget shows, the JS `Error`'s `message`).
    pub fn message(&self) -> String {
        match self {
            Refused::Usage { message, .. } => message.clone(),
            Refused::Upload(e) => e.message.clone(),
            Refused::Js(v) => js_message(v),
        }
    }
}

impl From<UploadError> for Refused {
    fn from(e: UploadError) -> Self {
        Refused::Upload(e)
    }
}

/// Where the upload's progress is saved for resuming: the file's fingerprint, and its
/// `FileSystemFileHandle` when it came from one.
pub struct ResumeRecord {
    /// The IndexedDB key (`store::fingerprint`).
    pub key: String,
    /// The handle, kept so a reload can continue without choosing the file again.
    pub handle: Option<JsValue>,
}

/// An upload ready to send its first request.
pub struct Prepared {
    /// The engine (new, or restored from the record of the same file).
    pub upload: Upload,
    /// The bytes (`None` for an import).
    pub file: Option<Blob>,
    /// What the backend is told.
    pub info: UploadInfo,
    /// Where progress is saved (`None`: not resumable, e.g. an import).
    pub resume: Option<ResumeRecord>,
    /// Whether the engine continues an interrupted upload.
    pub restored: bool,
    /// The MD5 worker, when parts are verified.
    pub md5: Option<Rc<Md5Worker>>,
}

impl Prepared {
    /// Drives the upload, saving its progress under its resume record; events go to `sink`
    /// (never before this returns, so the caller holds the driver when its listeners run).
    pub fn start(self, creds: CredentialSource, sink: Sink) -> Driver {
        let driver = Driver::start(self.upload, self.file, self.info, creds, self.md5, sink);
        if let Some(r) = self.resume {
            driver.persist_to(r.key, r.handle);
        }
        driver
    }
}

/// Prepares the upload of `source` (a `File`, a `FileSystemFileHandle`, or a File-like
/// object). `md5` is asked for the worker only when parts are verified.
pub async fn prepare(
    source: JsValue,
    settings: &Settings,
    file_settings: &FileSettings,
    md5: impl FnOnce() -> Option<Rc<Md5Worker>>,
) -> Result<Prepared, Refused> {
    let (file, handle) = resolve_source(source).await?;
    let info = describe(&file, file_settings);
    let mut cfg = Config::new(info.size, info.name.clone(), info.content_type.clone());
    cfg.method = file_settings.method;
    cfg.resource = file_settings.resource.unwrap_or_default();
    let backend = settings.backend_config().await;
    settings.apply(&mut cfg, backend.as_deref());
    let md5 = if cfg.verify { md5() } else { None };
    cfg.verify = md5.is_some();
    // Limits first (no read, no request), then the 2-second rule, then resume.
    let fresh = Upload::new(cfg.clone(), timer::now())?;
    if cfg.resource == Resource::Video
        && cfg.method != Some(Method::Fetch)
        && probe::is_media(&file)
    {
        jw_upload_core::check_duration(probe::video_duration(&file).await)?;
    }
    let key = store::fingerprint(&file).await.ok();
    let record = match &key {
        Some(k) => store::load(k).await.ok().flatten(),
        None => None,
    };
    let restored = record
        .and_then(|r| serde_json::from_str::<Snapshot>(&r.snapshot).ok())
        .filter(|snap| snap.method == fresh.method())
        .and_then(|snap| Upload::restore(cfg, snap, timer::now()).ok());
    Ok(Prepared {
        restored: restored.is_some(),
        upload: restored.unwrap_or(fresh),
        file: Some(file.unchecked_into()),
        info,
        resume: key.map(|key| ResumeRecord { key, handle }),
        md5,
    })
}

/// Prepares an import: the platform fetches `url` itself (`metadata`'s title defaults to it).
pub fn prepare_import(
    url: String,
    settings: &Settings,
    metadata: Option<JsValue>,
) -> Result<Prepared, Refused> {
    let info = UploadInfo {
        metadata: with_title(metadata, &url),
        download_url: Some(url.clone()),
        ..UploadInfo::default()
    };
    let mut cfg = Config::fetch(url);
    settings.apply(&mut cfg, None);
    Ok(Prepared {
        upload: Upload::new(cfg, timer::now())?,
        file: None,
        info,
        resume: None,
        restored: false,
        md5: None,
    })
}

/// What the backend is told about `file`.
fn describe(file: &File, s: &FileSettings) -> UploadInfo {
    let blob: &Blob = file.as_ref();
    UploadInfo {
        name: file.name(),
        size: source::size_of(blob),
        content_type: blob.type_(),
        metadata: with_title(s.metadata.clone(), &file.name()),
        resource: s.resource,
        video_key: s.video_key.clone(),
        download_url: None,
    }
}

/// `metadata` (an object: anything else is dropped) with a `title` (`title` by default), as the
/// JSON text the backend is sent (`JSON.stringify`: the wasm carries no JSON value type).
fn with_title(metadata: Option<JsValue>, title: &str) -> Option<Metadata> {
    let m = js_sys::Object::new();
    if let Some(v) = metadata.filter(|v| v.is_object() && !js_sys::Array::is_array(v)) {
        js_sys::Object::assign(&m, v.unchecked_ref());
    }
    let key = JsValue::from_str("title");
    if !js_sys::Reflect::has(&m, &key).unwrap_or(false) {
        let _ = js_sys::Reflect::set(&m, &key, &JsValue::from_str(title));
    }
    let text = js_sys::JSON::stringify(&m).ok()?.as_string()?;
    Metadata::from_json(text).ok()
}

/// A `File`, or the `File` of a `FileSystemFileHandle` (kept for resuming).
async fn resolve_source(source: JsValue) -> Result<(File, Option<JsValue>), Refused> {
    if source.is_instance_of::<File>() {
        return Ok((source.unchecked_into(), None));
    }
    let get = |k: &str| {
        js_sys::Reflect::get(&source, &JsValue::from_str(k))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    };
    if let Some(get_file) = get("getFile").and_then(|f| f.dyn_into::<Function>().ok()) {
        let pending = get_file.call0(&source).map_err(Refused::Js)?;
        let file = JsFuture::from(Promise::resolve(&pending))
            .await
            .map_err(Refused::Js)?;
        return Ok((file.unchecked_into(), Some(source)));
    }
    // A File-like object (name, size, type, slice): accepted as it is.
    if get("size").is_some() {
        return Ok((source.unchecked_into(), None));
    }
    Err(Refused::Usage {
        code: "invalid_options",
        message: "upload(source) needs a File or a FileSystemFileHandle".into(),
    })
}
