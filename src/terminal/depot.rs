//! The depot at the end of the day: returns checked in, the reconciliation with
//! who pays each return, and the signed close of the day.

use std::collections::HashMap;

use courier_protocol::envelope::SignedEvent;
use courier_protocol::vocabulary::EventKind;

use super::{Decision, Terminal, TerminalError};
use crate::domain::event_draft::EventDraft;
use crate::domain::parcel::{Action, ParcelState};
use crate::domain::reconciliation::{DayLine, Reconciliation, reconcile};
use crate::domain::refusal::Refusal;
use crate::storage::{Reads, StoreError};

impl Terminal {
    /// Depot check-in of a returned parcel.
    pub fn check_in(&mut self, label: &str) -> Result<SignedEvent, TerminalError> {
        self.record_on(label, |mut p, _, _| {
            let next = p.next_state(&Action::CheckIn)?;
            let previous = p.state;
            p.state = next;
            p.visit = None;
            let mut draft = EventDraft::new(EventKind::ReturnCheckIn)
                .parcel(&p.spec.parcel_id, &p.spec.order_ref)
                .detail("previous_state", previous.as_db());
            if let ParcelState::Failed(o) = previous {
                draft.outcome = Some(o);
                draft.liability = Some(o.liability());
            }
            Ok(Decision::on(draft, p))
        })
    }

    /// The day's reconciliation for the depot supervisor, with who pays each return.
    pub fn reconciliation(&self) -> Result<Reconciliation, TerminalError> {
        Ok(reconciliation_on(&self.store)?)
    }

    /// Closes the day with a signed summary; refuses unaccounted parcels unless forced.
    ///
    /// The summary is computed on the committed log, in the transaction that
    /// records the close.
    pub fn close_day(&mut self, force: bool) -> Result<SignedEvent, TerminalError> {
        self.record(|tx, _, _| {
            let r = reconciliation_on(tx)?;
            if !r.is_clean() && !force {
                return Err(Refusal::DayNotReconciled {
                    missing: r.missing.len(),
                    pending: r.not_attempted.len(),
                }
                .into());
            }
            let labels = |v: &[DayLine]| {
                v.iter()
                    .map(|l| l.label.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let draft = EventDraft::new(EventKind::DayClosed)
                .detail("delivered", r.delivered.len().to_string())
                .detail("returned", r.returned.len().to_string())
                .detail("missing", labels(&r.missing))
                .detail("not_attempted", labels(&r.not_attempted))
                .detail("forced", (!r.is_clean()).to_string());
            Ok(Decision::event(draft))
        })
    }
}

/// The reconciliation as `reads` sees it: who pays is the last outcome,
/// correction or check-in of each parcel.
fn reconciliation_on(reads: &(impl Reads + ?Sized)) -> Result<Reconciliation, StoreError> {
    let parcels = reads.parcels()?;
    let mut liabilities = HashMap::new();
    for p in &parcels {
        let last = reads
            .parcel_events(&p.spec.parcel_id)?
            .into_iter()
            .rev()
            .find_map(|e| match e.body.kind {
                EventKind::Outcome | EventKind::Correction | EventKind::ReturnCheckIn => {
                    e.body.liability
                }
                _ => None,
            });
        liabilities.insert(p.spec.parcel_id.clone(), last);
    }
    Ok(reconcile(&parcels, |p| {
        liabilities.get(&p.spec.parcel_id).copied().flatten()
    }))
}
