//! The router: `/api/csrf`, `/api/uploads`, `/api/media/{id}`, `/api/config`, the form-upload
//! pages (`/upload-form`, `/upload-done`), and the optional static dir.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Path, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, RETRY_AFTER, SET_COOKIE,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::config::Config;
use crate::csrf;
use crate::error::ApiError;
use crate::pages::{self, PagesState};
use crate::platform::Platform;
use crate::upload::{self, PlatformCall};

/// Largest `POST /api/uploads` body accepted.
const MAX_REQUEST_BYTES: usize = 64 * 1024;

struct AppState {
    platform: Platform,
    allowed_origins: Vec<String>,
}

/// The backend as a `Router`: the `/api/...` routes, plus the static directory (served with a
/// strict Content-Security-Policy) when `config.static_dir` is set.
pub fn app(config: Config) -> Router {
    let state = Arc::new(AppState {
        platform: Platform::new(&config),
        allowed_origins: config.allowed_origins.clone(),
    });
    let pages = Arc::new(PagesState {
        platform: Platform::new(&config),
        api_base: config.api_base.trim_end_matches('/').to_owned(),
        simulator: config.uses_loopback_platform(),
        csp: content_security_policy(&config),
    });
    let api = Router::new()
        .route("/csrf", get(get_csrf))
        .route(
            "/config",
            get(pages::config_handler).with_state(pages.clone()),
        )
        .route("/uploads", post(post_upload))
        .route("/media/{id}", get(get_media))
        .fallback(|| async { ApiError::not_found("no such API endpoint") })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .with_state(state)
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
            router.fallback_service(ServeDir::new(dir)).layer(
                SetResponseHeaderLayer::if_not_present(CONTENT_SECURITY_POLICY, csp),
            )
        }
        None => router.fallback(|| async { ApiError::not_found("nothing is served here") }),
    };
    router
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

async fn get_csrf(State(state): State<Arc<AppState>>, request: Request) -> Response {
    if let Err(e) = csrf::check_origin(
        request.headers(),
        request.uri(),
        &state.allowed_origins,
        false,
    ) {
        return e.into_response();
    }
    let token = csrf::mint_token();
    let mut response = Json(serde_json::json!({ "token": token })).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&csrf::cookie_header(&token)) {
        response.headers_mut().insert(SET_COOKIE, cookie);
    }
    response
}

async fn post_upload(State(state): State<Arc<AppState>>, request: Request) -> Response {
    match upload(&state, request).await {
        Ok(r) | Err(r) => r,
    }
}

async fn upload(state: &AppState, request: Request) -> Result<Response, Response> {
    let (parts, body) = request.into_parts();
    csrf::check_origin(&parts.headers, &parts.uri, &state.allowed_origins, true)
        .and_then(|()| csrf::check_token(&parts.headers))
        .map_err(|e| {
            let origin = parts.headers.get("origin").and_then(|o| o.to_str().ok());
            tracing::warn!(
                code = e.code,
                ?origin,
                "upload request refused by the CSRF checks"
            );
            e.into_response()
        })?;
    let is_json = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::bad_request_status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be JSON, sent with Content-Type: application/json",
        )
        .into_response());
    }
    let bytes = to_bytes(Body::new(body), MAX_REQUEST_BYTES)
        .await
        .map_err(|_| {
            ApiError::bad_request_status(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is larger than {MAX_REQUEST_BYTES} bytes"),
            )
            .into_response()
        })?;
    let call = upload::plan(&bytes).map_err(|e| {
        tracing::info!(code = e.code, message = %e.message, "upload request refused");
        e.into_response()
    })?;
    let relayed = match call {
        PlatformCall::V1 { call, params } => state.platform.v1(call, params).await,
        PlatformCall::V2Create { body } => state.platform.v2_create(&body).await,
    };
    Ok(relayed.into_response())
}

async fn get_media(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    if let Err(e) = csrf::check_origin(
        request.headers(),
        request.uri(),
        &state.allowed_origins,
        false,
    ) {
        return e.into_response();
    }
    if !upload::is_valid_id(&id) {
        return ApiError::bad_request("the media id must be 1 to 64 letters, digits, '_' or '-'")
            .into_response();
    }
    state.platform.v2_media(&id).await.into_response()
}
