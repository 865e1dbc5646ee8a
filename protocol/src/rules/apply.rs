//! The one apply path: a parcel's next state for any event about it, as the
//! terminal records it and as the server's ledger replays it.
//!
//! [`Parcel::apply`] checks the event against the state machine
//! ([`Parcel::next_state`]), the outcome table, the attempt numbers and the
//! correction rules, and returns the parcel after it. The terminal calls it on
//! the parcel as committed, inside the transaction that writes the event; the
//! server's [`super::ParcelLedger`] calls it on the parcel as its accepted
//! events left it. Nothing else changes a parcel's state, visit or item.

use crate::envelope::{ClockStamp, EventBody};
use crate::vocabulary::{CheckResult, EventKind, Outcome};

use super::correction::{check_correction, check_correction_authority};
use super::day_close::{DayStatus, check_late_delivery};
use super::draft::EventDraft;
use super::order_at_door::{
    ORDER_PARCEL_ITEM, RefusedParcel, check_door_scan, check_handover, check_parcel_refusal,
};
use super::outcome_rules::{check_attempt, check_liability, code_check_step, record_outcome_step};
use super::parcel::{Action, ContactLog, Parcel, ParcelState, Visit};
use super::refusal::Refusal;
use super::violation::RuleViolation;

/// The event a correction points to, as the log holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrected {
    /// Its kind.
    pub kind: EventKind,
    /// Its outcome (as corrected since, if it was).
    pub outcome: Option<Outcome>,
}

/// What the rules need of an event beyond its draft: when and where it
/// happened (a visit starts there), whether it carries a code proof, and the
/// event a correction points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventContext<'a> {
    /// The event's clocks.
    pub clock: &'a ClockStamp,
    /// The event's fresh fix, 1e-7 degrees.
    pub fix_e7: Option<(i64, i64)>,
    /// Whether the event carries a code proof (a delivery must).
    pub code_proof: bool,
    /// The event a correction points to, if the log holds it.
    pub corrected: Option<Corrected>,
    /// Whether the event carries a supervisor's proof (the server checks the
    /// proof itself before the rules; the terminal signs it inside a session).
    pub supervised: bool,
    /// The device's day as its log stands before the event (the last close,
    /// what it listed missing, a reopening); none: no close recorded.
    pub day: Option<&'a DayStatus>,
}

impl<'a> EventContext<'a> {
    /// The context of a sealed event; `corrected` is looked up by the caller.
    pub fn of_body(body: &'a EventBody, corrected: Option<Corrected>) -> Self {
        EventContext {
            clock: &body.clock,
            fix_e7: body.position.fix.as_ref().map(|f| (f.lat_e7, f.lon_e7)),
            code_proof: body.code_proof.is_some(),
            corrected,
            supervised: body.supervisor.is_some(),
            day: None,
        }
    }

    /// The same context with the device's day status.
    pub fn with_day(mut self, day: &'a DayStatus) -> Self {
        self.day = Some(day);
        self
    }
}

impl Parcel {
    /// The parcel after `event`, or why the rules refuse it. `self` is the
    /// parcel as the event found it (for an offline code check, before the
    /// try the event answers).
    pub fn apply(
        &self,
        event: &EventDraft,
        ctx: &EventContext<'_>,
    ) -> Result<Parcel, RuleViolation> {
        if event
            .order_ref
            .as_deref()
            .is_some_and(|o| o != self.spec.order_ref)
        {
            return Err(RuleViolation::Inconsistent(format!(
                "order_ref is not the parcel's ({})",
                self.spec.order_ref
            )));
        }
        let missing = |what: &str| {
            RuleViolation::Inconsistent(format!("a {:?} event needs {what}", event.kind))
        };
        let mut next = self.clone();
        match event.kind {
            EventKind::Arrived => {
                next.state = self.next_state(&Action::Arrive)?;
                if self.spec.desk.is_some() {
                    super::desk::check_counter(self, ctx.clock.device_utc_ms)?;
                }
                next.visit = Some(Visit {
                    arrived_utc_ms: ctx.clock.device_utc_ms,
                    arrived_monotonic_ms: ctx.clock.monotonic_ms,
                    boot_id: ctx.clock.boot_id.clone(),
                    arrival_fix_e7: ctx.fix_e7,
                    contacts: Vec::new(),
                    inspection_offered: false,
                    order: Default::default(),
                });
            }
            EventKind::InspectionOffered => {
                self.next_state(&Action::OfferInspection)?;
                if let Some(v) = next.visit.as_mut() {
                    v.inspection_offered = true;
                }
            }
            EventKind::ContactAttempt => {
                self.next_state(&Action::Contact)?;
                if let Some(v) = next.visit.as_mut() {
                    v.contacts.push(ContactLog {
                        channel: event.detail.get("channel").cloned().unwrap_or_default(),
                        at_utc_ms: ctx.clock.device_utc_ms,
                    });
                }
            }
            EventKind::ItemCollected => {
                self.next_state(&Action::Collect)?;
                let scanned = event
                    .detail
                    .get("collected_label")
                    .ok_or_else(|| missing("detail.collected_label"))?;
                if let Some(expected) = self.spec.collect.as_ref().and_then(|c| c.label.as_ref())
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
                let v = event
                    .verification
                    .as_ref()
                    .ok_or_else(|| missing("verification"))?;
                match v.result {
                    CheckResult::Match | CheckResult::Mismatch => {
                        check_attempt(v, self.spec.attempt_limit)?;
                        match code_check_step(self) {
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
                            Err(_) if event.detail.contains_key("not_handed_over") => {}
                            Err(e) => return Err(e.into()),
                        }
                        next.attempts_spent = next.attempts_spent.max(v.attempt);
                    }
                    CheckResult::Interrupted => {
                        // A try spent before a power cut or crash, recorded at the
                        // next start: it counts, whatever the parcel became since.
                        check_attempt(v, self.spec.attempt_limit)?;
                        next.attempts_spent = next.attempts_spent.max(v.attempt);
                    }
                    CheckResult::Locked | CheckResult::Unreachable => {
                        if self.visit.is_none() {
                            return Err(Refusal::NotArrived.into());
                        }
                        check_attempt(v, self.spec.attempt_limit)?;
                    }
                }
            }
            EventKind::Outcome => {
                let outcome = event.outcome.ok_or_else(|| missing("an outcome"))?;
                check_liability(outcome, event.liability)?;
                if outcome == Outcome::Delivered {
                    if event.reason.is_some() {
                        return Err(RuleViolation::Inconsistent(
                            "a delivery takes no reason".into(),
                        ));
                    }
                    // "Delivered" comes only from a checked code.
                    let v = event
                        .verification
                        .as_ref()
                        .ok_or(Refusal::DeliveredNeedsCode)?;
                    if v.result != CheckResult::Match {
                        return Err(missing("a matching verification"));
                    }
                    if !ctx.code_proof {
                        return Err(missing("a code proof"));
                    }
                    code_check_step(self)?;
                    check_handover(self, event.handover.as_ref())?;
                    check_attempt(v, self.spec.attempt_limit)?;
                    if let Some(day) = ctx.day {
                        check_late_delivery(day, &self.spec.label)?;
                    }
                    next.state = ParcelState::Delivered;
                    next.attempts_spent = next.attempts_spent.max(v.attempt);
                } else if event
                    .detail
                    .get(super::desk::HOLD_DETAIL)
                    .map(String::as_str)
                    == Some(super::desk::HOLD_EXPIRED)
                {
                    next.state = super::desk::check_expiry(
                        self,
                        outcome,
                        event.reason,
                        ctx.clock.device_utc_ms,
                    )?;
                    if let Some(d) = next.desk.as_mut() {
                        d.expired = true;
                    }
                } else {
                    if event.handover.is_some() {
                        return Err(RuleViolation::Inconsistent(
                            "only a delivery hands parcels over".into(),
                        ));
                    }
                    next.state = record_outcome_step(self, outcome, event.reason)?;
                }
                next.visit = None;
            }
            EventKind::Correction => {
                let outcome = event.outcome.ok_or_else(|| missing("an outcome"))?;
                if event.corrects.is_none() {
                    return Err(missing("corrects"));
                }
                let corrected = ctx.corrected.unwrap_or(Corrected {
                    kind: event.kind,
                    outcome: None,
                });
                check_correction(
                    corrected.kind,
                    corrected.outcome,
                    outcome,
                    event.reason,
                    event.detail.get("note").map(String::as_str),
                )?;
                check_liability(outcome, event.liability)?;
                check_correction_authority(
                    self.state,
                    ctx.day.is_some_and(|d| d.closed),
                    corrected.outcome != Some(outcome),
                    ctx.supervised,
                )?;
                // The state changes only while the corrected outcome is the
                // parcel's current one (no visit since, not returned, not withdrawn).
                if let ParcelState::Failed(_) = self.state
                    && self.visit.is_none()
                {
                    next.state = ParcelState::Failed(outcome);
                }
            }
            EventKind::ReturnCheckIn => {
                next.state = self.next_state(&Action::CheckIn)?;
                if let Some(o) = event.outcome {
                    check_liability(o, event.liability)?;
                }
                next.visit = None;
            }
            EventKind::ItemReceived => {
                let label = event
                    .detail
                    .get("label")
                    .ok_or_else(|| missing("detail.label"))?;
                if event.detail.get("item").map(String::as_str) == Some(ORDER_PARCEL_ITEM) {
                    // A parcel of an order of several parcels back at the depot:
                    // one the buyer refused (the order delivered), or one of a
                    // failed order other than the label whose check-in ends it.
                    let of_order =
                        self.spec.has_several_parcels() && self.spec.order_parcel(label).is_some();
                    let ok = of_order
                        && (self.state == ParcelState::Delivered || *label != self.spec.label);
                    if !ok {
                        return Err(RuleViolation::Inconsistent(format!(
                            "{label} is not a parcel of this order that comes back"
                        )));
                    }
                } else if self.collected_label.as_ref() != Some(label) {
                    return Err(RuleViolation::Inconsistent(
                        "the item received is not the item recorded as collected".into(),
                    ));
                }
            }
            EventKind::UnexpectedReturn | EventKind::ReturnCondition => {
                if !event.detail.contains_key("label") {
                    return Err(missing("detail.label"));
                }
            }
            EventKind::CourierConfirmed => {
                if !event.detail.contains_key("digest") {
                    return Err(missing("detail.digest"));
                }
            }
            EventKind::FeeChanged => {
                if event.corrects.is_none() {
                    return Err(missing("corrects (the outcome event)"));
                }
                if event.liability.is_none() {
                    return Err(missing("a liability"));
                }
            }
            EventKind::ParcelLoaded => {
                self.next_state(&Action::Load)?;
                if !event
                    .detail
                    .get("label")
                    .is_some_and(|l| self.spec.order_labels().contains(&l.as_str()))
                {
                    return Err(missing("detail.label (the parcel's, or its order's)"));
                }
                next.loaded = true;
            }
            EventKind::OrderParcelScanned => {
                let label = event
                    .detail
                    .get("label")
                    .ok_or_else(|| missing("detail.label"))?;
                check_door_scan(self, label)?;
                if let Some(v) = next.visit.as_mut() {
                    v.order.scanned.push(label.clone());
                }
            }
            EventKind::OrderParcelRefused => {
                let label = event
                    .detail
                    .get("label")
                    .ok_or_else(|| missing("detail.label"))?;
                let outcome = event.outcome.ok_or_else(|| missing("an outcome"))?;
                check_liability(outcome, event.liability)?;
                check_parcel_refusal(self, label, outcome, event.reason)?;
                if let Some(v) = next.visit.as_mut() {
                    v.order.refused.push(RefusedParcel {
                        label: label.clone(),
                        outcome,
                        reason: event.reason,
                    });
                }
            }
            EventKind::DeskHandover => {
                super::desk::check_handover(self, event)?;
                next.desk = Some(super::desk::DeskCustody {
                    handed_over_at_ms: Some(ctx.clock.device_utc_ms),
                    ..Default::default()
                });
            }
            EventKind::DeskIntake => {
                let intake = super::desk::check_intake(self, event, ctx.clock.device_utc_ms)?;
                next.desk = Some(super::desk::DeskCustody {
                    intake: Some(intake),
                    ..Default::default()
                });
            }
            EventKind::LoadAlarm => {
                if !event.detail.contains_key("label") {
                    return Err(missing("detail.label"));
                }
            }
            EventKind::ManifestAccepted
            | EventKind::DayClosed
            | EventKind::SupervisorSignedIn
            | EventKind::DayReopened
            | EventKind::LoadChecked => {
                return Err(RuleViolation::Inconsistent(
                    "this kind of event names no parcel".into(),
                ));
            }
        }
        Ok(next)
    }

    /// The parcel after a manifest withdrew it: withdrawn (its visit ended)
    /// unless it is already delivered or back at the depot.
    pub fn withdrawn(&self) -> Parcel {
        let mut next = self.clone();
        if let Ok(state) = self.next_state(&Action::Withdraw) {
            if state == ParcelState::Withdrawn {
                next.visit = None;
            }
            next.state = state;
        }
        next
    }
}
