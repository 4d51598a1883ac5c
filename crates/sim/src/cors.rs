//! CORS for direct browser uploads: configured origins (`*` reflects any), preflights for PUT/POST
//! with any requested header, `Access-Control-Max-Age: 600`, upload headers exposed.

use std::time::Duration;

use axum::http::{header, HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

/// The CORS layer for `origins`.
pub fn layer(origins: &[String]) -> CorsLayer {
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::mirror_request()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([
            header::ETAG,
            header::RANGE,
            header::RETRY_AFTER,
            header::LOCATION,
            HeaderName::from_static("x-session-id"),
        ])
        .max_age(Duration::from_secs(600))
}
