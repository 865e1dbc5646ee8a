//! The rows of depot supervisors as plain values: their counters, keys and
//! sessions, what the storage returns and the ingest plan reads. A
//! supervisor is named by its depot and id (the same id in two depots is two
//! supervisors).

use courier_protocol::supervisor::SupervisorCredential;
use courier_protocol::vocabulary::SupervisorFactor;

/// A supervisor's counter: wrong PINs at sign-in and bad proofs at ingest,
/// all devices together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisorCounter {
    /// Tries spent since the last right PIN or the last (re-)issue.
    pub tries_spent: u32,
    /// The limit: at it the credential is locked.
    pub attempt_limit: u32,
    /// Revoked by the back office (then nothing of it is honoured).
    pub revoked: bool,
}

impl SupervisorCounter {
    /// Locked: no PIN is compared and no proof honoured any more.
    pub fn locked(&self) -> bool {
        self.tries_spent >= self.attempt_limit
    }
}

/// One key `K` issued to a supervisor (badge or PIN), and whether a re-issue
/// or revocation has retired it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisorKey {
    /// The key.
    pub key: [u8; 32],
    /// Retired at this server time (no proof with it is honoured after).
    pub retired_at_ms: Option<i64>,
}

/// A session the server opened at a sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisorSessionRow {
    /// Session id (UUIDv7).
    pub session_id: String,
    /// The supervisor's depot.
    pub depot: String,
    /// The supervisor.
    pub supervisor_id: String,
    /// The device the session was opened on.
    pub device_id: String,
    /// PIN or badge.
    pub factor: SupervisorFactor,
    /// The session key.
    pub key: [u8; 32],
    /// Opened at (server time).
    pub issued_at_ms: i64,
    /// No event signed after this is honoured.
    pub expires_at_ms: i64,
    /// Revoked at (a re-issue or revocation of the credential).
    pub revoked_at_ms: Option<i64>,
}

/// The result of spending one sign-in try.
#[derive(Debug, Clone)]
pub enum SupervisorTry {
    /// No such supervisor in this depot (or revoked).
    Unknown,
    /// Locked: nothing was spent.
    Locked {
        /// The limit.
        limit: u32,
    },
    /// A try was spent (committed) before the comparison.
    Spent {
        /// Tries spent now.
        spent: u32,
        /// The limit.
        limit: u32,
        /// The server's copy of the credential (salt, iterations, `V`).
        credential: SupervisorCredential,
    },
}

/// A bad supervisor proof at ingest, to count once per event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisorFailure {
    /// The event's hash (a re-sent event is not counted twice).
    pub event_hash: String,
    /// The supervisor's depot.
    pub depot: String,
    /// The supervisor.
    pub supervisor_id: String,
}
