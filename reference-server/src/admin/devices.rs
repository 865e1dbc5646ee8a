//! Device revocation: from a time on, the device's requests are refused
//! (`device_revoked`) but its uploads, and its events signed after that time
//! are stored and not honoured; those signed before are kept and flagged.

use courier_protocol::api::{RevokeDeviceRequest, RevokeDeviceResponse};

use crate::error::{Invalid, NotFound, ServerError};
use crate::records::Revocation;
use crate::storage::Storage;

/// Longest revocation reason kept, in characters.
pub const MAX_REVOCATION_REASON_CHARS: usize = 200;

/// Revokes a device from `req.at_ms` (default `now_ms`).
pub async fn revoke_device(
    db: &dyn Storage,
    device_id: &str,
    req: &RevokeDeviceRequest,
    now_ms: i64,
) -> Result<RevokeDeviceResponse, ServerError> {
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REVOCATION_REASON_CHARS {
        return Err(Invalid::RevocationReason(MAX_REVOCATION_REASON_CHARS).into());
    }
    let revocation = Revocation {
        at_ms: req.at_ms.unwrap_or(now_ms),
        reason: reason.to_owned(),
    };
    if !db.revoke_device(device_id, &revocation).await? {
        return Err(NotFound::Device(device_id.to_owned()).into());
    }
    tracing::warn!(device_id, at_ms = revocation.at_ms, reason = %revocation.reason, "device revoked");
    Ok(RevokeDeviceResponse {
        device_id: device_id.to_owned(),
        revoked_at_ms: revocation.at_ms,
        reason: revocation.reason,
    })
}
