//! A parcel of the day and the only legal moves of its state.

use crate::manifest::ManifestParcel;
use crate::vocabulary::{Outcome, ParcelKind};

use super::order_at_door::OrderAtDoor;
use super::refusal::Refusal;

/// The stored state of a parcel. "Locked" is derived from the attempt counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ParcelState {
    /// Not yet ended today (maybe visited).
    Pending,
    /// Handed over against a correct code. Final.
    Delivered,
    /// The last attempt ended without handover.
    Failed(Outcome),
    /// Cancelled before dispatch by a later manifest: back to the depot.
    Withdrawn,
    /// Checked back in at the depot. Final.
    ReturnedToDepot,
}

impl ParcelState {
    /// Storage form.
    pub fn as_db(self) -> String {
        match self {
            ParcelState::Pending => "pending".into(),
            ParcelState::Delivered => "delivered".into(),
            ParcelState::Failed(o) => format!("failed:{}", o.as_str()),
            ParcelState::Withdrawn => "withdrawn".into(),
            ParcelState::ReturnedToDepot => "returned".into(),
        }
    }

    /// Parses the storage form.
    pub fn from_db(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => ParcelState::Pending,
            "delivered" => ParcelState::Delivered,
            "withdrawn" => ParcelState::Withdrawn,
            "returned" => ParcelState::ReturnedToDepot,
            other => ParcelState::Failed(Outcome::parse(other.strip_prefix("failed:")?)?),
        })
    }
}

impl From<ParcelState> for String {
    fn from(s: ParcelState) -> String {
        s.as_db()
    }
}

impl TryFrom<String> for ParcelState {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ParcelState::from_db(&s).ok_or_else(|| format!("unknown parcel state {s:?}"))
    }
}

/// What the route list shows for a parcel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisplayState {
    /// Still to do.
    ToDo,
    /// Arrived, attempt under way.
    AtDoor,
    /// Delivered.
    Delivered,
    /// Ended without handover.
    Failed(Outcome),
    /// Withdrawn: return to depot.
    Withdrawn,
    /// Too many wrong codes.
    Locked,
    /// Back at the depot.
    Returned,
    /// Handed over to the stop desk (the courier's side).
    AtDesk,
}

/// The current visit at the door (cleared by an outcome).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Visit {
    /// Device UTC at arrival, ms.
    pub arrived_utc_ms: i64,
    /// Monotonic clock at arrival, ms.
    pub arrived_monotonic_ms: i64,
    /// Boot id at arrival (monotonic values only compare within one boot).
    pub boot_id: String,
    /// Fix at arrival, 1e-7 degrees, if there was a fresh one.
    pub arrival_fix_e7: Option<(i64, i64)>,
    /// Contact attempts logged during this visit, oldest first.
    pub contacts: Vec<ContactLog>,
    /// Whether the courier offered inspection.
    pub inspection_offered: bool,
    /// An order of several parcels: what was scanned and refused at the door
    /// (absent for a one-parcel order, and while nothing is).
    #[serde(default, skip_serializing_if = "OrderAtDoor::is_empty")]
    pub order: OrderAtDoor,
}

/// One attempt to reach the buyer during a visit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContactLog {
    /// `call`, `message` or `doorbell`.
    pub channel: String,
    /// Device UTC time of the attempt, ms.
    pub at_utc_ms: i64,
}

/// A parcel with its day state.
#[derive(Debug, Clone, PartialEq)]
pub struct Parcel {
    /// What the manifest says.
    pub spec: ManifestParcel,
    /// Stored state.
    pub state: ParcelState,
    /// Code attempts spent (never decreases).
    pub attempts_spent: u32,
    /// The visit under way, if any.
    pub visit: Option<Visit>,
    /// The item collected (exchange, pick-up), if scanned.
    pub collected_label: Option<String>,
    /// Scanned into the vehicle at the morning load check: it left the depot.
    pub loaded: bool,
    /// Its custody at a stop desk (handed over, taken in, hold ended).
    pub desk: Option<super::desk::DeskCustody>,
}

/// A move on a parcel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Mark arrival at the address.
    Arrive,
    /// Offer the buyer to inspect.
    OfferInspection,
    /// Log a contact attempt.
    Contact,
    /// Check a code (offline or online).
    CheckCode,
    /// Record a non-delivery outcome.
    RecordOutcome(Outcome),
    /// Scan the collected item.
    Collect,
    /// The server withdrew the parcel.
    Withdraw,
    /// Depot check-in.
    CheckIn,
    /// Scanned into the vehicle at the morning load check.
    Load,
}

impl Parcel {
    /// True when the wrong-code limit is reached.
    pub fn is_locked(&self) -> bool {
        is_locked(self.attempts_spent, self.spec.attempt_limit)
    }

    /// Code tries left.
    pub fn tries_left(&self) -> u32 {
        self.spec.attempt_limit.saturating_sub(self.attempts_spent)
    }

    /// What the route list shows.
    pub fn display_state(&self) -> DisplayState {
        if super::desk::handed_over(self) {
            return DisplayState::AtDesk;
        }
        match self.state {
            ParcelState::Delivered => DisplayState::Delivered,
            ParcelState::Withdrawn => DisplayState::Withdrawn,
            ParcelState::ReturnedToDepot => DisplayState::Returned,
            ParcelState::Failed(o) if self.visit.is_none() => DisplayState::Failed(o),
            _ if self.is_locked() => DisplayState::Locked,
            _ if self.visit.is_some() => DisplayState::AtDoor,
            ParcelState::Failed(o) => DisplayState::Failed(o),
            ParcelState::Pending => DisplayState::ToDo,
        }
    }

    /// Whether the courier can still work on this parcel today (to do, at the
    /// door, or failed with a retry allowed): what the parcel screen offers.
    pub fn open_for_delivery(&self) -> bool {
        match self.display_state() {
            DisplayState::ToDo | DisplayState::AtDoor => true,
            DisplayState::Failed(_) => self.check(&Action::Arrive).is_ok(),
            _ => false,
        }
    }

    /// Whether the parcel needs nothing more today (no new visit can start):
    /// what the route list folds away. A locked parcel is neither open nor
    /// finished: it still needs its "no code" outcome.
    pub fn is_finished(&self) -> bool {
        match self.display_state() {
            DisplayState::ToDo | DisplayState::AtDoor | DisplayState::Locked => false,
            DisplayState::Failed(_) => self.check(&Action::Arrive).is_err(),
            DisplayState::Delivered
            | DisplayState::Withdrawn
            | DisplayState::Returned
            | DisplayState::AtDesk => true,
        }
    }

    /// Whether an item is to be collected from the buyer (exchange, pick-up).
    pub fn has_item_to_collect(&self) -> bool {
        matches!(self.spec.kind, ParcelKind::Exchange | ParcelKind::Pickup)
            && self.spec.collect.is_some()
    }

    /// Whether an action is legal now; the refusal says why not.
    pub fn check(&self, action: &Action) -> Result<(), Refusal> {
        self.next_state(action).map(|_| ())
    }

    /// The state after a legal action.
    pub fn next_state(&self, action: &Action) -> Result<ParcelState, Refusal> {
        use ParcelState::*;
        if super::desk::handed_over(self) && *action != Action::Withdraw {
            return Err(Refusal::HandedToDesk {
                label: self.spec.label.clone(),
            });
        }
        match (self.state, action) {
            (ReturnedToDepot, _) => Err(Refusal::ReturnedToDepot),
            (Delivered, Action::Withdraw) => Ok(Delivered),
            (Delivered, _) => Err(Refusal::AlreadyDelivered),
            (Withdrawn, Action::CheckIn) => Ok(ReturnedToDepot),
            (Withdrawn, Action::Withdraw) => Ok(Withdrawn),
            (Withdrawn, _) => Err(Refusal::Withdrawn),
            (_, Action::Withdraw) => Ok(Withdrawn),
            (_, Action::CheckIn) => Ok(ReturnedToDepot),
            (state, Action::Load) => Ok(state),
            (Failed(o), Action::Arrive) if !retryable(o) && self.spec.desk.is_none() => {
                Err(Refusal::Final(o))
            }
            (state, Action::Arrive) if self.spec.desk.is_some() => {
                super::desk::counter_open(self)?;
                match state {
                    Failed(o) if !retryable(o) => Err(Refusal::Final(o)),
                    _ if self.visit.is_some() => Err(Refusal::AlreadyArrived),
                    _ => Ok(Pending),
                }
            }
            (_, Action::Arrive) if self.spec.must_be_loaded() && !self.loaded => {
                Err(Refusal::NotLoaded {
                    label: self.spec.label.clone(),
                })
            }
            (_, Action::Arrive) if self.visit.is_some() => Err(Refusal::AlreadyArrived),
            (_, Action::Arrive) => Ok(Pending),
            (Pending, Action::RecordOutcome(Outcome::CarrierProblem)) if self.visit.is_none() => {
                Ok(Failed(Outcome::CarrierProblem))
            }
            (state, _) if self.visit.is_none() => match state {
                Failed(o) if !retryable(o) => Err(Refusal::Final(o)),
                _ => Err(Refusal::NotArrived),
            },
            (state, Action::OfferInspection | Action::Contact) => Ok(state),
            (state, Action::Collect) => match self.spec.collect {
                Some(_) => Ok(state),
                None => Err(Refusal::NothingToCollect),
            },
            (_, Action::CheckCode) if self.is_locked() => Err(Refusal::Locked {
                limit: self.spec.attempt_limit,
            }),
            (state, Action::CheckCode) => Ok(state),
            (_, Action::RecordOutcome(Outcome::Delivered)) => Err(Refusal::DeliveredNeedsCode),
            (_, Action::RecordOutcome(o)) => Ok(Failed(*o)),
        }
    }
}

/// "Locked": the tries spent reached the limit. The one definition, for the
/// parcel, the code verdict and the day's returns (the server's online check
/// makes the same comparison atomic in its conditional `UPDATE`).
pub fn is_locked(attempts_spent: u32, attempt_limit: u32) -> bool {
    attempts_spent >= attempt_limit
}

/// Outcomes after which the courier may come back the same day.
pub fn retryable(outcome: Outcome) -> bool {
    matches!(
        outcome,
        Outcome::NoAnswer | Outcome::NoCode | Outcome::CarrierProblem
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A plain delivery parcel (the shared fixture).
    pub(crate) use crate::fixtures::parcel_spec as spec;
    use crate::fixtures::visit;

    /// Applies an action the way the terminal does: state, visit, counter.
    fn apply(p: &mut Parcel, action: &Action, code_matches: bool) {
        let Ok(next) = p.next_state(action) else {
            return;
        };
        match action {
            Action::Arrive => p.visit = Some(visit()),
            Action::CheckCode => {
                p.attempts_spent += 1;
                if code_matches {
                    p.state = ParcelState::Delivered;
                    p.visit = None;
                    return;
                }
            }
            Action::RecordOutcome(_) | Action::Withdraw | Action::CheckIn => p.visit = None,
            _ => {}
        }
        p.state = next;
    }

    fn action_strategy() -> impl Strategy<Value = (Action, bool)> {
        let outcome = prop::sample::select(Outcome::ALL.to_vec());
        (
            prop_oneof![
                Just(Action::Arrive),
                Just(Action::OfferInspection),
                Just(Action::Contact),
                Just(Action::CheckCode),
                outcome.prop_map(Action::RecordOutcome),
                Just(Action::Collect),
                Just(Action::Withdraw),
                Just(Action::CheckIn),
                Just(Action::Load),
            ],
            prop::bool::weighted(0.1),
        )
    }

    proptest! {
        #[test]
        fn state_machine_invariants(limit in 1u32..6, actions in prop::collection::vec(action_strategy(), 0..60)) {
            let mut p = Parcel { spec: spec(limit), state: ParcelState::Pending, attempts_spent: 0, visit: None, collected_label: None, loaded: false, desk: None };
            let mut was_withdrawn = false;
            for (action, matches) in &actions {
                let before = p.clone();
                let allowed = p.check(action).is_ok();
                apply(&mut p, action, *matches);
                // Delivered and returned are final.
                if before.state == ParcelState::Delivered { prop_assert_eq!(p.state, ParcelState::Delivered); }
                if before.state == ParcelState::ReturnedToDepot { prop_assert_eq!(&p, &before); }
                // The counter never goes back and never passes the limit.
                prop_assert!(p.attempts_spent >= before.attempts_spent);
                prop_assert!(p.attempts_spent <= limit);
                // A locked parcel cannot be checked.
                if before.is_locked() && *action == Action::CheckCode { prop_assert!(!allowed); }
                // Delivered only through a code check.
                if p.state == ParcelState::Delivered && before.state != ParcelState::Delivered {
                    prop_assert_eq!(action, &Action::CheckCode);
                    prop_assert!(!was_withdrawn);
                }
                if p.state == ParcelState::Withdrawn { was_withdrawn = true; }
                // Withdrawn never becomes anything but returned.
                if before.state == ParcelState::Withdrawn {
                    prop_assert!(matches!(p.state, ParcelState::Withdrawn | ParcelState::ReturnedToDepot));
                }
                // Refused or cancelled are final for the day.
                if let ParcelState::Failed(o) = before.state
                    && !retryable(o) && before.visit.is_none()
                {
                    prop_assert!(matches!(p.state, ParcelState::Failed(_) | ParcelState::Withdrawn | ParcelState::ReturnedToDepot));
                    prop_assert!(p.visit.is_none());
                }
            }
        }
    }

    #[test]
    fn states_round_trip_through_storage() {
        let mut all = vec![
            ParcelState::Pending,
            ParcelState::Delivered,
            ParcelState::Withdrawn,
            ParcelState::ReturnedToDepot,
        ];
        all.extend(Outcome::ALL.map(ParcelState::Failed));
        for s in all {
            assert_eq!(ParcelState::from_db(&s.as_db()), Some(s));
        }
        assert_eq!(ParcelState::from_db("failed:bogus"), None);
    }

    #[test]
    fn withdrawn_parcel_cannot_be_delivered() {
        let p = Parcel {
            spec: spec(5),
            state: ParcelState::Withdrawn,
            attempts_spent: 0,
            visit: Some(visit()),
            collected_label: None,
            loaded: false,
            desk: None,
        };
        assert_eq!(p.check(&Action::CheckCode), Err(Refusal::Withdrawn));
        assert_eq!(p.check(&Action::Arrive), Err(Refusal::Withdrawn));
        assert_eq!(p.display_state(), DisplayState::Withdrawn);
    }

    #[test]
    fn locked_parcel_refuses_code_but_takes_no_code_outcome() {
        let p = Parcel {
            spec: spec(3),
            state: ParcelState::Pending,
            attempts_spent: 3,
            visit: Some(visit()),
            collected_label: None,
            loaded: false,
            desk: None,
        };
        assert_eq!(
            p.check(&Action::CheckCode),
            Err(Refusal::Locked { limit: 3 })
        );
        assert_eq!(
            p.next_state(&Action::RecordOutcome(Outcome::NoCode)),
            Ok(ParcelState::Failed(Outcome::NoCode))
        );
        assert_eq!(p.display_state(), DisplayState::Locked);
    }
}
