//! Stop desks on the terminal (issue 25, point 3). On the courier's
//! terminal: the handover of a parcel to its desk (a `desk_handover` naming
//! the desk's device) and the ticket his screen then shows as a QR (his
//! device, the event and its hash). On the desk's terminal (the manifest
//! says the parcel is `held_here`): the intake (a `desk_intake`, from the
//! scanned ticket, or from the parcel's label scanned or typed), the list of
//! parcels held for their buyers, and the end of the holds whose period is
//! over (a "no answer" outcome, the buyer pays). The buyer collects at the
//! desk through the normal doorstep steps (arrival, inspection, code).
//!
//! Every decision is taken through the shared rules
//! (`courier_protocol::rules::desk`, via `Parcel::apply`) on the parcel as
//! committed, inside the write transaction.

use courier_protocol::envelope::SignedEvent;
use courier_protocol::rules::desk::{
    self, HOLD_DETAIL, HOLD_EXPIRED, HandoverTicket, holding_until,
};
use courier_protocol::vocabulary::{EventKind, Outcome, Reason};
use serde::Serialize;

use super::returns::LabelEntry;
use super::{Decision, Terminal, TerminalError, context};
use crate::domain::event_draft::EventDraft;
use crate::storage::Reads;

/// The courier's handover, once durably recorded.
#[derive(Debug, Clone)]
pub struct HandoverAnswer {
    /// The `desk_handover` event.
    pub event: SignedEvent,
    /// What the courier's screen shows for the desk to scan.
    pub ticket: HandoverTicket,
}

/// A parcel the desk holds for its buyer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldParcel {
    /// Its label.
    pub label: String,
    /// Its order.
    pub order_ref: String,
    /// The buyer's name.
    pub recipient: String,
    /// Taken in at (device time, Unix ms).
    pub taken_in_at_ms: i64,
    /// Held until (Unix ms): after it, it goes back as a return.
    pub until_ms: i64,
}

impl Terminal {
    /// Hands a parcel to its stop desk (the courier's terminal): a
    /// `desk_handover` naming the manifest's desk, through the shared rules;
    /// returns the event and the ticket the screen shows as a QR.
    pub fn hand_over_to_desk(
        &mut self,
        entry: LabelEntry<'_>,
    ) -> Result<HandoverAnswer, TerminalError> {
        let label = entry.label();
        let event = self.record(|tx, stamp, _| {
            let p = tx
                .parcel_by_label(&label)?
                .ok_or_else(|| TerminalError::UnknownLabel(label.clone()))?;
            let desk_device = p
                .spec
                .desk
                .as_ref()
                .map(|d| d.device_id.clone())
                .unwrap_or_default();
            let draft = EventDraft::new(EventKind::DeskHandover)
                .parcel(&p.spec.parcel_id, &p.spec.order_ref)
                .detail("label", p.spec.label.clone())
                .detail("desk_device", desk_device)
                .detail("entry", entry.entry());
            Decision::apply(draft, &p, &context(stamp))
        })?;
        let ticket = HandoverTicket {
            courier_device: event.body.device_id.clone(),
            handover_event: event.body.event_id.clone(),
            handover_hash: event.hash.clone(),
            label: event.body.detail.get("label").cloned().unwrap_or_default(),
        };
        Ok(HandoverAnswer { event, ticket })
    }

    /// Takes a parcel in at the desk (the desk's terminal): from the
    /// courier's ticket scanned off his screen (the intake names his device,
    /// handover event and hash), or from the parcel's label scanned or typed
    /// (the intake names the parcel only). Through the shared rules: the
    /// manifest must say this device is the parcel's desk.
    pub fn desk_intake(&mut self, entry: LabelEntry<'_>) -> Result<SignedEvent, TerminalError> {
        let text = entry.label();
        let ticket = HandoverTicket::parse(&text);
        let label = ticket.as_ref().map_or(text, |t| t.label.clone());
        self.record(|tx, stamp, _| {
            let p = tx
                .parcel_by_label(&label)?
                .ok_or_else(|| TerminalError::UnknownLabel(label.clone()))?;
            let mut draft = EventDraft::new(EventKind::DeskIntake)
                .parcel(&p.spec.parcel_id, &p.spec.order_ref)
                .detail("label", p.spec.label.clone())
                .detail("entry", entry.entry());
            if let Some(t) = &ticket {
                draft = draft
                    .detail("courier_device", t.courier_device.clone())
                    .detail("handover_event", t.handover_event.clone())
                    .detail("handover_hash", t.handover_hash.clone());
            }
            Decision::apply(draft, &p, &context(stamp))
        })
    }

    /// The parcels this desk holds for their buyers (taken in, not
    /// collected, not sent back), soonest end of hold first.
    pub fn desk_holds(&self) -> Result<Vec<HeldParcel>, TerminalError> {
        let mut held: Vec<HeldParcel> = self
            .store
            .parcels()?
            .into_iter()
            .filter(|p| desk::counter_open(p).is_ok() && p.spec.desk.is_some())
            .filter(|p| {
                matches!(
                    p.state,
                    courier_protocol::rules::parcel::ParcelState::Pending
                        | courier_protocol::rules::parcel::ParcelState::Failed(_)
                )
            })
            .filter_map(|p| {
                let until_ms = holding_until(&p)?;
                let taken_in_at_ms = p.desk.as_ref()?.intake.as_ref()?.at_ms;
                Some(HeldParcel {
                    label: p.spec.label.clone(),
                    order_ref: p.spec.order_ref.clone(),
                    recipient: p.spec.recipient.name.clone(),
                    taken_in_at_ms,
                    until_ms,
                })
            })
            .collect();
        held.sort_by(|a, b| (a.until_ms, &a.label).cmp(&(b.until_ms, &b.label)));
        Ok(held)
    }

    /// Ends every hold whose period is over (the desk's terminal): for each
    /// such parcel a "no answer" outcome (reason `absent`, the buyer liable)
    /// marked `desk_hold = expired`, one event per parcel, each decided on
    /// the committed state. The parcels then go back as returns.
    pub fn end_expired_holds(&mut self) -> Result<Vec<SignedEvent>, TerminalError> {
        let mut out = Vec::new();
        loop {
            let event = self.record_if(|tx, stamp, _| {
                let parcels = tx.parcels()?;
                let Some(p) = desk::holds_over(&parcels, stamp.clock.device_utc_ms)
                    .into_iter()
                    .next()
                    .cloned()
                else {
                    return Ok(None);
                };
                let draft = EventDraft::new(EventKind::Outcome)
                    .parcel(&p.spec.parcel_id, &p.spec.order_ref)
                    .outcome(Outcome::NoAnswer, Some(Reason::Absent))
                    .detail(HOLD_DETAIL, HOLD_EXPIRED)
                    .detail("label", p.spec.label.clone());
                Decision::apply(draft, &p, &context(stamp)).map(Some)
            })?;
            match event {
                Some(e) => out.push(e),
                None => return Ok(out),
            }
        }
    }
}
