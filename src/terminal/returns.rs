//! Returns scanned in at the depot by the signed-in supervisor: each label is
//! sorted at once into received / already received / unexpected, on the day's
//! book as committed when the write transaction starts, and recorded with its
//! condition at intake and the supervisor's proof.

use courier_protocol::envelope::SignedEvent;
use courier_protocol::manifest::ManifestParcel;
use courier_protocol::rules::order_at_door::ORDER_PARCEL_ITEM;
use courier_protocol::rules::returns::{ReturnLine, UnexpectedWhy};
use courier_protocol::rules::{DayBook, ReturnItem, ScanVerdict};
use courier_protocol::vocabulary::{Condition, EventKind};
use serde::Serialize;

use super::{Decision, Terminal, TerminalError, context};
use crate::domain::digits::entry_text;
use crate::domain::event_draft::EventDraft;
use crate::domain::parcel::ParcelState;
use crate::domain::refusal::Refusal;
use crate::storage::{Reads, StoreError};

/// A label as the supervisor gave it: scanned, or typed when the scan fails
/// (same path; the event records which).
#[derive(Debug, Clone, Copy)]
pub enum LabelEntry<'a> {
    /// Read by the scanner.
    Scanned(&'a str),
    /// Typed on the keypad.
    Typed(&'a str),
}

impl LabelEntry<'_> {
    /// The label, as the one entry rule reads it.
    pub(crate) fn label(&self) -> String {
        match self {
            LabelEntry::Scanned(l) | LabelEntry::Typed(l) => entry_text(l),
        }
    }

    /// How it was given: `scanned` or `typed` (recorded in the event).
    pub(crate) fn entry(&self) -> &'static str {
        match self {
            LabelEntry::Scanned(_) => "scanned",
            LabelEntry::Typed(_) => "typed",
        }
    }
}

/// The condition of a return at intake; a reason when it is not intact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeInput {
    /// Intact, damaged or opened.
    pub condition: Condition,
    /// What is wrong (required unless intact).
    pub note: Option<String>,
}

impl Default for IntakeInput {
    fn default() -> Self {
        IntakeInput {
            condition: Condition::Intact,
            note: None,
        }
    }
}

impl IntakeInput {
    fn check(&self) -> Result<Option<String>, Refusal> {
        let note = self
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        if self.condition != Condition::Intact && note.is_none() {
            return Err(Refusal::ConditionNeedsReason);
        }
        Ok(note)
    }
}

/// The day's returns in numbers, after a scan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ScanCounts {
    /// Returns expected back.
    pub expected: usize,
    /// Received so far.
    pub received: usize,
    /// Still missing.
    pub missing: usize,
    /// Unexpected labels scanned.
    pub unexpected: usize,
}

impl ScanCounts {
    /// The counts of a book.
    pub fn of(book: &DayBook) -> Self {
        ScanCounts {
            expected: book.lines.len(),
            received: book.received().count(),
            missing: book.missing().count(),
            unexpected: book.unexpected.len(),
        }
    }
}

/// The answer to one scan, after its event (if any) is durably stored.
#[derive(Debug, Clone, Serialize)]
pub struct ScanAnswer {
    /// The label as scanned or typed (trimmed).
    pub label: String,
    /// What it is: the screen maps it to a colour and a sound.
    pub verdict: ScanVerdict,
    /// The expected return it matched, as now recorded.
    pub line: Option<ReturnLine>,
    /// The recorded event (none for a repeat scan).
    pub event: Option<SignedEvent>,
    /// The day's counts after this scan.
    pub counts: ScanCounts,
}

/// The day's book as `reads` sees it.
pub(crate) fn day_book_on(
    reads: &(impl Reads + ?Sized),
) -> Result<(DayBook, Vec<ManifestParcel>), StoreError> {
    let specs: Vec<ManifestParcel> = reads.parcels()?.into_iter().map(|p| p.spec).collect();
    let events = reads.events_for_day_book()?;
    Ok((DayBook::from_log(&specs, &events), specs))
}

impl Terminal {
    /// The day's returns from the log: expected, received (with condition),
    /// missing, unexpected, and who pays each return's fees and why.
    pub fn day_book(&self) -> Result<DayBook, TerminalError> {
        Ok(day_book_on(&self.store)?.0)
    }

    /// Scans one return in (supervisor only). The verdict is taken on the
    /// committed book: an expected return is recorded as received with its
    /// condition (`return_check_in` for a parcel, `item_received` for a
    /// collected item); an unexpected label is recorded once as an alarm
    /// (`unexpected_return`); a repeat records nothing.
    pub fn scan_return(
        &mut self,
        entry: LabelEntry<'_>,
        intake: &IntakeInput,
    ) -> Result<ScanAnswer, TerminalError> {
        let note = intake.check()?;
        let label = entry.label();
        if label.is_empty() {
            return Err(TerminalError::UnknownLabel(label));
        }
        let condition = intake.condition;
        let mut outcome: Option<(ScanVerdict, Option<ReturnLine>, ScanCounts)> = None;
        let event = self.record_supervised(|tx, stamp| {
            let (book, specs) = day_book_on(tx)?;
            let verdict = book.verdict(&specs, &label);
            let mut counts = ScanCounts::of(&book);
            let mut line = book.line(&label).cloned();
            let with_intake = |d: EventDraft| {
                let d = d
                    .detail("label", label.clone())
                    .detail("entry", entry.entry())
                    .detail("condition", condition.as_str());
                match &note {
                    Some(n) => d.detail("condition_note", n.clone()),
                    None => d,
                }
            };
            let decision = match verdict {
                ScanVerdict::AlreadyReceived => None,
                ScanVerdict::Unexpected(why) => {
                    if book.unexpected.iter().any(|u| u.label == label) {
                        None
                    } else {
                        counts.unexpected += 1;
                        let mut d = with_intake(EventDraft::new(EventKind::UnexpectedReturn))
                            .detail("why", why.as_str());
                        if let Some(p) = specs.iter().find(|p| p.label == label) {
                            d = d.parcel(&p.parcel_id, &p.order_ref);
                        } else if why != UnexpectedWhy::NotInManifest
                            && let Some(p) = specs.iter().find(|p| {
                                p.collect
                                    .as_ref()
                                    .and_then(|c| c.label.as_deref())
                                    .is_some_and(|l| l == label)
                            })
                        {
                            d = d.parcel(&p.parcel_id, &p.order_ref);
                        }
                        Some(Decision::event(d))
                    }
                }
                ScanVerdict::Received(item) => {
                    let l = line
                        .as_ref()
                        .ok_or_else(|| TerminalError::UnknownLabel(label.clone()))?;
                    counts.received += 1;
                    counts.missing = counts.missing.saturating_sub(1);
                    let p = tx
                        .parcel_by_id(&l.parcel_id)?
                        .ok_or_else(|| TerminalError::UnknownLabel(label.clone()))?;
                    match item {
                        ReturnItem::Parcel => {
                            let previous = p.state;
                            let mut d = with_intake(EventDraft::new(EventKind::ReturnCheckIn))
                                .parcel(&p.spec.parcel_id, &p.spec.order_ref)
                                .detail("previous_state", previous.as_db());
                            if let ParcelState::Failed(o) = previous {
                                d.outcome = Some(o);
                                d.liability = Some(o.liability());
                            }
                            Some(Decision::apply(d, &p, &context(stamp))?)
                        }
                        ReturnItem::CollectedItem => Some(Decision::event(
                            with_intake(EventDraft::new(EventKind::ItemReceived))
                                .parcel(&p.spec.parcel_id, &p.spec.order_ref),
                        )),
                        // A parcel of an order of several parcels: received
                        // without ending the order (the shared rules check it
                        // is one of the order's that comes back).
                        ReturnItem::OrderParcel => Some(Decision::apply(
                            with_intake(EventDraft::new(EventKind::ItemReceived))
                                .parcel(&p.spec.parcel_id, &p.spec.order_ref)
                                .detail("item", ORDER_PARCEL_ITEM),
                            &p,
                            &context(stamp),
                        )?),
                    }
                }
            };
            if let (Some(l), Some(_)) = (&mut line, &decision)
                && matches!(verdict, ScanVerdict::Received(_))
            {
                l.received = Some(courier_protocol::rules::returns::Intake {
                    event_id: String::new(),
                    seq: 0,
                    at_ms: stamp.clock.device_utc_ms,
                    condition,
                    condition_note: note.clone(),
                    typed: matches!(entry, LabelEntry::Typed(_)),
                    supervisor_id: None,
                });
            }
            outcome = Some((verdict, line, counts));
            Ok(decision)
        })?;
        let (verdict, mut line, counts) =
            outcome.ok_or_else(|| StoreError::Decode("scan not decided".into()))?;
        if let (Some(l), Some(e)) = (&mut line, &event)
            && let Some(i) = &mut l.received
            && i.seq == 0
        {
            i.event_id = e.body.event_id.clone();
            i.seq = e.body.seq;
            i.supervisor_id = e.body.supervisor.as_ref().map(|s| s.supervisor_id.clone());
        }
        Ok(ScanAnswer {
            label,
            verdict,
            line,
            event,
            counts,
        })
    }

    /// Records the condition of a return received today again (supervisor
    /// only): a new `return_condition` event, never an edit of the scan.
    pub fn record_condition(
        &mut self,
        label: &str,
        intake: &IntakeInput,
    ) -> Result<SignedEvent, TerminalError> {
        let note = intake.check()?;
        let label = label.trim().to_owned();
        let condition = intake.condition;
        self.record_supervised(|tx, _| {
            let (book, _) = day_book_on(tx)?;
            let line = book
                .line(&label)
                .filter(|l| l.received.is_some())
                .ok_or(Refusal::NotReceived)?;
            let item = match line.item {
                ReturnItem::Parcel => "parcel",
                ReturnItem::CollectedItem => "collected_item",
                ReturnItem::OrderParcel => ORDER_PARCEL_ITEM,
            };
            let mut d = EventDraft::new(EventKind::ReturnCondition)
                .parcel(&line.parcel_id, &line.order_ref)
                .detail("label", label.clone())
                .detail("item", item)
                .detail("condition", condition.as_str());
            if let Some(received) = &line.received {
                d.corrects = Some(received.event_id.clone());
            }
            if let Some(n) = &note {
                d = d.detail("condition_note", n.clone());
            }
            Ok(Some(Decision::event(d)))
        })?
        .ok_or_else(|| StoreError::Decode("condition not recorded".into()).into())
    }
}
