//! Serving the router on a socket: header-read (and keep-alive idle), body and connection
//! lifetime timeouts and a connection cap, from hyper-util, tokio and tower-http; `spawn` runs
//! it in a background task with graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Semaphore};
use tokio::task::JoinHandle;
use tower::ServiceExt;

use crate::config::{Config, ServerLimits};
use crate::routes::app;

/// The longest a connection lives, whatever it does: the backend's requests and replies are
/// small, so only a client holding a connection open on purpose reaches it.
const MAX_CONNECTION_LIFETIME: Duration = Duration::from_secs(300);
/// How long requests in flight get to finish after a shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

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

/// Binds `config.listen` (port 0 picks a free port) and serves [`app`] in a tokio task. With
/// no `public_origin` configured, the bound `http://{addr}` is the public origin.
pub async fn spawn(mut config: Config) -> std::io::Result<BackendServer> {
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    config.listen = addr;
    let limits = config.limits;
    spawn_router(listener, app(config), limits)
}

/// Serves `router` on `listener` in a tokio task (see [`serve`]).
pub fn spawn_router(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
) -> std::io::Result<BackendServer> {
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, router, limits, async move {
        let _ = stopped.await;
    }));
    Ok(BackendServer { addr, stop, task })
}

/// Serves `router` on `listener` until `stop` completes. Each connection must send a request's
/// headers within `limits.header_timeout` (also how long an idle kept-alive connection stays),
/// (a connection that sends nothing is closed after the same time), lives at most five
/// minutes, and at most `limits.max_connections` are open (more wait in
/// the kernel's backlog). Requests get `ConnectInfo<SocketAddr>` (the per-client rate limit).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(limits.header_timeout))
        .keep_alive_timeout(limits.header_timeout);
    let builder = Arc::new(builder);
    tokio::pin!(stop);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut stop => break,
        };
        let Ok(slot) = slot else { break };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let router = router.clone();
        let builder = builder.clone();
        let graceful_watch = graceful.watcher();
        let first_byte = limits.header_timeout;
        tokio::spawn(async move {
            let _slot = slot;
            // hyper times the headers from their first byte: a connection that sends nothing
            // at all is closed here, after the same header timeout.
            let mut probe = [0u8; 1];
            match tokio::time::timeout(first_byte, stream.peek(&mut probe)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return,
            }
            let service = router.map_request(
                move |mut request: axum::extract::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    request.map(axum::body::Body::new)
                },
            );
            let connection = builder
                .serve_connection_with_upgrades(
                    TokioIo::new(stream),
                    TowerToHyperService::new(service),
                )
                .into_owned();
            let watched = graceful_watch.watch(connection);
            match tokio::time::timeout(MAX_CONNECTION_LIFETIME, watched).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::debug!(error = %e, "connection ended with an error"),
                Err(_) => tracing::info!("connection closed: it lived too long"),
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running at shutdown were cut off");
    }
    Ok(())
}
