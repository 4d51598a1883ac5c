//! CSRF defence: a same-origin check on `Origin` against the configured public origin, plus a
//! double-submit token (cookie + header) that the server minted and signed.

use axum::http::header::{COOKIE, ORIGIN};
use axum::http::HeaderMap;
use subtle::ConstantTimeEq;

use crate::config::normalize_origin;
use crate::error::ApiError;
use crate::key::{random_hex, ServerKey};

/// Name of the cookie that holds the token over http (`__Host-jwu_csrf` under https).
pub const COOKIE_NAME: &str = "jwu_csrf";
/// Name of the header that must repeat the token.
pub const HEADER_NAME: &str = "x-csrf-token";
/// The longest `Origin` value written to the log.
const LOGGED_ORIGIN_CHARS: usize = 200;

/// The CSRF cookie's name: `__Host-jwu_csrf` under https (bound to this host, `Secure`),
/// `jwu_csrf` over plain http.
pub fn cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-jwu_csrf"
    } else {
        COOKIE_NAME
    }
}

/// A fresh token: a random nonce and its HMAC under the server key, `nonce.tag`.
pub fn mint_token(key: &ServerKey) -> String {
    let nonce = random_hex();
    let tag = key.tag("csrf", &[&nonce]);
    format!("{nonce}.{tag}")
}

/// A token as `GET /api/csrf` would mint it for `config` (with a configured
/// [`Config::server_key`]; for an app that renders the token into its own page).
pub fn mint_for(config: &crate::config::Config) -> String {
    mint_token(&ServerKey::new(&config.server_key))
}

/// The `Set-Cookie` value that hands `token` to the browser: `SameSite=Strict`, or
/// `SameSite=None; Secure` when pages on another site may call (see [`same_site_attr`]).
pub fn cookie_header(token: &str, https: bool, cross_site: bool) -> String {
    format!(
        "{}={token}; Path=/; HttpOnly; {}",
        cookie_name(https),
        same_site_attr(https, cross_site)
    )
}

/// The cookies' `SameSite` (and `Secure`): `Strict`, except for a backend that allows pages on
/// another *site* over https: `None; Secure`, the only value a browser sends on their calls.
/// Over plain http a cross-site call cannot carry a cookie at all (`None` needs `Secure`):
/// [`cross_site_refusal`] says so.
pub fn same_site_attr(https: bool, cross_site: bool) -> &'static str {
    match (https, cross_site) {
        (true, true) => "SameSite=None; Secure",
        (true, false) => "SameSite=Strict; Secure",
        (false, _) => "SameSite=Strict",
    }
}

/// The site of an origin, as cookies see it: the scheme and the host's last two labels (an IP
/// address or a one-label host is its own site); the port does not count. No public-suffix
/// list: `a.example.co.uk` and `b.example.co.uk` are one site here (right), and so are
/// `x.co.uk` and `y.co.uk` (wrong: a browser keeps those apart; use the same site there).
pub fn site_of(origin: &str) -> String {
    let (scheme, rest) = origin.split_once("://").unwrap_or(("", origin));
    let host = if let Some(v6) = rest.strip_prefix('[') {
        v6.split(']').next().unwrap_or(v6)
    } else {
        rest.rsplit_once(':').map_or(rest, |(h, _)| h)
    };
    let host = host.to_ascii_lowercase();
    let is_ip = host.parse::<std::net::IpAddr>().is_ok();
    let labels: Vec<&str> = host.split('.').collect();
    let site = if is_ip || labels.len() <= 2 {
        host.clone()
    } else {
        labels[labels.len() - 2..].join(".")
    };
    format!("{scheme}://{site}")
}

/// Whether any of `allowed` is on another site than `own`.
pub fn any_cross_site(own: &str, allowed: &[String]) -> bool {
    let own = site_of(own);
    allowed.iter().any(|o| site_of(o) != own)
}

/// `GET /api/csrf` from a page on another site of a backend on plain http: no cookie can
/// reach it from there, so every upload would be refused later for a missing cookie. Says so
/// now, with what to change.
pub fn cross_site_refusal(headers: &HeaderMap, own: &str, https: bool) -> Result<(), ApiError> {
    let Some(origin) = headers
        .get(ORIGIN)
        .and_then(|o| o.to_str().ok())
        .and_then(normalize_origin)
    else {
        return Ok(());
    };
    if https || site_of(&origin) == site_of(own) {
        return Ok(());
    }
    Err(ApiError::csrf(format!(
        "this backend ({own}) is on another site than the page ({origin}) and serves plain \
         http: its cookies cannot reach it from there (a cross-site cookie needs SameSite=None; \
         Secure, so https). Serve the backend over https (JW_BACKEND_PUBLIC_ORIGIN=https://...) \
         or on the page's site"
    )))
}

/// `Origin`, shortened for a log line.
pub fn origin_for_log(headers: &HeaderMap) -> Option<String> {
    let origin = headers.get(ORIGIN)?;
    let text = String::from_utf8_lossy(origin.as_bytes());
    Some(text.chars().take(LOGGED_ORIGIN_CHARS).collect())
}

/// Checks the `Origin` header: it must be `own` (the configured public origin) or one of
/// `allowed`. A missing `Origin` is refused when `required` (state-changing requests), and let
/// through otherwise (same-origin GETs).
pub fn check_origin(
    headers: &HeaderMap,
    own: &str,
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
    if origin == own || allowed.contains(&origin) {
        Ok(())
    } else {
        Err(refused())
    }
}

/// Checks the double-submit token: the `X-CSRF-Token` header must equal the CSRF cookie
/// (constant time), and the token must carry this server's tag (a planted cookie fails).
pub fn check_token(headers: &HeaderMap, key: &ServerKey, https: bool) -> Result<(), ApiError> {
    let name = cookie_name(https);
    let cookie = cookie_value(headers, name).ok_or_else(|| {
        ApiError::csrf(format!(
            "no {name} cookie: call GET /api/csrf first and send the cookie"
        ))
    })?;
    let header = headers
        .get(HEADER_NAME)
        .and_then(|h| h.to_str().ok())
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or_else(|| ApiError::csrf("the X-CSRF-Token header is missing"))?;
    let same: bool = header.as_bytes().ct_eq(cookie.as_bytes()).into();
    if !same || cookie.is_empty() {
        return Err(ApiError::csrf(format!(
            "the X-CSRF-Token header does not match the {name} cookie"
        )));
    }
    let minted = cookie
        .split_once('.')
        .is_some_and(|(nonce, tag)| key.verify("csrf", &[nonce], tag));
    if minted {
        Ok(())
    } else {
        Err(ApiError::csrf(
            "the CSRF token was not minted by this server: call GET /api/csrf again",
        ))
    }
}

/// The value of cookie `name` from all `Cookie` headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    cookies(headers).find(|(k, _)| k == name).map(|(_, v)| v)
}

/// Every `name=value` pair of the `Cookie` headers.
pub fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (String, String)> + '_ {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
}
