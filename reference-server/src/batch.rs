//! One uploaded batch as data: the events as received, the keys a store
//! looks up, the context it loads inside its transaction, and the writes the
//! plan ([`crate::ingest::plan()`]) decides.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use courier_protocol::api::{EventResult, RejectReason};
use courier_protocol::bounds::check_event;
use courier_protocol::envelope::{ChainTip, SignedEvent};
use courier_protocol::manifest::ManifestBody;
use courier_protocol::rules::{DayCloseDifference, ParcelLedger};
use courier_protocol::strict_json::CheckedValue;
use courier_protocol::vocabulary::{EventKind, SupervisorFactor};

use crate::records::{DeviceRow, OrderRow};
use crate::supervisor_rows::{
    SupervisorCounter, SupervisorFailure, SupervisorKey, SupervisorSessionRow,
};

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
    /// Not an event in wire form (`malformed`), or past a bound (`too_large`).
    Malformed {
        /// Why it is refused.
        reason: RejectReason,
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
        let v = &item.value;
        let event_id = v["body"]["event_id"].as_str().unwrap_or("").to_owned();
        let seq = v["body"]["seq"].as_u64().unwrap_or(0);
        let hash = v["hash"].as_str().unwrap_or("").to_owned();
        let refused = |reason: RejectReason| Uploaded::Malformed {
            reason,
            event_id,
            seq,
            hash,
        };
        if item.repeated_key.is_some() {
            return refused(RejectReason::Malformed);
        }
        match serde_json::from_value::<SignedEvent>(item.value) {
            Ok(e) if e.check_wire_form().is_ok() => match check_event(&e.body) {
                Ok(()) => Uploaded::Event(Box::new(e)),
                Err(_) => refused(RejectReason::TooLarge),
            },
            _ => refused(RejectReason::Malformed),
        }
    }
}

/// What a store loads for one batch, inside its transaction, after locking
/// the device's chain: only rows the batch names.
#[derive(Debug, Clone)]
pub struct BatchContext {
    /// The device, with its current tip.
    pub device: DeviceRow,
    /// Stored events by id among the batch's ids: `(device, seq, hash)`.
    pub known: HashMap<String, (String, u64, String)>,
    /// Hashes of the device's stored events at the batch's sequence numbers.
    pub at_seq: HashMap<u64, String>,
    /// Parcels of the batch ever issued to the device.
    pub issued: HashSet<String>,
    /// Orders of the batch's parcels (locked against concurrent counters).
    pub orders: HashMap<String, OrderRow>,
    /// The device each of the batch's parcels is issued to now (absent: none).
    pub holders: HashMap<String, String>,
    /// Parcels of the batch whose order was cancelled (refunded in full).
    pub cancelled: HashSet<String>,
    /// Manifest versions that withdrew each parcel from the device.
    pub withdrawals: HashMap<String, Vec<u64>>,
    /// The device's ledger of each parcel of the batch.
    pub ledgers: HashMap<String, ParcelLedger>,
    /// Event hashes whose wrong proof already spent a try.
    pub proof_failures: HashSet<String>,
    /// The depot of the device's latest manifest.
    pub depot: Option<String>,
    /// What the batch's supervisor proofs need.
    pub supervisors: SupervisorContext,
    /// The device's manifests the checks need, by version: those its
    /// supervisor events were recorded under and, when the batch holds a day
    /// close, every version the device accepted (see
    /// [`BatchKeys::manifest_versions`]).
    pub manifests: HashMap<u64, ManifestBody>,
    /// The device's stored events, in chain order, when the batch holds a
    /// `day_closed` event or an event the day's status decides (see
    /// [`BatchKeys::history`]; empty otherwise).
    pub held_events: Vec<SignedEvent>,
    /// The stop desks' ledgers of the parcels the batch hands over, by
    /// (desk device, parcel): a handover is confirmed by the desk's intake
    /// (see [`BatchKeys::desk_ledgers`]).
    pub desk_ledgers: HashMap<(String, String), ParcelLedger>,
}

/// The supervisors a batch's proofs name, in every depot (the plan keeps the
/// depot of the manifest each event was recorded under), and the sessions named.
#[derive(Debug, Clone, Default)]
pub struct SupervisorContext {
    /// Every key `K` issued, by depot, supervisor id and factor.
    pub keys: HashMap<(String, String, SupervisorFactor), Vec<SupervisorKey>>,
    /// The counters, by depot and supervisor id.
    pub counters: HashMap<(String, String), SupervisorCounter>,
    /// The sessions named by the batch's proofs, by session id.
    pub sessions: HashMap<String, SupervisorSessionRow>,
}

/// The ids a store must look up to build a [`BatchContext`].
#[derive(Debug, Clone, Default)]
pub struct BatchKeys {
    /// Event ids of well-formed events.
    pub event_ids: Vec<String>,
    /// Their sequence numbers.
    pub seqs: Vec<u64>,
    /// Parcels they name, sorted (lock order).
    pub parcel_ids: Vec<String>,
    /// Their hashes.
    pub hashes: Vec<String>,
    /// Supervisors named by the events' proofs, with the factor, sorted.
    pub supervisors: Vec<(String, SupervisorFactor)>,
    /// Manifest versions the supervisor proofs, the arrivals and the events a
    /// photo policy may concern were recorded under and, when the batch holds
    /// a day close or a load check, those its `manifest_accepted` events accept.
    pub versions: Vec<u64>,
    /// Whether the batch holds a `day_closed` or a `load_checked` event (the
    /// store then loads the device's stored events).
    pub day_close: bool,
    /// Session ids named by the events' supervisor proofs, sorted.
    pub sessions: Vec<String>,
    /// Whether the batch holds an event the day's status decides (a delivery,
    /// a correction, a reopening): the store then loads the device's stored
    /// events too.
    pub history: bool,
    /// (desk device, parcel) of each `desk_handover` in the batch: the store
    /// loads the desk's ledger of the parcel (its intake). The courier's
    /// handover events an intake names are among [`BatchKeys::event_ids`].
    pub desk_ledgers: Vec<(String, String)>,
}

impl BatchKeys {
    /// Collects the keys of a batch.
    pub fn of(events: &[Uploaded]) -> BatchKeys {
        let mut keys = BatchKeys::default();
        let mut parcels = BTreeSet::new();
        let mut supervisors = BTreeSet::new();
        let mut versions = BTreeSet::new();
        let mut sessions = BTreeSet::new();
        let mut accepted = Vec::new();
        let mut handovers = Vec::new();
        for item in events {
            if let Uploaded::Event(e) = item {
                keys.event_ids.push(e.body.event_id.clone());
                keys.seqs.push(e.body.seq);
                keys.hashes.push(e.hash.clone());
                if let Some(p) = &e.body.parcel_id {
                    parcels.insert(p.clone());
                }
                if let Some(s) = &e.body.supervisor {
                    supervisors.insert((s.supervisor_id.clone(), factor_rank(s.factor)));
                    versions.extend(e.body.manifest_version);
                    sessions.extend(s.session.clone());
                }
                keys.history |=
                    matches!(e.body.kind, EventKind::Correction | EventKind::DayReopened)
                        || (e.body.kind == EventKind::Outcome
                            && e.body.outcome
                                == Some(courier_protocol::vocabulary::Outcome::Delivered));
                // The photo rule reads the policy of the manifest the
                // event was recorded under.
                if courier_protocol::rules::photo_case(
                    &courier_protocol::rules::EventDraft::of_body(&e.body),
                )
                .is_some()
                {
                    versions.extend(e.body.manifest_version);
                }
                if e.body.kind == EventKind::ManifestAccepted {
                    accepted.extend(e.body.manifest_version);
                }
                // A day close and a load check are recomputed from every
                // event and manifest the device holds.
                keys.day_close |=
                    matches!(e.body.kind, EventKind::DayClosed | EventKind::LoadChecked);
                // An arrival is judged under its manifest (does it ask for
                // the morning load check?).
                if e.body.kind == EventKind::Arrived {
                    versions.extend(e.body.manifest_version);
                }
                // A stop desk's events are judged under their manifest (the
                // parcel's desk, its holding period).
                if matches!(e.body.kind, EventKind::DeskHandover | EventKind::DeskIntake)
                    || e.body
                        .detail
                        .contains_key(courier_protocol::rules::desk::HOLD_DETAIL)
                {
                    versions.extend(e.body.manifest_version);
                }
                if e.body.kind == EventKind::DeskHandover
                    && let (Some(desk), Some(p)) =
                        (e.body.detail.get("desk_device"), &e.body.parcel_id)
                {
                    keys.desk_ledgers.push((desk.clone(), p.clone()));
                }
                if e.body.kind == EventKind::DeskIntake
                    && let Some(h) = e.body.detail.get("handover_event")
                {
                    handovers.push(h.clone());
                }
            }
        }
        if keys.day_close {
            versions.extend(accepted);
        }
        // The handovers the desk's intakes name are looked up like the
        // batch's own ids (stored events by id).
        keys.event_ids.extend(handovers);
        keys.parcel_ids = parcels.into_iter().collect();
        keys.supervisors = supervisors
            .into_iter()
            .map(|(id, rank)| (id, FACTORS[rank]))
            .collect();
        keys.versions = versions.into_iter().collect();
        keys.sessions = sessions.into_iter().collect();
        keys
    }

    /// Whether the store loads the device's stored events.
    pub fn needs_held_events(&self) -> bool {
        self.day_close || self.history
    }

    /// The manifest versions a store loads into [`BatchContext::manifests`]:
    /// the batch's own (see [`BatchKeys::versions`]) and, when the batch holds
    /// a day close, every version the device's `held` events accepted.
    pub fn manifest_versions(&self, held: &[SignedEvent]) -> Vec<u64> {
        let mut out: BTreeSet<u64> = self.versions.iter().copied().collect();
        if self.day_close {
            out.extend(
                held.iter()
                    .filter(|e| e.body.kind == EventKind::ManifestAccepted)
                    .filter_map(|e| e.body.manifest_version),
            );
        }
        out.into_iter().collect()
    }
}

/// The supervisor factors, in a fixed order (they have no `Ord`).
const FACTORS: [SupervisorFactor; 2] = [SupervisorFactor::Badge, SupervisorFactor::Pin];

fn factor_rank(f: SupervisorFactor) -> usize {
    match f {
        SupervisorFactor::Badge => 0,
        SupervisorFactor::Pin => 1,
    }
}

/// One event to store, with the columns the back office queries by.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The event.
    pub event: SignedEvent,
    /// Its JSON as stored.
    pub json: String,
    /// Its signed time (see [`crate::records::signed_time_ms`]).
    pub signed_at_ms: i64,
    /// The order reference of its parcel, if any.
    pub order_ref: Option<String>,
    /// The device's depot when it was received.
    pub depot: Option<String>,
    /// Its leaf in the event log (from the canonical bytes verified).
    pub leaf_hash: [u8; 32],
}

/// An alert to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    /// `fork`, `event_id_conflict`, `not_honoured`, `delivered_while_locked`
    /// or `received_after_revocation`.
    pub kind: &'static str,
    /// What was seen.
    pub detail: String,
}

/// A day close at odds with the events held, to record for the back office
/// (the store adds the device and the time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDayCloseFlag {
    /// The `day_closed` event.
    pub event_id: String,
    /// Its sequence number.
    pub seq: u64,
    /// What differs.
    pub differences: Vec<DayCloseDifference>,
}

/// An event stored as evidence but without effect (see
/// [`courier_protocol::api::EventStatus::NotHonoured`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotHonoured {
    /// The event.
    pub event_id: String,
    /// Its sequence number.
    pub seq: u64,
    /// Why it has no effect.
    pub reason: RejectReason,
}

/// What a batch changes; the store writes all of it and commits, rejected
/// events included (a wrong proof's spent try and an alert are kept).
#[derive(Debug, Clone)]
pub struct BatchWrites {
    /// Accepted events, in chain order.
    pub events: Vec<NewEvent>,
    /// New ledgers of parcels, by parcel id.
    pub ledgers: BTreeMap<String, ParcelLedger>,
    /// New try counters of orders, by parcel id.
    pub attempts: BTreeMap<String, u32>,
    /// Wrong proofs that spent a try: `(event hash, parcel id)`.
    pub proof_failures: Vec<(String, String)>,
    /// Alerts for the back office.
    pub alerts: Vec<NewAlert>,
    /// Day closes that differ from the events held (once per event id).
    pub day_close_flags: Vec<NewDayCloseFlag>,
    /// Bad supervisor proofs, each counted once on its supervisor's counter.
    pub supervisor_failures: Vec<SupervisorFailure>,
    /// Stored events that are not honoured, with why.
    pub not_honoured: Vec<NewNotHonoured>,
    /// The device's tip after the batch.
    pub tip: ChainTip,
}
