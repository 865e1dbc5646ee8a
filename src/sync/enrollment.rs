//! Enrollment: the one-time token exchanged for a device id, the server's key
//! pinned and its address kept. Done once per identity; an enrolled device
//! refuses a second enrollment (a new one is a re-enrollment, on purpose).

use std::time::Duration;

use courier_protocol::keys::{PublicKey, Signer};
use thiserror::Error;

use super::client::{CallError, enroll as enroll_call, http_client};
use crate::device_key::DeviceKey;
use crate::domain::identity::DeviceId;
use crate::storage::{Reads, Store};
use crate::terminal::{self, DataDir, TerminalError};

/// What enrollment gave this device.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Enrolled {
    /// The id the server knows this device by.
    pub device_id: String,
    /// This device's key fingerprint (grouped), for the fleet inventory.
    pub device_fingerprint: String,
    /// The pinned server key's fingerprint (grouped).
    pub server_fingerprint: String,
}

/// Why enrollment failed.
#[derive(Debug, Error)]
pub enum EnrollError {
    /// The local side refused or failed.
    #[error(transparent)]
    Terminal(#[from] TerminalError),
    /// The server could not be reached or refused the token.
    #[error("enrollment with {server} failed: {error}")]
    Server {
        /// The server URL.
        server: String,
        /// What happened.
        error: CallError,
    },
    /// The device is already enrolled.
    #[error(
        "this device is already enrolled as {0}; nothing was changed (a new enrollment is a re-enrollment: README, \"Re-enrollment\")"
    )]
    AlreadyEnrolled(DeviceId),
}

/// Enrolls this data directory with `server` using a one-time `token`.
pub fn enroll(
    dir: &DataDir,
    server: &str,
    token: &str,
    hardware_label: &str,
) -> Result<Enrolled, EnrollError> {
    let public_key = if terminal::setup::is_set_up(dir) {
        let store = Store::open(&dir.database()).map_err(TerminalError::from)?;
        if let Some(identity) = store.identity().map_err(TerminalError::from)?
            && identity.server_key.is_some()
        {
            return Err(EnrollError::AlreadyEnrolled(identity.device_id));
        }
        DeviceKey::load(&dir.key())
            .map_err(TerminalError::from)?
            .public_key()
    } else {
        terminal::init(dir, None, None)?.public_key
    };
    let server_error = |error| EnrollError::Server {
        server: server.to_owned(),
        error,
    };
    let http = http_client(Duration::from_secs(15)).map_err(server_error)?;
    let answer = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| server_error(CallError::Local(e.to_string())))?
        .block_on(enroll_call(
            &http,
            server,
            token,
            public_key,
            hardware_label,
        ))
        .map_err(server_error)?;
    let device_id = DeviceId::new(answer.device_id);
    terminal::record_enrollment(dir, &device_id, &answer.server_public_key, server)?;
    let store = Store::open(&dir.database()).map_err(TerminalError::from)?;
    store
        .raise_clock_floor(answer.server_time_ms)
        .map_err(TerminalError::from)?;
    Ok(Enrolled {
        device_id: device_id.to_string(),
        device_fingerprint: public_key.fingerprint().grouped(),
        server_fingerprint: fingerprint(&answer.server_public_key),
    })
}

fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint().grouped()
}
