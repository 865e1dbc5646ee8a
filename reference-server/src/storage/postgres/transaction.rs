//! A PostgreSQL transaction on one pooled connection. Dropped before
//! a commit (an error, a cancelled request), it is rolled back
//! on a spawned task before the connection goes back to the pool; outside a
//! runtime the connection is closed instead, which rolls back too.

use async_trait::async_trait;
use courier_protocol::envelope::SignedEvent;
use deadpool_postgres::{Object, Pool};

use super::batch::{apply, load_context};
use super::event_log;
use super::reads::{device_from, pg_err, pool_err};
use crate::batch::{BatchContext, BatchKeys, BatchWrites};
use crate::error::{ServerError, StorageError};
use crate::storage::event_log::LogLeaf;
use crate::storage::rows::{self, counter};
use crate::storage::transaction::{BatchTransaction, CodeCheckLog, CodeCheckTransaction, TrySpend};

/// An open PostgreSQL transaction (`READ COMMITTED`).
pub(super) struct PgTx {
    /// The connection, until the transaction ends.
    client: Option<Object>,
}

impl PgTx {
    /// Takes a connection and begins.
    pub(super) async fn begin(pool: &Pool) -> Result<PgTx, ServerError> {
        let client = pool.get().await.map_err(pool_err)?;
        client.batch_execute("BEGIN").await.map_err(pg_err)?;
        Ok(PgTx {
            client: Some(client),
        })
    }

    /// Commits; the connection goes back to the pool. On failure it is still
    /// held, and dropping `self` rolls back (or closes the connection).
    async fn finish(mut self: Box<Self>) -> Result<(), ServerError> {
        self.client()?
            .batch_execute("COMMIT")
            .await
            .map_err(pg_err)?;
        self.client = None;
        Ok(())
    }

    fn client(&self) -> Result<&Object, ServerError> {
        self.client.as_ref().ok_or_else(|| {
            StorageError::Unavailable {
                engine: "PostgreSQL",
                source: "the transaction has ended".into(),
            }
            .into()
        })
    }
}

impl Drop for PgTx {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(e) = client.batch_execute("ROLLBACK").await {
                        tracing::warn!(error = %e, "PostgreSQL: rollback failed; connection closed");
                        drop(Object::take(client));
                    }
                });
            }
            Err(_) => drop(Object::take(client)),
        }
    }
}

#[async_trait]
impl BatchTransaction for PgTx {
    async fn load_batch(
        &mut self,
        device_id: &str,
        keys: &BatchKeys,
    ) -> Result<Option<BatchContext>, ServerError> {
        let c = self.client()?;
        let stmt = c
            .prepare_cached(
                "SELECT device_id, public_key, last_seq, last_hash, revoked_at_ms, revoked_reason,
                 depot FROM devices WHERE device_id = $1 FOR UPDATE",
            )
            .await
            .map_err(pg_err)?;
        let row = c.query_opt(&stmt, &[&device_id]).await.map_err(pg_err)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let depot: Option<String> = row.get(6);
        let device = device_from(&row)?;
        load_context(c, device, depot, keys).await.map(Some)
    }

    async fn apply_batch(
        &mut self,
        device_id: &str,
        writes: BatchWrites,
        now_ms: i64,
    ) -> Result<(), ServerError> {
        apply(self.client()?, device_id, &writes, now_ms).await
    }

    async fn lock_log(&mut self) -> Result<u64, ServerError> {
        event_log::lock(self.client()?).await
    }

    async fn log_hashes(&mut self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, ServerError> {
        event_log::hashes(self.client()?, indexes).await
    }

    async fn unlogged_events(&mut self, limit: u32) -> Result<Vec<SignedEvent>, ServerError> {
        let found = self
            .client()?
            .query(
                "SELECT signed_json FROM events e WHERE NOT EXISTS (SELECT 1 FROM tlog_leaves l WHERE l.device_id = e.device_id AND l.seq = e.seq) ORDER BY received_at_ms, device_id, seq LIMIT $1",
                &[&i64::from(limit)],
            )
            .await
            .map_err(pg_err)?;
        Ok(found
            .iter()
            .map(|r| rows::event(r.get::<_, &str>(0)))
            .collect::<Result<_, _>>()?)
    }

    async fn append_log(
        &mut self,
        first: u64,
        leaves: Vec<LogLeaf>,
        stored: Vec<(u64, [u8; 32])>,
    ) -> Result<(), ServerError> {
        event_log::append(self.client()?, first, &leaves, &stored).await
    }

    async fn commit(self: Box<Self>) -> Result<(), ServerError> {
        self.finish().await
    }
}

#[async_trait]
impl CodeCheckTransaction for PgTx {
    async fn parcel_held_by(
        &mut self,
        device_id: &str,
        parcel_id: &str,
    ) -> Result<bool, ServerError> {
        let row = self
            .client()?
            .query_opt(
                "SELECT 1 FROM orders WHERE holder = $1 AND parcel_id = $2",
                &[&device_id, &parcel_id],
            )
            .await
            .map_err(pg_err)?;
        Ok(row.is_some())
    }

    async fn spend_try(&mut self, parcel_id: &str) -> Result<TrySpend, ServerError> {
        let c = self.client()?;
        // Under READ COMMITTED a concurrent spend waits on the row's lock and
        // then re-checks the condition on the row as committed.
        let spent = c
            .query_opt(
                "UPDATE orders SET attempts_spent = attempts_spent + 1
                 WHERE parcel_id = $1 AND attempts_spent < attempt_limit
                 RETURNING attempts_spent, attempt_limit, numeric_key, qr_key",
                &[&parcel_id],
            )
            .await
            .map_err(pg_err)?;
        if let Some(r) = spent {
            return Ok(TrySpend::Spent {
                attempts_spent: counter(r.get(0)),
                attempt_limit: counter(r.get(1)),
                numeric_key: rows::key_from_hex(r.get(2), "numeric key")?,
                qr_key: rows::key_from_hex(r.get(3), "QR key")?,
            });
        }
        let row = c
            .query_opt(
                "SELECT attempts_spent, attempt_limit FROM orders WHERE parcel_id = $1",
                &[&parcel_id],
            )
            .await
            .map_err(pg_err)?;
        Ok(match row {
            Some(r) => TrySpend::Locked {
                attempts_spent: counter(r.get(0)),
                attempt_limit: counter(r.get(1)),
            },
            None => TrySpend::NoOrder,
        })
    }

    async fn restore_try(&mut self, parcel_id: &str) -> Result<u32, ServerError> {
        let row = self
            .client()?
            .query_one(
                "UPDATE orders SET attempts_spent = GREATEST(attempts_spent - 1, 0) WHERE parcel_id = $1
                 RETURNING attempts_spent",
                &[&parcel_id],
            )
            .await
            .map_err(pg_err)?;
        Ok(counter(row.get(0)))
    }

    async fn log_code_check(&mut self, e: &CodeCheckLog) -> Result<(), ServerError> {
        self.client()?
            .execute(
                "INSERT INTO code_checks(device_id, parcel_id, nonce, result, at_ms) VALUES ($1, $2, $3, $4, $5)",
                &[&e.device_id, &e.parcel_id, &e.nonce, &e.result, &e.at_ms],
            )
            .await
            .map_err(pg_err)?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), ServerError> {
        self.finish().await
    }
}
