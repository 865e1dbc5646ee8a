//! Setting up a data directory: the device key (0600), the database, the device
//! id and the pinned server key. An identity is never replaced by accident: a
//! lost key or database is a re-enrollment, done on purpose (README,
//! "Re-enrollment"), never a new key silently written over an old log.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use courier_protocol::keys::{PublicKey, Signer};
use tracing::info;

use super::TerminalError;
use crate::device_key::DeviceKey;
use crate::domain::identity::DeviceId;
use crate::storage::{Reads, Store};

/// Files of a data directory.
#[derive(Debug, Clone)]
pub struct DataDir(pub PathBuf);

impl DataDir {
    /// The database file.
    pub fn database(&self) -> PathBuf {
        self.0.join("terminal.db")
    }
    /// The device key file.
    pub fn key(&self) -> PathBuf {
        self.0.join("device.key")
    }
}

/// What `init` did.
#[derive(Debug, Clone)]
pub struct InitReport {
    /// Device id.
    pub device_id: DeviceId,
    /// Device public key.
    pub public_key: PublicKey,
}

/// Sets up a new data directory: key (0600), database (0600), device id
/// (derived from the key when not given), pinned server key.
///
/// Refuses when anything of an identity is already there: an existing key or
/// database is never replaced, a lost half never silently re-created.
pub fn init(
    dir: &DataDir,
    device_id: Option<&str>,
    server_key: Option<PublicKey>,
) -> Result<InitReport, TerminalError> {
    refuse_existing(dir)?;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir.0)
        .map_err(|source| TerminalError::Setup {
            path: dir.0.clone(),
            source,
        })?;
    let key = DeviceKey::create(&dir.key())?;
    let public_key = key.public_key();
    create_private_file(&dir.database())?;
    let store = Store::create(&dir.database())?;
    let device_id = device_id.map_or_else(|| DeviceId::from_key(&public_key), DeviceId::new);
    store.set_device_id(&device_id)?;
    store.set_device_public_key(&public_key)?;
    if let Some(k) = server_key {
        store.pin_server_key(&k)?;
    }
    info!(device_id = %device_id, "data directory set up");
    Ok(InitReport {
        device_id,
        public_key,
    })
}

/// Records what enrollment gave: the server's device id, its pinned key and URL.
///
/// Allowed once, on a device that has recorded nothing yet (enrollment comes
/// before the first manifest); an enrolled device refuses a second enrollment.
pub fn record_enrollment(
    dir: &DataDir,
    device_id: &DeviceId,
    server_key: &PublicKey,
    server_url: &str,
) -> Result<(), TerminalError> {
    let store = Store::open(&dir.database())?;
    let identity = store
        .identity()?
        .ok_or_else(|| {
            TerminalError::NotInitialised(
                "its database records no device id (a set-up that stopped half way): move the data directory aside and enroll on a fresh one (README, \"Re-enrollment\")".into(),
            )
        })?;
    if let Some(pinned) = identity.server_key
        && pinned != *server_key
    {
        return Err(TerminalError::Identity(format!(
            "this device is already enrolled as {} with another server key; a new enrollment is a re-enrollment (README, \"Re-enrollment\")",
            identity.device_id
        )));
    }
    let events = store.chain_tip()?.seq;
    if identity.device_id != *device_id && events > 0 {
        return Err(TerminalError::Identity(format!(
            "this device already recorded {events} events as {}; it cannot become {device_id} (re-enroll on a fresh data directory, README \"Re-enrollment\")",
            identity.device_id
        )));
    }
    store.set_device_id(device_id)?;
    store.pin_server_key(server_key)?;
    store.set_server_url(server_url)?;
    Ok(())
}

/// Whether this data directory already holds a device key or a database.
pub fn is_set_up(dir: &DataDir) -> bool {
    dir.key().exists() || dir.database().exists()
}

/// What a data directory holds, as set-up sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupState {
    /// Neither a device key nor a database: `init` or `enroll` sets it up.
    Fresh,
    /// A device key and a database with a schema.
    Complete,
    /// A device key, no database file.
    KeyWithoutDatabase,
    /// A database file, no device key.
    DatabaseWithoutKey,
    /// The database file is there but empty (0 bytes); `key` says whether
    /// the device key is there too.
    EmptyDatabase {
        /// Whether the device key is there.
        key: bool,
    },
}

/// What this data directory holds.
pub fn setup_state(dir: &DataDir) -> SetupState {
    let key = dir.key().exists();
    match (key, fs::metadata(dir.database())) {
        (_, Ok(m)) if m.len() == 0 => SetupState::EmptyDatabase { key },
        (true, Ok(_)) => SetupState::Complete,
        (false, Ok(_)) => SetupState::DatabaseWithoutKey,
        (true, Err(_)) => SetupState::KeyWithoutDatabase,
        (false, Err(_)) => SetupState::Fresh,
    }
}

/// Why this data directory cannot be used as it is, with the step that works
/// from here; `None` when it is set up. The same words for every command
/// (`status`, `init`, the screens), so none of them points to a step another
/// refuses.
pub fn unusable(dir: &DataDir) -> Option<TerminalError> {
    let d = dir.0.display();
    let text = match setup_state(dir) {
        SetupState::Complete => return None,
        SetupState::Fresh => {
            return Some(TerminalError::NotInitialised(format!(
                "{d} holds no device key and no database: run `courier-terminal enroll` (or `init`)"
            )));
        }
        SetupState::DatabaseWithoutKey => format!(
            "the device key is missing from {d} but its database is there: the events in it were signed by the lost key. Nothing was changed. Keep this directory (its log can still be exported), and re-enroll on a fresh data directory (README, \"Re-enrollment\")"
        ),
        SetupState::KeyWithoutDatabase => format!(
            "the database is missing from {d} but the device key is there: creating a new database would start a second log under the same key. Nothing was changed. Restore the database, or move {d} aside and re-enroll on a fresh data directory (README, \"Re-enrollment\")"
        ),
        SetupState::EmptyDatabase { key: true } => format!(
            "the database file in {d} is empty (0 bytes: a set-up that stopped half way, or a lost database) and the device key is there. Nothing was changed. Restore the database, or move {d} aside and re-enroll on a fresh data directory (README, \"Re-enrollment\")"
        ),
        SetupState::EmptyDatabase { key: false } => format!(
            "{d} holds only an empty database file (0 bytes) and no device key: nothing was ever recorded here. Delete {}, then run `courier-terminal enroll` (or `init`)",
            dir.database().display()
        ),
    };
    Some(TerminalError::Identity(text))
}

fn refuse_existing(dir: &DataDir) -> Result<(), TerminalError> {
    match setup_state(dir) {
        SetupState::Fresh => Ok(()),
        SetupState::Complete => Err(TerminalError::Identity(format!(
            "{} is already set up (device key and database present); nothing was changed",
            dir.0.display()
        ))),
        _ => Err(unusable(dir).unwrap_or_else(|| {
            TerminalError::Identity(format!("{} is not empty", dir.0.display()))
        })),
    }
}

/// Creates an empty file readable by its owner only, whatever the umask and the
/// directory's mode; SQLite gives its WAL and shared-memory files the same mode.
fn create_private_file(path: &Path) -> Result<(), TerminalError> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|source| TerminalError::Setup {
            path: path.to_owned(),
            source,
        })
}
