//! Claims, cancellations and the accounting journal. An action on an order
//! runs as one transaction: the engine locks the order, loads it
//! ([`OrderState`]), runs the pure decision on it and writes what the
//! decision answers before it commits. Part of [`super::Storage`].

use async_trait::async_trait;
use courier_protocol::back_office::Claim;

use crate::claim_rows::{OrderDecision, OrderEvent, OrderState, OrderWrites, StatusChange};
use crate::error::ServerError;

/// The claims' reads and writes; each method is atomic.
#[async_trait]
pub trait ClaimStorage: Send + Sync {
    /// Runs `decide` on the order `order_ref` as committed, inside one write
    /// transaction with the order locked, and writes what it answers; answers
    /// the state it read and what was written. An unknown order is
    /// [`crate::error::NotFound::OrderRef`].
    async fn act_on_order(
        &self,
        order_ref: &str,
        decide: OrderDecision,
    ) -> Result<(OrderState, OrderWrites), ServerError>;

    /// A claim by id.
    async fn claim(&self, claim_id: &str) -> Result<Option<Claim>, ServerError>;

    /// Every claim, newest first.
    async fn claims(&self) -> Result<Vec<Claim>, ServerError>;

    /// The journal's lines with a time in `[from_ms, to_ms)`, oldest first.
    async fn status_changes_between(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<StatusChange>, ServerError>;

    /// The honoured events of orders whose signed time is in `[from_ms,
    /// to_ms)`, each with its depot and its order as issued, by signed time
    /// (the extraction picks the deliveries out).
    async fn order_events_between(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<OrderEvent>, ServerError>;

    /// Whether the order of `parcel_id` was cancelled.
    async fn order_cancelled(&self, parcel_id: &str) -> Result<bool, ServerError>;
}
