//! The loop that drives one upload: feeds the core what happened, performs what it asks
//! (requests, aborts, credentials, digests), arms its one timer, and hands events to a sink.

use litemap::LiteMap;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

use jw_upload_core::link::Resource;
use jw_upload_core::{Event, FileInfo, Method, RequestId, Task, Upload, UploadRequest};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::spawn_local;
use web_sys::Blob;

use crate::md5::Md5Worker;
use crate::timer::{self, Timeout};
use crate::transport::fetch::AbortOnDrop;
use crate::transport::xhr::Xhr;
use browser::listen_browser;

mod browser;
mod coalesce;
mod perform;
mod persist;

/// Where credentials come from: the customer's backend, or a JS callback.
#[derive(Clone)]
pub enum CredentialSource {
    /// `POST` the upload description to this URL (e.g. `/api/uploads`).
    Endpoint {
        /// The URL.
        url: String,
        /// Extra headers (e.g. a CSRF token).
        headers: Vec<(String, String)>,
        /// Send cookies to a backend on another origin.
        include_cookies: bool,
    },
    /// `getUpload(fileInfo)` returning (a Promise of) the platform's reply.
    Callback(js_sys::Function),
}

/// What the backend is told about the upload: the fields of its request
/// ([`UploadRequest`], the one definition both sides use) that do not change between calls.
#[derive(Clone, Debug, Default)]
pub struct UploadInfo {
    /// File name.
    pub name: String,
    /// File size.
    pub size: u64,
    /// MIME type.
    pub content_type: String,
    /// Metadata for the platform (title...), as JSON text.
    pub metadata: Option<jw_upload_core::contract::Metadata>,
    /// Resource kind; `None` is a video (and the backend is not told).
    pub resource: Option<Resource>,
    /// For thumbnails and tracks: the video they belong to.
    pub video_key: Option<String>,
    /// For fetch uploads.
    pub download_url: Option<String>,
}

impl UploadInfo {
    /// The request the backend's `POST /api/uploads` (or `getUpload`) takes.
    pub fn request(&self, method: Method, media_id: Option<&str>) -> UploadRequest {
        UploadRequest {
            method: Some(method),
            file: Some(FileInfo {
                name: self.name.clone(),
                size: self.size,
                content_type: Some(self.content_type.clone()),
            }),
            metadata: self.metadata.clone(),
            media_id: media_id.map(str::to_owned),
            resource: self.resource,
            video_key: self.video_key.clone(),
            download_url: self.download_url.clone(),
        }
    }
}

/// Receives the engine's events (after the driver has acted on them).
pub type Sink = Rc<dyn Fn(&Event)>;

/// One upload being driven. Dropping it aborts everything in flight.
pub struct Driver(Rc<RefCell<Inner>>);

struct Inner {
    upload: Upload,
    file: Option<Blob>,
    info: UploadInfo,
    creds: CredentialSource,
    xhrs: LiteMap<RequestId, Xhr>,
    /// Control calls and credentials calls, aborted when dropped.
    fetches: LiteMap<RequestId, AbortOnDrop>,
    md5: Option<Rc<Md5Worker>>,
    timer: Option<Timeout>,
    sink: Sink,
    me: Weak<RefCell<Inner>>,
    listeners: Vec<BrowserListener>,
    resume: Option<Resume>,
    coalescer: coalesce::Coalescer,
}

/// Where progress is saved for resuming after a reload (see `store`).
struct Resume {
    key: String,
    handle: Option<JsValue>,
    last_save_ms: u64,
}

/// Progress is saved at most this often (besides every finished part or chunk).
const SAVE_EVERY_MS: u64 = 1000;

/// A listener on a browser object, removed when the driver is dropped.
type BrowserListener = (web_sys::EventTarget, &'static str, Closure<dyn FnMut()>);

impl Driver {
    /// Starts driving `upload`, reading bodies from `file`. Nothing is sent and no event reaches
    /// `sink` before this returns (the first drain is queued as a microtask).
    pub fn start(
        upload: Upload,
        file: Option<Blob>,
        info: UploadInfo,
        creds: CredentialSource,
        md5: Option<Rc<Md5Worker>>,
        sink: Sink,
    ) -> Driver {
        let rc = Rc::new_cyclic(|me| {
            RefCell::new(Inner {
                upload,
                file,
                info,
                creds,
                xhrs: LiteMap::new(),
                fetches: LiteMap::new(),
                md5,
                timer: None,
                sink,
                me: me.clone(),
                listeners: Vec::new(),
                resume: None,
                coalescer: Default::default(),
            })
        });
        listen_browser(&rc);
        let online = web_sys::window().is_none_or(|w| w.navigator().on_line());
        if let (false, Ok(mut me)) = (online, rc.try_borrow_mut()) {
            me.upload.set_online(false, timer::now());
        }
        // The first drain runs in a microtask, not here: page code (the first `statechange` or
        // `progress` listener) never runs before the caller holds the driver, so a `cancel()`
        // or `pause()` from it reaches this upload.
        let weak = Rc::downgrade(&rc);
        spawn_local(async move {
            if let Some(rc) = weak.upgrade() {
                pump(&rc);
            }
        });
        Driver(rc)
    }

    /// Saves the upload's progress in IndexedDB under `key` (and the file's
    /// `FileSystemFileHandle`, when it has one) as it goes, so a reload can continue it; the
    /// record is removed when the upload finishes or is cancelled.
    pub fn persist_to(&self, key: String, handle: Option<JsValue>) {
        let mut me = self.0.borrow_mut();
        me.resume = Some(Resume {
            key,
            handle,
            last_save_ms: 0,
        });
        me.save(true);
    }

    /// Pauses (in-flight requests are aborted; acknowledged bytes are kept).
    pub fn pause(&self) {
        with(&Rc::downgrade(&self.0), |u, now| u.pause(now));
    }

    /// Resumes after a pause.
    pub fn resume(&self) {
        with(&Rc::downgrade(&self.0), |u, now| u.resume(now));
    }

    /// Cancels: every request is aborted at once and none starts after; the resume record is
    /// removed.
    pub fn cancel(&self) {
        with(&Rc::downgrade(&self.0), |u, now| u.cancel(now));
        let mut me = self.0.borrow_mut();
        me.xhrs.clear();
        me.fetches.clear();
        me.timer = None;
        if let Some(r) = me.resume.take() {
            spawn_local(async move {
                let _ = crate::store::remove(&r.key).await;
            });
        }
    }

    /// Requests (and credentials calls) currently in flight (for tests and diagnostics).
    pub fn in_flight(&self) -> usize {
        let me = self.0.borrow();
        me.xhrs.len() + me.fetches.len()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Ok(mut me) = self.0.try_borrow_mut() {
            for (target, name, cb) in me.listeners.drain(..) {
                let _ =
                    target.remove_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
            }
            me.xhrs.clear();
            me.fetches.clear();
            me.timer = None;
        }
    }
}

/// Calls `f` on the engine with the current time, then drains it.
fn with(weak: &Weak<RefCell<Inner>>, f: impl FnOnce(&mut Upload, jw_upload_core::Millis)) {
    let Some(rc) = weak.upgrade() else { return };
    {
        let Ok(mut me) = rc.try_borrow_mut() else {
            return;
        };
        f(&mut me.upload, timer::now());
    }
    pump(&rc);
}

/// Drains the engine until it has nothing more to say; events go to the sink with no borrow
/// held, so a listener may call back (pause, cancel) safely.
fn pump(rc: &Rc<RefCell<Inner>>) {
    loop {
        let (events, sink) = {
            let Ok(mut me) = rc.try_borrow_mut() else {
                return;
            };
            (me.step(), me.sink.clone())
        };
        if events.is_empty() {
            return;
        }
        for ev in &events {
            sink(ev);
        }
    }
}

impl Inner {
    fn step(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        loop {
            let now = timer::now();
            let mut busy = false;
            while let Some(id) = self.upload.poll_abort() {
                busy = true;
                self.xhrs.remove(&id);
                self.fetches.remove(&id);
            }
            while let Some(task) = self.upload.poll_task() {
                busy = true;
                match task {
                    Task::Credentials {
                        id,
                        method,
                        media_id,
                    } => self.ask_credentials(id, method, media_id.as_deref()),
                    Task::Digest { range } => self.digest(range),
                }
            }
            while let Some(ev) = self.upload.poll_event() {
                busy = true;
                // Progress is a level, not a delta: within one drain only the latest counts.
                if matches!(ev, Event::Progress(_)) {
                    out.retain(|e| !matches!(e, Event::Progress(_)));
                }
                out.push(ev);
            }
            while let Some(req) = self.upload.poll_request(now) {
                busy = true;
                self.perform(req, now);
            }
            if !busy {
                break;
            }
        }
        self.after_events(&out);
        self.arm_timer();
        self.coalesce(out)
    }
}
