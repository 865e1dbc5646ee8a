//! The day in numbers, as every screen and command shows it: computed once here.

use serde::Serialize;

use super::parcel::{DisplayState, Parcel};

/// How many parcels of the day are in each bucket.
///
/// A locked parcel counts as failed: no code can deliver it today, and its
/// outcome ("no code") is the courier's next step, not a delivery to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DayCounts {
    /// Parcels in the manifest.
    pub total: usize,
    /// Still to do: not yet visited, or at the door now.
    pub to_do: usize,
    /// Handed over against a code.
    pub delivered: usize,
    /// Ended without handover today, or locked.
    pub failed: usize,
    /// Withdrawn by the server or already back at the depot.
    pub withdrawn_or_returned: usize,
}

impl DayCounts {
    /// Counts the parcels by what the route list shows for each.
    pub fn of(parcels: &[Parcel]) -> Self {
        let mut c = DayCounts {
            total: parcels.len(),
            ..DayCounts::default()
        };
        for p in parcels {
            match p.display_state() {
                DisplayState::ToDo | DisplayState::AtDoor => c.to_do += 1,
                DisplayState::Delivered => c.delivered += 1,
                DisplayState::Failed(_) | DisplayState::Locked => c.failed += 1,
                // Handed to a stop desk: off the courier's round, not delivered by him.
                DisplayState::Withdrawn | DisplayState::Returned | DisplayState::AtDesk => {
                    c.withdrawn_or_returned += 1
                }
            }
        }
        c
    }

    /// Parcels that will not be delivered today.
    pub fn not_delivered(&self) -> usize {
        self.failed + self.withdrawn_or_returned
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::parcel::ParcelState;
    use crate::domain::parcel::tests::spec;
    use courier_protocol::vocabulary::Outcome;

    fn parcel(state: ParcelState, spent: u32, at_door: bool) -> Parcel {
        Parcel {
            spec: spec(3),
            state,
            attempts_spent: spent,
            visit: at_door.then(courier_test_support::visit),
            collected_label: None,
            loaded: false,
            desk: None,
        }
    }

    #[test]
    fn every_parcel_lands_in_exactly_one_bucket_and_locked_is_failed() {
        let day = [
            parcel(ParcelState::Pending, 0, false),
            parcel(ParcelState::Pending, 1, true),
            parcel(ParcelState::Pending, 3, true),
            parcel(ParcelState::Delivered, 1, false),
            parcel(ParcelState::Failed(Outcome::NoAnswer), 0, false),
            parcel(ParcelState::Withdrawn, 0, false),
            parcel(ParcelState::ReturnedToDepot, 0, false),
        ];
        let c = DayCounts::of(&day);
        assert_eq!(
            c,
            DayCounts {
                total: 7,
                to_do: 2,
                delivered: 1,
                failed: 2,
                withdrawn_or_returned: 2
            }
        );
        assert_eq!(c.to_do + c.delivered + c.not_delivered(), c.total);
    }
}
