//! Why an event breaks the shared rules: the terminal refuses to record it,
//! the server rejects it on ingest, with one reason code.

use crate::api::RejectReason;

use super::outcome_rules::CountRule;
use super::refusal::Refusal;

/// Why an uploaded event breaks the shared rules.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleViolation {
    /// The parcel state machine refuses the step (the terminal would have too).
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// Liability or attempt numbers break the table.
    #[error("{0}")]
    Count(#[from] CountRule),
    /// The event lacks what its kind requires, or names another order.
    #[error("inconsistent event: {0}")]
    Inconsistent(String),
}

impl RuleViolation {
    /// The reason code a receipt gives (listed in `docs/protocol.md`).
    pub fn reject_reason(&self) -> RejectReason {
        match self {
            RuleViolation::Refused(r) => match r {
                Refusal::Withdrawn => RejectReason::ParcelWithdrawn,
                Refusal::AlreadyDelivered => RejectReason::AlreadyDelivered,
                Refusal::Locked { .. } => RejectReason::ParcelLocked,
                Refusal::ReasonNotAllowed { .. } => RejectReason::ReasonNotAllowed,
                Refusal::BadCorrection(_) => RejectReason::BadCorrection,
                Refusal::BadFeeChange(_) => RejectReason::BadFeeChange,
                Refusal::CourierConfirmationRequired => RejectReason::CourierConfirmationRequired,
                Refusal::SupervisorRequired => RejectReason::SupervisorRequired,
                Refusal::DayClosedMissing { .. } => RejectReason::DayClosed,
                _ => RejectReason::NotAllowedNow,
            },
            RuleViolation::Count(CountRule::Liability { .. }) => RejectReason::WrongLiability,
            RuleViolation::Count(CountRule::Attempt { .. }) => RejectReason::BadAttempt,
            RuleViolation::Inconsistent(_) => RejectReason::Malformed,
        }
    }
}
