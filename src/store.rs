//! Resume records in IndexedDB, keyed by a file fingerprint, so choosing the same file after a
//! reload continues its upload. Records hold the engine's snapshot (upload links and tokens the
//! backend minted, never an API secret), expire, and are removed on success or cancel.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, File, IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransactionMode};

use crate::md5::md5_hex;
use crate::source::{self, js_message};
use crate::timer;

const DB: &str = "jw-upload";
const STORE: &str = "uploads";
/// Bytes hashed at each end of the file for its fingerprint.
pub const EDGE: u64 = 64 * 1024;
/// How long a record is kept (multipart upload tokens live 24 h on the platform).
pub const TTL_MS: u64 = 24 * 3600 * 1000;

/// A file's identity across reloads: name, size, lastModified and the MD5 of its first and
/// last 64 KiB.
pub async fn fingerprint(file: &File) -> Result<String, String> {
    let blob: &Blob = file.as_ref();
    let size = source::size_of(blob);
    let head = read(blob, 0..size.min(EDGE)).await?;
    let tail = read(blob, size.saturating_sub(EDGE)..size).await?;
    Ok(format!(
        "{}|{}|{}|{}|{}",
        file.name(),
        size,
        file.last_modified() as u64,
        md5_hex(&head),
        md5_hex(&tail)
    ))
}

async fn read(blob: &Blob, range: std::ops::Range<u64>) -> Result<Vec<u8>, String> {
    if range.is_empty() {
        return Ok(Vec::new());
    }
    let part = source::slice(blob, range).map_err(|e| e.to_string())?;
    let buf = JsFuture::from(part.array_buffer())
        .await
        .map_err(|e| js_message(&e))?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

/// Waits for an IndexedDB request's `success` (its result) or `error`.
async fn done(req: &IdbRequest) -> Result<JsValue, String> {
    let promise = Promise::new(&mut |resolve: Function, reject: Function| {
        let r = req.clone();
        let ok = Closure::once_into_js(move || {
            let _ = resolve.call1(&JsValue::NULL, &r.result().unwrap_or(JsValue::UNDEFINED));
        });
        let fail = Closure::once_into_js(move |e: JsValue| {
            let _ = reject.call1(&JsValue::NULL, &e);
        });
        req.set_onsuccess(Some(ok.unchecked_ref()));
        req.set_onerror(Some(fail.unchecked_ref()));
    });
    JsFuture::from(promise).await.map_err(|e| js_message(&e))
}

async fn open() -> Result<IdbDatabase, String> {
    let factory = web_sys::window()
        .ok_or("no window")?
        .indexed_db()
        .map_err(|e| js_message(&e))?
        .ok_or("IndexedDB is not available")?;
    let req: IdbOpenDbRequest = factory.open_with_u32(DB, 1).map_err(|e| js_message(&e))?;
    let upgrade = Closure::once_into_js({
        let req = req.clone();
        move || {
            if let Ok(db) = req.result().and_then(|r| r.dyn_into::<IdbDatabase>()) {
                if !db.object_store_names().contains(STORE) {
                    let _ = db.create_object_store(STORE);
                }
            }
        }
    });
    req.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    let db = done(&req).await?;
    db.dyn_into::<IdbDatabase>()
        .map_err(|_| "not a database".into())
}

async fn with_store<T>(
    mode: IdbTransactionMode,
    f: impl FnOnce(&web_sys::IdbObjectStore) -> Result<IdbRequest, JsValue>,
    map: impl FnOnce(JsValue) -> T,
) -> Result<T, String> {
    let db = open().await?;
    let tx = db
        .transaction_with_str_and_mode(STORE, mode)
        .map_err(|e| js_message(&e))?;
    let store = tx.object_store(STORE).map_err(|e| js_message(&e))?;
    let req = f(&store).map_err(|e| js_message(&e))?;
    let v = done(&req).await;
    db.close();
    v.map(map)
}

/// A stored record: the snapshot JSON, when it was saved, and the file handle if the file came
/// from the File System Access picker (Chromium), so a reload can resume without choosing again.
pub struct Record {
    /// The engine's snapshot (JSON).
    pub snapshot: String,
    /// Unix ms when saved.
    pub saved_at: u64,
    /// A `FileSystemFileHandle`, when there is one.
    pub handle: Option<JsValue>,
}

/// Saves the record for `key` (a fingerprint: `name|size|lastModified|md5|md5`).
pub async fn save(key: &str, snapshot: &str, handle: Option<&JsValue>) -> Result<(), String> {
    let value = Object::new();
    let set = |k: &str, v: &JsValue| Reflect::set(&value, &k.into(), v).map(|_| ());
    set("key", &key.into()).map_err(|e| js_message(&e))?;
    let mut fields = key.rsplitn(5, '|').skip(3);
    let size = fields
        .next()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(0.0);
    let name = fields.next().unwrap_or("");
    set("name", &name.into()).map_err(|e| js_message(&e))?;
    set("size", &size.into()).map_err(|e| js_message(&e))?;
    set("snapshot", &snapshot.into()).map_err(|e| js_message(&e))?;
    set("savedAt", &(timer::wall_now_ms() as f64).into()).map_err(|e| js_message(&e))?;
    if let Some(h) = handle {
        set("handle", h).map_err(|e| js_message(&e))?;
    }
    let key = JsValue::from_str(key);
    with_store(
        IdbTransactionMode::Readwrite,
        |s| s.put_with_key(&value, &key),
        |_| (),
    )
    .await
}

/// The record for `key`, unless missing or expired (an expired one is removed).
pub async fn load(key: &str) -> Result<Option<Record>, String> {
    let k = JsValue::from_str(key);
    let v = with_store(IdbTransactionMode::Readonly, |s| s.get(&k), |v| v).await?;
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    let get = |name: &str| Reflect::get(&v, &name.into()).ok();
    let saved_at = get("savedAt").and_then(|x| x.as_f64()).unwrap_or(0.0) as u64;
    let Some(snapshot) = get("snapshot").and_then(|x| x.as_string()) else {
        remove(key).await?;
        return Ok(None);
    };
    if timer::wall_now_ms().saturating_sub(saved_at) > TTL_MS {
        remove(key).await?;
        return Ok(None);
    }
    let handle = get("handle").filter(|h| !h.is_undefined() && !h.is_null());
    Ok(Some(Record {
        snapshot,
        saved_at,
        handle,
    }))
}

/// Every unexpired record, for a page that offers to continue interrupted uploads: plain
/// objects `{key, name, size, savedAt, handle?}` (no snapshot: it holds upload links).
pub async fn pending() -> Result<Vec<JsValue>, String> {
    let all = with_store(IdbTransactionMode::Readonly, |s| s.get_all(), |v| v).await?;
    let now = timer::wall_now_ms();
    let mut out = Vec::new();
    for v in js_sys::Array::from(&all).iter() {
        let get = |k: &str| Reflect::get(&v, &k.into()).unwrap_or(JsValue::UNDEFINED);
        let saved = get("savedAt").as_f64().unwrap_or(0.0) as u64;
        if now.saturating_sub(saved) > TTL_MS {
            continue;
        }
        let item = Object::new();
        for k in ["key", "name", "size", "savedAt", "handle"] {
            let value = get(k);
            if !value.is_undefined() {
                let _ = Reflect::set(&item, &k.into(), &value);
            }
        }
        out.push(item.into());
    }
    Ok(out)
}

/// Removes the record for `key`.
pub async fn remove(key: &str) -> Result<(), String> {
    let k = JsValue::from_str(key);
    with_store(IdbTransactionMode::Readwrite, |s| s.delete(&k), |_| ()).await
}
