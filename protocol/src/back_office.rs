//! The back office's wire types (`docs/protocol.md`, "Back office"): named
//! operator accounts and their sessions, claims with two approvers,
//! cancellations before delivery, and the audit log.

use serde::{Deserialize, Serialize};

use crate::rules::claim::{ClaimDecision, ClaimStatusName, EvidenceRef, GivenDecision};
use crate::rules::operator_role::OperatorRole;

/// `POST /v1/admin/operators` (admin token): a new named account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOperatorRequest {
    /// Account name (letters, digits, `.`, `-`, `_`; 1 to 64).
    pub name: String,
    /// Its roles (at least one).
    pub roles: Vec<OperatorRole>,
    /// The depots it answers for; none: every depot.
    #[serde(default)]
    pub depots: Vec<String>,
}

/// The new account, with its initial password: shown this once, stored as
/// an Argon2id hash only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateOperatorResponse {
    /// Account name.
    pub name: String,
    /// Its roles.
    pub roles: Vec<OperatorRole>,
    /// Its depots (none: every depot).
    pub depots: Vec<String>,
    /// The initial password.
    pub password: String,
}

impl std::fmt::Debug for CreateOperatorResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CreateOperatorResponse {{ name: {:?}, roles: {:?}, depots: {:?}, password: <hidden> }}",
            self.name, self.roles, self.depots
        )
    }
}

/// `POST /v1/operator-sessions`: an operator signs in.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorSignInRequest {
    /// Account name.
    pub name: String,
    /// Password. Never stored or logged.
    pub password: String,
}

impl std::fmt::Debug for OperatorSignInRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "OperatorSignInRequest {{ name: {:?}, password: <hidden> }}",
            self.name
        )
    }
}

/// A session: its bearer token (`Authorization: Bearer <token>` on the
/// back-office calls), stored by the server as a SHA-256 hash only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorSession {
    /// The bearer token.
    pub token: String,
    /// Account name.
    pub operator: String,
    /// Its roles.
    pub roles: Vec<OperatorRole>,
    /// Its depots (none: every depot).
    pub depots: Vec<String>,
    /// When the session ends, server time, Unix ms.
    pub expires_at_ms: i64,
}

impl std::fmt::Debug for OperatorSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "OperatorSession {{ operator: {:?}, roles: {:?}, expires_at_ms: {}, token: <hidden> }}",
            self.operator, self.roles, self.expires_at_ms
        )
    }
}

/// `POST /v1/claims`: a buyer's claim on a delivered order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileClaimRequest {
    /// The order.
    pub order_ref: String,
    /// What the buyer asks for: `exchange` or `refund`.
    pub asked: ClaimDecision,
    /// The buyer's reason.
    pub reason: String,
}

/// `POST /v1/claims/{claim_id}/decisions`: one operator's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimDecisionRequest {
    /// `exchange`, `refund` or `rejected`.
    pub decision: ClaimDecision,
    /// Why.
    pub reason: String,
}

/// A claim as the server holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// Its id (UUIDv7).
    pub claim_id: String,
    /// The order.
    pub order_ref: String,
    /// The order's parcel.
    pub parcel_id: String,
    /// The depot of the device that delivered it.
    pub depot: Option<String>,
    /// What the buyer asked for.
    pub asked: ClaimDecision,
    /// The buyer's reason.
    pub reason: String,
    /// Where it stands.
    pub status: ClaimStatusName,
    /// The delivered event the claim stands on (its window starts at its signed time).
    pub delivered: EvidenceRef,
    /// Every honoured event of the order when the claim was filed: the dispute
    /// pack is built from these ids and hashes.
    pub evidence: Vec<EvidenceRef>,
    /// The order's amount, minor units, and currency.
    pub amount_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// Server time of filing, Unix ms.
    pub filed_at_ms: i64,
    /// The operator who filed it.
    pub filed_by: String,
    /// Every decision given, oldest first (the pending one last; a final
    /// status's two agreeing decisions are the last two).
    pub decisions: Vec<GivenDecision>,
}

/// `GET /v1/claims`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimsResponse {
    /// The claims the operator's depots cover, newest first.
    pub claims: Vec<Claim>,
}

/// `POST /v1/orders/{order_ref}/cancel`: cancel before delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelOrderRequest {
    /// Why (the buyer's or the seller's words).
    pub reason: String,
}

/// A cancellation: the order's full amount is refunded, and the parcel is
/// withdrawn from the device that held it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelOrderResponse {
    /// The order.
    pub order_ref: String,
    /// Its parcel.
    pub parcel_id: String,
    /// Always `cancelled`.
    pub status: String,
    /// The amount refunded (the whole order), minor units.
    pub refund_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// The device it was withdrawn from, if one held it.
    pub withdrawn_from: Option<String>,
    /// The version of that device's manifest that lists it withdrawn, when
    /// one was issued at once (the device's manifest was still valid).
    pub manifest_version: Option<u64>,
}

/// One line of the audit log: who did what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Its place in the log.
    pub id: i64,
    /// Server time, Unix ms.
    pub at_ms: i64,
    /// The operator's account name (`admin-token` for the bootstrap token).
    pub operator: String,
    /// What was done (`operator_created`, `signed_in`, `claim_filed`, ...).
    pub action: String,
    /// What it was done to (an account, an order, a claim).
    pub subject: String,
    /// Details in words.
    pub detail: String,
}

/// `GET /v1/admin/audit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditResponse {
    /// Oldest first.
    pub entries: Vec<AuditEntry>,
}
