//! Server-signed checkpoints of a device's log, and the check that a log held
//! by anyone (the terminal, a buyer, a seller, an auditor) is neither cut short
//! nor forked with respect to one.
//!
//! A checkpoint says "the server holds this device's events 1..=`seq`, and the
//! hash of event `seq` is `head_hash`", signed by the server key. Because every
//! event's hash covers `prev_hash`, the head hash pins the whole prefix.

use serde::{Deserialize, Serialize};

use crate::ProtocolError;
use crate::canonical::to_canonical_bytes;
use crate::envelope::{ChainTip, GENESIS_PREV_HASH, SignedEvent};
use crate::keys::{PublicKey, Signer, decode_hex_array};

/// Schema tag of checkpoint bodies.
pub const CHECKPOINT_SCHEMA: &str = "courier.checkpoint.v1";

/// The signed content of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointBody {
    /// Always [`CHECKPOINT_SCHEMA`].
    pub schema: String,
    /// The device whose log this is.
    pub device_id: String,
    /// Sequence number of the last event the server holds (0: none).
    pub seq: u64,
    /// Hash of that event, hex (64 zeros when `seq` is 0).
    pub head_hash: String,
    /// Server clock when signed, Unix milliseconds.
    pub server_time_ms: i64,
}

/// A checkpoint with the server's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCheckpoint {
    /// The signed content.
    pub body: CheckpointBody,
    /// Ed25519 signature of the canonical body by the server key, hex.
    pub signature: String,
}

/// Answer to `GET /v1/checkpoint` and `GET /v1/admin/devices/{device_id}/checkpoint`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointResponse {
    /// The device's current checkpoint.
    pub checkpoint: SignedCheckpoint,
    /// Server clock, Unix milliseconds.
    pub server_time_ms: i64,
}

impl SignedCheckpoint {
    /// Signs a checkpoint of `tip` for `device_id`.
    pub fn sign(
        device_id: &str,
        tip: &ChainTip,
        server_time_ms: i64,
        signer: &dyn Signer,
    ) -> Result<Self, ProtocolError> {
        let body = CheckpointBody {
            schema: CHECKPOINT_SCHEMA.into(),
            device_id: device_id.to_owned(),
            seq: tip.seq,
            head_hash: tip.hash.clone(),
            server_time_ms,
        };
        let bytes = to_canonical_bytes(&body)?;
        Ok(SignedCheckpoint {
            body,
            signature: hex::encode(signer.sign(&bytes)),
        })
    }

    /// Verifies schema and signature against the server key.
    pub fn verify(&self, server_key: &PublicKey) -> Result<&CheckpointBody, ProtocolError> {
        if self.body.schema != CHECKPOINT_SCHEMA {
            return Err(ProtocolError::WrongSchema {
                found: self.body.schema.clone(),
                expected: CHECKPOINT_SCHEMA,
            });
        }
        let bytes = to_canonical_bytes(&self.body)?;
        let sig = decode_hex_array::<64>(&self.signature, "signature")?;
        server_key.verify(&bytes, &sig, "checkpoint")?;
        Ok(&self.body)
    }
}

/// Why a device refuses to keep a server checkpoint as the head of its own
/// log: a checkpoint it keeps must be of its own log, at most its head, and
/// name its own event there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointRefusal {
    /// It names another device.
    #[error("the checkpoint is of device {found}, not of this device {own}")]
    OtherDevice {
        /// The device it names.
        found: String,
        /// This device.
        own: String,
    },
    /// It claims more events than the device ever recorded.
    #[error("the checkpoint is at seq {seq}, past this log's head at seq {head}")]
    PastHead {
        /// Its sequence number.
        seq: u64,
        /// The log's head.
        head: u64,
    },
    /// Its hash is not the device's own event at that sequence number.
    #[error("the checkpoint's hash at seq {seq} is not this log's event there")]
    NotThisLog {
        /// Its sequence number.
        seq: u64,
    },
}

/// Checks that a (signature-verified) checkpoint is of this device's own log:
/// `own_device`, whose head is at `head`, and whose event at the checkpoint's
/// `seq` has hash `hash_at_seq` (`None` when the log holds no event there).
pub fn check_own_checkpoint(
    cp: &CheckpointBody,
    own_device: &str,
    head: u64,
    hash_at_seq: Option<&str>,
) -> Result<(), CheckpointRefusal> {
    if cp.device_id != own_device {
        return Err(CheckpointRefusal::OtherDevice {
            found: cp.device_id.clone(),
            own: own_device.to_owned(),
        });
    }
    if cp.seq > head {
        return Err(CheckpointRefusal::PastHead { seq: cp.seq, head });
    }
    let expected = if cp.seq == 0 {
        Some(GENESIS_PREV_HASH)
    } else {
        hash_at_seq
    };
    if expected != Some(cp.head_hash.as_str()) {
        return Err(CheckpointRefusal::NotThisLog { seq: cp.seq });
    }
    Ok(())
}

/// How a verified log stands against a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointVerdict {
    /// The log holds the checkpoint's head; `log_seq >= checkpoint_seq`
    /// (events after the checkpoint are the device's not yet acknowledged).
    Consistent {
        /// Events in the log.
        log_seq: u64,
        /// Events the checkpoint covers.
        checkpoint_seq: u64,
    },
    /// The log stops before the checkpoint's head: events were cut off.
    Truncated {
        /// Events in the log.
        log_seq: u64,
        /// Events the checkpoint covers.
        checkpoint_seq: u64,
    },
    /// The log's event at the checkpoint's `seq` is not the one the server
    /// signed: the log was rewritten from that point or earlier.
    Forked {
        /// The checkpoint's sequence number.
        seq: u64,
        /// The log's hash there.
        log_hash: String,
        /// The checkpoint's hash.
        checkpoint_hash: String,
    },
}

impl CheckpointVerdict {
    /// True only for [`CheckpointVerdict::Consistent`].
    pub fn is_consistent(&self) -> bool {
        matches!(self, CheckpointVerdict::Consistent { .. })
    }
}

/// Verifies a device's whole log (from `seq` 1: signatures, hashes, chain) and
/// then compares it with a server checkpoint verified with `server_key`.
///
/// Errors mean the log or the checkpoint itself does not verify (tampered
/// event, broken chain, wrong device, forged checkpoint); otherwise the verdict
/// says whether the log is consistent with, cut short of, or forked from it.
pub fn verify_log_against_checkpoint(
    events: &[SignedEvent],
    device_key: &PublicKey,
    checkpoint: &SignedCheckpoint,
    server_key: &PublicKey,
) -> Result<CheckpointVerdict, ProtocolError> {
    let cp = checkpoint.verify(server_key)?;
    if let Some(other) = events.iter().find(|e| e.body.device_id != cp.device_id) {
        return Err(ProtocolError::ChainBroken {
            seq: other.body.seq,
            detail: format!(
                "event of device {} in a log checked against device {}'s checkpoint",
                other.body.device_id, cp.device_id
            ),
        });
    }
    let mut tip = ChainTip::genesis();
    let mut at_checkpoint = (cp.seq == 0).then(|| GENESIS_PREV_HASH.to_owned());
    for event in events {
        event.verify(device_key)?;
        tip = tip.extend(event)?;
        if tip.seq == cp.seq {
            at_checkpoint = Some(tip.hash.clone());
        }
    }
    Ok(match at_checkpoint {
        None => CheckpointVerdict::Truncated {
            log_seq: tip.seq,
            checkpoint_seq: cp.seq,
        },
        Some(h) if h != cp.head_hash => CheckpointVerdict::Forked {
            seq: cp.seq,
            log_hash: h,
            checkpoint_hash: cp.head_hash.clone(),
        },
        Some(_) => CheckpointVerdict::Consistent {
            log_seq: tip.seq,
            checkpoint_seq: cp.seq,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(device_id: &str, seq: u64, head_hash: &str) -> CheckpointBody {
        CheckpointBody {
            schema: CHECKPOINT_SCHEMA.into(),
            device_id: device_id.into(),
            seq,
            head_hash: head_hash.into(),
            server_time_ms: 0,
        }
    }

    #[test]
    fn only_a_checkpoint_of_this_very_log_is_kept() {
        let h = "ab".repeat(32);
        assert_eq!(
            check_own_checkpoint(&body("dev-1", 3, &h), "dev-1", 5, Some(&h)),
            Ok(())
        );
        assert_eq!(
            check_own_checkpoint(&body("dev-1", 0, GENESIS_PREV_HASH), "dev-1", 0, None),
            Ok(())
        );
        assert!(matches!(
            check_own_checkpoint(&body("dev-2", 3, &h), "dev-1", 5, Some(&h)),
            Err(CheckpointRefusal::OtherDevice { .. })
        ));
        assert_eq!(
            check_own_checkpoint(&body("dev-1", 6, &h), "dev-1", 5, None),
            Err(CheckpointRefusal::PastHead { seq: 6, head: 5 })
        );
        assert_eq!(
            check_own_checkpoint(&body("dev-1", 2, &h), "dev-1", 5, Some(&"cd".repeat(32))),
            Err(CheckpointRefusal::NotThisLog { seq: 2 })
        );
    }
}
