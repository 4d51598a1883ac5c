//! The platform's error shapes: v1 JSON, v2 JSON, the backend's, and S3 XML.

use super::leaf::{First, Leaf, Obj};
use serde::{Deserialize, Serialize};

/// The platform's error, from any of its shapes: v1 JSON (`code`, `message`), v2 JSON
/// (`errors[0].code`, `description`), the backend's (`error.code`, `message`), or S3 XML
/// (`<Code>`, `<Message>`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformError {
    /// The platform's code (`TokenExpired`, `token_expired`, `AccessDenied`...).
    pub code: Option<String>,
    /// The platform's message.
    pub message: Option<String>,
}

fn xml_tag(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let a = body.find(&open)? + open.len();
    let b = body[a..].find(&close)? + a;
    Some(body[a..b].trim().to_string())
}

impl PlatformError {
    /// Reads whatever error the body holds; an unknown body gives an empty error.
    pub fn parse(body: &str) -> PlatformError {
        let t = body.trim_start();
        if t.starts_with('<') {
            return PlatformError {
                code: xml_tag(t, "Code").or_else(|| xml_tag(t, "code")),
                message: xml_tag(t, "Message").or_else(|| xml_tag(t, "message")),
            };
        }
        /// The fields any JSON shape may carry (each read as a string when it is one).
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Fields {
            code: Leaf,
            message: Leaf,
            description: Leaf,
            title: Leaf,
        }
        /// The top level: v2's `errors`, the backend's `error`, or v1's own fields.
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Shapes {
            errors: First<Fields>,
            error: Obj<Fields>,
            code: Leaf,
            message: Leaf,
            title: Leaf,
        }
        let Ok(Obj(Some(v))) = serde_json::from_str::<Obj<Shapes>>(t) else {
            return PlatformError::default();
        };
        if let Some(e) = v.errors.0 {
            let e = e.0.unwrap_or_default();
            return PlatformError {
                code: e.code.text(),
                message: e.description.text().or_else(|| e.message.text()),
            };
        }
        if let Some(e) = v.error.0 {
            return PlatformError {
                code: e.code.text(),
                message: e.message.text(),
            };
        }
        PlatformError {
            code: v.code.text(),
            message: v.message.text().or_else(|| v.title.text()),
        }
    }

    /// Whether the error says a token, link or signature has expired.
    pub fn is_expired(&self) -> bool {
        let c = self.code.as_deref().unwrap_or("").to_ascii_lowercase();
        let m = self.message.as_deref().unwrap_or("").to_ascii_lowercase();
        c.contains("expired") || (c == "accessdenied" && m.contains("expired"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn error_shapes() {
        let v1 = PlatformError::parse(
            r#"{"status":"error","code":"TokenExpired","title":"t","message":"m"}"#,
        );
        assert_eq!(v1.code.as_deref(), Some("TokenExpired"));
        assert!(v1.is_expired());
        let v2 = PlatformError::parse(r#"{"errors":[{"code":"token_expired","description":"d"}]}"#);
        assert!(v2.is_expired());
        let s3 = PlatformError::parse(
            "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
        );
        assert!(s3.is_expired());
        let sig = PlatformError::parse("<Error><Code>SignatureDoesNotMatch</Code></Error>");
        assert!(!sig.is_expired());
        let be = PlatformError::parse(r#"{"error":{"code":"csrf","message":"no"}}"#);
        assert_eq!(be.code.as_deref(), Some("csrf"));
        assert_eq!(PlatformError::parse("garbage"), PlatformError::default());
    }
}
