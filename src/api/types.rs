//! The TypeScript side of the JS API: the typings wasm-bindgen adds to the `.d.ts`, and the
//! JS types Rust signatures name.

use wasm_bindgen::prelude::*;

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
  /** Follow processing through the backend: `/api/media` (the id is appended; relative to the
   * page). Five "not found" replies in a row end it with an `error` of code
   * `status_unavailable` (the upload itself finished). */
  statusEndpoint?: string;
  /** Stop following processing after this many ms. Default 7200000 (2 hours). */
  statusTimeout?: number;
  /** Base URL of the v2 upload API (multipart). Default: what the backend's config says, else `https://api.jwplayer.com`. */
  uploadApiBase?: string;
  /** Where the backend says what it can mint (`upload_api_base`, `methods`). Default: `endpoint`'s sibling `config` (`/api/config`); `""` asks nothing. */
  configEndpoint?: string;
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

export type UploadMethod = "s3" | "form" | "resumable" | "direct" | "multipart" | "fetch";
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

/**
 * `loaded`: bytes the platform acknowledged plus an estimate, bounded by the measured link rate,
 * of what it has read of the requests in flight (not the bytes handed to the browser's socket).
 * Equals `total` only once the platform holds every byte. Never decreases, except when bytes are
 * thrown away (pausing an s3 or form upload starts it over: `loaded` drops to 0; a resumable
 * chunk or multipart part in flight is lost the same way). `bytesPerSecond`: a 4 s average of
 * `loaded`, decaying while nothing moves; `eta`: seconds left at that speed. `sent`: `loaded`
 * plus the bytes handed to the browser for the requests in flight but not known to be read yet
 * (a "sending" portion: on a slow line the browser's buffers take megabytes at once).
 */
export interface ProgressDetail { loaded: number; total: number; sent: number; bytesPerSecond: number | null; eta: number | null; }
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

/** The uploader's listeners, typed by event name (merged into the `Uploader` class). */
export interface Uploader {
  /** Listens to `progress`, `statechange`, `retry`, `stalled`, `partcomplete`, `processing`, `ready`, `success`, `error`. */
  addEventListener<K extends keyof UploaderEventMap>(kind: K, listener: (event: UploaderEventMap[K]) => void): void;
  /** Removes a listener. */
  removeEventListener<K extends keyof UploaderEventMap>(kind: K, listener: (event: UploaderEventMap[K]) => void): void;
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

#[cfg(test)]
mod tests {
    use jw_upload_core::{FileInfo, Method, UploadRequest};

    /// This file's TypeScript section (the macro leaves no `TS_TYPES` constant to read).
    const TS: &str = include_str!("types.rs");

    /// The members of the TypeScript interface `name` in [`TS`] (`field?` -> `field`).
    fn ts_members(name: &str) -> Vec<String> {
        let body = TS
            .split_once(&format!("export interface {name} {{"))
            .and_then(|(_, rest)| rest.split_once("\n}"))
            .map(|(body, _)| body)
            .unwrap_or_default();
        let mut names: Vec<String> = body
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("/*") && !l.starts_with('*'))
            .filter_map(|l| l.split_once(':'))
            .map(|(n, _)| n.trim_end_matches('?').to_owned())
            .collect();
        names.sort();
        names
    }

    /// The `.d.ts` `UploadRequest` names exactly the fields of the one serde definition in the
    /// core (`jw_upload_core::UploadRequest`), which the backend extracts with `Json<...>`.
    #[test]
    fn the_typings_name_the_request_fields_the_core_defines() {
        let full = UploadRequest {
            method: Some(Method::S3),
            file: Some(FileInfo {
                name: "a".into(),
                size: 1,
                content_type: Some("video/mp4".into()),
            }),
            metadata: jw_upload_core::contract::Metadata::from_json("{}".into()).ok(),
            media_id: Some("m".into()),
            resource: Some(jw_upload_core::link::Resource::Track),
            video_key: Some("v".into()),
            download_url: Some("https://example.com/a.mp4".into()),
        };
        let value = serde_json::to_value(&full).unwrap_or_default();
        let keys = |v: &serde_json::Value| {
            let mut k: Vec<String> = v
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            k.sort();
            k
        };
        assert_eq!(ts_members("UploadRequest"), keys(&value));
        let file = value.get("file").cloned().unwrap_or_default();
        let ts_file = TS
            .split_once("file: {")
            .and_then(|(_, rest)| rest.split_once('}'))
            .map(|(f, _)| f)
            .unwrap_or_default();
        let mut ts_file: Vec<String> = ts_file
            .split(';')
            .filter_map(|m| m.split_once(':'))
            .map(|(n, _)| n.trim().trim_end_matches('?').to_owned())
            .collect();
        ts_file.sort();
        assert_eq!(ts_file, keys(&file));
    }

    /// `UploadMethod` names every method the core knows, spelt as serde spells it.
    #[test]
    fn the_method_union_is_the_core_methods() {
        let union = TS
            .split_once("export type UploadMethod =")
            .and_then(|(_, rest)| rest.split_once(';'))
            .map(|(u, _)| u)
            .unwrap_or_default();
        let ts: Vec<&str> = union
            .split('|')
            .map(|m| m.trim().trim_matches('"'))
            .collect();
        let core: Vec<String> = (Method::ALL.iter())
            .map(|m| serde_json::to_value(m).unwrap_or_default())
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        assert_eq!(ts, core);
    }
}
