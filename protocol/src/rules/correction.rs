//! What a correction may change: a mistaken outcome is never edited, a new
//! event points to it with a reason and a note.

use crate::vocabulary::{EventKind, Outcome, Reason};

use super::outcome_rules::check_reason;
use super::parcel::ParcelState;
use super::refusal::Refusal;

/// Four eyes on a correction: once the parcel was scanned in at the depot
/// (`state` returned) or the day closed, a correction that changes the
/// outcome (and so who pays) needs the supervisor's proof on the event.
pub fn check_correction_authority(
    state: ParcelState,
    day_closed: bool,
    changes_outcome: bool,
    supervised: bool,
) -> Result<(), Refusal> {
    let settled = state == ParcelState::ReturnedToDepot || day_closed;
    if settled && changes_outcome && !supervised {
        return Err(Refusal::SupervisorRequired);
    }
    Ok(())
}

/// Checks a correction of the event of kind `corrected_kind` and outcome
/// `corrected_outcome` into `outcome` with `reason` and `note`.
pub fn check_correction(
    corrected_kind: EventKind,
    corrected_outcome: Option<Outcome>,
    outcome: Outcome,
    reason: Option<Reason>,
    note: Option<&str>,
) -> Result<(), Refusal> {
    let bad = |m: &str| Err(Refusal::BadCorrection(m.to_owned()));
    if corrected_kind != EventKind::Outcome {
        return bad("only outcomes are corrected; other events stand as recorded");
    }
    if corrected_outcome == Some(Outcome::Delivered) || outcome == Outcome::Delivered {
        return bad(
            "a delivery is proved by the buyer's code and cannot be corrected from the terminal",
        );
    }
    if note.is_none_or(|n| n.trim().is_empty()) {
        return bad("a correction needs a note saying why");
    }
    check_reason(outcome, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_scan_in_or_close_an_outcome_change_needs_the_supervisor() {
        let failed = ParcelState::Failed(Outcome::NoAnswer);
        assert!(check_correction_authority(failed, false, true, false).is_ok());
        assert_eq!(
            check_correction_authority(ParcelState::ReturnedToDepot, false, true, false),
            Err(Refusal::SupervisorRequired)
        );
        assert_eq!(
            check_correction_authority(failed, true, true, false),
            Err(Refusal::SupervisorRequired)
        );
        assert!(check_correction_authority(failed, true, true, true).is_ok());
        assert!(
            check_correction_authority(ParcelState::ReturnedToDepot, true, false, false).is_ok()
        );
    }

    #[test]
    fn deliveries_and_non_outcomes_are_never_corrected() {
        let ok = check_correction(
            EventKind::Outcome,
            Some(Outcome::NoAnswer),
            Outcome::BuyerCancelled,
            Some(Reason::ChangedMind),
            Some("buyer phoned"),
        );
        assert!(ok.is_ok());
        for (kind, old, new) in [
            (
                EventKind::Outcome,
                Some(Outcome::Delivered),
                Outcome::NoAnswer,
            ),
            (
                EventKind::Outcome,
                Some(Outcome::NoAnswer),
                Outcome::Delivered,
            ),
            (EventKind::Arrived, None, Outcome::NoAnswer),
        ] {
            assert!(check_correction(kind, old, new, None, Some("x")).is_err());
        }
        assert!(
            check_correction(
                EventKind::Outcome,
                Some(Outcome::NoAnswer),
                Outcome::NoAnswer,
                None,
                Some(" ")
            )
            .is_err()
        );
    }
}
