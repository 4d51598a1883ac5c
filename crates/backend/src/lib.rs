//! jw-upload-backend: the reference customer backend that mints JW Platform upload credentials.
//!
//! Mount [`app`] in an axum site, or run the binary. The browser asks `POST /api/uploads` for
//! upload credentials; the backend calls the platform (v1 signed, or v2 bearer) with secrets
//! from its environment and passes the platform's reply through. The secrets never leave it.
#![deny(missing_docs)]

mod config;
mod csrf;
mod error;
mod fetch_guard;
mod key;
mod limit;
mod metadata;
mod pages;
mod platform;
mod policy;
mod routes;
mod server;
mod sign;
mod upload;

pub use config::{
    Config, ConfigError, MetadataRules, ServerLimits, DEFAULT_API_BASE, DEFAULT_LISTEN,
};
pub use csrf::{
    cookie_name as csrf_cookie_name, mint_for as mint_csrf_token, site_of,
    COOKIE_NAME as CSRF_COOKIE, HEADER_NAME as CSRF_HEADER,
};
pub use error::ApiError;
pub use fetch_guard::is_internal as is_internal_address;
pub use pages::{escape_html, form_action};
pub use policy::{Action, Ask, MintedHere, Policy, OWNER_COOKIE_PREFIX};
pub use routes::{app, content_security_policy, Backend};
pub use server::{serve, spawn, spawn_router, BackendServer};
pub use sign::{canonical_query, pct_encode, sign_v1};
pub use upload::{plan as plan_upload, plan_request, Apis, Planned, PlatformCall, Rules};
