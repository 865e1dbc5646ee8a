//! The depot at the end of the day: the day's totals (from the one
//! [`courier_protocol::rules::DayBook`]) and the signed close of the day (the courier's
//! confirmation, then the supervisor's).

use courier_protocol::envelope::SignedEvent;
use courier_protocol::rules::{DayCloseRecord, DayStatus, DayTotals};
use courier_protocol::vocabulary::EventKind;

use super::returns::day_book_on;
use super::{Decision, Terminal, TerminalError};
use crate::domain::event_draft::EventDraft;
use crate::domain::refusal::Refusal;
use crate::storage::{Reads, StoreError};

/// The device's day as the committed log stands (the last close, what it
/// listed missing, a reopening), read inside a write transaction.
pub(crate) fn day_status_on(tx: &impl Reads) -> Result<DayStatus, TerminalError> {
    let events = tx.events_for_day_status()?;
    Ok(DayStatus::of(events.iter().map(|e| &e.body)))
}

impl Terminal {
    /// The day's totals as a close would record them now.
    pub fn day_totals(&self) -> Result<DayTotals, TerminalError> {
        Ok(self.day_book()?.totals())
    }

    /// The courier's confirmation of the day's totals: the first of the two
    /// confirmations a close carries, recorded as a `courier_confirmed` event
    /// with the totals' digest. Anything scanned after it needs a new one.
    pub fn confirm_day_close_as_courier(&mut self) -> Result<SignedEvent, TerminalError> {
        self.record(|tx, _, _| {
            let (book, _) = day_book_on(tx)?;
            let totals = book.totals();
            let draft = EventDraft::new(EventKind::CourierConfirmed)
                .detail("subject", "day_close")
                .detail("digest", totals.digest()?)
                .detail("missing", totals.missing.len().to_string())
                .detail("unexpected", totals.unexpected.len().to_string());
            Ok(Decision::event(draft))
        })
    }

    /// Closes the day (supervisor only): a signed `day_closed` event with the
    /// totals, the missing and unexpected labels, the head of the chain, the
    /// courier's confirmation and the supervisor's proof. Refused while
    /// returns are missing unless `force_reason` gives why (a signed
    /// discrepancy), and refused without the courier's confirmation of these
    /// very totals. Computed on the committed log, in the closing transaction.
    pub fn close_day(&mut self, force_reason: Option<&str>) -> Result<SignedEvent, TerminalError> {
        let force_reason = match force_reason.map(str::trim) {
            Some("") => return Err(Refusal::ForceNeedsReason.into()),
            other => other.map(str::to_owned),
        };
        self.record_supervised(|tx, _| {
            let (book, _) = day_book_on(tx)?;
            let totals = book.totals();
            let forced = !totals.missing.is_empty();
            if forced && force_reason.is_none() {
                return Err(Refusal::ReturnsUnaccounted {
                    missing: totals.missing.len(),
                }
                .into());
            }
            let digest = totals.digest()?;
            let events = tx.all_events()?;
            let since_close: Vec<_> = events
                .iter()
                .rev()
                .take_while(|e| e.body.kind != EventKind::DayClosed)
                .collect();
            let day_close_confirmations = || {
                since_close.iter().filter(|e| {
                    e.body.kind == EventKind::CourierConfirmed
                        && e.body.detail.get("subject").map(String::as_str) == Some("day_close")
                })
            };
            let confirmation = day_close_confirmations()
                .find(|e| e.body.detail.get("digest") == Some(&digest))
                .ok_or_else(|| {
                    let closed_before = since_close.len() < events.len();
                    if day_close_confirmations().next().is_some() {
                        Refusal::ConfirmationOutdated
                    } else if closed_before && book.lines.is_empty() && book.unexpected.is_empty() {
                        Refusal::DayAlreadyClosed
                    } else {
                        Refusal::CourierConfirmationRequired
                    }
                })?;
            let tip = tx.chain_tip()?;
            let mut draft = EventDraft::new(EventKind::DayClosed)
                .detail("delivered", totals.delivered.to_string())
                .detail("received", totals.received.to_string())
                .detail("missing", totals.missing.join(","))
                .detail("unexpected", totals.unexpected.join(","))
                .detail("forced", forced.to_string());
            draft.day = Some(DayCloseRecord {
                totals,
                head_seq: tip.seq,
                head_hash: tip.hash,
                courier_confirmation: confirmation.body.event_id.clone(),
                forced,
                force_reason: if forced { force_reason.clone() } else { None },
            });
            Ok(Some(Decision::event(draft)))
        })?
        .ok_or_else(|| StoreError::Decode("day close not recorded".into()).into())
    }

    /// Reopens a closed day (supervisor only), with a reason: a signed
    /// `day_reopened` event. A parcel the close listed as missing can then be
    /// handed over late with the buyer's code; the day is closed again with a
    /// new close.
    pub fn reopen_day(&mut self, reason: &str) -> Result<SignedEvent, TerminalError> {
        let reason = reason.trim().to_owned();
        if reason.is_empty() {
            return Err(Refusal::ForceNeedsReason.into());
        }
        self.record_supervised(|_, _| {
            Ok(Some(Decision::event(
                EventDraft::new(EventKind::DayReopened).detail("note", reason.clone()),
            )))
        })?
        .ok_or_else(|| StoreError::Decode("day reopening not recorded".into()).into())
    }
}
