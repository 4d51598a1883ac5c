//! `GET /api/config` (what the browser widget needs to know) and the no-JavaScript form
//! upload: `GET /upload-form` renders a `<jw-upload>` around a plain form posting to a freshly
//! minted platform form-upload URL, whose `redirect_address` is `GET /upload-done`.

use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use crate::platform::Platform;
use crate::upload::{self, PlatformCall};

/// What the pages need from the app.
pub struct PagesState {
    /// The platform client.
    pub platform: Platform,
    /// `JW_API_BASE`: also the multipart upload API base.
    pub api_base: String,
    /// Whether the platform is the loopback simulator (the demo shows its trouble controls).
    pub simulator: bool,
    /// The static pages' Content-Security-Policy, also sent with these pages.
    pub csp: String,
}

/// `GET /api/config` → `{"upload_api_base": JW_API_BASE, "simulator": bool}`.
pub fn config_json(state: &PagesState) -> Response {
    Json(serde_json::json!({
        "upload_api_base": state.api_base,
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

/// This backend's own origin as the browser sees it (`Host`, and `X-Forwarded-Proto` from a
/// TLS-terminating proxy); `None` when the `Host` is missing or odd.
fn own_origin(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(HOST)?.to_str().ok()?;
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
    if !ok {
        return None;
    }
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    Some(format!("{scheme}://{host}"))
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

/// `GET /upload-form`: mints a form upload and renders the page.
pub async fn upload_form(state: &PagesState, headers: &HeaderMap) -> Response {
    let Some(origin) = own_origin(headers) else {
        return html(
            state,
            StatusCode::BAD_REQUEST,
            page(
                "Upload",
                "<h1>Upload</h1><p>The request has no usable Host header.</p>",
            ),
        );
    };
    let request = serde_json::json!({
        "method": "form",
        "file": { "name": "upload", "size": 0, "type": "" },
        "metadata": { "title": "Form upload" },
    });
    let minted = match upload::plan(request.to_string().as_bytes()) {
        Ok(PlatformCall::V1 { call, params }) => state.platform.v1(call, params).await.ok(),
        _ => None,
    };
    let action = minted
        .filter(|r| r.status().is_success())
        .and_then(|r| serde_json::from_slice::<Value>(r.body()).ok())
        .and_then(|v| form_action(&v, &format!("{origin}/upload-done")));
    let Some(action) = action else {
        return html(
            state,
            StatusCode::BAD_GATEWAY,
            page(
                "Upload",
                "<h1>Upload a video</h1><p role=\"alert\">The video platform could not be \
                 reached; try again in a moment.</p>",
            ),
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
    html(state, StatusCode::OK, page("Upload a video", &main))
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
    html(state, StatusCode::OK, page("Upload received", &main))
}

/// Routes the pages under the app's state.
pub async fn upload_form_handler(
    State(state): State<std::sync::Arc<PagesState>>,
    headers: HeaderMap,
) -> Response {
    upload_form(&state, &headers).await
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
