//! Which files a list of types takes, by the HTML `accept` rules (comma-separated `.ext`,
//! `type/*` and `type/subtype` tokens, case-insensitive): the widget's `accept` attribute,
//! enforced for every way a file comes in (picker, drop, `addFiles`), and the reference
//! backend's allowed types (`JW_BACKEND_ALLOWED_TYPES`) use this one definition.

use std::fmt;

/// Why a file was not taken: what is allowed and what the file is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The allowed tokens, lower-cased.
    pub allowed: Vec<String>,
    /// The file's type (empty: unknown).
    pub file_type: String,
}

impl fmt::Display for Refusal {
    /// "takes video/* and this is text/plain".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.file_type.is_empty() {
            "a file of unknown type"
        } else {
            &self.file_type
        };
        write!(f, "takes {} and this is {what}", self.allowed.join(", "))
    }
}

/// Types browsers leave empty for some video files (an `.mkv` on a system without its MIME
/// entry): guessed from the extension so `video/*` takes them. Anything else stays unknown.
const GUESSES: &[(&str, &str)] = &[
    ("mp4", "video/mp4"),
    ("m4v", "video/mp4"),
    ("mov", "video/quicktime"),
    ("webm", "video/webm"),
    ("mkv", "video/x-matroska"),
    ("avi", "video/x-msvideo"),
    ("mpg", "video/mpeg"),
    ("mpeg", "video/mpeg"),
    ("ts", "video/mp2t"),
    ("3gp", "video/3gpp"),
    ("ogv", "video/ogg"),
    ("wmv", "video/x-ms-wmv"),
    ("flv", "video/x-flv"),
];

fn extension(name: &str) -> Option<String> {
    name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())
}

/// The file's type: the browser's, or a guess from the extension for video files.
pub fn type_of(name: &str, mime: &str) -> String {
    if !mime.trim().is_empty() {
        return mime.trim().to_ascii_lowercase();
    }
    extension(name)
        .and_then(|e| GUESSES.iter().find(|(x, _)| *x == e))
        .map(|(_, t)| (*t).to_string())
        .unwrap_or_default()
}

/// Whether `accept` takes a file named `name` of type `mime` (`Ok`), else why not. An empty
/// list takes everything.
pub fn check(accept: &str, name: &str, mime: &str) -> Result<(), Refusal> {
    let tokens: Vec<String> = accept
        .split(',')
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.is_empty() {
        return Ok(());
    }
    let ty = type_of(name, mime);
    let lower = name.to_ascii_lowercase();
    let ok = tokens.iter().any(|t| {
        if t.starts_with('.') {
            lower.ends_with(t.as_str())
        } else if let Some(major) = t.strip_suffix("/*") {
            ty.split_once('/').is_some_and(|(m, _)| m == major)
        } else {
            ty == *t
        }
    });
    if ok {
        return Ok(());
    }
    Err(Refusal {
        allowed: tokens,
        file_type: ty,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_accept_rules() {
        assert!(check("", "notes.txt", "text/plain").is_ok());
        assert!(check("video/*", "clip.mp4", "video/mp4").is_ok());
        assert!(
            check("video/*", "clip.MKV", "").is_ok(),
            "guessed from the extension"
        );
        assert!(check("Video/*, .vtt", "subs.VTT", "").is_ok());
        assert!(check("video/mp4", "clip.webm", "video/webm").is_err());
        assert!(check("image/png,image/jpeg", "a.jpg", "image/jpeg").is_ok());
        let words = |r: Result<(), Refusal>| r.err().map(|r| r.to_string());
        assert_eq!(
            words(check("video/*", "notes.txt", "text/plain")).as_deref(),
            Some("takes video/* and this is text/plain")
        );
        assert_eq!(
            words(check("video/*, .VTT", "README", "")).as_deref(),
            Some("takes video/*, .vtt and this is a file of unknown type")
        );
        // "videos/*" is not "video/*"; a bare "video" token matches nothing.
        assert!(check("videos/*", "clip.mp4", "video/mp4").is_err());
        assert!(check("video", "clip.mp4", "video/mp4").is_err());
    }
}
