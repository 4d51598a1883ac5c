//! The multipart parts page (`GET /v2/uploads/{id}/parts`) and ETag normalization.

use super::json;
use crate::error::UploadError;
use serde::{Deserialize, Serialize};

/// One entry of a multipart parts page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartEntry {
    /// Part number, from 1.
    pub id: u32,
    /// MD5 hex of the stored bytes, when the part is complete.
    #[serde(default)]
    pub etag: Option<String>,
    /// Where to PUT the part, when it is not complete.
    #[serde(default)]
    pub upload_link: Option<String>,
}

/// A `GET /v2/uploads/{id}/parts` page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartsPage {
    /// Page number, from 1.
    #[serde(default)]
    pub page: Option<u32>,
    /// Page length.
    #[serde(default)]
    pub page_length: Option<u32>,
    /// Total number of parts the server offers.
    #[serde(default)]
    pub total: Option<u32>,
    /// The parts on this page.
    pub parts: Vec<PartEntry>,
}

impl PartsPage {
    /// Parses a parts page.
    pub fn parse(body: &str) -> Result<PartsPage, UploadError> {
        let mut p: PartsPage = json(body, "parts page")?;
        for part in &mut p.parts {
            part.etag = part.etag.as_deref().map(normalize_etag);
        }
        Ok(p)
    }
}

/// An ETag as bare lower-case hex: quotes and a weak `W/` prefix removed.
pub fn normalize_etag(s: &str) -> String {
    let s = s.trim();
    let s = s.strip_prefix("W/").unwrap_or(s);
    s.trim_matches('"').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parts_page() {
        let p = PartsPage::parse(
            r#"{"page":1,"page_length":100,"total":10000,
         "parts":[{"id":1,"etag":"\"9E10\""},{"id":2,"upload_link":"http://x/2"}]}"#,
        )
        .unwrap();
        assert_eq!(p.parts[0].etag.as_deref(), Some("9e10"));
        assert_eq!(p.parts[1].upload_link.as_deref(), Some("http://x/2"));
        assert!(PartsPage::parse(r#"{"parts":[{"etag":"x"}]}"#).is_err());
    }
}
