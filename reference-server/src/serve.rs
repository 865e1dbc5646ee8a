//! The accept loop: one HTTP/1.1 connection task per socket, each able to hang
//! up without answering (for the dropped-connection and lost-answer faults),
//! and a stop that closes the listener and every connection (for restarts).
//! Plain HTTP on loopback for the demo and tests; HTTPS with [`start_tls`].

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::error::ServerError;
use crate::routes::{ConnKill, PeerAddr, router};
use crate::state::AppState;

/// A server listening on a socket.
pub struct RunningServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state (faults, database, key).
    pub state: Arc<AppState>,
    tls: bool,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RunningServer {
    /// Base URL, e.g. `http://127.0.0.1:8787` (`https://` when serving TLS).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops listening and closes every open connection.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }

    /// Waits until the server stops (it never does unless stopped).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// Binds `addr` and serves the API over plain HTTP until stopped.
pub async fn start(state: Arc<AppState>, addr: SocketAddr) -> Result<RunningServer, ServerError> {
    serve(state, addr, None).await
}

/// Binds `addr` and serves the API over HTTPS until stopped (see [`crate::tls`]).
pub async fn start_tls(
    state: Arc<AppState>,
    addr: SocketAddr,
    tls: TlsAcceptor,
) -> Result<RunningServer, ServerError> {
    serve(state, addr, Some(tls)).await
}

async fn serve(
    state: Arc<AppState>,
    addr: SocketAddr,
    tls: Option<TlsAcceptor>,
) -> Result<RunningServer, ServerError> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    // The browser back office's pages beside the API (`crate::web`).
    let app = crate::web::router(state.clone()).merge(router(state.clone()));
    let with_tls = tls.is_some();
    let (tx, mut rx) = watch::channel(false);
    let task = tokio::spawn(async move {
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                _ = rx.changed() => break,
                accepted = listener.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    let app = app.clone();
                    let tls = tls.clone();
                    conns.spawn(async move {
                        match tls {
                            None => connection(stream, PeerAddr { addr: peer, tls: false }, app).await,
                            Some(tls) => match tls.accept(stream).await {
                                Ok(stream) => {
                                    connection(stream, PeerAddr { addr: peer, tls: true }, app).await
                                }
                                Err(e) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                            },
                        }
                    });
                }
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
        conns.shutdown().await;
    });
    tracing::info!(addr = %local, tls = with_tls, "escrow reference server listening");
    Ok(RunningServer {
        addr: local,
        state,
        tls: with_tls,
        shutdown: tx,
        task,
    })
}

/// Serves one connection until it ends or a fault switch hangs it up.
async fn connection<S>(stream: S, peer: PeerAddr, app: axum::Router)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let kill = Arc::new(Notify::new());
    let kill_ext = ConnKill(kill.clone());
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(kill_ext.clone());
        req.extensions_mut().insert(peer);
        app.clone().oneshot(req.map(axum::body::Body::new))
    });
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
    tokio::select! {
        _ = conn => {}
        _ = kill.notified() => {}
    }
}
