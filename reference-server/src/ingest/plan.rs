//! Event ingest: every check the server makes before it stores an event.
//!
//! For each event in order: it must parse without a repeated key and be in
//! wire form (UUIDv7 id, lower-case hex), else `malformed`; a known event id
//! with the same hash is a `duplicate` (acknowledged, not stored again) and
//! with another hash a `conflict`; otherwise the body must name the signing
//! device, verify strictly with its key and extend its chain by exactly one
//! (`seq`, `prev_hash`); the first event that fails one of these is
//! `rejected` and stops the batch (every later event depends on it and is
//! answered `not_processed`).
//!
//! Every authentic, well-chained event is then stored, so a device's log never
//! stops at the server; a rule decides its effect. It is `not_honoured` (stored
//! as evidence, no ledger or money change, an alert for the back office) when
//! the device was revoked before signing it, a supervisor check fails, the
//! parcel was never issued to the device, the order is issued to another
//! device now and the event settles it (outcome, correction, fee change), the
//! shared doorstep rules ([`courier_protocol::rules`]) refuse it on the
//! device's view of the parcel, or a delivery's code proof does not verify
//! with the order's `K` (a wrong proof spends one of the parcel's tries, the
//! very counter the online check uses). A delivery decided on the device's own
//! counter while the server's counter was locked by other tries is compared
//! within a grace of one more limit of tries in all, and when right it is
//! honoured and flagged. A day close is checked against the events held and
//! flagged when it differs; so is a morning load check's signed record (an
//! alert).
//!
//! A supervisor's proof is honoured when made with the key of a session the
//! server opened at sign-in for this device and supervisor (not revoked, its
//! window holding the event's signed time) or, where the depot allows the
//! badge offline, with the badge's key (then the event is flagged for review);
//! a key a re-issue or revocation retired is `supervisor_revoked`; a bad proof
//! is counted on the supervisor's counter, which locks the credential at its
//! limit and raises an alert. The device's day (its last close, a reopening)
//! decides corrections and late deliveries through the shared rules.
//!
//! An event whose device and sequence number are stored with another hash is
//! a fork of the chain (a cloned device, a restored backup): it is rejected as
//! a `conflict` and recorded as an [`Alert`](crate::records::Alert) for the back
//! office, as is an event id re-used with other content.
//!
//! The rules here are pure: a store loads a [`BatchContext`] inside its
//! transaction (with the device's chain locked), [`plan`] decides, and the
//! store applies the [`BatchWrites`] and commits ([`crate::ingest`]).

use std::collections::BTreeMap;

use courier_protocol::api::{EventResult, EventStatus, RejectReason};
use courier_protocol::code_verifier::CodeKey;
use courier_protocol::envelope::{ChainTip, SignedEvent};
use courier_protocol::keys::StrongKey;
use courier_protocol::manifest::ManifestParcel;
use courier_protocol::merkle_log::{leaf_hash, leaf_hash_of};
use courier_protocol::request_signing::MAX_SKEW_MS;
use courier_protocol::rules::desk::{self, HandoverStatus};
use courier_protocol::rules::refusal::Refusal;
use courier_protocol::rules::{
    CounterEffect, DayBook, DayStatus, LoadBook, ParcelLedger, RuleViolation,
    SupervisorViolation as SV, check_day_close, check_load_check,
};
use courier_protocol::supervisor::verify_supervisor_proof;
use courier_protocol::vocabulary::{CheckMode, CodePolicy, EntryMode, EventKind, SupervisorFactor};

use crate::batch::{
    BatchContext, BatchWrites, IngestOutcome, NewAlert, NewDayCloseFlag, NewEvent, NewNotHonoured,
    Uploaded,
};
use crate::error::{ServerError, StorageError};
use crate::records::signed_time_ms;
use crate::supervisor_rows::SupervisorFailure;

/// Decides every event of a batch against what the store loaded.
pub fn plan(
    mut ctx: BatchContext,
    events: &[Uploaded],
) -> Result<(IngestOutcome, BatchWrites), ServerError> {
    let mut writes = BatchWrites {
        events: Vec::new(),
        ledgers: BTreeMap::new(),
        attempts: BTreeMap::new(),
        proof_failures: Vec::new(),
        alerts: Vec::new(),
        day_close_flags: Vec::new(),
        not_honoured: Vec::new(),
        supervisor_failures: Vec::new(),
        tip: ctx.device.tip.clone(),
    };
    // The device's day, from its honoured events (a not-honoured reopening
    // reopens nothing).
    let mut day = DayStatus::of(ctx.held_events.iter().map(|e| &e.body));
    // The device's key is checked once for the batch (a scalar
    // multiplication); a weak key verifies nothing.
    let key = ctx.device.public_key.strong().ok();
    let mut results = Vec::with_capacity(events.len());
    let mut stopped = false;
    for item in events {
        // The canonical bytes the signature was verified over, for the leaf.
        let mut verified = None;
        let (event_id, seq, hash) = match item {
            Uploaded::Event(e) => (e.body.event_id.clone(), e.body.seq, e.hash.clone()),
            Uploaded::Malformed {
                event_id,
                seq,
                hash,
                ..
            } => (event_id.clone(), *seq, hash.clone()),
        };
        let verdict = match item {
            _ if stopped => Err(RejectReason::NotProcessed),
            Uploaded::Malformed { reason, .. } => Err(*reason),
            Uploaded::Event(event) => check_one(
                &mut ctx,
                &mut writes,
                &day,
                key.as_ref(),
                &mut verified,
                event,
            )?,
        };
        let (status, reason) = match (verdict, item) {
            (Ok(Accept::New(ledger)), Uploaded::Event(event)) => {
                if let Some((parcel_id, ledger)) = ledger {
                    ctx.ledgers.insert(parcel_id.clone(), ledger.clone());
                    writes.ledgers.insert(parcel_id, ledger);
                }
                store(&mut ctx, &mut writes, event, verified)?;
                day.push(&event.body);
                (EventStatus::Accepted, None)
            }
            (Ok(Accept::Pending(ledger)), Uploaded::Event(event)) => {
                if let Some((parcel_id, ledger)) = ledger {
                    ctx.ledgers.insert(parcel_id.clone(), ledger.clone());
                    writes.ledgers.insert(parcel_id, ledger);
                }
                store(&mut ctx, &mut writes, event, verified)?;
                day.push(&event.body);
                (EventStatus::Pending, None)
            }
            (Ok(Accept::NotHonoured(reason)), Uploaded::Event(event)) => {
                store(&mut ctx, &mut writes, event, verified)?;
                writes.not_honoured.push(NewNotHonoured {
                    event_id: event.body.event_id.clone(),
                    seq: event.body.seq,
                    reason,
                });
                (EventStatus::NotHonoured, Some(reason))
            }
            (
                Ok(Accept::New(_) | Accept::NotHonoured(_) | Accept::Pending(_)),
                Uploaded::Malformed { reason, .. },
            ) => (EventStatus::Rejected, Some(*reason)),
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
    let outcome = IngestOutcome {
        results,
        tip: writes.tip.clone(),
    };
    Ok((outcome, writes))
}

/// Stores an authentic, well-chained event (honoured or not): the chain
/// goes on after it. `verified` is its body's canonical bytes, as verified.
fn store(
    ctx: &mut BatchContext,
    writes: &mut BatchWrites,
    event: &SignedEvent,
    verified: Option<Vec<u8>>,
) -> Result<(), ServerError> {
    let leaf = match verified {
        Some(bytes) => leaf_hash_of(bytes, &event.signature),
        None => leaf_hash(event),
    }
    .map_err(ServerError::Key)?;
    let order_ref = event
        .body
        .parcel_id
        .as_ref()
        .and_then(|p| ctx.orders.get(p))
        .map(|o| o.spec.order_ref.clone());
    ctx.known.insert(
        event.body.event_id.clone(),
        (
            ctx.device.device_id.clone(),
            event.body.seq,
            event.hash.clone(),
        ),
    );
    ctx.at_seq.insert(event.body.seq, event.hash.clone());
    writes.events.push(NewEvent {
        json: serde_json::to_string(event).map_err(corrupt)?,
        signed_at_ms: signed_time_ms(event),
        order_ref,
        depot: ctx.depot.clone(),
        leaf_hash: leaf.0,
        event: event.clone(),
    });
    writes.tip = ChainTip {
        seq: event.body.seq,
        hash: event.hash.clone(),
    };
    Ok(())
}

fn corrupt(e: serde_json::Error) -> ServerError {
    StorageError::corrupt("event JSON", e).into()
}

enum Accept {
    /// Store it, with the parcel's new ledger if it concerns a parcel.
    New(Option<(String, ParcelLedger)>),
    /// Store it as evidence, with no effect, for this reason.
    NotHonoured(RejectReason),
    /// Store it with its ledger; its effect waits for another device's
    /// event (a stop desk's intake).
    Pending(Option<(String, ParcelLedger)>),
    /// Already stored.
    Duplicate,
}

type Verdict = Result<Accept, RejectReason>;

fn check_one(
    ctx: &mut BatchContext,
    writes: &mut BatchWrites,
    day: &DayStatus,
    key: Option<&StrongKey>,
    verified: &mut Option<Vec<u8>>,
    event: &SignedEvent,
) -> Result<Verdict, ServerError> {
    let device_id = ctx.device.device_id.clone();
    let tip = writes.tip.clone();
    if let Some((dev, seq, hash)) = ctx.known.get(&event.body.event_id) {
        if *dev == device_id && *hash == event.hash {
            return Ok(Ok(Accept::Duplicate));
        }
        if *dev == device_id {
            writes.alerts.push(NewAlert {
                kind: "event_id_conflict",
                detail: format!(
                    "event id {} is stored at seq {seq} with hash {hash}; an upload of seq {} carries hash {}",
                    event.body.event_id, event.body.seq, event.hash
                ),
            });
        }
        return Ok(Err(RejectReason::Conflict));
    }
    if event.body.device_id != device_id {
        return Ok(Err(RejectReason::WrongDevice));
    }
    match key.map(|k| event.verify_strong(k)) {
        Some(Ok(bytes)) => *verified = Some(bytes),
        _ => return Ok(Err(RejectReason::BadSignature)),
    }
    if event.body.seq <= tip.seq
        && let Some(stored) = ctx.at_seq.get(&event.body.seq)
        && *stored != event.hash
    {
        writes.alerts.push(NewAlert {
            kind: "fork",
            detail: format!(
                "seq {} is stored with hash {stored}; a validly signed event {} with hash {} claims it: the device's chain forked (cloned device or restored backup)",
                event.body.seq, event.body.event_id, event.hash
            ),
        });
        return Ok(Err(RejectReason::Conflict));
    }
    if event.body.seq != tip.seq + 1 {
        return Ok(Err(RejectReason::SequenceGap));
    }
    if event.body.prev_hash != tip.hash {
        return Ok(Err(RejectReason::ChainBroken));
    }
    if let Some(revoked) = &ctx.device.revoked {
        if signed_time_ms(event) > revoked.at_ms {
            return Ok(not_honoured(
                writes,
                event,
                RejectReason::DeviceRevoked,
                "the device was revoked before it signed it",
            ));
        }
        writes.alerts.push(NewAlert {
            kind: "received_after_revocation",
            detail: format!(
                "seq {} ({:?}) was signed at {} ms, before the device's revocation at {} ms ({}), and received after it: recorded, check it",
                event.body.seq,
                event.body.kind,
                signed_time_ms(event),
                revoked.at_ms,
                revoked.reason
            ),
        });
    }
    match check_supervisor(ctx, writes, event) {
        Ok(false) => {}
        Ok(true) => writes.alerts.push(NewAlert {
            kind: "supervisor_offline_review",
            detail: format!(
                "seq {} ({:?}) carries an offline badge proof of supervisor {}: review it",
                event.body.seq,
                event.body.kind,
                event
                    .body
                    .supervisor
                    .as_ref()
                    .map_or("", |s| s.supervisor_id.as_str())
            ),
        }),
        Err(violation) => {
            tracing::info!(device_id = %device_id, seq = event.body.seq, %violation, "supervisor proof not honoured");
            return Ok(not_honoured(
                writes,
                event,
                violation.reject_reason(),
                &violation.to_string(),
            ));
        }
    }
    if event.body.kind == EventKind::DayClosed {
        check_day_close_held(ctx, writes, event);
    }
    if event.body.kind == EventKind::LoadChecked {
        check_load_check_held(ctx, writes, event);
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
                    | EventKind::DayReopened
                    | EventKind::LoadAlarm
                    | EventKind::LoadChecked
            ) {
                Ok(Accept::New(None))
            } else {
                Err(RejectReason::Malformed)
            },
        );
    };
    let (true, Some(order)) = (ctx.issued.contains(parcel_id), ctx.orders.get(parcel_id)) else {
        return Ok(not_honoured(
            writes,
            event,
            RejectReason::UnknownParcel,
            "the parcel was never issued to the device",
        ));
    };
    if settles(event.body.kind)
        && let Some(holder) = ctx.holders.get(parcel_id)
        && *holder != device_id
    {
        let why = format!("the order is issued to device {holder} now");
        return Ok(not_honoured(writes, event, RejectReason::NotHolder, &why));
    }
    // A cancelled order was refunded in full: a step that settles it, signed
    // on a manifest from before the cancellation, moves no money; the alert
    // tells the back office to recover the parcel or the refund.
    if settles(event.body.kind) && ctx.cancelled.contains(parcel_id) {
        return Ok(not_honoured(
            writes,
            event,
            RejectReason::OrderCancelled,
            "the order was cancelled and refunded before this step reached the server: recover the parcel or the refund",
        ));
    }
    let order = order.clone();
    let mut spec = order.spec.clone();
    spec.attempt_limit = order.attempt_limit;
    // Whether the parcel must be loaded is the manifest's the event was
    // recorded under (orders are issued without it).
    spec.load_check = event
        .body
        .manifest_version
        .and_then(|v| ctx.manifests.get(&v))
        .and_then(|m| m.parcels.iter().find(|p| p.parcel_id == parcel_id))
        .is_some_and(|p| p.load_check);
    // So is the parcel's stop desk (and whether this device is the desk).
    spec.desk = event
        .body
        .manifest_version
        .and_then(|v| ctx.manifests.get(&v))
        .and_then(|m| m.parcels.iter().find(|p| p.parcel_id == parcel_id))
        .and_then(|p| p.desk.clone());
    let version = event.body.manifest_version.unwrap_or(u64::MAX);
    let withdrawn = ctx
        .withdrawals
        .get(parcel_id)
        .is_some_and(|vs| vs.iter().any(|v| *v <= version));
    let ledger = ctx.ledgers.get(parcel_id).cloned().unwrap_or_default();
    let mut locked_delivery = false;
    let (next, effect) = match ledger.apply(
        &spec,
        withdrawn,
        order.attempts_spent,
        &event.body,
        day,
    ) {
        Ok(x) => x,
        Err(violation) => {
            // A delivery checked offline on the device's own counter, on a
            // parcel whose manifest let it (the verifier is on the device)
            // and whose server counter was locked meanwhile by other tries
            // (another device's): its proof is still compared, within a
            // grace of one more limit of tries in all, and if right it is
            // recorded and flagged, not refused.
            let offline = spec.policy == CodePolicy::OfflineAllowed
                && event
                    .body
                    .verification
                    .as_ref()
                    .is_some_and(|v| v.check == CheckMode::Offline);
            match (
                &violation,
                ledger.apply(&spec, withdrawn, 0, &event.body, day),
            ) {
                (RuleViolation::Refused(Refusal::Locked { .. }), Ok(x))
                    if offline
                        && x.1 == CounterEffect::NeedsProof
                        && order.attempts_spent < order.attempt_limit.saturating_mul(2) =>
                {
                    locked_delivery = true;
                    x
                }
                _ => {
                    tracing::info!(device_id = %device_id, parcel_id, %violation, "event not honoured by the shared rules");
                    return Ok(not_honoured(
                        writes,
                        event,
                        violation.reject_reason(),
                        &violation.to_string(),
                    ));
                }
            }
        }
    };
    // The manifest's photo policy: an outcome or intake without the photos
    // it requires is evidence, not honoured.
    if let Some(manifest) = ctx.manifests.get(&version)
        && let Err(refusal) = courier_protocol::rules::check_photos(
            &manifest.photos,
            &courier_protocol::rules::EventDraft::of_body(&event.body),
        )
    {
        let violation = RuleViolation::from(refusal);
        return Ok(not_honoured(
            writes,
            event,
            violation.reject_reason(),
            &violation.to_string(),
        ));
    }
    match effect {
        CounterEffect::None => {}
        CounterEffect::AtLeast(n) => {
            if n > order.attempts_spent {
                set_attempts(ctx, writes, parcel_id, n);
            }
        }
        CounterEffect::NeedsProof => {
            let key = match event.body.verification.as_ref().map(|v| v.entry) {
                Some(EntryMode::Qr) => order.qr_key,
                _ => order.numeric_key,
            };
            if !proof_verifies(&CodeKey::from_bytes(key), event) {
                // A wrong proof at ingest is a guess: it spends one try, once
                // per event (re-sending the same rejected bytes after a lost
                // answer is not a new guess).
                if ctx.proof_failures.insert(event.hash.clone()) {
                    let spent = order.attempts_spent.saturating_add(1);
                    writes
                        .proof_failures
                        .push((event.hash.clone(), parcel_id.to_owned()));
                    set_attempts(ctx, writes, parcel_id, spent);
                }
                return Ok(not_honoured(
                    writes,
                    event,
                    RejectReason::BadProof,
                    "the code proof does not verify",
                ));
            }
            if locked_delivery {
                writes.alerts.push(NewAlert {
                    kind: "delivered_while_locked",
                    detail: format!(
                        "parcel {parcel_id}: seq {} is a delivery with a right code proof, decided on the device's own counter, while the server's counter was locked ({} of {} tries spent): recorded, check it",
                        event.body.seq, order.attempts_spent, order.attempt_limit
                    ),
                });
            }
        }
    }
    match event.body.kind {
        EventKind::DeskIntake => {
            if let Some(refusal) = intake_names_other(ctx, &next) {
                let violation = RuleViolation::from(refusal);
                return Ok(not_honoured(
                    writes,
                    event,
                    violation.reject_reason(),
                    &violation.to_string(),
                ));
            }
        }
        EventKind::DeskHandover => {
            let status = handover_held(ctx, event, parcel_id);
            if status != HandoverStatus::Confirmed {
                if status == HandoverStatus::Mismatch {
                    writes.alerts.push(NewAlert {
                        kind: "desk_handover_mismatch",
                        detail: format!(
                            "seq {} (desk_handover, parcel {parcel_id}): the desk's intake of the parcel names another handover; the courier still answers for it",
                            event.body.seq
                        ),
                    });
                }
                return Ok(Ok(Accept::Pending(Some((parcel_id.to_owned(), next)))));
            }
        }
        _ => {}
    }
    Ok(Ok(Accept::New(Some((parcel_id.to_owned(), next)))))
}

/// A stop desk's intake that names a courier's handover the server holds
/// with another device or hash (the shared rule's refusal).
fn intake_names_other(ctx: &BatchContext, after: &ParcelLedger) -> Option<Refusal> {
    let intake = after.desk.as_ref()?.intake.as_ref()?;
    let held = intake
        .handover_event
        .as_ref()
        .and_then(|id| ctx.known.get(id))
        .map(|(d, _, h)| (d.as_str(), h.as_str()));
    desk::check_intake_names(intake, held).err()
}

/// Where a courier's handover stands: confirmed by the desk's matching
/// intake of the parcel (the desk's ledger as committed), else pending.
fn handover_held(ctx: &BatchContext, event: &SignedEvent, parcel_id: &str) -> HandoverStatus {
    let desk_device = event
        .body
        .detail
        .get("desk_device")
        .cloned()
        .unwrap_or_default();
    let intake = ctx
        .desk_ledgers
        .get(&(desk_device, parcel_id.to_owned()))
        .and_then(|l| l.desk.as_ref())
        .and_then(|d| d.intake.as_ref());
    desk::handover_status(
        &event.body.device_id,
        &event.body.event_id,
        &event.hash,
        intake,
    )
}

/// Kinds that settle an order (who is paid, who pays): only the device
/// holding the order now may record them with effect.
fn settles(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::Outcome | EventKind::Correction | EventKind::FeeChanged
    )
}

/// An authentic, well-chained event the server stores as evidence without
/// effect, with an alert for the back office.
fn not_honoured(
    writes: &mut BatchWrites,
    event: &SignedEvent,
    reason: RejectReason,
    why: &str,
) -> Verdict {
    writes.alerts.push(NewAlert {
        kind: "not_honoured",
        detail: format!(
            "seq {} ({:?}, parcel {}) recorded, not honoured: {}: {why}",
            event.body.seq,
            event.body.kind,
            event.body.parcel_id.as_deref().unwrap_or("none"),
            reason_code(reason)
        ),
    });
    Ok(Accept::NotHonoured(reason))
}

fn reason_code(reason: RejectReason) -> String {
    serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A supervisor event must name a supervisor the manifest it was recorded
/// under listed (its depot scopes the id), and carry a proof made with the
/// key of a session the server opened for this device and supervisor (known,
/// not revoked, its window holding the event's signed time, with the request
/// skew either side), or, where that manifest allows the badge offline, with
/// the badge's key (then `Ok(true)`: flagged for review). Any event that
/// carries a proof is checked the same way. A bad proof is counted on the
/// supervisor's counter (once per event); at the limit the credential locks
/// and an alert is raised.
fn check_supervisor(
    ctx: &mut BatchContext,
    writes: &mut BatchWrites,
    event: &SignedEvent,
) -> Result<bool, RuleViolation> {
    let Some(s) = &event.body.supervisor else {
        return if event.body.kind.needs_supervisor() {
            Err(SV::Required.into())
        } else {
            Ok(false)
        };
    };
    let manifest = event
        .body
        .manifest_version
        .and_then(|v| ctx.manifests.get(&v))
        .filter(|m| {
            m.supervisors
                .iter()
                .any(|c| c.supervisor_id == s.supervisor_id)
        })
        .ok_or(SV::Required)?;
    let (depot, offline_badge) = (manifest.depot.clone(), manifest.offline_badge);
    let who = (depot.clone(), s.supervisor_id.clone());
    let counter = ctx
        .supervisors
        .counters
        .get(&who)
        .cloned()
        .ok_or(SV::Required)?;
    if counter.revoked {
        return Err(SV::Revoked.into());
    }
    if counter.locked() {
        return Err(SV::Locked.into());
    }
    let (Ok(digest), Ok(proof)) = (event.body.supervisor_digest(), hex::decode(&s.proof)) else {
        return Err(RuleViolation::Inconsistent(
            "supervisor proof is not hex".into(),
        ));
    };
    let verifies =
        |k: &[u8; 32]| verify_supervisor_proof(&CodeKey::from_bytes(*k), &digest, &proof);
    match &s.session {
        Some(id) => {
            let session = ctx
                .supervisors
                .sessions
                .get(id)
                .filter(|x| {
                    x.device_id == ctx.device.device_id
                        && x.depot == depot
                        && x.supervisor_id == s.supervisor_id
                        && x.factor == s.factor
                })
                .ok_or(SV::SessionInvalid)?;
            if session.revoked_at_ms.is_some() {
                return Err(SV::Revoked.into());
            }
            let at = signed_time_ms(event);
            if at < session.issued_at_ms - MAX_SKEW_MS || at > session.expires_at_ms + MAX_SKEW_MS {
                return Err(SV::SessionInvalid.into());
            }
            if verifies(&session.key) {
                return Ok(false);
            }
        }
        None => {
            if s.factor != SupervisorFactor::Badge || !offline_badge {
                return Err(SV::SessionInvalid.into());
            }
            let keys = ctx
                .supervisors
                .keys
                .get(&(
                    depot.clone(),
                    s.supervisor_id.clone(),
                    SupervisorFactor::Badge,
                ))
                .cloned()
                .unwrap_or_default();
            if keys
                .iter()
                .any(|k| k.retired_at_ms.is_none() && verifies(&k.key))
            {
                return Ok(true);
            }
            if keys.iter().any(|k| verifies(&k.key)) {
                return Err(SV::Revoked.into());
            }
        }
    }
    // A bad proof: counted once per event on the supervisor's counter.
    if ctx.proof_failures.insert(event.hash.clone()) {
        writes.supervisor_failures.push(SupervisorFailure {
            event_hash: event.hash.clone(),
            depot: depot.clone(),
            supervisor_id: s.supervisor_id.clone(),
        });
        let spent = counter.tries_spent.saturating_add(1);
        if let Some(c) = ctx.supervisors.counters.get_mut(&who) {
            c.tries_spent = spent;
        }
        if spent >= counter.attempt_limit {
            writes.alerts.push(NewAlert {
                kind: "supervisor_locked",
                detail: format!(
                    "supervisor {} of depot {depot} is locked after {spent} bad proofs or PINs (the last in event {} of this device): re-issue the credential",
                    s.supervisor_id, event.body.event_id
                ),
            });
        }
    }
    Err(SV::BadProof.into())
}

/// Checks a day close against the events the server holds for the device
/// (those of this batch already accepted included) and flags any difference
/// for the back office; the close itself is accepted (it is the device's
/// signed statement, and the flag is the server's).
fn check_day_close_held(ctx: &BatchContext, writes: &mut BatchWrites, event: &SignedEvent) {
    let (events, parcels) = held_day(ctx, writes, event);
    let totals = DayBook::from_log(&parcels, &events).totals();
    let differences = check_day_close(&event.body, &totals, &events);
    if !differences.is_empty() {
        tracing::warn!(device_id = %ctx.device.device_id, seq = event.body.seq, ?differences, "day close differs from the events held");
        writes.day_close_flags.push(NewDayCloseFlag {
            event_id: event.body.event_id.clone(),
            seq: event.body.seq,
            differences,
        });
    }
}

/// Checks a morning load check's signed record against the load book the
/// server computes from the events it holds (the same
/// [`LoadBook::from_log`]) and raises an alert for the back office when they
/// differ; the record itself is accepted (the device's signed statement).
fn check_load_check_held(ctx: &BatchContext, writes: &mut BatchWrites, event: &SignedEvent) {
    let (events, parcels) = held_day(ctx, writes, event);
    let totals = LoadBook::from_log(&parcels, &events).totals();
    let differences = check_load_check(&event.body, &totals, &events);
    if !differences.is_empty() {
        tracing::warn!(device_id = %ctx.device.device_id, seq = event.body.seq, ?differences, "load check differs from the events held");
        writes.alerts.push(NewAlert {
            kind: "load_check_differs",
            detail: format!(
                "seq {} (load_checked) differs from the events held: {}",
                event.body.seq,
                serde_json::to_string(&differences).unwrap_or_default()
            ),
        });
    }
}

/// The device's honoured events the server holds before `event` (this
/// batch's included) and the parcels of the manifests in force then (the
/// last listing of each parcel wins, as on the terminal).
fn held_day(
    ctx: &BatchContext,
    writes: &BatchWrites,
    event: &SignedEvent,
) -> (Vec<SignedEvent>, Vec<ManifestParcel>) {
    let events: Vec<SignedEvent> = ctx
        .held_events
        .iter()
        .cloned()
        .chain(
            writes
                .events
                .iter()
                .filter(|e| {
                    !writes
                        .not_honoured
                        .iter()
                        .any(|n| n.event_id == e.event.body.event_id)
                })
                .map(|e| e.event.clone()),
        )
        .collect();
    let in_force = event.body.manifest_version;
    // The parcels the device holds after accepting its manifests in order:
    // the last listing of each parcel wins, as on the terminal.
    let parcels = courier_protocol::rules::returns::day_parcels(
        events
            .iter()
            .filter(|e| e.body.kind == EventKind::ManifestAccepted)
            .filter_map(|e| e.body.manifest_version)
            .filter(|v| in_force.is_none_or(|m| *v <= m))
            .filter_map(|v| ctx.manifests.get(&v))
            .map(|m| m.parcels.as_slice()),
    );
    (events, parcels)
}

fn set_attempts(ctx: &mut BatchContext, writes: &mut BatchWrites, parcel_id: &str, n: u32) {
    if let Some(o) = ctx.orders.get_mut(parcel_id) {
        o.attempts_spent = n;
    }
    writes.attempts.insert(parcel_id.to_owned(), n);
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

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use courier_protocol::envelope::{EventBody, GENESIS_PREV_HASH};
    use courier_protocol::keys::{Signer, generate_pkcs8, keypair_from_pkcs8};
    use courier_protocol::rules::{DayCloseRecord, DayTotals};
    use courier_protocol::supervisor::{SupervisorProof, issue_supervisor, supervisor_proof};
    use std::collections::{HashMap, HashSet};

    use courier_protocol::manifest::ManifestBody;
    use courier_protocol::rules::DayCloseDifference;
    use courier_protocol::vocabulary::SupervisorFactor;
    use courier_test_support::{event_body, manifest_body};
    use ring::signature::Ed25519KeyPair;

    use super::*;
    use crate::batch::SupervisorContext;
    use crate::records::DeviceRow;
    use crate::supervisor_rows::{SupervisorCounter, SupervisorKey, SupervisorSessionRow};

    /// A device whose manifest 1 lists supervisor SUP-1 (PIN only), and the
    /// context a store would load for it: nothing but what `plan` reads.
    struct Fixture {
        key: Ed25519KeyPair,
        pin_key: [u8; 32],
        ctx: BatchContext,
        seq: u64,
        prev: String,
    }

    impl Fixture {
        fn new() -> Fixture {
            let key = keypair_from_pkcs8(&generate_pkcs8().expect("key")).expect("key");
            let issued = issue_supervisor(
                "SUP-1",
                "Samira",
                false,
                Some("2468"),
                NonZeroU32::new(1_000).expect("iterations"),
                5,
            )
            .expect("supervisor");
            let pin_key = *issued.pin_key.expect("pin key").as_bytes();
            let manifest = ManifestBody {
                supervisors: vec![issued.credential.for_devices(false)],
                ..manifest_body("DEV-1", 1, "D")
            };
            let ctx = BatchContext {
                device: DeviceRow {
                    device_id: "DEV-1".into(),
                    public_key: Signer::public_key(&key),
                    tip: ChainTip {
                        seq: 0,
                        hash: GENESIS_PREV_HASH.into(),
                    },
                    revoked: None,
                },
                known: HashMap::new(),
                at_seq: HashMap::new(),
                issued: HashSet::new(),
                orders: HashMap::new(),
                holders: HashMap::new(),
                cancelled: HashSet::new(),
                withdrawals: HashMap::new(),
                ledgers: HashMap::new(),
                proof_failures: HashSet::new(),
                depot: Some("D".into()),
                supervisors: SupervisorContext {
                    keys: HashMap::from([(
                        ("D".to_owned(), "SUP-1".to_owned(), SupervisorFactor::Pin),
                        vec![SupervisorKey {
                            key: pin_key,
                            retired_at_ms: None,
                        }],
                    )]),
                    counters: HashMap::from([(
                        ("D".to_owned(), "SUP-1".to_owned()),
                        SupervisorCounter {
                            tries_spent: 0,
                            attempt_limit: 5,
                            revoked: false,
                        },
                    )]),
                    sessions: HashMap::from([(
                        "SES-1".to_owned(),
                        SupervisorSessionRow {
                            session_id: "SES-1".into(),
                            depot: "D".into(),
                            supervisor_id: "SUP-1".into(),
                            device_id: "DEV-1".into(),
                            factor: SupervisorFactor::Pin,
                            key: pin_key,
                            issued_at_ms: 1_780_000_000_000 - 1_000,
                            expires_at_ms: 1_780_000_000_000 + 60_000,
                            revoked_at_ms: None,
                        },
                    )]),
                },
                manifests: HashMap::from([(1, manifest)]),
                held_events: Vec::new(),
                desk_ledgers: Default::default(),
            };
            Fixture {
                key,
                pin_key,
                ctx,
                seq: 0,
                prev: GENESIS_PREV_HASH.into(),
            }
        }

        fn body(&self, kind: EventKind) -> EventBody {
            let mut body = event_body("DEV-1", self.seq + 1, &self.prev, kind, None);
            body.event_id = uuid::Uuid::now_v7().to_string();
            body.clock.device_utc_ms = 1_780_000_000_000;
            body.clock.monotonic_ms = 1;
            body
        }

        fn seal(&mut self, body: EventBody) -> SignedEvent {
            let e = SignedEvent::seal(body, &self.key).expect("seal");
            self.seq = e.body.seq;
            self.prev = e.hash.clone();
            e
        }

        /// Seals `body` with SUP-1's proof made with `key`.
        fn supervised(&mut self, mut body: EventBody, key: &CodeKey) -> SignedEvent {
            body.supervisor = Some(SupervisorProof {
                supervisor_id: "SUP-1".into(),
                factor: SupervisorFactor::Pin,
                proof: String::new(),
                session: Some("SES-1".into()),
            });
            let digest = body.supervisor_digest().expect("digest");
            if let Some(s) = &mut body.supervisor {
                s.proof = hex::encode(supervisor_proof(key, &digest));
            }
            self.seal(body)
        }

        /// The courier's confirmation of `totals` and a supervised close claiming them.
        fn close(&mut self, totals: DayTotals) -> Vec<SignedEvent> {
            let mut confirm = self.body(EventKind::CourierConfirmed);
            confirm.detail.insert("subject".into(), "day_close".into());
            confirm
                .detail
                .insert("digest".into(), totals.digest().expect("digest"));
            let confirm = self.seal(confirm);
            let mut body = self.body(EventKind::DayClosed);
            body.day = Some(DayCloseRecord {
                totals,
                head_seq: self.seq,
                head_hash: self.prev.clone(),
                courier_confirmation: confirm.body.event_id.clone(),
                forced: false,
                force_reason: None,
            });
            let key = CodeKey::from_bytes(self.pin_key);
            vec![confirm, self.supervised(body, &key)]
        }
    }

    fn uploaded(events: &[SignedEvent]) -> Vec<Uploaded> {
        events
            .iter()
            .map(|e| Uploaded::Event(Box::new(e.clone())))
            .collect()
    }

    fn reasons(outcome: &IngestOutcome) -> Vec<Option<RejectReason>> {
        outcome.results.iter().map(|r| r.reason).collect()
    }

    #[test]
    fn a_supervisor_proof_is_checked_with_the_keys_in_the_context() {
        let mut f = Fixture::new();
        let key = CodeKey::from_bytes(f.pin_key);
        let right = f.supervised(f.body(EventKind::SupervisorSignedIn), &key);
        let (outcome, writes) = plan(f.ctx.clone(), &uploaded(&[right])).expect("plan");
        assert_eq!(reasons(&outcome), vec![None]);
        assert_eq!(writes.events.len(), 1);

        let mut f = Fixture::new();
        let wrong = CodeKey::from_bytes([7; 32]);
        let forged = f.supervised(f.body(EventKind::SupervisorSignedIn), &wrong);
        let (outcome, writes) = plan(f.ctx.clone(), &uploaded(&[forged])).expect("plan");
        assert_eq!(
            reasons(&outcome),
            vec![Some(RejectReason::BadSupervisorProof)]
        );
        assert_eq!(outcome.results[0].status, EventStatus::NotHonoured);
        assert_eq!(writes.events.len(), 1, "stored as evidence");
        assert_eq!(writes.not_honoured.len(), 1);
        assert!(writes.alerts.iter().any(|a| a.kind == "not_honoured"));
        assert_eq!(
            writes.supervisor_failures.len(),
            1,
            "a bad proof is counted"
        );

        // Without the session (unknown, or revoked) or the manifest listing, no proof counts.
        let mut f = Fixture::new();
        let signed = f.supervised(f.body(EventKind::SupervisorSignedIn), &key);
        let mut no_session = f.ctx.clone();
        no_session.supervisors.sessions.clear();
        let (outcome, _) =
            plan(no_session, &uploaded(std::slice::from_ref(&signed))).expect("plan");
        assert_eq!(
            reasons(&outcome),
            vec![Some(RejectReason::SupervisorSessionInvalid)]
        );
        let mut revoked = f.ctx.clone();
        if let Some(s) = revoked.supervisors.sessions.get_mut("SES-1") {
            s.revoked_at_ms = Some(1);
        }
        let (outcome, _) = plan(revoked, &uploaded(std::slice::from_ref(&signed))).expect("plan");
        assert_eq!(
            reasons(&outcome),
            vec![Some(RejectReason::SupervisorRevoked)]
        );
        let mut unlisted = f.ctx.clone();
        unlisted.manifests.clear();
        let (outcome, _) = plan(unlisted, &uploaded(&[signed])).expect("plan");
        assert_eq!(
            reasons(&outcome),
            vec![Some(RejectReason::SupervisorRequired)]
        );
        // A supervisor event without any proof.
        let mut f = Fixture::new();
        let bare = f.seal(f.body(EventKind::SupervisorSignedIn));
        let (outcome, _) = plan(f.ctx.clone(), &uploaded(&[bare])).expect("plan");
        assert_eq!(
            reasons(&outcome),
            vec![Some(RejectReason::SupervisorRequired)]
        );
    }

    #[test]
    fn a_day_close_is_checked_against_held_and_batch_events_and_flagged_not_refused() {
        let mut f = Fixture::new();
        let accepted = f.seal(f.body(EventKind::ManifestAccepted));
        f.ctx.held_events = vec![accepted.clone()];
        f.ctx.device.tip = ChainTip {
            seq: accepted.body.seq,
            hash: accepted.hash.clone(),
        };
        let truth = DayBook::from_log(&[], std::slice::from_ref(&accepted)).totals();
        let honest = f.close(truth.clone());
        let (outcome, writes) = plan(f.ctx.clone(), &uploaded(&honest)).expect("plan");
        assert_eq!(reasons(&outcome), vec![None, None]);
        assert!(writes.day_close_flags.is_empty(), "{writes:?}");

        // Rewind to the manifest acceptance and claim a parcel came back.
        f.seq = accepted.body.seq;
        f.prev = accepted.hash.clone();
        let lie = DayTotals {
            received: 1,
            ..truth.clone()
        };
        let lying = f.close(lie.clone());
        let (outcome, writes) = plan(f.ctx.clone(), &uploaded(&lying)).expect("plan");
        assert_eq!(
            reasons(&outcome),
            vec![None, None],
            "accepted, then flagged"
        );
        assert_eq!(writes.events.len(), 2);
        assert_eq!(writes.day_close_flags.len(), 1);
        let flag = &writes.day_close_flags[0];
        assert_eq!(flag.event_id, lying[1].body.event_id);
        assert_eq!(
            flag.differences,
            vec![DayCloseDifference::Totals {
                recorded: lie,
                computed: truth,
            }]
        );
    }
}
