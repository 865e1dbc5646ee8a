//! The accept loop: one HTTP/1.1 connection task per socket, each able to hang
//! up without answering (for the dropped-connection and lost-answer faults),
//! and a stop that closes the listener and every connection (for restarts).

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::routes::{ConnKill, PeerAddr, router};
use crate::{AppState, ServerError};

/// A server listening on a socket.
pub struct RunningServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state (faults, database, key).
    pub state: Arc<AppState>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RunningServer {
    /// Base URL, e.g. `http://127.0.0.1:8787`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
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

/// Binds `addr` and serves the API until stopped.
pub async fn start(state: Arc<AppState>, addr: SocketAddr) -> Result<RunningServer, ServerError> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = router(state.clone());
    let (tx, mut rx) = watch::channel(false);
    let task = tokio::spawn(async move {
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                _ = rx.changed() => break,
                accepted = listener.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    let app = app.clone();
                    conns.spawn(async move {
                        let kill = Arc::new(Notify::new());
                        let kill_ext = ConnKill(kill.clone());
                        let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                            req.extensions_mut().insert(kill_ext.clone());
                            req.extensions_mut().insert(PeerAddr(peer));
                            app.clone().oneshot(req.map(axum::body::Body::new))
                        });
                        let conn = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), svc);
                        tokio::select! {
                            _ = conn => {}
                            _ = kill.notified() => {}
                        }
                    });
                }
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
        conns.shutdown().await;
    });
    tracing::info!(addr = %local, "escrow reference server listening");
    Ok(RunningServer {
        addr: local,
        state,
        shutdown: tx,
        task,
    })
}
