//! Claims, cancellations and the accounting journal on PostgreSQL
//! ([`ClaimStorage`]): an action on an order runs in one transaction that
//! locks the order's row (`SELECT ... FOR UPDATE`) before it reads the rest,
//! so two actions on one order are decided one after the other.

use async_trait::async_trait;
use courier_protocol::back_office::Claim;
use deadpool_postgres::GenericClient;

use super::PgStore;
use super::operators::audit;
use super::reads::pg_err;
use crate::claim_rows::{
    Cancellation, OrderDecision, OrderEvent, OrderState, OrderWrites, StatusChange,
};
use crate::error::{NotFound, ServerError};
use crate::storage::ClaimStorage;
use crate::storage::rows;

/// Loads an order as committed, its row locked.
async fn load(c: &impl GenericClient, order_ref: &str) -> Result<OrderState, ServerError> {
    let row = c
        .query_opt(
            "SELECT spec_json, holder, cancelled_at_ms, cancelled_by, cancel_reason
             FROM orders WHERE order_ref = $1 FOR UPDATE",
            &[&order_ref],
        )
        .await
        .map_err(pg_err)?
        .ok_or_else(|| NotFound::OrderRef(order_ref.to_owned()))?;
    let spec: String = row.get(0);
    let holder: Option<String> = row.get(1);
    let at: Option<i64> = row.get(2);
    let claim = c
        .query_opt(
            "SELECT claim_json FROM claims WHERE order_ref = $1",
            &[&order_ref],
        )
        .await
        .map_err(pg_err)?
        .map(|r| rows::json::<Claim>(r.get(0), "claim"))
        .transpose()?;
    let events = c
        .query(
            "SELECT signed_json FROM events WHERE order_ref = $1
               AND NOT EXISTS (SELECT 1 FROM not_honoured n WHERE n.event_id = events.event_id)
             ORDER BY device_id, seq",
            &[&order_ref],
        )
        .await
        .map_err(pg_err)?
        .iter()
        .map(|r| rows::event(r.get(0)))
        .collect::<Result<Vec<_>, _>>()?;
    let depot: Option<String> = c
        .query_one(
            "SELECT COALESCE(
                (SELECT depot FROM events WHERE order_ref = $1 AND depot IS NOT NULL
                 ORDER BY signed_at_ms DESC LIMIT 1),
                (SELECT depot FROM devices WHERE device_id = $2))",
            &[&order_ref, &holder],
        )
        .await
        .map_err(pg_err)?
        .get(0);
    Ok(OrderState {
        spec: rows::json(&spec, "order spec")?,
        cancellation: at.map(|at_ms| Cancellation {
            at_ms,
            by: row.get::<_, Option<String>>(3).unwrap_or_default(),
            reason: row.get::<_, Option<String>>(4).unwrap_or_default(),
        }),
        claim,
        events,
        depot,
        holder,
    })
}

/// Writes what the decision answered.
async fn write(
    c: &impl GenericClient,
    state: &OrderState,
    w: &OrderWrites,
) -> Result<(), ServerError> {
    if let Some(x) = &w.cancellation {
        c.execute(
            "UPDATE orders SET cancelled_at_ms = $2, cancelled_by = $3, cancel_reason = $4, holder = NULL
             WHERE parcel_id = $1",
            &[&state.spec.parcel_id, &x.at_ms, &x.by, &x.reason],
        )
        .await
        .map_err(pg_err)?;
    }
    if let Some(claim) = &w.claim {
        c.execute(
            "INSERT INTO claims(claim_id, order_ref, depot, status, filed_at_ms, claim_json)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (claim_id) DO UPDATE SET status = excluded.status, claim_json = excluded.claim_json",
            &[
                &claim.claim_id,
                &claim.order_ref,
                &claim.depot,
                &claim.status.as_str(),
                &claim.filed_at_ms,
                &rows::to_json(claim, "claim")?,
            ],
        )
        .await
        .map_err(pg_err)?;
    }
    for s in &w.changes {
        c.execute(
            "INSERT INTO order_status_changes(at_ms, order_ref, parcel_id, depot, status, claim_id,
                 refund_minor, amount_minor, currency, operator, reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &s.at_ms,
                &s.order_ref,
                &s.parcel_id,
                &s.depot,
                &s.status,
                &s.claim_id,
                &s.refund_minor,
                &s.amount_minor,
                &s.currency,
                &s.operator,
                &s.reason,
            ],
        )
        .await
        .map_err(pg_err)?;
    }
    for line in &w.audit {
        audit(c, line).await?;
    }
    Ok(())
}

#[async_trait]
impl ClaimStorage for PgStore {
    async fn act_on_order(
        &self,
        order_ref: &str,
        decide: OrderDecision,
    ) -> Result<(OrderState, OrderWrites), ServerError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg_err)?;
        let state = load(&tx, order_ref).await?;
        let writes = decide(&state)?;
        write(&tx, &state, &writes).await?;
        tx.commit().await.map_err(pg_err)?;
        Ok((state, writes))
    }

    async fn claim(&self, claim_id: &str) -> Result<Option<Claim>, ServerError> {
        let c = self.client().await?;
        Ok(c.query_opt(
            "SELECT claim_json FROM claims WHERE claim_id = $1",
            &[&claim_id],
        )
        .await
        .map_err(pg_err)?
        .map(|r| rows::json(r.get(0), "claim"))
        .transpose()?)
    }

    async fn claims(&self) -> Result<Vec<Claim>, ServerError> {
        let c = self.client().await?;
        Ok(c.query(
            "SELECT claim_json FROM claims ORDER BY filed_at_ms DESC, claim_id DESC",
            &[],
        )
        .await
        .map_err(pg_err)?
        .iter()
        .map(|r| rows::json(r.get(0), "claim"))
        .collect::<Result<_, _>>()?)
    }

    async fn status_changes_between(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<StatusChange>, ServerError> {
        let c = self.client().await?;
        let found = c
            .query(
                "SELECT at_ms, order_ref, parcel_id, depot, status, claim_id, refund_minor,
                        amount_minor, currency, operator, reason
                 FROM order_status_changes WHERE at_ms >= $1 AND at_ms < $2 ORDER BY at_ms, id",
                &[&from_ms, &to_ms],
            )
            .await
            .map_err(pg_err)?;
        Ok(found
            .iter()
            .map(|r| StatusChange {
                at_ms: r.get(0),
                order_ref: r.get(1),
                parcel_id: r.get(2),
                depot: r.get(3),
                status: r.get(4),
                claim_id: r.get(5),
                refund_minor: r.get(6),
                amount_minor: r.get(7),
                currency: r.get(8),
                operator: r.get(9),
                reason: r.get(10),
            })
            .collect())
    }

    async fn order_events_between(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<OrderEvent>, ServerError> {
        let c = self.client().await?;
        let found = c
            .query(
                "SELECT e.signed_json, e.depot, o.spec_json FROM events e JOIN orders o ON o.order_ref = e.order_ref
                 WHERE e.signed_at_ms >= $1 AND e.signed_at_ms < $2
                   AND NOT EXISTS (SELECT 1 FROM not_honoured n WHERE n.event_id = e.event_id)
                 ORDER BY e.signed_at_ms, e.device_id, e.seq",
                &[&from_ms, &to_ms],
            )
            .await
            .map_err(pg_err)?;
        let mut out = Vec::new();
        for r in &found {
            out.push(OrderEvent {
                event: rows::event(r.get(0))?,
                depot: r.get(1),
                spec: rows::json(r.get(2), "order spec")?,
            });
        }
        Ok(out)
    }

    async fn order_cancelled(&self, parcel_id: &str) -> Result<bool, ServerError> {
        let c = self.client().await?;
        Ok(c.query_opt(
            "SELECT cancelled_at_ms IS NOT NULL FROM orders WHERE parcel_id = $1",
            &[&parcel_id],
        )
        .await
        .map_err(pg_err)?
        .is_some_and(|r| r.get::<_, bool>(0)))
    }
}
