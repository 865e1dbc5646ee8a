//! The summary the status bar, `status` and the about screen show.

use serde::Serialize;

use courier_protocol::keys::Signer;

use super::{Terminal, TerminalError};
use crate::domain::day_counts::DayCounts;
use crate::domain::trusted_clock;
use crate::storage::Reads;

/// A summary for the status bar and `status`.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Device id.
    pub device_id: String,
    /// Device key fingerprint (grouped).
    pub key_fingerprint: String,
    /// Device public key, hex.
    pub public_key: String,
    /// Manifest version in force.
    pub manifest_version: Option<u64>,
    /// Manifest expiry, ms.
    pub manifest_expires_at_ms: Option<i64>,
    /// The day in numbers.
    pub counts: DayCounts,
    /// Events recorded.
    pub events: u64,
    /// Events waiting to sync.
    pub pending_sync: u64,
    /// Last successful sync, ms.
    pub last_sync_ms: Option<i64>,
    /// Device minus GNSS clock, ms.
    pub clock_skew_ms: Option<i64>,
}

impl Terminal {
    /// The status summary.
    pub fn status(&mut self) -> Result<Status, TerminalError> {
        self.refresh_manifest()?;
        let parcels = self.store.parcels()?;
        let manifest = self.manifest.as_ref();
        let reading = self.position.reading();
        let clock = self.clock.now();
        let public_key = self.key.public_key();
        Ok(Status {
            device_id: self.identity.device_id.to_string(),
            key_fingerprint: public_key.fingerprint().grouped(),
            public_key: public_key.to_hex(),
            manifest_version: manifest.map(|m| m.version),
            manifest_expires_at_ms: manifest.map(|m| m.expires_at_ms),
            counts: DayCounts::of(&parcels),
            events: self.store.chain_tip()?.seq,
            pending_sync: self.store.pending_count()?,
            last_sync_ms: self.store.last_sync_ms()?,
            clock_skew_ms: trusted_clock::skew_ms(clock.device_utc_ms, reading.gnss_utc_ms),
        })
    }
}
