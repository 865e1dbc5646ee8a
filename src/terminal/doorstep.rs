//! The steps at the door other than the code: arrival, inspection offered,
//! contact attempts, the collected item, a non-delivery outcome, a correction.
//! Each is decided on the parcel as committed, inside its write transaction.

use courier_protocol::envelope::SignedEvent;
use courier_protocol::vocabulary::{EventKind, Outcome, Reason};

use super::{Decision, Terminal, TerminalError, context};
use crate::domain::event_draft::EventDraft;
use crate::domain::no_answer::{self, NoAnswerContext, NoAnswerReadiness};
use crate::domain::refusal::Refusal;
use crate::storage::Reads;
use courier_protocol::rules::{Corrected, check_correction, check_reason};

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
        self.record_on(label, |p, stamp, _| {
            let draft =
                EventDraft::new(EventKind::Arrived).parcel(&p.spec.parcel_id, &p.spec.order_ref);
            Decision::apply(draft, &p, &context(stamp))
        })
    }

    /// Records that the buyer was offered to inspect the parcel.
    pub fn offer_inspection(&mut self, label: &str) -> Result<SignedEvent, TerminalError> {
        self.record_on(label, |p, stamp, _| {
            let mut draft = EventDraft::new(EventKind::InspectionOffered)
                .parcel(&p.spec.parcel_id, &p.spec.order_ref);
            draft.inspection_offered = Some(true);
            Decision::apply(draft, &p, &context(stamp))
        })
    }

    /// The screens' one step at the door: records arrival first if the
    /// courier had not (as a code entry does), then the inspection offer.
    pub fn arrive_and_offer_inspection(
        &mut self,
        label: &str,
    ) -> Result<SignedEvent, TerminalError> {
        if self.parcel(label)?.visit.is_none() {
            self.arrive(label)?;
        }
        self.offer_inspection(label)
    }

    /// Logs an attempt to reach the buyer.
    pub fn contact(
        &mut self,
        label: &str,
        channel: ContactChannel,
    ) -> Result<SignedEvent, TerminalError> {
        self.record_on(label, |p, stamp, _| {
            let draft = EventDraft::new(EventKind::ContactAttempt)
                .parcel(&p.spec.parcel_id, &p.spec.order_ref)
                .detail("channel", channel.as_str());
            Decision::apply(draft, &p, &context(stamp))
        })
    }

    /// Records the item collected from the buyer (exchange, pick-up).
    pub fn collect(&mut self, label: &str, scanned: &str) -> Result<SignedEvent, TerminalError> {
        let scanned = crate::domain::digits::entry_text(scanned);
        self.record_on(label, |p, stamp, _| {
            let draft = EventDraft::new(EventKind::ItemCollected)
                .parcel(&p.spec.parcel_id, &p.spec.order_ref)
                .detail("collected_label", scanned);
            Decision::apply(draft, &p, &context(stamp))
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
        self.record_on(label, |p, stamp, settings| {
            // The shared rules first (state, reason, inspection), then the
            // terminal's own evidence for "no answer" (position, wait, contacts).
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
            let decision = Decision::apply(draft, &p, &context(stamp))?;
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
            Ok(decision)
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
        let event_id = event_id.trim().to_owned();
        let note = note.trim().to_owned();
        // With a supervisor signed in, the correction carries their proof
        // (needed after the return was scanned in or the day closed).
        let supervised = self.supervisor_session().is_some();
        if supervised {
            self.require_supervisor()?;
        }
        self.record(|tx, stamp, _| {
            let day = super::depot::day_status_on(tx)?;
            let old = tx
                .event_by_id(&event_id)?
                .ok_or_else(|| TerminalError::UnknownEvent(event_id.clone()))?;
            let mut draft = EventDraft::new(EventKind::Correction)
                .outcome(outcome, reason)
                .detail("note", note.clone());
            draft.corrects = Some(event_id.clone());
            let mut ctx = context(stamp).with_day(&day);
            ctx.supervised = supervised;
            ctx.corrected = Some(Corrected {
                kind: old.body.kind,
                outcome: old.body.outcome,
            });
            let Some(parcel_id) = old.body.parcel_id.clone() else {
                // The shared rules refuse what is not an outcome; an outcome
                // always names its parcel.
                check_correction(
                    old.body.kind,
                    old.body.outcome,
                    outcome,
                    reason,
                    Some(&note),
                )?;
                return Err(bad("this outcome names no parcel"));
            };
            let p = tx
                .parcel_by_id(&parcel_id)?
                .ok_or_else(|| TerminalError::UnknownEvent(event_id.clone()))?;
            let draft = draft.parcel(&p.spec.parcel_id, &p.spec.order_ref);
            // The rules first (what a correction may change), then the
            // terminal's own: only the parcel's latest outcome is corrected.
            let mut decision = Decision::apply(draft, &p, &ctx)?;
            decision.supervised = supervised;
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
            Ok(decision)
        })
    }
}
