//! Depot supervisors' rows: credentials scoped by depot, one try counter per
//! supervisor (a conditional update, never read-then-write), keys retired at
//! a re-issue or revocation, sessions opened at sign-in, and the depots'
//! offline-badge flag. Part of [`super::Storage`]; kept apart so the engines
//! implement it in files of their own.

use async_trait::async_trait;
use courier_protocol::supervisor::SupervisorCredential;
use courier_protocol::vocabulary::SupervisorFactor;

use crate::error::ServerError;
use crate::supervisor_rows::{SupervisorSessionRow, SupervisorTry};

/// The supervisors' reads and writes; each method is atomic.
#[async_trait]
pub trait SupervisorStorage: Send + Sync {
    /// Stores or re-issues a depot supervisor's credential (the server's
    /// copy, with its verifiers) and keys `K`: every earlier key of this
    /// supervisor is retired, every session revoked and the counter reset,
    /// in one transaction.
    async fn put_supervisor(
        &self,
        depot: &str,
        credential: &SupervisorCredential,
        keys: &[(SupervisorFactor, [u8; 32])],
        now_ms: i64,
    ) -> Result<(), ServerError>;

    /// Revokes a supervisor: keys retired, sessions revoked, no longer listed
    /// in manifests. `false` when the depot has no such supervisor.
    async fn revoke_supervisor(
        &self,
        depot: &str,
        supervisor_id: &str,
        now_ms: i64,
    ) -> Result<bool, ServerError>;

    /// The server's copies of a depot's credentials (not revoked), by id.
    async fn depot_supervisors(
        &self,
        depot: &str,
    ) -> Result<Vec<SupervisorCredential>, ServerError>;

    /// Spends one sign-in try with a conditional update
    /// (`tries_spent < attempt_limit`), committed before any comparison.
    async fn spend_supervisor_try(
        &self,
        depot: &str,
        supervisor_id: &str,
    ) -> Result<SupervisorTry, ServerError>;

    /// Records a session after a right PIN or badge and resets the counter.
    async fn open_supervisor_session(
        &self,
        session: &SupervisorSessionRow,
    ) -> Result<(), ServerError>;

    /// Sets a depot's offline-badge flag.
    async fn set_depot_offline_badge(&self, depot: &str, allow: bool) -> Result<(), ServerError>;

    /// A depot's offline-badge flag (false when never set).
    async fn depot_offline_badge(&self, depot: &str) -> Result<bool, ServerError>;

    /// Records an alert for the back office.
    async fn add_alert(
        &self,
        kind: &str,
        device_id: &str,
        detail: &str,
        now_ms: i64,
    ) -> Result<(), ServerError>;
}
