//! An event before it has a place in the chain.

use std::collections::BTreeMap;

use courier_protocol::envelope::{
    ChainTip, ClockStamp, EVENT_SCHEMA, EventBody, PositionRecord, Verification,
};
use courier_protocol::rules::DayCloseRecord;
use courier_protocol::vocabulary::{EventKind, Liability, Outcome, Reason};

/// Everything about an event except its id, sequence and chain link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDraft {
    /// What happened.
    pub kind: EventKind,
    /// Parcel id.
    pub parcel_id: Option<String>,
    /// Order reference.
    pub order_ref: Option<String>,
    /// Outcome.
    pub outcome: Option<Outcome>,
    /// Reason.
    pub reason: Option<Reason>,
    /// Liability for the return fees.
    pub liability: Option<Liability>,
    /// Code entry and check.
    pub verification: Option<Verification>,
    /// Whether inspection was offered.
    pub inspection_offered: Option<bool>,
    /// The corrected event's id.
    pub corrects: Option<String>,
    /// Details.
    pub detail: BTreeMap<String, String>,
    /// The day's record (`day_closed` only).
    pub day: Option<DayCloseRecord>,
}

impl EventDraft {
    /// A bare draft of a kind.
    pub fn new(kind: EventKind) -> Self {
        EventDraft {
            kind,
            parcel_id: None,
            order_ref: None,
            outcome: None,
            reason: None,
            liability: None,
            verification: None,
            inspection_offered: None,
            corrects: None,
            detail: BTreeMap::new(),
            day: None,
        }
    }

    /// Sets the parcel.
    pub fn parcel(mut self, parcel_id: &str, order_ref: &str) -> Self {
        self.parcel_id = Some(parcel_id.to_owned());
        self.order_ref = Some(order_ref.to_owned());
        self
    }

    /// Sets an outcome with its liability.
    pub fn outcome(mut self, outcome: Outcome, reason: Option<Reason>) -> Self {
        self.outcome = Some(outcome);
        self.reason = reason;
        self.liability = Some(outcome.liability());
        self
    }

    /// Adds a detail.
    pub fn detail(mut self, key: &str, value: impl Into<String>) -> Self {
        self.detail.insert(key.to_owned(), value.into());
        self
    }
}

/// The moment of an event: position and clocks, taken when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// Position evidence.
    pub position: PositionRecord,
    /// Device clock.
    pub clock: ClockStamp,
    /// GNSS UTC time.
    pub gnss_utc_ms: Option<i64>,
}

/// Identity of the recorder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorder<'a> {
    /// Device id.
    pub device_id: &'a str,
    /// Manifest version in force.
    pub manifest_version: Option<u64>,
    /// App version.
    pub app_version: &'a str,
}

/// Places a draft after `tip` in the chain.
pub fn into_body(
    draft: EventDraft,
    event_id: String,
    stamp: Stamp,
    recorder: &Recorder<'_>,
    tip: &ChainTip,
) -> EventBody {
    EventBody {
        schema: EVENT_SCHEMA.to_owned(),
        event_id,
        device_id: recorder.device_id.to_owned(),
        seq: tip.seq + 1,
        prev_hash: tip.hash.clone(),
        kind: draft.kind,
        parcel_id: draft.parcel_id,
        order_ref: draft.order_ref,
        outcome: draft.outcome,
        reason: draft.reason,
        liability: draft.liability,
        verification: draft.verification,
        code_proof: None,
        inspection_offered: draft.inspection_offered,
        corrects: draft.corrects,
        detail: draft.detail,
        position: stamp.position,
        clock: stamp.clock,
        gnss_utc_ms: stamp.gnss_utc_ms,
        manifest_version: recorder.manifest_version,
        app_version: recorder.app_version.to_owned(),
        supervisor: None,
        day: draft.day,
    }
}
