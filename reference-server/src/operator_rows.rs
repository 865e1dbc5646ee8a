//! Back-office operators' rows as plain values: named accounts with roles,
//! depots and an Argon2id password hash; sessions (bearer tokens for the
//! API now, cookies for the browser back office later), kept as hashes;
//! audit lines naming who did what.

use courier_protocol::rules::operator_role::{DepotScope, OperatorRole};

/// A named operator account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorRow {
    /// Account name.
    pub name: String,
    /// Its roles.
    pub roles: Vec<OperatorRole>,
    /// The depots it answers for (none: every depot).
    pub depots: Vec<String>,
    /// Argon2id PHC string (`$argon2id$v=19$m=...`).
    pub password_hash: String,
    /// Server time of creation, Unix ms.
    pub created_at_ms: i64,
    /// Who created it (an operator, or `admin-token`).
    pub created_by: String,
    /// When it was disabled, if it was.
    pub disabled_at_ms: Option<i64>,
}

impl OperatorRow {
    /// Whether the account holds `role`.
    pub fn has(&self, role: OperatorRole) -> bool {
        self.roles.contains(&role)
    }

    /// The depots the account answers for.
    pub fn scope(&self) -> DepotScope {
        DepotScope::of(&self.depots)
    }
}

/// How a session is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A bearer token on API calls.
    Bearer,
    /// A cookie of the browser back office (with its CSRF token's hash).
    Cookie,
}

impl SessionKind {
    /// The storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Bearer => "bearer",
            SessionKind::Cookie => "cookie",
        }
    }
}

/// One session of an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorSessionRow {
    /// SHA-256 of the session's token, hex (the token itself is never stored).
    pub token_hash: String,
    /// The account.
    pub operator: String,
    /// Bearer or cookie.
    pub kind: SessionKind,
    /// SHA-256 of the CSRF token of a cookie session, hex.
    pub csrf_hash: Option<String>,
    /// Server time of sign-in, Unix ms.
    pub created_at_ms: i64,
    /// Server time it ends, Unix ms.
    pub expires_at_ms: i64,
}

/// A line for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAudit {
    /// Server time, Unix ms.
    pub at_ms: i64,
    /// Who (an account name, or `admin-token`).
    pub operator: String,
    /// What (`operator_created`, `signed_in`, `claim_filed`, ...).
    pub action: &'static str,
    /// To what (an account, an order reference, a claim id).
    pub subject: String,
    /// Details in words.
    pub detail: String,
}
