//! What every request handler shares: the storage, the server key, the
//! clock, the admin token, the operators' password cost and the fault
//! switches.

use std::sync::Arc;

use ring::signature::Ed25519KeyPair;

use crate::error::ServerError;
use crate::faults::Faults;
use crate::photo_store::{FsPhotoBlobs, PhotoBlobs};
use crate::storage::Storage;
use crate::storage::open::{Database, open_storage};

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
    /// The Argon2id cost of new operator passwords (tests lower it).
    pub password_cost: crate::back_office::PasswordCost,
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
    password_cost: crate::back_office::PasswordCost,
    /// The per-device limit on online code checks.
    pub code_checks: crate::rate_limit::CodeCheckLimiter,
    /// Where photo bytes are kept.
    photos: Arc<dyn PhotoBlobs>,
    /// The zone the back office shows times in (the system's unless set).
    time_zone: std::sync::OnceLock<crate::display_zone::DisplayZone>,
}

impl AppState {
    /// Opens (and migrates) the database, creating the server key on first use.
    pub async fn open(
        config: &ServerConfig,
        faults: Arc<Faults>,
    ) -> Result<Arc<Self>, ServerError> {
        let photos = Arc::new(FsPhotoBlobs::new(config.database.photo_dir()));
        Self::open_with_photos(config, faults, photos).await
    }

    /// The same with another photo store (an integrator's object storage).
    pub async fn open_with_photos(
        config: &ServerConfig,
        faults: Arc<Faults>,
        photos: Arc<dyn PhotoBlobs>,
    ) -> Result<Arc<Self>, ServerError> {
        let store = open_storage(&config.database).await?;
        let key = crate::admin::server_key(store.as_ref()).await?;
        crate::event_log::backfill(store.as_ref()).await?;
        Ok(Arc::new(AppState {
            store,
            key,
            faults,
            admin_token: config.admin_token.clone(),
            clock: config.clock.clone(),
            password_cost: config.password_cost,
            code_checks: Default::default(),
            photos,
            time_zone: std::sync::OnceLock::new(),
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

    /// Where photo bytes are kept.
    pub fn photos(&self) -> &dyn PhotoBlobs {
        self.photos.as_ref()
    }

    /// The Argon2id cost of new operator passwords.
    pub fn password_cost(&self) -> crate::back_office::PasswordCost {
        self.password_cost
    }

    /// Sets the zone the back office shows times in, once, before serving;
    /// `false` when it was already set.
    pub fn set_time_zone(&self, zone: crate::display_zone::DisplayZone) -> bool {
        self.time_zone.set(zone).is_ok()
    }

    /// The zone the back office shows times in.
    pub fn time_zone(&self) -> crate::display_zone::DisplayZone {
        self.time_zone.get().copied().unwrap_or_default()
    }

    /// The admin API's bearer token, if the API is enabled.
    pub fn admin_token(&self) -> Option<&str> {
        self.admin_token.as_deref()
    }
}
