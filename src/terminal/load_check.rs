//! The morning load check by the signed-in supervisor: each label scanned
//! into the vehicle is answered at once (loaded, already loaded, or an alarm:
//! not on today's manifest, withdrawn, not to load), decided on the load
//! book as committed when the write transaction starts, and recorded with
//! the supervisor's proof. The check ends with a signed `load_checked`
//! record (counts, missing labels) the courier confirmed first.

use courier_protocol::envelope::SignedEvent;
use courier_protocol::manifest::ManifestParcel;
use courier_protocol::rules::load_check::{LOAD_CHECK_SUBJECT, LoadCheckRecord, LoadLine};
use courier_protocol::rules::{LoadBook, LoadTotals, LoadVerdict};
use courier_protocol::vocabulary::EventKind;
use serde::Serialize;

use super::returns::LabelEntry;
use super::{Decision, Terminal, TerminalError, context};
use crate::domain::event_draft::EventDraft;
use crate::domain::refusal::Refusal;
use crate::storage::{Reads, StoreError};

/// The load check in numbers, after a scan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LoadCounts {
    /// Parcels to load.
    pub to_load: usize,
    /// Loaded so far.
    pub loaded: usize,
    /// Still to load.
    pub missing: usize,
    /// Alarms raised.
    pub alarms: usize,
}

impl LoadCounts {
    /// The counts of a book.
    pub fn of(book: &LoadBook) -> Self {
        LoadCounts {
            to_load: book.lines.len(),
            loaded: book.loaded().count(),
            missing: book.missing().count(),
            alarms: book.alarms.len(),
        }
    }
}

/// The answer to one scan at the load check, after its event (if any) is
/// durably stored.
#[derive(Debug, Clone, Serialize)]
pub struct LoadAnswer {
    /// The label as scanned or typed (trimmed).
    pub label: String,
    /// What it is: the screen maps it to a colour and a sound.
    pub verdict: LoadVerdict,
    /// The parcel to load it matched.
    pub line: Option<LoadLine>,
    /// The recorded event (none for a repeat scan).
    pub event: Option<SignedEvent>,
    /// The load check's counts after this scan.
    pub counts: LoadCounts,
}

/// The load book as `reads` sees it.
pub(crate) fn load_book_on(
    reads: &(impl Reads + ?Sized),
) -> Result<(LoadBook, Vec<ManifestParcel>), StoreError> {
    let specs: Vec<ManifestParcel> = reads.parcels()?.into_iter().map(|p| p.spec).collect();
    let events = reads.events_for_day_book()?;
    Ok((LoadBook::from_log(&specs, &events), specs))
}

impl Terminal {
    /// The morning load check from the log: the parcels to load, those
    /// loaded, the alarms, and whether the check was signed.
    pub fn load_book(&self) -> Result<LoadBook, TerminalError> {
        Ok(load_book_on(&self.store)?.0)
    }

    /// Scans one parcel into the vehicle (supervisor only). The verdict is
    /// taken on the committed book: a parcel to load is recorded as loaded
    /// (`parcel_loaded`, through the shared rules); a label that must not be
    /// loaded is recorded once as an alarm (`load_alarm`); a repeat records
    /// nothing.
    pub fn scan_load(&mut self, entry: LabelEntry<'_>) -> Result<LoadAnswer, TerminalError> {
        let label = entry.label();
        if label.is_empty() {
            return Err(TerminalError::UnknownLabel(label));
        }
        let mut outcome: Option<(LoadVerdict, Option<LoadLine>, LoadCounts)> = None;
        let event = self.record_supervised(|tx, stamp| {
            let (book, specs) = load_book_on(tx)?;
            let verdict = book.verdict(&specs, &label);
            let mut counts = LoadCounts::of(&book);
            let line = book.line(&label).cloned();
            let draft = |kind| {
                EventDraft::new(kind)
                    .detail("label", label.clone())
                    .detail("entry", entry.entry())
            };
            let decision = match verdict {
                LoadVerdict::AlreadyLoaded => None,
                LoadVerdict::Alarm(_) if book.alarms.iter().any(|a| a.label == label) => None,
                LoadVerdict::Alarm(why) => {
                    counts.alarms += 1;
                    let mut d = draft(EventKind::LoadAlarm).detail("why", why.as_str());
                    if let Some(p) = specs.iter().find(|p| p.label == label) {
                        d = d.parcel(&p.parcel_id, &p.order_ref);
                    }
                    Some(Decision::event(d))
                }
                LoadVerdict::Loaded => {
                    // The line's parcel: a parcel of an order of several
                    // parcels loads under its order.
                    let pid = line.as_ref().map_or("", |l| l.parcel_id.as_str());
                    let p = tx
                        .parcel_by_id(pid)?
                        .ok_or_else(|| TerminalError::UnknownLabel(label.clone()))?;
                    counts.loaded += 1;
                    counts.missing = counts.missing.saturating_sub(1);
                    let d =
                        draft(EventKind::ParcelLoaded).parcel(&p.spec.parcel_id, &p.spec.order_ref);
                    Some(Decision::apply(d, &p, &context(stamp))?)
                }
            };
            outcome = Some((verdict, line, counts));
            Ok(decision)
        })?;
        let (verdict, mut line, counts) =
            outcome.ok_or_else(|| StoreError::Decode("load scan not decided".into()))?;
        if let (Some(l), Some(e), LoadVerdict::Loaded) = (&mut line, &event, verdict) {
            l.loaded = Some(courier_protocol::rules::load_check::LoadScan {
                event_id: e.body.event_id.clone(),
                at_ms: e.body.clock.device_utc_ms,
                typed: matches!(entry, LabelEntry::Typed(_)),
            });
        }
        Ok(LoadAnswer {
            label,
            verdict,
            line,
            event,
            counts,
        })
    }

    /// The load check's totals as the signed record would carry them now.
    pub fn load_totals(&self) -> Result<LoadTotals, TerminalError> {
        Ok(self.load_book()?.totals())
    }

    /// The courier's confirmation of the load check's totals: a
    /// `courier_confirmed` event (subject `load_check`) with their digest.
    /// A scan after it needs a new one.
    pub fn confirm_load_as_courier(&mut self) -> Result<SignedEvent, TerminalError> {
        self.record(|tx, _, _| {
            let (book, _) = load_book_on(tx)?;
            let totals = book.totals();
            let draft = EventDraft::new(EventKind::CourierConfirmed)
                .detail("subject", LOAD_CHECK_SUBJECT)
                .detail("digest", totals.digest()?)
                .detail("loaded", totals.loaded.to_string())
                .detail("missing", totals.missing.len().to_string());
            Ok(Decision::event(draft))
        })
    }

    /// Ends the load check (supervisor only): a signed `load_checked` event
    /// with the totals (counts, missing labels, alarms), the courier's
    /// confirmation of these very totals and the supervisor's proof. Refused
    /// without that confirmation. Computed on the committed log, in the
    /// recording transaction.
    pub fn sign_load_check(&mut self) -> Result<SignedEvent, TerminalError> {
        self.record_supervised(|tx, _| {
            let (book, _) = load_book_on(tx)?;
            let totals = book.totals();
            let digest = totals.digest()?;
            let events = tx.all_events()?;
            let confirmations = || {
                events
                    .iter()
                    .rev()
                    .take_while(|e| e.body.kind != EventKind::DayClosed)
                    .filter(|e| {
                        e.body.kind == EventKind::CourierConfirmed
                            && e.body.detail.get("subject").map(String::as_str)
                                == Some(LOAD_CHECK_SUBJECT)
                    })
            };
            let confirmation = confirmations()
                .find(|e| e.body.detail.get("digest") == Some(&digest))
                .ok_or_else(|| {
                    if confirmations().next().is_some() {
                        Refusal::ConfirmationOutdated
                    } else {
                        Refusal::CourierConfirmationRequired
                    }
                })?;
            let mut draft = EventDraft::new(EventKind::LoadChecked)
                .detail("to_load", totals.to_load.to_string())
                .detail("loaded", totals.loaded.to_string())
                .detail("missing", totals.missing.len().to_string())
                .detail("alarms", totals.alarms.len().to_string());
            draft.load = Some(LoadCheckRecord {
                totals,
                courier_confirmation: confirmation.body.event_id.clone(),
            });
            Ok(Some(Decision::event(draft)))
        })?
        .ok_or_else(|| StoreError::Decode("load check not recorded".into()).into())
    }
}
