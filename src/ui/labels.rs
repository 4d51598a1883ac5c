//! The widget's words (i18n): every label has a key and an English default, and any of them
//! can be replaced by a JSON object (`labels` attribute or property, or `Labels::merge_json`).

use std::collections::HashMap;
use std::sync::Arc;

/// Every label key and its English default. `{name}`, `{n}`, `{reason}`... are filled in.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("title", "Upload videos"),
    ("drop_title", "Drop files here"),
    ("drop_hint", "or press Enter or Space to choose files"),
    ("dragging", "Release to add the files"),
    ("browse", "Choose files"),
    ("method", "Upload method"),
    ("method_auto", "Automatic"),
    ("resource", "Upload as"),
    ("resource_video", "Video"),
    ("resource_thumbnail", "Thumbnail"),
    ("resource_track", "Caption track"),
    ("video_key", "For video (key)"),
    ("import_label", "Import from URL"),
    ("import_placeholder", "https://…/video.mp4"),
    ("import_button", "Import"),
    (
        "import_invalid",
        "Enter a full http:// or https:// address.",
    ),
    ("queue_label", "Uploads"),
    ("overall", "Overall progress"),
    ("overall_summary", "{done} of {count} done"),
    ("overall_failed", ", {n} failed"),
    ("overall_cancelled", ", {n} cancelled"),
    ("overall_processing", ", {n} processing"),
    ("state_queued", "waiting for a free slot"),
    ("state_waiting", "starting"),
    ("state_uploading", "uploading"),
    ("state_paused", "paused"),
    (
        "state_paused_restarts",
        "paused: resuming starts this file over",
    ),
    ("state_offline", "offline: waiting for the network"),
    ("state_retrying", "retrying in {n} s"),
    ("state_verifying", "verifying"),
    ("state_completing", "completing"),
    ("state_processing", "processing"),
    ("state_ready", "ready"),
    ("state_uploaded", "uploaded"),
    ("state_status_unavailable", "uploaded · status unavailable"),
    ("state_cancelled", "cancelled"),
    ("state_failed", "failed: {reason}"),
    ("left", "{t} left"),
    ("sending", "{b} sent, not yet confirmed"),
    ("media_key", "key {key}"),
    ("pause", "Pause"),
    ("pause_restarts", "Pause (restarts this file)"),
    ("resume", "Resume"),
    ("cancel", "Cancel"),
    ("retry", "Retry"),
    ("remove", "Remove"),
    ("action_on", "{action} {name}"),
    ("progress_of", "Upload progress of {name}"),
    ("announce_start", "Uploading {name}."),
    ("announce_ready", "{name} is ready."),
    ("announce_uploaded", "{name} uploaded."),
    ("announce_failed", "{name} failed: {reason}"),
    ("announce_all_done", "All uploads are finished."),
    ("method_s3", "S3"),
    ("method_direct", "Direct"),
    ("method_form", "Form"),
    ("method_resumable", "Resumable"),
    ("method_multipart", "Multipart"),
    ("method_fetch", "Import"),
];

/// The labels in use: the defaults with any replacements merged over them.
#[derive(Clone, Debug, PartialEq)]
pub struct Labels(Arc<HashMap<String, String>>);

impl Default for Labels {
    fn default() -> Self {
        Labels(Arc::new(
            DEFAULTS
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        ))
    }
}

impl Labels {
    /// The defaults with the string values of a JSON object merged over them; anything that is
    /// not a JSON object of strings is ignored (the defaults stay).
    pub fn merge_json(json: Option<&str>) -> Labels {
        let mut labels = Labels::default();
        let parsed = json.and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok());
        if let Some(serde_json::Value::Object(map)) = parsed {
            let inner = Arc::make_mut(&mut labels.0);
            for (k, v) in map {
                if let serde_json::Value::String(s) = v {
                    inner.insert(k, s);
                }
            }
        }
        labels
    }

    /// The label for `key` (the key itself when unknown).
    pub fn get(&self, key: &str) -> String {
        self.0.get(key).cloned().unwrap_or_else(|| key.to_owned())
    }

    /// The label for `key` with `{name}` placeholders filled in.
    pub fn fill(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.get(key);
        for (k, v) in args {
            s = s.replace(&format!("{{{k}}}"), v);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacements_merge_over_defaults() {
        let l = Labels::merge_json(Some(r#"{"pause":"Pauze","bogus":1}"#));
        assert_eq!(l.get("pause"), "Pauze");
        assert_eq!(l.get("resume"), "Resume");
        assert_eq!(l.fill("state_retrying", &[("n", "3")]), "retrying in 3 s");
        assert_eq!(Labels::merge_json(Some("not json")), Labels::default());
    }
}
