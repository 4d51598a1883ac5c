//! jw-platform-sim: a faithful simulator of the JW Platform upload APIs (v1 management API, form,
//! resumable, S3, v2 media and upload API), with admin endpoints and fault injection.
//!
//! See `docs/platform-contract.md` for every path, reply shape and fault rule it serves.
#![deny(missing_docs)]

mod admin;
mod auth;
mod clock;
mod config;
mod cors;
mod error;
mod faults;
mod form;
mod inject;
mod media;
mod net;
mod parts;
mod progress;
mod ranges;
mod records;
mod resumable;
mod s3;
mod state;
mod store;
mod uplink;
mod util;
mod v1;
mod v2;
mod xml;

pub use auth::v1_signature;
pub use config::Config;
pub use net::{spawn, SimServer};
pub use state::AppState;
pub use store::tiny_mp4;

use axum::routing::{any, get, post, put};
use axum::Router;

/// The simulator's router: every platform endpoint plus `/_sim/*`, with logging, CORS and faults.
pub fn app(state: AppState) -> Router {
    let routes = Router::new()
        .route("/v1/videos/upload/resumable", post(resumable::upload))
        .route("/v1/videos/upload", post(form::upload))
        .route("/v1/videos/thumbnails/upload", post(form::upload))
        .route("/v1/videos/tracks/upload", post(form::upload))
        .route("/v1/accounts/images/upload", post(form::upload))
        .route("/v1/accounts/skins/upload", post(form::upload))
        .route("/v1/uploads/{upload_id}/complete", put(parts::complete))
        .route("/v1/{*call}", any(v1::call))
        // v2 paths with and without the trailing `/` the official Python client sends.
        .route(
            "/v2/sites/{site_id}/media",
            post(v2::create).fallback(v2::unknown),
        )
        .route(
            "/v2/sites/{site_id}/media/",
            post(v2::create).fallback(v2::unknown),
        )
        .route(
            "/v2/sites/{site_id}/media/{media_id}",
            get(v2::status).fallback(v2::unknown),
        )
        .route(
            "/v2/sites/{site_id}/media/{media_id}/",
            get(v2::status).fallback(v2::unknown),
        )
        .route(
            "/v2/uploads/{upload_id}/parts",
            get(parts::list).fallback(v2::unknown),
        )
        .route(
            "/v2/uploads/{upload_id}/parts/",
            get(parts::list).fallback(v2::unknown),
        )
        .route(
            "/v2/uploads/{upload_id}/parts/{part}",
            put(parts::put_part).fallback(v2::unknown),
        )
        .route(
            "/v2/uploads/{upload_id}/complete",
            put(parts::complete).fallback(v2::unknown),
        )
        .route(
            "/v2/uploads/{upload_id}/complete/",
            put(parts::complete).fallback(v2::unknown),
        )
        .route("/v2/{*rest}", any(v2::unknown))
        .route("/progress", get(progress::progress))
        .route("/{bucket}/{key}", put(s3::put_object))
        .merge(admin::routes(state.clone()))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            inject::middleware,
        ))
        .layer(cors::layer(&state.config().allow_origins))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admin::log_middleware,
        ));
    routes.with_state(state)
}
