//! The listener: an accept loop serving the router over HTTP/1.1, where each connection carries a
//! kill switch so faults can end it with a real TCP RST (linger 0) or a clean FIN and no reply.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::config::Config;
use crate::state::AppState;

/// How a fault ends a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillMode {
    /// TCP RST (SO_LINGER 0, then close).
    Reset,
    /// FIN without a reply.
    Close,
}

/// Per-connection kill switch, shared by the socket wrapper and the request extensions.
#[derive(Clone, Debug)]
pub struct ConnHandle(Arc<AtomicU8>);

impl ConnHandle {
    /// Asks the connection to die at its next read or write.
    pub fn kill(&self, mode: KillMode) {
        let v = match mode {
            KillMode::Reset => 1,
            KillMode::Close => 2,
        };
        let _ = self
            .0
            .compare_exchange(0, v, Ordering::SeqCst, Ordering::SeqCst);
    }

    fn mode(&self) -> Option<KillMode> {
        match self.0.load(Ordering::SeqCst) {
            1 => Some(KillMode::Reset),
            2 => Some(KillMode::Close),
            _ => None,
        }
    }
}

/// `TcpStream` whose reads and writes fail once its [`ConnHandle`] is killed.
struct SimStream {
    inner: Option<TcpStream>,
    ctl: ConnHandle,
    applied: bool,
}

impl SimStream {
    /// Applies the kill (once): linger 0 for a reset, a write shutdown (FIN) for a close.
    fn poll_kill(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let Some(mode) = self.ctl.mode() else {
            return Poll::Ready(io::Error::other("not killed"));
        };
        if !self.applied {
            if let Some(s) = self.inner.as_mut() {
                match mode {
                    KillMode::Reset => {
                        // Linger 0 makes close() send RST; it does not block with a zero timeout.
                        #[allow(deprecated)]
                        let _ = s.set_linger(Some(Duration::ZERO));
                    }
                    KillMode::Close => {
                        if Pin::new(s).poll_shutdown(cx).is_pending() {
                            return Poll::Pending;
                        }
                    }
                }
            }
            self.applied = true;
        }
        let kind = match mode {
            KillMode::Reset => io::ErrorKind::ConnectionReset,
            KillMode::Close => io::ErrorKind::ConnectionAborted,
        };
        Poll::Ready(io::Error::new(kind, "connection killed by fault"))
    }
}

macro_rules! killed_or {
    ($self:ident, $cx:ident, $body:expr) => {{
        if $self.ctl.mode().is_some() {
            return match $self.poll_kill($cx) {
                Poll::Ready(e) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            };
        }
        match $self.inner.as_mut() {
            Some(s) => $body(Pin::new(s)),
            None => Poll::Ready(Err(io::Error::from(io::ErrorKind::NotConnected))),
        }
    }};
}

impl AsyncRead for SimStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        killed_or!(this, cx, |s: Pin<&mut TcpStream>| s.poll_read(cx, buf))
    }
}

impl AsyncWrite for SimStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        killed_or!(this, cx, |s: Pin<&mut TcpStream>| s.poll_write(cx, data))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        killed_or!(this, cx, |s: Pin<&mut TcpStream>| s.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        killed_or!(this, cx, |s: Pin<&mut TcpStream>| s.poll_shutdown(cx))
    }
}

impl Drop for SimStream {
    fn drop(&mut self) {
        // After a clean close, drain what the client still sends so the kernel does not answer
        // the unread bytes with a RST: the client sees the FIN.
        if self.ctl.mode() == Some(KillMode::Close) {
            if let (Some(mut s), Ok(rt)) =
                (self.inner.take(), tokio::runtime::Handle::try_current())
            {
                rt.spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    let drain = async {
                        while let Ok(n) = s.read(&mut buf).await {
                            if n == 0 {
                                break;
                            }
                        }
                    };
                    let _ = tokio::time::timeout(Duration::from_secs(30), drain).await;
                });
            }
        }
    }
}

/// A running simulator.
pub struct SimServer {
    /// The bound address.
    pub addr: SocketAddr,
    /// The state (for in-process inspection).
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl SimServer {
    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting and ends every open connection.
    pub async fn shutdown(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// The base URL as a `String` for the given path (`server.at("/_sim/log")`).
    pub fn at(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        // A server dropped without `shutdown` stops too (its connections are aborted with it).
        self.task.abort();
    }
}

/// Binds `config.listen` and serves the simulator in a background task.
pub async fn spawn(config: Config) -> io::Result<SimServer> {
    tokio::fs::create_dir_all(&config.data_dir).await?;
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(config);
    state.set_bound(addr);
    let router = crate::app(state.clone());
    let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                _ = &mut stop_rx => break,
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
                accepted = listener.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    let ctl = ConnHandle(Arc::new(AtomicU8::new(0)));
                    let io = TokioIo::new(SimStream { inner: Some(stream), ctl: ctl.clone(), applied: false });
                    let router = router.clone();
                    let svc = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                        req.extensions_mut().insert(ctl.clone());
                        req.extensions_mut().insert(ConnectInfo(peer));
                        router.clone().oneshot(req.map(Body::new))
                    });
                    conns.spawn(async move {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .timer(TokioTimer::new())
                            .serve_connection(io, svc)
                            .await;
                    });
                }
            }
        }
        conns.abort_all();
    });
    Ok(SimServer {
        addr,
        state,
        stop: Some(stop_tx),
        task,
    })
}

impl ConnHandle {
    /// Whether a fault killed this connection.
    pub fn is_killed(&self) -> bool {
        self.mode().is_some()
    }
}
