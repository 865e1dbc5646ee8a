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
    /// The supervisor's proof is missing or not honoured (the server's check
    /// of sessions and keys, `docs/protocol.md` section 6).
    #[error("supervisor proof not honoured: {0}")]
    Supervisor(#[from] SupervisorViolation),
}

/// Why a supervisor's proof is not honoured at the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SupervisorViolation {
    /// No proof on a supervisor kind, or a supervisor the manifest did not list.
    #[error("no proof of a supervisor the manifest lists")]
    Required,
    /// Unknown session, another device's or supervisor's, outside its window,
    /// or no session where the offline badge is not allowed.
    #[error("not a session of this device and supervisor at this time")]
    SessionInvalid,
    /// The session or key was cut off by a re-issue or revocation.
    #[error("the credential was re-issued or revoked")]
    Revoked,
    /// The credential is locked.
    #[error("the credential is locked")]
    Locked,
    /// The proof does not verify (counted on the supervisor's counter).
    #[error("the proof does not verify")]
    BadProof,
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
                Refusal::NotLoaded { .. } => RejectReason::NotLoaded,
                Refusal::PhotoRequired { .. } => RejectReason::PhotoRequired,
                Refusal::HandoverMismatch => RejectReason::HandoverMismatch,
                _ => RejectReason::NotAllowedNow,
            },
            RuleViolation::Count(CountRule::Liability { .. }) => RejectReason::WrongLiability,
            RuleViolation::Count(CountRule::Attempt { .. }) => RejectReason::BadAttempt,
            RuleViolation::Inconsistent(_) => RejectReason::Malformed,
            RuleViolation::Supervisor(v) => match v {
                SupervisorViolation::Required => RejectReason::SupervisorRequired,
                SupervisorViolation::SessionInvalid => RejectReason::SupervisorSessionInvalid,
                SupervisorViolation::Revoked => RejectReason::SupervisorRevoked,
                SupervisorViolation::Locked => RejectReason::SupervisorLocked,
                SupervisorViolation::BadProof => RejectReason::BadSupervisorProof,
            },
        }
    }
}
