//! Run with: JW_API_BASE=http://127.0.0.1:4010 cargo run -p jw-upload-backend
//!
//! The reference customer backend. Configuration comes from the environment (`JW_API_BASE`,
//! `JW_SITE_ID`, `JW_API_KEY`, `JW_API_SECRET`, `JW_V2_SECRET`, `JW_BACKEND_LISTEN`,
//! `JW_BACKEND_STATIC_DIR`, `JW_BACKEND_ALLOWED_ORIGINS`, `JW_BACKEND_CONNECT_SRC`); with a
//! loopback `JW_API_BASE` the simulator's default credentials fill in what is unset.

use std::process::ExitCode;

use jw_upload_backend::{app, Config};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = match Config::from_env() {
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
    tracing::info!("listening on http://{addr}");
    let served = axum::serve(listener, app(config))
        .with_graceful_shutdown(async {
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
