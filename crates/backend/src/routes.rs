//! The router: `/api/csrf`, `/api/uploads`, `/api/media/{id}`, `/api/config`, the form-upload
//! pages (`/upload-form`, `/upload-done`), and the optional static dir.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HOST, REFERRER_POLICY, RETRY_AFTER,
    SET_COOKIE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jw_upload_core::{Resource, UploadRequest};
use serde_json::Value;
use tower::Layer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

use crate::config::Config;
use crate::csrf;
use crate::error::ApiError;
use crate::fetch_guard;
use crate::key::ServerKey;
use crate::limit::RateLimit;
use crate::pages::{self, PagesState};
use crate::platform::Platform;
use crate::policy::{Action, Ask, MintedHere, Ownership, Policy};
use crate::upload::{self, PlatformCall, Rules};

/// Largest `POST /api/uploads` body accepted.
const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// What the API handlers share.
pub(crate) struct AppState {
    pub(crate) platform: Platform,
    pub(crate) origin: String,
    pub(crate) allowed_origins: Vec<String>,
    pub(crate) key: ServerKey,
    pub(crate) https: bool,
    /// Pages on another site may call (cookies `SameSite=None; Secure` under https).
    pub(crate) cross_site: bool,
    pub(crate) ownership: Ownership,
    pub(crate) policy: Box<dyn Policy>,
    pub(crate) rules: Rules,
    pub(crate) fetch_hosts: Vec<String>,
    pub(crate) limit: RateLimit,
    pub(crate) ownership_ttl: Duration,
}

impl AppState {
    /// Asks the policy; a 403 `forbidden` when it refuses.
    pub(crate) fn authorize(
        &self,
        parts: &Parts,
        action: Action,
        media_id: Option<&str>,
        resource: Resource,
    ) -> Result<(), ApiError> {
        let minted_here = media_id.is_some_and(|id| self.ownership.holds(&parts.headers, id));
        let ask = Ask {
            action,
            media_id,
            resource,
            minted_here,
            request: parts,
        };
        if self.policy.allows(&ask) {
            Ok(())
        } else {
            tracing::info!(?action, "refused by the policy");
            Err(ApiError::forbidden())
        }
    }

    /// Seconds an ownership (or form page) cookie lives.
    pub(crate) fn ownership_ttl_secs(&self) -> u64 {
        self.ownership_ttl.as_secs()
    }

    /// Counts a minting request against the client's rate limit.
    pub(crate) fn count(&self, parts: &Parts) -> Result<(), ApiError> {
        self.limit.check(RateLimit::client(parts), Instant::now())
    }
}

/// The backend with a customer policy: `Backend::new(config).policy(p).router()`.
///
/// ```no_run
/// use jw_upload_backend::{Action, Ask, Backend, Config};
///
/// #[derive(Clone)]
/// struct User { editor: bool }
///
/// // The app's own auth layer puts its logged-in `User` into the request extensions; an
/// // editor may renew and read any media, everyone else only what they minted.
/// let router = Backend::new(Config::default())
///     .policy(|ask: &Ask<'_>| {
///         let editor = ask.request.extensions.get::<User>().is_some_and(|u| u.editor);
///         editor || matches!(ask.action, Action::Create | Action::Fetch) || ask.minted_here
///     })
///     .router();
/// # let _ = router;
/// ```
pub struct Backend {
    config: Config,
    policy: Box<dyn Policy>,
}

impl Backend {
    /// The backend for `config`, with the default [`MintedHere`] policy.
    pub fn new(config: Config) -> Backend {
        Backend {
            config,
            policy: Box::new(MintedHere),
        }
    }

    /// Replaces the policy.
    pub fn policy(mut self, policy: impl Policy) -> Backend {
        self.policy = Box::new(policy);
        self
    }

    /// The router (see [`app`]).
    pub fn router(self) -> Router {
        build(self.config, self.policy)
    }
}

/// The backend as a `Router` with the default policy: the `/api/...` routes, plus the static
/// directory (served with a strict Content-Security-Policy) when `config.static_dir` is set.
pub fn app(config: Config) -> Router {
    Backend::new(config).router()
}

fn build(config: Config, policy: Box<dyn Policy>) -> Router {
    let key = ServerKey::new(&config.server_key);
    let https = config.is_https();
    let origin = config.origin();
    let cross_site = csrf::any_cross_site(&origin, &config.allowed_origins);
    if cross_site && !https {
        tracing::warn!(
            "JW_BACKEND_ALLOWED_ORIGINS lists another site than {origin}: cookies cannot cross \
             sites over http; pages there get a 403 that says so (serve the backend over https)"
        );
    }
    let state = Arc::new(AppState {
        platform: Platform::new(&config),
        origin: origin.clone(),
        allowed_origins: config.allowed_origins.clone(),
        key: key.clone(),
        https,
        cross_site,
        ownership: Ownership::new(key.clone(), config.ownership_ttl, https, cross_site),
        policy,
        rules: Rules {
            metadata: config.metadata.clone(),
            account_uploads: config.account_uploads,
            fetch: !config.fetch_hosts.is_empty(),
            apis: upload::Apis {
                v1: config.has_v1(),
                v2: config.has_v2(),
            },
            allowed_types: config.allowed_types.clone(),
        },
        fetch_hosts: config.fetch_hosts.clone(),
        limit: RateLimit::new(config.rate_limit_per_minute),
        ownership_ttl: config.ownership_ttl,
    });
    let pages = Arc::new(PagesState {
        platform: Platform::new(&config),
        api_base: config.api_base.trim_end_matches('/').to_owned(),
        simulator: config.uses_loopback_platform(),
        methods: config.methods(),
        csp: content_security_policy(&config),
        app: state.clone(),
    });
    let api = Router::new()
        .route("/csrf", get(get_csrf))
        .route(
            "/config",
            get(pages::config_handler).with_state(pages.clone()),
        )
        .route(
            "/uploads",
            post(post_upload).layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES)),
        )
        .route("/media/{id}", get(get_media))
        .fallback(|| async { ApiError::not_found("no such API endpoint") })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .with_state(state.clone())
        .layer(SetResponseHeaderLayer::overriding(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ));
    let api = match cors_layer(&config.allowed_origins) {
        Some(cors) => api.layer(cors),
        None => api,
    };
    let router = Router::new()
        .route("/upload-form", get(pages::upload_form_handler))
        .route("/upload-done", get(pages::upload_done_handler))
        .with_state(pages)
        .nest("/api", api);
    let router = match &config.static_dir {
        Some(dir) => {
            let csp = HeaderValue::from_str(&content_security_policy(&config))
                .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
            // Compressed for browsers that ask (the wasm: 864 KB, 354 KB gzipped), as
            // tower-http decides: not images, not tiny bodies.
            let files = CompressionLayer::new().layer(ServeDir::new(dir));
            router
                .fallback_service(files)
                .layer(SetResponseHeaderLayer::if_not_present(
                    CONTENT_SECURITY_POLICY,
                    csp,
                ))
        }
        None => router.fallback(|| async { ApiError::not_found("nothing is served here") }),
    };
    let authority = host_of(&origin);
    router
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let authority = authority.clone();
            async move { check_host(&authority, request, next).await }
        }))
        // The whole request (a trickled body included) within the request timeout: a 408 that
        // closes the connection.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.limits.request_timeout,
        ))
        .layer(middleware::from_fn(close_after_refusal))
        .layer(RequestBodyTimeoutLayer::new(config.limits.request_timeout))
        .layer(SetResponseHeaderLayer::overriding(
            X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
}

/// A refused request with a body unread gets `Connection: close`, so a client trickling a body
/// the backend will never read does not keep the connection.
async fn close_after_refusal(request: Request, next: Next) -> Response {
    let has_body = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .is_some_and(|v| v.as_bytes() != b"0")
        || request
            .headers()
            .contains_key(axum::http::header::TRANSFER_ENCODING);
    let mut response = next.run(request).await;
    if has_body && (response.status().is_client_error() || response.status().is_server_error()) {
        response.headers_mut().insert(
            axum::http::header::CONNECTION,
            HeaderValue::from_static("close"),
        );
    }
    response
}

/// `host[:port]` of an origin, lower-case, as a `Host` header names it.
fn host_of(origin: &str) -> String {
    origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .to_ascii_lowercase()
}

/// Answers only requests sent to the public origin's host: a rebinding name pointing at this
/// server is refused (a request without `Host` is not a browser's and passes).
async fn check_host(authority: &str, request: Request, next: Next) -> Response {
    if let Some(host) = request.headers().get(HOST) {
        let ours = host.to_str().is_ok_and(|h| {
            let h = h.trim().to_ascii_lowercase();
            h == authority
                || authority
                    .strip_suffix(":80")
                    .or_else(|| authority.strip_suffix(":443"))
                    .is_some_and(|bare| h == bare)
                || h.strip_suffix(":80")
                    .or_else(|| h.strip_suffix(":443"))
                    .is_some_and(|bare| bare == authority)
        });
        if !ours {
            tracing::info!("request for another Host refused");
            return ApiError::misdirected().into_response();
        }
    }
    next.run(request).await
}

/// CORS for the extra allowed origins (a page served elsewhere calling the backend with
/// credentials): the token header may be sent, `Retry-After` may be read. Same-origin pages
/// need none of it; other origins get no `Access-Control-Allow-Origin`.
fn cors_layer(allowed_origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_credentials(true)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([CONTENT_TYPE, HeaderName::from_static(csrf::HEADER_NAME)])
            .expose_headers([RETRY_AFTER])
            .max_age(Duration::from_secs(600)),
    )
}

/// The Content-Security-Policy of the static pages. `connect-src` allows the platform origin(s)
/// the browser uploads to: `api_base`'s origin (both loopback names for the simulator; the
/// upload and S3 hosts for the real platform) and `config.connect_src_extra`.
pub fn content_security_policy(config: &Config) -> String {
    let mut connect = vec!["'self'".to_owned()];
    if let Ok(url) = reqwest::Url::parse(&config.api_base) {
        let origin = url.origin().ascii_serialization();
        connect.push(origin);
        if config.uses_loopback_platform() {
            if let Some(port) = url.port_or_known_default() {
                for host in ["127.0.0.1", "localhost"] {
                    connect.push(format!("{}://{host}:{port}", url.scheme()));
                }
            }
        }
        let host = url.host_str().unwrap_or_default();
        if host.ends_with("jwplayer.com") || host.ends_with("jwplatform.com") {
            for extra in [
                "https://api.jwplayer.com",
                "https://upload.jwplatform.com",
                "https://upload-s3.jwplatform.com",
                "https://jwplatform-upload.s3-accelerate.amazonaws.com",
                "https://*.s3.amazonaws.com",
            ] {
                connect.push(extra.to_owned());
            }
        }
    }
    connect.extend(
        config
            .connect_src_extra
            .iter()
            .filter(|s| !s.contains([';', ',', '\'', '"']) && !s.chars().any(char::is_whitespace))
            .cloned(),
    );
    let mut seen = std::collections::HashSet::new();
    connect.retain(|s| seen.insert(s.clone()));
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data: blob:; media-src 'self' blob:; connect-src {}; \
         worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        connect.join(" ")
    )
}

async fn get_csrf(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Err(e) = csrf::check_origin(&headers, &state.origin, &state.allowed_origins, false) {
        return e.into_response();
    }
    if let Err(e) = csrf::cross_site_refusal(&headers, &state.origin, state.https) {
        return e.into_response();
    }
    let token = csrf::mint_token(&state.key);
    let mut response = Json(serde_json::json!({ "token": token })).into_response();
    let cookie = csrf::cookie_header(&token, state.https, state.cross_site);
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(SET_COOKIE, cookie);
    }
    response
}

async fn post_upload(
    State(state): State<Arc<AppState>>,
    parts: Parts,
    body: Result<Json<UploadRequest>, JsonRejection>,
) -> Response {
    match upload(&state, parts, body).await {
        Ok(r) | Err(r) => r,
    }
}

/// The CSRF checks of a state-changing request, logged (the `Origin` shortened) when refused.
pub(crate) fn check_csrf(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    csrf::check_origin(headers, &state.origin, &state.allowed_origins, true)
        .and_then(|()| csrf::check_token(headers, &state.key, state.https))
        .inspect_err(|e| {
            let origin = csrf::origin_for_log(headers);
            tracing::warn!(code = e.code, ?origin, "request refused by the CSRF checks");
        })
}

async fn upload(
    state: &AppState,
    parts: Parts,
    body: Result<Json<UploadRequest>, JsonRejection>,
) -> Result<Response, Response> {
    check_csrf(state, &parts.headers).map_err(IntoResponse::into_response)?;
    let Json(request) = body.map_err(|rejection| json_refusal(&rejection).into_response())?;
    let planned = upload::plan_request(&request, &state.rules).map_err(|e| {
        tracing::info!(code = e.code, message = %e.message, "upload request refused");
        e.into_response()
    })?;
    state
        .authorize(
            &parts,
            planned.action,
            planned.media_id.as_deref(),
            planned.resource,
        )
        .map_err(IntoResponse::into_response)?;
    if let Some(url) = &planned.download_url {
        fetch_guard::check(url, &state.fetch_hosts)
            .await
            .map_err(IntoResponse::into_response)?;
    }
    state.count(&parts).map_err(IntoResponse::into_response)?;
    let relayed = match &planned.call {
        PlatformCall::V1 { call, params } => state.platform.v1(call, params.clone()).await,
        PlatformCall::V2Create { body } => state.platform.v2_create(body).await,
    };
    // The browser now owns what was minted for it (a renewal extends the right).
    let minted = match (&relayed, planned.action) {
        (Ok(reply), Action::Create | Action::Fetch | Action::Renew)
            if reply.status().is_success() =>
        {
            serde_json::from_slice::<Value>(reply.body())
                .ok()
                .and_then(|body| minted_key(&planned.call, &body))
        }
        _ => None,
    };
    let mut response = relayed.into_response();
    if let Some(id) = minted.filter(|id| upload::is_valid_id(id)) {
        if let Ok(cookie) = HeaderValue::from_str(&state.ownership.cookie_for(&id)) {
            response.headers_mut().append(SET_COOKIE, cookie);
        }
    }
    Ok(response)
}

/// The media key a successful mint reply names: v1 `media.key`, v2 `id`.
fn minted_key(call: &PlatformCall, body: &Value) -> Option<String> {
    let key = match call {
        PlatformCall::V1 { .. } => body.get("media")?.get("key")?,
        PlatformCall::V2Create { .. } => body.get("id")?,
    };
    key.as_str().map(str::to_owned)
}

/// The 4xx for a body that is not an upload request (unknown fields are named).
fn json_refusal(rejection: &JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::bad_request_status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be JSON, sent with Content-Type: application/json",
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::bad_request_status(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {MAX_REQUEST_BYTES} bytes"),
        ),
        other => ApiError::bad_request(format!(
            "the body is not a valid upload request: {}",
            other.body_text()
        )),
    }
}

async fn get_media(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    parts: Parts,
) -> Response {
    if let Err(e) = csrf::check_origin(&parts.headers, &state.origin, &state.allowed_origins, false)
    {
        return e.into_response();
    }
    if !upload::is_valid_id(&id) {
        return ApiError::bad_request("the media id must be 1 to 64 letters, digits, '_' or '-'")
            .into_response();
    }
    if let Err(e) = state.authorize(&parts, Action::Status, Some(&id), Resource::Video) {
        return e.into_response();
    }
    if !state.rules.apis.v2 {
        return ApiError::forbidden_kind(
            "following processing needs the v2 secret, which this backend does not hold",
        )
        .into_response();
    }
    state.platform.v2_media(&id).await.into_response()
}
