//! CSRF defence: a same-origin check on `Origin` plus a double-submit token (cookie + header).

use axum::http::header::{COOKIE, HOST, ORIGIN};
use axum::http::{HeaderMap, Uri};
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::config::normalize_origin;
use crate::error::ApiError;

/// Name of the cookie that holds the token.
pub const COOKIE_NAME: &str = "jwu_csrf";
/// Name of the header that must repeat the token.
pub const HEADER_NAME: &str = "x-csrf-token";

/// A fresh random token: 32 bytes from the OS-seeded CSPRNG, as 64 hex digits.
pub fn mint_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `Set-Cookie` value that hands `token` to the browser.
pub fn cookie_header(token: &str) -> String {
    format!("{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict")
}

/// Checks the `Origin` header: it must be the backend's own origin (the `Host` the request was
/// sent to, over http or https) or one of `allowed`. A missing `Origin` is refused when
/// `required` (state-changing requests), and let through otherwise (same-origin GETs).
pub fn check_origin(
    headers: &HeaderMap,
    uri: &Uri,
    allowed: &[String],
    required: bool,
) -> Result<(), ApiError> {
    let Some(origin) = headers.get(ORIGIN) else {
        return if required {
            Err(ApiError::origin(
                "the request has no Origin header; it must come from the page's own origin",
            ))
        } else {
            Ok(())
        };
    };
    let refused = || ApiError::origin("requests from this origin are not allowed");
    let origin = origin.to_str().map_err(|_| refused())?;
    let origin = normalize_origin(origin).ok_or_else(refused)?;
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| uri.authority().map(|a| a.to_string()));
    let own = host.iter().flat_map(|h| {
        ["http", "https"]
            .into_iter()
            .filter_map(move |scheme| normalize_origin(&format!("{scheme}://{h}")))
    });
    let allowed_here = own.chain(allowed.iter().cloned()).any(|o| o == origin);
    if allowed_here {
        Ok(())
    } else {
        Err(refused())
    }
}

/// Checks the double-submit token: the `X-CSRF-Token` header must equal the `jwu_csrf`
/// cookie, compared in constant time.
pub fn check_token(headers: &HeaderMap) -> Result<(), ApiError> {
    let cookie = cookie_value(headers, COOKIE_NAME).ok_or_else(|| {
        ApiError::csrf("no jwu_csrf cookie: call GET /api/csrf first and send the cookie")
    })?;
    let header = headers
        .get(HEADER_NAME)
        .and_then(|h| h.to_str().ok())
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or_else(|| ApiError::csrf("the X-CSRF-Token header is missing"))?;
    let same: bool = header.as_bytes().ct_eq(cookie.as_bytes()).into();
    if same && !cookie.is_empty() {
        Ok(())
    } else {
        Err(ApiError::csrf(
            "the X-CSRF-Token header does not match the jwu_csrf cookie",
        ))
    }
}

/// The value of cookie `name` from all `Cookie` headers.
fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
}
