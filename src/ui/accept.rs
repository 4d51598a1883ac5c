//! The `accept` attribute enforced for every way a file comes in (picker, drop, `addFiles`),
//! not only as the picker's filter: the HTML rules (comma-separated `.ext`, `type/*` and
//! `type/subtype` tokens, case-insensitive), with the reason in plain words when it refuses.

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

/// Whether `accept` takes a file named `name` of type `mime` (`Ok`), else why not.
pub fn check(accept: &str, name: &str, mime: &str) -> Result<(), String> {
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
    let what = if ty.is_empty() {
        "a file of unknown type".to_string()
    } else {
        ty
    };
    Err(format!(
        "not accepted here: this uploader takes {} and this is {what}",
        tokens.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_accept_rules() {
        assert!(check("", "notes.txt", "text/plain").is_ok());
        assert!(check("video/*", "clip.mp4", "video/mp4").is_ok());
        assert!(check("video/*", "clip.MKV", "").is_ok(), "guessed from the extension");
        assert!(check("Video/*, .vtt", "subs.VTT", "").is_ok());
        assert!(check("video/mp4", "clip.webm", "video/webm").is_err());
        assert!(check("image/png,image/jpeg", "a.jpg", "image/jpeg").is_ok());
        assert_eq!(
            check("video/*", "notes.txt", "text/plain"),
            Err("not accepted here: this uploader takes video/* and this is text/plain".into())
        );
        assert_eq!(
            check("video/*", "README", ""),
            Err("not accepted here: this uploader takes video/* and this is a file of unknown type".into())
        );
        // "videos/*" is not "video/*"; a bare "video" token matches nothing.
        assert!(check("videos/*", "clip.mp4", "video/mp4").is_err());
        assert!(check("video", "clip.mp4", "video/mp4").is_err());
    }
}
