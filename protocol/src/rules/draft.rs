//! An event before it has a place in the chain: what a terminal decides to
//! record, and what the rules read of an event a server received.

use std::collections::BTreeMap;

use crate::envelope::{EventBody, Verification};
use crate::order_parcels::Handover;
use crate::photo::PhotoRef;
use crate::vocabulary::{EventKind, Liability, Outcome, Reason};

use super::day_close::DayCloseRecord;
use crate::load_check_record::LoadCheckRecord;

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
    /// The load check's record (`load_checked` only).
    pub load: Option<LoadCheckRecord>,
    /// The photos that support it.
    pub photos: Vec<PhotoRef>,
    /// The parcels handed over and the amount released (the delivery of an
    /// order of several parcels only).
    pub handover: Option<Handover>,
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
            load: None,
            photos: Vec::new(),
            handover: None,
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

    /// The draft an event was sealed from (what the rules read of an
    /// uploaded event; the code proof, chain and stamp are not part of it).
    pub fn of_body(body: &EventBody) -> Self {
        EventDraft {
            kind: body.kind,
            parcel_id: body.parcel_id.clone(),
            order_ref: body.order_ref.clone(),
            outcome: body.outcome,
            reason: body.reason,
            liability: body.liability,
            verification: body.verification.clone(),
            inspection_offered: body.inspection_offered,
            corrects: body.corrects.clone(),
            detail: body.detail.clone(),
            day: body.day.clone(),
            load: body.load.clone(),
            photos: body.photos.clone(),
            handover: body.handover.clone(),
        }
    }

    /// Adds a detail.
    pub fn detail(mut self, key: &str, value: impl Into<String>) -> Self {
        self.detail.insert(key.to_owned(), value.into());
        self
    }
}
