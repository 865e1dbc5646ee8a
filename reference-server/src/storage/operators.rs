//! Back-office operators' rows: accounts, sessions and the audit log. Part
//! of [`super::Storage`]; kept apart so the engines implement it in files of
//! their own.

use async_trait::async_trait;
use courier_protocol::back_office::AuditEntry;

use crate::error::ServerError;
use crate::operator_rows::{NewAudit, OperatorRow, OperatorSessionRow};

/// The operators' reads and writes; each method is atomic.
#[async_trait]
pub trait OperatorStorage: Send + Sync {
    /// Creates an account and logs `audit` with it; a name in use is a conflict.
    async fn add_operator(&self, row: &OperatorRow, audit: &NewAudit) -> Result<(), ServerError>;

    /// Looks an account up by name.
    async fn operator(&self, name: &str) -> Result<Option<OperatorRow>, ServerError>;

    /// Records a session and logs `audit` with it.
    async fn open_operator_session(
        &self,
        session: &OperatorSessionRow,
        audit: &NewAudit,
    ) -> Result<(), ServerError>;

    /// Ends a session (sign-out) and logs `audit` with it.
    async fn close_operator_session(
        &self,
        token_hash: &str,
        at_ms: i64,
        audit: &NewAudit,
    ) -> Result<(), ServerError>;

    /// The account of a live session (not expired at `now_ms`, not revoked,
    /// account not disabled).
    async fn operator_of_session(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<OperatorRow>, ServerError>;

    /// Appends a line to the audit log.
    async fn add_audit(&self, line: &NewAudit) -> Result<(), ServerError>;

    /// Audit lines with an id above `after_id`, oldest first, at most `limit`.
    async fn audit_log(&self, after_id: i64, limit: u32) -> Result<Vec<AuditEntry>, ServerError>;
}
