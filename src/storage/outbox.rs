//! Outbox and receipt queries for the sync engine.
//!
//! A row is pending while `acked_status` is NULL. Acknowledgements are written
//! only from a receipt that verified with the pinned server key, in the same
//! transaction that stores the receipt. Backoff lives in the head row's
//! `tries` and `next_try_ms`, so it survives restarts.

use courier_protocol::api::{EventStatus, RejectReason, SignedReceipt};
use courier_protocol::envelope::{EventBody, SignedEvent};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{MetaKey, Reads, Store, StoreError};

fn sql(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite { context, source }
}

/// The state of the outbox the sync plan is computed from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutboxHead {
    /// Events waiting for the server.
    pub pending: u64,
    /// The lowest pending seq, with its failed tries and next allowed try.
    pub first: Option<PendingRow>,
    /// The first event the server rejected, if any: sync is blocked behind it.
    pub rejected: Option<RejectedRow>,
}

/// The head of the pending queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRow {
    /// Sequence number.
    pub seq: u64,
    /// Failed upload tries so far.
    pub tries: u32,
    /// Earliest time of the next try, Unix ms.
    pub next_try_ms: i64,
    /// The last failure, as a sentence.
    pub last_error: Option<String>,
}

/// An event the server refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// Sequence number.
    pub seq: u64,
    /// The server's reason code.
    pub reason: String,
}

/// How one event ended up, from a verified receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// The event's seq.
    pub seq: u64,
    /// Accepted, duplicate or rejected.
    pub status: EventStatus,
    /// The rejection reason.
    pub reason: Option<RejectReason>,
}

/// What `sync status` shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct SyncStatus {
    /// Events waiting to sync.
    pub pending: u64,
    /// Events the server refused.
    pub rejected: u64,
    /// Events the server stored but did not honour (a rule, a reassigned
    /// order, a revocation): delivered to it, with no effect.
    pub not_honoured: u64,
    /// Server checkpoints refused as not of this log (kept as evidence).
    pub checkpoints_refused: u64,
    /// The server's words when it said this device is revoked.
    pub revoked: Option<String>,
    /// Last successful upload or download, Unix ms.
    pub last_sync_ms: Option<i64>,
    /// The last failure, if the last try failed.
    pub last_error: Option<String>,
    /// Earliest next try, Unix ms.
    pub next_try_ms: Option<i64>,
    /// Receipts held.
    pub receipts: u64,
}

fn status_str(s: EventStatus) -> &'static str {
    match s {
        EventStatus::Accepted => "accepted",
        EventStatus::Duplicate => "duplicate",
        EventStatus::Rejected => "rejected",
        EventStatus::NotHonoured => "not_honoured",
        EventStatus::Pending => "pending",
    }
}

impl Store {
    /// The outbox head: pending count, first pending row, first rejection.
    pub fn outbox_head(&self) -> Result<OutboxHead, StoreError> {
        let pending = self.pending_count()?;
        let first = self
            .conn
            .query_row(
                "SELECT seq, tries, next_try_ms, last_error FROM outbox
                 WHERE acked_status IS NULL ORDER BY seq LIMIT 1",
                [],
                |r| {
                    Ok(PendingRow {
                        seq: r.get(0)?,
                        tries: r.get(1)?,
                        next_try_ms: r.get(2)?,
                        last_error: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(sql("reading the outbox"))?;
        let rejected = self
            .conn
            .query_row(
                "SELECT seq, COALESCE(acked_reason, '') FROM outbox
                 WHERE acked_status = 'rejected' ORDER BY seq LIMIT 1",
                [],
                |r| {
                    Ok(RejectedRow {
                        seq: r.get(0)?,
                        reason: r.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(sql("reading the outbox"))?;
        Ok(OutboxHead {
            pending,
            first,
            rejected,
        })
    }

    /// Pending events from `from_seq` on, in seq order, at most `limit`.
    pub fn pending_events(
        &self,
        from_seq: u64,
        limit: u32,
    ) -> Result<Vec<SignedEvent>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT e.body, e.hash, e.signature FROM events e JOIN outbox o ON o.seq = e.seq
                 WHERE o.acked_status IS NULL AND e.seq >= ?1 ORDER BY e.seq LIMIT ?2",
            )
            .map_err(sql("reading the outbox"))?;
        let rows = stmt
            .query_map(params![from_seq, limit], |r| {
                Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(sql("reading the outbox"))?;
        let mut out = Vec::new();
        for row in rows {
            let (body, hash, signature) = row.map_err(sql("reading the outbox"))?;
            let body: EventBody = serde_json::from_str(&body)
                .map_err(|e| StoreError::Decode(format!("event: {e}")))?;
            out.push(SignedEvent {
                body,
                hash,
                signature,
            });
        }
        Ok(out)
    }

    /// Records a failed try of the pending rows in `first..=last`.
    pub fn record_sync_failure(
        &self,
        first: u64,
        last: u64,
        next_try_ms: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE outbox SET tries = tries + 1, next_try_ms = ?3, last_error = ?4
                 WHERE seq BETWEEN ?1 AND ?2 AND acked_status IS NULL",
                params![first, last, next_try_ms, error],
            )
            .map(|_| ())
            .map_err(sql("recording the sync failure"))
    }

    /// Stores a verified receipt and the acknowledgements it gives, atomically,
    /// and notes the sync time. `not_processed` events stay pending.
    pub fn store_receipt(
        &mut self,
        receipt: &SignedReceipt,
        acks: &[Ack],
        received_at_ms: i64,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(receipt).map_err(|e| StoreError::Decode(e.to_string()))?;
        let first = acks.iter().map(|a| a.seq).min();
        let last = acks.iter().map(|a| a.seq).max();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql("storing the receipt"))?;
        tx.execute(
            "INSERT INTO receipts(received_at_ms, first_seq, last_seq, receipt_json) VALUES (?1, ?2, ?3, ?4)",
            params![received_at_ms, first, last, json],
        )
        .map_err(sql("storing the receipt"))?;
        {
            let mut ack = tx
                .prepare_cached(
                    "UPDATE outbox SET acked_status = ?2, acked_reason = ?3, acked_at_ms = ?4,
                     last_error = NULL WHERE seq = ?1 AND acked_status IS NULL",
                )
                .map_err(sql("storing the receipt"))?;
            for a in acks {
                if a.reason == Some(RejectReason::NotProcessed) {
                    continue;
                }
                let reason = a
                    .reason
                    .map(|r| serde_json::to_value(r).ok())
                    .and_then(|v| v.and_then(|v| v.as_str().map(str::to_owned)));
                ack.execute(params![a.seq, status_str(a.status), reason, received_at_ms])
                    .map_err(sql("storing the receipt"))?;
            }
        }
        tx.execute(
            "INSERT INTO meta(key, value) VALUES ('last_sync_ms', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [received_at_ms.to_string()],
        )
        .map_err(sql("storing the receipt"))?;
        tx.commit().map_err(sql("storing the receipt"))
    }

    /// Keeps a server checkpoint refused as not of this log, with why.
    pub fn record_refused_checkpoint(
        &self,
        checkpoint_json: &str,
        reason: &str,
        received_at_ms: i64,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO refused_checkpoints(received_at_ms, reason, checkpoint_json)
                 VALUES (?1, ?2, ?3)",
                params![received_at_ms, reason, checkpoint_json],
            )
            .map(|_| ())
            .map_err(sql("keeping the refused checkpoint"))
    }

    /// The refused checkpoints: `(received at, why, checkpoint JSON)`, oldest first.
    pub fn refused_checkpoints(&self) -> Result<Vec<(i64, String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT received_at_ms, reason, checkpoint_json FROM refused_checkpoints ORDER BY id",
            )
            .map_err(sql("reading refused checkpoints"))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(sql("reading refused checkpoints"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(sql("reading refused checkpoints"))
    }

    /// Every stored receipt, oldest first.
    pub fn receipts(&self) -> Result<Vec<SignedReceipt>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT receipt_json FROM receipts ORDER BY id")
            .map_err(sql("reading receipts"))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(sql("reading receipts"))?;
        let mut out = Vec::new();
        for row in rows {
            let text = row.map_err(sql("reading receipts"))?;
            out.push(
                serde_json::from_str(&text)
                    .map_err(|e| StoreError::Decode(format!("receipt: {e}")))?,
            );
        }
        Ok(out)
    }

    /// The sync summary for screens and `sync --status`.
    pub fn sync_status(&self) -> Result<SyncStatus, StoreError> {
        let head = self.outbox_head()?;
        let rejected: u64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM outbox WHERE acked_status = 'rejected'",
                [],
                |r| r.get(0),
            )
            .map_err(sql("reading the outbox"))?;
        let not_honoured: u64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM outbox WHERE acked_status = 'not_honoured'",
                [],
                |r| r.get(0),
            )
            .map_err(sql("reading the outbox"))?;
        let checkpoints_refused: u64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM refused_checkpoints", [], |r| r.get(0))
            .map_err(sql("reading refused checkpoints"))?;
        let receipts: u64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM receipts", [], |r| r.get(0))
            .map_err(sql("reading receipts"))?;
        Ok(SyncStatus {
            pending: head.pending,
            rejected,
            not_honoured,
            checkpoints_refused,
            revoked: self.meta(MetaKey::Revoked)?,
            last_sync_ms: self.last_sync_ms()?,
            last_error: head.first.as_ref().and_then(|f| f.last_error.clone()),
            next_try_ms: head.first.map(|f| f.next_try_ms),
            receipts,
        })
    }
}
