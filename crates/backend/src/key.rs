//! The server key: HMAC-SHA256 tags for the tokens the backend hands out (CSRF, media
//! ownership, the form page), so any instance holding the same key can check them.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// The key tokens are signed with. Cloning shares it; `Debug` never shows it.
#[derive(Clone)]
pub struct ServerKey(Arc<[u8]>);

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(<redacted>)")
    }
}

impl ServerKey {
    /// A key from configured bytes, or a random one when `bytes` is empty (tokens then die
    /// with the process and other instances refuse them).
    pub fn new(bytes: &[u8]) -> ServerKey {
        if bytes.is_empty() {
            let mut random = [0u8; 32];
            rand::rng().fill_bytes(&mut random);
            ServerKey(Arc::from(random.as_slice()))
        } else {
            ServerKey(Arc::from(bytes))
        }
    }

    /// The tag of `fields` under `purpose`, base64url. Fields are length-prefixed, so no two
    /// field lists share a tag.
    pub fn tag(&self, purpose: &str, fields: &[&str]) -> String {
        URL_SAFE_NO_PAD.encode(self.raw_tag(purpose, fields))
    }

    /// Whether `tag` is the tag of `fields` under `purpose` (constant time).
    pub fn verify(&self, purpose: &str, fields: &[&str], tag: &str) -> bool {
        let Ok(given) = URL_SAFE_NO_PAD.decode(tag) else {
            return false;
        };
        let want = self.raw_tag(purpose, fields);
        given.len() == want.len() && bool::from(given.as_slice().ct_eq(want.as_slice()))
    }

    fn raw_tag(&self, purpose: &str, fields: &[&str]) -> Vec<u8> {
        // HMAC takes keys of any length: this cannot fail.
        let Ok(mut mac) = HmacSha256::new_from_slice(&self.0) else {
            return Vec::new();
        };
        for field in std::iter::once(&purpose).chain(fields.iter()) {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field.as_bytes());
        }
        mac.finalize().into_bytes().to_vec()
    }
}

/// 32 random bytes as 64 hex digits.
pub fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_verify_only_for_their_fields_and_key() {
        let key = ServerKey::new(b"k");
        let tag = key.tag("csrf", &["a", "b"]);
        assert!(key.verify("csrf", &["a", "b"], &tag));
        assert!(!key.verify("csrf", &["ab"], &tag));
        assert!(!key.verify("own", &["a", "b"], &tag));
        assert!(!ServerKey::new(b"other").verify("csrf", &["a", "b"], &tag));
        assert!(!key.verify("csrf", &["a", "b"], "not base64!"));
    }
}
