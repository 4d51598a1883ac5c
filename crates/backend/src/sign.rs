//! The v1 API signature: RFC 3986 percent-encoding, sorted parameters, SHA-1 of base + secret.

use sha1::{Digest, Sha1};

/// Percent-encodes `s` the RFC 3986 way: every byte except `A-Z a-z 0-9 - . _ ~` becomes `%XX`
/// (upper-case hex).
pub fn pct_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// The signature base string: every parameter but `api_signature`, percent-encoded, sorted by
/// encoded name then value, joined as `k=v&k=v`. It is also the query string the backend sends.
pub fn canonical_query(params: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "api_signature")
        .map(|(k, v)| (pct_encode(k), pct_encode(v)))
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// The v1 `api_signature` of `params` (any `api_signature` among them is ignored):
/// lower-case hex SHA-1 of the canonical query string followed by the API secret.
pub fn sign_v1(params: &[(String, String)], secret: &str) -> String {
    let mut hasher = Sha1::new();
    hasher.update(canonical_query(params).as_bytes());
    hasher.update(secret.as_bytes());
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(40);
    for b in digest {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}
