//! Records the handlers update and the state holds: the request log and form upload progress.
//! Plain data with no handler code, so `state.rs` depends on nothing that depends on it.

use std::sync::atomic::{AtomicU16, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

/// One logged request; `status`, `bytes_in` and `first_byte_ms` update while it runs.
#[derive(Debug)]
pub struct LogEntry {
    pub(crate) seq: u64,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) target: &'static str,
    pub(crate) range: Option<String>,
    pub(crate) at_ms: u64,
    pub(crate) status: AtomicU16,
    pub(crate) bytes_in: AtomicU64,
    /// When the first body byte was read: ms since the Unix epoch on the wall clock (0: none
    /// yet), so a page on this machine can compare it with its own `Date.now()`.
    pub(crate) first_byte_ms: AtomicU64,
    pub(crate) fault: Mutex<Option<String>>,
}

impl LogEntry {
    /// Records which faults fired.
    pub fn set_fault(&self, f: String) {
        if let Ok(mut g) = self.fault.lock() {
            *g = Some(f);
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        let fault = self.fault.lock().ok().and_then(|g| g.clone());
        let status = self.status.load(Ordering::SeqCst);
        let first = self.first_byte_ms.load(Ordering::SeqCst);
        json!({
            "seq": self.seq, "method": self.method, "path": self.path, "target": self.target,
            "status": if status == 0 { Value::Null } else { json!(status) },
            "bytes_in": self.bytes_in.load(Ordering::SeqCst),
            "range": self.range, "at_ms": self.at_ms, "fault": fault,
            "first_byte_ms": if first == 0 { Value::Null } else { json!(first) },
        })
    }
}

/// The request log.
#[derive(Debug, Default)]
pub struct Log {
    pub(crate) entries: Mutex<Vec<Arc<LogEntry>>>,
    pub(crate) seq: AtomicU64,
}

impl Log {
    pub(crate) fn push(&self, e: LogEntry) -> Arc<LogEntry> {
        let e = Arc::new(e);
        if let Ok(mut g) = self.entries.lock() {
            g.push(e.clone());
        }
        e
    }
}

const STARTING: u8 = 0;
const UPLOADING: u8 = 1;
const DONE: u8 = 2;
const ERROR: u8 = 3;

/// Progress of the form upload of one token.
#[derive(Debug, Default)]
pub struct Progress {
    state: AtomicU8,
    received: AtomicU64,
    size: AtomicU64,
    status: AtomicU16,
}

impl Progress {
    /// A POST started with `size` bytes announced.
    pub fn start(&self, size: u64) {
        self.received.store(0, Ordering::SeqCst);
        self.size.store(size, Ordering::SeqCst);
        self.state.store(UPLOADING, Ordering::SeqCst);
    }

    /// The file's size, once known (the body's length less the form's framing).
    pub fn set_size(&self, size: u64) {
        self.size.store(size, Ordering::SeqCst);
    }

    /// `n` more bytes arrived.
    pub fn add(&self, n: u64) {
        self.received.fetch_add(n, Ordering::SeqCst);
    }

    /// The upload succeeded.
    pub fn done(&self) {
        self.state.store(DONE, Ordering::SeqCst);
    }

    /// The upload failed with `status`.
    pub fn error(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
        self.state.store(ERROR, Ordering::SeqCst);
    }

    pub(crate) fn to_json(&self) -> Value {
        match self.state.load(Ordering::SeqCst) {
            STARTING => json!({"state":"starting"}),
            UPLOADING => {
                let size = self.size.load(Ordering::SeqCst);
                let received = self.received.load(Ordering::SeqCst);
                // Never past the file's size (the form's closing boundary follows the file).
                let received = if size > 0 {
                    received.min(size)
                } else {
                    received
                };
                json!({"state":"uploading","received":received,"size":size})
            }
            DONE => json!({"state":"done"}),
            _ => json!({"state":"error","status":self.status.load(Ordering::SeqCst)}),
        }
    }
}
