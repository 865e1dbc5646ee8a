//! An order of several parcels at the door: each parcel of the order scanned
//! (or its label typed), the buyer's refusal of some with its reason, before
//! the order's one code (`code_check`), whose delivery then names exactly the
//! parcels handed over and the amount released. Each step is decided on the
//! order as committed, inside its write transaction, by the shared rules
//! (`courier_protocol::rules::order_at_door`).

use courier_protocol::envelope::SignedEvent;
use courier_protocol::rules::handover_due;
use courier_protocol::vocabulary::{EventKind, Outcome, Reason};
use serde::Serialize;

use super::returns::LabelEntry;
use super::{Decision, Terminal, TerminalError, context};
use crate::domain::event_draft::EventDraft;
use crate::domain::parcel::Parcel;
use crate::domain::refusal::Refusal;

/// One parcel of the order at the door, as the screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoorParcel {
    /// Its label.
    pub label: String,
    /// Its amount, minor units.
    pub amount_minor: i64,
    /// What it holds, if the manifest says.
    pub description: Option<String>,
    /// Scanned at the door in this visit.
    pub scanned: bool,
    /// Refused by the buyer in this visit: the outcome and its reason.
    pub refused: Option<(Outcome, Option<Reason>)>,
}

/// The order's parcels at the door and what the code would release now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderDoor {
    /// The order's label (its first parcel's), as the route list shows it.
    pub order_label: String,
    /// Every parcel of the order, in the manifest's order.
    pub parcels: Vec<DoorParcel>,
    /// What the code would release now (none while a parcel is not scanned,
    /// or when every one is refused).
    pub releases_minor: Option<i64>,
    /// The order's amount, minor units.
    pub amount_minor: i64,
    /// Its currency.
    pub currency: String,
}

impl OrderDoor {
    /// The order at the door as the parcel stands.
    pub fn of(p: &Parcel) -> OrderDoor {
        let door = p
            .visit
            .as_ref()
            .map(|v| v.order.clone())
            .unwrap_or_default();
        OrderDoor {
            order_label: p.spec.label.clone(),
            parcels: p
                .spec
                .order_parcels
                .iter()
                .map(|o| DoorParcel {
                    label: o.label.clone(),
                    amount_minor: o.amount_minor,
                    description: o.description.clone(),
                    scanned: door.is_scanned(&o.label),
                    refused: door.refusal(&o.label).map(|r| (r.outcome, r.reason)),
                })
                .collect(),
            releases_minor: handover_due(p).ok().flatten().map(|h| h.amount_minor),
            amount_minor: p.spec.amount_minor,
            currency: p.spec.currency.clone(),
        }
    }
}

/// The answer to a parcel scanned at the door.
#[derive(Debug, Clone)]
pub struct DoorScanAnswer {
    /// The recorded `order_parcel_scanned` event (none: already scanned in
    /// this visit, nothing recorded again).
    pub event: Option<SignedEvent>,
    /// The order now.
    pub order: OrderDoor,
}

impl Terminal {
    /// The order of several parcels with this label (its own or one of its
    /// parcels'), as it stands at the door; none for a one-parcel order.
    pub fn order_door(&self, label: &str) -> Result<Option<OrderDoor>, TerminalError> {
        let p = self.order_of(label)?;
        Ok(p.spec.has_several_parcels().then(|| OrderDoor::of(&p)))
    }

    /// The parcel entry whose order holds `label` (the entry's own label, or
    /// one of the parcels of its order).
    pub fn order_of(&self, label: &str) -> Result<Parcel, TerminalError> {
        match self.parcel(label) {
            Err(TerminalError::UnknownLabel(l)) => self
                .parcels()?
                .into_iter()
                .find(|p| p.spec.order_parcel(&l).is_some())
                .ok_or(TerminalError::UnknownLabel(l)),
            found => found,
        }
    }

    /// Records a parcel of the order at the door, scanned or typed; arrival
    /// first if the courier had not. A parcel already scanned in this visit
    /// records nothing again; a label of another order is refused.
    pub fn scan_order_parcel(
        &mut self,
        order_label: &str,
        entry: LabelEntry<'_>,
    ) -> Result<DoorScanAnswer, TerminalError> {
        let label = entry.label();
        let p = self.order_of(order_label)?;
        if p.spec.order_parcel(&label).is_none() {
            return Err(Refusal::NotInOrder {
                label,
                order_ref: p.spec.order_ref.clone(),
            }
            .into());
        }
        if p.visit.is_none() {
            self.arrive(&p.spec.label)?;
        }
        let order_label = p.spec.label.clone();
        let event = self.record_if(|tx, stamp, _| {
            let p = crate::storage::Reads::parcel_by_label(tx, &order_label)?
                .ok_or_else(|| TerminalError::UnknownLabel(order_label.clone()))?;
            if p.visit.as_ref().is_some_and(|v| v.order.is_scanned(&label)) {
                return Ok(None);
            }
            let draft = EventDraft::new(EventKind::OrderParcelScanned)
                .parcel(&p.spec.parcel_id, &p.spec.order_ref)
                .detail("label", label.clone())
                .detail("entry", entry.entry());
            Ok(Some(Decision::apply(draft, &p, &context(stamp))?))
        })?;
        Ok(DoorScanAnswer {
            event,
            order: OrderDoor::of(&self.parcel(&order_label)?),
        })
    }

    /// Records the buyer's refusal of one parcel of the order (refused after
    /// inspection: the seller pays its return; declined: the buyer pays),
    /// with its reason. The parcel must have been scanned at the door.
    pub fn refuse_order_parcel(
        &mut self,
        order_label: &str,
        label: &str,
        outcome: Outcome,
        reason: Option<Reason>,
    ) -> Result<SignedEvent, TerminalError> {
        let label = crate::domain::digits::entry_text(label);
        let order_label = self.order_of(order_label)?.spec.label;
        self.record_on(&order_label, |p, stamp, _| {
            let mut draft = EventDraft::new(EventKind::OrderParcelRefused)
                .parcel(&p.spec.parcel_id, &p.spec.order_ref)
                .outcome(outcome, reason)
                .detail("label", label);
            draft.inspection_offered = p.visit.as_ref().map(|v| v.inspection_offered);
            Decision::apply(draft, &p, &context(stamp))
        })
    }
}
