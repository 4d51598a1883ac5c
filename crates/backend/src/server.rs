//! `spawn`: serve the backend on a socket in a background task, with graceful shutdown.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::routes::app;

/// A backend serving in a background task. Dropping it leaves the task running until the
/// runtime ends; call [`BackendServer::shutdown`] to stop it cleanly.
#[derive(Debug)]
pub struct BackendServer {
    /// The address actually bound (the real port when `listen` had port 0).
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl BackendServer {
    /// `http://{addr}`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish, and waits for the task.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "backend server ended with an error"),
            Err(e) => tracing::warn!(error = %e, "backend server task failed"),
        }
    }
}

/// Binds `config.listen` (port 0 picks a free port) and serves [`app`] in a tokio task.
pub async fn spawn(config: Config) -> std::io::Result<BackendServer> {
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let router = app(config);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    Ok(BackendServer { addr, stop, task })
}
