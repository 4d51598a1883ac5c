//! `GET /api/config` (what the browser widget needs to know) and the no-JavaScript form
//! upload: `GET /upload-form` renders a `<jw-upload>` around a plain form posting to a platform
//! form-upload URL, whose `redirect_address` is `GET /upload-done` on the public origin.
//!
//! The page mints only for a first-party navigation: it needs a `SameSite=Lax` page cookie
//! that it sets itself with a redirect (an `<img>` or `fetch` on another site never carries it),
//! it refuses `Sec-Fetch-Site: cross-site`, and it counts against the client's rate limit.
//! Reloads reuse the browser's media while it is still empty (a `jwu_form` cookie), so views
//! do not leave a trail of empty media.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, RETRY_AFTER, SET_COOKIE,
};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use crate::csrf::cookie_value;
use crate::key::random_hex;
use crate::platform::Platform;
use crate::routes::AppState;
use crate::upload;

/// The page cookie: proof of a first-party navigation to `/upload-form`.
const PAGE_COOKIE: &str = "jwu_page";
/// The media the form page minted for this browser, reused while it is empty.
const FORM_COOKIE: &str = "jwu_form";

/// What the pages need from the app.
pub struct PagesState {
    /// The platform client.
    pub platform: Platform,
    /// `JW_API_BASE`: also the multipart upload API base.
    pub api_base: String,
    /// Whether the platform is the loopback simulator (the demo shows its trouble controls).
    pub simulator: bool,
    /// The upload methods this backend can mint (`Config::methods`).
    pub methods: Vec<jw_upload_core::Method>,
    /// The static pages' Content-Security-Policy, also sent with these pages.
    pub csp: String,
    /// The API's state: public origin, key, rate limit.
    pub(crate) app: Arc<AppState>,
}

/// `GET /api/config` → `{"upload_api_base": JW_API_BASE, "methods": [...], "simulator": bool}`:
/// where the browser sends multipart calls, and the methods this backend can mint (those of
/// the API generations it holds credentials for), which `method: "auto"` chooses among.
pub fn config_json(state: &PagesState) -> Response {
    Json(serde_json::json!({
        "upload_api_base": state.api_base,
        "methods": state.methods,
        "simulator": state.simulator,
    }))
    .into_response()
}

/// Escapes text for HTML content and quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html(state: &PagesState, status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(csp) = HeaderValue::from_str(&state.csp) {
        h.insert(CONTENT_SECURITY_POLICY, csp);
    }
    r
}

fn page(title: &str, main: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n\
         <link rel=\"stylesheet\" href=\"/upload-page.css\">\n\
         <script type=\"module\" src=\"/jw-upload-element.js\"></script>\n\
         </head>\n<body>\n<main>\n{main}\n</main>\n</body>\n</html>\n",
        title = escape_html(title),
    )
}

/// The form-upload URL from a v1 `videos/create` reply, with `redirect_address`.
pub fn form_action(reply: &Value, redirect_address: &str) -> Option<String> {
    let link = reply.get("link")?;
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let protocol = s(link, "protocol").unwrap_or_else(|| "https".into());
    let (address, path) = (s(link, "address")?, s(link, "path")?);
    let query = link.get("query")?;
    let (key, token) = (s(query, "key")?, s(query, "token")?);
    let params = [
        ("api_format", "json"),
        ("key", key.as_str()),
        ("token", token.as_str()),
        ("redirect_address", redirect_address),
    ];
    let q: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::sign::pct_encode(v)))
        .collect();
    Some(format!("{protocol}://{address}{path}?{}", q.join("&")))
}

fn set_cookie(response: &mut Response, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(SET_COOKIE, v);
    }
}

fn cookie_attrs(state: &PagesState) -> &'static str {
    if state.app.https {
        "Path=/; HttpOnly; SameSite=Lax; Secure"
    } else {
        "Path=/; HttpOnly; SameSite=Lax"
    }
}

/// The media key in a valid `jwu_form` cookie.
fn form_media(state: &PagesState, parts: &Parts) -> Option<String> {
    let value = cookie_value(&parts.headers, FORM_COOKIE)?;
    let (key, tag) = value.split_once('.')?;
    (upload::is_valid_id(key) && state.app.key.verify("form", &[key], tag)).then(|| key.to_owned())
}

fn notice(state: &PagesState, status: StatusCode, text: &str) -> Response {
    html(
        state,
        status,
        page(
            "Upload",
            &format!(
                "<h1>Upload a video</h1><p role=\"alert\">{}</p>",
                escape_html(text)
            ),
        ),
    )
}

/// `GET /upload-form`: mints (or reuses) a form upload and renders the page.
pub async fn upload_form(
    state: &PagesState,
    parts: &Parts,
    query: &[(String, String)],
) -> Response {
    if !state.methods.contains(&jw_upload_core::Method::Form) {
        return notice(
            state,
            StatusCode::FORBIDDEN,
            "The no-JavaScript form upload needs the platform's v1 credentials, which this \
             server does not hold.",
        );
    }
    let cross_site = parts
        .headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"));
    if cross_site {
        return notice(
            state,
            StatusCode::FORBIDDEN,
            "Open this page directly: it is not available from other sites.",
        );
    }
    let page_ok = cookie_value(&parts.headers, PAGE_COOKIE)
        .and_then(|v| {
            v.split_once('.')
                .map(|(n, t)| state.app.key.verify("page", &[n], t))
        })
        .unwrap_or(false);
    if !page_ok {
        if query.iter().any(|(k, _)| k == "c") {
            return notice(
                state,
                StatusCode::BAD_REQUEST,
                "This page needs cookies to start an upload; allow them for this site and reload.",
            );
        }
        // A first visit: set the page cookie and come back (a top-level navigation sends it).
        let nonce = random_hex();
        let tag = state.app.key.tag("page", &[&nonce]);
        let mut r = (StatusCode::SEE_OTHER, [(LOCATION, "/upload-form?c=1")]).into_response();
        r.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        set_cookie(
            &mut r,
            &format!("{PAGE_COOKIE}={nonce}.{tag}; {}", cookie_attrs(state)),
        );
        return r;
    }
    if let Err(e) = state.app.count(parts) {
        let mut r = notice(
            state,
            StatusCode::TOO_MANY_REQUESTS,
            "Too many uploads were started from here; try again in a minute.",
        );
        if let Some(secs) = e.retry_after {
            r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        return r;
    }
    // Reuse this browser's media while the platform still has no file for it.
    let mut reuse = None;
    if let Some(key) = form_media(state, parts) {
        let empty = state
            .platform
            .v2_media(&key)
            .await
            .ok()
            .filter(|r| r.status().is_success())
            .and_then(|r| serde_json::from_slice::<Value>(r.body()).ok())
            .is_some_and(|v| v.get("status").and_then(Value::as_str) == Some("created"));
        if empty {
            reuse = Some(key);
        }
    }
    let (call, params) = match &reuse {
        Some(key) => ("videos/update", vec![("video_key".to_owned(), key.clone())]),
        None => (
            "videos/create",
            vec![("title".to_owned(), "Form upload".to_owned())],
        ),
    };
    let minted = state.platform.v1(call, params).await;
    let reply = match minted {
        Ok(r) if r.status() == StatusCode::TOO_MANY_REQUESTS => {
            let mut page = notice(
                state,
                StatusCode::TOO_MANY_REQUESTS,
                "The video platform is busy; try again in a moment.",
            );
            if let Some(retry) = r.retry_after() {
                page.headers_mut().insert(RETRY_AFTER, retry);
            }
            return page;
        }
        Ok(r) if r.status().is_success() => serde_json::from_slice::<Value>(r.body()).ok(),
        _ => None,
    };
    let origin = &state.app.origin;
    let action = reply
        .as_ref()
        .and_then(|v| form_action(v, &format!("{origin}/upload-done")));
    let key = reply
        .as_ref()
        .and_then(|v| v.get("media")?.get("key")?.as_str().map(str::to_owned))
        .filter(|k| upload::is_valid_id(k));
    let (Some(action), Some(key)) = (action, key) else {
        return notice(
            state,
            StatusCode::BAD_GATEWAY,
            "The video platform could not be reached; try again in a moment.",
        );
    };
    let main = format!(
        "<h1>Upload a video</h1>\n\
         <jw-upload endpoint=\"/api/uploads\" status-endpoint=\"/api/media\" \
         upload-api-base=\"{base}\" method=\"auto\" parallel-files=\"2\" accept=\"video/*\">\n\
         <form action=\"{action}\" method=\"post\" enctype=\"multipart/form-data\" \
         data-testid=\"plain-form\">\n\
         <p><label for=\"file\">Video file</label>\n\
         <input id=\"file\" type=\"file\" name=\"file\" accept=\"video/*\" required></p>\n\
         <p><button type=\"submit\">Upload</button></p>\n\
         </form>\n</jw-upload>",
        base = escape_html(&state.api_base),
        action = escape_html(&action),
    );
    let mut r = html(state, StatusCode::OK, page("Upload a video", &main));
    let tag = state.app.key.tag("form", &[&key]);
    set_cookie(
        &mut r,
        &format!(
            "{FORM_COOKIE}={key}.{tag}; Max-Age={}; {}",
            state.app.ownership_ttl_secs(),
            cookie_attrs(state)
        ),
    );
    r
}

/// `GET /upload-done?video_key=K`: where the platform sends the browser after a form upload.
pub fn upload_done(state: &PagesState, query: &Query<Vec<(String, String)>>) -> Response {
    let key = query
        .0
        .iter()
        .find(|(k, _)| k.ends_with("_key") || k == "key")
        .map(|(_, v)| v.as_str())
        .filter(|v| upload::is_valid_id(v));
    let main = match key {
        Some(key) => format!(
            "<h1>Upload received</h1>\n<p>The platform has the file: media key \
             <code data-testid=\"done-key\">{}</code>. It is processing it now.</p>\n\
             <p><a href=\"/upload-form\">Upload another file</a></p>",
            escape_html(key)
        ),
        None => "<h1>Upload</h1>\n<p>No upload was named.</p>\n\
                 <p><a href=\"/upload-form\">Upload a file</a></p>"
            .to_owned(),
    };
    let mut r = html(state, StatusCode::OK, page("Upload received", &main));
    // The form's media has its file now: the next form page mints a new one.
    if key.is_some() {
        set_cookie(
            &mut r,
            &format!("{FORM_COOKIE}=; Max-Age=0; {}", cookie_attrs(state)),
        );
    }
    r
}

/// Routes the pages under the app's state.
pub async fn upload_form_handler(
    State(state): State<Arc<PagesState>>,
    parts: Parts,
    query: Query<Vec<(String, String)>>,
) -> Response {
    upload_form(&state, &parts, &query.0).await
}

/// `GET /upload-done`.
pub async fn upload_done_handler(
    State(state): State<std::sync::Arc<PagesState>>,
    query: Query<Vec<(String, String)>>,
) -> Response {
    upload_done(&state, &query)
}

/// `GET /api/config`.
pub async fn config_handler(State(state): State<std::sync::Arc<PagesState>>) -> Response {
    config_json(&state)
}
