//! Reference escrow server: the device-facing API of `docs/protocol.md`.
//!
//! It enrolls devices with one-time tokens, keeps orders with only their derived
//! code keys, signs manifests, verifies and stores uploaded events exactly once,
//! answers online code checks, and has switches to inject faults. The demo and
//! the tests run it on loopback; integrators compare their backend with it.

pub mod admin;
pub mod db;
pub mod faults;
pub mod ingest;
pub mod routes;
pub mod serve;
pub mod supervisors_db;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use ring::signature::Ed25519KeyPair;
use thiserror::Error;

use crate::db::ServerDb;
use crate::faults::Faults;

pub use serve::{RunningServer, start};

/// What can fail inside the server.
#[derive(Debug, Error)]
pub enum ServerError {
    /// The SQLite file could not be read or written.
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
    /// The SQLite file.
    pub db_path: PathBuf,
    /// Bearer token of the admin API; `None` disables it.
    pub admin_token: Option<String>,
    /// The clock.
    pub clock: Clock,
}

/// Everything a request handler needs.
pub struct AppState {
    db: Mutex<ServerDb>,
    key: Ed25519KeyPair,
    /// The fault switches.
    pub faults: Arc<Faults>,
    admin_token: Option<String>,
    clock: Clock,
}

impl AppState {
    /// Opens the database (creating the server key on first use).
    pub fn open(config: &ServerConfig, faults: Arc<Faults>) -> Result<Arc<Self>, ServerError> {
        let db = ServerDb::open(&config.db_path)?;
        let key = admin::server_key(&db)?;
        Ok(Arc::new(AppState {
            db: Mutex::new(db),
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

    /// Locks the database (poisoning is ignored: SQLite keeps its own consistency).
    pub fn db(&self) -> MutexGuard<'_, ServerDb> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }
}
