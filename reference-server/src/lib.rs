//! Reference escrow server: the device-facing API of `docs/protocol.md`.
//!
//! It enrolls devices with one-time tokens, keeps orders with only their derived
//! code keys, signs manifests, verifies and stores uploaded events exactly once,
//! answers online code checks, and has switches to inject faults. The demo and
//! the tests run it on loopback; integrators compare their backend with it.
//! Its data lives in SQLite (the default) or PostgreSQL ([`storage`]), so
//! several processes can serve devices from one database.

pub mod admin;
pub mod faults;
pub mod ingest;
pub mod postgres;
pub mod routes;
pub mod serve;
pub mod sqlite;
pub mod storage;
pub mod tls;

use std::sync::Arc;

use ring::signature::Ed25519KeyPair;
use thiserror::Error;

use crate::faults::Faults;
use crate::storage::Storage;

pub use serve::{RunningServer, start, start_tls};
pub use storage::Database;

/// What can fail inside the server.
#[derive(Debug, Error)]
pub enum ServerError {
    /// The database could not be read or written.
    #[error("server database error: {0}")]
    Database(String),
    /// The request conflicts with stored data.
    #[error("{0}")]
    Conflict(String),
    /// The request is invalid.
    #[error("{0}")]
    Invalid(String),
    /// Something named in the request does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Key material could not be created or loaded.
    #[error("server key error: {0}")]
    Key(String),
    /// The TLS certificate or key could not be used.
    #[error("TLS: {0}")]
    Tls(String),
    /// The listening socket could not be opened.
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
}

/// The server's clock, Unix milliseconds; tests pin it.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    })
}

/// How to open a server.
#[derive(Clone)]
pub struct ServerConfig {
    /// Where the data lives: a SQLite file (the default) or a PostgreSQL URL.
    pub database: Database,
    /// Bearer token of the admin API; `None` disables it.
    pub admin_token: Option<String>,
    /// The clock.
    pub clock: Clock,
}

/// Everything a request handler needs. The fault switches are the only
/// state in process memory, and they exist for tests only.
pub struct AppState {
    store: Arc<dyn Storage>,
    key: Ed25519KeyPair,
    /// The fault switches.
    pub faults: Arc<Faults>,
    admin_token: Option<String>,
    clock: Clock,
}

impl AppState {
    /// Opens (and migrates) the database, creating the server key on first use.
    pub async fn open(
        config: &ServerConfig,
        faults: Arc<Faults>,
    ) -> Result<Arc<Self>, ServerError> {
        let store = storage::open_storage(&config.database).await?;
        let key = admin::server_key(store.as_ref()).await?;
        Ok(Arc::new(AppState {
            store,
            key,
            faults,
            admin_token: config.admin_token.clone(),
            clock: config.clock.clone(),
        }))
    }

    /// Server time now, Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        (self.clock)()
    }

    /// The server signing key.
    pub fn key(&self) -> &Ed25519KeyPair {
        &self.key
    }

    /// The storage.
    pub fn store(&self) -> &dyn Storage {
        self.store.as_ref()
    }
}

/// Runs a storage call to completion from synchronous code: for the embedded
/// SQLite store (the demo, the terminal's tests), whose calls never wait on
/// I/O readiness. Do not use it with PostgreSQL from inside a runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    futures_executor::block_on(future)
}
