//! The Leptos upload widget (feature `ui`, client-side rendering only): a drop zone and file
//! picker, "Import from URL", method and resource selectors, a queue with one row per file
//! (progress, speed, time left, state in words, pause/resume/cancel/retry/remove), overall
//! progress, a limit on files uploading at once, and a polite live region.
//!
//! Use [`UploadWidget`] in a Leptos app, or the `<jw-upload>` element (`js/jw-upload-element.js`),
//! which mounts it through [`element::mount_upload_widget`]. Uploads start by the same path as
//! the JS `Uploader` ([`session::prepare`](crate::session::prepare): limits, the 2-second rule,
//! resume after a reload) and run through the crate's [`Driver`](crate::driver::Driver).

pub mod announcer;
pub mod drop_zone;
pub mod element;
pub mod file_row;
pub mod format;
pub mod icons;
pub mod import_url;
pub mod item;
pub mod labels;
pub mod options;
pub mod overall;
pub mod progress_bar;
pub mod queue;
pub mod settings;
pub mod use_now;
pub mod widget;

pub use options::WidgetOptions;
pub use queue::{use_upload_queue, use_upload_queue_with_options, Queue};
pub use widget::UploadWidget;
