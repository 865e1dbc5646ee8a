//! Who this device is, as stored beside its log: device id, pinned server key,
//! server URL, and the other settings kept in the `meta` table, each under one
//! typed key.

use courier_protocol::keys::PublicKey;

use super::{Reads, Store, StoreError};
use crate::domain::identity::{DeviceId, Identity};

/// The keys of the `meta` table, in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaKey {
    /// The device id given at enrollment (or derived from the key before it).
    DeviceId,
    /// This device's public key (hex), so the log verifies even if the key is lost.
    DevicePublicKey,
    /// The escrow server's public key pinned at enrollment (hex).
    ServerPublicKey,
    /// The escrow server's base URL given at enrollment.
    ServerUrl,
    /// The trusted clock's floor: the latest time seen from any source, ms.
    ClockFloorMs,
    /// The last successful sync, device time, ms.
    LastSyncMs,
    /// The server's last signed checkpoint of this device's log (JSON).
    LastCheckpoint,
    /// The last checkpoint of the server's one event log this device kept
    /// (a C2SP signed note): the next must be consistent with it.
    LastLogCheckpoint,
    /// The platform the device was enrolled on (`test` or `production`).
    Profile,
    /// The server's words when it last said this device is revoked.
    Revoked,
}

impl MetaKey {
    /// The key as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            MetaKey::DeviceId => "device_id",
            MetaKey::DevicePublicKey => "device_public_key",
            MetaKey::ServerPublicKey => "server_public_key",
            MetaKey::ServerUrl => "server_url",
            MetaKey::ClockFloorMs => "clock_floor_ms",
            MetaKey::LastSyncMs => "last_sync_ms",
            MetaKey::LastCheckpoint => "last_checkpoint",
            MetaKey::LastLogCheckpoint => "last_log_checkpoint",
            MetaKey::Profile => "profile",
            MetaKey::Revoked => "revoked",
        }
    }
}

/// Reads the stored identity; `None` before `init`.
pub(super) fn identity(r: &(impl Reads + ?Sized)) -> Result<Option<Identity>, StoreError> {
    let Some(device_id) = r.meta(MetaKey::DeviceId)? else {
        return Ok(None);
    };
    let server_key = r
        .meta(MetaKey::ServerPublicKey)?
        .map(|h| {
            PublicKey::from_hex(&h)
                .map_err(|e| StoreError::Decode(format!("pinned server key: {e}")))
        })
        .transpose()?;
    Ok(Some(Identity {
        device_id: DeviceId::new(device_id),
        server_key,
        server_url: r.meta(MetaKey::ServerUrl)?,
        profile: r
            .meta(MetaKey::Profile)?
            .and_then(|p| courier_protocol::enrollment_qr::Profile::parse(&p)),
    }))
}

impl Store {
    /// Records the device id.
    pub fn set_device_id(&self, id: &DeviceId) -> Result<(), StoreError> {
        self.set_meta(MetaKey::DeviceId, id.as_str())
    }

    /// Records this device's public key.
    pub fn set_device_public_key(&self, key: &PublicKey) -> Result<(), StoreError> {
        self.set_meta(MetaKey::DevicePublicKey, &key.to_hex())
    }

    /// Pins the escrow server's key (enrollment).
    pub fn pin_server_key(&self, key: &PublicKey) -> Result<(), StoreError> {
        self.set_meta(MetaKey::ServerPublicKey, &key.to_hex())
    }

    /// Records the escrow server's base URL (enrollment).
    pub fn set_server_url(&self, url: &str) -> Result<(), StoreError> {
        self.set_meta(MetaKey::ServerUrl, url.trim_end_matches('/'))
    }
}
