//! End of day at the depot: what came back, what is missing, who pays each return.

use courier_protocol::vocabulary::Liability;

use super::parcel::{Parcel, ParcelState};

/// One parcel in the day's reconciliation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayLine {
    /// Label barcode.
    pub label: String,
    /// Order reference.
    pub order_ref: String,
    /// Who pays the return fees (from the last outcome or correction).
    pub liability: Option<Liability>,
}

/// The day as the supervisor reconciles it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciliation {
    /// Handed over against a code.
    pub delivered: Vec<DayLine>,
    /// Checked back in at the depot.
    pub returned: Vec<DayLine>,
    /// Should be back (failed or withdrawn) but not checked in yet.
    pub missing: Vec<DayLine>,
    /// Never ended today (still to do or at a door).
    pub not_attempted: Vec<DayLine>,
}

impl Reconciliation {
    /// Whether the day can close without exceptions.
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.not_attempted.is_empty()
    }
}

/// Sorts the day's parcels; `liability` gives each parcel's current liability.
pub fn reconcile(
    parcels: &[Parcel],
    liability: impl Fn(&Parcel) -> Option<Liability>,
) -> Reconciliation {
    let mut r = Reconciliation::default();
    for p in parcels {
        let line = DayLine {
            label: p.spec.label.clone(),
            order_ref: p.spec.order_ref.clone(),
            liability: liability(p),
        };
        match p.state {
            ParcelState::Delivered => r.delivered.push(line),
            ParcelState::ReturnedToDepot => r.returned.push(line),
            ParcelState::Failed(_) | ParcelState::Withdrawn => r.missing.push(line),
            ParcelState::Pending => r.not_attempted.push(line),
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::parcel::tests::spec;
    use courier_protocol::vocabulary::Outcome;

    fn parcel(label: &str, state: ParcelState) -> Parcel {
        let mut s = spec(5);
        s.label = label.into();
        Parcel {
            spec: s,
            state,
            attempts_spent: 0,
            visit: None,
            collected_label: None,
        }
    }

    #[test]
    fn every_parcel_lands_in_exactly_one_list() {
        let day = [
            parcel("A", ParcelState::Delivered),
            parcel("B", ParcelState::ReturnedToDepot),
            parcel("C", ParcelState::Failed(Outcome::NoAnswer)),
            parcel("D", ParcelState::Withdrawn),
            parcel("E", ParcelState::Pending),
        ];
        let r = reconcile(&day, |p| (p.spec.label == "B").then_some(Liability::Seller));
        let labels = |v: &[DayLine]| v.iter().map(|l| l.label.clone()).collect::<Vec<_>>();
        assert_eq!(labels(&r.delivered), ["A"]);
        assert_eq!(labels(&r.returned), ["B"]);
        assert_eq!(r.returned[0].liability, Some(Liability::Seller));
        assert_eq!(labels(&r.missing), ["C", "D"]);
        assert_eq!(labels(&r.not_attempted), ["E"]);
        assert!(!r.is_clean());
    }
}
