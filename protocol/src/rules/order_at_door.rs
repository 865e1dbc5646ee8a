//! An order of several parcels at the door: every parcel of the order is
//! scanned (or its label typed), the buyer inspects and may refuse some, each
//! with its reason and liability; the code is checked once for the order, and
//! the delivery hands over exactly the parcels scanned and not refused, and
//! releases their amount. The refused ones come back to the depot.
//!
//! The terminal records with these checks (inside [`super::Parcel::apply`])
//! and the server replays them: one rule for both. A one-parcel order (no
//! `order_parcels` in the manifest) takes none of these steps and its
//! delivery names no handover, as before.

use serde::{Deserialize, Serialize};

use crate::order_parcels::Handover;
use crate::vocabulary::{Outcome, Reason};

use super::outcome_rules::check_reason;
use super::parcel::Parcel;
use super::refusal::Refusal;
use super::violation::RuleViolation;

/// The outcomes a buyer may give one parcel of an order: refused after
/// inspection (the seller pays the return), or declined without a product
/// reason (the buyer pays), the liabilities of the design brief's table.
pub const PARCEL_REFUSALS: [Outcome; 2] =
    [Outcome::RefusedAfterInspection, Outcome::BuyerCancelled];

/// `detail.item` of an `item_received` event that takes in a parcel of an
/// order of several parcels (not the one whose check-in ends a failed order).
pub const ORDER_PARCEL_ITEM: &str = "order_parcel";

/// A parcel of the order the buyer refused at the door.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedParcel {
    /// Its label.
    pub label: String,
    /// Refused after inspection, or declined.
    pub outcome: Outcome,
    /// Why.
    pub reason: Option<Reason>,
}

/// The order's parcels at the door during a visit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderAtDoor {
    /// Labels scanned at the door, in scan order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scanned: Vec<String>,
    /// Parcels refused, in refusal order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<RefusedParcel>,
}

impl OrderAtDoor {
    /// Nothing scanned nor refused.
    pub fn is_empty(&self) -> bool {
        self.scanned.is_empty() && self.refused.is_empty()
    }

    /// Whether the label was scanned during this visit.
    pub fn is_scanned(&self, label: &str) -> bool {
        self.scanned.iter().any(|l| l == label)
    }

    /// The refusal of this label during this visit, if any.
    pub fn refusal(&self, label: &str) -> Option<&RefusedParcel> {
        self.refused.iter().find(|r| r.label == label)
    }
}

fn at_door(p: &Parcel) -> OrderAtDoor {
    p.visit
        .as_ref()
        .map(|v| v.order.clone())
        .unwrap_or_default()
}

/// Whether `label` may be scanned at the door now: the parcel is at the door
/// (the state machine's contact step), the label is one of the order's, and
/// not scanned yet in this visit.
pub fn check_door_scan(p: &Parcel, label: &str) -> Result<(), RuleViolation> {
    p.next_state(&super::parcel::Action::Contact)?;
    if !p.spec.has_several_parcels() {
        return Err(RuleViolation::Inconsistent(
            "a one-parcel order has no parcels to scan at the door".into(),
        ));
    }
    if p.spec.order_parcel(label).is_none() {
        return Err(Refusal::NotInOrder {
            label: label.to_owned(),
            order_ref: p.spec.order_ref.clone(),
        }
        .into());
    }
    if at_door(p).is_scanned(label) {
        return Err(RuleViolation::Inconsistent(format!(
            "parcel {label} is already scanned in this visit"
        )));
    }
    Ok(())
}

/// Whether the buyer's refusal of one parcel of the order may be recorded:
/// the parcel was scanned at the door, not refused yet, the outcome is one of
/// [`PARCEL_REFUSALS`] with a reason its table allows, and a refusal after
/// inspection comes after the inspection was offered.
pub fn check_parcel_refusal(
    p: &Parcel,
    label: &str,
    outcome: Outcome,
    reason: Option<Reason>,
) -> Result<(), RuleViolation> {
    p.next_state(&super::parcel::Action::Contact)?;
    if p.spec.order_parcel(label).is_none() {
        return Err(Refusal::NotInOrder {
            label: label.to_owned(),
            order_ref: p.spec.order_ref.clone(),
        }
        .into());
    }
    let door = at_door(p);
    if !door.is_scanned(label) {
        return Err(Refusal::OrderParcelNotScanned {
            label: label.to_owned(),
        }
        .into());
    }
    if door.refusal(label).is_some() {
        return Err(RuleViolation::Inconsistent(format!(
            "parcel {label} is already refused in this visit"
        )));
    }
    if !PARCEL_REFUSALS.contains(&outcome) {
        return Err(RuleViolation::Inconsistent(format!(
            "a parcel of an order is refused after inspection or declined, not {}",
            outcome.as_str()
        )));
    }
    check_reason(outcome, reason)?;
    if outcome == Outcome::RefusedAfterInspection
        && !p.visit.as_ref().is_some_and(|v| v.inspection_offered)
    {
        return Err(Refusal::InspectFirst.into());
    }
    Ok(())
}

/// Whether the order is ready for its one code: every parcel scanned at the
/// door, and at least one not refused. Nothing to check for a one-parcel order.
pub fn check_order_ready(p: &Parcel) -> Result<(), Refusal> {
    if !p.spec.has_several_parcels() {
        return Ok(());
    }
    let door = at_door(p);
    if let Some(label) = p
        .spec
        .order_labels()
        .into_iter()
        .find(|l| !door.is_scanned(l))
    {
        return Err(Refusal::OrderParcelNotScanned {
            label: label.to_owned(),
        });
    }
    if p.spec
        .order_labels()
        .iter()
        .all(|l| door.refusal(l).is_some())
    {
        return Err(Refusal::OrderAllRefused);
    }
    Ok(())
}

/// What a delivery of this order hands over now: none for a one-parcel order
/// (the parcel itself, as before); else the parcels scanned and not refused,
/// in the manifest's order, and the sum of their amounts.
pub fn handover_due(p: &Parcel) -> Result<Option<Handover>, Refusal> {
    if !p.spec.has_several_parcels() {
        return Ok(None);
    }
    check_order_ready(p)?;
    let door = at_door(p);
    let accepted: Vec<_> = p
        .spec
        .order_parcels
        .iter()
        .filter(|o| door.refusal(&o.label).is_none())
        .collect();
    Ok(Some(Handover {
        labels: accepted.iter().map(|o| o.label.clone()).collect(),
        amount_minor: accepted.iter().map(|o| o.amount_minor).sum(),
    }))
}

/// A delivery names exactly the handover due: the same parcels, the same
/// amount (and none for a one-parcel order).
pub fn check_handover(p: &Parcel, given: Option<&Handover>) -> Result<(), RuleViolation> {
    let due = handover_due(p)?;
    if due.as_ref() != given {
        return Err(RuleViolation::Inconsistent(match due {
            Some(d) => format!(
                "the delivery must hand over exactly {} for {} (the parcels scanned and not refused)",
                d.labels.join(", "),
                d.amount_minor
            ),
            None => "a one-parcel order's delivery names no handover".into(),
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order_parcels::OrderParcel;
    use crate::rules::parcel::{ParcelState, Visit};

    fn order() -> Parcel {
        let mut spec = crate::fixtures::parcel_spec(5);
        spec.amount_minor = 5000;
        spec.order_parcels = vec![
            OrderParcel {
                label: "L1".into(),
                amount_minor: 3000,
                description: None,
            },
            OrderParcel {
                label: "L1B".into(),
                amount_minor: 2000,
                description: None,
            },
        ];
        Parcel {
            desk: Default::default(),
            spec,
            state: ParcelState::Pending,
            attempts_spent: 0,
            visit: Some(Visit {
                inspection_offered: true,
                ..crate::fixtures::visit()
            }),
            collected_label: None,
            loaded: false,
        }
    }

    fn scan(p: &mut Parcel, label: &str) {
        check_door_scan(p, label).expect("scan");
        p.visit
            .as_mut()
            .expect("visit")
            .order
            .scanned
            .push(label.into());
    }

    #[test]
    fn a_parcel_not_scanned_cannot_be_handed_over() {
        let mut p = order();
        scan(&mut p, "L1");
        assert_eq!(
            handover_due(&p),
            Err(Refusal::OrderParcelNotScanned {
                label: "L1B".into()
            })
        );
        scan(&mut p, "L1B");
        let h = handover_due(&p).expect("ready").expect("several");
        assert_eq!(h.labels, ["L1", "L1B"]);
        assert_eq!(h.amount_minor, 5000);
    }

    #[test]
    fn a_refused_parcel_is_not_handed_over_nor_paid() {
        let mut p = order();
        scan(&mut p, "L1");
        assert!(matches!(
            check_parcel_refusal(
                &p,
                "L1B",
                Outcome::RefusedAfterInspection,
                Some(Reason::Damaged)
            ),
            Err(RuleViolation::Refused(
                Refusal::OrderParcelNotScanned { .. }
            ))
        ));
        scan(&mut p, "L1B");
        check_parcel_refusal(
            &p,
            "L1B",
            Outcome::RefusedAfterInspection,
            Some(Reason::Damaged),
        )
        .expect("refusal");
        assert!(check_parcel_refusal(&p, "L1B", Outcome::NoAnswer, None).is_err());
        p.visit
            .as_mut()
            .expect("visit")
            .order
            .refused
            .push(RefusedParcel {
                label: "L1B".into(),
                outcome: Outcome::RefusedAfterInspection,
                reason: Some(Reason::Damaged),
            });
        let h = handover_due(&p).expect("ready").expect("several");
        assert_eq!(h.labels, ["L1"]);
        assert_eq!(h.amount_minor, 3000);
        assert!(check_handover(&p, Some(&h)).is_ok());
        let all = Handover {
            labels: vec!["L1".into(), "L1B".into()],
            amount_minor: 5000,
        };
        assert!(check_handover(&p, Some(&all)).is_err());
        assert!(check_handover(&p, None).is_err());
    }

    #[test]
    fn every_parcel_refused_leaves_nothing_to_hand_over() {
        let mut p = order();
        scan(&mut p, "L1");
        scan(&mut p, "L1B");
        for l in ["L1", "L1B"] {
            p.visit
                .as_mut()
                .expect("visit")
                .order
                .refused
                .push(RefusedParcel {
                    label: l.into(),
                    outcome: Outcome::BuyerCancelled,
                    reason: None,
                });
        }
        assert_eq!(handover_due(&p), Err(Refusal::OrderAllRefused));
    }

    #[test]
    fn a_one_parcel_order_names_no_handover() {
        let mut p = order();
        p.spec.order_parcels.clear();
        assert_eq!(handover_due(&p), Ok(None));
        assert!(check_handover(&p, None).is_ok());
        assert!(check_door_scan(&p, "L1").is_err());
    }
}
