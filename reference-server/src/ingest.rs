//! Event ingest: every check the server makes before it stores an event.
//!
//! For each event in order: it must parse without a repeated key and be in
//! wire form (UUIDv7 id, lower-case hex), else `malformed`; a known event id
//! with the same hash is a `duplicate` (acknowledged, not stored again) and
//! with another hash a `conflict`; otherwise the body must name the signing
//! device, verify strictly with its key, extend its chain by exactly one
//! (`seq`, `prev_hash`) and concern a parcel issued to it. Then the shared
//! doorstep rules ([`courier_protocol::rules`]) replay the event on the
//! device's view of that parcel, and a `delivered` outcome must carry a code
//! proof that verifies with the order's `K`. A wrong proof spends one of the
//! parcel's tries, the very counter the online check uses; a locked parcel
//! compares no proof at all. A supervisor event must carry the supervisor's
//! proof, verified with a key the server issued (`bad_supervisor_proof`,
//! `supervisor_required`), and a day close is checked against the events held
//! and flagged when it differs. The first rejection stops the batch: every later
//! event depends on it and is answered `not_processed`. The whole batch is one
//! SQLite transaction.

use courier_protocol::api::DayCloseFlag;
use courier_protocol::api::{EventResult, EventStatus, RejectReason};
use courier_protocol::code_verifier::CodeKey;
use courier_protocol::envelope::{ChainTip, SignedEvent};
use courier_protocol::rules::{CounterEffect, DayBook, ParcelLedger, check_day_close};
use courier_protocol::strict_json::CheckedValue;
use courier_protocol::supervisor::verify_supervisor_proof;
use courier_protocol::vocabulary::{EntryMode, EventKind};
use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::Value;

use crate::ServerError;
use crate::db::{DeviceRow, ServerDb};
use crate::supervisors_db::{
    day_parcels_in, device_events_in, listed_in_manifest, supervisor_keys,
};

fn db_err(e: rusqlite::Error) -> ServerError {
    ServerError::Database(e.to_string())
}

fn corrupt(e: impl std::fmt::Display) -> ServerError {
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

/// One uploaded event: parsed, or why it does not parse (with what could be
/// read of its id, seq and hash for the receipt).
pub enum Uploaded {
    /// A well-formed event.
    Event(Box<SignedEvent>),
    /// Not an event in wire form.
    Malformed {
        /// `body.event_id` if it is a string.
        event_id: String,
        /// `body.seq` if it is a number.
        seq: u64,
        /// `hash` if it is a string.
        hash: String,
    },
}

impl Uploaded {
    /// Parses one element of the batch's `events` array.
    pub fn parse(item: CheckedValue) -> Uploaded {
        let malformed = |v: &Value| Uploaded::Malformed {
            event_id: v["body"]["event_id"].as_str().unwrap_or("").to_owned(),
            seq: v["body"]["seq"].as_u64().unwrap_or(0),
            hash: v["hash"].as_str().unwrap_or("").to_owned(),
        };
        if item.repeated_key.is_some() {
            return malformed(&item.value);
        }
        match serde_json::from_value::<SignedEvent>(item.value.clone()) {
            Ok(e) if e.check_wire_form().is_ok() => Uploaded::Event(Box::new(e)),
            _ => malformed(&item.value),
        }
    }
}

/// Checks and stores a batch for `device`.
pub fn ingest(
    db: &mut ServerDb,
    device: &DeviceRow,
    events: &[Uploaded],
    now_ms: i64,
) -> Result<IngestOutcome, ServerError> {
    let tx = db.conn.transaction().map_err(db_err)?;
    let mut tip = device.tip.clone();
    let mut results = Vec::with_capacity(events.len());
    let mut stopped = false;
    for item in events {
        let (event_id, seq, hash) = match item {
            Uploaded::Event(e) => (e.body.event_id.clone(), e.body.seq, e.hash.clone()),
            Uploaded::Malformed {
                event_id,
                seq,
                hash,
            } => (event_id.clone(), *seq, hash.clone()),
        };
        let verdict = match item {
            _ if stopped => Err(RejectReason::NotProcessed),
            Uploaded::Malformed { .. } => Err(RejectReason::Malformed),
            Uploaded::Event(event) => check_one(&tx, device, &tip, event, now_ms)?,
        };
        let (status, reason) = match (verdict, item) {
            (Ok(Accept::New(ledger)), Uploaded::Event(event)) => {
                store(&tx, &device.device_id, event, now_ms)?;
                if let Some((parcel_id, ledger)) = ledger {
                    save_ledger(&tx, &device.device_id, &parcel_id, &ledger)?;
                }
                tip = ChainTip {
                    seq: event.body.seq,
                    hash: event.hash.clone(),
                };
                (EventStatus::Accepted, None)
            }
            (Ok(Accept::New(_)), Uploaded::Malformed { .. }) => {
                (EventStatus::Rejected, Some(RejectReason::Malformed))
            }
            (Ok(Accept::Duplicate), _) => (EventStatus::Duplicate, None),
            (Err(reason), _) => {
                stopped = true;
                (EventStatus::Rejected, Some(reason))
            }
        };
        results.push(EventResult {
            event_id,
            seq,
            hash,
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

enum Accept {
    /// Store it, with the parcel's new ledger if it concerns a parcel.
    New(Option<(String, ParcelLedger)>),
    /// Already stored.
    Duplicate,
}

type Verdict = Result<Accept, RejectReason>;

fn check_one(
    tx: &Transaction<'_>,
    device: &DeviceRow,
    tip: &ChainTip,
    event: &SignedEvent,
    now_ms: i64,
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
            Ok(Accept::Duplicate)
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
    if let Some(reason) = check_supervisor(tx, device, event)? {
        tracing::info!(device_id = %device.device_id, seq = event.body.seq, ?reason, "supervisor event refused");
        return Ok(Err(reason));
    }
    if event.body.kind == EventKind::DayClosed {
        check_day_close_held(tx, device, event, now_ms)?;
    }
    let Some(parcel_id) = event.body.parcel_id.as_deref() else {
        return Ok(
            if matches!(
                event.body.kind,
                EventKind::ManifestAccepted
                    | EventKind::DayClosed
                    | EventKind::SupervisorSignedIn
                    | EventKind::UnexpectedReturn
                    | EventKind::CourierConfirmed
            ) {
                Ok(Accept::New(None))
            } else {
                Err(RejectReason::Malformed)
            },
        );
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
    let order = ServerDb::order_in(tx, parcel_id)?;
    let (true, Some(order)) = (issued, order) else {
        return Ok(Err(RejectReason::UnknownParcel));
    };
    let mut spec = order.spec.clone();
    spec.attempt_limit = order.attempt_limit;
    let withdrawn = withdrawn_for(tx, &device.device_id, parcel_id, event)?;
    let ledger = load_ledger(tx, &device.device_id, parcel_id)?;
    let (next, effect) = match ledger.apply(&spec, withdrawn, order.attempts_spent, &event.body) {
        Ok(x) => x,
        Err(violation) => {
            tracing::info!(device_id = %device.device_id, parcel_id, %violation, "event refused by the shared rules");
            return Ok(Err(violation.reject_reason()));
        }
    };
    match effect {
        CounterEffect::None => {}
        CounterEffect::AtLeast(n) => {
            tx.execute(
                "UPDATE orders SET attempts_spent = MAX(attempts_spent, ?2) WHERE parcel_id = ?1",
                params![parcel_id, n],
            )
            .map_err(db_err)?;
        }
        CounterEffect::NeedsProof => {
            let key = match event.body.verification.as_ref().map(|v| v.entry) {
                Some(EntryMode::Qr) => order.qr_key,
                _ => order.numeric_key,
            };
            if !proof_verifies(&CodeKey::from_bytes(key), event) {
                spend_for_wrong_proof(tx, parcel_id, &event.hash)?;
                return Ok(Err(RejectReason::BadProof));
            }
        }
    }
    Ok(Ok(Accept::New(Some((parcel_id.to_owned(), next)))))
}

/// A supervisor event must name a supervisor the manifest it was recorded
/// under listed for the device, and carry a proof that verifies with a key
/// the server issued to that supervisor for that factor; any event that
/// carries a proof is checked the same way.
fn check_supervisor(
    tx: &Transaction<'_>,
    device: &DeviceRow,
    event: &SignedEvent,
) -> Result<Option<RejectReason>, ServerError> {
    let Some(s) = &event.body.supervisor else {
        return Ok(event
            .body
            .kind
            .needs_supervisor()
            .then_some(RejectReason::SupervisorRequired));
    };
    let listed = match event.body.manifest_version {
        Some(v) => listed_in_manifest(tx, &device.device_id, v, &s.supervisor_id)?,
        None => false,
    };
    if !listed {
        return Ok(Some(RejectReason::SupervisorRequired));
    }
    let keys = supervisor_keys(tx, &s.supervisor_id, s.factor)?;
    if keys.is_empty() {
        return Ok(Some(RejectReason::SupervisorRequired));
    }
    let (Ok(digest), Ok(proof)) = (event.body.supervisor_digest(), hex::decode(&s.proof)) else {
        return Ok(Some(RejectReason::Malformed));
    };
    let verifies = keys
        .iter()
        .any(|k| verify_supervisor_proof(&CodeKey::from_bytes(*k), &digest, &proof));
    Ok((!verifies).then_some(RejectReason::BadSupervisorProof))
}

/// Checks a day close against the events the server holds for the device
/// (those of this batch already accepted included) and flags any difference
/// for the back office; the close itself is accepted (it is the device's
/// signed statement, and the flag is the server's).
fn check_day_close_held(
    tx: &Transaction<'_>,
    device: &DeviceRow,
    event: &SignedEvent,
    now_ms: i64,
) -> Result<(), ServerError> {
    let events = device_events_in(tx, &device.device_id)?;
    let in_force = event.body.manifest_version;
    let versions: Vec<u64> = events
        .iter()
        .filter(|e| e.body.kind == EventKind::ManifestAccepted)
        .filter_map(|e| e.body.manifest_version)
        .filter(|v| in_force.is_none_or(|m| *v <= m))
        .collect();
    let parcels = day_parcels_in(tx, &device.device_id, &versions)?;
    let totals = DayBook::from_log(&parcels, &events).totals();
    let differences = check_day_close(&event.body, &totals, &events);
    if !differences.is_empty() {
        tracing::warn!(device_id = %device.device_id, seq = event.body.seq, ?differences, "day close differs from the events held");
        ServerDb::flag_day_close(
            tx,
            &DayCloseFlag {
                device_id: device.device_id.clone(),
                event_id: event.body.event_id.clone(),
                seq: event.body.seq,
                differences,
                flagged_at_ms: now_ms,
            },
        )?;
    }
    Ok(())
}

fn proof_verifies(key: &CodeKey, event: &SignedEvent) -> bool {
    let Some(proof) = event.body.code_proof.as_deref() else {
        return false;
    };
    let (Ok(proof), Ok(digest)) = (hex::decode(proof), event.body.proof_digest()) else {
        return false;
    };
    key.verify_proof(&digest, &proof)
}

/// A wrong proof at ingest is a guess: it spends one try, once per event
/// (re-sending the same rejected bytes after a lost answer is not a new guess).
fn spend_for_wrong_proof(
    tx: &Transaction<'_>,
    parcel_id: &str,
    event_hash: &str,
) -> Result<(), ServerError> {
    let new = tx
        .execute(
            "INSERT OR IGNORE INTO proof_failures(event_hash, parcel_id) VALUES (?1, ?2)",
            params![event_hash, parcel_id],
        )
        .map_err(db_err)?;
    if new == 1 {
        tx.execute(
            "UPDATE orders SET attempts_spent = attempts_spent + 1 WHERE parcel_id = ?1",
            [parcel_id],
        )
        .map_err(db_err)?;
    }
    Ok(())
}

/// Whether a manifest the event's `manifest_version` covers (any, when it
/// names none) withdrew the parcel from this device.
fn withdrawn_for(
    tx: &Transaction<'_>,
    device_id: &str,
    parcel_id: &str,
    event: &SignedEvent,
) -> Result<bool, ServerError> {
    let version = event
        .body
        .manifest_version
        .map_or(i64::MAX, |v| i64::try_from(v).unwrap_or(i64::MAX));
    tx.query_row(
        "SELECT 1 FROM withdrawals WHERE device_id = ?1 AND parcel_id = ?2 AND version <= ?3",
        params![device_id, parcel_id, version],
        |_| Ok(()),
    )
    .optional()
    .map(|o| o.is_some())
    .map_err(db_err)
}

fn load_ledger(
    tx: &Transaction<'_>,
    device_id: &str,
    parcel_id: &str,
) -> Result<ParcelLedger, ServerError> {
    let json: Option<String> = tx
        .query_row(
            "SELECT ledger_json FROM parcel_ledgers WHERE device_id = ?1 AND parcel_id = ?2",
            [device_id, parcel_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(db_err)?;
    json.map_or(Ok(ParcelLedger::default()), |j| {
        serde_json::from_str(&j).map_err(corrupt)
    })
}

fn save_ledger(
    tx: &Transaction<'_>,
    device_id: &str,
    parcel_id: &str,
    ledger: &ParcelLedger,
) -> Result<(), ServerError> {
    let json = serde_json::to_string(ledger).map_err(corrupt)?;
    tx.execute(
        "INSERT INTO parcel_ledgers(device_id, parcel_id, ledger_json) VALUES (?1, ?2, ?3)
         ON CONFLICT(device_id, parcel_id) DO UPDATE SET ledger_json = excluded.ledger_json",
        params![device_id, parcel_id, json],
    )
    .map(|_| ())
    .map_err(db_err)
}

fn store(
    tx: &Transaction<'_>,
    device_id: &str,
    event: &SignedEvent,
    now_ms: i64,
) -> Result<(), ServerError> {
    let json = serde_json::to_string(event).map_err(corrupt)?;
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
