//! jw-upload: a Rust/WebAssembly browser uploader for the JW Platform video API.
//!
//! The protocol logic lives in the sans-IO crate `jw-upload-core`; this crate is the browser
//! layer that carries out what the core asks (slicing the `File`, sending requests, timers).
#![deny(missing_docs)]

pub mod api;
pub mod backend_config;
pub mod driver;
pub mod md5;
pub mod probe;
pub mod session;
pub mod source;
pub mod store;
pub mod timer;
pub mod transport;
#[cfg(feature = "ui")]
pub mod ui;

pub use api::Uploader;

pub use jw_upload_core as core;

use wasm_bindgen::prelude::wasm_bindgen;

/// The version of this package.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
