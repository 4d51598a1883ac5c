//! Run with: JW_API_BASE=http://127.0.0.1:4010 cargo run -p jw-upload-backend
//!
//! The reference customer backend. Configuration comes from the environment (`JW_API_BASE`,
//! `JW_SITE_ID`, `JW_API_KEY`, `JW_API_SECRET`, `JW_V2_SECRET`, `JW_BACKEND_LISTEN`,
//! `JW_BACKEND_STATIC_DIR`, `JW_BACKEND_ALLOWED_ORIGINS`, `JW_BACKEND_CONNECT_SRC`,
//! `JW_BACKEND_PUBLIC_ORIGIN`, `JW_BACKEND_KEY`, `JW_BACKEND_FETCH_HOSTS`,
//! `JW_BACKEND_ACCOUNT_UPLOADS`, `JW_BACKEND_METADATA_V1`, `JW_BACKEND_METADATA_V2`,
//! `JW_BACKEND_CUSTOM_PARAMS`, `JW_BACKEND_RATE_LIMIT`, `JW_BACKEND_OWNERSHIP_HOURS`,
//! `JW_BACKEND_HEADER_TIMEOUT_SECS`, `JW_BACKEND_REQUEST_TIMEOUT_SECS`,
//! `JW_BACKEND_MAX_CONNECTIONS`; see crates/backend/README.md); with a loopback `JW_API_BASE`
//! the simulator's default credentials fill in what is unset.
//!
//! The binary uses the default policy: a browser acts only on the media minted for it. A CMS
//! that wants its logged-in users to manage their own media mounts the library instead:
//! its auth layer puts the user into the request extensions and
//! `Backend::new(config).policy(|ask| ...)` decides with it (see `Backend`).

use std::process::ExitCode;

use jw_upload_backend::{app, serve, Config};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let mut config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("configuration: {e}");
            return ExitCode::from(2);
        }
    };
    tracing::info!(?config, "starting jw-upload-backend");
    if config.uses_loopback_platform() {
        tracing::info!(
            "the platform is on this machine (the simulator); unset credentials are the simulator's defaults"
        );
    }
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(listen = %config.listen, "cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stop = stop_signal();
    let addr = listener.local_addr().map_or(config.listen, |a| a);
    config.listen = addr;
    if config.server_key.is_empty() {
        tracing::warn!(
            "JW_BACKEND_KEY is not set: tokens are signed with a random key, so they die with \
             this process and other instances refuse them"
        );
    }
    tracing::info!(public_origin = %config.origin(), "listening on http://{addr}");
    let limits = config.limits;
    let served = serve(listener, app(config), limits, async {
        stop.await;
        tracing::info!("shutting down");
    })
    .await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C, or (on Unix) SIGTERM as sent by process managers and `kill`. The SIGTERM handler is
/// installed right away, so a stop that comes before serving starts is not lost.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
