//! The listener: an accept loop serving the router over HTTP/1.1, where each connection carries a
//! kill switch so faults can end it with a real TCP RST (linger 0) or a clean FIN and no reply.

use std::io;
use std::net::Shutdown;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Weak};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use futures_util::FutureExt;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
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

/// Per-connection kill switch, shared by the socket wrapper and the request extensions; it also
/// watches the socket so a stalled request notices when its client goes away.
#[derive(Clone, Debug)]
pub struct ConnHandle {
    mode: Arc<AtomicU8>,
    sock: Weak<TcpStream>,
}

impl ConnHandle {
    /// Asks the connection to die at its next read or write.
    pub fn kill(&self, mode: KillMode) {
        let v = match mode {
            KillMode::Reset => 1,
            KillMode::Close => 2,
        };
        let _ = self
            .mode
            .compare_exchange(0, v, Ordering::SeqCst, Ordering::SeqCst);
    }

    fn mode(&self) -> Option<KillMode> {
        match self.mode.load(Ordering::SeqCst) {
            1 => Some(KillMode::Reset),
            2 => Some(KillMode::Close),
            _ => None,
        }
    }

    /// Whether a fault killed this connection.
    pub fn is_killed(&self) -> bool {
        self.mode().is_some()
    }

    /// Resolves once the client has gone: it sent a FIN (even with unread bytes queued before it),
    /// a RST, or the socket is closed. Polls every 100 ms without reading anything.
    pub async fn client_gone(&self) {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let Some(sock) = self.sock.upgrade() else {
                return;
            };
            if matches!(
                socket2::SockRef::from(&*sock).take_error(),
                Ok(Some(_)) | Err(_)
            ) {
                return;
            }
            if let Some(Ok(r)) = sock.ready(Interest::READABLE).now_or_never() {
                if r.is_read_closed() || r.is_error() {
                    return;
                }
            }
        }
    }
}

/// `TcpStream` whose reads and writes fail once its [`ConnHandle`] is killed.
struct SimStream {
    inner: Arc<TcpStream>,
    ctl: ConnHandle,
    applied: bool,
}

impl SimStream {
    /// Applies the kill (once): linger 0 for a reset, a write shutdown (FIN) for a close.
    fn kill_error(&mut self) -> io::Error {
        let mode = self.ctl.mode().unwrap_or(KillMode::Reset);
        if !self.applied {
            let sock = socket2::SockRef::from(&*self.inner);
            // Linger 0 makes close() send a RST; a write shutdown sends the FIN now.
            let _ = match mode {
                KillMode::Reset => sock.set_linger(Some(Duration::ZERO)),
                KillMode::Close => sock.shutdown(Shutdown::Write),
            };
            self.applied = true;
        }
        let kind = match mode {
            KillMode::Reset => io::ErrorKind::ConnectionReset,
            KillMode::Close => io::ErrorKind::ConnectionAborted,
        };
        io::Error::new(kind, "connection killed by fault")
    }
}

impl AsyncRead for SimStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.ctl.is_killed() {
                return Poll::Ready(Err(this.kill_error()));
            }
            ready!(this.inner.poll_read_ready(cx))?;
            match this.inner.try_read(buf.initialize_unfilled()) {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for SimStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            if this.ctl.is_killed() {
                return Poll::Ready(Err(this.kill_error()));
            }
            ready!(this.inner.poll_write_ready(cx))?;
            match this.inner.try_write(data) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                other => return Poll::Ready(other),
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.ctl.is_killed() {
            return Poll::Ready(Err(this.kill_error()));
        }
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.ctl.is_killed() {
            return Poll::Ready(Err(this.kill_error()));
        }
        Poll::Ready(socket2::SockRef::from(&*this.inner).shutdown(Shutdown::Write))
    }
}

impl Drop for SimStream {
    fn drop(&mut self) {
        // After a clean close, drain what the client still sends so the kernel does not answer
        // the unread bytes with a RST: the client sees the FIN.
        if self.ctl.mode() == Some(KillMode::Close) {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                let sock = self.inner.clone();
                rt.spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    let drain = async {
                        loop {
                            if sock.readable().await.is_err() {
                                break;
                            }
                            match sock.try_read(&mut buf) {
                                Ok(0) => break,
                                Ok(_) => {}
                                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                                Err(_) => break,
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
                    let stream = Arc::new(stream);
                    let ctl = ConnHandle { mode: Arc::new(AtomicU8::new(0)), sock: Arc::downgrade(&stream) };
                    let io = TokioIo::new(SimStream { inner: stream, ctl: ctl.clone(), applied: false });
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
