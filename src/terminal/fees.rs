//! Changing who pays a return's fees, with four eyes: the courier confirms
//! the change on the device (a recorded `courier_confirmed` event), then the
//! signed-in supervisor approves it with their proof (a `fee_changed` event
//! pointing to the outcome event). Without either, refused. Never an edit.

use courier_protocol::envelope::SignedEvent;
use courier_protocol::rules::returns::ReturnLine;
use courier_protocol::rules::{DayBook, FeeChangeSubject, check_fee_change};
use courier_protocol::vocabulary::{EventKind, Liability};
use serde::Serialize;

use super::returns::day_book_on;
use super::{Decision, Terminal, TerminalError};
use crate::domain::event_draft::EventDraft;
use crate::domain::refusal::Refusal;
use crate::storage::Reads;

/// A change of who pays a return's fees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeeChangeRequest {
    /// The return's label.
    pub label: String,
    /// The new payer.
    pub payer: Liability,
    /// Why (required).
    pub note: String,
}

/// The return line and the subject of a change, checked on `book`.
fn subject(
    book: &DayBook,
    req: &FeeChangeRequest,
) -> Result<(ReturnLine, FeeChangeSubject), TerminalError> {
    let line = book
        .line(&req.label)
        .cloned()
        .ok_or_else(|| TerminalError::UnknownLabel(req.label.trim().to_owned()))?;
    let outcome = match line.because {
        courier_protocol::rules::returns::ExpectedBecause::Failed(o) => Some(o),
        _ => None,
    };
    check_fee_change(outcome, line.fees.payer, req.payer, &req.note)?;
    let outcome_event = line
        .outcome_event
        .as_ref()
        .ok_or_else(|| Refusal::BadFeeChange("this return has no outcome event".into()))?;
    let subject = FeeChangeSubject {
        parcel_id: line.parcel_id.clone(),
        outcome_event_id: outcome_event.event_id.clone(),
        payer: req.payer,
        note: req.note.trim().to_owned(),
    };
    Ok((line, subject))
}

impl Terminal {
    /// The courier's confirmation of a fee change: the first pair of eyes,
    /// recorded as a `courier_confirmed` event carrying the change's digest.
    /// Checked against the rules first (an outcome, another payer, a reason).
    pub fn confirm_fee_change_as_courier(
        &mut self,
        req: &FeeChangeRequest,
    ) -> Result<SignedEvent, TerminalError> {
        self.record(|tx, _, _| {
            let (book, _) = day_book_on(tx)?;
            let (line, subject) = subject(&book, req)?;
            let draft = EventDraft::new(EventKind::CourierConfirmed)
                .parcel(&line.parcel_id, &line.order_ref)
                .detail("subject", "fee_change")
                .detail("digest", subject.digest()?)
                .detail("payer", req.payer.as_str())
                .detail("note", subject.note.clone());
            Ok(Decision::event(draft))
        })
    }

    /// The supervisor's approval of a fee change the courier confirmed: the
    /// second pair of eyes. Refused without a live supervisor session, and
    /// without an unused courier confirmation of exactly this change.
    pub fn change_fee(&mut self, req: &FeeChangeRequest) -> Result<SignedEvent, TerminalError> {
        self.record_supervised(|tx, _| {
            let (book, _) = day_book_on(tx)?;
            let (line, subject) = subject(&book, req)?;
            let digest = subject.digest()?;
            let events = tx.all_events()?;
            let used: Vec<&str> = events
                .iter()
                .filter(|e| e.body.kind == EventKind::FeeChanged)
                .filter_map(|e| {
                    e.body
                        .detail
                        .get("courier_confirmation")
                        .map(String::as_str)
                })
                .collect();
            let unused_confirmations = || {
                events.iter().rev().filter(|e| {
                    e.body.kind == EventKind::CourierConfirmed
                        && e.body.detail.get("subject").map(String::as_str) == Some("fee_change")
                        && e.body.parcel_id.as_deref() == Some(line.parcel_id.as_str())
                        && !used.contains(&e.body.event_id.as_str())
                })
            };
            let confirmation = unused_confirmations()
                .find(|e| e.body.detail.get("digest") == Some(&digest))
                .ok_or_else(|| {
                    if unused_confirmations().next().is_some() {
                        Refusal::ConfirmationOutdated
                    } else {
                        Refusal::CourierConfirmationRequired
                    }
                })?;
            let mut draft = EventDraft::new(EventKind::FeeChanged)
                .parcel(&line.parcel_id, &line.order_ref)
                .detail("note", subject.note.clone())
                .detail("previous_payer", line.fees.payer.as_str())
                .detail("courier_confirmation", confirmation.body.event_id.clone())
                .detail("digest", digest);
            if let Some(o) = &line.outcome_event {
                draft = draft.detail("outcome_event_hash", o.hash.clone());
            }
            draft.corrects = Some(subject.outcome_event_id.clone());
            draft.liability = Some(req.payer);
            Ok(Some(Decision::event(draft)))
        })?
        .ok_or_else(|| crate::storage::StoreError::Decode("fee change not recorded".into()).into())
    }
}
