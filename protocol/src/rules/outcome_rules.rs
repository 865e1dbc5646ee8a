//! The outcome → reason → liability table and the attempt-counter rules, as
//! both the terminal (when it records) and the server (when it ingests) apply them.

use crate::envelope::Verification;
use crate::vocabulary::{CheckMode, CheckResult, Liability, Outcome, ParcelKind, Reason};

use super::order_at_door::check_order_ready;
use super::parcel::{Action, Parcel, ParcelState};
use super::refusal::Refusal;

/// The outcomes a courier records by choice, in the order the screen lists
/// them: every outcome but "delivered", which comes only from a correct code
/// (the state machine refuses it as a choice: [`Refusal::DeliveredNeedsCode`]).
pub const CHOOSABLE_OUTCOMES: [Outcome; 5] = [
    Outcome::RefusedAfterInspection,
    Outcome::BuyerCancelled,
    Outcome::NoAnswer,
    Outcome::NoCode,
    Outcome::CarrierProblem,
];

/// Whether a non-delivery outcome may be recorded now, with this reason: the
/// state machine, the reason table, and "refused after inspection" only after
/// inspection was offered. Returns the parcel's next state.
pub fn record_outcome_step(
    p: &Parcel,
    outcome: Outcome,
    reason: Option<Reason>,
) -> Result<ParcelState, Refusal> {
    let next = p.next_state(&Action::RecordOutcome(outcome))?;
    check_reason(outcome, reason)?;
    if outcome == Outcome::RefusedAfterInspection
        && !p.visit.as_ref().is_some_and(|v| v.inspection_offered)
    {
        return Err(Refusal::InspectFirst);
    }
    Ok(next)
}

/// Whether a code may be checked now: the state machine (arrived, not locked,
/// not delivered or withdrawn), for exchanges and pick-ups the item
/// collected first, and for an order of several parcels every parcel scanned
/// at the door and one at least not refused ([`check_order_ready`]). Returns the parcel's state if the code is wrong.
pub fn code_check_step(p: &Parcel) -> Result<ParcelState, Refusal> {
    let next = p.next_state(&Action::CheckCode)?;
    if matches!(p.spec.kind, ParcelKind::Exchange | ParcelKind::Pickup)
        && p.collected_label.is_none()
    {
        return Err(Refusal::CollectFirst);
    }
    check_order_ready(p)?;
    Ok(next)
}

/// Whether `reason` may go with `outcome` (an outcome with exactly one
/// reason, or none, may also be recorded without one).
pub fn check_reason(outcome: Outcome, reason: Option<Reason>) -> Result<(), Refusal> {
    let allowed = outcome.reasons();
    let ok = match reason {
        None => allowed.len() <= 1,
        Some(r) => allowed.contains(&r),
    };
    if ok {
        Ok(())
    } else {
        Err(Refusal::ReasonNotAllowed {
            outcome,
            reason,
            allowed: allowed.to_vec(),
        })
    }
}

/// Why a recorded liability or attempt count breaks the rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountRule {
    /// The liability is not the one the table gives for the outcome.
    #[error("liability {found:?} does not follow outcome {outcome:?}, which gives {expected:?}")]
    Liability {
        /// Outcome recorded.
        outcome: Outcome,
        /// Liability recorded.
        found: Option<Liability>,
        /// Liability the table gives.
        expected: Liability,
    },
    /// The attempt numbers are impossible for this parcel.
    #[error(
        "attempt {attempt} of {attempt_limit} is impossible for a parcel whose limit is {limit}"
    )]
    Attempt {
        /// Attempt recorded.
        attempt: u32,
        /// Limit recorded.
        attempt_limit: u32,
        /// The parcel's limit in the manifest.
        limit: u32,
    },
}

/// The liability must be exactly the table's for the outcome.
pub fn check_liability(outcome: Outcome, liability: Option<Liability>) -> Result<(), CountRule> {
    let expected = outcome.liability();
    if liability == Some(expected) {
        Ok(())
    } else {
        Err(CountRule::Liability {
            outcome,
            found: liability,
            expected,
        })
    }
}

/// The attempt numbers of a code check: the limit is the manifest's, the
/// attempt never passes it, and an offline check always spends a try (so it
/// counts at least 1). An online match may report 0: the server gives a
/// correct code its try back.
pub fn check_attempt(v: &Verification, limit: u32) -> Result<(), CountRule> {
    let spends = v.check == CheckMode::Offline
        && matches!(v.result, CheckResult::Match | CheckResult::Mismatch);
    let ok = v.attempt_limit == limit && v.attempt <= limit && (!spends || v.attempt >= 1);
    if ok {
        Ok(())
    } else {
        Err(CountRule::Attempt {
            attempt: v.attempt,
            attempt_limit: v.attempt_limit,
            limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::EntryMode;

    #[test]
    fn every_outcome_takes_exactly_its_reasons_and_liability() {
        for o in Outcome::ALL {
            for r in Reason::ALL {
                assert_eq!(check_reason(o, Some(r)).is_ok(), o.reasons().contains(&r));
            }
            assert!(check_liability(o, Some(o.liability())).is_ok());
            assert!(check_liability(o, None).is_err());
        }
        assert!(check_liability(Outcome::NoAnswer, Some(Liability::Seller)).is_err());
    }

    #[test]
    fn the_choosable_outcomes_are_every_outcome_the_state_machine_takes_as_a_choice() {
        let p = Parcel {
            spec: crate::rules::parcel::tests::spec(3),
            state: ParcelState::Pending,
            attempts_spent: 0,
            visit: Some(crate::rules::parcel::Visit {
                inspection_offered: true,
                ..crate::fixtures::visit()
            }),
            collected_label: None,
            loaded: false,
            desk: None,
        };
        for o in Outcome::ALL {
            assert_eq!(
                p.next_state(&Action::RecordOutcome(o)).is_ok(),
                CHOOSABLE_OUTCOMES.contains(&o),
                "{o:?}"
            );
        }
    }

    #[test]
    fn attempt_past_the_limit_is_refused() {
        let v = |attempt, attempt_limit| Verification {
            entry: EntryMode::Keypad,
            check: CheckMode::Offline,
            result: CheckResult::Mismatch,
            attempt,
            attempt_limit,
        };
        assert!(check_attempt(&v(5, 5), 5).is_ok());
        assert!(check_attempt(&v(99, 5), 5).is_err());
        assert!(check_attempt(&v(99, 99), 5).is_err());
        assert!(check_attempt(&v(0, 5), 5).is_err());
    }
}
