//! Claims and cancellations as plain values: what the storage loads of an
//! order inside the transaction that decides an action on it, and what the
//! decision writes (the order's cancellation, its claim, the accounting
//! journal's status changes and the audit lines), all in that transaction.

use courier_protocol::back_office::Claim;
use courier_protocol::envelope::SignedEvent;
use courier_protocol::manifest::ManifestParcel;

use crate::error::ServerError;
use crate::operator_rows::NewAudit;

/// An order's cancellation before delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    /// Server time, Unix ms.
    pub at_ms: i64,
    /// The operator.
    pub by: String,
    /// Why.
    pub reason: String,
}

/// An order as committed when an action on it is decided.
#[derive(Debug, Clone)]
pub struct OrderState {
    /// The order as issued.
    pub spec: ManifestParcel,
    /// Its cancellation, if any.
    pub cancellation: Option<Cancellation>,
    /// Its claim, if one was filed.
    pub claim: Option<Claim>,
    /// Its events the server honours, by device then chain order.
    pub events: Vec<SignedEvent>,
    /// The depot of its latest event, else of its holder.
    pub depot: Option<String>,
    /// The device it is issued to now, if any.
    pub holder: Option<String>,
}

/// One line of the accounting journal: an order's status changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// Server time, Unix ms.
    pub at_ms: i64,
    /// The order.
    pub order_ref: String,
    /// Its parcel.
    pub parcel_id: String,
    /// Its depot, if known.
    pub depot: Option<String>,
    /// The new status (`cancelled`, `claim_open`, `claim_pending_second_approval`,
    /// `exchange_approved`, `refund_approved`, `claim_rejected`).
    pub status: String,
    /// The claim, for a claim's status.
    pub claim_id: Option<String>,
    /// The money the status moves to the buyer (a refund), minor units; 0 otherwise.
    pub refund_minor: i64,
    /// The order's amount, minor units.
    pub amount_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// The operator(s) (`first+second` for a two-operator decision).
    pub operator: String,
    /// Why.
    pub reason: String,
}

/// An honoured event of an order, with where and what it concerns.
#[derive(Debug, Clone)]
pub struct OrderEvent {
    /// The event.
    pub event: SignedEvent,
    /// The depot of its device when it was stored.
    pub depot: Option<String>,
    /// The order as issued.
    pub spec: ManifestParcel,
}

/// What a decision on an order writes, in the transaction that read it.
#[derive(Debug, Clone, Default)]
pub struct OrderWrites {
    /// Cancels the order (and takes it from its holder).
    pub cancellation: Option<Cancellation>,
    /// Stores the order's claim (new or updated).
    pub claim: Option<Claim>,
    /// Journal lines.
    pub changes: Vec<StatusChange>,
    /// Audit lines.
    pub audit: Vec<NewAudit>,
}

/// The decision on an order: run inside its transaction on the committed
/// state, it answers what to write, or why nothing is.
pub type OrderDecision = Box<dyn FnOnce(&OrderState) -> Result<OrderWrites, ServerError> + Send>;
