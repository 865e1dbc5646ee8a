//! Event ingest: every check the server makes before it stores an event.
//!
//! For each event in order: a known event id with the same hash is a
//! `duplicate` (acknowledged, not stored again) and with another hash a
//! `conflict`; otherwise the body must name the signing device, verify with its
//! key, extend its chain by exactly one (`seq`, `prev_hash`), concern a parcel
//! issued to it, and a `delivered` outcome must carry a code proof that verifies
//! with the order's `K`. The first rejection stops the batch: every later event
//! depends on it and is answered `not_processed`. The whole batch is one
//! SQLite transaction.

use courier_protocol::api::{EventResult, EventStatus, RejectReason};
use courier_protocol::code_verifier::CodeKey;
use courier_protocol::envelope::{ChainTip, SignedEvent};
use courier_protocol::vocabulary::{EntryMode, EventKind, Outcome};
use rusqlite::{OptionalExtension, Transaction, params};

use crate::ServerError;
use crate::db::{DeviceRow, ServerDb};

fn db_err(e: rusqlite::Error) -> ServerError {
    ServerError::Database(e.to_string())
}

/// The outcome of one batch.
#[derive(Debug, Clone)]
pub struct IngestOutcome {
    /// One result per event, in batch order.
    pub results: Vec<EventResult>,
    /// The device's chain tip after the batch.
    pub tip: ChainTip,
}

/// Checks and stores a batch for `device`.
pub fn ingest(
    db: &mut ServerDb,
    device: &DeviceRow,
    events: &[SignedEvent],
    now_ms: i64,
) -> Result<IngestOutcome, ServerError> {
    let tx = db.conn.transaction().map_err(db_err)?;
    let mut tip = device.tip.clone();
    let mut results = Vec::with_capacity(events.len());
    let mut stopped = false;
    for event in events {
        let status = if stopped {
            Err(RejectReason::NotProcessed)
        } else {
            check_one(&tx, device, &tip, event)?
        };
        let (status, reason) = match status {
            Ok(EventStatus::Accepted) => {
                store(&tx, &device.device_id, event, now_ms)?;
                tip = ChainTip {
                    seq: event.body.seq,
                    hash: event.hash.clone(),
                };
                (EventStatus::Accepted, None)
            }
            Ok(other) => (other, None),
            Err(reason) => {
                stopped = true;
                (EventStatus::Rejected, Some(reason))
            }
        };
        results.push(EventResult {
            event_id: event.body.event_id.clone(),
            seq: event.body.seq,
            hash: event.hash.clone(),
            status,
            reason,
        });
    }
    tx.execute(
        "UPDATE devices SET last_seq = ?2, last_hash = ?3 WHERE device_id = ?1",
        params![
            device.device_id,
            i64::try_from(tip.seq).unwrap_or(i64::MAX),
            tip.hash
        ],
    )
    .map_err(db_err)?;
    tx.commit().map_err(db_err)?;
    Ok(IngestOutcome { results, tip })
}

type Verdict = Result<EventStatus, RejectReason>;

fn check_one(
    tx: &Transaction<'_>,
    device: &DeviceRow,
    tip: &ChainTip,
    event: &SignedEvent,
) -> Result<Verdict, ServerError> {
    let known: Option<(String, String)> = tx
        .query_row(
            "SELECT device_id, hash FROM events WHERE event_id = ?1",
            [&event.body.event_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db_err)?;
    if let Some((dev, hash)) = known {
        return Ok(if dev == device.device_id && hash == event.hash {
            Ok(EventStatus::Duplicate)
        } else {
            Err(RejectReason::Conflict)
        });
    }
    if event.body.device_id != device.device_id {
        return Ok(Err(RejectReason::WrongDevice));
    }
    if event.verify(&device.public_key).is_err() {
        return Ok(Err(RejectReason::BadSignature));
    }
    if event.body.seq != tip.seq + 1 {
        return Ok(Err(RejectReason::SequenceGap));
    }
    if event.body.prev_hash != tip.hash {
        return Ok(Err(RejectReason::ChainBroken));
    }
    let Some(parcel_id) = event.body.parcel_id.as_deref() else {
        return Ok(Ok(EventStatus::Accepted));
    };
    let issued = tx
        .query_row(
            "SELECT 1 FROM manifest_parcels WHERE device_id = ?1 AND parcel_id = ?2",
            [&device.device_id, parcel_id],
            |_| Ok(()),
        )
        .optional()
        .map_err(db_err)?
        .is_some();
    if !issued {
        return Ok(Err(RejectReason::UnknownParcel));
    }
    if event.body.kind == EventKind::Outcome && event.body.outcome == Some(Outcome::Delivered) {
        return check_proof(tx, parcel_id, event);
    }
    Ok(Ok(EventStatus::Accepted))
}

fn check_proof(
    tx: &Transaction<'_>,
    parcel_id: &str,
    event: &SignedEvent,
) -> Result<Verdict, ServerError> {
    let (Some(proof), Some(verification)) = (
        event.body.code_proof.as_deref(),
        event.body.verification.as_ref(),
    ) else {
        return Ok(Err(RejectReason::Malformed));
    };
    let keys: Option<(String, String)> = tx
        .query_row(
            "SELECT numeric_key, qr_key FROM orders WHERE parcel_id = ?1",
            [parcel_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db_err)?;
    let Some((numeric, qr)) = keys else {
        return Ok(Err(RejectReason::UnknownParcel));
    };
    let key_hex = match verification.entry {
        EntryMode::Keypad => numeric,
        EntryMode::Qr => qr,
    };
    let key = courier_protocol::keys::decode_hex_array::<32>(&key_hex, "key")
        .map_err(|e| ServerError::Database(e.to_string()))?;
    let key = CodeKey::from_bytes(key);
    let Ok(proof) = hex::decode(proof) else {
        return Ok(Err(RejectReason::BadProof));
    };
    let Ok(digest) = event.body.proof_digest() else {
        return Ok(Err(RejectReason::Malformed));
    };
    Ok(if key.verify_proof(&digest, &proof) {
        Ok(EventStatus::Accepted)
    } else {
        Err(RejectReason::BadProof)
    })
}

fn store(
    tx: &Transaction<'_>,
    device_id: &str,
    event: &SignedEvent,
    now_ms: i64,
) -> Result<(), ServerError> {
    let json = serde_json::to_string(event).map_err(|e| ServerError::Database(e.to_string()))?;
    tx.execute(
        "INSERT INTO events(device_id, seq, event_id, hash, signed_json, received_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            device_id,
            i64::try_from(event.body.seq).unwrap_or(i64::MAX),
            event.body.event_id,
            event.hash,
            json,
            now_ms
        ],
    )
    .map(|_| ())
    .map_err(db_err)
}
