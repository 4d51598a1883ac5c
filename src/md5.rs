//! MD5 of byte ranges of the file, computed in wasm (RustCrypto md-5) inside a Web Worker.
//!
//! The worker (`js/md5-worker.js`) instantiates this same wasm module without its JS glue and
//! calls the plain-number exports below; it reads each range in 1 MiB steps into one buffer in
//! wasm memory, so hashing a part never holds more than that buffer.

use litemap::LiteMap;
use std::cell::{Cell, RefCell};
use std::ops::Range;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use md5::{Digest, Md5};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, MessageEvent, Worker};

use crate::source::{bytes_to_f64, js_message};

struct HashState {
    buffer: Vec<u8>,
    hasher: Md5,
    out: [u8; 16],
}

thread_local! {
    static STATE: RefCell<HashState> = RefCell::new(HashState {
        buffer: Vec::new(),
        hasher: Md5::new(),
        out: [0; 16],
    });
}

/// Worker export: makes the input buffer at least `len` bytes; returns its address.
#[doc(hidden)]
#[wasm_bindgen(skip_typescript)]
pub fn md5_buffer(len: u32) -> u32 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let len = len as usize;
        if s.buffer.len() < len {
            s.buffer.resize(len, 0);
        }
        s.buffer.as_ptr() as usize as u32
    })
}

/// Worker export: starts a new digest.
#[doc(hidden)]
#[wasm_bindgen(skip_typescript)]
pub fn md5_reset() {
    STATE.with(|s| s.borrow_mut().hasher = Md5::new());
}

/// Worker export: hashes the first `len` bytes of the buffer.
#[doc(hidden)]
#[wasm_bindgen(skip_typescript)]
pub fn md5_update(len: u32) {
    STATE.with(|s| {
        let s = &mut *s.borrow_mut();
        let len = (len as usize).min(s.buffer.len());
        s.hasher.update(&s.buffer[..len]);
    })
}

/// Worker export: finishes the digest; returns the address of its 16 bytes.
#[doc(hidden)]
#[wasm_bindgen(skip_typescript)]
pub fn md5_finish() -> u32 {
    STATE.with(|s| {
        let s = &mut *s.borrow_mut();
        let hasher = std::mem::replace(&mut s.hasher, Md5::new());
        s.out.copy_from_slice(&hasher.finalize());
        s.out.as_ptr() as usize as u32
    })
}

/// MD5 hex of `bytes` (for small inputs on the calling thread, and for tests).
pub fn md5_hex(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

type Pending = Rc<RefCell<LiteMap<u32, (Function, Function)>>>;

/// The upload's progress reaches the worker in steps of at least this many bytes (or at the
/// end of the range): enough for the worker's pacing, few messages.
const PACE_STEP: u64 = 256 * 1024;

/// A digest the upload of its range can pace: the range, its id, the bytes last told the worker.
struct Paced {
    range: (u64, u64),
    id: u32,
    told: u64,
}

/// A Web Worker that hashes byte ranges of files. Dropping it terminates the worker.
pub struct Md5Worker {
    worker: Worker,
    pending: Pending,
    next_id: Cell<u32>,
    /// Digests running, by range: [`Md5Worker::pace`] tells the worker what their upload sent.
    paced: RefCell<Vec<Paced>>,
    /// Why the worker cannot hash (its script or module failed to load), once it is known.
    broken: Rc<RefCell<Option<String>>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Md5Worker {
    /// Starts the worker and hands it this wasm module.
    pub fn new() -> Result<Md5Worker, String> {
        let url = wasm_bindgen::link_to!(module = "/js/md5-worker.js");
        let worker = Worker::new(&url).map_err(|e| js_message(&e))?;
        let pending: Pending = Rc::default();
        let on_message = {
            let pending = pending.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                let data = e.data();
                let get = |k: &str| Reflect::get(&data, &JsValue::from_str(k)).ok();
                let Some(id) = get("id").and_then(|v| v.as_f64()) else {
                    return;
                };
                let Some((resolve, reject)) = pending.borrow_mut().remove(&(id as u32)) else {
                    return;
                };
                match get("md5").filter(|v| v.is_string()) {
                    Some(md5) => drop(resolve.call1(&JsValue::NULL, &md5)),
                    None => drop(reject.call1(
                        &JsValue::NULL,
                        &get("message").unwrap_or_else(|| "md5 worker failed".into()),
                    )),
                }
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // A worker that fails to load (script or module) reports it only here: every digest
        // waiting on it, and every later one, fails instead of waiting forever.
        let broken: Rc<RefCell<Option<String>>> = Rc::default();
        let on_error = {
            let (pending, broken) = (pending.clone(), broken.clone());
            Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
                let why = Reflect::get(&e, &JsValue::from_str("message"))
                    .ok()
                    .and_then(|m| m.as_string())
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| "the md5 worker failed to start".into());
                broken.borrow_mut().get_or_insert(why.clone());
                let waiting: Vec<_> = std::mem::take(&mut *pending.borrow_mut())
                    .into_iter()
                    .collect();
                for (_, (_, reject)) in waiting {
                    drop(reject.call1(&JsValue::NULL, &JsValue::from_str(&why)));
                }
            })
        };
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        worker.set_onmessageerror(Some(on_error.as_ref().unchecked_ref()));
        let init = Object::new();
        let _ = Reflect::set(&init, &"type".into(), &"init".into());
        let _ = Reflect::set(&init, &"module".into(), &wasm_bindgen::module());
        worker.post_message(&init).map_err(|e| js_message(&e))?;
        Ok(Md5Worker {
            worker,
            pending,
            next_id: Cell::new(1),
            paced: RefCell::default(),
            broken,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// MD5 hex of bytes `range` of `file`.
    pub async fn digest(&self, file: &Blob, range: Range<u64>) -> Result<String, String> {
        let (Some(start), Some(end)) = (bytes_to_f64(range.start), bytes_to_f64(range.end)) else {
            return Err("range too large".into());
        };
        if let Some(why) = self.broken.borrow().clone() {
            return Err(why);
        }
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        let pending = self.pending.clone();
        let promise = Promise::new(&mut |resolve, reject| {
            pending.borrow_mut().insert(id, (resolve, reject));
        });
        let msg = Object::new();
        let _ = Reflect::set(&msg, &"type".into(), &"md5".into());
        let _ = Reflect::set(&msg, &"id".into(), &id.into());
        let _ = Reflect::set(&msg, &"file".into(), file);
        let _ = Reflect::set(&msg, &"start".into(), &start.into());
        let _ = Reflect::set(&msg, &"end".into(), &end.into());
        if let Err(e) = self.worker.post_message(&msg) {
            self.pending.borrow_mut().remove(&id);
            return Err(js_message(&e));
        }
        self.paced.borrow_mut().push(Paced {
            range: (range.start, range.end),
            id,
            told: 0,
        });
        let result = JsFuture::from(promise).await;
        self.paced.borrow_mut().retain(|p| p.id != id);
        match result {
            Ok(v) => v
                .as_string()
                .ok_or_else(|| "md5 worker sent no digest".into()),
            Err(e) => Err(js_message(&e)),
        }
    }
}

impl Md5Worker {
    /// The upload of `range` has sent `sent` bytes of it: a digest of that range running in the
    /// worker keeps pace with it (hashes at most a few MiB ahead, `js/md5-worker.js`), so it
    /// never takes the core the sending needs in bursts.
    pub fn pace(&self, range: &Range<u64>, sent: u64) {
        let mut paced = self.paced.borrow_mut();
        let key = (range.start, range.end);
        let Some(p) = paced.iter_mut().rev().find(|p| p.range == key) else {
            return;
        };
        let len = range.end.saturating_sub(range.start);
        if sent < p.told.saturating_add(PACE_STEP) && sent < len {
            return;
        }
        p.told = sent;
        let Some(sent) = bytes_to_f64(sent) else {
            return;
        };
        let msg = Object::new();
        let _ = Reflect::set(&msg, &"type".into(), &"pace".into());
        let _ = Reflect::set(&msg, &"id".into(), &p.id.into());
        let _ = Reflect::set(&msg, &"sent".into(), &sent.into());
        let _ = self.worker.post_message(&msg);
    }
}

impl Drop for Md5Worker {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.set_onmessageerror(None);
        self.worker.terminate();
    }
}
