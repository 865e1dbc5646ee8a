//! The server's view of one parcel on one device, rebuilt from the device's
//! events in sequence order with the same rules the terminal applied.
//!
//! Each event is mapped to the terminal's [`Action`] and checked with
//! [`Parcel::next_state`]; outcomes, reasons, liabilities, attempts and
//! corrections go through [`super::outcome_rules`] and [`super::correction`].
//! Proof verification and the try counter stay with the server, which holds
//! the code keys; the counter it passes in decides whether the parcel is locked.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::api::RejectReason;
use crate::envelope::EventBody;
use crate::manifest::ManifestParcel;
use crate::vocabulary::{CheckMode, CheckResult, EventKind, Liability, Outcome};

use super::correction::check_correction;
use super::fees::check_fee_change;
use super::outcome_rules::{
    CountRule, check_attempt, check_liability, code_check_step, record_outcome_step,
};
use super::parcel::{Action, Parcel, ParcelState, Visit};
use super::refusal::Refusal;

/// Why an uploaded event breaks the shared rules.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleViolation {
    /// The parcel state machine refuses the step (the terminal would have too).
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// Liability or attempt numbers break the table.
    #[error("{0}")]
    Count(#[from] CountRule),
    /// The event lacks what its kind requires, or names another order.
    #[error("inconsistent event: {0}")]
    Inconsistent(String),
}

impl RuleViolation {
    /// The reason code a receipt gives (listed in `docs/protocol.md`).
    pub fn reject_reason(&self) -> RejectReason {
        match self {
            RuleViolation::Refused(r) => match r {
                Refusal::Withdrawn => RejectReason::ParcelWithdrawn,
                Refusal::AlreadyDelivered => RejectReason::AlreadyDelivered,
                Refusal::Locked { .. } => RejectReason::ParcelLocked,
                Refusal::ReasonNotAllowed { .. } => RejectReason::ReasonNotAllowed,
                Refusal::BadCorrection(_) => RejectReason::BadCorrection,
                Refusal::BadFeeChange(_) => RejectReason::BadFeeChange,
                _ => RejectReason::NotAllowedNow,
            },
            RuleViolation::Count(CountRule::Liability { .. }) => RejectReason::WrongLiability,
            RuleViolation::Count(CountRule::Attempt { .. }) => RejectReason::BadAttempt,
            RuleViolation::Inconsistent(_) => RejectReason::Malformed,
        }
    }
}

/// What the server knows of a parcel from one device's accepted events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParcelLedger {
    /// The state the terminal holds after these events.
    pub state: ParcelState,
    /// Highest attempt count the device recorded.
    pub attempts_recorded: u32,
    /// Whether a visit is under way (arrival recorded, no outcome yet).
    pub at_door: bool,
    /// Whether inspection was offered during that visit.
    pub inspection_offered: bool,
    /// The collected item's label, once scanned.
    pub collected_label: Option<String>,
    /// Outcome events of this parcel (event id → outcome), for corrections.
    pub outcomes: BTreeMap<String, Outcome>,
    /// Who pays the return fees after a fee change (none: the outcome's liability).
    #[serde(default)]
    pub fee_payer: Option<Liability>,
}

impl Default for ParcelLedger {
    fn default() -> Self {
        ParcelLedger {
            state: ParcelState::Pending,
            attempts_recorded: 0,
            at_door: false,
            inspection_offered: false,
            collected_label: None,
            outcomes: BTreeMap::new(),
            fee_payer: None,
        }
    }
}

/// What changed in the try counter by accepting an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterEffect {
    /// Nothing to count.
    None,
    /// The device spent tries offline: the counter is at least this.
    AtLeast(u32),
    /// A delivery: its proof must verify with the order's key.
    NeedsProof,
}

impl ParcelLedger {
    /// The parcel as the terminal's rules see it.
    pub fn parcel(&self, spec: &ManifestParcel, tries_spent: u32) -> Parcel {
        Parcel {
            spec: spec.clone(),
            state: self.state,
            attempts_spent: tries_spent.max(self.attempts_recorded),
            visit: self.at_door.then(|| Visit {
                arrived_utc_ms: 0,
                arrived_monotonic_ms: 0,
                boot_id: String::new(),
                arrival_fix_e7: None,
                contacts: Vec::new(),
                inspection_offered: self.inspection_offered,
            }),
            collected_label: self.collected_label.clone(),
        }
    }

    /// Applies one event of this parcel. `withdrawn` tells whether a manifest
    /// the event's `manifest_version` covers withdrew the parcel; `tries_spent`
    /// is the server's try counter of the parcel.
    pub fn apply(
        &self,
        spec: &ManifestParcel,
        withdrawn: bool,
        tries_spent: u32,
        body: &EventBody,
    ) -> Result<(ParcelLedger, CounterEffect), RuleViolation> {
        let mut next = self.clone();
        if withdrawn && let Ok(state) = next.parcel(spec, tries_spent).next_state(&Action::Withdraw)
        {
            if state == ParcelState::Withdrawn {
                next.at_door = false;
            }
            next.state = state;
        }
        if body
            .order_ref
            .as_deref()
            .is_some_and(|o| o != spec.order_ref)
        {
            return Err(RuleViolation::Inconsistent(format!(
                "order_ref is not the parcel's ({})",
                spec.order_ref
            )));
        }
        let p = next.parcel(spec, tries_spent);
        let missing = |what: &str| {
            RuleViolation::Inconsistent(format!("a {:?} event needs {what}", body.kind))
        };
        let mut effect = CounterEffect::None;
        match body.kind {
            EventKind::Arrived => {
                next.state = p.next_state(&Action::Arrive)?;
                next.at_door = true;
                next.inspection_offered = false;
            }
            EventKind::InspectionOffered => {
                p.next_state(&Action::OfferInspection)?;
                next.inspection_offered = true;
            }
            EventKind::ContactAttempt => {
                p.next_state(&Action::Contact)?;
            }
            EventKind::ItemCollected => {
                p.next_state(&Action::Collect)?;
                let scanned = body
                    .detail
                    .get("collected_label")
                    .ok_or_else(|| missing("detail.collected_label"))?;
                if let Some(expected) = spec.collect.as_ref().and_then(|c| c.label.as_ref())
                    && expected != scanned
                {
                    return Err(Refusal::WrongCollectedItem {
                        expected: expected.clone(),
                        scanned: scanned.clone(),
                    }
                    .into());
                }
                next.collected_label = Some(scanned.clone());
            }
            EventKind::CodeAttempt => {
                let v = body
                    .verification
                    .as_ref()
                    .ok_or_else(|| missing("verification"))?;
                match v.result {
                    CheckResult::Match | CheckResult::Mismatch => {
                        check_attempt(v, spec.attempt_limit)?;
                        match code_check_step(&p) {
                            Ok(_) if v.result == CheckResult::Match => {
                                return Err(RuleViolation::Inconsistent(
                                    "a matching code on an open parcel is recorded as a delivered outcome"
                                        .into(),
                                ));
                            }
                            Ok(_) => {}
                            // The try was spent while the parcel was open; another
                            // writer on the device (a delivery, a withdrawal) ended it
                            // before the answer was recorded: a spent try, nothing
                            // handed over.
                            Err(_) if body.detail.contains_key("not_handed_over") => {}
                            Err(e) => return Err(e.into()),
                        }
                        next.attempts_recorded = next.attempts_recorded.max(v.attempt);
                        if v.check == CheckMode::Offline {
                            effect = CounterEffect::AtLeast(v.attempt);
                        }
                    }
                    CheckResult::Interrupted => {
                        // A try spent before a power cut or crash, recorded at the
                        // next start: it counts, whatever the parcel became since.
                        check_attempt(v, spec.attempt_limit)?;
                        next.attempts_recorded = next.attempts_recorded.max(v.attempt);
                        if v.check == CheckMode::Offline {
                            effect = CounterEffect::AtLeast(v.attempt);
                        }
                    }
                    CheckResult::Locked | CheckResult::Unreachable => {
                        if p.visit.is_none() {
                            return Err(Refusal::NotArrived.into());
                        }
                        check_attempt(v, spec.attempt_limit)?;
                    }
                }
            }
            EventKind::Outcome => {
                let outcome = body.outcome.ok_or_else(|| missing("an outcome"))?;
                check_liability(outcome, body.liability)?;
                if outcome == Outcome::Delivered {
                    if body.reason.is_some() {
                        return Err(RuleViolation::Inconsistent(
                            "a delivery takes no reason".into(),
                        ));
                    }
                    let v = body
                        .verification
                        .as_ref()
                        .filter(|v| v.result == CheckResult::Match)
                        .ok_or_else(|| missing("a matching verification"))?;
                    if body.code_proof.is_none() {
                        return Err(missing("a code proof"));
                    }
                    code_check_step(&p)?;
                    check_attempt(v, spec.attempt_limit)?;
                    next.state = ParcelState::Delivered;
                    effect = CounterEffect::NeedsProof;
                } else {
                    next.state = record_outcome_step(&p, outcome, body.reason)?;
                }
                next.at_door = false;
                next.inspection_offered = false;
                next.outcomes.insert(body.event_id.clone(), outcome);
            }
            EventKind::Correction => {
                let outcome = body.outcome.ok_or_else(|| missing("an outcome"))?;
                let corrected = body
                    .corrects
                    .as_deref()
                    .ok_or_else(|| missing("corrects"))?;
                let old = self.outcomes.get(corrected).copied();
                let kind = if old.is_some() {
                    EventKind::Outcome
                } else {
                    body.kind
                };
                check_correction(
                    kind,
                    old,
                    outcome,
                    body.reason,
                    body.detail.get("note").map(String::as_str),
                )?;
                check_liability(outcome, body.liability)?;
                if let ParcelState::Failed(_) = next.state {
                    next.state = ParcelState::Failed(outcome);
                }
                if old.is_some() {
                    // The outcome event now stands for the corrected outcome
                    // (a fee change re-assigns the corrected liability).
                    next.outcomes.insert(corrected.to_owned(), outcome);
                }
            }
            EventKind::ReturnCheckIn => {
                next.state = p.next_state(&Action::CheckIn)?;
                if let Some(o) = body.outcome {
                    check_liability(o, body.liability)?;
                }
                next.at_door = false;
            }
            EventKind::ItemReceived => {
                let label = body
                    .detail
                    .get("label")
                    .ok_or_else(|| missing("detail.label"))?;
                if self.collected_label.as_ref() != Some(label) {
                    return Err(RuleViolation::Inconsistent(
                        "the item received is not the item recorded as collected".into(),
                    ));
                }
            }
            EventKind::UnexpectedReturn | EventKind::ReturnCondition => {
                if !body.detail.contains_key("label") {
                    return Err(missing("detail.label"));
                }
            }
            EventKind::CourierConfirmed => {
                if !body.detail.contains_key("digest") {
                    return Err(missing("detail.digest"));
                }
            }
            EventKind::FeeChanged => {
                let corrected = body
                    .corrects
                    .as_deref()
                    .ok_or_else(|| missing("corrects (the outcome event)"))?;
                let new = body.liability.ok_or_else(|| missing("a liability"))?;
                let outcome = self.outcomes.get(corrected).copied();
                let current = self
                    .fee_payer
                    .or(outcome.map(Outcome::liability))
                    .unwrap_or(Liability::None);
                check_fee_change(
                    outcome,
                    current,
                    new,
                    body.detail.get("note").map_or("", String::as_str),
                )?;
                next.fee_payer = Some(new);
            }
            EventKind::ManifestAccepted | EventKind::DayClosed | EventKind::SupervisorSignedIn => {
                return Err(RuleViolation::Inconsistent(
                    "this kind of event names no parcel".into(),
                ));
            }
        }
        Ok((next, effect))
    }
}
