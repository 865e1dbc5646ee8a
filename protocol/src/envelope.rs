//! The evidence envelope: one signed, chained event.
//!
//! `hash = SHA-256(canonical(body))`, `signature = Ed25519(device key, canonical(body))`,
//! `body.prev_hash` is the previous envelope's `hash` (64 zeros for `seq` 1), and
//! `seq` grows by exactly one per device. A code proof binds to
//! `SHA-256(canonical(body with code_proof = null))`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ProtocolError;
use crate::canonical::to_canonical_bytes;
use crate::day_close_record::DayCloseRecord;
use crate::keys::{
    PublicKey, Signer, StrongKey, decode_hex_array, decode_lower_hex_array, is_uuid_v7, sha256,
};
use crate::load_check_record::LoadCheckRecord;
use crate::order_parcels::Handover;
use crate::photo::PhotoRef;
use crate::supervisor::SupervisorProof;
use crate::vocabulary::{CheckMode, CheckResult, EntryMode, EventKind, Liability, Outcome, Reason};

/// Schema tag of event bodies.
pub const EVENT_SCHEMA: &str = "courier.event.v1";
/// `prev_hash` of the first event of a device.
pub const GENESIS_PREV_HASH: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// A position fix as evidence records it: integers only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixRecord {
    /// Latitude in 1e-7 degrees.
    pub lat_e7: i64,
    /// Longitude in 1e-7 degrees.
    pub lon_e7: i64,
    /// Altitude above mean sea level in centimetres.
    pub alt_cm: Option<i64>,
    /// Horizontal dilution of precision times 100.
    pub hdop_centi: Option<u32>,
    /// Satellites used in the fix.
    pub satellites: Option<u32>,
    /// `"2d"` or `"3d"`.
    pub mode: String,
    /// UTC time of the fix, from the GNSS, in Unix milliseconds.
    pub fix_utc_ms: Option<i64>,
    /// Age of the fix at the moment of the event, in milliseconds.
    pub age_ms: i64,
}

/// Where the device was, recorded honestly: a fresh fix, or none with the last one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionRecord {
    /// `"fix"` when `fix` is fresh and valid, otherwise `"no_fix"`.
    pub status: String,
    /// Where the position came from: `"gnss"`, `"fixed"` (configured) or `"none"`.
    pub source: String,
    /// The fresh valid fix, if any.
    pub fix: Option<FixRecord>,
    /// The last valid fix when there is no fresh one, with its age.
    pub last_fix: Option<FixRecord>,
    /// Why there is no fresh fix, when the source said (e.g. `GNSS time
    /// went back 3600000 ms (no reset in between)`); absent otherwise, and
    /// then absent from the canonical bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl PositionRecord {
    /// No position source at all.
    pub fn none() -> Self {
        PositionRecord {
            status: "no_fix".into(),
            source: "none".into(),
            fix: None,
            last_fix: None,
            reason: None,
        }
    }
}

/// The device clock at the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockStamp {
    /// Device wall clock, UTC, Unix milliseconds.
    pub device_utc_ms: i64,
    /// Monotonic clock since boot, milliseconds.
    pub monotonic_ms: i64,
    /// Boot id (`/proc/sys/kernel/random/boot_id`), so monotonic values compare.
    pub boot_id: String,
}

/// How a code was entered and checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// Keypad or QR.
    pub entry: EntryMode,
    /// Offline (manifest verifier) or online (server).
    pub check: CheckMode,
    /// The result.
    pub result: CheckResult,
    /// Attempts spent on this parcel, this one included.
    pub attempt: u32,
    /// The parcel's attempt limit.
    pub attempt_limit: u32,
}

/// The signed content of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBody {
    /// Always [`EVENT_SCHEMA`].
    pub schema: String,
    /// UUIDv7, the idempotency key.
    pub event_id: String,
    /// The device that recorded the event.
    pub device_id: String,
    /// Gapless per-device sequence number, from 1.
    pub seq: u64,
    /// `hash` of the previous envelope, hex.
    pub prev_hash: String,
    /// What happened.
    pub kind: EventKind,
    /// The parcel concerned, if any.
    pub parcel_id: Option<String>,
    /// The order reference of that parcel.
    pub order_ref: Option<String>,
    /// The outcome, for `outcome` events (and the corrected one, for corrections).
    pub outcome: Option<Outcome>,
    /// The reason given with the outcome or correction.
    pub reason: Option<Reason>,
    /// Who pays return fees.
    pub liability: Option<Liability>,
    /// Code entry and check, when a code was involved.
    pub verification: Option<Verification>,
    /// `HMAC(K, "proof" || proof digest)`, hex, when a correct code was given.
    pub code_proof: Option<String>,
    /// Whether the courier offered inspection before asking for the code.
    pub inspection_offered: Option<bool>,
    /// The event this one corrects.
    pub corrects: Option<String>,
    /// Free details (contact channel, collected label, note), sorted keys.
    pub detail: BTreeMap<String, String>,
    /// Where the device was.
    pub position: PositionRecord,
    /// The device clock.
    pub clock: ClockStamp,
    /// GNSS UTC time at the event, Unix milliseconds, if the receiver gave one.
    pub gnss_utc_ms: Option<i64>,
    /// Version of the manifest in force.
    pub manifest_version: Option<u64>,
    /// Version of the terminal software.
    pub app_version: String,
    /// The depot supervisor's proof, on supervisor events (absent otherwise,
    /// and then absent from the canonical bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervisor: Option<SupervisorProof>,
    /// The day's record, on `day_closed` events (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<DayCloseRecord>,
    /// The morning load check's record, on `load_checked` events (absent
    /// otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadCheckRecord>,
    /// The photos that support the event, taken before it (absent when
    /// none, and then absent from the canonical bytes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<PhotoRef>,
    /// On the delivery of an order of several parcels: the parcels handed
    /// over and the amount released (absent otherwise, and then absent from
    /// the canonical bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handover: Option<Handover>,
}

impl EventBody {
    /// The event's signed time, Unix ms: the GNSS time when the device had
    /// one, else its wall clock (day queries, partitions and the claim
    /// window read it).
    pub fn signed_time_ms(&self) -> i64 {
        self.gnss_utc_ms.unwrap_or(self.clock.device_utc_ms)
    }

    /// The canonical bytes that are hashed and signed.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, ProtocolError> {
        to_canonical_bytes(self)
    }

    /// The digest a code proof binds to: the body with `code_proof` empty.
    pub fn proof_digest(&self) -> Result<[u8; 32], ProtocolError> {
        let mut without = self.clone();
        without.code_proof = None;
        Ok(sha256(&without.canonical_bytes()?))
    }

    /// The digest a supervisor proof binds to: the body with
    /// `supervisor.proof` empty (the supervisor id and factor stay in).
    pub fn supervisor_digest(&self) -> Result<[u8; 32], ProtocolError> {
        let mut without = self.clone();
        if let Some(s) = &mut without.supervisor {
            s.proof = String::new();
        }
        Ok(sha256(&without.canonical_bytes()?))
    }
}

/// An event as stored, exported and uploaded: body, hash and signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedEvent {
    /// The signed content.
    pub body: EventBody,
    /// SHA-256 of the canonical body, hex.
    pub hash: String,
    /// Ed25519 signature of the canonical body by the device key, hex.
    pub signature: String,
}

impl SignedEvent {
    /// Hashes and signs a body.
    pub fn seal(body: EventBody, signer: &dyn Signer) -> Result<Self, ProtocolError> {
        let bytes = body.canonical_bytes()?;
        let hash = hex::encode(sha256(&bytes));
        let signature = hex::encode(signer.sign(&bytes));
        Ok(SignedEvent {
            body,
            hash,
            signature,
        })
    }

    /// Checks the wire form a server insists on: the event id is a UUIDv7 and
    /// every hex field is lower-case of the right length.
    pub fn check_wire_form(&self) -> Result<(), ProtocolError> {
        let not = |field, expected| Err(ProtocolError::NotWireForm { field, expected });
        if !is_uuid_v7(&self.body.event_id) {
            return not("event_id", "a lower-case hyphenated UUIDv7");
        }
        if decode_lower_hex_array::<32>(&self.hash, "hash").is_err() {
            return not("hash", "64 lower-case hex characters");
        }
        if decode_lower_hex_array::<64>(&self.signature, "signature").is_err() {
            return not("signature", "128 lower-case hex characters");
        }
        if decode_lower_hex_array::<32>(&self.body.prev_hash, "prev_hash").is_err() {
            return not("prev_hash", "64 lower-case hex characters");
        }
        if let Some(p) = &self.body.code_proof
            && decode_lower_hex_array::<32>(p, "code_proof").is_err()
        {
            return not("code_proof", "64 lower-case hex characters");
        }
        if let Some(s) = &self.body.supervisor
            && decode_lower_hex_array::<32>(&s.proof, "supervisor.proof").is_err()
        {
            return not("supervisor.proof", "64 lower-case hex characters");
        }
        if let Some(c) = &self.body.corrects
            && !is_uuid_v7(c)
        {
            return not("corrects", "a lower-case hyphenated UUIDv7");
        }
        if self.body.seq == 0 {
            return not("seq", "a sequence number from 1");
        }
        if self.body.photos.iter().any(|p| p.check().is_err()) {
            return not(
                "photos",
                "lower-case SHA-256 hex, 1 byte to 4 MiB, a long edge of 1 to 1920 px",
            );
        }
        Ok(())
    }

    /// Checks schema, hash and signature (not the chain).
    pub fn verify(&self, device_key: &PublicKey) -> Result<(), ProtocolError> {
        let (bytes, sig) = self.hashed_bytes()?;
        device_key.verify(&bytes, &sig, "event")
    }

    /// Checks schema, hash and signature with a key checked once for many
    /// events ([`PublicKey::strong`]); returns the canonical bytes of the
    /// body it verified (the event log's leaf is made of them).
    pub fn verify_strong(&self, device_key: &StrongKey) -> Result<Vec<u8>, ProtocolError> {
        let (bytes, sig) = self.hashed_bytes()?;
        device_key.verify(&bytes, &sig, "event")?;
        Ok(bytes)
    }

    /// The body's canonical bytes once schema and hash are checked, and the
    /// raw signature.
    fn hashed_bytes(&self) -> Result<(Vec<u8>, [u8; 64]), ProtocolError> {
        if self.body.schema != EVENT_SCHEMA {
            return Err(ProtocolError::WrongSchema {
                found: self.body.schema.clone(),
                expected: EVENT_SCHEMA,
            });
        }
        let bytes = self.body.canonical_bytes()?;
        if hex::encode(sha256(&bytes)) != self.hash {
            return Err(ProtocolError::HashMismatch { seq: self.body.seq });
        }
        let sig = decode_hex_array::<64>(&self.signature, "signature")?;
        Ok((bytes, sig))
    }
}

/// Where a chain check starts: the last verified event's seq and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainTip {
    /// Sequence number of the last event (0 before the first).
    pub seq: u64,
    /// Hash of the last event ([`GENESIS_PREV_HASH`] before the first).
    pub hash: String,
}

impl ChainTip {
    /// The tip before any event.
    pub fn genesis() -> Self {
        ChainTip {
            seq: 0,
            hash: GENESIS_PREV_HASH.to_owned(),
        }
    }

    /// Checks that `event` extends this tip and returns the new tip.
    pub fn extend(&self, event: &SignedEvent) -> Result<ChainTip, ProtocolError> {
        let seq = event.body.seq;
        if seq != self.seq + 1 {
            return Err(ProtocolError::ChainBroken {
                seq,
                detail: format!("expected seq {}, found {seq}", self.seq + 1),
            });
        }
        if event.body.prev_hash != self.hash {
            return Err(ProtocolError::ChainBroken {
                seq,
                detail: "prev_hash does not match the previous event's hash".into(),
            });
        }
        Ok(ChainTip {
            seq,
            hash: event.hash.clone(),
        })
    }
}

/// Verifies signatures, hashes, sequence and chain of a device's events in order.
pub fn verify_chain<'a>(
    events: impl IntoIterator<Item = &'a SignedEvent>,
    device_key: &PublicKey,
    start: ChainTip,
) -> Result<ChainTip, ProtocolError> {
    let mut tip = start;
    for event in events {
        event.verify(device_key)?;
        tip = tip.extend(event)?;
    }
    Ok(tip)
}
