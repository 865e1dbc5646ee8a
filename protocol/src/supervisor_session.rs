//! Supervisor sign-in at the server (`POST /v1/supervisor-sessions`): the
//! device relays the PIN (or badge) the supervisor typed over its signed
//! request; the server spends one try of the supervisor's counter (shared by
//! every device of the depot) before it compares, and answers a session:
//! a random key bound to the device, the supervisor, a session id and an
//! expiry of at most [`crate::supervisor::SUPERVISOR_SESSION_MAX_MS`].

use serde::{Deserialize, Serialize};

use crate::vocabulary::SupervisorFactor;

/// Path of the sign-in call.
pub const SUPERVISOR_SESSIONS_PATH: &str = "/v1/supervisor-sessions";

/// `POST /v1/supervisor-sessions`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupervisorSignInRequest {
    /// The supervisor, in the depot of the device's latest manifest.
    pub supervisor_id: String,
    /// PIN or badge.
    pub factor: SupervisorFactor,
    /// The PIN's digits, or the badge QR's whole text. Never stored or logged.
    pub secret: String,
}

impl std::fmt::Debug for SupervisorSignInRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SupervisorSignInRequest({}, {:?}, <redacted>)",
            self.supervisor_id, self.factor
        )
    }
}

/// A session the server opened.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisorSessionGrant {
    /// The session id every proof of the session names.
    pub session_id: String,
    /// The session key, 32 bytes hex: proofs are
    /// `HMAC-SHA256(key, "supervisor-proof" || digest)`. Kept in memory only.
    pub session_key: String,
    /// The supervisor.
    pub supervisor_id: String,
    /// Name as printed on the day sheet.
    pub name: String,
    /// The depot the supervisor belongs to.
    pub depot: String,
    /// PIN or badge.
    pub factor: SupervisorFactor,
    /// Server time of the sign-in, Unix milliseconds.
    pub issued_at_ms: i64,
    /// No event signed after this (signed time) is honoured, Unix milliseconds.
    pub expires_at_ms: i64,
}

impl std::fmt::Debug for SupervisorSessionGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupervisorSessionGrant")
            .field("session_id", &self.session_id)
            .field("supervisor_id", &self.supervisor_id)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish_non_exhaustive()
    }
}

/// The server's answer to a sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "answer")]
pub enum SupervisorSignInAnswer {
    /// Right secret: a session (the supervisor's counter is reset).
    SignedIn {
        /// The session.
        session: SupervisorSessionGrant,
    },
    /// Wrong secret: a try of the supervisor's counter was spent.
    Wrong {
        /// Tries left, all devices together, before the credential locks.
        tries_left: u32,
    },
    /// The credential is locked (now, or already: then no try was spent);
    /// the back office re-issues it.
    Locked {
        /// The credential's limit.
        limit: u32,
    },
}

/// `POST /v1/supervisor-sessions` answer body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisorSignInResponse {
    /// The answer.
    #[serde(flatten)]
    pub answer: SupervisorSignInAnswer,
    /// Server clock, Unix milliseconds.
    pub server_time_ms: i64,
}

/// `POST /v1/admin/supervisors/revoke`: cuts a supervisor's credential off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeSupervisorRequest {
    /// The depot.
    pub depot: String,
    /// The supervisor.
    pub supervisor_id: String,
}

/// `POST /v1/admin/depots`: a depot's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepotSettingsRequest {
    /// The depot.
    pub depot: String,
    /// Allow a supervisor's badge as an offline factor (its verifier goes to
    /// the depot's devices; every event signed with it is flagged for review).
    pub offline_badge: bool,
}
