//! The steps at the door other than the code: arrival, inspection offered,
//! contact attempts, the collected item, a non-delivery outcome, a correction.
//! Each is decided on the parcel as committed, inside its write transaction.

use courier_protocol::envelope::SignedEvent;
use courier_protocol::vocabulary::{EventKind, Outcome, Reason};

use super::{Decision, Terminal, TerminalError};
use crate::domain::event_draft::EventDraft;
use crate::domain::no_answer::{self, NoAnswerContext, NoAnswerReadiness};
use crate::domain::parcel::{Action, ContactLog, ParcelState, Visit};
use crate::domain::refusal::Refusal;
use crate::storage::Reads;
use courier_protocol::rules::check_reason;

/// How the courier tried to reach the buyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactChannel {
    /// Phone call.
    Call,
    /// SMS or messaging app.
    Message,
    /// Doorbell or knock.
    Doorbell,
}

impl ContactChannel {
    /// Protocol string.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactChannel::Call => "call",
            ContactChannel::Message => "message",
            ContactChannel::Doorbell => "doorbell",
        }
    }
}

impl Terminal {
    /// Records arrival at the address and starts the visit (and its wait timer).
    pub fn arrive(&mut self, label: &str) -> Result<SignedEvent, TerminalError> {
        self.record_on(label, |mut p, stamp, _| {
            p.state = p.next_state(&Action::Arrive)?;
            p.visit = Some(Visit {
                arrived_utc_ms: stamp.clock.device_utc_ms,
                arrived_monotonic_ms: stamp.clock.monotonic_ms,
                boot_id: stamp.clock.boot_id.clone(),
                arrival_fix_e7: stamp.position.fix.as_ref().map(|f| (f.lat_e7, f.lon_e7)),
                contacts: Vec::new(),
                inspection_offered: false,
            });
            let draft =
                EventDraft::new(EventKind::Arrived).parcel(&p.spec.parcel_id, &p.spec.order_ref);
            Ok(Decision::on(draft, p))
        })
    }

    /// Records that the buyer was offered to inspect the parcel.
    pub fn offer_inspection(&mut self, label: &str) -> Result<SignedEvent, TerminalError> {
        self.record_on(label, |mut p, _, _| {
            p.check(&Action::OfferInspection)?;
            if let Some(v) = p.visit.as_mut() {
                v.inspection_offered = true;
            }
            let mut draft = EventDraft::new(EventKind::InspectionOffered)
                .parcel(&p.spec.parcel_id, &p.spec.order_ref);
            draft.inspection_offered = Some(true);
            Ok(Decision::on(draft, p))
        })
    }

    /// Logs an attempt to reach the buyer.
    pub fn contact(
        &mut self,
        label: &str,
        channel: ContactChannel,
    ) -> Result<SignedEvent, TerminalError> {
        self.record_on(label, |mut p, stamp, _| {
            p.check(&Action::Contact)?;
            if let Some(v) = p.visit.as_mut() {
                v.contacts.push(ContactLog {
                    channel: channel.as_str().to_owned(),
                    at_utc_ms: stamp.clock.device_utc_ms,
                });
            }
            let draft = EventDraft::new(EventKind::ContactAttempt)
                .parcel(&p.spec.parcel_id, &p.spec.order_ref)
                .detail("channel", channel.as_str());
            Ok(Decision::on(draft, p))
        })
    }

    /// Records the item collected from the buyer (exchange, pick-up).
    pub fn collect(&mut self, label: &str, scanned: &str) -> Result<SignedEvent, TerminalError> {
        let scanned = scanned.trim().to_owned();
        self.record_on(label, |mut p, _, _| {
            p.check(&Action::Collect)?;
            if let Some(expected) = p.spec.collect.as_ref().and_then(|c| c.label.as_ref())
                && *expected != scanned
            {
                return Err(Refusal::WrongCollectedItem {
                    expected: expected.clone(),
                    scanned,
                }
                .into());
            }
            p.collected_label = Some(scanned.clone());
            let draft = EventDraft::new(EventKind::ItemCollected)
                .parcel(&p.spec.parcel_id, &p.spec.order_ref)
                .detail("collected_label", scanned);
            Ok(Decision::on(draft, p))
        })
    }

    /// Where the courier stands with "no answer" for this parcel now, by the
    /// rule itself (`None` outside a visit): what the evidence screen shows.
    pub fn no_answer_readiness(
        &mut self,
        label: &str,
    ) -> Result<Option<NoAnswerReadiness>, TerminalError> {
        let settings = self.settings()?;
        let stamp = self.stamp(&settings);
        let p = self.parcel(label)?;
        Ok(p.visit.as_ref().map(|visit| {
            no_answer::readiness(
                &NoAnswerContext {
                    address: &p.spec.address,
                    visit,
                    position_now: &stamp.position,
                    monotonic_ms: stamp.clock.monotonic_ms,
                    utc_ms: stamp.clock.device_utc_ms,
                    boot_id: &stamp.clock.boot_id,
                },
                &settings,
            )
        }))
    }

    /// Records a non-delivery outcome, enforcing its reason and evidence rules.
    pub fn record_outcome(
        &mut self,
        label: &str,
        outcome: Outcome,
        reason: Option<Reason>,
        note: Option<&str>,
    ) -> Result<SignedEvent, TerminalError> {
        check_reason(outcome, reason)?;
        let note = note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        self.record_on(label, |mut p, stamp, settings| {
            let next = p.next_state(&Action::RecordOutcome(outcome))?;
            if outcome == Outcome::RefusedAfterInspection
                && !p.visit.as_ref().is_some_and(|v| v.inspection_offered)
            {
                return Err(Refusal::InspectFirst.into());
            }
            if outcome == Outcome::NoAnswer
                && let Some(visit) = &p.visit
            {
                let ctx = NoAnswerContext {
                    address: &p.spec.address,
                    visit,
                    position_now: &stamp.position,
                    monotonic_ms: stamp.clock.monotonic_ms,
                    utc_ms: stamp.clock.device_utc_ms,
                    boot_id: &stamp.clock.boot_id,
                };
                no_answer::check(&ctx, settings)?;
            }
            let mut draft = EventDraft::new(EventKind::Outcome)
                .parcel(&p.spec.parcel_id, &p.spec.order_ref)
                .outcome(outcome, reason);
            if let Some(v) = &p.visit {
                draft.inspection_offered = Some(v.inspection_offered);
                draft = draft.detail("contacts", v.contacts.len().to_string());
            }
            if let Some(n) = note {
                draft = draft.detail("note", n);
            }
            p.state = next;
            p.visit = None;
            Ok(Decision::on(draft, p))
        })
    }

    /// Corrects an earlier outcome with a new event that points to it.
    ///
    /// Only the parcel's latest outcome can be corrected: correcting an older
    /// one would rewrite the current state from a stale decision.
    pub fn correct(
        &mut self,
        event_id: &str,
        outcome: Outcome,
        reason: Option<Reason>,
        note: &str,
    ) -> Result<SignedEvent, TerminalError> {
        let bad = |m: &str| TerminalError::Refused(Refusal::BadCorrection(m.to_owned()));
        if outcome == Outcome::Delivered {
            return Err(bad(
                "a delivery is proved by the buyer's code and cannot be recorded by a correction",
            ));
        }
        if note.trim().is_empty() {
            return Err(bad("a correction needs a note saying why"));
        }
        check_reason(outcome, reason)?;
        let event_id = event_id.trim().to_owned();
        let note = note.trim().to_owned();
        self.record(|tx, _, _| {
            let old = tx
                .event_by_id(&event_id)?
                .ok_or_else(|| TerminalError::UnknownEvent(event_id.clone()))?;
            if old.body.kind != EventKind::Outcome {
                return Err(bad(
                    "only outcomes are corrected; other events stand as recorded",
                ));
            }
            if old.body.outcome == Some(Outcome::Delivered) {
                return Err(bad(
                    "a delivery is proved by the buyer's code and cannot be corrected from the terminal",
                ));
            }
            let parcel_id = old
                .body
                .parcel_id
                .clone()
                .ok_or_else(|| bad("this outcome names no parcel"))?;
            let mut p = tx
                .parcel_by_id(&parcel_id)?
                .ok_or_else(|| TerminalError::UnknownEvent(event_id.clone()))?;
            let latest = tx
                .parcel_events(&parcel_id)?
                .into_iter()
                .rev()
                .find(|e| matches!(e.body.kind, EventKind::Outcome | EventKind::Correction));
            let corrects_latest = latest.as_ref().is_some_and(|e| {
                e.body.event_id == event_id || e.body.corrects.as_deref() == Some(event_id.as_str())
            });
            if !corrects_latest {
                return Err(bad(
                    "a later outcome was recorded for this parcel; correct the latest one",
                ));
            }
            // The state changes only while the corrected outcome is the parcel's
            // current one (no visit since, not returned, not withdrawn).
            if let ParcelState::Failed(_) = p.state
                && p.visit.is_none()
            {
                p.state = ParcelState::Failed(outcome);
            }
            let mut draft = EventDraft::new(EventKind::Correction)
                .parcel(&p.spec.parcel_id, &p.spec.order_ref)
                .outcome(outcome, reason)
                .detail("note", note.clone());
            draft.corrects = Some(event_id.clone());
            Ok(Decision::on(draft, p))
        })
    }
}
