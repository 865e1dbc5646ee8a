//! Typed identity: a device id is not a key fingerprint, nor any other string.

use std::fmt;

use courier_protocol::keys::PublicKey;

/// The device id the escrow server knows this device by (e.g. `CT-3F9A…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceId(String);

impl DeviceId {
    /// Wraps an id as given by the server or derived from the key.
    pub fn new(id: impl Into<String>) -> Self {
        DeviceId(id.into())
    }

    /// The id before enrollment: derived from the device key's fingerprint.
    pub fn from_key(key: &PublicKey) -> Self {
        DeviceId(format!(
            "CT-{}",
            &key.fingerprint().to_hex()[..12].to_uppercase()
        ))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who this device is and whom it trusts, as stored beside its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// This device's id.
    pub device_id: DeviceId,
    /// The escrow server's key pinned at enrollment (`None` before).
    pub server_key: Option<PublicKey>,
    /// The escrow server's base URL given at enrollment.
    pub server_url: Option<String>,
    /// The platform enrolled on (`None` before enrollment, or enrolled before profiles).
    pub profile: Option<courier_protocol::enrollment_qr::Profile>,
}

/// What the fleet-inventory QR carries: the device id, its key's fingerprint
/// and the key itself (shown by the about screen and printed by `enroll`).
pub fn inventory_text(device_id: &DeviceId, key: &PublicKey) -> String {
    format!(
        "courier-terminal:device={};fingerprint={};key={}",
        device_id,
        key.fingerprint().grouped().replace(' ', ""),
        key.to_hex()
    )
}
