//! Claims, cancellations and the accounting journal on SQLite
//! ([`ClaimStorage`]): an action on an order runs in one `BEGIN IMMEDIATE`
//! transaction (the file's write lock), decided on what it read there.

use async_trait::async_trait;
use courier_protocol::back_office::Claim;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::SqliteStore;
use super::operators::audit;
use super::reads::{db_err, events_query};
use crate::claim_rows::{
    Cancellation, OrderDecision, OrderEvent, OrderState, OrderWrites, StatusChange,
};
use crate::error::{NotFound, ServerError};
use crate::storage::ClaimStorage;
use crate::storage::rows;

/// Loads an order as committed.
fn load(c: &Connection, order_ref: &str) -> Result<OrderState, ServerError> {
    type Columns = (
        String,
        Option<String>,
        Option<i64>,
        Option<String>,
        Option<String>,
    );
    let found: Option<Columns> = c
        .query_row(
            "SELECT spec_json, holder, cancelled_at_ms, cancelled_by, cancel_reason
             FROM orders WHERE order_ref = ?1",
            [order_ref],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()
        .map_err(db_err)?;
    let (spec, holder, at, by, why) =
        found.ok_or_else(|| NotFound::OrderRef(order_ref.to_owned()))?;
    let claim: Option<String> = c
        .query_row(
            "SELECT claim_json FROM claims WHERE order_ref = ?1",
            [order_ref],
            |r| r.get(0),
        )
        .optional()
        .map_err(db_err)?;
    let events = events_query(
        c,
        "SELECT signed_json FROM events WHERE order_ref = ?1
           AND NOT EXISTS (SELECT 1 FROM not_honoured n WHERE n.event_id = events.event_id)
         ORDER BY device_id, seq",
        [order_ref],
    )?;
    let depot: Option<String> = c
        .query_row(
            "SELECT COALESCE(
                (SELECT depot FROM events WHERE order_ref = ?1 AND depot IS NOT NULL
                 ORDER BY signed_at_ms DESC LIMIT 1),
                (SELECT depot FROM devices WHERE device_id = ?2))",
            params![order_ref, holder],
            |r| r.get(0),
        )
        .map_err(db_err)?;
    Ok(OrderState {
        spec: rows::json(&spec, "order spec")?,
        cancellation: at.map(|at_ms| Cancellation {
            at_ms,
            by: by.unwrap_or_default(),
            reason: why.unwrap_or_default(),
        }),
        claim: claim.map(|j| rows::json(&j, "claim")).transpose()?,
        events,
        depot,
        holder,
    })
}

/// Writes what the decision answered.
fn write(c: &Connection, state: &OrderState, w: &OrderWrites) -> Result<(), ServerError> {
    if let Some(x) = &w.cancellation {
        c.execute(
            "UPDATE orders SET cancelled_at_ms = ?2, cancelled_by = ?3, cancel_reason = ?4, holder = NULL
             WHERE parcel_id = ?1",
            params![state.spec.parcel_id, x.at_ms, x.by, x.reason],
        )
        .map_err(db_err)?;
    }
    if let Some(claim) = &w.claim {
        c.execute(
            "INSERT INTO claims(claim_id, order_ref, depot, status, filed_at_ms, claim_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(claim_id) DO UPDATE SET status = excluded.status, claim_json = excluded.claim_json",
            params![
                claim.claim_id,
                claim.order_ref,
                claim.depot,
                claim.status.as_str(),
                claim.filed_at_ms,
                rows::to_json(claim, "claim")?
            ],
        )
        .map_err(db_err)?;
    }
    for s in &w.changes {
        c.execute(
            "INSERT INTO order_status_changes(at_ms, order_ref, parcel_id, depot, status, claim_id,
                 refund_minor, amount_minor, currency, operator, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                s.at_ms,
                s.order_ref,
                s.parcel_id,
                s.depot,
                s.status,
                s.claim_id,
                s.refund_minor,
                s.amount_minor,
                s.currency,
                s.operator,
                s.reason
            ],
        )
        .map_err(db_err)?;
    }
    for line in &w.audit {
        audit(c, line)?;
    }
    Ok(())
}

fn claims_query(
    c: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
) -> Result<Vec<Claim>, ServerError> {
    let mut stmt = c.prepare(sql).map_err(db_err)?;
    let found = stmt
        .query_map(p, |r| r.get::<_, String>(0))
        .map_err(db_err)?;
    let mut out = Vec::new();
    for json in found {
        out.push(rows::json(&json.map_err(db_err)?, "claim")?);
    }
    Ok(out)
}

#[async_trait]
impl ClaimStorage for SqliteStore {
    async fn act_on_order(
        &self,
        order_ref: &str,
        decide: OrderDecision,
    ) -> Result<(OrderState, OrderWrites), ServerError> {
        let order_ref = order_ref.to_owned();
        self.worker
            .run(move |c| {
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_err)?;
                let state = load(&tx, &order_ref)?;
                let writes = decide(&state)?;
                write(&tx, &state, &writes)?;
                tx.commit().map_err(db_err)?;
                Ok((state, writes))
            })
            .await
    }

    async fn claim(&self, claim_id: &str) -> Result<Option<Claim>, ServerError> {
        let claim_id = claim_id.to_owned();
        self.worker
            .run(move |c| {
                Ok(claims_query(
                    c,
                    "SELECT claim_json FROM claims WHERE claim_id = ?1",
                    [claim_id],
                )?
                .pop())
            })
            .await
    }

    async fn claims(&self) -> Result<Vec<Claim>, ServerError> {
        self.worker
            .run(|c| {
                claims_query(
                    c,
                    "SELECT claim_json FROM claims ORDER BY filed_at_ms DESC, claim_id DESC",
                    [],
                )
            })
            .await
    }

    async fn status_changes_between(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<StatusChange>, ServerError> {
        self.worker
            .run(move |c| {
                let mut stmt = c
                    .prepare(
                        "SELECT at_ms, order_ref, parcel_id, depot, status, claim_id, refund_minor,
                                amount_minor, currency, operator, reason
                         FROM order_status_changes WHERE at_ms >= ?1 AND at_ms < ?2 ORDER BY at_ms, id",
                    )
                    .map_err(db_err)?;
                let found = stmt
                    .query_map(params![from_ms, to_ms], |r| {
                        Ok(StatusChange {
                            at_ms: r.get(0)?,
                            order_ref: r.get(1)?,
                            parcel_id: r.get(2)?,
                            depot: r.get(3)?,
                            status: r.get(4)?,
                            claim_id: r.get(5)?,
                            refund_minor: r.get(6)?,
                            amount_minor: r.get(7)?,
                            currency: r.get(8)?,
                            operator: r.get(9)?,
                            reason: r.get(10)?,
                        })
                    })
                    .map_err(db_err)?;
                found.collect::<Result<Vec<_>, _>>().map_err(db_err)
            })
            .await
    }

    async fn order_events_between(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<OrderEvent>, ServerError> {
        self.worker
            .run(move |c| {
                let mut stmt = c
                    .prepare(
                        "SELECT e.signed_json, e.depot, o.spec_json FROM events e JOIN orders o ON o.order_ref = e.order_ref
                 WHERE e.signed_at_ms >= ?1 AND e.signed_at_ms < ?2
                   AND NOT EXISTS (SELECT 1 FROM not_honoured n WHERE n.event_id = e.event_id)
                 ORDER BY e.signed_at_ms, e.device_id, e.seq",
                    )
                    .map_err(db_err)?;
                let found = stmt
                    .query_map(params![from_ms, to_ms], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, Option<String>>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    })
                    .map_err(db_err)?;
                let mut out = Vec::new();
                for row in found {
                    let (event, depot, spec) = row.map_err(db_err)?;
                    out.push(OrderEvent {
                        event: rows::event(&event)?,
                        depot,
                        spec: rows::json(&spec, "order spec")?,
                    });
                }
                Ok(out)
            })
            .await
    }

    async fn order_cancelled(&self, parcel_id: &str) -> Result<bool, ServerError> {
        let parcel_id = parcel_id.to_owned();
        self.worker
            .run(move |c| {
                Ok(c.query_row(
                    "SELECT cancelled_at_ms IS NOT NULL FROM orders WHERE parcel_id = ?1",
                    [parcel_id],
                    |r| r.get::<_, bool>(0),
                )
                .optional()
                .map_err(db_err)?
                .unwrap_or(false))
            })
            .await
    }
}
